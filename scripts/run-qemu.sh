#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the cached kernel in QEMU and run one command inside it:
#
#   scripts/run-qemu.sh [-r RESULTS_DIR] [-t TIMEOUT_S] [-a KERNEL_ARG]... -- CMD...
#   scripts/run-qemu.sh -i [-r RESULTS_DIR] [-a KERNEL_ARG]...
#
# The guest runs on the host's root filesystem, read-only with a writable
# overlay (virtme-ng), plus RESULTS_DIR shared read-write. Uses TCG: on this
# kind of machine /dev/kvm opens but KVM guests hang; RDMA_RS_KVM=1 tries KVM
# after a short probe boot proves it works. Exits with the command's status
# (124 on timeout); the console log is RESULTS_DIR/console.log. With -i (make
# shell) the guest's console is this terminal, and RESULTS_DIR is shared.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

results=
tmo=1800
kargs=()
interactive=0
tmo_set=0
while [ $# -gt 0 ]; do
	case "$1" in
	-i) interactive=1; shift ;;
	-r) results=$2; shift 2 ;;
	-t) tmo=$2; tmo_set=1; shift 2 ;;
	-a) kargs+=(--append "$2"); shift 2 ;;
	--) shift; break ;;
	*) die "usage: $0 [-i] [-r dir] [-t secs] [-a karg]... -- cmd..." ;;
	esac
done
if [ $interactive = 1 ]; then
	[ $# -eq 0 ] || die "-i runs a shell, not a command"
	[ $tmo_set = 0 ] || die "-i has no timeout"
else
	[ $# -gt 0 ] || die "no command to run in the guest"
fi
B=$(build_dir)
[ -e "$B/arch/x86/boot/bzImage" ] || die "no kernel in $B: run scripts/build.sh"
[ -n "$results" ] || results=$(mktemp -d "$RESULTS_ROOT/run.XXXX")
mkdir -p "$results"
command -v vng >/dev/null || die "virtme-ng missing: run scripts/setup.sh"

# The root: with 9p (no virtiofsd on the host) vng names no root device, and
# the kernel mounted the tag, /dev/root, through the block layer's fallback,
# which the test config leaves out: root=/dev/root. And let the guest cache
# what it reads: the root is read-only and nothing on it changes during a
# run. Every exec and Python import otherwise asks the host for each path and
# page, about twice as slow under TCG. (The results folder is a mount of its
# own, not cached.) With virtiofs, vng's own root= stands.
rootargs=()
dry=$(vng --run "$B" --disable-kvm --dry-run --exec true 2>/dev/null)
case $dry in
*"rootfstype=9p rootflags="*)
	rootflags=$(echo "$dry" | grep -o 'rootfstype=9p rootflags=[^ ]*' | head -1 |
		sed 's/.*rootflags=//')
	rootargs=(--append "root=/dev/root rootflags=$rootflags,cache=loose")
	;;
*rootfstype=virtiofs*) ;;
*) die "vng --dry-run shows neither a 9p nor a virtiofs root" ;;
esac

accel=(--disable-kvm)
if [ "${RDMA_RS_KVM:-0}" = 1 ] && [ -w /dev/kvm ]; then
	if timeout 60 vng --run "$B" --memory 512M "${rootargs[@]}" --exec true >/dev/null 2>&1; then
		accel=()
	else
		log "KVM probe boot failed; using TCG"
	fi
fi

# Checkers' settings: SLUB debugging on every cache, frequent KFENCE samples.
if [ "$PROFILE" = test ]; then
	kargs+=(--append "slub_debug=FZPU kfence.sample_interval=10 kmemleak=on")
	# The workqueue_queue_work event, enabled from boot in a trace instance
	# of its own (rdma_rs_gid.sh reads it): enabling it at run time patches
	# a jump label inside __queue_work(), which timers on the other CPU run
	# through, and a run has died of that under TCG ("Oops: int3" at
	# __queue_work+0x111). Its tracing_on is what the test switches. No comm
	# recording either, which would hook sched_switch now and be unhooked at
	# run time (see rs_tracefs_up in rdma_rs_lib.sh).
	kargs+=(--append "trace_options=norecord-cmd")
	kargs+=(--append "trace_instance=rs_wq,workqueue:workqueue_queue_work")
fi
# A log buffer that a run cannot wrap (a full test run prints about 100 KiB,
# a soak more): the kernel-log check reads it whole, from the boot's first
# line on, and fails if that line is gone.
kargs+=(--append "printk.devkmsg=on loglevel=6 log_buf_len=32M")
kargs+=("${rootargs[@]}")

vng=(vng --run "$B" "${accel[@]}" --cpus "${RDMA_RS_CPUS:-2}" --memory 3G --network user --no-dhcp
	--rwdir "$results" "${kargs[@]}")
if [ $interactive = 1 ]; then
	log "shared with the guest: $results"
	exec "${vng[@]}"
fi
cmd=$(printf '%q ' "$@")
set +e
# timeout leads a process group of its own (no --foreground: the guest reads
# no terminal), so that its signal reaches vng, virtme-run and QEMU, not only
# vng. A signal to this script is passed on to it.
timeout -k 10 "$tmo" \
	"${vng[@]}" --verbose --exec "$cmd" \
	</dev/null >"$results/console.log" 2>&1 &
tpid=$!
trap 'kill -TERM "$tpid" 2>/dev/null' TERM INT HUP
# A trapped signal ends a wait early: wait again until timeout has exited.
while :; do
	wait "$tpid"
	rc=$?
	kill -0 "$tpid" 2>/dev/null || break
done
trap - TERM INT HUP
set -e
[ $rc -eq 124 ] && log "guest timed out after $tmo s (console: $results/console.log)"
exit $rc
