//! The query plans of the statements `GET /sessions` runs, on the large data set.

use std::fmt::Write as _;

use sqlx::{Database, Encode, PgPool, Row as _, SqlitePool, Type, query::Query};

use sessions_server::store::sql;

use crate::seed;

/// The statements `GET /sessions` runs, the service's own (`sessions_server::store::sql`): the
/// token lookup, then the caller's active sessions (a first page of up to 100).
const PLANNED: [(&str, &str); 2] = [
    ("token lookup", sql::ACTIVE_SESSION_BY_TOKEN_HASH),
    ("the caller's sessions", sql::ACTIVE_SESSIONS_PAGE),
];

/// `PLANNED[index]` behind `explain`, bound to the values the plans are asked for: a user in
/// the middle of the data set and its token, at `now_ms`.
fn explained<'q, DB>(explain: &str, index: usize, now_ms: i64) -> Query<'q, DB, DB::Arguments>
where
    DB: Database,
    Vec<u8>: Encode<'q, DB> + Type<DB>,
    String: Encode<'q, DB> + Type<DB>,
    i64: Encode<'q, DB> + Type<DB>,
{
    let (_, statement) = PLANNED[index];
    let query = sqlx::query(sqlx::AssertSqlSafe(format!("{explain} {statement}")));
    if index == 0 {
        query
            .bind(sessions_server::token::hash(&seed::token(50, 0)).to_vec())
            .bind(now_ms)
    } else {
        query
            .bind(seed::user_id(50))
            .bind(now_ms)
            .bind(i64::MAX)
            .bind(String::new())
            .bind(100_i64)
    }
}

/// SQLite's plans for the two statements, one line per step.
pub async fn sqlite_plan(pool: &SqlitePool, now_ms: i64) -> anyhow::Result<String> {
    let mut out = String::new();
    for (index, (name, _)) in PLANNED.iter().enumerate() {
        let rows = explained("EXPLAIN QUERY PLAN", index, now_ms)
            .fetch_all(pool)
            .await?;
        writeln!(out, "{name}:")?;
        for row in rows {
            writeln!(out, "  {}", row.try_get::<String, _>("detail")?)?;
        }
    }
    Ok(out)
}

/// PostgreSQL's plans for the two statements.
pub async fn postgres_plan(pool: &PgPool, now_ms: i64) -> anyhow::Result<String> {
    let mut out = String::new();
    for (index, (name, _)) in PLANNED.iter().enumerate() {
        let rows = explained("EXPLAIN (COSTS OFF)", index, now_ms)
            .fetch_all(pool)
            .await?;
        writeln!(out, "{name}:")?;
        for row in rows {
            writeln!(out, "  {}", row.try_get::<String, _>(0)?)?;
        }
    }
    Ok(out)
}
