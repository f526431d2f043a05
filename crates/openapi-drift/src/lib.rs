//! Semantic comparison of two OpenAPI documents.
//!
//! [`compare`] takes a **reference** and a **candidate**. In a drift check the reference is
//! the spec (typically hand-written OpenAPI 3.0 YAML) and the candidate the document the
//! implementation emits (typically utoipa's OpenAPI 3.1 JSON); in a compatibility check the
//! reference is the old (base) spec and the candidate the new one. The API keeps the drift
//! check's names: the first argument is `spec`, the second `implementation`, and every
//! [`Finding`] has `spec`/`implementation` values and pointers for the reference and the
//! candidate respectively.
//!
//! Both documents are read as other OpenAPI tools read them (a `null` where an object or a
//! list belongs, a YAML key left empty, means nothing there), normalized into one model —
//! `$ref`s followed, every spelling of nullability folded together, metadata such as
//! descriptions and examples dropped — and the models are compared. The result is a [`Report`] of [`Finding`]s, each naming the
//! place (`GET /sessions → 200 → sessions[].deviceName`), JSON pointers into both
//! documents, a [`Direction`] and a [`Severity`].
//!
//! ```
//! let spec = openapi_drift::load_str(r#"{"openapi": "3.0.3", "paths": {}}"#)?;
//! let implementation = openapi_drift::load_str("openapi: 3.1.0\npaths: {}\n")?;
//! let report = openapi_drift::compare(&spec, &implementation)?;
//! assert!(report.is_consistent());
//! # Ok::<(), openapi_drift::DriftError>(())
//! ```
//!
//! # Output
//!
//! `Display` for [`Report`] prints the findings grouped by operation, one line each,
//! `[breaking] PLACE: ASPECT: spec X, implementation Y` (tags `[breaking]`, `[client]`,
//! `[unhandled]`, `[compatible]`), then a count such as `3 findings: 1 breaking, 1
//! client-surface, 1 compatible`; an empty report prints `consistent: no drift found`. The report
//! serializes with serde (every field of every finding, snake_case names);
//! [`Report::to_json_pretty`] is `serde_json::to_string_pretty(&report)`.
//! [`Report::breaking`], [`Report::client_surface`], [`Report::unhandled`] and
//! [`Report::compatible`] filter by severity, and [`Report::has_breaking_or_client_surface`]
//! (anything but compatible) is the usual failure condition of a compatibility check
//! ([`Report::is_consistent`] of a drift check).
//!
//! [`Severity::Unhandled`] marks a difference the engine cannot judge: a JSON Schema keyword
//! it does not model (`not`, `if`/`then`/`else`, `prefixItems`, `additionalItems`, `contains`,
//! `minContains`/`maxContains`, `dependentRequired`, `dependentSchemas`, `patternProperties`,
//! `propertyNames`, `unevaluatedProperties`, `unevaluatedItems`, `discriminator`,
//! `$dynamicRef`) differs, or a webhook changed. It is never passed over in silence.
//!
//! # Severity rules
//!
//! The candidate must keep the reference's clients working. Data travels two ways:
//!
//! * **Requests** (parameters, request bodies, security requirements; direction
//!   [`Direction::Request`]): the candidate must accept at least what the reference
//!   allows, *and still understand it*.
//! * **Responses** (statuses, response bodies and headers; [`Direction::Response`]): the
//!   candidate must send at most what the reference allows.
//!
//! [`Severity::ClientSurface`] marks what is harmless on the wire but breaks the source of
//! code using a client generated (by progenitor) from the reference. R is the reference, C
//! the candidate.
//!
//! Findings without a direction (operations and document components):
//!
//! | Change (kind) | Severity |
//! |---|---|
//! | Operation gone (`operation_missing`) | breaking |
//! | Operation added (`operation_extra`) | compatible |
//! | operationId changed (`operation_id_changed`) | client surface |
//! | Component schema gone (`component_missing`) | client surface (a generated type disappears) |
//! | Component schema added (`component_extra`) | compatible |
//! | Component renamed (`component_renamed`) | client surface |
//! | Operation without operationId in C (`progenitor_unsupported`) | client surface |
//! | Webhook gone (`webhook_missing`) | breaking |
//! | Webhook added (`webhook_extra`) | compatible |
//! | Webhook changed (`keyword_unhandled` on `webhooks.X`) | unhandled |
//!
//! Findings with a direction:
//!
//! | Change (kind) | Request | Response |
//! |---|---|---|
//! | Path parameter renamed (`path_parameter_renamed`) | client surface | — |
//! | Parameter gone (`parameter_missing`), required or optional in R | breaking: R clients send it and C no longer reads it (a strict server refuses it, a lenient one silently ignores e.g. a filter) | — |
//! | Parameter added (`parameter_extra`) | optional: compatible; required: breaking | — |
//! | Parameter optional → required (`parameter_changed`) | breaking | — |
//! | Parameter required → optional (`parameter_changed`) | compatible | — |
//! | Parameter moved to another location (`parameter_changed`) | breaking | — |
//! | Parameter `style`/`explode`/`allowReserved` changed, defaults filled in (`parameter_changed`) | breaking | — |
//! | Callback gone / added / changed (`callback_missing` / `callback_extra` / `keyword_unhandled`) | breaking / compatible / unhandled (no direction: the server makes these requests) | |
//! | Request body gone (`request_body_missing`) | breaking, like a parameter | — |
//! | Request body added (`request_body_extra`) | optional: compatible; required: breaking | — |
//! | Request body optional ↔ required (`request_body_changed`) | like a parameter | — |
//! | Status added (`status_extra`) | — | an error status (4xx, 5xx, `4XX`, `5XX`): compatible, since every client already handles failures it was not told of; a success status or `default`: breaking, R clients do not expect it |
//! | Status removed (`status_missing`) | — | compatible, unless C has no success status (2xx, `2XX`) left: breaking |
//! | Media type added (`content_type_changed`) | compatible | compatible: only clients that ask for it (`Accept`) get it |
//! | Media type removed (`content_type_changed`) | breaking | breaking: clients that ask for it get no answer they can read |
//! | Property gone (`property_missing`); a `readOnly` property is no part of a request, a `writeOnly` one no part of a response | breaking (as for parameters) | required in R: breaking; optional: compatible |
//! | Property added (`property_extra`) | optional: compatible; required in C: breaking | compatible if R's object is open (`additionalProperties` absent/`true`/`{}`); breaking if R's object is closed or constrains additional properties |
//! | Property optional → required (`required_changed`) | breaking | compatible |
//! | Property required → optional (`required_changed`) | compatible | breaking |
//! | Nullable added (`nullable_changed`) | compatible | breaking |
//! | Nullable removed (`nullable_changed`) | breaking | compatible |
//! | Enum value added, or enum dropped (`enum_changed`) | compatible | breaking |
//! | Enum value removed, or enum introduced (`enum_changed`) | breaking | compatible |
//! | Enum values swapped (neither side contains the other) | breaking | breaking |
//! | Type widened, e.g. `integer` → `number`, `T` → any (`type_changed`) | compatible | breaking |
//! | Type narrowed, e.g. `number` → `integer` (`type_changed`) | breaking | compatible |
//! | Type changed otherwise, e.g. `string` → `integer` (`type_changed`) | breaking | breaking |
//! | Format dropped or widened (`int32` → `int64`, `float` → `double`) (`format_changed`) | compatible | breaking |
//! | Format added, narrowed or changed otherwise (`format_changed`) | breaking | compatible if narrowed or added; otherwise breaking |
//! | Items schema dropped (any items) / added (`items_changed`) | compatible / breaking | breaking / compatible |
//! | `additionalProperties` more permissive (`false` < schema < `true`) (`additional_properties_changed`) | compatible | breaking |
//! | `additionalProperties` less permissive | breaking | compatible |
//! | Constraint relaxed: lower bound lowered or dropped, upper bound raised or dropped, `pattern` dropped or loosened to one matching everything (`.*`), `uniqueItems` dropped, `multipleOf` a divisor of R's (`constraint_changed`) | compatible | breaking |
//! | Constraint tightened, or a `pattern` added or changed | breaking | compatible if tightened or added; breaking if a pattern changed |
//! | Response header gone (`header_missing`) | — | `required: true` in R: breaking; otherwise compatible |
//! | Response header added (`header_extra`) | — | compatible (clients ignore unknown headers) |
//! | Response header required → optional / optional → required (`required_changed`) | — | breaking / compatible |
//! | Response header schema (type, nullable, format, enum, constraints) | — | as for any value sent |
//! | `oneOf`/`anyOf` branch added, or `oneOf` → `anyOf` (`alternatives_changed`); branches match by content, a plain schema is one branch | compatible | breaking |
//! | `oneOf`/`anyOf` branch removed, or `anyOf` → `oneOf` (`alternatives_changed`) | breaking | compatible |
//! | `default` added, removed or changed (`default_changed`), unless the value is required on both sides | breaking | compatible |
//! | A keyword the engine does not model differs (`keyword_unhandled`) | unhandled | unhandled |
//! | Operation security (`security_changed`) | compatible when every credential set R accepts is still accepted by C (requirement dropped, alternative added); breaking otherwise (scheme added to a requirement, alternative removed or replaced) | — |
//! | Security scheme definition changed (`security_changed` on `components.securitySchemes.X`) | breaking (e.g. `http bearer` → `http basic`); a scheme undefined on one side is breaking when that side's operations use it, otherwise compatible (its use is judged on the operations) | — |
//! | Construct progenitor cannot generate (`progenitor_unsupported`): cookie parameter, non-JSON body, several success or error response types | client surface | client surface |
//!
//! A change inside a component schema is judged once per place it is used: the same
//! added enum value is compatible under a request body and breaking under a response.
//! Lower and upper bounds are judged on the effective bound, so `minimum: 5` →
//! `exclusiveMinimum: 4` is one relaxation even though two keywords differ. Severity says
//! nothing about security posture: dropping an authentication requirement is compatible
//! for clients.
//!
//! # Client surface
//!
//! * `component_renamed`: a component schema only in the reference and one only in the
//!   candidate that is structurally identical after normalization (metadata ignored,
//!   `$ref`s followed) are one rename instead of a missing and an extra component. Each
//!   candidate schema pairs with at most one reference schema, in name order.
//! * `path_parameter_renamed`: paths match with parameter names erased; a different name at
//!   the same position changes nothing on the wire but renames the generated argument.
//! * `progenitor_unsupported`: an operation of the candidate that progenitor cannot generate
//!   a (typed) client for — more than one distinct success response type (2xx, `2XX`, 101
//!   and `default`, except `default` when a `2XX` range exists, as progenitor counts them),
//!   more than one distinct error response type (4xx, 5xx, `4XX`, `5XX`, `default`), a
//!   request or response body in a media type other than JSON (`application/json` or
//!   `…+json`), a cookie parameter, or no operationId. "No content", a non-JSON body and
//!   each structurally distinct JSON schema are distinct types. Only constructs the
//!   reference's operation does not already have are reported (a new operation reports all
//!   of its own), so a document compared with itself stays clean.

mod bundle;
mod compare;
mod error;
pub mod keywords;
mod load;
mod normalize;
pub mod pointer;
mod progenitor;
mod report;
mod rules;
mod schema;
mod tolerate;
pub mod views;

#[cfg(test)]
mod tests;

pub use bundle::{BUNDLED, BundleOptions, bundle, bundle_with};
pub use compare::compare;
pub use error::{DriftError, Side};
pub use load::{load_path, load_path_with, load_str, parse_ordered};
pub use report::{Direction, Finding, FindingKind, Labelled, Report, Severity};
/// Documents as parsers read them: a `null` where structure belongs means nothing there. The
/// generator (`stubgen`) reads documents through the same step.
pub use tolerate::tolerate;
