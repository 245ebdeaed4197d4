// SPDX-License-Identifier: GPL-2.0

//! Workqueues owned by their user: allocated, flushed and destroyed by it.
//!
//! C header: [`include/linux/workqueue.h`](srctree/include/linux/workqueue.h).

use super::{
    Queue,
    RawWorkItem, //
};
use crate::{
    bindings,
    error::{
        code::ENOMEM,
        Result, //
    },
    impl_flags,
    prelude::*,
};
use core::ptr::NonNull;

impl_flags!(
    /// The flags a user may give its own workqueue (`WQ_*` of `alloc_workqueue()`).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct QueueFlags(u32);

    /// One workqueue flag.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum QueueFlag {
        /// The queue has a rescuer thread, so that its work makes progress under memory
        /// reclaim (`WQ_MEM_RECLAIM`): for queues on the I/O path, such as those of storage
        /// and network protocols over RDMA.
        MemReclaim = bindings::wq_flags_WQ_MEM_RECLAIM,
        /// Work runs on the high-priority worker pools (`WQ_HIGHPRI`).
        HighPri = bindings::wq_flags_WQ_HIGHPRI,
        /// Work is frozen with the system during suspend (`WQ_FREEZABLE`).
        Freezable = bindings::wq_flags_WQ_FREEZABLE,
    }
);

/// A workqueue this object allocated; dropping it destroys the queue, after the work items
/// queued on it have run (`destroy_workqueue()` drains it).
///
/// Only plain work items can be queued on it: a delayed work item's timer could outlive
/// `destroy_workqueue()` and then queue its work on the freed queue, so [`Queue`]'s
/// `enqueue_delayed()` is not offered.
///
/// Dropping the queue from one of its own work items would wait for that work item: do not
/// let a work item hold the last reference to the queue's owner.
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
    /// Allocates an ordered workqueue (`alloc_ordered_workqueue()`) with `flags`: it runs one
    /// work item at a time, in queueing order.
    pub fn new_ordered(name: &CStr, flags: QueueFlags) -> Result<Self> {
        // SAFETY: `"%s"` with one string argument is a valid format, and `name` is a valid
        // NUL-terminated string that the workqueue code copies; `flags` holds `WQ_*` flags
        // only (`QueueFlags` is made of `QueueFlag`s).
        let ptr = unsafe {
            bindings::alloc_workqueue_noprof(
                c"%s".as_char_ptr(),
                bindings::wq_flags_WQ_UNBOUND | bindings::wq_flags___WQ_ORDERED | u32::from(flags),
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

impl OwnedQueue {
    fn queue(&self) -> &Queue {
        // SAFETY: The queue is live until `self` is dropped (type invariant), which outlives the
        // returned reference.
        unsafe { Queue::from_raw(self.ptr.as_ptr()) }
    }

    /// Queues `w` (`queue_work()`); see [`Queue::enqueue`].
    pub fn enqueue<W, const ID: u64>(&self, w: W) -> W::EnqueueOutput
    where
        W: RawWorkItem<ID> + Send + 'static,
    {
        self.queue().enqueue(w)
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
        workqueue::{
            Work,
            WorkItem, //
        },
    };
    use core::sync::atomic::{
        AtomicBool,
        AtomicU32,
        Ordering::Relaxed, //
    };

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
        let wq = OwnedQueue::new_ordered(c"kunit-owned-wq", QueueFlags::default())?;
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
        let wq = OwnedQueue::new_ordered(c"kunit-owned-wq", QueueFlag::MemReclaim.into())?;
        for i in 1..=8 {
            bump(&wq, &hits, i)?;
        }
        drop(wq);
        assert_eq!(hits.n.load(Relaxed), 8);
        Ok(())
    }
}
