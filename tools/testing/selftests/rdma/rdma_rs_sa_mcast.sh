#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# SA multicast join/leave counting (ib_core.sa_mcast_impl): the C users of
# ib_core's four ib_sa_* multicast exports (rdma_cm, IPoIB) load against the
# selected implementation and reach it, and both implementations count the
# same SA messages. rxe ports have no SA, so the state machine itself is
# tested by the KUnit suite rdma_sa_mcast against a software SA.
#
#   RS_IMPL=c|rust   reload the RDMA stack with that implementation first

source "$(dirname "$0")/rdma_rs_lib.sh"

rs_require_root
rs_require_cmds rdma ip objdump modinfo

DEV=rs_rxm

ktap_print_header
ktap_set_plan 7

cleanup() {
	rs_kprobes_clear
	rdma link del $DEV 2>/dev/null
	ip link del rs_m0 2>/dev/null
	return 0
}
trap cleanup EXIT

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
rs_tracefs_up
rs_stack_up || ktap_exit_fail_msg "cannot load the RDMA stack${RS_IMPL:+ with $RS_IMPL}"
impl=$(cat /sys/module/ib_core/parameters/sa_mcast_impl)
rs_log "sa_mcast_impl=$impl"

# rdma_cm and IPoIB link against ib_core's exports, whatever runs behind them.
users_load() {
	# shellcheck disable=SC2046
	modprobe rdma_cm && modprobe ib_ipoib $(rs_ulp_param ib_ipoib:mcast_impl) || return 1
	local re='^[0-9a-f]+ T ib_sa_join_multicast[[:space:]]+\[ib_core\]'
	grep -qE "$re" /proc/kallsyms || return 1
	local m
	for m in rdma_cm ib_ipoib; do
		modinfo -F depends "$m" | tr , '\n' | grep -qx ib_core || return 1
	done
}
rs_result "rdma_cm and ib_ipoib load against ib_core's ib_sa_* exports" users_load

# ib_core's exported ib_sa_join_multicast() hands over to the Rust code when
# sa_mcast_impl is rust (the call is in the module's machine code).
dispatches() {
	local ko
	ko=$(modinfo -n ib_core) || return 1
	objdump -dr --disassemble=ib_sa_join_multicast "$ko" >"$RS_OUT/join.dis" 2>/dev/null ||
		return 1
	grep -q 'rdma_rs_sa_join_multicast' "$RS_OUT/join.dis"
}
rs_result "ib_sa_join_multicast calls rdma_rs_sa_join_multicast" dispatches

# Another module's call of the export reaches the selected implementation:
# the Rust sample client reads the IPoIB broadcast group of each port through
# ib_sa_get_mcmember_rec() (ENODEV on rxe: no SA). Kprobes count the calls of
# the export and of the Rust code. (From userspace nothing reaches these
# functions on rxe: rdma_cm refuses the IPoIB port space on RoCE at bind.)
ip link add rs_m0 type veth peer name rs_m1 || ktap_exit_fail_msg "cannot create veth"
ip addr add 10.98.0.1/24 dev rs_m0
ip link set rs_m0 up
ip link set rs_m1 up
rdma link add $DEV type rxe netdev rs_m0 || ktap_exit_fail_msg "cannot create rxe"
rs_wait rs_gid_present $DEV "$(rs_ip_gid 10.98.0.1)" || ktap_exit_fail_msg "no IPv4 GID on $DEV"
reached() {
	modprobe rust_rdma_client || return 1
	rs_probes_on ib_core:ib_sa_get_mcmember_rec ib_core:rdma_rs_sa_get_mcmember_rec ||
		return 1
	grep '^sa_mcast ' /sys/kernel/debug/rust_rdma_client/$DEV/info >"$RS_OUT/sample.out"
	modprobe -r rust_rdma_client
	local c r
	c=$(rs_probe_hits ib_sa_get_mcmember_rec)
	r=$(rs_probe_hits rdma_rs_sa_get_mcmember_rec)
	rs_probes_off ib_core:ib_sa_get_mcmember_rec ib_core:rdma_rs_sa_get_mcmember_rec
	rs_log "$(cat "$RS_OUT/sample.out")"
	rs_log "ib_sa_get_mcmember_rec: $c calls, rdma_rs_sa_get_mcmember_rec: $r calls"
	grep -qx 'sa_mcast port 1 broadcast -19' "$RS_OUT/sample.out" || return 1
	[ "${c:-0}" -gt 0 ] || return 1
	if [ "$impl" = rust ]; then
		[ "$r" = "$c" ]
	else
		[ "$r" = 0 ]
	fi
}
rs_result "ib_sa_get_mcmember_rec from another module runs the $impl code" reached

# The debugfs view of groups and members exists with the Rust code only (and
# lists no device here: rxe ports have no SA).
view() {
	if [ "$impl" = rust ]; then
		[ -d /sys/kernel/debug/ib_sa_mcast ] && [ ! -e /sys/kernel/debug/ib_sa_mcast/$DEV ]
	else
		[ ! -e /sys/kernel/debug/ib_sa_mcast ]
	fi
}
rs_result "debugfs ib_sa_mcast view matches $impl" view

# The same SA traffic from both implementations against the software SA: a
# group of 100 members costs one SET and one DELETE, 10 groups ten of each.
# The run on C runs the C code only (so that it runs no Rust at all).
same_traffic() {
	local f=/sys/kernel/debug/rdma_impl/sa_mcast i n out
	for i in c $([ "$impl" = rust ] && echo rust); do
		for n in "100 members 2" "10 groups 20"; do
			set -- $n
			echo "$i $1 $2" >$f || return 1
			out=$(cut -d' ' -f1,2,4 <$f)
			rs_log "sa_mcast $i $1 $2: $out"
			[ "$out" = "$i $1 $3" ] || return 1
		done
	done
}
both=$([ "$impl" = rust ] && echo " and Rust")
rs_result "the same SA messages from C$both (sa_mcast benchmark)" same_traffic

# The sync_steps benchmark (the member path's refcount, lock and atomic steps)
# on each implementation of the run: every round's steps did what they should.
sync_steps() {
	local f=/sys/kernel/debug/rdma_impl/sync_steps i out
	for i in c $([ "$impl" = rust ] && echo rust); do
		echo "$i 1000" >$f || return 1
		out=$(cut -d' ' -f1,2,4 <$f)
		rs_log "sync_steps $i 1000: $out"
		[ "$out" = "$i 1000 0" ] || return 1
	done
}
rs_result "sync_steps rounds right on C$both (benchmark)" sync_steps

ktap_finished
