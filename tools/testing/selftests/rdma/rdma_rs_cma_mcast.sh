#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rdma_cm multicast (rdma_join_multicast() and rdma_leave_multicast()) with
# unmodified rdma-core programs between two network namespaces over rxe:
# several groups with several QPs each, send-only joins, the IGMP membership
# a RoCE v2 join takes and gives back, repeated joins and leaves, ids
# destroyed with a join in flight, and the joins rxe refuses (an IPv6 group on
# RoCE v2, the IPoIB port space on RoCE), all as the C implementation does.
#
# RS_IMPL=c|rust reloads the RDMA stack with that implementation first.
# RS_MC_REPEAT: the join/send/leave cycles of step 4 (5).

source "$(dirname "$0")/rdma_rs_lib.sh"

rs_require_root
rs_require_cmds rdma mckey stdbuf gcc

ktap_print_header
ktap_set_plan 12

rs_two_node_start
impl=$(cat /sys/module/rdma_cm/parameters/mcast_impl)
rs_log "rdma_cm.mcast_impl=$impl"

# The IPv4 group as /proc/net/igmp shows it.
igmp_hex() {
	local IFS=.
	# shellcheck disable=SC2086
	set -- $1
	printf '%02X%02X%02X%02X' "$4" "$3" "$2" "$1"
}
# in_igmp ns group: the group is joined on the rxe's net device in ns.
in_igmp() {
	ip netns exec "$1" cat /proc/net/igmp | grep -q "$(igmp_hex "$2")"
}

# 1. Three groups at once, two QPs each; the joins go through rdma_cm's
# exported rdma_join_multicast() and, with Rust, its Rust implementation.
groups() {
	rs_dispatch_on rdma_join_multicast rdma_leave_multicast ib_init_ah_from_mcmember ||
		return 1
	local g pids=() rc=0
	for g in 1 2 3; do
		rs_mc_test "groups$g" "239.2.0.$g" 5 -c 2 &
		pids+=($!)
	done
	for g in "${pids[@]}"; do
		wait "$g" || rc=1
	done
	local joins
	joins=$(rs_probe_hits rdma_cm:rdma_join_multicast)
	rs_dispatch_ran rdma_join_multicast rdma_leave_multicast ib_init_ah_from_mcmember ||
		rc=1
	[ $rc -eq 0 ] && [ "$joins" -ge 12 ]
}
rs_result "mckey 3 groups x 2 QPs, data received; joins, leaves, AHs ran $impl [$impl]" groups

# 2. A send-only full member sends to full members.
rs_result "mckey send-only sender (-o), data received [$impl]" \
	rs_mc_test sendonly 239.2.1.1 10 -- -o

# 3. A RoCE v2 full-member join of an IPv4 group joins it with IGMP on the
# net device and the leave drops it; a send-only join sends no IGMP.
# wait_mckey_joined file: mckey says it joined (or gave up).
wait_mckey_joined() {
	rs_wait grep -q 'receiving data\|failure\|error' "$1"
}
# joined file group: mckey's join of the IPv4 group succeeded.
joined() {
	grep -q "^mckey: joined dgid: ::ffff:$2 " "$1" && ! grep -q 'failure' "$1"
}
igmp() {
	local g=239.2.2.1 pid ok=1
	ip netns exec "$RS_NS_A" timeout "$RS_LIMIT_MCKEY" stdbuf -oL \
		mckey -m $g -b "$RS_IP_A" -C 1 >"$RS_OUT/igmp.full" 2>&1 &
	pid=$!
	wait_mckey_joined "$RS_OUT/igmp.full" && joined "$RS_OUT/igmp.full" $g &&
		rs_wait in_igmp "$RS_NS_A" $g || ok=0
	ip netns exec "$RS_NS_A" cat /proc/net/igmp >"$RS_OUT/igmp.proc"
	kill -INT $pid 2>/dev/null
	wait $pid
	rs_wait eval "! in_igmp $RS_NS_A $g" || ok=0
	[ $ok = 1 ] || { rs_log "full member: IGMP join or leave missing"; return 1; }
	ip netns exec "$RS_NS_A" timeout "$RS_LIMIT_MCKEY" stdbuf -oL \
		mckey -m $g -b "$RS_IP_A" -C 1 -o >"$RS_OUT/igmp.sendonly" 2>&1 &
	pid=$!
	# The send-only join must have worked before its lack of IGMP means
	# anything; then give a report the time a full join's took to show.
	wait_mckey_joined "$RS_OUT/igmp.sendonly" && joined "$RS_OUT/igmp.sendonly" $g ||
		{ ok=0; rs_log "send-only member: the join did not succeed"; }
	sleep 1
	in_igmp "$RS_NS_A" $g && ok=0
	kill -INT $pid 2>/dev/null
	wait $pid
	[ $ok = 1 ] || rs_log "send-only member: joined with IGMP"
	[ $ok = 1 ]
}
rs_result "IGMP: full-member join and leave, none for send-only [$impl]" igmp

# 4. Repeated joins and leaves: senders in turn, each joins, sends, leaves.
REPEAT=${RS_MC_REPEAT:-5}
repeat() {
	local i g=239.2.3.1
	: >"$RS_OUT/repeat.send"
	# One cycle takes 6-33 s under TCG (18 runs each, C and Rust, 2026-11-22).
	for i in $(seq "$REPEAT"); do
		ip netns exec "$RS_NS_B" timeout "$RS_MC_TIMEOUT" \
			mckey -m $g -b "$RS_IP_B" -s -C 2 \
			>>"$RS_OUT/repeat.send" 2>&1 || return 1
	done
	[ "$(grep -c 'data transfers complete' "$RS_OUT/repeat.send")" -eq "$REPEAT" ] &&
		! in_igmp "$RS_NS_B" $g
}
rs_result "$REPEAT join/send/leave cycles, no membership left [$impl]" repeat

# 5. Ids destroyed with a join in flight. (a) 100 ids of one file, each
# joined and destroyed at once (rdma_rs_ucma_race --inflight): kprobes count
# the joins issued and the join events rdma_cm delivered (cma_cm_event_handler
# with RDMA_CM_EVENT_MULTICAST_JOIN, 12); fewer events than joins proves that
# joins were in flight at their destroy. (b) mckey killed at once, 20 times.
# Either way the joins must be gone (no IGMP membership, no id).
RACE=$(rs_program rdma_rs_ucma_race) || ktap_exit_fail_msg "cannot build rdma_rs_ucma_race"
inflight() {
	local i pid g=239.2.4.1 joins events
	rs_probes_on rdma_cm:rdma_join_multicast &&
		rs_event_on rs_mc_join_event 'rdma_cm:cma_cm_event_handler event=+0(%si):u32' \
			'event == 12' || return 1
	ip netns exec "$RS_NS_A" timeout "$RS_LIMIT_PROGRAM" "$RACE" --inflight "$RS_IP_A" \
		>"$RS_OUT/inflight.out" 2>&1
	local rc=$?
	# The joins' work may still be queued: let it run or be cancelled.
	rs_no_cm_id || rc=1
	joins=$(rs_probe_hits rdma_cm:rdma_join_multicast)
	events=$(rs_event_count rs_mc_join_event)
	rs_probes_off rdma_cm:rdma_join_multicast
	rs_event_off rs_mc_join_event
	rs_log "$(cat "$RS_OUT/inflight.out"); rdma_join_multicast: $joins calls," \
		"join events delivered: $events"
	# Some joins completed (so the count works) and some did not.
	[ $rc -eq 0 ] && [ "$joins" -eq 100 ] && [ "$events" -gt 0 ] &&
		[ "$events" -lt "$joins" ] || return 1
	for i in $(seq 20); do
		ip netns exec "$RS_NS_A" mckey -m $g -b "$RS_IP_A" -C 1 -c 2 \
			>/dev/null 2>&1 &
		pid=$!
		sleep "0.$((i % 5))"
		kill -KILL $pid 2>/dev/null
		wait $pid 2>/dev/null
	done
	for g in $g 239.4.1.1 239.4.1.2 239.4.1.3 239.4.1.4; do
		rs_wait eval "! in_igmp $RS_NS_A $g" || return 1
	done
	rs_no_cm_id
}
rs_result "ids destroyed with joins in flight (counted), nothing left [$impl]" inflight

# 6. An IPv6 group on RoCE v2 is refused at the join, with ENOTSUPP (524,
# which has no message in libc), as C does: mckey's rdma_join_multicast()
# fails, nothing earlier does.
v6() {
	! ip netns exec "$RS_NS_A" timeout "$RS_LIMIT_MCKEY" \
		mckey -m ff0e::1:2 -b "$RS_IP6_A" -C 1 >"$RS_OUT/v6.out" 2>&1 &&
		grep -qx 'mckey: failure joining: Unknown error 524' "$RS_OUT/v6.out" &&
		[ "$(grep -c 'failure' "$RS_OUT/v6.out")" -le 2 ] &&
		! grep -q 'bind failure\|resolve' "$RS_OUT/v6.out"
}
rs_result "mckey IPv6 group on RoCE v2 refused [$impl]" v6

# 7. The IPoIB port space (mckey -p 2) on RoCE: rdma_cm refuses it at bind
# (rdma_bind_addr(), EINVAL), so no join is tried, with both implementations.
ipoib_ps() {
	! ip netns exec "$RS_NS_A" timeout "$RS_LIMIT_MCKEY" \
		mckey -m 239.2.5.1 -b "$RS_IP_A" -p 2 -C 1 >"$RS_OUT/ps_ipoib.out" 2>&1 &&
		grep -qx 'mckey: addr bind failure: Invalid argument' "$RS_OUT/ps_ipoib.out" &&
		! grep -q 'joined\|failure joining' "$RS_OUT/ps_ipoib.out"
}
rs_result "mckey -p 2 (RDMA_PS_IPOIB) refused at bind [$impl]" ipoib_ps

# 8. Threads racing create, bind, join, leave and destroy of ids and close()
# of the file (rdma_rs_ucma_race.c, in the spirit of LTP's ucma_uaf01): every
# command works or fails with an allowed errno, and no id is left after. The
# kernel-log suite checks the checkers' reports afterwards.
race() {
	ip netns exec "$RS_NS_A" timeout "$RS_LIMIT_PROGRAM" "$RACE" "$RS_IP_A" 15 \
		>"$RS_OUT/race.out" 2>&1 ||
		{ tail -5 "$RS_OUT/race.out" | sed 's/^/#   /'; return 1; }
	rs_log "race: $(grep -E '^(join_mcast|leave_mcast|destroy_id|close) ' "$RS_OUT/race.out" |
		tr '\n' ';')"
	grep -q '^join_mcast ok [1-9]' "$RS_OUT/race.out" &&
		grep -q '^leave_mcast ok [1-9]' "$RS_OUT/race.out" &&
		rs_no_cm_id
}
rs_result "create/bind/join/leave/destroy/close race, no id left [$impl]" race

# 9. What the race found in 7.3's C: two joins of one address on one id, the
# first left, and the second's join event reached a freed ucma multicast. A
# second join of an address is refused (EADDRINUSE); after a leave it works.
dup() {
	ip netns exec "$RS_NS_A" "$RACE" --dup "$RS_IP_A" >"$RS_OUT/dup.out" 2>&1
	local rc=$?
	rs_log "$(cat "$RS_OUT/dup.out")"
	return $rc
}
rs_result "second join of one address on one id refused with EADDRINUSE [$impl]" dup

# 10. An in-kernel rdma_cm user (the cma_mcast benchmark of cma.c: a UD id
# bound to an rxe address joins, waits for its join event, leaves) gets its
# 10 join events from each implementation, whichever mcast_impl is (the run
# on C runs the C code only, so that it runs no Rust at all); then 5 times 4
# joins at once on the id (20 events), and a bad joins count is refused.
kernel_user() {
	local f=/sys/kernel/debug/rdma_impl/cma_mcast i out
	ip link add rs_cm0 type veth peer name rs_cm1 || return 1
	ip addr add 10.97.0.1/24 dev rs_cm0
	ip link set rs_cm0 up
	ip link set rs_cm1 up
	rdma link add rs_rxc type rxe netdev rs_cm0 || return 1
	rs_wait rs_gid_present rs_rxc "$(rs_ip_gid 10.97.0.1)" || return 1
	for i in c $([ "$impl" = rust ] && echo rust); do
		echo "$i 10 10.97.0.1" >$f || return 1
		out=$(cut -d' ' -f1,2,4 <$f)
		rs_log "cma_mcast $i: $out"
		[ "$out" = "$i 10 10" ] || return 1
		echo "$i 5 10.97.0.1,4" >$f || return 1
		out=$(cut -d' ' -f1,2,4 <$f)
		rs_log "cma_mcast $i, 4 per id: $out"
		[ "$out" = "$i 5 20" ] || return 1
		! echo "$i 5 10.97.0.1,0" >$f 2>/dev/null || return 1
	done
}
both=$([ "$impl" = rust ] && echo " and Rust")
rs_result "in-kernel user: 10 joins, then 4 at once, events and leaves with C$both [$impl]" \
	kernel_user
rdma link del rs_rxc 2>/dev/null
ip link del rs_cm0 2>/dev/null

rs_result "rxe devices removed [$impl]" rs_two_nodes_removed

ktap_finished
