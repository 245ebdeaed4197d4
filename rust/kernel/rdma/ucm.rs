// SPDX-License-Identifier: GPL-2.0

//! The user ABI of the rdma_cm device, `/dev/infiniband/rdma_cm` (ABI version 4), as types that
//! are read from and written to user memory whole, with
//! [`UserSliceReader::read`](crate::uaccess::UserSliceReader::read) and
//! [`UserSliceWriter::write`](crate::uaccess::UserSliceWriter::write).
//!
//! Most commands are the bindgen structures of the header, which are made of integers and
//! arrays of them and have no padding (the header spells out every reserved byte; each size is
//! asserted below against the size the header gives). Four structures carry a
//! `struct sockaddr_storage`, whose C union holds a pointer: they are declared here again with a
//! [`SockAddr`] in its place, and their layout is asserted field by field against the header's.
//! The event of GET_EVENT holds a union whose members differ in size: [`EventResp`] keeps it
//! private and only ever starts from zero, so it has no uninitialised byte.
//!
//! C header: [`include/uapi/rdma/rdma_user_cm.h`](srctree/include/uapi/rdma/rdma_user_cm.h).

use super::addr::SockAddr;
use crate::{
    bindings,
    transmute::{
        AsBytes,
        FromBytes, //
    },
};
use core::mem::{
    offset_of,
    size_of, //
};

/// Implements `FromBytes` and `AsBytes` for uABI structures of integers and arrays of them,
/// with the size the header gives.
macro_rules! plain_uabi {
    ($($t:ident = $size:expr),* $(,)?) => {
        $(
            const _: () = assert!(size_of::<bindings::$t>() == $size);
            // SAFETY: The structure is made of integers, arrays of them and unions of arrays of
            // one size (`in6_addr`): every bit pattern is valid. No interior mutability.
            unsafe impl FromBytes for bindings::$t {}
            // SAFETY: As above, and the header lays out every byte (its size is the sum of its
            // fields', asserted above against the header's): no padding, and no union member
            // smaller than another, so every value has all its bytes initialised.
            unsafe impl AsBytes for bindings::$t {}
        )*
    };
}

plain_uabi! {
    rdma_ucm_cmd_hdr = 8,
    rdma_ucm_create_id = 24,
    rdma_ucm_create_id_resp = 4,
    rdma_ucm_destroy_id = 16,
    rdma_ucm_destroy_id_resp = 4,
    rdma_ucm_bind_ip = 40,
    rdma_ucm_resolve_ip = 64,
    rdma_ucm_resolve_route = 8,
    rdma_ucm_query = 16,
    rdma_ucm_query_route_resp = 208,
    rdma_ucm_conn_param = 272,
    rdma_ucm_ece = 8,
    rdma_ucm_connect = 288,
    rdma_ucm_listen = 8,
    rdma_ucm_accept = 296,
    rdma_ucm_reject = 264,
    rdma_ucm_disconnect = 4,
    rdma_ucm_init_qp_attr = 16,
    rdma_ucm_notify = 8,
    rdma_ucm_join_ip_mcast = 48,
    rdma_ucm_get_event = 8,
    rdma_ucm_set_option = 24,
    rdma_ucm_migrate_id = 16,
    rdma_ucm_migrate_resp = 4,
    rdma_ucm_ib_service = 80,
    rdma_ucm_resolve_ib_service = 88,
    ib_uverbs_qp_attr = 144,
    ib_path_rec_data = 72,
    ib_user_service_rec = 176,
    sockaddr_in6 = 28,
}

const _: () = assert!(size_of::<bindings::rdma_ucm_write_cm_event>() == 320);
// SAFETY: Integers and a union of structures of integers: every bit pattern is valid. Not
// `AsBytes`: the union's `arg` member is smaller than the others. No interior mutability.
unsafe impl FromBytes for bindings::rdma_ucm_write_cm_event {}

/// The header of QUERY's `RDMA_USER_CM_QUERY_PATH` answer, before its path records.
pub const QUERY_PATH_HEAD: usize = size_of::<bindings::rdma_ucm_query_path_resp>();
/// The header of QUERY's `RDMA_USER_CM_QUERY_IB_SERVICE` answer, before its records.
pub const QUERY_IB_SERVICE_HEAD: usize = size_of::<bindings::rdma_ucm_query_ib_service_resp>();
const _: () = assert!(QUERY_PATH_HEAD == 8 && QUERY_IB_SERVICE_HEAD == 8);

/// Declares a uABI structure again with [`SockAddr`] for its `struct sockaddr_storage` fields,
/// and asserts that every field sits where the header puts it.
macro_rules! sockaddr_uabi {
    ($(#[$doc:meta])* $name:ident = $c:ident { $($field:ident: $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[repr(C)]
        #[derive(Clone, Copy, Default)]
        #[allow(missing_docs)]
        pub struct $name {
            $(pub $field: $ty,)*
        }

        const _: () = assert!(size_of::<$name>() == size_of::<bindings::$c>());
        const _: () = assert!(
            core::mem::align_of::<$name>() == core::mem::align_of::<bindings::$c>()
        );
        $(
            const _: () = assert!(offset_of!($name, $field) == offset_of!(bindings::$c, $field));
            const _: () = assert!(size_of::<$ty>() == {
                // The size of the header's field, through a pointer to it.
                const fn field_size<T>(_: *const T) -> usize {
                    size_of::<T>()
                }
                let c = core::mem::MaybeUninit::<bindings::$c>::uninit();
                // SAFETY: Only the address of the field is taken, inside the allocation.
                field_size(unsafe { core::ptr::addr_of!((*c.as_ptr()).$field) })
            });
        )*

        // SAFETY: Integers, arrays of them and `SockAddr`s, which are byte arrays: every bit
        // pattern is valid. No interior mutability.
        unsafe impl FromBytes for $name {}
        // SAFETY: As above; the fields fill the structure (each sits where the header puts it,
        // and the header lays out every byte), so there is no padding.
        unsafe impl AsBytes for $name {}
    };
}

sockaddr_uabi! {
    /// `struct rdma_ucm_bind` (BIND).
    Bind = rdma_ucm_bind {
        id: u32,
        addr_size: u16,
        reserved: u16,
        addr: SockAddr,
    }
}

sockaddr_uabi! {
    /// `struct rdma_ucm_resolve_addr` (RESOLVE_ADDR).
    ResolveAddr = rdma_ucm_resolve_addr {
        id: u32,
        timeout_ms: u32,
        src_size: u16,
        dst_size: u16,
        reserved: u32,
        src_addr: SockAddr,
        dst_addr: SockAddr,
    }
}

sockaddr_uabi! {
    /// `struct rdma_ucm_join_mcast` (JOIN_MCAST).
    JoinMcast = rdma_ucm_join_mcast {
        response: u64,
        uid: u64,
        id: u32,
        addr_size: u16,
        join_flags: u16,
        addr: SockAddr,
    }
}

sockaddr_uabi! {
    /// `struct rdma_ucm_query_addr_resp` (QUERY of `RDMA_USER_CM_QUERY_ADDR` and
    /// `RDMA_USER_CM_QUERY_GID`).
    QueryAddrResp = rdma_ucm_query_addr_resp {
        node_guid: u64,
        port_num: u8,
        reserved: u8,
        pkey: u16,
        src_size: u16,
        dst_size: u16,
        src_addr: SockAddr,
        dst_addr: SockAddr,
        ibdev_index: u32,
        reserved1: u32,
    }
}

impl QueryAddrResp {
    /// The answer as the C fillers of `ucma.c` take it.
    pub fn as_raw_mut(&mut self) -> *mut bindings::rdma_ucm_query_addr_resp {
        core::ptr::from_mut(self).cast()
    }
}

const _: () = assert!(size_of::<bindings::rdma_ucm_event_resp>() == 336);

/// The event GET_EVENT copies out (`struct rdma_ucm_event_resp`).
///
/// Its `param` union has members of different sizes; the structure is only ever made zeroed
/// and changed through methods that write whole fields, so every byte of it stays initialised.
///
/// # Invariants
///
/// Every byte of `0` is initialised.
#[repr(transparent)]
#[derive(Clone, Copy)]
pub struct EventResp(bindings::rdma_ucm_event_resp);

// SAFETY: Every byte is initialised (type invariant); no interior mutability.
unsafe impl AsBytes for EventResp {}

impl Default for EventResp {
    fn default() -> Self {
        Self::zeroed()
    }
}

impl EventResp {
    /// An event of all zeroes.
    pub fn zeroed() -> Self {
        // INVARIANT: All bytes zero, so initialised.
        // SAFETY: All zeroes is a valid `rdma_ucm_event_resp` (integers and unions of them).
        Self(unsafe { core::mem::zeroed() })
    }

    /// The event for C to fill (`ucma_fill_event()` of `ucma.c`).
    ///
    /// Writing through the pointer must keep every byte initialised: writes of whole fields and
    /// union members do.
    pub fn as_raw_mut(&mut self) -> *mut bindings::rdma_ucm_event_resp {
        &raw mut self.0
    }

    /// The user's value of the event's object.
    pub fn uid(&self) -> u64 {
        self.0.uid
    }

    /// Sets the user's value of the event's object.
    pub fn set_uid(&mut self, uid: u64) {
        self.0.uid = uid;
    }

    /// The id of the event's context or join.
    pub fn id(&self) -> u32 {
        self.0.id
    }

    /// Sets the id of the event's context or join.
    pub fn set_id(&mut self, id: u32) {
        self.0.id = id;
    }

    /// The event type (`enum rdma_cm_event_type`).
    pub fn event(&self) -> u32 {
        self.0.event
    }

    /// Sets the event type.
    pub fn set_event(&mut self, event: u32) {
        self.0.event = event;
    }

    /// Sets the status.
    pub fn set_status(&mut self, status: u32) {
        self.0.status = status;
    }

    /// Sets the parameter of a user-written event (`param.arg32`, the 64-bit argument in two
    /// words in the machine's order, as C's `memcpy()` stores it).
    pub fn set_arg(&mut self, arg: u64) {
        let b = arg.to_ne_bytes();
        // INVARIANT: Writing the `arg32` member writes its 8 bytes; the rest of the union stays
        // as it was, initialised.
        self.0.param.arg32 = [
            u32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
            u32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
        ];
    }
}

/// The argument of WRITE_CM_EVENT (`param.arg`).
pub fn write_event_arg(cmd: &bindings::rdma_ucm_write_cm_event) -> u64 {
    // SAFETY: Every bit pattern of the union is a valid `u64` for its first 8 bytes, and the
    // command was read whole from user memory (`FromBytes`), so they are initialised.
    unsafe { cmd.param.arg }
}

#[macros::kunit_tests(rust_kernel_rdma_ucm)]
mod tests {
    use super::*;

    #[test]
    fn event_resp_argument_in_two_words() {
        let mut r = EventResp::zeroed();
        r.set_arg(0x1122_3344_5566_7788);
        r.set_id(7);
        let b = r.as_bytes();
        assert_eq!(b.len(), 336);
        assert_eq!(&b[20..28], &0x1122_3344_5566_7788u64.to_ne_bytes());
        assert_eq!(r.id(), 7);
        // The rest of the union stays zero.
        assert!(b[28..324].iter().all(|&x| x == 0));
    }

    #[test]
    fn sockaddr_layouts() {
        assert_eq!(offset_of!(JoinMcast, addr), 24);
        assert_eq!(size_of::<JoinMcast>(), 152);
        assert_eq!(size_of::<Bind>(), 136);
        assert_eq!(size_of::<ResolveAddr>(), 272);
        assert_eq!(size_of::<QueryAddrResp>(), 280);
    }
}
