#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# RoCE GID table management (ib_core.roce_gid_impl), step by step: an rxe
# device in a namespace of its own, then address, link, MAC, VLAN, bond and
# namespace changes, and a seeded churn of random events. After each step the
# port's whole GID table (index, GID, type, net device) is saved once it has
# settled, and checked for the entries the step must give.
#
#   RS_IMPL=c|rust   reload the RDMA stack with that implementation first
#   RS_GID_DIR=dir   where the tables go: dir/<impl>/<step>. When the tables
#                    of the other implementation are there already, each step
#                    also checks that both are identical.
#   RS_CHURN=n       events in the churn (default 1000), RS_SEED its seed

source "$(dirname "$0")/rdma_rs_lib.sh"

rs_require_root
rs_require_cmds rdma ip

NS=rdmars_g
NS2=rdmars_g2
DEV=rs_rxg
DIR=${RS_GID_DIR:-$RS_OUT/gid}
CHURN=${RS_CHURN:-1000}
SEED=${RS_SEED:-7}

ktap_print_header
ktap_set_plan 24

gn() { ip -n "$NS" "$@"; }

cleanup() {
	rs_kprobes_clear
	rdma link del $DEV 2>/dev/null
	rdma link del rs_rxbond 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	ip netns del "$NS2" 2>/dev/null
	return 0
}
trap cleanup EXIT

rs_stack_up || ktap_exit_fail_msg "cannot load the RDMA stack${RS_IMPL:+ with $RS_IMPL}"
IMPL=$(cat /sys/module/ib_core/parameters/roce_gid_impl)
OTHER=$([ "$IMPL" = rust ] && echo c || echo rust)
mkdir -p "$DIR/$IMPL"
rm -f "$DIR/$IMPL"/*

# table rdma_dev: "index gid type ndev" of port 1's valid entries. The GID
# cache fills the lowest free slot, so the walk stops after 64 empty slots in
# a row (these tests never hold more than 64 entries): reading all 1024 slots
# of an rxe port takes seconds in an emulated guest.
table() {
	local d=/sys/class/infiniband/$1/ports/1 i gid type ndev empty=0
	local zero=0000:0000:0000:0000:0000:0000:0000:0000
	for ((i = 0; empty < 64; i++)); do
		read -r gid <"$d/gids/$i" 2>/dev/null || break
		if [ "$gid" = $zero ]; then
			empty=$((empty + 1))
			continue
		fi
		empty=0
		type=-
		read -r type <"$d/gid_attrs/types/$i" 2>/dev/null
		ndev=-
		read -r ndev <"$d/gid_attrs/ndevs/$i" 2>/dev/null
		echo "$i $gid ${type// /_} $ndev"
	done
}

# settle dev file check: the table once it holds what check expects and two
# reads in a row agree (so nothing is still on its way), or, when a bounded
# poll of RS_LIMIT_SETTLE seconds runs out, as it last was.
settle() {
	local prev=- cur end=$((SECONDS + RS_LIMIT_SETTLE))
	while :; do
		cur=$(table "$1")
		echo "$cur" >"$2"
		[ "$cur" = "$prev" ] && "$3" "$2" >/dev/null && break
		[ $SECONDS -lt $end ] || break
		prev=$cur
		rs_sleep 0.2
	done
}

# v4gid a.b.c.d, v6gid addr: the GID (sysfs format) of an address.
v4gid() { rs_ip_gid "$1"; }
# (Hex forms only, "::" expanded; builtins only: a Python start costs seconds
# in the emulated guest.)
v6gid() {
	local head=$1 tail= g q out=
	local -a h t
	[[ $1 =~ ^[0-9a-f:]+$ ]] || { echo "v6gid: not a hex IPv6 address: $1" >&2; return 1; }
	if [[ $1 == *::* ]]; then
		head=${1%%::*}
		tail=${1#*::}
	fi
	IFS=: read -ra h <<<"$head"
	IFS=: read -ra t <<<"$tail"
	for g in "${h[@]}"; do printf -v q '%04x:' "0x$g" && out+=$q; done
	for ((g = ${#h[@]} + ${#t[@]}; g < 8; g++)); do out+=0000:; done
	for g in "${t[@]}"; do printf -v q '%04x:' "0x$g" && out+=$q; done
	echo "${out%:}"
}
# llgid mac: the default GID of a MAC address (fe80::EUI-64).
llgid() {
	local IFS=:
	# shellcheck disable=SC2086
	set -- $1
	printf 'fe80:0000:0000:0000:%02x%s:%sff:fe%s:%s%s\n' $((0x$1 ^ 2)) "$2" "$3" "$4" "$5" "$6"
}

# has file gid ndev: the GID is in the table, on ndev, once for each GID type
# of the port ($TYPES: those of the default GID once the device is created).
# (rs_lines_match: no fork, settle runs the checks at every poll.)
TYPES=
has() {
	local t
	for t in $TYPES; do
		rs_lines_match " $2 $t $3\$" "$1" || return 1
	done
}
hasnt() {
	rs_lines_match " $2 " "$1"
	[ $? = 1 ]
}

# step name check...: save the settled table and test it.
STEPNO=0
step() {
	local name=$1 f
	shift
	STEPNO=$((STEPNO + 1))
	f=$DIR/$IMPL/$(printf '%02d' $STEPNO)-$name
	settle "${RS_STEP_DEV:-$DEV}" "$f" "$1"
	if ! "$@" "$f"; then
		ktap_test_fail "$name [$IMPL]"
		sed 's/^/#   /' "$f" | head -20
	elif [ -e "$DIR/$OTHER/${f##*/}" ] && ! cmp -s "$f" "$DIR/$OTHER/${f##*/}"; then
		ktap_test_fail "$name [$IMPL], identical to $OTHER"
		diff "$DIR/$OTHER/${f##*/}" "$f" | sed 's/^/#   /' | head -20
	elif [ -e "$DIR/$OTHER/${f##*/}" ]; then
		ktap_test_pass "$name [$IMPL], identical to $OTHER"
	else
		ktap_test_pass "$name [$IMPL]"
	fi
}

# The namespace: veth pairs rs_g0/rs_g1 and rs_h0/rs_h1, no DAD.
ip netns add "$NS" || ktap_exit_fail_msg "cannot create a namespace"
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
gn link set lo up
gn link add rs_g0 address 02:00:00:00:88:01 type veth peer name rs_g1 address 02:00:00:00:88:02
gn link add rs_h0 address 02:00:00:00:89:01 type veth peer name rs_h1
gn addr add 10.88.0.1/24 dev rs_g0
gn addr add fd00:88::1/64 dev rs_g0 nodad
gn link set rs_g0 up
gn link set rs_g1 up
gn link set rs_h1 up
MAC=02:00:00:00:88:01
LL=$(llgid $MAC)
A4=$(v4gid 10.88.0.1)
A6=$(v6gid fd00:88::1)

# 1. rxe on a NIC that already has addresses: the rescan finds them, and it
# is the rescan of the implementation roce_gid_impl names (kprobes).
rs_dispatch_on rdma_roce_rescan_device || ktap_exit_fail_msg "cannot set kprobes"
ip netns exec "$NS" rdma link add $DEV type rxe netdev rs_g0 ||
	ktap_exit_fail_msg "cannot create rxe on rs_g0"
rs_result "the device's GID rescan ran the $IMPL code [$IMPL]" \
	rs_dispatch_ran rdma_roce_rescan_device
c_create() {
	TYPES=$(awk -v g="$LL" '$2 == g { print $3 }' "$1" | sort -u | tr '\n' ' ')
	[ -n "$TYPES" ] && rs_log "GID types of the port: $TYPES"
	[ -n "$TYPES" ] && has "$1" "$LL" rs_g0 && has "$1" "$A4" rs_g0 && has "$1" "$A6" rs_g0; }
step create c_create

# 2-5. Addresses come and go. Meanwhile, the workqueue_queue_work trace
# event shows which implementation's workqueue does the work, and an
# unmodified verbs program watches the device's asynchronous events.
# The event is read from the trace instance rs_wq, which the kernel command
# line (scripts/run-qemu.sh) creates with the event already enabled: turning
# it on here would patch the jump label inside __queue_work() while timers on
# the other CPU run through it, and 7.3 under TCG has died of an int3 at that
# site. Only the instance's filter and tracing_on change here. Without the
# instance (a kernel booted some other way), the event is enabled here.
T=/sys/kernel/tracing
rs_tracefs_up
[ -d $T/instances/rs_wq ] && T=$T/instances/rs_wq
TE=$T/events/workqueue/workqueue_queue_work
tracing_set() { # tracing_set 0|1
	if [ "$T" != /sys/kernel/tracing ]; then
		echo "$1" >$T/tracing_on
	else
		echo "$1" >$TE/enable
	fi
}
if [ -w $TE/filter ]; then
	tracing_set 0
	echo 'workqueue ~ "gid-cache-wq*"' >$TE/filter
	echo >$T/trace
	tracing_set 1
fi
WATCH=
if command -v ibv_asyncwatch >/dev/null; then
	stdbuf -oL ibv_asyncwatch -d $DEV >"$RS_OUT/async.$IMPL" 2>&1 &
	WATCH=$!
	# It prints its event FD once it has opened the device.
	rs_wait grep -q 'async event FD' "$RS_OUT/async.$IMPL"
fi
gn addr add 10.88.1.1/24 dev rs_g0
gn addr add fd00:88:1::1/64 dev rs_g0 nodad
B4=$(v4gid 10.88.1.1)
B6=$(v6gid fd00:88:1::1)
c_add() { has "$1" "$B4" rs_g0 && has "$1" "$B6" rs_g0 && has "$1" "$A4" rs_g0; }
step addr-add c_add
if [ -w $TE/filter ]; then
	tracing_set 0
	wqs=$(grep -o 'workqueue=[^ ]*' $T/trace | sort -u | tr '\n' ' ')
	echo 0 >$TE/filter
	want="workqueue=gid-cache-wq$([ "$IMPL" = rust ] && echo -rs) "
	rs_log "GID work queued on: ${wqs:-nothing}"
	rs_result "address events handled on the $IMPL workqueue only [$IMPL]" test "$wqs" = "$want"
else
	rs_test_missing "address events handled on the $IMPL workqueue only [$IMPL]" tracefs
fi
if [ -n "$WATCH" ]; then
	kill $WATCH 2>/dev/null
	wait $WATCH 2>/dev/null
	rs_result "ibv_asyncwatch sees IBV_EVENT_GID_CHANGE [$IMPL]" \
		grep -q GID_CHANGE "$RS_OUT/async.$IMPL"
else
	rs_test_missing "ibv_asyncwatch sees IBV_EVENT_GID_CHANGE [$IMPL]" ibv_asyncwatch
fi
gn addr del 10.88.1.1/24 dev rs_g0
c_del4() { hasnt "$1" "$B4" && has "$1" "$B6" rs_g0; }
step addr-del-v4 c_del4
gn addr del fd00:88:1::1/64 dev rs_g0
c_del6() { hasnt "$1" "$B6" && has "$1" "$A6" rs_g0 && has "$1" "$LL" rs_g0; }
step addr-del-v6 c_del6

# 6-7. Link down and up: IPv4 addresses stay, IPv6 ones without
# permanence go on down.
gn link set rs_g0 down
c_down() { has "$1" "$A4" rs_g0 && has "$1" "$LL" rs_g0; }
step link-down c_down
gn link set rs_g0 up
gn addr replace fd00:88::1/64 dev rs_g0 nodad
c_up() { has "$1" "$A4" rs_g0 && has "$1" "$A6" rs_g0 && has "$1" "$LL" rs_g0; }
step link-up c_up

# 8. MAC change: the default GID follows the MAC. (The old link-local IPv6
# address stays until the link goes down, and its GID with it.)
gn link set rs_g0 address 02:00:00:00:88:77
LL2=$(llgid 02:00:00:00:88:77)
c_mac() {
	has "$1" "$LL2" rs_g0 && has "$1" "$A4" rs_g0 &&
		[ "$(awk '{ print $2; exit }' "$1")" = "$LL2" ]
}
step mac-change c_mac

# 9-11. A VLAN on the rxe NIC: its addresses, with the VLAN as ndev.
gn link add link rs_g0 name rs_g0.7 type vlan id 7
gn addr add 10.88.7.1/24 dev rs_g0.7
gn addr add fd00:88:7::1/64 dev rs_g0.7 nodad
gn link set rs_g0.7 up
V4=$(v4gid 10.88.7.1)
V6=$(v6gid fd00:88:7::1)
c_vlan() { has "$1" "$V4" rs_g0.7 && has "$1" "$V6" rs_g0.7 && has "$1" "$LL2" rs_g0; }
step vlan-add c_vlan
gn addr del 10.88.7.1/24 dev rs_g0.7
c_vlan_del4() { hasnt "$1" "$V4" && has "$1" "$V6" rs_g0.7; }
step vlan-addr-del c_vlan_del4

# 12. The VLAN moves to another namespace: its GIDs go (its addresses are
# flushed on the way).
ip netns add "$NS2"
gn link set rs_g0.7 netns "$NS2"
c_moved() { hasnt "$1" "$V6" && has "$1" "$A4" rs_g0; }
step vlan-netns-move c_moved
ip -n "$NS2" addr add 10.88.8.1/24 dev rs_g0.7
ip -n "$NS2" link set rs_g0.7 up
W4=$(v4gid 10.88.8.1)
c_moved_addr() { has "$1" "$W4" rs_g0.7; }
step vlan-other-netns-addr c_moved_addr
ip -n "$NS2" link del rs_g0.7
c_vlan_gone() { hasnt "$1" "$W4" && has "$1" "$A4" rs_g0; }
step vlan-del c_vlan_gone

# 15-18. rxe on a bond slave: the bond's default GID and addresses replace
# the slave's while it is the active slave.
modprobe bonding max_bonds=0 2>/dev/null
gn link add rs_bond type bond mode active-backup miimon 0 || true
gn link set rs_g0 down
gn link set rs_h0 down
gn link set rs_g0 master rs_bond
gn link set rs_h0 master rs_bond
gn link set rs_bond up
gn addr add 10.88.9.1/24 dev rs_bond
gn addr add fd00:88:9::1/64 dev rs_bond nodad
BOND_MAC=$(gn -br link show rs_bond | awk '{print $3}')
LLB=$(llgid "$BOND_MAC")
C4=$(v4gid 10.88.9.1)
C6=$(v6gid fd00:88:9::1)
ACTIVE=$(ip netns exec "$NS" cat /sys/class/net/rs_bond/bonding/active_slave)
c_bond() {
	if [ "$ACTIVE" = rs_g0 ]; then
		has "$1" "$C4" rs_bond && has "$1" "$C6" rs_bond && has "$1" "$LLB" rs_bond
	else
		hasnt "$1" "$C4"
	fi
}
step bond-slave c_bond
ip netns exec "$NS" sh -c 'echo rs_h0 >/sys/class/net/rs_bond/bonding/active_slave' ||
	rs_log "cannot make rs_h0 the active slave"
c_failover() { hasnt "$1" "$C4" && hasnt "$1" "$C6"; }
step bond-failover-away c_failover
ip netns exec "$NS" sh -c 'echo rs_g0 >/sys/class/net/rs_bond/bonding/active_slave'
c_failback() { has "$1" "$C4" rs_bond && has "$1" "$C6" rs_bond; }
step bond-failover-back c_failback
gn link set rs_g0 nomaster
gn link set rs_g0 up
gn addr replace 10.88.0.1/24 dev rs_g0
c_release() { hasnt "$1" "$C4" && has "$1" "$A4" rs_g0 && has "$1" "$LL2" rs_g0; }
step bond-release c_release

# 19. rxe on a bond master.
ip netns exec "$NS" rdma link add rs_rxbond type rxe netdev rs_bond
c_master() { has "$1" "$C4" rs_bond && has "$1" "$LLB" rs_bond; }
RS_STEP_DEV=rs_rxbond step rxe-on-bond c_master
rdma link del rs_rxbond

# 20. The bond goes away.
gn link del rs_bond
c_bond_gone() { hasnt "$1" "$C4" && has "$1" "$A4" rs_g0; }
step bond-del c_bond_gone

# 21-28. Churn: seeded random address, link and MAC events in one batch.
churn_batch() {
	local i r n mac=$MAC
	RANDOM=$SEED
	for ((i = 0; i < CHURN; i++)); do
		r=$((RANDOM % 10))
		n=$((RANDOM % 12 + 1))
		case $r in
		0 | 1) echo "addr replace 10.88.20.$n/24 dev rs_g0" ;;
		2 | 3) echo "addr del 10.88.20.$n/24 dev rs_g0" ;;
		4 | 5) echo "addr replace fd00:88:20::$n/64 dev rs_g0 nodad" ;;
		6) echo "addr del fd00:88:20::$n/64 dev rs_g0" ;;
		7) echo "link set rs_g0 down" ;;
		8) echo "link set rs_g0 up" ;;
		9) printf 'link set rs_g0 address 02:00:00:00:8a:%02x\n' "$n" ;;
		esac
	done
	echo "link set rs_g0 up"
}
churn_batch >"$RS_OUT/churn.batch"
gn -force -batch "$RS_OUT/churn.batch" >/dev/null 2>&1
# The expected table, as a set: the default GID of the final MAC and one GID
# per address of rs_g0 (IPv4-mapped for IPv4), each as RoCE v1 and v2.
expected() {
	local mac a
	mac=$(gn -br link show rs_g0 | awk '{print $3}')
	{
		echo "$(llgid "$mac") rs_g0"
		gn -4 -o addr show dev rs_g0 | awk '{print $4}' | cut -d/ -f1 |
			while read -r a; do echo "$(v4gid "$a") rs_g0"; done
		gn -6 -o addr show dev rs_g0 | awk '{print $4}' | cut -d/ -f1 |
			while read -r a; do echo "$(v6gid "$a") rs_g0"; done
	} | while read -r a n; do
		for t in $TYPES; do echo "$a $t $n"; done
	done | sort -u
}
expected >"$RS_OUT/churn.expected"
c_churn() {
	awk '{print $2, $3, $4}' "$1" | sort -u | cmp -s - "$RS_OUT/churn.expected"
}
step "churn-$CHURN-seed-$SEED" c_churn

# 22. rdma link del: the device and its table go.
rdma link del $DEV
c_gone() { [ ! -e /sys/class/infiniband/$DEV ]; }
if c_gone; then
	ktap_test_pass "rdma link del removes the device [$IMPL]"
else
	ktap_test_fail "rdma link del removes the device [$IMPL]"
fi

ktap_finished
