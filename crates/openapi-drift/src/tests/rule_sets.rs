//! The rules set against the field's rule sets (oasdiff, oxidecomputer/drift): documents
//! other tools read, `oneOf`/`anyOf` by branch, keywords judged or flagged as unhandled,
//! patterns, statuses and media types. One test per rule, each in both directions.

use serde_json::json;

use super::things::{OP, REQUEST, RESPONSE, base, both, check, only, only_reversed};
use super::*;
use crate::FindingKind as K;
use crate::{Direction, DriftError, Severity, load_str};

use Direction::{Request, Response};
use Severity::{Breaking, Compatible, Unhandled};

// 1. Documents with `null` where an object belongs.

#[test]
fn empty_yaml_keys_are_read_as_nothing_there() {
    let text = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      \
                parameters:\n      responses:\n        '200':\n          description: ok\n          \
                content:\n        '404':\n  /b:\ncomponents:\n  schemas:\n";
    let reference = load_str(text).expect("a document other tools read loads");
    let mut candidate = reference.clone();
    set(
        &mut candidate,
        "/paths/~1a/get/responses/200/content",
        json!({"application/json": {"schema": {"type": "string"}}}),
    );
    let report = compare(&reference, &candidate).expect("the comparison runs");
    let f = assert_single(&report, K::ContentTypeChanged, "GET /a → 200");
    assert_eq!(f.severity, Compatible);
    // The same nulls in documents handed over directly, not through `load_*`.
    let raw = json!({"openapi": "3.1.0", "paths": {"/a": {"get": {"responses": null}}}});
    assert_consistent(&compare(&raw, &raw).expect("nulls tolerated in compare too"));
}

#[test]
fn extensions_beside_paths_and_statuses_are_no_paths_or_statuses() {
    let mut doc = base();
    set(&mut doc, "/paths/x-owner", json!("team-sessions"));
    set(&mut doc, &format!("{OP}/responses/x-retry"), json!(true));
    assert_consistent(&compare(&base(), &doc).expect("extensions are read as such"));
}

#[test]
fn a_truly_unreadable_document_says_where() {
    let mut broken = base();
    set(&mut broken, "/paths/~1things/post/responses", json!([1, 2]));
    let error = compare(&base(), &broken).expect_err("a list of responses is unreadable");
    let DriftError::Malformed { at, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(at, "/paths/~1things/post/responses");
    assert!(error.to_string().contains(at.as_str()), "{error}");
}

// 2. oneOf/anyOf, branch by branch.

fn make_one_of(doc: &mut Value, schema: &str, branches: Value) {
    set(
        doc,
        &format!("{schema}/properties/note"),
        json!({"oneOf": branches}),
    );
}

#[test]
fn one_of_branch_added() {
    let two = json!([{"type": "string"}, {"type": "integer"}]);
    let three = json!([{"type": "integer"}, {"type": "string"}, {"type": "boolean"}]);
    for (schema, severity, direction) in [
        (REQUEST, Compatible, Request),
        (RESPONSE, Breaking, Response),
    ] {
        let mut reference = base();
        make_one_of(&mut reference, schema, two.clone());
        let mut candidate = base();
        make_one_of(&mut candidate, schema, three.clone());
        let report = compare(&reference, &candidate).unwrap();
        assert_eq!(report.findings.len(), 1, "{report}");
        check(
            &report.findings[0],
            K::AlternativesChanged,
            severity,
            Some(direction),
        );
        assert_eq!(report.findings[0].implementation, "oneOf branch boolean");
        // Removed, the other way round.
        let report = compare(&candidate, &reference).unwrap();
        let reverse = match severity {
            Compatible => Breaking,
            _ => Compatible,
        };
        check(
            &report.findings[0],
            K::AlternativesChanged,
            reverse,
            Some(direction),
        );
    }
}

#[test]
fn branch_order_and_metadata_do_not_matter() {
    let mut reference = base();
    make_one_of(
        &mut reference,
        RESPONSE,
        json!([{"type": "string"}, {"type": "integer"}]),
    );
    let mut candidate = base();
    make_one_of(
        &mut candidate,
        RESPONSE,
        json!([{"type": "integer", "description": "n"}, {"type": "string"}]),
    );
    assert_consistent(&compare(&reference, &candidate).unwrap());
}

#[test]
fn a_plain_schema_becoming_one_branch_of_several() {
    let widen = |doc: &mut Value, schema: &str| {
        make_one_of(
            doc,
            schema,
            json!([{"type": "string"}, {"type": "integer"}]),
        );
    };
    check(
        &only(both(REQUEST, widen)),
        K::AlternativesChanged,
        Compatible,
        Some(Request),
    );
    check(
        &only(both(RESPONSE, widen)),
        K::AlternativesChanged,
        Breaking,
        Some(Response),
    );
    check(
        &only_reversed(both(REQUEST, widen)),
        K::AlternativesChanged,
        Breaking,
        Some(Request),
    );
    check(
        &only_reversed(both(RESPONSE, widen)),
        K::AlternativesChanged,
        Compatible,
        Some(Response),
    );
}

#[test]
fn one_of_becoming_any_of_accepts_more() {
    let any_of = |doc: &mut Value, schema: &str| {
        set(
            doc,
            &format!("{schema}/properties/note"),
            json!({"anyOf": [{"type": "string"}, {"type": "integer"}]}),
        );
    };
    let one_of = |doc: &mut Value, schema: &str| {
        make_one_of(
            doc,
            schema,
            json!([{"type": "string"}, {"type": "integer"}]),
        );
    };
    for (schema, severity, direction) in [
        (REQUEST, Compatible, Request),
        (RESPONSE, Breaking, Response),
    ] {
        let mut reference = base();
        one_of(&mut reference, schema);
        let mut candidate = base();
        any_of(&mut candidate, schema);
        let report = compare(&reference, &candidate).unwrap();
        assert_eq!(report.findings.len(), 1, "{report}");
        check(
            &report.findings[0],
            K::AlternativesChanged,
            severity,
            Some(direction),
        );
    }
}

#[test]
fn a_changed_branch_is_compared_inside() {
    let mut reference = base();
    make_one_of(
        &mut reference,
        REQUEST,
        json!([{"type": "string", "maxLength": 5}, {"type": "integer"}]),
    );
    let mut candidate = base();
    make_one_of(
        &mut candidate,
        REQUEST,
        json!([{"type": "integer"}, {"type": "string", "maxLength": 9}]),
    );
    let report = compare(&reference, &candidate).unwrap();
    let f = assert_single(
        &report,
        K::ConstraintChanged,
        "POST /things → request body → note.oneOf[0]",
    );
    assert_eq!(f.severity, Compatible);
}

// 3. Keywords that were ignored without a word.

#[test]
fn default_added_changed_or_removed() {
    let default = |value: Value| {
        move |doc: &mut Value, schema: &str| {
            set(doc, &format!("{schema}/properties/size/default"), value);
        }
    };
    // A client that leaves the value out now gets another behaviour.
    let f = only(both(REQUEST, default(json!(5))));
    check(&f, K::DefaultChanged, Breaking, Some(Request));
    assert_eq!(
        (f.spec.as_str(), f.implementation.as_str()),
        ("absent", "5")
    );
    check(
        &only_reversed(both(REQUEST, default(json!(5)))),
        K::DefaultChanged,
        Breaking,
        Some(Request),
    );
    // A response's default describes nothing its clients rely on.
    check(
        &only(both(RESPONSE, default(json!(5)))),
        K::DefaultChanged,
        Compatible,
        Some(Response),
    );
    // On a parameter, changed.
    let mut reference = base();
    set(
        &mut reference,
        &format!("{OP}/parameters/0/schema/default"),
        json!(false),
    );
    let mut candidate = base();
    set(
        &mut candidate,
        &format!("{OP}/parameters/0/schema/default"),
        json!(true),
    );
    let report = compare(&reference, &candidate).unwrap();
    let f = assert_single(
        &report,
        K::DefaultChanged,
        "POST /things → parameter query.dryRun",
    );
    assert_eq!(f.severity, Breaking);
    // On a value every client must send, a default changes nothing anyone sees.
    for doc in [&mut reference, &mut candidate] {
        set(doc, &format!("{OP}/parameters/0/required"), json!(true));
        set(doc, &format!("{REQUEST}/required"), json!(["name", "size"]));
    }
    set(
        &mut reference,
        &format!("{REQUEST}/properties/size/default"),
        json!(1),
    );
    set(
        &mut candidate,
        &format!("{REQUEST}/properties/size/default"),
        json!(2),
    );
    assert_consistent(&compare(&reference, &candidate).unwrap());
}

#[test]
fn response_header_required_and_nullable() {
    let header = "/paths/~1things/post/responses/200/headers/X-Rate";
    let require = |doc: &mut Value| set(doc, &format!("{header}/required"), json!(true));
    // Promised from now on: fine; no longer promised: clients relying on it break.
    let f = only(require);
    check(&f, K::RequiredChanged, Compatible, Some(Response));
    assert_eq!(f.place, "POST /things → 200 → header X-Rate");
    check(
        &only_reversed(require),
        K::RequiredChanged,
        Breaking,
        Some(Response),
    );
    let nullable = |doc: &mut Value| set(doc, &format!("{header}/schema/nullable"), json!(true));
    check(
        &only(nullable),
        K::NullableChanged,
        Breaking,
        Some(Response),
    );
    check(
        &only_reversed(nullable),
        K::NullableChanged,
        Compatible,
        Some(Response),
    );
    let bounded = |doc: &mut Value| set(doc, &format!("{header}/schema/maximum"), json!(10));
    check(
        &only(bounded),
        K::ConstraintChanged,
        Compatible,
        Some(Response),
    );
}

#[test]
fn read_only_in_an_all_of_branch_is_the_propertys() {
    // Asana's `workspace: {allOf: [{$ref: WorkspaceCompact}, {readOnly: true, …}]}` is
    // read-only as much as `{readOnly: true}` beside the schema.
    let mut beside = base();
    set(
        &mut beside,
        &format!("{REQUEST}/properties/note"),
        json!({"allOf": [{"type": "string"}], "readOnly": true}),
    );
    let mut in_a_branch = base();
    set(
        &mut in_a_branch,
        &format!("{REQUEST}/properties/note"),
        json!({"allOf": [{"type": "string"}, {"readOnly": true, "description": "set once"}]}),
    );
    assert_consistent(&compare(&beside, &in_a_branch).unwrap());
    assert_consistent(&compare(&in_a_branch, &beside).unwrap());
    // And it still differs from a member clients may send.
    let f = only_reversed(|doc| {
        set(
            doc,
            &format!("{REQUEST}/properties/note"),
            json!({"allOf": [{"type": "string"}, {"readOnly": true}]}),
        );
    });
    check(&f, K::PropertyExtra, Compatible, Some(Request));
}

#[test]
fn property_names_of_any_string_say_nothing() {
    // utoipa writes a map's annotations into `propertyNames` (`{type: string, readOnly: true}`).
    let map = |names: Value| {
        let mut doc = base();
        set(
            &mut doc,
            &format!("{RESPONSE}/properties/labels"),
            json!({"type": "object", "additionalProperties": {"type": "string"}, "propertyNames": names}),
        );
        doc
    };
    let plain = map(json!({"type": "string"}));
    let annotated = map(json!({"type": "string", "readOnly": true}));
    assert_consistent(&compare(&plain, &annotated).unwrap());
    // A pattern does say something.
    let patterned = map(json!({"type": "string", "pattern": "^[a-z]+$"}));
    assert!(!compare(&plain, &patterned).unwrap().findings.is_empty());
}

#[test]
fn read_only_properties_are_no_part_of_requests() {
    let read_only = |doc: &mut Value, schema: &str| {
        set(
            doc,
            &format!("{schema}/properties/note/readOnly"),
            json!(true),
        );
    };
    // Clients sent it; the server now ignores it.
    let f = only(both(REQUEST, read_only));
    check(&f, K::PropertyMissing, Breaking, Some(Request));
    assert_eq!(f.implementation, "readOnly");
    // In a response a readOnly property is sent as before.
    assert_consistent(
        &compare(&base(), &{
            let mut c = base();
            read_only(&mut c, RESPONSE);
            c
        })
        .unwrap(),
    );
    // A readOnly property required and retyped touches requests not at all.
    let mut reference = base();
    read_only(&mut reference, REQUEST);
    let mut candidate = reference.clone();
    set(
        &mut candidate,
        &format!("{REQUEST}/properties/note/type"),
        json!("integer"),
    );
    set(
        &mut candidate,
        &format!("{REQUEST}/required"),
        json!(["name", "note"]),
    );
    assert_consistent(&compare(&reference, &candidate).unwrap());
}

#[test]
fn write_only_properties_are_no_part_of_responses() {
    let write_only = |doc: &mut Value, schema: &str| {
        set(
            doc,
            &format!("{schema}/properties/note/writeOnly"),
            json!(true),
        );
    };
    // The server stops sending it.
    let f = only(both(RESPONSE, write_only));
    check(&f, K::PropertyMissing, Compatible, Some(Response));
    assert_eq!(f.implementation, "writeOnly");
    // A writeOnly property that was promised (required) and is now gone: nobody received it.
    let mut reference = base();
    write_only(&mut reference, RESPONSE);
    set(
        &mut reference,
        &format!("{RESPONSE}/required"),
        json!(["name", "note"]),
    );
    let mut candidate = base();
    remove(&mut candidate, &format!("{RESPONSE}/properties/note"));
    assert_consistent(&compare(&reference, &candidate).unwrap());
}

#[test]
fn webhooks_gone_added_and_changed() {
    let with_webhook = |summary: &str| {
        let mut doc = base();
        set(&mut doc, "/openapi", json!("3.1.0"));
        set(
            &mut doc,
            "/webhooks",
            json!({"thingCreated": {"post": {"summary": summary, "requestBody": {"content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                "responses": {"200": {"description": "ok"}}}}}),
        );
        doc
    };
    let without = {
        let mut doc = base();
        set(&mut doc, "/openapi", json!("3.1.0"));
        doc
    };
    let report = compare(&with_webhook("a"), &without).unwrap();
    let f = assert_single(&report, K::WebhookMissing, "webhooks.thingCreated");
    assert_eq!(f.severity, Breaking);
    let report = compare(&without, &with_webhook("a")).unwrap();
    assert_eq!(
        assert_single(&report, K::WebhookExtra, "webhooks.thingCreated").severity,
        Compatible
    );
    let report = compare(&with_webhook("a"), &with_webhook("b")).unwrap();
    let f = assert_single(&report, K::KeywordUnhandled, "webhooks.thingCreated");
    assert_eq!(f.severity, Unhandled);
    assert_consistent(&compare(&with_webhook("a"), &with_webhook("a")).unwrap());
}

#[test]
fn callbacks_gone_added_and_changed() {
    let with_callback = |url: &str| {
        let mut doc = base();
        set(
            &mut doc,
            &format!("{OP}/callbacks"),
            json!({"onCreated": {url: {"post": {"requestBody": {"content": {"application/json":
                {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                "responses": {"200": {"description": "ok"}}}}}}),
        );
        doc
    };
    let a = with_callback("{$request.body#/hook}");
    let report = compare(&a, &base()).unwrap();
    let f = assert_single(
        &report,
        K::CallbackMissing,
        "POST /things → callback onCreated",
    );
    assert_eq!(f.severity, Breaking);
    let report = compare(&base(), &a).unwrap();
    let f = assert_single(
        &report,
        K::CallbackExtra,
        "POST /things → callback onCreated",
    );
    assert_eq!(f.severity, Compatible);
    let report = compare(&a, &with_callback("{$request.body#/other}")).unwrap();
    let f = assert_single(
        &report,
        K::KeywordUnhandled,
        "POST /things → callback onCreated",
    );
    assert_eq!(f.severity, Unhandled);
    assert_consistent(&compare(&a, &a).unwrap());
}

#[test]
fn json_schema_2020_keywords_are_unhandled_never_silent() {
    let cases = [
        ("if", json!({"properties": {"kind": {"const": "a"}}})),
        ("prefixItems", json!([{"type": "string"}])),
        ("contains", json!({"type": "string"})),
        ("dependentRequired", json!({"note": ["size"]})),
        ("patternProperties", json!({"^x-": {"type": "string"}})),
        ("unevaluatedProperties", json!(false)),
        ("unevaluatedItems", json!(false)),
        ("not", json!({"type": "null"})),
    ];
    for (keyword, value) in cases {
        for (schema, direction) in [(REQUEST, Request), (RESPONSE, Response)] {
            let add = |doc: &mut Value| set(doc, &format!("{schema}/{keyword}"), value.clone());
            let f = only(add);
            check(&f, K::KeywordUnhandled, Unhandled, Some(direction));
            assert!(f.implementation.starts_with(keyword), "{f}");
            check(
                &only_reversed(add),
                K::KeywordUnhandled,
                Unhandled,
                Some(direction),
            );
        }
    }
}

#[test]
fn a_parameter_written_another_way() {
    let explode = |doc: &mut Value| set(doc, &format!("{OP}/parameters/0/explode"), json!(false));
    let f = only(explode);
    check(&f, K::ParameterChanged, Breaking, Some(Request));
    assert_eq!(f.implementation, "style form, explode false");
    // Spelling out OpenAPI's defaults changes nothing.
    let defaults = |doc: &mut Value| {
        set(doc, &format!("{OP}/parameters/0/style"), json!("form"));
        set(doc, &format!("{OP}/parameters/0/explode"), json!(true));
    };
    assert_consistent(
        &compare(&base(), &{
            let mut c = base();
            defaults(&mut c);
            c
        })
        .unwrap(),
    );
}

// 4. Patterns.

#[test]
fn a_pattern_removed_or_loosened_to_match_everything() {
    let pattern = |value: &'static str| {
        move |doc: &mut Value, schema: &str| {
            set(
                doc,
                &format!("{schema}/properties/note/pattern"),
                json!(value),
            );
        }
    };
    for loose in [".*", "^.*$", "[\\s\\S]*"] {
        let mut reference = base();
        pattern("^[a-z]+$")(&mut reference, REQUEST);
        let mut candidate = base();
        pattern(loose)(&mut candidate, REQUEST);
        let report = compare(&reference, &candidate).unwrap();
        assert_eq!(report.findings.len(), 1, "{report}");
        check(
            &report.findings[0],
            K::ConstraintChanged,
            Compatible,
            Some(Request),
        );
    }
    // Removed: looser in a request, breaking in a response.
    check(
        &only_reversed(both(REQUEST, pattern("^[a-z]+$"))),
        K::ConstraintChanged,
        Compatible,
        Some(Request),
    );
    check(
        &only_reversed(both(RESPONSE, pattern("^[a-z]+$"))),
        K::ConstraintChanged,
        Breaking,
        Some(Response),
    );
    // Added: stricter in a request, fine in a response.
    check(
        &only(both(REQUEST, pattern("^[a-z]+$"))),
        K::ConstraintChanged,
        Breaking,
        Some(Request),
    );
    check(
        &only(both(RESPONSE, pattern("^[a-z]+$"))),
        K::ConstraintChanged,
        Compatible,
        Some(Response),
    );
    // A match-everything pattern added says nothing at all.
    assert_consistent(
        &compare(&base(), &{
            let mut c = base();
            pattern(".*")(&mut c, REQUEST);
            c
        })
        .unwrap(),
    );
}

// 5. Statuses and media types.

#[test]
fn the_last_success_status_removed() {
    let created = |doc: &mut Value| {
        let ok = doc.pointer(&format!("{OP}/responses/200")).unwrap().clone();
        set(doc, &format!("{OP}/responses/201"), ok);
    };
    // 200 and 201 → 200: another success remains, clients still succeed.
    let f = only_reversed(created);
    check(&f, K::StatusMissing, Compatible, Some(Response));
    // 200 → nothing left but 400: no call succeeds any more.
    let mut candidate = base();
    remove(&mut candidate, &format!("{OP}/responses/200"));
    let report = compare(&base(), &candidate).unwrap();
    let f = assert_single(&report, K::StatusMissing, "POST /things → 200");
    assert_eq!(f.severity, Breaking);
    // An error status removed: clients handle one failure fewer.
    let mut candidate = base();
    remove(&mut candidate, &format!("{OP}/responses/400"));
    let report = compare(&base(), &candidate).unwrap();
    assert_eq!(
        assert_single(&report, K::StatusMissing, "POST /things → 400").severity,
        Compatible
    );
}

#[test]
fn a_response_media_type_removed_while_another_remains() {
    let xml = |doc: &mut Value| {
        set(
            doc,
            &format!("{OP}/responses/200/content/application~1xml"),
            json!({"schema": {"type": "string"}}),
        );
    };
    // JSON gone, XML kept: a client asking for JSON has no answer it can read.
    let mut reference = base();
    xml(&mut reference);
    let mut candidate = reference.clone();
    remove(
        &mut candidate,
        &format!("{OP}/responses/200/content/application~1json"),
    );
    let report = compare(&reference, &candidate).unwrap();
    let f = assert_single(&report, K::ContentTypeChanged, "POST /things → 200");
    assert_eq!(
        (f.severity, f.spec.as_str()),
        (Breaking, "application/json")
    );
    // XML added: only clients that ask for it get it (progenitor cannot type a non-JSON
    // body, a client-surface finding of its own).
    let mut candidate = base();
    xml(&mut candidate);
    let report = compare(&base(), &candidate).unwrap();
    let f = assert_has(&report, K::ContentTypeChanged, "POST /things → 200");
    assert_eq!(f.severity, Compatible);
}

// Unhandled is visible.

#[test]
fn unhandled_shows_in_both_outputs_and_fails_the_check() {
    let report = compare(&base(), &{
        let mut c = base();
        set(
            &mut c,
            &format!("{RESPONSE}/unevaluatedProperties"),
            json!(false),
        );
        c
    })
    .unwrap();
    let human = report.to_string();
    assert!(
        human.contains("[unhandled] POST /things → 200: unhandled keyword"),
        "{human}"
    );
    assert!(human.contains("1 finding: 1 unhandled"), "{human}");
    let json: Value = serde_json::from_str(&report.to_json_pretty()).unwrap();
    assert_eq!(json["findings"][0]["severity"], "unhandled");
    assert_eq!(json["findings"][0]["kind"], "keyword_unhandled");
    assert!(report.has_breaking_or_client_surface());
    assert_eq!(report.unhandled().count(), 1);
}

#[test]
fn a_large_real_document_loads_and_agrees_with_itself() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/large-spec/box-platform-api.yaml");
    let doc = crate::load_path(&path).expect("the Box Platform API description loads");
    assert_consistent(&compare(&doc, &doc).expect("it compares with itself"));
}
