// SPDX-License-Identifier: GPL-2.0

//! The running state of a piece: the Rust implementation of a part of the RDMA core that runs
//! beside its C original, selected by a module parameter (`include/rdma/rdma_impl.h`).
//!
//! The C original starts the piece from its init function and keeps the piece's state as a
//! `void *` until its exit function stops it; these helpers move the state across, as a
//! [`ForeignOwnable`].
//!
//! A piece's state may stand for something of which there is one, such as a static object of
//! its C glue (its SA client) or the right to touch a field that every object of rdma_cm has
//! for the piece: [`Exclusive`] hands out one claim on it at a time.

use crate::{
    error::{
        code::EBUSY,
        Result, //
    },
    ffi::{
        c_int,
        c_void, //
    },
    sync::atomic::{
        Acquire,
        AtomicFlag,
        Release, //
    },
    types::ForeignOwnable,
};

/// Something of which one claim at a time may exist, usually a `static`.
///
/// # Examples
///
/// ```
/// use kernel::{prelude::*, rdma::piece::Exclusive};
///
/// static CLIENT: Exclusive = Exclusive::new();
///
/// let first = CLIENT.claim()?;
/// assert_eq!(CLIENT.claim().err(), Some(EBUSY));
/// drop(first);
/// assert!(CLIENT.claim().is_ok());
/// # Ok::<(), Error>(())
/// ```
pub struct Exclusive {
    /// Set while an [`ExclusiveClaim`] of this exists; written only by [`Exclusive::claim`] and
    /// by the claim's drop.
    claimed: AtomicFlag,
}

impl Exclusive {
    /// Not claimed.
    pub const fn new() -> Self {
        Self {
            claimed: AtomicFlag::new(false),
        }
    }

    /// The claim on `self`; `EBUSY` while another one exists.
    pub fn claim(&self) -> Result<ExclusiveClaim<'_>> {
        if self.claimed.xchg(true, Acquire) {
            return Err(EBUSY);
        }
        // INVARIANT: The flag was clear, so no other claim existed, and it is set now.
        Ok(ExclusiveClaim { of: self })
    }
}

impl Default for Exclusive {
    fn default() -> Self {
        Self::new()
    }
}

/// The one claim on an [`Exclusive`] while it lives; dropping it lets the next claim be made.
///
/// # Invariants
///
/// No other `ExclusiveClaim` of `of` exists, and `of`'s flag is set.
#[must_use = "the claim ends when it is dropped"]
pub struct ExclusiveClaim<'a> {
    of: &'a Exclusive,
}

impl Drop for ExclusiveClaim<'_> {
    fn drop(&mut self) {
        // What this claim did under its invariant happens before the next claim's `Acquire`.
        self.of.claimed.store(false, Release);
    }
}

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

#[macros::kunit_tests(rust_kernel_rdma_piece)]
mod tests {
    use super::*;

    #[test]
    fn exclusive_claims_one_at_a_time() -> Result {
        static ONE: Exclusive = Exclusive::new();
        let other = Exclusive::new();
        let first = ONE.claim()?;
        assert_eq!(ONE.claim().err(), Some(EBUSY));
        // Claims of another `Exclusive` are independent.
        let second = other.claim()?;
        assert_eq!(other.claim().err(), Some(EBUSY));
        drop(first);
        let again = ONE.claim()?;
        assert_eq!(ONE.claim().err(), Some(EBUSY));
        drop(again);
        drop(second);
        assert!(other.claim().is_ok());
        Ok(())
    }
}
