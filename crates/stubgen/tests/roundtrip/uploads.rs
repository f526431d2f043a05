//! `uploads.yaml`'s generated server, answering real multipart/form-data requests on a socket:
//! a file, several files, and fields of each type read from their parts and checked against
//! their schemas; and a body read as JSON or as a form, as its `Content-Type` says. (Copied into the generated crate as `tests/roundtrip.rs` by `tests/crates.rs`.)

use std::sync::Arc;

use reqwest::multipart::{Form, Part};
use serde_json::json;
use support::{Server, answer};
use uploads::{models::*, operations::*};

mod support;

/// Answers with what it received.
struct Clerk;

impl Api for Clerk {
    async fn upload(&self, body: UploadRequest) -> UploadResponse {
        UploadResponse::Created(Receipt {
            file_name: body.file.file_name,
            content_type: Some(body.file.content_type),
            bytes: body.file.bytes.len() as i64,
            title: body.title,
            pages: Some(body.pages),
            draft: Some(body.draft),
            tags: Some(body.tags),
            kind: body.kind,
            author: body.meta.and_then(|meta| meta.author),
            attachments: body
                .attachments
                .iter()
                .map(|file| file.bytes.len() as i64)
                .collect(),
        })
    }

    async fn add_note(&self, body: Note) -> AddNoteResponse {
        AddNoteResponse::Ok(body)
    }

    async fn add_media(&self, body: AddMediaRequest) -> AddMediaResponse {
        let came = match body {
            AddMediaRequest::Json(link) => format!("a link to {}", link.url),
            AddMediaRequest::Multipart(form) => format!("{} bytes", form.media.bytes.len()),
            AddMediaRequest::TextPlain(text) => format!("a note: {text}"),
        };
        AddMediaResponse::Ok(AddMediaResponse200 { came })
    }

    async fn place_order(&self, body: PlaceOrderRequest) -> PlaceOrderResponse {
        let serde_json::Value::Object(read) = serde_json::to_value(body).unwrap() else {
            unreachable!("a struct serializes to an object")
        };
        PlaceOrderResponse::Ok(PlaceOrderResponse200(read.into_iter().collect()))
    }
}

fn file(bytes: &'static [u8], name: &str) -> Part {
    Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str("application/pdf")
        .unwrap()
}

#[tokio::test]
async fn every_part_reads_as_its_schema_says() {
    let server = Server::start(uploads::router(Arc::new(Clerk))).await;
    let form = Form::new()
        .part("file", file(b"%PDF-1.7 ...", "report.pdf"))
        .text("title", "Q3")
        .text("pages", "12")
        .text("draft", "true")
        .text("tags", "finance")
        .text("tags", "2026")
        .text("kind", "report")
        .text("meta", r#"{"author": "Ann"}"#)
        .part("attachments", file(b"a", "a.pdf"))
        .part("attachments", file(b"bc", "b.pdf"));
    let request = server
        .request(reqwest::Method::POST, "/documents")
        .multipart(form);
    assert_eq!(
        answer(request).await,
        (
            201,
            json!({
                "fileName": "report.pdf", "contentType": "application/pdf", "bytes": 12,
                "title": "Q3", "pages": 12, "draft": true, "tags": ["finance", "2026"],
                "kind": "report", "author": "Ann", "attachments": [1, 2]
            })
        )
    );
}

#[tokio::test]
async fn an_absent_part_with_a_default_reads_as_it() {
    let server = Server::start(uploads::router(Arc::new(Clerk))).await;
    let form = Form::new()
        .part("file", file(b"x", "x.pdf"))
        .text("title", "Q3");
    let request = server
        .request(reqwest::Method::POST, "/documents")
        .multipart(form);
    let (status, body) = answer(request).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!((&body["pages"], &body["draft"]), (&json!(1), &json!(false)));
}

#[tokio::test]
async fn parts_the_schema_refuses_are_400_naming_the_part() {
    let server = Server::start(uploads::router(Arc::new(Clerk))).await;
    let base = || Form::new().part("file", file(b"x", "x.pdf"));
    for (form, named) in [
        (Form::new().text("title", "no file"), "file"),
        (base(), "title"),
        (base().text("title", ""), "/title"),
        (base().text("title", "Q3").text("pages", "0"), "/pages"),
        (base().text("title", "Q3").text("pages", "many"), "pages"),
        (base().text("title", "Q3").text("kind", "memo"), "kind"),
        (
            base()
                .text("title", "Q3")
                .text("tags", "a")
                .text("tags", "b")
                .text("tags", "c")
                .text("tags", "d"),
            "/tags",
        ),
        (base().text("title", "Q3").text("title", "Q4"), "more than once"),
        // `additionalProperties: false`: a part the form does not declare.
        (base().text("title", "Q3").text("subtitle", "x"), "`subtitle` is not a part"),
        // `maxItems` of an array of files.
        (
            base()
                .text("title", "Q3")
                .part("attachments", file(b"a", "a.pdf"))
                .part("attachments", file(b"b", "b.pdf"))
                .part("attachments", file(b"c", "c.pdf")),
            "/attachments",
        ),
        // An object's part holds a JSON object, not an array of its fields; said in JSON's
        // words, not Rust's.
        (base().text("title", "Q3").text("meta", r#"["Ann"]"#), "meta"),
        (base().text("title", "Q3").text("meta", r#""Ann""#), "expected a JSON object"),
        (base().text("title", "Q3").text("meta", r#"{"author": 7}"#), "author: invalid type: integer `7`, expected a string"),
        (base().text("title", "Q3").text("pages", "99999999999"), "integer of 32 bits"),
        // No value the service reads holds a NUL character.
        (base().text("title", "Q\u{0}3"), "NUL"),
        (base().text("title", "Q3").text("meta", r#"{"author": "A\u0000"}"#), "NUL"),
    ] {
        let request = server
            .request(reqwest::Method::POST, "/documents")
            .multipart(form);
        let (status, body) = answer(request).await;
        assert_eq!(status, 400, "{named}: {body}");
        let detail = body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(named), "{named}: {body}");
        for rust in ["struct", "i32", "UploadRequest"] {
            assert!(!detail.contains(rust), "{named}: {body}");
        }
    }
    // Not multipart at all.
    let (status, _) = server.post("/documents", &json!({"title": "Q3"})).await;
    assert_eq!(status, 415);
}

#[tokio::test]
async fn a_body_past_the_limit_is_413() {
    let app = uploads::router(Arc::new(Clerk)).layer(axum::extract::DefaultBodyLimit::max(1024));
    let server = Server::start(app).await;
    let form = Form::new()
        .part("file", Part::bytes(vec![0u8; 4096]).file_name("big.pdf"))
        .text("title", "big");
    let request = server
        .request(reqwest::Method::POST, "/documents")
        .multipart(form);
    assert_eq!(answer(request).await.0, 413);
}

#[tokio::test]
async fn one_body_reads_as_json_or_as_a_form_by_its_content_type() {
    let server = Server::start(uploads::router(Arc::new(Clerk))).await;
    let note = json!({"text": "hello", "pinned": true});
    // An absent `color` reads as its default.
    let read = json!({"text": "hello", "pinned": true, "color": "yellow"});
    assert_eq!(server.post("/notes", &note).await, (200, read.clone()));
    let as_form = server
        .request(reqwest::Method::POST, "/notes")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("text=hello&pinned=true");
    assert_eq!(answer(as_form).await, (200, read));
    // A null one stays null, a value stays itself.
    for color in [json!(null), json!("blue")] {
        let note = json!({"text": "hello", "color": color});
        assert_eq!(server.post("/notes", &note).await, (200, note.clone()));
    }
    // Checked either way.
    let empty = server
        .request(reqwest::Method::POST, "/notes")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("text=");
    assert_eq!(answer(empty).await.0, 400);
    // A form value that is not UTF-8 is refused, not read with its bytes replaced.
    let (status, body) = answer(
        server
            .request(reqwest::Method::POST, "/notes")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("text=%FF"),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["detail"].as_str().unwrap_or_default().contains("`text` is not UTF-8"), "{body}");
    // A JSON member of the wrong type is named, in JSON's words.
    let (status, body) = server.post("/notes", &json!({"text": "hi", "pinned": "yes"})).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["detail"],
        "Invalid request body: pinned: invalid type: string \"yes\", expected a boolean"
    );
    let (status, body) = answer(
        server
            .request(reqwest::Method::POST, "/notes")
            .header("content-type", "text/plain")
            .body("hello"),
    )
    .await;
    assert_eq!(status, 415);
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("application/json") && detail.contains("x-www-form-urlencoded"), "{body}");
}

#[tokio::test]
async fn objects_inside_a_form_are_read_from_brackets() {
    let server = Server::start(uploads::router(Arc::new(Clerk))).await;
    let order = |body: &'static str| {
        server
            .request(reqwest::Method::POST, "/orders")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    };
    assert_eq!(
        answer(order(
            "customer=cus_1&address[city]=Oslo&address[geo][lat]=59.9&items[0][price]=p1\
             &items[1][price]=p2&items[1][quantity]=3&metadata[ref]=a%20b&expand[]=x&expand[]=y"
        ))
        .await,
        (
            200,
            json!({
                "customer": "cus_1",
                "address": {"city": "Oslo", "geo": {"lat": 59.9}},
                "items": [{"price": "p1"}, {"price": "p2", "quantity": 3}],
                "metadata": {"ref": "a b"},
                "expand": ["x", "y"]
            })
        )
    );
    for (body, named) in [
        ("customer=cus_1", "items"),
        ("customer=cus_1&items[0][price]=p&items[0][quantity]=0", "/items/0/quantity"),
        ("customer=cus_1&items[0][price]=p&address[geo][lat]=north", "address"),
        ("customer=cus_1&customer=cus_2&items[0][price]=p", "customer"),
        ("customer=%FF&items[0][price]=p", "not UTF-8"),
    ] {
        let (status, answer) = answer(order(body)).await;
        assert_eq!(status, 400, "{body}: {answer}");
        let detail = answer["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(named), "{body}: {answer}");
        assert!(!detail.contains("f64") && !detail.contains("struct"), "{body}: {answer}");
    }
}

#[tokio::test]
async fn a_body_offered_in_three_media_types_reads_as_each() {
    let server = Server::start(uploads::router(Arc::new(Clerk))).await;
    let post = || server.request(reqwest::Method::POST, "/media");
    let came = |text: &str| (200, json!({ "came": text }));
    assert_eq!(
        answer(post().json(&json!({"url": "https://example.com/a.png"}))).await,
        came("a link to https://example.com/a.png")
    );
    let form = Form::new().part("media", file(b"%PDF", "a.pdf"));
    assert_eq!(answer(post().multipart(form)).await, came("4 bytes"));
    let note = post()
        .header("content-type", "text/plain; charset=utf-8")
        .body("see attached");
    assert_eq!(answer(note).await, came("a note: see attached"));
    // Each is checked as its own schema says.
    assert_eq!(answer(post().json(&json!({"url": ""}))).await.0, 400);
    let empty_form = Form::new().text("other", "x");
    assert_eq!(answer(post().multipart(empty_form)).await.0, 400);
    // Another media type: 415 naming the three.
    let (status, body) = answer(post().header("content-type", "image/png").body("x")).await;
    assert_eq!(status, 415);
    let detail = body["detail"].as_str().unwrap_or_default();
    for media in ["application/json", "multipart/form-data", "text/plain"] {
        assert!(detail.contains(media), "{body}");
    }
}
