// SPDX-License-Identifier: GPL-2.0

//! The piece's C boundary, and the only place of its `unsafe` code:
//!
//! - the file operations and the start and stop that `ucma.c` calls for the files served here;
//! - rdma_cm's event handler of the piece's ids ([`UcmaHandler`]);
//! - a context's id and the users that keep it from being destroyed ([`ContextId`], [`User`]),
//!   and the lock that serialises the calls into rdma_cm on it ([`LockedId`]);
//! - what `ucma.c` gives both implementations: the response fillers that read rdma_cm's
//!   internals, the close queue, `max_backlog`, the credentials check, and which other files
//!   of the device are served here.

use super::{
    cmd,
    context::{
        self,
        Context, //
    },
    file::File,
    multicast::Multicast,
    Tables, //
};
use core::{
    cell::UnsafeCell,
    ffi::{
        c_char,
        c_int,
        c_void, //
    },
    marker::PhantomData,
    mem::{
        align_of,
        size_of, //
    },
    ptr::NonNull,
    sync::atomic::{
        AtomicI32,
        AtomicU8,
        Ordering, //
    },
};
use kernel::{
    bindings,
    error::to_result,
    fs::LocalFile,
    new_mutex,
    prelude::*,
    rdma::{
        cm::{
            CmId,
            Event,
            Handler,
            NewConn,
            Ops,
            OwnedCmId,
            PortSpace, //
        },
        piece,
        ucm::{
            EventResp,
            QueryAddrResp, //
        },
    },
    sync::{
        aref::ARef,
        poll::PollTable,
        Arc,
        ArcBorrow,
        Completion,
        Mutex,
        MutexGuard, //
    },
    workqueue::Queue,
};

/// Where an id is closed after its device went away (`ucma_close_id()`).
pub(crate) fn close_wq() -> &'static Queue {
    // SAFETY: The queue lives from rdma_ucm's init to its exit, and the piece runs in between;
    // its exit drains it.
    unsafe { Queue::from_raw(bindings::rdma_rs_ucma_wq()) }
}

/// `max_backlog` of `net.rdma_ucm`.
pub(crate) fn max_backlog() -> u32 {
    // SAFETY: Reads a global of rdma_ucm.
    unsafe { bindings::rdma_rs_ucma_max_backlog() }
}

/// The `struct file` of a call of the file operations, borrowed for the call: it is neither
/// `Copy` nor `Clone`, and the entry points lend it by reference only.
///
/// # Invariants
///
/// A live file, while the `Filp` exists (the entry point's call).
pub(crate) struct Filp<'a>(NonNull<bindings::file>, PhantomData<&'a bindings::file>);

impl Filp<'_> {
    /// `ib_safe_file_access()`: the caller has the credentials the file was opened with.
    pub(crate) fn safe_access(&self) -> bool {
        // SAFETY: The file is live (type invariant).
        unsafe { bindings::rdma_rs_ucma_safe_file_access(self.0.as_ptr()) }
    }

    /// The file was opened, or set, `O_NONBLOCK`.
    pub(crate) fn nonblock(&self) -> bool {
        self.file().flags() & bindings::O_NONBLOCK != 0
    }

    /// The VFS's view of the file.
    pub(crate) fn file(&self) -> &kernel::fs::File {
        // SAFETY: The file is live while `self` is (type invariant), which bounds the result; the
        // entry points lend `self` by reference only, for the call. The file was
        // `stream_open()`ed: nothing uses its position, and `fdget_pos()` takes no position
        // lock on it, so no `fdget_pos()` region needs one.
        unsafe { kernel::fs::File::from_raw_file(self.0.as_ptr()) }
    }
}

/// Another open file of the rdma_cm device served by this implementation (MIGRATE_ID's
/// source), held by a reference dropped with it.
///
/// # Invariants
///
/// `private` is the private data of `file`, a file opened by [`rdma_rs_ucma_open`].
pub(crate) struct FdRef {
    /// Keeps the file, and so its private data, until dropped.
    _file: ARef<LocalFile>,
    private: NonNull<c_void>,
}

impl FdRef {
    /// The file `fd` of the caller: `ENOENT` if there is none, `EINVAL` if it is not a Rust
    /// ucma file.
    pub(crate) fn get(fd: u32) -> Result<Self> {
        let file = LocalFile::fget(fd).map_err(|_| ENOENT)?;
        // SAFETY: `file` is a live file, held by the reference `fget()` took.
        let private = unsafe { bindings::rdma_rs_ucma_file_private(file.as_ptr()) };
        // INVARIANT: `rdma_rs_ucma_file_private()` gives the private data of a file of
        // `ucma_rs_fops` only.
        Ok(Self {
            private: NonNull::new(private).ok_or(EINVAL)?,
            _file: file,
        })
    }

    /// The file's `File`, borrowed while the file is held.
    pub(crate) fn file(&self) -> ArcBorrow<'_, File> {
        // SAFETY: The private data of a Rust ucma file is its `File` (type invariant), kept
        // while we hold the file (`self._file`), which the borrow does not outlive.
        unsafe { file_borrow(self.private.as_ptr()) }
    }
}

/// The user event of rdma_cm's `event` on `id`: its type, status, parameters and ECE
/// (`ucma_create_uevent()`; uid and id are left to the caller).
pub(crate) fn fill_event(id: &CmId, event: &mut Event<'_>, resp: &mut EventResp) {
    // SAFETY: The id is live, its handler mutex held by the caller (the handler); `event` is
    // valid; the filler writes whole fields of `resp`.
    unsafe { bindings::ucma_fill_event(id.as_raw(), event.as_raw_mut(), resp.as_raw_mut()) }
}

/// QUERY_ROUTE's answer.
pub(crate) fn route(id: &LockedId<'_>) -> bindings::rdma_ucm_query_route_resp {
    let mut r = bindings::rdma_ucm_query_route_resp::default();
    // SAFETY: The id is live and its calls serialised; `r` is valid for a write.
    unsafe { bindings::ucma_fill_route(id.as_raw(), &mut r) };
    r
}

/// QUERY's answer for `RDMA_USER_CM_QUERY_ADDR` (`gid` false) or `RDMA_USER_CM_QUERY_GID`.
pub(crate) fn addr(id: &LockedId<'_>, gid: bool) -> QueryAddrResp {
    let mut r = QueryAddrResp::default();
    // SAFETY: The id is live and its calls serialised; `r` has the layout of
    // `struct rdma_ucm_query_addr_resp` and is valid for a write.
    unsafe {
        if gid {
            bindings::ucma_fill_gid(id.as_raw(), r.as_raw_mut())
        } else {
            bindings::ucma_fill_addr(id.as_raw(), r.as_raw_mut())
        }
    };
    r
}

/// QUERY's answer for `RDMA_USER_CM_QUERY_PATH`, into `buf` (zeroed, at least the header);
/// returns how many paths fit.
pub(crate) fn paths(id: &LockedId<'_>, buf: &mut [u8]) -> Result<usize> {
    if buf.len() < size_of::<bindings::rdma_ucm_query_path_resp>() {
        return Err(ENOSPC);
    }
    // The buffer is read as the response structure, which the callers' `KVec` buffers are
    // aligned for (kmalloc()ed); any other is refused.
    if !buf
        .as_ptr()
        .cast::<bindings::rdma_ucm_query_path_resp>()
        .is_aligned()
    {
        return Err(EINVAL);
    }
    // SAFETY: The id is live and its calls serialised; `buf` is `buf.len()` writable bytes,
    // enough for the header and aligned for it (checked above), and the filler writes only the
    // paths that fit.
    let n = unsafe { bindings::ucma_fill_paths(id.as_raw(), buf.as_mut_ptr().cast(), buf.len()) };
    usize::try_from(n).map_err(|_| EINVAL)
}

/// The IB service records of a resolved service (QUERY, `RDMA_USER_CM_QUERY_IB_SERVICE`),
/// copied as bytes; `None` if there are none.
///
/// rdma_cm publishes the records (`route.service_recs`) with release ordering once they are
/// filled, and their count before them; they stay until the id is destroyed.
pub(crate) fn service_recs<'a>(
    id: &'a LockedId<'_>,
) -> Option<(u32, &'a [bindings::ib_user_service_rec])> {
    let raw = id.as_raw();
    // The kernel's and the uABI's service records are one layout.
    const _: () = assert!(
        size_of::<bindings::sa_service_rec>() == size_of::<bindings::ib_user_service_rec>()
            && align_of::<bindings::sa_service_rec>()
                >= align_of::<bindings::ib_user_service_rec>()
    );
    // SAFETY: The id is live. The acquire load pairs with rdma_cm's release store of the
    // pointer, after the count and the records, which then do not change: `p` points to `n`
    // records, which stay until the id (which the caller holds) is destroyed. `struct
    // sa_service_rec` and `struct ib_user_service_rec` share their layout.
    unsafe {
        let p = (*core::ptr::addr_of!((*raw).route.service_recs)
            .cast::<core::sync::atomic::AtomicPtr<bindings::ib_user_service_rec>>())
        .load(Ordering::Acquire);
        if p.is_null() {
            return None;
        }
        let n = (*raw).route.num_service_recs;
        Some((n, core::slice::from_raw_parts(p, n as usize)))
    }
}

/// The path of an `RDMA_OPTION_IB_PATH` option (`ucma_unpack_ib_path()`).
pub(crate) fn unpack_ib_path(id: &CmId, data: &mut [u8]) -> Result<bindings::sa_path_rec> {
    // The option is read as path records, which the callers' `KVec` buffers are aligned for
    // (kmalloc()ed); any other is refused.
    if !data
        .as_ptr()
        .cast::<bindings::ib_path_rec_data>()
        .is_aligned()
    {
        return Err(EINVAL);
    }
    // C starts from `memset(0)` too.
    let mut rec = bindings::sa_path_rec::default();
    // SAFETY: The id is live; `data` is `data.len()` bytes, aligned for path records (checked
    // above), read as path records of which only whole ones are used; `rec` is valid for a
    // write.
    to_result(unsafe {
        bindings::ucma_unpack_ib_path(id.as_raw(), data.as_mut_ptr().cast(), data.len(), &mut rec)
    })?;
    Ok(rec)
}

/// `INIT_QP_ATTR`'s answer: `rdma_init_qp_attr()` for `state`, then
/// `ib_copy_qp_attr_to_user()`.
pub(crate) fn init_qp_attr(id: &LockedId<'_>, state: u32) -> Result<bindings::ib_uverbs_qp_attr> {
    let dev = id.device().ok_or(EINVAL)?;
    let (mut attr, mask) = id.init_qp_attr(state)?;
    let mut resp = bindings::ib_uverbs_qp_attr {
        qp_attr_mask: mask as u32,
        ..Default::default()
    };
    // SAFETY: The device is registered (the id is bound, and its calls serialised); both
    // attributes are valid.
    unsafe { bindings::ib_copy_qp_attr_to_user(dev.as_raw(), &mut resp, &mut attr) };
    Ok(resp)
}

/// rdma_cm's event handler of the piece's ids (`ucma_event_handler()`).
pub(crate) struct UcmaHandler;

impl Handler for UcmaHandler {
    type Context = Arc<Context>;

    fn event(ctx: ArcBorrow<'_, Context>, id: &CmId, ev: &mut Event<'_>) {
        let join = match ev.kind() {
            bindings::rdma_cm_event_type_RDMA_CM_EVENT_MULTICAST_JOIN
            | bindings::rdma_cm_event_type_RDMA_CM_EVENT_MULTICAST_ERROR => {
                let p = ev.ud_private_data();
                // SAFETY: The private data of a multicast event of the piece's ids is null (a
                // join by `Ops::join()`, which this piece does not make) or the join given to
                // `LockedId::join()`, alive until it is left (or the id destroyed), and no
                // event of it comes after that.
                (!p.is_null()).then(|| unsafe { ArcBorrow::<Multicast>::from_raw(p.cast()) })
            }
            _ => None,
        };
        context::handle_event(ctx, id, ev, join);
    }

    fn connect_request(
        ctx: ArcBorrow<'_, Context>,
        conn: NewConn<'_, Self>,
        ev: &mut Event<'_>,
    ) -> Result {
        context::connect_request(ctx, conn, ev)
    }
}

/// [`ContextId::state`]: no id yet.
const ID_EMPTY: u8 = 0;
/// The id is being made and stored, by the one [`ContextId::create`] or [`ContextId::adopt`]
/// that moved the state here.
const ID_SETTING: u8 = 1;
/// The id is stored; `users` counts its users.
const ID_SET: u8 = 2;
/// The id is closed, or being closed, for good.
const ID_CLOSED: u8 = 3;

/// A context's rdma_cm id and who uses it (C's `ctx->cm_id`, `ref`, `comp` and `mutex`).
///
/// # Invariants
///
/// - `id` is written only while `state` is [`ID_SETTING`], by whoever moved it there (and
///   `users` is zero then), and taken only once, by whoever ended the id's life (see
///   [`ContextId::close`]), once `state` is [`ID_CLOSED`] and `users` dropped to zero, which
///   it never leaves again; it is read only by [`User`]s, while `users` is positive.
/// - `users` becomes positive only once `id` holds the id.
#[pin_data]
pub(crate) struct ContextId {
    id: UnsafeCell<Option<OwnedCmId<UcmaHandler>>>,
    /// Where the id is in its life: [`ID_EMPTY`], [`ID_SETTING`], [`ID_SET`], [`ID_CLOSED`].
    state: AtomicU8,
    /// Who uses the id (C's `ref`): the commands running on it, and the context's publication,
    /// which holds one use until the id is closed.
    users: AtomicI32,
    /// Completed when `users` drops to zero.
    #[pin]
    unused: Completion,
    /// Makes a second [`ContextId::close`] wait for the first (C cancels the close work,
    /// waiting for it, instead).
    #[pin]
    close_lock: Mutex<()>,
    /// Serialises the calls into rdma_cm on the id (C's `ctx->mutex`).
    #[pin]
    ops_lock: Mutex<()>,
}

// SAFETY: `id` is written and read under the protocol of the type invariants; the rest is
// atomics and locks.
unsafe impl Send for ContextId {}
// SAFETY: As above.
unsafe impl Sync for ContextId {}

impl ContextId {
    /// No id yet.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            id: UnsafeCell::new(None),
            state: AtomicU8::new(ID_EMPTY),
            users: AtomicI32::new(0),
            unused <- Completion::new(),
            close_lock <- new_mutex!((), "ucma::ContextId::close_lock"),
            ops_lock <- new_mutex!((), "ucma::ContextId::ops_lock"),
        })
    }

    /// `rdma_create_user_id()` for `ctx`, with [`UcmaHandler`]. `EBUSY` if the context has, or
    /// had, an id.
    pub(crate) fn create(ctx: &Arc<Context>, ps: PortSpace, qp_type: u32) -> Result {
        ctx.cm.set(|| OwnedCmId::new_user(ctx.clone(), ps, qp_type))
    }

    /// Gives `ctx` the new id of a connection request, before its user sees it. `EBUSY` if the
    /// context has, or had, an id.
    pub(crate) fn adopt(ctx: &Arc<Context>, conn: NewConn<'_, UcmaHandler>) -> Result {
        ctx.cm.set(|| Ok(conn.adopt(ctx.clone())))
    }

    /// Stores the id `make` gives, with the context's publication as its first user. `EINVAL`
    /// if the context was closed meanwhile (the id is destroyed then).
    fn set(&self, make: impl FnOnce() -> Result<OwnedCmId<UcmaHandler>>) -> Result {
        if self
            .state
            .compare_exchange(ID_EMPTY, ID_SETTING, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return Err(EBUSY);
        }
        let id = match make() {
            Ok(id) => id,
            Err(e) => {
                // Back to empty, unless a close came meanwhile.
                let _ = self.state.compare_exchange(
                    ID_SETTING,
                    ID_EMPTY,
                    Ordering::Release,
                    Ordering::Relaxed,
                );
                return Err(e);
            }
        };
        // SAFETY: `state` left `ID_EMPTY` for `ID_SETTING` by us: nobody else writes the cell,
        // and `users` is zero, so nobody reads it (type invariants).
        unsafe { *self.id.get() = Some(id) };
        // INVARIANT: Release: whoever becomes a user after this sees the id (`User::new()`
        // acquires). `users` is one before `state` says `ID_SET`, so a close that sees the
        // latter drops the former.
        self.users.store(1, Ordering::Release);
        if self
            .state
            .compare_exchange(ID_SETTING, ID_SET, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            // A close came while the id was made, and left its destruction to us.
            self.destroy();
            return Err(EINVAL);
        }
        Ok(())
    }

    /// `ucma_put_ctx()`.
    fn put(&self) {
        if self.users.fetch_sub(1, Ordering::Release) == 1 {
            self.unused.complete_all();
        }
    }

    /// Drops the publication's use, waits for the other users to end and destroys the id. Run
    /// once, by whoever ended the id's life: the close that moved `state` from `ID_SET` to
    /// `ID_CLOSED`, or the `set()` whose `ID_SETTING` a close moved to `ID_CLOSED`.
    fn destroy(&self) {
        self.put();
        self.unused.wait_for_completion();
        // SAFETY: `state` is `ID_CLOSED` for good, so no `set()` writes the cell; `users` is zero
        // for good (no `User` starts from zero), so nobody reads it; and the one caller that
        // ended the id's life takes it.
        let id = unsafe { (*self.id.get()).take() };
        // Destroys the id (waiting for its handlers), then drops its reference on the context.
        drop(id);
    }

    /// `ucma_close_id()`: ends the id's life: drops the publication's use, waits for the other
    /// users to end and destroys the id; nothing more is reported for it. Idempotent; a context
    /// closed before it got an id never gets one. A close that finds another one running
    /// returns once that one is done.
    pub(crate) fn close(&self) {
        let _g = self.close_lock.lock();
        loop {
            let state = self.state.load(Ordering::Acquire);
            let ours = match state {
                ID_CLOSED => return,
                // No id yet, or one being set: its `set()` destroys it.
                ID_EMPTY | ID_SETTING => false,
                _ => true,
            };
            if self
                .state
                .compare_exchange(state, ID_CLOSED, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                if ours {
                    self.destroy();
                }
                return;
            }
        }
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
    pub(crate) fn new(ctx: ArcBorrow<'_, Context>) -> Option<Self> {
        ctx.cm
            .users
            .fetch_update(Ordering::Acquire, Ordering::Relaxed, |n| {
                (n != 0).then_some(n + 1)
            })
            .ok()
            // INVARIANT: `users` was positive and is one more for this user.
            .map(|_| Self(ctx.into()))
    }

    /// The context's id, alive while the user is.
    pub(crate) fn cm_id(&self) -> &CmId {
        // SAFETY: `users` is positive (type invariant), so the cell holds the id and is not
        // written until this user is dropped (invariant of `ContextId`).
        let id = unsafe { &*self.0.cm.id.get() };
        match id {
            Some(id) => id,
            // Not reachable: a user exists only while the cell holds the id.
            None => unreachable!(),
        }
    }

    /// The context's id with its calls into rdma_cm serialised (C's `mutex_lock(&ctx->mutex)`).
    pub(crate) fn lock(&self) -> LockedId<'_> {
        let guard = self.0.cm.ops_lock.lock();
        // SAFETY: Every call into rdma_cm on the piece's ids goes through a `LockedId`, which
        // holds the context's `ops_lock` while it lives; the id is destroyed only once no user
        // is left.
        let ops = unsafe { self.cm_id().ops() };
        LockedId { ops, _guard: guard }
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

/// A context's id with its calls into rdma_cm serialised; dropping it unlocks.
pub(crate) struct LockedId<'a> {
    ops: Ops<'a>,
    _guard: MutexGuard<'a, ()>,
}

impl<'a> core::ops::Deref for LockedId<'a> {
    type Target = Ops<'a>;

    fn deref(&self) -> &Ops<'a> {
        &self.ops
    }
}

impl LockedId<'_> {
    /// `rdma_join_multicast()` of the join's address; the id's events of the join carry it
    /// (see [`UcmaHandler`]).
    pub(crate) fn join(&self, mc: &Arc<Multicast>, state: kernel::rdma::sa::JoinStates) -> Result {
        let context = Arc::as_ptr(mc).cast_mut().cast::<c_void>();
        // SAFETY: The join is kept until it is left or its id destroyed: by the command that
        // joins, then by the file's table, then by the command that leaves (or by the table
        // until the context's id is destroyed, see `context::destroy_private()`).
        unsafe { self.ops.join_with_context(&mc.addr, state, context) }
    }
}

/// The `File` of a file's private data, borrowed from the file's own reference: none is
/// taken or given back (a command costs no reference count).
///
/// # Safety
///
/// `p` is the private data of a live file opened by [`rdma_rs_ucma_open`], and the file stays
/// open for `'a` (the caller holds it for the call the result does not outlive).
unsafe fn file_borrow<'a>(p: *const c_void) -> ArcBorrow<'a, File> {
    // SAFETY: The private data is a reference on the `File` from `Arc::into_raw()`, given
    // back only when the file is released, after `'a`.
    unsafe { ArcBorrow::from_raw(p.cast()) }
}

/// Starts the piece (`ucma_init()`): the id tables, kept in `*state`.
///
/// # Safety
///
/// `state` is valid for a write.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_ucma_init(state: *mut *mut c_void) -> c_int {
    // SAFETY: `state` is valid for a write; `rdma_rs_ucma_exit()` stops the piece.
    unsafe { piece::start(state, Tables::new) }
}

/// Stops the piece (`ucma_cleanup()`): every file is closed by then.
///
/// # Safety
///
/// `state` is what [`rdma_rs_ucma_init`] stored, not used afterwards.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_ucma_exit(state: *mut c_void) {
    // SAFETY: As required by `piece::stop()`.
    unsafe { piece::stop::<Arc<Tables>>(state) };
}

/// `open()` of a file served here: stores its `File` in its private data.
///
/// # Safety
///
/// `state` is what [`rdma_rs_ucma_init`] stored; `filp` is the file being opened.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_ucma_open(
    state: *mut c_void,
    filp: *mut bindings::file,
) -> c_int {
    // SAFETY: The piece runs while its files exist.
    let tables: Arc<Tables> = unsafe { piece::state::<Arc<Tables>>(state) }.into();
    let f = match File::new(tables) {
        Ok(f) => f,
        Err(e) => return e.to_errno(),
    };
    // SAFETY: The file is being opened, and its private data is ours; the reference is given
    // back by `rdma_rs_ucma_close()`.
    unsafe { (*filp).private_data = Arc::into_raw(f).cast_mut().cast() };
    0
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
    let Some(raw) = NonNull::new(filp) else {
        return EINVAL.to_errno() as isize;
    };
    // SAFETY: The VFS passes the live file for the call; its private data is its `File`. The
    // borrow lives in this call only.
    let file = unsafe { file_borrow((*filp).private_data) };
    // INVARIANT: The file is live for the call, which `f` does not outlive.
    let f = Filp(raw, PhantomData);
    match cmd::write(file, &f, buf as u64, len) {
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
    let Some(raw) = NonNull::new(filp) else {
        // Not reached: the VFS always passes its file.
        return 0;
    };
    // SAFETY: The VFS passes the live file, whose private data is its `File`, and a poll table
    // (or null), for the call. The borrow lives in this call only.
    let (file, table) = unsafe { (file_borrow((*filp).private_data), PollTable::from_raw(wait)) };
    // INVARIANT: The file is live for the call, which `f` does not outlive.
    let f = Filp(raw, PhantomData);
    file.poll(&f, table)
}
