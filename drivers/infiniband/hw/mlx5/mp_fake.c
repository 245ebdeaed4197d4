// SPDX-License-Identifier: GPL-2.0
/*
 * mlx5_mp_fake: fake multiport devices for tests of mlx5_ib's multiport
 * affiliation, C and Rust (mlx5_ib.mp_impl), without hardware.
 *
 * It creates auxiliary devices "mlx5_mp_fake.master.<id>" and
 * "mlx5_mp_fake.multiport.<id>" (never mlx5_core's names) over fake core
 * devices with the capability bits multiport reads, and stands in for the
 * firmware: the calls mlx5_ib makes for them come here (mp_fake.h), are
 * logged, and fail when a test asks. Driven from debugfs, mlx5_mp_fake/:
 *
 *   add    "master|slave GUID PORT [COREDEV_TYPE]": a device, ids from 1
 *   del    "ID": removes a device
 *   fail   "guid|enable_roce|affiliate|unaffiliate|local_lb": the next
 *          such call fails with -EIO
 *   event  "ID": a port change event to the device's registered notifier,
 *          in atomic context as mlx5_core sends it; mlx5_ib logs its
 *          handling on a fake master ("event <master> <type> 0")
 *   log    the calls, a line each ("affiliate 1 2"); a write clears it
 *   state  a line per device: its role, GUID, port, and whom the firmware
 *          has it affiliated with
 */
#include <linux/auxiliary_bus.h>
#include <linux/debugfs.h>
#include <linux/device/faux.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "mp_fake.h"

#define MP_FAKE_LOG_SIZE (64 * 1024)

struct mp_fake_entry {
	struct list_head list;
	struct mlx5_mp_fake_dev *dev;
	/* the master it is affiliated with, by the firmware's calls */
	int affiliated;
};

static struct faux_device *mp_fake_parent;
static struct dentry *mp_fake_dir;
/* The devices, under mp_fake_lock */
static LIST_HEAD(mp_fake_devs);
static DEFINE_MUTEX(mp_fake_lock);
static int mp_fake_next_id = 1;

/* The log and the failures asked for, under mp_fake_log_lock */
static DEFINE_SPINLOCK(mp_fake_log_lock);
static char *mp_fake_log;
static size_t mp_fake_log_len;
static unsigned int mp_fake_fail;

enum {
	MP_FAKE_F_GUID = BIT(0),
	MP_FAKE_F_ENABLE_ROCE = BIT(1),
	MP_FAKE_F_AFFILIATE = BIT(2),
	MP_FAKE_F_UNAFFILIATE = BIT(3),
	MP_FAKE_F_LOCAL_LB = BIT(4),
};

static const char *const mp_fake_fail_names[] = {
	"guid", "enable_roce", "affiliate", "unaffiliate", "local_lb",
};

static __printf(1, 2) void mp_fake_logf(const char *fmt, ...)
{
	unsigned long flags;
	va_list args;

	spin_lock_irqsave(&mp_fake_log_lock, flags);
	va_start(args, fmt);
	mp_fake_log_len += vscnprintf(mp_fake_log + mp_fake_log_len,
				      MP_FAKE_LOG_SIZE - mp_fake_log_len, fmt,
				      args);
	va_end(args);
	spin_unlock_irqrestore(&mp_fake_log_lock, flags);
}

/* Whether the call @what fails now; a failure is asked for once */
static int mp_fake_result(unsigned int what)
{
	unsigned long flags;
	bool fail;

	spin_lock_irqsave(&mp_fake_log_lock, flags);
	fail = mp_fake_fail & what;
	mp_fake_fail &= ~what;
	spin_unlock_irqrestore(&mp_fake_log_lock, flags);
	return fail ? -EIO : 0;
}

static struct mp_fake_entry *mp_fake_entry_of(int id)
{
	struct mp_fake_entry *e;

	list_for_each_entry(e, &mp_fake_devs, list)
		if (e->dev->id == id)
			return e;
	return NULL;
}

static int mp_fake_guid(struct mlx5_mp_fake_dev *d, u64 *guid)
{
	int err = mp_fake_result(MP_FAKE_F_GUID);

	mp_fake_logf("guid %d%s\n", d->id, err ? " failed" : "");
	if (!err)
		*guid = d->guid;
	return err;
}

static int mp_fake_enable_roce(struct mlx5_mp_fake_dev *d)
{
	int err = mp_fake_result(MP_FAKE_F_ENABLE_ROCE);

	mp_fake_logf("enable_roce %d%s\n", d->id, err ? " failed" : "");
	return err;
}

static int mp_fake_disable_roce(struct mlx5_mp_fake_dev *d)
{
	mp_fake_logf("disable_roce %d\n", d->id);
	return 0;
}

/*
 * The firmware's affiliation state, kept under mp_fake_lock; the calls
 * come with it not held (the device list changes only under it, and a
 * device is removed only after its driver is gone).
 */
static void mp_fake_set_affiliated(struct mlx5_mp_fake_dev *slave, int master)
{
	struct mp_fake_entry *e;

	mutex_lock(&mp_fake_lock);
	e = mp_fake_entry_of(slave->id);
	if (e)
		e->affiliated = master;
	mutex_unlock(&mp_fake_lock);
}

static int mp_fake_affiliate(struct mlx5_mp_fake_dev *master,
			     struct mlx5_mp_fake_dev *slave)
{
	int err = mp_fake_result(MP_FAKE_F_AFFILIATE);

	mp_fake_logf("affiliate %d %d%s\n", master->id, slave->id,
		     err ? " failed" : "");
	if (!err)
		mp_fake_set_affiliated(slave, master->id);
	return err;
}

static int mp_fake_unaffiliate(struct mlx5_mp_fake_dev *slave)
{
	int err = mp_fake_result(MP_FAKE_F_UNAFFILIATE);

	mp_fake_logf("unaffiliate %d%s\n", slave->id, err ? " failed" : "");
	mp_fake_set_affiliated(slave, 0);
	return err;
}

static int mp_fake_local_lb(struct mlx5_mp_fake_dev *d, bool enable)
{
	int err = enable ? mp_fake_result(MP_FAKE_F_LOCAL_LB) : 0;

	mp_fake_logf("local_lb %d %d%s\n", d->id, enable, err ? " failed" : "");
	return err;
}

static void mp_fake_replay(struct mlx5_mp_fake_dev *d, u32 event, void *data)
{
	if (event == MLX5_DRIVER_EVENT_AFFILIATION_DONE && data)
		mp_fake_logf("replay %d done %llu\n", d->id, *(u64 *)data);
	else if (event == MLX5_DRIVER_EVENT_AFFILIATION_REMOVED)
		mp_fake_logf("replay %d removed\n", d->id);
	else
		mp_fake_logf("replay %d %u\n", d->id, event);
}

static int mp_fake_notifier_register(struct mlx5_mp_fake_dev *d,
				     struct notifier_block *nb)
{
	unsigned long flags;
	int err = 0;

	spin_lock_irqsave(&d->lock, flags);
	if (d->nb)
		err = -EBUSY;
	else
		d->nb = nb;
	spin_unlock_irqrestore(&d->lock, flags);
	mp_fake_logf("listen %d%s\n", d->id, err ? " busy" : "");
	return err;
}

static int mp_fake_notifier_unregister(struct mlx5_mp_fake_dev *d,
				       struct notifier_block *nb)
{
	unsigned long flags;
	int err = 0;

	/* An event being sent holds the lock: it is done after this */
	spin_lock_irqsave(&d->lock, flags);
	if (d->nb == nb)
		d->nb = NULL;
	else
		err = -ENOENT;
	spin_unlock_irqrestore(&d->lock, flags);
	mp_fake_logf("unlisten %d%s\n", d->id, err ? " unknown" : "");
	return err;
}

static void mp_fake_note(struct mlx5_mp_fake_dev *d, const char *what, int a,
			 int b)
{
	mp_fake_logf("%s %d %d %d\n", what, d->id, a, b);
}

static const struct mlx5_mp_fake_ops mp_fake_ops = {
	.guid = mp_fake_guid,
	.enable_roce = mp_fake_enable_roce,
	.disable_roce = mp_fake_disable_roce,
	.affiliate = mp_fake_affiliate,
	.unaffiliate = mp_fake_unaffiliate,
	.local_lb = mp_fake_local_lb,
	.replay = mp_fake_replay,
	.notifier_register = mp_fake_notifier_register,
	.notifier_unregister = mp_fake_notifier_unregister,
	.note = mp_fake_note,
};

static void mp_fake_release(struct device *dev)
{
	struct auxiliary_device *adev = to_auxiliary_dev(dev);

	kfree(container_of(adev, struct mlx5_mp_fake_dev, adev.adev));
}

static int mp_fake_add(bool master, u64 guid, u32 port, u32 type)
{
	struct mlx5_mp_fake_dev *d;
	struct mp_fake_entry *e;
	void *cur, *max;
	int err;

	if (!port || port > 2)
		return -EINVAL;
	e = kzalloc_obj(*e);
	d = kzalloc_obj(*d);
	if (!e || !d) {
		kfree(e);
		kfree(d);
		return -ENOMEM;
	}
	spin_lock_init(&d->lock);
	d->ops = &mp_fake_ops;
	d->guid = guid;
	d->master = master;
	d->mdev.device = &mp_fake_parent->dev;
	d->mdev.caps.hca[MLX5_CAP_GENERAL] = &d->cap;
	d->mdev.coredev_type = MLX5_MP_FAKE_COREDEV_BASE + type;
	cur = d->cap.cur;
	max = d->cap.max;
	MLX5_SET(cmd_hca_cap, cur, port_type, MLX5_CAP_PORT_TYPE_ETH);
	MLX5_SET(cmd_hca_cap, cur, affiliate_nic_vport_criteria, 1);
	MLX5_SET(cmd_hca_cap, cur, native_port_num, port);
	MLX5_SET(cmd_hca_cap, max, num_vhca_ports, master ? 2 : 1);
	d->adev.mdev = &d->mdev;
	d->adev.adev.name = master ? "master" : "multiport";
	d->adev.adev.dev.parent = &mp_fake_parent->dev;
	d->adev.adev.dev.release = mp_fake_release;
	e->dev = d;

	mutex_lock(&mp_fake_lock);
	d->id = mp_fake_next_id++;
	d->adev.idx = d->id;
	d->adev.adev.id = d->id;
	d->mdev.priv.adev_idx = 100 + d->id;
	err = auxiliary_device_init(&d->adev.adev);
	if (err) {
		mutex_unlock(&mp_fake_lock);
		kfree(d);
		kfree(e);
		return err;
	}
	list_add_tail(&e->list, &mp_fake_devs);
	mutex_unlock(&mp_fake_lock);

	/* Probing takes mp_fake_lock (through the firmware's calls) */
	err = auxiliary_device_add(&d->adev.adev);
	if (err) {
		mutex_lock(&mp_fake_lock);
		list_del(&e->list);
		mutex_unlock(&mp_fake_lock);
		kfree(e);
		auxiliary_device_uninit(&d->adev.adev);
	}
	return err;
}

static void mp_fake_del_entry(struct mp_fake_entry *e)
{
	/* Removal runs the driver's remove, which calls back here */
	auxiliary_device_delete(&e->dev->adev.adev);
	mutex_lock(&mp_fake_lock);
	list_del(&e->list);
	mutex_unlock(&mp_fake_lock);
	auxiliary_device_uninit(&e->dev->adev.adev);
	kfree(e);
}

static int mp_fake_del(int id)
{
	struct mp_fake_entry *e;

	mutex_lock(&mp_fake_lock);
	e = mp_fake_entry_of(id);
	mutex_unlock(&mp_fake_lock);
	if (!e)
		return -ENOENT;
	mp_fake_del_entry(e);
	return 0;
}

/* Serializes the debugfs writes that add and remove devices */
static DEFINE_MUTEX(mp_fake_write_lock);

static ssize_t mp_fake_add_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	char buf[64], role[8];
	u32 port, type = 0;
	u64 guid;
	int n, err;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = 0;
	n = sscanf(buf, "%7s %llx %u %u", role, &guid, &port, &type);
	if (n < 3 || (strcmp(role, "master") && strcmp(role, "slave")))
		return -EINVAL;
	mutex_lock(&mp_fake_write_lock);
	err = mp_fake_add(!strcmp(role, "master"), guid, port, type);
	mutex_unlock(&mp_fake_write_lock);
	return err ?: count;
}

static ssize_t mp_fake_del_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	int id, err;

	err = kstrtoint_from_user(ubuf, count, 10, &id);
	if (err)
		return err;
	mutex_lock(&mp_fake_write_lock);
	err = mp_fake_del(id);
	mutex_unlock(&mp_fake_write_lock);
	return err ?: count;
}

static ssize_t mp_fake_fail_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	unsigned long flags;
	char buf[16];
	int i;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = 0;
	i = sysfs_match_string(mp_fake_fail_names, buf);
	if (i < 0)
		return i;
	spin_lock_irqsave(&mp_fake_log_lock, flags);
	mp_fake_fail |= BIT(i);
	spin_unlock_irqrestore(&mp_fake_log_lock, flags);
	return count;
}

static ssize_t mp_fake_event_write(struct file *file, const char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	struct mlx5_mp_fake_dev *d = NULL;
	struct mp_fake_entry *e;
	unsigned long flags;
	int id, err, ret = NOTIFY_OK;

	err = kstrtoint_from_user(ubuf, count, 10, &id);
	if (err)
		return err;
	mutex_lock(&mp_fake_lock);
	e = mp_fake_entry_of(id);
	if (e)
		d = e->dev;
	if (d) {
		/* As mlx5_core's EQ handler: atomic, under the chain's lock */
		spin_lock_irqsave(&d->lock, flags);
		d->eqe.sub_type = MLX5_PORT_CHANGE_SUBTYPE_ACTIVE;
		d->eqe.data.port.port =
			MLX5_GET(cmd_hca_cap, d->cap.cur, native_port_num) << 4;
		/* Logged first: the handling, on a work, logs after it */
		mp_fake_logf("event %d %s\n", id, d->nb ? "sent" : "dropped");
		if (d->nb)
			ret = d->nb->notifier_call(d->nb,
						   MLX5_EVENT_TYPE_PORT_CHANGE,
						   &d->eqe);
		spin_unlock_irqrestore(&d->lock, flags);
	}
	mutex_unlock(&mp_fake_lock);
	if (!d)
		return -ENOENT;
	/* A notifier that could not queue the event (no memory) */
	return ret == NOTIFY_DONE ? -ENOMEM : count;
}

static ssize_t mp_fake_log_read(struct file *file, char __user *ubuf,
				size_t count, loff_t *ppos)
{
	unsigned long flags;
	ssize_t ret;
	char *copy;
	size_t len;

	copy = kvmalloc(MP_FAKE_LOG_SIZE, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	spin_lock_irqsave(&mp_fake_log_lock, flags);
	len = mp_fake_log_len;
	memcpy(copy, mp_fake_log, len);
	spin_unlock_irqrestore(&mp_fake_log_lock, flags);
	ret = simple_read_from_buffer(ubuf, count, ppos, copy, len);
	kvfree(copy);
	return ret;
}

static ssize_t mp_fake_log_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	unsigned long flags;

	spin_lock_irqsave(&mp_fake_log_lock, flags);
	mp_fake_log_len = 0;
	spin_unlock_irqrestore(&mp_fake_log_lock, flags);
	return count;
}

static int mp_fake_state_show(struct seq_file *s, void *unused)
{
	struct mp_fake_entry *e;

	mutex_lock(&mp_fake_lock);
	list_for_each_entry(e, &mp_fake_devs, list) {
		struct mlx5_mp_fake_dev *d = e->dev;

		seq_printf(s, "%d %s guid=%llx port=%u type=%d", d->id,
			   d->master ? "master" : "slave", d->guid,
			   MLX5_GET(cmd_hca_cap, d->cap.cur, native_port_num),
			   d->mdev.coredev_type - MLX5_MP_FAKE_COREDEV_BASE);
		if (!d->master)
			seq_printf(s, " affiliated=%d listening=%d",
				   e->affiliated, !!READ_ONCE(d->nb));
		seq_putc(s, '\n');
	}
	mutex_unlock(&mp_fake_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mp_fake_state);

static const struct file_operations mp_fake_add_fops = {
	.owner = THIS_MODULE,
	.write = mp_fake_add_write,
};

static const struct file_operations mp_fake_del_fops = {
	.owner = THIS_MODULE,
	.write = mp_fake_del_write,
};

static const struct file_operations mp_fake_fail_fops = {
	.owner = THIS_MODULE,
	.write = mp_fake_fail_write,
};

static const struct file_operations mp_fake_event_fops = {
	.owner = THIS_MODULE,
	.write = mp_fake_event_write,
};

static const struct file_operations mp_fake_log_fops = {
	.owner = THIS_MODULE,
	.read = mp_fake_log_read,
	.write = mp_fake_log_write,
};

static int __init mp_fake_init(void)
{
	mp_fake_log = kvzalloc(MP_FAKE_LOG_SIZE, GFP_KERNEL);
	if (!mp_fake_log)
		return -ENOMEM;
	mp_fake_parent = faux_device_create(MLX5_MP_FAKE_NAME, NULL, NULL);
	if (!mp_fake_parent) {
		kvfree(mp_fake_log);
		return -ENODEV;
	}
	mp_fake_dir = debugfs_create_dir(MLX5_MP_FAKE_NAME, NULL);
	debugfs_create_file("add", 0200, mp_fake_dir, NULL, &mp_fake_add_fops);
	debugfs_create_file("del", 0200, mp_fake_dir, NULL, &mp_fake_del_fops);
	debugfs_create_file("fail", 0200, mp_fake_dir, NULL,
			    &mp_fake_fail_fops);
	debugfs_create_file("event", 0200, mp_fake_dir, NULL,
			    &mp_fake_event_fops);
	debugfs_create_file("log", 0600, mp_fake_dir, NULL, &mp_fake_log_fops);
	debugfs_create_file("state", 0400, mp_fake_dir, NULL,
			    &mp_fake_state_fops);
	return 0;
}

static void __exit mp_fake_exit(void)
{
	struct mp_fake_entry *e;

	debugfs_remove_recursive(mp_fake_dir);
	/* Newest first: slaves added after their master go before it */
	for (;;) {
		mutex_lock(&mp_fake_lock);
		e = list_last_entry_or_null(&mp_fake_devs, struct mp_fake_entry,
					    list);
		mutex_unlock(&mp_fake_lock);
		if (!e)
			break;
		mp_fake_del_entry(e);
	}
	faux_device_destroy(mp_fake_parent);
	kvfree(mp_fake_log);
}

module_init(mp_fake_init);
module_exit(mp_fake_exit);
MODULE_DESCRIPTION("Fake mlx5 multiport devices for tests");
MODULE_LICENSE("GPL");
