#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mlx5 multiport affiliation on the auxiliary bus, without hardware: the
# fake provider mlx5_mp_fake creates master and slave devices and stands in
# for their firmware; mlx5_ib (CONFIG_MLX5_IB_MP_FAKE) binds them and
# affiliates them with its C code (mp_impl=c), then with the Rust engine
# (mp_impl=rust). The same steps run on both; the firmware calls each made
# (the provider's log) must be the same, and so must the affiliations.
#
# Per implementation: master then slave; slave then master; a GUID, a
# coredev type and a taken port that do not affiliate; failed affiliation,
# loopback and GUID query; sysfs unbind and bind of a slave and of a master
# (the port then goes to the slave that waited longest); events; unbind and
# bind races; rmmod of mlx5_ib with slaves bound; the provider unloaded
# while bound. kprobes prove which implementation ran.

source "$(dirname "$0")/rdma_rs_lib.sh"

rs_require_root

D=/sys/kernel/debug/mlx5_mp_fake
AUX=/sys/bus/auxiliary
SLAVES=$AUX/drivers/mlx5_ib.mp_fake
MASTERS=$AUX/drivers/mlx5_ib.mp_fake_master
RACE_ROUNDS=${RS_MLX5_MP_RACE_ROUNDS:-30}
: "${RS_OUT:=$(mktemp -d)}"
mkdir -p "$RS_OUT"

ktap_print_header
ktap_set_plan 32

cleanup() {
	rs_probes_off mlx5_ib:mlx5r_mp_probe mlx5_ib:rdma_rs_mlx5_mp_probe
	modprobe -r mlx5_mp_fake 2>/dev/null
	modprobe -r mlx5_ib mlx5_core 2>/dev/null
}
trap cleanup EXIT

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
modinfo mlx5_mp_fake >/dev/null 2>&1 || rs_missing "mlx5_mp_fake (CONFIG_MLX5_IB_MP_FAKE)"
modinfo -F parm mlx5_ib 2>/dev/null | grep -q '^mp_impl:' ||
	rs_missing "mlx5_ib.mp_impl (CONFIG_INFINIBAND_RUST)"
MARK="rdma_rs_mlx5_mp: start $$"
echo "$MARK" >/dev/kmsg

add() { echo "$*" >$D/add; }
del() { echo "$1" >$D/del; }
fail() { echo "$1" >$D/fail; }
# field id name: a field of a device's state line ("affiliated", ...)
field() {
	awk -v id="$1" -v f="$2=" '$1 == id {
		for (i = 2; i <= NF; i++) if (index($i, f) == 1) print substr($i, length(f) + 1)
	}' $D/state
}
# affiliated id master: the firmware has id affiliated with master, and
# mlx5_ib listens to its events exactly when it is affiliated.
affiliated() {
	[ "$(field "$1" affiliated)" = "$2" ] &&
		[ "$(field "$1" listening)" = "$([ "$2" = 0 ] && echo 0 || echo 1)" ]
}
logged() { grep -qx "$1" $D/log; }
checkpoint() { cat $D/log >>"$LOG"; echo 1 >$D/log; }
# count_probes: add the probes' hits to PROBES and RS_PROBES, stop counting.
count_probes() {
	: $((PROBES += $(rs_probe_hits mlx5_ib:mlx5r_mp_probe)))
	: $((RS_PROBES += $(rs_probe_hits mlx5_ib:rdma_rs_mlx5_mp_probe)))
	rs_probes_off mlx5_ib:mlx5r_mp_probe mlx5_ib:rdma_rs_mlx5_mp_probe
}
slave_dev() { echo "mlx5_mp_fake.multiport.$1"; }
master_dev() { echo "mlx5_mp_fake.master.$1"; }

run_impl() {
	local impl=$1 t=[$1] i
	LOG=$RS_OUT/mp_log.$impl
	: >"$LOG"
	modprobe -r mlx5_mp_fake mlx5_ib 2>/dev/null
	modprobe mlx5_mp_fake && modprobe mlx5_ib mp_impl="$impl" ||
		ktap_exit_fail_msg "cannot load mlx5_mp_fake and mlx5_ib mp_impl=$impl"
	rs_probes_on mlx5_ib:mlx5r_mp_probe mlx5_ib:rdma_rs_mlx5_mp_probe ||
		ktap_exit_fail_msg "cannot count the probes (kprobes)"
	rs_result "$t mp_impl as loaded" \
		test "$(cat /sys/module/mlx5_ib/parameters/mp_impl)" = "$impl"

	# Card A: master 1, then its slave 2.
	# The bind's netdev tracking finds the slave through the master.
	add master a 1 && add slave a 2
	rs_result "$t master then slave: affiliated, events on, the port found" \
		eval 'affiliated 2 1 && logged "track 1 2 2" && logged "cong_init 1 2 2"'
	checkpoint
	# Card B: slave 3 waits, master 4 comes.
	add slave b 2
	affiliated 3 0 && add master b 1
	rs_result "$t slave then master: affiliated at the master's init, the port found" \
		eval 'affiliated 3 4 && logged "track 4 2 3" && logged "cong_init 4 2 3"'
	checkpoint
	# Another card's slave, a slave of another coredev type, a second
	# slave for master 1's taken port: none affiliated.
	add slave c 2 && add slave a 2 1 && add slave a 2
	rs_result "$t GUID, coredev type and taken port: unaffiliated" \
		eval 'affiliated 5 0 && affiliated 6 0 && affiliated 7 0 && affiliated 2 1'
	checkpoint

	# Card D: master 8. The affiliation fails: the port stays
	# unaffiliated, and the firmware is told to unaffiliate.
	add master d 1 && fail affiliate && add slave d 2
	rs_result "$t failed affiliation: full unbind, unaffiliated" \
		eval 'affiliated 9 0 && logged "affiliate 8 9 failed" && logged "unaffiliate 9"'
	checkpoint
	del 9
	fail local_lb && add slave d 2
	rs_result "$t failed loopback: affiliation undone" \
		eval 'affiliated 10 0 && logged "local_lb 8 1 failed" && logged "unaffiliate 10"'
	checkpoint
	del 10
	# A failed GUID query fails the probe: the device stays unbound.
	fail guid && add slave d 2
	rs_result "$t failed GUID query: probe refused" \
		eval 'affiliated 11 0 && logged "guid 11 failed" &&
			[ ! -e $SLAVES/$(slave_dev 11) ]'
	checkpoint
	del 11

	# sysfs: a slave unbound and bound again.
	echo "$(slave_dev 2)" >$SLAVES/unbind && affiliated 2 0 &&
		echo "$(slave_dev 2)" >$SLAVES/bind
	rs_result "$t sysfs unbind and bind of a slave" affiliated 2 1
	checkpoint
	# A master unbound: its slave goes back to the list, behind 5, 6 and
	# 7; bound again, it takes 7, the first that fits.
	echo "$(master_dev 1)" >$MASTERS/unbind && affiliated 2 0 &&
		echo "$(master_dev 1)" >$MASTERS/bind
	rs_result "$t sysfs unbind and bind of a master: the port to the first waiting" \
		eval 'affiliated 7 1 && affiliated 2 0'
	checkpoint

	# Events: to an affiliated slave (handled on its master: a port change,
	# type 9), to one without a notifier (dropped).
	echo 7 >$D/event && rs_wait logged "event 1 9 0" && echo 2 >$D/event
	rs_result "$t events: handled on the master when affiliated, else dropped" \
		eval 'logged "event 7 sent" && logged "event 2 dropped" && logged "event 1 9 0"'
	checkpoint

	# rmmod of mlx5_ib with slaves bound: every affiliation undone; back
	# on reload.
	count_probes
	modprobe -r mlx5_ib
	rs_result "$t rmmod mlx5_ib with slaves bound: all unaffiliated, masters off" \
		eval 'affiliated 7 0 && affiliated 3 0 &&
			logged "disable_roce 1" && logged "disable_roce 4"'
	checkpoint
	modprobe mlx5_ib mp_impl="$impl" && rs_probes_on mlx5_ib:mlx5r_mp_probe \
		mlx5_ib:rdma_rs_mlx5_mp_probe
	rs_result "$t reload: affiliated again" \
		eval 'affiliated 3 4 && { affiliated 2 1 || affiliated 7 1; }'
	checkpoint

	# Races: slaves 2 and 7 and master 1 unbound and bound at once, in
	# loops; then all bound again, one of the slaves in master 1's port.
	for i in 2 7; do
		(for _ in $(seq "$RACE_ROUNDS"); do
			echo "$(slave_dev $i)" >$SLAVES/unbind
			echo "$(slave_dev $i)" >$SLAVES/bind
		done 2>/dev/null) &
	done
	(for _ in $(seq "$RACE_ROUNDS"); do
		echo "$(master_dev 1)" >$MASTERS/unbind
		echo 7 >$D/event
		echo "$(master_dev 1)" >$MASTERS/bind
	done 2>/dev/null) &
	wait
	for i in 2 7; do
		[ -e "$SLAVES/$(slave_dev $i)" ] || echo "$(slave_dev $i)" >$SLAVES/bind
	done
	[ -e "$MASTERS/$(master_dev 1)" ] || echo "$(master_dev 1)" >$MASTERS/bind
	rs_result "$t $RACE_ROUNDS rounds of unbind and bind races: one slave in the port" \
		eval '{ affiliated 2 1 && affiliated 7 0; } ||
			{ affiliated 2 0 && affiliated 7 1; }'
	echo 1 >$D/log

	# The provider unloaded while its devices are bound, then new devices:
	# nothing stale left in mlx5_ib.
	count_probes
	modprobe -r mlx5_mp_fake && modprobe mlx5_mp_fake &&
		add slave a 2 && add master a 1
	rs_result "$t provider unloaded while bound; new devices affiliate" affiliated 1 2
	checkpoint
	modprobe -r mlx5_mp_fake
	rs_log "$t mlx5r_mp_probe: $PROBES calls, rdma_rs_mlx5_mp_probe: $RS_PROBES"
	if [ "$impl" = rust ]; then
		rs_result "$t probes: every one ran the Rust engine" \
			eval '[ $PROBES -gt 0 ] && [ $RS_PROBES -eq $PROBES ]'
	else
		rs_result "$t probes: none ran Rust" \
			eval '[ $PROBES -gt 0 ] && [ $RS_PROBES -eq 0 ]'
	fi
	modprobe -r mlx5_ib
}

for impl in c rust; do
	PROBES=0
	RS_PROBES=0
	run_impl $impl
done

if diff -u "$RS_OUT/mp_log.c" "$RS_OUT/mp_log.rust" >"$RS_OUT/mp_log.diff"; then
	ktap_test_pass "C and Rust: the same firmware calls ($(wc -l <"$RS_OUT/mp_log.c") lines)"
else
	head -40 "$RS_OUT/mp_log.diff" | sed 's/^/#   /'
	ktap_test_fail "C and Rust: the same firmware calls"
fi
rs_result "kernel log clean" rs_kernel_log_clean "$MARK"
ktap_finished
