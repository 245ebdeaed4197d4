// SPDX-License-Identifier: GPL-2.0

//! A context: one rdma_cm id of a user (C's `struct ucma_context`), its closing and its
//! events.

pub(crate) use super::ffi::User;
use super::{
    event::Event,
    ffi::{
        close_wq,
        ContextId,
        UcmaHandler, //
    },
    file::File,
    multicast::Multicast,
    Tables, //
};
use core::sync::atomic::{
    AtomicI32,
    AtomicU64,
    AtomicUsize,
    Ordering, //
};
use kernel::{
    bindings, impl_has_work,
    list::{
        AtomicTracker,
        ListArc,
        ListLinks,
        ListSet,
        SetSlot,
        TryNewListArc, //
    },
    new_spinlock, new_work,
    prelude::*,
    rdma::cm::{
        self,
        CmId,
        NewConn, //
    },
    sync::{
        Arc,
        ArcBorrow,
        SpinLock, //
    },
    workqueue::{
        Work,
        WorkItem, //
    },
};

/// The list of a context's joins in `Context::joins`.
const JOINS: usize = 0;

/// A user's rdma_cm id.
#[pin_data]
pub(crate) struct Context {
    /// The id the user knows the context by.
    pub(crate) id: u32,
    /// The id tables, shared by every file.
    pub(crate) tables: Arc<Tables>,
    /// The file the context belongs to. MIGRATE_ID changes it with the id's handler lock held.
    #[pin]
    file: SpinLock<Arc<File>>,
    /// The address of `file`'s `File`, written with it: whether the context is a file's, read
    /// without the lock (C's `READ_ONCE(ctx->file)`). `file` keeps that `File` alive, so no
    /// other one can have its address meanwhile.
    file_addr: AtomicUsize,
    /// The user's value for the context's events; 0 for a connection not accepted yet.
    uid: AtomicU64,
    /// The rdma_cm id and its users; the context's publication in the table is one of them
    /// until the id is closed.
    #[pin]
    pub(crate) cm: ContextId,
    /// How many more connection requests of a listening id may wait to be read.
    pub(crate) backlog: AtomicI32,
    /// The context's events read by the user (changed with the file's lock held).
    pub(crate) events_reported: AtomicI32,
    #[pin]
    close_work: Work<Context>,
    /// The joins of the context's id that are in the table, or on their way in or out (C's
    /// `mc_list`): destroying the context forgets them without a walk of the table.
    #[pin]
    joins: SpinLock<ListSet<Multicast, 1>>,
    /// The context's place on its file's list of contexts (C's `ucma_context.list`).
    #[pin]
    links: ListLinks,
    #[pin]
    links_track: AtomicTracker,
    /// Whether a file's list holds the context.
    slot: SetSlot,
}

impl_has_work! {
    impl HasWork<Self> for Context { self.close_work }
}

kernel::list::impl_list_arc_safe! {
    impl ListArcSafe<0> for Context {
        tracked_by links_track: AtomicTracker;
    }
}

kernel::list::impl_list_item! {
    impl ListItem<0> for Context {
        using ListLinks { self.links };
    }
}

kernel::impl_has_set_slot! {
    impl HasSetSlot<0> for Context { self.slot }
}

impl WorkItem for Context {
    type Pointer = Arc<Context>;

    /// `ucma_close_id()` after the id's device went away.
    fn run(this: Arc<Context>) {
        this.cm.close();
    }
}

impl Context {
    /// `ucma_alloc_ctx()`: a context of `file`, with an id reserved in the table but not
    /// published, and no rdma_cm id yet.
    pub(crate) fn new(file: ArcBorrow<'_, File>, uid: u64) -> Result<Arc<Self>> {
        let id = Tables::reserve(&file.tables.ctxs)?;
        let addr = file.addr();
        let ctx = Arc::pin_init(
            try_pin_init!(Self {
                id,
                tables: file.tables.clone(),
                file <- new_spinlock!(Arc::from(file), "ucma::Context::file"),
                file_addr: AtomicUsize::new(addr),
                uid: AtomicU64::new(uid),
                cm <- ContextId::new(),
                backlog: AtomicI32::new(0),
                events_reported: AtomicI32::new(0),
                close_work <- new_work!("ucma::Context::close_work"),
                joins <- new_spinlock!(ListSet::new(), "ucma::Context::joins"),
                links <- ListLinks::new(),
                links_track <- AtomicTracker::new(),
                slot: SetSlot::new(),
            }),
            GFP_KERNEL,
        );
        if ctx.is_err() {
            file.tables.ctxs.lock().remove(id as usize);
        }
        ctx
    }

    /// `rdma_create_user_id()` for the context, with `ucma_event_handler()`.
    pub(crate) fn create_cm_id(self: &Arc<Self>, ps: cm::PortSpace, qp_type: u32) -> Result {
        ContextId::create(self, ps, qp_type)
    }

    /// The file the context belongs to.
    pub(crate) fn file(&self) -> Arc<File> {
        self.file.lock().clone()
    }

    /// Whether the context belongs to `file`.
    pub(crate) fn is_of(&self, file: &File) -> bool {
        self.file_addr.load(Ordering::Relaxed) == file.addr()
    }

    /// Moves the context to `file` (MIGRATE_ID).
    pub(crate) fn set_file(&self, file: ArcBorrow<'_, File>) {
        let mut guard = self.file.lock();
        let old = core::mem::replace(&mut *guard, file.into());
        self.file_addr.store(file.addr(), Ordering::Relaxed);
        drop(guard);
        // Dropped outside the lock, and after `file_addr` moved on: `old` kept its address
        // from being another `File`'s until then.
        drop(old);
    }

    /// The user's value for the context's events.
    pub(crate) fn uid(&self) -> u64 {
        self.uid.load(Ordering::Relaxed)
    }

    /// Sets the user's value (ACCEPT, with the handler lock held).
    pub(crate) fn set_uid(&self, uid: u64) {
        self.uid.store(uid, Ordering::Relaxed)
    }

    /// A new user of the id, unless it is closed (`refcount_inc_not_zero()`).
    pub(crate) fn try_user(self: &Arc<Self>) -> Option<User> {
        User::new(self.as_arc_borrow())
    }

    /// `ucma_get_ctx()`: the published context `id` of `file`, with a new user: `ENOENT` if
    /// there is none, `EINVAL` if it is another file's, `ENXIO` if it is being closed.
    pub(crate) fn get(file: ArcBorrow<'_, File>, id: u32) -> Result<User> {
        let table = file.tables.ctxs.lock();
        let ctx = table.get(id as usize).ok_or(ENOENT)?;
        if !ctx.is_of(&file) {
            return Err(EINVAL);
        }
        User::new(ctx).ok_or(ENXIO)
    }

    /// `ucma_get_ctx_dev()`: as [`Context::get`], of a bound id.
    pub(crate) fn get_dev(file: ArcBorrow<'_, File>, id: u32) -> Result<User> {
        let u = Self::get(file, id)?;
        if !u.cm_id().has_device() {
            return Err(EINVAL);
        }
        Ok(u)
    }

    /// Whether the table publishes this context under its id.
    pub(crate) fn is_published(&self) -> bool {
        self.tables
            .ctxs
            .lock()
            .get(self.id as usize)
            .is_some_and(|c| core::ptr::eq(&*c, self))
    }

    /// `ucma_finish_ctx()`: adds the context to its file and publishes it. `inner` is its
    /// file's state, locked.
    pub(crate) fn finish(self: &Arc<Self>, inner: &mut super::file::Inner) {
        inner.add(self.clone());
        // Replacing a reserved id allocates nothing.
        let _ = self
            .tables
            .ctxs
            .lock()
            .store(self.id as usize, self.clone(), GFP_ATOMIC);
    }

    /// Takes the context out of the table, keeping its id reserved while it is destroyed
    /// (`xa_cmpxchg(ctx, XA_ZERO_ENTRY)`); false if someone else did.
    pub(crate) fn unpublish(self: &Arc<Self>) -> bool {
        let mut table = self.tables.ctxs.lock();
        if !table
            .get(self.id as usize)
            .is_some_and(|c| core::ptr::eq(&*c, &**self))
        {
            return false;
        }
        let taken = table.take_reserving(self.id as usize);
        drop(table);
        drop(taken);
        true
    }

    /// Adds `mc`, a new join of the context's id, to its list of joins.
    pub(crate) fn add_join(&self, mc: ListArc<Multicast>) {
        // `JOINS` is the set's one list: the push cannot fail.
        let _ = self.joins.lock().push_back(JOINS, mc);
    }

    /// Takes `mc` off the context's list of joins, if there.
    pub(crate) fn remove_join(&self, mc: &Multicast) {
        let taken = self.joins.lock().remove(mc);
        drop(taken);
    }

    /// Queues the close of the id if the context is still published (device removal).
    fn queue_close(self: ArcBorrow<'_, Self>) {
        if self.is_published() {
            let me: Arc<Self> = self.into();
            // Queued once; a second removal event finds it queued already.
            let _ = close_wq().enqueue(me);
        }
    }
}

/// `ucma_destroy_private_ctx()`: destroys a context that is not published (any more);
/// returns how many of its events the user read.
pub(crate) fn destroy_private(ctx: Arc<Context>) -> i32 {
    ctx.cm.close();
    let reported = cleanup_events(&ctx);
    // The joins left with the id: forget them. This also ends the cycle between the context
    // and its joins (each holds the other).
    loop {
        let Some(mc) = ctx.joins.lock().pop_front(JOINS) else {
            break;
        };
        let unpublished = ctx.tables.mcs.lock().remove(mc.id as usize);
        drop(unpublished);
    }
    let freed = ctx.tables.ctxs.lock().remove(ctx.id as usize);
    // The id was reserved, not published: nothing was found there.
    kernel::warn_on!(freed.is_some());
    reported
}

/// `ucma_cleanup_ctx_events()`: drops the context's unread events (a connection request's
/// new context with them, if it is not public yet) and takes the context off its file.
fn cleanup_events(ctx: &Arc<Context>) -> i32 {
    let file = ctx.file();
    loop {
        let orphan = {
            let mut inner = file.inner.lock();
            let Some(i) = inner.events.iter().position(|e| Arc::ptr_eq(&e.ctx, ctx)) else {
                drop(inner.ctxs.remove(ctx));
                return ctx.events_reported.load(Ordering::Relaxed);
            };
            let Ok(ev) = inner.events.remove(i) else {
                continue;
            };
            ev.conn_req.filter(|new| {
                ev.resp.event() == bindings::rdma_cm_event_type_RDMA_CM_EVENT_CONNECT_REQUEST
                    && new.unpublish()
            })
        };
        // A listener's connection not handed out yet goes with it.
        if let Some(new) = orphan {
            destroy_private(new);
        }
    }
}

/// `ucma_cleanup_mc_events()`: drops the unread events of a join, which is left.
pub(crate) fn cleanup_mc_events(user: &User, mc: &Arc<Multicast>) {
    let _h = user.cm_id().lock_handler();
    let file = user.file();
    file.inner
        .lock()
        .events
        .retain(|e| !e.mc.as_ref().is_some_and(|m| Arc::ptr_eq(m, mc)));
}

/// `ucma_event_handler()`: the event `event` of `ctx`'s id `id`, or of its join `join`, but
/// for a connection request ([`connect_request`]). Called with the id's handler lock held.
pub(crate) fn handle_event(
    ctx: ArcBorrow<'_, Context>,
    id: &CmId,
    event: &mut cm::Event<'_>,
    join: Option<ArcBorrow<'_, Multicast>>,
) {
    // Events of a new connection are ignored until the user accepts it (sets its uid).
    if ctx.uid() != 0 {
        let ctx: Arc<Context> = ctx.into();
        let ev = Event::new(&ctx, id, event, join);
        ctx.file().push_event(ev);
    }
    if event.kind() == bindings::rdma_cm_event_type_RDMA_CM_EVENT_DEVICE_REMOVAL {
        ctx.queue_close();
    }
}

/// `ucma_connect_event_handler()`: a connection request on a listening id makes a context for
/// the new id `conn`, public at once, and an event that hands it to the user. Called with the
/// listener's handler lock held.
pub(crate) fn connect_request(
    listen: ArcBorrow<'_, Context>,
    conn: NewConn<'_, UcmaHandler>,
    event: &mut cm::Event<'_>,
) -> Result {
    let backlog = &listen.backlog;
    // `atomic_add_unless(&backlog, -1, 0)`.
    backlog
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
            (n != 0).then_some(n - 1)
        })
        .map_err(|_| ENOMEM)?;
    let r = connect_request_ctx(listen, conn, event);
    if r.is_err() {
        backlog.fetch_add(1, Ordering::Relaxed);
    }
    r
}

fn connect_request_ctx(
    listen: ArcBorrow<'_, Context>,
    conn: NewConn<'_, UcmaHandler>,
    event: &mut cm::Event<'_>,
) -> Result {
    let listen: Arc<Context> = listen.into();
    let file = listen.file();
    // The event is the listener's (its uid), naming the new context; the listener's id is
    // the one rdma_cm fills it from, as C does.
    let listen_user = listen.try_user().ok_or(ENOMEM)?;
    let mut ev = Event::new(&listen, listen_user.cm_id(), event, None);
    drop(listen_user);
    let ctx = Context::new(file.as_arc_borrow(), 0)?;
    let mut inner = file.inner.lock();
    let r = inner
        .events
        .reserve(1, GFP_KERNEL)
        .map_err(Error::from)
        .and_then(|()| ContextId::adopt(&ctx, conn));
    if let Err(e) = r {
        drop(inner);
        ctx.tables.ctxs.lock().remove(ctx.id as usize);
        return Err(e);
    }
    ev.resp.set_id(ctx.id);
    ev.conn_req = Some(ctx.clone());
    ctx.finish(&mut inner);
    let _ = inner.events.push_within_capacity(ev);
    drop(inner);
    file.wake();
    Ok(())
}
