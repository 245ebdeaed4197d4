#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job: set up the machine, build the kernel (incrementally), boot it,
# bring up soft-RoCE and show the Rust RDMA code at work.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

B=$("$RDMA_RS_TOP/scripts/build.sh" | tail -1)
R=$B/results/demo-$(date +%Y%m%d-%H%M%S)
mkdir -p "$R"
log "booting $B in QEMU (TCG)"
rc=0
"$RDMA_RS_TOP/scripts/run-qemu.sh" -r "$R" -t 900 -- \
	bash "$RDMA_RS_TOP/scripts/guest/demo.sh" "$R" "$SRC_DIR" || rc=$?
cat "$R/demo.txt" 2>/dev/null || tail -40 "$R/console.log"
[ $rc -eq 0 ] || die "demo failed (exit $rc); console: $R/console.log"
