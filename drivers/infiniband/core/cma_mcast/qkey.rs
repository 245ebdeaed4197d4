// SPDX-License-Identifier: GPL-2.0

//! The Q_Key rules of rdma_cm's UD ids (`cma_set_qkey()`, `cma_set_default_qkey()`).

use kernel::{
    prelude::*,
    rdma::cm::PortSpace, //
};

/// `cma_set_qkey()`: an id takes a Q_Key once; a later one must be the same, and 0 is never
/// one. Returns the id's Q_Key after `new`.
pub(crate) fn set(current: u32, new: u32) -> Result<u32> {
    if new == 0 || (current != 0 && current != new) {
        return Err(EINVAL);
    }
    Ok(new)
}

/// Where the default Q_Key of an id comes from (`cma_set_default_qkey()`).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum QkeySource {
    /// `RDMA_UDP_QKEY`, for the UDP and IB port spaces.
    Udp,
    /// The Q_Key of the IPoIB broadcast group of the id's port (`RDMA_PS_IPOIB`).
    Broadcast,
    /// No default (TCP).
    None,
}

/// The default Q_Key of port space `ps`.
pub(crate) fn default_for(ps: Option<PortSpace>) -> QkeySource {
    match ps {
        Some(PortSpace::Udp | PortSpace::Ib) => QkeySource::Udp,
        Some(PortSpace::Ipoib) => QkeySource::Broadcast,
        Some(PortSpace::Tcp) | None => QkeySource::None,
    }
}

/// `RDMA_UDP_QKEY`.
pub(crate) const UDP_QKEY: u32 = 0x0123_4567;
