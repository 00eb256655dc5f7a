//! The storage contract. Each method is one domain operation and one transaction: the
//! invariants (unique names per account ignoring case, at most two keys per owner, no key
//! outliving its user) hold inside it, whatever runs concurrently.

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

/// Which stored secrets `Store::reseal_secrets` re-seals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reseal {
    /// The legacy clear-text ones (`plain:`).
    Plain,
    /// Every one not sealed under the keyring's current key.
    NotCurrent,
}

impl Reseal {
    /// The stored prefix that selects the rows to re-seal, and whether they have it
    /// (`true`) or lack it (`false`).
    pub fn filter(self, keyring: &Keyring) -> (String, bool) {
        match self {
            Reseal::Plain => ("plain:".to_owned(), true),
            Reseal::NotCurrent => (
                format!("{}{}:", SealedSecret::AES256GCM, keyring.current_id()),
                false,
            ),
        }
    }

    /// The new form of one selected row's secret; `what` names the row in errors.
    pub fn reseal(
        sealed: &SealedSecret,
        keyring: &Keyring,
        what: &str,
    ) -> Result<Option<SealedSecret>, StoreError> {
        sealed
            .reseal(keyring)
            .map_err(|e| StoreError::Backend(format!("cannot re-seal the secret of {what}: {e}")))
    }
}

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
    #[error("user still has inline policies")]
    UserHasInlinePolicies,
    #[error("user still has attached policies")]
    UserHasAttachedPolicies,
    #[error("no such policy")]
    NoSuchPolicy,
    #[error("no such role")]
    NoSuchRole,
    #[error("role still has inline policies")]
    RoleHasInlinePolicies,
    #[error("role still has attached policies")]
    RoleHasAttachedPolicies,
    #[error("no such group")]
    NoSuchGroup,
    #[error("the account already has the maximum number of groups")]
    GroupQuotaExceeded,
    #[error("the user is already in the maximum number of groups")]
    GroupsPerUserExceeded,
    #[error("the user is not in the group")]
    NotInGroup,
    #[error("user is still in groups")]
    UserInGroups,
    #[error("group still has members")]
    GroupHasMembers,
    #[error("group still has inline policies")]
    GroupHasInlinePolicies,
    #[error("group still has attached policies")]
    GroupHasAttachedPolicies,
    #[error("the holder already has the maximum number of attached policies")]
    AttachmentQuotaExceeded,
    #[error("no such policy version")]
    NoSuchPolicyVersion,
    #[error("the policy is not attached to that entity")]
    PolicyNotAttached,
    #[error("the aggregate size of the entity's inline policies would exceed its quota")]
    PolicySizeExceeded,
    #[error("the policy already has the maximum number of versions")]
    PolicyVersionsExceeded,
    #[error("the policy is still attached")]
    PolicyAttached,
    #[error("the policy is some user's or role's permissions boundary")]
    PolicyInUseAsBoundary,
    #[error("the policy still has non-default versions")]
    PolicyHasVersions,
    #[error("the default version of a policy cannot be deleted")]
    DefaultPolicyVersion,
    #[error("no such instance profile")]
    NoSuchInstanceProfile,
    #[error("the instance profile still has roles")]
    InstanceProfileHasRoles,
    #[error("the role is still in an instance profile")]
    RoleInInstanceProfile,
    #[error("the instance profile already has the maximum number of roles")]
    InstanceProfileRolesExceeded,
    #[error("the role is not in that instance profile")]
    RoleNotInInstanceProfile,
    #[error("no such MFA device")]
    NoSuchMfaDevice,
    #[error("the MFA device is enabled for a user")]
    MfaDeviceInUse,
    #[error("the user already has the maximum number of MFA devices")]
    MfaDeviceQuotaExceeded,
    #[error("user still has MFA devices")]
    UserHasMfaDevices,
    #[error("no such service-specific credential")]
    NoSuchServiceCredential,
    #[error("the user already has the maximum number of credentials for that service")]
    ServiceCredentialQuotaExceeded,
    #[error("user still has service-specific credentials")]
    UserHasServiceCredentials,
    #[error("no such SSH public key or signing certificate")]
    NoSuchPublicCredential,
    #[error("the user already has the maximum number of that kind of public credential")]
    PublicCredentialQuotaExceeded,
    #[error("the same key or certificate is already stored")]
    DuplicatePublicCredential,
    #[error("user still has SSH public keys or signing certificates")]
    UserHasPublicCredentials(PublicCredentialKind),
    #[error("no such server certificate")]
    NoSuchServerCertificate,
    #[error("the account already has the maximum number of server certificates")]
    ServerCertificateQuotaExceeded,
    #[error("the entity would have more tags than its quota")]
    TagQuotaExceeded,
    #[error("no such OpenID Connect provider")]
    NoSuchOidcProvider,
    #[error("the account already has the maximum number of OpenID Connect providers")]
    OidcProviderQuotaExceeded,
    #[error("the OpenID Connect provider already has the maximum number of client ids")]
    OidcClientIdQuotaExceeded,
    #[error("no such SAML provider")]
    NoSuchSamlProvider,
    #[error("the account already has the maximum number of SAML providers")]
    SamlProviderQuotaExceeded,
    #[error("the account has no such alias")]
    NoSuchAccountAlias,
    #[error("no such login profile")]
    NoSuchLoginProfile,
    #[error("user still has a login profile")]
    UserHasLoginProfile,
    /// The backend failed (I/O, connection, corruption). Retryable from the client's view.
    #[error("storage backend failure: {0}")]
    Backend(String),
}

impl HolderKind {
    /// The error for a holder of this kind that does not exist.
    pub fn missing(self) -> StoreError {
        match self {
            HolderKind::User => StoreError::NoSuchUser,
            HolderKind::Role => StoreError::NoSuchRole,
            HolderKind::Group => StoreError::NoSuchGroup,
        }
    }
}

impl TaggedKind {
    /// The error for an entity of this kind that does not exist.
    pub fn missing(self) -> StoreError {
        match self {
            TaggedKind::User => StoreError::NoSuchUser,
            TaggedKind::Role => StoreError::NoSuchRole,
            TaggedKind::Policy => StoreError::NoSuchPolicy,
            TaggedKind::InstanceProfile => StoreError::NoSuchInstanceProfile,
            TaggedKind::MfaDevice => StoreError::NoSuchMfaDevice,
            TaggedKind::ServerCertificate => StoreError::NoSuchServerCertificate,
        }
    }
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

/// More than any owner can have (the quota is two): a listing this long holds all of them.
pub const ALL_KEYS: usize = 1_000;

/// The page of an owner's keys (`all`, in listing order) that starts after `after`, at most
/// `limit` long.
pub fn keys_after(all: Vec<AccessKey>, after: &After, limit: usize) -> Vec<AccessKey> {
    let after_position = |k: &AccessKey| match after {
        After::Start => true,
        After::Key {
            created,
            access_key_id,
        } => {
            (key_sort_time(k.create_date), k.access_key_id.as_str())
                > (*created, access_key_id.as_str())
        }
        // A position from another listing: nothing comes after it here.
        After::UserName(_) => false,
    };
    all.into_iter().filter(after_position).take(limit).collect()
}

/// A key's creation time as it sorts: unix milliseconds.
pub fn key_sort_time(t: time::OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// The tables `Store::reset` empties, children before the tables they reference (the
/// same names on both backends). Every other table is listed in `RESET_KEEPS`; a test on
/// each backend checks that the two lists name every table of the schema, so that a
/// migration adding a table must say whether reset empties it.
pub const RESET_TABLES: &[&str] = &[
    "saml_providers",
    "oidc_providers",
    "server_certificate_tags",
    "server_certificates",
    "public_credentials",
    "service_credentials",
    "mfa_device_tags",
    "mfa_devices",
    "password_uses",
    "login_profiles",
    "password_policies",
    "sts_preferences",
    "account_aliases",
    "role_deletion_tasks",
    "instance_profile_roles",
    "instance_profile_tags",
    "instance_profiles",
    "group_aws_policy_attachments",
    "group_policy_attachments",
    "group_policies",
    "group_members",
    "groups",
    "role_aws_policy_attachments",
    "role_policy_attachments",
    "role_policies",
    "role_tags",
    "roles",
    "user_aws_policy_attachments",
    "user_policy_attachments",
    "user_policies",
    "user_tags",
    // `access_keys` (users' keys only) is emptied here, before `users`.
    "users",
    "policy_tags",
    "policy_versions",
    "managed_policies",
];

/// The tables `Store::reset` keeps: the accounts, and of `access_keys` the root keys (the
/// rows without a user); the backends' own bookkeeping is not in the list they check.
pub const RESET_KEEPS: &[&str] = &["accounts", "access_keys"];

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Deletes every IAM entity of every account (users and their keys, groups, roles,
    /// policies, instance profiles, aliases, password policies, login profiles, MFA
    /// devices, service-specific credentials, SSH keys, signing and server certificates,
    /// OIDC providers) in one transaction, keeping the accounts and
    /// their root keys: `iamd serve --mode emulator`'s reset.
    async fn reset(&self) -> Result<(), StoreError>;

    /// Creates the account and its root key if the store holds no account yet. Returns the
    /// account that exists afterwards and whether this call created it.
    async fn bootstrap_account(
        &self,
        account_id: &str,
        root_key: NewAccessKey,
    ) -> Result<(String, bool), StoreError>;

    async fn get_account(&self, account_id: &str) -> Result<Option<Account>, StoreError>;
    /// The account `bootstrap_account` created (the one a store serves), if there is one
    /// yet; for tools that work on a store without serving it (`iamd admin`).
    async fn served_account(&self) -> Result<Option<Account>, StoreError>;
    /// The account's entities, counted in one snapshot.
    async fn count_account(&self, account_id: &str) -> Result<AccountCounts, StoreError>;

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
    /// Deletes a user that has no login profile, access keys, attached policies or inline
    /// policies left and is in no group and has no MFA device, no service-specific
    /// credential, no signing certificate and no SSH public key (checked in that order:
    /// `UserHasLoginProfile`, `UserHasAccessKeys`, `UserHasAttachedPolicies`,
    /// `UserHasInlinePolicies`, `UserInGroups`, `UserHasMfaDevices`,
    /// `UserHasServiceCredentials`, `UserHasPublicCredentials`).
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
    /// A user (found ignoring case, as `get_user`) with all of its keys in listing order:
    /// what ListAccessKeys naming a user reads. Backends that can answer it in one read
    /// (one snapshot, one round trip) do; this default makes the two reads.
    async fn get_user_with_keys(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<Option<(User, Vec<AccessKey>)>, StoreError> {
        let Some(user) = self.get_user(account_id, user_name).await? else {
            return Ok(None);
        };
        let keys = self
            .list_access_keys(account_id, &user.owner(), &After::Start, ALL_KEYS)
            .await?;
        Ok(Some((user, keys)))
    }
    /// Whether `get_user` and `get_user_with_keys` are answered from memory and exactly
    /// (this process makes every write, as with SQLite's user directory): a cache in front
    /// of them would only copy them.
    fn users_in_memory(&self) -> bool {
        false
    }
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

    /// Re-seals stored secrets (access keys' secrets, roles' session secrets, MFA seeds) under the
    /// keyring's current master key: the legacy `plain:` ones (`Reseal::Plain`, at every
    /// start), or every one not sealed under that key (`Reseal::NotCurrent`, `iamd rekey`).
    /// Works in batches of at most `batch` rows, each batch one transaction; a row whose
    /// secret changed since it was read is left as it is. Returns how many secrets were
    /// re-sealed. A secret that does not open (its key is not in the ring, or it was
    /// altered) stops the work with `Backend`, naming the row.
    async fn reseal_secrets(
        &self,
        keyring: &Keyring,
        which: Reseal,
        batch: usize,
    ) -> Result<u64, StoreError>;

    // Managed policies, named by their (account-unique, case-insensitive) name.

    /// Creates the policy (with its tags) with `document` as its default version `v1`.
    /// `AlreadyExists`.
    async fn create_policy(&self, policy: &ManagedPolicy, document: &str)
        -> Result<(), StoreError>;
    /// Case-insensitive lookup by name, with its tags.
    async fn get_policy(
        &self,
        account_id: &str,
        policy_name: &str,
    ) -> Result<Option<ManagedPolicy>, StoreError>;
    /// Policies whose path starts with `path_prefix` (only those attached to something when
    /// `only_attached`), in lower-cased-name order after `after` (a lower-cased name).
    async fn list_policies(
        &self,
        account_id: &str,
        path_prefix: &str,
        only_attached: bool,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ManagedPolicy>, StoreError>;
    /// `NoSuchPolicy`; `PolicyAttached` while attached; `PolicyInUseAsBoundary` while it is
    /// a user's or role's permissions boundary; `PolicyHasVersions` while it has versions
    /// besides the default one.
    async fn delete_policy(&self, account_id: &str, policy_name: &str) -> Result<(), StoreError>;
    /// Adds version `v{n+1}` (n = the highest version id the policy ever had), making it the
    /// default when asked (and updating the policy's update date to `now`).
    /// `NoSuchPolicy`; `PolicyVersionsExceeded` when it already has `max_versions`.
    async fn create_policy_version(
        &self,
        account_id: &str,
        policy_name: &str,
        document: &str,
        set_as_default: bool,
        max_versions: u32,
        now: time::OffsetDateTime,
    ) -> Result<PolicyVersion, StoreError>;
    /// `Err(NoSuchPolicy)`; `Ok(None)` for an unknown version.
    async fn get_policy_version(
        &self,
        account_id: &str,
        policy_name: &str,
        version_id: &str,
    ) -> Result<Option<PolicyVersion>, StoreError>;
    /// All versions, newest first. `NoSuchPolicy`.
    async fn list_policy_versions(
        &self,
        account_id: &str,
        policy_name: &str,
    ) -> Result<Vec<PolicyVersion>, StoreError>;
    /// `NoSuchPolicy`, `NoSuchPolicyVersion`. Setting the current default again is fine.
    async fn set_default_policy_version(
        &self,
        account_id: &str,
        policy_name: &str,
        version_id: &str,
        now: time::OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// `NoSuchPolicy`, `NoSuchPolicyVersion`, `DefaultPolicyVersion`.
    async fn delete_policy_version(
        &self,
        account_id: &str,
        policy_name: &str,
        version_id: &str,
    ) -> Result<(), StoreError>;

    // Roles. Names are unique per account ignoring case, like users'.

    /// `AlreadyExists` on a case-insensitive name clash. Tags are stored in order.
    async fn create_role(&self, role: &Role) -> Result<(), StoreError>;
    /// Case-insensitive lookup by name, with tags.
    async fn get_role(&self, account_id: &str, role_name: &str)
        -> Result<Option<Role>, StoreError>;
    /// Lookup by role id (for verifying role sessions); tags are filled in too.
    async fn get_role_by_id(&self, role_id: &str) -> Result<Option<Role>, StoreError>;
    /// Roles whose path starts with `path_prefix`, in lower-cased-name order after `after`
    /// (a lower-cased name), at most `limit`. Tags are not filled in.
    async fn list_roles(
        &self,
        account_id: &str,
        path_prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Role>, StoreError>;
    /// Sets the description and/or maximum session duration (each only when given). `NoSuchRole`.
    async fn update_role(
        &self,
        account_id: &str,
        role_name: &str,
        description: Option<&str>,
        max_session_duration: Option<u32>,
    ) -> Result<(), StoreError>;
    /// Replaces the trust policy. `NoSuchRole`.
    async fn update_assume_role_policy(
        &self,
        account_id: &str,
        role_name: &str,
        document: &str,
    ) -> Result<(), StoreError>;
    /// `NoSuchRole`; `RoleInInstanceProfile`, `RoleHasAttachedPolicies`, then
    /// `RoleHasInlinePolicies` (checked in that order, in the same transaction). Its tags go
    /// with it.
    async fn delete_role(&self, account_id: &str, role_name: &str) -> Result<(), StoreError>;
    /// Records role uses as `record_key_usage` records key uses: a role keeps its newest
    /// use (an older one never replaces it); a role deleted meanwhile is skipped.
    async fn record_role_usage(&self, usage: &[RoleUsage]) -> Result<(), StoreError>;
    /// The newest recorded use of the role with id `role_id`; `None` for a role never used
    /// or not found.
    async fn get_role_last_used(&self, role_id: &str) -> Result<Option<RoleUsage>, StoreError>;

    // Inline policies and managed-policy attachments, of any holder (a user or a role: see
    // `HolderKind`). The holder is found ignoring case; a missing one is `NoSuchUser` or
    // `NoSuchRole` (`HolderKind::missing`). Inline policy names are matched exactly;
    // documents are stored as given. Attachments count in the policy's `attachment_count`
    // (kept exact, and blocking `delete_policy`) whoever holds them.

    /// Adds or replaces the holder's inline policy. `size` is the document's size as AWS
    /// counts it; the sum over the holder's inline policies (the replaced one not counted)
    /// must stay within `max_total`, else `PolicySizeExceeded`.
    async fn put_inline_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        policy_name: &str,
        document: &str,
        size: usize,
        max_total: usize,
    ) -> Result<(), StoreError>;
    /// `Err(missing holder)`; `Ok(None)` when the policy is missing.
    async fn get_inline_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        policy_name: &str,
    ) -> Result<Option<String>, StoreError>;
    /// Policy names in byte order, after `after`, at most `limit`.
    async fn list_inline_policies(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError>;
    /// Missing holder, then `NoSuchPolicy`.
    async fn delete_inline_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        policy_name: &str,
    ) -> Result<(), StoreError>;
    /// Attaching an attached policy again changes nothing. Missing holder, then
    /// `NoSuchPolicy`, then `AttachmentQuotaExceeded` when the holder already has
    /// `max_attached` policies attached (`usize::MAX`: no quota).
    async fn attach_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        policy_name: &str,
        max_attached: usize,
    ) -> Result<(), StoreError>;
    /// Missing holder, then `NoSuchPolicy`, `PolicyNotAttached`.
    /// The holders of one kind a customer managed policy is attached to (with
    /// `as_boundary`: that have it as their permissions boundary), whose path starts with
    /// `path_prefix`, in lower-cased-name order after `after` (a lower-cased name), at most
    /// `limit`. `NoSuchPolicy` if the policy does not exist.
    #[allow(clippy::too_many_arguments)]
    async fn list_policy_entities(
        &self,
        account_id: &str,
        policy_name: &str,
        kind: HolderKind,
        as_boundary: bool,
        path_prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<PolicyEntity>, StoreError>;

    async fn detach_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        policy_name: &str,
    ) -> Result<(), StoreError>;
    /// The holder's attached policies whose path starts with `path_prefix`, in
    /// lower-cased-name order after `after` (a lower-cased name).
    async fn list_attached_policies(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        path_prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ManagedPolicy>, StoreError>;
    /// Every document that applies to the holder with id `holder_id` (its inline policies,
    /// and the default version of each attached policy), in one consistent read. An unknown
    /// holder has none.
    async fn get_holder_policies(
        &self,
        kind: HolderKind,
        holder_id: &str,
    ) -> Result<UserPolicies, StoreError>;
    /// The policies of every group the user with id `user_id` is in, as
    /// `get_holder_policies` reads them for each (group name, its documents), in
    /// lower-cased group-name order, in one consistent read; groups with no policy are
    /// left out. An unknown user has none.
    async fn get_user_group_policies(
        &self,
        user_id: &str,
    ) -> Result<Vec<(String, UserPolicies)>, StoreError>;

    // Permissions boundaries of users and roles (`PolicyHolder`s of kind `User` or `Role`;
    // a group has none, and naming one is `NoSuchGroup`). A boundary is a managed policy of
    // the holder's account, named by its name (found ignoring case); the policy exists when
    // the write commits, and `delete_policy` refuses it while it is anyone's boundary
    // (`PolicyInUseAsBoundary`). `ManagedPolicy::permissions_boundary_usage_count` counts
    // its users and roles, and `get_holder_policies` returns its default version.

    /// Creates the user with the policy `boundary` as its permissions boundary, in one
    /// transaction: `AlreadyExists`, `NoSuchPolicy` (and no user is created).
    async fn create_user_with_boundary(
        &self,
        user: &User,
        boundary: &str,
    ) -> Result<(), StoreError>;
    /// Creates the role with the policy `boundary` as its permissions boundary, in one
    /// transaction: `AlreadyExists`, `NoSuchPolicy` (and no role is created).
    async fn create_role_with_boundary(
        &self,
        role: &Role,
        boundary: &str,
    ) -> Result<(), StoreError>;
    /// Sets or replaces the holder's boundary. Missing holder, then `NoSuchPolicy`.
    async fn put_permissions_boundary(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        policy_name: &str,
    ) -> Result<(), StoreError>;
    /// Removes the holder's boundary; a holder without one is left as it is. Missing holder.
    async fn delete_permissions_boundary(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
    ) -> Result<(), StoreError>;
    /// The ARN of the holder's boundary, if it has one. Missing holder.
    async fn get_permissions_boundary(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
    ) -> Result<Option<String>, StoreError>;

    // AWS managed policies (`arn:aws:iam::aws:policy/…`). The Store does not hold them (the
    // domain has the catalog and checks that an ARN names one); it records, by ARN, which
    // holders of an account have which attached (`{user,role,group}_aws_policy_attachments`)
    // or as their boundary (the `aws_permissions_boundary` column of users and roles),
    // counted per account. A holder's AWS attachments count towards its attachment quota
    // with its customer managed ones and block its deletion as they do
    // (`UserHasAttachedPolicies`, …); `get_holder_policies` and `get_user_group_policies`
    // return them (`UserPolicies::aws_managed`, `aws_boundary`), `get_permissions_boundary`
    // returns either kind of boundary, `delete_permissions_boundary` removes either, and
    // `put_permissions_boundary` replaces an AWS one (and `put_aws_permissions_boundary` a
    // customer one): a holder has at most one boundary.

    /// Attaching an attached policy again changes nothing. Missing holder, then
    /// `AttachmentQuotaExceeded` when the holder already has `max_attached` policies
    /// (customer and AWS managed) attached.
    async fn attach_aws_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        arn: &str,
        max_attached: usize,
    ) -> Result<(), StoreError>;
    /// Missing holder, then `PolicyNotAttached`.
    async fn detach_aws_policy(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        arn: &str,
    ) -> Result<(), StoreError>;
    /// The ARNs of the AWS managed policies attached to the holder, in ARN order (all of
    /// them: at most the catalog's size). Missing holder.
    async fn list_aws_attached_policies(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
    ) -> Result<Vec<String>, StoreError>;
    /// Sets or replaces the holder's boundary with an AWS managed policy. Missing holder.
    async fn put_aws_permissions_boundary(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
        arn: &str,
    ) -> Result<(), StoreError>;
    /// Creates the user with the AWS managed policy `arn` as its boundary, in one
    /// transaction. `AlreadyExists`.
    async fn create_user_with_aws_boundary(&self, user: &User, arn: &str)
        -> Result<(), StoreError>;
    /// Creates the role with the AWS managed policy `arn` as its boundary, in one
    /// transaction. `AlreadyExists`.
    async fn create_role_with_aws_boundary(&self, role: &Role, arn: &str)
        -> Result<(), StoreError>;
    /// The AWS managed policies the account uses (attached to, or the boundary of, at least
    /// one of its holders), in ARN order, with their counts; only `arn`'s when given (none
    /// when it is not used), in one consistent read.
    async fn aws_policy_usage(
        &self,
        account_id: &str,
        arn: Option<&str>,
    ) -> Result<Vec<AwsPolicyUsage>, StoreError>;
    /// As `list_policy_entities`, for an AWS managed policy of the account's holders (an
    /// unused one has none).
    #[allow(clippy::too_many_arguments)]
    async fn list_aws_policy_entities(
        &self,
        account_id: &str,
        arn: &str,
        kind: HolderKind,
        as_boundary: bool,
        path_prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<PolicyEntity>, StoreError>;

    // Groups. Names are unique per account ignoring case, like users'; memberships and
    // group policies reference the group's id, so a rename keeps them.

    /// `AlreadyExists` on a case-insensitive name clash; `GroupQuotaExceeded` when the
    /// account already has `max_groups` groups.
    async fn create_group(&self, group: &Group, max_groups: usize) -> Result<(), StoreError>;
    /// Case-insensitive lookup by name.
    async fn get_group(
        &self,
        account_id: &str,
        group_name: &str,
    ) -> Result<Option<Group>, StoreError>;
    /// Groups whose path starts with `path_prefix`, in lower-cased-name order after `after`
    /// (a lower-cased name), at most `limit`.
    async fn list_groups(
        &self,
        account_id: &str,
        path_prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Group>, StoreError>;
    /// Renames and/or moves a group. `NoSuchGroup`; `AlreadyExists` when another group has
    /// the new name ignoring case (a change of casing alone is fine).
    async fn update_group(
        &self,
        account_id: &str,
        group_name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<(), StoreError>;
    /// `NoSuchGroup`; `GroupHasMembers`, `GroupHasAttachedPolicies`,
    /// `GroupHasInlinePolicies` (checked in that order, in the same transaction).
    async fn delete_group(&self, account_id: &str, group_name: &str) -> Result<(), StoreError>;
    /// The group and its members (users, tags not filled in), in lower-cased-name order
    /// after `after`, at most `limit`, in one consistent read. `Ok(None)`: no such group.
    async fn get_group_members(
        &self,
        account_id: &str,
        group_name: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Option<(Group, Vec<User>)>, StoreError>;
    /// Adds the user to the group; adding a member again changes nothing. `NoSuchGroup`,
    /// then `NoSuchUser`, then `GroupsPerUserExceeded` when the user is already in
    /// `max_groups_per_user` groups.
    async fn add_user_to_group(
        &self,
        account_id: &str,
        group_name: &str,
        user_name: &str,
        max_groups_per_user: usize,
    ) -> Result<(), StoreError>;
    /// `NoSuchGroup`, then `NoSuchUser`, then `NotInGroup`.
    async fn remove_user_from_group(
        &self,
        account_id: &str,
        group_name: &str,
        user_name: &str,
    ) -> Result<(), StoreError>;
    /// The groups the user is in, in lower-cased-name order after `after`, at most
    /// `limit`. `NoSuchUser`.
    async fn list_groups_for_user(
        &self,
        account_id: &str,
        user_name: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Group>, StoreError>;

    // Instance profiles. Names are unique per account ignoring case, like roles'. A
    // profile's roles are listed in lower-cased-name order, without their tags.

    /// Stores the profile and its tags (its `roles` are ignored: a new profile has none).
    /// `AlreadyExists` on a case-insensitive name clash.
    async fn create_instance_profile(&self, profile: &InstanceProfile) -> Result<(), StoreError>;
    /// Case-insensitive lookup by name, with its tags and roles, in one consistent read.
    async fn get_instance_profile(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<Option<InstanceProfile>, StoreError>;
    /// Profiles whose path starts with `path_prefix`, in lower-cased-name order after `after`
    /// (a lower-cased name), at most `limit`, each with its roles; tags are not filled in.
    async fn list_instance_profiles(
        &self,
        account_id: &str,
        path_prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<InstanceProfile>, StoreError>;
    /// The profiles the role (found ignoring case) is in, as `list_instance_profiles` lists
    /// them. `NoSuchRole`.
    async fn list_instance_profiles_for_role(
        &self,
        account_id: &str,
        role_name: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<InstanceProfile>, StoreError>;
    /// `NoSuchInstanceProfile`; `InstanceProfileHasRoles` while it has a role. Its tags go
    /// with it.
    async fn delete_instance_profile(&self, account_id: &str, name: &str)
        -> Result<(), StoreError>;
    /// Adds the role to the profile: `NoSuchInstanceProfile`, then `NoSuchRole`;
    /// `AlreadyExists` when the role is in it already; `InstanceProfileRolesExceeded` when
    /// it already holds `max_roles`.
    async fn add_role_to_instance_profile(
        &self,
        account_id: &str,
        name: &str,
        role_name: &str,
        max_roles: u32,
    ) -> Result<(), StoreError>;
    /// `NoSuchInstanceProfile`, then `NoSuchRole`, then `RoleNotInInstanceProfile`.
    async fn remove_role_from_instance_profile(
        &self,
        account_id: &str,
        name: &str,
        role_name: &str,
    ) -> Result<(), StoreError>;

    // Tags of any taggable entity (see `TaggedKind`), found ignoring case; a missing one is
    // `TaggedKind::missing`. Tags keep their order.

    /// Adds `tags` as `model::merge_tags` does. `TagQuotaExceeded` (and nothing changes)
    /// when the entity would then have more than `max_tags`.
    async fn tag_entity(
        &self,
        account_id: &str,
        entity: Tagged<'_>,
        tags: &[Tag],
        max_tags: usize,
    ) -> Result<(), StoreError>;
    /// Removes the tags with these keys (ignoring case), as `model::remove_tags` does; keys
    /// the entity does not have are ignored.
    async fn untag_entity(
        &self,
        account_id: &str,
        entity: Tagged<'_>,
        keys: &[String],
    ) -> Result<(), StoreError>;
    /// The entity's tags, in order.
    async fn list_entity_tags(
        &self,
        account_id: &str,
        entity: Tagged<'_>,
    ) -> Result<Vec<Tag>, StoreError>;

    // OpenID Connect providers, one per (account, url); the url is compared as given (the
    // domain lower-cases the host). Lists and tags are read and written whole.

    /// Stores the provider. `AlreadyExists` when the account has one with this url;
    /// `OidcProviderQuotaExceeded` when it has `max_per_account` already.
    async fn create_oidc_provider(
        &self,
        provider: &OidcProvider,
        max_per_account: usize,
    ) -> Result<(), StoreError>;
    async fn get_oidc_provider(
        &self,
        account_id: &str,
        url: &str,
    ) -> Result<Option<OidcProvider>, StoreError>;
    /// The account's providers in url order, with their lists and tags.
    async fn list_oidc_providers(&self, account_id: &str) -> Result<Vec<OidcProvider>, StoreError>;
    /// `NoSuchOidcProvider`.
    async fn delete_oidc_provider(&self, account_id: &str, url: &str) -> Result<(), StoreError>;
    /// Applies `change` (`OidcProvider::apply`) in one transaction and returns the provider
    /// as it now is. `NoSuchOidcProvider`, or the change's own error (nothing changes).
    async fn change_oidc_provider(
        &self,
        account_id: &str,
        url: &str,
        change: &OidcProviderChange,
    ) -> Result<OidcProvider, StoreError>;

    // SAML providers, one per (account, name); tags are read and written whole.

    /// Stores the provider. `AlreadyExists` when the account has one with this name;
    /// `SamlProviderQuotaExceeded` when it has `max_per_account` already.
    async fn create_saml_provider(
        &self,
        provider: &SamlProvider,
        max_per_account: usize,
    ) -> Result<(), StoreError>;
    async fn get_saml_provider(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<Option<SamlProvider>, StoreError>;
    /// The account's providers in name order.
    async fn list_saml_providers(&self, account_id: &str) -> Result<Vec<SamlProvider>, StoreError>;
    /// `NoSuchSamlProvider`.
    async fn delete_saml_provider(&self, account_id: &str, name: &str) -> Result<(), StoreError>;
    /// Applies `change` (`SamlProvider::apply`) in one transaction and returns the provider
    /// as it now is. `NoSuchSamlProvider`, or the change's own error (nothing changes).
    async fn change_saml_provider(
        &self,
        account_id: &str,
        name: &str,
        change: &SamlProviderChange,
    ) -> Result<SamlProvider, StoreError>;

    // Account aliases: at most one per account, each unique across every account the store
    // holds (AWS's aliases are unique across its partition).

    /// Gives the account `alias`, replacing the alias it had, if any. `AlreadyExists` when an
    /// account (this one included) holds `alias` already; the unique index decides races.
    async fn create_account_alias(&self, account_id: &str, alias: &str) -> Result<(), StoreError>;
    /// Removes the account's alias if it is `alias`; `NoSuchAccountAlias` otherwise.
    async fn delete_account_alias(&self, account_id: &str, alias: &str) -> Result<(), StoreError>;
    /// The account's aliases: none or one.
    async fn list_account_aliases(&self, account_id: &str) -> Result<Vec<String>, StoreError>;

    // Service-linked roles are created by `create_role` with `Role::linked_service` set.

    /// Deletes the service-linked role named `role_name` (ignoring case) and records `task`,
    /// in one transaction. `NoSuchRole` when there is no such role or it is not
    /// service-linked; `RoleInInstanceProfile`, `RoleHasAttachedPolicies`,
    /// `RoleHasInlinePolicies` as `delete_role` (and then nothing is recorded).
    async fn delete_service_linked_role(
        &self,
        account_id: &str,
        role_name: &str,
        task: &DeletionTask,
    ) -> Result<(), StoreError>;
    /// The deletion task of the account with that id, exactly (ids are case-sensitive).
    async fn get_deletion_task(
        &self,
        account_id: &str,
        deletion_task_id: &str,
    ) -> Result<Option<DeletionTask>, StoreError>;
    // Virtual MFA devices, named by their serial number (an ARN, unique per account
    // ignoring case). A device is enabled for at most one user; its seed is stored sealed
    // and read only by `get_mfa_secret`; `last_step` is the newest TOTP time step a code
    // was accepted for, so that each code is used once.

    /// Stores the device (unassigned) with its sealed seed and its tags. `AlreadyExists` on
    /// a case-insensitive serial-number clash.
    async fn create_mfa_device(
        &self,
        device: &MfaDevice,
        seed: &SealedSecret,
    ) -> Result<(), StoreError>;
    /// Case-insensitive lookup by serial number, with its user and tags.
    async fn get_mfa_device(
        &self,
        account_id: &str,
        serial_number: &str,
    ) -> Result<Option<MfaDevice>, StoreError>;
    /// The device (tags not filled in), its sealed seed and its last accepted step.
    async fn get_mfa_secret(
        &self,
        account_id: &str,
        serial_number: &str,
    ) -> Result<Option<MfaSecret>, StoreError>;
    /// Enables the device for the user, recording `step` as its last accepted step:
    /// `NoSuchUser`, then `NoSuchMfaDevice`, then `MfaDeviceInUse` when it is enabled for
    /// anyone (this user too), then `MfaDeviceQuotaExceeded` when the user already has
    /// `max_per_user`. Also refused (`MfaDeviceInUse`) when a code of step `step` or later
    /// was accepted meanwhile.
    async fn enable_mfa_device(
        &self,
        account_id: &str,
        user_name: &str,
        serial_number: &str,
        step: i64,
        now: time::OffsetDateTime,
        max_per_user: usize,
    ) -> Result<(), StoreError>;
    /// Records `step` as the device's last accepted step if it is newer than the recorded
    /// one; `Ok(false)` (nothing changes) if it is not: the code was used already, maybe
    /// by a concurrent request. Of two concurrent uses of one step, exactly one gets
    /// `Ok(true)`. `NoSuchMfaDevice`.
    async fn use_mfa_step(
        &self,
        account_id: &str,
        serial_number: &str,
        step: i64,
    ) -> Result<bool, StoreError>;
    /// Disables the device for the user (it stays, unassigned): `NoSuchUser`, then
    /// `NoSuchMfaDevice` when it is not enabled for that user.
    async fn deactivate_mfa_device(
        &self,
        account_id: &str,
        user_name: &str,
        serial_number: &str,
    ) -> Result<(), StoreError>;
    /// `NoSuchMfaDevice`; `MfaDeviceInUse` while enabled for a user. Its tags go with it.
    async fn delete_mfa_device(
        &self,
        account_id: &str,
        serial_number: &str,
    ) -> Result<(), StoreError>;
    /// The devices enabled for the user, in lower-cased serial-number order after `after`,
    /// at most `limit` (tags not filled in). `NoSuchUser`.
    async fn list_user_mfa_devices(
        &self,
        account_id: &str,
        user_name: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<MfaDevice>, StoreError>;
    /// The account's devices (`assigned`: only those enabled for a user, or only those
    /// not; `None`: all), in lower-cased serial-number order after `after`, at most
    /// `limit`, with their users (tags not filled in).
    async fn list_mfa_devices(
        &self,
        account_id: &str,
        assigned: Option<bool>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<MfaDevice>, StoreError>;

    // Service-specific credentials, each a user's (found ignoring case; `NoSuchUser`
    // otherwise), listed in creation order. The password is stored sealed.

    /// Stores the credential for the user named `credential.user_name`, unless the user
    /// already has `max_per_service` for its service (`ServiceCredentialQuotaExceeded`).
    async fn create_service_credential(
        &self,
        credential: &ServiceCredential,
        max_per_service: usize,
    ) -> Result<(), StoreError>;
    /// The credentials of one user (or, with `None`, of every user of the account), of one
    /// service if given, in creation order.
    async fn list_service_credentials(
        &self,
        account_id: &str,
        user_name: Option<&str>,
        service_name: Option<&str>,
    ) -> Result<Vec<ServiceCredential>, StoreError>;
    /// Sets the status of the user's credential: `NoSuchUser`, then
    /// `NoSuchServiceCredential` (ids are matched exactly).
    async fn update_service_credential(
        &self,
        account_id: &str,
        user_name: &str,
        credential_id: &str,
        status: KeyStatus,
    ) -> Result<(), StoreError>;
    /// Replaces the password of the user's credential and returns the credential.
    async fn reset_service_credential(
        &self,
        account_id: &str,
        user_name: &str,
        credential_id: &str,
        password: &SealedSecret,
    ) -> Result<ServiceCredential, StoreError>;
    /// Deletes the user's credential.
    async fn delete_service_credential(
        &self,
        account_id: &str,
        user_name: &str,
        credential_id: &str,
    ) -> Result<(), StoreError>;

    // Login profiles (a user's console password, as hashes only) and the account's
    // password policy. A user has at most one login profile; it goes before the user does
    // (`delete_user`'s `UserHasLoginProfile`).

    /// `NoSuchUser`; `AlreadyExists` when the user has one.
    async fn create_login_profile(
        &self,
        account_id: &str,
        user_name: &str,
        profile: &LoginProfile,
    ) -> Result<(), StoreError>;
    /// The user (found ignoring case) and its profile. `Err(NoSuchUser)`; `Ok(None)` when the
    /// user has no profile.
    async fn get_login_profile(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<Option<LoginProfile>, StoreError>;
    /// Sets a new password (the current hash becomes the newest earlier one, and at most
    /// `keep_previous` are kept) and/or the reset flag, each only when given. `NoSuchUser`,
    /// then `NoSuchLoginProfile`.
    async fn update_login_profile(
        &self,
        account_id: &str,
        user_name: &str,
        password: Option<&NewPassword>,
        password_reset_required: Option<bool>,
    ) -> Result<(), StoreError>;
    /// `NoSuchUser`, then `NoSuchLoginProfile`.
    async fn delete_login_profile(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<(), StoreError>;
    /// Records a sign-in with the password of the user with id `user_id` (GetUser's
    /// `PasswordLastUsed`); an older time never replaces a newer one; an unknown user is
    /// ignored.
    async fn record_password_use(
        &self,
        user_id: &str,
        when: time::OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// When each of the users with these ids last signed in with a password (those that
    /// ever did; in no particular order), in one read; kept when a login profile is
    /// deleted, as AWS keeps it.
    async fn get_password_uses(
        &self,
        user_ids: &[String],
    ) -> Result<Vec<(String, time::OffsetDateTime)>, StoreError>;
    /// Sets (replaces) the account's password policy.
    async fn put_password_policy(
        &self,
        account_id: &str,
        policy: &PasswordPolicy,
    ) -> Result<(), StoreError>;
    async fn get_password_policy(
        &self,
        account_id: &str,
    ) -> Result<Option<PasswordPolicy>, StoreError>;
    /// Whether there was one to delete.
    async fn delete_password_policy(&self, account_id: &str) -> Result<bool, StoreError>;
    /// SetSecurityTokenServicePreferences: sets the account's global endpoint token
    /// version (1 or 2; the domain checks the value).
    async fn set_global_endpoint_token_version(
        &self,
        account_id: &str,
        version: u8,
    ) -> Result<(), StoreError>;
    /// The account's global endpoint token version, `None` when never set (AWS's
    /// default, 1, is the domain's to give).
    async fn get_global_endpoint_token_version(
        &self,
        account_id: &str,
    ) -> Result<Option<u8>, StoreError>;

    // SSH public keys and signing certificates, each a user's (found ignoring case;
    // `NoSuchUser` otherwise), listed in upload order.

    /// Stores the key or certificate for the user named `credential.user_name`, unless the
    /// user already has `quota` of its kind (`PublicCredentialQuotaExceeded`) or the same
    /// fingerprint is stored already (`DuplicatePublicCredential`): an SSH key's among its
    /// user's keys, a certificate's among the account's certificates.
    async fn upload_public_credential(
        &self,
        credential: &PublicCredential,
        quota: usize,
    ) -> Result<(), StoreError>;
    /// The keys or certificates of one user (or, with `None`, of every user of the
    /// account), in upload order.
    async fn list_public_credentials(
        &self,
        account_id: &str,
        user_name: Option<&str>,
        kind: PublicCredentialKind,
    ) -> Result<Vec<PublicCredential>, StoreError>;
    /// Sets the status of the user's key or certificate: `NoSuchUser`, then
    /// `NoSuchPublicCredential` (ids are matched exactly).
    async fn update_public_credential(
        &self,
        account_id: &str,
        user_name: &str,
        kind: PublicCredentialKind,
        credential_id: &str,
        status: KeyStatus,
    ) -> Result<(), StoreError>;
    /// Deletes the user's key or certificate.
    async fn delete_public_credential(
        &self,
        account_id: &str,
        user_name: &str,
        kind: PublicCredentialKind,
        credential_id: &str,
    ) -> Result<(), StoreError>;

    // Server certificates. Names are unique per account ignoring case. The private key is
    // stored sealed.

    /// Stores the certificate and its tags, unless the account has `quota` already
    /// (`ServerCertificateQuotaExceeded`); `AlreadyExists` on a name clash.
    async fn create_server_certificate(
        &self,
        certificate: &ServerCertificate,
        quota: usize,
    ) -> Result<(), StoreError>;
    /// Case-insensitive lookup by name, with its tags and sealed private key.
    async fn get_server_certificate(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<Option<ServerCertificate>, StoreError>;
    /// The account's certificates whose path starts with `path_prefix`, in lower-cased-name
    /// order, without their tags.
    async fn list_server_certificates(
        &self,
        account_id: &str,
        path_prefix: &str,
    ) -> Result<Vec<ServerCertificate>, StoreError>;
    /// Renames and/or moves the certificate: `NoSuchServerCertificate`, `AlreadyExists`.
    async fn update_server_certificate(
        &self,
        account_id: &str,
        name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<(), StoreError>;
    /// `NoSuchServerCertificate`. Its tags go with it.
    async fn delete_server_certificate(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<(), StoreError>;
}
