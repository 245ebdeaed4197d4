// SPDX-License-Identifier: GPL-2.0

//! RDMA devices, `struct ib_device`.
//!
//! C header: [`include/rdma/ib_verbs.h`](srctree/include/rdma/ib_verbs.h).

use super::{
    gid::{
        Gid,
        GidAttr,
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
    fmt,
    prelude::*,
    sync::aref::AlwaysRefCounted,
    types::Opaque, //
};
use core::{
    ops::RangeInclusive,
    ptr::NonNull, //
};

/// An RDMA device, `struct ib_device`.
///
/// A `&Device` is valid while the caller holds a reference on the device: inside an
/// [`ib_client`](super::Client) callback, or through an [`ARef<Device>`](crate::sync::aref::ARef),
/// which holds the embedded `struct device` and so keeps the memory alive. Queries of a device that
/// is being unregistered fail with an error from the C function, as they do in C.
///
/// # Invariants
///
/// The wrapped `ib_device` is allocated by `_ib_alloc_device()` and its reference count is
/// non-zero while a `&Device` exists.
#[repr(transparent)]
pub struct Device(Opaque<bindings::ib_device>);

// SAFETY: `struct ib_device` is used from any thread; the core serialises what needs it.
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
#[derive(Clone, Copy)]
pub struct DeviceName {
    buf: [u8; bindings::IB_DEVICE_NAME_MAX as usize],
    len: usize,
}

impl DeviceName {
    /// The name's bytes, without the terminating NUL.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl fmt::Display for DeviceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Device names are ASCII; a torn name read during a rename may not be UTF-8.
        f.write_str(core::str::from_utf8(self.as_bytes()).unwrap_or("<renaming>"))
    }
}

impl PartialEq<[u8]> for DeviceName {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_bytes() == other
    }
}

impl Device {
    /// Creates a reference to a device from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to an `ib_device` that stays referenced for the lifetime `'a`.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::ib_device) -> &'a Device {
        // SAFETY: `Device` is a transparent wrapper; the caller guarantees validity for `'a`.
        unsafe { &*ptr.cast::<Device>() }
    }

    /// Returns the raw pointer to the `struct ib_device`.
    pub fn as_raw(&self) -> *mut bindings::ib_device {
        self.0.get()
    }

    fn raw(&self) -> &bindings::ib_device {
        // SAFETY: By the type invariant the device is allocated; the fields read through this
        // reference are set before registration and do not change afterwards, except `name`,
        // which `name()` reads byte by byte.
        unsafe { &*self.as_raw() }
    }

    /// The device name, such as `rxe0` (`dev_name(&ibdev->dev)`).
    pub fn name(&self) -> DeviceName {
        let mut name = DeviceName {
            buf: [0; bindings::IB_DEVICE_NAME_MAX as usize],
            len: 0,
        };
        let src = &raw const self.raw().name;
        for i in 0..name.buf.len() - 1 {
            // SAFETY: `i` is inside the array. A rename may rewrite the array concurrently, as
            // in C; a volatile byte read gives a torn but well-defined name in that case.
            let b = unsafe { core::ptr::read_volatile(src.cast::<u8>().add(i)) };
            if b == 0 {
                break;
            }
            name.buf[i] = b;
            name.len = i + 1;
        }
        name
    }

    /// The node GUID, in host byte order.
    pub fn node_guid(&self) -> u64 {
        u64::from_be(self.raw().node_guid)
    }

    /// The node type (`RDMA_NODE_*`).
    pub fn node_type(&self) -> u8 {
        self.raw().node_type
    }

    /// The number of physical ports.
    pub fn phys_port_cnt(&self) -> u32 {
        self.raw().phys_port_cnt
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

    /// The immutable attributes of `port`, set before registration.
    fn port_immutable(&self, port: u32) -> Result<&bindings::ib_port_immutable> {
        self.check_port(port)?;
        // SAFETY: `port_data` has an entry for every valid port number, whose `immutable` part
        // is set up before the device is registered and not changed afterwards.
        Ok(unsafe { &(*self.raw().port_data.add(port as usize)).immutable })
    }

    /// The immutable core capabilities of `port`.
    pub fn port_caps(&self, port: u32) -> Result<PortCaps> {
        Ok(PortCaps::from_raw(
            self.port_immutable(port)?.core_cap_flags,
        ))
    }

    /// The GID types `port` supports (`roce_gid_type_mask_support()`).
    pub fn gid_type_mask(&self, port: u32) -> Result<GidTypeMask> {
        Ok(GidTypeMask::for_port_caps(self.port_caps(port)?))
    }

    /// The size of the GID table of `port`.
    pub fn gid_tbl_len(&self, port: u32) -> Result<u32> {
        u32::try_from(self.port_immutable(port)?.gid_tbl_len).map_err(|_| EINVAL)
    }

    /// The link layer of `port` (`rdma_port_get_link_layer()`).
    #[inline]
    pub fn link_layer(&self, port: u32) -> Result<LinkLayer> {
        self.check_port(port)?;
        // SAFETY: The device is valid and `port` is one of its ports.
        Ok(LinkLayer::from_raw(unsafe {
            bindings::rdma_port_get_link_layer(self.as_raw(), port)
        }))
    }

    /// Queries the attributes of `port` (`ib_query_port()`).
    #[inline]
    pub fn query_port(&self, port: u32) -> Result<PortAttr> {
        self.check_port(port)?;
        let mut attr = core::mem::MaybeUninit::<bindings::ib_port_attr>::zeroed();
        // SAFETY: The device is valid, `port` is one of its ports and `attr` is writable.
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
        // SAFETY: The device is valid, `port` is one of its ports and `gid` is writable.
        to_result(unsafe { bindings::rdma_query_gid(self.as_raw(), port, index, &mut gid) })?;
        Ok(Gid::from_raw(&gid))
    }

    /// Takes a reference on the GID table entry at `index` of `port` (`rdma_get_gid_attr()`);
    /// `ENODATA` for an empty slot.
    #[inline]
    pub fn gid_attr(&self, port: u32, index: u32) -> Result<GidAttr> {
        self.check_port(port)?;
        let index = i32::try_from(index).map_err(|_| EINVAL)?;
        // SAFETY: The device is valid and `port` is one of its ports.
        let attr = unsafe { bindings::rdma_get_gid_attr(self.as_raw(), port, index) };
        let attr = NonNull::new(from_err_ptr(attr.cast_mut())?).ok_or(EINVAL)?;
        // SAFETY: `rdma_get_gid_attr()` returned a referenced entry, which passes to `GidAttr`.
        Ok(unsafe { GidAttr::from_raw(attr) })
    }

    /// Calls `f` for every valid entry of `port`'s GID table, in index order.
    #[inline]
    pub fn for_each_gid(&self, port: u32, mut f: impl FnMut(&GidAttr) -> Result) -> Result {
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
}
