// SPDX-License-Identifier: GPL-2.0

//! The live net devices, as the filters see them: their relations read under RCU, their
//! addresses, their upper devices.

use super::filter::NetRel;
use kernel::{
    alloc::flags::GFP_ATOMIC,
    net::device::NetDevice,
    prelude::*,
    rdma::Gid,
    sync::{
        aref::ARef,
        rcu, //
    },
};

/// The relations of the live net devices, read inside one RCU read-side section.
pub(crate) struct LiveNet<'g>(&'g rcu::Guard);

impl<'g> LiveNet<'g> {
    /// The relations as they are inside the read-side section of `guard`.
    pub(crate) fn new(guard: &'g rcu::Guard) -> Self {
        Self(guard)
    }
}

impl<'g> NetRel for LiveNet<'g> {
    type Dev = &'g NetDevice;

    fn is_upper(&self, dev: Self::Dev, upper: Self::Dev) -> bool {
        dev.has_upper(upper, self.0)
    }

    fn vlan_real_dev(&self, dev: Self::Dev) -> Option<Self::Dev> {
        dev.vlan_real_dev()
    }

    fn bond_active_slave(&self, bond: Self::Dev) -> Option<Self::Dev> {
        bond.bond_active_slave(self.0)
    }

    fn master_upper(&self, dev: Self::Dev) -> Option<Self::Dev> {
        dev.master_upper(self.0)
    }

    fn is_bond_master(&self, dev: Self::Dev) -> bool {
        dev.is_bond_master()
    }

    fn is_bond_slave(&self, dev: Self::Dev) -> bool {
        dev.is_bond_slave()
    }
}

/// The GIDs of the IPv4, then IPv6, addresses of `ndev` (IPv4-mapped for IPv4). Addresses that
/// cannot be stored (no memory in atomic context) are skipped, as C skips them.
pub(crate) fn address_gids(ndev: &NetDevice) -> KVec<Gid> {
    let mut v = KVec::new();
    {
        let guard = rcu::read_lock();
        ndev.for_each_ipv4_addr(&guard, |a| {
            let _ = v.push(Gid::from_ipv4(a), GFP_ATOMIC);
        });
    }
    ndev.for_each_ipv6_addr(|a| {
        let _ = v.push(Gid(a), GFP_ATOMIC);
    });
    v
}

/// The upper devices of `ndev`, all levels, referenced.
pub(crate) fn uppers(ndev: &NetDevice) -> KVec<ARef<NetDevice>> {
    let mut v = KVec::new();
    let guard = rcu::read_lock();
    ndev.for_each_upper(&guard, |upper| {
        let _ = v.push(ARef::from(upper), GFP_ATOMIC);
    });
    v
}
