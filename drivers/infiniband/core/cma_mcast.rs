// SPDX-License-Identifier: GPL-2.0

//! rdma_cm multicast: the Rust implementation of `rdma_join_multicast()`,
//! `rdma_leave_multicast()` and the leave of all joins of a destroyed id
//! (`cma_leave_mc_groups()`), selected by `rdma_cm.mcast_impl=rust`.
//!
//! - [`addr`]: the address of a join and the MGID derived from it, per port space (the RDMA
//!   CM signature of `RDMA_PS_UDP` against IPoIB's), per RoCE GID type (v1, v2) and for IPv6
//!   and SA-assigned MGIDs;
//! - [`qkey`]: the Q_Key rules of UD ids;
//! - [`join::Join`]: a join, its InfiniBand path (through `ib_sa_join_multicast()`, whose answer
//!   sets the id's Q_Key and makes the join event), its RoCE path (IGMP on the net device for
//!   IPv4 groups of RoCE v2, the join event made at once and delivered from rdma_cm's queue),
//!   and its leave, which waits for a join event being delivered and drops one not delivered
//!   yet, so that nothing reaches a user after its leave (or its id's destruction) returned.
//!
//! The joins of each id are kept here, by id, in the order they were made; destroying an id
//! leaves its joins newest first, as C does. An id has one join per address at most: a leave
//! names its join by address, so a second join at an address gets `EADDRINUSE` (as in C, with
//! the fix that comes with this piece).
//!
//! [`ffi`] is the piece's C boundary and its only `unsafe` code.

use kernel::{
    new_mutex,
    prelude::*,
    rbtree::{
        Entry,
        RBTree,
        RBTreeNodeReservation, //
    },
    rdma::{
        addr::SockAddr,
        sa::JoinStates, //
    },
    sync::{
        Arc,
        Mutex, //
    },
};

mod addr;
mod ffi;
mod join;
mod qkey;
#[cfg(CONFIG_KUNIT)]
mod tests;

use ffi::PrivId;
use join::Join;

/// The joins of one id.
#[derive(Default)]
struct IdJoins {
    /// Joins made, oldest first.
    joins: KVec<Arc<Join>>,
    /// Joins in flight. `joins` has room for all of them, so that a join the SA or the net
    /// device accepted is always recorded.
    reserved: usize,
}

/// The joins of every id that has some, by id.
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

    /// `rdma_join_multicast()` of an id that passed its checks (see [`PrivId`]).
    fn join(&self, id: PrivId, addr: SockAddr, join_state: JoinStates, context: usize) -> Result {
        let caps = id
            .device()
            .ok_or(EINVAL)?
            .port_caps(id.cm_id().port_num())?;
        let key = id.key();
        let join = Join::new(id, addr, join_state, context)?;
        self.reserve(key, &addr)?;
        let r = if caps.is_roce() {
            join.join_roce()
        } else if caps.has_ib_mcast() {
            join.join_ib()
        } else {
            Err(ENOSYS)
        };
        self.record(key, r.is_ok().then_some(join));
        r
    }

    /// Makes room for one more join of the id `key`, at `addr`. A leave names its join by
    /// address, so the id may not have a join at `addr` already (`EADDRINUSE`): leaving one of
    /// two would end the other's, whose context its user then frees.
    fn reserve(&self, key: usize, addr: &SockAddr) -> Result {
        let mut ids = self.ids.lock();
        let e = match ids.entry(key) {
            Entry::Occupied(o) => o.into_mut(),
            // A mutex is held: the node may be allocated here, on a miss only.
            Entry::Vacant(v) => {
                v.insert(IdJoins::default(), RBTreeNodeReservation::new(GFP_KERNEL)?)
            }
        };
        if e.joins.iter().any(|j| j.addr.matches(addr)) {
            return Err(EADDRINUSE);
        }
        let r = e.joins.reserve(e.reserved + 1, GFP_KERNEL);
        if r.is_ok() {
            e.reserved += 1;
        } else if e.joins.is_empty() && e.reserved == 0 {
            ids.remove(&key);
        }
        Ok(r?)
    }

    /// Ends a join of the id `key` that [`Joins::reserve`] made room for: records `join` if it
    /// joined.
    fn record(&self, key: usize, join: Option<Arc<Join>>) {
        let mut ids = self.ids.lock();
        let Some(e) = ids.get_mut(&key) else {
            return;
        };
        e.reserved -= 1;
        if let Some(join) = join {
            // There is room: `reserve()` made it.
            let _ = e.joins.push_within_capacity(join);
        }
        if e.joins.is_empty() && e.reserved == 0 {
            ids.remove(&key);
        }
    }

    /// `rdma_leave_multicast()`: leaves the newest join of the id `key` at `addr`, if any.
    fn leave(&self, key: usize, addr: &SockAddr) {
        let join = {
            let mut ids = self.ids.lock();
            let Some(e) = ids.get_mut(&key) else {
                return;
            };
            let Some(i) = e.joins.iter().rposition(|j| j.addr.matches(addr)) else {
                return;
            };
            let join = e.joins.remove(i).ok();
            if e.joins.is_empty() && e.reserved == 0 {
                ids.remove(&key);
            }
            join
        };
        if let Some(join) = join {
            join.leave();
        }
    }

    /// `cma_leave_mc_groups()`: leaves every join of the id `key`, newest first.
    fn leave_all(&self, key: usize) {
        let joins = {
            let mut ids = self.ids.lock();
            match ids.get_mut(&key) {
                Some(e) => {
                    let joins = core::mem::take(&mut e.joins);
                    if e.reserved == 0 {
                        ids.remove(&key);
                    }
                    joins
                }
                None => return,
            }
        };
        for join in joins.iter().rev() {
            join.leave();
        }
    }
}
