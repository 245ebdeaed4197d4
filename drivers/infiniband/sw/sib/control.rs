// SPDX-License-Identifier: GPL-2.0

//! The SM's debugfs directory, `sib_sm/sa/`, for tests to watch the SA and to break things:
//!
//! - `log` (read; any write clears it): the SA's message log ([`crate::log`]);
//! - `groups` (read): the multicast groups and their members;
//! - `services` (read): the service records, one per line;
//! - `faults` (read; write a rule, or `clear`): fault rules ([`crate::fault`]);
//! - `control` (write one command): what an SM or an operator does to the fabric, with ports
//!   named by index (device `sibN` is index N):
//!   - `delete MGID`: deletes a group with its members, who are not told;
//!   - `mlid MGID MLID`: moves a group to another multicast LID;
//!   - `keys MGID QKEY PKEY`: gives a group another Q_Key and P_Key, which no SM does to a
//!     live group (a fault to inject); its members are not told, and joins that ask for the
//!     old keys are refused (ERR_REQ_INVALID);
//!   - `forget PORT`: forgets every membership of a port;
//!   - `port-err PORT`, `port-active PORT`: takes a port down (PORT_ERR; the SA forgets its
//!     memberships, as an SM does when its sweep finds the port gone, and takes no join for it
//!     while it is down) or up (PORT_ACTIVE);
//!   - `lid PORT LID`: gives a port another LID (LID_CHANGE);
//!   - `sm-lid PORT LID`: tells a port of another SM LID (SM_CHANGE);
//!   - `reregister PORT`: forgets every membership of a port and asks its clients to join
//!     again (CLIENT_REREGISTER, as an SM that lost its state does);
//!   - `pkey PORT INDEX PKEY`: sets a P_Key table entry (PKEY_CHANGE); the SA creates the
//!     partition's IPoIB broadcast group, and forgets the port's memberships of the groups of
//!     a partition the port no longer has (whose leaves ib_sa does not send);
//!   - `service PORT ID NAME`: registers service `ID` named `NAME` (at most 64 bytes) on the
//!     port, in the default partition, as the port would with a ServiceRecord SET;
//!   - `no-service PORT ID`: removes the port's records of service `ID`;
//!   - `release`: answers the requests a `hold` rule holds.
//!
//! Bad input is `EINVAL`; an unknown port or group `ENODEV` or `ENOENT`; an MLID another
//! group has `EBUSY`; a rule beyond the 32 the SA keeps `ENOSPC`.

use crate::{
    fault::{
        parse_u32,
        parse_u64,
        Rule, //
    },
    ffi,
    sa::SUBNET_PREFIX,
    server::SaServer,
    service::{
        ServiceRec,
        KEY_COMPS, //
    },
};
use core::fmt;
use kernel::{
    bindings,
    debugfs::{
        Dir,
        Scope, //
    },
    prelude::*,
    rdma::Gid,
    sync::Arc,
    uaccess::UserSliceReader,
};

/// The longest line a file takes.
const LINE_MAX: usize = 256;

/// The debugfs directory of one SA; removed when dropped.
pub(crate) struct SaDebugfs {
    _files: Pin<KBox<Scope<Arc<SaServer>>>>,
    _dir: Dir,
}

impl SaDebugfs {
    /// Creates `sib_sm/sa/` for `server`.
    pub(crate) fn new(server: Arc<SaServer>) -> Result<Self> {
        let dir = Dir::new(c"sib_sm");
        let files = KBox::pin_init(
            dir.scope(server, c"sa", |server, d| {
                d.read_write_callback_file(c"log", server, &show_log, &clear_log);
                d.read_callback_file(c"groups", server, &show_groups);
                d.read_callback_file(c"services", server, &show_services);
                d.read_write_callback_file(c"faults", server, &show_faults, &add_fault);
                d.write_only_callback_file(c"control", server, &control);
            }),
            GFP_KERNEL,
        )?;
        Ok(Self {
            _files: files,
            _dir: dir,
        })
    }
}

fn show_log(server: &Arc<SaServer>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "{}", &*server.log.lock())
}

fn clear_log(server: &Arc<SaServer>, _input: &mut UserSliceReader) -> Result {
    server.log.lock().clear();
    Ok(())
}

fn show_groups(server: &Arc<SaServer>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "{}", &*server.sa.lock())
}

fn show_services(server: &Arc<SaServer>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "{}", server.sa.lock().services)
}

fn show_faults(server: &Arc<SaServer>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "{}", &*server.faults.lock())
}

/// Reads one line of input and hands its text, trimmed, to `f`.
fn with_line(input: &mut UserSliceReader, f: impl FnOnce(&str) -> Result) -> Result {
    let mut buf = [0u8; LINE_MAX];
    let n = input.len();
    if n > buf.len() {
        return Err(EINVAL);
    }
    input.read_slice(&mut buf[..n])?;
    let line = core::str::from_utf8(&buf[..n]).map_err(|_| EINVAL)?;
    f(line.trim())
}

fn add_fault(server: &Arc<SaServer>, input: &mut UserSliceReader) -> Result {
    with_line(input, |line| {
        let mut faults = server.faults.lock();
        if line == "clear" {
            faults.clear();
            return Ok(());
        }
        faults.add(Rule::parse(line)?)
    })
}

fn control(server: &Arc<SaServer>, input: &mut UserSliceReader) -> Result {
    with_line(input, |line| run_command(server, line))
}

/// Runs one `control` command.
fn run_command(server: &SaServer, line: &str) -> Result {
    let mut words = line.split_whitespace();
    let command = words.next().ok_or(EINVAL)?;
    let mut args = [""; 3];
    let port_gid = |port: u32| -> Result<Gid> {
        Ok(Gid::from_parts(SUBNET_PREFIX, ffi::port_info(port)?.guid))
    };
    let mut n = 0;
    for w in words {
        *args.get_mut(n).ok_or(EINVAL)? = w;
        n += 1;
    }
    let num = |i: usize| parse_u32(args[i]);
    let num16 = |i: usize| u16::try_from(num(i)?).map_err(|_| EINVAL);
    let fabric = &ffi::SibFabric;
    // Forgets every membership of port `port`; the SA stays locked while the guard lives.
    let forget = |port: u32| -> Result<_> {
        let guid = ffi::port_info(port)?.guid;
        let mut sa = server.sa.lock();
        sa.forget_port(fabric, guid);
        Ok(sa)
    };
    match (command, n) {
        ("delete", 1) => server.sa.lock().delete_group(fabric, &args[0].parse()?),
        ("mlid", 2) => server
            .sa
            .lock()
            .set_mlid(fabric, &args[0].parse()?, num16(1)?),
        ("keys", 3) => server
            .sa
            .lock()
            .set_keys(&args[0].parse()?, num(1)?, num16(2)?),
        ("forget", 1) => forget(num(0)?).map(drop),
        ("port-err", 1) => {
            // As an SM sweeping the subnet: a port that went down leaves its groups. The SA
            // stays locked until the port is down, so a join it takes next finds it so.
            let port = num(0)?;
            let _sa = forget(port)?;
            ffi::set_state(port, ffi::PortState::Down)
        }
        ("port-active", 1) => ffi::set_state(num(0)?, ffi::PortState::Active),
        ("lid", 2) => ffi::set_lid(num(0)?, num(1)?),
        ("sm-lid", 2) => ffi::set_sm_lid(num(0)?, num(1)?),
        ("reregister", 1) => {
            // An SM that lost its state. The SA stays locked until the clients have seen the
            // event (the call returns then): a join it takes next is one its client knows
            // came after.
            let port = num(0)?;
            let _sa = forget(port)?;
            ffi::reregister(port)
        }
        ("pkey", 3) => {
            let (port, index, pkey) = (num(0)?, num(1)?, num16(2)?);
            let info = ffi::port_info(port)?;
            if index >= bindings::SIB_FABRIC_NPKEYS {
                return Err(EINVAL);
            }
            let mut pkeys = info.pkeys;
            let old = core::mem::replace(&mut pkeys[index as usize], pkey);
            // The SA stays locked until the port has the new table and the SA has forgotten
            // what it lost, so no request sees one without the other.
            let mut sa = server.sa.lock();
            // The partition's broadcast group first: the port's clients join it on the event.
            if pkey & 0x7fff != 0 {
                sa.add_broadcast_group(fabric, pkey)?;
            }
            ffi::set_pkey(port, index, pkey)?;
            // A partition the port no longer has: its memberships there go with it.
            if old & 0x7fff != 0 && !pkeys.iter().any(|&e| e & 0x7fff == old & 0x7fff) {
                sa.forget_partition(fabric, info.guid, old);
            }
            Ok(())
        }
        ("service", 3) => {
            let gid = port_gid(num(0)?)?;
            let rec = ServiceRec::new(parse_u64(args[1])?, &gid, 0xffff, args[2].as_bytes())?;
            server
                .sa
                .lock()
                .services
                .set(KEY_COMPS, &rec)
                .map(drop)
                .map_err(|_| ENOSPC)
        }
        ("no-service", 2) => {
            let gid = port_gid(num(0)?)?;
            match server.sa.lock().services.remove(parse_u64(args[1])?, &gid) {
                0 => Err(ENOENT),
                _ => Ok(()),
            }
        }
        ("release", 0) => {
            server.release();
            Ok(())
        }
        _ => Err(EINVAL),
    }
}
