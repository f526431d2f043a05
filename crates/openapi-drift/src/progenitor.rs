//! Constructs progenitor cannot generate a (typed) client for, found in the candidate
//! document and reported when the reference's operation did not already have them.
//!
//! progenitor's `extract_responses` asserts that the responses of an operation have at most
//! one type on the success side (2xx, `2XX`, 101 and `default`, the latter dropped when a
//! `2XX` range exists) and at most one on the error side (4xx, 5xx, their ranges and
//! `default`). "No content", a non-JSON body and each distinct JSON schema are different
//! types. progenitor also refuses cookie parameters and operations without an operationId.
//! Bodies in a media type other than JSON (`application/json`, `…+json`) lose the typed
//! surface even where progenitor falls back to raw bytes, so they are reported as well.

use std::collections::BTreeMap;

use crate::compare::identical;
use crate::normalize::{Api, Media, Operation, Response};
use crate::pointer::{Doc, join};
use crate::report::{Direction, Finding, FindingKind, Severity};
use crate::schema::Sub;

/// The findings for every candidate operation, against the reference's same operation.
pub(crate) fn unsupported(
    reference: &Doc<'_>,
    reference_api: &Api,
    candidate: &Doc<'_>,
    candidate_api: &Api,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for (key, c_op) in &candidate_api.operations {
        let r_op = reference_api.operations.get(key);
        let c = Analysis::of(*candidate, c_op);
        let r = r_op.map(|op| (op, Analysis::of(*reference, op)));
        let base = r_op.unwrap_or(c_op).place();
        let r_pointer = |op: &Operation, child: &str| {
            let pointer = join(&op.pointer, child);
            if reference.get(&pointer).is_some() {
                pointer
            } else {
                op.pointer.clone()
            }
        };
        let finding =
            |direction,
             place: String,
             (spec_pointer, spec): (Option<String>, String),
             (implementation_pointer, implementation): (String, String)| {
                Finding {
                    kind: FindingKind::ProgenitorUnsupported,
                    severity: Severity::ClientSurface,
                    direction,
                    place,
                    spec_pointer,
                    implementation_pointer: Some(implementation_pointer),
                    spec,
                    implementation,
                }
            };

        for (side, c_groups, r_groups) in [
            ("success", &c.success, r.as_ref().map(|(_, a)| &a.success)),
            ("error", &c.error, r.as_ref().map(|(_, a)| &a.error)),
        ] {
            if c_groups.len() > 1 && r_groups.is_none_or(|groups| groups.len() <= 1) {
                out.push(finding(
                    Some(Direction::Response),
                    format!("{base} → responses"),
                    (
                        r_op.map(|op| r_pointer(op, "responses")),
                        r_groups.map_or_else(|| "absent".to_owned(), |g| types_label(side, g)),
                    ),
                    (
                        join(&c_op.pointer, "responses"),
                        types_label(side, c_groups),
                    ),
                ));
            }
        }

        for body in &c.non_json {
            let in_reference = r.as_ref().and_then(|(_, a)| {
                a.bodies
                    .iter()
                    .find(|(location, _, _)| *location == body.location)
            });
            if in_reference.is_some_and(|(_, media, _)| media.contains(&body.media)) {
                continue;
            }
            let spec = match in_reference {
                Some((_, media, _)) if media.is_empty() => "no content".to_owned(),
                Some((_, media, _)) => media.join(", "),
                None => "absent".to_owned(),
            };
            out.push(finding(
                Some(body.direction),
                format!("{base} → {}", body.location),
                (in_reference.map(|(_, _, pointer)| pointer.clone()), spec),
                (body.pointer.clone(), format!("{} (not JSON)", body.media)),
            ));
        }

        for (label, pointer) in &c.cookies {
            if r.as_ref()
                .is_some_and(|(_, a)| a.cookies.iter().any(|(l, _)| l == label))
            {
                continue;
            }
            out.push(finding(
                Some(Direction::Request),
                format!("{base} → parameter {label}"),
                (r_op.map(|op| op.pointer.clone()), "absent".to_owned()),
                (pointer.clone(), "cookie parameter".to_owned()),
            ));
        }

        if c_op.operation_id.is_none() && r_op.is_none_or(|op| op.operation_id.is_some()) {
            out.push(finding(
                None,
                base.clone(),
                (
                    r_op.map(|op| op.pointer.clone()),
                    r_op.and_then(|op| op.operation_id.clone())
                        .unwrap_or_else(|| "absent".to_owned()),
                ),
                (c_op.pointer.clone(), "no operationId".to_owned()),
            ));
        }
    }
    out
}

/// `1 success response type`, or `2 success response types (200, 201 / 204)`.
fn types_label(side: &str, groups: &[Vec<String>]) -> String {
    match groups.len() {
        0 => format!("no {side} response type"),
        1 => format!("1 {side} response type"),
        n => format!(
            "{n} {side} response types ({})",
            groups
                .iter()
                .map(|statuses| statuses.join(", "))
                .collect::<Vec<_>>()
                .join(" / ")
        ),
    }
}

/// A body in a media type that is not JSON.
struct NonJson {
    /// `request body` or the status.
    location: String,
    media: String,
    pointer: String,
    direction: Direction,
}

struct Analysis {
    /// Success statuses, grouped by distinct body type.
    success: Vec<Vec<String>>,
    /// Error statuses, grouped by distinct body type.
    error: Vec<Vec<String>>,
    /// Every body location (`request body`, statuses) with its media types and pointer.
    bodies: Vec<(String, Vec<String>, String)>,
    non_json: Vec<NonJson>,
    /// Cookie parameters: label and pointer.
    cookies: Vec<(String, String)>,
}

impl Analysis {
    fn of(doc: Doc<'_>, op: &Operation) -> Analysis {
        let has_success_range = op.responses.contains_key("2XX");
        let success = distinct(
            doc,
            op.responses
                .iter()
                .filter(|(status, _)| is_success(status, has_success_range)),
        );
        let error = distinct(
            doc,
            op.responses.iter().filter(|(status, _)| is_error(status)),
        );

        let mut bodies = Vec::new();
        if let Some(body) = &op.request_body {
            bodies.push(("request body".to_owned(), &body.content, &body.pointer));
        }
        for (status, response) in &op.responses {
            bodies.push((status.clone(), &response.content, &response.pointer));
        }
        let mut non_json = Vec::new();
        for (location, content, _) in &bodies {
            let direction = if location == "request body" {
                Direction::Request
            } else {
                Direction::Response
            };
            for (media, entry) in content.iter() {
                if !is_json(media) {
                    non_json.push(NonJson {
                        location: location.clone(),
                        media: media.clone(),
                        pointer: entry.pointer.clone(),
                        direction,
                    });
                }
            }
        }
        let bodies = bodies
            .into_iter()
            .map(|(location, content, pointer)| {
                (location, content.keys().cloned().collect(), pointer.clone())
            })
            .collect();

        let cookies = op
            .parameters
            .values()
            .filter(|p| p.location == "cookie")
            .map(|p| (p.label(), p.pointer.clone()))
            .collect();

        Analysis {
            success,
            error,
            bodies,
            non_json,
            cookies,
        }
    }
}

fn status_code(status: &str) -> Option<u16> {
    status.parse().ok()
}

fn is_success(status: &str, has_success_range: bool) -> bool {
    match status {
        "default" => !has_success_range,
        "2XX" => true,
        _ => status_code(status).is_some_and(|code| code == 101 || (200..300).contains(&code)),
    }
}

fn is_error(status: &str) -> bool {
    matches!(status, "default" | "4XX" | "5XX")
        || status_code(status).is_some_and(|code| (400..600).contains(&code))
}

/// Media type keys are already lowercased without spaces.
fn is_json(media: &str) -> bool {
    let essence = media.split(';').next().unwrap_or(media);
    essence == "application/json" || essence.ends_with("+json")
}

/// How progenitor types a response body.
enum Body<'o> {
    Empty,
    Raw,
    Json(Option<&'o Sub>),
}

fn body(content: &BTreeMap<String, Media>) -> Body<'_> {
    match content.iter().find(|(media, _)| is_json(media)) {
        Some((_, media)) => Body::Json(media.schema.as_ref()),
        None if content.is_empty() => Body::Empty,
        None => Body::Raw,
    }
}

fn same(doc: Doc<'_>, a: &Body<'_>, b: &Body<'_>) -> bool {
    match (a, b) {
        (Body::Empty, Body::Empty) | (Body::Raw, Body::Raw) => true,
        (Body::Json(x), Body::Json(y)) => {
            x == y
                || bare_ref_target(doc, x).is_some_and(|t| bare_ref_target(doc, y) == Some(t))
                || identical(doc, *x, doc, *y)
        }
        _ => false,
    }
}

/// Where a schema that is nothing but a `$ref` (the usual response body) leads: two bodies
/// naming the same component are the same type without comparing it to itself.
fn bare_ref_target(doc: Doc<'_>, sub: &Option<&Sub>) -> Option<String> {
    let [pointer] = (*sub)?.as_slice() else {
        return None;
    };
    let object = doc.get(pointer)?.as_object()?;
    match (object.len(), object.get("$ref").and_then(|r| r.as_str())) {
        (1, Some(reference)) => doc.ref_target(reference, pointer).ok(),
        _ => None,
    }
}

/// Statuses grouped by structurally distinct body type, in status order.
fn distinct<'o>(
    doc: Doc<'_>,
    responses: impl Iterator<Item = (&'o String, &'o Response)>,
) -> Vec<Vec<String>> {
    let mut groups: Vec<(Body<'o>, Vec<String>)> = Vec::new();
    for (status, response) in responses {
        let kind = body(&response.content);
        match groups.iter_mut().find(|(b, _)| same(doc, b, &kind)) {
            Some((_, statuses)) => statuses.push(status.clone()),
            None => groups.push((kind, vec![status.clone()])),
        }
    }
    groups.into_iter().map(|(_, statuses)| statuses).collect()
}
