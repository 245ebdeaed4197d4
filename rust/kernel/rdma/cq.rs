// SPDX-License-Identifier: GPL-2.0

//! Completion queues of kernel users that poll them (`ib_alloc_cq()` with `IB_POLL_DIRECT`).
//!
//! C header: [`include/rdma/ib_verbs.h`](srctree/include/rdma/ib_verbs.h).

use super::device::DeviceGuard;
use crate::{
    bindings,
    error::{
        from_err_ptr,
        Result, //
    },
    prelude::*,
};
use core::ptr::NonNull;

/// A work completion (`struct ib_wc`), as [`CompletionQueue::poll_one`] returns it.
#[derive(Clone, Copy)]
pub struct WorkCompletion(bindings::ib_wc);

impl WorkCompletion {
    /// The work request's id (`wr_id`).
    pub fn wr_id(&self) -> u64 {
        // SAFETY: The union's bytes are initialised (the completion starts zeroed and the
        // driver writes `wr_id` or `wr_cqe`), and any bits are a valid `u64`.
        unsafe { self.0.__bindgen_anon_1.wr_id }
    }

    /// The status (`enum ib_wc_status`): `IB_WC_SUCCESS` (0) or an error.
    pub fn status(&self) -> u32 {
        self.0.status
    }

    /// Whether the work request succeeded.
    pub fn is_success(&self) -> bool {
        self.0.status == bindings::ib_wc_status_IB_WC_SUCCESS
    }

    /// The opcode (`enum ib_wc_opcode`); receive opcodes have `IB_WC_RECV` set.
    pub fn opcode(&self) -> u32 {
        self.0.opcode
    }

    /// The number of bytes received, the GRH's included for UD.
    pub fn byte_len(&self) -> u32 {
        self.0.byte_len
    }

    /// The sender's QP number, for UD receives.
    pub fn src_qp(&self) -> u32 {
        self.0.src_qp
    }

    /// The sender's LID, for IB receives.
    pub fn slid(&self) -> u32 {
        self.0.slid
    }

    /// Whether the received buffer starts with a GRH (`IB_WC_GRH`).
    pub fn has_grh(&self) -> bool {
        self.0.wc_flags & bindings::ib_wc_flags_IB_WC_GRH as i32 != 0
    }
}

/// A completion queue that its user polls, freed (`ib_free_cq()`) when dropped. Holding it
/// keeps its device registered.
///
/// # Invariants
///
/// `ptr` is a CQ allocated by `__ib_alloc_cq()` with `IB_POLL_DIRECT` on `_dev`'s device,
/// owned by this object; `_dev` keeps that device registered.
pub struct CompletionQueue {
    ptr: NonNull<bindings::ib_cq>,
    _dev: DeviceGuard,
}

// SAFETY: A kernel CQ is used and freed from any thread.
unsafe impl Send for CompletionQueue {}
// SAFETY: The only operation through `&CompletionQueue`, `poll_one()`, is `unsafe` to call
// concurrently (its owner serialises it).
unsafe impl Sync for CompletionQueue {}

impl CompletionQueue {
    /// Allocates a CQ of at least `entries` entries on the device of `dev`, polled by its user,
    /// named `caller` in the resource tracker.
    #[inline]
    pub fn new(dev: &DeviceGuard, entries: u32, caller: &'static CStr) -> Result<Self> {
        let entries = i32::try_from(entries).map_err(|_| EINVAL)?;
        let dev = dev.clone();
        // SAFETY: The guard keeps the device registered; no private data; `caller` is 'static.
        let p = from_err_ptr(unsafe {
            bindings::__ib_alloc_cq(
                dev.as_raw(),
                core::ptr::null_mut(),
                entries,
                0,
                bindings::ib_poll_context_IB_POLL_DIRECT,
                caller.as_char_ptr(),
            )
        })?;
        // INVARIANT: A new polled CQ on `dev`'s device, ours.
        Ok(Self {
            ptr: NonNull::new(p).ok_or(ENOMEM)?,
            _dev: dev,
        })
    }

    /// Takes the oldest completion, if there is one.
    ///
    /// # Safety
    ///
    /// No other call polls the CQ at the same time: the verbs do not promise that a driver's
    /// `poll_cq` may run concurrently on one CQ.
    #[inline]
    pub unsafe fn poll_one(&self) -> Option<WorkCompletion> {
        // SAFETY: All-zero is a valid `ib_wc`.
        let mut wc: bindings::ib_wc = unsafe { core::mem::zeroed() };
        // SAFETY: The CQ is live and its device registered (type invariant); `wc` has room for
        // the one entry asked for; the caller serialises polls.
        let n = unsafe { bindings::ib_poll_cq(self.ptr.as_ptr(), 1, &mut wc) };
        (n == 1).then_some(WorkCompletion(wc))
    }

    /// The CQ, for C functions that take it.
    pub fn as_raw(&self) -> *mut bindings::ib_cq {
        self.ptr.as_ptr()
    }
}

impl Drop for CompletionQueue {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: The CQ is ours (type invariant); its users (queue pairs) hold it by
        // reference or own it, so they are gone.
        unsafe { bindings::ib_free_cq(self.ptr.as_ptr()) };
    }
}
