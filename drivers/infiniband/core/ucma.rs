// SPDX-License-Identifier: GPL-2.0

//! The files of the rdma_cm device (`/dev/infiniband/rdma_cm`, rdma_ucm ABI v4): the Rust
//! implementation of `ucma.c`'s file operations, chosen at `open()` by
//! `rdma_ucm.ucma_impl=rust`. `ucma.c` keeps the misc device, its `abi_version`, the
//! `net.rdma_ucm.max_backlog` sysctl and the netlink discovery of the device; a file opened
//! while the parameter says "rust" is served here for its whole life.
//!
//! - [`file::File`]: an open file, its contexts and its queue of events; GET_EVENT, `poll()`,
//!   the teardown on close;
//! - [`context::Context`]: a user's rdma_cm id, the users that keep it from being destroyed,
//!   its closing (also on device removal) and rdma_cm's event handler;
//! - [`multicast::Multicast`]: a join, and JOIN_IP_MCAST, JOIN_MCAST, LEAVE_MCAST;
//! - [`event::Event`]: an event waiting to be read;
//! - [`cmd`]: `write()` and the other commands, checked in C's order;
//! - [`table::IdTable`]: the ids of contexts and joins, shared by every file as in C (an id
//!   of another file is `EINVAL`, not `ENOENT`).
//!
//! The responses that need rdma_cm's internals (routes, addresses, paths, GIDs, the
//! parameters of an event, an IB path option) are filled by helpers of `ucma.c` that both
//! implementations use.

use core::ffi::{c_char, c_int, c_void};
use kernel::{
    bindings,
    prelude::*,
    sync::{poll::PollTable, Arc},
};

mod cmd;
mod context;
mod event;
mod file;
mod multicast;
mod shim;
mod table;
#[cfg(CONFIG_KUNIT)]
mod tests;

use context::Context;
use file::File;
use multicast::Multicast;
use shim::Filp;
use table::IdTable;

kernel::sync::global_lock! {
    // SAFETY: Initialised by `rdma_rs_ucma_init()`, before the device is registered.
    unsafe(uninit) static CTX_TABLE: Mutex<IdTable<Context>> = IdTable::new();
}

kernel::sync::global_lock! {
    // SAFETY: Initialised by `rdma_rs_ucma_init()`, before the device is registered.
    unsafe(uninit) static MC_TABLE: Mutex<IdTable<Multicast>> = IdTable::new();
}

/// The `File` of a file's private data.
///
/// # Safety
///
/// `p` is the private data of a live file opened by [`rdma_rs_ucma_open`], alive while the
/// result is used (the caller holds the file).
unsafe fn file_of(p: *const c_void) -> Arc<File> {
    // SAFETY: The private data is a reference on the `File` from `Arc::into_raw()`, kept
    // until the file is released (after the caller is done).
    unsafe { kernel::sync::ArcBorrow::<File>::from_raw(p.cast()) }.into()
}

/// Starts the piece (`ucma_init()`).
#[no_mangle]
pub(crate) extern "C" fn rdma_rs_ucma_init() {
    // SAFETY: Called once, by `ucma_init()`, before anything else of the piece.
    unsafe {
        CTX_TABLE.init();
        MC_TABLE.init();
    }
}

/// Stops the piece (`ucma_cleanup()`): every file is closed by then.
#[no_mangle]
pub(crate) extern "C" fn rdma_rs_ucma_exit() {
    CTX_TABLE.lock().clear();
    MC_TABLE.lock().clear();
}

/// `open()` of a file served here: stores its `File` in its private data.
///
/// # Safety
///
/// `filp` is the file being opened.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_ucma_open(filp: *mut bindings::file) -> c_int {
    match File::new() {
        Ok(f) => {
            // SAFETY: The file is being opened, and its private data is ours; the reference
            // is given back by `rdma_rs_ucma_close()`.
            unsafe { (*filp).private_data = Arc::into_raw(f).cast_mut().cast() };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// `release()`: destroys every context of the file.
///
/// # Safety
///
/// `filp` is a file opened by [`rdma_rs_ucma_open`], released now.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_ucma_close(
    _inode: *mut bindings::inode,
    filp: *mut bindings::file,
) -> c_int {
    // SAFETY: The private data is the reference `rdma_rs_ucma_open()` stored; the file is
    // being released, so this is the last use.
    let file = unsafe { Arc::<File>::from_raw((*filp).private_data.cast()) };
    file.close();
    0
}

/// `write()`: one command.
///
/// # Safety
///
/// `filp` is a live file opened by [`rdma_rs_ucma_open`]; `buf` is a user pointer.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_ucma_write(
    filp: *mut bindings::file,
    buf: *const c_char,
    len: usize,
    _pos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: The VFS passes the live file for the call.
    let (f, file) = unsafe { (Filp::from_raw(filp), file_of((*filp).private_data)) };
    match cmd::write(&file, f, buf as u64, len) {
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// `poll()`.
///
/// # Safety
///
/// `filp` is a live file opened by [`rdma_rs_ucma_open`]; `wait` a poll table of the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_ucma_poll(
    filp: *mut bindings::file,
    wait: *mut bindings::poll_table_struct,
) -> bindings::__poll_t {
    // SAFETY: The VFS passes the live file for the call.
    let (f, file) = unsafe { (Filp::from_raw(filp), file_of((*filp).private_data)) };
    // SAFETY: The VFS passes a poll table for the call (or null).
    let table = unsafe { PollTable::from_raw(wait) };
    file.poll(f, table)
}
