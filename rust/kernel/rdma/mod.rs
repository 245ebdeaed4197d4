// SPDX-License-Identifier: GPL-2.0

//! RDMA core (InfiniBand, RoCE, iWARP) abstractions.
//!
//! C headers: [`include/rdma/ib_verbs.h`](srctree/include/rdma/ib_verbs.h),
//! [`include/rdma/ib_cache.h`](srctree/include/rdma/ib_cache.h) and
//! [`include/rdma/ib_sa.h`](srctree/include/rdma/ib_sa.h).
//!
//! # `ib_core` may be a module
//!
//! This code is part of the `kernel` crate, which is linked into `vmlinux`, while `ib_core` is
//! usually a module. Every item here that calls a function exported by `ib_core` is therefore
//! generic or `#[inline]`, so its machine code is emitted in the module that uses it and never in
//! `vmlinux`. Items that only touch structure fields or `vmlinux` symbols may be ordinary
//! functions. A non-inline item that calls into `ib_core` makes the `vmlinux` link of a
//! `CONFIG_INFINIBAND=m` kernel fail, so the build enforces the rule.

pub mod client;
pub mod device;
pub mod event;
pub mod gid;
pub mod port;
pub mod sa;

pub use self::{
    client::{
        Client,
        ClientGuard,
        Registration, //
    },
    device::Device,
    gid::{
        Gid,
        GidAttr,
        GidType,
        GidTypeMask, //
    },
    port::{
        LinkLayer,
        PortAttr,
        PortCaps,
        PortState, //
    },
};
