/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control plane of the software InfiniBand fabric (drivers/infiniband/sw/sib),
 * for its subnet manager (sib_sm): what a real SM sets in the ports and the
 * switch, as direct calls. Each change dispatches the port event a real SM's
 * change causes (LID_CHANGE, SM_CHANGE, PORT_ACTIVE/PORT_ERR, PKEY_CHANGE,
 * CLIENT_REREGISTER); setting a value a port already has changes nothing.
 *
 * Ports are named by index (0 to sib_fabric_nports() - 1), device sibN
 * having index N; a removed or unknown index gives -ENODEV.
 */
#ifndef _RDMA_SIB_FABRIC_H
#define _RDMA_SIB_FABRIC_H

#include <linux/types.h>
#include <rdma/ib_verbs.h>

#define SIB_FABRIC_NPKEYS 16

/* A port as the SM sees it; GUID in host order. */
struct sib_port_info {
	u64 guid;
	u32 lid;
	u32 sm_lid;
	u32 state;	/* enum ib_port_state */
	u16 pkeys[SIB_FABRIC_NPKEYS];
};

unsigned int sib_fabric_nports(void);
int sib_fabric_port_info(unsigned int index, struct sib_port_info *info);
int sib_fabric_set_lid(unsigned int index, u32 lid);
int sib_fabric_set_sm_lid(unsigned int index, u32 sm_lid);
int sib_fabric_set_state(unsigned int index, enum ib_port_state state);
int sib_fabric_set_pkey(unsigned int index, unsigned int pkey_index, u16 pkey);
/* Returns once the port's clients have handled the CLIENT_REREGISTER event. */
int sib_fabric_reregister(unsigned int index);
/* The switch's multicast forwarding table: @ports is a bitmap of indices. */
int sib_fabric_mft_set(u16 mlid, u64 ports);
void sib_fabric_mft_clear(u16 mlid);
/* Managed: the table decides; unmanaged: every port with a QP attached. */
void sib_fabric_mft_manage(bool managed);

#endif /* _RDMA_SIB_FABRIC_H */
