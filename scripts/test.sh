#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The test command: build incrementally, boot the test kernel in QEMU, run the
# suites, and count every test.
#
#   scripts/test.sh                 all suites
#   scripts/test.sh smoke           one suite (kunit, selftests, smoke; the
#                                   soak-* suites are not in the default run:
#                                   make soak, scripts/soak.sh)
#
# The suites are made of units (scripts/units.sh): the KUnit suites, or one
# kselftest script with one implementation. Each unit is keyed by its inputs:
# everything that is built or run except the project's Rust sources, plus the
# Rust sources the unit runs. A unit that passed with the same key, in a run
# whose kernel log stayed clean, is not run again: its results are taken from
# that run and counted, and the output says which ones. RDMA_RS_FRESH=1 runs
# every unit (CI does).
#
# All units run in one guest with two vCPUs. Results are kept in
# <build folder>/results/<date>/; the passed units' keys and results in
# <build folder>/results/passed/. The last line is "N passed, N failed", with
# ", N skipped" when a test was skipped.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/units.sh
. "$RDMA_RS_TOP/scripts/units.sh"
# shellcheck source=tools/testing/selftests/rdma/rdma_rs_limits.sh
. "$RDMA_RS_TOP/tools/testing/selftests/rdma/rdma_rs_limits.sh"

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(kunit selftests smoke)

t0=$(date +%s)
# RDMA_RS_BUILT=1: the caller built the kernel and the programs (make soak
# runs several of these at once, on one build).
if [ "${RDMA_RS_BUILT:-0}" = 1 ]; then
	B=$(build_dir)
else
	B=$("$RDMA_RS_TOP/scripts/build.sh" | tail -1)
fi
t1=$(date +%s)
# RDMA_RS_RUN_TAG names runs that start in the same second apart.
R=$B/results/$(date +%Y%m%d-%H%M%S)${RDMA_RS_RUN_TAG:+-$RDMA_RS_RUN_TAG}
P=$B/results/passed
mkdir -p "$R/units" "$P"
ln -sfn "$R" "$B/results/latest"

# The repository's files (tracked, or new and not ignored; not out/), split
# into the project's Rust sources and the other inputs. Documentation and
# Markdown are no input of a test.
rust=()
other=()
while read -r f; do
	[ -f "$RDMA_RS_TOP/$f" ] || continue
	case $f in
	*.rs) rust+=("$f") ;;
	*.md | Documentation/*) ;;
	*) other+=("$f") ;;
	esac
done < <(git -C "$RDMA_RS_TOP" ls-files -co --exclude-standard)

# base_key: every input of a unit but the project's Rust sources: the kernel
# (version, profile, .config, the image), the repository's other files (C,
# patches, config fragments, scripts, tests), the guest's userspace and QEMU.
base_key() {
	{
		echo "$KVER $PROFILE"
		rustc --version
		gcc --version | head -1
		sha256sum "$B/.config" "$B/arch/x86/boot/bzImage" | cut -d' ' -f1
		(cd "$RDMA_RS_TOP" && sha256sum "${other[@]}")
		dpkg-query -W rdma-core rdmacm-utils ibverbs-utils ibverbs-providers \
			python3-pyverbs iproute2 qemu-system-x86 2>/dev/null || true
	} | sha256sum | cut -c1-16
}

# unit_key BASE DEPS...: the key of a unit that runs the Rust sources under
# DEPS (path prefixes; "*" all, "-" none).
unit_key() {
	local base=$1 f d
	shift
	local -a files=()
	for f in "${rust[@]}"; do
		for d in "$@"; do
			[[ $d == "*" || $f == "$d"* ]] && { files+=("$f"); break; }
		done
	done
	{
		echo "$base $*"
		[ ${#files[@]} -eq 0 ] || (cd "$RDMA_RS_TOP" && sha256sum "${files[@]}")
	} | sha256sum | cut -c1-16
}

# The units of the selected suites, their keys, and which can be reused.
base=$(base_key)
declare -A key
reused=()
: >"$R/reuse.list"
while read -r unit suite script envs deps; do
	[[ " ${suites[*]} " == *" $suite "* ]] || continue
	# The list is split into words, never expanded as a pattern ("*").
	set -f
	# shellcheck disable=SC2086
	key[$unit]=$(unit_key "$base" $deps)
	set +f
	[ "${RDMA_RS_FRESH:-0}" = 1 ] && continue
	[ "$(cat "$P/$unit/key" 2>/dev/null)" = "${key[$unit]}" ] || continue
	cp "$P/$unit/res" "$R/units/$unit.res"
	# The GID steps of one implementation are compared with the other's.
	if [ -d "$P/$unit/gid" ]; then
		mkdir -p "$R/gid"
		cp -r "$P/$unit/gid/." "$R/gid/"
	fi
	echo "$unit" >>"$R/reuse.list"
	reused+=("$unit ($(cat "$P/$unit/from"))")
done < <(rs_units)

log "running ${suites[*]} in QEMU; results in $R"
[ ${#reused[@]} -eq 0 ] || log "not run again (passed with the same inputs): ${reused[*]}"
set +e
guest_limit=$RS_LIMIT_GUEST
[[ " ${suites[*]} " == *" soak"* ]] && guest_limit=$RS_LIMIT_SOAK_GUEST
# Under a deadline (.ci/run sets one), a hung guest is stopped in time for the
# results to be counted and printed before it.
if [ -n "${RDMA_RS_DEADLINE:-}" ]; then
	left=$((RDMA_RS_DEADLINE - $(date +%s)))
	[ "$left" -ge "$guest_limit" ] || guest_limit=$((left > 60 ? left : 60))
	log "the guest has $guest_limit s (deadline $(date -d "@$RDMA_RS_DEADLINE" +%T))"
fi
"$RDMA_RS_TOP/scripts/run-qemu.sh" -r "$R" -t "$guest_limit" -- \
	bash "$RDMA_RS_TOP/scripts/guest/run-suites.sh" "$R" "$SRC_DIR" "${suites[@]}"
rc=$?
set -e
t2=$(date +%s)

# Built aside: the summary is a .res file in the results folder itself.
res=$R/.summary
cat "$R"/*.res 2>/dev/null >"$res" || true
if [ ! -e "$R/kernel-log.res" ]; then
	printf 'FAIL\tguest: did not finish (exit %d); see %s\n' "$rc" "$R/console.log" >>"$res"
	tail -30 "$R/console.log" | sed 's/^/    /' >&2 || true
elif [ "$rc" -ne 0 ]; then
	printf 'FAIL\tguest: run-suites exited %d\n' "$rc" >>"$res"
fi

while IFS=$'\t' read -r status name; do
	printf '%-4s %s\n' "$status" "$name"
done <"$res"
if [ -s "$R/kernel-log.hits" ]; then
	log "kernel log reports (first 20 lines):"
	head -20 "$R/kernel-log.hits" >&2
fi
if [ -s "$R/kmemleak.txt" ]; then
	log "kmemleak report (first 20 lines):"
	head -20 "$R/kmemleak.txt" >&2
fi
# Why each result failed, not only that it did: the comment lines a test
# printed before its "not ok" (the last 40 since the result before it).
if grep -q '^FAIL' "$res"; then
	log "what the failed results printed (first 200 lines):"
	for k in "$R"/*.ktap; do
		[ -e "$k" ] || continue
		awk -v f="${k##*/}" '
			/^[ \t]*(not )?ok [0-9]+ / {
				if ($1 == "not") {
					print "  " f ": " $0
					for (i = (n > 40 ? n - 40 : 0); i < n; i++)
						print "    " c[i % 40]
				}
				n = 0
				next
			}
			/^[ \t]*# / { c[n++ % 40] = $0 }' "$k"
	done | head -200 >&2 || true
fi
mv "$res" "$R/summary.res"
res=$R/summary.res

# Keep the units that ran and passed, if the kernel log stayed clean.
if [ -e "$R/kernel-log.res" ] && ! grep -q '^FAIL' "$R/kernel-log.res" && [ "$rc" -eq 0 ]; then
	for unit in "${!key[@]}"; do
		f=$R/units/$unit.res
		grep -qx "$unit" "$R/reuse.list" && continue
		[ -s "$f" ] && ! grep -q '^FAIL' "$f" || continue
		rm -rf "${P:?}/$unit"
		mkdir -p "$P/$unit"
		cp "$f" "$P/$unit/res"
		# A GID unit's tables, for the other implementation's next run.
		if [[ $unit == smoke.rdma_rs_gid.* ]] && [ -d "$R/gid/${unit##*.}" ]; then
			mkdir -p "$P/$unit/gid"
			cp -r "$R/gid/${unit##*.}" "$P/$unit/gid/"
		fi
		echo "${R##*/}" >"$P/$unit/from"
		echo "${key[$unit]}" >"$P/$unit/key"
	done
fi

log "build $((t1 - t0)) s, guest $((t2 - t1)) s"
if [ ${#reused[@]} -gt 0 ]; then
	n=$(while read -r unit; do cat "$R/units/$unit.res"; done <"$R/reuse.list" | grep -c . || true)
	log "$n of these $(grep -cE '^(PASS|FAIL|SKIP)' "$res" || true) results are from earlier runs with the same inputs (RDMA_RS_FRESH=1 runs all)"
fi
tally "$res"
