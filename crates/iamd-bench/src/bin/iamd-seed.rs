//! The seeder: loads N users (`user0` … `user{N-1}`) with two access keys each into an
//! iamd data directory, with the key ids and secrets of `iamd_bench::seeded` so that the
//! load generator can sign as any of them.
//!
//! The account and its root key are created through the `Store` trait
//! (`Store::bootstrap_account`), as iamd's first start does. Users and keys are then written
//! in one of two ways:
//! - `--mode bulk` (default): rusqlite directly against iamd's SQLite schema (version 1,
//!   `crates/iamd-store-sqlite/migrations`), in large transactions with `synchronous=OFF`,
//!   then a WAL checkpoint. This bypasses the store's one-transaction-per-call contract
//!   (and its fsync per write), which is what makes a million users take seconds instead of
//!   hours. It writes exactly the rows the store would; it lives only in this crate.
//! - `--mode store`: `Store::create_user` and `Store::create_access_key`, one durable
//!   transaction each, as the server does. Correct by construction, but slow at scale.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use iamd_bench::seeded;
use iamd_core::model::{KeyOwner, NewAccessKey, PolicyHolder, User, ACCESS_KEYS_PER_USER};
use iamd_core::secret::{Keyring, MasterKey, SecretKey};
use iamd_core::Store;
use iamd_store_sqlite::SqliteStore;
use rusqlite::{params, Connection};
use time::OffsetDateTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Mode {
    Bulk,
    Store,
}

#[derive(Parser, Debug)]
#[command(
    name = "iamd-seed",
    about = "Seed an iamd data directory with N users, 2 keys each"
)]
struct Cli {
    /// iamd's data directory (holds iamd.sqlite3); created if missing.
    #[arg(long)]
    data_dir: PathBuf,
    /// How many users to create (user0 … user{N-1}); existing ones are kept.
    #[arg(long)]
    users: u64,
    #[arg(long, value_enum, default_value = "bulk")]
    mode: Mode,
    /// The account to create if the store holds none.
    #[arg(long, env = "IAMD_ACCOUNT_ID", default_value = iamd_bench::DEFAULT_ACCOUNT_ID)]
    account_id: String,
    /// The root key to create if the store holds no account.
    #[arg(long, env = "IAMD_ROOT_ACCESS_KEY_ID", default_value = iamd_bench::DEFAULT_ROOT_KEY_ID)]
    root_key_id: String,
    #[arg(long, env = "IAMD_ROOT_SECRET_ACCESS_KEY", default_value = iamd_bench::DEFAULT_ROOT_SECRET, hide_default_value = true)]
    root_secret: String,
    /// Users per transaction in bulk mode.
    #[arg(long, default_value_t = 50_000)]
    batch: u64,
    /// Concurrent calls in store mode.
    #[arg(long, default_value_t = 32)]
    concurrency: u64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match seed(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("iamd-seed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The master key iamd will use: `IAMD_MASTER_KEY`, else the data directory's
/// `master.key` (generated if missing, as `iamd serve` does).
fn master_key(cli: &Cli) -> Result<Keyring, String> {
    let key = match std::env::var("IAMD_MASTER_KEY") {
        Ok(text) => MasterKey::from_base64(&text).map_err(|e| format!("IAMD_MASTER_KEY: {e}"))?,
        Err(_) => iamd_store_sqlite::data_dir_master_key(&cli.data_dir)?.0,
    };
    Ok(Keyring::new(key))
}

fn now_whole_second() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}

fn seed(cli: &Cli) -> Result<(), String> {
    let started = Instant::now();
    let db = cli.data_dir.join("iamd.sqlite3");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let ring = Arc::new(master_key(cli)?);
    let store =
        Arc::new(SqliteStore::open(&db).map_err(|e| format!("open {}: {e}", db.display()))?);
    let root = NewAccessKey {
        access_key_id: cli.root_key_id.clone(),
        account_id: cli.account_id.clone(),
        owner: KeyOwner::Root,
        secret: SecretKey::new(cli.root_secret.clone()).seal(&ring),
        create_date: now_whole_second(),
    };
    let (account_id, created) = runtime
        .block_on(store.bootstrap_account(&cli.account_id, root))
        .map_err(|e| format!("bootstrap: {e}"))?;
    eprintln!(
        "iamd-seed: account {account_id} ({})",
        if created { "created" } else { "existing" }
    );
    match cli.mode {
        Mode::Store => runtime.block_on(seed_via_store(cli, store, &account_id, &ring))?,
        Mode::Bulk => {
            drop(store);
            seed_bulk(cli, &db, &account_id, &ring)?;
        }
    }
    eprintln!(
        "iamd-seed: {} users with {} keys each in {:.1} s ({:?} mode)",
        cli.users,
        ACCESS_KEYS_PER_USER,
        started.elapsed().as_secs_f64(),
        cli.mode
    );
    Ok(())
}

fn seeded_user(account_id: &str, i: u64, created: OffsetDateTime) -> User {
    User {
        account_id: account_id.to_owned(),
        user_id: seeded::user_id(i),
        user_name: seeded::user_name(i),
        path: "/".into(),
        create_date: created,
        tags: Vec::new(),
    }
}

async fn seed_via_store(
    cli: &Cli,
    store: Arc<SqliteStore>,
    account_id: &str,
    ring: &Arc<Keyring>,
) -> Result<(), String> {
    let workers = cli.concurrency.max(1);
    let tasks: Vec<_> = (0..workers)
        .map(|w| {
            let store = store.clone();
            let ring = ring.clone();
            let account_id = account_id.to_owned();
            let users = cli.users;
            tokio::spawn(async move {
                let mut i = w;
                while i < users {
                    let created = now_whole_second();
                    let user = seeded_user(&account_id, i, created);
                    match store.create_user(&user).await {
                        Ok(()) | Err(iamd_core::StoreError::AlreadyExists) => {}
                        Err(e) => return Err(format!("create_user {}: {e}", user.user_name)),
                    }
                    store
                        .put_inline_policy(
                            &account_id,
                            PolicyHolder::user(&user.user_name),
                            SELF_SERVICE_NAME,
                            SELF_SERVICE_POLICY,
                            iamd_policy_size(SELF_SERVICE_POLICY),
                            2048,
                        )
                        .await
                        .map_err(|e| format!("put_user_policy {}: {e}", user.user_name))?;
                    for k in 0..2 {
                        let key = NewAccessKey {
                            access_key_id: seeded::access_key_id(i, k),
                            account_id: account_id.clone(),
                            owner: KeyOwner::User {
                                user_id: user.user_id.clone(),
                            },
                            secret: SecretKey::new(seeded::secret(i, k)).seal(&ring),
                            create_date: created,
                        };
                        match store.create_access_key(&key, ACCESS_KEYS_PER_USER).await {
                            Ok(_) | Err(iamd_core::StoreError::KeyQuotaExceeded) => {}
                            // A re-run: the key id is taken (primary key).
                            Err(iamd_core::StoreError::AlreadyExists) => {}
                            Err(e) => {
                                return Err(format!("create_access_key {}: {e}", key.access_key_id))
                            }
                        }
                    }
                    i += workers;
                }
                Ok(())
            })
        })
        .collect();
    for t in tasks {
        t.await.map_err(|e| format!("task: {e}"))??;
    }
    Ok(())
}

/// Bulk mode writes the columns of schema version 1: refuse a schema where a table lacks one
/// of them or gained a required column without a default (then use `--mode store`).
fn check_schema(conn: &Connection, table: &str, written: &[&str]) -> Result<(), String> {
    let sql = |e: rusqlite::Error| format!("sqlite: {e}");
    let mut stmt = conn
        .prepare(&format!("PRAGMA table_info({table})"))
        .map_err(sql)?;
    // (name, not null, default, part of the primary key)
    let columns: Vec<(String, bool, Option<String>, bool)> = stmt
        .query_map([], |r| {
            Ok((r.get(1)?, r.get(3)?, r.get(4)?, r.get::<_, i64>(5)? > 0))
        })
        .map_err(sql)?
        .collect::<Result<_, _>>()
        .map_err(sql)?;
    let mismatch = |why: String| {
        Err(format!(
            "bulk mode does not know this schema ({table}: {why}); use --mode store"
        ))
    };
    for name in written {
        if !columns.iter().any(|(c, ..)| c == name) {
            return mismatch(format!("no column {name}"));
        }
    }
    for (name, not_null, default, pk) in &columns {
        if (*not_null || *pk) && default.is_none() && !written.contains(&name.as_str()) {
            return mismatch(format!("required column {name}"));
        }
    }
    Ok(())
}

/// Every seeded user may manage its own keys (identity policies are enforced), as AWS's
/// self-service policy allows.
const SELF_SERVICE_NAME: &str = "self-service";
const SELF_SERVICE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*AccessKey*","Resource":"arn:aws:iam::*:user/${aws:username}"}]}"#;

/// The size AWS counts for a policy: its characters, white space excluded.
fn iamd_policy_size(document: &str) -> usize {
    document.chars().filter(|c| !c.is_whitespace()).count()
}

fn seed_bulk(
    cli: &Cli,
    db: &std::path::Path,
    account_id: &str,
    ring: &Keyring,
) -> Result<(), String> {
    let sql = |e: rusqlite::Error| format!("sqlite: {e}");
    let mut conn = Connection::open(db).map_err(sql)?;
    check_schema(
        &conn,
        "users",
        &[
            "user_id",
            "account_id",
            "user_name",
            "user_name_lower",
            "path",
            "create_date",
        ],
    )?;
    check_schema(
        &conn,
        "user_policies",
        &["user_id", "policy_name", "document", "size"],
    )?;
    check_schema(
        &conn,
        "access_keys",
        &[
            "access_key_id",
            "account_id",
            "user_id",
            "secret",
            "status",
            "create_date",
        ],
    )?;
    conn.execute_batch(
        "PRAGMA synchronous = OFF; PRAGMA foreign_keys = ON; PRAGMA cache_size = -262144;",
    )
    .map_err(sql)?;
    let created = now_whole_second();
    let created_s = created.unix_timestamp();
    let created_ms = (created.unix_timestamp_nanos() / 1_000_000) as i64;
    let batch = cli.batch.max(1);
    let mut next = 0;
    while next < cli.users {
        let end = (next + batch).min(cli.users);
        let tx = conn.transaction().map_err(sql)?;
        {
            let mut user = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO users
                     (user_id, account_id, user_name, user_name_lower, path, create_date)
                     VALUES (?1, ?2, ?3, ?4, '/', ?5)",
                )
                .map_err(sql)?;
            let mut key = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO access_keys
                     (access_key_id, account_id, user_id, secret, status, create_date)
                     VALUES (?1, ?2, ?3, ?4, 'Active', ?5)",
                )
                .map_err(sql)?;
            let mut policy = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO user_policies (user_id, policy_name, document, size)
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(sql)?;
            for i in next..end {
                let user_id = seeded::user_id(i);
                let name = seeded::user_name(i);
                user.execute(params![
                    user_id,
                    account_id,
                    name,
                    name.to_lowercase(),
                    created_s
                ])
                .map_err(sql)?;
                policy
                    .execute(params![
                        user_id,
                        SELF_SERVICE_NAME,
                        SELF_SERVICE_POLICY,
                        iamd_policy_size(SELF_SERVICE_POLICY) as i64
                    ])
                    .map_err(sql)?;
                for k in 0..2 {
                    let secret = SecretKey::new(seeded::secret(i, k)).seal(ring);
                    key.execute(params![
                        seeded::access_key_id(i, k),
                        account_id,
                        user_id,
                        secret.as_stored(),
                        created_ms
                    ])
                    .map_err(sql)?;
                }
            }
        }
        tx.commit().map_err(sql)?;
        next = end;
        if cli.users >= 200_000 {
            eprintln!("iamd-seed: {next}/{} users", cli.users);
        }
    }
    // Leave no WAL behind: iamd's start-up should not pay for the seeding.
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .map_err(sql)?;
    Ok(())
}
