#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The software InfiniBand fabric (drivers/infiniband/sw/sib): three one-port
# devices over rdmavt come up as InfiniBand ports, ACTIVE, with the LIDs,
# SM LID and GUIDs the fabric gives them; unmodified rdma-core programs reach
# them through libipathverbs (the user ABI of rdmavt); UD traffic crosses the
# switch with its data checked, up to the 4096-byte MTU; RC is refused; the
# module unloads.
#
# RS_IMPL=c|rust reloads the RDMA stack with that implementation first.

source "$(dirname "$0")/rdma_rs_lib.sh"

rs_require_root
rs_require_cmds rdma ibv_devinfo ibv_ud_pingpong ibv_rc_pingpong ss

ktap_print_header
ktap_set_plan 9

SYS=/sys/class/infiniband

cleanup() {
	pkill -f 'ibv_(ud|rc)_pingpong -d sib' 2>/dev/null
	modprobe -r sib 2>/dev/null
}
trap cleanup EXIT

rs_stack_up || ktap_exit_fail_msg "cannot load the RDMA stack${RS_IMPL:+ with $RS_IMPL}"
modinfo sib >/dev/null 2>&1 || rs_missing "sib (CONFIG_INFINIBAND_SIB)"

# 1. Three devices.
modprobe sib ports=3 || ktap_exit_fail_msg "modprobe sib failed"
rs_result "sib ports=3 registers sib0, sib1 and sib2" \
	test -e $SYS/sib0 -a -e $SYS/sib1 -a -e $SYS/sib2 -a ! -e $SYS/sib3

# 2. Each an InfiniBand port, ACTIVE and linked up, with LID index + 1, the SM
# at LID 1 and the fabric's GUIDs.
ports_ok() {
	local i d p ok=0
	for i in 0 1 2; do
		d=$SYS/sib$i
		p=$d/ports/1
		local got want
		got="$(cat $p/link_layer) $(cat $p/state) $(cat $p/phys_state)"
		got+=" $(cat $p/lid) $(cat $p/sm_lid) $(cat $d/node_guid)"
		want="InfiniBand 4: ACTIVE 5: LinkUp 0x$((i + 1)) 0x1"
		want+=" 0253:4942:0000:000$((i + 1))"
		if [ "$got" != "$want" ]; then
			rs_log "sib$i: '$got', want '$want'"
			ok=1
		fi
	done
	return $ok
}
rs_result "ports: InfiniBand, ACTIVE, LinkUp, LIDs 1-3, SM LID 1, GUIDs" ports_ok

# 3. User verbs: libibverbs picks libipathverbs by the driver id.
devinfo_ok() {
	ibv_devinfo -v -d sib1 >"$RS_OUT/devinfo.sib1" 2>&1 || return 1
	grep -q 'transport:.*InfiniBand' "$RS_OUT/devinfo.sib1" &&
		grep -q 'state:.*PORT_ACTIVE' "$RS_OUT/devinfo.sib1" &&
		grep -q 'port_lid:.*2$' "$RS_OUT/devinfo.sib1" &&
		grep -q 'active_mtu:.*4096' "$RS_OUT/devinfo.sib1" &&
		grep -q 'link_layer:.*InfiniBand' "$RS_OUT/devinfo.sib1"
}
if ! devinfo_ok; then
	sed 's/^/#   /' "$RS_OUT/devinfo.sib1" | head -20
	rs_result "ibv_devinfo: sib1 through libipathverbs, LID 2, MTU 4096" false
else
	rs_result "ibv_devinfo: sib1 through libipathverbs, LID 2, MTU 4096" true
fi

# ibv_ud_pingpong between sib1 (server) and sib2, data checked (-c).
rcv_pkts() { cat $SYS/"$1"/ports/1/sib/rcv_pkts; }
ud_pair() {
	local name=$1 spid rc=0
	shift
	timeout "$RS_TIMEOUT" ibv_ud_pingpong -d sib1 -c "$@" \
		>"$RS_OUT/$name.server" 2>&1 &
	spid=$!
	rs_wait eval 'ss -ltn | grep -q ":18515 " || ! kill -0 $spid 2>/dev/null'
	timeout "$RS_TIMEOUT" ibv_ud_pingpong -d sib2 -c "$@" localhost \
		>"$RS_OUT/$name.client" 2>&1 || rc=1
	wait "$spid" || rc=1
	[ $rc -eq 0 ] || rs_show_pair "$name"
	return $rc
}

# 4. and 5. 200 round trips of 2048 bytes, then 100 of 4096 (the MTU).
before1=$(rcv_pkts sib1)
before2=$(rcv_pkts sib2)
rs_result "ibv_ud_pingpong sib1 <-> sib2: 200 x 2048 bytes, data checked" \
	ud_pair ud2048 -n 200 -s 2048
rs_result "ibv_ud_pingpong sib1 <-> sib2: 100 x 4096 bytes (the MTU), data checked" \
	ud_pair ud4096 -n 100 -s 4096

# 6. The switch delivered them, each side at least its 300, and dropped
# nothing (receive counters of each port, MADs included).
rcv_drops() { cat $SYS/"$1"/ports/1/sib/rcv_drops; }
got1=$(($(rcv_pkts sib1) - before1))
got2=$(($(rcv_pkts sib2) - before2))
drops="$(rcv_drops sib0) $(rcv_drops sib1) $(rcv_drops sib2)"
rs_log "received: sib1 $got1, sib2 $got2; dropped (sib0-2): $drops"
rs_result "the switch delivered every round trip (sib1 $got1, sib2 $got2 >= 300), dropped none" \
	test "$got1" -ge 300 -a "$got2" -ge 300 -a "$drops" = "0 0 0"

# 7. RC is not supported: QP creation fails, the program exits with an error.
rc_refused() {
	timeout "$RS_TIMEOUT" ibv_rc_pingpong -d sib1 -p 18516 \
		>"$RS_OUT/rc.out" 2>&1 && return 1
	grep -q "Couldn't create QP" "$RS_OUT/rc.out"
}
rs_result "RC QP creation refused (ibv_rc_pingpong: Couldn't create QP)" rc_refused

# 8. The module unloads, its devices gone.
unload_ok() {
	modprobe -r sib || return 1
	[ ! -e $SYS/sib0 ] && [ ! -e $SYS/sib1 ] && [ ! -e $SYS/sib2 ]
}
rs_result "sib unloads, its devices gone" unload_ok

ktap_finished
