// SPDX-License-Identifier: GPL-2.0

//! Safe wrappers of what the multicast piece needs from rdma_cm and ib_core: an id's private
//! state through the glue in `cma.c` (the `rdma_rs_cma_*` functions), its public fields, the
//! SA join of ib_core and the event handed to the id's user.

use super::{addr::McAddr, mc::Mc};
use core::{
    ffi::{c_int, c_void},
    ptr::NonNull,
};
use kernel::{
    bindings,
    error::from_err_ptr,
    net::device::NetDevice,
    prelude::*,
    rdma::{
        sa::{CompMask, McMemberRec},
        Device, Gid,
    },
    sync::{aref::ARef, Arc},
    workqueue::Queue,
};

// `struct net_device` has debug-only members that bindgen leaves opaque.
#[allow(improper_ctypes)]
extern "C" {
    fn rdma_rs_cma_addr_ready(id: *mut bindings::rdma_cm_id) -> bool;
    fn rdma_rs_cma_gid_type(id: *mut bindings::rdma_cm_id) -> u32;
    fn rdma_rs_cma_qkey(id: *mut bindings::rdma_cm_id) -> u32;
    fn rdma_rs_cma_set_qkey(id: *mut bindings::rdma_cm_id, qkey: u32);
    fn rdma_rs_cma_handler_lock(id: *mut bindings::rdma_cm_id) -> bool;
    fn rdma_rs_cma_handler_unlock(id: *mut bindings::rdma_cm_id);
    fn rdma_rs_cma_event_handler(
        id: *mut bindings::rdma_cm_id,
        event: *mut bindings::rdma_cm_event,
    ) -> c_int;
    fn rdma_rs_cma_igmp_send(
        ndev: *mut bindings::net_device,
        mgid: *mut bindings::ib_gid,
        join: bool,
    ) -> c_int;
    fn rdma_rs_cma_wq() -> *mut bindings::workqueue_struct;
    fn rdma_rs_cma_sa_client() -> *mut bindings::ib_sa_client;
    fn rdma_rs_cma_bound_ndev(id: *mut bindings::rdma_cm_id) -> *mut bindings::net_device;
}

/// An rdma_cm id (`struct rdma_cm_id`) that joins groups.
///
/// # Invariants
///
/// The id is alive: rdma_cm leaves every join of an id (`cma_leave_mc_groups()`) before it
/// frees the id, and a join keeps its `CmId` only until it is left.
#[derive(Clone, Copy)]
pub(crate) struct CmId(NonNull<bindings::rdma_cm_id>);

// SAFETY: rdma_cm ids are used from any thread; the private state is read and written
// through the glue, under rdma_cm's own rules.
unsafe impl Send for CmId {}
// SAFETY: See `Send`.
unsafe impl Sync for CmId {}

impl CmId {
    /// Wraps the id C passed to an entry point.
    ///
    /// # Safety
    ///
    /// `ptr` is an id of rdma_cm that stays alive as long as the `CmId` (and its copies) is
    /// used: for a join, until it is left.
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::rdma_cm_id) -> Option<Self> {
        NonNull::new(ptr).map(Self)
    }

    fn raw(self) -> *mut bindings::rdma_cm_id {
        self.0.as_ptr()
    }

    /// A key that names the id while it is alive.
    pub(crate) fn key(self) -> usize {
        self.raw() as usize
    }

    /// The device the id is bound to, if any.
    pub(crate) fn device(&self) -> Option<&Device> {
        // SAFETY: The id is alive (type invariant); the field is written when the id binds,
        // before its user can join.
        let dev = unsafe { (*self.raw()).device };
        if dev.is_null() {
            return None;
        }
        // SAFETY: A bound id holds its device until it is destroyed.
        Some(unsafe { Device::from_raw(dev) })
    }

    /// The port the id is bound to.
    pub(crate) fn port(&self) -> u32 {
        // SAFETY: The id is alive (type invariant).
        unsafe { (*self.raw()).port_num }
    }

    /// The port space (`enum rdma_ucm_port_space`).
    pub(crate) fn ps(&self) -> u32 {
        // SAFETY: The id is alive (type invariant); the port space never changes.
        unsafe { (*self.raw()).ps }
    }

    /// Whether the id is a UD one.
    pub(crate) fn is_ud(&self) -> bool {
        // SAFETY: The id is alive (type invariant); the QP type never changes.
        unsafe { (*self.raw()).qp_type == bindings::ib_qp_type_IB_QPT_UD }
    }

    /// Whether a kernel QP is attached (rdma_cm does not join for those).
    pub(crate) fn has_qp(&self) -> bool {
        // SAFETY: The id is alive (type invariant).
        !unsafe { (*self.raw()).qp }.is_null()
    }

    /// Whether the id has an address: bound or resolved, nothing further.
    pub(crate) fn addr_ready(&self) -> bool {
        // SAFETY: The id is alive (type invariant).
        unsafe { rdma_rs_cma_addr_ready(self.raw()) }
    }

    /// The default GID type of the id's port is RoCE v2.
    pub(crate) fn roce_v2(&self) -> bool {
        self.gid_type() == bindings::ib_gid_type_IB_GID_TYPE_ROCE_UDP_ENCAP
    }

    fn gid_type(&self) -> u32 {
        // SAFETY: The id is alive (type invariant) and bound (its caller checked).
        unsafe { rdma_rs_cma_gid_type(self.raw()) }
    }

    /// The id's Q_Key (0: none yet).
    pub(crate) fn qkey(&self) -> u32 {
        // SAFETY: The id is alive (type invariant).
        unsafe { rdma_rs_cma_qkey(self.raw()) }
    }

    /// Sets the id's Q_Key (after `qkey::set()` allowed it).
    pub(crate) fn store_qkey(&self, qkey: u32) {
        // SAFETY: The id is alive (type invariant).
        unsafe { rdma_rs_cma_set_qkey(self.raw(), qkey) }
    }

    fn dev_addr(&self) -> *const bindings::rdma_dev_addr {
        // SAFETY: The id is alive (type invariant); this takes the field's address only.
        unsafe { &raw const (*self.raw()).route.addr.dev_addr }
    }

    /// The hardware broadcast address of the id's net device.
    pub(crate) fn broadcast(&self) -> [u8; bindings::MAX_ADDR_LEN as usize] {
        // SAFETY: `dev_addr()` points into the live id; address resolution fills the field
        // before the id can join.
        unsafe { (*self.dev_addr()).broadcast }
    }

    /// `ib_addr_get_mgid()`: the IPoIB broadcast MGID of the id's net device.
    pub(crate) fn broadcast_mgid(&self) -> Gid {
        let b = self.broadcast();
        let mut g = [0u8; 16];
        g.copy_from_slice(&b[4..20]);
        Gid(g)
    }

    /// `ib_addr_get_pkey()`.
    pub(crate) fn pkey(&self) -> u16 {
        let b = self.broadcast();
        u16::from_be_bytes([b[8], b[9]])
    }

    /// `rdma_addr_get_sgid()`: the source GID of the id's address.
    pub(crate) fn sgid(&self) -> Gid {
        // SAFETY: `dev_addr()` points into the live id; see `broadcast()`.
        let (src, ty) = unsafe { ((*self.dev_addr()).src_dev_addr, (*self.dev_addr()).dev_type) };
        let off = if u32::from(ty) == bindings::ARPHRD_INFINIBAND {
            4
        } else {
            0
        };
        let mut g = [0u8; 16];
        g.copy_from_slice(&src[off..off + 16]);
        Gid(g)
    }

    /// The id's source address.
    pub(crate) fn src_addr(&self) -> McAddr {
        // SAFETY: The id is alive (type invariant); the address is set when it binds.
        let ss = unsafe { (*self.raw()).route.addr.src_addr };
        // SAFETY: `sockaddr_storage` is plain bytes.
        let bytes = unsafe {
            core::slice::from_raw_parts((&raw const ss).cast::<u8>(), core::mem::size_of_val(&ss))
        };
        McAddr::from_bytes(bytes)
    }

    /// The net device the id is bound to (`dev_get_by_index()` of `bound_dev_if`), if any.
    pub(crate) fn bound_ndev(&self) -> Option<ARef<NetDevice>> {
        // SAFETY: The id is alive (type invariant).
        let ndev = NonNull::new(unsafe { rdma_rs_cma_bound_ndev(self.raw()) })?;
        // SAFETY: The glue returns the device with a reference taken (`dev_get_by_index()`),
        // which the `ARef` now owns.
        Some(unsafe { ARef::from_raw(ndev.cast::<NetDevice>()) })
    }

    /// Runs `f` with the id's handler mutex held (`handler_mutex`), if the id is not being
    /// destroyed or its device removed; `None` if it is.
    pub(crate) fn with_handler<R>(&self, f: impl FnOnce(&HandlerLocked<'_>) -> R) -> Option<R> {
        // SAFETY: The id is alive (type invariant).
        let alive = unsafe { rdma_rs_cma_handler_lock(self.raw()) };
        let guard = HandlerLocked(self);
        alive.then(|| f(&guard))
    }
}

/// The handler mutex of an id, held (see [`CmId::with_handler`]); dropping it unlocks.
pub(crate) struct HandlerLocked<'a>(&'a CmId);

impl HandlerLocked<'_> {
    /// Hands `event` to the id's user (`cma_cm_event_handler()`); returns what the user's
    /// handler returns.
    pub(crate) fn deliver(&self, event: &mut McEvent) -> c_int {
        // SAFETY: The id is alive and its handler mutex is held (type invariant of the
        // guard); `event` is a valid event for the call.
        unsafe { rdma_rs_cma_event_handler(self.0.raw(), &mut event.0) }
    }
}

impl Drop for HandlerLocked<'_> {
    fn drop(&mut self) {
        // SAFETY: `with_handler()` locked the mutex, and only it makes a guard.
        unsafe { rdma_rs_cma_handler_unlock(self.0.raw()) }
    }
}

/// A multicast event for an id's user (`struct rdma_cm_event`). A join event holds a
/// reference on its source GID (in the address handle attributes), dropped with the event
/// (`rdma_destroy_ah_attr()`).
pub(crate) struct McEvent(bindings::rdma_cm_event);

// SAFETY: The GID attribute reference of a join event can be dropped from any thread; the
// context pointer is the user's, handed back as it came.
unsafe impl Send for McEvent {}

impl McEvent {
    /// `cma_make_mc_event()`: the event of a join of `id` that ended with `status`, with
    /// `rec` the group's record, for the user's `context`. A join whose address handle
    /// cannot be made becomes an error event.
    pub(crate) fn new(status: c_int, id: &CmId, rec: &McMemberRec, context: usize) -> Self {
        // SAFETY: All-zero is a valid `rdma_cm_event` (C starts from `{}` too).
        let mut ev: bindings::rdma_cm_event = unsafe { core::mem::zeroed() };
        ev.status = status;
        // Multicast events use the `ud` member of the union.
        ev.param.ud.private_data = context as *const c_void;
        if status != 0 {
            ev.event = bindings::rdma_cm_event_type_RDMA_CM_EVENT_MULTICAST_ERROR;
            return Self(ev);
        }
        let ndev = id.bound_ndev();
        let ndev_raw = ndev.as_ref().map_or(core::ptr::null_mut(), |n| n.as_raw());
        let dev = id.device().map_or(core::ptr::null_mut(), |d| d.as_raw());
        let mut rec = *rec;
        ev.event = bindings::rdma_cm_event_type_RDMA_CM_EVENT_MULTICAST_JOIN;
        // SAFETY: `dev` is the bound device of the live id; `rec` and the `ud` member are
        // valid for the call; `ndev_raw` is null or a net device we hold.
        let r = unsafe {
            bindings::ib_init_ah_from_mcmember(
                dev,
                id.port(),
                &mut rec.0,
                ndev_raw,
                id.gid_type(),
                &mut ev.param.ud.ah_attr,
            )
        };
        if r != 0 {
            ev.event = bindings::rdma_cm_event_type_RDMA_CM_EVENT_MULTICAST_ERROR;
        } else {
            ev.param.ud.qp_num = 0xff_ffff;
            ev.param.ud.qkey = id.qkey();
        }
        Self(ev)
    }
}

impl Drop for McEvent {
    fn drop(&mut self) {
        // `rdma_destroy_ah_attr()` is a no-op on attributes without a GID reference, so it
        // is called for every event, as `cma_ib_mc_handler()` does.
        // SAFETY: The `ud` member of a multicast event holds zero or initialised attributes.
        unsafe { bindings::rdma_destroy_ah_attr(&mut self.0.param.ud.ah_attr) }
    }
}

/// Sends an IGMP join (or leave) of the IPv4 group in `mgid`'s last four bytes on `ndev`
/// (`cma_igmp_send()`).
pub(crate) fn igmp(ndev: &NetDevice, mgid: Gid, join: bool) -> Result {
    let mut raw = mgid.to_raw();
    // SAFETY: We hold `ndev`; `raw` is valid for the call.
    kernel::error::to_result(unsafe { rdma_rs_cma_igmp_send(ndev.as_raw(), &mut raw, join) })
}

/// rdma_cm's ordered work queue (`cma_wq`), where RoCE join events are delivered from.
pub(crate) fn cma_wq() -> &'static Queue {
    // SAFETY: `cma_wq` lives from rdma_cm's init to its exit, and this piece runs in between.
    unsafe { Queue::from_raw(rdma_rs_cma_wq()) }
}

/// The SA multicast of an InfiniBand join (`struct ib_sa_multicast *`, from ib_core).
///
/// # Invariants
///
/// A multicast returned by `ib_sa_join_multicast()`, not freed yet; freeing it (on drop)
/// waits until its callback is no longer running.
pub(crate) struct SaJoin(NonNull<bindings::ib_sa_multicast>);

// SAFETY: ib_core's multicasts are freed from any thread.
unsafe impl Send for SaJoin {}
// SAFETY: `&SaJoin` gives no access.
unsafe impl Sync for SaJoin {}

/// Joins group `rec.mgid` on the id's port through ib_core's SA multicast code, with rdma_cm's
/// SA client; `mc` receives the result in [`Mc::ib_joined`] until the join is dropped.
pub(crate) fn sa_join(
    dev: &Device,
    port: u32,
    rec: &McMemberRec,
    comp: CompMask,
    mc: &Arc<Mc>,
) -> Result<SaJoin> {
    let mut rec = *rec;
    let ctx = Arc::as_ptr(mc).cast_mut().cast::<c_void>();
    // SAFETY: `dev` is a registered device and `rec` valid for the call; the callback gets
    // `ctx`, an `Mc` that outlives the returned join (it owns it, and dropping the join waits
    // for the callback).
    let p = from_err_ptr(unsafe {
        bindings::ib_sa_join_multicast(
            rdma_rs_cma_sa_client(),
            dev.as_raw(),
            port,
            &mut rec.0,
            comp.raw(),
            bindings::GFP_KERNEL,
            Some(sa_join_done),
            ctx,
        )
    })?;
    // INVARIANT: `ib_sa_join_multicast()` succeeded.
    NonNull::new(p).map(SaJoin).ok_or(ENOMEM)
}

/// `cma_ib_mc_handler()`: the SA multicast code's callback of a join of [`sa_join`].
///
/// # Safety
///
/// `multicast` is a live multicast of [`sa_join`], whose context is its `Mc`.
unsafe extern "C" fn sa_join_done(
    status: c_int,
    multicast: *mut bindings::ib_sa_multicast,
) -> c_int {
    // SAFETY: The caller passes a live multicast.
    let (ctx, rec) = unsafe { ((*multicast).context, (*multicast).rec) };
    // SAFETY: The context is the `Mc` that owns the join, alive while it is (see `sa_join`).
    let mc = unsafe { &*ctx.cast::<Mc>() };
    mc.ib_joined(status, &McMemberRec(rec));
    0
}

impl Drop for SaJoin {
    fn drop(&mut self) {
        // SAFETY: The multicast is live and ours (type invariant); this gives it back.
        unsafe { bindings::ib_sa_free_multicast(self.0.as_ptr()) }
    }
}

/// The address a C caller passed, as many bytes as its family has.
///
/// # Safety
///
/// `addr` points to a `struct sockaddr` of at least `rdma_addr_size()` bytes.
pub(crate) unsafe fn addr_from_raw(addr: *const bindings::sockaddr) -> McAddr {
    let p = addr.cast::<u8>();
    // SAFETY: Every `struct sockaddr` starts with its two-byte family.
    let family = McAddr::family_of(unsafe { [*p, *p.add(1)] });
    let len = McAddr::size_of_family(family);
    // SAFETY: The caller guarantees `len` readable bytes.
    McAddr::from_bytes(unsafe { core::slice::from_raw_parts(p, len) })
}
