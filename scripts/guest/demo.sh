#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the guest: the live demo of the Rust RDMA code (make demo).
set -u
R=$1
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
exec > >(tee "$R/demo.txt") 2>&1
RS_OUT=$R/demo-out
# The kselftest helpers: rxe and namespace setup, GID table dump.
source "$2/tools/testing/selftests/rdma/rdma_rs_lib.sh" >/dev/null
step() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "Kernel $(uname -r); loading the RDMA stack"
for m in ib_core ib_uverbs ib_umad rdma_cm rdma_ucm rdma_rxe; do modprobe $m || exit 1; done
echo "ib_core.roce_gid_impl = $(cat /sys/module/ib_core/parameters/roce_gid_impl)" \
	"(Rust computes the GID types of every RoCE port)"

nic=$(ls /sys/class/net | grep -v '^lo$' | head -1)
step "Soft-RoCE on the guest NIC $nic"
run ip link set "$nic" up
run ip addr add 192.0.2.10/24 dev "$nic"
run ip addr add 2001:db8::10/64 dev "$nic" nodad
run rdma link add rxe_"$nic" type rxe netdev "$nic"
sleep 1
run rdma link show
run ibv_devinfo -d rxe_"$nic"

step "GID table of rxe_$nic, filled by ib_core (sysfs: index, GID, type, net device ifindex)"
rs_gid_table rxe_"$nic" | sed 's/^/  /'

step "The Rust sample client reads the same device through rust/kernel/rdma"
run modprobe rust_rdma_client
run cat /sys/kernel/debug/rust_rdma_client/rxe_"$nic"/info

step "Two nodes: namespaces rdmars_a and rdmars_b, veth, an rxe device in each"
rs_two_nodes_up || { echo "two-node setup failed"; exit 1; }
run rdma link show
echo "rdma_ucm.ucma_impl = $(cat /sys/module/rdma_ucm/parameters/ucma_impl)" \
	"(librdmacm's /dev/infiniband/rdma_cm files are served by Rust)"
echo "$ rping -c -a $RS_IP_A -V -v -C 3   (server in rdmars_a, client in rdmars_b)"
rs_run_pair rc rping -s -a "$RS_IP_A" -V -v -C 3 -- rping -c -a "$RS_IP_A" -V -v -C 3 &&
	cat "$RS_OUT/rc.client"
echo "rdma_cm.mcast_impl = $(cat /sys/module/rdma_cm/parameters/mcast_impl)" \
	"(rdma_join_multicast() and its RoCE IGMP join run in Rust)"
echo "$ mckey -m 239.1.2.3 -C 3   (receiver in rdmars_a, sender in rdmars_b)"
ip netns exec "$RS_NS_A" timeout 30 stdbuf -oL mckey -m 239.1.2.3 -b "$RS_IP_A" -C 3 \
	>"$RS_OUT/mc.recv" 2>&1 &
rpid=$!
for i in $(seq 300); do
	grep -q 'receiving data transfers' "$RS_OUT/mc.recv" && break
	sleep 0.1
done
echo "  IGMP membership the join took on rs_va (/proc/net/igmp in rdmars_a, 239.1.2.3 = 030201EF):"
ip netns exec "$RS_NS_A" cat /proc/net/igmp | grep -E 'rs_va|030201EF' | sed 's/^/    /'
ip netns exec "$RS_NS_B" timeout 30 mckey -m 239.1.2.3 -b "$RS_IP_B" -s -C 3 >"$RS_OUT/mc.send" 2>&1
# Not a bare wait: that would wait for the tee of this script's output too.
wait $rpid
sed 's/^/  receiver: /' "$RS_OUT/mc.recv"
rs_two_nodes_down

step "C and Rust side by side: roce_gid_type_mask_support() benchmark"
f=/sys/kernel/debug/rdma_impl/roce_gid_type_mask
for impl in c rust c rust; do
	echo "$impl 100000 rxe_$nic" >$f && echo "  $(cat $f)   (impl iterations ns result)"
done

step "Done: the Rust code registered an ib_client, served GID type masks to C, served" \
	"librdmacm's rdma_cm files, joined the group, and rxe carried traffic"
