#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Write rust-project.json at the top of the repository, for rust-analyzer:
# the kernel's own (make rust-analyzer), with the crates of this project's
# files pointing at the repository's copies, so that an editor in the clone
# navigates the code it edits. Run scripts/build.sh first.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

rust_env
B=$(build_dir)
[ -e "$B/.config" ] || die "no build in $B: run scripts/build.sh"
"$RDMA_RS_TOP/scripts/prepare-tree.sh"
make -s -C "$SRC_DIR" O="$B" rust-analyzer
python3 - "$B/rust-project.json" "$SRC_DIR" "$RDMA_RS_TOP" "$RDMA_RS_TOP/rust-project.json" <<'PY'
import json, os, sys

src_json, src, top, out = sys.argv[1:]
project = json.load(open(src_json))
mine = 0
for crate in project["crates"]:
    root = crate["root_module"]
    rel = os.path.relpath(root, src) if root.startswith(src + "/") else None
    if rel and os.path.exists(os.path.join(top, rel)):
        crate["root_module"] = os.path.join(top, rel)
        mine += 1
        src_cfg = crate.get("source")
        if src_cfg:
            src_cfg["include_dirs"] = [os.path.join(top, os.path.dirname(rel))] + [
                d for d in src_cfg.get("include_dirs", [])]
json.dump(project, open(out, "w"), indent=1)
print(f"rust-project.json: {len(project['crates'])} crates, {mine} of them the repository's", file=sys.stderr)
PY
