//! Comparison of two normalized documents, producing findings: the operations
//! ([`operations`]), the schemas within them ([`schemas`]), and what the document defines
//! beside its operations: components, security schemes, webhooks ([`document`]).

mod document;
mod operations;
mod schemas;

use std::collections::{BTreeSet, HashMap, HashSet};

use serde_json::Value;

use crate::error::{DriftError, Side};
use crate::load::check_version;
use crate::normalize::{self};
use crate::pointer::Doc;
use crate::progenitor;
use crate::report::{Direction, Finding, FindingKind, Report, Severity};
use crate::rules::Scope;
use crate::schema::Sub;

/// Compare two documents: `spec` is the reference, `implementation` the candidate.
///
/// In a drift check the reference is the hand-written spec and the candidate the document
/// the implementation emits; in a compatibility check the reference is the old (base) spec
/// and the candidate the new one. Every [`Finding`] says what the reference (`spec`) and the
/// candidate (`implementation`) have, and its [`Severity`] judges the candidate by the
/// direction rules of the crate documentation.
pub fn compare(spec: &Value, implementation: &Value) -> Result<Report, DriftError> {
    check_version(spec, Some(Side::Spec))?;
    check_version(implementation, Some(Side::Implementation))?;
    // Documents that did not come through `load_*` may still hold YAML's empty-key `null`s.
    let (spec, implementation) = (tolerant(spec), tolerant(implementation));
    let (spec, implementation) = (spec.as_ref(), implementation.as_ref());
    let mut cx = Comparer::new(
        Doc::new(spec, Side::Spec),
        Doc::new(implementation, Side::Implementation),
    );
    let spec_api = normalize::api(&cx.spec)?;
    let implementation_api = normalize::api(&cx.implementation)?;
    cx.operations(&spec_api, &implementation_api)?;
    cx.components(&spec_api, &implementation_api);
    cx.security_schemes(&spec_api, &implementation_api);
    cx.webhooks(&spec_api, &implementation_api);
    let mut findings = cx.findings;
    findings.extend(progenitor::unsupported(
        &cx.spec,
        &spec_api,
        &cx.implementation,
        &implementation_api,
    ));
    Ok(Report::new(findings))
}

/// `doc`, or a copy with its structural `null`s read as nothing there.
fn tolerant(doc: &Value) -> std::borrow::Cow<'_, Value> {
    if crate::tolerate::needed(doc) {
        let mut copy = doc.clone();
        crate::tolerate::tolerate(&mut copy);
        std::borrow::Cow::Owned(copy)
    } else {
        std::borrow::Cow::Borrowed(doc)
    }
}

/// Whether two schemas (of the same or of different documents) normalize to the same
/// structure. A schema that cannot be normalized is identical to nothing.
pub(crate) fn identical(
    a: Doc<'_>,
    a_schema: Option<&Sub>,
    b: Doc<'_>,
    b_schema: Option<&Sub>,
) -> bool {
    let mut cx = Comparer::new(a, b);
    cx.stop_at_first = true;
    cx.schema("", "", a_schema, b_schema).is_ok() && cx.findings.is_empty()
}

/// `base → path`, or just `base` at a schema root.
fn place(base: &str, path: &str) -> String {
    if path.is_empty() {
        base.to_owned()
    } else {
        format!("{base} → {path}")
    }
}

/// `a.b` for a property under `a`, or `b` at the root.
fn child(path: &str, segment: &str) -> String {
    if path.is_empty() {
        segment.to_owned()
    } else {
        format!("{path}.{segment}")
    }
}

fn required(required: bool) -> &'static str {
    if required { "required" } else { "optional" }
}

struct Comparer<'a> {
    spec: Doc<'a>,
    implementation: Doc<'a>,
    findings: Vec<Finding>,
    /// Identities ([`Node::sources`]) of the schema pairs being compared further up:
    /// meeting one again means a recursive schema came back to where it started, and that
    /// pair is already being checked.
    stack: Vec<(BTreeSet<String>, BTreeSet<String>)>,
    /// Whether the part of an operation being compared is sent or received; `None`
    /// outside operations.
    direction: Option<Direction>,
    /// Only whether there is any difference matters: stop descending after the first.
    stop_at_first: bool,
    /// The findings of each schema pair already compared (see `memo_key`), with their places
    /// relative to where the pair was met: met again elsewhere, they are replayed there. Large
    /// documents reach the same schemas along very many paths (Stripe's never finished).
    memo: HashMap<String, Vec<(String, Finding)>>,
    /// The differences already reported under each base (operation and part), so that
    /// one reached along several paths is reported once.
    reported: HashSet<(String, String)>,
}

impl<'a> Comparer<'a> {
    fn new(spec: Doc<'a>, implementation: Doc<'a>) -> Self {
        Comparer {
            spec,
            implementation,
            findings: Vec::new(),
            stack: Vec::new(),
            direction: None,
            stop_at_first: false,
            memo: HashMap::new(),
            reported: HashSet::new(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn report(
        &mut self,
        kind: FindingKind,
        severity: Severity,
        place: String,
        spec_pointer: Option<&str>,
        implementation_pointer: Option<&str>,
        spec: impl Into<String>,
        implementation: impl Into<String>,
    ) {
        self.findings.push(Finding {
            kind,
            severity,
            direction: self.direction,
            place,
            spec_pointer: spec_pointer.map(str::to_owned),
            implementation_pointer: implementation_pointer.map(str::to_owned),
            spec: spec.into(),
            implementation: implementation.into(),
        });
    }

    /// The severity of a change that widens or narrows, in the current direction.
    fn scoped(&self, scope: Scope) -> Severity {
        scope.severity(self.direction)
    }

    /// One severity for requests, another for responses (outside operations: breaking).
    fn by_direction(&self, request: Severity, response: Severity) -> Severity {
        match self.direction {
            Some(Direction::Request) => request,
            Some(Direction::Response) => response,
            None => Severity::Breaking,
        }
    }

    fn done(&self) -> bool {
        self.stop_at_first && !self.findings.is_empty()
    }
}
