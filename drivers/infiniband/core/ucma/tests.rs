// SPDX-License-Identifier: GPL-2.0

//! KUnit tests of the id tables, whose ids users see: lowest free id first, from 0, as
//! `xa_alloc()` hands them out, and the states C's xarrays give an id (reserved, published,
//! being destroyed). The commands run end to end under the selftests (rdma_rs_ucma_abi.c,
//! rdma_rs_ucma_race.c, librdmacm's programs and pyverbs).

use super::table::IdTable;
use kernel::{prelude::*, sync::Arc};

#[kunit_tests(rdma_ucm_rs)]
mod cases {
    use super::*;

    fn obj(v: u32) -> Arc<u32> {
        Arc::new(v, GFP_KERNEL).expect("a small allocation")
    }

    #[test]
    fn ids_are_the_lowest_free_from_zero() {
        let mut t = IdTable::<u32>::new();
        assert_eq!(t.alloc(), Ok(0));
        assert_eq!(t.alloc(), Ok(1));
        assert_eq!(t.alloc(), Ok(2));
        assert!(t.free_taken(1));
        assert_eq!(t.alloc(), Ok(1));
        assert_eq!(t.alloc(), Ok(3));
        assert_eq!(t.len(), 4);
        for id in 0..4 {
            assert!(t.free_taken(id));
        }
        assert_eq!(t.len(), 0);
        assert_eq!(t.alloc(), Ok(0));
        assert!(t.free_taken(0));
        t.clear();
    }

    #[test]
    fn only_published_ids_are_found() {
        let mut t = IdTable::<u32>::new();
        let a = obj(7);
        let id = t.alloc().unwrap();
        // Reserved (C's NULL entry after xa_alloc()): not found, not freed by erase's result.
        assert!(t.get(id).is_none());
        t.publish(id, a.clone());
        assert_eq!(t.get(id).map(|o| **o), Some(7));
        // Unpublished for destruction (XA_ZERO_ENTRY): not found, id still taken.
        assert!(t.unpublish(id, &a));
        assert!(t.get(id).is_none());
        // A second destroyer loses, and the id stays taken.
        assert!(!t.unpublish(id, &a));
        assert_eq!(t.alloc(), Ok(id + 1));
        assert!(t.free_taken(id + 1));
        assert!(t.free_taken(id));
        assert_eq!(t.len(), 0);
        t.clear();
    }

    #[test]
    fn unpublish_checks_the_object() {
        let mut t = IdTable::<u32>::new();
        let (a, b) = (obj(1), obj(2));
        let id = t.alloc().unwrap();
        t.publish(id, a.clone());
        assert!(!t.unpublish(id, &b));
        // A published id is not freed as a reserved one.
        assert!(!t.free_taken(id));
        assert_eq!(t.erase(id).map(|o| *o), Some(1));
        assert!(t.get(id).is_none());
        assert_eq!(t.len(), 0);
        t.clear();
    }

    #[test]
    fn erase_if_takes_the_selected_objects() {
        let mut t = IdTable::<u32>::new();
        for v in 0..6 {
            let id = t.alloc().unwrap();
            t.publish(id, obj(v));
        }
        t.erase_if(|o| **o % 2 == 1);
        assert_eq!(t.len(), 3);
        assert!(t.get(1).is_none() && t.get(3).is_none() && t.get(5).is_none());
        assert_eq!(t.get(4).map(|o| **o), Some(4));
        // Freed ids are reused, lowest first.
        assert_eq!(t.alloc(), Ok(1));
        assert!(t.free_taken(1));
        t.erase_if(|_| true);
        assert_eq!(t.len(), 0);
        t.clear();
    }
}
