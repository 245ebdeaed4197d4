#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The RDMA stack reloaded with users active, on each implementation in turn:
# every cycle loads ib_core, rdma_cm and rdma_ucm with the pieces on one
# implementation, brings up an rxe device on a veth, checks that
# /dev/infiniband/rdma_cm works (a join, a second join refused, a leave:
# rdma_rs_ucma_race --dup), then starts rping, an mckey receiver and sender
# and the race program, tries to unload the stack under them (refused: the
# files are open), takes the rxe devices away under them on every other
# cycle, kills them, and unloads the stack, which must go within a bounded
# time. One device (servers and clients meet over rxe's loopback): creating
# and deleting an rxe device is most of a cycle's cost under TCG. kmemleak
# and the other checkers judge the outcome in the kernel-log suite that
# follows.
#
#   RS_RELOAD_CYCLES   cycles per implementation (5; `make soak`: 100)
#   RS_RELOAD_IMPLS    the implementations ("c rust")

source "$(dirname "$0")/rdma_rs_lib.sh"

rs_require_root
rs_require_cmds rdma ip rping mckey

CYCLES=${RS_RELOAD_CYCLES:-5}
IMPLS=${RS_RELOAD_IMPLS:-c rust}
# shellcheck disable=SC2086
set -- $IMPLS
ktap_print_header
ktap_set_plan $((2 * $#))

# The KUnit suites of ib_core, rdma_cm and rdma_ucm run at every load; the
# kunit unit runs them. Here they would take most of each cycle: filtered
# out while this script runs.
GLOB=/sys/module/kunit/parameters/filter_glob
old_glob=$(cat $GLOB 2>/dev/null)
[ -w $GLOB ] && echo 'rdma_rs_reload_none' >$GLOB
PIDS=()
IP=10.76.0.1
node_up() {
	node_down
	ip link add rs_l0 type veth peer name rs_l1 &&
		ip addr add $IP/24 dev rs_l0 &&
		ip link set rs_l0 up && ip link set rs_l1 up &&
		rdma link add rs_rxl type rxe netdev rs_l0 &&
		rs_wait rs_gid_present rs_rxl "$(rs_ip_gid $IP)"
}
node_down() {
	rdma link del rs_rxl 2>/dev/null
	ip link del rs_l0 2>/dev/null
	return 0
}
cleanup() {
	[ ${#PIDS[@]} -eq 0 ] || kill -KILL "${PIDS[@]}" 2>/dev/null
	wait 2>/dev/null
	node_down
	# Unset reads "(null)"; "*.*" is what an unset filter means.
	[ -w $GLOB ] && echo "${old_glob/(null)/*.*}" >$GLOB
	return 0
}
trap cleanup EXIT

RACE=$(rs_program rdma_rs_ucma_race) || ktap_exit_fail_msg "cannot build rdma_rs_ucma_race"

# users_start: rping, an mckey pair and the race program, in the background.
# They must be at work (the rping server listening, the mckey receiver
# joined) and alive two seconds later, before the sender starts, and the
# sender must be sending; else it returns 1.
users_start() {
	local p
	PIDS=()
	rping -s -a $IP -C 1000000 >"$RS_OUT/rping.server" 2>&1 &
	PIDS+=($!)
	rs_wait eval 'rdma res show cm_id 2>/dev/null | grep -q "state LISTEN"' || return 1
	rping -c -a $IP -C 1000000 >"$RS_OUT/rping.client" 2>&1 &
	PIDS+=($!)
	# mckey's CQ holds twice its message count: rxe allows 32767 entries.
	stdbuf -oL mckey -m 239.8.0.1 -b $IP -C 10000 >"$RS_OUT/mckey.recv" 2>&1 &
	PIDS+=($!)
	rs_wait rs_lines_match 'receiving data transfers' "$RS_OUT/mckey.recv" || return 1
	"$RACE" $IP 60 >"$RS_OUT/race" 2>&1 &
	PIDS+=($!)
	rs_sleep 2
	for p in "${PIDS[@]}"; do
		kill -0 "$p" 2>/dev/null || return 1
	done
	# The sender last: its datagrams are in flight when the stack goes.
	stdbuf -oL mckey -m 239.8.0.1 -b $IP -s -C 10000 >"$RS_OUT/mckey.send" 2>&1 &
	PIDS+=($!)
	rs_wait rs_lines_match 'initiating data transfers' "$RS_OUT/mckey.send"
}

users_kill() {
	kill -KILL "${PIDS[@]}" 2>/dev/null
	wait "${PIDS[@]}" 2>/dev/null
	PIDS=()
}

# load_impl impl: the stack loaded with every piece on impl, checked.
load_impl() {
	local p v
	rs_load_stack "$1" || return 1
	for p in $RS_IMPL_PARAMS; do
		v=$(cat "/sys/module/${p%%:*}/parameters/${p#*:}" 2>/dev/null)
		[ "$v" = "$1" ] || { rs_log "${p#*:} is $v, not $1"; return 1; }
	done
}

# Start from an unloaded stack, so that every load takes its parameters.
rs_unload_stack || ktap_exit_fail_msg "cannot unload the RDMA stack"
for impl in $IMPLS; do
	stuck=0
	unusable=0
	t0=$SECONDS
	for i in $(seq "$CYCLES"); do
		if ! load_impl "$impl" || ! node_up; then
			rs_log "$impl cycle $i: the stack or the nodes did not come up"
			unusable=$((unusable + 1))
			node_down
			rs_unload_stack || { stuck=$((stuck + 1)); break; }
			continue
		fi
		if ! timeout "$RS_LIMIT_PROGRAM" "$RACE" --dup $IP >"$RS_OUT/dup.$impl" 2>&1; then
			rs_log "$impl cycle $i: rdma_cm not usable: $(cat "$RS_OUT/dup.$impl")"
			unusable=$((unusable + 1))
		fi
		if ! users_start; then
			rs_log "$impl cycle $i: not every user came up and stayed:" \
				"$(tail -qn1 "$RS_OUT"/rping.* "$RS_OUT"/mckey.* | tr '\n' ' ')"
			unusable=$((unusable + 1))
		fi
		# Refused while the users hold the files and ids (the module
		# references of open files; a user that died early lets it go).
		rmmod rdma_ucm 2>/dev/null &&
			rs_log "$impl cycle $i: rdma_ucm unloaded under the users"
		if [ $((i % 2)) = 1 ]; then
			# The device goes away under the users (DEVICE_REMOVAL).
			node_down
			users_kill
		else
			users_kill
			node_down
		fi
		rs_unload_stack || { stuck=$((stuck + 1)); break; }
	done
	rs_log "$impl: $CYCLES cycles in $((SECONDS - t0)) s"
	# A last load: the device works after the last cycle too.
	if ! load_impl "$impl" || ! node_up ||
		! timeout "$RS_LIMIT_PROGRAM" "$RACE" --dup $IP >"$RS_OUT/dup.$impl" 2>&1; then
		unusable=$((unusable + 1))
	fi
	node_down
	rs_unload_stack || stuck=$((stuck + 1))
	rs_result "$impl: $CYCLES reloads under rping, mckey, the race; no module stuck [$impl]" \
		test $stuck -eq 0
	rs_result "$impl: rdma_cm usable and its users at work after every reload [$impl]" \
		test $unusable -eq 0
done

ktap_finished
