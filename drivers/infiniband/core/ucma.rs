// SPDX-License-Identifier: GPL-2.0

//! The files of the rdma_cm device (`/dev/infiniband/rdma_cm`, rdma_ucm ABI v4): the Rust
//! implementation of `ucma.c`'s file operations, chosen at `open()` by
//! `rdma_ucm.ucma_impl=rust`. `ucma.c` keeps the misc device, its `abi_version`, the
//! `net.rdma_ucm.max_backlog` sysctl and the netlink discovery of the device; a file opened
//! while the parameter says "rust" is served here for its whole life.
//!
//! - [`file::File`]: an open file, its contexts and its queue of events; GET_EVENT, `poll()`,
//!   the teardown on close;
//! - [`context::Context`]: a user's rdma_cm id, its closing (also on device removal) and what
//!   its events do;
//! - [`multicast::Multicast`]: a join, and JOIN_IP_MCAST, JOIN_MCAST, LEAVE_MCAST;
//! - [`event::Event`]: an event waiting to be read;
//! - [`cmd`]: `write()` and the other commands, checked in C's order;
//! - [`Tables`]: the ids of contexts and joins, shared by every file as in C (an id of another
//!   file is `EINVAL`, not `ENOENT`);
//! - [`ffi`]: the C boundary, the piece's only `unsafe` code: the file operations, rdma_cm's
//!   event handler, a context's id and its users.
//!
//! The responses that need rdma_cm's internals (routes, addresses, paths, GIDs, the
//! parameters of an event, an IB path option) are filled by helpers of `ucma.c` that both
//! implementations use.

mod cmd;
mod context;
mod event;
mod ffi;
mod file;
mod multicast;
#[cfg(CONFIG_KUNIT = "y")]
mod tests;
mod user;

use context::Context;
use kernel::{
    prelude::*,
    sync::Arc,
    xarray::{
        AllocKind,
        XArray, //
    },
};
use multicast::Multicast;

/// The ids of contexts and joins (C's `ctx_table` and `multicast_table`): allocated lowest free
/// first, from 0, by `xa_alloc()`. An id is reserved while its object is being made or
/// destroyed, and published (found by lookups) in between.
#[pin_data]
pub(crate) struct Tables {
    #[pin]
    ctxs: XArray<Arc<Context>>,
    #[pin]
    mcs: XArray<Arc<Multicast>>,
}

impl Tables {
    fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                ctxs <- XArray::new(AllocKind::Alloc),
                mcs <- XArray::new(AllocKind::Alloc),
            }),
            GFP_KERNEL,
        )
    }

    /// Reserves the lowest free id of `table`.
    fn reserve<T: kernel::types::ForeignOwnable>(table: &XArray<T>) -> Result<u32> {
        let id = table.lock().alloc(0..=u32::MAX, None, GFP_KERNEL)?;
        u32::try_from(id).map_err(|_| EINVAL)
    }
}
