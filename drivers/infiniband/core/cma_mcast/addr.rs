// SPDX-License-Identifier: GPL-2.0

//! The address of a join, as `rdma_join_multicast()` takes it, and the MGIDs rdma_cm derives
//! from it: `cma_set_mgid()` for InfiniBand and `cma_iboe_set_mgid()` for RoCE.

use core::mem::size_of;
use kernel::{bindings, rdma::Gid};

/// `sizeof(struct sockaddr_storage)`.
const STORAGE: usize = size_of::<bindings::__kernel_sockaddr_storage>();
/// `AF_INET`.
const AF_INET: u16 = bindings::AF_INET as u16;
/// `AF_INET6`.
const AF_INET6: u16 = bindings::AF_INET6 as u16;
/// `AF_IB`.
const AF_IB: u16 = bindings::AF_IB as u16;
/// Where `sin_addr` starts in a `struct sockaddr_in`.
const SIN_ADDR: usize = 4;
/// Where `sin6_addr` starts in a `struct sockaddr_in6`, and `sib_addr` in a
/// `struct sockaddr_ib`.
const SIN6_ADDR: usize = 8;

/// The address of a join: the bytes of its `struct sockaddr` that C copies
/// (`rdma_addr_size()` of them), the rest of a `struct sockaddr_storage` zero.
#[derive(Clone, Copy)]
pub(crate) struct McAddr {
    raw: [u8; STORAGE],
    len: usize,
}

impl McAddr {
    /// `rdma_addr_size()`: how many bytes of a `struct sockaddr` of `family` count.
    pub(crate) fn size_of_family(family: u16) -> usize {
        match family {
            AF_INET => size_of::<bindings::sockaddr_in>(),
            AF_INET6 => size_of::<bindings::sockaddr_in6>(),
            AF_IB => size_of::<bindings::sockaddr_ib>(),
            _ => 0,
        }
    }

    /// The family of a `struct sockaddr` that starts with `head`.
    pub(crate) fn family_of(head: [u8; 2]) -> u16 {
        u16::from_ne_bytes(head)
    }

    /// An address from the first `size_of_family()` bytes of a `struct sockaddr`.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Self {
        let len = bytes.len().min(STORAGE);
        let mut raw = [0u8; STORAGE];
        raw[..len].copy_from_slice(&bytes[..len]);
        Self { raw, len }
    }

    /// The address family.
    pub(crate) fn family(&self) -> u16 {
        Self::family_of([self.raw[0], self.raw[1]])
    }

    /// The bytes that count (`rdma_addr_size()` of them).
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.raw[..self.len]
    }

    /// Whether a join at this address is the one `rdma_leave_multicast(other)` leaves: the
    /// first `rdma_addr_size(other)` bytes are equal.
    pub(crate) fn matches(&self, other: &McAddr) -> bool {
        self.raw[..other.len] == other.raw[..other.len]
    }

    fn v4(&self) -> [u8; 4] {
        let mut a = [0u8; 4];
        a.copy_from_slice(&self.raw[SIN_ADDR..SIN_ADDR + 4]);
        a
    }

    fn v6(&self) -> [u8; 16] {
        let mut a = [0u8; 16];
        a.copy_from_slice(&self.raw[SIN6_ADDR..SIN6_ADDR + 16]);
        a
    }

    /// `cma_zero_addr()`: 0.0.0.0/8, `::` or the zero IB address.
    pub(crate) fn is_zero(&self) -> bool {
        match self.family() {
            AF_INET => self.v4()[0] == 0,
            AF_INET6 | AF_IB => self.v6() == [0; 16],
            _ => false,
        }
    }

    /// `cma_loopback_addr()`: 127.0.0.0/8, `::1` or the IB loopback address.
    fn is_loopback(&self) -> bool {
        let mut one = [0u8; 16];
        one[15] = 1;
        match self.family() {
            AF_INET => self.v4()[0] == 127,
            AF_INET6 | AF_IB => self.v6() == one,
            _ => false,
        }
    }

    /// `cma_any_addr()`.
    pub(crate) fn is_any(&self) -> bool {
        self.is_zero() || self.is_loopback()
    }

    /// `cma_set_mgid()`: the MGID of an InfiniBand join. `udp` is the `RDMA_PS_UDP` port
    /// space (MGIDs with the RDMA CM signature instead of IPoIB's); `broadcast` the
    /// hardware broadcast address of the id's device (its scope and P_Key are used).
    pub(crate) fn ib_mgid(&self, udp: bool, broadcast: &[u8]) -> Gid {
        let v6 = self.v6();
        if self.is_any() {
            return Gid::ZERO;
        }
        let sa_assigned =
            u32::from_be_bytes([v6[0], v6[1], v6[2], v6[3]]) & 0xfff0_ffff == 0xff10_a01b;
        match self.family() {
            // An SA assigned MGID, or an IB address: taken as it is.
            AF_INET6 if sa_assigned => Gid(v6),
            AF_IB => Gid(v6),
            family => {
                // ip_ib_mc_map() and ipv6_ib_mc_map(), without the QPN bytes.
                let mut g = [0u8; 16];
                g[0] = 0xff;
                g[1] = 0x10 | (broadcast[5] & 0xf);
                g[2] = if family == AF_INET6 { 0x60 } else { 0x40 };
                g[3] = if udp { 0x01 } else { 0x1b };
                g[4] = broadcast[8];
                g[5] = broadcast[9];
                if family == AF_INET6 {
                    g[6..].copy_from_slice(&v6[6..]);
                } else {
                    let v4 = self.v4();
                    g[12] = v4[0] & 0x0f;
                    g[13..].copy_from_slice(&v4[1..]);
                }
                Gid(g)
            }
        }
    }

    /// `cma_iboe_set_mgid()`: the MGID of a RoCE join. `v2` is the port's default GID type
    /// being RoCE v2, whose IPv4 MGIDs are IPv4-mapped addresses (v1's are `ff0e::ffff:a.b.c.d`).
    pub(crate) fn roce_mgid(&self, v2: bool) -> Gid {
        if self.is_any() {
            return Gid::ZERO;
        }
        if self.family() == AF_INET6 {
            return Gid(self.v6());
        }
        let mut g = [0u8; 16];
        if !v2 {
            g[0] = 0xff;
            g[1] = 0x0e;
        }
        g[10] = 0xff;
        g[11] = 0xff;
        g[12..].copy_from_slice(&self.v4());
        Gid(g)
    }

    /// `rdma_ip2gid()`: the GID of an IP address, IPv4-mapped for IPv4; zero for other
    /// families.
    pub(crate) fn ip_gid(&self) -> Gid {
        match self.family() {
            AF_INET => {
                let mut g = [0u8; 16];
                g[10] = 0xff;
                g[11] = 0xff;
                g[12..].copy_from_slice(&self.v4());
                Gid(g)
            }
            AF_INET6 => Gid(self.v6()),
            _ => Gid::ZERO,
        }
    }

    /// Whether this is an IPv4 address (the RoCE join sends IGMP for those).
    pub(crate) fn is_v4(&self) -> bool {
        self.family() == AF_INET
    }
}

/// `iboe_get_mtu()`: the `enum ib_mtu` of a RoCE net device's MTU, after the RoCE headers
/// (0 if not even 256 bytes are left).
pub(crate) fn iboe_mtu(netdev_mtu: u32) -> u32 {
    let headers = bindings::IB_GRH_BYTES
        + bindings::IB_UDP_BYTES
        + bindings::IB_BTH_BYTES
        + bindings::IB_EXT_XRC_BYTES
        + bindings::IB_EXT_ATOMICETH_BYTES
        + bindings::IB_ICRC_BYTES;
    let mtu = i64::from(netdev_mtu) - i64::from(headers);
    [
        (4096, bindings::ib_mtu_IB_MTU_4096),
        (2048, bindings::ib_mtu_IB_MTU_2048),
        (1024, bindings::ib_mtu_IB_MTU_1024),
        (512, bindings::ib_mtu_IB_MTU_512),
        (256, bindings::ib_mtu_IB_MTU_256),
    ]
    .into_iter()
    .find(|&(bytes, _)| mtu >= bytes)
    .map_or(0, |(_, e)| e)
}
