#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rdma-core's own pyverbs tests of the device and of address handles
# (test_device, test_addr), unmodified, on an rxe device whose GID table the
# selected implementation fills. One KTAP result per Python test.
#
#   RS_IMPL=c|rust   reload the RDMA stack with that implementation first

source "$(dirname "$0")/rdma_rs_lib.sh"

rs_require_root
rs_require_cmds rdma ip python3
PV_SRC=${RS_PYVERBS_TESTS:-/usr/share/doc/rdma-core/tests}
if [ ! -e "$PV_SRC/run_tests.py" ] || ! python3 -c 'import pyverbs' 2>/dev/null; then
	ktap_skip_all "python3-pyverbs and its tests are not installed"
	exit "$KSFT_SKIP"
fi

ktap_print_header

cleanup() {
	rdma link del rs_rxp 2>/dev/null
	ip link del rs_p0 2>/dev/null
	return 0
}
trap cleanup EXIT

rs_stack_up || ktap_exit_fail_msg "cannot load the RDMA stack${RS_IMPL:+ with $RS_IMPL}"
impl=$(cat /sys/module/ib_core/parameters/roce_gid_impl)

ip link add rs_p0 type veth peer name rs_p1 || ktap_exit_fail_msg "cannot create veth"
ip addr add 10.99.0.1/24 dev rs_p0
ip addr add fd00:99::1/64 dev rs_p0 nodad
ip link set rs_p0 up
ip link set rs_p1 up
rdma link add rs_rxp type rxe netdev rs_p0 || ktap_exit_fail_msg "cannot create rxe"
rs_wait rs_gid_present rs_rxp "$(rs_ip_gid 10.99.0.1)" ||
	ktap_exit_fail_msg "the IPv4 GID of rs_p0 did not appear"

# The Debian package ships most test modules gzipped.
PV=$RS_OUT/pyverbs/tests
rm -rf "$PV"
mkdir -p "$PV"
cp -r "$PV_SRC"/. "$PV"/
gunzip -f "$PV"/*.gz
(cd "$PV" && timeout 600 python3 run_tests.py --dev rs_rxp -v test_device test_addr) \
	>"$RS_OUT/pyverbs.log" 2>&1
rc=$?

# unittest -v prints "test_x (tests.test_device.DeviceTest.test_x)", then,
# after the docstring if there is one, " ... ok|skipped '...'|FAIL|ERROR".
mapfile -t lines < <(awk '
	/^test_[A-Za-z0-9_]+ \(/ {
		name = $1
		cls = $2
		gsub(/[()]/, "", cls)
		sub(/^tests\./, "", cls)
		sub(/\.[^.]*$/, "", cls)
	}
	name != "" && / \.\.\. / {
		res = $0
		sub(/.* \.\.\. /, "", res)
		print cls "." name "\t" res
		name = ""
	}' "$RS_OUT/pyverbs.log")
if [ ${#lines[@]} -eq 0 ]; then
	tail -20 "$RS_OUT/pyverbs.log" | sed 's/^/# /'
	ktap_exit_fail_msg "no pyverbs test ran (exit $rc)"
fi
ktap_set_plan ${#lines[@]}
for l in "${lines[@]}"; do
	desc="${l%%$'\t'*} [$impl]"
	res=${l#*$'\t'}
	case $res in
	ok) ktap_test_pass "$desc" ;;
	skipped*) ktap_test_skip "$desc: ${res#skipped }" ;;
	*) ktap_test_fail "$desc" ;;
	esac
done
grep -E '^(FAIL|ERROR):' -A12 "$RS_OUT/pyverbs.log" | head -60 | sed 's/^/# /'
ktap_finished
