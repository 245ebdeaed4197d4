// SPDX-License-Identifier: GPL-2.0
/*
 * The sa_mcast benchmark (CONFIG_RDMA_RS_BENCH), included at the end of
 * multicast.c for its internals: members join and leave a device of its own
 * through a software SA that answers at once, with the C or the Rust
 * implementation, in one run.
 */

#include <linux/unaligned.h>
#include <rdma/rdma_impl.h>

/*
 * Benchmark: members joining and leaving through a software SA that answers
 * at once, C and Rust in one run. "members": <iters> members join one group,
 * then all leave; "groups": one member joins each of <iters> groups, then
 * all leave. The result is the number of SA messages sent.
 */
static u64 mcast_bench_msgs;

static int mcast_bench_query(struct mcast_port *port, u8 method,
			     struct ib_sa_mcmember_rec *rec,
			     ib_sa_comp_mask comp_mask,
			     void (*callback)(int status,
					      struct ib_sa_mcmember_rec *resp,
					      void *context),
			     void *context, struct ib_sa_query **query)
{
	struct mcast_group *group = context;
	struct ib_sa_mcmember_rec resp = *rec;

	mcast_bench_msgs++;
	/* The answer may free the group: nothing of it is touched after. */
	*query = NULL;
	if (method == IB_MGMT_METHOD_SET) {
		resp.join_state |= group->rec.join_state;
		if (!resp.mlid)
			resp.mlid = cpu_to_be16(0xc001);
	}
	callback(0, &resp, context);
	return 1;
}

static int mcast_bench_find_pkey(struct mcast_port *port, u16 pkey,
				 u16 *pkey_index)
{
	*pkey_index = 0;
	return 0;
}

static const struct mcast_bench_sa mcast_bench_ops = {
	.query = mcast_bench_query,
	.find_pkey = mcast_bench_find_pkey,
};

static int mcast_bench_cb(int status, struct ib_sa_multicast *multicast)
{
	return 0;
}

static int mcast_bench_c(bool groups, u64 n)
{
	struct ib_sa_mcmember_rec rec = {};
	struct ib_sa_multicast **mc;
	struct ib_sa_client client;
	struct mcast_device *dev;
	struct mcast_port *port;
	int ret = 0;
	u64 i;

	dev = kzalloc_flex(*dev, port, 1);
	mc = kvcalloc(n, sizeof(*mc), GFP_KERNEL);
	if (!dev || !mc) {
		ret = -ENOMEM;
		goto out_free;
	}
	dev->bench_wq = alloc_ordered_workqueue("ib_mcast_bench", WQ_MEM_RECLAIM);
	if (!dev->bench_wq) {
		ret = -ENOMEM;
		goto out_free;
	}
	dev->bench_sa = &mcast_bench_ops;
	dev->start_port = 1;
	dev->end_port = 1;
	port = &dev->port[0];
	port->dev = dev;
	port->port_num = 1;
	spin_lock_init(&port->lock);
	port->table = RB_ROOT;
	init_completion(&port->comp);
	refcount_set(&port->refcount, 1);
	ib_sa_register_client(&client);
	mcast_bench_msgs = 0;

	rec.join_state = BIT(FULLMEMBER_JOIN);
	for (i = 0; i < n; i++) {
		rec.mgid.raw[0] = 0xff;
		rec.mgid.raw[1] = 0x12;
		put_unaligned_be64(groups ? i + 1 : 1, &rec.mgid.raw[8]);
		mc[i] = mcast_join(port, &client, &rec,
				   IB_SA_MCMEMBER_REC_MGID |
				   IB_SA_MCMEMBER_REC_JOIN_STATE,
				   GFP_KERNEL, mcast_bench_cb, NULL);
		if (IS_ERR(mc[i])) {
			ret = PTR_ERR(mc[i]);
			mc[i] = NULL;
			break;
		}
	}
	flush_workqueue(dev->bench_wq);
	for (i = 0; i < n && mc[i]; i++)
		mcast_free(mc[i]);
	flush_workqueue(dev->bench_wq);
	deref_port(port);
	wait_for_completion(&port->comp);
	ib_sa_unregister_client(&client);
	destroy_workqueue(dev->bench_wq);
	if (!ret)
		ret = mcast_bench_msgs;
out_free:
	kvfree(mc);
	kfree(dev);
	return ret;
}

static int mcast_bench_run(int impl, u64 iters, const char *arg)
{
	bool groups = !strcmp(arg, "groups");

	if (!groups && *arg && strcmp(arg, "members"))
		return -EINVAL;
	if (iters > 1000000)
		return -E2BIG;
	if (rdma_impl_is_rust(impl))
		return rdma_rs_sa_mcast_bench(groups, iters);
	return mcast_bench_c(groups, iters);
}

static struct rdma_impl_bench mcast_bench = {
	.name = "sa_mcast",
	.help = "<members|groups>: N joins, N leaves; result: SA messages",
	.run = mcast_bench_run,
};

/*
 * Benchmark: the synchronisation steps a member's join and leave are made of,
 * each side's own, one round per iteration: a refcount_t taken and dropped,
 * the group's irq-safe lock taken and released (C: spin_lock_irqsave(); Rust:
 * SpinLockIrq, whose spin_lock_irq_disable() also counts the interrupt
 * disabling), an atomic_t compared-and-exchanged (acquire) and set back
 * (release). C inlines the refcount and atomic steps; Rust calls rust/helpers/
 * for each (CONFIG_RUST_INLINE_HELPERS needs a Clang-built kernel). The row
 * measures what the sa_mcast rows pay per step. The result is 0 when every
 * step did what it should in every round.
 */
#define MCAST_BENCH_SYNC_MAX 10000000

static int mcast_bench_sync_c(u64 n)
{
	refcount_t ref = REFCOUNT_INIT(1);
	atomic_t flag = ATOMIC_INIT(0);
	unsigned long flags;
	spinlock_t lock;	/* taken and released, guarding nothing */
	u64 i, bad = 0;

	spin_lock_init(&lock);
	for (i = 0; i < n; i++) {
		refcount_inc(&ref);
		spin_lock_irqsave(&lock, flags);
		spin_unlock_irqrestore(&lock, flags);
		if (atomic_cmpxchg_acquire(&flag, 0, 1))
			bad++;
		atomic_set_release(&flag, 0);
		if (refcount_dec_and_test(&ref))
			bad++;
	}
	return bad ? -EIO : 0;
}

/* The argument is not used. */
static int mcast_bench_sync_run(int impl, u64 iters, const char *arg)
{
	if (iters > MCAST_BENCH_SYNC_MAX)
		return -E2BIG;
	if (rdma_impl_is_rust(impl))
		return rdma_rs_sync_bench(iters);
	return mcast_bench_sync_c(iters);
}

static struct rdma_impl_bench mcast_bench_sync = {
	.name = "sync_steps",
	.help = "refcount, irq-safe lock and atomic steps; result: 0",
	.run = mcast_bench_sync_run,
};

static void mcast_bench_register(void)
{
	rdma_impl_bench_register(&mcast_bench);
	rdma_impl_bench_register(&mcast_bench_sync);
}

static void mcast_bench_unregister(void)
{
	rdma_impl_bench_unregister(&mcast_bench_sync);
	rdma_impl_bench_unregister(&mcast_bench);
}
