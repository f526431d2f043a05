//! `split.yaml`'s generated server, answering real requests on a socket: a document split over
//! files (a path item, components and schemas of sibling files, files that hold each other)
//! serves as one, and reads objects as objects at any depth. (Copied into the generated crate
//! as `tests/roundtrip.rs` by `tests/crates.rs`.)

use std::sync::Arc;

use reqwest::Method;
use serde_json::json;
use split::{models::*, operations::*};
use support::{Server, answer};

mod support;

/// Holds one book, and answers with what it is sent.
struct Library;

fn the_book() -> Book {
    Book {
        title: "Dune".to_owned(),
        author: Author {
            name: "Frank Herbert".to_owned(),
            books: None,
        },
        sequel: Some(Box::new(Book {
            title: "Dune Messiah".to_owned(),
            author: Author {
                name: "Frank Herbert".to_owned(),
                books: None,
            },
            sequel: None,
        })),
    }
}

impl Api for Library {
    fn refused(&self, _operation: Operation, rejection: stubgen_runtime::BodyRejection) -> ApiError {
        ApiError::BadRequest(Error {
            message: rejection.message,
        })
    }

    async fn list_books(&self, limit: i32) -> ListBooksResponse {
        ListBooksResponse::Ok(ListBooksResponse200(
            std::iter::repeat_n(the_book(), limit.min(2) as usize).collect(),
        ))
    }

    async fn add_book(&self, body: Book) -> AddBookResponse {
        AddBookResponse::Created(body)
    }

    async fn get_book(&self, book_id: i64) -> GetBookResponse {
        match book_id {
            1 => GetBookResponse::Ok(the_book()),
            _ => GetBookResponse::Error(ApiError::NotFound(Error2 {
                code: "no-such-book".to_owned(),
            })),
        }
    }
}

#[tokio::test]
async fn a_document_split_over_files_serves_as_one() {
    let server = Server::start(split::router(Arc::new(Library))).await;
    let get = |path: &str| server.request(Method::GET, path);
    let (status, book) = answer(get("/books/1")).await;
    assert_eq!(status, 200);
    assert_eq!(book["sequel"]["title"], "Dune Messiah");
    // A parameter of another file, with its default and bounds.
    let (status, books) = answer(get("/books")).await;
    assert_eq!((status, books.as_array().map(Vec::len)), (200, Some(2)));
    assert_eq!(answer(get("/books?limit=1")).await.1.as_array().map(Vec::len), Some(1));
    assert_eq!(answer(get("/books?limit=51")).await.0, 400);
    // A response of another file, in that file's `Error` (the document's own is `message`).
    assert_eq!(answer(get("/books/2")).await, (404, json!({"code": "no-such-book"})));
    // A path parameter's bounds, from a place of its own in another file: no such resource.
    assert_eq!(answer(get("/books/0")).await.0, 404);
    // A request body whose schema is a file that holds itself and a file that holds it.
    let book = json!({
        "title": "Dune",
        "author": {"name": "Frank Herbert", "books": [{"title": "Dune", "author": {"name": "F"}}]},
        "sequel": {"title": "Dune Messiah", "author": {"name": "Frank Herbert"}}
    });
    assert_eq!(server.post("/books", &book).await, (201, book));
}

#[tokio::test]
async fn objects_are_objects_at_any_depth() {
    let server = Server::start(split::router(Arc::new(Library))).await;
    for (book, named) in [
        (json!(["Dune", {"name": "Frank Herbert"}]), "expected a JSON object"),
        (json!({"title": "Dune", "author": ["Frank Herbert"]}), "author: invalid type: array"),
        (
            json!({"title": "Dune", "author": {"name": "F"}, "sequel": ["Dune Messiah", {"name": "F"}]}),
            "sequel: invalid type: array",
        ),
        (
            json!({"title": "Dune", "author": {"name": "F", "books": [["Dune", {"name": "F"}]]}}),
            "author.books[0]: invalid type: array",
        ),
    ] {
        let (status, body) = server.post("/books", &book).await;
        assert_eq!(status, 400, "{book}: {body}");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(message.contains(named), "{book}: {body}");
        assert!(!message.contains("struct"), "{book}: {body}");
    }
}
