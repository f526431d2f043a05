//! `combinators.yaml`'s generated server, answering real requests on a socket: a discriminated
//! oneOf over components that extend another through allOf, an untagged anyOf, and an allOf in
//! place. (Copied into the generated crate as `tests/roundtrip.rs` by `tests/crates.rs`.)

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
    }
}
