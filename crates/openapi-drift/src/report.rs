//! Findings and their human and machine (serde) forms.

use std::fmt;

use serde::Serialize;

/// What kind of drift a [`Finding`] is. "Missing" means in the spec but not in the
/// implementation; "Extra" the other way round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    OperationMissing,
    OperationExtra,
    OperationIdChanged,
    ParameterMissing,
    ParameterExtra,
    /// Renamed path parameter, changed location or required flag.
    ParameterChanged,
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
        }
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One semantic difference between the spec and the implementation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    /// Human path, e.g. `GET /sessions → 200 → sessions[].deviceName`.
    pub place: String,
    /// JSON pointer into the spec document, when the spec has something there.
    pub spec_pointer: Option<String>,
    /// JSON pointer into the implementation document, when it has something there.
    pub implementation_pointer: Option<String>,
    /// What the spec says, e.g. `string`, `present`, `required`.
    pub spec: String,
    /// What the implementation says.
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

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: spec {}, implementation {}",
            self.place,
            self.kind.aspect(),
            self.spec,
            self.implementation
        )
    }
}

/// The result of a comparison: empty when the documents agree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

    pub fn is_consistent(&self) -> bool {
        self.findings.is_empty()
    }

    /// Findings of one kind, handy in tests.
    pub fn of_kind(&self, kind: FindingKind) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.kind == kind)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_consistent() {
            return writeln!(f, "consistent: no drift found");
        }
        let mut current: Option<&str> = None;
        for finding in &self.findings {
            let group = finding.group();
            if current != Some(group) {
                writeln!(f, "{group}")?;
                current = Some(group);
            }
            writeln!(f, "  {finding}")?;
        }
        let count = self.findings.len();
        writeln!(f, "{count} finding{}", if count == 1 { "" } else { "s" })
    }
}
