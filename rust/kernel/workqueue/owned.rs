// SPDX-License-Identifier: GPL-2.0

//! Workqueues owned by their user: allocated, flushed and destroyed by it.
//!
//! C header: [`include/linux/workqueue.h`](srctree/include/linux/workqueue.h).

use super::Queue;
use crate::{
    bindings,
    error::{
        code::ENOMEM,
        Result, //
    },
    prelude::*,
};
use core::{
    ops::Deref,
    ptr::NonNull, //
};

/// A workqueue this object allocated; dropping it destroys the queue, after the work items
/// queued on it have run (`destroy_workqueue()` drains it).
///
/// # Invariants
///
/// `ptr` is a workqueue allocated by `alloc_workqueue()` and not yet destroyed.
pub struct OwnedQueue {
    ptr: NonNull<bindings::workqueue_struct>,
}

// SAFETY: Workqueues may be used and destroyed from any thread.
unsafe impl Send for OwnedQueue {}
// SAFETY: All operations on a workqueue are thread-safe.
unsafe impl Sync for OwnedQueue {}

impl OwnedQueue {
    /// Allocates an ordered workqueue (`alloc_ordered_workqueue()`): it runs one work item at a
    /// time, in queueing order.
    pub fn new_ordered(name: &CStr) -> Result<Self> {
        // SAFETY: `"%s"` with one string argument is a valid format, and `name` is a valid
        // NUL-terminated string that the workqueue code copies.
        let ptr = unsafe {
            bindings::alloc_workqueue_noprof(
                c"%s".as_char_ptr(),
                bindings::wq_flags_WQ_UNBOUND | bindings::wq_flags___WQ_ORDERED,
                1,
                name.as_char_ptr(),
            )
        };
        // INVARIANT: A non-null return is a newly allocated workqueue.
        Ok(Self {
            ptr: NonNull::new(ptr).ok_or(ENOMEM)?,
        })
    }

    /// Waits until every work item queued before the call has run (`flush_workqueue()`).
    pub fn flush(&self) {
        // SAFETY: The queue is live (type invariant).
        unsafe { bindings::__flush_workqueue(self.ptr.as_ptr()) };
    }
}

impl Deref for OwnedQueue {
    type Target = Queue;

    fn deref(&self) -> &Queue {
        // SAFETY: The queue is live until `self` is dropped (type invariant), which outlives the
        // returned reference.
        unsafe { Queue::from_raw(self.ptr.as_ptr()) }
    }
}

impl Drop for OwnedQueue {
    fn drop(&mut self) {
        // SAFETY: The queue is live (type invariant) and not used after this.
        unsafe { bindings::destroy_workqueue(self.ptr.as_ptr()) };
    }
}
