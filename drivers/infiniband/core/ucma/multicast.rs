// SPDX-License-Identifier: GPL-2.0

//! A join of a context's id (C's `struct ucma_multicast`): JOIN_IP_MCAST, JOIN_MCAST and
//! LEAVE_MCAST.

use super::{
    context::{
        cleanup_mc_events,
        Context, //
    },
    file::File,
    user,
    Tables, //
};
use core::{
    mem::size_of,
    sync::atomic::{
        AtomicI32,
        Ordering, //
    },
};
use kernel::{
    bindings,
    list::{
        AtomicTracker,
        ListArc,
        ListLinks,
        SetSlot,
        TryNewListArc, //
    },
    prelude::*,
    rdma::{
        addr::SockAddr,
        sa::{
            JoinState,
            JoinStates, //
        },
        ucm::JoinMcast,
    },
    sync::{
        Arc,
        ArcBorrow, //
    },
};

/// A join.
///
/// rdma_cm hands `Arc::as_ptr()` of the join back in its events until the join is left or its
/// id destroyed; until then an `Arc` of it is held: by the command that joins, then by the id
/// table, then by the command that leaves (or by the table until the context's id is destroyed,
/// see `destroy_private()`). The context's list of joins holds one more from the join's start
/// until it is left or its context destroyed.
#[pin_data]
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
    pub(crate) addr: SockAddr,
    /// The join's place on its context's list of joins (C's `ucma_multicast.list`).
    #[pin]
    links: ListLinks,
    #[pin]
    links_track: AtomicTracker,
    /// Whether its context's list holds the join.
    slot: SetSlot,
}

kernel::list::impl_list_arc_safe! {
    impl ListArcSafe<0> for Multicast {
        tracked_by links_track: AtomicTracker;
    }
}

kernel::list::impl_list_item! {
    impl ListItem<0> for Multicast {
        using ListLinks { self.links };
    }
}

kernel::impl_has_set_slot! {
    impl HasSetSlot<0> for Multicast { self.slot }
}

/// `ucma_process_join()`.
fn process_join(file: ArcBorrow<'_, File>, cmd: &JoinMcast, out_len: usize) -> Result {
    if out_len < size_of::<bindings::rdma_ucm_create_id_resp>() {
        return Err(ENOSPC);
    }
    let size = cmd.addr.addr_size();
    if usize::from(cmd.addr_size) != size {
        return Err(EINVAL);
    }
    let join_state: JoinStates = match u32::from(cmd.join_flags) {
        bindings::RDMA_MC_JOIN_FLAG_FULLMEMBER => JoinState::Full.into(),
        bindings::RDMA_MC_JOIN_FLAG_SENDONLY_FULLMEMBER => JoinState::SendOnlyFull.into(),
        _ => return Err(EINVAL),
    };
    let user = Context::get_dev(file, cmd.id)?;
    let tables = &file.tables;
    let id = Tables::reserve(&tables.mcs)?;
    let ctx = user.ctx().clone();
    let listed = match ListArc::pin_init(
        try_pin_init!(Multicast {
            ctx,
            id,
            events_reported: AtomicI32::new(0),
            uid: cmd.uid,
            addr: SockAddr::from_bytes(&cmd.addr.storage()[..size]),
            links <- ListLinks::new(),
            links_track <- AtomicTracker::new(),
            slot: SetSlot::new(),
        }? Error),
        GFP_KERNEL,
    ) {
        Ok(listed) => listed,
        Err(e) => {
            tables.mcs.lock().remove(id as usize);
            return Err(e);
        }
    };
    let mc = listed.clone_arc();
    user.add_join(listed);
    let cm_id = user.lock();
    if let Err(e) = cm_id.join(&mc, join_state) {
        drop(cm_id);
        user.remove_join(&mc);
        tables.mcs.lock().remove(id as usize);
        return Err(e);
    }
    let resp = bindings::rdma_ucm_create_id_resp { id };
    if let Err(e) = user::write(cmd.response, &resp) {
        cm_id.leave(&mc.addr);
        drop(cm_id);
        cleanup_mc_events(&user, &mc);
        user.remove_join(&mc);
        tables.mcs.lock().remove(id as usize);
        return Err(e);
    }
    drop(cm_id);
    // Replacing a reserved id allocates nothing.
    let _ = tables.mcs.lock().store(id as usize, mc, GFP_ATOMIC);
    Ok(())
}

/// JOIN_IP_MCAST: a full member join of an IP address.
pub(crate) fn join_ip(file: ArcBorrow<'_, File>, inbuf: u64, out_len: usize) -> Result {
    let cmd: bindings::rdma_ucm_join_ip_mcast = user::read(inbuf)?;
    // `rdma_addr_size_in6()`: the family's size, which must fit a `sockaddr_in6`.
    let addr = SockAddr::from_sockaddr(&cmd.addr);
    let size = addr.addr_size();
    if size == 0 || size > size_of::<bindings::sockaddr_in6>() {
        return Err(EINVAL);
    }
    let join = JoinMcast {
        response: cmd.response,
        uid: cmd.uid,
        id: cmd.id,
        addr_size: size as u16,
        join_flags: bindings::RDMA_MC_JOIN_FLAG_FULLMEMBER as u16,
        addr,
    };
    process_join(file, &join, out_len)
}

/// JOIN_MCAST.
pub(crate) fn join(file: ArcBorrow<'_, File>, inbuf: u64, out_len: usize) -> Result {
    let cmd: JoinMcast = user::read(inbuf)?;
    if cmd.addr.addr_size() == 0 {
        return Err(EINVAL);
    }
    process_join(file, &cmd, out_len)
}

/// LEAVE_MCAST: leaves the join, drops its unread events and says how many the user read.
pub(crate) fn leave(file: ArcBorrow<'_, File>, inbuf: u64, out_len: usize) -> Result {
    if out_len < size_of::<bindings::rdma_ucm_destroy_id_resp>() {
        return Err(ENOSPC);
    }
    let cmd: bindings::rdma_ucm_destroy_id = user::read(inbuf)?;
    let (mc, user) = {
        let mut table = file.tables.mcs.lock();
        let mc: Arc<Multicast> = table.get(cmd.id as usize).ok_or(ENOENT)?.into();
        if !mc.ctx.is_of(&file) {
            return Err(EINVAL);
        }
        let user = mc.ctx.try_user().ok_or(ENXIO)?;
        drop(table.remove(cmd.id as usize));
        (mc, user)
    };
    user.remove_join(&mc);
    user.lock().leave(&mc.addr);
    cleanup_mc_events(&user, &mc);
    drop(user);
    let resp = bindings::rdma_ucm_destroy_id_resp {
        events_reported: mc.events_reported.load(Ordering::Relaxed) as u32,
    };
    user::write(cmd.response, &resp)
}
