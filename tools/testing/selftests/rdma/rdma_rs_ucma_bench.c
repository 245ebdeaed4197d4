// SPDX-License-Identifier: GPL-2.0
/*
 * The rdma_cm device's two implementations side by side in one run: the
 * rate of CREATE_ID + DESTROY_ID pairs, and the latency from JOIN_IP_MCAST to
 * its join event read by a blocking GET_EVENT (then LEAVE_MCAST), through raw
 * write()s on /dev/infiniband/rdma_cm.
 *
 * rdma_ucm.ucma_impl is read at each open(), so a file opened after writing
 * "c" or "rust" to it is served by that implementation for its whole life.
 * The rounds alternate C and Rust; each prints one sample per measurement:
 *
 *	create_destroy <c|rust> <ns per pair>
 *	join_event <c|rust> <ns per join + event>
 *
 * and, for each N of IDS (a comma-separated list: the id table's scale), with
 * N ids alive at once in the file:
 *
 *	ids_create_destroy <c|rust> <N> <ns per CREATE_ID + DESTROY_ID>
 *	ids_lookup <c|rust> <N> <ns per QUERY of a random id>
 *
 * The N ids are created one after another, queried LOOKUPS times in a random
 * order, and destroyed in another; both implementations see the same order.
 *
 * rdma_rs_ucma_bench IPV4 GROUP [PAIRS] [JOINS] [ROUNDS] [IDS]
 * IPV4 is an address of an RDMA device (RoCE), GROUP an IPv4 multicast group.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <rdma/rdma_user_cm.h>

#define PARAM "/sys/module/rdma_ucm/parameters/ucma_impl"
/* enum rdma_cm_event_type of <rdma/rdma_cm.h> (librdmacm's numbering) */
#define CM_EVENT_MULTICAST_JOIN 12
#define LOOKUPS 20000

static const char *ip, *group;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* A file of the rdma_cm device served by implementation impl. */
static int open_impl(const char *impl)
{
	int p = open(PARAM, O_WRONLY), fd;

	if (p < 0 || write(p, impl, strlen(impl)) < 0)
		die(PARAM);
	close(p);
	fd = open("/dev/infiniband/rdma_cm", O_RDWR);
	if (fd < 0)
		die("/dev/infiniband/rdma_cm");
	return fd;
}

/* One command: header then body; 0 or -errno. */
static int cmd(int fd, uint32_t op, void *body, uint16_t in, uint16_t out)
{
	struct {
		struct rdma_ucm_cmd_hdr hdr;
		char body[512];
	} b;

	b.hdr.cmd = op;
	b.hdr.in = in;
	b.hdr.out = out;
	memcpy(b.body, body, in);
	return write(fd, &b, sizeof(b.hdr) + in) < 0 ? -errno : 0;
}

static uint32_t create(int fd, uint16_t ps)
{
	struct rdma_ucm_create_id c = { .uid = 1, .ps = ps };
	struct rdma_ucm_create_id_resp r;

	c.response = (uintptr_t)&r;
	if (cmd(fd, RDMA_USER_CM_CMD_CREATE_ID, &c, sizeof(c), sizeof(r)))
		die("CREATE_ID");
	return r.id;
}

static void destroy(int fd, uint32_t id)
{
	struct rdma_ucm_destroy_id d = { .id = id };
	struct rdma_ucm_destroy_id_resp r;

	d.response = (uintptr_t)&r;
	if (cmd(fd, RDMA_USER_CM_CMD_DESTROY_ID, &d, sizeof(d), sizeof(r)))
		die("DESTROY_ID");
}

static double create_destroy(int fd, int pairs)
{
	uint64_t t0 = now_ns();
	int i;

	for (i = 0; i < pairs; i++)
		destroy(fd, create(fd, RDMA_PS_UDP));
	return (double)(now_ns() - t0) / pairs;
}

static double join_event(int fd, int joins)
{
	struct rdma_ucm_bind_ip b = {};
	struct rdma_ucm_join_ip_mcast j = {};
	struct rdma_ucm_destroy_id l = {};
	struct rdma_ucm_get_event g = {};
	struct rdma_ucm_create_id_resp jr;
	struct rdma_ucm_destroy_id_resp lr;
	struct rdma_ucm_event_resp ev;
	struct sockaddr_in *sin;
	uint64_t t0, total = 0;
	uint32_t id = create(fd, RDMA_PS_UDP);
	int i;

	b.id = id;
	sin = (struct sockaddr_in *)&b.addr;
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &sin->sin_addr);
	if (cmd(fd, RDMA_USER_CM_CMD_BIND_IP, &b, sizeof(b), 0))
		die("BIND_IP");
	j.id = id;
	j.uid = 2;
	j.response = (uintptr_t)&jr;
	sin = (struct sockaddr_in *)&j.addr;
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, group, &sin->sin_addr);
	g.response = (uintptr_t)&ev;
	l.response = (uintptr_t)&lr;
	for (i = 0; i < joins; i++) {
		t0 = now_ns();
		if (cmd(fd, RDMA_USER_CM_CMD_JOIN_IP_MCAST, &j, sizeof(j), sizeof(jr)))
			die("JOIN_IP_MCAST");
		if (cmd(fd, RDMA_USER_CM_CMD_GET_EVENT, &g, sizeof(g), sizeof(ev)))
			die("GET_EVENT");
		total += now_ns() - t0;
		if (ev.event != CM_EVENT_MULTICAST_JOIN || ev.status) {
			fprintf(stderr, "join event %u status %d\n", ev.event, (int)ev.status);
			exit(1);
		}
		l.id = jr.id;
		if (cmd(fd, RDMA_USER_CM_CMD_LEAVE_MCAST, &l, sizeof(l), sizeof(lr)))
			die("LEAVE_MCAST");
	}
	destroy(fd, id);
	return (double)total / joins;
}

/* xorshift32: one sequence, the same for C and Rust. */
static uint32_t random_state;

static uint32_t next_random(void)
{
	random_state ^= random_state << 13;
	random_state ^= random_state >> 17;
	random_state ^= random_state << 5;
	return random_state;
}

static void id_table(int fd, const char *impl, int n)
{
	struct rdma_ucm_query_addr_resp qr;
	struct rdma_ucm_query q = { .option = RDMA_USER_CM_QUERY_ADDR };
	uint32_t *id, t;
	uint64_t t0, made, looked;
	int i, j;

	if (n <= 0) {
		fprintf(stderr, "IDS: not a number of ids\n");
		exit(2);
	}
	id = calloc(n, sizeof(*id));
	if (!id)
		die("calloc");
	random_state = 2463534242u;
	q.response = (uintptr_t)&qr;
	t0 = now_ns();
	for (i = 0; i < n; i++)
		id[i] = create(fd, RDMA_PS_UDP);
	made = now_ns() - t0;
	t0 = now_ns();
	for (i = 0; i < LOOKUPS; i++) {
		q.id = id[next_random() % n];
		if (cmd(fd, RDMA_USER_CM_CMD_QUERY, &q, sizeof(q), sizeof(qr)))
			die("QUERY");
	}
	looked = now_ns() - t0;
	for (i = n - 1; i > 0; i--) {
		j = next_random() % (i + 1);
		t = id[i];
		id[i] = id[j];
		id[j] = t;
	}
	t0 = now_ns();
	for (i = 0; i < n; i++)
		destroy(fd, id[i]);
	made += now_ns() - t0;
	free(id);
	printf("ids_create_destroy %s %d %.1f\n", impl, n, (double)made / n);
	printf("ids_lookup %s %d %.1f\n", impl, n, (double)looked / LOOKUPS);
}

int main(int argc, char **argv)
{
	static const char *const impls[] = { "c", "rust" };
	int pairs, joins, rounds, r, k, fd;
	char was[16] = "";
	const char *scale;
	FILE *p;

	if (argc < 3) {
		fprintf(stderr, "usage: %s IPV4 GROUP [PAIRS] [JOINS] [ROUNDS] [IDS]\n",
			argv[0]);
		return 2;
	}
	ip = argv[1];
	group = argv[2];
	pairs = argc > 3 ? atoi(argv[3]) : 2000;
	joins = argc > 4 ? atoi(argv[4]) : 200;
	rounds = argc > 5 ? atoi(argv[5]) : 5;
	p = fopen(PARAM, "r");
	if (!p || !fgets(was, sizeof(was), p))
		die(PARAM);
	fclose(p);
	was[strcspn(was, "\n")] = 0;

	for (r = 0; r < rounds; r++) {
		for (k = 0; k < 2; k++) {
			fd = open_impl(impls[k]);
			printf("create_destroy %s %.1f\n", impls[k], create_destroy(fd, pairs));
			printf("join_event %s %.1f\n", impls[k], join_event(fd, joins));
			for (scale = argc > 6 ? argv[6] : ""; *scale;) {
				id_table(fd, impls[k], atoi(scale));
				scale += strcspn(scale, ",");
				scale += *scale == ',';
			}
			fflush(stdout);
			close(fd);
		}
	}
	fd = open(PARAM, O_WRONLY);
	if (fd < 0 || write(fd, was, strlen(was)) < 0)
		die(PARAM);
	close(fd);
	return 0;
}
