// SPDX-License-Identifier: GPL-2.0

//! RoCE GID table management: the Rust implementation of `roce_gid_mgmt.c`.
//!
//! Selected by `ib_core.roce_gid_impl=rust`. It starts with the GID type mask of a port, which
//! the GID cache, the default GIDs and `rdma_cm` ask for on every RoCE port.

use kernel::{
    bindings,
    prelude::*,
    rdma, //
};

/// The GID types `port` of `ib_dev` supports: `roce_gid_type_mask_support()`.
///
/// For a port number the device does not have, the C function reads out of bounds; this one
/// returns the empty mask.
///
/// # Safety
///
/// `ib_dev` must point to an `ib_device` that stays referenced during the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_roce_gid_type_mask_support(
    ib_dev: *mut bindings::ib_device,
    port: u32,
) -> c_ulong {
    // SAFETY: The caller guarantees the device stays referenced during the call.
    let dev = unsafe { rdma::Device::from_raw(ib_dev) };
    dev.gid_type_mask(port).map_or(0, |mask| mask.0 as c_ulong)
}
