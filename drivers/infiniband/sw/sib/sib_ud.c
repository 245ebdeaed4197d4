// SPDX-License-Identifier: GPL-2.0
/*
 * sib: the UD send engine and the switch.
 *
 * A QP's sends run in its work item on the fabric's work queue, one at a
 * time. Each send work request is copied into a packet, then completed,
 * then the packet is switched: to the port of its destination LID, or to
 * the ports of its multicast LID. The order matters to ib_mad: a response
 * matches its request only once the request's send completion has been
 * handled, and ib_mad handles a port's completions in order from one CQ,
 * so the request's completion is queued before the request reaches anyone
 * who could answer it.
 */

#include <linux/slab.h>
#include <rdma/ib_mad.h>
#include <rdma/rdmavt_mr.h>

#include "sib.h"

static bool sib_is_mlid(u16 lid)
{
	return lid >= SIB_MLID_FIRST && lid <= SIB_MLID_LAST;
}

/* Whether a packet of P_Key @pkey passes a port's P_Key table @entry. */
static bool sib_pkey_match(u16 entry, u16 pkey)
{
	/* the same partition; two limited members do not talk */
	return (entry & 0x7fff) && (entry & 0x7fff) == (pkey & 0x7fff) &&
		((entry & 0x8000) || (pkey & 0x8000));
}

/* The index of the entry of @port's table that @pkey passes, or -1. */
static int sib_pkey_index(const struct sib_port *port, u16 pkey)
{
	int i;

	for (i = 0; i < SIB_NPKEYS; i++)
		if (sib_pkey_match(READ_ONCE(port->pkeys[i]), pkey))
			return i;
	return -1;
}

/* Deliver @pkt to @qp of @sdev; called under RCU. */
static void sib_deliver(struct sib_dev *sdev, struct rvt_qp *qp,
			const struct sib_packet *pkt)
{
	struct sib_port *port = &sdev->port;
	enum ib_qp_type dqpt;
	unsigned long flags;
	struct ib_wc wc;
	int pkey_index;
	int ret;

	dqpt = qp->ibqp.qp_type == IB_QPT_GSI || qp->ibqp.qp_type == IB_QPT_SMI ?
		IB_QPT_UD : qp->ibqp.qp_type;
	if (dqpt != IB_QPT_UD)
		goto drop;

	/* P_Key: none for QP0; QP1 takes any of its port's; a UD QP its own */
	pkey_index = 0;
	if (qp->ibqp.qp_num) {
		if (qp->ibqp.qp_num == 1)
			pkey_index = sib_pkey_index(port, pkt->pkey);
		else if (qp->s_pkey_index < SIB_NPKEYS &&
			 sib_pkey_match(READ_ONCE(port->pkeys[qp->s_pkey_index]),
					pkt->pkey))
			pkey_index = qp->s_pkey_index;
		else
			pkey_index = -1;
		if (pkey_index < 0) {
			port->rvp.pkey_violations++;
			goto drop;
		}
		/* Q_Key: all but QP0 (IBA 9.6.1.4.1) */
		if (pkt->qkey != qp->qkey) {
			port->rvp.qkey_violations++;
			goto drop;
		}
	}

	memset(&wc, 0, sizeof(wc));
	wc.byte_len = pkt->len + sizeof(struct ib_grh);
	if (pkt->with_imm) {
		wc.wc_flags = IB_WC_WITH_IMM;
		wc.ex.imm_data = pkt->imm;
	}

	spin_lock_irqsave(&qp->r_lock, flags);
	/*
	 * The state under r_lock: rvt_error_qp() releases r_sge under it and
	 * leaves RVT_R_REUSE_SGE set.
	 */
	if (!(ib_rvt_state_ops[qp->state] & RVT_PROCESS_RECV_OK))
		goto unlock_drop;
	if (qp->r_flags & RVT_R_REUSE_SGE) {
		qp->r_flags &= ~RVT_R_REUSE_SGE;
	} else {
		ret = rvt_get_rwqe(qp, false);
		if (ret < 0) {
			rvt_rc_error(qp, IB_WC_LOC_QP_OP_ERR);
			goto unlock_drop;
		}
		if (!ret) {
			if (!qp->ibqp.qp_num)
				port->rvp.n_vl15_dropped++;
			goto unlock_drop;
		}
	}
	/* too big for the receive buffer: dropped, the buffer kept */
	if (wc.byte_len > qp->r_len) {
		qp->r_flags |= RVT_R_REUSE_SGE;
		goto unlock_drop;
	}
	/* the 40 bytes of a GRH precede the data, present or not */
	if (pkt->has_grh) {
		rvt_copy_sge(qp, &qp->r_sge, (void *)&pkt->grh, sizeof(pkt->grh),
			     true, false);
		wc.wc_flags |= IB_WC_GRH;
	} else {
		rvt_skip_sge(&qp->r_sge, sizeof(struct ib_grh), true);
	}
	if (pkt->len)
		rvt_copy_sge(qp, &qp->r_sge, (void *)pkt->data, pkt->len, true,
			     false);
	rvt_put_ss(&qp->r_sge);
	if (!test_and_clear_bit(RVT_R_WRID_VALID, &qp->r_aflags))
		goto unlock;
	wc.wr_id = qp->r_wr_id;
	wc.status = IB_WC_SUCCESS;
	wc.opcode = IB_WC_RECV;
	wc.qp = &qp->ibqp;
	wc.src_qp = pkt->src_qpn;
	wc.pkey_index = pkey_index;
	wc.slid = pkt->slid;
	wc.sl = pkt->sl;
	wc.dlid_path_bits = sib_is_mlid(pkt->dlid) ? 0 :
		pkt->dlid & ((1 << port->lmc) - 1);
	wc.port_num = qp->port_num;
	rvt_recv_cq(qp, &wc, pkt->solicited);
	port->rvp.n_loop_pkts++;
unlock:
	spin_unlock_irqrestore(&qp->r_lock, flags);
	return;

unlock_drop:
	spin_unlock_irqrestore(&qp->r_lock, flags);
drop:
	port->rvp.n_pkt_drops++;
}

/* Whether the switch forwards multicast LID @mlid to @sdev's port. */
static bool sib_mft_allows(struct sib_dev *sdev, u16 mlid)
{
	void *entry;

	if (!READ_ONCE(sib_fabric.mft_managed))
		return true;
	entry = xa_load(&sib_fabric.mft, mlid);
	return entry && (xa_to_value(entry) & BIT(sdev->index));
}

/* The switch; called under RCU. */
static void sib_switch(const struct sib_packet *pkt)
{
	struct sib_dev *sdev;
	struct rvt_qp *qp;

	/* a packet no port takes is lost, as on a wire */
	if (sib_is_mlid(pkt->dlid)) {
		if (!pkt->has_grh)
			return;
		list_for_each_entry_rcu(sdev, &sib_fabric.devs, fabric_entry) {
			struct rvt_mcast *mcast;
			struct rvt_mcast_qp *p;

			if (READ_ONCE(sdev->port.state) != IB_PORT_ACTIVE ||
			    !sib_mft_allows(sdev, pkt->dlid))
				continue;
			mcast = rvt_mcast_find(&sdev->port.rvp,
					       (union ib_gid *)&pkt->grh.dgid,
					       pkt->dlid);
			if (!mcast)
				continue;
			list_for_each_entry_rcu(p, &mcast->qp_list, list)
				sib_deliver(sdev, p->qp, pkt);
			/*
			 * Let rvt_detach_mcast() go on. It frees the group
			 * after an RCU grace period (patched rdmavt), and this
			 * runs under rcu_read_lock(), so the wake_up() after
			 * the last reference is not a use after free.
			 */
			if (atomic_dec_return(&mcast->refcount) <= 1)
				wake_up(&mcast->wait);
		}
		return;
	}

	list_for_each_entry_rcu(sdev, &sib_fabric.devs, fabric_entry) {
		struct sib_port *port = &sdev->port;
		u32 lid = READ_ONCE(port->lid);

		if (!lid || (pkt->dlid & ~((1 << port->lmc) - 1)) != lid)
			continue;
		/* a port not ACTIVE takes only subnet management packets */
		if (READ_ONCE(port->state) != IB_PORT_ACTIVE && pkt->dest_qpn)
			return;
		qp = rvt_lookup_qpn(&sdev->rdi, &port->rvp, pkt->dest_qpn);
		if (qp)
			sib_deliver(sdev, qp, pkt);
		return;
	}
}

/*
 * Copy the send work request @wqe of @qp into a packet. NULL and a status
 * for a request that fails locally; NULL and IB_WC_SUCCESS for one the wire
 * loses.
 */
static struct sib_packet *sib_packetize(struct rvt_qp *qp,
					struct rvt_swqe *wqe,
					enum ib_wc_status *status)
{
	struct sib_dev *sdev = to_sib_dev(qp->ibqp.device);
	struct sib_port *port = &sdev->port;
	struct rdma_ah_attr *ah_attr = rvt_get_swqe_ah_attr(wqe);
	struct rvt_sge_state ss;
	struct sib_packet *pkt;
	u32 len = wqe->length, off = 0;
	u16 pkey_index;

	*status = IB_WC_SUCCESS;
	if (wqe->wr.opcode != IB_WR_SEND &&
	    wqe->wr.opcode != IB_WR_SEND_WITH_IMM) {
		*status = IB_WC_LOC_QP_OP_ERR;
		return NULL;
	}
	if (len > ib_mtu_enum_to_int(SIB_MTU)) {
		*status = IB_WC_LOC_LEN_ERR;
		return NULL;
	}
	if (qp->ibqp.qp_num && READ_ONCE(port->state) != IB_PORT_ACTIVE)
		return NULL;

	/* the queue may serve reclaim (NFS over IPoIB): no I/O */
	pkt = kmalloc(struct_size(pkt, data, len), GFP_NOIO);
	if (!pkt)
		return NULL;
	pkt->len = len;
	pkt->src_qpn = qp->ibqp.qp_num;
	pkt->dest_qpn = rvt_get_swqe_remote_qpn(wqe);
	pkt->qkey = (int)rvt_get_swqe_remote_qkey(wqe) < 0 ?
		qp->qkey : rvt_get_swqe_remote_qkey(wqe);
	pkt->dlid = rdma_ah_get_dlid(ah_attr);
	pkt->slid = READ_ONCE(port->lid) |
		(rdma_ah_get_path_bits(ah_attr) & ((1 << port->lmc) - 1));
	pkey_index = qp->ibqp.qp_type == IB_QPT_GSI ||
		qp->ibqp.qp_type == IB_QPT_SMI ?
		rvt_get_swqe_pkey_index(wqe) : qp->s_pkey_index;
	pkt->pkey = pkey_index < SIB_NPKEYS ?
		READ_ONCE(port->pkeys[pkey_index]) : 0;
	pkt->sl = rdma_ah_get_sl(ah_attr);
	pkt->solicited = wqe->wr.send_flags & IB_SEND_SOLICITED;
	pkt->with_imm = wqe->wr.opcode == IB_WR_SEND_WITH_IMM;
	pkt->imm = wqe->wr.ex.imm_data;
	pkt->has_grh = rdma_ah_get_ah_flags(ah_attr) & IB_AH_GRH;
	memset(&pkt->grh, 0, sizeof(pkt->grh));
	if (pkt->has_grh) {
		const struct ib_global_route *grh = rdma_ah_read_grh(ah_attr);

		pkt->grh.version_tclass_flow =
			cpu_to_be32((IB_GRH_VERSION << IB_GRH_VERSION_SHIFT) |
				    (grh->traffic_class << IB_GRH_TCLASS_SHIFT) |
				    (grh->flow_label & IB_GRH_FLOW_MASK));
		/* BTH, DETH, payload and ICRC */
		pkt->grh.paylen = cpu_to_be16(12 + 8 + len + 4);
		pkt->grh.next_hdr = IB_GRH_NEXT_HDR;
		pkt->grh.hop_limit = grh->hop_limit;
		pkt->grh.sgid.global.subnet_prefix = port->rvp.gid_prefix;
		pkt->grh.sgid.global.interface_id = port->guid;
		pkt->grh.dgid = grh->dgid;
	}

	ss.sg_list = wqe->sg_list + 1;
	ss.sge = wqe->sg_list[0];
	ss.num_sge = wqe->wr.num_sge;
	while (off < len) {
		u32 n = rvt_get_sge_length(&ss.sge, len - off);

		if (WARN_ON_ONCE(!n))
			break;
		memcpy(pkt->data + off, ss.sge.vaddr, n);
		rvt_update_sge(&ss, n, false);
		off += n;
	}
	return pkt;
}

static void sib_send(struct rvt_qp *qp)
{
	struct sib_packet *pkt;
	enum ib_wc_status status;
	struct rvt_swqe *wqe;
	unsigned long flags;

	spin_lock_irqsave(&qp->s_lock, flags);
	while (qp->s_last != READ_ONCE(qp->s_head)) {
		wqe = rvt_get_swqe_ptr(qp, qp->s_last);
		if (!(ib_rvt_state_ops[qp->state] & RVT_PROCESS_NEXT_SEND_OK)) {
			if (!(ib_rvt_state_ops[qp->state] & RVT_FLUSH_SEND))
				break;
			rvt_send_complete(qp, wqe, IB_WC_WR_FLUSH_ERR);
			continue;
		}
		/* s_cur past s_last: the entry is in progress */
		if (qp->s_last == qp->s_cur && ++qp->s_cur >= qp->s_size)
			qp->s_cur = 0;
		spin_unlock_irqrestore(&qp->s_lock, flags);

		pkt = sib_packetize(qp, wqe, &status);

		spin_lock_irqsave(&qp->s_lock, flags);
		rvt_send_complete(qp, wqe, status);
		if (!pkt)
			continue;
		spin_unlock_irqrestore(&qp->s_lock, flags);
		rcu_read_lock();
		sib_switch(pkt);
		rcu_read_unlock();
		kfree(pkt);
		cond_resched();
		spin_lock_irqsave(&qp->s_lock, flags);
	}
	spin_unlock_irqrestore(&qp->s_lock, flags);
}

void sib_send_work(struct work_struct *work)
{
	struct sib_qp_priv *priv = container_of(work, struct sib_qp_priv,
						send_work);
	struct rvt_qp *qp = priv->qp;

	sib_send(qp);
	rvt_put_qp(qp);
}

/* Queue the QP's send work; it holds a QP reference while queued. */
bool sib_schedule_send(struct rvt_qp *qp)
{
	struct sib_qp_priv *priv = qp->priv;

	rvt_get_qp(qp);
	if (queue_work(sib_fabric.wq, &priv->send_work))
		return true;
	rvt_put_qp(qp);
	return false;
}

/* rdmavt's direct kick (post_send of one request): sends run in the work. */
void sib_do_send(struct rvt_qp *qp)
{
	sib_schedule_send(qp);
}
