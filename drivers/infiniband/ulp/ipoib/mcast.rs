// SPDX-License-Identifier: GPL-2.0

//! The IPoIB multicast join task: the Rust implementation of `ipoib_multicast.c`'s joins.
//!
//! An interface's [`engine::Engine`] keeps its multicast entries and joins them at the SA:
//!
//! - [`entry::Entry`]: a group of the interface (`struct ipoib_mcast`), its state under the
//!   engine's lock;
//! - [`attempt::Attempt`]: one join in flight, which the membership references, so that an
//!   entry lives while its answer is handled, and whose signal is its own;
//! - `task`: the join task, a join, and the handling of the SA's answer, backoff included;
//! - `send`: the transmit path's send-only groups;
//! - `restart`: the restart task, which follows the interface's multicast list;
//! - `remove`: leaves, the remove list and the flush;
//! - `iter`: the `<ifname>_mcg` debugfs walk;
//! - [`host::Host`]: what stays C's (entries' packets, address handles, neighbours,
//!   `priv->broadcast`, the QP, the works), so that KUnit drives the engine through the fake
//!   of `fake`;
//! - [`ffi`]: the live host over `ipoib_multicast.c`'s glue, and the `rdma_rs_ipoib_mcast_*`
//!   functions that file calls for an interface that runs this join task; the piece's only
//!   `unsafe` code.
//!
//! The seed's invariants hold by construction: an entry's join in flight is its
//! [`entry::Phase::Busy`] attempt, so there is at most one; the attempt is signalled on every
//! path that ends it, after the last access to the entry, and the entry cannot be freed before
//! (the attempt holds it); an entry leaves its tree and list once, under the lock, and only
//! the holder of its membership gives it back.

/// `ipoib_warn()`: a warning about the host's interface, as the host logs it.
macro_rules! mcast_warn {
    ($host:expr, $($arg:tt)+) => {
        // A `match` keeps the arguments' temporaries alive for the call.
        match ::kernel::prelude::fmt!($($arg)+) {
            args => $host.warn(args),
        }
    };
}

/// `ipoib_dbg_mcast()`: a debug message about the host's interface, as the host logs it.
macro_rules! mcast_dbg {
    ($host:expr, $($arg:tt)+) => {
        match ::kernel::prelude::fmt!($($arg)+) {
            args => $host.dbg(args),
        }
    };
}

mod attempt;
mod engine;
mod entry;
#[cfg(CONFIG_KUNIT = "y")]
mod fake;
mod ffi;
mod host;
mod iter;
mod remove;
mod restart;
mod send;
mod task;
#[cfg(CONFIG_KUNIT = "y")]
mod tests;
