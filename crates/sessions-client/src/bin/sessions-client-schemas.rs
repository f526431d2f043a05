//! Prints the JSON Schemas schemars derives for the client's generated types, by type name:
//! what the client really accepts and sends (the drift check's third view).

fn main() {
    let schemas = serde_json::Value::Object(sessions_client::schemas::wire_schemas());
    println!(
        "{}",
        serde_json::to_string_pretty(&schemas).expect("JSON serializes")
    );
}
