#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A seeded differential fuzzer of the rdma_cm write() ABI (rdma_rs_ucma_fuzz.c):
# random command streams run on files opened with rdma_ucm.ucma_impl=c (twice)
# and =rust in one boot, over an rxe device in a network namespace; every
# write()'s result and response bytes must be the same (kernel-chosen ids,
# ports and PSNs normalised). Then no rdma_cm id is left and the kernel log
# is clean.
#
# RS_FUZZ_CMDS: write()s per implementation (20000); RS_FUZZ_SEED: the seed
# (1); RS_FUZZ_OPS: operations per stream (150). RS_IMPL=c|rust reloads the
# RDMA stack with that implementation first (the fuzzer switches rdma_ucm's
# own parameter itself and restores it).

source "$(dirname "$0")/rdma_rs_lib.sh"

rs_require_root
rs_require_cmds rdma gcc

RS_FUZZ_CMDS=${RS_FUZZ_CMDS:-20000}
RS_FUZZ_SEED=${RS_FUZZ_SEED:-1}
RS_FUZZ_OPS=${RS_FUZZ_OPS:-150}
PARAM=/sys/module/rdma_ucm/parameters/ucma_impl

ktap_print_header
ktap_set_plan 6

# One result: the implementation parameters (rs_stack_up).
rs_two_node_start
[ -w $PARAM ] || ktap_exit_fail_msg "rdma_ucm has no ucma_impl parameter"
uimpl=$(cat $PARAM)
FUZZ=$(rs_program rdma_rs_ucma_fuzz) || ktap_exit_fail_msg "cannot build rdma_rs_ucma_fuzz"

echo "rdma_rs_ucma_fuzz: start seed $RS_FUZZ_SEED" >/dev/kmsg

# 1. The fuzzer, with the C and the Rust write() counted (kprobes): the C
# files served the two C runs and the Rust files the Rust run. Streams on
# which the two C runs disagree (noise) are not compared past that point:
# more than 2% of them fail, so that the comparison cannot shrink unseen. A
# difference counts when its stream, run again alone, repeats it.
rs_probes_on rdma_ucm:ucma_write rdma_ucm:rdma_rs_ucma_write ||
	ktap_exit_fail_msg "cannot set kprobes"
fuzz() {
	# 3 runs of 250 to 400 writes per second under TCG (the waits for
	# events dominate): rdma_rs_limits.sh
	local limit=$((RS_LIMIT_PROGRAM + RS_FUZZ_CMDS * RS_LIMIT_FUZZ_PER_1000 / 1000)) n
	rm -f "$RS_OUT"/fuzz.stream*
	ip netns exec "$RS_NS_A" timeout "$limit" "$FUZZ" -n "$RS_FUZZ_CMDS" \
		-s "$RS_FUZZ_SEED" -l "$RS_FUZZ_OPS" "$RS_IP_A" 239.9.0.1 \
		>"$RS_OUT/fuzz.out" 2>&1
	local rc=$?
	grep -E '^(seed|rate|coverage|events|waits)' "$RS_OUT/fuzz.out" |
		while read -r l; do rs_log "$l"; done
	grep -E '^stream .*ops .*(noise|DIFFERENT)' "$RS_OUT/fuzz.out" | head -20 |
		while read -r l; do rs_log "$l"; done
	grep -E '^stream [0-9]+: ' "$RS_OUT/fuzz.out" | head -20 |
		while read -r l; do rs_log "$l"; done
	grep -B 30 '^DIFFERENCE' "$RS_OUT/fuzz.out" | head -60 | sed 's/^/#   /'
	summary=$(grep '^commands ' "$RS_OUT/fuzz.out")
	rs_log "exit $rc: ${summary:-no summary}"
	local streams noise k try confirmed=0 flagged=0 again
	n=$(echo "$summary" | awk '{ print $2 }')
	streams=$(echo "$summary" | awk '{ print $4 }')
	noise=$(echo "$summary" | awk '{ print $8 }')
	# A flagged stream runs again alone, twice; it is a difference if it is
	# flagged again both times. Under several guests on two cores an event the
	# fuzzer waits 250 ms for can come late twice running (README: the soak);
	# alone, such a stream comes out the same.
	for k in $(sed -n 's/^DIFFERENCE seed [0-9]* stream \([0-9]*\) .*/\1/p' "$RS_OUT/fuzz.out" |
		sort -un); do
		flagged=$((flagged + 1))
		again=1
		for try in 1 2; do
			ip netns exec "$RS_NS_A" timeout "$RS_LIMIT_PROGRAM" "$FUZZ" -n 1 \
				-s "$RS_FUZZ_SEED" -S "$k" -l "$RS_FUZZ_OPS" "$RS_IP_A" 239.9.0.1 \
				>"$RS_OUT/fuzz.stream$k.$try" 2>&1
			grep -q '^DIFFERENCE' "$RS_OUT/fuzz.stream$k.$try" || { again=0; break; }
		done
		confirmed=$((confirmed + again))
		rs_log "stream $k flagged; alone: $([ $again = 1 ] && echo "flagged again twice" ||
			echo "not flagged in run $try")"
	done
	[ $flagged -eq 0 ] || rs_log "$flagged streams flagged, $confirmed confirmed alone"
	# Exit 1: the fuzzer found differences (counted above).
	{ [ $rc -eq 0 ] || { [ $rc -eq 1 ] && [ $flagged -gt 0 ]; }; } &&
		[ "${n:-0}" -ge "$RS_FUZZ_CMDS" ] && [ $confirmed -eq 0 ] &&
		[ $((${noise:-1} * 50)) -le "${streams:-0}" ]
}
# runs_writes c|rust: the write()s the fuzzer made in the runs of one
# implementation, flagged streams run again included.
runs_writes() {
	cat "$RS_OUT/fuzz.out" "$RS_OUT"/fuzz.stream* 2>/dev/null |
		awk -v i="$1" '$1 == "rate" && $2 == i { n += $5 } END { print n + 0 }'
}
# near a b: a is within 1% of b, and b is not 0.
near() {
	[ "$2" -gt 0 ] && [ $(($1 * 100)) -ge $(($2 * 99)) ] &&
		[ $(($1 * 100)) -le $(($2 * 101)) ]
}
summary=
rs_result "fuzz: $RS_FUZZ_CMDS commands per implementation, 0 differences (seed $RS_FUZZ_SEED)" fuzz
rs_writes=$(rs_probe_hits rdma_rs_ucma_write)
c_writes=$(rs_probe_hits ucma_write)
rs_probes_off rdma_ucm:ucma_write rdma_ucm:rdma_rs_ucma_write
rs_log "ucma_write: $c_writes calls for $(runs_writes c) C writes;" \
	"rdma_rs_ucma_write: $rs_writes calls for $(runs_writes rust) Rust writes"
served() {
	near "$c_writes" "$(runs_writes c)" && near "$rs_writes" "$(runs_writes rust)"
}
rs_result "the C runs' writes went to the C write(), the Rust run's to the Rust one" served
rs_result "rdma_ucm.ucma_impl restored ($uimpl)" test "$(cat $PARAM)" = "$uimpl"

# 2. Nothing left behind: no rdma_cm id, nothing in the kernel log.
rs_result "no rdma_cm id left" rs_no_cm_id
rs_result "kernel log clean" rs_kernel_log_clean "rdma_rs_ucma_fuzz: start"

ktap_finished
