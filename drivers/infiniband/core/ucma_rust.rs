// SPDX-License-Identifier: GPL-2.0

//! The Rust half of `rdma_ucm`.
//!
//! It sits beside `ucma.c` and implements the same behaviour; the read-only module parameter
//! `rdma_ucm.ucma_impl` (see `include/rdma/rdma_impl.h`) chooses which of the two serves the
//! files of the rdma_cm device opened from then on, and `ucma.c` then gives such a file the
//! `rdma_rs_ucma_*` operations declared in `ucma_rust.h`.
//!
//! - [`ucma`]: the rdma_cm device's files (rdma_ucm ABI v4).

mod ucma;
