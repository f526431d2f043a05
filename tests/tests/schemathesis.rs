//! schemathesis against the live server, on both backends: every check, at least 100 examples
//! per operation, 0 failures. `cargo xtask ci` installs the pinned schemathesis into
//! `target/schemathesis-venv`; without it this test is skipped, loudly.
//!
//! The run is seeded: CI always uses [`CI_SEED`], so a green CI stays green.
//! `cargo xtask fuzz [--seed S] [--examples N]` runs this same test with a random (or given)
//! seed and more examples, through `SESSIONS_FUZZ_SEED` and `SESSIONS_FUZZ_EXAMPLES`.

use std::{path::PathBuf, process::Stdio};

use axum::{Router, extract::State, routing::get};
use chrono::Duration;
use contract_tests::{SessionOptions, TestApp, both_backends, workspace_root};
use sessions_server::service::Policy;

/// The schemathesis executable `cargo xtask ci` installs.
fn schemathesis() -> Option<PathBuf> {
    let path = workspace_root().join("target/schemathesis-venv/bin/schemathesis");
    path.is_file().then_some(path)
}

/// Mints a token of a fresh session on the app's database for every call: the auth hook
/// fetches one per test case.
async fn mint(State(app): State<std::sync::Arc<TestApp>>) -> String {
    let options = SessionOptions {
        // The spec's example fingerprint, so `POST /devices/trust` examples find a device.
        fingerprint: Some("3f9a0c0e7b".to_owned()),
        lifetime: Duration::days(1),
        ..SessionOptions::default()
    };
    app.issue_with("fuzz", "Fuzzer", options).await.token
}

#[both_backends(multi_thread)]
async fn schemathesis_finds_no_failure() {
    let Some(schemathesis) = schemathesis() else {
        eprintln!(
            "\n*** SKIPPED: schemathesis is not installed in target/schemathesis-venv; \
             `cargo xtask ci` installs it ***\n"
        );
        return;
    };
    // Rate limiting would only slow the run into 429s; it has its own tests.
    let app = std::sync::Arc::new(
        TestApp::spawn_with(Policy {
            rate_limits: None,
            ..Policy::default()
        })
        .await,
    );
    let mint_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mint_url = format!("http://{}/mint", mint_listener.local_addr().unwrap());
    let minter = Router::new()
        .route("/mint", get(mint))
        .with_state(app.clone());
    tokio::spawn(async move { axum::serve(mint_listener, minter).await });

    let base_url = format!("http://{}", app.server_address);
    let fuzz = FuzzSettings::from_env();
    println!(
        "schemathesis seed {} with {} examples per operation",
        fuzz.seed, fuzz.examples
    );
    let mut examples = run_schemathesis(&schemathesis, &base_url, &mint_url, &fuzz, &[]).await;
    // Fuzzing an operation fed with ids from other responses (DELETE /devices/{id}) can run out
    // of distinct examples early; fuzz each such operation alone to reach 100.
    let short: Vec<String> = examples
        .iter()
        .filter(|(_, count)| **count < MIN_EXAMPLES)
        .map(|(operation, _)| operation.clone())
        .collect();
    for operation in short {
        let alone = run_schemathesis(
            &schemathesis,
            &base_url,
            &mint_url,
            &fuzz,
            &["--phases", "fuzzing", "--include-name", &operation],
        )
        .await;
        for (operation, count) in alone {
            *examples.entry(operation).or_default() += count;
        }
    }
    assert_eq!(
        examples.len(),
        contract_tests::operation_ids().len(),
        "every operation was exercised: {examples:?}"
    );
    for (operation, count) in &examples {
        assert!(*count >= MIN_EXAMPLES, "{operation}: only {count} examples");
    }
}

const MIN_EXAMPLES: usize = 100;

/// The seed of CI's run. Change it only together with a green run on it.
const CI_SEED: u128 = 10365515020471136926412382056660914524;

/// What `cargo xtask fuzz` may change: the seed and the examples per operation.
#[derive(Debug, Clone, Copy)]
struct FuzzSettings {
    seed: u128,
    examples: usize,
}

impl FuzzSettings {
    fn from_env() -> Self {
        Self {
            seed: env_number("SESSIONS_FUZZ_SEED").unwrap_or(CI_SEED),
            examples: env_number("SESSIONS_FUZZ_EXAMPLES")
                .unwrap_or(MIN_EXAMPLES)
                .max(MIN_EXAMPLES),
        }
    }
}

/// A number from the environment; panics, naming it, when it is not one.
fn env_number<T: std::str::FromStr>(name: &str) -> Option<T> {
    let value = std::env::var(name).ok()?;
    Some(
        value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} is not a number")),
    )
}

/// Runs schemathesis with every check and returns how many examples it generated per operation
/// (outside the stateful phase, whose scenarios span operations). Fails the test on any failure.
async fn run_schemathesis(
    schemathesis: &std::path::Path,
    base_url: &str,
    mint_url: &str,
    fuzz: &FuzzSettings,
    extra: &[&str],
) -> std::collections::BTreeMap<String, usize> {
    let root = workspace_root();
    let report_dir = tempfile::tempdir().unwrap();
    let output = tokio::process::Command::new(schemathesis)
        .arg("--config-file")
        .arg(root.join("tests/schemathesis/schemathesis.toml"))
        .arg("run")
        .arg(root.join("openapi/sessions.yaml"))
        .args(["--url", base_url])
        .args(["--checks", "all"])
        .args(["--max-examples", &fuzz.examples.to_string()])
        .args(["--seed", &fuzz.seed.to_string()])
        .args(["--report", "ndjson", "--report-dir"])
        .arg(report_dir.path())
        .arg("--no-color")
        .args(extra)
        .env("SCHEMATHESIS_HOOKS", "hooks")
        .env("PYTHONPATH", root.join("tests/schemathesis"))
        .env("SESSIONS_TOKEN_MINT_URL", mint_url)
        .stdin(Stdio::null())
        .output()
        .await
        .expect("schemathesis runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis {extra:?} failed with seed {seed}:\n{stdout}\n{}\n\
         Each failure above ends with its `st replay <id>` line (crash files under \
         tests/.schemathesis/). Run the same fuzzing again with:\n    \
         cargo xtask fuzz --seed {seed} --examples {examples}",
        String::from_utf8_lossy(&output.stderr),
        seed = fuzz.seed,
        examples = fuzz.examples,
    );
    println!("{stdout}");

    let report = std::fs::read_dir(report_dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| {
            path.extension()
                .is_some_and(|extension| extension == "ndjson")
        })
        .expect("an ndjson report");
    let mut examples = std::collections::BTreeMap::new();
    for line in std::fs::read_to_string(report).unwrap().lines() {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        let Some(scenario) = event.get("ScenarioFinished") else {
            continue;
        };
        if scenario["phase"] == "stateful" {
            continue;
        }
        let (Some(label), Some(cases)) = (
            scenario["recorder"]["label"].as_str(),
            scenario["recorder"]["cases"].as_object(),
        ) else {
            continue;
        };
        *examples.entry(label.to_owned()).or_default() += cases.len();
    }
    examples
}
