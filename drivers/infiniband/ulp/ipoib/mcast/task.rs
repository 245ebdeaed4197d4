// SPDX-License-Identifier: GPL-2.0

//! The join task (`ipoib_mcast_join_task()`), a join (`ipoib_mcast_join()`) and the handling
//! of its answer (`ipoib_mcast_join_complete()`).
//!
//! The broadcast group is joined first; the other groups wait until the QP is attached to it.
//! A join in flight is an [`Attempt`] held in its entry's [`Phase::Busy`], so an entry has at
//! most one, and the attempt is signalled on every path that ends it, after the last access to
//! the entry's state.

use super::{
    attempt::Attempt,
    engine::{
        before,
        node,
        Engine,
        Inner, //
    },
    entry::{
        Entry,
        Phase, //
    },
    host::Host,
};
use kernel::{
    prelude::*,
    rdma::sa::{
        JoinState,
        McMemberComp,
        McMemberComps,
        McMemberRec,
        Selector, //
    },
    sync::Arc,
};

/// The failures logged per entry (`mcast->logcount`).
const MAX_LOGGED: u8 = 20;

impl<H: Host> Engine<H> {
    /// The join task: makes the broadcast entry, joins it, then joins every other entry that
    /// is due, and runs again when the next backoff ends.
    pub(crate) fn join_task(self: &Arc<Self>) {
        if !self.host.allowed() || !self.host.port_ready() {
            return;
        }
        if self.give_back_failed().is_err() {
            // Failed joins keep their entries out of this run; retry soon.
            let mut g = self.inner.lock();
            self.schedule(&mut g, None, true);
            return;
        }
        let mut g = self.inner.lock();
        if !self.host.allowed() {
            return;
        }
        let now = self.host.now();
        let broadcast = match g.broadcast.clone() {
            Some(b) => b,
            None => match self.new_broadcast(&mut g) {
                Some(b) => b,
                None => {
                    mcast_warn!(self.host, "failed to allocate broadcast group\n");
                    // Until this succeeds the interface is stalled, multicast-wise.
                    self.schedule(&mut g, None, true);
                    return;
                }
            },
        };
        let mut delay_until = None;
        let mut to_join = None;
        let st = broadcast.state.access(&g);
        if !st.attached {
            if !st.joined && !st.busy() && st.join.is_none() {
                if st.backoff > 1 && before(now, st.delay_until) {
                    delay_until = Some(st.delay_until);
                } else {
                    to_join = Some(broadcast.clone());
                }
            }
        } else {
            let mut i = 0;
            while i < g.list.len() {
                let e = g.list[i].clone();
                i += 1;
                let st = e.state.access(&g);
                if st.joined
                    || st.busy()
                    || st.join.is_some()
                    || (e.sendonly && self.host.queue_len(&e.mcast) == 0)
                {
                    continue;
                }
                if st.backoff == 1 || !before(now, st.delay_until) {
                    if self.join(&mut g, &e).is_err() {
                        return;
                    }
                } else if delay_until.is_none_or(|d| before(st.delay_until, d)) {
                    delay_until = Some(st.delay_until);
                }
            }
            mcast_dbg!(self.host, "successfully started all multicast joins\n");
        }
        if let Some(d) = delay_until {
            self.host.schedule_join_task(d.wrapping_sub(now));
        }
        if let Some(e) = to_join {
            let _ = self.join(&mut g, &e);
        }
    }

    /// Makes the broadcast entry and publishes it.
    fn new_broadcast(&self, g: &mut Inner<H>) -> Option<Arc<Entry<H>>> {
        let node = node::<H>()?;
        let b = Entry::new(&self.host, &self.inner, self.host.broadcast_mgid(), false)?;
        // Nothing else has the broadcast MGID: the restart task skips it, and the transmit
        // path makes no entry while there is no broadcast one.
        let _ = g.tree_insert(node, &b);
        self.host.publish_broadcast(&b.mcast);
        g.broadcast = Some(b.clone());
        Some(b)
    }

    /// Gives back the memberships of failed joins, which the join task replaces: with the
    /// lock dropped, as giving one back waits for its answer to be handled.
    fn give_back_failed(&self) -> Result {
        let mut failed = KVec::new();
        {
            let mut g = self.inner.lock();
            // The broadcast entry and the list's: every entry of the tree. Room for the failed
            // ones, counted first: most runs have none, and allocate nothing.
            let n = Iterator::chain(g.broadcast.iter(), g.list.iter())
                .filter(|e| e.state.access(&g).failed())
                .count();
            if n == 0 {
                return Ok(());
            }
            failed.reserve(n, GFP_ATOMIC)?;
            let mut i = 0;
            while i <= g.list.len() {
                let e = if i == 0 {
                    g.broadcast.clone()
                } else {
                    Some(g.list[i - 1].clone())
                };
                i += 1;
                let Some(e) = e else {
                    continue;
                };
                let st = e.state.access_mut(&mut g);
                if st.failed() {
                    if let Some(join) = st.join.take() {
                        // Room was reserved for every failed one.
                        let _ = failed.push_within_capacity(join);
                    }
                }
            }
        }
        drop(failed);
        Ok(())
    }

    /// Sends `e`'s join to the SA (`ipoib_mcast_join()`); on an immediate failure, schedules
    /// the retry and gives the error.
    pub(crate) fn join(self: &Arc<Self>, g: &mut Inner<H>, e: &Arc<Entry<H>>) -> Result {
        let Some(broadcast) = g.broadcast.clone() else {
            return Err(EINVAL);
        };
        if !self.host.allowed() {
            return Err(EINVAL);
        }
        let (port_gid, pkey) = self.host.port_gid_and_pkey();
        let mut rec = McMemberRec::with_mgid(e.mgid);
        rec.set_port_gid(port_gid);
        rec.set_pkey(pkey);
        rec.set_join_state(JoinState::Full.into());
        let mut comp = McMemberComp::Mgid
            | McMemberComp::PortGid
            | McMemberComp::Pkey
            | McMemberComp::JoinState;
        if !Arc::ptr_eq(e, &broadcast) {
            // RFC 4391: the same P_Key, Q_Key, SL, MTU and hop limit as the broadcast group.
            comp |= broadcast_comps();
            let b = broadcast.state.access(g).rec;
            rec.set_qkey(b.qkey());
            rec.set_mtu_selector(Selector::Eq);
            rec.set_mtu(b.mtu());
            rec.set_traffic_class(b.traffic_class());
            rec.set_rate_selector(Selector::Eq);
            rec.set_rate(b.rate());
            rec.set_sl(b.sl());
            rec.set_flow_label(b.flow_label());
            rec.set_hop_limit(b.hop_limit());
            if e.sendonly {
                rec.set_join_state(JoinState::SendOnlyFull.into());
            }
        }
        mcast_dbg!(self.host, "joining MGID {}\n", e.mgid);
        let attempt = match Attempt::new(self.clone(), e.clone()) {
            Ok(a) => a,
            Err(err) => {
                self.schedule(g, Some(&**e), true);
                return Err(err);
            }
        };
        e.state.access_mut(g).phase = Phase::Busy(attempt.clone());
        match self.host.join(&e.mcast, &rec, comp, attempt.clone()) {
            Ok(join) => {
                e.state.access_mut(g).join = Some(join);
                Ok(())
            }
            Err(err) => {
                mcast_warn!(
                    self.host,
                    "ib_sa_join_multicast failed, status {}\n",
                    err.to_errno()
                );
                self.schedule(g, Some(&**e), true);
                e.state.access_mut(g).phase = Phase::Idle;
                attempt.signal();
                Err(err)
            }
        }
    }

    /// Handles the SA's answer to `attempt` (`ipoib_mcast_join_complete()`).
    pub(crate) fn complete(&self, attempt: &Attempt<H>, status: Result, rec: &McMemberRec) {
        let e = &attempt.entry;
        let current = |g: &Inner<H>| match &e.state.access(g).phase {
            Phase::Busy(a) => core::ptr::eq::<Attempt<H>>(&**a, attempt),
            Phase::Idle => false,
        };
        mcast_dbg!(
            self.host,
            "{}join completion for {} (status {})\n",
            if e.sendonly { "sendonly " } else { "" },
            e.mgid,
            status.err().map_or(0, |err| err.to_errno())
        );
        // A membership the port events reset after its join: IPoIB handles port events
        // itself, and the membership stays.
        let reset = status == Err(ENETRESET);
        let mut status = if reset { Ok(()) } else { status };
        if !reset && status.is_ok() {
            let (broadcast, attach, needs_ah) = {
                let mut g = self.inner.lock();
                if !current(&g) {
                    return;
                }
                let broadcast = e.mgid == self.host.broadcast_mgid();
                let gone = broadcast && g.broadcast.is_none();
                let st = e.state.access_mut(&mut g);
                st.rec = *rec;
                if gone {
                    status = Err(EAGAIN);
                }
                let attach = status.is_ok() && !e.sendonly && !st.attached;
                if status.is_ok() && !e.sendonly && st.attached {
                    mcast_warn!(self.host, "multicast group {} already attached\n", e.mgid);
                }
                st.attached |= attach;
                // An entry attached before (its address handle failed then) still takes the
                // record and gets its address handle, where C stops at the warning.
                (broadcast, attach, !st.has_ah)
            };
            if status.is_ok() && (attach || e.sendonly || needs_ah) {
                let attached;
                (status, attached) = self.host.finish(&e.mcast, rec, broadcast, attach);
                {
                    let mut g = self.inner.lock();
                    let st = e.state.access_mut(&mut g);
                    if attach && !attached {
                        st.attached = false;
                    }
                    st.has_ah |= status.is_ok();
                }
                // With the address handle known, the packets that waited go out rather than
                // back to the entry's queue.
                if status.is_ok() {
                    self.host.send_queued(&e.mcast);
                }
            }
        }
        let mut drop_queue = false;
        let mut g = self.inner.lock();
        if !current(&g) {
            return;
        }
        match status {
            // The membership stands; nothing else changes.
            Ok(()) if reset => {}
            Ok(()) => {
                let now = self.host.now();
                let st = e.state.access_mut(&mut g);
                st.backoff = 1;
                st.delay_until = now;
                if g.is_broadcast(e) {
                    // The carrier and the other groups follow the broadcast attach.
                    self.host.queue_carrier_on();
                    self.schedule(&mut g, None, false);
                }
            }
            Err(err) => {
                let silent = e.sendonly && err == EINVAL;
                let st = e.state.access_mut(&mut g);
                if st.logcount < MAX_LOGGED {
                    if err == ETIMEDOUT || err == EAGAIN || silent {
                        mcast_dbg!(
                            self.host,
                            "{}multicast join failed for {}, status {}\n",
                            if e.sendonly { "sendonly " } else { "" },
                            e.mgid,
                            err.to_errno()
                        );
                    } else {
                        mcast_warn!(
                            self.host,
                            "{}multicast join failed for {}, status {}\n",
                            if e.sendonly { "sendonly " } else { "" },
                            e.mgid,
                            err.to_errno()
                        );
                    }
                    if !silent {
                        st.logcount += 1;
                    }
                }
                if e.sendonly && st.backoff >= 2 {
                    // A send-only group is tried twice, then its packets are dropped; the
                    // entry stays, unjoined, until a packet queues again. The join task runs
                    // to give the failed membership back.
                    st.backoff = 1;
                    drop_queue = true;
                    self.schedule(&mut g, None, false);
                } else {
                    self.schedule(&mut g, Some(&**e), true);
                }
            }
        }
        let st = e.state.access_mut(&mut g);
        st.joined = status.is_ok();
        st.phase = Phase::Idle;
        drop(g);
        if drop_queue {
            self.host.drop_queue(&e.mcast);
        }
        attempt.signal();
    }
}

/// The components a join of a group other than the broadcast one takes from the broadcast
/// group's record.
fn broadcast_comps() -> McMemberComps {
    McMemberComp::Qkey
        | McMemberComp::MtuSelector
        | McMemberComp::Mtu
        | McMemberComp::TrafficClass
        | McMemberComp::RateSelector
        | McMemberComp::Rate
        | McMemberComp::Sl
        | McMemberComp::FlowLabel
        | McMemberComp::HopLimit
}
