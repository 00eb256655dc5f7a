//! iamd's scale-out storage backend: the `Store` contract on a PostgreSQL database shared
//! by any number of iamd nodes. Nodes keep no state of their own; every invariant holds in
//! the database, one transaction per `Store` method (row locks on the owning user, role,
//! account or managed policy, a unique index on lower-cased names, `SERIALIZABLE` where
//! nothing exists yet to lock). Connections come from a bounded pool with connect, wait
//! and statement timeouts; serialization failures and deadlocks are retried, and a lost connection is
//! retried only where nothing had been sent yet. It is not a cache, and it holds no domain
//! rules beyond the invariants the `Store` trait asks of every backend.

mod aliases;
mod aws_policies;
mod boundaries;
mod groups;
mod holders;
mod mfa;
mod oidc;
mod passwords;
mod policies;
mod profiles;
mod public_credentials;
mod queries;
mod roles;
mod saml;
mod secrets;
mod server_certificates;
mod service_credentials;
mod tags;
#[doc(hidden)]
pub mod testing;
pub mod tls;

use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{
    Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod, Runtime,
};
use iamd_store::model::{
    AccessKey, Account, AccountCounts, AwsPolicyUsage, Credential, DeletionTask, Group, HolderKind,
    InstanceProfile, KeyOwner, KeyStatus, KeyUsage, LoginProfile, ManagedPolicy, MfaDevice,
    MfaSecret, NewAccessKey, NewPassword, OidcProvider, OidcProviderChange, PasswordPolicy,
    PolicyEntity, PolicyHolder, PolicyVersion, PublicCredential, PublicCredentialKind, Role,
    RoleUsage, SamlProvider, SamlProviderChange, ServerCertificate, ServiceCredential, Tag, Tagged,
    User, UserPolicies,
};
use iamd_store::secret::{Keyring, SealedSecret};
use iamd_store::{After, Reseal, Store, StoreError};
use tokio_postgres::IsolationLevel;

use queries::Fail;

/// Connections per node. PostgreSQL's default `max_connections` (100) fits several nodes.
const POOL_SIZE: usize = 16;
/// Opening a TCP connection and logging in, unless the URL says otherwise.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Waiting for a free connection, creating one, or checking one returned to the pool.
const POOL_TIMEOUT: Duration = Duration::from_secs(5);
/// The server cancels any one statement (lock waits included) after this long.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(10);
/// The server ends a session left idle inside a transaction (a node cut off mid-way)
/// after this long, releasing its locks.
const IDLE_IN_TRANSACTION_TIMEOUT: Duration = Duration::from_secs(30);
/// A whole `Store` call, retries included: past this the caller gets a backend error even
/// if the network hangs without closing the connection.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(15);
/// A dead peer is noticed by TCP keepalives (and unacknowledged writes) this soon.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(30);
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(30);
/// Attempts at one operation when the database aborts it for a conflict (or hands out a
/// connection that turns out dead before anything was sent).
const ATTEMPTS: u32 = 6;
/// The key of the advisory lock under which migrations run, so that nodes starting
/// together apply each migration once ("iamd" in ASCII).
const MIGRATION_LOCK: i64 = 0x6961_6d64;

/// The schema migrations, in order; migration `i` is version `i + 1` in `schema_migrations`.
const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("../migrations/0001_init.sql")),
    (
        "0002_policies",
        include_str!("../migrations/0002_policies.sql"),
    ),
    ("0003_roles", include_str!("../migrations/0003_roles.sql")),
    ("0004_groups", include_str!("../migrations/0004_groups.sql")),
    (
        "0005_instance_profiles",
        include_str!("../migrations/0005_instance_profiles.sql"),
    ),
    (
        "0006_permissions_boundaries",
        include_str!("../migrations/0006_permissions_boundaries.sql"),
    ),
    (
        "0007_aws_managed_policies",
        include_str!("../migrations/0007_aws_managed_policies.sql"),
    ),
    (
        "0008_account_aliases_service_roles",
        include_str!("../migrations/0008_account_aliases_service_roles.sql"),
    ),
    (
        "0009_role_last_used",
        include_str!("../migrations/0009_role_last_used.sql"),
    ),
    (
        "0010_login_profiles",
        include_str!("../migrations/0010_login_profiles.sql"),
    ),
    (
        "0011_mfa_devices",
        include_str!("../migrations/0011_mfa_devices.sql"),
    ),
    (
        "0012_service_credentials",
        include_str!("../migrations/0012_service_credentials.sql"),
    ),
    (
        "0013_oidc_providers",
        include_str!("../migrations/0013_oidc_providers.sql"),
    ),
    (
        "0014_public_credentials",
        include_str!("../migrations/0014_public_credentials.sql"),
    ),
    (
        "0015_server_certificates",
        include_str!("../migrations/0015_server_certificates.sql"),
    ),
    (
        "0016_saml_providers",
        include_str!("../migrations/0016_saml_providers.sql"),
    ),
    (
        "0017_oidc_identity_center",
        include_str!("../migrations/0017_oidc_identity_center.sql"),
    ),
    (
        "0018_sts_preferences",
        include_str!("../migrations/0018_sts_preferences.sql"),
    ),
];

/// A `Store` on a PostgreSQL database. Cheap to share behind an `Arc`; clones share the pool.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    target: String,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("target", &self.target)
            .finish()
    }
}

/// `url` without its password or parameters, fit for logs and error messages.
pub fn redacted_url(url: &str) -> String {
    let parsed = tls::split(url).map(|s| s.url.parse::<tokio_postgres::Config>());
    match parsed {
        Ok(Ok(config)) => describe(&config),
        _ => "<unparsable database url>".into(),
    }
}

fn describe(config: &tokio_postgres::Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let host = match host {
                tokio_postgres::config::Host::Tcp(h) => h.clone(),
                #[cfg(unix)]
                tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
            };
            match config.get_ports().get(i).or(config.get_ports().first()) {
                Some(port) => format!("{host}:{port}"),
                None => host,
            }
        })
        .collect();
    format!(
        "postgres://{}@{}/{}",
        config.get_user().unwrap_or(""),
        hosts.join(","),
        config.get_dbname().unwrap_or("")
    )
}

/// Opens a pool on the database at `url` (`postgres://user[:password]@host[:port]/db`
/// with libpq's parameters, e.g. `?connect_timeout=2&options=-c%20search_path%3Dx`, and
/// `sslmode`/`sslrootcert` as [`tls`] describes) and checks that it answers. The schema is
/// not touched: call [`PgStore::migrate`].
pub async fn connect(url: &str) -> Result<PgStore, StoreError> {
    let invalid = |e: String| StoreError::Backend(format!("invalid database url: {e}"));
    let split = tls::split(url).map_err(invalid)?;
    let mut config: tokio_postgres::Config =
        split.url.parse().map_err(|e| invalid(format!("{e}")))?;
    let connector = tls::connector(&split).map_err(invalid)?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_tcp_user_timeout().is_none() {
        config.tcp_user_timeout(TCP_USER_TIMEOUT);
    }
    config.keepalives(true).keepalives_idle(KEEPALIVE_IDLE);
    if config.get_application_name().is_none() {
        config.application_name("iamd");
    }
    // Session settings go in the startup packet (no extra round trip per connection),
    // after whatever the URL's `options` already set.
    let options = format!(
        "{} -c statement_timeout={} -c idle_in_transaction_session_timeout={}",
        config.get_options().unwrap_or(""),
        STATEMENT_TIMEOUT.as_millis(),
        IDLE_IN_TRANSACTION_TIMEOUT.as_millis(),
    );
    config.options(options.trim_start());
    let target = describe(&config);
    let manager = Manager::from_config(
        config,
        connector,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    let pool = Pool::builder(manager)
        .max_size(POOL_SIZE)
        .wait_timeout(Some(POOL_TIMEOUT))
        .create_timeout(Some(POOL_TIMEOUT))
        .recycle_timeout(Some(POOL_TIMEOUT))
        .runtime(Runtime::Tokio1)
        .build()
        .map_err(|e| StoreError::Backend(format!("cannot build the connection pool: {e}")))?;
    let store = PgStore { pool, target };
    store
        .bounded(async { store.client().await.map(drop) })
        .await?;
    Ok(store)
}

impl PgStore {
    /// Where the store is, without credentials: `postgres://user@host:port/db`.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Brings the schema (in the connection's current schema, the first of `search_path`)
    /// up to date. Safe to run from several nodes at once: they queue on an advisory lock
    /// and each migration is applied once, in one transaction with its record.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.bounded(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
                .await?;
            tx.batch_execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (
                     version    BIGINT NOT NULL PRIMARY KEY,
                     name       TEXT   NOT NULL,
                     applied_at BIGINT NOT NULL
                 )",
            )
            .await?;
            let applied = tx
                .query("SELECT version FROM schema_migrations", &[])
                .await?
                .iter()
                .map(|r| r.try_get::<_, i64>(0))
                .collect::<Result<Vec<_>, _>>()?;
            let known = MIGRATIONS.len() as i64;
            if let Some(newer) = applied.iter().find(|v| **v > known) {
                return Err(Fail::Data(format!(
                    "{} has schema version {newer}, newer than this iamd knows ({known})",
                    self.target
                )));
            }
            for (i, (name, sql)) in MIGRATIONS.iter().enumerate() {
                let version = i as i64 + 1;
                if applied.contains(&version) {
                    continue;
                }
                tx.batch_execute(sql).await?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                    &[
                        &version,
                        name,
                        &time::OffsetDateTime::now_utc().unix_timestamp(),
                    ],
                )
                .await?;
                tracing::info!(target = %self.target, version, name, "applied schema migration");
            }
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn client(&self) -> queries::Result<Object> {
        self.pool.get().await.map_err(|e| match e {
            PoolError::Backend(e) => Fail::Db(e),
            PoolError::Timeout(kind) => {
                Fail::Pool(format!("no database connection: {kind:?} timed out"))
            }
            PoolError::Closed => Fail::Pool("the connection pool is closed".into()),
            PoolError::NoRuntimeSpecified => Fail::Pool("the pool has no runtime".into()),
            PoolError::PostCreateHook(e) => Fail::Pool(format!("new connection refused: {e}")),
        })
    }

    /// Runs a whole operation within `OPERATION_TIMEOUT` and reports its failure.
    async fn bounded<T>(
        &self,
        op: impl std::future::Future<Output = queries::Result<T>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(OPERATION_TIMEOUT, op).await {
            Ok(result) => result.map_err(Fail::into_store),
            Err(_) => Err(StoreError::Backend(format!(
                "database operation timed out after {OPERATION_TIMEOUT:?}"
            ))),
        }
    }
}

/// A short, jittered pause before attempt `attempt + 1`.
async fn backoff(attempt: u32) {
    let jitter = u64::from(time::OffsetDateTime::now_utc().nanosecond() % 5_000_000) / 1_000_000;
    let ms = (5u64 << attempt.min(6)) + jitter;
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

/// Runs `$body` (a future using `$tx`, a transaction at `$isolation`) and commits it,
/// within the operation timeout. A conflict (40001, 40P01) runs it again, as does a
/// connection that fails before the transaction began; a connection lost after that is
/// not retried, for the commit may or may not have happened.
macro_rules! transaction {
    ($store:expr, $isolation:expr, |$tx:ident| $body:expr) => {
        $store
            .bounded(async {
                let mut attempt = 1;
                loop {
                    let mut began = false;
                    let outcome: queries::Result<_> = async {
                        let mut client = $store.client().await?;
                        let $tx = client
                            .build_transaction()
                            .isolation_level($isolation)
                            .start()
                            .await?;
                        began = true;
                        let value = $body.await?;
                        $tx.commit().await?;
                        Ok(value)
                    }
                    .await;
                    match outcome {
                        Err(fail)
                            if attempt < ATTEMPTS
                                && (fail.is_conflict() || (!began && fail.is_connection())) =>
                        {
                            tracing::debug!(attempt, ?fail, "retrying a database transaction");
                            backoff(attempt).await;
                            attempt += 1;
                        }
                        other => break other,
                    }
                }
            })
            .await
    };
}

/// Runs `$body` (a future using `$client`, one statement on a pooled connection) within
/// the operation timeout, again on a conflict or a failed connection: reads are idempotent.
macro_rules! read {
    ($store:expr, |$client:ident| $body:expr) => {
        $store
            .bounded(async {
                let mut attempt = 1;
                loop {
                    let outcome: queries::Result<_> = async {
                        let $client = $store.client().await?;
                        $body.await
                    }
                    .await;
                    match outcome {
                        Err(fail)
                            if attempt < ATTEMPTS
                                && (fail.is_conflict() || fail.is_connection()) =>
                        {
                            tracing::debug!(attempt, ?fail, "retrying a database read");
                            backoff(attempt).await;
                            attempt += 1;
                        }
                        other => break other,
                    }
                }
            })
            .await
    };
}

/// Row locks do the work at PostgreSQL's default level.
const WRITE: IsolationLevel = IsolationLevel::ReadCommitted;
/// Reads of several statements that must see one snapshot.
const SNAPSHOT: IsolationLevel = IsolationLevel::RepeatableRead;

#[async_trait]
impl Store for PgStore {
    async fn reset(&self) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| queries::reset(&tx))
    }

    async fn bootstrap_account(
        &self,
        account_id: &str,
        root_key: NewAccessKey,
    ) -> Result<(String, bool), StoreError> {
        transaction!(self, IsolationLevel::Serializable, |tx| {
            queries::bootstrap_account(&tx, account_id, &root_key)
        })
    }

    async fn served_account(&self) -> Result<Option<Account>, StoreError> {
        read!(self, |c| queries::served_account(&c))
    }

    async fn get_account(&self, account_id: &str) -> Result<Option<Account>, StoreError> {
        read!(self, |c| queries::get_account(&c, account_id))
    }

    async fn list_policy_entities(
        &self,
        account_id: &str,
        policy_name: &str,
        kind: HolderKind,
        as_boundary: bool,
        path_prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<PolicyEntity>, StoreError> {
        read!(self, |c| holders::list_policy_entities(
            &c,
            account_id,
            policy_name,
            kind,
            as_boundary,
            path_prefix,
            after,
            limit
        ))
    }

    async fn count_account(&self, account_id: &str) -> Result<AccountCounts, StoreError> {
        read!(self, |c| queries::count_account(&c, account_id))
    }

    async fn create_user(&self, user: &User) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| queries::create_user(&tx, user))
    }

    async fn get_user(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<Option<User>, StoreError> {
        read!(self, |c| queries::get_user(&c, account_id, user_name))
    }

    async fn list_users(
        &self,
        account_id: &str,
        path_prefix: &str,
        after: &After,
        limit: usize,
    ) -> Result<Vec<User>, StoreError> {
        read!(self, |c| queries::list_users(
            &c,
            account_id,
            path_prefix,
            after,
            limit
        ))
    }

    async fn update_user(
        &self,
        account_id: &str,
        user_name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| queries::update_user(
            &tx, account_id, user_name, new_name, new_path
        ))
    }

    async fn delete_user(&self, account_id: &str, user_name: &str) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| queries::delete_user(
            &tx, account_id, user_name
        ))
    }

    async fn create_access_key(
        &self,
        key: &NewAccessKey,
        quota: u32,
    ) -> Result<AccessKey, StoreError> {
        transaction!(self, WRITE, |tx| queries::create_access_key(
            &tx, key, quota
        ))
    }

    async fn list_access_keys(
        &self,
        account_id: &str,
        owner: &KeyOwner,
        after: &After,
        limit: usize,
    ) -> Result<Vec<AccessKey>, StoreError> {
        read!(self, |c| queries::list_access_keys(
            &c, account_id, owner, after, limit
        ))
    }

    async fn get_user_with_keys(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<Option<(User, Vec<AccessKey>)>, StoreError> {
        read!(self, |c| queries::get_user_with_keys(
            &c, account_id, user_name
        ))
    }

    async fn update_access_key(
        &self,
        account_id: &str,
        owner: &KeyOwner,
        access_key_id: &str,
        status: KeyStatus,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| queries::update_access_key(
            &tx,
            account_id,
            owner,
            access_key_id,
            status
        ))
    }

    async fn delete_access_key(
        &self,
        account_id: &str,
        owner: &KeyOwner,
        access_key_id: &str,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| queries::delete_access_key(
            &tx,
            account_id,
            owner,
            access_key_id
        ))
    }

    async fn get_credential(&self, access_key_id: &str) -> Result<Option<Credential>, StoreError> {
        read!(self, |c| queries::get_credential(&c, access_key_id))
    }

    async fn get_access_key_last_used(
        &self,
        access_key_id: &str,
    ) -> Result<Option<(AccessKey, Option<KeyUsage>)>, StoreError> {
        read!(self, |c| queries::get_access_key_last_used(
            &c,
            access_key_id
        ))
    }

    async fn reseal_secrets(
        &self,
        keyring: &Keyring,
        which: Reseal,
        batch: usize,
    ) -> Result<u64, StoreError> {
        let (prefix, having) = which.filter(keyring);
        let batch = batch.max(1);
        let mut count = 0;
        for table in secrets::TABLES {
            let mut after = String::new();
            loop {
                let (last, written) = transaction!(self, WRITE, |tx| secrets::reseal_batch(
                    &tx, table, keyring, &after, &prefix, having, batch
                ))?;
                count += written;
                match last {
                    Some(last) => after = last,
                    None => break,
                }
            }
        }
        Ok(count)
    }

    async fn record_key_usage(&self, usage: &[KeyUsage]) -> Result<(), StoreError> {
        if usage.is_empty() {
            return Ok(());
        }
        transaction!(self, WRITE, |tx| queries::record_key_usage(&tx, usage))
    }

    async fn create_policy(
        &self,
        policy: &ManagedPolicy,
        document: &str,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| policies::create_policy(
            &tx, policy, document
        ))
    }

    async fn get_policy(
        &self,
        account_id: &str,
        policy_name: &str,
    ) -> Result<Option<ManagedPolicy>, StoreError> {
        read!(self, |c| policies::get_policy(&c, account_id, policy_name))
    }

    async fn list_policies(
        &self,
        account_id: &str,
        path_prefix: &str,
        only_attached: bool,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ManagedPolicy>, StoreError> {
        read!(self, |c| policies::list_policies(
            &c,
            account_id,
            path_prefix,
            only_attached,
            after,
            limit
        ))
    }

    async fn delete_policy(&self, account_id: &str, policy_name: &str) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| policies::delete_policy(
            &tx,
            account_id,
            policy_name
        ))
    }

    async fn create_policy_version(
        &self,
        account_id: &str,
        policy_name: &str,
        document: &str,
        set_as_default: bool,
        max_versions: u32,
        now: time::OffsetDateTime,
    ) -> Result<PolicyVersion, StoreError> {
        transaction!(self, WRITE, |tx| policies::create_policy_version(
            &tx,
            account_id,
            policy_name,
            document,
            set_as_default,
            max_versions,
            now
        ))
    }

    async fn get_policy_version(
        &self,
        account_id: &str,
        policy_name: &str,
        version_id: &str,
    ) -> Result<Option<PolicyVersion>, StoreError> {
        read!(self, |c| policies::get_policy_version(
            &c,
            account_id,
            policy_name,
            version_id
        ))
    }

    async fn list_policy_versions(
        &self,
        account_id: &str,
        policy_name: &str,
    ) -> Result<Vec<PolicyVersion>, StoreError> {
        read!(self, |c| policies::list_policy_versions(
            &c,
            account_id,
            policy_name
        ))
    }

    async fn set_default_policy_version(
        &self,
        account_id: &str,
        policy_name: &str,
        version_id: &str,
        now: time::OffsetDateTime,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| policies::set_default_policy_version(
            &tx,
            account_id,
            policy_name,
            version_id,
            now
        ))
    }

    async fn delete_policy_version(
        &self,
        account_id: &str,
        policy_name: &str,
        version_id: &str,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| policies::delete_policy_version(
            &tx,
            account_id,
            policy_name,
            version_id
        ))
    }

    async fn create_role(&self, role: &Role) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| roles::create_role(&tx, role))
    }

    async fn get_role(
        &self,
        account_id: &str,
        role_name: &str,
    ) -> Result<Option<Role>, StoreError> {
        read!(self, |c| roles::get_role(&c, account_id, role_name))
    }

    async fn get_role_by_id(&self, role_id: &str) -> Result<Option<Role>, StoreError> {
        read!(self, |c| roles::get_role_by_id(&c, role_id))
    }

    async fn list_roles(
        &self,
        account_id: &str,
        path_prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Role>, StoreError> {
        read!(self, |c| roles::list_roles(
            &c,
            account_id,
            path_prefix,
            after,
            limit
        ))
    }

    async fn update_role(
        &self,
        account_id: &str,
        role_name: &str,
        description: Option<&str>,
        max_session_duration: Option<u32>,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| roles::update_role(
            &tx,
            account_id,
            role_name,
            description,
            max_session_duration
        ))
    }

    async fn update_assume_role_policy(
        &self,
        account_id: &str,
        role_name: &str,
        document: &str,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| roles::update_assume_role_policy(
            &tx, account_id, role_name, document
        ))
    }

    async fn delete_role(&self, account_id: &str, role_name: &str) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| roles::delete_role(
            &tx, account_id, role_name
        ))
    }

    async fn record_role_usage(&self, usage: &[RoleUsage]) -> Result<(), StoreError> {
        if usage.is_empty() {
            return Ok(());
        }
        transaction!(self, WRITE, |tx| roles::record_role_usage(&tx, usage))
    }

    async fn get_role_last_used(&self, role_id: &str) -> Result<Option<RoleUsage>, StoreError> {
        read!(self, |c| roles::get_role_last_used(&c, role_id))
    }

    async fn create_user_with_boundary(
        &self,
        user: &User,
        boundary: &str,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| boundaries::create_user(
            &tx, user, boundary
        ))
    }

    async fn create_role_with_boundary(
        &self,
        role: &Role,
        boundary: &str,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| boundaries::create_role(
            &tx, role, boundary
        ))
    }

    async fn put_permissions_boundary(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        policy_name: &str,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| boundaries::put(
            &tx,
            account_id,
            holder,
            policy_name
        ))
    }

    async fn delete_permissions_boundary(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| boundaries::delete(
            &tx, account_id, holder
        ))
    }

    async fn get_permissions_boundary(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
    ) -> Result<Option<String>, StoreError> {
        read!(self, |c| boundaries::get(&c, account_id, holder))
    }

    async fn attach_aws_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        arn: &str,
        max_attached: usize,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| aws_policies::attach(
            &tx,
            account_id,
            holder,
            arn,
            max_attached
        ))
    }

    async fn detach_aws_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        arn: &str,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| aws_policies::detach(
            &tx, account_id, holder, arn
        ))
    }

    async fn list_aws_attached_policies(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
    ) -> Result<Vec<String>, StoreError> {
        read!(self, |c| aws_policies::list(&c, account_id, holder))
    }

    async fn put_aws_permissions_boundary(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        arn: &str,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| aws_policies::put_boundary(
            &tx, account_id, holder, arn
        ))
    }

    async fn create_user_with_aws_boundary(
        &self,
        user: &User,
        arn: &str,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| aws_policies::create_user(&tx, user, arn))
    }

    async fn create_role_with_aws_boundary(
        &self,
        role: &Role,
        arn: &str,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| aws_policies::create_role(&tx, role, arn))
    }

    async fn aws_policy_usage(
        &self,
        account_id: &str,
        arn: Option<&str>,
    ) -> Result<Vec<AwsPolicyUsage>, StoreError> {
        read!(self, |c| aws_policies::usage(&c, account_id, arn))
    }

    async fn list_aws_policy_entities(
        &self,
        account_id: &str,
        arn: &str,
        kind: HolderKind,
        as_boundary: bool,
        path_prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<PolicyEntity>, StoreError> {
        read!(self, |c| aws_policies::list_entities(
            &c,
            account_id,
            arn,
            kind,
            as_boundary,
            path_prefix,
            after,
            limit
        ))
    }

    async fn put_inline_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        policy_name: &str,
        document: &str,
        size: usize,
        max_total: usize,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| holders::put_inline_policy(
            &tx,
            account_id,
            holder,
            policy_name,
            document,
            size,
            max_total
        ))
    }

    async fn get_inline_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        policy_name: &str,
    ) -> Result<Option<String>, StoreError> {
        read!(self, |c| holders::get_inline_policy(
            &c,
            account_id,
            holder,
            policy_name
        ))
    }

    async fn list_inline_policies(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        read!(self, |c| holders::list_inline_policies(
            &c, account_id, holder, after, limit
        ))
    }

    async fn delete_inline_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        policy_name: &str,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| holders::delete_inline_policy(
            &tx,
            account_id,
            holder,
            policy_name
        ))
    }

    async fn attach_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        policy_name: &str,
        max_attached: usize,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| holders::attach_policy(
            &tx,
            account_id,
            holder,
            policy_name,
            max_attached
        ))
    }

    async fn detach_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        policy_name: &str,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| holders::detach_policy(
            &tx,
            account_id,
            holder,
            policy_name
        ))
    }

    async fn list_attached_policies(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        path_prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ManagedPolicy>, StoreError> {
        read!(self, |c| holders::list_attached_policies(
            &c,
            account_id,
            holder,
            path_prefix,
            after,
            limit
        ))
    }

    async fn get_holder_policies(
        &self,
        kind: HolderKind,
        holder_id: &str,
    ) -> Result<UserPolicies, StoreError> {
        read!(self, |c| holders::get_holder_policies(&c, kind, holder_id))
    }

    async fn get_user_group_policies(
        &self,
        user_id: &str,
    ) -> Result<Vec<(String, UserPolicies)>, StoreError> {
        read!(self, |c| groups::get_user_group_policies(&c, user_id))
    }

    async fn create_group(&self, group: &Group, max_groups: usize) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| groups::create_group(
            &tx, group, max_groups
        ))
    }

    async fn get_group(
        &self,
        account_id: &str,
        group_name: &str,
    ) -> Result<Option<Group>, StoreError> {
        read!(self, |c| groups::get_group(&c, account_id, group_name))
    }

    async fn list_groups(
        &self,
        account_id: &str,
        path_prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Group>, StoreError> {
        read!(self, |c| groups::list_groups(
            &c,
            account_id,
            path_prefix,
            after,
            limit
        ))
    }

    async fn update_group(
        &self,
        account_id: &str,
        group_name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| groups::update_group(
            &tx, account_id, group_name, new_name, new_path
        ))
    }

    async fn delete_group(&self, account_id: &str, group_name: &str) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| groups::delete_group(
            &tx, account_id, group_name
        ))
    }

    async fn get_group_members(
        &self,
        account_id: &str,
        group_name: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Option<(Group, Vec<User>)>, StoreError> {
        read!(self, |c| groups::get_group_members(
            &c, account_id, group_name, after, limit
        ))
    }

    async fn add_user_to_group(
        &self,
        account_id: &str,
        group_name: &str,
        user_name: &str,
        max_groups_per_user: usize,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| groups::add_user_to_group(
            &tx,
            account_id,
            group_name,
            user_name,
            max_groups_per_user
        ))
    }

    async fn remove_user_from_group(
        &self,
        account_id: &str,
        group_name: &str,
        user_name: &str,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| groups::remove_user_from_group(
            &tx, account_id, group_name, user_name
        ))
    }

    async fn list_groups_for_user(
        &self,
        account_id: &str,
        user_name: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Group>, StoreError> {
        read!(self, |c| groups::list_groups_for_user(
            &c, account_id, user_name, after, limit
        ))
    }

    async fn create_instance_profile(&self, profile: &InstanceProfile) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| profiles::create_instance_profile(
            &tx, profile
        ))
    }

    async fn get_instance_profile(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<Option<InstanceProfile>, StoreError> {
        transaction!(self, SNAPSHOT, |tx| profiles::get_instance_profile(
            &tx, account_id, name
        ))
    }

    async fn list_instance_profiles(
        &self,
        account_id: &str,
        path_prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<InstanceProfile>, StoreError> {
        transaction!(self, SNAPSHOT, |tx| profiles::list_instance_profiles(
            &tx,
            account_id,
            path_prefix,
            after,
            limit
        ))
    }

    async fn list_instance_profiles_for_role(
        &self,
        account_id: &str,
        role_name: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<InstanceProfile>, StoreError> {
        transaction!(self, SNAPSHOT, |tx| {
            profiles::list_instance_profiles_for_role(&tx, account_id, role_name, after, limit)
        })
    }

    async fn delete_instance_profile(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| profiles::delete_instance_profile(
            &tx, account_id, name
        ))
    }

    async fn add_role_to_instance_profile(
        &self,
        account_id: &str,
        name: &str,
        role_name: &str,
        max_roles: u32,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| {
            profiles::add_role_to_instance_profile(&tx, account_id, name, role_name, max_roles)
        })
    }

    async fn remove_role_from_instance_profile(
        &self,
        account_id: &str,
        name: &str,
        role_name: &str,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| {
            profiles::remove_role_from_instance_profile(&tx, account_id, name, role_name)
        })
    }

    async fn tag_entity(
        &self,
        account_id: &str,
        entity: Tagged<'_>,
        tags: &[Tag],
        max_tags: usize,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| tags::tag_entity(
            &tx, account_id, entity, tags, max_tags
        ))
    }

    async fn untag_entity(
        &self,
        account_id: &str,
        entity: Tagged<'_>,
        keys: &[String],
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| tags::untag_entity(
            &tx, account_id, entity, keys
        ))
    }

    async fn list_entity_tags(
        &self,
        account_id: &str,
        entity: Tagged<'_>,
    ) -> Result<Vec<Tag>, StoreError> {
        transaction!(self, SNAPSHOT, |tx| tags::list_entity_tags(
            &tx, account_id, entity
        ))
    }
    async fn create_account_alias(&self, account_id: &str, alias: &str) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| aliases::create_account_alias(
            &tx, account_id, alias
        ))
    }

    async fn delete_account_alias(&self, account_id: &str, alias: &str) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| aliases::delete_account_alias(
            &tx, account_id, alias
        ))
    }

    async fn create_oidc_provider(
        &self,
        provider: &OidcProvider,
        max_per_account: usize,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| oidc::create(
            &tx,
            provider,
            max_per_account
        ))
    }

    async fn get_oidc_provider(
        &self,
        account_id: &str,
        url: &str,
    ) -> Result<Option<OidcProvider>, StoreError> {
        read!(self, |c| oidc::get(&c, account_id, url, false))
    }

    async fn list_oidc_providers(&self, account_id: &str) -> Result<Vec<OidcProvider>, StoreError> {
        read!(self, |c| oidc::list(&c, account_id))
    }

    async fn delete_oidc_provider(&self, account_id: &str, url: &str) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| oidc::delete(&tx, account_id, url))
    }

    async fn change_oidc_provider(
        &self,
        account_id: &str,
        url: &str,
        change: &OidcProviderChange,
    ) -> Result<OidcProvider, StoreError> {
        transaction!(self, WRITE, |tx| oidc::change(&tx, account_id, url, change))
    }

    async fn create_saml_provider(
        &self,
        provider: &SamlProvider,
        max_per_account: usize,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| saml::create(
            &tx,
            provider,
            max_per_account
        ))
    }

    async fn get_saml_provider(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<Option<SamlProvider>, StoreError> {
        read!(self, |c| saml::get(&c, account_id, name, false))
    }

    async fn list_saml_providers(&self, account_id: &str) -> Result<Vec<SamlProvider>, StoreError> {
        read!(self, |c| saml::list(&c, account_id))
    }

    async fn delete_saml_provider(&self, account_id: &str, name: &str) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| saml::delete(&tx, account_id, name))
    }

    async fn change_saml_provider(
        &self,
        account_id: &str,
        name: &str,
        change: &SamlProviderChange,
    ) -> Result<SamlProvider, StoreError> {
        transaction!(self, WRITE, |tx| saml::change(
            &tx, account_id, name, change
        ))
    }

    async fn list_account_aliases(&self, account_id: &str) -> Result<Vec<String>, StoreError> {
        read!(self, |c| aliases::list_account_aliases(&c, account_id))
    }

    async fn set_global_endpoint_token_version(
        &self,
        account_id: &str,
        version: u8,
    ) -> Result<(), StoreError> {
        transaction!(
            self,
            WRITE,
            |tx| aliases::set_global_endpoint_token_version(&tx, account_id, version)
        )
    }

    async fn get_global_endpoint_token_version(
        &self,
        account_id: &str,
    ) -> Result<Option<u8>, StoreError> {
        read!(self, |c| aliases::get_global_endpoint_token_version(
            &c, account_id
        ))
    }

    async fn delete_service_linked_role(
        &self,
        account_id: &str,
        role_name: &str,
        task: &DeletionTask,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| roles::delete_service_linked_role(
            &tx, account_id, role_name, task
        ))
    }

    async fn get_deletion_task(
        &self,
        account_id: &str,
        deletion_task_id: &str,
    ) -> Result<Option<DeletionTask>, StoreError> {
        read!(self, |c| roles::get_deletion_task(
            &c,
            account_id,
            deletion_task_id
        ))
    }

    async fn create_mfa_device(
        &self,
        device: &MfaDevice,
        seed: &SealedSecret,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| mfa::create_mfa_device(&tx, device, seed))
    }

    async fn get_mfa_device(
        &self,
        account_id: &str,
        serial_number: &str,
    ) -> Result<Option<MfaDevice>, StoreError> {
        transaction!(self, SNAPSHOT, |tx| mfa::get_mfa_device(
            &tx,
            account_id,
            serial_number
        ))
    }

    async fn get_mfa_secret(
        &self,
        account_id: &str,
        serial_number: &str,
    ) -> Result<Option<MfaSecret>, StoreError> {
        read!(self, |c| mfa::get_mfa_secret(&c, account_id, serial_number))
    }

    async fn enable_mfa_device(
        &self,
        account_id: &str,
        user_name: &str,
        serial_number: &str,
        step: i64,
        now: time::OffsetDateTime,
        max_per_user: usize,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| mfa::enable_mfa_device(
            &tx,
            account_id,
            user_name,
            serial_number,
            step,
            now,
            max_per_user
        ))
    }

    async fn use_mfa_step(
        &self,
        account_id: &str,
        serial_number: &str,
        step: i64,
    ) -> Result<bool, StoreError> {
        transaction!(self, WRITE, |tx| mfa::use_mfa_step(
            &tx,
            account_id,
            serial_number,
            step
        ))
    }

    async fn deactivate_mfa_device(
        &self,
        account_id: &str,
        user_name: &str,
        serial_number: &str,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| mfa::deactivate_mfa_device(
            &tx,
            account_id,
            user_name,
            serial_number
        ))
    }

    async fn delete_mfa_device(
        &self,
        account_id: &str,
        serial_number: &str,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| mfa::delete_mfa_device(
            &tx,
            account_id,
            serial_number
        ))
    }

    async fn list_user_mfa_devices(
        &self,
        account_id: &str,
        user_name: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<MfaDevice>, StoreError> {
        transaction!(self, SNAPSHOT, |tx| mfa::list_user_mfa_devices(
            &tx, account_id, user_name, after, limit
        ))
    }

    async fn list_mfa_devices(
        &self,
        account_id: &str,
        assigned: Option<bool>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<MfaDevice>, StoreError> {
        read!(self, |c| mfa::list_mfa_devices(
            &c, account_id, assigned, after, limit
        ))
    }

    async fn create_service_credential(
        &self,
        credential: &ServiceCredential,
        max_per_service: usize,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| service_credentials::create(
            &tx,
            credential,
            max_per_service
        ))
    }

    async fn list_service_credentials(
        &self,
        account_id: &str,
        user_name: Option<&str>,
        service_name: Option<&str>,
    ) -> Result<Vec<ServiceCredential>, StoreError> {
        read!(self, |c| service_credentials::list(
            &c,
            account_id,
            user_name,
            service_name
        ))
    }

    async fn update_service_credential(
        &self,
        account_id: &str,
        user_name: &str,
        credential_id: &str,
        status: KeyStatus,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| service_credentials::update(
            &tx,
            account_id,
            user_name,
            credential_id,
            status
        ))
    }

    async fn reset_service_credential(
        &self,
        account_id: &str,
        user_name: &str,
        credential_id: &str,
        password: &SealedSecret,
    ) -> Result<ServiceCredential, StoreError> {
        transaction!(self, WRITE, |tx| service_credentials::reset(
            &tx,
            account_id,
            user_name,
            credential_id,
            password
        ))
    }

    async fn delete_service_credential(
        &self,
        account_id: &str,
        user_name: &str,
        credential_id: &str,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| service_credentials::delete(
            &tx,
            account_id,
            user_name,
            credential_id
        ))
    }

    async fn upload_public_credential(
        &self,
        credential: &PublicCredential,
        quota: usize,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| public_credentials::upload(
            &tx, credential, quota
        ))
    }

    async fn list_public_credentials(
        &self,
        account_id: &str,
        user_name: Option<&str>,
        kind: PublicCredentialKind,
    ) -> Result<Vec<PublicCredential>, StoreError> {
        read!(self, |c| public_credentials::list(
            &c, account_id, user_name, kind
        ))
    }

    async fn update_public_credential(
        &self,
        account_id: &str,
        user_name: &str,
        kind: PublicCredentialKind,
        credential_id: &str,
        status: KeyStatus,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| public_credentials::update(
            &tx,
            account_id,
            user_name,
            kind,
            credential_id,
            status
        ))
    }

    async fn delete_public_credential(
        &self,
        account_id: &str,
        user_name: &str,
        kind: PublicCredentialKind,
        credential_id: &str,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| public_credentials::delete(
            &tx,
            account_id,
            user_name,
            kind,
            credential_id
        ))
    }

    async fn create_server_certificate(
        &self,
        certificate: &ServerCertificate,
        quota: usize,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| server_certificates::create(
            &tx,
            certificate,
            quota
        ))
    }

    async fn get_server_certificate(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<Option<ServerCertificate>, StoreError> {
        transaction!(self, SNAPSHOT, |tx| server_certificates::get(
            &tx, account_id, name
        ))
    }

    async fn list_server_certificates(
        &self,
        account_id: &str,
        path_prefix: &str,
    ) -> Result<Vec<ServerCertificate>, StoreError> {
        read!(self, |c| server_certificates::list(
            &c,
            account_id,
            path_prefix
        ))
    }

    async fn update_server_certificate(
        &self,
        account_id: &str,
        name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| server_certificates::update(
            &tx, account_id, name, new_name, new_path
        ))
    }

    async fn delete_server_certificate(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| server_certificates::delete(
            &tx, account_id, name
        ))
    }

    async fn create_login_profile(
        &self,
        account_id: &str,
        user_name: &str,
        profile: &LoginProfile,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| passwords::create_login_profile(
            &tx, account_id, user_name, profile
        ))
    }

    async fn get_login_profile(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<Option<LoginProfile>, StoreError> {
        read!(self, |c| passwords::get_login_profile(
            &c, account_id, user_name
        ))
    }

    async fn update_login_profile(
        &self,
        account_id: &str,
        user_name: &str,
        password: Option<&NewPassword>,
        password_reset_required: Option<bool>,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| passwords::update_login_profile(
            &tx,
            account_id,
            user_name,
            password,
            password_reset_required
        ))
    }

    async fn delete_login_profile(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| passwords::delete_login_profile(
            &tx, account_id, user_name
        ))
    }

    async fn record_password_use(
        &self,
        user_id: &str,
        when: time::OffsetDateTime,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| passwords::record_password_use(
            &tx, user_id, when
        ))
    }

    async fn get_password_uses(
        &self,
        user_ids: &[String],
    ) -> Result<Vec<(String, time::OffsetDateTime)>, StoreError> {
        if user_ids.is_empty() {
            return Ok(Vec::new());
        }
        read!(self, |c| passwords::get_password_uses(&c, user_ids))
    }

    async fn put_password_policy(
        &self,
        account_id: &str,
        policy: &PasswordPolicy,
    ) -> Result<(), StoreError> {
        transaction!(self, WRITE, |tx| passwords::put_password_policy(
            &tx, account_id, policy
        ))
    }

    async fn get_password_policy(
        &self,
        account_id: &str,
    ) -> Result<Option<PasswordPolicy>, StoreError> {
        read!(self, |c| passwords::get_password_policy(&c, account_id))
    }

    async fn delete_password_policy(&self, account_id: &str) -> Result<bool, StoreError> {
        transaction!(self, WRITE, |tx| passwords::delete_password_policy(
            &tx, account_id
        ))
    }
}
