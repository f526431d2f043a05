//! The periodic purge: sessions revoked or expired longer ago than the retention period are
//! deleted, in small batches, so storage stays bounded and requests never wait long behind it.

use std::{sync::Arc, time::Duration};

use chrono::Utc;

use crate::store::{Store, StoreError};

/// Rows deleted per statement: small enough that a write waits only briefly behind one.
const BATCH: u32 = 500;

/// How long ended sessions are kept, and how often the purge runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Sessions that ended longer ago than this are deleted (until then `GET /sessions` never
    /// shows them, but they remain for audit).
    pub period: chrono::Duration,
    /// Time between purges.
    pub every: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            period: chrono::Duration::days(30),
            every: Duration::from_secs(60 * 60),
        }
    }
}

/// Deletes every session that ended before now minus `period`, batch by batch; returns how many.
pub async fn purge_ended_sessions(
    store: &dyn Store,
    period: chrono::Duration,
    batch: u32,
) -> Result<u64, StoreError> {
    let ended_before = Utc::now() - period;
    let mut purged = 0;
    loop {
        let deleted = store.purge_ended_sessions(ended_before, batch).await?;
        purged += deleted;
        if deleted < u64::from(batch) {
            return Ok(purged);
        }
        // Let other writers in between batches.
        tokio::task::yield_now().await;
    }
}

/// Purges every `retention.every` until dropped. A failure is logged and the next round tries
/// again; it never stops the service.
pub async fn keep_purging(store: Arc<dyn Store>, retention: Retention) {
    let mut rounds = tokio::time::interval(retention.every);
    rounds.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        rounds.tick().await;
        match purge_ended_sessions(store.as_ref(), retention.period, BATCH).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "purged ended sessions past retention"),
            Err(err) => tracing::warn!(error = %err, "purge failed; retrying next round"),
        }
    }
}
