// SPDX-License-Identifier: GPL-2.0

//! Rust RDMA client sample.
//!
//! Registers an `ib_client` and, for every RDMA device, publishes what the Rust RDMA abstractions
//! read from it in `/sys/kernel/debug/rust_rdma_client/<device>/info`:
//!
//! ```text
//! device rxe0 node_guid 5254:00ff:fe12:3456 ports 1-1
//! port 1 link_layer Ethernet state 4:ACTIVE active_mtu 1024 gid_tbl_len 1024 caps 0x802003
//! gid_types RoCE v2
//! gid 1 0 fe80:0000:0000:0000:5054:00ff:fe12:3456 RoCE v2 2
//! ```
//!
//! The `gid` lines (port, index, GID, type, net device ifindex) match the sysfs files
//! `ports/N/gids/I`, `gid_attrs/types/I` and `gid_attrs/ndevs/I`, which the rdma kselftests
//! check.

use kernel::{
    debugfs::{
        Dir,
        File, //
    },
    fmt,
    prelude::*,
    rdma,
    str::CString, //
};

module! {
    type: RustRdmaClient,
    name: "rust_rdma_client",
    authors: ["rdma-rs developers"],
    description: "Rust RDMA client sample",
    license: "GPL",
}

kernel::sync::global_lock! {
    // SAFETY: Initialised in the module initialiser, before the client is registered.
    unsafe(uninit) static ROOT: Mutex<Option<Dir>> = None;
}

struct SampleClient;

kernel::rdma_client_registration!(static CLIENT: SampleClient);

/// The debugfs entries of one device; the file goes before its directory.
#[pin_data]
struct DeviceEntry {
    #[pin]
    _info: File<DeviceInfo>,
    _dir: Dir,
}

/// Renders the `info` file, reading the device when the file is read. It keeps the device
/// registered until the client's `remove()` drops it, with the file.
struct DeviceInfo {
    dev: rdma::DeviceGuard,
}

impl DeviceInfo {
    fn write_port(&self, f: &mut fmt::Formatter<'_>, port: u32) -> fmt::Result {
        let dev = &self.dev;
        let (Ok(link), Ok(attr), Ok(caps), Ok(types)) = (
            dev.link_layer(port),
            dev.query_port(port),
            dev.port_caps(port),
            dev.gid_type_mask(port),
        ) else {
            return f.write_fmt(fmt!("port {} query failed\n", port));
        };
        f.write_fmt(fmt!(
            "port {} link_layer {} state {}:{} active_mtu {} gid_tbl_len {} caps {:#x}\n",
            port,
            link.as_str(),
            attr.state as u32,
            attr.state.as_str(),
            attr.active_mtu_bytes(),
            attr.gid_tbl_len,
            caps.as_raw(),
        ))?;
        f.write_str("gid_types")?;
        for t in types.iter() {
            f.write_fmt(fmt!(" {}", t.as_str()))?;
        }
        f.write_str("\n")?;
        let mut res = Ok(());
        let walk = dev.for_each_gid(port, |gid| {
            res = f.write_fmt(fmt!(
                "gid {} {} {} {} {}\n",
                port,
                gid.index(),
                gid.gid(),
                gid.gid_type().as_str(),
                gid.ndev_ifindex().unwrap_or(0),
            ));
            res.map_err(|_| ENOSPC)
        });
        if walk.is_err() && res.is_ok() {
            f.write_fmt(fmt!("port {} gid table read failed\n", port))?;
        }
        res?;
        // The IPv4 broadcast group of IPoIB (P_Key 0xffff), as the port's SA member record
        // has it: its MLID, or the errno (ENODEV on a port without an SA).
        let bcast = rdma::Gid([
            0xff, 0x12, 0x40, 0x1b, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
        ]);
        // SAFETY: This client is registered after ib_core's (the module depends on ib_core),
        // and `self` is read through the device's debugfs file, which the client's `remove()`
        // removes, waiting for its readers: `dev` is used within this client's
        // `add()`..`remove()` span.
        match unsafe { rdma::sa::mcmember_rec(dev, port, &bcast) } {
            Ok(rec) => f.write_fmt(fmt!(
                "sa_mcast port {} broadcast mlid {:#06x}\n",
                port,
                rec.mlid()
            )),
            Err(e) => f.write_fmt(fmt!("sa_mcast port {} broadcast {}\n", port, e.to_errno())),
        }
    }
}

// The debugfs file renders its value through `Debug` (see `kernel::debugfs::Writer`).
impl fmt::Debug for DeviceInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dev = &self.dev;
        let guid = dev.node_guid();
        let ports = dev.ports();
        f.write_fmt(fmt!(
            "device {} node_guid {:04x}:{:04x}:{:04x}:{:04x} ports {}-{}\n",
            dev.name(),
            guid >> 48,
            (guid >> 32) & 0xffff,
            (guid >> 16) & 0xffff,
            guid & 0xffff,
            ports.start(),
            ports.end(),
        ))?;
        for port in ports {
            self.write_port(f, port)?;
        }
        Ok(())
    }
}

impl rdma::Client for SampleClient {
    const NAME: &'static CStr = c"rust_rdma_client";
    type Data = Pin<KBox<DeviceEntry>>;

    fn add(dev: &rdma::RegisteredDevice) -> Result<Self::Data> {
        let name = CString::try_from_fmt(fmt!("{}", dev.name()))?;
        let root = ROOT.lock();
        let dir = root.as_ref().ok_or(ENODEV)?.subdir(&name);
        pr_debug!("adding {}\n", dev.name());
        KBox::pin_init(
            try_pin_init!(DeviceEntry {
                _info <- dir.read_only_file(c"info", DeviceInfo {
                    dev: dev.try_get().ok_or(ENODEV)?,
                }),
                _dir: dir,
            }),
            GFP_KERNEL,
        )
    }

    fn remove(dev: &rdma::RegisteredDevice, entry: Self::Data) {
        pr_debug!("removing {}\n", dev.name());
        // Removing the debugfs file waits for readers that still use the device.
        drop(entry);
    }
}

struct RustRdmaClient {
    _client: rdma::ClientGuard<SampleClient>,
}

impl kernel::Module for RustRdmaClient {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: Called once, before any other use of `ROOT`.
        unsafe { ROOT.init() };
        *ROOT.lock() = Some(Dir::new(c"rust_rdma_client"));
        Ok(RustRdmaClient {
            _client: CLIENT.register()?,
        })
    }
}

impl Drop for RustRdmaClient {
    fn drop(&mut self) {
        // `_client` is dropped after this, removing the per-device directories; the root goes
        // with the last of them.
        let root = ROOT.lock().take();
        drop(root);
    }
}
