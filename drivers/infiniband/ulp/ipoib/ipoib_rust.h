/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The IPoIB multicast join task in Rust (mcast.rs, part of ipoib_rust.rs):
 * the functions ipoib_multicast.c calls for an interface that runs it
 * (ib_ipoib.mcast_impl=rust when the interface was created), and the C glue
 * of ipoib_multicast.c they call back. Read by bindgen.
 */
#ifndef _IPOIB_RUST_H
#define _IPOIB_RUST_H

#include <linux/types.h>
#include <rdma/ib_sa.h>
#include <rdma/ib_verbs.h>

struct ipoib_dev_priv;
struct ipoib_mcast;
struct ipoib_mcast_rs;
struct list_head;
struct sk_buff;

/*
 * mcast.rs; without CONFIG_INFINIBAND_RUST no interface has an engine and
 * these are never called.
 */
#if IS_ENABLED(CONFIG_INFINIBAND_RUST)
struct ipoib_mcast_rs *rdma_rs_ipoib_mcast_new(struct ipoib_dev_priv *priv);
void rdma_rs_ipoib_mcast_free(struct ipoib_mcast_rs *engine);
void rdma_rs_ipoib_mcast_join_task(struct ipoib_mcast_rs *engine);
void rdma_rs_ipoib_mcast_restart_task(struct ipoib_mcast_rs *engine);
void rdma_rs_ipoib_mcast_start(struct ipoib_mcast_rs *engine);
void rdma_rs_ipoib_mcast_flush(struct ipoib_mcast_rs *engine);
void rdma_rs_ipoib_mcast_send(struct ipoib_mcast_rs *engine, u8 *daddr,
			      struct sk_buff *skb);
void rdma_rs_ipoib_mcast_take_sendonly(struct ipoib_mcast_rs *engine,
				       const u8 *mgid,
				       struct list_head *remove_list);
void rdma_rs_ipoib_mcast_remove_list(struct ipoib_mcast_rs *engine,
				     struct list_head *remove_list);
int rdma_rs_ipoib_mcast_next(struct ipoib_mcast_rs *engine, u8 *mgid,
			     unsigned long *created, unsigned int *queuelen,
			     unsigned int *complete, unsigned int *send_only);
#else
static inline struct ipoib_mcast_rs *
rdma_rs_ipoib_mcast_new(struct ipoib_dev_priv *priv) { return NULL; }
static inline void rdma_rs_ipoib_mcast_free(struct ipoib_mcast_rs *engine) {}
static inline void rdma_rs_ipoib_mcast_join_task(struct ipoib_mcast_rs *engine) {}
static inline void rdma_rs_ipoib_mcast_restart_task(struct ipoib_mcast_rs *engine) {}
static inline void rdma_rs_ipoib_mcast_start(struct ipoib_mcast_rs *engine) {}
static inline void rdma_rs_ipoib_mcast_flush(struct ipoib_mcast_rs *engine) {}
static inline void rdma_rs_ipoib_mcast_send(struct ipoib_mcast_rs *engine,
					    u8 *daddr, struct sk_buff *skb) {}
static inline void
rdma_rs_ipoib_mcast_take_sendonly(struct ipoib_mcast_rs *engine, const u8 *mgid,
				  struct list_head *remove_list) {}
static inline void
rdma_rs_ipoib_mcast_remove_list(struct ipoib_mcast_rs *engine,
				struct list_head *remove_list) {}
static inline int
rdma_rs_ipoib_mcast_next(struct ipoib_mcast_rs *engine, u8 *mgid,
			 unsigned long *created, unsigned int *queuelen,
			 unsigned int *complete, unsigned int *send_only)
{
	return 1;
}
#endif

/* ipoib_multicast.c */
unsigned long ipoib_rs_jiffies(void);
struct ib_sa_client *ipoib_rs_sa_client(void);
const char *ipoib_rs_mcast_name(struct ipoib_dev_priv *priv);
bool ipoib_rs_mcast_warn_ratelimit(void);
bool ipoib_rs_mcast_dbg_on(void);
struct ib_device *ipoib_rs_mcast_ca(struct ipoib_dev_priv *priv, u32 *port);
struct ipoib_mcast *ipoib_rs_mcast_alloc(struct ipoib_dev_priv *priv,
					 const u8 *mgid, bool sendonly);
void ipoib_rs_mcast_free(struct ipoib_mcast *mcast);
bool ipoib_rs_mcast_allowed(struct ipoib_dev_priv *priv);
bool ipoib_rs_mcast_port_ready(struct ipoib_dev_priv *priv);
void ipoib_rs_mcast_ids(struct ipoib_dev_priv *priv, u8 *broadcast_mgid,
			u8 *port_gid, u16 *pkey);
void ipoib_rs_mcast_schedule(struct ipoib_dev_priv *priv, unsigned long delay);
void ipoib_rs_mcast_carrier_on(struct ipoib_dev_priv *priv);
int ipoib_rs_mcast_finish(struct ipoib_mcast *mcast,
			  const struct ib_sa_mcmember_rec *rec, bool attach,
			  bool *attached);
void ipoib_rs_mcast_send_queued(struct ipoib_mcast *mcast);
void ipoib_rs_mcast_detach(struct ipoib_mcast *mcast);
unsigned int ipoib_rs_mcast_queue_len(struct ipoib_mcast *mcast);
void ipoib_rs_mcast_enqueue(struct ipoib_mcast *mcast, struct sk_buff *skb);
void ipoib_rs_mcast_drop_skb(struct ipoib_dev_priv *priv, struct sk_buff *skb);
void ipoib_rs_mcast_drop_queue(struct ipoib_mcast *mcast);
void ipoib_rs_mcast_transmit(struct ipoib_mcast *mcast, u8 *daddr,
			     struct sk_buff *skb);
void ipoib_rs_mcast_publish_broadcast(struct ipoib_dev_priv *priv,
				      struct ipoib_mcast *mcast);
void ipoib_rs_mcast_unpublish_broadcast(struct ipoib_dev_priv *priv,
					struct ipoib_mcast *mcast);
void ipoib_rs_mcast_quiesce_transmit(struct ipoib_dev_priv *priv);
bool ipoib_rs_mcast_joined_by_user(struct ipoib_dev_priv *priv, const u8 *mgid);
int ipoib_rs_mcast_addrs(struct ipoib_dev_priv *priv, u8 *mgids, int max);
void ipoib_rs_mcast_list_add(struct ipoib_mcast *mcast, void *entry,
			     struct list_head *list);
void *ipoib_rs_mcast_list_pop(struct list_head *list);

#endif /* _IPOIB_RUST_H */
