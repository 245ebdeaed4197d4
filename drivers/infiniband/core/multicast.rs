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
//! - [`rec`]: the rules of records and join states;
//! - [`backend::SaBackend`]: where SA queries go: ib_core's MCMemberRecord query, or the fake
//!   SA of `fake` in KUnit and the benchmark;
//! - [`ffi`]: the C boundary, the piece's only `unsafe` code.
//!
//! Port events (port error, LID change, client reregister) reset the port's groups, and their
//! members get `-ENETRESET`; a P_Key change resets a group whose P_Key moved.
//!
//! The four exported functions keep their C symbols in `multicast.c`, which calls the
//! `rdma_rs_sa_*` functions of [`ffi`] when this implementation runs.

use kernel::{
    debugfs,
    prelude::*,
    rdma::{
        event::{
            Event,
            EventHandler,
            EventKind,
            EventRegistration, //
        },
        Client,
        ClientGuard,
        DeviceGuard,
        RegisteredDevice, //
    },
    str::CString,
    sync::Arc,
    workqueue::{
        OwnedQueue,
        QueueFlag, //
    },
};

mod backend;
#[cfg(CONFIG_RDMA_RS_BENCH)]
mod bench;
#[cfg(any(CONFIG_KUNIT = "y", CONFIG_RDMA_RS_BENCH))]
mod fake;
mod ffi;
mod group;
mod member;
mod port;
mod rec;
#[cfg(CONFIG_KUNIT = "y")]
mod tests;

use backend::RealSa;
use group::State;
use port::Port;

/// The ports of a device with IB multicast (SA) support, indexed from its first port.
struct Ports {
    start: u32,
    ports: KVec<Option<Arc<Port>>>,
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
struct PortEventHandler(Arc<Ports>);

impl EventHandler for PortEventHandler {
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
///
/// Fields drop in order: the event handler, then the debugfs file, then the ports, which the
/// client's `remove()` empties first.
#[pin_data]
struct McastDevice {
    #[pin]
    events: EventRegistration<PortEventHandler>,
    #[pin]
    debugfs: debugfs::File<Arc<Ports>>,
    ports: Arc<Ports>,
}

/// The ib_client of the piece, named like C's.
struct McastClient;

kernel::rdma_client_registration!(static MCAST_CLIENT: McastClient);

impl Client for McastClient {
    const NAME: &'static CStr = c"ib_multicast";
    type Data = Pin<KBox<McastDevice>>;

    fn add(dev: &RegisteredDevice) -> Result<Self::Data> {
        // One ordered queue per device (C has one for all devices): what matters is that the
        // machine of a group never runs twice at once, and that removing a device can drain
        // and destroy the queue of its groups.
        let wq = Arc::new(
            OwnedQueue::new_ordered(c"ib_mcast_rs", QueueFlag::MemReclaim.into())?,
            GFP_KERNEL,
        )?;
        let guard: DeviceGuard = dev.try_get().ok_or(ENODEV)?;
        let sa: Arc<dyn backend::SaBackend> = Arc::new(RealSa { dev: guard }, GFP_KERNEL)?;
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
            },
            GFP_KERNEL,
        )?;
        let root = ffi::DEBUGFS_ROOT.lock().clone().ok_or(EINVAL)?;
        let name = CString::try_from_fmt(fmt!("{}", dev.name()))?;
        let handler = PortEventHandler(ports.clone());
        KBox::pin_init(
            try_pin_init!(McastDevice {
                events <- EventRegistration::new(dev, handler),
                debugfs <- root.read_callback_file(&name, ports.clone(), &|p: &Arc<Ports>, f| {
                    p.show(f)
                }),
                ports,
            }),
            GFP_KERNEL,
        )
    }

    /// `mcast_remove_one()`: the device's handler and debugfs file go, its queued work runs,
    /// every group leaves its port; the last reference on the device's queue goes here, so the
    /// queue is destroyed here, never by its own work.
    fn remove(_dev: &RegisteredDevice, data: Self::Data) {
        let ports = data.ports.clone();
        drop(data);
        for p in ports.iter() {
            p.flush();
        }
        for p in ports.iter() {
            p.shut_down();
        }
    }
}

/// The running piece. Fields drop in order: the client first (removes every device), then
/// the SA client (waits for its last query), then the debugfs folder.
struct Running {
    _client: ClientGuard<McastClient>,
    _sa_client: ffi::PieceSaClient,
    _debugfs: DebugfsRoot,
}

/// The debugfs folder `ib_sa_mcast`, for the devices' files; removed when dropped.
struct DebugfsRoot;

impl DebugfsRoot {
    fn create() -> Self {
        *ffi::DEBUGFS_ROOT.lock() = Some(debugfs::Dir::new(c"ib_sa_mcast"));
        Self
    }
}

impl Drop for DebugfsRoot {
    fn drop(&mut self) {
        let root = ffi::DEBUGFS_ROOT.lock().take();
        drop(root);
    }
}

impl Running {
    /// Starts the piece (`mcast_init()`): its debugfs folder, its SA client, its ib_client.
    fn start() -> Result<KBox<Self>> {
        let debugfs = DebugfsRoot::create();
        let sa_client = ffi::PieceSaClient::register()?;
        let client = MCAST_CLIENT.register()?;
        Ok(KBox::new(
            Self {
                _client: client,
                _sa_client: sa_client,
                _debugfs: debugfs,
            },
            GFP_KERNEL,
        )?)
    }
}
