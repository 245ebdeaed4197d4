#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Static checks of the project's code:
#   scripts/check.sh clippy       make CLIPPY=1 on the Rust code (rebuilds it with clippy)
#   scripts/check.sh rustfmt      make rustfmtcheck, reported for the project's files
#   scripts/check.sh checkpatch   checkpatch.pl --strict on the exported series
set -euo pipefail
. "$(dirname "$0")/lib.sh"

B=$(build_dir)
# The Rust files of the project: the overlay's, and those the patches create or change.
rs_files() {
	(
		cd "$RDMA_RS_TOP" && git ls-files '*.rs'
		sed -n 's|^+++ b/\(.*\.rs\)$|\1|p' patches/*.patch
	) | sort -u
}

case "${1:-}" in
clippy)
	"$RDMA_RS_TOP/scripts/build.sh" >/dev/null
	rust_env
	# Rebuild the project's Rust objects through clippy; report their warnings only.
	objs=()
	for f in $(rs_files); do
		case "$f" in rust/kernel/*) continue ;; esac
		# Crate roots only: not a module of a file beside it or above it.
		d=${f%/*}
		n=${f##*/}
		n=${n%.rs}
		[ -e "$SRC_DIR/$d.rs" ] && continue
		grep -qE "^[[:space:]]*(pub(\([a-z]+\))? )?mod $n;" "$SRC_DIR/$d"/*.rs && continue
		objs+=("${f%.rs}.o")
	done
	touch "$SRC_DIR/rust/kernel/lib.rs" $(for f in $(rs_files); do echo "$SRC_DIR/$f"; done)
	make -C "$SRC_DIR" O="$B" -j"$JOBS" CLIPPY=1 prepare >/dev/null
	make -C "$SRC_DIR" O="$B" -j"$JOBS" CLIPPY=1 rust/ "${objs[@]}" >"$B/clippy.log" 2>&1 ||
		{ tail -40 "$B/clippy.log"; die "build with CLIPPY=1 failed"; }
	pat=$(rs_files | sed 's/[.]/[.]/g' | paste -sd'|')
	if grep -E -A12 '^(warning|error)' "$B/clippy.log" | grep -qE "$pat"; then
		grep -E -B2 -A12 '^(warning|error)' "$B/clippy.log" >&2
		die "clippy reported on the project's files (log: $B/clippy.log)"
	fi
	# Leave the objects built by rustc again for the next incremental build.
	"$RDMA_RS_TOP/scripts/build.sh" >/dev/null
	log "clippy: clean"
	;;
rustfmt)
	"$RDMA_RS_TOP/scripts/prepare-tree.sh"
	rust_env
	bad=0
	for f in $(rs_files); do
		rustfmt --check --edition 2021 --config-path "$SRC_DIR/.rustfmt.toml" "$SRC_DIR/$f" >&2 || bad=1
	done
	[ $bad -eq 0 ] || die "rustfmt: the files above need formatting"
	log "rustfmt: clean"
	;;
checkpatch)
	out=$RDMA_RS_TOP/out/series
	"$RDMA_RS_TOP/scripts/export-patches.sh" "$out"
	bad=0
	for p in "$out"/0*.patch; do
		case "$p" in *0000-cover-letter.patch) continue ;; esac
		# The source is a release without git history, where no commit id of a
		# Fixes: tag can be looked up. FILE_PATH_CHANGES ("does MAINTAINERS need
		# updating?") fires for every new file of a patch that leaves MAINTAINERS
		# alone; whether each new file has a maintainer is checked below instead.
		"$SRC_DIR/scripts/checkpatch.pl" --strict --no-tree --root="$SRC_DIR" -q \
			--ignore UNKNOWN_COMMIT_ID,FILE_PATH_CHANGES "$p" || bad=1
	done
	# Every file the series adds has a maintainer entry of its own (not only
	# THE REST), in the MAINTAINERS of the whole series.
	base=$(cat "$SRC_DIR/.rdma-rs-base")
	for f in $(git -C "$SRC_DIR" diff --name-only --diff-filter=A "$base" refs/rdma-rs/export); do
		(cd "$SRC_DIR" && scripts/get_maintainer.pl --no-git --no-git-fallback -f "$f") \
			2>/dev/null | grep '(maintainer:' | grep -qv 'THE REST' ||
			{ echo "no MAINTAINERS entry covers $f" >&2; bad=1; }
	done
	[ $bad -eq 0 ] || die "checkpatch --strict reported the problems above"
	log "checkpatch --strict: clean"
	;;
*) die "usage: $0 clippy|rustfmt|checkpatch" ;;
esac
