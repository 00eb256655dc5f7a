//! The IAM service: the operations, run against a `Store` after authentication, each with
//! an authorization step before it touches any resource.

use std::sync::Arc;

use crate::authz::{Authorizer, Resource};
pub use crate::context::{RequestContext, Via};
use crate::error::{ErrorCode, IamError};
use crate::model::{KeyOwner, User};
use crate::principal::Principal;
use crate::secret::Keyring;
use crate::store::{Store, StoreError};
use crate::usage::UsageRecorder;

pub struct Iam {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) authorizer: Arc<dyn Authorizer>,
    pub(crate) usage: Arc<UsageRecorder>,
    /// The master keys that seal the secrets this service stores and open the ones it reads.
    pub(crate) keyring: Arc<Keyring>,
    /// Where OIDC issuers' signing keys come from (AssumeRoleWithWebIdentity); without
    /// one, web identity tokens are refused with IDPCommunicationError.
    pub(crate) issuer_keys: Option<Arc<dyn crate::oidc::IssuerKeys>>,
    /// The credential reports this node generated (`credential_report`).
    pub(crate) reports: crate::credential_report::Reports,
}

/// The user an operation acts on: named explicitly, or the caller itself.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    Root,
    User(User),
}

impl Target {
    pub(crate) fn owner(&self) -> KeyOwner {
        match self {
            Target::Root => KeyOwner::Root,
            Target::User(u) => u.owner(),
        }
    }

    pub(crate) fn user_name(&self) -> Option<&str> {
        match self {
            Target::Root => None,
            Target::User(u) => Some(&u.user_name),
        }
    }
}

impl Iam {
    pub fn new(
        store: Arc<dyn Store>,
        authorizer: Arc<dyn Authorizer>,
        usage: Arc<UsageRecorder>,
        keyring: Arc<Keyring>,
    ) -> Self {
        Iam {
            store,
            authorizer,
            usage,
            keyring,
            issuer_keys: None,
            reports: Default::default(),
        }
    }

    /// The source of OIDC issuers' keys (the binary's HTTPS fetcher and cache).
    pub fn with_issuer_keys(mut self, keys: Arc<dyn crate::oidc::IssuerKeys>) -> Self {
        self.issuer_keys = Some(keys);
        self
    }

    pub fn keyring(&self) -> &Arc<Keyring> {
        &self.keyring
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn usage(&self) -> &Arc<UsageRecorder> {
        &self.usage
    }

    pub(crate) async fn authorize(
        &self,
        ctx: &RequestContext,
        action: &str,
        resource: &Resource,
    ) -> Result<(), IamError> {
        self.authorizer.authorize(ctx, action, resource).await
    }

    pub fn authorizer(&self) -> &Arc<dyn Authorizer> {
        &self.authorizer
    }

    pub(crate) fn user_resource(ctx: &RequestContext, path: &str, name: &str) -> Resource {
        Resource {
            arn: Self::user_arn(ctx, path, name),
            describe: format!("user {name}"),
            keys: Vec::new(),
        }
    }

    pub(crate) fn user_arn(ctx: &RequestContext, path: &str, name: &str) -> String {
        format!(
            "arn:aws:iam::{}:user{path}{name}",
            ctx.principal.account_id()
        )
    }

    /// Authorizes `action` on the user named `name`, whether `found` (the user, with what
    /// else was read along with it) or not: AWS answers AccessDenied before NoSuchEntity.
    pub(crate) async fn named_user<T>(
        &self,
        ctx: &RequestContext,
        name: &str,
        action: &str,
        found: Option<(User, T)>,
    ) -> Result<(User, T), IamError> {
        let resource = match &found {
            Some((user, _)) => Resource::user(user),
            None => Resource::user_named(ctx.principal.account_id(), name),
        };
        self.authorize(ctx, action, &resource).await?;
        found.ok_or_else(|| IamError::no_such_user(name))
    }

    /// Resolves the user an operation with an optional `UserName` acts on (§2.4 of the spec):
    /// the named user, or the caller's own identity, authorizing `action` on it.
    pub(crate) async fn target(
        &self,
        ctx: &RequestContext,
        user_name: Option<&str>,
        action: &str,
    ) -> Result<Target, IamError> {
        let account = ctx.principal.account_id();
        match (user_name, &ctx.principal) {
            (Some(name), _) => {
                let user = self
                    .store
                    .get_user(account, name)
                    .await
                    .map_err(store_failure)?;
                let (user, ()) = self
                    .named_user(ctx, name, action, user.map(|u| (u, ())))
                    .await?;
                Ok(Target::User(user))
            }
            (None, Principal::Root { .. }) => Ok(Target::Root),
            (None, Principal::RoleSession(_) | Principal::FederatedUser(_)) => {
                Err(non_user_credentials())
            }
            (None, Principal::User(me)) => {
                self.authorize(ctx, action, &Resource::user(me)).await?;
                Ok(Target::User(me.clone()))
            }
        }
    }
}

/// Maps a storage error that the calling operation did not expect to a 500. Only backend
/// failures should reach here; anything else is a bug and is reported the same way.
pub(crate) fn store_failure(e: StoreError) -> IamError {
    match e {
        StoreError::Backend(_)
        | StoreError::NoSuchMfaDevice
        | StoreError::MfaDeviceInUse
        | StoreError::MfaDeviceQuotaExceeded
        | StoreError::UserHasMfaDevices
        | StoreError::NoSuchServiceCredential
        | StoreError::ServiceCredentialQuotaExceeded
        | StoreError::UserHasServiceCredentials
        | StoreError::NoSuchPublicCredential
        | StoreError::PublicCredentialQuotaExceeded
        | StoreError::DuplicatePublicCredential
        | StoreError::UserHasPublicCredentials(_)
        | StoreError::NoSuchServerCertificate
        | StoreError::ServerCertificateQuotaExceeded
        | StoreError::NoSuchUser
        | StoreError::NoSuchAccessKey
        | StoreError::AlreadyExists
        | StoreError::KeyQuotaExceeded
        | StoreError::UserHasAccessKeys
        | StoreError::UserHasInlinePolicies
        | StoreError::UserHasAttachedPolicies
        | StoreError::NoSuchPolicy
        | StoreError::NoSuchRole
        | StoreError::RoleHasInlinePolicies
        | StoreError::RoleHasAttachedPolicies
        | StoreError::NoSuchPolicyVersion
        | StoreError::PolicyNotAttached
        | StoreError::PolicySizeExceeded
        | StoreError::PolicyVersionsExceeded
        | StoreError::PolicyAttached
        | StoreError::PolicyInUseAsBoundary
        | StoreError::PolicyHasVersions
        | StoreError::DefaultPolicyVersion
        | StoreError::NoSuchGroup
        | StoreError::GroupQuotaExceeded
        | StoreError::GroupsPerUserExceeded
        | StoreError::NotInGroup
        | StoreError::UserInGroups
        | StoreError::GroupHasMembers
        | StoreError::GroupHasInlinePolicies
        | StoreError::GroupHasAttachedPolicies
        | StoreError::AttachmentQuotaExceeded
        | StoreError::NoSuchInstanceProfile
        | StoreError::InstanceProfileHasRoles
        | StoreError::RoleInInstanceProfile
        | StoreError::InstanceProfileRolesExceeded
        | StoreError::RoleNotInInstanceProfile
        | StoreError::TagQuotaExceeded
        | StoreError::NoSuchOidcProvider
        | StoreError::OidcProviderQuotaExceeded
        | StoreError::NoSuchSamlProvider
        | StoreError::SamlProviderQuotaExceeded
        | StoreError::OidcClientIdQuotaExceeded
        | StoreError::NoSuchAccountAlias
        | StoreError::NoSuchLoginProfile
        | StoreError::UserHasLoginProfile => IamError::service_failure(&e),
    }
}

/// A call that acts on "the caller" made with role credentials, which have no user.
pub(crate) fn non_user_credentials() -> IamError {
    IamError::validation("Must specify userName when calling with non-User credentials")
}

pub(crate) fn key_quota_exceeded() -> IamError {
    IamError::new(
        ErrorCode::LimitExceeded,
        format!(
            "Cannot exceed quota for AccessKeysPerUser: {}",
            crate::model::ACCESS_KEYS_PER_USER
        ),
    )
}
