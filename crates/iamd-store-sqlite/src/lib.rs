//! iamd's embedded storage backend: the `Store` contract on one SQLite file, for a single
//! iamd process. Every acknowledged write is durable (WAL with `synchronous=FULL`), each
//! `Store` method's write is atomic on a single writer connection (writes that arrive
//! together share one commit, each in a savepoint of its own), and reads run in parallel
//! on a few read-only connections. It is not a way to share one database between
//! several iamd processes (use the PostgreSQL backend to scale out), and it holds no
//! domain rules beyond the invariants the `Store` trait asks of every backend.

mod aliases;
mod aws_policies;
pub mod backup;
mod boundaries;
mod directory;
mod files;
mod groups;
mod holders;
mod mfa;
mod oidc;
mod passwords;
mod policies;
mod pool;
mod profiles;
mod public_credentials;
mod queries;
mod roles;
mod saml;
mod secrets;
mod server_certificates;
mod service_credentials;
mod tags;
mod writer;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
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

pub use files::{data_dir_master_key, private_dir, read_master_key, MASTER_KEY_FILE};
use pool::Pool;

/// The number of read-only connections: enough to keep two cores busy while the writer works.
const READERS: usize = 4;

/// The most key uses recorded by one write (`Store::record_key_usage`).
const USAGE_PER_WRITE: usize = 1_024;

/// A `Store` on one SQLite database file. Cheap to share behind an `Arc`.
pub struct SqliteStore {
    pool: Arc<Pool>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.pool.path())
            .finish()
    }
}

impl SqliteStore {
    /// Opens (creating it and its parent directory if missing) the database at `path` and
    /// brings its schema up to date. Blocks while it does so.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        Self::open_with(path, true)
    }

    /// As `open`, but every read goes to SQLite: no user directory in memory. For tests of
    /// that path (taken while the directory loads, and for users it does not hold).
    #[doc(hidden)]
    pub fn open_without_directory(path: &Path) -> Result<SqliteStore, StoreError> {
        Self::open_with(path, false)
    }

    fn open_with(path: &Path, directory: bool) -> Result<SqliteStore, StoreError> {
        let pool = Pool::open(path, READERS, directory).map_err(queries::Fail::into_store)?;
        Ok(SqliteStore {
            pool: Arc::new(pool),
        })
    }

    /// Whether the user directory has loaded (reads of users by name are then answered
    /// from memory). It loads in the background after `open`.
    pub fn directory_loaded(&self) -> bool {
        self.pool.directory().loaded()
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        self.pool.path()
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn reset(&self) -> Result<(), StoreError> {
        self.pool.write(queries::reset).await
    }

    async fn bootstrap_account(
        &self,
        account_id: &str,
        root_key: NewAccessKey,
    ) -> Result<(String, bool), StoreError> {
        let account_id = account_id.to_owned();
        self.pool
            .write(move |tx| queries::bootstrap_account(tx, &account_id, &root_key))
            .await
    }

    async fn served_account(&self) -> Result<Option<Account>, StoreError> {
        self.pool.read(queries::served_account).await
    }

    async fn get_account(&self, account_id: &str) -> Result<Option<Account>, StoreError> {
        let account_id = account_id.to_owned();
        self.pool
            .read(move |tx| queries::get_account(tx, &account_id))
            .await
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
        let (account_id, policy_name, path_prefix, after) = (
            account_id.to_owned(),
            policy_name.to_owned(),
            path_prefix.to_owned(),
            after.map(str::to_owned),
        );
        self.pool
            .read(move |tx| {
                holders::list_policy_entities(
                    tx,
                    &account_id,
                    &policy_name,
                    kind,
                    as_boundary,
                    &path_prefix,
                    after.as_deref(),
                    limit,
                )
            })
            .await
    }

    async fn count_account(&self, account_id: &str) -> Result<AccountCounts, StoreError> {
        let account_id = account_id.to_owned();
        self.pool
            .read(move |tx| queries::count_account(tx, &account_id))
            .await
    }

    async fn create_user(&self, user: &User) -> Result<(), StoreError> {
        let user = user.clone();
        self.pool
            .write(move |tx| queries::create_user(tx, &user))
            .await
    }

    async fn get_user(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<Option<User>, StoreError> {
        if let Some(answer) = self.pool.directory().user(account_id, user_name).answer() {
            return Ok(answer);
        }
        let (account_id, user_name) = (account_id.to_owned(), user_name.to_owned());
        self.pool
            .read(move |tx| queries::get_user(tx, &account_id, &user_name))
            .await
    }

    async fn list_users(
        &self,
        account_id: &str,
        path_prefix: &str,
        after: &After,
        limit: usize,
    ) -> Result<Vec<User>, StoreError> {
        let (account_id, path_prefix, after) =
            (account_id.to_owned(), path_prefix.to_owned(), after.clone());
        self.pool
            .read(move |tx| queries::list_users(tx, &account_id, &path_prefix, &after, limit))
            .await
    }

    async fn update_user(
        &self,
        account_id: &str,
        user_name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<(), StoreError> {
        let (account_id, user_name) = (account_id.to_owned(), user_name.to_owned());
        let (new_name, new_path) = (new_name.map(str::to_owned), new_path.map(str::to_owned));
        self.pool
            .write(move |tx| {
                queries::update_user(
                    tx,
                    &account_id,
                    &user_name,
                    new_name.as_deref(),
                    new_path.as_deref(),
                )
            })
            .await
    }

    async fn delete_user(&self, account_id: &str, user_name: &str) -> Result<(), StoreError> {
        let (account_id, user_name) = (account_id.to_owned(), user_name.to_owned());
        self.pool
            .write(move |tx| queries::delete_user(tx, &account_id, &user_name))
            .await
    }

    async fn create_access_key(
        &self,
        key: &NewAccessKey,
        quota: u32,
    ) -> Result<AccessKey, StoreError> {
        let key = key.clone();
        self.pool
            .write(move |tx| queries::create_access_key(tx, &key, quota))
            .await
    }

    async fn list_access_keys(
        &self,
        account_id: &str,
        owner: &KeyOwner,
        after: &After,
        limit: usize,
    ) -> Result<Vec<AccessKey>, StoreError> {
        let (account_id, owner, after) = (account_id.to_owned(), owner.clone(), after.clone());
        self.pool
            .read(move |tx| queries::list_access_keys(tx, &account_id, &owner, &after, limit))
            .await
    }

    async fn get_user_with_keys(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<Option<(User, Vec<AccessKey>)>, StoreError> {
        if let Some(answer) = self
            .pool
            .directory()
            .user_with_keys(account_id, user_name)
            .answer()
        {
            return Ok(answer);
        }
        let (account_id, user_name) = (account_id.to_owned(), user_name.to_owned());
        self.pool
            .read(move |tx| queries::get_user_with_keys(tx, &account_id, &user_name))
            .await
    }

    fn users_in_memory(&self) -> bool {
        self.pool.directory().loaded()
    }

    async fn update_access_key(
        &self,
        account_id: &str,
        owner: &KeyOwner,
        access_key_id: &str,
        status: KeyStatus,
    ) -> Result<(), StoreError> {
        let (account_id, owner, access_key_id) = (
            account_id.to_owned(),
            owner.clone(),
            access_key_id.to_owned(),
        );
        self.pool
            .write(move |tx| {
                queries::update_access_key(tx, &account_id, &owner, &access_key_id, status)
            })
            .await
    }

    async fn delete_access_key(
        &self,
        account_id: &str,
        owner: &KeyOwner,
        access_key_id: &str,
    ) -> Result<(), StoreError> {
        let (account_id, owner, access_key_id) = (
            account_id.to_owned(),
            owner.clone(),
            access_key_id.to_owned(),
        );
        self.pool
            .write(move |tx| queries::delete_access_key(tx, &account_id, &owner, &access_key_id))
            .await
    }

    async fn get_credential(&self, access_key_id: &str) -> Result<Option<Credential>, StoreError> {
        let access_key_id = access_key_id.to_owned();
        self.pool
            .read(move |tx| queries::get_credential(tx, &access_key_id))
            .await
    }

    async fn get_access_key_last_used(
        &self,
        access_key_id: &str,
    ) -> Result<Option<(AccessKey, Option<KeyUsage>)>, StoreError> {
        let access_key_id = access_key_id.to_owned();
        self.pool
            .read(move |tx| queries::get_access_key_last_used(tx, &access_key_id))
            .await
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
                let (from, prefix) = (after.clone(), prefix.clone());
                let rows = self
                    .pool
                    .read(move |tx| secrets::select(tx, table, &from, &prefix, having, batch))
                    .await?;
                let Some((last, _)) = rows.last() else {
                    break;
                };
                after = last.clone();
                let mut updates = Vec::with_capacity(rows.len());
                for (id, sealed) in &rows {
                    let what = format!("{} {id}", table.what);
                    if let Some(new) = Reseal::reseal(sealed, keyring, &what)? {
                        updates.push((id.clone(), sealed.clone(), new));
                    }
                }
                let full = rows.len() == batch;
                count += self
                    .pool
                    .write(move |tx| secrets::update(tx, table, &updates))
                    .await?;
                if !full {
                    break;
                }
            }
        }
        Ok(count)
    }

    async fn record_key_usage(&self, usage: &[KeyUsage]) -> Result<(), StoreError> {
        if usage.is_empty() {
            return Ok(());
        }
        // In writes of at most USAGE_PER_WRITE keys: a write's savepoint keeps the original
        // of every page it changes in memory until it ends (about one page per key, as the
        // keys used are scattered), and the C allocator keeps what it was given. They are
        // queued together, so the writer commits them together (each in its savepoint).
        // Each key's update is idempotent, so a batch retried after a failed chunk is
        // still right.
        let writes: Vec<_> = usage
            .chunks(USAGE_PER_WRITE)
            .map(|chunk| {
                let (pool, chunk) = (Arc::clone(&self.pool), chunk.to_vec());
                tokio::spawn(async move {
                    pool.write(move |tx| queries::record_key_usage(tx, &chunk))
                        .await
                })
            })
            .collect();
        for write in writes {
            write
                .await
                .map_err(|e| StoreError::Backend(format!("recording key use failed: {e}")))??;
        }
        Ok(())
    }

    async fn create_policy(
        &self,
        policy: &ManagedPolicy,
        document: &str,
    ) -> Result<(), StoreError> {
        let (policy, document) = (policy.clone(), document.to_owned());
        self.pool
            .write(move |tx| policies::create_policy(tx, &policy, &document))
            .await
    }

    async fn get_policy(
        &self,
        account_id: &str,
        policy_name: &str,
    ) -> Result<Option<ManagedPolicy>, StoreError> {
        let (account_id, policy_name) = (account_id.to_owned(), policy_name.to_owned());
        self.pool
            .read(move |tx| policies::get_policy(tx, &account_id, &policy_name))
            .await
    }

    async fn list_policies(
        &self,
        account_id: &str,
        path_prefix: &str,
        only_attached: bool,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ManagedPolicy>, StoreError> {
        let (account_id, path_prefix, after) = (
            account_id.to_owned(),
            path_prefix.to_owned(),
            after.map(str::to_owned),
        );
        self.pool
            .read(move |tx| {
                policies::list_policies(
                    tx,
                    &account_id,
                    &path_prefix,
                    only_attached,
                    after.as_deref(),
                    limit,
                )
            })
            .await
    }

    async fn delete_policy(&self, account_id: &str, policy_name: &str) -> Result<(), StoreError> {
        let (account_id, policy_name) = (account_id.to_owned(), policy_name.to_owned());
        self.pool
            .write(move |tx| policies::delete_policy(tx, &account_id, &policy_name))
            .await
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
        let (account_id, policy_name, document) = (
            account_id.to_owned(),
            policy_name.to_owned(),
            document.to_owned(),
        );
        self.pool
            .write(move |tx| {
                policies::create_policy_version(
                    tx,
                    &account_id,
                    &policy_name,
                    &document,
                    set_as_default,
                    max_versions,
                    now,
                )
            })
            .await
    }

    async fn get_policy_version(
        &self,
        account_id: &str,
        policy_name: &str,
        version_id: &str,
    ) -> Result<Option<PolicyVersion>, StoreError> {
        let (account_id, policy_name, version_id) = (
            account_id.to_owned(),
            policy_name.to_owned(),
            version_id.to_owned(),
        );
        self.pool
            .read(move |tx| {
                policies::get_policy_version(tx, &account_id, &policy_name, &version_id)
            })
            .await
    }

    async fn list_policy_versions(
        &self,
        account_id: &str,
        policy_name: &str,
    ) -> Result<Vec<PolicyVersion>, StoreError> {
        let (account_id, policy_name) = (account_id.to_owned(), policy_name.to_owned());
        self.pool
            .read(move |tx| policies::list_policy_versions(tx, &account_id, &policy_name))
            .await
    }

    async fn set_default_policy_version(
        &self,
        account_id: &str,
        policy_name: &str,
        version_id: &str,
        now: time::OffsetDateTime,
    ) -> Result<(), StoreError> {
        let (account_id, policy_name, version_id) = (
            account_id.to_owned(),
            policy_name.to_owned(),
            version_id.to_owned(),
        );
        self.pool
            .write(move |tx| {
                policies::set_default_policy_version(
                    tx,
                    &account_id,
                    &policy_name,
                    &version_id,
                    now,
                )
            })
            .await
    }

    async fn delete_policy_version(
        &self,
        account_id: &str,
        policy_name: &str,
        version_id: &str,
    ) -> Result<(), StoreError> {
        let (account_id, policy_name, version_id) = (
            account_id.to_owned(),
            policy_name.to_owned(),
            version_id.to_owned(),
        );
        self.pool
            .write(move |tx| {
                policies::delete_policy_version(tx, &account_id, &policy_name, &version_id)
            })
            .await
    }

    async fn create_role(&self, role: &Role) -> Result<(), StoreError> {
        let role = role.clone();
        self.pool
            .write(move |tx| roles::create_role(tx, &role))
            .await
    }

    async fn get_role(
        &self,
        account_id: &str,
        role_name: &str,
    ) -> Result<Option<Role>, StoreError> {
        let (account_id, role_name) = (account_id.to_owned(), role_name.to_owned());
        self.pool
            .read(move |tx| roles::get_role(tx, &account_id, &role_name))
            .await
    }

    async fn get_role_by_id(&self, role_id: &str) -> Result<Option<Role>, StoreError> {
        let role_id = role_id.to_owned();
        self.pool
            .read(move |tx| roles::get_role_by_id(tx, &role_id))
            .await
    }

    async fn list_roles(
        &self,
        account_id: &str,
        path_prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Role>, StoreError> {
        let (account_id, path_prefix, after) = (
            account_id.to_owned(),
            path_prefix.to_owned(),
            after.map(str::to_owned),
        );
        self.pool
            .read(move |tx| {
                roles::list_roles(tx, &account_id, &path_prefix, after.as_deref(), limit)
            })
            .await
    }

    async fn update_role(
        &self,
        account_id: &str,
        role_name: &str,
        description: Option<&str>,
        max_session_duration: Option<u32>,
    ) -> Result<(), StoreError> {
        let (account_id, role_name, description) = (
            account_id.to_owned(),
            role_name.to_owned(),
            description.map(str::to_owned),
        );
        self.pool
            .write(move |tx| {
                roles::update_role(
                    tx,
                    &account_id,
                    &role_name,
                    description.as_deref(),
                    max_session_duration,
                )
            })
            .await
    }

    async fn update_assume_role_policy(
        &self,
        account_id: &str,
        role_name: &str,
        document: &str,
    ) -> Result<(), StoreError> {
        let (account_id, role_name, document) = (
            account_id.to_owned(),
            role_name.to_owned(),
            document.to_owned(),
        );
        self.pool
            .write(move |tx| {
                roles::update_assume_role_policy(tx, &account_id, &role_name, &document)
            })
            .await
    }

    async fn delete_role(&self, account_id: &str, role_name: &str) -> Result<(), StoreError> {
        let (account_id, role_name) = (account_id.to_owned(), role_name.to_owned());
        self.pool
            .write(move |tx| roles::delete_role(tx, &account_id, &role_name))
            .await
    }

    async fn record_role_usage(&self, usage: &[RoleUsage]) -> Result<(), StoreError> {
        if usage.is_empty() {
            return Ok(());
        }
        // Roles are few next to keys (one row each, however many sessions): one write.
        let usage = usage.to_vec();
        self.pool
            .write(move |tx| roles::record_role_usage(tx, &usage))
            .await
    }

    async fn get_role_last_used(&self, role_id: &str) -> Result<Option<RoleUsage>, StoreError> {
        let role_id = role_id.to_owned();
        self.pool
            .read(move |tx| roles::get_role_last_used(tx, &role_id))
            .await
    }

    async fn create_user_with_boundary(
        &self,
        user: &User,
        boundary: &str,
    ) -> Result<(), StoreError> {
        let (user, boundary) = (user.clone(), boundary.to_owned());
        self.pool
            .write(move |tx| boundaries::create_user(tx, &user, &boundary))
            .await
    }

    async fn create_role_with_boundary(
        &self,
        role: &Role,
        boundary: &str,
    ) -> Result<(), StoreError> {
        let (role, boundary) = (role.clone(), boundary.to_owned());
        self.pool
            .write(move |tx| boundaries::create_role(tx, &role, &boundary))
            .await
    }

    async fn put_permissions_boundary(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        policy_name: &str,
    ) -> Result<(), StoreError> {
        let (account_id, kind, name, policy_name) = (
            account_id.to_owned(),
            holder.kind,
            holder.name.to_owned(),
            policy_name.to_owned(),
        );
        self.pool
            .write(move |tx| {
                boundaries::put(
                    tx,
                    &account_id,
                    PolicyHolder::new(kind, &name),
                    &policy_name,
                )
            })
            .await
    }

    async fn delete_permissions_boundary(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
    ) -> Result<(), StoreError> {
        let (account_id, kind, name) = (account_id.to_owned(), holder.kind, holder.name.to_owned());
        self.pool
            .write(move |tx| boundaries::delete(tx, &account_id, PolicyHolder::new(kind, &name)))
            .await
    }

    async fn get_permissions_boundary(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
    ) -> Result<Option<String>, StoreError> {
        let (account_id, kind, name) = (account_id.to_owned(), holder.kind, holder.name.to_owned());
        self.pool
            .read(move |tx| boundaries::get(tx, &account_id, PolicyHolder::new(kind, &name)))
            .await
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
        let (account_id, kind, name, policy_name, document) = (
            account_id.to_owned(),
            holder.kind,
            holder.name.to_owned(),
            policy_name.to_owned(),
            document.to_owned(),
        );
        self.pool
            .write(move |tx| {
                holders::put_inline_policy(
                    tx,
                    &account_id,
                    PolicyHolder::new(kind, &name),
                    &policy_name,
                    &document,
                    size,
                    max_total,
                )
            })
            .await
    }

    async fn get_inline_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        policy_name: &str,
    ) -> Result<Option<String>, StoreError> {
        let (account_id, kind, name, policy_name) = (
            account_id.to_owned(),
            holder.kind,
            holder.name.to_owned(),
            policy_name.to_owned(),
        );
        self.pool
            .read(move |tx| {
                holders::get_inline_policy(
                    tx,
                    &account_id,
                    PolicyHolder::new(kind, &name),
                    &policy_name,
                )
            })
            .await
    }

    async fn list_inline_policies(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let (account_id, kind, name, after) = (
            account_id.to_owned(),
            holder.kind,
            holder.name.to_owned(),
            after.map(str::to_owned),
        );
        self.pool
            .read(move |tx| {
                holders::list_inline_policies(
                    tx,
                    &account_id,
                    PolicyHolder::new(kind, &name),
                    after.as_deref(),
                    limit,
                )
            })
            .await
    }

    async fn delete_inline_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        policy_name: &str,
    ) -> Result<(), StoreError> {
        let (account_id, kind, name, policy_name) = (
            account_id.to_owned(),
            holder.kind,
            holder.name.to_owned(),
            policy_name.to_owned(),
        );
        self.pool
            .write(move |tx| {
                holders::delete_inline_policy(
                    tx,
                    &account_id,
                    PolicyHolder::new(kind, &name),
                    &policy_name,
                )
            })
            .await
    }

    async fn attach_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        policy_name: &str,
        max_attached: usize,
    ) -> Result<(), StoreError> {
        let (account_id, kind, name, policy_name) = (
            account_id.to_owned(),
            holder.kind,
            holder.name.to_owned(),
            policy_name.to_owned(),
        );
        self.pool
            .write(move |tx| {
                holders::attach_policy(
                    tx,
                    &account_id,
                    PolicyHolder::new(kind, &name),
                    &policy_name,
                    max_attached,
                )
            })
            .await
    }

    async fn detach_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        policy_name: &str,
    ) -> Result<(), StoreError> {
        let (account_id, kind, name, policy_name) = (
            account_id.to_owned(),
            holder.kind,
            holder.name.to_owned(),
            policy_name.to_owned(),
        );
        self.pool
            .write(move |tx| {
                holders::detach_policy(
                    tx,
                    &account_id,
                    PolicyHolder::new(kind, &name),
                    &policy_name,
                )
            })
            .await
    }

    async fn list_attached_policies(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        path_prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ManagedPolicy>, StoreError> {
        let (account_id, kind, name, path_prefix, after) = (
            account_id.to_owned(),
            holder.kind,
            holder.name.to_owned(),
            path_prefix.to_owned(),
            after.map(str::to_owned),
        );
        self.pool
            .read(move |tx| {
                holders::list_attached_policies(
                    tx,
                    &account_id,
                    PolicyHolder::new(kind, &name),
                    &path_prefix,
                    after.as_deref(),
                    limit,
                )
            })
            .await
    }

    async fn get_holder_policies(
        &self,
        kind: HolderKind,
        holder_id: &str,
    ) -> Result<UserPolicies, StoreError> {
        let holder_id = holder_id.to_owned();
        self.pool
            .read(move |tx| holders::get_holder_policies(tx, kind, &holder_id))
            .await
    }

    async fn get_user_group_policies(
        &self,
        user_id: &str,
    ) -> Result<Vec<(String, UserPolicies)>, StoreError> {
        let user_id = user_id.to_owned();
        self.pool
            .read(move |tx| groups::get_user_group_policies(tx, &user_id))
            .await
    }

    async fn attach_aws_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        arn: &str,
        max_attached: usize,
    ) -> Result<(), StoreError> {
        let (account_id, kind, name, arn) = (
            account_id.to_owned(),
            holder.kind,
            holder.name.to_owned(),
            arn.to_owned(),
        );
        self.pool
            .write(move |tx| {
                let holder = PolicyHolder::new(kind, &name);
                aws_policies::attach(tx, &account_id, holder, &arn, max_attached)
            })
            .await
    }

    async fn detach_aws_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        arn: &str,
    ) -> Result<(), StoreError> {
        let (account_id, kind, name, arn) = (
            account_id.to_owned(),
            holder.kind,
            holder.name.to_owned(),
            arn.to_owned(),
        );
        self.pool
            .write(move |tx| {
                aws_policies::detach(tx, &account_id, PolicyHolder::new(kind, &name), &arn)
            })
            .await
    }

    async fn list_aws_attached_policies(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
    ) -> Result<Vec<String>, StoreError> {
        let (account_id, kind, name) = (account_id.to_owned(), holder.kind, holder.name.to_owned());
        self.pool
            .read(move |tx| aws_policies::list(tx, &account_id, PolicyHolder::new(kind, &name)))
            .await
    }

    async fn put_aws_permissions_boundary(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        arn: &str,
    ) -> Result<(), StoreError> {
        let (account_id, kind, name, arn) = (
            account_id.to_owned(),
            holder.kind,
            holder.name.to_owned(),
            arn.to_owned(),
        );
        self.pool
            .write(move |tx| {
                aws_policies::put_boundary(tx, &account_id, PolicyHolder::new(kind, &name), &arn)
            })
            .await
    }

    async fn create_user_with_aws_boundary(
        &self,
        user: &User,
        arn: &str,
    ) -> Result<(), StoreError> {
        let (user, arn) = (user.clone(), arn.to_owned());
        self.pool
            .write(move |tx| aws_policies::create_user(tx, &user, &arn))
            .await
    }

    async fn create_role_with_aws_boundary(
        &self,
        role: &Role,
        arn: &str,
    ) -> Result<(), StoreError> {
        let (role, arn) = (role.clone(), arn.to_owned());
        self.pool
            .write(move |tx| aws_policies::create_role(tx, &role, &arn))
            .await
    }

    async fn aws_policy_usage(
        &self,
        account_id: &str,
        arn: Option<&str>,
    ) -> Result<Vec<AwsPolicyUsage>, StoreError> {
        let (account_id, arn) = (account_id.to_owned(), arn.map(str::to_owned));
        self.pool
            .read(move |tx| aws_policies::usage(tx, &account_id, arn.as_deref()))
            .await
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
        let (account_id, arn, path_prefix, after) = (
            account_id.to_owned(),
            arn.to_owned(),
            path_prefix.to_owned(),
            after.map(str::to_owned),
        );
        self.pool
            .read(move |tx| {
                aws_policies::list_entities(
                    tx,
                    &account_id,
                    &arn,
                    kind,
                    as_boundary,
                    &path_prefix,
                    after.as_deref(),
                    limit,
                )
            })
            .await
    }

    async fn create_group(&self, group: &Group, max_groups: usize) -> Result<(), StoreError> {
        let group = group.clone();
        self.pool
            .write(move |tx| groups::create_group(tx, &group, max_groups))
            .await
    }

    async fn get_group(
        &self,
        account_id: &str,
        group_name: &str,
    ) -> Result<Option<Group>, StoreError> {
        let (account_id, group_name) = (account_id.to_owned(), group_name.to_owned());
        self.pool
            .read(move |tx| groups::get_group(tx, &account_id, &group_name))
            .await
    }

    async fn list_groups(
        &self,
        account_id: &str,
        path_prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Group>, StoreError> {
        let (account_id, path_prefix, after) = (
            account_id.to_owned(),
            path_prefix.to_owned(),
            after.map(str::to_owned),
        );
        self.pool
            .read(move |tx| {
                groups::list_groups(tx, &account_id, &path_prefix, after.as_deref(), limit)
            })
            .await
    }

    async fn update_group(
        &self,
        account_id: &str,
        group_name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<(), StoreError> {
        let (account_id, group_name) = (account_id.to_owned(), group_name.to_owned());
        let (new_name, new_path) = (new_name.map(str::to_owned), new_path.map(str::to_owned));
        self.pool
            .write(move |tx| {
                groups::update_group(
                    tx,
                    &account_id,
                    &group_name,
                    new_name.as_deref(),
                    new_path.as_deref(),
                )
            })
            .await
    }

    async fn delete_group(&self, account_id: &str, group_name: &str) -> Result<(), StoreError> {
        let (account_id, group_name) = (account_id.to_owned(), group_name.to_owned());
        self.pool
            .write(move |tx| groups::delete_group(tx, &account_id, &group_name))
            .await
    }

    async fn get_group_members(
        &self,
        account_id: &str,
        group_name: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Option<(Group, Vec<User>)>, StoreError> {
        let (account_id, group_name, after) = (
            account_id.to_owned(),
            group_name.to_owned(),
            after.map(str::to_owned),
        );
        self.pool
            .read(move |tx| {
                groups::get_group_members(tx, &account_id, &group_name, after.as_deref(), limit)
            })
            .await
    }

    async fn add_user_to_group(
        &self,
        account_id: &str,
        group_name: &str,
        user_name: &str,
        max_groups_per_user: usize,
    ) -> Result<(), StoreError> {
        let (account_id, group_name, user_name) = (
            account_id.to_owned(),
            group_name.to_owned(),
            user_name.to_owned(),
        );
        self.pool
            .write(move |tx| {
                groups::add_user_to_group(
                    tx,
                    &account_id,
                    &group_name,
                    &user_name,
                    max_groups_per_user,
                )
            })
            .await
    }

    async fn remove_user_from_group(
        &self,
        account_id: &str,
        group_name: &str,
        user_name: &str,
    ) -> Result<(), StoreError> {
        let (account_id, group_name, user_name) = (
            account_id.to_owned(),
            group_name.to_owned(),
            user_name.to_owned(),
        );
        self.pool
            .write(move |tx| {
                groups::remove_user_from_group(tx, &account_id, &group_name, &user_name)
            })
            .await
    }

    async fn list_groups_for_user(
        &self,
        account_id: &str,
        user_name: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Group>, StoreError> {
        let (account_id, user_name, after) = (
            account_id.to_owned(),
            user_name.to_owned(),
            after.map(str::to_owned),
        );
        self.pool
            .read(move |tx| {
                groups::list_groups_for_user(tx, &account_id, &user_name, after.as_deref(), limit)
            })
            .await
    }

    async fn create_instance_profile(&self, profile: &InstanceProfile) -> Result<(), StoreError> {
        let profile = profile.clone();
        self.pool
            .write(move |tx| profiles::create_instance_profile(tx, &profile))
            .await
    }

    async fn get_instance_profile(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<Option<InstanceProfile>, StoreError> {
        let (account_id, name) = (account_id.to_owned(), name.to_owned());
        self.pool
            .read(move |tx| profiles::get_instance_profile(tx, &account_id, &name))
            .await
    }

    async fn list_instance_profiles(
        &self,
        account_id: &str,
        path_prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<InstanceProfile>, StoreError> {
        let (account_id, path_prefix, after) = (
            account_id.to_owned(),
            path_prefix.to_owned(),
            after.map(str::to_owned),
        );
        self.pool
            .read(move |tx| {
                profiles::list_instance_profiles(
                    tx,
                    &account_id,
                    &path_prefix,
                    after.as_deref(),
                    limit,
                )
            })
            .await
    }

    async fn list_instance_profiles_for_role(
        &self,
        account_id: &str,
        role_name: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<InstanceProfile>, StoreError> {
        let (account_id, role_name, after) = (
            account_id.to_owned(),
            role_name.to_owned(),
            after.map(str::to_owned),
        );
        self.pool
            .read(move |tx| {
                profiles::list_instance_profiles_for_role(
                    tx,
                    &account_id,
                    &role_name,
                    after.as_deref(),
                    limit,
                )
            })
            .await
    }

    async fn delete_instance_profile(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<(), StoreError> {
        let (account_id, name) = (account_id.to_owned(), name.to_owned());
        self.pool
            .write(move |tx| profiles::delete_instance_profile(tx, &account_id, &name))
            .await
    }

    async fn add_role_to_instance_profile(
        &self,
        account_id: &str,
        name: &str,
        role_name: &str,
        max_roles: u32,
    ) -> Result<(), StoreError> {
        let (account_id, name, role_name) =
            (account_id.to_owned(), name.to_owned(), role_name.to_owned());
        self.pool
            .write(move |tx| {
                profiles::add_role_to_instance_profile(
                    tx,
                    &account_id,
                    &name,
                    &role_name,
                    max_roles,
                )
            })
            .await
    }

    async fn remove_role_from_instance_profile(
        &self,
        account_id: &str,
        name: &str,
        role_name: &str,
    ) -> Result<(), StoreError> {
        let (account_id, name, role_name) =
            (account_id.to_owned(), name.to_owned(), role_name.to_owned());
        self.pool
            .write(move |tx| {
                profiles::remove_role_from_instance_profile(tx, &account_id, &name, &role_name)
            })
            .await
    }

    async fn tag_entity(
        &self,
        account_id: &str,
        entity: Tagged<'_>,
        tags: &[Tag],
        max_tags: usize,
    ) -> Result<(), StoreError> {
        let (account_id, kind, name, tags) = (
            account_id.to_owned(),
            entity.kind,
            entity.name.to_owned(),
            tags.to_vec(),
        );
        self.pool
            .write(move |tx| {
                tags::tag_entity(tx, &account_id, Tagged::new(kind, &name), &tags, max_tags)
            })
            .await
    }

    async fn untag_entity(
        &self,
        account_id: &str,
        entity: Tagged<'_>,
        keys: &[String],
    ) -> Result<(), StoreError> {
        let (account_id, kind, name, keys) = (
            account_id.to_owned(),
            entity.kind,
            entity.name.to_owned(),
            keys.to_vec(),
        );
        self.pool
            .write(move |tx| tags::untag_entity(tx, &account_id, Tagged::new(kind, &name), &keys))
            .await
    }

    async fn list_entity_tags(
        &self,
        account_id: &str,
        entity: Tagged<'_>,
    ) -> Result<Vec<Tag>, StoreError> {
        let (account_id, kind, name) = (account_id.to_owned(), entity.kind, entity.name.to_owned());
        self.pool
            .read(move |tx| tags::list_entity_tags(tx, &account_id, Tagged::new(kind, &name)))
            .await
    }
    async fn create_oidc_provider(
        &self,
        provider: &OidcProvider,
        max_per_account: usize,
    ) -> Result<(), StoreError> {
        let provider = provider.clone();
        self.pool
            .write(move |tx| oidc::create(tx, &provider, max_per_account))
            .await
    }

    async fn get_oidc_provider(
        &self,
        account_id: &str,
        url: &str,
    ) -> Result<Option<OidcProvider>, StoreError> {
        let (account_id, url) = (account_id.to_owned(), url.to_owned());
        self.pool
            .read(move |tx| oidc::get(tx, &account_id, &url))
            .await
    }

    async fn list_oidc_providers(&self, account_id: &str) -> Result<Vec<OidcProvider>, StoreError> {
        let account_id = account_id.to_owned();
        self.pool.read(move |tx| oidc::list(tx, &account_id)).await
    }

    async fn delete_oidc_provider(&self, account_id: &str, url: &str) -> Result<(), StoreError> {
        let (account_id, url) = (account_id.to_owned(), url.to_owned());
        self.pool
            .write(move |tx| oidc::delete(tx, &account_id, &url))
            .await
    }

    async fn change_oidc_provider(
        &self,
        account_id: &str,
        url: &str,
        change: &OidcProviderChange,
    ) -> Result<OidcProvider, StoreError> {
        let (account_id, url, change) = (account_id.to_owned(), url.to_owned(), change.clone());
        self.pool
            .write(move |tx| oidc::change(tx, &account_id, &url, &change))
            .await
    }

    async fn create_saml_provider(
        &self,
        provider: &SamlProvider,
        max_per_account: usize,
    ) -> Result<(), StoreError> {
        let provider = provider.clone();
        self.pool
            .write(move |tx| saml::create(tx, &provider, max_per_account))
            .await
    }

    async fn get_saml_provider(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<Option<SamlProvider>, StoreError> {
        let (account_id, name) = (account_id.to_owned(), name.to_owned());
        self.pool
            .read(move |tx| saml::get(tx, &account_id, &name))
            .await
    }

    async fn list_saml_providers(&self, account_id: &str) -> Result<Vec<SamlProvider>, StoreError> {
        let account_id = account_id.to_owned();
        self.pool.read(move |tx| saml::list(tx, &account_id)).await
    }

    async fn delete_saml_provider(&self, account_id: &str, name: &str) -> Result<(), StoreError> {
        let (account_id, name) = (account_id.to_owned(), name.to_owned());
        self.pool
            .write(move |tx| saml::delete(tx, &account_id, &name))
            .await
    }

    async fn change_saml_provider(
        &self,
        account_id: &str,
        name: &str,
        change: &SamlProviderChange,
    ) -> Result<SamlProvider, StoreError> {
        let (account_id, name, change) = (account_id.to_owned(), name.to_owned(), change.clone());
        self.pool
            .write(move |tx| saml::change(tx, &account_id, &name, &change))
            .await
    }

    async fn create_account_alias(&self, account_id: &str, alias: &str) -> Result<(), StoreError> {
        let (account_id, alias) = (account_id.to_owned(), alias.to_owned());
        self.pool
            .write(move |tx| aliases::create_account_alias(tx, &account_id, &alias))
            .await
    }

    async fn delete_account_alias(&self, account_id: &str, alias: &str) -> Result<(), StoreError> {
        let (account_id, alias) = (account_id.to_owned(), alias.to_owned());
        self.pool
            .write(move |tx| aliases::delete_account_alias(tx, &account_id, &alias))
            .await
    }

    async fn list_account_aliases(&self, account_id: &str) -> Result<Vec<String>, StoreError> {
        let account_id = account_id.to_owned();
        self.pool
            .read(move |tx| aliases::list_account_aliases(tx, &account_id))
            .await
    }

    async fn delete_service_linked_role(
        &self,
        account_id: &str,
        role_name: &str,
        task: &DeletionTask,
    ) -> Result<(), StoreError> {
        let (account_id, role_name, task) =
            (account_id.to_owned(), role_name.to_owned(), task.clone());
        self.pool
            .write(move |tx| roles::delete_service_linked_role(tx, &account_id, &role_name, &task))
            .await
    }

    async fn get_deletion_task(
        &self,
        account_id: &str,
        deletion_task_id: &str,
    ) -> Result<Option<DeletionTask>, StoreError> {
        let (account_id, deletion_task_id) = (account_id.to_owned(), deletion_task_id.to_owned());
        self.pool
            .read(move |tx| roles::get_deletion_task(tx, &account_id, &deletion_task_id))
            .await
    }

    async fn create_mfa_device(
        &self,
        device: &MfaDevice,
        seed: &SealedSecret,
    ) -> Result<(), StoreError> {
        let (device, seed) = (device.clone(), seed.clone());
        self.pool
            .write(move |tx| mfa::create_mfa_device(tx, &device, &seed))
            .await
    }

    async fn get_mfa_device(
        &self,
        account_id: &str,
        serial_number: &str,
    ) -> Result<Option<MfaDevice>, StoreError> {
        let (account_id, serial) = (account_id.to_owned(), serial_number.to_owned());
        self.pool
            .read(move |tx| mfa::get_mfa_device(tx, &account_id, &serial))
            .await
    }

    async fn get_mfa_secret(
        &self,
        account_id: &str,
        serial_number: &str,
    ) -> Result<Option<MfaSecret>, StoreError> {
        let (account_id, serial) = (account_id.to_owned(), serial_number.to_owned());
        self.pool
            .read(move |tx| mfa::get_mfa_secret(tx, &account_id, &serial))
            .await
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
        let (account_id, user_name, serial) = (
            account_id.to_owned(),
            user_name.to_owned(),
            serial_number.to_owned(),
        );
        self.pool
            .write(move |tx| {
                mfa::enable_mfa_device(
                    tx,
                    &account_id,
                    &user_name,
                    &serial,
                    step,
                    now,
                    max_per_user,
                )
            })
            .await
    }

    async fn create_login_profile(
        &self,
        account_id: &str,
        user_name: &str,
        profile: &LoginProfile,
    ) -> Result<(), StoreError> {
        let (account_id, user_name, profile) =
            (account_id.to_owned(), user_name.to_owned(), profile.clone());
        self.pool
            .write(move |tx| passwords::create_login_profile(tx, &account_id, &user_name, &profile))
            .await
    }

    async fn get_login_profile(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<Option<LoginProfile>, StoreError> {
        let (account_id, user_name) = (account_id.to_owned(), user_name.to_owned());
        self.pool
            .read(move |tx| passwords::get_login_profile(tx, &account_id, &user_name))
            .await
    }

    async fn update_login_profile(
        &self,
        account_id: &str,
        user_name: &str,
        password: Option<&NewPassword>,
        password_reset_required: Option<bool>,
    ) -> Result<(), StoreError> {
        let (account_id, user_name, password) = (
            account_id.to_owned(),
            user_name.to_owned(),
            password.cloned(),
        );
        self.pool
            .write(move |tx| {
                passwords::update_login_profile(
                    tx,
                    &account_id,
                    &user_name,
                    password.as_ref(),
                    password_reset_required,
                )
            })
            .await
    }

    async fn use_mfa_step(
        &self,
        account_id: &str,
        serial_number: &str,
        step: i64,
    ) -> Result<bool, StoreError> {
        let (account_id, serial) = (account_id.to_owned(), serial_number.to_owned());
        self.pool
            .write(move |tx| mfa::use_mfa_step(tx, &account_id, &serial, step))
            .await
    }

    async fn deactivate_mfa_device(
        &self,
        account_id: &str,
        user_name: &str,
        serial_number: &str,
    ) -> Result<(), StoreError> {
        let (account_id, user_name, serial) = (
            account_id.to_owned(),
            user_name.to_owned(),
            serial_number.to_owned(),
        );
        self.pool
            .write(move |tx| mfa::deactivate_mfa_device(tx, &account_id, &user_name, &serial))
            .await
    }

    async fn delete_mfa_device(
        &self,
        account_id: &str,
        serial_number: &str,
    ) -> Result<(), StoreError> {
        let (account_id, serial) = (account_id.to_owned(), serial_number.to_owned());
        self.pool
            .write(move |tx| mfa::delete_mfa_device(tx, &account_id, &serial))
            .await
    }

    async fn list_user_mfa_devices(
        &self,
        account_id: &str,
        user_name: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<MfaDevice>, StoreError> {
        let (account_id, user_name) = (account_id.to_owned(), user_name.to_owned());
        let after = after.map(str::to_owned);
        self.pool
            .read(move |tx| {
                mfa::list_user_mfa_devices(tx, &account_id, &user_name, after.as_deref(), limit)
            })
            .await
    }

    async fn list_mfa_devices(
        &self,
        account_id: &str,
        assigned: Option<bool>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<MfaDevice>, StoreError> {
        let account_id = account_id.to_owned();
        let after = after.map(str::to_owned);
        self.pool
            .read(move |tx| {
                mfa::list_mfa_devices(tx, &account_id, assigned, after.as_deref(), limit)
            })
            .await
    }

    async fn create_service_credential(
        &self,
        credential: &ServiceCredential,
        max_per_service: usize,
    ) -> Result<(), StoreError> {
        let credential = credential.clone();
        self.pool
            .write(move |tx| service_credentials::create(tx, &credential, max_per_service))
            .await
    }

    async fn list_service_credentials(
        &self,
        account_id: &str,
        user_name: Option<&str>,
        service_name: Option<&str>,
    ) -> Result<Vec<ServiceCredential>, StoreError> {
        let account_id = account_id.to_owned();
        let (user_name, service_name) = (
            user_name.map(str::to_owned),
            service_name.map(str::to_owned),
        );
        self.pool
            .read(move |tx| {
                service_credentials::list(
                    tx,
                    &account_id,
                    user_name.as_deref(),
                    service_name.as_deref(),
                )
            })
            .await
    }

    async fn update_service_credential(
        &self,
        account_id: &str,
        user_name: &str,
        credential_id: &str,
        status: KeyStatus,
    ) -> Result<(), StoreError> {
        let (account_id, user_name, id) = (
            account_id.to_owned(),
            user_name.to_owned(),
            credential_id.to_owned(),
        );
        self.pool
            .write(move |tx| service_credentials::update(tx, &account_id, &user_name, &id, status))
            .await
    }

    async fn reset_service_credential(
        &self,
        account_id: &str,
        user_name: &str,
        credential_id: &str,
        password: &SealedSecret,
    ) -> Result<ServiceCredential, StoreError> {
        let (account_id, user_name, id, password) = (
            account_id.to_owned(),
            user_name.to_owned(),
            credential_id.to_owned(),
            password.clone(),
        );
        self.pool
            .write(move |tx| {
                service_credentials::reset(tx, &account_id, &user_name, &id, &password)
            })
            .await
    }

    async fn delete_service_credential(
        &self,
        account_id: &str,
        user_name: &str,
        credential_id: &str,
    ) -> Result<(), StoreError> {
        let (account_id, user_name, id) = (
            account_id.to_owned(),
            user_name.to_owned(),
            credential_id.to_owned(),
        );
        self.pool
            .write(move |tx| service_credentials::delete(tx, &account_id, &user_name, &id))
            .await
    }

    async fn delete_login_profile(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<(), StoreError> {
        let (account_id, user_name) = (account_id.to_owned(), user_name.to_owned());
        self.pool
            .write(move |tx| passwords::delete_login_profile(tx, &account_id, &user_name))
            .await
    }

    async fn record_password_use(
        &self,
        user_id: &str,
        when: time::OffsetDateTime,
    ) -> Result<(), StoreError> {
        let user_id = user_id.to_owned();
        self.pool
            .write(move |tx| passwords::record_password_use(tx, &user_id, when))
            .await
    }

    async fn get_password_uses(
        &self,
        user_ids: &[String],
    ) -> Result<Vec<(String, time::OffsetDateTime)>, StoreError> {
        if user_ids.is_empty() {
            return Ok(Vec::new());
        }
        let user_ids = user_ids.to_vec();
        self.pool
            .read(move |tx| passwords::get_password_uses(tx, &user_ids))
            .await
    }

    async fn put_password_policy(
        &self,
        account_id: &str,
        policy: &PasswordPolicy,
    ) -> Result<(), StoreError> {
        let (account_id, policy) = (account_id.to_owned(), policy.clone());
        self.pool
            .write(move |tx| passwords::put_password_policy(tx, &account_id, &policy))
            .await
    }

    async fn get_password_policy(
        &self,
        account_id: &str,
    ) -> Result<Option<PasswordPolicy>, StoreError> {
        let account_id = account_id.to_owned();
        self.pool
            .read(move |tx| passwords::get_password_policy(tx, &account_id))
            .await
    }

    async fn delete_password_policy(&self, account_id: &str) -> Result<bool, StoreError> {
        let account_id = account_id.to_owned();
        self.pool
            .write(move |tx| passwords::delete_password_policy(tx, &account_id))
            .await
    }

    async fn set_global_endpoint_token_version(
        &self,
        account_id: &str,
        version: u8,
    ) -> Result<(), StoreError> {
        let account_id = account_id.to_owned();
        self.pool
            .write(move |tx| aliases::set_global_endpoint_token_version(tx, &account_id, version))
            .await
    }

    async fn get_global_endpoint_token_version(
        &self,
        account_id: &str,
    ) -> Result<Option<u8>, StoreError> {
        let account_id = account_id.to_owned();
        self.pool
            .read(move |tx| aliases::get_global_endpoint_token_version(tx, &account_id))
            .await
    }

    async fn upload_public_credential(
        &self,
        credential: &PublicCredential,
        quota: usize,
    ) -> Result<(), StoreError> {
        let credential = credential.clone();
        self.pool
            .write(move |tx| public_credentials::upload(tx, &credential, quota))
            .await
    }

    async fn list_public_credentials(
        &self,
        account_id: &str,
        user_name: Option<&str>,
        kind: PublicCredentialKind,
    ) -> Result<Vec<PublicCredential>, StoreError> {
        let (account_id, user_name) = (account_id.to_owned(), user_name.map(str::to_owned));
        self.pool
            .read(move |tx| public_credentials::list(tx, &account_id, user_name.as_deref(), kind))
            .await
    }

    async fn update_public_credential(
        &self,
        account_id: &str,
        user_name: &str,
        kind: PublicCredentialKind,
        credential_id: &str,
        status: KeyStatus,
    ) -> Result<(), StoreError> {
        let (account_id, user_name, id) = (
            account_id.to_owned(),
            user_name.to_owned(),
            credential_id.to_owned(),
        );
        self.pool
            .write(move |tx| {
                public_credentials::update(tx, &account_id, &user_name, kind, &id, status)
            })
            .await
    }

    async fn delete_public_credential(
        &self,
        account_id: &str,
        user_name: &str,
        kind: PublicCredentialKind,
        credential_id: &str,
    ) -> Result<(), StoreError> {
        let (account_id, user_name, id) = (
            account_id.to_owned(),
            user_name.to_owned(),
            credential_id.to_owned(),
        );
        self.pool
            .write(move |tx| public_credentials::delete(tx, &account_id, &user_name, kind, &id))
            .await
    }

    async fn create_server_certificate(
        &self,
        certificate: &ServerCertificate,
        quota: usize,
    ) -> Result<(), StoreError> {
        let certificate = certificate.clone();
        self.pool
            .write(move |tx| server_certificates::create(tx, &certificate, quota))
            .await
    }

    async fn get_server_certificate(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<Option<ServerCertificate>, StoreError> {
        let (account_id, name) = (account_id.to_owned(), name.to_owned());
        self.pool
            .read(move |tx| server_certificates::get(tx, &account_id, &name))
            .await
    }

    async fn list_server_certificates(
        &self,
        account_id: &str,
        path_prefix: &str,
    ) -> Result<Vec<ServerCertificate>, StoreError> {
        let (account_id, prefix) = (account_id.to_owned(), path_prefix.to_owned());
        self.pool
            .read(move |tx| server_certificates::list(tx, &account_id, &prefix))
            .await
    }

    async fn update_server_certificate(
        &self,
        account_id: &str,
        name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<(), StoreError> {
        let (account_id, name) = (account_id.to_owned(), name.to_owned());
        let (new_name, new_path) = (new_name.map(str::to_owned), new_path.map(str::to_owned));
        self.pool
            .write(move |tx| {
                server_certificates::update(
                    tx,
                    &account_id,
                    &name,
                    new_name.as_deref(),
                    new_path.as_deref(),
                )
            })
            .await
    }

    async fn delete_server_certificate(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<(), StoreError> {
        let (account_id, name) = (account_id.to_owned(), name.to_owned());
        self.pool
            .write(move |tx| server_certificates::delete(tx, &account_id, &name))
            .await
    }
}
