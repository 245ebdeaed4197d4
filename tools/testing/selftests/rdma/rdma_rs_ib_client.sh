#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Rust RDMA UD multicast sample (samples/rust/rust_rdma_mcast.rs), a
# kernel user of rdma_cm and the verbs, between two network namespaces on the
# software InfiniBand fabric (sib, sib_sm), over IPoIB addresses: joins in
# RDMA_PS_UDP and RDMA_PS_IPOIB, their MGIDs and Q_Keys as rdma_cm sets them
# for the port space and as the SA's message log shows them; datagrams both
# ways, each checked (header, length, pattern from its number) by the
# receiver; leaves answered by the SA; bad commands refused with their errno;
# joins whose keys are not their group's, refused by the SA multicast piece
# (the port is a member already) or by the SA (ERR_REQ_INVALID, after the SA
# changed the group's Q_Key or P_Key); an endpoint destroyed while the SA holds
# its join; and a device that goes away under joined endpoints.
#
# Also from user space, through the rdma_cm device (rdma_rs_ib_service.c): IB
# service resolution (RESOLVE_IB_SERVICE) against the SA's service records,
# answered with an RMPP GET_TABLE_RESP, and the records read back with
# QUERY(IB_SERVICE), also by a thread that queries while the answer comes
# (the records must never be read before they are filled).
#
# RS_IMPL=c|rust reloads the RDMA stack with that implementation first.

source "$(dirname "$0")/rdma_rs_lib.sh"

rs_require_root
rs_require_cmds rdma ip

ktap_print_header
ktap_set_plan 19

NS_A=rs_cla
NS_B=rs_clb
DBG=/sys/kernel/debug/rust_rdma_mcast
SA=/sys/kernel/debug/sib_sm/sa

cleanup() {
	rs_kprobes_clear
	modprobe -r rust_rdma_mcast 2>/dev/null
	ip netns del $NS_A 2>/dev/null
	ip netns del $NS_B 2>/dev/null
	modprobe -r ib_ipoib sib_sm sib 2>/dev/null
}
trap cleanup EXIT

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
rs_stack_up || ktap_exit_fail_msg "cannot load the RDMA stack${RS_IMPL:+ with $RS_IMPL}"
modinfo sib_sm >/dev/null 2>&1 || rs_missing "sib_sm (CONFIG_INFINIBAND_SIB)"
modinfo ib_ipoib >/dev/null 2>&1 || rs_missing "ib_ipoib (CONFIG_INFINIBAND_IPOIB)"
modinfo rust_rdma_mcast >/dev/null 2>&1 ||
	rs_missing "rust_rdma_mcast (CONFIG_SAMPLE_RUST_RDMA_MCAST)"

MARK="rdma_rs_ib_client: start $$"
echo "$MARK" >/dev/kmsg

# The sample's joins and leaves go through rdma_cm's and the SA multicast
# piece's entry points: they must run the implementation the unit claims.
IB_ENTRIES="ib_sa_join_multicast ib_sa_free_multicast rdma_join_multicast"
IB_ENTRIES+=" rdma_leave_multicast"
# shellcheck disable=SC2086
rs_dispatch_on $IB_ENTRIES || ktap_exit_fail_msg "cannot set kprobes"

# shellcheck disable=SC2046
modprobe sib ports=3 && modprobe sib_sm && modprobe ib_ipoib $(rs_ulp_param ib_ipoib:mcast_impl) &&
	modprobe rust_rdma_mcast ||
	ktap_exit_fail_msg "cannot load sib, sib_sm, ib_ipoib or rust_rdma_mcast"
rs_ipoib_pair $NS_A $NS_B 10.80.0
ip -n $NS_A route add 239.0.0.0/8 dev "$IF_A"
ip -n $NS_B route add 239.0.0.0/8 dev "$IF_B"
rs_wait eval 'rs_carrier_in $NS_A $IF_A && rs_carrier_in $NS_B $IF_B' ||
	ktap_exit_fail_msg "no carrier on $IF_A or $IF_B"
LID_A=$(($(cat /sys/class/infiniband/sib1/ports/1/lid)))
LID_B=$(($(cat /sys/class/infiniband/sib2/ports/1/lid)))
# From here on, the SA's log is this test's (any write clears it).
echo clear >$SA/log

# ctl ns command: one command, written from namespace ns (where the sample
# creates its ids) to the control file opened here (ip netns exec mounts a
# sysfs of the namespace, and no debugfs); its error (echo: write error:
# <errno text>), if any, in $RS_OUT/ctl.err.
ctl() {
	ip netns exec "$1" echo "$2" 2>"$RS_OUT/ctl.err" >"$DBG/control"
}

# field name key: a value from the sample's line of endpoint name.
field() {
	sed -n "s/^$1 .* $2=\([^ ]*\).*/\1/p" $DBG/endpoints
}

# joined a b ps mgid_prefix qkey: endpoints a and b both report the same MGID,
# with the prefix and Q_Key of the port space, and a multicast LID; the SA
# answered a join of that MGID with that Q_Key to each port.
joined() {
	local a=$1 b=$2 prefix=$3 qkey=$4 mgid mlid
	mgid=$(field "$a" mgid)
	mlid=$(field "$a" mlid)
	rs_log "$a: mgid=$mgid mlid=$mlid qkey=$(field "$a" qkey); $b: mgid=$(field "$b" mgid)"
	[[ "$mgid" == "$prefix"* ]] && [ "$(field "$b" mgid)" = "$mgid" ] || return 1
	[ "$(field "$b" mlid)" = "$mlid" ] || return 1
	[ "$(field "$a" qkey)" = "$qkey" ] && [ "$(field "$b" qkey)" = "$qkey" ] || return 1
	[ $((mlid)) -ge $((0xc000)) ] || return 1
	local lid
	for lid in "$LID_A" "$LID_B"; do
		grep -qE " resp lid=$lid .* GET_RESP MCMemberRecord .*status=0x0000 \
mgid=$mgid .* qkey=$qkey " $SA/log || { rs_log "no answered join from LID $lid"; return 1; }
	done
}

# transfer from to count size: from sends count datagrams of size bytes;
# to's count of good datagrams grows by count, and from's count of sent ones;
# nothing is bad, failed or lost on either side.
transfer() {
	local from=$1 to=$2 count=$3 size=$4 got sent ep
	got=$(($(field "$to" received) + count))
	sent=$(($(field "$from" sent) + count))
	ctl "$(ns_of "$from")" "send $from $count $size" ||
		{ rs_log "send: $(cat "$RS_OUT/ctl.err")"; return 1; }
	rs_wait eval '[ "$(field "$to" received)" -ge $got ]'
	rs_log "$(cat $DBG/endpoints)"
	[ "$(field "$to" received)" = $got ] && [ "$(field "$from" sent)" = $sent ] || return 1
	for ep in "$from" "$to"; do
		[ "$(field "$ep" bad)" = 0 ] && [ "$(field "$ep" send_errors)" = 0 ] &&
			[ "$(field "$ep" recv_errors)" = 0 ] &&
			[ "$(field "$ep" async_errors)" = 0 ] || return 1
	done
}
ns_of() { case $1 in *a) echo $NS_A ;; *) echo $NS_B ;; esac; }

# 1. and 2. RDMA_PS_UDP: the RDMA CM MGID (signature 0x4001) and Q_Key
# 0x01234567.
join_pair() {
	ctl $NS_A "join $1a 10.80.0.1 $3 $2" ||
		{ rs_log "$1a: $(cat "$RS_OUT/ctl.err")"; return 1; }
	ctl $NS_B "join $1b 10.80.0.2 $3 $2" ||
		{ rs_log "$1b: $(cat "$RS_OUT/ctl.err")"; return 1; }
}
rs_result "RDMA_PS_UDP joins from both namespaces (239.3.0.1)" join_pair u udp 239.3.0.1
rs_result "RDMA_PS_UDP: one MGID ff12:4001:..., Q_Key 0x1234567, an MLID; SA answered each port" \
	joined ua ub ff12:4001: 0x1234567

# 3. and 4. Datagrams both ways, the largest payload the MTU allows included.
both_ways() {
	transfer "$1a" "$1b" 20 64 && transfer "$1b" "$1a" 20 512 &&
		transfer "$1a" "$1b" 5 2048
}
rs_result "RDMA_PS_UDP datagrams A -> B (20 x 64, 5 x 2048) and B -> A (20 x 512), data checked" \
	both_ways u

# 5. to 7. RDMA_PS_IPOIB: IPoIB's MGID (0x401b) and the broadcast group's
# Q_Key, 0x0b1b.
rs_result "RDMA_PS_IPOIB joins from both namespaces (239.3.0.2)" join_pair i ipoib 239.3.0.2
rs_result "RDMA_PS_IPOIB: one MGID ff12:401b:..., Q_Key 0xb1b, an MLID; SA answered each port" \
	joined ia ib ff12:401b: 0xb1b
rs_result "RDMA_PS_IPOIB datagrams both ways, data checked" both_ways i

# new_group name [ps]: endpoint name of namespace A asks the SA for a new
# group in port space ps (a join of 0.0.0.0 is one of MGID 0); the MGID the
# SA assigned, ff12:a01b:<P_Key>::<n>, in $NEW_MGID.
NEW_MGID=
new_group() {
	NEW_MGID=
	ctl $NS_A "join $1 10.80.0.1 0.0.0.0${2:+ $2}" ||
		{ rs_log "$1: $(cat "$RS_OUT/ctl.err")"; return 1; }
	NEW_MGID=$(field "$1" mgid)
	rs_log "$1: SA-assigned MGID $NEW_MGID"
	[[ "$NEW_MGID" == ff12:a01b:ffff:* ]]
}

# 8. MGID 0: A asks the SA for a new group; B joins it by its MGID (an IPv6
# address of that form is an SA-assigned MGID to rdma_cm); datagrams both
# ways.
mgid_zero() {
	local mgid
	new_group za || return 1
	mgid=$NEW_MGID
	local zero=0000:0000:0000:0000:0000:0000:0000:0000
	grep -qE " req lid=$LID_A .* SET MCMemberRecord .*mgid=$zero " $SA/log ||
		{ rs_log "no SET of MGID 0 from LID $LID_A"; return 1; }
	ctl $NS_B "join zb 10.80.0.2 $mgid" || { rs_log "zb: $(cat "$RS_OUT/ctl.err")"; return 1; }
	[ "$(field zb mgid)" = "$mgid" ] && transfer zb za 10 64 && transfer za zb 10 128 &&
		ctl $NS_A "leave za" && ctl $NS_B "leave zb"
}
rs_result "MGID 0: an SA-assigned MGID ff12:a01b:..., joined by it from B; datagrams both ways" \
	mgid_zero

# 9. Bad commands: their errno, and nothing joined.
refused() { # errno-text ns command
	if ctl "$2" "$3"; then
		rs_log "'$3' was accepted"
		return 1
	fi
	grep -q "$1" "$RS_OUT/ctl.err" || { rs_log "'$3': $(cat "$RS_OUT/ctl.err")"; return 1; }
}
bad_commands() {
	refused "Invalid argument" $NS_A "join x 10.80.0 239.3.0.9" &&
		refused "Invalid argument" $NS_A "join x 10.80.0.1 239.3.0.9 tcp" &&
		refused "Invalid argument" $NS_A "fly ua" &&
		refused "File exists" $NS_A "join ua 10.80.0.1 239.3.0.9" &&
		refused "No such file" $NS_A "send nobody 1" &&
		refused "Invalid argument" $NS_A "send ua 1 8" &&
		refused "Invalid argument" $NS_A "send ua 1 4096" &&
		# An address of the other namespace is no address of this one.
		refused "Cannot assign\|No such device\|unreachable" $NS_A \
			"join x 10.80.0.2 239.3.0.9" &&
		! grep -q "^x " $DBG/endpoints
}
rs_result "bad commands refused with their errno (EINVAL, EEXIST, ENOENT, no address)" \
	bad_commands

# 10. The sample's benchmark, small: 20 ids joining one group (one SA join
# per port and group: the SA multicast piece counts the other members), then
# one id joining 20 groups (20 SA joins); every join answered, then left.
# tids regex: the SA log's transactions with a message matching regex, each
# once (ib_mad's sends again of a request reuse its TID).
tids() {
	grep -E "$1" $SA/log | sed 's/.* tid=\([^ ]*\) .*/\1/' | sort -u | wc -l
}
# sets_from lid mgid-regex: the SET requests from lid for the MGIDs matching
# mgid-regex, one per transaction.
sets_from() { tids " req lid=$1 tid=[^ ]* SET MCMemberRecord .*mgid=$2 "; }
bench_ok() {
	local line want="members=20 groups=1 joins=20 failed=0 "
	ctl $NS_A "bench 10.80.0.1 239.3.1.1 20 1" ||
		{ rs_log "bench: $(cat "$RS_OUT/ctl.err")"; return 1; }
	line=$(cat $DBG/bench)
	rs_log "$line"
	[[ "$line" == "$want"* ]] || return 1
	want="members=1 groups=20 joins=20 failed=0 "
	ctl $NS_A "bench 10.80.0.1 239.3.2.1 1 20" ||
		{ rs_log "bench: $(cat "$RS_OUT/ctl.err")"; return 1; }
	line=$(cat $DBG/bench)
	rs_log "$line"
	[[ "$line" == "$want"* ]] || return 1
	# 239.3.1.1 and 239.3.2.1-20 in rdma_cm's MGIDs (28 bits of the address).
	local one many
	one=$(sets_from "$LID_A" "ff12:4001:ffff:0000:0000:0000:0f03:0101")
	many=$(sets_from "$LID_A" "ff12:4001:ffff:0000:0000:0000:0f03:02(0[1-9a-f]|1[0-4])")
	rs_log "SET transactions from LID $LID_A: $one for the 20 members, $many for the 20 groups"
	[ "$one" = 1 ] && [ "$many" = 20 ]
}
rs_result "bench: 20 members of one group (1 SA join), 1 member of 20 groups (20 SA joins)" bench_ok

# 11. IB service resolution from user space in namespace A: service
# 0x1000000000000001 "rs-echo" on both ports, 0x1000000000000002 "rs-other"
# on port B. By name: two records (the GIDs of both ports); by ID: one; an ID
# and a name no record has together: ADDRINFO_ERROR (ib_sa: -ENODATA for an
# empty table) and nothing to QUERY. Each question is one GET_TABLE at the SA,
# answered with the records' count.
SVC=$(rs_program rdma_rs_ib_service)
SVC1=0x1000000000000001
SVC2=0x1000000000000002
gid_of() { cat "/sys/class/infiniband/$1/ports/1/gids/0"; }
# gids_are out gid...: the "gid" lines of out are the GIDs given, in any order.
gids_are() {
	local out=$1 want got
	shift
	want=$(printf '%s\n' "$@" | sort)
	got=$(sed -n 's/^gid //p' "$out" | sort)
	rs_log "records' GIDs: $(echo "$got" | tr '\n' ' ')"
	[ "$want" = "$got" ]
}
# tables n...: the SA's last GET_TABLE_RESPs of ServiceRecord to LID A carry
# n... records, in that order; a request ib_sa sent again (same transaction
# id: 10 sends of 200 ms each) counts with its first answer.
tables() {
	local got
	got=$(grep -E " resp lid=$LID_A .* GET_TABLE_RESP ServiceRecord .*status=0x0000 " $SA/log |
		sed -n 's/.* tid=\([^ ]*\) .* records=\([0-9]*\).*/\1 \2/p' |
		awk '!seen[$1]++ { print $2 }' | tail -$# | tr '\n' ' ')
	rs_log "GET_TABLE_RESP records: $got"
	[ "$got" = "$* " ]
}
services() {
	echo "service 1 $SVC1 rs-echo" >$SA/control &&
		echo "service 2 $SVC1 rs-echo" >$SA/control &&
		echo "service 2 $SVC2 rs-other" >$SA/control || return 1
	local o=$RS_OUT/ib_service
	ip netns exec $NS_A "$SVC" resolve 10.80.0.1 0 rs-echo 2 >$o.name 2>&1 ||
		{ rs_log "by name: $(cat $o.name)"; return 1; }
	gids_are $o.name "$(gid_of sib1)" "$(gid_of sib2)" || return 1
	ip netns exec $NS_A "$SVC" resolve 10.80.0.1 $SVC2 - 1 >$o.id 2>&1 ||
		{ rs_log "by ID: $(cat $o.id)"; return 1; }
	gids_are $o.id "$(gid_of sib2)" || return 1
	ip netns exec $NS_A "$SVC" resolve 10.80.0.1 $SVC1 rs-other 0 >$o.none 2>&1
	rs_log "none: $(cat $o.none | tr '\n' ' ')"
	grep -qx "event 17 status -61" $o.none && grep -qx "query No data available" $o.none ||
		return 1
	tables 2 1 0
}
rs_result "IB services resolved at the SA (RMPP GET_TABLE): 2 records by name, 1 by ID, none" \
	services

# 12. RESOLVE_IB_SERVICE while a thread issues QUERY(IB_SERVICE) on the same
# id, 40 times: every answer is ENODATA or both records, whole (with SLUB's
# poisoning, a record read before it was filled shows it); at least one
# answer had records. Then the services go, from the SA's list too.
race() {
	local o=$RS_OUT/ib_service.race answers
	ip netns exec $NS_A "$SVC" race 10.80.0.1 $SVC1 rs-echo 2 40 >$o 2>&1 ||
		{ rs_log "$(cat $o)"; return 1; }
	answers=$(sed -n 's/^rounds 40 answers \([0-9]*\)$/\1/p' $o)
	rs_log "$(cat $o)"
	[ "${answers:-0}" -gt 0 ] || return 1
	echo "no-service 1 $SVC1" >$SA/control && echo "no-service 2 $SVC1" >$SA/control &&
		echo "no-service 2 $SVC2" >$SA/control || return 1
	! echo "no-service 2 $SVC2" 2>/dev/null >$SA/control || return 1
	[ -z "$(cat $SA/services)" ]
}
rs_result "RESOLVE_IB_SERVICE racing QUERY(IB_SERVICE): no record read before it is filled" race

# 13. A join whose record does not match its group's, refused by the SA
# multicast piece itself: A joins a new group in RDMA_PS_IPOIB (MGID 0: the SA
# creates it with the broadcast group's Q_Key, 0xb1b, MTU and rate); a second
# endpoint of A joins it in RDMA_PS_UDP, whose record differs in the Q_Key
# alone (0x1234567; no MTU, rate or hop limit in its component mask). The port
# is a member already: the piece compares the records and answers EINVAL, one
# call of ib_sa_join_multicast() and no SET to the SA.
KEYS_MGID=
local_mismatch() {
	local calls
	new_group ka ipoib || return 1
	KEYS_MGID=$NEW_MGID
	rs_log "ka: qkey=$(field ka qkey)"
	[ "$(field ka qkey)" = 0xb1b ] || return 1
	calls=$(rs_probe_hits ib_sa_join_multicast)
	refused "Invalid argument" $NS_A "join ku 10.80.0.1 $KEYS_MGID udp" || return 1
	calls=$(($(rs_probe_hits ib_sa_join_multicast) - calls))
	rs_log "ib_sa_join_multicast() calls for ku: $calls"
	[ "$calls" = 1 ] && [ "$(sets_from "$LID_A" "$KEYS_MGID")" = 0 ]
}
rs_result "a join whose Q_Key is not its joined group's: EINVAL, no SET to the SA" \
	local_mismatch

# 14. Keys that no longer match at the SA (fault injection: an SM does not
# change a live group's keys): the SA gives the group another Q_Key, then
# another P_Key; each time B's join (RDMA_PS_IPOIB, the keys of before) is
# answered ERR_REQ_INVALID (0x0200) and refused with EINVAL. With the keys
# back, B joins and datagrams go both ways; both leave, and the group goes.
# refusals lid mgid: the SA's answers ERR_REQ_INVALID to lid's SETs of mgid,
# one per transaction.
refusals() { tids " resp lid=$1 tid=[^ ]* GET_RESP MCMemberRecord .*status=0x0200 mgid=$2 "; }
sa_mismatch() {
	local m=$KEYS_MGID n
	[ -n "$m" ] || { rs_log "no group: the step before failed"; return 1; }
	echo "keys $m 0x7777 0xffff" >$SA/control || return 1
	grep -qE "^$m .* qkey=0x7777 pkey=0xffff " $SA/groups ||
		{ rs_log "$(cat $SA/groups)"; return 1; }
	refused "Invalid argument" $NS_B "join kb 10.80.0.2 $m ipoib" || return 1
	echo "keys $m 0xb1b 0x8002" >$SA/control || return 1
	refused "Invalid argument" $NS_B "join kb 10.80.0.2 $m ipoib" || return 1
	n=$(refusals "$LID_B" "$m")
	rs_log "ERR_REQ_INVALID answers to LID $LID_B: $n"
	[ "$n" = 2 ] || return 1
	echo "keys $m 0xb1b 0xffff" >$SA/control || return 1
	ctl $NS_B "join kb 10.80.0.2 $m ipoib" ||
		{ rs_log "kb: $(cat "$RS_OUT/ctl.err")"; return 1; }
	transfer ka kb 5 64 && transfer kb ka 5 64 || return 1
	ctl $NS_A "leave ka" && ctl $NS_B "leave kb" || return 1
	rs_wait rs_sa_no_group "$m" || { rs_log "$m still at the SA"; return 1; }
}
rs_result "SA keys changed under a group: B's joins ERR_REQ_INVALID (EINVAL); keys back, B joins" \
	sa_mismatch

# 15. An endpoint destroyed while its join is in flight: the SA holds A's SET
# of 239.3.0.5; the command is killed (its wait ends with EINTR), so the
# sample destroys the id and rdma_cm frees the join before the SA answers.
# Released, the SA carries out the SET; A's port, with no member left, leaves
# with a DELETE, and the group goes. The release must come before ib_sa gives
# up (10 sends 300 ms apart): everything up to it runs without a fork, and a
# run that did not make it (11 sends of the SET) says so.
free_midjoin() {
	local m=ff12:4001:ffff:0000:0000:0000:0f03:0005 pid t0 i tid sends
	echo "hold 1 method=SET mgid=$m" >$SA/faults || return 1
	# Not ctl in the background: $! must be the writer (ip execs echo), not
	# a subshell whose signal would leave the write going.
	ip netns exec $NS_A echo "join fa 10.80.0.1 239.3.0.5" 2>"$RS_OUT/ctl.err" \
		>"$DBG/control" &
	pid=$!
	for ((i = 0; i < 10 * RS_WAIT; i++)); do
		rs_sa_held 1 && break
		rs_sleep 0.1
	done
	t0=$EPOCHREALTIME
	if ! rs_sa_held 1; then
		kill $pid
		echo clear >$SA/faults
		wait $pid
		rs_log "no SET held: $(cat $SA/faults)"
		return 1
	fi
	kill -TERM $pid
	if wait $pid; then
		echo release >$SA/control
		rs_log "the join went through"
		return 1
	fi
	echo release >$SA/control || return 1
	rs_log "SET held, command killed, its id destroyed, then released in" \
		"$(((${EPOCHREALTIME/./} - ${t0/./}) / 1000)) ms"
	tid=$(grep -E " req lid=$LID_A .* SET MCMemberRecord .*fault=hold" $SA/log |
		sed -n 's/.* tid=\([^ ]*\) .*/\1/p' | head -1)
	[ -n "$tid" ] || { rs_log "no held SET in the SA's log"; return 1; }
	sends=$(grep -cE " req lid=$LID_A tid=$tid SET " $SA/log)
	rs_log "the held SET ($tid) came $sends times"
	[ "$sends" -lt 11 ] || { rs_log "too slow: ib_sa gave up before the release"; return 1; }
	rs_wait grep -qE " resp lid=$LID_A .* DELETE_RESP MCMemberRecord .*status=0x0000 mgid=$m " \
		$SA/log || { rs_log "no DELETE from LID $LID_A"; return 1; }
	grep -qE " resp lid=$LID_A tid=$tid GET_RESP MCMemberRecord .*status=0x0000 mgid=$m " \
		$SA/log || { rs_log "the held SET was not answered"; return 1; }
	[ "$(cat $SA/faults)" = "held 0" ] && ! grep -q "^$m " $SA/groups
}
rs_result "an endpoint destroyed while the SA holds its join: the port leaves, the group goes" \
	free_midjoin

# 16. Leaves: each port's last member of a group gone, the SA gets a DELETE of
# it, and the group goes with its last member.
left() {
	local mgid
	mgid=$(field ua mgid)
	ctl $NS_A "leave ua" && ctl $NS_B "leave ub" || return 1
	local lid
	for lid in "$LID_A" "$LID_B"; do
		rs_wait grep -qE " resp lid=$lid .* DELETE_RESP MCMemberRecord .*status=0x0000 \
mgid=$mgid " $SA/log || { rs_log "no DELETE of $mgid from LID $lid"; return 1; }
	done
	! grep -q "^$mgid " $SA/groups && ! grep -qE "^u[ab] " $DBG/endpoints
}
rs_result "leaves: a DELETE from each port, the group gone at the SA" left

# 17. The joins and leaves ran the implementations claimed.
impl=$(cat /sys/module/ib_core/parameters/sa_mcast_impl)
# shellcheck disable=SC2086
rs_result "the sample's joins and leaves ran the implementations claimed ($impl)" \
	rs_dispatch_ran $IB_ENTRIES

# 18. The device goes with joined endpoints: rdma_cm waits for their ids,
# which the sample destroys from its workqueue; the fabric unloads.
device_gone() {
	local pid
	ctl $NS_A "join ga 10.80.0.1 239.3.0.3" || return 1
	ip netns del $NS_A && ip netns del $NS_B || return 1
	# The removal waits for the endpoints in uninterruptible sleep: watch it
	# rather than wait for it, so that a hang fails the test.
	modprobe -r ib_ipoib sib_sm sib &
	pid=$!
	if ! rs_wait eval '! kill -0 $pid 2>/dev/null'; then
		rs_log "the fabric did not unload: $(tr '\n' ' ' <"/proc/$pid/stack" 2>/dev/null)"
		return 1
	fi
	wait $pid || { rs_log "modprobe -r failed"; return 1; }
	local left
	left=$(cat $DBG/endpoints) || { rs_log "cannot read $DBG/endpoints"; return 1; }
	[ -z "$left" ] || { rs_log "left: $left"; return 1; }
}
rs_result "endpoints destroyed when their device goes; the fabric unloads" device_gone

# 19. The sample unloads; the kernel log has no report.
rs_result "rust_rdma_mcast unloads; no kernel report" \
	eval 'modprobe -r rust_rdma_mcast && rs_kernel_log_clean "$MARK"'

ktap_finished
