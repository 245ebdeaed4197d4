// SPDX-License-Identifier: GPL-2.0

//! The subnet manager and subnet administrator of the software InfiniBand fabric (`sib`).
//!
//! At load the SM brings every port up through the fabric's control plane and takes over the
//! switch's multicast forwarding table; the SA then serves SubnAdm (class version 2) on GSI
//! QP1 of the SM's port (`sib0`) as an ib_mad agent: ClassPortInfo, MCMemberRecord SET, GET
//! and DELETE, PathRecord GET, ServiceRecord SET, GET, GET_TABLE (RMPP) and DELETE. Its
//! debugfs directory `sib_sm/sa/` logs every SA message and lets tests inject faults and port
//! events ([`control`]).

use control::SaDebugfs;
use kernel::{
    prelude::*,
    rdma::{
        self,
        mad::{
            MadAgent,
            Rmpp, //
        },
        ClientGuard,
        RegisteredDevice, //
    },
    sync::Arc,
};
use server::SaServer;

mod control;
mod fault;
mod ffi;
mod log;
mod sa;
mod server;
mod service;
mod sm;

module! {
    type: SibSm,
    name: "sib_sm",
    authors: ["rdma-rs developers"],
    description: "Subnet manager and SA of the software InfiniBand fabric",
    license: "GPL",
}

/// The ib_core client that puts the SA on the SM's port.
struct SmClient;

kernel::rdma_client_registration!(static CLIENT: SmClient);

/// The SA on the SM's port: its MAD agent and its debugfs directory.
struct SaInstance {
    // Dropped first: no file reaches the SA while its agent goes.
    _debugfs: SaDebugfs,
    agent: MadAgent<SaServer>,
}

impl Drop for SaInstance {
    fn drop(&mut self) {
        // Held requests go unanswered, so that unregistering the agent need not wait for them.
        self.agent.handler().close();
    }
}

impl rdma::Client for SmClient {
    const NAME: &'static CStr = c"sib_sm";
    type Data = KBox<SaInstance>;

    fn add(dev: &RegisteredDevice) -> Result<Self::Data> {
        if dev.node_guid() != ffi::port_info(sm::SM_PORT)?.guid {
            return Err(ENODEV);
        }
        let server = Arc::pin_init(SaServer::new(sa::Sa::new(&ffi::SibFabric)?), GFP_KERNEL)?;
        let debugfs = SaDebugfs::new(server.clone())?;
        // SAFETY: The agent is this client's data for `dev`, dropped in `remove()` at the
        // latest, while `dev` is registered.
        let agent = unsafe {
            MadAgent::register(
                dev,
                1,
                sa::CLASS_SUBN_ADM,
                sa::CLASS_VERSION,
                &[
                    sa::METHOD_GET,
                    sa::METHOD_SET,
                    sa::METHOD_DELETE,
                    sa::METHOD_GET_TABLE,
                ],
                Rmpp::Version1,
                server,
            )?
        };
        Ok(KBox::new(
            SaInstance {
                _debugfs: debugfs,
                agent,
            },
            GFP_KERNEL,
        )?)
    }

    fn remove(_dev: &RegisteredDevice, sa: Self::Data) {
        drop(sa);
    }
}

struct SibSm {
    _client: ClientGuard<SmClient>,
}

impl kernel::Module for SibSm {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        sm::bring_up()?;
        // Without the SA, the table the SM took over would drop all multicast.
        let client = CLIENT.register().inspect_err(|_| sm::release())?;
        sm::reregister_all().inspect_err(|_| sm::release())?;
        Ok(Self { _client: client })
    }
}

impl Drop for SibSm {
    fn drop(&mut self) {
        sm::release();
    }
}
