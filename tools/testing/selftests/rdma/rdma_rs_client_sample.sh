#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Rust RDMA abstractions, seen through samples/rust/rust_rdma_client: what
# the sample reads from each device with them (debugfs) must equal what the C
# core shows in sysfs, while addresses come and go, and the client must follow
# device removal and module unload.

source "$(dirname "$0")/rdma_rs_lib.sh"

rs_require_root
rs_require_cmds rdma ip

DBG=/sys/kernel/debug/rust_rdma_client
DEV=rs_rxs0

ktap_print_header
ktap_set_plan 8

cleanup() {
	rdma link del $DEV 2>/dev/null
	ip link del rs_s0 2>/dev/null
	modprobe -r rust_rdma_client 2>/dev/null
}
trap cleanup EXIT

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
if ! modinfo rust_rdma_client >/dev/null 2>&1; then
	rs_missing "rust_rdma_client (CONFIG_SAMPLE_RUST_RDMA_CLIENT)"
fi
rs_load_stack || ktap_exit_fail_msg "cannot load the RDMA stack"

# The address is given at creation, so that udev's MACAddressPolicy leaves it.
ip link add rs_s0 address 52:54:00:ab:cd:01 type veth peer name rs_s1
ip addr add 10.78.0.1/24 dev rs_s0
ip addr add fd00:78::1/64 dev rs_s0 nodad
ip link set rs_s0 up
ip link set rs_s1 up
rdma link add $DEV type rxe netdev rs_s0 || ktap_exit_fail_msg "rdma link add failed"
rs_wait rs_gid_present $DEV "$(rs_ip_gid 10.78.0.1)" || ktap_exit_fail_msg "no IPv4 GID on $DEV"

# The device that is there before the client registers is added to it.
modprobe rust_rdma_client || ktap_exit_fail_msg "modprobe rust_rdma_client failed"
rs_result "client added the existing device" test -r $DBG/$DEV/info

# debugfs "gid" lines against sysfs.
rust_gids() {
	awk '$1 == "gid" && $2 == 1 { $1 = ""; $2 = ""; print substr($0, 3) }' $DBG/$DEV/info
}
same_gids() {
	rust_gids >"$RS_OUT/gids.rust"
	rs_gid_table $DEV >"$RS_OUT/gids.sysfs"
	[ -s "$RS_OUT/gids.sysfs" ] &&
		diff -u "$RS_OUT/gids.sysfs" "$RS_OUT/gids.rust" >"$RS_OUT/gids.diff"
}
show_diff() { sed 's/^/#   /' "$RS_OUT/gids.diff"; }

if same_gids; then
	n=$(wc -l <"$RS_OUT/gids.rust")
	ktap_test_pass "GID table read through Rust equals sysfs ($n entries)"
else
	show_diff
	ktap_test_fail "GID table read through Rust equals sysfs"
fi

# Device and port attributes against sysfs.
head -1 $DBG/$DEV/info >"$RS_OUT/dev.rust"
guid=$(cat /sys/class/infiniband/$DEV/node_guid)
want="device $DEV node_guid $guid ports 1-1"
rs_result "device line: name, node GUID, port range" test "$(cat "$RS_OUT/dev.rust")" = "$want"

port=$(grep '^port 1 ' $DBG/$DEV/info)
ll=$(cat /sys/class/infiniband/$DEV/ports/1/link_layer)
state=$(tr -d ' ' </sys/class/infiniband/$DEV/ports/1/state)
gidtypes=$(grep '^gid_types' $DBG/$DEV/info)
ok=1
case "$port" in *"link_layer $ll state $state "*) ;; *) ok=0 ;; esac
[ "$gidtypes" = "gid_types RoCE v2" ] || ok=0
[ $ok -eq 1 ] || rs_log "port line: '$port' / $gidtypes; sysfs: $ll $state"
rs_result "port line: link layer, state, GID types" test $ok -eq 1

# A new address shows up in both.
ip addr add 10.78.1.1/24 dev rs_s0
ip addr add fd00:79::1/64 dev rs_s0 nodad
rs_wait rs_gid_present $DEV "$(rs_ip_gid 10.78.1.1)"
rs_wait rs_gid_present $DEV fd00:0079:0000:0000:0000:0000:0000:0001
if same_gids && grep -q "ffff:0a4e:0101" "$RS_OUT/gids.rust"; then
	ktap_test_pass "added addresses seen through Rust"
else
	show_diff
	ktap_test_fail "added addresses seen through Rust"
fi

# A deleted address goes from both.
ip addr del 10.78.1.1/24 dev rs_s0
rs_wait sh -c "! grep -qx '$(rs_ip_gid 10.78.1.1)' /sys/class/infiniband/$DEV/ports/1/gids/*"
if same_gids && ! grep -q "ffff:0a4e:0101" "$RS_OUT/gids.rust"; then
	ktap_test_pass "deleted address gone through Rust"
else
	show_diff
	ktap_test_fail "deleted address gone through Rust"
fi

# Device removal calls remove(), which drops the device's directory.
rdma link del $DEV
rs_result "device removal removes its entry" test ! -e $DBG/$DEV

modprobe -r rust_rdma_client
rs_result "module unload removes the debugfs root" test ! -e $DBG

ktap_finished
