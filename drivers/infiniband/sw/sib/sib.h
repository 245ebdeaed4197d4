/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sib: a software InfiniBand fabric for tests.
 *
 * Several one-port InfiniBand devices over rdmavt, joined by one switch: a
 * UD packet sent on any port reaches the port of its destination LID, or
 * every port the multicast forwarding table lists for its multicast LID.
 * The engine copies: a send work request becomes a packet (GRH, payload and
 * the fields a receiver sees) before its completion, so the sender may reuse
 * its buffers at once, and the packet then goes to each receiver.
 *
 * The subnet manager (sib_sm) drives the fabric through the control plane
 * of <rdma/sib_fabric.h>.
 */
#ifndef SIB_H
#define SIB_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <rdma/ib_hdrs.h>
#include <rdma/rdma_vt.h>
#include <rdma/rdmavt_qp.h>
#include <rdma/sib_fabric.h>

#define SIB_NPKEYS SIB_FABRIC_NPKEYS
#define SIB_GUID_BASE 0x0253494200000000ULL /* locally administered "SIB" */
#define SIB_MTU IB_MTU_4096
#define SIB_MLID_FIRST 0xc000
#define SIB_MLID_LAST 0xfffe

struct sib_port {
	struct rvt_ibport rvp;
	u16 pkeys[SIB_NPKEYS];
	u32 lid;
	u8 lmc;
	enum ib_port_state state;
	__be64 guid;
};

struct sib_dev {
	struct rvt_dev_info rdi; /* first: rdmavt's container */
	struct sib_port port;
	unsigned int index;
	struct list_head fabric_entry;	/* in sib_fabric.devs, RCU */
};

/*
 * The fabric: its devices, the switch's multicast forwarding table and the
 * work queue of the send engine.
 *
 * mft: multicast LID -> bitmap of device indices (xa_mk_value). While
 * mft_managed is false (no subnet manager has programmed the switch) a
 * multicast packet goes to every port with a QP attached to its group.
 */
struct sib_fabric {
	struct device *root;		/* the devices' parent, /sys/devices/sib */
	struct dentry *debugfs;		/* sib/ */
	struct mutex lock;		/* devs changes, SM control plane */
	struct list_head devs;
	struct workqueue_struct *wq;
	struct xarray mft;
	bool mft_managed;
};

struct sib_qp_priv {
	struct rvt_qp *qp;
	struct work_struct send_work;
};

/* A packet on the wire: what the engine copied out of a send work request. */
struct sib_packet {
	u32 len;
	u32 src_qpn;
	u32 dest_qpn;
	u32 qkey;
	u16 slid;
	u16 dlid;
	u16 pkey;
	u8 sl;
	bool has_grh;
	bool solicited;
	bool with_imm;
	__be32 imm;
	struct ib_grh grh;
	u8 data[];
};

static inline struct sib_dev *to_sib_dev(struct ib_device *ibdev)
{
	return container_of(ibdev, struct sib_dev, rdi.ibdev);
}

extern struct sib_fabric sib_fabric;

/* sib_ud.c: the send engine and the switch */
void sib_send_work(struct work_struct *work);
bool sib_schedule_send(struct rvt_qp *qp);
void sib_do_send(struct rvt_qp *qp);

#endif /* SIB_H */
