// SPDX-License-Identifier: GPL-2.0

//! The subnet manager and subnet administrator of the software InfiniBand fabric (`sib`).
//!
//! At load the SM brings every port up through the fabric's control plane and takes over the
//! switch's multicast forwarding table; the SA then serves SubnAdm (class version 2) on GSI
//! QP1 of the SM's port (`sib0`) as an ib_mad agent: ClassPortInfo, MCMemberRecord SET, GET
//! and DELETE, PathRecord GET.

use kernel::{
    prelude::*,
    rdma::{
        self,
        mad::{
            MadAgent,
            MadHandler,
            RecvMad,
            Responder, //
        },
        ClientGuard,
        RegisteredDevice, //
    },
    sync::{
        new_mutex,
        Arc,
        Mutex, //
    },
};

mod ffi;
mod sa;
mod sm;

module! {
    type: SibSm,
    name: "sib_sm",
    authors: ["rdma-rs developers"],
    description: "Subnet manager and SA of the software InfiniBand fabric",
    license: "GPL",
}

/// The SA as a MAD handler: one request at a time.
#[pin_data]
struct SaServer {
    #[pin]
    sa: Mutex<sa::Sa>,
}

impl MadHandler for SaServer {
    fn recv(&self, responder: &Responder<'_>, mad: &RecvMad) {
        let req = mad.mad();
        let resp = self.sa.lock().handle(&ffi::SibFabric, &req);
        if let Some(resp) = resp {
            if let Err(e) = responder.respond(mad, &resp) {
                pr_debug!(
                    "sib_sm: response to tid {:#x} not sent: {:?}\n",
                    req.tid(),
                    e
                );
            }
        }
    }
}

/// The ib_core client that puts the SA on the SM's port.
struct SmClient;

kernel::rdma_client_registration!(static CLIENT: SmClient);

impl rdma::Client for SmClient {
    const NAME: &'static CStr = c"sib_sm";
    type Data = KBox<MadAgent<SaServer>>;

    fn add(dev: &RegisteredDevice) -> Result<Self::Data> {
        if dev.node_guid() != ffi::port_info(sm::SM_PORT)?.guid {
            return Err(ENODEV);
        }
        let sa = sa::Sa::new(&ffi::SibFabric)?;
        let server = Arc::pin_init(
            pin_init!(SaServer {
                sa <- new_mutex!(sa),
            }),
            GFP_KERNEL,
        )?;
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
                server,
            )?
        };
        Ok(KBox::new(agent, GFP_KERNEL)?)
    }

    fn remove(_dev: &RegisteredDevice, agent: Self::Data) {
        drop(agent);
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
