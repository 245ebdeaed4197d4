/* SPDX-License-Identifier: GPL-2.0 */
/*
 * RoCE GID management in Rust (roce_gid_mgmt.rs, part of ib_core_rust.rs):
 * the functions roce_gid_mgmt.c calls, only when CONFIG_INFINIBAND_RUST is set
 * and ib_core.roce_gid_impl is "rust", and the C glue of
 * roce_gid_mgmt_glue.c they call back. Read by bindgen.
 */
#ifndef _ROCE_GID_MGMT_RUST_H
#define _ROCE_GID_MGMT_RUST_H

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

/* roce_gid_mgmt_glue.c, for roce_gid_mgmt/ffi.rs */
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

#endif /* _ROCE_GID_MGMT_RUST_H */
