// SPDX-License-Identifier: GPL-2.0

//! The RDMA connection manager (rdma_cm), consumer side: ids, their operations and their
//! events.
//!
//! - [`CmId`]: an rdma_cm id (`struct rdma_cm_id`), borrowed. It reads what does not change
//!   under its user and takes the id's handler lock; its operations are on [`Ops`].
//! - [`Ops`]: the operations of an id (bind, resolve, connect, listen, accept, reject,
//!   disconnect, QP attributes, options, joins). rdma_cm must be used by one thread at a time
//!   per id (its users serialise their calls, as `ucma.c` does with its context mutex), so an
//!   `Ops` is had through `&mut` access to an [`OwnedCmId`], or, for users that serialise the
//!   calls themselves, through [`CmId::ops`].
//! - [`Handler`]: what an id does with its events, and [`OwnedCmId`]: an id created with a
//!   handler, destroyed when dropped.
//! - [`NewConn`]: the new id of a connection request, which the listener's handler adopts or
//!   refuses.
//!
//! An id must not be destroyed from its own event handler (nor from a handler of its listener):
//! `rdma_destroy_id()` waits for the handlers, so dropping an [`OwnedCmId`] there deadlocks.
//!
//! C header: [`include/rdma/rdma_cm.h`](srctree/include/rdma/rdma_cm.h).

use super::{
    addr::SockAddr,
    ah::AhAttr,
    device::RegisteredDevice,
    qp::UdQpParams,
    sa::JoinStates, //
};
use crate::{
    bindings,
    error::{
        from_err_ptr,
        to_result,
        Result, //
    },
    ffi::{
        c_int,
        c_ulong,
        c_void, //
    },
    net::{
        device::NetDevice,
        namespace::Namespace, //
    },
    prelude::*,
    sync::aref::ARef,
    types::{
        ForeignOwnable,
        NotThreadSafe,
        Opaque, //
    },
};
use core::{
    cell::Cell,
    marker::PhantomData,
    ops::Deref,
    ptr::{
        addr_of,
        NonNull, //
    },
};

/// The port space of an id (`enum rdma_ucm_port_space`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum PortSpace {
    /// `RDMA_PS_IPOIB`: UD, joins the IPoIB multicast groups.
    Ipoib = bindings::rdma_ucm_port_space_RDMA_PS_IPOIB,
    /// `RDMA_PS_IB`: any QP type, `AF_IB` service ids.
    Ib = bindings::rdma_ucm_port_space_RDMA_PS_IB,
    /// `RDMA_PS_TCP`: RC connections.
    Tcp = bindings::rdma_ucm_port_space_RDMA_PS_TCP,
    /// `RDMA_PS_UDP`: UD datagrams and RDMA CM multicast.
    Udp = bindings::rdma_ucm_port_space_RDMA_PS_UDP,
}

impl PortSpace {
    /// Converts the C value; `None` for a value that is not a port space.
    pub fn from_raw(raw: u32) -> Option<Self> {
        [Self::Ipoib, Self::Ib, Self::Tcp, Self::Udp]
            .into_iter()
            .find(|ps| *ps as u32 == raw)
    }
}

/// The hardware addresses of an id's route (`struct rdma_dev_addr`), copied.
#[derive(Clone, Copy)]
pub struct DevAddr {
    /// The source hardware address (for InfiniBand: 4 bytes of QPN and flags, then the GID).
    pub src_dev_addr: [u8; bindings::MAX_ADDR_LEN as usize],
    /// The hardware broadcast address (for InfiniBand: the IPoIB broadcast address, with the
    /// P_Key and the broadcast MGID).
    pub broadcast: [u8; bindings::MAX_ADDR_LEN as usize],
    /// The hardware type of the net device (`ARPHRD_*`).
    pub dev_type: u16,
    /// The interface index of the net device the id is bound to, 0 if none.
    pub bound_dev_if: i32,
}

impl DevAddr {
    /// `rdma_addr_get_sgid()`: the source GID of the address.
    pub fn sgid(&self) -> super::Gid {
        let off = if u32::from(self.dev_type) == bindings::ARPHRD_INFINIBAND {
            4
        } else {
            0
        };
        let mut g = [0u8; 16];
        g.copy_from_slice(&self.src_dev_addr[off..off + 16]);
        super::Gid(g)
    }

    /// `ib_addr_get_mgid()`: the IPoIB broadcast MGID.
    pub fn broadcast_mgid(&self) -> super::Gid {
        let mut g = [0u8; 16];
        g.copy_from_slice(&self.broadcast[4..20]);
        super::Gid(g)
    }

    /// `ib_addr_get_pkey()`: the P_Key of the IPoIB broadcast address.
    pub fn pkey(&self) -> u16 {
        u16::from_be_bytes([self.broadcast[8], self.broadcast[9]])
    }
}

/// An rdma_cm id, `struct rdma_cm_id`, borrowed.
///
/// # Invariants
///
/// The id is alive (not destroyed) while a `&CmId` exists.
#[repr(transparent)]
pub struct CmId(Opaque<bindings::rdma_cm_id>);

// SAFETY: rdma_cm ids are used from any thread; the operations that need it are serialised by
// `Ops`.
unsafe impl Send for CmId {}
// SAFETY: The `&self` methods read fields that do not change or take rdma_cm's own locks.
unsafe impl Sync for CmId {}

/// Reads a field of the id's route with a volatile read (rdma_cm's own work may write it).
macro_rules! route_field {
    ($ops:expr, $($field:tt)+) => {
        // SAFETY: The id is alive (type invariant of `CmId`); the field is read on its own.
        unsafe { core::ptr::read_volatile(addr_of!((*$ops.as_raw()).route.addr.$($field)+)) }
    };
}

impl CmId {
    /// Creates a reference to a live id.
    ///
    /// # Safety
    ///
    /// `ptr` must point to an rdma_cm id that is not destroyed during `'a`.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::rdma_cm_id) -> &'a CmId {
        // SAFETY: `CmId` is a transparent wrapper; the caller guarantees the id for `'a`.
        unsafe { &*ptr.cast::<CmId>() }
    }

    /// The raw id.
    pub fn as_raw(&self) -> *mut bindings::rdma_cm_id {
        self.0.get()
    }

    /// The id's port space, set at creation.
    pub fn port_space(&self) -> Option<PortSpace> {
        // SAFETY: The id is alive (type invariant); the port space never changes.
        PortSpace::from_raw(unsafe { (*self.as_raw()).ps })
    }

    /// The id's QP type (`enum ib_qp_type`), set at creation.
    pub fn qp_type(&self) -> u32 {
        // SAFETY: The id is alive (type invariant); the QP type never changes.
        unsafe { (*self.as_raw()).qp_type }
    }

    /// Whether the id is bound to a device (as it is read now: an operation on the id may
    /// change it).
    pub fn has_device(&self) -> bool {
        // SAFETY: The id is alive (type invariant); the pointer is read on its own.
        !unsafe { core::ptr::read_volatile(addr_of!((*self.as_raw()).device)) }.is_null()
    }

    /// Whether a kernel QP is attached to the id (`rdma_create_qp()`).
    pub fn has_qp(&self) -> bool {
        // SAFETY: The id is alive (type invariant); the pointer is read on its own.
        !unsafe { core::ptr::read_volatile(addr_of!((*self.as_raw()).qp)) }.is_null()
    }

    /// The device the id is bound to, if any, as a registered device.
    ///
    /// # Safety
    ///
    /// The id must stay bound to that device during `'a`: no operation that could unbind it
    /// (a failed bind, the id's destruction) runs meanwhile. A bound id holds its device's
    /// rdma_cm reference, and rdma_cm's removal of a device waits until every id bound to it is
    /// destroyed, so the device then stays registered.
    pub unsafe fn registered_device<'a>(&'a self) -> Option<&'a RegisteredDevice> {
        // SAFETY: The id is alive (type invariant); the pointer is read on its own.
        let dev = unsafe { core::ptr::read_volatile(addr_of!((*self.as_raw()).device)) };
        if dev.is_null() {
            return None;
        }
        // SAFETY: The caller guarantees that the id stays bound, so the device registered.
        Some(unsafe { RegisteredDevice::from_raw(dev) })
    }

    /// The port the id is bound to.
    pub fn port_num(&self) -> u32 {
        // SAFETY: The id is alive (type invariant); the field is read on its own.
        unsafe { core::ptr::read_volatile(addr_of!((*self.as_raw()).port_num)) }
    }

    /// Copies the storage of an address of the id's route.
    fn route_addr(&self, src: bool) -> SockAddr {
        // SAFETY: The id is alive (type invariant); only the field's address is taken.
        let p = unsafe {
            if src {
                addr_of!((*self.as_raw()).route.addr.src_addr)
            } else {
                addr_of!((*self.as_raw()).route.addr.dst_addr)
            }
        };
        let mut b = [0u8; super::addr::STORAGE_SIZE];
        for (i, byte) in b.iter_mut().enumerate() {
            // SAFETY: `p` is a `sockaddr_storage` of `STORAGE_SIZE` bytes, which rdma_cm
            // initialises with the id; each byte is read on its own.
            *byte = unsafe { core::ptr::read_volatile(p.cast::<u8>().add(i)) };
        }
        SockAddr::from_bytes(&b)
    }

    /// The id's source address.
    pub fn src_addr(&self) -> SockAddr {
        self.route_addr(true)
    }

    /// The id's destination address.
    pub fn dst_addr(&self) -> SockAddr {
        self.route_addr(false)
    }

    /// The hardware addresses of the id's route.
    pub fn dev_addr(&self) -> DevAddr {
        DevAddr {
            src_dev_addr: route_field!(self, dev_addr.src_dev_addr),
            broadcast: route_field!(self, dev_addr.broadcast),
            dev_type: route_field!(self, dev_addr.dev_type),
            bound_dev_if: route_field!(self, dev_addr.bound_dev_if),
        }
    }

    /// The net device the id is bound to (`dev_get_by_index()` of `bound_dev_if` in the id's
    /// namespace), referenced.
    #[inline]
    pub fn bound_netdev(&self) -> Option<ARef<NetDevice>> {
        let ifindex: i32 = route_field!(self, dev_addr.bound_dev_if);
        if ifindex == 0 {
            return None;
        }
        let net: *mut bindings::net = route_field!(self, dev_addr.net);
        // SAFETY: The id holds a reference on its namespace for its life.
        let ndev = NonNull::new(unsafe { bindings::dev_get_by_index(net, ifindex) })?;
        // SAFETY: `dev_get_by_index()` took a reference, which the `ARef` owns.
        Some(unsafe { ARef::from_raw(ndev.cast::<NetDevice>()) })
    }

    /// `rdma_lock_handler()`: no event of the id is handled until the guard is dropped.
    #[inline]
    pub fn lock_handler(&self) -> HandlerGuard<'_> {
        // SAFETY: The id is alive (type invariant).
        unsafe { bindings::rdma_lock_handler(self.as_raw()) };
        // INVARIANT: Locked above.
        HandlerGuard(self, NotThreadSafe)
    }

    /// The operations of the id.
    ///
    /// # Safety
    ///
    /// While the returned `Ops` lives, no other thread calls an operation of rdma_cm on the id
    /// (rdma_cm requires its users to serialise them), nor destroys it.
    pub unsafe fn ops(&self) -> Ops<'_> {
        // INVARIANT: The caller guarantees the serialisation.
        Ops(self, NotThreadSafe)
    }
}

/// An id's handler lock, held (see [`CmId::lock_handler`]); dropping it unlocks.
///
/// # Invariants
///
/// The handler mutex of the id is held by this guard.
pub struct HandlerGuard<'a>(&'a CmId, NotThreadSafe);

impl Drop for HandlerGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: The guard holds the mutex (type invariant).
        unsafe { bindings::rdma_unlock_handler(self.0.as_raw()) }
    }
}

/// The parameters of a connection (`struct rdma_conn_param`), borrowing their private data.
pub struct ConnParam<'a> {
    raw: bindings::rdma_conn_param,
    _data: PhantomData<&'a [u8]>,
}

impl<'a> ConnParam<'a> {
    /// The parameters of the uABI's `struct rdma_ucm_conn_param` (`ucma_copy_conn_param()`):
    /// the QPN masked to 24 bits, and its Q_Key only for an `AF_IB` id.
    pub fn from_ucm(p: &'a bindings::rdma_ucm_conn_param, af_ib: bool) -> Self {
        // SAFETY: All-zero is a valid `rdma_conn_param` (a null private data pointer).
        let mut raw: bindings::rdma_conn_param = unsafe { core::mem::zeroed() };
        // The length is a `u8` and the array holds 256 bytes: C reads at most 255 of them.
        raw.private_data = p.private_data.as_ptr().cast();
        raw.private_data_len = p.private_data_len;
        raw.responder_resources = p.responder_resources;
        raw.initiator_depth = p.initiator_depth;
        raw.flow_control = p.flow_control;
        raw.retry_count = p.retry_count;
        raw.rnr_retry_count = p.rnr_retry_count;
        raw.srq = p.srq;
        raw.qp_num = p.qp_num & 0xff_ffff;
        raw.qkey = if af_ib { p.qkey } else { 0 };
        Self {
            raw,
            _data: PhantomData,
        }
    }

    fn as_ptr(&self) -> *mut bindings::rdma_conn_param {
        core::ptr::from_ref(&self.raw).cast_mut()
    }
}

/// The operations of an id, used by one thread at a time.
///
/// # Invariants
///
/// No other thread calls an operation of rdma_cm on the id or destroys it while this lives.
/// It is neither `Send` nor `Sync`, so its operations stay on the thread that has it.
pub struct Ops<'a>(&'a CmId, NotThreadSafe);

impl Deref for Ops<'_> {
    type Target = CmId;

    fn deref(&self) -> &CmId {
        self.0
    }
}

impl Ops<'_> {
    /// The device the id is bound to, if any; it stays registered while the id is bound, which
    /// only an operation of this `Ops` could change.
    pub fn device(&self) -> Option<&RegisteredDevice> {
        // SAFETY: No other operation runs on the id while this `Ops` lives (type invariant),
        // so the id stays bound while the returned reference, bound to `self`, lives.
        unsafe { self.0.registered_device() }
    }

    /// `rdma_bind_addr()`.
    #[inline]
    pub fn bind(&self, addr: &SockAddr) -> Result {
        // SAFETY: The id is alive and its calls serialised (type invariant); rdma_cm reads at
        // most `rdma_addr_size()` bytes of the address, inside its storage.
        to_result(unsafe { bindings::rdma_bind_addr(self.as_raw(), addr.as_raw()) })
    }

    /// `rdma_resolve_addr()`; a zero `src` (family `AF_UNSPEC`) lets rdma_cm choose.
    #[inline]
    pub fn resolve_addr(&self, src: &SockAddr, dst: &SockAddr, timeout_ms: u32) -> Result {
        // SAFETY: As for `bind()`.
        to_result(unsafe {
            bindings::rdma_resolve_addr(
                self.as_raw(),
                src.as_raw(),
                dst.as_raw(),
                timeout_ms as c_ulong,
            )
        })
    }

    /// `rdma_resolve_ib_service()`.
    #[inline]
    pub fn resolve_ib_service(&self, ibs: &mut bindings::rdma_ucm_ib_service) -> Result {
        // SAFETY: The id is alive and its calls serialised; `ibs` is valid for the call.
        to_result(unsafe { bindings::rdma_resolve_ib_service(self.as_raw(), ibs) })
    }

    /// `rdma_resolve_route()`.
    #[inline]
    pub fn resolve_route(&self, timeout_ms: u32) -> Result {
        // SAFETY: The id is alive and its calls serialised.
        to_result(unsafe { bindings::rdma_resolve_route(self.as_raw(), timeout_ms as c_ulong) })
    }

    /// `rdma_connect_ece()`.
    #[inline]
    pub fn connect(&self, param: &ConnParam<'_>, ece: &mut bindings::rdma_ucm_ece) -> Result {
        // SAFETY: The id is alive and its calls serialised; the parameters and their private
        // data are valid for the call.
        to_result(unsafe { bindings::rdma_connect_ece(self.as_raw(), param.as_ptr(), ece) })
    }

    /// `rdma_listen()`.
    #[inline]
    pub fn listen(&self, backlog: i32) -> Result {
        // SAFETY: The id is alive and its calls serialised.
        to_result(unsafe { bindings::rdma_listen(self.as_raw(), backlog) })
    }

    /// `rdma_accept_ece()`, with parameters or without (a UD id).
    #[inline]
    pub fn accept(
        &self,
        param: Option<&ConnParam<'_>>,
        ece: &mut bindings::rdma_ucm_ece,
    ) -> Result {
        let p = param.map_or(core::ptr::null_mut(), ConnParam::as_ptr);
        // SAFETY: The id is alive and its calls serialised; the parameters, if any, are valid
        // for the call.
        to_result(unsafe { bindings::rdma_accept_ece(self.as_raw(), p, ece) })
    }

    /// `rdma_reject()` with private `data` (at most 255 bytes, else `EINVAL`).
    #[inline]
    pub fn reject(&self, data: &[u8], reason: u8) -> Result {
        let len = u8::try_from(data.len()).map_err(|_| EINVAL)?;
        // SAFETY: The id is alive and its calls serialised; `data` is `len` readable bytes.
        to_result(unsafe {
            bindings::rdma_reject(self.as_raw(), data.as_ptr().cast(), len, reason)
        })
    }

    /// `rdma_disconnect()`.
    #[inline]
    pub fn disconnect(&self) -> Result {
        // SAFETY: The id is alive and its calls serialised.
        to_result(unsafe { bindings::rdma_disconnect(self.as_raw()) })
    }

    /// `rdma_init_qp_attr()` for the QP state `state`: the attributes and their mask; `EINVAL`
    /// if the id is bound to no device (rdma_cm would follow its null device).
    #[inline]
    pub fn init_qp_attr(&self, state: u32) -> Result<(bindings::ib_qp_attr, c_int)> {
        if self.device().is_none() {
            return Err(EINVAL);
        }
        // SAFETY: All-zero is a valid `ib_qp_attr` (C starts from `memset(0)` too).
        let mut attr: bindings::ib_qp_attr = unsafe { core::mem::zeroed() };
        attr.qp_state = state;
        let mut mask: c_int = 0;
        // SAFETY: The id is alive and its calls serialised; `attr` and `mask` are valid.
        to_result(unsafe { bindings::rdma_init_qp_attr(self.as_raw(), &mut attr, &mut mask) })?;
        Ok((attr, mask))
    }

    /// What a UD QP needs to carry the id's traffic: the `INIT` attributes that
    /// `rdma_init_qp_attr()` gives (P_Key index, port and Q_Key). The id must be bound to a
    /// device.
    #[inline]
    pub fn ud_qp_params(&self) -> Result<UdQpParams> {
        let (attr, mask) = self.init_qp_attr(bindings::ib_qp_state_IB_QPS_INIT)?;
        let want = bindings::ib_qp_attr_mask_IB_QP_PKEY_INDEX
            | bindings::ib_qp_attr_mask_IB_QP_PORT
            | bindings::ib_qp_attr_mask_IB_QP_QKEY;
        if mask as u32 & want != want {
            return Err(EINVAL);
        }
        Ok(UdQpParams {
            pkey_index: attr.pkey_index,
            port_num: attr.port_num,
            qkey: attr.qkey,
        })
    }

    /// `rdma_set_service_type()`: the type of service of the id's traffic.
    #[inline]
    pub fn set_tos(&self, tos: u8) {
        // SAFETY: The id is alive and its calls serialised.
        unsafe { bindings::rdma_set_service_type(self.as_raw(), c_int::from(tos)) }
    }

    /// `rdma_set_reuseaddr()`.
    #[inline]
    pub fn set_reuseaddr(&self, on: bool) -> Result {
        // SAFETY: The id is alive and its calls serialised.
        to_result(unsafe { bindings::rdma_set_reuseaddr(self.as_raw(), c_int::from(on)) })
    }

    /// `rdma_set_afonly()`.
    #[inline]
    pub fn set_afonly(&self, on: bool) -> Result {
        // SAFETY: The id is alive and its calls serialised.
        to_result(unsafe { bindings::rdma_set_afonly(self.as_raw(), c_int::from(on)) })
    }

    /// `rdma_set_ack_timeout()`.
    #[inline]
    pub fn set_ack_timeout(&self, timeout: u8) -> Result {
        // SAFETY: The id is alive and its calls serialised.
        to_result(unsafe { bindings::rdma_set_ack_timeout(self.as_raw(), timeout) })
    }

    /// `rdma_set_ib_path()`: sets the id's route to `rec`.
    #[inline]
    pub fn set_ib_path(&self, rec: &mut bindings::sa_path_rec) -> Result {
        // SAFETY: The id is alive and its calls serialised; `rec` is valid for the call.
        to_result(unsafe { bindings::rdma_set_ib_path(self.as_raw(), rec) })
    }

    /// `rdma_notify()`: tells rdma_cm of an event of the id's QP (`enum ib_event_type`).
    #[inline]
    pub fn notify(&self, event: u32) -> Result {
        // SAFETY: The id is alive and its calls serialised.
        to_result(unsafe { bindings::rdma_notify(self.as_raw(), event) })
    }

    /// `rdma_join_multicast()` of `addr` with `state`, for a handler that tells its joins
    /// apart by address or has one: the id's events of the join carry no context
    /// ([`Event::ud_private_data`] is null).
    #[inline]
    pub fn join(&self, addr: &SockAddr, state: JoinStates) -> Result {
        // SAFETY: A null context points to nothing that must stay valid.
        unsafe { self.join_with_context(addr, state, core::ptr::null_mut()) }
    }

    /// `rdma_join_multicast()` of `addr` with `state`; the id's events of the join carry
    /// `context` (see [`Event::ud_private_data`]).
    ///
    /// # Safety
    ///
    /// `context` must be what the id's [`Handler`] takes [`Event::ud_private_data`] of a
    /// multicast event for (or null, if the handler checks for it), and stay valid for the
    /// handler until the join is left or the id destroyed.
    #[inline]
    pub unsafe fn join_with_context(
        &self,
        addr: &SockAddr,
        state: JoinStates,
        context: *mut c_void,
    ) -> Result {
        // SAFETY: The id is alive and its calls serialised; the address is read inside its
        // storage; the caller keeps `context` valid for the handler.
        to_result(unsafe {
            bindings::rdma_join_multicast(self.as_raw(), addr.as_raw(), state.as_raw(), context)
        })
    }

    /// `rdma_leave_multicast()` of `addr`: no event of the join is handled after it returns.
    #[inline]
    pub fn leave(&self, addr: &SockAddr) {
        // SAFETY: The id is alive and its calls serialised; the address is read inside its
        // storage.
        unsafe { bindings::rdma_leave_multicast(self.as_raw(), addr.as_raw()) }
    }
}

/// An event of an id (`struct rdma_cm_event`), as its handler gets it.
///
/// # Invariants
///
/// The event's parameters are those rdma_cm gave it, or none (zero): their pointers are valid
/// for their lengths while `'a` lasts.
pub struct Event<'a>(&'a mut bindings::rdma_cm_event);

impl<'a> Event<'a> {
    /// Wraps the event rdma_cm passed to a handler.
    ///
    /// # Safety
    ///
    /// `raw` is an event rdma_cm made (a handler's argument): the pointers of its parameters
    /// are valid for their lengths while `'a` lasts.
    pub unsafe fn new(raw: &'a mut bindings::rdma_cm_event) -> Self {
        // INVARIANT: The caller guarantees the parameters.
        Self(raw)
    }

    /// The event type (`enum rdma_cm_event_type`).
    pub fn kind(&self) -> u32 {
        self.0.event
    }

    /// The event's status.
    pub fn status(&self) -> i32 {
        self.0.status
    }

    /// The event, for C functions that take it.
    pub fn as_raw_mut(&mut self) -> *mut bindings::rdma_cm_event {
        &raw mut *self.0
    }

    /// The parameters of a `MULTICAST_JOIN` event: the group's address vector, QP number
    /// and Q_Key; `None` for another event.
    pub fn multicast_join(&self) -> Option<McastJoin<'_>> {
        if self.0.event != bindings::rdma_cm_event_type_RDMA_CM_EVENT_MULTICAST_JOIN {
            return None;
        }
        // SAFETY: The UD member is the one a multicast event's parameters use, and events
        // start zeroed.
        let ud = unsafe { &self.0.param.ud };
        Some(McastJoin {
            // SAFETY: The vector is rdma_cm's (or zero, in an event made by a user): it and
            // the reference on its source GID attribute are kept until the handler returns,
            // and the result borrows `self`, which does not outlive the call; `&self` excludes
            // the writers (`as_raw_mut()`).
            ah_attr: unsafe { AhAttr::from_raw(&ud.ah_attr) },
            qp_num: ud.qp_num,
            qkey: ud.qkey,
        })
    }

    /// The private data pointer of a UD event's parameters: for multicast events, the
    /// context given to [`Ops::join_with_context`] (null for [`Ops::join`]).
    pub fn ud_private_data(&self) -> *const c_void {
        // SAFETY: Every member of the union starts with a field of the same size as the
        // pointer or larger, and events start zeroed or come from rdma_cm whole: the first
        // bytes are initialised and any pointer value is valid to hold.
        unsafe { self.0.param.ud.private_data }
    }
}

/// The parameters of a `MULTICAST_JOIN` event ([`Event::multicast_join`]).
pub struct McastJoin<'a> {
    /// The group's address vector (its MGID is `ah_attr.dgid()`, its MLID `ah_attr.dlid()`),
    /// to make an address handle from during the handler.
    pub ah_attr: AhAttr<'a>,
    /// The QP number to send to (the multicast QPN).
    pub qp_num: u32,
    /// The group's Q_Key.
    pub qkey: u32,
}

/// An event made by an id's user rather than rdma_cm, without parameters, such as the
/// `ROUTE_RESOLVED` that rdma_ucm reports once it set a route itself.
pub struct BareEvent(bindings::rdma_cm_event);

impl BareEvent {
    /// An event of type `kind` (`enum rdma_cm_event_type`), status 0 and no parameters.
    pub fn new(kind: u32) -> Self {
        Self(bindings::rdma_cm_event {
            event: kind,
            ..Default::default()
        })
    }

    /// The event, as handlers see one.
    pub fn as_event(&mut self) -> Event<'_> {
        // INVARIANT: The parameters are zero: no pointer, no length.
        Event(&mut self.0)
    }
}

/// What an id does with its events.
///
/// Handlers are `'static`: rdma_cm may call one until its id is destroyed.
pub trait Handler: Send + Sync + Sized + 'static {
    /// What the id's `context` holds.
    type Context: ForeignOwnable + Send + Sync;

    /// An event of the id `id` whose context is `ctx`, called with the id's handler lock held.
    fn event(ctx: <Self::Context as ForeignOwnable>::Borrowed<'_>, id: &CmId, ev: &mut Event<'_>);

    /// A connection request on the listening id whose context is `ctx`: the new id `conn` is
    /// given to the user only if the handler adopts it ([`NewConn::adopt`]); else rdma_cm
    /// destroys it, and the error (or `ECONNREFUSED`) is what the request gets.
    fn connect_request(
        ctx: <Self::Context as ForeignOwnable>::Borrowed<'_>,
        conn: NewConn<'_, Self>,
        ev: &mut Event<'_>,
    ) -> Result {
        let _ = (ctx, conn, ev);
        Err(ECONNREFUSED)
    }
}

/// The new id of a connection request, owned by no one until [`NewConn::adopt`] takes it.
///
/// # Invariants
///
/// `id` is the new id of a `CONNECT_REQUEST` event being handled by [`event_handler`] for `H`;
/// its context is still its listener's; `adopted` is the handler call's flag.
pub struct NewConn<'a, H: Handler> {
    id: &'a CmId,
    adopted: &'a Cell<bool>,
    _h: PhantomData<H>,
}

impl<H: Handler> NewConn<'_, H> {
    /// The new id.
    pub fn id(&self) -> &CmId {
        self.id
    }

    /// Takes the new id, with `ctx` as its context: the user owns it from now on, whatever the
    /// handler returns.
    pub fn adopt(self, ctx: H::Context) -> OwnedCmId<H> {
        let id = self.id.as_raw();
        // SAFETY: The id is live and owned by no one (type invariant): rdma_cm hands it to a
        // user only if the handler succeeds, and the handler runs now; its context was the
        // listener's, which the new id does not own.
        unsafe { (*id).context = ctx.into_foreign() };
        self.adopted.set(true);
        // INVARIANT: Created with `H`'s handler (the listener's), context now ours.
        OwnedCmId {
            // SAFETY: `id` comes from a reference, so it is not null.
            ptr: unsafe { NonNull::new_unchecked(id) },
            _h: PhantomData,
        }
    }
}

/// An rdma_cm id created with handler `H`; dropping it destroys the id (`rdma_destroy_id()`,
/// which waits for its handlers) and then its context.
///
/// # Invariants
///
/// `ptr` is a live id whose event handler is [`event_handler::<H>`](event_handler) and whose
/// context came from `H::Context::into_foreign()`; this object owns both.
pub struct OwnedCmId<H: Handler> {
    ptr: NonNull<bindings::rdma_cm_id>,
    _h: PhantomData<H>,
}

// SAFETY: Ids are destroyed from any thread; `H::Context` is `Send + Sync`.
unsafe impl<H: Handler> Send for OwnedCmId<H> {}
// SAFETY: `&OwnedCmId` gives `&CmId`, which is `Sync`.
unsafe impl<H: Handler> Sync for OwnedCmId<H> {}

impl<H: Handler> OwnedCmId<H> {
    /// Creates an id of a user-space process (`rdma_create_user_id()`), counted in the current
    /// process's resources.
    #[inline]
    pub fn new_user(ctx: H::Context, ps: PortSpace, qp_type: u32) -> Result<Self> {
        let context = ctx.into_foreign();
        // SAFETY: `event_handler::<H>` takes a context from `H::Context::into_foreign()`.
        let p = unsafe {
            bindings::rdma_create_user_id(Some(event_handler::<H>), context, ps as u32, qp_type)
        };
        Self::created(p, context)
    }

    /// Creates a kernel id in the initial network namespace (`rdma_create_id()`), named
    /// `caller` in the resource tracker.
    #[inline]
    pub fn new_kernel(
        ctx: H::Context,
        ps: PortSpace,
        qp_type: u32,
        caller: &'static CStr,
    ) -> Result<Self> {
        Self::new_kernel_in(Namespace::init(), ctx, ps, qp_type, caller)
    }

    /// Creates a kernel id in the network namespace `net` (`rdma_create_id()`, which takes
    /// its own reference on it), named `caller` in the resource tracker.
    #[inline]
    pub fn new_kernel_in(
        net: &Namespace,
        ctx: H::Context,
        ps: PortSpace,
        qp_type: u32,
        caller: &'static CStr,
    ) -> Result<Self> {
        let context = ctx.into_foreign();
        // SAFETY: As for `new_user()`; `net` is referenced during the call and the id takes
        // its own reference; `caller` is 'static.
        let p = unsafe {
            bindings::__rdma_create_kernel_id(
                net.as_raw(),
                Some(event_handler::<H>),
                context,
                ps as u32,
                qp_type,
                caller.as_char_ptr(),
            )
        };
        Self::created(p, context)
    }

    fn created(p: *mut bindings::rdma_cm_id, context: *mut c_void) -> Result<Self> {
        match from_err_ptr(p) {
            // INVARIANT: A new id with our handler and context.
            Ok(p) => Ok(Self {
                // SAFETY: `from_err_ptr()` succeeded, and the creators never return null.
                ptr: unsafe { NonNull::new_unchecked(p) },
                _h: PhantomData,
            }),
            Err(e) => {
                // SAFETY: No id holds the context: it came from `into_foreign()` above.
                drop(unsafe { H::Context::from_foreign(context) });
                Err(e)
            }
        }
    }

    /// The id.
    pub fn id(&self) -> &CmId {
        // SAFETY: The id is alive while `self` is (type invariant).
        unsafe { CmId::from_raw(self.ptr.as_ptr()) }
    }

    /// The operations of the id; `&mut self` serialises them.
    pub fn ops(&mut self) -> Ops<'_> {
        // SAFETY: `&mut self` excludes every other use of this owner, and only the owner calls
        // operations or destroys the id.
        unsafe { self.id().ops() }
    }
}

impl<H: Handler> Deref for OwnedCmId<H> {
    type Target = CmId;

    fn deref(&self) -> &CmId {
        self.id()
    }
}

impl<H: Handler> Drop for OwnedCmId<H> {
    #[inline]
    fn drop(&mut self) {
        let id = self.ptr.as_ptr();
        // SAFETY: The id is live and ours (type invariant); its context does not change any
        // more (only `NewConn::adopt()` writes it, before the id has an owner).
        let context = unsafe { (*id).context };
        // SAFETY: We own the id; no handler runs after `rdma_destroy_id()` returns.
        unsafe { bindings::rdma_destroy_id(id) };
        // SAFETY: The context came from `H::Context::into_foreign()` (type invariant) and no
        // handler can borrow it any more.
        drop(unsafe { H::Context::from_foreign(context) });
    }
}

/// The event handler of every id created for `H` ([`OwnedCmId`]).
///
/// # Safety
///
/// Called by rdma_cm with a live id of `H`, whose handler mutex is held, and a valid event.
unsafe extern "C" fn event_handler<H: Handler>(
    id: *mut bindings::rdma_cm_id,
    event: *mut bindings::rdma_cm_event,
) -> c_int {
    // SAFETY: rdma_cm passes a live id for the call.
    let cm_id = unsafe { CmId::from_raw(id) };
    // SAFETY: The id's context came from `H::Context::into_foreign()` and is kept until the id
    // is destroyed (after its last handler call); a connection request's new id carries its
    // listener's, alive while the listener is, which waits for this handler.
    let ctx = unsafe { H::Context::borrow((*id).context) };
    // SAFETY: rdma_cm passes a valid event it made, exclusively ours for the call.
    let mut ev = unsafe { Event::new(&mut *event) };
    if ev.kind() != bindings::rdma_cm_event_type_RDMA_CM_EVENT_CONNECT_REQUEST {
        H::event(ctx, cm_id, &mut ev);
        // A non-zero return would make rdma_cm destroy an id that its owner holds.
        return 0;
    }
    let adopted = Cell::new(false);
    // INVARIANT: The id of a connection request's event is its new id.
    let conn = NewConn {
        id: cm_id,
        adopted: &adopted,
        _h: PhantomData,
    };
    let r = H::connect_request(ctx, conn, &mut ev);
    match (adopted.get(), r) {
        // Adopted: its owner destroys it.
        (true, r) => {
            crate::warn_on!(r.is_err());
            0
        }
        (false, Err(e)) => e.to_errno(),
        (false, Ok(())) => ECONNREFUSED.to_errno(),
    }
}
