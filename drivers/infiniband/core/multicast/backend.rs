// SPDX-License-Identifier: GPL-2.0

//! Where the SA messages go: ib_core's MCMemberRecord query, or a fake.

use super::{
    ffi,
    group::Group, //
};
use kernel::{
    prelude::*,
    rdma::{
        sa::{
            McMemberComps,
            McMemberRec,
            SaMethod, //
        },
        DeviceGuard,
    },
    sync::Arc,
};

/// An SA that answers MCMemberRecord SET (join) and DELETE (leave) queries of a port, and
/// the P_Key table of the port.
pub(crate) trait SaBackend: Send + Sync {
    /// Sends one query. When this returns `Ok`, the query completes exactly once, by
    /// [`Group::sa_done`] with `group`, possibly before this returns; on `Err` it never
    /// completes.
    fn query(
        &self,
        port: u32,
        method: SaMethod,
        rec: &McMemberRec,
        comp: McMemberComps,
        group: Arc<Group>,
    ) -> Result;

    /// The index of `pkey` in the P_Key table of `port` (`ib_find_pkey()`).
    fn find_pkey(&self, port: u32, pkey: u16) -> Result<u16>;
}

/// The real SA: ib_core's `ib_sa_mcmember_rec_query()` with the piece's SA client, 3 s
/// timeout, as `multicast.c` sends them. It keeps its device registered: the device's removal
/// waits for the piece's groups to go, and then for this.
pub(crate) struct RealSa {
    pub(crate) dev: DeviceGuard,
}

impl SaBackend for RealSa {
    fn query(
        &self,
        port: u32,
        method: SaMethod,
        rec: &McMemberRec,
        comp: McMemberComps,
        group: Arc<Group>,
    ) -> Result {
        ffi::sa_query(&self.dev, port, method, rec, comp, group)
    }

    fn find_pkey(&self, port: u32, pkey: u16) -> Result<u16> {
        self.dev.find_pkey(port, pkey)
    }
}
