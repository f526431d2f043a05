//! What both backends run through sqlx alike, with the SQL of [`super::sql`]: the purge's scans
//! and the key the instances share. Generic over the sqlx database, so each is written once.

use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Database, Decode, Encode, IntoArguments, Pool, Type};

use super::{StoreError, rows::millis, sql};

/// Up to `batch` ids a purge scan (`query`: [`sql::ENDED_SESSION_IDS`] or
/// [`sql::ABANDONED_DEVICE_IDS`]) finds before `before`.
pub(super) async fn ids_before<DB>(
    pool: &Pool<DB>,
    query: &'static str,
    before: DateTime<Utc>,
    batch: u32,
) -> Result<Vec<String>, StoreError>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'r> String: Decode<'r, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    Ok(sqlx::query_scalar(query)
        .bind(millis(before))
        .bind(i64::from(batch))
        .fetch_all(pool)
        .await?)
}

/// The key named `name`: `candidate` if this instance stores it first, else the one stored.
pub(super) async fn shared_key<DB>(
    pool: &Pool<DB>,
    name: &str,
    candidate: [u8; 32],
) -> Result<[u8; 32], StoreError>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> Vec<u8>: Encode<'q, DB> + Type<DB>,
    for<'r> Vec<u8>: Decode<'r, DB>,
    usize: ColumnIndex<DB::Row>,
{
    // Whichever instance stores first wins; every other one reads the winner's key.
    sqlx::query(sql::INSERT_SHARED_KEY)
        .bind(name.to_owned())
        .bind(candidate.to_vec())
        .execute(pool)
        .await?;
    let key: Vec<u8> = sqlx::query_scalar(sql::SHARED_KEY)
        .bind(name.to_owned())
        .fetch_one(pool)
        .await?;
    key.try_into()
        .map_err(|_| StoreError::CorruptRow(format!("shared key {name:?} is not 32 bytes")))
}
