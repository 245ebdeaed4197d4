// SPDX-License-Identifier: GPL-2.0

/*
 * RDMA helpers. They are linked into vmlinux while ib_core may be a module,
 * so they may only read structure fields or call vmlinux functions.
 */

#include <linux/netdevice.h>
#include <rdma/ib_verbs.h>

#if IS_ENABLED(CONFIG_RUST_RDMA_ABSTRACTIONS)

__rust_helper u32 rust_helper_rdma_start_port(const struct ib_device *device)
{
	return rdma_start_port(device);
}

__rust_helper u32 rust_helper_rdma_end_port(const struct ib_device *device)
{
	return rdma_end_port(device);
}

__rust_helper void *rust_helper_ib_get_client_data(struct ib_device *device,
						   struct ib_client *client)
{
	return ib_get_client_data(device, client);
}

__rust_helper bool rust_helper_ib_device_try_get(struct ib_device *dev)
{
	return ib_device_try_get(dev);
}

#endif
