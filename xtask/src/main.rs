//! Project automation: `cargo xtask codegen [--check]`, `cargo xtask check`, `cargo xtask ci`.
//!
//! Kept light on purpose: it never links the server, so a broken stub never blocks regenerating it.

mod check;
mod codegen;

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
    /// Regenerate the server stubs from openapi/sessions.yaml.
    Codegen {
        /// Write nothing; fail with a diff when a generated file is stale.
        #[arg(long)]
        check: bool,
    },
    /// Prove spec and implementation agree: fresh stubs, no drift. Exit 0 ok, 1 findings, 2 failure.
    Check,
    /// Everything CI runs: fmt, clippy, check, every test.
    Ci,
}

/// Exit status 2: the tool itself failed, as opposed to finding a problem (1).
const TOOL_FAILED: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = workspace_root();
    let result = match cli.task {
        Task::Codegen { check: true } => codegen::report_freshness(&root).map(passed),
        Task::Codegen { check: false } => codegen::write(&root).map(|written| {
            for path in &written {
                println!("wrote {}", path.display());
            }
            if written.is_empty() {
                println!("generated files already up to date");
            }
            ExitCode::SUCCESS
        }),
        Task::Check => check::run(&root),
        Task::Ci => ci(&root),
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

fn ci(root: &Path) -> anyhow::Result<ExitCode> {
    let lint_steps: [&[&str]; 2] = [
        &["fmt", "--all", "--check"],
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    ];
    for args in lint_steps {
        if !cargo(root, args)? {
            return Ok(ExitCode::FAILURE);
        }
    }
    println!("==> cargo xtask check");
    let checked = check::run(root)?;
    if checked != ExitCode::SUCCESS {
        return Ok(checked);
    }
    Ok(passed(cargo(root, &["test", "--workspace"])?))
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
