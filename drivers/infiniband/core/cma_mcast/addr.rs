// SPDX-License-Identifier: GPL-2.0

//! The MGIDs rdma_cm derives from the address of a join: `cma_set_mgid()` for InfiniBand and
//! `cma_iboe_set_mgid()` for RoCE, and the MTU of a RoCE join.

use kernel::{
    bindings,
    rdma::{
        addr::{
            Family,
            SockAddr, //
        },
        Gid,
    },
};

/// `cma_set_mgid()`: the MGID of an InfiniBand join at `addr`. `udp` is the `RDMA_PS_UDP`
/// port space (MGIDs with the RDMA CM signature instead of IPoIB's); `broadcast` the hardware
/// broadcast address of the id's device (its scope and P_Key are used).
pub(crate) fn ib_mgid(addr: &SockAddr, udp: bool, broadcast: &[u8]) -> Gid {
    if addr.is_any() {
        return Gid::ZERO;
    }
    if let Some(ib) = addr.ib() {
        // An IB address is taken as it is.
        return Gid(ib);
    }
    let v6 = addr.ipv6();
    if let Some(v6) = v6 {
        let sa_assigned =
            u32::from_be_bytes([v6[0], v6[1], v6[2], v6[3]]) & 0xfff0_ffff == 0xff10_a01b;
        if sa_assigned {
            return Gid(v6);
        }
    }
    // ip_ib_mc_map() and ipv6_ib_mc_map(), without the QPN bytes.
    let mut g = [0u8; 16];
    g[0] = 0xff;
    g[1] = 0x10 | (broadcast[5] & 0xf);
    g[2] = if v6.is_some() { 0x60 } else { 0x40 };
    g[3] = if udp { 0x01 } else { 0x1b };
    g[4] = broadcast[8];
    g[5] = broadcast[9];
    match (v6, addr.ipv4()) {
        (Some(v6), _) => g[6..].copy_from_slice(&v6[6..]),
        (None, Some(v4)) => {
            g[12] = v4[0] & 0x0f;
            g[13..].copy_from_slice(&v4[1..]);
        }
        (None, None) => {}
    }
    Gid(g)
}

/// `cma_iboe_set_mgid()`: the MGID of a RoCE join at `addr`. `v2` is the port's default GID
/// type being RoCE v2, whose IPv4 MGIDs are IPv4-mapped addresses (v1's are
/// `ff0e::ffff:a.b.c.d`).
pub(crate) fn roce_mgid(addr: &SockAddr, v2: bool) -> Gid {
    if addr.is_any() {
        return Gid::ZERO;
    }
    if let Some(v6) = addr.ipv6() {
        return Gid(v6);
    }
    let mut g = Gid::from_ipv4(addr.ipv4().unwrap_or([0; 4]));
    if !v2 {
        g.0[0] = 0xff;
        g.0[1] = 0x0e;
    }
    g
}

/// Whether a RoCE join at `addr` is an IPv4 one (it sends IGMP for those).
pub(crate) fn is_ipv4(addr: &SockAddr) -> bool {
    addr.family() == Family::Inet
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
