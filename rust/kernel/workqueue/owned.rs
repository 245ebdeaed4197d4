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

#[macros::kunit_tests(rust_kernel_workqueue_owned)]
mod tests {
    use super::*;
    use crate::{
        alloc::flags::GFP_KERNEL,
        sync::Arc,
        workqueue::{Work, WorkItem},
    };
    use core::sync::atomic::{AtomicBool, AtomicU32, Ordering::Relaxed};

    struct Hits {
        n: AtomicU32,
        last: AtomicU32,
        in_order: AtomicBool,
    }

    #[pin_data]
    struct Bump {
        hits: Arc<Hits>,
        order: u32,
        #[pin]
        work: Work<Bump>,
    }

    crate::impl_has_work! {
        impl HasWork<Self> for Bump { self.work }
    }

    impl WorkItem for Bump {
        type Pointer = Pin<KBox<Self>>;

        fn run(this: Pin<KBox<Self>>) {
            if this.hits.last.swap(this.order, Relaxed) + 1 != this.order {
                this.hits.in_order.store(false, Relaxed);
            }
            this.hits.n.fetch_add(1, Relaxed);
        }
    }

    fn bump(wq: &OwnedQueue, hits: &Arc<Hits>, order: u32) -> Result {
        wq.enqueue(KBox::pin_init(
            pin_init!(Bump {
                hits: hits.clone(),
                order,
                work <- crate::new_work!("owned::tests::Bump"),
            }),
            GFP_KERNEL,
        )?);
        Ok(())
    }

    fn hits() -> Result<Arc<Hits>> {
        Ok(Arc::new(
            Hits {
                n: AtomicU32::new(0),
                last: AtomicU32::new(0),
                in_order: AtomicBool::new(true),
            },
            GFP_KERNEL,
        )?)
    }

    #[test]
    fn ordered_queue_runs_in_order_and_flushes() -> Result {
        let wq = OwnedQueue::new_ordered(c"kunit-owned-wq")?;
        let hits = hits()?;
        for i in 1..=32 {
            bump(&wq, &hits, i)?;
        }
        wq.flush();
        assert_eq!(hits.n.load(Relaxed), 32);
        assert!(hits.in_order.load(Relaxed));
        Ok(())
    }

    #[test]
    fn drop_runs_queued_work() -> Result {
        let hits = hits()?;
        let wq = OwnedQueue::new_ordered(c"kunit-owned-wq")?;
        for i in 1..=8 {
            bump(&wq, &hits, i)?;
        }
        drop(wq);
        assert_eq!(hits.n.load(Relaxed), 8);
        Ok(())
    }
}
