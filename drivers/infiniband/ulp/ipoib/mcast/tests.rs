// SPDX-License-Identifier: GPL-2.0

//! KUnit tests of the join engine against the fake interface of [`super::fake`].
//!
//! The SA answers from a work item, as ib_core's does; a test that must be blocked while an
//! answer arrives (a flush or a restart waiting for a join) runs that call from a work item
//! too. Every test ends with [`Bed::finish`]: after a flush nothing is pending, every entry is
//! freed, and every membership the SA made was given back exactly once (one DELETE per
//! successful join).

use super::{
    engine::Engine,
    fake::{
        broadcast_mgid,
        group,
        FakeHost,
        Shared,
        HZ, //
    },
};
use kernel::{
    prelude::*,
    rdma::{
        sa::McMemberComp,
        Gid, //
    },
    sync::{
        Arc,
        Completion, //
    },
    time::{
        delay::fsleep,
        Delta,
        Jiffies, //
    },
    workqueue,
};

/// Fails the test (an error, not a panic: these helpers are outside the KUnit module, whose
/// `assert!` reports a failure) when `$c` does not hold.
macro_rules! check {
    ($c:expr) => {
        if !$c {
            kernel::pr_err!("check failed: {}\n", stringify!($c));
            return Err(EINVAL);
        }
    };
}

struct Bed {
    s: Arc<Shared>,
    e: Arc<Engine<FakeHost>>,
}

impl Bed {
    fn new() -> Result<Self> {
        let s = Shared::new()?;
        let e = Engine::new(FakeHost { shared: s.clone() })?;
        Ok(Self { s, e })
    }

    /// The broadcast group joined and attached.
    fn up() -> Result<Self> {
        let b = Self::new()?;
        b.e.join_task();
        check!(b.s.pending() == 1);
        b.s.answer(Ok(()))?;
        check!(b.s.log.lock().attaches.len() == 1);
        b.s.take_delays();
        Ok(b)
    }

    /// Runs `f` (a flush or a restart, which waits for the join in flight) on a work item, waits
    /// until `blocked` holds, answers the join with `answer` and waits for `f` to return.
    /// Returns whether `blocked` held before the answer.
    fn answer_while_blocked(
        &self,
        f: impl FnOnce(&Engine<FakeHost>) + Send + 'static,
        blocked: impl Fn(&Self) -> bool,
        answer: Result,
    ) -> Result<bool> {
        let done = Arc::pin_init(Completion::new(), GFP_KERNEL)?;
        let signal = done.clone();
        let e = self.e.clone();
        workqueue::system().try_spawn(GFP_KERNEL, move || {
            f(&e);
            signal.complete_all();
        })?;
        let held = self.wait_for(|_| blocked(self));
        // Answered either way, so that `f` never waits for ever.
        self.s.answer(answer)?;
        done.wait_for_completion();
        Ok(held)
    }

    /// Waits up to ten seconds (an emulated guest is slow) for `cond`.
    fn wait_for(&self, cond: impl Fn(&Shared) -> bool) -> bool {
        for _ in 0..1000 {
            if cond(&self.s) {
                return true;
            }
            fsleep(Delta::from_millis(10));
        }
        cond(&self.s)
    }

    /// The DELETEs of `mgid`.
    fn deletes(&self, mgid: Gid) -> usize {
        self.s
            .log
            .lock()
            .deletes
            .iter()
            .filter(|g| **g == mgid)
            .count()
    }

    /// Flushes and checks that nothing is left.
    fn finish(self) -> Result {
        self.e.flush();
        check!(self.s.pending() == 0);
        check!(self.s.log.lock().broadcast.is_none());
        drop(self.e);
        check!(self.s.mcasts.load(kernel::sync::atomic::Relaxed) == 0);
        // Every membership the SA made was given back exactly once, and no packet waited on
        // an entry that could send it.
        let log = self.s.log.lock();
        check!(log.queued_after_ah == 0);
        for g in Iterator::chain(log.joined.iter(), log.deletes.iter()) {
            let made = log.joined.iter().filter(|x| *x == g).count();
            let left = log.deletes.iter().filter(|x| *x == g).count();
            if made != left {
                kernel::pr_err!("{:?}: {} memberships made, {} given back\n", g, made, left);
                return Err(EINVAL);
            }
        }
        Ok(())
    }
}

fn delays(b: &Bed) -> KVec<Jiffies> {
    b.s.take_delays()
}

#[kunit_tests(rdma_rs_ipoib_mcast)]
mod cases {
    use super::*;

    #[test]
    fn broadcast_first_then_groups_in_list_order() -> Result {
        let b = Bed::new()?;
        b.e.restart(&[group(1), group(2)]);
        assert_eq!(&delays(&b)[..], &[0]);
        b.e.join_task();
        // Only the broadcast group, with the port's fields and no Q_Key.
        assert_eq!(b.s.pending(), 1);
        let (rec, comp) = b.s.request(0).ok_or(EINVAL)?;
        assert!(rec.mgid() == broadcast_mgid());
        assert!(!comp.contains(McMemberComp::Qkey));
        assert!(comp.contains(McMemberComp::PortGid));
        assert_eq!(rec.join_state().as_raw(), 1);
        assert!(b.s.log.lock().broadcast == Some(broadcast_mgid()));
        b.s.answer(Ok(()))?;
        assert_eq!(b.s.log.lock().carrier_ons, 1);
        assert_eq!(&delays(&b)[..], &[0]);
        b.e.join_task();
        assert_eq!(b.s.pending(), 2);
        for (i, g) in [group(1), group(2)].into_iter().enumerate() {
            let (rec, comp) = b.s.request(i).ok_or(EINVAL)?;
            assert!(rec.mgid() == g);
            // The broadcast group's Q_Key and MTU, as the SA answered them.
            assert!(comp.contains(McMemberComp::Qkey) && comp.contains(McMemberComp::Mtu));
            assert_eq!((rec.qkey(), rec.mtu()), (0x0b1b, 4));
        }
        b.s.answer(Ok(()))?;
        b.s.answer(Ok(()))?;
        assert_eq!(b.s.log.lock().attaches.len(), 3);
        // Joined groups are not joined again, and the carrier went on once.
        b.e.join_task();
        assert_eq!(b.s.pending(), 0);
        assert_eq!(b.s.log.lock().carrier_ons, 1);
        b.e.flush();
        assert_eq!(b.s.log.lock().detaches.len(), 3);
        assert_eq!(b.s.log.lock().deletes.len(), 3);
        b.finish()
    }

    #[test]
    fn backoff_doubles_to_16_s_and_resets_on_success() -> Result {
        let b = Bed::new()?;
        for backoff in [2, 4, 8, 16, 16] {
            b.e.join_task();
            assert_eq!(b.s.pending(), 1);
            b.s.answer(Err(ETIMEDOUT))?;
            // The task runs at once and waits for the backoff itself.
            assert_eq!(&delays(&b)[..], &[0]);
            b.e.join_task();
            assert_eq!(b.s.pending(), 0);
            assert_eq!(&delays(&b)[..], &[backoff * HZ]);
            b.s.advance(backoff * HZ);
        }
        b.e.join_task();
        b.s.answer(Ok(()))?;
        assert_eq!(b.s.log.lock().carrier_ons, 1);
        // A later failure starts again from 2 s.
        b.e.restart(&[group(3)]);
        b.e.join_task();
        delays(&b);
        b.s.answer(Err(ETIMEDOUT))?;
        b.e.join_task();
        assert_eq!(&delays(&b)[..], &[0, 2 * HZ]);
        b.s.advance(2 * HZ);
        b.e.join_task();
        b.s.answer(Ok(()))?;
        // Failed joins were never members: no DELETE for them.
        assert_eq!(b.deletes(broadcast_mgid()), 0);
        b.finish()
    }

    #[test]
    fn broadcast_alloc_failure_and_immediate_join_error() -> Result {
        let b = Bed::new()?;
        b.s.log.lock().fail_allocs = 1;
        b.e.join_task();
        // Retried after 1 s, with nothing joined.
        assert_eq!(&delays(&b)[..], &[HZ]);
        assert_eq!(b.s.pending(), 0);
        assert!(b.s.log.lock().broadcast.is_none());
        b.s.log.lock().fail_join = Some(ENOMEM);
        b.e.join_task();
        assert_eq!(b.s.pending(), 0);
        assert_eq!(&delays(&b)[..], &[0]);
        // Not busy: the join task tries again after the backoff.
        b.e.join_task();
        assert_eq!(&delays(&b)[..], &[2 * HZ]);
        b.s.advance(2 * HZ);
        b.e.join_task();
        assert_eq!(b.s.pending(), 1);
        b.s.answer(Ok(()))?;
        b.finish()
    }

    #[test]
    fn sendonly_queues_64_joins_twice_then_drops() -> Result {
        let b = Bed::up()?;
        let g = group(9);
        for p in 0..65 {
            b.e.send(&g, p);
        }
        assert_eq!(b.s.log.lock().tx_dropped, 1);
        assert_eq!(delays(&b).len(), 65);
        b.e.join_task();
        let (rec, _) = b.s.request(0).ok_or(EINVAL)?;
        // SendOnlyFullMember.
        assert_eq!(rec.join_state().as_raw(), 8);
        b.s.answer(Err(EINVAL))?;
        b.s.advance(2 * HZ);
        b.e.join_task();
        assert_eq!(b.s.pending(), 1);
        delays(&b);
        b.s.answer(Err(EINVAL))?;
        // Two tries: the queue goes, the entry stays, unjoined; the join task runs at once to
        // give the failed membership back.
        assert_eq!(b.s.log.lock().tx_dropped, 65);
        assert_eq!(&delays(&b)[..], &[0]);
        b.e.join_task();
        assert_eq!(b.s.pending(), 0);
        // The next packet arms it again; joined, it sends what waited, then sends at once.
        b.e.send(&g, 100);
        b.e.join_task();
        b.s.answer(Ok(()))?;
        assert_eq!(b.s.log.lock().transmitted, 1);
        b.e.send(&g, 101);
        assert_eq!(b.s.log.lock().transmitted, 2);
        // No attach for a send-only group.
        assert_eq!(b.s.log.lock().attaches.len(), 1);
        // The neighbour reaper takes it.
        let e = b.e.take_sendonly(&g).ok_or(EINVAL)?;
        let mut list = KVec::new();
        list.push(e, GFP_KERNEL)?;
        b.e.remove_list(list);
        assert_eq!(b.deletes(g), 1);
        assert!(b.e.find(&g).is_none());
        b.finish()
    }

    #[test]
    fn seed_race_answer_while_joining_then_ifdown_flush() -> Result {
        let b = Bed::up()?;
        b.e.restart(&[group(4)]);
        // The answer is under way before the SA code's join returns.
        b.s.log.lock().answer_in_join = true;
        b.e.join_task();
        let answered = b.s.log.lock().answered_in_join.take().ok_or(EINVAL)?;
        answered.wait_for_completion();
        assert_eq!(b.s.log.lock().attaches.len(), 2);
        b.s.allowed.store(false, kernel::sync::atomic::Relaxed);
        b.e.flush();
        assert_eq!(b.deletes(group(4)), 1);
        assert_eq!(b.deletes(broadcast_mgid()), 1);
        b.finish()
    }

    #[test]
    fn seed_race_broadcast_freed_during_its_own_join() -> Result {
        let b = Bed::new()?;
        b.e.join_task();
        assert_eq!(b.s.pending(), 1);
        b.s.allowed.store(false, kernel::sync::atomic::Relaxed);
        let taken = b.answer_while_blocked(
            |e| e.flush(),
            |b| b.s.log.lock().broadcast.is_none(),
            Ok(()),
        )?;
        assert!(taken);
        // EAGAIN: no attach, no carrier, no retry; the SA's membership given back once.
        let log = b.s.log.lock();
        assert_eq!((log.attaches.len(), log.carrier_ons), (0, 0));
        // The entry was freed only once no reader of `priv->broadcast` could still use it.
        assert_eq!(log.unpublished, 1);
        drop(log);
        assert_eq!(b.deletes(broadcast_mgid()), 1);
        assert!(delays(&b).is_empty());
        b.finish()
    }

    #[test]
    fn flush_during_a_failing_answer_frees_after_it() -> Result {
        let b = Bed::up()?;
        b.e.restart(&[group(5)]);
        b.e.join_task();
        b.s.allowed.store(false, kernel::sync::atomic::Relaxed);
        // The flush waits for the join: both entries still there, none freed.
        let taken = b.answer_while_blocked(
            |e| e.flush(),
            |b| {
                b.s.log.lock().broadcast.is_none()
                    && b.s.mcasts.load(kernel::sync::atomic::Relaxed) == 2
            },
            Err(ETIMEDOUT),
        )?;
        assert!(taken);
        assert_eq!(b.deletes(group(5)), 0);
        assert_eq!(b.deletes(broadcast_mgid()), 1);
        b.finish()
    }

    #[test]
    fn leave_while_the_groups_join_is_in_flight() -> Result {
        let b = Bed::up()?;
        b.e.restart(&[group(6)]);
        b.e.join_task();
        assert_eq!(b.s.pending(), 1);
        // `ip maddr del`: the restart task waits for the join, then leaves.
        let taken = b.answer_while_blocked(
            |e| e.restart(&[]),
            |b| b.e.find(&group(6)).is_none(),
            Ok(()),
        )?;
        assert!(taken);
        {
            let log = b.s.log.lock();
            assert_eq!(log.attaches.len(), 2);
            assert!(log.detaches.len() == 1 && log.detaches[0] == group(6));
        }
        assert_eq!(b.deletes(group(6)), 1);
        b.finish()
    }

    #[test]
    fn restart_replaces_a_sendonly_entry_and_debugfs_walks_in_mgid_order() -> Result {
        let b = Bed::up()?;
        b.e.send(&group(8), 1);
        b.e.restart(&[group(8), group(7)]);
        let e8 = b.e.find(&group(8)).ok_or(EINVAL)?;
        assert!(!e8.sendonly);
        // The send-only entry was left: its queued packet counted as dropped.
        assert_eq!(b.s.log.lock().tx_dropped, 1);
        let mut seen = KVec::new();
        let mut at = Gid([0; 16]);
        while let Some(row) = b.e.next_after(&at) {
            seen.push(row.mgid, GFP_KERNEL)?;
            at = row.mgid;
        }
        assert!(seen.len() == 3 && seen[0] == group(7) && seen[1] == group(8));
        assert!(seen[2] == broadcast_mgid());
        drop(e8);
        b.e.join_task();
        b.s.answer(Ok(()))?;
        b.s.answer(Ok(()))?;
        b.finish()
    }

    #[test]
    fn port_flap_flush_then_restart_rejoins_once_and_carrier_follows_broadcast() -> Result {
        let b = Bed::up()?;
        b.e.restart(&[group(1)]);
        b.e.join_task();
        b.s.answer(Ok(()))?;
        // A light flush (CLIENT_REREGISTER) or PORT_ERR: every group left once.
        b.e.flush();
        assert_eq!((b.deletes(broadcast_mgid()), b.deletes(group(1))), (1, 1));
        assert_eq!(b.s.log.lock().detaches.len(), 2);
        // PORT_ACTIVE: the restart task, then the join task; the carrier waits for the
        // broadcast group's attach.
        b.e.restart(&[group(1)]);
        b.e.start();
        b.e.join_task();
        assert_eq!(b.s.pending(), 1);
        assert_eq!(b.s.log.lock().carrier_ons, 1);
        b.s.answer(Ok(()))?;
        assert_eq!(b.s.log.lock().carrier_ons, 2);
        b.e.join_task();
        b.s.answer(Ok(()))?;
        assert_eq!(b.s.log.lock().attaches.len(), 4);
        b.finish()
    }

    #[test]
    fn enetreset_keeps_the_membership() -> Result {
        let b = Bed::new()?;
        b.e.join_task();
        b.s.answer(Err(ENETRESET))?;
        // Counted as joined: no retry, no finish, no carrier.
        b.e.join_task();
        assert_eq!(b.s.pending(), 0);
        let log = b.s.log.lock();
        assert_eq!(
            (log.sets.len(), log.attaches.len(), log.carrier_ons),
            (1, 0, 0)
        );
        drop(log);
        assert!(delays(&b).is_empty());
        b.finish()
    }
}
