//! Breaking-change detection: the spec against its own version at a base revision (the git
//! merge-base of HEAD and `main`, or `--base REV`).
//!
//! The old spec is the reference and the new one the candidate, so the direction rules of
//! `openapi-drift` say exactly what breaks existing clients: a request the old spec allowed must
//! still be accepted, and a response must not carry what old clients do not expect. Breaking and
//! client-surface findings fail unless `openapi/acknowledged-breaking-changes.yaml` names them;
//! compatible ones are listed.

use std::{
    fmt::Write as _,
    path::Path,
    process::{Command, Output},
};

use anyhow::{Context as _, bail};
use openapi_drift::{Finding, Report, Severity};
use serde::Deserialize;

use crate::codegen::SPEC;

/// The checked-in list of accepted breaking changes, relative to the workspace root.
pub const ACKNOWLEDGMENTS: &str = "openapi/acknowledged-breaking-changes.yaml";

/// Which revision the spec is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseChoice {
    /// `--base REV`.
    Explicit(String),
    /// The merge-base of HEAD and `main`.
    MergeBaseWithMain,
}

/// The base version of the spec, or why there is none to compare with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseSpec {
    Found {
        revision: String,
        text: String,
    },
    /// The clone has no `main` branch to take a merge-base with.
    NoMainRef,
    /// The spec did not exist at that revision.
    NotInBase {
        revision: String,
    },
}

/// One accepted breaking change: the finding's kind and place, and why it is acceptable.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Acknowledgment {
    kind: String,
    place: String,
    reason: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Acknowledgments {
    #[serde(default)]
    acknowledged: Vec<Acknowledgment>,
}

impl Acknowledgment {
    fn accepts(&self, finding: &Finding) -> bool {
        self.kind == finding.kind.as_str() && self.place == finding.place
    }
}

fn git(root: &Path, args: &[&str]) -> anyhow::Result<Output> {
    Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .with_context(|| format!("cannot run git {}", args.join(" ")))
}

/// Finds the base revision and reads the spec as it was there.
pub fn base_spec(root: &Path, choice: &BaseChoice) -> anyhow::Result<BaseSpec> {
    let revision = match choice {
        BaseChoice::Explicit(revision) => {
            let verified = git(
                root,
                &[
                    "rev-parse",
                    "--verify",
                    "--quiet",
                    &format!("{revision}^{{commit}}"),
                ],
            )?;
            if !verified.status.success() {
                bail!("--base {revision}: no such revision in this clone");
            }
            String::from_utf8(verified.stdout)?.trim().to_owned()
        }
        BaseChoice::MergeBaseWithMain => {
            let main = git(
                root,
                &[
                    "rev-parse",
                    "--verify",
                    "--quiet",
                    "refs/heads/main^{commit}",
                ],
            )?;
            if !main.status.success() {
                return Ok(BaseSpec::NoMainRef);
            }
            let merge_base = git(root, &["merge-base", "HEAD", "main"])?;
            if !merge_base.status.success() {
                bail!(
                    "git merge-base HEAD main failed: {}",
                    String::from_utf8_lossy(&merge_base.stderr).trim()
                );
            }
            String::from_utf8(merge_base.stdout)?.trim().to_owned()
        }
    };
    let shown = git(root, &["show", &format!("{revision}:{SPEC}")])?;
    if !shown.status.success() {
        return Ok(BaseSpec::NotInBase { revision });
    }
    let text = String::from_utf8(shown.stdout).context("the base spec is not UTF-8")?;
    Ok(BaseSpec::Found { revision, text })
}

/// The outcome of comparing the spec with its base.
#[derive(Debug)]
pub struct Compatibility {
    pub report: Report,
    /// Breaking or client-surface findings no acknowledgment accepts.
    pub unacknowledged: Vec<Finding>,
    /// Acknowledgments that accept nothing any more: (kind, place).
    pub stale: Vec<(String, String)>,
}

/// Compares `current` (the working tree's spec) with `base`, applying the acknowledgments.
pub fn assess(
    base: &serde_json::Value,
    current: &serde_json::Value,
    acknowledgments_yaml: Option<&str>,
) -> anyhow::Result<Compatibility> {
    let acknowledgments: Acknowledgments = match acknowledgments_yaml {
        Some(text) => {
            serde_yaml::from_str(text).with_context(|| format!("{ACKNOWLEDGMENTS} is malformed"))?
        }
        None => Acknowledgments::default(),
    };
    if let Some(empty) = acknowledgments
        .acknowledged
        .iter()
        .find(|ack| ack.reason.trim().is_empty())
    {
        bail!(
            "{ACKNOWLEDGMENTS}: the acknowledgment of {} at {} gives no reason",
            empty.kind,
            empty.place
        );
    }
    let report = openapi_drift::compare(base, current)?;
    let unacknowledged = report
        .findings
        .iter()
        .filter(|finding| finding.severity != Severity::Compatible)
        .filter(|finding| {
            !acknowledgments
                .acknowledged
                .iter()
                .any(|ack| ack.accepts(finding))
        })
        .cloned()
        .collect();
    let stale = acknowledgments
        .acknowledged
        .iter()
        .filter(|ack| !report.findings.iter().any(|finding| ack.accepts(finding)))
        .map(|ack| (ack.kind.clone(), ack.place.clone()))
        .collect();
    Ok(Compatibility {
        report,
        unacknowledged,
        stale,
    })
}

/// The compatibility step of `cargo xtask check`: compared, or skipped with a reason.
#[derive(Debug)]
pub enum CompatCheck {
    Compared {
        described_base: String,
        outcome: Compatibility,
    },
    Skipped {
        reason: String,
    },
}

impl CompatCheck {
    pub fn passed(&self) -> bool {
        match self {
            Self::Compared { outcome, .. } => outcome.unacknowledged.is_empty(),
            Self::Skipped { .. } => true,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Self::Compared {
                described_base,
                outcome,
            } => {
                format!("against {SPEC} at {described_base}\n{}", describe(outcome))
            }
            Self::Skipped { reason } => format!("skipped: {reason}\n"),
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Compared {
                described_base,
                outcome,
            } => serde_json::json!({
                "base": described_base,
                "report": outcome.report,
                "unacknowledged": outcome.unacknowledged,
                "staleAcknowledgments": outcome.stale,
            }),
            Self::Skipped { reason } => serde_json::json!({ "skipped": reason }),
        }
    }
}

/// Compares the working tree's spec with the base's.
pub fn check(root: &Path, choice: &BaseChoice) -> anyhow::Result<CompatCheck> {
    let (revision, base_text) = match base_spec(root, choice)? {
        BaseSpec::Found { revision, text } => (revision, text),
        BaseSpec::NoMainRef => {
            return Ok(CompatCheck::Skipped {
                reason: format!(
                    "this clone has no `main` branch to take a merge-base with; \
                     pass --base REV to compare {SPEC} with a revision"
                ),
            });
        }
        BaseSpec::NotInBase { revision } => {
            return Ok(CompatCheck::Skipped {
                reason: format!(
                    "{SPEC} does not exist at {}; nothing to break",
                    short(&revision)
                ),
            });
        }
    };
    let described_base = match choice {
        BaseChoice::Explicit(given) => format!("{given} ({})", short(&revision)),
        BaseChoice::MergeBaseWithMain => {
            format!("{} (merge-base of HEAD and main)", short(&revision))
        }
    };
    let base = openapi_drift::load_str(&base_text).context("the base spec does not load")?;
    let current = openapi_drift::load_path(&root.join(SPEC))?;
    let acknowledgments = match std::fs::read_to_string(root.join(ACKNOWLEDGMENTS)) {
        Ok(text) => Some(text),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => return Err(err).with_context(|| format!("cannot read {ACKNOWLEDGMENTS}")),
    };
    let outcome = assess(&base, &current, acknowledgments.as_deref())?;
    Ok(CompatCheck::Compared {
        described_base,
        outcome,
    })
}

/// The human summary: the report, then what fails and how to accept it.
pub fn describe(outcome: &Compatibility) -> String {
    let mut text = String::new();
    if outcome.report.findings.is_empty() {
        text.push_str("no changes to the contract\n");
    } else {
        let _ = writeln!(text, "{}", outcome.report.labelled("base", "head"));
    }
    for (kind, place) in &outcome.stale {
        let _ = writeln!(
            text,
            "note: {ACKNOWLEDGMENTS} acknowledges {kind} at {place}, which no longer occurs; remove it"
        );
    }
    if !outcome.unacknowledged.is_empty() {
        let _ = writeln!(
            text,
            "{} change(s) break existing clients. If that is intended, acknowledge each in {ACKNOWLEDGMENTS}:",
            outcome.unacknowledged.len()
        );
        let _ = writeln!(text, "acknowledged:");
        for finding in &outcome.unacknowledged {
            let _ = writeln!(
                text,
                "  - kind: {}\n    place: \"{}\"\n    reason: \"why existing clients can live with it\"",
                finding.kind.as_str(),
                finding.place
            );
        }
    }
    text
}

fn short(revision: &str) -> &str {
    &revision[..revision.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(extra_status: bool, location_required: bool) -> serde_json::Value {
        let required = if location_required {
            r#"["id", "location"]"#
        } else {
            r#"["id"]"#
        };
        let extra = if extra_status {
            r##", "404": {"description": "gone", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}"##
        } else {
            ""
        };
        openapi_drift::load_str(&format!(
            r##"{{"openapi": "3.0.3", "info": {{"title": "t", "version": "1"}},
              "paths": {{"/things": {{"get": {{"operationId": "getThings", "responses": {{
                "200": {{"description": "ok", "content": {{"application/json": {{"schema": {{"$ref": "#/components/schemas/Thing"}}}}}}}}{extra}}}}}}}}},
              "components": {{"schemas": {{"Thing": {{"type": "object", "required": {required},
                "properties": {{"id": {{"type": "string"}}, "location": {{"type": "string"}}}}}}}}}}}}"##
        ))
        .unwrap()
    }

    #[test]
    fn a_response_property_becoming_optional_breaks_clients_until_acknowledged() {
        let outcome = assess(&spec(false, true), &spec(false, false), None).unwrap();
        assert_eq!(outcome.unacknowledged.len(), 1, "{}", outcome.report);
        let finding = &outcome.unacknowledged[0];
        assert_eq!(finding.place, "GET /things → 200 → location");
        assert!(describe(&outcome).contains("kind: required_changed"));

        let acknowledgment = format!(
            "acknowledged:\n  - kind: {}\n    place: \"{}\"\n    reason: \"no client reads it\"\n",
            finding.kind.as_str(),
            finding.place
        );
        let accepted = assess(
            &spec(false, true),
            &spec(false, false),
            Some(&acknowledgment),
        )
        .unwrap();
        assert!(accepted.unacknowledged.is_empty());
        assert!(accepted.stale.is_empty());
    }

    #[test]
    fn compatible_changes_are_listed_not_failed() {
        // A response status removed, and a property that became required: clients cope.
        let outcome = assess(&spec(true, false), &spec(false, true), None).unwrap();
        assert!(!outcome.report.findings.is_empty());
        assert!(outcome.unacknowledged.is_empty(), "{}", outcome.report);
    }

    #[test]
    fn stale_and_unexplained_acknowledgments_are_reported() {
        let stale = "acknowledged:\n  - kind: status_missing\n    place: \"GET /nowhere → 200\"\n    reason: \"old\"\n";
        let outcome = assess(&spec(false, true), &spec(false, true), Some(stale)).unwrap();
        assert_eq!(outcome.stale.len(), 1);
        assert!(describe(&outcome).contains("no longer occurs"));

        let unexplained = "acknowledged:\n  - kind: status_missing\n    place: \"GET /things → 200\"\n    reason: \" \"\n";
        assert!(assess(&spec(false, true), &spec(false, true), Some(unexplained)).is_err());
    }

    fn git_in(dir: &Path, args: &[&str]) {
        let status = Command::new("git")
            .args(["-c", "user.name=test", "-c", "user.email=test@example.com"])
            .args(args)
            .current_dir(dir)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }

    fn write_spec(dir: &Path, value: &serde_json::Value) {
        std::fs::create_dir_all(dir.join("openapi")).unwrap();
        std::fs::write(dir.join(SPEC), serde_json::to_string_pretty(value).unwrap()).unwrap();
    }

    #[test]
    fn the_base_is_the_merge_base_with_main_or_an_explicit_revision() {
        let repo = tempfile::tempdir().unwrap();
        let dir = repo.path();
        git_in(dir, &["init", "-q", "-b", "main"]);
        write_spec(dir, &spec(false, true));
        git_in(dir, &["add", "."]);
        git_in(dir, &["commit", "-q", "-m", "base"]);
        git_in(dir, &["checkout", "-q", "-b", "feature"]);
        write_spec(dir, &spec(false, false));
        git_in(dir, &["commit", "-q", "-am", "loosen"]);

        let BaseSpec::Found { text, .. } = base_spec(dir, &BaseChoice::MergeBaseWithMain).unwrap()
        else {
            panic!("the merge-base has the spec");
        };
        assert_eq!(openapi_drift::load_str(&text).unwrap(), spec(false, true));
        assert!(
            !check(dir, &BaseChoice::MergeBaseWithMain).unwrap().passed(),
            "the breaking change fails"
        );
        assert!(
            check(dir, &BaseChoice::Explicit("HEAD".to_owned()))
                .unwrap()
                .passed(),
            "HEAD against itself passes"
        );
        assert!(base_spec(dir, &BaseChoice::Explicit("no-such-rev".to_owned())).is_err());

        // On main itself, the working tree is compared with HEAD.
        git_in(dir, &["checkout", "-q", "main"]);
        assert!(check(dir, &BaseChoice::MergeBaseWithMain).unwrap().passed());
        write_spec(dir, &spec(false, false));
        assert!(
            !check(dir, &BaseChoice::MergeBaseWithMain).unwrap().passed(),
            "an uncommitted break fails"
        );
        git_in(dir, &["checkout", "-q", "--", "."]);

        // A clone without `main` says so and skips.
        git_in(dir, &["branch", "-q", "-m", "main", "trunk"]);
        assert_eq!(
            base_spec(dir, &BaseChoice::MergeBaseWithMain).unwrap(),
            BaseSpec::NoMainRef
        );
        assert!(
            check(dir, &BaseChoice::MergeBaseWithMain)
                .unwrap()
                .describe()
                .contains("no `main` branch")
        );
    }
}
