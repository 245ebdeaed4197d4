// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark registry of <rdma/rdma_impl.h> (CONFIG_RDMA_RS_BENCH): each
 * benchmark times the C and the Rust implementation of a piece in one run.
 */

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <rdma/rdma_impl.h>

/*
 * Benchmarks: /sys/kernel/debug/rdma_impl/<name>. Registration cannot fail
 * for the caller; without debugfs the benchmark is simply not reachable.
 */
static DEFINE_MUTEX(rdma_impl_bench_mutex);
static LIST_HEAD(rdma_impl_bench_list);
static struct dentry *rdma_impl_bench_root;

static ssize_t rdma_impl_bench_write(struct file *file, const char __user *ubuf,
				     size_t count, loff_t *ppos)
{
	struct rdma_impl_bench *bench = file->private_data;
	char buf[128], impl_s[8], arg[64] = "";
	u64 iters, start, ns;
	int impl, n, ret;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	n = sscanf(buf, "%7s %llu %63s", impl_s, &iters, arg);
	if (n < 2 || !iters)
		return -EINVAL;
	if (!strcmp(impl_s, "c"))
		impl = RDMA_IMPL_C;
	else if (!strcmp(impl_s, "rust") && IS_ENABLED(CONFIG_INFINIBAND_RUST))
		impl = RDMA_IMPL_RUST;
	else
		return -EINVAL;

	mutex_lock(&bench->lock);
	start = ktime_get_ns();
	ret = bench->run(impl, iters, arg);
	ns = ktime_get_ns() - start;
	bench->last_impl = impl;
	bench->last_iters = iters;
	bench->last_ns = ns;
	bench->last_ret = ret;
	mutex_unlock(&bench->lock);
	return ret < 0 ? ret : count;
}

static ssize_t rdma_impl_bench_read(struct file *file, char __user *ubuf,
				    size_t count, loff_t *ppos)
{
	struct rdma_impl_bench *bench = file->private_data;
	char buf[256];
	int len;

	mutex_lock(&bench->lock);
	if (bench->last_iters)
		len = scnprintf(buf, sizeof(buf), "%s %llu %llu %d\n",
				bench->last_impl == RDMA_IMPL_RUST ? "rust" : "c",
				bench->last_iters, bench->last_ns,
				bench->last_ret);
	else
		len = scnprintf(buf, sizeof(buf), "# %s\n", bench->help);
	mutex_unlock(&bench->lock);
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static const struct file_operations rdma_impl_bench_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = rdma_impl_bench_read,
	.write = rdma_impl_bench_write,
	.llseek = default_llseek,
};

void rdma_impl_bench_register(struct rdma_impl_bench *bench)
{
	mutex_init(&bench->lock);
	bench->last_iters = 0;
	mutex_lock(&rdma_impl_bench_mutex);
	if (list_empty(&rdma_impl_bench_list))
		rdma_impl_bench_root = debugfs_create_dir("rdma_impl", NULL);
	list_add_tail(&bench->list, &rdma_impl_bench_list);
	bench->dentry = debugfs_create_file(bench->name, 0600,
					    rdma_impl_bench_root, bench,
					    &rdma_impl_bench_fops);
	mutex_unlock(&rdma_impl_bench_mutex);
}
EXPORT_SYMBOL_GPL(rdma_impl_bench_register);

void rdma_impl_bench_unregister(struct rdma_impl_bench *bench)
{
	mutex_lock(&rdma_impl_bench_mutex);
	/* Waits for readers and writers of the file. */
	debugfs_remove(bench->dentry);
	list_del(&bench->list);
	if (list_empty(&rdma_impl_bench_list)) {
		debugfs_remove(rdma_impl_bench_root);
		rdma_impl_bench_root = NULL;
	}
	mutex_unlock(&rdma_impl_bench_mutex);
	mutex_destroy(&bench->lock);
}
EXPORT_SYMBOL_GPL(rdma_impl_bench_unregister);
