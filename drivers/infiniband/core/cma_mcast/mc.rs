// SPDX-License-Identifier: GPL-2.0

//! A join of an id (`struct cma_multicast`): its InfiniBand path through the SA multicast
//! code, its RoCE path (IGMP and an event built at once, delivered from rdma_cm's queue), and
//! its leave.

use super::{
    addr::{iboe_mtu, McAddr},
    qkey,
    shim::{self, CmId, McEvent, SaJoin},
};
use kernel::{
    bindings,
    prelude::*,
    rdma::{
        sa::{join_state, mcmember, mcmember_rec, CompMask, McMemberRec},
        PortCaps,
    },
    sync::{Arc, Completion, SpinLock},
    workqueue::{Work, WorkItem},
};

/// Where the event of a RoCE join is.
enum RoceEvent {
    /// Built, waiting in rdma_cm's queue.
    Queued(McEvent),
    /// Being delivered; the join's `delivered` completes when done.
    Delivering,
    /// Delivered, cancelled by a leave, or never (InfiniBand joins).
    Gone,
}

/// A join of an id.
#[pin_data]
pub(crate) struct Mc {
    pub(crate) id: CmId,
    pub(crate) addr: McAddr,
    /// The user's context, handed back in the events.
    context: usize,
    join_state: u8,
    /// The SA's membership of an InfiniBand join, once sent.
    #[pin]
    sa: SpinLock<Option<SaJoin>>,
    #[pin]
    roce: SpinLock<RoceEvent>,
    #[pin]
    delivered: Completion,
    #[pin]
    work: Work<Mc>,
}

kernel::impl_has_work! {
    impl HasWork<Self> for Mc { self.work }
}

impl WorkItem for Mc {
    type Pointer = Arc<Mc>;

    /// `cma_iboe_join_work_handler()`.
    fn run(this: Arc<Mc>) {
        let ev = {
            let mut r = this.roce.lock();
            match core::mem::replace(&mut *r, RoceEvent::Delivering) {
                RoceEvent::Queued(ev) => ev,
                other => {
                    *r = other;
                    return;
                }
            }
        };
        this.deliver(ev);
        *this.roce.lock() = RoceEvent::Gone;
        this.delivered.complete_all();
    }
}

impl Mc {
    /// A join of `id` at `addr` with `join_state`, for the user's `context`.
    pub(crate) fn new(id: CmId, addr: McAddr, join_state: u8, context: usize) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                id,
                addr,
                context,
                join_state,
                sa <- kernel::new_spinlock!(None, "Mc::sa"),
                roce <- kernel::new_spinlock!(RoceEvent::Gone, "Mc::roce"),
                delivered <- Completion::new(),
                work <- kernel::new_work!("Mc::work"),
            }),
            GFP_KERNEL,
        )
    }

    fn send_only(&self) -> bool {
        self.join_state == join_state::SENDONLY_FULL
    }

    /// Gives the id its default Q_Key if it has none yet (`cma_set_default_qkey()`).
    fn default_qkey(&self) -> Result {
        let id = &self.id;
        if id.qkey() != 0 {
            return Ok(());
        }
        let q = match qkey::default_for(id.ps()) {
            qkey::QkeySource::Udp => qkey::UDP_QKEY,
            qkey::QkeySource::Broadcast => {
                let dev = id.device().ok_or(ENODEV)?;
                mcmember_rec(dev, id.port(), &id.broadcast_mgid())?.qkey()
            }
            qkey::QkeySource::None => return Ok(()),
        };
        id.store_qkey(q);
        Ok(())
    }

    /// `cma_join_ib_multicast()`: the join goes to the SA multicast code, which answers in
    /// [`Mc::ib_joined`].
    pub(crate) fn join_ib(self: &Arc<Self>) -> Result {
        let id = &self.id;
        let dev = id.device().ok_or(ENODEV)?;
        // The port must be a member of the IPoIB broadcast group.
        let mut rec = mcmember_rec(dev, id.port(), &id.broadcast_mgid())?;
        self.default_qkey()?;
        let udp = id.ps() == bindings::rdma_ucm_port_space_RDMA_PS_UDP;
        rec.set_mgid(self.addr.ib_mgid(udp, &id.broadcast()));
        rec.0.qkey = id.qkey().to_be();
        rec.0.port_gid = id.sgid().to_raw();
        rec.0.pkey = id.pkey().to_be();
        rec.set_join_state(self.join_state);
        let mut comp = mcmember::MGID
            | mcmember::PORT_GID
            | mcmember::PKEY
            | mcmember::JOIN_STATE
            | mcmember::QKEY
            | mcmember::SL
            | mcmember::FLOW_LABEL
            | mcmember::TRAFFIC_CLASS;
        if id.ps() == bindings::rdma_ucm_port_space_RDMA_PS_IPOIB {
            comp = comp
                | mcmember::RATE
                | mcmember::RATE_SELECTOR
                | mcmember::MTU_SELECTOR
                | mcmember::MTU
                | mcmember::HOP_LIMIT;
        }
        let join = shim::sa_join(dev, id.port(), &rec, CompMask::from_raw(comp.raw()), self)?;
        *self.sa.lock() = Some(join);
        Ok(())
    }

    /// `cma_ib_mc_handler()`: the SA multicast code's answer to [`Mc::join_ib`]. Takes the
    /// group's Q_Key and tells the id's user, unless the id is going away.
    pub(crate) fn ib_joined(&self, status: i32, rec: &McMemberRec) {
        let id = &self.id;
        id.with_handler(|h| {
            let ret = match qkey::set(id.qkey(), rec.qkey()) {
                Ok(q) => {
                    id.store_qkey(q);
                    let mut ev = McEvent::new(status, id, rec, self.context);
                    h.deliver(&mut ev)
                }
                Err(e) => e.to_errno(),
            };
            kernel::warn_on!(ret != 0);
        });
    }

    /// `cma_iboe_join_multicast()`: a RoCE join needs no SA. IPv4 groups of RoCE v2 are
    /// joined with IGMP on the net device (unless send-only); the join event is made at once
    /// and delivered from rdma_cm's queue.
    pub(crate) fn join_roce(self: &Arc<Self>) -> Result {
        let id = &self.id;
        if self.addr.is_zero() {
            return Err(EINVAL);
        }
        let v2 = id.roce_v2();
        let mut rec = McMemberRec::with_mgid(self.addr.roce_mgid(v2));
        rec.0.pkey = 0xffffu16.to_be();
        let ndev = id.bound_ndev().ok_or(ENODEV)?;
        rec.0.rate = bindings::ib_rate_IB_RATE_PORT_CURRENT as u8;
        rec.0.hop_limit = 1;
        let mtu = iboe_mtu(ndev.mtu());
        rec.0.mtu = mtu as u8;
        if self.addr.is_v4() {
            if v2 {
                rec.0.hop_limit = bindings::IPV6_DEFAULT_HOPLIMIT as u8;
                if !self.send_only() {
                    shim::igmp(&ndev, rec.mgid(), true)?;
                }
            }
        } else if v2 {
            return Err(ENOTSUPP);
        }
        drop(ndev);
        if mtu == 0 {
            return Err(EINVAL);
        }
        // C ignores a failure here (`cma_iboe_join_multicast()`), and RoCE port spaces have
        // fixed defaults.
        let _ = self.default_qkey();
        rec.0.port_gid = id.src_addr().ip_gid().to_raw();
        let ev = McEvent::new(0, id, &rec, self.context);
        *self.roce.lock() = RoceEvent::Queued(ev);
        // Queued once per join, so it is not queued already.
        let _ = shim::cma_wq().enqueue(self.clone());
        Ok(())
    }

    /// Delivers the event of a RoCE join, unless the id is going away.
    fn deliver(&self, mut ev: McEvent) {
        self.id.with_handler(|h| {
            let ret = h.deliver(&mut ev);
            kernel::warn_on!(ret != 0);
        });
    }

    /// `destroy_mc()`: leaves the group. An InfiniBand join is given back to the SA
    /// multicast code (waiting for its callback); a RoCE one sends the IGMP leave and takes
    /// back its event unless it is being delivered, in which case it waits until it is.
    pub(crate) fn leave(&self) {
        let id = &self.id;
        let caps = id
            .device()
            .and_then(|d| d.port_caps(id.port()).ok())
            .unwrap_or(PortCaps::from_raw(0));
        if caps.has_ib_mcast() {
            let join = self.sa.lock().take();
            drop(join);
        }
        if !caps.is_roce() {
            return;
        }
        if !self.send_only() {
            if let Some(ndev) = id.bound_ndev() {
                // C ignores the result of the IGMP leave.
                let _ = shim::igmp(&ndev, self.addr.roce_mgid(id.roce_v2()), false);
            }
        }
        let (ev, delivering) = {
            let mut r = self.roce.lock();
            match core::mem::replace(&mut *r, RoceEvent::Gone) {
                RoceEvent::Queued(ev) => (Some(ev), false),
                RoceEvent::Delivering => {
                    *r = RoceEvent::Delivering;
                    (None, true)
                }
                RoceEvent::Gone => (None, false),
            }
        };
        drop(ev);
        if delivering {
            self.delivered.wait_for_completion();
        }
    }
}
