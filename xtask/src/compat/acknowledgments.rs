//! `openapi/acknowledged-breaking-changes.yaml`: the breaking changes accepted on purpose since
//! the last release, each with the reason existing clients can live with it. `cargo xtask
//! release` clears the file: from then on the change is part of the released contract.

use anyhow::{Context as _, bail};
use openapi_drift::Finding;
use serde::Deserialize;

/// The checked-in list of accepted breaking changes, relative to the workspace root.
pub const ACKNOWLEDGMENTS: &str = "openapi/acknowledged-breaking-changes.yaml";

/// The reason `cargo xtask check` prints in the entries it suggests: pasted unchanged, it
/// explains nothing.
pub const PLACEHOLDER_REASON: &str = "why existing clients can live with it";

/// What the file holds after a release.
pub const EMPTY_FILE: &str = "\
# Breaking changes to openapi/sessions.yaml accepted on purpose since the last released contract
# (openapi/released/): one entry per finding that `cargo xtask check` reports, with the reason
# existing clients can live with it. `cargo xtask release` clears this list.
acknowledged: []
";

/// One accepted breaking change: the finding's kind and place, and why it is acceptable.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acknowledgment {
    pub kind: String,
    pub place: String,
    pub reason: String,
}

impl Acknowledgment {
    pub fn accepts(&self, finding: &Finding) -> bool {
        self.kind == finding.kind.as_str() && self.place == finding.place
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acknowledgments {
    #[serde(default)]
    pub acknowledged: Vec<Acknowledgment>,
}

impl Acknowledgments {
    /// Reads the file's text, refusing an entry without a real reason.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let acknowledgments: Self = serde_yaml::from_str(text)
            .with_context(|| format!("{ACKNOWLEDGMENTS} is malformed"))?;
        for entry in &acknowledgments.acknowledged {
            if let Some(problem) = reason_problem(&entry.reason) {
                bail!(
                    "{ACKNOWLEDGMENTS}: the acknowledgment of {} at {} {problem}: say why \
                     existing clients can live with the change",
                    entry.kind,
                    entry.place
                );
            }
        }
        Ok(acknowledgments)
    }

    /// The acknowledgment that accepts `finding`, if any.
    pub fn accepting(&self, finding: &Finding) -> Option<&Acknowledgment> {
        self.acknowledged
            .iter()
            .find(|entry| entry.accepts(finding))
    }
}

/// Why a reason explains nothing, if it does not.
fn reason_problem(reason: &str) -> Option<&'static str> {
    let words: Vec<String> = reason
        .split_whitespace()
        .map(|word| {
            word.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|word| !word.is_empty())
        .collect();
    let normalized = words.join(" ");
    if normalized.is_empty() {
        return Some("gives no reason");
    }
    if normalized == PLACEHOLDER_REASON {
        return Some("keeps the placeholder reason");
    }
    const PLACEHOLDERS: [&str; 8] = ["todo", "tbd", "fixme", "xxx", "n/a", "na", "none", "reason"];
    if words
        .iter()
        .all(|word| PLACEHOLDERS.contains(&word.as_str()))
    {
        return Some("gives a placeholder for a reason");
    }
    if words.len() < 3 {
        return Some("gives a reason of fewer than three words");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(reason: &str) -> String {
        format!(
            "acknowledged:\n  - kind: status_missing\n    place: \"GET /things → 200\"\n    reason: \"{reason}\"\n"
        )
    }

    #[test]
    fn a_real_reason_is_taken() {
        let parsed = Acknowledgments::parse(&entry("no released client reads it")).unwrap();
        assert_eq!(parsed.acknowledged.len(), 1);
        assert!(
            Acknowledgments::parse(EMPTY_FILE)
                .unwrap()
                .acknowledged
                .is_empty()
        );
    }

    #[test]
    fn empty_placeholder_and_token_reasons_are_refused() {
        for (reason, problem) in [
            ("", "gives no reason"),
            ("  ", "gives no reason"),
            (PLACEHOLDER_REASON, "keeps the placeholder reason"),
            (
                "Why existing clients can live with it.",
                "keeps the placeholder reason",
            ),
            ("TODO", "gives a placeholder"),
            ("tbd", "gives a placeholder"),
            ("fine", "fewer than three words"),
        ] {
            let error = Acknowledgments::parse(&entry(reason))
                .unwrap_err()
                .to_string();
            assert!(error.contains(problem), "{reason:?}: {error}");
            assert!(error.contains("GET /things → 200"), "{error}");
        }
    }
}
