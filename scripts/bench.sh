#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmarks: build the plain kernel (PROFILE=bench: no memory or lock
# checkers; built on demand, cached like the test kernel), boot it, and run
# every registered benchmark with both implementations in one run.
#   scripts/bench.sh [ITERATIONS] [REPEATS]
set -euo pipefail
export PROFILE=${PROFILE:-bench}
. "$(dirname "$0")/lib.sh"

B=$("$RDMA_RS_TOP/scripts/build.sh" | tail -1)
sel=$SRC_DIR/tools/testing/selftests/rdma
gcc -O2 -Wall -o "$sel/rdma_rs_ucma_bench" "$sel/rdma_rs_ucma_bench.c"
R=$B/results/bench-$(date +%Y%m%d-%H%M%S)
mkdir -p "$R"
"$RDMA_RS_TOP/scripts/run-qemu.sh" -r "$R" -t 1800 -- \
	env RS_LIB="$SRC_DIR/tools/testing/selftests/rdma/rdma_rs_lib.sh" \
	bash "$RDMA_RS_TOP/scripts/guest/bench.sh" "$R" "$@" || die "benchmark run failed: $R/console.log"
cat "$R/bench.txt"
