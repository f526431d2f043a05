//! `cargo xtask diff A B`: any two OpenAPI documents through the same engine as the check.

use std::{path::Path, process::ExitCode};

use crate::OutputFormat;

pub fn run(reference: &Path, candidate: &Path, format: OutputFormat) -> anyhow::Result<ExitCode> {
    let report = openapi_drift::compare(
        &openapi_drift::load_path(reference)?,
        &openapi_drift::load_path(candidate)?,
    )?;
    match format {
        OutputFormat::Human => println!("{}", report.labelled("reference", "candidate")),
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    Ok(if report.is_consistent() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
