//! serde for an optional and nullable property: `None` when absent, `Some(None)` when `null`,
//! `Some(Some(value))` otherwise. Use with `#[serde(default, skip_serializing_if =
//! "Option::is_none", with = "::stubgen_runtime::double_option")]`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Reads a member that is present: `null` is `Some(None)`.
pub fn deserialize<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    // Called only when the member is present: null is `Some(None)`.
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Writes `None` (which `skip_serializing_if` leaves out) and `Some(None)` as `null`.
pub fn serialize<T, S>(value: &Option<Option<T>>, serializer: S) -> Result<S::Ok, S::Error>
where
    T: Serialize,
    S: Serializer,
{
    match value {
        Some(inner) => inner.serialize(serializer),
        None => serializer.serialize_none(),
    }
}
