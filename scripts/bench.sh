#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmarks: build the plain kernel (PROFILE=bench: no memory or lock
# checkers; built on demand, cached like the test kernel), boot it, and run
# every benchmark with both implementations in one run (scripts/guest/bench.sh);
# then plot the scale curves (scripts/bench-plot.py). The table, bench.csv and
# the plot bench.png land in the run's results folder and in bench/ of this
# tree (the latest run, which README shows).
#   [SCALE=small|full] scripts/bench.sh [ITERATIONS] [REPEATS]
#   scripts/bench.sh calls [N]    the calls per operation of each side, counted
#                                 by kprobes (scripts/guest/calls.sh): bench/calls.txt
set -euo pipefail
export PROFILE=${PROFILE:-bench}
. "$(dirname "$0")/lib.sh"

/usr/bin/python3 -c 'import matplotlib' 2>/dev/null ||
	die "no matplotlib for /usr/bin/python3: install python3-matplotlib (scripts/setup.sh)"
B=$("$RDMA_RS_TOP/scripts/build.sh" | tail -1)
sel=$SRC_DIR/tools/testing/selftests/rdma
gcc -O2 -Wall -o "$sel/rdma_rs_ucma_bench" "$sel/rdma_rs_ucma_bench.c"
R=$B/results/bench-$(date +%Y%m%d-%H%M%S)
mkdir -p "$R"
if [ "${1:-}" = calls ]; then
	shift
	"$RDMA_RS_TOP/scripts/run-qemu.sh" -r "$R" -t 1800 -- \
		env RS_LIB="$sel/rdma_rs_lib.sh" bash "$RDMA_RS_TOP/scripts/guest/calls.sh" "$R" "$@" ||
		die "call count run failed: $R/console.log"
	mkdir -p "$RDMA_RS_TOP/bench"
	cp "$R/calls.txt" "$RDMA_RS_TOP/bench/"
	cat "$R/calls.txt"
	log "results: $R (copied to bench/)"
	exit 0
fi
"$RDMA_RS_TOP/scripts/run-qemu.sh" -r "$R" -t 3600 -- \
	env RS_LIB="$sel/rdma_rs_lib.sh" SCALE="${SCALE:-small}" \
	bash "$RDMA_RS_TOP/scripts/guest/bench.sh" "$R" "$@" || die "benchmark run failed: $R/console.log"
plot=0
/usr/bin/python3 "$RDMA_RS_TOP/scripts/bench-plot.py" "$R" >/dev/null || plot=$?
case $plot in
0 | 2) ;;
*) die "bench-plot.py failed ($plot) on $R/bench.csv" ;;
esac
mkdir -p "$RDMA_RS_TOP/bench"
cp "$R/bench.txt" "$R/bench.csv" "$R/bench.png" "$RDMA_RS_TOP/bench/"
cat "$R/bench.txt"
log "results: $R (copied to bench/)"
[ "$plot" -eq 0 ] || die "a Rust scale curve grows faster than C's (bench.txt)"
