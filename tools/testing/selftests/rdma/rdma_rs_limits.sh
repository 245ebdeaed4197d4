# SPDX-License-Identifier: GPL-2.0
#
# Every time limit of the rdma-rs tests, in seconds, in one place. Sourced by
# rdma_rs_lib.sh (the kselftests), by the harness that runs them in the guest
# (scripts/guest/run-suites.sh) and by the host side (scripts/test.sh).
#
# Each limit states the worst time measured for what it bounds: QEMU TCG on
# the 2-core CI machine, full FRESH runs of December 2026, and the headroom
# over it. Limits are for hangs, not for speed: a unit that gets slow is seen
# in the per-unit times of progress.log, never by a limit.

# One kselftest script (a unit): worst 613 s (rdma_rs_ipoib_mcast.sh in
# make test's first guest, beside the second, 2026-12-04; alone 357 s, or
# 570 s with 100 ifup/ifdown cycles per join task, 10x its default;
# rdma_rs_reload.sh with 5 cycles per implementation 397 s beside the second
# guest, rdma_rs_ucma_fuzz.sh with 20,000 commands per implementation 239 s
# in the second guest, the others at most 300 s), 2.4x.
RS_LIMIT_UNIT=${RS_LIMIT_UNIT:-1500}
# A guest of make test (scripts/test.sh runs two at once), or all suites in
# one (RDMA_RS_GUESTS=1): worst over 3,600 s for a FRESH run in the slowest
# hour measured (2026-12-02 16:41, before the unit order saved reloads; 29
# minutes in a quiet hour). Under .ci/run the deadline of CI's 90 minutes
# shortens it (scripts/test.sh), so that a hung guest is still reported.
RS_LIMIT_GUEST=${RS_LIMIT_GUEST:-5400}
# pyverbs test_device + test_addr: worst 25 s, 8x; test_rdmacm: worst 80 s,
# 4x. Both together stay well inside RS_LIMIT_UNIT.
RS_LIMIT_PYVERBS_DEV=${RS_LIMIT_PYVERBS_DEV:-200}
RS_LIMIT_PYVERBS_CM=${RS_LIMIT_PYVERBS_CM:-320}
# A server and its client (rping, ucmatose, udaddy): worst 9 s, 6x.
RS_TIMEOUT=${RS_TIMEOUT:-60}
# One mckey sender (join, sends, leave): worst 33 s, 2.7x; the receiver
# waits for up to RS_MC_TRIES senders.
RS_MC_TIMEOUT=${RS_MC_TIMEOUT:-90}
RS_MC_TRIES=${RS_MC_TRIES:-5}
# A single mckey that must fail or join at once: worst 4 s, 7x.
RS_LIMIT_MCKEY=${RS_LIMIT_MCKEY:-30}
# A selftest C program (ABI table, race, benchmark): each under 60 s (the
# whole rdma_rs_ucma.sh unit takes 48 to 60 s), 2x.
RS_LIMIT_PROGRAM=${RS_LIMIT_PROGRAM:-120}
# A bounded poll for a state to settle (rs_wait: a GID in the table, a
# device gone): worst 6 s, 10x.
RS_WAIT=${RS_WAIT:-60}
# A GID table reaching what a step of rdma_rs_gid.sh expects: worst 3 s
# (the churn step), 7x.
RS_LIMIT_SETTLE=${RS_LIMIT_SETTLE:-20}
# The RDMA stack unloading once its users are gone (rxe's device teardown
# drops module references asynchronously): worst 4 s, 7x.
RS_LIMIT_UNLOAD=${RS_LIMIT_UNLOAD:-30}
# The fuzzer: 250 to 400 write()s a second under TCG (the bounded waits for
# events set the pace, rdma_rs_ucma_fuzz.c), three runs of each command (C,
# C again, Rust): 1,000 commands took 7.9 to 11.7 s (2026-12-03, 20,000 and
# 100,000 commands); 33 s per 1,000 is 2.8x, plus RS_LIMIT_PROGRAM for the
# start.
RS_LIMIT_FUZZ_PER_1000=${RS_LIMIT_FUZZ_PER_1000:-33}
# A unit of the soak suite (make soak): 1,000,000 fuzzed commands per
# implementation (2.2 to 3.3 hours at the rates above), or 100 reload cycles
# per implementation (about 50 minutes each: 26 to 30 s a cycle).
RS_LIMIT_SOAK_UNIT=${RS_LIMIT_SOAK_UNIT:-36000}
RS_LIMIT_SOAK_GUEST=${RS_LIMIT_SOAK_GUEST:-72000}
