// SPDX-License-Identifier: GPL-2.0

//! KUnit tests of the id tables, whose ids users see: lowest free id first, from 0, as
//! `xa_alloc()` hands them out, and the states C's xarrays give an id (reserved, published,
//! reserved again while being destroyed). The commands run end to end under the selftests
//! (rdma_rs_ucma_abi.c, rdma_rs_ucma_race.c, librdmacm's programs and pyverbs).

use super::Tables;
use kernel::{
    prelude::*,
    sync::Arc,
    xarray::{
        AllocKind,
        XArray, //
    },
};

#[kunit_tests(rdma_ucm_rs)]
mod cases {
    use super::*;

    fn table() -> Pin<KBox<XArray<Arc<u32>>>> {
        KBox::pin_init(XArray::new(AllocKind::Alloc), GFP_KERNEL).expect("a small allocation")
    }

    fn obj(v: u32) -> Arc<u32> {
        Arc::new(v, GFP_KERNEL).expect("a small allocation")
    }

    #[test]
    fn ids_are_the_lowest_free_from_zero() {
        let t = table();
        assert_eq!(Tables::reserve(&t), Ok(0));
        assert_eq!(Tables::reserve(&t), Ok(1));
        assert_eq!(Tables::reserve(&t), Ok(2));
        assert!(t.lock().remove(1).is_none());
        assert_eq!(Tables::reserve(&t), Ok(1));
        assert_eq!(Tables::reserve(&t), Ok(3));
        for id in 0..4 {
            assert!(t.lock().remove(id).is_none());
        }
        assert_eq!(Tables::reserve(&t), Ok(0));
        t.lock().remove(0);
    }

    #[test]
    fn only_published_ids_are_found() {
        let t = table();
        let id = Tables::reserve(&t).unwrap() as usize;
        // Reserved (C's NULL entry after xa_alloc()): not found.
        assert!(t.lock().get(id).is_none());
        let seven = obj(7);
        assert!(t.lock().store(id, seven, GFP_KERNEL).is_ok());
        assert_eq!(t.lock().get(id).map(|o| *o), Some(7));
        // Reserved again for destruction (XA_ZERO_ENTRY): not found, the id still taken.
        assert_eq!(t.lock().take_reserving(id).map(|o| *o), Some(7));
        assert!(t.lock().get(id).is_none());
        // A second destroyer finds nothing to take.
        assert!(t.lock().take_reserving(id).is_none());
        assert_eq!(Tables::reserve(&t), Ok(id as u32 + 1));
        t.lock().remove(id + 1);
        t.lock().remove(id);
        assert_eq!(Tables::reserve(&t), Ok(0));
        t.lock().remove(0);
    }

    #[test]
    fn for_each_sees_the_published_objects_in_order() {
        let t = table();
        for v in 0..6 {
            let id = Tables::reserve(&t).unwrap() as usize;
            if v != 2 {
                let o = obj(v * 10);
                assert!(t.lock().store(id, o, GFP_KERNEL).is_ok());
            }
        }
        let mut seen = KVec::new();
        t.lock().for_each(|id, o| {
            seen.push((id, *o), GFP_ATOMIC).expect("a small allocation");
            true
        });
        assert_eq!(seen[..], [(0, 0), (1, 10), (3, 30), (4, 40), (5, 50)]);
        for id in 0..6 {
            t.lock().remove(id);
        }
    }
}
