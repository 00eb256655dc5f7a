//! The shared `Store` conformance suite on PostgreSQL, each check in a fresh schema, plus
//! what only a shared database shows: several stores (nodes) on one schema, migrations
//! racing, and a server that cannot be reached.
//!
//! Needs a PostgreSQL server (CI's on 127.0.0.1:5432, or `IAMD_TEST_DATABASE_URL`); without
//! one every test prints why it skipped and passes.

use std::sync::Arc;

use iamd_store::ids;
use iamd_store::model::{
    HolderKind, KeyOwner, NewAccessKey, PolicyHolder, User, ACCESS_KEYS_PER_USER,
};
use iamd_store::secret::Keyring;
use iamd_store::{Store, StoreError};
use iamd_store_postgres::{testing, PgStore};
use time::OffsetDateTime;
use tokio::sync::Barrier;

/// A migrated store on a fresh schema of the test database at `base`.
async fn store_on(base: &str) -> PgStore {
    let schema = testing::fresh_schema(base).await;
    let store = iamd_store_postgres::connect(&testing::with_schema(base, &schema))
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    store
}

async fn fresh_store(base: String) -> Arc<dyn Store> {
    Arc::new(store_on(&base).await)
}

// The factory expression runs at the top of each generated test: with no server it
// returns from the test (after `testing::database` said why) before any store is made.
iamd_store::conformance_tests!({
    let Some(base) = testing::database().await else {
        return;
    };
    move || fresh_store(base)
});

/// The same checks through the caching front (`CachingStore`), as every node runs them.
mod caching_front {
    use super::*;
    use iamd_store::cache::{CachingStore, DEFAULT_TTL};

    async fn cached_store(base: String) -> Arc<dyn Store> {
        Arc::new(CachingStore::new(fresh_store(base).await, DEFAULT_TTL))
    }

    iamd_store::conformance_tests!({
        let Some(base) = testing::database().await else {
            return;
        };
        move || cached_store(base)
    });
}

/// Two stores (two nodes) on one fresh schema, each with its own pool.
async fn two_nodes() -> Option<(PgStore, PgStore)> {
    let base = testing::database().await?;
    let schema = testing::fresh_schema(&base).await;
    let url = testing::with_schema(&base, &schema);
    let (a, b) = tokio::join!(
        iamd_store_postgres::connect(&url),
        iamd_store_postgres::connect(&url)
    );
    let (a, b) = (a.expect("connect a"), b.expect("connect b"));
    // Nodes starting together migrate together: each migration is applied once.
    let (ma, mb) = tokio::join!(a.migrate(), b.migrate());
    ma.expect("migrate a");
    mb.expect("migrate b");
    a.migrate().await.expect("migrating again is a no-op");
    Some((a, b))
}

fn root_key(account_id: &str) -> NewAccessKey {
    NewAccessKey {
        access_key_id: ids::access_key_id(account_id),
        account_id: account_id.to_owned(),
        owner: KeyOwner::Root,
        secret: ids::secret_access_key().seal(&Keyring::generate()),
        create_date: OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("time"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nodes_bootstrapping_together_create_one_account() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let (ida, idb) = (ids::account_id(), ids::account_id());
    let (ka, kb) = (root_key(&ida), root_key(&idb));
    let start = Arc::new(Barrier::new(2));
    let (ra, rb) = tokio::join!(
        async {
            start.wait().await;
            a.bootstrap_account(&ida, ka.clone()).await
        },
        async {
            start.wait().await;
            b.bootstrap_account(&idb, kb.clone()).await
        }
    );
    let (ra, rb) = (ra.expect("bootstrap a"), rb.expect("bootstrap b"));
    assert_eq!(ra.0, rb.0, "both nodes serve the same account");
    assert_eq!(
        usize::from(ra.1) + usize::from(rb.1),
        1,
        "exactly one created it"
    );
    let loser = if ra.1 { &kb } else { &ka };
    assert!(a
        .get_credential(&loser.access_key_id)
        .await
        .expect("get_credential")
        .is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nodes_agree_on_names_and_quotas() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let account_id = ids::account_id();
    a.bootstrap_account(&account_id, root_key(&account_id))
        .await
        .expect("bootstrap");
    let nodes: [Arc<dyn Store>; 2] = [Arc::new(a), Arc::new(b)];

    // One name in three casings, created on both nodes at once: one user.
    let start = Arc::new(Barrier::new(6));
    let tasks: Vec<_> = ["Zed", "zed", "ZED", "Zed", "zed", "ZED"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let (node, start) = (Arc::clone(&nodes[i % 2]), Arc::clone(&start));
            let user = User {
                account_id: account_id.clone(),
                user_id: ids::user_id(),
                user_name: (*name).to_owned(),
                path: "/".into(),
                create_date: OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("time"),
                tags: Vec::new(),
            };
            tokio::spawn(async move {
                start.wait().await;
                node.create_user(&user).await.map(|()| user.user_id)
            })
        })
        .collect();
    let mut created = Vec::new();
    for task in tasks {
        match task.await.expect("task") {
            Ok(id) => created.push(id),
            Err(StoreError::AlreadyExists) => {}
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }
    assert_eq!(created.len(), 1, "exactly one CreateUser wins");
    let zed = nodes[1]
        .get_user(&account_id, "zED")
        .await
        .expect("get_user")
        .expect("the user exists");
    assert_eq!(zed.user_id, created[0]);

    // 24 key creations for one user spread over both nodes: two keys.
    let owner = KeyOwner::User {
        user_id: zed.user_id.clone(),
    };
    let start = Arc::new(Barrier::new(24));
    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let (node, start) = (Arc::clone(&nodes[i % 2]), Arc::clone(&start));
            let key = NewAccessKey {
                owner: owner.clone(),
                ..root_key(&account_id)
            };
            tokio::spawn(async move {
                start.wait().await;
                node.create_access_key(&key, ACCESS_KEYS_PER_USER).await
            })
        })
        .collect();
    let (mut ok, mut refused) = (0, 0);
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => ok += 1,
            Err(StoreError::KeyQuotaExceeded) => refused += 1,
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }
    assert_eq!((ok, refused), (2, 22));
}

#[tokio::test]
async fn an_unreachable_server_is_a_backend_error() {
    // Port 1 on localhost: refused at once. The URL's password must not be echoed.
    let started = std::time::Instant::now();
    let err =
        iamd_store_postgres::connect("postgres://iamd:hunter2@127.0.0.1:1/iamd?connect_timeout=2")
            .await
            .expect_err("nothing listens on port 1");
    match &err {
        StoreError::Backend(msg) => assert!(!msg.contains("hunter2"), "{msg}"),
        other => panic!("expected a backend error, got {other:?}"),
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(
        iamd_store_postgres::redacted_url(
            "postgres://iamd:hunter2@db.example:5433/iamd?sslmode=disable"
        ),
        "postgres://iamd@db.example:5433/iamd"
    );
}

#[tokio::test]
async fn a_newer_schema_is_refused() {
    let Some(base) = testing::database().await else {
        return;
    };
    // A newer iamd migrated this schema further.
    let schema = testing::fresh_schema(&base).await;
    let url = testing::with_schema(&base, &schema);
    let newer = iamd_store_postgres::connect(&url).await.expect("connect");
    newer.migrate().await.expect("migrate");
    let (client, conn) = url
        .parse::<tokio_postgres::Config>()
        .expect("url")
        .connect(tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(conn);
    client
        .batch_execute("INSERT INTO schema_migrations VALUES (999, '0999_future', 0)")
        .await
        .expect("insert");
    match newer.migrate().await {
        Err(StoreError::Backend(msg)) => assert!(msg.contains("newer"), "{msg}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    testing::drop_schema(&base, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_1_schema_is_upgraded_with_its_data() {
    let Some(base) = testing::database().await else {
        return;
    };
    // A schema as the first release left it: 0001 applied and recorded, with a user.
    let schema = testing::fresh_schema(&base).await;
    let url = testing::with_schema(&base, &schema);
    let (client, conn) = url
        .parse::<tokio_postgres::Config>()
        .expect("url")
        .connect(tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(conn);
    client
        .batch_execute(include_str!("../migrations/0001_init.sql"))
        .await
        .expect("0001");
    client
        .batch_execute(
            "CREATE TABLE schema_migrations (
                 version BIGINT NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL
             );
             INSERT INTO schema_migrations VALUES (1, '0001_init', 0);
             INSERT INTO accounts VALUES ('123456789012', 1700000000);
             INSERT INTO users VALUES ('AIDAOLD', '123456789012', 'Old', 'old', '/', 1700000000);",
        )
        .await
        .expect("version 1 data");

    let store = iamd_store_postgres::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let versions: Vec<(i64, String)> = client
        .query(
            "SELECT version, name FROM schema_migrations ORDER BY version",
            &[],
        )
        .await
        .expect("schema_migrations")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        versions,
        [
            (1, "0001_init".to_owned()),
            (2, "0002_policies".to_owned()),
            (3, "0003_roles".to_owned()),
            (4, "0004_groups".to_owned()),
            (5, "0005_instance_profiles".to_owned()),
            (6, "0006_permissions_boundaries".to_owned()),
            (7, "0007_aws_managed_policies".to_owned()),
            (8, "0008_account_aliases_service_roles".to_owned()),
            (9, "0009_role_last_used".to_owned()),
            (10, "0010_login_profiles".to_owned()),
            (11, "0011_mfa_devices".to_owned()),
            (12, "0012_service_credentials".to_owned()),
            (13, "0013_oidc_providers".to_owned()),
            (14, "0014_public_credentials".to_owned()),
            (15, "0015_server_certificates".to_owned()),
            (16, "0016_saml_providers".to_owned()),
            (17, "0017_oidc_identity_center".to_owned()),
            (18, "0018_sts_preferences".to_owned())
        ]
    );
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
    testing::drop_schema(&base, &schema).await;
}

/// `Store::reset` names every table of the schema, as emptied or kept: a migration that
/// adds a table must say which (`iamd_store::store::RESET_TABLES`, `RESET_KEEPS`).
#[tokio::test]
async fn reset_accounts_for_every_table() {
    let Some(base) = testing::database().await else {
        return;
    };
    let schema = testing::fresh_schema(&base).await;
    let store = iamd_store_postgres::connect(&testing::with_schema(&base, &schema))
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    let (client, connection) = tokio_postgres::connect(&base, tokio_postgres::NoTls)
        .await
        .expect("connect to the test database");
    tokio::spawn(connection);
    let mut tables: Vec<String> = client
        .query(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
            &[&schema],
        )
        .await
        .expect("list tables")
        .into_iter()
        .map(|r| r.get(0))
        .filter(|t: &String| t != "schema_migrations")
        .collect();
    tables.sort();
    let mut named: Vec<String> = iamd_store::store::RESET_TABLES
        .iter()
        .chain(iamd_store::store::RESET_KEEPS)
        .map(|t| t.to_string())
        .collect();
    named.sort();
    assert_eq!(tables, named);
    testing::drop_schema(&base, &schema).await;
}
