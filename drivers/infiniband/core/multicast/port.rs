// SPDX-License-Identifier: GPL-2.0

//! The multicast groups of one port (`struct mcast_port`).

use super::{
    backend::SaBackend,
    group::{
        Group,
        GroupInner,
        State, //
    },
};
use kernel::{
    prelude::*,
    rbtree::{
        RBTree,
        RBTreeNodeReservation, //
    },
    rdma::{
        sa::McMemberRec,
        Gid, //
    },
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc,
        Completion,
        Refcount,
        SpinLockIrq, //
    },
    workqueue::OwnedQueue,
};

/// The life of a port's groups (`mcast_port.refcount` and `comp`): one count for the port and
/// one per group object, and what the port's shutdown waits for.
#[pin_data]
pub(crate) struct PortLife {
    refs: Refcount,
    #[pin]
    gone: Completion,
}

impl PortLife {
    fn put(&self) {
        if self.refs.dec_and_test() {
            self.gone.complete_all();
        }
    }
}

/// A group's count on its port's life. It is the last field of a group, dropped when the
/// group itself is: after the group's reference on its port, so that the port's shutdown
/// returns only once no group holds the port (nor, through it, the port's queue).
pub(crate) struct PortUse(Arc<PortLife>);

impl Drop for PortUse {
    fn drop(&mut self) {
        self.0.put();
    }
}

/// The place of a group in its port's table: the MGID, and for the groups whose MGID the SA
/// has not assigned yet (MGID 0) or that share an assigned one, a sequence number. Ordered by
/// MGID bytes like `memcmp()`, so lookups of an MGID find the sequence-0 group.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(crate) struct Key {
    pub(crate) mgid: [u8; 16],
    seq: u64,
}

impl Key {
    fn of(mgid: Gid) -> Self {
        Self {
            mgid: mgid.0,
            seq: 0,
        }
    }
}

struct Table {
    groups: RBTree<Key, Arc<Group>>,
    /// The last sequence number given out.
    seq: u64,
}

impl Table {
    /// The first group of `mgid` (`mcast_find()`): the sequence-0 one if there is one, else
    /// one that shares an MGID the SA assigned.
    fn find(&self, mgid: Gid) -> Option<&Arc<Group>> {
        // The sequence-0 group in one walk; the first with a sequence number in two.
        let key = Key::of(mgid);
        if let Some(group) = self.groups.get(&key) {
            return Some(group);
        }
        let next = *self.groups.cursor_lower_bound(&key)?.current().0;
        if next.mgid != mgid.0 {
            return None;
        }
        self.groups.get(&next)
    }
}

/// Live object counters of a port: groups, for the debugfs view and tests; members, for KUnit's
/// leak checks only (two atomic operations per member, off the production path).
pub(crate) struct Stats {
    groups: Atomic<i64>,
    #[cfg(CONFIG_KUNIT = "y")]
    members: Atomic<i64>,
}

impl Stats {
    const fn new() -> Self {
        Self {
            groups: Atomic::new(0),
            #[cfg(CONFIG_KUNIT = "y")]
            members: Atomic::new(0),
        }
    }

    pub(crate) fn member_born(&self) {
        #[cfg(CONFIG_KUNIT = "y")]
        self.members.fetch_add(1, Relaxed);
    }

    pub(crate) fn member_died(&self) {
        #[cfg(CONFIG_KUNIT = "y")]
        self.members.fetch_sub(1, Relaxed);
    }

    /// Live groups and members.
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn live(&self) -> (i64, i64) {
        (self.groups.load(Relaxed), self.members.load(Relaxed))
    }
}

/// The multicast groups of one port.
#[pin_data]
pub(crate) struct Port {
    pub(crate) num: u32,
    pub(crate) sa: Arc<dyn SaBackend>,
    /// The queue of the device's groups, dropped last by the client's `remove()`.
    wq: Arc<OwnedQueue>,
    pub(crate) stats: Stats,
    #[pin]
    table: SpinLockIrq<Table>,
    life: Arc<PortLife>,
}

impl Port {
    /// A port without groups.
    pub(crate) fn new(num: u32, sa: Arc<dyn SaBackend>, wq: Arc<OwnedQueue>) -> Result<Arc<Self>> {
        let life = Arc::pin_init(
            pin_init!(PortLife {
                refs: Refcount::new(1),
                gone <- Completion::new(),
            }),
            GFP_KERNEL,
        )?;
        Arc::pin_init(
            pin_init!(Self {
                num,
                sa,
                wq,
                stats: Stats::new(),
                table <- kernel::new_spinlock_irq!(
                    Table { groups: RBTree::new(), seq: 0 },
                    "Port::table"
                ),
                life,
            }),
            GFP_KERNEL,
        )
    }

    /// Queues `group`'s work. The machine queues it only when it starts, so it is never queued
    /// already: a failure would be a bug, which the work would then fix by running.
    pub(crate) fn queue_work(&self, group: Arc<Group>) {
        let _ = self.wq.enqueue(group);
    }

    /// Waits until the work queued on the port's queue before the call has run.
    pub(crate) fn flush(&self) {
        self.wq.flush();
    }

    /// The group of `mgid` with one more user, created if needed (`acquire_group()`). Every
    /// join of MGID 0 gets a group of its own.
    pub(crate) fn acquire_group(
        self: &Arc<Self>,
        mgid: Gid,
        flags: kernel::alloc::Flags,
    ) -> Result<Arc<Group>> {
        let zero = mgid.is_zero();
        if !zero {
            if let Some(g) = self.table.lock().find(mgid) {
                g.users.inc();
                return Ok(g.clone());
            }
        }
        let node = RBTreeNodeReservation::new(flags)?;
        let new = Arc::pin_init(
            Group::new(self.clone(), self.group_use(), Key::of(mgid)),
            flags,
        )?;
        let mut t = self.table.lock();
        let mut key = Key::of(mgid);
        if zero {
            t.seq += 1;
            key.seq = t.seq;
            new.inner.lock().key = key;
        } else if let Some(g) = t.find(mgid) {
            g.users.inc();
            return Ok(g.clone());
        }
        t.groups.insert(node.into_node(key, new.clone()));
        self.stats.groups.fetch_add(1, Relaxed);
        Ok(new)
    }

    /// Drops one user of `group`; the last one takes it out of the table (`release_group()`).
    pub(crate) fn release_group(&self, group: &Group) {
        let mut t = self.table.lock();
        if !group.users.dec_and_test() {
            return;
        }
        let key = group.inner.lock().key;
        let node = t.groups.remove_node(&key);
        drop(t);
        drop(node);
        self.stats.groups.fetch_sub(1, Relaxed);
    }

    /// A new group's count on the port's life.
    fn group_use(&self) -> PortUse {
        self.life.refs.inc();
        PortUse(self.life.clone())
    }

    /// Runs `f` on `group` under the table lock and re-files the group if `f` changed its
    /// MGID (the SA assigned one to an MGID 0 join, or answered with another).
    pub(crate) fn update_group(&self, group: &Arc<Group>, f: impl FnOnce(&mut GroupInner)) {
        let mut t = self.table.lock();
        let mut g = group.inner.lock();
        let old = g.key;
        f(&mut g);
        let mgid = g.rec.mgid();
        if mgid.0 == old.mgid {
            return;
        }
        let Some(node) = t.groups.remove_node(&old) else {
            return;
        };
        let mut key = Key::of(mgid);
        if mgid.is_zero() || t.groups.get(&key).is_some() {
            t.seq += 1;
            key.seq = t.seq;
        }
        g.key = key;
        drop(g);
        // The node just removed is reused: no allocation under the lock.
        t.groups
            .insert(node.into_reservation().into_node(key, group.clone()));
    }

    /// A port event for every group (`mcast_groups_event()`): idle groups start their
    /// machine, and all but those already in error take `state`.
    pub(crate) fn groups_event(&self, state: State) {
        let t = self.table.lock();
        for (_, group) in t.groups.iter() {
            let mut g = group.inner.lock();
            if g.state == State::Idle {
                group.users.inc();
                self.queue_work(group.clone());
            }
            if g.state != State::Error {
                g.state = state;
            }
        }
    }

    /// The record of the group of `mgid` (`ib_sa_get_mcmember_rec()`).
    pub(crate) fn find_rec(&self, mgid: Gid) -> Result<McMemberRec> {
        let t = self.table.lock();
        match t.find(mgid) {
            Some(g) => Ok(g.inner.lock().rec),
            None => Err(EADDRNOTAVAIL),
        }
    }

    /// Drops the port's own count and waits until its last group is freed
    /// (`mcast_remove_one()`); the caller flushed the queue.
    pub(crate) fn shut_down(&self) {
        self.life.put();
        self.life.gone.wait_for_completion();
    }

    /// Writes the port (its live groups, and the members their users hold), its groups and
    /// their members.
    pub(crate) fn show(&self, w: &mut dyn core::fmt::Write) -> core::fmt::Result {
        let t = self.table.lock();
        let members: usize = t.groups.iter().map(|(_, g)| g.held()).sum();
        w.write_fmt(fmt!(
            "port {} groups {} members {}\n",
            self.num,
            self.stats.groups.load(Relaxed),
            members
        ))?;
        for (_, g) in t.groups.iter() {
            g.show(w)?;
        }
        Ok(())
    }
}
