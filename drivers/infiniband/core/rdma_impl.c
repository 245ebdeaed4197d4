// SPDX-License-Identifier: GPL-2.0
/*
 * Choosing between the C and the Rust implementation of an RDMA core piece:
 * the "c" or "rust" module parameter type of <rdma/rdma_impl.h>.
 */

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/string.h>
#include <rdma/rdma_impl.h>

static int rdma_impl_param_set(const char *val, const struct kernel_param *kp)
{
	int *impl = kp->arg;

	if (sysfs_streq(val, "c")) {
		*impl = RDMA_IMPL_C;
		return 0;
	}
	if (sysfs_streq(val, "rust")) {
		if (!IS_ENABLED(CONFIG_INFINIBAND_RUST)) {
			pr_err("%s=rust: built without CONFIG_INFINIBAND_RUST\n",
			       kp->name);
			return -EOPNOTSUPP;
		}
		*impl = RDMA_IMPL_RUST;
		return 0;
	}
	pr_err("%s: '%s' is neither 'c' nor 'rust'\n", kp->name, val);
	return -EINVAL;
}

static int rdma_impl_param_get(char *buf, const struct kernel_param *kp)
{
	const int *impl = kp->arg;

	return sysfs_emit(buf, "%s\n", *impl == RDMA_IMPL_RUST ? "rust" : "c");
}

const struct kernel_param_ops rdma_impl_param_ops = {
	.set = rdma_impl_param_set,
	.get = rdma_impl_param_get,
};
EXPORT_SYMBOL_GPL(rdma_impl_param_ops);
