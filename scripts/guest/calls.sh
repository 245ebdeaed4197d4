#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the guest (make bench-calls): the calls each implementation
# makes per operation, counted, not timed. A kprobe on each C function of a
# fixed set and on each Rust helper (rust/helpers/) counts its hits while one
# implementation runs N operations:
#   sa_mcast_members   N joins of one group then N leaves (the sa_mcast
#                      benchmark), per join or leave
#   ucma_create_destroy  N CREATE_ID + DESTROY_ID pairs through write() on
#                      /dev/infiniband/rdma_cm, per pair
# Each side runs N and then 2N operations, and the table gives the calls of
# the second run less those of the first, per operation: the start of each
# run (python3's, say) cancels out; what runs longer with more operations
# (timers, a work item's batching) and the XArray nodes an id table
# allocates or frees do not quite: where the timings under TCG spread by
# tens of per cent, the counts move by a call or less between runs. Only
# functions of the kernel image are probed (the modules' own functions are
# the implementations themselves), and none that the kprobes use (raw
# spinlocks) or that are too hot to probe.
#
#   calls.sh RESULTS_DIR [N]
set -u
R=$1
N=${2:-5000}
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
mountpoint -q /sys/kernel/tracing || mount -t tracefs none /sys/kernel/tracing
T=/sys/kernel/tracing
D=/sys/kernel/debug/rdma_impl

# shellcheck source=scripts/guest/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
rs_bench_rxe_up || exit 1

echo 0 >$T/tracing_on
# Allocation, freeing, completions, work, trees, XArray, copies to and from
# user space, sleeping locks, and every Rust helper.
grep -E ' [tT] (rust_helper_[A-Za-z0-9_]+|__kmalloc[a-z_]*|kmalloc[a-z_]*|krealloc[a-z_]*|kfree|kvfree|kmem_cache_alloc[a-z_]*|kmem_cache_free|queue_work_on|complete_all|complete|wait_for_completion|__init_waitqueue_head|rb_insert_color|rb_erase|rb_next|rb_first|__wake_up[a-z_]*|mutex_lock|mutex_unlock|__mutex_init|xa_[a-z_]+|__xa_[a-z_]+|xas_[a-z_]+|_copy_from_user|_copy_to_user|call_rcu|cancel_work_sync|__flush_work|down_[a-z_]+|up_[a-z_]+)$' /proc/kallsyms |
	awk '{ print $3 }' | sort -u >"$R/calls.funcs"

probes() {
	echo >$T/kprobe_events
	while read -r f; do
		echo "p:rs_calls/$f $f" >>$T/kprobe_events 2>/dev/null
	done <"$R/calls.funcs"
}

# count NAME IMPL COMMAND...: the calls while COMMAND runs, in calls.NAME.IMPL:
# each probe's hits and misses (a hit while another probe's handler runs, an
# interrupt's say, is missed: a call all the same).
count() {
	local name=$1 impl=$2
	shift 2
	probes
	echo 1 >$T/events/rs_calls/enable
	"$@"
	local rc=$?
	echo 0 >$T/events/rs_calls/enable
	awk 'NF >= 3 && $2 + $3 > 0 { print $1, $2 + $3 }' $T/kprobe_profile >"$R/calls.$name.$impl"
	return $rc
}

ucma_pairs() { # N
	python3 - "$1" <<'EOF'
import ctypes, os, struct, sys
n = int(sys.argv[1])
fd = os.open('/dev/infiniband/rdma_cm', os.O_RDWR)
resp = ctypes.create_string_buffer(16)
addr = ctypes.addressof(resp)
RDMA_PS_UDP, IB_QPT_UD = 0x0111, 4
for i in range(n):
    # struct rdma_ucm_cmd_hdr + rdma_ucm_create_id, then + rdma_ucm_destroy_id
    os.write(fd, struct.pack('<IHHQQHB5x', 0, 24, 4, i, addr, RDMA_PS_UDP, IB_QPT_UD))
    cid = struct.unpack('<I', resp.raw[:4])[0]
    os.write(fd, struct.pack('<IHHQII', 1, 16, 4, addr, cid, 0))
os.close(fd)
EOF
}

bad=0
for impl in c rust; do
	for n in $N $((2 * N)); do
		count sa_mcast_members.$n $impl sh -c "echo '$impl $n members' >$D/sa_mcast" || bad=1
	done
done
for impl in c rust; do
	echo $impl >/sys/module/rdma_ucm/parameters/ucma_impl || bad=1
	for n in $N $((2 * N)); do
		count ucma_create_destroy.$n $impl ucma_pairs "$n" || bad=1
	done
done
echo >$T/kprobe_events

# The table: per operation, each side's calls in all and those of them to
# Rust helpers, then the functions that make the difference.
python3 - "$R" "$N" >"$R/calls.txt" <<'EOF' || bad=1
import sys
r, n = sys.argv[1], int(sys.argv[2])
ops = {'sa_mcast_members': (2, 'join or leave'), 'ucma_create_destroy': (1, 'CREATE_ID + DESTROY_ID')}
def load(name, impl, k):
    return {f: int(v) for f, v in (l.split() for l in open(f'{r}/calls.{name}.{k}.{impl}'))}
def per_op(name, impl, per):
    a, b = load(name, impl, n), load(name, impl, 2 * n)
    return {f: (b.get(f, 0) - a.get(f, 0)) / (per * n) for f in set(a) | set(b)}
print(f"{'calls per operation':34s} {'C':>7s} {'Rust':>7s} {'Rust helpers':>13s}")
for name, (per, what) in ops.items():
    c, rs = per_op(name, 'c', per), per_op(name, 'rust', per)
    h = sum(v for f, v in rs.items() if f.startswith('rust_helper_'))
    print(f"{name:34s} {sum(c.values()):7.2f} {sum(rs.values()):7.2f} {h:13.2f}")
    print(f"  (per {what}: runs of {2 * n} less runs of {n}; the functions that differ by 0.25 or more:)")
    for f in sorted(set(c) | set(rs), key=lambda f: (-abs(rs.get(f, 0) - c.get(f, 0)), f)):
        a, b = c.get(f, 0), rs.get(f, 0)
        if abs(a - b) >= 0.25:
            print(f"    {f:44s} {round(a, 2) + 0.0:7.2f} {round(b, 2) + 0.0:7.2f}")
EOF
cat "$R/calls.txt"
[ $bad -eq 0 ] && [ -s "$R/calls.txt" ]
