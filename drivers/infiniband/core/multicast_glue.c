// SPDX-License-Identifier: GPL-2.0
/*
 * C glue of the Rust SA multicast piece (multicast.rs): ib_core's private
 * MCMemberRecord query and SA client counts (sa.h), and the address handle
 * inlines. multicast/ffi.rs wraps each function.
 */

#include <rdma/ib_cache.h>
#include <rdma/ib_mad.h>

#include "core_priv.h"
#include "multicast_rust.h"
#include "sa.h"

/* The piece's SA client, registered while the piece runs. */
static struct ib_sa_client rdma_rs_mcast_sa_client;

void rdma_rs_mcast_sa_client_register(void)
{
	ib_sa_register_client(&rdma_rs_mcast_sa_client);
}

void rdma_rs_mcast_sa_client_unregister(void)
{
	ib_sa_unregister_client(&rdma_rs_mcast_sa_client);
}

static void rdma_rs_mcast_join_done(int status, struct ib_sa_mcmember_rec *rec,
				    void *context)
{
	rdma_rs_mcast_sa_done(context, IB_MGMT_METHOD_SET, status,
			      status ? NULL : rec);
}

static void rdma_rs_mcast_leave_done(int status,
				     struct ib_sa_mcmember_rec *rec,
				     void *context)
{
	rdma_rs_mcast_sa_done(context, IB_SA_METHOD_DELETE, status, NULL);
}

int rdma_rs_mcast_sa_query(struct ib_device *dev, u32 port, u8 method,
			   struct ib_sa_mcmember_rec *rec, u64 comp_mask,
			   void *context)
{
	struct ib_sa_query *query;
	int ret;

	ret = ib_sa_mcmember_rec_query(&rdma_rs_mcast_sa_client, dev, port,
				       method, rec, (__force ib_sa_comp_mask)comp_mask,
				       3000, GFP_KERNEL,
				       method == IB_MGMT_METHOD_SET ?
				       rdma_rs_mcast_join_done :
				       rdma_rs_mcast_leave_done,
				       context, &query);
	return ret > 0 ? 0 : ret;
}

void rdma_rs_mcast_client_get(struct ib_sa_client *client)
{
	ib_sa_client_get(client);
}

void rdma_rs_mcast_client_put(struct ib_sa_client *client)
{
	ib_sa_client_put(client);
}

void rdma_rs_mcast_ah_init(struct rdma_ah_attr *ah_attr,
			   struct ib_device *dev, u32 port,
			   const struct ib_sa_mcmember_rec *rec,
			   const struct ib_gid_attr *sgid_attr)
{
	memset(ah_attr, 0, sizeof(*ah_attr));
	ah_attr->type = rdma_ah_find_type(dev, port);
	rdma_ah_set_dlid(ah_attr, be16_to_cpu(rec->mlid));
	rdma_ah_set_sl(ah_attr, rec->sl);
	rdma_ah_set_port_num(ah_attr, port);
	rdma_ah_set_static_rate(ah_attr, rec->rate);
	rdma_move_grh_sgid_attr(ah_attr, (union ib_gid *)&rec->mgid,
				be32_to_cpu(rec->flow_label), rec->hop_limit,
				rec->traffic_class, sgid_attr);
}
