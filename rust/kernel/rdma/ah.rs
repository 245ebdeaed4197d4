// SPDX-License-Identifier: GPL-2.0

//! Address handles (`rdma_create_ah()`) and the address vectors they are made from.
//!
//! C header: [`include/rdma/ib_verbs.h`](srctree/include/rdma/ib_verbs.h).

use super::{
    gid::Gid,
    pd::ProtectionDomain, //
};
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
    marker::PhantomData,
    mem::ManuallyDrop,
    ptr::NonNull, //
};

/// An address vector (`struct rdma_ah_attr`) lent by its owner, such as the one of an rdma_cm
/// multicast event, which holds a reference on its source GID's attribute for `'a`.
///
/// # Invariants
///
/// `ptr` is a valid, initialised `rdma_ah_attr` that nothing writes during `'a`; its
/// `sgid_attr`, if any, is referenced during `'a`.
#[derive(Clone, Copy)]
pub struct AhAttr<'a> {
    ptr: NonNull<bindings::rdma_ah_attr>,
    _p: PhantomData<&'a bindings::rdma_ah_attr>,
}

impl<'a> AhAttr<'a> {
    /// Wraps an address vector.
    ///
    /// # Safety
    ///
    /// `ptr` is a valid, initialised `rdma_ah_attr` that nothing writes during `'a`, and whose
    /// `sgid_attr`, if set, stays referenced during `'a`.
    pub unsafe fn from_raw(ptr: *const bindings::rdma_ah_attr) -> Self {
        // INVARIANT: As the caller guarantees.
        Self {
            // SAFETY: The caller passes a valid pointer, so not null.
            ptr: unsafe { NonNull::new_unchecked(ptr.cast_mut()) },
            _p: PhantomData,
        }
    }

    fn attr(&self) -> &bindings::rdma_ah_attr {
        // SAFETY: Valid and not written during `'a` (type invariant).
        unsafe { self.ptr.as_ref() }
    }

    /// Whether the vector is of an InfiniBand port (`RDMA_AH_ATTR_TYPE_IB`).
    pub fn is_ib(&self) -> bool {
        self.attr().type_ == bindings::rdma_ah_attr_type_RDMA_AH_ATTR_TYPE_IB
    }

    /// The destination GID of the vector's global route.
    pub fn dgid(&self) -> Gid {
        Gid::from_raw(&self.attr().grh.dgid)
    }

    /// The destination LID (`rdma_ah_get_dlid()`): an IB vector's, else 0.
    pub fn dlid(&self) -> u16 {
        if self.is_ib() {
            // SAFETY: `ib` is the union member of an IB vector.
            unsafe { self.attr().__bindgen_anon_1.ib.dlid }
        } else {
            0
        }
    }

    /// The service level.
    pub fn sl(&self) -> u8 {
        self.attr().sl
    }

    /// The port number.
    pub fn port_num(&self) -> u32 {
        self.attr().port_num
    }
}

/// An address handle of a kernel user, destroyed (which may sleep) when the last [`Arc`] to
/// it goes. Work requests that use it hold an `Arc` until they complete.
///
/// # Invariants
///
/// `ptr` is an address handle created by `rdma_create_ah()` in `pd`, owned by this object.
pub struct AddressHandle {
    ptr: NonNull<bindings::ib_ah>,
    pd: ManuallyDrop<Arc<ProtectionDomain>>,
}

// SAFETY: A kernel address handle is used and destroyed from any thread.
unsafe impl Send for AddressHandle {}
// SAFETY: The methods only read fields that do not change after creation.
unsafe impl Sync for AddressHandle {}

impl AddressHandle {
    /// Creates an address handle in `pd` for the vector `attr` (`rdma_create_ah()`, which may
    /// sleep). A vector whose source GID is of another device than the PD's is `EINVAL`.
    #[inline]
    pub fn new(pd: &Arc<ProtectionDomain>, attr: &AhAttr<'_>) -> Result<Arc<Self>> {
        let sgid_attr = attr.attr().grh.sgid_attr;
        // SAFETY: A set `sgid_attr` is referenced during `'a` (type invariant of `AhAttr`), and
        // its device does not change.
        if !sgid_attr.is_null() && unsafe { (*sgid_attr).device } != pd.device().as_raw() {
            return Err(EINVAL);
        }
        // A copy, so that C, which takes a mutable pointer, cannot write the lender's vector;
        // the lender's reference on `sgid_attr` covers the copy during the call.
        let mut copy = *attr.attr();
        // SAFETY: The PD is live and its device registered (it holds a guard); the vector is
        // valid and its source GID attribute referenced during the call.
        let p = from_err_ptr(unsafe {
            bindings::rdma_create_ah(
                pd.as_raw(),
                &mut copy,
                bindings::rdma_create_ah_flags_RDMA_CREATE_AH_SLEEPABLE,
            )
        })?;
        // INVARIANT: A new address handle in `pd`, ours.
        let ah = Self {
            ptr: NonNull::new(p).ok_or(ENOMEM)?,
            pd: ManuallyDrop::new(pd.clone()),
        };
        Ok(Arc::new(ah, GFP_KERNEL)?)
    }

    /// The PD the handle is in.
    pub fn pd(&self) -> &Arc<ProtectionDomain> {
        &self.pd
    }

    /// The address handle, for C functions that take it.
    pub fn as_raw(&self) -> *mut bindings::ib_ah {
        self.ptr.as_ptr()
    }
}

impl Drop for AddressHandle {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: The handle is ours (type invariant), no work request holds it any more (they
        // hold an `Arc`), and its PD and device are still there (`self.pd`).
        let ret = unsafe {
            bindings::rdma_destroy_ah_user(
                self.ptr.as_ptr(),
                bindings::rdma_destroy_ah_flags_RDMA_DESTROY_AH_SLEEPABLE,
                core::ptr::null_mut(),
            )
        };
        if ret != 0 {
            // The driver kept the handle: its PD must stay, so the reference is leaked.
            crate::warn_on!(true);
            return;
        }
        // SAFETY: The handle is gone, and the reference is not used after this.
        unsafe { ManuallyDrop::drop(&mut self.pd) };
    }
}
