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
	rs_missing "python3-pyverbs and its tests"
fi
ktap_print_header
# The tests that must run (rdma_rs_pyverbs.tests), one result each, and six
# of this script: the parameters, which code ran, the two exit statuses, no
# setup error, no test outside the list.
mapfile -t want < <(grep -v '^#' "$(dirname "$0")/rdma_rs_pyverbs.tests")
ktap_set_plan $((${#want[@]} + 6))

cleanup() {
	rs_kprobes_clear
	rdma link del rs_rxp 2>/dev/null
	ip link del rs_p0 2>/dev/null
	return 0
}
trap cleanup EXIT
rs_tracefs_up

rs_stack_up || ktap_exit_fail_msg "cannot load the RDMA stack${RS_IMPL:+ with $RS_IMPL}"
impl=$(cat /sys/module/ib_core/parameters/roce_gid_impl)

ip link add rs_p0 type veth peer name rs_p1 || ktap_exit_fail_msg "cannot create veth"
ip addr add 10.99.0.1/24 dev rs_p0
ip addr add fd00:99::1/64 dev rs_p0 nodad
ip link set rs_p0 up
ip link set rs_p1 up
# Count each piece's dispatching entry points from here on.
rs_dispatch_on || ktap_exit_fail_msg "cannot set kprobes"
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
# Their time limits (rdma_rs_limits.sh) fit inside the unit's.
(cd "$PV" && timeout "$RS_LIMIT_PYVERBS_DEV" \
	python3 run_tests.py --dev rs_rxp -v test_device test_addr) >"$RS_OUT/pyverbs.log" 2>&1
rc_dev=$?
(cd "$PV" && timeout "$RS_LIMIT_PYVERBS_CM" python3 rs_run_tests.py --dev rs_rxp -v test_rdmacm) \
	>>"$RS_OUT/pyverbs.log" 2>&1
rc_cm=$?

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
declare -A seen=()
for l in "${lines[@]}"; do
	seen[${l%%$'\t'*}]=${l#*$'\t'}
done

# pyverbs_rc desc status: one result for a Python run's exit status.
pyverbs_rc() {
	case $2 in
	0) ktap_test_pass "$1 [$impl]" ;;
	124) ktap_test_fail "$1 [$impl]: killed at its time limit" ;;
	*) ktap_test_fail "$1 [$impl]: exit status $2" ;;
	esac
}
# The tests called every piece's entry points, which ran the code their
# parameters name.
rs_result "GID rescans, rdma_cm joins and leaves, multicast AHs, rdma_cm files: $impl [$impl]" \
	rs_dispatch_ran
pyverbs_rc "python3 run_tests.py test_device test_addr exits 0" $rc_dev
pyverbs_rc "python3 rs_run_tests.py test_rdmacm exits 0" $rc_cm
# A class or module whose setup fails takes its tests with it.
SETUP_ERR='^(ERROR: )?(setUp|tearDown)(Class|Module) \('
if grep -qE "$SETUP_ERR" "$RS_OUT/pyverbs.log"; then
	grep -E "$SETUP_ERR" "$RS_OUT/pyverbs.log" | sed 's/^/# /'
	ktap_test_fail "no class or module setup error [$impl]"
else
	ktap_test_pass "no class or module setup error [$impl]"
fi
pyverbs_one() { # pyverbs_one name result
	local desc="$1 [$impl]"
	case $2 in
	ok) ktap_test_pass "$desc" ;;
	skipped*)
		case $desc in
		*multicast*) ktap_test_fail "$desc: skipped: ${2#skipped }" ;;
		*) ktap_test_skip "$desc: ${2#skipped }" ;;
		esac
		;;
	"") ktap_test_fail "$desc: did not run" ;;
	*) ktap_test_fail "$desc" ;;
	esac
}
for t in "${want[@]}"; do
	pyverbs_one "$t" "${seen[$t]:-}"
done
outside() {
	local t n=0
	for t in "${!seen[@]}"; do
		printf '%s\n' "${want[@]}" | grep -qxF "$t" && continue
		rs_log "$t ran, but is not in rdma_rs_pyverbs.tests"
		n=$((n + 1))
	done
	[ $n -eq 0 ]
}
rs_result "no test outside rdma_rs_pyverbs.tests ran [$impl]" outside
grep -E '^(FAIL|ERROR):' -A12 "$RS_OUT/pyverbs.log" | head -60 | sed 's/^/# /'
ktap_finished
