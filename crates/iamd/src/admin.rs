//! Operator commands that work on the store directly, without the API: `iamd backup` and
//! `iamd restore` (the embedded database), and `iamd admin …` for bootstrap and
//! break-glass work (list users and keys, a new root key, deactivate or delete a key, the
//! credential report).
//!
//! On SQLite one process holds a data directory at a time (the lock `SqliteStore::open`
//! takes). Commands that only read (`backup`, `admin list-users`, `admin
//! credential-report`) also run while a server holds it: `backup` reads one snapshot in
//! place, and the admin reads work on such a snapshot, copied to a private temporary
//! directory and removed afterwards. Commands that write (`restore`, `admin
//! create-root-key`, `deactivate-key`, `delete-key`) take the lock, and are refused while
//! a server holds it. On PostgreSQL, which many nodes share, admin commands run beside
//! the nodes as any node's writes do (nodes see a change within their cache's 750 ms).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use iamd_core::model::{
    AccessKey, KeyOwner, KeyStatus, KeyUsage, NewAccessKey, User, ACCESS_KEYS_PER_USER,
};
use iamd_core::secret::{Keyring, MasterKey};
use iamd_core::{ids, After, Store, StoreError};
use iamd_store_sqlite::backup::{self, BackupInfo};
use iamd_store_sqlite::SqliteStore;
use time::OffsetDateTime;

use crate::server::{Backend, Config};

/// An `iamd admin` command.
#[derive(Debug, Clone)]
pub enum AdminCommand {
    /// The account's root and users, each with its keys: status, age, last use.
    ListUsers,
    /// A new access key for the account root; its secret is printed once.
    CreateRootKey,
    /// Makes a key inactive (any owner's).
    DeactivateKey(String),
    /// Deletes a key (any owner's).
    DeleteKey(String),
    /// AWS's credential report (CSV) of the root and every user.
    CredentialReport,
}

impl AdminCommand {
    fn writes(&self) -> bool {
        match self {
            AdminCommand::ListUsers | AdminCommand::CredentialReport => false,
            AdminCommand::CreateRootKey
            | AdminCommand::DeactivateKey(_)
            | AdminCommand::DeleteKey(_) => true,
        }
    }
}

/// The embedded database `config` names, or why there is none (PostgreSQL).
fn sqlite_path(config: &Config, what: &str) -> Result<PathBuf, String> {
    match Backend::of(config).map_err(|e| e.to_string())? {
        Backend::Sqlite(path, _) => Ok(path),
        Backend::Postgres(..) => Err(format!(
            "{what} works on the embedded SQLite store; for PostgreSQL use pg_dump and \
             pg_restore (README: \"Backup and restore\")"
        )),
    }
}

/// The master keys given (`--master-key-file`, `IAMD_MASTER_KEY`), else on SQLite the
/// existing `master.key` beside the database; never a new one.
fn existing_keyring(config: &Config) -> Result<Arc<Keyring>, String> {
    if let Some(keyring) = &config.keyring {
        return Ok(keyring.clone());
    }
    match Backend::of(config).map_err(|e| e.to_string())? {
        Backend::Sqlite(path, _) => {
            let file = key_file_beside(&path);
            if !file.exists() {
                return Err(format!(
                    "no master key: {} does not exist; give the key with --master-key-file or \
                     IAMD_MASTER_KEY",
                    file.display()
                ));
            }
            Ok(Arc::new(Keyring::new(iamd_store_sqlite::read_master_key(
                &file,
            )?)))
        }
        Backend::Postgres(..) => Err(
            "a PostgreSQL store needs its master key: give --master-key-file or IAMD_MASTER_KEY"
                .into(),
        ),
    }
}

fn key_file_beside(db: &Path) -> PathBuf {
    db.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join(iamd_store_sqlite::MASTER_KEY_FILE)
}

/// `iamd backup --to FILE`: returns the lines to print.
pub fn backup(config: &Config, to: &Path) -> Result<String, String> {
    let db = sqlite_path(config, "iamd backup")?;
    let info = backup::backup(&db, to)?;
    let mut out = format!(
        "iamd: backed up {} to {} ({})\n",
        db.display(),
        to.display(),
        describe(&info)
    );
    if !info.master_key_ids.is_empty() {
        let _ = writeln!(
            out,
            "iamd: its secrets are sealed under master key {}: the backup is of no use without \
             that key, which it does not contain; keep a copy of the key apart from the backup",
            info.master_key_ids.join(", ")
        );
    }
    Ok(out)
}

/// `iamd restore --from FILE`: returns the lines to print.
pub fn restore(config: &Config, from: &Path) -> Result<String, String> {
    let db = sqlite_path(config, "iamd restore")?;
    // Checked before the key is looked for: a file that is no backup is the first thing
    // to say.
    let info = backup::inspect(from)?;
    let keyring = existing_keyring(config).map_err(|e| {
        if info.master_key_ids.is_empty() {
            e
        } else {
            format!(
                "{e} (the backup needs master key {})",
                info.master_key_ids.join(", ")
            )
        }
    })?;
    let (info, kept) = backup::restore(from, &db, &keyring)?;
    let mut out = format!(
        "iamd: restored {} from {} ({})\n",
        db.display(),
        from.display(),
        describe(&info)
    );
    if let Some(kept) = kept {
        let _ = writeln!(
            out,
            "iamd: the database it replaced is kept as {}",
            kept.display()
        );
    }
    // The key that opened it came from an option: say whether `serve` finds it alone.
    if config.keyring.is_some() {
        let beside = key_file_beside(&db);
        let same = iamd_store_sqlite::read_master_key(&beside)
            .ok()
            .is_some_and(|k: MasterKey| info.master_key_ids.iter().all(|id| id == k.id()));
        if !same {
            let _ = writeln!(
                out,
                "iamd: {} is not the master key this database needs: serve it with the same \
                 --master-key-file (or IAMD_MASTER_KEY)",
                beside.display()
            );
        }
    }
    Ok(out)
}

fn describe(info: &BackupInfo) -> String {
    let created = info
        .created
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let keys = if info.master_key_ids.is_empty() {
        "no sealed secrets".to_owned()
    } else {
        format!("master key {}", info.master_key_ids.join(", "))
    };
    format!(
        "account {}, schema version {}, taken {created}, {keys}",
        info.account_id.as_deref().unwrap_or("none"),
        info.schema_version
    )
}

/// The store an admin command works on, and the snapshot it may be on (removed after the
/// store is closed: fields drop in order).
struct Opened {
    store: Arc<dyn Store>,
    _snapshot: Option<SnapshotDir>,
}

/// A private temporary directory, removed when dropped.
struct SnapshotDir(PathBuf);

impl Drop for SnapshotDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn open(config: &Config, command: &AdminCommand) -> Result<Opened, String> {
    let backend = Backend::of(config).map_err(|e| e.to_string())?;
    let Backend::Sqlite(path, _) = &backend else {
        let store = backend.open().await.map_err(|e| e.to_string())?;
        return Ok(Opened {
            store,
            _snapshot: None,
        });
    };
    if !path.is_file() {
        return Err(format!(
            "no database at {}: nothing to administer (`iamd serve` creates it)",
            path.display()
        ));
    }
    if !backup::served(path)? {
        // Holds the lock until the command ends: a server started meanwhile is refused.
        // Without the user directory, which one command would not use enough to pay for.
        let store = SqliteStore::open_without_directory(path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        return Ok(Opened {
            store: Arc::new(store),
            _snapshot: None,
        });
    }
    if command.writes() {
        return Err(format!(
            "{} is served by another process (it holds {}-lock): stop it first, or make the \
             change through the API; only list-users and credential-report run beside a server",
            path.display(),
            path.display()
        ));
    }
    let dir = std::env::temp_dir().join(format!(
        "iamd-admin-{}-{}",
        std::process::id(),
        OffsetDateTime::now_utc().unix_timestamp_nanos()
    ));
    iamd_store_sqlite::private_dir(&dir)?;
    let snapshot = SnapshotDir(dir);
    let copy = snapshot.0.join("iamd.sqlite3");
    backup::backup(path, &copy)?;
    let store = SqliteStore::open_without_directory(&copy)
        .map_err(|e| format!("{}: {e}", copy.display()))?;
    eprintln!(
        "iamd: {} is being served: reading a snapshot of it taken now",
        path.display()
    );
    Ok(Opened {
        store: Arc::new(store),
        _snapshot: Some(snapshot),
    })
}

/// Runs an admin command; returns what it prints on standard output.
pub async fn run(config: &Config, command: &AdminCommand) -> Result<String, String> {
    // The key is checked before the store is touched.
    let keyring = match command {
        AdminCommand::CreateRootKey => Some(existing_keyring(config)?),
        _ => None,
    };
    let opened = open(config, command).await?;
    let store = opened.store.as_ref();
    let failed = |e: StoreError| e.to_string();
    let account = store
        .served_account()
        .await
        .map_err(failed)?
        .ok_or("the store holds no account yet: `iamd serve` creates it on first start")?;
    let account_id = account.account_id.as_str();
    let now = OffsetDateTime::now_utc();
    match command {
        AdminCommand::ListUsers => {
            let mut rows = vec![[
                "USER",
                "ACCESS KEY ID",
                "STATUS",
                "CREATED",
                "AGE (DAYS)",
                "LAST USED",
                "SERVICE",
                "REGION",
            ]
            .map(str::to_owned)];
            for (user, keys) in owners(store, account_id).await? {
                let name = user.map_or_else(|| "<root>".to_owned(), |u| u.user_name);
                if keys.is_empty() {
                    rows.push([
                        name.clone(),
                        "-".into(),
                        "-".into(),
                        "-".into(),
                        "-".into(),
                        "-".into(),
                        "-".into(),
                        "-".into(),
                    ]);
                }
                for (key, used) in keys {
                    let (when, service, region) = match used {
                        Some(u) => (iso(u.when), u.service, u.region),
                        None => ("never".into(), "-".into(), "-".into()),
                    };
                    rows.push([
                        name.clone(),
                        key.access_key_id,
                        status(key.status).into(),
                        iso(key.create_date),
                        ((now - key.create_date).whole_days()).to_string(),
                        when,
                        service,
                        region,
                    ]);
                }
            }
            Ok(table(&rows))
        }
        AdminCommand::CreateRootKey => {
            let keyring = keyring.expect("read above");
            let key_id = ids::access_key_id(account_id);
            let secret = ids::secret_access_key();
            let key = NewAccessKey {
                access_key_id: key_id.clone(),
                account_id: account_id.to_owned(),
                owner: KeyOwner::Root,
                secret: secret.seal(&keyring),
                create_date: now.replace_nanosecond(0).unwrap_or(now),
            };
            match store.create_access_key(&key, ACCESS_KEYS_PER_USER).await {
                Ok(_) => Ok(format!(
                    "iamd: root access key id: {key_id}\niamd: root secret access key: {}\n",
                    secret.expose()
                )),
                Err(StoreError::KeyQuotaExceeded) => {
                    let keys = store
                        .list_access_keys(account_id, &KeyOwner::Root, &After::Start, 10)
                        .await
                        .map_err(failed)?;
                    let ids: Vec<_> = keys.into_iter().map(|k| k.access_key_id).collect();
                    Err(format!(
                        "the root already has {ACCESS_KEYS_PER_USER} access keys ({}): delete \
                         one first with `iamd admin delete-key KEYID`",
                        ids.join(", ")
                    ))
                }
                Err(e) => Err(e.to_string()),
            }
        }
        AdminCommand::DeactivateKey(key_id) | AdminCommand::DeleteKey(key_id) => {
            let Some((key, _)) = store
                .get_access_key_last_used(key_id)
                .await
                .map_err(failed)?
                .filter(|(k, _)| k.account_id == account_id)
            else {
                return Err(format!("no access key {key_id} in account {account_id}"));
            };
            let owner = key.user_name.as_deref().unwrap_or("<root>");
            if let AdminCommand::DeleteKey(_) = command {
                store
                    .delete_access_key(account_id, &key.owner, key_id)
                    .await
                    .map_err(failed)?;
                Ok(format!("iamd: deleted access key {key_id} of {owner}\n"))
            } else {
                store
                    .update_access_key(account_id, &key.owner, key_id, KeyStatus::Inactive)
                    .await
                    .map_err(failed)?;
                Ok(format!(
                    "iamd: deactivated access key {key_id} of {owner}\n"
                ))
            }
        }
        AdminCommand::CredentialReport => {
            // GetCredentialReport's CSV, built by the same code; a final line break for
            // the terminal.
            iamd_core::credential_report::credential_report_csv(store, account_id)
                .await
                .map(|csv| csv + "\n")
                .map_err(|e| e.to_string())
        }
    }
}

type Keys = Vec<(AccessKey, Option<KeyUsage>)>;

/// The root (`None`) and every user, in name order, each with its keys (oldest first) and
/// their last uses.
async fn owners(store: &dyn Store, account_id: &str) -> Result<Vec<(Option<User>, Keys)>, String> {
    let failed = |e: StoreError| e.to_string();
    let mut all = vec![(None, keys_of(store, account_id, &KeyOwner::Root).await?)];
    let mut after = After::Start;
    loop {
        let page = store
            .list_users(account_id, "/", &after, 1000)
            .await
            .map_err(failed)?;
        let Some(last) = page.last() else { break };
        after = After::UserName(last.user_name.to_lowercase());
        for user in page {
            let keys = keys_of(store, account_id, &user.owner()).await?;
            all.push((Some(user), keys));
        }
    }
    Ok(all)
}

async fn keys_of(store: &dyn Store, account_id: &str, owner: &KeyOwner) -> Result<Keys, String> {
    let keys = store
        .list_access_keys(account_id, owner, &After::Start, 100)
        .await
        .map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        let used = store
            .get_access_key_last_used(&key.access_key_id)
            .await
            .map_err(|e| e.to_string())?
            .and_then(|(_, used)| used);
        out.push((key, used));
    }
    Ok(out)
}

/// ISO 8601 as the credential report writes it: `2024-05-01T12:00:00+00:00`.
fn iso(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn status(s: KeyStatus) -> &'static str {
    match s {
        KeyStatus::Active => "Active",
        KeyStatus::Inactive => "Inactive",
    }
}

/// Rows in columns two spaces apart.
fn table<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == N {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<width$}  ", width = widths[i]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
