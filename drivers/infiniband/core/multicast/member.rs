// SPDX-License-Identifier: GPL-2.0

//! A user's join of a group (`struct mcast_member`).

use super::{
    ffi::{
        self,
        SaClientRef,
        UserRef, //
    },
    group::{
        Group,
        GroupInner, //
    },
};
use kernel::{
    list::{
        AtomicTracker,
        ListLinks,
        SetSlot,
        TryNewListArc, //
    },
    prelude::*,
    rdma::sa::{
        JoinStates,
        McMemberComps,
        McMemberRec,
        SaMulticast, //
    },
    sync::{
        atomic::Atomic,
        Arc,
        Completion,
        LockedBy,
        Refcount, //
    },
};

/// Where a member is in its group's processing (`enum mcast_state`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Phase {
    /// Queued or being joined.
    Joining,
    /// Joined: counted in the group's membership.
    Member,
    /// Its join was reset by a port event.
    Error,
}

/// The queues of a group, as indexes of its [`ListSet`](kernel::list::ListSet).
pub(crate) const PENDING: usize = 0;
/// Joined members.
pub(crate) const ACTIVE: usize = 1;

/// The state of a member guarded by its group's lock.
pub(crate) struct MemberState {
    pub(crate) phase: Phase,
    /// The sequence number of the member's last queueing.
    pub(crate) seq: u64,
}

/// A user's join of a group.
///
/// The user holds one reference, given out as the pointer to `mc` by `ib_sa_join_multicast()`
/// and given back by `ib_sa_free_multicast()` or by a non-zero return of the callback. The
/// group's queues hold another while the member is on one.
#[pin_data(PinnedDrop)]
pub(crate) struct Member {
    /// What the user sees.
    pub(crate) mc: SaMulticast,
    /// The requested record (a copy: `mc`'s record becomes the group's when joined).
    pub(crate) req: McMemberRec,
    pub(crate) comp: McMemberComps,
    pub(crate) group: Arc<Group>,
    pub(crate) state: LockedBy<MemberState, GroupInner>,
    /// Callbacks in progress plus the user's claim (`mcast_member.refcount`): freeing waits
    /// until it drops to zero.
    busy: Refcount,
    #[pin]
    idle: Completion,
    /// Whether a callback runs, or the user gave the member back in one
    /// ([`ffi::call_user`]).
    pub(super) callback: Atomic<i32>,
    _client: Option<SaClientRef>,
    /// The member's place on its group's queues (`mcast_member.list`).
    #[pin]
    links: ListLinks,
    #[pin]
    links_track: AtomicTracker,
    /// Which queue holds the member.
    slot: SetSlot,
}

kernel::list::impl_list_arc_safe! {
    impl ListArcSafe<0> for Member {
        tracked_by links_track: AtomicTracker;
    }
}

kernel::list::impl_list_item! {
    impl ListItem<0> for Member {
        using ListLinks { self.links };
    }
}

kernel::impl_has_set_slot! {
    impl HasSetSlot<0> for Member { self.slot }
}

impl Member {
    /// A new member of `group` for the user's `mc`, on no queue yet.
    pub(crate) fn new(
        group: Arc<Group>,
        mc: SaMulticast,
        req: McMemberRec,
        comp: McMemberComps,
        client: Option<SaClientRef>,
        flags: kernel::alloc::Flags,
    ) -> Result<Arc<Self>> {
        let state = LockedBy::new(
            &group.inner,
            MemberState {
                phase: Phase::Joining,
                seq: 0,
            },
        );
        let port = group.port.clone();
        let m = Arc::pin_init(
            try_pin_init!(Self {
                mc,
                req,
                comp,
                group,
                state,
                busy: Refcount::new(1),
                idle <- Completion::new(),
                callback: Atomic::new(ffi::CALLBACK_IDLE),
                _client: client,
                links <- ListLinks::new(),
                links_track <- AtomicTracker::new(),
                slot: SetSlot::new(),
            }? Error),
            flags,
        )?;
        port.stats.member_born();
        Ok(m)
    }

    /// The requested join state.
    pub(crate) fn join_state(&self) -> JoinStates {
        self.req.join_state()
    }

    /// Holds `m` for a callback (the work handler's `atomic_inc(&member->refcount)`), if it is
    /// on one of its group's queues: a member its user has freed is on neither, and freeing
    /// waits for the holds taken before.
    pub(crate) fn hold_queued(m: &Arc<Self>, g: &GroupInner) -> Option<CallbackHold> {
        g.queues.which(m)?;
        m.busy.inc();
        // INVARIANT: Taken above, while `m` is on a queue of its group, under its lock (`g`).
        Some(CallbackHold(m.clone()))
    }

    /// Ends a callback or the user's claim (`deref_member()`).
    fn unhold(&self) {
        if self.busy.dec_and_test() {
            self.idle.complete_all();
        }
    }

    /// Calls the user's callback with `status`, after publishing `rec` (if any) as the record
    /// the user reads in it, and drops `hold`; if the user gives its reference back (the
    /// callback returned non-zero), frees the member for it.
    pub(crate) fn call_back(hold: CallbackHold, status: Result, rec: Option<&McMemberRec>) {
        ffi::call_user(hold, status, rec);
    }

    /// Frees the member for its user (`ib_sa_free_multicast()`): leaves the group, waits for
    /// callbacks in progress, drops the user's reference.
    pub(crate) fn free(user: UserRef) {
        let this = user.into_member();
        let group = this.group.clone();
        group.remove_member(&this);
        this.unhold();
        this.idle.wait_for_completion();
    }
}

#[pinned_drop]
impl PinnedDrop for Member {
    fn drop(self: Pin<&mut Self>) {
        self.group.port.stats.member_died();
    }
}

/// A callback about to run on a member, or running (`atomic_inc(&member->refcount)` of the work
/// handler): freeing the member waits until this is dropped.
///
/// # Invariants
///
/// Holds one count of the member's `busy`, taken while the member was on one of its group's
/// queues, under the group's lock: its user had not freed it then.
pub(crate) struct CallbackHold(Arc<Member>);

impl CallbackHold {
    /// The member.
    pub(crate) fn member(&self) -> &Arc<Member> {
        &self.0
    }
}

impl Drop for CallbackHold {
    fn drop(&mut self) {
        self.0.unhold();
    }
}
