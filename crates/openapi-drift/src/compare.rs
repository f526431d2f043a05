//! Comparison of two normalized documents, producing findings.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::error::{DriftError, Side};
use crate::load::check_version;
use crate::normalize::{self, Api, Header, Media, Operation, ParamKey, Parameter, Response};
use crate::pointer::{Doc, join};
use crate::progenitor;
use crate::report::{Direction, Finding, FindingKind, Report, Severity};
use crate::rules::{self, Scope};
use crate::schema::{self, Additional, Branch, Combinator, Node, Sub};

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

    fn operations(&mut self, spec: &Api, implementation: &Api) -> Result<(), DriftError> {
        for (key, s) in &spec.operations {
            match implementation.operations.get(key) {
                Some(i) => self.operation(s, i)?,
                None => self.report(
                    FindingKind::OperationMissing,
                    Severity::Breaking,
                    s.place(),
                    Some(&s.pointer),
                    None,
                    "present",
                    "absent",
                ),
            }
        }
        for (key, i) in &implementation.operations {
            if !spec.operations.contains_key(key) {
                self.report(
                    FindingKind::OperationExtra,
                    Severity::Compatible,
                    i.place(),
                    None,
                    Some(&i.pointer),
                    "absent",
                    "present",
                );
            }
        }
        Ok(())
    }

    fn operation(&mut self, s: &Operation, i: &Operation) -> Result<(), DriftError> {
        let base = s.place();
        self.direction = None;
        if s.operation_id != i.operation_id {
            self.report(
                FindingKind::OperationIdChanged,
                Severity::ClientSurface,
                base.clone(),
                Some(&s.pointer),
                Some(&i.pointer),
                s.operation_id.as_deref().unwrap_or("absent"),
                i.operation_id.as_deref().unwrap_or("absent"),
            );
        }
        self.direction = Some(Direction::Request);
        self.path_parameter_names(&base, s, i);
        self.parameters(&base, s, i)?;
        self.request_body(&base, s, i)?;
        if s.security.alternatives != i.security.alternatives {
            self.report(
                FindingKind::SecurityChanged,
                self.scoped(rules::security(&s.security, &i.security)),
                place(&base, "security"),
                s.security.pointer.as_deref().or(Some(&s.pointer)),
                i.security.pointer.as_deref().or(Some(&i.pointer)),
                s.security.label(),
                i.security.label(),
            );
        }
        self.direction = Some(Direction::Response);
        let result = self.responses(&base, s, i);
        self.direction = None;
        result
    }

    /// Paths matched with parameter names erased; a different name changes nothing on the
    /// wire but is still drift, because clients (and docs) use it.
    fn path_parameter_names(&mut self, base: &str, s: &Operation, i: &Operation) {
        for (index, (s_name, i_name)) in s.path_params.iter().zip(&i.path_params).enumerate() {
            if s_name != i_name {
                let key = ParamKey::Path(index);
                let s_pointer = s.parameters.get(&key).map_or(&s.pointer, |p| &p.pointer);
                let i_pointer = i.parameters.get(&key).map_or(&i.pointer, |p| &p.pointer);
                self.report(
                    FindingKind::PathParameterRenamed,
                    Severity::ClientSurface,
                    place(base, &format!("parameter path.{s_name}")),
                    Some(s_pointer),
                    Some(i_pointer),
                    s_name.clone(),
                    i_name.clone(),
                );
            }
        }
    }

    fn parameters(&mut self, base: &str, s: &Operation, i: &Operation) -> Result<(), DriftError> {
        let mut unmatched_spec: Vec<&Parameter> = Vec::new();
        for (key, sp) in &s.parameters {
            match i.parameters.get(key) {
                Some(ip) => self.parameter(base, sp, ip)?,
                None => unmatched_spec.push(sp),
            }
        }
        let mut unmatched_implementation: Vec<&Parameter> = i
            .parameters
            .iter()
            .filter(|(key, _)| !s.parameters.contains_key(key))
            .map(|(_, p)| p)
            .collect();

        for sp in unmatched_spec {
            // Same name in another location: one moved parameter, not a missing and an extra one.
            let moved = unmatched_implementation.iter().position(|ip| {
                ip.name.eq_ignore_ascii_case(&sp.name) && ip.location != sp.location
            });
            match moved {
                Some(index) => {
                    let ip = unmatched_implementation.remove(index);
                    // Reference clients send it where the candidate does not look.
                    self.report(
                        FindingKind::ParameterChanged,
                        Severity::Breaking,
                        place(base, &format!("parameter {}", sp.label())),
                        Some(&sp.pointer),
                        Some(&ip.pointer),
                        format!("in {}", sp.location),
                        format!("in {}", ip.location),
                    );
                }
                // Reference clients send it (always if required, when they use it otherwise);
                // the candidate no longer reads it.
                None => self.report(
                    FindingKind::ParameterMissing,
                    Severity::Breaking,
                    place(base, &format!("parameter {}", sp.label())),
                    Some(&sp.pointer),
                    Some(&i.pointer),
                    "present",
                    "absent",
                ),
            }
        }
        for ip in unmatched_implementation {
            // Reference clients never send it: fine unless the candidate insists.
            let severity = if ip.required {
                Severity::Breaking
            } else {
                Severity::Compatible
            };
            self.report(
                FindingKind::ParameterExtra,
                severity,
                place(base, &format!("parameter {}", ip.label())),
                Some(&s.pointer),
                Some(&ip.pointer),
                "absent",
                if ip.required { "required" } else { "present" },
            );
        }
        Ok(())
    }

    fn parameter(&mut self, base: &str, s: &Parameter, i: &Parameter) -> Result<(), DriftError> {
        let at = place(base, &format!("parameter {}", s.label()));
        if s.required != i.required {
            self.report(
                FindingKind::ParameterChanged,
                self.scoped(rules::flag(!s.required)),
                at.clone(),
                Some(&s.pointer),
                Some(&i.pointer),
                required(s.required),
                required(i.required),
            );
        }
        if s.serialization != i.serialization {
            // The candidate reads the value written another way (`a,b` against `a=..&a=..`).
            self.report(
                FindingKind::ParameterChanged,
                Severity::Breaking,
                at.clone(),
                Some(&s.pointer),
                Some(&i.pointer),
                s.serialization.clone(),
                i.serialization.clone(),
            );
        }
        // A parameter value cannot be null on the wire (absence is omission), so utoipa's
        // `Option<T>` → `[T, "null"]` says nothing there.
        self.schema_with(&at, "", s.schema.as_ref(), i.schema.as_ref(), true)
    }

    fn request_body(&mut self, base: &str, s: &Operation, i: &Operation) -> Result<(), DriftError> {
        let at = place(base, "request body");
        match (&s.request_body, &i.request_body) {
            (None, None) => {}
            // Reference clients send a body the candidate does not read.
            (Some(sb), None) => self.report(
                FindingKind::RequestBodyMissing,
                Severity::Breaking,
                at,
                Some(&sb.pointer),
                Some(&i.pointer),
                "present",
                "absent",
            ),
            (None, Some(ib)) => self.report(
                FindingKind::RequestBodyExtra,
                if ib.required {
                    Severity::Breaking
                } else {
                    Severity::Compatible
                },
                at,
                Some(&s.pointer),
                Some(&ib.pointer),
                "absent",
                if ib.required { "required" } else { "present" },
            ),
            (Some(sb), Some(ib)) => {
                if sb.required != ib.required {
                    self.report(
                        FindingKind::RequestBodyChanged,
                        self.scoped(rules::flag(!sb.required)),
                        at.clone(),
                        Some(&sb.pointer),
                        Some(&ib.pointer),
                        required(sb.required),
                        required(ib.required),
                    );
                }
                self.content(&at, (&sb.pointer, &sb.content), (&ib.pointer, &ib.content))?;
            }
        }
        Ok(())
    }

    fn responses(&mut self, base: &str, s: &Operation, i: &Operation) -> Result<(), DriftError> {
        let is_success = |status: &str| status.starts_with('2');
        let candidate_succeeds = i.responses.keys().any(|status| is_success(status));
        for (status, sr) in &s.responses {
            let at = place(base, status);
            match i.responses.get(status) {
                Some(ir) => self.response(&at, sr, ir)?,
                // Reference clients handle a status the candidate never sends, unless it was
                // the last way to succeed: then no call can succeed as they expect.
                None => self.report(
                    FindingKind::StatusMissing,
                    if is_success(status) && !candidate_succeeds {
                        Severity::Breaking
                    } else {
                        Severity::Compatible
                    },
                    at,
                    Some(&sr.pointer),
                    Some(&join(&i.pointer, "responses")),
                    "present",
                    "absent",
                ),
            }
        }
        for (status, ir) in &i.responses {
            if !s.responses.contains_key(status) {
                // A new error status only says how a request fails, which every client handles
                // already (a proxy may answer any 4xx or 5xx); a new success status, or a
                // `default`, would turn what reference clients take for success into a surprise.
                let is_error = status.starts_with('4') || status.starts_with('5');
                self.report(
                    FindingKind::StatusExtra,
                    if is_error {
                        Severity::Compatible
                    } else {
                        Severity::Breaking
                    },
                    place(base, status),
                    Some(&join(&s.pointer, "responses")),
                    Some(&ir.pointer),
                    "absent",
                    "present",
                );
            }
        }
        Ok(())
    }

    fn response(&mut self, at: &str, s: &Response, i: &Response) -> Result<(), DriftError> {
        self.content(at, (&s.pointer, &s.content), (&i.pointer, &i.content))?;
        self.headers(at, (&s.pointer, &s.headers), (&i.pointer, &i.headers))
    }

    fn content(
        &mut self,
        at: &str,
        (s_owner, s): (&str, &BTreeMap<String, Media>),
        (i_owner, i): (&str, &BTreeMap<String, Media>),
    ) -> Result<(), DriftError> {
        let absent = |other: &BTreeMap<String, Media>| {
            if other.is_empty() {
                "no content"
            } else {
                "absent"
            }
        };
        for (media, sm) in s {
            match i.get(media) {
                Some(im) => {
                    // JSON is the common case; name other media types so places stay distinct.
                    let base = if media == "application/json" {
                        at.to_owned()
                    } else {
                        place(at, media)
                    };
                    self.schema(&base, "", sm.schema.as_ref(), im.schema.as_ref())?;
                }
                None => {
                    // A request in that media type is refused. A client that asks for a
                    // response in it (`Accept: application/json`) gets no answer it can read,
                    // whatever other media types remain.
                    self.report(
                        FindingKind::ContentTypeChanged,
                        Severity::Breaking,
                        at.to_owned(),
                        Some(&sm.pointer),
                        Some(i_owner),
                        media.clone(),
                        absent(i),
                    );
                }
            }
        }
        for (media, im) in i {
            if !s.contains_key(media) {
                // A request may now come in one more media type. A response in a new one goes
                // only to clients that ask for it (reference clients ask for what they know),
                // and a body where the reference had none is one its clients do not read.
                self.report(
                    FindingKind::ContentTypeChanged,
                    Severity::Compatible,
                    at.to_owned(),
                    Some(s_owner),
                    Some(&im.pointer),
                    absent(s),
                    media.clone(),
                );
            }
        }
        Ok(())
    }

    /// Response headers: presence, `required`, and their schema like any other value sent.
    fn headers(
        &mut self,
        at: &str,
        (s_owner, s): (&str, &BTreeMap<String, Header>),
        (i_owner, i): (&str, &BTreeMap<String, Header>),
    ) -> Result<(), DriftError> {
        for (key, sh) in s {
            let here = place(at, &format!("header {}", sh.name));
            match i.get(key) {
                Some(ih) => {
                    // Like a property: a header the reference promised (`required: true`) may
                    // no longer be left out; one it left optional may become promised.
                    if sh.required != ih.required {
                        self.report(
                            FindingKind::RequiredChanged,
                            self.scoped(rules::flag(!sh.required)),
                            here.clone(),
                            Some(&sh.pointer),
                            Some(&ih.pointer),
                            required(sh.required),
                            required(ih.required),
                        );
                    }
                    self.schema(&here, "", sh.schema.as_ref(), ih.schema.as_ref())?;
                }
                // Like a property: dropping what the reference promised (`required: true`)
                // breaks; dropping what it left optional is sending less.
                None => self.report(
                    FindingKind::HeaderMissing,
                    if sh.required {
                        Severity::Breaking
                    } else {
                        Severity::Compatible
                    },
                    here,
                    Some(&sh.pointer),
                    Some(i_owner),
                    if sh.required { "required" } else { "present" },
                    "absent",
                ),
            }
        }
        for (key, ih) in i {
            if !s.contains_key(key) {
                // Clients ignore response headers they do not know.
                self.report(
                    FindingKind::HeaderExtra,
                    Severity::Compatible,
                    place(at, &format!("header {}", ih.name)),
                    Some(s_owner),
                    Some(&ih.pointer),
                    "absent",
                    "present",
                );
            }
        }
        Ok(())
    }

    fn node(&self, side: Side, sub: Option<&Sub>) -> Result<Node, DriftError> {
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
    fn schema(
        &mut self,
        base: &str,
        path: &str,
        s: Option<&Sub>,
        i: Option<&Sub>,
    ) -> Result<(), DriftError> {
        self.schema_with(base, path, s, i, false)
    }

    fn schema_with(
        &mut self,
        base: &str,
        path: &str,
        s: Option<&Sub>,
        i: Option<&Sub>,
        ignore_root_nullability: bool,
    ) -> Result<(), DriftError> {
        if self.done() {
            return Ok(());
        }
        let mut s_node = self.node(Side::Spec, s)?;
        let mut i_node = self.node(Side::Implementation, i)?;
        if ignore_root_nullability {
            s_node.nullable = false;
            i_node.nullable = false;
        }
        let pair = (s_node.sources.clone(), i_node.sources.clone());
        if self.stack.contains(&pair) {
            // Nullability lives on the wrapper around a recursive reference, not in the
            // schema already being compared further up.
            self.nullability(&place(base, path), &s_node, &i_node);
            return Ok(());
        }
        self.stack.push(pair);
        let result = self.nodes(base, path, &s_node, &i_node);
        self.stack.pop();
        result
    }

    fn nullability(&mut self, at: &str, s: &Node, i: &Node) {
        if s.nullable != i.nullable && !s.only_null && !i.only_null {
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

    fn nodes(&mut self, base: &str, path: &str, s: &Node, i: &Node) -> Result<(), DriftError> {
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
    fn unhandled(&mut self, at: &str, s: &Node, i: &Node) {
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
    fn same_node(&self, s: &Node, i: &Node) -> bool {
        if s.type_label() != i.type_label() {
            return false;
        }
        let mut cx = Comparer::new(self.spec, self.implementation);
        cx.stop_at_first = true;
        cx.direction = self.direction;
        let (mut s, mut i) = (s.clone(), i.clone());
        s.nullable = false;
        i.nullable = false;
        cx.nodes("", "", &s, &i).is_ok() && cx.findings.is_empty()
    }

    /// `oneOf`/`anyOf` branches, matched by content rather than position: a branch the same
    /// on both sides, then one of the same type (compared further), and what is left is a
    /// branch added (the candidate accepts or sends more) or removed (less). A plain schema
    /// against alternatives is a single branch.
    fn branches(&mut self, base: &str, path: &str, s: &Node, i: &Node) -> Result<(), DriftError> {
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

    fn properties(&mut self, base: &str, path: &str, s: &Node, i: &Node) -> Result<(), DriftError> {
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
            match (sp, ip) {
                (Some(_), None) => {
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
                (None, Some(_)) => {
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
            if let (Some(sp), Some(ip)) = (sp, ip) {
                self.schema(base, &here, Some(sp), Some(ip))?;
            }
        }
        Ok(())
    }

    fn items(&mut self, base: &str, path: &str, s: &Node, i: &Node) -> Result<(), DriftError> {
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

    fn additional(&mut self, base: &str, path: &str, s: &Node, i: &Node) -> Result<(), DriftError> {
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
    fn additional_label(&self, side: Side, additional: &Additional) -> Result<String, DriftError> {
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

    /// Component schema names become client type names, so the sets must match. A schema
    /// only on one side that has a structurally identical twin only on the other side was
    /// renamed.
    fn components(&mut self, spec: &Api, implementation: &Api) {
        let missing: Vec<(&String, &String)> = spec
            .schema_names
            .iter()
            .filter(|(name, _)| !implementation.schema_names.contains_key(*name))
            .collect();
        let extra: Vec<(&String, &String)> = implementation
            .schema_names
            .iter()
            .filter(|(name, _)| !spec.schema_names.contains_key(*name))
            .collect();
        let s_shapes: Vec<Option<Shape>> = missing
            .iter()
            .map(|(_, pointer)| shape(&self.spec, pointer))
            .collect();
        let i_shapes: Vec<Option<Shape>> = extra
            .iter()
            .map(|(_, pointer)| shape(&self.implementation, pointer))
            .collect();
        let mut taken = vec![false; extra.len()];
        let mut renamed = Vec::new();
        for (index, (name, pointer)) in missing.iter().enumerate() {
            let twin = (0..extra.len()).find(|&j| {
                !taken[j]
                    && s_shapes[index].is_some()
                    && s_shapes[index] == i_shapes[j]
                    && identical(
                        self.spec,
                        Some(&vec![(*pointer).clone()]),
                        self.implementation,
                        Some(&vec![extra[j].1.clone()]),
                    )
            });
            match twin {
                Some(j) => {
                    taken[j] = true;
                    renamed.push((*name, *pointer, extra[j].0, extra[j].1));
                }
                None => self.report(
                    FindingKind::ComponentMissing,
                    Severity::ClientSurface,
                    format!("components.schemas.{name}"),
                    Some(pointer),
                    None,
                    "present",
                    "absent",
                ),
            }
        }
        for (old, s_pointer, new, i_pointer) in renamed {
            self.report(
                FindingKind::ComponentRenamed,
                Severity::ClientSurface,
                format!("components.schemas.{old}"),
                Some(s_pointer),
                Some(i_pointer),
                old.clone(),
                new.clone(),
            );
        }
        let unpaired = extra
            .into_iter()
            .zip(taken)
            .filter_map(|(entry, taken)| (!taken).then_some(entry));
        for (name, pointer) in unpaired {
            self.report(
                FindingKind::ComponentExtra,
                Severity::Compatible,
                format!("components.schemas.{name}"),
                None,
                Some(pointer),
                "absent",
                "present",
            );
        }
    }

    /// Webhooks are requests the API sends to its clients. A webhook gone is events its
    /// subscribers no longer get; one added is compatible; a changed one is not judged yet
    /// (its directions are the reverse of an operation's), so it is unhandled.
    fn webhooks(&mut self, spec: &Api, implementation: &Api) {
        self.direction = None;
        for (name, (s_pointer, s_item)) in &spec.webhooks {
            let place = format!("webhooks.{name}");
            match implementation.webhooks.get(name) {
                None => self.report(
                    FindingKind::WebhookMissing,
                    Severity::Breaking,
                    place,
                    Some(s_pointer),
                    None,
                    "present",
                    "absent",
                ),
                Some((i_pointer, i_item)) if i_item != s_item => self.report(
                    FindingKind::KeywordUnhandled,
                    Severity::Unhandled,
                    place,
                    Some(s_pointer),
                    Some(i_pointer),
                    "webhook as written",
                    "webhook changed",
                ),
                Some(_) => {}
            }
        }
        for (name, (i_pointer, _)) in &implementation.webhooks {
            if !spec.webhooks.contains_key(name) {
                self.report(
                    FindingKind::WebhookExtra,
                    Severity::Compatible,
                    format!("webhooks.{name}"),
                    None,
                    Some(i_pointer),
                    "absent",
                    "present",
                );
            }
        }
    }

    /// Every scheme an operation uses must be defined alike on both sides.
    fn security_schemes(&mut self, spec: &Api, implementation: &Api) {
        let used_by = |api: &Api| -> BTreeSet<String> {
            api.operations
                .values()
                .flat_map(|op| op.security.alternatives.iter().flatten())
                .cloned()
                .collect()
        };
        let (spec_uses, implementation_uses) = (used_by(spec), used_by(implementation));
        self.direction = Some(Direction::Request);
        for name in spec_uses.union(&implementation_uses) {
            let (s, i) = (
                spec.security_schemes.get(name),
                implementation.security_schemes.get(name),
            );
            if s.map(|x| &x.summary) == i.map(|x| &x.summary) {
                continue;
            }
            // A scheme defined differently breaks; one undefined on a side whose operations
            // do not use it says nothing beyond the operations' own security findings.
            let severity = match (s, i) {
                (None, _) if spec_uses.contains(name) => Severity::Breaking,
                (_, None) if implementation_uses.contains(name) => Severity::Breaking,
                (None, _) | (_, None) => Severity::Compatible,
                _ => Severity::Breaking,
            };
            let label = |scheme: Option<&normalize::SecurityScheme>| {
                scheme.map_or_else(|| "undefined".to_owned(), |x| x.summary.clone())
            };
            self.report(
                FindingKind::SecurityChanged,
                severity,
                format!("components.securitySchemes.{name}"),
                s.map(|x| x.pointer.as_str()),
                i.map(|x| x.pointer.as_str()),
                label(s),
                label(i),
            );
        }
        self.direction = None;
    }
}

/// A cheap summary of a schema's top level: schemas with different shapes cannot be
/// identical, so the full comparison runs only between equal shapes.
#[derive(Debug, PartialEq, Eq)]
struct Shape {
    type_label: String,
    nullable: bool,
    format: Option<String>,
    enum_values: Option<BTreeSet<String>>,
    properties: BTreeSet<String>,
    required: BTreeSet<String>,
    constraints: BTreeMap<String, String>,
}

fn shape(doc: &Doc<'_>, pointer: &str) -> Option<Shape> {
    let node = schema::node(doc, &vec![pointer.to_owned()]).ok()?;
    Some(Shape {
        type_label: node.type_label(),
        nullable: node.nullable,
        format: node.format,
        enum_values: node.enum_values,
        properties: node.properties.into_keys().collect(),
        required: node.required,
        constraints: node.constraints,
    })
}
