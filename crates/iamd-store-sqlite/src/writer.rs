//! The writer: one thread that owns the writing connection and commits writes in groups.
//!
//! A durable commit costs an `fsync` of the WAL, which takes far longer than the writes
//! themselves. Writes that arrive while one commit is under way wait in a queue; the
//! writer then runs all of them (up to [`MAX_BATCH`]) in one transaction, each inside a
//! savepoint of its own, and commits them with one `fsync`. Every write still sees the
//! ones before it, a failing write is rolled back to its savepoint without touching the
//! others, and no caller hears "done" before the commit that holds its write returned.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use iamd_store::StoreError;
use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::directory::Directory;
use crate::queries::Fail;

/// The most writes committed together.
const MAX_BATCH: usize = 64;

/// What a queued write is given: the open batch, or why the batch could not begin.
enum Batch<'a> {
    Open {
        conn: &'a Connection,
        /// Set when the connection is left in a state the commit must not keep.
        broken: &'a mut bool,
    },
    Failed(&'a str),
}

/// A queued write. Given an open batch it runs and returns what to tell its caller once
/// the commit's outcome is known; given a failed batch it tells its caller at once.
type Job = Box<dyn FnOnce(Batch<'_>) -> Option<Report> + Send>;

/// Tells a caller the outcome of its write, given the commit's (`Err`: why it failed).
type Report = Box<dyn FnOnce(Result<(), &str>) + Send>;

/// How often, at most, the writer checkpoints the WAL (copies what it holds into the
/// database file so that the WAL can start over). SQLite's automatic checkpoint is off:
/// it runs inside `COMMIT`, before the writes are acknowledged, and while every reader
/// still holds a snapshot from before the commit, so it could never empty the WAL.
pub(crate) const CHECKPOINT_PERIOD: Duration = Duration::from_millis(250);

/// What the writer needs of the readers, which keep read snapshots open across reads
/// (`crate::pool::Readers`).
pub(crate) trait Snapshots: Send + Sync + 'static {
    /// Called after each commit, before any of its writes is acknowledged: reads that
    /// start from now on must see them.
    fn committed(&self);
    /// Ends every reader's snapshot, waiting for readers in use to finish their read.
    fn end_all(&self);
}

/// No readers (the writer's own tests).
impl Snapshots for () {
    fn committed(&self) {}
    fn end_all(&self) {}
}

pub(crate) struct Writer {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Writer {
    /// Starts the writer thread, which owns `conn` from now on, tells `snapshots` of every
    /// commit before acknowledging the writes in it, and checkpoints the WAL.
    pub(crate) fn start(
        conn: Connection,
        snapshots: Arc<dyn Snapshots>,
        directory: Arc<Directory>,
    ) -> Result<Writer, Fail> {
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        let (jobs, queue) = mpsc::channel();
        let thread = thread::Builder::new()
            .name("iamd-sqlite-writer".to_owned())
            .spawn(move || run(&conn, &queue, &*snapshots, &directory))
            .map_err(|e| Fail::Data(format!("cannot start the SQLite writer thread: {e}")))?;
        Ok(Writer {
            jobs: Some(jobs),
            thread: Some(thread),
        })
    }

    /// Runs `op` as one atomic write and returns once it is durably committed (or failed,
    /// and left no trace).
    pub(crate) async fn write<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, Fail> + Send + 'static,
    {
        let (done, outcome) = oneshot::channel::<Result<T, StoreError>>();
        let job: Job = Box::new(move |batch| {
            let (conn, broken) = match batch {
                Batch::Open { conn, broken } => (conn, broken),
                Batch::Failed(why) => {
                    let _ = done.send(Err(StoreError::Backend(why.to_owned())));
                    return None;
                }
            };
            let result = in_savepoint(conn, broken, op);
            Some(Box::new(move |commit: Result<(), &str>| {
                let out = match (result, commit) {
                    (Err(e), _) => Err(e.into_store()),
                    (Ok(value), Ok(())) => Ok(value),
                    (Ok(_), Err(why)) => Err(StoreError::Backend(why.to_owned())),
                };
                // The caller may have gone away (its request was cancelled): nothing to do.
                let _ = done.send(out);
            }))
        });
        let stopped = || StoreError::Backend("the SQLite writer has stopped".to_owned());
        self.jobs
            .as_ref()
            .ok_or_else(stopped)?
            .send(job)
            .map_err(|_| stopped())?;
        // A dropped report means the batch was abandoned (a panic in a write): not committed.
        outcome.await.unwrap_or_else(|_| {
            Err(StoreError::Backend(
                "the write was not committed: the SQLite writer failed".to_owned(),
            ))
        })
    }
}

impl Drop for Writer {
    /// Lets queued writes finish, then waits for the thread to close the connection.
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(
    conn: &Connection,
    queue: &mpsc::Receiver<Job>,
    snapshots: &dyn Snapshots,
    directory: &Directory,
) {
    // Whether the WAL holds commits made since the last checkpoint.
    let mut dirty = false;
    let mut last_checkpoint = Instant::now();
    let checkpoint_now = |dirty: &mut bool, last_checkpoint: &mut Instant| {
        checkpoint(conn, snapshots);
        *dirty = false;
        *last_checkpoint = Instant::now();
    };
    loop {
        let first = if dirty {
            let due = CHECKPOINT_PERIOD.saturating_sub(last_checkpoint.elapsed());
            match queue.recv_timeout(due) {
                Ok(job) => job,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    checkpoint_now(&mut dirty, &mut last_checkpoint);
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        } else {
            match queue.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        dirty |= commit_batch(conn, batch, snapshots, directory);
        if dirty && last_checkpoint.elapsed() >= CHECKPOINT_PERIOD {
            checkpoint_now(&mut dirty, &mut last_checkpoint);
        }
    }
}

/// Copies the WAL into the database file, then lets readers come back on the database
/// file alone, so that the next write can start the WAL over from its beginning.
fn checkpoint(conn: &Connection, snapshots: &dyn Snapshots) {
    // A reader still on a snapshot older than the last commit would hold the checkpoint
    // back to that snapshot.
    snapshots.end_all();
    let outcome = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
    });
    match outcome {
        // All of it copied: readers that start now read the database file alone, and the
        // WAL can start over at the next write once no reader uses it.
        Ok((frames, copied)) if frames == copied => snapshots.end_all(),
        // A reader of another process held part back: the next checkpoint goes on.
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed; it will be retried"),
    }
}

/// Runs and commits one batch; true if it committed anything.
fn commit_batch(
    conn: &Connection,
    batch: Vec<Job>,
    snapshots: &dyn Snapshots,
    directory: &Directory,
) -> bool {
    if let Err(e) = begin(conn) {
        let why = Fail::from(e).into_store().to_string();
        for job in batch {
            job(Batch::Failed(&why));
        }
        return false;
    }
    let mut broken = false;
    let mut reports = Vec::with_capacity(batch.len());
    let mut jobs = batch.into_iter();
    for job in jobs.by_ref() {
        let ran = catch_unwind(AssertUnwindSafe(|| {
            job(Batch::Open {
                conn,
                broken: &mut broken,
            })
        }));
        match ran {
            Ok(report) => reports.extend(report),
            // A write panicked part-way: nothing of this batch may be committed.
            Err(_) => broken = true,
        }
        if broken {
            break;
        }
    }
    if broken {
        let _ = execute(conn, "ROLLBACK");
        tracing::error!(
            "a write left the SQLite connection in an unknown state; its batch was rolled back"
        );
        let why = "the write was not committed: the batch it was in was rolled back";
        for report in reports {
            report(Err(why));
        }
        for job in jobs {
            job(Batch::Failed(why));
        }
        return false;
    }
    // The user rows this batch changed leave the change table in the same commit.
    let changes = directory.take_changes(conn);
    match execute(conn, "COMMIT") {
        Ok(()) => {
            directory.apply(conn, changes);
            snapshots.committed();
            for report in reports {
                report(Ok(()));
            }
            true
        }
        Err(e) => {
            let _ = execute(conn, "ROLLBACK");
            let why = Fail::from(e).into_store().to_string();
            for report in reports {
                report(Err(&why));
            }
            false
        }
    }
}

fn begin(conn: &Connection) -> rusqlite::Result<()> {
    if !conn.is_autocommit() {
        // A transaction left open by a failure: end it before starting ours.
        execute(conn, "ROLLBACK")?;
    }
    execute(conn, "BEGIN IMMEDIATE")
}

/// Runs `op` inside a savepoint: kept if it returns `Ok`, undone if it returns `Err`. If
/// the savepoint cannot be undone, `broken` tells the writer to drop the whole batch.
fn in_savepoint<T>(
    conn: &Connection,
    broken: &mut bool,
    op: impl FnOnce(&Connection) -> Result<T, Fail>,
) -> Result<T, Fail> {
    execute(conn, "SAVEPOINT write")?;
    let result = op(conn).and_then(|value| {
        execute(conn, "RELEASE write")?;
        Ok(value)
    });
    if result.is_err()
        && (execute(conn, "ROLLBACK TO write").is_err() || execute(conn, "RELEASE write").is_err())
    {
        *broken = true;
    }
    result
}

/// Runs one statement without parameters as a cached prepared statement.
pub(crate) fn execute(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn temp_db() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "iamd-store-sqlite-writer-{}-{}",
            std::process::id(),
            time::OffsetDateTime::now_utc().unix_timestamp_nanos()
        ));
        std::fs::create_dir_all(&dir).expect("mkdir");
        dir.join("t.sqlite3")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn grouped_writes_stay_atomic_and_independent() {
        let path = temp_db();
        let conn = Connection::open(&path).expect("open");
        conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER UNIQUE);")
            .expect("schema");
        let writer = Arc::new(Writer::start(conn, Arc::new(()), Directory::new()).expect("start"));

        // 64 writers at once, so that batches form: 60 good inserts, one duplicate of an
        // earlier value, and three that insert two rows and then fail.
        let mut tasks = Vec::new();
        for i in 0..64i64 {
            let writer = Arc::clone(&writer);
            tasks.push(tokio::spawn(async move {
                writer
                    .write(move |c| {
                        if i >= 61 {
                            c.execute("INSERT INTO t VALUES (?1)", [1000 + i])?;
                            c.execute("INSERT INTO t VALUES (?1)", [2000 + i])?;
                            return Err(Fail::Store(StoreError::NoSuchUser));
                        }
                        let x = if i == 60 { 7 } else { i };
                        c.execute("INSERT INTO t VALUES (?1)", [x])?;
                        Ok(x)
                    })
                    .await
            }));
        }
        let mut ok = 0;
        let mut exists = 0;
        let mut refused = 0;
        for t in tasks {
            match t.await.expect("task") {
                Ok(_) => ok += 1,
                Err(StoreError::AlreadyExists) => exists += 1,
                Err(StoreError::NoSuchUser) => refused += 1,
                Err(e) => panic!("unexpected {e}"),
            }
        }
        assert_eq!((ok, exists, refused), (60, 1, 3));
        drop(writer);

        // What was acknowledged is on disk, and nothing of the failed writes is.
        let conn = Connection::open(&path).expect("reopen");
        let (count, max): (i64, i64) = conn
            .query_row("SELECT count(*), max(x) FROM t", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .expect("count");
        assert_eq!((count, max), (60, 59));
        drop(conn);
        std::fs::remove_dir_all(path.parent().expect("dir")).expect("clean up");
    }

    #[tokio::test]
    async fn a_panicking_write_commits_nothing_and_the_writer_goes_on() {
        let path = temp_db();
        let conn = Connection::open(&path).expect("open");
        conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER);")
            .expect("schema");
        let writer = Writer::start(conn, Arc::new(()), Directory::new()).expect("start");

        let err = writer
            .write(|c| -> Result<(), Fail> {
                c.execute("INSERT INTO t VALUES (1)", [])?;
                panic!("a bug in a write");
            })
            .await
            .expect_err("the panicking write fails");
        assert!(err.to_string().contains("not committed"), "{err}");

        // The next write runs in a fresh transaction, and only it is kept.
        writer
            .write(|c| Ok(c.execute("INSERT INTO t VALUES (2)", [])?))
            .await
            .expect("the writer still writes");
        drop(writer);
        let conn = Connection::open(&path).expect("reopen");
        let rows: Vec<i64> = conn
            .prepare("SELECT x FROM t")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .expect("rows");
        assert_eq!(rows, [2]);
        drop(conn);
        std::fs::remove_dir_all(path.parent().expect("dir")).expect("clean up");
    }
}
