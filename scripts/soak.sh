#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make soak: the soak suites (scripts/units.sh: soak-*), each in a guest of
# its own, several guests at once, on one build:
#
#   scripts/soak.sh                 every soak suite
#   scripts/soak.sh soak-fuzz1 ...  these
#
# RDMA_RS_SOAK_JOBS guests run at once (3). The fuzzer's runs wait for
# events most of their time, so the guests share two cores well; a guest's
# own limits (rdma_rs_limits.sh) have room for that. Each suite's output is
# <build folder>/results/soak-<date>/<suite>.log and its results folder is
# named in it; the last line sums them up: "N passed, N failed".
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/units.sh
. "$RDMA_RS_TOP/scripts/units.sh"

suites=("$@")
if [ ${#suites[@]} -eq 0 ]; then
	mapfile -t suites < <(rs_units | awk '$2 ~ /^soak-/ && !seen[$2]++ { print $2 }')
fi
for s in "${suites[@]}"; do
	rs_units | awk -v s="$s" '$2 == s { f = 1 } END { exit !f }' ||
		die "$s: no such soak suite (scripts/units.sh)"
done
jobs=${RDMA_RS_SOAK_JOBS:-3}

B=$("$RDMA_RS_TOP/scripts/build.sh" | tail -1)
# virtme-ng links the modules for the guest (.virtme_mods) when the build
# changed them: done here once, not by the guests at once.
(cd "$B" && virtme-prep-kdir-mods >/dev/null)
L=$B/results/soak-$(date +%Y%m%d-%H%M%S)
mkdir -p "$L"
log "running ${suites[*]}, $jobs guests at a time; logs in $L"

# soak_one SUITE: one suite's test run, its output and exit status kept.
soak_one() {
	local s=$1 t=$SECONDS rc=0
	RDMA_RS_BUILT=1 RDMA_RS_FRESH=1 RDMA_RS_RUN_TAG=$s \
		"$RDMA_RS_TOP/scripts/test.sh" "$s" >"$L/$s.log" 2>&1 || rc=$?
	echo "$rc" >"$L/$s.rc"
	log "$s: $(tail -1 "$L/$s.log") (exit $rc, $(((SECONDS - t) / 60)) min)"
}
# An interrupted soak takes its guests with it.
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
for s in "${suites[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n || true
	done
	log "$s: started"
	soak_one "$s" &
	sleep 2
done
wait

# Every suite's results, then the sum; a suite with no result, or whose
# test.sh failed after printing only passes, is a failure.
sum=$L/results.txt
: >"$sum"
for s in "${suites[@]}"; do
	grep -E '^(PASS|FAIL|SKIP) ' "$L/$s.log" >>"$sum" || true
	if ! grep -qE '^(PASS|FAIL|SKIP) ' "$L/$s.log"; then
		echo "FAIL $s: no result (see $L/$s.log)" >>"$sum"
	elif [ "$(cat "$L/$s.rc" 2>/dev/null)" != 0 ] && ! grep -q '^FAIL ' "$L/$s.log"; then
		echo "FAIL $s: scripts/test.sh exited $(cat "$L/$s.rc" 2>/dev/null) (see $L/$s.log)" >>"$sum"
	fi
done
cat "$sum"
tally "$sum"
