// SPDX-License-Identifier: GPL-2.0

//! What the affiliation engine asks of mlx5: the devices, the firmware commands and the rest
//! of mlx5_ib that a bind or an unbind touches.

use super::{
    event::EventWork,
    slave::Slave, //
};
use kernel::{
    prelude::*,
    sync::Arc, //
};

/// An affiliation change that mlx5_core replays to a core device's listeners
/// (`MLX5_DRIVER_EVENT_AFFILIATION_DONE` and `_REMOVED`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Affiliation {
    /// The slave is affiliated; the key is the slave's auxiliary device index.
    Done(u64),
    /// The affiliation is gone.
    Removed,
}

/// The mlx5 side of multiport affiliation.
///
/// Ports are numbered from 1, as the firmware and `mlx5_core_native_port_num()` do. Every
/// method is called in the order C's `hw/mlx5/main.c` makes the same call; the fake of KUnit
/// records them so that tests check that order.
pub(crate) trait Host: Send + Sync + Sized + 'static {
    /// A core device (`struct mlx5_core_dev`), a master's or a slave port's. A clone is another
    /// handle to the same device.
    type Core: Clone + Send + Sync;
    /// A master's RDMA device (`struct mlx5_ib_dev`).
    type Ib: Send + Sync;
    /// A slave port's event, as its notifier got it.
    type Event: Send + Sync;
    /// A slave port's event notifier registration; dropping it unregisters.
    type Listener: Send + Sync;

    /// `mlx5_query_nic_vport_system_image_guid()`.
    fn system_image_guid(&self, core: &Self::Core) -> Result<u64>;
    /// `mlx5_core_native_port_num()`.
    fn native_port(&self, core: &Self::Core) -> u32;
    /// `mlx5_core_same_coredev_type()`.
    fn same_coredev_type(&self, a: &Self::Core, b: &Self::Core) -> bool;
    /// The auxiliary device index of a slave (`mdev->priv.adev_idx`), the key of
    /// [`Affiliation::Done`].
    fn adev_idx(&self, core: &Self::Core) -> u64;

    /// `mlx5_nic_vport_enable_roce()` on a master.
    fn enable_roce(&self, core: &Self::Core) -> Result;
    /// `mlx5_nic_vport_disable_roce()` on a master.
    fn disable_roce(&self, core: &Self::Core);
    /// `mlx5_nic_vport_affiliate_multiport()`.
    fn affiliate(&self, master: &Self::Core, slave: &Self::Core) -> Result;
    /// `mlx5_nic_vport_unaffiliate_multiport()`.
    fn unaffiliate(&self, slave: &Self::Core) -> Result;
    /// `mlx5_core_mp_event_replay()`.
    fn replay(&self, core: &Self::Core, event: Affiliation);

    /// `mlx5_mdev_netdev_track()`: the master follows the netdev of its port `port`.
    fn track_netdev(&self, ib: &Self::Ib, port: u32);
    /// `mlx5_mdev_netdev_untrack()`.
    fn untrack_netdev(&self, ib: &Self::Ib, port: u32);
    /// `mlx5_ib_init_cong_debugfs()`.
    fn add_cong_debugfs(&self, ib: &Self::Ib, port: u32);
    /// `mlx5_ib_cleanup_cong_debugfs()`.
    fn remove_cong_debugfs(&self, ib: &Self::Ib, port: u32);
    /// `mlx5_ib_enable_lb_mp()`: loopback between the master and the slave.
    fn enable_loopback(&self, ib: &Self::Ib, slave: &Self::Core) -> Result;
    /// `mlx5_ib_disable_lb_mp()`.
    fn disable_loopback(&self, ib: &Self::Ib, slave: &Self::Core);
    /// `ibdev->port[port - 1].roce.last_port_state = IB_PORT_DOWN`.
    fn port_down(&self, ib: &Self::Ib, port: u32);
    /// `rdma_roce_rescan_device()` and `ib_active = true`, after a slave's probe bound it.
    fn activate(&self, ib: &Self::Ib);

    /// `mlx5_notifier_register()` of a slave's event notifier, which hands the slave's events
    /// to [`super::Engine::slave_event`]. C ignores a failure, and so does the engine: the
    /// slave then has no events.
    fn listen(&self, slave: &Arc<Slave<Self>>) -> Result<Self::Listener>;
    /// Queues a slave's event work (on `mlx5_ib_event_wq`).
    fn queue_event(&self, work: Arc<EventWork<Self>>);
    /// Waits until the event works queued so far have run (`flush_workqueue()`); called with
    /// no lock of the engine held.
    fn flush_events(&self);
    /// Handles a slave port's event on its master (`mlx5_ib_handle_event()`), from the event
    /// work.
    fn handle_event(&self, ib: &Self::Ib, event: &Self::Event);
}
