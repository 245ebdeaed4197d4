// SPDX-License-Identifier: GPL-2.0

//! The piece's boundary with C, and the only place of its `unsafe` code: the file operations
//! and the init and exit `ucma.c` calls, rdma_cm's event handler, a context's id with the
//! users that keep it alive, and safe wrappers of what the rdma_cm device needs from rdma_cm,
//! ib_core, ib_uverbs and the glue in `ucma.c` (the uABI structures as plain data copied from
//! and to user memory, the file operations' arguments).

use super::{cmd, context::Context, file::File, multicast::Multicast, CTX_TABLE, MC_TABLE};
use core::{
    ffi::{c_char, c_int, c_void},
    marker::PhantomData,
    mem::size_of,
    ptr::{null_mut, NonNull},
    sync::atomic::{AtomicI32, AtomicPtr, Ordering},
};
use kernel::{
    bindings,
    error::{from_err_ptr, to_result},
    ffi::c_ulong,
    new_mutex,
    prelude::*,
    sync::{poll::PollTable, Arc, ArcBorrow, Completion, Mutex},
    uaccess::{UserPtr, UserSlice},
    workqueue::Queue,
};

// `struct file` and `struct rdma_cm_id` have debug-only members that bindgen leaves opaque.
#[allow(improper_ctypes)]
extern "C" {
    fn rdma_rs_ucma_wq() -> *mut bindings::workqueue_struct;
    fn rdma_rs_ucma_max_backlog() -> u32;
    fn rdma_rs_ucma_safe_file_access(filp: *mut bindings::file) -> bool;
    fn rdma_rs_ucma_fget(fd: c_int, private: *mut *mut c_void) -> *mut bindings::file;
    fn ucma_fill_event(
        cm_id: *mut bindings::rdma_cm_id,
        event: *mut bindings::rdma_cm_event,
        resp: *mut bindings::rdma_ucm_event_resp,
    );
    fn ucma_fill_route(
        cm_id: *mut bindings::rdma_cm_id,
        resp: *mut bindings::rdma_ucm_query_route_resp,
    );
    fn ucma_fill_addr(
        cm_id: *mut bindings::rdma_cm_id,
        resp: *mut bindings::rdma_ucm_query_addr_resp,
    );
    fn ucma_fill_gid(
        cm_id: *mut bindings::rdma_cm_id,
        resp: *mut bindings::rdma_ucm_query_addr_resp,
    );
    fn ucma_fill_paths(
        cm_id: *mut bindings::rdma_cm_id,
        resp: *mut bindings::rdma_ucm_query_path_resp,
        out_len: usize,
    ) -> c_int;
    fn ucma_copy_conn_param(
        id: *mut bindings::rdma_cm_id,
        dst: *mut bindings::rdma_conn_param,
        src: *mut bindings::rdma_ucm_conn_param,
    );
    fn ucma_unpack_ib_path(
        cm_id: *mut bindings::rdma_cm_id,
        path_data: *mut bindings::ib_path_rec_data,
        optlen: usize,
        rec: *mut bindings::sa_path_rec,
    ) -> c_int;
}

/// A uABI structure of `rdma_user_cm.h` (or a kernel structure made only of integers and
/// arrays of them): every bit pattern is a valid value, and it is copied to and from user
/// memory as bytes.
///
/// # Safety
///
/// Implementors are `repr(C)` types without pointers, references or enums, for which every
/// bit pattern, all-zero included, is valid.
pub(crate) unsafe trait Pod: Sized + Zeroable {
    /// The value's bytes.
    fn as_bytes(&self) -> &[u8] {
        // SAFETY: `self` is `size_of::<Self>()` readable bytes, any of which may be read as
        // `u8` (`Pod` types have no padding that would be uninitialised once zeroed, and
        // every value here starts zeroed).
        unsafe {
            core::slice::from_raw_parts(core::ptr::from_ref(self).cast::<u8>(), size_of::<Self>())
        }
    }

    /// The value's bytes, writable.
    fn as_bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: As for `as_bytes()`; any bytes written make a valid `Pod` value.
        unsafe {
            core::slice::from_raw_parts_mut(
                core::ptr::from_mut(self).cast::<u8>(),
                size_of::<Self>(),
            )
        }
    }
}

macro_rules! pod {
    ($($t:ident),* $(,)?) => {
        $(
            // SAFETY: A C structure of the uABI (or of integers only): no pointers, every bit
            // pattern valid.
            unsafe impl Pod for bindings::$t {}
        )*
    };
}

pod!(
    rdma_ucm_cmd_hdr,
    rdma_ucm_create_id,
    rdma_ucm_create_id_resp,
    rdma_ucm_destroy_id,
    rdma_ucm_destroy_id_resp,
    rdma_ucm_bind_ip,
    rdma_ucm_bind,
    rdma_ucm_resolve_ip,
    rdma_ucm_resolve_addr,
    rdma_ucm_resolve_route,
    rdma_ucm_resolve_ib_service,
    rdma_ucm_query,
    rdma_ucm_query_route_resp,
    rdma_ucm_query_addr_resp,
    rdma_ucm_conn_param,
    rdma_ucm_connect,
    rdma_ucm_listen,
    rdma_ucm_accept,
    rdma_ucm_reject,
    rdma_ucm_disconnect,
    rdma_ucm_init_qp_attr,
    ib_uverbs_qp_attr,
    rdma_ucm_notify,
    rdma_ucm_join_ip_mcast,
    rdma_ucm_join_mcast,
    rdma_ucm_get_event,
    rdma_ucm_event_resp,
    rdma_ucm_set_option,
    rdma_ucm_migrate_id,
    rdma_ucm_migrate_resp,
    rdma_ucm_write_cm_event,
    ib_path_rec_data,
    ib_user_service_rec,
    __kernel_sockaddr_storage,
    sockaddr_in6,
);

/// User memory at `addr`, `len` bytes.
pub(crate) fn user(addr: u64, len: usize) -> UserSlice {
    UserSlice::new(UserPtr::from_addr(addr as usize), len)
}

/// Reads a `T` from user memory at `addr`, as `copy_from_user(&t, addr, sizeof(t))` does.
pub(crate) fn read<T: Pod>(addr: u64) -> Result<T> {
    read_part(addr, size_of::<T>())
}

/// Reads the first `len` bytes of a `T` (at most all of it) from user memory; the rest is zero.
pub(crate) fn read_part<T: Pod>(addr: u64, len: usize) -> Result<T> {
    let mut t = T::zeroed();
    let n = len.min(size_of::<T>());
    user(addr, n)
        .reader()
        .read_slice(&mut t.as_bytes_mut()[..n])?;
    Ok(t)
}

/// Writes the first `len` bytes of `t` (at most all of it) to user memory at `addr`.
pub(crate) fn write<T: Pod>(addr: u64, t: &T, len: usize) -> Result {
    let n = len.min(size_of::<T>());
    user(addr, n).writer().write_slice(&t.as_bytes()[..n])
}

/// Writes all of `t` to user memory at `addr`, as `copy_to_user(addr, &t, sizeof(t))` does.
pub(crate) fn write_all<T: Pod>(addr: u64, t: &T) -> Result {
    write(addr, t, size_of::<T>())
}

/// Writes bytes to user memory at `addr`.
pub(crate) fn write_bytes(addr: u64, b: &[u8]) -> Result {
    user(addr, b.len()).writer().write_slice(b)
}

/// Where an id is closed after its device went away (`ucma_close_id()`).
pub(crate) fn close_wq() -> &'static Queue {
    // SAFETY: The queue lives from rdma_ucm's init to its exit, and the piece runs in between;
    // its exit drains it.
    unsafe { Queue::from_raw(rdma_rs_ucma_wq()) }
}

/// `max_backlog` of `net.rdma_ucm`.
pub(crate) fn max_backlog() -> u32 {
    // SAFETY: Reads a global of rdma_ucm.
    unsafe { rdma_rs_ucma_max_backlog() }
}

/// The `struct file` of a call of the file operations.
#[derive(Clone, Copy)]
pub(crate) struct Filp(NonNull<bindings::file>);

impl Filp {
    /// Wraps the file a file operation was called with.
    ///
    /// # Safety
    ///
    /// `ptr` is a live file, for as long as the `Filp` is used (the call).
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::file) -> Self {
        // SAFETY: The VFS passes a file.
        Self(unsafe { NonNull::new_unchecked(ptr) })
    }

    /// `ib_safe_file_access()`: the caller has the credentials the file was opened with.
    pub(crate) fn safe_access(self) -> bool {
        // SAFETY: The file is live (see `from_raw`).
        unsafe { rdma_rs_ucma_safe_file_access(self.0.as_ptr()) }
    }

    /// The file was opened, or set, `O_NONBLOCK`.
    pub(crate) fn nonblock(self) -> bool {
        // SAFETY: The file is live; `f_flags` is read as C does, without a lock.
        unsafe { (*self.0.as_ptr()).f_flags & bindings::O_NONBLOCK != 0 }
    }

    /// The VFS's view of the file, for `poll_wait()`.
    pub(crate) fn file(&self) -> &kernel::fs::File {
        // SAFETY: The file is live for the call, and the VFS holds a reference on it.
        unsafe { kernel::fs::File::from_raw_file(self.0.as_ptr()) }
    }
}

/// Another open file of the rdma_cm device served by this implementation (MIGRATE_ID's
/// source), held by a reference dropped with it.
///
/// # Invariants
///
/// `filp` holds a file reference of `fget()`; `private` is its private data.
pub(crate) struct FdRef {
    filp: NonNull<bindings::file>,
    private: *const c_void,
}

impl FdRef {
    /// The file `fd` of the caller: `ENOENT` if there is none, `EINVAL` if it is not a Rust
    /// ucma file.
    pub(crate) fn get(fd: u32) -> Result<Self> {
        let mut private = core::ptr::null_mut();
        // SAFETY: `private` is valid for a write.
        let f = from_err_ptr(unsafe { rdma_rs_ucma_fget(fd as c_int, &mut private) })?;
        // INVARIANT: `rdma_rs_ucma_fget()` took a reference and returned the private data.
        NonNull::new(f)
            .map(|filp| Self { filp, private })
            .ok_or(ENOENT)
    }

    /// The file's `File`.
    pub(crate) fn file(&self) -> Arc<File> {
        // SAFETY: A Rust ucma file's private data is its `File` (`rdma_rs_ucma_open()`), and
        // we hold the file.
        unsafe { file_of(self.private) }
    }
}

impl Drop for FdRef {
    fn drop(&mut self) {
        // SAFETY: We hold a reference (type invariant).
        unsafe { bindings::fput(self.filp.as_ptr()) }
    }
}

/// A user's rdma_cm id, borrowed for `'a`: a command's [`User`], or a call of the event
/// handler.
///
/// # Invariants
///
/// A live id, not destroyed during `'a`.
#[derive(Clone, Copy)]
pub(crate) struct CmId<'a>(NonNull<bindings::rdma_cm_id>, PhantomData<&'a ()>);

// SAFETY: rdma_cm ids are used from any thread, under rdma_cm's own locking.
unsafe impl Send for CmId<'_> {}
// SAFETY: See `Send`.
unsafe impl Sync for CmId<'_> {}

impl<'a> CmId<'a> {
    /// Wraps a live id.
    ///
    /// # Safety
    ///
    /// `p` is a live id, not null, that is not destroyed during `'a`.
    unsafe fn from_raw(p: *mut bindings::rdma_cm_id) -> Self {
        // SAFETY: The caller guarantees `p` is not null.
        // INVARIANT: The caller guarantees the id lives for `'a`.
        Self(unsafe { NonNull::new_unchecked(p) }, PhantomData)
    }

    /// The raw id.
    fn as_raw(self) -> *mut bindings::rdma_cm_id {
        self.0.as_ptr()
    }

    /// The id is bound to a device.
    pub(crate) fn has_device(self) -> bool {
        // SAFETY: The id is live (type invariant).
        !unsafe { (*self.as_raw()).device }.is_null()
    }

    /// `rdma_lock_handler()`: no event of the id is handled until the guard is dropped.
    pub(crate) fn lock_handler(self) -> HandlerGuard<'a> {
        // SAFETY: The id is live (type invariant).
        unsafe { bindings::rdma_lock_handler(self.as_raw()) };
        HandlerGuard(self)
    }

    /// `rdma_bind_addr()`.
    pub(crate) fn bind(self, addr: &impl SockAddr) -> Result {
        // SAFETY: The id is live; the address is whole (see `SockAddr`).
        to_result(unsafe { bindings::rdma_bind_addr(self.as_raw(), addr.raw()) })
    }

    /// `rdma_resolve_addr()`.
    pub(crate) fn resolve_addr<A: SockAddr>(self, src: &A, dst: &A, timeout_ms: u32) -> Result {
        // SAFETY: The id is live; both addresses are whole (see `SockAddr`).
        to_result(unsafe {
            bindings::rdma_resolve_addr(self.as_raw(), src.raw(), dst.raw(), timeout_ms as c_ulong)
        })
    }

    /// `rdma_resolve_ib_service()`.
    pub(crate) fn resolve_ib_service(self, ibs: &mut bindings::rdma_ucm_ib_service) -> Result {
        // SAFETY: The id is live; `ibs` is valid for the call.
        to_result(unsafe { bindings::rdma_resolve_ib_service(self.as_raw(), ibs) })
    }

    /// `rdma_resolve_route()`.
    pub(crate) fn resolve_route(self, timeout_ms: u32) -> Result {
        // SAFETY: The id is live.
        to_result(unsafe { bindings::rdma_resolve_route(self.as_raw(), timeout_ms as c_ulong) })
    }

    /// `rdma_connect_ece()` with the user's parameters.
    pub(crate) fn connect(
        self,
        p: &mut bindings::rdma_ucm_conn_param,
        ece: &mut bindings::rdma_ucm_ece,
    ) -> Result {
        let mut cp = self.conn_param(p);
        // SAFETY: The id is live; the parameters are valid for the call (the private data
        // points into `p`).
        to_result(unsafe { bindings::rdma_connect_ece(self.as_raw(), &mut cp, ece) })
    }

    /// `rdma_accept_ece()`, with the user's parameters or none.
    pub(crate) fn accept(
        self,
        p: Option<&mut bindings::rdma_ucm_conn_param>,
        ece: &mut bindings::rdma_ucm_ece,
    ) -> Result {
        let mut cp = p.map(|p| self.conn_param(p));
        let cpp = cp
            .as_mut()
            .map_or(core::ptr::null_mut(), core::ptr::from_mut);
        // SAFETY: The id is live; the parameters, if any, are valid for the call.
        to_result(unsafe { bindings::rdma_accept_ece(self.as_raw(), cpp, ece) })
    }

    fn conn_param(self, p: &mut bindings::rdma_ucm_conn_param) -> bindings::rdma_conn_param {
        // SAFETY: All-zero is a valid `rdma_conn_param`.
        let mut cp: bindings::rdma_conn_param = unsafe { core::mem::zeroed() };
        // SAFETY: The id is live; `cp` and `p` are valid; `cp` points into `p` after.
        unsafe { ucma_copy_conn_param(self.as_raw(), &mut cp, p) };
        cp
    }

    /// `rdma_listen()`.
    pub(crate) fn listen(self, backlog: c_int) -> Result {
        // SAFETY: The id is live.
        to_result(unsafe { bindings::rdma_listen(self.as_raw(), backlog) })
    }

    /// `rdma_reject()` with `data` (at most 255 bytes: the length is a `u8`).
    pub(crate) fn reject(self, data: &[u8], reason: u8) -> Result {
        // SAFETY: The id is live; `data` is valid for the call.
        to_result(unsafe {
            bindings::rdma_reject(
                self.as_raw(),
                data.as_ptr().cast(),
                data.len() as u8,
                reason,
            )
        })
    }

    /// `rdma_disconnect()`.
    pub(crate) fn disconnect(self) -> Result {
        // SAFETY: The id is live.
        to_result(unsafe { bindings::rdma_disconnect(self.as_raw()) })
    }

    /// `rdma_init_qp_attr()` for `state`, then `ib_copy_qp_attr_to_user()`.
    pub(crate) fn init_qp_attr(self, state: u32) -> Result<bindings::ib_uverbs_qp_attr> {
        let mut resp = bindings::ib_uverbs_qp_attr::zeroed();
        // SAFETY: All-zero is a valid `ib_qp_attr`.
        let mut attr: bindings::ib_qp_attr = unsafe { core::mem::zeroed() };
        attr.qp_state = state;
        let mut mask: c_int = 0;
        // SAFETY: The id is live; `attr` and `mask` are valid for the call.
        to_result(unsafe { bindings::rdma_init_qp_attr(self.as_raw(), &mut attr, &mut mask) })?;
        resp.qp_attr_mask = mask as u32;
        // SAFETY: The id is live and bound (its caller checked); both attributes are valid.
        unsafe { bindings::ib_copy_qp_attr_to_user((*self.as_raw()).device, &mut resp, &mut attr) };
        Ok(resp)
    }

    /// `rdma_set_service_type()`.
    pub(crate) fn set_tos(self, tos: u8) {
        // SAFETY: The id is live.
        unsafe { bindings::rdma_set_service_type(self.as_raw(), c_int::from(tos)) }
    }

    /// `rdma_set_reuseaddr()`.
    pub(crate) fn set_reuseaddr(self, on: bool) -> Result {
        // SAFETY: The id is live.
        to_result(unsafe { bindings::rdma_set_reuseaddr(self.as_raw(), c_int::from(on)) })
    }

    /// `rdma_set_afonly()`.
    pub(crate) fn set_afonly(self, on: bool) -> Result {
        // SAFETY: The id is live.
        to_result(unsafe { bindings::rdma_set_afonly(self.as_raw(), c_int::from(on)) })
    }

    /// `rdma_set_ack_timeout()`.
    pub(crate) fn set_ack_timeout(self, t: u8) -> Result {
        // SAFETY: The id is live.
        to_result(unsafe { bindings::rdma_set_ack_timeout(self.as_raw(), t) })
    }

    /// The path of an `RDMA_OPTION_IB_PATH` option (`ucma_unpack_ib_path()`).
    pub(crate) fn unpack_ib_path(self, data: &mut [u8]) -> Result<bindings::sa_path_rec> {
        // SAFETY: All-zero is a valid `sa_path_rec` (C starts from `memset(0)` too).
        let mut rec: bindings::sa_path_rec = unsafe { core::mem::zeroed() };
        // SAFETY: The id is live; `data` is `data.len()` bytes, read as path records of which
        // only whole ones are used; `rec` is valid for a write.
        to_result(unsafe {
            ucma_unpack_ib_path(
                self.as_raw(),
                data.as_mut_ptr().cast(),
                data.len(),
                &mut rec,
            )
        })?;
        Ok(rec)
    }

    /// `rdma_set_ib_path()`.
    pub(crate) fn set_ib_path(self, rec: &mut bindings::sa_path_rec) -> Result {
        // SAFETY: The id is live; `rec` is valid for the call.
        to_result(unsafe { bindings::rdma_set_ib_path(self.as_raw(), rec) })
    }

    /// `rdma_notify()`.
    pub(crate) fn notify(self, event: u32) -> Result {
        // SAFETY: The id is live.
        to_result(unsafe { bindings::rdma_notify(self.as_raw(), event) })
    }

    /// `rdma_join_multicast()` of `addr`, whose events carry `mc` (see [`event_handler`]).
    ///
    /// # Safety
    ///
    /// `mc` stays alive until the join is left or the id destroyed.
    pub(crate) unsafe fn join(
        self,
        addr: &impl SockAddr,
        state: u8,
        mc: &Arc<Multicast>,
    ) -> Result {
        let a = addr.raw();
        let context = Arc::as_ptr(mc).cast::<c_void>().cast_mut();
        // SAFETY: The id is live; the address is valid for the call; the caller keeps `mc`
        // alive as long as rdma_cm may hand `context` to the handler.
        to_result(unsafe { bindings::rdma_join_multicast(self.as_raw(), a, state, context) })
    }

    /// `rdma_leave_multicast()` of `addr`: no event of the join is handled after it returns.
    pub(crate) fn leave(self, addr: &impl SockAddr) {
        let a = addr.raw();
        // SAFETY: The id is live; the address is valid for the call.
        unsafe { bindings::rdma_leave_multicast(self.as_raw(), a) }
    }

    /// QUERY_ROUTE's answer.
    pub(crate) fn route(self) -> bindings::rdma_ucm_query_route_resp {
        let mut r = bindings::rdma_ucm_query_route_resp::zeroed();
        // SAFETY: The id is live; `r` is valid for a write.
        unsafe { ucma_fill_route(self.as_raw(), &mut r) };
        r
    }

    /// QUERY's answer for `RDMA_USER_CM_QUERY_ADDR`.
    pub(crate) fn addr(self) -> bindings::rdma_ucm_query_addr_resp {
        let mut r = bindings::rdma_ucm_query_addr_resp::zeroed();
        // SAFETY: The id is live; `r` is valid for a write.
        unsafe { ucma_fill_addr(self.as_raw(), &mut r) };
        r
    }

    /// QUERY's answer for `RDMA_USER_CM_QUERY_GID`.
    pub(crate) fn gid(self) -> bindings::rdma_ucm_query_addr_resp {
        let mut r = bindings::rdma_ucm_query_addr_resp::zeroed();
        // SAFETY: The id is live; `r` is valid for a write.
        unsafe { ucma_fill_gid(self.as_raw(), &mut r) };
        r
    }

    /// QUERY's answer for `RDMA_USER_CM_QUERY_PATH`, into `buf` (zeroed, at least a
    /// `rdma_ucm_query_path_resp`); returns how many paths fit.
    pub(crate) fn paths(self, buf: &mut [u8]) -> usize {
        if buf.len() < size_of::<bindings::rdma_ucm_query_path_resp>() {
            return 0;
        }
        // SAFETY: The id is live; `buf` is `buf.len()` writable bytes, enough for the header,
        // and the filler writes only the paths that fit. Path records are 4-byte aligned and
        // `KVec<u8>` buffers are at least 8-byte aligned.
        let n = unsafe { ucma_fill_paths(self.as_raw(), buf.as_mut_ptr().cast(), buf.len()) };
        n as usize
    }

    /// The IB service records of a resolved service (QUERY, `RDMA_USER_CM_QUERY_IB_SERVICE`),
    /// `None` if there are none.
    pub(crate) fn service_recs(self) -> Option<&'a [bindings::ib_user_service_rec]> {
        // SAFETY: The id is live; the records stay while the caller holds the id's mutex (it
        // does, as C does).
        let (p, n) = unsafe {
            (
                (*self.as_raw()).route.service_recs,
                (*self.as_raw()).route.num_service_recs,
            )
        };
        if p.is_null() {
            return None;
        }
        // SAFETY: `p` points to `n` records (rdma_cm sets both together).
        Some(unsafe {
            core::slice::from_raw_parts(p.cast::<bindings::ib_user_service_rec>(), n as usize)
        })
    }

    /// The user event of `event`: its type, status, parameters and ECE (uid and id are left
    /// to the caller).
    pub(crate) fn fill_event(
        self,
        event: &mut bindings::rdma_cm_event,
        resp: &mut bindings::rdma_ucm_event_resp,
    ) {
        // SAFETY: The id is live, its handler mutex held by the caller (the handler);
        // `event` and `resp` are valid.
        unsafe { ucma_fill_event(self.as_raw(), event, resp) }
    }
}

/// An id's handler mutex, held (see [`CmId::lock_handler`]); dropping it unlocks.
pub(crate) struct HandlerGuard<'a>(CmId<'a>);

impl Drop for HandlerGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: `lock_handler()` locked it, and only it makes a guard.
        unsafe { bindings::rdma_unlock_handler(self.0.as_raw()) }
    }
}

/// A socket address of the uABI, whole: as many bytes as its type, at least as many as its
/// family needs (rdma_cm reads `rdma_addr_size()` bytes, which checks the family).
pub(crate) trait SockAddr: Pod {
    /// The address, as rdma_cm takes it.
    fn raw(&self) -> *mut bindings::sockaddr {
        core::ptr::from_ref(self).cast_mut().cast()
    }
}

impl SockAddr for bindings::sockaddr_in6 {}
impl SockAddr for bindings::__kernel_sockaddr_storage {}

/// A group's address.
pub(crate) struct GroupAddr(pub(crate) bindings::__kernel_sockaddr_storage);

// SAFETY: The address is plain bytes; the pointer member of its union only aligns it.
unsafe impl Send for GroupAddr {}
// SAFETY: See `Send`.
unsafe impl Sync for GroupAddr {}

/// An rdma_cm event made here, not by rdma_cm: of type `kind`, without parameters.
pub(crate) fn new_event(kind: u32) -> bindings::rdma_cm_event {
    // SAFETY: All-zero is a valid `rdma_cm_event`.
    let mut event: bindings::rdma_cm_event = unsafe { core::mem::zeroed() };
    event.event = kind;
    event
}

/// WRITE_CM_EVENT's argument.
pub(crate) fn write_event_arg(cmd: &bindings::rdma_ucm_write_cm_event) -> u64 {
    // SAFETY: `arg` is the union's 64-bit member; the union is plain data of that size.
    unsafe { cmd.param.arg }
}

/// `rdma_addr_size()`: the size of the address of its family, 0 for an unknown family.
pub(crate) fn addr_size(a: &impl SockAddr) -> u32 {
    // SAFETY: `a` is whole (see `SockAddr`); `rdma_addr_size()` reads the family, then at
    // most as many bytes as the family's address has.
    unsafe { bindings::rdma_addr_size(a.raw()) as u32 }
}

/// `rdma_addr_size_in6()`.
pub(crate) fn addr_size_in6(a: &bindings::sockaddr_in6) -> u32 {
    let p = core::ptr::from_ref(a).cast_mut();
    // SAFETY: `a` is a whole `sockaddr_in6`, which is what the function reads.
    unsafe { bindings::rdma_addr_size_in6(p) as u32 }
}

/// `rdma_addr_size_kss()`.
pub(crate) fn addr_size_kss(a: &bindings::__kernel_sockaddr_storage) -> u32 {
    let p = core::ptr::from_ref(a).cast_mut();
    // SAFETY: `a` is a whole `__kernel_sockaddr_storage`, which is what the function reads.
    unsafe { bindings::rdma_addr_size_kss(p) as u32 }
}

/// A context's rdma_cm id and who uses it (C's `ctx->cm_id`, `ref` and `comp`).
///
/// # Invariants
///
/// - `ptr` is null, or an id of the [`Context`] whose `cm` this is; the id's `context` is a
///   reference on that context, taken with [`Arc::into_raw`] and given back by
///   [`ContextId::close`].
/// - While `users` is positive, `ptr` is not null and the id is not destroyed.
#[pin_data]
pub(crate) struct ContextId {
    ptr: AtomicPtr<bindings::rdma_cm_id>,
    /// Who uses the id (C's `ref`): the commands running on it, and the context's publication,
    /// which holds one use until the id is closed.
    users: AtomicI32,
    /// Completed when `users` drops to zero.
    #[pin]
    unused: Completion,
    /// Serialises [`ContextId::close`] (C cancels the close work instead).
    #[pin]
    close_lock: Mutex<()>,
}

impl ContextId {
    /// No id yet.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            ptr: AtomicPtr::new(null_mut()),
            users: AtomicI32::new(0),
            unused <- Completion::new(),
            close_lock <- new_mutex!((), "ucma::ContextId::close_lock"),
        })
    }

    /// `rdma_create_user_id()` for `ctx`, with [`event_handler`].
    pub(crate) fn create(ctx: &Arc<Context>, ps: u32, qp_type: u32) -> Result {
        ctx.cm.check_new()?;
        let me = Arc::into_raw(ctx.clone());
        // SAFETY: Creating an id has no precondition; its handler takes its context for a
        // reference on a `Context`, which `me` is.
        let p = from_err_ptr(unsafe {
            bindings::rdma_create_user_id(Some(event_handler), me.cast_mut().cast(), ps, qp_type)
        });
        match p {
            Ok(p) => {
                // INVARIANT: `p`'s context is the reference `me` on `ctx`.
                ctx.cm.set(p);
                Ok(())
            }
            Err(e) => {
                // SAFETY: `me` came from `into_raw()` above, and no id holds it.
                drop(unsafe { Arc::from_raw(me) });
                Err(e)
            }
        }
    }

    /// Gives `ctx` the new id of a connection request, before its user sees it.
    pub(crate) fn adopt(ctx: &Arc<Context>, conn: NewConn<'_>) -> Result {
        ctx.cm.check_new()?;
        let id = conn.0.as_raw();
        let me = Arc::into_raw(ctx.clone());
        // SAFETY: The id is live, and owned by no one yet (see `NewConn`): rdma_cm hands it to
        // the user only if the handler succeeds, and the handler runs now.
        unsafe { (*id).context = me.cast_mut().cast() };
        // INVARIANT: The id's context is now the reference `me` on `ctx`.
        ctx.cm.set(id);
        Ok(())
    }

    /// `EBUSY` if the context has an id already: ids are given to new contexts only, before
    /// they are published (the check is not atomic with `set()`: a racing second id would
    /// be kept alive by its reference, never destroyed, but not freed under anyone).
    fn check_new(&self) -> Result {
        if self.ptr.load(Ordering::Relaxed).is_null() {
            Ok(())
        } else {
            Err(EBUSY)
        }
    }

    /// Makes `p` the id, with the context's publication as its first user.
    fn set(&self, p: *mut bindings::rdma_cm_id) {
        self.ptr.store(p, Ordering::Relaxed);
        // Release: whoever becomes a user after this sees the id (`User::new()` acquires).
        self.users.store(1, Ordering::Release);
    }

    /// `ucma_put_ctx()`.
    fn put(&self) {
        if self.users.fetch_sub(1, Ordering::Release) == 1 {
            self.unused.complete_all();
        }
    }

    /// `ucma_close_id()`: drops the publication's use, waits for the other users to end and
    /// destroys the id; nothing more is reported for it. Idempotent.
    pub(crate) fn close(&self) {
        let _g = self.close_lock.lock();
        let p = self.ptr.load(Ordering::Acquire);
        if p.is_null() {
            return;
        }
        self.put();
        self.unused.wait_for_completion();
        // SAFETY: `p` is a live id (type invariant) that nothing uses any more (`users` is
        // zero, and `close_lock` keeps a second close out); no handler runs after
        // `rdma_destroy_id()` returns.
        let me = unsafe {
            let me = (*p).context;
            bindings::rdma_destroy_id(p);
            me
        };
        // INVARIANT: The id is gone, and so is its reference on the context, below.
        self.ptr.store(null_mut(), Ordering::Release);
        // SAFETY: The destroyed id's context was a reference on the context from
        // `into_raw()` (type invariant), which nothing else gives back.
        drop(unsafe { Arc::from_raw(me.cast::<Context>()) });
    }
}

/// A user of a context's id: while it lives, the id is not destroyed. Dropping it ends the use.
///
/// # Invariants
///
/// Holds one of the `users` of the context's id.
pub(crate) struct User(Arc<Context>);

impl User {
    /// A new user of `ctx`'s id, unless the id is closed (`refcount_inc_not_zero()`).
    pub(crate) fn new(ctx: &Arc<Context>) -> Option<Self> {
        ctx.cm
            .users
            .fetch_update(Ordering::Acquire, Ordering::Relaxed, |n| {
                (n != 0).then_some(n + 1)
            })
            .ok()
            // INVARIANT: `users` was positive and is one more for this user.
            .map(|_| Self(ctx.clone()))
    }

    /// The context's id, alive while the user is.
    pub(crate) fn cm_id(&self) -> CmId<'_> {
        let p = self.0.cm.ptr.load(Ordering::Acquire);
        // SAFETY: `users` is positive (type invariant), so `ptr` is a live id, not null
        // (invariant of `ContextId`), until this user is dropped.
        unsafe { CmId::from_raw(p) }
    }

    /// The context.
    pub(crate) fn ctx(&self) -> &Arc<Context> {
        &self.0
    }
}

impl core::ops::Deref for User {
    type Target = Context;

    fn deref(&self) -> &Context {
        &self.0
    }
}

impl Drop for User {
    fn drop(&mut self) {
        self.0.cm.put();
    }
}

/// The new id of a connection request, as rdma_cm hands it to the listener's handler: owned by
/// no one until [`ContextId::adopt`] takes it (or the handler fails and rdma_cm destroys it).
///
/// # Invariants
///
/// Made only by [`event_handler`], of a `CONNECT_REQUEST` event's id.
pub(crate) struct NewConn<'a>(CmId<'a>);

/// `ucma_event_handler()`: rdma_cm's handler of every id of the piece, made by
/// [`ContextId::create`].
///
/// # Safety
///
/// Called by rdma_cm with a live id of the piece, whose handler mutex is held, and a valid
/// event.
unsafe extern "C" fn event_handler(
    cm_id: *mut bindings::rdma_cm_id,
    event: *mut bindings::rdma_cm_event,
) -> c_int {
    if cm_id.is_null() || event.is_null() {
        return 0;
    }
    // SAFETY: rdma_cm passes a live id, not null, for the call.
    let id = unsafe { CmId::from_raw(cm_id) };
    // SAFETY: The id's context is a reference on its context (invariant of `ContextId`), or,
    // for a connection request, the listener's, alive while the listener's id (whose
    // request this is) is.
    let ctx = unsafe { ArcBorrow::<Context>::from_raw((*cm_id).context.cast()) };
    // SAFETY: rdma_cm passes a valid event, for the call.
    let event = unsafe { &mut *event };
    if event.event == bindings::rdma_cm_event_type_RDMA_CM_EVENT_CONNECT_REQUEST {
        // INVARIANT: The id of a connection request's event is the new id.
        return match super::context::connect_request(ctx, NewConn(id), event) {
            Ok(()) => 0,
            // Returning an error makes rdma_cm destroy the new id.
            Err(e) => e.to_errno(),
        };
    }
    let join = match event.event {
        bindings::rdma_cm_event_type_RDMA_CM_EVENT_MULTICAST_JOIN
        | bindings::rdma_cm_event_type_RDMA_CM_EVENT_MULTICAST_ERROR => {
            // SAFETY: Multicast events use the `ud` member; their private data is the join
            // given to `CmId::join()`, alive until it is left (or the id destroyed), and no
            // event of it comes after that.
            let p = unsafe { event.param.ud.private_data };
            if p.is_null() {
                None
            } else {
                // SAFETY: As above: `p` is `Arc::as_ptr()` of a live join.
                Some(unsafe { ArcBorrow::<Multicast>::from_raw(p.cast()) })
            }
        }
        _ => None,
    };
    super::context::handle_event(ctx, id, event, join)
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
    unsafe { ArcBorrow::<File>::from_raw(p.cast()) }.into()
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
