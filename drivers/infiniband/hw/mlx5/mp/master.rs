// SPDX-License-Identifier: GPL-2.0

//! A master: the RDMA device of a card's first port, and the slots of its ports.

use super::{
    host::Host,
    slave::Slave, //
};
use kernel::{
    new_condvar, new_spinlock,
    prelude::*,
    sync::{
        Arc,
        CondVar,
        SpinLock, //
    },
};

/// What fills a port of a master (`ibdev->port[i].mp.mpi`).
pub(crate) enum Occupant<H: Host> {
    Free,
    /// The master's own port (C's stub `mpi` with `is_master`).
    Native,
    Slave(Arc<Slave<H>>),
}

/// A port of a master.
///
/// # Invariants
///
/// `refs` is zero unless the occupant is a slave; `draining` only while an unbind waits for
/// `refs` to reach zero.
pub(crate) struct Slot<H: Host> {
    pub(crate) occupant: Occupant<H>,
    /// Users of the slave's core device, between [`Master::native_core`] and
    /// [`Master::put_native_core`] (`mpi->mdev_refcnt`).
    refs: u32,
    /// An unbind waits for `refs` to drain: no new user (`mpi->unaffiliate`).
    draining: bool,
}

/// The index in the slots of port `port`, from 1 (port 0 wraps to `u32::MAX`: out of range).
fn index(port: u32) -> usize {
    port.wrapping_sub(1) as usize
}

/// A master device.
///
/// # Invariants
///
/// `slots` has one slot per port of the device, from its creation on; the master's own port
/// (`native`) is [`Occupant::Native`] until its cleanup frees it.
#[pin_data]
pub(crate) struct Master<H: Host> {
    pub(crate) ib: H::Ib,
    pub(crate) core: H::Core,
    pub(crate) guid: u64,
    /// Its own port, from 1.
    pub(crate) native: u32,
    /// One slot per port, index 0 for port 1 (`ibdev->port[].mp`, under its `mpi_lock`).
    #[pin]
    slots: SpinLock<KVec<Slot<H>>>,
    /// Signalled when a draining slot's last user goes (`mpi->unref_comp`).
    #[pin]
    drained: CondVar,
}

impl<H: Host> Master<H> {
    /// A master of `ports` ports whose own port is `native`, every other port free.
    pub(crate) fn new(
        ib: H::Ib,
        core: H::Core,
        guid: u64,
        native: u32,
        ports: u32,
    ) -> Result<Arc<Self>> {
        let mut slots = KVec::with_capacity(ports as usize, GFP_KERNEL)?;
        for port in 1..=ports {
            let occupant = if port == native {
                Occupant::Native
            } else {
                Occupant::Free
            };
            slots.push(
                Slot {
                    occupant,
                    refs: 0,
                    draining: false,
                },
                GFP_KERNEL,
            )?;
        }
        Arc::pin_init(
            pin_init!(Master {
                ib,
                core,
                guid,
                native,
                slots <- new_spinlock!(slots, "mlx5_mp_slots"),
                drained <- new_condvar!("mlx5_mp_drained"),
            }),
            GFP_KERNEL,
        )
    }

    /// Puts `slave` in its port, unless the port is taken or out of range.
    pub(crate) fn occupy(&self, slave: &Arc<Slave<H>>) -> bool {
        let mut slots = self.slots.lock();
        match slots.get_mut(index(slave.port)) {
            Some(slot) if matches!(slot.occupant, Occupant::Free) => {
                slot.occupant = Occupant::Slave(slave.clone());
                true
            }
            _ => false,
        }
    }

    /// Waits until no one uses `slave`'s core device through its port, then frees the port.
    /// New users are refused meanwhile.
    pub(crate) fn vacate(&self, slave: &Slave<H>) {
        let mut slots = self.slots.lock();
        let i = index(slave.port);
        if slots.get(i).is_some_and(|s| s.refs > 0) {
            slots[i].draining = true;
            while slots[i].refs > 0 {
                self.drained.wait(&mut slots);
            }
            slots[i].draining = false;
        }
        if let Some(slot) = slots.get_mut(i) {
            if matches!(&slot.occupant, Occupant::Slave(s) if core::ptr::eq(&**s, slave)) {
                slot.occupant = Occupant::Free;
            }
        }
    }

    /// Frees the master's own port (C frees its stub `mpi`).
    pub(crate) fn free_native(&self) {
        let mut slots = self.slots.lock();
        for slot in slots.iter_mut() {
            if matches!(slot.occupant, Occupant::Native) {
                slot.occupant = Occupant::Free;
            }
        }
    }

    /// The slave bound to port `port`, if any.
    pub(crate) fn slave_at(&self, port: u32) -> Option<Arc<Slave<H>>> {
        let slots = self.slots.lock();
        match &slots.get(index(port))?.occupant {
            Occupant::Slave(s) => Some(s.clone()),
            _ => None,
        }
    }

    /// The number of ports.
    pub(crate) fn ports(&self) -> u32 {
        self.slots.lock().len() as u32
    }

    /// The core device behind port `port` (`mlx5_ib_get_native_port_mdev()` of a multiport
    /// Ethernet port): the master's own, or the bound slave's, counted as a user until
    /// [`Master::put_native_core`]. `None` for a free or draining port.
    pub(crate) fn native_core(&self, port: u32) -> Option<H::Core> {
        let mut slots = self.slots.lock();
        let slot = slots.get_mut(index(port))?;
        match &slot.occupant {
            Occupant::Native => Some(self.core.clone()),
            Occupant::Slave(s) if !slot.draining => {
                slot.refs += 1;
                Some(s.core.clone())
            }
            _ => None,
        }
    }

    /// Ends a use of port `port`'s core device that [`Master::native_core`] gave
    /// (`mlx5_ib_put_native_port_mdev()`).
    pub(crate) fn put_native_core(&self, port: u32) {
        let mut slots = self.slots.lock();
        let Some(slot) = slots.get_mut(index(port)) else {
            return;
        };
        if !matches!(slot.occupant, Occupant::Slave(_)) {
            return;
        }
        if slot.refs == 0 {
            pr_warn!("put of port {port}'s core device without a get\n");
            return;
        }
        slot.refs -= 1;
        if slot.draining && slot.refs == 0 {
            self.drained.notify_all();
        }
    }

    /// Whether `port` is occupied by `slave` (for the checks of KUnit).
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn holds(&self, port: u32, slave: &Slave<H>) -> bool {
        let slots = self.slots.lock();
        slots.get(index(port)).is_some_and(
            |s| matches!(&s.occupant, Occupant::Slave(o) if core::ptr::eq(&**o, slave)),
        )
    }

    /// Whether an unbind waits on port `port`'s users.
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn draining(&self, port: u32) -> bool {
        self.slots
            .lock()
            .get(index(port))
            .is_some_and(|s| s.draining)
    }

    /// The users of port `port`'s slave core device.
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn users(&self, port: u32) -> u32 {
        self.slots.lock().get(index(port)).map_or(0, |s| s.refs)
    }
}
