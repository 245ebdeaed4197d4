#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Bring the cached kernel source up to date with this repo:
#   1. patches/*.patch are applied to the pristine base commit through a
#      scratch index, and the tree is moved to the result with a checkout that
#      only rewrites files whose content changed (so Kbuild rebuilds only
#      what the patch series really changed);
#   2. overlay files (new files at their kernel paths) are copied in when
#      their content differs, and files dropped from the overlay are removed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ -e "$SRC_DIR/.rdma-rs-base" ] || die "no kernel source in $SRC_DIR: run scripts/setup.sh"
base=$(cat "$SRC_DIR/.rdma-rs-base")
cd "$SRC_DIR"

# --- patches -------------------------------------------------------------
shopt -s nullglob
patches=("$RDMA_RS_TOP"/patches/*.patch)
phash=$(cat /dev/null "${patches[@]}" | sha256sum | cut -c1-16)
if [ "$(cat .git/rdma-rs-patches 2>/dev/null)" != "$phash" ]; then
	log "applying ${#patches[@]} patches to the kernel source"
	idx=.git/rdma-rs-index
	rm -f "$idx"
	GIT_INDEX_FILE=$idx git read-tree "$base"
	for p in "${patches[@]}"; do
		GIT_INDEX_FILE=$idx git apply --cached --whitespace=nowarn "$p" ||
			die "patch does not apply: ${p#"$RDMA_RS_TOP"/}"
	done
	tree=$(GIT_INDEX_FILE=$idx git write-tree)
	rm -f "$idx"
	commit=$(git commit-tree "$tree" -p "$base" -m "rdma-rs patches $phash")
	git checkout -q -f --detach "$commit"
	echo "$phash" >.git/rdma-rs-patches
fi

# --- overlay -------------------------------------------------------------
manifest=.git/rdma-rs-overlay
new_manifest=$(mktemp)
(
	cd "$RDMA_RS_TOP"
	for d in drivers include rust samples tools Documentation; do
		if [ -d "$d" ]; then find "$d" -type f ! -name "*.orig" ! -name "*~"; fi
	done
) | sort >"$new_manifest"
copied=0
while read -r f; do
	if git cat-file -e "HEAD:$f" 2>/dev/null; then
		die "overlay file $f exists upstream or in a patch: change it through patches/"
	fi
	if ! cmp -s "$RDMA_RS_TOP/$f" "$f"; then
		mkdir -p "$(dirname "$f")"
		cp "$RDMA_RS_TOP/$f" "$f"
		copied=$((copied + 1))
	fi
done <"$new_manifest"
removed=0
if [ -e "$manifest" ]; then
	while read -r f; do
		# A file the patches now create is theirs: put back their version.
		if git cat-file -e "HEAD:$f" 2>/dev/null; then
			git checkout -q HEAD -- "$f"
		else
			rm -f "$f"
		fi
		removed=$((removed + 1))
	done < <(comm -23 "$manifest" "$new_manifest")
fi
mv "$new_manifest" "$manifest"
[ $copied -eq 0 ] && [ $removed -eq 0 ] ||
	log "overlay: $copied files updated, $removed removed"
