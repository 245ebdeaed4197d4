// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: mlx5 multiport affiliation, C against Rust (mlx5_ib.mp_impl).
 *
 * The same scripts run on the C code of main.c and on the Rust engine, on
 * fake core devices that carry the capability bits multiport reads
 * (num_vhca_ports, affiliate_nic_vport_criteria, native_port_num,
 * port_type, coredev_type). Every call the two make into mlx5_core, into
 * the rest of mlx5_ib and into ib_core is redirected to a recording stub
 * (KUNIT_STATIC_STUB_REDIRECT); the recorded calls, what the seams return
 * and the final state of the fake devices must be the same.
 *
 * The tests swap the engine main.c uses (mlx5_ib_mp_rs) for their own, and
 * skip when the module has multiport devices. Included by main.c.
 */
#include <kunit/test.h>
#include <kunit/static_stub.h>

#define MP_T_GUID 0x0002c90300001000ULL
#define MP_T_CALLS 256
#define MP_T_DEVS 6

/* Calls the stubs fail, once each, when a script asks */
enum {
	MP_T_F_GUID = BIT(0),
	MP_T_F_ROCE = BIT(1),
	MP_T_F_AFFILIATE = BIT(2),
	MP_T_F_UNAFFILIATE = BIT(3),
	MP_T_F_LB = BIT(4),
};

/* A fake core device, and for a master its RDMA device */
struct mp_t_dev {
	struct mlx5_core_dev mdev;
	struct mlx5_hca_cap cap;
	struct mlx5_adev adev;
	struct mlx5_ib_dev *ib;
	struct notifier_block *nb;
	u64 guid;
	int id;
	bool probed;
	bool inited;
};

/* What a script declares of a device */
struct mp_t_spec {
	u64 guid;
	u8 port;
	bool master;
	u8 coredev_type;
};

struct mp_t_call {
	const char *what;
	int a;
	int b;
	long long c;
};

struct mp_t_run {
	struct mp_t_call calls[MP_T_CALLS];
	int n;
	bool overflow;
	/* final state: per master, ib_active and each port's last state */
	int state[MP_T_DEVS][3];
};

struct mp_t {
	struct kunit *test;
	struct mp_t_dev *devs[MP_T_DEVS];
	int ndevs;
	unsigned int fail;
	struct mp_t_run *run;
	/* the module's engine, while a test runs its own */
	struct mlx5_mp_rs *saved;
};

enum mp_t_op_kind {
	MP_T_END,
	MP_T_INIT,	/* master init */
	MP_T_CLEANUP,	/* master cleanup */
	MP_T_PROBE,	/* slave probe */
	MP_T_REMOVE,	/* slave removal */
	MP_T_GET,	/* get native port mdev of master d, port arg */
	MP_T_PUT,
	MP_T_FAIL,	/* the next call of kind arg fails */
};

struct mp_t_op {
	u8 op;
	u8 dev;
	u8 arg;
};

static struct mp_t *mp_t_cur(void)
{
	struct kunit *test = kunit_get_current_test();

	return test ? test->priv : NULL;
}

static void mp_t_rec(const char *what, int a, int b, long long c)
{
	struct mp_t *t = mp_t_cur();
	struct mp_t_run *r = t->run;

	if (r->n == MP_T_CALLS) {
		r->overflow = true;
		return;
	}
	r->calls[r->n++] = (struct mp_t_call){ what, a, b, c };
}

static bool mp_t_fails(unsigned int what)
{
	struct mp_t *t = mp_t_cur();
	bool fail = t->fail & what;

	t->fail &= ~what;
	return fail;
}

static struct mp_t_dev *mp_t_of(struct mlx5_core_dev *mdev)
{
	return container_of(mdev, struct mp_t_dev, mdev);
}

static int mp_t_ib_id(struct mlx5_ib_dev *dev)
{
	return mp_t_of(dev->mdev)->id;
}

/* The stubs */
static int mp_t_guid(struct mlx5_core_dev *mdev, u64 *guid)
{
	mp_t_rec("guid", mp_t_of(mdev)->id, 0, 0);
	if (mp_t_fails(MP_T_F_GUID))
		return -EIO;
	*guid = mp_t_of(mdev)->guid;
	return 0;
}

static int mp_t_enable_roce(struct mlx5_core_dev *mdev)
{
	mp_t_rec("enable_roce", mp_t_of(mdev)->id, 0, 0);
	return mp_t_fails(MP_T_F_ROCE) ? -EIO : 0;
}

static int mp_t_disable_roce(struct mlx5_core_dev *mdev)
{
	mp_t_rec("disable_roce", mp_t_of(mdev)->id, 0, 0);
	return 0;
}

static int mp_t_affiliate(struct mlx5_core_dev *master,
			  struct mlx5_core_dev *slave)
{
	mp_t_rec("affiliate", mp_t_of(master)->id, mp_t_of(slave)->id, 0);
	return mp_t_fails(MP_T_F_AFFILIATE) ? -EIO : 0;
}

static int mp_t_unaffiliate(struct mlx5_core_dev *slave)
{
	mp_t_rec("unaffiliate", mp_t_of(slave)->id, 0, 0);
	return mp_t_fails(MP_T_F_UNAFFILIATE) ? -EIO : 0;
}

static int mp_t_local_lb(struct mlx5_core_dev *mdev, bool enable)
{
	mp_t_rec("local_lb", mp_t_of(mdev)->id, enable, 0);
	return enable && mp_t_fails(MP_T_F_LB) ? -EIO : 0;
}

static void mp_t_replay(struct mlx5_core_dev *mdev, u32 event, void *data)
{
	mp_t_rec("replay", mp_t_of(mdev)->id, event, data ? *(u64 *)data : -1);
}

static int mp_t_notifier_register(struct mlx5_core_dev *mdev,
				  struct notifier_block *nb)
{
	mp_t_rec("listen", mp_t_of(mdev)->id, 0, 0);
	mp_t_of(mdev)->nb = nb;
	return 0;
}

static int mp_t_notifier_unregister(struct mlx5_core_dev *mdev,
				    struct notifier_block *nb)
{
	mp_t_rec("unlisten", mp_t_of(mdev)->id, mp_t_of(mdev)->nb == nb, 0);
	mp_t_of(mdev)->nb = NULL;
	return 0;
}

/*
 * The port's core device as the real function finds it (netdev tracking
 * replays the port's netdev, whose handler looks the slave up; the cong
 * debugfs reads its parameters): the id found, 0 for none.
 */
static int mp_t_lookup(struct mlx5_ib_dev *dev, u32 port_num)
{
	struct mlx5_core_dev *mdev;

	mdev = mlx5_ib_get_native_port_mdev(dev, port_num + 1, NULL);
	if (!mdev)
		return 0;
	mlx5_ib_put_native_port_mdev(dev, port_num + 1);
	return mp_t_of(mdev)->id;
}

static void mp_t_track(struct mlx5_ib_dev *dev, u32 port_num)
{
	mp_t_rec("track", mp_t_ib_id(dev), port_num, mp_t_lookup(dev, port_num));
}

static void mp_t_untrack(struct mlx5_ib_dev *dev, u32 port_num)
{
	mp_t_rec("untrack", mp_t_ib_id(dev), port_num, 0);
}

static void mp_t_cong_init(struct mlx5_ib_dev *dev, u32 port_num)
{
	mp_t_rec("cong_init", mp_t_ib_id(dev), port_num,
		 mp_t_lookup(dev, port_num));
}

static void mp_t_cong_cleanup(struct mlx5_ib_dev *dev, u32 port_num)
{
	mp_t_rec("cong_cleanup", mp_t_ib_id(dev), port_num, 0);
}

static void mp_t_rescan(struct ib_device *ib_dev)
{
	mp_t_rec("rescan", mp_t_ib_id(to_mdev(ib_dev)), 0, 0);
}

static void mp_t_stub_all(struct kunit *test)
{
	kunit_activate_static_stub(test, mlx5_query_nic_vport_system_image_guid,
				   mp_t_guid);
	kunit_activate_static_stub(test, mlx5_nic_vport_enable_roce,
				   mp_t_enable_roce);
	kunit_activate_static_stub(test, mlx5_nic_vport_disable_roce,
				   mp_t_disable_roce);
	kunit_activate_static_stub(test, mlx5_nic_vport_affiliate_multiport,
				   mp_t_affiliate);
	kunit_activate_static_stub(test, mlx5_nic_vport_unaffiliate_multiport,
				   mp_t_unaffiliate);
	kunit_activate_static_stub(test, mlx5_nic_vport_update_local_lb,
				   mp_t_local_lb);
	kunit_activate_static_stub(test, mlx5_core_mp_event_replay,
				   mp_t_replay);
	kunit_activate_static_stub(test, mlx5_notifier_register,
				   mp_t_notifier_register);
	kunit_activate_static_stub(test, mlx5_notifier_unregister,
				   mp_t_notifier_unregister);
	kunit_activate_static_stub(test, mlx5_mdev_netdev_track, mp_t_track);
	kunit_activate_static_stub(test, mlx5_mdev_netdev_untrack,
				   mp_t_untrack);
	kunit_activate_static_stub(test, mlx5_ib_init_cong_debugfs,
				   mp_t_cong_init);
	kunit_activate_static_stub(test, mlx5_ib_cleanup_cong_debugfs,
				   mp_t_cong_cleanup);
	kunit_activate_static_stub(test, rdma_roce_rescan_device, mp_t_rescan);
}

/* The fake devices of a script; ids are their indexes + 1 */
static void mp_t_make(struct kunit *test, struct mp_t *t,
		      const struct mp_t_spec *specs, int n)
{
	int i, p;

	t->ndevs = n;
	for (i = 0; i < n; i++) {
		struct mp_t_dev *d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);
		void *cur, *max;

		KUNIT_ASSERT_NOT_NULL(test, d);
		d->id = i + 1;
		d->guid = specs[i].guid;
		d->mdev.caps.hca[MLX5_CAP_GENERAL] = &d->cap;
		d->mdev.coredev_type = specs[i].coredev_type;
		d->mdev.priv.adev_idx = 100 + d->id;
		cur = d->cap.cur;
		max = d->cap.max;
		MLX5_SET(cmd_hca_cap, cur, port_type, MLX5_CAP_PORT_TYPE_ETH);
		MLX5_SET(cmd_hca_cap, cur, affiliate_nic_vport_criteria, 1);
		MLX5_SET(cmd_hca_cap, cur, native_port_num, specs[i].port);
		MLX5_SET(cmd_hca_cap, max, num_vhca_ports,
			 specs[i].master ? 2 : 1);
		d->adev.mdev = &d->mdev;
		if (specs[i].master) {
			struct mlx5_ib_dev *ib = kunit_kzalloc(test, sizeof(*ib),
							       GFP_KERNEL);

			KUNIT_ASSERT_NOT_NULL(test, ib);
			ib->mdev = &d->mdev;
			ib->num_ports = 2;
			ib->port = kunit_kcalloc(test, 2, sizeof(*ib->port),
						 GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, ib->port);
			for (p = 0; p < 2; p++) {
				spin_lock_init(&ib->port[p].mp.mpi_lock);
				ib->port[p].roce.last_port_state = IB_PORT_ACTIVE;
			}
			d->ib = ib;
		}
		t->devs[i] = d;
	}
}

static void mp_t_op(struct mp_t *t, const struct mp_t_op *op)
{
	struct mp_t_dev *d = op->dev ? t->devs[op->dev - 1] : NULL;
	struct mlx5_core_dev *mdev;
	int ret;

	switch (op->op) {
	case MP_T_INIT:
		ret = mlx5_ib_init_multiport_master(d->ib);
		mp_t_rec("=init", d->id, ret, 0);
		d->inited = !ret;
		break;
	case MP_T_CLEANUP:
		mlx5_ib_cleanup_multiport_master(d->ib);
		d->inited = false;
		break;
	case MP_T_PROBE:
		ret = mlx5r_mp_probe(&d->adev.adev, NULL);
		mp_t_rec("=probe", d->id, ret, 0);
		d->probed = !ret;
		/* No events dispatched to the fake RDMA devices */
		break;
	case MP_T_REMOVE:
		mlx5r_mp_remove(&d->adev.adev);
		d->probed = false;
		break;
	case MP_T_GET:
		mdev = mlx5_ib_get_native_port_mdev(d->ib, op->arg, NULL);
		mp_t_rec("=get", d->id, op->arg, mdev ? mp_t_of(mdev)->id : 0);
		break;
	case MP_T_PUT:
		mlx5_ib_put_native_port_mdev(d->ib, op->arg);
		break;
	case MP_T_FAIL:
		t->fail |= op->arg;
		break;
	}
}

/*
 * Removes whatever the test left (the C lists are global) and gives the
 * module's engine back: a KUnit action, so that it also runs when an
 * assertion ends the test.
 */
static void mp_t_restore(void *ctx)
{
	struct kunit *test = ctx;
	struct mp_t *t = test->priv;
	int i;

	for (i = 0; i < t->ndevs; i++)
		if (t->devs[i]->probed)
			mlx5r_mp_remove(&t->devs[i]->adev.adev);
	for (i = 0; i < t->ndevs; i++)
		if (t->devs[i]->inited)
			mlx5_ib_cleanup_multiport_master(t->devs[i]->ib);
	if (mlx5_ib_mp_rs)
		rdma_rs_mlx5_mp_free(mlx5_ib_mp_rs);
	mlx5_ib_mp_rs = t->saved;
}

/* Whether the module has multiport devices, which the tests would disturb */
static bool mp_t_busy(void)
{
	bool busy;

	mutex_lock(&mlx5_ib_multiport_mutex);
	busy = !list_empty(&mlx5_ib_dev_list) ||
	       !list_empty(&mlx5_ib_unaffiliated_port_list);
	mutex_unlock(&mlx5_ib_multiport_mutex);
	return busy || (mlx5_ib_mp_rs && !rdma_rs_mlx5_mp_idle(mlx5_ib_mp_rs));
}

/*
 * Fresh devices of @specs, and an engine of the test's own for @rust (none
 * for C: main.c runs C when mlx5_ib_mp_rs is NULL); then @ops. Returns the
 * record of the calls.
 */
static struct mp_t_run *mp_t_begin(struct kunit *test,
				   const struct mp_t_spec *specs, int n,
				   const struct mp_t_op *ops, bool rust)
{
	struct mp_t_run *run = kunit_kzalloc(test, sizeof(*run), GFP_KERNEL);
	struct mp_t *t = test->priv;
	struct mlx5_mp_rs *engine = NULL;

	KUNIT_ASSERT_NOT_NULL(test, run);
	if (mp_t_busy())
		kunit_skip(test, "mlx5 multiport devices are present");
	if (rust) {
		engine = rdma_rs_mlx5_mp_new();
		KUNIT_ASSERT_NOT_NULL(test, engine);
	}
	mp_t_make(test, t, specs, n);
	t->run = run;
	t->fail = 0;
	t->saved = mlx5_ib_mp_rs;
	mlx5_ib_mp_rs = engine;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, mp_t_restore, test),
			0);
	for (; ops->op != MP_T_END; ops++)
		mp_t_op(t, ops);
	return run;
}

/* Ends what mp_t_begin() began; nothing may be left registered */
static void mp_t_end(struct kunit *test)
{
	struct mp_t *t = test->priv;

	kunit_release_action(test, mp_t_restore, test);
	KUNIT_EXPECT_TRUE(test, list_empty(&mlx5_ib_unaffiliated_port_list));
	KUNIT_EXPECT_TRUE(test, list_empty(&mlx5_ib_dev_list));
	KUNIT_EXPECT_FALSE(test, t->run->overflow);
}

/* Runs @ops with implementation @rust; the calls and final state */
static struct mp_t_run *mp_t_run_one(struct kunit *test,
				     const struct mp_t_spec *specs, int n,
				     const struct mp_t_op *ops, bool rust)
{
	struct mp_t_run *run = mp_t_begin(test, specs, n, ops, rust);
	struct mp_t *t = test->priv;
	int i, p;

	for (i = 0; i < n; i++) {
		struct mp_t_dev *d = t->devs[i];

		if (!d->ib)
			continue;
		run->state[i][0] = d->ib->ib_active;
		for (p = 0; p < 2; p++) {
			run->state[i][1 + p] = d->ib->port[p].roce.last_port_state;
			/* Who serves each port of each master at the end */
			if (d->inited)
				mp_t_rec("=slot", d->id, p + 1, mp_t_lookup(d->ib, p));
		}
	}
	mp_t_end(test);
	return run;
}

static void mp_t_dump(struct kunit *test, const char *impl,
		      const struct mp_t_run *r)
{
	int i;

	for (i = 0; i < r->n; i++)
		kunit_info(test, "%s %2d %s %d %d %lld\n", impl, i,
			   r->calls[i].what, r->calls[i].a, r->calls[i].b,
			   r->calls[i].c);
}

/*
 * Runs a script on both implementations and compares; returns the C run
 * for the test's own checks.
 */
static struct mp_t_run *mp_t_diff(struct kunit *test,
				  const struct mp_t_spec *specs, int n,
				  const struct mp_t_op *ops)
{
	struct mp_t_run *c = mp_t_run_one(test, specs, n, ops, false);
	struct mp_t_run *rs = mp_t_run_one(test, specs, n, ops, true);
	bool same;
	int i;

	same = c->n == rs->n;
	for (i = 0; same && i < c->n; i++)
		same = !strcmp(c->calls[i].what, rs->calls[i].what) &&
		       c->calls[i].a == rs->calls[i].a &&
		       c->calls[i].b == rs->calls[i].b &&
		       c->calls[i].c == rs->calls[i].c;
	KUNIT_EXPECT_TRUE_MSG(test, same, "C and Rust made different calls");
	KUNIT_EXPECT_EQ(test, memcmp(c->state, rs->state, sizeof(c->state)), 0);
	if (!same) {
		mp_t_dump(test, "c", c);
		mp_t_dump(test, "rust", rs);
	}
	return c;
}

/* Whether @run has the call (@what, @a, @b) */
static bool mp_t_has(const struct mp_t_run *run, const char *what, int a,
		     int b)
{
	int i;

	for (i = 0; i < run->n; i++)
		if (!strcmp(run->calls[i].what, what) &&
		    run->calls[i].a == a && run->calls[i].b == b)
			return true;
	return false;
}

static int mp_t_init(struct kunit *test)
{
	struct mp_t *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	if (!t)
		return -ENOMEM;
	t->test = test;
	test->priv = t;
	mp_t_stub_all(test);
	return 0;
}

#define MASTER(g) { .guid = (g), .port = 1, .master = true }
#define SLAVE(g) { .guid = (g), .port = 2 }
#define OP(o, d, a) { .op = MP_T_##o, .dev = (d), .arg = (a) }
#define END { .op = MP_T_END }

/* Master then slave, slave then master, removal in both orders */
static void mp_t_orders(struct kunit *test)
{
	static const struct mp_t_spec specs[] = {
		MASTER(MP_T_GUID), SLAVE(MP_T_GUID), SLAVE(MP_T_GUID),
	};
	static const struct mp_t_op ops[] = {
		OP(INIT, 1, 0), OP(PROBE, 2, 0), OP(GET, 1, 1), OP(GET, 1, 2),
		OP(PUT, 1, 2), OP(PUT, 1, 1), OP(REMOVE, 2, 0), OP(GET, 1, 2),
		OP(PROBE, 3, 0), OP(CLEANUP, 1, 0), OP(GET, 1, 2),
		OP(INIT, 1, 0), OP(GET, 1, 2), OP(PUT, 1, 2),
		OP(REMOVE, 3, 0), OP(CLEANUP, 1, 0), END,
	};
	struct mp_t_run *c = mp_t_diff(test, specs, ARRAY_SIZE(specs), ops);

	/* The oracle's own shape: bound, and told to the firmware */
	KUNIT_EXPECT_TRUE(test, mp_t_has(c, "affiliate", 1, 2));
	KUNIT_EXPECT_TRUE(test, mp_t_has(c, "unaffiliate", 2, 0));
	KUNIT_EXPECT_TRUE(test, mp_t_has(c, "=get", 1, 2));
	KUNIT_EXPECT_TRUE(test, mp_t_has(c, "rescan", 1, 0));
}

/* A GUID or coredev type mismatch, an occupied port, two masters */
static void mp_t_mismatch(struct kunit *test)
{
	static const struct mp_t_spec specs[] = {
		MASTER(MP_T_GUID), SLAVE(MP_T_GUID + 1),
		{ .guid = MP_T_GUID, .port = 2, .coredev_type = 1 },
		SLAVE(MP_T_GUID), SLAVE(MP_T_GUID), MASTER(MP_T_GUID),
	};
	static const struct mp_t_op ops[] = {
		OP(INIT, 1, 0), OP(PROBE, 2, 0), OP(PROBE, 3, 0),
		OP(PROBE, 4, 0), OP(PROBE, 5, 0), OP(INIT, 6, 0),
		OP(GET, 1, 2), OP(GET, 6, 2), OP(PUT, 1, 2), OP(PUT, 6, 2),
		OP(CLEANUP, 1, 0), OP(INIT, 1, 0), OP(GET, 1, 2), OP(PUT, 1, 2),
		OP(REMOVE, 4, 0), OP(REMOVE, 2, 0), OP(CLEANUP, 6, 0),
		OP(REMOVE, 5, 0), OP(REMOVE, 3, 0), OP(CLEANUP, 1, 0), END,
	};
	struct mp_t_run *c = mp_t_diff(test, specs, ARRAY_SIZE(specs), ops);

	KUNIT_EXPECT_FALSE(test, mp_t_has(c, "affiliate", 1, 2));
	KUNIT_EXPECT_FALSE(test, mp_t_has(c, "affiliate", 1, 3));
}

/* Every failure path */
static void mp_t_failures(struct kunit *test)
{
	static const struct mp_t_spec specs[] = {
		MASTER(MP_T_GUID), SLAVE(MP_T_GUID),
	};
	static const struct mp_t_op ops[] = {
		OP(FAIL, 0, MP_T_F_GUID), OP(PROBE, 2, 0),
		OP(FAIL, 0, MP_T_F_GUID), OP(INIT, 1, 0),
		OP(FAIL, 0, MP_T_F_ROCE), OP(INIT, 1, 0),
		OP(INIT, 1, 0),
		OP(FAIL, 0, MP_T_F_AFFILIATE), OP(PROBE, 2, 0), OP(GET, 1, 2),
		OP(REMOVE, 2, 0),
		OP(FAIL, 0, MP_T_F_LB), OP(PROBE, 2, 0), OP(GET, 1, 2),
		OP(REMOVE, 2, 0),
		OP(PROBE, 2, 0), OP(FAIL, 0, MP_T_F_UNAFFILIATE),
		OP(REMOVE, 2, 0), OP(GET, 1, 2),
		OP(PROBE, 2, 0), OP(FAIL, 0, MP_T_F_AFFILIATE),
		OP(CLEANUP, 1, 0), OP(INIT, 1, 0), OP(GET, 1, 2),
		OP(REMOVE, 2, 0), OP(CLEANUP, 1, 0), END,
	};
	struct mp_t_run *c = mp_t_diff(test, specs, ARRAY_SIZE(specs), ops);

	KUNIT_EXPECT_TRUE(test, mp_t_has(c, "=probe", 2, -EIO));
	KUNIT_EXPECT_TRUE(test, mp_t_has(c, "=init", 1, -EIO));
}

/* A master and a slave of one card */
static const struct mp_t_spec mp_t_pair[] = {
	MASTER(MP_T_GUID), SLAVE(MP_T_GUID),
};

struct mp_t_putter {
	struct delayed_work dwork;
	struct mlx5_ib_dev *ib;
	struct mlx5_core_dev *during;
	bool put;
};

static void mp_t_put_later(struct work_struct *work)
{
	struct mp_t_putter *p = container_of(to_delayed_work(work),
					     struct mp_t_putter, dwork);

	/* The unbind drains port 2: no new user (one is given back at once) */
	p->during = mlx5_ib_get_native_port_mdev(p->ib, 2, NULL);
	if (p->during)
		mlx5_ib_put_native_port_mdev(p->ib, 2);
	WRITE_ONCE(p->put, true);
	mlx5_ib_put_native_port_mdev(p->ib, 2);
}

/* An unbind waits for the last user of the slave's core device */
static void mp_t_drain(struct kunit *test)
{
	static const struct mp_t_op setup[] = {
		OP(INIT, 1, 0), OP(PROBE, 2, 0), OP(GET, 1, 2), END,
	};
	struct mp_t *t = test->priv;
	int rust;

	for (rust = 0; rust < 2; rust++) {
		struct mp_t_run *run = mp_t_begin(test, mp_t_pair,
						  ARRAY_SIZE(mp_t_pair), setup,
						  rust);
		struct mp_t_putter p = {};

		KUNIT_EXPECT_TRUE(test, mp_t_has(run, "=get", 1, 2));
		p.ib = t->devs[0]->ib;
		INIT_DELAYED_WORK_ONSTACK(&p.dwork, mp_t_put_later);
		schedule_delayed_work(&p.dwork, msecs_to_jiffies(200));
		mlx5r_mp_remove(&t->devs[1]->adev.adev);
		t->devs[1]->probed = false;
		KUNIT_EXPECT_TRUE_MSG(test, READ_ONCE(p.put),
				      "%s: unbind did not wait for the put",
				      rust ? "rust" : "c");
		KUNIT_EXPECT_NULL(test, p.during);
		flush_delayed_work(&p.dwork);
		destroy_delayed_work_on_stack(&p.dwork);
		mp_t_end(test);
	}
}

struct mp_t_gate {
	struct work_struct work;
	struct completion open;
};

static void mp_t_gate_wait(struct work_struct *work)
{
	struct mp_t_gate *g = container_of(work, struct mp_t_gate, work);

	wait_for_completion_timeout(&g->open, msecs_to_jiffies(300));
}

/*
 * A slave's event queued, then the slave removed: the event work must not
 * use the removed slave's port info. C's work holds a bare pointer to it,
 * and mlx5r_mp_remove() flushes the event queue before freeing it; Rust's
 * work holds the slave, and its removal flushes too. Without the flush, C
 * oopses here (slub_debug poisons the freed port info).
 */
static void mp_t_event_after_remove(struct kunit *test)
{
	static const struct mp_t_op setup[] = {
		OP(INIT, 1, 0), OP(PROBE, 2, 0), END,
	};
	struct mp_t *t = test->priv;
	int rust;

	for (rust = 0; rust < 2; rust++) {
		struct mp_t_run *run = mp_t_begin(test, mp_t_pair,
						  ARRAY_SIZE(mp_t_pair), setup,
						  rust);
		struct mlx5_eqe eqe = {};
		struct notifier_block *nb;
		struct mp_t_gate gate;
		int ret;

		nb = t->devs[1]->nb;
		KUNIT_ASSERT_NOT_NULL(test, nb);
		/* No event reaches the fake device's ib_core side */
		t->devs[0]->ib->ib_active = false;
		eqe.sub_type = MLX5_PORT_CHANGE_SUBTYPE_ACTIVE;
		eqe.data.port.port = 2 << 4;

		/* Hold the event queue, queue the event, remove the slave */
		INIT_WORK_ONSTACK(&gate.work, mp_t_gate_wait);
		init_completion(&gate.open);
		queue_work(mlx5_ib_event_wq, &gate.work);
		ret = nb->notifier_call(nb, MLX5_EVENT_TYPE_PORT_CHANGE, &eqe);
		KUNIT_EXPECT_EQ(test, ret, NOTIFY_OK);
		mlx5r_mp_remove(&t->devs[1]->adev.adev);
		t->devs[1]->probed = false;
		complete(&gate.open);
		flush_workqueue(mlx5_ib_event_wq);
		destroy_work_on_stack(&gate.work);
		KUNIT_EXPECT_TRUE(test, mp_t_has(run, "unlisten", 2, 1));
		mp_t_end(test);
	}
}

static struct kunit_case mp_t_cases[] = {
	KUNIT_CASE(mp_t_orders),
	KUNIT_CASE(mp_t_mismatch),
	KUNIT_CASE(mp_t_failures),
	KUNIT_CASE_SLOW(mp_t_drain),
	KUNIT_CASE_SLOW(mp_t_event_after_remove),
	{}
};

static struct kunit_suite mp_t_suite = {
	.name = "rdma_mlx5_mp_diff",
	.init = mp_t_init,
	.test_cases = mp_t_cases,
};

kunit_test_suite(mp_t_suite);
