/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Functions of ib_core's Rust half (ib_core_rust.rs), called from its C half.
 * Only called when CONFIG_INFINIBAND_RUST is set and the piece's *_impl
 * module parameter is "rust" (rdma_impl_is_rust()).
 */
#ifndef _IB_CORE_RUST_H
#define _IB_CORE_RUST_H

#include <rdma/ib_verbs.h>

/* roce_gid_mgmt.rs */
unsigned long rdma_rs_roce_gid_type_mask_support(struct ib_device *ib_dev,
						 u32 port);

#endif /* _IB_CORE_RUST_H */
