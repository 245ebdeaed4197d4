// SPDX-License-Identifier: GPL-2.0

//! A RoCE port of an RDMA device, with the net device its driver reports for it, and what the
//! piece does to the port's GID table.

use super::ffi;
use kernel::{
    net::device::NetDevice,
    rdma::{
        Gid,
        GidTypeMask,
        PortCaps,
        RegisteredDevice, //
    },
};

/// A RoCE port, with the net device its driver reports for it (if any).
///
/// # Invariants
///
/// `port` is a port of `dev` that runs RoCE, so ib_core's GID cache has a RoCE table for it.
pub(crate) struct RocePort<'a> {
    dev: &'a RegisteredDevice,
    port: u32,
    ndev: Option<&'a NetDevice>,
}

impl<'a> RocePort<'a> {
    /// Port `port` of `dev`, with `ndev`; `None` unless it is a port of `dev` that runs RoCE.
    pub(crate) fn new(
        dev: &'a RegisteredDevice,
        port: u32,
        ndev: Option<&'a NetDevice>,
    ) -> Option<Self> {
        // INVARIANT: `port_caps()` fails for a port `dev` does not have.
        dev.port_caps(port)
            .is_ok_and(PortCaps::is_roce)
            .then_some(Self { dev, port, ndev })
    }

    /// The device.
    pub(crate) fn dev(&self) -> &'a RegisteredDevice {
        self.dev
    }

    /// The port number.
    pub(crate) fn port(&self) -> u32 {
        self.port
    }

    /// The net device the driver reports for the port, if any.
    pub(crate) fn ndev(&self) -> Option<&'a NetDevice> {
        self.ndev
    }
}

impl RocePort<'_> {
    /// The GID types of the port (`roce_gid_type_mask_support()`).
    pub(crate) fn gid_types(&self) -> GidTypeMask {
        self.dev
            .gid_type_mask(self.port)
            .unwrap_or(GidTypeMask::empty())
    }

    /// Adds (`add`) or deletes `gid` of `ndev`, once for each GID type of the port
    /// (`update_gid()`). Failures (a full table, an existing or missing entry) are ignored, as
    /// in C.
    pub(crate) fn update_gid(&self, add: bool, gid: &Gid, ndev: &NetDevice) {
        for t in self.gid_types().iter() {
            let _ = ffi::update_gid_entry(self, add, gid, ndev, t);
        }
    }

    /// Sets (`set`) or deletes the default GIDs of `ndev` for every GID type of the port.
    pub(crate) fn set_default_gids(&self, ndev: &NetDevice, set: bool) {
        ffi::set_default_gids(self, ndev, self.gid_types(), set);
    }

    /// Deletes every GID of `ndev`.
    pub(crate) fn del_all_gids_of(&self, ndev: &NetDevice) {
        ffi::del_all_gids_of(self, ndev);
    }
}
