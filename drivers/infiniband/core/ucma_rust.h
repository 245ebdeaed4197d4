/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rdma_ucm's Rust half (ucma.rs, linked into rdma_ucm.ko), and what ucma.c
 * gives it: the files of the rdma_cm device opened while rdma_ucm.ucma_impl
 * is "rust" are served by the rdma_rs_ucma_* file operations; the response
 * fillers below are shared by both implementations.
 */
#ifndef _UCMA_RUST_H
#define _UCMA_RUST_H

#include <linux/fs.h>
#include <linux/poll.h>
#include <rdma/rdma_cm.h>
#include <rdma/rdma_user_cm.h>
#include <rdma/ib_sa.h>

/* ucma/ffi.rs */
int rdma_rs_ucma_init(void **state);
void rdma_rs_ucma_exit(void *state);
int rdma_rs_ucma_open(void *state, struct file *filp);
int rdma_rs_ucma_close(struct inode *inode, struct file *filp);
ssize_t rdma_rs_ucma_write(struct file *filp, const char __user *buf,
			   size_t len, loff_t *pos);
__poll_t rdma_rs_ucma_poll(struct file *filp, struct poll_table_struct *wait);

/* ucma.c, for ucma/ffi.rs */
extern const struct file_operations ucma_rs_fops;
struct workqueue_struct *rdma_rs_ucma_wq(void);
unsigned int rdma_rs_ucma_max_backlog(void);
bool rdma_rs_ucma_safe_file_access(struct file *filp);
void *rdma_rs_ucma_file_private(struct file *f);

/* ucma.c, used by both implementations */
void ucma_fill_event(struct rdma_cm_id *cm_id, struct rdma_cm_event *event,
		     struct rdma_ucm_event_resp *resp);
void ucma_fill_route(struct rdma_cm_id *cm_id,
		     struct rdma_ucm_query_route_resp *resp);
void ucma_fill_addr(struct rdma_cm_id *cm_id,
		    struct rdma_ucm_query_addr_resp *resp);
void ucma_fill_gid(struct rdma_cm_id *cm_id,
		   struct rdma_ucm_query_addr_resp *resp);
int ucma_fill_paths(struct rdma_cm_id *cm_id,
		    struct rdma_ucm_query_path_resp *resp, size_t out_len);
int ucma_unpack_ib_path(struct rdma_cm_id *cm_id,
			struct ib_path_rec_data *path_data, size_t optlen,
			struct sa_path_rec *rec);

#endif /* _UCMA_RUST_H */
