#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the rdma-rs kernel incrementally into the cache:
#   scripts/build.sh            setup, prepare the tree, configure, build
#   PROFILE=bench scripts/build.sh   the plain kernel for the benchmarks
# and the selftests' C programs.
# Prints the build folder on the last line of stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$RDMA_RS_TOP/scripts/setup.sh"
"$RDMA_RS_TOP/scripts/prepare-tree.sh"
rust_env

B=$(build_dir)
mkdir -p "$B"
frags=("$RDMA_RS_TOP/scripts/config/base.config" "$RDMA_RS_TOP/scripts/config/$PROFILE.config")
fhash=$(cat "${frags[@]}" | sha256sum | cut -c1-16)
kmake() { make -C "$SRC_DIR" O="$B" -j"$JOBS" "$@"; }

if [ ! -e "$B/.config" ] || [ "$(cat "$B/.rdma-rs-config" 2>/dev/null)" != "$fhash" ]; then
	log "configuring $B (defconfig + kvm_guest.config + ${frags[*]##*/})"
	kmake -s defconfig >/dev/null
	kmake -s kvm_guest.config >/dev/null
	(cd "$B" && "$SRC_DIR/scripts/kconfig/merge_config.sh" -m -O "$B" "$B/.config" "${frags[@]}" >/dev/null)
	kmake -s olddefconfig >/dev/null
	# Every fragment line must hold in the final .config.
	bad=0
	while IFS= read -r line; do
		case "$line" in CONFIG_*=*) ;; *) continue ;; esac
		sym=${line%%=*}
		val=${line#*=}
		if [ "$val" = n ]; then
			grep -q "^$sym=" "$B/.config" && { log "config: $sym wanted off, is on"; bad=1; }
		else
			grep -qx "$sym=$val" "$B/.config" ||
				{ log "config: $line not honoured ($(grep "^$sym=" "$B/.config" || echo unset))"; bad=1; }
		fi
	done < <(cat "${frags[@]}")
	[ $bad -eq 0 ] || die "config fragments not honoured: fix scripts/config/*.config"
	echo "$fhash" >"$B/.rdma-rs-config"
fi

log "building in $B (-j$JOBS), log in $B/build.log"
start=$(date +%s)
if ! kmake bzImage modules >"$B/build.log" 2>&1; then
	grep -E 'error|Error|warning: unused' "$B/build.log" | head -40 >&2
	tail -20 "$B/build.log" >&2
	die "kernel build failed (full log: $B/build.log)"
fi
grep -E '^(\S+:[0-9]+:[0-9]+: )?warning' "$B/build.log" | sort -u | head -20 >&2 || true
log "build done in $(($(date +%s) - start)) s"
# The selftests' programs, built here: gcc in the emulated guest is slow.
sel=$SRC_DIR/tools/testing/selftests/rdma
for prog in rdma_rs_ucma_race rdma_rs_ucma_abi rdma_rs_ucma_bench rdma_rs_ucma_fuzz \
	rdma_rs_ib_service; do
	if [ ! -x "$sel/$prog" ] || [ "$sel/$prog.c" -nt "$sel/$prog" ]; then
		gcc -O2 -Wall -pthread -o "$sel/$prog" "$sel/$prog.c"
	fi
done
echo "$B"
