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
 * address of a RoCE device joins <joins> groups (239.4.0.1 on), waits for
 * their join events and leaves them, once per iteration, with the C or the
 * Rust implementation (the running one when mcast_impl is "rust", else one
 * started for the run). The argument is "<IPv4 address>[,<joins>]", one join
 * by default: the joins per id are the benchmark's scale.
 */
#define CMA_MCAST_BENCH_MAX_JOINS 1024

struct cma_mcast_bench {
	struct completion done;
	atomic_t pending;
	int status;
};

static int cma_mcast_bench_handler(struct rdma_cm_id *id,
				   struct rdma_cm_event *event)
{
	struct cma_mcast_bench *b = id->context;

	if (event->event != RDMA_CM_EVENT_MULTICAST_JOIN &&
	    event->event != RDMA_CM_EVENT_MULTICAST_ERROR)
		return 0;
	if (event->event == RDMA_CM_EVENT_MULTICAST_ERROR)
		b->status = event->status ?: -EIO;
	if (atomic_dec_and_test(&b->pending))
		complete(&b->done);
	return 0;
}

/* The j-th group of an iteration: 239.4.0.1 on. */
static struct sockaddr *cma_mcast_bench_group(struct sockaddr_in *grp, u32 j)
{
	grp->sin_family = AF_INET;
	grp->sin_addr.s_addr = htonl(0xef040001 + j);
	return (struct sockaddr *)grp;
}

static int cma_mcast_bench_run(int impl, u64 iters, const char *arg)
{
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct sockaddr_in grp;
	struct sockaddr *g;
	struct cma_mcast_bench b;
	struct rdma_cm_id *id;
	const char *end;
	u32 joins = 1, j, k;
	void *rs = NULL, *rs_own = NULL;
	u64 i = 0;
	int ret;

	if (!in4_pton(arg, -1, (u8 *)&src.sin_addr.s_addr, ',', &end))
		return -EINVAL;
	if (*end && (*end != ',' || kstrtou32(end + 1, 10, &joins)))
		return -EINVAL;
	if (!joins || joins > CMA_MCAST_BENCH_MAX_JOINS)
		return -EINVAL;
	if (iters > 100000 / joins)
		return -E2BIG;
	id = rdma_create_id(&init_net, cma_mcast_bench_handler, &b, RDMA_PS_UDP,
			    IB_QPT_UD);
	if (IS_ERR(id))
		return PTR_ERR(id);
	ret = rdma_bind_addr(id, (struct sockaddr *)&src);
	if (!ret && rdma_impl_is_rust(impl)) {
		/* The running piece, or one for the run while C runs. */
		if (!rdma_impl_is_rust(cma_mcast_impl))
			ret = rdma_rs_cma_mcast_init(&rs_own);
		rs = rdma_impl_is_rust(cma_mcast_impl) ? cma_mcast_rs : rs_own;
	}
	for (; !ret && i < iters; i++) {
		init_completion(&b.done);
		b.status = 0;
		/* One more than the joins: the last join's event cannot complete early. */
		atomic_set(&b.pending, joins + 1);
		for (j = 0; j < joins; j++) {
			g = cma_mcast_bench_group(&grp, j);
			if (rs)
				ret = rdma_rs_cma_join_multicast(rs, id, g,
								 BIT(FULLMEMBER_JOIN),
								 &b);
			else
				ret = cma_join_multicast_c(id, g,
							   BIT(FULLMEMBER_JOIN), &b);
			if (ret)
				break;
		}
		/* The joins that were not made send no event. */
		if (!atomic_sub_and_test(joins + 1 - j, &b.pending))
			wait_for_completion(&b.done);
		ret = ret ?: b.status;
		for (k = 0; k < j; k++) {
			g = cma_mcast_bench_group(&grp, k);
			if (rs)
				rdma_rs_cma_leave_multicast(rs, id, g);
			else
				cma_leave_multicast_c(id, g);
		}
	}
	if (rs_own) {
		/* rdma_destroy_id() leaves through C: empty the id here. */
		rdma_rs_cma_leave_mc_groups(rs_own, id);
		rdma_rs_cma_mcast_exit(rs_own);
	}
	rdma_destroy_id(id);
	return ret ?: (int)min_t(u64, i * joins, INT_MAX);
}

static struct rdma_impl_bench cma_mcast_bench = {
	.name = "cma_mcast",
	.help = "<IPv4 address>[,<joins per id>]: join, event, leave; result: joins",
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
