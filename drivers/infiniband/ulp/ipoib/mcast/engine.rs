// SPDX-License-Identifier: GPL-2.0

//! The join engine of one interface: its multicast entries, and the scheduling of its join
//! task (`__ipoib_mcast_schedule_join_thread()`).

use super::{
    entry::Entry,
    host::Host, //
};
use kernel::{
    prelude::*,
    rbtree::{
        RBTree,
        RBTreeNodeReservation, //
    },
    sync::{
        Arc,
        SpinLockIrq, //
    },
    time::Jiffies,
};

/// The longest wait between two joins of a group, in seconds (`IPOIB_MAX_BACKOFF_SECONDS`).
pub(crate) const MAX_BACKOFF_SECONDS: u16 = 16;

/// The most packets queued on a group waiting for its join (`IPOIB_MAX_MCAST_QUEUE`).
pub(crate) const MAX_QUEUED: usize = 64;

/// Whether jiffies `a` is before `b` (`time_before()`).
pub(crate) fn before(a: Jiffies, b: Jiffies) -> bool {
    (a.wrapping_sub(b) as isize) < 0
}

/// Room for an entry in the tree, taken before the entry is made: an entry is never freed
/// under the lock, and a host's entry may take `priv->lock` when freed.
pub(crate) type Node<H> = RBTreeNodeReservation<[u8; 16], Arc<Entry<H>>>;

/// Room for an entry in the tree, without sleeping.
pub(crate) fn node<H: Host>() -> Option<Node<H>> {
    RBTreeNodeReservation::new(GFP_ATOMIC).ok()
}

/// The entries, under the engine's lock (C's `priv->lock` guards them).
pub(crate) struct Inner<H: Host> {
    /// The broadcast group, once the join task made it (`priv->broadcast`); it is in `tree`
    /// and not in `list`.
    pub(crate) broadcast: Option<Arc<Entry<H>>>,
    /// Every entry by MGID (`priv->multicast_tree`).
    pub(crate) tree: RBTree<[u8; 16], Arc<Entry<H>>>,
    /// The entries but the broadcast one, in the order they came (`priv->multicast_list`):
    /// the join task joins them in this order.
    pub(crate) list: KVec<Arc<Entry<H>>>,
}

impl<H: Host> Inner<H> {
    /// Adds `e` to the tree in `node` (`__ipoib_mcast_add()`); gives back whatever had its
    /// MGID.
    pub(crate) fn tree_insert(
        &mut self,
        node: Node<H>,
        e: &Arc<Entry<H>>,
    ) -> Option<Arc<Entry<H>>> {
        let node = node.into_node(e.mgid.0, e.clone());
        self.tree.insert(node).map(|old| old.to_key_value().1)
    }

    /// Takes `e` off the list.
    pub(crate) fn list_remove(&mut self, e: &Arc<Entry<H>>) {
        self.list.retain(|x| !Arc::ptr_eq(x, e));
    }

    /// Whether `e` is the broadcast entry.
    pub(crate) fn is_broadcast(&self, e: &Entry<H>) -> bool {
        self.broadcast
            .as_ref()
            .is_some_and(|b| core::ptr::eq::<Entry<H>>(&**b, e))
    }
}

/// The join engine of one interface.
#[pin_data]
pub(crate) struct Engine<H: Host> {
    pub(crate) host: H,
    #[pin]
    pub(crate) inner: SpinLockIrq<Inner<H>>,
}

impl<H: Host> Engine<H> {
    /// An engine with no entries.
    pub(crate) fn new(host: H) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                host,
                inner <- kernel::new_spinlock_irq!(Inner {
                    broadcast: None,
                    tree: RBTree::new(),
                    list: KVec::new(),
                }, "ipoib_mcast_rs"),
            }),
            GFP_KERNEL,
        )
    }

    /// Runs the join task now, or after a failure (`delay`): after 1 s with no entry (the
    /// broadcast entry could not be allocated), or at once with `e`'s backoff doubled
    /// (`__ipoib_mcast_schedule_join_thread()`). Called with the lock held: `g` is what it guards.
    pub(crate) fn schedule(&self, g: &mut Inner<H>, e: Option<&Entry<H>>, delay: bool) {
        if !self.host.allowed() {
            return;
        }
        match (e, delay) {
            (Some(e), true) => {
                let now = self.host.now();
                let hz = self.host.hz();
                let st = e.state.access_mut(g);
                st.backoff = (st.backoff * 2).min(MAX_BACKOFF_SECONDS);
                st.delay_until = now.wrapping_add(Jiffies::from(st.backoff) * hz);
                self.host.schedule_join_task(0);
            }
            (None, true) => self.host.schedule_join_task(self.host.hz()),
            _ => self.host.schedule_join_task(0),
        }
    }

    /// Starts the join task (`ipoib_mcast_start_thread()`).
    pub(crate) fn start(&self) {
        let mut g = self.inner.lock();
        self.schedule(&mut g, None, false);
    }

    /// The entry of group `mgid`.
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn find(&self, mgid: &kernel::rdma::Gid) -> Option<Arc<Entry<H>>> {
        self.inner.lock().tree.get(&mgid.0).cloned()
    }
}
