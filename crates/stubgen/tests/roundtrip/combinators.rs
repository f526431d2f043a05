//! `combinators.yaml`'s generated server, answering real requests on a socket: a discriminated
//! oneOf over components that extend another through allOf, an untagged anyOf, and an allOf in
//! place, and types that hold themselves (boxed where held by value, not through a list).
//! (Copied into the generated crate as `tests/roundtrip.rs` by `tests/crates.rs`.)

use std::sync::Arc;

use combinators::{models::*, operations::*};
use serde_json::json;
use support::Server;

mod support;

/// Answers with the pet it read, a note that says which variant it was, and an owner.
struct Shelter;

impl Api for Shelter {
    async fn add_pet(&self, body: Pet) -> AddPetResponse {
        let note = match &body {
            Pet::Cat(_) => AddPetResponse200Note::String("a cat".to_owned()),
            Pet::Dog(_) => AddPetResponse200Note::Integer(7),
        };
        AddPetResponse::Ok(AddPetResponse200 {
            pet: body,
            note: Some(note),
            owner: Some(AddPetResponse200Owner {
                named: Named {
                    name: "Ann".to_owned(),
                },
                since: chrono::NaiveDate::from_ymd_opt(2020, 1, 2),
            }),
        })
    }

    async fn send_nothing(&self, body: Nothing) -> SendNothingResponse {
        SendNothingResponse::Ok(body)
    }

    async fn evaluate(&self, body: Expression) -> EvaluateResponse {
        let Expression(body) = body;
        if matches!(&body, Expr::Sum(sum) if sum.terms.is_empty()) {
            return EvaluateResponse::UnprocessableEntity(EvaluateResponse422 {
                title: "Nothing to evaluate".to_owned(),
                detail: Some("a sum of no terms".to_owned()),
            });
        }
        fn value_of(expr: &Expr) -> i64 {
            match expr {
                Expr::Literal(literal) => literal.value,
                Expr::Sum(sum) => sum.terms.iter().map(value_of).sum(),
                Expr::Negation(negation) => -value_of(&negation.operand),
            }
        }
        let value = value_of(&body);
        // The steps down to the value, as a list that holds itself: value, then 0.
        let steps = Step {
            value,
            next: Some(Some(Box::new(Step {
                value: 0,
                next: Some(None),
            }))),
        };
        let literals = match &body {
            Expr::Sum(sum) => Some(
                sum.terms
                    .iter()
                    .map(|term| match term {
                        Expr::Literal(literal) => Some(literal.value),
                        _ => None,
                    })
                    .collect(),
            ),
            _ => None,
        };
        EvaluateResponse::Ok(EvaluateResponse200 {
            value,
            expr: body,
            steps: Some(steps),
            literals,
        })
    }
}

#[tokio::test]
async fn each_variant_reads_by_its_tag_and_answers_through_any_of_and_all_of() {
    let server = Server::start(combinators::router(Arc::new(Shelter))).await;
    let owner = json!({"name": "Ann", "since": "2020-01-02"});
    let cat = json!({"petType": "cat", "name": "Tom", "lives": 3});
    assert_eq!(
        server.post("/pets", &cat).await,
        (200, json!({"pet": cat, "note": "a cat", "owner": owner}))
    );
    let dog = json!({"petType": "dog", "name": "Rex", "goodBoy": true});
    assert_eq!(
        server.post("/pets", &dog).await,
        (200, json!({"pet": dog, "note": 7, "owner": owner}))
    );
    // An `allOf` branch that only annotates: `nullable` makes the member nullable (the other
    // one, optional, reads `null` as absent, as every optional member does), a description
    // nothing more.
    let dog = json!({"petType": "dog", "name": "Rex", "friend": null, "keeper": {"name": "Ann"}});
    assert_eq!(
        server.post("/pets", &dog).await,
        (200, json!({"pet": dog, "note": 7, "owner": owner}))
    );
    let dog = json!({"petType": "dog", "name": "Rex", "keeper": "Ann"});
    assert_eq!(server.post("/pets", &dog).await.0, 400);

}

#[tokio::test]
async fn null_and_nothing_else_reads_and_answers() {
    let server = Server::start(combinators::router(Arc::new(Shelter))).await;
    assert_eq!(server.post("/nothing", &json!(null)).await, (200, json!(null)));
    for other in [json!("null"), json!({}), json!(0)] {
        assert_eq!(server.post("/nothing", &other).await.0, 400, "{other}");
    }
}

#[tokio::test]
async fn payloads_the_document_refuses_are_400() {
    let server = Server::start(combinators::router(Arc::new(Shelter))).await;
    for payload in [
        // Past the branch's own maximum.
        json!({"petType": "cat", "name": "Tom", "lives": 10}),
        // The component name is no value: the mapping renames it.
        json!({"petType": "Cat", "name": "Tom"}),
        // `name` comes from the component both extend, and it requires it.
        json!({"petType": "dog", "goodBoy": true}),
        json!({"petType": "dog", "name": "Rex", "goodBoy": "yes"}),
        json!([]),
    ] {
        let (status, body) = server.post("/pets", &payload).await;
        assert_eq!(status, 400, "{payload}: {body}");
        // The document declares no error schema: RFC 9457 problem details.
        assert_eq!(
            (&body["type"], &body["title"], &body["status"]),
            (&json!("about:blank"), &json!("Bad Request"), &json!(400)),
            "{body}"
        );
        assert!(body["detail"].as_str().is_some_and(|detail| !detail.is_empty()));
    }
    let response = server
        .request(reqwest::Method::POST, "/pets")
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    // A method the path lacks: 405 with `Allow`, in problem details too.
    let response = server
        .request(reqwest::Method::DELETE, "/pets")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST,OPTIONS");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!((&body["status"], &body["title"]), (&json!(405), &json!("Method Not Allowed")));
}

#[tokio::test]
async fn types_that_hold_themselves_read_and_answer_at_any_depth() {
    let server = Server::start(combinators::router(Arc::new(Shelter))).await;
    let expr = json!({"terms": [
        {"value": 5},
        {"operand": {"operand": {"operand": {"value": 2}}}},
        {"terms": [{"value": 1}, {"operand": {"terms": []}}]}
    ]});
    assert_eq!(
        server.post("/expressions", &expr).await,
        (
            200,
            json!({
                "value": 4,
                "expr": expr,
                "steps": {"value": 4, "next": {"value": 0, "next": null}},
                "literals": [5, null, null]
            })
        )
    );
    // A response documented in a `+json` media type is sent in it.
    let response = server
        .request(reqwest::Method::POST, "/expressions")
        .json(&json!({"terms": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap(),
        json!({"title": "Nothing to evaluate", "detail": "a sum of no terms"})
    );
    // `additionalProperties: false`: a member a branch does not declare is refused.
    let (status, body) = server
        .post("/expressions", &json!({"value": 1, "unit": "m"}))
        .await;
    assert_eq!(status, 400, "{body}");
    // Deep inside, a member no branch takes is refused.
    let (status, body) = server
        .post("/expressions", &json!({"operand": {"operand": {"value": "2"}}}))
        .await;
    assert_eq!(status, 400, "{body}");
}
