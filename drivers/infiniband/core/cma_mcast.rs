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
//! Each id keeps its joins, in the order they were made, in a field of its own
//! (`rdma_id_private.mcast_rs`, beside C's `mc_list`), so that finding them costs the same
//! however many ids there are; destroying an id leaves its joins newest first, as C does. An
//! id has one join per address at most: a leave names its join by address, so a second join
//! at an address gets `EADDRINUSE` (as in C, with the fix that comes with this piece).
//!
//! [`ffi`] is the piece's C boundary and its only `unsafe` code.

use kernel::{
    new_mutex,
    prelude::*,
    rdma::{
        addr::SockAddr,
        sa::{
            JoinStates,
            SaJoin, //
        },
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
#[cfg(CONFIG_KUNIT = "y")]
mod tests;

use ffi::{
    JoinsSlot,
    PrivId,
    SlotsLocked, //
};
use join::Join;

/// A join as its id keeps it (C's `struct cma_multicast` on `mc_list`). It is left with
/// [`IdJoin::leave`], and never under the lock of [`Joins`]: dropping the SA membership waits
/// for the join's callback, which may run the user's event handler.
struct IdJoin {
    join: Arc<Join>,
    /// The SA's membership of an InfiniBand join; none for RoCE.
    sa: Option<SaJoin<Join>>,
}

impl IdJoin {
    /// Leaves the group (`destroy_mc()`): an InfiniBand join by dropping its SA membership,
    /// which waits for its callback; a RoCE one has none.
    fn leave(self) {
        match self.sa {
            Some(sa) => drop(sa),
            None => self.join.leave_roce(),
        }
    }
}

/// The joins of one id, kept in the id ([`JoinsSlot`]) as C keeps its `mc_list`.
#[derive(Default)]
pub(crate) struct IdJoins {
    /// Joins made, oldest first.
    joins: KVec<IdJoin>,
    /// Joins in flight. `joins` has room for all of them, so that a join the SA or the net
    /// device accepted is always recorded.
    reserved: usize,
}

/// The lock of every id's joins (each id keeps its own, in a [`JoinsSlot`]).
#[pin_data]
pub(crate) struct Joins {
    #[pin]
    slots: Mutex<SlotsLocked>,
}

impl Joins {
    fn new(locked: SlotsLocked) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            slots <- new_mutex!(locked, "cma_mcast::Joins::slots"),
        })
    }

    /// `rdma_join_multicast()` of an id that passed its checks (see [`PrivId`]), whose joins
    /// are in `slot`.
    fn join(
        &self,
        id: PrivId,
        slot: &JoinsSlot<'_>,
        addr: SockAddr,
        join_state: JoinStates,
        context: usize,
    ) -> Result {
        let caps = id
            .device()
            .ok_or(EINVAL)?
            .port_caps(id.cm_id().port_num())?;
        let join = Join::new(id, addr, join_state, context)?;
        self.reserve(slot, &addr)?;
        let r = if caps.is_roce() {
            join.join_roce().map(|()| None)
        } else if caps.has_ib_mcast() {
            join.join_ib().map(Some)
        } else {
            Err(ENOSYS)
        };
        match r {
            Ok(sa) => {
                self.record(slot, Some(IdJoin { join, sa }));
                Ok(())
            }
            Err(e) => {
                self.record(slot, None);
                Err(e)
            }
        }
    }

    /// Makes room for one more join of the id of `slot`, at `addr`. A leave names its join by
    /// address, so the id may not have a join at `addr` already (`EADDRINUSE`): leaving one of
    /// two would end the other's, whose context its user then frees.
    fn reserve(&self, slot: &JoinsSlot<'_>, addr: &SockAddr) -> Result {
        let mut locked = self.slots.lock();
        // A mutex is held: the id's joins may be allocated here.
        let e = slot.get_or_insert(&mut locked, GFP_KERNEL)?;
        if e.joins.iter().any(|j| j.join.addr.matches(addr)) {
            return Err(EADDRINUSE);
        }
        e.joins.reserve(e.reserved + 1, GFP_KERNEL)?;
        e.reserved += 1;
        Ok(())
    }

    /// Ends a join of the id of `slot` that [`Joins::reserve`] made room for: records `join`
    /// if it joined.
    fn record(&self, slot: &JoinsSlot<'_>, join: Option<IdJoin>) {
        let unrecorded = {
            let mut locked = self.slots.lock();
            match slot.get(&mut locked) {
                Some(e) => {
                    e.reserved -= 1;
                    // There is room: `reserve()` made it.
                    join.and_then(|j| e.joins.push_within_capacity(j).err().map(|p| p.0))
                }
                // The slot is emptied only when nothing is in flight (`leave_all()`).
                None => join,
            }
        };
        // A join that cannot be recorded is one whose id was destroyed while it was in flight
        // (`leave_all()` warned of it: rdma_cm's users do not do that); it is left here,
        // outside the lock.
        if let Some(join) = unrecorded {
            kernel::warn_on!(true);
            join.leave();
        }
    }

    /// `rdma_leave_multicast()`: leaves the newest join of the id of `slot` at `addr`, if any.
    fn leave(&self, slot: &JoinsSlot<'_>, addr: &SockAddr) {
        let join = {
            let mut locked = self.slots.lock();
            let Some(e) = slot.get(&mut locked) else {
                return;
            };
            let Some(i) = e.joins.iter().rposition(|j| j.join.addr.matches(addr)) else {
                return;
            };
            e.joins.remove(i).ok()
        };
        if let Some(join) = join {
            join.leave();
        }
    }

    /// `cma_leave_mc_groups()`: leaves every join of the id of `slot`, newest first, and
    /// empties the slot.
    fn leave_all(&self, slot: &JoinsSlot<'_>) {
        let mut joins = {
            let mut locked = self.slots.lock();
            let Some(e) = slot.get(&mut locked) else {
                return;
            };
            let joins = core::mem::take(&mut e.joins);
            // A join in flight while its id is destroyed breaks rdma_cm's rules (that join
            // then touches a freed id): the slot keeps its joins' list, now empty, leaked, for
            // that join's `record()`, and `cma.c` warns again when the id is freed.
            if !kernel::warn_on!(e.reserved != 0) {
                drop(slot.take(&mut locked));
            }
            joins
        };
        while let Some(join) = joins.pop() {
            join.leave();
        }
    }
}
