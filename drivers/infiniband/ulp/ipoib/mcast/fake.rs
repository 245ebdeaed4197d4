// SPDX-License-Identifier: GPL-2.0

//! A software stand-in for the interface, for KUnit.
//!
//! Its SA keeps the joins it gets and answers them when a test says so, from a work item of
//! the system workqueue, never on the caller's stack; its clock moves when a test says so; its
//! scheduler records every delay the engine asks for; its QP records attaches and detaches,
//! and its entries count their packets, as `tx_dropped` does.

use super::{
    attempt::Attempt,
    host::Host, //
};
use kernel::{
    fmt,
    prelude::*,
    rdma::{
        sa::{
            McMemberComps,
            McMemberRec, //
        },
        Gid,
    },
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc,
        Completion,
        SpinLockIrq, //
    },
    time::Jiffies,
    workqueue,
};

/// A join the fake SA got.
pub(crate) struct Request {
    pub(crate) rec: McMemberRec,
    pub(crate) comp: McMemberComps,
    attempt: Arc<Attempt<FakeHost>>,
    /// Whether the SA made the membership (answered with success).
    member: Arc<Atomic<bool>>,
    shared: Arc<Shared>,
}

/// What the fake saw and what it does next.
#[derive(Default)]
pub(crate) struct Log {
    /// The join task's delays, in jiffies, in the order asked.
    pub(crate) delays: KVec<Jiffies>,
    pub(crate) carrier_ons: u32,
    /// Joins sent to the SA, by MGID.
    pub(crate) sets: KVec<Gid>,
    /// Memberships the SA made (successful answers), by MGID.
    pub(crate) joined: KVec<Gid>,
    /// Memberships the SA made and got back (DELETE), by MGID.
    pub(crate) deletes: KVec<Gid>,
    pub(crate) attaches: KVec<Gid>,
    pub(crate) detaches: KVec<Gid>,
    /// `priv->broadcast` as published.
    pub(crate) broadcast: Option<Gid>,
    /// Broadcast entries taken away from `priv->broadcast`.
    pub(crate) unpublished: u32,
    /// Packets queued on an entry that had its address handle.
    pub(crate) queued_after_ah: u32,
    pub(crate) transmitted: u32,
    pub(crate) tx_dropped: u32,
    /// Allocations to fail, from the next one.
    pub(crate) fail_allocs: u32,
    /// The error the next `join()` gives at once.
    pub(crate) fail_join: Option<Error>,
    /// The error the next `finish()` gives.
    pub(crate) fail_finish: Option<Error>,
    /// Answer the next join with success from another thread before `join()` returns.
    pub(crate) answer_in_join: bool,
    /// The signal of that answer's handling.
    pub(crate) answered_in_join: Option<Arc<Completion>>,
}

/// The state a test shares with the fake.
#[pin_data]
pub(crate) struct Shared {
    pub(crate) now: Atomic<Jiffies>,
    pub(crate) allowed: Atomic<bool>,
    pub(crate) port_ready: Atomic<bool>,
    /// Entries alive.
    pub(crate) mcasts: Atomic<i32>,
    /// Taken under the engine's lock, which the transmit path takes in softirq context: so
    /// that lockdep sees no inversion through the lock class all engines share, the fake's
    /// locks keep interrupts off too.
    #[pin]
    pub(crate) log: SpinLockIrq<Log>,
    #[pin]
    pub(crate) pending: SpinLockIrq<KVec<Request>>,
}

/// The fake's clock rate.
pub(crate) const HZ: Jiffies = 250;

/// The broadcast group of P_Key 0xffff.
pub(crate) fn broadcast_mgid() -> Gid {
    Gid([
        0xff, 0x12, 0x40, 0x1b, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
    ])
}

/// A group of the IPoIB signature for P_Key 0xffff.
pub(crate) fn group(n: u8) -> Gid {
    Gid([
        0xff, 0x12, 0x40, 0x1b, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0xe0, 0, 0, n,
    ])
}

/// The fake interface.
pub(crate) struct FakeHost {
    pub(crate) shared: Arc<Shared>,
}

/// An entry of the fake.
pub(crate) struct FakeMcast {
    shared: Arc<Shared>,
    queued: Atomic<usize>,
    /// Whether the entry has its address handle.
    ah: Atomic<bool>,
}

impl Drop for FakeMcast {
    fn drop(&mut self) {
        let queued = self.queued.load(Relaxed) as u32;
        self.shared.log.lock().tx_dropped += queued;
        self.shared.mcasts.fetch_sub(1, Relaxed);
    }
}

/// A membership of the fake SA.
pub(crate) struct FakeJoin {
    shared: Arc<Shared>,
    mgid: Gid,
    member: Arc<Atomic<bool>>,
    _attempt: Arc<Attempt<FakeHost>>,
}

impl Drop for FakeJoin {
    fn drop(&mut self) {
        if self.member.load(Relaxed) {
            let _ = self.shared.log.lock().deletes.push(self.mgid, GFP_ATOMIC);
        }
    }
}

impl Shared {
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                now: Atomic::new(1_000_000),
                allowed: Atomic::new(true),
                port_ready: Atomic::new(true),
                mcasts: Atomic::new(0),
                log <- kernel::new_spinlock_irq!(Log::default(), "ipoib_fake_log"),
                pending <- kernel::new_spinlock_irq!(KVec::new(), "ipoib_fake_pending"),
            }),
            GFP_KERNEL,
        )
    }

    /// Moves the clock on.
    pub(crate) fn advance(&self, jiffies: Jiffies) {
        self.now.fetch_add(jiffies, Relaxed);
    }

    /// Joins waiting for an answer.
    pub(crate) fn pending(&self) -> usize {
        self.pending.lock().len()
    }

    /// The record and components of waiting join `i`.
    pub(crate) fn request(&self, i: usize) -> Option<(McMemberRec, McMemberComps)> {
        self.pending.lock().get(i).map(|r| (r.rec, r.comp))
    }

    /// Answers the oldest waiting join with `status` from a work item, and gives the signal
    /// that the answer has been handled (to wait for, or not).
    pub(crate) fn answer_async(&self, status: Result) -> Result<Arc<Completion>> {
        self.answer_with(status, GFP_KERNEL)
    }

    fn answer_with(&self, status: Result, flags: kernel::alloc::Flags) -> Result<Arc<Completion>> {
        let req = {
            let mut p = self.pending.lock();
            if p.is_empty() {
                return Err(ENOENT);
            }
            p.remove(0).map_err(|_| ENOENT)?
        };
        let mut rec = req.rec;
        rec.set_mlid(0xc001);
        rec.set_qkey(0x0b1b);
        rec.set_mtu(4);
        let done = Arc::pin_init(Completion::new(), flags)?;
        let signal = done.clone();
        let shared = req.shared.clone();
        workqueue::system().try_spawn(flags, move || {
            let Request {
                attempt, member, ..
            } = req;
            if status.is_ok() {
                member.store(true, Relaxed);
                let _ = shared.log.lock().joined.push(rec.mgid(), GFP_ATOMIC);
            }
            attempt.answer(status, &rec);
            // The attempt goes before the signal: a test that waited sees every entry the
            // engine let go freed.
            drop((attempt, member));
            signal.complete_all();
        })?;
        Ok(done)
    }

    /// Answers the oldest waiting join and waits until the answer has been handled.
    pub(crate) fn answer(&self, status: Result) -> Result {
        self.answer_async(status)?.wait_for_completion();
        Ok(())
    }

    /// The delays asked since the last call.
    pub(crate) fn take_delays(&self) -> KVec<Jiffies> {
        core::mem::take(&mut self.log.lock().delays)
    }
}

impl Host for FakeHost {
    type Mcast = FakeMcast;
    type Join = FakeJoin;
    type Packet = u32;

    fn warn(&self, args: fmt::Arguments<'_>) {
        pr_warn!("ipoib-fake: {}", args);
    }

    fn dbg(&self, args: fmt::Arguments<'_>) {
        pr_debug!("ipoib-fake: {}", args);
    }

    fn now(&self) -> Jiffies {
        self.shared.now.load(Relaxed)
    }

    fn hz(&self) -> Jiffies {
        HZ
    }

    fn allowed(&self) -> bool {
        self.shared.allowed.load(Relaxed)
    }

    fn port_ready(&self) -> bool {
        self.shared.port_ready.load(Relaxed)
    }

    fn broadcast_mgid(&self) -> Gid {
        broadcast_mgid()
    }

    fn port_gid_and_pkey(&self) -> (Gid, u16) {
        (
            Gid([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
            0xffff,
        )
    }

    fn alloc(&self, _mgid: &Gid, _sendonly: bool) -> Option<FakeMcast> {
        {
            let mut log = self.shared.log.lock();
            if log.fail_allocs > 0 {
                log.fail_allocs -= 1;
                return None;
            }
        }
        self.shared.mcasts.fetch_add(1, Relaxed);
        Some(FakeMcast {
            shared: self.shared.clone(),
            queued: Atomic::new(0),
            ah: Atomic::new(false),
        })
    }

    fn schedule_join_task(&self, delay: Jiffies) {
        let _ = self.shared.log.lock().delays.push(delay, GFP_ATOMIC);
    }

    fn queue_carrier_on(&self) {
        self.shared.log.lock().carrier_ons += 1;
    }

    fn join(
        &self,
        _mcast: &FakeMcast,
        rec: &McMemberRec,
        comp: McMemberComps,
        attempt: Arc<Attempt<FakeHost>>,
    ) -> Result<FakeJoin> {
        {
            let mut log = self.shared.log.lock();
            if let Some(err) = log.fail_join.take() {
                return Err(err);
            }
            log.sets.push(rec.mgid(), GFP_ATOMIC)?;
        }
        let member = Arc::new(Atomic::new(false), GFP_ATOMIC)?;
        self.shared.pending.lock().push(
            Request {
                rec: *rec,
                comp,
                attempt: attempt.clone(),
                member: member.clone(),
                shared: self.shared.clone(),
            },
            GFP_ATOMIC,
        )?;
        if core::mem::take(&mut self.shared.log.lock().answer_in_join) {
            // The answer is under way before the join returns; its handling waits for the
            // engine's lock, which the caller holds.
            let answered = self.shared.answer_with(Ok(()), GFP_ATOMIC)?;
            self.shared.log.lock().answered_in_join = Some(answered);
        }
        Ok(FakeJoin {
            shared: self.shared.clone(),
            mgid: rec.mgid(),
            member,
            _attempt: attempt,
        })
    }

    fn finish(
        &self,
        mcast: &FakeMcast,
        rec: &McMemberRec,
        _broadcast: bool,
        attach: bool,
    ) -> (Result, bool) {
        let mut log = self.shared.log.lock();
        if let Some(err) = log.fail_finish.take() {
            return (Err(err), false);
        }
        if attach && log.attaches.push(rec.mgid(), GFP_ATOMIC).is_err() {
            return (Err(ENOMEM), false);
        }
        // The address handle is made; queued packets wait for `send_queued()`.
        mcast.ah.store(true, Relaxed);
        (Ok(()), attach)
    }

    fn send_queued(&self, mcast: &FakeMcast) {
        // As the live path does: each packet goes through the transmit path again, and must
        // not come back to the queue.
        let n = mcast.queued.xchg(0, Relaxed) as u32;
        self.shared.log.lock().transmitted += n;
    }

    fn detach(&self, _mcast: &FakeMcast, rec: &McMemberRec) {
        let _ = self.shared.log.lock().detaches.push(rec.mgid(), GFP_ATOMIC);
    }

    fn queue_len(&self, mcast: &FakeMcast) -> usize {
        mcast.queued.load(Relaxed)
    }

    fn enqueue(&self, mcast: &FakeMcast, _packet: u32) {
        // A packet queued on an entry with its address handle would wait for ever (the live
        // path's drain would loop on it): the engine must transmit it instead.
        if mcast.ah.load(Relaxed) {
            self.shared.log.lock().queued_after_ah += 1;
        }
        mcast.queued.fetch_add(1, Relaxed);
    }

    fn drop_packet(&self, _packet: u32) {
        self.shared.log.lock().tx_dropped += 1;
    }

    fn drop_queue(&self, mcast: &FakeMcast) {
        let n = mcast.queued.xchg(0, Relaxed) as u32;
        self.shared.log.lock().tx_dropped += n;
    }

    fn transmit(&self, _mcast: &FakeMcast, _packet: u32) {
        self.shared.log.lock().transmitted += 1;
    }

    fn publish_broadcast(&self, _mcast: &FakeMcast) {
        self.shared.log.lock().broadcast = Some(broadcast_mgid());
    }

    fn unpublish_broadcast(&self, _mcast: &FakeMcast) {
        let mut log = self.shared.log.lock();
        log.broadcast = None;
        log.unpublished += 1;
    }

    fn quiesce_transmit(&self) {}

    fn joined_by_user(&self, _mgid: &Gid) -> bool {
        false
    }
}
