use super::*;

/// A minimal valid spec with one operation; `patch` edits its YAML before parsing.
fn spec_with(patch: impl FnOnce(&mut serde_json::Value)) -> OpenAPI {
    let mut document: serde_json::Value = serde_yaml::from_str(
        r##"
openapi: 3.0.3
info: { title: t, version: "1" }
paths:
  /things/{id}:
    get:
      operationId: getThing
      tags: [things]
      security: [{ BearerAuth: [] }]
      parameters:
        - { name: id, in: path, required: true, schema: { type: string } }
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Thing" }
        "404":
          description: missing
          content:
            application/json:
              schema: { $ref: "#/components/schemas/ErrorResponse" }
components:
  securitySchemes:
    BearerAuth: { type: http, scheme: bearer }
  schemas:
    Thing:
      type: object
      required: [id, createdAt, count]
      properties:
        id: { type: string }
        createdAt: { type: string, format: date-time }
        note: { type: string }
        count: { type: integer, format: int64, nullable: true }
    ErrorResponse:
      type: object
      required: [success, error]
      properties:
        success: { type: boolean }
        error: { type: string }
"##,
    )
    .unwrap();
    patch(&mut document);
    serde_json::from_value(document).unwrap()
}

fn unsupported_at(spec: &OpenAPI) -> (String, String) {
    match generate(spec, "Api") {
        Err(GenerateError::Unsupported { pointer, construct }) => (pointer, construct),
        other => panic!("expected an unsupported construct, got {other:?}"),
    }
}

#[test]
fn generates_models_trait_and_router() {
    let stubs = generate(&spec_with(|_| {}), "Api").unwrap();
    let models = stubs.models.to_string();
    assert!(models.contains("pub struct Thing"));
    assert!(models.contains("rename = \"createdAt\""));
    assert!(models.contains("chrono :: DateTime < chrono :: Utc >"));
    let operations = stubs.operations.to_string();
    // A native `async fn` can implement it, and the compiler's suggestion can be pasted.
    assert!(
        operations.contains(
            "fn get_thing (& self , caller : Self :: Caller , id : String ,) -> impl std :: future :: Future < Output = GetThingResponse > + Send ;"
        ),
        "{operations}"
    );
    // One hook authenticates, before anything else of the request is read, and can refuse it
    // even though this spec documents no 401.
    assert!(operations.contains(
        "fn authenticate (& self , request : :: stubgen_runtime :: RequestHead < '_ , Operation > ,)"
    ));
    assert!(operations.contains("pub enum ApiError"), "{operations}");
    let router = stubs.router.to_string();
    let authenticated = router
        .find("api . authenticate (:: stubgen_runtime :: RequestHead :: secured (OPERATION , & parts , SECURITY))")
        .expect("the handler authenticates");
    assert!(authenticated < router.find(":: stubgen_runtime :: PathParams").unwrap());
    // Statically typed: each handler is instantiated for the service and names its own
    // operation; nothing is erased, looked up or unwrapped on the request path.
    assert!(
        router.contains("pub async fn get_thing < T : crate :: operations :: Api >"),
        "{router}"
    );
    assert!(router.contains(
        "const OPERATION : crate :: operations :: Operation = crate :: operations :: Operation :: GetThing ;"
    ));
    for erased in ["dyn ", "Any", "downcast", "expect (", "unwrap (", "panic !"] {
        assert!(
            !router.contains(erased),
            "`{erased}` in the router: {router}"
        );
        assert!(
            !operations.contains(erased),
            "`{erased}` in the operations: {operations}"
        );
    }
    assert!(operations.contains("pub enum GetThingResponse"));
    assert!(operations.contains("NotFound (crate :: models :: ErrorResponse)"));
    let router = stubs.router.to_string();
    assert!(router.contains("path = \"/things/{id}\""));
    assert!(router.contains("operation_id = \"getThing\""));
    assert!(router.contains("security ((\"BearerAuth\" = [])"));
}

#[test]
fn output_is_deterministic() {
    let first = generate(&spec_with(|_| {}), "Api").unwrap();
    let second = generate(&spec_with(|_| {}), "Api").unwrap();
    assert_eq!(first.models.to_string(), second.models.to_string());
    assert_eq!(first.operations.to_string(), second.operations.to_string());
    assert_eq!(first.router.to_string(), second.router.to_string());
}

#[test]
fn optional_and_nullable_properties_keep_their_meaning() {
    let models = generate(&spec_with(|_| {}), "Api")
        .unwrap()
        .models
        .to_string();
    // optional, not nullable: omitted when absent, never null
    assert!(models.contains("skip_serializing_if = \"Option::is_none\""));
    assert!(models.contains("nullable = false"));
    // required and nullable: always sent, may be null
    assert!(models.contains("required = true"));
}

#[test]
fn unsupported_constructs_name_themselves_and_their_pointer() {
    type Case = (&'static str, fn(&mut serde_json::Value));
    let cases: [Case; 7] = [
        // An inline branch without its own tag enum: nothing says which value names it.
        ("/components/schemas/Thing/properties/note/oneOf/0", |doc| {
            doc["components"]["schemas"]["Thing"]["properties"]["note"] = serde_json::json!({
                "oneOf": [{ "type": "string" }, { "type": "integer", "format": "int32" }],
                "discriminator": { "propertyName": "kind" }
            });
        }),
        ("/components/schemas/Thing/properties/note", |doc| {
            doc["components"]["schemas"]["Thing"]["properties"]["note"] =
                serde_json::json!({ "not": { "type": "string" } });
        }),
        ("/paths/~1things~1{id}/get/parameters/1", |doc| {
            doc["paths"]["/things/{id}"]["get"]["parameters"]
                .as_array_mut()
                .unwrap()
                .push(serde_json::json!({ "name": "q", "in": "header", "schema": { "type": "object" } }));
        }),
        ("/paths/~1things~1{id}/get/parameters/1/style", |doc| {
            doc["paths"]["/things/{id}"]["get"]["parameters"]
                .as_array_mut()
                .unwrap()
                .push(serde_json::json!({ "name": "filter", "in": "query", "style": "deepObject", "schema": { "type": "string" } }));
        }),
        ("/paths/~1things~1{id}/get/responses/200/content", |doc| {
            doc["paths"]["/things/{id}"]["get"]["responses"]["200"]["content"] = serde_json::json!({
                "application/xml": { "schema": { "type": "string" } },
                "text/csv": { "schema": { "type": "string" } }
            });
        }),
        ("/components/schemas/Thing/properties/note/pattern", |doc| {
            doc["components"]["schemas"]["Thing"]["properties"]["note"] =
                serde_json::json!({ "type": "string", "pattern": "[unclosed" });
        }),
        (
            "/paths/~1things~1{id}/get/requestBody/content/multipart~1form-data/schema",
            |doc| {
                doc["paths"]["/things/{id}"]["get"]["requestBody"] = serde_json::json!({
                    "content": { "multipart/form-data": { "schema": { "type": "string" } } }
                });
            },
        ),
    ];
    for (expected_pointer, patch) in cases {
        let (pointer, construct) = unsupported_at(&spec_with(patch));
        assert_eq!(pointer, expected_pointer, "{construct}");
        assert!(!construct.is_empty());
    }
}

/// Two variants `A` and `B` of the oneOf `U` with the discriminator `kind`; `patch` edits them.
fn discriminated(patch: impl FnOnce(&mut serde_json::Value)) -> OpenAPI {
    spec_with(|doc| {
        let schemas = &mut doc["components"]["schemas"];
        for (name, value) in [("A", "a"), ("B", "b")] {
            schemas[name] = serde_json::json!({
                "type": "object",
                "required": ["kind"],
                "properties": { "kind": { "type": "string", "enum": [value] } }
            });
        }
        schemas["U"] = serde_json::json!({
            "oneOf": [
                { "$ref": "#/components/schemas/A" },
                { "$ref": "#/components/schemas/B" }
            ],
            "discriminator": { "propertyName": "kind", "mapping": { "a": "A", "b": "B" } }
        });
        patch(doc);
    })
}

/// A document that contradicts itself is refused where it does, never generated into code that
/// rejects every payload.
#[test]
fn discriminator_contradictions_are_refused_with_their_pointer() {
    assert!(generate(&discriminated(|_| {}), "Api").is_ok());
    type Case = (&'static str, fn(&mut serde_json::Value));
    let cases: [Case; 5] = [
        // A mapping value the variant's own enum refuses.
        ("/components/schemas/A/properties/kind/enum", |doc| {
            doc["components"]["schemas"]["U"]["discriminator"]["mapping"] =
                serde_json::json!({ "x": "A", "b": "B" });
        }),
        // A mapping value naming a schema that is not a branch.
        ("/components/schemas/U/discriminator/mapping/c", |doc| {
            doc["components"]["schemas"]["U"]["discriminator"]["mapping"]["c"] =
                serde_json::json!("#/components/schemas/Thing");
        }),
        // One value naming two branches.
        ("/components/schemas/U/discriminator", |doc| {
            doc["components"]["schemas"]["U"]["discriminator"]["mapping"] =
                serde_json::json!({ "a": "A" });
            doc["components"]["schemas"]["B"]["properties"]["kind"]["enum"] =
                serde_json::json!(["b", "A"]);
            doc["components"]["schemas"]["U"]["oneOf"]
                .as_array_mut()
                .unwrap()
                .push(serde_json::json!({ "$ref": "#/components/schemas/A" }));
        }),
        // A branch without the property.
        ("/components/schemas/B", |doc| {
            doc["components"]["schemas"]["B"]["properties"] =
                serde_json::json!({ "sort": { "type": "string" } });
            doc["components"]["schemas"]["B"]["required"] = serde_json::json!([]);
        }),
        // A tag that is no string.
        ("/components/schemas/A/properties/kind", |doc| {
            doc["components"]["schemas"]["A"]["properties"]["kind"] =
                serde_json::json!({ "type": "integer", "format": "int32" });
        }),
    ];
    for (expected_pointer, patch) in cases {
        match generate(&discriminated(patch), "Api") {
            Err(GenerateError::Invalid { pointer, problem }) => {
                assert_eq!(pointer, expected_pointer, "{problem}");
            }
            other => panic!("{expected_pointer}: expected a refusal, got {other:?}"),
        }
    }
}

#[test]
fn string_and_integer_constraints_are_documented_and_validated() {
    let spec = spec_with(|doc| {
        let properties = &mut doc["components"]["schemas"]["Thing"]["properties"];
        properties["note"] = serde_json::json!({
            "type": "string", "minLength": 1, "maxLength": 9, "pattern": "^[a-z]+$"
        });
        properties["count"] = serde_json::json!({
            "type": "integer", "format": "int64", "nullable": true,
            "minimum": 0, "maximum": 10, "exclusiveMaximum": true
        });
    });
    let models = generate(&spec, "Api").unwrap().models.to_string();
    for expected in [
        "min_length = 1usize",
        "max_length = 9usize",
        "pattern = \"^[a-z]+$\"",
        "minimum = 0i64",
        // exclusive integer bounds become the inclusive ones next to them
        "maximum = 9i64",
        ":: stubgen_runtime :: validate :: length (\"/note\" , value , Some (1usize) , Some (9usize))",
        ":: stubgen_runtime :: validate :: range (\"/count\" , i128 :: from (* value) , Some (0i128) , Some (9i128))",
        "impl :: stubgen_runtime :: Validate for Thing",
    ] {
        assert!(models.contains(expected), "{expected} in {models}");
    }
}

#[test]
fn patterns_run_on_regex_or_on_regress_when_they_need_ecma_features() {
    let with = |pattern: &str| {
        let pattern = pattern.to_owned();
        spec_with(move |doc| {
            doc["components"]["schemas"]["Thing"]["properties"]["note"] =
                serde_json::json!({ "type": "string", "pattern": pattern });
        })
    };
    let linear = generate(&with("^[a-z]+$"), "Api")
        .unwrap()
        .models
        .to_string();
    assert!(linear.contains("regex :: Regex :: new"), "{linear}");
    // A look-ahead, as dropshot's documents use: the regex crate cannot take it.
    let ecma = generate(&with("^(?!default$)[a-z]+$"), "Api")
        .unwrap()
        .models
        .to_string();
    assert!(ecma.contains("regress :: Regex :: new"), "{ecma}");
    assert!(
        ecma.contains(":: stubgen_runtime :: validate :: ecma_pattern"),
        "{ecma}"
    );
    let (pointer, construct) = unsupported_at(&with("(unclosed"));
    assert_eq!(pointer, "/components/schemas/Thing/properties/note/pattern");
    assert!(construct.contains("regress"), "{construct}");
}

#[test]
fn query_parameters_become_a_validated_struct_and_arguments() {
    let spec = spec_with(|doc| {
        doc["components"]["parameters"] = serde_json::json!({
            "Limit": { "name": "limit", "in": "query", "schema": {
                "type": "integer", "format": "int32", "minimum": 1, "maximum": 100 } }
        });
        let operation = &mut doc["paths"]["/things/{id}"]["get"];
        let parameters = operation["parameters"].as_array_mut().unwrap();
        parameters.push(serde_json::json!({ "$ref": "#/components/parameters/Limit" }));
        parameters.push(serde_json::json!({
            "name": "sort-by", "in": "query", "required": true,
            "schema": { "type": "string", "maxLength": 10 } }));
        operation["responses"]["400"] = operation["responses"]["404"].clone();
    });
    let stubs = generate(&spec, "Api").unwrap();
    let operations = stubs.operations.to_string();
    for expected in [
        "limit : Option < i32 > , sort_by : String ,",
        "pub struct GetThingQuery",
        "# [serde (rename = \"sort-by\")]",
        ":: stubgen_runtime :: validate :: range (\"limit\"",
        ":: stubgen_runtime :: validate :: length (\"sort-by\"",
        "BadRequest (crate :: models :: ErrorResponse)",
    ] {
        assert!(operations.contains(expected), "{expected} in {operations}");
    }
    let router = stubs.router.to_string();
    assert!(
        router.contains("< :: stubgen_runtime :: QueryParams < crate :: operations :: GetThingQuery > as axum :: extract :: FromRequestParts < () >> :: from_request_parts (& mut parts , & ())"),
        "{router}"
    );
    assert!(
        router.contains("(\"limit\" = Option < i32 > , Query , minimum = 1i64 , maximum = 100i64)"),
        "{router}"
    );

    // The extractor answers 400 for a bad value, so the spec must document it.
    let undocumented = spec_with(|doc| {
        doc["paths"]["/things/{id}"]["get"]["parameters"]
            .as_array_mut()
            .unwrap()
            .push(
                serde_json::json!({ "name": "q", "in": "query", "schema": { "type": "string" } }),
            );
    });
    assert!(matches!(
        generate(&undocumented, "Api"),
        Err(GenerateError::Invalid { problem, .. }) if problem.contains("400")
    ));
}

#[test]
fn all_of_becomes_one_struct_with_flattened_references() {
    let spec = spec_with(|doc| {
        doc["components"]["schemas"]["BigThing"] = serde_json::json!({
            "allOf": [
                { "$ref": "#/components/schemas/Thing" },
                { "type": "object", "required": ["size"],
                  "properties": { "size": { "type": "integer", "format": "int32", "minimum": 0 } } }
            ]
        });
    });
    let models = generate(&spec, "Api").unwrap().models.to_string();
    for expected in [
        "pub struct BigThing { # [serde (flatten)] pub thing : Thing , # [schema (minimum = 0i64)] pub size : i32 , }",
        ":: stubgen_runtime :: Validate :: validate (& self . thing) ?",
    ] {
        assert!(models.contains(expected), "{expected} in {models}");
    }
    let clash = spec_with(|doc| {
        doc["components"]["schemas"]["BigThing"] = serde_json::json!({
            "allOf": [
                { "$ref": "#/components/schemas/Thing" },
                { "type": "object", "properties": { "thing": { "type": "string" } } }
            ]
        });
    });
    // A property named like the flattened branch's field is a field of its own.
    let models = generate(&clash, "Api").unwrap().models.to_string();
    assert!(
        models.contains("pub thing : Thing , # [serde (rename = \"thing\")]")
            && models.contains("pub thing_2 : Option < String >"),
        "{models}"
    );
}

#[test]
fn statuses_the_extractors_answer_must_be_documented() {
    let spec = spec_with(|doc| {
        doc["paths"]["/things/{id}"]["get"]["responses"]
            .as_object_mut()
            .unwrap()
            .remove("404");
    });
    match generate(&spec, "Api") {
        Err(GenerateError::Invalid { pointer, problem }) => {
            assert_eq!(pointer, "/paths/~1things~1{id}/get/responses");
            assert!(problem.contains("404"), "{problem}");
        }
        other => panic!("expected an invalid spec, got {other:?}"),
    }
}

#[test]
fn path_parameters_bind_in_path_order_whatever_the_spec_order() {
    let spec = spec_with(|doc| {
        let operation = doc["paths"]["/things/{id}"]["get"].clone();
        let mut operation = operation;
        operation["operationId"] = "getPart".into();
        operation["parameters"] = serde_json::json!([
            { "name": "part", "in": "path", "required": true, "schema": { "type": "string" } },
            { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }
        ]);
        doc["paths"]["/things/{id}/parts/{part}"] = serde_json::json!({ "get": operation });
    });
    let router = generate(&spec, "Api").unwrap().router.to_string();
    assert!(
        router.contains(":: stubgen_runtime :: PathParams ((path_id , path_part ,))"),
        "{router}"
    );
}

#[test]
fn bodies_are_read_as_what_their_media_type_and_schema_say() {
    let spec = spec_with(|doc| {
        doc["components"]["schemas"]["Color"] =
            serde_json::json!({ "type": "string", "enum": ["RED", "BLUE"] });
        let operation = &mut doc["paths"]["/things/{id}"]["get"];
        // A JSON body need not be an object: only generated object types refuse other shapes.
        operation["requestBody"] = serde_json::json!({
            "required": true,
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Color" } } }
        });
        operation["responses"]["200"]["content"] = serde_json::json!({
            "text/plain": { "schema": { "type": "string" } }
        });
        operation["responses"]["4XX"] = serde_json::json!({
            "description": "a client error",
            "content": { "application/json": {} }
        });
        operation["responses"]["default"] = serde_json::json!({ "description": "anything else" });
    });
    let stubs = generate(&spec, "Api").unwrap();
    let operations = stubs.operations.to_string();
    for expected in [
        "body : crate :: models :: Color ,",
        "Ok (String)",
        "Status4XX { status : axum :: http :: StatusCode , body : serde_json :: Value , }",
        "Default { status : axum :: http :: StatusCode , }",
        "(axum :: http :: header :: CONTENT_TYPE , \"text/plain\")",
    ] {
        assert!(operations.contains(expected), "{expected}");
    }
    let router = stubs.router.to_string();
    assert!(router.contains("status = \"4XX\""), "4XX documented");
    assert!(
        router.contains("status = \"default\""),
        "default documented"
    );
    // What the body extractor refuses goes through the service's `refused` hook, where its
    // shared errors have the status, else through `rejected`.
    assert!(router.contains(
        "< :: stubgen_runtime :: JsonBody < crate :: models :: Color > as axum :: extract :: FromRequest < () >> :: from_request"
    ));
    assert!(router.contains("Err (rejection) => return if crate :: operations :: ApiError :: STATUSES . contains (& rejection . status . as_u16 ()) { axum :: response :: IntoResponse :: into_response (api . refused (OPERATION , rejection)) } else { api . rejected (OPERATION , rejection) }"), "{router}");

    // A multipart body is a form of parts: of an object only.
    let multipart = spec_with(|doc| {
        doc["paths"]["/things/{id}"]["get"]["requestBody"] = serde_json::json!({
            "content": { "multipart/form-data": { "schema": { "type": "array", "items": {} } } }
        });
    });
    let (pointer, construct) = unsupported_at(&multipart);
    assert_eq!(
        pointer,
        "/paths/~1things~1{id}/get/requestBody/content/multipart~1form-data/schema"
    );
    assert!(construct.contains("multipart"), "{construct}");
}

#[test]
fn a_body_in_several_media_types_is_told_apart_by_them_lower_cased() {
    let spec = spec_with(|doc| {
        doc["paths"]["/things/{id}"]["get"]["requestBody"] = serde_json::json!({
            "required": true,
            "content": {
                "Application/JSON; charset=utf-8": { "schema": { "$ref": "#/components/schemas/Thing" } },
                "Text/Plain": { "schema": { "type": "string" } }
            }
        });
        for status in ["400", "413", "415"] {
            doc["paths"]["/things/{id}"]["get"]["responses"][status] =
                serde_json::json!({ "description": "refused" });
        }
    });
    let stubs = generate(&spec, "Api").unwrap();
    let all = format!("{} {} {}", stubs.models, stubs.operations, stubs.router);
    for expected in [
        "sent_in (& request , \"application/json\")",
        "sent_in (& request , \"text/plain\")",
        // Tried most specific first; shown as the document writes them.
        "Text/Plain or Application/JSON; charset=utf-8",
    ] {
        assert!(all.contains(expected), "{expected}: {all}");
    }
}

#[test]
fn an_operation_without_operation_id_is_named_from_its_method_and_path() {
    let spec = spec_with(|doc| {
        doc["paths"]["/things/{id}"]["get"]
            .as_object_mut()
            .unwrap()
            .remove("operationId");
    });
    let operations = generate(&spec, "Api").unwrap().operations.to_string();
    assert!(operations.contains("fn get_things_by_id"), "{operations}");
    assert!(operations.contains("pub enum GetThingsByIdResponse"));
}

/// Operation ids that meet in snake case, or name one of the trait's hooks, are each one method
/// and one set of types; the document's own ids are kept for utoipa.
#[test]
fn operation_ids_that_meet_in_rust_are_told_apart() {
    let spec = spec_with(|doc| {
        let get = doc["paths"]["/things/{id}"]["get"].clone();
        let mut item = serde_json::Map::new();
        for (method, id) in [
            ("get", "get_thing"),
            ("put", "authenticate"),
            ("post", "rejected"),
            ("delete", "method-not-allowed"),
        ] {
            let mut operation = get.clone();
            operation["operationId"] = id.into();
            item.insert(method.to_owned(), operation);
        }
        doc["paths"]["/other/{id}"] = serde_json::Value::Object(item);
    });
    let stubs = generate(&spec, "Api").unwrap();
    let operations = stubs.operations.to_string();
    for method in [
        "get_thing",
        "get_thing_2",
        "authenticate_2",
        "rejected_2",
        "method_not_allowed_2",
    ] {
        assert!(
            operations.contains(&format!("fn {method} (")),
            "{method}: {operations}"
        );
    }
    for response in [
        "GetThingResponse",
        "GetThing2Response",
        "Authenticate2Response",
    ] {
        assert!(
            operations.contains(&format!("pub enum {response}")),
            "{response}"
        );
    }
    let router = stubs.router.to_string();
    assert!(router.contains("operation_id = \"get_thing\""), "{router}");
    assert!(router.contains("operation_id = \"getThing\""), "{router}");
}

/// With `skip_unsupported`, a refused component or operation is left out with everything that
/// refers to it, each listed with why, and the rest is generated.
#[test]
fn skipping_leaves_out_what_is_refused_and_what_refers_to_it() {
    let spec = spec_with(|doc| {
        let schemas = &mut doc["components"]["schemas"];
        schemas["Odd"] = serde_json::json!({ "not": { "type": "string" } });
        schemas["HoldsOdd"] = serde_json::json!({
            "type": "object",
            "properties": { "odd": { "$ref": "#/components/schemas/Odd" } }
        });
        let paths = &mut doc["paths"];
        paths["/odd"] = serde_json::json!({
            "get": {
                "operationId": "getOdd",
                "responses": { "200": { "description": "ok", "content": { "application/json": {
                    "schema": { "$ref": "#/components/schemas/HoldsOdd" } } } } }
            },
            "post": {
                "operationId": "postCookie",
                "parameters": [{ "name": "c", "in": "cookie", "schema": { "type": "object" } }],
                "responses": { "204": { "description": "ok" } }
            },
            "put": {
                "operationId": "putFine",
                "responses": { "204": { "description": "ok" } }
            }
        });
    });
    let requirements = Requirements {
        require_extractor_statuses: true,
        derive_json_schema: false,
        skip_unsupported: false,
    };
    assert!(generate_with(&spec, "Api", requirements).is_err());
    let (stubs, left_out) = generate_with(
        &spec,
        "Api",
        Requirements {
            skip_unsupported: true,
            ..requirements
        },
    )
    .unwrap();
    let mut pointers: Vec<&str> = left_out.iter().map(|item| item.pointer.as_str()).collect();
    pointers.sort();
    assert_eq!(
        pointers,
        [
            "/components/schemas/HoldsOdd",
            "/components/schemas/Odd",
            "/paths/~1odd/get",
            "/paths/~1odd/post",
        ],
        "{left_out:#?}"
    );
    let reason = |pointer: &str| {
        &left_out
            .iter()
            .find(|item| item.pointer == pointer)
            .unwrap()
            .reason
    };
    assert!(reason("/components/schemas/Odd").contains("not"));
    assert!(reason("/paths/~1odd/post").contains("cookie parameter that is an object"));
    assert!(reason("/paths/~1odd/get").contains("HoldsOdd"));
    let operations = stubs.operations.to_string();
    assert!(operations.contains("fn put_fine"), "{operations}");
    assert!(operations.contains("fn get_thing"), "{operations}");
    assert!(!operations.contains("get_odd") && !operations.contains("post_cookie"));
    assert!(!stubs.models.to_string().contains("HoldsOdd"));
}

#[test]
fn a_default_that_is_not_a_value_of_its_schema_is_refused_with_its_pointer() {
    let cases = [
        (
            serde_json::json!({ "type": "integer", "format": "int32", "default": "ten" }),
            "not an integer",
        ),
        (
            serde_json::json!({ "type": "integer", "format": "uint8", "default": 300 }),
            "does not fit",
        ),
        (
            serde_json::json!({ "type": "string", "enum": ["a", "b"], "default": "c" }),
            "enum",
        ),
        (
            serde_json::json!({ "type": "string", "format": "date", "default": "soon" }),
            "format",
        ),
        (
            serde_json::json!({ "type": "array", "items": { "type": "boolean" }, "default": [true, 1] }),
            "not a boolean",
        ),
    ];
    for (schema, why) in cases {
        let spec = spec_with(|doc| {
            doc["components"]["schemas"]["Thing"]["properties"]["note"] = schema.clone();
        });
        match generate(&spec, "Api") {
            Err(GenerateError::Invalid { pointer, problem }) => {
                assert_eq!(pointer, "/components/schemas/Thing/properties/note/default");
                assert!(problem.contains(why), "{schema}: {problem}");
            }
            other => panic!("{schema}: expected a refusal, got {:?}", other.map(|_| ())),
        }
    }
    // A default of its schema is taken.
    let spec = spec_with(|doc| {
        doc["components"]["schemas"]["Thing"]["properties"]["note"] =
            serde_json::json!({ "type": "string", "format": "date", "default": "2026-12-07" });
    });
    assert!(generate(&spec, "Api").is_ok());
}

#[test]
fn a_component_whose_name_a_ref_escapes_is_one_type() {
    let spec = spec_with(|doc| {
        doc["components"]["schemas"]["a/b~c"] =
            serde_json::json!({ "type": "object", "properties": { "x": { "type": "string" } } });
        doc["components"]["schemas"]["Thing"]["properties"]["note"] =
            serde_json::json!({ "$ref": "#/components/schemas/a~1b~0c" });
    });
    let stubs = generate(&spec, "Api").unwrap();
    let models = stubs.models.to_string();
    assert!(models.contains("pub struct ABC"), "{models}");
    assert!(models.contains("pub note : Option < ABC >"), "{models}");
}

/// Two component names that become one Rust type (Telnyx's `error` and `Error`): the later is
/// renamed, and every `$ref` to it follows.
#[test]
fn components_that_meet_in_rust_are_two_types() {
    let spec = spec_with(|doc| {
        // A component whose type the renamed one must not take.
        doc["components"]["schemas"]["Thing2"] = serde_json::json!({ "type": "string" });
        doc["components"]["schemas"]["thing"] =
            serde_json::json!({ "type": "object", "properties": { "x": { "type": "integer" } } });
        doc["components"]["schemas"]["ErrorResponse"]["properties"]["detail"] =
            serde_json::json!({ "$ref": "#/components/schemas/thing" });
        // Two members that meet in Rust are two fields, each under its own name on the wire.
        doc["components"]["schemas"]["thing"]["properties"]["fooBar"] =
            serde_json::json!({ "type": "string" });
        doc["components"]["schemas"]["thing"]["properties"]["foo_bar"] =
            serde_json::json!({ "type": "integer" });
    });
    let models = generate(&spec, "Api").unwrap().models.to_string();
    assert!(models.contains("pub struct Thing {"), "{models}");
    assert!(
        models.contains("pub struct Thing2 (pub String)"),
        "{models}"
    );
    assert!(models.contains("pub struct Thing3 {"), "{models}");
    assert!(
        models.contains("pub detail : Option < Thing3 >"),
        "{models}"
    );
    for (member, field) in [
        ("fooBar", "pub foo_bar : Option < String >"),
        ("foo_bar", "pub foo_bar_2 : Option < i64 >"),
    ] {
        let at = models.find(field).expect("the field");
        let renamed = models[..at].rfind("rename = ").expect("renamed");
        assert!(
            models[renamed..].starts_with(&format!("rename = \"{member}\"")),
            "{models}"
        );
    }
}

/// A member named like a keyword that cannot be raw (`super`, `crate`) keeps its name on the
/// wire: its field is `super_`, renamed back (it was sent as `super_`, and `super` dropped).
#[test]
fn members_named_like_unrawable_keywords_keep_their_name() {
    let spec = spec_with(|doc| {
        doc["components"]["schemas"]["Thing"]["properties"]["super"] =
            serde_json::json!({ "type": "string" });
    });
    let models = generate(&spec, "Api").unwrap().models.to_string();
    let at = models.find("pub super_ :").expect("the field");
    let renamed = models[..at].rfind("rename = ").expect("renamed");
    assert!(
        models[renamed..].starts_with("rename = \"super\""),
        "{models}"
    );
}

/// Path parameters that meet in Rust (`{id}`, `{Id}`) are two bindings and two arguments (the
/// crate did not compile: `PathParams((id, id))`).
#[test]
fn path_parameters_that_meet_in_rust_are_two_values() {
    let spec = spec_with(|doc| {
        let mut get = doc["paths"]["/things/{id}"]["get"].clone();
        get["operationId"] = "getPair".into();
        get["parameters"] = serde_json::json!([
            { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } },
            { "name": "Id", "in": "path", "required": true, "schema": { "type": "integer" } }
        ]);
        doc["paths"]["/pairs/{id}/{Id}"] = serde_json::json!({ "get": get });
    });
    let stubs = generate(&spec, "Api").unwrap();
    let router = stubs.router.to_string();
    assert!(
        router.contains("PathParams ((path_id , path_id_2 ,))"),
        "{router}"
    );
    let operations = stubs.operations.to_string();
    assert!(
        operations.contains("id : String , id_path : i64"),
        "{operations}"
    );
}

/// A `$ref` is a URI fragment holding a JSON pointer: `%20` is a space, `%7B` a `{`, `~1` a `/`.
/// Every spelling of a component's `$ref` is that component's type (`A%20B` was read as a
/// component `A%20B` there is none of, and the crate named a type that did not exist).
#[test]
fn refs_that_escape_a_component_name_are_its_type() {
    let spec = spec_with(|doc| {
        let schemas = &mut doc["components"]["schemas"];
        schemas["A B"] =
            serde_json::json!({ "type": "object", "properties": { "x": { "type": "string" } } });
        schemas["{Braced}"] = serde_json::json!({ "type": "string", "maxLength": 3 });
        schemas["c/d"] = serde_json::json!({ "type": "integer" });
        schemas["Pick"] = serde_json::json!({
            "oneOf": [
                { "$ref": "#/components/schemas/A%20B" },
                { "$ref": "#/components/schemas/%7BBraced%7D" }
            ]
        });
        let properties = &mut schemas["Thing"]["properties"];
        properties["spaced"] = serde_json::json!({ "$ref": "#/components/schemas/A%20B" });
        properties["raw"] = serde_json::json!({ "$ref": "#/components/schemas/A B" });
        properties["braced"] = serde_json::json!({ "$ref": "#/components/schemas/%7BBraced%7D" });
        properties["slashed"] = serde_json::json!({ "$ref": "#/components/schemas/c~1d" });
        properties["escaped"] = serde_json::json!({ "$ref": "#/components/schemas/c%7E1d" });
        properties["pick"] = serde_json::json!({ "$ref": "#/components/schemas/Pick" });
        doc["components"]["parameters"] = serde_json::json!({
            "a/b c": { "name": "q", "in": "query", "schema": { "type": "string" } }
        });
        doc["paths"]["/things/{id}"]["get"]["parameters"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({ "$ref": "#/components/parameters/a~1b%20c" }));
        doc["paths"]["/things/{id}"]["get"]["responses"]["400"] =
            serde_json::json!({ "description": "bad" });
    });
    let stubs = generate(&spec, "Api").unwrap();
    let models = stubs.models.to_string();
    for field in [
        "pub spaced : Option < AB >",
        "pub raw : Option < AB >",
        "pub braced : Option < Braced >",
        "pub slashed : Option < CD >",
        "pub escaped : Option < CD >",
    ] {
        assert!(models.contains(field), "{field}: {models}");
    }
    assert!(models.contains("AB (crate :: models :: AB)"), "{models}");
    let operations = stubs.operations.to_string();
    assert!(operations.contains("q : Option < String >"), "{operations}");
}
