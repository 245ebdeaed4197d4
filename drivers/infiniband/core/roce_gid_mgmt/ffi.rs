// SPDX-License-Identifier: GPL-2.0

//! The piece's C boundary, and the only place of its `unsafe` code: the entry points that
//! `roce_gid_mgmt.c` calls when this implementation runs, and `roce_gid_mgmt_glue.c`, which
//! gives plain signatures to ib_core's private GID cache and device enumeration
//! (`core_priv.h`).

use super::{
    cmd,
    port::RocePort,
    GidMgmt, //
};
use core::ffi::c_void;
use kernel::{
    bindings,
    error::to_result,
    net::device::NetDevice,
    prelude::*,
    rdma::{
        piece,
        Gid,
        GidType,
        GidTypeMask,
        RegisteredDevice, //
    },
};

/// Adds (`add`) or deletes the GID table entry of `gid` with type `t` for `ndev` on the port
/// (`ib_cache_gid_add()`, `ib_cache_gid_del()`).
pub(super) fn update_gid_entry(
    p: &RocePort<'_>,
    add: bool,
    gid: &Gid,
    ndev: &NetDevice,
    t: GidType,
) -> Result {
    let op = if add {
        bindings::rdma_rs_gid_add
    } else {
        bindings::rdma_rs_gid_del
    };
    // SAFETY: The device is registered and `ndev` referenced during the call, and the port is
    // one of the device's RoCE ports (type invariant of `RocePort`); `gid` is 16 readable
    // bytes.
    to_result(unsafe {
        op(
            p.dev().as_raw(),
            p.port(),
            gid.0.as_ptr(),
            ndev.as_raw(),
            t as u32,
        )
    })
}

/// Sets (`set`) or deletes the default GIDs of `ndev` on the port, for the types in `types`
/// (`ib_cache_gid_set_default_gid()`).
pub(super) fn set_default_gids(p: &RocePort<'_>, ndev: &NetDevice, types: GidTypeMask, set: bool) {
    // SAFETY: The device is registered and `ndev` referenced during the call, and the port is
    // one of the device's RoCE ports (type invariant of `RocePort`).
    unsafe {
        bindings::rdma_rs_gid_set_default(
            p.dev().as_raw(),
            p.port(),
            ndev.as_raw(),
            types.as_raw() as c_ulong,
            set,
        )
    };
}

/// Deletes every GID of `ndev` on the port (`ib_cache_gid_del_all_netdev_gids()`).
pub(super) fn del_all_gids_of(p: &RocePort<'_>, ndev: &NetDevice) {
    // SAFETY: The device is registered and `ndev` referenced during the call, and the port is
    // one of the device's RoCE ports (type invariant of `RocePort`).
    unsafe { bindings::rdma_rs_gid_del_all_netdev(p.dev().as_raw(), p.port(), ndev.as_raw()) };
}

/// Calls `f` for each RoCE port of `dev`, or of every registered device (`None`)
/// (`ib_enum_roce_netdev()`, `ib_enum_all_roce_netdevs()`).
pub(super) fn for_each_roce_port<F: FnMut(&RocePort<'_>)>(
    dev: Option<&RegisteredDevice>,
    mut f: F,
) {
    /// # Safety
    ///
    /// `ctx` is the `F` of the enclosing call; the walk keeps the device registered and holds
    /// `ndev`, when it is not null, during the callback.
    unsafe extern "C" fn each<F: FnMut(&RocePort<'_>)>(
        ctx: *mut c_void,
        ib_dev: *mut bindings::ib_device,
        port: u32,
        ndev: *mut bindings::net_device,
    ) {
        // SAFETY: `ctx` is the exclusive `&mut F` passed below, live during the walk.
        let f = unsafe { &mut *ctx.cast::<F>() };
        // SAFETY: The walk holds the device registration lock during the callback.
        let dev = unsafe { RegisteredDevice::from_raw(ib_dev) };
        // SAFETY: The walk holds `ndev`, when it is not null, during the callback.
        let ndev = unsafe { NetDevice::from_raw_opt(ndev) };
        // The walk visits RoCE ports only, which `RocePort::new()` checks again.
        if let Some(p) = RocePort::new(dev, port, ndev) {
            f(&p);
        }
    }
    let raw = dev.map_or(core::ptr::null_mut(), |d| d.as_raw());
    // SAFETY: `raw` is null or a registered device; `each::<F>` gets `&mut f` back.
    unsafe { bindings::rdma_rs_walk_roce_ports(raw, Some(each::<F>), (&raw mut f).cast()) };
}

/// Starts the piece (`roce_gid_mgmt_init()`); `*state` gets what
/// [`rdma_rs_roce_gid_mgmt_cleanup`] takes back.
///
/// # Safety
///
/// `state` must be valid for writes. Called once, from `ib_core`'s init.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_roce_gid_mgmt_init(state: *mut *mut c_void) -> c_int {
    // SAFETY: `state` is valid for a write; `rdma_rs_roce_gid_mgmt_cleanup()` stops the piece.
    unsafe { piece::start(state, GidMgmt::new) }
}

/// Stops the piece (`roce_gid_mgmt_cleanup()`): unregisters the notifiers and runs the work
/// still queued.
///
/// # Safety
///
/// `state` must come from a successful [`rdma_rs_roce_gid_mgmt_init`], and is not used after.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_roce_gid_mgmt_cleanup(state: *mut c_void) {
    // SAFETY: `state` is what `rdma_rs_roce_gid_mgmt_init()` stored, used no more.
    unsafe { piece::stop::<Pin<KBox<GidMgmt>>>(state) };
}

/// Adds the GIDs of every net device to the RoCE ports of `ib_dev` (`rdma_roce_rescan_device()`).
///
/// # Safety
///
/// `ib_dev` must point to a device that is registered, or being registered by its driver (so
/// its operations may be called), during the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_roce_rescan_device(ib_dev: *mut bindings::ib_device) {
    // SAFETY: Guaranteed by the caller.
    cmd::rescan_device(unsafe { RegisteredDevice::from_raw(ib_dev) });
}

/// The same for one port, if it runs RoCE and has a net device (`rdma_roce_rescan_port()`).
///
/// # Safety
///
/// As for [`rdma_rs_roce_rescan_device`].
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_roce_rescan_port(
    ib_dev: *mut bindings::ib_device,
    port: u32,
) {
    // SAFETY: Guaranteed by the caller.
    cmd::rescan_port(unsafe { RegisteredDevice::from_raw(ib_dev) }, port);
}

/// Removes every GID of `ndev` from `port` (`roce_del_all_netdev_gids()`).
///
/// # Safety
///
/// As for [`rdma_rs_roce_rescan_device`], and `ndev` must stay referenced during the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_roce_del_all_netdev_gids(
    ib_dev: *mut bindings::ib_device,
    port: u32,
    ndev: *mut bindings::net_device,
) {
    // SAFETY: Guaranteed by the caller.
    let (dev, ndev) = unsafe {
        (
            RegisteredDevice::from_raw(ib_dev),
            NetDevice::from_raw(ndev),
        )
    };
    // A port that does not run RoCE has no RoCE GIDs to delete.
    if let Some(p) = RocePort::new(dev, port, None) {
        p.del_all_gids_of(ndev);
    }
}

/// The GID types `port` of `ib_dev` supports: `roce_gid_type_mask_support()`.
///
/// For a port number the device does not have, the C function reads out of bounds; this one
/// returns the empty mask.
///
/// # Safety
///
/// `ib_dev` must point to a device that has been registered and stays referenced during the
/// call.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_roce_gid_type_mask_support(
    ib_dev: *mut bindings::ib_device,
    port: u32,
) -> c_ulong {
    // SAFETY: Guaranteed by the caller.
    let dev = unsafe { kernel::rdma::Device::from_raw(ib_dev) };
    dev.gid_type_mask(port)
        .map_or(0, |mask| mask.as_raw() as c_ulong)
}
