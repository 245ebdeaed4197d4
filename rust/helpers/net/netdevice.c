// SPDX-License-Identifier: GPL-2.0

#include <linux/if_vlan.h>
#include <linux/inetdevice.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <net/addrconf.h>
#include <net/bonding.h>
#include <net/net_namespace.h>

__rust_helper void rust_helper_dev_hold(struct net_device *dev)
{
	dev_hold(dev);
}

__rust_helper void rust_helper_dev_put(struct net_device *dev)
{
	dev_put(dev);
}

__rust_helper bool rust_helper_netif_is_bond_master(const struct net_device *dev)
{
	return netif_is_bond_master(dev);
}

__rust_helper bool rust_helper_netif_is_bond_slave(const struct net_device *dev)
{
	return netif_is_bond_slave(dev);
}

/* The real device of a VLAN device, NULL for any other device. */
__rust_helper struct net_device *
rust_helper_netdev_vlan_real_dev(const struct net_device *dev)
{
	return is_vlan_dev(dev) ? vlan_dev_real_dev(dev) : NULL;
}

/* The active slave of a bonding master; the caller holds the RCU read lock. */
__rust_helper struct net_device *
rust_helper_netdev_bond_active_slave_rcu(struct net_device *bond)
{
	return bond_option_active_slave_get_rcu(netdev_priv(bond));
}

/* The first IPv4 address of @dev; the caller holds the RCU read lock. */
__rust_helper const struct in_ifaddr *
rust_helper_netdev_ifa_first_rcu(const struct net_device *dev)
{
	const struct in_device *in_dev = __in_dev_get_rcu(dev);

	return in_dev ? rcu_dereference(in_dev->ifa_list) : NULL;
}

/* The next IPv4 address after @ifa; the caller holds the RCU read lock. */
__rust_helper const struct in_ifaddr *
rust_helper_netdev_ifa_next_rcu(const struct in_ifaddr *ifa)
{
	return rcu_dereference(ifa->ifa_next);
}

/*
 * Calls @cb with each IPv6 address of @dev (16 bytes), under the device's
 * address list lock: @cb must not sleep. Nothing once @dev is unregistering.
 */
__rust_helper void
rust_helper_netdev_for_each_ipv6_addr(struct net_device *dev,
				      void (*cb)(void *ctx, const u8 *addr),
				      void *ctx)
{
	struct inet6_ifaddr *ifp;
	struct inet6_dev *idev;

	if (!IS_ENABLED(CONFIG_IPV6) || dev->reg_state >= NETREG_UNREGISTERING)
		return;
	idev = in6_dev_get(dev);
	if (!idev)
		return;
	read_lock_bh(&idev->lock);
	list_for_each_entry(ifp, &idev->addr_list, if_list)
		cb(ctx, ifp->addr.s6_addr);
	read_unlock_bh(&idev->lock);
	in6_dev_put(idev);
}

/*
 * Calls @cb for every net device of every namespace, under RTNL and net_rwsem
 * so that no device moves between namespaces meanwhile; @cb may sleep.
 */
__rust_helper void
rust_helper_netdev_walk_all_nets(void (*cb)(void *ctx, struct net_device *dev),
				 void *ctx)
{
	struct net_device *dev;
	struct net *net;

	rtnl_lock();
	down_read(&net_rwsem);
	for_each_net(net)
		for_each_netdev(net, dev)
			cb(ctx, dev);
	up_read(&net_rwsem);
	rtnl_unlock();
}
