// SPDX-License-Identifier: GPL-2.0
/*
 * Races the rdma_ucm commands that create, bind, join, leave and destroy ids
 * against each other and against close() of the file, in the spirit of LTP's
 * ucma_uaf01: threads pick ids and joins at random from shared tables, so a
 * join meets a destroy, a leave meets the file's teardown, and events are
 * pending when the file goes away. The kernel's memory and lock checkers
 * judge the outcome; the program checks only that every command either
 * worked or failed with an errno the ABI allows.
 *
 *   rdma_rs_ucma_race BIND_IPV4 SECONDS
 *
 * Prints one line per command: "<cmd> ok <n> err <n>", then "unexpected <n>",
 * and exits 1 if an errno outside the expected ones came back.
 *
 *   rdma_rs_ucma_race --dup BIND_IPV4
 *
 * The case the race found: a second join of one address on one id must fail
 * with EADDRINUSE (a leave names its join by address), and the address can
 * be joined again once left. Exits 0 if so.
 *
 *   rdma_rs_ucma_race --inflight BIND_IPV4
 *
 * Ids destroyed with their join in flight: 100 times, an id is created,
 * bound and joined to a group, and destroyed at once, its join event never
 * read. Prints "joins <n> destroyed <n>"; exits 0 if every command worked.
 * (How many joins were still in flight at their destroy, the caller counts
 * in the kernel: the join events rdma_cm delivered against the joins.)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <rdma/rdma_user_cm.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SLOTS 16
#define DEV "/dev/infiniband/rdma_cm"
#define PS_UDP 0x0111
#define QPT_UD 4

enum { C_CREATE, C_BIND, C_JOIN, C_LEAVE, C_DESTROY, C_EVENT, C_CLOSE, C_MAX };
static const char *const names[C_MAX] = {
	"create_id", "bind", "join_mcast", "leave_mcast", "destroy_id",
	"get_event", "close",
};

static atomic_int fd = -1;
static atomic_int ids[SLOTS];		/* -1: empty */
static atomic_int mcs[SLOTS];		/* -1: empty */
static atomic_int stop;
static atomic_long ok[C_MAX], err[C_MAX], unexpected;
static struct sockaddr_in bind_addr;

static int cmd(int f, __u32 op, void *in, __u16 in_len, __u16 out_len)
{
	char buf[sizeof(struct rdma_ucm_cmd_hdr) + 512];
	struct rdma_ucm_cmd_hdr *hdr = (void *)buf;

	hdr->cmd = op;
	hdr->in = in_len;
	hdr->out = out_len;
	memcpy(hdr + 1, in, in_len);
	if (write(f, buf, sizeof(*hdr) + in_len) < 0)
		return -errno;
	return 0;
}

/* Errnos a racing command may see: the id or file went away, or is busy. */
static void count(int c, int ret)
{
	if (!ret) {
		ok[c]++;
		return;
	}
	err[c]++;
	switch (-ret) {
	case EBADF: case EINVAL: case ENOENT: case ENODEV: case EAGAIN:
	case EADDRINUSE: case EADDRNOTAVAIL: case ENOMEM: case EBUSY:
	case ENXIO:
		return;
	default:
		fprintf(stderr, "%s: unexpected errno %d\n", names[c], -ret);
		unexpected++;
	}
}

static unsigned int rnd(unsigned int *seed)
{
	return rand_r(seed) % SLOTS;
}

static void *creator(void *arg)
{
	unsigned int seed = (uintptr_t)arg;

	while (!stop) {
		struct rdma_ucm_create_id c = { .ps = PS_UDP, .qp_type = QPT_UD };
		struct rdma_ucm_create_id_resp r = { 0 };
		int s = rnd(&seed), ret;

		c.uid = s;
		c.response = (uintptr_t)&r;
		ret = cmd(fd, RDMA_USER_CM_CMD_CREATE_ID, &c, sizeof(c), sizeof(r));
		count(C_CREATE, ret);
		if (!ret)
			atomic_exchange(&ids[s], (int)r.id);
	}
	return NULL;
}

static void *binder(void *arg)
{
	unsigned int seed = (uintptr_t)arg;

	while (!stop) {
		struct rdma_ucm_bind b = { .addr_size = sizeof(bind_addr) };
		int id = ids[rnd(&seed)];

		if (id < 0)
			continue;
		b.id = id;
		memcpy(&b.addr, &bind_addr, sizeof(bind_addr));
		count(C_BIND, cmd(fd, RDMA_USER_CM_CMD_BIND, &b, sizeof(b), 0));
	}
	return NULL;
}

static void *joiner(void *arg)
{
	unsigned int seed = (uintptr_t)arg;

	while (!stop) {
		struct rdma_ucm_join_mcast j = { .addr_size = sizeof(bind_addr) };
		struct rdma_ucm_create_id_resp r = { 0 };
		struct sockaddr_in g = { .sin_family = AF_INET };
		int s = rnd(&seed), id = ids[s], ret;

		if (id < 0)
			continue;
		g.sin_addr.s_addr = htonl(0xef030000 | (rand_r(&seed) & 3));
		j.id = id;
		j.uid = s;
		j.response = (uintptr_t)&r;
		j.join_flags = (rand_r(&seed) & 1) ?
			RDMA_MC_JOIN_FLAG_SENDONLY_FULLMEMBER :
			RDMA_MC_JOIN_FLAG_FULLMEMBER;
		memcpy(&j.addr, &g, sizeof(g));
		ret = cmd(fd, RDMA_USER_CM_CMD_JOIN_MCAST, &j, sizeof(j), sizeof(r));
		count(C_JOIN, ret);
		if (!ret)
			atomic_exchange(&mcs[s], (int)r.id);
	}
	return NULL;
}

static void *leaver(void *arg)
{
	unsigned int seed = (uintptr_t)arg;

	while (!stop) {
		struct rdma_ucm_destroy_id d = { 0 };
		struct rdma_ucm_destroy_id_resp r;
		int mc = atomic_exchange(&mcs[rnd(&seed)], -1);

		if (mc < 0)
			continue;
		d.id = mc;
		d.response = (uintptr_t)&r;
		count(C_LEAVE, cmd(fd, RDMA_USER_CM_CMD_LEAVE_MCAST, &d, sizeof(d),
				   sizeof(r)));
	}
	return NULL;
}

static void *destroyer(void *arg)
{
	unsigned int seed = (uintptr_t)arg;

	while (!stop) {
		struct rdma_ucm_destroy_id d = { 0 };
		struct rdma_ucm_destroy_id_resp r;
		int id = atomic_exchange(&ids[rnd(&seed)], -1);

		if (id < 0)
			continue;
		d.id = id;
		d.response = (uintptr_t)&r;
		count(C_DESTROY, cmd(fd, RDMA_USER_CM_CMD_DESTROY_ID, &d, sizeof(d),
				     sizeof(r)));
	}
	return NULL;
}

static void *eventer(void *arg)
{
	(void)arg;
	while (!stop) {
		struct rdma_ucm_get_event g;
		struct rdma_ucm_event_resp r;
		int ret;

		g.response = (uintptr_t)&r;
		ret = cmd(fd, RDMA_USER_CM_CMD_GET_EVENT, &g, sizeof(g), sizeof(r));
		if (ret == -EAGAIN)
			usleep(1000);
		else
			count(C_EVENT, ret);
	}
	return NULL;
}

/* Replaces the file now and then: every id and join of the old one goes. */
static void *closer(void *arg)
{
	(void)arg;
	while (!stop) {
		int nfd = open(DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC), old, i;

		if (nfd < 0) {
			count(C_CLOSE, -errno);
			continue;
		}
		old = atomic_exchange(&fd, nfd);
		for (i = 0; i < SLOTS; i++) {
			ids[i] = -1;
			mcs[i] = -1;
		}
		count(C_CLOSE, close(old) ? -errno : 0);
		usleep(200000);
	}
	return NULL;
}

static int join(int f, int id, __u32 group, __u32 *mc)
{
	struct rdma_ucm_join_mcast j = { .addr_size = sizeof(bind_addr) };
	struct rdma_ucm_create_id_resp r = { 0 };
	struct sockaddr_in g = { .sin_family = AF_INET };
	int ret;

	g.sin_addr.s_addr = htonl(group);
	j.id = id;
	j.response = (uintptr_t)&r;
	j.join_flags = RDMA_MC_JOIN_FLAG_FULLMEMBER;
	memcpy(&j.addr, &g, sizeof(g));
	ret = cmd(f, RDMA_USER_CM_CMD_JOIN_MCAST, &j, sizeof(j), sizeof(r));
	*mc = r.id;
	return ret;
}

/* A UD id of file f bound to bind_addr in *id; 0, or an errno (printed). */
static int create_bound(int f, __u32 *id)
{
	struct rdma_ucm_create_id c = { .ps = PS_UDP, .qp_type = QPT_UD };
	struct rdma_ucm_create_id_resp cr = { 0 };
	struct rdma_ucm_bind b = { .addr_size = sizeof(bind_addr) };
	int ret;

	c.response = (uintptr_t)&cr;
	ret = cmd(f, RDMA_USER_CM_CMD_CREATE_ID, &c, sizeof(c), sizeof(cr));
	if (ret) {
		fprintf(stderr, "create_id: %s\n", strerror(-ret));
		return ret;
	}
	b.id = cr.id;
	memcpy(&b.addr, &bind_addr, sizeof(bind_addr));
	ret = cmd(f, RDMA_USER_CM_CMD_BIND, &b, sizeof(b), 0);
	if (ret)
		fprintf(stderr, "bind: %s\n", strerror(-ret));
	*id = cr.id;
	return ret;
}

static int dup_join(void)
{
	struct rdma_ucm_destroy_id d = { 0 };
	struct rdma_ucm_destroy_id_resp dr;
	__u32 id, mc1, mc2;
	int f, r1, r2, r3, r4;

	f = open(DEV, O_RDWR | O_CLOEXEC);
	if (f < 0)
		return perror(DEV), 2;
	if (create_bound(f, &id))
		return 2;
	r1 = join(f, id, 0xef030101, &mc1);
	r2 = join(f, id, 0xef030101, &mc2);
	d.id = mc1;
	d.response = (uintptr_t)&dr;
	r3 = cmd(f, RDMA_USER_CM_CMD_LEAVE_MCAST, &d, sizeof(d), sizeof(dr));
	r4 = join(f, id, 0xef030101, &mc2);
	printf("first join %d, second join %d, leave %d, join again %d\n",
	       r1, r2, r3, r4);
	close(f);
	return r1 == 0 && r2 == -EADDRINUSE && r3 == 0 && r4 == 0 ? 0 : 1;
}

static int inflight_joins(void)
{
	struct rdma_ucm_destroy_id d = { 0 };
	struct rdma_ucm_destroy_id_resp dr;
	int f, i, joins = 0, destroyed = 0;
	__u32 id, mc;

	f = open(DEV, O_RDWR | O_CLOEXEC);
	if (f < 0)
		return perror(DEV), 2;
	for (i = 0; i < 100; i++) {
		if (create_bound(f, &id))
			return 2;
		if (!join(f, id, 0xef040101 + i % 4, &mc))
			joins++;
		d.id = id;
		d.response = (uintptr_t)&dr;
		if (!cmd(f, RDMA_USER_CM_CMD_DESTROY_ID, &d, sizeof(d), sizeof(dr)))
			destroyed++;
	}
	close(f);
	printf("joins %d destroyed %d\n", joins, destroyed);
	return joins == 100 && destroyed == 100 ? 0 : 1;
}

int main(int argc, char **argv)
{
	void *(*fns[])(void *) = {
		creator, binder, joiner, joiner, leaver, destroyer, eventer, closer,
	};
	pthread_t t[ARRAY_SIZE(fns)];
	unsigned int i;

	if (argc != 3 || inet_pton(AF_INET, argv[argc - 1 - (argv[1][0] != '-')],
				   &bind_addr.sin_addr) != 1) {
		fprintf(stderr, "usage: %s BIND_IPV4 SECONDS | --dup|--inflight BIND_IPV4\n",
			argv[0]);
		return 2;
	}
	bind_addr.sin_family = AF_INET;
	if (!strcmp(argv[1], "--dup"))
		return dup_join();
	if (!strcmp(argv[1], "--inflight"))
		return inflight_joins();
	for (i = 0; i < SLOTS; i++) {
		ids[i] = -1;
		mcs[i] = -1;
	}
	fd = open(DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		perror(DEV);
		return 2;
	}
	for (i = 0; i < ARRAY_SIZE(fns); i++)
		pthread_create(&t[i], NULL, fns[i], (void *)(uintptr_t)(i + 1));
	sleep(atoi(argv[2]));
	stop = 1;
	for (i = 0; i < ARRAY_SIZE(fns); i++)
		pthread_join(t[i], NULL);
	close(fd);
	for (i = 0; i < C_MAX; i++)
		printf("%s ok %ld err %ld\n", names[i], ok[i], err[i]);
	printf("unexpected %ld\n", unexpected);
	return unexpected ? 1 : 0;
}
