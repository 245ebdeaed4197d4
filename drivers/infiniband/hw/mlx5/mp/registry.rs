// SPDX-License-Identifier: GPL-2.0

//! The registry of masters and unaffiliated slaves (`mlx5_ib_dev_list` and
//! `mlx5_ib_unaffiliated_port_list`, under `mlx5_ib_multiport_mutex`).

use super::{
    host::Host,
    master::Master,
    slave::Slave, //
};
use kernel::{
    prelude::*,
    sync::Arc, //
};

/// The registry, under the engine's mutex.
///
/// # Invariants
///
/// `unaffiliated` has room for every slave alive (`slaves`), so that a master's removal can put
/// its slaves back without allocating.
pub(crate) struct Registry<H: Host> {
    /// Masters, in the order they came (`list_add_tail`).
    pub(crate) masters: KVec<Arc<Master<H>>>,
    /// Slaves bound to no master, in the order they came or went back.
    unaffiliated: KVec<Arc<Slave<H>>>,
    /// Slaves alive, bound or not.
    slaves: usize,
}

impl<H: Host> Registry<H> {
    pub(crate) fn new() -> Self {
        Registry {
            masters: KVec::new(),
            unaffiliated: KVec::new(),
            slaves: 0,
        }
    }

    /// Makes room for one more slave.
    pub(crate) fn reserve_slave(&mut self) -> Result {
        let room = self.slaves + 1 - self.unaffiliated.len();
        self.unaffiliated.reserve(room, GFP_KERNEL)?;
        self.slaves += 1;
        Ok(())
    }

    /// Gives back the room of a slave that is gone (or whose probe failed).
    pub(crate) fn release_slave(&mut self) {
        self.slaves -= 1;
    }

    /// Puts `slave` at the end of the unaffiliated list.
    pub(crate) fn park(&mut self, slave: Arc<Slave<H>>) {
        // Cannot fail: there is room for every slave alive (type invariant).
        if self.unaffiliated.push_within_capacity(slave).is_err() {
            pr_err!("multiport: no room for an unaffiliated port\n");
        }
    }

    /// Takes `slave` off the unaffiliated list; whether it was there.
    pub(crate) fn unpark(&mut self, slave: &Slave<H>) -> bool {
        match self
            .unaffiliated
            .iter()
            .position(|s| core::ptr::eq(&**s, slave))
        {
            Some(i) => self.unaffiliated.remove(i).is_ok(),
            None => false,
        }
    }

    /// The slaves alive, bound or not.
    pub(crate) fn slaves(&self) -> usize {
        self.slaves
    }

    /// The unaffiliated slaves, in list order.
    pub(crate) fn unaffiliated(&self) -> &[Arc<Slave<H>>] {
        &self.unaffiliated
    }
}
