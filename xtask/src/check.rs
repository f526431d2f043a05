//! `cargo xtask check`: the generated stubs are fresh, the implementation's own utoipa document
//! agrees with the spec, and the spec breaks no existing client (against its base revision).
//! Every comparison goes through `openapi-drift`.

use std::{
    path::Path,
    process::{Command, ExitCode},
};

use anyhow::{Context as _, bail};

use crate::{OutputFormat, codegen, compat};

pub fn run(
    root: &Path,
    base: &compat::BaseChoice,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    let human = format == OutputFormat::Human;
    if human {
        println!("-- freshness: generated stubs against {}", codegen::SPEC);
    }
    let stale = codegen::stale_files(root)?;
    if human {
        codegen::print_stale(&stale);
    }

    let spec = openapi_drift::load_path(&root.join(codegen::SPEC))?;
    let implementation = implementation_document(root)?;
    let drift = openapi_drift::compare(&spec, &implementation)?;
    if human {
        println!(
            "-- drift: {} against the implementation's utoipa document",
            codegen::SPEC
        );
        println!("{drift}");
        println!("-- compatibility: {} against its base", codegen::SPEC);
    }
    let compatibility = compat::check(root, base)?;
    if human {
        print!("{}", compatibility.describe());
    }

    let passed = stale.is_empty() && drift.is_consistent() && compatibility.passed();
    if !human {
        let document = serde_json::json!({
            "passed": passed,
            "staleFiles": stale.iter().map(|file| file.relative_path.display().to_string()).collect::<Vec<_>>(),
            "drift": drift,
            "compatibility": compatibility.to_json(),
        });
        println!("{}", serde_json::to_string_pretty(&document)?);
    }
    Ok(if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Asks the server binary for the document utoipa derives from its routes.
fn implementation_document(root: &Path) -> anyhow::Result<serde_json::Value> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args([
            "run",
            "--quiet",
            "--package",
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
