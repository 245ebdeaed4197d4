// SPDX-License-Identifier: GPL-2.0

//! A slave port's event on its way to the master (`struct mlx5_ib_event_work` of a slave).

use super::{
    engine::Engine,
    host::Host,
    slave::Slave, //
};
use kernel::{
    prelude::*,
    sync::Arc,
    workqueue::{
        new_work,
        Work,
        WorkItem, //
    },
};

/// One event of a slave, queued from its notifier.
///
/// It holds the slave and the engine; the removal of the slave and the cleanup of its master
/// wait for it (they flush the event works), so the devices it reaches are still there.
#[pin_data]
pub(crate) struct EventWork<H: Host> {
    engine: Arc<Engine<H>>,
    slave: Arc<Slave<H>>,
    event: H::Event,
    #[pin]
    work: Work<EventWork<H>>,
}

kernel::impl_has_work! {
    impl{H: Host} HasWork<EventWork<H>> for EventWork<H> { self.work }
}

impl<H: Host> EventWork<H> {
    /// A work for `event` of `slave`; allocated atomically (notifier context).
    pub(crate) fn new(
        engine: Arc<Engine<H>>,
        slave: Arc<Slave<H>>,
        event: H::Event,
    ) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(EventWork {
                engine,
                slave,
                event,
                work <- new_work!("mlx5_mp_event"),
            }),
            GFP_ATOMIC,
        )
    }
}

impl<H: Host> WorkItem for EventWork<H> {
    type Pointer = Arc<EventWork<H>>;

    /// `mlx5_ib_handle_event()` of a slave: the master it has now, or nothing.
    fn run(this: Arc<EventWork<H>>) {
        if let Some(master) = this.engine.master_of(&this.slave) {
            this.engine.host.handle_event(&master.ib, &this.event);
        }
    }
}
