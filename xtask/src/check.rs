//! `cargo xtask check`, in three steps that always all run and all report:
//! 1. compatibility: the spec breaks no client of the last released contract (no build needed,
//!    so it runs first);
//! 2. freshness: the generated stubs are what codegen writes now;
//! 3. drift: three views of the implementation agree with the spec (this one builds, with
//!    cargo's progress shown): the document utoipa derives from the routes' annotations; the
//!    schemas schemars derives from the server's models (serde's attributes: what the server
//!    really sends and reads); the schemas schemars derives from the progenitor client's types.
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
        "-- drift: {} against three views of the implementation",
        codegen::SPEC
    ));
    let drift = drift(root, human);
    if human {
        match &drift {
            Ok(views) => print!("{}", views.describe()),
            Err(err) => println!("could not run: {err:#}"),
        }
    }

    let could_not_run = compatibility.is_err() || stale.is_err() || drift.is_err();
    let passed = compatibility
        .as_ref()
        .is_ok_and(compat::CompatCheck::passed)
        && stale.as_ref().is_ok_and(Vec::is_empty)
        && drift.as_ref().is_ok_and(Views::consistent);
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
            "drift": drift.as_ref().map_or_else(error, Views::to_json),
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

/// One view of the implementation compared with the spec.
struct View {
    /// What the view is, as its findings name it: `utoipa`, `server serde`, `client`.
    name: &'static str,
    /// Where it comes from, for the heading.
    source: &'static str,
    /// The findings' two sides, reference first (the client's view is the reference: it must
    /// read whatever the spec lets the server send).
    sides: (&'static str, &'static str),
    report: openapi_drift::Report,
}

/// The three views, each compared with the spec.
struct Views(Vec<View>);

impl Views {
    fn consistent(&self) -> bool {
        self.0.iter().all(|view| view.report.is_consistent())
    }

    /// A heading per view, then its findings with the view's name on each line.
    fn describe(&self) -> String {
        let mut text = String::new();
        for view in &self.0 {
            text.push_str(&format!("view `{}`: {}\n", view.name, view.source));
            text.push_str(&view.report.labelled(view.sides.0, view.sides.1).to_string());
        }
        text
    }

    fn to_json(&self) -> serde_json::Value {
        self.0
            .iter()
            .map(|view| (view.name.to_owned(), serde_json::json!(view.report)))
            .collect::<serde_json::Map<_, _>>()
            .into()
    }
}

fn drift(root: &Path, human: bool) -> anyhow::Result<Views> {
    use openapi_drift::views;
    let spec = openapi_drift::load_path(&root.join(codegen::SPEC))?;
    build_view_binaries(root, human)?;
    let implementation = printed_json(
        "sessions-server",
        "sessions-server",
        &["implementation-openapi"],
        root,
    )?;
    let server_types = printed_json(
        "sessions-server",
        "sessions-server",
        &["wire-schemas"],
        root,
    )?;
    let client_types = printed_json("sessions-client", "sessions-client-schemas", &[], root)?;
    let derived = |schemas: serde_json::Value, role| -> anyhow::Result<openapi_drift::Report> {
        let schemas = schemas
            .as_object()
            .context("the schemas are not a JSON object")?;
        Ok(views::judge(&spec, schemas, role)?)
    };
    Ok(Views(vec![
        View {
            name: "utoipa",
            source: "the document utoipa derives from the routes' annotations (`sessions-server implementation-openapi`); any finding fails",
            sides: ("spec", "utoipa"),
            report: openapi_drift::compare(&spec, &implementation)?,
        },
        View {
            name: "server serde",
            source: "schemars' schemas of the server's models, from their serde attributes (`sessions-server wire-schemas`); what breaks a client fails",
            sides: ("spec", "server serde"),
            report: derived(server_types, views::Role::Server)?,
        },
        View {
            name: "client",
            source: "schemars' schemas of the progenitor client's types (`sessions-client-schemas`); what the client cannot read or the server would refuse fails",
            sides: ("client", "spec"),
            report: derived(client_types, views::Role::Client)?,
        },
    ]))
}

/// Builds the binaries the views come from, once (cargo's progress shown: a first build takes
/// minutes).
fn build_view_binaries(root: &Path, human: bool) -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    if human {
        println!("building sessions-server and sessions-client-schemas (cargo's progress below)");
    }
    let built = Command::new(&cargo)
        .args([
            "build",
            "--package",
            "sessions-server",
            "--bin",
            "sessions-server",
        ])
        .args([
            "--package",
            "sessions-client",
            "--bin",
            "sessions-client-schemas",
        ])
        .current_dir(root)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .status()
        .context("cannot run cargo build")?;
    if !built.success() {
        bail!("the implementation does not build (cargo's errors above)");
    }
    Ok(())
}

/// Runs `bin` of `package` (built already) and reads the JSON it prints.
fn printed_json(
    package: &str,
    bin: &str,
    args: &[&str],
    root: &Path,
) -> anyhow::Result<serde_json::Value> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(&cargo)
        .args(["run", "--quiet", "--package", package, "--bin", bin, "--"])
        .args(args)
        .current_dir(root)
        .output()
        .with_context(|| format!("cannot run {bin}"))?;
    if !output.status.success() {
        bail!(
            "`{bin} {}` failed:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    serde_json::from_slice(&output.stdout)
        .with_context(|| format!("{bin} printed something other than JSON"))
}
