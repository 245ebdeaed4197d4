// SPDX-License-Identifier: GPL-2.0

//! The Rust half of `mlx5_ib`.
//!
//! - [`mp`]: multiport RoCE affiliation (the `mlx5_core.multiport` auxiliary driver).
//!
//! The module, and so its `module!`, is C's.

mod mp;

/// The prefix of the `pr_*!` macros' messages.
const __LOG_PREFIX: &[u8] = b"mlx5_ib\0";
