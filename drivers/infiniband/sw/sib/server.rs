// SPDX-License-Identifier: GPL-2.0

//! The SA as a MAD handler: each request goes through the fault rules and the log to the SA,
//! its answer through the log back to the requester. One request at a time: ib_mad's
//! completion work calls the handler for one received MAD after the other.

use crate::{
    fault::{
        Action,
        Faults,
        HOLD_MAX_MS, //
    },
    ffi,
    log::{
        Direction,
        SaLog, //
    },
    sa::{
        Reply,
        Sa, //
    },
};
use kernel::{
    new_condvar,
    new_mutex,
    prelude::*,
    rdma::mad::{
        Mad,
        MadHandler,
        RecvMad,
        Responder, //
    },
    sync::{
        CondVar,
        CondVarTimeoutResult,
        Mutex, //
    },
    time::msecs_to_jiffies, //
};

/// The SA, its message log and its fault rules.
#[pin_data]
pub(crate) struct SaServer {
    #[pin]
    pub(crate) sa: Mutex<Sa>,
    #[pin]
    pub(crate) log: Mutex<SaLog>,
    #[pin]
    pub(crate) faults: Mutex<Faults>,
    /// Signalled when held requests are released.
    #[pin]
    released: CondVar,
}

impl SaServer {
    /// A server for `sa`, with an empty log and no rules.
    pub(crate) fn new(sa: Sa) -> impl PinInit<Self> {
        pin_init!(Self {
            sa <- new_mutex!(sa),
            log <- new_mutex!(SaLog::new()),
            faults <- new_mutex!(Faults::new()),
            released <- new_condvar!(),
        })
    }

    /// Answers the requests held now.
    pub(crate) fn release(&self) {
        self.faults.lock().generation += 1;
        self.released.notify_all();
    }

    /// Holds nothing from now on, and answers nothing that was held or delayed: the SA is
    /// going away.
    pub(crate) fn close(&self) {
        self.faults.lock().closing = true;
        self.released.notify_all();
    }

    /// Waits `ms` milliseconds, or, for a `held` request, until the release after
    /// `generation` (at most `ms`); `false` if the SA is going away.
    fn wait(&self, ms: u32, held: Option<u64>) -> bool {
        let mut faults = self.faults.lock();
        let mut left = msecs_to_jiffies(ms);
        let answer = loop {
            if faults.closing {
                break false;
            }
            if held.is_some_and(|g| g != faults.generation) {
                break true;
            }
            match self.released.wait_interruptible_timeout(&mut faults, left) {
                CondVarTimeoutResult::Timeout => break !faults.closing,
                CondVarTimeoutResult::Woken { jiffies }
                | CondVarTimeoutResult::Signal { jiffies } => left = jiffies,
            }
        };
        if held.is_some() {
            faults.held -= 1;
        }
        answer
    }

    /// The SA's answer to `req` from the port with LID `requester`.
    fn answer(&self, req: &Mad, requester: u32) -> Option<Reply> {
        self.sa.lock().handle(&ffi::SibFabric, req, requester)
    }
}

impl MadHandler for SaServer {
    fn recv(&self, responder: &Responder<'_>, mad: &RecvMad) {
        let req = mad.mad();
        let lid = mad.slid();
        // The rule and, for a hold, the release to wait for, in one go: a release written
        // after the request was taken answers it.
        let (action, generation) = {
            let mut faults = self.faults.lock();
            let action = faults.take(&req);
            if action == Some(Action::Hold) {
                faults.held += 1;
            }
            (action, faults.generation)
        };
        let fault = action.map_or("", Action::name);
        self.log.lock().record(Direction::Request, lid, &req, fault);
        let resp = match action {
            None => self.answer(&req, lid),
            Some(Action::Drop) => None,
            Some(Action::Fail(status)) => Sa::reject(&req, status).map(Reply::single),
            Some(Action::Delay(ms)) => self
                .wait(ms, None)
                .then(|| self.answer(&req, lid))
                .flatten(),
            Some(Action::Hold) => self
                .wait(HOLD_MAX_MS, Some(generation))
                .then(|| self.answer(&req, lid))
                .flatten(),
        };
        let Some(resp) = resp else {
            return;
        };
        let sent = match &resp.table {
            None => {
                self.log
                    .lock()
                    .record(Direction::Response, lid, &resp.mad, fault);
                responder.respond(mad, &resp.mad)
            }
            Some(table) => {
                self.log.lock().record_table(lid, &resp.mad, table, fault);
                responder.respond_rmpp(mad, &resp.mad, table)
            }
        };
        if let Err(e) = sent {
            pr_debug!(
                "sib_sm: response to tid {:#x} not sent: {:?}\n",
                req.tid(),
                e
            );
        }
    }
}
