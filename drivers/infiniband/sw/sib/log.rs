// SPDX-License-Identifier: GPL-2.0

//! The SA's message log: every request the SA receives and every response it sends, with
//! method, attribute, component mask, status and, for the records tests care about, the
//! MCMemberRecord's MGID, port GID, JoinState, Q_Key, P_Key and MLID or the PathRecord's
//! GIDs. Read through debugfs (`sib_sm/sa/log`), one message per line, oldest first.

use crate::sa::{
    comp_mask,
    mcmember,
    name_of,
    record_gid,
    ATTR_MCMEMBER_REC,
    ATTR_NAMES,
    ATTR_PATH_REC,
    METHOD_NAMES, //
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
};

/// The messages the log keeps; older ones make room for newer ones.
const CAPACITY: usize = 4096;

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
    Path { dgid: Gid, sgid: Gid },
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
}

impl Entry {
    fn new(seq: u64, direction: Direction, lid: u32, mad: &Mad, fault: &'static str) -> Self {
        let record = match mad.attr_id() {
            ATTR_MCMEMBER_REC => Record::McMember(mcmember(mad).1),
            ATTR_PATH_REC => Record::Path {
                dgid: record_gid(mad, 8),
                sgid: record_gid(mad, 24),
            },
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
            Record::Other => {}
        }
        if !self.fault.is_empty() {
            write!(f, " fault={}", self.fault)?;
        }
        Ok(())
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
}

impl SaLog {
    /// An empty log.
    pub(crate) fn new() -> Self {
        Self {
            entries: KVVec::new(),
            next: 0,
            seq: 0,
            lost: 0,
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
        let entry = Entry::new(self.seq, direction, lid, mad, fault);
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
