//! Row decoding and time conversion shared by both backends: the schemas have the same columns,
//! and times are Unix milliseconds in both.

use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Decode, Row, Type};

use super::{DeviceInfo, DeviceRecord, SessionRecord, StoreError, StoredTrust};

pub(super) fn millis(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

pub(super) fn from_millis(value: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(value)
        .ok_or_else(|| StoreError::CorruptRow(format!("timestamp {value} out of range")))
}

pub(super) fn duration_millis(duration: chrono::Duration) -> i64 {
    duration.num_milliseconds()
}

fn text<R: Row>(row: &R, column: &str) -> Result<String, StoreError>
where
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(row.try_get(column)?)
}

fn time<R: Row>(row: &R, column: &str) -> Result<DateTime<Utc>, StoreError>
where
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
{
    from_millis(row.try_get(column)?)
}

fn optional_time<R: Row>(row: &R, column: &str) -> Result<Option<DateTime<Utc>>, StoreError>
where
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
{
    row.try_get::<Option<i64>, _>(column)?
        .map(from_millis)
        .transpose()
}

pub(super) fn session_from_row<R: Row>(row: &R) -> Result<SessionRecord, StoreError>
where
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(SessionRecord {
        id: text(row, "id")?,
        user_id: text(row, "user_id")?,
        device_id: text(row, "device_id")?,
        device_name: text(row, "device_name")?,
        ip_address: text(row, "ip_address")?,
        location: text(row, "location")?,
        login_method: text(row, "login_method")?,
        started_at: time(row, "started_at")?,
        last_activity: time(row, "last_activity")?,
        expires_at: time(row, "expires_at")?,
        revoked_at: optional_time(row, "revoked_at")?,
    })
}

pub(super) fn device_from_row<R: Row>(row: &R) -> Result<DeviceRecord, StoreError>
where
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
{
    let level = text(row, "trust_level")?;
    let trust = match (level.as_str(), optional_time(row, "trust_expires_at")?) {
        ("UNKNOWN", _) => StoredTrust::Unknown,
        ("LOW", _) => StoredTrust::Low,
        ("HIGH", Some(until)) => StoredTrust::High { until },
        _ => return Err(StoreError::CorruptRow(format!("trust level {level:?}"))),
    };
    Ok(DeviceRecord {
        id: text(row, "id")?,
        user_id: text(row, "user_id")?,
        fingerprint: text(row, "fingerprint")?,
        info: DeviceInfo {
            name: text(row, "device_name")?,
            device_type: text(row, "device_type")?,
            os: text(row, "os")?,
            browser: text(row, "browser")?,
            user_agent: text(row, "user_agent")?,
            country: text(row, "country")?,
            city: text(row, "city")?,
        },
        ip_address: text(row, "ip_address")?,
        trust,
        created_at: time(row, "created_at")?,
        last_seen: time(row, "last_seen")?,
    })
}
