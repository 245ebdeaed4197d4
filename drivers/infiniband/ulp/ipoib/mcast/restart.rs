// SPDX-License-Identifier: GPL-2.0

//! The restart task (`ipoib_mcast_restart_task()`): the interface's entries follow its
//! multicast address list.
//!
//! A group on the list with no entry, or with a send-only one, gets a full entry (the
//! send-only one is left); an entry whose group left the list is left, unless it is send-only.

use super::{
    engine::{
        node,
        Engine, //
    },
    entry::Entry,
    host::Host,
    remove::RemoveList, //
};
use kernel::{
    prelude::*,
    rdma::Gid, //
};

impl<H: Host> Engine<H> {
    /// Brings the entries in line with `mgids`, the groups of the interface's valid multicast
    /// addresses, then runs the join task.
    pub(crate) fn restart(&self, mgids: &[Gid]) {
        if !self.host.allowed() {
            // Shutting down: the flush that follows does the work.
            return;
        }
        mcast_dbg!(self.host, "restarting multicast task\n");
        let mut removed = RemoveList::<H>::new();
        'diff: {
            let mut g = self.inner.lock();
            // Room for every entry that can go: a send-only entry replaced per group, and the
            // list's entries. Nothing is freed under the lock.
            let room = mgids.len() + g.list.len();
            if removed.reserve(room, GFP_ATOMIC).is_err()
                || g.list.reserve(mgids.len(), GFP_ATOMIC).is_err()
            {
                mcast_warn!(
                    self.host,
                    "unable to allocate memory for the multicast restart\n"
                );
                // The entries stay as they are; the join task runs all the same.
                break 'diff;
            }
            let mut i = 0;
            while i < g.list.len() {
                let e = g.list[i].clone();
                e.state.access_mut(&mut g).found = false;
                i += 1;
            }
            let broadcast = self.host.broadcast_mgid();
            for mgid in mgids {
                // The broadcast group is the join task's alone, listed or not.
                if *mgid == broadcast {
                    continue;
                }
                let old = g.tree.get(&mgid.0).cloned();
                if old.as_ref().is_none_or(|o| o.sendonly) {
                    if self.host.joined_by_user(mgid) {
                        mcast_dbg!(self.host, "ignoring multicast entry for mgid {}\n", mgid);
                        continue;
                    }
                    mcast_dbg!(self.host, "adding multicast entry for mgid {}\n", mgid);
                    let new = node::<H>().and_then(|node| {
                        Entry::new(&self.host, &self.inner, *mgid, false).map(|e| (node, e))
                    });
                    let Some((node, new)) = new else {
                        mcast_warn!(
                            self.host,
                            "unable to allocate memory for multicast structure\n"
                        );
                        continue;
                    };
                    new.state.access_mut(&mut g).found = true;
                    if let Some(old) = g.tree_insert(node, &new) {
                        // The send-only entry is replaced.
                        g.list_remove(&old);
                        let _ = removed.push_within_capacity(old);
                    }
                    let _ = g.list.push_within_capacity(new);
                }
                if let Some(old) = old {
                    old.state.access_mut(&mut g).found = true;
                }
            }
            // The entries whose group left the list.
            let mut i = 0;
            while i < g.list.len() {
                let e = g.list[i].clone();
                if e.state.access(&g).found || e.sendonly {
                    i += 1;
                    continue;
                }
                mcast_dbg!(self.host, "deleting multicast group {}\n", e.mgid);
                g.tree.remove(&e.mgid.0);
                let _ = g.list.remove(i);
                let _ = removed.push_within_capacity(e);
            }
        }
        self.remove_list(removed);
        if self.host.allowed() {
            let mut g = self.inner.lock();
            self.schedule(&mut g, None, false);
        }
    }
}
