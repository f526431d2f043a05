//! SQLite writes, committed in groups.
//!
//! With `synchronous=FULL` every commit waits for the disk, and SQLite runs one writer at a
//! time, so one transaction per write caps writes at one disk flush each. One writer thread
//! takes every write queued meanwhile into a single transaction (each in a savepoint of its own,
//! so one that fails leaves the others alone), commits once, and only then answers each of them:
//! every answered write is on disk, and a flush is shared by as many writes as were waiting.

use std::{path::Path, sync::Arc, time::Duration};

use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

use crate::store::StoreError;

/// Writes taken into one transaction at most: bounds how long the first of them waits.
const MAX_GROUP: usize = 256;

/// A write, run inside the group's transaction (or told why there is none); it returns how to
/// answer once the group's commit has succeeded or failed.
type Job = Box<dyn FnOnce(Result<&Connection, &str>) -> Answer + Send>;
type Answer = Box<dyn FnOnce(Result<(), String>) + Send>;

enum Message {
    Write(Job),
    Close(oneshot::Sender<()>),
}

/// The handle to the writer thread.
#[derive(Debug, Clone)]
pub(super) struct Writer {
    queue: Arc<mpsc::UnboundedSender<Message>>,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(match self {
            Self::Write(_) => "Write",
            Self::Close(_) => "Close",
        })
    }
}

impl Writer {
    /// Opens the writer's connection to `path` (already migrated) and starts its thread.
    pub(super) fn start(path: &Path) -> Result<Self, StoreError> {
        let connection = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        connection.busy_timeout(Duration::from_secs(5))?;
        connection.execute_batch(
            "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA journal_mode = WAL;",
        )?;
        let (queue, jobs) = mpsc::unbounded_channel();
        std::thread::Builder::new()
            .name("sqlite-writer".to_owned())
            .spawn(move || run(connection, jobs))
            .map_err(|err| StoreError::CorruptRow(format!("cannot start the writer: {err}")))?;
        Ok(Self {
            queue: Arc::new(queue),
        })
    }

    /// Runs `write` in the next group's transaction and answers once that has committed.
    pub(super) async fn write<T: Send + 'static>(
        &self,
        write: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |transaction| {
            let outcome = match transaction {
                Ok(connection) => in_savepoint(connection, write),
                Err(why) => Err(StoreError::CommitFailed(why.to_owned())),
            };
            Box::new(move |committed: Result<(), String>| {
                let _ = answer.send(match committed {
                    Ok(()) => outcome,
                    // Whatever the write did was rolled back with the group.
                    Err(why) => Err(StoreError::CommitFailed(why)),
                });
            })
        });
        self.queue
            .send(Message::Write(job))
            .map_err(|_| StoreError::Closed)?;
        answered.await.map_err(|_| StoreError::Closed)?
    }

    /// Finishes the queued writes and closes the connection.
    pub(super) async fn close(&self) {
        let (closed, done) = oneshot::channel();
        if self.queue.send(Message::Close(closed)).is_ok() {
            let _ = done.await;
        }
    }
}

/// Runs `write` in a savepoint: rolled back alone if it fails.
fn in_savepoint<T>(
    connection: &Connection,
    write: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    connection.execute_batch("SAVEPOINT write")?;
    let outcome = write(connection);
    if outcome.is_err() {
        connection.execute_batch("ROLLBACK TO write")?;
    }
    connection.execute_batch("RELEASE write")?;
    outcome
}

fn run(mut connection: Connection, mut queue: mpsc::UnboundedReceiver<Message>) {
    while let Some(first) = queue.blocking_recv() {
        let mut group = Vec::new();
        let mut close = None;
        match first {
            Message::Write(job) => group.push(job),
            Message::Close(closed) => close = Some(closed),
        }
        while close.is_none() && group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(Message::Write(job)) => group.push(job),
                Ok(Message::Close(closed)) => close = Some(closed),
                Err(_) => break,
            }
        }
        if !group.is_empty() {
            commit_group(&mut connection, group);
        }
        if let Some(closed) = close {
            drop(connection);
            let _ = closed.send(());
            return;
        }
    }
}

fn commit_group(connection: &mut Connection, group: Vec<Job>) {
    let transaction = match connection.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(transaction) => transaction,
        Err(err) => {
            let why = err.to_string();
            tracing::error!(error = %why, "cannot begin a write transaction");
            for job in group {
                job(Err(&why))(Err(why.clone()));
            }
            return;
        }
    };
    let answers: Vec<Answer> = group.into_iter().map(|job| job(Ok(&transaction))).collect();
    let committed = transaction.commit().map_err(|err| err.to_string());
    if let Err(why) = &committed {
        tracing::error!(error = %why, "a group of writes failed to commit");
    }
    for answer in answers {
        answer(committed.clone());
    }
}
