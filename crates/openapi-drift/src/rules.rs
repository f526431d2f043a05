//! Direction rules: whether the candidate allows more or less than the reference, and what
//! that means for clients of the reference. The table in the crate documentation is the
//! specification; this module is its implementation for the changes that widen or narrow
//! a set of allowed values.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use crate::normalize::Security;
use crate::report::{Direction, Severity};
use crate::schema::Node;

/// How the set of values (or requests) the candidate allows relates to the reference's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// The candidate allows everything the reference does, and more.
    Wider,
    /// The candidate allows only part of what the reference does.
    Narrower,
    /// Spelled differently, but the same values are allowed.
    Same,
    /// Neither contains the other (or it cannot be told).
    Other,
}

impl Scope {
    /// In a request the candidate may accept more; in a response it may send less.
    pub fn severity(self, direction: Option<Direction>) -> Severity {
        match (self, direction) {
            (Scope::Same, _)
            | (Scope::Wider, Some(Direction::Request))
            | (Scope::Narrower, Some(Direction::Response)) => Severity::Compatible,
            _ => Severity::Breaking,
        }
    }

    fn of(reference_in_candidate: bool, candidate_in_reference: bool) -> Scope {
        match (reference_in_candidate, candidate_in_reference) {
            (true, true) => Scope::Same,
            (true, false) => Scope::Wider,
            (false, true) => Scope::Narrower,
            (false, false) => Scope::Other,
        }
    }
}

/// A flag that allows more when off (`required`) or on (`nullable`).
pub(crate) fn flag(reference_allows_more: bool) -> Scope {
    if reference_allows_more {
        Scope::Narrower
    } else {
        Scope::Wider
    }
}

/// Non-null types; `None` means any type.
fn allowed_types(node: &Node) -> Option<BTreeSet<&str>> {
    if node.never || node.only_null {
        Some(BTreeSet::new())
    } else if node.types.is_empty() {
        None
    } else {
        Some(node.types.iter().map(String::as_str).collect())
    }
}

/// Every integer is a number.
fn types_within(a: &Option<BTreeSet<&str>>, b: &Option<BTreeSet<&str>>) -> bool {
    match (a, b) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(a), Some(b)) => a
            .iter()
            .all(|t| b.contains(t) || (*t == "integer" && b.contains("number"))),
    }
}

pub(crate) fn types(reference: &Node, candidate: &Node) -> Scope {
    let (r, c) = (allowed_types(reference), allowed_types(candidate));
    Scope::of(types_within(&r, &c), types_within(&c, &r))
}

/// Formats whose values all satisfy the other: `int32` ⊂ `int64`, `float` ⊂ `double`.
fn format_within(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(a), Some(b)) => a == b || matches!((a, b), ("int32", "int64") | ("float", "double")),
    }
}

pub(crate) fn format(reference: Option<&str>, candidate: Option<&str>) -> Scope {
    Scope::of(
        format_within(reference, candidate),
        format_within(candidate, reference),
    )
}

/// `None` means no `enum`: any value.
pub(crate) fn enumeration(
    reference: Option<&BTreeSet<String>>,
    candidate: Option<&BTreeSet<String>>,
) -> Scope {
    let within = |a: Option<&BTreeSet<String>>, b: Option<&BTreeSet<String>>| match (a, b) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(a), Some(b)) => a.is_subset(b),
    };
    Scope::of(within(reference, candidate), within(candidate, reference))
}

/// Absent `items` means any items.
pub(crate) fn items(reference_has_items: bool, candidate_has_items: bool) -> Scope {
    match (reference_has_items, candidate_has_items) {
        (true, false) => Scope::Wider,
        (false, true) => Scope::Narrower,
        _ => Scope::Other,
    }
}

/// On the labels of [`crate::compare`]: `false` < `schema …` < `true`.
pub(crate) fn additional(reference: &str, candidate: &str) -> Scope {
    let rank = |label: &str| match label {
        "false" => 0,
        "true" => 2,
        _ => 1,
    };
    match rank(candidate).cmp(&rank(reference)) {
        Ordering::Greater => Scope::Wider,
        Ordering::Less => Scope::Narrower,
        Ordering::Equal => Scope::Other,
    }
}

/// A bound's strictness: `None` is no bound; otherwise the value, and whether it is exclusive.
type Bound = Option<(f64, bool)>;

fn number(constraints: &BTreeMap<String, String>, keyword: &str) -> Option<f64> {
    constraints.get(keyword).and_then(|v| v.parse().ok())
}

/// How much stricter bound `a` is than `b` (greater: stricter). `lower` bounds are stricter
/// when higher, upper ones when lower; at the same value an exclusive bound is stricter.
fn strictness(a: Bound, b: Bound, lower: bool) -> Option<Ordering> {
    match (a, b) {
        (None, None) => Some(Ordering::Equal),
        (None, Some(_)) => Some(Ordering::Less),
        (Some(_), None) => Some(Ordering::Greater),
        (Some((av, ae)), Some((bv, be))) => {
            let by_value = if lower {
                av.partial_cmp(&bv)?
            } else {
                bv.partial_cmp(&av)?
            };
            Some(by_value.then(ae.cmp(&be)))
        }
    }
}

/// The effective bound of an inclusive and an exclusive keyword together.
fn bound(
    constraints: &BTreeMap<String, String>,
    inclusive: &str,
    exclusive: Option<&str>,
    lower: bool,
) -> Bound {
    let a = number(constraints, inclusive).map(|v| (v, false));
    let b = exclusive.and_then(|k| number(constraints, k).map(|v| (v, true)));
    match strictness(a, b, lower) {
        Some(Ordering::Less) => b,
        _ => a.or(b),
    }
}

fn bound_scope(reference: Bound, candidate: Bound, lower: bool) -> Scope {
    match strictness(candidate, reference, lower) {
        Some(Ordering::Less) => Scope::Wider,
        Some(Ordering::Greater) => Scope::Narrower,
        Some(Ordering::Equal) => Scope::Same,
        None => Scope::Other,
    }
}

/// Whether `a` is a whole multiple of `b`.
fn is_multiple(a: f64, b: f64) -> bool {
    b != 0.0 && {
        let ratio = a / b;
        ratio.is_finite() && (ratio - ratio.round()).abs() < 1e-9
    }
}

/// One constraint keyword that differs, judged on both nodes' constraints together (so
/// `minimum: 5` → `exclusiveMinimum: 4` is one widening, seen from either keyword).
pub(crate) fn constraint(
    keyword: &str,
    reference: &BTreeMap<String, String>,
    candidate: &BTreeMap<String, String>,
) -> Scope {
    let pair = |inclusive: &str, exclusive: Option<&str>, lower: bool| {
        bound_scope(
            bound(reference, inclusive, exclusive, lower),
            bound(candidate, inclusive, exclusive, lower),
            lower,
        )
    };
    match keyword {
        "minimum" | "exclusiveMinimum" => pair("minimum", Some("exclusiveMinimum"), true),
        "maximum" | "exclusiveMaximum" => pair("maximum", Some("exclusiveMaximum"), false),
        "minLength" | "minItems" | "minProperties" => pair(keyword, None, true),
        "maxLength" | "maxItems" | "maxProperties" => pair(keyword, None, false),
        "multipleOf" => match (number(reference, keyword), number(candidate, keyword)) {
            (_, None) => Scope::Wider,
            (None, Some(_)) => Scope::Narrower,
            (Some(r), Some(c)) => Scope::of(is_multiple(r, c), is_multiple(c, r)),
        },
        // A pattern cannot be compared with another; only its removal surely widens.
        _ => match (reference.get(keyword), candidate.get(keyword)) {
            (Some(_), None) => Scope::Wider,
            (None, Some(_)) => Scope::Narrower,
            _ => Scope::Other,
        },
    }
}

/// Alternatives of scheme sets; no security at all is the one empty alternative.
fn alternatives(security: &Security) -> BTreeSet<BTreeSet<String>> {
    if security.alternatives.is_empty() {
        BTreeSet::from([BTreeSet::new()])
    } else {
        security.alternatives.clone()
    }
}

/// Whether every request satisfying `demanded` also satisfies `accepting`: each alternative
/// of `demanded` carries all the schemes of some alternative of `accepting`.
fn accepts(accepting: &BTreeSet<BTreeSet<String>>, demanded: &BTreeSet<BTreeSet<String>>) -> bool {
    demanded
        .iter()
        .all(|sent| accepting.iter().any(|needed| needed.is_subset(sent)))
}

/// Wider when the candidate accepts every credential combination the reference does.
pub(crate) fn security(reference: &Security, candidate: &Security) -> Scope {
    let (r, c) = (alternatives(reference), alternatives(candidate));
    Scope::of(accepts(&c, &r), accepts(&r, &c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn constraints(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn bounds_fold_inclusive_and_exclusive() {
        let min5 = constraints(&[("minimum", "5")]);
        let exclusive4 = constraints(&[("exclusiveMinimum", "4")]);
        let exclusive5 = constraints(&[("exclusiveMinimum", "5")]);
        assert_eq!(constraint("minimum", &min5, &exclusive4), Scope::Wider);
        assert_eq!(
            constraint("exclusiveMinimum", &min5, &exclusive4),
            Scope::Wider
        );
        assert_eq!(constraint("minimum", &min5, &exclusive5), Scope::Narrower);
        let max10 = constraints(&[("maximum", "10")]);
        let max12 = constraints(&[("maximum", "12")]);
        assert_eq!(constraint("maximum", &max10, &max12), Scope::Wider);
        assert_eq!(constraint("maximum", &max12, &max10), Scope::Narrower);
        let max_length = constraints(&[("maxLength", "10")]);
        assert_eq!(
            constraint("maxLength", &constraints(&[]), &max_length),
            Scope::Narrower
        );
        assert_eq!(
            constraint("maxLength", &max_length, &constraints(&[])),
            Scope::Wider
        );
        let both = constraints(&[("minimum", "5"), ("exclusiveMinimum", "3")]);
        assert_eq!(constraint("exclusiveMinimum", &both, &min5), Scope::Same);
    }

    #[test]
    fn multiple_of_and_patterns() {
        let by2 = constraints(&[("multipleOf", "2")]);
        let by4 = constraints(&[("multipleOf", "4")]);
        let by3 = constraints(&[("multipleOf", "3")]);
        assert_eq!(constraint("multipleOf", &by4, &by2), Scope::Wider);
        assert_eq!(constraint("multipleOf", &by2, &by4), Scope::Narrower);
        assert_eq!(constraint("multipleOf", &by2, &by3), Scope::Other);
        let a = constraints(&[("pattern", "^a$")]);
        let b = constraints(&[("pattern", "^b$")]);
        assert_eq!(constraint("pattern", &a, &b), Scope::Other);
        assert_eq!(constraint("pattern", &a, &constraints(&[])), Scope::Wider);
    }

    #[test]
    fn formats() {
        assert_eq!(format(Some("int32"), Some("int64")), Scope::Wider);
        assert_eq!(format(Some("int64"), Some("int32")), Scope::Narrower);
        assert_eq!(format(Some("date"), None), Scope::Wider);
        assert_eq!(format(Some("date"), Some("date-time")), Scope::Other);
    }

    #[test]
    fn security_alternatives() {
        let set = |alternatives: &[&[&str]]| Security {
            alternatives: alternatives
                .iter()
                .map(|a| a.iter().map(|s| (*s).to_owned()).collect())
                .collect(),
            pointer: None,
        };
        let bearer = set(&[&["Bearer"]]);
        let none = set(&[]);
        let bearer_or_key = set(&[&["Bearer"], &["Key"]]);
        let bearer_and_key = set(&[&["Bearer", "Key"]]);
        assert_eq!(security(&bearer, &none), Scope::Wider);
        assert_eq!(security(&none, &bearer), Scope::Narrower);
        assert_eq!(security(&bearer, &bearer_or_key), Scope::Wider);
        assert_eq!(security(&bearer, &bearer_and_key), Scope::Narrower);
        assert_eq!(security(&bearer, &set(&[&["Key"]])), Scope::Other);
    }
}
