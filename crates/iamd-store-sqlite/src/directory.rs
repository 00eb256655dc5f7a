//! The user directory: every user's row (name, id, path, creation time, key list, tags)
//! held in memory, so that reading a user by name (GetUser, ListAccessKeys, every call that
//! names a user) never waits on SQLite, however many users there are.
//!
//! With a million users and a uniformly random one per request, almost every such read
//! missed `CachingStore` and read an index leaf from the OS (a `pread`, SQLite's page
//! cache and B-tree walk): a third of the request's time. One process serves a data
//! directory (`pool::lock_database`) and every write goes through its writer thread, so
//! the directory can be exact rather than a cache with a time to live:
//!
//! - **Changes** are recorded by temporary triggers on the writer's connection (a user
//!   inserted, updated or deleted, its tags changed; a key change updates the user's
//!   `key_list` row through the triggers of schema version 5) into `temp.directory_changes`,
//!   inside the write's own savepoint, so a write that fails records nothing. The writer
//!   takes them out before each `COMMIT` and applies them after it, re-reading each changed
//!   row, before it acknowledges any write of the batch: a read that starts after a write
//!   was acknowledged finds it.
//! - **Loading** runs on a thread of its own at start-up, on its own connection, while the
//!   server already serves (reads go to SQLite until it is done). Changes committed
//!   meanwhile are kept and re-read once the load is done, so none is lost to the load's
//!   older snapshot.
//! - **What it does not hold**: anything else than users by name (with their tags), and
//!   secrets. If a change cannot be applied, the directory turns itself off and every read
//!   goes to SQLite again.
//!
//! Each user costs one allocation of its row as text (`Entry`: 128 bytes for the
//! benchmark's seeded users) and 16 bytes of table: about 165 MB at a million users, and
//! iamd's resident memory 180 MB once they are loaded, against the 300 MB budget of
//! `BENCHMARKS.md`. Secrets are not held: signing keys are still read from SQLite.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread;

use hashbrown::HashTable;
use iamd_store::model::{AccessKey, KeyStatus, Tag, User};
use rusqlite::{params, Connection, OpenFlags, Row};

use crate::queries::{time_of, time_of_ms, Fail};
use crate::writer::execute;

/// The writer connection's temporary schema that records changes (see the module docs).
/// A key is `<account_id> TAB <user_name_lower>`; TAB occurs in neither.
const WATCH: &str = "
    CREATE TEMP TABLE IF NOT EXISTS directory_changes (
        old_key   TEXT,     -- a user no longer under this name (updated or deleted)
        new_rowid INTEGER   -- a user row to re-read (inserted, updated or re-tagged)
    );
    CREATE TEMP TRIGGER IF NOT EXISTS directory_user_inserted AFTER INSERT ON main.users
    BEGIN INSERT INTO directory_changes VALUES (NULL, NEW.rowid); END;
    CREATE TEMP TRIGGER IF NOT EXISTS directory_user_updated AFTER UPDATE ON main.users
    BEGIN
        INSERT INTO directory_changes
        VALUES (OLD.account_id || char(9) || OLD.user_name_lower, NEW.rowid);
    END;
    CREATE TEMP TRIGGER IF NOT EXISTS directory_user_deleted AFTER DELETE ON main.users
    BEGIN
        INSERT INTO directory_changes
        VALUES (OLD.account_id || char(9) || OLD.user_name_lower, NULL);
    END;
    CREATE TEMP TRIGGER IF NOT EXISTS directory_tag_inserted AFTER INSERT ON main.user_tags
    BEGIN
        INSERT INTO directory_changes
        SELECT NULL, rowid FROM main.users WHERE user_id = NEW.user_id;
    END;
    CREATE TEMP TRIGGER IF NOT EXISTS directory_tag_deleted AFTER DELETE ON main.user_tags
    BEGIN
        INSERT INTO directory_changes
        SELECT NULL, rowid FROM main.users WHERE user_id = OLD.user_id;
    END;
    CREATE TEMP TRIGGER IF NOT EXISTS directory_tag_updated AFTER UPDATE ON main.user_tags
    BEGIN
        INSERT INTO directory_changes
        SELECT NULL, rowid FROM main.users WHERE user_id IN (OLD.user_id, NEW.user_id);
    END;
";

const UNWATCH: &str = "
    DROP TRIGGER IF EXISTS temp.directory_user_inserted;
    DROP TRIGGER IF EXISTS temp.directory_user_updated;
    DROP TRIGGER IF EXISTS temp.directory_user_deleted;
    DROP TRIGGER IF EXISTS temp.directory_tag_inserted;
    DROP TRIGGER IF EXISTS temp.directory_tag_deleted;
    DROP TRIGGER IF EXISTS temp.directory_tag_updated;
    DROP TABLE IF EXISTS temp.directory_changes;
";

/// A user row as the directory reads it.
macro_rules! entry_select {
    () => {
        "SELECT account_id, user_name_lower, user_id, user_name, path, create_date, key_list,
                (SELECT group_concat(t.key || char(31) || t.value, char(30) ORDER BY t.position)
                 FROM user_tags t WHERE t.user_id = users.user_id)
         FROM users"
    };
}

/// What a read finds in the directory.
pub(crate) enum Lookup<T> {
    Found(T),
    /// There is no such user.
    Missing,
    /// Not loaded yet, turned off, or a user it does not hold: ask SQLite.
    Unknown,
}

impl<T> Lookup<T> {
    /// The answer, `None` (no such user) included, if the directory has one.
    pub(crate) fn answer(self) -> Option<Option<T>> {
        match self {
            Lookup::Found(found) => Some(Some(found)),
            Lookup::Missing => Some(None),
            Lookup::Unknown => None,
        }
    }
}

/// One committed change, as the writer's temporary triggers recorded it.
pub(crate) enum Change {
    /// A user no longer under this key.
    Gone(Box<str>),
    /// A user row to read again.
    Written(i64),
}

pub(crate) struct Directory {
    state: RwLock<State>,
    /// Set when the pool closes: a load under way stops.
    closed: AtomicBool,
    /// Changes committed during the load and applied after it (tests check that the
    /// case they mean to cover happened).
    #[cfg(test)]
    reconciled: std::sync::atomic::AtomicUsize,
    /// The writer's change triggers are dropped (the directory is off).
    unwatched: AtomicBool,
}

#[derive(Default)]
struct State {
    /// Every user, once loaded.
    table: Option<Users>,
    /// While loading: the changes committed since the load began.
    pending: Option<Vec<Change>>,
    /// Turned off for good (a change could not be applied, or the load failed).
    off: bool,
}

/// Every user, by account, then by lower-cased name.
struct Users {
    accounts: HashMap<Box<str>, HashTable<Entry>>,
    hasher: RandomState,
    /// The capacity a new account's table starts with: the number of users the load
    /// counted for the first one (growing a table of a million entries step by step
    /// would leave the smaller tables' memory behind), 0 after.
    reserve: usize,
}

/// A user: `name_lower TAB user_id TAB user_name TAB path TAB create_date TAB keys TAB
/// tags`, where `user_name` is empty when it equals `name_lower`, `keys` is the user's
/// `key_list` with each status as one letter (`A`, `I`) and `tags` its tags in order (see
/// `entry_of`); or only its first field, for a user the directory does not hold.
struct Entry(Box<str>);

impl Entry {
    /// Whether this is the entry of `lower` (without splitting the text).
    fn is(&self, lower: &str) -> bool {
        let text = self.0.as_bytes();
        text.starts_with(lower.as_bytes()) && text.get(lower.len()).is_none_or(|&c| c == b'\t')
    }

    fn lower(&self) -> &str {
        self.0.split('\t').next().unwrap_or_default()
    }
}

impl Users {
    fn new(reserve: usize) -> Users {
        Users {
            accounts: HashMap::new(),
            hasher: RandomState::new(),
            reserve,
        }
    }

    fn get(&self, account_id: &str, lower: &str) -> Option<&Entry> {
        let table = self.accounts.get(account_id)?;
        table.find(self.hasher.hash_one(lower), |e| e.is(lower))
    }

    fn insert(&mut self, account_id: &str, entry: Entry) {
        let table = match self.accounts.get_mut(account_id) {
            Some(table) => table,
            None => {
                let table = HashTable::with_capacity(std::mem::take(&mut self.reserve));
                self.accounts.entry(account_id.into()).or_insert(table)
            }
        };
        let hash = self.hasher.hash_one(entry.lower());
        match table.find_mut(hash, |e| e.is(entry.lower())) {
            Some(old) => *old = entry,
            None => {
                let hasher = &self.hasher;
                table.insert_unique(hash, entry, |e| hasher.hash_one(e.lower()));
            }
        }
    }

    fn remove(&mut self, account_id: &str, lower: &str) {
        let Some(table) = self.accounts.get_mut(account_id) else {
            return;
        };
        if let Ok(found) = table.find_entry(self.hasher.hash_one(lower), |e| e.is(lower)) {
            found.remove();
        }
    }

    fn len(&self) -> usize {
        self.accounts.values().map(HashTable::len).sum()
    }
}

impl Directory {
    /// A directory that holds nothing until `start`ed.
    pub(crate) fn new() -> Arc<Directory> {
        Arc::new(Directory {
            state: RwLock::new(State {
                off: true,
                ..State::default()
            }),
            closed: AtomicBool::new(false),
            #[cfg(test)]
            reconciled: std::sync::atomic::AtomicUsize::new(0),
            unwatched: AtomicBool::new(false),
        })
    }

    /// Sets up the writer connection's change triggers and starts loading on a thread of
    /// its own, reading `path` on a connection of its own. Without the triggers there is
    /// no directory: reads go to SQLite.
    pub(crate) fn start(
        self: &Arc<Directory>,
        writer: &Connection,
        path: &std::path::Path,
    ) -> Option<thread::JoinHandle<()>> {
        if let Err(e) = writer.execute_batch(WATCH) {
            tracing::warn!(error = %e, "no in-memory user directory: reads go to SQLite");
            self.turn_off();
            return None;
        }
        // Record changes from now on: the load's snapshot begins after this.
        {
            let mut state = self.write();
            state.off = false;
            state.pending = Some(Vec::new());
        }
        let directory = Arc::clone(self);
        let path = path.to_owned();
        let started = std::time::Instant::now();
        let spawned = thread::Builder::new()
            .name("iamd-sqlite-directory".to_owned())
            .spawn(move || match directory.load(&path) {
                Ok(Some(users)) => tracing::info!(
                    users,
                    ms = started.elapsed().as_millis() as u64,
                    "user directory loaded"
                ),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %e.into_store(), "cannot load the user directory: reads go to SQLite");
                    directory.turn_off();
                }
            });
        match spawned {
            Ok(handle) => Some(handle),
            Err(e) => {
                tracing::warn!(error = %e, "cannot start the user directory's loader");
                self.turn_off();
                None
            }
        }
    }

    /// Whether reads are answered from memory (loaded, and not turned off).
    pub(crate) fn loaded(&self) -> bool {
        self.read().table.is_some()
    }

    /// Stops a load under way (the pool is closing).
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
    }

    /// A user by name, as `queries::get_user` would read it.
    pub(crate) fn user(&self, account_id: &str, user_name: &str) -> Lookup<User> {
        self.find(account_id, user_name, |text| {
            Some(user_of(account_id, text)?.0)
        })
    }

    /// A user by name with its keys, as `queries::get_user_with_keys` would read them.
    pub(crate) fn user_with_keys(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Lookup<(User, Vec<AccessKey>)> {
        self.find(account_id, user_name, |text| {
            let (user, keys) = user_of(account_id, text)?;
            let keys = keys_of(&user, keys)?;
            Some((user, keys))
        })
    }

    /// `read` applied to the entry of `user_name` (any case) in `account_id`.
    fn find<T>(
        &self,
        account_id: &str,
        user_name: &str,
        read: impl FnOnce(&str) -> Option<T>,
    ) -> Lookup<T> {
        let lower = user_name.to_lowercase();
        let state = self.read();
        let Some(users) = &state.table else {
            return Lookup::Unknown;
        };
        let Some(entry) = users.get(account_id, &lower) else {
            return Lookup::Missing;
        };
        match read(&entry.0) {
            Some(found) => Lookup::Found(found),
            None => Lookup::Unknown,
        }
    }

    /// Takes the changes the writer's triggers recorded in the transaction under way;
    /// called before `COMMIT`, so that they leave the table in the same commit.
    pub(crate) fn take_changes(&self, conn: &Connection) -> Option<Vec<Change>> {
        if self.read().off {
            return None;
        }
        let taken = (|| -> rusqlite::Result<Vec<Change>> {
            let mut stmt =
                conn.prepare_cached("SELECT old_key, new_rowid FROM temp.directory_changes")?;
            let mut changes = Vec::new();
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                if let Some(key) = row.get::<_, Option<String>>(0)? {
                    changes.push(Change::Gone(key.into()));
                }
                if let Some(rowid) = row.get::<_, Option<i64>>(1)? {
                    changes.push(Change::Written(rowid));
                }
            }
            if !changes.is_empty() {
                execute(conn, "DELETE FROM temp.directory_changes")?;
            }
            Ok(changes)
        })();
        match taken {
            Ok(changes) => Some(changes),
            Err(e) => {
                tracing::warn!(error = %e, "user directory: cannot read its changes; turned off");
                self.turn_off();
                None
            }
        }
    }

    /// Applies changes just committed (`take_changes` before the `COMMIT`), reading the
    /// changed rows on `conn`, the writer's, outside any transaction: as committed.
    pub(crate) fn apply(&self, conn: &Connection, changes: Option<Vec<Change>>) {
        let mut state = self.write();
        if state.off {
            drop(state);
            self.unwatch(conn);
            return;
        }
        let changes = changes.unwrap_or_default();
        if changes.is_empty() {
            return;
        }
        if let Some(pending) = &mut state.pending {
            pending.extend(changes);
            return;
        }
        let Some(table) = &mut state.table else {
            return;
        };
        if let Err(e) = apply_to(table, conn, changes) {
            tracing::warn!(error = %e.into_store(), "user directory: cannot apply a change; turned off");
            state.table = None;
            state.off = true;
            drop(state);
            self.unwatch(conn);
        }
    }

    /// Reads every user on a connection of its own, then the rows changed meanwhile.
    /// `Ok(None)`: stopped because the pool closed.
    fn load(&self, path: &std::path::Path) -> Result<Option<usize>, Fail> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)?;
        conn.pragma_update(None, "query_only", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch("BEGIN")?;
        let count: i64 = conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?;
        let mut table = Users::new(usize::try_from(count).unwrap_or(0));
        {
            let mut stmt = conn.prepare(entry_select!())?;
            let mut rows = stmt.query([])?;
            let mut n = 0usize;
            while let Some(row) = rows.next()? {
                n += 1;
                if n.is_multiple_of(4096) && self.closed.load(Ordering::Relaxed) {
                    return Ok(None);
                }
                let (account_id, entry) = entry_of(row)?;
                table.insert(&account_id, entry);
            }
            drop(rows);
            drop(stmt);
            conn.execute_batch("COMMIT")?;
        }
        // Now the rows changed since the load began, read as committed now, with the
        // writer held off (it waits for this lock before acknowledging its next batch).
        let mut state = self.write();
        if state.off {
            return Ok(None);
        }
        let pending = state.pending.take().unwrap_or_default();
        #[cfg(test)]
        self.reconciled.store(pending.len(), Ordering::Relaxed);
        apply_to(&mut table, &conn, pending)?;
        let users = table.len();
        state.table = Some(table);
        Ok(Some(users))
    }

    fn turn_off(&self) {
        let mut state = self.write();
        state.off = true;
        state.table = None;
        state.pending = None;
    }

    /// Once turned off, stops recording changes on the writer's connection.
    fn unwatch(&self, conn: &Connection) {
        if self.unwatched.swap(true, Ordering::Relaxed) {
            return;
        }
        if let Err(e) = conn.execute_batch(UNWATCH) {
            tracing::warn!(error = %e, "user directory: cannot drop its triggers");
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// Applies `changes` in order of kind: first every name given up, then every changed row
/// as it reads now (a row deleted since reads as nothing). A rename and a new user taking
/// the old name in one batch thus end as both now are.
fn apply_to(users: &mut Users, conn: &Connection, changes: Vec<Change>) -> Result<(), Fail> {
    let mut written = Vec::new();
    for change in changes {
        match change {
            Change::Gone(key) => {
                let (account_id, lower) = key.split_once('\t').unwrap_or((&key, ""));
                users.remove(account_id, lower);
            }
            Change::Written(rowid) => written.push(rowid),
        }
    }
    written.sort_unstable();
    written.dedup();
    let mut stmt = conn.prepare_cached(concat!(entry_select!(), " WHERE rowid = ?1"))?;
    for rowid in written {
        if let Some(row) = stmt.query(params![rowid])?.next()? {
            let (account_id, entry) = entry_of(row)?;
            users.insert(&account_id, entry);
        }
    }
    Ok(())
}

/// A row of `entry_select!`: its account and entry. User names are `[\w+=,.@-]+` and tags
/// `[\p{L}\p{Z}\p{N}_.:/=+\-@]*` (`validate`), so neither TAB nor the tags' separators
/// (`\x1f` between a key and its value, `\x1e` between tags) occur in them; a row with one
/// anyway (none should have one) is held by name only, which sends its reads to SQLite.
fn entry_of(row: &Row<'_>) -> Result<(String, Entry), Fail> {
    let account_id: String = row.get(0)?;
    let lower: String = row.get(1)?;
    if lower.contains('\t') {
        return Err(Fail::Data(format!(
            "user name {lower:?} cannot be a directory key"
        )));
    }
    let user_id: String = row.get(2)?;
    let user_name: String = row.get(3)?;
    let path: String = row.get(4)?;
    let created = row.get::<_, i64>(5)?.to_string();
    let keys = row
        .get::<_, String>(6)?
        .replace(" Active ", " A ")
        .replace(" Inactive ", " I ");
    let tags: String = row.get::<_, Option<String>>(7)?.unwrap_or_default();
    // The name as given, or nothing when it is the lower-cased name (saves a size class
    // of allocation for most users).
    let name = if user_name == lower { "" } else { &user_name };
    let fields = [
        lower.as_str(),
        &user_id,
        name,
        &path,
        &created,
        &keys,
        &tags,
    ];
    let tags_ok = tags
        .split('\x1e')
        .all(|tag| tags.is_empty() || tag.matches('\x1f').count() == 1);
    let text = if !tags_ok || fields.iter().any(|f| f.contains('\t')) {
        lower
    } else {
        fields.join("\t")
    };
    Ok((account_id, Entry(text.into_boxed_str())))
}

/// The user an entry holds, and its keys' field; `None` for a user held by name only.
fn user_of<'a>(account_id: &str, text: &'a str) -> Option<(User, &'a str)> {
    let mut fields = text.split('\t');
    let lower = fields.next()?;
    let user_id = fields.next()?;
    let user_name = Some(fields.next()?)
        .filter(|n| !n.is_empty())
        .unwrap_or(lower);
    let path = fields.next()?;
    let created = fields.next()?.parse().ok()?;
    let keys = fields.next()?;
    let tags = fields.next()?;
    let tags = if tags.is_empty() {
        Vec::new()
    } else {
        tags.split('\x1e')
            .map(|tag| {
                let (key, value) = tag.split_once('\x1f')?;
                Some(Tag {
                    key: key.to_owned(),
                    value: value.to_owned(),
                })
            })
            .collect::<Option<_>>()?
    };
    let user = User {
        account_id: account_id.to_owned(),
        user_id: user_id.to_owned(),
        user_name: user_name.to_owned(),
        path: path.to_owned(),
        create_date: time_of(created).ok()?,
        tags,
    };
    Some((user, keys))
}

/// The keys of an entry's last field.
fn keys_of(user: &User, keys: &str) -> Option<Vec<AccessKey>> {
    keys.split(',')
        .filter(|k| !k.is_empty())
        .map(|k| {
            let mut parts = k.split(' ');
            let id = parts.next()?;
            let status = match parts.next()? {
                "A" => KeyStatus::Active,
                "I" => KeyStatus::Inactive,
                _ => return None,
            };
            let created = time_of_ms(parts.next()?.parse().ok()?).ok()?;
            Some(user.key(id.to_owned(), status, created))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::pool::Pool;
    use crate::queries;

    const USERS: usize = 50_000;
    const ACCOUNT: &str = "123456789012";

    /// What the directory answers, next to what SQLite answers, for a user name.
    async fn both(
        pool: &Pool,
        name: &'static str,
    ) -> (
        Lookup<(User, Vec<AccessKey>)>,
        Option<(User, Vec<AccessKey>)>,
    ) {
        let memory = pool.directory().user_with_keys(ACCOUNT, name);
        let sqlite = pool
            .read(move |tx| queries::get_user_with_keys(tx, ACCOUNT, name))
            .await
            .expect("read");
        (memory, sqlite)
    }

    async fn write(pool: &Pool, sql: &'static str) {
        pool.write(move |tx| Ok(tx.execute_batch(sql)?))
            .await
            .expect(sql);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_made_while_the_directory_loads_are_in_it_once_loaded() {
        let dir = std::env::temp_dir().join(format!(
            "iamd-store-sqlite-directory-{}-{}",
            std::process::id(),
            time::OffsetDateTime::now_utc().unix_timestamp_nanos()
        ));
        let path = dir.join("iamd.sqlite3");
        {
            let pool = Pool::open(&path, 1, false).expect("open");
            pool.write(|tx| {
                tx.execute("INSERT INTO accounts VALUES (?1, 0)", [ACCOUNT])?;
                let mut user = tx.prepare(
                    "INSERT INTO users (user_id, account_id, user_name, user_name_lower, path,
                                        create_date)
                     VALUES ('AIDA' || ?1, ?2, 'U' || ?1, 'u' || ?1, '/', 1700000000)",
                )?;
                let mut key = tx.prepare(
                    "INSERT INTO access_keys (access_key_id, account_id, user_id, secret, status,
                                              create_date)
                     VALUES ('AKIA' || ?1, ?2, 'AIDA' || ?1, 'plain:x', 'Active', 1700000000000)",
                )?;
                for i in 0..USERS {
                    user.execute(params![i as i64, ACCOUNT])?;
                    key.execute(params![i as i64, ACCOUNT])?;
                }
                Ok(())
            })
            .await
            .expect("seed");
        }

        let pool = Pool::open(&path, 2, true).expect("reopen");
        // Each its own commit, all while the directory loads 50,000 users.
        write(&pool, "UPDATE users SET user_name = 'Renamed1', user_name_lower = 'renamed1' WHERE user_id = 'AIDA1'").await;
        write(
            &pool,
            "UPDATE access_keys SET status = 'Inactive' WHERE access_key_id = 'AKIA2'",
        )
        .await;
        write(
            &pool,
            "DELETE FROM access_keys WHERE access_key_id = 'AKIA3'",
        )
        .await;
        write(
            &pool,
            "INSERT INTO user_tags VALUES ('AIDA4', 0, 'team', 'blue')",
        )
        .await;
        write(&pool, "DELETE FROM access_keys WHERE access_key_id = 'AKIA5'; DELETE FROM users WHERE user_id = 'AIDA5'").await;
        write(
            &pool,
            "INSERT INTO users (user_id, account_id, user_name, user_name_lower, path, create_date)
             VALUES ('AIDAFRESH', '123456789012', 'U1', 'u1', '/new/', 1700000001);
             INSERT INTO access_keys (access_key_id, account_id, user_id, secret, status, create_date)
             VALUES ('AKIAFRESH', '123456789012', 'AIDAFRESH', 'plain:y', 'Active', 1700000001000)",
        )
        .await;
        for _ in 0..3000 {
            if pool.directory().loaded() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(pool.directory().loaded(), "loaded within 30 s");
        assert!(
            pool.directory().reconciled.load(Ordering::Relaxed) > 0,
            "the writes were committed while it loaded (else this checks nothing new)"
        );

        for name in [
            "u0", "u1", "renamed1", "u2", "u3", "u4", "u5", "u6", "u49999", "nobody",
        ] {
            match both(&pool, name).await {
                (Lookup::Found(memory), Some(sqlite)) => assert_eq!(memory, sqlite, "{name}"),
                (Lookup::Missing, None) => {}
                (Lookup::Found(memory), None) => panic!("{name}: only in memory: {memory:?}"),
                (Lookup::Missing, Some(sqlite)) => panic!("{name}: missing in memory: {sqlite:?}"),
                (Lookup::Unknown, _) => panic!("{name}: not held"),
            }
        }
        let (_, keys) = match both(&pool, "u1").await.0 {
            Lookup::Found(found) => found,
            _ => panic!("u1 is the new user now"),
        };
        assert_eq!(keys[0].access_key_id, "AKIAFRESH");
        assert!(matches!(both(&pool, "u5").await.0, Lookup::Missing));
        match both(&pool, "u4").await.0 {
            Lookup::Found((user, _)) => assert_eq!(
                user.tags,
                [Tag {
                    key: "team".into(),
                    value: "blue".into()
                }]
            ),
            _ => panic!("u4 is held, with its tag"),
        }
        drop(pool);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Random changes of every kind the triggers watch, in batches committed together and
    /// alone; after each batch the directory must answer every name as SQLite does, tags
    /// included.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_directory_answers_as_sqlite_after_random_changes() {
        let dir = std::env::temp_dir().join(format!(
            "iamd-store-sqlite-directory-random-{}-{}",
            std::process::id(),
            time::OffsetDateTime::now_utc().unix_timestamp_nanos()
        ));
        let pool =
            std::sync::Arc::new(Pool::open(&dir.join("iamd.sqlite3"), 2, true).expect("open"));
        pool.write(|tx| Ok(tx.execute("INSERT INTO accounts VALUES (?1, 0)", [ACCOUNT])?))
            .await
            .expect("account");
        for _ in 0..500 {
            if pool.directory().loaded() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(pool.directory().loaded());

        // xorshift: the same sequence on every run.
        let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        // Names differ only in case now and then: `u3` and `U3` are one user.
        let names: Vec<String> = (0..12)
            .map(|i| {
                if i % 3 == 0 {
                    format!("U{i}")
                } else {
                    format!("u{i}")
                }
            })
            .collect();
        let mut serial = 0;
        // How often each outcome was checked: a run that only ever saw missing users
        // would check little.
        let (mut found, mut tagged_seen) = (0, 0);
        for round in 0..150 {
            // One to four writes sent together, so that they often share a commit.
            let mut writes = Vec::new();
            for _ in 0..=next(4) {
                serial += 1;
                let name = names[next(names.len() as u64) as usize].clone();
                let other = names[next(names.len() as u64) as usize].clone();
                let status = if next(2) == 0 { "Active" } else { "Inactive" };
                let sql = match next(8) {
                    0 | 1 => format!(
                        "INSERT OR IGNORE INTO users
                         (user_id, account_id, user_name, user_name_lower, path, create_date)
                         VALUES ('AIDA{serial}', '{ACCOUNT}', '{name}', lower('{name}'), '/p{serial}/', {serial})"
                    ),
                    2 => format!(
                        "UPDATE OR IGNORE users SET user_name = '{other}', user_name_lower = lower('{other}')
                         WHERE user_name_lower = lower('{name}')"
                    ),
                    3 => format!(
                        "DELETE FROM user_tags WHERE user_id IN (SELECT user_id FROM users WHERE user_name_lower = lower('{name}'));
                         DELETE FROM access_keys WHERE user_id IN (SELECT user_id FROM users WHERE user_name_lower = lower('{name}'));
                         DELETE FROM users WHERE user_name_lower = lower('{name}')"
                    ),
                    4 => format!(
                        "INSERT INTO access_keys (access_key_id, account_id, user_id, secret, status, create_date)
                         SELECT 'AKIA{serial}', '{ACCOUNT}', user_id, 'plain:x', '{status}', {serial}000
                         FROM users WHERE user_name_lower = lower('{name}')"
                    ),
                    5 => format!(
                        "UPDATE access_keys SET status = '{status}' WHERE access_key_id IN (
                             SELECT k.access_key_id FROM access_keys k JOIN users u USING (user_id)
                             WHERE u.user_name_lower = lower('{name}') LIMIT 1)"
                    ),
                    6 => format!(
                        "DELETE FROM access_keys WHERE access_key_id IN (
                             SELECT k.access_key_id FROM access_keys k JOIN users u USING (user_id)
                             WHERE u.user_name_lower = lower('{name}') LIMIT 1)"
                    ),
                    _ => match next(3) {
                        0 => format!(
                            "INSERT OR IGNORE INTO user_tags
                             SELECT user_id, {serial}, 'k{serial}', 'v é = {serial}'
                             FROM users WHERE user_name_lower = lower('{name}')"
                        ),
                        1 => format!(
                            "UPDATE user_tags SET value = 'w{serial}' WHERE user_id IN
                             (SELECT user_id FROM users WHERE user_name_lower = lower('{name}'))"
                        ),
                        _ => format!(
                            "DELETE FROM user_tags WHERE user_id IN
                             (SELECT user_id FROM users WHERE user_name_lower = lower('{name}'))"
                        ),
                    },
                };
                // A write that fails records nothing: now and then, make one fail after it
                // changed something.
                let fail = next(10) == 0;
                let pool = std::sync::Arc::clone(&pool);
                writes.push(tokio::spawn(async move {
                    pool.write(move |tx| {
                        tx.execute_batch(&sql)?;
                        if fail {
                            return Err(Fail::Data("made to fail".to_owned()));
                        }
                        Ok(())
                    })
                    .await
                }));
            }
            for write in writes {
                let _ = write.await.expect("task");
            }
            for name in &names {
                let lower = name.to_lowercase();
                let memory = pool.directory().user_with_keys(ACCOUNT, name);
                let sqlite = {
                    let lower = lower.clone();
                    pool.read(move |tx| queries::get_user_with_keys(tx, ACCOUNT, &lower))
                        .await
                        .expect("read")
                };
                match (memory, sqlite) {
                    (Lookup::Found(memory), Some(sqlite)) => {
                        assert_eq!(memory, sqlite, "round {round}, {name}");
                        found += 1;
                        if !memory.0.tags.is_empty() {
                            tagged_seen += 1;
                        }
                    }
                    (Lookup::Missing, None) => {}
                    (memory, sqlite) => panic!(
                        "round {round}, {name}: directory {}, SQLite {sqlite:?}",
                        match memory {
                            Lookup::Found(_) => "found",
                            Lookup::Missing => "missing",
                            Lookup::Unknown => "unknown",
                        }
                    ),
                }
            }
        }
        assert!(
            found > 300 && tagged_seen > 50,
            "found {found}, tagged {tagged_seen}"
        );
        drop(pool);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
