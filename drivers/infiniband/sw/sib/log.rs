// SPDX-License-Identifier: GPL-2.0

//! The SA's message log: every request the SA receives and every response it sends, with
//! method, attribute, component mask, status and, for the records tests care about, the
//! MCMemberRecord's MGID, port GID, JoinState, Q_Key, P_Key and MLID, the PathRecord's GIDs,
//! or the ServiceRecord's ID, GID and name (for a table, its first record's, and the number of
//! records), and when the SA saw it (`at_us`, microseconds of the monotonic clock since the log
//! was created or last cleared: tests time the retries of a ULP by it, not by their polls).
//! Read through debugfs (`sib_sm/sa/log`), one message per line, oldest first.

use crate::{
    sa::{
        comp_mask,
        mcmember,
        name_of,
        record_gid,
        ATTR_MCMEMBER_REC,
        ATTR_NAMES,
        ATTR_PATH_REC,
        ATTR_SERVICE_REC,
        METHOD_NAMES,
        SA_DATA, //
    },
    service::{
        until_nul,
        write_name,
        ServiceRec,
        SERVICE_REC_SIZE, //
    },
};
use core::fmt;
use kernel::{
    prelude::*,
    rdma::{
        mad::{
            Mad,
            METHOD_RESP, //
        },
        sa::McMemberRec,
        Gid,
    },
    time::{
        Instant,
        Monotonic, //
    },
};

/// The messages the log keeps; older ones make room for newer ones.
const CAPACITY: usize = 4096;

/// The bytes of a service name the log keeps.
const SERVICE_NAME_LOGGED: usize = 32;

/// Which way a message went.
#[derive(Clone, Copy)]
pub(crate) enum Direction {
    /// A request to the SA.
    Request,
    /// The SA's response.
    Response,
}

/// The parts of the record the log shows.
#[derive(Clone, Copy)]
enum Record {
    McMember(McMemberRec),
    Path {
        dgid: Gid,
        sgid: Gid,
    },
    /// A ServiceRecord's ID, GID and the start of its name; for a table, the number of records.
    Service {
        id: u64,
        gid: Gid,
        name: [u8; SERVICE_NAME_LOGGED],
        records: Option<usize>,
    },
    Other,
}

/// One message.
#[derive(Clone, Copy)]
struct Entry {
    seq: u64,
    direction: Direction,
    /// The requester's LID: the source of a request, the destination of a response.
    lid: u32,
    tid: u64,
    method: u8,
    attr: u16,
    status: u16,
    comp_mask: u64,
    record: Record,
    /// What a fault rule did to the request, empty for none.
    fault: &'static str,
    /// When it was logged: microseconds since the log's epoch (stamped by [`SaLog::push`]).
    at_us: i64,
}

impl Entry {
    /// The entry of `mad`, or of the header `mad` of a table of records `table`.
    fn new(
        seq: u64,
        direction: Direction,
        lid: u32,
        mad: &Mad,
        table: Option<&[u8]>,
        fault: &'static str,
    ) -> Self {
        let record = match mad.attr_id() {
            ATTR_MCMEMBER_REC => Record::McMember(mcmember(mad).1),
            ATTR_PATH_REC => Record::Path {
                dgid: record_gid(mad, 8),
                sgid: record_gid(mad, 24),
            },
            ATTR_SERVICE_REC => {
                let rec = ServiceRec::from_bytes(table.unwrap_or(&mad.0[SA_DATA..]));
                let mut name = [0u8; SERVICE_NAME_LOGGED];
                let n = rec.name().len().min(SERVICE_NAME_LOGGED);
                name[..n].copy_from_slice(&rec.name()[..n]);
                Record::Service {
                    id: rec.id(),
                    gid: rec.gid(),
                    name,
                    records: table.map(|t| t.len() / SERVICE_REC_SIZE),
                }
            }
            _ => Record::Other,
        };
        Self {
            seq,
            direction,
            lid,
            tid: mad.tid(),
            method: mad.method(),
            attr: mad.attr_id(),
            status: mad.status(),
            comp_mask: comp_mask(mad),
            record,
            fault,
            at_us: 0,
        }
    }
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let direction = match self.direction {
            Direction::Request => "req",
            Direction::Response => "resp",
        };
        write!(
            f,
            "{} {} lid={} tid={:#018x} ",
            self.seq, direction, self.lid, self.tid
        )?;
        let resp = if self.method & METHOD_RESP != 0 {
            "_RESP"
        } else {
            ""
        };
        match name_of(&METHOD_NAMES, self.method & !METHOD_RESP) {
            Some(name) => write!(f, "{name}{resp}")?,
            None => write!(f, "method={:#04x}", self.method)?,
        }
        match name_of(&ATTR_NAMES, self.attr) {
            Some(name) => write!(f, " {name}")?,
            None => write!(f, " attr={:#06x}", self.attr)?,
        }
        write!(f, " comp={:#x} status={:#06x}", self.comp_mask, self.status)?;
        match &self.record {
            Record::McMember(r) => write!(
                f,
                " mgid={:?} port_gid={:?} join={:#x} qkey={:#x} pkey={:#06x} mlid={:#06x}",
                r.mgid(),
                r.port_gid(),
                u8::from(r.join_state()),
                r.qkey(),
                r.pkey(),
                r.mlid()
            )?,
            Record::Path { dgid, sgid } => write!(f, " dgid={dgid:?} sgid={sgid:?}")?,
            Record::Service {
                id,
                gid,
                name,
                records,
            } => {
                write!(f, " service_id={id:#018x} service_gid={gid:?} name=")?;
                write_name(f, until_nul(name))?;
                if let Some(n) = records {
                    write!(f, " records={n}")?;
                }
            }
            Record::Other => {}
        }
        if !self.fault.is_empty() {
            write!(f, " fault={}", self.fault)?;
        }
        write!(f, " at_us={}", self.at_us)
    }
}

/// The log: a ring of the last [`CAPACITY`] messages.
pub(crate) struct SaLog {
    entries: KVVec<Entry>,
    /// Where the next message goes once the ring is full.
    next: usize,
    /// Messages logged since the last clear.
    seq: u64,
    /// Messages that found no memory.
    lost: u64,
    /// Where the messages' times count from: the log's creation or last clear.
    epoch: Instant<Monotonic>,
}

impl SaLog {
    /// An empty log.
    pub(crate) fn new() -> Self {
        Self {
            entries: KVVec::new(),
            next: 0,
            seq: 0,
            lost: 0,
            epoch: Instant::now(),
        }
    }

    /// Logs `mad`, sent or received from or to `lid`; `fault` says what a fault rule did.
    pub(crate) fn record(
        &mut self,
        direction: Direction,
        lid: u32,
        mad: &Mad,
        fault: &'static str,
    ) {
        self.push(Entry::new(self.seq, direction, lid, mad, None, fault));
    }

    /// Logs the table of records `table` sent to `lid` after the header `mad`.
    pub(crate) fn record_table(&mut self, lid: u32, mad: &Mad, table: &[u8], fault: &'static str) {
        self.push(Entry::new(
            self.seq,
            Direction::Response,
            lid,
            mad,
            Some(table),
            fault,
        ));
    }

    fn push(&mut self, mut entry: Entry) {
        entry.at_us = self.epoch.elapsed().as_micros_ceil();
        self.seq += 1;
        if self.entries.len() < CAPACITY {
            if self.entries.push(entry, GFP_KERNEL).is_err() {
                self.lost += 1;
            }
        } else {
            self.entries[self.next] = entry;
            self.next = (self.next + 1) % CAPACITY;
        }
    }

    /// Forgets every message.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.next = 0;
        self.seq = 0;
        self.lost = 0;
        self.epoch = Instant::now();
    }
}

/// One message per line, oldest first; a first line `# lost <n>` when messages found no
/// memory, and `# overwritten <n>` when the ring dropped the oldest.
impl fmt::Display for SaLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.lost != 0 {
            writeln!(f, "# lost {}", self.lost)?;
        }
        let overwritten = self.seq - self.lost - self.entries.len() as u64;
        if overwritten != 0 {
            writeln!(f, "# overwritten {overwritten}")?;
        }
        let (newer, older) = self.entries.split_at(self.next);
        for e in Iterator::chain(older.iter(), newer.iter()) {
            writeln!(f, "{e}")?;
        }
        Ok(())
    }
}
