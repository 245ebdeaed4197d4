// SPDX-License-Identifier: GPL-2.0

//! A user's join of a group (`struct mcast_member`).

use super::{
    group::{Group, GroupInner},
    shim::SaClientRef,
};
use core::ffi::c_int;
use kernel::{
    list::{AtomicTracker, ListArc, ListLinks, TryNewListArc},
    prelude::*,
    rdma::sa::{CompMask, McMemberRec, SaMulticast},
    sync::{Arc, Completion, LockedBy, Refcount},
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

/// Which list of its group holds the member.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Where {
    /// None.
    Nowhere,
    /// `pending`: waiting to be joined, the head one being joined.
    Pending,
    /// `active`: joined.
    Active,
}

/// The state of a member guarded by its group's lock.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MemberState {
    pub(crate) phase: Phase,
    pub(crate) list: Where,
}

/// A user's join of a group.
///
/// The user holds one reference, given out as the pointer to `mc` by `ib_sa_join_multicast()`
/// and given back by `ib_sa_free_multicast()` or by a non-zero return of the callback. The
/// group's lists hold another while the member is on one.
#[pin_data(PinnedDrop)]
pub(crate) struct Member {
    /// What the user sees.
    pub(crate) mc: SaMulticast,
    /// The requested record (a copy: `mc`'s record becomes the group's when joined).
    pub(crate) req: McMemberRec,
    pub(crate) comp: CompMask,
    pub(crate) group: Arc<Group>,
    pub(crate) state: LockedBy<MemberState, GroupInner>,
    /// Callbacks in progress plus the user's claim (`mcast_member.refcount`): freeing waits
    /// until it drops to zero.
    busy: Refcount,
    #[pin]
    idle: Completion,
    _client: Option<SaClientRef>,
    #[pin]
    links: ListLinks,
    #[pin]
    links_track: AtomicTracker,
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

impl Member {
    /// A new member of `group` for the user's `mc`, not on any list yet.
    pub(crate) fn new(
        group: Arc<Group>,
        mc: SaMulticast,
        req: McMemberRec,
        comp: CompMask,
        client: Option<SaClientRef>,
        flags: kernel::alloc::Flags,
    ) -> Result<ListArc<Self>> {
        let state = LockedBy::new(
            &group.inner,
            MemberState {
                phase: Phase::Joining,
                list: Where::Nowhere,
            },
        );
        let port = group.port.clone();
        let m = ListArc::pin_init(
            try_pin_init!(Self {
                mc,
                req,
                comp,
                group,
                state,
                busy: Refcount::new(1),
                idle <- Completion::new(),
                _client: client,
                links <- ListLinks::new(),
                links_track <- AtomicTracker::new(),
            }? Error),
            flags,
        )?;
        port.stats.member_born();
        Ok(m)
    }

    /// The requested join state.
    pub(crate) fn join_state(&self) -> u8 {
        self.req.join_state()
    }

    /// Marks a callback in progress.
    pub(crate) fn hold(&self) {
        self.busy.inc();
    }

    /// Ends a callback or the user's claim (`deref_member()`).
    pub(crate) fn unhold(&self) {
        if self.busy.dec_and_test() {
            self.idle.complete_all();
        }
    }

    /// Calls the user's callback with `status`; returns whether the user gave its reference
    /// back (the callback returned non-zero). The caller holds the member ([`Member::hold`]).
    pub(crate) fn call(&self, status: Result) -> bool {
        let s: c_int = match status {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        };
        self.mc.call(s) != 0
    }

    /// The pointer the user gets, taking the user's reference.
    pub(crate) fn into_user(this: Arc<Self>) -> *mut kernel::bindings::ib_sa_multicast {
        let mc = this.mc.as_raw();
        let _ = Arc::into_raw(this);
        mc
    }

    /// Takes back the user's reference of the member whose `mc` is `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` must come from [`Member::into_user`] and the user must give up its reference.
    pub(crate) unsafe fn from_user(ptr: *mut kernel::bindings::ib_sa_multicast) -> Arc<Self> {
        // SAFETY: `ptr` is the `mc` field of a `Member` (the caller's guarantee); `SaMulticast`
        // is a transparent wrapper of `ib_sa_multicast`.
        let m = unsafe { kernel::container_of!(ptr.cast::<SaMulticast>(), Member, mc) };
        // SAFETY: `m` came from `Arc::into_raw()` in `into_user()`; the user gives it up.
        unsafe { Arc::from_raw(m) }
    }

    /// The user's reference of a member whose callback returned non-zero.
    pub(crate) fn user_ref(this: &Arc<Self>) -> Arc<Self> {
        // SAFETY: The callback of `this` returned non-zero: by the API contract its user gave
        // up the reference `into_user()` handed out, and will not use the pointer again.
        unsafe { Self::from_user(this.mc.as_raw()) }
    }

    /// Frees the member for its user (`ib_sa_free_multicast()`): leaves the group, waits for
    /// callbacks in progress, drops the user's reference.
    pub(crate) fn free(this: Arc<Self>) {
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
