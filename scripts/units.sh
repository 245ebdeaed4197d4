# SPDX-License-Identifier: GPL-2.0
# The test units, in run order. Sourced by scripts/test.sh (host) and by
# scripts/guest/run-suites.sh (guest), never run.
#
# A unit is the KUnit suites, or one kselftest script with one set of
# implementation parameters. scripts/test.sh keys each unit by what it runs:
# every input of the build and the harness except the project's Rust sources
# (C, patches, config, scripts, tests, the host's rdma-core, QEMU), plus the
# Rust sources the unit runs. A unit that passed with the same key in a run
# whose kernel log stayed clean is not run again (RDMA_RS_FRESH=1 runs all).
#
# Columns: unit, suite, script ("-" for KUnit), environment ("-" for none),
# then the Rust sources the unit runs, as path prefixes ("*" for all of them,
# "-" for none):
#   - with RS_IMPL=c no Rust piece is called (every entry point dispatches on
#     its module parameter, and the scripts' kprobes check that no Rust entry
#     point ran), so the C units run none, but for the Rust sample module that
#     rdma_rs_sa_mcast.sh loads to call the SA exports;
#   - a unit with RS_PIECES runs only those pieces on Rust, the others on C:
#     its own piece, the crate it is linked into and the abstractions;
#   - the units with every piece on Rust run all of them, and so do the
#     selftests, which load the stack with its defaults (Rust) or switch it.
# The KUnit suites of ib_core and rdma_cm run whenever the module loads, in
# any unit; the kunit unit, keyed by all Rust sources, answers for them.
RS_RUST_GID="rust/ drivers/infiniband/core/ib_core_rust.rs drivers/infiniband/core/roce_gid_mgmt"
RS_RUST_SA="rust/ drivers/infiniband/core/ib_core_rust.rs drivers/infiniband/core/multicast samples/rust/"
RS_RUST_SAMPLE="rust/ samples/rust/"
RS_RUST_CMA="rust/ drivers/infiniband/core/rdma_cm_rust.rs drivers/infiniband/core/cma_mcast"
RS_RUST_UCMA="rust/ drivers/infiniband/core/ucma_rust.rs drivers/infiniband/core/ucma"
# The software InfiniBand fabric's SM and SA (sib_sm) are Rust test
# scaffolding that the IPoIB units run on C too: their key has them.
RS_RUST_SIB="rust/ drivers/infiniband/sw/sib"
# IPoIB's join task; rdma_rs_ipoib_mcast.sh runs it on C and on Rust, over
# the SA multicast piece on Rust (the defaults: rs_stack_up).
RS_RUST_IPOIB="rust/ drivers/infiniband/ulp/ipoib"
# mlx5 multiport affiliation; rdma_rs_mlx5_mp.sh runs it on C and on Rust,
# over the fake provider mlx5_mp_fake.
RS_RUST_MLX5="rust/ drivers/infiniband/hw/mlx5"

# The order keeps module reloads few (a few seconds each under TCG): the
# units with every piece on Rust, then those with one piece on Rust
# (rdma_rs_sib_sa.sh runs the implementation loaded first, then the other:
# C), then those on C; rdma_ucm's parameter is written, not
# reloaded (rdma_rs_lib.sh's rs_reload_impl).
#
# The soak suites (make soak: scripts/soak.sh) run the fuzzer, the reload
# cycles, IPoIB's ifup/ifdown cycles, mlx5's race rounds and rdma_cm's
# join/send/leave cycles (200 per implementation) at volume, each
# suite in a guest of its own, several guests at once; they are not in the
# default run. The fuzzer's 1,000,000 commands per implementation are four
# seeds of 250,000, the reload's 100 cycles per implementation a suite per
# implementation.
# rdma_rs_ucma_fuzz.sh runs both rdma_ucm implementations (C twice, Rust
# once, per stream; every other piece on C): its key has the Rust rdma_ucm
# sources.

# Two guests (scripts/test.sh; RDMA_RS_GUESTS=1 for one) run the units at
# once: the first with two vCPUs, the second with one, three TCG threads on
# the CI machine's two cores. A full run took 2,000 to 2,029 s so (2026-12-04
# 22:40 and 23:38) against 2,304 s in one 2-vCPU guest. Two 2-vCPU guests at
# once are slower than one: each unit takes 2 to 3 times as long (the vCPUs
# of a guest wait on each other while the host runs the other guest's).
# Under that load the shell is slow (a fork and exec can take seconds): the
# windows that must close within ib_sa's 3.3 s (the held joins of
# rdma_rs_ipoib_mcast.sh's steps 1, 4, 5 and 10, rdma_rs_ib_client.sh and
# rdma_rs_sib_sa.sh) have no exec inside them.
# The first guest runs the units whose point is concurrency: the KUnit
# suites (threads probing and removing), the module reloads under users, the
# IPoIB ifup/ifdown cycles with joins in flight, mlx5's race rounds, and the
# rdma_cm and rdma_ucm units (their race programs); and, for balance, the SA
# multicast units and the fabric's C unit, which take about twice as long
# on one vCPU (2026-12-05 03:17: 208 s against 105), and IPoIB's C unit. The
# second runs the others on one vCPU: data paths, GID tables, the fabric's
# SA, pyverbs, the fuzzer (which wants determinism, not concurrency). Each
# guest keeps the order below. The two GID units share a guest: the second
# compares its tables with the first's (RS_GID_DIR).
RS_GUEST2="smoke.rdma_rs_pyverbs.rust smoke.rdma_rs_smoke.rust smoke.rdma_rs_ipoib.rust
smoke.rdma_rs_ib_client.rust smoke.rdma_rs_gid.rust smoke.rdma_rs_sib_sa smoke.rdma_rs_gid.c
smoke.rdma_rs_pyverbs.c smoke.rdma_rs_smoke.c smoke.rdma_rs_ucma_fuzz smoke.rdma_rs_ib_client.c"
RS_GUEST2_CPUS=1

# rs_unit_guest UNIT GUESTS: the guest, 1 or 2, that runs UNIT when GUESTS
# guests run.
rs_unit_guest() {
	if [ "$2" -ge 2 ] && [[ " ${RS_GUEST2//$'\n'/ } " == *" $1 "* ]]; then
		echo 2
	else
		echo 1
	fi
}

rs_units() {
	cat <<EOF
kunit kunit - - *
selftests.rdma_rs_impl selftests rdma_rs_impl.sh - *
selftests.rdma_rs_client_sample selftests rdma_rs_client_sample.sh - *
selftests.rdma_rs_reload selftests rdma_rs_reload.sh RS_RELOAD_CYCLES=5 *
smoke.rdma_rs_pyverbs.rust smoke rdma_rs_pyverbs.sh RS_IMPL=rust *
smoke.rdma_rs_smoke.rust smoke rdma_rs_smoke.sh RS_IMPL=rust *
smoke.rdma_rs_ipoib.rust smoke rdma_rs_ipoib.sh RS_IMPL=rust *
smoke.rdma_rs_ib_client.rust smoke rdma_rs_ib_client.sh RS_IMPL=rust *
smoke.rdma_rs_ipoib_mcast smoke rdma_rs_ipoib_mcast.sh - $RS_RUST_SIB $RS_RUST_SA $RS_RUST_IPOIB
smoke.rdma_rs_mlx5_mp smoke rdma_rs_mlx5_mp.sh - $RS_RUST_MLX5
smoke.rdma_rs_gid.rust smoke rdma_rs_gid.sh RS_IMPL=rust,RS_PIECES=ib_core:roce_gid_impl $RS_RUST_GID
smoke.rdma_rs_cma_mcast.rust smoke rdma_rs_cma_mcast.sh RS_IMPL=rust,RS_PIECES=rdma_cm:mcast_impl $RS_RUST_CMA
smoke.rdma_rs_sa_mcast.rust smoke rdma_rs_sa_mcast.sh RS_IMPL=rust,RS_PIECES=ib_core:sa_mcast_impl $RS_RUST_SA
smoke.rdma_rs_sib_sa smoke rdma_rs_sib_sa.sh - $RS_RUST_SIB $RS_RUST_SA
smoke.rdma_rs_ucma.rust smoke rdma_rs_ucma.sh RS_IMPL=rust,RS_PIECES=rdma_ucm:ucma_impl $RS_RUST_UCMA
smoke.rdma_rs_ucma.c smoke rdma_rs_ucma.sh RS_IMPL=c -
smoke.rdma_rs_gid.c smoke rdma_rs_gid.sh RS_IMPL=c -
smoke.rdma_rs_pyverbs.c smoke rdma_rs_pyverbs.sh RS_IMPL=c -
smoke.rdma_rs_smoke.c smoke rdma_rs_smoke.sh RS_IMPL=c -
smoke.rdma_rs_sa_mcast.c smoke rdma_rs_sa_mcast.sh RS_IMPL=c $RS_RUST_SAMPLE
smoke.rdma_rs_cma_mcast.c smoke rdma_rs_cma_mcast.sh RS_IMPL=c -
smoke.rdma_rs_ucma_fuzz smoke rdma_rs_ucma_fuzz.sh RS_IMPL=c,RS_FUZZ_CMDS=20000 $RS_RUST_UCMA
smoke.rdma_rs_sib.c smoke rdma_rs_sib.sh RS_IMPL=c -
smoke.rdma_rs_ipoib.c smoke rdma_rs_ipoib.sh RS_IMPL=c $RS_RUST_SIB
smoke.rdma_rs_ib_client.c smoke rdma_rs_ib_client.sh RS_IMPL=c $RS_RUST_SIB samples/rust/
soak-fuzz1.rdma_rs_ucma_fuzz soak-fuzz1 rdma_rs_ucma_fuzz.sh RS_IMPL=c,RS_FUZZ_CMDS=250000,RS_FUZZ_SEED=1 $RS_RUST_UCMA
soak-fuzz2.rdma_rs_ucma_fuzz soak-fuzz2 rdma_rs_ucma_fuzz.sh RS_IMPL=c,RS_FUZZ_CMDS=250000,RS_FUZZ_SEED=2 $RS_RUST_UCMA
soak-fuzz3.rdma_rs_ucma_fuzz soak-fuzz3 rdma_rs_ucma_fuzz.sh RS_IMPL=c,RS_FUZZ_CMDS=250000,RS_FUZZ_SEED=3 $RS_RUST_UCMA
soak-fuzz4.rdma_rs_ucma_fuzz soak-fuzz4 rdma_rs_ucma_fuzz.sh RS_IMPL=c,RS_FUZZ_CMDS=250000,RS_FUZZ_SEED=4 $RS_RUST_UCMA
soak-reload-c.rdma_rs_reload soak-reload-c rdma_rs_reload.sh RS_RELOAD_CYCLES=100,RS_RELOAD_IMPLS=c -
soak-reload-rust.rdma_rs_reload soak-reload-rust rdma_rs_reload.sh RS_RELOAD_CYCLES=100,RS_RELOAD_IMPLS=rust *
soak-ipoib.rdma_rs_ipoib_mcast soak-ipoib rdma_rs_ipoib_mcast.sh RS_IPOIB_CYCLES=1000 $RS_RUST_SIB $RS_RUST_SA $RS_RUST_IPOIB
soak-mlx5.rdma_rs_mlx5_mp soak-mlx5 rdma_rs_mlx5_mp.sh RS_MLX5_MP_RACE_ROUNDS=1000 $RS_RUST_MLX5
soak-cma-mcast.rdma_rs_cma_mcast.rust soak-cma-mcast rdma_rs_cma_mcast.sh RS_IMPL=rust,RS_PIECES=rdma_cm:mcast_impl,RS_MC_REPEAT=200 $RS_RUST_CMA
soak-cma-mcast.rdma_rs_cma_mcast.c soak-cma-mcast rdma_rs_cma_mcast.sh RS_IMPL=c,RS_MC_REPEAT=200 -
EOF
}
