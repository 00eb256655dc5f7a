//! What the operations make of a `StoreError`: one exhaustive `match` per kind of resource
//! (users, access keys, managed policies, roles, groups, policy holders), with no `_` arm, so that
//! a new `StoreError` variant does not compile until every mapping has decided what it
//! means there. `Backend`, and what the store cannot answer for that kind of resource (a
//! bug in the store or in the caller), become `ServiceFailure` (500) through
//! `IamError::service_failure`, which logs the cause. Plain reads, where no error but
//! `Backend` is expected, use `service::store_failure`.

use crate::error::{ErrorCode, IamError};
use crate::instance_profile::no_such_instance_profile;
use crate::mfa::no_such_mfa_device;
use crate::model::{
    HolderKind, PolicyHolder, TaggedKind, MFA_DEVICES_PER_USER, POLICY_VERSIONS_MAX,
    ROLES_PER_INSTANCE_PROFILE, TAGS_PER_ENTITY,
};
use crate::policy::{no_such_policy, not_attachable};
use crate::role::no_such_role;
use crate::service::key_quota_exceeded;
use crate::store::StoreError;

fn already_exists(message: String) -> IamError {
    IamError::new(ErrorCode::EntityAlreadyExists, message)
}

fn delete_conflict(message: &str) -> IamError {
    IamError::new(ErrorCode::DeleteConflict, message)
}

/// Operations on a user: `user_name` is the user the call names; `taken_name` is the name a
/// create or rename would give it (`AlreadyExists`).
pub(crate) fn user_error(e: StoreError, user_name: &str, taken_name: &str) -> IamError {
    match e {
        StoreError::NoSuchUser => IamError::no_such_user(user_name),
        StoreError::AlreadyExists => {
            already_exists(format!("User with name {taken_name} already exists."))
        }
        StoreError::UserHasLoginProfile => {
            delete_conflict("Cannot delete entity, must delete login profile first.")
        }
        StoreError::UserHasAccessKeys => {
            delete_conflict("Cannot delete entity, must delete access keys first.")
        }
        StoreError::UserHasAttachedPolicies => {
            delete_conflict("Cannot delete entity, must detach all policies first.")
        }
        StoreError::UserHasInlinePolicies => {
            delete_conflict("Cannot delete entity, must delete policies first.")
        }
        StoreError::UserInGroups => {
            delete_conflict("Cannot delete entity, must remove users from group first.")
        }
        StoreError::UserHasMfaDevices => {
            delete_conflict("Cannot delete entity, must delete MFA device first.")
        }
        StoreError::UserHasServiceCredentials => {
            delete_conflict("Cannot delete entity, must remove service specific credentials first.")
        }
        // AWS's recorded text for a user with SSH keys; for signing certificates it is
        // UNCONFIRMED, and taken to be the same.
        StoreError::UserHasPublicCredentials(_) => {
            delete_conflict("Cannot delete entity, must remove referenced objects first.")
        }
        StoreError::Backend(_)
        | StoreError::NoSuchPublicCredential
        | StoreError::PublicCredentialQuotaExceeded
        | StoreError::DuplicatePublicCredential
        | StoreError::NoSuchServerCertificate
        | StoreError::ServerCertificateQuotaExceeded
        | StoreError::NoSuchMfaDevice
        | StoreError::MfaDeviceInUse
        | StoreError::MfaDeviceQuotaExceeded
        | StoreError::NoSuchServiceCredential
        | StoreError::ServiceCredentialQuotaExceeded
        | StoreError::NoSuchAccessKey
        | StoreError::KeyQuotaExceeded
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
        | StoreError::NoSuchLoginProfile => IamError::service_failure(&e),
    }
}

/// Operations on an owner's access keys: `user_name` is the owner's name (empty for root),
/// `access_key_id` the key the call names (empty when it names none).
pub(crate) fn access_key_error(e: StoreError, user_name: &str, access_key_id: &str) -> IamError {
    match e {
        StoreError::NoSuchUser => IamError::no_such_user(user_name),
        StoreError::NoSuchAccessKey => IamError::no_such_access_key(access_key_id),
        StoreError::KeyQuotaExceeded => key_quota_exceeded(),
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
        | StoreError::AlreadyExists
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

/// Operations on a managed policy and its versions: `arn` as the caller gave it, `name` the
/// policy's name (`AlreadyExists`), `version_id` the version the call names (empty when it
/// names none).
pub(crate) fn managed_policy_error(
    e: StoreError,
    arn: &str,
    name: &str,
    version_id: &str,
) -> IamError {
    match e {
        StoreError::NoSuchPolicy => no_such_policy(arn),
        StoreError::AlreadyExists => already_exists(format!(
            "A policy called {name} already exists. Duplicate names are not allowed."
        )),
        StoreError::NoSuchPolicyVersion => IamError::new(
            ErrorCode::NoSuchEntity,
            format!("Policy {arn} version {version_id} does not exist or is not attachable."),
        ),
        StoreError::PolicyVersionsExceeded => IamError::new(
            ErrorCode::LimitExceeded,
            format!(
                "A managed policy can have up to {POLICY_VERSIONS_MAX} versions. Before you create a new version, you must delete an existing version."
            ),
        ),
        // AWS answers a policy in use as a boundary as it does an attached one.
        StoreError::PolicyAttached | StoreError::PolicyInUseAsBoundary => {
            delete_conflict("Cannot delete a policy attached to entities.")
        }
        StoreError::PolicyHasVersions => delete_conflict(
            "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
        ),
        StoreError::DefaultPolicyVersion => {
            delete_conflict("Cannot delete the default version of a policy.")
        }
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
        | StoreError::KeyQuotaExceeded
        | StoreError::UserHasAccessKeys
        | StoreError::UserHasInlinePolicies
        | StoreError::UserHasAttachedPolicies
        | StoreError::NoSuchRole
        | StoreError::RoleHasInlinePolicies
        | StoreError::RoleHasAttachedPolicies
        | StoreError::PolicyNotAttached
        | StoreError::PolicySizeExceeded
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

/// Account alias operations: `alias` is the alias the call names.
pub(crate) fn account_alias_error(e: StoreError, alias: &str) -> IamError {
    match e {
        StoreError::AlreadyExists => {
            already_exists(format!("The account alias {alias} already exists."))
        }
        StoreError::NoSuchAccountAlias => IamError::new(
            ErrorCode::NoSuchEntity,
            format!("The account alias {alias} cannot be found."),
        ),
        StoreError::Backend(_)
        | StoreError::NoSuchRole
        | StoreError::RoleInInstanceProfile
        | StoreError::RoleHasAttachedPolicies
        | StoreError::RoleHasInlinePolicies
        | StoreError::NoSuchUser
        | StoreError::NoSuchAccessKey
        | StoreError::KeyQuotaExceeded
        | StoreError::UserHasAccessKeys
        | StoreError::UserHasInlinePolicies
        | StoreError::UserHasAttachedPolicies
        | StoreError::NoSuchPolicy
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
        | StoreError::InstanceProfileRolesExceeded
        | StoreError::RoleNotInInstanceProfile
        | StoreError::TagQuotaExceeded
        | StoreError::NoSuchOidcProvider
        | StoreError::OidcProviderQuotaExceeded
        | StoreError::NoSuchSamlProvider
        | StoreError::SamlProviderQuotaExceeded
        | StoreError::OidcClientIdQuotaExceeded
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
        | StoreError::NoSuchLoginProfile
        | StoreError::UserHasLoginProfile => IamError::service_failure(&e),
    }
}

/// Operations on a role (not its policies: `holder_error`).
pub(crate) fn role_error(e: StoreError, role_name: &str) -> IamError {
    match e {
        StoreError::NoSuchRole => no_such_role(role_name),
        StoreError::AlreadyExists => {
            already_exists(format!("Role with name {role_name} already exists."))
        }
        StoreError::RoleInInstanceProfile => delete_conflict(REMOVE_ROLES_FIRST),
        StoreError::RoleHasAttachedPolicies => {
            delete_conflict("Cannot delete entity, must detach all policies first.")
        }
        StoreError::RoleHasInlinePolicies => {
            delete_conflict("Cannot delete entity, must delete policies first.")
        }
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
        | StoreError::NoSuchLoginProfile
        | StoreError::UserHasLoginProfile
        | StoreError::NoSuchUser
        | StoreError::NoSuchAccessKey
        | StoreError::KeyQuotaExceeded
        | StoreError::UserHasAccessKeys
        | StoreError::UserHasInlinePolicies
        | StoreError::UserHasAttachedPolicies
        | StoreError::NoSuchPolicy
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
        | StoreError::InstanceProfileRolesExceeded
        | StoreError::RoleNotInInstanceProfile
        | StoreError::TagQuotaExceeded
        | StoreError::NoSuchOidcProvider
        | StoreError::OidcProviderQuotaExceeded
        | StoreError::NoSuchSamlProvider
        | StoreError::SamlProviderQuotaExceeded
        | StoreError::OidcClientIdQuotaExceeded
        | StoreError::NoSuchAccountAlias => IamError::service_failure(&e),
    }
}

/// AWS's DeleteConflict for a role in an instance profile, and for a profile with a role.
const REMOVE_ROLES_FIRST: &str =
    "Cannot delete entity, must remove roles from instance profile first.";

/// Operations on an instance profile and its roles: `name` is the profile the call names,
/// `role_name` the role it names (empty when it names none).
pub(crate) fn instance_profile_error(e: StoreError, name: &str, role_name: &str) -> IamError {
    match e {
        StoreError::NoSuchInstanceProfile => no_such_instance_profile(name),
        StoreError::NoSuchRole => no_such_role(role_name),
        StoreError::AlreadyExists if role_name.is_empty() => {
            already_exists(format!("Instance Profile {name} already exists."))
        }
        StoreError::AlreadyExists => already_exists(format!(
            "The role with name {role_name} is already associated with instance profile {name}."
        )),
        StoreError::InstanceProfileHasRoles => delete_conflict(REMOVE_ROLES_FIRST),
        StoreError::InstanceProfileRolesExceeded => IamError::new(
            ErrorCode::LimitExceeded,
            format!(
                "Cannot exceed quota for InstanceSessionsPerInstanceProfile: {ROLES_PER_INSTANCE_PROFILE}"
            ),
        ),
        StoreError::RoleNotInInstanceProfile => no_such_role(role_name),
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
        | StoreError::TagQuotaExceeded
        | StoreError::NoSuchOidcProvider
        | StoreError::OidcProviderQuotaExceeded
        | StoreError::NoSuchSamlProvider
        | StoreError::SamlProviderQuotaExceeded
        | StoreError::OidcClientIdQuotaExceeded
        | StoreError::NoSuchLoginProfile
        | StoreError::UserHasLoginProfile
        | StoreError::NoSuchUser
        | StoreError::NoSuchAccessKey
        | StoreError::KeyQuotaExceeded
        | StoreError::UserHasAccessKeys
        | StoreError::UserHasInlinePolicies
        | StoreError::UserHasAttachedPolicies
        | StoreError::NoSuchPolicy
        | StoreError::RoleHasInlinePolicies
        | StoreError::RoleHasAttachedPolicies
        | StoreError::RoleInInstanceProfile
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
        | StoreError::NoSuchAccountAlias => IamError::service_failure(&e),
    }
}

/// Tag operations on an entity: `name` is the entity as the caller named it (a user, role or
/// instance profile name, or a policy's ARN).
pub(crate) fn tag_error(e: StoreError, kind: TaggedKind, name: &str) -> IamError {
    let missing = |e: StoreError| match (kind, &e) {
        (TaggedKind::User, StoreError::NoSuchUser) => IamError::no_such_user(name),
        (TaggedKind::Role, StoreError::NoSuchRole) => no_such_role(name),
        (TaggedKind::Policy, StoreError::NoSuchPolicy) => no_such_policy(name),
        (TaggedKind::InstanceProfile, StoreError::NoSuchInstanceProfile) => {
            no_such_instance_profile(name)
        }
        (TaggedKind::MfaDevice, StoreError::NoSuchMfaDevice) => no_such_mfa_device(name),
        (TaggedKind::ServerCertificate, StoreError::NoSuchServerCertificate) => {
            crate::server_certificate::no_such_server_certificate(name)
        }
        _ => IamError::service_failure(&e),
    };
    match e {
        StoreError::TagQuotaExceeded => IamError::new(
            ErrorCode::LimitExceeded,
            format!("The number of tags has reached the maximum limit of {TAGS_PER_ENTITY}."),
        ),
        StoreError::NoSuchUser
        | StoreError::NoSuchRole
        | StoreError::NoSuchPolicy
        | StoreError::NoSuchInstanceProfile
        | StoreError::NoSuchMfaDevice
        | StoreError::NoSuchServerCertificate => missing(e),
        StoreError::Backend(_)
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
        | StoreError::ServerCertificateQuotaExceeded
        | StoreError::NoSuchAccessKey
        | StoreError::AlreadyExists
        | StoreError::KeyQuotaExceeded
        | StoreError::UserHasAccessKeys
        | StoreError::UserHasInlinePolicies
        | StoreError::UserHasAttachedPolicies
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
        | StoreError::InstanceProfileHasRoles
        | StoreError::RoleInInstanceProfile
        | StoreError::InstanceProfileRolesExceeded
        | StoreError::RoleNotInInstanceProfile
        | StoreError::NoSuchGroup
        | StoreError::GroupQuotaExceeded
        | StoreError::GroupsPerUserExceeded
        | StoreError::NotInGroup
        | StoreError::UserInGroups
        | StoreError::GroupHasMembers
        | StoreError::GroupHasInlinePolicies
        | StoreError::GroupHasAttachedPolicies
        | StoreError::AttachmentQuotaExceeded
        | StoreError::NoSuchAccountAlias
        | StoreError::NoSuchOidcProvider
        | StoreError::OidcProviderQuotaExceeded
        | StoreError::NoSuchSamlProvider
        | StoreError::SamlProviderQuotaExceeded
        | StoreError::OidcClientIdQuotaExceeded
        | StoreError::NoSuchLoginProfile
        | StoreError::UserHasLoginProfile => IamError::service_failure(&e),
    }
}

/// The policy a holder operation names.
#[derive(Debug, Clone, Copy)]
pub(crate) enum HolderPolicy<'a> {
    /// None: listings.
    None,
    /// An inline policy, by name.
    Inline(&'a str),
    /// A managed policy being attached, by ARN.
    Attach(&'a str),
    /// A managed policy being detached, by ARN.
    Detach(&'a str),
}

/// NoSuchEntity for a holder, in AWS's words for its kind.
pub(crate) fn no_such_holder(holder: PolicyHolder<'_>) -> IamError {
    match holder.kind {
        HolderKind::User => IamError::no_such_user(holder.name),
        HolderKind::Role => no_such_role(holder.name),
        HolderKind::Group => no_such_group(holder.name),
    }
}

/// NoSuchEntity for a holder's inline policy, in AWS's words for its kind.
pub(crate) fn no_such_inline_policy(kind: HolderKind, policy_name: &str) -> IamError {
    IamError::new(
        ErrorCode::NoSuchEntity,
        format!(
            "The {} policy with name {policy_name} cannot be found.",
            kind.as_str()
        ),
    )
}

/// Operations on a holder's inline policies and attachments. `holder` as the caller named
/// it; `stored_name` and `inline_max` word `PolicySizeExceeded`.
pub(crate) fn holder_error(
    e: StoreError,
    holder: PolicyHolder<'_>,
    stored_name: &str,
    inline_max: usize,
    policy: HolderPolicy<'_>,
) -> IamError {
    let missing_holder = || no_such_holder(holder);
    match e {
        StoreError::NoSuchUser => match holder.kind {
            HolderKind::User => missing_holder(),
            HolderKind::Role | HolderKind::Group => IamError::service_failure(&e),
        },
        StoreError::NoSuchRole => match holder.kind {
            HolderKind::Role => missing_holder(),
            HolderKind::User | HolderKind::Group => IamError::service_failure(&e),
        },
        StoreError::NoSuchGroup => match holder.kind {
            HolderKind::Group => missing_holder(),
            HolderKind::User | HolderKind::Role => IamError::service_failure(&e),
        },
        StoreError::AttachmentQuotaExceeded => {
            let quota = match holder.kind {
                HolderKind::User => "PoliciesPerUser",
                HolderKind::Role => "PoliciesPerRole",
                HolderKind::Group => "PoliciesPerGroup",
            };
            limit_exceeded(quota, crate::holder::attached_max(holder.kind))
        }
        StoreError::NoSuchPolicy => match policy {
            HolderPolicy::Inline(name) => no_such_inline_policy(holder.kind, name),
            HolderPolicy::Attach(arn) => not_attachable(arn),
            HolderPolicy::Detach(arn) => no_such_policy(arn),
            HolderPolicy::None => IamError::service_failure(&e),
        },
        StoreError::PolicyNotAttached => match policy {
            HolderPolicy::Detach(arn) => no_such_policy(arn),
            HolderPolicy::None | HolderPolicy::Inline(_) | HolderPolicy::Attach(_) => {
                IamError::service_failure(&e)
            }
        },
        StoreError::PolicySizeExceeded => IamError::new(
            ErrorCode::LimitExceeded,
            format!(
                "Maximum policy size of {inline_max} bytes exceeded for {} {stored_name}",
                holder.kind.as_str()
            ),
        ),
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
        | StoreError::NoSuchAccessKey
        | StoreError::AlreadyExists
        | StoreError::KeyQuotaExceeded
        | StoreError::UserHasAccessKeys
        | StoreError::UserHasInlinePolicies
        | StoreError::UserHasAttachedPolicies
        | StoreError::RoleHasInlinePolicies
        | StoreError::RoleHasAttachedPolicies
        | StoreError::NoSuchPolicyVersion
        | StoreError::PolicyVersionsExceeded
        | StoreError::PolicyAttached
        | StoreError::PolicyInUseAsBoundary
        | StoreError::PolicyHasVersions
        | StoreError::DefaultPolicyVersion
        | StoreError::GroupQuotaExceeded
        | StoreError::GroupsPerUserExceeded
        | StoreError::NotInGroup
        | StoreError::UserInGroups
        | StoreError::GroupHasMembers
        | StoreError::GroupHasInlinePolicies
        | StoreError::GroupHasAttachedPolicies
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

/// NoSuchEntity for a group, in AWS's words.
pub(crate) fn no_such_group(name: &str) -> IamError {
    IamError::new(
        ErrorCode::NoSuchEntity,
        format!("The group with name {name} cannot be found."),
    )
}

/// LimitExceeded for one of AWS's named quotas.
fn limit_exceeded(quota: &str, max: usize) -> IamError {
    IamError::new(
        ErrorCode::LimitExceeded,
        format!("Cannot exceed quota for {quota}: {max}"),
    )
}

/// Operations on a group and its members: `group_name` and `user_name` are what the call
/// names (empty when it names no user); `taken_name` is the name a create or rename would
/// give the group (`AlreadyExists`).
pub(crate) fn group_error(
    e: StoreError,
    group_name: &str,
    user_name: &str,
    taken_name: &str,
) -> IamError {
    match e {
        StoreError::NoSuchGroup => no_such_group(group_name),
        // Removing a user that is not in the group: the membership is the missing entity.
        StoreError::NoSuchUser | StoreError::NotInGroup => IamError::no_such_user(user_name),
        StoreError::AlreadyExists => {
            already_exists(format!("Group with name {taken_name} already exists."))
        }
        StoreError::GroupQuotaExceeded => {
            limit_exceeded("GroupsPerAccount", crate::model::GROUPS_PER_ACCOUNT)
        }
        StoreError::GroupsPerUserExceeded => {
            limit_exceeded("GroupsPerUser", crate::model::GROUPS_PER_USER)
        }
        StoreError::GroupHasMembers => {
            delete_conflict("Cannot delete entity, must remove users from group first.")
        }
        StoreError::GroupHasAttachedPolicies => {
            delete_conflict("Cannot delete entity, must detach all policies first.")
        }
        StoreError::GroupHasInlinePolicies => {
            delete_conflict("Cannot delete entity, must delete policies first.")
        }
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
        | StoreError::NoSuchAccessKey
        | StoreError::KeyQuotaExceeded
        | StoreError::UserHasAccessKeys
        | StoreError::UserHasInlinePolicies
        | StoreError::UserHasAttachedPolicies
        | StoreError::UserInGroups
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

/// Operations on virtual MFA devices: `serial_number` is the device the call names,
/// `user_name` the user it names (empty when it names none).
pub(crate) fn mfa_error(e: StoreError, serial_number: &str, user_name: &str) -> IamError {
    match e {
        StoreError::NoSuchUser => IamError::no_such_user(user_name),
        StoreError::NoSuchMfaDevice => no_such_mfa_device(serial_number),
        StoreError::AlreadyExists => {
            already_exists("MFADevice entity at the same path and name already exists.".into())
        }
        // Enabling a device that is some user's (or whose codes were used meanwhile).
        StoreError::MfaDeviceInUse if !user_name.is_empty() => {
            already_exists("MFA Device is already in use.".into())
        }
        // Deleting a device that is some user's.
        StoreError::MfaDeviceInUse => {
            delete_conflict("MFA VirtualDevice in use. Must deactivate first.")
        }
        StoreError::MfaDeviceQuotaExceeded => {
            limit_exceeded("MFADevicesPerUser", MFA_DEVICES_PER_USER)
        }
        StoreError::Backend(_)
        | StoreError::NoSuchAccountAlias
        | StoreError::NoSuchOidcProvider
        | StoreError::OidcProviderQuotaExceeded
        | StoreError::NoSuchSamlProvider
        | StoreError::SamlProviderQuotaExceeded
        | StoreError::OidcClientIdQuotaExceeded
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
        | StoreError::NoSuchLoginProfile
        | StoreError::UserHasLoginProfile
        | StoreError::NoSuchAccessKey
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
        | StoreError::TagQuotaExceeded => IamError::service_failure(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_mistakes_are_never_500s() {
        let user = |e| user_error(e, "alice", "bob").code;
        assert_eq!(user(StoreError::NoSuchUser), ErrorCode::NoSuchEntity);
        assert_eq!(
            user(StoreError::AlreadyExists),
            ErrorCode::EntityAlreadyExists
        );
        assert_eq!(
            user(StoreError::UserHasAccessKeys),
            ErrorCode::DeleteConflict
        );
        let key = |e| access_key_error(e, "alice", "AKIA").code;
        assert_eq!(key(StoreError::NoSuchAccessKey), ErrorCode::NoSuchEntity);
        assert_eq!(key(StoreError::KeyQuotaExceeded), ErrorCode::LimitExceeded);
        let policy = |e| managed_policy_error(e, "arn", "p", "v2").code;
        assert_eq!(
            policy(StoreError::NoSuchPolicyVersion),
            ErrorCode::NoSuchEntity
        );
        assert_eq!(
            policy(StoreError::DefaultPolicyVersion),
            ErrorCode::DeleteConflict
        );
        assert_eq!(
            policy(StoreError::PolicyVersionsExceeded),
            ErrorCode::LimitExceeded
        );
        let group = |e| group_error(e, "devs", "alice", "devs").code;
        assert_eq!(group(StoreError::NoSuchGroup), ErrorCode::NoSuchEntity);
        assert_eq!(group(StoreError::NotInGroup), ErrorCode::NoSuchEntity);
        assert_eq!(
            group(StoreError::AlreadyExists),
            ErrorCode::EntityAlreadyExists
        );
        assert_eq!(
            group(StoreError::GroupsPerUserExceeded),
            ErrorCode::LimitExceeded
        );
        assert_eq!(
            group(StoreError::GroupQuotaExceeded),
            ErrorCode::LimitExceeded
        );
        assert_eq!(
            group(StoreError::GroupHasMembers),
            ErrorCode::DeleteConflict
        );
        assert_eq!(user(StoreError::UserInGroups), ErrorCode::DeleteConflict);
        let role = |e| role_error(e, "ops").code;
        assert_eq!(role(StoreError::NoSuchRole), ErrorCode::NoSuchEntity);
        assert_eq!(
            role(StoreError::RoleInInstanceProfile),
            ErrorCode::DeleteConflict
        );
        for kind in TaggedKind::ALL {
            assert_eq!(
                tag_error(kind.missing(), kind, "x").code,
                ErrorCode::NoSuchEntity
            );
            assert_eq!(
                tag_error(StoreError::TagQuotaExceeded, kind, "x").code,
                ErrorCode::LimitExceeded
            );
        }
        let profile = |e| instance_profile_error(e, "web", "ops").code;
        assert_eq!(
            profile(StoreError::NoSuchInstanceProfile),
            ErrorCode::NoSuchEntity
        );
        assert_eq!(
            profile(StoreError::InstanceProfileRolesExceeded),
            ErrorCode::LimitExceeded
        );
        assert_eq!(
            profile(StoreError::InstanceProfileHasRoles),
            ErrorCode::DeleteConflict
        );
        assert_eq!(
            profile(StoreError::AlreadyExists),
            ErrorCode::EntityAlreadyExists
        );
        assert_eq!(
            role(StoreError::RoleHasInlinePolicies),
            ErrorCode::DeleteConflict
        );
        let holder =
            |e, kind, policy| holder_error(e, PolicyHolder::new(kind, "x"), "X", 2048, policy).code;
        for kind in HolderKind::ALL {
            assert_eq!(
                holder(kind.missing(), kind, HolderPolicy::None),
                ErrorCode::NoSuchEntity
            );
            assert_eq!(
                holder(
                    StoreError::PolicySizeExceeded,
                    kind,
                    HolderPolicy::Inline("p")
                ),
                ErrorCode::LimitExceeded
            );
            assert_eq!(
                holder(
                    StoreError::PolicyNotAttached,
                    kind,
                    HolderPolicy::Detach("arn")
                ),
                ErrorCode::NoSuchEntity
            );
        }
    }

    #[test]
    fn storage_failures_and_impossible_answers_are_500s() {
        let backend = || StoreError::Backend("disk on fire".into());
        assert_eq!(
            user_error(backend(), "a", "a").code,
            ErrorCode::ServiceFailure
        );
        assert_eq!(
            access_key_error(backend(), "a", "k").code,
            ErrorCode::ServiceFailure
        );
        assert_eq!(
            managed_policy_error(backend(), "arn", "p", "").code,
            ErrorCode::ServiceFailure
        );
        assert_eq!(role_error(backend(), "r").code, ErrorCode::ServiceFailure);
        // A role's error from a user's policy operation is the store's bug, not the client's.
        assert_eq!(
            holder_error(
                StoreError::NoSuchRole,
                PolicyHolder::user("alice"),
                "alice",
                2048,
                HolderPolicy::None
            )
            .code,
            ErrorCode::ServiceFailure
        );
    }
}
