/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SA multicast join/leave counting in Rust (multicast.rs, part of
 * ib_core_rust.rs): the functions multicast.c calls, only when
 * CONFIG_INFINIBAND_RUST is set and ib_core.sa_mcast_impl is "rust", and the
 * C glue of multicast_glue.c they call back. Read by bindgen.
 */
#ifndef _MULTICAST_RUST_H
#define _MULTICAST_RUST_H

#include <linux/netdevice.h>
#include <rdma/ib_sa.h>
#include <rdma/ib_verbs.h>

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
void rdma_rs_mcast_sa_done(void *context, u8 method, int status,
			   const struct ib_sa_mcmember_rec *rec);

/* multicast/bench.rs, with CONFIG_RDMA_RS_BENCH */
s64 rdma_rs_sa_mcast_bench(bool groups, u64 n);
int rdma_rs_sync_bench(u64 n);

/* multicast_glue.c, for multicast/ffi.rs */
void rdma_rs_mcast_sa_client_register(void);
void rdma_rs_mcast_sa_client_unregister(void);
int rdma_rs_mcast_sa_query(struct ib_device *dev, u32 port, u8 method,
			   struct ib_sa_mcmember_rec *rec, u64 comp_mask,
			   void *context);
void rdma_rs_mcast_client_get(struct ib_sa_client *client);
void rdma_rs_mcast_client_put(struct ib_sa_client *client);
void rdma_rs_mcast_ah_init(struct rdma_ah_attr *ah_attr,
			   struct ib_device *dev, u32 port,
			   const struct ib_sa_mcmember_rec *rec,
			   const struct ib_gid_attr *sgid_attr);

#endif /* _MULTICAST_RUST_H */
