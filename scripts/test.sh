#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The test command: build incrementally, boot the test kernel in QEMU, run the
# suites, and count every test.
#
#   scripts/test.sh                 all suites
#   scripts/test.sh smoke           one suite (kunit, selftests, smoke)
#
# Results are kept in <build folder>/results/<date>/; the last line is
# "N passed, N failed", with ", N skipped" when a test was skipped.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(kunit selftests smoke)

t0=$(date +%s)
B=$("$RDMA_RS_TOP/scripts/build.sh" | tail -1)
t1=$(date +%s)
R=$B/results/$(date +%Y%m%d-%H%M%S)
mkdir -p "$R"
ln -sfn "$R" "$B/results/latest"
log "running ${suites[*]} in QEMU; results in $R"
set +e
"$RDMA_RS_TOP/scripts/run-qemu.sh" -r "$R" -t "${RDMA_RS_TEST_TIMEOUT:-3000}" -- \
	bash "$RDMA_RS_TOP/scripts/guest/run-suites.sh" "$R" "$SRC_DIR" "${suites[@]}"
rc=$?
set -e
t2=$(date +%s)

res=$R/summary.res
cat "$R"/*.res 2>/dev/null >"$res" || true
if [ ! -e "$R/kernel-log.res" ]; then
	printf 'FAIL\tguest: did not finish (exit %d); see %s\n' "$rc" "$R/console.log" >>"$res"
	tail -30 "$R/console.log" | sed 's/^/    /' >&2 || true
elif [ $rc -ne 0 ]; then
	printf 'FAIL\tguest: run-suites exited %d\n' "$rc" >>"$res"
fi

while IFS=$'\t' read -r status name; do
	printf '%-4s %s\n' "$status" "$name"
done <"$res"
if [ -s "$R/kernel-log.hits" ]; then
	log "kernel log reports (first 20 lines):"
	head -20 "$R/kernel-log.hits" >&2
fi
if [ -s "$R/kmemleak.txt" ]; then
	log "kmemleak report (first 20 lines):"
	head -20 "$R/kmemleak.txt" >&2
fi
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
