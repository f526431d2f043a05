//! Direction rules on schemas: the same change to a property, a type, an enum or a constraint
//! is breaking on one side of the wire and compatible on the other. Each test compares the
//! `POST /things` document ([`super::things`]) with an edited copy.

use serde_json::json;

use super::things::{REQUEST, RESPONSE, base, both, check, only, only_reversed};
use super::*;
use crate::FindingKind as K;
use crate::{Direction, Severity};

use Direction::{Request, Response};
use Severity::{Breaking, Compatible};

#[test]
fn a_document_compared_with_itself_has_no_findings() {
    assert_consistent(&compare(&base(), &base()).unwrap());
}

#[test]
fn optional_property_added() {
    let add = |doc: &mut Value, schema: &str| {
        set(
            doc,
            &format!("{schema}/properties/extra"),
            json!({"type": "string"}),
        );
    };
    // Reference clients never send it; they ignore it when received.
    let f = only(both(REQUEST, add));
    check(&f, K::PropertyExtra, Compatible, Some(Request));
    assert_eq!(f.place, "POST /things → request body → extra");
    check(
        &only(both(RESPONSE, add)),
        K::PropertyExtra,
        Compatible,
        Some(Response),
    );
}

#[test]
fn required_property_added_to_a_request_breaks() {
    let f = only(|doc| {
        set(
            doc,
            &format!("{REQUEST}/properties/extra"),
            json!({"type": "string"}),
        );
        set(doc, &format!("{REQUEST}/required/1"), json!("extra"));
    });
    check(&f, K::PropertyExtra, Breaking, Some(Request));
}

#[test]
fn property_added_to_a_closed_response_object_breaks() {
    let mut reference = base();
    set(
        &mut reference,
        &format!("{RESPONSE}/additionalProperties"),
        json!(false),
    );
    let mut candidate = reference.clone();
    set(
        &mut candidate,
        &format!("{RESPONSE}/properties/extra"),
        json!({"type": "string"}),
    );
    let report = compare(&reference, &candidate).unwrap();
    let f = assert_single(&report, K::PropertyExtra, "POST /things → 200 → extra");
    check(&f, K::PropertyExtra, Breaking, Some(Response));
}

#[test]
fn property_added_to_a_response_object_open_through_an_empty_schema_is_compatible() {
    // `additionalProperties: {}` allows anything, exactly like `true`.
    let mut reference = base();
    set(
        &mut reference,
        &format!("{RESPONSE}/additionalProperties"),
        json!({}),
    );
    let mut candidate = reference.clone();
    set(
        &mut candidate,
        &format!("{RESPONSE}/properties/extra"),
        json!({"type": "string"}),
    );
    let report = compare(&reference, &candidate).unwrap();
    let f = assert_single(&report, K::PropertyExtra, "POST /things → 200 → extra");
    check(&f, K::PropertyExtra, Compatible, Some(Response));
}

#[test]
fn property_removed() {
    let remove_note =
        |doc: &mut Value, schema: &str| remove(doc, &format!("{schema}/properties/note"));
    // The candidate no longer reads what reference clients send.
    check(
        &only(both(REQUEST, remove_note)),
        K::PropertyMissing,
        Breaking,
        Some(Request),
    );
    // Optional in the reference: the candidate sends less.
    check(
        &only(both(RESPONSE, remove_note)),
        K::PropertyMissing,
        Compatible,
        Some(Response),
    );
}

#[test]
fn required_property_removed_from_a_response_breaks() {
    let f = only(|doc| {
        remove(doc, &format!("{RESPONSE}/properties/name"));
        set(doc, &format!("{RESPONSE}/required"), json!([]));
    });
    check(&f, K::PropertyMissing, Breaking, Some(Response));
    // And from a request: equally breaking.
    let f = only(|doc| {
        remove(doc, &format!("{REQUEST}/properties/name"));
        set(doc, &format!("{REQUEST}/required"), json!([]));
    });
    check(&f, K::PropertyMissing, Breaking, Some(Request));
}

#[test]
fn required_flips() {
    let make_required = |doc: &mut Value, schema: &str| {
        set(doc, &format!("{schema}/required/1"), json!("note"));
    };
    let make_optional = |doc: &mut Value, schema: &str| {
        set(doc, &format!("{schema}/required"), json!([]));
    };
    // Request: demanding what was optional breaks; relaxing is fine.
    check(
        &only(both(REQUEST, make_required)),
        K::RequiredChanged,
        Breaking,
        Some(Request),
    );
    check(
        &only(both(REQUEST, make_optional)),
        K::RequiredChanged,
        Compatible,
        Some(Request),
    );
    // Response: the candidate may now omit a promised property; promising more is fine.
    check(
        &only(both(RESPONSE, make_optional)),
        K::RequiredChanged,
        Breaking,
        Some(Response),
    );
    check(
        &only(both(RESPONSE, make_required)),
        K::RequiredChanged,
        Compatible,
        Some(Response),
    );
}

#[test]
fn nullable_flips() {
    let make_nullable = |doc: &mut Value, schema: &str| {
        set(
            doc,
            &format!("{schema}/properties/note/nullable"),
            json!(true),
        );
    };
    check(
        &only(both(REQUEST, make_nullable)),
        K::NullableChanged,
        Compatible,
        Some(Request),
    );
    check(
        &only(both(RESPONSE, make_nullable)),
        K::NullableChanged,
        Breaking,
        Some(Response),
    );
    // The reverse: nullable in the reference, not in the candidate.
    check(
        &only_reversed(both(REQUEST, make_nullable)),
        K::NullableChanged,
        Breaking,
        Some(Request),
    );
    check(
        &only_reversed(both(RESPONSE, make_nullable)),
        K::NullableChanged,
        Compatible,
        Some(Response),
    );
}

#[test]
fn enum_values_added_and_removed() {
    let add = |doc: &mut Value, schema: &str| {
        set(doc, &format!("{schema}/properties/kind/enum/2"), json!("c"));
    };
    let drop = |doc: &mut Value, schema: &str| {
        remove(doc, &format!("{schema}/properties/kind/enum/1"));
    };
    check(
        &only(both(REQUEST, add)),
        K::EnumChanged,
        Compatible,
        Some(Request),
    );
    check(
        &only(both(RESPONSE, add)),
        K::EnumChanged,
        Breaking,
        Some(Response),
    );
    check(
        &only(both(REQUEST, drop)),
        K::EnumChanged,
        Breaking,
        Some(Request),
    );
    check(
        &only(both(RESPONSE, drop)),
        K::EnumChanged,
        Compatible,
        Some(Response),
    );
    // One value swapped for another is neither wider nor narrower.
    let swap = |doc: &mut Value, schema: &str| {
        set(doc, &format!("{schema}/properties/kind/enum/1"), json!("z"));
    };
    check(
        &only(both(REQUEST, swap)),
        K::EnumChanged,
        Breaking,
        Some(Request),
    );
    check(
        &only(both(RESPONSE, swap)),
        K::EnumChanged,
        Breaking,
        Some(Response),
    );
}

#[test]
fn types_widen_and_narrow() {
    let to_number = |doc: &mut Value, schema: &str| {
        set(
            doc,
            &format!("{schema}/properties/size"),
            json!({"type": "number"}),
        );
    };
    check(
        &only(both(REQUEST, to_number)),
        K::TypeChanged,
        Compatible,
        Some(Request),
    );
    check(
        &only(both(RESPONSE, to_number)),
        K::TypeChanged,
        Breaking,
        Some(Response),
    );
    check(
        &only_reversed(both(REQUEST, to_number)),
        K::TypeChanged,
        Breaking,
        Some(Request),
    );
    check(
        &only_reversed(both(RESPONSE, to_number)),
        K::TypeChanged,
        Compatible,
        Some(Response),
    );
    let to_string = |doc: &mut Value, schema: &str| {
        set(
            doc,
            &format!("{schema}/properties/size"),
            json!({"type": "string"}),
        );
    };
    check(
        &only(both(REQUEST, to_string)),
        K::TypeChanged,
        Breaking,
        Some(Request),
    );
    check(
        &only(both(RESPONSE, to_string)),
        K::TypeChanged,
        Breaking,
        Some(Response),
    );
}

#[test]
fn formats_and_constraints() {
    let int64 = |doc: &mut Value, schema: &str| {
        set(
            doc,
            &format!("{schema}/properties/size/format"),
            json!("int64"),
        );
    };
    check(
        &only(both(REQUEST, int64)),
        K::FormatChanged,
        Compatible,
        Some(Request),
    );
    check(
        &only(both(RESPONSE, int64)),
        K::FormatChanged,
        Breaking,
        Some(Response),
    );
    let longer = |doc: &mut Value, schema: &str| {
        set(
            doc,
            &format!("{schema}/properties/name/maxLength"),
            json!(20),
        );
    };
    check(
        &only(both(REQUEST, longer)),
        K::ConstraintChanged,
        Compatible,
        Some(Request),
    );
    check(
        &only(both(RESPONSE, longer)),
        K::ConstraintChanged,
        Breaking,
        Some(Response),
    );
    let pattern = |doc: &mut Value, schema: &str| {
        set(
            doc,
            &format!("{schema}/properties/note/pattern"),
            json!("^x"),
        );
    };
    check(
        &only(both(REQUEST, pattern)),
        K::ConstraintChanged,
        Breaking,
        Some(Request),
    );
    check(
        &only(both(RESPONSE, pattern)),
        K::ConstraintChanged,
        Compatible,
        Some(Response),
    );
}

#[test]
fn additional_properties_opened() {
    let mut closed = base();
    set(
        &mut closed,
        &format!("{REQUEST}/additionalProperties"),
        json!(false),
    );
    set(
        &mut closed,
        &format!("{RESPONSE}/additionalProperties"),
        json!(false),
    );
    let report = compare(&closed, &base()).unwrap();
    assert_eq!(report.findings.len(), 2, "{report}");
    let severity =
        |place: &str| assert_has(&report, K::AdditionalPropertiesChanged, place).severity;
    assert_eq!(severity("POST /things → request body"), Compatible);
    assert_eq!(severity("POST /things → 200"), Breaking);
}

#[test]
fn a_change_in_a_shared_component_is_judged_where_it_is_used() {
    // One schema used both ways: the same edit is compatible in the request and breaking in
    // the response.
    let mut reference = base();
    set(
        &mut reference,
        RESPONSE,
        json!({"$ref": "#/components/schemas/NewThing"}),
    );
    let mut candidate = reference.clone();
    set(
        &mut candidate,
        &format!("{REQUEST}/properties/kind/enum/2"),
        json!("c"),
    );
    let report = compare(&reference, &candidate).unwrap();
    assert_eq!(report.findings.len(), 2, "{report}");
    let request = assert_has(
        &report,
        K::EnumChanged,
        "POST /things → request body → kind",
    );
    let response = assert_has(&report, K::EnumChanged, "POST /things → 200 → kind");
    assert_eq!(
        (request.severity, response.severity),
        (Compatible, Breaking)
    );
}
