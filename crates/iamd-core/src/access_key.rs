//! Access-key operations: CreateAccessKey, ListAccessKeys, UpdateAccessKey,
//! DeleteAccessKey, GetAccessKeyLastUsed.

use crate::authz::Resource;
use crate::error::{ErrorCode, IamError};
use crate::ids;
use crate::model::{AccessKey, KeyOwner, KeyStatus, KeyUsage, NewAccessKey, ACCESS_KEYS_PER_USER};
use crate::pagination::{self, Listing, SortKey};
use crate::secret::SecretKey;
use crate::service::{store_failure, Iam, RequestContext};
use crate::store::{keys_after, After};
use crate::store_errors::access_key_error;

#[derive(Debug, Clone, Default)]
pub struct ListAccessKeysInput {
    pub user_name: Option<String>,
    pub marker: Option<String>,
    pub max_items: usize,
}

#[derive(Debug, Clone)]
pub struct ListAccessKeysOutput {
    pub keys: Vec<AccessKey>,
    pub marker: Option<String>,
}

/// A new key with its secret: the one response in which AWS shows the secret.
#[derive(Debug, Clone)]
pub struct CreatedAccessKey {
    pub key: AccessKey,
    pub secret: SecretKey,
}

#[derive(Debug, Clone)]
pub struct AccessKeyLastUsedOutput {
    pub user_name: Option<String>,
    pub last_used: Option<KeyUsage>,
}

/// The listing scope of a key owner, for markers.
fn owner_scope(account_id: &str, owner: &KeyOwner) -> String {
    match owner {
        KeyOwner::Root => format!("root:{account_id}"),
        KeyOwner::User { user_id } => user_id.clone(),
    }
}

impl Iam {
    /// The id of an active root key of `account_id`, the oldest first: what the emulator
    /// mode's made-up key ids (`FOOBARKEY`) stand for, so that GetSessionToken and
    /// GetFederationToken, whose sessions are keyed by their parent key's secret, work
    /// for them too.
    pub async fn active_root_key_id(&self, account_id: &str) -> Result<Option<String>, IamError> {
        let keys = self
            .store
            .list_access_keys(
                account_id,
                &KeyOwner::Root,
                &After::Start,
                crate::store::ALL_KEYS,
            )
            .await
            .map_err(store_failure)?;
        Ok(keys
            .into_iter()
            .filter(|k| k.status == KeyStatus::Active)
            .min_by_key(|k| k.create_date)
            .map(|k| k.access_key_id))
    }

    pub async fn create_access_key(
        &self,
        ctx: &RequestContext,
        user_name: Option<&str>,
    ) -> Result<CreatedAccessKey, IamError> {
        let target = self.target(ctx, user_name, ctx.action()).await?;
        let account_id = ctx.principal.account_id().to_owned();
        let secret = ids::secret_access_key();
        let new = NewAccessKey {
            access_key_id: ids::access_key_id(&account_id),
            account_id,
            owner: target.owner(),
            secret: secret.seal(&self.keyring),
            // Milliseconds are kept for ordering; responses show whole seconds.
            create_date: ctx
                .now
                .replace_millisecond(ctx.now.millisecond())
                .unwrap_or(ctx.now),
        };
        match self
            .store
            .create_access_key(&new, ACCESS_KEYS_PER_USER)
            .await
        {
            Ok(key) => Ok(CreatedAccessKey { key, secret }),
            Err(e) => Err(access_key_error(
                e,
                target.user_name().unwrap_or_default(),
                "",
            )),
        }
    }

    pub async fn list_access_keys(
        &self,
        ctx: &RequestContext,
        input: ListAccessKeysInput,
    ) -> Result<ListAccessKeysOutput, IamError> {
        let account = ctx.principal.account_id();
        // Naming a user, the user and all its keys (two at most) are read together.
        let (owner, all) = match input.user_name.as_deref() {
            Some(name) => {
                let found = self
                    .store
                    .get_user_with_keys(account, name)
                    .await
                    .map_err(store_failure)?;
                let (user, keys) = self.named_user(ctx, name, ctx.action(), found).await?;
                (user.owner(), Some(keys))
            }
            None => (self.target(ctx, None, ctx.action()).await?.owner(), None),
        };
        let scope = owner_scope(account, &owner);
        let listing = Listing {
            operation: "ListAccessKeys",
            scope: &scope,
            sorted_by: SortKey::Key,
        };
        let after = match &input.marker {
            Some(m) => pagination::decode(&listing, m)?,
            None => After::Start,
        };
        let limit = input.max_items + 1;
        let mut keys = match all {
            Some(all) => keys_after(all, &after, limit),
            None => self
                .store
                .list_access_keys(account, &owner, &after, limit)
                .await
                .map_err(store_failure)?,
        };
        let marker = if keys.len() > input.max_items {
            keys.truncate(input.max_items);
            keys.last()
                .map(|k| pagination::encode(&listing, &After::key(k)))
        } else {
            None
        };
        Ok(ListAccessKeysOutput { keys, marker })
    }

    pub async fn update_access_key(
        &self,
        ctx: &RequestContext,
        user_name: Option<&str>,
        access_key_id: &str,
        status: KeyStatus,
    ) -> Result<(), IamError> {
        let target = self.target(ctx, user_name, ctx.action()).await?;
        let account = ctx.principal.account_id();
        match self
            .store
            .update_access_key(account, &target.owner(), access_key_id, status)
            .await
        {
            Ok(()) => Ok(()),
            Err(e) => Err(access_key_error(
                e,
                target.user_name().unwrap_or_default(),
                access_key_id,
            )),
        }
    }

    pub async fn delete_access_key(
        &self,
        ctx: &RequestContext,
        user_name: Option<&str>,
        access_key_id: &str,
    ) -> Result<(), IamError> {
        let target = self.target(ctx, user_name, ctx.action()).await?;
        let account = ctx.principal.account_id();
        match self
            .store
            .delete_access_key(account, &target.owner(), access_key_id)
            .await
        {
            Ok(()) => Ok(()),
            Err(e) => Err(access_key_error(
                e,
                target.user_name().unwrap_or_default(),
                access_key_id,
            )),
        }
    }

    /// Looks the key up account-wide. An unknown key (or another account's) is an
    /// AccessDenied, as AWS answers even administrators.
    pub async fn get_access_key_last_used(
        &self,
        ctx: &RequestContext,
        access_key_id: &str,
    ) -> Result<AccessKeyLastUsedOutput, IamError> {
        let denied = || {
            IamError::new(
                ErrorCode::AccessDenied,
                format!(
                    "User: {} is not authorized to perform iam:GetAccessKeyLastUsed on resource: access key {access_key_id}",
                    ctx.principal.arn()
                ),
            )
        };
        let found = self
            .store
            .get_access_key_last_used(access_key_id)
            .await
            .map_err(store_failure)?;
        let Some((key, stored)) = found.filter(|(k, _)| k.account_id == ctx.principal.account_id())
        else {
            return Err(denied());
        };
        let resource = match &key.user_name {
            Some(name) => {
                // The key's owner's ARN; the path is part of the stored user.
                let user = self
                    .store
                    .get_user(&key.account_id, name)
                    .await
                    .map_err(store_failure)?;
                user.as_ref()
                    .map(Resource::user)
                    .unwrap_or_else(|| Self::user_resource(ctx, "/", name))
            }
            None => Resource::arn(ctx.principal.arn()),
        };
        self.authorize(ctx, ctx.action(), &resource).await?;
        let pending = self.usage.pending(access_key_id);
        let last_used = match (stored, pending) {
            (Some(s), Some(p)) => Some(if p.when >= s.when { p } else { s }),
            (s, p) => s.or(p),
        };
        Ok(AccessKeyLastUsedOutput {
            user_name: key.user_name,
            last_used,
        })
    }
}
