//! Support for tests that need a PostgreSQL server (this crate's, iamd's): find a
//! reachable one, or say once, on the real stderr, why its tests are skipped; and give
//! each test a fresh, empty schema of its own. Not for production use.

use std::io::Write;

use tokio::sync::OnceCell;

/// Overrides the servers tried by [`database`].
pub const URL_ENV: &str = "IAMD_TEST_DATABASE_URL";

/// CI's server (trust auth, database `test`), as either of the roles it may have.
const CANDIDATES: &[&str] = &[
    "postgres://postgres@127.0.0.1:5432/test",
    "postgres://root@127.0.0.1:5432/test",
];

/// Schemas made by [`fresh_schema`] start with this, then their creation time.
const SCHEMA_PREFIX: &str = "iamd_test_";
/// Schemas older than this are left-overs of earlier runs, dropped by [`fresh_schema`].
const STALE_AFTER_SECS: i64 = 3600;

async fn client(url: &str) -> Result<tokio_postgres::Client, String> {
    let mut config: tokio_postgres::Config = url.parse().map_err(|e| format!("{e}"))?;
    config.connect_timeout(std::time::Duration::from_secs(3));
    let (client, connection) = config
        .connect(tokio_postgres::NoTls)
        .await
        .map_err(|e| crate::queries::chain(&e))?;
    tokio::spawn(connection);
    Ok(client)
}

async fn probe() -> Result<String, String> {
    let candidates: Vec<String> = match std::env::var(URL_ENV) {
        Ok(url) if !url.is_empty() => vec![url],
        _ => CANDIDATES.iter().map(|s| s.to_string()).collect(),
    };
    let mut why = Vec::new();
    for url in &candidates {
        match client(url).await {
            Ok(c) => match c.simple_query("SELECT 1").await {
                Ok(_) => return Ok(url.clone()),
                Err(e) => why.push(format!(
                    "{}: {}",
                    crate::redacted_url(url),
                    crate::queries::chain(&e)
                )),
            },
            Err(e) => why.push(format!("{}: {e}", crate::redacted_url(url))),
        }
    }
    Err(why.join("; "))
}

/// The URL of a reachable test database, or `None` after saying (once per process, on
/// stderr, past the test harness's capture) that the PostgreSQL tests are skipped and why.
pub async fn database() -> Option<String> {
    static FOUND: OnceCell<Option<String>> = OnceCell::const_new();
    FOUND
        .get_or_init(|| async {
            match probe().await {
                Ok(url) => Some(url),
                Err(why) => {
                    let _ = writeln!(
                        std::io::stderr(),
                        "SKIPPED: PostgreSQL not reachable at {why} (set {URL_ENV} to use another server)"
                    );
                    None
                }
            }
        })
        .await
        .clone()
}

/// `base` with `search_path` set to `schema` (through libpq's `options` parameter).
pub fn with_schema(base: &str, schema: &str) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-c%20search_path%3D{schema}")
}

/// Creates an empty schema on `base` and returns its name; drops the schemas that earlier
/// runs left behind.
pub async fn fresh_schema(base: &str) -> String {
    let c = client(base).await.expect("connect to the test database");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let pattern = format!("{SCHEMA_PREFIX}%");
    if let Ok(rows) = c
        .query(
            "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE $1",
            &[&pattern],
        )
        .await
    {
        for row in rows {
            let name: String = row.get(0);
            let created = name
                .strip_prefix(SCHEMA_PREFIX)
                .and_then(|rest| rest.split('_').next())
                .and_then(|secs| secs.parse::<i64>().ok());
            if created.is_some_and(|t| now - t > STALE_AFTER_SECS) {
                // Another test process may be dropping it too.
                let _ = c
                    .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"))
                    .await;
            }
        }
    }
    let schema = format!(
        "{SCHEMA_PREFIX}{now}_{}",
        iamd_store::ids::nonce().to_lowercase()
    );
    c.batch_execute(&format!("CREATE SCHEMA \"{schema}\""))
        .await
        .expect("create a test schema");
    schema
}

/// Drops a schema made by [`fresh_schema`], and everything in it.
pub async fn drop_schema(base: &str, schema: &str) {
    if let Ok(c) = client(base).await {
        let _ = c
            .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
            .await;
    }
}

/// Whether `store`'s connections are encrypted (`pg_stat_ssl` for one of them).
pub async fn encrypted(store: &crate::PgStore) -> bool {
    let client = store.client().await.expect("a pooled connection");
    client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .expect("pg_stat_ssl")
        .get(0)
}

/// The server's certificate file (`ssl_cert_file`), when SSL is on and the file is readable
/// here (a server on this machine).
pub async fn server_cert_file(base: &str) -> Option<std::path::PathBuf> {
    let c = client(base).await.ok()?;
    let on: String = c.query_one("SHOW ssl", &[]).await.ok()?.get(0);
    if on != "on" {
        return None;
    }
    let file: String = c.query_one("SHOW ssl_cert_file", &[]).await.ok()?.get(0);
    let path = std::path::PathBuf::from(file);
    let path = if path.is_relative() {
        let dir: String = c.query_one("SHOW data_directory", &[]).await.ok()?.get(0);
        std::path::Path::new(&dir).join(path)
    } else {
        path
    };
    std::fs::metadata(&path).ok().map(|_| path)
}
