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
    MfaSecret, NewAccessKey, NewPassword, PasswordPolicy, PolicyEntity, PolicyHolder,
    PolicyVersion, Role, RoleUsage, ServiceCredential, Tag, Tagged, TaggedKind, User, UserPolicies,
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

/// The value cached for `key`, if it was read less than `ttl` ago.
fn fresh<K: Eq + std::hash::Hash, V: Clone>(
    map: &Entries<K, V>,
    key: &K,
    ttl: Duration,
) -> Option<V> {
    let cached = map.read().unwrap_or_else(|e| e.into_inner());
    cached
        .get(key)
        .filter(|(at, _)| at.elapsed() < ttl)
        .map(|(_, value)| value.clone())
}

pub struct CachingStore {
    inner: Arc<dyn Store>,
    ttl: Duration,
    credentials: Entries<String, Credential>,
    /// Users by (account, lower-cased name).
    users: Entries<(String, String), User>,
    /// Every key of an owner (at most two), in listing order.
    keys: Entries<(String, KeyOwner), Vec<AccessKey>>,
    /// Bumped by every invalidation, so that a read that started before a write cannot
    /// put back what the write made stale.
    generation: AtomicU64,
}

impl CachingStore {
    pub fn new(inner: Arc<dyn Store>, ttl: Duration) -> Self {
        CachingStore {
            inner,
            ttl,
            credentials: RwLock::new(HashMap::new()),
            users: RwLock::new(HashMap::new()),
            keys: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(0),
        }
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
        if let Some(keys) = fresh(&self.keys, &key, self.ttl) {
            return Ok(keys);
        }
        let fetched_at = Instant::now();
        let generation = self.generation.load(Ordering::SeqCst);
        let found = self
            .inner
            .list_access_keys(account_id, owner, &After::Start, ALL_KEYS)
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
    async fn bootstrap_account(
        &self,
        account_id: &str,
        root_key: NewAccessKey,
    ) -> Result<(String, bool), StoreError> {
        self.inner.bootstrap_account(account_id, root_key).await
    }

    async fn get_account(&self, account_id: &str) -> Result<Option<Account>, StoreError> {
        self.inner.get_account(account_id).await
    }

    async fn count_account(&self, account_id: &str) -> Result<AccountCounts, StoreError> {
        self.inner.count_account(account_id).await
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
        self.inner
            .list_policy_entities(
                account_id,
                policy_name,
                kind,
                as_boundary,
                path_prefix,
                after,
                limit,
            )
            .await
    }

    async fn create_user(&self, user: &User) -> Result<(), StoreError> {
        self.inner.create_user(user).await
    }

    async fn get_user(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<Option<User>, StoreError> {
        if self.inner.users_in_memory() {
            return self.inner.get_user(account_id, user_name).await;
        }
        let key = (account_id.to_owned(), user_name.to_lowercase());
        if let Some(user) = fresh(&self.users, &key, self.ttl) {
            return Ok(Some(user));
        }
        let fetched_at = Instant::now();
        let generation = self.generation.load(Ordering::SeqCst);
        let found = self.inner.get_user(account_id, user_name).await?;
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
        self.inner
            .list_users(account_id, path_prefix, after, limit)
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
            .inner
            .update_user(account_id, user_name, new_name, new_path)
            .await;
        self.forget_all();
        result
    }

    async fn delete_user(&self, account_id: &str, user_name: &str) -> Result<(), StoreError> {
        let result = self.inner.delete_user(account_id, user_name).await;
        self.forget_all();
        result
    }

    async fn create_access_key(
        &self,
        key: &NewAccessKey,
        quota: u32,
    ) -> Result<AccessKey, StoreError> {
        let result = self.inner.create_access_key(key, quota).await;
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
            return self.inner.get_user_with_keys(account_id, user_name).await;
        }
        let user_key = (account_id.to_owned(), user_name.to_lowercase());
        let keys_key = |user: &User| (account_id.to_owned(), user.owner());
        if let Some(user) = fresh(&self.users, &user_key, self.ttl) {
            if let Some(keys) = fresh(&self.keys, &keys_key(&user), self.ttl) {
                return Ok(Some((user, keys)));
            }
        }
        let fetched_at = Instant::now();
        let generation = self.generation.load(Ordering::SeqCst);
        let found = self.inner.get_user_with_keys(account_id, user_name).await?;
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
            .inner
            .update_access_key(account_id, owner, access_key_id, status)
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
            .inner
            .delete_access_key(account_id, owner, access_key_id)
            .await;
        self.forget_key(account_id, owner, access_key_id);
        result
    }

    async fn get_credential(&self, access_key_id: &str) -> Result<Option<Credential>, StoreError> {
        {
            let cached = self.credentials.read().unwrap_or_else(|e| e.into_inner());
            if let Some((at, credential)) = cached.get(access_key_id) {
                if at.elapsed() < self.ttl {
                    return Ok(Some(credential.clone()));
                }
            }
        }
        let fetched_at = Instant::now();
        let generation = self.generation.load(Ordering::SeqCst);
        let found = self.inner.get_credential(access_key_id).await?;
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
        self.inner.get_access_key_last_used(access_key_id).await
    }

    async fn record_key_usage(&self, usage: &[KeyUsage]) -> Result<(), StoreError> {
        self.inner.record_key_usage(usage).await
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
        let result = self.inner.reseal_secrets(keyring, which, batch).await;
        self.forget_all();
        result
    }

    async fn create_policy(
        &self,
        policy: &ManagedPolicy,
        document: &str,
    ) -> Result<(), StoreError> {
        self.inner.create_policy(policy, document).await
    }

    async fn get_policy(
        &self,
        account_id: &str,
        policy_name: &str,
    ) -> Result<Option<ManagedPolicy>, StoreError> {
        self.inner.get_policy(account_id, policy_name).await
    }

    async fn list_policies(
        &self,
        account_id: &str,
        path_prefix: &str,
        only_attached: bool,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ManagedPolicy>, StoreError> {
        self.inner
            .list_policies(account_id, path_prefix, only_attached, after, limit)
            .await
    }

    async fn delete_policy(&self, account_id: &str, policy_name: &str) -> Result<(), StoreError> {
        self.inner.delete_policy(account_id, policy_name).await
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
        self.inner
            .create_policy_version(
                account_id,
                policy_name,
                document,
                set_as_default,
                max_versions,
                now,
            )
            .await
    }

    async fn get_policy_version(
        &self,
        account_id: &str,
        policy_name: &str,
        version_id: &str,
    ) -> Result<Option<PolicyVersion>, StoreError> {
        self.inner
            .get_policy_version(account_id, policy_name, version_id)
            .await
    }

    async fn list_policy_versions(
        &self,
        account_id: &str,
        policy_name: &str,
    ) -> Result<Vec<PolicyVersion>, StoreError> {
        self.inner
            .list_policy_versions(account_id, policy_name)
            .await
    }

    async fn set_default_policy_version(
        &self,
        account_id: &str,
        policy_name: &str,
        version_id: &str,
        now: time::OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.inner
            .set_default_policy_version(account_id, policy_name, version_id, now)
            .await
    }

    async fn delete_policy_version(
        &self,
        account_id: &str,
        policy_name: &str,
        version_id: &str,
    ) -> Result<(), StoreError> {
        self.inner
            .delete_policy_version(account_id, policy_name, version_id)
            .await
    }

    async fn create_role(&self, role: &Role) -> Result<(), StoreError> {
        self.inner.create_role(role).await
    }

    async fn get_role(
        &self,
        account_id: &str,
        role_name: &str,
    ) -> Result<Option<Role>, StoreError> {
        self.inner.get_role(account_id, role_name).await
    }

    async fn get_role_by_id(&self, role_id: &str) -> Result<Option<Role>, StoreError> {
        self.inner.get_role_by_id(role_id).await
    }

    async fn list_roles(
        &self,
        account_id: &str,
        path_prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Role>, StoreError> {
        self.inner
            .list_roles(account_id, path_prefix, after, limit)
            .await
    }

    async fn update_role(
        &self,
        account_id: &str,
        role_name: &str,
        description: Option<&str>,
        max_session_duration: Option<u32>,
    ) -> Result<(), StoreError> {
        self.inner
            .update_role(account_id, role_name, description, max_session_duration)
            .await
    }

    async fn update_assume_role_policy(
        &self,
        account_id: &str,
        role_name: &str,
        document: &str,
    ) -> Result<(), StoreError> {
        self.inner
            .update_assume_role_policy(account_id, role_name, document)
            .await
    }

    async fn delete_role(&self, account_id: &str, role_name: &str) -> Result<(), StoreError> {
        self.inner.delete_role(account_id, role_name).await
    }

    async fn record_role_usage(&self, usage: &[RoleUsage]) -> Result<(), StoreError> {
        self.inner.record_role_usage(usage).await
    }

    async fn get_role_last_used(&self, role_id: &str) -> Result<Option<RoleUsage>, StoreError> {
        self.inner.get_role_last_used(role_id).await
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
        self.inner
            .put_inline_policy(account_id, holder, policy_name, document, size, max_total)
            .await
    }

    async fn get_inline_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        policy_name: &str,
    ) -> Result<Option<String>, StoreError> {
        self.inner
            .get_inline_policy(account_id, holder, policy_name)
            .await
    }

    async fn list_inline_policies(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        self.inner
            .list_inline_policies(account_id, holder, after, limit)
            .await
    }

    async fn delete_inline_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        policy_name: &str,
    ) -> Result<(), StoreError> {
        self.inner
            .delete_inline_policy(account_id, holder, policy_name)
            .await
    }

    async fn create_user_with_boundary(
        &self,
        user: &User,
        boundary: &str,
    ) -> Result<(), StoreError> {
        self.inner.create_user_with_boundary(user, boundary).await
    }

    async fn create_role_with_boundary(
        &self,
        role: &Role,
        boundary: &str,
    ) -> Result<(), StoreError> {
        self.inner.create_role_with_boundary(role, boundary).await
    }

    // Boundaries are not among what this cache keeps (users' rows here carry none), so
    // their changes pass through.
    async fn put_permissions_boundary(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        policy_name: &str,
    ) -> Result<(), StoreError> {
        self.inner
            .put_permissions_boundary(account_id, holder, policy_name)
            .await
    }

    async fn delete_permissions_boundary(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
    ) -> Result<(), StoreError> {
        self.inner
            .delete_permissions_boundary(account_id, holder)
            .await
    }

    async fn get_permissions_boundary(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
    ) -> Result<Option<String>, StoreError> {
        self.inner
            .get_permissions_boundary(account_id, holder)
            .await
    }

    async fn attach_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        policy_name: &str,
        max_attached: usize,
    ) -> Result<(), StoreError> {
        self.inner
            .attach_policy(account_id, holder, policy_name, max_attached)
            .await
    }

    async fn detach_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        policy_name: &str,
    ) -> Result<(), StoreError> {
        self.inner
            .detach_policy(account_id, holder, policy_name)
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
        self.inner
            .list_attached_policies(account_id, holder, path_prefix, after, limit)
            .await
    }

    async fn get_holder_policies(
        &self,
        kind: HolderKind,
        holder_id: &str,
    ) -> Result<UserPolicies, StoreError> {
        self.inner.get_holder_policies(kind, holder_id).await
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
        self.inner
            .attach_aws_policy(account_id, holder, arn, max_attached)
            .await
    }

    async fn detach_aws_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        arn: &str,
    ) -> Result<(), StoreError> {
        self.inner.detach_aws_policy(account_id, holder, arn).await
    }

    async fn list_aws_attached_policies(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
    ) -> Result<Vec<String>, StoreError> {
        self.inner
            .list_aws_attached_policies(account_id, holder)
            .await
    }

    async fn put_aws_permissions_boundary(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        arn: &str,
    ) -> Result<(), StoreError> {
        self.inner
            .put_aws_permissions_boundary(account_id, holder, arn)
            .await
    }

    async fn create_user_with_aws_boundary(
        &self,
        user: &User,
        arn: &str,
    ) -> Result<(), StoreError> {
        self.inner.create_user_with_aws_boundary(user, arn).await
    }

    async fn create_role_with_aws_boundary(
        &self,
        role: &Role,
        arn: &str,
    ) -> Result<(), StoreError> {
        self.inner.create_role_with_aws_boundary(role, arn).await
    }

    async fn aws_policy_usage(
        &self,
        account_id: &str,
        arn: Option<&str>,
    ) -> Result<Vec<AwsPolicyUsage>, StoreError> {
        self.inner.aws_policy_usage(account_id, arn).await
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
        self.inner
            .list_aws_policy_entities(
                account_id,
                arn,
                kind,
                as_boundary,
                path_prefix,
                after,
                limit,
            )
            .await
    }

    // Groups hold nothing this cache keeps (credentials, users, keys): their operations
    // pass through.

    async fn get_user_group_policies(
        &self,
        user_id: &str,
    ) -> Result<Vec<(String, UserPolicies)>, StoreError> {
        self.inner.get_user_group_policies(user_id).await
    }

    async fn create_group(&self, group: &Group, max_groups: usize) -> Result<(), StoreError> {
        self.inner.create_group(group, max_groups).await
    }

    async fn get_group(
        &self,
        account_id: &str,
        group_name: &str,
    ) -> Result<Option<Group>, StoreError> {
        self.inner.get_group(account_id, group_name).await
    }

    async fn list_groups(
        &self,
        account_id: &str,
        path_prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Group>, StoreError> {
        self.inner
            .list_groups(account_id, path_prefix, after, limit)
            .await
    }

    async fn update_group(
        &self,
        account_id: &str,
        group_name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<(), StoreError> {
        self.inner
            .update_group(account_id, group_name, new_name, new_path)
            .await
    }

    async fn delete_group(&self, account_id: &str, group_name: &str) -> Result<(), StoreError> {
        self.inner.delete_group(account_id, group_name).await
    }

    async fn get_group_members(
        &self,
        account_id: &str,
        group_name: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Option<(Group, Vec<User>)>, StoreError> {
        self.inner
            .get_group_members(account_id, group_name, after, limit)
            .await
    }

    async fn add_user_to_group(
        &self,
        account_id: &str,
        group_name: &str,
        user_name: &str,
        max_groups_per_user: usize,
    ) -> Result<(), StoreError> {
        self.inner
            .add_user_to_group(account_id, group_name, user_name, max_groups_per_user)
            .await
    }

    async fn remove_user_from_group(
        &self,
        account_id: &str,
        group_name: &str,
        user_name: &str,
    ) -> Result<(), StoreError> {
        self.inner
            .remove_user_from_group(account_id, group_name, user_name)
            .await
    }

    async fn list_groups_for_user(
        &self,
        account_id: &str,
        user_name: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Group>, StoreError> {
        self.inner
            .list_groups_for_user(account_id, user_name, after, limit)
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
            .inner
            .tag_entity(account_id, entity, tags, max_tags)
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
        let result = self.inner.untag_entity(account_id, entity, keys).await;
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
        self.inner.list_entity_tags(account_id, entity).await
    }

    // Instance profiles are not cached: every call goes to the store.

    async fn create_instance_profile(&self, profile: &InstanceProfile) -> Result<(), StoreError> {
        self.inner.create_instance_profile(profile).await
    }

    async fn get_instance_profile(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<Option<InstanceProfile>, StoreError> {
        self.inner.get_instance_profile(account_id, name).await
    }

    async fn list_instance_profiles(
        &self,
        account_id: &str,
        path_prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<InstanceProfile>, StoreError> {
        self.inner
            .list_instance_profiles(account_id, path_prefix, after, limit)
            .await
    }

    async fn list_instance_profiles_for_role(
        &self,
        account_id: &str,
        role_name: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<InstanceProfile>, StoreError> {
        self.inner
            .list_instance_profiles_for_role(account_id, role_name, after, limit)
            .await
    }

    async fn delete_instance_profile(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<(), StoreError> {
        self.inner.delete_instance_profile(account_id, name).await
    }

    async fn add_role_to_instance_profile(
        &self,
        account_id: &str,
        name: &str,
        role_name: &str,
        max_roles: u32,
    ) -> Result<(), StoreError> {
        self.inner
            .add_role_to_instance_profile(account_id, name, role_name, max_roles)
            .await
    }

    async fn remove_role_from_instance_profile(
        &self,
        account_id: &str,
        name: &str,
        role_name: &str,
    ) -> Result<(), StoreError> {
        self.inner
            .remove_role_from_instance_profile(account_id, name, role_name)
            .await
    }

    // Account aliases and service-linked roles' deletion tasks are not cached. Deleting a
    // role touches nothing this front keeps (roles are not cached).

    async fn create_account_alias(&self, account_id: &str, alias: &str) -> Result<(), StoreError> {
        self.inner.create_account_alias(account_id, alias).await
    }

    async fn delete_account_alias(&self, account_id: &str, alias: &str) -> Result<(), StoreError> {
        self.inner.delete_account_alias(account_id, alias).await
    }

    async fn list_account_aliases(&self, account_id: &str) -> Result<Vec<String>, StoreError> {
        self.inner.list_account_aliases(account_id).await
    }

    async fn delete_service_linked_role(
        &self,
        account_id: &str,
        role_name: &str,
        task: &DeletionTask,
    ) -> Result<(), StoreError> {
        self.inner
            .delete_service_linked_role(account_id, role_name, task)
            .await
    }

    async fn get_deletion_task(
        &self,
        account_id: &str,
        deletion_task_id: &str,
    ) -> Result<Option<DeletionTask>, StoreError> {
        self.inner
            .get_deletion_task(account_id, deletion_task_id)
            .await
    }

    // MFA devices are not cached: every call goes to the store (a code's single use is
    // decided there).

    async fn create_mfa_device(
        &self,
        device: &MfaDevice,
        seed: &SealedSecret,
    ) -> Result<(), StoreError> {
        self.inner.create_mfa_device(device, seed).await
    }

    async fn get_mfa_device(
        &self,
        account_id: &str,
        serial_number: &str,
    ) -> Result<Option<MfaDevice>, StoreError> {
        self.inner.get_mfa_device(account_id, serial_number).await
    }

    async fn get_mfa_secret(
        &self,
        account_id: &str,
        serial_number: &str,
    ) -> Result<Option<MfaSecret>, StoreError> {
        self.inner.get_mfa_secret(account_id, serial_number).await
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
        self.inner
            .enable_mfa_device(
                account_id,
                user_name,
                serial_number,
                step,
                now,
                max_per_user,
            )
            .await
    }

    async fn use_mfa_step(
        &self,
        account_id: &str,
        serial_number: &str,
        step: i64,
    ) -> Result<bool, StoreError> {
        self.inner
            .use_mfa_step(account_id, serial_number, step)
            .await
    }

    async fn deactivate_mfa_device(
        &self,
        account_id: &str,
        user_name: &str,
        serial_number: &str,
    ) -> Result<(), StoreError> {
        self.inner
            .deactivate_mfa_device(account_id, user_name, serial_number)
            .await
    }

    async fn delete_mfa_device(
        &self,
        account_id: &str,
        serial_number: &str,
    ) -> Result<(), StoreError> {
        self.inner
            .delete_mfa_device(account_id, serial_number)
            .await
    }

    async fn list_user_mfa_devices(
        &self,
        account_id: &str,
        user_name: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<MfaDevice>, StoreError> {
        self.inner
            .list_user_mfa_devices(account_id, user_name, after, limit)
            .await
    }

    async fn list_mfa_devices(
        &self,
        account_id: &str,
        assigned: Option<bool>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<MfaDevice>, StoreError> {
        self.inner
            .list_mfa_devices(account_id, assigned, after, limit)
            .await
    }

    // Service-specific credentials are not cached (they sign nothing iamd checks).

    async fn create_service_credential(
        &self,
        credential: &ServiceCredential,
        max_per_service: usize,
    ) -> Result<(), StoreError> {
        self.inner
            .create_service_credential(credential, max_per_service)
            .await
    }

    async fn list_service_credentials(
        &self,
        account_id: &str,
        user_name: Option<&str>,
        service_name: Option<&str>,
    ) -> Result<Vec<ServiceCredential>, StoreError> {
        self.inner
            .list_service_credentials(account_id, user_name, service_name)
            .await
    }

    async fn update_service_credential(
        &self,
        account_id: &str,
        user_name: &str,
        credential_id: &str,
        status: KeyStatus,
    ) -> Result<(), StoreError> {
        self.inner
            .update_service_credential(account_id, user_name, credential_id, status)
            .await
    }

    async fn reset_service_credential(
        &self,
        account_id: &str,
        user_name: &str,
        credential_id: &str,
        password: &SealedSecret,
    ) -> Result<ServiceCredential, StoreError> {
        self.inner
            .reset_service_credential(account_id, user_name, credential_id, password)
            .await
    }

    async fn delete_service_credential(
        &self,
        account_id: &str,
        user_name: &str,
        credential_id: &str,
    ) -> Result<(), StoreError> {
        self.inner
            .delete_service_credential(account_id, user_name, credential_id)
            .await
    }

    // Login profiles and password policies touch nothing this cache keeps.

    async fn create_login_profile(
        &self,
        account_id: &str,
        user_name: &str,
        profile: &LoginProfile,
    ) -> Result<(), StoreError> {
        self.inner
            .create_login_profile(account_id, user_name, profile)
            .await
    }

    async fn get_login_profile(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<Option<LoginProfile>, StoreError> {
        self.inner.get_login_profile(account_id, user_name).await
    }

    async fn update_login_profile(
        &self,
        account_id: &str,
        user_name: &str,
        password: Option<&NewPassword>,
        password_reset_required: Option<bool>,
    ) -> Result<(), StoreError> {
        self.inner
            .update_login_profile(account_id, user_name, password, password_reset_required)
            .await
    }

    async fn delete_login_profile(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<(), StoreError> {
        self.inner.delete_login_profile(account_id, user_name).await
    }

    async fn record_password_use(
        &self,
        user_id: &str,
        when: time::OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.inner.record_password_use(user_id, when).await
    }

    async fn get_password_uses(
        &self,
        user_ids: &[String],
    ) -> Result<Vec<(String, time::OffsetDateTime)>, StoreError> {
        self.inner.get_password_uses(user_ids).await
    }

    async fn put_password_policy(
        &self,
        account_id: &str,
        policy: &PasswordPolicy,
    ) -> Result<(), StoreError> {
        self.inner.put_password_policy(account_id, policy).await
    }

    async fn get_password_policy(
        &self,
        account_id: &str,
    ) -> Result<Option<PasswordPolicy>, StoreError> {
        self.inner.get_password_policy(account_id).await
    }

    async fn delete_password_policy(&self, account_id: &str) -> Result<bool, StoreError> {
        self.inner.delete_password_policy(account_id).await
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
        async fn bootstrap_account(
            &self,
            _: &str,
            _: NewAccessKey,
        ) -> Result<(String, bool), StoreError> {
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
