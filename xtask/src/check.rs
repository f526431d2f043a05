//! `cargo xtask check`: the generated stubs are fresh and the implementation's own utoipa
//! document agrees with the spec, compared semantically by `openapi-drift`.

use std::{
    path::Path,
    process::{Command, ExitCode},
};

use anyhow::{Context as _, bail};

use crate::codegen;

pub fn run(root: &Path) -> anyhow::Result<ExitCode> {
    println!("-- freshness: generated stubs against {}", codegen::SPEC);
    let fresh = codegen::report_freshness(root)?;

    println!(
        "-- drift: {} against the implementation's utoipa document",
        codegen::SPEC
    );
    let spec = openapi_drift::load_path(&root.join(codegen::SPEC))?;
    let implementation = implementation_document(root)?;
    let report = openapi_drift::compare(&spec, &implementation)?;
    println!("{report}");

    Ok(if fresh && report.is_consistent() {
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
