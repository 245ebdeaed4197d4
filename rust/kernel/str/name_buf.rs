// SPDX-License-Identifier: GPL-2.0

//! Names copied out of C character arrays that C may rewrite concurrently.

use crate::fmt;

/// A name of at most `N - 1` bytes, copied out of a NUL-terminated C array of `N` bytes, such
/// as a net device's `name` or an RDMA device's `name`.
///
/// C renames devices under its own locks while other threads read the name without them; the
/// copy reads the array byte by byte with volatile reads, as `READ_ONCE()` would, so a racing
/// rename gives a torn name but never undefined behaviour.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct NameBuf<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> NameBuf<N> {
    /// Copies the name at `src`, up to its NUL or `N - 1` bytes.
    ///
    /// # Safety
    ///
    /// `src` must be valid for reads of `N` bytes for the duration of the call.
    pub unsafe fn read_volatile(src: *const u8) -> Self {
        let mut name = Self {
            buf: [0; N],
            len: 0,
        };
        for i in 0..N.saturating_sub(1) {
            // SAFETY: `i < N`, and the caller guarantees `N` readable bytes.
            let b = unsafe { core::ptr::read_volatile(src.add(i)) };
            if b == 0 {
                break;
            }
            name.buf[i] = b;
            name.len = i + 1;
        }
        name
    }

    /// The name's bytes, without the terminating NUL.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl<const N: usize> PartialEq<[u8]> for NameBuf<N> {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_bytes() == other
    }
}

impl<const N: usize> fmt::Display for NameBuf<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Kernel device names are ASCII; a name torn by a rename may not be UTF-8.
        f.write_str(core::str::from_utf8(self.as_bytes()).unwrap_or("<renaming>"))
    }
}

impl<const N: usize> fmt::Debug for NameBuf<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[macros::kunit_tests(rust_kernel_str_name_buf)]
mod tests {
    use super::*;

    #[test]
    fn name_buf_stops_at_nul_and_capacity() {
        let src = *b"rxe0\0junk";
        // SAFETY: `src` has 9 readable bytes.
        let n = unsafe { NameBuf::<9>::read_volatile(src.as_ptr()) };
        assert_eq!(n.as_bytes(), b"rxe0");
        let full = *b"abcdefgh";
        // SAFETY: `full` has 8 readable bytes; at most 7 are kept.
        let n = unsafe { NameBuf::<8>::read_volatile(full.as_ptr()) };
        assert_eq!(n.as_bytes(), b"abcdefg");
        assert!(n == *b"abcdefg".as_slice());
    }
}
