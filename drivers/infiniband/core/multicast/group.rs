// SPDX-License-Identifier: GPL-2.0

//! A multicast group of a port and its join/leave state machine (`struct mcast_group`).
//!
//! All joins of a group are serialised: one SA query at a time, the members queued behind it
//! on `pending`. The group's state says who runs the machine: while `Idle` nobody does; any
//! other state means exactly one context does, either a work item of the port's queue or the
//! completion of the group's SA query, and that context owns one user count of the group.
//!
//! The members of a group are on `pending`, oldest first, or `active`, newest first (as C's
//! `list_add_tail()` and `list_move()` put them there): the two
//! lists of a [`ListSet`], which knows which of them holds a member, so that any member is taken
//! off in constant time (C's `list_del()`).

use super::{
    ffi,
    member::{
        CallbackHold,
        Joined,
        Member,
        Phase,
        ACTIVE,
        PENDING, //
    },
    port::{
        Key,
        Port,
        PortUse, //
    },
    rec::{
        self,
        Membership, //
    },
};
use core::ops::DerefMut;
use kernel::{
    list::{
        ListArc,
        ListSet, //
    },
    prelude::*,
    rdma::sa::{
        JoinStates,
        McMemberComp,
        McMemberComps,
        McMemberRec,
        SaMethod, //
    },
    sync::{
        Arc,
        Refcount,
        SpinLockIrq, //
    },
    workqueue::{
        Work,
        WorkItem, //
    },
};

/// No P_Key index known yet (`MCAST_INVALID_PKEY_INDEX`).
pub(crate) const INVALID_PKEY_INDEX: u16 = 0xffff;

/// The state of a group (`enum mcast_group_state`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum State {
    /// Nothing to do.
    Idle,
    /// Processing joins and leaves.
    Busy,
    /// A port event reset the group: its members get `ENETRESET`.
    Error,
    /// The P_Key table changed: the group is reset if its P_Key moved.
    PkeyEvent,
}

/// The part of a group under its lock.
pub(crate) struct GroupInner {
    /// Where the group is in its port's table.
    pub(crate) key: Key,
    /// The group's record at the SA; its join state is the port's combined membership.
    pub(crate) rec: McMemberRec,
    /// The members: [`PENDING`], waiting to be joined (the first one's join is the one being
    /// processed), and [`ACTIVE`], joined.
    pub(crate) queues: ListSet<Member, 2>,
    /// The members their users hold: joined with [`Group::queue_join`], not yet freed by
    /// [`Group::remove_member`] (on a queue or not).
    held: usize,
    /// The last sequence number given to a member put on a queue.
    last_seq: u64,
    /// The sequence number, on `pending`, of the member whose join is at the SA.
    last_join: u64,
    pub(crate) members: Membership,
    pub(crate) state: State,
    pub(crate) pkey_index: u16,
    leave_state: JoinStates,
    retries: i32,
}

impl GroupInner {
    /// Gives the member's next place on a queue its sequence number.
    fn stamp(&mut self, m: &Member) {
        self.last_seq += 1;
        let seq = self.last_seq;
        m.set_seq(self, seq);
    }

    /// Puts a new member, on no queue yet, at the back of queue `list`; `la` becomes the
    /// queue's reference.
    fn link(&mut self, la: ListArc<Member>, list: usize) {
        self.stamp(&la);
        if self.queues.push_back(list, la).is_err() {
            // `list` is one of the set's: a bug, and the member is lost to its group's
            // machine.
            kernel::warn_on!(true);
        }
    }

    /// Moves `m` from `pending` to the front of `active`, with the queue's reference (C's
    /// `list_move()`: a port error then calls the newest member back first); false if `m` is
    /// on no queue of this group.
    fn activate(&mut self, m: &Member) -> bool {
        let moved = self.queues.move_front(m, ACTIVE).is_some();
        if moved {
            self.stamp(m);
        }
        moved
    }

    /// Takes `m` off whichever queue of this group holds it (`list_del_init()`); returns the
    /// queue's reference, for the caller to drop outside the lock.
    fn unlink(&mut self, m: &Member) -> Option<Arc<Member>> {
        self.queues.remove(m).map(|(_, la)| la.into_arc())
    }

    /// The member at the head of `pending`, held for its callback: its join is the next to
    /// process.
    fn hold_pending_front(&self) -> Option<CallbackHold> {
        let m = self.queues.front(PENDING)?;
        // The head of `pending` is queued: `hold_queued()` cannot fail here.
        let hold = Member::hold_queued(&m, self);
        kernel::warn_on!(hold.is_none());
        hold
    }

    /// Whether the first member of `pending` is the one whose join is at the SA.
    fn head_is_last_join(&self) -> bool {
        self.queues
            .front(PENDING)
            .is_some_and(|m| m.seq(self) == self.last_join)
    }
}

/// A multicast group of a port.
#[pin_data]
pub(crate) struct Group {
    pub(crate) port: Arc<Port>,
    /// Users: members, plus one while the machine runs (`mcast_group.refcount`). The port's
    /// table holds the group while this is non-zero.
    pub(crate) users: Refcount,
    #[pin]
    pub(crate) inner: SpinLockIrq<GroupInner>,
    #[pin]
    work: Work<Group>,
    /// Dropped last, after `port`: see [`PortUse`].
    _alive: PortUse,
}

kernel::impl_has_work! {
    impl HasWork<Self> for Group { self.work }
}

impl WorkItem for Group {
    type Pointer = Arc<Group>;

    fn run(this: Arc<Group>) {
        this.process();
    }
}

impl Group {
    /// A new idle group of `port` for `mgid` at `key`, with one user.
    pub(crate) fn new(port: Arc<Port>, alive: PortUse, key: Key) -> impl PinInit<Self> {
        pin_init!(Self {
            port,
            users: Refcount::new(1),
            inner <- kernel::new_spinlock_irq!(GroupInner {
                key,
                rec: McMemberRec::with_mgid(kernel::rdma::Gid(key.mgid)),
                queues: ListSet::new(),
                held: 0,
                last_seq: 0,
                last_join: 0,
                members: Membership::default(),
                state: State::Idle,
                pkey_index: INVALID_PKEY_INDEX,
                leave_state: JoinStates::empty(),
                retries: 3,
            }, "Group::inner"),
            work <- kernel::new_work!("Group::work"),
            _alive: alive,
        })
    }

    fn queue(self: &Arc<Self>) {
        self.port.queue_work(self.clone());
    }

    /// Queues a new member's join (`queue_join()`), with the queue's reference `m`; starts the
    /// machine if idle.
    ///
    /// # Safety
    ///
    /// The member's user must hold a reference of it (the one handed out by
    /// `ib_sa_join_multicast()`), given back only as a [`super::member::UserRef`]: the
    /// member's callbacks rely on it to keep the member ([`CallbackHold`]).
    pub(crate) unsafe fn queue_join(self: &Arc<Self>, m: ListArc<Member>) {
        let mut g = self.inner.lock();
        g.held += 1;
        g.link(m, PENDING);
        if g.state == State::Idle {
            g.state = State::Busy;
            self.users.inc();
            drop(g);
            self.queue();
        }
    }

    /// Takes `m` out of the group for `ib_sa_free_multicast()`; the machine then leaves the
    /// join states nobody holds any more.
    pub(crate) fn remove_member(self: &Arc<Self>, m: &Member) {
        let mut g = self.inner.lock();
        kernel::warn_on!(g.held == 0);
        g.held = g.held.saturating_sub(1);
        if m.phase(&g) == Phase::Member {
            g.members.adjust(m.join_state(), false);
        }
        let unlinked = g.unlink(m);
        if g.state == State::Idle {
            g.state = State::Busy;
            drop(g);
            // The member's user count goes to the machine until it idles again.
            self.queue();
        } else {
            drop(g);
            self.release();
        }
        drop(unlinked);
    }

    /// Drops one user; the last one takes the group out of its port (`release_group()`).
    pub(crate) fn release(self: &Arc<Self>) {
        self.port.release_group(self);
    }

    /// The join state machine (`mcast_work_handler()`), run by the group's work item or the
    /// completion of its SA query.
    fn process(self: &Arc<Self>) {
        'retest: loop {
            let mut g = self.inner.lock();
            loop {
                if g.state != State::Busy {
                    drop(g);
                    self.process_error();
                    continue 'retest;
                }
                let Some(hold) = g.hold_pending_front() else {
                    break;
                };
                let m = hold.member();
                // The head of `pending` is joining: its requested record is there.
                let Some(req) = ffi::requested_rec(m, &g) else {
                    // A bug: the member fails rather than stay at the head.
                    kernel::warn_on!(true);
                    Self::fail_held(g, hold, EINVAL);
                    g = self.inner.lock();
                    continue;
                };
                let js = m.join_state();
                if js == g.rec.join_state() & js {
                    if let Err(e) = rec::check(&g.rec, &req, m.mc.comp()) {
                        Self::fail_held(g, hold, e);
                    } else {
                        match Self::join_member(&mut g, hold, js) {
                            Ok(joined) => {
                                drop(g);
                                Member::call_back_joined(joined);
                            }
                            Err(hold) => {
                                // Not joining, which `requested_rec()` checked: a bug.
                                kernel::warn_on!(true);
                                Self::fail_held(g, hold, EINVAL);
                            }
                        }
                    }
                } else {
                    g.last_join = m.seq(&g);
                    drop(g);
                    match self.send_join(&req, m.mc.comp()) {
                        Ok(()) => {
                            drop(hold);
                            return;
                        }
                        Err(e) => self.fail_join(hold, e),
                    }
                }
                g = self.inner.lock();
            }

            let ls = g.members.leave_state(g.rec.join_state());
            if !ls.is_empty() {
                let js = g.rec.join_state() & !ls;
                g.rec.set_join_state(js);
                drop(g);
                if self.send_leave(ls).is_err() {
                    continue 'retest;
                }
            } else {
                g.state = State::Idle;
                drop(g);
                self.release();
            }
            return;
        }
    }

    /// The held member, at the head of `pending`, joins with `js` (`join_group()`) and moves to
    /// `active`; returns its join, whose callback publishes the group's record with the member's
    /// own join state, or the hold if the member is not joining.
    fn join_member(
        g: &mut GroupInner,
        hold: CallbackHold,
        js: JoinStates,
    ) -> Result<Joined, CallbackHold> {
        let mut user = g.rec;
        user.set_join_state(js);
        let joined = hold.join(g, user)?;
        // The head of `pending`, held under this lock: on a queue of the group.
        kernel::warn_on!(!g.activate(joined.member()));
        g.members.adjust(js, true);
        let all = g.rec.join_state() | js;
        g.rec.set_join_state(all);
        Ok(joined)
    }

    /// A join that could not be sent fails its member (`fail_join()`), which the caller holds
    /// for the callback.
    fn fail_join(&self, hold: CallbackHold, e: Error) {
        Self::fail_held(self.inner.lock(), hold, e);
    }

    /// Takes the held member off its queue under the group's lock `g`, then, with the lock
    /// dropped, calls it back with `e`.
    fn fail_held(mut g: impl DerefMut<Target = GroupInner>, hold: CallbackHold, e: Error) {
        let unlinked = g.unlink(hold.member());
        drop(g);
        drop(unlinked);
        Member::call_back(hold, Err(e));
    }

    /// Port event: every member gets `ENETRESET` and the group starts over, unless only the
    /// P_Key table changed and the group's P_Key kept its index (`process_group_error()`).
    fn process_error(self: &Arc<Self>) {
        let (state, pkey) = {
            let g = self.inner.lock();
            (g.state, g.rec.pkey())
        };
        let index = if state == State::PkeyEvent {
            self.port.sa.find_pkey(self.port.num, pkey).ok()
        } else {
            None
        };

        let mut g = self.inner.lock();
        if !(g.state == State::PkeyEvent && index == Some(g.pkey_index)) {
            while let Some(m) = g.queues.front(ACTIVE) {
                let m: Arc<Member> = m.into();
                // A member of `active` is queued: `hold_queued()` cannot fail here.
                let hold = Member::hold_queued(&m, &g);
                kernel::warn_on!(hold.is_none());
                let unlinked = g.unlink(&m);
                g.members.adjust(m.join_state(), false);
                m.set_error(&mut g);
                drop(g);
                drop(unlinked);
                if let Some(hold) = hold {
                    Member::call_back(hold, Err(ENETRESET));
                }
                // Possibly the last reference, after a give-back: dropped outside the lock.
                drop(m);
                g = self.inner.lock();
            }
            g.rec.set_join_state(JoinStates::empty());
        }
        g.state = State::Busy;
    }

    /// Sends the join of the member at the head of `pending`, whose request is `req` with the
    /// components `comp`; the caller set `last_join` to its sequence number.
    fn send_join(self: &Arc<Self>, req: &McMemberRec, comp: McMemberComps) -> Result {
        self.port
            .sa
            .query(self.port.num, SaMethod::Set, req, comp, self.clone())
    }

    fn send_leave(self: &Arc<Self>, ls: JoinStates) -> Result {
        let mut rec = {
            let mut g = self.inner.lock();
            g.leave_state = ls;
            g.rec
        };
        rec.set_join_state(ls);
        let comp = McMemberComp::Mgid | McMemberComp::PortGid | McMemberComp::JoinState;
        self.port
            .sa
            .query(self.port.num, SaMethod::Delete, &rec, comp, self.clone())
    }

    /// Completion of an SA query of this group (`join_handler()`, `leave_handler()`):
    /// `status` 0 or a negative errno, `rec` the SA's answer.
    pub(crate) fn sa_done(
        this: Arc<Self>,
        method: SaMethod,
        status: i32,
        rec: Option<&McMemberRec>,
    ) {
        if method == SaMethod::Set {
            match (status, rec) {
                (0, Some(rec)) => this.joined(rec),
                (0, None) => this.join_error(EINVAL),
                (e, _) => this.join_error(Error::from_errno(e)),
            }
        } else {
            let retry = status != 0 && {
                let (retries, ls) = {
                    let g = this.inner.lock();
                    (g.retries, g.leave_state)
                };
                retries > 0 && this.send_leave(ls).is_ok()
            };
            if retry {
                this.inner.lock().retries -= 1;
                return;
            }
        }
        this.process();
    }

    /// The SA accepted a join: the group takes the SA's record, and its MGID if the SA
    /// assigned one.
    fn joined(self: &Arc<Self>, rec: &McMemberRec) {
        let index = self
            .port
            .sa
            .find_pkey(self.port.num, rec.pkey())
            .unwrap_or(INVALID_PKEY_INDEX);
        self.port.update_group(self, |g| {
            if g.state == State::Busy && g.pkey_index == INVALID_PKEY_INDEX {
                g.pkey_index = index;
            }
            g.rec = *rec;
        });
    }

    /// The join at the SA failed: its member, if still at the head, gets `e`
    /// (`process_join_error()`).
    fn join_error(self: &Arc<Self>, e: Error) {
        let g = self.inner.lock();
        if !g.head_is_last_join() {
            return;
        }
        let Some(hold) = g.hold_pending_front() else {
            return;
        };
        Self::fail_held(g, hold, e);
    }

    /// The members their users hold.
    pub(crate) fn held(&self) -> usize {
        self.inner.lock().held
    }

    /// Writes the group and its members, one line each.
    pub(crate) fn show(&self, w: &mut dyn core::fmt::Write) -> core::fmt::Result {
        let g = self.inner.lock();
        let n = g.members.0;
        w.write_fmt(fmt!(
            "  group {} state {:?} join_state {:#x} members {}/{}/{}/{} mlid {:#06x} pkey {:#06x} pkey_index {:#x} users {}\n",
            g.rec.mgid(),
            g.state,
            g.rec.join_state().as_raw(),
            n[0],
            n[1],
            n[2],
            n[3],
            g.rec.mlid(),
            g.rec.pkey(),
            g.pkey_index,
            self.users.as_atomic().load(kernel::sync::atomic::Relaxed),
        ))?;
        for (queue, name) in [(PENDING, "pending"), (ACTIVE, "active")] {
            for m in g.queues.iter(queue) {
                w.write_fmt(fmt!(
                    "    member {:p} {:?} {} join_state {:#x}\n",
                    core::ptr::from_ref::<Member>(&m),
                    m.phase(&g),
                    name,
                    m.join_state().as_raw()
                ))?;
            }
        }
        Ok(())
    }
}
