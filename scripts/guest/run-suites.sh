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
# Suites:
#   kunit      KUnit suites of the RDMA code (built-in ones ran at boot,
#              module ones run when their module loads)
#   selftests  our kselftests in tools/testing/selftests/rdma
#   upstream   upstream's rxe_*.sh kselftests there (not in the default run)
#   smoke      GID table steps (C compared with Rust), rdma-core's pyverbs
#              device, address and rdma_cm tests, rdma-core programs across
#              two namespaces, SA and rdma_cm multicast, once with each
#              implementation
#   smoke-rust, smoke-c
#              the smoke suite with one implementation (two guests at once)
#   kernel-log the memory and lock checkers: any report fails (always last)
set -u
R=$1
KSRC=$2
shift 2
SELFTESTS=$KSRC/tools/testing/selftests/rdma
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug

say() { echo "[guest] $(date +%T) $*" | tee -a "$R/progress.log"; }

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
	# Load the modules whose KUnit suites run at load time.
	modprobe ib_core
	modprobe rdma_cm
	local d n=0
	: >"$R/kunit.ktap"
	for d in /sys/kernel/debug/kunit/*/; do
		d=${d%/}
		case "${d##*/}" in
		*rdma* | *ib_* | *roce* | *rxe* | rust_kernel_net_* | rust_kernel_workqueue_owned) ;;
		*) continue ;;
		esac
		n=$((n + 1))
		cat "$d/results" >>"$R/kunit.ktap"
		# Leaf tests are the indented lines; the suite line sums them up.
		grep -E '^[[:space:]]+(not )?ok ' "$d/results" |
			ktap_to_res kunit "${d##*/}."
	done >"$R/kunit.res"
	[ $n -gt 0 ] || printf 'FAIL\tkunit: no RDMA KUnit suite ran\n' >"$R/kunit.res"
}

# run_script SUITE SCRIPT [ENV=VAL...]: one kselftest script; its KTAP test
# lines are the results, or its exit code when it prints none.
run_script() {
	local suite=$1 script=$2 name rc
	shift 2
	name=${script##*/}
	say "$suite: $name $*"
	env "$@" RS_OUT="$R/out.${name%.sh}${1:+.${1#*=}}" timeout 1200 bash "$SELFTESTS/$name" \
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
	else
		case $rc in
		0) printf 'PASS\t%s: %s%s\n' "$suite" "$name" "$tag" ;;
		4) printf 'SKIP\t%s: %s%s\n' "$suite" "$name" "$tag" ;;
		*) printf 'FAIL\t%s: %s%s (exit %d)\n' "$suite" "$name" "$tag" "$rc" ;;
		esac
	fi >>"$R/$suite.res"
}

suite_selftests() {
	: >"$R/selftests.ktap"
	: >"$R/selftests.res"
	local t
	for t in rdma_rs_impl.sh rdma_rs_client_sample.sh; do
		run_script selftests "$t"
	done
}

# Upstream's rxe kselftests, on the default implementation. Not in the
# default run: each takes about a minute in the emulated guest.
suite_upstream() {
	: >"$R/upstream.ktap"
	: >"$R/upstream.res"
	local t
	for t in "$SELFTESTS"/rxe_*.sh; do
		run_script upstream "${t##*/}"
	done
}

# smoke_impl c|rust: the smoke scripts with every piece on one implementation.
smoke_impl() {
	run_script smoke rdma_rs_gid.sh RS_IMPL=$1 RS_GID_DIR="$R/gid"
	run_script smoke rdma_rs_pyverbs.sh RS_IMPL=$1
	run_script smoke rdma_rs_smoke.sh RS_IMPL=$1
	run_script smoke rdma_rs_sa_mcast.sh RS_IMPL=$1
	run_script smoke rdma_rs_cma_mcast.sh RS_IMPL=$1
}

suite_smoke() {
	: >"$R/smoke.ktap"
	: >"$R/smoke.res"
	# Rust first: the selftests leave the stack on Rust, so one reload is saved.
	# The GID steps of the C run are compared with those of the Rust run.
	smoke_impl rust
	smoke_impl c
}

# Half of the smoke suite, for two guests at once (scripts/test.sh); the GID
# tables of the two halves are compared on the host afterwards.
suite_smoke_rust() {
	: >"$R/smoke.ktap"
	: >"$R/smoke.res"
	smoke_impl rust
}

suite_smoke_c() {
	: >"$R/smoke.ktap"
	: >"$R/smoke.res"
	smoke_impl c
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
	pat+='rust_panic|panicked at|Call Trace:'
	grep -E "$pat" "$R/dmesg.txt" >"$R/kernel-log.hits"
	{
		if [ -s "$R/kernel-log.hits" ]; then
			printf 'FAIL\tkernel-log: no BUG/WARN/KFENCE/UBSAN/lockdep/ODEBUG/SLUB report\n'
		else
			printf 'PASS\tkernel-log: no BUG/WARN/KFENCE/UBSAN/lockdep/ODEBUG/SLUB report\n'
		fi
		if [ ! -e "$R/kmemleak.txt" ]; then
			printf 'FAIL\tkernel-log: kmemleak not available\n'
		elif [ -s "$R/kmemleak.txt" ]; then
			printf 'FAIL\tkernel-log: kmemleak found no leak\n'
		else
			printf 'PASS\tkernel-log: kmemleak found no leak\n'
		fi
	} >"$R/kernel-log.res"
}

rm -f "$R"/*.res "$R"/*.ktap "$R/progress.log"
for s in "$@"; do
	case $s in
	kunit | selftests | smoke | smoke-rust | smoke-c | upstream)
		say "suite $s"
		"suite_${s//-/_}"
		;;
	kernel-log) ;;
	*) printf 'FAIL\t%s: unknown suite\n' "$s" >"$R/$s.res" ;;
	esac
done
say "suite kernel-log"
suite_kernel_log
rm -f "$R/tmp.ktap"
cat "$R"/*.res | sort -s -k1,1 | awk -F'\t' '{ n[$1]++ } END { printf "[guest] %d passed, %d failed, %d skipped\n", n["PASS"], n["FAIL"], n["SKIP"] }'
