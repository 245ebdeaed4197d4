// SPDX-License-Identifier: GPL-2.0

//! An event waiting to be read by GET_EVENT (C's `struct ucma_event`).

use super::{context::Context, multicast::Multicast, shim::CmId};
use kernel::{
    bindings,
    prelude::*,
    sync::{Arc, ArcBorrow},
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
    pub(crate) resp: bindings::rdma_ucm_event_resp,
}

impl Event {
    /// `ucma_create_uevent()`: the user's event of rdma_cm's `event` on `ctx`'s id `cm_id`,
    /// or, for a multicast event, on its join `join`.
    pub(crate) fn new(
        ctx: &Arc<Context>,
        cm_id: CmId<'_>,
        event: &mut bindings::rdma_cm_event,
        join: Option<ArcBorrow<'_, Multicast>>,
    ) -> Result<Self> {
        let mut resp = bindings::rdma_ucm_event_resp::zeroed();
        let mc: Option<Arc<Multicast>> = join.map(Into::into);
        if let Some(mc) = &mc {
            resp.uid = mc.uid;
            resp.id = mc.id;
        } else {
            resp.uid = ctx.uid();
            resp.id = ctx.id;
        }
        cm_id.fill_event(event, &mut resp);
        Ok(Self {
            ctx: ctx.clone(),
            conn_req: None,
            mc,
            resp,
        })
    }

    /// An event the user wrote (WRITE_CM_EVENT) for `ctx`.
    pub(crate) fn user(ctx: &Arc<Context>, event: u32, status: u32, arg: u64) -> Self {
        let mut resp = bindings::rdma_ucm_event_resp::zeroed();
        resp.uid = ctx.uid();
        resp.id = ctx.id;
        resp.event = event;
        resp.status = status;
        // The argument is stored in `param.arg32`, as C's `memcpy()` does: two 32-bit words
        // in the machine's order.
        let b = arg.to_ne_bytes();
        resp.param.arg32 = [
            u32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
            u32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
        ];
        Self {
            ctx: ctx.clone(),
            conn_req: None,
            mc: None,
            resp,
        }
    }
}
