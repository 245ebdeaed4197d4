// SPDX-License-Identifier: GPL-2.0

//! The id tables of contexts and of joins (C's `ctx_table` and `multicast_table`, allocating
//! xarrays): ids are handed out lowest free first, from 0, as `xa_alloc()` does.

use kernel::{prelude::*, sync::Arc};

/// A slot of an [`IdTable`].
enum Slot<T> {
    /// Not allocated.
    Free,
    /// Allocated, but nothing is found there: an object not published yet, or one being
    /// destroyed (C's `NULL` entry after `xa_alloc()`, or `XA_ZERO_ENTRY`).
    Taken,
    /// Published: lookups find it.
    Live(Arc<T>),
}

/// Ids and the objects published under them. Callers lock it (a [`kernel::sync::Mutex`]).
pub(crate) struct IdTable<T> {
    slots: KVec<Slot<T>>,
}

impl<T> IdTable<T> {
    /// An empty table.
    pub(crate) const fn new() -> Self {
        Self { slots: KVec::new() }
    }

    /// Allocates the lowest free id, taken but not published (`xa_alloc()` of `NULL`).
    pub(crate) fn alloc(&mut self) -> Result<u32> {
        if let Some(i) = self.slots.iter().position(|s| matches!(s, Slot::Free)) {
            self.slots[i] = Slot::Taken;
            return Ok(i as u32);
        }
        let i = self.slots.len();
        if i > u32::MAX as usize {
            return Err(ENOMEM);
        }
        self.slots.push(Slot::Taken, GFP_KERNEL)?;
        Ok(i as u32)
    }

    /// The object published under `id`.
    pub(crate) fn get(&self, id: u32) -> Option<&Arc<T>> {
        match self.slots.get(id as usize) {
            Some(Slot::Live(o)) => Some(o),
            _ => None,
        }
    }

    /// The object published under `id`, if `mine` says it is the caller's: `ENOENT` if there
    /// is none, `EINVAL` if it is another file's (ids are shared by every file, as in C).
    pub(crate) fn get_of(&self, id: u32, mine: impl FnOnce(&T) -> bool) -> Result<&Arc<T>> {
        let o = self.get(id).ok_or(ENOENT)?;
        if mine(o) {
            Ok(o)
        } else {
            Err(EINVAL)
        }
    }

    /// Publishes `o` under its taken id (`xa_store()`).
    pub(crate) fn publish(&mut self, id: u32, o: Arc<T>) {
        if let Some(s) = self.slots.get_mut(id as usize) {
            if matches!(s, Slot::Taken) {
                *s = Slot::Live(o);
                return;
            }
        }
        kernel::warn_on!(true);
    }

    /// Unpublishes `o` from `id`, keeping the id taken (`xa_cmpxchg(o, XA_ZERO_ENTRY)`);
    /// false if `id` does not hold `o` (someone else unpublished it).
    pub(crate) fn unpublish(&mut self, id: u32, o: &Arc<T>) -> bool {
        match self.slots.get_mut(id as usize) {
            Some(s @ Slot::Live(_)) => {
                if let Slot::Live(cur) = s {
                    if !Arc::ptr_eq(cur, o) {
                        return false;
                    }
                }
                *s = Slot::Taken;
                true
            }
            _ => false,
        }
    }

    /// Unpublishes and frees `id`, returning what was published there (`__xa_erase()`).
    pub(crate) fn erase(&mut self, id: u32) -> Option<Arc<T>> {
        let s = self.slots.get_mut(id as usize)?;
        let old = core::mem::replace(s, Slot::Free);
        self.trim();
        match old {
            Slot::Live(o) => Some(o),
            _ => None,
        }
    }

    /// Frees a taken, unpublished id; false (and nothing changes) if it is not one.
    pub(crate) fn free_taken(&mut self, id: u32) -> bool {
        match self.slots.get_mut(id as usize) {
            Some(s @ Slot::Taken) => {
                *s = Slot::Free;
                self.trim();
                true
            }
            _ => false,
        }
    }

    /// Erases every published object `f` selects.
    pub(crate) fn erase_if(&mut self, mut f: impl FnMut(&Arc<T>) -> bool) {
        for s in self.slots.iter_mut() {
            if matches!(s, Slot::Live(o) if f(o)) {
                *s = Slot::Free;
            }
        }
        self.trim();
    }

    /// Frees the table's memory; every id must be free.
    pub(crate) fn clear(&mut self) {
        kernel::warn_on!(self.len() != 0);
        self.slots = KVec::new();
    }

    /// Drops free slots at the end, so that the table shrinks when ids go.
    fn trim(&mut self) {
        let keep = self
            .slots
            .iter()
            .rposition(|s| !matches!(s, Slot::Free))
            .map_or(0, |i| i + 1);
        self.slots.truncate(keep);
    }

    /// How many ids are taken (published or not).
    pub(crate) fn len(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| !matches!(s, Slot::Free))
            .count()
    }
}
