// SPDX-License-Identifier: GPL-2.0
/*
 * IB service resolution through the rdma_cm device, against an SA that
 * answers ServiceRecord GET_TABLE (the software fabric's, sib_sm):
 *
 *   rdma_rs_ib_service resolve ADDR ID NAME COUNT
 *	An RDMA_PS_IB id bound to IPv4 address ADDR resolves service ID (0:
 *	any ID) named NAME ("-": any name) with RESOLVE_IB_SERVICE. COUNT > 0:
 *	ADDRINFO_RESOLVED, and QUERY(IB_SERVICE) returns COUNT records, each
 *	whole (see record_ok()); one line per record, "gid <GID>" (as sysfs
 *	shows it), for the caller to check. COUNT 0: ADDRINFO_ERROR, and
 *	QUERY's answer ENODATA; prints "event <n> status <n>" and
 *	"query <errno text>".
 *
 *   rdma_rs_ib_service race ADDR ID NAME COUNT ROUNDS
 *	ROUNDS times, on a new id: a thread issues QUERY(IB_SERVICE) in a loop
 *	while the main thread resolves. Each answer is ENODATA (nothing
 *	published yet) or COUNT records, whole: a record with a byte the SA
 *	did not send (uninitialised memory, SLUB's poison) fails. Prints the
 *	number of answers with records.
 *
 * Exit status: 0 as expected, 1 not as expected, 2 cannot run.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <rdma/rdma_user_cm.h>
#include "rdma_rs_ucma.h"

/*
 * QUERY's IB service records (RDMA_USER_CM_QUERY_IB_SERVICE), which older
 * uapi headers lack.
 */
#define RS_QUERY_IB_SERVICE 3
#define RS_IB_SERVICE_FLAG_ID 0x1
#define RS_IB_SERVICE_FLAG_NAME 0x2

struct rs_service_rec {
	__be64 id;
	__u8 gid[16];
	__be16 pkey;
	__u8 reserved[2];
	__be32 lease;
	__u8 key[16];
	__u8 name[64];
	__u8 data_8[16];
	__be16 data_16[8];
	__be32 data_32[4];
	__be64 data_64[2];
};

struct rs_query_ib_service_resp {
	__u32 num_service_recs;
	__u32 reserved;
	struct rs_service_rec recs[];
};

#define DEV "/dev/infiniband/rdma_cm"
#define EVENT_ADDRINFO_RESOLVED 16
#define EVENT_ADDRINFO_ERROR 17
#define RECS_MAX 8
/* What the SA's answer takes at most (ib_sa's timeout is 2 s). */
#define EVENT_WAIT_MS 10000

static struct sockaddr_in bind_addr;
static __u64 service_id;
static const char *service_name;

struct query_out {
	struct rs_query_ib_service_resp head;
	struct rs_service_rec recs[RECS_MAX];
};

static long ucm(int fd, __u32 op, void *in, __u16 in_len, __u16 out_len)
{
	char buf[sizeof(struct rdma_ucm_cmd_hdr) + 512];
	struct rdma_ucm_cmd_hdr hdr = { .cmd = op, .in = in_len, .out = out_len };
	ssize_t ret;

	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), in, in_len);
	ret = write(fd, buf, sizeof(hdr) + in_len);
	return ret < 0 ? -errno : 0;
}

/* A new RDMA_PS_IB id bound to the test's address; exits if it cannot. */
static __u32 bound_id(int fd)
{
	struct rdma_ucm_create_id_resp r = {};
	struct rdma_ucm_create_id c = {
		.uid = 1, .response = (uintptr_t)&r, .ps = RDMA_PS_IB,
		.qp_type = 2 /* IB_QPT_RC */,
	};
	struct rdma_ucm_bind b = { .addr_size = sizeof(bind_addr) };
	long ret;

	ret = ucm(fd, RDMA_USER_CM_CMD_CREATE_ID, &c, sizeof(c), sizeof(r));
	if (ret) {
		printf("CREATE_ID: %s\n", strerror(-ret));
		exit(2);
	}
	b.id = r.id;
	memcpy(&b.addr, &bind_addr, sizeof(bind_addr));
	ret = ucm(fd, RDMA_USER_CM_CMD_BIND, &b, sizeof(b), 0);
	if (ret) {
		printf("BIND: %s\n", strerror(-ret));
		exit(2);
	}
	return r.id;
}

static long resolve(int fd, __u32 id)
{
	struct rs_resolve_ib_service r = { .id = id };

	if (service_id) {
		r.service_id = service_id;
		r.flags |= RS_IB_SERVICE_FLAG_ID;
	}
	if (strcmp(service_name, "-")) {
		memcpy(r.service_name, service_name, strlen(service_name));
		r.flags |= RS_IB_SERVICE_FLAG_NAME;
	}
	return ucm(fd, CMD_RESOLVE_IB_SERVICE, &r, sizeof(r), 0);
}

/* The next event, waited for up to EVENT_WAIT_MS; exits if none comes. */
static struct rdma_ucm_event_resp next_event(int fd)
{
	struct rdma_ucm_event_resp ev = {};
	struct rdma_ucm_get_event g = { .response = (uintptr_t)&ev };
	struct pollfd p = { .fd = fd, .events = POLLIN };
	long ret;

	if (poll(&p, 1, EVENT_WAIT_MS) != 1) {
		printf("no event within %d ms\n", EVENT_WAIT_MS);
		exit(1);
	}
	ret = ucm(fd, RDMA_USER_CM_CMD_GET_EVENT, &g, sizeof(g), sizeof(ev));
	if (ret) {
		printf("GET_EVENT: %s\n", strerror(-ret));
		exit(1);
	}
	return ev;
}

static long query(int fd, __u32 id, struct query_out *out)
{
	struct rdma_ucm_query q = {
		.response = (uintptr_t)out, .id = id, .option = RS_QUERY_IB_SERVICE,
	};

	memset(out, 0x5a, sizeof(*out));
	return ucm(fd, RDMA_USER_CM_CMD_QUERY, &q, sizeof(q), sizeof(*out));
}

static int zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		if (*b++)
			return 0;
	return 1;
}

/*
 * Whether @r is a record the SA sends for the query: the ID asked for (any
 * with ID 0), the name asked for (any with "-") padded with NULs, a GID of
 * the fabric's subnet, the default P_Key, a lease until deleted, and nothing
 * in the key, the reserved bytes and the data.
 */
static int record_ok(const struct rs_service_rec *r)
{
	static const __u8 prefix[8] = { 0xfe, 0x80 };
	size_t len = strnlen((const char *)r->name, sizeof(r->name));

	if (service_id && be64toh(r->id) != service_id)
		return 0;
	if (strcmp(service_name, "-") &&
	    (len != strlen(service_name) || memcmp(r->name, service_name, len)))
		return 0;
	return !memcmp(r->gid, prefix, sizeof(prefix)) &&
	       be16toh(r->pkey) == 0xffff && be32toh(r->lease) == 0xffffffff &&
	       zero(r->name + len, sizeof(r->name) - len) &&
	       zero(r->reserved, sizeof(r->reserved)) &&
	       zero(r->key, sizeof(r->key)) &&
	       zero(r->data_8, sizeof(r->data_8) + sizeof(r->data_16) +
			    sizeof(r->data_32) + sizeof(r->data_64));
}

/* A record that is not what the SA sent, in hex, 16 bytes a line. */
static void dump(const struct rs_service_rec *r)
{
	const unsigned char *b = (const void *)r;
	size_t i;

	for (i = 0; i < sizeof(*r); i++)
		printf("%02x%s", b[i], i % 16 == 15 ? "\n" : " ");
}

/* As sysfs shows a GID: eight groups of four hex digits. */
static void print_gid(const __u8 *g)
{
	int i;

	printf("gid ");
	for (i = 0; i < 16; i += 2)
		printf("%02x%02x%s", g[i], g[i + 1], i < 14 ? ":" : "\n");
}

static int run_resolve(int fd, unsigned int count)
{
	struct rdma_ucm_event_resp ev;
	struct query_out out;
	__u32 id = bound_id(fd);
	unsigned int i;
	long ret;

	ret = resolve(fd, id);
	if (ret) {
		printf("RESOLVE_IB_SERVICE: %s\n", strerror(-ret));
		return 1;
	}
	ev = next_event(fd);
	if (!count) {
		printf("event %u status %d\n", ev.event, (int)ev.status);
		ret = query(fd, id, &out);
		printf("query %s\n", ret ? strerror(-ret) : "answered");
		return ev.event != EVENT_ADDRINFO_ERROR || ret != -ENODATA;
	}
	if (ev.event != EVENT_ADDRINFO_RESOLVED || ev.status) {
		printf("event %u status %d, not ADDRINFO_RESOLVED\n", ev.event, (int)ev.status);
		return 1;
	}
	ret = query(fd, id, &out);
	if (ret) {
		printf("QUERY(IB_SERVICE): %s\n", strerror(-ret));
		return 1;
	}
	if (out.head.num_service_recs != count) {
		printf("%u records, not %u\n", out.head.num_service_recs, count);
		return 1;
	}
	for (i = 0; i < count && i < RECS_MAX; i++) {
		if (!record_ok(&out.recs[i])) {
			printf("record %u is not what the SA sent:\n", i);
			dump(&out.recs[i]);
			return 1;
		}
		print_gid(out.recs[i].gid);
	}
	/* Resolved once: the id is no longer in the bound state. */
	ret = resolve(fd, id);
	if (ret != -EINVAL) {
		printf("second RESOLVE_IB_SERVICE: %ld, not EINVAL\n", ret);
		return 1;
	}
	return 0;
}

struct racer {
	int fd;
	__u32 id;
	unsigned int count;
	atomic_int stop;
	int answers;
	int bad;
};

static void *race_queries(void *arg)
{
	struct racer *r = arg;
	struct query_out out;
	unsigned int i, n;
	long ret;

	while (!atomic_load(&r->stop)) {
		ret = query(r->fd, r->id, &out);
		if (ret == -ENODATA)
			continue;
		if (ret) {
			printf("QUERY(IB_SERVICE): %s\n", strerror(-ret));
			r->bad++;
			break;
		}
		r->answers++;
		n = out.head.num_service_recs;
		if (n != r->count || n > RECS_MAX) {
			printf("%u records published, not %u\n", n, r->count);
			r->bad++;
			break;
		}
		for (i = 0; i < n; i++) {
			if (!record_ok(&out.recs[i])) {
				printf("record %u of %u read before it was filled:\n", i, n);
				dump(&out.recs[i]);
				r->bad++;
				break;
			}
		}
		if (r->bad)
			break;
	}
	return NULL;
}

static int run_race(int fd, unsigned int count, int rounds)
{
	struct rdma_ucm_event_resp ev = {};
	int round, answers = 0;

	for (round = 0; round < rounds; round++) {
		struct racer r = { .fd = fd, .id = bound_id(fd), .count = count };
		struct rdma_ucm_destroy_id_resp dr;
		struct rdma_ucm_destroy_id d = {
			.response = (uintptr_t)&dr, .id = r.id,
		};
		pthread_t t;
		long ret;

		if (pthread_create(&t, NULL, race_queries, &r)) {
			printf("pthread_create failed\n");
			return 2;
		}
		ret = resolve(fd, r.id);
		if (!ret)
			ev = next_event(fd);
		atomic_store(&r.stop, 1);
		pthread_join(t, NULL);
		if (ret || ev.event != EVENT_ADDRINFO_RESOLVED) {
			printf("round %d: RESOLVE_IB_SERVICE %ld, event %u\n", round, ret,
			       ret ? 0 : ev.event);
			return 1;
		}
		if (r.bad)
			return 1;
		answers += r.answers;
		if (ucm(fd, RDMA_USER_CM_CMD_DESTROY_ID, &d, sizeof(d), sizeof(dr))) {
			printf("DESTROY_ID failed\n");
			return 1;
		}
	}
	printf("rounds %d answers %d\n", rounds, answers);
	return 0;
}

int main(int argc, char **argv)
{
	int fd, n;

	if (!((argc == 6 && !strcmp(argv[1], "resolve")) ||
	      (argc == 7 && !strcmp(argv[1], "race")))) {
		fprintf(stderr, "usage: %s resolve ADDR ID NAME COUNT\n"
			"       %s race ADDR ID NAME COUNT ROUNDS\n", argv[0], argv[0]);
		return 2;
	}
	bind_addr.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[2], &bind_addr.sin_addr) != 1) {
		fprintf(stderr, "bad address %s\n", argv[2]);
		return 2;
	}
	service_id = strtoull(argv[3], NULL, 0);
	service_name = argv[4];
	if (strlen(service_name) > 64) {
		fprintf(stderr, "a service name has at most 64 bytes\n");
		return 2;
	}
	n = atoi(argv[5]);
	fd = open(DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror(DEV);
		return 2;
	}
	if (!strcmp(argv[1], "resolve"))
		return run_resolve(fd, n);
	return run_race(fd, n, atoi(argv[6]));
}
