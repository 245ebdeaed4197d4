// SPDX-License-Identifier: GPL-2.0

//! Network devices, `struct net_device`, and their relations: VLAN real devices, bonding masters
//! and active slaves, upper devices, and the addresses of a device.
//!
//! C headers: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h),
//! [`include/linux/if_vlan.h`](srctree/include/linux/if_vlan.h),
//! [`include/net/bonding.h`](srctree/include/net/bonding.h),
//! [`include/linux/inetdevice.h`](srctree/include/linux/inetdevice.h) and
//! [`include/net/addrconf.h`](srctree/include/net/addrconf.h).

use crate::{
    bindings,
    ffi::c_void,
    str::NameBuf,
    sync::{
        aref::AlwaysRefCounted,
        rcu, //
    },
    types::Opaque, //
};
use core::ptr::{
    addr_of,
    NonNull, //
};

/// A network device, `struct net_device`.
///
/// A `&NetDevice` is valid while the caller holds a reference on the device: in a notifier
/// callback for it, under RCU for a device found under RCU, or through an
/// [`ARef<NetDevice>`](crate::sync::aref::ARef), which holds `dev_hold()`.
///
/// The fields read here change under RTNL while other threads read them without it, as C
/// does; each is read on its own through a raw pointer with a volatile read (`READ_ONCE()`),
/// never through a reference to the whole structure.
///
/// # Invariants
///
/// The wrapped `net_device` is allocated and referenced while a `&NetDevice` exists.
#[repr(transparent)]
pub struct NetDevice(Opaque<bindings::net_device>);

// SAFETY: `struct net_device` is used from any thread; its fields are read the way C reads them
// (see the type's documentation).
unsafe impl Send for NetDevice {}
// SAFETY: As above; the methods only read.
unsafe impl Sync for NetDevice {}

// SAFETY: `dev_hold()`/`dev_put()` keep the device allocated.
unsafe impl AlwaysRefCounted for NetDevice {
    fn inc_ref(&self) {
        // SAFETY: By the type invariant the device is referenced.
        unsafe { bindings::dev_hold(self.as_raw()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller owns a reference taken by `inc_ref()`.
        unsafe { bindings::dev_put(obj.as_ptr().cast()) };
    }
}

/// The registration state of a net device, `dev->reg_state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RegState {
    /// `NETREG_UNINITIALIZED`.
    Uninitialized,
    /// `NETREG_REGISTERED`.
    Registered,
    /// `NETREG_UNREGISTERING`.
    Unregistering,
    /// `NETREG_UNREGISTERED`.
    Unregistered,
    /// `NETREG_RELEASED` or `NETREG_DUMMY`.
    Released,
}

/// The name of a net device, copied out of it (it can change under RTNL).
pub type IfName = NameBuf<{ bindings::IFNAMSIZ as usize }>;

/// Reads one field of the device at `$dev` (a `*mut net_device`) with a volatile read.
macro_rules! read_field {
    ($dev:expr, $($field:tt)+) => {
        // SAFETY: By the type invariant the device is allocated; the field is read on its own,
        // as C's `READ_ONCE()` does.
        unsafe { core::ptr::read_volatile(addr_of!((*$dev).$($field)+)) }
    };
}

impl NetDevice {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a `net_device` that stays referenced for `'a`.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::net_device) -> &'a NetDevice {
        // SAFETY: `NetDevice` is a transparent wrapper; the caller guarantees validity.
        unsafe { &*ptr.cast::<NetDevice>() }
    }

    /// Turns a possibly null pointer into a reference.
    ///
    /// # Safety
    ///
    /// A non-null `ptr` must point to a `net_device` that stays referenced for `'a`.
    pub unsafe fn from_raw_opt<'a>(ptr: *mut bindings::net_device) -> Option<&'a NetDevice> {
        // SAFETY: Non-null, and referenced for `'a` (guaranteed by the caller).
        (!ptr.is_null()).then(|| unsafe { Self::from_raw(ptr) })
    }

    /// Returns the raw pointer.
    pub fn as_raw(&self) -> *mut bindings::net_device {
        self.0.get()
    }

    /// The interface index.
    pub fn ifindex(&self) -> i32 {
        read_field!(self.as_raw(), ifindex)
    }

    /// The interface name.
    pub fn name(&self) -> IfName {
        // SAFETY: `name` is an array of `IFNAMSIZ` bytes of the allocated device.
        unsafe { IfName::read_volatile(addr_of!((*self.as_raw()).name).cast()) }
    }

    /// The hardware type, `ARPHRD_*`.
    pub fn hw_type(&self) -> u16 {
        read_field!(self.as_raw(), type_)
    }

    /// The MTU (`mtu`), as it is at the time of the read.
    pub fn mtu(&self) -> u32 {
        read_field!(self.as_raw(), mtu)
    }

    /// `true` for an Ethernet device (`ARPHRD_ETHER`).
    pub fn is_ether(&self) -> bool {
        u32::from(self.hw_type()) == bindings::ARPHRD_ETHER
    }

    /// The 48-bit hardware address, for a device whose addresses have that length.
    ///
    /// The address changes under RTNL; a caller that does not hold RTNL may see a torn address
    /// during a change, as C's unlocked readers do.
    pub fn mac(&self) -> Option<[u8; 6]> {
        let len: u8 = read_field!(self.as_raw(), addr_len);
        let addr: *const u8 = read_field!(self.as_raw(), dev_addr);
        if u32::from(len) != bindings::ETH_ALEN || addr.is_null() {
            return None;
        }
        let mut mac = [0u8; 6];
        for (i, b) in mac.iter_mut().enumerate() {
            // SAFETY: `dev_addr` points to `addr_len` (here 6) bytes while the device is
            // allocated; each byte is read on its own.
            *b = unsafe { core::ptr::read_volatile(addr.add(i)) };
        }
        Some(mac)
    }

    /// The device identifier that tells apart devices sharing one hardware address.
    pub fn dev_id(&self) -> u16 {
        read_field!(self.as_raw(), dev_id)
    }

    /// The registration state.
    pub fn reg_state(&self) -> RegState {
        let state: u8 = read_field!(self.as_raw(), reg_state);
        match u32::from(state) {
            bindings::netdev_reg_state_NETREG_UNINITIALIZED => RegState::Uninitialized,
            bindings::netdev_reg_state_NETREG_REGISTERED => RegState::Registered,
            bindings::netdev_reg_state_NETREG_UNREGISTERING => RegState::Unregistering,
            bindings::netdev_reg_state_NETREG_UNREGISTERED => RegState::Unregistered,
            _ => RegState::Released,
        }
    }

    /// A bonding master (`netif_is_bond_master()`).
    pub fn is_bond_master(&self) -> bool {
        // SAFETY: The device is valid; the helper reads two flag words.
        unsafe { bindings::netif_is_bond_master(self.as_raw()) }
    }

    /// A bonding slave (`netif_is_bond_slave()`).
    pub fn is_bond_slave(&self) -> bool {
        // SAFETY: The device is valid; the helper reads two flag words.
        unsafe { bindings::netif_is_bond_slave(self.as_raw()) }
    }

    /// The real device of a VLAN device (`rdma_vlan_dev_real_dev()`); `None` for any other
    /// device. A VLAN device holds its real device, so the reference lives as long as `self`.
    pub fn vlan_real_dev(&self) -> Option<&NetDevice> {
        // SAFETY: The device is valid; the helper reads its private data.
        let real = unsafe { bindings::netdev_vlan_real_dev(self.as_raw()) };
        // SAFETY: A VLAN device holds a reference on its real device until it is freed.
        unsafe { Self::from_raw_opt(real) }
    }

    /// The master upper device (`netdev_master_upper_dev_get_rcu()`), such as the bond of a
    /// bonding slave.
    pub fn master_upper<'a>(&'a self, _rcu: &'a rcu::Guard) -> Option<&'a NetDevice> {
        // SAFETY: The device is valid, and the RCU read lock is held.
        let master = unsafe { bindings::netdev_master_upper_dev_get_rcu(self.as_raw()) };
        // SAFETY: An upper device stays allocated until an RCU grace period after it is
        // unlinked, which the guard's read-side section holds off.
        unsafe { Self::from_raw_opt(master) }
    }

    /// The active slave of a bonding master that uses one (`bond_option_active_slave_get_rcu()`),
    /// `None` for a device that is not a bonding master or has no active slave.
    pub fn bond_active_slave<'a>(&'a self, _rcu: &'a rcu::Guard) -> Option<&'a NetDevice> {
        if !self.is_bond_master() {
            return None;
        }
        // SAFETY: The device is a valid bonding master, and the RCU read lock is held.
        let slave = unsafe { bindings::netdev_bond_active_slave_rcu(self.as_raw()) };
        // SAFETY: A slave stays allocated until an RCU grace period after it leaves the bond.
        unsafe { Self::from_raw_opt(slave) }
    }

    /// Whether `upper` is an upper device of this one at any level
    /// (`netdev_has_upper_dev_all_rcu()`).
    pub fn has_upper(&self, upper: &NetDevice, _rcu: &rcu::Guard) -> bool {
        // SAFETY: Both devices are valid, and the RCU read lock is held.
        unsafe { bindings::netdev_has_upper_dev_all_rcu(self.as_raw(), upper.as_raw()) }
    }

    /// Calls `f` for each upper device of this one, all levels
    /// (`netdev_walk_all_upper_dev_rcu()`).
    pub fn for_each_upper<'a, F: FnMut(&'a NetDevice)>(&'a self, _rcu: &'a rcu::Guard, mut f: F) {
        /// # Safety
        ///
        /// `priv_` is the `netdev_nested_priv` of the enclosing call, whose data is its `F`;
        /// `upper` is valid under the RCU read lock of the enclosing call.
        unsafe extern "C" fn walk<'a, F: FnMut(&'a NetDevice)>(
            upper: *mut bindings::net_device,
            priv_: *mut bindings::netdev_nested_priv,
        ) -> crate::ffi::c_int {
            // SAFETY: `data` is the exclusive `&mut F` of the enclosing call, live during the
            // walk.
            let f = unsafe { &mut *(*priv_).data.cast::<F>() };
            // SAFETY: The walk runs under the caller's RCU read lock, held for `'a`.
            f(unsafe { NetDevice::from_raw(upper) });
            0
        }
        let mut priv_ = bindings::netdev_nested_priv {
            flags: 0,
            data: (&raw mut f).cast::<c_void>(),
        };
        // SAFETY: The device is valid and the RCU read lock is held; `walk::<F>` gets `&mut f`
        // back through `priv_`, which outlives the call.
        unsafe {
            bindings::netdev_walk_all_upper_dev_rcu(self.as_raw(), Some(walk::<'a, F>), &mut priv_)
        };
    }

    /// Calls `f` with each IPv4 address of the device (network byte order, as bytes).
    pub fn for_each_ipv4_addr(&self, _rcu: &rcu::Guard, mut f: impl FnMut([u8; 4])) {
        // SAFETY: The device is valid and the RCU read lock is held.
        let mut ifa = unsafe { bindings::netdev_ifa_first_rcu(self.as_raw()) };
        while !ifa.is_null() {
            // SAFETY: `ifa` is an address of the device, valid under the RCU read lock.
            let addr = unsafe { core::ptr::read_volatile(addr_of!((*ifa).ifa_address)) };
            f(addr.to_ne_bytes());
            // SAFETY: As above.
            ifa = unsafe { bindings::netdev_ifa_next_rcu(ifa) };
        }
    }

    /// Calls `f` with each IPv6 address of the device, in atomic context: `f` must not sleep.
    pub fn for_each_ipv6_addr<F: FnMut([u8; 16])>(&self, mut f: F) {
        /// # Safety
        ///
        /// `ctx` is the `F` of the enclosing call; `addr` points to 16 bytes.
        unsafe extern "C" fn each<F: FnMut([u8; 16])>(ctx: *mut c_void, addr: *const u8) {
            // SAFETY: `ctx` is the exclusive `&mut F` of the enclosing call.
            let f = unsafe { &mut *ctx.cast::<F>() };
            // SAFETY: The helper passes 16 readable bytes.
            f(unsafe { core::ptr::read_unaligned(addr.cast::<[u8; 16]>()) });
        }
        // SAFETY: The device is valid; `each::<F>` gets `&mut f` back.
        unsafe {
            bindings::netdev_for_each_ipv6_addr(
                self.as_raw(),
                Some(each::<F>),
                (&raw mut f).cast::<c_void>(),
            )
        };
    }
}

impl PartialEq for NetDevice {
    fn eq(&self, other: &Self) -> bool {
        core::ptr::eq(self, other)
    }
}

impl Eq for NetDevice {}

/// Calls `f` for every net device of every network namespace, with RTNL and `net_rwsem` held so
/// that no device moves between namespaces meanwhile; `f` may sleep.
pub fn for_each_netdev<F: FnMut(&NetDevice)>(mut f: F) {
    /// # Safety
    ///
    /// `ctx` is the `F` of the enclosing call; `ndev` is registered while RTNL is held.
    unsafe extern "C" fn each<F: FnMut(&NetDevice)>(
        ctx: *mut c_void,
        ndev: *mut bindings::net_device,
    ) {
        // SAFETY: `ctx` is the exclusive `&mut F` of the enclosing call.
        let f = unsafe { &mut *ctx.cast::<F>() };
        // SAFETY: RTNL is held during the walk: the device stays registered.
        f(unsafe { NetDevice::from_raw(ndev) });
    }
    // SAFETY: `each::<F>` gets `&mut f` back.
    unsafe { bindings::netdev_walk_all_nets(Some(each::<F>), (&raw mut f).cast::<c_void>()) };
}
