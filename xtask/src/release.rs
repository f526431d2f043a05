//! `cargo xtask release`: freezes the spec as the released contract of its `info.version`
//! (`openapi/released/sessions-<version>.yaml`) and clears the acknowledgments, which that
//! contract now includes. From then on `cargo xtask check` compares with the new release.
//!
//! A release that breaks the clients of the previous one (a finding no acknowledgment
//! accepts) must be a new major version: for 0.x, a new minor, as Cargo reads versions.

use std::path::Path;

use anyhow::{Context as _, bail};
use semver::Version;

use crate::{
    codegen::SPEC,
    compat::{self, ACKNOWLEDGMENTS, EMPTY_FILE, released},
};

/// What a release did, for the caller to print.
#[derive(Debug, PartialEq, Eq)]
pub enum Released {
    Written {
        version: Version,
        path: std::path::PathBuf,
        /// The previous release, if any.
        after: Option<Version>,
        /// Acknowledgments the release cleared.
        cleared: usize,
    },
    /// The version is released already with exactly this text.
    AlreadyReleased { path: std::path::PathBuf },
}

pub fn run(root: &Path) -> anyhow::Result<Released> {
    let text =
        std::fs::read_to_string(root.join(SPEC)).with_context(|| format!("cannot read {SPEC}"))?;
    let spec = openapi_drift::load_str(&text).with_context(|| format!("{SPEC} does not load"))?;
    let version = spec
        .pointer("/info/version")
        .and_then(serde_json::Value::as_str)
        .with_context(|| format!("{SPEC} has no info.version"))?;
    let version = Version::parse(version).with_context(|| {
        format!("{SPEC}: info.version `{version}` is not a semantic version (MAJOR.MINOR.PATCH)")
    })?;
    let contents = format!("{}{text}", released::header(&version));
    let releases = released::all(root)?;

    if let Some(same) = releases.iter().find(|release| release.version == version) {
        let existing = std::fs::read_to_string(root.join(&same.path))?;
        if existing == contents {
            return Ok(Released::AlreadyReleased {
                path: same.path.clone(),
            });
        }
        bail!(
            "{} already holds release {version}, and {SPEC} differs from it: raise info.version",
            same.path.display()
        );
    }
    let previous = releases.last();
    if let Some(previous) = previous {
        if version < previous.version {
            bail!(
                "info.version {version} is older than the last release, {}",
                previous.version
            );
        }
        let check = compat::check(root, &compat::BaseChoice::LastRelease)?;
        let new_line =
            released::breaking_line(&version) > released::breaking_line(&previous.version);
        if !check.passed() && !new_line {
            bail!(
                "{}release {version} would break clients of {} without a new major version (for \
                 0.x, a new minor): acknowledge each change with its reason, or raise \
                 info.version in {SPEC}",
                check.describe(),
                previous.version
            );
        }
    }

    let acknowledgments = match std::fs::read_to_string(root.join(ACKNOWLEDGMENTS)) {
        Ok(text) => compat::Acknowledgments::parse(&text)?.acknowledged.len(),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => 0,
        Err(err) => return Err(err).with_context(|| format!("cannot read {ACKNOWLEDGMENTS}")),
    };
    let path = released::path_of(&version);
    std::fs::create_dir_all(root.join(released::RELEASED_DIR))?;
    std::fs::write(root.join(&path), contents)
        .with_context(|| format!("cannot write {}", path.display()))?;
    std::fs::write(root.join(ACKNOWLEDGMENTS), EMPTY_FILE)
        .with_context(|| format!("cannot write {ACKNOWLEDGMENTS}"))?;
    Ok(Released::Written {
        version,
        path,
        after: previous.map(|release| release.version.clone()),
        cleared: acknowledgments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A workspace with `openapi/sessions.yaml` at `version`, whose one response property
    /// `location` is required or not.
    fn write_spec(root: &Path, version: &str, location_required: bool) {
        let required = if location_required {
            r#"["id", "location"]"#
        } else {
            r#"["id"]"#
        };
        std::fs::create_dir_all(root.join("openapi")).unwrap();
        std::fs::write(
            root.join(SPEC),
            format!(
                r##"{{"openapi": "3.0.3", "info": {{"title": "t", "version": "{version}"}},
                  "paths": {{"/things": {{"get": {{"operationId": "getThings", "responses": {{
                    "200": {{"description": "ok", "content": {{"application/json": {{"schema": {{
                      "type": "object", "required": {required},
                      "properties": {{"id": {{"type": "string"}}, "location": {{"type": "string"}}}}}}}}}}}}}}}}}}}}}}"##
            ),
        )
        .unwrap();
    }

    #[test]
    fn a_release_freezes_the_spec_and_clears_the_acknowledgments() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write_spec(root, "0.1.0", true);
        let first = run(root).unwrap();
        assert!(
            matches!(&first, Released::Written { after: None, .. }),
            "{first:?}"
        );
        let frozen =
            std::fs::read_to_string(root.join("openapi/released/sessions-0.1.0.yaml")).unwrap();
        assert!(frozen.starts_with("# The released contract"), "{frozen}");
        assert!(matches!(
            run(root).unwrap(),
            Released::AlreadyReleased { .. }
        ));

        // A break, acknowledged, released as a patch: the acknowledgment goes into it.
        write_spec(root, "0.1.1", false);
        std::fs::write(
            root.join(ACKNOWLEDGMENTS),
            "acknowledged:\n  - kind: required_changed\n    place: \"GET /things → 200 → location\"\n    reason: \"no client reads location yet\"\n",
        )
        .unwrap();
        let second = run(root).unwrap();
        assert!(
            matches!(&second, Released::Written { cleared: 1, .. }),
            "{second:?}"
        );
        assert_eq!(
            std::fs::read_to_string(root.join(ACKNOWLEDGMENTS)).unwrap(),
            EMPTY_FILE
        );
        assert!(
            compat::check(root, &compat::BaseChoice::LastRelease)
                .unwrap()
                .passed()
        );
    }

    #[test]
    fn an_unacknowledged_break_needs_a_new_major_version() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write_spec(root, "0.1.0", true);
        run(root).unwrap();
        write_spec(root, "0.1.1", false);
        let error = run(root).unwrap_err().to_string();
        assert!(error.contains("without a new major version"), "{error}");
        assert!(!root.join("openapi/released/sessions-0.1.1.yaml").exists());
        // Changed text under a released version is refused too.
        write_spec(root, "0.1.0", false);
        assert!(
            run(root)
                .unwrap_err()
                .to_string()
                .contains("raise info.version")
        );
        // 0.1 → 0.2 is a new major line for 0.x.
        write_spec(root, "0.2.0", false);
        assert!(matches!(run(root).unwrap(), Released::Written { .. }));
    }
}
