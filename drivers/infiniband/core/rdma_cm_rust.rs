// SPDX-License-Identifier: GPL-2.0

//! The Rust half of `rdma_cm`.
//!
//! Pieces here sit beside their C originals in `cma.c` and implement the same behaviour; a
//! read-only module parameter of `rdma_cm` (see `include/rdma/rdma_impl.h`) chooses which of
//! the two runs, and `cma.c` then calls the `rdma_rs_cma_*` functions declared in
//! `rdma_cm_rust.h`.
//!
//! - [`cma_mcast`]: multicast joins and leaves of rdma_cm ids, `rdma_cm.mcast_impl`.

mod cma_mcast;
