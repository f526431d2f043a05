//! A `perf` profile of a server process under load, where `perf` works: which share of the
//! process's samples fell in the kernel, in the binary and in libc, the hottest symbols, and
//! (from the call graphs) the share of each stage of a request, callees included.

use std::{path::Path, process::Command, time::Duration};

use anyhow::{Context as _, bail};

/// Sampling frequency, per second and CPU: call graphs are 16 KiB of stack per sample.
const FREQUENCY: &str = "499";

/// The stages of a request, each found by the functions it runs in (callees included): a
/// symbol containing any of the texts. The share of a stage is the largest of its symbols'.
const STAGES: [(&str, &[&str]); 7] = [
    ("authentication: the token lookup", &["Store>::token_owner"]),
    (
        "the listing: the caller's sessions",
        &["Store>::active_sessions_page"],
    ),
    (
        "the JSON body",
        &[
            "<axum::json::Json<T> as axum_core::response::into_response::IntoResponse>::into_response",
        ],
    ),
    (
        "the log line",
        &["as tracing_core::subscriber::Subscriber>::event"],
    ),
    (
        "the rate limiter",
        &["RateLimiter::charge_ip", "RateLimiter::check_session"],
    ),
    ("socket writes (`writev`)", &["__GI___writev", "__writev"]),
    ("socket reads (`recv`)", &["__libc_recv"]),
];

#[derive(Debug, Clone)]
pub struct Profile {
    pub seconds: u64,
    /// Share of samples per shared object (`[kernel.kallsyms]`, the binary, libc ...).
    pub objects: Vec<(f64, String)>,
    /// The hottest symbols by self time.
    pub symbols: Vec<(f64, String)>,
    /// The share of each of [`STAGES`], callees included, in their order.
    pub stages: Vec<(f64, &'static str)>,
}

/// Whether `perf` runs at all.
pub fn available() -> bool {
    Command::new("perf")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
}

/// Samples `pid` for `duration` (blocking) and summarizes the samples.
pub fn record(pid: u32, duration: Duration, data: &Path) -> anyhow::Result<Profile> {
    let output = Command::new("perf")
        .args(["record", "-F", FREQUENCY, "--call-graph", "dwarf,16384"])
        .args(["-p", &pid.to_string(), "-o"])
        .arg(data)
        .args(["--", "sleep", &duration.as_secs().to_string()])
        .output()
        .context("cannot run perf record")?;
    if !output.status.success() {
        bail!(
            "perf record failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let objects = report(data, "dso", 0.5, false)?;
    let symbols = report(data, "symbol", 1.5, false)?;
    let inclusive = report(data, "symbol", 0.1, true)?;
    let stages = STAGES
        .iter()
        .map(|(stage, texts)| {
            let share = inclusive
                .iter()
                .filter(|(_, name)| texts.iter().any(|text| name.contains(text)))
                .map(|(percent, _)| *percent)
                .fold(0.0, f64::max);
            (share, *stage)
        })
        .collect();
    let _ = std::fs::remove_file(data);
    if objects.is_empty() {
        bail!("perf recorded no samples");
    }
    Ok(Profile {
        seconds: duration.as_secs(),
        objects,
        symbols: symbols.into_iter().take(10).collect(),
        stages,
    })
}

/// `perf report --sort KEY`, as (percent, name) lines at or above `limit` percent: self time,
/// or with `children` the time in the symbol and everything it called.
fn report(
    data: &Path,
    key: &str,
    limit: f64,
    children: bool,
) -> anyhow::Result<Vec<(f64, String)>> {
    let output = Command::new("perf")
        .args(["report", "-i"])
        .arg(data)
        .args(["--stdio", "-g", "none", "--sort", key])
        .arg(if children {
            "--children"
        } else {
            "--no-children"
        })
        .output()
        .context("cannot run perf report")?;
    if !output.status.success() {
        bail!(
            "perf report failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut lines = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        let Some(percent) = words
            .next()
            .and_then(|word| word.strip_suffix('%'))
            .and_then(|number| number.parse::<f64>().ok())
        else {
            continue;
        };
        if children {
            // The self share follows the inclusive one.
            words.next();
        }
        // Some perf versions append placeholder columns ("-  -") after the name.
        let name: Vec<&str> = words.take_while(|word| *word != "-").collect();
        if percent >= limit && !name.is_empty() {
            lines.push((percent, name.join(" ")));
        }
    }
    Ok(lines)
}
