// SPDX-License-Identifier: GPL-2.0

//! What an event does to the GID tables: the commands of `roce_gid_mgmt.c`.
//!
//! A net device event turns into up to three commands, run in order on the ordered workqueue.
//! Each command visits every RoCE port, keeps those its [`Filter`] selects for `filter_ndev`,
//! and applies its [`Action`] with `ndev`.

use super::{
    ffi,
    filter::{
        bond_join_deletes_defaults,
        Filter,
        NetRel, //
    },
    net::{
        self,
        LiveNet, //
    },
    port::RocePort,
};
use kernel::{
    net::device::{
        for_each_netdev,
        NetDevice,
        RegState, //
    },
    rdma::{
        PortCaps,
        RegisteredDevice, //
    },
    sync::{
        aref::ARef,
        rcu, //
    },
};

/// What a command does on each port it selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// `add_netdev_ips()`: the GIDs of the addresses of `ndev`.
    AddIps,
    /// `add_netdev_upper_ips()`: the same for `ndev` and each of its upper devices.
    AddUpperIps,
    /// `del_netdev_ips()`: remove every GID of `ndev`.
    DelIps,
    /// `del_netdev_upper_ips()`: the same for `ndev` and each of its upper devices.
    DelUpperIps,
    /// `add_default_gids()`: the default GIDs of `ndev`.
    AddDefaultGids,
    /// `del_default_gids()`: remove the default GIDs of `ndev`.
    DelDefaultGids,
    /// `del_netdev_default_ips_join()`: a port device joined a bond; its default GIDs go.
    DelDefaultGidsOnJoin,
}

/// One command: an action on the ports a filter selects.
pub(crate) struct Cmd {
    pub(crate) filter: Filter,
    pub(crate) filter_ndev: ARef<NetDevice>,
    pub(crate) action: Action,
    pub(crate) ndev: ARef<NetDevice>,
}

impl Cmd {
    /// A command whose filter and action both use `ndev`.
    pub(crate) fn on(filter: Filter, action: Action, ndev: &NetDevice) -> Self {
        Self::with(filter, ndev, action, ndev)
    }

    /// A command with a filter device and an action device.
    pub(crate) fn with(
        filter: Filter,
        filter_ndev: &NetDevice,
        action: Action,
        ndev: &NetDevice,
    ) -> Self {
        Self {
            filter,
            filter_ndev: filter_ndev.into(),
            action,
            ndev: ndev.into(),
        }
    }

    /// Runs the command on every RoCE port (`ib_enum_all_roce_netdevs()`).
    pub(crate) fn run(&self) {
        ffi::for_each_roce_port(None, |p| {
            if selects(self.filter, p, &self.filter_ndev) {
                apply(self.action, p, &self.ndev);
            }
        });
    }
}

/// Whether `filter` selects port `p` for an event of `event`.
pub(crate) fn selects(filter: Filter, p: &RocePort<'_>, event: &NetDevice) -> bool {
    let guard = rcu::read_lock();
    filter.matches(&LiveNet::new(&guard), p.ndev(), event)
}

/// The GIDs of every address of `ndev` (`_add_netdev_ips()`).
pub(crate) fn add_ips(p: &RocePort<'_>, ndev: &NetDevice) {
    if ndev.reg_state() >= RegState::Unregistering {
        return;
    }
    for gid in net::address_gids(ndev).iter() {
        p.update_gid(true, gid, ndev);
    }
}

/// Runs `f` on `ndev`, then on each of its upper devices (`handle_netdev_upper()`).
fn with_uppers(ndev: &NetDevice, mut f: impl FnMut(&NetDevice)) {
    let uppers = net::uppers(ndev);
    f(ndev);
    for u in uppers.iter() {
        f(u);
    }
}

/// Applies `action` with `ndev` on the port `p`.
pub(crate) fn apply(action: Action, p: &RocePort<'_>, ndev: &NetDevice) {
    match action {
        Action::AddIps => add_ips(p, ndev),
        Action::AddUpperIps => with_uppers(ndev, |d| add_ips(p, d)),
        Action::DelIps => p.del_all_gids_of(ndev),
        Action::DelUpperIps => with_uppers(ndev, |d| p.del_all_gids_of(d)),
        Action::AddDefaultGids => p.set_default_gids(ndev, true),
        Action::DelDefaultGids => p.set_default_gids(ndev, false),
        Action::DelDefaultGidsOnJoin => {
            let Some(rdma) = p.ndev() else {
                return;
            };
            // Only `rdma`'s default GIDs are touched: the master is needed
            // just for the check, inside one RCU read-side section.
            let deletes = {
                let guard = rcu::read_lock();
                let r = LiveNet::new(&guard);
                r.master_upper(rdma)
                    .is_some_and(|master| bond_join_deletes_defaults(&r, rdma, master))
            };
            if deletes {
                p.set_default_gids(rdma, false);
            }
        }
    }
}

/// The default GIDs and the address GIDs of every net device for `p`
/// (`enum_all_gids_of_dev_cb()`).
fn scan_port(p: &RocePort<'_>) {
    for_each_netdev(|ndev| {
        if selects(Filter::NdevForDefaultGid, p, ndev) {
            p.set_default_gids(ndev, true);
        }
        if selects(Filter::EthPortOfNetdev, p, ndev) {
            add_ips(p, ndev);
        }
    });
}

/// Adds the GIDs of every net device to the RoCE ports of `dev` (`rdma_roce_rescan_device()`).
pub(crate) fn rescan_device(dev: &RegisteredDevice) {
    ffi::for_each_roce_port(Some(dev), scan_port);
}

/// The same for one port, if it runs RoCE and has a net device (`rdma_roce_rescan_port()`).
pub(crate) fn rescan_port(dev: &RegisteredDevice, port: u32) {
    if !dev.port_caps(port).is_ok_and(PortCaps::is_roce) {
        return;
    }
    if let Some(ndev) = dev.port_netdev(port) {
        if let Some(p) = RocePort::new(dev, port, Some(&ndev)) {
            scan_port(&p);
        }
    }
}
