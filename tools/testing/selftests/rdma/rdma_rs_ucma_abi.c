// SPDX-License-Identifier: GPL-2.0
/*
 * The rdma_ucm write() ABI, command by command, with bad input: what
 * errno each of the 25 commands returns for a short, long or garbage
 * command, an id that does not exist, an id of another file, a response
 * buffer too small or not mapped. The expected errnos are those of 7.3's
 * ucma.c (the order of its checks decides which one comes back); the same
 * table holds for every implementation behind /dev/infiniband/rdma_cm.
 *
 *   rdma_rs_ucma_abi BIND_IPV4 MCAST_IPV4 [DEVICE | reject]
 *
 * BIND_IPV4 is an address of an RDMA device (rxe), MCAST_IPV4 a group the
 * test may join. With DEVICE (the device of BIND_IPV4) only the "removal"
 * group runs: it removes the device with "rdma link del" under an id. With
 * "reject" only the "reject" group runs: connecting ids rejected by their
 * user (ib_cm's REJ must stop the REQ's retries).
 * Prints a line per mismatch and, per group of cases,
 * "group <name> cases <n> bad <n>"; exits 1 if any case came out wrong.
 *
 * Every command is written so that its input ends where an unmapped page
 * begins: a command that reads more than it was given faults (EFAULT)
 * rather than reading what happens to follow.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <rdma/rdma_user_cm.h>
#include "rdma_rs_ucma.h"

#define DEV "/dev/infiniband/rdma_cm"
#define PS_TCP 0x0106
#define PS_UDP 0x0111
#define QPT_UD 4
#define NO_ID 0x7fffffffu
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Events and queries of 7.3 that older uapi headers lack. */
#define CM_EVENT_USER 18
#define QUERY_ADDR 0

static char *page_end;			/* first byte of the unmapped page */
static struct sockaddr_in bind_addr, mcast_addr;
static int cases, bad, total_bad;
static char resp[4096];
/*
 * ucma.c answers a command without a handler, and an unknown option or
 * query, with the errno of an unknown system call; taken from one.
 */
static long e_nosys;

/*
 * Writes header and @len bytes of @in so that they end at the unmapped
 * page; @in_len is what the header claims. Returns 0 or -errno.
 */
static long raw(int fd, __u32 op, const void *in, size_t len, __u16 in_len,
		__u16 out_len)
{
	struct rdma_ucm_cmd_hdr hdr = { .cmd = op, .in = in_len, .out = out_len };
	char *p = page_end - sizeof(hdr) - len;
	ssize_t ret;

	memcpy(p, &hdr, sizeof(hdr));
	memcpy(p + sizeof(hdr), in, len);
	ret = write(fd, p, sizeof(hdr) + len);
	if (ret < 0)
		return -errno;
	if ((size_t)ret != sizeof(hdr) + len)
		return -1000;	/* a success must consume the whole write */
	return 0;
}

static long cmd(int fd, __u32 op, const void *in, size_t len)
{
	return raw(fd, op, in, len, len, sizeof(resp));
}

static void expect(const char *what, long got, long want)
{
	cases++;
	if (got == want)
		return;
	bad++;
	printf("MISMATCH %s: got %ld (%s), want %ld (%s)\n", what, got,
	       got < 0 && got > -1000 ? strerror(-got) : "-",
	       want, want < 0 ? strerror(-want) : "-");
}

static void group_end(const char *name)
{
	printf("group %s cases %d bad %d\n", name, cases, bad);
	total_bad += bad;
	cases = 0;
	bad = 0;
}

static int xopen(int flags)
{
	int fd = open(DEV, O_RDWR | O_CLOEXEC | flags);

	if (fd < 0) {
		perror(DEV);
		exit(2);
	}
	return fd;
}

/*
 * A valid input for @op naming @id (and, where it matters, good enough to
 * pass ucma's own checks), written into @buf; a response goes to @response,
 * MIGRATE_ID takes the id from @other_fd. Returns the input's size.
 */
static size_t input_for(int op, __u32 id, void *buf, int other_fd,
			void *response)
{
	memset(buf, 0, 512);
	switch (op) {
	case RDMA_USER_CM_CMD_CREATE_ID: {
		struct rdma_ucm_create_id *c = buf;

		c->response = (uintptr_t)response;
		c->ps = PS_UDP;
		c->qp_type = QPT_UD;
		break;
	}
	case RDMA_USER_CM_CMD_DESTROY_ID:
	case RDMA_USER_CM_CMD_LEAVE_MCAST: {
		struct rdma_ucm_destroy_id *d = buf;

		d->response = (uintptr_t)response;
		d->id = id;
		break;
	}
	case RDMA_USER_CM_CMD_BIND_IP: {
		struct rdma_ucm_bind_ip *b = buf;

		b->id = id;
		memcpy(&b->addr, &bind_addr, sizeof(bind_addr));
		break;
	}
	case RDMA_USER_CM_CMD_RESOLVE_IP: {
		struct rdma_ucm_resolve_ip *r = buf;

		r->id = id;
		memcpy(&r->dst_addr, &bind_addr, sizeof(bind_addr));
		r->timeout_ms = 1000;
		break;
	}
	case RDMA_USER_CM_CMD_RESOLVE_ROUTE: {
		struct rdma_ucm_resolve_route *r = buf;

		r->id = id;
		r->timeout_ms = 1000;
		break;
	}
	case RDMA_USER_CM_CMD_QUERY_ROUTE:
	case RDMA_USER_CM_CMD_QUERY: {
		struct rdma_ucm_query *q = buf;

		q->response = (uintptr_t)response;
		q->id = id;
		q->option = QUERY_ADDR;
		break;
	}
	case RDMA_USER_CM_CMD_CONNECT: {
		struct rdma_ucm_connect *c = buf;

		c->id = id;
		c->conn_param.valid = 1;
		break;
	}
	case RDMA_USER_CM_CMD_LISTEN: {
		struct rdma_ucm_listen *l = buf;

		l->id = id;
		l->backlog = 1;
		break;
	}
	case RDMA_USER_CM_CMD_ACCEPT: {
		struct rdma_ucm_accept *a = buf;

		a->id = id;
		break;
	}
	case RDMA_USER_CM_CMD_REJECT: {
		struct rdma_ucm_reject *r = buf;

		r->id = id;
		break;
	}
	case RDMA_USER_CM_CMD_DISCONNECT:
	case RDMA_USER_CM_CMD_NOTIFY:
	case CMD_RESOLVE_IB_SERVICE:
		*(__u32 *)buf = id;
		break;
	case RDMA_USER_CM_CMD_INIT_QP_ATTR: {
		struct rdma_ucm_init_qp_attr *q = buf;

		q->response = (uintptr_t)response;
		q->id = id;
		break;
	}
	case RDMA_USER_CM_CMD_GET_EVENT: {
		struct rdma_ucm_get_event *g = buf;

		g->response = (uintptr_t)response;
		break;
	}
	case RDMA_USER_CM_CMD_SET_OPTION: {
		struct rdma_ucm_set_option *s = buf;
		static __u8 tos;

		s->optval = (uintptr_t)&tos;
		s->id = id;
		s->level = RDMA_OPTION_ID;
		s->optname = RDMA_OPTION_ID_TOS;
		s->optlen = 1;
		break;
	}
	case RDMA_USER_CM_CMD_JOIN_IP_MCAST: {
		struct rdma_ucm_join_ip_mcast *j = buf;

		j->response = (uintptr_t)response;
		j->id = id;
		memcpy(&j->addr, &mcast_addr, sizeof(mcast_addr));
		break;
	}
	case RDMA_USER_CM_CMD_MIGRATE_ID: {
		struct rdma_ucm_migrate_id *m = buf;

		m->response = (uintptr_t)response;
		m->id = id;
		m->fd = other_fd;
		break;
	}
	case RDMA_USER_CM_CMD_BIND: {
		struct rdma_ucm_bind *b = buf;

		b->id = id;
		b->addr_size = sizeof(bind_addr);
		memcpy(&b->addr, &bind_addr, sizeof(bind_addr));
		break;
	}
	case RDMA_USER_CM_CMD_RESOLVE_ADDR: {
		struct rdma_ucm_resolve_addr *r = buf;

		r->id = id;
		r->dst_size = sizeof(bind_addr);
		memcpy(&r->dst_addr, &bind_addr, sizeof(bind_addr));
		r->timeout_ms = 1000;
		break;
	}
	case RDMA_USER_CM_CMD_JOIN_MCAST: {
		struct rdma_ucm_join_mcast *j = buf;

		j->response = (uintptr_t)response;
		j->uid = 7;
		j->id = id;
		j->addr_size = sizeof(mcast_addr);
		j->join_flags = RDMA_MC_JOIN_FLAG_FULLMEMBER;
		memcpy(&j->addr, &mcast_addr, sizeof(mcast_addr));
		break;
	}
	case CMD_WRITE_CM_EVENT: {
		struct rs_write_cm_event *w = buf;

		w->id = id;
		w->event = CM_EVENT_USER;
		break;
	}
	}
	return in_size[op];
}

static size_t valid_input(int op, __u32 id, void *buf, int other_fd)
{
	return input_for(op, id, buf, other_fd, resp);
}

/* @op with its valid input for @id, written on @fd. */
static long run_with(int fd, int op, __u32 id, int other_fd, void *response)
{
	char buf[512];
	size_t n = input_for(op, id, buf, other_fd, response);

	return cmd(fd, op, buf, n);
}

/* The same, its response (if any) in resp. */
static long run(int fd, int op, __u32 id)
{
	return run_with(fd, op, id, fd, resp);
}

/* An id of port space @ps and user id @uid on @fd; exits if none. */
static __u32 create(int fd, __u16 ps, __u64 uid)
{
	char buf[512];
	struct rdma_ucm_create_id *c = (void *)buf;
	size_t n = valid_input(RDMA_USER_CM_CMD_CREATE_ID, 0, buf, fd);
	long ret;

	c->uid = uid;
	c->ps = ps;
	ret = cmd(fd, RDMA_USER_CM_CMD_CREATE_ID, buf, n);
	if (ret) {
		printf("create_id: %ld\n", ret);
		exit(2);
	}
	return ((struct rdma_ucm_create_id_resp *)resp)->id;
}

/* DESTROY_ID of an id or LEAVE_MCAST of a join; *@events: what it reported. */
static long release(int fd, int op, __u32 id, __u32 *events)
{
	struct rdma_ucm_destroy_id_resp *r = (void *)resp;
	long ret;

	r->events_reported = 0xdead;
	ret = run(fd, op, id);
	if (events)
		*events = r->events_reported;
	return ret;
}

static long destroy(int fd, __u32 id, __u32 *events)
{
	return release(fd, RDMA_USER_CM_CMD_DESTROY_ID, id, events);
}

static long bind_to(int fd, __u32 id)
{
	return run(fd, RDMA_USER_CM_CMD_BIND, id);
}

/* A full-member join of the test's group; *@mc: the join's id. */
static long join(int fd, __u32 id, __u32 *mc)
{
	long ret = run(fd, RDMA_USER_CM_CMD_JOIN_MCAST, id);

	*mc = ((struct rdma_ucm_create_id_resp *)resp)->id;
	return ret;
}

/* @op's valid input for @id and 64 bytes of 0xff after it, all claimed. */
static long with_tail(int fd, int op, __u32 id, __u16 out_len)
{
	char buf[512];
	size_t n = valid_input(op, id, buf, fd);

	memset(buf + n, 0xff, 64);
	return raw(fd, op, buf, n + 64, n + 64, out_len);
}

/* The header: too short, unknown command, input beyond the write. */
static void group_header(int fd)
{
	char buf[512];
	int op;

	expect("write of 0 bytes", write(fd, page_end - 8, 0) < 0 ? -errno : 0,
	       -EINVAL);
	expect("write of 7 bytes", write(fd, page_end - 7, 7) < 0 ? -errno : 0,
	       -EINVAL);
	expect("header not mapped", write(fd, page_end, 16) < 0 ? -errno : 0,
	       -EFAULT);
	expect("command 25", raw(fd, NCMDS, buf, 0, 0, 0), -EINVAL);
	expect("command 0xffffffff", raw(fd, 0xffffffff, buf, 0, 0, 0), -EINVAL);
	expect("GET_OPTION", raw(fd, RDMA_USER_CM_CMD_GET_OPTION, buf, 0, 0, 0),
	       e_nosys);
	for (op = 0; op < NCMDS; op++) {
		char what[64];

		memset(buf, 0, sizeof(buf));
		snprintf(what, sizeof(what), "%s: in beyond the write",
			 cmd_name[op]);
		expect(what, raw(fd, op, buf, 8, 16, sizeof(resp)), -EINVAL);
	}
	group_end("header");
}

/*
 * Input shorter than the command: ucma copies the whole structure anyway
 * (EFAULT at the unmapped page), except CONNECT and ACCEPT, which take
 * what they are given down to their 'reserved' field (EINVAL below it).
 */
static void group_short(int fd)
{
	char buf[512];
	int op;

	for (op = 0; op < NCMDS; op++) {
		char what[64];
		size_t n;
		long want;

		if (op == RDMA_USER_CM_CMD_GET_OPTION)
			continue;
		want = (op == RDMA_USER_CM_CMD_CONNECT ||
			op == RDMA_USER_CM_CMD_ACCEPT) ? -EINVAL : -EFAULT;
		snprintf(what, sizeof(what), "%s: no input", cmd_name[op]);
		expect(what, raw(fd, op, buf, 0, 0, sizeof(resp)), want);

		n = valid_input(op, NO_ID, buf, fd);
		snprintf(what, sizeof(what), "%s: input one byte short",
			 cmd_name[op]);
		/* CONNECT and ACCEPT without 'ece' go on to look the id up. */
		if (want == -EINVAL)
			want = -ENOENT;
		expect(what, raw(fd, op, buf, n - 1, n - 1, sizeof(resp)), want);
	}
	group_end("short");
}

/* Input longer than the command: the rest is ignored. */
static void group_long(int fd)
{
	__u32 id, ev;

	expect("CREATE_ID, 64 bytes more",
	       with_tail(fd, RDMA_USER_CM_CMD_CREATE_ID, 0, 4), 0);
	id = ((struct rdma_ucm_create_id_resp *)resp)->id;
	expect("BIND, 64 bytes more", with_tail(fd, RDMA_USER_CM_CMD_BIND, id, 0), 0);
	expect("QUERY, 64 bytes more",
	       with_tail(fd, RDMA_USER_CM_CMD_QUERY, id, sizeof(resp)), 0);
	{
		struct sockaddr_in *sin = (void *)
			&((struct rdma_ucm_query_addr_resp *)resp)->src_addr;

		expect("QUERY: the bound address",
		       sin->sin_family == AF_INET &&
		       sin->sin_addr.s_addr == bind_addr.sin_addr.s_addr, 1);
	}
	expect("CONNECT, 64 bytes more, no such id",
	       with_tail(fd, RDMA_USER_CM_CMD_CONNECT, NO_ID, 0), -ENOENT);
	((struct rdma_ucm_destroy_id_resp *)resp)->events_reported = 0xdead;
	expect("DESTROY_ID, 64 bytes more",
	       with_tail(fd, RDMA_USER_CM_CMD_DESTROY_ID, id, 4), 0);
	ev = ((struct rdma_ucm_destroy_id_resp *)resp)->events_reported;
	expect("DESTROY_ID: events reported", ev, 0);
	group_end("long");
}

/* Every command that names an id, with an id that does not exist. */
static void group_bad_id(int fd)
{
	char what[64];
	int op;

	for (op = 1; op < NCMDS; op++) {
		if (op == RDMA_USER_CM_CMD_GET_EVENT ||
		    op == RDMA_USER_CM_CMD_GET_OPTION)
			continue;
		snprintf(what, sizeof(what), "%s: no such id", cmd_name[op]);
		expect(what, run(fd, op, NO_ID), -ENOENT);
	}
	expect("DESTROY_ID: id 0xffffffff", destroy(fd, 0xffffffff, NULL), -ENOENT);
	group_end("bad-id");
}

/*
 * Every command that names an id, with an id (or a join) of another open
 * file: EINVAL, and the id is unharmed. MIGRATE_ID moves it over.
 */
static void group_wrong_file(int fd)
{
	int fd2 = xopen(0), null = open("/dev/null", O_RDONLY);
	__u32 w = create(fd2, PS_UDP, 9), mc, ev;
	struct rdma_ucm_migrate_resp *m = (void *)resp;
	char what[64];
	int op;

	expect("bind the other file's id", bind_to(fd2, w), 0);
	expect("join with the other file's id", join(fd2, w, &mc), 0);
	for (op = 1; op < NCMDS; op++) {
		if (op == RDMA_USER_CM_CMD_GET_EVENT ||
		    op == RDMA_USER_CM_CMD_GET_OPTION)
			continue;
		snprintf(what, sizeof(what), "%s: another file's id", cmd_name[op]);
		expect(what, run(fd, op, op == RDMA_USER_CM_CMD_LEAVE_MCAST ? mc : w),
		       -EINVAL);
	}
	expect("MIGRATE_ID: fd -1",
	       run_with(fd, RDMA_USER_CM_CMD_MIGRATE_ID, w, -1, resp), -ENOENT);
	expect("MIGRATE_ID: fd not rdma_cm",
	       run_with(fd, RDMA_USER_CM_CMD_MIGRATE_ID, w, null, resp), -EINVAL);
	m->events_reported = 0xdead;
	expect("MIGRATE_ID from the other file",
	       run_with(fd, RDMA_USER_CM_CMD_MIGRATE_ID, w, fd2, resp), 0);
	expect("MIGRATE_ID: events reported (the join's event is pending)",
	       m->events_reported, 0);
	expect("DESTROY_ID of the moved id on the old file", destroy(fd2, w, NULL),
	       -EINVAL);
	expect("LEAVE_MCAST of the moved id's join on the new file",
	       release(fd, RDMA_USER_CM_CMD_LEAVE_MCAST, mc, NULL), 0);
	expect("DESTROY_ID of the moved id on the new file", destroy(fd, w, &ev), 0);
	close(null);
	close(fd2);
	group_end("wrong-file");
}

/* Response buffers too small or not mapped. */
static void group_out(int fd)
{
	char buf[512];
	__u32 a = create(fd, PS_UDP, 3), mc, ev;
	size_t n;
	int op;
	static const int small[] = {
		RDMA_USER_CM_CMD_CREATE_ID, RDMA_USER_CM_CMD_DESTROY_ID,
		RDMA_USER_CM_CMD_QUERY_ROUTE, RDMA_USER_CM_CMD_INIT_QP_ATTR,
		RDMA_USER_CM_CMD_GET_EVENT, RDMA_USER_CM_CMD_JOIN_IP_MCAST,
		RDMA_USER_CM_CMD_LEAVE_MCAST, RDMA_USER_CM_CMD_QUERY,
		RDMA_USER_CM_CMD_JOIN_MCAST,
	};

	expect("bind", bind_to(fd, a), 0);
	for (op = 0; op < (int)ARRAY_SIZE(small); op++) {
		char what[64];

		n = valid_input(small[op], a, buf, fd);
		snprintf(what, sizeof(what), "%s: no room for the response",
			 cmd_name[small[op]]);
		expect(what, raw(fd, small[op], buf, n, n, 0), -ENOSPC);
	}

	expect("CREATE_ID: response not mapped",
	       run_with(fd, RDMA_USER_CM_CMD_CREATE_ID, 0, fd, page_end), -EFAULT);
	expect("QUERY: response not mapped",
	       run_with(fd, RDMA_USER_CM_CMD_QUERY, a, fd, page_end), -EFAULT);

	/* A join whose response cannot be written is undone. */
	expect("JOIN_MCAST: response not mapped",
	       run_with(fd, RDMA_USER_CM_CMD_JOIN_MCAST, a, fd, page_end), -EFAULT);
	expect("JOIN_MCAST of that address again", join(fd, a, &mc), 0);

	/* A leave or destroy whose response cannot be written still happens. */
	expect("LEAVE_MCAST: response not mapped",
	       run_with(fd, RDMA_USER_CM_CMD_LEAVE_MCAST, mc, fd, page_end), -EFAULT);
	expect("LEAVE_MCAST of that join again",
	       run_with(fd, RDMA_USER_CM_CMD_LEAVE_MCAST, mc, fd, page_end), -ENOENT);
	expect("DESTROY_ID: response not mapped",
	       run_with(fd, RDMA_USER_CM_CMD_DESTROY_ID, a, fd, page_end), -EFAULT);
	expect("DESTROY_ID of that id again", destroy(fd, a, &ev), -ENOENT);
	group_end("response");
}

static long get_event(int fd, struct rdma_ucm_event_resp *ev, void *where)
{
	long ret = run_with(fd, RDMA_USER_CM_CMD_GET_EVENT, 0, fd, where);

	if (!ret && where != ev)
		memcpy(ev, where, sizeof(*ev));
	return ret;
}

static long write_event(int fd, __u32 id, __u32 event, __u32 status)
{
	struct rs_write_cm_event w = {
		.id = id, .event = event, .status = status, .param.arg = 0x1234,
	};

	return cmd(fd, CMD_WRITE_CM_EVENT, &w, sizeof(w));
}

/* Semantic checks of each command's fields, on ids of this file. */
static void group_garbage(int fd)
{
	__u32 a = create(fd, PS_UDP, 5), u = create(fd, PS_TCP, 6);
	__u32 z = create(fd, PS_UDP, 0);
	char buf[512];
	size_t n;

#define G(what, op, id, field, want) do {					\
		int g_op = (op);						\
									\
		n = valid_input(g_op, id, buf, fd);				\
		field;								\
		expect(what, cmd(fd, g_op, buf, n), want);			\
	} while (0)
#define F(type) ((struct type *)buf)

	expect("bind", bind_to(fd, a), 0);
	G("CREATE_ID: port space 0x9999", RDMA_USER_CM_CMD_CREATE_ID, 0,
	  F(rdma_ucm_create_id)->ps = 0x9999, -EINVAL);
	G("CREATE_ID: port space 0", RDMA_USER_CM_CMD_CREATE_ID, 0,
	  F(rdma_ucm_create_id)->ps = 0, -EINVAL);
	G("BIND_IP: family 0x77", RDMA_USER_CM_CMD_BIND_IP, u,
	  F(rdma_ucm_bind_ip)->addr.sin6_family = 0x77, -EINVAL);
	G("BIND: reserved set", RDMA_USER_CM_CMD_BIND, u,
	  F(rdma_ucm_bind)->reserved = 1, -EINVAL);
	G("BIND: address size 0", RDMA_USER_CM_CMD_BIND, u,
	  F(rdma_ucm_bind)->addr_size = 0, -EINVAL);
	G("BIND: address size of IPv6 for IPv4", RDMA_USER_CM_CMD_BIND, u,
	  F(rdma_ucm_bind)->addr_size = sizeof(struct sockaddr_in6), -EINVAL);
	G("BIND: family 0x77", RDMA_USER_CM_CMD_BIND, u,
	  F(rdma_ucm_bind)->addr.ss_family = 0x77, -EINVAL);
	G("RESOLVE_IP: no destination family", RDMA_USER_CM_CMD_RESOLVE_IP, u,
	  F(rdma_ucm_resolve_ip)->dst_addr.sin6_family = 0, -EINVAL);
	G("RESOLVE_IP: source family 0x77", RDMA_USER_CM_CMD_RESOLVE_IP, u,
	  F(rdma_ucm_resolve_ip)->src_addr.sin6_family = 0x77, -EINVAL);
	G("RESOLVE_ADDR: reserved set", RDMA_USER_CM_CMD_RESOLVE_ADDR, u,
	  F(rdma_ucm_resolve_addr)->reserved = 1, -EINVAL);
	G("RESOLVE_ADDR: destination size 0", RDMA_USER_CM_CMD_RESOLVE_ADDR, u,
	  F(rdma_ucm_resolve_addr)->dst_size = 0, -EINVAL);
	G("RESOLVE_ADDR: source size without source", RDMA_USER_CM_CMD_RESOLVE_ADDR,
	  u, F(rdma_ucm_resolve_addr)->src_size = 16, -EINVAL);
	G("RESOLVE_ROUTE: unbound id", RDMA_USER_CM_CMD_RESOLVE_ROUTE, u, (void)0, -EINVAL);
	G("CONNECT: conn_param not valid", RDMA_USER_CM_CMD_CONNECT, u,
	  F(rdma_ucm_connect)->conn_param.valid = 0, -EINVAL);
	G("CONNECT: unbound id", RDMA_USER_CM_CMD_CONNECT, u, (void)0, -EINVAL);
	G("ACCEPT: unbound id", RDMA_USER_CM_CMD_ACCEPT, u, (void)0, -EINVAL);
	G("REJECT: reason 5", RDMA_USER_CM_CMD_REJECT, a,
	  F(rdma_ucm_reject)->reason = 5, -EINVAL);
	G("REJECT: unbound id", RDMA_USER_CM_CMD_REJECT, u, (void)0, -EINVAL);
	G("DISCONNECT: unbound id", RDMA_USER_CM_CMD_DISCONNECT, u, (void)0, -EINVAL);
	G("INIT_QP_ATTR: QP state 7", RDMA_USER_CM_CMD_INIT_QP_ATTR, a,
	  F(rdma_ucm_init_qp_attr)->qp_state = 7, -EINVAL);
	G("INIT_QP_ATTR: unbound id", RDMA_USER_CM_CMD_INIT_QP_ATTR, u, (void)0, -EINVAL);
	G("SET_OPTION: optlen 4 GiB", RDMA_USER_CM_CMD_SET_OPTION, a,
	  F(rdma_ucm_set_option)->optlen = 0xffffffff, -EINVAL);
	G("SET_OPTION: level 99", RDMA_USER_CM_CMD_SET_OPTION, a,
	  F(rdma_ucm_set_option)->level = 99, e_nosys);
	G("SET_OPTION: name 99", RDMA_USER_CM_CMD_SET_OPTION, a,
	  F(rdma_ucm_set_option)->optname = 99, e_nosys);
	G("SET_OPTION: TOS of 4 bytes", RDMA_USER_CM_CMD_SET_OPTION, a,
	  F(rdma_ucm_set_option)->optlen = 4, -EINVAL);
	G("SET_OPTION: value not mapped", RDMA_USER_CM_CMD_SET_OPTION, a,
	  F(rdma_ucm_set_option)->optval = (uintptr_t)page_end, -EFAULT);
	G("SET_OPTION: IB path of 3 bytes", RDMA_USER_CM_CMD_SET_OPTION, a,
	  (F(rdma_ucm_set_option)->level = RDMA_OPTION_IB,
	   F(rdma_ucm_set_option)->optname = RDMA_OPTION_IB_PATH,
	   F(rdma_ucm_set_option)->optlen = 3), -EINVAL);
	G("SET_OPTION: TOS", RDMA_USER_CM_CMD_SET_OPTION, a, (void)0, 0);
	G("NOTIFY: unbound id", RDMA_USER_CM_CMD_NOTIFY, u, (void)0, -EINVAL);
	G("JOIN_MCAST: join flags 7", RDMA_USER_CM_CMD_JOIN_MCAST, a,
	  F(rdma_ucm_join_mcast)->join_flags = 7, -EINVAL);
	G("JOIN_MCAST: address size of IPv6 for IPv4", RDMA_USER_CM_CMD_JOIN_MCAST,
	  a, F(rdma_ucm_join_mcast)->addr_size = 28, -EINVAL);
	G("JOIN_MCAST: family 0x77", RDMA_USER_CM_CMD_JOIN_MCAST, a,
	  F(rdma_ucm_join_mcast)->addr.ss_family = 0x77, -EINVAL);
	G("JOIN_MCAST: unbound id", RDMA_USER_CM_CMD_JOIN_MCAST, u, (void)0, -EINVAL);
	G("JOIN_IP_MCAST: family 0x77", RDMA_USER_CM_CMD_JOIN_IP_MCAST, a,
	  F(rdma_ucm_join_ip_mcast)->addr.sin6_family = 0x77, -EINVAL);
	G("QUERY: option 77", RDMA_USER_CM_CMD_QUERY, a,
	  F(rdma_ucm_query)->option = 77, e_nosys);
	G("RESOLVE_IB_SERVICE: unbound id", CMD_RESOLVE_IB_SERVICE, u, (void)0, -EINVAL);
	G("RESOLVE_IB_SERVICE: RoCE id", CMD_RESOLVE_IB_SERVICE, a, (void)0, -EOPNOTSUPP);
	G("WRITE_CM_EVENT: event 3", CMD_WRITE_CM_EVENT, a,
	  F(rs_write_cm_event)->event = 3, -EINVAL);
	G("WRITE_CM_EVENT: id of uid 0", CMD_WRITE_CM_EVENT, z, (void)0, -EINVAL);
#undef G
#undef F
	expect("destroy", destroy(fd, a, NULL), 0);
	expect("destroy", destroy(fd, u, NULL), 0);
	expect("destroy", destroy(fd, z, NULL), 0);
	group_end("garbage");
}

/* Binds id, joins the group with it and reads the join's event into ev. */
static void bound_join(int fd, __u32 id, __u32 *mc, struct rdma_ucm_event_resp *ev)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	expect("bind", bind_to(fd, id), 0);
	expect("JOIN_MCAST", join(fd, id, mc), 0);
	expect("poll for the join event", poll(&p, 1, 30000), 1);
	memset(ev, 0, sizeof(*ev));
	expect("GET_EVENT (join)", get_event(fd, ev, resp), 0);
}

/* Events: non-blocking reads, poll, events_reported, pending events. */
static void group_events(void)
{
	int fd = xopen(O_NONBLOCK);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct rdma_ucm_event_resp ev;
	__u32 e = create(fd, PS_UDP, 42), j = create(fd, PS_UDP, 43), mc, n;

	expect("GET_EVENT on an empty queue, O_NONBLOCK",
	       get_event(fd, &ev, resp), -EAGAIN);
	expect("poll on an empty queue", poll(&p, 1, 0), 0);
	expect("WRITE_CM_EVENT", write_event(fd, e, CM_EVENT_USER, 5), 0);
	expect("poll with an event", poll(&p, 1, 0), 1);
	expect("GET_EVENT, response not mapped", get_event(fd, &ev, page_end),
	       -EFAULT);
	memset(&ev, 0, sizeof(ev));
	expect("GET_EVENT after that", get_event(fd, &ev, resp), 0);
	expect("event: uid", ev.uid, 42);
	expect("event: id", ev.id, e);
	expect("event: type", ev.event, CM_EVENT_USER);
	expect("event: status", ev.status, 5);
	expect("event: argument", *(__u64 *)&ev.param, 0x1234);
	expect("GET_EVENT again", get_event(fd, &ev, resp), -EAGAIN);

	/* An event not read when the id goes is dropped, not counted. */
	expect("WRITE_CM_EVENT", write_event(fd, e, CM_EVENT_USER, 6), 0);
	expect("DESTROY_ID", destroy(fd, e, &n), 0);
	expect("DESTROY_ID: events reported", n, 1);
	expect("GET_EVENT after the destroy", get_event(fd, &ev, resp), -EAGAIN);

	/* A join's event, and the join's own count. */
	bound_join(fd, j, &mc, &ev);
	expect("event: MULTICAST_JOIN", ev.event, 12);
	expect("event: the join's uid", ev.uid, 7);
	expect("event: the join's id", ev.id, mc);
	expect("LEAVE_MCAST", release(fd, RDMA_USER_CM_CMD_LEAVE_MCAST, mc, &n), 0);
	expect("LEAVE_MCAST: events reported", n, 1);
	expect("DESTROY_ID", destroy(fd, j, &n), 0);
	expect("DESTROY_ID: events reported", n, 1);

	/* A file closed with an id, a join and events pending. */
	j = create(fd, PS_UDP, 44);
	expect("bind", bind_to(fd, j), 0);
	expect("JOIN_MCAST", join(fd, j, &mc), 0);
	expect("WRITE_CM_EVENT", write_event(fd, j, CM_EVENT_USER, 7), 0);
	close(fd);
	group_end("events");
}

/* One event on @fd (blocking), which must be @type. */
static void next_event(int fd, int type, const char *what)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct rdma_ucm_event_resp ev;
	char w[128];

	snprintf(w, sizeof(w), "poll for %s", what);
	expect(w, poll(&p, 1, 30000), 1);
	memset(&ev, 0, sizeof(ev));
	snprintf(w, sizeof(w), "GET_EVENT (%s)", what);
	expect(w, get_event(fd, &ev, resp), 0);
	snprintf(w, sizeof(w), "event: %s", what);
	expect(w, ev.event, type);
}

static double seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/*
 * An RC id of this file's address connecting to 127.0.0.1, which no CM
 * answers, rejected by its user (REJECT, or ACCEPT: rdma_accept() rejects
 * when ib_send_cm_rep() refuses an active id): the REJ must end the REQ's
 * retries, so DESTROY_ID returns at once (rdma_rs_ucma.sh checks that the
 * port's cm_tx_retries/req, counted when a send completes, did not move).
 * Before the fix of ib_cm's cm_send_rej_locked(), DESTROY_ID waited for
 * the REQ's 15 retries, about 74 s (81 s under TCG).
 */
static void group_reject(void)
{
	int fd = xopen(0), accept;
	struct rdma_ucm_resolve_ip ri = { .timeout_ms = 2000 };
	struct rdma_ucm_resolve_route rr = { .timeout_ms = 2000 };
	struct rdma_ucm_connect c = { .conn_param = { .qp_num = 0x1234, .valid = 1,
						     .retry_count = 7 } };
	struct rdma_ucm_accept a = { .conn_param = { .qp_num = 0x1234, .valid = 1 } };
	struct rdma_ucm_reject r = {};
	struct sockaddr_in *dst = (void *)&ri.dst_addr;
	double t0, t;
	__u32 id;
	long ret;

	for (accept = 0; accept < 2; accept++) {
		id = create(fd, PS_TCP, 60 + accept);
		expect("BIND_IP", run(fd, RDMA_USER_CM_CMD_BIND_IP, id), 0);
		ri.id = id;
		dst->sin_family = AF_INET;
		dst->sin_port = htons(7471);
		dst->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		expect("RESOLVE_IP to 127.0.0.1",
		       cmd(fd, RDMA_USER_CM_CMD_RESOLVE_IP, &ri, sizeof(ri)), 0);
		next_event(fd, 0, "ADDR_RESOLVED");
		rr.id = id;
		expect("RESOLVE_ROUTE",
		       cmd(fd, RDMA_USER_CM_CMD_RESOLVE_ROUTE, &rr, sizeof(rr)), 0);
		next_event(fd, 2, "ROUTE_RESOLVED");
		c.id = id;
		expect("CONNECT", cmd(fd, RDMA_USER_CM_CMD_CONNECT, &c, sizeof(c)), 0);
		if (accept) {
			a.id = id;
			ret = cmd(fd, RDMA_USER_CM_CMD_ACCEPT, &a, sizeof(a));
			expect("ACCEPT of a connecting id", ret, -EINVAL);
		} else {
			r.id = id;
			ret = cmd(fd, RDMA_USER_CM_CMD_REJECT, &r, sizeof(r));
			expect("REJECT of a connecting id", ret, 0);
		}
		t0 = seconds();
		expect("DESTROY_ID", destroy(fd, id, NULL), 0);
		t = seconds() - t0;
		if (t >= 10)
			printf("DESTROY_ID after %s took %.1f s\n",
			       accept ? "ACCEPT" : "REJECT", t);
		expect("DESTROY_ID returns within 10 s", t < 10, 1);
	}
	close(fd);
	group_end("reject");
}

/*
 * The device goes away under a bound id with a join: the user gets
 * DEVICE_REMOVAL, ucma closes the id (its rdma_cm id is destroyed, which
 * the removal waits for), then every command on the id or its join fails
 * with ENXIO, and DESTROY_ID still frees it and counts both events read.
 */
static void group_removal(const char *dev)
{
	int fd = xopen(0), i;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct rdma_ucm_event_resp ev;
	__u32 id = create(fd, PS_UDP, 45), mc, n;
	char c[128];
	long r = 0;

	bound_join(fd, id, &mc, &ev);
	snprintf(c, sizeof(c), "rdma link del %s", dev);
	expect("rdma link del", system(c), 0);
	expect("poll for the removal event", poll(&p, 1, 30000), 1);
	memset(&ev, 0, sizeof(ev));
	expect("GET_EVENT (removal)", get_event(fd, &ev, resp), 0);
	expect("event: DEVICE_REMOVAL", ev.event, 11);
	expect("event: uid", ev.uid, 45);
	expect("event: id", ev.id, id);
	/* The id is closed from a work queue; the removal waited for it. */
	for (i = 0; i < 1000; i++) {
		r = run(fd, RDMA_USER_CM_CMD_QUERY, id);
		if (r)
			break;
		usleep(10000);
	}
	expect("QUERY after the removal", r, -ENXIO);
	expect("BIND after the removal", bind_to(fd, id), -ENXIO);
	expect("LEAVE_MCAST after the removal",
	       release(fd, RDMA_USER_CM_CMD_LEAVE_MCAST, mc, NULL), -ENXIO);
	expect("GET_EVENT, nothing more", (p.revents = 0, poll(&p, 1, 0)), 0);
	expect("DESTROY_ID", destroy(fd, id, &n), 0);
	expect("DESTROY_ID: events reported", n, 2);
	expect("LEAVE_MCAST after the destroy",
	       release(fd, RDMA_USER_CM_CMD_LEAVE_MCAST, mc, NULL), -ENOENT);
	close(fd);
	group_end("removal");
}

int main(int argc, char **argv)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *map;
	int fd;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: %s BIND_IPV4 MCAST_IPV4 [DEVICE | reject]\n", argv[0]);
		return 2;
	}
	bind_addr.sin_family = AF_INET;
	mcast_addr.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[1], &bind_addr.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[2], &mcast_addr.sin_addr) != 1) {
		fprintf(stderr, "bad address\n");
		return 2;
	}
	map = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED || mprotect(map + pg, pg, PROT_NONE)) {
		perror("mmap");
		return 2;
	}
	page_end = map + pg;
	e_nosys = syscall(-1) < 0 ? -errno : 0;
	/* What was printed survives a timeout's kill (a DESTROY_ID that hangs). */
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (argc == 4 && strcmp(argv[3], "reject")) {
		group_removal(argv[3]);
		return total_bad ? 1 : 0;
	}
	if (argc == 4 && !strcmp(argv[3], "reject")) {
		group_reject();
		return total_bad ? 1 : 0;
	}
	fd = xopen(0);
	group_header(fd);
	group_short(fd);
	group_long(fd);
	group_bad_id(fd);
	group_wrong_file(fd);
	group_out(fd);
	group_garbage(fd);
	close(fd);
	group_events();
	return total_bad ? 1 : 0;
}
