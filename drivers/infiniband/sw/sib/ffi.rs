// SPDX-License-Identifier: GPL-2.0

//! The C boundary of the subnet manager: the fabric's control plane
//! (<rdma/sib_fabric.h>), exported by the `sib` module.

use crate::sa::{
    Fabric,
    PortInfo, //
};
use kernel::{
    bindings,
    error::to_result,
    prelude::*, //
};

/// The number of ports of the fabric.
pub(crate) fn nports() -> u32 {
    // SAFETY: No preconditions; the `sib` module this module links against is loaded.
    unsafe { bindings::sib_fabric_nports() }
}

/// Port `index` as the SM sees it.
pub(crate) fn port_info(index: u32) -> Result<PortInfo> {
    // SAFETY: All-zero is a valid `sib_port_info` (integers only).
    let mut info: bindings::sib_port_info = unsafe { core::mem::zeroed() };
    // SAFETY: `info` is valid for writes for the duration of the call.
    to_result(unsafe { bindings::sib_fabric_port_info(index, &mut info) })?;
    Ok(PortInfo {
        index,
        guid: info.guid,
        lid: info.lid,
        pkeys: info.pkeys,
        active: info.state == bindings::ib_port_state_IB_PORT_ACTIVE,
    })
}

/// Sets the LID of port `index`.
pub(crate) fn set_lid(index: u32, lid: u32) -> Result {
    // SAFETY: No preconditions; the callee checks its arguments.
    to_result(unsafe { bindings::sib_fabric_set_lid(index, lid) })
}

/// Sets the SM LID port `index` knows.
pub(crate) fn set_sm_lid(index: u32, sm_lid: u32) -> Result {
    // SAFETY: No preconditions; the callee checks its arguments.
    to_result(unsafe { bindings::sib_fabric_set_sm_lid(index, sm_lid) })
}

/// The states the SM gives a port.
#[derive(Clone, Copy)]
#[repr(u32)]
pub(crate) enum PortState {
    /// Down: its clients see PORT_ERR.
    Down = bindings::ib_port_state_IB_PORT_DOWN,
    /// Active: its clients see PORT_ACTIVE.
    Active = bindings::ib_port_state_IB_PORT_ACTIVE,
}

/// Puts port `index` in `state`.
pub(crate) fn set_state(index: u32, state: PortState) -> Result {
    // SAFETY: No preconditions; the callee checks its arguments.
    to_result(unsafe { bindings::sib_fabric_set_state(index, state as u32) })
}

/// Sets entry `pkey_index` of the P_Key table of port `index` (PKEY_CHANGE).
pub(crate) fn set_pkey(index: u32, pkey_index: u32, pkey: u16) -> Result {
    // SAFETY: No preconditions; the callee checks its arguments.
    to_result(unsafe { bindings::sib_fabric_set_pkey(index, pkey_index, pkey) })
}

/// Asks the clients of port `index` to register again (CLIENT_REREGISTER); returns once their
/// event handlers have run.
pub(crate) fn reregister(index: u32) -> Result {
    // SAFETY: No preconditions; the callee checks its argument.
    to_result(unsafe { bindings::sib_fabric_reregister(index) })
}

/// Lets the multicast forwarding table decide (`true`), or sends multicast to every port with
/// a QP attached (`false`).
pub(crate) fn mft_manage(managed: bool) {
    // SAFETY: No preconditions.
    unsafe { bindings::sib_fabric_mft_manage(managed) }
}

/// The fabric, through the control plane.
pub(crate) struct SibFabric;

impl SibFabric {
    fn ports() -> impl Iterator<Item = PortInfo> {
        (0..nports()).filter_map(|i| port_info(i).ok())
    }
}

impl Fabric for SibFabric {
    fn port_by_guid(&self, guid: u64) -> Option<PortInfo> {
        Self::ports().find(|p| p.guid == guid)
    }

    fn port_by_lid(&self, lid: u32) -> Option<PortInfo> {
        Self::ports().find(|p| p.lid == lid)
    }

    fn set_mft(&self, mlid: u16, ports: u64) -> Result {
        // SAFETY: No preconditions; the callee checks its arguments.
        to_result(unsafe { bindings::sib_fabric_mft_set(mlid, ports) })
    }

    fn clear_mft(&self, mlid: u16) {
        // SAFETY: No preconditions.
        unsafe { bindings::sib_fabric_mft_clear(mlid) }
    }
}
