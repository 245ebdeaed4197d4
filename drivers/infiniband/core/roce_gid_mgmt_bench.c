// SPDX-License-Identifier: GPL-2.0
/*
 * The roce_gid_type_mask benchmark (CONFIG_RDMA_RS_BENCH), included at the
 * end of roce_gid_mgmt.c for roce_gid_type_mask_support_c():
 * roce_gid_type_mask_support() of the C or the Rust implementation on each
 * RoCE port, in one run.
 */

#include <rdma/rdma_impl.h>

struct roce_gid_mask_bench_ports {
	const char *name;
	unsigned int n;
	struct ib_device *dev[16];
	u32 port[16];
};

static void roce_gid_mask_bench_collect(struct ib_device *ib_dev, u32 port,
					struct net_device *rdma_ndev,
					void *cookie)
{
	struct roce_gid_mask_bench_ports *p = cookie;

	if (p->n == ARRAY_SIZE(p->dev) ||
	    (*p->name && strcmp(p->name, dev_name(&ib_dev->dev))))
		return;
	if (!ib_device_try_get(ib_dev))
		return;
	p->dev[p->n] = ib_dev;
	p->port[p->n++] = port;
}

static bool roce_gid_mask_bench_all(struct ib_device *ib_dev, u32 port,
				    struct net_device *rdma_ndev, void *cookie)
{
	return true;
}

/*
 * Times the GID type mask of every RoCE port, or those of device @arg. The
 * result is the masks of one pass, three bits per port in port order (exact
 * for up to ten ports, a hash beyond), the same in every pass, so that a run
 * of C and one of Rust can be compared; -EIO if two passes differ.
 */
static int roce_gid_mask_bench(int impl, u64 iters, const char *arg)
{
	unsigned long (*fn)(struct ib_device *ib_dev, u32 port);
	struct roce_gid_mask_bench_ports p = { .name = arg };
	u32 acc, first = 0;
	int ret = 0;
	unsigned int j;
	u64 i;

	fn = rdma_impl_is_rust(impl) ? rdma_rs_roce_gid_type_mask_support :
				       roce_gid_type_mask_support_c;
	ib_enum_all_roce_netdevs(roce_gid_mask_bench_all, NULL,
				 roce_gid_mask_bench_collect, &p);
	if (!p.n)
		return -ENODEV;
	for (i = 0; i < iters; i++) {
		acc = 0;
		for (j = 0; j < p.n; j++)
			acc = ((acc << 3) | (fn(p.dev[j], p.port[j]) & 7)) &
			      INT_MAX;
		if (!i)
			first = acc;
		else if (acc != first)
			ret = -EIO;
	}
	for (j = 0; j < p.n; j++)
		ib_device_put(p.dev[j]);
	return ret ?: first;
}

static struct rdma_impl_bench roce_gid_mask_bench_entry = {
	.name = "roce_gid_type_mask",
	.help = "roce_gid_type_mask_support() on each RoCE port [of device <arg>]",
	.run = roce_gid_mask_bench,
};

static void roce_gid_bench_register(void)
{
	rdma_impl_bench_register(&roce_gid_mask_bench_entry);
}

static void roce_gid_bench_unregister(void)
{
	rdma_impl_bench_unregister(&roce_gid_mask_bench_entry);
}
