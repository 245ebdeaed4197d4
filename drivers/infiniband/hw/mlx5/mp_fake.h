/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fake multiport devices for tests (CONFIG_MLX5_IB_MP_FAKE): the layout the
 * provider module mlx5_mp_fake and mlx5_ib's drivers for its devices share.
 *
 * The provider creates auxiliary devices "mlx5_mp_fake.master.<id>" and
 * "mlx5_mp_fake.multiport.<id>" (never mlx5_core's names), each embedding a
 * struct mlx5_adev over a fake struct mlx5_core_dev that carries the
 * capability bits multiport reads. The calls mlx5_ib's multiport code makes
 * into mlx5_core for such a device go to the provider's ops instead, which
 * record them and fail them on demand; nothing reaches firmware.
 */
#ifndef _MLX5_MP_FAKE_H
#define _MLX5_MP_FAKE_H

#include <linux/mlx5/driver.h>
#include <linux/notifier.h>
#include <linux/spinlock.h>

#define MLX5_MP_FAKE_NAME "mlx5_mp_fake"
/*
 * Fake core devices' coredev types start here, so that a fake never pairs
 * with a real device (multiport pairs only devices of one coredev type).
 */
#define MLX5_MP_FAKE_COREDEV_BASE 0x40

struct mlx5_mp_fake_dev;

/* The provider's stand-ins for the mlx5_core calls of multiport */
struct mlx5_mp_fake_ops {
	int (*guid)(struct mlx5_mp_fake_dev *d, u64 *guid);
	int (*enable_roce)(struct mlx5_mp_fake_dev *d);
	int (*disable_roce)(struct mlx5_mp_fake_dev *d);
	int (*affiliate)(struct mlx5_mp_fake_dev *master,
			 struct mlx5_mp_fake_dev *slave);
	int (*unaffiliate)(struct mlx5_mp_fake_dev *slave);
	int (*local_lb)(struct mlx5_mp_fake_dev *d, bool enable);
	void (*replay)(struct mlx5_mp_fake_dev *d, u32 event, void *data);
	int (*notifier_register)(struct mlx5_mp_fake_dev *d,
				 struct notifier_block *nb);
	int (*notifier_unregister)(struct mlx5_mp_fake_dev *d,
				   struct notifier_block *nb);
	/*
	 * mlx5_ib's own steps that would reach hardware or ib_core, for the
	 * log: "<what> <d's id> <a> <b>"
	 */
	void (*note)(struct mlx5_mp_fake_dev *d, const char *what, int a, int b);
};

struct mlx5_mp_fake_dev {
	struct mlx5_adev adev;
	struct mlx5_core_dev mdev;
	struct mlx5_hca_cap cap;
	const struct mlx5_mp_fake_ops *ops;
	/* The registered event notifier, under lock */
	spinlock_t lock;
	struct notifier_block *nb;
	struct mlx5_eqe eqe;
	u64 guid;
	int id;
	bool master;
};

/*
 * The fake behind @mdev, or NULL for a real core device. A fake's device is
 * the provider's faux device, which only the provider can own: device names
 * are unique on a bus.
 */
static inline struct mlx5_mp_fake_dev *
mlx5_mp_fake_of(struct mlx5_core_dev *mdev)
{
	struct device *dev = mdev->device;

	if (!IS_ENABLED(CONFIG_MLX5_IB_MP_FAKE) || !dev || !dev->bus ||
	    strcmp(dev->bus->name, "faux") ||
	    strcmp(dev_name(dev), MLX5_MP_FAKE_NAME))
		return NULL;
	return container_of(mdev, struct mlx5_mp_fake_dev, mdev);
}

#endif /* _MLX5_MP_FAKE_H */
