// SPDX-License-Identifier: GPL-2.0
/*
 * The narrow C side of the Rust RoCE GID management (roce_gid_mgmt.rs and
 * roce_gid_mgmt/shim.rs): plain-signature access to ib_core's private GID
 * cache and device enumeration, and to the net device relations and address
 * lists that are inline functions or macros in C.
 */

#include <linux/inetdevice.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <net/addrconf.h>
#include <net/bonding.h>
#include <net/net_namespace.h>
#include <rdma/ib_addr.h>
#include <rdma/ib_cache.h>

#include "core_priv.h"
#include "ib_core_rust.h"

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

/* The net device of a RoCE port, held, or NULL. */
struct net_device *rdma_rs_roce_port_netdev(struct ib_device *ib_dev, u32 port)
{
	if (!rdma_protocol_roce(ib_dev, port))
		return NULL;
	return ib_device_get_netdev(ib_dev, port);
}

/* Net device relations; the caller holds the RCU read lock -------------- */

bool rdma_rs_is_upper_dev_rcu(struct net_device *dev, struct net_device *upper)
{
	return rdma_is_upper_dev_rcu(dev, upper);
}

struct net_device *rdma_rs_vlan_real_dev(struct net_device *dev)
{
	return rdma_vlan_dev_real_dev(dev);
}

struct net_device *rdma_rs_bond_active_slave_rcu(struct net_device *bond)
{
	if (!netif_is_bond_master(bond))
		return NULL;
	return bond_option_active_slave_get_rcu(netdev_priv(bond));
}

struct net_device *rdma_rs_master_upper_rcu(struct net_device *dev)
{
	return netdev_master_upper_dev_get_rcu(dev);
}

/* Net device enumeration ------------------------------------------------ */

/*
 * Calls @cb with each IPv4, then IPv6, address of @ndev (4 or 16 bytes), in
 * atomic context; nothing once @ndev is unregistering.
 */
void rdma_rs_ndev_walk_addrs(struct net_device *ndev,
			     void (*cb)(void *ctx, const u8 *addr, u32 len),
			     void *ctx)
{
	const struct in_ifaddr *ifa;
	struct inet6_ifaddr *ifp;
	struct inet6_dev *in6_dev;
	struct in_device *in_dev;

	if (ndev->reg_state >= NETREG_UNREGISTERING)
		return;

	rcu_read_lock();
	in_dev = __in_dev_get_rcu(ndev);
	if (in_dev)
		in_dev_for_each_ifa_rcu(ifa, in_dev)
			cb(ctx, (const u8 *)&ifa->ifa_address, 4);
	rcu_read_unlock();

	if (!IS_ENABLED(CONFIG_IPV6) || ndev->reg_state >= NETREG_UNREGISTERING)
		return;
	in6_dev = in6_dev_get(ndev);
	if (!in6_dev)
		return;
	read_lock_bh(&in6_dev->lock);
	list_for_each_entry(ifp, &in6_dev->addr_list, if_list)
		cb(ctx, ifp->addr.s6_addr, 16);
	read_unlock_bh(&in6_dev->lock);
	in6_dev_put(in6_dev);
}

struct rdma_rs_ndev_walk {
	void (*cb)(void *ctx, struct net_device *ndev);
	void *ctx;
};

static int rdma_rs_upper_walk_cb(struct net_device *upper,
				 struct netdev_nested_priv *priv)
{
	struct rdma_rs_ndev_walk *walk = priv->data;

	walk->cb(walk->ctx, upper);
	return 0;
}

/* Calls @cb for each upper device of @ndev, all levels, under RCU. */
void rdma_rs_ndev_walk_uppers(struct net_device *ndev,
			      void (*cb)(void *ctx, struct net_device *upper),
			      void *ctx)
{
	struct rdma_rs_ndev_walk walk = { .cb = cb, .ctx = ctx };
	struct netdev_nested_priv priv = { .data = &walk };

	rcu_read_lock();
	netdev_walk_all_upper_dev_rcu(ndev, rdma_rs_upper_walk_cb, &priv);
	rcu_read_unlock();
}

/*
 * Calls @cb for every net device of every namespace, under RTNL and
 * net_rwsem so that they cannot move between namespaces; @cb may sleep.
 */
void rdma_rs_walk_netdevs(void (*cb)(void *ctx, struct net_device *ndev),
			  void *ctx)
{
	struct net_device *ndev;
	struct net *net;

	rtnl_lock();
	down_read(&net_rwsem);
	for_each_net(net)
		for_each_netdev(net, ndev)
			cb(ctx, ndev);
	up_read(&net_rwsem);
	rtnl_unlock();
}
