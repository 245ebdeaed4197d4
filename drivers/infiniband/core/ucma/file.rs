// SPDX-License-Identifier: GPL-2.0

//! An open file of the rdma_cm device (C's `struct ucma_file`): its contexts, its queue of
//! events, GET_EVENT, `poll()` and the teardown on close.

use super::{
    context::{
        destroy_private,
        Context, //
    },
    event::Event,
    ffi::Filp,
    user,
    Tables, //
};
use core::{
    mem::size_of,
    sync::atomic::Ordering, //
};
use kernel::{
    bindings,
    list::{
        ListArc,
        ListSet, //
    },
    new_mutex,
    prelude::*,
    rdma::ucm::EventResp,
    static_lock_class,
    sync::{
        poll::{
            PollCondVarBox,
            PollTable, //
        },
        Arc,
        Mutex, //
    },
};

/// The list of a file's contexts in [`Inner::ctxs`].
const CTXS: usize = 0;

/// A file's state, under its lock (C's `file->mut`).
pub(crate) struct Inner {
    /// The file's contexts, oldest first (C's `ctx_list`): taken off in constant time by
    /// DESTROY_ID and MIGRATE_ID.
    pub(crate) ctxs: ListSet<Context, 1>,
    /// Events not read yet, oldest first.
    pub(crate) events: KVec<Event>,
}

impl Inner {
    /// Adds `ctx`, a new context, at the end of the file's contexts.
    pub(crate) fn add(&mut self, ctx: Arc<Context>) {
        // A new context is on no file's list, which would hold its only `ListArc`.
        let Ok(listed) = ListArc::try_from_arc(ctx) else {
            kernel::warn_on!(true);
            return;
        };
        self.add_listed(listed);
    }

    /// Adds `ctx`, taken off another file's contexts (MIGRATE_ID), at the end of this file's.
    pub(crate) fn add_listed(&mut self, ctx: ListArc<Context>) {
        // `CTXS` is the set's one list: the push cannot fail.
        let _ = self.ctxs.push_back(CTXS, ctx);
    }
}

/// An open file of the rdma_cm device.
#[pin_data]
pub(crate) struct File {
    /// The id tables, shared by every file.
    pub(crate) tables: Arc<Tables>,
    #[pin]
    pub(crate) inner: Mutex<Inner>,
    /// Woken when an event is queued: GET_EVENT and `poll()` wait here. Boxed so that a
    /// closed file frees it after an RCU grace period: `close()` does not wait for one.
    poll_wait: PollCondVarBox,
}

impl File {
    /// `ucma_open()`.
    pub(crate) fn new(tables: Arc<Tables>) -> Result<Arc<Self>> {
        let poll_wait = PollCondVarBox::new(c"ucma::File::poll_wait", static_lock_class!())?;
        Arc::pin_init(
            try_pin_init!(Self {
                tables,
                inner <- new_mutex!(
                    Inner {
                        ctxs: ListSet::new(),
                        events: KVec::new(),
                    },
                    "ucma::File::inner"
                ),
                poll_wait,
            }),
            GFP_KERNEL,
        )
    }

    /// Queues `ev` and wakes the readers. An event without memory for it is dropped, as C
    /// drops one it cannot allocate.
    pub(crate) fn push_event(&self, ev: Event) {
        if self.inner.lock().events.push(ev, GFP_KERNEL).is_ok() {
            self.wake();
        }
    }

    /// The file's address, which tells it apart from every other live `File`.
    pub(crate) fn addr(&self) -> usize {
        core::ptr::from_ref(self) as usize
    }

    /// Wakes GET_EVENT and `poll()` (`wake_up_interruptible()`).
    pub(crate) fn wake(&self) {
        self.poll_wait.notify_all();
    }

    /// GET_EVENT: waits for an event (unless the file is non-blocking) and copies the oldest
    /// one out, which is then counted as read.
    pub(crate) fn get_event(&self, filp: &Filp<'_>, inbuf: u64, out_len: usize) -> Result {
        let resp_len = size_of::<EventResp>();
        // Old 32-bit user space does not send the 4 bytes of `reserved`; that is allowed.
        if out_len < resp_len - size_of::<u32>() - size_of::<bindings::rdma_ucm_ece>() {
            return Err(ENOSPC);
        }
        let cmd: bindings::rdma_ucm_get_event = user::read(inbuf)?;
        let mut inner = self.inner.lock();
        while inner.events.is_empty() {
            if filp.nonblock() {
                return Err(EAGAIN);
            }
            if self.poll_wait.wait_interruptible(&mut inner) {
                return Err(ERESTARTSYS);
            }
        }
        user::write_part(cmd.response, &inner.events[0].resp, out_len)?;
        let ev = inner.events.remove(0).map_err(|_| EINVAL)?;
        ev.ctx.events_reported.fetch_add(1, Ordering::Relaxed);
        if let Some(mc) = &ev.mc {
            mc.events_reported.fetch_add(1, Ordering::Relaxed);
        }
        if ev.resp.event() == bindings::rdma_cm_event_type_RDMA_CM_EVENT_CONNECT_REQUEST {
            ev.ctx.backlog.fetch_add(1, Ordering::Relaxed);
        }
        drop(inner);
        Ok(())
    }

    /// `ucma_poll()`.
    pub(crate) fn poll(&self, filp: &Filp<'_>, table: PollTable<'_>) -> u32 {
        table.register_wait(filp.file(), &self.poll_wait);
        if self.inner.lock().events.is_empty() {
            0
        } else {
            bindings::POLLIN | bindings::POLLRDNORM
        }
    }

    /// `ucma_close()`: destroys every context of the file, with its events and joins.
    pub(crate) fn close(self: &Arc<Self>) {
        // Only a connection request adds contexts now, after a listener's, and destroying the
        // listener waits for its handler: taking the first one each time sees them all.
        loop {
            let Some(ctx) = self.inner.lock().ctxs.front(CTXS).map(Arc::from) else {
                break;
            };
            kernel::warn_on!(!ctx.unpublish());
            destroy_private(ctx);
        }
    }
}
