//! What an unauthenticated client can make the server log: never a line over 1 KiB, whatever
//! it sends (an unmatched path is cut to 256 bytes and marked cut; a routed request is logged
//! under its route's template), and an unknown route is charged to the client's network like
//! any other unauthenticated request.

use std::{
    io::Write,
    num::NonZeroU32,
    sync::{Arc, Mutex, OnceLock},
};

use contract_tests::{TestApp, both_backends};
use reqwest::Method;
use sessions_server::{rate_limit::RateLimits, service::Policy};

/// Everything the server logged in this test binary, as the JSON-less text format prints it.
static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("the log buffer")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() -> Arc<Mutex<Vec<u8>>> {
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Buffer(buffer.clone());
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter("info")
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing_subscriber::util::SubscriberInitExt::init(subscriber);
        buffer
    })
    .clone()
}

fn logged(buffer: &Mutex<Vec<u8>>) -> String {
    String::from_utf8_lossy(&buffer.lock().expect("the log buffer")).into_owned()
}

#[both_backends]
async fn no_client_sizes_a_log_line_and_unknown_routes_are_charged() {
    let logs = capture_logs();
    let policy = Policy {
        rate_limits: Some(RateLimits {
            per_token_per_minute: NonZeroU32::new(600).expect("non-zero"),
            per_ip_per_minute: NonZeroU32::new(4).expect("non-zero"),
        }),
        ..Policy::default()
    };
    let app = TestApp::spawn_with(policy).await;
    let base = format!("http://{}", app.server_address);
    let http = reqwest::Client::new();
    let marker = format!("{:?}", app.backend).to_lowercase();

    // A path of 60,000 characters, no token: 404, and the log holds 256 bytes of it.
    let long_path = format!("/{marker}{}", "a".repeat(60_000));
    let response = http
        .get(format!("{base}{long_path}"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 404);
    // A routed request is logged under its template, not its path.
    let response = http
        .post(format!(
            "{base}/sessions/{marker}-{}/revoke",
            "b".repeat(5_000)
        ))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 401);
    // A method of the client's own making is cut as well.
    let method = Method::from_bytes("M".repeat(2_000).as_bytes()).expect("a method token");
    let response = http
        .request(method, format!("{base}/{marker}-method"))
        .send()
        .await
        .expect("an answer");
    assert!(
        [404, 405, 429].contains(&response.status().as_u16()),
        "{}",
        response.status()
    );

    // The fourth request of the client network's budget (4 a minute), then the fifth: spent,
    // unknown routes included.
    let fourth = http
        .get(format!("{base}/{marker}-unknown"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(fourth.status(), 404);
    let response = http
        .get(format!("{base}/{marker}-unknown"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 429, "unknown routes are charged");
    assert!(response.headers().contains_key("retry-after"));

    let text = logged(&logs);
    let ours: Vec<&str> = text.lines().filter(|line| line.contains(&marker)).collect();
    assert!(!ours.is_empty(), "the requests were logged:\n{text}");
    for line in text.lines() {
        assert!(
            line.len() <= 1024,
            "a log line of {} bytes: {}…",
            line.len(),
            &line[..200]
        );
    }
    assert!(
        ours.iter()
            .any(|line| line.contains(&format!("cut, {} bytes", long_path.len()))),
        "the long path is marked cut:\n{}",
        ours.join("\n")
    );
    assert!(
        text.lines()
            .any(|line| line.contains("route=\"/sessions/{id}/revoke\"")),
        "the routed request names its template:\n{text}"
    );
}
