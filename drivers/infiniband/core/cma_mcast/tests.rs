// SPDX-License-Identifier: GPL-2.0

//! KUnit tests of the pure parts of the multicast piece: MGIDs, MTUs and Q_Keys. The join and
//! leave paths run end to end under the selftests (rdma_rs_cma_mcast.sh, mckey).

use super::{
    addr::{
        ib_mgid,
        iboe_mtu,
        roce_mgid, //
    },
    qkey,
};
use kernel::{
    bindings,
    prelude::*,
    rdma::{
        addr::{
            Family,
            SockAddr, //
        },
        cm::PortSpace,
        Gid,
    },
};

/// A `struct sockaddr_in` of `a.b.c.d`.
fn v4(a: [u8; 4]) -> SockAddr {
    let mut b = [0u8; 16];
    b[..2].copy_from_slice(&(bindings::AF_INET as u16).to_ne_bytes());
    b[2..4].copy_from_slice(&4791u16.to_be_bytes());
    b[4..8].copy_from_slice(&a);
    SockAddr::from_bytes(&b)
}

/// A `struct sockaddr_in6` (or `sockaddr_ib` with `family` `AF_IB`) of `addr`.
fn v6(family: u32, addr: [u8; 16]) -> SockAddr {
    let len = Family::from_raw(family as u16).addr_size();
    let mut b = [0u8; 48];
    b[..2].copy_from_slice(&(family as u16).to_ne_bytes());
    b[8..24].copy_from_slice(&addr);
    SockAddr::from_bytes(&b[..len])
}

/// An IPoIB hardware broadcast address: QPN, MGID `ff12:401b:ffff::ffff:ffff` (link-local
/// scope 2, P_Key 0xffff).
const BROADCAST: [u8; 20] = [
    0x00, 0xff, 0xff, 0xff, 0xff, 0x12, 0x40, 0x1b, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff,
    0xff,
];

fn gid(s: [u8; 16]) -> Gid {
    Gid(s)
}

#[kunit_tests(rdma_cm_mcast)]
mod cases {
    use super::*;

    #[test]
    fn ib_mgids_of_ipv4_groups_carry_the_port_space_signature() {
        let a = v4([239, 1, 2, 3]);
        // IPoIB (ip_ib_mc_map()): scope and P_Key from the broadcast address; the low 28
        // bits of the group.
        let ipoib = [
            0xff, 0x12, 0x40, 0x1b, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0x0f, 1, 2, 3,
        ];
        assert!(ib_mgid(&a, false, &BROADCAST) == gid(ipoib));
        // RDMA_PS_UDP: the RDMA CM signature in byte 3.
        let mut udp = ipoib;
        udp[3] = 0x01;
        assert!(ib_mgid(&a, true, &BROADCAST) == gid(udp));
    }

    #[test]
    fn ib_mgids_of_ipv6_and_ib_addresses() {
        let g6 = [
            0xff, 0x05, 0, 0, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
        ];
        let mut m = [
            0xff, 0x12, 0x60, 0x1b, 0xff, 0xff, 0, 0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
            0x88,
        ];
        assert!(ib_mgid(&v6(bindings::AF_INET6, g6), false, &BROADCAST) == gid(m));
        m[3] = 0x01;
        assert!(ib_mgid(&v6(bindings::AF_INET6, g6), true, &BROADCAST) == gid(m));
        // An SA-assigned MGID (ff1x:a01b::/32) and an AF_IB address are taken as they are.
        let sa = [
            0xff, 0x15, 0xa0, 0x1b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34,
        ];
        assert!(ib_mgid(&v6(bindings::AF_INET6, sa), true, &BROADCAST) == gid(sa));
        assert!(ib_mgid(&v6(bindings::AF_IB, g6), true, &BROADCAST) == gid(g6));
        // The any and loopback addresses ask the SA for an MGID.
        assert!(ib_mgid(&v4([0, 0, 0, 0]), true, &BROADCAST) == Gid::ZERO);
        assert!(ib_mgid(&v4([127, 0, 0, 1]), false, &BROADCAST) == Gid::ZERO);
        let mut one = [0u8; 16];
        one[15] = 1;
        assert!(ib_mgid(&v6(bindings::AF_INET6, one), false, &BROADCAST) == Gid::ZERO);
    }

    #[test]
    fn roce_mgids_per_gid_type() {
        let a = v4([239, 1, 2, 3]);
        let v1 = [0xff, 0x0e, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 239, 1, 2, 3];
        let v2 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 239, 1, 2, 3];
        assert!(roce_mgid(&a, false) == gid(v1));
        assert!(roce_mgid(&a, true) == gid(v2));
        let g6 = [0xff, 0x0e, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9];
        assert!(roce_mgid(&v6(bindings::AF_INET6, g6), true) == gid(g6));
        assert!(roce_mgid(&v4([0, 1, 2, 3]), true) == Gid::ZERO);
        // cma_zero_addr() refuses 0.0.0.0/8 and ::, not loopback.
        assert!(v4([0, 9, 9, 9]).is_zero());
        assert!(!v4([127, 0, 0, 1]).is_zero());
        assert!(v6(bindings::AF_INET6, [0; 16]).is_zero());
    }

    #[test]
    fn source_gids_and_leave_matching() {
        let a = v4([192, 168, 7, 1]);
        let mapped = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 7, 1];
        assert!(a.ip_gid() == gid(mapped));
        assert!(v6(bindings::AF_IB, mapped).ip_gid() == Gid::ZERO);
        // A leave matches on the bytes of its own family's address, port included.
        assert!(a.matches(&v4([192, 168, 7, 1])));
        assert!(!a.matches(&v4([192, 168, 7, 2])));
        assert!(!a.matches(&v6(bindings::AF_INET6, mapped)));
        assert_eq!(a.significant().len(), 16);
        assert_eq!(v6(bindings::AF_INET6, mapped).significant().len(), 28);
        assert_eq!(v6(bindings::AF_IB, mapped).significant().len(), 48);
        assert_eq!(Family::from_raw(0).addr_size(), 0);
    }

    #[test]
    fn roce_mtus_leave_room_for_the_headers() {
        // 96 bytes of GRH, UDP, BTH, XRC, AtomicETH and ICRC headers come off.
        assert_eq!(iboe_mtu(1500), bindings::ib_mtu_IB_MTU_1024);
        assert_eq!(iboe_mtu(1024 + 96), bindings::ib_mtu_IB_MTU_1024);
        assert_eq!(iboe_mtu(1024 + 95), bindings::ib_mtu_IB_MTU_512);
        assert_eq!(iboe_mtu(9000), bindings::ib_mtu_IB_MTU_4096);
        assert_eq!(iboe_mtu(256 + 95), 0);
        assert_eq!(iboe_mtu(0), 0);
    }

    #[test]
    fn qkeys_are_set_once() {
        assert_eq!(qkey::set(0, 0x1234), Ok(0x1234));
        assert_eq!(qkey::set(0x1234, 0x1234), Ok(0x1234));
        assert_eq!(qkey::set(0x1234, 0x5678), Err(EINVAL));
        assert_eq!(qkey::set(0, 0), Err(EINVAL));
        assert_eq!(
            qkey::default_for(Some(PortSpace::Udp)),
            qkey::QkeySource::Udp
        );
        assert_eq!(
            qkey::default_for(Some(PortSpace::Ib)),
            qkey::QkeySource::Udp
        );
        assert_eq!(
            qkey::default_for(Some(PortSpace::Ipoib)),
            qkey::QkeySource::Broadcast
        );
        assert_eq!(
            qkey::default_for(Some(PortSpace::Tcp)),
            qkey::QkeySource::None
        );
        assert_eq!(qkey::default_for(None), qkey::QkeySource::None);
        assert_eq!(qkey::UDP_QKEY, 0x0123_4567);
    }
}
