# SPDX-License-Identifier: GPL-2.0
# Sourced by the guest halves of the benchmarks (bench.sh, calls.sh), never
# run.

# rs_bench_rxe_up: the RDMA stack loaded, a veth pair, and the rxe device
# rs_bench0 on rs_b0 (10.90.0.1), whose IPv4 GID is in the table when this
# returns 0 (a bounded wait: 10 s).
rs_bench_rxe_up() {
	local m i
	for m in ib_core ib_uverbs rdma_cm rdma_ucm rdma_rxe; do
		modprobe "$m" || return 1
	done
	ip link add rs_b0 type veth peer name rs_b1 || return 1
	ip addr add 10.90.0.1/24 dev rs_b0
	ip link set rs_b0 up
	ip link set rs_b1 up
	rdma link add rs_bench0 type rxe netdev rs_b0 || return 1
	for i in $(seq 100); do
		grep -qsx '0000:0000:0000:0000:0000:ffff:0a5a:0001' \
			/sys/class/infiniband/rs_bench0/ports/1/gids/* && return 0
		sleep 0.1
	done
	echo "rs_bench0: no GID for 10.90.0.1 after 10 s" >&2
	return 1
}
