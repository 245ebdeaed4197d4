// SPDX-License-Identifier: GPL-2.0

//! Management datagrams (MADs): a MAD agent that serves the requests of one management class
//! on one port, and answers them.
//!
//! - [`Mad`]: a 256-byte MAD, with accessors for its common header (IBA 13.4.3);
//! - [`MadAgent`] and [`MadHandler`]: `ib_register_mad_agent()` for a class, version and set
//!   of methods; received requests reach the handler;
//! - [`RecvMad`]: a received MAD and where it came from, given back to ib_mad when dropped;
//! - [`Responder`]: answers a request to its sender (`ib_create_ah_from_wc()`,
//!   `ib_post_send_mad()`), in one MAD or, for an agent registered with [`Rmpp::Version1`], as
//!   an RMPP transfer.
//!
//! C header: [`include/rdma/ib_mad.h`](srctree/include/rdma/ib_mad.h).

use super::device::RegisteredDevice;
use crate::{
    bindings,
    error::{
        from_err_ptr,
        to_result,
        Result, //
    },
    prelude::*,
    sync::Arc,
};
use core::{
    marker::PhantomData,
    ptr::NonNull, //
};

/// The size of a MAD (`IB_MGMT_MAD_SIZE`).
pub const MAD_SIZE: usize = 256;

/// The size of the common MAD header (`IB_MGMT_MAD_HDR`).
pub const MAD_HDR_SIZE: usize = 24;

/// The response bit of a method (`IB_MGMT_METHOD_RESP`).
pub const METHOD_RESP: u8 = 0x80;

/// The end of the RMPP header, after the common header (`IB_MGMT_RMPP_HDR`).
const RMPP_HDR_END: usize = bindings::IB_MGMT_RMPP_HDR as usize;

/// The most data [`Responder::respond_rmpp`] sends after its header: 1 MiB, far below where
/// ib_mad's segment and payload length arithmetic (in `int`) would overflow.
pub const RMPP_DATA_MAX: usize = 1 << 20;

/// How often ib_mad resends a segment of an RMPP response that is not acknowledged.
const RMPP_RETRIES: i32 = 3;

/// A MAD: 256 bytes, the common header first, in wire (big-endian) order.
#[derive(Clone, Copy)]
pub struct Mad(pub [u8; MAD_SIZE]);

impl Default for Mad {
    fn default() -> Self {
        Self([0; MAD_SIZE])
    }
}

impl Mad {
    fn be16(&self, off: usize) -> u16 {
        u16::from_be_bytes([self.0[off], self.0[off + 1]])
    }

    fn set_be16(&mut self, off: usize, v: u16) {
        self.0[off..off + 2].copy_from_slice(&v.to_be_bytes());
    }

    /// The base version (1 for IB).
    pub fn base_version(&self) -> u8 {
        self.0[0]
    }

    /// The management class.
    pub fn mgmt_class(&self) -> u8 {
        self.0[1]
    }

    /// The class version.
    pub fn class_version(&self) -> u8 {
        self.0[2]
    }

    /// The method.
    pub fn method(&self) -> u8 {
        self.0[3]
    }

    /// Sets the method.
    pub fn set_method(&mut self, method: u8) {
        self.0[3] = method;
    }

    /// The status.
    pub fn status(&self) -> u16 {
        self.be16(4)
    }

    /// Sets the status.
    pub fn set_status(&mut self, status: u16) {
        self.set_be16(4, status);
    }

    /// The transaction id.
    pub fn tid(&self) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.0[8..16]);
        u64::from_be_bytes(b)
    }

    /// The attribute id.
    pub fn attr_id(&self) -> u16 {
        self.be16(16)
    }

    /// Sets the attribute id.
    pub fn set_attr_id(&mut self, id: u16) {
        self.set_be16(16, id);
    }

    /// The attribute modifier.
    pub fn attr_mod(&self) -> u32 {
        u32::from_be_bytes([self.0[20], self.0[21], self.0[22], self.0[23]])
    }
}

/// What a [`MadAgent`] does with the requests it receives.
pub trait MadHandler: Send + Sync + 'static {
    /// Called for each received request of the agent's class, version and methods, from ib_mad's
    /// completion work. `responder` answers it.
    fn recv(&self, responder: &Responder<'_>, mad: &RecvMad);
}

/// A received MAD, given back to ib_mad (`ib_free_recv_mad()`) when dropped.
///
/// # Invariants
///
/// `wc` is a receive completion ib_mad handed to a receive handler and that nothing else frees.
pub struct RecvMad {
    wc: NonNull<bindings::ib_mad_recv_wc>,
}

impl RecvMad {
    /// The MAD's 256 bytes.
    pub fn mad(&self) -> Mad {
        let mut mad = Mad::default();
        // SAFETY: By the type invariant `wc` is valid and ib_mad gave it a receive buffer of at
        // least one MAD (`mad_seg_size` >= 256 bytes for IB), which nothing writes while the
        // completion is ours.
        unsafe {
            let src = (*self.wc.as_ptr())
                .recv_buf
                .__bindgen_anon_1
                .mad
                .cast::<u8>();
            core::ptr::copy_nonoverlapping(src, mad.0.as_mut_ptr(), MAD_SIZE);
        }
        mad
    }

    fn wc(&self) -> bindings::ib_wc {
        // SAFETY: By the type invariant `wc` is valid; ib_mad points `wc->wc` at the work
        // completion of the receive, which lives as long as the receive buffer.
        unsafe { *(*self.wc.as_ptr()).wc }
    }

    /// The sender's LID.
    pub fn slid(&self) -> u32 {
        self.wc().slid
    }

    /// The sender's QP number.
    pub fn src_qp(&self) -> u32 {
        self.wc().src_qp
    }

    /// The P_Key index the MAD arrived with.
    pub fn pkey_index(&self) -> u16 {
        self.wc().pkey_index
    }
}

impl Drop for RecvMad {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: By the type invariant the completion is ours to give back, once.
        unsafe { bindings::ib_free_recv_mad(self.wc.as_ptr()) };
    }
}

/// Answers requests during a [`MadHandler::recv`] call.
///
/// # Invariants
///
/// `agent` is a registered MAD agent for the lifetime `'a`.
pub struct Responder<'a> {
    agent: NonNull<bindings::ib_mad_agent>,
    _p: PhantomData<&'a ()>,
}

impl Responder<'_> {
    /// Sends `resp` to the sender of `req`, on the path the request came (its GRH, if it had
    /// one, reversed). The response is not retried and expects no answer.
    #[inline]
    pub fn respond(&self, req: &RecvMad, resp: &Mad) -> Result {
        // SAFETY: By the invariants the agent is registered; its RMPP version does not change.
        let rmpp_agent = unsafe { (*self.agent.as_ptr()).rmpp_version } != 0;
        self.send(req, false, MAD_HDR_SIZE, MAD_SIZE - MAD_HDR_SIZE, |send| {
            // SAFETY: A send buffer of one MAD (`send` gives it) holds `MAD_SIZE` bytes at
            // `mad`.
            unsafe {
                let mad = (*send).mad.cast::<u8>();
                core::ptr::copy_nonoverlapping(resp.0.as_ptr(), mad, MAD_SIZE);
                // The MAD of an RMPP agent is one whole message: no RMPP header, whatever
                // `resp` holds there (ib_mad would send an active one as a segment).
                if rmpp_agent {
                    core::ptr::write_bytes(mad.add(MAD_HDR_SIZE), 0, RMPP_HDR_END - MAD_HDR_SIZE);
                }
            };
        })
    }

    /// Sends the header `resp` (its common, RMPP and class headers) with `data` after it to
    /// the sender of `req`, as an RMPP transfer (IBA 13.6) that ib_mad segments, resends
    /// where a segment is lost and completes on the receiver's last ACK. `data` may be empty
    /// (one segment of padding).
    ///
    /// `EINVAL` if the agent was not registered with [`Rmpp::Version1`] or `resp`'s class has
    /// no RMPP, `EMSGSIZE` for more than [`RMPP_DATA_MAX`] bytes of data.
    #[inline]
    pub fn respond_rmpp(&self, req: &RecvMad, resp: &Mad, data: &[u8]) -> Result {
        if data.len() > RMPP_DATA_MAX {
            return Err(EMSGSIZE);
        }
        // SAFETY: `ib_get_mad_data_offset()` only reads its argument.
        let hdr_len = unsafe { bindings::ib_get_mad_data_offset(resp.mgmt_class()) };
        let hdr_len = usize::try_from(hdr_len).map_err(|_| EINVAL)?;
        if !(RMPP_HDR_END..=MAD_SIZE).contains(&hdr_len) {
            return Err(EINVAL);
        }
        self.send(req, true, hdr_len, data.len(), |send| {
            // SAFETY: An RMPP send buffer (`send` gives it) holds the header, `hdr_len` bytes,
            // at `mad`, and `seg_count` segments of `seg_size` bytes each that
            // `ib_get_rmpp_segment()` finds, together at least `data.len()` bytes (at most
            // `RMPP_DATA_MAX`, so ib_mad's sizes did not overflow).
            unsafe {
                // ib_mad set the RMPP header (version, DATA, active) and fills in the segment
                // numbers, payload length and first and last flags: copy around it.
                let head = (*send).mad.cast::<u8>();
                core::ptr::copy_nonoverlapping(resp.0.as_ptr(), head, MAD_HDR_SIZE);
                core::ptr::copy_nonoverlapping(
                    resp.0.as_ptr().add(RMPP_HDR_END),
                    head.add(RMPP_HDR_END),
                    hdr_len - RMPP_HDR_END,
                );
                let seg_size = usize::try_from((*send).seg_size).unwrap_or(0);
                let mut rest = data;
                let mut seg = 1;
                while !rest.is_empty() && seg_size != 0 {
                    let n = rest.len().min(seg_size);
                    let dst = bindings::ib_get_rmpp_segment(send, seg).cast::<u8>();
                    core::ptr::copy_nonoverlapping(rest.as_ptr(), dst, n);
                    rest = &rest[n..];
                    seg += 1;
                }
            }
        })
    }

    /// Creates a send buffer for a response to `req` (RMPP if `rmpp`) of a `hdr_len`-byte
    /// header and `data_len` bytes of data, has `fill` write it, and posts it.
    #[inline]
    fn send(
        &self,
        req: &RecvMad,
        rmpp: bool,
        hdr_len: usize,
        data_len: usize,
        fill: impl FnOnce(*mut bindings::ib_mad_send_buf),
    ) -> Result {
        let hdr_len = i32::try_from(hdr_len).map_err(|_| EINVAL)?;
        let data_len = i32::try_from(data_len).map_err(|_| EINVAL)?;
        let agent = self.agent.as_ptr();
        let rwc = req.wc.as_ptr();
        // SAFETY: By the invariants the agent is registered, so its QP and port are valid, and
        // `rwc` is a receive completion of that agent with its work completion and GRH buffer.
        let ah = from_err_ptr(unsafe {
            bindings::ib_create_ah_from_wc(
                (*(*agent).qp).pd,
                (*rwc).wc,
                (*rwc).recv_buf.grh,
                u32::from((*agent).port_num),
            )
        })?;
        let wc = req.wc();
        // SAFETY: The agent is registered. ib_mad checks that an RMPP send comes from an agent
        // registered for RMPP and that a single MAD fits; the callers bound an RMPP send's
        // data to `RMPP_DATA_MAX`.
        let send = from_err_ptr(unsafe {
            bindings::ib_create_send_mad(
                agent,
                wc.src_qp,
                wc.pkey_index,
                i32::from(rmpp),
                hdr_len,
                data_len,
                bindings::GFP_KERNEL,
                bindings::IB_MGMT_BASE_VERSION as u8,
            )
        });
        let send = match send {
            Ok(send) => send,
            Err(e) => {
                // SAFETY: `ah` was created above and nothing else uses it.
                unsafe { bindings::rdma_destroy_ah_user(ah, 0, core::ptr::null_mut()) };
                return Err(e);
            }
        };
        fill(send);
        // SAFETY: `send` is a new send buffer, ours until it is posted; the send handler of
        // the agent destroys `ah` and frees `send` after the send. A response expects no
        // answer (`timeout_ms` 0): one MAD is sent once; an RMPP transfer waits for its ACKs
        // and resends a segment up to `RMPP_RETRIES` times.
        let ret = unsafe {
            (*send).ah = ah;
            // Where ib_mad completes a send itself (`ib_rmpp_send_handler()`), it destroys
            // the AH in `context[0]`.
            (*send).context[0] = ah.cast();
            (*send).timeout_ms = 0;
            (*send).retries = if rmpp { RMPP_RETRIES } else { 0 };
            bindings::ib_post_send_mad(send, core::ptr::null_mut())
        };
        if let Err(e) = to_result(ret) {
            // SAFETY: The post failed, so the buffer and the AH are still ours alone.
            unsafe {
                bindings::rdma_destroy_ah_user(ah, 0, core::ptr::null_mut());
                bindings::ib_free_send_mad(send);
            }
            return Err(e);
        }
        Ok(())
    }
}

/// Whether ib_mad segments and reassembles an agent's messages (RMPP, IBA 13.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rmpp {
    /// Every message is one MAD.
    None,
    /// RMPP version 1 (`IB_MGMT_RMPP_VERSION`), for classes that have it (SubnAdm among
    /// others): [`Responder::respond_rmpp`] sends multi-MAD responses.
    Version1,
}

/// A MAD agent that receives the requests of one class on one port.
///
/// Dropping it unregisters it (`ib_unregister_mad_agent()`), which waits for its callbacks and
/// completes its sends.
///
/// # Invariants
///
/// `agent` is registered with `handler` (an `Arc` reference this struct holds) as its context.
pub struct MadAgent<H: MadHandler> {
    agent: NonNull<bindings::ib_mad_agent>,
    handler: Arc<H>,
}

// SAFETY: The agent is used from any thread by ib_mad; the handler is `Send + Sync`.
unsafe impl<H: MadHandler> Send for MadAgent<H> {}
// SAFETY: As above; no method takes `&self` to change anything.
unsafe impl<H: MadHandler> Sync for MadAgent<H> {}

impl<H: MadHandler> MadAgent<H> {
    /// Registers an agent for requests of `class` version `version` with the methods in
    /// `methods`, on GSI QP1 of `port` of `dev`; with `rmpp`, ib_mad segments its RMPP
    /// responses and reassembles RMPP requests.
    ///
    /// Dropping the agent waits for its callbacks: drop it from none of them.
    ///
    /// # Safety
    ///
    /// `dev` stays registered until the agent is dropped: drop it at the latest in the
    /// `remove()` of the client whose `add()` created it.
    #[inline]
    pub unsafe fn register(
        dev: &RegisteredDevice,
        port: u32,
        class: u8,
        version: u8,
        methods: &[u8],
        rmpp: Rmpp,
        handler: Arc<H>,
    ) -> Result<Self> {
        dev.check_port(port)?;
        // SAFETY: All-zero is a valid `ib_mad_reg_req` (no OUI, no methods).
        let mut req: bindings::ib_mad_reg_req = unsafe { core::mem::zeroed() };
        req.mgmt_class = class;
        req.mgmt_class_version = version;
        let word_bits = 8 * core::mem::size_of_val(&req.method_mask[0]);
        for &m in methods {
            let (word, bit) = (usize::from(m) / word_bits, usize::from(m) % word_bits);
            *req.method_mask.get_mut(word).ok_or(EINVAL)? |= 1 << bit;
        }
        // SAFETY: `dev` is registered (the caller keeps it so until the agent goes) and `port`
        // one of its ports; the callbacks match their C types; the context is the handler,
        // which this struct keeps alive until the agent is unregistered.
        let agent = from_err_ptr(unsafe {
            bindings::ib_register_mad_agent(
                dev.as_raw(),
                port,
                bindings::ib_qp_type_IB_QPT_GSI,
                &mut req,
                match rmpp {
                    Rmpp::None => 0,
                    Rmpp::Version1 => bindings::IB_MGMT_RMPP_VERSION as u8,
                },
                Some(Self::send_handler),
                Some(Self::recv_handler),
                Arc::as_ptr(&handler).cast_mut().cast(),
                0,
            )
        })?;
        Ok(Self {
            // SAFETY: `from_err_ptr` returned no error, so the pointer is valid and non-null.
            agent: unsafe { NonNull::new_unchecked(agent) },
            handler,
        })
    }

    /// The agent's handler.
    pub fn handler(&self) -> &Arc<H> {
        &self.handler
    }

    /// # Safety
    ///
    /// Called by ib_mad for a registered agent of this type with a receive completion that the
    /// callee owns.
    unsafe extern "C" fn recv_handler(
        agent: *mut bindings::ib_mad_agent,
        _send_buf: *mut bindings::ib_mad_send_buf,
        wc: *mut bindings::ib_mad_recv_wc,
    ) {
        let Some(wc) = NonNull::new(wc) else {
            return;
        };
        // INVARIANT: ib_mad hands the completion to this handler, which now owns it.
        let mad = RecvMad { wc };
        // SAFETY: The agent is registered while its callbacks run; its context is the handler
        // `register` gave it, alive until the agent is unregistered.
        let handler = unsafe { &*(*agent).context.cast::<H>() };
        let responder = Responder {
            // SAFETY: ib_mad calls the handler with its agent, never null.
            agent: unsafe { NonNull::new_unchecked(agent) },
            _p: PhantomData,
        };
        handler.recv(&responder, &mad);
    }

    /// # Safety
    ///
    /// Called by ib_mad when a send of a registered agent of this type is done.
    unsafe extern "C" fn send_handler(
        _agent: *mut bindings::ib_mad_agent,
        send_wc: *mut bindings::ib_mad_send_wc,
    ) {
        // SAFETY: Every send that reaches this handler comes from `Responder::respond` or
        // `Responder::respond_rmpp`, which gave it an AH that only the send used (the RMPP
        // ACK, STOP and ABORT MADs ib_mad sends itself complete in `ib_rmpp_send_handler()`,
        // and `respond` sends no RMPP header that would take a send there); the send is done,
        // so both are ours to free.
        unsafe {
            let send = (*send_wc).send_buf;
            bindings::rdma_destroy_ah_user((*send).ah, 0, core::ptr::null_mut());
            bindings::ib_free_send_mad(send);
        }
    }
}

impl<H: MadHandler> Drop for MadAgent<H> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: By the type invariant the agent is registered; unregistering waits for its
        // callbacks, so none uses the handler afterwards.
        unsafe { bindings::ib_unregister_mad_agent(self.agent.as_ptr()) };
    }
}
