#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the guest: every benchmark registered under
# /sys/kernel/debug/rdma_impl/, each implementation in turn, REPEATS times;
# prints the median time per iteration of each and the Rust/C ratio. Then
# the GID convergence benchmark: 256 addresses on 32 VLANs of an rxe NIC,
# added and removed in one batch each, timed until the GID table has
# converged, with the stack loaded with each implementation in turn.
#
#   bench.sh RESULTS_DIR [ITERATIONS] [REPEATS]
# RS_LIB is the kselftests' rdma_rs_lib.sh (stack loading helpers).
set -u
R=$1
ITERS=${2:-200000}
REPEATS=${3:-9}
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
D=/sys/kernel/debug/rdma_impl

for m in ib_core ib_uverbs rdma_cm rdma_ucm rdma_rxe; do modprobe $m; done
# Every benchmark takes the name of an RDMA device to work on.
ip link add rs_b0 type veth peer name rs_b1
ip addr add 10.90.0.1/24 dev rs_b0
ip link set rs_b0 up
ip link set rs_b1 up
rdma link add rs_bench0 type rxe netdev rs_b0
sleep 1

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# row name c_samples rust_samples [unit]: one line of the table, from the
# medians of two files of samples.
row() {
	local c r ratio
	c=$(median <"$2")
	r=$(median <"$3")
	ratio=$(awk -v c="$c" -v r="$r" 'BEGIN { if (c > 0) printf "%.3f", r / c; else print "n/a" }')
	printf '%-28s %12s %12s %8s\n' "$1" "$c${4:-}" "$r${4:-}" "$ratio" | tee -a "$R/bench.txt"
}

printf '%-28s %12s %12s %8s\n' benchmark "C ns/iter" "Rust ns/iter" Rust/C | tee "$R/bench.txt"
for f in "$D"/*; do
	[ -f "$f" ] || continue
	name=${f##*/}
	# sa_mcast and cma_mcast have their own rows below.
	case $name in sa_mcast | cma_mcast) continue ;; esac
	: >"$R/bench.$name.c"
	: >"$R/bench.$name.rust"
	: >"$R/bench.$name.results.c"
	: >"$R/bench.$name.results.rust"
	for i in $(seq "$REPEATS"); do
		for impl in c rust; do
			if ! echo "$impl $ITERS rs_bench0" >"$f"; then
				echo "$name: $impl run failed" >&2
				continue
			fi
			read -r _ iters ns ret <"$f"
			# A benchmark's result (>= 0) is what the code computed: it
			# must be the same for C and Rust.
			[ "$ret" -ge 0 ] || continue
			echo "$ret" >>"$R/bench.$name.results.$impl"
			echo "$ns $iters" | awk '{ printf "%.3f\n", $1 / $2 }' >>"$R/bench.$name.$impl"
		done
	done
	row "$name" "$R/bench.$name.c" "$R/bench.$name.rust"
	# Every run of both computed one and the same result.
	cres=$(sort -u "$R/bench.$name.results.c" | tr '\n' ' ')
	rres=$(sort -u "$R/bench.$name.results.rust" | tr '\n' ' ')
	if [ -z "$cres" ] || [ "$cres" != "$rres" ] || [ "$(echo $cres | wc -w)" != 1 ]; then
		echo "$name: C computed ${cres:-nothing}, Rust ${rres:-nothing}" |
			tee -a "$R/bench.txt" >&2
		bench_bad=1
	fi
done
echo "(medians of $REPEATS runs of $ITERS iterations, C and Rust alternating)" | tee -a "$R/bench.txt"

# SA multicast through the software SA of multicast.c/multicast.rs: N joins
# then N leaves, one operation each; the time per operation and the SA
# messages per operation.
mcast_row() { # name N members|groups
	local f=$D/sa_mcast impl i msgs
	: >"$R/bench.$1.c"
	: >"$R/bench.$1.rust"
	for i in $(seq "$REPEATS"); do
		for impl in c rust; do
			echo "$impl $2 $3" >"$f" || { echo "$1: $impl run failed" >&2; continue; }
			read -r _ _ ns msgs <"$f"
			echo "$ns $2" | awk '{ printf "%.1f\n", $1 / (2 * $2) }' >>"$R/bench.$1.$impl"
			echo "$msgs" >"$R/bench.$1.$impl.msgs"
		done
	done
	row "$1" "$R/bench.$1.c" "$R/bench.$1.rust"
	printf '  SA messages per operation: C %s, Rust %s\n' \
		"$(awk -v n="$2" '{ printf "%.4f (%d)", $1 / (2 * n), $1 }' "$R/bench.$1.c.msgs")" \
		"$(awk -v n="$2" '{ printf "%.4f (%d)", $1 / (2 * n), $1 }' "$R/bench.$1.rust.msgs")" |
		tee -a "$R/bench.txt"
}
if [ -f "$D/sa_mcast" ]; then
	mcast_row sa_mcast_10000_members 10000 members
	mcast_row sa_mcast_1000_groups 1000 groups
	echo "(SA multicast: ns per join or leave through a software SA; medians of $REPEATS)" | tee -a "$R/bench.txt"
fi

# rdma_cm multicast: join, join event, leave, on rs_bench0's IPv4 address.
if [ -f "$D/cma_mcast" ]; then
	CMA_ITERS=${CMA_ITERS:-200}
	: >"$R/bench.cma_mcast.c"
	: >"$R/bench.cma_mcast.rust"
	for i in $(seq "$REPEATS"); do
		for impl in c rust; do
			echo "$impl $CMA_ITERS 10.90.0.1" >"$D/cma_mcast" ||
				{ echo "cma_mcast: $impl run failed" >&2; continue; }
			read -r _ iters ns joins <"$D/cma_mcast"
			[ "$joins" = "$iters" ] ||
				{ echo "cma_mcast: $impl: $joins of $iters joins" >&2; continue; }
			echo "$ns $iters" | awk '{ printf "%.1f\n", $1 / $2 }' >>"$R/bench.cma_mcast.$impl"
		done
	done
	row "cma_mcast_join_event_leave" "$R/bench.cma_mcast.c" "$R/bench.cma_mcast.rust"
	echo "(rdma_cm multicast on rxe: ns per join + join event + leave; medians of $REPEATS x $CMA_ITERS)" |
		tee -a "$R/bench.txt"
fi
# The rdma_cm device: C and Rust files side by side (rdma_ucm.ucma_impl is
# read at each open()): CREATE_ID + DESTROY_ID pairs, and JOIN_IP_MCAST to
# its event read by a blocking GET_EVENT, through raw write()s.
UCMA_BENCH=$(dirname "$RS_LIB")/rdma_rs_ucma_bench
if [ -x "$UCMA_BENCH" ] && [ -w /sys/module/rdma_ucm/parameters/ucma_impl ]; then
	"$UCMA_BENCH" 10.90.0.1 239.8.0.1 "${UCMA_PAIRS:-2000}" "${UCMA_JOINS:-200}" "$REPEATS" \
		>"$R/bench.ucma.out" || echo "ucma: benchmark failed" >&2
	for m in create_destroy join_event; do
		for impl in c rust; do
			awk -v m=$m -v i=$impl '$1 == m && $2 == i { print $3 }' "$R/bench.ucma.out" \
				>"$R/bench.ucma_$m.$impl"
		done
		row "ucma_$m" "$R/bench.ucma_$m.c" "$R/bench.ucma_$m.rust"
	done
	echo "(rdma_cm device: ns per CREATE_ID + DESTROY_ID, per JOIN_IP_MCAST + its event; medians of $REPEATS)" |
		tee -a "$R/bench.txt"
fi
rdma link del rs_bench0
ip link del rs_b0

# --- GID convergence -------------------------------------------------------
# shellcheck disable=SC1090
RS_OUT=$R/conv
mkdir -p "$RS_OUT"
source "$RS_LIB"
CONV_REPEATS=${CONV_REPEATS:-3}

# valid_gids dev: the number of valid entries in port 1's GID table.
valid_gids() {
	local f gid n=0 zero=0000:0000:0000:0000:0000:0000:0000:0000
	for f in /sys/class/infiniband/"$1"/ports/1/gids/*; do
		read -r gid <"$f" 2>/dev/null || continue
		[ "$gid" != $zero ] && n=$((n + 1))
	done
	echo $n
}

# converge dev slot set|clear: milliseconds until GID slot `slot` of port 1 is
# set (or cleared). The GID cache fills the lowest free slot and the events
# are handled in order, so the last address's slot is the last to change.
converge() {
	local t0 i gid f=/sys/class/infiniband/$1/ports/1/gids/$2
	local zero=0000:0000:0000:0000:0000:0000:0000:0000
	t0=$(date +%s%N)
	for i in $(seq 6000); do
		read -r gid <"$f"
		if [ "$3" = set ]; then
			[ "$gid" != $zero ] && break
		else
			[ "$gid" = $zero ] && break
		fi
		sleep 0.01
	done
	echo $((($(date +%s%N) - t0) / 1000000))
}

conv_run() {
	local impl=$1 v a
	# No IPv6 on these devices: link-local addresses finishing DAD while
	# the clock runs would move the target.
	sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	ip link add rs_c0 type veth peer name rs_c1
	ip link set rs_c0 up
	ip link set rs_c1 up
	: >"$RS_OUT/add.batch"
	: >"$RS_OUT/del.batch"
	# /32 each: deleting the primary address of a shared subnet would take
	# its secondaries with it.
	for v in $(seq 32); do
		echo "link add link rs_c0 name rs_c0.$v type vlan id $v" >>"$RS_OUT/vlan.batch"
		echo "link set rs_c0.$v up" >>"$RS_OUT/vlan.batch"
		for a in $(seq 8); do
			echo "addr add 10.91.$v.$a/32 dev rs_c0.$v" >>"$RS_OUT/add.batch"
			echo "addr del 10.91.$v.$a/32 dev rs_c0.$v" >>"$RS_OUT/del.batch"
		done
	done
	ip -batch "$RS_OUT/vlan.batch"
	rm -f "$RS_OUT/vlan.batch"
	rdma link add rs_conv type rxe netdev rs_c0
	sleep 2
	local base ntypes last n d=/sys/class/infiniband/rs_conv/ports/1
	base=$(valid_gids rs_conv)
	# One entry per GID type of the port: as many as the default GID has.
	ntypes=$(grep -lx "$(cat $d/gids/0)" $d/gids/* | wc -l)
	for i in $(seq "$CONV_REPEATS"); do
		last=$((base + 256 * ntypes - 1))
		ip -force -batch "$RS_OUT/add.batch" &
		converge rs_conv $last set >>"$RS_OUT/add.$impl"
		wait $!
		n=$(valid_gids rs_conv)
		[ "$n" -eq $((last + 1)) ] || echo "$impl: $n GIDs after adding, not $((last + 1))" >&2
		ip -force -batch "$RS_OUT/del.batch" &
		converge rs_conv $last clear >>"$RS_OUT/del.$impl"
		wait $!
		n=$(valid_gids rs_conv)
		[ "$n" -eq "$base" ] || echo "$impl: $n GIDs after removing, not $base" >&2
	done
	rdma link del rs_conv
	ip link del rs_c0
	sysctl -qw net.ipv6.conf.default.disable_ipv6=0
}

: >"$RS_OUT/add.c"; : >"$RS_OUT/del.c"; : >"$RS_OUT/add.rust"; : >"$RS_OUT/del.rust"
for impl in c rust; do
	rs_unload_stack && rs_load_stack "$impl" || { echo "cannot load $impl" >&2; continue; }
	conv_run $impl
done
for op in add del; do
	row "gid_converge_256_$op" "$RS_OUT/$op.c" "$RS_OUT/$op.rust" ms
done
echo "(GID convergence: 256 IPv4 addresses on 32 VLANs, one GID per address and type; medians of $CONV_REPEATS)" | tee -a "$R/bench.txt"
# --- SA multicast on the software IB fabric ---------------------------------
# Through the kernel client samples/rust/rust_rdma_mcast on the software
# InfiniBand fabric, whose SA (sib_sm) answers over MADs: 1,000 groups joined
# by one rdma_cm id (one SA join each), and 10,000 ids joining one group (one
# SA join; the SA multicast piece counts the other members); then every join
# left. The stack is loaded with each implementation in turn.
WIRE_REPEATS=${WIRE_REPEATS:-3}
MC=/sys/kernel/debug/rust_rdma_mcast
# kv line key: the value of key=value in line.
kv() {
	local v=${1#* "$2"=}
	echo "${v%% *}"
}
# wire_run impl: the benchmarks of one implementation, WIRE_REPEATS times.
wire_run() {
	local impl=$1 ifc i name members groups line joins
	modprobe sib ports=2 && modprobe sib_sm && modprobe ib_ipoib &&
		modprobe rust_rdma_mcast || { echo "wire: cannot load the fabric" >&2; bench_bad=1; return 1; }
	rs_wait eval '[ -n "$(rs_ipoib_of sib1)" ]' ||
		{ echo "wire: no IPoIB on sib1" >&2; bench_bad=1; return 1; }
	ifc=$(rs_ipoib_of sib1)
	ip addr add 10.92.0.1/24 dev "$ifc"
	ip link set "$ifc" up
	ip route add 239.0.0.0/8 dev "$ifc"
	rs_wait eval '[ "$(cat /sys/class/net/$ifc/carrier)" = 1 ]' ||
		{ echo "wire: no carrier on $ifc" >&2; bench_bad=1; return 1; }
	for i in $(seq "$WIRE_REPEATS"); do
		for name in groups_1000 members_10000; do
			case $name in
			groups_1000) members=1 groups=1000 ;;
			*) members=10000 groups=1 ;;
			esac
			if ! echo "bench 10.92.0.1 239.9.0.1 $members $groups" >$MC/control; then
				echo "wire $name: $impl run failed: $(cat $MC/bench)" >&2
				bench_bad=1
				continue
			fi
			line=$(cat $MC/bench)
			joins=$(kv "$line" joins)
			awk -v t="$(kv "$line" join_ns)" -v n="$joins" 'BEGIN { printf "%.1f\n", t / n }' \
				>>"$RS_OUT/wire_join_$name.$impl"
			awk -v t="$(kv "$line" leave_ns)" -v n="$joins" 'BEGIN { printf "%.1f\n", t / n }' \
				>>"$RS_OUT/wire_leave_$name.$impl"
		done
	done
	ip link set "$ifc" down
	modprobe -r rust_rdma_mcast ib_ipoib sib_sm sib
}
for impl in c rust; do
	for name in groups_1000 members_10000; do
		: >"$RS_OUT/wire_join_$name.$impl"
		: >"$RS_OUT/wire_leave_$name.$impl"
	done
done
if modinfo rust_rdma_mcast >/dev/null 2>&1 && modinfo sib_sm >/dev/null 2>&1; then
	for impl in c rust; do
		rs_unload_stack && rs_load_stack "$impl" ||
			{ echo "cannot load $impl" >&2; bench_bad=1; continue; }
		wire_run $impl
	done
	for name in groups_1000 members_10000; do
		row "sib_join_$name" "$RS_OUT/wire_join_$name.c" "$RS_OUT/wire_join_$name.rust"
		row "sib_leave_call_$name" "$RS_OUT/wire_leave_$name.c" "$RS_OUT/wire_leave_$name.rust"
	done
	echo "(SA multicast on the software IB fabric through the kernel client: ns per join, from" \
		"the call to its event, and per leave call, which returns before the SA's DELETE;" \
		"groups_1000: an SA round trip each; members_10000: one, the rest counted by the" \
		"SA multicast piece; medians of $WIRE_REPEATS)" | tee -a "$R/bench.txt"
fi
# --- IPoIB's multicast join task on the software IB fabric ------------------
# ib_ipoib loaded with mcast_impl=c and =rust in turn, IPOIB_REPEATS times
# each, alternating: the time from `ip link set up` on sib1's interface to its
# carrier (the broadcast group joined and attached), and to 100 more groups
# (added with rs_maddr while it was down) joined and attached, with every
# other group of its multicast list (/proc/net/dev_mcast; sib's debugfs
# sib/sib1/mcast lists the attached ones). IPv6 is off on the interface.
IPOIB_REPEATS=${IPOIB_REPEATS:-5}
IPOIB_GROUPS=100
# ipoib_up_ms impl: one bring-up; prints "carrier_ms groups_ms".
ipoib_up_ms() {
	local ifc g rc
	modprobe ib_ipoib mcast_impl="$1" || return 1
	rs_wait eval '[ -n "$(rs_ipoib_of sib1)" ]' || { modprobe -r ib_ipoib; return 1; }
	ifc=$(rs_ipoib_of sib1)
	sysctl -qw "net.ipv6.conf.$ifc.disable_ipv6=1"
	# shellcheck disable=SC2046
	rs_maddr "$ifc" add $(for g in $(seq $IPOIB_GROUPS); do
		rs_sa_mgid4 "239.10.$((g / 256)).$((g % 256))"
		echo
	done) || { modprobe -r ib_ipoib; return 1; }
	python3 -c '
import subprocess, sys, time
ifc = sys.argv[1]
# Every group of the interface: its multicast list, and the broadcast group.
def groups():
    with open("/proc/net/dev_mcast") as f:
        return 1 + sum(1 for l in f if l.split()[1] == ifc)
def carrier():
    with open("/sys/class/net/%s/carrier" % ifc) as f:
        return f.read().strip() == "1"
def attached():
    with open("/sys/kernel/debug/sib/sib1/mcast") as f:
        return sum(1 for _ in f)
t0 = time.monotonic()
subprocess.run(["ip", "link", "set", ifc, "up"], check=True)
tc = None
while time.monotonic() - t0 < 300:
    if tc is None and carrier():
        tc = time.monotonic()
    if tc is not None and attached() >= groups():
        print("%.1f %.1f" % ((tc - t0) * 1e3, (time.monotonic() - t0) * 1e3))
        sys.exit(0)
    time.sleep(0.002)
sys.exit(1)' "$ifc"
	rc=$?
	ip link set "$ifc" down
	modprobe -r ib_ipoib
	return $rc
}
if modinfo sib_sm >/dev/null 2>&1 &&
	modinfo -F parm ib_ipoib 2>/dev/null | grep -q '^mcast_impl:'; then
	for impl in c rust; do
		: >"$RS_OUT/ipoib_carrier.$impl"
		: >"$RS_OUT/ipoib_groups.$impl"
	done
	if modprobe sib ports=2 && modprobe sib_sm; then
		for i in $(seq "$IPOIB_REPEATS"); do
			for impl in c rust; do
				if ! line=$(ipoib_up_ms $impl); then
					echo "ipoib: $impl bring-up failed" >&2
					bench_bad=1
					continue
				fi
				echo "${line% *}" >>"$RS_OUT/ipoib_carrier.$impl"
				echo "${line#* }" >>"$RS_OUT/ipoib_groups.$impl"
			done
		done
		modprobe -r sib_sm sib
	else
		echo "ipoib: cannot load the fabric" >&2
		bench_bad=1
	fi
	row ipoib_ifup_to_carrier "$RS_OUT/ipoib_carrier.c" "$RS_OUT/ipoib_carrier.rust" ms
	row "ipoib_ifup_to_${IPOIB_GROUPS}_groups" "$RS_OUT/ipoib_groups.c" \
		"$RS_OUT/ipoib_groups.rust" ms
	echo "(IPoIB on the software IB fabric: ms from ip link set up to the carrier, and to" \
		"$IPOIB_GROUPS more groups joined and attached; medians of $IPOIB_REPEATS," \
		"C and Rust alternating)" | tee -a "$R/bench.txt"
fi
# A benchmark whose C and Rust results differ fails the run.
exit "${bench_bad:-0}"
