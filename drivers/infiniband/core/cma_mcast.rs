// SPDX-License-Identifier: GPL-2.0

//! rdma_cm multicast: the Rust implementation of `rdma_join_multicast()`,
//! `rdma_leave_multicast()` and the leave of all joins of a destroyed id
//! (`cma_leave_mc_groups()`), selected by `rdma_cm.mcast_impl=rust`.
//!
//! - [`addr`]: the address of a join and the MGID derived from it, per port space (the RDMA
//!   CM signature of `RDMA_PS_UDP` against IPoIB's), per RoCE GID type (v1, v2) and for IPv6
//!   and SA-assigned MGIDs;
//! - [`qkey`]: the Q_Key rules of UD ids;
//! - [`mc::Mc`]: a join, its InfiniBand path (through `ib_sa_join_multicast()`, whose answer
//!   sets the id's Q_Key and makes the join event), its RoCE path (IGMP on the net device for
//!   IPv4 groups of RoCE v2, the join event made at once and delivered from rdma_cm's queue),
//!   and its leave, which waits for a join event being delivered and drops one not delivered
//!   yet, so that nothing reaches a user after its leave (or its id's destruction) returned.
//!
//! The joins of each id are kept here, by id, in the order they were made; destroying an id
//! leaves its joins newest first, as C does. An id has one join per address at most: a leave
//! names its join by address, so a second join at an address gets `EADDRINUSE` (as in C, with
//! the fix that comes with this piece).

use core::ffi::{c_int, c_void};
use kernel::{
    bindings, new_mutex,
    prelude::*,
    rbtree::{RBTree, RBTreeNodeReservation},
    sync::{Arc, Mutex},
};

mod addr;
mod mc;
mod qkey;
mod shim;
#[cfg(CONFIG_KUNIT)]
mod tests;

use addr::McAddr;
use mc::Mc;
use shim::CmId;

/// The joins of one id.
#[derive(Default)]
struct IdJoins {
    /// Joins made, oldest first.
    joins: KVec<Arc<Mc>>,
    /// Joins in flight. `joins` has room for all of them, so that a join the SA or the net
    /// device accepted is always recorded.
    reserved: usize,
}

/// The joins of every id that has some.
#[pin_data]
pub(crate) struct Joins {
    #[pin]
    ids: Mutex<RBTree<usize, IdJoins>>,
}

impl Joins {
    fn new() -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            ids <- new_mutex!(RBTree::new(), "cma_mcast::Joins::ids"),
        })
    }

    /// `rdma_join_multicast()`.
    fn join(&self, id: CmId, addr: McAddr, join_state: u8, context: usize) -> Result {
        // rdma_cm does not join for kernel QPs.
        if kernel::warn_on!(id.has_qp()) {
            return Err(EINVAL);
        }
        let Some(dev) = id.device() else {
            return Err(EINVAL);
        };
        if !id.addr_ready() || !id.is_ud() {
            return Err(EINVAL);
        }
        let caps = dev.port_caps(id.port())?;
        let mc = Mc::new(id, addr, join_state, context)?;
        self.reserve(id, &addr)?;
        let r = if caps.is_roce() {
            mc.join_roce()
        } else if caps.has_ib_mcast() {
            mc.join_ib()
        } else {
            Err(ENOSYS)
        };
        self.record(id, r.is_ok().then_some(mc));
        r
    }

    /// Makes room for one more join of `id`, at `addr`. A leave names its join by address,
    /// so `id` may not have a join at `addr` already (`EADDRINUSE`): leaving one of two
    /// would end the other's, whose context its user then frees.
    fn reserve(&self, id: CmId, addr: &McAddr) -> Result {
        let mut ids = self.ids.lock();
        let e = match ids.entry(id.key()) {
            kernel::rbtree::Entry::Occupied(o) => o.into_mut(),
            // A mutex is held: the node may be allocated here, on a miss only.
            kernel::rbtree::Entry::Vacant(v) => {
                v.insert(IdJoins::default(), RBTreeNodeReservation::new(GFP_KERNEL)?)
            }
        };
        if e.joins.iter().any(|m| m.addr.matches(addr)) {
            return Err(EADDRINUSE);
        }
        let r = e.joins.reserve(e.reserved + 1, GFP_KERNEL);
        if r.is_ok() {
            e.reserved += 1;
        } else if e.joins.is_empty() && e.reserved == 0 {
            ids.remove(&id.key());
        }
        Ok(r?)
    }

    /// Ends a join of `id` that [`Joins::reserve`] made room for: records `mc` if it joined.
    fn record(&self, id: CmId, mc: Option<Arc<Mc>>) {
        let mut ids = self.ids.lock();
        let Some(e) = ids.get_mut(&id.key()) else {
            return;
        };
        e.reserved -= 1;
        if let Some(mc) = mc {
            // There is room: `reserve()` made it.
            let _ = e.joins.push_within_capacity(mc);
        }
        if e.joins.is_empty() && e.reserved == 0 {
            ids.remove(&id.key());
        }
    }

    /// `rdma_leave_multicast()`: leaves the newest join of `id` at `addr`, if any.
    fn leave(&self, id: CmId, addr: &McAddr) {
        let mc = {
            let mut ids = self.ids.lock();
            let Some(e) = ids.get_mut(&id.key()) else {
                return;
            };
            let Some(i) = e.joins.iter().rposition(|m| m.addr.matches(addr)) else {
                return;
            };
            let mc = e.joins.remove(i).ok();
            if e.joins.is_empty() && e.reserved == 0 {
                ids.remove(&id.key());
            }
            mc
        };
        if let Some(mc) = mc {
            mc.leave();
        }
    }

    /// `cma_leave_mc_groups()`: leaves every join of `id`, newest first.
    fn leave_all(&self, id: CmId) {
        let joins = {
            let mut ids = self.ids.lock();
            match ids.get_mut(&id.key()) {
                Some(e) => {
                    let joins = core::mem::take(&mut e.joins);
                    if e.reserved == 0 {
                        ids.remove(&id.key());
                    }
                    joins
                }
                None => return,
            }
        };
        for mc in joins.iter().rev() {
            mc.leave();
        }
    }
}

/// Starts the piece (`cma_init()`): stores the joins' table in `*state`.
///
/// # Safety
///
/// `state` is valid for a write.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_cma_mcast_init(state: *mut *mut c_void) -> c_int {
    match KBox::pin_init(Joins::new(), GFP_KERNEL) {
        Ok(j) => {
            // SAFETY: The table is only ever used pinned, through the pointer C keeps, and
            // taken back by `rdma_rs_cma_mcast_exit()`.
            let raw = KBox::into_raw(unsafe { Pin::into_inner_unchecked(j) });
            // SAFETY: The caller passes a pointer valid for a write.
            unsafe { *state = raw.cast() };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// Stops the piece (`cma_cleanup()`); every id is gone by then.
///
/// # Safety
///
/// `state` is what [`rdma_rs_cma_mcast_init`] stored, not used afterwards.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_cma_mcast_exit(state: *mut c_void) {
    // SAFETY: `state` came from `KBox::into_raw()` in `rdma_rs_cma_mcast_init()`.
    drop(unsafe { KBox::from_raw(state.cast::<Joins>()) });
}

/// Borrows the table C keeps.
///
/// # Safety
///
/// `state` is what [`rdma_rs_cma_mcast_init`] stored, and the piece is running.
unsafe fn joins<'a>(state: *mut c_void) -> &'a Joins {
    // SAFETY: The caller guarantees a live table.
    unsafe { &*state.cast::<Joins>() }
}

/// `rdma_join_multicast()`.
///
/// # Safety
///
/// `state` as for [`joins`]; `id` a live id of rdma_cm; `addr` a `struct sockaddr` of at least
/// `rdma_addr_size()` bytes.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_cma_join_multicast(
    state: *mut c_void,
    id: *mut bindings::rdma_cm_id,
    addr: *const bindings::sockaddr,
    join_state: u8,
    context: *mut c_void,
) -> c_int {
    // SAFETY: The caller passes a live id; rdma_cm leaves its joins before freeing it.
    let Some(id) = (unsafe { CmId::from_raw(id) }) else {
        return EINVAL.to_errno();
    };
    // SAFETY: The caller passes a valid address.
    let addr = unsafe { shim::addr_from_raw(addr) };
    // SAFETY: The caller passes the live table.
    let joins = unsafe { joins(state) };
    match joins.join(id, addr, join_state, context as usize) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `rdma_leave_multicast()`.
///
/// # Safety
///
/// As for [`rdma_rs_cma_join_multicast`].
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_cma_leave_multicast(
    state: *mut c_void,
    id: *mut bindings::rdma_cm_id,
    addr: *const bindings::sockaddr,
) {
    // SAFETY: The caller passes a live id.
    let Some(id) = (unsafe { CmId::from_raw(id) }) else {
        return;
    };
    // SAFETY: The caller passes a valid address.
    let addr = unsafe { shim::addr_from_raw(addr) };
    // SAFETY: The caller passes the live table.
    unsafe { joins(state) }.leave(id, &addr);
}

/// `cma_leave_mc_groups()`, when an id is destroyed.
///
/// # Safety
///
/// `state` as for [`joins`]; `id` a live id of rdma_cm.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_cma_leave_mc_groups(
    state: *mut c_void,
    id: *mut bindings::rdma_cm_id,
) {
    // SAFETY: The caller passes a live id.
    if let Some(id) = unsafe { CmId::from_raw(id) } {
        // SAFETY: The caller passes the live table.
        unsafe { joins(state) }.leave_all(id);
    }
}
