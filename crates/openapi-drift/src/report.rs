//! Findings and their human and machine (serde) forms.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How much a [`Finding`] matters to clients of the reference document (the first
/// argument of [`crate::compare`]). The rules are tabulated in the crate documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// On the wire, the candidate breaks the reference's contract in the direction that matters.
    Breaking,
    /// Harmless on the wire, but it breaks the source of a client generated from the reference
    /// (progenitor): a changed operationId, a renamed component, a renamed path parameter, or a
    /// construct progenitor cannot generate.
    ClientSurface,
    /// A difference the direction allows (e.g. the candidate accepts more in a request, or sends
    /// less of what was optional in a response).
    Compatible,
    /// A difference in something this checker cannot judge (a JSON Schema keyword such as
    /// `if`/`then`/`else` or `patternProperties`, a parameter's serialization style, a
    /// webhook's content): it may or may not break clients, so a person must look.
    Unhandled,
}

impl Severity {
    /// The snake_case name, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Breaking => "breaking",
            Severity::ClientSurface => "client_surface",
            Severity::Compatible => "compatible",
            Severity::Unhandled => "unhandled",
        }
    }

    /// The short tag that prefixes a finding's line in the human report.
    pub fn tag(self) -> &'static str {
        match self {
            Severity::Breaking => "[breaking]",
            Severity::ClientSurface => "[client]",
            Severity::Compatible => "[compatible]",
            Severity::Unhandled => "[unhandled]",
        }
    }

    /// The name used in the human report's count line.
    fn count_label(self) -> &'static str {
        match self {
            Severity::Breaking => "breaking",
            Severity::ClientSurface => "client-surface",
            Severity::Compatible => "compatible",
            Severity::Unhandled => "unhandled",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which way the data a [`Finding`] is about travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Client to server: parameters, request bodies, security requirements. The candidate
    /// must accept at least what the reference allows.
    Request,
    /// Server to client: statuses, response bodies, response headers. The candidate must
    /// send at most what the reference allows.
    Response,
}

impl Direction {
    /// The snake_case name, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Request => "request",
            Direction::Response => "response",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of drift a [`Finding`] is. "Missing" means in the reference (spec) but not in
/// the candidate (implementation); "Extra" the other way round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    OperationMissing,
    OperationExtra,
    OperationIdChanged,
    ParameterMissing,
    ParameterExtra,
    /// Changed location or required flag of a parameter.
    ParameterChanged,
    /// A path parameter with another name at the same position of the path template.
    PathParameterRenamed,
    RequestBodyMissing,
    RequestBodyExtra,
    /// The `required` flag of the request body.
    RequestBodyChanged,
    StatusMissing,
    StatusExtra,
    /// A media type present on one side only (including "no content").
    ContentTypeChanged,
    HeaderMissing,
    HeaderExtra,
    PropertyMissing,
    PropertyExtra,
    TypeChanged,
    FormatChanged,
    RequiredChanged,
    NullableChanged,
    EnumChanged,
    ItemsChanged,
    AdditionalPropertiesChanged,
    ConstraintChanged,
    SecurityChanged,
    ComponentMissing,
    ComponentExtra,
    /// A component schema only in the reference and a structurally identical one only in the
    /// candidate, under another name.
    ComponentRenamed,
    /// An operation of the candidate uses a construct progenitor cannot generate a client
    /// for, and the reference's operation did not already use it.
    ProgenitorUnsupported,
    /// A `oneOf`/`anyOf` branch (or a plain schema's single "branch") on one side only, or the
    /// combinator changed.
    AlternativesChanged,
    /// A `default` added, removed or changed: what the server assumes when a client omits
    /// the value.
    DefaultChanged,
    /// A webhook (OpenAPI 3.1 `webhooks`) in the reference only.
    WebhookMissing,
    /// A webhook in the candidate only.
    WebhookExtra,
    /// An operation's callback in the reference only.
    CallbackMissing,
    /// An operation's callback in the candidate only.
    CallbackExtra,
    /// A keyword this checker does not judge differs (see [`Severity::Unhandled`]).
    KeywordUnhandled,
}

impl FindingKind {
    /// The snake_case name, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::OperationMissing => "operation_missing",
            FindingKind::OperationExtra => "operation_extra",
            FindingKind::OperationIdChanged => "operation_id_changed",
            FindingKind::ParameterMissing => "parameter_missing",
            FindingKind::ParameterExtra => "parameter_extra",
            FindingKind::ParameterChanged => "parameter_changed",
            FindingKind::PathParameterRenamed => "path_parameter_renamed",
            FindingKind::RequestBodyMissing => "request_body_missing",
            FindingKind::RequestBodyExtra => "request_body_extra",
            FindingKind::RequestBodyChanged => "request_body_changed",
            FindingKind::StatusMissing => "status_missing",
            FindingKind::StatusExtra => "status_extra",
            FindingKind::ContentTypeChanged => "content_type_changed",
            FindingKind::HeaderMissing => "header_missing",
            FindingKind::HeaderExtra => "header_extra",
            FindingKind::PropertyMissing => "property_missing",
            FindingKind::PropertyExtra => "property_extra",
            FindingKind::TypeChanged => "type_changed",
            FindingKind::FormatChanged => "format_changed",
            FindingKind::RequiredChanged => "required_changed",
            FindingKind::NullableChanged => "nullable_changed",
            FindingKind::EnumChanged => "enum_changed",
            FindingKind::ItemsChanged => "items_changed",
            FindingKind::AdditionalPropertiesChanged => "additional_properties_changed",
            FindingKind::ConstraintChanged => "constraint_changed",
            FindingKind::SecurityChanged => "security_changed",
            FindingKind::ComponentMissing => "component_missing",
            FindingKind::ComponentExtra => "component_extra",
            FindingKind::ComponentRenamed => "component_renamed",
            FindingKind::ProgenitorUnsupported => "progenitor_unsupported",
            FindingKind::AlternativesChanged => "alternatives_changed",
            FindingKind::DefaultChanged => "default_changed",
            FindingKind::WebhookMissing => "webhook_missing",
            FindingKind::WebhookExtra => "webhook_extra",
            FindingKind::CallbackMissing => "callback_missing",
            FindingKind::CallbackExtra => "callback_extra",
            FindingKind::KeywordUnhandled => "keyword_unhandled",
        }
    }

    /// The aspect named in the human line: `place: <aspect>: spec …, implementation …`.
    fn aspect(self) -> &'static str {
        match self {
            FindingKind::OperationMissing | FindingKind::OperationExtra => "operation",
            FindingKind::OperationIdChanged => "operationId",
            FindingKind::ParameterMissing
            | FindingKind::ParameterExtra
            | FindingKind::ParameterChanged => "parameter",
            FindingKind::PathParameterRenamed => "parameter name",
            FindingKind::RequestBodyMissing
            | FindingKind::RequestBodyExtra
            | FindingKind::RequestBodyChanged => "request body",
            FindingKind::StatusMissing | FindingKind::StatusExtra => "status",
            FindingKind::ContentTypeChanged => "content type",
            FindingKind::HeaderMissing | FindingKind::HeaderExtra => "header",
            FindingKind::PropertyMissing | FindingKind::PropertyExtra => "property",
            FindingKind::TypeChanged => "type",
            FindingKind::FormatChanged => "format",
            FindingKind::RequiredChanged => "required",
            FindingKind::NullableChanged => "nullable",
            FindingKind::EnumChanged => "enum",
            FindingKind::ItemsChanged => "items",
            FindingKind::AdditionalPropertiesChanged => "additionalProperties",
            FindingKind::ConstraintChanged => "constraint",
            FindingKind::SecurityChanged => "security",
            FindingKind::ComponentMissing | FindingKind::ComponentExtra => "component",
            FindingKind::ComponentRenamed => "component name",
            FindingKind::ProgenitorUnsupported => "progenitor",
            FindingKind::AlternativesChanged => "alternatives",
            FindingKind::DefaultChanged => "default",
            FindingKind::WebhookMissing | FindingKind::WebhookExtra => "webhook",
            FindingKind::CallbackMissing | FindingKind::CallbackExtra => "callback",
            FindingKind::KeywordUnhandled => "unhandled keyword",
        }
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One semantic difference between the reference ("spec") and the candidate
/// ("implementation").
///
/// Serialized (serde) with every field, e.g.
/// `{"kind": "type_changed", "severity": "breaking", "direction": "response", "place": …,
/// "spec_pointer": …, "implementation_pointer": …, "spec": "string", "implementation": "integer"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    /// How much the difference matters to clients of the reference.
    pub severity: Severity,
    /// Whether the difference is in what clients send or in what they receive; `None` for
    /// operation-level and document-level findings (an operation, its operationId, components).
    pub direction: Option<Direction>,
    /// Human path, e.g. `GET /sessions → 200 → sessions[].deviceName`.
    pub place: String,
    /// JSON pointer into the reference (spec) document, when it has something there.
    pub spec_pointer: Option<String>,
    /// JSON pointer into the candidate (implementation) document, when it has something there.
    pub implementation_pointer: Option<String>,
    /// What the reference says, e.g. `string`, `present`, `required`.
    pub spec: String,
    /// What the candidate says.
    pub implementation: String,
}

impl Finding {
    /// The operation (`GET /sessions`) or document section (`components`) the finding
    /// belongs to; the Report's human output groups by it.
    pub fn group(&self) -> &str {
        let first = self.place.split(" → ").next().unwrap_or(&self.place);
        let is_operation = first.split_once(' ').is_some_and(|(method, _)| {
            crate::normalize::METHODS.contains(&method.to_ascii_lowercase().as_str())
        });
        if is_operation {
            first
        } else {
            first.split('.').next().unwrap_or(first)
        }
    }

    fn sort_key(&self) -> (&str, &str, FindingKind, &str, &str) {
        (
            self.group(),
            &self.place,
            self.kind,
            &self.spec,
            &self.implementation,
        )
    }
}

/// `PLACE: ASPECT: spec X, implementation Y` (no severity tag; the [`Report`] adds it).
impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_labelled(f, "spec", "implementation")
    }
}

impl Finding {
    /// The human line without its tag, naming the two sides `reference` and `candidate`:
    /// `PLACE: ASPECT: released X, spec Y`.
    pub fn describe(&self, reference: &str, candidate: &str) -> String {
        format!(
            "{}: {}: {reference} {}, {candidate} {}",
            self.place,
            self.kind.aspect(),
            self.spec,
            self.implementation
        )
    }

    /// Like `Display`, naming the two sides `reference` and `candidate` (e.g. "base", "head").
    fn write_labelled(
        &self,
        f: &mut fmt::Formatter<'_>,
        reference: &str,
        candidate: &str,
    ) -> fmt::Result {
        f.write_str(&self.describe(reference, candidate))
    }
}

/// The result of a comparison: empty when the documents agree.
///
/// Serializes (serde) as `{"findings": [ … ]}`; [`Report::to_json_pretty`] is a shortcut.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub findings: Vec<Finding>,
}

impl Report {
    /// Sorts deterministically (operation, place, kind) and drops duplicates.
    pub(crate) fn new(mut findings: Vec<Finding>) -> Self {
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        findings.dedup();
        Report { findings }
    }

    /// No finding at all, of any severity.
    pub fn is_consistent(&self) -> bool {
        self.findings.is_empty()
    }

    /// Findings of one kind, handy in tests.
    pub fn of_kind(&self, kind: FindingKind) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.kind == kind)
    }

    /// Findings of one severity.
    pub fn of_severity(&self, severity: Severity) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.severity == severity)
    }

    /// The [`Severity::Breaking`] findings.
    pub fn breaking(&self) -> impl Iterator<Item = &Finding> {
        self.of_severity(Severity::Breaking)
    }

    /// The [`Severity::ClientSurface`] findings.
    pub fn client_surface(&self) -> impl Iterator<Item = &Finding> {
        self.of_severity(Severity::ClientSurface)
    }

    /// The [`Severity::Compatible`] findings.
    pub fn compatible(&self) -> impl Iterator<Item = &Finding> {
        self.of_severity(Severity::Compatible)
    }

    /// The [`Severity::Unhandled`] findings.
    pub fn unhandled(&self) -> impl Iterator<Item = &Finding> {
        self.of_severity(Severity::Unhandled)
    }

    /// Whether any finding is breaking, breaks the source of a generated client, or could
    /// not be judged: the usual failure condition of a compatibility check.
    pub fn has_breaking_or_client_surface(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.severity != Severity::Compatible)
    }

    /// The machine form: pretty-printed JSON of every field of every finding
    /// (the same as `serde_json::to_string_pretty(&report)`).
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self)
            .expect("strings, options and unit enums always serialize")
    }
}

/// Findings grouped by operation, each line prefixed with its severity tag, then a count
/// line split by severity:
///
/// ```text
/// GET /sessions
///   [breaking] GET /sessions → 200 → sessions[].id: type: spec string, implementation integer
/// 1 finding: 1 breaking
/// ```
///
/// An empty report prints `consistent: no drift found`.
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.labelled("spec", "implementation").fmt(f)
    }
}

/// A [`Report`] displayed with its two sides named, e.g. `base` and `head` for a comparison of
/// two versions of one spec. See [`Report::labelled`].
#[derive(Debug, Clone, Copy)]
pub struct Labelled<'a> {
    report: &'a Report,
    reference: &'a str,
    candidate: &'a str,
}

impl Report {
    /// The human form with the sides named `reference` and `candidate` instead of "spec" and
    /// "implementation".
    pub fn labelled<'a>(&'a self, reference: &'a str, candidate: &'a str) -> Labelled<'a> {
        Labelled {
            report: self,
            reference,
            candidate,
        }
    }
}

impl fmt::Display for Labelled<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let report = self.report;
        if report.is_consistent() {
            return writeln!(f, "consistent: no drift found");
        }
        let mut current: Option<&str> = None;
        for finding in &report.findings {
            let group = finding.group();
            if current != Some(group) {
                writeln!(f, "{group}")?;
                current = Some(group);
            }
            write!(f, "  {} ", finding.severity.tag())?;
            finding.write_labelled(f, self.reference, self.candidate)?;
            writeln!(f)?;
        }
        let count = report.findings.len();
        let split: Vec<String> = [
            Severity::Breaking,
            Severity::ClientSurface,
            Severity::Unhandled,
            Severity::Compatible,
        ]
        .into_iter()
        .filter_map(|severity| {
            let n = report.of_severity(severity).count();
            (n > 0).then(|| format!("{n} {}", severity.count_label()))
        })
        .collect();
        writeln!(
            f,
            "{count} finding{}: {}",
            if count == 1 { "" } else { "s" },
            split.join(", ")
        )
    }
}
