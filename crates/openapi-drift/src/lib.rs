//! Semantic comparison of two OpenAPI documents.
//!
//! The spec (typically hand-written OpenAPI 3.0 YAML) is the source of truth; the
//! implementation document (typically emitted by utoipa as OpenAPI 3.1 JSON) is checked
//! against it. Both are normalized into one model — `$ref`s followed, every spelling of
//! nullability folded together, metadata such as descriptions and examples dropped — and
//! the models are compared. The result is a [`Report`] of [`Finding`]s, each naming the
//! place (`GET /sessions → 200 → sessions[].deviceName`) and JSON pointers into both
//! documents.
//!
//! ```
//! let spec = openapi_drift::load_str(r#"{"openapi": "3.0.3", "paths": {}}"#)?;
//! let implementation = openapi_drift::load_str("openapi: 3.1.0\npaths: {}\n")?;
//! let report = openapi_drift::compare(&spec, &implementation)?;
//! assert!(report.is_consistent());
//! # Ok::<(), openapi_drift::DriftError>(())
//! ```

mod compare;
mod error;
mod load;
mod normalize;
mod pointer;
mod report;
mod schema;

#[cfg(test)]
mod tests;

pub use compare::compare;
pub use error::{DriftError, Side};
pub use load::{load_path, load_str};
pub use report::{Finding, FindingKind, Report};
