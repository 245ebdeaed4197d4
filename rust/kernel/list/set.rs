// SPDX-License-Identifier: GPL-2.0

//! A set of linked lists whose items know which of its lists holds them.
//!
//! [`List::remove`] is `unsafe`: removing an item from a list it is not on corrupts both lists.
//! A [`ListSet`] keeps, in each item, a [`SetSlot`] naming the set and the list that holds it,
//! kept up to date by the set alone, so that [`ListSet::remove`] can check where an item is
//! before it unlinks it, in O(1) and in safe code. It suits an object whose items move between
//! a few queues (pending, active) and are taken off from anywhere (a user's free), as C does
//! with `list_del()`.
//!

use crate::{
    list::{
        List,
        ListArc,
        ListItem, //
    },
    prelude::*,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        ArcBorrow, //
    },
};

/// Where an item is: on no list of any set, or on list `index` of set `set`.
///
/// # Invariants
///
/// `0` while the item is on no list of a [`ListSet`]; otherwise `(set << 8) | (index + 1)`,
/// written by that set only, while it holds the item on that list.
pub struct SetSlot {
    owner: Atomic<u64>,
}

impl SetSlot {
    /// A slot of an item on no list.
    pub const fn new() -> Self {
        Self {
            owner: Atomic::new(0),
        }
    }
}

impl Default for SetSlot {
    fn default() -> Self {
        Self::new()
    }
}

/// An item that can be on the lists of a [`ListSet`].
///
/// # Safety
///
/// `set_slot()` returns the same [`SetSlot`] every time it is called on an item, and no two
/// items share one. Use [`impl_has_set_slot!`](crate::impl_has_set_slot).
pub unsafe trait HasSetSlot<const ID: u64 = 0> {
    /// The item's slot.
    fn set_slot(&self) -> &SetSlot;
}

/// Implements [`HasSetSlot`] through a field of type [`SetSlot`].
#[macro_export]
macro_rules! impl_has_set_slot {
    (impl HasSetSlot<$id:literal> for $t:ty { self.$field:ident }) => {
        // SAFETY: The slot is a field of the item: the same every time, and its own.
        unsafe impl $crate::list::HasSetSlot<$id> for $t {
            fn set_slot(&self) -> &$crate::list::SetSlot {
                &self.$field
            }
        }
    };
}

/// The next set's id: ids are never reused (a 56-bit counter does not wrap in practice).
static NEXT_SET: Atomic<u64> = Atomic::new(1);

/// `N` lists (at most 255) whose items record which of them holds them.
///
/// # Invariants
///
/// An item's [`SetSlot`] names list `k` of this set (`id`) exactly when the item is on
/// `lists[k]`.
pub struct ListSet<T, const N: usize, const ID: u64 = 0>
where
    T: ?Sized + ListItem<ID> + HasSetSlot<ID>,
{
    id: u64,
    lists: [List<T, ID>; N],
}

impl<T, const N: usize, const ID: u64> ListSet<T, N, ID>
where
    T: ?Sized + ListItem<ID> + HasSetSlot<ID>,
{
    /// An empty set of lists.
    pub fn new() -> Self {
        build_assert!(N > 0 && N < 256);
        Self {
            id: NEXT_SET.fetch_add(1, Relaxed),
            lists: core::array::from_fn(|_| List::new()),
        }
    }

    fn tag(&self, index: usize) -> u64 {
        // `index < N < 256`.
        (self.id << 8) | (index as u64 + 1)
    }

    /// Which list of this set holds `item`, if one does.
    pub fn which(&self, item: &T) -> Option<usize> {
        let owner = item.set_slot().owner.load(Relaxed);
        (owner >> 8 == self.id && owner & 0xff != 0).then(|| (owner & 0xff) as usize - 1)
    }

    /// Puts `item` at the back of list `index`; gives it back if there is no such list.
    pub fn push_back(&mut self, index: usize, item: ListArc<T, ID>) -> Result<(), ListArc<T, ID>> {
        if index >= N {
            return Err(item);
        }
        // INVARIANT: A `ListArc` is on no list; it goes on `lists[index]`, and its slot says so.
        item.set_slot().owner.store(self.tag(index), Relaxed);
        self.lists[index].push_back(item);
        Ok(())
    }

    /// Takes `item` off whichever list of this set holds it: that list's index, and the item.
    pub fn remove(&mut self, item: &T) -> Option<(usize, ListArc<T, ID>)> {
        let index = self.which(item)?;
        // SAFETY: By the type invariant, the slot names `lists[index]` only while the item is
        // on it: it is on no other list with this id.
        let removed = unsafe { self.lists[index].remove(item) }?;
        // INVARIANT: Off the list: no list of any set.
        removed.set_slot().owner.store(0, Relaxed);
        Some((index, removed))
    }

    /// Takes the first item off list `index`.
    pub fn pop_front(&mut self, index: usize) -> Option<ListArc<T, ID>> {
        let item = self.lists.get_mut(index)?.pop_front()?;
        // INVARIANT: Off the list: no list of any set.
        item.set_slot().owner.store(0, Relaxed);
        Some(item)
    }

    /// Puts `item` at the front of list `index`; gives it back if there is no such list.
    pub fn push_front(&mut self, index: usize, item: ListArc<T, ID>) -> Result<(), ListArc<T, ID>> {
        if index >= N {
            return Err(item);
        }
        // INVARIANT: A `ListArc` is on no list; it goes on `lists[index]`, and its slot says so.
        item.set_slot().owner.store(self.tag(index), Relaxed);
        self.lists[index].push_front(item);
        Ok(())
    }

    /// Takes `item` off whichever list of this set holds it, if there is a list `to` to put it
    /// on: the list it came from, and the item.
    fn take_for(&mut self, item: &T, to: usize) -> Option<(usize, ListArc<T, ID>)> {
        if to >= N {
            return None;
        }
        self.remove(item)
    }

    /// Moves `item` from whichever list of this set holds it to the back of list `to`
    /// (`list_move_tail()`): the same list reference moves, so no count of the item changes.
    /// Returns the list it came from, or `None` (and moves nothing) if no list of this set
    /// holds it or there is no list `to`.
    pub fn move_back(&mut self, item: &T, to: usize) -> Option<usize> {
        let (from, item) = self.take_for(item, to)?;
        // `to < N`: `push_back()` cannot give the item back.
        let _ = self.push_back(to, item);
        Some(from)
    }

    /// Moves `item` from whichever list of this set holds it to the front of list `to`
    /// (`list_move()`), as [`ListSet::move_back`] does to the back.
    pub fn move_front(&mut self, item: &T, to: usize) -> Option<usize> {
        let (from, item) = self.take_for(item, to)?;
        // `to < N`: `push_front()` cannot give the item back.
        let _ = self.push_front(to, item);
        Some(from)
    }

    /// The first item of list `index`, borrowed from the set.
    pub fn front(&self, index: usize) -> Option<ArcBorrow<'_, T>> {
        self.lists.get(index)?.iter().next()
    }

    /// Whether list `index` is empty (true for no such list).
    pub fn is_empty(&self, index: usize) -> bool {
        self.lists.get(index).is_none_or(|l| l.is_empty())
    }

    /// The items of list `index`, first to last (none for no such list).
    pub fn iter(&self, index: usize) -> impl Iterator<Item = ArcBorrow<'_, T>> {
        self.lists.get(index).into_iter().flat_map(|l| l.iter())
    }
}

impl<T, const N: usize, const ID: u64> Default for ListSet<T, N, ID>
where
    T: ?Sized + ListItem<ID> + HasSetSlot<ID>,
{
    fn default() -> Self {
        Self::new()
    }
}

impl<T, const N: usize, const ID: u64> Drop for ListSet<T, N, ID>
where
    T: ?Sized + ListItem<ID> + HasSetSlot<ID>,
{
    fn drop(&mut self) {
        for index in 0..N {
            while self.pop_front(index).is_some() {}
        }
    }
}

// Inside this crate, clippy sees into `impl_list_arc_safe!`, whose `unsafe impl` carries its
// justification in the macro's documentation, not in a comment above it.
#[allow(clippy::undocumented_unsafe_blocks)]
#[macros::kunit_tests(rust_kernel_list_set)]
mod tests {
    use super::*;
    use crate::{
        alloc::flags::GFP_KERNEL,
        list::{
            AtomicTracker,
            ListLinks,
            TryNewListArc, //
        },
        sync::Arc,
    };

    #[pin_data]
    struct Item {
        value: u32,
        #[pin]
        links: ListLinks,
        #[pin]
        track: AtomicTracker,
        slot: SetSlot,
    }

    crate::list::impl_list_arc_safe! {
        impl ListArcSafe<0> for Item { tracked_by track: AtomicTracker; }
    }

    crate::list::impl_list_item! {
        impl ListItem<0> for Item { using ListLinks { self.links }; }
    }

    crate::impl_has_set_slot! {
        impl HasSetSlot<0> for Item { self.slot }
    }

    fn item(value: u32) -> Result<Arc<Item>> {
        let la = ListArc::pin_init(
            try_pin_init!(Item {
                value,
                links <- ListLinks::new(),
                track <- AtomicTracker::new(),
                slot: SetSlot::new(),
            }? Error),
            GFP_KERNEL,
        )?;
        Ok(la.into_arc())
    }

    fn list_arc(a: &Arc<Item>) -> ListArc<Item> {
        ListArc::try_from_arc(a.clone()).ok().unwrap()
    }

    fn values(set: &ListSet<Item, 2>, index: usize) -> KVec<u32> {
        let mut v = KVec::new();
        for i in set.iter(index) {
            v.push(i.value, GFP_KERNEL).unwrap();
        }
        v
    }

    #[test]
    fn items_move_between_lists_and_come_off_anywhere() -> Result {
        let (a, b, c) = (item(1)?, item(2)?, item(3)?);
        let mut set = ListSet::<Item, 2>::new();
        assert!(set.push_back(0, list_arc(&a)).is_ok());
        assert!(set.push_back(0, list_arc(&b)).is_ok());
        assert!(set.push_back(1, list_arc(&c)).is_ok());
        assert!(set.push_back(2, list_arc(&item(4)?)).is_err());
        assert_eq!(
            (set.which(&a), set.which(&b), set.which(&c)),
            (Some(0), Some(0), Some(1))
        );
        assert_eq!(&values(&set, 0)[..], &[1, 2]);
        // A member of the middle of a list, then the head moves to the other list.
        let (index, la) = set.remove(&b).unwrap();
        assert_eq!((index, la.value), (0, 2));
        drop(la);
        assert!(set.remove(&b).is_none());
        assert_eq!(set.front(0).map(|f| f.value), Some(1));
        let la = set.pop_front(0).unwrap();
        assert!(set.push_back(1, la).is_ok());
        assert!(set.is_empty(0));
        assert_eq!(&values(&set, 1)[..], &[3, 1]);
        assert_eq!(set.which(&a), Some(1));
        Ok(())
    }

    #[test]
    fn an_item_moves_with_its_list_reference() -> Result {
        let (a, b) = (item(1)?, item(2)?);
        let mut set = ListSet::<Item, 2>::new();
        assert!(set.push_back(0, list_arc(&a)).is_ok());
        assert!(set.push_back(1, list_arc(&b)).is_ok());
        assert_eq!(set.move_back(&a, 1), Some(0));
        assert_eq!(&values(&set, 1)[..], &[2, 1]);
        assert_eq!((set.which(&a), set.is_empty(0)), (Some(1), true));
        // Within one list: to its back, then to its front.
        assert_eq!(set.move_back(&b, 1), Some(1));
        assert_eq!(&values(&set, 1)[..], &[1, 2]);
        assert_eq!(set.move_front(&b, 1), Some(1));
        assert_eq!(&values(&set, 1)[..], &[2, 1]);
        // To the front of another list.
        assert_eq!(set.move_front(&a, 0), Some(1));
        assert_eq!(
            (&values(&set, 0)[..], &values(&set, 1)[..]),
            (&[1][..], &[2][..])
        );
        assert_eq!(set.move_back(&a, 1), Some(0));
        // No list `to`, or an item of no list of the set: nothing moves.
        assert_eq!(set.move_back(&a, 2), None);
        assert_eq!(set.move_front(&a, 2), None);
        assert_eq!(set.move_back(&*item(3)?, 0), None);
        assert_eq!(set.move_front(&*item(3)?, 0), None);
        assert_eq!((set.which(&a), set.which(&b)), (Some(1), Some(1)));
        // The set still holds the only list reference of each.
        assert!(ListArc::try_from_arc(a.clone()).is_err());
        Ok(())
    }

    #[test]
    fn another_set_cannot_take_an_item_off() -> Result {
        let a = item(1)?;
        let mut one = ListSet::<Item, 2>::new();
        let mut other = ListSet::<Item, 2>::new();
        assert!(one.push_back(1, list_arc(&a)).is_ok());
        assert_eq!(other.which(&a), None);
        assert!(other.remove(&a).is_none());
        assert!(other.pop_front(1).is_none());
        assert_eq!(one.which(&a), Some(1));
        // Dropping a set takes its items off: they can be queued again.
        drop(one);
        assert!(ListArc::try_from_arc(a.clone()).is_ok());
        assert_eq!(other.which(&a), None);
        Ok(())
    }
}
