#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# IPoIB between two network namespaces on the software InfiniBand fabric
# (sib, its SM and SA in sib_sm), with the stock C IPoIB driver over the
# implementation of the SA multicast piece the unit runs: the interfaces come
# up once their broadcast join is answered; MTU 2044; ping both ways; a TCP
# stream with its data checked; IPv4 multicast from one namespace to a
# receiver in the other (a join from the IP stack and a send-only join);
# unmodified mckey through rdma_cm in the UDP and IPoIB port spaces, their
# MGIDs and Q_Keys checked in the SA's message log; udaddy, its route from a
# PathRecord.
#
# RS_IMPL=c|rust reloads the RDMA stack with that implementation first, and
# loads ib_ipoib with its multicast join task on it (ib_ipoib.mcast_impl).

source "$(dirname "$0")/rdma_rs_lib.sh"

rs_require_root
rs_require_cmds rdma ip ping python3 mckey udaddy

ktap_print_header
ktap_set_plan 13

NS_A=rs_iba
NS_B=rs_ibb

cleanup() {
	rs_kprobes_clear
	# The interfaces come back to init_net when their namespace goes.
	ip netns del $NS_A 2>/dev/null
	ip netns del $NS_B 2>/dev/null
	modprobe -r ib_ipoib sib_sm sib 2>/dev/null
}
trap cleanup EXIT

rs_stack_up || ktap_exit_fail_msg "cannot load the RDMA stack${RS_IMPL:+ with $RS_IMPL}"
modinfo sib_sm >/dev/null 2>&1 || rs_missing "sib_sm (CONFIG_INFINIBAND_SIB)"
modinfo ib_ipoib >/dev/null 2>&1 || rs_missing "ib_ipoib (CONFIG_INFINIBAND_IPOIB)"

MARK="rdma_rs_ipoib: start $$"
echo "$MARK" >/dev/kmsg

# Count the SA multicast piece's joins and leaves, and rdma_cm's and the
# rdma_cm device's entry points (mckey's), from here on: they must run the
# implementation the unit claims.
IB_ENTRIES="ib_sa_join_multicast ib_sa_free_multicast rdma_join_multicast"
IB_ENTRIES+=" rdma_leave_multicast ucma_open"
# IPoIB's join task and transmit path to groups, when ib_ipoib has both.
IPOIB_ENTRIES=
[ -n "$RS_ULP_IMPL_PARAMS" ] && IPOIB_ENTRIES="ipoib_mcast_join_task ipoib_mcast_send"
# shellcheck disable=SC2086
rs_dispatch_on $IB_ENTRIES $IPOIB_ENTRIES || ktap_exit_fail_msg "cannot set kprobes"

# The fabric, its SM and SA, and IPoIB on each port; the interfaces of sib1
# and sib2 then go to a namespace each.
# shellcheck disable=SC2046
modprobe sib ports=3 && modprobe sib_sm && modprobe ib_ipoib $(rs_ulp_param ib_ipoib:mcast_impl) ||
	ktap_exit_fail_msg "cannot load sib, sib_sm or ib_ipoib"
rs_ipoib_pair $NS_A $NS_B 10.79.0

# 1. Carrier: on only after the broadcast group's join is answered by the SA.
rs_result "carrier up on both ends after the broadcast join ($IF_A, $IF_B)" \
	rs_wait eval 'rs_carrier_in $NS_A $IF_A && rs_carrier_in $NS_B $IF_B'

# 2. The MTU: the broadcast group's 2048 less the 4-byte IPoIB header.
mtu_a=$(ip netns exec $NS_A cat "/sys/class/net/$IF_A/mtu")
rs_result "MTU is 2044 (broadcast group MTU 2048)" test "$mtu_a" = 2044

# 3. and 4. Unicast both ways: ARP over the broadcast group, then a path
# record from the SA for each neighbour.
rs_result "ping $NS_A -> $NS_B" ip netns exec $NS_A ping -c 3 -W 5 -i 0.5 10.79.0.2
rs_result "ping $NS_B -> $NS_A" ip netns exec $NS_B ping -c 3 -W 5 -i 0.5 10.79.0.1

# 5. TCP: 1 MiB of pseudo-random data, its digest checked at the other end.
tcp_ok() {
	local want
	ip netns exec $NS_A timeout "$RS_TIMEOUT" python3 -c '
import hashlib, socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.79.0.1", 17999)); s.listen(1)
c, _ = s.accept(); h = hashlib.sha256(); n = 0
while True:
    b = c.recv(65536)
    if not b: break
    h.update(b); n += len(b)
print(n, h.hexdigest())' >"$RS_OUT/tcp.server" 2>&1 &
	local spid=$!
	rs_wait eval 'ip netns exec $NS_A ss -ltn | grep -q ":17999 "'
	want=$(ip netns exec $NS_B timeout "$RS_TIMEOUT" python3 -c '
import hashlib, random, socket
d = random.Random(7).randbytes(1 << 20)
s = socket.create_connection(("10.79.0.1", 17999), timeout=30)
s.sendall(d); s.close()
print(len(d), hashlib.sha256(d).hexdigest())') || return 1
	wait $spid || return 1
	rs_log "sent: $want; received: $(cat "$RS_OUT/tcp.server")"
	[ "$want" = "$(cat "$RS_OUT/tcp.server")" ]
}
rs_result "TCP $NS_B -> $NS_A: 1 MiB, digest checked" tcp_ok

# 6. IPv4 multicast: a sender in B first (IPoIB's send-only join creates the
# group at the SA), then a receiver in A joins 239.1.2.3 from the IP stack.
# No IPoIB multicast join may fail.
mcast_ok() {
	ip netns exec $NS_A ip route add 239.0.0.0/8 dev "$IF_A"
	ip netns exec $NS_B ip route add 239.0.0.0/8 dev "$IF_B"
	ip netns exec $NS_B timeout "$RS_TIMEOUT" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("10.79.0.2"))
for i in range(300):
    s.sendto(b"datagram %d" % i, ("239.1.2.3", 17998)); time.sleep(0.1)
' >/dev/null 2>&1 &
	local cpid=$!
	rs_sleep 3
	ip netns exec $NS_A timeout "$RS_TIMEOUT" python3 -c '
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("", 17998))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             struct.pack("4s4s", socket.inet_aton("239.1.2.3"), socket.inet_aton("10.79.0.1")))
got = set()
while len(got) < 5:
    b, _ = s.recvfrom(100)
    got.add(b)
print(len(got))' >"$RS_OUT/mcast.server" 2>&1
	local rc=$? failed
	kill $cpid 2>/dev/null
	wait $cpid 2>/dev/null
	# The interfaces' own messages (KUnit's fake interface, run when ib_ipoib
	# loads, logs failures it injects under another name).
	failed=$(dmesg | sed -n "/$MARK/,\$p" |
		grep -cE "($IF_A|$IF_B): (sendonly )?multicast join failed")
	rs_log "multicast receiver: $(cat "$RS_OUT/mcast.server"); failed IPoIB joins: $failed"
	[ $rc -eq 0 ] && [ "$(cat "$RS_OUT/mcast.server")" = 5 ] && [ "$failed" = 0 ]
}
rs_result "IPv4 multicast $NS_B -> $NS_A (239.1.2.3): send-only join, then a receiver" \
	mcast_ok

# 7. and 8. rdma_cm over IB from user space: unmodified mckey (librdmacm,
# libipathverbs) between the namespaces, in the UDP and the IPoIB port space;
# each join's MGID and Q_Key as rdma_cm sets them for the port space, checked
# in the SA's message log: RDMA_PS_UDP's MGID has the RDMA CM signature
# (0x4001) and Q_Key 0x01234567, RDMA_PS_IPOIB's is IPoIB's (0x401b) with the
# broadcast group's Q_Key (0x0b1b).
SA_LOG=/sys/kernel/debug/sib_sm/sa/log
LID_A=$(($(cat /sys/class/infiniband/sib1/ports/1/lid)))
mckey_ok() {
	local ps=$1 group=$2 mgid=$3 qkey=$4 rpid
	ip netns exec $NS_A timeout "$RS_TIMEOUT" mckey -m "$group" -b 10.79.0.1 -C 20 \
		-p "$ps" >"$RS_OUT/mckey.recv" 2>&1 &
	rpid=$!
	# The receiver's join, answered, before the sender sends.
	if ! rs_wait grep -qE " resp lid=$LID_A .* GET_RESP MCMemberRecord .*status=0x0000 \
mgid=$mgid .* qkey=$qkey " $SA_LOG; then
		rs_log "no answered join of $mgid with Q_Key $qkey from LID $LID_A"
		kill $rpid 2>/dev/null
		wait $rpid 2>/dev/null
		return 1
	fi
	ip netns exec $NS_B timeout "$RS_TIMEOUT" mckey -m "$group" -b 10.79.0.2 -s -C 20 \
		-p "$ps" >"$RS_OUT/mckey.send" 2>&1 || {
		rs_log "sender: $(tr '\n' ' ' <"$RS_OUT/mckey.send")"
		kill $rpid 2>/dev/null
		wait $rpid 2>/dev/null
		return 1
	}
	wait $rpid || { rs_log "receiver: $(tr '\n' ' ' <"$RS_OUT/mckey.recv")"; return 1; }
	grep -q "data transfers complete" "$RS_OUT/mckey.recv"
}
rs_result "mckey over IB, RDMA_PS_UDP: 20 datagrams; SA join of ff12:4001:ffff::0f02:0202,\
 Q_Key 0x1234567" mckey_ok 0x111 239.2.2.2 ff12:4001:ffff:0000:0000:0000:0f02:0202 0x1234567
rs_result "mckey -p 2 over IB, RDMA_PS_IPOIB: 20 datagrams; SA join of ff12:401b:ffff::0f02:0203,\
 Q_Key 0xb1b" mckey_ok 0x2 239.2.2.3 ff12:401b:ffff:0000:0000:0000:0f02:0203 0xb1b

# 9. udaddy over IB: rdma_cm resolves the route through a PathRecord from the
# SA (logged: from B's LID, the path to A's port GID), then SIDR and UD data
# both ways.
LID_B=$(($(cat /sys/class/infiniband/sib2/ports/1/lid)))
GID_A=$(cat /sys/class/infiniband/sib1/ports/1/gids/0)
udaddy_ok() {
	local server=(udaddy -b 10.79.0.1) client=(udaddy -s 10.79.0.1 -b 10.79.0.2)
	RS_NS_A=$NS_A RS_NS_B=$NS_B rs_run_pair udaddy "${server[@]}" -- "${client[@]}" ||
		return 1
	grep -qE " resp lid=$LID_B .* GET_RESP PathRecord .*status=0x0000 dgid=$GID_A " $SA_LOG ||
		{ rs_log "no PathRecord to $GID_A answered to LID $LID_B"; return 1; }
}
rs_result "udaddy over IB: route from a PathRecord, SIDR, UD data both ways" udaddy_ok

# 10. IPoIB's join task and its sends to groups ran the implementation its
# parameter names (while ib_ipoib, and its parameter, are loaded).
ipoib_ran() {
	[ -n "$IPOIB_ENTRIES" ] || { rs_log "ib_ipoib has one join task"; return 0; }
	# shellcheck disable=SC2086
	rs_dispatch_ran $IPOIB_ENTRIES
}
rs_result "IPoIB's join task and multicast sends ran mcast_impl=\
$(cat /sys/module/ib_ipoib/parameters/mcast_impl 2>/dev/null || echo c)" ipoib_ran

# 11. The namespaces go, their interfaces back to init_net; the fabric unloads.
unload_ok() {
	ip netns del $NS_A && ip netns del $NS_B || return 1
	rs_wait eval '[ -e /sys/class/net/$IF_A ] && [ -e /sys/class/net/$IF_B ]' || return 1
	modprobe -r ib_ipoib sib_sm sib
}
rs_result "namespaces deleted, interfaces back, ib_ipoib, sib_sm and sib unload" unload_ok

# 12. IPoIB's and mckey's joins (and their leaves, and mckey's rdma_cm files)
# ran the selected
# implementation of the SA multicast piece.
impl=$(cat /sys/module/ib_core/parameters/sa_mcast_impl)
# shellcheck disable=SC2086
rs_result "IPoIB's and mckey's joins and leaves ran the implementations claimed ($impl)" \
	rs_dispatch_ran $IB_ENTRIES

ktap_finished
