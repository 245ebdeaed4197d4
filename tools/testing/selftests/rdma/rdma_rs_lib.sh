# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers of the rdma-rs kselftests (rdma_rs_*.sh). Sourced.
#
# Topology for two-node tests: namespaces $RS_NS_A and $RS_NS_B joined by the
# veth pair rs_va <-> rs_vb, with an rxe device on each end (rs_rxa, rs_rxb).

source "$(dirname "${BASH_SOURCE[0]}")/../kselftest/ktap_helpers.sh"
source "$(dirname "${BASH_SOURCE[0]}")/rdma_rs_limits.sh"

RS_NS_A=rdmars_a
RS_NS_B=rdmars_b
RS_IP_A=10.77.0.1
RS_IP_B=10.77.0.2
RS_IP6_A=fd00:77::1
RS_IP6_B=fd00:77::2

rs_log() { ktap_print_msg "$@"; }

# rs_sleep secs: sleep without starting a process (a fork and exec takes about
# 0.4 s in the emulated guest): a read that times out on a pipe no one writes.
exec {RS_SLEEP_FD}<> <(:)
rs_sleep() { read -r -t "$1" -u "$RS_SLEEP_FD" _ || true; }

# rs_result description cmd [args...]: one KTAP result from a command's exit
# status (ktap_test_result word-splits its command; this keeps arguments whole).
# The seconds each test took go to the log, to show where a run's time goes.
rs_result() {
	local desc=$1 t0=$SECONDS
	shift
	if "$@"; then
		rs_log "$((SECONDS - t0)) s"
		ktap_test_pass "$desc"
	else
		rs_log "$((SECONDS - t0)) s"
		ktap_test_fail "$desc"
	fi
}

# rs_kprobes_clear: disable and remove the kprobe events a script added.
rs_kprobes_clear() {
	[ -w /sys/kernel/tracing/kprobe_events ] || return 0
	echo 0 2>/dev/null >/sys/kernel/tracing/events/kprobes/enable
	echo >/sys/kernel/tracing/kprobe_events
}

# Proof of which code ran. Each line: a piece's entry point that dispatches
# on its implementation parameter (module:function), the Rust function it
# calls when the piece runs on Rust, the parameter, and "ib" for an entry
# only InfiniBand reaches (counted only when named: soft-RoCE never calls
# the SA).
RS_DISPATCH="ib_core:rdma_roce_rescan_device rdma_rs_roce_rescan_device ib_core:roce_gid_impl -
ib_core:ib_init_ah_from_mcmember rdma_rs_init_ah_from_mcmember ib_core:sa_mcast_impl -
ib_core:ib_sa_join_multicast rdma_rs_sa_join_multicast ib_core:sa_mcast_impl ib
ib_core:ib_sa_free_multicast rdma_rs_sa_free_multicast ib_core:sa_mcast_impl ib
rdma_cm:rdma_join_multicast rdma_rs_cma_join_multicast rdma_cm:mcast_impl -
rdma_cm:rdma_leave_multicast rdma_rs_cma_leave_multicast rdma_cm:mcast_impl -
rdma_ucm:ucma_open rdma_rs_ucma_open rdma_ucm:ucma_impl -
ib_ipoib:ipoib_mcast_join_task rdma_rs_ipoib_mcast_join_task ib_ipoib:mcast_impl ib
ib_ipoib:ipoib_mcast_send rdma_rs_ipoib_mcast_send ib_ipoib:mcast_impl ib"

# rs_probe_name function: the kprobe event that counts a function's calls.
rs_probe_name() {
	local f=${1#*:}
	echo "rs_${f:0:56}"
}

# rs_probes_on [module:]function...: count the calls of each function from
# now on (kprobe events; their hits are in kprobe_profile).
rs_probes_on() {
	local s n
	rs_tracefs_up
	for s in "$@"; do
		n=$(rs_probe_name "$s")
		echo "p:$n $s" >>/sys/kernel/tracing/kprobe_events &&
			echo 1 >"/sys/kernel/tracing/events/kprobes/$n/enable" || return 1
	done
}

# rs_probes_off [module:]function...: stop counting and remove the probes.
rs_probes_off() {
	local s
	for s in "$@"; do
		rs_event_off "$(rs_probe_name "$s")"
	done
}

# rs_probe_hits function: the calls counted so far (0 if not probed).
rs_probe_hits() {
	awk -v p="$(rs_probe_name "$1")" '$1 == p { n = $2 } END { print n + 0 }' \
		/sys/kernel/tracing/kprobe_profile
}

# rs_event_on name probe filter: the kprobe event name at probe ([module:]
# function and fetch arguments) records in the trace buffer, emptied first,
# the calls for which filter holds (kprobe_profile counts them all).
rs_event_on() {
	local tr=/sys/kernel/tracing
	rs_tracefs_up
	echo "p:$1 $2" >>$tr/kprobe_events || return 1
	echo "$3" >"$tr/events/kprobes/$1/filter" && echo 1 >$tr/tracing_on &&
		echo >$tr/trace && echo 1 >"$tr/events/kprobes/$1/enable" ||
		{ rs_event_off "$1"; return 1; }
}

# rs_event_count name: the calls event name recorded (read it before
# rs_event_off: removing an event empties the buffer).
rs_event_count() {
	grep -c " $1:" /sys/kernel/tracing/trace
}

# rs_event_off name: the event stops and goes.
rs_event_off() {
	echo 0 2>/dev/null >"/sys/kernel/tracing/events/kprobes/$1/enable"
	echo "-:$1" 2>/dev/null >>/sys/kernel/tracing/kprobe_events
	return 0
}

# rs_dispatch_on entry...: count the calls of the given dispatching entry
# points (functions of RS_DISPATCH, all of them if none is given) and of the
# Rust functions they call.
rs_dispatch_on() {
	local e r p x args=()
	while read -r e r p x; do
		rs_dispatch_wanted "$e" "$p" "$x" "$@" || continue
		args+=("$e" "${e%%:*}:$r")
	done <<<"$RS_DISPATCH"
	# Nothing to count (a misspelt entry, or no piece of this kernel) is
	# an error, not an empty proof.
	[ ${#args[@]} -gt 0 ] || return 1
	rs_probes_on "${args[@]}"
}

# rs_dispatch_wanted entry param ib [entry...]: an RS_DISPATCH line is
# counted: its piece is in this kernel (a kernel of part of the series has
# fewer) and it is one of the entries asked for, or, if none is, not an
# InfiniBand-only one.
rs_dispatch_wanted() {
	local e=$1 p=$2 x=$3
	shift 3
	[[ " $RS_IMPL_PARAMS $RS_ULP_IMPL_PARAMS " == *" $p "* ]] || return 1
	if [ $# -eq 0 ]; then
		[ "$x" != ib ]
	else
		[[ " $* " == *" ${e#*:} "* ]]
	fi
}

# rs_dispatch_ran entry...: each entry point counted by rs_dispatch_on was
# called, and ran the implementation its parameter names: its Rust function
# as often as it with Rust, never with C. Logs the counts, removes the probes.
rs_dispatch_ran() {
	local e r p x v ne nr rc=0 n=0
	while read -r e r p x; do
		rs_dispatch_wanted "$e" "$p" "$x" "$@" || continue
		n=$((n + 1))
		v=$(cat "/sys/module/${p%%:*}/parameters/${p#*:}" 2>/dev/null)
		ne=$(rs_probe_hits "$e")
		nr=$(rs_probe_hits "$r")
		rs_probes_off "$e" "$r"
		rs_log "${e#*:}: $ne calls, $r: $nr (${p#*:}=$v)"
		[ "$ne" -gt 0 ] || rc=1
		if [ "$v" = rust ]; then
			[ "$nr" = "$ne" ] || rc=1
		else
			[ "$nr" = 0 ] || rc=1
		fi
	done <<<"$RS_DISPATCH"
	# Every entry asked for was checked (all of them if none was named).
	[ $n -gt 0 ] && { [ $# -eq 0 ] || [ $n -eq $# ]; } || rc=1
	return $rc
}

# rs_cm_ids_on: count the rdma_cm ids created and destroyed from now on, for
# rs_no_cm_id (call it with no id alive, right after rs_stack_up).
RS_CM_IDS_COUNTED=0
rs_cm_ids_on() {
	rs_probes_on rdma_cm:__rdma_create_id rdma_cm:_destroy_id && RS_CM_IDS_COUNTED=1
}

# rs_no_cm_id: no rdma_cm id is left. `rdma res show cm_id` must work and
# list none; and, if rs_cm_ids_on counts, every id created since was
# destroyed: ids that never reached the resource tracker (never bound to a
# device) are counted too. Waits a bounded time for teardown to finish.
rs_no_cm_id() {
	local out created destroyed
	if ! rs_wait eval 'out=$(rdma res show cm_id 2>&1) && [ -z "$out" ]'; then
		rs_log "rdma res show cm_id: ${out:-failed}"
		return 1
	fi
	[ $RS_CM_IDS_COUNTED = 1 ] || return 0
	if [ ! -e /sys/kernel/tracing/events/kprobes/$(rs_probe_name _destroy_id) ]; then
		rs_log "the rdma_cm id counters were removed"
		return 1
	fi
	rs_wait eval '[ "$(rs_probe_hits __rdma_create_id)" = "$(rs_probe_hits _destroy_id)" ]'
	local rc=$?
	created=$(rs_probe_hits __rdma_create_id)
	destroyed=$(rs_probe_hits _destroy_id)
	rs_log "rdma_cm ids: $created created, $destroyed destroyed"
	return $rc
}

# rs_tracefs_up: mount tracefs, and turn ftrace's comm recording off, so that
# enabling or disabling an event does not also patch the scheduler's
# sched_switch tracepoint (the comm recording hooks it): 7.3 under TCG has
# twice died on an int3 in __schedule() while that patch was under way. No
# script reads comms from the trace.
rs_tracefs_up() {
	mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
	echo 0 >/sys/kernel/tracing/options/record-cmd 2>/dev/null
	return 0
}

# rs_program name: the path of the selftest program <name>: next to the
# scripts when built (make, or the test runner on the host), else built now
# into $RS_OUT.
rs_program() {
	local dir
	dir=$(dirname "${BASH_SOURCE[0]}")
	if [ -x "$dir/$1" ]; then
		echo "$dir/$1"
	else
		gcc -O2 -pthread -o "$RS_OUT/$1" "$dir/$1.c" >&2 && echo "$RS_OUT/$1"
	fi
}

rs_require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		ktap_skip_all "must be run as root"
		exit "$KSFT_SKIP"
	fi
}

# rs_missing what: a tool the test needs is not installed. Run by the rdma-rs
# harness (RS_STRICT=1), whose setup installs every tool, that is a broken
# machine and fails; run alone, the script skips.
rs_missing() {
	[ "${RS_STRICT:-0}" = 1 ] && ktap_exit_fail_msg "$1 is not installed"
	ktap_skip_all "$1 is not installed"
	exit "$KSFT_SKIP"
}

# rs_test_missing desc what: one test that cannot run because a tool or a
# kernel interface is missing: failed under RS_STRICT=1, else skipped.
rs_test_missing() {
	if [ "${RS_STRICT:-0}" = 1 ]; then
		ktap_test_fail "$1: $2 is missing"
	else
		ktap_test_skip "$1: $2 is missing"
	fi
}

rs_require_cmds() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || rs_missing "$c"
	done
}

# rs_rmmod_tree module: unload a module after every module that holds it.
rs_rmmod_tree() {
	local h
	[ -d "/sys/module/$1" ] || return 0
	for h in /sys/module/"$1"/holders/*; do
		[ -e "$h" ] && rs_rmmod_tree "${h##*/}"
	done
	rmmod "$1" 2>/dev/null
}

# rs_unload_stack: unload ib_core and everything above it. Device teardown
# (rxe's in particular) drops module references asynchronously: retry a while.
rs_unload_stack() {
	local end=$((SECONDS + RS_LIMIT_UNLOAD))
	while :; do
		rs_rmmod_tree ib_core
		[ -d /sys/module/ib_core ] || return 0
		[ $SECONDS -lt $end ] || break
		rs_sleep 0.5
	done
	rs_log "ib_core still held: $(lsmod | grep -E '^(ib_|rdma_|iw_|rust_rdma)' | tr '\n' ' ')"
	return 1
}

# The implementation every piece defaults to in the kernels this harness
# builds (CONFIG_INFINIBAND_RUST_DEFAULT=y in scripts/config/base.config;
# rdma_rs_impl.sh checks it): what a unit that names no RS_IMPL runs on.
RS_DEFAULT_IMPL=rust

# The implementation parameters, one per piece, as module:parameter.
RS_ALL_IMPL_PARAMS="ib_core:roce_gid_impl ib_core:sa_mcast_impl rdma_cm:mcast_impl"
RS_ALL_IMPL_PARAMS+=" rdma_ucm:ucma_impl"

# The implementation parameters of the upper-layer modules that scripts load
# themselves (not part of the stack rs_load_stack loads and reloads); read
# when an interface is created.
RS_ALL_ULP_IMPL_PARAMS="ib_ipoib:mcast_impl"

# Those the modules of this kernel have (a kernel of part of the series has
# fewer). A module modinfo cannot read makes the list "?", which fails the
# reloads below.
rs_impl_params() {
	local p parm
	for p in ${1:-$RS_ALL_IMPL_PARAMS}; do
		parm=$(modinfo -F parm "${p%%:*}" 2>/dev/null) || { echo "?"; return; }
		echo "$parm" | grep -q "^${p#*:}:" && echo "$p"
	done
}
RS_IMPL_PARAMS=$(rs_impl_params | tr '\n' ' ')
RS_ULP_IMPL_PARAMS=$(rs_impl_params "$RS_ALL_ULP_IMPL_PARAMS" | tr '\n' ' ')

# rs_ulp_param module:parameter: "parameter=value" for loading an upper-layer
# module on $RS_IMPL (as rs_param_value chooses), or nothing without RS_IMPL
# or in a kernel without that parameter.
rs_ulp_param() {
	[ -n "${RS_IMPL:-}" ] && [[ " $RS_ULP_IMPL_PARAMS " == *" $1 "* ]] || return 0
	echo "${1#*:}=$(rs_param_value "$RS_IMPL" "$1")"
}

# rs_param_value impl module:parameter: the value a parameter gets when the
# stack runs on impl. With RS_PIECES (a list of module:parameter, separated
# by spaces or "+") only those pieces run on impl and the others on C.
rs_param_value() {
	local pieces=${RS_PIECES:-$2}
	case " ${pieces//+/ } " in
	*" $2 "*) echo "$1" ;;
	*) echo c ;;
	esac
}

# rs_load_stack [c|rust]: load ib_core, rxe and the userspace interfaces, with
# the pieces on the given implementation (see rs_param_value), else with the
# modules' defaults.
rs_load_stack() {
	local m p args
	for m in ib_core ib_uverbs ib_umad rdma_cm rdma_ucm rdma_rxe; do
		args=""
		for p in $RS_IMPL_PARAMS; do
			[ -n "${1:-}" ] && [ "${p%%:*}" = "$m" ] &&
				args="$args ${p#*:}=$(rs_param_value "$1" "$p")"
		done
		# shellcheck disable=SC2086
		modprobe "$m" $args || return 1
	done
}

# rs_reload_impl c|rust: the stack with the pieces on one implementation;
# reloaded only if it runs another one (a reload takes seconds when emulated).
# A parameter that is writable at run time (rdma_ucm.ucma_impl, read at each
# open()) is written instead.
rs_reload_impl() {
	local p f v want same=1 written=
	case " $RS_IMPL_PARAMS " in
	*" ? "* | "  ")
		rs_log "the implementation parameters cannot be read (modinfo)"
		return 1
		;;
	esac
	for p in $RS_IMPL_PARAMS; do
		f=/sys/module/${p%%:*}/parameters/${p#*:}
		want=$(rs_param_value "$1" "$p")
		[ "$(cat "$f" 2>/dev/null)" = "$want" ] && continue
		if [ -e "$f" ] && [ $((0$(stat -c %a "$f") & 0200)) -ne 0 ]; then
			written+=" $p"
		else
			same=0
		fi
	done
	if [ $same = 1 ]; then
		rs_load_stack || return 1
		for p in $written; do
			v=$(rs_param_value "$1" "$p")
			echo "$v" >"/sys/module/${p%%:*}/parameters/${p#*:}" || return 1
		done
	else
		rs_unload_stack || { rs_log "cannot unload the RDMA stack"; return 1; }
		rs_load_stack "$1" || return 1
	fi
	# Each piece runs what was asked: every implementation parameter the loaded
	# modules show must carry its value, listed by modinfo or not.
	for p in $RS_ALL_IMPL_PARAMS; do
		v=$(cat "/sys/module/${p%%:*}/parameters/${p#*:}" 2>/dev/null) || continue
		want=$(rs_param_value "$1" "$p")
		[ "$v" = "$want" ] || { rs_log "${p%%:*}.${p#*:} is $v, not $want"; return 1; }
	done
}

# rs_stack_up: the stack with the pieces on $RS_IMPL (c|rust), only those of
# $RS_PIECES if set, else on the defaults ($RS_DEFAULT_IMPL for every piece),
# reloaded if it runs something else. One KTAP result: every implementation
# parameter holds the value the unit claims (the harness's unit list states
# RS_IMPL and RS_PIECES), so a unit that ran on the other implementation
# cannot pass under its label.
rs_stack_up() {
	local rc=0 p v want seen= impl=${RS_IMPL:-$RS_DEFAULT_IMPL}
	rs_reload_impl "$impl" || rc=1
	for p in $RS_ALL_IMPL_PARAMS; do
		v=$(cat "/sys/module/${p%%:*}/parameters/${p#*:}" 2>/dev/null) || v=absent
		want=$(rs_param_value "$impl" "$p")
		seen+=" ${p#*:}=$v"
		[ "$v" = "$want" ] || rc=1
	done
	rs_log "implementation parameters:$seen"
	local claim="${RS_PIECES:-every piece} on $impl"
	[ -n "${RS_IMPL:-}" ] || claim+=" (the defaults)"
	rs_result "implementation parameters as claimed ($claim) [${RS_IMPL:-default}]" \
		test $rc -eq 0
	return $rc
}

# rs_lines_match ERE FILE: a line of FILE matches ERE (1: none; 2: FILE cannot
# be read). Builtins only, no fork: tests poll it, and a fork and exec costs
# about 0.4 s in the emulated guest.
rs_lines_match() {
	local l lines
	mapfile -t lines 2>/dev/null <"$2" || return 2
	for l in "${lines[@]}"; do
		[[ $l =~ $1 ]] && return 0
	done
	return 1
}

# rs_wait cmd...: retry a command until it succeeds, for up to $RS_WAIT s.
rs_wait() {
	local end=$((SECONDS + RS_WAIT))
	until "$@"; do
		[ $SECONDS -lt $end ] || return 1
		rs_sleep 0.1
	done
}

# rs_gid_present dev gid: the GID is in port 1's table of dev. The GID cache
# fills the lowest free slots, so the walk stops after 64 empty slots in a row
# (an rxe port has 1024; reading them all takes seconds in an emulated guest).
rs_gid_present() {
	local d=/sys/class/infiniband/$1/ports/1/gids i gid empty=0
	local zero=0000:0000:0000:0000:0000:0000:0000:0000
	for ((i = 0; empty < 64; i++)); do
		read -r gid <"$d/$i" 2>/dev/null || return 1
		[ "$gid" = "$2" ] && return 0
		if [ "$gid" = $zero ]; then
			empty=$((empty + 1))
		else
			empty=0
		fi
	done
	return 1
}

# rs_ip_gid v4addr: the IPv4-mapped GID, as sysfs prints it.
rs_ip_gid() {
	local IFS=.
	# shellcheck disable=SC2086
	set -- $1
	printf '0000:0000:0000:0000:0000:ffff:%02x%02x:%02x%02x\n' "$1" "$2" "$3" "$4"
}

# rs_gid_table dev [netns]: port 1's GID table as "index gid type ifindex"
# lines, from sysfs, valid entries only; netns is where the net devices are.
rs_gid_table() {
	local d=/sys/class/infiniband/$1/ports/1 f i gid type ndev ifindex
	local zero=0000:0000:0000:0000:0000:0000:0000:0000
	# Builtin reads only: the table has up to 1024 slots and a fork each
	# is slow in an emulated guest.
	for f in "$d"/gids/*; do
		i=${f##*/}
		read -r gid <"$f" || continue
		[ "$gid" = $zero ] && continue
		read -r type <"$d/gid_attrs/types/$i" 2>/dev/null || continue
		ndev=
		read -r ndev <"$d/gid_attrs/ndevs/$i" 2>/dev/null
		ifindex=0
		if [ -n "$ndev" ] && [ -n "${2:-}" ]; then
			ifindex=$(ip netns exec "$2" cat /sys/class/net/"$ndev"/ifindex)
		elif [ -n "$ndev" ]; then
			read -r ifindex </sys/class/net/"$ndev"/ifindex
		fi
		echo "$i $gid $type $ifindex"
	done | sort -n
}

# rs_two_nodes_up: the two namespaces, the veth pair and an rxe on each end,
# with IPv4 and IPv6 addresses whose GIDs are in the tables on return.
rs_two_nodes_up() {
	rs_two_nodes_down
	ip netns add "$RS_NS_A" && ip netns add "$RS_NS_B" || return 1
	ip link add rs_va netns "$RS_NS_A" type veth peer name rs_vb netns "$RS_NS_B" || return 1
	ip -n "$RS_NS_A" link set lo up
	ip -n "$RS_NS_B" link set lo up
	ip -n "$RS_NS_A" addr add "$RS_IP_A/24" dev rs_va
	ip -n "$RS_NS_B" addr add "$RS_IP_B/24" dev rs_vb
	ip -n "$RS_NS_A" addr add "$RS_IP6_A/64" dev rs_va nodad
	ip -n "$RS_NS_B" addr add "$RS_IP6_B/64" dev rs_vb nodad
	ip -n "$RS_NS_A" link set rs_va up
	ip -n "$RS_NS_B" link set rs_vb up
	ip netns exec "$RS_NS_A" rdma link add rs_rxa type rxe netdev rs_va || return 1
	ip netns exec "$RS_NS_B" rdma link add rs_rxb type rxe netdev rs_vb || return 1
	rs_wait rs_gid_present rs_rxa "$(rs_ip_gid $RS_IP_A)" &&
		rs_wait rs_gid_present rs_rxb "$(rs_ip_gid $RS_IP_B)"
}

# rs_two_node_start: the start of a two-node unit. On exit the kprobes and
# the nodes go; the stack comes up on $RS_IMPL (one KTAP result, see
# rs_stack_up), rdma_cm ids are counted from here (rs_no_cm_id), and the two
# nodes come up. Bails out when a step fails.
rs_two_node_start() {
	trap 'rs_kprobes_clear; rs_two_nodes_down' EXIT
	rs_tracefs_up
	rs_stack_up || ktap_exit_fail_msg "cannot load the RDMA stack${RS_IMPL:+ with $RS_IMPL}"
	rs_cm_ids_on || ktap_exit_fail_msg "cannot set kprobes"
	rs_two_nodes_up || ktap_exit_fail_msg "two-node rxe setup failed"
}

rs_two_nodes_down() {
	rdma link del rs_rxa 2>/dev/null
	rdma link del rs_rxb 2>/dev/null
	ip netns del "$RS_NS_A" 2>/dev/null
	ip netns del "$RS_NS_B" 2>/dev/null
	return 0
}

# rs_two_nodes_removed: take the two nodes down; both rxe devices are gone.
rs_two_nodes_removed() {
	rs_two_nodes_down
	[ ! -e /sys/class/infiniband/rs_rxa ] && [ ! -e /sys/class/infiniband/rs_rxb ]
}

# rs_run_pair name server-cmd -- client-cmd: run a server in namespace A and
# its client in namespace B; both must exit 0. Output goes to $RS_OUT/name.*.
rs_run_pair() {
	local name=$1 spid rc=0
	shift
	local -a srv=()
	while [ "$1" != -- ]; do
		srv+=("$1")
		shift
	done
	shift
	ip netns exec "$RS_NS_A" timeout "$RS_TIMEOUT" stdbuf -oL "${srv[@]}" \
		>"$RS_OUT/$name.server" 2>&1 &
	spid=$!
	# The servers print nothing when they listen: wait until rdma_cm shows
	# their id listening (or the server has exited).
	rs_wait eval 'rdma res show cm_id 2>/dev/null | grep -q "state LISTEN" ||
		! kill -0 $spid 2>/dev/null'
	ip netns exec "$RS_NS_B" timeout "$RS_TIMEOUT" stdbuf -oL "$@" \
		>"$RS_OUT/$name.client" 2>&1 || rc=1
	wait "$spid" || rc=1
	[ $rc -eq 0 ] || rs_show_pair "$name"
	return $rc
}

# rs_ipoib_of dev: the IPoIB interface of an InfiniBand device (of the
# software fabric, whose port GUIDs are the node GUIDs): its hardware address
# ends in the port GID.
rs_ipoib_of() {
	local guid d addr
	guid=$(tr -d ':' <"/sys/class/infiniband/$1/node_guid")
	for d in /sys/class/net/*; do
		[ "$(cat "$d/type")" = 32 ] || continue
		addr=$(tr -d ':' <"$d/address")
		[ "${addr: -16}" = "$guid" ] && echo "${d##*/}"
	done
}

# rs_kernel_log_clean mark: the kernel log from the line holding mark on has
# no checker report (the first ones are printed).
rs_kernel_log_clean() {
	local bad
	bad=$(dmesg | awk -v m="$1" 'index($0, m) { on = 1 } on' |
		grep -E 'BUG|WARNING|Oops|kmemleak|KFENCE|UBSAN|lockdep|circular|refcount|'\
'list_(add|del) corruption|rust_panic|panicked')
	[ -z "$bad" ] && return 0
	echo "$bad" | head -10 | sed 's/^/#   /'
	return 1
}

# rs_show_pair name: the last lines of a failed pair's server and client.
rs_show_pair() {
	sed 's/^/#   server: /' "$RS_OUT/$1.server" | tail -5
	sed 's/^/#   client: /' "$RS_OUT/$1.client" | tail -5
}

# rs_mc_test name group count [mckey args...]: an mckey receiver in A gets
# count datagrams of group from a sender in B (both with the extra args, the
# sender's after them: "-- args" gives the sender args of its own).
rs_mc_test() {
	local name=$1 group=$2 count=$3
	shift 3
	local -a both=() snd=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		both+=("$1")
		shift
	done
	[ "${1:-}" = -- ] && shift
	snd=("$@")
	# Under TCG one sender's join, sends and leave take 6 to 33 s alone, and
	# more beside other pairs (the groups test runs three): the receiver waits
	# for up to RS_MC_TRIES senders of up to RS_MC_TIMEOUT seconds each.
	local t0=$SECONDS
	ip netns exec "$RS_NS_A" timeout $((RS_MC_TIMEOUT * RS_MC_TRIES)) stdbuf -oL \
		mckey -m "$group" -b "$RS_IP_A" -C "$count" "${both[@]}" \
		>"$RS_OUT/$name.recv" 2>&1 &
	local rpid=$! rc=0
	# Send only once the receiver's QP is attached to the group: mckey says
	# "receiving data transfers" after ibv_attach_mcast(); UD datagrams sent
	# earlier are lost and the receiver would wait for them forever.
	local end=$((SECONDS + RS_TIMEOUT))
	while [ $SECONDS -lt $end ]; do
		grep -q 'receiving data transfers' "$RS_OUT/$name.recv" && break
		kill -0 $rpid 2>/dev/null || break
		rs_sleep 0.1
	done
	# mckey's sender posts its datagrams unsignaled, then leaves and exits at
	# once; rxe sends from a work item, and destroying the QP drops what it
	# has not sent yet. In an emulated guest that can be most of them (a
	# sender of 10 was seen to get 1 to 3 out). So the sender posts ten
	# times the receiver's count, and runs again (a new join each time)
	# until the receiver has its count; the receiver drops what it has no
	# receive posted for.
	local try e
	: >"$RS_OUT/$name.send"
	for try in $(seq "$RS_MC_TRIES"); do
		ip netns exec "$RS_NS_B" timeout "$RS_MC_TIMEOUT" stdbuf -oL \
			mckey -m "$group" -b "$RS_IP_B" -s -C $((count * 10)) \
			"${both[@]}" "${snd[@]}" \
			>>"$RS_OUT/$name.send" 2>&1 ||
			{ e=$?; rc=1; rs_log "$name: sender $try exited with $e"; }
		grep -q 'data transfers complete' "$RS_OUT/$name.recv" && break
		kill -0 $rpid 2>/dev/null || break
		sleep 1
		grep -q 'data transfers complete' "$RS_OUT/$name.recv" && break
	done
	wait "$rpid" || rc=1
	rs_log "$name: the sender ran $try times, the receiver $((SECONDS - t0)) s"
	grep -q 'data transfers complete' "$RS_OUT/$name.recv" || rc=1
	if [ $rc -ne 0 ]; then
		sed 's/^/#   recv: /' "$RS_OUT/$name.recv" | tail -5
		sed 's/^/#   send: /' "$RS_OUT/$name.send" | tail -5
	fi
	return $rc
}

RS_OUT=${RS_OUT:-$(mktemp -d /tmp/rdma_rs.XXXXXX)}
mkdir -p "$RS_OUT"

# rs_ipoib_pair ns_a ns_b prefix: the IPoIB interfaces of sib1 and sib2, named
# in IF_A and IF_B, each moved to a namespace of its own (ns_a, ns_b), given
# address prefix.1/24 and prefix.2/24 and brought up with the namespace's
# loopback. (The devices stay where they are: rdmavt cannot re-register its
# clients, which moving a device to a namespace does.) Ends the test on failure.
rs_ipoib_pair() {
	rs_wait eval '[ -n "$(rs_ipoib_of sib1)" ] && [ -n "$(rs_ipoib_of sib2)" ]' ||
		ktap_exit_fail_msg "no IPoIB interface on sib1 or sib2"
	IF_A=$(rs_ipoib_of sib1)
	IF_B=$(rs_ipoib_of sib2)
	ip netns add "$1" && ip netns add "$2" || ktap_exit_fail_msg "ip netns add"
	ip link set "$IF_A" netns "$1" && ip link set "$IF_B" netns "$2" ||
		ktap_exit_fail_msg "cannot move $IF_A and $IF_B into namespaces"
	ip -n "$1" addr add "$3.1/24" dev "$IF_A" &&
		ip -n "$2" addr add "$3.2/24" dev "$IF_B" &&
		ip -n "$1" link set lo up && ip -n "$2" link set lo up &&
		ip -n "$1" link set "$IF_A" up && ip -n "$2" link set "$IF_B" up ||
		ktap_exit_fail_msg "cannot address and bring up $IF_A and $IF_B"
}

# rs_carrier if: interface if has a carrier (builtins only, no fork).
rs_carrier() {
	local c
	{ read -r c <"/sys/class/net/$1/carrier"; } 2>/dev/null
	[ "$c" = 1 ]
}
# rs_carrier_in ns if: interface if of namespace ns has a carrier: the
# LOWER_UP flag, set while it runs with a carrier, as sysfs's carrier reads 1.
# One exec (ip -n opens its netlink socket in ns; ip netns exec would exec a
# cat after remounting /sys).
rs_carrier_in() {
	[[ $(ip -n "$1" -o link show dev "$2" 2>/dev/null) == *[\<,]LOWER_UP[,\>]* ]]
}

# The SA of the software InfiniBand fabric, through sib_sm's debugfs
# directory: its groups, its message log and its fault rules.
RS_SA=/sys/kernel/debug/sib_sm/sa
# The IPoIB broadcast group of the default partition.
RS_SA_BCAST=ff12:401b:ffff:0000:0000:0000:ffff:ffff

# rs_sa_mgid4 a.b.c.d: the full text form of the IPoIB MGID of IPv4 group
# a.b.c.d, P_Key ffff: the group's low 28 bits (ip_ib_mc_map()).
rs_sa_mgid4() {
	local IFS=.
	# shellcheck disable=SC2086
	set -- $1
	printf 'ff12:401b:ffff:0000:0000:0000:%02x%02x:%02x%02x' $(($1 & 15)) "$2" "$3" "$4"
}

# rs_sa_groups: the SA's groups; fails when they cannot be read.
rs_sa_groups() { cat $RS_SA/groups; }
# The look-ups below read the groups with rs_lines_match: tests poll them.
# rs_sa_member MGID PORT JOIN: the SA lists port PORT in group MGID with JOIN.
rs_sa_member() { rs_lines_match "^$1 .* port$2:$3( |\$)" $RS_SA/groups; }
# rs_sa_no_member MGID PORT: the SA lists port PORT in no join state of MGID.
rs_sa_no_member() {
	rs_lines_match "^$1 .* port$2:" $RS_SA/groups
	[ $? = 1 ]
}
# rs_sa_no_group MGID: the SA has no group MGID.
rs_sa_no_group() {
	rs_lines_match "^$1 " $RS_SA/groups
	[ $? = 1 ]
}
# rs_sa_port_none PORT: the SA lists port PORT (a bracket expression: any of
# those ports) in no group.
rs_sa_port_none() {
	rs_lines_match " port$1:" $RS_SA/groups
	[ $? = 1 ]
}
# rs_sa_port_groups PORT: the groups the SA lists port PORT in, with the
# port's join state, one per line ("MGID port1:0x1"), sorted.
rs_sa_port_groups() {
	local g
	g=$(rs_sa_groups) || return 1
	echo "$g" | awk -v p="port$1:" '{ for (i = 2; i <= NF; i++)
		if (index($i, p) == 1) print $1, $i }' | sort
}

# rs_sa_log: the log's messages from sequence number $RS_SA_LOG_FROM on, each
# once (ib_mad's sends again of one request are one message, and so are their
# answers: the requester takes the first, and the SA may answer a request it
# already carried out otherwise, a DELETE sent again with ERR_REQ_INVALID),
# without the time each came (at_us): what two runs compare.
# RS_SA_LOG_AWK: the awk function sa_msg(s) behind it, for the helpers that
# read the log with one awk: the current line as rs_sa_log shows it (without
# its sequence number and at_us), or "" for a line before sequence number s,
# not a message, or an answer already seen. (Lines seen twice are left to the
# caller.)
RS_SA_LOG_AWK='
function sa_msg(s,    m) {
	if ($1 !~ /^[0-9]+$/ || $1 < s || ($2 == "resp" && sa_first[$3 " " $4]++))
		return ""
	m = $0
	sub(/ at_us=[0-9]+$/, "", m)
	sub(/^[0-9]+ /, "", m)
	return m
}'
RS_SA_LOG_FROM=0
rs_sa_log() {
	awk -v s="$RS_SA_LOG_FROM" "$RS_SA_LOG_AWK"'
		{ m = sa_msg(s) } m != "" { print m }' $RS_SA/log | sort -u
}
# rs_sa_log_mark: rs_sa_log shows the messages from now on.
rs_sa_log_mark() {
	RS_SA_LOG_FROM=$(awk '$1 ~ /^[0-9]+$/ { n = $1 + 1 } END { print n + 0 }' $RS_SA/log)
}

# rs_sa_log_count ERE [EXCLUDE] [ALSO]: the messages of rs_sa_log that match
# ERE, and ALSO if given, but not EXCLUDE; counted by one awk. (All three are
# awk EREs, passed with -v: a backslash in them is an escape.)
rs_sa_log_count() {
	awk -v s="$RS_SA_LOG_FROM" -v re="$1" -v ex="${2:-}" -v also="${3:-}" "$RS_SA_LOG_AWK"'
		{ m = sa_msg(s) }
		m != "" && m ~ re && (ex == "" || m !~ ex) && (also == "" || m ~ also) &&
			!seen[m]++ { n++ }
		END { print n + 0 }' $RS_SA/log
}

# rs_sa_sets MGID LID [JOIN]: SET requests from LID for MGID (with JOIN) that
# no fault rule took.
rs_sa_sets() {
	rs_sa_log_count "^req lid=$2 .* SET MCMemberRecord .*mgid=$1 .*join=${3:-0x[0-9a-f]+} " \
		' fault='
}

# rs_sa_answered STATUS MGID LID: answers to LID's SETs for MGID with STATUS.
rs_sa_answered() {
	rs_sa_log_count "^resp lid=$3 .* GET_RESP MCMemberRecord .*status=$1 mgid=$2 "
}

# rs_sa_deletes MGID LID [FAULT]: DELETE requests from LID for MGID, with
# FAULT or none.
rs_sa_deletes() {
	local re="^req lid=$2 .* DELETE MCMemberRecord .*mgid=$1 "
	if [ -n "${3:-}" ]; then
		rs_sa_log_count "$re" '' " fault=$3"
	else
		rs_sa_log_count "$re" ' fault='
	fi
}

# rs_sa_normalised_log: the log as compared between implementations: the
# messages (each once) without transaction ids and the multicast LIDs the SA
# gave (in the order groups were created).
rs_sa_normalised_log() {
	rs_sa_log | sed -E 's/ tid=0x[0-9a-f]+//; s/ mlid=0xc[0-9a-f]{3}/ mlid=M/' | sort
}

# rs_sa_fault rule: adds a fault rule; rs_sa_control command: runs an SM
# command (sib_sm's control.rs lists both).
rs_sa_fault() { echo "$*" >$RS_SA/faults; }
# rs_sa_held n: the SA holds n requests. Builtins only, no fork: the windows
# that wait for a hold must close within ib_sa's 3.3 s.
rs_sa_held() {
	local l
	while read -r l; do [ "$l" = "held $1" ] && return 0; done <$RS_SA/faults
	return 1
}
rs_sa_control() { echo "$*" >$RS_SA/control; }

# rs_maddr if add|del MGID...: adds or removes the link-layer multicast
# addresses of groups on IPoIB interface if (the multicast QPN 0xffffff, then
# the MGID), as ip maddr does (SIOCADDMULTI, SIOCDELMULTI); ip maddr itself
# cannot: its struct sockaddr holds 14 bytes, not IPoIB's 20.
rs_maddr() {
	python3 -c '
import fcntl, socket, struct, sys
req = {"add": 0x8931, "del": 0x8932}[sys.argv[2]]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for mgid in sys.argv[3:]:
    addr = bytes.fromhex("00ffffff" + mgid.replace(":", ""))
    if len(addr) != 20:
        sys.exit("not an MGID: " + mgid)
    fcntl.ioctl(s, req, struct.pack("16sH22s", sys.argv[1].encode(), 0, addr))' "$@"
}
