// SPDX-License-Identifier: GPL-2.0

//! User memory of the commands: the uABI structures read and written whole, or in part where
//! C copies part of them.

use kernel::{
    prelude::*,
    transmute::{
        AsBytes,
        FromBytes, //
    },
    uaccess::{
        UserPtr,
        UserSlice, //
    },
};

/// User memory at `addr`, `len` bytes.
pub(crate) fn user(addr: u64, len: usize) -> UserSlice {
    UserSlice::new(UserPtr::from_addr(addr as usize), len)
}

/// Reads a `T` from user memory at `addr`, as `copy_from_user(&t, addr, sizeof(t))` does.
pub(crate) fn read<T: FromBytes>(addr: u64) -> Result<T> {
    user(addr, size_of::<T>()).reader().read()
}

/// Reads the first `len` bytes of a `T` (at most all of it) from user memory; the rest is zero.
pub(crate) fn read_part<T: FromBytes + AsBytes + Default>(addr: u64, len: usize) -> Result<T> {
    let mut t = T::default();
    let n = len.min(size_of::<T>());
    user(addr, n)
        .reader()
        .read_slice(&mut t.as_bytes_mut()[..n])?;
    Ok(t)
}

/// Writes the first `len` bytes of `t` (at most all of it) to user memory at `addr`.
pub(crate) fn write_part<T: AsBytes>(addr: u64, t: &T, len: usize) -> Result {
    let n = len.min(size_of::<T>());
    user(addr, n).writer().write_slice(&t.as_bytes()[..n])
}

/// Writes all of `t` to user memory at `addr`, as `copy_to_user(addr, &t, sizeof(t))` does.
pub(crate) fn write<T: AsBytes>(addr: u64, t: &T) -> Result {
    user(addr, size_of::<T>()).writer().write(t)
}

/// Writes bytes to user memory at `addr`.
pub(crate) fn write_bytes(addr: u64, b: &[u8]) -> Result {
    user(addr, b.len()).writer().write_slice(b)
}
