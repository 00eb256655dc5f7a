//! The storage contract. Each method is one domain operation and one transaction: the
//! invariants (unique names per account ignoring case, at most two keys per owner, no key
//! outliving its user) hold inside it, whatever runs concurrently.

use async_trait::async_trait;

use crate::model::{
    AccessKey, Account, Credential, KeyOwner, KeyStatus, KeyUsage, NewAccessKey, User,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no such user")]
    NoSuchUser,
    #[error("no such access key")]
    NoSuchAccessKey,
    #[error("an entity with that name already exists")]
    AlreadyExists,
    #[error("access key quota exceeded")]
    KeyQuotaExceeded,
    #[error("user still has access keys")]
    UserHasAccessKeys,
    /// The backend failed (I/O, connection, corruption). Retryable from the client's view.
    #[error("storage backend failure: {0}")]
    Backend(String),
}

/// One position in a keyset-paginated listing: list items strictly after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum After {
    Start,
    /// Users sort by lower-cased name.
    UserName(String),
    /// Keys sort by (create time in unix milliseconds, key id).
    Key {
        created: i64,
        access_key_id: String,
    },
}

impl After {
    /// The position just after `key` in its owner's listing.
    pub fn key(key: &AccessKey) -> After {
        After::Key {
            created: key_sort_time(key.create_date),
            access_key_id: key.access_key_id.clone(),
        }
    }
}

/// A key's creation time as it sorts: unix milliseconds.
pub fn key_sort_time(t: time::OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Creates the account and its root key if the store holds no account yet. Returns the
    /// account that exists afterwards and whether this call created it.
    async fn bootstrap_account(
        &self,
        account_id: &str,
        root_key: NewAccessKey,
    ) -> Result<(String, bool), StoreError>;

    async fn get_account(&self, account_id: &str) -> Result<Option<Account>, StoreError>;

    async fn create_user(&self, user: &User) -> Result<(), StoreError>;
    /// Case-insensitive lookup; the stored casing is returned.
    async fn get_user(&self, account_id: &str, user_name: &str)
        -> Result<Option<User>, StoreError>;
    /// Users whose path starts with `path_prefix`, in name order, after `after`, at most `limit`.
    /// Tags are not filled in (listings return a subset of attributes).
    async fn list_users(
        &self,
        account_id: &str,
        path_prefix: &str,
        after: &After,
        limit: usize,
    ) -> Result<Vec<User>, StoreError>;
    /// Renames and/or moves a user; its keys follow (they reference the user id).
    async fn update_user(
        &self,
        account_id: &str,
        user_name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<(), StoreError>;
    /// Deletes a user that has no access keys left.
    async fn delete_user(&self, account_id: &str, user_name: &str) -> Result<(), StoreError>;

    /// Stores a key if its owner still exists and has fewer than `quota` keys.
    async fn create_access_key(
        &self,
        key: &NewAccessKey,
        quota: u32,
    ) -> Result<AccessKey, StoreError>;
    async fn list_access_keys(
        &self,
        account_id: &str,
        owner: &KeyOwner,
        after: &After,
        limit: usize,
    ) -> Result<Vec<AccessKey>, StoreError>;
    /// Changes the status of `owner`'s key; `NoSuchAccessKey` if the key is not theirs.
    async fn update_access_key(
        &self,
        account_id: &str,
        owner: &KeyOwner,
        access_key_id: &str,
        status: KeyStatus,
    ) -> Result<(), StoreError>;
    async fn delete_access_key(
        &self,
        account_id: &str,
        owner: &KeyOwner,
        access_key_id: &str,
    ) -> Result<(), StoreError>;

    /// Everything authentication needs about a key id, in one read.
    async fn get_credential(&self, access_key_id: &str) -> Result<Option<Credential>, StoreError>;
    /// The key's metadata and its last recorded use.
    async fn get_access_key_last_used(
        &self,
        access_key_id: &str,
    ) -> Result<Option<(AccessKey, Option<KeyUsage>)>, StoreError>;
    /// Records a batch of key uses; a use older than the stored one is ignored.
    async fn record_key_usage(&self, usage: &[KeyUsage]) -> Result<(), StoreError>;
}
