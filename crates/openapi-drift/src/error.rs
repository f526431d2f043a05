//! Why a comparison could not be made at all (as opposed to drift, which is a [`crate::Report`]).

use std::fmt;
use std::path::PathBuf;

/// Which of the two compared documents an error was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The reference document (first argument of [`crate::compare`]): the hand-written
    /// spec in a drift check, the old spec in a compatibility check.
    Spec,
    /// The candidate document (second argument): the implementation's document, or the
    /// new spec.
    Implementation,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Spec => "spec",
            Side::Implementation => "implementation",
        })
    }
}

/// The tool failed: the documents could not be read, parsed or resolved.
#[derive(Debug, thiserror::Error)]
pub enum DriftError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The text is neither JSON nor YAML.
    #[error("cannot parse document{}: {message}", origin.as_ref().map(|p| format!(" {}", p.display())).unwrap_or_default())]
    Parse {
        origin: Option<PathBuf>,
        message: String,
    },
    /// The document parsed but has no `openapi: 3.0.x` / `3.1.x` field.
    #[error("not an OpenAPI 3.0/3.1 document{}: {found}", side.map(|s| format!(" ({s})")).unwrap_or_default())]
    NotOpenApi { side: Option<Side>, found: String },
    /// A local `$ref` points at nothing.
    #[error("unresolvable $ref `{reference}` at {at} in the {side} document")]
    UnresolvableRef {
        side: Side,
        /// The `$ref` value as written.
        reference: String,
        /// JSON pointer of the object holding the `$ref`.
        at: String,
    },
    /// A `$ref` to a URL, or into another file of a document given as text: references into
    /// other files are followed only for a document read from disk ([`crate::load_path`]).
    #[error("unsupported external $ref `{reference}` at {at} in the {side} document")]
    ExternalRef {
        side: Side,
        reference: String,
        at: String,
    },
    /// A `$ref` the bundler cannot follow: its file is missing, does not parse, is empty or no
    /// document of objects, or has nothing at the pointer; its fragment is no JSON pointer
    /// (`pet.yaml#Pet`); a schema's `$ref` names a place that holds no schema (`#/info`); or the
    /// document was given as text.
    #[error("cannot follow `$ref: {reference}` at {at}: {reason}")]
    FileRef {
        reference: String,
        /// JSON pointer of the object holding the `$ref`, after its file when that is not the
        /// document's own.
        at: String,
        reason: String,
    },
    /// A chain of `$ref`/`allOf` that leads back to itself without any structure in between.
    #[error("circular $ref with no structure in between at {at} in the {side} document")]
    CyclicRef { side: Side, at: String },
    /// Some part of the document has the wrong shape (e.g. `paths` is not an object).
    #[error("malformed {side} document at {at}: {message}")]
    Malformed {
        side: Side,
        at: String,
        message: String,
    },
}
