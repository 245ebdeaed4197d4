#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Write the whole project as a git format-patch series against v7.3: each
# patch of patches/ with the overlay files patches/overlay.map assigns to it.
#   scripts/export-patches.sh [OUTDIR]      (default: out/series)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=${1:-$RDMA_RS_TOP/out/series}
"$RDMA_RS_TOP/scripts/setup.sh" >/dev/null
"$RDMA_RS_TOP/scripts/prepare-tree.sh"
cd "$SRC_DIR"
base=$(cat .rdma-rs-base)
map=$RDMA_RS_TOP/patches/overlay.map
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
idx=$tmp/index
export GIT_INDEX_FILE=$idx
git read-tree "$base"

# Overlay files, and which patch takes each.
(cd "$RDMA_RS_TOP" && for d in drivers include rust samples tools Documentation; do
	if [ -d "$d" ]; then find "$d" -type f ! -name '*~' ! -name '*.orig'; fi
done) | sort >"$tmp/overlay"
: >"$tmp/assigned"

add_overlay() { # prefix...
	local p f
	for p in "$@"; do
		grep -F -- "$p" "$tmp/overlay" | awk -v p="$p" 'index($0, p) == 1' || true
	done | sort -u | while read -r f; do
		grep -qxF "$f" "$tmp/assigned" && continue
		blob=$(git hash-object -w "$RDMA_RS_TOP/$f")
		mode=100644
		[ -x "$RDMA_RS_TOP/$f" ] && mode=100755
		git update-index --add --cacheinfo "$mode,$blob,$f"
		echo "$f" >>"$tmp/assigned"
	done
}

parent=$base
for p in "$RDMA_RS_TOP"/patches/*.patch; do
	name=${p##*/}
	git apply --cached --whitespace=nowarn "$p" || die "patch does not apply: $name"
	# shellcheck disable=SC2046
	add_overlay $(awk -v n="$name" '$1 == n { $1 = ""; print }' "$map")
	git mailinfo "$tmp/msg" "$tmp/diff" <"$p" >"$tmp/info"
	subject=$(sed -n 's/^Subject: //p' "$tmp/info")
	export GIT_AUTHOR_NAME=$(sed -n 's/^Author: //p' "$tmp/info")
	export GIT_AUTHOR_EMAIL=$(sed -n 's/^Email: //p' "$tmp/info")
	export GIT_AUTHOR_DATE=$(sed -n 's/^Date: //p' "$tmp/info")
	export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
	export GIT_COMMITTER_DATE=$GIT_AUTHOR_DATE
	tree=$(git write-tree)
	parent=$(printf '%s\n\n%s\n' "$subject" "$(cat "$tmp/msg")" | git commit-tree "$tree" -p "$parent")
done
left=$(comm -23 "$tmp/overlay" <(sort "$tmp/assigned"))
[ -z "$left" ] || die "overlay files no patch takes (add them to patches/overlay.map):"$'\n'"$left"
unset GIT_INDEX_FILE
rm -rf "$out"
mkdir -p "$out"
git format-patch -q --no-signature --cover-letter -o "$out" "$base..$parent"
git update-ref refs/rdma-rs/export "$parent"
log "series written to $out ($(ls "$out" | wc -l) files, top commit $parent)"
