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
# The units run in two guests at once, the first with two vCPUs, the second
# with one (RDMA_RS_GUESTS=1: all in one 2-vCPU guest); scripts/units.sh says
# which guest runs which unit, and why. A guest with no
# unit to run is not started, but the first always is: it checks the kernel
# log of a boot. Results are kept in <build folder>/results/<date>/guest<N>/;
# the passed units' keys and results in <build folder>/results/passed/. The
# last line is "N passed, N failed", with ", N skipped" when a test was
# skipped.
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
mkdir -p "$R" "$P"
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

# The units of the selected suites, their keys, which can be reused, and the
# guest of each.
base=$(base_key)
guests=${RDMA_RS_GUESTS:-2}
case $guests in 1 | 2) ;; *) die "RDMA_RS_GUESTS is 1 or 2, not '$guests'" ;; esac
declare -A key guest reuse suite_of
units=()
to_run=(0 0 0)
while read -r unit suite script envs deps; do
	[[ " ${suites[*]} " == *" $suite "* ]] || continue
	units+=("$unit")
	suite_of[$unit]=$suite
	# The list is split into words, never expanded as a pattern ("*").
	set -f
	# shellcheck disable=SC2086
	key[$unit]=$(unit_key "$base" $deps)
	set +f
	guest[$unit]=$(rs_unit_guest "$unit" "$guests")
	if [ "${RDMA_RS_FRESH:-0}" != 1 ] &&
		[ "$(cat "$P/$unit/key" 2>/dev/null)" = "${key[$unit]}" ]; then
		reuse[$unit]=1
	else
		to_run[${guest[$unit]}]=$((to_run[${guest[$unit]}] + 1))
	fi
done < <(rs_units)
# Two guests start only when both have a unit to run; otherwise the first
# runs (and counts) every unit. It always starts: its kernel log is checked.
booted=(1)
if [ "${to_run[1]}" -gt 0 ] && [ "${to_run[2]}" -gt 0 ]; then
	booted+=(2)
else
	for unit in "${units[@]}"; do guest[$unit]=1; done
fi
# The second GID unit compares its tables with the first's (RS_GID_DIR, a
# guest's folder): they run in one guest.
[ "${guest[smoke.rdma_rs_gid.rust]:-1}" = "${guest[smoke.rdma_rs_gid.c]:-1}" ] ||
	die "scripts/units.sh: the two GID units must run in one guest"

# Each guest's folder: its units' suites, the units another guest runs
# (elsewhere.list) and its reused units' results (reuse.list, units/).
reused=()
for g in "${booted[@]}"; do
	G=$R/guest$g
	mkdir -p "$G/units"
	: >"$G/reuse.list"
	: >"$G/elsewhere.list"
	for unit in "${units[@]}"; do
		if [ "${guest[$unit]}" != "$g" ]; then
			echo "$unit" >>"$G/elsewhere.list"
			continue
		fi
		[ -n "${reuse[$unit]:-}" ] || continue
		cp "$P/$unit/res" "$G/units/$unit.res"
		# The GID steps of one implementation are compared with the other's.
		if [ -d "$P/$unit/gid" ]; then
			mkdir -p "$G/gid"
			cp -r "$P/$unit/gid/." "$G/gid/"
		fi
		echo "$unit" >>"$G/reuse.list"
		reused+=("$unit ($(cat "$P/$unit/from"))")
	done
	# The guest's suites, in the order asked for: those with a unit of its
	# own, and in the first also those without units (upstream, or a name
	# that is no suite, which the guest reports as a failure).
	gsuites=()
	for s in "${suites[@]}"; do
		has=0
		for unit in "${units[@]}"; do
			[ "${suite_of[$unit]}" = "$s" ] || continue
			has=1
			[ "${guest[$unit]}" = "$g" ] && { has=2; break; }
		done
		[ $has = 2 ] || { [ $has = 0 ] && [ "$g" = 1 ]; } && gsuites+=("$s")
	done
	: >"$G/suites"
	[ ${#gsuites[@]} -eq 0 ] || printf '%s\n' "${gsuites[@]}" >"$G/suites"
done

log "running ${suites[*]} in QEMU, ${#booted[@]} guest(s) at once; results in $R"
[ ${#reused[@]} -eq 0 ] || log "not run again (passed with the same inputs): ${reused[*]}"
set +e
guest_limit=$RS_LIMIT_GUEST
[[ " ${suites[*]} " == *" soak"* ]] && guest_limit=$RS_LIMIT_SOAK_GUEST
# Under a deadline (.ci/run sets one), a hung guest is stopped in time for the
# results to be counted and printed before it.
if [ -n "${RDMA_RS_DEADLINE:-}" ]; then
	left=$((RDMA_RS_DEADLINE - $(date +%s)))
	[ "$left" -ge "$guest_limit" ] || guest_limit=$((left > 60 ? left : 60))
	log "each guest has $guest_limit s (deadline $(date -d "@$RDMA_RS_DEADLINE" +%T))"
fi
# virtme-ng links the modules for the guest (.virtme_mods) when the build
# changed them: done here once, not by two guests at once (nor by several
# runs at once: with RDMA_RS_BUILT=1 the caller did it).
if [ "${RDMA_RS_BUILT:-0}" != 1 ]; then
	(cd "$B" && virtme-prep-kdir-mods >/dev/null) || die "virtme-prep-kdir-mods failed in $B"
fi
declare -A rc pid guest_of secs
for g in "${booted[@]}"; do
	G=$R/guest$g
	cpus=${RDMA_RS_CPUS:-2}
	[ "$g" = 1 ] || cpus=$RS_GUEST2_CPUS
	mapfile -t gsuites <"$G/suites"
	RDMA_RS_CPUS=$cpus "$RDMA_RS_TOP/scripts/run-qemu.sh" -r "$G" -t "$guest_limit" -- \
		bash "$RDMA_RS_TOP/scripts/guest/run-suites.sh" "$G" "$SRC_DIR" "${gsuites[@]}" &
	pid[$g]=$!
	guest_of[$!]=$g
done
# An interrupted run takes its guests with it (run-qemu.sh stops its QEMU).
trap 'kill "${pid[@]}" 2>/dev/null || true' EXIT
for _ in "${booted[@]}"; do
	wait -n -p done_pid
	r=$?
	g=${guest_of[$done_pid]}
	rc[$g]=$r
	secs[$g]=$(($(date +%s) - t1))
done
trap - EXIT
set -e
t2=$(date +%s)

# Built aside: the summary is a .res file in the results folder itself.
res=$R/.summary
: >"$res"
for g in "${booted[@]}"; do
	G=$R/guest$g
	cat "$G"/*.res 2>/dev/null >>"$res" || true
	if [ ! -e "$G/kernel-log.res" ]; then
		printf 'FAIL\tguest %d: did not finish (exit %d); see %s\n' "$g" "${rc[$g]}" "$G/console.log" >>"$res"
		tail -30 "$G/console.log" | sed 's/^/    /' >&2 || true
	elif [ "${rc[$g]}" -ne 0 ]; then
		printf 'FAIL\tguest %d: run-suites exited %d\n' "$g" "${rc[$g]}" >>"$res"
	fi
done

while IFS=$'\t' read -r status name; do
	printf '%-4s %s\n' "$status" "$name"
done <"$res"
for g in "${booted[@]}"; do
	G=$R/guest$g
	if [ -s "$G/kernel-log.hits" ]; then
		log "guest $g: kernel log reports (first 20 lines):"
		head -20 "$G/kernel-log.hits" >&2
	fi
	if [ -s "$G/kmemleak.txt" ]; then
		log "guest $g: kmemleak report (first 20 lines):"
		head -20 "$G/kmemleak.txt" >&2
	fi
done
# Why each result failed, not only that it did: the comment lines a test
# printed before its "not ok" (the last 40 since the result before it).
if grep -q '^FAIL' "$res"; then
	log "what the failed results printed (first 200 lines):"
	for k in "$R"/guest*/*.ktap; do
		[ -e "$k" ] || continue
		awk -v f="${k#"$R"/}" '
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

# Keep the units that ran and passed, if their guest's kernel log stayed clean.
for unit in "${units[@]}"; do
	g=${guest[$unit]}
	G=$R/guest$g
	[ -e "$G/kernel-log.res" ] && ! grep -q '^FAIL' "$G/kernel-log.res" && [ "${rc[$g]}" -eq 0 ] ||
		continue
	f=$G/units/$unit.res
	[ -z "${reuse[$unit]:-}" ] || continue
	[ -s "$f" ] && ! grep -q '^FAIL' "$f" || continue
	rm -rf "${P:?}/$unit"
	mkdir -p "$P/$unit"
	cp "$f" "$P/$unit/res"
	# A GID unit's tables, for the other implementation's next run.
	if [[ $unit == smoke.rdma_rs_gid.* ]] && [ -d "$G/gid/${unit##*.}" ]; then
		mkdir -p "$P/$unit/gid"
		cp -r "$G/gid/${unit##*.}" "$P/$unit/gid/"
	fi
	echo "${R##*/}" >"$P/$unit/from"
	echo "${key[$unit]}" >"$P/$unit/key"
done

log "build $((t1 - t0)) s, guests $((t2 - t1)) s ($(for g in "${booted[@]}"; do
	printf 'guest %d: %s s, ' "$g" "${secs[$g]}"
done | sed 's/, $//'))"
if [ ${#reused[@]} -gt 0 ]; then
	# The reused units a guest reached (and counted): its "reused" markers.
	n=$(for g in "${booted[@]}"; do
		cat "$R/guest$g"/*.ktap 2>/dev/null | sed -n 's/^# ---- \(.*\): reused$/\1/p' |
			while read -r unit; do cat "$R/guest$g/units/$unit.res"; done
	done | grep -c . || true)
	log "$n of these $(grep -cE '^(PASS|FAIL|SKIP)' "$res" || true) results are from earlier runs with the same inputs (RDMA_RS_FRESH=1 runs all)"
fi
tally "$res"
