// SPDX-License-Identifier: GPL-2.0

//! Socket addresses as rdma_cm takes them: a `struct sockaddr_storage` of which
//! `rdma_addr_size()` bytes count (`AF_INET`, `AF_INET6` or `AF_IB`).
//!
//! C header: [`include/rdma/ib_addr.h`](srctree/include/rdma/ib_addr.h).

use super::gid::Gid;
use crate::{
    bindings,
    transmute::{
        AsBytes,
        FromBytes, //
    },
};
use core::mem::size_of;

/// The size of a `struct sockaddr_storage`.
pub const STORAGE_SIZE: usize = size_of::<bindings::__kernel_sockaddr_storage>();

/// Where the address of a `struct sockaddr_in` starts.
const SIN_ADDR: usize = core::mem::offset_of!(bindings::sockaddr_in, sin_addr);
/// Where the address of a `struct sockaddr_in6` starts.
const SIN6_ADDR: usize = core::mem::offset_of!(bindings::sockaddr_in6, sin6_addr);
/// Where the address of a `struct sockaddr_ib` starts.
const SIB_ADDR: usize = core::mem::offset_of!(bindings::sockaddr_ib, sib_addr);

/// The family of a socket address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// `AF_INET`.
    Inet,
    /// `AF_INET6`.
    Inet6,
    /// `AF_IB`.
    Ib,
    /// Any other family, which rdma_cm does not take (`rdma_addr_size()` is 0).
    Other(u16),
}

impl Family {
    /// The family of a `sa_family` value.
    pub fn from_raw(raw: u16) -> Self {
        match u32::from(raw) {
            bindings::AF_INET => Self::Inet,
            bindings::AF_INET6 => Self::Inet6,
            bindings::AF_IB => Self::Ib,
            _ => Self::Other(raw),
        }
    }

    /// How many bytes of an address of this family count (`rdma_addr_size()`), 0 for a family
    /// rdma_cm does not take.
    pub fn addr_size(self) -> usize {
        match self {
            Self::Inet => size_of::<bindings::sockaddr_in>(),
            Self::Inet6 => size_of::<bindings::sockaddr_in6>(),
            Self::Ib => size_of::<bindings::sockaddr_ib>(),
            Self::Other(_) => 0,
        }
    }
}

/// A socket address in a `struct sockaddr_storage`, as rdma_cm and its uABI carry them.
///
/// It is plain bytes (so any bytes from user space are a valid value), aligned like the C
/// storage; [`SockAddr::addr_size`] says how many of them count.
#[repr(C, align(8))]
#[derive(Clone, Copy)]
pub struct SockAddr {
    bytes: [u8; STORAGE_SIZE],
}

// SAFETY: A byte array: every bit pattern is valid, no interior mutability.
unsafe impl FromBytes for SockAddr {}
// SAFETY: A byte array whose size is a multiple of its alignment: no padding, every byte
// initialised.
unsafe impl AsBytes for SockAddr {}

const _: () = assert!(size_of::<SockAddr>() == STORAGE_SIZE);
const _: () = assert!(
    core::mem::align_of::<SockAddr>()
        == core::mem::align_of::<bindings::__kernel_sockaddr_storage>()
);

impl Default for SockAddr {
    fn default() -> Self {
        Self::zeroed()
    }
}

impl SockAddr {
    /// The all-zero address (family 0: `AF_UNSPEC`).
    pub const fn zeroed() -> Self {
        Self {
            bytes: [0; STORAGE_SIZE],
        }
    }

    /// An address from the first bytes of a `struct sockaddr` (at most the storage's size);
    /// the rest is zero.
    pub fn from_bytes(b: &[u8]) -> Self {
        let mut a = Self::zeroed();
        let n = b.len().min(STORAGE_SIZE);
        a.bytes[..n].copy_from_slice(&b[..n]);
        a
    }

    /// The `AF_INET` address `addr`, port `port`.
    pub fn inet(addr: [u8; 4], port: u16) -> Self {
        let mut a = Self::zeroed();
        a.bytes[..2].copy_from_slice(&(bindings::AF_INET as u16).to_ne_bytes());
        a.bytes[2..4].copy_from_slice(&port.to_be_bytes());
        a.bytes[SIN_ADDR..SIN_ADDR + 4].copy_from_slice(&addr);
        a
    }

    /// The `AF_INET6` address `addr`, port 0.
    pub fn inet6(addr: [u8; 16]) -> Self {
        let mut a = Self::zeroed();
        a.bytes[..2].copy_from_slice(&(bindings::AF_INET6 as u16).to_ne_bytes());
        a.bytes[SIN6_ADDR..SIN6_ADDR + 16].copy_from_slice(&addr);
        a
    }

    /// A copy of the bytes of `src` that count for rdma_cm (`rdma_addr_size()` of them), the
    /// rest zero, as `rdma_join_multicast()` and the uABI copy an address.
    pub fn from_sockaddr(src: &impl AsBytes) -> Self {
        let b = src.as_bytes();
        let family = Self::from_bytes(b.get(..2).unwrap_or(&[])).family();
        Self::from_bytes(&b[..family.addr_size().min(b.len())])
    }

    /// Copies the address at `ptr`, as many bytes as its family has (`rdma_addr_size()`); an
    /// address of another family copies only its family.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a `struct sockaddr` of at least `rdma_addr_size()` readable bytes.
    pub unsafe fn from_raw(ptr: *const bindings::sockaddr) -> Self {
        let p = ptr.cast::<u8>();
        // SAFETY: Every `struct sockaddr` starts with its two-byte family.
        let family = Family::from_raw(u16::from_ne_bytes(unsafe { [*p, *p.add(1)] }));
        let len = family.addr_size().max(2);
        // SAFETY: The caller guarantees `rdma_addr_size()` readable bytes, and the family's two.
        Self::from_bytes(unsafe { core::slice::from_raw_parts(p, len) })
    }

    /// The address, for C functions that take a `struct sockaddr *`. They read at most
    /// `rdma_addr_size()` bytes, all inside the storage.
    pub fn as_raw(&self) -> *mut bindings::sockaddr {
        core::ptr::from_ref(self).cast_mut().cast()
    }

    /// The address family.
    pub fn family(&self) -> Family {
        Family::from_raw(u16::from_ne_bytes([self.bytes[0], self.bytes[1]]))
    }

    /// How many bytes count (`rdma_addr_size()`): 0 for a family rdma_cm does not take.
    pub fn addr_size(&self) -> usize {
        self.family().addr_size()
    }

    /// The bytes that count.
    pub fn significant(&self) -> &[u8] {
        &self.bytes[..self.addr_size()]
    }

    /// All of the storage's bytes.
    pub fn storage(&self) -> &[u8; STORAGE_SIZE] {
        &self.bytes
    }

    /// Whether the first `other.addr_size()` bytes of the two addresses are equal: how
    /// rdma_cm finds the join that `rdma_leave_multicast(other)` ends.
    pub fn matches(&self, other: &SockAddr) -> bool {
        let n = other.addr_size();
        self.bytes[..n] == other.bytes[..n]
    }

    fn bytes_at<const N: usize>(&self, at: usize) -> [u8; N] {
        let mut a = [0u8; N];
        a.copy_from_slice(&self.bytes[at..at + N]);
        a
    }

    /// The IPv4 address of an `AF_INET` address.
    pub fn ipv4(&self) -> Option<[u8; 4]> {
        (self.family() == Family::Inet).then(|| self.bytes_at(SIN_ADDR))
    }

    /// The IPv6 address of an `AF_INET6` address.
    pub fn ipv6(&self) -> Option<[u8; 16]> {
        (self.family() == Family::Inet6).then(|| self.bytes_at(SIN6_ADDR))
    }

    /// The 128-bit IB address of an `AF_IB` address.
    pub fn ib(&self) -> Option<[u8; 16]> {
        (self.family() == Family::Ib).then(|| self.bytes_at(SIB_ADDR))
    }

    /// `cma_zero_addr()`: 0.0.0.0/8, `::` or the zero IB address.
    pub fn is_zero(&self) -> bool {
        match self.family() {
            Family::Inet => self.bytes[SIN_ADDR] == 0,
            Family::Inet6 => self.bytes_at::<16>(SIN6_ADDR) == [0; 16],
            Family::Ib => self.bytes_at::<16>(SIB_ADDR) == [0; 16],
            Family::Other(_) => false,
        }
    }

    /// `cma_loopback_addr()`: 127.0.0.0/8, `::1` or the IB loopback address.
    pub fn is_loopback(&self) -> bool {
        let mut one = [0u8; 16];
        one[15] = 1;
        match self.family() {
            Family::Inet => self.bytes[SIN_ADDR] == 127,
            Family::Inet6 => self.bytes_at::<16>(SIN6_ADDR) == one,
            Family::Ib => self.bytes_at::<16>(SIB_ADDR) == one,
            Family::Other(_) => false,
        }
    }

    /// `cma_any_addr()`: the zero or a loopback address.
    pub fn is_any(&self) -> bool {
        self.is_zero() || self.is_loopback()
    }

    /// `rdma_ip2gid()`: the GID of an IP address, IPv4-mapped for IPv4; zero for other
    /// families.
    pub fn ip_gid(&self) -> Gid {
        match (self.ipv4(), self.ipv6()) {
            (Some(v4), _) => Gid::from_ipv4(v4),
            (_, Some(v6)) => Gid(v6),
            _ => Gid::ZERO,
        }
    }
}

#[macros::kunit_tests(rust_kernel_rdma_addr)]
mod tests {
    use super::*;

    fn v4(a: [u8; 4]) -> SockAddr {
        let mut b = [0xeeu8; 24];
        b[..2].copy_from_slice(&(bindings::AF_INET as u16).to_ne_bytes());
        b[2..SIN_ADDR].fill(0);
        b[SIN_ADDR..SIN_ADDR + 4].copy_from_slice(&a);
        b[SIN_ADDR + 4..16].fill(0);
        // Bytes 16..24, past `sockaddr_in`, do not count.
        SockAddr::from_bytes(&b)
    }

    #[test]
    fn sizes_follow_the_family() {
        let a = v4([239, 1, 2, 3]);
        assert_eq!(a.family(), Family::Inet);
        assert_eq!(a.addr_size(), 16);
        assert_eq!(a.ipv4(), Some([239, 1, 2, 3]));
        assert_eq!(a.ipv6(), None);
        // Only the `rdma_addr_size()` bytes are copied by `from_sockaddr()`.
        let c = SockAddr::from_sockaddr(&a);
        assert_eq!(c.storage()[16..24], [0; 8]);
        assert_eq!(SockAddr::zeroed().addr_size(), 0);
        assert_eq!(Family::Inet6.addr_size(), 28);
        assert_eq!(Family::Ib.addr_size(), 48);
    }

    #[test]
    fn any_zero_loopback_and_gid() {
        assert!(v4([0, 1, 2, 3]).is_zero());
        assert!(v4([127, 0, 0, 1]).is_loopback());
        assert!(!v4([239, 1, 2, 3]).is_any());
        assert_eq!(v4([239, 1, 2, 3]).ip_gid(), Gid::from_ipv4([239, 1, 2, 3]));
        assert!(v4([239, 1, 2, 3]).matches(&SockAddr::from_sockaddr(&v4([239, 1, 2, 3]))));
        assert!(!v4([239, 1, 2, 3]).matches(&v4([239, 1, 2, 4])));
    }
}
