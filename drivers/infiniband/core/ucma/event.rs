// SPDX-License-Identifier: GPL-2.0

//! An event waiting to be read by GET_EVENT (C's `struct ucma_event`).

use super::{
    context::Context,
    ffi,
    multicast::Multicast, //
};
use kernel::{
    rdma::{
        cm::{
            self,
            CmId, //
        },
        ucm::EventResp,
    },
    sync::{
        Arc,
        ArcBorrow, //
    },
};

/// An event of a context, or of one of its joins, as the user reads it.
pub(crate) struct Event {
    /// The context the event is counted for (a listener's, for a connection request).
    pub(crate) ctx: Arc<Context>,
    /// The new context of a connection request.
    pub(crate) conn_req: Option<Arc<Context>>,
    /// The join of a multicast event.
    pub(crate) mc: Option<Arc<Multicast>>,
    /// What GET_EVENT copies out.
    pub(crate) resp: EventResp,
}

impl Event {
    /// `ucma_create_uevent()`: the user's event of rdma_cm's `event` on `ctx`'s id `id`, or,
    /// for a multicast event, on its join `join`.
    pub(crate) fn new(
        ctx: &Arc<Context>,
        id: &CmId,
        event: &mut cm::Event<'_>,
        join: Option<ArcBorrow<'_, Multicast>>,
    ) -> Self {
        let mut resp = EventResp::zeroed();
        let mc: Option<Arc<Multicast>> = join.map(Into::into);
        if let Some(mc) = &mc {
            resp.set_uid(mc.uid);
            resp.set_id(mc.id);
        } else {
            resp.set_uid(ctx.uid());
            resp.set_id(ctx.id);
        }
        ffi::fill_event(id, event, &mut resp);
        Self {
            ctx: ctx.clone(),
            conn_req: None,
            mc,
            resp,
        }
    }

    /// An event the user wrote (WRITE_CM_EVENT) for `ctx`.
    pub(crate) fn user(ctx: &Arc<Context>, event: u32, status: u32, arg: u64) -> Self {
        let mut resp = EventResp::zeroed();
        resp.set_uid(ctx.uid());
        resp.set_id(ctx.id);
        resp.set_event(event);
        resp.set_status(status);
        resp.set_arg(arg);
        Self {
            ctx: ctx.clone(),
            conn_req: None,
            mc: None,
            resp,
        }
    }
}
