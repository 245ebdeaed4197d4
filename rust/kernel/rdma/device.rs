// SPDX-License-Identifier: GPL-2.0

//! RDMA devices, `struct ib_device`.
//!
//! Two views of a device:
//!
//! - [`Device`]: the memory of a device, kept by an [`ARef<Device>`](crate::sync::aref::ARef)
//!   (a reference on the embedded `struct device`). It reads what is set up before the device is
//!   registered and stays until it is freed: name, node GUID and type, ports, their immutable
//!   capabilities and table sizes.
//! - [`RegisteredDevice`]: a device that stays registered while the reference lives. Only it
//!   reaches the driver's operations (`ib_query_port()`, the link layer, the GID and P_Key
//!   tables): once a device is unregistered, its driver may be gone. A `&RegisteredDevice` is
//!   handed to `ib_client` callbacks, and a [`DeviceGuard`] from
//!   [`Device::try_get`] (`ib_device_try_get()`) holds one, delaying the unregistration until
//!   it is dropped.
//!
//! C header: [`include/rdma/ib_verbs.h`](srctree/include/rdma/ib_verbs.h).

use super::{
    gid::{
        Gid,
        GidAttr,
        GidType,
        GidTypeMask, //
    },
    port::{
        LinkLayer,
        PortAttr,
        PortCaps, //
    },
};
use crate::{
    bindings,
    error::{
        code::EINVAL,
        from_err_ptr,
        to_result,
        Result, //
    },
    net::device::NetDevice,
    prelude::*,
    str::NameBuf,
    sync::aref::AlwaysRefCounted,
    types::Opaque, //
};
use core::{
    ops::{
        Deref,
        RangeInclusive, //
    },
    ptr::{
        addr_of,
        NonNull, //
    },
};

/// An RDMA device, `struct ib_device`.
///
/// A `&Device` is valid while the caller holds a reference on the device: inside an
/// `ib_client` callback, or through an [`ARef<Device>`](crate::sync::aref::ARef).
/// It reads only what the core sets up when the device is registered and keeps until the device
/// is freed, one field at a time through raw pointers; it calls no driver operation (see
/// [`RegisteredDevice`]).
///
/// # Invariants
///
/// The wrapped `ib_device` was allocated by `_ib_alloc_device()` and registered at least once
/// (so its port data is allocated), and its reference count is non-zero while a `&Device`
/// exists.
#[repr(transparent)]
pub struct Device(Opaque<bindings::ib_device>);

// SAFETY: `struct ib_device` is used from any thread; the fields read here are read the way C
// reads them, and the core serialises the operations that need it.
unsafe impl Send for Device {}
// SAFETY: All methods take `&self` and call C functions that are safe to call concurrently.
unsafe impl Sync for Device {}

// SAFETY: `get_device()` and `put_device()` on the embedded `struct device` keep the
// `ib_device` allocated: its release function frees it when the last reference goes.
unsafe impl AlwaysRefCounted for Device {
    fn inc_ref(&self) {
        // SAFETY: By the type invariant the device is referenced, so another one may be taken.
        unsafe { bindings::get_device(&raw mut (*self.as_raw()).__bindgen_anon_1.dev) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        let ibdev = obj.as_ptr().cast::<bindings::ib_device>();
        // SAFETY: The caller owns one reference, taken by `inc_ref()`.
        unsafe { bindings::put_device(&raw mut (*ibdev).__bindgen_anon_1.dev) };
    }
}

/// The name of an RDMA device, copied out of the device (it can change on rename).
pub type DeviceName = NameBuf<{ bindings::IB_DEVICE_NAME_MAX as usize }>;

/// The kind of node a device is (`enum rdma_node_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeType {
    /// An InfiniBand channel adapter, `RDMA_NODE_IB_CA` (RoCE devices are too).
    IbCa,
    /// An InfiniBand switch, `RDMA_NODE_IB_SWITCH`.
    IbSwitch,
    /// An InfiniBand router, `RDMA_NODE_IB_ROUTER`.
    IbRouter,
    /// An iWARP NIC, `RDMA_NODE_RNIC`.
    Rnic,
    /// A usNIC device, `RDMA_NODE_USNIC` or `RDMA_NODE_USNIC_UDP`.
    Usnic,
    /// `RDMA_NODE_UNSPECIFIED`, or a value the core does not know.
    Unspecified,
}

impl NodeType {
    /// Converts the C value.
    pub fn from_raw(raw: u8) -> Self {
        match u32::from(raw) {
            bindings::RDMA_NODE_IB_CA => Self::IbCa,
            bindings::RDMA_NODE_IB_SWITCH => Self::IbSwitch,
            bindings::RDMA_NODE_IB_ROUTER => Self::IbRouter,
            bindings::RDMA_NODE_RNIC => Self::Rnic,
            bindings::RDMA_NODE_USNIC | bindings::RDMA_NODE_USNIC_UDP => Self::Usnic,
            _ => Self::Unspecified,
        }
    }
}

impl Device {
    /// Creates a reference to a device from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to an `ib_device` that has been registered and stays referenced for
    /// the lifetime `'a`.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::ib_device) -> &'a Device {
        // SAFETY: `Device` is a transparent wrapper; the caller guarantees validity for `'a`.
        unsafe { &*ptr.cast::<Device>() }
    }

    /// Returns the raw pointer to the `struct ib_device`.
    pub fn as_raw(&self) -> *mut bindings::ib_device {
        self.0.get()
    }

    /// The device name, such as `rxe0` (`dev_name(&ibdev->dev)`).
    pub fn name(&self) -> DeviceName {
        // SAFETY: `name` is an array of `IB_DEVICE_NAME_MAX` bytes of the allocated device,
        // which a rename may rewrite: it is read byte by byte.
        unsafe { DeviceName::read_volatile(addr_of!((*self.as_raw()).name).cast()) }
    }

    /// The node GUID, in host byte order.
    pub fn node_guid(&self) -> u64 {
        // SAFETY: The device is allocated (type invariant); the field is read on its own (a
        // driver may change it with `ib_device_set_node_guid()`-like updates).
        u64::from_be(unsafe { core::ptr::read_volatile(addr_of!((*self.as_raw()).node_guid)) })
    }

    /// The node type.
    pub fn node_type(&self) -> NodeType {
        // SAFETY: The device is allocated (type invariant); the field is set before
        // registration and does not change.
        NodeType::from_raw(unsafe { (*self.as_raw()).node_type })
    }

    /// The number of physical ports.
    pub fn phys_port_cnt(&self) -> u32 {
        // SAFETY: As for `node_type()`.
        unsafe { (*self.as_raw()).phys_port_cnt }
    }

    /// The valid port numbers, `rdma_start_port()..=rdma_end_port()`.
    pub fn ports(&self) -> RangeInclusive<u32> {
        // SAFETY: The device is valid (type invariant); the helpers only read its fields.
        unsafe { bindings::rdma_start_port(self.as_raw())..=bindings::rdma_end_port(self.as_raw()) }
    }

    /// Checks that `port` is a valid port number of this device.
    pub fn check_port(&self, port: u32) -> Result {
        if self.ports().contains(&port) {
            Ok(())
        } else {
            Err(EINVAL)
        }
    }

    /// The immutable attributes of `port`, set up before the device is registered and kept
    /// until it is freed.
    fn port_immutable(&self, port: u32) -> Result<*const bindings::ib_port_immutable> {
        self.check_port(port)?;
        // SAFETY: `port_data` has an entry for every valid port number of a device that has
        // been registered (type invariant); only the entry's address is taken.
        Ok(unsafe { addr_of!((*(*self.as_raw()).port_data.add(port as usize)).immutable) })
    }

    /// The immutable core capabilities of `port`.
    pub fn port_caps(&self, port: u32) -> Result<PortCaps> {
        let imm = self.port_immutable(port)?;
        // SAFETY: `imm` points to the port's immutable attributes, which do not change.
        Ok(PortCaps::from_raw(unsafe { (*imm).core_cap_flags }))
    }

    /// The GID types `port` supports (`roce_gid_type_mask_support()`).
    pub fn gid_type_mask(&self, port: u32) -> Result<GidTypeMask> {
        Ok(GidTypeMask::for_port_caps(self.port_caps(port)?))
    }

    /// The size of the GID table of `port`.
    pub fn gid_tbl_len(&self, port: u32) -> Result<u32> {
        let imm = self.port_immutable(port)?;
        // SAFETY: As for `port_caps()`.
        u32::try_from(unsafe { (*imm).gid_tbl_len }).map_err(|_| EINVAL)
    }

    /// A guard that keeps the device registered (`ib_device_try_get()`), or `None` if it is
    /// being unregistered.
    #[inline]
    pub fn try_get(&self) -> Option<DeviceGuard> {
        // SAFETY: The device is allocated (type invariant); the helper takes a reference on its
        // registration if it still has one.
        if !unsafe { bindings::ib_device_try_get(self.as_raw()) } {
            return None;
        }
        // INVARIANT: The reference taken above passes to the guard.
        Some(DeviceGuard {
            ptr: NonNull::from(self),
        })
    }
}

/// A registered RDMA device: its driver's operations may be called.
///
/// # Invariants
///
/// The device stays registered while a `&RegisteredDevice` exists: the caller holds a reference
/// on its registration (`ib_device_try_get()`), or runs in a callback during which the core
/// keeps it registered.
#[repr(transparent)]
pub struct RegisteredDevice(Device);

impl Deref for RegisteredDevice {
    type Target = Device;

    fn deref(&self) -> &Device {
        &self.0
    }
}

impl RegisteredDevice {
    /// Creates a reference to a registered device from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to an `ib_device` that stays registered for the lifetime `'a`: inside a
    /// client callback for it, or while a reference on its registration is held.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::ib_device) -> &'a RegisteredDevice {
        // SAFETY: `RegisteredDevice` is a transparent wrapper of `Device`; the caller
        // guarantees the registration for `'a`.
        unsafe { &*ptr.cast::<RegisteredDevice>() }
    }

    /// The link layer of `port` (`rdma_port_get_link_layer()`).
    #[inline]
    pub fn link_layer(&self, port: u32) -> Result<LinkLayer> {
        self.check_port(port)?;
        // SAFETY: The device is registered (type invariant) and `port` is one of its ports.
        Ok(LinkLayer::from_raw(unsafe {
            bindings::rdma_port_get_link_layer(self.as_raw(), port)
        }))
    }

    /// Queries the attributes of `port` (`ib_query_port()`).
    #[inline]
    pub fn query_port(&self, port: u32) -> Result<PortAttr> {
        self.check_port(port)?;
        let mut attr = core::mem::MaybeUninit::<bindings::ib_port_attr>::zeroed();
        // SAFETY: The device is registered, `port` is one of its ports and `attr` is writable.
        to_result(unsafe { bindings::ib_query_port(self.as_raw(), port, attr.as_mut_ptr()) })?;
        // SAFETY: Zero is a valid bit pattern for every field and `ib_query_port()` succeeded.
        Ok(PortAttr::from_raw(unsafe { attr.assume_init_ref() }))
    }

    /// Reads the GID at `index` of `port`'s table (`rdma_query_gid()`); `EINVAL` for an empty
    /// slot, as in C.
    #[inline]
    pub fn query_gid(&self, port: u32, index: u32) -> Result<Gid> {
        self.check_port(port)?;
        let index = i32::try_from(index).map_err(|_| EINVAL)?;
        let mut gid = bindings::ib_gid { raw: [0; 16] };
        // SAFETY: The device is registered, `port` is one of its ports and `gid` is writable.
        to_result(unsafe { bindings::rdma_query_gid(self.as_raw(), port, index, &mut gid) })?;
        Ok(Gid::from_raw(&gid))
    }

    /// The P_Key at `index` of `port`'s table, from the core's cache (`ib_get_cached_pkey()`);
    /// `EINVAL` for an index beyond the table.
    #[inline]
    pub fn cached_pkey(&self, port: u32, index: u32) -> Result<u16> {
        self.check_port(port)?;
        let index = i32::try_from(index).map_err(|_| EINVAL)?;
        let mut pkey = 0u16;
        let dev = self.as_raw();
        // SAFETY: The device is registered, `port` is one of its ports (the core reads its
        // cache entry without checking) and `pkey` is writable.
        to_result(unsafe { bindings::ib_get_cached_pkey(dev, port, index, &mut pkey) })?;
        Ok(pkey)
    }

    /// Takes a reference on the GID table entry at `index` of `port` (`rdma_get_gid_attr()`);
    /// `ENODATA` for an empty slot.
    #[inline]
    pub fn gid_attr(&self, port: u32, index: u32) -> Result<GidAttr<'_>> {
        self.check_port(port)?;
        let index = i32::try_from(index).map_err(|_| EINVAL)?;
        // SAFETY: The device is registered and `port` is one of its ports.
        let attr = unsafe { bindings::rdma_get_gid_attr(self.as_raw(), port, index) };
        let attr = NonNull::new(from_err_ptr(attr.cast_mut())?).ok_or(EINVAL)?;
        // SAFETY: `rdma_get_gid_attr()` returned a referenced entry of this device, which passes
        // to the `GidAttr`, whose lifetime is bound to this registration.
        Ok(unsafe { GidAttr::from_raw(attr) })
    }

    /// Calls `f` for every valid entry of `port`'s GID table, in index order.
    #[inline]
    pub fn for_each_gid(&self, port: u32, mut f: impl FnMut(&GidAttr<'_>) -> Result) -> Result {
        for index in 0..self.gid_tbl_len(port)? {
            match self.gid_attr(port, index) {
                Ok(attr) => f(&attr)?,
                // An empty slot.
                Err(e) if e == ENODATA => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The GID table entry of `gid` with type `gid_type` on `port`, of `ndev` if given
    /// (`rdma_find_gid_by_port()`).
    #[inline]
    pub fn find_gid_by_port(
        &self,
        gid: &Gid,
        gid_type: GidType,
        port: u32,
        ndev: Option<&NetDevice>,
    ) -> Result<GidAttr<'_>> {
        self.check_port(port)?;
        let raw = gid.to_raw();
        let ndev = ndev.map_or(core::ptr::null_mut(), NetDevice::as_raw);
        // SAFETY: The device is registered and `port` one of its ports; `raw` is valid for the
        // call and `ndev` null or a device the caller holds.
        let attr = unsafe {
            bindings::rdma_find_gid_by_port(self.as_raw(), &raw, gid_type as u32, port, ndev)
        };
        let attr = NonNull::new(from_err_ptr(attr.cast_mut())?).ok_or(EINVAL)?;
        // SAFETY: A referenced entry of this device, bound to this registration.
        Ok(unsafe { GidAttr::from_raw(attr) })
    }

    /// The index of `pkey` in the P_Key table of `port` (`ib_find_pkey()`).
    #[inline]
    pub fn find_pkey(&self, port: u32, pkey: u16) -> Result<u16> {
        self.check_port(port)?;
        let mut index = 0u16;
        // SAFETY: The device is registered and `port` one of its ports; `index` is writable.
        to_result(unsafe { bindings::ib_find_pkey(self.as_raw(), port, pkey, &mut index) })?;
        Ok(index)
    }

    /// The net device of `port` (`ib_device_get_netdev()`), referenced; `None` for a port
    /// without one.
    #[inline]
    pub fn port_netdev(&self, port: u32) -> Option<crate::sync::aref::ARef<NetDevice>> {
        self.check_port(port).ok()?;
        // SAFETY: The device is registered and `port` one of its ports.
        let ndev = NonNull::new(unsafe { bindings::ib_device_get_netdev(self.as_raw(), port) })?;
        // SAFETY: `ib_device_get_netdev()` returned the device with a reference taken, which
        // the `ARef` now owns.
        Some(unsafe { crate::sync::aref::ARef::from_raw(ndev.cast::<NetDevice>()) })
    }
}

/// A reference on the registration of a device (`ib_device_try_get()`); dropping it calls
/// `ib_device_put()`. The device's unregistration waits for it.
///
/// # Invariants
///
/// `ptr` is a device on whose registration this guard holds one reference.
pub struct DeviceGuard {
    ptr: NonNull<Device>,
}

// SAFETY: The reference may be dropped from any thread.
unsafe impl Send for DeviceGuard {}
// SAFETY: `&DeviceGuard` gives `&RegisteredDevice`, which is `Sync`.
unsafe impl Sync for DeviceGuard {}

impl Deref for DeviceGuard {
    type Target = RegisteredDevice;

    fn deref(&self) -> &RegisteredDevice {
        // SAFETY: The guard keeps the device registered (type invariant) while the returned
        // reference, bound to the guard, lives.
        unsafe { RegisteredDevice::from_raw(self.ptr.as_ptr().cast()) }
    }
}

impl Clone for DeviceGuard {
    fn clone(&self) -> Self {
        // A registered device can always give another reference on its registration.
        // SAFETY: The device is registered (type invariant): its count is non-zero.
        let got = unsafe { bindings::ib_device_try_get(self.ptr.as_ptr().cast()) };
        crate::warn_on!(!got);
        // INVARIANT: One more reference, taken above.
        Self { ptr: self.ptr }
    }
}

impl Drop for DeviceGuard {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: The guard holds one reference (type invariant).
        unsafe { bindings::ib_device_put(self.ptr.as_ptr().cast()) };
    }
}
