// SPDX-License-Identifier: GPL-2.0

#include <linux/netdevice.h>

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
