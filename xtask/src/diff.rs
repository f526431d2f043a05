//! `cargo xtask diff A B`: any two OpenAPI documents through the same engine as the check.

use std::{io::Write as _, path::Path, process::ExitCode};

use anyhow::Context as _;

use crate::OutputFormat;

pub fn run(
    reference: &Path,
    candidate: &Path,
    format: OutputFormat,
    allow_refs_outside: bool,
) -> anyhow::Result<ExitCode> {
    let options = openapi_drift::BundleOptions { allow_refs_outside };
    let load = |path: &Path, role: &str| {
        openapi_drift::load_path_with(path, options)
            .with_context(|| format!("cannot read the {role} {}", path.display()))
    };
    let report = openapi_drift::compare(
        &load(reference, "reference")?,
        &load(candidate, "candidate")?,
    )?;
    let text = match format {
        OutputFormat::Human => report.labelled("reference", "candidate").to_string(),
        OutputFormat::Json => serde_json::to_string_pretty(&report)?,
    };
    // A reader that stops early (`| head`) is no failure of the diff.
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = writeln!(stdout, "{text}").and_then(|()| stdout.flush())
        && error.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(error).context("cannot write the report");
    }
    // As the compatibility check: compatible findings are listed, never failed.
    Ok(if report.has_breaking_or_client_surface() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-operation document whose response has the given properties.
    fn document(properties: &str) -> String {
        format!(
            r#"{{"openapi": "3.0.3", "info": {{"title": "t", "version": "1"}}, "paths": {{"/a": {{"get": {{
                "responses": {{"200": {{"description": "ok", "content": {{"application/json": {{"schema": {{
                    "type": "object", "required": ["id"], "properties": {{{properties}}}
                }}}}}}}}}}
            }}}}}}}}"#
        )
    }

    fn exit_of(reference: &str, candidate: &str) -> ExitCode {
        let folder = tempfile::tempdir().unwrap();
        let (a, b) = (folder.path().join("a.json"), folder.path().join("b.json"));
        std::fs::write(&a, document(reference)).unwrap();
        std::fs::write(&b, document(candidate)).unwrap();
        run(&a, &b, OutputFormat::Json, false).unwrap()
    }

    #[test]
    fn only_what_breaks_fails_the_diff() {
        let id = r#""id": {"type": "string"}"#;
        // A new response property is compatible: listed, not failed.
        let added = format!(r#"{id}, "name": {{"type": "string"}}"#);
        assert_eq!(exit_of(id, &added), ExitCode::SUCCESS);
        // A changed type breaks clients.
        assert_eq!(
            exit_of(id, r#""id": {"type": "integer"}"#),
            ExitCode::FAILURE
        );
        assert_eq!(exit_of(id, id), ExitCode::SUCCESS);
    }
}
