/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Choosing between the C and the Rust implementation of an RDMA core piece.
 *
 * Pieces of the RDMA core that have a Rust implementation keep their C one
 * beside it. Both are built; a read-only module parameter of the module that
 * holds the piece chooses which one runs, with a default from Kconfig
 * (CONFIG_INFINIBAND_RUST_DEFAULT). With CONFIG_RDMA_RS_BENCH, benchmarks
 * time both in one run.
 */
#ifndef _RDMA_IMPL_H
#define _RDMA_IMPL_H

#include <linux/list.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/types.h>

struct dentry;

enum rdma_impl {
	RDMA_IMPL_C,
	RDMA_IMPL_RUST,
};

#define RDMA_IMPL_DEFAULT						\
	(IS_ENABLED(CONFIG_INFINIBAND_RUST_DEFAULT) ? RDMA_IMPL_RUST :	\
						      RDMA_IMPL_C)

/*
 * Parses "c" or "rust" into an int holding an enum rdma_impl. A piece
 * declares its parameter read-only:
 *
 *	module_param_cb(foo_impl, &rdma_impl_param_ops, &foo_impl, 0444);
 */
extern const struct kernel_param_ops rdma_impl_param_ops;

static inline bool rdma_impl_is_rust(int impl)
{
	return IS_ENABLED(CONFIG_INFINIBAND_RUST) && impl == RDMA_IMPL_RUST;
}

#if IS_ENABLED(CONFIG_RDMA_RS_BENCH)
/**
 * struct rdma_impl_bench - a benchmark that times both implementations
 * @name: debugfs file name, under /sys/kernel/debug/rdma_impl/
 * @help: what one iteration does and what <arg> is
 * @run: runs @iters iterations with implementation @impl (RDMA_IMPL_C or
 *	RDMA_IMPL_RUST) on @arg; returns a result (>= 0, e.g. a count of
 *	what the run did) or a negative errno. May sleep.
 *
 * Writing "<c|rust> <iterations> [arg]" to the file runs the benchmark;
 * reading it gives "<c|rust> <iterations> <nanoseconds> <result>" of the
 * last run. scripts/bench runs both implementations in turn and prints the
 * Rust/C ratio of the medians.
 */
struct rdma_impl_bench {
	const char *name;
	const char *help;
	int (*run)(int impl, u64 iters, const char *arg);
	/* private: */
	struct list_head list;
	struct dentry *dentry;
	struct mutex lock;	/* serialises runs and the last_* results */
	int last_impl;
	u64 last_iters;
	u64 last_ns;
	int last_ret;
};

void rdma_impl_bench_register(struct rdma_impl_bench *bench);
void rdma_impl_bench_unregister(struct rdma_impl_bench *bench);
#endif /* CONFIG_RDMA_RS_BENCH */

#endif /* _RDMA_IMPL_H */
