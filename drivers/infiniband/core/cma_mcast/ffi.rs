// SPDX-License-Identifier: GPL-2.0

//! The piece's C boundary, and the only place of its `unsafe` code: the entry points that
//! `cma.c` calls when this implementation runs, and what the piece needs of rdma_cm's
//! internals through the glue of `cma.c` (an id's private state, its handler mutex and event
//! handler, the IGMP helper, rdma_cm's queue and SA client).

use super::{
    IdJoins,
    Joins, //
};
use core::{
    ffi::{
        c_int,
        c_void, //
    },
    marker::PhantomData,
    ptr::NonNull, //
};
use kernel::{
    alloc::Flags,
    bindings,
    error::to_result,
    net::device::NetDevice,
    prelude::*,
    rdma::{
        addr::SockAddr,
        cm::CmId,
        piece::{
            self,
            Exclusive,
            ExclusiveClaim, //
        },
        sa::{
            self,
            JoinHandler,
            JoinStates,
            McMemberComps,
            McMemberRec,
            SaClient,
            SaJoin, //
        },
        Gid, RegisteredDevice,
    },
    sync::Arc,
    types::ForeignOwnable,
    workqueue::Queue,
};

/// An rdma_cm id that joins groups, with its private state (`struct rdma_id_private`).
///
/// # Invariants
///
/// The id is alive, and bound to its device: the piece makes a `PrivId` of an id that
/// `rdma_join_multicast()` was called for (bound or resolved, checked first), and keeps it in
/// the join only until the join is left; rdma_cm leaves every join of an id
/// (`cma_leave_mc_groups()`) before it unbinds or frees the id.
pub(crate) struct PrivId(NonNull<bindings::rdma_cm_id>);

// SAFETY: rdma_cm ids are used from any thread; the private state is read and written
// through the glue, under rdma_cm's own rules.
unsafe impl Send for PrivId {}
// SAFETY: See `Send`.
unsafe impl Sync for PrivId {}

impl PrivId {
    /// The view of `ptr` for a join (`rdma_join_multicast()`'s checks): `EINVAL` for a null
    /// id, an id with a kernel QP (rdma_cm does not join for those), an id that is not bound
    /// or resolved (nothing further), or one that is not UD.
    ///
    /// # Safety
    ///
    /// A non-null `ptr` must be a live id of rdma_cm, for which `rdma_join_multicast()` was
    /// called.
    unsafe fn for_join(ptr: *mut bindings::rdma_cm_id) -> Result<Self> {
        let ptr = NonNull::new(ptr).ok_or(EINVAL)?;
        // SAFETY: The caller passes a live id.
        let (cm_id, addr_ready) = unsafe {
            (
                CmId::from_raw(ptr.as_ptr()),
                bindings::rdma_rs_cma_addr_ready(ptr.as_ptr()),
            )
        };
        if kernel::warn_on!(cm_id.has_qp()) {
            return Err(EINVAL);
        }
        if !cm_id.has_device() || !addr_ready {
            return Err(EINVAL);
        }
        if cm_id.qp_type() != bindings::ib_qp_type_IB_QPT_UD {
            return Err(EINVAL);
        }
        // INVARIANT: Bound or resolved, so bound to its device; rdma_cm leaves its joins
        // before it unbinds or frees it, and the piece keeps the view no longer.
        Ok(Self(ptr))
    }

    /// The id, as consumers see it.
    pub(crate) fn cm_id(&self) -> &CmId {
        // SAFETY: The id is alive while `self` is (type invariant).
        unsafe { CmId::from_raw(self.0.as_ptr()) }
    }

    /// The device the id is bound to.
    pub(crate) fn device(&self) -> Option<&RegisteredDevice> {
        // SAFETY: The id stays bound while `self` is kept (type invariant).
        unsafe { self.cm_id().registered_device() }
    }

    /// The default GID type of the id's port is RoCE v2.
    pub(crate) fn roce_v2(&self) -> bool {
        self.gid_type() == bindings::ib_gid_type_IB_GID_TYPE_ROCE_UDP_ENCAP
    }

    fn gid_type(&self) -> u32 {
        // SAFETY: The id is alive and bound (type invariant).
        unsafe { bindings::rdma_rs_cma_gid_type(self.0.as_ptr()) }
    }

    /// The id's Q_Key (0: none yet).
    pub(crate) fn qkey(&self) -> u32 {
        // SAFETY: The id is alive (type invariant).
        unsafe { bindings::rdma_rs_cma_qkey(self.0.as_ptr()) }
    }

    /// Sets the id's Q_Key (after `qkey::set()` allowed it).
    pub(crate) fn store_qkey(&self, qkey: u32) {
        // SAFETY: The id is alive (type invariant).
        unsafe { bindings::rdma_rs_cma_set_qkey(self.0.as_ptr(), qkey) }
    }

    /// The record of group `mgid` as the id's port has joined it (`ib_sa_get_mcmember_rec()`).
    pub(crate) fn mcmember_rec(&self, mgid: &Gid) -> Result<McMemberRec> {
        let dev = self.device().ok_or(ENODEV)?;
        // SAFETY: rdma_cm is an ib_client registered after ib_core's (it is a module that
        // depends on ib_core), and the id, bound to `dev` (type invariant), holds rdma_cm's
        // device, whose removal (`cma_process_remove()`) waits for the id: `dev` is within
        // rdma_cm's `add()`..`remove()` span.
        unsafe { sa::mcmember_rec(dev, self.cm_id().port_num(), mgid) }
    }

    /// Joins group `rec.mgid()` on the id's port through ib_core's SA multicast code, with
    /// rdma_cm's SA client (`ib_sa_join_multicast()`); `handler` gets the answer.
    pub(crate) fn sa_join<H: JoinHandler>(
        &self,
        rec: &McMemberRec,
        comp: McMemberComps,
        handler: Arc<H>,
    ) -> Result<SaJoin<H>> {
        let dev = self.device().ok_or(ENODEV)?;
        // SAFETY: As in `mcmember_rec`, `dev` is within rdma_cm's `add()`..`remove()` span; the
        // piece drops the join when it is left, and rdma_cm leaves every join of an id
        // (`cma_leave_mc_groups()`) before the id lets go of its device.
        unsafe {
            SaJoin::new(
                sa_client(),
                dev,
                self.cm_id().port_num(),
                rec,
                comp,
                GFP_KERNEL,
                handler,
            )
        }
    }

    /// Runs `f` with the id's handler mutex held (`handler_mutex`), if the id is not being
    /// destroyed or its device removed; `None` if it is.
    pub(crate) fn with_handler<R>(&self, f: impl FnOnce(&HandlerLocked<'_>) -> R) -> Option<R> {
        // SAFETY: The id is alive (type invariant).
        let alive = unsafe { bindings::rdma_rs_cma_handler_lock(self.0.as_ptr()) };
        // INVARIANT: Locked above, whatever the state.
        let guard = HandlerLocked(self);
        alive.then(|| f(&guard))
    }
}

/// The handler mutex of an id, held (see [`PrivId::with_handler`]); dropping it unlocks.
///
/// # Invariants
///
/// The guard holds the id's handler mutex.
pub(crate) struct HandlerLocked<'a>(&'a PrivId);

impl HandlerLocked<'_> {
    /// Hands `event` to the id's user (`cma_cm_event_handler()`); returns what the user's
    /// handler returns.
    pub(crate) fn deliver(&self, event: &mut JoinEvent) -> c_int {
        // SAFETY: The id is alive and its handler mutex is held (type invariant); `event` is a
        // valid event for the call.
        unsafe { bindings::rdma_rs_cma_event_handler(self.0 .0.as_ptr(), &mut event.0) }
    }
}

impl Drop for HandlerLocked<'_> {
    fn drop(&mut self) {
        // SAFETY: The guard holds the mutex (type invariant).
        unsafe { bindings::rdma_rs_cma_handler_unlock(self.0 .0.as_ptr()) }
    }
}

/// A multicast event for an id's user (`struct rdma_cm_event`). A join event holds a
/// reference on its source GID (in the address handle attributes), dropped with the event
/// (`rdma_destroy_ah_attr()`).
pub(crate) struct JoinEvent(bindings::rdma_cm_event);

// SAFETY: The GID attribute reference of a join event can be dropped from any thread; the
// context pointer is the user's, handed back as it came.
unsafe impl Send for JoinEvent {}

impl JoinEvent {
    /// `cma_make_mc_event()`: the event of a join of `id` that ended with `status`, with
    /// `rec` the group's record, for the user's `context`. A join whose address handle
    /// cannot be made becomes an error event.
    pub(crate) fn new(status: c_int, id: &PrivId, rec: &McMemberRec, context: usize) -> Self {
        // C starts from `{}` too.
        let mut ev = bindings::rdma_cm_event {
            status,
            ..Default::default()
        };
        // Multicast events use the `ud` member of the union.
        ev.param.ud.private_data = context as *const c_void;
        if status != 0 {
            ev.event = bindings::rdma_cm_event_type_RDMA_CM_EVENT_MULTICAST_ERROR;
            return Self(ev);
        }
        // The id is bound (type invariant of `PrivId`), so it has its device.
        let Some(dev) = id.device() else {
            ev.event = bindings::rdma_cm_event_type_RDMA_CM_EVENT_MULTICAST_ERROR;
            ev.status = ENODEV.to_errno();
            return Self(ev);
        };
        let ndev = id.cm_id().bound_netdev();
        let ndev_raw = ndev.as_ref().map_or(core::ptr::null_mut(), |n| n.as_raw());
        let mut rec = *rec.as_raw();
        ev.event = bindings::rdma_cm_event_type_RDMA_CM_EVENT_MULTICAST_JOIN;
        // SAFETY: `dev` is the registered device of the bound id; `rec` and the `ud` member
        // are valid for the call; `ndev_raw` is null or a net device we hold.
        let r = unsafe {
            bindings::ib_init_ah_from_mcmember(
                dev.as_raw(),
                id.cm_id().port_num(),
                &mut rec,
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

impl Drop for JoinEvent {
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
    to_result(unsafe { bindings::rdma_rs_cma_igmp_send(ndev.as_raw(), &mut raw, join) })
}

/// rdma_cm's ordered work queue (`cma_wq`), where RoCE join events are delivered from.
pub(crate) fn cma_wq() -> &'static Queue {
    // SAFETY: `cma_wq` lives from rdma_cm's init to its exit, and this piece runs in between.
    unsafe { Queue::from_raw(bindings::rdma_rs_cma_wq()) }
}

/// rdma_cm's SA client (`sa_client`), which its joins go through.
fn sa_client() -> &'static SaClient {
    // SAFETY: rdma_cm registers its client before the piece starts and unregisters it after
    // the piece stops, once every id (and so every join) is gone.
    unsafe { SaClient::from_raw(bindings::rdma_rs_cma_sa_client()) }
}

/// Starts the piece (`cma_init()`, or the cma_mcast benchmark while C runs): stores the joins'
/// table in `*state`; `EBUSY` while another table exists.
///
/// # Safety
///
/// `state` is valid for a write.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_cma_mcast_init(state: *mut *mut c_void) -> c_int {
    // SAFETY: `state` is valid for a write; `rdma_rs_cma_mcast_exit()` stops the piece.
    unsafe {
        piece::start(state, || {
            KBox::pin_init(Joins::new(SlotsLocked::claim()?), GFP_KERNEL)
        })
    }
}

/// Stops the piece (`cma_cleanup()`); every id is gone by then.
///
/// # Safety
///
/// `state` is what [`rdma_rs_cma_mcast_init`] stored, not used afterwards.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_cma_mcast_exit(state: *mut c_void) {
    // SAFETY: As required by `piece::stop()`.
    unsafe { piece::stop::<Pin<KBox<Joins>>>(state) };
}

/// Exclusive access to every id's [`JoinsSlot`] while borrowed mutably; the lock of the
/// piece's [`Joins`] is how callers get it.
///
/// # Invariants
///
/// It holds the claim on `SLOTS`, so at most one exists at a time; it is kept in the lock of
/// a [`Joins`] and reached only through it.
pub(crate) struct SlotsLocked {
    _claim: ExclusiveClaim<'static>,
}

/// Every id's [`JoinsSlot`]: one [`SlotsLocked`] at a time stands for them.
static SLOTS: Exclusive = Exclusive::new();

impl SlotsLocked {
    /// The proof for the lock of a new [`Joins`]; `EBUSY` while another one exists (a piece
    /// runs already).
    fn claim() -> Result<Self> {
        // INVARIANT: The claim's holder; `Joins::new()` puts it in its lock.
        Ok(Self {
            _claim: SLOTS.claim()?,
        })
    }
}

/// Where an rdma_cm id keeps its joins for the piece (`rdma_id_private.mcast_rs`, beside C's
/// `mc_list`): null, or an [`IdJoins`] the piece put there with [`KBox::into_foreign`].
///
/// # Invariants
///
/// `slot` is the `mcast_rs` of an id of rdma_cm that lives for `'a`. It is null when the id is
/// made (`kzalloc()`), and only this piece reads or writes it, under [`SlotsLocked`]; the
/// piece empties it when the id is destroyed (`cma_leave_mc_groups()`), unless a join of the
/// id is still in flight then, which rdma_cm's users do not do (`cma.c` warns of it).
pub(crate) struct JoinsSlot<'a> {
    slot: NonNull<*mut c_void>,
    _id: PhantomData<&'a bindings::rdma_cm_id>,
}

impl<'a> JoinsSlot<'a> {
    /// The joins' place of the id `id`.
    ///
    /// # Safety
    ///
    /// `id` must be an id of rdma_cm that lives for `'a`.
    unsafe fn of(id: *mut bindings::rdma_cm_id) -> Self {
        // SAFETY: `id` is a live id of rdma_cm (the caller's guarantee).
        let slot = unsafe { bindings::rdma_rs_cma_mcast_slot(id) };
        // INVARIANT: The glue returns the id's `mcast_rs`, which lives as long as the id; the
        // rest holds by the use this file makes of it.
        Self {
            // SAFETY: The address of a field of a live id is not null.
            slot: unsafe { NonNull::new_unchecked(slot) },
            _id: PhantomData,
        }
    }

    /// The id's joins, made empty first if it has none yet.
    pub(super) fn get_or_insert<'b>(
        &'b self,
        _locked: &'b mut SlotsLocked,
        flags: Flags,
    ) -> Result<&'b mut IdJoins> {
        // SAFETY: The slot is the live id's (`'a` outlives `'b`), only read or written under
        // `SlotsLocked` (type invariant), which the caller holds.
        let mut p = unsafe { *self.slot.as_ptr() };
        if p.is_null() {
            p = KBox::new(IdJoins::default(), flags)?.into_foreign();
            // INVARIANT: An `IdJoins` from `KBox::into_foreign()`, written under `SlotsLocked`.
            // SAFETY: As above; the slot takes the new joins.
            unsafe { *self.slot.as_ptr() = p };
        }
        // SAFETY: A non-null slot holds an `IdJoins` from `KBox::into_foreign()`. Only holders
        // of `SlotsLocked` touch it, and `take()`, which gives it back, needs the proof that
        // is borrowed here for `'b`: the `IdJoins` is this borrow's alone, and lives, for `'b`.
        Ok(unsafe { <KBox<IdJoins> as ForeignOwnable>::borrow_mut(p) })
    }

    /// The id's joins, if it has some.
    pub(super) fn get<'b>(&'b self, _locked: &'b mut SlotsLocked) -> Option<&'b mut IdJoins> {
        // SAFETY: As in `get_or_insert()`.
        let p = unsafe { *self.slot.as_ptr() };
        // SAFETY: As in `get_or_insert()`: a non-null slot holds an `IdJoins`, this borrow's
        // alone for `'b`.
        (!p.is_null()).then(|| unsafe { <KBox<IdJoins> as ForeignOwnable>::borrow_mut(p) })
    }

    /// Takes the id's joins out.
    pub(super) fn take(&self, _locked: &mut SlotsLocked) -> Option<KBox<IdJoins>> {
        // INVARIANT: Null, written under `SlotsLocked`.
        // SAFETY: As in `get_or_insert()`; the slot is emptied.
        let p = unsafe { core::ptr::replace(self.slot.as_ptr(), core::ptr::null_mut()) };
        // SAFETY: A non-null slot held an `IdJoins` from `KBox::into_foreign()`, no longer in
        // the slot and borrowed nowhere (the caller holds the proof mutably): given back once.
        unsafe { <KBox<IdJoins> as ForeignOwnable>::try_from_foreign(p) }
    }
}

/// Borrows the table C keeps.
///
/// # Safety
///
/// `state` is what [`rdma_rs_cma_mcast_init`] stored, and the piece is running.
unsafe fn joins<'a>(state: *mut c_void) -> Pin<&'a Joins> {
    // SAFETY: The caller guarantees a live table.
    unsafe { piece::state::<Pin<KBox<Joins>>>(state) }
}

/// `rdma_join_multicast()`.
///
/// # Safety
///
/// `state` as for [`joins`]; `id` a live id of rdma_cm; `addr` a `struct sockaddr` of at least
/// `rdma_addr_size()` bytes.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_cma_join_multicast(
    state: *mut c_void,
    id: *mut bindings::rdma_cm_id,
    addr: *mut bindings::sockaddr,
    join_state: u8,
    context: *mut c_void,
) -> c_int {
    // SAFETY: The caller passes the live table, a live id and a valid address.
    let r = unsafe { PrivId::for_join(id) }.and_then(|priv_id| unsafe {
        joins(state).join(
            priv_id,
            &JoinsSlot::of(id),
            SockAddr::from_raw(addr),
            JoinStates::from_raw(join_state),
            context as usize,
        )
    });
    match r {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `rdma_leave_multicast()`.
///
/// # Safety
///
/// As for [`rdma_rs_cma_join_multicast`].
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_cma_leave_multicast(
    state: *mut c_void,
    id: *mut bindings::rdma_cm_id,
    addr: *mut bindings::sockaddr,
) {
    // SAFETY: The caller passes the live table, a live id and a valid address.
    unsafe { joins(state).leave(&JoinsSlot::of(id), &SockAddr::from_raw(addr)) };
}

/// `cma_leave_mc_groups()`, when an id is destroyed.
///
/// # Safety
///
/// `state` as for [`joins`]; `id` a live id of rdma_cm.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_cma_leave_mc_groups(
    state: *mut c_void,
    id: *mut bindings::rdma_cm_id,
) {
    // SAFETY: The caller passes the live table and a live id.
    unsafe { joins(state).leave_all(&JoinsSlot::of(id)) };
}
