// SPDX-License-Identifier: GPL-2.0
/*
 * The cma_mcast benchmark (CONFIG_RDMA_RS_BENCH), included at the end of cma.c
 * for the C multicast functions: join-to-event latency of the C or the Rust
 * implementation, in one run.
 */

#include <linux/inet.h>
#include <rdma/rdma_impl.h>

/*
 * The cma_mcast benchmark: join-to-event latency. One UD id bound to an IPv4
 * address of a RoCE device joins a group, waits for the join event and
 * leaves, once per iteration, with the C or the Rust implementation (the
 * latter with a join table of its own, whatever mcast_impl is).
 */
struct cma_mcast_bench {
	struct completion done;
	int status;
};

static int cma_mcast_bench_handler(struct rdma_cm_id *id,
				   struct rdma_cm_event *event)
{
	struct cma_mcast_bench *b = id->context;

	if (event->event != RDMA_CM_EVENT_MULTICAST_JOIN &&
	    event->event != RDMA_CM_EVENT_MULTICAST_ERROR)
		return 0;
	b->status = event->event == RDMA_CM_EVENT_MULTICAST_JOIN ? 0 :
		    event->status ?: -EIO;
	complete(&b->done);
	return 0;
}

static int cma_mcast_bench_run(int impl, u64 iters, const char *arg)
{
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct sockaddr_in grp = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(0xef040001),	/* 239.4.0.1 */
	};
	struct sockaddr *g = (struct sockaddr *)&grp;
	struct cma_mcast_bench b;
	struct rdma_cm_id *id;
	void *rs = NULL;
	u64 i = 0;
	int ret;

	if (!in4_pton(arg, -1, (u8 *)&src.sin_addr.s_addr, -1, NULL))
		return -EINVAL;
	if (iters > 100000)
		return -E2BIG;
	id = rdma_create_id(&init_net, cma_mcast_bench_handler, &b, RDMA_PS_UDP,
			    IB_QPT_UD);
	if (IS_ERR(id))
		return PTR_ERR(id);
	ret = rdma_bind_addr(id, (struct sockaddr *)&src);
	if (!ret && rdma_impl_is_rust(impl))
		ret = rdma_rs_cma_mcast_init(&rs);
	for (; !ret && i < iters; i++) {
		init_completion(&b.done);
		if (rs)
			ret = rdma_rs_cma_join_multicast(rs, id, g,
							 BIT(FULLMEMBER_JOIN), &b);
		else
			ret = cma_join_multicast_c(id, g, BIT(FULLMEMBER_JOIN),
						   &b);
		if (ret)
			break;
		wait_for_completion(&b.done);
		ret = b.status;
		if (rs)
			rdma_rs_cma_leave_multicast(rs, id, g);
		else
			cma_leave_multicast_c(id, g);
	}
	if (rs)
		rdma_rs_cma_mcast_exit(rs);
	rdma_destroy_id(id);
	return ret ?: (int)min_t(u64, i, INT_MAX);
}

static struct rdma_impl_bench cma_mcast_bench = {
	.name = "cma_mcast",
	.help = "<IPv4 address of a RoCE device>: join, join event, leave; result: joins",
	.run = cma_mcast_bench_run,
};

static void cma_mcast_bench_register(void)
{
	rdma_impl_bench_register(&cma_mcast_bench);
}

static void cma_mcast_bench_unregister(void)
{
	rdma_impl_bench_unregister(&cma_mcast_bench);
}
