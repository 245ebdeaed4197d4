#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the QEMU guest (see scripts/run-qemu.sh):
#
#   run-suites.sh RESULTS_DIR KSRC SUITE...
#
# KSRC is the prepared kernel source (its tools/testing/selftests). Each suite
# writes RESULTS_DIR/<suite>.ktap (its raw KTAP) and RESULTS_DIR/<suite>.res,
# one "PASS|FAIL|SKIP<TAB>suite: test" line per test, which the host counts.
#
# Suites (their units, one script with one implementation each, are listed
# in scripts/units.sh):
#   kunit      KUnit suites of the RDMA code (built-in ones ran at boot,
#              module ones run when their module loads)
#   selftests  our kselftests in tools/testing/selftests/rdma
#   upstream   upstream's rxe_*.sh kselftests there (not in the default run)
#   smoke      rdma-core's pyverbs device, address and rdma_cm tests and
#              rdma-core programs across two namespaces with every piece on
#              Rust; the GID table steps, SA and rdma_cm multicast with their
#              piece on Rust; then all of them on C (the GID steps of C are
#              compared with those of Rust)
#   kernel-log the memory and lock checkers: any report fails (always last)
#
# A unit named in RESULTS_DIR/reuse.list is not run: scripts/test.sh put the
# results of its last passing run with the same inputs in
# RESULTS_DIR/units/<unit>.res. Each unit run leaves its results there too.
# A unit named in RESULTS_DIR/elsewhere.list is another guest's: neither run
# nor counted here. The folder's name (guest1, guest2) names this guest in
# the kernel-log results.
set -u
R=$1
KSRC=$2
shift 2
SELFTESTS=$KSRC/tools/testing/selftests/rdma
# shellcheck source=scripts/units.sh
source "$(dirname "$0")/../units.sh"
# shellcheck source=tools/testing/selftests/rdma/rdma_rs_limits.sh
source "$SELFTESTS/rdma_rs_limits.sh"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug

say() { echo "[guest] $(date +%T) $*" | tee -a "$R/progress.log"; }

# No udev: virtme-ng's init started systemd-udevd and waited for it to settle.
# No test needs it: devtmpfs makes the device nodes, and the tests load their
# modules and name their devices and addresses themselves. Under TCG, udev's
# workers, which run its rules on every uevent of the tests' netdevs, modules
# and RDMA devices, cost about 6 % of the guest's CPU (rdma_rs_cma_mcast.sh on
# C, 2026-12-05); and udev could load mlx5_ib with its default parameters
# before a test loads it with its own.
udevadm control --exit 2>/dev/null

# ktap_to_res SUITE PREFIX < ktap: top-level and nested "ok"/"not ok" lines
# of leaf tests into results lines.
ktap_to_res() {
	awk -v suite="$1" -v prefix="$2" '
	{
		line = $0
		sub(/^[ \t#]*/, "", line)
		if (line !~ /^(not )?ok [0-9]+ /)
			next
		status = (line ~ /^not ok/) ? "FAIL" : "PASS"
		sub(/^(not )?ok [0-9]+ (- )?/, "", line)
		if (line ~ /# *SKIP/) {
			status = "SKIP"
		}
		sub(/ *# *(SKIP|TODO).*$/, "", line)
		printf "%s\t%s: %s%s\n", status, suite, prefix, line
	}'
}

suite_kunit() {
	# Load the modules whose KUnit suites run at load time. A module that
	# does not load takes its suites with it: that is a failure of its own.
	local m d n=0
	for m in ib_core rdma_cm rdma_ucm sib_sm ib_ipoib mlx5_ib; do
		modprobe "$m" 2>"$R/modprobe.err" ||
			printf 'FAIL\tkunit: modprobe %s: %s\n' "$m" "$(tr '\n' ' ' <"$R/modprobe.err")"
	done >"$R/units/kunit.load.res"
	rm -f "$R/modprobe.err"
	: >"$R/kunit.ktap"
	for d in /sys/kernel/debug/kunit/*/; do
		d=${d%/}
		case "${d##*/}" in
		*rdma* | *ib_* | *roce* | *rxe* | rust_kernel_net_* | rust_kernel_workqueue_owned | rust_kernel_str_name_buf | \
		rust_kernel_list_set | rust_kernel_xarray_alloc) ;;
		*) continue ;;
		esac
		n=$((n + 1))
		cat "$d/results" >>"$R/kunit.ktap"
		# Leaf tests are the indented lines; the suite line sums them up. A suite
		# without leaves (one that failed to start) or whose own line is not ok
		# (its init or exit failed) is a failure of its own.
		grep -E '^[[:space:]]+(not )?ok ' "$d/results" |
			ktap_to_res kunit "${d##*/}."
		grep -qE '^[[:space:]]+(not )?ok ' "$d/results" ||
			printf 'FAIL\tkunit: %s: no test result\n' "${d##*/}"
		# The suite's own line: not ok when a test failed or its init or
		# exit did; either way a result of its own.
		if grep -qE '^not ok ' "$d/results"; then
			printf 'FAIL\tkunit: %s: the suite reported not ok\n' "${d##*/}"
		fi
	done >"$R/units/kunit.res"
	cat "$R/units/kunit.load.res" >>"$R/units/kunit.res"
	rm -f "$R/units/kunit.load.res"
	# Every suite this project adds must have run, with as many results as
	# it declares (suite:count): a suite or a test that silently drops out
	# of the build is a failure, not a smaller pass count.
	local want suite count got
	for want in rdma_cm_mcast:6 rdma_mlx5_mp_diff:5 rdma_roce_gid_filter:4 \
		rdma_rs_ipoib_mcast:11 rdma_rs_mlx5_mp:9 rdma_sa_mcast:12 \
		rdma_sa_mcast_rec:2 rdma_sib_faults:2 rdma_sib_sa:13 rdma_sib_service:3 rdma_ucm_rs:3 \
		rust_kernel_net_notifier:3 \
		rust_kernel_rdma_addr:2 rust_kernel_rdma_gid:7 rust_kernel_rdma_piece:1 \
		rust_kernel_rdma_port:2 \
		rust_kernel_rdma_sa:4 rust_kernel_rdma_ucm:2 rust_kernel_str_name_buf:1 \
		rust_kernel_list_set:3 rust_kernel_workqueue_owned:2 rust_kernel_xarray_alloc:2; do
		suite=${want%:*}
		count=${want#*:}
		if [ ! -e "/sys/kernel/debug/kunit/$suite/results" ]; then
			printf 'FAIL\tkunit: %s: suite did not run\n' "$suite"
			continue
		fi
		got=$(grep -cE '^[[:space:]]+(not )?ok ' "/sys/kernel/debug/kunit/$suite/results")
		[ "$got" -eq "$count" ] ||
			printf 'FAIL\tkunit: %s: %d results, %d declared\n' "$suite" "$got" "$count"
	done >>"$R/units/kunit.res"
	[ $n -gt 0 ] || printf 'FAIL\tkunit: no RDMA KUnit suite ran\n' >>"$R/units/kunit.res"
	# sib_sm (the SA's suite) brings the software fabric up, and ib_ipoib (the
	# IPoIB join engine's suite) makes interfaces on it: take them down, and
	# mlx5 (the multiport suites; no device here), which loads and unloads
	# cleanly with no device present.
	modprobe -r ib_ipoib sib_sm sib 2>/dev/null ||
		printf 'FAIL\tkunit: modprobe -r ib_ipoib sib_sm sib\n' >>"$R/units/kunit.res"
	modprobe -r mlx5_ib mlx5_core 2>/dev/null ||
		printf 'FAIL\tkunit: modprobe -r mlx5_ib mlx5_core\n' >>"$R/units/kunit.res"
}

# run_script UNIT SUITE SCRIPT [ENV=VAL...]: one kselftest script; its KTAP
# test lines are the results, or its exit code when it prints none.
run_script() {
	local unit=$1 suite=$2 script=$3 name rc
	shift 3
	name=${script##*/}
	say "$suite: $name $*"
	local limit=$RS_LIMIT_UNIT
	[[ $suite == soak* ]] && limit=$RS_LIMIT_SOAK_UNIT
	env "$@" RS_STRICT=1 RS_OUT="$R/out.${unit#*.}" timeout "$limit" bash "$SELFTESTS/$name" \
		>"$R/tmp.ktap" 2>&1
	rc=$?
	{ echo "# ---- $name $*"; cat "$R/tmp.ktap"; } >>"$R/$suite.ktap"
	local tag=${1:+ [${1#*=}]}
	if grep -qE '^(not )?ok [0-9]+ ' "$R/tmp.ktap"; then
		ktap_to_res "$suite" "${name%.sh}: " <"$R/tmp.ktap"
		# A script that dies before its plan is complete fails.
		if grep -q '^Bail out!' "$R/tmp.ktap" || { [ $rc -ne 0 ] && [ $rc -ne 4 ]; }; then
			printf 'FAIL\t%s: %s%s exited %d\n' "$suite" "$name" "$tag" "$rc"
		fi
		# Every script declares its results in a KTAP plan; fewer (or more)
		# results than declared fail, so the totals cannot shrink silently.
		local plan got
		plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$R/tmp.ktap" | head -1)
		got=$(grep -cE '^(not )?ok [0-9]+ ' "$R/tmp.ktap")
		if [ -z "$plan" ]; then
			printf 'FAIL\t%s: %s%s declared no plan\n' "$suite" "$name" "$tag"
		elif [ "$got" -ne "$plan" ]; then
			printf 'FAIL\t%s: %s%s: %d results, %d planned\n' "$suite" "$name" "$tag" "$got" "$plan"
		fi
	else
		case $rc in
		0) printf 'PASS\t%s: %s%s\n' "$suite" "$name" "$tag" ;;
		4) printf 'SKIP\t%s: %s%s\n' "$suite" "$name" "$tag" ;;
		*) printf 'FAIL\t%s: %s%s (exit %d%s)\n' "$suite" "$name" "$tag" "$rc" \
			"$(sed -n 's/^Bail out! */: /p' "$R/tmp.ktap" | head -1)" ;;
		esac
	fi >"$R/units/$unit.res"
}

# leftovers: what a unit left behind that the next one would find: RDMA
# devices, network namespaces, rs_* links, rdma_cm ids, kprobe events, trace
# filters. Printed, then cleaned, so that no unit depends on another's end
# state (units with the same parameters share the loaded modules, which
# their KUnit suites make a few seconds to reload under TCG).
leftovers() {
	local l= d
	d=$(ls /sys/class/infiniband 2>/dev/null | tr '\n' ' ')
	[ -n "$d" ] && l+=" RDMA devices: $d;"
	d=$(ip netns list 2>/dev/null | cut -d' ' -f1 | tr '\n' ' ')
	[ -n "$d" ] && l+=" namespaces: $d;"
	d=$(ip -o link show 2>/dev/null | awk -F': ' '$2 ~ /^rs_/ { sub(/@.*/, "", $2); print $2 }' | tr '\n' ' ')
	[ -n "$d" ] && l+=" links: $d;"
	if [ -d /sys/module/rdma_cm ]; then
		d=$(rdma res show cm_id 2>/dev/null | head -3 | tr '\n' ' ')
		[ -n "$d" ] && l+=" cm ids: $d;"
	fi
	d=$(cat /sys/kernel/tracing/kprobe_events 2>/dev/null | tr '\n' ' ')
	[ -n "$d" ] && l+=" kprobes: $d;"
	# A KUnit filter (rdma_rs_reload.sh sets one) would hide the KUnit
	# results of every later module load.
	d=$(cat /sys/module/kunit/parameters/filter_glob 2>/dev/null)
	case $d in
	"" | "(null)" | "*.*") ;;
	*)
		l+=" kunit.filter_glob: $d;"
		echo '*.*' >/sys/module/kunit/parameters/filter_glob
		;;
	esac
	echo "${l# }"
	# Clean up, whatever was found.
	for d in /sys/class/infiniband/*; do
		[ -e "$d" ] && rdma link del "${d##*/}" 2>/dev/null
	done
	for d in $(ip netns list 2>/dev/null | cut -d' ' -f1); do
		ip netns del "$d"
	done
	for d in $(ip -o link show 2>/dev/null | awk -F': ' '$2 ~ /^rs_/ { sub(/@.*/, "", $2); print $2 }'); do
		ip link del "$d" 2>/dev/null
	done
	echo 0 2>/dev/null >/sys/kernel/tracing/events/kprobes/enable
	echo 2>/dev/null >/sys/kernel/tracing/kprobe_events
}

# run_suite SUITE: the suite's units in order, each run or reused.
run_suite() {
	local suite=$1 unit s script envs deps left
	: >"$R/$suite.ktap"
	: >"$R/$suite.res"
	while read -r unit s script envs deps; do
		[ "$s" = "$suite" ] || continue
		grep -qxF "$unit" "$R/elsewhere.list" 2>/dev/null && continue
		if grep -qxF "$unit" "$R/reuse.list" 2>/dev/null; then
			say "$suite: $unit: passed before with the same inputs, not run again"
			echo "# ---- $unit: reused" >>"$R/$suite.ktap"
		elif [ "$script" = - ]; then
			"suite_$suite" </dev/null
		else
			[ "$envs" = - ] && envs=
			[ "$script" = rdma_rs_gid.sh ] && envs="$envs,RS_GID_DIR=$R/gid"
			# shellcheck disable=SC2086
			run_script "$unit" "$suite" "$script" ${envs//,/ } </dev/null
			left=$(leftovers)
			[ -z "$left" ] ||
				printf 'FAIL\t%s: %s left behind: %s\n' "$suite" "$unit" "$left" \
					>>"$R/units/$unit.res"
		fi
		cat "$R/units/$unit.res" >>"$R/$suite.res" 2>/dev/null ||
			printf 'FAIL\t%s: %s left no result\n' "$suite" "$unit" >>"$R/$suite.res"
	done < <(rs_units)
}

# Upstream's rxe kselftests, on the default implementation. Not in the
# default run: each takes about a minute in the emulated guest.
suite_upstream() {
	: >"$R/upstream.ktap"
	: >"$R/upstream.res"
	local t u
	for t in "$SELFTESTS"/rxe_*.sh; do
		u=upstream.${t##*/}
		run_script "${u%.sh}" upstream "${t##*/}"
		cat "$R/units/${u%.sh}.res" >>"$R/upstream.res"
	done
}

# The checkers' reports. Always run last.
suite_kernel_log() {
	local kml=/sys/kernel/debug/kmemleak
	if [ -w $kml ]; then
		echo scan >$kml
		sleep 6
		echo scan >$kml
		cat $kml >"$R/kmemleak.txt"
	fi
	dmesg >"$R/dmesg.txt"
	local pat='BUG:|WARNING:|Oops|general protection|Kernel panic|KFENCE:|UBSAN:|'
	pat+='INFO: possible|INFO: task .* blocked|circular locking|inconsistent lock state|'
	pat+='suspicious RCU usage|ODEBUG:|list_add corruption|list_del corruption|'
	pat+='BUG kmalloc|Object padding overwritten|Redzone overwritten|Poison overwritten|'
	pat+='rust_panic|panicked at|Call Trace:|turning off the locking correctness validator|'
	# Hangs and stalls (hung task, soft lockup, workqueue watchdog, RCU).
	pat+='blocked for more than|soft lockup|workqueue lockup|detected stall|'
	# A net_device or namespace reference left behind (ref_tracker).
	pat+='unregister_netdevice: waiting for|ref_tracker:|'
	# A KUnit test that failed when its module was loaded again by a later
	# unit (the kunit unit reads only the first load's results).
	pat+='[[:space:]]not ok [0-9]+ '
	grep -E "$pat" "$R/dmesg.txt" >"$R/kernel-log.hits"
	# The whole log since boot is searched: the ring buffer is sized so that
	# it cannot wrap in a run (log_buf_len, scripts/run-qemu.sh), and this
	# proves it did not: the boot's first line is still there.
	head -1 "$R/dmesg.txt" | grep -q 'Linux version' ||
		echo "the kernel log wrapped: its start is lost" >>"$R/kernel-log.hits"
	{
		if [ -s "$R/kernel-log.hits" ]; then
			printf 'FAIL\tkernel-log: %s: no BUG/WARN/KFENCE/UBSAN/lockdep/ODEBUG/SLUB/hang/ref_tracker/KUnit report\n' "${R##*/}"
		else
			printf 'PASS\tkernel-log: %s: no BUG/WARN/KFENCE/UBSAN/lockdep/ODEBUG/SLUB/hang/ref_tracker/KUnit report\n' "${R##*/}"
		fi
		if [ ! -e "$R/kmemleak.txt" ]; then
			printf 'FAIL\tkernel-log: %s: kmemleak not available\n' "${R##*/}"
		elif [ -s "$R/kmemleak.txt" ]; then
			printf 'FAIL\tkernel-log: %s: kmemleak found no leak\n' "${R##*/}"
		else
			printf 'PASS\tkernel-log: %s: kmemleak found no leak\n' "${R##*/}"
		fi
	} >"$R/kernel-log.res"
}

rm -f "$R"/*.res "$R"/*.ktap "$R/progress.log"
mkdir -p "$R/units"
for s in "$@"; do
	case $s in
	kunit | selftests | smoke | soak-*)
		say "suite $s"
		run_suite "$s"
		;;
	upstream)
		say "suite $s"
		suite_upstream
		;;
	kernel-log) ;;
	*) printf 'FAIL\t%s: unknown suite\n' "$s" >"$R/$s.res" ;;
	esac
done
say "suite kernel-log"
suite_kernel_log
rm -f "$R/tmp.ktap"
cat "$R"/*.res | sort -s -k1,1 | awk -F'\t' '{ n[$1]++ } END { printf "[guest] %d passed, %d failed, %d skipped\n", n["PASS"], n["FAIL"], n["SKIP"] }'
