// SPDX-License-Identifier: GPL-2.0

//! Network devices, `struct net_device`.
//!
//! C header: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h).

use crate::{
    bindings,
    fmt,
    sync::aref::AlwaysRefCounted,
    types::Opaque, //
};
use core::ptr::NonNull;

/// A network device, `struct net_device`.
///
/// A `&NetDevice` is valid while the caller holds a reference on the device: in a notifier
/// callback for it, under RCU for a device found under RCU, or through an
/// [`ARef<NetDevice>`](crate::sync::aref::ARef), which holds `dev_hold()`.
///
/// # Invariants
///
/// The wrapped `net_device` is allocated and referenced while a `&NetDevice` exists.
#[repr(transparent)]
pub struct NetDevice(Opaque<bindings::net_device>);

// SAFETY: `struct net_device` is used from any thread; its fields read here are either immutable
// after registration or read the way C reads them (see each method).
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
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct IfName {
    buf: [u8; bindings::IFNAMSIZ as usize],
    len: usize,
}

impl IfName {
    /// The name's bytes, without the terminating NUL.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl fmt::Display for IfName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(core::str::from_utf8(self.as_bytes()).unwrap_or("<renaming>"))
    }
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

    /// Returns the raw pointer.
    pub fn as_raw(&self) -> *mut bindings::net_device {
        self.0.get()
    }

    fn raw(&self) -> &bindings::net_device {
        // SAFETY: By the type invariant the device is allocated. The fields read through this
        // reference are read racily in C too (they change under RTNL); the methods copy them.
        unsafe { &*self.as_raw() }
    }

    /// The interface index.
    pub fn ifindex(&self) -> i32 {
        self.raw().ifindex
    }

    /// The interface name.
    pub fn name(&self) -> IfName {
        let mut name = IfName {
            buf: [0; bindings::IFNAMSIZ as usize],
            len: 0,
        };
        let src = (&raw const self.raw().name).cast::<u8>();
        for i in 0..name.buf.len() - 1 {
            // SAFETY: `i` is inside the array; a rename may rewrite it concurrently, as in C.
            let b = unsafe { core::ptr::read_volatile(src.add(i)) };
            if b == 0 {
                break;
            }
            name.buf[i] = b;
            name.len = i + 1;
        }
        name
    }

    /// The hardware type, `ARPHRD_*`.
    pub fn hw_type(&self) -> u16 {
        self.raw().type_
    }

    /// The MTU (`mtu`), as it is at the time of the read.
    pub fn mtu(&self) -> u32 {
        // SAFETY: `mtu` is a plain field; writers use `WRITE_ONCE()`, so a racing read sees
        // the old or the new value.
        unsafe { core::ptr::read_volatile(&raw const (*self.as_raw()).mtu) }
    }

    /// `true` for an Ethernet device (`ARPHRD_ETHER`).
    pub fn is_ether(&self) -> bool {
        u32::from(self.hw_type()) == bindings::ARPHRD_ETHER
    }

    /// The 48-bit hardware address, for a device whose addresses have that length.
    pub fn mac(&self) -> Option<[u8; 6]> {
        let raw = self.raw();
        if u32::from(raw.addr_len) != bindings::ETH_ALEN || raw.dev_addr.is_null() {
            return None;
        }
        let mut mac = [0u8; 6];
        // SAFETY: `dev_addr` points to `addr_len` (here 6) bytes while the device lives.
        unsafe { core::ptr::copy_nonoverlapping(raw.dev_addr, mac.as_mut_ptr(), 6) };
        Some(mac)
    }

    /// The device identifier that tells apart devices sharing one hardware address.
    pub fn dev_id(&self) -> u16 {
        self.raw().dev_id
    }

    /// The registration state.
    pub fn reg_state(&self) -> RegState {
        // SAFETY: Reading the byte-sized field with a volatile read, as `READ_ONCE()` does.
        let state = unsafe { core::ptr::read_volatile(&raw const self.raw().reg_state) };
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
}

impl PartialEq for NetDevice {
    fn eq(&self, other: &Self) -> bool {
        core::ptr::eq(self, other)
    }
}

impl Eq for NetDevice {}
