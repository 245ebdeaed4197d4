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
//! - each for every GID type the port supports (`roce_gid_type_mask_support()`).
//!
//! Net device and address notifiers turn events into [`cmd::Cmd`]s, which run in order on an
//! ordered workqueue owned by [`GidMgmt`]. Registering an RDMA device rescans the net devices
//! ([`cmd::rescan_device`]). The GID cache (`cache.c`) stores the entries and sends the
//! `IB_EVENT_GID_CHANGE` events.
//!
//! - [`filter`]: which ports an event concerns, over a trait of net device relations that
//!   KUnit fills with made-up topologies;
//! - [`net`]: the live net devices behind that trait, their addresses and upper devices;
//! - [`port::RocePort`]: a RoCE port and the updates of its GID table;
//! - [`ffi`]: the C boundary, the piece's only `unsafe` code.

use kernel::{
    alloc::flags::{
        GFP_ATOMIC,
        GFP_KERNEL, //
    },
    net::{
        device::{
            NetDevice,
            RegState, //
        },
        notifier::{
            AddrEvent,
            Inet6addrHandler,
            Inet6addrRegistration,
            InetaddrHandler,
            InetaddrRegistration,
            NetdevEvent,
            NetdevHandler,
            NetdevRegistration, //
        },
    },
    prelude::*,
    rdma::Gid,
    sync::{
        aref::ARef,
        Arc, //
    },
    workqueue::{
        OwnedQueue,
        QueueFlags,
        Work,
        WorkItem, //
    },
};

mod cmd;
mod ffi;
mod filter;
mod net;
mod port;

use cmd::{
    Action,
    Cmd, //
};
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
        ffi::for_each_roce_port(None, |p| {
            if cmd::selects(Filter::EthPortOfNetdev, p, &this.ndev) {
                p.update_gid(this.add, &this.gid, &this.ndev);
            }
        });
    }
}

/// The handler of the net device and address notifiers: it queues work, nothing else.
struct NotifierEvents {
    wq: Arc<OwnedQueue>,
}

impl NotifierEvents {
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

impl NetdevHandler for NotifierEvents {
    fn event(&self, event: NetdevEvent<'_>, dev: &NetDevice) {
        if !dev.is_ether() {
            return;
        }
        if let Ok(cmds) = netdev_cmds(event, dev) {
            self.queue_netdev(cmds);
        }
    }
}

impl InetaddrHandler for NotifierEvents {
    fn event(&self, event: AddrEvent, addr: [u8; 4], dev: &NetDevice) {
        self.queue_addr(event, Gid::from_ipv4(addr), dev);
    }
}

impl Inet6addrHandler for NotifierEvents {
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
    inet6: Inet6addrRegistration<NotifierEvents>,
    #[pin]
    inet: InetaddrRegistration<NotifierEvents>,
    #[pin]
    netdev: NetdevRegistration<NotifierEvents>,
    wq: Arc<OwnedQueue>,
}

impl GidMgmt {
    fn new() -> Result<Pin<KBox<Self>>> {
        let wq = Arc::new(
            OwnedQueue::new_ordered(c"gid-cache-wq-rs", QueueFlags::default())?,
            GFP_KERNEL,
        )?;
        let events = |wq: &Arc<OwnedQueue>| NotifierEvents { wq: wq.clone() };
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
