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
type Job = Box<dyn FnOnce(Result<&Connection, &GroupFailure>) -> Answer + Send>;
type Answer = Box<dyn FnOnce(Result<(), GroupFailure>) + Send>;

/// Why a group did not commit, and whether the database (not a write) was the cause.
#[derive(Debug, Clone)]
struct GroupFailure {
    why: String,
    unavailable: bool,
}

impl GroupFailure {
    fn of(error: &rusqlite::Error) -> Self {
        Self {
            why: error.to_string(),
            unavailable: crate::store::sqlite_unavailable(error),
        }
    }

    fn into_error(self) -> StoreError {
        StoreError::CommitFailed {
            why: self.why,
            unavailable: self.unavailable,
        }
    }
}

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
        // SQLite opens a file it may not write read-only, without a word; every write would
        // then fail. Better not to start.
        if connection.is_readonly(rusqlite::MAIN_DB)? {
            return Err(StoreError::NotWritable(format!(
                "{} can be read but not written (check its permissions, its folder's, and the \
                 file system)",
                path.display()
            )));
        }
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
                Err(failure) => Err(failure.clone().into_error()),
            };
            Box::new(move |committed: Result<(), GroupFailure>| {
                let _ = answer.send(match committed {
                    Ok(()) => outcome,
                    // Whatever the write did was rolled back with the group.
                    Err(failure) => Err(failure.into_error()),
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
            let failure = GroupFailure::of(&err);
            tracing::error!(error = %failure.why, "cannot begin a write transaction");
            for job in group {
                job(Err(&failure))(Err(failure.clone()));
            }
            return;
        }
    };
    let mut answers = Vec::with_capacity(group.len());
    let mut rolled_back: Option<GroupFailure> = None;
    for job in group {
        if let Some(failure) = &rolled_back {
            job(Err(failure))(Err(failure.clone()));
            continue;
        }
        answers.push(job(Ok(&transaction)));
        // Some errors (a full disk, an I/O error) make SQLite roll the whole transaction back
        // at once: the writes before are gone, so none of the group may be answered as done.
        if transaction.is_autocommit() {
            rolled_back = Some(GroupFailure {
                why: "SQLite rolled the transaction back (a full disk, an I/O error)".to_owned(),
                unavailable: true,
            });
        }
    }
    let committed = match rolled_back {
        Some(failure) => Err(failure),
        None => transaction.commit().map_err(|err| GroupFailure::of(&err)),
    };
    if let Err(failure) = &committed {
        tracing::error!(error = %failure.why, "a group of writes failed to commit");
    }
    for answer in answers {
        answer(committed.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database another process keeps locked past the busy timeout: the write fails as the
    /// database's fault (503 for the client), not the write's (500).
    #[tokio::test]
    async fn a_database_locked_past_the_busy_timeout_is_unavailable_not_broken() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("locked.db");
        let holder = Connection::open(&path).unwrap();
        holder
            .execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (v INTEGER NOT NULL);")
            .unwrap();
        let writer = Writer::start(&path).unwrap();
        holder.execute_batch("BEGIN IMMEDIATE").unwrap();
        let refused = writer
            .write(|connection| Ok(connection.execute("INSERT INTO t (v) VALUES (1)", [])?))
            .await;
        match &refused {
            Err(error @ StoreError::CommitFailed { .. }) => {
                assert!(error.is_unavailable(), "{error}");
            }
            other => panic!("expected a failed commit, got {other:?}"),
        }
        holder.execute_batch("ROLLBACK").unwrap();
        // Once the lock is gone, the same writer writes again.
        let written = writer
            .write(|connection| Ok(connection.execute("INSERT INTO t (v) VALUES (2)", [])?))
            .await;
        assert_eq!(written.unwrap(), 1);
        writer.close().await;
    }

    /// A write that fails is rolled back alone; the others queued with it are committed, and
    /// each is answered only once the commit is done.
    #[tokio::test]
    async fn a_failed_write_is_rolled_back_alone_and_the_others_are_committed() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("writes.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (v INTEGER NOT NULL);")
            .unwrap();
        let writer = Writer::start(&path).unwrap();
        let insert = |value: i64, fail: bool| {
            let writer = writer.clone();
            async move {
                writer
                    .write(move |connection| {
                        connection.execute("INSERT INTO t (v) VALUES (?1)", [value])?;
                        if fail {
                            return Err(StoreError::SessionEnded);
                        }
                        Ok(value)
                    })
                    .await
            }
        };
        let (first, failed, last) =
            tokio::join!(insert(1, false), insert(2, true), insert(3, false));
        assert_eq!(first.unwrap(), 1);
        assert!(
            matches!(failed, Err(StoreError::SessionEnded)),
            "{failed:?}"
        );
        assert_eq!(last.unwrap(), 3);
        writer.close().await;
        let stored: Vec<i64> = Connection::open(&path)
            .unwrap()
            .prepare("SELECT v FROM t ORDER BY v")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(stored, [1, 3]);
        assert!(matches!(
            writer.write(|_| Ok(())).await,
            Err(StoreError::Closed)
        ));
    }
}
