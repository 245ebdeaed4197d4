// SPDX-License-Identifier: GPL-2.0

//! The piece's C boundary, and the only place of its `unsafe` code:
//!
//! - the four exported functions, and the start and stop, that `multicast.c` calls when this
//!   implementation runs;
//! - the `struct ib_sa_multicast` the users hold: handing it out, calling its callback, taking
//!   it back;
//! - `multicast_glue.c`, for ib_core's private MCMemberRecord query and SA client counts
//!   (`sa.h`) and the address handle inlines;
//! - [`NativeJoin`], a join made from Rust through the path of the C users, for KUnit, and
//!   [`BenchJoin`], the benchmark's join, as C's.

use super::{
    group::{
        Group,
        GroupInner, //
    },
    member::{
        CallbackHold,
        Joined,
        Member,
        Phase,
        UserRef, //
    },
    port::Port,
    MCAST_CLIENT, //
};
use core::{
    ffi::{
        c_int,
        c_void, //
    },
    ptr::NonNull, //
};
use kernel::{
    bindings, debugfs,
    error::to_result,
    prelude::*,
    rdma::{
        piece::{
            self,
            Exclusive,
            ExclusiveClaim, //
        },
        sa::{
            McMemberComps,
            McMemberRec,
            McastCallback,
            SaMethod,
            SaMulticast, //
        },
        Device,
        Gid,
        GidType,
        RegisteredDevice, //
    },
    sync::{
        atomic::{
            Acquire,
            Release, //
        },
        Arc,
    },
};

kernel::sync::global_lock! {
    // SAFETY: Initialised by `rdma_rs_sa_mcast_init()`, once, before the piece starts.
    /// The piece's debugfs folder, `ib_sa_mcast`, while the piece runs.
    pub(super) unsafe(uninit) static DEBUGFS_ROOT: Mutex<Option<debugfs::Dir>> = None;
}

/// Sends an MCMemberRecord query for `group` on `port` of `dev`, with the piece's SA client; it
/// completes through [`rdma_rs_mcast_sa_done`].
pub(super) fn sa_query(
    dev: &RegisteredDevice,
    port: u32,
    method: SaMethod,
    rec: &McMemberRec,
    comp: McMemberComps,
    group: Arc<Group>,
) -> Result {
    dev.check_port(port)?;
    let mut raw = *rec.as_raw();
    let ctx = Arc::into_raw(group).cast_mut().cast::<c_void>();
    // SAFETY: `dev` is registered and `port` one of its ports; `raw` is valid for the call (the
    // query copies it); `ctx` is an `Arc<Group>` that the completion takes back.
    let ret = unsafe {
        bindings::rdma_rs_mcast_sa_query(
            dev.as_raw(),
            port,
            method as u8,
            &mut raw,
            comp.to_be(),
            ctx,
        )
    };
    if ret < 0 {
        // SAFETY: The query was not sent, so the completion will not take the reference back.
        drop(unsafe { Arc::<Group>::from_raw(ctx.cast::<Group>()) });
    }
    to_result(ret)
}

/// Completion of a query of [`sa_query`], called by the glue once per query.
///
/// # Safety
///
/// `ctx` is the context of a query sent by [`sa_query`], not completed before; `rec` is null
/// or valid for the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_mcast_sa_done(
    ctx: *mut c_void,
    method: u8,
    status: c_int,
    rec: *const bindings::ib_sa_mcmember_rec,
) {
    // SAFETY: `ctx` came from `Arc::into_raw()` in `sa_query()` and is taken back once; the
    // caller guarantees that a non-null `rec` is valid.
    let (group, rec) = unsafe { (Arc::<Group>::from_raw(ctx.cast::<Group>()), rec.as_ref()) };
    let rec = rec.map(|r| McMemberRec::from_raw(*r));
    let method = SaMethod::from_raw(method).unwrap_or(SaMethod::Delete);
    Group::sa_done(group, method, status, rec.as_ref());
}

/// The piece's SA client (the glue's static `ib_sa_client`), registered while this lives:
/// dropping it waits for the client's last query.
///
/// # Invariants
///
/// It holds the claim on `SA_CLIENT`, and it has registered the glue's client.
pub(super) struct PieceSaClient {
    _claim: ExclusiveClaim<'static>,
}

/// The glue's client: one [`PieceSaClient`] at a time registers it.
static SA_CLIENT: Exclusive = Exclusive::new();

impl PieceSaClient {
    /// Registers the glue's client; `EBUSY` while another `PieceSaClient` has it.
    pub(super) fn register() -> Result<Self> {
        let claim = SA_CLIENT.claim()?;
        // SAFETY: No other `PieceSaClient` exists (we hold the claim they hold), so the glue's
        // static client is not registered; `drop()` unregisters it, before the claim goes.
        unsafe { bindings::rdma_rs_mcast_sa_client_register() };
        // INVARIANT: The claim's holder, registered.
        Ok(Self { _claim: claim })
    }
}

impl Drop for PieceSaClient {
    fn drop(&mut self) {
        // SAFETY: Registered by `register()` (type invariant); unregistering waits for its last
        // query. The claim is let go after this, with the field.
        unsafe { bindings::rdma_rs_mcast_sa_client_unregister() };
    }
}

/// A reference of a user's `struct ib_sa_client` (`ib_sa_client_get()`/`_put()`): the
/// client cannot unregister while a member of it exists.
///
/// # Invariants
///
/// `0` is a registered SA client on which this object holds one user reference.
pub(crate) struct SaClientRef(NonNull<bindings::ib_sa_client>);

// SAFETY: The user count is atomic; the pointer is only passed to C.
unsafe impl Send for SaClientRef {}
// SAFETY: No `&self` method.
unsafe impl Sync for SaClientRef {}

impl SaClientRef {
    /// Takes a user reference of `client`, if there is one.
    ///
    /// # Safety
    ///
    /// A non-null `client` must be a registered SA client (its owner unregisters it only after
    /// all its users are gone, which this reference delays).
    unsafe fn get(client: *mut bindings::ib_sa_client) -> Option<Self> {
        let client = NonNull::new(client)?;
        // SAFETY: The caller guarantees that `client` is registered.
        unsafe { bindings::rdma_rs_mcast_client_get(client.as_ptr()) };
        // INVARIANT: One reference taken above.
        Some(Self(client))
    }
}

impl Drop for SaClientRef {
    fn drop(&mut self) {
        // SAFETY: By the type invariant this object holds one reference.
        unsafe { bindings::rdma_rs_mcast_client_put(self.0.as_ptr()) };
    }
}

/// Joins `rec.mgid()` on `port` for a user (`ib_sa_join_multicast()` on a port): the member
/// joins its group's queue, and the user gets its `struct ib_sa_multicast`.
///
/// # Safety
///
/// `callback`, if set, must be callable with the returned multicast until it is freed.
unsafe fn join(
    port: &Arc<Port>,
    client: Option<SaClientRef>,
    rec: &McMemberRec,
    comp: McMemberComps,
    flags: kernel::alloc::Flags,
    callback: Option<McastCallback>,
    context: *mut c_void,
) -> Result<*mut bindings::ib_sa_multicast> {
    // SAFETY: The caller guarantees the callback for the life of the member.
    let mc = unsafe { SaMulticast::new(rec, comp, callback, context) };
    let group = port.acquire_group(rec.mgid(), flags)?;
    let m = match Member::new(group.clone(), mc, rec.join_state(), client, flags) {
        Ok(m) => m,
        Err(e) => {
            group.release();
            return Err(e);
        }
    };
    // The callback may run, and even free the member, before this returns: take the pointer
    // to return, with the user's reference, first. `m` is the queues' reference.
    let mc = m.mc.as_raw();
    let _ = Arc::into_raw(m.clone_arc());
    // SAFETY: The user's reference was taken just above; the user gives it back through
    // `from_user()`, which makes it a `UserRef`.
    unsafe { group.queue_join(m) };
    Ok(mc)
}

/// Takes back the user's reference of the member whose `mc` is `ptr`.
///
/// # Safety
///
/// `ptr` must come from [`join`] and the user must give up its reference.
unsafe fn from_user(ptr: *mut bindings::ib_sa_multicast) -> UserRef {
    // SAFETY: `ptr` is the `mc` field of a `Member` (the caller's guarantee; `SaMulticast` is a
    // transparent wrapper of `ib_sa_multicast`), whose `Arc` the user holds from
    // `Arc::into_raw()` in `join()` and gives up now.
    let m = unsafe { Arc::from_raw(kernel::container_of!(ptr.cast::<SaMulticast>(), Member, mc)) };
    // SAFETY: The user's reference, given up once (the caller's guarantee).
    unsafe { UserRef::new(m) }
}

/// The record `m` requested, while it is joining (`Phase::Joining` under its group's lock `g`).
pub(super) fn requested_rec(m: &Member, g: &GroupInner) -> Option<McMemberRec> {
    if m.phase(g) != Phase::Joining {
        return None;
    }
    // SAFETY: The member is joining, under its group's lock: its record is written only with a
    // `Joined`, made when it leaves that phase under the lock, never to return (type invariant
    // of `Member`); users only read it.
    Some(unsafe { m.mc.rec() })
}

/// [`Member::callback`]: no callback runs.
pub(super) const CALLBACK_IDLE: i32 = 0;
/// A callback runs.
const CALLBACK_RUNNING: i32 = 1;
/// A callback gave the member back: none runs again.
const CALLBACK_GIVEN_BACK: i32 = 2;

/// Calls the user of `hold`'s member back with `status`, and drops `hold`; frees the member if
/// the user gives it back (see [`Member::call_back`]). Callbacks of a member never overlap, and
/// none follows a give-back.
pub(super) fn call_user(hold: CallbackHold, status: Result) {
    // SAFETY: No record to publish.
    unsafe { call(hold, status, None) }
}

/// [`call_user`] for a join that succeeded, after publishing its record.
pub(super) fn call_user_joined(joined: Joined) {
    let (hold, rec) = joined.into_parts();
    // SAFETY: `rec` is the record of `hold`'s member's `Joined`: made when the member left
    // `Phase::Joining` under its group's lock, never to return (type invariant of `Joined`).
    unsafe { call(hold, Ok(()), Some(&rec)) }
}

/// Calls the user of `hold`'s member back with `status`, after publishing `rec` (if any) as the
/// record it reads there, and drops `hold`; frees the member if the user gives it back.
///
/// # Safety
///
/// A `rec` must come from a [`Joined`] of `hold`'s member: the member left `Phase::Joining`
/// under its group's lock, never to return, so that [`requested_rec`] reads the record no more.
unsafe fn call(hold: CallbackHold, status: Result, rec: Option<&McMemberRec>) {
    let m = hold.member();
    if m.callback
        .cmpxchg(CALLBACK_IDLE, CALLBACK_RUNNING, Acquire)
        .is_err()
    {
        // The group's machine calls a member back from one context at a time, and never after
        // a give-back: a bug, and the callback is dropped rather than run twice.
        kernel::warn_on!(true);
        return;
    }
    if let Some(rec) = rec {
        // SAFETY: No callback of the member runs (`callback` is ours), and the user reads the
        // record only in its callbacks or after them. The member is no longer joining, for good
        // (the caller's guarantee): `requested_rec()` reads the record no more.
        unsafe { m.mc.set_rec(rec) };
    }
    let status = match status {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    };
    // SAFETY: `hold` was taken while the member was on its group's queues, before its user
    // could free it (type invariant of `CallbackHold`), and freeing waits for `hold`: the user
    // owns the member during the call. No other callback of it runs (`callback` is ours).
    let gave_back = unsafe { m.mc.call(status) } != 0;
    if !gave_back {
        m.callback.store(CALLBACK_IDLE, Release);
        return;
    }
    m.callback.store(CALLBACK_GIVEN_BACK, Release);
    // SAFETY: The callback returned non-zero: by the API contract its user gave up the
    // reference `join()` handed out, and will not use the pointer again.
    let user = unsafe { from_user(m.mc.as_raw()) };
    // Freeing waits for the callbacks held: this one's first.
    drop(hold);
    Member::free(user);
}

/// The port `port` of `device` with the piece's groups.
///
/// # Safety
///
/// `device` must be a registered device that the caller uses, during `'a`, within the
/// `add()`..`remove()` span of an `ib_client` of its own registered after ib_core's, as the
/// callers of the exported functions are (rdma_cm, IPoIB).
unsafe fn device_port<'a>(device: *mut bindings::ib_device, port: u32) -> Result<&'a Arc<Port>> {
    // SAFETY: The caller passes a registered device and is a client of it registered after
    // this one, during `'a`: ib_core removes clients in the reverse order of their
    // registration, so this one's data outlives the caller's use of it.
    let data = unsafe { MCAST_CLIENT.client_data(Device::from_raw(device)) }.ok_or(ENODEV)?;
    data.get_ref().ports.get(port).ok_or(ENODEV)
}

/// The allocation flags of a C caller's `gfp_mask`: `GFP_KERNEL` for a caller that allows
/// what `GFP_KERNEL` does (direct reclaim, I/O and filesystem callbacks: rdma_cm), else
/// `GFP_ATOMIC` (IPoIB under its lock, and `GFP_NOIO` or `GFP_NOFS` callers, whose reclaim
/// must not recurse into I/O).
fn alloc_flags(gfp: bindings::gfp_t) -> kernel::alloc::Flags {
    // Direct reclaim, I/O and filesystem: the bits of `GFP_KERNEL` that `GFP_NOWAIT` lacks.
    let sleeping = bindings::GFP_KERNEL & !bindings::GFP_NOWAIT;
    if gfp & sleeping == sleeping {
        GFP_KERNEL
    } else {
        GFP_ATOMIC
    }
}

/// `ib_sa_join_multicast()`.
///
/// # Safety
///
/// As for `ib_sa_join_multicast()`: valid `client` (or null), `device` and `rec`; `callback`
/// callable until the multicast is freed; the caller is a client of `device` registered after
/// ib_core's, within its `add()`..`remove()` span.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_sa_join_multicast(
    client: *mut bindings::ib_sa_client,
    device: *mut bindings::ib_device,
    port_num: u32,
    rec: *mut bindings::ib_sa_mcmember_rec,
    comp_mask: u64,
    gfp_mask: bindings::gfp_t,
    callback: Option<McastCallback>,
    context: *mut c_void,
) -> *mut bindings::ib_sa_multicast {
    // SAFETY: The caller passes a registered device and is one of its clients, registered
    // after ib_core's (the exported function's contract); the port is used during this call
    // only.
    let r = unsafe { device_port(device, port_num) }.and_then(|port| {
        // SAFETY: The caller passes a valid record, a registered client or none, and a callback
        // callable until the multicast is freed.
        unsafe {
            join(
                port,
                SaClientRef::get(client),
                &McMemberRec::from_raw(*rec),
                McMemberComps::from_be(comp_mask),
                alloc_flags(gfp_mask),
                callback,
                context,
            )
        }
    });
    match r {
        Ok(p) => p,
        Err(e) => e.to_ptr(),
    }
}

/// `ib_sa_free_multicast()`.
///
/// # Safety
///
/// `multicast` must come from [`rdma_rs_sa_join_multicast`] and not be freed yet.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_sa_free_multicast(
    multicast: *mut bindings::ib_sa_multicast,
) {
    // SAFETY: The caller gives its reference back.
    Member::free(unsafe { from_user(multicast) });
}

/// `ib_sa_get_mcmember_rec()`.
///
/// # Safety
///
/// Valid `device`, `mgid` and `rec` (for writes); the caller is a client of `device` as for
/// [`rdma_rs_sa_join_multicast`].
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_sa_get_mcmember_rec(
    device: *mut bindings::ib_device,
    port_num: u32,
    mgid: *mut bindings::ib_gid,
    rec: *mut bindings::ib_sa_mcmember_rec,
) -> c_int {
    // SAFETY: As in `rdma_rs_sa_join_multicast()`: the port is used during this call only.
    let r = unsafe { device_port(device, port_num) }.and_then(|port| {
        // SAFETY: The caller passes a valid MGID.
        port.find_rec(Gid::from_raw(unsafe { &*mgid }))
    });
    match r {
        Ok(found) => {
            // SAFETY: The caller passes a record valid for writes.
            unsafe { *rec = *found.as_raw() };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// `ib_init_ah_from_mcmember()`.
///
/// # Safety
///
/// Valid `device` (registered), `rec` and `ah_attr` (for writes); `ndev` null or a net device
/// the caller holds.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_init_ah_from_mcmember(
    device: *mut bindings::ib_device,
    port_num: u32,
    rec: *mut bindings::ib_sa_mcmember_rec,
    ndev: *mut bindings::net_device,
    gid_type: bindings::ib_gid_type,
    ah_attr: *mut bindings::rdma_ah_attr,
) -> c_int {
    // SAFETY: The caller passes a registered device, a valid record, and null or a net device
    // it holds, for the call.
    let (dev, rec, ndev) = unsafe {
        (
            RegisteredDevice::from_raw(device),
            McMemberRec::from_raw(*rec),
            kernel::net::device::NetDevice::from_raw_opt(ndev),
        )
    };
    let r = (|| -> Result {
        let caps = dev.port_caps(port_num)?;
        // The GID table of an IB port is not per net device.
        let ndev = if caps.is_ib() {
            None
        } else if caps.is_roce() {
            ndev
        } else {
            return Err(EINVAL);
        };
        let gid_type = GidType::from_raw(gid_type)?;
        let sgid_attr = dev.find_gid_by_port(&rec.port_gid(), gid_type, port_num, ndev)?;
        // SAFETY: The caller passes `ah_attr` valid for writes; the GID attribute reference
        // moves into it, and the caller releases it with `rdma_destroy_ah_attr()`.
        unsafe {
            bindings::rdma_rs_mcast_ah_init(
                ah_attr,
                dev.as_raw(),
                port_num,
                rec.as_raw(),
                sgid_attr.into_raw(),
            )
        };
        Ok(())
    })();
    match r {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Starts the piece (`mcast_init()`): its SA client and its ib_client.
///
/// # Safety
///
/// `state` is valid for a write. Called once by `mcast_init()`, paired with
/// [`rdma_rs_sa_mcast_cleanup`].
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_sa_mcast_init(state: *mut *mut c_void) -> c_int {
    // SAFETY: The piece starts once per load of ib_core, before anything uses the lock; `state`
    // is valid for a write, and `rdma_rs_sa_mcast_cleanup()` stops the piece.
    unsafe {
        DEBUGFS_ROOT.init();
        piece::start(state, super::Running::start)
    }
}

/// Stops the piece (`mcast_cleanup()`).
///
/// # Safety
///
/// `state` is what [`rdma_rs_sa_mcast_init`] stored, not used afterwards.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_sa_mcast_cleanup(state: *mut c_void) {
    // SAFETY: As required by `piece::stop()`.
    unsafe { piece::stop::<KBox<super::Running>>(state) };
}

/// What a [`NativeJoin`] does with its callbacks.
#[cfg(CONFIG_KUNIT = "y")]
pub(super) trait JoinObserver: Send + Sync + 'static {
    /// A callback of the join `id` (its [`NativeJoin::id`]) with `status` and the record the
    /// member published; returns whether to give the member back to the implementation.
    fn called(&self, id: usize, status: c_int, rec: &McMemberRec) -> bool;
}

/// Whether a [`NativeJoin`]'s member is still the user's.
#[cfg(CONFIG_KUNIT = "y")]
const NATIVE_LIVE: i32 = 0;
/// A callback gave the member back.
#[cfg(CONFIG_KUNIT = "y")]
const NATIVE_GIVEN_BACK: i32 = 1;
/// The user is freeing it.
#[cfg(CONFIG_KUNIT = "y")]
const NATIVE_FREEING: i32 = 2;

/// The context of a [`NativeJoin`]'s callback.
#[cfg(CONFIG_KUNIT = "y")]
struct NativeCtx<O: JoinObserver> {
    observer: Arc<O>,
    owner: kernel::sync::atomic::Atomic<i32>,
}

/// A join made from Rust through the same path as the C users' (`ib_sa_join_multicast()` and
/// `ib_sa_free_multicast()`), whose callbacks go to an observer: for KUnit.
///
/// # Invariants
///
/// `mc` came from [`join`] with [`native_callback::<O>`] and `ctx` as its context; the user's
/// reference is given back by [`NativeJoin::free`], or by a callback that won `ctx.owner`.
#[cfg(CONFIG_KUNIT = "y")]
pub(super) struct NativeJoin<O: JoinObserver> {
    mc: NonNull<bindings::ib_sa_multicast>,
    ctx: Arc<NativeCtx<O>>,
}

#[cfg(CONFIG_KUNIT = "y")]
impl<O: JoinObserver> NativeJoin<O> {
    /// Joins `rec.mgid()` on `port` with the components `comp` of `rec`.
    pub(super) fn new(
        port: &Arc<Port>,
        rec: &McMemberRec,
        comp: McMemberComps,
        observer: Arc<O>,
    ) -> Result<Self> {
        let ctx = Arc::new(
            NativeCtx {
                observer,
                owner: kernel::sync::atomic::Atomic::new(NATIVE_LIVE),
            },
            GFP_KERNEL,
        )?;
        let context = Arc::as_ptr(&ctx).cast_mut().cast::<c_void>();
        // SAFETY: `native_callback::<O>` may be called with the multicast while it lives: its
        // context, `ctx`, is kept by the returned join, which lives at least until the member
        // is freed (`free()` waits for callbacks) or given back by a callback.
        let mc = unsafe {
            join(
                port,
                None,
                rec,
                comp,
                GFP_KERNEL,
                Some(native_callback::<O>),
                context,
            )
        }?;
        // INVARIANT: As required.
        Ok(Self {
            mc: NonNull::new(mc).ok_or(EINVAL)?,
            ctx,
        })
    }

    /// The join's name in its observer's calls.
    pub(super) fn id(&self) -> usize {
        self.mc.as_ptr() as usize
    }

    /// Frees the member (`ib_sa_free_multicast()`), unless a callback gave it back already:
    /// the same as dropping the join.
    pub(super) fn free(self) {}
}

#[cfg(CONFIG_KUNIT = "y")]
impl<O: JoinObserver> Drop for NativeJoin<O> {
    fn drop(&mut self) {
        use kernel::sync::atomic::Relaxed;
        if self
            .ctx
            .owner
            .cmpxchg(NATIVE_LIVE, NATIVE_FREEING, Relaxed)
            .is_ok()
        {
            // SAFETY: The member is still the user's (the callbacks did not win `owner`, and
            // none can now), and this gives the reference back once.
            Member::free(unsafe { from_user(self.mc.as_ptr()) });
        }
    }
}

/// The callback of [`NativeJoin`]s.
///
/// # Safety
///
/// `mc` is a live multicast of [`NativeJoin::new`], whose context is its `NativeCtx<O>`.
#[cfg(CONFIG_KUNIT = "y")]
unsafe extern "C" fn native_callback<O: JoinObserver>(
    status: c_int,
    mc: *mut bindings::ib_sa_multicast,
) -> c_int {
    use kernel::sync::atomic::Relaxed;
    // SAFETY: The implementation calls back with the live multicast it handed out, whose record
    // it published before the call; its context is the `NativeCtx<O>` of the join, alive while
    // the join is (see `NativeJoin::new()`).
    let (ctx, rec) = unsafe {
        (
            &*(*mc).context.cast::<NativeCtx<O>>(),
            McMemberRec::from_raw((*mc).rec),
        )
    };
    let give_back = ctx.observer.called(mc as usize, status, &rec)
        && ctx
            .owner
            .cmpxchg(NATIVE_LIVE, NATIVE_GIVEN_BACK, Relaxed)
            .is_ok();
    c_int::from(give_back)
}

/// A join of the benchmark, as C's (`mcast_bench_c()`): no context, and a callback that keeps
/// the member.
///
/// # Invariants
///
/// `0` came from [`join`] with [`bench_callback`], which never gives the member back: the
/// user's reference is this object's, given back when it is dropped.
#[cfg(CONFIG_RDMA_RS_BENCH)]
pub(super) struct BenchJoin(NonNull<bindings::ib_sa_multicast>);

#[cfg(CONFIG_RDMA_RS_BENCH)]
impl BenchJoin {
    /// Joins `rec.mgid()` on `port` with the components `comp` of `rec`.
    pub(super) fn new(port: &Arc<Port>, rec: &McMemberRec, comp: McMemberComps) -> Result<Self> {
        // SAFETY: `bench_callback` can be called with any multicast at any time.
        let mc = unsafe {
            join(
                port,
                None,
                rec,
                comp,
                GFP_KERNEL,
                Some(bench_callback),
                core::ptr::null_mut(),
            )
        }?;
        // INVARIANT: As required.
        Ok(Self(NonNull::new(mc).ok_or(EINVAL)?))
    }
}

#[cfg(CONFIG_RDMA_RS_BENCH)]
impl Drop for BenchJoin {
    fn drop(&mut self) {
        // SAFETY: The user's reference is this object's (type invariant), given back once.
        Member::free(unsafe { from_user(self.0.as_ptr()) });
    }
}

/// The callback of [`BenchJoin`]s (`mcast_bench_cb()`): keeps the member.
///
/// # Safety
///
/// None: it reads nothing (`unsafe` only to be a [`McastCallback`]).
#[cfg(CONFIG_RDMA_RS_BENCH)]
unsafe extern "C" fn bench_callback(_status: c_int, _mc: *mut bindings::ib_sa_multicast) -> c_int {
    0
}
