// SPDX-License-Identifier: GPL-2.0

//! Subnet administration (SA) multicast member records and joins.
//!
//! C header: [`include/rdma/ib_sa.h`](srctree/include/rdma/ib_sa.h).

use super::{device::Device, gid::Gid};
use crate::{
    bindings,
    error::{to_result, Result},
    ffi::{c_int, c_void},
    types::Opaque,
};

/// The `JoinState` bits of an MCMemberRecord (`enum ib_sa_mc_join_states` as bits).
pub mod join_state {
    /// Full member.
    pub const FULL: u8 = 1 << 0;
    /// Non-member.
    pub const NON: u8 = 1 << 1;
    /// Send-only non-member.
    pub const SENDONLY_NON: u8 = 1 << 2;
    /// Send-only full member.
    pub const SENDONLY_FULL: u8 = 1 << 3;
    /// How many join states there are (`NUM_JOIN_MEMBERSHIP_TYPES`).
    pub const COUNT: usize = 4;
}

/// A component mask of an SA query (`ib_sa_comp_mask`: a big-endian 64-bit mask).
#[derive(Clone, Copy, PartialEq, Eq, Default, Debug)]
pub struct CompMask(u64);

impl CompMask {
    /// Component `n` (`IB_SA_COMP_MASK(n)`).
    pub const fn bit(n: u32) -> Self {
        Self((1u64 << n).to_be())
    }

    /// The mask as C stores it.
    pub const fn from_raw(raw: u64) -> Self {
        Self(raw)
    }

    /// The mask as C stores it.
    pub const fn raw(self) -> u64 {
        self.0
    }

    /// Whether every component of `other` is in `self`.
    pub const fn has(self, other: Self) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }
}

impl core::ops::BitOr for CompMask {
    type Output = Self;

    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

/// The MCMemberRecord components (`IB_SA_MCMEMBER_REC_*`).
pub mod mcmember {
    use super::CompMask;

    /// `MGID`.
    pub const MGID: CompMask = CompMask::bit(0);
    /// `PortGID`.
    pub const PORT_GID: CompMask = CompMask::bit(1);
    /// `Q_Key`.
    pub const QKEY: CompMask = CompMask::bit(2);
    /// `MLID`.
    pub const MLID: CompMask = CompMask::bit(3);
    /// `MTUSelector`.
    pub const MTU_SELECTOR: CompMask = CompMask::bit(4);
    /// `MTU`.
    pub const MTU: CompMask = CompMask::bit(5);
    /// `TClass`.
    pub const TRAFFIC_CLASS: CompMask = CompMask::bit(6);
    /// `P_Key`.
    pub const PKEY: CompMask = CompMask::bit(7);
    /// `RateSelector`.
    pub const RATE_SELECTOR: CompMask = CompMask::bit(8);
    /// `Rate`.
    pub const RATE: CompMask = CompMask::bit(9);
    /// `PacketLifeTimeSelector`.
    pub const PACKET_LIFE_TIME_SELECTOR: CompMask = CompMask::bit(10);
    /// `PacketLifeTime`.
    pub const PACKET_LIFE_TIME: CompMask = CompMask::bit(11);
    /// `SL`.
    pub const SL: CompMask = CompMask::bit(12);
    /// `FlowLabel`.
    pub const FLOW_LABEL: CompMask = CompMask::bit(13);
    /// `HopLimit`.
    pub const HOP_LIMIT: CompMask = CompMask::bit(14);
    /// `Scope`.
    pub const SCOPE: CompMask = CompMask::bit(15);
    /// `JoinState`.
    pub const JOIN_STATE: CompMask = CompMask::bit(16);
    /// `ProxyJoin`.
    pub const PROXY_JOIN: CompMask = CompMask::bit(17);
}

/// The selectors of MTU, rate and packet lifetime (`IB_SA_GT`, `IB_SA_LT`, `IB_SA_EQ`).
pub mod selector {
    /// Greater than.
    pub const GT: u8 = 0;
    /// Less than.
    pub const LT: u8 = 1;
    /// Equal.
    pub const EQ: u8 = 2;
}

/// SA methods used with MCMemberRecords.
pub mod method {
    /// `IB_MGMT_METHOD_SET`: join.
    pub const SET: u8 = 0x02;
    /// `IB_SA_METHOD_DELETE`: leave.
    pub const DELETE: u8 = 0x15;
}

/// An MCMemberRecord (`struct ib_sa_mcmember_rec`): plain data, fields in wire byte order
/// where C has them so (`qkey`, `mlid`, `pkey`, `flow_label`).
#[repr(transparent)]
#[derive(Clone, Copy)]
pub struct McMemberRec(pub bindings::ib_sa_mcmember_rec);

impl Default for McMemberRec {
    fn default() -> Self {
        // SAFETY: `struct ib_sa_mcmember_rec` holds integers and byte arrays only; all zeroes
        // is a valid value.
        Self(unsafe { core::mem::zeroed() })
    }
}

impl McMemberRec {
    /// A record with `mgid` and every other field zero.
    pub fn with_mgid(mgid: Gid) -> Self {
        let mut r = Self::default();
        r.0.mgid = mgid.to_raw();
        r
    }

    /// The multicast GID.
    pub fn mgid(&self) -> Gid {
        Gid::from_raw(&self.0.mgid)
    }

    /// Sets the multicast GID.
    pub fn set_mgid(&mut self, mgid: Gid) {
        self.0.mgid = mgid.to_raw();
    }

    /// The port GID.
    pub fn port_gid(&self) -> Gid {
        Gid::from_raw(&self.0.port_gid)
    }

    /// The join state bits ([`join_state`]).
    pub fn join_state(&self) -> u8 {
        self.0.join_state
    }

    /// Sets the join state bits.
    pub fn set_join_state(&mut self, js: u8) {
        self.0.join_state = js;
    }

    /// The P_Key, host byte order.
    pub fn pkey(&self) -> u16 {
        u16::from_be(self.0.pkey)
    }

    /// The MLID, host byte order.
    pub fn mlid(&self) -> u16 {
        u16::from_be(self.0.mlid)
    }

    /// The Q_Key, host byte order.
    pub fn qkey(&self) -> u32 {
        u32::from_be(self.0.qkey)
    }
}

/// The callback of a multicast join (`ib_sa_multicast.callback`).
pub type McastCallback =
    unsafe extern "C" fn(status: c_int, multicast: *mut bindings::ib_sa_multicast) -> c_int;

/// The `struct ib_sa_multicast` that a join hands to its user.
///
/// The user gets a pointer to it from `ib_sa_join_multicast()`, sees it in its callback and
/// gives it back to `ib_sa_free_multicast()`; the implementation embeds it in its own member
/// object.
///
/// # Invariants
///
/// `callback`, if set, may be called with a pointer to this struct and any status while the
/// struct exists; `comp_mask`, `callback` and `context` do not change after creation.
#[repr(transparent)]
pub struct SaMulticast(Opaque<bindings::ib_sa_multicast>);

// SAFETY: The struct is handed between threads by design; the callback is called from any
// thread in C too, and the record is only written under the rules of `set_rec()`.
unsafe impl Send for SaMulticast {}
// SAFETY: See `Send`; `&self` methods read immutable fields or follow `set_rec()`'s rules.
unsafe impl Sync for SaMulticast {}

impl SaMulticast {
    /// A multicast with the requested record `rec` and `comp_mask`, for `callback` and
    /// `context`.
    ///
    /// # Safety
    ///
    /// `callback`, if set, must be safe to call with a pointer to the created struct and any
    /// status until the struct is dropped.
    pub unsafe fn new(
        rec: &McMemberRec,
        comp_mask: CompMask,
        callback: Option<McastCallback>,
        context: *mut c_void,
    ) -> Self {
        // INVARIANT: The caller guarantees the callback; nothing below changes the fields but
        // `set_rec()`, which only writes `rec`.
        Self(Opaque::new(bindings::ib_sa_multicast {
            rec: rec.0,
            comp_mask: comp_mask.raw(),
            callback,
            context,
        }))
    }

    /// The pointer C users see.
    pub fn as_raw(&self) -> *mut bindings::ib_sa_multicast {
        self.0.get()
    }

    /// Recovers the multicast from the pointer C users see.
    ///
    /// # Safety
    ///
    /// `ptr` must come from [`SaMulticast::as_raw`] of a multicast that outlives `'a`.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::ib_sa_multicast) -> &'a Self {
        // SAFETY: `SaMulticast` is a transparent wrapper of the pointee, which the caller
        // guarantees to be alive for `'a`.
        unsafe { &*ptr.cast::<Self>() }
    }

    /// The user's context pointer.
    pub fn context(&self) -> *mut c_void {
        // SAFETY: `context` does not change after creation (type invariant).
        unsafe { (*self.0.get()).context }
    }

    /// Publishes `rec` as the record the user reads in its callback.
    ///
    /// # Safety
    ///
    /// Nobody may read or write the record concurrently: the implementation writes it only
    /// from the one context that then calls the callback, and users read it only in or after
    /// their callback.
    pub unsafe fn set_rec(&self, rec: &McMemberRec) {
        // SAFETY: The caller guarantees exclusive access to the field.
        unsafe { (*self.0.get()).rec = rec.0 };
    }

    /// Calls the user's callback with `status` (0 or a negative errno); returns what it
    /// returns (non-zero: the user wants the multicast freed). No callback returns 0.
    pub fn call(&self, status: c_int) -> c_int {
        // SAFETY: `callback` does not change after creation (type invariant).
        let cb = unsafe { (*self.0.get()).callback };
        match cb {
            // SAFETY: By the type invariant the callback may be called with this struct.
            Some(f) => unsafe { f(status, self.0.get()) },
            None => 0,
        }
    }
}

/// The record of group `mgid` as port `port` of `dev` has joined it
/// (`ib_sa_get_mcmember_rec()`): `ENODEV` for a port without an SA (RoCE, iWARP),
/// `EADDRNOTAVAIL` if the port is not a member.
#[inline]
pub fn mcmember_rec(dev: &Device, port: u32, mgid: &Gid) -> Result<McMemberRec> {
    let mut raw = mgid.to_raw();
    let mut rec = McMemberRec::default();
    // SAFETY: `dev` is a valid device; `raw` and `rec` are valid for the call.
    to_result(unsafe {
        bindings::ib_sa_get_mcmember_rec(dev.as_raw(), port, &mut raw, &mut rec.0)
    })?;
    Ok(rec)
}
