// SPDX-License-Identifier: GPL-2.0

//! Fault injection into the SA's answers: rules, written to debugfs (`sib_sm/sa/faults`), that
//! drop, fail, delay or hold the next N requests matching a method, an attribute or an MGID.
//!
//! A rule is one line: an action, a count, then any of `method=`, `attr=` and `mgid=`:
//!
//! - `drop N`: the requests get no answer (a lost request: the SA does not act on it);
//! - `fail=STATUS N`: the answer is the MAD status STATUS (not 0; BUSY is 0x0001) with the
//!   request's record echoed, and the SA does not act on the request;
//! - `delay=MS N`: the SA sleeps MS milliseconds, then acts and answers;
//! - `hold N`: the SA waits until `release` is written to `sib_sm/sa/control` (at most
//!   [`HOLD_MAX_MS`]), then acts and answers. The SA serves one request at a time, so the
//!   requests behind a held one wait as well.
//!
//! `method=` takes GET, SET, DELETE, GET_TABLE or a number; `attr=` takes ClassPortInfo,
//! ServiceRecord, PathRecord, MCMemberRecord or a number; `mgid=` an IPv6-style GID, matched
//! against MCMemberRecords. Writing `clear` removes every rule.

use crate::sa::{
    code_of,
    record_gid,
    ATTR_MCMEMBER_REC,
    ATTR_NAMES,
    METHOD_NAMES, //
};
use core::fmt;
use kernel::{
    prelude::*,
    rdma::{
        mad::Mad,
        Gid, //
    },
    str::{
        parse_int::ParseInt,
        BStr, //
    },
};

/// The longest a request is held: a test that forgets to release cannot stall the SA for good.
pub(crate) const HOLD_MAX_MS: u32 = 30_000;

/// The most rules at once.
const MAX_RULES: usize = 32;

/// The longest delay, in milliseconds.
const MAX_DELAY_MS: u32 = 30_000;

/// What a rule does to a request.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// No answer.
    Drop,
    /// An answer with this MAD status.
    Fail(u16),
    /// The answer after this many milliseconds.
    Delay(u32),
    /// The answer after a release.
    Hold,
}

impl Action {
    /// How the SA log names it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Action::Drop => "drop",
            Action::Fail(_) => "fail",
            Action::Delay(_) => "delay",
            Action::Hold => "hold",
        }
    }
}

/// A rule: `action` for the next `left` requests that match.
#[derive(Clone, Copy)]
pub(crate) struct Rule {
    action: Action,
    left: u32,
    method: Option<u8>,
    attr: Option<u16>,
    mgid: Option<Gid>,
}

/// Parses a number as the kernel's `kstrto*()` with base 0 do: decimal, or with a `0x`, `0o`
/// (or leading `0`) or `0b` prefix.
pub(crate) fn parse_u32(s: &str) -> Result<u32> {
    u32::from_str(BStr::from_bytes(s.as_bytes()))
}

/// Parses a 64-bit number as [`parse_u32`] does.
pub(crate) fn parse_u64(s: &str) -> Result<u64> {
    u64::from_str(BStr::from_bytes(s.as_bytes()))
}

fn parse_u16(s: &str) -> Result<u16> {
    u16::from_str(BStr::from_bytes(s.as_bytes()))
}

fn parse_method(s: &str) -> Result<u8> {
    match code_of(&METHOD_NAMES, s) {
        Some(m) => Ok(m),
        None => u8::try_from(parse_u32(s)?).map_err(|_| EINVAL),
    }
}

fn parse_attr(s: &str) -> Result<u16> {
    code_of(&ATTR_NAMES, s).map_or_else(|| parse_u16(s), Ok)
}

impl Rule {
    /// Parses a rule line (see the module documentation).
    pub(crate) fn parse(line: &str) -> Result<Self> {
        let mut words = line.split_whitespace();
        let first = words.next().ok_or(EINVAL)?;
        let action = match first.split_once('=') {
            None if first == "drop" => Action::Drop,
            None if first == "hold" => Action::Hold,
            Some(("fail", status)) => match parse_u16(status)? {
                // Status 0 would be a success answer for what the SA did not do.
                0 => return Err(EINVAL),
                status => Action::Fail(status),
            },
            Some(("delay", ms)) => match parse_u32(ms)? {
                ms @ 1..=MAX_DELAY_MS => Action::Delay(ms),
                _ => return Err(EINVAL),
            },
            _ => return Err(EINVAL),
        };
        let left = parse_u32(words.next().ok_or(EINVAL)?)?;
        if left == 0 {
            return Err(EINVAL);
        }
        let mut rule = Self {
            action,
            left,
            method: None,
            attr: None,
            mgid: None,
        };
        for w in words {
            match w.split_once('=').ok_or(EINVAL)? {
                ("method", m) => rule.method = Some(parse_method(m)?),
                ("attr", a) => rule.attr = Some(parse_attr(a)?),
                ("mgid", g) => rule.mgid = Some(g.parse()?),
                _ => return Err(EINVAL),
            }
        }
        Ok(rule)
    }

    fn matches(&self, req: &Mad) -> bool {
        self.method.is_none_or(|m| m == req.method())
            && self.attr.is_none_or(|a| a == req.attr_id())
            && self
                .mgid
                .is_none_or(|g| req.attr_id() == ATTR_MCMEMBER_REC && g == record_gid(req, 0))
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.action {
            Action::Drop => write!(f, "drop")?,
            Action::Hold => write!(f, "hold")?,
            Action::Fail(status) => write!(f, "fail={status:#06x}")?,
            Action::Delay(ms) => write!(f, "delay={ms}")?,
        }
        write!(f, " {}", self.left)?;
        if let Some(m) = self.method {
            write!(f, " method={m:#04x}")?;
        }
        if let Some(a) = self.attr {
            write!(f, " attr={a:#06x}")?;
        }
        if let Some(g) = self.mgid {
            write!(f, " mgid={g:?}")?;
        }
        Ok(())
    }
}

/// The rules, and the state of held requests.
pub(crate) struct Faults {
    rules: KVec<Rule>,
    /// Bumped by each release; a held request waits for a change.
    pub(crate) generation: u64,
    /// Requests held now.
    pub(crate) held: u32,
    /// The SA is going away: nothing is held any more.
    pub(crate) closing: bool,
}

impl Faults {
    /// No rules.
    pub(crate) fn new() -> Self {
        Self {
            rules: KVec::new(),
            generation: 0,
            held: 0,
            closing: false,
        }
    }

    /// Adds a rule after the others; the first rule that matches a request applies.
    pub(crate) fn add(&mut self, rule: Rule) -> Result {
        if self.rules.len() >= MAX_RULES {
            return Err(ENOSPC);
        }
        self.rules.push(rule, GFP_KERNEL)?;
        Ok(())
    }

    /// Removes every rule.
    pub(crate) fn clear(&mut self) {
        self.rules.clear();
    }

    /// The action for `req`, if a rule matches; the rule counts it and goes after its last.
    pub(crate) fn take(&mut self, req: &Mad) -> Option<Action> {
        let i = self.rules.iter().position(|r| r.matches(req))?;
        let action = self.rules[i].action;
        self.rules[i].left -= 1;
        if self.rules[i].left == 0 {
            // `i` is in bounds: found above.
            let _ = self.rules.remove(i);
        }
        Some(action)
    }
}

/// The rules, one per line, with what is left of their counts; then `held <n>`.
impl fmt::Display for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in self.rules.iter() {
            writeln!(f, "{r}")?;
        }
        writeln!(f, "held {}", self.held)
    }
}

#[kunit_tests(rdma_sib_faults)]
mod tests {
    use super::*;
    use crate::sa::{
        ATTR_PATH_REC,
        METHOD_DELETE,
        METHOD_GET,
        METHOD_SET,
        SA_DATA, //
    };

    fn mcmember(method: u8, mgid: Gid) -> Mad {
        let mut m = Mad::default();
        m.0[3] = method;
        m.0[16..18].copy_from_slice(&ATTR_MCMEMBER_REC.to_be_bytes());
        m.0[SA_DATA..SA_DATA + 16].copy_from_slice(&mgid.0);
        m
    }

    #[test]
    fn rules_parse_and_refuse_bad_input() {
        let r = Rule::parse("fail=0x0100 2 method=SET attr=MCMemberRecord mgid=ff12::1").unwrap();
        assert!(r.action == Action::Fail(0x100) && r.left == 2);
        assert_eq!(
            (r.method, r.attr),
            (Some(METHOD_SET), Some(ATTR_MCMEMBER_REC))
        );
        assert_eq!(r.mgid.unwrap().0[15], 1);
        assert!(Rule::parse("drop 1").unwrap().action == Action::Drop);
        assert!(Rule::parse("hold 3 attr=0x38").unwrap().attr == Some(ATTR_MCMEMBER_REC));
        assert!(Rule::parse("delay=500 1 method=DELETE").unwrap().action == Action::Delay(500));
        for bad in [
            "",
            "drop",
            "drop 0",
            "drop x",
            "dropped 1",
            "fail 1",
            "fail=0 1",
            "fail=0x10000 1",
            "delay=0 1",
            "delay=30001 1",
            "drop 1 method=PUT",
            "drop 1 attr",
            "drop 1 mgid=ff12",
            "drop 1 port=1",
        ] {
            assert!(Rule::parse(bad).is_err());
        }
    }

    #[test]
    fn the_first_matching_rule_applies_as_often_as_it_says() {
        let g1: Gid = "ff12::1".parse().unwrap();
        let g2: Gid = "ff12::2".parse().unwrap();
        let mut f = Faults::new();
        f.add(Rule::parse("drop 2 method=SET mgid=ff12::1").unwrap())
            .unwrap();
        f.add(Rule::parse("fail=1 1 attr=MCMemberRecord").unwrap())
            .unwrap();
        // Another method and MGID: the second rule; then nothing for them.
        assert!(f.take(&mcmember(METHOD_DELETE, g2)) == Some(Action::Fail(1)));
        assert!(f.take(&mcmember(METHOD_DELETE, g2)).is_none());
        assert!(f.take(&mcmember(METHOD_SET, g1)) == Some(Action::Drop));
        assert!(f.take(&mcmember(METHOD_SET, g1)) == Some(Action::Drop));
        assert!(f.take(&mcmember(METHOD_SET, g1)).is_none());
        // An MGID rule matches MCMemberRecords only.
        f.add(Rule::parse("hold 1 mgid=ff12::1").unwrap()).unwrap();
        let mut path = mcmember(METHOD_GET, g1);
        path.0[16..18].copy_from_slice(&ATTR_PATH_REC.to_be_bytes());
        assert!(f.take(&path).is_none());
        f.clear();
        assert!(f.take(&mcmember(METHOD_SET, g1)).is_none());
        for _ in 0..MAX_RULES {
            f.add(Rule::parse("drop 1").unwrap()).unwrap();
        }
        assert_eq!(f.add(Rule::parse("drop 1").unwrap()).err(), Some(ENOSPC));
    }
}
