# SPDX-License-Identifier: GPL-2.0
#
# rdma-rs: Rust implementations of pieces of the Linux RDMA core, as a
# kernel-tree overlay plus a patch series against Linux 7.3.
#
#   make demo          set up, build, boot, bring up soft-RoCE, show the Rust code at work
#   make test          build incrementally, boot, run every suite; ends "N passed, N failed"
#   make test SUITE=smoke    one suite (kunit, selftests, smoke)
#   make test FRESH=1  run every unit, also those that passed before with the same inputs
#   make soak          the fuzzer (1,000,000 commands per implementation), 100
#                      reload cycles per implementation, 1,000 IPoIB ifup/ifdown
#                      cycles and 1,000 mlx5 race rounds, on the test kernel: a
#                      guest per soak suite, RDMA_RS_SOAK_JOBS (3) at a time
#   make soak SUITE=soak-fuzz1    some of the soak suites (scripts/units.sh)
#   make bench         the C vs Rust benchmarks on the plain (bench) kernel, the small
#                      points of the scale curves; table, bench.csv and plot in bench/
#   make bench SCALE=full    every point of the scale curves
#   make bench-calls [N=5000]  the calls per operation of C and Rust, counted by kprobes
#   make export        the whole project as a git format-patch series against v7.3
#   make check         clippy, rustfmt and checkpatch on the project's code
#   make check-series  build every prefix of the exported series; names the first that breaks
#   make rust-analyzer rust-project.json for editors, covering the project's crates
#   make setup | build | shell

SHELL := /bin/bash
SUITE ?=
FRESH ?=

.PHONY: all setup build demo test soak bench bench-calls export check check-series clippy rustfmtcheck \
	checkpatch rust-analyzer shell

all: test

setup:
	scripts/setup.sh

build:
	scripts/build.sh

demo:
	scripts/demo.sh

test:
	$(if $(FRESH),RDMA_RS_FRESH=1 )scripts/test.sh $(SUITE)

soak:
	scripts/soak.sh $(SUITE)

bench:
	SCALE=$(or $(SCALE),small) scripts/bench.sh

bench-calls:
	scripts/bench.sh calls $(N)

export:
	scripts/export-patches.sh

check: clippy rustfmtcheck checkpatch

clippy:
	scripts/check.sh clippy

rustfmtcheck:
	scripts/check.sh rustfmt

checkpatch:
	scripts/check.sh checkpatch

check-series:
	scripts/check-series.sh

rust-analyzer:
	scripts/rust-analyzer.sh

shell:
	scripts/run-qemu.sh -i
