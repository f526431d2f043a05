//! What every round-trip test shares: a generated router served on a real socket, and a client.
//! (Copied into each generated crate as `tests/support/mod.rs` by `tests/crates.rs`.)

// Each test uses what it needs of it.
#![allow(dead_code)]

use serde_json::Value;

pub struct Server {
    base: String,
    client: reqwest::Client,
}

impl Server {
    /// Serves `app` on a free local port until the test ends.
    pub async fn start(app: axum::Router) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            base,
            client: reqwest::Client::new(),
        }
    }

    /// A request to `path` (with its query) on the server.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base))
    }

    /// The status and JSON body (`null` when there is none) of POST `path` with `body`.
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        answer(self.request(reqwest::Method::POST, path).json(body)).await
    }
}

/// Sends `request`: its status and JSON body (`null` when there is none).
pub async fn answer(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|err| panic!("{err}: {text}"))
    };
    (status, body)
}
