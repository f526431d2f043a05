//! A `perf` profile of a server process under load, where `perf` works: which share of the
//! process's samples fell in the kernel, in the binary and in libc, and the hottest symbols.

use std::{path::Path, process::Command, time::Duration};

use anyhow::{Context as _, bail};

/// Sampling frequency, per second and CPU.
const FREQUENCY: &str = "999";

#[derive(Debug, Clone)]
pub struct Profile {
    pub seconds: u64,
    /// Share of samples per shared object (`[kernel.kallsyms]`, the binary, libc ...).
    pub objects: Vec<(f64, String)>,
    /// The hottest symbols by self time.
    pub symbols: Vec<(f64, String)>,
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
        .args(["record", "-F", FREQUENCY, "-p", &pid.to_string(), "-o"])
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
    let objects = report(data, "dso", 0.5)?;
    let symbols = report(data, "symbol", 1.5)?;
    let _ = std::fs::remove_file(data);
    if objects.is_empty() {
        bail!("perf recorded no samples");
    }
    Ok(Profile {
        seconds: duration.as_secs(),
        objects,
        symbols: symbols.into_iter().take(15).collect(),
    })
}

/// `perf report --sort KEY`, as (percent, name) lines at or above `limit` percent.
fn report(data: &Path, key: &str, limit: f64) -> anyhow::Result<Vec<(f64, String)>> {
    let output = Command::new("perf")
        .args(["report", "-i"])
        .arg(data)
        .args(["--stdio", "--no-children", "--sort", key])
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
        // Some perf versions append placeholder columns ("-  -") after the name.
        let name: Vec<&str> = words.take_while(|word| *word != "-").collect();
        if percent >= limit && !name.is_empty() {
            lines.push((percent, name.join(" ")));
        }
    }
    Ok(lines)
}
