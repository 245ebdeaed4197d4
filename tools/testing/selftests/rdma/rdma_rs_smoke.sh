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
ktap_set_plan 11

cleanup() {
	rs_kprobes_clear
	rs_two_nodes_down
}
trap cleanup EXIT

rs_stack_up || ktap_exit_fail_msg "cannot load the RDMA stack${RS_IMPL:+ with $RS_IMPL}"
impl=$(cat /sys/module/ib_core/parameters/roce_gid_impl 2>/dev/null || echo none)
rs_log "roce_gid_impl=$impl"

# Count each piece's dispatching entry points from here on (the rxe devices'
# GID rescans included): the last steps check which code they ran.
rs_dispatch_on || ktap_exit_fail_msg "cannot set kprobes"
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
rs_result "mckey multicast, 1 QP, 10 datagrams [$impl]" rs_mc_test mckey1 239.1.2.3 10
rs_result "mckey multicast, 3 QPs, 10 datagrams each [$impl]" rs_mc_test mckey3 239.1.2.4 10 -c 3

# 7. The traffic above was real: each rxe device received RoCE packets
# (its rcvd_pkts counter), and each end of the veth pair received packets.
# (Not "every RoCE packet came over the veth": a multicast sender's rxe also
# receives its own datagrams, looped back by IP.)
real_packets() {
	local d ns rx vrx ok=0
	for d in a b; do
		ns=$RS_NS_A
		[ $d = b ] && ns=$RS_NS_B
		rx=$(cat /sys/class/infiniband/rs_rx$d/ports/1/hw_counters/rcvd_pkts 2>/dev/null)
		vrx=$(ip netns exec "$ns" cat /sys/class/net/rs_v$d/statistics/rx_packets)
		rs_log "rs_rx$d: ${rx:-no} RoCE packets received; rs_v$d: $vrx packets received"
		[ "${rx:-0}" -ge 100 ] && [ "${vrx:-0}" -ge 100 ] && ok=$((ok + 1))
	done
	[ $ok -eq 2 ]
}
rs_result "RoCE packets crossed the veth pair both ways [$impl]" real_packets

# 8. Every piece's entry points were called above and ran the code their
# parameter names (with RS_IMPL=rust, the Rust code of every piece).
rs_result "GID rescans, rdma_cm joins and leaves, multicast AHs, rdma_cm files: $impl [$impl]" \
	rs_dispatch_ran

# 9. After the test the devices go away cleanly.
rs_result "rxe devices removed [$impl]" rs_two_nodes_removed

ktap_finished
