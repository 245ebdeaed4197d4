#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The SA's view of IPoIB on the software InfiniBand fabric, through sib_sm's
# message log and fault injection (debugfs sib_sm/sa/), once with the SA
# multicast piece (ib_core.sa_mcast_impl) on C and once on Rust, C the oracle:
#
# - bring-up and IP multicast joins: one SET per port, group and join state;
#   a leave is one DELETE, when the join state loses its last member, and is
#   sent again when the SA answers it with an error;
# - faults: an SA timeout (every send of a SET dropped), an error status and
#   BUSY, a port error and recovery while the SA holds a join (the -ENETRESET
#   path), a client reregister from an SM that lost the port's memberships,
#   a group deleted under its member, a P_Key change with an IPoIB child
#   interface on the new partition;
# - a datagram to a group the host has not joined: one send-only full member
#   join (join state 0x8);
# - afterwards, with the interfaces down, the SA has no member left (the
#   send-only member left with a DELETE);
# - kprobes prove that the joins and leaves ran the implementation claimed;
# - the two implementations' logs hold the same messages, transaction ids,
#   sequence numbers and multicast LIDs aside (with the faults, the same
#   distinct messages of the groups the test joins), and the kernel log is
#   clean.
#
# IPoIB joins only on a port whose interface is up: sib1's (in init_net) and
# sib2's (in namespace rs_sab, so that pings cross the fabric). A request ib_mad
# sent again (same transaction id: ib_sa's 3 s are 10 sends of 300 ms) counts
# once. IPoIB's neighbour garbage collection, which leaves idle send-only
# groups after two ARP GC intervals, is held off for the run.

source "$(dirname "$0")/rdma_rs_lib.sh"

rs_require_root
rs_require_cmds ip sysctl
modinfo sib_sm >/dev/null 2>&1 || rs_missing "sib_sm (CONFIG_INFINIBAND_SIB)"
modinfo ib_ipoib >/dev/null 2>&1 || rs_missing "ib_ipoib (CONFIG_INFINIBAND_IPOIB)"

# The implementation the stack runs now goes first: one reload less.
if [ "$(cat /sys/module/ib_core/parameters/sa_mcast_impl 2>/dev/null)" = rust ]; then
	IMPLS="rust c"
else
	IMPLS="c rust"
fi
NS_B=rs_sab
GC=net.ipv4.neigh.default.gc_interval
GC_SAVED=$(sysctl -n $GC)

ktap_print_header
# Per implementation: the stack, 6 log checks, 6 faults, a send-only member,
# nothing left, the kprobes; then the two comparisons and the kernel log.
ktap_set_plan $((2 * 16 + 3))

cleanup() {
	rs_kprobes_clear
	ip link del ib_rs_child 2>/dev/null
	ip netns del $NS_B 2>/dev/null
	modprobe -r ib_ipoib sib_sm sib 2>/dev/null
	sysctl -qw $GC="$GC_SAVED"
}
trap cleanup EXIT

MARK="rdma_rs_sib_sa: start $$"
echo "$MARK" >/dev/kmsg
sysctl -qw $GC=3600 || ktap_exit_fail_msg "cannot set $GC"

BCAST=$RS_SA_BCAST
BCAST2=ff12:401b:8002:0000:0000:0000:ffff:ffff

carrier() { rs_carrier "$1"; }
# in_b cmd...: a command in namespace B.
in_b() { ip netns exec $NS_B "$@"; }
carrier_b() { rs_carrier_in $NS_B "$1"; }

# One pass of the scenario on implementation $1.
scenario() {
	local impl=$1 ifa ifb lida lidb g1 g2 g3 g4

	RS_IMPL=$impl RS_PIECES=ib_core:sa_mcast_impl rs_stack_up ||
		ktap_exit_fail_msg "cannot load the RDMA stack with $impl"
	rs_dispatch_on ib_sa_join_multicast ib_sa_free_multicast ||
		ktap_exit_fail_msg "cannot set kprobes"
	# IPoIB on C: this scenario is the SA multicast piece's.
	# shellcheck disable=SC2046
	modprobe sib ports=3 && modprobe sib_sm &&
		modprobe ib_ipoib $(RS_IMPL=$impl RS_PIECES=ib_core:sa_mcast_impl \
			rs_ulp_param ib_ipoib:mcast_impl) ||
		ktap_exit_fail_msg "cannot load sib, sib_sm or ib_ipoib"
	[ -w $RS_SA/control ] || ktap_exit_fail_msg "no $RS_SA (debugfs)"
	rs_wait eval '[ -n "$(rs_ipoib_of sib1)" ] && [ -n "$(rs_ipoib_of sib2)" ]' ||
		ktap_exit_fail_msg "no IPoIB interface on sib1 or sib2"
	ifa=$(rs_ipoib_of sib1)
	ifb=$(rs_ipoib_of sib2)
	lida=$(($(cat /sys/class/infiniband/sib1/ports/1/lid)))
	lidb=$(($(cat /sys/class/infiniband/sib2/ports/1/lid)))
	ip netns add $NS_B && ip link set "$ifb" netns $NS_B ||
		ktap_exit_fail_msg "cannot move $ifb to namespace $NS_B"
	echo >$RS_SA/log
	RS_SA_LOG_FROM=0

	# 1. Bring-up: both ends join the broadcast group once, as full members.
	ip link set "$ifa" up && in_b ip link set "$ifb" up
	ip addr add 10.79.1.1/24 dev "$ifa"
	in_b ip addr add 10.79.1.2/24 dev "$ifb"
	rs_result "[$impl] carrier after the broadcast join; one SET per port (LIDs $lida, $lidb)" \
		eval 'rs_wait eval "carrier $ifa && carrier_b $ifb" &&
			[ "$(rs_sa_sets $BCAST $lida 0x1)" = 1 ] &&
			[ "$(rs_sa_sets $BCAST $lidb 0x1)" = 1 ] &&
			rs_sa_member $BCAST 1 0x1 && rs_sa_member $BCAST 2 0x1'

	# 2. An IP multicast join on both ends (ip addr ... autojoin): one SET each,
	# answered; the SA's group has both ports.
	g1=$(rs_sa_mgid4 239.9.9.1)
	ip addr add 239.9.9.1/32 dev "$ifa" autojoin
	in_b ip addr add 239.9.9.1/32 dev "$ifb" autojoin
	rs_result "[$impl] IP multicast join 239.9.9.1 on both ports: one SET each, both members" \
		eval 'rs_wait eval "rs_sa_member $g1 1 0x1 && rs_sa_member $g1 2 0x1" &&
			[ "$(rs_sa_sets $g1 $lida)" = 1 ] && [ "$(rs_sa_sets $g1 $lidb)" = 1 ] &&
			[ "$(rs_sa_answered 0x0000 $g1 $lida)" = 1 ]'

	# 3. Every SET so far was the only one of its port, group and join state.
	once() {
		local keys dup
		local set='^req (lid=[0-9]+) .* SET MCMemberRecord .*(mgid=[^ ]+) port_gid=[^ ]+'
		keys=$(rs_sa_log | sed -nE "s/$set (join=[^ ]+).*/\\1 \\2 \\3/p")
		dup=$(echo "$keys" | sort | uniq -d)
		rs_log "$(echo "$keys" | grep -c .) SETs"
		[ -n "$keys" ] && [ -z "$dup" ] && return 0
		rs_log "repeated SETs: $dup"
		return 1
	}
	rs_result "[$impl] no port, group and join state was SET twice" once

	# 4. A leave: one DELETE, from the port that left; the other stays.
	ip addr del 239.9.9.1/32 dev "$ifa"
	left_one() {
		rs_wait rs_sa_no_member "$g1" 1 && [ "$(rs_sa_deletes "$g1" $lida)" = 1 ] &&
			rs_sa_member "$g1" 2 0x1
	}
	rs_result "[$impl] leave on one port: one DELETE, the other port stays" left_one

	# 5. The leave of the last member, answered BUSY: the SA multicast piece
	# sends the leave again (a new transaction), once, and the group goes.
	rs_sa_fault fail=0x0001 1 method=DELETE mgid="$g1"
	in_b ip addr del 239.9.9.1/32 dev "$ifb"
	gone() {
		local tids
		rs_wait rs_sa_no_group "$g1" || return 1
		tids=$(rs_sa_log | grep -E "^req lid=$lidb .* DELETE MCMemberRecord .*mgid=$g1 " |
			grep -o 'tid=0x[0-9a-f]*' | sort -u | wc -l)
		[ "$(rs_sa_deletes "$g1" $lidb fail)" = 1 ] &&
			[ "$(rs_sa_deletes "$g1" $lidb)" = 1 ] &&
			[ "$tids" = 2 ]
	}
	rs_result "[$impl] leave of the last member answered BUSY: sent again, the group goes" gone

	# 6. ping over the broadcast group (ARP) and a path from the SA.
	paths() {
		ping -c 2 -W 5 -I "$ifa" 10.79.1.2 >/dev/null &&
			rs_sa_log |
			grep -qE "^resp lid=$lida .* GET_RESP PathRecord .*status=0x0000 "
	}
	rs_result "[$impl] ping $ifa -> $ifb: a PathRecord answered" paths

	# The messages so far, for the comparison of the implementations.
	rs_sa_normalised_log >"$RS_OUT/sa-log-joins.$impl"

	# Faults. 7. An SA timeout: the SET and the 10 sends again of ib_sa's query
	# are dropped; the join fails, IPoIB joins again, answered.
	g2=$(rs_sa_mgid4 239.9.9.2)
	rs_sa_fault drop 11 method=SET mgid="$g2"
	ip addr add 239.9.9.2/32 dev "$ifa" autojoin
	timed_out() {
		local dropped
		rs_wait rs_sa_member "$g2" 1 0x1 || return 1
		dropped=$(rs_sa_log_count "^req lid=$lida .* SET .*mgid=$g2 .* fault=drop")
		[ "$dropped" = 1 ] && [ "$(rs_sa_sets "$g2" $lida)" = 1 ] &&
			[ "$(rs_sa_answered 0x0000 "$g2" $lida)" = 1 ]
	}
	rs_result "[$impl] SA timeout: a SET never answered, joined again" timed_out

	# 8. Error statuses: ERR_REQ_INVALID, then BUSY; IPoIB joins again.
	g3=$(rs_sa_mgid4 239.9.9.3)
	rs_sa_fault fail=0x0200 1 method=SET mgid="$g3"
	rs_sa_fault fail=0x0001 1 method=SET mgid="$g3"
	ip addr add 239.9.9.3/32 dev "$ifa" autojoin
	failed() {
		rs_wait rs_sa_member "$g3" 1 0x1 &&
			[ "$(rs_sa_answered 0x0200 "$g3" $lida)" = 1 ] &&
			[ "$(rs_sa_answered 0x0001 "$g3" $lida)" = 1 ] &&
			[ "$(rs_sa_answered 0x0000 "$g3" $lida)" = 1 ]
	}
	rs_result "[$impl] error status and BUSY: answered, joined again" failed

	# 9. A port error in the middle of a join: the SA holds the SET; the port
	# goes down (the SA forgets its memberships; IPoIB's joined groups get
	# -ENETRESET) and up; then the SA answers, before ib_sa's query times out
	# (fewer than 10 sends again of the held request). IPoIB comes back on
	# every group.
	g4=$(rs_sa_mgid4 239.9.9.4)
	rs_sa_fault hold 1 method=SET mgid="$g4"
	ip addr add 239.9.9.4/32 dev "$ifa" autojoin
	midjoin() {
		local tid sends
		rs_wait rs_sa_held 1 || { rs_log "no SET held"; return 1; }
		rs_sa_control port-err 1 && rs_sa_control port-active 1 &&
			rs_sa_control release || return 1
		rs_wait eval "carrier $ifa && rs_sa_member $g4 1 0x1 && rs_sa_member $BCAST 1 0x1 &&
			rs_sa_member $g2 1 0x1 && rs_sa_member $g3 1 0x1" || return 1
		tid=$(grep -E " req .* fault=hold" $RS_SA/log |
			sed -nE 's/.* (tid=0x[0-9a-f]+) .*/\1/p')
		sends=$(grep -c " req .* $tid " $RS_SA/log)
		rs_log "the held SET ($tid) came $sends times"
		[ -n "$tid" ] && [ "$sends" -lt 11 ]
	}
	rs_result "[$impl] port error and recovery during a held join: every group back" midjoin

	# 10. A client reregister from an SM that lost the port's memberships:
	# the port's groups are SET again.
	rs_sa_log_mark
	rs_sa_control reregister 1
	reregistered() {
		rs_wait eval '[ "$(rs_sa_sets $BCAST $lida)" -ge 1 ] &&
			[ "$(rs_sa_sets $g2 $lida)" -ge 1 ] &&
			[ "$(rs_sa_sets $g3 $lida)" -ge 1 ] &&
			[ "$(rs_sa_sets $g4 $lida)" -ge 1 ] &&
			rs_sa_member $BCAST 1 0x1 && rs_sa_member $g2 1 0x1 &&
			rs_sa_member $g4 1 0x1' &&
			carrier "$ifa"
	}
	rs_result "[$impl] CLIENT_REREGISTER: the port's groups joined again" reregistered

	# 11. A send-only member: a datagram to a group the host has not joined
	# makes IPoIB join it as a send-only full member (join state 0x8), once
	# for any number of datagrams.
	g5=$(rs_sa_mgid4 239.9.9.5)
	send_only() {
		local i
		for i in 1 2 3; do
			ping -c 1 -W 1 -I "$ifa" 239.9.9.5 >/dev/null 2>&1
			rs_wait rs_sa_member "$g5" 1 0x8 || return 1
		done
		[ "$(rs_sa_sets "$g5" $lida 0x8)" = 1 ] &&
			[ "$(rs_sa_answered 0x0000 "$g5" $lida)" = 1 ]
	}
	rs_result "[$impl] a datagram to a group not joined: one send-only full member join" \
		send_only

	# 12. A group deleted under its member: the member does not know (no SET
	# for 2 s) until a reregister makes it join again. The SM lost the port's
	# other memberships too, and IPoIB joins the send-only group again only
	# when it sends to it: the SA has no member of it.
	deleted_under() {
		rs_sa_log_mark
		rs_sa_control delete "$g2" && rs_sa_no_group "$g2" || return 1
		rs_sleep 2
		[ "$(rs_sa_sets "$g2" $lida)" = 0 ] && rs_sa_control reregister 1 &&
			rs_wait rs_sa_member "$g2" 1 0x1 && rs_sa_no_group "$g5"
	}
	rs_result "[$impl] group deleted under its member, back after a reregister" deleted_under

	# 13. A P_Key change: sib1 and sib2 get partition 0x8002 (the SA creates its
	# broadcast group); an IPoIB child on it comes up on each and pings.
	pkeys() {
		rs_sa_control pkey 1 1 0x8002 && rs_sa_control pkey 2 1 0x8002 || return 1
		ip link add link "$ifa" name ib_rs_child type ipoib pkey 0x8002 || return 1
		in_b ip link add link "$ifb" name ib_rs_childb type ipoib pkey 0x8002 || return 1
		ip addr add 10.79.2.1/24 dev ib_rs_child
		in_b ip addr add 10.79.2.2/24 dev ib_rs_childb
		ip link set ib_rs_child up && in_b ip link set ib_rs_childb up
		rs_wait eval "carrier ib_rs_child && carrier_b ib_rs_childb" &&
			rs_sa_member "$BCAST2" 1 0x1 && rs_sa_member "$BCAST2" 2 0x1 &&
			ping -c 2 -W 5 -I ib_rs_child 10.79.2.2 >/dev/null
	}
	rs_result "[$impl] PKEY_CHANGE: a child on partition 0x8002 joins its broadcast group,\
 pings" pkeys

	# 14. Everything down: no member left at the SA, no fault rule, nothing
	# held; the send-only member, back with a datagram, left with a DELETE.
	rs_sa_log_mark
	ping -c 1 -W 1 -I "$ifa" 239.9.9.5 >/dev/null 2>&1
	SENDONLY_BACK=0
	rs_wait rs_sa_member "$g5" 1 0x8 && SENDONLY_BACK=1
	ip link del ib_rs_child
	in_b ip link del ib_rs_childb
	ip link set "$ifa" down
	in_b ip link set "$ifb" down
	nothing_left() {
		[ $SENDONLY_BACK = 1 ] && [ "$(rs_sa_sets "$g5" $lida 0x8)" = 1 ] &&
			[ "$(rs_sa_answered 0x0000 "$g5" $lida)" = 1 ] ||
			{ rs_log "no send-only member of $g5 before the leave"; return 1; }
		rs_wait rs_sa_port_none '[0-9]' || {
			rs_log "left at the SA: $(rs_sa_groups | grep ' port[0-9]' | tr '\n' ';')"
			cat $RS_SA/log >"$RS_OUT/sa-log-raw.$impl"
			return 1
		}
		[ "$(rs_sa_deletes "$g5" $lida)" = 1 ] && [ "$(cat $RS_SA/faults)" = "held 0" ]
	}
	rs_result "[$impl] interfaces down: no member left at the SA; the send-only member\
 left" nothing_left

	RS_SA_LOG_FROM=0
	rs_sa_normalised_log >"$RS_OUT/sa-log.$impl"
	ip netns del $NS_B
	rs_wait test -e "/sys/class/net/$ifb" || ktap_exit_fail_msg "$ifb not back from $NS_B"
	modprobe -r ib_ipoib sib_sm sib ||
		ktap_exit_fail_msg "cannot unload ib_ipoib, sib_sm and sib"

	# 15. IPoIB's joins and leaves ran the implementation claimed.
	rs_result "[$impl] IPoIB's SA joins and leaves ran sa_mcast_impl=$impl" \
		rs_dispatch_ran ib_sa_join_multicast ib_sa_free_multicast
}

for impl in $IMPLS; do
	scenario "$impl"
done

# The two passes' logs. Up to the faults: the same messages. With the faults:
# the same distinct messages of the groups the test joins and of the other
# attributes (how often IPoIB joins again around port events and error
# answers depends on timing, and so do the IP stack's own groups then: its
# IGMP and MLD reports, router solicitations and neighbour discovery).
same_logs() {
	[ -s "$1" ] && [ -s "$2" ] || { rs_log "an empty log"; return 1; }
	rs_log "$(wc -l <"$1") and $(wc -l <"$2") messages"
	diff -u "$1" "$2" >"$RS_OUT/sa-log.diff" && return 0
	head -30 "$RS_OUT/sa-log.diff" | sed 's/^/#   /'
	return 1
}
rs_result "joins and leaves: the SA logs of C and Rust hold the same messages" \
	same_logs "$RS_OUT/sa-log-joins.c" "$RS_OUT/sa-log-joins.rust"
TEST_GROUPS="$BCAST|$BCAST2|$(rs_sa_mgid4 239.9.9.1)|$(rs_sa_mgid4 239.9.9.2)"
TEST_GROUPS+="|$(rs_sa_mgid4 239.9.9.3)"
TEST_GROUPS+="|$(rs_sa_mgid4 239.9.9.4)|$(rs_sa_mgid4 239.9.9.5)"
for impl in $IMPLS; do
	grep -E "mgid=($TEST_GROUPS) | (PathRecord|ClassPortInfo) " "$RS_OUT/sa-log.$impl" |
		sort -u >"$RS_OUT/sa-log-set.$impl"
done
rs_result "with faults: the SA logs of C and Rust hold the same distinct messages\
 of the test's groups" \
	same_logs "$RS_OUT/sa-log-set.c" "$RS_OUT/sa-log-set.rust"

rs_result "kernel log clean" rs_kernel_log_clean "$MARK"

ktap_finished
