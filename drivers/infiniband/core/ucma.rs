// SPDX-License-Identifier: GPL-2.0

//! The files of the rdma_cm device (`/dev/infiniband/rdma_cm`, rdma_ucm ABI v4): the Rust
//! implementation of `ucma.c`'s file operations, chosen at `open()` by
//! `rdma_ucm.ucma_impl=rust`. `ucma.c` keeps the misc device, its `abi_version`, the
//! `net.rdma_ucm.max_backlog` sysctl and the netlink discovery of the device; a file opened
//! while the parameter says "rust" is served here for its whole life.
//!
//! - [`file::File`]: an open file, its contexts and its queue of events; GET_EVENT, `poll()`,
//!   the teardown on close;
//! - [`context::Context`]: a user's rdma_cm id, the users that keep it from being destroyed,
//!   its closing (also on device removal) and rdma_cm's event handler;
//! - [`multicast::Multicast`]: a join, and JOIN_IP_MCAST, JOIN_MCAST, LEAVE_MCAST;
//! - [`event::Event`]: an event waiting to be read;
//! - [`cmd`]: `write()` and the other commands, checked in C's order;
//! - [`table::IdTable`]: the ids of contexts and joins, shared by every file as in C (an id
//!   of another file is `EINVAL`, not `ENOENT`);
//! - [`shim`]: the unsafe code (but for a join's call, whose caller keeps the join alive):
//!   the file operations `ucma.c` calls, rdma_cm's event
//!   handler, a context's id and its users, and the calls into C.
//!
//! The responses that need rdma_cm's internals (routes, addresses, paths, GIDs, the
//! parameters of an event, an IB path option) are filled by helpers of `ucma.c` that both
//! implementations use.

mod cmd;
mod context;
mod event;
mod file;
mod multicast;
mod shim;
mod table;
#[cfg(CONFIG_KUNIT)]
mod tests;

use context::Context;
use kernel::prelude::*;
use multicast::Multicast;
use table::IdTable;

kernel::sync::global_lock! {
    // SAFETY: Initialised by `rdma_rs_ucma_init()`, before the device is registered.
    unsafe(uninit) static CTX_TABLE: Mutex<IdTable<Context>> = IdTable::new();
}

kernel::sync::global_lock! {
    // SAFETY: Initialised by `rdma_rs_ucma_init()`, before the device is registered.
    unsafe(uninit) static MC_TABLE: Mutex<IdTable<Multicast>> = IdTable::new();
}
