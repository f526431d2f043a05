//! The drift check's views of the server, each with a mutation that only it catches. A mutated
//! copy of the `Session` model stands in for the generated one in a view, and the view is
//! compared with the spec exactly as `cargo xtask check` does.

use openapi_drift::{FindingKind, Report, views};
use serde_json::Value;

fn spec() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/sessions.yaml");
    openapi_drift::load_path(&path).expect("the spec loads")
}

/// View 1: utoipa's document of the routes, with `T`'s utoipa schema as `Session`.
fn utoipa_view_with_session<T: utoipa::PartialSchema>() -> Report {
    let mut document = serde_json::to_value(sessions_server::startup::implementation_openapi())
        .expect("the document serializes");
    document["components"]["schemas"]["Session"] =
        serde_json::to_value(T::schema()).expect("a schema serializes");
    openapi_drift::compare(&spec(), &document).expect("the comparison runs")
}

/// View 2: schemars' schemas of the server's models, with `T`'s (named `Session`) in place.
fn serde_view_with_session<T: schemars::JsonSchema>() -> Report {
    let mut schemas = sessions_api::models::wire_schemas();
    let mut generator = schemars::r#gen::SchemaSettings::openapi3().into_generator();
    generator.subschema_for::<T>();
    for (name, schema) in generator.take_definitions() {
        schemas.insert(
            name,
            serde_json::to_value(schema).expect("a schema serializes"),
        );
    }
    views::judge(&spec(), &schemas, views::Role::Server).expect("the comparison runs")
}

/// A copy of the generated `Session` whose `location` field has the given attributes and type.
macro_rules! session_with_location {
    ($(#[$attribute:meta])* $location:ty) => {
        #[derive(serde::Serialize, utoipa::ToSchema, schemars::JsonSchema)]
        #[schemars(rename = "Session")]
        #[allow(dead_code)]
        struct Session {
            id: String,
            #[serde(rename = "deviceName")]
            device_name: String,
            #[serde(rename = "ipAddress")]
            ip_address: String,
            $(#[$attribute])*
            location: $location,
            #[serde(rename = "startedAt")]
            started_at: chrono::DateTime<chrono::Utc>,
            #[serde(rename = "lastActivity")]
            last_activity: chrono::DateTime<chrono::Utc>,
            #[serde(rename = "expiresAt")]
            expires_at: chrono::DateTime<chrono::Utc>,
            #[serde(rename = "loginMethod")]
            login_method: String,
        }
    };
}

#[test]
fn the_real_models_agree_with_the_spec_in_both_views() {
    let utoipa = utoipa_view_with_session::<sessions_api::models::Session>();
    assert!(utoipa.is_consistent(), "{utoipa}");
    let serde = serde_view_with_session::<sessions_api::models::Session>();
    assert!(serde.is_consistent(), "{serde}");
}

/// A model whose Rust type changed while its annotation still claims the spec's type: serde
/// writes a number, utoipa documents a string. Only the serde view sees what is on the wire.
/// (utoipa 6 follows serde's `skip*` attributes, so a skipped field is caught by both views.)
#[test]
fn a_type_serde_writes_but_the_annotation_hides_is_caught_by_the_serde_view_only() {
    session_with_location!(
        #[schema(value_type = String)]
        u64
    );
    let utoipa = utoipa_view_with_session::<Session>();
    assert!(
        utoipa.is_consistent(),
        "the annotation claims a string: {utoipa}"
    );
    let serde = serde_view_with_session::<Session>();
    assert!(!serde.is_consistent(), "the serde view sees the number");
    assert!(
        serde
            .findings
            .iter()
            .all(|finding| finding.kind == FindingKind::TypeChanged
                && finding.place.ends_with("location")),
        "{serde}"
    );
}

/// What an annotation claims, serde does not do: only the utoipa view sees the claim.
#[test]
fn an_annotation_serde_does_not_follow_is_caught_by_the_utoipa_view_only() {
    session_with_location!(
        #[schema(value_type = i64)]
        String
    );
    let utoipa = utoipa_view_with_session::<Session>();
    assert!(
        utoipa
            .findings
            .iter()
            .any(|finding| finding.kind == FindingKind::TypeChanged
                && finding.place.ends_with("location")),
        "{utoipa}"
    );
    let serde = serde_view_with_session::<Session>();
    assert!(
        serde.is_consistent(),
        "serde writes a string, as the spec says: {serde}"
    );
}
