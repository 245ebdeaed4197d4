// SPDX-License-Identifier: GPL-2.0

//! The subnet administrator (SA) of the software InfiniBand fabric: pure logic from a request
//! MAD to its response, over the [`Fabric`] it serves.
//!
//! It answers ClassPortInfo; MCMemberRecord SET (join, creating the group if needed), GET and
//! DELETE (leave), by a port for itself or, with ProxyJoin, for another; PathRecord GET;
//! ServiceRecord SET, GET, GET_TABLE and DELETE ([`crate::service`]).
//! Groups keep the JoinState of each port GID, merged over its joins; a group goes with its
//! last full member, except the IPoIB broadcast groups the SA creates (at start, and for each
//! partition the SM adds). Multicast LIDs come from 0xC000 on, and the switch's multicast
//! forwarding table lists the ports with a full or non member of each group.

use crate::service::{
    ServiceRec,
    Services,
    SERVICE_REC_SIZE, //
};
use kernel::{
    prelude::*,
    rdma::{
        mad::{
            Mad,
            MAD_HDR_SIZE,
            METHOD_RESP, //
        },
        sa::{
            JoinState,
            JoinStates,
            McMemberComp,
            McMemberComps,
            McMemberRec,
            Selector,
            MCMEMBER_REC_WIRE_SIZE, //
        },
        Gid,
    },
};

/// The SA's management class (`IB_MGMT_CLASS_SUBN_ADM`) and version.
pub(crate) const CLASS_SUBN_ADM: u8 = 0x03;
pub(crate) const CLASS_VERSION: u8 = 2;

/// The methods the SA serves.
pub(crate) const METHOD_GET: u8 = 0x01;
pub(crate) const METHOD_SET: u8 = 0x02;
pub(crate) const METHOD_GET_TABLE: u8 = 0x12;
pub(crate) const METHOD_DELETE: u8 = 0x15;

pub(crate) const ATTR_CLASS_PORT_INFO: u16 = 0x0001;
pub(crate) const ATTR_SERVICE_REC: u16 = 0x0031;
pub(crate) const ATTR_PATH_REC: u16 = 0x0035;
pub(crate) const ATTR_MCMEMBER_REC: u16 = 0x0038;

/// MAD status values: the common ones (IBA 13.4.7) and the SA's (15.2.1.1, bits 8-15).
pub(crate) const STATUS_BAD_VERSION: u16 = 0x0004;
pub(crate) const STATUS_UNSUPPORTED_METHOD: u16 = 0x0008;
pub(crate) const STATUS_UNSUPPORTED_METHOD_ATTR: u16 = 0x000c;
pub(crate) const STATUS_NO_RESOURCES: u16 = 0x0100;
pub(crate) const STATUS_REQ_INVALID: u16 = 0x0200;
pub(crate) const STATUS_NO_RECORDS: u16 = 0x0300;
pub(crate) const STATUS_TOO_MANY_RECORDS: u16 = 0x0400;
pub(crate) const STATUS_INVALID_GID: u16 = 0x0500;
pub(crate) const STATUS_INSUFFICIENT_COMPONENTS: u16 = 0x0600;

/// Where the SA header's fields and the record are in an SA MAD.
/// The end of an SA MAD's RMPP header, which follows the common header.
const SA_RMPP_HDR_END: usize = 36;
const SA_ATTR_OFFSET: usize = 44;
pub(crate) const SA_COMP_MASK: usize = 48;
pub(crate) const SA_DATA: usize = 56;

/// The methods the SA serves, by the names its log and fault rules use.
pub(crate) const METHOD_NAMES: [(u8, &str); 4] = [
    (METHOD_GET, "GET"),
    (METHOD_SET, "SET"),
    (METHOD_DELETE, "DELETE"),
    (METHOD_GET_TABLE, "GET_TABLE"),
];

/// The attributes the SA knows, by the names its log and fault rules use.
pub(crate) const ATTR_NAMES: [(u16, &str); 4] = [
    (ATTR_CLASS_PORT_INFO, "ClassPortInfo"),
    (ATTR_SERVICE_REC, "ServiceRecord"),
    (ATTR_PATH_REC, "PathRecord"),
    (ATTR_MCMEMBER_REC, "MCMemberRecord"),
];

/// The name of `code` in `names`.
pub(crate) fn name_of<T: PartialEq>(names: &[(T, &'static str)], code: T) -> Option<&'static str> {
    names.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// The code of `name` in `names`.
pub(crate) fn code_of<T: Copy>(names: &[(T, &str)], name: &str) -> Option<T> {
    names.iter().find(|(_, n)| *n == name).map(|(c, _)| *c)
}

/// The component mask of an SA MAD.
pub(crate) fn comp_mask(mad: &Mad) -> u64 {
    let mut mask = [0u8; 8];
    mask.copy_from_slice(&mad.0[SA_COMP_MASK..SA_COMP_MASK + 8]);
    u64::from_be_bytes(mask)
}

/// The GID at offset `off` of an SA MAD's record.
pub(crate) fn record_gid(mad: &Mad, off: usize) -> Gid {
    let mut g = Gid::ZERO;
    g.0.copy_from_slice(&mad.0[SA_DATA + off..SA_DATA + off + 16]);
    g
}

/// The component mask and MCMemberRecord of an SA MAD.
pub(crate) fn mcmember(mad: &Mad) -> (McMemberComps, McMemberRec) {
    let mut wire = [0u8; MCMEMBER_REC_WIRE_SIZE];
    wire.copy_from_slice(&mad.0[SA_DATA..SA_DATA + MCMEMBER_REC_WIRE_SIZE]);
    (
        McMemberComps::from_be(comp_mask(mad).to_be()),
        McMemberRec::from_wire(&wire),
    )
}

/// The fabric's subnet prefix, MTU (`IB_MTU_4096`) and rate (`IB_RATE_40_GBPS`).
pub(crate) const SUBNET_PREFIX: u64 = 0xfe80_0000_0000_0000;
const FABRIC_MTU: u8 = 5;
const FABRIC_RATE: u8 = 7;
/// The first multicast LID.
pub(crate) const MLID_FIRST: u16 = 0xc000;
const MLID_LAST: u16 = 0xfffe;

/// The IPoIB broadcast group of a P_Key: Q_Key 0x0B1B, MTU 2048, 10 Gb/s.
const IPOIB_QKEY: u32 = 0x0b1b;
const IPOIB_MTU: u8 = 4;
const IPOIB_RATE: u8 = 3;

/// What the fabric offers a new group for a selector-qualified component.
struct Offer {
    /// The values, slowest first.
    values: &'static [u8],
    /// Their speed order.
    rank: fn(u8) -> u8,
    /// The value when the request does not give the component.
    default: u8,
}

/// The MTUs (`enum ib_mtu`: 256 to 4096 bytes), in numeric order.
const MTU_OFFER: Offer = Offer {
    values: &[1, 2, 3, 4, 5],
    rank: code_rank,
    default: FABRIC_MTU,
};

/// The rates (`enum ib_rate`), whose codes are not in speed order: 2.5, 5, 10, 20, 30 and 40
/// Gb/s.
const RATE_OFFER: Offer = Offer {
    values: &[2, 5, 3, 6, 4, 7],
    rank: rate_rank,
    default: FABRIC_RATE,
};

/// The order of a code that is in order already (MTU, packet lifetime): its value.
fn code_rank(code: u8) -> u8 {
    code
}

/// The speed order of an `enum ib_rate` code (`ib_rate_to_mult()`: multiples of 2.5 Gb/s), 0
/// for one the fabric does not know.
fn rate_rank(rate: u8) -> u8 {
    match rate {
        2 => 1,
        5 => 2,
        3 => 4,
        6 => 8,
        4 => 12,
        7 => 16,
        8 => 24,
        9 => 32,
        10 => 48,
        _ => 0,
    }
}

/// Whether a group's `have` satisfies a requested `want` under `s`, in the order `rank`
/// gives.
fn selector_accepts(s: Selector, have: u8, want: u8, rank: fn(u8) -> u8) -> bool {
    s.accepts(rank(have), rank(want))
}

/// The IPoIB broadcast MGID of `pkey`: ff12:401b:<pkey>::ffff:ffff.
pub(crate) fn ipoib_broadcast_mgid(pkey: u16) -> Gid {
    let mut g = [0u8; 16];
    g[0] = 0xff;
    g[1] = 0x12;
    g[2] = 0x40;
    g[3] = 0x1b;
    g[4..6].copy_from_slice(&(pkey | 0x8000).to_be_bytes());
    g[12..16].copy_from_slice(&[0xff; 4]);
    Gid(g)
}

/// A port of the fabric, as the SA needs it.
#[derive(Clone, Copy)]
pub(crate) struct PortInfo {
    /// Its index on the switch.
    pub(crate) index: u32,
    /// Its port GUID.
    pub(crate) guid: u64,
    /// Its LID.
    pub(crate) lid: u32,
    /// Its P_Key table.
    pub(crate) pkeys: [u16; 16],
    /// Whether it is ACTIVE. The SM's sweep drops a port that went down from its database: the
    /// SA takes no join for it (as OpenSM, which answers ERR_REQ_INVALID). A simplification: a
    /// port in INIT or ARMED, which OpenSM keeps, counts as down too (sib has no such state).
    pub(crate) active: bool,
}

impl PortInfo {
    /// Whether a member of partition `pkey` may use this port (a full or limited member of the
    /// same partition; two limited members do not talk).
    fn has_pkey(&self, pkey: u16) -> bool {
        self.pkeys.iter().any(|&e| {
            e & 0x7fff != 0
                && e & 0x7fff == pkey & 0x7fff
                && (e & 0x8000 != 0 || pkey & 0x8000 != 0)
        })
    }
}

/// What the SA needs from the fabric.
pub(crate) trait Fabric {
    /// The port of a GUID.
    fn port_by_guid(&self, guid: u64) -> Option<PortInfo>;
    /// The port of a LID.
    fn port_by_lid(&self, lid: u32) -> Option<PortInfo>;
    /// Programs the switch: `mlid` goes to the ports of bitmap `ports`.
    fn set_mft(&self, mlid: u16, ports: u64) -> Result;
    /// Removes `mlid` from the switch.
    fn clear_mft(&self, mlid: u16);
}

/// One port GID's membership of a group.
struct Member {
    port_gid: Gid,
    port: u32,
    join: JoinStates,
}

/// A multicast group.
struct Group {
    /// The group's parameters; port GID, join state and proxy join are zero.
    rec: McMemberRec,
    members: KVec<Member>,
    /// Created by the SA at start; kept without members.
    permanent: bool,
}

impl Group {
    /// The switch's ports for the group: those with a full or non member.
    fn mft_ports(&self) -> u64 {
        let receivers = JoinStates::from(JoinState::Full) | JoinState::Non;
        self.members
            .iter()
            .filter(|m| m.join.contains_any(receivers))
            .fold(0, |acc, m| acc | (1u64 << m.port))
    }
}

/// The outcome of a request: a status and, for success, the record's bytes.
type Answer = core::result::Result<KVec<u8>, u16>;

/// The SA's answer to a request.
pub(crate) struct Reply {
    /// The response; for a table, its header (the records follow it, RMPP segmented).
    pub(crate) mad: Mad,
    /// For a GET_TABLE answered with success, the records, one after the other (none for an
    /// empty table).
    pub(crate) table: Option<KVVec<u8>>,
}

impl Reply {
    /// A reply of one MAD.
    pub(crate) fn single(mad: Mad) -> Self {
        Self { mad, table: None }
    }
}

/// The SA's state: the multicast groups and the service records.
pub(crate) struct Sa {
    groups: KVec<Group>,
    next_mgid: u32,
    /// The service records.
    pub(crate) services: Services,
}

impl Sa {
    /// An SA with the IPoIB broadcast group of the default P_Key.
    pub(crate) fn new(fabric: &impl Fabric) -> Result<Self> {
        let mut sa = Self {
            groups: KVec::new(),
            next_mgid: 1,
            services: Services::new(),
        };
        sa.add_broadcast_group(fabric, 0xffff)?;
        Ok(sa)
    }

    /// Creates the IPoIB broadcast group of partition `pkey` (the membership bit ignored),
    /// unless it exists: what an SM does for each partition it configures.
    pub(crate) fn add_broadcast_group(&mut self, fabric: &impl Fabric, pkey: u16) -> Result {
        let pkey = pkey | 0x8000;
        if pkey == 0x8000 {
            return Err(EINVAL);
        }
        let mgid = ipoib_broadcast_mgid(pkey);
        if self.find(&mgid).is_some() {
            return Ok(());
        }
        let mut rec = McMemberRec::with_mgid(mgid);
        rec.set_qkey(IPOIB_QKEY);
        rec.set_pkey(pkey);
        rec.set_mtu_selector(Selector::Eq);
        rec.set_mtu(IPOIB_MTU);
        rec.set_rate_selector(Selector::Eq);
        rec.set_rate(IPOIB_RATE);
        rec.set_packet_life_time_selector(Selector::Eq);
        rec.set_scope(2);
        self.add_group(fabric, rec, true)
    }

    /// Deletes the group of `mgid` with its members, who are not told (as when an SM restarts
    /// without its state): their multicast stops until they join again.
    pub(crate) fn delete_group(&mut self, fabric: &impl Fabric, mgid: &Gid) -> Result {
        let gi = self.find(mgid).ok_or(ENOENT)?;
        let group = self.groups.remove(gi).map_err(|_| ENOENT)?;
        fabric.clear_mft(group.rec.mlid());
        Ok(())
    }

    /// Moves the group of `mgid` to multicast LID `mlid`; its members, not told, keep sending
    /// to and listening on the old one.
    pub(crate) fn set_mlid(&mut self, fabric: &impl Fabric, mgid: &Gid, mlid: u16) -> Result {
        if !(MLID_FIRST..=MLID_LAST).contains(&mlid) {
            return Err(EINVAL);
        }
        let gi = self.find(mgid).ok_or(ENOENT)?;
        let old = self.groups[gi].rec.mlid();
        if old == mlid {
            return Ok(());
        }
        if self.groups.iter().any(|g| g.rec.mlid() == mlid) {
            return Err(EBUSY);
        }
        let group = &mut self.groups[gi];
        fabric.set_mft(mlid, group.mft_ports())?;
        fabric.clear_mft(old);
        group.rec.set_mlid(mlid);
        Ok(())
    }

    /// Gives the group of `mgid` Q_Key `qkey` and P_Key `pkey`; its members are not told
    /// (fault injection: an SM does not change a live group's keys). From then on a join that
    /// asks for the old Q_Key, or for a P_Key of another partition (P_Keys compare without
    /// their membership bit), is refused with ERR_REQ_INVALID.
    pub(crate) fn set_keys(&mut self, mgid: &Gid, qkey: u32, pkey: u16) -> Result {
        if pkey & 0x7fff == 0 {
            return Err(EINVAL);
        }
        let gi = self.find(mgid).ok_or(ENOENT)?;
        let rec = &mut self.groups[gi].rec;
        rec.set_qkey(qkey);
        rec.set_pkey(pkey);
        Ok(())
    }

    /// Forgets every membership of the port with GUID `guid`, as when the SM lost the port;
    /// the groups left without a full member go. Returns the number of memberships forgotten.
    pub(crate) fn forget_port(&mut self, fabric: &impl Fabric, guid: u64) -> usize {
        self.forget(fabric, guid, |_| true)
    }

    /// Forgets the memberships of the port with GUID `guid` in the groups of partition `pkey`
    /// (compared without the membership bit), as an SM does when it takes the partition out
    /// of the port's P_Key table: the port's clients cannot leave them any more (ib_sa sends
    /// no DELETE for a group whose P_Key the port lost). Returns the number forgotten.
    pub(crate) fn forget_partition(&mut self, fabric: &impl Fabric, guid: u64, pkey: u16) -> usize {
        self.forget(fabric, guid, |rec| rec.pkey() & 0x7fff == pkey & 0x7fff)
    }

    /// Forgets the memberships of the port with GUID `guid` in the groups `in_scope` takes;
    /// the groups left without a full member go.
    fn forget(
        &mut self,
        fabric: &impl Fabric,
        guid: u64,
        in_scope: impl Fn(&McMemberRec) -> bool,
    ) -> usize {
        let port_gid = Gid::from_parts(SUBNET_PREFIX, guid);
        let mut forgotten = 0;
        for g in self.groups.iter_mut().filter(|g| in_scope(&g.rec)) {
            let before = g.members.len();
            g.members.retain(|m| m.port_gid != port_gid);
            forgotten += before - g.members.len();
        }
        let full = Self::full();
        self.groups.retain(|g| {
            let keep = g.permanent || g.members.iter().any(|m| m.join.contains_any(full));
            if !keep {
                fabric.clear_mft(g.rec.mlid());
            }
            keep
        });
        for g in self.groups.iter() {
            // The switch only loses ports here; a failure leaves it as it was.
            let _ = fabric.set_mft(g.rec.mlid(), g.mft_ports());
        }
        forgotten
    }

    /// The answer to `req` with an error `status`, the request's record echoed as OpenSM does
    /// for every error (`None` for a response, which gets no answer).
    pub(crate) fn reject(req: &Mad, status: u16) -> Option<Mad> {
        let mut resp = Self::response_to(req)?;
        resp.0[SA_DATA..].copy_from_slice(&req.0[SA_DATA..]);
        resp.set_status(status);
        Some(resp)
    }

    /// The response header for `req`, its data zeroed; `None` for a response.
    fn response_to(req: &Mad) -> Option<Mad> {
        let method = req.method();
        if method & METHOD_RESP != 0 {
            return None;
        }
        let mut resp = *req;
        // A single MAD: no RMPP header, whatever the request had there.
        resp.0[MAD_HDR_SIZE..SA_RMPP_HDR_END].fill(0);
        resp.set_method(match method {
            METHOD_GET | METHOD_SET => METHOD_GET | METHOD_RESP,
            METHOD_DELETE => METHOD_DELETE | METHOD_RESP,
            m => m | METHOD_RESP,
        });
        resp.0[SA_DATA..].fill(0);
        Some(resp)
    }

    /// The number of groups and of members over all groups.
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn counts(&self) -> (usize, usize) {
        (
            self.groups.len(),
            self.groups.iter().map(|g| g.members.len()).sum(),
        )
    }

    fn free_mlid(&self) -> Option<u16> {
        (MLID_FIRST..=MLID_LAST).find(|&l| self.groups.iter().all(|g| g.rec.mlid() != l))
    }

    fn add_group(&mut self, fabric: &impl Fabric, mut rec: McMemberRec, permanent: bool) -> Result {
        let mlid = self.free_mlid().ok_or(ENOSPC)?;
        rec.set_mlid(mlid);
        rec.set_port_gid(Gid::ZERO);
        rec.set_join_state(JoinStates::default());
        rec.set_proxy_join(0);
        self.groups.push(
            Group {
                rec,
                members: KVec::new(),
                permanent,
            },
            GFP_KERNEL,
        )?;
        fabric.set_mft(mlid, 0)
    }

    /// Answers an SA request from the port with LID `requester`; `None` for a MAD that gets
    /// no answer (a response).
    pub(crate) fn handle(
        &mut self,
        fabric: &impl Fabric,
        req: &Mad,
        requester: u32,
    ) -> Option<Reply> {
        let method = req.method();
        let mut resp = Self::response_to(req)?;
        let service = || ServiceRec::from_bytes(&req.0[SA_DATA..]);
        let one = |rec: ServiceRec| -> Answer {
            let mut v = KVec::new();
            v.extend_from_slice(&rec.0, GFP_KERNEL)
                .map_err(|_| STATUS_NO_RESOURCES)?;
            Ok(v)
        };
        let answer = if req.class_version() != CLASS_VERSION {
            Err(STATUS_BAD_VERSION)
        } else {
            match (req.attr_id(), method) {
                (ATTR_CLASS_PORT_INFO, METHOD_GET) => Self::class_port_info(),
                (ATTR_MCMEMBER_REC, METHOD_SET) => self.join(fabric, req, requester),
                (ATTR_MCMEMBER_REC, METHOD_DELETE) => self.leave(fabric, req, requester),
                (ATTR_MCMEMBER_REC, METHOD_GET) => self.get_group(req),
                (ATTR_PATH_REC, METHOD_GET) => Self::path(fabric, req),
                (ATTR_SERVICE_REC, METHOD_SET) => self.set_service(fabric, req).and_then(one),
                (ATTR_SERVICE_REC, METHOD_DELETE) => self
                    .services
                    .delete(comp_mask(req), &service())
                    .and_then(one),
                (ATTR_SERVICE_REC, METHOD_GET) => {
                    self.services.get(comp_mask(req), &service()).and_then(one)
                }
                (ATTR_SERVICE_REC, METHOD_GET_TABLE) => {
                    return match self.services.table(comp_mask(req), &service()) {
                        Ok(records) => {
                            resp.0[SA_ATTR_OFFSET..SA_ATTR_OFFSET + 2]
                                .copy_from_slice(&((SERVICE_REC_SIZE / 8) as u16).to_be_bytes());
                            resp.set_status(0);
                            Some(Reply {
                                mad: resp,
                                table: Some(records),
                            })
                        }
                        Err(status) => Self::reject(req, status).map(Reply::single),
                    };
                }
                (_, METHOD_GET | METHOD_SET | METHOD_DELETE | METHOD_GET_TABLE) => {
                    Err(STATUS_UNSUPPORTED_METHOD_ATTR)
                }
                _ => Err(STATUS_UNSUPPORTED_METHOD),
            }
        };
        match answer {
            Ok(data) => {
                let n = data.len().min(resp.0.len() - SA_DATA);
                resp.0[SA_DATA..SA_DATA + n].copy_from_slice(&data[..n]);
                let units = if req.attr_id() == ATTR_CLASS_PORT_INFO {
                    0
                } else {
                    n.div_ceil(8) as u16
                };
                resp.0[SA_ATTR_OFFSET..SA_ATTR_OFFSET + 2].copy_from_slice(&units.to_be_bytes());
                resp.set_status(0);
            }
            Err(status) => return Self::reject(req, status).map(Reply::single),
        }
        Some(Reply::single(resp))
    }

    /// ServiceRecord SET: a service the port of its GID offers, registered by any port (the
    /// SA checks no ServiceKey). A GID that is no port of the fabric is INVALID_GID.
    fn set_service(
        &mut self,
        fabric: &impl Fabric,
        req: &Mad,
    ) -> core::result::Result<ServiceRec, u16> {
        let rec = ServiceRec::from_bytes(&req.0[SA_DATA..]);
        let comps = comp_mask(req);
        if comps & 0b10 != 0 && Self::port_of(fabric, &rec.gid()).is_none() {
            return Err(STATUS_INVALID_GID);
        }
        self.services.set(comps, &rec)
    }

    /// The join states that make a member full: it creates the group and keeps it.
    fn full() -> JoinStates {
        JoinStates::from(JoinState::Full) | JoinState::SendOnlyFull
    }

    fn record(rec: &McMemberRec) -> Answer {
        let mut v = KVec::new();
        v.extend_from_slice(&rec.to_wire(), GFP_KERNEL)
            .map_err(|_| STATUS_NO_RESOURCES)?;
        Ok(v)
    }

    /// ClassPortInfo: base version 1, class version 2, CapabilityMask2 with
    /// SendOnlyFullMemberSupport (bit 12), RespTimeValue 18.
    fn class_port_info() -> Answer {
        let mut v = KVec::new();
        v.extend_from_slice(&[0u8; 72], GFP_KERNEL)
            .map_err(|_| STATUS_NO_RESOURCES)?;
        v[0] = 1;
        v[1] = CLASS_VERSION;
        let cap2_resp: u32 = ((1 << 12) << 5) | 18;
        v[4..8].copy_from_slice(&cap2_resp.to_be_bytes());
        Ok(v)
    }

    fn find(&self, mgid: &Gid) -> Option<usize> {
        self.groups.iter().position(|g| g.rec.mgid() == *mgid)
    }

    /// Whether an existing group `g` matches the components of a join or query.
    fn matches(g: &McMemberRec, comps: McMemberComps, r: &McMemberRec) -> bool {
        use McMemberComp as C;
        let eq = |c: C, a: u32, b: u32| !comps.contains(c) || a == b;
        let sel = |sc: C, vc: C, s: Selector, have: u8, want: u8, rank: fn(u8) -> u8| {
            !(comps.contains(sc) && comps.contains(vc)) || selector_accepts(s, have, want, rank)
        };
        eq(C::Qkey, g.qkey(), r.qkey())
            && eq(C::Mlid, g.mlid().into(), r.mlid().into())
            && eq(
                C::Pkey,
                (g.pkey() & 0x7fff).into(),
                (r.pkey() & 0x7fff).into(),
            )
            && eq(
                C::TrafficClass,
                g.traffic_class().into(),
                r.traffic_class().into(),
            )
            && eq(C::Sl, g.sl().into(), r.sl().into())
            && eq(C::FlowLabel, g.flow_label(), r.flow_label())
            && eq(C::HopLimit, g.hop_limit().into(), r.hop_limit().into())
            && eq(C::Scope, g.scope().into(), r.scope().into())
            && sel(
                C::MtuSelector,
                C::Mtu,
                r.mtu_selector(),
                g.mtu(),
                r.mtu(),
                code_rank,
            )
            && sel(
                C::RateSelector,
                C::Rate,
                r.rate_selector(),
                g.rate(),
                r.rate(),
                rate_rank,
            )
            && sel(
                C::PacketLifeTimeSelector,
                C::PacketLifeTime,
                r.packet_life_time_selector(),
                g.packet_life_time(),
                r.packet_life_time(),
                code_rank,
            )
    }

    /// A value for a new group under a selector: the fastest value `offer` has that
    /// satisfies it, or the offer's default when the component is not given.
    fn choose(
        comps: McMemberComps,
        sc: McMemberComp,
        vc: McMemberComp,
        s: Selector,
        v: u8,
        offer: &Offer,
    ) -> Option<u8> {
        if !comps.contains(vc) {
            return Some(offer.default);
        }
        let s = if comps.contains(sc) { s } else { Selector::Eq };
        offer
            .values
            .iter()
            .rev()
            .copied()
            .find(|&o| selector_accepts(s, o, v, offer.rank))
    }

    fn create(
        &mut self,
        fabric: &impl Fabric,
        comps: McMemberComps,
        r: &McMemberRec,
    ) -> core::result::Result<usize, u16> {
        use McMemberComp as C;
        let needed = [C::Qkey, C::Pkey, C::Sl, C::FlowLabel, C::TrafficClass];
        if needed.iter().any(|&c| !comps.contains(c)) {
            return Err(STATUS_INSUFFICIENT_COMPONENTS);
        }
        let mut g = *r;
        let mtu = Self::choose(
            comps,
            C::MtuSelector,
            C::Mtu,
            r.mtu_selector(),
            r.mtu(),
            &MTU_OFFER,
        );
        let rate = Self::choose(
            comps,
            C::RateSelector,
            C::Rate,
            r.rate_selector(),
            r.rate(),
            &RATE_OFFER,
        );
        let (Some(mtu), Some(rate)) = (mtu, rate) else {
            return Err(STATUS_REQ_INVALID);
        };
        g.set_mtu_selector(Selector::Eq);
        g.set_mtu(mtu);
        g.set_rate_selector(Selector::Eq);
        g.set_rate(rate);
        g.set_packet_life_time_selector(Selector::Eq);
        if !comps.contains(C::PacketLifeTime) {
            g.set_packet_life_time(0);
        }
        if !comps.contains(C::HopLimit) {
            g.set_hop_limit(0);
        }
        // Scope: asked for, else the MGID's, else link-local.
        if !comps.contains(C::Scope) || g.scope() == 0 {
            let from_mgid = g.mgid().0[1] & 0xf;
            let given = comps.contains(C::Mgid) && g.mgid().0[0] == 0xff && from_mgid != 0;
            g.set_scope(if given { from_mgid } else { 2 });
        }
        // MGID 0: an SA-assigned one, ff1<scope>:a01b:<pkey>::<n>.
        if !comps.contains(C::Mgid) || g.mgid().is_zero() {
            let mut m = [0u8; 16];
            m[0] = 0xff;
            m[1] = 0x10 | (g.scope() & 0xf);
            m[2] = 0xa0;
            m[3] = 0x1b;
            m[4..6].copy_from_slice(&(g.pkey() | 0x8000).to_be_bytes());
            m[12..16].copy_from_slice(&self.next_mgid.to_be_bytes());
            self.next_mgid = self.next_mgid.wrapping_add(1);
            g.set_mgid(Gid(m));
        } else if g.mgid().0[0] != 0xff {
            return Err(STATUS_REQ_INVALID);
        }
        self.add_group(fabric, g, false)
            .map_err(|_| STATUS_NO_RESOURCES)?;
        Ok(self.groups.len() - 1)
    }

    /// The port of a port GID on this fabric.
    fn port_of(fabric: &impl Fabric, gid: &Gid) -> Option<PortInfo> {
        if gid.subnet_prefix() != SUBNET_PREFIX {
            return None;
        }
        fabric.port_by_guid(gid.interface_id())
    }

    /// Whether the port with LID `requester` may join or leave for the port of `r`'s port
    /// GID: its own, or any with ProxyJoin (as OpenSM, which answers ERR_REQ_INVALID to a
    /// request for another port without it).
    fn may_act_for(
        r: &McMemberRec,
        port: &PortInfo,
        requester: u32,
    ) -> core::result::Result<(), u16> {
        if r.proxy_join() == 0 && port.lid != requester {
            return Err(STATUS_REQ_INVALID);
        }
        Ok(())
    }

    /// MCMemberRecord SET: a join.
    fn join(&mut self, fabric: &impl Fabric, req: &Mad, requester: u32) -> Answer {
        use McMemberComp as C;
        let (comps, r) = mcmember(req);
        if !comps.contains(C::PortGid) || !comps.contains(C::JoinState) {
            return Err(STATUS_INSUFFICIENT_COMPONENTS);
        }
        let join = r.join_state();
        if join.is_empty() {
            return Err(STATUS_REQ_INVALID);
        }
        // As OpenSM: a port GID of another subnet is INVALID_GID, and a port the SM does not
        // know (or no longer: its sweep drops a port that went down) ERR_REQ_INVALID.
        if r.port_gid().subnet_prefix() != SUBNET_PREFIX {
            return Err(STATUS_INVALID_GID);
        }
        let port = Self::port_of(fabric, &r.port_gid())
            .filter(|p| p.active)
            .ok_or(STATUS_REQ_INVALID)?;
        Self::may_act_for(&r, &port, requester)?;
        let existing = if comps.contains(C::Mgid) && !r.mgid().is_zero() {
            self.find(&r.mgid())
        } else {
            None
        };
        let gi = match existing {
            Some(gi) => {
                if !Self::matches(&self.groups[gi].rec, comps, &r) {
                    return Err(STATUS_REQ_INVALID);
                }
                gi
            }
            // A full or send-only full member creates a group.
            None if join.contains_any(Self::full()) => self.create(fabric, comps, &r)?,
            None => return Err(STATUS_REQ_INVALID),
        };
        if !port.has_pkey(self.groups[gi].rec.pkey()) {
            return Err(STATUS_REQ_INVALID);
        }
        let group = &mut self.groups[gi];
        let merged = match group
            .members
            .iter_mut()
            .find(|m| m.port_gid == r.port_gid())
        {
            Some(m) => {
                m.join |= join;
                m.join
            }
            None => {
                group
                    .members
                    .push(
                        Member {
                            port_gid: r.port_gid(),
                            port: port.index,
                            join,
                        },
                        GFP_KERNEL,
                    )
                    .map_err(|_| STATUS_NO_RESOURCES)?;
                join
            }
        };
        let (mlid, ports) = (group.rec.mlid(), group.mft_ports());
        fabric
            .set_mft(mlid, ports)
            .map_err(|_| STATUS_NO_RESOURCES)?;
        let mut out = group.rec;
        out.set_port_gid(r.port_gid());
        out.set_join_state(merged);
        Self::record(&out)
    }

    /// MCMemberRecord DELETE: a leave of the requested join states.
    fn leave(&mut self, fabric: &impl Fabric, req: &Mad, requester: u32) -> Answer {
        use McMemberComp as C;
        let (comps, r) = mcmember(req);
        if !comps.contains(C::Mgid) || !comps.contains(C::PortGid) || !comps.contains(C::JoinState)
        {
            return Err(STATUS_INSUFFICIENT_COMPONENTS);
        }
        // A port the fabric no longer has may still be a member: anyone may remove it.
        if let Some(port) = Self::port_of(fabric, &r.port_gid()) {
            Self::may_act_for(&r, &port, requester)?;
        }
        let gi = self.find(&r.mgid()).ok_or(STATUS_REQ_INVALID)?;
        let group = &mut self.groups[gi];
        let mi = group
            .members
            .iter()
            .position(|m| m.port_gid == r.port_gid() && m.join.contains_any(r.join_state()))
            .ok_or(STATUS_REQ_INVALID)?;
        group.members[mi].join &= !r.join_state();
        if group.members[mi].join.is_empty() {
            group.members.remove(mi).map_err(|_| STATUS_REQ_INVALID)?;
        }
        let mut out = group.rec;
        out.set_port_gid(r.port_gid());
        out.set_join_state(r.join_state());
        let mlid = group.rec.mlid();
        // The group goes with its last full or send-only full member.
        let full = Self::full();
        if !group.permanent && !group.members.iter().any(|m| m.join.contains_any(full)) {
            fabric.clear_mft(mlid);
            self.groups.remove(gi).map_err(|_| STATUS_REQ_INVALID)?;
        } else {
            let ports = group.mft_ports();
            fabric
                .set_mft(mlid, ports)
                .map_err(|_| STATUS_NO_RESOURCES)?;
        }
        Self::record(&out)
    }

    /// MCMemberRecord GET: the one group that matches.
    fn get_group(&self, req: &Mad) -> Answer {
        use McMemberComp as C;
        let (comps, r) = mcmember(req);
        let mut found = self.groups.iter().filter(|g| {
            (!comps.contains(C::Mgid) || g.rec.mgid() == r.mgid())
                && Self::matches(&g.rec, comps, &r)
        });
        let g = found.next().ok_or(STATUS_NO_RECORDS)?;
        if found.next().is_some() {
            return Err(STATUS_TOO_MANY_RECORDS);
        }
        let mut out = g.rec;
        if comps.contains(C::PortGid) {
            out.set_port_gid(r.port_gid());
            if let Some(m) = g.members.iter().find(|m| m.port_gid == r.port_gid()) {
                out.set_join_state(m.join);
            }
        }
        Self::record(&out)
    }

    /// PathRecord GET: the one path between two ports of the fabric.
    fn path(fabric: &impl Fabric, req: &Mad) -> Answer {
        const DGID: u64 = 1 << 2;
        const SGID: u64 = 1 << 3;
        const DLID: u64 = 1 << 4;
        const SLID: u64 = 1 << 5;
        const PKEY: u64 = 1 << 13;
        const MTU_SEL: u64 = 1 << 16;
        const MTU: u64 = 1 << 17;
        let comps = comp_mask(req);
        let d = &req.0[SA_DATA..SA_DATA + 64];
        let gid_at = |off: usize| record_gid(req, off);
        let lid_at = |off: usize| u32::from(u16::from_be_bytes([d[off], d[off + 1]]));
        let end = |gc: u64, lc: u64, goff: usize, loff: usize| {
            if comps & gc != 0 {
                Self::port_of(fabric, &gid_at(goff))
            } else if comps & lc != 0 {
                fabric.port_by_lid(lid_at(loff))
            } else {
                None
            }
        };
        let dst = end(DGID, DLID, 8, 40).ok_or(STATUS_NO_RECORDS)?;
        let src = end(SGID, SLID, 24, 42).ok_or(STATUS_NO_RECORDS)?;
        let pkey = if comps & PKEY != 0 {
            u16::from_be_bytes([d[50], d[51]])
        } else {
            0xffff
        };
        if !src.has_pkey(pkey) || !dst.has_pkey(pkey) {
            return Err(STATUS_NO_RECORDS);
        }
        if comps & MTU_SEL != 0 && comps & MTU != 0 {
            let s = Selector::from_raw(d[54] >> 6);
            if !s.accepts(FABRIC_MTU, d[54] & 0x3f) {
                return Err(STATUS_NO_RECORDS);
            }
        }
        let mut v = KVec::new();
        v.extend_from_slice(&[0u8; 64], GFP_KERNEL)
            .map_err(|_| STATUS_NO_RESOURCES)?;
        // Service id, flow label, hop limit, traffic class and SL as asked.
        v[0..8].copy_from_slice(&d[0..8]);
        v[8..24].copy_from_slice(&Gid::from_parts(SUBNET_PREFIX, dst.guid).0);
        v[24..40].copy_from_slice(&Gid::from_parts(SUBNET_PREFIX, src.guid).0);
        v[40..42].copy_from_slice(&(dst.lid as u16).to_be_bytes());
        v[42..44].copy_from_slice(&(src.lid as u16).to_be_bytes());
        v[44..48].copy_from_slice(&d[44..48]);
        v[44] &= 0x0f; // no raw traffic
        v[48] = d[48];
        v[49] = 0x80 | 1; // reversible, one path
        v[50..52].copy_from_slice(&pkey.to_be_bytes());
        v[52..54].copy_from_slice(&d[52..54]);
        v[54] = (2 << 6) | FABRIC_MTU;
        v[55] = (2 << 6) | FABRIC_RATE;
        v[56] = 2 << 6;
        Ok(v)
    }
}

/// One line per group: MGID, MLID, Q_Key, P_Key, MTU and rate codes, `permanent` for a
/// group the SA keeps without members, then each member as `port<index>:<join state>`.
impl core::fmt::Display for Sa {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for g in self.groups.iter() {
            let r = &g.rec;
            write!(
                f,
                "{:?} mlid={:#06x} qkey={:#x} pkey={:#06x} mtu={} rate={}{}",
                r.mgid(),
                r.mlid(),
                r.qkey(),
                r.pkey(),
                r.mtu(),
                r.rate(),
                if g.permanent { " permanent" } else { "" }
            )?;
            for m in g.members.iter() {
                write!(f, " port{}:{:#x}", m.port, u8::from(m.join))?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

#[kunit_tests(rdma_sib_sa)]
mod tests {
    use super::*;
    use core::cell::{
        Cell,
        RefCell, //
    };

    /// Three ports: GUIDs 0x11, 0x12, 0x13, LIDs 1 to 3, the default P_Key (port 2 also a
    /// limited member of 0x0002); the switch's table as the SA left it.
    struct FakeFabric {
        mft: RefCell<KVec<(u16, u64)>>,
        /// A bitmap of the ports that are down.
        down: Cell<u32>,
    }

    impl FakeFabric {
        fn new() -> Self {
            Self {
                mft: RefCell::new(KVec::new()),
                down: Cell::new(0),
            }
        }

        fn mft(&self, mlid: u16) -> Option<u64> {
            self.mft.borrow().iter().find(|e| e.0 == mlid).map(|e| e.1)
        }

        fn port(&self, i: u32) -> PortInfo {
            let mut pkeys = [0u16; 16];
            pkeys[0] = 0xffff;
            if i == 2 {
                pkeys[1] = 0x0002;
            }
            PortInfo {
                index: i,
                guid: 0x11 + u64::from(i),
                lid: i + 1,
                pkeys,
                active: self.down.get() & (1 << i) == 0,
            }
        }
    }

    impl Fabric for FakeFabric {
        fn port_by_guid(&self, guid: u64) -> Option<PortInfo> {
            (0..3).map(|i| self.port(i)).find(|p| p.guid == guid)
        }

        fn port_by_lid(&self, lid: u32) -> Option<PortInfo> {
            (0..3).map(|i| self.port(i)).find(|p| p.lid == lid)
        }

        fn set_mft(&self, mlid: u16, ports: u64) -> Result {
            let mut mft = self.mft.borrow_mut();
            mft.retain(|e| e.0 != mlid);
            mft.push((mlid, ports), GFP_KERNEL)?;
            Ok(())
        }

        fn clear_mft(&self, mlid: u16) {
            self.mft.borrow_mut().retain(|e| e.0 != mlid);
        }
    }

    /// `sa` answers `m` as if the port of the record's port GID had sent it (port 0 for a
    /// request without one).
    fn ask(sa: &mut Sa, f: &FakeFabric, m: &Mad) -> Option<Mad> {
        let mut g = Gid::ZERO;
        g.0.copy_from_slice(&m.0[SA_DATA + 16..SA_DATA + 32]);
        let lid = f.port_by_guid(g.interface_id()).map_or(1, |p| p.lid);
        sa.handle(f, m, lid).map(|r| r.mad)
    }

    fn port_gid(i: u32) -> Gid {
        Gid::from_parts(SUBNET_PREFIX, 0x11 + u64::from(i))
    }

    fn request(method: u8, attr: u16, comps: u64, data: &[u8]) -> Mad {
        let mut m = Mad::default();
        m.0[0] = 1;
        m.0[1] = CLASS_SUBN_ADM;
        m.0[2] = CLASS_VERSION;
        m.0[3] = method;
        m.0[8..16].copy_from_slice(&0x1234u64.to_be_bytes());
        m.0[16..18].copy_from_slice(&attr.to_be_bytes());
        m.0[SA_COMP_MASK..SA_COMP_MASK + 8].copy_from_slice(&comps.to_be_bytes());
        m.0[SA_DATA..SA_DATA + data.len()].copy_from_slice(data);
        m
    }

    fn mc(method: u8, comps: McMemberComps, rec: &McMemberRec) -> Mad {
        request(method, ATTR_MCMEMBER_REC, u64::from(comps), &rec.to_wire())
    }

    fn answer(resp: &Mad) -> McMemberRec {
        let mut w = [0u8; MCMEMBER_REC_WIRE_SIZE];
        w.copy_from_slice(&resp.0[SA_DATA..SA_DATA + MCMEMBER_REC_WIRE_SIZE]);
        McMemberRec::from_wire(&w)
    }

    fn comps(list: &[McMemberComp]) -> McMemberComps {
        list.iter().fold(McMemberComps::default(), |a, &c| a | c)
    }

    /// A join of `mgid` by port `port` with `join`, as IPoIB asks for an existing group.
    fn join(sa: &mut Sa, f: &FakeFabric, mgid: Gid, port: u32, join: JoinState) -> Mad {
        use McMemberComp as C;
        let mut r = McMemberRec::with_mgid(mgid);
        r.set_port_gid(port_gid(port));
        r.set_join_state(join.into());
        r.set_pkey(0xffff);
        let c = comps(&[C::Mgid, C::PortGid, C::JoinState, C::Pkey]);
        ask(sa, f, &mc(METHOD_SET, c, &r)).unwrap()
    }

    fn leave(sa: &mut Sa, f: &FakeFabric, mgid: Gid, port: u32, join: JoinState) -> Mad {
        use McMemberComp as C;
        let mut r = McMemberRec::with_mgid(mgid);
        r.set_port_gid(port_gid(port));
        r.set_join_state(join.into());
        let c = comps(&[C::Mgid, C::PortGid, C::JoinState]);
        ask(sa, f, &mc(METHOD_DELETE, c, &r)).unwrap()
    }

    /// The link-local MGID ff12::`n`.
    fn link_local_mgid(n: u8) -> Gid {
        Gid([0xff, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, n])
    }

    /// A full create request with MGID `mgid` (zero: SA-assigned).
    fn create_rec(mgid: Gid, port: u32) -> (McMemberComps, McMemberRec) {
        use McMemberComp as C;
        let mut r = McMemberRec::with_mgid(mgid);
        r.set_port_gid(port_gid(port));
        r.set_join_state(JoinState::Full.into());
        r.set_qkey(0x1234);
        r.set_pkey(0xffff);
        let c = comps(&[
            C::Mgid,
            C::PortGid,
            C::JoinState,
            C::Qkey,
            C::Pkey,
            C::Sl,
            C::FlowLabel,
            C::TrafficClass,
        ]);
        (c, r)
    }

    #[test]
    fn the_broadcast_group_is_there_from_the_start() {
        let f = FakeFabric::new();
        let mut sa = Sa::new(&f).unwrap();
        let mut r = McMemberRec::with_mgid(ipoib_broadcast_mgid(0xffff));
        r.set_port_gid(port_gid(0));
        let resp = ask(&mut sa, &f, &mc(METHOD_GET, McMemberComp::Mgid.into(), &r)).unwrap();
        assert_eq!(resp.method(), METHOD_GET | METHOD_RESP);
        assert_eq!(resp.status(), 0);
        let g = answer(&resp);
        assert_eq!(
            (g.qkey(), g.mtu(), g.rate(), g.mlid(), g.pkey()),
            (IPOIB_QKEY, IPOIB_MTU, IPOIB_RATE, MLID_FIRST, 0xffff)
        );
        assert_eq!(f.mft(MLID_FIRST), Some(0));
        assert_eq!(sa.counts(), (1, 0));
    }

    #[test]
    fn join_states_merge_per_port_and_program_the_switch() {
        let f = FakeFabric::new();
        let mut sa = Sa::new(&f).unwrap();
        let bc = ipoib_broadcast_mgid(0xffff);
        let resp = join(&mut sa, &f, bc, 1, JoinState::Full);
        assert_eq!(resp.status(), 0);
        assert_eq!(answer(&resp).join_state(), JoinState::Full.into());
        assert_eq!(answer(&resp).port_gid(), port_gid(1));
        assert_eq!(f.mft(MLID_FIRST), Some(0b010));
        assert_eq!(join(&mut sa, &f, bc, 2, JoinState::Non).status(), 0);
        assert_eq!(f.mft(MLID_FIRST), Some(0b110));
        // A send-only join adds its bit but no receiver.
        let resp = join(&mut sa, &f, bc, 0, JoinState::SendOnlyFull);
        assert_eq!(f.mft(MLID_FIRST), Some(0b110));
        assert_eq!(answer(&resp).join_state(), JoinState::SendOnlyFull.into());
        let resp = join(&mut sa, &f, bc, 1, JoinState::SendOnlyFull);
        assert_eq!(
            answer(&resp).join_state(),
            JoinStates::from(JoinState::Full) | JoinState::SendOnlyFull
        );
        assert_eq!(sa.counts(), (1, 3));
        // Leaving one state keeps the others.
        let resp = leave(&mut sa, &f, bc, 1, JoinState::Full);
        assert_eq!(resp.method(), METHOD_DELETE | METHOD_RESP);
        assert_eq!(resp.status(), 0);
        assert_eq!(f.mft(MLID_FIRST), Some(0b100));
        assert_eq!(sa.counts(), (1, 3));
        assert_eq!(
            leave(&mut sa, &f, bc, 1, JoinState::SendOnlyFull).status(),
            0
        );
        assert_eq!(sa.counts(), (1, 2));
        // A state the port does not hold cannot be left.
        assert_eq!(
            leave(&mut sa, &f, bc, 2, JoinState::Full).status(),
            STATUS_REQ_INVALID
        );
        // The broadcast group stays without members.
        assert_eq!(leave(&mut sa, &f, bc, 2, JoinState::Non).status(), 0);
        assert_eq!(
            leave(&mut sa, &f, bc, 0, JoinState::SendOnlyFull).status(),
            0
        );
        assert_eq!(sa.counts(), (1, 0));
        assert_eq!(f.mft(MLID_FIRST), Some(0));
    }

    #[test]
    fn a_full_member_creates_the_last_member_deletes() {
        let f = FakeFabric::new();
        let mut sa = Sa::new(&f).unwrap();
        let mgid = link_local_mgid(7);
        // A non-member cannot create.
        assert_eq!(
            join(&mut sa, &f, mgid, 1, JoinState::Non).status(),
            STATUS_REQ_INVALID
        );
        let (c, r) = create_rec(mgid, 1);
        // Without the components a creation needs.
        let short = c & !McMemberComps::from(McMemberComp::Qkey);
        let resp = ask(&mut sa, &f, &mc(METHOD_SET, short, &r)).unwrap();
        assert_eq!(resp.status(), STATUS_INSUFFICIENT_COMPONENTS);
        let resp = ask(&mut sa, &f, &mc(METHOD_SET, c, &r)).unwrap();
        assert_eq!(resp.status(), 0);
        let g = answer(&resp);
        assert_eq!(
            (g.mgid(), g.mlid(), g.qkey(), g.mtu()),
            (mgid, MLID_FIRST + 1, 0x1234, FABRIC_MTU)
        );
        assert_eq!(f.mft(MLID_FIRST + 1), Some(0b010));
        // Another port joins with the wrong Q_Key, then the right one.
        let mut other = r;
        other.set_port_gid(port_gid(2));
        other.set_qkey(0x4321);
        let resp = ask(&mut sa, &f, &mc(METHOD_SET, c, &other)).unwrap();
        assert_eq!(resp.status(), STATUS_REQ_INVALID);
        other.set_qkey(0x1234);
        assert_eq!(
            ask(&mut sa, &f, &mc(METHOD_SET, c, &other))
                .unwrap()
                .status(),
            0
        );
        assert_eq!(sa.counts(), (2, 2));
        assert_eq!(leave(&mut sa, &f, mgid, 1, JoinState::Full).status(), 0);
        assert_eq!(leave(&mut sa, &f, mgid, 2, JoinState::Full).status(), 0);
        assert_eq!(sa.counts(), (1, 0));
        assert_eq!(f.mft(MLID_FIRST + 1), None);
        // Its MLID is free again.
        assert_eq!(
            ask(&mut sa, &f, &mc(METHOD_SET, c, &r)).unwrap().status(),
            0
        );
        assert_eq!(f.mft(MLID_FIRST + 1), Some(0b010));
    }

    #[test]
    fn new_keys_refuse_joins_with_the_old() {
        let f = FakeFabric::new();
        let mut sa = Sa::new(&f).unwrap();
        let mgid = link_local_mgid(8);
        let (c, r) = create_rec(mgid, 1);
        assert_eq!(
            ask(&mut sa, &f, &mc(METHOD_SET, c, &r)).unwrap().status(),
            0
        );
        let unknown = Gid([0xff; 16]);
        assert_eq!(sa.set_keys(&unknown, 0x4321, 0xffff), Err(ENOENT));
        assert_eq!(sa.set_keys(&mgid, 0x4321, 0x8000), Err(EINVAL));
        let mut other = r;
        other.set_port_gid(port_gid(2));
        // The group's Q_Key changed: the old one is refused.
        sa.set_keys(&mgid, 0x4321, 0xffff).unwrap();
        let resp = ask(&mut sa, &f, &mc(METHOD_SET, c, &other)).unwrap();
        assert_eq!(resp.status(), STATUS_REQ_INVALID);
        // Its P_Key changed: the old one is refused, even with the new Q_Key.
        sa.set_keys(&mgid, 0x1234, 0x8002).unwrap();
        let resp = ask(&mut sa, &f, &mc(METHOD_SET, c, &other)).unwrap();
        assert_eq!(resp.status(), STATUS_REQ_INVALID);
        assert_eq!(sa.counts(), (2, 1));
        // Back to the keys the members ask for.
        sa.set_keys(&mgid, 0x1234, 0xffff).unwrap();
        let resp = ask(&mut sa, &f, &mc(METHOD_SET, c, &other)).unwrap();
        assert_eq!(resp.status(), 0);
        assert_eq!(sa.counts(), (2, 2));
    }

    #[test]
    fn send_only_full_members_create_and_keep_groups() {
        use McMemberComp as C;
        let f = FakeFabric::new();
        let mut sa = Sa::new(&f).unwrap();
        let mut m = [0u8; 16];
        m[0] = 0xff;
        m[1] = 0x15;
        m[15] = 9;
        let mgid = Gid(m);
        // IPoIB's send-only join of a group no one receives creates it.
        let (c, mut r) = create_rec(mgid, 0);
        r.set_join_state(JoinState::SendOnlyFull.into());
        let resp = ask(
            &mut sa,
            &f,
            &mc(METHOD_SET, c & !McMemberComps::from(C::Scope), &r),
        );
        let g = answer(&resp.unwrap());
        assert_eq!(g.scope(), 5);
        assert_eq!(f.mft(g.mlid()), Some(0));
        assert_eq!(join(&mut sa, &f, mgid, 1, JoinState::Non).status(), 0);
        assert_eq!(f.mft(g.mlid()), Some(0b010));
        assert_eq!(sa.counts(), (2, 2));
        // Its last full member gone, the group goes, its non-member with it.
        assert_eq!(
            leave(&mut sa, &f, mgid, 0, JoinState::SendOnlyFull).status(),
            0
        );
        assert_eq!(sa.counts(), (1, 0));
        assert_eq!(f.mft(g.mlid()), None);
    }

    #[test]
    fn records_have_the_wire_layout_of_the_iba() {
        let mut r = McMemberRec::with_mgid(ipoib_broadcast_mgid(0xffff));
        r.set_port_gid(port_gid(1));
        r.set_qkey(0x0102_0304);
        r.set_mlid(0xc001);
        r.set_mtu_selector(Selector::Eq);
        r.set_mtu(4);
        r.set_traffic_class(0x56);
        r.set_pkey(0x8001);
        r.set_rate_selector(Selector::Lt);
        r.set_rate(3);
        r.set_packet_life_time_selector(Selector::Gt);
        r.set_packet_life_time(0x12);
        r.set_sl(0xa);
        r.set_flow_label(0xbcdef);
        r.set_hop_limit(0x40);
        r.set_scope(2);
        r.set_join_state(JoinState::SendOnlyFull.into());
        r.set_proxy_join(1);
        let w = r.to_wire();
        assert_eq!(w[0..6], [0xff, 0x12, 0x40, 0x1b, 0xff, 0xff]);
        assert_eq!(w[16..32], port_gid(1).0);
        assert_eq!(
            w[32..52],
            [
                0x01, 0x02, 0x03, 0x04, 0xc0, 0x01, 0x84, 0x56, 0x80, 0x01, 0x43, 0x12, 0xab, 0xcd,
                0xef, 0x40, 0x28, 0x80, 0x00, 0x00
            ]
        );
        let back = McMemberRec::from_wire(&w);
        assert_eq!(back.to_wire(), w);
        assert_eq!(
            (back.sl(), back.flow_label(), back.hop_limit()),
            (0xa, 0xbcdef, 0x40)
        );
    }

    #[test]
    fn mgid_zero_gets_an_sa_assigned_mgid() {
        let f = FakeFabric::new();
        let mut sa = Sa::new(&f).unwrap();
        let (c, r) = create_rec(Gid::ZERO, 0);
        let g = answer(&ask(&mut sa, &f, &mc(METHOD_SET, c, &r)).unwrap());
        assert_eq!(g.mgid().0[..6], [0xff, 0x12, 0xa0, 0x1b, 0xff, 0xff]);
        assert_eq!(g.mgid().0[15], 1);
        let g2 = answer(&ask(&mut sa, &f, &mc(METHOD_SET, c, &r)).unwrap());
        assert_ne!(g.mgid(), g2.mgid());
        assert_ne!(g.mlid(), g2.mlid());
    }

    #[test]
    fn selectors_and_bad_input() {
        use McMemberComp as C;
        let f = FakeFabric::new();
        let mut sa = Sa::new(&f).unwrap();
        let bc = ipoib_broadcast_mgid(0xffff);
        let mut r = McMemberRec::with_mgid(bc);
        r.set_port_gid(port_gid(1));
        r.set_join_state(JoinState::Full.into());
        let c = comps(&[C::Mgid, C::PortGid, C::JoinState, C::MtuSelector, C::Mtu]);
        // The group's MTU is 2048 (4): "greater than 4096" fails, "less than 4096" passes.
        r.set_mtu_selector(Selector::Gt);
        r.set_mtu(5);
        assert_eq!(
            ask(&mut sa, &f, &mc(METHOD_SET, c, &r)).unwrap().status(),
            STATUS_REQ_INVALID
        );
        r.set_mtu_selector(Selector::Lt);
        assert_eq!(
            ask(&mut sa, &f, &mc(METHOD_SET, c, &r)).unwrap().status(),
            0
        );
        // Rates compare by speed, not by code: the group's 10 Gb/s (3) beats 5 Gb/s (5).
        let cr = comps(&[C::Mgid, C::PortGid, C::JoinState, C::RateSelector, C::Rate]);
        r.set_rate_selector(Selector::Gt);
        r.set_rate(5);
        assert_eq!(
            ask(&mut sa, &f, &mc(METHOD_SET, cr, &r)).unwrap().status(),
            0
        );
        r.set_rate(7);
        assert_eq!(
            ask(&mut sa, &f, &mc(METHOD_SET, cr, &r)).unwrap().status(),
            STATUS_REQ_INVALID
        );
        // A port GID of another subnet; one of no port of the fabric.
        r.set_port_gid(Gid::from_parts(SUBNET_PREFIX + 1, 0x11));
        assert_eq!(
            ask(&mut sa, &f, &mc(METHOD_SET, c, &r)).unwrap().status(),
            STATUS_INVALID_GID
        );
        r.set_port_gid(Gid::from_parts(SUBNET_PREFIX, 0x99));
        assert_eq!(
            ask(&mut sa, &f, &mc(METHOD_SET, c, &r)).unwrap().status(),
            STATUS_REQ_INVALID
        );
        // A join without its join state.
        let c2 = comps(&[C::Mgid, C::PortGid]);
        assert_eq!(
            ask(&mut sa, &f, &mc(METHOD_SET, c2, &r)).unwrap().status(),
            STATUS_INSUFFICIENT_COMPONENTS
        );
        // A wrong class version, an unknown attribute, an unknown method, a response.
        let mut m = mc(METHOD_SET, c, &r);
        m.0[2] = 1;
        assert_eq!(ask(&mut sa, &f, &m).unwrap().status(), STATUS_BAD_VERSION);
        let m = request(METHOD_GET, 0x0099, 0, &[]);
        assert_eq!(
            ask(&mut sa, &f, &m).unwrap().status(),
            STATUS_UNSUPPORTED_METHOD_ATTR
        );
        let m = request(0x07, ATTR_MCMEMBER_REC, 0, &[]);
        assert_eq!(
            ask(&mut sa, &f, &m).unwrap().status(),
            STATUS_UNSUPPORTED_METHOD
        );
        assert!(ask(&mut sa, &f, &request(0x81, ATTR_MCMEMBER_REC, 0, &[])).is_none());
    }

    #[test]
    fn what_the_operator_does_to_groups() {
        let f = FakeFabric::new();
        let mut sa = Sa::new(&f).unwrap();
        let (c, r) = create_rec(Gid::ZERO, 0);
        let g = answer(&ask(&mut sa, &f, &mc(METHOD_SET, c, &r)).unwrap());
        let bc = ipoib_broadcast_mgid(0xffff);
        join(&mut sa, &f, g.mgid(), 1, JoinState::Non);
        join(&mut sa, &f, bc, 1, JoinState::Full);
        join(&mut sa, &f, bc, 2, JoinState::Full);
        assert_eq!(sa.counts(), (2, 4));
        // Another MLID: the switch follows, a taken or non-multicast MLID is refused.
        assert_eq!(sa.set_mlid(&f, &g.mgid(), MLID_FIRST), Err(EBUSY));
        assert_eq!(sa.set_mlid(&f, &g.mgid(), 0x10), Err(EINVAL));
        assert_eq!(sa.set_mlid(&f, &g.mgid(), 0xc0ff), Ok(()));
        assert_eq!((f.mft(g.mlid()), f.mft(0xc0ff)), (None, Some(0b11)));
        // Forgetting port 0 takes the group's only full member: the group goes, with its
        // non member; the broadcast group keeps ports 1 and 2.
        assert_eq!(sa.forget_port(&f, 0x11), 1);
        assert_eq!(sa.counts(), (1, 2));
        assert_eq!(f.mft(0xc0ff), None);
        assert_eq!(f.mft(MLID_FIRST), Some(0b110));
        // A deleted group goes with its members; an unknown one is ENOENT.
        assert_eq!(sa.delete_group(&f, &bc), Ok(()));
        assert_eq!((sa.counts(), f.mft(MLID_FIRST)), ((0, 0), None));
        assert_eq!(sa.delete_group(&f, &bc), Err(ENOENT));
        // Broadcast groups per partition, once; partition 0 is none.
        assert_eq!(sa.add_broadcast_group(&f, 0x0002), Ok(()));
        assert_eq!(sa.add_broadcast_group(&f, 0x8002), Ok(()));
        assert_eq!(sa.add_broadcast_group(&f, 0x8000), Err(EINVAL));
        assert_eq!(sa.counts(), (1, 0));
        assert!(sa.find(&ipoib_broadcast_mgid(0x8002)).is_some());
        // The SM takes partition 0x0002 from port 2: its memberships there go, not the others.
        let bc2 = ipoib_broadcast_mgid(0x8002);
        assert_eq!(sa.add_broadcast_group(&f, 0xffff), Ok(()));
        let mut r2 = McMemberRec::with_mgid(bc2);
        r2.set_port_gid(port_gid(2));
        r2.set_join_state(JoinState::Full.into());
        let c2 = comps(&[
            McMemberComp::Mgid,
            McMemberComp::PortGid,
            McMemberComp::JoinState,
        ]);
        assert_eq!(
            ask(&mut sa, &f, &mc(METHOD_SET, c2, &r2)).unwrap().status(),
            0
        );
        assert_eq!(join(&mut sa, &f, bc, 2, JoinState::Full).status(), 0);
        assert_eq!(sa.counts(), (2, 2));
        assert_eq!(sa.forget_partition(&f, 0x13, 0x0002), 1);
        assert_eq!(sa.counts(), (2, 1));
        assert!(sa.find(&bc2).is_some());
        // A rejected request: the status, the record echoed; a response gets none.
        let m = mc(METHOD_SET, c, &r);
        let resp = Sa::reject(&m, 0x0001).unwrap();
        assert_eq!(
            (resp.method(), resp.status()),
            (METHOD_GET | METHOD_RESP, 1)
        );
        assert_eq!(resp.0[SA_DATA..], m.0[SA_DATA..]);
        assert!(Sa::reject(&resp, 0x0001).is_none());
    }

    #[test]
    fn only_the_port_itself_or_a_proxy_joins_and_leaves() {
        use McMemberComp as C;
        let f = FakeFabric::new();
        let mut sa = Sa::new(&f).unwrap();
        let mut r = McMemberRec::with_mgid(ipoib_broadcast_mgid(0xffff));
        r.set_port_gid(port_gid(1));
        r.set_join_state(JoinState::Full.into());
        let c = comps(&[C::Mgid, C::PortGid, C::JoinState]);
        // Port 0 (LID 1) joins for port 1: refused, nothing joined; with ProxyJoin, joined.
        let set = |r: &McMemberRec| mc(METHOD_SET, c, r);
        assert_eq!(
            sa.handle(&f, &set(&r), 1).unwrap().mad.status(),
            STATUS_REQ_INVALID
        );
        assert_eq!(sa.counts(), (1, 0));
        r.set_proxy_join(1);
        assert_eq!(sa.handle(&f, &set(&r), 1).unwrap().mad.status(), 0);
        assert_eq!(sa.counts(), (1, 1));
        // A leave for another port needs it too; port 1 itself (LID 2) may.
        r.set_proxy_join(0);
        let delete = mc(METHOD_DELETE, c, &r);
        assert_eq!(
            sa.handle(&f, &delete, 1).unwrap().mad.status(),
            STATUS_REQ_INVALID
        );
        assert_eq!(sa.handle(&f, &delete, 2).unwrap().mad.status(), 0);
        assert_eq!(sa.counts(), (1, 0));
    }

    #[test]
    fn a_port_that_is_down_joins_nothing() {
        let f = FakeFabric::new();
        let mut sa = Sa::new(&f).unwrap();
        let bc = ipoib_broadcast_mgid(0xffff);
        join(&mut sa, &f, bc, 1, JoinState::Full);
        // Port 1 goes down: the SM forgets it, and a join still on its way is refused.
        f.down.set(1 << 1);
        assert_eq!(sa.forget_port(&f, 0x12), 1);
        assert_eq!(
            join(&mut sa, &f, bc, 1, JoinState::SendOnlyFull).status(),
            STATUS_REQ_INVALID
        );
        assert_eq!(sa.counts(), (1, 0));
        // Back up, it joins again.
        f.down.set(0);
        assert_eq!(join(&mut sa, &f, bc, 1, JoinState::Full).status(), 0);
        assert_eq!(sa.counts(), (1, 1));
    }

    #[test]
    fn paths_and_class_port_info() {
        let f = FakeFabric::new();
        let mut sa = Sa::new(&f).unwrap();
        let mut d = [0u8; 64];
        d[8..24].copy_from_slice(&port_gid(2).0);
        d[24..40].copy_from_slice(&port_gid(0).0);
        let m = request(METHOD_GET, ATTR_PATH_REC, (1 << 2) | (1 << 3), &d);
        let resp = ask(&mut sa, &f, &m).unwrap();
        assert_eq!(resp.status(), 0);
        let p = &resp.0[SA_DATA..SA_DATA + 64];
        assert_eq!(p[8..24], port_gid(2).0);
        assert_eq!(p[24..40], port_gid(0).0);
        assert_eq!((p[40], p[41], p[42], p[43]), (0, 3, 0, 1));
        assert_eq!((p[50], p[51], p[54] & 0x3f), (0xff, 0xff, FABRIC_MTU));
        // A P_Key only port 2 has: no path from port 0.
        let m = request(
            METHOD_GET,
            ATTR_PATH_REC,
            (1 << 2) | (1 << 3) | (1 << 13),
            &{
                let mut d = d;
                d[50..52].copy_from_slice(&0x0002u16.to_be_bytes());
                d
            },
        );
        assert_eq!(ask(&mut sa, &f, &m).unwrap().status(), STATUS_NO_RECORDS);
        // An unknown destination.
        d[8..24].copy_from_slice(&Gid::from_parts(SUBNET_PREFIX, 0x99).0);
        let m = request(METHOD_GET, ATTR_PATH_REC, (1 << 2) | (1 << 3), &d);
        assert_eq!(ask(&mut sa, &f, &m).unwrap().status(), STATUS_NO_RECORDS);
        let resp = ask(
            &mut sa,
            &f,
            &request(METHOD_GET, ATTR_CLASS_PORT_INFO, 0, &[]),
        )
        .unwrap();
        assert_eq!(resp.status(), 0);
        assert_eq!((resp.0[SA_DATA], resp.0[SA_DATA + 1]), (1, CLASS_VERSION));
        let cap2 = u32::from_be_bytes([
            resp.0[SA_DATA + 4],
            resp.0[SA_DATA + 5],
            resp.0[SA_DATA + 6],
            resp.0[SA_DATA + 7],
        ]) >> 5;
        assert_eq!(cap2 & (1 << 12), 1 << 12);
    }

    #[test]
    fn service_records_by_set_get_table_and_delete() -> Result {
        let f = FakeFabric::new();
        let mut sa = Sa::new(&f)?;
        let key = 0b111;
        let on = |port: u32, name: &[u8]| ServiceRec::new(0x10, &port_gid(port), 0xffff, name);
        let svc = |method: u8, comps: u64, rec: &ServiceRec| {
            request(method, ATTR_SERVICE_REC, comps, &rec.0)
        };
        // A GID of no port of the fabric.
        let stranger = ServiceRec::new(0x10, &Gid::from_parts(SUBNET_PREFIX, 0x99), 0xffff, b"")?;
        let r = sa.handle(&f, &svc(METHOD_SET, key, &stranger), 1).unwrap();
        assert_eq!(r.mad.status(), STATUS_INVALID_GID);
        for port in [1, 2] {
            let r = sa
                .handle(&f, &svc(METHOD_SET, key, &on(port, b"rs")?), 1)
                .unwrap();
            assert_eq!(r.mad.status(), 0);
            assert_eq!(r.mad.method(), METHOD_GET | METHOD_RESP);
            assert!(r.table.is_none());
            assert_eq!(
                ServiceRec::from_bytes(&r.mad.0[SA_DATA..]).gid(),
                port_gid(port)
            );
        }
        // By ID: both, RMPP segmented after a header whose attribute offset is 22 words.
        let r = sa
            .handle(&f, &svc(METHOD_GET_TABLE, 1, &on(0, b"")?), 1)
            .unwrap();
        assert_eq!(r.mad.status(), 0);
        assert_eq!(r.mad.method(), METHOD_GET_TABLE | METHOD_RESP);
        assert_eq!(r.mad.0[SA_ATTR_OFFSET..SA_ATTR_OFFSET + 2], [0, 22]);
        let table = r.table.unwrap();
        assert_eq!(table.len(), 2 * SERVICE_REC_SIZE);
        assert_eq!(
            ServiceRec::from_bytes(&table[SERVICE_REC_SIZE..]).gid(),
            port_gid(2)
        );
        // GET wants one; by name and GID there is one.
        let r = sa.handle(&f, &svc(METHOD_GET, 1, &on(0, b"")?), 1).unwrap();
        assert_eq!(r.mad.status(), STATUS_TOO_MANY_RECORDS);
        let r = sa
            .handle(&f, &svc(METHOD_GET, 0b10 | (1 << 6), &on(2, b"rs")?), 1)
            .unwrap();
        assert_eq!(r.mad.status(), 0);
        // No match: an empty table, not an error.
        let r = sa
            .handle(&f, &svc(METHOD_GET_TABLE, 1 << 6, &on(0, b"none")?), 1)
            .unwrap();
        assert_eq!((r.mad.status(), r.table.map(|t| t.len())), (0, Some(0)));
        // DELETE needs the key; then the record is gone.
        let r = sa
            .handle(&f, &svc(METHOD_DELETE, 1, &on(1, b"")?), 1)
            .unwrap();
        assert_eq!(r.mad.status(), STATUS_INSUFFICIENT_COMPONENTS);
        let r = sa
            .handle(&f, &svc(METHOD_DELETE, key, &on(1, b"")?), 1)
            .unwrap();
        assert_eq!(
            (r.mad.status(), r.mad.method()),
            (0, METHOD_DELETE | METHOD_RESP)
        );
        let r = sa
            .handle(&f, &svc(METHOD_GET_TABLE, 1, &on(0, b"")?), 1)
            .unwrap();
        assert_eq!(r.table.map(|t| t.len()), Some(SERVICE_REC_SIZE));
        Ok(())
    }
}
