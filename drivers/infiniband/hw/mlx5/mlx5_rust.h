/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Multiport RoCE affiliation in Rust (mp.rs, part of mlx5_rust.rs): the
 * functions main.c calls when mlx5_ib.mp_impl=rust, and the C glue of
 * main.c they call back. Read by bindgen.
 */
#ifndef _MLX5_RUST_H
#define _MLX5_RUST_H

#include <linux/types.h>

struct mlx5_core_dev;
struct mlx5_ib_dev;
struct mlx5_mp_rs;
struct mlx5_mp_rs_master;
struct mlx5_mp_rs_slave;
struct mlx5_mp_rs_listener;
struct workqueue_struct;

/*
 * mp/ffi.rs; without CONFIG_INFINIBAND_RUST there is no engine and these
 * are never called.
 */
#if IS_ENABLED(CONFIG_INFINIBAND_RUST)
struct mlx5_mp_rs *rdma_rs_mlx5_mp_new(void);
void rdma_rs_mlx5_mp_free(struct mlx5_mp_rs *engine);
int rdma_rs_mlx5_mp_probe(struct mlx5_mp_rs *engine, struct mlx5_core_dev *mdev,
			  struct mlx5_mp_rs_slave **slave);
void rdma_rs_mlx5_mp_remove(struct mlx5_mp_rs *engine,
			    struct mlx5_mp_rs_slave *slave);
int rdma_rs_mlx5_mp_init_master(struct mlx5_mp_rs *engine,
				struct mlx5_ib_dev *dev,
				struct mlx5_core_dev *mdev, u32 num_ports,
				struct mlx5_mp_rs_master **master);
void rdma_rs_mlx5_mp_cleanup_master(struct mlx5_mp_rs *engine,
				    struct mlx5_mp_rs_master *master);
struct mlx5_core_dev *rdma_rs_mlx5_mp_get_mdev(struct mlx5_mp_rs_master *master,
					       u32 port);
void rdma_rs_mlx5_mp_put_mdev(struct mlx5_mp_rs_master *master, u32 port);
int rdma_rs_mlx5_mp_slave_event(struct mlx5_mp_rs *engine,
				struct mlx5_mp_rs_slave *slave,
				unsigned long event, void *param);
bool rdma_rs_mlx5_mp_idle(struct mlx5_mp_rs *engine);
#else
static inline struct mlx5_mp_rs *rdma_rs_mlx5_mp_new(void) { return NULL; }
static inline void rdma_rs_mlx5_mp_free(struct mlx5_mp_rs *engine) {}
static inline int rdma_rs_mlx5_mp_probe(struct mlx5_mp_rs *engine,
					struct mlx5_core_dev *mdev,
					struct mlx5_mp_rs_slave **slave)
{
	return -EOPNOTSUPP;
}

static inline void rdma_rs_mlx5_mp_remove(struct mlx5_mp_rs *engine,
					  struct mlx5_mp_rs_slave *slave) {}
static inline int rdma_rs_mlx5_mp_init_master(struct mlx5_mp_rs *engine,
					      struct mlx5_ib_dev *dev,
					      struct mlx5_core_dev *mdev,
					      u32 num_ports,
					      struct mlx5_mp_rs_master **master)
{
	return -EOPNOTSUPP;
}

static inline void rdma_rs_mlx5_mp_cleanup_master(struct mlx5_mp_rs *engine,
						  struct mlx5_mp_rs_master *master) {}
static inline struct mlx5_core_dev *
rdma_rs_mlx5_mp_get_mdev(struct mlx5_mp_rs_master *master, u32 port)
{
	return NULL;
}

static inline void rdma_rs_mlx5_mp_put_mdev(struct mlx5_mp_rs_master *master,
					    u32 port) {}
static inline int rdma_rs_mlx5_mp_slave_event(struct mlx5_mp_rs *engine,
					      struct mlx5_mp_rs_slave *slave,
					      unsigned long event, void *param)
{
	return -EOPNOTSUPP;
}

static inline bool rdma_rs_mlx5_mp_idle(struct mlx5_mp_rs *engine)
{
	return true;
}
#endif

/* main.c: the calls of the engine into mlx5; ports are numbered from 1 */
int mlx5_ib_rs_mp_guid(struct mlx5_core_dev *mdev, u64 *guid);
u32 mlx5_ib_rs_mp_native_port(struct mlx5_core_dev *mdev);
bool mlx5_ib_rs_mp_same_type(struct mlx5_core_dev *a, struct mlx5_core_dev *b);
u64 mlx5_ib_rs_mp_adev_idx(struct mlx5_core_dev *mdev);
int mlx5_ib_rs_mp_enable_roce(struct mlx5_core_dev *mdev);
void mlx5_ib_rs_mp_disable_roce(struct mlx5_core_dev *mdev);
int mlx5_ib_rs_mp_affiliate(struct mlx5_core_dev *master,
			    struct mlx5_core_dev *slave);
int mlx5_ib_rs_mp_unaffiliate(struct mlx5_core_dev *slave);
void mlx5_ib_rs_mp_replay_done(struct mlx5_core_dev *mdev, u64 key);
void mlx5_ib_rs_mp_replay_removed(struct mlx5_core_dev *mdev);
void mlx5_ib_rs_mp_track_netdev(struct mlx5_ib_dev *dev, u32 port);
void mlx5_ib_rs_mp_untrack_netdev(struct mlx5_ib_dev *dev, u32 port);
void mlx5_ib_rs_mp_add_cong_debugfs(struct mlx5_ib_dev *dev, u32 port);
void mlx5_ib_rs_mp_remove_cong_debugfs(struct mlx5_ib_dev *dev, u32 port);
int mlx5_ib_rs_mp_enable_lb(struct mlx5_ib_dev *dev,
			    struct mlx5_core_dev *slave);
void mlx5_ib_rs_mp_disable_lb(struct mlx5_ib_dev *dev,
			      struct mlx5_core_dev *slave);
void mlx5_ib_rs_mp_port_down(struct mlx5_ib_dev *dev, u32 port);
void mlx5_ib_rs_mp_activate(struct mlx5_ib_dev *dev);
struct mlx5_mp_rs_listener *
mlx5_ib_rs_mp_listen(struct mlx5_core_dev *mdev, struct mlx5_mp_rs_slave *slave);
void mlx5_ib_rs_mp_unlisten(struct mlx5_mp_rs_listener *listener);
struct workqueue_struct *mlx5_ib_rs_mp_event_wq(void);
void mlx5_ib_rs_mp_flush_events(void);
void mlx5_ib_rs_mp_handle_event(struct mlx5_ib_dev *dev, unsigned long event,
				void *param);

#endif /* _MLX5_RUST_H */
