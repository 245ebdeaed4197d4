# SPDX-License-Identifier: GPL-2.0
# Common settings for the rdma-rs scripts. Sourced, never run.
#
# Everything that is downloaded or built lives under $RDMA_RS_CACHE, outside
# the clone, so a fresh clone on a warm machine reuses the kernel build.

RDMA_RS_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RDMA_RS_CACHE=${RDMA_RS_CACHE:-$HOME/.cache/rdma-rs}

# Pinned inputs. Override from the environment to try another one.
KVER=${KVER:-7.3.4}
KSERIES=${KVER%.*}
KSRC_DEB_VERSION=${KSRC_DEB_VERSION:-7.3.4-1~bpo13+1}
KSRC_SUITE=${KSRC_SUITE:-trixie-backports}
BINDGEN_VERSION=${BINDGEN_VERSION:-0.73.2}
LIBCLANG_WHEEL_VERSION=${LIBCLANG_WHEEL_VERSION:-18.1.1}
VIRTME_NG_VERSION=${VIRTME_NG_VERSION:-1.42}

# Build profile: "test" carries the memory and lock checkers, "bench" does not.
PROFILE=${PROFILE:-test}
JOBS=${JOBS:-$(($(nproc) + 1))}

VENV=$RDMA_RS_CACHE/venv
SRC_DIR=$RDMA_RS_CACHE/src/linux-$KVER      # pristine source + patches, a git repo
BUILD_ROOT=$RDMA_RS_CACHE/build             # one O= folder per version+config key
RESULTS_ROOT=$RDMA_RS_CACHE/results

export PATH="$HOME/.cargo/bin:$VENV/bin:$PATH"

log() { printf '[rdma-rs] %s\n' "$*" >&2; }
die() {
	printf '[rdma-rs] error: %s\n' "$*" >&2
	exit 1
}

# The libclang that bindgen loads: the PyPI wheel's copy (Debian 12 has 14).
libclang_path() {
	local p
	p=$("$VENV/bin/python3" - <<'EOF' 2>/dev/null
import os, clang
print(os.path.join(os.path.dirname(clang.__file__), "native"))
EOF
	) || return 1
	[ -e "$p/libclang.so" ] && echo "$p"
}

rust_env() {
	local lp
	lp=$(libclang_path) || die "libclang wheel missing: run scripts/setup.sh"
	export LIBCLANG_PATH=$lp
}

# Key of the kernel build folder: version + config fragments. Patches and
# overlay files are applied incrementally into the same folder.
config_key() {
	cat "$RDMA_RS_TOP"/scripts/config/base.config \
		"$RDMA_RS_TOP/scripts/config/$PROFILE.config" |
		{ echo "$KVER"; cat; } | sha256sum | cut -c1-12
}

build_dir() { echo "$BUILD_ROOT/$KVER-$PROFILE"; }

# tally FILE...: the last line of a run, "N passed, N failed" (", N skipped"
# when a result was skipped), from the PASS, FAIL and SKIP lines of the
# files; fails unless a result passed and none failed.
tally() {
	local passed failed skipped
	[ $# -gt 0 ] || return 2
	passed=$(cat "$@" | grep -c '^PASS' || true)
	failed=$(cat "$@" | grep -c '^FAIL' || true)
	skipped=$(cat "$@" | grep -c '^SKIP' || true)
	if [ "$skipped" -gt 0 ]; then
		echo "$passed passed, $failed failed, $skipped skipped"
	else
		echo "$passed passed, $failed failed"
	fi
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}
