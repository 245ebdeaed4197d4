// SPDX-License-Identifier: GPL-2.0

//! The C boundary of the join engine, and its only `unsafe` code: the live [`Host`] over the
//! glue of `ipoib_multicast.c`, and the `rdma_rs_ipoib_mcast_*` functions that file calls for
//! an interface that runs the Rust join task (`ipoib_rust.h`).

use super::{
    attempt::Attempt,
    engine::Engine,
    entry::Entry,
    host::Host, //
};
use core::{
    mem::ManuallyDrop,
    ptr::NonNull, //
};
use kernel::{
    bindings,
    ffi::{
        c_int,
        c_uint,
        c_ulong,
        c_void, //
    },
    fmt,
    prelude::*,
    rdma::{
        sa::{
            McMemberComps,
            McMemberRec,
            SaClient,
            SaJoin, //
        },
        Gid, RegisteredDevice,
    },
    sync::{
        Arc,
        ArcBorrow, //
    },
    time::Jiffies,
};

/// The interface a Rust join engine runs for.
///
/// # Invariants
///
/// `priv_` is the interface's `struct ipoib_dev_priv`, which lives until
/// `ipoib_mcast_impl_free()` has dropped the engine, after the interface was flushed: no call
/// of the engine, and so of its host, comes after.
pub(crate) struct LiveHost {
    priv_: NonNull<bindings::ipoib_dev_priv>,
}

// SAFETY: The interface's private data is used from any thread, under its own locks.
unsafe impl Send for LiveHost {}
// SAFETY: As above: the glue functions take the locks they need.
unsafe impl Sync for LiveHost {}

/// A `struct ipoib_mcast` of the interface, owned by the engine's entry.
///
/// # Invariants
///
/// An entry `ipoib_rs_mcast_alloc()` made, freed by [`Drop`] only.
pub(crate) struct CMcast(NonNull<bindings::ipoib_mcast>);

// SAFETY: The entry's fields are used under the interface's locks, from any thread.
unsafe impl Send for CMcast {}
// SAFETY: As above.
unsafe impl Sync for CMcast {}

impl Drop for CMcast {
    fn drop(&mut self) {
        // SAFETY: Ours (type invariant). The engine frees entries in process context with no
        // lock held: its removals drop the last references after `quiesce_transmit()`, and
        // an answer's handling, the only other holder, runs in the SA code's work.
        unsafe { bindings::ipoib_rs_mcast_free(self.0.as_ptr()) }
    }
}

/// A packet to a group: an `skb` with its destination hardware address (in its pseudo
/// header). Dropped unsent, it is counted in `tx_dropped`.
///
/// # Invariants
///
/// `skb` is an `sk_buff` the transmit path gave to the engine, and `daddr` the 20 bytes of its
/// destination, valid as long as the `skb`.
pub(crate) struct Skb {
    host: NonNull<bindings::ipoib_dev_priv>,
    skb: NonNull<bindings::sk_buff>,
    daddr: NonNull<u8>,
}

// SAFETY: An `sk_buff` may be handed between threads.
unsafe impl Send for Skb {}

impl Skb {
    /// Gives up the `skb` to a function that takes it.
    fn take(self) -> (NonNull<bindings::sk_buff>, NonNull<u8>) {
        let this = ManuallyDrop::new(self);
        (this.skb, this.daddr)
    }
}

impl Drop for Skb {
    fn drop(&mut self) {
        // SAFETY: The `skb` is ours (type invariant) and `host` the interface's private data,
        // alive while the engine runs.
        unsafe { bindings::ipoib_rs_mcast_drop_skb(self.host.as_ptr(), self.skb.as_ptr()) }
    }
}

impl LiveHost {
    fn raw(&self) -> *mut bindings::ipoib_dev_priv {
        self.priv_.as_ptr()
    }

    /// The broadcast MGID, the port's GID and the P_Key.
    fn ids(&self) -> (Gid, Gid, u16) {
        let (mut mgid, mut gid, mut pkey) = ([0u8; 16], [0u8; 16], 0u16);
        // SAFETY: `priv_` is alive (type invariant); the buffers are valid for the writes.
        unsafe {
            bindings::ipoib_rs_mcast_ids(self.raw(), mgid.as_mut_ptr(), gid.as_mut_ptr(), &mut pkey)
        };
        (Gid(mgid), Gid(gid), pkey)
    }

    /// The groups of the interface's valid multicast addresses.
    fn addrs(&self) -> Result<KVec<Gid>> {
        let mut room = 0usize;
        loop {
            let mut buf = KVec::from_elem(0u8, room * 16, GFP_KERNEL)?;
            let max = c_int::try_from(room).map_err(|_| ENOMEM)?;
            // SAFETY: `priv_` is alive (type invariant); `buf` holds `max` MGIDs.
            let n = unsafe { bindings::ipoib_rs_mcast_addrs(self.raw(), buf.as_mut_ptr(), max) };
            let n = usize::try_from(n).map_err(|_| EINVAL)?;
            if n <= room {
                let mut mgids = KVec::with_capacity(n, GFP_KERNEL)?;
                for chunk in buf.chunks_exact(16).take(n) {
                    let mut g = [0u8; 16];
                    g.copy_from_slice(chunk);
                    mgids.push(Gid(g), GFP_KERNEL)?;
                }
                return Ok(mgids);
            }
            // The list grew; a little more room for the next look.
            room = n + 4;
        }
    }
}

impl LiveHost {
    /// Prints `args` after the interface's name, as `ipoib_printk()` does, with `format`: a
    /// `KERN_*` level, then `"%s: %pA"`.
    fn printk(&self, format: &CStr, args: fmt::Arguments<'_>) {
        // SAFETY: `priv_` is alive (type invariant); the glue gives its net device's `name`, a
        // NUL-terminated array of `IFNAMSIZ` bytes (as C's messages print it). `format` takes
        // that string and, for `%pA`, a pointer to a `fmt::Arguments`, which `args` is for the
        // call; printk keeps neither.
        unsafe {
            bindings::_printk(
                format.as_char_ptr(),
                bindings::ipoib_rs_mcast_name(self.raw()),
                core::ptr::from_ref(&args).cast::<c_void>(),
            );
        }
    }
}

impl Host for LiveHost {
    type Mcast = CMcast;
    type Join = SaJoin<Attempt<LiveHost>>;
    type Packet = Skb;

    fn warn(&self, args: fmt::Arguments<'_>) {
        // SAFETY: Takes a token of a rate limit the glue keeps.
        if unsafe { bindings::ipoib_rs_mcast_warn_ratelimit() } {
            self.printk(c"\x014%s: %pA", args);
        }
    }

    fn dbg(&self, args: fmt::Arguments<'_>) {
        // SAFETY: Reads a module parameter.
        if unsafe { bindings::ipoib_rs_mcast_dbg_on() } {
            self.printk(c"\x017%s: %pA", args);
        }
    }

    fn now(&self) -> Jiffies {
        // SAFETY: Reads `jiffies`.
        unsafe { bindings::ipoib_rs_jiffies() }
    }

    fn hz(&self) -> Jiffies {
        kernel::time::msecs_to_jiffies(1000)
    }

    fn allowed(&self) -> bool {
        // SAFETY: `priv_` is alive (type invariant).
        unsafe { bindings::ipoib_rs_mcast_allowed(self.raw()) }
    }

    fn port_ready(&self) -> bool {
        // SAFETY: `priv_` is alive (type invariant); called from the join task.
        unsafe { bindings::ipoib_rs_mcast_port_ready(self.raw()) }
    }

    fn broadcast_mgid(&self) -> Gid {
        self.ids().0
    }

    fn port_gid_and_pkey(&self) -> (Gid, u16) {
        let (_, gid, pkey) = self.ids();
        (gid, pkey)
    }

    fn alloc(&self, mgid: &Gid, sendonly: bool) -> Option<CMcast> {
        // SAFETY: `priv_` is alive (type invariant); the MGID is 16 bytes; the glue does not
        // sleep.
        let raw = unsafe { bindings::ipoib_rs_mcast_alloc(self.raw(), mgid.0.as_ptr(), sendonly) };
        // INVARIANT: A new entry of `ipoib_rs_mcast_alloc()`.
        NonNull::new(raw).map(CMcast)
    }

    fn schedule_join_task(&self, delay: Jiffies) {
        // SAFETY: `priv_` is alive (type invariant).
        unsafe { bindings::ipoib_rs_mcast_schedule(self.raw(), delay) }
    }

    fn queue_carrier_on(&self) {
        // SAFETY: `priv_` is alive (type invariant).
        unsafe { bindings::ipoib_rs_mcast_carrier_on(self.raw()) }
    }

    fn join(
        &self,
        _mcast: &CMcast,
        rec: &McMemberRec,
        comp: McMemberComps,
        attempt: Arc<Attempt<LiveHost>>,
    ) -> Result<Self::Join> {
        let mut port = 0u32;
        // SAFETY: `priv_` is alive (type invariant); `port` is valid for a write.
        let ca = unsafe { bindings::ipoib_rs_mcast_ca(self.raw(), &mut port) };
        // SAFETY: IPoIB's client is registered from its module's init to its exit; the
        // interface's device stays registered while the interface exists (ipoib's client
        // `remove()` removes the interfaces first); the join is dropped by the flush that runs
        // before, within that span.
        unsafe {
            let client = SaClient::from_raw(bindings::ipoib_rs_sa_client());
            let dev = RegisteredDevice::from_raw(ca);
            SaJoin::new(client, dev, port, rec, comp, GFP_ATOMIC, attempt)
        }
    }

    fn finish(
        &self,
        mcast: &CMcast,
        rec: &McMemberRec,
        _broadcast: bool,
        attach: bool,
    ) -> (Result, bool) {
        let mut attached = false;
        // SAFETY: The entry is alive (ours); the record and `attached` are valid for the call;
        // no lock held.
        let ret = unsafe {
            bindings::ipoib_rs_mcast_finish(mcast.0.as_ptr(), rec.as_raw(), attach, &mut attached)
        };
        (kernel::error::to_result(ret), attached)
    }

    fn send_queued(&self, mcast: &CMcast) {
        // SAFETY: The entry is alive and has its address handle; no lock held.
        unsafe { bindings::ipoib_rs_mcast_send_queued(mcast.0.as_ptr()) }
    }

    fn detach(&self, mcast: &CMcast, _rec: &McMemberRec) {
        // SAFETY: The entry is alive and holds the record of its join; no lock held.
        unsafe { bindings::ipoib_rs_mcast_detach(mcast.0.as_ptr()) }
    }

    fn queue_len(&self, mcast: &CMcast) -> usize {
        // SAFETY: The entry is alive.
        unsafe { bindings::ipoib_rs_mcast_queue_len(mcast.0.as_ptr()) as usize }
    }

    fn enqueue(&self, mcast: &CMcast, packet: Skb) {
        let (skb, _) = packet.take();
        // SAFETY: The entry is alive; the queue takes the `skb`.
        unsafe { bindings::ipoib_rs_mcast_enqueue(mcast.0.as_ptr(), skb.as_ptr()) }
    }

    fn drop_packet(&self, packet: Skb) {
        drop(packet);
    }

    fn drop_queue(&self, mcast: &CMcast) {
        // SAFETY: The entry is alive; no lock held.
        unsafe { bindings::ipoib_rs_mcast_drop_queue(mcast.0.as_ptr()) }
    }

    fn transmit(&self, mcast: &CMcast, packet: Skb) {
        let (skb, daddr) = packet.take();
        // SAFETY: The entry is alive and has its address handle; the send takes the `skb`, and
        // `daddr` is valid as long as it; no lock held.
        unsafe { bindings::ipoib_rs_mcast_transmit(mcast.0.as_ptr(), daddr.as_ptr(), skb.as_ptr()) }
    }

    fn publish_broadcast(&self, mcast: &CMcast) {
        // SAFETY: `priv_` is alive (type invariant); the entry stays alive until
        // `unpublish_broadcast()` has taken it away.
        unsafe { bindings::ipoib_rs_mcast_publish_broadcast(self.raw(), mcast.0.as_ptr()) }
    }

    fn unpublish_broadcast(&self, mcast: &CMcast) {
        // SAFETY: `priv_` is alive (type invariant); no lock held.
        unsafe { bindings::ipoib_rs_mcast_unpublish_broadcast(self.raw(), mcast.0.as_ptr()) }
    }

    fn quiesce_transmit(&self) {
        // SAFETY: `priv_` is alive (type invariant); no lock held, process context.
        unsafe { bindings::ipoib_rs_mcast_quiesce_transmit(self.raw()) }
    }

    fn joined_by_user(&self, mgid: &Gid) -> bool {
        // SAFETY: `priv_` is alive (type invariant); the MGID is 16 bytes.
        unsafe { bindings::ipoib_rs_mcast_joined_by_user(self.raw(), mgid.0.as_ptr()) }
    }
}

/// The engine behind a pointer `rdma_rs_ipoib_mcast_new()` gave.
///
/// # Safety
///
/// `engine` is such a pointer, not yet given to `rdma_rs_ipoib_mcast_free()`, for `'a`.
unsafe fn engine<'a>(engine: *mut bindings::ipoib_mcast_rs) -> ArcBorrow<'a, Engine<LiveHost>> {
    // SAFETY: The pointer is `Arc::into_raw()` of an engine, alive for `'a` (the caller).
    unsafe { ArcBorrow::from_raw(engine.cast::<Engine<LiveHost>>()) }
}

/// The GID whose 16 bytes start at `raw` (an MGID inside a hardware address or a
/// `union ib_gid`, which C passes as bytes).
///
/// # Safety
///
/// `raw` points to 16 readable bytes.
unsafe fn gid_at(raw: *const u8) -> Gid {
    // SAFETY: 16 readable bytes (the caller); a byte array has no alignment to keep.
    Gid(unsafe { raw.cast::<[u8; 16]>().read() })
}

/// Makes the join engine of the interface of `priv_` (`ipoib_mcast_impl_init()`).
///
/// # Safety
///
/// `priv_` is an interface's private data, which lives until the engine is given to
/// [`rdma_rs_ipoib_mcast_free`].
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_ipoib_mcast_new(
    priv_: *mut bindings::ipoib_dev_priv,
) -> *mut bindings::ipoib_mcast_rs {
    let Some(priv_) = NonNull::new(priv_) else {
        return core::ptr::null_mut();
    };
    // INVARIANT: The caller keeps `priv_` alive until the engine is freed.
    match Engine::new(LiveHost { priv_ }) {
        Ok(e) => Arc::into_raw(e).cast_mut().cast(),
        Err(_) => core::ptr::null_mut(),
    }
}

/// Frees the engine (`ipoib_mcast_impl_free()`), leaving any group still joined.
///
/// # Safety
///
/// `e` is from [`rdma_rs_ipoib_mcast_new`], not used afterwards; the interface's works are
/// stopped.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_ipoib_mcast_free(e: *mut bindings::ipoib_mcast_rs) {
    // SAFETY: The pointer is `Arc::into_raw()` of an engine; this gives its reference back.
    let e = unsafe { Arc::from_raw(e.cast::<Engine<LiveHost>>()) };
    e.flush();
}

/// The join task (`ipoib_mcast_join_task()`).
///
/// # Safety
///
/// `e` is from [`rdma_rs_ipoib_mcast_new`] and not freed.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_ipoib_mcast_join_task(e: *mut bindings::ipoib_mcast_rs) {
    // SAFETY: The caller's guarantee.
    let e: Arc<Engine<LiveHost>> = unsafe { engine(e) }.into();
    e.join_task();
}

/// The restart task (`ipoib_mcast_restart_task()`).
///
/// # Safety
///
/// `e` is from [`rdma_rs_ipoib_mcast_new`] and not freed.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_ipoib_mcast_restart_task(e: *mut bindings::ipoib_mcast_rs) {
    // SAFETY: The caller's guarantee.
    let e = unsafe { engine(e) };
    if !e.host.allowed() {
        return;
    }
    match e.host.addrs() {
        Ok(mgids) => e.restart(&mgids),
        Err(_) => {
            mcast_warn!(
                e.host,
                "unable to allocate memory for the multicast restart\n"
            );
            // The entries stay as they are; the join task runs all the same.
            e.start();
        }
    }
}

/// Starts the join task (`ipoib_mcast_start_thread()`).
///
/// # Safety
///
/// `e` is from [`rdma_rs_ipoib_mcast_new`] and not freed.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_ipoib_mcast_start(e: *mut bindings::ipoib_mcast_rs) {
    // SAFETY: The caller's guarantee.
    unsafe { engine(e) }.start();
}

/// Leaves every group (`ipoib_mcast_dev_flush()`, under `priv->mcast_mutex`).
///
/// # Safety
///
/// `e` is from [`rdma_rs_ipoib_mcast_new`] and not freed.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_ipoib_mcast_flush(e: *mut bindings::ipoib_mcast_rs) {
    // SAFETY: The caller's guarantee.
    unsafe { engine(e) }.flush();
}

/// Sends `skb` to the group of `daddr` (`ipoib_mcast_send()`).
///
/// # Safety
///
/// `e` is from [`rdma_rs_ipoib_mcast_new`] and not freed; `skb` is the transmit path's, given
/// to this function, and `daddr` its 20-byte destination, valid as long as it.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_ipoib_mcast_send(
    e: *mut bindings::ipoib_mcast_rs,
    daddr: *mut u8,
    skb: *mut bindings::sk_buff,
) {
    // SAFETY: The caller's guarantee.
    let e = unsafe { engine(e) };
    let (Some(skb), Some(daddr)) = (NonNull::new(skb), NonNull::new(daddr)) else {
        return;
    };
    // SAFETY: `daddr` is 20 bytes (the caller); the MGID is the last 16.
    let mgid = unsafe { gid_at(daddr.as_ptr().add(4)) };
    // INVARIANT: The caller gives the `skb` and its destination.
    let packet = Skb {
        host: e.host.priv_,
        skb,
        daddr,
    };
    e.send(&mgid, packet);
}

/// The neighbour reaper found no neighbour of `mgid`: a send-only group goes on
/// `remove_list` (`ipoib_check_and_add_mcast_sendonly()`, under `priv->lock`).
///
/// # Safety
///
/// `e` is from [`rdma_rs_ipoib_mcast_new`] and not freed; `mgid` is 16 bytes; `remove_list` is
/// a list head that the caller gives to `ipoib_mcast_remove_list()`.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_ipoib_mcast_take_sendonly(
    e: *mut bindings::ipoib_mcast_rs,
    mgid: *const u8,
    remove_list: *mut bindings::list_head,
) {
    // SAFETY: The caller's guarantee.
    let e = unsafe { engine(e) };
    // SAFETY: `mgid` is 16 bytes (the caller).
    let Some(entry) = e.take_sendonly(&unsafe { gid_at(mgid) }) else {
        return;
    };
    let mcast = entry.mcast.0.as_ptr();
    // SAFETY: The entry's `struct ipoib_mcast` is alive and on no list now; the list keeps the
    // entry's reference until `rdma_rs_ipoib_mcast_remove_list()` takes it back.
    unsafe {
        bindings::ipoib_rs_mcast_list_add(
            mcast,
            Arc::into_raw(entry).cast_mut().cast(),
            remove_list,
        )
    };
}

/// Leaves and frees the entries of `remove_list` (`ipoib_mcast_remove_list()`).
///
/// # Safety
///
/// `e` is from [`rdma_rs_ipoib_mcast_new`] and not freed; `remove_list` holds only entries that
/// [`rdma_rs_ipoib_mcast_take_sendonly`] put there for this engine.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_ipoib_mcast_remove_list(
    e: *mut bindings::ipoib_mcast_rs,
    remove_list: *mut bindings::list_head,
) {
    // SAFETY: The caller's guarantee.
    let e = unsafe { engine(e) };
    loop {
        // SAFETY: The list is valid (the caller).
        let raw = unsafe { bindings::ipoib_rs_mcast_list_pop(remove_list) };
        if raw.is_null() {
            break;
        }
        // SAFETY: `rdma_rs_ipoib_mcast_take_sendonly()` put `Arc::into_raw()` of the entry
        // there; this takes the reference back, once (the pop cleared it).
        let entry = unsafe { Arc::<Entry<LiveHost>>::from_raw(raw.cast::<Entry<LiveHost>>()) };
        e.remove_entry(entry);
    }
}

/// The entry after `*mgid` in MGID order, for the `<ifname>_mcg` debugfs file
/// (`ipoib_mcast_iter_next()`): 0 and the entry's fields written, or 1 for none.
///
/// # Safety
///
/// `e` is from [`rdma_rs_ipoib_mcast_new`] and not freed; `mgid` is 16 bytes, valid for reads
/// and writes, and the other pointers are valid for writes.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_ipoib_mcast_next(
    e: *mut bindings::ipoib_mcast_rs,
    mgid: *mut u8,
    created: *mut c_ulong,
    queuelen: *mut c_uint,
    complete: *mut c_uint,
    send_only: *mut c_uint,
) -> c_int {
    // SAFETY: The caller's guarantee.
    let e = unsafe { engine(e) };
    // SAFETY: `mgid` is 16 bytes (the caller).
    let after = unsafe { gid_at(mgid) };
    let Some(row) = e.next_after(&after) else {
        return 1;
    };
    // SAFETY: The pointers are valid for writes (the caller).
    unsafe {
        core::ptr::copy_nonoverlapping(row.mgid.0.as_ptr(), mgid, 16);
        *created = row.created;
        *queuelen = c_uint::try_from(row.queuelen).unwrap_or(c_uint::MAX);
        *complete = c_uint::from(row.complete);
        *send_only = c_uint::from(row.send_only);
    }
    0
}
