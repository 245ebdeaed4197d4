// SPDX-License-Identifier: GPL-2.0

//! A join of an id (`struct cma_multicast`): its InfiniBand path through the SA multicast
//! code, its RoCE path (IGMP and an event built at once, delivered from rdma_cm's queue), and
//! its leave.

use super::{
    addr::{
        self,
        iboe_mtu, //
    },
    ffi::{
        self,
        JoinEvent,
        PrivId, //
    },
    qkey,
};
use kernel::{
    bindings,
    prelude::*,
    rdma::{
        addr::SockAddr,
        cm::PortSpace,
        sa::{
            JoinHandler,
            JoinState,
            JoinStates,
            McMemberComp,
            McMemberRec,
            SaJoin, //
        },
        PortCaps,
    },
    sync::{
        Arc,
        Completion,
        SpinLock, //
    },
    workqueue::{
        Work,
        WorkItem, //
    },
};

/// Where the event of a RoCE join is.
enum RoceEvent {
    /// Built, waiting in rdma_cm's queue.
    Queued(JoinEvent),
    /// Being delivered; the join's `delivered` completes when done.
    Delivering,
    /// Delivered, cancelled by a leave, or never (InfiniBand joins).
    Gone,
}

/// A join of an id.
///
/// An InfiniBand join's SA membership ([`SaJoin`]) holds the join as its handler; the id's
/// joins ([`super::IdJoins`]) hold the membership beside the join until it is left.
#[pin_data]
pub(crate) struct Join {
    pub(crate) id: PrivId,
    pub(crate) addr: SockAddr,
    /// The user's context, handed back in the events.
    context: usize,
    join_state: JoinStates,
    #[pin]
    roce: SpinLock<RoceEvent>,
    #[pin]
    delivered: Completion,
    #[pin]
    work: Work<Join>,
}

kernel::impl_has_work! {
    impl HasWork<Self> for Join { self.work }
}

impl WorkItem for Join {
    type Pointer = Arc<Join>;

    /// `cma_iboe_join_work_handler()`.
    fn run(this: Arc<Join>) {
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

impl JoinHandler for Join {
    /// `cma_ib_mc_handler()`: the SA multicast code's answer to [`Join::join_ib`]. Takes the
    /// group's Q_Key and tells the id's user, unless the id is going away.
    fn joined(&self, status: Result, rec: &McMemberRec) {
        let status = match status {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        };
        let id = &self.id;
        id.with_handler(|h| {
            let ret = match qkey::set(id.qkey(), rec.qkey()) {
                Ok(q) => {
                    id.store_qkey(q);
                    let mut ev = JoinEvent::new(status, id, rec, self.context);
                    h.deliver(&mut ev)
                }
                Err(e) => e.to_errno(),
            };
            kernel::warn_on!(ret != 0);
        });
    }
}

impl Join {
    /// A join of `id` at `addr` with `join_state`, for the user's `context`.
    pub(crate) fn new(
        id: PrivId,
        addr: SockAddr,
        join_state: JoinStates,
        context: usize,
    ) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                id,
                addr,
                context,
                join_state,
                roce <- kernel::new_spinlock!(RoceEvent::Gone, "cma_mcast::Join::roce"),
                delivered <- Completion::new(),
                work <- kernel::new_work!("cma_mcast::Join::work"),
            }),
            GFP_KERNEL,
        )
    }

    fn send_only(&self) -> bool {
        self.join_state == JoinState::SendOnlyFull.into()
    }

    /// Gives the id its default Q_Key if it has none yet (`cma_set_default_qkey()`).
    fn default_qkey(&self) -> Result {
        let id = &self.id;
        if id.qkey() != 0 {
            return Ok(());
        }
        let q = match qkey::default_for(id.cm_id().port_space()) {
            qkey::QkeySource::Udp => qkey::UDP_QKEY,
            qkey::QkeySource::Broadcast => {
                let mgid = id.cm_id().dev_addr().broadcast_mgid();
                id.mcmember_rec(&mgid)?.qkey()
            }
            qkey::QkeySource::None => return Ok(()),
        };
        id.store_qkey(q);
        Ok(())
    }

    /// `cma_join_ib_multicast()`: the join goes to the SA multicast code, which answers in
    /// [`JoinHandler::joined`]; the membership, which the leave drops.
    pub(crate) fn join_ib(self: &Arc<Self>) -> Result<SaJoin<Join>> {
        let id = &self.id;
        let cm_id = id.cm_id();
        let dev_addr = cm_id.dev_addr();
        // The port must be a member of the IPoIB broadcast group.
        let mut rec = id.mcmember_rec(&dev_addr.broadcast_mgid())?;
        self.default_qkey()?;
        let ps = cm_id.port_space();
        let udp = ps == Some(PortSpace::Udp);
        rec.set_mgid(addr::ib_mgid(&self.addr, udp, &dev_addr.broadcast));
        rec.set_qkey(id.qkey());
        rec.set_port_gid(dev_addr.sgid());
        rec.set_pkey(dev_addr.pkey());
        rec.set_join_state(self.join_state);
        let mut comp = McMemberComp::Mgid
            | McMemberComp::PortGid
            | McMemberComp::Pkey
            | McMemberComp::JoinState
            | McMemberComp::Qkey
            | McMemberComp::Sl
            | McMemberComp::FlowLabel
            | McMemberComp::TrafficClass;
        if ps == Some(PortSpace::Ipoib) {
            comp = comp
                | McMemberComp::Rate
                | McMemberComp::RateSelector
                | McMemberComp::MtuSelector
                | McMemberComp::Mtu
                | McMemberComp::HopLimit;
        }
        id.sa_join(&rec, comp, self.clone())
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
        let mut rec = McMemberRec::with_mgid(addr::roce_mgid(&self.addr, v2));
        rec.set_pkey(0xffff);
        let ndev = id.cm_id().bound_netdev().ok_or(ENODEV)?;
        rec.set_rate(bindings::ib_rate_IB_RATE_PORT_CURRENT as u8);
        rec.set_hop_limit(1);
        let mtu = iboe_mtu(ndev.mtu());
        rec.set_mtu(mtu as u8);
        if addr::is_ipv4(&self.addr) {
            if v2 {
                rec.set_hop_limit(bindings::IPV6_DEFAULT_HOPLIMIT as u8);
                if !self.send_only() {
                    ffi::igmp(&ndev, rec.mgid(), true)?;
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
        rec.set_port_gid(id.cm_id().src_addr().ip_gid());
        let ev = JoinEvent::new(0, id, &rec, self.context);
        *self.roce.lock() = RoceEvent::Queued(ev);
        // Queued once per join, so it is not queued already.
        let _ = ffi::cma_wq().enqueue(self.clone());
        Ok(())
    }

    /// Delivers the event of a RoCE join, unless the id is going away.
    fn deliver(&self, mut ev: JoinEvent) {
        self.id.with_handler(|h| {
            let ret = h.deliver(&mut ev);
            kernel::warn_on!(ret != 0);
        });
    }

    /// The leave of a RoCE join (`destroy_mc()`): sends the IGMP leave and takes back the join's
    /// event unless it is being delivered, in which case it waits until it is. (An InfiniBand
    /// join leaves by dropping its SA membership.)
    pub(crate) fn leave_roce(&self) {
        let id = &self.id;
        let port = id.cm_id().port_num();
        let caps = id
            .device()
            .and_then(|d| d.port_caps(port).ok())
            .unwrap_or(PortCaps::from_raw(0));
        if !caps.is_roce() {
            return;
        }
        if !self.send_only() {
            if let Some(ndev) = id.cm_id().bound_netdev() {
                // C ignores the result of the IGMP leave.
                let _ = ffi::igmp(&ndev, addr::roce_mgid(&self.addr, id.roce_v2()), false);
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
