/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hooks of the sa_mcast benchmark (multicast_bench.c, with
 * CONFIG_RDMA_RS_BENCH) in multicast.c: the benchmark runs its own device,
 * with its own queue and a software SA that answers at once. Without the
 * benchmark they are empty.
 */
#ifndef _MULTICAST_BENCH_H
#define _MULTICAST_BENCH_H

#include <rdma/ib_sa.h>

struct mcast_port;

/* A software SA, in place of ib_core's for the benchmark's device. */
struct mcast_bench_sa {
	int (*query)(struct mcast_port *port, u8 method,
		     struct ib_sa_mcmember_rec *rec, ib_sa_comp_mask comp_mask,
		     void (*callback)(int status,
				      struct ib_sa_mcmember_rec *resp,
				      void *context),
		     void *context, struct ib_sa_query **query);
	int (*find_pkey)(struct mcast_port *port, u16 pkey, u16 *pkey_index);
};

#if IS_ENABLED(CONFIG_RDMA_RS_BENCH)
static void mcast_bench_register(void);
static void mcast_bench_unregister(void);
#else
static inline void mcast_bench_register(void)
{
}

static inline void mcast_bench_unregister(void)
{
}
#endif

#endif /* _MULTICAST_BENCH_H */
