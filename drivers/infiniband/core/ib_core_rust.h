/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Functions of ib_core's Rust half (ib_core_rust.rs), called from its C half,
 * and the C glue they call back (roce_gid_mgmt_glue.c). The rdma_rs_*
 * entry points are only called when CONFIG_INFINIBAND_RUST is set and the
 * piece's *_impl module parameter is "rust" (rdma_impl_is_rust()).
 */
#ifndef _IB_CORE_RUST_H
#define _IB_CORE_RUST_H

#include <linux/netdevice.h>
#include <rdma/ib_verbs.h>

/* roce_gid_mgmt.rs */
unsigned long rdma_rs_roce_gid_type_mask_support(struct ib_device *ib_dev,
						 u32 port);
int rdma_rs_roce_gid_mgmt_init(void **state);
void rdma_rs_roce_gid_mgmt_cleanup(void *state);
void rdma_rs_roce_rescan_device(struct ib_device *ib_dev);
void rdma_rs_roce_rescan_port(struct ib_device *ib_dev, u32 port);
void rdma_rs_roce_del_all_netdev_gids(struct ib_device *ib_dev, u32 port,
				      struct net_device *ndev);

/* roce_gid_mgmt_glue.c, for roce_gid_mgmt/shim.rs */
int rdma_rs_gid_add(struct ib_device *ib_dev, u32 port, const u8 *gid,
		    struct net_device *ndev, u32 gid_type);
int rdma_rs_gid_del(struct ib_device *ib_dev, u32 port, const u8 *gid,
		    struct net_device *ndev, u32 gid_type);
void rdma_rs_gid_set_default(struct ib_device *ib_dev, u32 port,
			     struct net_device *ndev,
			     unsigned long gid_type_mask, bool set);
void rdma_rs_gid_del_all_netdev(struct ib_device *ib_dev, u32 port,
				struct net_device *ndev);
void rdma_rs_walk_roce_ports(struct ib_device *ib_dev,
			     void (*cb)(void *ctx, struct ib_device *ib_dev,
					u32 port, struct net_device *rdma_ndev),
			     void *ctx);
struct net_device *rdma_rs_roce_port_netdev(struct ib_device *ib_dev,
					    u32 port);
bool rdma_rs_is_upper_dev_rcu(struct net_device *dev,
			      struct net_device *upper);
struct net_device *rdma_rs_vlan_real_dev(struct net_device *dev);
struct net_device *rdma_rs_bond_active_slave_rcu(struct net_device *bond);
struct net_device *rdma_rs_master_upper_rcu(struct net_device *dev);
void rdma_rs_ndev_walk_addrs(struct net_device *ndev,
			     void (*cb)(void *ctx, const u8 *addr, u32 len),
			     void *ctx);
void rdma_rs_ndev_walk_uppers(struct net_device *ndev,
			      void (*cb)(void *ctx, struct net_device *upper),
			      void *ctx);
void rdma_rs_walk_netdevs(void (*cb)(void *ctx, struct net_device *ndev),
			  void *ctx);

#endif /* _IB_CORE_RUST_H */
