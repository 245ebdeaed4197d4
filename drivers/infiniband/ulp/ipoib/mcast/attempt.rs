// SPDX-License-Identifier: GPL-2.0

//! One join of an entry at the SA.
//!
//! An attempt references its entry and the engine, and the membership the host made for it
//! references the attempt: the entry lives while its answer is handled, and the answer's
//! signal ([`Attempt::wait`]) is the attempt's own. So a flush that waits for a join, sees it
//! signalled and frees the entry cannot free memory the answer still touches (7.3's window
//! between `clear_bit(IPOIB_MCAST_FLAG_BUSY)` and `complete(&mcast->done)` has no counterpart).

use super::{
    engine::Engine,
    entry::Entry,
    host::Host, //
};
use kernel::{
    prelude::*,
    rdma::sa::{
        JoinHandler,
        McMemberRec, //
    },
    sync::{
        Arc,
        Completion, //
    },
};

/// A join at the SA in flight, or answered.
#[pin_data]
pub(crate) struct Attempt<H: Host> {
    pub(crate) entry: Arc<Entry<H>>,
    engine: Arc<Engine<H>>,
    #[pin]
    done: Completion,
}

impl<H: Host> Attempt<H> {
    /// A new attempt to join `entry`, made under the engine's lock (`GFP_ATOMIC`).
    pub(crate) fn new(engine: Arc<Engine<H>>, entry: Arc<Entry<H>>) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                entry,
                engine,
                done <- Completion::new(),
            }),
            GFP_ATOMIC,
        )
    }

    /// Handles the SA's answer: `Ok` with the group's record, or the error.
    pub(crate) fn answer(&self, status: Result, rec: &McMemberRec) {
        self.engine.complete(self, status, rec);
    }

    /// Signals that the answer has been handled, or that there will be none.
    pub(crate) fn signal(&self) {
        self.done.complete_all();
    }

    /// Waits for [`Attempt::signal`].
    pub(crate) fn wait(&self) {
        self.done.wait_for_completion();
    }
}

impl<H: Host> JoinHandler for Attempt<H> {
    fn joined(&self, status: Result, rec: &McMemberRec) {
        self.answer(status, rec);
    }
}
