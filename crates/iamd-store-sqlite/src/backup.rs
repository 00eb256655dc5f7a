//! Backups of the embedded database (`iamd backup`, `iamd restore`).
//!
//! A backup is taken with `VACUUM INTO` on a connection of its own: one read transaction,
//! so one consistent snapshot holding every write committed before it began, taken while
//! a server keeps serving (WAL lets a reader in another process run beside the writer;
//! the backup takes no lock and writes nothing to the database). The copy then gets a
//! table, `iamd_backup`, that marks it as an iamd backup and records its schema version
//! and the master keys its secrets are sealed under (their ids, never the keys). A
//! backup appears at its path whole or not at all.
//!
//! A restore needs the data directory free (it takes the lock a server holds), checks the
//! file (SQLite's integrity check, the mark, a schema version this iamd knows, and that
//! the master keys given open a secret sealed under each key it needs), and then replaces
//! the database in one rename, keeping the previous one beside it.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use iamd_store::secret::{Keyring, SealedSecret, SecretError};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use time::OffsetDateTime;

use crate::pool::{lock_database, MIGRATIONS};
use crate::secrets::TABLES;

/// The table that marks a file as an iamd backup.
const MARK_TABLE: &str = "iamd_backup";
/// The form of `MARK_TABLE`'s contents.
const FORMAT: &str = "1";

/// What a backup holds, as recorded in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupInfo {
    /// The database's schema version (SQLite's `user_version`).
    pub schema_version: i64,
    /// When the backup was taken (its snapshot is at least as new).
    pub created: OffsetDateTime,
    /// The account the database serves, if it has one yet.
    pub account_id: Option<String>,
    /// The ids of the master keys that sealed its secrets (`MasterKey::id`), sorted: a
    /// server needs each of them to use the restored database.
    pub master_key_ids: Vec<String>,
    /// Secrets still in clear text (stored by a version before encryption at rest).
    pub plain_secrets: u64,
}

/// Writes a consistent copy of the database at `db` to `to` (which must not exist), mode
/// 0600, while a server may be serving it.
pub fn backup(db: &Path, to: &Path) -> Result<BackupInfo, String> {
    if !db.is_file() {
        return Err(format!("no database at {}", db.display()));
    }
    if to.exists() {
        return Err(format!(
            "{} exists: a backup never replaces a file",
            to.display()
        ));
    }
    let partial = aside(to, "partial");
    let result = (|| {
        // VACUUM INTO fills an empty file, which is created here to get its mode.
        drop(create_new(&partial)?);
        copy_snapshot(db, &partial)?;
        let info = mark(&partial)?;
        File::open(&partial)
            .and_then(|f| f.sync_all())
            .map_err(|e| format!("cannot write {}: {e}", partial.display()))?;
        // A link fails if `to` appeared meanwhile: it is never replaced.
        std::fs::hard_link(&partial, to)
            .map_err(|e| format!("cannot create {}: {e}", to.display()))?;
        sync_dir(to);
        Ok(info)
    })();
    let _ = std::fs::remove_file(&partial);
    result
}

/// What the backup at `file` holds, after checking that it is one this iamd can restore.
pub fn inspect(file: &Path) -> Result<BackupInfo, String> {
    let conn = open_backup(file, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    check(&conn, file)
}

/// Replaces the database at `db` by the backup at `from`, once it has checked it and that
/// `keyring` opens its secrets. Refused while a server holds the database. The previous
/// database, if any, is kept as `<db>.pre-restore-<unix time>`, returned with the
/// backup's description.
pub fn restore(
    from: &Path,
    db: &Path,
    keyring: &Keyring,
) -> Result<(BackupInfo, Option<PathBuf>), String> {
    if !from.is_file() {
        return Err(format!("no backup at {}", from.display()));
    }
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::files::create_dir(dir)
            .map_err(|e| format!("cannot create directory {}: {e}", dir.display()))?;
    }
    let served = || {
        format!(
            "{} is served by another process (it holds {}): stop the server before restoring",
            db.display(),
            side_file(db, "-lock").display()
        )
    };
    if self::served(db)? {
        return Err(served());
    }
    let _lock = lock_database(db).map_err(|e| match e {
        // Taken since the look above.
        crate::queries::Fail::Data(_) => served(),
        other => other.into_store().to_string(),
    })?;
    let incoming = aside(db, "restore");
    let result = (|| {
        let mut source =
            File::open(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
        let mut copy = create_new(&incoming)?;
        std::io::copy(&mut source, &mut copy)
            .and_then(|_| copy.sync_all())
            .map_err(|e| {
                format!(
                    "cannot copy {} to {}: {e}",
                    from.display(),
                    incoming.display()
                )
            })?;
        drop(copy);
        let info = {
            let conn = open_backup(&incoming, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
            let info = check(&conn, from)?;
            let (sealed, _) = sealed_secrets(&conn)?;
            for (key_id, sample) in &sealed {
                match sample.open(keyring) {
                    Ok(_) => {}
                    Err(SecretError::UnknownKey(_)) => {
                        return Err(format!(
                            "the backup's secrets are sealed under master key {key_id}, which \
                             was not given: give it with --master-key-file (or put it in the \
                             data directory's master.key)"
                        ))
                    }
                    Err(e) => {
                        return Err(format!(
                            "a secret sealed under master key {key_id} does not open with the \
                             key given of that id: {e}"
                        ))
                    }
                }
            }
            conn.execute_batch(&format!("DROP TABLE {MARK_TABLE}"))
                .map_err(|e| sql_error(&incoming, e))?;
            info
        };
        File::open(&incoming)
            .and_then(|f| f.sync_all())
            .map_err(|e| format!("cannot write {}: {e}", incoming.display()))?;
        let kept = keep_previous(db)?;
        std::fs::rename(&incoming, db).map_err(|e| {
            format!(
                "cannot move {} to {}: {e}",
                incoming.display(),
                db.display()
            )
        })?;
        sync_dir(db);
        Ok((info, kept))
    })();
    let _ = std::fs::remove_file(&incoming);
    result
}

/// Whether a process (a server, a restore, an admin command) holds the database at `db`
/// now: the lock `SqliteStore::open` takes. Only a hint, as it may be taken or released
/// right after; operations that need the database free take the lock themselves.
pub fn served(db: &Path) -> Result<bool, String> {
    let lock = side_file(db, "-lock");
    let file = match File::open(&lock) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(format!("cannot open {}: {e}", lock.display())),
    };
    match file.try_lock_shared() {
        Ok(()) => Ok(false),
        Err(std::fs::TryLockError::WouldBlock) => Ok(true),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(format!("cannot read the lock {}: {e}", lock.display()))
        }
    }
}

/// `VACUUM INTO` on a connection of its own: one snapshot of the database.
fn copy_snapshot(db: &Path, to: &Path) -> Result<(), String> {
    // Read-write (not created), so that it can share the WAL index with a running server
    // exactly as its readers do; it never writes to the database.
    let conn = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| sql_error(db, e))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(|e| sql_error(db, e))?;
    let to = to
        .to_str()
        .ok_or_else(|| format!("{} is not a UTF-8 path", to.display()))?;
    conn.execute("VACUUM INTO ?1", [to])
        .map_err(|e| sql_error(db, e))?;
    Ok(())
}

/// Records what the copy at `path` holds in it.
fn mark(path: &Path) -> Result<BackupInfo, String> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
        .map_err(|e| sql_error(path, e))?;
    let failed = |e| sql_error(path, e);
    let schema_version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(failed)?;
    if schema_version == 0 {
        return Err(format!("{} holds no iamd schema", path.display()));
    }
    let (sealed, plain_secrets) = sealed_secrets(&conn)?;
    let info = BackupInfo {
        schema_version,
        created: OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH),
        account_id: crate::queries::served_account(&conn)
            .map_err(|e| e.into_store().to_string())?
            .map(|a| a.account_id),
        master_key_ids: sealed.into_keys().collect(),
        plain_secrets,
    };
    let created = info
        .created
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| e.to_string())?;
    conn.execute_batch(&format!(
        "CREATE TABLE {MARK_TABLE} (name TEXT PRIMARY KEY, value TEXT NOT NULL)"
    ))
    .map_err(failed)?;
    let rows = [
        ("format", FORMAT.to_owned()),
        ("created", created),
        ("schema_version", schema_version.to_string()),
        ("account_id", info.account_id.clone().unwrap_or_default()),
        ("master_key_ids", info.master_key_ids.join(",")),
        ("plain_secrets", plain_secrets.to_string()),
        ("iamd_version", env!("CARGO_PKG_VERSION").to_owned()),
    ];
    for (name, value) in rows {
        conn.execute(
            &format!("INSERT INTO {MARK_TABLE} (name, value) VALUES (?1, ?2)"),
            [name, value.as_str()],
        )
        .map_err(failed)?;
    }
    Ok(info)
}

/// Checks that `conn` is an intact iamd backup this iamd can restore, and reads its mark.
fn check(conn: &Connection, file: &Path) -> Result<BackupInfo, String> {
    let not_ours = |why: &str| {
        format!(
            "{} is not an iamd backup ({why}); a backup is made by `iamd backup`",
            file.display()
        )
    };
    let integrity: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| not_ours(&e.to_string()))?;
    if integrity != "ok" {
        return Err(format!(
            "{} is damaged (SQLite's check: {integrity})",
            file.display()
        ));
    }
    let marked: Option<String> = conn
        .query_row(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name = ?1",
            [MARK_TABLE],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| not_ours(&e.to_string()))?;
    if marked.is_none() {
        return Err(not_ours("it has no iamd_backup table"));
    }
    let mut values = BTreeMap::new();
    let mut stmt = conn
        .prepare(&format!("SELECT name, value FROM {MARK_TABLE}"))
        .map_err(|e| not_ours(&e.to_string()))?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .map_err(|e| not_ours(&e.to_string()))?;
    for row in rows {
        let (name, value) = row.map_err(|e| not_ours(&e.to_string()))?;
        values.insert(name, value);
    }
    let value = |name: &str| {
        values
            .get(name)
            .cloned()
            .ok_or_else(|| not_ours(&format!("its mark has no {name}")))
    };
    if value("format")? != FORMAT {
        return Err(format!(
            "{} is a backup in a form this iamd does not know (format {})",
            file.display(),
            value("format")?
        ));
    }
    let schema_version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| not_ours(&e.to_string()))?;
    let known = MIGRATIONS.len() as i64;
    if !(1..=known).contains(&schema_version) {
        return Err(format!(
            "{} has schema version {schema_version}; this iamd knows versions 1 to {known}",
            file.display()
        ));
    }
    if value("schema_version")? != schema_version.to_string() {
        return Err(not_ours("its recorded schema version is not its own"));
    }
    let created = OffsetDateTime::parse(
        &value("created")?,
        &time::format_description::well_known::Rfc3339,
    )
    .map_err(|_| not_ours("its creation time is malformed"))?;
    let account_id = Some(value("account_id")?).filter(|a| !a.is_empty());
    let master_key_ids = value("master_key_ids")?
        .split(',')
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect();
    let plain_secrets = value("plain_secrets")?
        .parse()
        .map_err(|_| not_ours("its count of clear-text secrets is malformed"))?;
    Ok(BackupInfo {
        schema_version,
        created,
        account_id,
        master_key_ids,
        plain_secrets,
    })
}

/// One sealed secret for each master key that sealed any (by key id), and how many
/// secrets are in clear text.
fn sealed_secrets(conn: &Connection) -> Result<(BTreeMap<String, SealedSecret>, u64), String> {
    let mut sealed = BTreeMap::new();
    let mut plain = 0;
    for t in TABLES {
        let exists: Option<String> = conn
            .query_row(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name = ?1",
                [t.table],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| e.to_string())?;
        if exists.is_none() {
            // An older schema, before this kind of secret.
            continue;
        }
        let mut stmt = conn
            .prepare(&format!("SELECT {} FROM {}", t.secret, t.table))
            .map_err(|e| e.to_string())?;
        let mut rows = stmt.query([]).map_err(|e| e.to_string())?;
        while let Some(row) = rows.next().map_err(|e| e.to_string())? {
            let Some(stored) = row.get::<_, Option<String>>(0).map_err(|e| e.to_string())? else {
                continue;
            };
            let secret = SealedSecret::from_stored(stored);
            if secret.is_plain() {
                plain += 1;
            } else if let Some(id) = secret.key_id() {
                if !sealed.contains_key(id) {
                    sealed.insert(id.to_owned(), secret.clone());
                }
            }
        }
    }
    Ok((sealed, plain))
}

/// Opens a backup file, refusing anything that is not an SQLite database.
fn open_backup(file: &Path, flags: OpenFlags) -> Result<Connection, String> {
    let conn = Connection::open_with_flags(file, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|e| format!("cannot open {}: {e}", file.display()))?;
    // Reading the schema fails at once on a file that is not a database.
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|e| {
        format!(
            "{} is not an iamd backup ({e}); a backup is made by `iamd backup`",
            file.display()
        )
    })?;
    Ok(conn)
}

/// Keeps the database at `db`, if there is one, as `<db>.pre-restore-<unix time>` (a
/// hard link: `db` stays until the restored file replaces it). Its WAL is checkpointed
/// into it first, so that nothing committed is left only in the WAL, which is then removed
/// with its index: the restored file must not meet the old file's WAL.
fn keep_previous(db: &Path) -> Result<Option<PathBuf>, String> {
    if !db.exists() {
        return Ok(None);
    }
    {
        let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_WRITE)
            .map_err(|e| sql_error(db, e))?;
        let (busy, _, _): (i64, i64, i64) = conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .map_err(|e| {
                format!(
                    "cannot checkpoint the current database {} before replacing it: {e}; move \
                     it away by hand (with its -wal file) and restore again",
                    db.display()
                )
            })?;
        if busy != 0 {
            return Err(format!(
                "{} is in use: its WAL could not be checkpointed",
                db.display()
            ));
        }
    }
    let stamp = OffsetDateTime::now_utc().unix_timestamp();
    let kept = side_file(db, &format!(".pre-restore-{stamp}"));
    std::fs::hard_link(db, &kept).map_err(|e| {
        format!(
            "cannot keep the current database as {}: {e}",
            kept.display()
        )
    })?;
    for suffix in ["-wal", "-shm"] {
        match std::fs::remove_file(side_file(db, suffix)) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot remove {}{suffix}: {e}", db.display())),
        }
    }
    Ok(Some(kept))
}

/// `path` with `suffix` appended to its file name.
fn side_file(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// A hidden file beside `path` for work in progress: `.<name>.<pid>.<what>`.
fn aside(path: &Path, what: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.{what}", std::process::id()))
}

/// Creates `path` (mode 0600); fails if it exists.
fn create_new(path: &Path) -> Result<File, String> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, crate::files::FILE_MODE);
    options
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))
}

/// Makes a rename or link in `path`'s directory durable (best effort).
fn sync_dir(path: &Path) {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
}

fn sql_error(path: &Path, e: rusqlite::Error) -> String {
    format!("{}: {e}", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqliteStore;
    use iamd_store::model::{KeyOwner, NewAccessKey};
    use iamd_store::secret::SecretKey;
    use iamd_store::Store;

    fn temp_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "iamd-store-sqlite-backup-{}-{}",
            std::process::id(),
            OffsetDateTime::now_utc().unix_timestamp_nanos()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    async fn bootstrapped(path: &Path, keyring: &Keyring) -> SqliteStore {
        let store = SqliteStore::open(path).expect("open");
        let key = NewAccessKey {
            access_key_id: "AKIAROOTBACKUPTEST01".into(),
            account_id: "123456789012".into(),
            owner: KeyOwner::Root,
            secret: SecretKey::new("root-secret".into()).seal(keyring),
            create_date: OffsetDateTime::UNIX_EPOCH,
        };
        store
            .bootstrap_account("123456789012", key)
            .await
            .expect("bootstrap");
        store
    }

    #[tokio::test]
    async fn a_backup_of_a_served_database_restores_once_it_is_free() {
        let dir = temp_dir();
        let keyring = Keyring::generate();
        let db = dir.join("a/iamd.sqlite3");
        let store = bootstrapped(&db, &keyring).await;

        let file = dir.join("backup.db");
        let info = backup(&db, &file).expect("backup while the store is open");
        assert_eq!(info.schema_version, MIGRATIONS.len() as i64);
        assert_eq!(info.account_id.as_deref(), Some("123456789012"));
        assert_eq!(info.master_key_ids, vec![keyring.current_id().to_owned()]);
        assert_eq!(inspect(&file).expect("inspect"), info);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "a backup holds sealed secrets");
        }
        let again = backup(&db, &file).expect_err("an existing file is never replaced");
        assert!(again.contains("never replaces"), "{again}");

        assert!(
            served(&db).expect("lock"),
            "the open store holds the database"
        );
        let held = restore(&file, &db, &keyring).expect_err("refused while served");
        assert!(held.contains("served by another process"), "{held}");
        let other = Keyring::generate();
        let target = dir.join("b/iamd.sqlite3");
        let why = restore(&file, &target, &other).expect_err("the wrong master key");
        assert!(why.contains(keyring.current_id()), "{why}");
        assert!(!target.exists(), "nothing is written when the check fails");

        let (restored, kept) = restore(&file, &target, &keyring).expect("restore");
        assert_eq!(restored, info);
        assert_eq!(kept, None);
        drop(store);
        let store = SqliteStore::open(&target).expect("open the restored database");
        let credential = store
            .get_credential("AKIAROOTBACKUPTEST01")
            .await
            .expect("read")
            .expect("the root key is there");
        assert_eq!(
            credential.secret.open(&keyring).expect("opens").expose(),
            "root-secret"
        );
        drop(store);

        assert!(!served(&db).expect("lock"), "free once the store is closed");
        // Over an existing database: the old one is kept beside it.
        let (_, kept) = restore(&file, &db, &keyring).expect("restore over the original");
        let kept = kept.expect("the previous database is kept");
        assert!(kept.exists() && db.exists());
        drop(SqliteStore::open(&kept).expect("the kept database opens"));

        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn files_that_are_not_iamd_backups_are_refused() {
        let dir = temp_dir();
        let junk = dir.join("junk");
        std::fs::write(
            &junk,
            b"not a database at all, just some bytes .................",
        )
        .expect("write");
        let why = inspect(&junk).expect_err("junk");
        assert!(why.contains("not an iamd backup"), "{why}");
        let other = dir.join("other.sqlite3");
        Connection::open(&other)
            .and_then(|c| c.execute_batch("CREATE TABLE t (x); PRAGMA user_version = 3;"))
            .expect("another database");
        let why = inspect(&other).expect_err("a database without the mark");
        assert!(why.contains("no iamd_backup table"), "{why}");
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
