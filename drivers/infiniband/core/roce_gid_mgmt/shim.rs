// SPDX-License-Identifier: GPL-2.0

//! The narrow C side of the piece: `roce_gid_mgmt_glue.c`.
//!
//! ib_core's GID cache and device enumeration are private to ib_core (`core_priv.h`), and the
//! net device relations and address lists are inline functions and macros; the glue gives them
//! plain signatures. This file wraps each in a safe function; nothing else in the piece is
//! `unsafe`.

use core::{ffi::c_void, marker::PhantomData, ptr};
use kernel::{
    alloc::flags::GFP_ATOMIC,
    bindings,
    net::device::NetDevice,
    prelude::*,
    rdma::{self, Gid, GidTypeMask},
    sync::{aref::ARef, rcu},
};

use super::filter::NetRel;

type PortCb =
    unsafe extern "C" fn(*mut c_void, *mut bindings::ib_device, u32, *mut bindings::net_device);
type NdevCb = unsafe extern "C" fn(*mut c_void, *mut bindings::net_device);
type AddrCb = unsafe extern "C" fn(*mut c_void, *const u8, u32);

// Only pointers to these structures cross the boundary; some of their members are empty
// structures in the configurations without reference tracking.
#[allow(improper_ctypes)]
extern "C" {
    fn rdma_rs_gid_add(
        ib_dev: *mut bindings::ib_device,
        port: u32,
        gid: *const u8,
        ndev: *mut bindings::net_device,
        gid_type: u32,
    ) -> c_int;
    fn rdma_rs_gid_del(
        ib_dev: *mut bindings::ib_device,
        port: u32,
        gid: *const u8,
        ndev: *mut bindings::net_device,
        gid_type: u32,
    ) -> c_int;
    fn rdma_rs_gid_set_default(
        ib_dev: *mut bindings::ib_device,
        port: u32,
        ndev: *mut bindings::net_device,
        gid_type_mask: c_ulong,
        set: bool,
    );
    fn rdma_rs_gid_del_all_netdev(
        ib_dev: *mut bindings::ib_device,
        port: u32,
        ndev: *mut bindings::net_device,
    );
    fn rdma_rs_walk_roce_ports(ib_dev: *mut bindings::ib_device, cb: PortCb, ctx: *mut c_void);
    fn rdma_rs_roce_port_netdev(
        ib_dev: *mut bindings::ib_device,
        port: u32,
    ) -> *mut bindings::net_device;
    fn rdma_rs_is_upper_dev_rcu(
        dev: *mut bindings::net_device,
        upper: *mut bindings::net_device,
    ) -> bool;
    fn rdma_rs_vlan_real_dev(dev: *mut bindings::net_device) -> *mut bindings::net_device;
    fn rdma_rs_bond_active_slave_rcu(bond: *mut bindings::net_device) -> *mut bindings::net_device;
    fn rdma_rs_master_upper_rcu(dev: *mut bindings::net_device) -> *mut bindings::net_device;
    fn rdma_rs_ndev_walk_addrs(ndev: *mut bindings::net_device, cb: AddrCb, ctx: *mut c_void);
    fn rdma_rs_ndev_walk_uppers(ndev: *mut bindings::net_device, cb: NdevCb, ctx: *mut c_void);
    fn rdma_rs_walk_netdevs(cb: NdevCb, ctx: *mut c_void);
}

/// Turns a possibly null net device pointer into a reference.
///
/// # Safety
///
/// A non-null `p` must stay referenced for `'a`.
unsafe fn opt_ndev<'a>(p: *mut bindings::net_device) -> Option<&'a NetDevice> {
    // SAFETY: Non-null, and referenced for `'a` (guaranteed by the caller).
    (!p.is_null()).then(|| unsafe { NetDevice::from_raw(p) })
}

/// A RoCE port, with the net device its driver reports for it (if any).
pub(super) struct RocePort<'a> {
    pub(super) dev: &'a rdma::Device,
    pub(super) port: u32,
    pub(super) ndev: Option<&'a NetDevice>,
}

impl RocePort<'_> {
    /// The GID types of the port (`roce_gid_type_mask_support()`).
    pub(super) fn gid_types(&self) -> GidTypeMask {
        self.dev
            .gid_type_mask(self.port)
            .unwrap_or(GidTypeMask::EMPTY)
    }

    /// Adds (`add`) or deletes `gid` of `ndev`, once for each type in `types`.
    pub(super) fn update_gid(&self, add: bool, gid: &Gid, ndev: &NetDevice, types: GidTypeMask) {
        let op = if add {
            rdma_rs_gid_add
        } else {
            rdma_rs_gid_del
        };
        for t in types.iter() {
            // SAFETY: The device and `ndev` are referenced during the call; `gid` is 16 bytes.
            // Failures (a full table, an existing or missing entry) are ignored, as in C.
            let _ = unsafe {
                op(
                    self.dev.as_raw(),
                    self.port,
                    gid.0.as_ptr(),
                    ndev.as_raw(),
                    t as u32,
                )
            };
        }
    }

    /// Sets (`set`) or deletes the default GIDs of `ndev`, for the types in `types`.
    pub(super) fn set_default_gids(&self, ndev: &NetDevice, types: GidTypeMask, set: bool) {
        // SAFETY: The device and `ndev` are referenced during the call.
        unsafe {
            rdma_rs_gid_set_default(
                self.dev.as_raw(),
                self.port,
                ndev.as_raw(),
                types.0 as c_ulong,
                set,
            )
        };
    }

    /// Deletes every GID of `ndev`.
    pub(super) fn del_all_gids_of(&self, ndev: &NetDevice) {
        // SAFETY: The device and `ndev` are referenced during the call.
        unsafe { rdma_rs_gid_del_all_netdev(self.dev.as_raw(), self.port, ndev.as_raw()) };
    }
}

/// Calls `f` for each RoCE port of `dev`, or of every registered device (`None`).
pub(super) fn for_each_roce_port<F: FnMut(&RocePort<'_>)>(dev: Option<&rdma::Device>, mut f: F) {
    /// # Safety
    ///
    /// `ctx` is the `F` of the enclosing call; the devices are referenced during the call.
    unsafe extern "C" fn tramp<F: FnMut(&RocePort<'_>)>(
        ctx: *mut c_void,
        ib_dev: *mut bindings::ib_device,
        port: u32,
        ndev: *mut bindings::net_device,
    ) {
        // SAFETY: `ctx` is the exclusive `&mut F` passed below, live during the walk.
        let f = unsafe { &mut *ctx.cast::<F>() };
        let p = RocePort {
            // SAFETY: The walk holds the device during the callback.
            dev: unsafe { rdma::Device::from_raw(ib_dev) },
            port,
            // SAFETY: The walk holds `ndev`, when it is not null, during the callback.
            ndev: unsafe { opt_ndev(ndev) },
        };
        f(&p);
    }
    let raw = dev.map_or(ptr::null_mut(), |d| d.as_raw());
    // SAFETY: `raw` is null or a referenced device; `tramp::<F>` gets `&mut f` back.
    unsafe { rdma_rs_walk_roce_ports(raw, tramp::<F>, (&raw mut f).cast()) };
}

/// The net device of `port` of `dev` if the port runs RoCE, referenced.
pub(super) fn roce_port_netdev(dev: &rdma::Device, port: u32) -> Option<ARef<NetDevice>> {
    // SAFETY: The device is referenced by the caller.
    let p = unsafe { rdma_rs_roce_port_netdev(dev.as_raw(), port) };
    // SAFETY: The glue returned a reference (from `ib_device_get_netdev()`), which the `ARef`
    // now owns.
    (!p.is_null()).then(|| unsafe { ARef::from_raw(ptr::NonNull::new_unchecked(p.cast())) })
}

/// An IP address of a net device.
#[derive(Clone, Copy)]
pub(super) enum IpAddr {
    V4([u8; 4]),
    V6([u8; 16]),
}

impl IpAddr {
    /// The GID of the address: IPv4-mapped for IPv4 (`rdma_ip2gid()`).
    pub(super) fn gid(&self) -> Gid {
        match *self {
            IpAddr::V4(a) => Gid::from_ipv4(a),
            IpAddr::V6(a) => Gid(a),
        }
    }
}

/// The IPv4, then IPv6, addresses of `ndev`; none once it is unregistering. Addresses that
/// cannot be stored (no memory) are skipped, as in C.
pub(super) fn addresses(ndev: &NetDevice) -> KVec<IpAddr> {
    /// # Safety
    ///
    /// `ctx` is the `KVec` of the enclosing call; `addr` points to `len` bytes.
    unsafe extern "C" fn tramp(ctx: *mut c_void, addr: *const u8, len: u32) {
        // SAFETY: `ctx` is the exclusive `&mut KVec` passed below.
        let v = unsafe { &mut *ctx.cast::<KVec<IpAddr>>() };
        let a = match len {
            // SAFETY: The glue passes 4 readable bytes for an IPv4 address.
            4 => IpAddr::V4(unsafe { ptr::read_unaligned(addr.cast()) }),
            // SAFETY: The glue passes 16 readable bytes for an IPv6 address.
            16 => IpAddr::V6(unsafe { ptr::read_unaligned(addr.cast()) }),
            _ => return,
        };
        // Atomic context: the address lists are walked under RCU or a read lock.
        let _ = v.push(a, GFP_ATOMIC);
    }
    let mut v = KVec::new();
    // SAFETY: `ndev` is referenced by the caller; `tramp` gets `&mut v` back.
    unsafe { rdma_rs_ndev_walk_addrs(ndev.as_raw(), tramp, (&raw mut v).cast()) };
    v
}

/// The upper devices of `ndev`, all levels, referenced.
pub(super) fn uppers(ndev: &NetDevice) -> KVec<ARef<NetDevice>> {
    /// # Safety
    ///
    /// `ctx` is the `KVec` of the enclosing call; `upper` is valid under RCU.
    unsafe extern "C" fn tramp(ctx: *mut c_void, upper: *mut bindings::net_device) {
        // SAFETY: `ctx` is the exclusive `&mut KVec` passed below.
        let v = unsafe { &mut *ctx.cast::<KVec<ARef<NetDevice>>>() };
        // SAFETY: The walk runs under the RCU read lock, which keeps `upper` allocated; the
        // `ARef` takes a reference of its own.
        let upper = ARef::from(unsafe { NetDevice::from_raw(upper) });
        let _ = v.push(upper, GFP_ATOMIC);
    }
    let mut v = KVec::new();
    // SAFETY: `ndev` is referenced by the caller; `tramp` gets `&mut v` back.
    unsafe { rdma_rs_ndev_walk_uppers(ndev.as_raw(), tramp, (&raw mut v).cast()) };
    v
}

/// Calls `f` for every net device of every namespace, under RTNL (they cannot move).
pub(super) fn for_each_netdev<F: FnMut(&NetDevice)>(mut f: F) {
    /// # Safety
    ///
    /// `ctx` is the `F` of the enclosing call; `ndev` is valid under RTNL.
    unsafe extern "C" fn tramp<F: FnMut(&NetDevice)>(
        ctx: *mut c_void,
        ndev: *mut bindings::net_device,
    ) {
        // SAFETY: `ctx` is the exclusive `&mut F` passed below.
        let f = unsafe { &mut *ctx.cast::<F>() };
        // SAFETY: RTNL and `net_rwsem` are held during the walk: the device stays registered.
        f(unsafe { NetDevice::from_raw(ndev) });
    }
    // SAFETY: `tramp::<F>` gets `&mut f` back.
    unsafe { rdma_rs_walk_netdevs(tramp::<F>, (&raw mut f).cast()) };
}

/// The net device relations, read under the RCU read lock.
pub(super) struct Rcu<'g>(PhantomData<&'g rcu::Guard>);

impl<'g> Rcu<'g> {
    pub(super) fn new(_guard: &'g rcu::Guard) -> Self {
        Self(PhantomData)
    }
}

impl<'g> NetRel for Rcu<'g> {
    type Dev = &'g NetDevice;

    fn is_upper(&self, dev: Self::Dev, upper: Self::Dev) -> bool {
        // SAFETY: Both are valid for `'g`, inside the RCU read-side section the walk needs.
        unsafe { rdma_rs_is_upper_dev_rcu(dev.as_raw(), upper.as_raw()) }
    }

    fn vlan_real_dev(&self, dev: Self::Dev) -> Option<Self::Dev> {
        // SAFETY: `dev` is valid; a VLAN device holds its real device.
        let p = unsafe { rdma_rs_vlan_real_dev(dev.as_raw()) };
        // SAFETY: The real device lives at least as long as its VLAN device.
        unsafe { opt_ndev(p) }
    }

    fn bond_active_slave(&self, bond: Self::Dev) -> Option<Self::Dev> {
        // SAFETY: `bond` is valid, inside an RCU read-side section.
        let p = unsafe { rdma_rs_bond_active_slave_rcu(bond.as_raw()) };
        // SAFETY: The slave is valid while the RCU read lock is held, for `'g`.
        unsafe { opt_ndev(p) }
    }

    fn master_upper(&self, dev: Self::Dev) -> Option<Self::Dev> {
        // SAFETY: `dev` is valid, inside an RCU read-side section.
        let p = unsafe { rdma_rs_master_upper_rcu(dev.as_raw()) };
        // SAFETY: The master is valid while the RCU read lock is held, for `'g`.
        unsafe { opt_ndev(p) }
    }

    fn is_bond_master(&self, dev: Self::Dev) -> bool {
        dev.is_bond_master()
    }

    fn is_bond_slave(&self, dev: Self::Dev) -> bool {
        dev.is_bond_slave()
    }
}
