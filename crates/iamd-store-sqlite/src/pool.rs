//! The connections: one writer, on a thread of its own, which commits writes in groups
//! (`crate::writer`), and a few query-only readers, which WAL lets run alongside it.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::time::{Duration, Instant};

use iamd_store::StoreError;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::directory::Directory;
use crate::queries::Fail;
use crate::writer::{execute, Snapshots, Writer};

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

/// How long a reader may answer from one snapshot while this pool's writer commits
/// nothing: bounds how long a write by another process (which `iamd` does not do, but a
/// tool might) goes unseen.
const SNAPSHOT_MAX_AGE: Duration = Duration::from_millis(100);

/// The schema migrations, in order; migration `i` brings `user_version` from `i` to `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_policies.sql"),
    include_str!("../migrations/0003_roles.sql"),
    include_str!("../migrations/0004_covering_indexes.sql"),
    include_str!("../migrations/0005_user_key_lists.sql"),
    include_str!("../migrations/0006_groups.sql"),
    include_str!("../migrations/0007_instance_profiles.sql"),
    include_str!("../migrations/0008_permissions_boundaries.sql"),
    include_str!("../migrations/0009_aws_managed_policies.sql"),
    include_str!("../migrations/0010_account_aliases_service_roles.sql"),
    include_str!("../migrations/0011_role_last_used.sql"),
    include_str!("../migrations/0012_login_profiles.sql"),
    include_str!("../migrations/0013_mfa_devices.sql"),
    include_str!("../migrations/0014_service_credentials.sql"),
    include_str!("../migrations/0015_oidc_providers.sql"),
    include_str!("../migrations/0016_public_credentials.sql"),
    include_str!("../migrations/0017_server_certificates.sql"),
    include_str!("../migrations/0018_saml_providers.sql"),
    include_str!("../migrations/0019_oidc_identity_center.sql"),
    include_str!("../migrations/0020_sts_preferences.sql"),
];

pub(crate) struct Pool {
    path: PathBuf,
    /// Every user by name, in memory (`crate::directory`), kept by the writer.
    directory: Arc<Directory>,
    /// The directory's loader, while it may still run.
    loader: Option<std::thread::JoinHandle<()>>,
    writer: Writer,
    /// Shared with the writer thread, which tells them of commits and checkpoints.
    readers: Arc<Readers>,
    /// Held while the pool is open (`lock_database`); declared last, so released last.
    _lock: File,
}

impl Pool {
    /// Opens the database at `path` with `readers` read connections, and with the user
    /// directory if `with_directory`.
    pub(crate) fn open(path: &Path, readers: usize, with_directory: bool) -> Result<Pool, Fail> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::files::create_dir(dir).map_err(|e| {
                Fail::Data(format!("cannot create directory {}: {e}", dir.display()))
            })?;
        }
        let lock = lock_database(path)?;
        crate::files::prepare_database(path).map_err(Fail::Data)?;
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
        // Overwrite deleted and replaced content in the pages a write changes anyway (no
        // extra I/O), so that a secret re-sealed from `plain:` leaves no clear copy there.
        writer.pragma_update(None, "secure_delete", "FAST")?;
        migrate(&mut writer, path)?;

        let slots = (0..readers.max(1))
            .map(|_| {
                let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let conn = Connection::open_with_flags(path, flags)?;
                conn.busy_timeout(BUSY_TIMEOUT)?;
                conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
                conn.pragma_update(None, "foreign_keys", "ON")?;
                conn.pragma_update(None, "query_only", "ON")?;
                conn.pragma_update(None, "cache_size", -READER_CACHE_KIB)?;
                Ok(Mutex::new(Reader {
                    conn,
                    snapshot: None,
                }))
            })
            .collect::<Result<Vec<_>, Fail>>()?;
        let readers = Arc::new(Readers {
            slots,
            next: AtomicUsize::new(0),
            commits: AtomicU64::new(0),
        });
        let directory = Directory::new();
        let loader = if with_directory {
            directory.start(&writer, path)
        } else {
            None
        };
        let snapshots = Arc::clone(&readers) as Arc<dyn Snapshots>;
        Ok(Pool {
            path: path.to_owned(),
            writer: Writer::start(writer, snapshots, Arc::clone(&directory))?,
            directory,
            loader,
            readers,
            _lock: lock,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn directory(&self) -> &Directory {
        &self.directory
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

    /// Runs `op` in one read transaction (one consistent snapshot) on a reader; the
    /// snapshot holds every write this pool has acknowledged.
    ///
    /// In WAL mode a read never waits for the writer and takes microseconds, so when a
    /// reader is free the read runs right here on the calling (async) thread: a hand-off to
    /// the blocking pool would cost more than the read. Only when every reader is busy does
    /// the read wait for one, on the blocking pool.
    pub(crate) async fn read<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, Fail> + Send + 'static,
    {
        if let Some(mut reader) = self.readers.free() {
            return self
                .readers
                .read_on(&mut reader, op)
                .map_err(Fail::into_store);
        }
        let readers = Arc::clone(&self.readers);
        blocking(move || {
            let mut reader = readers.wait();
            readers.read_on(&mut reader, op)
        })
        .await
    }

    #[cfg(test)]
    fn reader(&self) -> MutexGuard<'_, Reader> {
        self.readers.wait()
    }
}

impl Drop for Pool {
    /// Stops a directory load under way and waits for it, so that nothing reads the file
    /// once the pool is gone; the writer then finishes its queue as its fields drop.
    fn drop(&mut self) {
        self.directory.close();
        if let Some(loader) = self.loader.take() {
            let _ = loader.join();
        }
    }
}

/// The read-only connections.
///
/// Starting and ending a read transaction is most of the cost of a point read once its
/// pages are cached: it takes and releases the WAL's read mark (`fcntl` locks, and a mutex
/// the readers contend on). So a reader keeps its transaction and answers later reads
/// from the same snapshot until this pool's writer commits (`committed`: the next read
/// then starts a new snapshot, which holds every acknowledged write), the snapshot is
/// [`SNAPSHOT_MAX_AGE`] old, or the writer checkpoints (`end_all`: a reader holding an old
/// snapshot would keep the WAL from being copied and started over).
pub(crate) struct Readers {
    slots: Vec<Mutex<Reader>>,
    next: AtomicUsize,
    /// Commits made by this pool's writer so far.
    commits: AtomicU64,
}

pub(crate) struct Reader {
    conn: Connection,
    /// The read transaction this reader has open, if any.
    snapshot: Option<Snapshot>,
}

#[derive(Clone, Copy)]
struct Snapshot {
    /// `Readers::commits` when it began: every write acknowledged by then is in it.
    commits: u64,
    began: Instant,
}

impl Readers {
    /// A free reader, if there is one. The first free one, rather than the next in turn:
    /// reads then gather on as few connections as the load needs, whose page caches hold
    /// more of what is read.
    fn free(&self) -> Option<MutexGuard<'_, Reader>> {
        self.slots.iter().find_map(|slot| match slot.try_lock() {
            Ok(guard) => Some(guard),
            Err(TryLockError::Poisoned(e)) => Some(recover(slot, e.into_inner())),
            Err(TryLockError::WouldBlock) => None,
        })
    }

    /// A free reader if there is one, else waits for one (round robin).
    fn wait(&self) -> MutexGuard<'_, Reader> {
        if let Some(reader) = self.free() {
            return reader;
        }
        lock(&self.slots[self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len()])
    }

    /// Runs `op` on `reader`, in its snapshot if that is still good, else in a new one.
    fn read_on<T>(
        &self,
        reader: &mut Reader,
        op: impl FnOnce(&Connection) -> Result<T, Fail>,
    ) -> Result<T, Fail> {
        let commits = self.commits.load(Ordering::Acquire);
        if let Some(snapshot) = reader.snapshot {
            if snapshot.commits != commits || snapshot.began.elapsed() >= SNAPSHOT_MAX_AGE {
                reader.end_snapshot()?;
            }
        }
        if reader.snapshot.is_none() {
            if !reader.conn.is_autocommit() {
                // A transaction left open (a panic, or a failed commit): end it first.
                execute(&reader.conn, "ROLLBACK")?;
            }
            // `commits` was read before the snapshot begins (at the first read), so the
            // snapshot holds at least the writes acknowledged by then.
            execute(&reader.conn, "BEGIN")?;
            reader.snapshot = Some(Snapshot {
                commits,
                began: Instant::now(),
            });
        }
        let result = op(&reader.conn);
        if result.is_err() {
            // Whatever went wrong, the next read starts afresh.
            let _ = reader.end_snapshot();
        }
        result
    }
}

impl Snapshots for Readers {
    fn committed(&self) {
        self.commits.fetch_add(1, Ordering::Release);
    }

    fn end_all(&self) {
        for slot in &self.slots {
            // If it cannot be ended here, the next read on it rolls it back first.
            let _ = lock(slot).end_snapshot();
        }
    }
}

impl Reader {
    fn end_snapshot(&mut self) -> rusqlite::Result<()> {
        self.snapshot = None;
        if self.conn.is_autocommit() {
            return Ok(());
        }
        // A read changes nothing: COMMIT just ends it.
        execute(&self.conn, "COMMIT")
    }
}

/// Waits for the reader in `slot`.
fn lock(slot: &Mutex<Reader>) -> MutexGuard<'_, Reader> {
    match slot.lock() {
        Ok(guard) => guard,
        Err(e) => recover(slot, e.into_inner()),
    }
}

/// A panic while a reader was held may have left its transaction in any state: the next
/// read starts a new one (`read_on` rolls back what is left open).
fn recover<'a>(slot: &Mutex<Reader>, mut reader: MutexGuard<'a, Reader>) -> MutexGuard<'a, Reader> {
    reader.snapshot = None;
    slot.clear_poison();
    reader
}

/// Takes the lock that makes this process the database's only server, held until the
/// returned file is dropped (the OS releases it if the process dies). Two processes could
/// share the file safely as far as SQLite goes, but each serves reads from its own caches
/// and kept snapshots, which only its own writes invalidate: a second `iamd serve` on the
/// same data directory is refused instead. Many nodes share a PostgreSQL database.
pub(crate) fn lock_database(path: &Path) -> Result<File, Fail> {
    let mut lock_path = path.as_os_str().to_owned();
    lock_path.push("-lock");
    let lock_path = PathBuf::from(lock_path);
    let file = crate::files::open_private(&lock_path).map_err(Fail::Data)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(Fail::Data(format!(
            "{} is in use by another process (it holds {}): one iamd serves a data \
             directory; for several nodes, use PostgreSQL",
            path.display(),
            lock_path.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(Fail::Data(format!(
            "cannot lock {}: {e}",
            lock_path.display()
        ))),
    }
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
    use crate::writer::CHECKPOINT_PERIOD;

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

    fn temp_dir() -> PathBuf {
        std::env::temp_dir().join(format!(
            "iamd-store-sqlite-pool-{}-{}",
            std::process::id(),
            time::OffsetDateTime::now_utc().unix_timestamp_nanos()
        ))
    }

    async fn count(pool: &Pool) -> i64 {
        pool.read(|c| Ok(c.query_row("SELECT count(*) FROM accounts", [], |r| r.get(0))?))
            .await
            .expect("read")
    }

    async fn add_account(pool: &Pool, id: String) {
        pool.write(move |c| {
            c.execute("INSERT INTO accounts VALUES (?1, 0)", [id])?;
            Ok(())
        })
        .await
        .expect("write");
    }

    #[tokio::test]
    async fn a_read_sees_every_acknowledged_write_though_its_reader_held_a_snapshot() {
        let dir = temp_dir();
        let pool = Pool::open(&dir.join("iamd.sqlite3"), 1, true).expect("open");
        add_account(&pool, "111111111111".to_owned()).await;
        assert_eq!(count(&pool).await, 1);
        assert!(
            pool.reader().snapshot.is_some(),
            "the one reader keeps its snapshot after the read"
        );
        add_account(&pool, "222222222222".to_owned()).await;
        assert_eq!(
            count(&pool).await,
            2,
            "the write acknowledged before is seen"
        );
        drop(pool);
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_starts_over_while_readers_keep_reading() {
        let dir = temp_dir();
        let path = dir.join("iamd.sqlite3");
        let pool = Arc::new(Pool::open(&path, 2, true).expect("open"));
        let reading = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (pool, reading) = (Arc::clone(&pool), Arc::clone(&reading));
                tokio::spawn(async move {
                    let mut reads = 0u64;
                    while reading.load(Ordering::Relaxed) {
                        count(&pool).await;
                        reads += 1;
                        tokio::task::yield_now().await;
                    }
                    reads
                })
            })
            .collect();
        // Writes of a page or more each for a dozen checkpoint periods, with reads going on.
        let started = Instant::now();
        let mut written = 0i64;
        while started.elapsed() < 12 * CHECKPOINT_PERIOD || written < 200 {
            let id = format!("{written:012}");
            pool.write(move |c| {
                c.execute("INSERT INTO accounts VALUES (?1, 0)", [id])?;
                c.execute("CREATE TABLE IF NOT EXISTS pad (b BLOB)", [])?;
                c.execute("INSERT INTO pad VALUES (zeroblob(4000))", [])?;
                Ok(())
            })
            .await
            .expect("write");
            written += 1;
        }
        reading.store(false, Ordering::Relaxed);
        for r in readers {
            assert!(r.await.expect("reader") > 0, "the readers read meanwhile");
        }
        // Every write appended at least two pages to the WAL (a `pad` page and an
        // `accounts` page): had the WAL never started over, it would now hold at least
        // twice as many frames as there were writes.
        let frames: i64 = Connection::open(&path)
            .and_then(|c| c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1)))
            .expect("wal frames");
        assert!(
            frames < written,
            "the WAL holds {frames} frames after {written} writes: it never started over"
        );
        assert_eq!(count(&pool).await, written);
        drop(pool);
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    #[tokio::test]
    async fn one_pool_at_a_time_serves_a_database() {
        let dir = temp_dir();
        let path = dir.join("iamd.sqlite3");
        let first = Pool::open(&path, 1, true).expect("open");
        let refused = Pool::open(&path, 1, true)
            .err()
            .expect("a second pool on the same file is refused");
        let why = refused.into_store().to_string();
        assert!(why.contains("in use by another process"), "{why}");
        drop(first);
        drop(Pool::open(&path, 1, true).expect("free again once the first is closed"));
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    #[tokio::test]
    async fn connections_are_durable_and_checked() {
        let dir = temp_dir();
        let pool = Pool::open(&dir.join("iamd.sqlite3"), 2, true).expect("open");
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
        assert_eq!(pragma(&reader.conn, "query_only"), "1");
        assert!(
            reader.conn.execute("DELETE FROM accounts", []).is_err(),
            "readers cannot write"
        );
        drop(reader);
        drop(pool);
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
