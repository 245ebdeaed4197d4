// SPDX-License-Identifier: GPL-2.0

//! The `<ifname>_mcg` debugfs file's walk over the entries, in MGID order
//! (`ipoib_mcast_iter_next()`).

use super::{
    engine::Engine,
    host::Host, //
};
use kernel::{
    rdma::Gid,
    time::Jiffies, //
};

/// One line of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Row {
    pub(crate) mgid: Gid,
    pub(crate) created: Jiffies,
    pub(crate) queuelen: usize,
    /// Whether the group has its address handle.
    pub(crate) complete: bool,
    pub(crate) send_only: bool,
}

impl<H: Host> Engine<H> {
    /// The entry with the least MGID above `after`.
    pub(crate) fn next_after(&self, after: &Gid) -> Option<Row> {
        let g = self.inner.lock();
        let cursor = g.tree.cursor_lower_bound(&after.0)?;
        let (mgid, e) = cursor.current();
        let e = if *mgid == after.0 {
            cursor.peek_next()?.1
        } else {
            e
        };
        Some(Row {
            mgid: e.mgid,
            created: e.created,
            queuelen: self.host.queue_len(&e.mcast),
            complete: e.state.access(&g).has_ah,
            send_only: e.sendonly,
        })
    }
}
