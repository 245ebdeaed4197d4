// SPDX-License-Identifier: GPL-2.0

//! The Rust half of `ib_core`.
//!
//! Each piece here sits beside its C original in this module and implements the same behaviour.
//! A read-only module parameter of `ib_core` (see `include/rdma/rdma_impl.h`) chooses which of
//! the two runs; the C side then calls the `rdma_rs_*` functions declared in `ib_core_rust.h`.
//!
//! - [`roce_gid_mgmt`]: RoCE GID table management (`roce_gid_mgmt.c`), `ib_core.roce_gid_impl`:
//!   net device and address notifiers, the device rescan, default and IP-based GIDs.
//! - [`multicast`]: SA multicast join/leave reference counting (`multicast.c`),
//!   `ib_core.sa_mcast_impl`: the four `ib_sa_*multicast*` exports used by rdma_cm and IPoIB.
//!
//! The module, and so its `module!`, is C's: a piece that logs defines `__LOG_PREFIX` here
//! for the `pr_*!` macros.

mod multicast;
mod roce_gid_mgmt;
