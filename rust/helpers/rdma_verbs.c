// SPDX-License-Identifier: GPL-2.0

/*
 * RDMA verbs helpers: the inline functions of the data path. Like rdma.c,
 * they are linked into vmlinux while ib_core may be a module, so they only
 * read fields, call through the device's ops or call vmlinux functions.
 */

#include <rdma/ib_verbs.h>

#if IS_ENABLED(CONFIG_RUST_RDMA_ABSTRACTIONS)

__rust_helper int rust_helper_ib_post_send(struct ib_qp *qp,
					   const struct ib_send_wr *send_wr,
					   const struct ib_send_wr **bad_send_wr)
{
	return ib_post_send(qp, send_wr, bad_send_wr);
}

__rust_helper int rust_helper_ib_post_recv(struct ib_qp *qp,
					   const struct ib_recv_wr *recv_wr,
					   const struct ib_recv_wr **bad_recv_wr)
{
	return ib_post_recv(qp, recv_wr, bad_recv_wr);
}

__rust_helper int rust_helper_ib_poll_cq(struct ib_cq *cq, int num_entries,
					 struct ib_wc *wc)
{
	return ib_poll_cq(cq, num_entries, wc);
}

__rust_helper u64 rust_helper_ib_dma_map_single(struct ib_device *dev,
						void *cpu_addr, size_t size,
						enum dma_data_direction direction)
{
	return ib_dma_map_single(dev, cpu_addr, size, direction);
}

__rust_helper void rust_helper_ib_dma_unmap_single(struct ib_device *dev,
						   u64 addr, size_t size,
						   enum dma_data_direction direction)
{
	ib_dma_unmap_single(dev, addr, size, direction);
}

__rust_helper int rust_helper_ib_dma_mapping_error(struct ib_device *dev,
						   u64 dma_addr)
{
	return ib_dma_mapping_error(dev, dma_addr);
}

__rust_helper void
rust_helper_ib_dma_sync_single_for_cpu(struct ib_device *dev, u64 addr,
				       size_t size,
				       enum dma_data_direction dir)
{
	ib_dma_sync_single_for_cpu(dev, addr, size, dir);
}

__rust_helper void
rust_helper_ib_dma_sync_single_for_device(struct ib_device *dev, u64 addr,
					  size_t size,
					  enum dma_data_direction dir)
{
	ib_dma_sync_single_for_device(dev, addr, size, dir);
}

#endif
