#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the guest: every benchmark registered under
# /sys/kernel/debug/rdma_impl/, each implementation in turn, REPEATS times;
# prints the median time per iteration of each and the Rust/C ratio.
#
#   bench.sh RESULTS_DIR [ITERATIONS] [REPEATS]
set -u
R=$1
ITERS=${2:-200000}
REPEATS=${3:-9}
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
D=/sys/kernel/debug/rdma_impl

for m in ib_core ib_uverbs rdma_cm rdma_ucm rdma_rxe; do modprobe $m; done
# Every benchmark takes the name of an RDMA device to work on.
ip link add rs_b0 type veth peer name rs_b1
ip addr add 10.90.0.1/24 dev rs_b0
ip link set rs_b0 up
ip link set rs_b1 up
rdma link add rs_bench0 type rxe netdev rs_b0
sleep 1

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

printf '%-28s %12s %12s %8s\n' benchmark "C ns/iter" "Rust ns/iter" Rust/C | tee "$R/bench.txt"
for f in "$D"/*; do
	[ -f "$f" ] || continue
	name=${f##*/}
	: >"$R/bench.$name.c"
	: >"$R/bench.$name.rust"
	for i in $(seq "$REPEATS"); do
		for impl in c rust; do
			if ! echo "$impl $ITERS rs_bench0" >"$f"; then
				echo "$name: $impl run failed" >&2
				continue
			fi
			read -r _ iters ns ret <"$f"
			[ "$ret" = 0 ] && echo "$ns $iters" | awk '{ printf "%.3f\n", $1 / $2 }' >>"$R/bench.$name.$impl"
		done
	done
	c=$(median <"$R/bench.$name.c")
	r=$(median <"$R/bench.$name.rust")
	ratio=$(awk -v c="$c" -v r="$r" 'BEGIN { if (c > 0) printf "%.3f", r / c; else print "n/a" }')
	printf '%-28s %12s %12s %8s\n' "$name" "$c" "$r" "$ratio" | tee -a "$R/bench.txt"
done
echo "(medians of $REPEATS runs of $ITERS iterations, C and Rust alternating)" | tee -a "$R/bench.txt"
rdma link del rs_bench0
ip link del rs_b0
