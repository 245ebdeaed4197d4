// SPDX-License-Identifier: GPL-2.0

//! Member records and join states: the pure rules of `multicast.c`.

use kernel::{
    prelude::*,
    rdma::sa::{join_state, mcmember as mask, selector, CompMask, McMemberRec},
};

/// How many members a group has per join state (`mcast_group.members`).
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub(crate) struct Membership(pub(crate) [i32; join_state::COUNT]);

impl Membership {
    /// Counts one member more (`inc`) or less in every state of `js` (`adjust_membership()`).
    pub(crate) fn adjust(&mut self, js: u8, inc: bool) {
        for (i, n) in self.0.iter_mut().enumerate() {
            if js & (1 << i) != 0 {
                *n += if inc { 1 } else { -1 };
            }
        }
    }

    /// The states of `joined` that no member holds any more: what to leave at the SA
    /// (`get_leave_state()`).
    pub(crate) fn leave_state(&self, joined: u8) -> u8 {
        let mut ls = 0u8;
        for (i, n) in self.0.iter().enumerate() {
            if *n == 0 {
                ls |= 1 << i;
            }
        }
        ls & joined
    }
}

/// Whether a selector-qualified component rules `src` out (`check_selector()`).
fn selector_fails(
    comp: CompMask,
    sel_mask: CompMask,
    val_mask: CompMask,
    sel: u8,
    src: u8,
    dst: u8,
) -> bool {
    if !comp.has(sel_mask) || !comp.has(val_mask) {
        return false;
    }
    match sel {
        selector::GT => src <= dst,
        selector::LT => src >= dst,
        selector::EQ => src != dst,
        _ => false,
    }
}

/// Checks that the group's record `src` satisfies the requested record `dst` in the
/// components of `comp` (`cmp_rec()`): `EINVAL` if not. The MGID already matches; the join
/// state is checked separately and the proxy-join bit ignored.
pub(crate) fn check(src: &McMemberRec, dst: &McMemberRec, comp: CompMask) -> Result {
    let (s, d) = (&src.0, &dst.0);
    let bad = (comp.has(mask::PORT_GID) && src.port_gid() != dst.port_gid())
        || (comp.has(mask::QKEY) && s.qkey != d.qkey)
        || (comp.has(mask::MLID) && s.mlid != d.mlid)
        || selector_fails(
            comp,
            mask::MTU_SELECTOR,
            mask::MTU,
            d.mtu_selector,
            s.mtu,
            d.mtu,
        )
        || (comp.has(mask::TRAFFIC_CLASS) && s.traffic_class != d.traffic_class)
        || (comp.has(mask::PKEY) && s.pkey != d.pkey)
        || selector_fails(
            comp,
            mask::RATE_SELECTOR,
            mask::RATE,
            d.rate_selector,
            s.rate,
            d.rate,
        )
        || selector_fails(
            comp,
            mask::PACKET_LIFE_TIME_SELECTOR,
            mask::PACKET_LIFE_TIME,
            d.packet_life_time_selector,
            s.packet_life_time,
            d.packet_life_time,
        )
        || (comp.has(mask::SL) && s.sl != d.sl)
        || (comp.has(mask::FLOW_LABEL) && s.flow_label != d.flow_label)
        || (comp.has(mask::HOP_LIMIT) && s.hop_limit != d.hop_limit)
        || (comp.has(mask::SCOPE) && s.scope != d.scope);
    if bad {
        Err(EINVAL)
    } else {
        Ok(())
    }
}

#[kunit_tests(rdma_sa_mcast_rec)]
mod tests {
    use super::*;
    use kernel::rdma::Gid;

    #[test]
    fn leave_state_only_of_joined_states_without_members() {
        let mut m = Membership::default();
        m.adjust(join_state::FULL | join_state::SENDONLY_FULL, true);
        m.adjust(join_state::FULL, true);
        assert_eq!(m.0, [2, 0, 0, 1]);
        // Joined full and non: non has no member left.
        assert_eq!(
            m.leave_state(join_state::FULL | join_state::NON),
            join_state::NON
        );
        m.adjust(join_state::FULL | join_state::SENDONLY_FULL, false);
        assert_eq!(m.leave_state(0xf), 0xe);
        m.adjust(join_state::FULL, false);
        assert_eq!(m.leave_state(join_state::FULL), join_state::FULL);
    }

    #[test]
    fn check_compares_only_masked_components() {
        let mut a = McMemberRec::with_mgid(Gid([0xff; 16]));
        a.0.qkey = 0x1234_u32.to_be();
        a.0.mtu = 4;
        a.0.rate = 6;
        let mut b = a;
        b.0.qkey = 0x4321_u32.to_be();
        assert_eq!(check(&a, &b, mask::MGID | mask::SL), Ok(()));
        assert_eq!(check(&a, &b, mask::QKEY), Err(EINVAL));
        // MTU selector: the group MTU 4 must be greater than the requested 3.
        b.0.mtu = 3;
        b.0.mtu_selector = selector::GT;
        assert_eq!(check(&a, &b, mask::MTU_SELECTOR | mask::MTU), Ok(()));
        b.0.mtu = 4;
        assert_eq!(check(&a, &b, mask::MTU_SELECTOR | mask::MTU), Err(EINVAL));
        // Without the selector component the value alone is not compared.
        assert_eq!(check(&a, &b, mask::MTU), Ok(()));
        b.0.rate_selector = selector::EQ;
        b.0.rate = 6;
        assert_eq!(check(&a, &b, mask::RATE_SELECTOR | mask::RATE), Ok(()));
        b.0.rate_selector = selector::LT;
        assert_eq!(check(&a, &b, mask::RATE_SELECTOR | mask::RATE), Err(EINVAL));
    }
}
