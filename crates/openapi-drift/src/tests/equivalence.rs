//! Different spellings of the same API must produce no finding.

use serde_json::json;

use super::*;

/// A one-operation document whose 200 response is `{x: <schema>}`.
fn with_property(version: &str, schema: Value, components: Value) -> Value {
    json!({
        "openapi": version,
        "info": {"title": "t", "version": "1"},
        "paths": {"/thing": {"get": {"responses": {"200": {
            "description": "ok",
            "content": {"application/json": {"schema": {
                "type": "object",
                "properties": {"x": schema}
            }}}
        }}}}},
        "components": {"schemas": components}
    })
}

fn check_pairwise(forms: &[(&str, &str, Value)], components: &Value) {
    for (a_name, a_version, a) in forms {
        for (b_name, b_version, b) in forms {
            let spec = with_property(a_version, a.clone(), components.clone());
            let implementation = with_property(b_version, b.clone(), components.clone());
            let report = compare(&spec, &implementation).unwrap();
            assert!(report.is_consistent(), "{a_name} vs {b_name}:\n{report}");
        }
    }
}

#[test]
fn every_nullable_spelling_of_an_enum_agrees() {
    let components = json!({"Mode": {"type": "string", "enum": ["a", "b"]}});
    let mode = json!({"$ref": "#/components/schemas/Mode"});
    let forms = [
        (
            "nullable: true",
            "3.0.3",
            json!({"type": "string", "enum": ["a", "b"], "nullable": true}),
        ),
        (
            "type: [T, null]",
            "3.1.0",
            json!({"type": ["string", "null"], "enum": ["a", "b"]}),
        ),
        (
            "oneOf null + $ref",
            "3.1.0",
            json!({"oneOf": [{"type": "null"}, mode]}),
        ),
        (
            "anyOf $ref + null",
            "3.1.0",
            json!({"anyOf": [mode, {"type": "null"}]}),
        ),
        (
            "allOf [$ref] + nullable",
            "3.0.3",
            json!({"allOf": [mode], "nullable": true}),
        ),
        (
            "enum with null",
            "3.0.3",
            json!({"type": "string", "enum": ["a", null, "b"]}),
        ),
        (
            "type: [T, null] + enum with null",
            "3.1.0",
            json!({"type": ["string", "null"], "enum": ["b", "a", null]}),
        ),
        (
            "$ref + nullable sibling",
            "3.0.3",
            json!({"$ref": "#/components/schemas/Mode", "nullable": true}),
        ),
    ];
    check_pairwise(&forms, &components);
}

#[test]
fn every_nullable_spelling_of_an_object_agrees() {
    let owner =
        json!({"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}});
    let components = json!({"Owner": owner});
    let reference = json!({"$ref": "#/components/schemas/Owner"});
    let mut inline_nullable = owner.clone();
    inline_nullable["nullable"] = json!(true);
    let mut inline_type_array = owner.clone();
    inline_type_array["type"] = json!(["object", "null"]);
    let forms = [
        ("inline nullable: true", "3.0.3", inline_nullable),
        ("inline type: [object, null]", "3.1.0", inline_type_array),
        (
            "oneOf null + $ref (utoipa)",
            "3.1.0",
            json!({"oneOf": [{"type": "null"}, reference]}),
        ),
        (
            "allOf [$ref] + nullable",
            "3.0.3",
            json!({"allOf": [reference], "nullable": true}),
        ),
        (
            "anyOf [inline, null]",
            "3.1.0",
            json!({"anyOf": [owner, {"type": "null"}]}),
        ),
    ];
    check_pairwise(&forms, &components);
}

#[test]
fn ref_and_identical_inline_schema_agree() {
    let owner =
        json!({"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}});
    let components = json!({"Owner": owner});
    let forms = [
        (
            "$ref",
            "3.0.3",
            json!({"$ref": "#/components/schemas/Owner"}),
        ),
        ("inline", "3.0.3", owner.clone()),
        (
            "single-branch allOf",
            "3.0.3",
            json!({"allOf": [{"$ref": "#/components/schemas/Owner"}]}),
        ),
        (
            "single-branch allOf inline",
            "3.1.0",
            json!({"allOf": [owner]}),
        ),
        (
            "single-branch oneOf",
            "3.1.0",
            json!({"oneOf": [{"$ref": "#/components/schemas/Owner"}]}),
        ),
        (
            "untyped object",
            "3.0.3",
            json!({"required": ["name"], "properties": {"name": {"type": "string"}}}),
        ),
    ];
    check_pairwise(&forms, &components);
}

#[test]
fn multi_branch_all_of_merges_properties() {
    let components = json!({
        "Base": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}
    });
    let forms = [
        (
            "allOf [$ref, extension]",
            "3.0.3",
            json!({"allOf": [
                {"$ref": "#/components/schemas/Base"},
                {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}
            ]}),
        ),
        (
            "flattened",
            "3.1.0",
            json!({
                "type": "object",
                "required": ["n", "id"],
                "properties": {"id": {"type": "string"}, "n": {"type": "integer"}}
            }),
        ),
    ];
    check_pairwise(&forms, &components);
}

#[test]
fn multi_branch_one_of_compares_branch_wise() {
    let forms = [
        (
            "a",
            "3.0.3",
            json!({"oneOf": [{"type": "string"}, {"type": "integer"}]}),
        ),
        (
            "b",
            "3.1.0",
            json!({"oneOf": [{"type": "string", "description": "s"}, {"type": "integer"}]}),
        ),
    ];
    check_pairwise(&forms, &json!({}));

    let spec = with_property("3.0.3", forms[0].2.clone(), json!({}));
    let implementation = with_property(
        "3.1.0",
        json!({"oneOf": [{"type": "string"}, {"type": "number"}]}),
        json!({}),
    );
    let report = compare(&spec, &implementation).unwrap();
    assert_single(
        &report,
        FindingKind::TypeChanged,
        "GET /thing → 200 → x.oneOf[1]",
    );
}

#[test]
fn exclusive_bounds_and_const_in_either_version() {
    let forms = [
        (
            "3.0 booleans",
            "3.0.3",
            json!({"type": "integer", "minimum": 5, "exclusiveMinimum": true, "maximum": 9.0, "exclusiveMaximum": false}),
        ),
        (
            "3.1 numbers",
            "3.1.0",
            json!({"type": "integer", "exclusiveMinimum": 5, "maximum": 9}),
        ),
    ];
    check_pairwise(&forms, &json!({}));

    let forms = [
        ("const", "3.1.0", json!({"const": "fixed"})),
        (
            "single enum",
            "3.0.3",
            json!({"type": "string", "enum": ["fixed"]}),
        ),
    ];
    check_pairwise(&forms, &json!({}));
}

#[test]
fn additional_properties_absent_true_and_empty_agree() {
    let forms = [
        ("absent", "3.0.3", json!({"type": "object"})),
        (
            "true",
            "3.1.0",
            json!({"type": "object", "additionalProperties": true}),
        ),
        (
            "{}",
            "3.1.0",
            json!({"type": "object", "additionalProperties": {}}),
        ),
    ];
    check_pairwise(&forms, &json!({}));
}

#[test]
fn metadata_edits_are_ignored() {
    let report = drift_in_implementation(|i| {
        set(i, "/info", json!({"title": "other", "version": "9.9.9"}));
        set(i, "/servers", json!([{"url": "https://example.com"}]));
        set(i, "/tags", json!([{"name": "x", "description": "y"}]));
        set(
            i,
            "/externalDocs",
            json!({"url": "https://example.com/docs"}),
        );
        set(i, "/x-generator", json!("utoipa"));
        let session = "/components/schemas/Session";
        set(
            i,
            &format!("{session}/description"),
            json!("A different description"),
        );
        set(i, &format!("{session}/title"), json!("SessionTitle"));
        set(i, &format!("{session}/example"), json!({"id": "x"}));
        set(
            i,
            &format!("{session}/properties/id/examples"),
            json!(["a", "b"]),
        );
        set(i, &format!("{session}/properties/id/readOnly"), json!(true));
        set(
            i,
            &format!("{session}/properties/id/deprecated"),
            json!(true),
        );
        set(
            i,
            &format!("{session}/properties/id/x-rust-type"),
            json!("Uuid"),
        );
        set(i, "/paths/~1sessions/get/summary", json!("changed"));
        set(i, "/paths/~1sessions/get/description", json!("changed"));
        set(i, "/paths/~1sessions/get/tags", json!(["other"]));
        set(
            i,
            "/paths/~1sessions/get/responses/200/description",
            json!("changed"),
        );
    });
    assert_consistent(&report);
}

#[test]
fn key_order_is_ignored() {
    let a = load_str(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema:\n                type: object\n                required: [p, q]\n                properties:\n                  p: {type: string, format: email}\n                  q: {type: integer}\n",
    )
    .unwrap();
    let b = load_str(
        r#"{"paths": {"/a": {"get": {"responses": {"200": {"content": {"application/json": {"schema": {"properties": {"q": {"type": "integer"}, "p": {"format": "email", "type": "string"}}, "required": ["q", "p"], "type": "object"}}}, "description": "ok"}}}}}, "info": {"version": "1", "title": "t"}, "openapi": "3.1.0"}"#,
    )
    .unwrap();
    assert_consistent(&compare(&a, &b).unwrap());
}

#[test]
fn path_level_parameters_merge_with_operation_level_winning() {
    let report = drift(
        |s| {
            // Spec declares limit at path level (as required) and overrides it on the operation.
            set(
                s,
                "/paths/~1sessions/parameters",
                json!([{"name": "limit", "in": "query", "required": true, "schema": {"type": "string"}}]),
            );
        },
        |_| {},
    );
    assert_consistent(&report);
}

#[test]
fn parameter_nullability_is_ignored_but_property_nullability_is_not() {
    // The fixture's implementation has `limit: [integer, null]`; the spec a plain integer.
    let i = implementation();
    assert_eq!(
        i.pointer("/paths/~1sessions/get/parameters/0/schema/type"),
        Some(&json!(["integer", "null"]))
    );
    assert_consistent(&compare(&spec(), &i).unwrap());
}

#[test]
fn ignored_header_parameters() {
    let report = drift_in_implementation(|i| {
        set(
            i,
            "/paths/~1sessions/get/parameters/1",
            json!({"name": "Authorization", "in": "header", "required": true, "schema": {"type": "string"}}),
        );
    });
    assert_consistent(&report);
}

#[test]
fn recursive_schemas_terminate() {
    let tree = json!({
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Tree"}},
            "parent": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Tree"}]}
        }
    });
    let components = json!({"Tree": tree});
    let by_ref = with_property(
        "3.1.0",
        json!({"$ref": "#/components/schemas/Tree"}),
        components.clone(),
    );
    // The same tree with its first level written inline.
    let inline = with_property("3.0.3", tree, components.clone());
    assert_consistent(&compare(&by_ref, &inline).unwrap());
    assert_consistent(&compare(&inline, &by_ref).unwrap());

    // Drift deep inside the recursion is still found, once, at its first place.
    let mut changed = by_ref.clone();
    set(
        &mut changed,
        "/components/schemas/Tree/properties/name/type",
        json!("integer"),
    );
    let report = compare(&by_ref, &changed).unwrap();
    assert_single(
        &report,
        FindingKind::TypeChanged,
        "GET /thing → 200 → x.name",
    );
}

#[test]
fn schemas_shared_along_many_paths_are_compared_once() {
    // `Level0` reaches `Level40` along 2^40 paths (each level holds the next twice), as large
    // documents reach their common schemas: walking every path would never end.
    let mut components = serde_json::Map::new();
    for level in 0..40 {
        let next = json!({"$ref": format!("#/components/schemas/Level{}", level + 1)});
        components.insert(
            format!("Level{level}"),
            json!({"type": "object", "properties": {"left": next, "right": next}}),
        );
    }
    components.insert(
        "Level40".to_owned(),
        json!({"type": "object", "properties": {"n": {"type": "string"}}}),
    );
    let components = Value::Object(components);
    let spec = with_property(
        "3.0.3",
        json!({"$ref": "#/components/schemas/Level0"}),
        components,
    );
    let mut implementation = spec.clone();
    set(
        &mut implementation,
        "/components/schemas/Level40/properties/n/format",
        json!("byte"),
    );
    let report = compare(&spec, &implementation).unwrap();
    // Reported once, at the first path that reaches it.
    assert_single(
        &report,
        FindingKind::FormatChanged,
        &format!("GET /thing → 200 → x{}.n", ".left".repeat(40)),
    );
}

#[test]
fn a_schema_of_any_type_takes_null_whether_nullable_or_not() {
    // Twilio's `capabilities: {nullable: true}` and utoipa's `{}` for a `serde_json::Value`.
    let components = json!({});
    check_pairwise(
        &[
            (
                "nullable any",
                "3.0.3",
                json!({"nullable": true, "description": "anything"}),
            ),
            ("any", "3.0.3", json!({})),
        ],
        &components,
    );
    // A type says what `null` is not.
    let spec = with_property(
        "3.0.3",
        json!({"type": "string", "nullable": true}),
        components.clone(),
    );
    let implementation = with_property("3.0.3", json!({"type": "string"}), components);
    assert_single(
        &compare(&spec, &implementation).unwrap(),
        FindingKind::NullableChanged,
        "GET /thing → 200 → x",
    );
}

#[test]
fn mutually_recursive_schemas_terminate() {
    let components = json!({
        "A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}}},
        "B": {"type": "object", "properties": {"a": {"$ref": "#/components/schemas/A"}, "n": {"type": "string"}}}
    });
    let spec = with_property(
        "3.0.3",
        json!({"$ref": "#/components/schemas/A"}),
        components.clone(),
    );
    let mut implementation = spec.clone();
    set(
        &mut implementation,
        "/components/schemas/B/properties/n/format",
        json!("byte"),
    );
    let report = compare(&spec, &implementation).unwrap();
    assert_single(
        &report,
        FindingKind::FormatChanged,
        "GET /thing → 200 → x.b.n",
    );
}

#[test]
fn schemas_recursive_through_one_of_branches_terminate() {
    // An expression tree: matching `Expr`'s branches compares `Negation`, whose `operand` is
    // an `Expr` again.
    let components = json!({
        "Expr": {"oneOf": [
            {"$ref": "#/components/schemas/Literal"},
            {"$ref": "#/components/schemas/Negation"}
        ]},
        "Literal": {"type": "object", "required": ["value"], "properties": {"value": {"type": "integer"}}},
        "Negation": {"type": "object", "required": ["operand"], "properties": {
            "operand": {"$ref": "#/components/schemas/Expr"},
            "label": {"type": "string"}
        }}
    });
    let spec = with_property(
        "3.0.3",
        json!({"$ref": "#/components/schemas/Expr"}),
        components,
    );
    assert!(compare(&spec, &spec).unwrap().findings.is_empty());
    let mut implementation = spec.clone();
    set(
        &mut implementation,
        "/components/schemas/Negation/properties/label/format",
        json!("byte"),
    );
    let report = compare(&spec, &implementation).unwrap();
    assert!(
        report
            .findings
            .iter()
            .any(|finding| finding.kind == FindingKind::FormatChanged),
        "{report:?}"
    );
}

#[test]
fn an_exclusive_integer_bound_is_the_inclusive_one_next_to_it() {
    let forms = [
        (
            "3.0 exclusive",
            "3.0.3",
            json!({"type": "integer", "minimum": 0, "exclusiveMinimum": true, "maximum": 10, "exclusiveMaximum": true}),
        ),
        (
            "inclusive",
            "3.0.3",
            json!({"type": "integer", "minimum": 1, "maximum": 9}),
        ),
        (
            "3.1 exclusive",
            "3.1.0",
            json!({"type": ["integer", "null"], "exclusiveMinimum": 0, "exclusiveMaximum": 10}),
        ),
    ];
    // (The 3.1 form is nullable: compare it with the others made nullable too.)
    check_pairwise(&forms[..2], &json!({}));
    let nullable = |schema: &Value| {
        let mut schema = schema.clone();
        schema["nullable"] = json!(true);
        schema
    };
    let forms = [
        ("inclusive", "3.0.3", nullable(&forms[1].2)),
        (forms[2].0, forms[2].1, forms[2].2.clone()),
    ];
    check_pairwise(&forms, &json!({}));
    // On a number the two differ.
    let spec = with_property(
        "3.0.3",
        json!({"type": "number", "minimum": 0, "exclusiveMinimum": true}),
        json!({}),
    );
    let implementation = with_property("3.0.3", json!({"type": "number", "minimum": 1}), json!({}));
    assert!(!compare(&spec, &implementation).unwrap().findings.is_empty());
}

#[test]
fn utoipa_integer_and_date_time_forms() {
    let forms = [
        (
            "spec",
            "3.0.3",
            json!({"type": "integer", "format": "int64", "minimum": 0, "nullable": true}),
        ),
        (
            "utoipa Option<u64>",
            "3.1.0",
            json!({"type": ["integer", "null"], "format": "int64", "minimum": 0.0}),
        ),
    ];
    check_pairwise(&forms, &json!({}));
}

/// Object keywords on a value that cannot be an object, and array keywords on one that cannot
/// be an array, say nothing (Telnyx's arrays carry `properties: {empty: …}`).
#[test]
fn keywords_of_another_type_say_nothing() {
    let forms = [
        (
            "array",
            "3.0.3",
            json!({"type": "array", "items": {"type": "integer"}}),
        ),
        (
            "array with object keywords",
            "3.0.3",
            json!({
                "type": "array",
                "items": {"type": "integer"},
                "properties": {"empty": {"type": "boolean"}},
                "required": ["empty"],
                "additionalProperties": false,
                "maxLength": 255,
                "format": "uri"
            }),
        ),
    ];
    check_pairwise(&forms, &json!({}));
    let forms = [
        ("object", "3.0.3", json!({"type": "object"})),
        (
            "object with items",
            "3.0.3",
            json!({"type": "object", "items": {"type": "string"}}),
        ),
    ];
    check_pairwise(&forms, &json!({}));
}
