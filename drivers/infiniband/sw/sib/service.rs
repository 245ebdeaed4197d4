// SPDX-License-Identifier: GPL-2.0

//! The SA's service records (ServiceRecord, IBA 15.2.5.14): what a port registers so that
//! others find it by service ID or name. rdma_cm's `RESOLVE_IB_SERVICE` asks for them with a
//! GET_TABLE (`ib_sa_service_rec_get()`), which the SA answers with every match, RMPP
//! segmented.
//!
//! A record is keyed by its service ID, GID and P_Key, the components a SET and a DELETE must
//! have (as OpenSM). Simplifications: leases do not run out (the SA keeps a record until it is
//! deleted), ServiceKeys are not checked, and a query is answered with the matching records of
//! every partition, not only those the requester shares with the service.

use crate::sa::{
    STATUS_INSUFFICIENT_COMPONENTS,
    STATUS_NO_RECORDS,
    STATUS_NO_RESOURCES,
    STATUS_TOO_MANY_RECORDS, //
};
use core::{
    fmt,
    ops::Range, //
};
use kernel::{
    prelude::*,
    rdma::Gid, //
};

/// The outcome of a request: the SA's status for an error.
type Status<T> = core::result::Result<T, u16>;

/// The size of a ServiceRecord on the wire.
pub(crate) const SERVICE_REC_SIZE: usize = 176;

/// The size of the service name.
const NAME_SIZE: usize = 64;

/// The components that name a record (ServiceID, ServiceGID, ServiceP_Key).
pub(crate) const KEY_COMPS: u64 = 0b111;

/// The number of components of a ServiceRecord's mask.
const COMPONENTS: u32 = 37;

/// The records the SA keeps at most.
const RECORDS_MAX: usize = 256;

/// The lease of a record the SA keeps until it is deleted.
const LEASE_INDEFINITE: u32 = 0xffff_ffff;

/// The bytes of the field that component `bit` of a ServiceRecord's mask selects: the ID, GID,
/// P_Key, reserved, lease, key and name, then each byte of ServiceData8, each 16-bit word of
/// ServiceData16, each 32-bit word of ServiceData32 and each 64-bit word of ServiceData64.
fn component(bit: u32) -> Option<Range<usize>> {
    let (start, len) = match bit {
        0 => (0, 8),
        1 => (8, 16),
        2 => (24, 2),
        3 => (26, 2),
        4 => (28, 4),
        5 => (32, 16),
        6 => (48, NAME_SIZE),
        7..=22 => (112 + (bit - 7) as usize, 1),
        23..=30 => (128 + 2 * (bit - 23) as usize, 2),
        31..=34 => (144 + 4 * (bit - 31) as usize, 4),
        35..=36 => (160 + 8 * (bit - 35) as usize, 8),
        _ => return None,
    };
    Some(start..start + len)
}

/// A ServiceRecord, in wire (big-endian) order.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct ServiceRec(pub(crate) [u8; SERVICE_REC_SIZE]);

impl Default for ServiceRec {
    fn default() -> Self {
        Self([0; SERVICE_REC_SIZE])
    }
}

impl ServiceRec {
    /// A record of service `id` named `name` (at most 64 bytes, the rest zero) offered by the
    /// port of `gid` in partition `pkey`, leased until deleted.
    pub(crate) fn new(id: u64, gid: &Gid, pkey: u16, name: &[u8]) -> Result<Self> {
        if name.len() > NAME_SIZE {
            return Err(EINVAL);
        }
        let mut rec = Self::default();
        rec.0[0..8].copy_from_slice(&id.to_be_bytes());
        rec.0[8..24].copy_from_slice(&gid.0);
        rec.0[24..26].copy_from_slice(&pkey.to_be_bytes());
        rec.0[28..32].copy_from_slice(&LEASE_INDEFINITE.to_be_bytes());
        rec.0[48..48 + name.len()].copy_from_slice(name);
        Ok(rec)
    }

    /// The record at the start of `bytes` (zero where `bytes` is shorter).
    pub(crate) fn from_bytes(bytes: &[u8]) -> Self {
        let mut rec = Self::default();
        let n = bytes.len().min(SERVICE_REC_SIZE);
        rec.0[..n].copy_from_slice(&bytes[..n]);
        rec
    }

    /// The service ID.
    pub(crate) fn id(&self) -> u64 {
        let mut id = [0u8; 8];
        id.copy_from_slice(&self.0[0..8]);
        u64::from_be_bytes(id)
    }

    /// The GID of the port that offers the service.
    pub(crate) fn gid(&self) -> Gid {
        let mut gid = Gid::ZERO;
        gid.0.copy_from_slice(&self.0[8..24]);
        gid
    }

    /// The partition the service is offered in.
    pub(crate) fn pkey(&self) -> u16 {
        u16::from_be_bytes([self.0[24], self.0[25]])
    }

    /// The service name, up to its first NUL.
    pub(crate) fn name(&self) -> &[u8] {
        until_nul(&self.0[48..48 + NAME_SIZE])
    }

    /// Whether this record has the fields of `query` that `comps` selects.
    fn matches(&self, comps: u64, query: &ServiceRec) -> bool {
        (0..COMPONENTS)
            .filter(|&bit| comps & (1 << bit) != 0)
            .filter_map(component)
            .all(|r| self.0[r.clone()] == query.0[r])
    }
}

/// `id=<id> gid=<gid> pkey=<pkey> name=<name>`, the name's bytes that are not printable ASCII
/// as `\xNN`.
impl fmt::Display for ServiceRec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "id={:#018x} gid={:?} pkey={:#06x} name=",
            self.id(),
            self.gid(),
            self.pkey()
        )?;
        write_name(f, self.name())
    }
}

/// The bytes of a NUL-padded name before its first NUL.
pub(crate) fn until_nul(name: &[u8]) -> &[u8] {
    let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
    &name[..end]
}

/// Writes a service name, its bytes that are not printable ASCII as `\\xNN`.
pub(crate) fn write_name(f: &mut fmt::Formatter<'_>, name: &[u8]) -> fmt::Result {
    for &b in name {
        if b.is_ascii_graphic() {
            write!(f, "{}", b as char)?;
        } else {
            write!(f, "\\x{b:02x}")?;
        }
    }
    Ok(())
}

/// The service records the SA keeps, in the order they were registered.
pub(crate) struct Services {
    records: KVec<ServiceRec>,
}

impl Services {
    /// No record.
    pub(crate) fn new() -> Self {
        Self {
            records: KVec::new(),
        }
    }

    /// The position of the record with the ID, GID and P_Key of `rec`, which `comps` must
    /// select (as a SET and a DELETE must).
    fn position_of(&self, comps: u64, rec: &ServiceRec) -> Status<Option<usize>> {
        if comps & KEY_COMPS != KEY_COMPS {
            return Err(STATUS_INSUFFICIENT_COMPONENTS);
        }
        Ok(self.records.iter().position(|r| r.matches(KEY_COMPS, rec)))
    }

    /// SET: registers `rec`, or replaces the record with its ID, GID and P_Key; the record as
    /// the SA keeps it (leased until deleted).
    pub(crate) fn set(&mut self, comps: u64, rec: &ServiceRec) -> Status<ServiceRec> {
        let mut kept = *rec;
        kept.0[26..28].fill(0);
        kept.0[28..32].copy_from_slice(&LEASE_INDEFINITE.to_be_bytes());
        match self.position_of(comps, rec)? {
            Some(i) => self.records[i] = kept,
            None if self.records.len() >= RECORDS_MAX => return Err(STATUS_NO_RESOURCES),
            None => self
                .records
                .push(kept, GFP_KERNEL)
                .map_err(|_| STATUS_NO_RESOURCES)?,
        }
        Ok(kept)
    }

    /// DELETE: removes the record with the ID, GID and P_Key of `rec`; the record removed.
    pub(crate) fn delete(&mut self, comps: u64, rec: &ServiceRec) -> Status<ServiceRec> {
        let i = self.position_of(comps, rec)?.ok_or(STATUS_NO_RECORDS)?;
        self.records.remove(i).map_err(|_| STATUS_NO_RECORDS)
    }

    /// GET: the one record with the fields of `query` that `comps` selects.
    pub(crate) fn get(&self, comps: u64, query: &ServiceRec) -> Status<ServiceRec> {
        let mut found = self.records.iter().filter(|r| r.matches(comps, query));
        let rec = found.next().ok_or(STATUS_NO_RECORDS)?;
        if found.next().is_some() {
            return Err(STATUS_TOO_MANY_RECORDS);
        }
        Ok(*rec)
    }

    /// GET_TABLE: every record with the fields of `query` that `comps` selects, one after the
    /// other; none is an empty table.
    pub(crate) fn table(&self, comps: u64, query: &ServiceRec) -> Status<KVVec<u8>> {
        let mut out = KVVec::new();
        for r in self.records.iter().filter(|r| r.matches(comps, query)) {
            out.extend_from_slice(&r.0, GFP_KERNEL)
                .map_err(|_| STATUS_NO_RESOURCES)?;
        }
        Ok(out)
    }

    /// Removes the records of service `id` offered by the port of `gid`; the number removed.
    pub(crate) fn remove(&mut self, id: u64, gid: &Gid) -> usize {
        let before = self.records.len();
        self.records.retain(|r| r.id() != id || r.gid() != *gid);
        before - self.records.len()
    }
}

/// One record per line.
impl fmt::Display for Services {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in self.records.iter() {
            writeln!(f, "{r}")?;
        }
        Ok(())
    }
}

#[kunit_tests(rdma_sib_service)]
mod tests {
    use super::*;
    use crate::sa::SUBNET_PREFIX;

    const ID: u64 = 0x1000_0000_0000_0001;
    const ALL: u64 = (1 << COMPONENTS) - 1;

    fn gid(i: u8) -> Gid {
        Gid::from_parts(SUBNET_PREFIX, 0x11 + u64::from(i))
    }

    #[test]
    fn components_cover_the_record_once() {
        let mut seen = [0u8; SERVICE_REC_SIZE];
        for bit in 0..COMPONENTS {
            for i in component(bit).unwrap() {
                seen[i] += 1;
            }
        }
        assert!(seen.iter().all(|&n| n == 1));
        assert!(component(COMPONENTS).is_none());
    }

    #[test]
    fn set_get_table_delete() -> Result {
        let mut s = Services::new();
        let a = ServiceRec::new(ID, &gid(1), 0xffff, b"rs-echo")?;
        let b = ServiceRec::new(ID, &gid(2), 0xffff, b"rs-echo")?;
        let c = ServiceRec::new(ID + 1, &gid(2), 0xffff, b"rs-other")?;
        // The key, or the SET is refused.
        assert_eq!(s.set(0b011, &a), Err(STATUS_INSUFFICIENT_COMPONENTS));
        for r in [&a, &b, &c] {
            assert_eq!(s.set(KEY_COMPS | (1 << 6), r), Ok(*r));
        }
        // Again: replaced, not added.
        let a2 = ServiceRec::new(ID, &gid(1), 0xffff, b"rs-echo-2")?;
        s.set(KEY_COMPS, &a2).unwrap();
        assert_eq!(s.records.len(), 3);

        // By ID: two records; GET wants one.
        let by_id = ServiceRec::new(ID, &Gid::ZERO, 0, b"")?;
        assert_eq!(s.table(1, &by_id).unwrap().len(), 2 * SERVICE_REC_SIZE);
        assert_eq!(s.get(1, &by_id), Err(STATUS_TOO_MANY_RECORDS));
        // By name: the name's 64 bytes, NULs included.
        let by_name = ServiceRec::new(0, &Gid::ZERO, 0, b"rs-other")?;
        let t = s.table(1 << 6, &by_name).unwrap();
        assert_eq!(ServiceRec::from_bytes(&t), c);
        assert_eq!(s.get(1 << 6, &by_name), Ok(c));
        let prefix = ServiceRec::new(0, &Gid::ZERO, 0, b"rs-")?;
        assert_eq!(s.table(1 << 6, &prefix).unwrap().len(), 0);
        assert_eq!(s.get(1 << 6, &prefix), Err(STATUS_NO_RECORDS));
        // No component: every record.
        assert_eq!(s.table(0, &by_id).unwrap().len(), 3 * SERVICE_REC_SIZE);
        // Every component of a kept record: that record.
        let kept = s.get(1 << 6, &by_name).unwrap();
        assert_eq!(s.get(ALL, &kept), Ok(c));

        assert_eq!(s.delete(1, &a), Err(STATUS_INSUFFICIENT_COMPONENTS));
        assert_eq!(s.delete(KEY_COMPS, &a).map(|r| r.name().len()), Ok(9));
        assert_eq!(s.delete(KEY_COMPS, &a), Err(STATUS_NO_RECORDS));
        assert_eq!(s.remove(ID, &gid(2)), 1);
        assert_eq!(s.records.len(), 1);
        Ok(())
    }

    #[test]
    fn records_have_the_wire_layout_of_the_iba() -> Result {
        let r = ServiceRec::new(ID, &gid(3), 0x8001, b"x\x01")?;
        assert_eq!(&r.0[0..8], &ID.to_be_bytes());
        assert_eq!(&r.0[8..24], &gid(3).0);
        assert_eq!(&r.0[24..26], &[0x80, 0x01]);
        assert_eq!(&r.0[28..32], &[0xff; 4]);
        assert_eq!(&r.0[48..51], b"x\x01\0");
        assert_eq!(r.name(), b"x\x01");
        assert!(ServiceRec::new(ID, &gid(3), 0xffff, &[b'n'; 65]).is_err());
        let mut s = Services::new();
        for i in 0..RECORDS_MAX as u64 {
            s.set(KEY_COMPS, &ServiceRec::new(i, &gid(1), 0xffff, b"")?)
                .unwrap();
        }
        let one_more = ServiceRec::new(RECORDS_MAX as u64, &gid(1), 0xffff, b"")?;
        assert_eq!(s.set(KEY_COMPS, &one_more), Err(STATUS_NO_RESOURCES));
        Ok(())
    }
}
