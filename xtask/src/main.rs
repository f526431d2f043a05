//! Project automation: `cargo xtask codegen [--check]`, `check`, `release`, `diff`, `bench`,
//! `fuzz` and `ci`.
//!
//! Kept light on purpose: it never links the server, so a broken stub never blocks regenerating it.

mod bench;
mod check;
mod codegen;
mod compat;
mod diff;
mod release;

use std::{
    path::{Path, PathBuf},
    process::{Command, ExitCode},
};

use anyhow::Context as _;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(about = "Automation for the sessions workspace")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Regenerate the server stubs from openapi/sessions.yaml, or, with --spec and --out, write a
    /// standalone stub crate for any OpenAPI 3.0 document.
    Codegen {
        /// Write nothing; fail with a diff when a generated file is stale.
        #[arg(long, conflicts_with_all = ["spec", "out"])]
        check: bool,
        /// An OpenAPI 3.0 document (JSON or YAML) to generate a standalone crate from.
        #[arg(long, requires = "out", value_name = "FILE")]
        spec: Option<PathBuf>,
        /// Where to write that crate (`Cargo.toml` and `src/`).
        #[arg(long, requires = "spec", value_name = "DIR")]
        out: Option<PathBuf>,
        /// The trait the crate's service implements.
        #[arg(long = "trait", requires = "spec", value_name = "NAME", default_value = codegen::standalone::DEFAULT_TRAIT)]
        api_trait: String,
        /// Leave out each component or operation the generator refuses (and what refers to
        /// it) instead of refusing the document; what was left out is listed.
        #[arg(long, requires = "spec")]
        skip_unsupported: bool,
        /// Follow `$ref`s to files outside the document's folder (`../common.yaml`), which a
        /// document from elsewhere must not have read.
        #[arg(long, requires = "spec")]
        allow_refs_outside: bool,
    },
    /// Prove that the spec breaks no client of the last released contract, and that spec and
    /// implementation agree (fresh stubs, no drift). All three steps always run. Exit 0 ok, 1
    /// findings, 2 a step could not run.
    Check {
        /// Compare the spec with its version at git revision REV instead of the last released
        /// contract (openapi/released/).
        #[arg(long, value_name = "REV")]
        base: Option<String>,
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
    },
    /// Freeze the spec as the released contract of its info.version
    /// (openapi/released/sessions-<version>.yaml) and clear the acknowledgments. A release that
    /// breaks clients of the previous one must raise the major version (0.x: the minor).
    Release,
    /// Compare any two OpenAPI documents (3.0 or 3.1, JSON or YAML): the first is the reference,
    /// the second the candidate. Exit 0 nothing that breaks (compatible findings are listed),
    /// 1 a breaking, client-surface or unhandled finding, 2 the tool failed.
    Diff {
        reference: PathBuf,
        candidate: PathBuf,
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
        /// Follow `$ref`s to files outside each document's folder (`../common.yaml`).
        #[arg(long)]
        allow_refs_outside: bool,
    },
    /// Everything CI runs: fmt, clippy, check, the schemathesis install, every test.
    Ci,
    /// Measure (never assert) and write the figures to docs/benchmarks.md.
    Bench,
    /// Hunt for new failures: schemathesis against the live server on both backends, like CI's
    /// run but with a random (or given) seed and as many examples as asked.
    Fuzz {
        /// The seed to replay; a random one when absent (it is printed either way).
        #[arg(long)]
        seed: Option<u128>,
        /// Examples per operation (at least 100, CI's number).
        #[arg(long, default_value_t = 1000)]
        examples: usize,
    },
}

/// How findings are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Grouped by operation, one line per finding.
    Human,
    /// The same findings as JSON, for machines.
    Json,
}

/// Exit status 2: the tool itself failed, as opposed to finding a problem (1).
const TOOL_FAILED: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = workspace_root();
    let result = match cli.task {
        Task::Codegen {
            spec: Some(spec),
            out: Some(out),
            api_trait,
            skip_unsupported,
            allow_refs_outside,
            ..
        } => codegen::standalone::write_crate(
            &root,
            &spec,
            &out,
            &codegen::standalone::Choices {
                api_trait,
                skip_unsupported,
                allow_refs_outside,
            },
        )
        .map(|(written, left_out)| {
            for path in written {
                println!("wrote {}", out.join(path).display());
            }
            if !left_out.is_empty() {
                eprintln!("left out ({}):", left_out.len());
                for item in &left_out {
                    eprintln!("  {item}");
                }
            }
            ExitCode::SUCCESS
        }),
        Task::Codegen { check: true, .. } => codegen::report_freshness(&root).map(passed),
        Task::Codegen { .. } => codegen::write(&root).map(|written| {
            for path in &written.files {
                println!("wrote {}", path.display());
            }
            for change in &written.changes {
                println!("  {change}");
            }
            println!("{}", written.summary());
            ExitCode::SUCCESS
        }),
        Task::Check { base, format } => {
            let base = base.map_or(
                compat::BaseChoice::LastRelease,
                compat::BaseChoice::Explicit,
            );
            check::run(&root, &base, format)
        }
        Task::Diff {
            reference,
            candidate,
            format,
            allow_refs_outside,
        } => diff::run(&reference, &candidate, format, allow_refs_outside),
        Task::Release => release::run(&root).map(|released| {
            match released {
                release::Released::Written {
                    version,
                    path,
                    after,
                    cleared,
                } => {
                    match after {
                        Some(previous) => println!("released {version} (after {previous})"),
                        None => println!("released {version}, the first release"),
                    }
                    println!("wrote {}", path.display());
                    println!(
                        "cleared {} ({cleared} acknowledgment(s) now part of the release)",
                        compat::ACKNOWLEDGMENTS
                    );
                }
                release::Released::AlreadyReleased { path } => {
                    println!("already released as {}; nothing to do", path.display());
                }
            }
            ExitCode::SUCCESS
        }),
        Task::Ci => ci(&root),
        Task::Bench => bench::run(&root).map(|()| ExitCode::SUCCESS),
        Task::Fuzz { seed, examples } => fuzz(&root, seed, examples),
    };
    result.unwrap_or_else(|err| {
        eprintln!("error: {err:#}");
        ExitCode::from(TOOL_FAILED)
    })
}

fn passed(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The workspace root: xtask lives one level below it.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the workspace")
        .to_path_buf()
}

/// Every step runs, whatever failed before it, so one failure never hides another; the
/// contract check comes first because its compatibility step needs no build.
fn ci(root: &Path) -> anyhow::Result<ExitCode> {
    let mut failed: Vec<&str> = Vec::new();
    println!("==> cargo xtask check");
    if check::run(root, &compat::BaseChoice::LastRelease, OutputFormat::Human)? != ExitCode::SUCCESS
    {
        failed.push("cargo xtask check");
    }
    let lint_steps: [(&str, &[&str]); 2] = [
        ("cargo fmt --check", &["fmt", "--all", "--check"]),
        (
            "cargo clippy",
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        ),
    ];
    for (name, args) in lint_steps {
        if !cargo(root, args)? {
            failed.push(name);
        }
    }
    println!("==> schemathesis {SCHEMATHESIS_VERSION} into {SCHEMATHESIS_VENV}");
    install_schemathesis(root)?;
    if !cargo(root, &["test", "--workspace"])? {
        failed.push("cargo test --workspace");
    }
    if failed.is_empty() {
        println!("==> ci passed");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("==> ci failed: {}", failed.join(", "));
        Ok(ExitCode::FAILURE)
    }
}

/// Runs the contract tests' schemathesis test with the given seed and examples per operation.
fn fuzz(root: &Path, seed: Option<u128>, examples: usize) -> anyhow::Result<ExitCode> {
    use std::hash::{BuildHasher as _, Hasher as _};
    let seed = seed.unwrap_or_else(|| {
        // Two independent 64-bit draws from the standard library's per-process random keys.
        let draw = || {
            u128::from(
                std::collections::hash_map::RandomState::new()
                    .build_hasher()
                    .finish(),
            )
        };
        (draw() << 64) | draw()
    });
    install_schemathesis(root)?;
    println!("==> schemathesis with seed {seed}, {examples} examples per operation");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args([
            "test",
            "-p",
            "contract-tests",
            "--test",
            "schemathesis",
            "--",
            "--nocapture",
        ])
        .env("SESSIONS_FUZZ_SEED", seed.to_string())
        .env("SESSIONS_FUZZ_EXAMPLES", examples.to_string())
        .current_dir(root)
        .status()
        .context("cannot run cargo test")?;
    println!(
        "seed {seed}: {}",
        if status.success() {
            "no failure"
        } else {
            "FAILED"
        }
    );
    Ok(passed(status.success()))
}

/// The pinned schemathesis the contract tests run against the live server.
const SCHEMATHESIS_VERSION: &str = "4.32.5";
/// Where it is installed: a virtualenv under `target/`, so `cargo clean` removes it.
const SCHEMATHESIS_VENV: &str = "target/schemathesis-venv";

/// Installs the pinned schemathesis into its virtualenv unless that version is already there.
fn install_schemathesis(root: &Path) -> anyhow::Result<()> {
    let venv = root.join(SCHEMATHESIS_VENV);
    let installed = Command::new(venv.join("bin/schemathesis"))
        .arg("--version")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).contains(SCHEMATHESIS_VERSION));
    if installed {
        return Ok(());
    }
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let created = Command::new(&python)
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .with_context(|| format!("cannot run {python} to create {SCHEMATHESIS_VENV}"))?;
    anyhow::ensure!(
        created.success(),
        "{python} -m venv {SCHEMATHESIS_VENV} failed"
    );
    let pip = Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .arg(format!("schemathesis=={SCHEMATHESIS_VERSION}"))
        .status()
        .context("cannot run pip")?;
    anyhow::ensure!(
        pip.success(),
        "pip install schemathesis=={SCHEMATHESIS_VERSION} failed"
    );
    Ok(())
}

/// Runs one cargo step in the workspace; returns whether it passed.
fn cargo(root: &Path, args: &[&str]) -> anyhow::Result<bool> {
    let shown = format!("cargo {}", args.join(" "));
    println!("==> {shown}");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(args)
        .current_dir(root)
        .status()
        .with_context(|| format!("cannot run {shown}"))?;
    if !status.success() {
        eprintln!("{shown} failed");
    }
    Ok(status.success())
}
