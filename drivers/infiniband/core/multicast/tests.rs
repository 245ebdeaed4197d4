// SPDX-License-Identifier: GPL-2.0

//! KUnit tests of the multicast piece against the fake SA of [`super::fake`].
//!
//! Every test drives one port through the same entry points the C users reach (`join()`,
//! [`Member::free`], port events), answers the SA queries it expects, and ends with
//! [`Bed::finish`], which checks that no query, group, member or port reference is left.

use super::{
    fake::FakeSa,
    ffi::{
        JoinObserver,
        NativeJoin, //
    },
    group::State,
    port::Port,
    PortEventHandler,
    Ports, //
};
use core::ffi::c_int;
use kernel::{
    prelude::*,
    rdma::{
        event::{
            Event,
            EventHandler,
            EventKind, //
        },
        sa::{
            JoinState,
            JoinStates,
            McMemberComp,
            McMemberComps,
            McMemberRec,
            SaMethod, //
        },
        Gid,
    },
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc,
        SpinLock, //
    },
    workqueue::{
        OwnedQueue,
        QueueFlag, //
    },
};

/// What the callbacks of a test saw, and what they return.
#[pin_data]
struct Seen {
    #[pin]
    calls: SpinLock<KVec<(usize, i32, McMemberRec)>>,
    ret: Atomic<i32>,
}

impl JoinObserver for Seen {
    fn called(&self, id: usize, status: c_int, rec: &McMemberRec) -> bool {
        let _ = self.calls.lock().push((id, status, *rec), GFP_ATOMIC);
        self.ret.load(Relaxed) != 0
    }
}

impl Seen {
    fn new() -> Arc<Self> {
        Arc::pin_init(
            pin_init!(Self {
                calls <- kernel::new_spinlock!(KVec::new()),
                ret: Atomic::new(0),
            }),
            GFP_KERNEL,
        )
        .expect("alloc")
    }

    /// The statuses seen for `j`, in order.
    fn of(&self, j: &Join) -> KVec<i32> {
        let mut v = KVec::new();
        for (p, s, _) in self.calls.lock().iter() {
            if *p == j.id() {
                v.push(*s, GFP_ATOMIC).expect("alloc");
            }
        }
        v
    }

    fn count(&self) -> usize {
        self.calls.lock().len()
    }

    /// The record `j`'s last callback saw.
    fn rec(&self, j: &Join) -> Option<McMemberRec> {
        let c = self.calls.lock();
        c.iter()
            .rev()
            .find(|(p, _, _)| *p == j.id())
            .map(|(_, _, r)| *r)
    }
}

/// A test's join.
type Join = NativeJoin<Seen>;

/// A port with a scripted fake SA.
struct Bed {
    wq: Arc<OwnedQueue>,
    sa: Arc<FakeSa>,
    port: Arc<Port>,
    seen: Arc<Seen>,
}

fn comp() -> McMemberComps {
    McMemberComp::Mgid | McMemberComp::PortGid | McMemberComp::JoinState
}

fn mgid(n: u8) -> Gid {
    let mut g = [0u8; 16];
    g[0] = 0xff;
    g[1] = 0x12;
    g[15] = n;
    Gid(g)
}

impl Bed {
    fn new() -> Self {
        let wq = Arc::new(
            OwnedQueue::new_ordered(c"mcast_kunit", QueueFlag::MemReclaim.into()).expect("wq"),
            GFP_KERNEL,
        )
        .expect("alloc");
        let sa = FakeSa::new(false).expect("fake");
        let port = Port::new(1, sa.clone(), wq.clone()).expect("port");
        Self {
            wq,
            sa,
            port,
            seen: Seen::new(),
        }
    }

    fn join_rec(&self, rec: &McMemberRec, comp: McMemberComps) -> Join {
        NativeJoin::new(&self.port, rec, comp, self.seen.clone()).expect("join")
    }

    /// Joins `mgid(n)` with join state `state` and flushes the queue.
    fn join(&self, n: u8, state: impl Into<JoinStates>) -> Join {
        let mut rec = McMemberRec::with_mgid(mgid(n));
        rec.set_join_state(state.into());
        let j = self.join_rec(&rec, comp());
        self.wq.flush();
        j
    }

    fn free(&self, j: Join) {
        j.free();
        self.wq.flush();
    }

    /// The method and join state of the oldest waiting query.
    fn next_query(&self) -> Option<(SaMethod, JoinStates)> {
        self.sa.peek(0).map(|(m, r, _)| (m, r.join_state()))
    }

    /// Whether nothing is left: no query at the SA, no group, no member. Then the port is
    /// shut down, which returns at once as only its own count is left.
    fn finish(self) -> bool {
        self.wq.flush();
        if self.sa.pending() != 0 || self.port.stats.live() != (0, 0) {
            return false;
        }
        self.port.shut_down();
        true
    }
}

#[kunit_tests(rdma_sa_mcast)]
mod cases {
    use super::*;

    #[test]
    fn n_joiners_give_one_set_and_the_last_leave_one_delete() {
        let b = Bed::new();
        let mcs = [
            b.join(1, JoinState::Full),
            b.join(1, JoinState::Full),
            b.join(1, JoinState::Full),
        ];
        // One SET at the SA; the others wait behind it.
        assert_eq!(b.sa.pending(), 1);
        assert_eq!(
            b.next_query(),
            Some((SaMethod::Set, JoinStates::from(JoinState::Full)))
        );
        assert_eq!(b.seen.count(), 0);
        assert!(b.sa.answer(0));
        b.wq.flush();
        for mc in &mcs {
            assert_eq!(b.seen.of(mc)[..], [0]);
        }
        assert_eq!(b.sa.counts(), (1, 0));
        assert_eq!(
            b.port.find_rec(mgid(1)).map(|r| r.join_state()),
            Ok(JoinStates::from(JoinState::Full))
        );
        assert_eq!(b.port.stats.live(), (1, 3));
        let [m0, m1, m2] = mcs;
        b.free(m0);
        b.free(m1);
        assert_eq!(b.sa.pending(), 0);
        b.free(m2);
        assert_eq!(
            b.next_query(),
            Some((SaMethod::Delete, JoinStates::from(JoinState::Full)))
        );
        assert!(b.sa.answer(0));
        assert_eq!(b.sa.counts(), (1, 1));
        assert_eq!(b.port.find_rec(mgid(1)).map(|_| ()), Err(EADDRNOTAVAIL));
        assert!(b.finish());
    }

    #[test]
    fn leaves_go_per_join_state() {
        let b = Bed::new();
        let full = b.join(2, JoinState::Full);
        assert!(b.sa.answer(0));
        let sendonly = b.join(2, JoinState::SendOnlyFull);
        // The port's join state grows: a second SET, for the new state only.
        assert_eq!(
            b.next_query(),
            Some((SaMethod::Set, JoinStates::from(JoinState::SendOnlyFull)))
        );
        assert!(b.sa.answer(0));
        b.wq.flush();
        assert_eq!(b.seen.of(&sendonly)[..], [0]);
        assert_eq!(
            b.port.find_rec(mgid(2)).map(|r| r.join_state()),
            Ok(JoinState::Full | JoinState::SendOnlyFull)
        );
        // The member sees its own join state, not the port's.
        assert_eq!(
            b.seen.rec(&sendonly).map(|r| r.join_state()),
            Some(JoinStates::from(JoinState::SendOnlyFull))
        );
        b.free(sendonly);
        assert_eq!(
            b.next_query(),
            Some((SaMethod::Delete, JoinStates::from(JoinState::SendOnlyFull)))
        );
        assert!(b.sa.answer(0));
        assert_eq!(
            b.port.find_rec(mgid(2)).map(|r| r.join_state()),
            Ok(JoinStates::from(JoinState::Full))
        );
        b.free(full);
        assert_eq!(
            b.next_query(),
            Some((SaMethod::Delete, JoinStates::from(JoinState::Full)))
        );
        assert!(b.sa.answer(0));
        assert_eq!(b.sa.counts(), (2, 2));
        assert!(b.finish());
    }

    #[test]
    fn sa_errors_and_timeouts_fail_only_their_member() {
        let b = Bed::new();
        let a = b.join(3, JoinState::Full);
        let c = b.join(3, JoinState::Full);
        assert!(b.sa.answer(ETIMEDOUT.to_errno()));
        // `a` failed; `c`, queued behind it, gets its own SET.
        assert_eq!(b.seen.of(&a)[..], [ETIMEDOUT.to_errno()]);
        assert_eq!(b.seen.of(&c).len(), 0);
        assert_eq!(
            b.next_query(),
            Some((SaMethod::Set, JoinStates::from(JoinState::Full)))
        );
        assert!(b.sa.answer(EIO.to_errno()));
        assert_eq!(b.seen.of(&c)[..], [EIO.to_errno()]);
        // A send that fails at once fails the join the same way.
        b.sa.inner.lock().fail_send = Some(ENOMEM);
        let d = b.join(3, JoinState::Full);
        assert_eq!(b.seen.of(&d)[..], [ENOMEM.to_errno()]);
        assert_eq!(b.sa.counts(), (2, 0));
        // Failed members are still the user's to free; nothing was joined, nothing to leave.
        b.free(a);
        b.free(c);
        b.free(d);
        assert_eq!(b.sa.counts(), (2, 0));
        assert!(b.finish());
    }

    #[test]
    fn leave_is_retried_three_times() {
        let b = Bed::new();
        let a = b.join(4, JoinState::Full);
        assert!(b.sa.answer(0));
        b.free(a);
        for _ in 0..3 {
            assert_eq!(
                b.next_query(),
                Some((SaMethod::Delete, JoinStates::from(JoinState::Full)))
            );
            assert!(b.sa.answer(ETIMEDOUT.to_errno()));
        }
        // After the retries the group is dropped anyway.
        assert!(b.sa.answer(ETIMEDOUT.to_errno()));
        assert_eq!(b.sa.counts(), (1, 4));
        assert!(b.finish());
    }

    #[test]
    fn mismatched_records_get_einval_without_sa_traffic() {
        let b = Bed::new();
        let mut rec = McMemberRec::with_mgid(mgid(5));
        rec.set_join_state(JoinState::Full.into());
        rec.set_qkey(0x1111);
        let a = b.join_rec(&rec, comp() | McMemberComp::Qkey);
        b.wq.flush();
        assert!(b.sa.answer(0));
        rec.set_qkey(0x2222);
        let c = b.join_rec(&rec, comp() | McMemberComp::Qkey);
        b.wq.flush();
        assert_eq!(b.seen.of(&c)[..], [EINVAL.to_errno()]);
        // Without Q_Key in the mask the same record is fine.
        let d = b.join_rec(&rec, comp());
        b.wq.flush();
        assert_eq!(b.seen.of(&d)[..], [0]);
        assert_eq!(b.sa.counts(), (1, 0));
        b.free(c);
        b.free(d);
        b.free(a);
        assert!(b.sa.answer(0));
        assert!(b.finish());
    }

    #[test]
    fn port_events_reset_groups_with_enetreset() {
        let b = Bed::new();
        let a = b.join(6, JoinState::Full);
        // An event during the join: the answer is dropped and the join sent again.
        b.port.groups_event(State::Error);
        assert!(b.sa.answer(0));
        assert_eq!(b.seen.of(&a).len(), 0);
        assert_eq!(
            b.next_query(),
            Some((SaMethod::Set, JoinStates::from(JoinState::Full)))
        );
        assert!(b.sa.answer(0));
        assert_eq!(b.seen.of(&a)[..], [0]);

        // The events of the device handler: SM change leaves groups alone (as C does),
        // client reregister resets them.
        let mut ports = KVec::new();
        ports.push(Some(b.port.clone()), GFP_KERNEL).expect("alloc");
        let ev = PortEventHandler(Arc::new(Ports { start: 1, ports }, GFP_KERNEL).expect("alloc"));
        ev.event(&Event {
            kind: EventKind::SmChange,
            port: Some(1),
        });
        ev.event(&Event {
            kind: EventKind::ClientReregister,
            port: Some(2),
        });
        b.wq.flush();
        assert_eq!(b.seen.of(&a).len(), 1);
        ev.event(&Event {
            kind: EventKind::ClientReregister,
            port: Some(1),
        });
        b.wq.flush();
        assert_eq!(b.seen.of(&a)[..], [0, ENETRESET.to_errno()]);
        assert_eq!(
            b.port.find_rec(mgid(6)).map(|r| r.join_state()),
            Ok(JoinStates::empty())
        );
        // A reset member is no member: freeing it leaves nothing at the SA.
        b.free(a);
        drop(ev);
        assert_eq!(b.sa.counts(), (2, 0));
        assert!(b.finish());
    }

    #[test]
    fn pkey_change_resets_only_groups_whose_pkey_moved() {
        let b = Bed::new();
        let mut rec = McMemberRec::with_mgid(mgid(7));
        rec.set_join_state(JoinState::Full.into());
        rec.set_pkey(0x8001);
        let a = b.join_rec(&rec, comp());
        b.wq.flush();
        assert!(b.sa.answer(0));
        b.port.groups_event(State::PkeyEvent);
        b.wq.flush();
        assert_eq!(b.seen.of(&a)[..], [0]);
        // The P_Key moves to another index: the group is reset.
        b.sa.inner.lock().pkeys = [0xffff, 0, 0x8001, 0];
        b.port.groups_event(State::PkeyEvent);
        b.wq.flush();
        assert_eq!(b.seen.of(&a)[..], [0, ENETRESET.to_errno()]);
        b.free(a);
        assert!(b.finish());
    }

    #[test]
    fn free_during_join_leaves_what_the_sa_joined() {
        let b = Bed::new();
        let a = b.join(8, JoinState::Full);
        let c = b.join(8, JoinState::Non);
        assert_eq!(b.sa.pending(), 1);
        // Both go while `a`'s SET is at the SA: nobody is called back.
        b.free(a);
        b.free(c);
        assert!(b.sa.answer(0));
        assert_eq!(b.seen.count(), 0);
        // The SA has the port as a full member: leave it.
        assert_eq!(
            b.next_query(),
            Some((SaMethod::Delete, JoinStates::from(JoinState::Full)))
        );
        assert!(b.sa.answer(0));
        assert!(b.finish());
    }

    #[test]
    fn callback_returning_nonzero_frees_the_member() {
        let b = Bed::new();
        b.seen.ret.store(1, Relaxed);
        let a = b.join(9, JoinState::Full);
        assert!(b.sa.answer(0));
        assert_eq!(b.seen.of(&a)[..], [0]);
        // The implementation freed it (the test must not) and left the group.
        assert_eq!(
            b.next_query(),
            Some((SaMethod::Delete, JoinStates::from(JoinState::Full)))
        );
        assert!(b.sa.answer(0));
        assert!(b.finish());
    }

    #[test]
    fn callback_may_run_before_join_returns() {
        let b = Bed::new();
        let a = b.join(10, JoinState::Full);
        assert!(b.sa.answer(0));
        // `c` is satisfied locally: its callback runs from the queue, maybe before `join()`
        // returns, and frees the member. The pointer returned is the one the callback saw.
        b.seen.ret.store(1, Relaxed);
        let c = b.join(10, JoinState::Full);
        assert_eq!(b.seen.of(&c)[..], [0]);
        assert_eq!(b.port.stats.live(), (1, 1));
        b.seen.ret.store(0, Relaxed);
        b.free(a);
        assert!(b.sa.answer(0));
        assert_eq!(b.sa.counts(), (1, 1));
        assert!(b.finish());
    }

    #[test]
    fn mgid0_joins_get_the_mgid_the_sa_assigns() {
        let b = Bed::new();
        let mut rec = McMemberRec::default();
        rec.set_join_state(JoinState::Full.into());
        let a = b.join_rec(&rec, comp());
        let c = b.join_rec(&rec, comp());
        b.wq.flush();
        // Each MGID 0 join is a group of its own.
        assert_eq!(b.sa.pending(), 2);
        assert!(b.sa.answer(0));
        assert!(b.sa.answer(0));
        let (ga, gc) = (
            b.seen.rec(&a).expect("a").mgid(),
            b.seen.rec(&c).expect("c").mgid(),
        );
        assert!(!ga.is_zero() && !gc.is_zero() && ga != gc);
        assert_eq!(b.port.find_rec(ga).map(|r| r.mgid()), Ok(ga));
        assert_eq!(b.port.find_rec(gc).map(|r| r.mgid()), Ok(gc));
        assert_eq!(
            b.port.find_rec(Gid([0; 16])).map(|_| ()),
            Err(EADDRNOTAVAIL)
        );
        b.free(a);
        b.free(c);
        assert!(b.sa.answer(0));
        assert!(b.sa.answer(0));
        assert!(b.finish());
    }

    #[test]
    fn debugfs_view_lists_groups_and_members() {
        struct Buf(KVec<u8>);
        impl core::fmt::Write for Buf {
            fn write_str(&mut self, s: &str) -> core::fmt::Result {
                // Called under the port's and the group's locks.
                self.0
                    .extend_from_slice(s.as_bytes(), GFP_ATOMIC)
                    .map_err(|_| core::fmt::Error)
            }
        }
        let b = Bed::new();
        let a = b.join(11, JoinState::Full);
        assert!(b.sa.answer(0));
        let c = b.join(11, JoinState::SendOnlyFull);
        let mut out = Buf(KVec::new());
        assert!(b.port.show(&mut out).is_ok());
        let text = core::str::from_utf8(&out.0).unwrap_or("");
        assert!(text.starts_with("port 1 groups 1 members 2\n"));
        assert!(text.contains("group ff12:0000:0000:0000:0000:0000:0000:000b state Busy"));
        assert!(text.contains("state Busy join_state 0x1 members 1/0/0/0 mlid 0xc001"));
        assert!(text.contains("Member active join_state 0x1"));
        assert!(text.contains("Joining pending join_state 0x8"));
        assert!(b.sa.answer(0));
        b.free(a);
        b.free(c);
        // Full member first, then send-only full member: one DELETE each.
        assert_eq!(
            b.next_query(),
            Some((SaMethod::Delete, JoinStates::from(JoinState::Full)))
        );
        assert!(b.sa.answer(0));
        assert_eq!(
            b.next_query(),
            Some((SaMethod::Delete, JoinStates::from(JoinState::SendOnlyFull)))
        );
        assert!(b.sa.answer(0));
        assert!(b.finish());
    }
}
