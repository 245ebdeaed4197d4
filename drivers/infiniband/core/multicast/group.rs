// SPDX-License-Identifier: GPL-2.0

//! A multicast group of a port and its join/leave state machine (`struct mcast_group`).
//!
//! All joins of a group are serialised: one SA query at a time, the members queued behind it
//! on `pending`. The group's state says who runs the machine: while `Idle` nobody does; any
//! other state means exactly one context does, either a work item of the port's queue or the
//! completion of the group's SA query, and that context owns one user count of the group.

use super::{
    member::{Member, Phase, Where},
    port::{Key, Port},
    rec::{self, Membership},
};
use kernel::{
    list::{List, ListArc},
    prelude::*,
    rdma::sa::{mcmember, method, McMemberRec},
    sync::{Arc, Refcount, SpinLock},
    workqueue::{Work, WorkItem},
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
    pub(crate) pending: List<Member>,
    pub(crate) active: List<Member>,
    /// The member whose join is at the SA, by address (never dereferenced).
    last_join: usize,
    pub(crate) members: Membership,
    pub(crate) state: State,
    pub(crate) pkey_index: u16,
    leave_state: u8,
    retries: i32,
}

impl GroupInner {
    /// Takes `m` off whichever list of this group holds it (`list_del_init()`).
    fn unlink(&mut self, m: &Member) -> Option<ListArc<Member>> {
        let st = m.state.access_mut(self);
        let list = st.list;
        st.list = Where::Nowhere;
        match list {
            Where::Nowhere => None,
            // SAFETY: `Where` records which list of this group holds `m` (it is updated under
            // this lock with every push and removal), and a member is only ever put on the
            // lists of its own group: `m` is on `pending`, on no other list with ID 0.
            Where::Pending => unsafe { self.pending.remove(m) },
            // SAFETY: As above, `m` is on `active`.
            Where::Active => unsafe { self.active.remove(m) },
        }
    }

    /// Whether `m` is at the head of `pending` and its join is the one at the SA.
    fn head_is_last_join(&mut self) -> bool {
        let last = self.last_join;
        let mut c = self.pending.cursor_front();
        match c.peek_next() {
            Some(p) => {
                let m: &Member = &p;
                core::ptr::from_ref(m) as usize == last
            }
            None => false,
        }
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
    pub(crate) inner: SpinLock<GroupInner>,
    #[pin]
    work: Work<Group>,
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
    pub(crate) fn new(port: Arc<Port>, key: Key) -> impl PinInit<Self> {
        pin_init!(Self {
            port,
            users: Refcount::new(1),
            inner <- kernel::new_spinlock!(GroupInner {
                key,
                rec: McMemberRec::with_mgid(kernel::rdma::Gid(key.mgid)),
                pending: List::new(),
                active: List::new(),
                last_join: 0,
                members: Membership::default(),
                state: State::Idle,
                pkey_index: INVALID_PKEY_INDEX,
                leave_state: 0,
                retries: 3,
            }, "Group::inner"),
            work <- kernel::new_work!("Group::work"),
        })
    }

    fn queue(self: &Arc<Self>) {
        // The state machine queues the work only when it starts it, so it is never queued
        // already: a failure would be a bug, which the work would then fix by running.
        let _ = self.port.wq.enqueue(self.clone());
    }

    /// Queues a new member's join (`queue_join()`); starts the machine if idle.
    pub(crate) fn queue_join(self: &Arc<Self>, m: ListArc<Member>) {
        let mut g = self.inner.lock();
        m.state.access_mut(&mut g).list = Where::Pending;
        g.pending.push_back(m);
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
        let st = *m.state.access(&g);
        if st.phase == Phase::Member {
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
                let m: Arc<Member> = {
                    let mut c = g.pending.cursor_front();
                    match c.peek_next() {
                        Some(p) => p.arc().into(),
                        None => break,
                    }
                };
                let js = m.join_state();
                m.hold();
                let gave_back = if js == g.rec.join_state() & js {
                    let status = rec::check(&g.rec, &m.req, m.comp);
                    if status.is_ok() {
                        Self::join_member(&mut g, &m, js);
                    } else {
                        let _ = g.unlink(&m);
                    }
                    drop(g);
                    m.call(status)
                } else {
                    drop(g);
                    match self.send_join(&m) {
                        Ok(()) => {
                            m.unhold();
                            return;
                        }
                        Err(e) => self.fail_join(&m, e),
                    }
                };
                m.unhold();
                if gave_back {
                    Member::free(Member::user_ref(&m));
                }
                g = self.inner.lock();
            }

            let ls = g.members.leave_state(g.rec.join_state());
            if ls != 0 {
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

    /// `m`, at the head of `pending`, joins with `js` (`join_group()`).
    fn join_member(g: &mut GroupInner, m: &Arc<Member>, js: u8) {
        g.members.adjust(js, true);
        let all = g.rec.join_state() | js;
        g.rec.set_join_state(all);
        let mut user = g.rec;
        user.set_join_state(js);
        // SAFETY: The record is written only here, under the group lock, before the callback
        // that publishes it runs; the user reads it only in or after that callback.
        unsafe { m.mc.set_rec(&user) };
        if let Some(la) = g.unlink(m) {
            m.state.access_mut(g).phase = Phase::Member;
            m.state.access_mut(g).list = Where::Active;
            g.active.push_back(la);
        }
    }

    /// A join that could not be sent fails its member (`fail_join()`).
    fn fail_join(&self, m: &Member, e: Error) -> bool {
        let unlinked = self.inner.lock().unlink(m);
        drop(unlinked);
        m.call(Err(e))
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
            while let Some(la) = g.active.pop_front() {
                let m = la.clone_arc();
                drop(la);
                m.hold();
                let js = m.join_state();
                g.members.adjust(js, false);
                let st = m.state.access_mut(&mut g);
                st.list = Where::Nowhere;
                st.phase = Phase::Error;
                drop(g);
                let gave_back = m.call(Err(ENETRESET));
                m.unhold();
                if gave_back {
                    Member::free(Member::user_ref(&m));
                }
                g = self.inner.lock();
            }
            g.rec.set_join_state(0);
        }
        g.state = State::Busy;
    }

    fn send_join(self: &Arc<Self>, m: &Member) -> Result {
        self.inner.lock().last_join = core::ptr::from_ref(m) as usize;
        self.port
            .sa
            .query(self.port.num, method::SET, &m.req, m.comp, self.clone())
    }

    fn send_leave(self: &Arc<Self>, ls: u8) -> Result {
        let mut rec = {
            let mut g = self.inner.lock();
            g.leave_state = ls;
            g.rec
        };
        rec.set_join_state(ls);
        let comp = mcmember::MGID | mcmember::PORT_GID | mcmember::JOIN_STATE;
        self.port
            .sa
            .query(self.port.num, method::DELETE, &rec, comp, self.clone())
    }

    /// Completion of an SA query of this group (`join_handler()`, `leave_handler()`):
    /// `status` 0 or a negative errno, `rec` the SA's answer.
    pub(crate) fn sa_done(this: Arc<Self>, method: u8, status: i32, rec: Option<&McMemberRec>) {
        if method == method::SET {
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
        let mut g = self.inner.lock();
        if !g.head_is_last_join() {
            return;
        }
        let Some(la) = g.pending.pop_front() else {
            return;
        };
        let m = la.clone_arc();
        drop(la);
        m.state.access_mut(&mut g).list = Where::Nowhere;
        m.hold();
        drop(g);
        let gave_back = m.call(Err(e));
        m.unhold();
        if gave_back {
            Member::free(Member::user_ref(&m));
        }
    }

    /// Writes the group and its members, one line each.
    pub(crate) fn show(&self, w: &mut dyn core::fmt::Write) -> core::fmt::Result {
        let g = self.inner.lock();
        let n = g.members.0;
        w.write_fmt(fmt!(
            "  group {} state {:?} join_state {:#x} members {}/{}/{}/{} mlid {:#06x} pkey {:#06x} pkey_index {:#x} users {}\n",
            g.rec.mgid(),
            g.state,
            g.rec.join_state(),
            n[0],
            n[1],
            n[2],
            n[3],
            g.rec.mlid(),
            g.rec.pkey(),
            g.pkey_index,
            self.users.as_atomic().load(kernel::sync::atomic::Relaxed),
        ))?;
        for (list, name) in [(&g.pending, "pending"), (&g.active, "active")] {
            for m in list.iter() {
                let st = *m.state.access(&g);
                w.write_fmt(fmt!(
                    "    member {:p} {:?} {} join_state {:#x}\n",
                    core::ptr::from_ref::<Member>(&m),
                    st.phase,
                    name,
                    m.join_state()
                ))?;
            }
        }
        Ok(())
    }
}
