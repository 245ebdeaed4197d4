// SPDX-License-Identifier: GPL-2.0

//! A multicast group of the interface (`struct ipoib_mcast`), as the join engine sees it.

use super::{
    attempt::Attempt,
    engine::Inner,
    host::Host, //
};
use kernel::{
    prelude::*,
    rdma::{
        sa::McMemberRec,
        Gid, //
    },
    sync::{
        Arc,
        LockedBy,
        SpinLockIrq,
        UniqueArc, //
    },
    time::Jiffies,
};

/// Where an entry's join is.
pub(crate) enum Phase<H: Host> {
    /// No join at the SA in flight.
    Idle,
    /// One join in flight (C's `IPOIB_MCAST_FLAG_BUSY`): `attempt` is signalled when its
    /// answer has been handled, on every path.
    Busy(Arc<Attempt<H>>),
}

/// The state of an entry under the engine's lock.
pub(crate) struct EntryState<H: Host> {
    pub(crate) phase: Phase<H>,
    /// The membership at the SA of the last join (`mcast->mc`): a joined group's, or a failed
    /// join's until the join task or a leave gives it back.
    pub(crate) join: Option<H::Join>,
    /// Whether `join` is a membership (`!IS_ERR_OR_NULL(mcast->mc)`).
    pub(crate) joined: bool,
    /// Whether the QP is attached (`IPOIB_MCAST_FLAG_ATTACHED`).
    pub(crate) attached: bool,
    /// Whether the entry has its address handle (`mcast->ah`): packets go out at once.
    pub(crate) has_ah: bool,
    /// Seconds to wait before the next join, doubled on each failure up to
    /// [`MAX_BACKOFF_SECONDS`](super::engine::MAX_BACKOFF_SECONDS).
    pub(crate) backoff: u16,
    /// No join before this time, in jiffies, once `backoff` is above 1.
    pub(crate) delay_until: Jiffies,
    /// Failures logged, up to 20.
    pub(crate) logcount: u8,
    /// Still in the interface's multicast list (`IPOIB_MCAST_FLAG_FOUND`), for the restart
    /// task.
    pub(crate) found: bool,
    /// The group's record (`mcast->mcmember`): the MGID until joined, the SA's answer after.
    pub(crate) rec: McMemberRec,
}

impl<H: Host> EntryState<H> {
    /// Whether a join is in flight.
    pub(crate) fn busy(&self) -> bool {
        matches!(self.phase, Phase::Busy(_))
    }

    /// Whether the entry holds the membership of a join that failed (the join task gives it
    /// back before joining again).
    pub(crate) fn failed(&self) -> bool {
        !self.joined && !self.busy() && self.join.is_some()
    }

    /// The join in flight.
    pub(crate) fn attempt(&self) -> Option<Arc<Attempt<H>>> {
        match &self.phase {
            Phase::Busy(a) => Some(a.clone()),
            Phase::Idle => None,
        }
    }
}

/// A multicast group of the interface.
pub(crate) struct Entry<H: Host> {
    /// The group.
    pub(crate) mgid: Gid,
    /// A group the interface only sends to, created by the transmit path
    /// (`IPOIB_MCAST_FLAG_SENDONLY`).
    pub(crate) sendonly: bool,
    /// When the entry was made, in jiffies.
    pub(crate) created: Jiffies,
    /// The host's entry: packets, address handle, neighbours.
    pub(crate) mcast: H::Mcast,
    pub(crate) state: LockedBy<EntryState<H>, Inner<H>>,
}

impl<H: Host> Entry<H> {
    /// A new entry for `mgid`, made under the engine's lock `inner` (hence `GFP_ATOMIC`):
    /// `None` if the host or the allocator has no memory. The host's entry is allocated last,
    /// so that a failure frees none under the lock.
    pub(crate) fn new(
        host: &H,
        inner: &SpinLockIrq<Inner<H>>,
        mgid: Gid,
        sendonly: bool,
    ) -> Option<Arc<Self>> {
        let uninit = UniqueArc::<Self>::new_uninit(GFP_ATOMIC).ok()?;
        let mcast = host.alloc(&mgid, sendonly)?;
        let now = host.now();
        let state = LockedBy::new(
            inner,
            EntryState {
                phase: Phase::Idle,
                join: None,
                joined: false,
                attached: false,
                has_ah: false,
                backoff: 1,
                delay_until: now,
                logcount: 0,
                found: false,
                rec: McMemberRec::with_mgid(mgid),
            },
        );
        Some(
            uninit
                .write(Self {
                    mgid,
                    sendonly,
                    created: now,
                    mcast,
                    state,
                })
                .into(),
        )
    }
}
