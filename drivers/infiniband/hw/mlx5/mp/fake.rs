// SPDX-License-Identifier: GPL-2.0

//! Fake core devices and a recording host, for KUnit.
//!
//! A fake core device carries what the engine reads from mlx5 (system image GUID, native port,
//! coredev type, auxiliary index); the host records every call the engine makes, in order,
//! fails the ones a test asks it to, and handles events on a workqueue of its own.

use super::{
    event::EventWork,
    host::{
        Affiliation,
        Host, //
    },
    slave::Slave,
};
use kernel::{
    new_mutex,
    prelude::*,
    sync::{
        Arc,
        Mutex, //
    },
    workqueue::{
        OwnedQueue,
        QueueFlags, //
    },
};

/// A fake `struct mlx5_core_dev`.
pub(crate) struct FakeCore {
    /// A name for the log: `m0`, `s1`, ...
    pub(crate) id: u32,
    pub(crate) guid: u64,
    pub(crate) port: u32,
    /// `coredev_type`: physical function, virtual function, ...
    pub(crate) kind: u8,
}

/// A fake `struct mlx5_ib_dev`: its core device's id.
pub(crate) struct FakeIb(pub(crate) u32);

/// One call of the engine into the host, with the ids of the devices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Call {
    Guid(u32),
    EnableRoce(u32),
    DisableRoce(u32),
    Affiliate(u32, u32),
    Unaffiliate(u32),
    Replay(u32, Affiliation),
    Track(u32, u32),
    Untrack(u32, u32),
    AddCong(u32, u32),
    RemoveCong(u32, u32),
    EnableLb(u32, u32),
    DisableLb(u32, u32),
    PortDown(u32, u32),
    Activate(u32),
    Listen(u32),
    Unlisten(u32),
    /// An event (its number) handled on a master.
    Event(u32, u32),
    /// A master made reachable by its host (the `publish` of `add_master`).
    Publish(u32),
}

/// Calls the host fails, once each when asked.
#[derive(Default)]
pub(crate) struct Faults {
    pub(crate) guid: bool,
    pub(crate) enable_roce: bool,
    pub(crate) affiliate: bool,
    pub(crate) unaffiliate: bool,
    pub(crate) enable_lb: bool,
    pub(crate) listen: bool,
}

#[pin_data]
pub(crate) struct Recorder {
    #[pin]
    calls: Mutex<KVec<Call>>,
    #[pin]
    faults: Mutex<Faults>,
    /// The event queue, ordered as `mlx5_ib_event_wq`.
    events: OwnedQueue,
    /// Event works held back while a test holds the queue.
    #[pin]
    held: Mutex<Option<KVec<Arc<EventWork<FakeHost>>>>>,
}

/// The recording host.
pub(crate) struct FakeHost {
    pub(crate) rec: Arc<Recorder>,
}

/// A slave's fake notifier registration: records its end.
pub(crate) struct FakeListener {
    rec: Arc<Recorder>,
    id: u32,
}

impl Drop for FakeListener {
    fn drop(&mut self) {
        self.rec.record(Call::Unlisten(self.id));
    }
}

impl Recorder {
    pub(crate) fn new() -> Result<Arc<Self>> {
        let events = OwnedQueue::new_ordered(c"rdma_rs_mlx5_mp_events", QueueFlags::default())?;
        Arc::pin_init(
            pin_init!(Recorder {
                calls <- new_mutex!(KVec::new()),
                faults <- new_mutex!(Faults::default()),
                events,
                held <- new_mutex!(None),
            }),
            GFP_KERNEL,
        )
    }

    pub(crate) fn record(&self, call: Call) {
        // A call lost to a failed allocation shows as a wrong sequence.
        let _ = self.calls.lock().push(call, GFP_KERNEL);
    }

    /// The calls so far, and a fresh start.
    pub(crate) fn take(&self) -> KVec<Call> {
        core::mem::take(&mut *self.calls.lock())
    }

    /// Holds the event works queued from now, until [`Recorder::release`].
    pub(crate) fn hold(&self) {
        *self.held.lock() = Some(KVec::new());
    }

    /// Queues the event works held, in order, and stops holding.
    pub(crate) fn release(&self) {
        for work in self.held.lock().take().into_iter().flatten() {
            let _ = self.events.enqueue(work);
        }
    }

    /// Waits until the event works queued have run.
    pub(crate) fn flush(&self) {
        self.events.flush();
    }

    /// Fails the next call that `pick` selects.
    pub(crate) fn fail(&self, pick: impl FnOnce(&mut Faults)) {
        pick(&mut self.faults.lock());
    }

    /// Whether the call `pick` selects fails now; clears it.
    fn fails(&self, pick: impl FnOnce(&mut Faults) -> &mut bool) -> bool {
        core::mem::take(pick(&mut self.faults.lock()))
    }

    fn result(&self, pick: impl FnOnce(&mut Faults) -> &mut bool) -> Result {
        if self.fails(pick) {
            Err(EIO)
        } else {
            Ok(())
        }
    }
}

impl Host for FakeHost {
    type Core = Arc<FakeCore>;
    type Ib = FakeIb;
    type Event = u32;
    type Listener = FakeListener;

    fn system_image_guid(&self, core: &Arc<FakeCore>) -> Result<u64> {
        self.rec.record(Call::Guid(core.id));
        self.rec.result(|f| &mut f.guid).map(|()| core.guid)
    }

    fn native_port(&self, core: &Arc<FakeCore>) -> u32 {
        core.port
    }

    fn same_coredev_type(&self, a: &Arc<FakeCore>, b: &Arc<FakeCore>) -> bool {
        a.kind == b.kind
    }

    fn adev_idx(&self, core: &Arc<FakeCore>) -> u64 {
        u64::from(core.id) + 100
    }

    fn enable_roce(&self, core: &Arc<FakeCore>) -> Result {
        self.rec.record(Call::EnableRoce(core.id));
        self.rec.result(|f| &mut f.enable_roce)
    }

    fn disable_roce(&self, core: &Arc<FakeCore>) {
        self.rec.record(Call::DisableRoce(core.id));
    }

    fn affiliate(&self, master: &Arc<FakeCore>, slave: &Arc<FakeCore>) -> Result {
        self.rec.record(Call::Affiliate(master.id, slave.id));
        self.rec.result(|f| &mut f.affiliate)
    }

    fn unaffiliate(&self, slave: &Arc<FakeCore>) -> Result {
        self.rec.record(Call::Unaffiliate(slave.id));
        self.rec.result(|f| &mut f.unaffiliate)
    }

    fn replay(&self, core: &Arc<FakeCore>, event: Affiliation) {
        self.rec.record(Call::Replay(core.id, event));
    }

    fn track_netdev(&self, ib: &FakeIb, port: u32) {
        self.rec.record(Call::Track(ib.0, port));
    }

    fn untrack_netdev(&self, ib: &FakeIb, port: u32) {
        self.rec.record(Call::Untrack(ib.0, port));
    }

    fn add_cong_debugfs(&self, ib: &FakeIb, port: u32) {
        self.rec.record(Call::AddCong(ib.0, port));
    }

    fn remove_cong_debugfs(&self, ib: &FakeIb, port: u32) {
        self.rec.record(Call::RemoveCong(ib.0, port));
    }

    fn enable_loopback(&self, ib: &FakeIb, slave: &Arc<FakeCore>) -> Result {
        self.rec.record(Call::EnableLb(ib.0, slave.id));
        self.rec.result(|f| &mut f.enable_lb)
    }

    fn disable_loopback(&self, ib: &FakeIb, slave: &Arc<FakeCore>) {
        self.rec.record(Call::DisableLb(ib.0, slave.id));
    }

    fn port_down(&self, ib: &FakeIb, port: u32) {
        self.rec.record(Call::PortDown(ib.0, port));
    }

    fn activate(&self, ib: &FakeIb) {
        self.rec.record(Call::Activate(ib.0));
    }

    fn listen(&self, slave: &Arc<Slave<Self>>) -> Result<FakeListener> {
        self.rec.record(Call::Listen(slave.core.id));
        self.rec.result(|f| &mut f.listen)?;
        Ok(FakeListener {
            rec: self.rec.clone(),
            id: slave.core.id,
        })
    }

    fn queue_event(&self, work: Arc<EventWork<Self>>) {
        match &mut *self.rec.held.lock() {
            Some(held) => {
                // A work lost to a failed allocation shows as a missing event.
                let _ = held.push(work, GFP_ATOMIC);
            }
            None => {
                let _ = self.rec.events.enqueue(work);
            }
        }
    }

    fn flush_events(&self) {
        self.rec.flush();
    }

    fn handle_event(&self, ib: &FakeIb, event: &u32) {
        self.rec.record(Call::Event(ib.0, *event));
    }
}
