// SPDX-License-Identifier: GPL-2.0

//! SA multicast join/leave reference counting: the Rust implementation of `multicast.c`.
//!
//! Selected by `ib_core.sa_mcast_impl=rust`. The SA keeps one membership per port and group,
//! whoever on the port asked for it; this piece counts the local users of every group per
//! join state (full, non, send-only non, send-only full member) and talks to the SA only when
//! the port's combined join state must grow (one SET) or shrink (one DELETE):
//!
//! - [`port::Port`]: the groups of an IB port with SA support, by MGID;
//! - [`group::Group`]: a group and its join state machine, all joins of a group serialised
//!   behind the one at the SA;
//! - [`member::Member`]: a user's join, handed out as `struct ib_sa_multicast`;
//! - [`backend::SaBackend`]: where SA queries go: ib_core's MCMemberRecord query, or the fake
//!   SA of [`fake`] in KUnit and the benchmark.
//!
//! Port events (port error, LID change, client reregister) reset the port's groups, and their
//! members get `-ENETRESET`; a P_Key change resets a group whose P_Key moved.
//!
//! The four exported functions keep their C symbols in `multicast.c`, which calls the
//! `rdma_rs_sa_*` functions here when this implementation runs.

use core::ffi::{c_int, c_void};
use kernel::{
    bindings,
    prelude::*,
    rdma::{
        event::{Event, EventHandler, EventKind, EventRegistration},
        sa::{CompMask, McMemberRec, McastCallback, SaMulticast},
        Client, Device, Gid, Registration,
    },
    sync::Arc,
    workqueue::OwnedQueue,
};

mod backend;
mod fake;
mod group;
mod member;
mod port;
mod rec;
mod shim;
#[cfg(CONFIG_KUNIT)]
mod tests;

use backend::RealSa;
use group::State;
use member::Member;
use port::Port;
use shim::SaClientRef;

/// Joins `rec.mgid` on `port` for a user (`ib_sa_join_multicast()` on a port).
///
/// # Safety
///
/// `callback`, if set, must be callable with the returned multicast until it is freed;
/// `client`, if set, must be a registered SA client.
unsafe fn join(
    port: &Arc<Port>,
    client: *mut bindings::ib_sa_client,
    rec: &McMemberRec,
    comp: CompMask,
    flags: kernel::alloc::Flags,
    callback: Option<McastCallback>,
    context: *mut c_void,
) -> Result<*mut bindings::ib_sa_multicast> {
    // SAFETY: The caller guarantees the callback for the life of the member.
    let mc = unsafe { SaMulticast::new(rec, comp, callback, context) };
    let client = if client.is_null() {
        None
    } else {
        // SAFETY: The caller guarantees that `client` is registered.
        Some(unsafe { SaClientRef::get(client) })
    };
    let group = port.acquire_group(rec.mgid(), flags)?;
    let m = match Member::new(group.clone(), mc, *rec, comp, client, flags) {
        Ok(m) => m,
        Err(e) => {
            group.release();
            return Err(e);
        }
    };
    // The callback may run, and even free the member, before this returns: take the pointer
    // to return first.
    let ptr = Member::into_user(m.clone_arc());
    group.queue_join(m);
    Ok(ptr)
}

/// The ports of a device with IB multicast (SA) support, indexed from its first port.
struct Ports {
    start: u32,
    ports: KVec<Option<Arc<Port>>>,
    wq: Arc<OwnedQueue>,
}

impl Ports {
    fn get(&self, port: u32) -> Option<&Arc<Port>> {
        let i = port.checked_sub(self.start)? as usize;
        self.ports.get(i)?.as_ref()
    }

    fn iter(&self) -> impl Iterator<Item = &Arc<Port>> {
        self.ports.iter().flatten()
    }

    /// Writes the groups and members of every port, for the device's debugfs file.
    fn show(&self, w: &mut dyn core::fmt::Write) -> core::fmt::Result {
        for p in self.iter() {
            p.show(w)?;
        }
        Ok(())
    }
}

/// The event handler of a device: port events reset groups (`mcast_event_handler()`).
struct Events(Arc<Ports>);

impl EventHandler for Events {
    fn event(&self, ev: &Event) {
        let Some(port) = ev.port.and_then(|p| self.0.get(p)) else {
            return;
        };
        match ev.kind {
            EventKind::PortErr | EventKind::LidChange | EventKind::ClientReregister => {
                port.groups_event(State::Error)
            }
            EventKind::PkeyChange => port.groups_event(State::PkeyEvent),
            _ => {}
        }
    }
}

/// The piece's data of a device (`struct mcast_device`).
#[pin_data]
struct McastDevice {
    ports: Arc<Ports>,
    _debugfs: shim::DebugfsFile,
    #[pin]
    events: EventRegistration<Events>,
}

/// The ib_client of the piece, named like C's.
struct McastClient;

static CLIENT: Registration<McastClient> = Registration::new();

impl Client for McastClient {
    const NAME: &'static CStr = c"ib_multicast";
    type Data = Pin<KBox<McastDevice>>;

    fn registration() -> &'static Registration<Self> {
        &CLIENT
    }

    fn add(dev: &Device) -> Result<Self::Data> {
        // One ordered queue per device (C has one for all devices): what matters is that the
        // machine of a group never runs twice at once, and that removing a device can drain
        // the work of its groups.
        let wq = Arc::new(OwnedQueue::new_ordered(c"ib_mcast_rs")?, GFP_KERNEL)?;
        let sa: Arc<dyn backend::SaBackend> = Arc::new(RealSa { dev: dev.into() }, GFP_KERNEL)?;
        let mut ports = KVec::new();
        let mut any = false;
        for p in dev.ports() {
            if dev.port_caps(p)?.has_ib_mcast() {
                ports.push(Some(Port::new(p, sa.clone(), wq.clone())?), GFP_KERNEL)?;
                any = true;
            } else {
                ports.push(None, GFP_KERNEL)?;
            }
        }
        if !any {
            return Err(EOPNOTSUPP);
        }
        let ports = Arc::new(
            Ports {
                start: *dev.ports().start(),
                ports,
                wq,
            },
            GFP_KERNEL,
        )?;
        let debugfs = shim::DebugfsFile::new(dev, ports.clone());
        let events = Events(ports.clone());
        KBox::pin_init(
            pin_init!(McastDevice {
                ports,
                _debugfs: debugfs,
                events <- EventRegistration::new(dev, events),
            }),
            GFP_KERNEL,
        )
    }

    fn remove(_dev: &Device, data: Self::Data) {
        let ports = data.ports.clone();
        // Unregisters the event handler and removes the debugfs file.
        drop(data);
        ports.wq.flush();
        for p in ports.iter() {
            p.shut_down();
        }
    }
}

/// The allocation flags of a C caller's `gfp_mask`: callers that may sleep pass
/// `GFP_KERNEL`, the others (IPoIB under its lock) `GFP_ATOMIC`.
fn alloc_flags(gfp: bindings::gfp_t) -> kernel::alloc::Flags {
    if gfp & (bindings::GFP_KERNEL & !bindings::GFP_NOWAIT) != 0 {
        GFP_KERNEL
    } else {
        GFP_ATOMIC
    }
}

fn device_port(device: *mut bindings::ib_device, port: u32) -> Result<Arc<Port>> {
    // SAFETY: The callers of the exported functions pass a registered device.
    let dev = unsafe { Device::from_raw(device) };
    // SAFETY: The caller is a client of `dev`; ib_core removes clients in the reverse order of
    // their registration, so this one's data outlives the callers' use of the device.
    let data = unsafe { CLIENT.client_data(dev) }.ok_or(ENODEV)?;
    data.ports.get(port).cloned().ok_or(ENODEV)
}

/// `ib_sa_join_multicast()`.
///
/// # Safety
///
/// As for `ib_sa_join_multicast()`: valid `client`, `device` and `rec`; `callback` callable
/// until the multicast is freed.
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
    let r = device_port(device, port_num).and_then(|port| {
        // SAFETY: The caller passes a valid record.
        let rec = McMemberRec(unsafe { *rec });
        let flags = alloc_flags(gfp_mask);
        // SAFETY: The caller guarantees `client` and `callback`.
        unsafe {
            join(
                &port,
                client,
                &rec,
                CompMask::from_raw(comp_mask),
                flags,
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
    Member::free(unsafe { Member::from_user(multicast) });
}

/// `ib_sa_get_mcmember_rec()`.
///
/// # Safety
///
/// Valid `device`, `mgid` and `rec` (for writes).
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_sa_get_mcmember_rec(
    device: *mut bindings::ib_device,
    port_num: u32,
    mgid: *mut bindings::ib_gid,
    rec: *mut bindings::ib_sa_mcmember_rec,
) -> c_int {
    let r = device_port(device, port_num).and_then(|port| {
        // SAFETY: The caller passes a valid MGID.
        port.find_rec(Gid::from_raw(unsafe { &*mgid }))
    });
    match r {
        Ok(found) => {
            // SAFETY: The caller passes a record valid for writes.
            unsafe { *rec = found.0 };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// `ib_init_ah_from_mcmember()`.
///
/// # Safety
///
/// Valid `device`, `rec` and `ah_attr` (for writes); `ndev` null or a valid net device.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_init_ah_from_mcmember(
    device: *mut bindings::ib_device,
    port_num: u32,
    rec: *mut bindings::ib_sa_mcmember_rec,
    ndev: *mut bindings::net_device,
    gid_type: bindings::ib_gid_type,
    ah_attr: *mut bindings::rdma_ah_attr,
) -> c_int {
    // SAFETY: The caller passes a registered device.
    let dev = unsafe { Device::from_raw(device) };
    // SAFETY: The caller passes a valid record.
    let rec = McMemberRec(unsafe { *rec });
    let caps = match dev.port_caps(port_num) {
        Ok(c) => c,
        Err(e) => return e.to_errno(),
    };
    // The GID table of an IB port is not per net device.
    let ndev = if caps.is_ib() {
        core::ptr::null_mut()
    } else if caps.is_roce() {
        ndev
    } else {
        return EINVAL.to_errno();
    };
    let sgid_attr = match shim::find_gid_by_port(dev, &rec.port_gid(), gid_type, port_num, ndev) {
        Ok(a) => a,
        Err(e) => return e.to_errno(),
    };
    // SAFETY: The caller passes `ah_attr` valid for writes; `sgid_attr` is a held reference
    // that the AH attribute takes over.
    unsafe { shim::ah_fill(ah_attr, dev, port_num, &rec, sgid_attr) };
    0
}

/// Starts the piece (`mcast_init()`): the queue, the SA client, the ib_client.
///
/// # Safety
///
/// Called once by `mcast_init()`, paired with [`rdma_rs_sa_mcast_cleanup`].
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_sa_mcast_init(state: *mut *mut c_void) -> c_int {
    let r = (|| -> Result<KBox<Running>> {
        let glue = shim::Glue::new();
        let client = CLIENT.register()?;
        Ok(KBox::new(
            Running {
                _client: client,
                _glue: glue,
            },
            GFP_KERNEL,
        )?)
    })();
    match r {
        Ok(b) => {
            // SAFETY: `mcast_init()` passes a valid pointer.
            unsafe { *state = KBox::into_raw(b).cast() };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// Stops the piece (`mcast_cleanup()`).
///
/// # Safety
///
/// `state` is what [`rdma_rs_sa_mcast_init`] stored.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_sa_mcast_cleanup(state: *mut c_void) {
    // SAFETY: `state` came from `KBox::into_raw()` in `rdma_rs_sa_mcast_init()`.
    let r = unsafe { KBox::from_raw(state.cast::<Running>()) };
    drop(r);
}

/// The running piece. Fields drop in order: the client first (removes every device), then
/// the SA client (waits for its last user) and the debugfs folder.
struct Running {
    _client: kernel::rdma::ClientGuard<McastClient>,
    _glue: shim::Glue,
}

/// Benchmark through the fake SA (`multicast.c`'s `sa_mcast` benchmark): `groups` false
/// joins and frees `n` members of one group, true one member of each of `n` groups. Returns
/// the SA messages sent or a negative errno.
#[no_mangle]
pub(crate) extern "C" fn rdma_rs_sa_mcast_bench(groups: bool, n: u64) -> i64 {
    let r = (|| -> Result<u64> {
        let wq = Arc::new(OwnedQueue::new_ordered(c"ib_mcast_bench_rs")?, GFP_KERNEL)?;
        let sa = fake::FakeSa::new(true)?;
        let port = Port::new(1, sa.clone(), wq.clone())?;
        let mut mcs = KVec::with_capacity(n as usize, GFP_KERNEL)?;
        let mut rec = McMemberRec::default();
        rec.set_join_state(kernel::rdma::sa::join_state::FULL);
        let comp = kernel::rdma::sa::mcmember::MGID | kernel::rdma::sa::mcmember::JOIN_STATE;
        let mut res = Ok(());
        for i in 0..n {
            let mut g = [0u8; 16];
            g[0] = 0xff;
            g[1] = 0x12;
            let id: u64 = if groups { i + 1 } else { 1 };
            g[8..].copy_from_slice(&id.to_be_bytes());
            rec.set_mgid(Gid(g));
            // SAFETY: `bench_cb` may be called at any time; no SA client.
            match unsafe {
                join(
                    &port,
                    core::ptr::null_mut(),
                    &rec,
                    comp,
                    GFP_KERNEL,
                    Some(bench_cb),
                    core::ptr::null_mut(),
                )
            } {
                Ok(p) => mcs.push(p, GFP_KERNEL)?,
                Err(e) => {
                    res = Err(e);
                    break;
                }
            }
        }
        wq.flush();
        for p in mcs.drain_all() {
            // SAFETY: `p` came from `join()` and is freed once.
            Member::free(unsafe { Member::from_user(p) });
        }
        wq.flush();
        port.shut_down();
        res?;
        let (s, d) = sa.counts();
        Ok(s + d)
    })();
    match r {
        Ok(n) => i64::try_from(n).unwrap_or(i64::MAX),
        Err(e) => i64::from(e.to_errno()),
    }
}

/// The callback of the benchmark's members: accepts everything.
///
/// # Safety
///
/// None: it touches nothing.
unsafe extern "C" fn bench_cb(_status: c_int, _mc: *mut bindings::ib_sa_multicast) -> c_int {
    0
}
