// SPDX-License-Identifier: GPL-2.0

//! A software stand-in for the SA, for KUnit and the benchmark.
//!
//! It keeps the queries it gets and answers them when told ([`FakeSa::answer`]), or at once
//! from inside [`SaBackend::query`] when built `inline` (for the benchmark: a real SA never
//! answers on the caller's stack, so a callback must not free its member then, or the free
//! waits for the frame that sent the join). Its answers are what an SA sends: a
//! join's record with the port's combined join state, an MLID, and an MGID when the join asked
//! for MGID 0.

use super::{
    backend::SaBackend,
    group::Group, //
};
use kernel::{
    prelude::*,
    rdma::{
        sa::{
            McMemberComps,
            McMemberRec,
            SaMethod, //
        },
        Gid,
    },
    sync::{
        Arc,
        SpinLock, //
    },
};

/// A query the fake got.
pub(crate) struct Query {
    pub(crate) method: SaMethod,
    pub(crate) rec: McMemberRec,
    /// Read by the KUnit suites only (`peek()`).
    #[cfg_attr(not(CONFIG_KUNIT = "y"), expect(dead_code))]
    pub(crate) comp: McMemberComps,
    group: Arc<Group>,
}

pub(crate) struct FakeInner {
    pub(crate) queries: KVec<Query>,
    /// SET and DELETE queries sent.
    pub(crate) sets: u64,
    pub(crate) deletes: u64,
    /// The error the next `query()` fails with, if any.
    pub(crate) fail_send: Option<Error>,
    /// The P_Key table of the port.
    pub(crate) pkeys: [u16; 4],
    next_mlid: u16,
}

/// A software SA.
#[pin_data]
pub(crate) struct FakeSa {
    inline: bool,
    #[pin]
    pub(crate) inner: SpinLock<FakeInner>,
}

impl FakeSa {
    /// A fake SA; `inline` answers every query at once with success.
    pub(crate) fn new(inline: bool) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                inline,
                inner <- kernel::new_spinlock!(FakeInner {
                    queries: KVec::new(),
                    sets: 0,
                    deletes: 0,
                    fail_send: None,
                    pkeys: [0xffff, 0x8001, 0, 0],
                    next_mlid: 0xc000,
                }, "FakeSa::inner"),
            }),
            GFP_KERNEL,
        )
    }

    /// Queries waiting for an answer.
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn pending(&self) -> usize {
        self.inner.lock().queries.len()
    }

    /// The method and record of waiting query `i`.
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn peek(&self, i: usize) -> Option<(SaMethod, McMemberRec, McMemberComps)> {
        self.inner
            .lock()
            .queries
            .get(i)
            .map(|q| (q.method, q.rec, q.comp))
    }

    /// Queries sent: (SET, DELETE).
    pub(crate) fn counts(&self) -> (u64, u64) {
        let f = self.inner.lock();
        (f.sets, f.deletes)
    }

    /// The SA's answer to a query.
    fn response(&self, q: &Query) -> McMemberRec {
        let mut r = q.rec;
        if q.method == SaMethod::Set {
            let joined = q.group.inner.lock().rec.join_state();
            r.set_join_state(joined | q.rec.join_state());
            if r.mlid() == 0 {
                let mut f = self.inner.lock();
                f.next_mlid = f.next_mlid.wrapping_add(1);
                r.set_mlid(f.next_mlid);
            }
            if r.mgid().is_zero() {
                let mut g = [0u8; 16];
                g[..4].copy_from_slice(&[0xff, 0x12, 0xa0, 0x1b]);
                g[14..].copy_from_slice(&r.mlid().to_be_bytes());
                r.set_mgid(Gid(g));
            }
        }
        r
    }

    /// Answers the oldest waiting query with `status` (0 or a negative errno) and the SA's
    /// record, changed by `edit`; returns whether there was one.
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn answer_with(&self, status: i32, edit: impl FnOnce(&mut McMemberRec)) -> bool {
        // `remove()` fails only on an empty list: then there is nothing to answer.
        let Ok(q) = self.inner.lock().queries.remove(0) else {
            return false;
        };
        let mut r = self.response(&q);
        edit(&mut r);
        let rec = if status == 0 { Some(&r) } else { None };
        Group::sa_done(q.group, q.method, status, rec);
        true
    }

    /// Answers the oldest waiting query with `status`.
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn answer(&self, status: i32) -> bool {
        self.answer_with(status, |_| {})
    }
}

impl SaBackend for FakeSa {
    fn query(
        &self,
        _port: u32,
        method: SaMethod,
        rec: &McMemberRec,
        comp: McMemberComps,
        group: Arc<Group>,
    ) -> Result {
        let q = Query {
            method,
            rec: *rec,
            comp,
            group,
        };
        {
            let mut f = self.inner.lock();
            if let Some(e) = f.fail_send.take() {
                return Err(e);
            }
            if method == SaMethod::Set {
                f.sets += 1;
            } else {
                f.deletes += 1;
            }
            if !self.inline {
                return f.queries.push(q, GFP_ATOMIC).map_err(|_| ENOMEM);
            }
        }
        let r = self.response(&q);
        Group::sa_done(q.group, q.method, 0, Some(&r));
        Ok(())
    }

    fn find_pkey(&self, _port: u32, pkey: u16) -> Result<u16> {
        let f = self.inner.lock();
        match f.pkeys.iter().position(|&p| p != 0 && p == pkey) {
            Some(i) => Ok(i as u16),
            None => Err(ENOENT),
        }
    }
}
