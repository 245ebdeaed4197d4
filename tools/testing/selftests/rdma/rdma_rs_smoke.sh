#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end smoke tests with unmodified rdma-core programs between two
# network namespaces, each with an rxe device on one end of a veth pair:
# device discovery, RC traffic with data verification (rping), UD traffic
# (udaddy), RC connections through the CM (ucmatose) and multicast (mckey).
#
# RS_IMPL=c|rust reloads the RDMA stack with that implementation first.

source "$(dirname "$0")/rdma_rs_lib.sh"

rs_require_root
rs_require_cmds rdma ibv_devinfo rping udaddy ucmatose mckey stdbuf

ktap_print_header
ktap_set_plan 8

cleanup() { rs_two_nodes_down; }
trap cleanup EXIT

rs_stack_up || ktap_exit_fail_msg "cannot load the RDMA stack${RS_IMPL:+ with $RS_IMPL}"
impl=$(cat /sys/module/ib_core/parameters/roce_gid_impl 2>/dev/null || echo none)
rs_log "roce_gid_impl=$impl"

if ! rs_two_nodes_up; then
	ktap_exit_fail_msg "two-node rxe setup failed"
fi

# 1. Both devices are visible, active, and on Ethernet.
ok=1
for d in rs_rxa rs_rxb; do
	ibv_devinfo -d "$d" >"$RS_OUT/devinfo.$d" 2>&1 || ok=0
	grep -q 'state:.*PORT_ACTIVE' "$RS_OUT/devinfo.$d" || ok=0
	grep -q 'link_layer:.*Ethernet' "$RS_OUT/devinfo.$d" || ok=0
done
rs_result "ibv_devinfo sees both rxe devices active [$impl]" test $ok -eq 1

# 2. rping: RC send/RDMA read/write with data validation, 10 iterations.
if rs_run_pair rc4 rping -s -a "$RS_IP_A" -V -v -C 10 -- \
	rping -c -a "$RS_IP_A" -V -v -C 10; then
	n=$(grep -c 'ping data:' "$RS_OUT/rc4.client")
	rs_result "rping RC with verification, 10 pings [$impl]" test "$n" -eq 10
else
	ktap_test_fail "rping RC with verification, 10 pings [$impl]"
fi

# 3. rping over IPv6.
if rs_run_pair rc6 rping -s -a "$RS_IP6_A" -V -C 5 -- \
	rping -c -a "$RS_IP6_A" -V -C 5; then
	ktap_test_pass "rping over IPv6 [$impl]"
else
	ktap_test_fail "rping over IPv6 [$impl]"
fi

# 4. udaddy: UD QPs, address resolution, 10 messages each way.
if rs_run_pair ud udaddy -b "$RS_IP_A" -C 10 -- udaddy -s "$RS_IP_A" -C 10; then
	rs_result "udaddy UD traffic [$impl]" grep -q 'test complete' "$RS_OUT/ud.client"
else
	ktap_test_fail "udaddy UD traffic [$impl]"
fi

# 5. ucmatose: 4 RC connections through the CM, 10 messages each.
if rs_run_pair cm ucmatose -b "$RS_IP_A" -c 4 -C 10 -- \
	ucmatose -s "$RS_IP_A" -c 4 -C 10; then
	rs_result "ucmatose 4 RC connections [$impl]" \
		grep -q 'test complete' "$RS_OUT/cm.client"
else
	ktap_test_fail "ucmatose 4 RC connections [$impl]"
fi

# 6. mckey: the receiver in A gets every datagram the sender in B sends.
mc_test() {
	local name=$1 group=$2 count=$3
	shift 3
	ip netns exec "$RS_NS_A" timeout "$RS_TIMEOUT" stdbuf -oL \
		mckey -m "$group" -b "$RS_IP_A" -C "$count" "$@" >"$RS_OUT/$name.recv" 2>&1 &
	local rpid=$! rc=0
	# Send only once the receiver's QP is attached to the group: mckey says
	# "receiving data transfers" after ibv_attach_mcast(); UD datagrams sent
	# earlier are lost and the receiver would wait for them forever.
	local i
	for i in $(seq 300); do
		grep -q 'receiving data transfers' "$RS_OUT/$name.recv" && break
		kill -0 $rpid 2>/dev/null || break
		sleep 0.1
	done
	# mckey's sender posts its datagrams unsignaled, then leaves and exits at
	# once; rxe sends from a work item, and destroying the QP drops what it
	# has not sent yet. In an emulated guest that can be most of them (a
	# sender of 10 was seen to get 1 to 3 out). So the sender posts ten
	# times the receiver's count, and runs again (a new join each time)
	# until the receiver has its count; the receiver drops what it has no
	# receive posted for.
	local try
	: >"$RS_OUT/$name.send"
	for try in 1 2 3 4 5; do
		ip netns exec "$RS_NS_B" timeout "$RS_TIMEOUT" stdbuf -oL \
			mckey -m "$group" -b "$RS_IP_B" -s -C $((count * 10)) "$@" \
			>>"$RS_OUT/$name.send" 2>&1 || rc=1
		grep -q 'data transfers complete' "$RS_OUT/$name.recv" && break
		kill -0 $rpid 2>/dev/null || break
		sleep 1
		grep -q 'data transfers complete' "$RS_OUT/$name.recv" && break
	done
	[ "$try" -gt 1 ] && rs_log "$name: the sender ran $try times"
	wait "$rpid" || rc=1
	grep -q 'data transfers complete' "$RS_OUT/$name.recv" || rc=1
	if [ $rc -ne 0 ]; then
		sed 's/^/#   recv: /' "$RS_OUT/$name.recv" | tail -5
		sed 's/^/#   send: /' "$RS_OUT/$name.send" | tail -5
	fi
	return $rc
}
rs_result "mckey multicast, 1 QP, 10 datagrams [$impl]" mc_test mckey1 239.1.2.3 10
rs_result "mckey multicast, 3 QPs, 10 datagrams each [$impl]" mc_test mckey3 239.1.2.4 10 -c 3

# 7. After the test the devices go away cleanly.
rs_two_nodes_down
ok=1
[ -e /sys/class/infiniband/rs_rxa ] && ok=0
[ -e /sys/class/infiniband/rs_rxb ] && ok=0
rs_result "rxe devices removed [$impl]" test $ok -eq 1

ktap_finished
