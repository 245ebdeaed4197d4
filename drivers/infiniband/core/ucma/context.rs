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
    Ordering, //
};
use kernel::{
    bindings, impl_has_work, new_spinlock, new_work,
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
}

impl_has_work! {
    impl HasWork<Self> for Context { self.close_work }
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
    pub(crate) fn new(file: &Arc<File>, uid: u64) -> Result<Arc<Self>> {
        let tables = file.tables.clone();
        let id = Tables::reserve(&tables.ctxs)?;
        let ctx_tables = tables.clone();
        let ctx = Arc::pin_init(
            try_pin_init!(Self {
                id,
                tables: ctx_tables,
                file <- new_spinlock!(file.clone(), "ucma::Context::file"),
                uid: AtomicU64::new(uid),
                cm <- ContextId::new(),
                backlog: AtomicI32::new(0),
                events_reported: AtomicI32::new(0),
                close_work <- new_work!("ucma::Context::close_work"),
            }),
            GFP_KERNEL,
        );
        if ctx.is_err() {
            tables.ctxs.lock().remove(id as usize);
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
    pub(crate) fn is_of(&self, file: &Arc<File>) -> bool {
        Arc::ptr_eq(&self.file.lock(), file)
    }

    /// Moves the context to `file` (MIGRATE_ID).
    pub(crate) fn set_file(&self, file: &Arc<File>) {
        *self.file.lock() = file.clone();
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
        User::new(self)
    }

    /// `ucma_get_ctx()`: the published context `id` of `file`, with a new user: `ENOENT` if
    /// there is none, `EINVAL` if it is another file's, `ENXIO` if it is being closed.
    pub(crate) fn get(file: &Arc<File>, id: u32) -> Result<User> {
        let table = file.tables.ctxs.lock();
        let ctx: Arc<Context> = table.get(id as usize).ok_or(ENOENT)?.into();
        if !ctx.is_of(file) {
            return Err(EINVAL);
        }
        ctx.try_user().ok_or(ENXIO)
    }

    /// `ucma_get_ctx_dev()`: as [`Context::get`], of a bound id.
    pub(crate) fn get_dev(file: &Arc<File>, id: u32) -> Result<User> {
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
    /// file's state, locked, with room for one more context.
    pub(crate) fn finish(self: &Arc<Self>, inner: &mut super::file::Inner) {
        // `reserve()`d by the caller.
        let _ = inner.ctxs.push_within_capacity(self.clone());
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
    // The joins left with the id: forget them.
    let mut gone = KVec::new();
    {
        let mut mcs = ctx.tables.mcs.lock();
        mcs.for_each(|id, mc| {
            if Arc::ptr_eq(&mc.ctx, &ctx) {
                let _ = gone.push(id, GFP_ATOMIC);
            }
            true
        });
        for id in gone.iter() {
            drop(mcs.remove(*id));
        }
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
                if let Some(i) = inner.ctxs.iter().position(|c| Arc::ptr_eq(c, ctx)) {
                    let _ = inner.ctxs.remove(i);
                }
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
    let ctx = Context::new(&file, 0)?;
    let mut inner = file.inner.lock();
    let r = inner
        .events
        .reserve(1, GFP_KERNEL)
        .and_then(|()| inner.ctxs.reserve(1, GFP_KERNEL))
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
