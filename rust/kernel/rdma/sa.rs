// SPDX-License-Identifier: GPL-2.0

//! Subnet administration (SA): multicast member records, their component masks and join
//! states, SA clients, and multicast joins through ib_core's SA multicast code.
//!
//! - [`McMemberRec`]: an MCMemberRecord (`struct ib_sa_mcmember_rec`) with typed accessors;
//! - [`McMemberComps`]: which of its components a query or join sets;
//! - [`JoinStates`]: the JoinState bits (full, non, send-only non, send-only full member);
//! - [`SaMulticast`]: the `struct ib_sa_multicast` that an implementation of
//!   `ib_sa_join_multicast()` hands to its users;
//! - [`SaClient`], [`SaClientRegistration`]: `struct ib_sa_client`;
//! - [`SaJoin`] and [`JoinHandler`]: a consumer's join of a group (`ib_sa_join_multicast()`,
//!   `ib_sa_free_multicast()`), whose answer reaches its handler.
//!
//! C header: [`include/rdma/ib_sa.h`](srctree/include/rdma/ib_sa.h).

use super::{
    device::RegisteredDevice,
    gid::Gid, //
};
use crate::{
    alloc::Flags,
    bindings,
    error::{
        from_err_ptr,
        to_result,
        Result, //
    },
    ffi::{
        c_int,
        c_void, //
    },
    impl_flags,
    prelude::*,
    sync::{
        Arc,
        ArcBorrow, //
    },
    types::Opaque, //
};
use core::ptr::NonNull;

impl_flags!(
    /// A set of MCMemberRecord `JoinState` bits (`BIT(FULLMEMBER_JOIN)` ...).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct JoinStates(u8);

    /// One MCMemberRecord join state (`enum ib_sa_mc_join_states`, as a bit).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum JoinState {
        /// Full member.
        Full = 1 << bindings::ib_sa_mc_join_states_FULLMEMBER_JOIN,
        /// Non-member.
        Non = 1 << bindings::ib_sa_mc_join_states_NONMEMBER_JOIN,
        /// Send-only non-member.
        SendOnlyNon = 1 << bindings::ib_sa_mc_join_states_SENDONLY_NONMEBER_JOIN,
        /// Send-only full member.
        SendOnlyFull = 1 << bindings::ib_sa_mc_join_states_SENDONLY_FULLMEMBER_JOIN,
    }
);

impl JoinStates {
    /// How many join states there are (`NUM_JOIN_MEMBERSHIP_TYPES`).
    pub const COUNT: usize = 4;

    /// The states as the record's `JoinState` byte holds them (unknown bits kept).
    pub const fn from_raw(raw: u8) -> Self {
        Self(raw)
    }

    /// The record's `JoinState` byte.
    pub const fn as_raw(self) -> u8 {
        self.0
    }

    /// Whether the set holds no state.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether state number `i` (bit `i`, `0..COUNT`) is in the set.
    pub const fn has_index(self, i: usize) -> bool {
        i < Self::COUNT && self.0 & (1 << i) != 0
    }
}

/// An SA method (`IB_MGMT_METHOD_*`, `IB_SA_METHOD_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum SaMethod {
    /// `IB_MGMT_METHOD_GET`.
    Get = bindings::IB_MGMT_METHOD_GET as u8,
    /// `IB_MGMT_METHOD_SET`: for an MCMemberRecord, a join.
    Set = bindings::IB_MGMT_METHOD_SET as u8,
    /// `IB_MGMT_METHOD_GET_RESP`.
    GetResp = bindings::IB_MGMT_METHOD_GET_RESP as u8,
    /// `IB_SA_METHOD_GET_TABLE`.
    GetTable = bindings::IB_SA_METHOD_GET_TABLE as u8,
    /// `IB_SA_METHOD_GET_TABLE_RESP`.
    GetTableResp = bindings::IB_SA_METHOD_GET_TABLE_RESP as u8,
    /// `IB_SA_METHOD_DELETE`: for an MCMemberRecord, a leave.
    Delete = bindings::IB_SA_METHOD_DELETE as u8,
    /// `IB_SA_METHOD_DELETE_RESP`.
    DeleteResp = bindings::IB_SA_METHOD_DELETE_RESP as u8,
}

impl SaMethod {
    /// Converts the C value; `None` for a method not listed here.
    pub fn from_raw(raw: u8) -> Option<Self> {
        [
            Self::Get,
            Self::Set,
            Self::GetResp,
            Self::GetTable,
            Self::GetTableResp,
            Self::Delete,
            Self::DeleteResp,
        ]
        .into_iter()
        .find(|m| *m as u8 == raw)
    }
}

impl_flags!(
    /// The components of an MCMemberRecord that a query or join sets (`IB_SA_MCMEMBER_REC_*`),
    /// in host order; C's `ib_sa_comp_mask` is the big-endian form ([`McMemberComps::to_be`]).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct McMemberComps(u64);

    /// One MCMemberRecord component.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum McMemberComp {
        /// `MGID`.
        Mgid = 1 << 0,
        /// `PortGID`.
        PortGid = 1 << 1,
        /// `Q_Key`.
        Qkey = 1 << 2,
        /// `MLID`.
        Mlid = 1 << 3,
        /// `MTUSelector`.
        MtuSelector = 1 << 4,
        /// `MTU`.
        Mtu = 1 << 5,
        /// `TClass`.
        TrafficClass = 1 << 6,
        /// `P_Key`.
        Pkey = 1 << 7,
        /// `RateSelector`.
        RateSelector = 1 << 8,
        /// `Rate`.
        Rate = 1 << 9,
        /// `PacketLifeTimeSelector`.
        PacketLifeTimeSelector = 1 << 10,
        /// `PacketLifeTime`.
        PacketLifeTime = 1 << 11,
        /// `SL`.
        Sl = 1 << 12,
        /// `FlowLabel`.
        FlowLabel = 1 << 13,
        /// `HopLimit`.
        HopLimit = 1 << 14,
        /// `Scope`.
        Scope = 1 << 15,
        /// `JoinState`.
        JoinState = 1 << 16,
        /// `ProxyJoin`.
        ProxyJoin = 1 << 17,
    }
);

impl McMemberComps {
    /// The mask from C's big-endian `ib_sa_comp_mask`; unknown bits are kept.
    pub const fn from_be(raw: u64) -> Self {
        Self(u64::from_be(raw))
    }

    /// C's big-endian `ib_sa_comp_mask`.
    pub const fn to_be(self) -> u64 {
        self.0.to_be()
    }
}

/// The selector of a selector-qualified component (MTU, rate, packet lifetime): how the
/// group's value must compare with the requested one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selector {
    /// `IB_SA_GT`: greater than.
    Gt,
    /// `IB_SA_LT`: less than.
    Lt,
    /// `IB_SA_EQ`: equal.
    Eq,
    /// Any other value (`IB_SA_BEST` and reserved): no constraint.
    Other(u8),
}

impl Selector {
    /// Converts the record's 2-bit value.
    pub fn from_raw(raw: u8) -> Self {
        match u32::from(raw) {
            bindings::ib_sa_selector_IB_SA_GT => Self::Gt,
            bindings::ib_sa_selector_IB_SA_LT => Self::Lt,
            bindings::ib_sa_selector_IB_SA_EQ => Self::Eq,
            _ => Self::Other(raw),
        }
    }

    /// The record's value.
    pub fn as_raw(self) -> u8 {
        match self {
            Self::Gt => bindings::ib_sa_selector_IB_SA_GT as u8,
            Self::Lt => bindings::ib_sa_selector_IB_SA_LT as u8,
            Self::Eq => bindings::ib_sa_selector_IB_SA_EQ as u8,
            Self::Other(v) => v,
        }
    }

    /// Whether a group's value `have` satisfies a requested `want` under this selector
    /// (`check_selector()` of `multicast.c`).
    pub fn accepts(self, have: u8, want: u8) -> bool {
        match self {
            Self::Gt => have > want,
            Self::Lt => have < want,
            Self::Eq => have == want,
            Self::Other(_) => true,
        }
    }
}

/// Generates a getter and a setter of a byte field of [`McMemberRec`].
macro_rules! byte_field {
    ($(#[$doc:meta])* $get:ident, $set:ident) => {
        $(#[$doc])*
        pub fn $get(&self) -> u8 {
            self.0.$get
        }

        /// Sets the field of the same name.
        pub fn $set(&mut self, v: u8) {
            self.0.$get = v;
        }
    };
}

/// An MCMemberRecord (`struct ib_sa_mcmember_rec`), plain data. The accessors take and give
/// host byte order; C keeps `qkey`, `mlid`, `pkey` and `flow_label` in wire order.
#[repr(transparent)]
#[derive(Clone, Copy)]
pub struct McMemberRec(bindings::ib_sa_mcmember_rec);

impl Default for McMemberRec {
    fn default() -> Self {
        // SAFETY: `struct ib_sa_mcmember_rec` holds integers and byte arrays only; all zeroes
        // is a valid value.
        Self(unsafe { core::mem::zeroed() })
    }
}

impl McMemberRec {
    /// The record C holds.
    pub fn from_raw(raw: bindings::ib_sa_mcmember_rec) -> Self {
        Self(raw)
    }

    /// The record as C holds it.
    pub fn as_raw(&self) -> &bindings::ib_sa_mcmember_rec {
        &self.0
    }

    /// A record with `mgid` and every other field zero.
    pub fn with_mgid(mgid: Gid) -> Self {
        let mut r = Self::default();
        r.set_mgid(mgid);
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

    /// Sets the port GID.
    pub fn set_port_gid(&mut self, gid: Gid) {
        self.0.port_gid = gid.to_raw();
    }

    /// The Q_Key.
    pub fn qkey(&self) -> u32 {
        u32::from_be(self.0.qkey)
    }

    /// Sets the Q_Key.
    pub fn set_qkey(&mut self, qkey: u32) {
        self.0.qkey = qkey.to_be();
    }

    /// The MLID.
    pub fn mlid(&self) -> u16 {
        u16::from_be(self.0.mlid)
    }

    /// Sets the MLID.
    pub fn set_mlid(&mut self, mlid: u16) {
        self.0.mlid = mlid.to_be();
    }

    /// The P_Key.
    pub fn pkey(&self) -> u16 {
        u16::from_be(self.0.pkey)
    }

    /// Sets the P_Key.
    pub fn set_pkey(&mut self, pkey: u16) {
        self.0.pkey = pkey.to_be();
    }

    /// The flow label.
    pub fn flow_label(&self) -> u32 {
        u32::from_be(self.0.flow_label)
    }

    /// Sets the flow label.
    pub fn set_flow_label(&mut self, label: u32) {
        self.0.flow_label = label.to_be();
    }

    /// The join state bits.
    pub fn join_state(&self) -> JoinStates {
        JoinStates::from_raw(self.0.join_state)
    }

    /// Sets the join state bits.
    pub fn set_join_state(&mut self, js: JoinStates) {
        self.0.join_state = js.as_raw();
    }

    /// The MTU selector.
    pub fn mtu_selector(&self) -> Selector {
        Selector::from_raw(self.0.mtu_selector)
    }

    /// Sets the MTU selector.
    pub fn set_mtu_selector(&mut self, s: Selector) {
        self.0.mtu_selector = s.as_raw();
    }

    /// The rate selector.
    pub fn rate_selector(&self) -> Selector {
        Selector::from_raw(self.0.rate_selector)
    }

    /// Sets the rate selector.
    pub fn set_rate_selector(&mut self, s: Selector) {
        self.0.rate_selector = s.as_raw();
    }

    /// The packet lifetime selector.
    pub fn packet_life_time_selector(&self) -> Selector {
        Selector::from_raw(self.0.packet_life_time_selector)
    }

    /// Sets the packet lifetime selector.
    pub fn set_packet_life_time_selector(&mut self, s: Selector) {
        self.0.packet_life_time_selector = s.as_raw();
    }

    byte_field!(
        /// The MTU, an `enum ib_mtu` value.
        mtu,
        set_mtu
    );
    byte_field!(
        /// The traffic class.
        traffic_class,
        set_traffic_class
    );
    byte_field!(
        /// The static rate, an `enum ib_rate` value.
        rate,
        set_rate
    );
    byte_field!(
        /// The packet lifetime.
        packet_life_time,
        set_packet_life_time
    );
    byte_field!(
        /// The service level.
        sl,
        set_sl
    );
    byte_field!(
        /// The hop limit.
        hop_limit,
        set_hop_limit
    );
    byte_field!(
        /// The scope.
        scope,
        set_scope
    );
    byte_field!(
        /// The proxy join bit.
        proxy_join,
        set_proxy_join
    );
}

/// The size of an MCMemberRecord on the wire (IBA 15.2.5.17).
pub const MCMEMBER_REC_WIRE_SIZE: usize = 52;

impl McMemberRec {
    /// Reads a record in its wire format (the attribute data of an SA MAD).
    pub fn from_wire(b: &[u8; MCMEMBER_REC_WIRE_SIZE]) -> Self {
        let mut r = Self::default();
        let mut gid = [0u8; 16];
        gid.copy_from_slice(&b[0..16]);
        r.set_mgid(Gid(gid));
        gid.copy_from_slice(&b[16..32]);
        r.set_port_gid(Gid(gid));
        r.set_qkey(u32::from_be_bytes([b[32], b[33], b[34], b[35]]));
        r.set_mlid(u16::from_be_bytes([b[36], b[37]]));
        r.set_mtu_selector(Selector::from_raw(b[38] >> 6));
        r.set_mtu(b[38] & 0x3f);
        r.set_traffic_class(b[39]);
        r.set_pkey(u16::from_be_bytes([b[40], b[41]]));
        r.set_rate_selector(Selector::from_raw(b[42] >> 6));
        r.set_rate(b[42] & 0x3f);
        r.set_packet_life_time_selector(Selector::from_raw(b[43] >> 6));
        r.set_packet_life_time(b[43] & 0x3f);
        let word = u32::from_be_bytes([b[44], b[45], b[46], b[47]]);
        r.set_sl((word >> 28) as u8);
        r.set_flow_label((word >> 8) & 0xf_ffff);
        r.set_hop_limit(word as u8);
        r.set_scope(b[48] >> 4);
        r.set_join_state(JoinStates::from_raw(b[48] & 0xf));
        r.set_proxy_join(b[49] >> 7);
        r
    }

    /// The record in its wire format.
    pub fn to_wire(&self) -> [u8; MCMEMBER_REC_WIRE_SIZE] {
        let mut b = [0u8; MCMEMBER_REC_WIRE_SIZE];
        b[0..16].copy_from_slice(&self.mgid().0);
        b[16..32].copy_from_slice(&self.port_gid().0);
        b[32..36].copy_from_slice(&self.qkey().to_be_bytes());
        b[36..38].copy_from_slice(&self.mlid().to_be_bytes());
        b[38] = (self.mtu_selector().as_raw() << 6) | (self.mtu() & 0x3f);
        b[39] = self.traffic_class();
        b[40..42].copy_from_slice(&self.pkey().to_be_bytes());
        b[42] = (self.rate_selector().as_raw() << 6) | (self.rate() & 0x3f);
        b[43] = (self.packet_life_time_selector().as_raw() << 6) | (self.packet_life_time() & 0x3f);
        let word = (u32::from(self.sl() & 0xf) << 28)
            | ((self.flow_label() & 0xf_ffff) << 8)
            | u32::from(self.hop_limit());
        b[44..48].copy_from_slice(&word.to_be_bytes());
        b[48] = (self.scope() << 4) | (self.join_state().as_raw() & 0xf);
        b[49] = (self.proxy_join() & 1) << 7;
        b
    }
}

/// The callback of a multicast join (`ib_sa_multicast.callback`).
pub type McastCallback =
    unsafe extern "C" fn(status: c_int, multicast: *mut bindings::ib_sa_multicast) -> c_int;

/// The `struct ib_sa_multicast` that an implementation of `ib_sa_join_multicast()` hands to its
/// user.
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
    /// A multicast with the requested record `rec` and `comp`, for `callback` and `context`.
    ///
    /// # Safety
    ///
    /// `callback`, if set, must be safe to call with a pointer to the created struct and any
    /// status until the struct is dropped.
    pub unsafe fn new(
        rec: &McMemberRec,
        comp: McMemberComps,
        callback: Option<McastCallback>,
        context: *mut c_void,
    ) -> Self {
        // INVARIANT: The caller guarantees the callback; nothing below changes the fields but
        // `set_rec()`, which only writes `rec`.
        Self(Opaque::new(bindings::ib_sa_multicast {
            rec: rec.0,
            comp_mask: comp.to_be(),
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

    /// The components of the record the user asked for.
    pub fn comp(&self) -> McMemberComps {
        // SAFETY: `comp_mask` does not change after creation (type invariant).
        McMemberComps::from_be(unsafe { (*self.0.get()).comp_mask })
    }

    /// The record: the requested one until the implementation publishes another with
    /// [`SaMulticast::set_rec`].
    ///
    /// # Safety
    ///
    /// No [`SaMulticast::set_rec`] of this multicast may run during the call (users only read
    /// the record).
    pub unsafe fn rec(&self) -> McMemberRec {
        // SAFETY: The caller guarantees that nobody writes the field during the read.
        McMemberRec(unsafe { (*self.0.get()).rec })
    }

    /// Publishes `rec` as the record the user reads in its callback.
    ///
    /// # Safety
    ///
    /// Nobody may read or write the record concurrently: the implementation writes it only
    /// from the one context that then calls the callback, and reads it ([`SaMulticast::rec`])
    /// never during such a write; users read it only in or after their callback.
    pub unsafe fn set_rec(&self, rec: &McMemberRec) {
        // SAFETY: The caller guarantees exclusive access to the field.
        unsafe { (*self.0.get()).rec = rec.0 };
    }

    /// Calls the user's callback with `status` (0 or a negative errno); returns what it
    /// returns (non-zero: the user gives its multicast back, and must not use the pointer
    /// again). No callback returns 0.
    ///
    /// # Safety
    ///
    /// The implementation calls it at most once at a time for a multicast, while the user still
    /// owns the multicast (it was not freed and no earlier callback returned non-zero), and
    /// after [`SaMulticast::set_rec`] if the user will read the record.
    pub unsafe fn call(&self, status: c_int) -> c_int {
        // SAFETY: `callback` does not change after creation (type invariant).
        let cb = unsafe { (*self.0.get()).callback };
        match cb {
            // SAFETY: By the type invariant the callback may be called with this struct; the
            // caller guarantees that the user still owns it.
            Some(f) => unsafe { f(status, self.0.get()) },
            None => 0,
        }
    }
}

/// A client of the SA (`struct ib_sa_client`), registered: the SA code counts the queries and
/// joins in flight for it, and unregistering it waits for them.
#[repr(transparent)]
pub struct SaClient(Opaque<bindings::ib_sa_client>);

// SAFETY: The client's counters are atomic; it is used from any thread in C.
unsafe impl Send for SaClient {}
// SAFETY: As above.
unsafe impl Sync for SaClient {}

impl SaClient {
    /// A registered client from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must be a client registered with `ib_sa_register_client()` for `'a`.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::ib_sa_client) -> &'a Self {
        // SAFETY: A transparent wrapper; the caller guarantees the registration for `'a`.
        unsafe { &*ptr.cast::<Self>() }
    }

    /// The client as C takes it.
    pub fn as_raw(&self) -> *mut bindings::ib_sa_client {
        self.0.get()
    }
}

/// A registered SA client: registered when made, unregistered (waiting for its queries and
/// joins) when dropped.
///
/// # Invariants
///
/// `client` is registered from creation until drop; the box keeps its address.
pub struct SaClientRegistration {
    client: KBox<Opaque<bindings::ib_sa_client>>,
}

// SAFETY: The client's counters are atomic; it is used from any thread in C.
unsafe impl Send for SaClientRegistration {}
// SAFETY: As above.
unsafe impl Sync for SaClientRegistration {}

impl SaClientRegistration {
    /// Registers a new client (`ib_sa_register_client()`).
    #[inline]
    pub fn new() -> Result<Self> {
        let client = KBox::new(Opaque::uninit(), GFP_KERNEL)?;
        // SAFETY: The client is valid for writes, and stays in its box until `drop()`.
        unsafe { bindings::ib_sa_register_client(client.get()) };
        // INVARIANT: Registered above, unregistered in `drop()`.
        Ok(Self { client })
    }

    /// The registered client.
    pub fn client(&self) -> &SaClient {
        // SAFETY: The client is registered until `self` is dropped (type invariant).
        unsafe { SaClient::from_raw(self.client.get()) }
    }
}

impl Drop for SaClientRegistration {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: Registered since creation (type invariant); unregistering waits for the
        // client's last query or join.
        unsafe { bindings::ib_sa_unregister_client(self.client.get()) };
    }
}

/// What a consumer's join does with the SA's answer.
///
/// Handlers are `'static`: the SA multicast code may call one until its [`SaJoin`] is dropped.
pub trait JoinHandler: Send + Sync + 'static {
    /// The join's answer: `Ok` with the group's record, or the error (`ENETRESET` after a port
    /// event reset the group: the consumer joins again). Called from the SA multicast code's
    /// work, possibly before [`SaJoin::new`] returns, never after the [`SaJoin`] is dropped.
    fn joined(&self, status: Result, rec: &McMemberRec);
}

/// A consumer's join of a multicast group (`ib_sa_join_multicast()`); dropping it leaves the
/// group (`ib_sa_free_multicast()`), waiting for a callback in progress.
///
/// # Invariants
///
/// `mc` is a multicast returned by `ib_sa_join_multicast()` and not freed yet, whose callback
/// is [`SaJoin::callback`] for `H` and whose context is `handler`'s data.
pub struct SaJoin<H: JoinHandler> {
    mc: NonNull<bindings::ib_sa_multicast>,
    handler: Arc<H>,
}

// SAFETY: ib_core's multicasts are freed from any thread; `H` is `Send + Sync`.
unsafe impl<H: JoinHandler> Send for SaJoin<H> {}
// SAFETY: `&SaJoin` gives access to `&H` only, which is `Sync`.
unsafe impl<H: JoinHandler> Sync for SaJoin<H> {}

impl<H: JoinHandler> SaJoin<H> {
    /// Joins group `rec.mgid()` on `port` of `dev` through ib_core's SA multicast code, for
    /// `client`, with the components `comp` of `rec`; `handler` gets the answer. `ENODEV` if
    /// the port has no InfiniBand multicast while others of the device have.
    ///
    /// `flags` are those of the caller's context: `GFP_ATOMIC` under a spinlock.
    ///
    /// # Safety
    ///
    /// ib_core's SA multicast code keeps its per-device state as the data of an `ib_client`
    /// that is removed before the device is unregistered, while device references
    /// ([`DeviceGuard`](super::DeviceGuard)) may still be held. The caller must use `dev`
    /// within the `add()`..`remove()` span of an `ib_client` of its own, registered after
    /// ib_core's (as every client outside ib_core is), and drop the join before its
    /// `remove()` returns.
    #[inline]
    pub unsafe fn new(
        client: &SaClient,
        dev: &RegisteredDevice,
        port: u32,
        rec: &McMemberRec,
        comp: McMemberComps,
        flags: Flags,
        handler: Arc<H>,
    ) -> Result<Self> {
        check_mcast_port(dev, port)?;
        let mut raw = rec.0;
        let ctx = Arc::as_ptr(&handler).cast_mut().cast::<c_void>();
        // SAFETY: `client` is registered and `dev` registered with `port` one of its ports,
        // which has IB multicast, so ib_core's multicast state of that port is set up and, by
        // the caller's guarantee, not yet torn down; the record is valid for the call (it is
        // copied). The callback gets `ctx`, the data of `handler`, which the join owns until it
        // is freed, and freeing waits for the callback.
        let mc = from_err_ptr(unsafe {
            bindings::ib_sa_join_multicast(
                client.as_raw(),
                dev.as_raw(),
                port,
                &mut raw,
                comp.to_be(),
                flags.as_raw(),
                Some(Self::callback),
                ctx,
            )
        })?;
        // INVARIANT: `ib_sa_join_multicast()` succeeded with our callback and context.
        Ok(Self {
            mc: NonNull::new(mc).ok_or(ENOMEM)?,
            handler,
        })
    }

    /// The join's handler.
    pub fn handler(&self) -> &Arc<H> {
        &self.handler
    }

    /// The callback of the joins of [`SaJoin::new`].
    ///
    /// # Safety
    ///
    /// Called by the SA multicast code with a live multicast of [`SaJoin::new`], whose context
    /// is the data of the join's handler.
    unsafe extern "C" fn callback(status: c_int, mc: *mut bindings::ib_sa_multicast) -> c_int {
        // SAFETY: The SA multicast code passes a live multicast; it wrote its record before
        // the call and does not change it during the call.
        let (ctx, rec) = unsafe { ((*mc).context, McMemberRec((*mc).rec)) };
        // SAFETY: The context is the data of the `Arc<H>` that the join owns (type invariant
        // of `SaJoin`), alive until the join is freed, which waits for this call.
        let handler = unsafe { ArcBorrow::<H>::from_raw(ctx.cast::<H>()) };
        let status = if status == 0 {
            Ok(())
        } else {
            Err(Error::from_errno(status))
        };
        handler.joined(status, &rec);
        // The consumer frees the join by dropping its `SaJoin`.
        0
    }
}

impl<H: JoinHandler> Drop for SaJoin<H> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: The multicast is live and ours (type invariant); this gives it back and waits
        // for a callback in progress, after which the handler is no longer used through it.
        unsafe { bindings::ib_sa_free_multicast(self.mc.as_ptr()) }
    }
}

/// Whether ib_core's SA multicast code may be called for `port` of `dev`: it sets up the ports
/// with InfiniBand multicast only, and keeps no state at all for a device without any (it then
/// answers `ENODEV` itself); a port without IB multicast on a device with some (a mixed
/// InfiniBand and Ethernet device) has no state set up, so it gets `ENODEV` here.
#[inline]
fn check_mcast_port(dev: &RegisteredDevice, port: u32) -> Result {
    if dev.port_caps(port)?.has_ib_mcast() {
        return Ok(());
    }
    for p in dev.ports() {
        if dev.port_caps(p)?.has_ib_mcast() {
            return Err(ENODEV);
        }
    }
    Ok(())
}

/// The record of group `mgid` as port `port` of `dev` has joined it
/// (`ib_sa_get_mcmember_rec()`): `ENODEV` for a port without InfiniBand multicast (RoCE,
/// iWARP), `EADDRNOTAVAIL` if the port is not a member.
///
/// # Safety
///
/// As for [`SaJoin::new`]: the caller uses `dev` within the `add()`..`remove()` span of an
/// `ib_client` of its own, registered after ib_core's.
#[inline]
pub unsafe fn mcmember_rec(dev: &RegisteredDevice, port: u32, mgid: &Gid) -> Result<McMemberRec> {
    check_mcast_port(dev, port)?;
    let mut raw = mgid.to_raw();
    let mut rec = McMemberRec::default();
    // SAFETY: `dev` is a registered device and `port` one of its ports, whose multicast state
    // in ib_core is set up, or absent for the whole device (`check_mcast_port()`), and by the
    // caller's guarantee not yet torn down; `raw` and `rec` are valid for the call.
    to_result(unsafe {
        bindings::ib_sa_get_mcmember_rec(dev.as_raw(), port, &mut raw, &mut rec.0)
    })?;
    Ok(rec)
}

#[macros::kunit_tests(rust_kernel_rdma_sa)]
mod tests {
    use super::*;

    #[test]
    fn comp_mask_is_big_endian_in_c() {
        let c = McMemberComp::Mgid | McMemberComp::JoinState;
        assert_eq!(c.to_be(), ((1u64 << 0) | (1u64 << 16)).to_be());
        assert_eq!(McMemberComps::from_be(c.to_be()), c);
        assert_eq!(
            McMemberComps::from(McMemberComp::ProxyJoin).to_be(),
            (1u64 << 17).to_be()
        );
    }

    #[test]
    fn join_states_bits() {
        let js = JoinState::Full | JoinState::SendOnlyFull;
        assert_eq!(js.as_raw(), 0x9);
        assert!(js.has_index(0) && js.has_index(3) && !js.has_index(1));
        assert!(!js.has_index(9));
        assert!(JoinStates::from_raw(0).is_empty());
    }

    #[test]
    fn record_fields_in_wire_order() {
        let mut r = McMemberRec::with_mgid(Gid([0xff; 16]));
        r.set_qkey(0x0123_4567);
        r.set_mlid(0xc001);
        r.set_pkey(0xffff);
        r.set_flow_label(0x12345);
        assert_eq!(r.as_raw().qkey, 0x0123_4567u32.to_be());
        assert_eq!(r.as_raw().mlid, 0xc001u16.to_be());
        assert_eq!(r.qkey(), 0x0123_4567);
        assert_eq!(r.mlid(), 0xc001);
        assert_eq!(r.flow_label(), 0x12345);
        assert_eq!(r.mgid(), Gid([0xff; 16]));
    }

    #[test]
    fn selectors() {
        assert!(Selector::Gt.accepts(4, 3));
        assert!(!Selector::Gt.accepts(4, 4));
        assert!(Selector::Lt.accepts(3, 4));
        assert!(Selector::Eq.accepts(4, 4));
        assert!(Selector::from_raw(3).accepts(0, 9));
        assert_eq!(Selector::from_raw(2), Selector::Eq);
        assert_eq!(SaMethod::from_raw(0x15), Some(SaMethod::Delete));
        assert_eq!(SaMethod::from_raw(0x77), None);
    }
}
