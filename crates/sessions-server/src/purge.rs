//! The periodic purge: sessions revoked or expired longer ago than the retention period are
//! deleted, then devices left without sessions and unseen for as long, in small batches, so
//! storage stays bounded and requests never wait long behind it.

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

/// What one purge deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Purged {
    pub sessions: u64,
    pub devices: u64,
}

/// Deletes every session that ended before now minus `period`, then every device left without
/// sessions and last seen before then, batch by batch.
pub async fn purge_ended(
    store: &dyn Store,
    period: chrono::Duration,
    batch: u32,
) -> Result<Purged, StoreError> {
    let cutoff = Utc::now() - period;
    Ok(Purged {
        sessions: in_batches(batch, || store.purge_ended_sessions(cutoff, batch)).await?,
        devices: in_batches(batch, || store.purge_abandoned_devices(cutoff, batch)).await?,
    })
}

async fn in_batches<Batch>(batch: u32, mut delete: impl FnMut() -> Batch) -> Result<u64, StoreError>
where
    Batch: Future<Output = Result<u64, StoreError>>,
{
    let mut purged = 0;
    loop {
        let deleted = delete().await?;
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
    // The first round one period after the start, not at once: a restart loop must not turn
    // into a purge loop.
    let first = tokio::time::Instant::now() + retention.every;
    let mut rounds = tokio::time::interval_at(first, retention.every);
    rounds.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        rounds.tick().await;
        match purge_ended(store.as_ref(), retention.period, BATCH).await {
            Ok(Purged {
                sessions: 0,
                devices: 0,
            }) => {}
            Ok(Purged { sessions, devices }) => {
                tracing::info!(
                    sessions,
                    devices,
                    "purged what ended before the retention period"
                );
            }
            Err(err) => tracing::warn!(error = %err, "purge failed; retrying next round"),
        }
    }
}
