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
    /// `ucma_create_uevent()`: the user's event of rdma_cm's `event` on `ctx`'s id `cm_id`.
    pub(crate) fn new(
        ctx: &Arc<Context>,
        cm_id: CmId,
        event: &mut bindings::rdma_cm_event,
    ) -> Result<Self> {
        let mut resp = bindings::rdma_ucm_event_resp::zeroed();
        let mc = match event.event {
            bindings::rdma_cm_event_type_RDMA_CM_EVENT_MULTICAST_JOIN
            | bindings::rdma_cm_event_type_RDMA_CM_EVENT_MULTICAST_ERROR => {
                // SAFETY: Multicast events use the `ud` member; their private data is the
                // context the join was made with: a join of this piece, alive until it is
                // left, and no event comes after the leave (see `Multicast`).
                let p = unsafe { event.param.ud.private_data };
                // SAFETY: As above: `p` is `Arc::as_ptr()` of a live join.
                let join = unsafe { ArcBorrow::<Multicast>::from_raw(p.cast()) };
                let mc: Arc<Multicast> = join.into();
                resp.uid = mc.uid;
                resp.id = mc.id;
                Some(mc)
            }
            _ => {
                resp.uid = ctx.uid();
                resp.id = ctx.id;
                None
            }
        };
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
