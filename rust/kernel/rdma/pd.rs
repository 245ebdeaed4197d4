// SPDX-License-Identifier: GPL-2.0

//! Protection domains of kernel users (`ib_alloc_pd()`).
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
    sync::Arc,
};
use core::{
    mem::ManuallyDrop,
    ptr::NonNull, //
};

/// A protection domain of a kernel user, freed (`ib_dealloc_pd()`) when the last
/// [`Arc`] to it goes. The objects made in it (queue pairs, address handles, mapped buffers)
/// hold such an `Arc`, so it outlives them.
///
/// Holding it keeps its device registered: `ib_unregister_device()` waits for it, so its
/// users drop it when the device goes (an ib_client's `remove()`, rdma_cm's
/// `DEVICE_REMOVAL`); one kept past that, or made after it, leaves the removal waiting for
/// ever.
///
/// # Invariants
///
/// `ptr` is a PD allocated by `__ib_alloc_pd()` on `dev`'s device, owned by this object;
/// `dev` keeps that device registered, so its driver's operations can be called.
pub struct ProtectionDomain {
    ptr: NonNull<bindings::ib_pd>,
    dev: ManuallyDrop<DeviceGuard>,
}

// SAFETY: A kernel PD is used and freed from any thread; ib_core serialises what needs it.
unsafe impl Send for ProtectionDomain {}
// SAFETY: The methods only read fields that do not change after allocation.
unsafe impl Sync for ProtectionDomain {}

impl ProtectionDomain {
    /// Allocates a PD on the device of `dev`, named `caller` in the resource tracker.
    #[inline]
    pub fn new(dev: &DeviceGuard, caller: &'static CStr) -> Result<Arc<Self>> {
        let dev = dev.clone();
        // SAFETY: The guard keeps the device registered; `caller` is 'static.
        let p = from_err_ptr(unsafe {
            bindings::__ib_alloc_pd(dev.as_raw(), 0, caller.as_char_ptr())
        })?;
        // INVARIANT: A new PD on `dev`'s device, owned by no one else.
        let pd = Self {
            ptr: NonNull::new(p).ok_or(ENOMEM)?,
            dev: ManuallyDrop::new(dev),
        };
        Ok(Arc::new(pd, GFP_KERNEL)?)
    }

    /// The device the PD is on, registered while the PD lives.
    pub fn device(&self) -> &DeviceGuard {
        &self.dev
    }

    /// The local key that covers every DMA address of the device (`local_dma_lkey`).
    pub fn local_dma_lkey(&self) -> u32 {
        // SAFETY: The PD is live (type invariant); the field is set at allocation.
        unsafe { (*self.ptr.as_ptr()).local_dma_lkey }
    }

    /// The PD, for C functions that take it.
    pub fn as_raw(&self) -> *mut bindings::ib_pd {
        self.ptr.as_ptr()
    }
}

impl Drop for ProtectionDomain {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: The PD is ours (type invariant) and nothing made in it is left: each such
        // object holds an `Arc` to it. The device is still registered (`self.dev`).
        let ret = unsafe { bindings::ib_dealloc_pd_user(self.ptr.as_ptr(), core::ptr::null_mut()) };
        if ret != 0 {
            // The driver kept the PD: its device must stay registered, so the guard is leaked.
            crate::warn_on!(true);
            return;
        }
        // SAFETY: The PD is gone, and the guard is not used after this.
        unsafe { ManuallyDrop::drop(&mut self.dev) };
    }
}
