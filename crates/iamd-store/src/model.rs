//! The stored entities: accounts, users, access keys, managed policies, roles and groups.

use time::OffsetDateTime;

use crate::secret::SealedSecret;

pub type AccountId = String;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub account_id: AccountId,
    pub create_date: OffsetDateTime,
}

/// At most this many access keys per user (and for root): AWS's `AccessKeysPerUser` quota.
pub const ACCESS_KEYS_PER_USER: u32 = 2;

/// A user, role or group a managed policy is attached to (ListEntitiesForPolicy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyEntity {
    pub kind: HolderKind,
    pub name: String,
    pub id: String,
}

/// How many of each kind of entity an account holds (GetAccountSummary).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccountCounts {
    pub users: u64,
    pub groups: u64,
    pub roles: u64,
    /// Customer managed policies.
    pub policies: u64,
    pub instance_profiles: u64,
    /// The root's own access keys.
    pub root_access_keys: u64,
    /// Versions of customer managed policies that are attached to at least one entity.
    pub policy_versions_in_use: u64,
    /// Virtual MFA devices, assigned or not.
    pub mfa_devices: u64,
    /// MFA devices enabled for a user.
    pub mfa_devices_in_use: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// At most this many tags per entity (AWS's quota, after any change).
pub const TAGS_PER_ENTITY: usize = 50;

/// `tags` with `new` added, as TagUser and its kin add them: a new tag whose key equals an
/// existing key ignoring case replaces that tag (its key as now given, and its value) where
/// it stands; the others are appended in order. Keys within `new` are distinct ignoring
/// case (the domain refuses requests that repeat one).
pub fn merge_tags(mut tags: Vec<Tag>, new: &[Tag]) -> Vec<Tag> {
    for tag in new {
        let key = tag.key.to_lowercase();
        match tags.iter_mut().find(|t| t.key.to_lowercase() == key) {
            Some(old) => *old = tag.clone(),
            None => tags.push(tag.clone()),
        }
    }
    tags
}

/// `tags` without those whose key equals one of `keys` ignoring case.
pub fn remove_tags(mut tags: Vec<Tag>, keys: &[String]) -> Vec<Tag> {
    let keys: Vec<String> = keys.iter().map(|k| k.to_lowercase()).collect();
    tags.retain(|t| !keys.contains(&t.key.to_lowercase()));
    tags
}

/// The kinds of entity that carry tags (Tag*/Untag*/List*Tags). Each backend keeps one tag
/// table per kind and chooses it in one place; a new taggable kind is a variant here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaggedKind {
    User,
    Role,
    /// A customer managed policy, named by its name.
    Policy,
    InstanceProfile,
    /// A virtual MFA device, named by its serial number (its ARN).
    MfaDevice,
    /// A server certificate, named by its name.
    ServerCertificate,
}

impl TaggedKind {
    pub const ALL: [TaggedKind; 6] = [
        TaggedKind::User,
        TaggedKind::Role,
        TaggedKind::Policy,
        TaggedKind::InstanceProfile,
        TaggedKind::MfaDevice,
        TaggedKind::ServerCertificate,
    ];
}

/// One tagged entity, named as callers name it (found ignoring case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tagged<'a> {
    pub kind: TaggedKind,
    pub name: &'a str,
}

impl<'a> Tagged<'a> {
    pub fn new(kind: TaggedKind, name: &'a str) -> Self {
        Tagged { kind, name }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub account_id: AccountId,
    pub user_id: String,
    pub user_name: String,
    pub path: String,
    pub create_date: OffsetDateTime,
    pub tags: Vec<Tag>,
}

impl User {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:user{}{}",
            self.account_id, self.path, self.user_name
        )
    }

    /// This user as the owner of access keys.
    pub fn owner(&self) -> KeyOwner {
        KeyOwner::User {
            user_id: self.user_id.clone(),
        }
    }

    /// One of this user's keys, as stored with these fields.
    pub fn key(
        &self,
        access_key_id: String,
        status: KeyStatus,
        create_date: OffsetDateTime,
    ) -> AccessKey {
        AccessKey {
            access_key_id,
            account_id: self.account_id.clone(),
            owner: self.owner(),
            user_name: Some(self.user_name.clone()),
            status,
            create_date,
        }
    }
}

/// Who an access key belongs to: the account's root identity or one of its users.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyOwner {
    Root,
    User { user_id: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    Active,
    Inactive,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "Active",
            KeyStatus::Inactive => "Inactive",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "Active" => Some(KeyStatus::Active),
            "Inactive" => Some(KeyStatus::Inactive),
            _ => None,
        }
    }
}

/// An access key's metadata. The secret travels separately (`NewAccessKey`, `Credential`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    pub access_key_id: String,
    pub account_id: AccountId,
    pub owner: KeyOwner,
    /// The owner's current name (None for root).
    pub user_name: Option<String>,
    pub status: KeyStatus,
    pub create_date: OffsetDateTime,
}

/// A key about to be stored.
#[derive(Debug, Clone)]
pub struct NewAccessKey {
    pub access_key_id: String,
    pub account_id: AccountId,
    pub owner: KeyOwner,
    pub secret: SealedSecret,
    pub create_date: OffsetDateTime,
}

/// What authentication needs to know about a key id.
#[derive(Debug, Clone)]
pub struct Credential {
    pub key: AccessKey,
    pub secret: SealedSecret,
    /// The owning user, when the key is a user's.
    pub user: Option<User>,
}

/// The last recorded use of a long-term key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUsage {
    pub access_key_id: String,
    pub when: OffsetDateTime,
    pub service: String,
    pub region: String,
}

/// A use of a role: a request signed by one of its sessions, at `when`, for `region`
/// (GetRole's `RoleLastUsed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleUsage {
    pub role_id: String,
    pub when: OffsetDateTime,
    pub region: String,
}

/// A customer managed policy. Its documents live in its versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedPolicy {
    pub account_id: AccountId,
    /// `ANPA…`
    pub policy_id: String,
    pub policy_name: String,
    pub path: String,
    pub description: Option<String>,
    pub default_version_id: String,
    /// How many users (later: groups, roles) it is attached to. Kept exact by the store.
    pub attachment_count: u32,
    /// How many users and roles have it as their permissions boundary (counted by the
    /// store when it reads the policy; ignored by `create_policy`).
    pub permissions_boundary_usage_count: u32,
    pub create_date: OffsetDateTime,
    pub update_date: OffsetDateTime,
    /// Filled in by `get_policy` (and stored by `create_policy`); listings leave it empty.
    pub tags: Vec<Tag>,
}

impl ManagedPolicy {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:policy{}{}",
            self.account_id, self.path, self.policy_name
        )
    }
}

/// At most this many versions per managed policy (AWS's quota).
pub const POLICY_VERSIONS_MAX: u32 = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion {
    /// `v1`, `v2`, …: never reused within a policy.
    pub version_id: String,
    pub document: String,
    pub is_default: bool,
    pub create_date: OffsetDateTime,
}

/// An IAM role: assumed through STS AssumeRole by the principals its trust policy names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub account_id: AccountId,
    /// `AROA…`
    pub role_id: String,
    pub role_name: String,
    pub path: String,
    pub description: Option<String>,
    /// The trust policy, as given.
    pub assume_role_policy_document: String,
    /// 3600–43200 seconds.
    pub max_session_duration: u32,
    pub create_date: OffsetDateTime,
    pub tags: Vec<Tag>,
    /// Keys the MACs of this role's session tokens (see `session`); never shown. Deleting
    /// the role therefore ends its sessions.
    pub session_secret: SealedSecret,
    /// The service principal (`ecs.amazonaws.com`) of a service-linked role, which only
    /// CreateServiceLinkedRole makes (its path is `/aws-service-role/<principal>/`, a path
    /// CreateRole refuses); `None` for every other role. Never changes.
    pub linked_service: Option<String>,
}

impl Role {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:role{}{}",
            self.account_id, self.path, self.role_name
        )
    }
}

/// How far a service-linked role's deletion has got (the model's `DeletionTaskStatusType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletionStatus {
    Succeeded,
    InProgress,
    Failed,
    NotStarted,
}

impl DeletionStatus {
    /// As stored and as the model spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            DeletionStatus::Succeeded => "SUCCEEDED",
            DeletionStatus::InProgress => "IN_PROGRESS",
            DeletionStatus::Failed => "FAILED",
            DeletionStatus::NotStarted => "NOT_STARTED",
        }
    }

    pub fn parse(s: &str) -> Option<DeletionStatus> {
        Some(match s {
            "SUCCEEDED" => DeletionStatus::Succeeded,
            "IN_PROGRESS" => DeletionStatus::InProgress,
            "FAILED" => DeletionStatus::Failed,
            "NOT_STARTED" => DeletionStatus::NotStarted,
            _ => return None,
        })
    }
}

/// The record of one DeleteServiceLinkedRole call, which GetServiceLinkedRoleDeletionStatus
/// reads back by its id (`task/aws-service-role/<principal>/<role name>/<uuid>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletionTask {
    pub account_id: AccountId,
    pub deletion_task_id: String,
    pub status: DeletionStatus,
    pub create_date: OffsetDateTime,
}

/// An IAM group: a set of users that share its policies (inline and attached).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub account_id: AccountId,
    /// `AGPA…`
    pub group_id: String,
    pub group_name: String,
    pub path: String,
    pub create_date: OffsetDateTime,
}

impl Group {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:group{}{}",
            self.account_id, self.path, self.group_name
        )
    }
}

/// At most this many groups per account: AWS's `GroupsPerAccount` quota.
pub const GROUPS_PER_ACCOUNT: usize = 300;
/// A user is in at most this many groups: AWS's `GroupsPerUser` quota.
pub const GROUPS_PER_USER: usize = 10;
/// At most this many managed policies attached to one group: AWS's `PoliciesPerGroup`.
pub const POLICIES_PER_GROUP: usize = 10;
/// At most this many managed policies attached to one user: AWS's `PoliciesPerUser`
/// (AWS's default; an account may ask AWS for up to 20).
pub const POLICIES_PER_USER: usize = 10;
/// At most this many managed policies attached to one role: AWS's `PoliciesPerRole`
/// (AWS's default; an account may ask AWS for up to 20).
pub const POLICIES_PER_ROLE: usize = 10;

/// At most this many roles per instance profile: AWS's `InstanceSessionsPerInstanceProfile`
/// quota.
pub const ROLES_PER_INSTANCE_PROFILE: u32 = 1;

/// An instance profile: a container for (at most one) role that EC2 passes to an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceProfile {
    pub account_id: AccountId,
    /// `AIPA…`
    pub instance_profile_id: String,
    pub instance_profile_name: String,
    pub path: String,
    pub create_date: OffsetDateTime,
    pub tags: Vec<Tag>,
    /// The roles in it, in name order (their tags are not filled in).
    pub roles: Vec<Role>,
}

impl InstanceProfile {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:instance-profile{}{}",
            self.account_id, self.path, self.instance_profile_name
        )
    }
}

/// Every policy document that applies to one holder (a user or a role), as authorization
/// reads them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserPolicies {
    /// (policy name, document)
    pub inline: Vec<(String, String)>,
    /// (policy ARN, default version id, document)
    pub managed: Vec<(String, String, String)>,
    /// The holder's permissions boundary (a user's or a role's; groups have none): (policy
    /// ARN, default version id, document). Read in the same consistent read as the rest.
    pub boundary: Option<(String, String, String)>,
    /// The ARNs of the AWS managed policies attached to the holder, in ARN order (their
    /// documents are the catalog's, which the domain holds, not the store).
    pub aws_managed: Vec<String>,
    /// The holder's boundary when it is an AWS managed policy (then `boundary` is `None`).
    pub aws_boundary: Option<String>,
}

impl UserPolicies {
    /// Whether the holder has no policy at all (a boundary is not a policy it holds).
    pub fn is_empty(&self) -> bool {
        self.inline.is_empty() && self.managed.is_empty() && self.aws_managed.is_empty()
    }
}

/// How one AWS managed policy is used in one account: how many users, groups and roles it
/// is attached to, and how many users and roles have it as their permissions boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsPolicyUsage {
    pub arn: String,
    pub attachments: u32,
    pub boundaries: u32,
}

/// The kinds of identity that hold inline policies and managed-policy attachments. Every
/// policy operation takes one (with the holder's name) instead of having a copy per kind;
/// a new kind is a variant here, an arm in each backend's table choice and in the
/// domain's per-kind names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HolderKind {
    User,
    Role,
    Group,
}

impl HolderKind {
    /// Every kind, for code (and conformance checks) that runs once per kind.
    pub const ALL: [HolderKind; 3] = [HolderKind::User, HolderKind::Role, HolderKind::Group];

    /// `user`, `role`, `group`: as AWS writes the kind in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            HolderKind::User => "user",
            HolderKind::Role => "role",
            HolderKind::Group => "group",
        }
    }
}

/// One holder of policies, named as callers name it (found ignoring case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PolicyHolder<'a> {
    pub kind: HolderKind,
    pub name: &'a str,
}

impl<'a> PolicyHolder<'a> {
    pub fn new(kind: HolderKind, name: &'a str) -> Self {
        PolicyHolder { kind, name }
    }

    pub fn user(name: &'a str) -> Self {
        PolicyHolder::new(HolderKind::User, name)
    }

    pub fn role(name: &'a str) -> Self {
        PolicyHolder::new(HolderKind::Role, name)
    }

    pub fn group(name: &'a str) -> Self {
        PolicyHolder::new(HolderKind::Group, name)
    }
}

/// At most this many MFA devices per user: AWS's `MFADevicesPerUser` quota (8 since AWS
/// allowed several devices per user).
pub const MFA_DEVICES_PER_USER: usize = 8;

/// A service-specific credential (CodeCommit's Git credentials, Amazon Keyspaces'): a user
/// name and a generated password for one service, owned by an IAM user. The password is a
/// secret, stored sealed and shown only by Create/ResetServiceSpecificCredential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceCredential {
    pub account_id: AccountId,
    /// `ACCA…`, with the account encoded as in access key ids.
    pub credential_id: String,
    /// The owner's current name (read with the credential).
    pub user_name: String,
    pub service_name: String,
    /// `<user>-at-<account>`, fixed at creation.
    pub service_user_name: String,
    pub password: SealedSecret,
    pub status: KeyStatus,
    pub create_date: OffsetDateTime,
}

/// The kinds of public credential a user can hold: public material only, no secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicCredentialKind {
    /// An SSH public key (UploadSSHPublicKey), for CodeCommit's Git over SSH.
    SshPublicKey,
    /// An X.509 signing certificate (UploadSigningCertificate).
    SigningCertificate,
}

impl PublicCredentialKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PublicCredentialKind::SshPublicKey => "ssh",
            PublicCredentialKind::SigningCertificate => "certificate",
        }
    }

    /// How many of this kind AWS lets one user hold.
    pub fn quota(self) -> usize {
        match self {
            PublicCredentialKind::SshPublicKey => SSH_PUBLIC_KEYS_PER_USER,
            PublicCredentialKind::SigningCertificate => SIGNING_CERTIFICATES_PER_USER,
        }
    }
}

/// AWS's quota of SSH public keys per user.
pub const SSH_PUBLIC_KEYS_PER_USER: usize = 5;
/// AWS's quota of signing certificates per user.
pub const SIGNING_CERTIFICATES_PER_USER: usize = 2;

/// A user's SSH public key or signing certificate: public material, kept as uploaded.
/// `fingerprint` identifies the key or certificate whatever its text (the MD5 of an SSH
/// key's wire blob; the SHA-1 of a certificate's DER), so that the same key uploaded in
/// another encoding is a duplicate: an SSH key within its user's, a certificate within the
/// account's (AWS's scopes for DuplicateSSHPublicKey and DuplicateCertificate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicCredential {
    pub account_id: AccountId,
    pub kind: PublicCredentialKind,
    /// `APKA…` for an SSH key; for a certificate, derived from its fingerprint.
    pub credential_id: String,
    /// The owner's current name (read with the credential).
    pub user_name: String,
    /// The text as uploaded.
    pub body: String,
    pub fingerprint: String,
    pub status: KeyStatus,
    pub upload_date: OffsetDateTime,
}

/// AWS's default quota of server certificates per account.
pub const SERVER_CERTIFICATES_PER_ACCOUNT: usize = 20;

/// A server certificate (UploadServerCertificate): an X.509 certificate, its chain and its
/// private key, for services that terminate TLS. The private key is a secret, stored sealed
/// and never returned by any operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerCertificate {
    pub account_id: AccountId,
    /// `ASCA…`, with the account encoded as in access key ids.
    pub server_certificate_id: String,
    pub name: String,
    pub path: String,
    pub body: String,
    pub chain: Option<String>,
    pub private_key: SealedSecret,
    pub upload_date: OffsetDateTime,
    /// The certificate's `notAfter`.
    pub expiration: OffsetDateTime,
    pub tags: Vec<Tag>,
}

/// A virtual MFA device: a TOTP seed with a name. Its seed is not here (it is a secret,
/// read only by `Store::get_mfa_secret`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaDevice {
    pub account_id: AccountId,
    /// `arn:aws:iam::<account>:mfa<path><name>`; unique per account ignoring case.
    pub serial_number: String,
    pub device_name: String,
    pub path: String,
    pub create_date: OffsetDateTime,
    /// When it was enabled for its user (`None` while unassigned).
    pub enable_date: Option<OffsetDateTime>,
    /// The user it is enabled for, tags not filled in.
    pub user: Option<User>,
    /// Filled in by `get_mfa_device` only.
    pub tags: Vec<Tag>,
}

/// What verifying a code needs about a device: the device, its sealed seed, and the last
/// TOTP time step a code of it was accepted for (a code is single-use).
#[derive(Debug, Clone)]
pub struct MfaSecret {
    pub device: MfaDevice,
    pub seed: SealedSecret,
    pub last_step: Option<i64>,
}

/// A user's console password (AWS's login profile). Only hashes are kept: PHC strings
/// (argon2id with their own salt), made and checked by the domain; the store never sees a
/// password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginProfile {
    pub create_date: OffsetDateTime,
    pub password_reset_required: bool,
    /// The current password's hash.
    pub password_hash: String,
    /// When the current password was set (the policy's `MaxPasswordAge` counts from it).
    pub password_set: OffsetDateTime,
    /// Hashes of the passwords before the current one, newest first, as many as the
    /// password policy's reuse prevention asked for when the password last changed.
    pub previous_hashes: Vec<String>,
}

/// A new password for an existing login profile: its hash, when it is set, and how many
/// earlier hashes to keep (the current one becomes the newest of them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPassword {
    pub hash: String,
    pub at: OffsetDateTime,
    pub keep_previous: usize,
}

/// The account's password policy, as UpdateAccountPasswordPolicy sets it (every field;
/// a field the request omits has AWS's default there, not here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub minimum_password_length: u32,
    pub require_symbols: bool,
    pub require_numbers: bool,
    pub require_uppercase_characters: bool,
    pub require_lowercase_characters: bool,
    pub allow_users_to_change_password: bool,
    /// Days; `None`: passwords do not expire.
    pub max_password_age: Option<u32>,
    /// How many earlier passwords may not be used again; `None`: no prevention.
    pub password_reuse_prevention: Option<u32>,
    pub hard_expiry: bool,
}

/// An OpenID Connect identity provider an account trusts (CreateOpenIDConnectProvider).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcProvider {
    pub account_id: AccountId,
    /// The issuer's host and path, without the scheme (`token.actions.githubusercontent.com`):
    /// what its ARN ends with, unique per account.
    pub url: String,
    /// The audiences a token may name, in the order they were added.
    pub client_ids: Vec<String>,
    /// SHA-1 fingerprints (40 lower-case hex digits) of the issuer's certificates.
    pub thumbprints: Vec<String>,
    pub tags: Vec<Tag>,
    pub create_date: OffsetDateTime,
    /// The trusted identity propagation context provider (ContextProvider), as the JSON
    /// object the service layer encodes; kept and returned, not used.
    pub context_provider: Option<String>,
    /// The IAM Identity Center instance associated with the provider; kept and returned.
    pub identity_center_instance_arn: Option<String>,
}

/// At most this many OIDC providers per account (AWS's `OpenIdConnectProvidersPerAccount`).
pub const OIDC_PROVIDERS_PER_ACCOUNT: usize = 100;
/// At most this many client ids per provider (`ClientIdsPerOpenIdConnectProvider`).
pub const CLIENT_IDS_PER_OIDC_PROVIDER: usize = 100;
/// At most this many thumbprints per provider.
pub const THUMBPRINTS_PER_OIDC_PROVIDER: usize = 5;

/// One change to a stored OIDC provider, applied by a backend inside one transaction
/// (read, `OidcProvider::apply`, write), so that concurrent changes do not lose each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OidcProviderChange {
    /// Adds the client id unless the provider has it; `OidcClientIdQuotaExceeded` past
    /// `CLIENT_IDS_PER_OIDC_PROVIDER`.
    AddClientId(String),
    /// Removes the client id if the provider has it.
    RemoveClientId(String),
    /// Replaces the thumbprints.
    SetThumbprints(Vec<String>),
    /// `merge_tags`; `TagQuotaExceeded` past `max`.
    Tag { tags: Vec<Tag>, max: usize },
    /// `remove_tags`.
    Untag(Vec<String>),
    /// UpdateOpenIDConnectProvider: for each setting, `None` leaves it, `Some(None)`
    /// removes it, `Some(Some(v))` sets it.
    Configure {
        context_provider: Option<Option<String>>,
        identity_center_instance_arn: Option<Option<String>>,
    },
}

impl OidcProvider {
    /// Applies `change`; on an error the provider is left as it was.
    pub fn apply(&mut self, change: &OidcProviderChange) -> Result<(), crate::StoreError> {
        match change {
            OidcProviderChange::AddClientId(id) => {
                if !self.client_ids.contains(id) {
                    if self.client_ids.len() >= CLIENT_IDS_PER_OIDC_PROVIDER {
                        return Err(crate::StoreError::OidcClientIdQuotaExceeded);
                    }
                    self.client_ids.push(id.clone());
                }
            }
            OidcProviderChange::RemoveClientId(id) => self.client_ids.retain(|c| c != id),
            OidcProviderChange::SetThumbprints(t) => self.thumbprints = t.clone(),
            OidcProviderChange::Tag { tags, max } => {
                let merged = merge_tags(self.tags.clone(), tags);
                if merged.len() > *max {
                    return Err(crate::StoreError::TagQuotaExceeded);
                }
                self.tags = merged;
            }
            OidcProviderChange::Untag(keys) => {
                self.tags = remove_tags(std::mem::take(&mut self.tags), keys);
            }
            OidcProviderChange::Configure {
                context_provider,
                identity_center_instance_arn,
            } => {
                if let Some(c) = context_provider {
                    self.context_provider = c.clone();
                }
                if let Some(i) = identity_center_instance_arn {
                    self.identity_center_instance_arn = i.clone();
                }
            }
        }
        Ok(())
    }
}

/// A SAML 2.0 identity provider: its IdP metadata document as uploaded, checked when
/// uploaded (`iamd_core::saml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlProvider {
    pub account_id: AccountId,
    /// Unique per account, compared as given (AWS's names are case-sensitive here).
    pub name: String,
    /// `SAMLProviderUUID`: fixed at creation.
    pub uuid: String,
    pub metadata: String,
    /// The metadata's `validUntil`, or what iamd gives it without one.
    pub valid_until: OffsetDateTime,
    /// `AssertionEncryptionMode`: `Allowed` or `Required`, when set.
    pub assertion_encryption_mode: Option<String>,
    pub tags: Vec<Tag>,
    pub create_date: OffsetDateTime,
}

/// At most this many SAML providers per account (AWS's `SAMLProvidersPerAccount`).
pub const SAML_PROVIDERS_PER_ACCOUNT: usize = 100;

/// One change to a stored SAML provider, applied in one transaction
/// (`SamlProvider::apply`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SamlProviderChange {
    /// UpdateSAMLProvider: a new metadata document (with its `valid_until`) and/or an
    /// encryption mode; what is `None` is left as it is.
    Update {
        metadata: Option<(String, OffsetDateTime)>,
        assertion_encryption_mode: Option<String>,
    },
    /// `merge_tags`; `TagQuotaExceeded` past `max`.
    Tag { tags: Vec<Tag>, max: usize },
    /// `remove_tags`.
    Untag(Vec<String>),
}

impl SamlProvider {
    /// Applies `change`; on an error the provider is left as it was.
    pub fn apply(&mut self, change: &SamlProviderChange) -> Result<(), crate::StoreError> {
        match change {
            SamlProviderChange::Update {
                metadata,
                assertion_encryption_mode,
            } => {
                if let Some((document, valid_until)) = metadata {
                    self.metadata = document.clone();
                    self.valid_until = *valid_until;
                }
                if let Some(mode) = assertion_encryption_mode {
                    self.assertion_encryption_mode = Some(mode.clone());
                }
            }
            SamlProviderChange::Tag { tags, max } => {
                let merged = merge_tags(self.tags.clone(), tags);
                if merged.len() > *max {
                    return Err(crate::StoreError::TagQuotaExceeded);
                }
                self.tags = merged;
            }
            SamlProviderChange::Untag(keys) => {
                self.tags = remove_tags(std::mem::take(&mut self.tags), keys);
            }
        }
        Ok(())
    }
}

/// How backends store a provider's lists: JSON arrays of strings (tags as `[key, value]`
/// pairs), in one column each; the lists are short and always read and written whole.
pub fn encode_strings(items: &[String]) -> String {
    serde_json::Value::from(items.to_vec()).to_string()
}

pub fn decode_strings(text: &str) -> Option<Vec<String>> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    v.as_array()?
        .iter()
        .map(|s| s.as_str().map(str::to_owned))
        .collect()
}

pub fn encode_tags(tags: &[Tag]) -> String {
    let pairs: Vec<serde_json::Value> = tags
        .iter()
        .map(|t| serde_json::Value::from(vec![t.key.clone(), t.value.clone()]))
        .collect();
    serde_json::Value::from(pairs).to_string()
}

pub fn decode_tags(text: &str) -> Option<Vec<Tag>> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    v.as_array()?
        .iter()
        .map(|pair| {
            let pair = pair.as_array()?;
            match pair.as_slice() {
                [k, v] => Some(Tag {
                    key: k.as_str()?.to_owned(),
                    value: v.as_str()?.to_owned(),
                }),
                _ => None,
            }
        })
        .collect()
}
