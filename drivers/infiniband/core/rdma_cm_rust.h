/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Functions of rdma_cm's Rust half (rdma_cm_rust.rs), called from cma.c, and
 * the glue of cma.c they call back. The rdma_rs_cma_* entry points are only
 * called when CONFIG_INFINIBAND_RUST is set and rdma_cm.mcast_impl is "rust".
 */
#ifndef _RDMA_CM_RUST_H
#define _RDMA_CM_RUST_H

#include <rdma/rdma_cm.h>

struct net_device;
struct workqueue_struct;

/* cma_mcast/ffi.rs */
int rdma_rs_cma_mcast_init(void **state);
void rdma_rs_cma_mcast_exit(void *state);
int rdma_rs_cma_join_multicast(void *state, struct rdma_cm_id *id,
			       struct sockaddr *addr, u8 join_state,
			       void *context);
void rdma_rs_cma_leave_multicast(void *state, struct rdma_cm_id *id,
				 struct sockaddr *addr);
void rdma_rs_cma_leave_mc_groups(void *state, struct rdma_cm_id *id);

/* cma.c, for cma_mcast/ffi.rs */
bool rdma_rs_cma_addr_ready(struct rdma_cm_id *id);
void **rdma_rs_cma_mcast_slot(struct rdma_cm_id *id);
u32 rdma_rs_cma_gid_type(struct rdma_cm_id *id);
u32 rdma_rs_cma_qkey(struct rdma_cm_id *id);
void rdma_rs_cma_set_qkey(struct rdma_cm_id *id, u32 qkey);
bool rdma_rs_cma_handler_lock(struct rdma_cm_id *id);
void rdma_rs_cma_handler_unlock(struct rdma_cm_id *id);
int rdma_rs_cma_event_handler(struct rdma_cm_id *id,
			      struct rdma_cm_event *event);
int rdma_rs_cma_igmp_send(struct net_device *ndev, union ib_gid *mgid,
			  bool join);
struct workqueue_struct *rdma_rs_cma_wq(void);
struct ib_sa_client *rdma_rs_cma_sa_client(void);

#endif /* _RDMA_CM_RUST_H */
