// SPDX-License-Identifier: GPL-2.0

//! RoCE GID table management: the Rust implementation of `roce_gid_mgmt.c`.
//!
//! Selected by `ib_core.roce_gid_impl=rust`. The GID table of every RoCE port follows the net
//! devices of the system:
//!
//! - the default GIDs (link-local, EUI-64 from the MAC) of the port's net device, or of the
//!   bond above it;
//! - one GID per IP address (IPv4-mapped for IPv4) of the port's net device, of the VLANs on
//!   it and of the bond it is the active slave of;
//! - each for every GID type the port supports ([`rdma_rs_roce_gid_type_mask_support`]).
//!
//! Net device and address notifiers turn events into [`cmd::Cmd`]s, which run in order on an
//! ordered workqueue owned by [`GidMgmt`]. Registering an RDMA device rescans the net devices
//! ([`rdma_rs_roce_rescan_device`]). The GID cache (`cache.c`) stores the entries and sends
//! the `IB_EVENT_GID_CHANGE` events.

use core::ffi::c_void;
use kernel::{
    alloc::flags::{GFP_ATOMIC, GFP_KERNEL},
    bindings,
    net::{
        device::{NetDevice, RegState},
        notifier::{
            AddrEvent, Inet6addrHandler, Inet6addrRegistration, InetaddrHandler,
            InetaddrRegistration, NetdevEvent, NetdevHandler, NetdevRegistration,
        },
    },
    prelude::*,
    rdma::{self, Gid},
    sync::{aref::ARef, Arc},
    workqueue::{OwnedQueue, Work, WorkItem},
};

mod cmd;
mod filter;
mod shim;

use cmd::{Action, Cmd};
use filter::Filter;

/// The commands of one net device event, at most three.
type Cmds = KVec<Cmd>;

/// The work of a net device event (`struct netdev_event_work`).
#[pin_data]
struct NetdevWork {
    cmds: Cmds,
    #[pin]
    work: Work<NetdevWork>,
}

kernel::impl_has_work! {
    impl HasWork<Self> for NetdevWork { self.work }
}

impl WorkItem for NetdevWork {
    type Pointer = Pin<KBox<Self>>;

    fn run(this: Pin<KBox<Self>>) {
        for c in this.cmds.iter() {
            c.run();
        }
    }
}

/// The work of an address event (`struct update_gid_event_work`).
#[pin_data]
struct AddrWork {
    add: bool,
    gid: Gid,
    ndev: ARef<NetDevice>,
    #[pin]
    work: Work<AddrWork>,
}

kernel::impl_has_work! {
    impl HasWork<Self> for AddrWork { self.work }
}

impl WorkItem for AddrWork {
    type Pointer = Pin<KBox<Self>>;

    fn run(this: Pin<KBox<Self>>) {
        shim::for_each_roce_port(None, |p| {
            if cmd::selects(Filter::EthPortOfNetdev, p, &this.ndev) {
                cmd::update_gid(p, this.add, &this.gid, &this.ndev);
            }
        });
    }
}

/// The notifier handlers: they queue work, nothing else.
struct Events {
    wq: Arc<OwnedQueue>,
}

impl Events {
    fn queue_netdev(&self, cmds: Cmds) {
        if cmds.is_empty() {
            return;
        }
        // As in C, an event is dropped when its work cannot be allocated.
        if let Ok(w) = KBox::pin_init(
            pin_init!(NetdevWork {
                cmds,
                work <- kernel::new_work!("roce_gid_mgmt::NetdevWork"),
            }),
            GFP_KERNEL,
        ) {
            self.wq.enqueue(w);
        }
    }

    fn queue_addr(&self, event: AddrEvent, gid: Gid, dev: &NetDevice) {
        let add = match event {
            AddrEvent::Up => true,
            AddrEvent::Down => false,
            AddrEvent::Other(_) => return,
        };
        if !dev.is_ether() {
            return;
        }
        // The IPv6 notifier runs in atomic context.
        if let Ok(w) = KBox::pin_init(
            pin_init!(AddrWork {
                add,
                gid,
                ndev: ARef::from(dev),
                work <- kernel::new_work!("roce_gid_mgmt::AddrWork"),
            }),
            GFP_ATOMIC,
        ) {
            self.wq.enqueue(w);
        }
    }
}

/// The commands of a net device event (`netdevice_event()`).
fn netdev_cmds(event: NetdevEvent<'_>, dev: &NetDevice) -> Result<Cmds> {
    use Action::*;
    use Filter::*;

    let mut cmds = KVec::with_capacity(3, GFP_KERNEL)?;
    let mut push = |c: Cmd| cmds.push(c, GFP_KERNEL);
    match event {
        NetdevEvent::Register | NetdevEvent::Up => {
            push(Cmd::on(EthPortInactiveSlave, DelDefaultGidsOnJoin, dev))?;
            push(Cmd::on(NdevForDefaultGid, AddDefaultGids, dev))?;
            push(Cmd::on(EthPortOfNetdev, AddIps, dev))?;
        }
        NetdevEvent::Unregister => {
            if dev.reg_state() < RegState::Unregistered {
                push(Cmd::on(PassAll, DelIps, dev))?;
            }
        }
        NetdevEvent::ChangeAddr => {
            push(Cmd::on(EthPortOfNetdev, DelIps, dev))?;
            if dev.reg_state() == RegState::Registered {
                push(Cmd::on(NdevForDefaultGid, AddDefaultGids, dev))?;
                push(Cmd::on(EthPortOfNetdev, AddIps, dev))?;
            }
        }
        NetdevEvent::ChangeUpper {
            upper,
            linking: true,
        } => {
            // The lower device's default GIDs go, the bond's come, then the bond's addresses.
            push(Cmd::with(UpperNdevBondMaster, upper, DelDefaultGids, dev))?;
            push(Cmd::on(UpperNdevBondMaster, AddDefaultGids, upper))?;
            push(Cmd::on(EthPortOfNetdev, AddUpperIps, upper))?;
        }
        NetdevEvent::ChangeUpper {
            upper,
            linking: false,
        } => {
            push(Cmd::with(UpperDevice, dev, DelUpperIps, upper))?;
            push(Cmd::on(EthPortOfNetdev, AddIps, dev))?;
        }
        NetdevEvent::BondingFailover => {
            push(Cmd::on(UpperDevice, DelUpperIps, dev))?;
            push(Cmd::on(UpperNdevBondMaster, AddDefaultGids, dev))?;
            push(Cmd::on(EthPortOfNetdev, AddUpperIps, dev))?;
        }
        NetdevEvent::Down | NetdevEvent::Other(_) => {}
    }
    Ok(cmds)
}

impl NetdevHandler for Events {
    fn event(&self, event: NetdevEvent<'_>, dev: &NetDevice) {
        if !dev.is_ether() {
            return;
        }
        if let Ok(cmds) = netdev_cmds(event, dev) {
            self.queue_netdev(cmds);
        }
    }
}

impl InetaddrHandler for Events {
    fn event(&self, event: AddrEvent, addr: [u8; 4], dev: &NetDevice) {
        self.queue_addr(event, Gid::from_ipv4(addr), dev);
    }
}

impl Inet6addrHandler for Events {
    fn event(&self, event: AddrEvent, addr: [u8; 16], dev: &NetDevice) {
        self.queue_addr(event, Gid(addr), dev);
    }
}

/// The running piece: its workqueue and notifiers (`roce_gid_mgmt_init()`).
///
/// Fields drop in declaration order: the notifiers go first, IPv6, IPv4, then net devices
/// (whose unregistration replays `UNREGISTER` events), then the workqueue, whose destruction
/// runs the work still queued, as `roce_gid_mgmt_cleanup()` does.
#[pin_data]
struct GidMgmt {
    #[pin]
    inet6: Inet6addrRegistration<Events>,
    #[pin]
    inet: InetaddrRegistration<Events>,
    #[pin]
    netdev: NetdevRegistration<Events>,
    wq: Arc<OwnedQueue>,
}

impl GidMgmt {
    fn new() -> Result<Pin<KBox<Self>>> {
        let wq = Arc::new(OwnedQueue::new_ordered(c"gid-cache-wq-rs")?, GFP_KERNEL)?;
        let events = |wq: &Arc<OwnedQueue>| Events { wq: wq.clone() };
        // Address notifiers first; the net device notifier last, as its registration replays
        // the existing devices and no address event may be missed.
        KBox::try_pin_init(
            try_pin_init!(Self {
                wq: wq.clone(),
                inet <- InetaddrRegistration::new(events(wq)),
                inet6 <- Inet6addrRegistration::new(events(wq)),
                netdev <- NetdevRegistration::new(events(wq)),
            }),
            GFP_KERNEL,
        )
    }
}

/// Starts the piece (`roce_gid_mgmt_init()`); `*state` gets what
/// [`rdma_rs_roce_gid_mgmt_cleanup`] takes back.
///
/// # Safety
///
/// `state` must be valid for writes. Called once, from `ib_core`'s init.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_roce_gid_mgmt_init(state: *mut *mut c_void) -> c_int {
    match GidMgmt::new() {
        Ok(m) => {
            // SAFETY: `Pin<KBox<_>>` is given to C as a raw pointer, and only taken back by
            // `rdma_rs_roce_gid_mgmt_cleanup()`, which pins it again.
            let raw = KBox::into_raw(unsafe { Pin::into_inner_unchecked(m) });
            // SAFETY: `state` is valid for writes (guaranteed by the caller).
            unsafe { state.write(raw.cast()) };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// Stops the piece (`roce_gid_mgmt_cleanup()`): unregisters the notifiers and runs the work
/// still queued.
///
/// # Safety
///
/// `state` must come from a successful [`rdma_rs_roce_gid_mgmt_init`], and is not used after.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_roce_gid_mgmt_cleanup(state: *mut c_void) {
    // SAFETY: `state` is the pinned box made by `rdma_rs_roce_gid_mgmt_init()`; it was never
    // moved, and dropping it in place keeps the pinning promise.
    drop(unsafe { Pin::new_unchecked(KBox::from_raw(state.cast::<GidMgmt>())) });
}

/// The default GIDs and the address GIDs of every net device for `p` (`enum_all_gids_of_dev_cb()`).
fn scan_port(p: &shim::RocePort<'_>) {
    shim::for_each_netdev(|ndev| {
        if cmd::selects(Filter::NdevForDefaultGid, p, ndev) {
            cmd::default_gids(p, ndev, true);
        }
        if cmd::selects(Filter::EthPortOfNetdev, p, ndev) {
            cmd::add_ips(p, ndev);
        }
    });
}

/// Adds the GIDs of every net device to the RoCE ports of `ib_dev` (`rdma_roce_rescan_device()`).
///
/// # Safety
///
/// `ib_dev` must point to an `ib_device` that stays referenced during the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_roce_rescan_device(ib_dev: *mut bindings::ib_device) {
    // SAFETY: The caller guarantees the device stays referenced during the call.
    let dev = unsafe { rdma::Device::from_raw(ib_dev) };
    shim::for_each_roce_port(Some(dev), scan_port);
}

/// The same for one port, if it runs RoCE and has a net device (`rdma_roce_rescan_port()`).
///
/// # Safety
///
/// `ib_dev` must point to an `ib_device` that stays referenced during the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_roce_rescan_port(
    ib_dev: *mut bindings::ib_device,
    port: u32,
) {
    // SAFETY: The caller guarantees the device stays referenced during the call.
    let dev = unsafe { rdma::Device::from_raw(ib_dev) };
    if let Some(ndev) = shim::roce_port_netdev(dev, port) {
        scan_port(&shim::RocePort {
            dev,
            port,
            ndev: Some(&ndev),
        });
    }
}

/// Removes every GID of `ndev` from `port` (`roce_del_all_netdev_gids()`).
///
/// # Safety
///
/// `ib_dev` and `ndev` must stay referenced during the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_roce_del_all_netdev_gids(
    ib_dev: *mut bindings::ib_device,
    port: u32,
    ndev: *mut bindings::net_device,
) {
    // SAFETY: The caller guarantees both stay referenced during the call.
    let (dev, ndev) = unsafe { (rdma::Device::from_raw(ib_dev), NetDevice::from_raw(ndev)) };
    let p = shim::RocePort {
        dev,
        port,
        ndev: None,
    };
    p.del_all_gids_of(ndev);
}

/// The GID types `port` of `ib_dev` supports: `roce_gid_type_mask_support()`.
///
/// For a port number the device does not have, the C function reads out of bounds; this one
/// returns the empty mask.
///
/// # Safety
///
/// `ib_dev` must point to an `ib_device` that stays referenced during the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_roce_gid_type_mask_support(
    ib_dev: *mut bindings::ib_device,
    port: u32,
) -> c_ulong {
    // SAFETY: The caller guarantees the device stays referenced during the call.
    let dev = unsafe { rdma::Device::from_raw(ib_dev) };
    dev.gid_type_mask(port).map_or(0, |mask| mask.0 as c_ulong)
}
