// SPDX-License-Identifier: GPL-2.0

//! Rust RDMA UD multicast sample.
//!
//! A kernel user of rdma_cm and the verbs, in safe Rust: it joins multicast groups through
//! rdma_cm (`RDMA_PS_UDP` or `RDMA_PS_IPOIB`), attaches a UD QP of its own to each, sends
//! datagrams to the group and checks the data of the ones it receives.
//!
//! Driven through `/sys/kernel/debug/rust_rdma_mcast/`:
//!
//! - `control` (write one command; it runs in the writer's network namespace and returns when
//!   it is done, or with its error):
//!   - `join NAME SRC GROUP [udp|ipoib]`: a new endpoint `NAME` (at most 64): an id in the
//!     port space given (`udp` when not), its address resolved from the IPv4 address `SRC` to
//!     the IPv4 group `GROUP` (or, for `0.0.0.0`, which asks the SA for a new group, or an
//!     IPv6 address such as an SA-assigned MGID, bound to `SRC`), a PD, a UD QP with its
//!     receives posted and the Q_Key of the id, then the join; once joined, the QP is attached
//!     to the group and an address handle made for it;
//!   - `send NAME COUNT [SIZE]`: sends `COUNT` (at most 4,096) datagrams of `SIZE` bytes (64
//!     when not) to the group, each numbered and filled with a pattern from its number, and
//!     waits for their completions (and for those of an earlier `send` that timed out), at
//!     most 5 s in all; `EIO` if any of them completed with an error;
//!   - `leave NAME`: destroys the endpoint (QP, join, id);
//!   - `bench SRC GROUP MEMBERS GROUPS`: SA multicast joins on the wire: `MEMBERS` ids, their
//!     addresses resolved from `SRC`, each join `GROUPS` groups (`GROUP`, `GROUP` + 1, ...);
//!     then every join is left. The joins are timed from the first join call to the last
//!     `MULTICAST_JOIN` event, the leaves from the first leave call to the last return (the
//!     SA's DELETE goes out after it); the result is in `bench`. At most 20,000 joins, and one
//!     benchmark at a time (`EBUSY`).
//! - `bench` (read): the last benchmark's result,
//!   `members=M groups=G joins=N failed=F join_ns=T leave_ns=T`.
//! - `endpoints` (read): one line per endpoint, after taking in what has arrived:
//!
//! ```text
//! a ps=udp mgid=ff12:4001:... mlid=0xc001 qkey=0x1234567 qpn=18 sent=10 send_errors=0
//!   received=10 own=0 bad=0 recv_errors=0 async_errors=0
//! ```
//!
//! (one line). A datagram is `received` if its header, length and pattern check out and it
//! came from another QP, `own` if it came from this one (its GRH's source GID and its source
//! QPN are this endpoint's: HCAs loop multicast back to the sender), `bad` otherwise.
//! `async_errors` counts `MULTICAST_ERROR` events after the join (a port event or a group lost
//! at the SA). An endpoint whose device goes away is destroyed at once. An endpoint holds its
//! network namespace, as every rdma_cm id does: a namespace deleted under endpoints goes once
//! they are left.

use core::fmt;
use kernel::{
    bindings,
    debugfs::Scope,
    dma::DataDirection,
    net::namespace::Namespace,
    prelude::*,
    rdma::{
        addr::SockAddr,
        ah::AddressHandle,
        buffer::DmaBuffer,
        cm::{
            CmId,
            Event,
            Handler,
            OwnedCmId,
            PortSpace, //
        },
        gid::Gid,
        pd::ProtectionDomain,
        qp::{
            Completion,
            UdDest,
            UdQp,
            UdQpCaps,
            GRH_SIZE, //
        },
        sa::{
            JoinState,
            JoinStates, //
        },
    },
    sync::{
        Arc,
        ArcBorrow,
        CondVar,
        CondVarTimeoutResult,
        Mutex,
        MutexGuard, //
    },
    time::{
        delay::fsleep,
        msecs_to_jiffies,
        Delta,
        Instant,
        Monotonic, //
    },
    uaccess::UserSliceReader,
    workqueue::{
        OwnedQueue,
        QueueFlags,
        Work,
        WorkItem, //
    },
};

module! {
    type: RustRdmaMcast,
    name: "rust_rdma_mcast",
    authors: ["rdma-rs developers"],
    description: "Rust RDMA UD multicast sample",
    license: "GPL",
}

/// The name in the resource tracker.
const CALLER: &CStr = c"rust_rdma_mcast";
/// How long a command waits for an rdma_cm event.
const EVENT_WAIT_MS: u32 = 10_000;
/// How long `send` takes at most.
const SEND_WAIT_MS: u32 = 5_000;
/// The most datagrams one `send` sends.
const SEND_MAX: u32 = 4096;
/// Sends and receives in flight.
const CAPS: UdQpCaps = UdQpCaps {
    max_send_wr: 32,
    max_recv_wr: 64,
};
/// The largest payload: an IB MTU of 2048.
const MAX_PAYLOAD: usize = 2048;
/// The header of a datagram: magic, sender QPN, number, length.
const HDR: usize = 16;
const MAGIC: [u8; 4] = *b"RRMC";
/// The longest endpoint name.
const NAME_MAX: usize = 16;
/// The longest command line.
const LINE_MAX: usize = 128;
/// How long a benchmark waits for each phase's events.
const BENCH_WAIT_MS: u32 = 300_000;
/// The most joins a benchmark makes.
const BENCH_MAX_JOINS: u32 = 20_000;
/// The most endpoints at a time.
const ENDPOINTS_MAX: usize = 64;

/// Events an rdma_cm handler records, and the wait of a command for them.
#[pin_data]
struct Watched<T> {
    #[pin]
    events: Mutex<T>,
    #[pin]
    changed: CondVar,
}

/// Events that tell when their device went away: rdma_cm then waits for the ids to be
/// destroyed, so no event a command waits for comes any more.
trait DeviceEvents {
    /// Whether `DEVICE_REMOVAL` came.
    fn removed(&self) -> bool;
}

impl<T: DeviceEvents + Unpin> Watched<T> {
    fn new(events: T) -> impl PinInit<Self> {
        pin_init!(Self {
            events <- kernel::new_mutex!(events),
            changed <- kernel::new_condvar!(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, T> {
        self.events.lock()
    }

    /// Records an event with `f`; the waiters look again.
    fn record(&self, f: impl FnOnce(&mut T)) {
        f(&mut self.events.lock());
        self.changed.notify_all();
    }

    /// Waits until `done` finds what the caller waits for, at most `ms` milliseconds:
    /// `ENODEV` once the device went away, `ETIMEDOUT` if it does not come, `EINTR` on a
    /// signal.
    fn wait<R>(&self, ms: u32, mut done: impl FnMut(&T) -> Option<R>) -> Result<R> {
        let mut events = self.events.lock();
        let mut left = msecs_to_jiffies(ms);
        loop {
            if let Some(v) = done(&events) {
                return Ok(v);
            }
            if events.removed() {
                return Err(ENODEV);
            }
            match self.changed.wait_interruptible_timeout(&mut events, left) {
                CondVarTimeoutResult::Timeout => return Err(ETIMEDOUT),
                CondVarTimeoutResult::Signal { .. } => return Err(EINTR),
                CondVarTimeoutResult::Woken { jiffies } => left = jiffies,
            }
        }
    }
}

/// What the rdma_cm handler saw, for the command that waits on it and for `endpoints`.
#[derive(Default)]
struct Events {
    /// The address resolution's outcome: 0, or the errno of `ADDR_ERROR`.
    resolved: Option<i32>,
    /// The join's outcome: its group, or the errno of `MULTICAST_ERROR`.
    joined: Option<core::result::Result<Group, i32>>,
    /// The PD to make the group's address handle in, set before the join.
    pd: Option<Arc<ProtectionDomain>>,
    /// `MULTICAST_ERROR` events after the join.
    async_errors: u32,
    /// The device went away (`DEVICE_REMOVAL`).
    removed: bool,
}

impl DeviceEvents for Events {
    fn removed(&self) -> bool {
        self.removed
    }
}

/// A joined group, from the `MULTICAST_JOIN` event.
#[derive(Clone)]
struct Group {
    ah: Arc<AddressHandle>,
    mgid: Gid,
    mlid: u16,
    qpn: u32,
    qkey: u32,
}

/// The context of an endpoint's id.
#[pin_data]
struct Session {
    #[pin]
    events: Watched<Events>,
    registry: Arc<Registry>,
}

struct McastHandler;

impl Handler for McastHandler {
    type Context = Arc<Session>;

    fn event(session: ArcBorrow<'_, Session>, _id: &CmId, ev: &mut Event<'_>) {
        session
            .events
            .record(|events| Self::record(&session, events, ev));
    }
}

impl McastHandler {
    fn record(session: &Session, events: &mut Events, ev: &mut Event<'_>) {
        let kind = ev.kind();
        if let Some(join) = ev.multicast_join() {
            let group = match &events.pd {
                Some(pd) => AddressHandle::new(pd, &join.ah_attr)
                    .map(|ah| Group {
                        ah,
                        mgid: join.ah_attr.dgid(),
                        mlid: join.ah_attr.dlid(),
                        qpn: join.qp_num,
                        qkey: join.qkey,
                    })
                    .map_err(|e| e.to_errno()),
                None => Err(EPROTO.to_errno()),
            };
            events.joined = Some(group);
        } else if kind == bindings::rdma_cm_event_type_RDMA_CM_EVENT_ADDR_RESOLVED {
            events.resolved = Some(0);
        } else if kind == bindings::rdma_cm_event_type_RDMA_CM_EVENT_ADDR_ERROR {
            events.resolved = Some(if ev.status() < 0 {
                ev.status()
            } else {
                EHOSTUNREACH.to_errno()
            });
        } else if kind == bindings::rdma_cm_event_type_RDMA_CM_EVENT_MULTICAST_ERROR {
            if matches!(events.joined, Some(Ok(_))) {
                events.async_errors += 1;
            } else {
                events.joined = Some(Err(if ev.status() < 0 {
                    ev.status()
                } else {
                    EIO.to_errno()
                }));
            }
        } else if kind == bindings::rdma_cm_event_type_RDMA_CM_EVENT_DEVICE_REMOVAL {
            // rdma_cm waits for the id to be destroyed, which the handler cannot do.
            events.removed = true;
            session.registry.reap();
        }
    }
}

/// What an endpoint counted.
#[derive(Default)]
struct Counters {
    /// Sends posted; `sent` and `send_errors` count their completions.
    posted: u64,
    sent: u64,
    send_errors: u64,
    received: u64,
    own: u64,
    bad: u64,
    recv_errors: u64,
}

/// A joined endpoint. When dropped, its QP is detached from the group and the group left;
/// then its fields go in order: the QP (destroyed), the id, and the session, with the group's
/// address handle and the PD.
struct Endpoint {
    qp: Arc<UdQp>,
    id: OwnedCmId<McastHandler>,
    session: Arc<Session>,
    group: Group,
    group_addr: SockAddr,
    /// The port GID: with the QPN, what tells a datagram of this endpoint's own.
    sgid: Gid,
    name: KVec<u8>,
    ps: PortSpace,
    counters: Counters,
}

impl Endpoint {
    /// Creates endpoint `name` in the current network namespace and joins `group` from `src`.
    fn join(
        registry: &Arc<Registry>,
        name: &[u8],
        src: [u8; 4],
        group: SockAddr,
        ps: PortSpace,
    ) -> Result<Self> {
        let net = Namespace::current().ok_or(ESRCH)?;
        let session = Arc::pin_init(
            pin_init!(Session {
                events <- Watched::new(Events::default()),
                registry: registry.clone(),
            }),
            GFP_KERNEL,
        )?;
        let mut id = OwnedCmId::<McastHandler>::new_kernel_in(
            &net,
            session.clone(),
            ps,
            bindings::ib_qp_type_IB_QPT_UD,
            CALLER,
        )?;
        let group_addr = group;
        if group_addr.ipv4().is_some_and(|a| a != [0; 4]) {
            // As librdmacm's users do: the route to the group gives the device.
            id.ops()
                .resolve_addr(&SockAddr::inet(src, 0), &group_addr, 2000)?;
            let status = session.events.wait(EVENT_WAIT_MS, |e| e.resolved)?;
            if status != 0 {
                return Err(Error::from_errno(status));
            }
        } else {
            // No route to 0.0.0.0 or an MGID: the source address gives the device.
            id.ops().bind(&SockAddr::inet(src, 0))?;
        }
        let dev = id.ops().device().and_then(|d| d.try_get()).ok_or(ENODEV)?;
        let pd = ProtectionDomain::new(&dev, CALLER)?;
        let qp = UdQp::new(&pd, CAPS, CALLER)?;
        qp.activate(&id.ops().ud_qp_params()?)?;
        for _ in 0..CAPS.max_recv_wr {
            let buf = DmaBuffer::new(&pd, GRH_SIZE + MAX_PAYLOAD, DataDirection::FromDevice)?;
            qp.post_recv(buf).map_err(|(e, _)| e)?;
        }
        session.events.lock().pd = Some(pd);
        id.ops()
            .join(&group_addr, JoinStates::from(JoinState::Full))?;
        let joined = session.events.wait(EVENT_WAIT_MS, |e| e.joined.clone())?;
        let joined = joined.map_err(Error::from_errno)?;
        qp.attach_mcast(joined.mgid, joined.mlid)?;
        let sgid = id.dev_addr().sgid();
        let mut owned_name = KVec::new();
        owned_name.extend_from_slice(name, GFP_KERNEL)?;
        Ok(Self {
            qp,
            id,
            session,
            group: joined,
            group_addr,
            sgid,
            name: owned_name,
            ps,
            counters: Counters::default(),
        })
    }

    /// Takes in every completion: checks and counts what arrived, and posts its buffer again.
    fn drain(&mut self) {
        while let Some(c) = self.qp.poll() {
            self.complete(c);
        }
    }

    fn complete(&mut self, c: Completion) {
        let n = &mut self.counters;
        if !c.is_recv {
            if c.wc.is_success() {
                n.sent += 1;
            } else {
                n.send_errors += 1;
            }
            return;
        }
        if !c.wc.is_success() {
            // A flushed receive, as the QP goes: its buffer goes too.
            n.recv_errors += 1;
            return;
        }
        let len = (c.wc.byte_len() as usize).saturating_sub(GRH_SIZE);
        let payload = c
            .buf
            .as_slice()
            .get(GRH_SIZE..GRH_SIZE + len)
            .unwrap_or(&[]);
        // The GRH's source GID (bytes 8 to 23), present on every multicast datagram.
        let from_here = c.wc.has_grh()
            && c.buf.as_slice().get(8..24) == Some(&self.sgid.0[..])
            && c.wc.src_qp() == self.qp.qp_num();
        match check(payload) {
            Some(qpn) if qpn != c.wc.src_qp() => n.bad += 1,
            Some(_) if from_here => n.own += 1,
            Some(_) => n.received += 1,
            None => n.bad += 1,
        }
        if let Err((_, buf)) = self.qp.post_recv(c.buf) {
            drop(buf);
            n.recv_errors += 1;
        }
    }

    /// Sends `count` datagrams of `size` bytes to the group and waits for their completions,
    /// at most [`SEND_WAIT_MS`] in all.
    fn send(&mut self, count: u32, size: usize) -> Result {
        if !(HDR..=MAX_PAYLOAD).contains(&size) || count > SEND_MAX {
            return Err(EINVAL);
        }
        let pd = self.qp.pd().clone();
        let ah = self.group.ah.clone();
        let dest = UdDest {
            ah: &ah,
            qpn: self.group.qpn,
            qkey: self.group.qkey,
        };
        // Sends of an earlier `send` that timed out may still complete: this one waits for
        // them too, and fails if any send completes with an error while it runs.
        let errors_before = self.counters.send_errors;
        let start = Instant::<Monotonic>::now();
        let in_time = || start.elapsed() < Delta::from_millis(SEND_WAIT_MS.into());
        for seq in 0..count {
            let mut buf = DmaBuffer::new(&pd, size, DataDirection::ToDevice)?;
            fill(buf.as_mut_slice(), self.qp.qp_num(), seq);
            // A full send queue empties as its sends complete.
            while let Err((e, b)) = self.qp.post_send(buf, size, &dest) {
                if e != ENOMEM || !in_time() {
                    return Err(if e == ENOMEM { ETIMEDOUT } else { e });
                }
                buf = b;
                self.drain();
                fsleep(Delta::from_millis(1));
            }
            self.counters.posted += 1;
        }
        while in_time() {
            self.drain();
            let n = &self.counters;
            if n.sent + n.send_errors >= n.posted {
                return if n.send_errors == errors_before {
                    Ok(())
                } else {
                    Err(EIO)
                };
            }
            fsleep(Delta::from_millis(1));
        }
        Err(ETIMEDOUT)
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        // As librdmacm does: the QP stops taking the group's traffic before the group is left,
        // after which its MLID may go to another group.
        let _ = self.qp.detach_mcast(self.group.mgid, self.group.mlid);
        let group_addr = self.group_addr;
        self.id.ops().leave(&group_addr);
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = core::str::from_utf8(&self.name).unwrap_or("?");
        let ps = match self.ps {
            PortSpace::Ipoib => "ipoib",
            _ => "udp",
        };
        let g = &self.group;
        let n = &self.counters;
        let async_errors = self.session.events.lock().async_errors;
        writeln!(
            f,
            "{name} ps={ps} mgid={:?} mlid={:#06x} qkey={:#x} qpn={} sent={} send_errors={} \
             received={} own={} bad={} recv_errors={} async_errors={async_errors}",
            g.mgid,
            g.mlid,
            g.qkey,
            self.qp.qp_num(),
            n.sent,
            n.send_errors,
            n.received,
            n.own,
            n.bad,
            n.recv_errors,
        )
    }
}

/// Fills a datagram: magic, sender QPN, number, length, then a pattern from the number.
fn fill(buf: &mut [u8], qpn: u32, seq: u32) {
    let len = buf.len() as u32;
    buf[0..4].copy_from_slice(&MAGIC);
    buf[4..8].copy_from_slice(&qpn.to_be_bytes());
    buf[8..12].copy_from_slice(&seq.to_be_bytes());
    buf[12..16].copy_from_slice(&len.to_be_bytes());
    for (i, b) in buf[HDR..].iter_mut().enumerate() {
        *b = pattern(seq, i);
    }
}

fn pattern(seq: u32, i: usize) -> u8 {
    (seq as u8).wrapping_mul(31).wrapping_add(i as u8) ^ 0x5a
}

/// The sender QPN of a datagram whose header, length and pattern check out.
fn check(p: &[u8]) -> Option<u32> {
    let word = |at: usize| u32::from_be_bytes([p[at], p[at + 1], p[at + 2], p[at + 3]]);
    if p.len() < HDR || p[0..4] != MAGIC || word(12) as usize != p.len() {
        return None;
    }
    let seq = word(8);
    p[HDR..]
        .iter()
        .enumerate()
        .all(|(i, &b)| b == pattern(seq, i))
        .then(|| word(4))
}

/// What the ids of a benchmark saw.
#[derive(Default)]
struct BenchEvents {
    resolved: u32,
    joined: u32,
    failed: u32,
    first_error: i32,
    /// The device went away: rdma_cm waits for the ids, so the benchmark stops.
    removed: bool,
}

impl DeviceEvents for BenchEvents {
    fn removed(&self) -> bool {
        self.removed
    }
}

/// The context of a benchmark's ids.
type BenchState = Watched<BenchEvents>;

struct BenchHandler;

impl Handler for BenchHandler {
    type Context = Arc<BenchState>;

    fn event(state: ArcBorrow<'_, BenchState>, _id: &CmId, ev: &mut Event<'_>) {
        state.record(|events| match ev.kind() {
            bindings::rdma_cm_event_type_RDMA_CM_EVENT_ADDR_RESOLVED => events.resolved += 1,
            bindings::rdma_cm_event_type_RDMA_CM_EVENT_MULTICAST_JOIN => events.joined += 1,
            bindings::rdma_cm_event_type_RDMA_CM_EVENT_DEVICE_REMOVAL => events.removed = true,
            bindings::rdma_cm_event_type_RDMA_CM_EVENT_ADDR_ERROR
            | bindings::rdma_cm_event_type_RDMA_CM_EVENT_MULTICAST_ERROR => {
                events.failed += 1;
                if events.first_error == 0 {
                    events.first_error = ev.status();
                }
            }
            _ => {}
        });
    }
}

/// A benchmark's result.
#[derive(Clone, Copy, Default)]
struct BenchResult {
    members: u32,
    groups: u32,
    joins: u32,
    failed: u32,
    join_ns: i64,
    leave_ns: i64,
}

impl fmt::Display for BenchResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "members={} groups={} joins={} failed={} join_ns={} leave_ns={}",
            self.members, self.groups, self.joins, self.failed, self.join_ns, self.leave_ns
        )
    }
}

/// The `GROUP` + `i` address.
fn nth_group(group: [u8; 4], i: u32) -> [u8; 4] {
    u32::from_be_bytes(group).wrapping_add(i).to_be_bytes()
}

/// Runs `bench`: `members` ids in the current namespace each join `groups` groups.
fn bench(src: [u8; 4], group: [u8; 4], members: u32, groups: u32) -> Result<BenchResult> {
    let joins = members.checked_mul(groups).ok_or(EINVAL)?;
    if joins == 0 || joins > BENCH_MAX_JOINS {
        return Err(EINVAL);
    }
    let net = Namespace::current().ok_or(ESRCH)?;
    let state = Arc::pin_init(Watched::new(BenchEvents::default()), GFP_KERNEL)?;
    let mut ids = KVec::with_capacity(members as usize, GFP_KERNEL)?;
    let src_addr = SockAddr::inet(src, 0);
    for _ in 0..members {
        let mut id = OwnedCmId::<BenchHandler>::new_kernel_in(
            &net,
            state.clone(),
            PortSpace::Udp,
            bindings::ib_qp_type_IB_QPT_UD,
            CALLER,
        )?;
        id.ops()
            .resolve_addr(&src_addr, &SockAddr::inet(group, 0), 2000)?;
        ids.push(id, GFP_KERNEL)?;
    }
    state.wait(BENCH_WAIT_MS, |e| {
        (e.resolved + e.failed >= members).then_some(())
    })?;
    if state.lock().failed != 0 {
        return Err(EHOSTUNREACH);
    }
    let start = Instant::<Monotonic>::now();
    for id in ids.iter_mut() {
        for g in 0..groups {
            let addr = SockAddr::inet(nth_group(group, g), 0);
            id.ops().join(&addr, JoinStates::from(JoinState::Full))?;
        }
    }
    state.wait(BENCH_WAIT_MS, |e| {
        (e.joined + e.failed >= joins).then_some(())
    })?;
    let join_ns = start.elapsed().as_nanos();
    let start = Instant::<Monotonic>::now();
    for id in ids.iter_mut() {
        for g in 0..groups {
            id.ops().leave(&SockAddr::inet(nth_group(group, g), 0));
        }
    }
    let leave_ns = start.elapsed().as_nanos();
    let events = state.lock();
    Ok(BenchResult {
        members,
        groups,
        joins: events.joined,
        failed: events.failed,
        join_ns,
        leave_ns,
    })
}

/// The endpoints, and the queue that destroys those whose device goes away.
///
/// Sessions hold the registry, and endpoints hold sessions, so the module breaks that cycle
/// when it goes, by destroying every endpoint; a queued reap holds it too, and the module
/// flushes the queue before it lets its own reference go, so the queue never goes from its
/// own work item.
#[pin_data]
struct Registry {
    #[pin]
    endpoints: Mutex<KVec<Endpoint>>,
    #[pin]
    last_bench: Mutex<BenchResult>,
    /// Held while a benchmark runs: one at a time.
    #[pin]
    bench_running: Mutex<()>,
    #[pin]
    reap_work: Work<Registry>,
    reaper: OwnedQueue,
}

impl Registry {
    fn find(endpoints: &mut [Endpoint], name: &[u8]) -> Result<usize> {
        endpoints
            .iter()
            .position(|e| e.name.as_slice() == name)
            .ok_or(ENOENT)
    }

    /// Whether a new endpoint `name` may join: `ENOSPC` past [`ENDPOINTS_MAX`], `EEXIST` if
    /// the name is taken.
    fn room_for(endpoints: &mut [Endpoint], name: &[u8]) -> Result {
        if endpoints.len() >= ENDPOINTS_MAX {
            return Err(ENOSPC);
        }
        match Self::find(endpoints, name) {
            Ok(_) => Err(EEXIST),
            Err(_) => Ok(()),
        }
    }

    /// Destroys, from the reaper queue, the endpoints whose device is going; a reap already
    /// queued destroys them too.
    fn reap(self: &Arc<Self>) {
        let _ = self.reaper.enqueue(self.clone());
    }

    fn command(self: &Arc<Self>, line: &str) -> Result {
        let mut words = line.split_ascii_whitespace();
        let command = words.next().ok_or(EINVAL)?;
        if command == "bench" {
            let mut arg = || words.next().ok_or(EINVAL);
            let (src, group) = (parse_ipv4(arg()?)?, parse_ipv4(arg()?)?);
            let (members, groups) = (parse_u32(arg()?)?, parse_u32(arg()?)?);
            if words.next().is_some() {
                return Err(EINVAL);
            }
            let _running = self.bench_running.try_lock().ok_or(EBUSY)?;
            let result = bench(src, group, members, groups)?;
            *self.last_bench.lock() = result;
            return if result.failed == 0 { Ok(()) } else { Err(EIO) };
        }
        let name = words.next().ok_or(EINVAL)?.as_bytes();
        if name.len() > NAME_MAX {
            return Err(EINVAL);
        }
        let mut args = [""; 3];
        let mut n = 0;
        for w in words {
            *args.get_mut(n).ok_or(EINVAL)? = w;
            n += 1;
        }
        match (command, n) {
            ("join", 2 | 3) => {
                let ps = match args[2] {
                    "" | "udp" => PortSpace::Udp,
                    "ipoib" => PortSpace::Ipoib,
                    _ => return Err(EINVAL),
                };
                let src = parse_ipv4(args[0])?;
                let group = if args[1].contains(':') {
                    SockAddr::inet6(args[1].parse::<Gid>()?.0)
                } else {
                    SockAddr::inet(parse_ipv4(args[1])?, 0)
                };
                Self::room_for(&mut self.endpoints.lock(), name)?;
                // The join waits for the fabric: the endpoints are not locked meanwhile.
                let ep = Endpoint::join(self, name, src, group, ps)?;
                let mut endpoints = self.endpoints.lock();
                Self::room_for(&mut endpoints, name)?;
                // Under the lock, so that the reaper either runs after the push or was asked
                // for before this check.
                if ep.session.events.lock().removed {
                    return Err(ENODEV);
                }
                endpoints.push(ep, GFP_KERNEL)?;
                Ok(())
            }
            ("send", 1 | 2) => {
                let count = parse_u32(args[0])?;
                let size = if n == 2 {
                    parse_u32(args[1])? as usize
                } else {
                    64
                };
                let mut endpoints = self.endpoints.lock();
                let i = Self::find(&mut endpoints, name)?;
                endpoints[i].send(count, size)
            }
            ("leave", 0) => {
                let mut endpoints = self.endpoints.lock();
                let i = Self::find(&mut endpoints, name)?;
                let ep = endpoints.remove(i)?;
                drop(endpoints);
                drop(ep);
                Ok(())
            }
            _ => Err(EINVAL),
        }
    }
}

kernel::impl_has_work! {
    impl HasWork<Self> for Registry { self.reap_work }
}

impl WorkItem for Registry {
    type Pointer = Arc<Registry>;

    /// Destroys the endpoints whose device went away.
    fn run(this: Arc<Registry>) {
        // Destroyed under the lock: a handler never waits for it.
        this.endpoints
            .lock()
            .retain(|ep| !ep.session.events.lock().removed);
    }
}

fn parse_u32(s: &str) -> Result<u32> {
    s.parse::<u32>().map_err(|_| EINVAL)
}

fn parse_ipv4(s: &str) -> Result<[u8; 4]> {
    s.parse::<core::net::Ipv4Addr>()
        .map(|a| a.octets())
        .map_err(|_| EINVAL)
}

fn control(registry: &Arc<Registry>, input: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; LINE_MAX];
    let n = input.len();
    if n > buf.len() {
        return Err(EINVAL);
    }
    input.read_slice(&mut buf[..n])?;
    let line = core::str::from_utf8(&buf[..n]).map_err(|_| EINVAL)?;
    registry.command(line.trim())
}

fn show_endpoints(registry: &Arc<Registry>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let mut endpoints = registry.endpoints.lock();
    for ep in endpoints.iter_mut() {
        ep.drain();
        write!(f, "{ep}")?;
    }
    Ok(())
}

fn show_bench(registry: &Arc<Registry>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "{}", *registry.last_bench.lock())
}

struct RustRdmaMcast {
    registry: Arc<Registry>,
    /// `rust_rdma_mcast/`; `None` once the module is going.
    files: Option<Pin<KBox<Scope<Arc<Registry>>>>>,
}

impl kernel::Module for RustRdmaMcast {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let registry = Arc::pin_init(
            try_pin_init!(Registry {
                endpoints <- kernel::new_mutex!(KVec::new()),
                last_bench <- kernel::new_mutex!(BenchResult::default()),
                bench_running <- kernel::new_mutex!(()),
                reap_work <- kernel::new_work!("rust_rdma_mcast::Registry::reap_work"),
                reaper: OwnedQueue::new_ordered(c"rust_rdma_mcast", QueueFlags::empty())?,
            }),
            GFP_KERNEL,
        )?;
        let files = KBox::pin_init(
            Scope::dir(registry.clone(), c"rust_rdma_mcast", |registry, d| {
                d.write_only_callback_file(c"control", registry, &control);
                d.read_callback_file(c"endpoints", registry, &show_endpoints);
                d.read_callback_file(c"bench", registry, &show_bench);
            }),
            GFP_KERNEL,
        )?;
        Ok(Self {
            registry,
            files: Some(files),
        })
    }
}

impl Drop for RustRdmaMcast {
    fn drop(&mut self) {
        // The files first, which waits for the commands in progress; then every endpoint,
        // which ends every id and so every handler call; then what the reaper still has. The
        // registry goes last, with no endpoint (and so no session) left to hold it.
        drop(self.files.take());
        let endpoints = core::mem::take(&mut *self.registry.endpoints.lock());
        drop(endpoints);
        self.registry.reaper.flush();
    }
}
