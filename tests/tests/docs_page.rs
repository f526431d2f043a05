//! `/docs`, the interactive API reference, driven by a real headless Chromium (Debian's
//! `chromium` and `chromium-driver`; `.ci/run` installs them) against the live server: the page
//! loads with nothing from outside 127.0.0.1, lists the nine operations, and after "Authorize"
//! with a bearer token, "Try it out" on `GET /sessions` shows a 200 with the caller's sessions.
//! The test saves a screenshot as `target/docs-page.png`.

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use contract_tests::TestApp;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// How long any one step of the page may take.
const STEP: Duration = Duration::from_secs(30);

/// chromedriver on a free port, killed when dropped.
struct Chromedriver {
    child: Child,
    url: String,
}

impl Chromedriver {
    async fn start() -> Self {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
            "the docs page test drives a real browser: install Debian's `chromium` and \
             `chromium-driver` (.ci/run does)"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        loop {
            let ready = reqwest::get(format!("{url}/status"))
                .await
                .ok()
                .map(|response| response.json::<Value>());
            if let Some(status) = ready
                && status
                    .await
                    .is_ok_and(|status| status["value"]["ready"] == true)
            {
                break;
            }
            assert!(started.elapsed() < STEP, "chromedriver never got ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Self { child, url }
    }

    /// A headless Chromium that can resolve nothing but 127.0.0.1, and does none of its own
    /// background traffic, so a request the page makes elsewhere fails and shows.
    async fn browser(&self) -> Client {
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1280,1600", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run",
                    "--disable-default-apps",
                    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                ],
            },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object")
        };
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("chromedriver opens a browser session")
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn click(browser: &Client, css: &str) {
    browser
        .wait()
        .at_most(STEP)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|err| panic!("no {css} on the page: {err}"))
        .click()
        .await
        .unwrap_or_else(|err| panic!("cannot click {css}: {err}"));
}

/// The text of `css` once `ready` accepts it.
async fn text_when(browser: &Client, css: &str, ready: impl Fn(&str) -> bool) -> String {
    let started = Instant::now();
    loop {
        if let Ok(element) = browser.find(Locator::Css(css)).await
            && let Ok(text) = element.text().await
            && ready(&text)
        {
            return text;
        }
        assert!(
            started.elapsed() < STEP,
            "{css} never showed what was expected"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn screenshot_path() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| contract_tests::workspace_root().join("target"));
    target.join("docs-page.png")
}

#[tokio::test]
async fn the_docs_page_lists_every_operation_and_tries_get_sessions_with_a_bearer_token() {
    let app = TestApp::spawn().await;
    let caller = app.issue("docs-reader", "Laptop").await;
    let other_device = app.issue("docs-reader", "Phone").await;
    let stranger = app.issue("someone-else", "Tablet").await;
    let origin = format!("http://{}", app.server_address);

    let driver = Chromedriver::start().await;
    let browser = driver.browser().await;
    browser
        .goto(&format!("{origin}/docs"))
        .await
        .expect("the page loads");

    // Every operation of the spec is listed, and nothing else.
    browser
        .wait()
        .at_most(STEP)
        .for_element(Locator::Css("#operations-sessions-getSessions"))
        .await
        .expect("Swagger UI renders the spec");
    let listed = browser
        .execute(
            "return [...document.querySelectorAll('.opblock')].map(block => block.id)",
            vec![],
        )
        .await
        .expect("the operations are read");
    let mut listed: Vec<String> = serde_json::from_value::<Vec<String>>(listed)
        .expect("a list of ids")
        .into_iter()
        .map(|id| id.rsplit('-').next().unwrap_or_default().to_owned())
        .collect();
    listed.sort();
    let expected: Vec<String> = contract_tests::operation_ids().into_iter().collect();
    assert_eq!(expected.len(), 9);
    assert_eq!(listed, expected);

    // Authorize with the caller's token.
    click(&browser, ".auth-wrapper .btn.authorize").await;
    browser
        .wait()
        .at_most(STEP)
        .for_element(Locator::Css("#auth-bearer-value"))
        .await
        .expect("the bearer token field")
        .send_keys(&caller.token)
        .await
        .expect("the token is typed");
    click(
        &browser,
        ".modal-ux .auth-btn-wrapper .btn.modal-btn.auth.authorize",
    )
    .await;
    click(&browser, ".modal-ux .btn-done").await;

    // Try it out on GET /sessions: a 200 listing the caller's sessions, and only theirs.
    let operation = "#operations-sessions-getSessions";
    click(&browser, &format!("{operation} .opblock-summary-control")).await;
    click(&browser, &format!("{operation} .try-out__btn")).await;
    click(&browser, &format!("{operation} .btn.execute")).await;
    let status = text_when(
        &browser,
        &format!("{operation} .live-responses-table tbody .response-col_status"),
        |text| !text.trim().is_empty(),
    )
    .await;
    assert_eq!(
        status.lines().next().map(str::trim),
        Some("200"),
        "{status}"
    );
    let body = text_when(
        &browser,
        &format!("{operation} .live-responses-table tbody .response-col_description pre"),
        |text| text.contains("sessions"),
    )
    .await;
    let body: Value = serde_json::from_str(&body).expect("the shown body is JSON");
    let mut shown: Vec<&str> = body["sessions"]
        .as_array()
        .expect("a list of sessions")
        .iter()
        .filter_map(|session| session["id"].as_str())
        .collect();
    shown.sort_unstable();
    let mut own = vec![caller.record.id.as_str(), other_device.record.id.as_str()];
    own.sort_unstable();
    assert_eq!(
        shown, own,
        "the caller's sessions, not {}",
        stranger.record.id
    );

    let png = browser.screenshot().await.expect("a screenshot");
    let path = screenshot_path();
    std::fs::create_dir_all(path.parent().expect("a directory")).expect("target exists");
    std::fs::write(&path, png).expect("the screenshot is written");

    // Everything the page fetched, the try-out included, came from this server.
    let fetched = browser
        .execute(
            "return performance.getEntries().map(entry => entry.name)\
                .filter(name => /^[a-z]+:/.test(name))",
            vec![],
        )
        .await
        .expect("the page's requests are read");
    let fetched: Vec<String> = serde_json::from_value(fetched).expect("a list of URLs");
    assert!(
        fetched.iter().any(|url| url.ends_with("/sessions")),
        "the try-out's request is among them: {fetched:?}"
    );
    let elsewhere: Vec<&String> = fetched
        .iter()
        .filter(|url| !url.starts_with(&format!("{origin}/")))
        .collect();
    assert!(
        elsewhere.is_empty(),
        "requests outside {origin}: {elsewhere:?}"
    );
    browser.close().await.expect("the browser closes");
}
