// SPDX-License-Identifier: GPL-2.0
/*
 * The narrow C side of the Rust RoCE GID management (roce_gid_mgmt.rs and
 * roce_gid_mgmt/ffi.rs): plain-signature access to ib_core's private GID
 * cache and device enumeration (core_priv.h).
 */

#include <linux/netdevice.h>
#include <rdma/ib_cache.h>

#include "core_priv.h"
#include "roce_gid_mgmt_rust.h"

/* GID cache ------------------------------------------------------------- */

static void rdma_rs_gid_attr(struct ib_gid_attr *attr, struct net_device *ndev,
			     enum ib_gid_type type)
{
	memset(attr, 0, sizeof(*attr));
	attr->ndev = ndev;
	attr->gid_type = type;
}

int rdma_rs_gid_add(struct ib_device *ib_dev, u32 port, const u8 *gid,
		    struct net_device *ndev, u32 gid_type)
{
	struct ib_gid_attr attr;
	union ib_gid g;

	memcpy(g.raw, gid, sizeof(g.raw));
	rdma_rs_gid_attr(&attr, ndev, gid_type);
	return ib_cache_gid_add(ib_dev, port, &g, &attr);
}

int rdma_rs_gid_del(struct ib_device *ib_dev, u32 port, const u8 *gid,
		    struct net_device *ndev, u32 gid_type)
{
	struct ib_gid_attr attr;
	union ib_gid g;

	memcpy(g.raw, gid, sizeof(g.raw));
	rdma_rs_gid_attr(&attr, ndev, gid_type);
	return ib_cache_gid_del(ib_dev, port, &g, &attr);
}

void rdma_rs_gid_set_default(struct ib_device *ib_dev, u32 port,
			     struct net_device *ndev,
			     unsigned long gid_type_mask, bool set)
{
	ib_cache_gid_set_default_gid(ib_dev, port, ndev, gid_type_mask,
				     set ? IB_CACHE_GID_DEFAULT_MODE_SET :
					   IB_CACHE_GID_DEFAULT_MODE_DELETE);
}

void rdma_rs_gid_del_all_netdev(struct ib_device *ib_dev, u32 port,
				struct net_device *ndev)
{
	ib_cache_gid_del_all_netdev_gids(ib_dev, port, ndev);
}

/* RoCE ports ------------------------------------------------------------ */

struct rdma_rs_port_walk {
	void (*cb)(void *ctx, struct ib_device *ib_dev, u32 port,
		   struct net_device *rdma_ndev);
	void *ctx;
};

static bool rdma_rs_pass_all(struct ib_device *ib_dev, u32 port,
			     struct net_device *rdma_ndev, void *cookie)
{
	return true;
}

static void rdma_rs_port_walk_cb(struct ib_device *ib_dev, u32 port,
				 struct net_device *rdma_ndev, void *cookie)
{
	struct rdma_rs_port_walk *walk = cookie;

	walk->cb(walk->ctx, ib_dev, port, rdma_ndev);
}

/*
 * Calls @cb for each RoCE port of @ib_dev, or of every registered device if
 * @ib_dev is NULL, with the port's net device (or NULL) held.
 */
void rdma_rs_walk_roce_ports(struct ib_device *ib_dev,
			     void (*cb)(void *ctx, struct ib_device *ib_dev,
					u32 port, struct net_device *rdma_ndev),
			     void *ctx)
{
	struct rdma_rs_port_walk walk = { .cb = cb, .ctx = ctx };

	if (ib_dev)
		ib_enum_roce_netdev(ib_dev, rdma_rs_pass_all, NULL,
				    rdma_rs_port_walk_cb, &walk);
	else
		ib_enum_all_roce_netdevs(rdma_rs_pass_all, NULL,
					 rdma_rs_port_walk_cb, &walk);
}
