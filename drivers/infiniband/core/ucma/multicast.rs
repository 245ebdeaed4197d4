// SPDX-License-Identifier: GPL-2.0

//! A join of a context's id (C's `struct ucma_multicast`): JOIN_IP_MCAST, JOIN_MCAST and
//! LEAVE_MCAST.

use super::{
    context::{cleanup_mc_events, Context},
    file::File,
    shim::{self, GroupAddr, Pod},
    MC_TABLE,
};
use core::{
    mem::size_of,
    sync::atomic::{AtomicI32, Ordering},
};
use kernel::{bindings, prelude::*, sync::Arc};

/// A join.
///
/// # Invariants
///
/// rdma_cm hands `Arc::as_ptr()` of the join back in its events until the join is left or its
/// id destroyed; until then an `Arc` of it is held: by the command that joins, then by
/// [`MC_TABLE`], then by the command that leaves (or by the table until the context's id is
/// destroyed, see `destroy_private()`).
pub(crate) struct Multicast {
    /// The context whose id joined.
    pub(crate) ctx: Arc<Context>,
    /// The id the user knows the join by.
    pub(crate) id: u32,
    /// The join's events read by the user.
    pub(crate) events_reported: AtomicI32,
    /// The user's value for the join's events.
    pub(crate) uid: u64,
    /// The group's address.
    addr: GroupAddr,
}

/// `ucma_process_join()`.
fn process_join(file: &Arc<File>, cmd: &bindings::rdma_ucm_join_mcast, out_len: usize) -> Result {
    if out_len < size_of::<bindings::rdma_ucm_create_id_resp>() {
        return Err(ENOSPC);
    }
    let size = shim::addr_size(&cmd.addr);
    if u32::from(cmd.addr_size) != size {
        return Err(EINVAL);
    }
    let join_state: u8 = match u32::from(cmd.join_flags) {
        bindings::RDMA_MC_JOIN_FLAG_FULLMEMBER => {
            1 << bindings::ib_sa_mc_join_states_FULLMEMBER_JOIN
        }
        bindings::RDMA_MC_JOIN_FLAG_SENDONLY_FULLMEMBER => {
            1 << bindings::ib_sa_mc_join_states_SENDONLY_FULLMEMBER_JOIN
        }
        _ => return Err(EINVAL),
    };
    let user = Context::get_dev(file, cmd.id)?;
    let mut addr = bindings::__kernel_sockaddr_storage::zeroed();
    let n = size as usize;
    addr.as_bytes_mut()[..n].copy_from_slice(&cmd.addr.as_bytes()[..n]);
    let id = MC_TABLE.lock().alloc()?;
    let mc = match Arc::new(
        Multicast {
            ctx: user.ctx().clone(),
            id,
            events_reported: AtomicI32::new(0),
            uid: cmd.uid,
            addr: GroupAddr(addr),
        },
        GFP_KERNEL,
    ) {
        Ok(mc) => mc,
        Err(e) => {
            MC_TABLE.lock().free_taken(id);
            return Err(e.into());
        }
    };
    let cm_id = user.cm_id();
    let guard = user.mutex.lock();
    // SAFETY: `mc` is kept until the join is left or the id destroyed (type invariant).
    if let Err(e) = unsafe { cm_id.join(&mc.addr.0, join_state, &mc) } {
        drop(guard);
        MC_TABLE.lock().free_taken(id);
        return Err(e);
    }
    let resp = bindings::rdma_ucm_create_id_resp { id };
    if let Err(e) = shim::write_all(cmd.response, &resp) {
        cm_id.leave(&mc.addr.0);
        drop(guard);
        cleanup_mc_events(&user, &mc);
        MC_TABLE.lock().free_taken(id);
        return Err(e);
    }
    drop(guard);
    MC_TABLE.lock().publish(id, mc);
    Ok(())
}

/// JOIN_IP_MCAST: a full member join of an IP address.
pub(crate) fn join_ip(file: &Arc<File>, inbuf: u64, out_len: usize) -> Result {
    let cmd: bindings::rdma_ucm_join_ip_mcast = shim::read(inbuf)?;
    let size = shim::addr_size_in6(&cmd.addr);
    if size == 0 {
        return Err(EINVAL);
    }
    let mut join = bindings::rdma_ucm_join_mcast::zeroed();
    join.response = cmd.response;
    join.uid = cmd.uid;
    join.id = cmd.id;
    join.addr_size = size as u16;
    join.join_flags = bindings::RDMA_MC_JOIN_FLAG_FULLMEMBER as u16;
    let n = size as usize;
    join.addr.as_bytes_mut()[..n].copy_from_slice(&cmd.addr.as_bytes()[..n]);
    process_join(file, &join, out_len)
}

/// JOIN_MCAST.
pub(crate) fn join(file: &Arc<File>, inbuf: u64, out_len: usize) -> Result {
    let cmd: bindings::rdma_ucm_join_mcast = shim::read(inbuf)?;
    if shim::addr_size_kss(&cmd.addr) == 0 {
        return Err(EINVAL);
    }
    process_join(file, &cmd, out_len)
}

/// LEAVE_MCAST: leaves the join, drops its unread events and says how many the user read.
pub(crate) fn leave(file: &Arc<File>, inbuf: u64, out_len: usize) -> Result {
    if out_len < size_of::<bindings::rdma_ucm_destroy_id_resp>() {
        return Err(ENOSPC);
    }
    let cmd: bindings::rdma_ucm_destroy_id = shim::read(inbuf)?;
    let (mc, user) = {
        let mut table = MC_TABLE.lock();
        let mc = table.get_of(cmd.id, |mc| mc.ctx.is_of(file))?.clone();
        let user = mc.ctx.try_user().ok_or(ENXIO)?;
        table.erase(cmd.id);
        (mc, user)
    };
    {
        let _g = user.mutex.lock();
        user.cm_id().leave(&mc.addr.0);
    }
    cleanup_mc_events(&user, &mc);
    drop(user);
    let resp = bindings::rdma_ucm_destroy_id_resp {
        events_reported: mc.events_reported.load(Ordering::Relaxed) as u32,
    };
    shim::write_all(cmd.response, &resp)
}
