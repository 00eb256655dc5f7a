//! A read-through cache of credentials, users and each owner's (at most two) access keys in
//! front of any `Store`, so that authenticating a request, resolving the user it names and
//! listing that user's keys usually cost no storage read.
//!
//! Staleness is bounded two ways. Writes that pass through this node invalidate what they
//! touch at once (a key deactivated or deleted here stops working on the very next request).
//! Entries also expire after `ttl` (1 s by default), which bounds how long a change made on
//! another node sharing the database goes unseen. Unknown key ids are not cached, so a key
//! created on another node authenticates here on its first request.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::model::{
    AccessKey, Account, AccountCounts, AwsPolicyUsage, Credential, DeletionTask, Group, HolderKind,
    InstanceProfile, KeyOwner, KeyStatus, KeyUsage, LoginProfile, ManagedPolicy, MfaDevice,
    MfaSecret, NewAccessKey, NewPassword, OidcProvider, OidcProviderChange, PasswordPolicy,
    PolicyEntity, PolicyHolder, PolicyVersion, PublicCredential, PublicCredentialKind, Role,
    RoleUsage, SamlProvider, SamlProviderChange, ServerCertificate, ServiceCredential, Tag, Tagged,
    TaggedKind, User, UserPolicies,
};
use crate::secret::{Keyring, SealedSecret};
use crate::store::{keys_after, After, Reseal, Store, StoreError, ALL_KEYS};

/// How long another node's change may go unseen: under a second, request time included.
pub const DEFAULT_TTL: Duration = Duration::from_millis(750);
/// Past this many entries a map drops its expired entries, and if more than half are
/// still fresh, all of them: bounding its memory, and leaving room for at least half as
/// many inserts again before the next sweep, so that sweeping costs O(1) per insert even
/// when more distinct callers than this arrive within one `ttl`.
pub(crate) const MAX_ENTRIES: usize = 20_000;

/// Makes room in a map holding `max` entries: expired entries go first; if more than half
/// remain, all go.
pub fn make_room<K: Eq + std::hash::Hash, V>(
    map: &mut HashMap<K, (Instant, V)>,
    ttl: Duration,
    max: usize,
) {
    if map.len() >= max {
        let now = Instant::now();
        map.retain(|_, (at, _)| now.duration_since(*at) < ttl);
        if map.len() > max / 2 {
            map.clear();
        }
    }
}

/// Cached values with the time they were read.
type Entries<K, V> = RwLock<HashMap<K, (Instant, V)>>;

/// Look-ups of one cache that found a fresh entry, and that did not.
#[derive(Default)]
struct Counts {
    hits: AtomicU64,
    misses: AtomicU64,
}

impl Counts {
    fn count<T>(&self, found: Option<T>) -> Option<T> {
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }
}

/// One cache's size and counts so far (`CachingStore::stats`, for metrics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheStats {
    /// `credentials`, `users` or `keys`.
    pub cache: &'static str,
    pub entries: usize,
    pub hits: u64,
    pub misses: u64,
}

/// The value cached for `key`, if it was read less than `ttl` ago.
fn fresh<K: Eq + std::hash::Hash, V: Clone>(
    map: &Entries<K, V>,
    key: &K,
    ttl: Duration,
    counts: &Counts,
) -> Option<V> {
    let cached = map.read().unwrap_or_else(|e| e.into_inner());
    counts.count(
        cached
            .get(key)
            .filter(|(at, _)| at.elapsed() < ttl)
            .map(|(_, value)| value.clone()),
    )
}

/// Told of every call that reaches the store behind the cache (a miss or a write), for
/// metrics: `operation` is the `Store` method's name.
pub trait StoreObserver: Send + Sync + 'static {
    fn observe(&self, operation: &'static str, took: Duration, error: Option<&StoreError>);
}

pub struct CachingStore {
    inner: Arc<dyn Store>,
    observer: Option<Arc<dyn StoreObserver>>,
    ttl: Duration,
    credentials: Entries<String, Credential>,
    /// Users by (account, lower-cased name).
    users: Entries<(String, String), User>,
    /// Every key of an owner (at most two), in listing order.
    keys: Entries<(String, KeyOwner), Vec<AccessKey>>,
    /// Bumped by every invalidation, so that a read that started before a write cannot
    /// put back what the write made stale.
    generation: AtomicU64,
    /// Hits and misses of `credentials`, `users` and `keys`.
    counts: [Counts; 3],
}

impl CachingStore {
    pub fn new(inner: Arc<dyn Store>, ttl: Duration) -> Self {
        CachingStore {
            inner,
            observer: None,
            ttl,
            credentials: RwLock::new(HashMap::new()),
            users: RwLock::new(HashMap::new()),
            keys: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(0),
            counts: Default::default(),
        }
    }

    /// Tells `observer` of every call passed on to the store.
    pub fn with_observer(mut self, observer: Arc<dyn StoreObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// `call` (a call of `inner`'s `operation`), timed for the observer if there is one.
    async fn timed<T>(
        &self,
        operation: &'static str,
        call: impl std::future::Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let Some(observer) = &self.observer else {
            return call.await;
        };
        let started = Instant::now();
        let result = call.await;
        observer.observe(operation, started.elapsed(), result.as_ref().err());
        result
    }

    /// Each cache's entries (fresh or not yet swept), hits and misses since start.
    pub fn stats(&self) -> [CacheStats; 3] {
        let sizes = [
            self.credentials
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .len(),
            self.users.read().unwrap_or_else(|e| e.into_inner()).len(),
            self.keys.read().unwrap_or_else(|e| e.into_inner()).len(),
        ];
        let names = ["credentials", "users", "keys"];
        std::array::from_fn(|i| CacheStats {
            cache: names[i],
            entries: sizes[i],
            hits: self.counts[i].hits.load(Ordering::Relaxed),
            misses: self.counts[i].misses.load(Ordering::Relaxed),
        })
    }

    fn forget_key(&self, account_id: &str, owner: &KeyOwner, access_key_id: &str) {
        let mut cached = self.credentials.write().unwrap_or_else(|e| e.into_inner());
        let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        cached.remove(access_key_id);
        keys.remove(&(account_id.to_owned(), owner.clone()));
    }

    /// All of an owner's keys (there are at most a handful), cached.
    async fn all_keys(
        &self,
        account_id: &str,
        owner: &KeyOwner,
    ) -> Result<Vec<AccessKey>, StoreError> {
        let key = (account_id.to_owned(), owner.clone());
        if let Some(keys) = fresh(&self.keys, &key, self.ttl, &self.counts[2]) {
            return Ok(keys);
        }
        let fetched_at = Instant::now();
        let generation = self.generation.load(Ordering::SeqCst);
        let found = self
            .timed(
                "list_access_keys",
                self.inner
                    .list_access_keys(account_id, owner, &After::Start, ALL_KEYS),
            )
            .await?;
        let mut cached = self.keys.write().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::SeqCst) == generation {
            make_room(&mut cached, self.ttl, MAX_ENTRIES);
            cached.insert(key, (fetched_at, found.clone()));
        }
        Ok(found)
    }

    /// Users are renamed, moved and deleted rarely; forgetting everything keeps it simple.
    fn forget_all(&self) {
        let mut cached = self.credentials.write().unwrap_or_else(|e| e.into_inner());
        let mut users = self.users.write().unwrap_or_else(|e| e.into_inner());
        let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        cached.clear();
        users.clear();
        keys.clear();
    }
}

#[async_trait]
impl Store for CachingStore {
    async fn reset(&self) -> Result<(), StoreError> {
        self.timed("reset", self.inner.reset()).await?;
        let mut credentials = self.credentials.write().unwrap_or_else(|e| e.into_inner());
        let mut users = self.users.write().unwrap_or_else(|e| e.into_inner());
        let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        credentials.clear();
        users.clear();
        keys.clear();
        Ok(())
    }

    async fn bootstrap_account(
        &self,
        account_id: &str,
        root_key: NewAccessKey,
    ) -> Result<(String, bool), StoreError> {
        self.timed(
            "bootstrap_account",
            self.inner.bootstrap_account(account_id, root_key),
        )
        .await
    }

    async fn get_account(&self, account_id: &str) -> Result<Option<Account>, StoreError> {
        self.timed("get_account", self.inner.get_account(account_id))
            .await
    }

    async fn served_account(&self) -> Result<Option<Account>, StoreError> {
        self.timed("served_account", self.inner.served_account())
            .await
    }

    async fn count_account(&self, account_id: &str) -> Result<AccountCounts, StoreError> {
        self.timed("count_account", self.inner.count_account(account_id))
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
        self.timed(
            "list_policy_entities",
            self.inner.list_policy_entities(
                account_id,
                policy_name,
                kind,
                as_boundary,
                path_prefix,
                after,
                limit,
            ),
        )
        .await
    }

    async fn create_user(&self, user: &User) -> Result<(), StoreError> {
        self.timed("create_user", self.inner.create_user(user))
            .await
    }

    async fn get_user(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<Option<User>, StoreError> {
        if self.inner.users_in_memory() {
            return self
                .timed("get_user", self.inner.get_user(account_id, user_name))
                .await;
        }
        let key = (account_id.to_owned(), user_name.to_lowercase());
        if let Some(user) = fresh(&self.users, &key, self.ttl, &self.counts[1]) {
            return Ok(Some(user));
        }
        let fetched_at = Instant::now();
        let generation = self.generation.load(Ordering::SeqCst);
        let found = self
            .timed("get_user", self.inner.get_user(account_id, user_name))
            .await?;
        let mut cached = self.users.write().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::SeqCst) != generation {
            return Ok(found);
        }
        match &found {
            Some(user) => {
                make_room(&mut cached, self.ttl, MAX_ENTRIES);
                cached.insert(key, (fetched_at, user.clone()));
            }
            None => {
                cached.remove(&key);
            }
        }
        Ok(found)
    }

    async fn list_users(
        &self,
        account_id: &str,
        path_prefix: &str,
        after: &After,
        limit: usize,
    ) -> Result<Vec<User>, StoreError> {
        self.timed(
            "list_users",
            self.inner.list_users(account_id, path_prefix, after, limit),
        )
        .await
    }

    async fn update_user(
        &self,
        account_id: &str,
        user_name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<(), StoreError> {
        let result = self
            .timed(
                "update_user",
                self.inner
                    .update_user(account_id, user_name, new_name, new_path),
            )
            .await;
        self.forget_all();
        result
    }

    async fn delete_user(&self, account_id: &str, user_name: &str) -> Result<(), StoreError> {
        let result = self
            .timed("delete_user", self.inner.delete_user(account_id, user_name))
            .await;
        self.forget_all();
        result
    }

    async fn create_access_key(
        &self,
        key: &NewAccessKey,
        quota: u32,
    ) -> Result<AccessKey, StoreError> {
        let result = self
            .timed(
                "create_access_key",
                self.inner.create_access_key(key, quota),
            )
            .await;
        self.forget_key(&key.account_id, &key.owner, &key.access_key_id);
        result
    }

    async fn list_access_keys(
        &self,
        account_id: &str,
        owner: &KeyOwner,
        after: &After,
        limit: usize,
    ) -> Result<Vec<AccessKey>, StoreError> {
        let all = self.all_keys(account_id, owner).await?;
        Ok(keys_after(all, after, limit))
    }

    async fn get_user_with_keys(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<Option<(User, Vec<AccessKey>)>, StoreError> {
        if self.inner.users_in_memory() {
            return self
                .timed(
                    "get_user_with_keys",
                    self.inner.get_user_with_keys(account_id, user_name),
                )
                .await;
        }
        let user_key = (account_id.to_owned(), user_name.to_lowercase());
        let keys_key = |user: &User| (account_id.to_owned(), user.owner());
        if let Some(user) = fresh(&self.users, &user_key, self.ttl, &self.counts[1]) {
            if let Some(keys) = fresh(&self.keys, &keys_key(&user), self.ttl, &self.counts[2]) {
                return Ok(Some((user, keys)));
            }
        }
        let fetched_at = Instant::now();
        let generation = self.generation.load(Ordering::SeqCst);
        let found = self
            .timed(
                "get_user_with_keys",
                self.inner.get_user_with_keys(account_id, user_name),
            )
            .await?;
        // In the order `forget_all` takes them.
        let mut users = self.users.write().unwrap_or_else(|e| e.into_inner());
        let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::SeqCst) != generation {
            return Ok(found);
        }
        match &found {
            Some((user, user_keys)) => {
                make_room(&mut users, self.ttl, MAX_ENTRIES);
                users.insert(user_key, (fetched_at, user.clone()));
                make_room(&mut keys, self.ttl, MAX_ENTRIES);
                keys.insert(keys_key(user), (fetched_at, user_keys.clone()));
            }
            None => {
                users.remove(&user_key);
            }
        }
        Ok(found)
    }

    fn users_in_memory(&self) -> bool {
        self.inner.users_in_memory()
    }

    async fn update_access_key(
        &self,
        account_id: &str,
        owner: &KeyOwner,
        access_key_id: &str,
        status: KeyStatus,
    ) -> Result<(), StoreError> {
        let result = self
            .timed(
                "update_access_key",
                self.inner
                    .update_access_key(account_id, owner, access_key_id, status),
            )
            .await;
        self.forget_key(account_id, owner, access_key_id);
        result
    }

    async fn delete_access_key(
        &self,
        account_id: &str,
        owner: &KeyOwner,
        access_key_id: &str,
    ) -> Result<(), StoreError> {
        let result = self
            .timed(
                "delete_access_key",
                self.inner
                    .delete_access_key(account_id, owner, access_key_id),
            )
            .await;
        self.forget_key(account_id, owner, access_key_id);
        result
    }

    async fn get_credential(&self, access_key_id: &str) -> Result<Option<Credential>, StoreError> {
        {
            let cached = self.credentials.read().unwrap_or_else(|e| e.into_inner());
            if let Some((at, credential)) = cached.get(access_key_id) {
                if at.elapsed() < self.ttl {
                    self.counts[0].hits.fetch_add(1, Ordering::Relaxed);
                    return Ok(Some(credential.clone()));
                }
            }
        }
        self.counts[0].misses.fetch_add(1, Ordering::Relaxed);
        let fetched_at = Instant::now();
        let generation = self.generation.load(Ordering::SeqCst);
        let found = self
            .timed("get_credential", self.inner.get_credential(access_key_id))
            .await?;
        let mut cached = self.credentials.write().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::SeqCst) != generation {
            // A write landed meanwhile: answer, but do not cache what may be stale.
            return Ok(found);
        }
        match &found {
            Some(credential) => {
                make_room(&mut cached, self.ttl, MAX_ENTRIES);
                cached.insert(access_key_id.to_owned(), (fetched_at, credential.clone()));
            }
            None => {
                cached.remove(access_key_id);
            }
        }
        Ok(found)
    }

    async fn get_access_key_last_used(
        &self,
        access_key_id: &str,
    ) -> Result<Option<(AccessKey, Option<KeyUsage>)>, StoreError> {
        self.timed(
            "get_access_key_last_used",
            self.inner.get_access_key_last_used(access_key_id),
        )
        .await
    }

    async fn record_key_usage(&self, usage: &[KeyUsage]) -> Result<(), StoreError> {
        self.timed("record_key_usage", self.inner.record_key_usage(usage))
            .await
    }
    async fn reseal_secrets(
        &self,
        keyring: &Keyring,
        which: Reseal,
        batch: usize,
    ) -> Result<u64, StoreError> {
        // Cached credentials hold the old sealed form. The ring still opens it, but after a
        // rekey the old key may be dropped from the next start's ring: forget them (this
        // runs at start-up and on `iamd rekey`, so the misses cost nothing that matters).
        let result = self
            .timed(
                "reseal_secrets",
                self.inner.reseal_secrets(keyring, which, batch),
            )
            .await;
        self.forget_all();
        result
    }

    async fn create_policy(
        &self,
        policy: &ManagedPolicy,
        document: &str,
    ) -> Result<(), StoreError> {
        self.timed("create_policy", self.inner.create_policy(policy, document))
            .await
    }

    async fn get_policy(
        &self,
        account_id: &str,
        policy_name: &str,
    ) -> Result<Option<ManagedPolicy>, StoreError> {
        self.timed("get_policy", self.inner.get_policy(account_id, policy_name))
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
        self.timed(
            "list_policies",
            self.inner
                .list_policies(account_id, path_prefix, only_attached, after, limit),
        )
        .await
    }

    async fn delete_policy(&self, account_id: &str, policy_name: &str) -> Result<(), StoreError> {
        self.timed(
            "delete_policy",
            self.inner.delete_policy(account_id, policy_name),
        )
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
        self.timed(
            "create_policy_version",
            self.inner.create_policy_version(
                account_id,
                policy_name,
                document,
                set_as_default,
                max_versions,
                now,
            ),
        )
        .await
    }

    async fn get_policy_version(
        &self,
        account_id: &str,
        policy_name: &str,
        version_id: &str,
    ) -> Result<Option<PolicyVersion>, StoreError> {
        self.timed(
            "get_policy_version",
            self.inner
                .get_policy_version(account_id, policy_name, version_id),
        )
        .await
    }

    async fn list_policy_versions(
        &self,
        account_id: &str,
        policy_name: &str,
    ) -> Result<Vec<PolicyVersion>, StoreError> {
        self.timed(
            "list_policy_versions",
            self.inner.list_policy_versions(account_id, policy_name),
        )
        .await
    }

    async fn set_default_policy_version(
        &self,
        account_id: &str,
        policy_name: &str,
        version_id: &str,
        now: time::OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.timed(
            "set_default_policy_version",
            self.inner
                .set_default_policy_version(account_id, policy_name, version_id, now),
        )
        .await
    }

    async fn delete_policy_version(
        &self,
        account_id: &str,
        policy_name: &str,
        version_id: &str,
    ) -> Result<(), StoreError> {
        self.timed(
            "delete_policy_version",
            self.inner
                .delete_policy_version(account_id, policy_name, version_id),
        )
        .await
    }

    async fn create_role(&self, role: &Role) -> Result<(), StoreError> {
        self.timed("create_role", self.inner.create_role(role))
            .await
    }

    async fn get_role(
        &self,
        account_id: &str,
        role_name: &str,
    ) -> Result<Option<Role>, StoreError> {
        self.timed("get_role", self.inner.get_role(account_id, role_name))
            .await
    }

    async fn get_role_by_id(&self, role_id: &str) -> Result<Option<Role>, StoreError> {
        self.timed("get_role_by_id", self.inner.get_role_by_id(role_id))
            .await
    }

    async fn list_roles(
        &self,
        account_id: &str,
        path_prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Role>, StoreError> {
        self.timed(
            "list_roles",
            self.inner.list_roles(account_id, path_prefix, after, limit),
        )
        .await
    }

    async fn update_role(
        &self,
        account_id: &str,
        role_name: &str,
        description: Option<&str>,
        max_session_duration: Option<u32>,
    ) -> Result<(), StoreError> {
        self.timed(
            "update_role",
            self.inner
                .update_role(account_id, role_name, description, max_session_duration),
        )
        .await
    }

    async fn update_assume_role_policy(
        &self,
        account_id: &str,
        role_name: &str,
        document: &str,
    ) -> Result<(), StoreError> {
        self.timed(
            "update_assume_role_policy",
            self.inner
                .update_assume_role_policy(account_id, role_name, document),
        )
        .await
    }

    async fn delete_role(&self, account_id: &str, role_name: &str) -> Result<(), StoreError> {
        self.timed("delete_role", self.inner.delete_role(account_id, role_name))
            .await
    }

    async fn record_role_usage(&self, usage: &[RoleUsage]) -> Result<(), StoreError> {
        self.timed("record_role_usage", self.inner.record_role_usage(usage))
            .await
    }

    async fn get_role_last_used(&self, role_id: &str) -> Result<Option<RoleUsage>, StoreError> {
        self.timed("get_role_last_used", self.inner.get_role_last_used(role_id))
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
        self.timed(
            "put_inline_policy",
            self.inner.put_inline_policy(
                account_id,
                holder,
                policy_name,
                document,
                size,
                max_total,
            ),
        )
        .await
    }

    async fn get_inline_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        policy_name: &str,
    ) -> Result<Option<String>, StoreError> {
        self.timed(
            "get_inline_policy",
            self.inner
                .get_inline_policy(account_id, holder, policy_name),
        )
        .await
    }

    async fn list_inline_policies(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        self.timed(
            "list_inline_policies",
            self.inner
                .list_inline_policies(account_id, holder, after, limit),
        )
        .await
    }

    async fn delete_inline_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        policy_name: &str,
    ) -> Result<(), StoreError> {
        self.timed(
            "delete_inline_policy",
            self.inner
                .delete_inline_policy(account_id, holder, policy_name),
        )
        .await
    }

    async fn create_user_with_boundary(
        &self,
        user: &User,
        boundary: &str,
    ) -> Result<(), StoreError> {
        self.timed(
            "create_user_with_boundary",
            self.inner.create_user_with_boundary(user, boundary),
        )
        .await
    }

    async fn create_role_with_boundary(
        &self,
        role: &Role,
        boundary: &str,
    ) -> Result<(), StoreError> {
        self.timed(
            "create_role_with_boundary",
            self.inner.create_role_with_boundary(role, boundary),
        )
        .await
    }

    // Boundaries are not among what this cache keeps (users' rows here carry none), so
    // their changes pass through.
    async fn put_permissions_boundary(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        policy_name: &str,
    ) -> Result<(), StoreError> {
        self.timed(
            "put_permissions_boundary",
            self.inner
                .put_permissions_boundary(account_id, holder, policy_name),
        )
        .await
    }

    async fn delete_permissions_boundary(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
    ) -> Result<(), StoreError> {
        self.timed(
            "delete_permissions_boundary",
            self.inner.delete_permissions_boundary(account_id, holder),
        )
        .await
    }

    async fn get_permissions_boundary(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
    ) -> Result<Option<String>, StoreError> {
        self.timed(
            "get_permissions_boundary",
            self.inner.get_permissions_boundary(account_id, holder),
        )
        .await
    }

    async fn attach_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        policy_name: &str,
        max_attached: usize,
    ) -> Result<(), StoreError> {
        self.timed(
            "attach_policy",
            self.inner
                .attach_policy(account_id, holder, policy_name, max_attached),
        )
        .await
    }

    async fn detach_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        policy_name: &str,
    ) -> Result<(), StoreError> {
        self.timed(
            "detach_policy",
            self.inner.detach_policy(account_id, holder, policy_name),
        )
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
        self.timed(
            "list_attached_policies",
            self.inner
                .list_attached_policies(account_id, holder, path_prefix, after, limit),
        )
        .await
    }

    async fn get_holder_policies(
        &self,
        kind: HolderKind,
        holder_id: &str,
    ) -> Result<UserPolicies, StoreError> {
        self.timed(
            "get_holder_policies",
            self.inner.get_holder_policies(kind, holder_id),
        )
        .await
    }

    // AWS managed policies' attachments and boundaries are not among what this cache
    // keeps: they pass through (a user created with a boundary, as `create_user`).

    async fn attach_aws_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        arn: &str,
        max_attached: usize,
    ) -> Result<(), StoreError> {
        self.timed(
            "attach_aws_policy",
            self.inner
                .attach_aws_policy(account_id, holder, arn, max_attached),
        )
        .await
    }

    async fn detach_aws_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        arn: &str,
    ) -> Result<(), StoreError> {
        self.timed(
            "detach_aws_policy",
            self.inner.detach_aws_policy(account_id, holder, arn),
        )
        .await
    }

    async fn list_aws_attached_policies(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
    ) -> Result<Vec<String>, StoreError> {
        self.timed(
            "list_aws_attached_policies",
            self.inner.list_aws_attached_policies(account_id, holder),
        )
        .await
    }

    async fn put_aws_permissions_boundary(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        arn: &str,
    ) -> Result<(), StoreError> {
        self.timed(
            "put_aws_permissions_boundary",
            self.inner
                .put_aws_permissions_boundary(account_id, holder, arn),
        )
        .await
    }

    async fn create_user_with_aws_boundary(
        &self,
        user: &User,
        arn: &str,
    ) -> Result<(), StoreError> {
        self.timed(
            "create_user_with_aws_boundary",
            self.inner.create_user_with_aws_boundary(user, arn),
        )
        .await
    }

    async fn create_role_with_aws_boundary(
        &self,
        role: &Role,
        arn: &str,
    ) -> Result<(), StoreError> {
        self.timed(
            "create_role_with_aws_boundary",
            self.inner.create_role_with_aws_boundary(role, arn),
        )
        .await
    }

    async fn aws_policy_usage(
        &self,
        account_id: &str,
        arn: Option<&str>,
    ) -> Result<Vec<AwsPolicyUsage>, StoreError> {
        self.timed(
            "aws_policy_usage",
            self.inner.aws_policy_usage(account_id, arn),
        )
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
        self.timed(
            "list_aws_policy_entities",
            self.inner.list_aws_policy_entities(
                account_id,
                arn,
                kind,
                as_boundary,
                path_prefix,
                after,
                limit,
            ),
        )
        .await
    }

    // Groups hold nothing this cache keeps (credentials, users, keys): their operations
    // pass through.

    async fn get_user_group_policies(
        &self,
        user_id: &str,
    ) -> Result<Vec<(String, UserPolicies)>, StoreError> {
        self.timed(
            "get_user_group_policies",
            self.inner.get_user_group_policies(user_id),
        )
        .await
    }

    async fn create_group(&self, group: &Group, max_groups: usize) -> Result<(), StoreError> {
        self.timed("create_group", self.inner.create_group(group, max_groups))
            .await
    }

    async fn get_group(
        &self,
        account_id: &str,
        group_name: &str,
    ) -> Result<Option<Group>, StoreError> {
        self.timed("get_group", self.inner.get_group(account_id, group_name))
            .await
    }

    async fn list_groups(
        &self,
        account_id: &str,
        path_prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Group>, StoreError> {
        self.timed(
            "list_groups",
            self.inner
                .list_groups(account_id, path_prefix, after, limit),
        )
        .await
    }

    async fn update_group(
        &self,
        account_id: &str,
        group_name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<(), StoreError> {
        self.timed(
            "update_group",
            self.inner
                .update_group(account_id, group_name, new_name, new_path),
        )
        .await
    }

    async fn delete_group(&self, account_id: &str, group_name: &str) -> Result<(), StoreError> {
        self.timed(
            "delete_group",
            self.inner.delete_group(account_id, group_name),
        )
        .await
    }

    async fn get_group_members(
        &self,
        account_id: &str,
        group_name: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Option<(Group, Vec<User>)>, StoreError> {
        self.timed(
            "get_group_members",
            self.inner
                .get_group_members(account_id, group_name, after, limit),
        )
        .await
    }

    async fn add_user_to_group(
        &self,
        account_id: &str,
        group_name: &str,
        user_name: &str,
        max_groups_per_user: usize,
    ) -> Result<(), StoreError> {
        self.timed(
            "add_user_to_group",
            self.inner
                .add_user_to_group(account_id, group_name, user_name, max_groups_per_user),
        )
        .await
    }

    async fn remove_user_from_group(
        &self,
        account_id: &str,
        group_name: &str,
        user_name: &str,
    ) -> Result<(), StoreError> {
        self.timed(
            "remove_user_from_group",
            self.inner
                .remove_user_from_group(account_id, group_name, user_name),
        )
        .await
    }

    async fn list_groups_for_user(
        &self,
        account_id: &str,
        user_name: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Group>, StoreError> {
        self.timed(
            "list_groups_for_user",
            self.inner
                .list_groups_for_user(account_id, user_name, after, limit),
        )
        .await
    }

    // Tags. A user's are cached with the user (and with each credential of its keys), so a
    // change to them forgets every entry, as UpdateUser does; other kinds are not cached.

    async fn tag_entity(
        &self,
        account_id: &str,
        entity: Tagged<'_>,
        tags: &[Tag],
        max_tags: usize,
    ) -> Result<(), StoreError> {
        let result = self
            .timed(
                "tag_entity",
                self.inner.tag_entity(account_id, entity, tags, max_tags),
            )
            .await;
        if entity.kind == TaggedKind::User {
            self.forget_all();
        }
        result
    }

    async fn untag_entity(
        &self,
        account_id: &str,
        entity: Tagged<'_>,
        keys: &[String],
    ) -> Result<(), StoreError> {
        let result = self
            .timed(
                "untag_entity",
                self.inner.untag_entity(account_id, entity, keys),
            )
            .await;
        if entity.kind == TaggedKind::User {
            self.forget_all();
        }
        result
    }

    async fn list_entity_tags(
        &self,
        account_id: &str,
        entity: Tagged<'_>,
    ) -> Result<Vec<Tag>, StoreError> {
        self.timed(
            "list_entity_tags",
            self.inner.list_entity_tags(account_id, entity),
        )
        .await
    }

    // Instance profiles are not cached: every call goes to the store.

    async fn create_instance_profile(&self, profile: &InstanceProfile) -> Result<(), StoreError> {
        self.timed(
            "create_instance_profile",
            self.inner.create_instance_profile(profile),
        )
        .await
    }

    async fn get_instance_profile(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<Option<InstanceProfile>, StoreError> {
        self.timed(
            "get_instance_profile",
            self.inner.get_instance_profile(account_id, name),
        )
        .await
    }

    async fn list_instance_profiles(
        &self,
        account_id: &str,
        path_prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<InstanceProfile>, StoreError> {
        self.timed(
            "list_instance_profiles",
            self.inner
                .list_instance_profiles(account_id, path_prefix, after, limit),
        )
        .await
    }

    async fn list_instance_profiles_for_role(
        &self,
        account_id: &str,
        role_name: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<InstanceProfile>, StoreError> {
        self.timed(
            "list_instance_profiles_for_role",
            self.inner
                .list_instance_profiles_for_role(account_id, role_name, after, limit),
        )
        .await
    }

    async fn delete_instance_profile(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<(), StoreError> {
        self.timed(
            "delete_instance_profile",
            self.inner.delete_instance_profile(account_id, name),
        )
        .await
    }

    async fn add_role_to_instance_profile(
        &self,
        account_id: &str,
        name: &str,
        role_name: &str,
        max_roles: u32,
    ) -> Result<(), StoreError> {
        self.timed(
            "add_role_to_instance_profile",
            self.inner
                .add_role_to_instance_profile(account_id, name, role_name, max_roles),
        )
        .await
    }

    async fn remove_role_from_instance_profile(
        &self,
        account_id: &str,
        name: &str,
        role_name: &str,
    ) -> Result<(), StoreError> {
        self.timed(
            "remove_role_from_instance_profile",
            self.inner
                .remove_role_from_instance_profile(account_id, name, role_name),
        )
        .await
    }

    // Account aliases and service-linked roles' deletion tasks are not cached. Deleting a
    // role touches nothing this front keeps (roles are not cached).

    async fn create_oidc_provider(
        &self,
        provider: &OidcProvider,
        max_per_account: usize,
    ) -> Result<(), StoreError> {
        self.timed(
            "create_oidc_provider",
            self.inner.create_oidc_provider(provider, max_per_account),
        )
        .await
    }

    async fn get_oidc_provider(
        &self,
        account_id: &str,
        url: &str,
    ) -> Result<Option<OidcProvider>, StoreError> {
        self.timed(
            "get_oidc_provider",
            self.inner.get_oidc_provider(account_id, url),
        )
        .await
    }

    async fn list_oidc_providers(&self, account_id: &str) -> Result<Vec<OidcProvider>, StoreError> {
        self.timed(
            "list_oidc_providers",
            self.inner.list_oidc_providers(account_id),
        )
        .await
    }

    async fn delete_oidc_provider(&self, account_id: &str, url: &str) -> Result<(), StoreError> {
        self.timed(
            "delete_oidc_provider",
            self.inner.delete_oidc_provider(account_id, url),
        )
        .await
    }

    async fn change_oidc_provider(
        &self,
        account_id: &str,
        url: &str,
        change: &OidcProviderChange,
    ) -> Result<OidcProvider, StoreError> {
        self.timed(
            "change_oidc_provider",
            self.inner.change_oidc_provider(account_id, url, change),
        )
        .await
    }

    async fn create_saml_provider(
        &self,
        provider: &SamlProvider,
        max_per_account: usize,
    ) -> Result<(), StoreError> {
        self.timed(
            "create_saml_provider",
            self.inner.create_saml_provider(provider, max_per_account),
        )
        .await
    }

    async fn get_saml_provider(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<Option<SamlProvider>, StoreError> {
        self.timed(
            "get_saml_provider",
            self.inner.get_saml_provider(account_id, name),
        )
        .await
    }

    async fn list_saml_providers(&self, account_id: &str) -> Result<Vec<SamlProvider>, StoreError> {
        self.timed(
            "list_saml_providers",
            self.inner.list_saml_providers(account_id),
        )
        .await
    }

    async fn delete_saml_provider(&self, account_id: &str, name: &str) -> Result<(), StoreError> {
        self.timed(
            "delete_saml_provider",
            self.inner.delete_saml_provider(account_id, name),
        )
        .await
    }

    async fn change_saml_provider(
        &self,
        account_id: &str,
        name: &str,
        change: &SamlProviderChange,
    ) -> Result<SamlProvider, StoreError> {
        self.timed(
            "change_saml_provider",
            self.inner.change_saml_provider(account_id, name, change),
        )
        .await
    }

    async fn create_account_alias(&self, account_id: &str, alias: &str) -> Result<(), StoreError> {
        self.timed(
            "create_account_alias",
            self.inner.create_account_alias(account_id, alias),
        )
        .await
    }

    async fn delete_account_alias(&self, account_id: &str, alias: &str) -> Result<(), StoreError> {
        self.timed(
            "delete_account_alias",
            self.inner.delete_account_alias(account_id, alias),
        )
        .await
    }

    async fn list_account_aliases(&self, account_id: &str) -> Result<Vec<String>, StoreError> {
        self.timed(
            "list_account_aliases",
            self.inner.list_account_aliases(account_id),
        )
        .await
    }

    async fn delete_service_linked_role(
        &self,
        account_id: &str,
        role_name: &str,
        task: &DeletionTask,
    ) -> Result<(), StoreError> {
        self.timed(
            "delete_service_linked_role",
            self.inner
                .delete_service_linked_role(account_id, role_name, task),
        )
        .await
    }

    async fn get_deletion_task(
        &self,
        account_id: &str,
        deletion_task_id: &str,
    ) -> Result<Option<DeletionTask>, StoreError> {
        self.timed(
            "get_deletion_task",
            self.inner.get_deletion_task(account_id, deletion_task_id),
        )
        .await
    }

    // MFA devices are not cached: every call goes to the store (a code's single use is
    // decided there).

    async fn create_mfa_device(
        &self,
        device: &MfaDevice,
        seed: &SealedSecret,
    ) -> Result<(), StoreError> {
        self.timed(
            "create_mfa_device",
            self.inner.create_mfa_device(device, seed),
        )
        .await
    }

    async fn get_mfa_device(
        &self,
        account_id: &str,
        serial_number: &str,
    ) -> Result<Option<MfaDevice>, StoreError> {
        self.timed(
            "get_mfa_device",
            self.inner.get_mfa_device(account_id, serial_number),
        )
        .await
    }

    async fn get_mfa_secret(
        &self,
        account_id: &str,
        serial_number: &str,
    ) -> Result<Option<MfaSecret>, StoreError> {
        self.timed(
            "get_mfa_secret",
            self.inner.get_mfa_secret(account_id, serial_number),
        )
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
        self.timed(
            "enable_mfa_device",
            self.inner.enable_mfa_device(
                account_id,
                user_name,
                serial_number,
                step,
                now,
                max_per_user,
            ),
        )
        .await
    }

    async fn use_mfa_step(
        &self,
        account_id: &str,
        serial_number: &str,
        step: i64,
    ) -> Result<bool, StoreError> {
        self.timed(
            "use_mfa_step",
            self.inner.use_mfa_step(account_id, serial_number, step),
        )
        .await
    }

    async fn deactivate_mfa_device(
        &self,
        account_id: &str,
        user_name: &str,
        serial_number: &str,
    ) -> Result<(), StoreError> {
        self.timed(
            "deactivate_mfa_device",
            self.inner
                .deactivate_mfa_device(account_id, user_name, serial_number),
        )
        .await
    }

    async fn delete_mfa_device(
        &self,
        account_id: &str,
        serial_number: &str,
    ) -> Result<(), StoreError> {
        self.timed(
            "delete_mfa_device",
            self.inner.delete_mfa_device(account_id, serial_number),
        )
        .await
    }

    async fn list_user_mfa_devices(
        &self,
        account_id: &str,
        user_name: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<MfaDevice>, StoreError> {
        self.timed(
            "list_user_mfa_devices",
            self.inner
                .list_user_mfa_devices(account_id, user_name, after, limit),
        )
        .await
    }

    async fn list_mfa_devices(
        &self,
        account_id: &str,
        assigned: Option<bool>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<MfaDevice>, StoreError> {
        self.timed(
            "list_mfa_devices",
            self.inner
                .list_mfa_devices(account_id, assigned, after, limit),
        )
        .await
    }

    // Service-specific credentials are not cached (they sign nothing iamd checks).

    async fn create_service_credential(
        &self,
        credential: &ServiceCredential,
        max_per_service: usize,
    ) -> Result<(), StoreError> {
        self.timed(
            "create_service_credential",
            self.inner
                .create_service_credential(credential, max_per_service),
        )
        .await
    }

    async fn list_service_credentials(
        &self,
        account_id: &str,
        user_name: Option<&str>,
        service_name: Option<&str>,
    ) -> Result<Vec<ServiceCredential>, StoreError> {
        self.timed(
            "list_service_credentials",
            self.inner
                .list_service_credentials(account_id, user_name, service_name),
        )
        .await
    }

    async fn update_service_credential(
        &self,
        account_id: &str,
        user_name: &str,
        credential_id: &str,
        status: KeyStatus,
    ) -> Result<(), StoreError> {
        self.timed(
            "update_service_credential",
            self.inner
                .update_service_credential(account_id, user_name, credential_id, status),
        )
        .await
    }

    async fn reset_service_credential(
        &self,
        account_id: &str,
        user_name: &str,
        credential_id: &str,
        password: &SealedSecret,
    ) -> Result<ServiceCredential, StoreError> {
        self.timed(
            "reset_service_credential",
            self.inner
                .reset_service_credential(account_id, user_name, credential_id, password),
        )
        .await
    }

    async fn delete_service_credential(
        &self,
        account_id: &str,
        user_name: &str,
        credential_id: &str,
    ) -> Result<(), StoreError> {
        self.timed(
            "delete_service_credential",
            self.inner
                .delete_service_credential(account_id, user_name, credential_id),
        )
        .await
    }

    // SSH public keys and signing certificates are not cached (iamd checks no signature
    // with them).

    async fn upload_public_credential(
        &self,
        credential: &PublicCredential,
        quota: usize,
    ) -> Result<(), StoreError> {
        self.timed(
            "upload_public_credential",
            self.inner.upload_public_credential(credential, quota),
        )
        .await
    }

    async fn list_public_credentials(
        &self,
        account_id: &str,
        user_name: Option<&str>,
        kind: PublicCredentialKind,
    ) -> Result<Vec<PublicCredential>, StoreError> {
        self.timed(
            "list_public_credentials",
            self.inner
                .list_public_credentials(account_id, user_name, kind),
        )
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
        self.timed(
            "update_public_credential",
            self.inner
                .update_public_credential(account_id, user_name, kind, credential_id, status),
        )
        .await
    }

    async fn delete_public_credential(
        &self,
        account_id: &str,
        user_name: &str,
        kind: PublicCredentialKind,
        credential_id: &str,
    ) -> Result<(), StoreError> {
        self.timed(
            "delete_public_credential",
            self.inner
                .delete_public_credential(account_id, user_name, kind, credential_id),
        )
        .await
    }

    // Server certificates are not cached.

    async fn create_server_certificate(
        &self,
        certificate: &ServerCertificate,
        quota: usize,
    ) -> Result<(), StoreError> {
        self.timed(
            "create_server_certificate",
            self.inner.create_server_certificate(certificate, quota),
        )
        .await
    }

    async fn get_server_certificate(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<Option<ServerCertificate>, StoreError> {
        self.timed(
            "get_server_certificate",
            self.inner.get_server_certificate(account_id, name),
        )
        .await
    }

    async fn list_server_certificates(
        &self,
        account_id: &str,
        path_prefix: &str,
    ) -> Result<Vec<ServerCertificate>, StoreError> {
        self.timed(
            "list_server_certificates",
            self.inner.list_server_certificates(account_id, path_prefix),
        )
        .await
    }

    async fn update_server_certificate(
        &self,
        account_id: &str,
        name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<(), StoreError> {
        self.timed(
            "update_server_certificate",
            self.inner
                .update_server_certificate(account_id, name, new_name, new_path),
        )
        .await
    }

    async fn delete_server_certificate(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<(), StoreError> {
        self.timed(
            "delete_server_certificate",
            self.inner.delete_server_certificate(account_id, name),
        )
        .await
    }

    // Login profiles and password policies touch nothing this cache keeps.

    async fn create_login_profile(
        &self,
        account_id: &str,
        user_name: &str,
        profile: &LoginProfile,
    ) -> Result<(), StoreError> {
        self.timed(
            "create_login_profile",
            self.inner
                .create_login_profile(account_id, user_name, profile),
        )
        .await
    }

    async fn get_login_profile(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<Option<LoginProfile>, StoreError> {
        self.timed(
            "get_login_profile",
            self.inner.get_login_profile(account_id, user_name),
        )
        .await
    }

    async fn update_login_profile(
        &self,
        account_id: &str,
        user_name: &str,
        password: Option<&NewPassword>,
        password_reset_required: Option<bool>,
    ) -> Result<(), StoreError> {
        self.timed(
            "update_login_profile",
            self.inner.update_login_profile(
                account_id,
                user_name,
                password,
                password_reset_required,
            ),
        )
        .await
    }

    async fn delete_login_profile(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<(), StoreError> {
        self.timed(
            "delete_login_profile",
            self.inner.delete_login_profile(account_id, user_name),
        )
        .await
    }

    async fn record_password_use(
        &self,
        user_id: &str,
        when: time::OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.timed(
            "record_password_use",
            self.inner.record_password_use(user_id, when),
        )
        .await
    }

    async fn get_password_uses(
        &self,
        user_ids: &[String],
    ) -> Result<Vec<(String, time::OffsetDateTime)>, StoreError> {
        self.timed("get_password_uses", self.inner.get_password_uses(user_ids))
            .await
    }

    async fn put_password_policy(
        &self,
        account_id: &str,
        policy: &PasswordPolicy,
    ) -> Result<(), StoreError> {
        self.timed(
            "put_password_policy",
            self.inner.put_password_policy(account_id, policy),
        )
        .await
    }

    async fn get_password_policy(
        &self,
        account_id: &str,
    ) -> Result<Option<PasswordPolicy>, StoreError> {
        self.timed(
            "get_password_policy",
            self.inner.get_password_policy(account_id),
        )
        .await
    }

    async fn delete_password_policy(&self, account_id: &str) -> Result<bool, StoreError> {
        self.timed(
            "delete_password_policy",
            self.inner.delete_password_policy(account_id),
        )
        .await
    }

    async fn set_global_endpoint_token_version(
        &self,
        account_id: &str,
        version: u8,
    ) -> Result<(), StoreError> {
        self.timed(
            "set_global_endpoint_token_version",
            self.inner
                .set_global_endpoint_token_version(account_id, version),
        )
        .await
    }

    async fn get_global_endpoint_token_version(
        &self,
        account_id: &str,
    ) -> Result<Option<u8>, StoreError> {
        self.timed(
            "get_global_endpoint_token_version",
            self.inner.get_global_endpoint_token_version(account_id),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store that counts credential reads and can change a key's status behind the
    /// cache's back (as another node would).
    struct Counting {
        reads: std::sync::atomic::AtomicUsize,
        status: RwLock<KeyStatus>,
        /// What `users_in_memory` answers; `get_user` counts in `reads` too.
        in_memory: bool,
    }

    fn credential(status: KeyStatus) -> Credential {
        Credential {
            key: AccessKey {
                access_key_id: "AKIATEST".into(),
                account_id: "123456789012".into(),
                owner: KeyOwner::Root,
                user_name: None,
                status,
                create_date: time::OffsetDateTime::UNIX_EPOCH,
            },
            secret: crate::secret::SecretKey::new("s".into()).seal_plain(),
            user: None,
        }
    }

    #[async_trait]
    impl Store for Counting {
        async fn reset(&self) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn bootstrap_account(
            &self,
            _: &str,
            _: NewAccessKey,
        ) -> Result<(String, bool), StoreError> {
            unimplemented!()
        }
        async fn served_account(&self) -> Result<Option<Account>, StoreError> {
            unimplemented!()
        }
        async fn get_account(&self, _: &str) -> Result<Option<Account>, StoreError> {
            unimplemented!()
        }
        async fn count_account(&self, _: &str) -> Result<AccountCounts, StoreError> {
            unimplemented!()
        }
        async fn list_policy_entities(
            &self,
            _: &str,
            _: &str,
            _: HolderKind,
            _: bool,
            _: &str,
            _: Option<&str>,
            _: usize,
        ) -> Result<Vec<PolicyEntity>, StoreError> {
            unimplemented!()
        }
        async fn create_user(&self, _: &User) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn get_user(&self, account_id: &str, name: &str) -> Result<Option<User>, StoreError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            Ok(Some(User {
                account_id: account_id.to_owned(),
                user_id: "AIDATEST".into(),
                user_name: name.to_owned(),
                path: "/".into(),
                create_date: time::OffsetDateTime::UNIX_EPOCH,
                tags: Vec::new(),
            }))
        }
        fn users_in_memory(&self) -> bool {
            self.in_memory
        }
        async fn list_users(
            &self,
            _: &str,
            _: &str,
            _: &After,
            _: usize,
        ) -> Result<Vec<User>, StoreError> {
            unimplemented!()
        }
        async fn update_user(
            &self,
            _: &str,
            _: &str,
            _: Option<&str>,
            _: Option<&str>,
        ) -> Result<(), StoreError> {
            Ok(())
        }
        async fn delete_user(&self, _: &str, _: &str) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn create_access_key(
            &self,
            _: &NewAccessKey,
            _: u32,
        ) -> Result<AccessKey, StoreError> {
            unimplemented!()
        }
        async fn list_access_keys(
            &self,
            _: &str,
            _: &KeyOwner,
            _: &After,
            _: usize,
        ) -> Result<Vec<AccessKey>, StoreError> {
            unimplemented!()
        }
        async fn update_access_key(
            &self,
            _: &str,
            _: &KeyOwner,
            _: &str,
            status: KeyStatus,
        ) -> Result<(), StoreError> {
            *self.status.write().unwrap() = status;
            Ok(())
        }
        async fn delete_access_key(
            &self,
            _: &str,
            _: &KeyOwner,
            _: &str,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn get_credential(&self, id: &str) -> Result<Option<Credential>, StoreError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            Ok((id == "AKIATEST").then(|| credential(*self.status.read().unwrap())))
        }
        async fn get_access_key_last_used(
            &self,
            _: &str,
        ) -> Result<Option<(AccessKey, Option<KeyUsage>)>, StoreError> {
            unimplemented!()
        }
        async fn record_key_usage(&self, _: &[KeyUsage]) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn reseal_secrets(
            &self,
            _: &Keyring,
            _: Reseal,
            _: usize,
        ) -> Result<u64, StoreError> {
            unimplemented!()
        }
        async fn create_policy(&self, _: &ManagedPolicy, _: &str) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn get_policy(&self, _: &str, _: &str) -> Result<Option<ManagedPolicy>, StoreError> {
            unimplemented!()
        }
        async fn list_policies(
            &self,
            _: &str,
            _: &str,
            _: bool,
            _: Option<&str>,
            _: usize,
        ) -> Result<Vec<ManagedPolicy>, StoreError> {
            unimplemented!()
        }
        async fn delete_policy(&self, _: &str, _: &str) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn create_policy_version(
            &self,
            _: &str,
            _: &str,
            _: &str,
            _: bool,
            _: u32,
            _: time::OffsetDateTime,
        ) -> Result<PolicyVersion, StoreError> {
            unimplemented!()
        }
        async fn get_policy_version(
            &self,
            _: &str,
            _: &str,
            _: &str,
        ) -> Result<Option<PolicyVersion>, StoreError> {
            unimplemented!()
        }
        async fn list_policy_versions(
            &self,
            _: &str,
            _: &str,
        ) -> Result<Vec<PolicyVersion>, StoreError> {
            unimplemented!()
        }
        async fn set_default_policy_version(
            &self,
            _: &str,
            _: &str,
            _: &str,
            _: time::OffsetDateTime,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn delete_policy_version(&self, _: &str, _: &str, _: &str) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn create_role(&self, _: &Role) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn get_role(&self, _: &str, _: &str) -> Result<Option<Role>, StoreError> {
            unimplemented!()
        }
        async fn get_role_by_id(&self, _: &str) -> Result<Option<Role>, StoreError> {
            unimplemented!()
        }
        async fn list_roles(
            &self,
            _: &str,
            _: &str,
            _: Option<&str>,
            _: usize,
        ) -> Result<Vec<Role>, StoreError> {
            unimplemented!()
        }
        async fn update_role(
            &self,
            _: &str,
            _: &str,
            _: Option<&str>,
            _: Option<u32>,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn update_assume_role_policy(
            &self,
            _: &str,
            _: &str,
            _: &str,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn delete_role(&self, _: &str, _: &str) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn record_role_usage(&self, _: &[RoleUsage]) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn get_role_last_used(&self, _: &str) -> Result<Option<RoleUsage>, StoreError> {
            unimplemented!()
        }

        async fn put_inline_policy(
            &self,
            _: &str,
            _: PolicyHolder<'_>,
            _: &str,
            _: &str,
            _: usize,
            _: usize,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn get_inline_policy(
            &self,
            _: &str,
            _: PolicyHolder<'_>,
            _: &str,
        ) -> Result<Option<String>, StoreError> {
            unimplemented!()
        }
        async fn list_inline_policies(
            &self,
            _: &str,
            _: PolicyHolder<'_>,
            _: Option<&str>,
            _: usize,
        ) -> Result<Vec<String>, StoreError> {
            unimplemented!()
        }
        async fn delete_inline_policy(
            &self,
            _: &str,
            _: PolicyHolder<'_>,
            _: &str,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn create_user_with_boundary(&self, _: &User, _: &str) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn create_role_with_boundary(&self, _: &Role, _: &str) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn put_permissions_boundary(
            &self,
            _: &str,
            _: PolicyHolder<'_>,
            _: &str,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn delete_permissions_boundary(
            &self,
            _: &str,
            _: PolicyHolder<'_>,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn get_permissions_boundary(
            &self,
            _: &str,
            _: PolicyHolder<'_>,
        ) -> Result<Option<String>, StoreError> {
            unimplemented!()
        }
        async fn attach_policy(
            &self,
            _: &str,
            _: PolicyHolder<'_>,
            _: &str,
            _: usize,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn detach_policy(
            &self,
            _: &str,
            _: PolicyHolder<'_>,
            _: &str,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn list_attached_policies(
            &self,
            _: &str,
            _: PolicyHolder<'_>,
            _: &str,
            _: Option<&str>,
            _: usize,
        ) -> Result<Vec<ManagedPolicy>, StoreError> {
            unimplemented!()
        }
        async fn get_holder_policies(
            &self,
            _: HolderKind,
            _: &str,
        ) -> Result<UserPolicies, StoreError> {
            unimplemented!()
        }
        async fn get_user_group_policies(
            &self,
            _: &str,
        ) -> Result<Vec<(String, UserPolicies)>, StoreError> {
            unimplemented!()
        }
        async fn attach_aws_policy(
            &self,
            _: &str,
            _: PolicyHolder<'_>,
            _: &str,
            _: usize,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn detach_aws_policy(
            &self,
            _: &str,
            _: PolicyHolder<'_>,
            _: &str,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn list_aws_attached_policies(
            &self,
            _: &str,
            _: PolicyHolder<'_>,
        ) -> Result<Vec<String>, StoreError> {
            unimplemented!()
        }
        async fn put_aws_permissions_boundary(
            &self,
            _: &str,
            _: PolicyHolder<'_>,
            _: &str,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn create_user_with_aws_boundary(&self, _: &User, _: &str) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn create_role_with_aws_boundary(&self, _: &Role, _: &str) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn aws_policy_usage(
            &self,
            _: &str,
            _: Option<&str>,
        ) -> Result<Vec<AwsPolicyUsage>, StoreError> {
            unimplemented!()
        }
        async fn list_aws_policy_entities(
            &self,
            _: &str,
            _: &str,
            _: HolderKind,
            _: bool,
            _: &str,
            _: Option<&str>,
            _: usize,
        ) -> Result<Vec<PolicyEntity>, StoreError> {
            unimplemented!()
        }
        async fn create_group(&self, _: &Group, _: usize) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn get_group(&self, _: &str, _: &str) -> Result<Option<Group>, StoreError> {
            unimplemented!()
        }
        async fn list_groups(
            &self,
            _: &str,
            _: &str,
            _: Option<&str>,
            _: usize,
        ) -> Result<Vec<Group>, StoreError> {
            unimplemented!()
        }
        async fn update_group(
            &self,
            _: &str,
            _: &str,
            _: Option<&str>,
            _: Option<&str>,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn delete_group(&self, _: &str, _: &str) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn get_group_members(
            &self,
            _: &str,
            _: &str,
            _: Option<&str>,
            _: usize,
        ) -> Result<Option<(Group, Vec<User>)>, StoreError> {
            unimplemented!()
        }
        async fn add_user_to_group(
            &self,
            _: &str,
            _: &str,
            _: &str,
            _: usize,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn remove_user_from_group(
            &self,
            _: &str,
            _: &str,
            _: &str,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn list_groups_for_user(
            &self,
            _: &str,
            _: &str,
            _: Option<&str>,
            _: usize,
        ) -> Result<Vec<Group>, StoreError> {
            unimplemented!()
        }
        async fn tag_entity(
            &self,
            _: &str,
            _: Tagged<'_>,
            _: &[Tag],
            _: usize,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn untag_entity(
            &self,
            _: &str,
            _: Tagged<'_>,
            _: &[String],
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn list_entity_tags(&self, _: &str, _: Tagged<'_>) -> Result<Vec<Tag>, StoreError> {
            unimplemented!()
        }
        async fn create_oidc_provider(&self, _: &OidcProvider, _: usize) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn get_oidc_provider(
            &self,
            _: &str,
            _: &str,
        ) -> Result<Option<OidcProvider>, StoreError> {
            unimplemented!()
        }
        async fn list_oidc_providers(&self, _: &str) -> Result<Vec<OidcProvider>, StoreError> {
            unimplemented!()
        }
        async fn delete_oidc_provider(&self, _: &str, _: &str) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn change_oidc_provider(
            &self,
            _: &str,
            _: &str,
            _: &OidcProviderChange,
        ) -> Result<OidcProvider, StoreError> {
            unimplemented!()
        }
        async fn create_saml_provider(&self, _: &SamlProvider, _: usize) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn get_saml_provider(
            &self,
            _: &str,
            _: &str,
        ) -> Result<Option<SamlProvider>, StoreError> {
            unimplemented!()
        }
        async fn list_saml_providers(&self, _: &str) -> Result<Vec<SamlProvider>, StoreError> {
            unimplemented!()
        }
        async fn delete_saml_provider(&self, _: &str, _: &str) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn change_saml_provider(
            &self,
            _: &str,
            _: &str,
            _: &SamlProviderChange,
        ) -> Result<SamlProvider, StoreError> {
            unimplemented!()
        }
        async fn create_account_alias(&self, _: &str, _: &str) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn delete_account_alias(&self, _: &str, _: &str) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn list_account_aliases(&self, _: &str) -> Result<Vec<String>, StoreError> {
            unimplemented!()
        }
        async fn delete_service_linked_role(
            &self,
            _: &str,
            _: &str,
            _: &DeletionTask,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn get_deletion_task(
            &self,
            _: &str,
            _: &str,
        ) -> Result<Option<DeletionTask>, StoreError> {
            unimplemented!()
        }
        async fn create_instance_profile(&self, _: &InstanceProfile) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn get_instance_profile(
            &self,
            _: &str,
            _: &str,
        ) -> Result<Option<InstanceProfile>, StoreError> {
            unimplemented!()
        }
        async fn list_instance_profiles(
            &self,
            _: &str,
            _: &str,
            _: Option<&str>,
            _: usize,
        ) -> Result<Vec<InstanceProfile>, StoreError> {
            unimplemented!()
        }
        async fn list_instance_profiles_for_role(
            &self,
            _: &str,
            _: &str,
            _: Option<&str>,
            _: usize,
        ) -> Result<Vec<InstanceProfile>, StoreError> {
            unimplemented!()
        }
        async fn delete_instance_profile(&self, _: &str, _: &str) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn add_role_to_instance_profile(
            &self,
            _: &str,
            _: &str,
            _: &str,
            _: u32,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn remove_role_from_instance_profile(
            &self,
            _: &str,
            _: &str,
            _: &str,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn create_mfa_device(
            &self,
            _: &MfaDevice,
            _: &SealedSecret,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn get_mfa_device(&self, _: &str, _: &str) -> Result<Option<MfaDevice>, StoreError> {
            unimplemented!()
        }
        async fn get_mfa_secret(&self, _: &str, _: &str) -> Result<Option<MfaSecret>, StoreError> {
            unimplemented!()
        }
        async fn enable_mfa_device(
            &self,
            _: &str,
            _: &str,
            _: &str,
            _: i64,
            _: time::OffsetDateTime,
            _: usize,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn use_mfa_step(&self, _: &str, _: &str, _: i64) -> Result<bool, StoreError> {
            unimplemented!()
        }
        async fn deactivate_mfa_device(&self, _: &str, _: &str, _: &str) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn delete_mfa_device(&self, _: &str, _: &str) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn list_user_mfa_devices(
            &self,
            _: &str,
            _: &str,
            _: Option<&str>,
            _: usize,
        ) -> Result<Vec<MfaDevice>, StoreError> {
            unimplemented!()
        }
        async fn list_mfa_devices(
            &self,
            _: &str,
            _: Option<bool>,
            _: Option<&str>,
            _: usize,
        ) -> Result<Vec<MfaDevice>, StoreError> {
            unimplemented!()
        }
        async fn create_service_credential(
            &self,
            _: &ServiceCredential,
            _: usize,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn list_service_credentials(
            &self,
            _: &str,
            _: Option<&str>,
            _: Option<&str>,
        ) -> Result<Vec<ServiceCredential>, StoreError> {
            unimplemented!()
        }
        async fn update_service_credential(
            &self,
            _: &str,
            _: &str,
            _: &str,
            _: KeyStatus,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn reset_service_credential(
            &self,
            _: &str,
            _: &str,
            _: &str,
            _: &SealedSecret,
        ) -> Result<ServiceCredential, StoreError> {
            unimplemented!()
        }
        async fn delete_service_credential(
            &self,
            _: &str,
            _: &str,
            _: &str,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn upload_public_credential(
            &self,
            _: &PublicCredential,
            _: usize,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn list_public_credentials(
            &self,
            _: &str,
            _: Option<&str>,
            _: PublicCredentialKind,
        ) -> Result<Vec<PublicCredential>, StoreError> {
            unimplemented!()
        }
        async fn update_public_credential(
            &self,
            _: &str,
            _: &str,
            _: PublicCredentialKind,
            _: &str,
            _: KeyStatus,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn delete_public_credential(
            &self,
            _: &str,
            _: &str,
            _: PublicCredentialKind,
            _: &str,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn create_server_certificate(
            &self,
            _: &ServerCertificate,
            _: usize,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn get_server_certificate(
            &self,
            _: &str,
            _: &str,
        ) -> Result<Option<ServerCertificate>, StoreError> {
            unimplemented!()
        }
        async fn list_server_certificates(
            &self,
            _: &str,
            _: &str,
        ) -> Result<Vec<ServerCertificate>, StoreError> {
            unimplemented!()
        }
        async fn update_server_certificate(
            &self,
            _: &str,
            _: &str,
            _: Option<&str>,
            _: Option<&str>,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn delete_server_certificate(&self, _: &str, _: &str) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn create_login_profile(
            &self,
            _: &str,
            _: &str,
            _: &LoginProfile,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn get_login_profile(
            &self,
            _: &str,
            _: &str,
        ) -> Result<Option<LoginProfile>, StoreError> {
            unimplemented!()
        }
        async fn update_login_profile(
            &self,
            _: &str,
            _: &str,
            _: Option<&NewPassword>,
            _: Option<bool>,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn delete_login_profile(&self, _: &str, _: &str) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn record_password_use(
            &self,
            _: &str,
            _: time::OffsetDateTime,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn get_password_uses(
            &self,
            _: &[String],
        ) -> Result<Vec<(String, time::OffsetDateTime)>, StoreError> {
            unimplemented!()
        }
        async fn put_password_policy(&self, _: &str, _: &PasswordPolicy) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn get_password_policy(&self, _: &str) -> Result<Option<PasswordPolicy>, StoreError> {
            unimplemented!()
        }
        async fn delete_password_policy(&self, _: &str) -> Result<bool, StoreError> {
            unimplemented!()
        }
        async fn set_global_endpoint_token_version(
            &self,
            _: &str,
            _: u8,
        ) -> Result<(), StoreError> {
            unimplemented!()
        }
        async fn get_global_endpoint_token_version(
            &self,
            _: &str,
        ) -> Result<Option<u8>, StoreError> {
            unimplemented!()
        }
    }

    #[tokio::test]
    async fn hits_invalidation_and_expiry() {
        let inner = Arc::new(Counting {
            reads: Default::default(),
            status: RwLock::new(KeyStatus::Active),
            in_memory: false,
        });
        let cache = CachingStore::new(inner.clone(), Duration::from_millis(200));
        let reads = || inner.reads.load(Ordering::SeqCst);
        for _ in 0..5 {
            assert_eq!(
                cache
                    .get_credential("AKIATEST")
                    .await
                    .unwrap()
                    .unwrap()
                    .key
                    .status,
                KeyStatus::Active
            );
        }
        assert_eq!(reads(), 1, "cached after the first read");
        // Unknown ids are never cached.
        assert!(cache.get_credential("AKIAOTHER").await.unwrap().is_none());
        assert!(cache.get_credential("AKIAOTHER").await.unwrap().is_none());
        assert_eq!(reads(), 3);
        // A write through this node is seen at once.
        cache
            .update_access_key("a", &KeyOwner::Root, "AKIATEST", KeyStatus::Inactive)
            .await
            .unwrap();
        assert_eq!(
            cache
                .get_credential("AKIATEST")
                .await
                .unwrap()
                .unwrap()
                .key
                .status,
            KeyStatus::Inactive
        );
        // A write on "another node" is seen once the entry expires.
        *inner.status.write().unwrap() = KeyStatus::Active;
        assert_eq!(
            cache
                .get_credential("AKIATEST")
                .await
                .unwrap()
                .unwrap()
                .key
                .status,
            KeyStatus::Inactive
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(
            cache
                .get_credential("AKIATEST")
                .await
                .unwrap()
                .unwrap()
                .key
                .status,
            KeyStatus::Active
        );
    }

    #[tokio::test]
    async fn users_a_store_holds_in_memory_are_not_copied() {
        for in_memory in [false, true] {
            let inner = Arc::new(Counting {
                reads: Default::default(),
                status: RwLock::new(KeyStatus::Active),
                in_memory,
            });
            let cache = CachingStore::new(inner.clone(), Duration::from_secs(60));
            for _ in 0..3 {
                let user = cache.get_user("123456789012", "ann").await.unwrap();
                assert_eq!(user.map(|u| u.user_name).as_deref(), Some("ann"));
            }
            let expected = if in_memory { 3 } else { 1 };
            assert_eq!(
                inner.reads.load(Ordering::SeqCst),
                expected,
                "in memory: {in_memory}"
            );
            assert!(cache.users.read().unwrap().len() <= usize::from(!in_memory));
        }
    }

    #[test]
    fn a_sweep_leaves_room_for_half_a_map_of_inserts() {
        let ttl = Duration::from_secs(60);
        let old = Instant::now() - 2 * ttl;
        let full = |expired: usize| -> HashMap<usize, (Instant, ())> {
            (0..MAX_ENTRIES)
                .map(|i| (i, (if i < expired { old } else { Instant::now() }, ())))
                .collect()
        };
        // One entry had expired: sweeping only it would mean sweeping again (a scan of
        // the whole map) after the very next insert, and so on for each insert while
        // callers keep arriving that fast.
        let mut map = full(1);
        make_room(&mut map, ttl, MAX_ENTRIES);
        assert!(map.len() <= MAX_ENTRIES / 2, "{} entries left", map.len());
        // Fresh entries stay when they fit in half the map.
        let mut map = full(MAX_ENTRIES * 3 / 4);
        make_room(&mut map, ttl, MAX_ENTRIES);
        assert_eq!(map.len(), MAX_ENTRIES / 4);
        // Below the limit nothing is swept.
        let mut map = full(10);
        map.remove(&0);
        make_room(&mut map, ttl, MAX_ENTRIES);
        assert_eq!(map.len(), MAX_ENTRIES - 1);
    }
}
