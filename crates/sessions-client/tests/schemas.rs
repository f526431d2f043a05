//! The drift check's third view: the JSON Schemas of the client's generated types, judged from
//! the client's side of the wire (it must read whatever the spec lets the server send). A
//! mutation of the client's types is caught here and nowhere else: the other two views are
//! derived from the server.

use openapi_drift::{FindingKind, views};
use serde_json::Value;

fn spec() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/sessions.yaml");
    openapi_drift::load_path(&path).expect("the spec loads")
}

#[test]
fn the_generated_types_read_everything_the_spec_lets_the_server_send() {
    let report = views::judge(
        &spec(),
        &sessions_client::schemas::wire_schemas(),
        views::Role::Client,
    )
    .expect("the comparison runs");
    assert!(report.is_consistent(), "{report}");
}

/// As if a progenitor setting (a type replacement, say) read `expiresAt` as Unix seconds: the
/// server still sends a date-time string, which this client could not read.
#[test]
fn a_client_type_that_cannot_read_what_the_server_sends_is_caught() {
    #[derive(schemars::JsonSchema)]
    #[schemars(rename = "Session")]
    #[allow(dead_code)]
    struct Session {
        id: String,
        #[serde(rename = "deviceName")]
        device_name: String,
        #[serde(rename = "ipAddress")]
        ip_address: String,
        location: String,
        #[serde(rename = "startedAt")]
        started_at: chrono::DateTime<chrono::Utc>,
        #[serde(rename = "lastActivity")]
        last_activity: chrono::DateTime<chrono::Utc>,
        #[serde(rename = "expiresAt")]
        expires_at: i64,
        #[serde(rename = "loginMethod")]
        login_method: String,
    }
    let mut schemas = sessions_client::schemas::wire_schemas();
    let mut generator = schemars::r#gen::SchemaSettings::openapi3().into_generator();
    generator.subschema_for::<Session>();
    for (name, schema) in generator.take_definitions() {
        schemas.insert(
            name,
            serde_json::to_value(schema).expect("a schema serializes"),
        );
    }
    let report = views::judge(&spec(), &schemas, views::Role::Client).expect("the comparison runs");
    assert!(!report.is_consistent());
    assert!(
        report
            .findings
            .iter()
            .all(|finding| finding.kind == FindingKind::TypeChanged
                && finding.place.ends_with("expiresAt")),
        "{report}"
    );
}
