// SPDX-License-Identifier: GPL-2.0

//! Where the SA messages go: ib_core's MCMemberRecord query, or a fake.

use super::{group::Group, shim};
use kernel::{
    prelude::*,
    rdma::{
        sa::{CompMask, McMemberRec},
        Device,
    },
    sync::{aref::ARef, Arc},
};

/// An SA that answers MCMemberRecord SET (join) and DELETE (leave) queries of a port, and
/// the P_Key table of the port.
pub(crate) trait SaBackend: Send + Sync {
    /// Sends one query with `method` ([`kernel::rdma::sa::method`]). When this returns `Ok`,
    /// the query completes exactly once, by [`Group::sa_done`] with `group`, possibly before
    /// this returns; on `Err` it never completes.
    fn query(
        &self,
        port: u32,
        method: u8,
        rec: &McMemberRec,
        comp: CompMask,
        group: Arc<Group>,
    ) -> Result;

    /// The index of `pkey` in the P_Key table of `port` (`ib_find_pkey()`).
    fn find_pkey(&self, port: u32, pkey: u16) -> Result<u16>;
}

/// The real SA: ib_core's `ib_sa_mcmember_rec_query()` with the piece's SA client, 3 s
/// timeout, as `multicast.c` sends them.
pub(crate) struct RealSa {
    pub(crate) dev: ARef<Device>,
}

impl SaBackend for RealSa {
    fn query(
        &self,
        port: u32,
        method: u8,
        rec: &McMemberRec,
        comp: CompMask,
        group: Arc<Group>,
    ) -> Result {
        shim::sa_query(&self.dev, port, method, rec, comp, group)
    }

    fn find_pkey(&self, port: u32, pkey: u16) -> Result<u16> {
        shim::find_pkey(&self.dev, port, pkey)
    }
}
