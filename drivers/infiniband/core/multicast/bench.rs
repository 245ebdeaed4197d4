// SPDX-License-Identifier: GPL-2.0

//! The SA multicast benchmark (`CONFIG_RDMA_RS_BENCH`): joins and leaves through a software SA
//! that answers at once, timed against C's in one run (`multicast_bench.c`).

use super::{
    fake::FakeSa,
    ffi::BenchJoin,
    port::Port, //
};
use kernel::{
    prelude::*,
    rdma::{
        sa::{
            JoinState,
            McMemberComp,
            McMemberRec, //
        },
        Gid,
    },
    sync::{
        atomic::{
            Acquire,
            Atomic,
            Release, //
        },
        Arc,
        Refcount, //
    },
    workqueue::{
        OwnedQueue,
        QueueFlag, //
    },
};

/// Joins and frees `n` members of one group (`groups` false), or one member of each of `n`
/// groups; returns the SA messages sent.
pub(super) fn run(groups: bool, n: u64) -> Result<u64> {
    let wq = Arc::new(
        OwnedQueue::new_ordered(c"ib_mcast_bench_rs", QueueFlag::MemReclaim.into())?,
        GFP_KERNEL,
    )?;
    let sa = FakeSa::new(true)?;
    let port = Port::new(1, sa.clone(), wq.clone())?;
    let mut joins = KVec::with_capacity(usize::try_from(n)?, GFP_KERNEL)?;
    let mut rec = McMemberRec::default();
    rec.set_join_state(JoinState::Full.into());
    let comp = McMemberComp::Mgid | McMemberComp::JoinState;
    let mut res = Ok(());
    for i in 0..n {
        let mut g = [0u8; 16];
        g[0] = 0xff;
        g[1] = 0x12;
        let id: u64 = if groups { i + 1 } else { 1 };
        g[8..].copy_from_slice(&id.to_be_bytes());
        rec.set_mgid(Gid(g));
        match BenchJoin::new(&port, &rec, comp) {
            Ok(j) => joins.push(j, GFP_KERNEL)?,
            Err(e) => {
                res = Err(e);
                break;
            }
        }
    }
    wq.flush();
    // Each drop frees its member (`ib_sa_free_multicast()`), in the order of the joins.
    for j in joins.drain_all() {
        drop(j);
    }
    wq.flush();
    port.shut_down();
    res?;
    let (sets, deletes) = sa.counts();
    Ok(sets + deletes)
}

/// The Rust side of `multicast.c`'s `sa_mcast` benchmark: `groups` false joins and frees `n`
/// members of one group, true one member of each of `n` groups. Returns the SA messages sent
/// or a negative errno.
#[no_mangle]
pub(crate) extern "C" fn rdma_rs_sa_mcast_bench(groups: bool, n: u64) -> i64 {
    match run(groups, n) {
        Ok(n) => i64::try_from(n).unwrap_or(i64::MAX),
        Err(e) => i64::from(e.to_errno()),
    }
}

/// The Rust side of `multicast_bench.c`'s `sync_steps` benchmark: `n` rounds of the
/// synchronisation steps a member's join and leave are made of (`mcast_bench_sync_c()` does C's):
/// a [`Refcount`] taken and dropped, a [`kernel::sync::SpinLockIrq`] taken and released, an
/// [`Atomic`] compared-and-exchanged and set back, each through the calls into `rust/helpers/`
/// that the member path makes. Returns 0, or `-EIO` if a step did not do what it should.
#[no_mangle]
pub(crate) extern "C" fn rdma_rs_sync_bench(n: u64) -> c_int {
    let lock = match KBox::pin_init(
        kernel::new_spinlock_irq!((), "sync_steps::lock"),
        GFP_KERNEL,
    ) {
        Ok(lock) => lock,
        Err(e) => return e.to_errno(),
    };
    let busy = Refcount::new(1);
    let flag = Atomic::new(0i32);
    let mut bad = 0u64;
    for _ in 0..n {
        busy.inc();
        drop(lock.lock());
        if flag.cmpxchg(0, 1, Acquire).is_err() {
            bad += 1;
        }
        flag.store(0, Release);
        if busy.dec_and_test() {
            bad += 1;
        }
    }
    if bad == 0 {
        0
    } else {
        EIO.to_errno()
    }
}
