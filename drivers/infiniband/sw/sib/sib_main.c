// SPDX-License-Identifier: GPL-2.0
/*
 * sib: a software InfiniBand fabric for tests (see sib.h).
 *
 * The module creates sib.ports one-port devices, sib0 to sibN-1, registers
 * them with rdmavt and joins them in one fabric. Until a subnet manager
 * takes over, each port comes up ACTIVE with LID index + 1, the SM at LID 1
 * (sib0), the default P_Key 0xffff and GUID SIB_GUID_BASE + index + 1, all
 * set before registration, so that ib_sa's add_one finds a working SM
 * address; the subnet manager (sib_sm) then drives the fabric through
 * <rdma/sib_fabric.h>. Only UD, GSI and SMI QPs are supported: RC and UC QPs are
 * refused at creation with EOPNOTSUPP.
 */

#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/utsname.h>
#include <rdma/ib_mad.h>
#include <rdma/ib_sysfs.h>
#include <rdma/rdma_vt.h>
#include <rdma/rdmavt_qp.h>

#include "sib.h"

static unsigned int sib_nports = 3;
module_param_named(ports, sib_nports, uint, 0444);
MODULE_PARM_DESC(ports, "devices (one port each) on the fabric, 1 to 16 (3)");

struct sib_fabric sib_fabric;

static const struct rvt_operation_params sib_post_parms[RVT_OPERATION_MAX] = {
	[IB_WR_SEND] = {
		.length = sizeof(struct ib_send_wr),
		.qpt_support = BIT(IB_QPT_UD) | BIT(IB_QPT_SMI) |
			       BIT(IB_QPT_GSI),
	},
	[IB_WR_SEND_WITH_IMM] = {
		.length = sizeof(struct ib_send_wr),
		.qpt_support = BIT(IB_QPT_UD) | BIT(IB_QPT_SMI) |
			       BIT(IB_QPT_GSI),
	},
};

static const enum ib_wc_opcode sib_wc_opcode[] = {
	[IB_WR_RDMA_WRITE] = IB_WC_RDMA_WRITE,
	[IB_WR_RDMA_WRITE_WITH_IMM] = IB_WC_RDMA_WRITE,
	[IB_WR_SEND] = IB_WC_SEND,
	[IB_WR_SEND_WITH_IMM] = IB_WC_SEND,
	[IB_WR_RDMA_READ] = IB_WC_RDMA_READ,
	[IB_WR_ATOMIC_CMP_AND_SWP] = IB_WC_COMP_SWAP,
	[IB_WR_ATOMIC_FETCH_AND_ADD] = IB_WC_FETCH_ADD,
	[IB_WR_SEND_WITH_INV] = IB_WC_SEND,
	[IB_WR_LOCAL_INV] = IB_WC_LOCAL_INV,
	[IB_WR_REG_MR] = IB_WC_REG_MR,
};

/* rdmavt's QP callbacks */

/*
 * RC and UC are refused here, before rdmavt has allocated a QP number (a
 * failed qp_priv_init() would leak it). rdmavt has set allowed_ops from
 * the QP type already.
 */
static void *sib_qp_priv_alloc(struct rvt_dev_info *rdi, struct rvt_qp *qp)
{
	struct sib_qp_priv *priv;

	if (qp->allowed_ops != IB_OPCODE_UD)
		return ERR_PTR(-EOPNOTSUPP);
	priv = kzalloc_obj(*priv);
	if (!priv)
		return ERR_PTR(-ENOMEM);
	priv->qp = qp;
	INIT_WORK(&priv->send_work, sib_send_work);
	return priv;
}

static void sib_qp_priv_free(struct rvt_dev_info *rdi, struct rvt_qp *qp)
{
	kfree(qp->priv);
}

static unsigned int sib_free_all_qps(struct rvt_dev_info *rdi)
{
	return 0;
}

static void sib_notify_qp_reset(struct rvt_qp *qp)
{
}

static void sib_notify_restart_rc(struct rvt_qp *qp, u32 psn, int wait)
{
}

static void sib_flush_qp_waiters(struct rvt_qp *qp)
{
}

/* Stop the send work; a cancelled one gives back its QP reference. */
static void sib_stop_send_queue(struct rvt_qp *qp)
{
	struct sib_qp_priv *priv = qp->priv;

	if (cancel_work_sync(&priv->send_work))
		rvt_put_qp(qp);
}

static void sib_quiesce_qp(struct rvt_qp *qp)
{
	struct sib_qp_priv *priv = qp->priv;

	flush_work(&priv->send_work);
}

static void sib_notify_error_qp(struct rvt_qp *qp)
{
}

static bool sib_schedule_send_no_lock(struct rvt_qp *qp)
{
	return sib_schedule_send(qp);
}

static int sib_get_pmtu_from_attr(struct rvt_dev_info *rdi, struct rvt_qp *qp,
				  struct ib_qp_attr *attr)
{
	int mtu = ib_mtu_enum_to_int(attr->path_mtu);

	if (mtu < 0 || attr->path_mtu > SIB_MTU)
		return -EINVAL;
	return mtu;
}

static u32 sib_mtu_from_qp(struct rvt_dev_info *rdi, struct rvt_qp *qp,
			   u32 pmtu)
{
	return pmtu;
}

static int sib_mtu_to_path_mtu(u32 mtu)
{
	return ib_mtu_int_to_enum(mtu);
}

/* rdmavt's port callbacks */

static int sib_get_guid_be(struct rvt_dev_info *rdi, struct rvt_ibport *rvp,
			   int guid_index, __be64 *guid)
{
	struct sib_port *port = container_of(rvp, struct sib_port, rvp);

	if (guid_index)
		return -EINVAL;
	*guid = port->guid;
	return 0;
}

static int sib_query_port_state(struct rvt_dev_info *rdi, u32 port_num,
				struct ib_port_attr *props)
{
	struct sib_port *port = &container_of(rdi, struct sib_dev, rdi)->port;

	props->lid = READ_ONCE(port->lid);
	props->lmc = port->lmc;
	props->state = READ_ONCE(port->state);
	props->phys_state = props->state == IB_PORT_DOWN ?
		IB_PORT_PHYS_STATE_POLLING : IB_PORT_PHYS_STATE_LINK_UP;
	props->gid_tbl_len = 1;
	props->active_width = IB_WIDTH_4X;
	props->active_speed = IB_SPEED_QDR;
	props->max_vl_num = 1;
	props->max_mtu = SIB_MTU;
	props->active_mtu = SIB_MTU;
	props->phys_mtu = ib_mtu_enum_to_int(SIB_MTU);
	return 0;
}

static int sib_shut_down_port(struct rvt_dev_info *rdi, u32 port_num)
{
	return sib_fabric_set_state(container_of(rdi, struct sib_dev, rdi)->index,
				    IB_PORT_DOWN);
}

static void sib_cap_mask_chg(struct rvt_dev_info *rdi, u32 port_num)
{
}

static int sib_modify_device(struct ib_device *ibdev, int mask,
			     struct ib_device_modify *props)
{
	struct rvt_dev_info *rdi = ib_to_rvt(ibdev);

	if (mask & ~(IB_DEVICE_MODIFY_SYS_IMAGE_GUID |
		     IB_DEVICE_MODIFY_NODE_DESC))
		return -EOPNOTSUPP;
	if (mask & IB_DEVICE_MODIFY_NODE_DESC)
		memcpy(ibdev->node_desc, props->node_desc, IB_DEVICE_NODE_DESC_MAX);
	if (mask & IB_DEVICE_MODIFY_SYS_IMAGE_GUID)
		rdi->dparms.props.sys_image_guid = props->sys_image_guid;
	return 0;
}

/* sysfs: ports/1/sib/{rcv_drops,rcv_pkts} */

static ssize_t rcv_drops_show(struct ib_device *ibdev, u32 port_num,
			      struct ib_port_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", to_sib_dev(ibdev)->port.rvp.n_pkt_drops);
}
static IB_PORT_ATTR_RO(rcv_drops);

static ssize_t rcv_pkts_show(struct ib_device *ibdev, u32 port_num,
			     struct ib_port_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", to_sib_dev(ibdev)->port.rvp.n_loop_pkts);
}
static IB_PORT_ATTR_RO(rcv_pkts);

static struct attribute *sib_port_attrs[] = {
	&ib_port_attr_rcv_drops.attr,
	&ib_port_attr_rcv_pkts.attr,
	NULL,
};

static const struct attribute_group sib_port_group = {
	.name = "sib",
	.attrs = sib_port_attrs,
};

static const struct attribute_group *sib_port_groups[] = {
	&sib_port_group,
	NULL,
};

/*
 * debugfs: sib/<device>/mcast, the port's multicast groups with a QP attached
 * (what IPoIB and rdma_cm attached): "MGID lid=MLID qps=N", in MGID order.
 */
static int sib_mcast_show(struct seq_file *s, void *unused)
{
	struct sib_dev *sdev = s->private;
	struct rvt_ibport *rvp = &sdev->port.rvp;
	struct rvt_mcast *mcast;
	struct rb_node *n;

	spin_lock_irq(&rvp->lock);
	for (n = rb_first(&rvp->mcast_tree); n; n = rb_next(n)) {
		mcast = rb_entry(n, struct rvt_mcast, rb_node);
		seq_printf(s, "%pI6 lid=0x%04x qps=%d\n", mcast->mcast_addr.mgid.raw,
			   mcast->mcast_addr.lid, mcast->n_attached);
	}
	spin_unlock_irq(&rvp->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sib_mcast);

static void sib_dev_debugfs(struct sib_dev *sdev)
{
	struct dentry *dir;

	dir = debugfs_create_dir(dev_name(&sdev->rdi.ibdev.dev), sib_fabric.debugfs);
	debugfs_create_file("mcast", 0400, dir, sdev, &sib_mcast_fops);
}

static const struct ib_device_ops sib_dev_ops = {
	.owner = THIS_MODULE,
	.driver_id = RDMA_DRIVER_QIB,
	/* the user verbs ABI of rdmavt, which libipathverbs speaks */
	.uverbs_abi_ver = 2,
	.modify_device = sib_modify_device,
	.port_groups = sib_port_groups,
};

/* The subnet manager's control plane (<rdma/sib_fabric.h>) */

/* The device of port @index; called with sib_fabric.lock held. */
static struct sib_dev *sib_dev_by_index(unsigned int index)
{
	struct sib_dev *sdev;

	list_for_each_entry(sdev, &sib_fabric.devs, fabric_entry)
		if (sdev->index == index)
			return sdev;
	return NULL;
}

static void sib_port_event(struct sib_dev *sdev, enum ib_event_type type)
{
	struct ib_event event = {
		.device = &sdev->rdi.ibdev,
		.event = type,
		.element.port_num = 1,
	};

	ib_dispatch_event(&event);
}

unsigned int sib_fabric_nports(void)
{
	return sib_nports;
}
EXPORT_SYMBOL_GPL(sib_fabric_nports);

int sib_fabric_port_info(unsigned int index, struct sib_port_info *info)
{
	struct sib_dev *sdev;
	int i;

	mutex_lock(&sib_fabric.lock);
	sdev = sib_dev_by_index(index);
	if (sdev) {
		info->guid = be64_to_cpu(sdev->port.guid);
		info->lid = sdev->port.lid;
		info->sm_lid = sdev->port.rvp.sm_lid;
		info->state = sdev->port.state;
		for (i = 0; i < SIB_NPKEYS; i++)
			info->pkeys[i] = sdev->port.pkeys[i];
	}
	mutex_unlock(&sib_fabric.lock);
	return sdev ? 0 : -ENODEV;
}
EXPORT_SYMBOL_GPL(sib_fabric_port_info);

int sib_fabric_set_lid(unsigned int index, u32 lid)
{
	struct sib_dev *sdev;
	int ret = 0;

	if (!lid || lid >= SIB_MLID_FIRST)
		return -EINVAL;
	mutex_lock(&sib_fabric.lock);
	sdev = sib_dev_by_index(index);
	if (!sdev) {
		ret = -ENODEV;
	} else if (sdev->port.lid != lid) {
		WRITE_ONCE(sdev->port.lid, lid);
		sib_port_event(sdev, IB_EVENT_LID_CHANGE);
	}
	mutex_unlock(&sib_fabric.lock);
	return ret;
}
EXPORT_SYMBOL_GPL(sib_fabric_set_lid);

int sib_fabric_set_sm_lid(unsigned int index, u32 sm_lid)
{
	struct sib_dev *sdev;
	int ret = 0;

	if (!sm_lid || sm_lid >= SIB_MLID_FIRST)
		return -EINVAL;
	mutex_lock(&sib_fabric.lock);
	sdev = sib_dev_by_index(index);
	if (!sdev) {
		ret = -ENODEV;
	} else if (sdev->port.rvp.sm_lid != sm_lid) {
		WRITE_ONCE(sdev->port.rvp.sm_lid, sm_lid);
		sib_port_event(sdev, IB_EVENT_SM_CHANGE);
	}
	mutex_unlock(&sib_fabric.lock);
	return ret;
}
EXPORT_SYMBOL_GPL(sib_fabric_set_sm_lid);

/* Called with sib_fabric.lock held. */
static void sib_port_set_state(struct sib_dev *sdev, enum ib_port_state state)
{
	enum ib_port_state old = sdev->port.state;

	if (old == state)
		return;
	WRITE_ONCE(sdev->port.state, state);
	if (state == IB_PORT_ACTIVE)
		sib_port_event(sdev, IB_EVENT_PORT_ACTIVE);
	else if (old == IB_PORT_ACTIVE)
		sib_port_event(sdev, IB_EVENT_PORT_ERR);
}

int sib_fabric_set_state(unsigned int index, enum ib_port_state state)
{
	struct sib_dev *sdev;

	if (state != IB_PORT_DOWN && state != IB_PORT_INIT &&
	    state != IB_PORT_ARMED && state != IB_PORT_ACTIVE)
		return -EINVAL;
	mutex_lock(&sib_fabric.lock);
	sdev = sib_dev_by_index(index);
	if (sdev)
		sib_port_set_state(sdev, state);
	mutex_unlock(&sib_fabric.lock);
	return sdev ? 0 : -ENODEV;
}
EXPORT_SYMBOL_GPL(sib_fabric_set_state);

int sib_fabric_set_pkey(unsigned int index, unsigned int pkey_index, u16 pkey)
{
	struct sib_dev *sdev;
	int ret = 0;

	if (pkey_index >= SIB_NPKEYS)
		return -EINVAL;
	mutex_lock(&sib_fabric.lock);
	sdev = sib_dev_by_index(index);
	if (!sdev) {
		ret = -ENODEV;
	} else if (sdev->port.pkeys[pkey_index] != pkey) {
		WRITE_ONCE(sdev->port.pkeys[pkey_index], pkey);
		sib_port_event(sdev, IB_EVENT_PKEY_CHANGE);
	}
	mutex_unlock(&sib_fabric.lock);
	return ret;
}
EXPORT_SYMBOL_GPL(sib_fabric_set_pkey);

int sib_fabric_reregister(unsigned int index)
{
	struct sib_dev *sdev;

	mutex_lock(&sib_fabric.lock);
	sdev = sib_dev_by_index(index);
	if (sdev)
		sib_port_event(sdev, IB_EVENT_CLIENT_REREGISTER);
	mutex_unlock(&sib_fabric.lock);
	if (!sdev)
		return -ENODEV;
	/*
	 * ib_dispatch_event() queues the event on ib_wq: return once the
	 * clients' handlers have seen it (the queue's work items only update
	 * state and queue more work; none waits for the SM).
	 */
	flush_workqueue(ib_wq);
	return 0;
}
EXPORT_SYMBOL_GPL(sib_fabric_reregister);

int sib_fabric_mft_set(u16 mlid, u64 ports)
{
	if (mlid < SIB_MLID_FIRST || mlid > SIB_MLID_LAST ||
	    ports >> sib_nports)
		return -EINVAL;
	return xa_err(xa_store(&sib_fabric.mft, mlid, xa_mk_value(ports),
			       GFP_KERNEL));
}
EXPORT_SYMBOL_GPL(sib_fabric_mft_set);

void sib_fabric_mft_clear(u16 mlid)
{
	xa_erase(&sib_fabric.mft, mlid);
}
EXPORT_SYMBOL_GPL(sib_fabric_mft_clear);

/* Unmanaging forgets the table: a new SM may give its MLIDs to other groups. */
void sib_fabric_mft_manage(bool managed)
{
	WRITE_ONCE(sib_fabric.mft_managed, managed);
	if (!managed) {
		unsigned long mlid;
		void *entry;

		xa_for_each(&sib_fabric.mft, mlid, entry)
			xa_erase(&sib_fabric.mft, mlid);
	}
}
EXPORT_SYMBOL_GPL(sib_fabric_mft_manage);

/* Devices */

static void sib_fill_attrs(struct sib_dev *sdev)
{
	struct rvt_dev_info *rdi = &sdev->rdi;
	struct ib_device_attr *props = &rdi->dparms.props;

	props->device_cap_flags = IB_DEVICE_BAD_PKEY_CNTR |
		IB_DEVICE_BAD_QKEY_CNTR | IB_DEVICE_SHUTDOWN_PORT |
		IB_DEVICE_SYS_IMAGE_GUID | IB_DEVICE_PORT_ACTIVE_EVENT;
	props->page_size_cap = PAGE_SIZE;
	props->vendor_id = 0x025349; /* locally administered */
	props->sys_image_guid = cpu_to_be64(SIB_GUID_BASE);
	props->max_mr_size = U64_MAX;
	props->max_qp = 16384;
	props->max_qp_wr = 16383;
	props->max_send_sge = 32;
	props->max_recv_sge = 32;
	props->max_sge_rd = 32;
	props->max_cq = 16384;
	props->max_cqe = 65535;
	props->max_ah = 65535;
	props->max_pd = 65535;
	props->max_srq = 1024;
	props->max_srq_wr = 16383;
	props->max_srq_sge = 32;
	props->max_pkeys = SIB_NPKEYS;
	props->max_mcast_grp = 16384;
	props->max_mcast_qp_attach = 16;
	props->max_total_mcast_qp_attach = 16384 * 16;
}

static struct sib_dev *sib_dev_create(unsigned int index)
{
	struct sib_dev *sdev;
	struct rvt_dev_info *rdi;
	struct sib_port *port;
	int ret;

	rdi = rvt_alloc_device(sizeof(*sdev), 1);
	if (!rdi)
		return ERR_PTR(-ENOMEM);
	sdev = container_of(rdi, struct sib_dev, rdi);
	sdev->index = index;
	port = &sdev->port;

	/* rdmavt logs with the name before registration */
	dev_set_name(&rdi->ibdev.dev, "sib%u", index);
	strscpy(rdi->ibdev.name, dev_name(&rdi->ibdev.dev), IB_DEVICE_NAME_MAX);

	port->guid = cpu_to_be64(SIB_GUID_BASE + index + 1);
	spin_lock_init(&port->rvp.lock);
	port->rvp.gid_prefix = cpu_to_be64(0xfe80000000000000ULL);
	port->rvp.port_cap_flags = IB_PORT_SYS_IMAGE_GUID_SUP |
		IB_PORT_CLIENT_REG_SUP | IB_PORT_SL_MAP_SUP |
		IB_PORT_TRAP_SUP | IB_PORT_AUTO_MIGR_SUP |
		IB_PORT_DR_NOTICE_SUP | IB_PORT_CAP_MASK_NOTICE_SUP |
		IB_PORT_OTHER_LOCAL_CHANGES_SUP;
	port->rvp.sm_lid = 1;
	port->rvp.subnet_timeout = 18;
	port->pkeys[0] = IB_DEFAULT_PKEY_FULL;
	port->lid = index + 1;
	port->state = IB_PORT_ACTIVE;
	if (index == 0)
		port->rvp.port_cap_flags |= IB_PORT_SM;

	/* ULPs name the parent (IPoIB's ethtool bus_info, for one) */
	rdi->ibdev.dev.parent = sib_fabric.root;
	rdi->ibdev.node_guid = port->guid;
	rdi->ibdev.phys_port_cnt = 1;
	rdi->ibdev.num_comp_vectors = 1;
	strscpy(rdi->ibdev.node_desc, init_utsname()->nodename,
		sizeof(rdi->ibdev.node_desc));
	ib_set_device_ops(&rdi->ibdev, &sib_dev_ops);
	sib_fill_attrs(sdev);

	rdi->driver_f.get_guid_be = sib_get_guid_be;
	rdi->driver_f.query_port_state = sib_query_port_state;
	rdi->driver_f.shut_down_port = sib_shut_down_port;
	rdi->driver_f.cap_mask_chg = sib_cap_mask_chg;
	rdi->driver_f.qp_priv_alloc = sib_qp_priv_alloc;
	rdi->driver_f.qp_priv_free = sib_qp_priv_free;
	rdi->driver_f.free_all_qps = sib_free_all_qps;
	rdi->driver_f.notify_qp_reset = sib_notify_qp_reset;
	rdi->driver_f.notify_restart_rc = sib_notify_restart_rc;
	rdi->driver_f.do_send = sib_do_send;
	rdi->driver_f.schedule_send = sib_schedule_send;
	rdi->driver_f.schedule_send_no_lock = sib_schedule_send_no_lock;
	rdi->driver_f.get_pmtu_from_attr = sib_get_pmtu_from_attr;
	rdi->driver_f.notify_error_qp = sib_notify_error_qp;
	rdi->driver_f.flush_qp_waiters = sib_flush_qp_waiters;
	rdi->driver_f.stop_send_queue = sib_stop_send_queue;
	rdi->driver_f.quiesce_qp = sib_quiesce_qp;
	rdi->driver_f.mtu_from_qp = sib_mtu_from_qp;
	rdi->driver_f.mtu_to_path_mtu = sib_mtu_to_path_mtu;

	rdi->dparms.qp_table_size = 256;
	rdi->dparms.qpn_start = 0;
	rdi->dparms.qpn_inc = 1;
	rdi->dparms.qpn_res_start = 0;
	rdi->dparms.qpn_res_end = 0;
	rdi->dparms.qos_shift = 1;
	rdi->dparms.psn_mask = 0xffffff;
	rdi->dparms.psn_shift = 8;
	rdi->dparms.psn_modify_mask = 0xffffff;
	rdi->dparms.core_cap_flags = RDMA_CORE_PORT_IBA_IB;
	rdi->dparms.max_mad_size = IB_MGMT_MAD_SIZE;
	rdi->dparms.lkey_table_size = 16;
	rdi->dparms.nports = 1;
	rdi->dparms.npkeys = SIB_NPKEYS;
	/* a real node: rdmavt takes a CQ's CPU from its mask */
	rdi->dparms.node = first_online_node;
	rdi->dparms.sge_copy_mode = RVT_SGE_COPY_MEMCPY;
	rdi->post_parms = sib_post_parms;
	rdi->wc_opcode = sib_wc_opcode;

	rvt_init_port(rdi, &port->rvp, 0, port->pkeys);

	ret = rvt_register_device(rdi);
	if (ret) {
		rvt_dealloc_device(rdi);
		return ERR_PTR(ret);
	}
	return sdev;
}

/*
 * Take every device off the switch first (after the grace period no send
 * work can reach one), then unregister them: that destroys their QPs and
 * so their send work, and rdmavt frees their QP tables.
 */
static void sib_fabric_destroy(struct sib_dev **devs, unsigned int n)
{
	unsigned int i;

	/* no reader of sib/<device>/mcast is left once this returns */
	debugfs_remove_recursive(sib_fabric.debugfs);
	mutex_lock(&sib_fabric.lock);
	for (i = 0; i < n; i++)
		list_del_rcu(&devs[i]->fabric_entry);
	mutex_unlock(&sib_fabric.lock);
	synchronize_rcu();
	for (i = 0; i < n; i++) {
		rvt_unregister_device(&devs[i]->rdi);
		rvt_dealloc_device(&devs[i]->rdi);
	}
}

static struct sib_dev *sib_devs[16];
static unsigned int sib_ndevs;

static int __init sib_init(void)
{
	struct sib_dev *sdev;
	int ret;

	if (!sib_nports || sib_nports > ARRAY_SIZE(sib_devs))
		return -EINVAL;

	mutex_init(&sib_fabric.lock);
	INIT_LIST_HEAD(&sib_fabric.devs);
	xa_init(&sib_fabric.mft);
	sib_fabric.root = root_device_register("sib");
	if (IS_ERR(sib_fabric.root))
		return PTR_ERR(sib_fabric.root);
	sib_fabric.wq = alloc_workqueue("sib", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!sib_fabric.wq) {
		root_device_unregister(sib_fabric.root);
		return -ENOMEM;
	}
	sib_fabric.debugfs = debugfs_create_dir("sib", NULL);

	for (sib_ndevs = 0; sib_ndevs < sib_nports; sib_ndevs++) {
		sdev = sib_dev_create(sib_ndevs);
		if (IS_ERR(sdev)) {
			ret = PTR_ERR(sdev);
			pr_err("sib: device %u: %pe\n", sib_ndevs, sdev);
			goto fail;
		}
		sib_devs[sib_ndevs] = sdev;
		sib_dev_debugfs(sdev);
		mutex_lock(&sib_fabric.lock);
		list_add_tail_rcu(&sdev->fabric_entry, &sib_fabric.devs);
		mutex_unlock(&sib_fabric.lock);
	}
	return 0;

fail:
	sib_fabric_destroy(sib_devs, sib_ndevs);
	destroy_workqueue(sib_fabric.wq);
	xa_destroy(&sib_fabric.mft);
	root_device_unregister(sib_fabric.root);
	return ret;
}

static void __exit sib_exit(void)
{
	sib_fabric_destroy(sib_devs, sib_ndevs);
	destroy_workqueue(sib_fabric.wq);
	xa_destroy(&sib_fabric.mft);
	root_device_unregister(sib_fabric.root);
}

module_init(sib_init);
module_exit(sib_exit);

MODULE_DESCRIPTION("Software InfiniBand fabric for tests, over rdmavt");
MODULE_LICENSE("GPL");
