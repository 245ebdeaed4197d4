// SPDX-License-Identifier: GPL-2.0

//! A user's join of a group (`struct mcast_member`).

use super::{
    ffi::{
        self,
        SaClientRef, //
    },
    group::{
        Group,
        GroupInner, //
    },
};
use core::{
    mem::ManuallyDrop,
    ptr::NonNull, //
};
use kernel::{
    list::{
        AtomicTracker,
        ListArc,
        ListLinks,
        SetSlot,
        TryNewListArc, //
    },
    prelude::*,
    rdma::sa::{
        JoinStates,
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

/// The state of a member guarded by its group's lock, private to this file.
///
/// # Invariants
///
/// `phase` never returns to [`Phase::Joining`] once it has left it.
pub(crate) struct MemberState {
    phase: Phase,
    /// The sequence number of the member's last queueing.
    seq: u64,
}

/// A user's join of a group.
///
/// The user holds one reference, given out as the pointer to `mc` by `ib_sa_join_multicast()`
/// and given back by `ib_sa_free_multicast()` or by a non-zero return of the callback, as a
/// [`UserRef`]. The group's queues hold another while the member is on one. A callback holds a
/// count of `busy` ([`CallbackHold`]), not a reference: the user's reference outlives it.
///
/// # Invariants
///
/// `mc`'s record is written (by [`ffi::call_user_joined`]) only with a [`Joined`] of the member,
/// made by [`CallbackHold::join`] when `state`'s phase left [`Phase::Joining`] under the group's
/// lock, which it never returns to.
#[pin_data(PinnedDrop)]
pub(crate) struct Member {
    /// What the user sees: while the member joins, its record is the requested one (read by
    /// [`ffi::requested_rec`]); once joined, the group's, with the member's join state.
    pub(crate) mc: SaMulticast,
    /// The requested join state.
    join_state: JoinStates,
    pub(crate) group: Arc<Group>,
    state: LockedBy<MemberState, GroupInner>,
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
    /// A new member of `group` for the user's `mc`, on no queue yet: the reference its queues
    /// will hold.
    pub(crate) fn new(
        group: Arc<Group>,
        mc: SaMulticast,
        join_state: JoinStates,
        client: Option<SaClientRef>,
        flags: kernel::alloc::Flags,
    ) -> Result<ListArc<Self>> {
        let state = LockedBy::new(
            &group.inner,
            MemberState {
                phase: Phase::Joining,
                seq: 0,
            },
        );
        let m = ListArc::pin_init(
            try_pin_init!(Self {
                mc,
                join_state,
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
        m.group.port.stats.member_born();
        Ok(m)
    }

    /// The requested join state.
    pub(crate) fn join_state(&self) -> JoinStates {
        self.join_state
    }

    /// Holds `m` for a callback (the work handler's `atomic_inc(&member->refcount)`), if it is
    /// on one of its group's queues: a member its user has freed is on neither, and freeing
    /// waits for the holds taken before.
    pub(crate) fn hold_queued(m: &Self, g: &GroupInner) -> Option<CallbackHold> {
        g.queues.which(m)?;
        m.busy.inc();
        // INVARIANT: Taken above, while `m` is on a queue of its group, under its lock (`g`).
        Some(CallbackHold(NonNull::from(m)))
    }

    /// Ends a callback or the user's claim (`deref_member()`).
    fn unhold(&self) {
        release_busy(&self.busy, &self.idle);
    }

    /// Calls the user's callback with `status` and drops `hold`; if the user gives its reference
    /// back (the callback returned non-zero), frees the member for it.
    pub(crate) fn call_back(hold: CallbackHold, status: Result) {
        ffi::call_user(hold, status);
    }

    /// Calls the user's callback of a join that succeeded, after publishing its record.
    pub(crate) fn call_back_joined(joined: Joined) {
        ffi::call_user_joined(joined);
    }

    /// Where the member is in its group's processing (under the group's lock `g`).
    pub(crate) fn phase(&self, g: &GroupInner) -> Phase {
        self.state.access(g).phase
    }

    /// Its join was reset by a port event (under the group's lock `g`).
    pub(crate) fn set_error(&self, g: &mut GroupInner) {
        self.state.access_mut(g).phase = Phase::Error;
    }

    /// The sequence number of its last queueing (under the group's lock `g`).
    pub(crate) fn seq(&self, g: &GroupInner) -> u64 {
        self.state.access(g).seq
    }

    /// Gives its queueing the sequence number `seq` (under the group's lock `g`).
    pub(crate) fn set_seq(&self, g: &mut GroupInner, seq: u64) {
        self.state.access_mut(g).seq = seq;
    }

    /// Frees the member for its user (`ib_sa_free_multicast()`): dropping the user's reference
    /// does it.
    pub(crate) fn free(user: UserRef) {
        drop(user);
    }
}

/// Drops one count of a member's `busy` and, if it was the last, wakes the free waiting on its
/// `idle`. It takes the two fields rather than the member: once the count is dropped, another
/// thread may free the member while a `&Member` argument would still be live here (the fields
/// are C objects in `Opaque`, which allows that).
fn release_busy(busy: &Refcount, idle: &Completion) {
    if busy.dec_and_test() {
        idle.complete_all();
    }
}

/// The user's reference of a member: the one that `ib_sa_join_multicast()` handed out as the
/// pointer to its `mc`, given back. Dropping it frees the member for its user
/// (`ib_sa_free_multicast()`), and sleeps: the member leaves its group, the callbacks in
/// progress end, and only then does the reference go, which is what keeps a
/// [`CallbackHold`]'s member alive.
///
/// # Invariants
///
/// `0` is the user's reference of its member, which the user no longer uses; it is dropped
/// only by this type's drop, once the member's `busy` is zero.
pub(crate) struct UserRef(ManuallyDrop<Arc<Member>>);

impl UserRef {
    /// The user's reference `m`, given back.
    ///
    /// # Safety
    ///
    /// `m` must be the reference handed out to the member's user, whose user is giving it up:
    /// no other `UserRef` of the member exists, before or after.
    pub(crate) unsafe fn new(m: Arc<Member>) -> Self {
        // INVARIANT: The user's reference, given up (the caller's guarantee).
        Self(ManuallyDrop::new(m))
    }
}

impl Drop for UserRef {
    fn drop(&mut self) {
        let this: &Member = &self.0;
        this.group.remove_member(this);
        this.unhold();
        this.idle.wait_for_completion();
        // SAFETY: `busy` is zero: no `CallbackHold` of the member is left, and none is taken
        // any more (the member is on no queue). The reference is taken once, here.
        drop(unsafe { ManuallyDrop::take(&mut self.0) });
    }
}

#[pinned_drop]
impl PinnedDrop for Member {
    fn drop(self: Pin<&mut Self>) {
        self.group.port.stats.member_died();
    }
}

/// A held member's successful join, whose callback publishes `rec`.
///
/// # Invariants
///
/// Made by [`CallbackHold::join`]: the held member left [`Phase::Joining`] under its group's
/// lock, and never returns to it.
pub(crate) struct Joined {
    hold: CallbackHold,
    rec: McMemberRec,
}

impl Joined {
    /// The member.
    pub(crate) fn member(&self) -> &Member {
        self.hold.member()
    }

    /// The hold and the record to publish.
    pub(super) fn into_parts(self) -> (CallbackHold, McMemberRec) {
        (self.hold, self.rec)
    }
}

/// A callback about to run on a member, or running (`atomic_inc(&member->refcount)` of the work
/// handler): freeing the member waits until this is dropped.
///
/// # Invariants
///
/// `0` is a member of which this holds one count of `busy`, taken while the member was on one
/// of its group's queues, under the group's lock: its user had not freed it then. A member is
/// queued only while its user holds a reference ([`super::group::Group::queue_join`]), which
/// its [`UserRef`] lets go only once `busy` is zero, so the member lives while this does.
pub(crate) struct CallbackHold(NonNull<Member>);

// SAFETY: A hold gives access to `&Member` only, and `Member` is `Send` and `Sync`; dropping it
// from any thread only drops a count.
unsafe impl Send for CallbackHold {}

impl CallbackHold {
    /// The member.
    pub(crate) fn member(&self) -> &Member {
        // SAFETY: The member lives while the hold does (type invariant).
        unsafe { self.0.as_ref() }
    }

    /// Makes the held member a member of its group (`Phase::Member`, under the group's lock
    /// `g`) if it is joining; `rec` is the record its callback then publishes. Gives the hold
    /// back if the member is not joining.
    pub(crate) fn join(self, g: &mut GroupInner, rec: McMemberRec) -> Result<Joined, Self> {
        let state = self.member().state.access_mut(g);
        if state.phase != Phase::Joining {
            return Err(self);
        }
        state.phase = Phase::Member;
        // INVARIANT: The member left `Phase::Joining` just now, under its group's lock; no setter
        // of this file takes it back there.
        Ok(Joined { hold: self, rec })
    }
}

impl Drop for CallbackHold {
    fn drop(&mut self) {
        let m = self.0.as_ptr();
        // SAFETY: The member lives while the count is held (type invariant). The fields are
        // reached through the pointer, without a `&Member`: the member may be freed as soon as
        // the count is dropped.
        let (busy, idle) = unsafe { (&(*m).busy, &(*m).idle) };
        release_busy(busy, idle);
    }
}
