#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The test command: build incrementally, boot the test kernel in QEMU, run the
# suites, and count every test.
#
#   scripts/test.sh                 all suites
#   scripts/test.sh smoke           one suite (kunit, selftests, smoke)
#
# All suites run in one guest with two vCPUs, one implementation after the
# other (the C GID steps are compared with the Rust ones in the guest).
# RDMA_RS_SPLIT=1 runs them in two guests at once, one vCPU each: one runs
# KUnit, the selftests and the smoke suite with every piece on Rust, the other
# the smoke suite on C, and the GID tables are compared here afterwards. On 2
# host cores that is not faster: each guest runs about 2.2 times slower.
#
# Results are kept in <build folder>/results/<date>/ (with a folder per guest
# when split); the last line is "N passed, N failed", with ", N skipped" when
# a test was skipped.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

suites=("$@")
split=0
if [ ${#suites[@]} -eq 0 ]; then
	suites=(kunit selftests smoke)
	[ "${RDMA_RS_SPLIT:-0}" = 1 ] && split=1
fi

t0=$(date +%s)
B=$("$RDMA_RS_TOP/scripts/build.sh" | tail -1)
t1=$(date +%s)
R=$B/results/$(date +%Y%m%d-%H%M%S)
mkdir -p "$R"
ln -sfn "$R" "$B/results/latest"
# guest DIR SUITE...: one guest running the suites, results in DIR.
guest() {
	local d=$1
	shift
	mkdir -p "$d"
	"$RDMA_RS_TOP/scripts/run-qemu.sh" -r "$d" -t "${RDMA_RS_TEST_TIMEOUT:-3600}" -- \
		bash "$RDMA_RS_TOP/scripts/guest/run-suites.sh" "$d" "$SRC_DIR" "$@"
}

set +e
if [ $split = 1 ]; then
	log "running kunit selftests smoke-rust and smoke-c in two guests; results in $R"
	export RDMA_RS_CPUS=1
	guest "$R/rust" kunit selftests smoke-rust &
	pa=$!
	# virtme-ng prepares the module tree of the build on its first boot.
	sleep 30
	guest "$R/c" smoke-c &
	pb=$!
	wait $pa
	rca=$?
	wait $pb
	rcb=$?
	guests=("$R/rust:$rca" "$R/c:$rcb")
else
	log "running ${suites[*]} in QEMU; results in $R"
	guest "$R" "${suites[@]}"
	guests=("$R:$?")
fi
set -e
t2=$(date +%s)

# Built aside: the summary is a .res file in the results folder itself.
res=$R/.summary
: >"$res"
for g in "${guests[@]}"; do
	d=${g%:*}
	rc=${g##*:}
	name=${d#"$R"}
	name=${name#/}
	if [ -n "$name" ]; then
		# Both guests check their own kernel log.
		sed "s/\tkernel-log: /\tkernel-log ($name guest): /" "$d"/*.res 2>/dev/null >>"$res" || true
	else
		cat "$d"/*.res 2>/dev/null >>"$res" || true
	fi
	if [ ! -e "$d/kernel-log.res" ]; then
		printf 'FAIL\tguest %s: did not finish (exit %d); see %s\n' "$name" "$rc" "$d/console.log" >>"$res"
		tail -30 "$d/console.log" | sed 's/^/    /' >&2 || true
	elif [ "$rc" -ne 0 ]; then
		printf 'FAIL\tguest %s: run-suites exited %d\n' "$name" "$rc" >>"$res"
	fi
done

# The GID tables of the C guest, step by step, against the Rust guest's.
if [ $split = 1 ]; then
	n=0
	for f in "$R"/c/gid/c/*; do
		[ -e "$f" ] || continue
		b=${f##*/}
		[ -e "$R/rust/gid/rust/$b" ] || continue
		n=$((n + 1))
		if cmp -s "$f" "$R/rust/gid/rust/$b"; then
			printf 'PASS\tsmoke: rdma_rs_gid: %s [c], identical to rust\n' "${b#*-}"
		else
			printf 'FAIL\tsmoke: rdma_rs_gid: %s [c], identical to rust\n' "${b#*-}"
			diff "$R/rust/gid/rust/$b" "$f" | head -10 | sed 's/^/    /' >&2
		fi
	done >>"$res"
	[ $n -gt 0 ] || printf 'FAIL\tsmoke: rdma_rs_gid: no GID step to compare\n' >>"$res"
fi

while IFS=$'\t' read -r status name; do
	printf '%-4s %s\n' "$status" "$name"
done <"$res"
for g in "${guests[@]}"; do
	d=${g%:*}
	if [ -s "$d/kernel-log.hits" ]; then
		log "kernel log reports in $d (first 20 lines):"
		head -20 "$d/kernel-log.hits" >&2
	fi
	if [ -s "$d/kmemleak.txt" ]; then
		log "kmemleak report in $d (first 20 lines):"
		head -20 "$d/kmemleak.txt" >&2
	fi
done
mv "$res" "$R/summary.res"
res=$R/summary.res
passed=$(grep -c '^PASS' "$res" || true)
failed=$(grep -c '^FAIL' "$res" || true)
skipped=$(grep -c '^SKIP' "$res" || true)
log "build $((t1 - t0)) s, guest $((t2 - t1)) s"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
