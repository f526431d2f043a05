//! `parameters.yaml`'s generated server, answering real requests on a socket: parameters in the
//! path, the query, headers and cookies, in every serialization style a server reads, checked
//! against their schemas. (Copied into the generated crate as `tests/roundtrip.rs` by
//! `tests/crates.rs`.)

use std::sync::Arc;

use parameters::{models::*, operations::*};
use reqwest::Method;
use serde_json::{Value, json};
use stubgen_runtime::BodyRejection;
use support::{Server, answer};

mod support;

/// Answers with what it read.
struct Echo;

impl Api for Echo {
    fn refused(&self, _operation: Operation, rejection: BodyRejection) -> ApiError {
        ApiError::BadRequest(Problem {
            success: false,
            error: rejection.message,
        })
    }

    /// A path that names nothing, in the document's own error shape.
    fn rejected(&self, _operation: Operation, rejection: BodyRejection) -> axum::response::Response {
        let problem = Problem {
            success: false,
            error: rejection.message,
        };
        axum::response::IntoResponse::into_response((rejection.status, axum::Json(problem)))
    }

    #[allow(clippy::too_many_arguments)]
    async fn get_part(
        &self,
        item_id: String,
        part_id: i64,
        _limit: Option<i32>,
        sort_by: String,
        _after: Option<i64>,
        _x_budget: Option<i32>,
        _tenant: GetPartTenant,
    ) -> GetPartResponse {
        GetPartResponse::Ok(Part {
            id: part_id,
            name: format!("{item_id} by {sort_by}"),
        })
    }

    async fn get_item(&self, item_id: String, verbose: Option<String>) -> GetItemResponse {
        GetItemResponse::Ok(GetItemResponse200(vec![Part {
            id: 0,
            name: format!("{item_id} {verbose:?}"),
        }]))
    }

    async fn delete_item(&self, _item_id: String, _verbose: Option<bool>) -> DeleteItemResponse {
        DeleteItemResponse::NoContent
    }

    #[allow(clippy::too_many_arguments)]
    async fn search(
        &self,
        ids: Option<Vec<i32>>,
        words: Option<Vec<String>>,
        codes: Option<Vec<SearchCodesItem>>,
        filter: Option<SearchFilter>,
        created: Option<SearchCreated>,
        expand: Option<Vec<String>>,
        range: Option<Range>,
        point: Option<SearchPoint>,
        q: Option<String>,
        path: Option<String>,
        since: Option<chrono::NaiveDate>,
        since_2: Option<chrono::NaiveDate>,
        since_3: Option<chrono::NaiveDate>,
        order: Order,
        x_ids: Option<Vec<i64>>,
        session: String,
        prefs: Option<Vec<String>>,
    ) -> SearchResponse {
        let seen = json!({
            "ids": ids, "words": words, "codes": codes, "filter": filter, "created": created, "expand": expand, "range": range,
            "point": point, "q": q, "path": path, "x_ids": x_ids, "session": session,
            "prefs": prefs, "since": [since, since_2, since_3], "order": order,
        });
        SearchResponse::Ok(SearchResponse200 {
            seen: seen.to_string(),
        })
    }
}

/// What `/search` read from `query` with `request`'s headers, or its status and body.
async fn search(server: &Server, query: &str, cookie: &str) -> Result<Value, (u16, Value)> {
    let request = server
        .request(Method::GET, &format!("/search?{query}"))
        .header("Cookie", cookie);
    search_with(request).await
}

async fn search_with(request: reqwest::RequestBuilder) -> Result<Value, (u16, Value)> {
    match answer(request).await {
        (200, body) => Ok(serde_json::from_str(body["seen"].as_str().unwrap()).unwrap()),
        refused => Err(refused),
    }
}

#[tokio::test]
async fn every_style_reads_into_its_typed_value() {
    let server = Server::start(parameters::router(Arc::new(Echo))).await;
    let seen = search(
        &server,
        "ids=1,2,3&words=big%20red+dog&codes=a|c&filter[name]=ann&filter[minAge]=3\
         &expand[]=x&expand[]=y\
         &from=1&to=9&point=x,1.5,y,-2&q=&path=/a/b?c\
         &Since=2026-01-02&Since%3C=2026-03-04&Since>=2026-05-06",
        "theme=dark; session=abc; prefs=x,y",
    )
    .await
    .unwrap();
    assert_eq!(
        seen,
        json!({
            "ids": [1, 2, 3], "words": ["big", "red", "dog"], "codes": ["a", "c"],
            "filter": {"name": "ann", "minAge": 3}, "created": null, "expand": ["x", "y"], "range": {"from": 1, "to": 9},
            "point": {"x": 1.5, "y": -2.0}, "q": "", "path": "/a/b?c", "x_ids": null,
            "session": "abc", "prefs": ["x", "y"],
            "since": ["2026-01-02", "2026-03-04", "2026-05-06"], "order": "desc",
        })
    );
    assert_eq!(search(&server, "order=asc", "session=abc").await.unwrap()["order"], "asc");
    // An object or a value (Stripe's `created`), read as it was sent.
    for (query, created) in [
        ("created[gt]=1&created[lte]=9", json!({"gt": 1, "lte": 9})),
        ("created=17", json!(17)),
        ("created=now", json!("now")),
        // Text that spells a number stays text where the schema says text.
        ("created[gt]=1&created[tz]=123", json!({"gt": 1, "tz": "123"})),
    ] {
        let seen = search(&server, query, "session=abc").await.unwrap();
        assert_eq!(seen["created"], created, "{query}");
    }
    // One item is a list of one; absent optional parameters are absent.
    let seen = search(&server, "ids=7", "session=abc").await.unwrap();
    assert_eq!(seen["created"], Value::Null);
    assert_eq!(seen["ids"], json!([7]));
    assert_eq!(seen["filter"], Value::Null);
    assert_eq!(seen["range"], Value::Null);
    // A header list, in the simple style.
    let seen = search_with(
        server
            .request(Method::GET, "/search")
            .header("Cookie", "session=abc")
            .header("X-Ids", "5,6"),
    )
    .await
    .unwrap();
    assert_eq!(seen["x_ids"], json!([5, 6]));
}

#[tokio::test]
async fn a_value_its_schema_refuses_is_400_naming_the_parameter() {
    let server = Server::start(parameters::router(Arc::new(Echo))).await;
    for (query, cookie, named) in [
        ("ids=1,x", "session=abc", "ids"),
        ("codes=a|d", "session=abc", "codes"),
        // `name` is required in the filter; `minAge` has a minimum.
        ("filter[minAge]=3", "session=abc", "filter"),
        ("filter[name]=ann&filter[minAge]=-1", "session=abc", "filter"),
        ("point=x,1,y", "session=abc", "point"),
        ("from=soon", "session=abc", "range"),
        // No branch of `created` takes these; a branch's own constraints still apply.
        ("created=later", "session=abc", "created"),
        ("created[gt]=soon", "session=abc", "created"),
        ("created=-1", "session=abc", "created"),
        ("created[lte]=101", "session=abc", "created"),
        ("created=1&created[gt]=2", "session=abc", "created"),
        // An object inside the object is refused, not dropped.
        ("created[gt][x]=1", "session=abc", "created"),
        // No empty value, unless the parameter allows one.
        ("path=", "session=abc", "path"),
        // The cookie is required, and at least 3 long.
        ("", "theme=dark", "session"),
        ("", "session=ab", "session"),
    ] {
        let (status, body) = search(&server, query, cookie).await.unwrap_err();
        assert_eq!(status, 400, "{query} {cookie}: {body}");
        let error = body["error"].as_str().unwrap();
        assert!(error.contains(named), "{query} {cookie}: {error}");
    }
}

#[tokio::test]
async fn a_path_parameter_its_schema_refuses_names_no_resource() {
    let server = Server::start(parameters::router(Arc::new(Echo))).await;
    let get = |path: &str| {
        server
            .request(Method::GET, path)
            .header("Tenant", "eu")
    };
    let (status, body) = answer(get("/items/i1/parts/2?sort-by=name")).await;
    assert_eq!((status, &body["name"]), (200, &json!("i1 by name")));
    // `partId` has a minimum of 1.
    // Both through the service's `rejected` hook, in the shape it chose.
    let not_found = json!({"success": false, "error": "Not found"});
    assert_eq!(
        answer(get("/items/i1/parts/0?sort-by=name")).await,
        (404, not_found.clone())
    );
    assert_eq!(
        answer(get("/items/i1/parts/x?sort-by=name")).await,
        (404, not_found)
    );
}
