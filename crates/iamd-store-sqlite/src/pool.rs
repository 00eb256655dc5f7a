//! The connections: one writer, on a thread of its own, which commits writes in groups
//! (`crate::writer`), and a few query-only readers, which WAL lets run alongside it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use iamd_core::StoreError;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::queries::Fail;
use crate::writer::{execute, Writer};

/// How long a connection waits for a lock held by another connection (a checkpoint, or
/// another process) before giving up with a backend error.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Prepared statements kept per connection: more than the operations use, so none is
/// ever re-prepared.
const STATEMENT_CACHE: usize = 128;

/// Each reader's page cache, in KiB (SQLite's default is 2,000 KiB). Large enough to keep
/// the interior B-tree pages of a million users' tables and indexes, so that a point read
/// of a row not in any cache costs one leaf page from the OS rather than a walk of several.
const READER_CACHE_KIB: i64 = 16 * 1024;

/// The schema migrations, in order; migration `i` brings `user_version` from `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_policies.sql"),
    include_str!("../migrations/0003_roles.sql"),
    include_str!("../migrations/0004_covering_indexes.sql"),
];

pub(crate) struct Pool {
    path: PathBuf,
    writer: Writer,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

impl Pool {
    pub(crate) fn open(path: &Path, readers: usize) -> Result<Pool, Fail> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                Fail::Data(format!("cannot create directory {}: {e}", dir.display()))
            })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut writer = Connection::open_with_flags(path, flags)?;
        writer.busy_timeout(BUSY_TIMEOUT)?;
        writer.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let mode: String = writer.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Fail::Data(format!(
                "cannot switch {} to WAL mode (got {mode})",
                path.display()
            )));
        }
        writer.pragma_update(None, "synchronous", "FULL")?;
        // Each grouped write runs in a savepoint, whose undo pages (the statement journal)
        // then stay in memory rather than in a temporary file.
        writer.pragma_update(None, "temp_store", "MEMORY")?;
        writer.pragma_update(None, "foreign_keys", "ON")?;
        migrate(&mut writer, path)?;

        let readers = (0..readers.max(1))
            .map(|_| {
                let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let reader = Connection::open_with_flags(path, flags)?;
                reader.busy_timeout(BUSY_TIMEOUT)?;
                reader.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
                reader.pragma_update(None, "foreign_keys", "ON")?;
                reader.pragma_update(None, "query_only", "ON")?;
                reader.pragma_update(None, "cache_size", -READER_CACHE_KIB)?;
                Ok(Mutex::new(reader))
            })
            .collect::<Result<Vec<_>, Fail>>()?;

        Ok(Pool {
            path: path.to_owned(),
            writer: Writer::start(writer)?,
            readers,
            next_reader: AtomicUsize::new(0),
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `op` as one atomic write on the writer, committed (durably) before this
    /// returns `Ok`, rolled back if `op` returns `Err`.
    pub(crate) async fn write<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, Fail> + Send + 'static,
    {
        self.writer.write(op).await
    }

    /// Runs `op` in one read transaction (one consistent snapshot) on a reader.
    ///
    /// In WAL mode a read never waits for the writer and takes microseconds, so when a
    /// reader is free the read runs right here on the calling (async) thread: a hand-off to
    /// the blocking pool would cost more than the read. Only when every reader is busy does
    /// the read wait for one, on the blocking pool.
    pub(crate) async fn read<T, F>(self: &Arc<Self>, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, Fail> + Send + 'static,
    {
        if let Some(conn) = self.free_reader() {
            return in_read_transaction(&conn, op).map_err(Fail::into_store);
        }
        let pool = Arc::clone(self);
        blocking(move || {
            let conn = pool.reader();
            in_read_transaction(&conn, op)
        })
        .await
    }

    /// A reader no one holds, if there is one.
    fn free_reader(&self) -> Option<MutexGuard<'_, Connection>> {
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        let n = self.readers.len();
        (0..n).find_map(|i| match self.readers[(start + i) % n].try_lock() {
            Ok(guard) => Some(guard),
            Err(std::sync::TryLockError::Poisoned(e)) => Some(e.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        })
    }

    /// A free reader if there is one, else waits for one (round robin).
    fn reader(&self) -> MutexGuard<'_, Connection> {
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        let n = self.readers.len();
        for i in 0..n {
            match self.readers[(start + i) % n].try_lock() {
                Ok(guard) => return guard,
                Err(std::sync::TryLockError::Poisoned(e)) => return e.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => {}
            }
        }
        lock(&self.readers[start % n])
    }
}

/// A panic while a connection was held leaves it usable: `in_read_transaction` ends a
/// transaction that the panic left open before starting the next one.
fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `op` in one read transaction (one snapshot).
///
/// `BEGIN` and `COMMIT` run as cached prepared statements: rusqlite's `Transaction`
/// parses them afresh each time, which cost more than a cached point read.
fn in_read_transaction<T>(
    conn: &Connection,
    op: impl FnOnce(&Connection) -> Result<T, Fail>,
) -> Result<T, Fail> {
    if !conn.is_autocommit() {
        // A transaction left open (a panic, or a failed commit): end it first.
        execute(conn, "ROLLBACK")?;
    }
    execute(conn, "BEGIN")?;
    let result = op(conn);
    // A read changes nothing: ending it the same way whatever `op` returned is enough.
    execute(conn, "COMMIT")?;
    result
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Fail> + Send + 'static,
) -> Result<T, StoreError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result.map_err(Fail::into_store),
        Err(e) => Err(StoreError::Backend(format!("storage task failed: {e}"))),
    }
}

/// Brings the schema to the newest version, in one transaction.
fn migrate(conn: &mut Connection, path: &Path) -> Result<(), Fail> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if !(0..=known).contains(&version) {
        return Err(Fail::Data(format!(
            "{} has schema version {version}, newer than this iamd knows ({known})",
            path.display()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tracing::info!(path = %path.display(), version = i + 1, "applied schema migration");
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pragma(conn: &Connection, name: &str) -> String {
        conn.query_row(&format!("PRAGMA {name}"), [], |r| {
            r.get::<_, rusqlite::types::Value>(0)
        })
        .map(|v| match v {
            rusqlite::types::Value::Integer(i) => i.to_string(),
            rusqlite::types::Value::Text(t) => t,
            other => format!("{other:?}"),
        })
        .expect("pragma")
    }

    #[tokio::test]
    async fn connections_are_durable_and_checked() {
        let dir = std::env::temp_dir().join(format!(
            "iamd-store-sqlite-pool-{}-{}",
            std::process::id(),
            time::OffsetDateTime::now_utc().unix_timestamp_nanos()
        ));
        let pool = Pool::open(&dir.join("iamd.sqlite3"), 2).expect("open");
        let settings = pool
            .write(|writer| {
                Ok([
                    "journal_mode",
                    "synchronous",
                    "foreign_keys",
                    "busy_timeout",
                    "temp_store",
                    "user_version",
                ]
                .map(|name| pragma(writer, name)))
            })
            .await
            .expect("the writer answers");
        assert_eq!(
            settings,
            [
                "wal".to_owned(),
                "2".to_owned(), // FULL
                "1".to_owned(),
                "5000".to_owned(),
                "2".to_owned(), // MEMORY
                MIGRATIONS.len().to_string()
            ]
        );
        let reader = pool.reader();
        assert_eq!(pragma(&reader, "query_only"), "1");
        assert!(
            reader.execute("DELETE FROM accounts", []).is_err(),
            "readers cannot write"
        );
        drop(reader);
        drop(pool);
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
