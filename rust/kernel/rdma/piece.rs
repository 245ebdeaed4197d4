// SPDX-License-Identifier: GPL-2.0

//! The running state of a piece: the Rust implementation of a part of the RDMA core that runs
//! beside its C original, selected by a module parameter (`include/rdma/rdma_impl.h`).
//!
//! The C original starts the piece from its init function and keeps the piece's state as a
//! `void *` until its exit function stops it; these helpers move the state across, as a
//! [`ForeignOwnable`].

use crate::{
    error::Result,
    ffi::{
        c_int,
        c_void, //
    },
    types::ForeignOwnable,
};

/// Starts a piece: runs `init` and stores its state in `*slot`; returns 0 or the error.
///
/// # Safety
///
/// `slot` must be valid for a write. The state written there must later be given to
/// [`stop`] with the same `T`, once.
pub unsafe fn start<T: ForeignOwnable>(
    slot: *mut *mut c_void,
    init: impl FnOnce() -> Result<T>,
) -> c_int {
    match init() {
        Ok(state) => {
            // SAFETY: The caller guarantees that `slot` is valid for a write.
            unsafe { *slot = state.into_foreign() };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// Borrows the state of a running piece.
///
/// # Safety
///
/// `state` must come from [`start`] with the same `T`, and the piece must not be stopped while
/// the borrow lives.
pub unsafe fn state<'a, T: ForeignOwnable>(state: *mut c_void) -> T::Borrowed<'a> {
    // SAFETY: Guaranteed by the caller.
    unsafe { T::borrow(state) }
}

/// Stops a piece: takes its state back and drops it.
///
/// # Safety
///
/// `state` must come from [`start`] with the same `T`, and must not be used afterwards.
pub unsafe fn stop<T: ForeignOwnable>(state: *mut c_void) {
    // SAFETY: Guaranteed by the caller.
    drop(unsafe { T::from_foreign(state) });
}
