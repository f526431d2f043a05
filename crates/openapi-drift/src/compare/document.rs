//! What a document defines beside its operations: component schemas, security schemes and
//! webhooks.

use std::collections::{BTreeMap, BTreeSet};

use crate::normalize::{self, Api};
use crate::pointer::Doc;
use crate::report::{Direction, FindingKind, Severity};
use crate::schema;

use super::{Comparer, identical};

impl Comparer<'_> {
    /// Component schema names become client type names, so the sets must match. A schema
    /// only on one side that has a structurally identical twin only on the other side was
    /// renamed.
    pub(super) fn components(&mut self, spec: &Api, implementation: &Api) {
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
    pub(super) fn webhooks(&mut self, spec: &Api, implementation: &Api) {
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
    pub(super) fn security_schemes(&mut self, spec: &Api, implementation: &Api) {
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
