#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The C/Rust implementation switch of ib_core (<rdma/rdma_impl.h>): the
# parameter, its validation, and the same GID tables and benchmark results
# with either implementation.

source "$(dirname "$0")/rdma_rs_lib.sh"

rs_require_root
rs_require_cmds rdma ip

PARAM=/sys/module/ib_core/parameters/roce_gid_impl
DEV=rs_rxi0

ktap_print_header
ktap_set_plan 7

cleanup() {
	rdma link del $DEV 2>/dev/null
	ip link del rs_i0 2>/dev/null
}
trap cleanup EXIT

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug

# Default: the Kconfig default (CONFIG_INFINIBAND_RUST_DEFAULT=y: rust).
rs_unload_stack || ktap_exit_fail_msg "cannot unload the RDMA stack"
modprobe ib_core || ktap_exit_fail_msg "modprobe ib_core failed"
rs_result "roce_gid_impl defaults to rust" test "$(cat $PARAM)" = rust

# The parameter is read-only at run time.
ro() { [ "$(stat -c %a $PARAM)" = 444 ] && ! sh -c "echo c >$PARAM" 2>/dev/null; }
rs_result "roce_gid_impl is read-only at run time" ro

# A bad value fails the load with EINVAL and says why (only in the log lines
# that follow; the log itself is kept for the run's checks).
rs_unload_stack
before=$(dmesg | wc -l)
if modprobe ib_core roce_gid_impl=fortran 2>/dev/null; then
	ktap_test_fail "roce_gid_impl=fortran is refused"
else
	rs_result "roce_gid_impl=fortran is refused" \
		grep -q "roce_gid_impl: 'fortran' is neither 'c' nor 'rust'" \
		<(dmesg | tail -n +$((before + 1)))
fi

# The same GID table, entry for entry, with each implementation.
gid_table_with() {
	rs_reload_impl "$1" || return 1
	[ "$(cat $PARAM)" = "$1" ] || return 1
	# The address is given at creation: udev's MACAddressPolicy leaves an address
	# set so alone, where it may replace one set later, racing the test.
	ip link add rs_i0 address 52:54:00:ab:cd:02 type veth peer name rs_i1
	ip addr add 10.79.0.1/24 dev rs_i0
	ip addr add fd00:80::1/64 dev rs_i0 nodad
	ip link set rs_i0 up
	ip link set rs_i1 up
	rdma link add $DEV type rxe netdev rs_i0 || return 1
	rs_wait rs_gid_present $DEV "$(rs_ip_gid 10.79.0.1)" || return 1
	rs_wait rs_gid_present $DEV fd00:0080:0000:0000:0000:0000:0000:0001 || return 1
	# "index gid type ifindex" -> "gid type ndev|-"; types have spaces.
	rs_gid_table $DEV | sed -E 's/^[0-9]+ //; s/ 0$/ -/; s/ [0-9]+$/ ndev/' |
		sort >"$RS_OUT/gids.$1"
	[ -s "$RS_OUT/gids.$1" ]
}
# The benchmark's result is the port's GID type mask as each implementation
# computes it (three bits per port): kept to compare C with Rust.
bench_with() {
	local f=/sys/kernel/debug/rdma_impl/roce_gid_type_mask
	echo "$1 10000 $DEV" >$f && [ "$(cut -d' ' -f1,2 <$f)" = "$1 10000" ] &&
		cut -d' ' -f4 <$f >"$RS_OUT/mask.$1"
}
ok=1
bench_ok=1
for impl in c rust; do
	gid_table_with $impl || { ok=0; rs_log "GID table with $impl failed"; }
	bench_with $impl || { bench_ok=0; rs_log "benchmark with $impl failed"; }
	cleanup
done
rs_result "GID tables are built with both implementations" test $ok -eq 1
if diff -u "$RS_OUT/gids.c" "$RS_OUT/gids.rust" >"$RS_OUT/gids.diff"; then
	ktap_test_pass "C and Rust GID tables are identical ($(wc -l <"$RS_OUT/gids.c") entries)"
else
	sed 's/^/#   /' "$RS_OUT/gids.diff"
	ktap_test_fail "C and Rust GID tables are identical"
fi
rs_result "default GID and RoCE v2 types present" \
	grep -q '^fe80:0000:0000:0000:5054:00ff:feab:cd02 RoCE v2 ndev$' "$RS_OUT/gids.rust"

# The benchmark file runs each implementation, and both compute the same
# GID type mask for the rxe port: RoCE v2 only (bit 2 of the GID types, 4;
# rxe has no RoCE v1).
mask_same() {
	rs_log "roce_gid_type_mask_support(): C $(cat "$RS_OUT/mask.c")," \
		"Rust $(cat "$RS_OUT/mask.rust")"
	[ $bench_ok -eq 1 ] && [ "$(cat "$RS_OUT/mask.c")" = "$(cat "$RS_OUT/mask.rust")" ] &&
		[ "$(cat "$RS_OUT/mask.c")" = 4 ]
}
rs_result "roce_gid_type_mask benchmark: C and Rust compute the same mask (4, RoCE v2)" mask_same

ktap_finished
