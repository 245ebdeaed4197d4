// SPDX-License-Identifier: GPL-2.0

//! RDMA device ports: capabilities, link layer and attributes.
//!
//! C header: [`include/rdma/ib_verbs.h`](srctree/include/rdma/ib_verbs.h).

use crate::{
    bindings,
    impl_flags, //
};

impl_flags!(
    /// The immutable core capability flags of a port (`RDMA_CORE_CAP_*`), as
    /// `ib_port_immutable.core_cap_flags` holds them.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct PortCaps(u32);

    /// One core capability of a port.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum PortCap {
        /// Port has InfiniBand management datagrams (QP1).
        IbMad = bindings::RDMA_CORE_CAP_IB_MAD,
        /// Port has the subnet management interface (QP0).
        IbSmi = bindings::RDMA_CORE_CAP_IB_SMI,
        /// Port speaks the InfiniBand connection manager protocol.
        IbCm = bindings::RDMA_CORE_CAP_IB_CM,
        /// Port speaks the iWARP connection manager protocol.
        IwCm = bindings::RDMA_CORE_CAP_IW_CM,
        /// Port reaches an InfiniBand subnet administrator.
        IbSa = bindings::RDMA_CORE_CAP_IB_SA,
        /// Port supports OPA MADs.
        OpaMad = bindings::RDMA_CORE_CAP_OPA_MAD,
        /// Port supports `AF_IB` addressing.
        AfIb = bindings::RDMA_CORE_CAP_AF_IB,
        /// Address handles carry Ethernet L2 addresses.
        EthAh = bindings::RDMA_CORE_CAP_ETH_AH,
        /// Port supports OPA address handles.
        OpaAh = bindings::RDMA_CORE_CAP_OPA_AH,
        /// Port uses the IB GRH as its RoCE v2 header.
        IbGrhRequired = bindings::RDMA_CORE_CAP_IB_GRH_REQUIRED,
        /// InfiniBand protocol.
        ProtIb = bindings::RDMA_CORE_CAP_PROT_IB,
        /// RoCE v1 protocol (Ethertype 0x8915).
        ProtRoce = bindings::RDMA_CORE_CAP_PROT_ROCE,
        /// iWARP protocol.
        ProtIwarp = bindings::RDMA_CORE_CAP_PROT_IWARP,
        /// RoCE v2 protocol (UDP encapsulation).
        ProtRoceUdpEncap = bindings::RDMA_CORE_CAP_PROT_ROCE_UDP_ENCAP,
        /// Raw packet protocol.
        ProtRawPacket = bindings::RDMA_CORE_CAP_PROT_RAW_PACKET,
        /// usNIC protocol.
        ProtUsnic = bindings::RDMA_CORE_CAP_PROT_USNIC,
    }
);

impl PortCaps {
    /// Creates the set from the C `core_cap_flags` value; bits the core does not know are kept.
    pub const fn from_raw(raw: u32) -> Self {
        Self(raw)
    }

    /// Returns the C value.
    pub const fn as_raw(self) -> u32 {
        self.0
    }

    /// RoCE v1 or v2 (`rdma_protocol_roce()`).
    pub fn is_roce(self) -> bool {
        self.contains_any(PortCap::ProtRoce | PortCap::ProtRoceUdpEncap)
    }

    /// InfiniBand (`rdma_protocol_ib()`).
    pub fn is_ib(self) -> bool {
        self.contains(PortCap::ProtIb)
    }

    /// iWARP (`rdma_protocol_iwarp()`).
    pub fn is_iwarp(self) -> bool {
        self.contains(PortCap::ProtIwarp)
    }

    /// The port joins multicast groups through the SA (`rdma_cap_ib_mcast()`).
    pub fn has_ib_mcast(self) -> bool {
        self.contains(PortCap::IbSa)
    }
}

/// The link layer of a port, `enum rdma_link_layer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkLayer {
    /// `IB_LINK_LAYER_UNSPECIFIED`.
    Unspecified,
    /// `IB_LINK_LAYER_INFINIBAND`.
    Infiniband,
    /// `IB_LINK_LAYER_ETHERNET`.
    Ethernet,
}

impl LinkLayer {
    /// Converts the C value; unknown values read as [`LinkLayer::Unspecified`].
    pub fn from_raw(raw: u32) -> Self {
        match raw {
            bindings::rdma_link_layer_IB_LINK_LAYER_INFINIBAND => LinkLayer::Infiniband,
            bindings::rdma_link_layer_IB_LINK_LAYER_ETHERNET => LinkLayer::Ethernet,
            _ => LinkLayer::Unspecified,
        }
    }

    /// The name that sysfs `ports/N/link_layer` shows.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkLayer::Infiniband | LinkLayer::Unspecified => "InfiniBand",
            LinkLayer::Ethernet => "Ethernet",
        }
    }
}

/// The logical state of a port, `enum ib_port_state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortState {
    /// `IB_PORT_NOP`, or a value the core does not know.
    Nop,
    /// `IB_PORT_DOWN`.
    Down,
    /// `IB_PORT_INIT`.
    Init,
    /// `IB_PORT_ARMED`.
    Armed,
    /// `IB_PORT_ACTIVE`.
    Active,
    /// `IB_PORT_ACTIVE_DEFER`.
    ActiveDefer,
}

impl PortState {
    /// Converts the C value.
    pub fn from_raw(raw: u32) -> Self {
        match raw {
            bindings::ib_port_state_IB_PORT_DOWN => PortState::Down,
            bindings::ib_port_state_IB_PORT_INIT => PortState::Init,
            bindings::ib_port_state_IB_PORT_ARMED => PortState::Armed,
            bindings::ib_port_state_IB_PORT_ACTIVE => PortState::Active,
            bindings::ib_port_state_IB_PORT_ACTIVE_DEFER => PortState::ActiveDefer,
            _ => PortState::Nop,
        }
    }

    /// The name that sysfs `ports/N/state` shows after the number.
    pub fn as_str(self) -> &'static str {
        match self {
            PortState::Nop => "NOP",
            PortState::Down => "DOWN",
            PortState::Init => "INIT",
            PortState::Armed => "ARMED",
            PortState::Active => "ACTIVE",
            PortState::ActiveDefer => "ACTIVE_DEFER",
        }
    }
}

/// Port attributes as `ib_query_port()` returns them, `struct ib_port_attr`.
#[derive(Clone, Copy, Debug)]
pub struct PortAttr {
    /// Logical port state.
    pub state: PortState,
    /// Largest MTU the port supports, as an `enum ib_mtu` value (1 = 256 .. 5 = 4096).
    pub max_mtu: u32,
    /// MTU in use, as an `enum ib_mtu` value.
    pub active_mtu: u32,
    /// Number of GID table entries.
    pub gid_tbl_len: u32,
    /// Number of P_Key table entries.
    pub pkey_tbl_len: u16,
    /// Base LID of the port (InfiniBand).
    pub lid: u32,
    /// LID of the subnet manager (InfiniBand).
    pub sm_lid: u32,
    /// Service level to reach the subnet manager (InfiniBand).
    pub sm_sl: u8,
    /// LID mask count.
    pub lmc: u8,
    /// `PortInfo:CapabilityMask`.
    pub port_cap_flags: u32,
    /// Active link width (`IB_WIDTH_*`).
    pub active_width: u8,
    /// Active link speed (`IB_SPEED_*`).
    pub active_speed: u16,
    /// Physical port state.
    pub phys_state: u8,
}

impl PortAttr {
    /// Converts the C structure.
    pub fn from_raw(a: &bindings::ib_port_attr) -> Self {
        PortAttr {
            state: PortState::from_raw(a.state),
            max_mtu: a.max_mtu,
            active_mtu: a.active_mtu,
            gid_tbl_len: u32::try_from(a.gid_tbl_len).unwrap_or(0),
            pkey_tbl_len: a.pkey_tbl_len,
            lid: a.lid,
            sm_lid: a.sm_lid,
            sm_sl: a.sm_sl,
            lmc: a.lmc,
            port_cap_flags: a.port_cap_flags,
            active_width: a.active_width,
            active_speed: a.active_speed,
            phys_state: a.phys_state,
        }
    }

    /// The active MTU in bytes (`ib_mtu_enum_to_int()`), 0 if unknown.
    pub fn active_mtu_bytes(&self) -> u32 {
        mtu_enum_to_bytes(self.active_mtu)
    }
}

/// Converts an `enum ib_mtu` value to bytes, 0 for an unknown value (`ib_mtu_enum_to_int()`).
pub fn mtu_enum_to_bytes(mtu: u32) -> u32 {
    match mtu {
        1..=5 => 128 << mtu,
        _ => 0,
    }
}

#[macros::kunit_tests(rust_kernel_rdma_port)]
mod tests {
    use super::*;

    #[test]
    fn port_caps_roce_and_ib() {
        let roce2 = PortCaps::from_raw(bindings::RDMA_CORE_PORT_IBA_ROCE_UDP_ENCAP);
        assert!(roce2.is_roce());
        assert!(!roce2.is_ib());
        assert!(!roce2.has_ib_mcast());
        assert!(roce2.contains_all(PortCap::IbMad | PortCap::IbCm));
        let ib = PortCaps::from_raw(bindings::RDMA_CORE_PORT_IBA_IB);
        assert!(ib.is_ib());
        assert!(!ib.is_roce());
        assert!(ib.has_ib_mcast());
        let iw = PortCaps::from_raw(bindings::RDMA_CORE_PORT_IWARP);
        assert!(iw.is_iwarp());
        assert!(!iw.contains(PortCap::IbMad));
    }

    #[test]
    fn port_enums() {
        assert_eq!(LinkLayer::from_raw(1), LinkLayer::Infiniband);
        assert_eq!(LinkLayer::from_raw(2), LinkLayer::Ethernet);
        assert_eq!(LinkLayer::from_raw(7), LinkLayer::Unspecified);
        assert_eq!(PortState::from_raw(4), PortState::Active);
        assert_eq!(PortState::from_raw(1).as_str(), "DOWN");
        assert_eq!(mtu_enum_to_bytes(1), 256);
        assert_eq!(mtu_enum_to_bytes(5), 4096);
        assert_eq!(mtu_enum_to_bytes(6), 0);
    }
}
