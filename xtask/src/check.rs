//! `cargo xtask check`, in three steps that always all run and all report:
//! 1. compatibility: the spec breaks no client of the last released contract (no build needed,
//!    so it runs first);
//! 2. freshness: the generated stubs are what codegen writes now;
//! 3. drift: the implementation's own utoipa document agrees with the spec (this one builds the
//!    server, with cargo's progress shown).
//!
//! Every comparison goes through `openapi-drift`. A step that cannot run (a spec that does not
//! load, a server that does not build) is reported as such and the others still run.

use std::{
    path::Path,
    process::{Command, ExitCode, Stdio},
};

use anyhow::{Context as _, bail};

use crate::{OutputFormat, TOOL_FAILED, codegen, compat};

pub fn run(
    root: &Path,
    base: &compat::BaseChoice,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    let human = format == OutputFormat::Human;
    let say = |line: &str| {
        if human {
            println!("{line}");
        }
    };

    say(&format!(
        "-- compatibility: {} against its base",
        codegen::SPEC
    ));
    let compatibility = compat::check(root, base);
    if human {
        match &compatibility {
            Ok(check) => print!("{}", check.describe()),
            Err(err) => println!("could not run: {err:#}"),
        }
    }

    say(&format!(
        "-- freshness: generated stubs against {}",
        codegen::SPEC
    ));
    let stale = codegen::stale_files(root);
    if human {
        match &stale {
            Ok(stale) => codegen::print_stale(stale),
            Err(err) => println!("could not run: {err:#}"),
        }
    }

    say(&format!(
        "-- drift: {} against the implementation's utoipa document",
        codegen::SPEC
    ));
    let drift = drift(root, human);
    if human {
        match &drift {
            Ok(report) => println!("{report}"),
            Err(err) => println!("could not run: {err:#}"),
        }
    }

    let could_not_run = compatibility.is_err() || stale.is_err() || drift.is_err();
    let passed = compatibility
        .as_ref()
        .is_ok_and(compat::CompatCheck::passed)
        && stale.as_ref().is_ok_and(Vec::is_empty)
        && drift
            .as_ref()
            .is_ok_and(openapi_drift::Report::is_consistent);
    if human {
        println!(
            "-- {}",
            if passed {
                "all three steps pass"
            } else if could_not_run {
                "a step could not run (above)"
            } else {
                "failed (above)"
            }
        );
    } else {
        let error = |err: &anyhow::Error| serde_json::json!({ "error": format!("{err:#}") });
        let document = serde_json::json!({
            "passed": passed,
            "compatibility": compatibility.as_ref().map_or_else(error, compat::CompatCheck::to_json),
            "staleFiles": stale.as_ref().map_or_else(error, |stale| serde_json::json!(
                stale.iter().map(|file| file.relative_path.display().to_string()).collect::<Vec<_>>()
            )),
            "drift": drift.as_ref().map_or_else(error, |report| serde_json::json!(report)),
        });
        println!("{}", serde_json::to_string_pretty(&document)?);
    }
    Ok(if could_not_run {
        ExitCode::from(TOOL_FAILED)
    } else if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn drift(root: &Path, human: bool) -> anyhow::Result<openapi_drift::Report> {
    let spec = openapi_drift::load_path(&root.join(codegen::SPEC))?;
    let implementation = implementation_document(root, human)?;
    Ok(openapi_drift::compare(&spec, &implementation)?)
}

/// Builds the server (cargo's progress on the terminal: a first build takes minutes) and asks
/// it for the document utoipa derives from its routes.
fn implementation_document(root: &Path, human: bool) -> anyhow::Result<serde_json::Value> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    if human {
        println!("building sessions-server to read its utoipa document (cargo's progress below)");
    }
    let built = Command::new(&cargo)
        .args([
            "build",
            "--package",
            "sessions-server",
            "--bin",
            "sessions-server",
        ])
        .current_dir(root)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .status()
        .context("cannot run cargo build")?;
    if !built.success() {
        bail!("sessions-server does not build (cargo's errors above)");
    }
    let output = Command::new(&cargo)
        .args([
            "run",
            "--quiet",
            "--package",
            "sessions-server",
            "--bin",
            "sessions-server",
            "--",
            "implementation-openapi",
        ])
        .current_dir(root)
        .output()
        .context("cannot run sessions-server")?;
    if !output.status.success() {
        bail!(
            "`sessions-server implementation-openapi` failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    serde_json::from_slice(&output.stdout)
        .context("sessions-server printed something other than JSON")
}
