//! `cargo xtask bench`: measures, never asserts. Writes the figures, with a description of the
//! machine, to `docs/benchmarks.md`: the drift check's (measured here), then the HTTP load
//! benchmark's (`crates/sessions-bench`, run as its own release binary so xtask stays light).

use std::{
    fmt::Write as _,
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

/// Where the figures go, relative to the workspace root.
const REPORT: &str = "docs/benchmarks.md";

pub fn run(root: &Path) -> anyhow::Result<()> {
    let mut report = String::new();
    writeln!(report, "# Benchmarks\n")?;
    writeln!(
        report,
        "Written by `cargo xtask bench` on {}. Nothing here is asserted by a test: targets are \
         reported as met or missed.\n",
        chrono_free_date()
    )?;
    writeln!(report, "## Machine\n\n{}\n", machine_description())?;
    writeln!(report, "{}", drift_benchmarks(root)?)?;
    writeln!(report, "{}", codegen_benchmark(root)?)?;
    let write = |report: &str| -> anyhow::Result<()> {
        std::fs::create_dir_all(root.join("docs"))?;
        std::fs::write(root.join(REPORT), report).with_context(|| format!("cannot write {REPORT}"))
    };
    // The drift figures are kept even if the load benchmark fails.
    write(&report)?;
    let load = load_benchmark(root);
    match &load {
        Ok(section) => report.push_str(section),
        Err(err) => writeln!(
            report,
            "## HTTP load: `GET /sessions`\n\nThe load benchmark failed: {err:#}\n"
        )?,
    }
    write(&report)?;
    println!("{report}");
    println!("written to {REPORT}");
    load.map(drop)
}

/// How long `cargo xtask codegen` takes on the largest document of the public corpus (the large
/// public APIs included): parsing and generating in memory, the whole crate as `--out
/// --skip-unsupported` writes it (rustfmt included), and `cargo check` of that crate once its
/// dependencies are built.
fn codegen_benchmark(root: &Path) -> anyhow::Result<String> {
    let corpus = root.join("crates/stubgen/tests/corpus");
    let mut documents = Vec::new();
    for folder in [corpus.clone(), corpus.join("large")] {
        let entries = std::fs::read_dir(&folder)
            .with_context(|| format!("cannot read {}", folder.display()))?;
        documents.extend(entries.filter_map(Result::ok).map(|entry| entry.path()));
    }
    let largest = documents
        .into_iter()
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "json" || extension == "yaml")
        })
        .max_by_key(|path| path.metadata().map(|metadata| metadata.len()).unwrap_or(0))
        .context("no document in crates/stubgen/tests/corpus")?;
    let text = std::fs::read_to_string(&largest)?;
    let spec = stubgen::read_document(&text)?;
    let operations: usize = spec
        .paths
        .paths
        .values()
        .map(|item| match item {
            openapiv3::ReferenceOr::Item(item) => item.iter().count(),
            openapiv3::ReferenceOr::Reference { .. } => 0,
        })
        .sum();
    let generator = stubgen::Generator::new(stubgen::Options {
        format: stubgen::Format::Prettyplease,
        skip_unsupported: true,
        ..stubgen::Options::default()
    });
    let out = root.join("target/generated-crates/bench");
    let check = |timed: &mut Vec<std::time::Duration>| -> anyhow::Result<()> {
        std::fs::copy(root.join("Cargo.lock"), out.join("Cargo.lock"))?;
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let start = Instant::now();
        let status = Command::new(cargo)
            .args(["check", "--quiet", "--manifest-path"])
            .arg(out.join("Cargo.toml"))
            .env(
                "CARGO_TARGET_DIR",
                root.join("target/generated-crates/bench-target"),
            )
            .status()?;
        timed.push(start.elapsed());
        anyhow::ensure!(status.success(), "the generated crate does not build");
        Ok(())
    };
    println!("==> generating and checking {}", largest.display());
    let mut in_memory = Vec::new();
    let mut whole_crate = Vec::new();
    let mut checks = Vec::new();
    let mut left_out = 0;
    let choices = crate::codegen::standalone::Choices {
        api_trait: "Api".to_owned(),
        skip_unsupported: true,
        allow_refs_outside: false,
    };
    // Its dependencies are built once, untimed.
    crate::codegen::standalone::write_crate(root, &largest, &out, &choices)?;
    check(&mut Vec::new())?;
    for _ in 0..3 {
        let start = Instant::now();
        left_out = generator.generate_document_all(&text)?.left_out.len();
        in_memory.push(start.elapsed());
        let start = Instant::now();
        crate::codegen::standalone::write_crate(root, &largest, &out, &choices)?;
        whole_crate.push(start.elapsed());
        check(&mut checks)?;
    }
    let name = largest.strip_prefix(root).unwrap_or(&largest).display();
    Ok(format!(
        "## Code generation\n\n\
         `{name}` ({} KiB, {operations} operations, {left_out} components or operations left \
         out by `--skip-unsupported`), median of 3, debug build of the generator:\n\n\
         | step | time |\n\
         |---|---|\n\
         | parse, generate and lay out (prettyplease) in memory | {:.0} ms |\n\
         | the whole crate as `--out` writes it (rustfmt included) | {:.0} ms |\n\
         | `cargo check` of that crate, its dependencies built | {:.1} s |\n",
        text.len() / 1024,
        median(in_memory).as_secs_f64() * 1000.0,
        median(whole_crate).as_secs_f64() * 1000.0,
        median(checks).as_secs_f64(),
    ))
}

/// Runs `crates/sessions-bench` (release) and returns its Markdown: its progress goes to the
/// terminal, its report to stdout.
fn load_benchmark(root: &Path) -> anyhow::Result<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    println!("==> cargo run --release -p sessions-bench -- run (about 4 minutes on 2 cores)");
    let output = Command::new(&cargo)
        .args([
            "run",
            "--release",
            "--quiet",
            "-p",
            "sessions-bench",
            "--",
            "run",
        ])
        .current_dir(root)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("cannot run cargo run -p sessions-bench")?;
    if !output.status.success() {
        bail!(
            "sessions-bench failed ({}); its output is above",
            output.status
        );
    }
    String::from_utf8(output.stdout).context("sessions-bench printed invalid UTF-8")
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn drift_benchmarks(root: &Path) -> anyhow::Result<String> {
    let mut section =
        String::from("## Drift check\n\n| what | median | runs | target |\n|---|---|---|---|\n");

    let (reference, candidate) = synthetic_pair(1_000);
    let mut samples = Vec::new();
    let mut findings = 0;
    for _ in 0..7 {
        let started = Instant::now();
        let report = openapi_drift::compare(&reference, &candidate)?;
        samples.push(started.elapsed());
        findings = report.findings.len();
    }
    writeln!(
        section,
        "| diff of two synthetic 1,000-operation specs ({findings} findings) | {:.1} ms | 7 | < 1 s |",
        median(samples).as_secs_f64() * 1e3
    )?;

    writeln!(section, "{}", large_document_row(root)?)?;

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let check = || -> anyhow::Result<Duration> {
        let started = Instant::now();
        let status = Command::new(&cargo)
            .args(["xtask", "check"])
            .current_dir(root)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .context("cannot run cargo xtask check")?;
        if !status.success() {
            bail!("cargo xtask check failed; run it alone to see why");
        }
        Ok(started.elapsed())
    };
    check()?; // warm: everything built
    let samples = (0..5)
        .map(|_| check())
        .collect::<anyhow::Result<Vec<_>>>()?;
    writeln!(
        section,
        "| warm `cargo xtask check`, nothing changed (wall) | {:.2} s | 5 | ≤ 2 s |",
        median(samples).as_secs_f64()
    )?;
    Ok(section)
}

/// The large real document of `tests/large-spec/` diffed against itself, read from disk
/// (YAML parsing included), by a release build: the `time_diff` example of openapi-drift.
const LARGE_DOCUMENT: &str = "tests/large-spec/box-platform-api.yaml";

fn large_document_row(root: &Path) -> anyhow::Result<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    println!("==> cargo run --release -p openapi-drift --example time_diff (the large document)");
    let output = Command::new(&cargo)
        .args(["run", "--release", "--quiet", "-p", "openapi-drift"])
        .args([
            "--example",
            "time_diff",
            "--",
            LARGE_DOCUMENT,
            LARGE_DOCUMENT,
            "7",
        ])
        .current_dir(root)
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("cannot run the time_diff example")?;
    if !output.status.success() {
        bail!("the time_diff example failed ({})", output.status);
    }
    // One line per run: load_ms compare_ms total_ms findings.
    let mut runs: Vec<[f64; 3]> = Vec::new();
    for line in String::from_utf8(output.stdout)?.lines() {
        let fields: Vec<f64> = line
            .split_whitespace()
            .take(3)
            .map(str::parse)
            .collect::<Result<_, _>>()
            .with_context(|| format!("unexpected time_diff line {line:?}"))?;
        runs.push([fields[0], fields[1], fields[2]]);
    }
    if runs.is_empty() {
        bail!("time_diff printed no run");
    }
    let median_of = |column: usize| {
        let mut values: Vec<f64> = runs.iter().map(|run| run[column]).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let bytes = std::fs::metadata(root.join(LARGE_DOCUMENT))?.len();
    Ok(format!(
        "| `{LARGE_DOCUMENT}` ({:.1} MB of YAML, 260 operations) against itself, release build: \
         read and parse both, then compare ({:.0} ms + {:.0} ms) | {:.0} ms | {} | ≤ 300 ms |",
        bytes as f64 / 1e6,
        median_of(0),
        median_of(1),
        median_of(2),
        runs.len()
    ))
}

/// A spec with `operations` operations over 50 component schemas, and a copy with a few
/// changes of each severity, so the diff walks everything and reports something.
pub fn synthetic_pair(operations: usize) -> (Value, Value) {
    let component = |index: usize| {
        json!({
            "type": "object",
            "required": ["id", "createdAt"],
            "properties": {
                "id": {"type": "string"},
                "createdAt": {"type": "string", "format": "date-time"},
                "count": {"type": "integer", "format": "int64", "nullable": true},
                "tags": {"type": "array", "items": {"type": "string"}},
                "kind": {"type": "string", "enum": ["A", "B", format!("C{index}")]},
            }
        })
    };
    let mut schemas = serde_json::Map::new();
    for index in 0..50 {
        schemas.insert(format!("Resource{index}"), component(index));
    }
    schemas.insert(
        "Error".to_owned(),
        json!({"type": "object", "required": ["success", "error"],
               "properties": {"success": {"type": "boolean"}, "error": {"type": "string"}}}),
    );
    let mut paths = serde_json::Map::new();
    for index in 0..operations {
        let schema = json!({"$ref": format!("#/components/schemas/Resource{}", index % 50)});
        paths.insert(
            format!("/resources{index}/{{id}}"),
            json!({"get": {
                "operationId": format!("getResource{index}"),
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                               {"name": "limit", "in": "query", "schema": {"type": "integer", "format": "int32"}}],
                "security": [{"BearerAuth": []}],
                "responses": {
                    "200": {"description": "ok", "content": {"application/json": {"schema": schema}}},
                    "404": {"description": "missing", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                }
            }}),
        );
    }
    let reference = json!({
        "openapi": "3.0.3",
        "info": {"title": "synthetic", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"BearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    });
    let mut candidate = reference.clone();
    candidate["paths"]["/resources0/{id}"]["get"]["operationId"] = json!("renamed");
    candidate["components"]["schemas"]["Resource1"]["properties"]["id"]["type"] = json!("integer");
    candidate["components"]["schemas"]["Resource2"]["required"] = json!(["id"]);
    if let Some(paths) = candidate["paths"].as_object_mut() {
        paths.remove("/resources3/{id}");
    }
    (reference, candidate)
}

fn machine_description() -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split(':').nth(1))
                .map(|name| name.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            let kib: u64 = info
                .lines()
                .next()?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some(format!("{:.0} GiB", kib as f64 / 1024.0 / 1024.0))
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let kernel = Command::new("uname")
        .arg("-r")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .unwrap_or_default();
    let virtual_machine = std::fs::read_to_string("/proc/cpuinfo").is_ok_and(|info| {
        info.lines().any(|line| {
            line.starts_with("flags") && line.split_whitespace().any(|flag| flag == "hypervisor")
        })
    });
    let rustc = Command::new("rustc")
        .arg("--version")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .unwrap_or_default();
    format!(
        "{cores} cores ({cpu}), {memory} memory, {}Linux {kernel}, {rustc}. The drift check \
         measures debug builds, the HTTP load release builds.",
        if virtual_machine {
            "a virtual machine, "
        } else {
            ""
        }
    )
}

/// Today's date from `date`, to avoid a date dependency in xtask.
fn chrono_free_date() -> String {
    Command::new("date")
        .arg("+%Y-%m-%d")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .unwrap_or_default()
}
