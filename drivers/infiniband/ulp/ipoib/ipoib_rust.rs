// SPDX-License-Identifier: GPL-2.0

//! The Rust half of `ib_ipoib`.
//!
//! - [`mcast`]: the multicast join task (`ipoib_multicast.c`).
//!
//! The module, and so its `module!`, is C's.

mod mcast;

/// The prefix of the `pr_*!` macros' messages.
const __LOG_PREFIX: &[u8] = b"ib_ipoib\0";
