#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build every prefix of the exported series (make export), one patch at a
# time, incrementally, in a tree and a build folder of their own; name the
# first patch that breaks the build.
#
#   scripts/check-series.sh [SERIES_DIR]     (default: out/series, exported anew)
#
# The tree is the pristine source with the series applied by git am, one
# patch per step; Kbuild then rebuilds only what each patch changed. The
# configuration is the test profile's, so every option of the series is
# built once the patch that adds it is in.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

series=${1:-}
if [ -z "$series" ]; then
	series=$RDMA_RS_TOP/out/series
	"$RDMA_RS_TOP/scripts/export-patches.sh" "$series"
fi
"$RDMA_RS_TOP/scripts/setup.sh" >/dev/null
rust_env

CS=$RDMA_RS_CACHE/check-series
tree=$CS/src
B=$CS/build
base=$(cat "$SRC_DIR/.rdma-rs-base")
mkdir -p "$CS" "$B"
if [ ! -e "$tree/.git" ]; then
	git -C "$SRC_DIR" worktree prune
	git -C "$SRC_DIR" worktree add -q --detach "$tree" "$base"
fi
# Back to the pristine source, keeping file times where nothing changes.
git -C "$tree" am --abort >/dev/null 2>&1 || true
git -C "$tree" checkout -q --detach "$base"
git -C "$tree" clean -qfdx

frags=("$RDMA_RS_TOP/scripts/config/base.config" "$RDMA_RS_TOP/scripts/config/test.config")
kmake() { make -C "$tree" O="$B" -j"$JOBS" "$@"; }

n=0
total=$(ls "$series"/0*.patch | grep -vc 0000-cover-letter || true)
for p in "$series"/0*.patch; do
	case $p in *0000-cover-letter.patch) continue ;; esac
	n=$((n + 1))
	name=${p##*/}
	git -C "$tree" -c user.name=check -c user.email=check@localhost am -q "$p" ||
		die "$name does not apply (patch $n of $total)"
	# The options the series has so far, the rest of the fragments ignored.
	kmake -s defconfig >/dev/null
	kmake -s kvm_guest.config >/dev/null
	(cd "$B" && "$tree/scripts/kconfig/merge_config.sh" -m -O "$B" "$B/.config" "${frags[@]}" >/dev/null 2>&1)
	kmake -s olddefconfig >/dev/null
	start=$(date +%s)
	if ! kmake bzImage modules >"$B/build.log" 2>&1; then
		grep -E 'error|Error' "$B/build.log" | head -20 >&2
		echo "check-series: $name breaks the build (patch $n of $total); log: $B/build.log"
		exit 1
	fi
	if grep -qE '^(\S+:[0-9]+:[0-9]+: )?warning' "$B/build.log"; then
		grep -E '^(\S+:[0-9]+:[0-9]+: )?warning' "$B/build.log" | sort -u | head -10 >&2
		echo "check-series: $name builds with warnings (patch $n of $total); log: $B/build.log"
		exit 1
	fi
	echo "check-series: $n/$total $name: builds ($(($(date +%s) - start)) s)"
done
echo "check-series: all $total patches build, each on the ones before it"
