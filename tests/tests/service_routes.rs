//! The routes outside the API: `/healthz`, `/openapi.json`, and the error shape of strays.

use contract_tests::TestApp;
use contract_tests::both_backends;
use reqwest::Method;

#[both_backends]
async fn healthz_answers_200() {
    let app = TestApp::spawn().await;
    let response = app.raw(Method::GET, "/healthz", None).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json(), serde_json::json!({ "status": "ok" }));
}

#[both_backends]
async fn openapi_json_serves_the_checked_in_spec() {
    let app = TestApp::spawn().await;
    let response = app.raw(Method::GET, "/openapi.json", None).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json(), contract_tests::spec());
}

#[both_backends]
async fn unknown_routes_and_wrong_methods_answer_in_the_error_shape() {
    let app = TestApp::spawn().await;
    let missing = app.raw(Method::GET, "/no-such-route", None).await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.json(),
        serde_json::json!({ "success": false, "error": "Not found" })
    );
    let wrong_method = app.raw(Method::DELETE, "/sessions", None).await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(
        wrong_method.json(),
        serde_json::json!({ "success": false, "error": "Method not allowed" })
    );
}
