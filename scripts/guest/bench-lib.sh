# SPDX-License-Identifier: GPL-2.0
# Sourced by the guest halves of the benchmarks (bench.sh, calls.sh), never
# run. RS_LIB is the kselftests' rdma_rs_lib.sh (scripts/bench.sh passes it).
# shellcheck disable=SC1090
source "$RS_LIB"

# rs_bench_rxe_up: the RDMA stack loaded, a veth pair, and the rxe device
# rs_bench0 on rs_b0 (10.90.0.1), whose IPv4 GID is in the table when this
# returns 0 (rs_wait: a bounded poll).
rs_bench_rxe_up() {
	local m
	for m in ib_core ib_uverbs rdma_cm rdma_ucm rdma_rxe; do
		modprobe "$m" || return 1
	done
	ip link add rs_b0 type veth peer name rs_b1 || return 1
	ip addr add 10.90.0.1/24 dev rs_b0
	ip link set rs_b0 up
	ip link set rs_b1 up
	rdma link add rs_bench0 type rxe netdev rs_b0 || return 1
	rs_wait rs_gid_present rs_bench0 "$(rs_ip_gid 10.90.0.1)" ||
		{ echo "rs_bench0: no GID for 10.90.0.1" >&2; return 1; }
}
