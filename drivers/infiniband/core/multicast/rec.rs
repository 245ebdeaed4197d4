// SPDX-License-Identifier: GPL-2.0

//! Member records and join states: the pure rules of `multicast.c`.

use kernel::{
    prelude::*,
    rdma::sa::{
        JoinStates,
        McMemberComp,
        McMemberComps,
        McMemberRec,
        Selector, //
    },
};

/// How many members a group has per join state (`mcast_group.members`).
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub(crate) struct Membership(pub(crate) [i32; JoinStates::COUNT]);

impl Membership {
    /// Counts one member more (`inc`) or less in every state of `js` (`adjust_membership()`).
    pub(crate) fn adjust(&mut self, js: JoinStates, inc: bool) {
        for (i, n) in self.0.iter_mut().enumerate() {
            if js.has_index(i) {
                *n += if inc { 1 } else { -1 };
            }
        }
    }

    /// The states of `joined` that no member holds any more: what to leave at the SA
    /// (`get_leave_state()`).
    pub(crate) fn leave_state(&self, joined: JoinStates) -> JoinStates {
        let mut ls = 0u8;
        for (i, n) in self.0.iter().enumerate() {
            if *n == 0 {
                ls |= 1 << i;
            }
        }
        JoinStates::from_raw(ls) & joined
    }
}

/// Whether a selector-qualified component rules the group's value `have` out for the
/// requested `want` (`check_selector()`).
fn selector_fails(
    comp: McMemberComps,
    sel: McMemberComp,
    val: McMemberComp,
    selector: Selector,
    have: u8,
    want: u8,
) -> bool {
    comp.contains(sel) && comp.contains(val) && !selector.accepts(have, want)
}

/// Checks that the group's record `src` satisfies the requested record `dst` in the
/// components of `comp` (`cmp_rec()`): `EINVAL` if not. The MGID already matches; the join
/// state is checked separately and the proxy-join bit ignored.
pub(crate) fn check(src: &McMemberRec, dst: &McMemberRec, comp: McMemberComps) -> Result {
    use McMemberComp as C;
    let differs = |c: C, same: bool| comp.contains(c) && !same;
    let bad = differs(C::PortGid, src.port_gid() == dst.port_gid())
        || differs(C::Qkey, src.qkey() == dst.qkey())
        || differs(C::Mlid, src.mlid() == dst.mlid())
        || selector_fails(
            comp,
            C::MtuSelector,
            C::Mtu,
            dst.mtu_selector(),
            src.mtu(),
            dst.mtu(),
        )
        || differs(C::TrafficClass, src.traffic_class() == dst.traffic_class())
        || differs(C::Pkey, src.pkey() == dst.pkey())
        || selector_fails(
            comp,
            C::RateSelector,
            C::Rate,
            dst.rate_selector(),
            src.rate(),
            dst.rate(),
        )
        || selector_fails(
            comp,
            C::PacketLifeTimeSelector,
            C::PacketLifeTime,
            dst.packet_life_time_selector(),
            src.packet_life_time(),
            dst.packet_life_time(),
        )
        || differs(C::Sl, src.sl() == dst.sl())
        || differs(C::FlowLabel, src.flow_label() == dst.flow_label())
        || differs(C::HopLimit, src.hop_limit() == dst.hop_limit())
        || differs(C::Scope, src.scope() == dst.scope());
    if bad {
        Err(EINVAL)
    } else {
        Ok(())
    }
}

#[kunit_tests(rdma_sa_mcast_rec)]
mod tests {
    use super::*;
    use kernel::rdma::{
        sa::JoinState,
        Gid, //
    };

    #[test]
    fn leave_state_only_of_joined_states_without_members() {
        let mut m = Membership::default();
        m.adjust(JoinState::Full | JoinState::SendOnlyFull, true);
        m.adjust(JoinState::Full.into(), true);
        assert_eq!(m.0, [2, 0, 0, 1]);
        // Joined full and non: non has no member left.
        assert_eq!(
            m.leave_state(JoinState::Full | JoinState::Non),
            JoinState::Non.into()
        );
        m.adjust(JoinState::Full | JoinState::SendOnlyFull, false);
        assert_eq!(m.leave_state(JoinStates::from_raw(0xf)).as_raw(), 0xe);
        m.adjust(JoinState::Full.into(), false);
        assert_eq!(
            m.leave_state(JoinState::Full.into()),
            JoinState::Full.into()
        );
    }

    #[test]
    fn check_compares_only_masked_components() {
        use McMemberComp as C;
        let mut a = McMemberRec::with_mgid(Gid([0xff; 16]));
        a.set_qkey(0x1234);
        a.set_mtu(4);
        a.set_rate(6);
        let mut b = a;
        b.set_qkey(0x4321);
        assert_eq!(check(&a, &b, C::Mgid | C::Sl), Ok(()));
        assert_eq!(check(&a, &b, C::Qkey.into()), Err(EINVAL));
        // MTU selector: the group MTU 4 must be greater than the requested 3.
        b.set_mtu(3);
        b.set_mtu_selector(Selector::Gt);
        assert_eq!(check(&a, &b, C::MtuSelector | C::Mtu), Ok(()));
        b.set_mtu(4);
        assert_eq!(check(&a, &b, C::MtuSelector | C::Mtu), Err(EINVAL));
        // Without the selector component the value alone is not compared.
        assert_eq!(check(&a, &b, C::Mtu.into()), Ok(()));
        b.set_rate_selector(Selector::Eq);
        b.set_rate(6);
        assert_eq!(check(&a, &b, C::RateSelector | C::Rate), Ok(()));
        b.set_rate_selector(Selector::Lt);
        assert_eq!(check(&a, &b, C::RateSelector | C::Rate), Err(EINVAL));
    }
}
