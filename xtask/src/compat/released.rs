//! The released contracts: `openapi/released/sessions-<version>.yaml`, one per release, each a
//! copy of the spec as it was released (`cargo xtask release` writes them, nobody edits them).
//! The newest is what existing clients were built against, so the check compares with it.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use semver::Version;

/// Where the released contracts live, relative to the workspace root.
pub const RELEASED_DIR: &str = "openapi/released";

/// One released contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub version: Version,
    /// Relative to the workspace root.
    pub path: PathBuf,
}

/// The file a release of `version` is written to, relative to the workspace root.
pub fn path_of(version: &Version) -> PathBuf {
    Path::new(RELEASED_DIR).join(format!("sessions-{version}.yaml"))
}

/// The first lines of a released contract; the spec's text follows unchanged.
pub fn header(version: &Version) -> String {
    format!(
        "# The released contract of the Device/Session Management API, version {version}.\n\
         # Written by `cargo xtask release` from openapi/sessions.yaml; never edit it. `cargo xtask\n\
         # check` compares the spec with the newest of these files.\n"
    )
}

/// Every released contract, oldest first. A file in the directory that is not named
/// `sessions-<semantic version>.yaml` is an error, not something to skip silently.
pub fn all(root: &Path) -> anyhow::Result<Vec<Release>> {
    let dir = root.join(RELEASED_DIR);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(err).with_context(|| format!("cannot read {RELEASED_DIR}")),
    };
    let mut releases = Vec::new();
    for entry in entries {
        let name = entry?.file_name();
        let name = name.to_string_lossy();
        let Some(version) = name
            .strip_prefix("sessions-")
            .and_then(|rest| rest.strip_suffix(".yaml"))
        else {
            bail!("{RELEASED_DIR}/{name}: not a released contract (sessions-<version>.yaml)");
        };
        let version = Version::parse(version).with_context(|| {
            format!("{RELEASED_DIR}/{name}: `{version}` is not a semantic version")
        })?;
        releases.push(Release {
            path: path_of(&version),
            version,
        });
    }
    releases.sort_by(|a, b| a.version.cmp(&b.version));
    Ok(releases)
}

/// The newest released contract, if any.
pub fn latest(root: &Path) -> anyhow::Result<Option<Release>> {
    Ok(all(root)?.pop())
}

/// The version `major` and `minor` that may break clients: the major, or for 0.x the minor
/// (as Cargo reads semantic versions).
pub fn breaking_line(version: &Version) -> (u64, u64) {
    if version.major == 0 {
        (0, version.minor)
    } else {
        (version.major, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_are_ordered_by_version_not_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let released = dir.path().join(RELEASED_DIR);
        std::fs::create_dir_all(&released).unwrap();
        for version in ["0.9.0", "0.10.0", "0.2.1"] {
            std::fs::write(released.join(format!("sessions-{version}.yaml")), "x").unwrap();
        }
        let versions: Vec<String> = all(dir.path())
            .unwrap()
            .iter()
            .map(|release| release.version.to_string())
            .collect();
        assert_eq!(versions, ["0.2.1", "0.9.0", "0.10.0"]);
        assert_eq!(
            latest(dir.path()).unwrap().unwrap().path,
            Path::new("openapi/released/sessions-0.10.0.yaml")
        );
        std::fs::write(released.join("notes.txt"), "x").unwrap();
        assert!(all(dir.path()).is_err());
    }

    #[test]
    fn what_counts_as_a_breaking_release() {
        let line = |v: &str| breaking_line(&Version::parse(v).unwrap());
        assert_eq!(line("0.1.0"), line("0.1.9"));
        assert_ne!(line("0.1.0"), line("0.2.0"));
        assert_eq!(line("1.2.0"), line("1.9.0"));
        assert_ne!(line("1.2.0"), line("2.0.0"));
    }
}
