/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Functions of ib_core's Rust half (ib_core_rust.rs), called from its C half,
 * and the C glue they call back (roce_gid_mgmt_glue.c, multicast_glue.c).
 * The rdma_rs_*
 * entry points are only called when CONFIG_INFINIBAND_RUST is set and the
 * piece's *_impl module parameter is "rust" (rdma_impl_is_rust()).
 */
#ifndef _IB_CORE_RUST_H
#define _IB_CORE_RUST_H

#include <linux/netdevice.h>
#include <rdma/ib_sa.h>
#include <rdma/ib_verbs.h>

struct seq_file;

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

/* multicast.rs */
struct ib_sa_multicast *
rdma_rs_sa_join_multicast(struct ib_sa_client *client, struct ib_device *device,
			  u32 port_num, struct ib_sa_mcmember_rec *rec,
			  u64 comp_mask, gfp_t gfp_mask,
			  int (*callback)(int status,
					  struct ib_sa_multicast *multicast),
			  void *context);
void rdma_rs_sa_free_multicast(struct ib_sa_multicast *multicast);
int rdma_rs_sa_get_mcmember_rec(struct ib_device *device, u32 port_num,
				union ib_gid *mgid,
				struct ib_sa_mcmember_rec *rec);
int rdma_rs_init_ah_from_mcmember(struct ib_device *device, u32 port_num,
				  struct ib_sa_mcmember_rec *rec,
				  struct net_device *ndev,
				  enum ib_gid_type gid_type,
				  struct rdma_ah_attr *ah_attr);
int rdma_rs_sa_mcast_init(void **state);
void rdma_rs_sa_mcast_cleanup(void *state);
s64 rdma_rs_sa_mcast_bench(bool groups, u64 n);
void rdma_rs_mcast_sa_done(void *context, u8 method, int status,
			   const struct ib_sa_mcmember_rec *rec);
int rdma_rs_mcast_show(struct seq_file *seq, void *data);

/* multicast_glue.c, for multicast/shim.rs */
void rdma_rs_mcast_glue_init(void);
void rdma_rs_mcast_glue_exit(void);
int rdma_rs_mcast_sa_query(struct ib_device *dev, u32 port, u8 method,
			   struct ib_sa_mcmember_rec *rec, u64 comp_mask,
			   void *context);
void rdma_rs_mcast_client_get(struct ib_sa_client *client);
void rdma_rs_mcast_client_put(struct ib_sa_client *client);
void rdma_rs_mcast_ah_init(struct rdma_ah_attr *ah_attr,
			   struct ib_device *dev, u32 port,
			   const struct ib_sa_mcmember_rec *rec,
			   const struct ib_gid_attr *sgid_attr);
void *rdma_rs_mcast_debugfs_add(struct ib_device *dev, void *data);
void rdma_rs_mcast_debugfs_remove(void *dentry);

#endif /* _IB_CORE_RUST_H */
