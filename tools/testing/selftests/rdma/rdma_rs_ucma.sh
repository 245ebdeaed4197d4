#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The rdma_cm device, /dev/infiniband/rdma_cm (rdma_ucm.ucma_impl), through its
# write() ABI between two network namespaces over rxe: every command with bad
# input gets the errno of 7.3's ucma.c, files of both implementations live in
# one boot, and a device removed under an id with a join closes the id behind
# its user.
#
# RS_IMPL=c|rust reloads the RDMA stack with that implementation first.

source "$(dirname "$0")/rdma_rs_lib.sh"

rs_require_root
rs_require_cmds rdma stdbuf gcc


ktap_print_header
# The unit on C (RS_IMPL=c) runs no Rust code, so not part 2 either.
ktap_set_plan $([ "${RS_IMPL:-}" = c ] && echo 13 || echo 14)

rs_two_node_start
uimpl=$(cat /sys/module/rdma_ucm/parameters/ucma_impl)
impl=$uimpl
rs_log "rdma_ucm.ucma_impl=$uimpl," \
	"rdma_cm.mcast_impl=$(cat /sys/module/rdma_cm/parameters/mcast_impl)"

# 1. The write() ABI of /dev/infiniband/rdma_cm, every command with bad
# input (rdma_rs_ucma_abi.c): the errno of 7.3's ucma.c for each case, and no
# id left once the files are closed.
ABI=$(rs_program rdma_rs_ucma_abi) || ktap_exit_fail_msg "cannot build rdma_rs_ucma_abi"
rs_probes_on rdma_ucm:rdma_rs_ucma_write || ktap_exit_fail_msg "cannot set kprobes"
ip netns exec "$RS_NS_A" timeout "$RS_LIMIT_PROGRAM" "$ABI" "$RS_IP_A" 239.6.0.1 \
	>"$RS_OUT/abi.out" 2>&1
rs_log "ucma abi: exit $?; $(grep '^group' "$RS_OUT/abi.out" | tr '\n' ';')"
rs_writes=$(rs_probe_hits rdma_rs_ucma_write)
rs_probes_off rdma_ucm:rdma_rs_ucma_write
rs_log "rdma_rs_ucma_write: ${rs_writes:-0} calls"
# The rdma_cm device's files are served by the implementation the parameter
# names: the Rust write() ran the ABI test (its 222 writes), or never.
served() {
	if [ "$uimpl" = rust ]; then
		[ "${rs_writes:-0}" -ge 200 ]
	else
		[ "${rs_writes:-1}" = 0 ]
	fi
}
rs_result "its write() ran the ABI test [$impl]" served
abi_group() {
	grep -q "^group $1 cases [1-9][0-9]* bad 0$" "$RS_OUT/abi.out" && return 0
	grep -E "^(MISMATCH|create_id)" "$RS_OUT/abi.out" | sed 's/^/#   /'
	return 1
}
abi_left() {
	abi_group events && rs_no_cm_id
}
rs_result "raw write(): short header, unknown command, input beyond the write [$impl]" \
	abi_group header
rs_result "raw write(): every command with short input [$impl]" abi_group short
rs_result "raw write(): long input ignored past the command [$impl]" abi_group long
rs_result "raw write(): every command with an id that does not exist [$impl]" \
	abi_group bad-id
rs_result "raw write(): every command with another file's id; MIGRATE_ID [$impl]" \
	abi_group wrong-file
rs_result "raw write(): response too small or not mapped [$impl]" abi_group response
rs_result "raw write(): garbage in each command's fields [$impl]" abi_group garbage
rs_result "raw write(): events, poll, events_reported; no id left after close [$impl]" \
	abi_left

# 2. Both rdma_ucm implementations in one boot (ucma_impl is read at each
# open()): CREATE_ID + DESTROY_ID pairs and join-to-event latency, C and Rust
# alternating (rdma_rs_ucma_bench.c). Not in the unit on C. A few rounds only: the numbers are
# logged, the check is that every round of both ran; `make bench` measures on
# a kernel without the checkers.
BENCH=$(rs_program rdma_rs_ucma_bench) || ktap_exit_fail_msg "cannot build rdma_rs_ucma_bench"
# bench_median name c|rust: the median of the three samples of a measurement.
bench_median() {
	awk -v m="$1" -v i="$2" '$1 == m && $2 == i { print $3 }' "$RS_OUT/ucma_bench.out" |
		sort -n | sed -n 2p
}
ucma_bench() {
	ip netns exec "$RS_NS_A" timeout "$RS_LIMIT_PROGRAM" \
		"$BENCH" "$RS_IP_A" 239.7.0.1 200 20 3 \
		>"$RS_OUT/ucma_bench.out" 2>&1 ||
		{ tail -3 "$RS_OUT/ucma_bench.out" | sed 's/^/#   /'; return 1; }
	local m i c r ratio
	for m in create_destroy join_event; do
		for i in c rust; do
			[ "$(grep -c "^$m $i " "$RS_OUT/ucma_bench.out")" = 3 ] || return 1
		done
		c=$(bench_median $m c)
		r=$(bench_median $m rust)
		ratio=$(awk -v c="$c" -v r="$r" 'BEGIN { printf "%.2f", r / c }')
		rs_log "$m: C $c ns, Rust $r ns, Rust/C $ratio"
	done
	[ "$(cat /sys/module/rdma_ucm/parameters/ucma_impl)" = "$uimpl" ]
}
[ "${RS_IMPL:-}" = c ] ||
	rs_result "rdma_ucm C and Rust files in one boot: create/destroy, join-to-event [$impl]" \
		ucma_bench

# 3. Connecting ids rejected by their user, with REJECT or ACCEPT
# (rdma_rs_ucma_abi.c, group "reject"): ib_cm's REJ ends the REQ's retries, so
# DESTROY_ID does not wait for them (about 74 s before patch 7) and no REQ is
# sent again (rs_rxa's cm_tx_retries/req).
reject() {
	local retries=/sys/class/infiniband/rs_rxa/ports/1/cm_tx_retries/req before after
	before=$(cat $retries) || return 1
	ip netns exec "$RS_NS_A" timeout "$RS_LIMIT_PROGRAM" "$ABI" "$RS_IP_A" 239.6.0.4 \
		reject >"$RS_OUT/reject.out" 2>&1
	rs_log "ucma reject: exit $?; $(grep '^group' "$RS_OUT/reject.out")"
	after=$(cat $retries) || return 1
	rs_log "rs_rxa REQ retries: $before before, $after after"
	grep -E "^(MISMATCH|create_id|DESTROY_ID)" "$RS_OUT/reject.out" | sed 's/^/#   /'
	grep -q "^group reject cases [1-9][0-9]* bad 0$" "$RS_OUT/reject.out" &&
		[ "$after" = "$before" ]
}
rs_result "connecting ids rejected by REJECT or ACCEPT: destroyed at once, REQ not resent [$impl]" \
	reject

# 4. rs_rxa removed under an id with a join (rdma_rs_ucma_abi.c, group
# "removal"): the user gets DEVICE_REMOVAL, the id is closed behind it (ENXIO
# for it and its join), DESTROY_ID still frees it and counts the events read.
removal() {
	ip netns exec "$RS_NS_A" timeout "$RS_LIMIT_PROGRAM" "$ABI" "$RS_IP_A" 239.6.0.3 rs_rxa \
		>"$RS_OUT/removal.out" 2>&1
	rs_log "ucma removal: exit $?; $(grep '^group' "$RS_OUT/removal.out")"
	grep -q "^group removal cases [1-9][0-9]* bad 0$" "$RS_OUT/removal.out" && return 0
	grep -E "^(MISMATCH|create_id)" "$RS_OUT/removal.out" | sed 's/^/#   /'
	return 1
}
rs_result "rxe device removed under an id with a join: DEVICE_REMOVAL, id closed [$impl]" \
	removal

rs_result "rxe devices removed [$impl]" rs_two_nodes_removed

ktap_finished
