// SPDX-License-Identifier: GPL-2.0

//! A slave port: the core device of a card's second port (`struct mlx5_ib_multiport_info`).

use super::{
    host::Host,
    master::Master,
    registry::Registry, //
};
use kernel::sync::{
    Arc,
    LockedBy, //
};

/// A slave port, from its probe to its removal.
///
/// # Invariants
///
/// Under the registry's lock, a slave alive is on the registry's unaffiliated list with no
/// master in its [`Binding`], or in port `port` of exactly the master its binding names, never
/// both; its binding has a listener only while it has a master.
pub(crate) struct Slave<H: Host> {
    pub(crate) core: H::Core,
    /// The system image GUID, read at probe: the key that pairs it with a master.
    pub(crate) guid: u64,
    /// The port of the card it is (`mlx5_core_native_port_num()`, from 1).
    pub(crate) port: u32,
    pub(crate) binding: LockedBy<Binding<H>, Registry<H>>,
}

/// Whom a slave is bound to, under the registry's lock.
pub(crate) struct Binding<H: Host> {
    /// The master (`mpi->ibdev`), or `None` while unaffiliated.
    pub(crate) master: Option<Arc<Master<H>>>,
    /// Its event notifier, registered while bound (`mpi->mdev_events`).
    pub(crate) listener: Option<H::Listener>,
}

impl<H: Host> Binding<H> {
    pub(crate) fn unbound() -> Self {
        Binding {
            master: None,
            listener: None,
        }
    }
}
