// SPDX-License-Identifier: GPL-2.0

//! The live host over main.c's glue, and the `rdma_rs_mlx5_mp_*` functions main.c calls when
//! `mlx5_ib.mp_impl=rust`: the piece's only `unsafe` code.
//!
//! C holds the engine, each slave (as its auxiliary device's driver data) and each master (as
//! `mlx5_ib_dev::mp_rs`) by a reference from [`Arc::into_raw`], given back at module exit,
//! removal and cleanup.

use super::{
    engine::Engine,
    host::{
        Affiliation,
        Host, //
    },
    master::Master,
    slave::Slave,
};
use core::ptr::{
    self,
    NonNull, //
};
use kernel::{
    bindings,
    error::to_result,
    ffi::{
        c_int,
        c_ulong,
        c_void, //
    },
    prelude::*,
    sync::{
        atomic::{
            Atomic,
            Release, //
        },
        Arc,
        ArcBorrow, //
    },
    workqueue::Queue,
};

/// The mlx5 of the running system, through main.c's glue.
pub(crate) struct LiveHost;

/// A core device (`struct mlx5_core_dev`).
///
/// # Invariants
///
/// The device is alive while the engine can reach this: a slave's from its probe to the end of
/// its removal, a master's from its init to the end of its cleanup, which C calls before it
/// frees the device. The engine drops a slave (and its handles) by the end of its removal, and
/// the event works that hold it have run by then (the removal flushes them); a master's by the
/// end of its cleanup likewise. Handles are only made here, from C's devices.
#[derive(Clone, Copy)]
pub(crate) struct LiveCore(NonNull<bindings::mlx5_core_dev>);

// SAFETY: A core device may be used from any thread; the handle is a pointer.
unsafe impl Send for LiveCore {}
// SAFETY: As for `Send`: C's calls on a core device are thread-safe.
unsafe impl Sync for LiveCore {}

/// A master's RDMA device (`struct mlx5_ib_dev`).
///
/// # Invariants
///
/// The device is alive from its multiport init to the end of its cleanup, by which the engine
/// has dropped the master and the event works that reached it have run (the cleanup flushes
/// them).
pub(crate) struct LiveIb(NonNull<bindings::mlx5_ib_dev>);

// SAFETY: As for `LiveCore`.
unsafe impl Send for LiveIb {}
// SAFETY: As for `LiveCore`.
unsafe impl Sync for LiveIb {}

/// A slave's event, as its notifier got it (`struct mlx5_ib_event_work`'s `event` and `param`).
pub(crate) struct LiveEvent {
    event: c_ulong,
    /// The event's data (an EQE), handed to the event work as C hands it.
    param: *mut c_void,
}

// SAFETY: C hands `param` to its event work on another thread in the same way.
unsafe impl Send for LiveEvent {}
// SAFETY: `param` is only passed back to C, never read here.
unsafe impl Sync for LiveEvent {}

/// A slave's registered event notifier.
///
/// # Invariants
///
/// `listener` is from `mlx5_ib_rs_mp_listen()` and registered, with a pointer to `_slave`,
/// which it hands to the engine with each event: the slave lives while it is registered (the
/// fields drop after [`Drop::drop`] unregisters).
pub(crate) struct LiveListener {
    listener: NonNull<bindings::mlx5_mp_rs_listener>,
    _slave: Arc<Slave<LiveHost>>,
}

// SAFETY: Unregistering may happen on any thread; the slave is `Send`.
unsafe impl Send for LiveListener {}
// SAFETY: A `&LiveListener` gives access to nothing.
unsafe impl Sync for LiveListener {}

impl Drop for LiveListener {
    fn drop(&mut self) {
        // SAFETY: Registered (type invariant); after this no notifier call runs or will run,
        // so the slave may go.
        unsafe { bindings::mlx5_ib_rs_mp_unlisten(self.listener.as_ptr()) };
    }
}

impl LiveCore {
    fn raw(&self) -> *mut bindings::mlx5_core_dev {
        self.0.as_ptr()
    }
}

impl LiveIb {
    fn raw(&self) -> *mut bindings::mlx5_ib_dev {
        self.0.as_ptr()
    }
}

/// The calls below pass devices that are alive (the invariants of [`LiveCore`] and
/// [`LiveIb`]) to the glue, which makes the call C makes at the same step.
impl Host for LiveHost {
    type Core = LiveCore;
    type Ib = LiveIb;
    type Event = LiveEvent;
    type Listener = LiveListener;

    fn system_image_guid(&self, core: &LiveCore) -> Result<u64> {
        let mut guid = 0u64;
        // SAFETY: `core` is alive; `guid` is valid for writes.
        to_result(unsafe { bindings::mlx5_ib_rs_mp_guid(core.raw(), &mut guid) })?;
        Ok(guid)
    }

    fn native_port(&self, core: &LiveCore) -> u32 {
        // SAFETY: `core` is alive.
        unsafe { bindings::mlx5_ib_rs_mp_native_port(core.raw()) }
    }

    fn same_coredev_type(&self, a: &LiveCore, b: &LiveCore) -> bool {
        // SAFETY: Both are alive.
        unsafe { bindings::mlx5_ib_rs_mp_same_type(a.raw(), b.raw()) }
    }

    fn adev_idx(&self, core: &LiveCore) -> u64 {
        // SAFETY: `core` is alive.
        unsafe { bindings::mlx5_ib_rs_mp_adev_idx(core.raw()) }
    }

    fn enable_roce(&self, core: &LiveCore) -> Result {
        // SAFETY: `core` is alive.
        to_result(unsafe { bindings::mlx5_ib_rs_mp_enable_roce(core.raw()) })
    }

    fn disable_roce(&self, core: &LiveCore) {
        // SAFETY: `core` is alive.
        unsafe { bindings::mlx5_ib_rs_mp_disable_roce(core.raw()) }
    }

    fn affiliate(&self, master: &LiveCore, slave: &LiveCore) -> Result {
        // SAFETY: Both are alive.
        to_result(unsafe { bindings::mlx5_ib_rs_mp_affiliate(master.raw(), slave.raw()) })
    }

    fn unaffiliate(&self, slave: &LiveCore) -> Result {
        // SAFETY: `slave` is alive.
        to_result(unsafe { bindings::mlx5_ib_rs_mp_unaffiliate(slave.raw()) })
    }

    fn replay(&self, core: &LiveCore, event: Affiliation) {
        match event {
            // SAFETY: `core` is alive.
            Affiliation::Done(key) => unsafe {
                bindings::mlx5_ib_rs_mp_replay_done(core.raw(), key)
            },
            // SAFETY: `core` is alive.
            Affiliation::Removed => unsafe { bindings::mlx5_ib_rs_mp_replay_removed(core.raw()) },
        }
    }

    fn track_netdev(&self, ib: &LiveIb, port: u32) {
        // SAFETY: `ib` is alive; the engine passes ports of the device.
        unsafe { bindings::mlx5_ib_rs_mp_track_netdev(ib.raw(), port) }
    }

    fn untrack_netdev(&self, ib: &LiveIb, port: u32) {
        // SAFETY: As for `track_netdev`.
        unsafe { bindings::mlx5_ib_rs_mp_untrack_netdev(ib.raw(), port) }
    }

    fn add_cong_debugfs(&self, ib: &LiveIb, port: u32) {
        // SAFETY: As for `track_netdev`.
        unsafe { bindings::mlx5_ib_rs_mp_add_cong_debugfs(ib.raw(), port) }
    }

    fn remove_cong_debugfs(&self, ib: &LiveIb, port: u32) {
        // SAFETY: As for `track_netdev`.
        unsafe { bindings::mlx5_ib_rs_mp_remove_cong_debugfs(ib.raw(), port) }
    }

    fn enable_loopback(&self, ib: &LiveIb, slave: &LiveCore) -> Result {
        // SAFETY: Both are alive.
        to_result(unsafe { bindings::mlx5_ib_rs_mp_enable_lb(ib.raw(), slave.raw()) })
    }

    fn disable_loopback(&self, ib: &LiveIb, slave: &LiveCore) {
        // SAFETY: Both are alive.
        unsafe { bindings::mlx5_ib_rs_mp_disable_lb(ib.raw(), slave.raw()) }
    }

    fn port_down(&self, ib: &LiveIb, port: u32) {
        // SAFETY: As for `track_netdev`.
        unsafe { bindings::mlx5_ib_rs_mp_port_down(ib.raw(), port) }
    }

    fn activate(&self, ib: &LiveIb) {
        // SAFETY: `ib` is alive.
        unsafe { bindings::mlx5_ib_rs_mp_activate(ib.raw()) }
    }

    fn listen(&self, slave: &Arc<Slave<Self>>) -> Result<LiveListener> {
        let raw = Arc::as_ptr(slave).cast_mut().cast();
        // SAFETY: The slave's core device is alive; the listener made here keeps the slave.
        let listener = unsafe { bindings::mlx5_ib_rs_mp_listen(slave.core.raw(), raw) };
        // INVARIANT: Registered with a pointer to the slave it keeps.
        Ok(LiveListener {
            listener: NonNull::new(listener).ok_or(ENOMEM)?,
            _slave: slave.clone(),
        })
    }

    fn queue_event(&self, work: Arc<super::event::EventWork<Self>>) {
        // SAFETY: `mlx5_ib_event_wq` lives from module init to module exit; events come from
        // slaves' notifiers, all unregistered before module exit destroys the queue.
        let queue = unsafe { Queue::from_raw(bindings::mlx5_ib_rs_mp_event_wq()) };
        let _ = queue.enqueue(work);
    }

    fn flush_events(&self) {
        // SAFETY: `mlx5_ib_event_wq` lives from module init to module exit, and the engine
        // calls this with none of its locks held (the works take the registry mutex).
        unsafe { bindings::mlx5_ib_rs_mp_flush_events() }
    }

    fn handle_event(&self, ib: &LiveIb, event: &LiveEvent) {
        // SAFETY: `ib` is alive; the event is as its notifier got it.
        unsafe { bindings::mlx5_ib_rs_mp_handle_event(ib.raw(), event.event, event.param) }
    }
}

/// The engine behind a pointer from [`rdma_rs_mlx5_mp_new`].
///
/// # Safety
///
/// `engine` is such a pointer, not yet given to [`rdma_rs_mlx5_mp_free`], for `'a`.
unsafe fn engine<'a>(engine: *mut bindings::mlx5_mp_rs) -> ArcBorrow<'a, Engine<LiveHost>> {
    // SAFETY: `Arc::into_raw()` of an engine, alive for `'a` (the caller).
    unsafe { ArcBorrow::from_raw(engine.cast::<Engine<LiveHost>>()) }
}

/// Makes the engine (module init with `mp_impl=rust`); NULL without memory.
#[no_mangle]
pub(crate) extern "C" fn rdma_rs_mlx5_mp_new() -> *mut bindings::mlx5_mp_rs {
    match Engine::new(LiveHost) {
        Ok(e) => Arc::into_raw(e).cast_mut().cast(),
        Err(_) => ptr::null_mut(),
    }
}

/// Gives back C's reference to the engine (module exit, after the event queue is destroyed).
///
/// # Safety
///
/// `e` is from [`rdma_rs_mlx5_mp_new`], not used after this.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_mlx5_mp_free(e: *mut bindings::mlx5_mp_rs) {
    // SAFETY: C's reference (the caller), given back.
    drop(unsafe { Arc::from_raw(e.cast::<Engine<LiveHost>>()) });
}

/// A slave port's probe (`mlx5r_mp_probe()`): `*slave` is its reference, for its removal.
///
/// # Safety
///
/// `e` is from [`rdma_rs_mlx5_mp_new`] and not freed; `mdev` is the slave's core device, alive
/// until [`rdma_rs_mlx5_mp_remove`]; `slave` is valid for writes.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_mlx5_mp_probe(
    e: *mut bindings::mlx5_mp_rs,
    mdev: *mut bindings::mlx5_core_dev,
    slave: *mut *mut bindings::mlx5_mp_rs_slave,
) -> c_int {
    // SAFETY: The caller's guarantee.
    let e = unsafe { engine(e) };
    let Some(mdev) = NonNull::new(mdev) else {
        return EINVAL.to_errno();
    };
    // INVARIANT: Alive until the removal (the caller).
    match e.add_slave(LiveCore(mdev)) {
        Ok(s) => {
            // SAFETY: Valid for writes (the caller).
            unsafe { *slave = Arc::into_raw(s).cast_mut().cast() };
            0
        }
        Err(err) => err.to_errno(),
    }
}

/// A slave port's removal (`mlx5r_mp_remove()`).
///
/// # Safety
///
/// `e` is from [`rdma_rs_mlx5_mp_new`] and not freed; `slave` is from
/// [`rdma_rs_mlx5_mp_probe`] of this engine, not used after this.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_mlx5_mp_remove(
    e: *mut bindings::mlx5_mp_rs,
    slave: *mut bindings::mlx5_mp_rs_slave,
) {
    // SAFETY: The caller's guarantee.
    let e = unsafe { engine(e) };
    // SAFETY: The probe's reference, given back (the caller).
    let slave = unsafe { Arc::from_raw(slave.cast::<Slave<LiveHost>>()) };
    e.remove_slave(slave);
}

/// A multiport master's init (`mlx5_ib_init_multiport_master()`): `*master` is its reference,
/// for its cleanup, set before the master's binds (and left alone on failure).
///
/// # Safety
///
/// `e` is from [`rdma_rs_mlx5_mp_new`] and not freed; `dev` and `mdev` (its core device) are
/// alive until [`rdma_rs_mlx5_mp_cleanup_master`], `dev` with `num_ports` ports; `master` is
/// valid for writes.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_mlx5_mp_init_master(
    e: *mut bindings::mlx5_mp_rs,
    dev: *mut bindings::mlx5_ib_dev,
    mdev: *mut bindings::mlx5_core_dev,
    num_ports: u32,
    master: *mut *mut bindings::mlx5_mp_rs_master,
) -> c_int {
    // SAFETY: The caller's guarantee.
    let e = unsafe { engine(e) };
    let (Some(dev), Some(mdev)) = (NonNull::new(dev), NonNull::new(mdev)) else {
        return EINVAL.to_errno();
    };
    // C's reference, published before the binds, whose calls look slaves up through it.
    let publish = |m: &Arc<Master<LiveHost>>| {
        let raw: *mut bindings::mlx5_mp_rs_master = Arc::into_raw(m.clone()).cast_mut().cast();
        // SAFETY: `master` is valid for writes (the caller), and C reads it with
        // `smp_load_acquire()`.
        unsafe { Atomic::from_ptr(master) }.store(raw, Release);
    };
    // INVARIANT: Both alive until the cleanup (the caller).
    match e.add_master(LiveIb(dev), LiveCore(mdev), num_ports, publish) {
        Ok(_) => 0,
        Err(err) => err.to_errno(),
    }
}

/// A multiport master's cleanup (`mlx5_ib_cleanup_multiport_master()`).
///
/// # Safety
///
/// `e` is from [`rdma_rs_mlx5_mp_new`] and not freed; `master` is from
/// [`rdma_rs_mlx5_mp_init_master`] of this engine, not used after this.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_mlx5_mp_cleanup_master(
    e: *mut bindings::mlx5_mp_rs,
    master: *mut bindings::mlx5_mp_rs_master,
) {
    // SAFETY: The caller's guarantee.
    let e = unsafe { engine(e) };
    // SAFETY: The init's reference, given back (the caller).
    let master = unsafe { Arc::from_raw(master.cast::<Master<LiveHost>>()) };
    e.remove_master(&master);
}

/// Whether the engine has no master and no slave (for the tests, which must not disturb
/// devices).
///
/// # Safety
///
/// `e` is from [`rdma_rs_mlx5_mp_new`] and not freed.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_mlx5_mp_idle(e: *mut bindings::mlx5_mp_rs) -> bool {
    // SAFETY: The caller's guarantee.
    unsafe { engine(e) }.idle()
}

/// The master whose reference C holds.
///
/// # Safety
///
/// `master` is from [`rdma_rs_mlx5_mp_init_master`] and not cleaned up, for `'a`.
unsafe fn master<'a>(master: *mut bindings::mlx5_mp_rs_master) -> ArcBorrow<'a, Master<LiveHost>> {
    // SAFETY: `Arc::into_raw()` of a master, alive for `'a` (the caller).
    unsafe { ArcBorrow::from_raw(master.cast::<Master<LiveHost>>()) }
}

/// The core device of port `port` (from 1) of a multiport master, or NULL
/// (`mlx5_ib_get_native_port_mdev()`); a slave's is counted until [`rdma_rs_mlx5_mp_put_mdev`].
///
/// # Safety
///
/// `m` is from [`rdma_rs_mlx5_mp_init_master`] and not cleaned up.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_mlx5_mp_get_mdev(
    m: *mut bindings::mlx5_mp_rs_master,
    port: u32,
) -> *mut bindings::mlx5_core_dev {
    // SAFETY: The caller's guarantee.
    let m = unsafe { master(m) };
    m.native_core(port).map_or(ptr::null_mut(), |c| c.raw())
}

/// Ends a use of port `port`'s core device (`mlx5_ib_put_native_port_mdev()`).
///
/// # Safety
///
/// `m` is from [`rdma_rs_mlx5_mp_init_master`] and not cleaned up.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_mlx5_mp_put_mdev(
    m: *mut bindings::mlx5_mp_rs_master,
    port: u32,
) {
    // SAFETY: The caller's guarantee.
    unsafe { master(m) }.put_native_core(port);
}

/// A slave's event, from its notifier (atomic context): queued for its master.
///
/// # Safety
///
/// `e` is from [`rdma_rs_mlx5_mp_new`] and not freed; `slave` is the reference a registered
/// [`LiveListener`] holds.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_mlx5_mp_slave_event(
    e: *mut bindings::mlx5_mp_rs,
    slave: *mut bindings::mlx5_mp_rs_slave,
    event: c_ulong,
    param: *mut c_void,
) -> c_int {
    // SAFETY: The caller's guarantee.
    let e = unsafe { engine(e) };
    // SAFETY: The listener's reference, alive while its notifier can be called (the caller).
    let slave = unsafe { ArcBorrow::from_raw(slave.cast::<Slave<LiveHost>>()) };
    match e.slave_event(slave, LiveEvent { event, param }) {
        Ok(()) => 0,
        Err(err) => err.to_errno(),
    }
}
