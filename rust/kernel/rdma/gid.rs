// SPDX-License-Identifier: GPL-2.0

//! Global identifiers (GIDs) and GID table entries.
//!
//! C headers: [`include/rdma/ib_verbs.h`](srctree/include/rdma/ib_verbs.h) and
//! [`include/rdma/ib_cache.h`](srctree/include/rdma/ib_cache.h).

use super::port::{
    PortCap,
    PortCaps, //
};
use crate::{
    bindings,
    error::{
        code::EINVAL,
        Error,
        Result, //
    },
    fmt,
    impl_flags,
    sync::rcu, //
};
use core::{
    marker::PhantomData,
    ptr::{
        addr_of,
        NonNull, //
    },
};

/// A 128-bit RDMA global identifier, `union ib_gid`, in network byte order.
///
/// For RoCE the GID is an IPv6 address, or an IPv4-mapped IPv6 address for IPv4.
#[derive(Clone, Copy, PartialEq, Eq, Default, Hash)]
#[repr(transparent)]
pub struct Gid(pub [u8; 16]);

impl Gid {
    /// The all-zero GID, which marks a free GID table slot.
    pub const ZERO: Gid = Gid([0; 16]);

    /// The link-local subnet prefix `fe80::/64` of default GIDs.
    pub const LINK_LOCAL_PREFIX: u64 = 0xfe80_0000_0000_0000;

    /// Creates a GID from its C representation.
    pub fn from_raw(raw: &bindings::ib_gid) -> Self {
        // SAFETY: Every bit pattern of the union is a valid `raw` byte array.
        Gid(unsafe { raw.raw })
    }

    /// Returns the C representation of this GID.
    pub fn to_raw(self) -> bindings::ib_gid {
        bindings::ib_gid { raw: self.0 }
    }

    /// Builds a GID from a subnet prefix and an interface identifier.
    pub fn from_parts(subnet_prefix: u64, interface_id: u64) -> Self {
        let mut g = [0u8; 16];
        g[..8].copy_from_slice(&subnet_prefix.to_be_bytes());
        g[8..].copy_from_slice(&interface_id.to_be_bytes());
        Gid(g)
    }

    /// Returns the subnet prefix (the upper 64 bits), in host byte order.
    pub fn subnet_prefix(&self) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.0[..8]);
        u64::from_be_bytes(b)
    }

    /// Returns the interface identifier (the lower 64 bits), in host byte order.
    pub fn interface_id(&self) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.0[8..]);
        u64::from_be_bytes(b)
    }

    /// Returns `true` for the all-zero GID (`rdma_is_zero_gid()`).
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 16]
    }

    /// Returns the IPv4-mapped GID `::ffff:a.b.c.d` of an IPv4 address, as `rdma_ip2gid()`.
    pub fn from_ipv4(addr: [u8; 4]) -> Self {
        let mut g = [0u8; 16];
        g[10] = 0xff;
        g[11] = 0xff;
        g[12..].copy_from_slice(&addr);
        Gid(g)
    }

    /// Returns `true` if the GID is an IPv4-mapped IPv6 address (`ipv6_addr_v4mapped()`).
    pub fn is_v4_mapped(&self) -> bool {
        self.0[..10] == [0; 10] && self.0[10] == 0xff && self.0[11] == 0xff
    }

    /// Returns the IPv4 address of an IPv4-mapped GID.
    pub fn to_ipv4(&self) -> Option<[u8; 4]> {
        if !self.is_v4_mapped() {
            return None;
        }
        let mut a = [0u8; 4];
        a.copy_from_slice(&self.0[12..]);
        Some(a)
    }

    /// Returns the EUI-64 interface identifier of a 48-bit MAC address, with the
    /// universal/local bit inverted (RFC 4291 appendix A, `addrconf_addr_eui48()`).
    pub fn eui64_from_mac(mac: [u8; 6]) -> [u8; 8] {
        [
            mac[0] ^ 0x02,
            mac[1],
            mac[2],
            0xff,
            0xfe,
            mac[3],
            mac[4],
            mac[5],
        ]
    }

    /// Returns the default RoCE GID of a port whose net device has address `mac`:
    /// `fe80::` followed by the EUI-64 of the MAC (`make_default_gid()` in `cache.c`).
    ///
    /// `dev_id`, when non-zero, replaces `ff:fe` and the universal/local bit is left alone,
    /// as `addrconf_ifid_eui48()` does for devices that share one MAC.
    pub fn default_roce(mac: [u8; 6], dev_id: u16) -> Self {
        let mut g = [0u8; 16];
        g[..8].copy_from_slice(&Self::LINK_LOCAL_PREFIX.to_be_bytes());
        let mut eui = Self::eui64_from_mac(mac);
        if dev_id != 0 {
            eui[0] ^= 0x02;
            eui[3..5].copy_from_slice(&dev_id.to_be_bytes());
        }
        g[8..].copy_from_slice(&eui);
        Gid(g)
    }
}

/// Formats like the C `%pI6` format: eight groups of four hexadecimal digits, as the sysfs
/// `gids/N` files show them.
impl fmt::Display for Gid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, pair) in self.0.chunks_exact(2).enumerate() {
            if i != 0 {
                f.write_str(":")?;
            }
            write!(f, "{:02x}{:02x}", pair[0], pair[1])?;
        }
        Ok(())
    }
}

/// Parses the text form of an IPv6 address: eight groups of one to four hexadecimal digits
/// separated by `:`, where one `::` stands for a run of zero groups (as in `ff12:401b::1`).
/// Anything else is [`EINVAL`].
impl core::str::FromStr for Gid {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        /// Parses `part` (no `::` in it) into groups, returning how many there were.
        fn groups(part: &str, out: &mut [u16; 8]) -> Result<usize> {
            if part.is_empty() {
                return Ok(0);
            }
            let mut n = 0;
            for g in part.split(':') {
                if g.is_empty() || g.len() > 4 || !g.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(EINVAL);
                }
                *out.get_mut(n).ok_or(EINVAL)? = u16::from_str_radix(g, 16).map_err(|_| EINVAL)?;
                n += 1;
            }
            Ok(n)
        }

        let mut head = [0u16; 8];
        let mut tail = [0u16; 8];
        let (nh, nt) = match s.split_once("::") {
            Some((h, t)) => {
                let (nh, nt) = (groups(h, &mut head)?, groups(t, &mut tail)?);
                if nh + nt > 7 {
                    return Err(EINVAL);
                }
                (nh, nt)
            }
            None if groups(s, &mut head)? == 8 => (8, 0),
            None => return Err(EINVAL),
        };
        let mut all = [0u16; 8];
        all[..nh].copy_from_slice(&head[..nh]);
        all[8 - nt..].copy_from_slice(&tail[..nt]);
        let mut gid = Gid::ZERO;
        for (bytes, g) in gid.0.chunks_exact_mut(2).zip(all) {
            bytes.copy_from_slice(&g.to_be_bytes());
        }
        Ok(gid)
    }
}

impl fmt::Debug for Gid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The type of a GID table entry, `enum ib_gid_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum GidType {
    /// InfiniBand, `IB_GID_TYPE_IB`.
    Ib = bindings::ib_gid_type_IB_GID_TYPE_IB,
    /// RoCE v1 (Ethertype 0x8915), `IB_GID_TYPE_ROCE`.
    RoceV1 = bindings::ib_gid_type_IB_GID_TYPE_ROCE,
    /// RoCE v2 (UDP port 4791), `IB_GID_TYPE_ROCE_UDP_ENCAP`.
    RoceV2 = bindings::ib_gid_type_IB_GID_TYPE_ROCE_UDP_ENCAP,
}

impl GidType {
    /// Every GID type, in C enum order.
    pub const ALL: [GidType; 3] = [GidType::Ib, GidType::RoceV1, GidType::RoceV2];

    /// Converts the C value; `EINVAL` for a value that is not a GID type.
    pub fn from_raw(raw: u32) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|t| *t as u32 == raw)
            .ok_or(EINVAL)
    }

    /// The name that sysfs `gid_attrs/types/N` shows (`ib_cache_gid_type_str()`).
    pub fn as_str(self) -> &'static str {
        match self {
            GidType::Ib | GidType::RoceV1 => "IB/RoCE v1",
            GidType::RoceV2 => "RoCE v2",
        }
    }

    /// The bit of this type in a [`GidTypeMask`].
    pub fn bit(self) -> GidTypeBit {
        match self {
            GidType::Ib => GidTypeBit::Ib,
            GidType::RoceV1 => GidTypeBit::RoceV1,
            GidType::RoceV2 => GidTypeBit::RoceV2,
        }
    }
}

impl_flags!(
    /// A set of GID types, as the `unsigned long` masks of the C code (bit `n` = type `n`).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct GidTypeMask(u64);

    /// The bit of one GID type in a [`GidTypeMask`].
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum GidTypeBit {
        /// `BIT(IB_GID_TYPE_IB)`.
        Ib = 1 << bindings::ib_gid_type_IB_GID_TYPE_IB,
        /// `BIT(IB_GID_TYPE_ROCE)`.
        RoceV1 = 1 << bindings::ib_gid_type_IB_GID_TYPE_ROCE,
        /// `BIT(IB_GID_TYPE_ROCE_UDP_ENCAP)`.
        RoceV2 = 1 << bindings::ib_gid_type_IB_GID_TYPE_ROCE_UDP_ENCAP,
    }
);

impl GidTypeMask {
    /// The mask as C holds it.
    pub fn as_raw(self) -> u64 {
        self.0
    }

    /// Returns `true` if `t` is in the set.
    pub fn has(self, t: GidType) -> bool {
        self.contains(t.bit())
    }

    /// Returns the GID types in the set, in C enum order.
    pub fn iter(self) -> impl Iterator<Item = GidType> {
        GidType::ALL.into_iter().filter(move |t| self.has(*t))
    }

    /// The GID types a port with capabilities `caps` supports: IB alone for a port that is not
    /// RoCE, else RoCE v1 and/or v2 as the port's protocols say (`roce_gid_type_mask_support()`).
    pub fn for_port_caps(caps: PortCaps) -> Self {
        if !caps.is_roce() {
            return GidTypeBit::Ib.into();
        }
        let mut mask = Self::empty();
        if caps.contains(PortCap::ProtRoce) {
            mask |= GidTypeBit::RoceV1;
        }
        if caps.contains(PortCap::ProtRoceUdpEncap) {
            mask |= GidTypeBit::RoceV2;
        }
        mask
    }
}

/// A counted reference to a valid GID table entry, `const struct ib_gid_attr *`, of a device
/// that stays registered for `'a`.
///
/// Dropping it calls `rdma_put_gid_attr()`. The last put of an entry deleted from its table
/// queues the entry's release against the table, which the core frees once the device is
/// unregistered: so a `GidAttr` borrows the [`RegisteredDevice`](super::RegisteredDevice) it
/// came from, and cannot outlive its registration.
///
/// # Invariants
///
/// `ptr` points to a GID table entry on which this object owns one reference taken by
/// `rdma_get_gid_attr()` or `rdma_hold_gid_attr()`, of a device registered for `'a`.
pub struct GidAttr<'a> {
    ptr: NonNull<bindings::ib_gid_attr>,
    _dev: PhantomData<&'a super::RegisteredDevice>,
}

// SAFETY: A held GID attribute is immutable apart from its RCU-protected `ndev`, and the
// reference may be dropped from any thread.
unsafe impl Send for GidAttr<'_> {}
// SAFETY: The accessors only read immutable fields or read `ndev` under RCU.
unsafe impl Sync for GidAttr<'_> {}

impl<'a> GidAttr<'a> {
    /// Takes ownership of a reference returned by `rdma_get_gid_attr()`.
    ///
    /// # Safety
    ///
    /// `ptr` must be a GID attribute on which the caller owns a reference, which passes to the
    /// returned object, of a device that stays registered for `'a`.
    pub unsafe fn from_raw(ptr: NonNull<bindings::ib_gid_attr>) -> Self {
        // INVARIANT: The caller passes its reference and guarantees the registration.
        Self {
            ptr,
            _dev: PhantomData,
        }
    }

    /// Returns the raw pointer, for C functions that take a GID attribute.
    pub fn as_raw(&self) -> *const bindings::ib_gid_attr {
        self.ptr.as_ptr()
    }

    /// Gives the reference to C (for example to an address handle attribute, which
    /// `rdma_destroy_ah_attr()` releases); the caller takes over the put.
    pub fn into_raw(self) -> *const bindings::ib_gid_attr {
        let ptr = self.ptr.as_ptr();
        core::mem::forget(self);
        ptr
    }

    /// The GID of the entry.
    pub fn gid(&self) -> Gid {
        // SAFETY: By the type invariant the entry is referenced, so it stays allocated, and
        // its GID does not change while it is valid.
        Gid::from_raw(unsafe { &*addr_of!((*self.ptr.as_ptr()).gid) })
    }

    /// The GID type of the entry.
    pub fn gid_type(&self) -> GidType {
        // SAFETY: As for `gid()`.
        let raw = unsafe { (*self.ptr.as_ptr()).gid_type };
        // C only stores valid GID types.
        GidType::from_raw(raw).unwrap_or(GidType::Ib)
    }

    /// The index of the entry in its port's GID table.
    pub fn index(&self) -> u16 {
        // SAFETY: As for `gid()`.
        unsafe { (*self.ptr.as_ptr()).index }
    }

    /// The port number of the entry.
    pub fn port(&self) -> u32 {
        // SAFETY: As for `gid()`.
        unsafe { (*self.ptr.as_ptr()).port_num }
    }

    /// The interface index of the entry's net device, or `None` for an entry with no net device
    /// (an InfiniBand GID).
    #[inline]
    pub fn ndev_ifindex(&self) -> Option<i32> {
        let guard = rcu::read_lock();
        // SAFETY: The entry is referenced (type invariant) and the RCU read lock is held, as
        // `rdma_read_gid_attr_ndev_rcu()` requires.
        let ndev = unsafe { bindings::rdma_read_gid_attr_ndev_rcu(self.ptr.as_ptr()) };
        let ndev = crate::error::from_err_ptr(ndev).ok()?;
        // SAFETY: The net device stays valid until the RCU read lock is dropped, after the
        // read.
        let ndev = unsafe { crate::net::device::NetDevice::from_raw_opt(ndev) }?;
        let ifindex = ndev.ifindex();
        drop(guard);
        Some(ifindex)
    }
}

impl Clone for GidAttr<'_> {
    #[inline]
    fn clone(&self) -> Self {
        // SAFETY: The entry is referenced (type invariant), so another reference may be taken.
        unsafe { bindings::rdma_hold_gid_attr(self.ptr.as_ptr()) };
        // INVARIANT: The reference taken above passes to the new object.
        Self {
            ptr: self.ptr,
            _dev: PhantomData,
        }
    }
}

impl Drop for GidAttr<'_> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: By the type invariant this object owns one reference.
        unsafe { bindings::rdma_put_gid_attr(self.ptr.as_ptr()) };
    }
}

#[macros::kunit_tests(rust_kernel_rdma_gid)]
mod tests {
    use super::*;
    use crate::{
        prelude::*,
        str::CString, //
    };

    #[test]
    fn gid_parses_the_ipv6_text_form() {
        let bc: Gid = "ff12:401b:ffff::ffff:ffff".parse().unwrap();
        assert_eq!(
            bc.0,
            [0xff, 0x12, 0x40, 0x1b, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]
        );
        let full: Gid = "fe80:0000:0000:0000:0002:c903:0000:0011".parse().unwrap();
        assert_eq!(
            (full.subnet_prefix(), full.interface_id()),
            (0xfe80_0000_0000_0000, 0x2_c903_0000_0011)
        );
        assert!("::".parse::<Gid>().unwrap().is_zero());
        assert_eq!("::1".parse::<Gid>().unwrap().0[15], 1);
        assert_eq!("ff02::".parse::<Gid>().unwrap().0[..2], [0xff, 0x02]);
        for bad in [
            "",
            ":",
            ":::",
            "1::2::3",
            "1:2:3:4:5:6:7",
            "1:2:3:4:5:6:7:8:9",
            "1:2:3:4::5:6:7:8",
            "12345::",
            "g::",
            "1:2:3:4:5:6:7:",
            "+1::",
        ] {
            assert_eq!(bad.parse::<Gid>(), Err(EINVAL));
        }
    }

    #[test]
    fn gid_ipv4_mapped() {
        let g = Gid::from_ipv4([192, 168, 7, 1]);
        assert!(g.is_v4_mapped());
        assert_eq!(g.to_ipv4(), Some([192, 168, 7, 1]));
        assert_eq!(g.subnet_prefix(), 0);
        assert_eq!(g.interface_id(), 0x0000_ffff_c0a8_0701);
        assert!(!Gid::ZERO.is_v4_mapped());
        assert_eq!(Gid::ZERO.to_ipv4(), None);
    }

    #[test]
    fn gid_default_roce_flips_ul_bit() {
        // 52:54:00:12:34:56 -> fe80::5054:ff:fe12:3456, U/L bit of 0x52 flipped to 0x50.
        let g = Gid::default_roce([0x52, 0x54, 0x00, 0x12, 0x34, 0x56], 0);
        assert_eq!(g.subnet_prefix(), Gid::LINK_LOCAL_PREFIX);
        assert_eq!(g.interface_id(), 0x5054_00ff_fe12_3456);
        // A universally administered MAC gets the bit set.
        let g = Gid::default_roce([0x00, 0x11, 0x22, 0x33, 0x44, 0x55], 0);
        assert_eq!(g.interface_id(), 0x0211_22ff_fe33_4455);
        // A dev_id replaces ff:fe and keeps the U/L bit as it is.
        let g = Gid::default_roce([0x00, 0x11, 0x22, 0x33, 0x44, 0x55], 0x0102);
        assert_eq!(g.interface_id(), 0x0011_2201_0233_4455);
    }

    #[test]
    fn gid_display_is_pi6() -> Result {
        let g = Gid::default_roce([0x52, 0x54, 0x00, 0x12, 0x34, 0x56], 0);
        let s = CString::try_from_fmt(fmt!("{g}"))?;
        assert_eq!(s.to_bytes(), b"fe80:0000:0000:0000:5054:00ff:fe12:3456");
        Ok(())
    }

    #[test]
    fn gid_raw_roundtrip() {
        let g = Gid::from_parts(0x1122_3344_5566_7788, 0x99aa_bbcc_ddee_ff00);
        assert_eq!(Gid::from_raw(&g.to_raw()), g);
        assert_eq!(g.0[0], 0x11);
        assert_eq!(g.0[15], 0x00);
    }

    #[test]
    fn gid_type_values_and_names() -> Result {
        assert_eq!(GidType::from_raw(0)?, GidType::Ib);
        assert_eq!(GidType::from_raw(1)?, GidType::RoceV1);
        assert_eq!(GidType::from_raw(2)?, GidType::RoceV2);
        assert!(GidType::from_raw(3).is_err());
        assert_eq!(GidType::RoceV1.as_str(), "IB/RoCE v1");
        assert_eq!(GidType::RoceV2.as_str(), "RoCE v2");
        Ok(())
    }

    #[test]
    fn gid_type_mask_for_caps() {
        let ib = PortCaps::from_raw(bindings::RDMA_CORE_PORT_IBA_IB);
        let v1 = PortCaps::from_raw(bindings::RDMA_CORE_PORT_IBA_ROCE);
        let v2 = PortCaps::from_raw(bindings::RDMA_CORE_PORT_IBA_ROCE_UDP_ENCAP);
        let both = PortCaps::from_raw(
            bindings::RDMA_CORE_PORT_IBA_ROCE | bindings::RDMA_CORE_PORT_IBA_ROCE_UDP_ENCAP,
        );
        assert_eq!(GidTypeMask::for_port_caps(ib).as_raw(), 1);
        assert_eq!(GidTypeMask::for_port_caps(v1).as_raw(), 2);
        assert_eq!(GidTypeMask::for_port_caps(v2).as_raw(), 4);
        assert_eq!(GidTypeMask::for_port_caps(both).as_raw(), 6);
        let mut it = GidTypeMask::for_port_caps(both).iter();
        assert_eq!(it.next(), Some(GidType::RoceV1));
        assert_eq!(it.next(), Some(GidType::RoceV2));
        assert_eq!(it.next(), None);
    }
}
