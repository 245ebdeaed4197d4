// SPDX-License-Identifier: GPL-2.0

//! Kernel buffers mapped for an RDMA device's DMA (`ib_dma_map_single()`), the memory that
//! work requests carry.
//!
//! C header: [`include/rdma/ib_verbs.h`](srctree/include/rdma/ib_verbs.h).

use super::pd::ProtectionDomain;
use crate::{alloc::KVec, bindings, dma::DataDirection, error::Result, prelude::*, sync::Arc};

/// A kernel buffer mapped for DMA by the device of a PD, unmapped when dropped.
///
/// While the buffer is the caller's it belongs to the CPU: [`DmaBuffer::as_slice`] and
/// [`DmaBuffer::as_mut_slice`] give it. A queue pair takes the buffer by value when a work
/// request is posted with it and gives it back with the request's completion, so the device
/// and the CPU never use it at the same time.
///
/// # Invariants
///
/// `data` is mapped at `addr` for `dir` by `pd`'s device, for its whole length, which never
/// changes; the CPU owns the mapping (it was synchronised for the CPU last).
pub struct DmaBuffer {
    data: KVec<u8>,
    addr: u64,
    dir: DataDirection,
    pd: Arc<ProtectionDomain>,
}

impl DmaBuffer {
    /// A zeroed buffer of `len` bytes, mapped by `pd`'s device for `dir`; `EINVAL` for an
    /// empty buffer, one of 4 GiB or more, or [`DataDirection::None`].
    #[inline]
    pub fn new(pd: &Arc<ProtectionDomain>, len: usize, dir: DataDirection) -> Result<Self> {
        if len == 0 || u32::try_from(len).is_err() || dir == DataDirection::None {
            return Err(EINVAL);
        }
        let mut data = KVec::from_elem(0u8, len, GFP_KERNEL)?;
        let dev = pd.device().as_raw();
        let cpu_addr = data.as_mut_ptr().cast();
        // SAFETY: The device is registered (the PD's guard); `data` is a live allocation of
        // `len` bytes, which stays where it is while the buffer exists.
        let addr = unsafe { bindings::ib_dma_map_single(dev, cpu_addr, len, dir.into()) };
        // SAFETY: `addr` was just returned for this device.
        if unsafe { bindings::ib_dma_mapping_error(dev, addr) } != 0 {
            return Err(ENOMEM);
        }
        let buf = Self {
            data,
            addr,
            dir,
            pd: pd.clone(),
        };
        // A new mapping is the device's: take it for the CPU.
        buf.sync_for_cpu();
        // INVARIANT: Mapped above, and the CPU's.
        Ok(buf)
    }

    /// Whether the device may write the buffer: a receive may go into it.
    pub fn device_writes(&self) -> bool {
        matches!(
            self.dir,
            DataDirection::FromDevice | DataDirection::Bidirectional
        )
    }

    /// Whether the device may read the buffer: a send may come from it.
    pub fn device_reads(&self) -> bool {
        matches!(
            self.dir,
            DataDirection::ToDevice | DataDirection::Bidirectional
        )
    }

    /// The buffer's length in bytes.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the buffer has no bytes (never: buffers are not empty).
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.data
    }

    /// The bytes, to fill.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.data
    }

    /// The PD whose device mapped the buffer.
    pub fn pd(&self) -> &Arc<ProtectionDomain> {
        &self.pd
    }

    /// The DMA address of byte `offset`, for a scatter/gather entry of `len` bytes; `None` if
    /// the entry would not fit in the buffer.
    pub fn sge(&self, offset: usize, len: usize) -> Option<bindings::ib_sge> {
        let end = offset.checked_add(len)?;
        if len == 0 || end > self.data.len() {
            return None;
        }
        Some(bindings::ib_sge {
            addr: self.addr + offset as u64,
            // The length fits: buffers are at most `u32::MAX` bytes (checked in `new()`).
            length: len as u32,
            lkey: self.pd.local_dma_lkey(),
        })
    }

    /// Hands the buffer to the device: what the CPU wrote becomes visible to it.
    #[inline]
    pub(crate) fn sync_for_device(&self) {
        // SAFETY: The mapping is live (type invariant) and the device registered (PD guard).
        unsafe {
            bindings::ib_dma_sync_single_for_device(
                self.pd.device().as_raw(),
                self.addr,
                self.data.len(),
                self.dir.into(),
            )
        };
    }

    /// Takes the buffer back from the device: what it wrote becomes visible to the CPU.
    #[inline]
    pub(crate) fn sync_for_cpu(&self) {
        // SAFETY: As in `sync_for_device()`.
        unsafe {
            bindings::ib_dma_sync_single_for_cpu(
                self.pd.device().as_raw(),
                self.addr,
                self.data.len(),
                self.dir.into(),
            )
        };
    }
}

impl Drop for DmaBuffer {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: The mapping is live and the CPU's (type invariant): no work request uses it.
        unsafe {
            bindings::ib_dma_unmap_single(
                self.pd.device().as_raw(),
                self.addr,
                self.data.len(),
                self.dir.into(),
            )
        };
    }
}
