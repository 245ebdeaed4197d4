// SPDX-License-Identifier: GPL-2.0

//! What the join engine needs from the interface it runs for.
//!
//! The engine decides; the host does what stays C's: the `struct ipoib_mcast` entries with
//! their packet queues, address handles and neighbours, `priv->broadcast` and the fields the
//! rest of IPoIB reads under `priv->lock`, the QP's attach and detach, the join task's delayed
//! work and the carrier work. The live host is `ffi.rs`'s; KUnit drives the engine through the
//! fake of `fake.rs`, whose SA answers from another thread, whose clock moves when a test says
//! so, and whose scheduler records every delay it is asked for.

use super::attempt::Attempt;
use kernel::{
    fmt,
    prelude::*,
    rdma::{
        sa::{
            McMemberComps,
            McMemberRec, //
        },
        Gid,
    },
    sync::Arc,
    time::Jiffies,
};

/// The interface's side of the join engine.
///
/// Every method is called with the engine's lock not held, unless its documentation says so;
/// none may call back into the engine. The engine's lock nests inside `priv->lock` (the
/// neighbour reaper calls [`Engine::take_sendonly`](super::engine::Engine) with it held): a
/// method called with the engine's lock held does not take `priv->lock`.
pub(crate) trait Host: Send + Sync + Sized + 'static {
    /// A multicast entry of the interface (`struct ipoib_mcast`): its queued packets, its
    /// address handle and its neighbours. Dropping it frees it (`ipoib_mcast_free()`: the
    /// neighbours go, queued packets are dropped and counted in `tx_dropped`). The engine
    /// drops entries in process context, with no lock held.
    type Mcast: Send + Sync;

    /// A membership at the SA (`struct ib_sa_multicast`). Dropping it leaves the group
    /// (`ib_sa_free_multicast()`) and waits for its callback if that runs: the engine never
    /// drops one under its lock or from the membership's own callback.
    type Join: Send + Sync;

    /// A packet to send to a group (`struct sk_buff`, with its pseudo header).
    type Packet;

    /// Logs a warning about the interface (`ipoib_warn()`: its name first, rate limited);
    /// `mcast_warn!` formats it. Called with the engine's lock held: it must not sleep.
    fn warn(&self, args: fmt::Arguments<'_>);

    /// Logs a debug message about the interface (`ipoib_dbg_mcast()`: its name first, when
    /// `mcast_debug_level` asks for it); `mcast_dbg!` formats it.
    fn dbg(&self, args: fmt::Arguments<'_>);

    /// The clock, in jiffies.
    fn now(&self) -> Jiffies;

    /// Jiffies per second.
    fn hz(&self) -> Jiffies;

    /// Whether joins may run (`ipoib_mcast_allowed()`: the interface is operationally up).
    /// Called with the engine's lock held.
    fn allowed(&self) -> bool;

    /// Whether the port is active and the interface has its address
    /// (`IPOIB_FLAG_DEV_ADDR_SET`); records the port's LID. Called from the join task, which
    /// stops when this says no.
    fn port_ready(&self) -> bool;

    /// The broadcast group's MGID (`dev->broadcast + 4`).
    fn broadcast_mgid(&self) -> Gid;

    /// The port's GID and the interface's P_Key, for a join's record.
    fn port_gid_and_pkey(&self) -> (Gid, u16);

    /// A new entry for group `mgid`, allocated without sleeping (`GFP_ATOMIC`): called with
    /// the engine's lock held.
    fn alloc(&self, mgid: &Gid, sendonly: bool) -> Option<Self::Mcast>;

    /// Runs the join task after `delay` jiffies, in place of a run already scheduled
    /// (`cancel_delayed_work()` then `queue_delayed_work()`). Called with the engine's lock
    /// held.
    fn schedule_join_task(&self, delay: Jiffies);

    /// Queues the carrier-on work (`ipoib_mcast_carrier_on_task()`: the carrier goes on once
    /// the port is active, through the `rtnl_trylock()` loop). Called with the engine's lock
    /// held.
    fn queue_carrier_on(&self);

    /// Joins `rec`'s group at the SA for `attempt`, without sleeping (`GFP_ATOMIC`); the SA's
    /// answer goes to [`Attempt::answer`], possibly before this returns, from another thread.
    /// Called with the engine's lock held.
    fn join(
        &self,
        mcast: &Self::Mcast,
        rec: &McMemberRec,
        comp: McMemberComps,
        attempt: Arc<Attempt<Self>>,
    ) -> Result<Self::Join>;

    /// A join succeeded (`ipoib_mcast_join_finish()`): for the broadcast group, takes its
    /// Q_Key, MTU and path fields into the interface (`EAGAIN` if `priv->broadcast` is gone);
    /// attaches the QP if `attach`; creates the address handle. Gives the result, and whether
    /// the QP was attached (it stays attached if the address handle then failed).
    fn finish(
        &self,
        mcast: &Self::Mcast,
        rec: &McMemberRec,
        broadcast: bool,
        attach: bool,
    ) -> (Result, bool);

    /// Sends the packets that waited on the entry, once the engine knows it has its address
    /// handle (they go through the transmit path again).
    fn send_queued(&self, mcast: &Self::Mcast);

    /// Detaches the QP from the group (`rn->detach_mcast()`), logging "leaving MGID" as C does.
    fn detach(&self, mcast: &Self::Mcast, rec: &McMemberRec);

    /// How many packets wait in the entry's queue. Called with the engine's lock held.
    fn queue_len(&self, mcast: &Self::Mcast) -> usize;

    /// Queues `packet` on the entry. Called with the engine's lock held.
    fn enqueue(&self, mcast: &Self::Mcast, packet: Self::Packet);

    /// Drops `packet`, counting it in `tx_dropped`. Called with the engine's lock held.
    fn drop_packet(&self, packet: Self::Packet);

    /// Drops the entry's queued packets, counting them in `tx_dropped`.
    fn drop_queue(&self, mcast: &Self::Mcast);

    /// Sends `packet` through the entry's address handle, and adds the destination's
    /// neighbour to the entry (`ipoib_mcast_send()`'s joined path).
    fn transmit(&self, mcast: &Self::Mcast, packet: Self::Packet);

    /// Publishes a new broadcast entry as `priv->broadcast`, when there is none. Called with
    /// the engine's lock held, which nests inside `priv->lock`.
    fn publish_broadcast(&self, mcast: &Self::Mcast);

    /// Takes `mcast` away from `priv->broadcast` if it is there, under `priv->lock`: the
    /// readers, which hold `priv->lock` and may load it more than once, are done with it when
    /// this returns.
    fn unpublish_broadcast(&self, mcast: &Self::Mcast);

    /// Waits until no transmit path still uses an entry that is off the interface's tree:
    /// [`Host::transmit`] runs with the engine's lock dropped, holding a reference to its
    /// entry, and the last reference must not go there (freeing an entry takes the transmit
    /// lock that path holds).
    fn quiesce_transmit(&self);

    /// Whether user space joined `mgid` itself (`IPOIB_FLAG_UMCAST` and the SA multicast
    /// code has a record of the group): the restart task leaves such a group alone. Called
    /// with the engine's lock held.
    fn joined_by_user(&self, mgid: &Gid) -> bool;
}
