// SPDX-License-Identifier: GPL-2.0

//! Which RoCE ports an event concerns: the filters of `roce_gid_mgmt.c`.
//!
//! A filter looks at the net device of a RoCE port (`rdma`, `None` if the driver reports none)
//! and at the net device of the event (`event`), through their relations: upper and lower
//! devices, VLANs and bonds. The relations are a trait so that the same code runs on the live
//! devices (under RCU) and on the topologies of the KUnit tests.

use kernel::prelude::*;

/// How net devices relate to each other.
pub(crate) trait NetRel {
    /// A net device; equal values are the same device.
    type Dev: Copy + PartialEq;

    /// `upper` is an upper device of `dev`, at any depth (`rdma_is_upper_dev_rcu()`).
    fn is_upper(&self, dev: Self::Dev, upper: Self::Dev) -> bool;
    /// The real device of a VLAN device, `None` for other devices.
    fn vlan_real_dev(&self, dev: Self::Dev) -> Option<Self::Dev>;
    /// The active slave of a bond master, if it has one.
    fn bond_active_slave(&self, bond: Self::Dev) -> Option<Self::Dev>;
    /// The master upper device of `dev`, if it has one.
    fn master_upper(&self, dev: Self::Dev) -> Option<Self::Dev>;
    /// `dev` is a bonding master.
    fn is_bond_master(&self, dev: Self::Dev) -> bool;
    /// `dev` is a bonding slave.
    fn is_bond_slave(&self, dev: Self::Dev) -> bool;
}

/// The state of a device as a bonding slave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SlaveState {
    /// The active slave of its bond.
    Active,
    /// A slave of a bond that has another active slave.
    Inactive,
    /// Not a slave, or its bond has no active slave.
    NotApplicable,
}

/// The state of `dev` as a slave of `upper` (`is_eth_active_slave_of_bonding_rcu()`).
pub(crate) fn slave_state<R: NetRel>(r: &R, dev: R::Dev, upper: Option<R::Dev>) -> SlaveState {
    if let Some(upper) = upper {
        if r.is_bond_master(upper) {
            if let Some(active) = r.bond_active_slave(upper) {
                return if active == dev {
                    SlaveState::Active
                } else {
                    SlaveState::Inactive
                };
            }
        }
    }
    SlaveState::NotApplicable
}

/// The filters of the C code, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Filter {
    /// `pass_all_filter()`: every port.
    PassAll,
    /// `is_eth_port_of_netdev_filter()`: the port's device is the event device (or the real
    /// device of the event VLAN), or the event device is above it and it is not an inactive
    /// bonding slave.
    EthPortOfNetdev,
    /// `is_eth_port_inactive_slave_filter()`: the port's device is an inactive bonding slave.
    EthPortInactiveSlave,
    /// `is_ndev_for_default_gid_filter()`: the event device gives the port its default GIDs:
    /// it is the port's device and not a slave, or a bond master above it.
    NdevForDefaultGid,
    /// `upper_device_filter()`: the event device is the port's device or above it.
    UpperDevice,
    /// `is_upper_ndev_bond_master_filter()`: the event device is a bond master above the
    /// port's device.
    UpperNdevBondMaster,
}

impl Filter {
    /// Whether the port whose net device is `rdma` passes, for an event of `event`.
    pub(crate) fn matches<R: NetRel>(self, r: &R, rdma: Option<R::Dev>, event: R::Dev) -> bool {
        if self == Filter::PassAll {
            return true;
        }
        let Some(rdma) = rdma else {
            return false;
        };
        match self {
            Filter::PassAll => true,
            Filter::EthPortOfNetdev => {
                let real = r.vlan_real_dev(event).unwrap_or(event);
                (r.is_upper(rdma, event)
                    && slave_state(r, rdma, Some(real)) != SlaveState::Inactive)
                    || real == rdma
            }
            Filter::EthPortInactiveSlave => {
                slave_state(r, rdma, r.master_upper(rdma)) == SlaveState::Inactive
            }
            Filter::NdevForDefaultGid => {
                (event == rdma && !r.is_bond_slave(rdma))
                    || (r.is_bond_master(event) && r.is_upper(rdma, event))
            }
            Filter::UpperDevice => rdma == event || r.is_upper(rdma, event),
            Filter::UpperNdevBondMaster => r.is_bond_master(event) && r.is_upper(rdma, event),
        }
    }
}

/// Whether the default GIDs of the port's device `rdma` go when it joins the bond `master`
/// (`bond_delete_netdev_default_gids()`): unless `rdma` is unrelated to `master` or an
/// inactive slave of it.
pub(crate) fn bond_join_deletes_defaults<R: NetRel>(r: &R, rdma: R::Dev, master: R::Dev) -> bool {
    let real = r.vlan_real_dev(master).unwrap_or(master);
    let unrelated = rdma != master && !r.is_upper(rdma, master);
    !(unrelated || slave_state(r, rdma, Some(real)) == SlaveState::Inactive)
}

#[kunit_tests(rdma_roce_gid_filter)]
mod tests {
    use super::*;

    /// A topology of at most 8 devices, numbered; `upper[d]` is the bitmap of direct uppers.
    #[derive(Default)]
    struct Topo {
        upper: [u8; 8],
        vlan_real: [Option<u8>; 8],
        bond_master: u8,
        active: [Option<u8>; 8],
    }

    impl Topo {
        fn link(mut self, lower: u8, upper: u8) -> Self {
            self.upper[lower as usize] |= 1 << upper;
            self
        }

        fn vlan(mut self, vlan: u8, real: u8) -> Self {
            self.vlan_real[vlan as usize] = Some(real);
            self.link(real, vlan)
        }

        fn bond(mut self, master: u8, slaves: &[u8], active: Option<u8>) -> Self {
            self.bond_master |= 1 << master;
            self.active[master as usize] = active;
            for s in slaves {
                self = self.link(*s, master);
            }
            self
        }
    }

    impl NetRel for Topo {
        type Dev = u8;

        fn is_upper(&self, dev: u8, upper: u8) -> bool {
            let direct = self.upper[dev as usize];
            (0..8u8).any(|u| direct & (1 << u) != 0 && (u == upper || self.is_upper(u, upper)))
        }

        fn vlan_real_dev(&self, dev: u8) -> Option<u8> {
            self.vlan_real[dev as usize]
        }

        fn bond_active_slave(&self, bond: u8) -> Option<u8> {
            self.active[bond as usize]
        }

        fn master_upper(&self, dev: u8) -> Option<u8> {
            (0..8u8).find(|m| {
                self.bond_master & (1 << m) != 0 && self.upper[dev as usize] & (1 << m) != 0
            })
        }

        fn is_bond_master(&self, dev: u8) -> bool {
            self.bond_master & (1 << dev) != 0
        }

        fn is_bond_slave(&self, dev: u8) -> bool {
            self.master_upper(dev).is_some()
        }
    }

    // Devices: 0 and 1 are NICs with RoCE ports, 2 a VLAN or bond above them, 3 a VLAN above 2,
    // 4 an unrelated NIC.

    #[test]
    fn plain_nic() {
        let t = Topo::default();
        for f in [
            Filter::EthPortOfNetdev,
            Filter::NdevForDefaultGid,
            Filter::UpperDevice,
        ] {
            assert!(f.matches(&t, Some(0), 0));
            assert!(!f.matches(&t, Some(0), 4));
            assert!(!f.matches(&t, None, 0));
        }
        assert!(Filter::PassAll.matches(&t, None, 4));
        assert!(!Filter::EthPortInactiveSlave.matches(&t, Some(0), 0));
        assert!(!Filter::UpperNdevBondMaster.matches(&t, Some(0), 0));
    }

    #[test]
    fn vlan_above_nic() {
        let t = Topo::default().vlan(2, 0);
        // The VLAN's addresses go to the NIC's port, its default GIDs do not.
        assert!(Filter::EthPortOfNetdev.matches(&t, Some(0), 2));
        assert!(!Filter::EthPortOfNetdev.matches(&t, Some(1), 2));
        assert!(!Filter::NdevForDefaultGid.matches(&t, Some(0), 2));
        assert!(Filter::UpperDevice.matches(&t, Some(0), 2));
        assert!(!Filter::UpperDevice.matches(&t, Some(1), 2));
    }

    #[test]
    fn active_backup_bond() {
        let t = Topo::default().bond(2, &[0, 1], Some(0)).vlan(3, 2);
        // Only the active slave's port gets the bond's and its VLAN's addresses.
        assert!(Filter::EthPortOfNetdev.matches(&t, Some(0), 2));
        assert!(!Filter::EthPortOfNetdev.matches(&t, Some(1), 2));
        assert!(Filter::EthPortOfNetdev.matches(&t, Some(0), 3));
        assert!(!Filter::EthPortOfNetdev.matches(&t, Some(1), 3));
        // A slave's own device still matches itself.
        assert!(Filter::EthPortOfNetdev.matches(&t, Some(1), 1));
        // Default GIDs come from the bond, not from the slaves.
        assert!(!Filter::NdevForDefaultGid.matches(&t, Some(0), 0));
        assert!(Filter::NdevForDefaultGid.matches(&t, Some(0), 2));
        assert!(Filter::NdevForDefaultGid.matches(&t, Some(1), 2));
        assert!(Filter::UpperNdevBondMaster.matches(&t, Some(1), 2));
        assert!(!Filter::UpperNdevBondMaster.matches(&t, Some(0), 3));
        assert!(Filter::EthPortInactiveSlave.matches(&t, Some(1), 1));
        assert!(!Filter::EthPortInactiveSlave.matches(&t, Some(0), 0));
        assert_eq!(slave_state(&t, 0, Some(2)), SlaveState::Active);
        assert_eq!(slave_state(&t, 1, Some(2)), SlaveState::Inactive);
        assert_eq!(slave_state(&t, 0, Some(4)), SlaveState::NotApplicable);
        assert!(bond_join_deletes_defaults(&t, 0, 2));
        assert!(!bond_join_deletes_defaults(&t, 1, 2));
        assert!(!bond_join_deletes_defaults(&t, 4, 2));
    }

    #[test]
    fn bond_without_active_slave() {
        let t = Topo::default().bond(2, &[0, 1], None);
        assert!(Filter::EthPortOfNetdev.matches(&t, Some(0), 2));
        assert!(Filter::EthPortOfNetdev.matches(&t, Some(1), 2));
        assert!(!Filter::EthPortInactiveSlave.matches(&t, Some(1), 1));
        assert!(bond_join_deletes_defaults(&t, 1, 2));
    }
}
