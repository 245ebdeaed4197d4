// SPDX-License-Identifier: GPL-2.0

//! The transmit path to a multicast group (`ipoib_mcast_send()`).
//!
//! A packet to a joined group goes out at once. A packet to a group with no entry makes a
//! send-only one; a packet to a group being joined waits on its entry, at most
//! [`MAX_QUEUED`] of them, and the join task runs if no join of it is in flight.

use super::{
    engine::{
        node,
        Engine,
        MAX_QUEUED, //
    },
    entry::Entry,
    host::Host, //
};
use kernel::{
    prelude::*,
    rdma::Gid, //
};

impl<H: Host> Engine<H> {
    /// Sends `packet` to group `mgid`.
    pub(crate) fn send(&self, mgid: &Gid, packet: H::Packet) {
        let mut g = self.inner.lock();
        let attached = g
            .broadcast
            .as_ref()
            .is_some_and(|b| b.state.access(&g).attached);
        if !self.host.allowed() || !attached {
            self.host.drop_packet(packet);
            return;
        }
        let found = g.tree.get(&mgid.0).cloned();
        let e = match found {
            Some(e) if e.state.access(&g).has_ah => {
                drop(g);
                self.host.transmit(&e.mcast, packet);
                return;
            }
            Some(e) => e,
            None => {
                mcast_dbg!(
                    self.host,
                    "setting up send only multicast group for {}\n",
                    mgid
                );
                let e = match (node::<H>(), g.list.reserve(1, GFP_ATOMIC)) {
                    (Some(node), Ok(())) => {
                        Entry::new(&self.host, &self.inner, *mgid, true).map(|e| (node, e))
                    }
                    _ => None,
                };
                let Some((node, e)) = e else {
                    mcast_warn!(
                        self.host,
                        "unable to allocate memory for multicast structure\n"
                    );
                    self.host.drop_packet(packet);
                    return;
                };
                let _ = g.tree_insert(node, &e);
                // Room was reserved.
                let _ = g.list.push_within_capacity(e.clone());
                e
            }
        };
        if self.host.queue_len(&e.mcast) < MAX_QUEUED {
            self.host.enqueue(&e.mcast, packet);
        } else {
            self.host.drop_packet(packet);
        }
        if !e.state.access(&g).busy() {
            self.schedule(&mut g, None, false);
        }
    }
}
