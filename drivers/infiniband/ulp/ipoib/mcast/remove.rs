// SPDX-License-Identifier: GPL-2.0

//! Leaving groups: the remove list (`ipoib_mcast_remove_list()`), the flush of every entry
//! (`ipoib_mcast_dev_flush()`) and the neighbour reaper's send-only groups
//! (`ipoib_check_and_add_mcast_sendonly()`).
//!
//! Entries leave their tree and list under the lock, then each one's join in flight is waited
//! for, then each leaves (membership given back, QP detached) and is freed. An entry is taken
//! off its tree once, by whoever takes it, so no flush leaves a group twice, and every
//! membership is given back by the entry that holds it.

use super::{
    engine::Engine,
    entry::Entry,
    host::Host, //
};
use kernel::{prelude::*, rbtree::RBTree, rdma::Gid, sync::Arc};

/// Entries taken off the interface, to leave.
pub(crate) type RemoveList<H> = KVec<Arc<Entry<H>>>;

impl<H: Host> Engine<H> {
    /// Leaves `e`'s group (`ipoib_mcast_leave()`): gives the membership back to the SA code
    /// and detaches the QP.
    fn leave(&self, e: &Entry<H>) {
        let (join, attached, rec) = {
            let mut g = self.inner.lock();
            let st = e.state.access_mut(&mut g);
            if st.busy() {
                // The remove list waits for joins: a join that started since is a bug.
                mcast_warn!(self.host, "ipoib_mcast_leave on an in-flight join\n");
            }
            st.joined = false;
            (
                st.join.take(),
                core::mem::replace(&mut st.attached, false),
                st.rec,
            )
        };
        drop(join);
        if attached {
            self.host.detach(&e.mcast, &rec);
        } else if !e.sendonly {
            mcast_dbg!(
                self.host,
                "leaving with no mcmember but not a SENDONLY join\n"
            );
        }
    }

    /// Waits for the joins in flight of `list`'s entries, then leaves and frees them.
    pub(crate) fn remove_list(&self, list: RemoveList<H>) {
        self.remove(list, None);
    }

    /// [`Engine::remove_list`] of `list` and then `last`.
    fn remove(&self, list: RemoveList<H>, last: Option<Arc<Entry<H>>>) {
        if list.is_empty() && last.is_none() {
            // Nothing to wait for, leave or quiesce (an interface whose creation failed has no
            // net device to quiesce).
            return;
        }
        for e in Iterator::chain(list.iter(), last.iter()) {
            let attempt = e.state.access(&self.inner.lock()).attempt();
            if let Some(attempt) = attempt {
                attempt.wait();
            }
        }
        for e in Iterator::chain(list.iter(), last.iter()) {
            self.leave(e);
        }
        // The entries are off the tree: once no transmit path uses one, these references are
        // the last but for answers still being handled, and the entries are freed here.
        self.host.quiesce_transmit();
        drop(list);
        drop(last);
    }

    /// Leaves and frees one entry taken off the interface.
    pub(crate) fn remove_entry(&self, e: Arc<Entry<H>>) {
        self.remove(RemoveList::new(), Some(e));
    }

    /// Leaves every group: the list's, then the broadcast one, which stops being
    /// `priv->broadcast` first.
    pub(crate) fn flush(&self) {
        let (list, broadcast) = {
            let mut g = self.inner.lock();
            let list = core::mem::take(&mut g.list);
            let broadcast = g.broadcast.take();
            // Every entry of the tree is in `list` or `broadcast`: none is freed here.
            g.tree = RBTree::new();
            (list, broadcast)
        };
        if let Some(b) = &broadcast {
            // Before it is freed; a join task that made a new one since keeps it published.
            self.host.unpublish_broadcast(&b.mcast);
        }
        self.remove(list, broadcast);
    }

    /// The neighbour reaper found no neighbour of `mgid`: if it is a send-only group, takes it
    /// off the interface and gives it, for the caller's remove list.
    pub(crate) fn take_sendonly(&self, mgid: &Gid) -> Option<Arc<Entry<H>>> {
        if mgid.0[0] != 0xff {
            return None;
        }
        let mut g = self.inner.lock();
        let e = g.tree.get(&mgid.0)?.clone();
        if !e.sendonly {
            return None;
        }
        g.tree.remove(&mgid.0);
        g.list_remove(&e);
        Some(e)
    }
}
