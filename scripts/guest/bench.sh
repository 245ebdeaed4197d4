#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the guest: every benchmark, C and Rust alternating, REPEATS
# times each. A row gives the median time per operation of each, and the
# Rust/C ratio of each repetition's pair as min, median and max; bench.txt
# holds the table and bench.csv the same rows for scripts/bench-plot.py.
#
# The scaled benchmarks (the scale curves) run at the points of SCALE:
#   small (make bench)                full (make bench SCALE=full)
#   rdma_cm device ids: 1k, 10k       1k, 10k, 100k
#   SA multicast members: 1k, 10k     1k, 10k, 100k (of one group)
#   SA multicast groups: 100, 1k      100, 1k, 10k
#   GID table addresses: 64, 256      64, 256, 1023 (rxe's table is full)
#   rdma_cm joins per id: 1, 16       1, 16, 256
#
#   bench.sh RESULTS_DIR [ITERATIONS] [REPEATS]
# RS_LIB is the kselftests' rdma_rs_lib.sh (stack loading helpers), SCALE
# small or full.
set -u
R=$1
ITERS=${2:-200000}
REPEATS=${3:-5}
SCALE=${SCALE:-small}
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
D=/sys/kernel/debug/rdma_impl

case $SCALE in
small)
	UCMA_IDS=1000,10000
	SA_MEMBERS="1000 10000"
	SA_GROUPS="100 1000"
	GID_ADDRS="64 256"
	CMA_JOINS="1 16"
	;;
full)
	UCMA_IDS=1000,10000,100000
	SA_MEMBERS="1000 10000 100000"
	SA_GROUPS="100 1000 10000"
	GID_ADDRS="64 256 1023"
	CMA_JOINS="1 16 256"
	;;
*)
	echo "SCALE is small or full, not $SCALE" >&2
	exit 2
	;;
esac
[ "$REPEATS" -ge 5 ] || echo "REPEATS=$REPEATS: the ratios want at least 5" >&2

# shellcheck source=scripts/guest/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
# Every benchmark takes the name of an RDMA device to work on.
rs_bench_rxe_up || exit 1

# stats: "min median max" of the numbers on stdin.
stats() {
	sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[1], a[int((NR + 1) / 2)], a[NR]; else print "n/a n/a n/a" }'
}

# sample file value: one repetition's sample of one implementation, or NA
# when that run failed.
sample() { echo "${2:-NA}" >>"$1"; }

# row name scale unit c_samples rust_samples: one line of the table and of
# bench.csv. The samples files hold one line per repetition, in the order
# they ran (C then Rust in each); a repetition counts when both ran.
row() {
	local name=$1 scale=$2 unit=$3 pairs n c r q
	pairs=$(paste -d' ' "$4" "$5" | awk 'NF == 2 && $1 != "NA" && $2 != "NA"')
	n=$(echo "$pairs" | grep -c . || true)
	c=$(echo "$pairs" | awk 'NF { print $1 }' | stats)
	r=$(echo "$pairs" | awk 'NF { print $2 }' | stats)
	q=$(echo "$pairs" | awk 'NF && $1 > 0 { printf "%.3f\n", $2 / $1 }' | stats)
	set -- $c $r $q
	printf '%-30s %7s %5s %12s %12s  %5s %5s %5s %3d\n' "$name" "${scale:--}" "$unit" \
		"$2" "$5" "$7" "$8" "$9" "$n" | tee -a "$R/bench.txt"
	echo "$name,$scale,$unit,$1,$2,$3,$4,$5,$6,$7,$8,$9,$n" >>"$R/bench.csv"
	[ "$n" -ge "$REPEATS" ] ||
		{ echo "$name $scale: $n of $REPEATS repetitions" >&2; bench_bad=1; }
}
note() { echo "  ($*)" | tee -a "$R/bench.txt"; }

printf '%-30s %7s %5s %12s %12s  %-17s %3s\n' benchmark scale unit "C median" "Rust median" \
	"Rust/C min med max" n | tee "$R/bench.txt"
echo "benchmark,scale,unit,c_min,c_median,c_max,rust_min,rust_median,rust_max,ratio_min,ratio_median,ratio_max,repetitions" \
	>"$R/bench.csv"

# --- the benchmarks registered under /sys/kernel/debug/rdma_impl/ -----------
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
			v=
			if echo "$impl $ITERS rs_bench0" >"$f"; then
				read -r _ iters ns ret <"$f"
				# A benchmark's result (>= 0) is what the code computed:
				# it must be the same for C and Rust.
				if [ "$ret" -ge 0 ]; then
					echo "$ret" >>"$R/bench.$name.results.$impl"
					v=$(awk -v t="$ns" -v n="$iters" 'BEGIN { printf "%.3f", t / n }')
				fi
			else
				echo "$name: $impl run failed" >&2
			fi
			sample "$R/bench.$name.$impl" "$v"
		done
	done
	row "$name" "" ns "$R/bench.$name.c" "$R/bench.$name.rust"
	# Every run of both computed one and the same result.
	cres=$(sort -u "$R/bench.$name.results.c" | tr '\n' ' ')
	rres=$(sort -u "$R/bench.$name.results.rust" | tr '\n' ' ')
	if [ -z "$cres" ] || [ "$cres" != "$rres" ] || [ "$(echo $cres | wc -w)" != 1 ]; then
		echo "$name: C computed ${cres:-nothing}, Rust ${rres:-nothing}" |
			tee -a "$R/bench.txt" >&2
		bench_bad=1
	fi
done
note "ns per call, $ITERS calls per run"

# --- SA multicast through the software SA of multicast.c/multicast.rs -------
# N joins then N leaves, one operation each: the time per operation, and the
# SA messages per operation, which must be the same for C and Rust.
mcast_row() { # members|groups N
	local f=$D/sa_mcast impl i msgs v base=$R/bench.sa_mcast_$1_$2
	: >"$base.c"
	: >"$base.rust"
	for i in $(seq "$REPEATS"); do
		for impl in c rust; do
			v=
			if echo "$impl $2 $1" >"$f"; then
				read -r _ _ ns msgs <"$f"
				v=$(awk -v t="$ns" -v n="$2" 'BEGIN { printf "%.1f", t / (2 * n) }')
				echo "$msgs" >>"$base.$impl.msgs"
			else
				echo "sa_mcast $1 $2: $impl run failed" >&2
			fi
			sample "$base.$impl" "$v"
		done
	done
	row "sa_mcast_$1" "$2" ns "$base.c" "$base.rust"
	if [ "$(sort -u "$base.c.msgs" "$base.rust.msgs" | wc -l)" != 1 ]; then
		echo "sa_mcast $1 $2: SA messages C $(sort -u "$base.c.msgs" | tr '\n' ' ')," \
			"Rust $(sort -u "$base.rust.msgs" | tr '\n' ' ')" | tee -a "$R/bench.txt" >&2
		bench_bad=1
	fi
}
if [ -f "$D/sa_mcast" ]; then
	for n in $SA_MEMBERS; do mcast_row members "$n"; done
	for n in $SA_GROUPS; do mcast_row groups "$n"; done
	note "SA multicast through a software SA: ns per join or leave; members: of one group" \
		"(one SA message in all for each way), groups: one member each (one SA message each)"
else
	echo "no sa_mcast benchmark in $D" >&2
	bench_bad=1
fi

# --- rdma_cm multicast: joins per id ----------------------------------------
# One id on rs_bench0's IPv4 address joins K groups, waits for their join
# events and leaves them; CMA_JOINS_TOTAL joins per run in all.
if [ -f "$D/cma_mcast" ]; then
	CMA_JOINS_TOTAL=${CMA_JOINS_TOTAL:-512}
	for k in $CMA_JOINS; do
		base=$R/bench.cma_mcast_$k
		: >"$base.c"
		: >"$base.rust"
		iters=$(((CMA_JOINS_TOTAL + k - 1) / k))
		for i in $(seq "$REPEATS"); do
			for impl in c rust; do
				v=
				if echo "$impl $iters 10.90.0.1,$k" >"$D/cma_mcast"; then
					read -r _ _ ns joins <"$D/cma_mcast"
					if [ "$joins" = $((iters * k)) ]; then
						v=$(awk -v t="$ns" -v n="$joins" 'BEGIN { printf "%.1f", t / n }')
					else
						echo "cma_mcast $k: $impl: $joins of $((iters * k)) joins" >&2
					fi
				else
					echo "cma_mcast $k: $impl run failed" >&2
				fi
				sample "$base.$impl" "$v"
			done
		done
		row cma_mcast_joins_per_id "$k" ns "$base.c" "$base.rust"
	done
	note "rdma_cm multicast on rxe: ns per join + join event + leave, an id joining" \
		"<scale> groups at once, $CMA_JOINS_TOTAL joins per run"
else
	echo "no cma_mcast benchmark in $D" >&2
	bench_bad=1
fi

# --- the rdma_cm device -----------------------------------------------------
# C and Rust files side by side (rdma_ucm.ucma_impl is read at each open()):
# CREATE_ID + DESTROY_ID pairs, JOIN_IP_MCAST to its event read by a blocking
# GET_EVENT, and the id table at each scale: N ids created and destroyed, and
# QUERYs of random ones among them, through raw write()s.
UCMA_BENCH=$(dirname "$RS_LIB")/rdma_rs_ucma_bench
if [ -x "$UCMA_BENCH" ] && [ -w /sys/module/rdma_ucm/parameters/ucma_impl ]; then
	"$UCMA_BENCH" 10.90.0.1 239.8.0.1 "${UCMA_PAIRS:-2000}" "${UCMA_JOINS:-200}" "$REPEATS" \
		"$UCMA_IDS" >"$R/bench.ucma.out" || { echo "ucma: benchmark failed" >&2; bench_bad=1; }
	# ucma_samples measure [N]: the samples of each implementation.
	ucma_samples() {
		local impl
		for impl in c rust; do
			awk -v m="$1" -v i=$impl -v n="${2:-}" \
				'$1 == m && $2 == i { if (n == "") print $3; else if ($3 == n) print $4 }' \
				"$R/bench.ucma.out" >"$R/bench.ucma_$1${2:-}.$impl"
		done
	}
	for m in create_destroy join_event; do
		ucma_samples $m
		row "ucma_$m" "" ns "$R/bench.ucma_$m.c" "$R/bench.ucma_$m.rust"
	done
	for m in ids_create_destroy ids_lookup; do
		for n in ${UCMA_IDS//,/ }; do
			ucma_samples $m "$n"
			row "ucma_$m" "$n" ns "$R/bench.ucma_$m$n.c" "$R/bench.ucma_$m$n.rust"
		done
	done
	note "rdma_cm device: ns per CREATE_ID + DESTROY_ID, per JOIN_IP_MCAST + its event;" \
		"ids_*: with <scale> ids in the file, per CREATE_ID + DESTROY_ID, per QUERY of a random id"
else
	echo "ucma: no $UCMA_BENCH or no writable rdma_ucm.ucma_impl" >&2
	bench_bad=1
fi
rdma link del rs_bench0
ip link del rs_b0

# --- GID convergence -------------------------------------------------------
# N IPv4 addresses on VLANs of an rxe NIC (8 per VLAN) are added, then
# removed, in one ip -batch each, timed until the GID table has converged;
# the stack is reloaded with each implementation in turn, each repetition.
# (rdma_rs_lib.sh, sourced by bench-lib.sh above, writes its output here.)
RS_OUT=$R/conv
mkdir -p "$RS_OUT"

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
# set (or cleared), or nothing after a minute. The GID cache fills the lowest
# free slot and the events are handled in order, so the last address's slot
# is the last to change.
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
		[ "$i" -lt 6000 ] || return 0
		sleep 0.01
	done
	echo $((($(date +%s%N) - t0) / 1000000))
}

# conv_run impl N: one add and one delete of N addresses; appends a sample to
# $RS_OUT/{add,del}_N.impl.
conv_run() {
	local impl=$1 n=$2 v a k=0 add= del=
	# No IPv6 on these devices: link-local addresses finishing DAD while
	# the clock runs would move the target.
	sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	ip link add rs_c0 type veth peer name rs_c1
	ip link set rs_c0 up
	ip link set rs_c1 up
	: >"$RS_OUT/vlan.batch"
	: >"$RS_OUT/add.batch"
	: >"$RS_OUT/del.batch"
	# /32 each: deleting the primary address of a shared subnet would take
	# its secondaries with it.
	for v in $(seq $(((n + 7) / 8))); do
		echo "link add link rs_c0 name rs_c0.$v type vlan id $v" >>"$RS_OUT/vlan.batch"
		echo "link set rs_c0.$v up" >>"$RS_OUT/vlan.batch"
		for a in $(seq 8); do
			[ $k -lt "$n" ] || break
			k=$((k + 1))
			echo "addr add 10.91.$v.$a/32 dev rs_c0.$v" >>"$RS_OUT/add.batch"
			echo "addr del 10.91.$v.$a/32 dev rs_c0.$v" >>"$RS_OUT/del.batch"
		done
	done
	ip -batch "$RS_OUT/vlan.batch"
	rdma link add rs_conv type rxe netdev rs_c0
	sleep 2
	local base last got d=/sys/class/infiniband/rs_conv/ports/1
	base=$(valid_gids rs_conv)
	last=$((base + n - 1))
	if [ -e $d/gids/$last ]; then
		ip -force -batch "$RS_OUT/add.batch" &
		add=$(converge rs_conv $last set)
		wait $!
		got=$(valid_gids rs_conv)
		[ "$got" -eq $((last + 1)) ] ||
			{ echo "$impl: $got GIDs after adding $n, not $((last + 1))" >&2; add=; }
		ip -force -batch "$RS_OUT/del.batch" &
		del=$(converge rs_conv $last clear)
		wait $!
		got=$(valid_gids rs_conv)
		[ "$got" -eq "$base" ] || { echo "$impl: $got GIDs after removing $n, not $base" >&2; del=; }
	else
		echo "rs_conv: no GID slot $last for $n addresses" >&2
	fi
	sample "$RS_OUT/add_$n.$impl" "$add"
	sample "$RS_OUT/del_$n.$impl" "$del"
	rdma link del rs_conv
	ip link del rs_c0
	sysctl -qw net.ipv6.conf.default.disable_ipv6=0
}

for n in $GID_ADDRS; do
	for impl in c rust; do : >"$RS_OUT/add_$n.$impl"; : >"$RS_OUT/del_$n.$impl"; done
done
for i in $(seq "$REPEATS"); do
	for impl in c rust; do
		if rs_unload_stack && rs_load_stack "$impl"; then
			for n in $GID_ADDRS; do conv_run $impl "$n"; done
		else
			echo "cannot load $impl" >&2
			for n in $GID_ADDRS; do
				sample "$RS_OUT/add_$n.$impl"
				sample "$RS_OUT/del_$n.$impl"
			done
		fi
	done
done
for op in add del; do
	for n in $GID_ADDRS; do
		row "gid_converge_$op" "$n" ms "$RS_OUT/${op}_$n.c" "$RS_OUT/${op}_$n.rust"
	done
done
note "GID convergence: ms until <scale> IPv4 addresses on VLANs of an rxe NIC have a GID" \
	"each (rxe: RoCE v2 only; its table holds 1,024 and the default GID takes one)"
# --- SA multicast on the software IB fabric ---------------------------------
# Through the kernel client samples/rust/rust_rdma_mcast on the software
# InfiniBand fabric, whose SA (sib_sm) answers over MADs: 1,000 groups joined
# by one rdma_cm id (one SA join each), and 10,000 ids joining one group (one
# SA join; the SA multicast piece counts the other members); then every join
# left. The stack is reloaded with each implementation in turn, each
# repetition.
MC=/sys/kernel/debug/rust_rdma_mcast
WIRE_BENCHES="groups_1000 members_10000"
# kv line key: the value of key=value in line.
kv() {
	local v=${1#* "$2"=}
	echo "${v%% *}"
}
# wire_run impl: one run of each benchmark, a sample (or NA) for each.
wire_run() {
	local impl=$1 ifc= name members groups line joins join leave
	if modprobe sib ports=2 && modprobe sib_sm && modprobe ib_ipoib &&
		modprobe rust_rdma_mcast; then
		rs_wait eval '[ -n "$(rs_ipoib_of sib1)" ]' && ifc=$(rs_ipoib_of sib1)
	fi
	if [ -n "$ifc" ]; then
		ip addr add 10.92.0.1/24 dev "$ifc"
		ip link set "$ifc" up
		ip route add 239.0.0.0/8 dev "$ifc"
		rs_wait eval '[ "$(cat /sys/class/net/$ifc/carrier)" = 1 ]' ||
			{ echo "wire: no carrier on $ifc" >&2; ifc=; }
	else
		echo "wire: cannot load the fabric or no IPoIB on sib1" >&2
	fi
	for name in $WIRE_BENCHES; do
		case $name in
		groups_1000) members=1 groups=1000 ;;
		*) members=10000 groups=1 ;;
		esac
		join=
		leave=
		if [ -z "$ifc" ]; then
			:
		elif echo "bench 10.92.0.1 239.9.0.1 $members $groups" >$MC/control; then
			line=$(cat $MC/bench)
			joins=$(kv "$line" joins)
			join=$(awk -v t="$(kv "$line" join_ns)" -v n="$joins" 'BEGIN { printf "%.1f", t / n }')
			leave=$(awk -v t="$(kv "$line" leave_ns)" -v n="$joins" 'BEGIN { printf "%.1f", t / n }')
		else
			echo "wire $name: $impl run failed: $(cat $MC/bench)" >&2
		fi
		sample "$RS_OUT/wire_join_$name.$impl" "$join"
		sample "$RS_OUT/wire_leave_$name.$impl" "$leave"
	done
	[ -z "$ifc" ] || ip link set "$ifc" down
	modprobe -r rust_rdma_mcast ib_ipoib sib_sm sib
}
if modinfo rust_rdma_mcast >/dev/null 2>&1 && modinfo sib_sm >/dev/null 2>&1; then
	for impl in c rust; do
		for name in $WIRE_BENCHES; do
			: >"$RS_OUT/wire_join_$name.$impl"
			: >"$RS_OUT/wire_leave_$name.$impl"
		done
	done
	for i in $(seq "$REPEATS"); do
		for impl in c rust; do
			if rs_unload_stack && rs_load_stack "$impl"; then
				wire_run $impl
				continue
			fi
			echo "cannot load $impl" >&2
			for name in $WIRE_BENCHES; do
				sample "$RS_OUT/wire_join_$name.$impl"
				sample "$RS_OUT/wire_leave_$name.$impl"
			done
		done
	done
	for name in $WIRE_BENCHES; do
		row "sib_join_$name" "" ns "$RS_OUT/wire_join_$name.c" "$RS_OUT/wire_join_$name.rust"
		row "sib_leave_call_$name" "" ns "$RS_OUT/wire_leave_$name.c" \
			"$RS_OUT/wire_leave_$name.rust"
	done
	note "SA multicast on the software IB fabric through the kernel client: ns per join, from" \
		"the call to its event, and per leave call, which returns before the SA's DELETE;" \
		"groups_1000: an SA round trip each; members_10000: one, the rest counted by the" \
		"SA multicast piece"
else
	echo "wire: no rust_rdma_mcast or sib_sm module" >&2
	bench_bad=1
fi
# --- IPoIB's multicast join task on the software IB fabric ------------------
# ib_ipoib loaded with mcast_impl=c and =rust in turn, REPEATS times
# each, alternating: the time from `ip link set up` on sib1's interface to its
# carrier (the broadcast group joined and attached), and to 100 more groups
# (added with rs_maddr while it was down) joined and attached, with every
# other group of its multicast list (/proc/net/dev_mcast; sib's debugfs
# sib/sib1/mcast lists the attached ones). IPv6 is off on the interface.
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
		for i in $(seq "$REPEATS"); do
			for impl in c rust; do
				if ! line=$(ipoib_up_ms $impl); then
					echo "ipoib: $impl bring-up failed" >&2
					line="NA NA"
				fi
				sample "$RS_OUT/ipoib_carrier.$impl" "${line% *}"
				sample "$RS_OUT/ipoib_groups.$impl" "${line#* }"
			done
		done
		modprobe -r sib_sm sib
	else
		echo "ipoib: cannot load the fabric" >&2
		bench_bad=1
	fi
	row ipoib_ifup_to_carrier "" ms "$RS_OUT/ipoib_carrier.c" "$RS_OUT/ipoib_carrier.rust"
	row "ipoib_ifup_to_${IPOIB_GROUPS}_groups" "" ms "$RS_OUT/ipoib_groups.c" \
		"$RS_OUT/ipoib_groups.rust"
	note "IPoIB on the software IB fabric: ms from ip link set up to the carrier, and to" \
		"$IPOIB_GROUPS more groups joined and attached"
else
	echo "ipoib: no sib_sm module or no ib_ipoib.mcast_impl" >&2
	bench_bad=1
fi
note "scale: $SCALE; each row: C and Rust alternating, $REPEATS repetitions; Rust/C: the" \
	"ratio of each repetition's pair, min, median and max; n: the pairs that ran"
# A benchmark that fails, misses repetitions, or whose C and Rust results
# differ fails the run.
exit "${bench_bad:-0}"
