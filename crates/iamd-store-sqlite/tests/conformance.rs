//! The shared `Store` conformance suite on SQLite (with and without the user directory, and
//! behind the caching front), plus what only a file-backed store can show: data survives
//! closing and reopening the database.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use iamd_store::ids;
use iamd_store::model::{HolderKind, KeyOwner, NewAccessKey, PolicyHolder, Tag, User};
use iamd_store::secret::Keyring;
use iamd_store::{After, Store};
use iamd_store_sqlite::SqliteStore;
use time::OffsetDateTime;

/// A directory of its own for each database, under cargo's scratch directory for
/// integration tests (`target/tmp`, removed by `cargo clean`).
fn fresh_dir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
    let n = N.fetch_add(1, Ordering::Relaxed);
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "iamd-store-sqlite-{}-{nanos}-{n}",
        std::process::id()
    ))
}

/// A fresh store whose user directory has loaded: reads of users by name come from it.
async fn fresh_store() -> Arc<dyn Store> {
    let path = fresh_dir().join("iamd.sqlite3");
    let store = SqliteStore::open(&path).expect("open a fresh store");
    for _ in 0..500 {
        if store.directory_loaded() {
            return Arc::new(store);
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the user directory of an empty database did not load in 5 s");
}

iamd_store::conformance_tests!(fresh_store);

/// The same checks with every read on SQLite, as while the directory loads.
mod without_directory {
    use super::*;

    async fn fresh_store() -> Arc<dyn Store> {
        let path = fresh_dir().join("iamd.sqlite3");
        Arc::new(SqliteStore::open_without_directory(&path).expect("open a fresh store"))
    }

    iamd_store::conformance_tests!(fresh_store);
}

/// The same checks through the caching front (`CachingStore`), as the server runs them. On
/// SQLite without its directory, so that users and keys are read through the cache (the
/// directory's reads pass it by).
mod caching_front {
    use super::*;
    use iamd_store::cache::{CachingStore, DEFAULT_TTL};

    async fn fresh_store() -> Arc<dyn Store> {
        let path = fresh_dir().join("iamd.sqlite3");
        let backend = SqliteStore::open_without_directory(&path).expect("open a fresh store");
        Arc::new(CachingStore::new(Arc::new(backend), DEFAULT_TTL))
    }

    iamd_store::conformance_tests!(fresh_store);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_survives_reopening() {
    let dir = fresh_dir();
    // The parent directory does not exist yet: open creates it.
    let path = dir.join("nested").join("iamd.sqlite3");
    let account_id = ids::account_id();
    let created = OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("time");
    let root_key = NewAccessKey {
        access_key_id: ids::access_key_id(&account_id),
        account_id: account_id.clone(),
        owner: KeyOwner::Root,
        secret: ids::secret_access_key().seal(&Keyring::generate()),
        create_date: created,
    };
    let user = User {
        account_id: account_id.clone(),
        user_id: ids::user_id(),
        user_name: "Persistent".into(),
        path: "/kept/".into(),
        create_date: created,
        tags: vec![Tag {
            key: "k".into(),
            value: "v".into(),
        }],
    };
    let user_key = NewAccessKey {
        access_key_id: ids::access_key_id(&account_id),
        owner: KeyOwner::User {
            user_id: user.user_id.clone(),
        },
        secret: ids::secret_access_key().seal(&Keyring::generate()),
        ..root_key.clone()
    };
    {
        let store = SqliteStore::open(&path).expect("open");
        assert_eq!(store.path(), path);
        store
            .bootstrap_account(&account_id, root_key.clone())
            .await
            .expect("bootstrap");
        store.create_user(&user).await.expect("create_user");
        store
            .create_access_key(&user_key, 2)
            .await
            .expect("create_access_key");
    }

    let store = SqliteStore::open(&path).expect("reopen");
    let other = ids::account_id();
    let other_key = NewAccessKey {
        account_id: other.clone(),
        ..root_key.clone()
    };
    assert_eq!(
        store
            .bootstrap_account(&other, other_key)
            .await
            .expect("bootstrap"),
        (account_id.clone(), false),
        "the account is still there"
    );
    assert_eq!(
        store
            .get_user(&account_id, "persistent")
            .await
            .expect("get_user"),
        Some(user.clone())
    );
    let cred = store
        .get_credential(&user_key.access_key_id)
        .await
        .expect("get_credential")
        .expect("the key is still there");
    assert_eq!(cred.secret, user_key.secret);
    assert_eq!(
        cred.user.map(|u| u.user_name),
        Some("Persistent".to_owned())
    );
    let root = store
        .list_access_keys(&account_id, &KeyOwner::Root, &After::Start, 10)
        .await
        .expect("list_access_keys");
    assert_eq!(root.len(), 1);
    drop(store);
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[tokio::test]
async fn a_newer_schema_is_refused() {
    let path = fresh_dir().join("iamd.sqlite3");
    drop(SqliteStore::open(&path).expect("open"));
    let conn = rusqlite::Connection::open(&path).expect("raw open");
    conn.pragma_update(None, "user_version", 99)
        .expect("set version");
    drop(conn);
    let err = SqliteStore::open(&path).expect_err("a schema from the future");
    assert!(err.to_string().contains("schema version 99"), "{err}");
}

#[tokio::test]
async fn a_version_1_database_is_upgraded_with_its_data() {
    let dir = fresh_dir();
    let path = dir.join("iamd.sqlite3");
    std::fs::create_dir_all(&dir).expect("mkdir");
    // A database as the first release left it: schema version 1, with a user.
    let conn = rusqlite::Connection::open(&path).expect("raw open");
    conn.execute_batch(include_str!("../migrations/0001_init.sql"))
        .expect("0001");
    conn.pragma_update(None, "user_version", 1)
        .expect("set version");
    conn.execute_batch(
        "INSERT INTO accounts VALUES ('123456789012', 1700000000);
         INSERT INTO users VALUES ('AIDAOLD', '123456789012', 'Old', 'old', '/', 1700000000);
         INSERT INTO access_keys VALUES ('AKIAOLD', '123456789012', 'AIDAOLD', 'plain:s3cr3t',
             'Inactive', 1700000000000, NULL, NULL, NULL);",
    )
    .expect("version 1 data");
    drop(conn);

    let store = SqliteStore::open(&path).expect("open upgrades");
    // The old key reads through the indexes a later version added.
    let user = store
        .get_user("123456789012", "OLD")
        .await
        .expect("get_user")
        .expect("the old user");
    assert_eq!((user.user_name.as_str(), user.path.as_str()), ("Old", "/"));
    let owner = KeyOwner::User {
        user_id: "AIDAOLD".to_owned(),
    };
    let keys = store
        .list_access_keys("123456789012", &owner, &After::Start, 10)
        .await
        .expect("list_access_keys");
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].access_key_id, "AKIAOLD");
    assert_eq!(keys[0].user_name.as_deref(), Some("Old"));
    assert_eq!(keys[0].status.as_str(), "Inactive");
    // Read with the user, from the key list schema version 5 filled in.
    let (_, with_user) = store
        .get_user_with_keys("123456789012", "old")
        .await
        .expect("get_user_with_keys")
        .expect("the old user");
    assert_eq!(with_user, keys);
    let credential = store
        .get_credential("AKIAOLD")
        .await
        .expect("get_credential")
        .expect("the old key");
    assert_eq!(credential.secret.as_stored(), "plain:s3cr3t");
    store
        .put_inline_policy(
            "123456789012",
            PolicyHolder::user("old"),
            "p",
            "{}",
            2,
            2048,
        )
        .await
        .expect("the old user takes policies");
    assert_eq!(
        store
            .get_holder_policies(HolderKind::User, "AIDAOLD")
            .await
            .expect("get_holder_policies")
            .inline,
        [("p".to_owned(), "{}".to_owned())]
    );
    drop(store);
    let conn = rusqlite::Connection::open(&path).expect("raw open");
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("user_version");
    assert_eq!(version, 20, "every migration applied");
    drop(conn);
    std::fs::remove_dir_all(&dir).expect("clean up");
}

/// `Store::reset` names every table of the schema, as emptied or kept: a migration that
/// adds a table must say which (`iamd_store::store::RESET_TABLES`, `RESET_KEEPS`).
#[test]
fn reset_accounts_for_every_table() {
    let path = fresh_dir().join("iamd.sqlite3");
    drop(SqliteStore::open(&path).expect("open a fresh store"));
    let conn = rusqlite::Connection::open(&path).expect("open the file");
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap();
    let tables: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut named: Vec<String> = iamd_store::store::RESET_TABLES
        .iter()
        .chain(iamd_store::store::RESET_KEEPS)
        .map(|t| t.to_string())
        .collect();
    named.sort();
    assert_eq!(tables, named);
}
