// SPDX-License-Identifier: GPL-2.0

//! KUnit tests of the affiliation engine against the fake devices of [`super::fake`].
//!
//! Each test checks the exact sequence of calls the engine made into mlx5, as C's
//! `hw/mlx5/main.c` makes them, and the registry's invariants at its end.

use super::{
    engine::Engine,
    fake::{
        Call::{self, *},
        FakeCore,
        FakeHost,
        FakeIb,
        Recorder, //
    },
    host::Affiliation::{
        Done,
        Removed, //
    },
    master::Master,
    registry::Registry,
    slave::Slave,
};
use kernel::{
    prelude::*,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc,
        Completion, //
    },
    time::delay::fsleep,
    time::Delta,
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

/// A card's GUID, for the devices of most tests.
const GUID: u64 = 0x0002_c903_0000_1000;
/// A physical function's coredev type.
const PF: u8 = 0;

struct Bed {
    e: Arc<Engine<FakeHost>>,
    rec: Arc<Recorder>,
}

impl Bed {
    fn new() -> Result<Self> {
        let rec = Recorder::new()?;
        let e = Engine::new(FakeHost { rec: rec.clone() })?;
        Ok(Bed { e, rec })
    }

    /// A core device `id` of card `guid`, port `port`.
    fn core(id: u32, guid: u64, port: u32) -> Result<Arc<FakeCore>> {
        Ok(Arc::new(
            FakeCore {
                id,
                guid,
                port,
                kind: PF,
            },
            GFP_KERNEL,
        )?)
    }

    /// A master `id` on port 1 of card `guid`, with two ports; its publication is recorded.
    fn master(&self, id: u32, guid: u64) -> Result<Arc<Master<FakeHost>>> {
        let rec = self.rec.clone();
        let publish = move |_: &Arc<Master<FakeHost>>| rec.record(Publish(id));
        self.e
            .add_master(FakeIb(id), Self::core(id, guid, 1)?, 2, publish)
    }

    /// A slave `id` on port 2 of card `guid`.
    fn slave(&self, id: u32, guid: u64) -> Result<Arc<Slave<FakeHost>>> {
        self.e.add_slave(Self::core(id, guid, 2)?)
    }

    fn calls(&self) -> KVec<Call> {
        self.rec.take()
    }

    /// Checks the registry's invariants; returns (unaffiliated, bound).
    fn invariants(&self) -> Result<(usize, usize)> {
        self.e.with_registry(invariants)
    }
}

/// Every slave alive is in exactly one place: on the unaffiliated list and bound to nothing, or
/// in the port of the master its binding names, and that master is registered; the two counts
/// add up to the slaves alive.
fn invariants(reg: &Registry<FakeHost>) -> Result<(usize, usize)> {
    for s in reg.unaffiliated() {
        check!(s.binding.access(reg).master.is_none());
        check!(s.binding.access(reg).listener.is_none());
        check!(
            reg.unaffiliated()
                .iter()
                .filter(|o| Arc::ptr_eq(o, s))
                .count()
                == 1
        );
    }
    let mut bound = 0;
    for m in reg.masters.iter() {
        for port in 1..=m.ports() {
            if let Some(s) = m.slave_at(port) {
                bound += 1;
                check!(s.port == port);
                check!(s
                    .binding
                    .access(reg)
                    .master
                    .as_ref()
                    .is_some_and(|b| Arc::ptr_eq(b, m)));
                check!(!reg.unaffiliated().iter().any(|o| Arc::ptr_eq(o, &s)));
            }
        }
    }
    check!(reg.unaffiliated().len() + bound == reg.slaves());
    Ok((reg.unaffiliated().len(), bound))
}

/// The calls of binding slave `s` (port 2) to master `m`.
fn bind_calls(m: u32, s: u32) -> [Call; 8] {
    [
        Affiliate(m, s),
        Track(m, 2),
        Listen(s),
        AddCong(m, 2),
        Replay(s, Done(u64::from(s) + 100)),
        Replay(m, Done(u64::from(s) + 100)),
        EnableLb(m, s),
        // Then, when a slave's probe bound it, the master activated.
        Activate(m),
    ]
}

/// The calls of unbinding slave `s` (port 2) from master `m`, the notifier registered.
fn unbind_calls(m: u32, s: u32) -> [Call; 9] {
    [
        DisableLb(m, s),
        Replay(m, Removed),
        Replay(s, Removed),
        RemoveCong(m, 2),
        Unlisten(s),
        Untrack(m, 2),
        Unaffiliate(s),
        PortDown(m, 2),
        // Then, when the master's cleanup unbound it, RoCE disabled on the master.
        DisableRoce(m),
    ]
}

/// Runs `f` on a work item; returns a flag set when it returned and a completion.
fn spawn(f: impl FnOnce() + Send + 'static) -> Result<(Arc<Atomic<bool>>, Arc<Completion>)> {
    let done = Arc::pin_init(Completion::new(), GFP_KERNEL)?;
    let returned = Arc::new(Atomic::new(false), GFP_KERNEL)?;
    let (d, r) = (done.clone(), returned.clone());
    workqueue::system_unbound().try_spawn(GFP_KERNEL, move || {
        f();
        r.store(true, Relaxed);
        d.complete_all();
    })?;
    Ok((returned, done))
}

/// A small deterministic generator (xorshift64).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// One thread of the random test: masters and slaves of its own cards, added and removed at
/// random, the invariants checked after every step.
fn churn(e: &Arc<Engine<FakeHost>>, seed: u64, base: u32) -> Result {
    let mut rng = Rng(seed);
    let mut masters: [Option<Arc<Master<FakeHost>>>; 2] = [None, None];
    let mut slaves: [Option<Arc<Slave<FakeHost>>>; 4] = [None, None, None, None];
    for _ in 0..200 {
        let card = rng.below(2) as usize;
        // The threads share the cards: one's slave binds to another's master.
        let guid = GUID + card as u64;
        if rng.below(3) == 0 {
            match masters[card].take() {
                Some(m) => e.remove_master(&m),
                None => {
                    let id = base + card as u32;
                    let core = Bed::core(id, guid, 1)?;
                    masters[card] = Some(e.add_master(FakeIb(id), core, 2, |_| ())?);
                }
            }
        } else {
            // Two slaves per card, both port 2: the second finds the port taken.
            let i = card * 2 + rng.below(2) as usize;
            match slaves[i].take() {
                Some(s) => e.remove_slave(s),
                None => slaves[i] = Some(e.add_slave(Bed::core(base + 10 + i as u32, guid, 2)?)?),
            }
        }
        e.with_registry(invariants)?;
        if rng.below(8) == 0 {
            // Events on the way while things move.
            for s in slaves.iter().flatten() {
                e.as_arc_borrow().slave_event(s.as_arc_borrow(), 7)?;
            }
        }
    }
    for s in slaves.iter_mut().filter_map(Option::take) {
        e.remove_slave(s);
    }
    for m in masters.iter_mut().filter_map(Option::take) {
        e.remove_master(&m);
    }
    Ok(())
}

#[kunit_tests(rdma_rs_mlx5_mp)]
mod cases {
    use super::*;

    #[test]
    fn master_then_slave() -> Result {
        let b = Bed::new()?;
        let m = b.master(1, GUID)?;
        assert_eq!(&b.calls()[..], &[Guid(1), EnableRoce(1), Publish(1)]);
        let s = b.slave(2, GUID)?;
        let mut want = KVec::new();
        want.push(Guid(2), GFP_KERNEL)?;
        want.extend_from_slice(&bind_calls(1, 2), GFP_KERNEL)?;
        assert_eq!(&b.calls()[..], &want[..]);
        assert!(m.holds(2, &s));
        assert!(b.e.master_of(&s).is_some_and(|o| Arc::ptr_eq(&o, &m)));
        assert_eq!(b.invariants()?, (0, 1));
        b.e.remove_slave(s);
        assert_eq!(&b.calls()[..], &unbind_calls(1, 2)[..8]);
        b.e.remove_master(&m);
        assert_eq!(&b.calls()[..], &[DisableRoce(1)]);
        assert_eq!(b.invariants()?, (0, 0));
        Ok(())
    }

    #[test]
    fn slave_then_master_and_master_gone_and_back() -> Result {
        let b = Bed::new()?;
        let s = b.slave(2, GUID)?;
        assert_eq!(&b.calls()[..], &[Guid(2)]);
        assert_eq!(b.invariants()?, (1, 0));
        let m = b.master(1, GUID)?;
        let mut want = KVec::new();
        // Published before the bind, whose calls look the slave up through the master.
        want.extend_from_slice(&[Guid(1), EnableRoce(1), Publish(1)], GFP_KERNEL)?;
        // A master's init binds without `Activate` (the device registers later).
        want.extend_from_slice(&bind_calls(1, 2)[..7], GFP_KERNEL)?;
        assert_eq!(&b.calls()[..], &want[..]);
        assert_eq!(b.invariants()?, (0, 1));
        // The master goes with the slave bound: the slave is parked, unbound.
        b.e.remove_master(&m);
        assert_eq!(&b.calls()[..], &unbind_calls(1, 2)[..]);
        assert!(b.e.master_of(&s).is_none());
        assert_eq!(b.invariants()?, (1, 0));
        // And comes back (a new device of the same card): bound again.
        let m = b.master(3, GUID)?;
        assert!(m.holds(2, &s));
        assert_eq!(b.invariants()?, (0, 1));
        b.e.remove_master(&m);
        b.e.remove_slave(s);
        assert_eq!(b.invariants()?, (0, 0));
        Ok(())
    }

    #[test]
    fn guid_or_coredev_type_mismatch_stays_unaffiliated() -> Result {
        let b = Bed::new()?;
        let m = b.master(1, GUID)?;
        let other_card = b.slave(2, GUID + 1)?;
        let vf = b.e.add_slave(Arc::new(
            FakeCore {
                id: 3,
                guid: GUID,
                port: 2,
                kind: PF + 1,
            },
            GFP_KERNEL,
        )?)?;
        assert_eq!(
            &b.calls()[..],
            &[Guid(1), EnableRoce(1), Publish(1), Guid(2), Guid(3)]
        );
        assert!(m.slave_at(2).is_none());
        assert_eq!(b.invariants()?, (2, 0));
        b.e.remove_slave(other_card);
        b.e.remove_slave(vf);
        assert!(b.calls().is_empty());
        b.e.remove_master(&m);
        assert_eq!(b.invariants()?, (0, 0));
        Ok(())
    }

    #[test]
    fn occupied_slot_and_two_masters_of_one_card() -> Result {
        let b = Bed::new()?;
        let m1 = b.master(1, GUID)?;
        let m2 = b.master(4, GUID)?;
        let s = b.slave(2, GUID)?;
        // The first master of the card gets it; the second keeps its port free.
        assert!(m1.holds(2, &s));
        assert!(m2.slave_at(2).is_none());
        // A second slave for the same port: both masters' ports are tried, the first taken,
        // the second bound.
        let t = b.slave(3, GUID)?;
        assert!(m2.holds(2, &t));
        // A third finds both taken: unaffiliated, no firmware call.
        b.calls();
        let u = b.slave(5, GUID)?;
        assert_eq!(&b.calls()[..], &[Guid(5)]);
        assert_eq!(b.invariants()?, (1, 2));
        // When the first master goes, its slave goes back to the list, behind the third.
        b.e.remove_master(&m1);
        assert_eq!(b.invariants()?, (2, 1));
        for x in [s, t, u] {
            b.e.remove_slave(x);
        }
        b.e.remove_master(&m2);
        assert_eq!(b.invariants()?, (0, 0));
        Ok(())
    }

    #[test]
    fn slave_removed_bound_and_unbound() -> Result {
        let b = Bed::new()?;
        let parked = b.slave(2, GUID + 9)?;
        b.calls();
        b.e.remove_slave(parked);
        assert!(b.calls().is_empty());
        let m = b.master(1, GUID)?;
        let s = b.slave(2, GUID)?;
        b.calls();
        b.e.remove_slave(s);
        assert_eq!(&b.calls()[..], &unbind_calls(1, 2)[..8]);
        assert!(m.slave_at(2).is_none());
        // The port is free for the next slave.
        let s = b.slave(3, GUID)?;
        assert!(m.holds(2, &s));
        b.e.remove_slave(s);
        b.e.remove_master(&m);
        assert_eq!(b.invariants()?, (0, 0));
        Ok(())
    }

    #[test]
    fn failure_paths_in_order() -> Result {
        let b = Bed::new()?;
        // The GUID query of a probe fails: nothing else happens.
        b.rec.fail(|f| f.guid = true);
        assert!(b.slave(2, GUID).is_err());
        assert_eq!(&b.calls()[..], &[Guid(2)]);
        // Of a master's init, and its RoCE enable.
        b.rec.fail(|f| f.guid = true);
        assert!(b.master(1, GUID).is_err());
        b.rec.fail(|f| f.enable_roce = true);
        assert!(b.master(1, GUID).is_err());
        assert_eq!(&b.calls()[..], &[Guid(1), Guid(1), EnableRoce(1)]);
        assert_eq!(b.invariants()?, (0, 0));
        let m = b.master(1, GUID)?;
        b.calls();
        // The affiliation fails: a full unbind, the firmware told to unaffiliate, and the
        // port stays unaffiliated.
        b.rec.fail(|f| f.affiliate = true);
        let s = b.slave(2, GUID)?;
        assert_eq!(
            &b.calls()[..],
            &[
                Guid(2),
                Affiliate(1, 2),
                DisableLb(1, 2),
                Replay(1, Removed),
                Replay(2, Removed),
                RemoveCong(1, 2),
                Untrack(1, 2),
                Unaffiliate(2),
                PortDown(1, 2),
            ]
        );
        assert!(m.slave_at(2).is_none());
        assert_eq!(b.invariants()?, (1, 0));
        b.e.remove_slave(s);
        // Loopback fails: everything done is undone.
        b.rec.fail(|f| f.enable_lb = true);
        let s = b.slave(2, GUID)?;
        let mut want = KVec::new();
        want.push(Guid(2), GFP_KERNEL)?;
        want.extend_from_slice(&bind_calls(1, 2)[..7], GFP_KERNEL)?;
        want.extend_from_slice(&unbind_calls(1, 2)[..8], GFP_KERNEL)?;
        assert_eq!(&b.calls()[..], &want[..]);
        assert_eq!(b.invariants()?, (1, 0));
        b.e.remove_slave(s);
        // The notifier cannot be registered (C ignores it): bound without events, and the
        // unbind has nothing to unregister.
        b.rec.fail(|f| f.listen = true);
        let s = b.slave(2, GUID)?;
        assert!(m.holds(2, &s));
        b.calls();
        // The unaffiliation fails: logged, the port freed all the same.
        b.rec.fail(|f| f.unaffiliate = true);
        b.e.remove_slave(s);
        let mut want = KVec::new();
        want.extend_from_slice(&unbind_calls(1, 2)[..4], GFP_KERNEL)?;
        want.extend_from_slice(&unbind_calls(1, 2)[5..8], GFP_KERNEL)?;
        assert_eq!(&b.calls()[..], &want[..]);
        assert!(m.slave_at(2).is_none());
        b.e.remove_master(&m);
        assert_eq!(b.invariants()?, (0, 0));
        Ok(())
    }

    #[test]
    fn unbind_waits_for_the_last_user() -> Result {
        let b = Bed::new()?;
        let m = b.master(1, GUID)?;
        let s = b.slave(2, GUID)?;
        // The master's own port: no count. The slave's: two users.
        assert!(m.native_core(1).is_some_and(|c| c.id == 1));
        assert!(m.native_core(2).is_some_and(|c| c.id == 2));
        assert!(m.native_core(2).is_some());
        assert_eq!(m.users(2), 2);
        assert!(m.native_core(3).is_none());
        b.calls();
        let (e, s2) = (b.e.clone(), s.clone());
        let (returned, done) = spawn(move || e.remove_slave(s2))?;
        // Until the unbind waits on the users (bounded: 10 s).
        let mut waited = 0;
        while !m.draining(2) && waited < 1000 {
            fsleep(Delta::from_millis(10));
            waited += 1;
        }
        // No new user meanwhile; an extra one is given back before any check can end the test,
        // so that the unbind is never left waiting.
        let extra = m.native_core(2);
        if extra.is_some() {
            m.put_native_core(2);
        }
        let blocked = !returned.load(Relaxed);
        let calls = b.calls();
        m.put_native_core(2);
        fsleep(Delta::from_millis(20));
        let blocked_on_one = !returned.load(Relaxed);
        m.put_native_core(2);
        done.wait_for_completion();
        assert!(m.users(2) == 0 && extra.is_none());
        // Blocked on the users, the notifier already gone, the firmware not yet told.
        assert!(blocked && blocked_on_one);
        assert_eq!(&calls[..], &unbind_calls(1, 2)[..6]);
        assert!(returned.load(Relaxed));
        assert_eq!(&b.calls()[..], &unbind_calls(1, 2)[6..8]);
        assert_eq!(m.users(2), 0);
        // A put too many is refused, not counted below zero.
        m.put_native_core(2);
        drop(s);
        b.e.remove_master(&m);
        assert_eq!(b.invariants()?, (0, 0));
        Ok(())
    }

    #[test]
    fn event_queued_then_slave_removed() -> Result {
        let b = Bed::new()?;
        let m = b.master(1, GUID)?;
        let s = b.slave(2, GUID)?;
        b.calls();
        // Bound: the event reaches the master.
        b.e.as_arc_borrow().slave_event(s.as_arc_borrow(), 5)?;
        b.rec.flush();
        assert_eq!(&b.calls()[..], &[Event(1, 5)]);
        // Hold the queue, queue an event, remove the slave, let the event run: it finds no
        // master and is dropped; the slave lives until then.
        b.rec.hold();
        b.e.as_arc_borrow().slave_event(s.as_arc_borrow(), 6)?;
        b.e.remove_slave(s);
        b.rec.release();
        b.rec.flush();
        assert_eq!(&b.calls()[..], &unbind_calls(1, 2)[..8]);
        b.e.remove_master(&m);
        assert_eq!(b.invariants()?, (0, 0));
        Ok(())
    }

    #[test]
    fn random_probe_and_remove_from_threads() -> Result {
        let b = Bed::new()?;
        let mut waits = KVec::new();
        for t in 0..3u32 {
            let e = b.e.clone();
            let seed = 0x9e37_79b9_7f4a_7c15 ^ u64::from(t + 1);
            let failed = Arc::new(Atomic::new(false), GFP_KERNEL)?;
            let f = failed.clone();
            let (_, done) = spawn(move || {
                if churn(&e, seed, 100 * (t + 1)).is_err() {
                    f.store(true, Relaxed);
                }
            })?;
            waits.push((failed, done), GFP_KERNEL)?;
        }
        for (failed, done) in waits.iter() {
            done.wait_for_completion();
            assert!(!failed.load(Relaxed));
        }
        b.rec.flush();
        assert_eq!(b.invariants()?, (0, 0));
        // Affiliations and unaffiliations balance, and so do notifiers.
        let calls = b.calls();
        let count = |p: fn(&Call) -> bool| calls.iter().filter(|c| p(c)).count();
        assert!(count(|c| matches!(c, Affiliate(..))) > 0);
        assert_eq!(
            count(|c| matches!(c, Affiliate(..))),
            count(|c| matches!(c, Unaffiliate(..)))
        );
        assert_eq!(
            count(|c| matches!(c, Listen(..))),
            count(|c| matches!(c, Unlisten(..)))
        );
        assert_eq!(
            count(|c| matches!(c, EnableRoce(..))),
            count(|c| matches!(c, DisableRoce(..)))
        );
        Ok(())
    }
}
