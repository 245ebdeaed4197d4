// SPDX-License-Identifier: GPL-2.0

//! Unreliable datagram (UD) queue pairs of kernel users: send and receive of datagrams,
//! multicast attach, and the buffers the device uses meanwhile.
//!
//! C header: [`include/rdma/ib_verbs.h`](srctree/include/rdma/ib_verbs.h).

use super::{
    ah::AddressHandle,
    buffer::DmaBuffer,
    cq::{
        CompletionQueue,
        WorkCompletion, //
    },
    gid::Gid,
    pd::ProtectionDomain, //
};
use crate::{
    alloc::KVec,
    bindings,
    error::{
        from_err_ptr,
        to_result,
        Result, //
    },
    prelude::*,
    sync::{
        Arc,
        Mutex,
        SpinLock, //
    },
};
use core::{
    mem::ManuallyDrop,
    ptr::NonNull, //
};

/// The size of the global route header that the device writes before each UD payload it
/// receives (`sizeof(struct ib_grh)`): a receive buffer holds it and then the payload.
pub const GRH_SIZE: usize = 40;

/// The QP number that addresses a multicast group (`IB_MULTICAST_QPN`).
pub const MULTICAST_QPN: u32 = 0xff_ffff;

/// How many work requests a [`UdQp`] can have outstanding.
#[derive(Clone, Copy, Debug)]
pub struct UdQpCaps {
    /// Sends.
    pub max_send_wr: u32,
    /// Receives.
    pub max_recv_wr: u32,
}

/// What a UD QP needs to carry traffic (the attributes of its `INIT` state), such as rdma_cm
/// gives for an id (`Ops::ud_qp_params()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UdQpParams {
    /// The index of the P_Key in the port's table.
    pub pkey_index: u16,
    /// The port.
    pub port_num: u32,
    /// The Q_Key that received datagrams must carry.
    pub qkey: u32,
}

/// The destination of a UD send.
pub struct UdDest<'a> {
    /// The address handle of the destination port or group.
    pub ah: &'a Arc<AddressHandle>,
    /// The destination QP, [`MULTICAST_QPN`] for a group.
    pub qpn: u32,
    /// The destination's Q_Key.
    pub qkey: u32,
}

/// A completed work request and the buffer it had.
pub struct Completion {
    /// The completion.
    pub wc: WorkCompletion,
    /// Whether it is a receive (else a send).
    pub is_recv: bool,
    /// The buffer, the CPU's again: for a receive, the GRH ([`GRH_SIZE`] bytes) and then
    /// `wc.byte_len() - GRH_SIZE` bytes of payload.
    pub buf: DmaBuffer,
}

/// A posted work request: what the device uses until its completion.
struct Posted {
    buf: DmaBuffer,
    _ah: Option<Arc<AddressHandle>>,
    is_recv: bool,
}

/// The multicast groups a QP is attached to: MGID and MLID.
type Attachments = KVec<(Gid, u16)>;

/// The work requests in flight, by id (`wr_id` is the slot's index).
struct Slots {
    posted: KVec<Option<Posted>>,
    free: KVec<usize>,
}

/// A UD queue pair of a kernel user, with its own completion queue, destroyed when the last
/// [`Arc`] to it goes: first detached from its groups, then destroyed, and only then are the
/// buffers and address handles of its unfinished work requests released, the CQ freed and
/// the PD let go.
///
/// Holding a QP keeps its device registered (through its PD): drop it when the device goes
/// (an ib_client's `remove()`, rdma_cm's `DEVICE_REMOVAL`). Dropping it may sleep. Its
/// methods are for process context: posting and polling share a lock that does not disable
/// bottom halves. If the driver fails to destroy it, the buffers, CQ and PD it may still use
/// are leaked, and with them the device's registration, whose removal then waits for ever: a
/// driver bug made loud rather than memory the device writes after its free.
///
/// # Invariants
///
/// `ptr` is a UD QP created by `ib_create_qp_kernel()` in `pd` with `cq` as both its CQs,
/// owned by this object; every buffer the device may use for it is in `slots`, and every
/// group it is attached to in `attached`. `cq`, `slots` and `pd` are dropped only once the QP
/// is destroyed.
pub struct UdQp {
    ptr: NonNull<bindings::ib_qp>,
    /// The posted requests; also serialises posting and polling.
    slots: Pin<KBox<SpinLock<Slots>>>,
    /// The groups attached; also serialises state changes.
    attached: Pin<KBox<Mutex<Attachments>>>,
    cq: ManuallyDrop<CompletionQueue>,
    pd: ManuallyDrop<Arc<ProtectionDomain>>,
}

// SAFETY: A kernel QP is used from any thread: posting and polling are serialised by `slots`,
// state changes and attachments by `attached`.
unsafe impl Send for UdQp {}
// SAFETY: As above.
unsafe impl Sync for UdQp {}

impl UdQp {
    /// Creates a UD QP in `pd` with room for `caps`, one scatter/gather entry per request and
    /// every send signalled, named `caller` in the resource tracker. It starts in `RESET`:
    /// [`UdQp::activate`] takes it to `RTS`.
    #[inline]
    pub fn new(
        pd: &Arc<ProtectionDomain>,
        caps: UdQpCaps,
        caller: &'static CStr,
    ) -> Result<Arc<Self>> {
        let total = caps
            .max_send_wr
            .checked_add(caps.max_recv_wr)
            .ok_or(EINVAL)?;
        if caps.max_send_wr == 0 || caps.max_recv_wr == 0 {
            return Err(EINVAL);
        }
        let n = usize::try_from(total).map_err(|_| EINVAL)?;
        let mut posted = KVec::with_capacity(n, GFP_KERNEL)?;
        let mut free = KVec::with_capacity(n, GFP_KERNEL)?;
        for i in 0..n {
            posted.push(None, GFP_KERNEL)?;
            free.push(n - 1 - i, GFP_KERNEL)?;
        }
        let slots = KBox::pin_init(crate::new_spinlock!(Slots { posted, free }), GFP_KERNEL)?;
        let attached = KBox::pin_init(crate::new_mutex!(KVec::new()), GFP_KERNEL)?;
        let cq = CompletionQueue::new(pd.device(), total, caller)?;
        // SAFETY: All-zero is a valid `ib_qp_init_attr` (C starts from `memset(0)` too).
        let mut attr: bindings::ib_qp_init_attr = unsafe { core::mem::zeroed() };
        attr.send_cq = cq.as_raw();
        attr.recv_cq = cq.as_raw();
        attr.cap.max_send_wr = caps.max_send_wr;
        attr.cap.max_recv_wr = caps.max_recv_wr;
        attr.cap.max_send_sge = 1;
        attr.cap.max_recv_sge = 1;
        attr.sq_sig_type = bindings::ib_sig_type_IB_SIGNAL_ALL_WR;
        attr.qp_type = bindings::ib_qp_type_IB_QPT_UD;
        // SAFETY: The PD is live and its device registered; `attr` is valid and names a CQ of
        // the same device, which the QP object keeps until the QP is destroyed.
        let p = from_err_ptr(unsafe {
            bindings::ib_create_qp_kernel(pd.as_raw(), &mut attr, caller.as_char_ptr())
        })?;
        // INVARIANT: A new UD QP in `pd` with `cq` as its CQs; nothing posted or attached.
        let qp = Self {
            // SAFETY: `from_err_ptr()` succeeded; creators never return null.
            ptr: unsafe { NonNull::new_unchecked(p) },
            slots,
            attached,
            cq: ManuallyDrop::new(cq),
            pd: ManuallyDrop::new(pd.clone()),
        };
        // On failure, `qp` is dropped, which destroys the QP.
        Ok(Arc::new(qp, GFP_KERNEL)?)
    }

    fn as_raw(&self) -> *mut bindings::ib_qp {
        self.ptr.as_ptr()
    }

    /// The QP number.
    pub fn qp_num(&self) -> u32 {
        // SAFETY: The QP is live (type invariant); its number is set at creation.
        unsafe { (*self.as_raw()).qp_num }
    }

    /// The PD the QP is in.
    pub fn pd(&self) -> &Arc<ProtectionDomain> {
        &self.pd
    }

    #[inline]
    fn modify(&self, attr: &mut bindings::ib_qp_attr, mask: u32) -> Result {
        // SAFETY: The QP is live; `attr` is valid and `mask` names only plain-value attributes
        // (state, P_Key index, port, Q_Key, send PSN), never an address vector.
        to_result(unsafe { bindings::ib_modify_qp(self.as_raw(), attr, mask as i32) })
    }

    /// Takes the QP from `RESET` through `INIT` (with `params`) and `RTR` to `RTS`, as rdma_cm
    /// does for the UD QPs it creates.
    ///
    /// A port the QP's device does not have, or a P_Key index beyond its port's table, is
    /// `EINVAL`: the core trusts kernel callers with both.
    #[inline]
    pub fn activate(&self, params: &UdQpParams) -> Result {
        self.pd
            .device()
            .cached_pkey(params.port_num, params.pkey_index.into())?;
        let _serialised = self.attached.lock();
        // SAFETY: All-zero is a valid `ib_qp_attr`.
        let mut attr: bindings::ib_qp_attr = unsafe { core::mem::zeroed() };
        attr.qp_state = bindings::ib_qp_state_IB_QPS_INIT;
        attr.pkey_index = params.pkey_index;
        attr.port_num = params.port_num;
        attr.qkey = params.qkey;
        self.modify(
            &mut attr,
            bindings::ib_qp_attr_mask_IB_QP_STATE
                | bindings::ib_qp_attr_mask_IB_QP_PKEY_INDEX
                | bindings::ib_qp_attr_mask_IB_QP_PORT
                | bindings::ib_qp_attr_mask_IB_QP_QKEY,
        )?;
        attr.qp_state = bindings::ib_qp_state_IB_QPS_RTR;
        self.modify(&mut attr, bindings::ib_qp_attr_mask_IB_QP_STATE)?;
        attr.qp_state = bindings::ib_qp_state_IB_QPS_RTS;
        attr.sq_psn = 0;
        self.modify(
            &mut attr,
            bindings::ib_qp_attr_mask_IB_QP_STATE | bindings::ib_qp_attr_mask_IB_QP_SQ_PSN,
        )
    }

    /// Posts `posted` with `post`, which gets the request's id (a free slot's index), and
    /// keeps it in that slot until its completion. The slots stay locked during the post, so
    /// that a refused request never leaves the caller, and [`UdQp::poll`] finds a completed
    /// one in its slot. The buffer comes back with the error.
    fn post(
        &self,
        posted: Posted,
        post: impl FnOnce(u64) -> core::ffi::c_int,
    ) -> Result<(), (Error, DmaBuffer)> {
        let mut slots = self.slots.lock();
        let Some(i) = slots.free.pop() else {
            return Err((ENOMEM, posted.buf));
        };
        posted.buf.sync_for_device();
        if let Err(e) = to_result(post(i as u64)) {
            // The slot came off the free list, which has room for every slot.
            let _ = slots.free.push_within_capacity(i);
            posted.buf.sync_for_cpu();
            return Err((e, posted.buf));
        }
        slots.posted[i] = Some(posted);
        Ok(())
    }

    /// Posts a receive into the whole of `buf` (a receive buffer holds the GRH first). The
    /// buffer comes back with the completion ([`UdQp::poll`]), or now with the error.
    #[inline]
    pub fn post_recv(&self, buf: DmaBuffer) -> Result<(), (Error, DmaBuffer)> {
        if !Arc::ptr_eq(buf.pd(), &self.pd) || buf.len() <= GRH_SIZE || !buf.device_writes() {
            return Err((EINVAL, buf));
        }
        let Some(mut sge) = buf.sge(0, buf.len()) else {
            return Err((EINVAL, buf));
        };
        let posted = Posted {
            buf,
            _ah: None,
            is_recv: true,
        };
        self.post(posted, |wr_id| {
            // SAFETY: All-zero is a valid `ib_recv_wr`.
            let mut wr: bindings::ib_recv_wr = unsafe { core::mem::zeroed() };
            wr.__bindgen_anon_1.wr_id = wr_id;
            wr.sg_list = &mut sge;
            wr.num_sge = 1;
            // SAFETY: The QP is live; `wr` and its entry are valid for the call; the buffer it
            // names stays mapped, and untouched by the CPU, in its slot until the completion.
            unsafe { bindings::ib_post_recv(self.as_raw(), &wr, core::ptr::null_mut()) }
        })
    }

    /// Sends the first `len` bytes of `buf` to `dest`. The buffer (and a reference on the
    /// address handle) comes back with the completion ([`UdQp::poll`]), or now with the error.
    #[inline]
    pub fn post_send(
        &self,
        buf: DmaBuffer,
        len: usize,
        dest: &UdDest<'_>,
    ) -> Result<(), (Error, DmaBuffer)> {
        if !Arc::ptr_eq(buf.pd(), &self.pd)
            || !Arc::ptr_eq(dest.ah.pd(), &self.pd)
            || !buf.device_reads()
        {
            return Err((EINVAL, buf));
        }
        let Some(mut sge) = buf.sge(0, len) else {
            return Err((EINVAL, buf));
        };
        let posted = Posted {
            buf,
            _ah: Some(dest.ah.clone()),
            is_recv: false,
        };
        self.post(posted, |wr_id| {
            // SAFETY: All-zero is a valid `ib_ud_wr`.
            let mut wr: bindings::ib_ud_wr = unsafe { core::mem::zeroed() };
            wr.wr.__bindgen_anon_1.wr_id = wr_id;
            wr.wr.sg_list = &mut sge;
            wr.wr.num_sge = 1;
            wr.wr.opcode = bindings::ib_wr_opcode_IB_WR_SEND;
            wr.wr.send_flags = bindings::ib_send_flags_IB_SEND_SIGNALED;
            wr.ah = dest.ah.as_raw();
            wr.remote_qpn = dest.qpn;
            wr.remote_qkey = dest.qkey;
            // SAFETY: The QP is live; `wr` (a UD request, as the QP's type wants) and its
            // entry are valid for the call; the buffer and the address handle stay in the
            // request's slot until the completion.
            unsafe { bindings::ib_post_send(self.as_raw(), &wr.wr, core::ptr::null_mut()) }
        })
    }

    /// The oldest completed work request, with its buffer, if there is one. It may sleep: a
    /// completed send lets its reference to its address handle go, and the last one destroys
    /// the handle.
    #[inline]
    pub fn poll(&self) -> Option<Completion> {
        let mut slots = self.slots.lock();
        loop {
            // SAFETY: Polls are serialised by `slots`, locked here.
            let wc = unsafe { self.cq.poll_one() }?;
            // The CQ is this QP's alone, so every id is one of its slots.
            let Ok(i) = usize::try_from(wc.wr_id()) else {
                continue;
            };
            let Some(p) = slots.posted.get_mut(i).and_then(Option::take) else {
                crate::warn_on!(true);
                continue;
            };
            // The slot was in use, so it is not on the free list, which has room for all.
            let _ = slots.free.push_within_capacity(i);
            drop(slots);
            p.buf.sync_for_cpu();
            return Some(Completion {
                wc,
                is_recv: p.is_recv,
                buf: p.buf,
            });
        }
    }

    /// Attaches the QP to the multicast group `gid` with LID `lid` (`ib_attach_mcast()`); it is
    /// detached when dropped, if not before.
    #[inline]
    pub fn attach_mcast(&self, gid: Gid, lid: u16) -> Result {
        let mut attached = self.attached.lock();
        if attached.iter().any(|&(g, l)| g == gid && l == lid) {
            return Err(EEXIST);
        }
        attached.reserve(1, GFP_KERNEL)?;
        let mut raw = gid.to_raw();
        // SAFETY: The QP is live; `raw` is valid for the call.
        to_result(unsafe { bindings::ib_attach_mcast(self.as_raw(), &mut raw, lid) })?;
        // Room was reserved above.
        let _ = attached.push_within_capacity((gid, lid));
        Ok(())
    }

    /// Detaches the QP from the group `gid`, `lid` (`ib_detach_mcast()`); `ENOENT` if it was
    /// not attached.
    #[inline]
    pub fn detach_mcast(&self, gid: Gid, lid: u16) -> Result {
        let mut attached = self.attached.lock();
        let i = attached
            .iter()
            .position(|&(g, l)| g == gid && l == lid)
            .ok_or(ENOENT)?;
        let mut raw = gid.to_raw();
        // SAFETY: The QP is live and attached to the group.
        to_result(unsafe { bindings::ib_detach_mcast(self.as_raw(), &mut raw, lid) })?;
        attached.remove(i)?;
        Ok(())
    }
}

impl Drop for UdQp {
    #[inline]
    fn drop(&mut self) {
        let qp = self.as_raw();
        for &(gid, lid) in self.attached.lock().iter() {
            let mut raw = gid.to_raw();
            // SAFETY: The QP is live and attached to the group (type invariant).
            let ret = unsafe { bindings::ib_detach_mcast(qp, &mut raw, lid) };
            crate::warn_on!(ret != 0);
        }
        // SAFETY: The QP is ours (type invariant) and its PD alive (`self.pd`).
        let ret = unsafe { bindings::ib_destroy_qp_user(qp, core::ptr::null_mut()) };
        if ret != 0 {
            // The QP lives on (an attachment the driver kept): its CQ, its PD and the buffers
            // it may still write must too. They are leaked.
            crate::warn_on!(true);
            let slots = core::mem::take(&mut self.slots.lock().posted);
            core::mem::forget(slots);
            return;
        }
        // SAFETY: The QP is destroyed: nothing uses the CQ and the PD for it any more, and
        // they are not used after this.
        unsafe {
            ManuallyDrop::drop(&mut self.cq);
            ManuallyDrop::drop(&mut self.pd);
        }
    }
}
