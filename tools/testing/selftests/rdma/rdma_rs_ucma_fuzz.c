// SPDX-License-Identifier: GPL-2.0
/*
 * A seeded differential fuzzer of the rdma_cm write() ABI: random command
 * streams run against files of /dev/infiniband/rdma_cm served by C (twice)
 * and by Rust, and every result must be the same.
 *
 *   rdma_rs_ucma_fuzz [-n CMDS] [-s SEED] [-l OPS] [-S STREAM] [-v]
 *                     BIND_IPV4 MCAST_IPV4
 *
 * BIND_IPV4 is the address of an RDMA device (rxe), MCAST_IPV4 a group the
 * test may join; nothing else is ever resolved, so every resolution ends
 * fast. Streams of OPS operations (150) run until each implementation has
 * had CMDS write()s (20000); stream k of seed SEED is the same wherever it
 * runs, and -S k runs that one alone (-v traces it).
 *
 * A stream is a list of operations on two files of one implementation:
 * write()s of all 25 commands (and of unknown ones, short headers, headers
 * not mapped), with field values biased to boundaries, ids that are live,
 * destroyed, of the other file, of the other kind or never allocated,
 * random in and out sizes, response pointers that are right, short, not
 * mapped, read-only or not user addresses; GET_EVENT (the files are opened
 * O_NONBLOCK or not: a blocking file is polled first, so nothing blocks),
 * poll(), a close and reopen of a file, MIGRATE_ID between the two files.
 * Half of the commands are the next step of a live id (bind, resolve,
 * route, listen, connect to a listener of the same address, accept, join,
 * disconnect) so that the states behind them are reached.
 *
 * Each stream runs three times in one process: on files opened with
 * rdma_ucm.ucma_impl=c, again with c, then with rust (the parameter is read
 * at each open()). The generator's choices depend on its seed and on what
 * the kernel answered, so the three runs make the same writes as long as
 * the answers agree. For every operation the return value (or errno) and
 * the bytes the kernel wrote into the response area must be the same,
 * after these normalisations of what the kernel chooses:
 *
 *  - ids: the id of CREATE_ID's response and of an event other than a
 *    multicast one (ucma's context table), and the id of a join's response
 *    and of MULTICAST_JOIN/ERROR events (its multicast table), are replaced
 *    by their ordinal of first appearance in the stream (per table). The
 *    ids the generator writes are those the run was given, which it keeps
 *    by allocation ordinal.
 *  - ports: a port in a response that the generator never writes (rdma_cm
 *    picks a random one for port 0) becomes 0xf000 + its ordinal of first
 *    appearance: in the addresses of QUERY (ADDR, GID: the port of an AF_IB
 *    service id) and QUERY_ROUTE, and in the service id of QUERY (PATH)'s
 *    path records.
 *  - PSNs: INIT_QP_ATTR's rq_psn and sq_psn come from rdma_cm's random
 *    sequence number; a non-zero one becomes 0x1000000 + its ordinal.
 *  - flow labels: rdma_cm makes a RoCE v2 path's from its ports (so from
 *    the random one); a non-zero one becomes 0x80000 + its ordinal (kept
 *    to the field's bits): QUERY_ROUTE's routes, QUERY (PATH)'s records,
 *    QUERY (GID)'s sib_flowinfo, INIT_QP_ATTR's address handles, the
 *    address handle of a UD id's or a join's event.
 *
 * These apply to the bytes a command wrote before it failed with EFAULT
 * (a response that runs off the mapping) as well as to a whole response.
 *
 * The ABI has no timestamps; everything else (GIDs, node GUID, device
 * index, P_Keys, Q_Keys, event counts) is the same for both. The first
 * operation where the two C runs differ ends the comparison of that stream
 * and counts as noise (timing: an event that came late), and so does one
 * where Rust differs from both only in when an event came (a GET_EVENT
 * that found one in one run and none in the other, or an event the stream
 * wrote read before or after one of the kernel's, or a poll()'s
 * readiness): an implementation that lost or delayed events for good would
 * make noise of most streams, which the test's limit on noise catches. A
 * stream with noise runs again (all three runs), up to twice, and the last
 * outcome counts: timing seldom strikes three times in one place; Rust late
 * twice running at the same operation is a difference. One where the C
 * runs agree and Rust differs otherwise is a mismatch, printed with the
 * seed, stream, operation, command, both results and a hex dump of both
 * inputs and responses; the stream runs again (up to three times), and the
 * same mismatch twice running, or Rust apart from C in each of the first
 * three runs, is a difference (a run where the C runs differ between them
 * does not break the count). A mismatch that does not repeat came of
 * timing as well (an event late past its wait leaves an id in another
 * state for the next command; seen with several guests on two cores) and
 * counts as noise unless a run again is the same. The figures (writes,
 * rates, coverage) include the runs again; the summary counts the runs
 * with Rust apart from C.
 *
 * Determinism: every buffer given to the kernel is at a fixed address
 * (MAP_FIXED_NOREPLACE), so addresses do not depend on ASLR; each input
 * ends where an unmapped page begins (a command that reads more than it
 * was given faults); each response pointer that is "right" ends the
 * response where an unmapped page begins. After an asynchronous command is
 * accepted, the run waits (poll(), bounded) for the first event on the
 * files that had none pending.
 *
 * Prints a line per stream and "commands <n> streams <n> differences <n>
 * noise <n>" (commands: the fewest write()s any implementation ran); exits
 * 1 on a difference, 2 on a setup error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <rdma/rdma_user_cm.h>
#include <rdma/ib_user_verbs.h>
#include "rdma_rs_ucma.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define DEV "/dev/infiniband/rdma_cm"
#define PARAM "/sys/module/rdma_ucm/parameters/ucma_impl"
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Events and values of 7.3 that older uapi headers lack. */
#define EV_ADDR_RESOLVED 0
#define EV_ROUTE_RESOLVED 2
#define EV_CONNECT_REQUEST 4
#define EV_CONNECT_RESPONSE 5
#define EV_ESTABLISHED 9
#define EV_DISCONNECTED 10
#define EV_MC_JOIN 12
#define EV_MC_ERROR 13
#define EV_USER 18
#define EV_INTERNAL 19
#define PS_IPOIB 0x0002
#define PS_IB 0x013f
#define PS_TCP 0x0106
#define PS_UDP 0x0111
#define QPT_RC 2
#define QPT_UD 4
#define AF_IB_ 27
#define Q_ADDR 0
#define Q_PATH 1
#define Q_GID 2
#define Q_IB_SERVICE 3

/*
 * The buffers the kernel sees, at fixed addresses: the input (its last
 * byte before a guard page), the response area (the same), a read-only
 * page, and SET_OPTION's value (the same).
 */
#define PG 4096UL
#define AREA ((char *)0x5a5a00000000UL)
#define IN_END (AREA + 4 * PG)
#define RESP (AREA + 5 * PG)
#define RESP_SIZE (2 * PG)
#define RESP_END (RESP + RESP_SIZE)
#define RO_PAGE (AREA + 8 * PG)
#define OPT_END (AREA + 10 * PG)
#define AREA_SIZE (11 * PG)
#define FILL 0xa5

#define NWORLDS 3
#define NFILES 2
#define MAXH 128
#define MAXMAP 1024
#define MAXIN 1024

enum { M_CTX, M_MC, M_PORT, M_PSN, M_FLOW, NMAPS };
enum { R_WRITE, R_POLL, R_REOPEN, R_BLOCKED };

/* An id or a join of the stream, as one run knows it. */
struct handle {
	__u32 id;		/* what this run's kernel gave */
	int file;		/* the file slot it belongs to */
	int live;
	int mc;			/* a join (of id handle parent) */
	int parent;
	int stage;		/* how far it got: S_* */
	__u16 ps;
};

enum { S_NEW, S_BOUND, S_ADDR, S_ROUTE, S_LISTEN, S_CONNECTING, S_REQ,
	S_CONNECTED, S_DISCONNECTED };

/* What one operation of a run came to. */
struct rec {
	int kind;
	__u32 cmd;
	long ret;
	size_t in_at, in_len;	/* the bytes written, in the pool */
	size_t out_at;		/* the response area's changed bytes */
	int out_off, out_len;
};

struct nmap {
	__u32 key[MAXMAP];
	int n;
};

/* One run of a stream: its files, ids, records. */
struct world {
	const char *impl;
	int fd[NFILES];
	struct handle h[MAXH];
	int nh;
	struct nmap map[NMAPS];
	struct rec *rec;
	int nrec, caprec;
	unsigned char *pool;
	size_t npool, cappool;
	long cmds, waits, waits_out;
	double slowest_ms[2];
	double secs, write_secs;
	long tried[NCMDS], done[NCMDS], events[32];
};

static struct world worlds[NWORLDS];
static struct world *w;			/* the run under way */
static struct sockaddr_in bind_addr, mcast_addr;
static int null_fd, verbose;
static __u64 rng;
static long e_nosys;

/* Ports the generator writes: any other port in a response is normalised. */
static const __u16 ports[] = { 0, 0, 0, 7471, 7471, 7472, 7472, 1, 1023,
			       1024, 18515, 65535 };

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static __u64 rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static __u32 below(__u32 n)
{
	return n ? rnd() % n : 0;
}

static int chance(int pct)
{
	return below(100) < (__u32)pct;
}

static void seed_stream(__u64 seed, long stream)
{
	__u64 z = seed + 0x9e3779b97f4a7c15ULL * (stream + 1);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	rng = (z ^ (z >> 31)) | 1;
}

/* A value of @bytes bytes, biased to the boundaries. */
static __u64 boundary(int bytes)
{
	__u64 ones = bytes >= 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1;

	switch (below(10)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return ones;
	case 3:
		return ones >> 1;
	case 4:
		return (ones >> 1) + 1;
	case 5:
		return ones - 1;
	case 6:
		return below(16);
	default:
		return rnd() & ones;
	}
}

static void rnd_bytes(void *p, size_t n)
{
	unsigned char *c = p;

	while (n--)
		*c++ = rnd();
}

static size_t pool_add(const void *p, size_t n)
{
	size_t at = w->npool;

	if (w->npool + n > w->cappool) {
		w->cappool = (w->npool + n) * 2 + 65536;
		w->pool = realloc(w->pool, w->cappool);
		if (!w->pool)
			die("realloc");
	}
	memcpy(w->pool + at, p, n);
	w->npool += n;
	return at;
}

static struct rec *rec_new(int kind, __u32 cmd)
{
	struct rec *r;

	if (w->nrec == w->caprec) {
		w->caprec = w->caprec * 2 + 256;
		w->rec = realloc(w->rec, w->caprec * sizeof(*w->rec));
		if (!w->rec)
			die("realloc");
	}
	r = &w->rec[w->nrec++];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->cmd = cmd;
	return r;
}

static __u32 ordinal(int m, __u32 v)
{
	struct nmap *map = &w->map[m];
	int i;

	for (i = 0; i < map->n; i++)
		if (map->key[i] == v)
			return i + 1;
	if (map->n == MAXMAP)
		return 0xffff;
	map->key[map->n++] = v;
	return map->n;
}

/* Handles. */

static int h_add(__u32 id, int file, int mc, int parent, __u16 ps, int stage)
{
	struct handle *h;

	if (w->nh == MAXH)
		return -1;
	h = &w->h[w->nh];
	h->id = id;
	h->file = file;
	h->live = 1;
	h->mc = mc;
	h->parent = parent;
	h->ps = ps;
	h->stage = stage;
	return w->nh++;
}

/* The live handle of @file and kind @mc with id @id, or -1. */
static int h_find(__u32 id, int file, int mc)
{
	int i;

	for (i = 0; i < w->nh; i++)
		if (w->h[i].live && w->h[i].id == id && w->h[i].mc == mc &&
		    (file < 0 || w->h[i].file == file))
			return i;
	return -1;
}

static void h_kill(int i)
{
	int j;

	w->h[i].live = 0;
	if (w->h[i].mc)
		return;
	for (j = 0; j < w->nh; j++)
		if (w->h[j].mc && w->h[j].parent == i)
			w->h[j].live = 0;
}

/* A random handle of kind @mc, live or not, of @file or not (-1: any). */
static int h_pick(int mc, int live, int file)
{
	int idx[MAXH], n = 0, i;

	for (i = 0; i < w->nh; i++)
		if (w->h[i].mc == mc && w->h[i].live == live &&
		    (file < 0 || w->h[i].file == file))
			idx[n++] = i;
	return n ? idx[below(n)] : -1;
}

static __u32 never_allocated(void)
{
	static const __u32 v[] = { 0x7fffffff, 0x80000000, 0xfffffffe,
				   0xffffffff };

	return chance(50) ? v[below(ARRAY_SIZE(v))] : 0x10000 + below(0x10000);
}

/*
 * An id of kind @mc to write on @file: mostly a live one of the file,
 * else one of the other file, a destroyed one, one of the other kind, one
 * never allocated, a random value. *@hi: its live handle of @file, or -1.
 */
static __u32 pick_id(int file, int mc, int *hi)
{
	int r = below(100), i = -1;

	*hi = -1;
	if (r < 65)
		i = h_pick(mc, 1, file);
	else if (r < 75)
		i = h_pick(mc, 1, !file);
	else if (r < 83)
		i = h_pick(mc, 0, -1);
	else if (r < 90)
		i = h_pick(!mc, 1, -1);
	else if (r < 96)
		return never_allocated();
	else
		return boundary(4);
	if (i < 0)
		return never_allocated();
	if (w->h[i].live && w->h[i].file == file && w->h[i].mc == mc)
		*hi = i;
	return w->h[i].id;
}

/* Addresses. */

static __u16 pick_port(void)
{
	return ports[below(ARRAY_SIZE(ports))];
}

static int port_written(__u16 port)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ports); i++)
		if (ports[i] == port)
			return 1;
	return 0;
}

enum { A_BIND, A_MCAST, A_ANY };

/*
 * An address into @sa (128 bytes): mostly of @want (the device's address,
 * the group), else any, loopback, IPv6, AF_IB, bad families, garbage.
 * Returns its natural size.
 */
static __u16 pick_addr(void *sa, int want, int clean)
{
	struct sockaddr_in *sin = sa;
	struct sockaddr_in6 *sin6 = sa;
	int r = clean ? 0 : below(100);

	memset(sa, 0, 128);
	if (r < 60) {
		*sin = want == A_MCAST ? mcast_addr : bind_addr;
		if (want == A_ANY)
			sin->sin_addr.s_addr = 0;
		sin->sin_port = htons(pick_port());
		return sizeof(*sin);
	}
	if (r < 66) {
		*sin = chance(50) ? mcast_addr : bind_addr;
		sin->sin_port = htons(pick_port());
		return sizeof(*sin);
	}
	if (r < 71) {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = chance(50) ? 0 : htonl(INADDR_LOOPBACK);
		sin->sin_port = htons(pick_port());
		return sizeof(*sin);
	}
	if (r < 82) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(pick_port());
		switch (below(4)) {
		case 0:
			break;
		case 1:
			sin6->sin6_addr.s6_addr[15] = 1;
			break;
		case 2:
			sin6->sin6_addr.s6_addr[10] = 0xff;
			sin6->sin6_addr.s6_addr[11] = 0xff;
			memcpy(&sin6->sin6_addr.s6_addr[12],
			       want == A_MCAST ? &mcast_addr.sin_addr :
			       &bind_addr.sin_addr, 4);
			break;
		default:
			sin6->sin6_addr.s6_addr[0] = 0xff;
			sin6->sin6_addr.s6_addr[1] = 0x0e;
			sin6->sin6_addr.s6_addr[15] = 1;
			break;
		}
		if (chance(10))
			sin6->sin6_scope_id = boundary(4);
		return sizeof(*sin6);
	}
	if (r < 88) {
		/* AF_IB: a GID of no device, a service id with a port */
		__u16 *u = sa;

		u[0] = AF_IB_;
		if (chance(50))
			rnd_bytes((char *)sa + 8, 16);
		u[15] = htons(pick_port());
		return 48;
	}
	if (r < 94) {
		sin->sin_family = chance(50) ? 0 : boundary(2);
		rnd_bytes((char *)sa + 2, 14);
		return sizeof(*sin);
	}
	rnd_bytes(sa, 128);
	return below(129);
}

static __u32 pick_timeout(int clean)
{
	static const __u32 v[] = { 0, 1, 100, 2000, 0xffffffff };

	return clean ? 2000 : v[below(ARRAY_SIZE(v))];
}

/* The response size each command's response pointer is placed for. */
static size_t resp_size(__u32 cmd, const void *body)
{
	switch (cmd) {
	case RDMA_USER_CM_CMD_CREATE_ID:
	case RDMA_USER_CM_CMD_DESTROY_ID:
	case RDMA_USER_CM_CMD_JOIN_IP_MCAST:
	case RDMA_USER_CM_CMD_LEAVE_MCAST:
	case RDMA_USER_CM_CMD_MIGRATE_ID:
	case RDMA_USER_CM_CMD_JOIN_MCAST:
		return 4;
	case RDMA_USER_CM_CMD_QUERY_ROUTE:
		return sizeof(struct rdma_ucm_query_route_resp);
	case RDMA_USER_CM_CMD_INIT_QP_ATTR:
		return sizeof(struct ib_uverbs_qp_attr);
	case RDMA_USER_CM_CMD_GET_EVENT:
		return sizeof(struct rdma_ucm_event_resp);
	case RDMA_USER_CM_CMD_QUERY:
		switch (((const struct rdma_ucm_query *)body)->option) {
		case Q_PATH:
			return 8 + 2 * sizeof(struct ib_path_rec_data);
		case Q_IB_SERVICE:
			return 256;
		default:
			return sizeof(struct rdma_ucm_query_addr_resp);
		}
	default:
		return 0;
	}
}

/* Offset of the command's response pointer, or -1. */
static int resp_field(__u32 cmd)
{
	switch (cmd) {
	case RDMA_USER_CM_CMD_CREATE_ID:
		return 8;
	case RDMA_USER_CM_CMD_DESTROY_ID:
	case RDMA_USER_CM_CMD_BIND_IP:
	case RDMA_USER_CM_CMD_QUERY_ROUTE:
	case RDMA_USER_CM_CMD_INIT_QP_ATTR:
	case RDMA_USER_CM_CMD_GET_EVENT:
	case RDMA_USER_CM_CMD_JOIN_IP_MCAST:
	case RDMA_USER_CM_CMD_LEAVE_MCAST:
	case RDMA_USER_CM_CMD_MIGRATE_ID:
	case RDMA_USER_CM_CMD_QUERY:
	case RDMA_USER_CM_CMD_JOIN_MCAST:
		return 0;
	default:
		return -1;
	}
}

/* Where a response of @size bytes goes: mostly ending at the guard page. */
static __u64 pick_resp(size_t size, int clean)
{
	int r = clean ? 0 : below(100);

	if (r < 75)
		return (uintptr_t)(RESP_END - size);
	if (r < 80)
		return (uintptr_t)(RESP + below(PG));
	if (r < 85 && size)
		return (uintptr_t)(RESP_END - below(size));
	if (r < 88)
		return (uintptr_t)RESP_END;
	if (r < 91)
		return 0;
	if (r < 94)
		return (uintptr_t)RO_PAGE;
	if (r < 96)
		return 0xffff888000000000ULL;
	if (r < 98)
		return ~0ULL;
	return (uintptr_t)(RESP_END - size - 1);
}

static void conn_param(struct rdma_ucm_conn_param *c, int clean)
{
	c->qp_num = 0x100 + below(0x10000);
	c->qkey = chance(80) ? 0 : rnd();
	c->private_data_len = clean || chance(70) ? below(32) : boundary(1);
	rnd_bytes(c->private_data, c->private_data_len);
	c->srq = clean ? 0 : below(2);
	c->responder_resources = clean ? 1 : boundary(1);
	c->initiator_depth = clean ? 1 : boundary(1);
	c->flow_control = below(2);
	c->retry_count = clean ? 7 : boundary(1);
	c->rnr_retry_count = clean ? 7 : boundary(1);
	c->valid = clean || chance(90);
}

/* The SET_OPTION value, at the end of its page. */
static __u64 pick_optval(struct rdma_ucm_set_option *s, int clean)
{
	static const __u32 lens[] = { 0, 1, 3, 4, 8, 72, 144, 4096, 0xffffffff };
	size_t n;

	switch (clean ? 0 : below(6)) {
	case 0:
		s->level = RDMA_OPTION_ID;
		s->optname = below(4);
		s->optlen = s->optname == RDMA_OPTION_ID_TOS ||
			    s->optname == RDMA_OPTION_ID_ACK_TIMEOUT ? 1 : 4;
		break;
	case 1:
		s->level = RDMA_OPTION_IB;
		s->optname = RDMA_OPTION_IB_PATH;
		s->optlen = sizeof(struct ib_path_rec_data) * (1 + below(2));
		break;
	case 2:
		s->level = below(3);
		s->optname = below(5);
		s->optlen = lens[below(ARRAY_SIZE(lens))];
		break;
	default:
		s->level = boundary(4);
		s->optname = boundary(4);
		s->optlen = boundary(4);
		break;
	}
	n = s->optlen < PG ? s->optlen : PG;
	rnd_bytes(OPT_END - n, n);
	if (n && n <= 4) {
		memset(OPT_END - n, 0, n);
		OPT_END[-n] = below(s->optname == RDMA_OPTION_ID_TOS ? 256 : 3);
	}
	if (s->level == RDMA_OPTION_IB && n >= 8)
		OPT_END[-n] = below(8);	/* the path's flags */
	if (!clean && chance(10))
		return chance(50) ? (uintptr_t)OPT_END : boundary(8);
	return (uintptr_t)(OPT_END - n);
}

/*
 * The input of @cmd on @file into @b (zeroed, 1024 bytes); @clean: values
 * that pass ucma's checks; *@hi: the handle named, if live on @file.
 */
static void build(__u32 cmd, int file, void *b, int clean, int *hi)
{
	char sa[128];
	__u16 n;
	int x;

	*hi = -1;
	switch (cmd) {
	case RDMA_USER_CM_CMD_CREATE_ID: {
		struct rdma_ucm_create_id *c = b;
		static const __u16 ps[] = { PS_TCP, PS_UDP, PS_IB, PS_IPOIB, 0 };
		static const __u8 qpt[] = { QPT_RC, QPT_UD, 0, 3, 0xff };

		c->uid = chance(80) ? 1 + below(1000) : boundary(8);
		c->ps = chance(95) ? ps[below(clean ? 2 : ARRAY_SIZE(ps))] :
			boundary(2);
		c->qp_type = chance(clean ? 100 : 90) ?
			     (c->ps == PS_UDP ? QPT_UD : QPT_RC) :
			     qpt[below(ARRAY_SIZE(qpt))];
		if (!clean && chance(5))
			c->reserved[below(5)] = 1 + below(255);
		break;
	}
	case RDMA_USER_CM_CMD_DESTROY_ID:
	case RDMA_USER_CM_CMD_LEAVE_MCAST: {
		struct rdma_ucm_destroy_id *d = b;

		d->id = pick_id(file, cmd == RDMA_USER_CM_CMD_LEAVE_MCAST, hi);
		break;
	}
	case RDMA_USER_CM_CMD_BIND_IP: {
		struct rdma_ucm_bind_ip *p = b;

		p->id = pick_id(file, 0, hi);
		pick_addr(sa, A_BIND, clean);
		memcpy(&p->addr, sa, sizeof(p->addr));
		break;
	}
	case RDMA_USER_CM_CMD_RESOLVE_IP: {
		struct rdma_ucm_resolve_ip *p = b;

		p->id = pick_id(file, 0, hi);
		if (chance(30)) {
			pick_addr(sa, A_BIND, clean);
			memcpy(&p->src_addr, sa, sizeof(p->src_addr));
		}
		pick_addr(sa, A_BIND, clean);
		memcpy(&p->dst_addr, sa, sizeof(p->dst_addr));
		p->timeout_ms = pick_timeout(clean);
		break;
	}
	case RDMA_USER_CM_CMD_RESOLVE_ROUTE: {
		struct rdma_ucm_resolve_route *p = b;

		p->id = pick_id(file, 0, hi);
		p->timeout_ms = pick_timeout(clean);
		break;
	}
	case RDMA_USER_CM_CMD_QUERY_ROUTE:
	case RDMA_USER_CM_CMD_QUERY: {
		struct rdma_ucm_query *q = b;

		q->id = pick_id(file, 0, hi);
		q->option = chance(90) ? below(4) : boundary(4);
		break;
	}
	case RDMA_USER_CM_CMD_CONNECT: {
		struct rdma_ucm_connect *c = b;

		c->id = pick_id(file, 0, hi);
		conn_param(&c->conn_param, clean);
		if (!clean && chance(10)) {
			c->ece.vendor_id = boundary(4);
			c->ece.attr_mod = boundary(4);
		}
		break;
	}
	case RDMA_USER_CM_CMD_LISTEN: {
		struct rdma_ucm_listen *l = b;
		static const __u32 v[] = { 0, 1, 2, 128, 0x7fffffff, 0xffffffff };

		l->id = pick_id(file, 0, hi);
		l->backlog = clean ? 4 : v[below(ARRAY_SIZE(v))];
		break;
	}
	case RDMA_USER_CM_CMD_ACCEPT: {
		struct rdma_ucm_accept *a = b;

		a->uid = chance(50) ? 0 : 1 + below(1000);
		conn_param(&a->conn_param, clean);
		a->id = pick_id(file, 0, hi);
		if (!clean && chance(10))
			a->ece.vendor_id = boundary(4);
		break;
	}
	case RDMA_USER_CM_CMD_REJECT: {
		struct rdma_ucm_reject *r = b;

		r->id = pick_id(file, 0, hi);
		r->private_data_len = clean || chance(70) ? below(32) : boundary(1);
		r->reason = clean ? 0 : below(8);
		rnd_bytes(r->private_data, sizeof(r->private_data));
		break;
	}
	case RDMA_USER_CM_CMD_DISCONNECT:
		((struct rdma_ucm_disconnect *)b)->id = pick_id(file, 0, hi);
		break;
	case RDMA_USER_CM_CMD_INIT_QP_ATTR: {
		struct rdma_ucm_init_qp_attr *q = b;

		q->id = pick_id(file, 0, hi);
		q->qp_state = chance(85) ? 1 + below(3) : boundary(4);
		break;
	}
	case RDMA_USER_CM_CMD_SET_OPTION: {
		struct rdma_ucm_set_option *s = b;

		s->id = pick_id(file, 0, hi);
		s->optval = pick_optval(s, clean);
		break;
	}
	case RDMA_USER_CM_CMD_NOTIFY: {
		struct rdma_ucm_notify *p = b;

		p->id = pick_id(file, 0, hi);
		p->event = chance(80) ? below(20) : boundary(4);
		break;
	}
	case RDMA_USER_CM_CMD_JOIN_IP_MCAST: {
		struct rdma_ucm_join_ip_mcast *j = b;

		j->uid = 1 + below(1000);
		j->id = pick_id(file, 0, hi);
		pick_addr(sa, A_MCAST, clean);
		memcpy(&j->addr, sa, sizeof(j->addr));
		break;
	}
	case RDMA_USER_CM_CMD_MIGRATE_ID: {
		struct rdma_ucm_migrate_id *m = b;
		int i = h_pick(0, 1, !file);

		m->id = i >= 0 && (clean || chance(70)) ? w->h[i].id :
			pick_id(!file, 0, &x);
		x = below(100);
		m->fd = clean || x < 75 ? w->fd[!file] : x < 83 ? w->fd[file] :
			x < 88 ? -1 : x < 93 ? null_fd : x < 97 ? 1000 : 0;
		break;
	}
	case RDMA_USER_CM_CMD_BIND: {
		struct rdma_ucm_bind *p = b;

		p->id = pick_id(file, 0, hi);
		n = pick_addr(sa, A_BIND, clean);
		p->addr_size = clean || chance(85) ? n : boundary(2);
		memcpy(&p->addr, sa, sizeof(p->addr));
		if (!clean && chance(3))
			p->reserved = boundary(2);
		break;
	}
	case RDMA_USER_CM_CMD_RESOLVE_ADDR: {
		struct rdma_ucm_resolve_addr *p = b;

		p->id = pick_id(file, 0, hi);
		p->timeout_ms = pick_timeout(clean);
		if (chance(30)) {
			n = pick_addr(sa, A_BIND, clean);
			p->src_size = clean || chance(85) ? n : boundary(2);
			memcpy(&p->src_addr, sa, sizeof(p->src_addr));
		}
		n = pick_addr(sa, A_BIND, clean);
		p->dst_size = clean || chance(85) ? n : boundary(2);
		memcpy(&p->dst_addr, sa, sizeof(p->dst_addr));
		if (!clean && chance(3))
			p->reserved = boundary(4);
		break;
	}
	case RDMA_USER_CM_CMD_JOIN_MCAST: {
		struct rdma_ucm_join_mcast *j = b;

		j->uid = 1 + below(1000);
		j->id = pick_id(file, 0, hi);
		n = pick_addr(sa, A_MCAST, clean);
		j->addr_size = clean || chance(85) ? n : boundary(2);
		j->join_flags = clean || chance(80) ? below(2) : boundary(2);
		memcpy(&j->addr, sa, sizeof(j->addr));
		break;
	}
	case CMD_RESOLVE_IB_SERVICE: {
		struct rs_resolve_ib_service *s = b;

		s->id = pick_id(file, 0, hi);
		s->service_id = boundary(8);
		rnd_bytes(s->service_name, below(65));
		s->flags = chance(80) ? below(4) : boundary(4);
		break;
	}
	case CMD_WRITE_CM_EVENT: {
		struct rs_write_cm_event *e = b;

		e->id = pick_id(file, 0, hi);
		x = below(100);
		e->event = x < 70 ? EV_USER : x < 85 ? EV_INTERNAL : boundary(4);
		e->status = boundary(4);
		e->param.arg = boundary(8);
		break;
	}
	default:
		break;
	}
}

/* A few fields of the input set to boundary values (not its pointers). */
static void mutate(__u32 cmd, void *b, size_t size)
{
	int rf = resp_field(cmd), k = 1 + below(3);
	int width, off;
	__u64 v;

	while (size >= 8 && k--) {
		width = 1 << below(4);
		off = below(size / width) * width;
		if (rf >= 0 && off < rf + 8 && off + width > rf)
			continue;
		if (cmd == RDMA_USER_CM_CMD_SET_OPTION && off < 8)
			continue;
		v = boundary(width);
		memcpy((char *)b + off, &v, width);
	}
}

/* Normalisation of the response area after a command. */

static int in_out(int off, int len, int lo, int hi)
{
	return off >= lo && off + len <= hi;
}

static void norm32(int m, int off, int lo, int hi)
{
	__u32 v;

	if (!in_out(off, 4, lo, hi))
		return;
	memcpy(&v, RESP + off, 4);
	if (m == M_PSN && !v)
		return;
	v = (m == M_PSN ? 0x1000000 : 0) + ordinal(m, v);
	memcpy(RESP + off, &v, 4);
}

static void norm_port(int off, int lo, int hi)
{
	__u16 p;

	if (!in_out(off, 2, lo, hi))
		return;
	memcpy(&p, RESP + off, 2);
	if (port_written(ntohs(p)))
		return;
	p = htons(0xf000 + ordinal(M_PORT, ntohs(p)));
	memcpy(RESP + off, &p, 2);
}

/*
 * A flow label (the bits of @mask of the big-endian word at @off): rdma_cm
 * derives a RoCE v2 path's from the ports, so it follows the random one.
 */
static void norm_flow(int off, __u32 mask, int lo, int hi)
{
	__u32 v, f;
	int shift = __builtin_ctz(mask);

	if (!in_out(off, 4, lo, hi))
		return;
	memcpy(&v, RESP + off, 4);
	v = ntohl(v);
	f = (v & mask) >> shift;
	if (!f)
		return;
	f = (0x80000 + ordinal(M_FLOW, f)) << shift;
	v = htonl((v & ~mask) | (f & mask));
	memcpy(RESP + off, &v, 4);
}

/* The port of an address of @room bytes at @off. */
static void norm_sa(int off, int room, int lo, int hi)
{
	__u16 fam;

	if (!in_out(off, 2, lo, hi))
		return;
	memcpy(&fam, RESP + off, 2);
	if (fam == AF_INET || fam == AF_INET6) {
		norm_port(off + 2, lo, hi);
	} else if (fam == AF_IB_ && room >= 32) {
		norm_flow(off + 4, 0xfffff, lo, hi);
		norm_port(off + 30, lo, hi);
	}
}

static __u32 rd32(int off, int lo, int hi, __u32 dflt)
{
	__u32 v;

	if (!in_out(off, 4, lo, hi))
		return dflt;
	memcpy(&v, RESP + off, 4);
	return v;
}

/*
 * What a command's success (or failure) tells the generator, then the
 * normalisation of the response at @roff; [lo, hi): the changed bytes.
 */
static void learn(__u32 cmd, int file, const void *b, size_t in_len,
		  long ret, int hi_, int roff, int lo, int hi)
{
	size_t full = cmd < NCMDS ? in_size[cmd] : 0;
	int ok = ret >= 0, efault = ret == -EFAULT && in_len >= full;
	__u32 id, ev;
	int i, j;

	switch (cmd) {
	case RDMA_USER_CM_CMD_CREATE_ID:
		if (!ok)
			break;
		id = rd32(roff, lo, hi, 0);
		h_add(id, file, 0, -1, ((const struct rdma_ucm_create_id *)b)->ps,
		      S_NEW);
		norm32(M_CTX, roff, lo, hi);
		break;
	case RDMA_USER_CM_CMD_DESTROY_ID:
	case RDMA_USER_CM_CMD_LEAVE_MCAST:
		if (hi_ >= 0 && (ok || efault))
			h_kill(hi_);
		break;
	case RDMA_USER_CM_CMD_BIND_IP:
	case RDMA_USER_CM_CMD_BIND:
		if (ok && hi_ >= 0 && w->h[hi_].stage < S_BOUND)
			w->h[hi_].stage = S_BOUND;
		break;
	case RDMA_USER_CM_CMD_LISTEN:
		if (ok && hi_ >= 0)
			w->h[hi_].stage = S_LISTEN;
		break;
	case RDMA_USER_CM_CMD_CONNECT:
		if (ok && hi_ >= 0)
			w->h[hi_].stage = S_CONNECTING;
		break;
	case RDMA_USER_CM_CMD_ACCEPT:
		if (ok && hi_ >= 0)
			w->h[hi_].stage = S_CONNECTED;
		break;
	case RDMA_USER_CM_CMD_DISCONNECT:
		if (ok && hi_ >= 0)
			w->h[hi_].stage = S_DISCONNECTED;
		break;
	case RDMA_USER_CM_CMD_JOIN_IP_MCAST:
	case RDMA_USER_CM_CMD_JOIN_MCAST:
		if (!ok)
			break;
		id = rd32(roff, lo, hi, 0);
		if (hi_ >= 0)
			h_add(id, file, 1, hi_, 0, S_NEW);
		norm32(M_MC, roff, lo, hi);
		break;
	case RDMA_USER_CM_CMD_MIGRATE_ID: {
		const struct rdma_ucm_migrate_id *m = b;

		if (!ok || (int)m->fd != w->fd[!file])
			break;
		i = h_find(m->id, !file, 0);
		if (i < 0)
			break;
		w->h[i].file = file;
		for (j = 0; j < w->nh; j++)
			if (w->h[j].mc && w->h[j].parent == i)
				w->h[j].file = file;
		break;
	}
	case RDMA_USER_CM_CMD_GET_EVENT:
		if (!ok && !efault)
			break;
		id = rd32(roff + 8, lo, hi, ~0u);
		ev = rd32(roff + 12, lo, hi, ~0u);
		i = h_find(id, file, ev == EV_MC_JOIN || ev == EV_MC_ERROR);
		/* after EFAULT the event stays queued: nothing is learnt */
		if (ok) {
			if (ev == EV_CONNECT_REQUEST && i < 0)
				h_add(id, file, 0, -1, 0, S_REQ);
			else if (i >= 0 && ev == EV_ADDR_RESOLVED)
				w->h[i].stage = S_ADDR;
			else if (i >= 0 && ev == EV_ROUTE_RESOLVED)
				w->h[i].stage = S_ROUTE;
			else if (i >= 0 && ev == EV_CONNECT_RESPONSE)
				w->h[i].stage = S_REQ;
			else if (i >= 0 && ev == EV_ESTABLISHED)
				w->h[i].stage = S_CONNECTED;
			else if (i >= 0 && ev == EV_DISCONNECTED)
				w->h[i].stage = S_DISCONNECTED;
		}
		norm32(ev == EV_MC_JOIN || ev == EV_MC_ERROR ? M_MC : M_CTX,
		       roff + 8, lo, hi);
		/* a UD event's address handle: param.ud.ah_attr.grh */
		if (ev == EV_MC_JOIN || ev == EV_MC_ERROR ||
		    (i >= 0 && w->h[i].ps == PS_UDP))
			norm_flow(roff + 44, 0xffffffff, lo, hi);
		break;
	case RDMA_USER_CM_CMD_QUERY_ROUTE:
		if (!ok && !efault)
			break;
		for (i = 0; i < 2; i++)
			norm_flow(roff + 8 + i * sizeof(struct ib_user_path_rec) +
				  offsetof(struct ib_user_path_rec, flow_label),
				  0xfffff, lo, hi);
		norm_sa(roff + offsetof(struct rdma_ucm_query_route_resp,
					src_addr), 28, lo, hi);
		norm_sa(roff + offsetof(struct rdma_ucm_query_route_resp,
					dst_addr), 28, lo, hi);
		break;
	case RDMA_USER_CM_CMD_QUERY: {
		__u32 opt = ((const struct rdma_ucm_query *)b)->option;

		if (!ok && !efault)
			break;
		if (opt == Q_ADDR || opt == Q_GID) {
			norm_sa(roff + offsetof(struct rdma_ucm_query_addr_resp,
						src_addr), 128, lo, hi);
			norm_sa(roff + offsetof(struct rdma_ucm_query_addr_resp,
						dst_addr), 128, lo, hi);
		} else if (opt == Q_PATH) {
			__u32 np = rd32(roff, lo, hi, 0);

			/*
			 * Packed (ib_sa_pack_path()): the service id at 0,
			 * the word of raw traffic, flow label and hop
			 * limit at 44, its flow label bits 8 to 27.
			 */
			for (i = 0; i < (int)np && i < 64; i++) {
				norm_port(roff + 8 + i * 72 + 8 + 6, lo, hi);
				norm_flow(roff + 8 + i * 72 + 8 + 44, 0x0fffff00,
					  lo, hi);
			}
		}
		break;
	}
	case RDMA_USER_CM_CMD_INIT_QP_ATTR:
		if (!ok && !efault)
			break;
		norm32(M_PSN, roff + offsetof(struct ib_uverbs_qp_attr, rq_psn),
		       lo, hi);
		norm32(M_PSN, roff + offsetof(struct ib_uverbs_qp_attr, sq_psn),
		       lo, hi);
		norm_flow(roff + offsetof(struct ib_uverbs_qp_attr, ah_attr) +
			  16, 0xffffffff, lo, hi);
		norm_flow(roff + offsetof(struct ib_uverbs_qp_attr, alt_ah_attr) +
			  16, 0xffffffff, lo, hi);
		break;
	default:
		break;
	}
}

static int is_async(__u32 cmd)
{
	switch (cmd) {
	case RDMA_USER_CM_CMD_RESOLVE_IP:
	case RDMA_USER_CM_CMD_RESOLVE_ROUTE:
	case RDMA_USER_CM_CMD_JOIN_IP_MCAST:
	case RDMA_USER_CM_CMD_RESOLVE_ADDR:
	case RDMA_USER_CM_CMD_JOIN_MCAST:
	case CMD_RESOLVE_IB_SERVICE:
		return 1;
	case RDMA_USER_CM_CMD_CONNECT:
	case RDMA_USER_CM_CMD_ACCEPT:
	case RDMA_USER_CM_CMD_REJECT:
	case RDMA_USER_CM_CMD_DISCONNECT:
	case RDMA_USER_CM_CMD_NOTIFY:
		return 2;	/* events on both ends of a connection */
	default:
		return 0;
	}
}

static int readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

/*
 * The bounds of the waits for an accepted asynchronous command's first
 * event, in ms (settle(): kind 1, one-ended: address, route, join; kind 2,
 * connection). Events that come at all come fast under TCG (2026-12-03):
 * with the earlier bounds of 1,000 and 300 ms none came after 20 and 50 ms
 * in 5,000 commands (three runs); with these, the slowest came after 15
 * and 25 ms in 20,000 (seed 1) and after 112 and 41 ms in 100,000 (seed
 * 2). Most waits that run out wait for an event that never comes (a
 * DISCONNECT of an id that never connected, a RESOLVE_ADDR with a timeout
 * of 2 s or none), so the bounds set the fuzzer's speed: 250 and 200 ms,
 * 2.2x and 4.9x the slowest event seen. A later event is noise, which
 * the runs again absorb (an implementation late for good is a difference).
 * Every run prints its waits (those that only slept on pending events
 * included), how many ran out, and the slowest event.
 */
#define WAIT_ONE_ENDED_MS 250
#define WAIT_CONNECTION_MS 200

/*
 * After an accepted asynchronous command on @file: wait for the first event
 * on the files that had none pending (@empty), the command's own file for
 * a one-ended command; else a short sleep.
 */
static void settle(int kind, int file, const int *empty)
{
	struct pollfd p[NFILES];
	int n = 0, f;
	double t0, ms;

	for (f = 0; f < NFILES; f++)
		if (empty[f] && (kind == 2 || f == file))
			p[n++] = (struct pollfd){ .fd = w->fd[f], .events = POLLIN };
	if (!n) {
		usleep(kind == 2 ? 30000 : 10000);
		return;
	}
	t0 = now();
	if (poll(p, n, kind == 2 ? WAIT_CONNECTION_MS : WAIT_ONE_ENDED_MS) <= 0) {
		w->waits_out++;
		return;
	}
	ms = (now() - t0) * 1000;
	if (ms > w->slowest_ms[kind - 1])
		w->slowest_ms[kind - 1] = ms;
	if (kind != 2)
		return;
	/* the other end's event, shortly after */
	for (f = 0; f < n; f++)
		if (!(p[f].revents & POLLIN))
			poll(&p[f], 1, 30);
}

static void hexdump(const char *tag, const unsigned char *p, size_t n, int base)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i % 32 == 0)
			printf("%s%s  %04zx:", i ? "\n" : "", tag, base + i);
		printf(" %02x", p[i]);
	}
	if (n)
		printf("\n");
}

/*
 * One write() of @len bytes (whose header says @cmd) from @img, ending at
 * the input guard page; @body: the command's structure (for learn()).
 */
static void do_write(int file, __u32 cmd, const unsigned char *img, size_t len,
		     size_t in_len, int hi_, int unmapped)
{
	const void *body = img + sizeof(struct rdma_ucm_cmd_hdr);
	int roff = -1, lo, hi, empty[NFILES], f, async = 0;
	__u64 rp = 0;
	struct rec *r;
	ssize_t ret;
	double t0;

	/* A GET_EVENT that would wait forever is not written. */
	if (cmd == RDMA_USER_CM_CMD_GET_EVENT && !unmapped &&
	    !(fcntl(w->fd[file], F_GETFL) & O_NONBLOCK) &&
	    !readable(w->fd[file])) {
		rec_new(R_BLOCKED, cmd);
		return;
	}
	memcpy(IN_END - len, img, len);
	memset(RESP, FILL, RESP_SIZE);
	if (cmd < NCMDS && resp_field(cmd) >= 0 && in_len >= (size_t)resp_field(cmd) + 8)
		memcpy(&rp, (const char *)body + resp_field(cmd), 8);
	if (rp >= (uintptr_t)RESP && rp < (uintptr_t)RESP_END)
		roff = rp - (uintptr_t)RESP;
	if (cmd < NCMDS)
		async = is_async(cmd);
	if (async)
		for (f = 0; f < NFILES; f++)
			empty[f] = !readable(w->fd[f]);
	t0 = now();
	ret = unmapped ? write(w->fd[file], IN_END, 16) :
	      write(w->fd[file], IN_END - len, len);
	w->write_secs += now() - t0;
	w->cmds++;
	r = rec_new(R_WRITE, cmd);
	r->ret = ret < 0 ? -errno : ret;
	if (async && ret >= 0) {
		settle(async, file, empty);
		w->waits++;
	}
	if (cmd < NCMDS) {
		w->tried[cmd]++;
		w->done[cmd] += ret >= 0;
	}
	if (cmd == RDMA_USER_CM_CMD_GET_EVENT && ret >= 0 && roff >= 0 &&
	    roff + 16 <= (int)RESP_SIZE)
		w->events[*(__u32 *)(RESP + roff + 12) & 31]++;
	for (lo = 0; lo < (int)RESP_SIZE && (unsigned char)RESP[lo] == FILL; lo++)
		;
	for (hi = RESP_SIZE; hi > lo && (unsigned char)RESP[hi - 1] == FILL; hi--)
		;
	if (!unmapped && len >= sizeof(struct rdma_ucm_cmd_hdr) + in_len &&
	    cmd < NCMDS)
		learn(cmd, file, body, in_len, r->ret, hi_, roff, lo, hi);
	r->in_at = pool_add(img, len);
	r->in_len = len;
	r->out_off = lo;
	r->out_len = hi - lo;
	r->out_at = pool_add(RESP + lo, hi - lo);
	if (verbose) {
		printf("  %s op %d file %d %s ret %ld\n", w->impl, w->nrec - 1,
		       file, cmd < NCMDS ? cmd_name[cmd] : "?", r->ret);
		hexdump("   in", img, len, 0);
		hexdump("  out", (unsigned char *)RESP + lo, hi - lo, lo);
	}
}

/* A command (@smart: the next step of a live id) written on @file. */
static void op_command(int file, int smart)
{
	unsigned char img[sizeof(struct rdma_ucm_cmd_hdr) + MAXIN + 64];
	struct rdma_ucm_cmd_hdr *hdr = (void *)img;
	unsigned char *b = img + sizeof(*hdr);
	int clean = smart, hi_ = -1, i = -1, r, rf;
	size_t size, in_len, len, rs;
	__u32 cmd;

	memset(img, 0, sizeof(img));
	cmd = below(NCMDS);
	if (smart) {
		i = h_pick(0, 1, file);
		if (i < 0) {
			cmd = RDMA_USER_CM_CMD_CREATE_ID;
		} else {
			static const __u32 next[][4] = {
				[S_NEW] = { RDMA_USER_CM_CMD_BIND,
					    RDMA_USER_CM_CMD_RESOLVE_ADDR,
					    RDMA_USER_CM_CMD_BIND_IP,
					    RDMA_USER_CM_CMD_RESOLVE_IP },
				[S_BOUND] = { RDMA_USER_CM_CMD_LISTEN,
					      RDMA_USER_CM_CMD_JOIN_MCAST,
					      RDMA_USER_CM_CMD_RESOLVE_ADDR,
					      RDMA_USER_CM_CMD_QUERY },
				[S_ADDR] = { RDMA_USER_CM_CMD_RESOLVE_ROUTE,
					     RDMA_USER_CM_CMD_RESOLVE_ROUTE,
					     RDMA_USER_CM_CMD_JOIN_IP_MCAST,
					     RDMA_USER_CM_CMD_QUERY },
				[S_ROUTE] = { RDMA_USER_CM_CMD_CONNECT,
					      RDMA_USER_CM_CMD_CONNECT,
					      RDMA_USER_CM_CMD_INIT_QP_ATTR,
					      RDMA_USER_CM_CMD_QUERY_ROUTE },
				[S_LISTEN] = { RDMA_USER_CM_CMD_QUERY,
					       RDMA_USER_CM_CMD_GET_EVENT,
					       RDMA_USER_CM_CMD_MIGRATE_ID,
					       RDMA_USER_CM_CMD_DESTROY_ID },
				[S_CONNECTING] = { RDMA_USER_CM_CMD_GET_EVENT,
						   RDMA_USER_CM_CMD_GET_EVENT,
						   RDMA_USER_CM_CMD_DISCONNECT,
						   RDMA_USER_CM_CMD_QUERY },
				[S_REQ] = { RDMA_USER_CM_CMD_ACCEPT,
					    RDMA_USER_CM_CMD_ACCEPT,
					    RDMA_USER_CM_CMD_REJECT,
					    RDMA_USER_CM_CMD_INIT_QP_ATTR },
				[S_CONNECTED] = { RDMA_USER_CM_CMD_DISCONNECT,
						  RDMA_USER_CM_CMD_INIT_QP_ATTR,
						  RDMA_USER_CM_CMD_NOTIFY,
						  RDMA_USER_CM_CMD_GET_EVENT },
				[S_DISCONNECTED] = { RDMA_USER_CM_CMD_DESTROY_ID,
						     RDMA_USER_CM_CMD_GET_EVENT,
						     CMD_WRITE_CM_EVENT,
						     RDMA_USER_CM_CMD_QUERY },
			};

			cmd = next[w->h[i].stage][below(4)];
			if (chance(8))
				cmd = CMD_WRITE_CM_EVENT;
		}
	}
	/* Smart commands name the chosen id, the others pick their own. */
	if (smart && cmd != RDMA_USER_CM_CMD_CREATE_ID &&
	    cmd != RDMA_USER_CM_CMD_GET_EVENT &&
	    cmd != RDMA_USER_CM_CMD_MIGRATE_ID) {
		build(cmd, file, b, clean, &hi_);
		*(__u32 *)(b + (cmd == RDMA_USER_CM_CMD_CONNECT ?
				offsetof(struct rdma_ucm_connect, id) :
				cmd == RDMA_USER_CM_CMD_ACCEPT ?
				offsetof(struct rdma_ucm_accept, id) :
				cmd == RDMA_USER_CM_CMD_DESTROY_ID ?
				offsetof(struct rdma_ucm_destroy_id, id) :
				cmd == RDMA_USER_CM_CMD_QUERY ||
				cmd == RDMA_USER_CM_CMD_QUERY_ROUTE ?
				offsetof(struct rdma_ucm_query, id) :
				cmd == RDMA_USER_CM_CMD_INIT_QP_ATTR ?
				offsetof(struct rdma_ucm_init_qp_attr, id) :
				cmd == RDMA_USER_CM_CMD_JOIN_IP_MCAST ?
				offsetof(struct rdma_ucm_join_ip_mcast, id) :
				cmd == RDMA_USER_CM_CMD_JOIN_MCAST ?
				offsetof(struct rdma_ucm_join_mcast, id) :
				cmd == RDMA_USER_CM_CMD_SET_OPTION ?
				offsetof(struct rdma_ucm_set_option, id) :
				cmd == RDMA_USER_CM_CMD_BIND_IP ?
				offsetof(struct rdma_ucm_bind_ip, id) :
				cmd == RDMA_USER_CM_CMD_RESOLVE_IP ?
				offsetof(struct rdma_ucm_resolve_ip, id) :
				0)) = w->h[i].id;
		hi_ = i;
		if (cmd == RDMA_USER_CM_CMD_BIND) {
			/* a listener's address, or any port */
			struct sockaddr_in *sin = (void *)&((struct rdma_ucm_bind *)b)->addr;

			*sin = bind_addr;
			sin->sin_port = chance(60) ? htons(7471 + below(2)) : 0;
			((struct rdma_ucm_bind *)b)->addr_size = sizeof(*sin);
		} else if (cmd == RDMA_USER_CM_CMD_RESOLVE_ADDR) {
			struct rdma_ucm_resolve_addr *ra = (void *)b;
			struct sockaddr_in *sin = (void *)&ra->dst_addr;

			memset(&ra->src_addr, 0, sizeof(ra->src_addr));
			ra->src_size = 0;
			*sin = bind_addr;
			sin->sin_port = htons(7471 + below(2));
			ra->dst_size = sizeof(*sin);
		}
	} else {
		build(cmd, file, b, clean, &hi_);
	}
	size = in_size[cmd];
	r = clean ? 0 : below(100);
	if (!size)
		in_len = below(64);
	else if (r < 80)
		in_len = size;
	else if (r < 84)
		in_len = 0;
	else if (r < 88)
		in_len = size - 1;
	else if (r < 94)
		in_len = size + 1 + below(64);
	else
		in_len = below(size);
	if (in_len > size)
		memset(b + size, chance(50) ? 0xff : 0, in_len - size);
	if (!clean && chance(25))
		mutate(cmd, b, size);
	/* the response pointer and the out size */
	rf = resp_field(cmd);
	rs = resp_size(cmd, b);
	r = clean ? 0 : below(100);
	hdr->out = r < 70 ? rs : r < 78 ? 0 : r < 86 ? (rs ? rs - 1 : 1) :
		   r < 92 ? 0xffff : below(rs + 64);
	if (rf >= 0) {
		__u64 p = pick_resp(hdr->out < rs ? hdr->out : rs, clean);

		memcpy(b + rf, &p, 8);
	}
	hdr->in = in_len;
	hdr->cmd = cmd;
	r = clean ? 999 : below(1000);
	if (r < 8) {
		static const __u32 bad[] = { NCMDS, NCMDS + 1, 0x7fffffff,
					     0x80000000, 0xffffffff,
					     RDMA_USER_CM_CMD_GET_OPTION };

		hdr->cmd = bad[below(ARRAY_SIZE(bad))];
	}
	len = sizeof(*hdr) + in_len;
	if (r >= 8 && r < 30)
		len = in_len ? len - 1 : 4;
	else if (r >= 30 && r < 45)
		len = below(sizeof(*hdr));
	else if (r >= 45 && r < 80)
		len += below(16);
	do_write(file, hdr->cmd, img, len, in_len, hi_, r >= 80 && r < 85);
}

/* GET_EVENT: a blocking file is polled first and skipped if empty. */
static void op_get_event(int file)
{
	unsigned char img[sizeof(struct rdma_ucm_cmd_hdr) +
			  sizeof(struct rdma_ucm_get_event)];
	struct rdma_ucm_cmd_hdr *hdr = (void *)img;
	struct rdma_ucm_get_event *g = (void *)(hdr + 1);
	int fl = fcntl(w->fd[file], F_GETFL);
	size_t rs = sizeof(struct rdma_ucm_event_resp);
	int r = below(100);

	if (!(fl & O_NONBLOCK) && !readable(w->fd[file])) {
		rec_new(R_BLOCKED, RDMA_USER_CM_CMD_GET_EVENT);
		return;
	}
	hdr->cmd = RDMA_USER_CM_CMD_GET_EVENT;
	hdr->in = sizeof(*g);
	hdr->out = r < 80 ? rs : r < 85 ? rs - 12 : r < 90 ? rs - 13 :
		   r < 95 ? 0xffff : below(rs);
	g->response = pick_resp(hdr->out < rs ? hdr->out : rs, chance(70));
	do_write(file, hdr->cmd, img, sizeof(img), sizeof(*g), -1, 0);
}

static void op_poll(int file)
{
	struct pollfd p = { .fd = w->fd[file], .events = POLLIN | POLLOUT };
	struct rec *r = rec_new(R_POLL, 0);

	r->ret = poll(&p, 1, 0) < 0 ? -errno : p.revents;
}

static int open_file(void)
{
	int fd = open(DEV, O_RDWR | O_CLOEXEC | (chance(70) ? O_NONBLOCK : 0));

	if (fd < 0)
		die(DEV);
	return fd;
}

/* Close a file (its ids go) and open another in its place. */
static void op_reopen(int file)
{
	struct rec *r = rec_new(R_REOPEN, 0);
	int i, fd;

	close(w->fd[file]);
	for (i = 0; i < w->nh; i++)
		if (w->h[i].file == file)
			w->h[i].live = 0;
	fd = open_file();
	r->ret = fd == w->fd[file] ? 0 : 1;
	w->fd[file] = fd;
}

static void set_impl(const char *impl)
{
	int fd = open(PARAM, O_WRONLY);

	if (fd < 0 || write(fd, impl, strlen(impl)) < 0)
		die(PARAM);
	close(fd);
}

/* Stream @stream of @seed, @ops operations, on world @wi. */
static void run_stream(int wi, __u64 seed, long stream, int ops)
{
	double t0 = now();
	int f, i, r;

	w = &worlds[wi];
	set_impl(w->impl);
	seed_stream(seed, stream);
	w->nh = 0;
	w->nrec = 0;
	w->npool = 0;
	memset(w->map, 0, sizeof(w->map));
	for (f = 0; f < NFILES; f++)
		w->fd[f] = open_file();
	for (i = 0; i < ops; i++) {
		f = below(NFILES);
		r = below(100);
		if (r < 2)
			op_reopen(f);
		else if (r < 6)
			op_poll(f);
		else if (r < 20)
			op_get_event(f);
		else if (r < 60)
			op_command(f, 1);
		else
			op_command(f, 0);
	}
	for (f = 0; f < NFILES; f++)
		close(w->fd[f]);
	w->secs += now() - t0;
}

static int rec_eq(const struct world *a, const struct world *b, int i)
{
	const struct rec *x = &a->rec[i], *y = &b->rec[i];

	return x->kind == y->kind && x->cmd == y->cmd && x->ret == y->ret &&
	       x->out_off == y->out_off && x->out_len == y->out_len &&
	       !memcmp(a->pool + x->out_at, b->pool + y->out_at, x->out_len);
}

static const char *rec_what(const struct rec *r)
{
	static const char *const kinds[] = { "write", "poll", "reopen",
					     "blocked" };

	if (r->kind == R_WRITE)
		return r->cmd < NCMDS ? cmd_name[r->cmd] : "unknown command";
	return kinds[r->kind];
}

static void show(const struct world *a, int i)
{
	const struct rec *r = &a->rec[i];

	printf("  %s: %s ret %ld%s%s, response bytes %d at +%d\n", a->impl,
	       rec_what(r), r->ret, r->ret < 0 ? " " : "",
	       r->ret < 0 && r->ret > -4096 ? strerror(-r->ret) : "",
	       r->out_len, r->out_off);
	hexdump("    in ", a->pool + r->in_at, r->in_len, 0);
	hexdump("    out", a->pool + r->out_at, r->out_len, r->out_off);
}

/*
 * Whether two records differ only in when an event arrived: a GET_EVENT
 * read one in one run (successfully) and found none in the other (the file
 * would block, or EAGAIN), or two successful polls saw different input
 * readiness and nothing else.
 */
static int timing_only(const struct rec *x, const struct rec *y)
{
	int none_x = x->kind == R_BLOCKED || (x->kind == R_WRITE && x->ret == -EAGAIN);
	int none_y = y->kind == R_BLOCKED || (y->kind == R_WRITE && y->ret == -EAGAIN);
	int read_x = x->kind == R_WRITE && x->ret >= 0;
	int read_y = y->kind == R_WRITE && y->ret >= 0;

	if (x->kind == R_POLL && y->kind == R_POLL)
		return x->ret >= 0 && y->ret >= 0 &&
		       !((x->ret ^ y->ret) & ~(long)(POLLIN | POLLRDNORM));
	return x->cmd == RDMA_USER_CM_CMD_GET_EVENT &&
	       y->cmd == RDMA_USER_CM_CMD_GET_EVENT &&
	       ((none_x && read_y) || (read_x && none_y));
}

/*
 * Whether two successful GET_EVENTs read events of different types, one of
 * them an event the stream wrote (WRITE_CM_EVENT): a written event is
 * queued at once, the kernel's own come when they come (a CM timeout's
 * UNREACHABLE, a peer's REJECTED), so which of the two is read first is
 * timing.
 */
static int written_event_order(const struct world *a, const struct world *b, int i)
{
	const struct rec *x = &a->rec[i], *y = &b->rec[i];
	const size_t at = offsetof(struct rdma_ucm_event_resp, event);
	__u32 ex, ey;

	if (x->cmd != RDMA_USER_CM_CMD_GET_EVENT || y->cmd != RDMA_USER_CM_CMD_GET_EVENT ||
	    x->kind != R_WRITE || y->kind != R_WRITE || x->ret < 0 || y->ret < 0 ||
	    x->out_len < (int)(at + sizeof(ex)) || y->out_len < (int)(at + sizeof(ey)))
		return 0;
	memcpy(&ex, a->pool + x->out_at + at, sizeof(ex));
	memcpy(&ey, b->pool + y->out_at + at, sizeof(ey));
	return ex != ey && (ex == EV_USER || ex == EV_INTERNAL ||
			    ey == EV_USER || ey == EV_INTERNAL);
}

/*
 * The first operation where C and C, or C and Rust, differ; -1: none.
 * *noise: the difference is timing; *late: between C and Rust (C agreeing).
 */
static int compare(__u64 seed, long stream, int *noise, int *late)
{
	struct world *c = &worlds[0], *c2 = &worlds[1], *rs = &worlds[2];
	int n = c->nrec, i;

	*noise = 0;
	*late = 0;
	if (c2->nrec < n)
		n = c2->nrec;
	if (rs->nrec < n)
		n = rs->nrec;
	for (i = 0; i < n; i++) {
		if (!rec_eq(c, c2, i)) {
			static int shown;

			*noise = 1;
			if (shown++ < 3) {
				printf("NOISE seed %llu stream %ld op %d: %s\n",
				       (unsigned long long)seed, stream, i,
				       rec_what(&c->rec[i]));
				show(c, i);
				show(c2, i);
			}
			return i;
		}
		if (!rec_eq(c, rs, i) &&
		    (timing_only(&c->rec[i], &rs->rec[i]) ||
		     written_event_order(c, rs, i))) {
			printf("NOISE seed %llu stream %ld op %d: %s in C, %s in Rust\n",
			       (unsigned long long)seed, stream, i,
			       rec_what(&c->rec[i]), rec_what(&rs->rec[i]));
			*noise = 1;
			*late = 1;
			return i;
		}
		if (!rec_eq(c, rs, i)) {
			printf("MISMATCH seed %llu stream %ld op %d: %s\n",
			       (unsigned long long)seed, stream, i,
			       rec_what(&c->rec[i]));
			show(c, i);
			show(rs, i);
			return i;
		}
	}
	/* A run that recorded more operations than another differs too. */
	if (c->nrec != c2->nrec) {
		*noise = 1;
		return n;
	}
	if (c->nrec != rs->nrec) {
		printf("MISMATCH seed %llu stream %ld: %d operations in C, %d in Rust\n",
		       (unsigned long long)seed, stream, c->nrec, rs->nrec);
		return n;
	}
	return -1;
}

int main(int argc, char **argv)
{
	long cmds = 20000, stream = 0, only = -1, streams = 0, diffs = 0;
	long noises = 0, mismatches = 0, min;
	__u64 seed = 1;
	int ops = 150, opt, i, at, noise, again, late, late_at, mismatch_at;
	int cc_noise, rust_runs;
	char old[16] = "c";
	char *map;
	FILE *p;

	while ((opt = getopt(argc, argv, "n:s:l:S:v")) != -1) {
		switch (opt) {
		case 'n':
			cmds = atol(optarg);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'l':
			ops = atoi(optarg);
			break;
		case 'S':
			only = atol(optarg);
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 2) {
usage:
		fprintf(stderr, "usage: %s [-n CMDS] [-s SEED] [-l OPS] %s\n",
			argv[0], "[-S STREAM] [-v] BIND_IPV4 MCAST_IPV4");
		return 2;
	}
	bind_addr.sin_family = AF_INET;
	mcast_addr.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[optind], &bind_addr.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[optind + 1], &mcast_addr.sin_addr) != 1) {
		fprintf(stderr, "bad address\n");
		return 2;
	}
	map = mmap(AREA, AREA_SIZE, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (map != AREA)
		die("mmap at a fixed address");
	if (mprotect(AREA, 4 * PG, PROT_READ | PROT_WRITE) ||
	    mprotect(RESP, RESP_SIZE, PROT_READ | PROT_WRITE) ||
	    mprotect(OPT_END - PG, PG, PROT_READ | PROT_WRITE) ||
	    mprotect(RO_PAGE, PG, PROT_READ))
		die("mprotect");
	e_nosys = syscall(-1) < 0 ? -errno : 0;
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	p = fopen(PARAM, "r");
	if (!p || !fgets(old, sizeof(old), p))
		die(PARAM);
	fclose(p);
	old[strcspn(old, "\n")] = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	worlds[0].impl = "c";
	worlds[1].impl = "c";
	worlds[2].impl = "rust";
	printf("seed %llu ops %d commands %ld (ENOSYS is %ld)\n",
	       (unsigned long long)seed, ops, cmds, e_nosys);
	for (stream = only >= 0 ? only : 0;; stream++) {
		/*
		 * Noise is timing: a stream whose C runs differ runs again,
		 * up to twice, and the last outcome counts. Where Rust alone
		 * differs (late, or another answer), the stream runs again too,
		 * up to three times, and a difference is what repeats: Rust
		 * late at the same operation twice running, the same mismatch
		 * at the same operation twice running (a run where the C runs
		 * differ between them says nothing of Rust and does not break
		 * the count), or Rust apart from C in every run. A mismatch
		 * that does not repeat came of timing (a late event leaves an
		 * id in another state; seen when several guests share the
		 * cores): noise, unless a run again is the same.
		 */
		late_at = -1;
		mismatch_at = -1;
		rust_runs = 0;
		for (again = 0; again < 4; again++) {
			for (i = 0; i < NWORLDS; i++)
				run_stream(i, seed, stream, ops);
			at = compare(seed, stream, &noise, &late);
			if (at < 0)
				break;
			if ((late && at == late_at) || (!noise && at == mismatch_at)) {
				printf("DIFFERENCE seed %llu stream %ld op %d (%s): %s\n",
				       (unsigned long long)seed, stream, at,
				       at < worlds[0].nrec ? rec_what(&worlds[0].rec[at]) : "end",
				       late ? "Rust's event timing, twice" :
				       "the same mismatch, twice");
				noise = 0;
				break;
			}
			cc_noise = noise && !late;
			if (!cc_noise) {
				rust_runs++;
				late_at = late ? at : -1;
				mismatch_at = late ? -1 : at;
			}
			noise = 1;
			if (rust_runs == 3 && rust_runs == again + 1) {
				printf("DIFFERENCE seed %llu stream %ld op %d (%s): %s\n",
				       (unsigned long long)seed, stream, at,
				       at < worlds[0].nrec ? rec_what(&worlds[0].rec[at]) : "end",
				       "Rust apart from C in every run");
				noise = 0;
				break;
			}
			if (again == 3 || (again == 2 && cc_noise))
				break;
			printf("stream %ld: %s at op %d (%s), run again\n", stream,
			       cc_noise ? "noise" : late ? "Rust late" : "mismatch",
			       at, at < worlds[0].nrec ?
			       rec_what(&worlds[0].rec[at]) : "end");
		}
		mismatches += rust_runs;
		streams++;
		noises += noise;
		diffs += at >= 0 && !noise;
		printf("stream %ld ops %d writes %ld %ld %ld: %s", stream,
		       worlds[0].nrec, worlds[0].cmds, worlds[1].cmds,
		       worlds[2].cmds, at < 0 ? "same\n" : noise ? "noise" :
		       "DIFFERENT");
		if (at >= 0)
			printf(" at op %d (%s)\n", at, at < worlds[0].nrec ?
			       rec_what(&worlds[0].rec[at]) : "end");
		min = worlds[0].cmds;
		for (i = 1; i < NWORLDS; i++)
			if (worlds[i].cmds < min)
				min = worlds[i].cmds;
		if (only >= 0 || min >= cmds)
			break;
	}
	set_impl(old);
	for (i = 0; i < NWORLDS; i++)
		printf("rate %s run %d: %ld writes in %.1f s, %.0f/s, %.0f us per write()\n",
		       worlds[i].impl, i, worlds[i].cmds, worlds[i].secs,
		       worlds[i].cmds / worlds[i].secs,
		       worlds[i].write_secs * 1e6 / worlds[i].cmds);
	/* what the Rust runs reached: commands written and accepted, events */
	printf("coverage:");
	for (i = 0; i < NCMDS; i++)
		printf(" %s %ld/%ld", cmd_name[i], worlds[2].done[i],
		       worlds[2].tried[i]);
	printf("\nevents:");
	for (i = 0; i < 32; i++)
		if (worlds[2].events[i])
			printf(" %d:%ld", i, worlds[2].events[i]);
	for (i = 0; i < NWORLDS; i++) {
		printf("\nwaits %s run %d: %ld, %ld ran out;", worlds[i].impl, i,
		       worlds[i].waits, worlds[i].waits_out);
		printf(" slowest event %.0f ms (one-ended), %.0f ms (connection)",
		       worlds[i].slowest_ms[0], worlds[i].slowest_ms[1]);
	}
	printf("\n");
	printf("commands %ld streams %ld differences %ld noise %ld runs-with-rust-apart %ld\n",
	       min, streams, diffs, noises, mismatches);
	return diffs ? 1 : 0;
}
