//! Schemas, recursively: types, formats, enums, defaults, constraints, branches,
//! properties, items and additional properties.

use std::collections::{BTreeSet, HashSet};

use crate::error::{DriftError, Side};
use crate::report::{Direction, Finding, FindingKind, Severity};
use crate::rules::{self, Scope};
use crate::schema::{self, Additional, Branch, Combinator, Node, Sub};

use super::{Comparer, child, place, required};

/// What the top level of a compared value cannot mean, whatever its schema says.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Unused {
    /// A parameter's value is never `null` on the wire: absence is omission (and utoipa writes
    /// `Option<T>` as `[T, "null"]`).
    pub nullability: bool,
    /// A value every client sends (required on both sides) never falls back to its default.
    pub default: bool,
}

impl Comparer<'_> {
    pub(super) fn node(&self, side: Side, sub: Option<&Sub>) -> Result<Node, DriftError> {
        let doc = match side {
            Side::Spec => &self.spec,
            Side::Implementation => &self.implementation,
        };
        match sub {
            Some(sub) => schema::node(doc, sub),
            None => Ok(Node::any(None)),
        }
    }

    /// Compare two child schemas; an absent schema means "anything".
    pub(super) fn schema(
        &mut self,
        base: &str,
        path: &str,
        s: Option<&Sub>,
        i: Option<&Sub>,
    ) -> Result<(), DriftError> {
        self.schema_with(base, path, s, i, Unused::default())
    }

    /// Like [`Self::schema`], with what the top level of this value cannot mean left out.
    pub(super) fn schema_with(
        &mut self,
        base: &str,
        path: &str,
        s: Option<&Sub>,
        i: Option<&Sub>,
        unused: Unused,
    ) -> Result<(), DriftError> {
        if self.done() {
            return Ok(());
        }
        let mut s_node = self.node(Side::Spec, s)?;
        let mut i_node = self.node(Side::Implementation, i)?;
        if unused.nullability {
            s_node.nullable = false;
            i_node.nullable = false;
        }
        if unused.default {
            s_node.default = None;
            i_node.default = None;
        }
        let pair = (s_node.sources.clone(), i_node.sources.clone());
        if self.stack.contains(&pair) {
            // Nullability lives on the wrapper around a recursive reference, not in the
            // schema already being compared further up.
            self.nullability(&place(base, path), &s_node, &i_node);
            return Ok(());
        }
        let at = place(base, path);
        let memo_key = self.memo_key(path, &s_node, &i_node);
        if let Some(recorded) = memo_key.as_ref().and_then(|key| self.memo.get(key)) {
            let replayed: Vec<Finding> = recorded
                .iter()
                .map(|(suffix, finding)| Finding {
                    place: format!("{at}{suffix}"),
                    ..finding.clone()
                })
                .collect();
            self.findings.extend(replayed);
            return Ok(());
        }
        let first = self.findings.len();
        self.stack.push(pair);
        let result = self.nodes(base, path, &s_node, &i_node);
        self.stack.pop();
        // One difference reached along several paths is reported once, where first met.
        self.keep_distinct(first, self.stack.is_empty().then_some(base));
        if let Some(key) = memo_key
            && result.is_ok()
        {
            let recorded: Option<Vec<(String, Finding)>> = self.findings[first..]
                .iter()
                .map(|finding| {
                    let suffix = finding.place.strip_prefix(at.as_str())?;
                    Some((suffix.to_owned(), finding.clone()))
                })
                .collect();
            if let Some(recorded) = recorded {
                self.memo.insert(key, recorded);
            }
        }
        result
    }

    /// Drops the findings from `first` on that say what an earlier one of them says (the same
    /// difference between the same two schemas); at a root (`base`), also those already
    /// reported under that base.
    fn keep_distinct(&mut self, first: usize, base: Option<&str>) {
        let mut seen_here = HashSet::new();
        let tail = self.findings.split_off(first);
        for finding in tail {
            let identity = format!(
                "{:?}|{:?}|{:?}|{}|{}|{}",
                finding.kind,
                finding.spec_pointer,
                finding.implementation_pointer,
                finding.spec,
                finding.implementation,
                // Without a pointer, the place is all that tells two findings apart.
                if finding.spec_pointer.is_none() && finding.implementation_pointer.is_none() {
                    finding.place.as_str()
                } else {
                    ""
                },
            );
            let repeated = !seen_here.insert(identity.clone())
                || base.is_some_and(|base| !self.reported.insert((base.to_owned(), identity)));
            if !repeated {
                self.findings.push(finding);
            }
        }
    }

    /// What decides a pair's findings beside the place it is reached at: both nodes (their
    /// wrappers' nullability and defaults included), the direction, and whether it is a root.
    /// `None` where the pair is not worth remembering: an answer that stops at the first
    /// finding, or a node of no content of its own.
    fn memo_key(&self, path: &str, s: &Node, i: &Node) -> Option<String> {
        (!self.stop_at_first && !s.sources.is_empty() && !i.sources.is_empty())
            .then(|| format!("{:?}|{}|{s:?}|{i:?}", self.direction, path.is_empty()))
    }

    pub(super) fn nullability(&mut self, at: &str, s: &Node, i: &Node) {
        // A schema of any type (`{}`, `{nullable: true}`) takes `null` either way.
        let any = |node: &Node| {
            node.types.is_empty()
                && node.enum_values.is_none()
                && node.alternatives.is_none()
                && !node.never
        };
        let meaningless = s.only_null || i.only_null || (any(s) && any(i));
        if s.nullable != i.nullable && !meaningless {
            let label = |n: bool| if n { "nullable" } else { "not nullable" };
            self.report(
                FindingKind::NullableChanged,
                self.scoped(rules::flag(s.nullable)),
                at.to_owned(),
                s.pointer.as_deref(),
                i.pointer.as_deref(),
                label(s.nullable),
                label(i.nullable),
            );
        }
    }

    pub(super) fn nodes(
        &mut self,
        base: &str,
        path: &str,
        s: &Node,
        i: &Node,
    ) -> Result<(), DriftError> {
        let at = place(base, path);
        let (sp, ip) = (s.pointer.as_deref(), i.pointer.as_deref());

        self.nullability(&at, s, i);
        // A `oneOf`/`anyOf` against a plain schema: the plain one is a single branch.
        if s.alternatives.is_some() != i.alternatives.is_some() {
            return self.branches(base, path, s, i);
        }
        // A different type makes every finer difference noise.
        if s.base_type_label() != i.base_type_label() {
            self.report(
                FindingKind::TypeChanged,
                self.scoped(rules::types(s, i)),
                at,
                sp,
                ip,
                s.type_label(),
                i.type_label(),
            );
            return Ok(());
        }
        if s.format != i.format {
            self.report(
                FindingKind::FormatChanged,
                self.scoped(rules::format(s.format.as_deref(), i.format.as_deref())),
                at.clone(),
                sp,
                ip,
                s.format.as_deref().unwrap_or("absent"),
                i.format.as_deref().unwrap_or("absent"),
            );
        }
        if s.enum_values != i.enum_values {
            let label = |values: &Option<BTreeSet<String>>| match values {
                Some(values) => format!(
                    "[{}]",
                    values.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
                None => "absent".to_owned(),
            };
            self.report(
                FindingKind::EnumChanged,
                self.scoped(rules::enumeration(
                    s.enum_values.as_ref(),
                    i.enum_values.as_ref(),
                )),
                at.clone(),
                sp,
                ip,
                label(&s.enum_values),
                label(&i.enum_values),
            );
        }
        if s.default != i.default {
            // What the server assumes for a value a client leaves out: a request changes
            // meaning; in a response a default describes nothing a client relies on.
            let label = |value: &Option<String>| value.clone().unwrap_or_else(|| "absent".into());
            self.report(
                FindingKind::DefaultChanged,
                self.by_direction(Severity::Breaking, Severity::Compatible),
                at.clone(),
                sp,
                ip,
                label(&s.default),
                label(&i.default),
            );
        }
        let keywords: BTreeSet<&String> =
            s.constraints.keys().chain(i.constraints.keys()).collect();
        for keyword in keywords {
            let (sv, iv) = (s.constraints.get(keyword), i.constraints.get(keyword));
            if sv != iv {
                let label = |v: Option<&String>| match v {
                    Some(v) => format!("{keyword} {v}"),
                    None => format!("no {keyword}"),
                };
                self.report(
                    FindingKind::ConstraintChanged,
                    self.scoped(rules::constraint(keyword, &s.constraints, &i.constraints)),
                    at.clone(),
                    sp,
                    ip,
                    label(sv),
                    label(iv),
                );
            }
        }
        self.unhandled(&at, s, i);
        if self.done() {
            return Ok(());
        }
        if s.alternatives.is_some() {
            self.branches(base, path, s, i)?;
        }
        self.properties(base, path, s, i)?;
        self.items(base, path, s, i)?;
        self.additional(base, path, s, i)
    }

    /// Keywords this checker cannot judge: any difference is for a person to weigh.
    pub(super) fn unhandled(&mut self, at: &str, s: &Node, i: &Node) {
        let keywords: BTreeSet<&&str> = s.unhandled.keys().chain(i.unhandled.keys()).collect();
        for keyword in keywords {
            let (sv, iv) = (s.unhandled.get(keyword), i.unhandled.get(keyword));
            if sv != iv {
                let label = |v: Option<&String>| match v {
                    Some(v) => format!("{keyword} {v}"),
                    None => format!("no {keyword}"),
                };
                self.report(
                    FindingKind::KeywordUnhandled,
                    Severity::Unhandled,
                    at.to_owned(),
                    s.pointer.as_deref(),
                    i.pointer.as_deref(),
                    label(sv),
                    label(iv),
                );
            }
        }
    }

    /// Whether two schema levels are structurally the same (nullability aside).
    pub(super) fn same_node(&self, s: &Node, i: &Node) -> bool {
        if s.type_label() != i.type_label() {
            return false;
        }
        let mut cx = Comparer::new(self.spec, self.implementation);
        cx.stop_at_first = true;
        cx.direction = self.direction;
        // The pairs being compared further up stay assumed the same: without them, branches
        // that hold their own alternatives again (`Expr: oneOf [Negation]`, `Negation:
        // {operand: Expr}`) would be matched forever.
        cx.stack = self.stack.clone();
        cx.stack.push((s.sources.clone(), i.sources.clone()));
        let (mut s, mut i) = (s.clone(), i.clone());
        s.nullable = false;
        i.nullable = false;
        cx.nodes("", "", &s, &i).is_ok() && cx.findings.is_empty()
    }

    /// `oneOf`/`anyOf` branches, matched by content rather than position: a branch the same
    /// on both sides, then one of the same type (compared further), and what is left is a
    /// branch added (the candidate accepts or sends more) or removed (less). A plain schema
    /// against alternatives is a single branch.
    pub(super) fn branches(
        &mut self,
        base: &str,
        path: &str,
        s: &Node,
        i: &Node,
    ) -> Result<(), DriftError> {
        let single = |node: &Node| {
            vec![Branch {
                pointer: node.pointer.clone().unwrap_or_default(),
                node: node.clone(),
            }]
        };
        let (s_combinator, s_branches) = match &s.alternatives {
            Some((combinator, branches)) => (Some(*combinator), branches.clone()),
            None => (None, single(s)),
        };
        let (i_combinator, i_branches) = match &i.alternatives {
            Some((combinator, branches)) => (Some(*combinator), branches.clone()),
            None => (None, single(i)),
        };
        let at = place(base, path);
        let keyword = s_combinator
            .or(i_combinator)
            .map_or("oneOf", Combinator::keyword);
        if let (Some(sc), Some(ic)) = (s_combinator, i_combinator)
            && sc != ic
        {
            // anyOf also accepts a value that matches several branches; oneOf refuses it.
            let scope = if sc == Combinator::OneOf {
                Scope::Wider
            } else {
                Scope::Narrower
            };
            self.report(
                FindingKind::AlternativesChanged,
                self.scoped(scope),
                at.clone(),
                s.pointer.as_deref(),
                i.pointer.as_deref(),
                sc.keyword(),
                ic.keyword(),
            );
        }
        let mut s_left: Vec<usize> = (0..s_branches.len()).collect();
        let mut i_left: Vec<usize> = (0..i_branches.len()).collect();
        s_left.retain(|&si| {
            match i_left
                .iter()
                .position(|&ii| self.same_node(&s_branches[si].node, &i_branches[ii].node))
            {
                Some(found) => {
                    i_left.remove(found);
                    false
                }
                None => true,
            }
        });
        let mut unpaired_s = Vec::new();
        for si in s_left {
            let s_node = &s_branches[si].node;
            let twin = i_left
                .iter()
                .position(|&ii| i_branches[ii].node.type_label() == s_node.type_label());
            match twin {
                Some(found) => {
                    let ii = i_left.remove(found);
                    let here = if s_combinator.is_some() {
                        child(path, &format!("{keyword}[{si}]"))
                    } else {
                        child(path, &format!("{keyword}[{ii}]"))
                    };
                    self.nodes(base, &here, s_node, &i_branches[ii].node)?;
                }
                None => unpaired_s.push(si),
            }
        }
        // One branch left on each side: the same branch, changed.
        if let ([si], [ii]) = (unpaired_s.as_slice(), i_left.as_slice()) {
            let (si, ii) = (*si, *ii);
            let here = child(path, &format!("{keyword}[{si}]"));
            return self.nodes(base, &here, &s_branches[si].node, &i_branches[ii].node);
        }
        for si in unpaired_s {
            let branch = &s_branches[si];
            self.report(
                FindingKind::AlternativesChanged,
                self.scoped(Scope::Narrower),
                at.clone(),
                Some(&branch.pointer),
                i.pointer.as_deref(),
                format!("{keyword} branch {}", branch.node.type_label()),
                "absent",
            );
        }
        for ii in i_left {
            let branch = &i_branches[ii];
            self.report(
                FindingKind::AlternativesChanged,
                self.scoped(Scope::Wider),
                at.clone(),
                s.pointer.as_deref(),
                Some(&branch.pointer),
                "absent",
                format!("{keyword} branch {}", branch.node.type_label()),
            );
        }
        Ok(())
    }

    pub(super) fn properties(
        &mut self,
        base: &str,
        path: &str,
        s: &Node,
        i: &Node,
    ) -> Result<(), DriftError> {
        let names: BTreeSet<&String> = s
            .properties
            .keys()
            .chain(i.properties.keys())
            .chain(s.required.iter())
            .chain(i.required.iter())
            .collect();
        for name in names {
            if self.done() {
                return Ok(());
            }
            let here = child(path, name);
            let at = place(base, &here);
            // A `readOnly` property is no part of a request, a `writeOnly` one of a response.
            let (s_hidden, i_hidden) = match self.direction {
                Some(Direction::Request) => {
                    (s.read_only.contains(name), i.read_only.contains(name))
                }
                Some(Direction::Response) => {
                    (s.write_only.contains(name), i.write_only.contains(name))
                }
                None => (false, false),
            };
            if s_hidden && i_hidden {
                continue;
            }
            let hidden_label = match self.direction {
                Some(Direction::Request) => "readOnly",
                _ => "writeOnly",
            };
            let absent = |hidden: bool| if hidden { hidden_label } else { "absent" };
            let (sp, ip) = (
                s.properties.get(name).filter(|_| !s_hidden),
                i.properties.get(name).filter(|_| !i_hidden),
            );
            let s_pointer = sp
                .and_then(|sub| sub.first())
                .map(String::as_str)
                .or(s.pointer.as_deref());
            let i_pointer = ip
                .and_then(|sub| sub.first())
                .map(String::as_str)
                .or(i.pointer.as_deref());
            let (s_required, i_required) = (
                s.required.contains(name) && !s_hidden,
                i.required.contains(name) && !i_hidden,
            );
            // A required name without a schema of its own is a property all the same: present,
            // of any value (Square's `RiskEvaluation` requires `status` and declares none).
            match (sp.is_some() || s_required, ip.is_some() || i_required) {
                (true, false) => {
                    // Request: reference clients send it and the candidate no longer reads
                    // it. Response: fine unless the reference promised it.
                    let response = if s_required {
                        Severity::Breaking
                    } else {
                        Severity::Compatible
                    };
                    self.report(
                        FindingKind::PropertyMissing,
                        self.by_direction(Severity::Breaking, response),
                        at,
                        s_pointer,
                        i_pointer,
                        "present",
                        absent(i_hidden),
                    );
                    continue;
                }
                (false, true) => {
                    // Request: reference clients never send it, fine unless required.
                    // Response: reference clients ignore it unless their object is closed
                    // (or constrains additional properties).
                    let request = if i_required {
                        Severity::Breaking
                    } else {
                        Severity::Compatible
                    };
                    let response = if s.additional == Additional::Any {
                        Severity::Compatible
                    } else {
                        Severity::Breaking
                    };
                    self.report(
                        FindingKind::PropertyExtra,
                        self.by_direction(request, response),
                        at,
                        s_pointer,
                        i_pointer,
                        absent(s_hidden),
                        "present",
                    );
                    continue;
                }
                _ => {}
            }
            if s_required != i_required {
                self.report(
                    FindingKind::RequiredChanged,
                    self.scoped(rules::flag(!s_required)),
                    at,
                    s_pointer,
                    i_pointer,
                    required(s_required),
                    required(i_required),
                );
            }
            if sp.is_some() || ip.is_some() {
                // Every client sends a property required on both sides: no default applies.
                let unused = Unused {
                    default: s_required && i_required,
                    ..Unused::default()
                };
                self.schema_with(base, &here, sp, ip, unused)?;
            }
        }
        Ok(())
    }

    pub(super) fn items(
        &mut self,
        base: &str,
        path: &str,
        s: &Node,
        i: &Node,
    ) -> Result<(), DriftError> {
        let here = format!("{path}[]");
        match (&s.items, &i.items) {
            (None, None) => Ok(()),
            (Some(sp), Some(ip)) => self.schema(base, &here, Some(sp), Some(ip)),
            (s_items, i_items) => {
                // Absent items means any items: only a real schema on the other side differs.
                let s_node = self.node(Side::Spec, s_items.as_ref())?;
                let i_node = self.node(Side::Implementation, i_items.as_ref())?;
                if !(s_node.is_any() && i_node.is_any()) {
                    let label = |items: &Option<Sub>, node: &Node| match items {
                        Some(_) => node.type_label(),
                        None => "absent".to_owned(),
                    };
                    self.report(
                        FindingKind::ItemsChanged,
                        self.scoped(rules::items(s_items.is_some(), i_items.is_some())),
                        place(base, &here),
                        s_node.pointer.as_deref().or(s.pointer.as_deref()),
                        i_node.pointer.as_deref().or(i.pointer.as_deref()),
                        label(&s.items, &s_node),
                        label(&i.items, &i_node),
                    );
                }
                Ok(())
            }
        }
    }

    pub(super) fn additional(
        &mut self,
        base: &str,
        path: &str,
        s: &Node,
        i: &Node,
    ) -> Result<(), DriftError> {
        let here = format!("{path}{{}}");
        match (&s.additional, &i.additional) {
            (Additional::Any, Additional::Any) | (Additional::Forbidden, Additional::Forbidden) => {
                Ok(())
            }
            (Additional::Schema(sp), Additional::Schema(ip)) => {
                self.schema(base, &here, Some(sp), Some(ip))
            }
            (s_additional, i_additional) => {
                let s_label = self.additional_label(Side::Spec, s_additional)?;
                let i_label = self.additional_label(Side::Implementation, i_additional)?;
                if s_label != i_label {
                    self.report(
                        FindingKind::AdditionalPropertiesChanged,
                        self.scoped(rules::additional(&s_label, &i_label)),
                        place(base, path),
                        s.pointer.as_deref(),
                        i.pointer.as_deref(),
                        s_label,
                        i_label,
                    );
                }
                Ok(())
            }
        }
    }

    /// `true` for absent, `true` and `{}` alike; `false`; or the schema's type.
    pub(super) fn additional_label(
        &self,
        side: Side,
        additional: &Additional,
    ) -> Result<String, DriftError> {
        Ok(match additional {
            Additional::Any => "true".to_owned(),
            Additional::Forbidden => "false".to_owned(),
            Additional::Schema(sub) => {
                let node = self.node(side, Some(sub))?;
                if node.is_any() {
                    "true".to_owned()
                } else {
                    format!("schema {}", node.type_label())
                }
            }
        })
    }
}
