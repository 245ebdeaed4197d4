#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rdma-core's own pyverbs tests of the device, of address handles and of
# rdma_cm (test_device, test_addr, test_rdmacm), unmodified, on an rxe device
# whose GID table the selected implementation fills and whose multicast joins
# it makes. One KTAP result per Python test.
#
# One step of the harness is adapted, no test: the tests find a device's IP
# address through /sys/class/infiniband/<dev>/device/net/, which rxe does not
# have in 7.3 (every test_rdmacm test would skip); rs_run_tests.py, written
# below, finds the net device through `rdma link` instead, then runs the tests
# as run_tests.py does. Only test_rdmacm runs through it. A skipped multicast
# test fails: they must run.
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
cat >"$PV/rs_run_tests.py" <<'PY'
# Written by rdma_rs_pyverbs.sh (GPL-2.0): run_tests.py of rdma-core, with
# RDMATestCase._get_ip_mac() finding the net device of an RDMA port through
# `rdma -j link` instead of sysfs.
import json
import os
import subprocess
import sys
import unittest
from importlib.machinery import SourceFileLoader

from args_parser import parser

here = os.path.dirname(os.path.abspath(__file__))
tests = SourceFileLoader('tests', os.path.join(here, '__init__.py')).load_module()
from tests import base


def _get_ip_mac(self, dev, port, idx):
    out = subprocess.check_output(['rdma', '-j', 'link', 'show', f'{dev}/{port}'])
    net_name = json.loads(out.decode())[0].get('netdev')
    try:
        if not net_name:
            raise KeyError(dev)
        ip_addr, mac_addr = self.get_ip_mac_address(net_name)
    except (KeyError, IndexError):
        self.args.append([dev, port, idx, None, None])
    else:
        self.args.append([dev, port, idx, ip_addr, mac_addr])


base.RDMATestCase._get_ip_mac = _get_ip_mac
parser.parse_args()
unittest.main(module=tests)
PY
# test_device and test_addr as they are; test_rdmacm with the adapted step.
(cd "$PV" && timeout 600 python3 run_tests.py --dev rs_rxp -v test_device test_addr) \
	>"$RS_OUT/pyverbs.log" 2>&1
rc=$?
(cd "$PV" && timeout 900 python3 rs_run_tests.py --dev rs_rxp -v test_rdmacm) \
	>>"$RS_OUT/pyverbs.log" 2>&1
rc=$((rc | $?))

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
	skipped*)
		case $desc in
		*multicast*) ktap_test_fail "$desc: skipped: ${res#skipped }" ;;
		*) ktap_test_skip "$desc: ${res#skipped }" ;;
		esac
		;;
	*) ktap_test_fail "$desc" ;;
	esac
done
grep -E '^(FAIL|ERROR):' -A12 "$RS_OUT/pyverbs.log" | head -60 | sed 's/^/# /'
ktap_finished
