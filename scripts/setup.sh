#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Idempotent machine setup for rdma-rs: Debian packages, the Rust pieces the
# kernel needs (rust-src, bindgen-cli, libclang 18), virtme-ng, and the pinned
# Debian linux-source-7.3 tarball. Each step says what it does; a failing step
# names what is missing and how to get it. Ends with `make rustavailable`.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

APT_PKGS=(
	# kernel build
	build-essential bc bison flex libelf-dev libssl-dev cpio kmod rsync
	xz-utils zstd dwarves python3 python3-venv git
	# guest and test userspace
	qemu-system-x86 busybox-static iproute2 iputils-ping kmod procps
	rdma-core rdmacm-utils ibverbs-utils ibverbs-providers python3-pyverbs
	coreutils util-linux
	# the benchmarks' plot (scripts/bench-plot.py, on the host)
	python3-matplotlib
)

step() { log "setup: $*"; }

stamp_dir=$RDMA_RS_CACHE/stamps
mkdir -p "$stamp_dir"

# 1. Debian packages ---------------------------------------------------------
missing=()
for p in "${APT_PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	step "installing Debian packages: ${missing[*]}"
	SUDO=
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get update -qq ||
		die "apt-get update failed: check the machine's apt sources"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null ||
		die "apt-get install failed for: ${missing[*]}"
else
	step "Debian packages present"
fi

# 2. Rust: rust-src and bindgen-cli ----------------------------------------
command -v rustup >/dev/null ||
	die "rustup not found: install Rust with rustup (https://rustup.rs), then rerun"
if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
	step "adding the rust-src component"
	rustup component add rust-src || die "rustup component add rust-src failed"
else
	step "rust-src present"
fi
# Its build (two minutes on two cores) runs while the steps below download
# and unpack; step 6 waits for it.
bindgen_pid=
bindgen_log=$RDMA_RS_CACHE/bindgen-install.log
if ! bindgen --version 2>/dev/null | grep -q " $BINDGEN_VERSION\$"; then
	step "building bindgen-cli $BINDGEN_VERSION (cargo install --locked, in the background)"
	# In a session of its own (setsid execs cargo: a background job of a
	# script leads no process group), so that one signal reaches its rustc.
	setsid cargo install --locked --quiet bindgen-cli --version "$BINDGEN_VERSION" \
		>"$bindgen_log" 2>&1 &
	bindgen_pid=$!
	# A later step that fails stops the build too.
	trap '[ -z "$bindgen_pid" ] || kill -- -"$bindgen_pid" 2>/dev/null || true' EXIT
else
	step "bindgen-cli $BINDGEN_VERSION present"
fi

# 3. Python venv: libclang 18 wheel and virtme-ng --------------------------
if [ ! -x "$VENV/bin/python3" ]; then
	step "creating the Python venv in $VENV"
	python3 -m venv "$VENV" || die "python3 -m venv failed: install python3-venv"
fi
want="libclang==$LIBCLANG_WHEEL_VERSION virtme-ng==$VIRTME_NG_VERSION"
if [ "$(cat "$stamp_dir/venv" 2>/dev/null)" != "$want" ]; then
	step "installing $want from PyPI"
	# shellcheck disable=SC2086
	"$VENV/bin/pip" install -q $want ||
		die "pip install $want failed: PyPI must be reachable"
	echo "$want" >"$stamp_dir/venv"
else
	step "libclang $LIBCLANG_WHEEL_VERSION and virtme-ng $VIRTME_NG_VERSION present"
fi
libclang_path >/dev/null || die "libclang.so not found in the libclang wheel"

# 4. Kernel source: Debian linux-source-7.3, pinned ------------------------
tarball=$RDMA_RS_CACHE/dl/linux-source-$KSERIES.tar.xz
if [ ! -s "$tarball" ] || [ "$(cat "$stamp_dir/ksrc" 2>/dev/null)" != "$KSRC_DEB_VERSION" ]; then
	step "fetching linux-source-$KSERIES $KSRC_DEB_VERSION from $KSRC_SUITE"
	apt_root=$RDMA_RS_CACHE/apt
	mkdir -p "$apt_root/lists/partial" "$apt_root/archives/partial" "$RDMA_RS_CACHE/dl"
	# Reuse the mirror this machine already uses; only the suite differs.
	uri=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null || true)
	[ -n "$uri" ] || uri=$(awk '$1 == "deb" && $3 !~ /security/ { print $2; exit }' \
		/etc/apt/sources.list 2>/dev/null || true)
	[ -n "$uri" ] || die "no Debian mirror URI found in the machine's apt sources"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $KSRC_SUITE main" \
		>"$apt_root/sources.list"
	aopts=(-o "Dir::Etc::SourceList=$apt_root/sources.list"
		-o "Dir::Etc::SourceParts=-" -o "Dir::State::Lists=$apt_root/lists"
		-o "Dir::Cache=$apt_root" -o "Dir::Cache::archives=$apt_root/archives"
		-o "APT::Get::List-Cleanup=0" -o "APT::Sandbox::User=root")
	apt-get "${aopts[@]}" update -qq ||
		die "apt-get update of $KSRC_SUITE failed (private list in $apt_root)"
	(cd "$RDMA_RS_CACHE/dl" &&
		apt-get "${aopts[@]}" download -qq "linux-source-$KSERIES=$KSRC_DEB_VERSION") ||
		die "linux-source-$KSERIES=$KSRC_DEB_VERSION not found in $KSRC_SUITE; set KSRC_DEB_VERSION"
	deb=$(ls "$RDMA_RS_CACHE"/dl/linux-source-"$KSERIES"_*.deb | head -1)
	tmp=$(mktemp -d "$RDMA_RS_CACHE/dl/x.XXXX")
	dpkg-deb -x "$deb" "$tmp"
	mv "$tmp/usr/src/linux-source-$KSERIES.tar.xz" "$tarball"
	rm -rf "$tmp" "$deb"
	echo "$KSRC_DEB_VERSION" >"$stamp_dir/ksrc"
else
	step "linux-source-$KSERIES $KSRC_DEB_VERSION present"
fi

# 5. Unpacked source tree as a git repo (base commit = pristine source) ----
if [ ! -e "$SRC_DIR/.rdma-rs-base" ]; then
	step "unpacking the kernel source into $SRC_DIR"
	rm -rf "$SRC_DIR" "$SRC_DIR.tmp"
	mkdir -p "$SRC_DIR.tmp"
	tar -C "$SRC_DIR.tmp" --strip-components=1 -xf "$tarball"
	(
		cd "$SRC_DIR.tmp"
		git init -q
		git config user.name rdma-rs
		git config user.email rdma-rs@localhost
		git config core.autocrlf false
		git config gc.auto 0
		git add -A -f . && git commit -q -m "Linux $KVER (Debian linux-source-$KSERIES $KSRC_DEB_VERSION)"
		git tag -f v$KSERIES >/dev/null
		git rev-parse HEAD >.rdma-rs-base
		echo /.rdma-rs-base >>.git/info/exclude
	)
	mv "$SRC_DIR.tmp" "$SRC_DIR"
else
	step "kernel source tree present"
fi

# 6. Rust is available? -----------------------------------------------------
if [ -n "$bindgen_pid" ]; then
	if ! wait "$bindgen_pid"; then
		tail -20 "$bindgen_log" >&2
		bindgen_pid=
		die "cargo install bindgen-cli $BINDGEN_VERSION failed: crates.io must be reachable"
	fi
	bindgen_pid=
	step "bindgen-cli $BINDGEN_VERSION built"
fi
rust_env
if ! make -s -C "$SRC_DIR" LLVM= rustavailable >/dev/null 2>&1; then
	make -C "$SRC_DIR" rustavailable || true
	die "make rustavailable failed: see above (LIBCLANG_PATH=$LIBCLANG_PATH)"
fi
step "make rustavailable: Rust is available"
