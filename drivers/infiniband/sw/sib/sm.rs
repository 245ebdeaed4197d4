// SPDX-License-Identifier: GPL-2.0

//! The subnet manager's control plane: it brings every port of the fabric up (LID index + 1,
//! the SM at LID 1 on port 0, ACTIVE) and takes the switch's multicast forwarding table over,
//! which the SA then programs from the groups' memberships.

use crate::ffi;
use kernel::prelude::*;

/// The SM's LID: port 0's.
pub(crate) const SM_LID: u32 = 1;

/// The index of the port the SM and the SA run on.
pub(crate) const SM_PORT: u32 = 0;

/// Brings every port of the fabric up.
pub(crate) fn bring_up() -> Result {
    for i in 0..ffi::nports() {
        ffi::set_lid(i, i + 1)?;
        ffi::set_sm_lid(i, SM_LID)?;
        ffi::set_state(i, ffi::PortState::Active)?;
    }
    ffi::mft_manage(true);
    Ok(())
}

/// Asks every port's clients to register again (CLIENT_REREGISTER): this SM knows none of the
/// joins a previous one had. Called once the SA answers.
pub(crate) fn reregister_all() -> Result {
    for i in 0..ffi::nports() {
        ffi::reregister(i)?;
    }
    Ok(())
}

/// Gives the switch's multicast forwarding back (every attached QP receives) and forgets the
/// table.
pub(crate) fn release() {
    ffi::mft_manage(false);
}
