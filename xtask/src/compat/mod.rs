//! Breaking-change detection: the spec against the last released contract
//! (`openapi/released/sessions-<version>.yaml`, see [`released`]), or against its own version
//! at a git revision (`--base REV`, for ad-hoc comparisons).
//!
//! The released contract is the reference and the spec the candidate, so the direction rules of
//! `openapi-drift` say exactly what breaks existing clients: a request the released contract
//! allowed must still be accepted, and a response must not carry what its clients do not expect.
//! Because the base is a checked-in file, a break fails the same way before a commit, after it,
//! on `main` and in CI, until it is acknowledged (in [`ACKNOWLEDGMENTS`], with a reason) or
//! released as a new major version. Breaking, client-surface and unhandled findings fail;
//! compatible ones are listed.

mod acknowledgments;
pub mod released;

use std::{
    fmt::Write as _,
    path::Path,
    process::{Command, Output},
};

use anyhow::{Context as _, bail};
use openapi_drift::{Finding, Report, Severity};

pub use acknowledgments::{ACKNOWLEDGMENTS, Acknowledgments, EMPTY_FILE, PLACEHOLDER_REASON};

use crate::codegen::SPEC;

/// Which contract the spec is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseChoice {
    /// The newest file under `openapi/released/`.
    LastRelease,
    /// `--base REV`: the spec as it was at a git revision.
    Explicit(String),
}

fn git(root: &Path, args: &[&str]) -> anyhow::Result<Output> {
    Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .with_context(|| format!("cannot run git {}", args.join(" ")))
}

/// The spec's text at `revision`, with the full commit id; `None` when it did not exist there.
pub fn spec_at_revision(root: &Path, revision: &str) -> anyhow::Result<(String, Option<String>)> {
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
    let commit = String::from_utf8(verified.stdout)?.trim().to_owned();
    let shown = git(root, &["show", &format!("{commit}:{SPEC}")])?;
    if !shown.status.success() {
        return Ok((commit, None));
    }
    let text = String::from_utf8(shown.stdout).context("the base spec is not UTF-8")?;
    Ok((commit, Some(text)))
}

/// The outcome of comparing the spec with its base.
#[derive(Debug)]
pub struct Compatibility {
    pub report: Report,
    /// Breaking, client-surface or unhandled findings no acknowledgment accepts.
    pub unacknowledged: Vec<Finding>,
    /// Findings an acknowledgment accepts, with its reason.
    pub acknowledged: Vec<(Finding, String)>,
    /// Acknowledgments that accept nothing: (kind, place).
    pub stale: Vec<(String, String)>,
}

/// Compares `current` (the working tree's spec) with `base`, applying the acknowledgments.
pub fn assess(
    base: &serde_json::Value,
    current: &serde_json::Value,
    acknowledgments_yaml: Option<&str>,
) -> anyhow::Result<Compatibility> {
    let acknowledgments = match acknowledgments_yaml {
        Some(text) => Acknowledgments::parse(text)?,
        None => Acknowledgments::default(),
    };
    let report = openapi_drift::compare(base, current)?;
    let mut unacknowledged = Vec::new();
    let mut acknowledged = Vec::new();
    for finding in &report.findings {
        if finding.severity == Severity::Compatible {
            continue;
        }
        match acknowledgments.accepting(finding) {
            Some(entry) => acknowledged.push((finding.clone(), entry.reason.clone())),
            None => unacknowledged.push(finding.clone()),
        }
    }
    let stale = acknowledgments
        .acknowledged
        .iter()
        .filter(|ack| !report.findings.iter().any(|finding| ack.accepts(finding)))
        .map(|ack| (ack.kind.clone(), ack.place.clone()))
        .collect();
    Ok(Compatibility {
        report,
        unacknowledged,
        acknowledged,
        stale,
    })
}

/// The compatibility step of `cargo xtask check`: compared, or skipped with a reason.
#[derive(Debug)]
pub enum CompatCheck {
    Compared {
        /// What the spec was compared with, e.g. `openapi/released/sessions-0.1.0.yaml`.
        described_base: String,
        /// The word for the base's side in findings: `released` or `base`.
        base_label: &'static str,
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
                base_label,
                outcome,
            } => format!(
                "against {described_base}\n{}",
                describe(outcome, base_label)
            ),
            Self::Skipped { reason } => format!("skipped: {reason}\n"),
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Compared {
                described_base,
                outcome,
                ..
            } => serde_json::json!({
                "base": described_base,
                "report": outcome.report,
                "unacknowledged": outcome.unacknowledged,
                "acknowledged": outcome.acknowledged.iter().map(|(finding, reason)| {
                    serde_json::json!({"finding": finding, "reason": reason})
                }).collect::<Vec<_>>(),
                "staleAcknowledgments": outcome.stale,
            }),
            Self::Skipped { reason } => serde_json::json!({ "skipped": reason }),
        }
    }
}

/// Compares the working tree's spec with the chosen base.
pub fn check(root: &Path, choice: &BaseChoice) -> anyhow::Result<CompatCheck> {
    let (described_base, base_label, base) = match choice {
        BaseChoice::LastRelease => {
            let Some(release) = released::latest(root)? else {
                return Ok(CompatCheck::Skipped {
                    reason: format!(
                        "no released contract under {}/ yet; `cargo xtask release` writes the \
                         first one",
                        released::RELEASED_DIR
                    ),
                });
            };
            let base = openapi_drift::load_path(&root.join(&release.path))
                .with_context(|| format!("{} does not load", release.path.display()))?;
            (
                format!("{} (the last released contract)", release.path.display()),
                "released",
                base,
            )
        }
        BaseChoice::Explicit(revision) => {
            let (commit, text) = spec_at_revision(root, revision)?;
            let Some(text) = text else {
                return Ok(CompatCheck::Skipped {
                    reason: format!(
                        "{SPEC} does not exist at {}; nothing to break",
                        short(&commit)
                    ),
                });
            };
            let base = openapi_drift::load_str(&text).context("the base spec does not load")?;
            (
                format!("{SPEC} at {revision} ({})", short(&commit)),
                "base",
                base,
            )
        }
    };
    let current = openapi_drift::load_path(&root.join(SPEC))?;
    let acknowledgments = match std::fs::read_to_string(root.join(ACKNOWLEDGMENTS)) {
        Ok(text) => Some(text),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => return Err(err).with_context(|| format!("cannot read {ACKNOWLEDGMENTS}")),
    };
    let outcome = assess(&base, &current, acknowledgments.as_deref())?;
    Ok(CompatCheck::Compared {
        described_base,
        base_label,
        outcome,
    })
}

/// The human summary: every finding by operation (acknowledged ones marked, with their
/// reason), a count with the acknowledged apart, then what fails and how to accept it.
pub fn describe(outcome: &Compatibility, base_label: &str) -> String {
    let mut text = String::new();
    let findings = &outcome.report.findings;
    if findings.is_empty() {
        text.push_str("no changes to the contract\n");
    }
    let reason_of = |finding: &Finding| {
        outcome
            .acknowledged
            .iter()
            .find(|(acknowledged, _)| acknowledged == finding)
            .map(|(_, reason)| reason.as_str())
    };
    let mut group: Option<&str> = None;
    for finding in findings {
        if group != Some(finding.group()) {
            group = Some(finding.group());
            let _ = writeln!(text, "{}", finding.group());
        }
        let line = finding.describe(base_label, "spec");
        match reason_of(finding) {
            Some(reason) => {
                let _ = writeln!(
                    text,
                    "  [acknowledged {}] {line}\n      reason: {reason}",
                    finding.severity
                );
            }
            None => {
                let _ = writeln!(text, "  {} {line}", finding.severity.tag());
            }
        }
    }
    if !findings.is_empty() {
        let mut counts = Vec::new();
        for severity in [
            Severity::Breaking,
            Severity::ClientSurface,
            Severity::Unhandled,
            Severity::Compatible,
        ] {
            let count = outcome
                .report
                .of_severity(severity)
                .filter(|finding| reason_of(finding).is_none())
                .count();
            if count > 0 {
                counts.push(format!("{count} {severity}"));
            }
        }
        if !outcome.acknowledged.is_empty() {
            counts.push(format!("{} acknowledged", outcome.acknowledged.len()));
        }
        let _ = writeln!(
            text,
            "{} finding{}: {}",
            findings.len(),
            if findings.len() == 1 { "" } else { "s" },
            counts.join(", ")
        );
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
            "{} change(s) may break existing clients. If that is intended, acknowledge each in \
             {ACKNOWLEDGMENTS}, giving the real reason in place of the placeholder (which is \
             refused), or release a new major version (`cargo xtask release`):",
            outcome.unacknowledged.len()
        );
        let _ = writeln!(text, "acknowledged:");
        for finding in &outcome.unacknowledged {
            let _ = writeln!(
                text,
                "  - kind: {}\n    place: \"{}\"\n    reason: \"{PLACEHOLDER_REASON}\"",
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
        assert!(describe(&outcome, "released").contains("kind: required_changed"));

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
        // Shown as acknowledged, with the reason, and counted apart.
        let shown = describe(&accepted, "released");
        assert!(
            shown.contains("[acknowledged breaking] GET /things → 200 → location: required: released required, spec optional"),
            "{shown}"
        );
        assert!(shown.contains("reason: no client reads it"), "{shown}");
        assert!(shown.contains("1 finding: 1 acknowledged"), "{shown}");
        // The placeholder the check suggests is refused.
        let pasted = acknowledgment.replace("no client reads it", PLACEHOLDER_REASON);
        assert!(assess(&spec(false, true), &spec(false, false), Some(&pasted)).is_err());
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
        let stale = "acknowledged:\n  - kind: status_missing\n    place: \"GET /nowhere → 200\"\n    reason: \"an old acknowledgment\"\n";
        let outcome = assess(&spec(false, true), &spec(false, true), Some(stale)).unwrap();
        assert_eq!(outcome.stale.len(), 1);
        assert!(describe(&outcome, "released").contains("no longer occurs"));

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

    fn release(dir: &Path, version: &str, value: &serde_json::Value) {
        let released = dir.join(released::RELEASED_DIR);
        std::fs::create_dir_all(&released).unwrap();
        std::fs::write(
            released.join(format!("sessions-{version}.yaml")),
            serde_json::to_string_pretty(value).unwrap(),
        )
        .unwrap();
    }

    #[test]
    fn the_base_is_the_last_released_contract_committed_or_not() {
        let repo = tempfile::tempdir().unwrap();
        let dir = repo.path();
        git_in(dir, &["init", "-q", "-b", "main"]);
        write_spec(dir, &spec(false, true));
        assert!(
            check(dir, &BaseChoice::LastRelease)
                .unwrap()
                .describe()
                .contains("no released contract"),
            "nothing released yet: skipped, and said so"
        );
        release(dir, "0.1.0", &spec(false, false));
        release(dir, "0.2.0", &spec(false, true));
        git_in(dir, &["add", "."]);
        git_in(dir, &["commit", "-q", "-m", "release 0.2.0"]);
        assert!(check(dir, &BaseChoice::LastRelease).unwrap().passed());

        // A break fails before the commit, after it, and on main: the base does not move.
        write_spec(dir, &spec(false, false));
        let uncommitted = check(dir, &BaseChoice::LastRelease).unwrap();
        assert!(!uncommitted.passed(), "{}", uncommitted.describe());
        assert!(
            uncommitted
                .describe()
                .contains("against openapi/released/sessions-0.2.0.yaml"),
            "{}",
            uncommitted.describe()
        );
        git_in(dir, &["commit", "-q", "-am", "break on main"]);
        assert!(!check(dir, &BaseChoice::LastRelease).unwrap().passed());

        // --base REV still compares with a git revision: HEAD against itself passes.
        assert!(
            check(dir, &BaseChoice::Explicit("HEAD".to_owned()))
                .unwrap()
                .passed()
        );
        assert!(
            !check(dir, &BaseChoice::Explicit("HEAD~1".to_owned()))
                .unwrap()
                .passed()
        );
        assert!(check(dir, &BaseChoice::Explicit("no-such-rev".to_owned())).is_err());
    }

    /// The real spec against its last released contract, with the real acknowledgments: the
    /// same comparison as `cargo xtask check`, as a plain test.
    #[test]
    fn the_spec_breaks_no_client_of_the_released_contract() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let outcome = check(root, &BaseChoice::LastRelease).unwrap();
        assert!(
            matches!(outcome, CompatCheck::Compared { .. }),
            "openapi/released/ holds the released contract: {}",
            outcome.describe()
        );
        assert!(outcome.passed(), "{}", outcome.describe());
    }
}
