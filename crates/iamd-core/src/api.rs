//! The operations iamd serves, as the generated `Handler` names them: each takes the typed
//! input the protocol layer decoded and checked against the model, runs the domain
//! operation, and returns the model's output type. Every other operation of the models
//! answers the trait's default, `NotImplemented`.

use iamd_protocol::decode::Invalid;
use iamd_protocol::encode::encode_document;
use iamd_protocol::generated::Handler;
use iamd_protocol::{iam, sts};
use zeroize::Zeroizing;

use crate::access_key::ListAccessKeysInput;
use crate::error::{ErrorCode, IamError};
use crate::instance_profile::CreateInstanceProfileInput;
use crate::mfa::CreateVirtualMfaDeviceInput;
use crate::model::{
    self, AccessKey, DeletionStatus, InstanceProfile, KeyStatus, ManagedPolicy, PolicyHolder,
    PolicyVersion, PublicCredential, PublicCredentialKind, Role, RoleUsage, TaggedKind,
};
use crate::pagination::DEFAULT_MAX_ITEMS;
use crate::policy::{
    ContextEntry, CreatePolicyInput, ListPoliciesInput, Page, PolicyScope, PolicyUsage,
    SimulateInput,
};
use crate::public_key::KeyEncoding;
use crate::role::CreateRoleInput;
use crate::server_certificate::UploadServerCertificateInput;
use crate::service::{Iam, RequestContext};
use crate::sts::{AssumeRoleInput, GetFederationTokenInput, GetSessionTokenInput};
use crate::user::{CreateUserInput, GetUserOutput, ListUsersInput, UpdateUserInput};

impl From<Invalid> for IamError {
    fn from(e: Invalid) -> Self {
        match e {
            Invalid::Validation(message) => IamError::new(ErrorCode::ValidationError, message),
            Invalid::NotImplemented(op) => IamError::new(
                ErrorCode::NotImplemented,
                format!("The operation {op} is not implemented by iamd."),
            ),
        }
    }
}

fn max_items(n: Option<i32>) -> usize {
    n.map_or(DEFAULT_MAX_ITEMS, |n| n as usize)
}

/// Tags as given, or InvalidInput when two keys differ only in case.
fn tags(tags: Option<Vec<iam::Tag>>) -> Result<Vec<model::Tag>, IamError> {
    let tags = tags.unwrap_or_default();
    let mut seen = std::collections::HashSet::new();
    if !tags.iter().all(|t| seen.insert(t.key.to_lowercase())) {
        return Err(IamError::new(
            ErrorCode::InvalidInput,
            "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
        ));
    }
    Ok(tags
        .into_iter()
        .map(|t| model::Tag {
            key: t.key,
            value: t.value,
        })
        .collect())
}

fn wire_tags(tags: &[model::Tag]) -> Vec<iam::Tag> {
    tags.iter()
        .map(|t| iam::Tag {
            key: t.key.clone(),
            value: t.value.clone(),
        })
        .collect()
}

/// Tags in an entity's own answer: omitted when there are none.
fn tag_list(tags: &[model::Tag]) -> Option<Vec<iam::Tag>> {
    (!tags.is_empty()).then(|| wire_tags(tags))
}

/// A List*Tags answer's tags, `IsTruncated` and `Marker`.
type TagPage = (Option<Vec<iam::Tag>>, Option<bool>, Option<String>);

/// A page of List*Tags.
fn tag_page(page: Page<model::Tag>) -> TagPage {
    let (is_truncated, marker) = page_end(&page.marker);
    (Some(wire_tags(&page.items)), is_truncated, marker)
}

/// A page of List*Tags over tags held whole (a provider's): the `offset` after `marker`.
fn whole_tag_page(
    operation: &'static str,
    scope: &str,
    marker: Option<&str>,
    tags: Vec<model::Tag>,
    max: Option<i32>,
) -> Result<TagPage, IamError> {
    let listing = crate::pagination::Listing {
        operation,
        scope,
        sorted_by: crate::pagination::SortKey::Offset,
    };
    let (items, marker) = crate::pagination::offset_page(&listing, marker, tags, max_items(max))?;
    Ok(tag_page(Page { items, marker }))
}

fn user(u: &model::User, with_tags: bool) -> iam::User {
    iam::User {
        path: Some(u.path.clone()),
        user_name: Some(u.user_name.clone()),
        user_id: Some(u.user_id.clone()),
        arn: Some(u.arn()),
        create_date: Some(u.create_date),
        password_last_used: None,
        permissions_boundary: None,
        tags: if with_tags { tag_list(&u.tags) } else { None },
    }
}

fn login_profile(user: &model::User, profile: &model::LoginProfile) -> iam::LoginProfile {
    iam::LoginProfile {
        user_name: Some(user.user_name.clone()),
        create_date: Some(profile.create_date),
        password_reset_required: Some(profile.password_reset_required),
        max_signin_session_duration: None,
    }
}

/// A user's or role's permissions boundary as GetUser and GetRole show it.
fn boundary(arn: Option<String>) -> Option<iam::AttachedPermissionsBoundary> {
    arn.map(|arn| iam::AttachedPermissionsBoundary {
        permissions_boundary_type: Some(
            iam::PermissionsBoundaryAttachmentType::PermissionsBoundaryPolicy,
        ),
        permissions_boundary_arn: Some(arn),
    })
}

fn key_status(s: KeyStatus) -> iam::StatusType {
    match s {
        KeyStatus::Active => iam::StatusType::Active,
        KeyStatus::Inactive => iam::StatusType::Inactive,
    }
}

fn server_certificate_metadata(c: &model::ServerCertificate) -> iam::ServerCertificateMetadata {
    iam::ServerCertificateMetadata {
        path: Some(c.path.clone()),
        server_certificate_name: Some(c.name.clone()),
        server_certificate_id: Some(c.server_certificate_id.clone()),
        arn: Some(crate::server_certificate::server_certificate_arn(
            &c.account_id,
            &c.path,
            &c.name,
        )),
        upload_date: Some(c.upload_date),
        expiration: Some(c.expiration),
    }
}

/// A status a request may set (`Expired` is AWS's to give, not the caller's).
fn settable_status(s: iam::StatusType) -> Result<KeyStatus, IamError> {
    match s {
        iam::StatusType::Active => Ok(KeyStatus::Active),
        iam::StatusType::Inactive => Ok(KeyStatus::Inactive),
        iam::StatusType::Expired => Err(IamError::validation("Status Expired cannot be set.")),
    }
}

fn ssh_public_key(k: PublicCredential) -> iam::SSHPublicKey {
    iam::SSHPublicKey {
        user_name: Some(k.user_name),
        ssh_public_key_id: Some(k.credential_id),
        fingerprint: Some(k.fingerprint),
        ssh_public_key_body: Some(k.body),
        status: Some(key_status(k.status)),
        upload_date: Some(k.upload_date),
    }
}

fn signing_certificate(c: PublicCredential) -> iam::SigningCertificate {
    iam::SigningCertificate {
        user_name: Some(c.user_name),
        certificate_id: Some(c.credential_id),
        certificate_body: Some(c.body),
        status: Some(key_status(c.status)),
        upload_date: Some(c.upload_date),
    }
}

fn key_metadata(k: &AccessKey) -> iam::AccessKeyMetadata {
    iam::AccessKeyMetadata {
        user_name: k.user_name.clone(),
        access_key_id: Some(k.access_key_id.clone()),
        status: Some(key_status(k.status)),
        create_date: Some(k.create_date),
    }
}

fn role(r: &Role, with_tags: bool) -> iam::Role {
    iam::Role {
        path: Some(r.path.clone()),
        role_name: Some(r.role_name.clone()),
        role_id: Some(r.role_id.clone()),
        arn: Some(r.arn()),
        create_date: Some(r.create_date),
        assume_role_policy_document: Some(encode_document(&r.assume_role_policy_document)),
        description: r.description.clone(),
        max_session_duration: Some(r.max_session_duration as i32),
        permissions_boundary: None,
        tags: if with_tags { tag_list(&r.tags) } else { None },
        role_last_used: None,
        ..Default::default()
    }
}

/// A service-specific credential as Create/Reset show it, with its password.
fn service_credential(
    c: &model::ServiceCredential,
    password: &crate::secret::SecretKey,
) -> iam::ServiceSpecificCredential {
    iam::ServiceSpecificCredential {
        create_date: Some(c.create_date),
        service_name: Some(c.service_name.clone()),
        service_user_name: Some(c.service_user_name.clone()),
        service_password: Some(password.expose().to_owned()),
        service_specific_credential_id: Some(c.credential_id.clone()),
        user_name: Some(c.user_name.clone()),
        status: Some(key_status(c.status)),
        ..Default::default()
    }
}

/// A service-specific credential as listings show it: no password.
fn service_credential_metadata(
    c: &model::ServiceCredential,
) -> iam::ServiceSpecificCredentialMetadata {
    iam::ServiceSpecificCredentialMetadata {
        user_name: Some(c.user_name.clone()),
        status: Some(key_status(c.status)),
        service_user_name: Some(c.service_user_name.clone()),
        create_date: Some(c.create_date),
        service_specific_credential_id: Some(c.credential_id.clone()),
        service_name: Some(c.service_name.clone()),
        ..Default::default()
    }
}

/// GetRole's `RoleLastUsed`: empty for a role never used, as AWS sends it.
fn role_last_used(used: Option<RoleUsage>) -> iam::RoleLastUsed {
    match used {
        Some(u) => iam::RoleLastUsed {
            last_used_date: Some(u.when),
            region: Some(u.region),
        },
        None => iam::RoleLastUsed::default(),
    }
}

/// An instance profile with its roles; `with_tags` for Create/GetInstanceProfile (listings
/// leave them out, as for roles).
fn instance_profile(p: &InstanceProfile, with_tags: bool) -> iam::InstanceProfile {
    iam::InstanceProfile {
        path: Some(p.path.clone()),
        instance_profile_name: Some(p.instance_profile_name.clone()),
        instance_profile_id: Some(p.instance_profile_id.clone()),
        arn: Some(p.arn()),
        create_date: Some(p.create_date),
        roles: Some(p.roles.iter().map(|r| role(r, false)).collect()),
        tags: if with_tags { tag_list(&p.tags) } else { None },
    }
}

/// A managed policy; `with_description` for Create/GetPolicy (listings leave it out).
fn policy(p: &ManagedPolicy, with_description: bool) -> iam::Policy {
    iam::Policy {
        policy_name: Some(p.policy_name.clone()),
        policy_id: Some(p.policy_id.clone()),
        arn: Some(p.arn()),
        path: Some(p.path.clone()),
        default_version_id: Some(p.default_version_id.clone()),
        attachment_count: Some(p.attachment_count as i32),
        permissions_boundary_usage_count: Some(p.permissions_boundary_usage_count as i32),
        is_attachable: Some(true),
        description: if with_description {
            p.description.clone()
        } else {
            None
        },
        create_date: Some(p.create_date),
        update_date: Some(p.update_date),
        tags: None,
    }
}

fn version(v: &PolicyVersion, with_document: bool) -> iam::PolicyVersion {
    iam::PolicyVersion {
        document: with_document.then(|| encode_document(&v.document)),
        version_id: Some(v.version_id.clone()),
        is_default_version: Some(v.is_default),
        create_date: Some(v.create_date),
    }
}

fn group(g: &model::Group) -> iam::Group {
    iam::Group {
        path: Some(g.path.clone()),
        group_name: Some(g.group_name.clone()),
        group_id: Some(g.group_id.clone()),
        arn: Some(g.arn()),
        create_date: Some(g.create_date),
    }
}

fn attached(p: &ManagedPolicy) -> iam::AttachedPolicy {
    iam::AttachedPolicy {
        policy_name: Some(p.policy_name.clone()),
        policy_arn: Some(p.arn()),
    }
}

/// `IsTruncated` always; `Marker` only when truncated.
fn page_end(marker: &Option<String>) -> (Option<bool>, Option<String>) {
    (Some(marker.is_some()), marker.clone())
}

/// A virtual MFA device as ListVirtualMFADevices and CreateVirtualMFADevice show it (the
/// seed and QR code only in CreateVirtualMFADevice's answer).
fn virtual_mfa_device(d: &model::MfaDevice, with_tags: bool) -> iam::VirtualMFADevice {
    iam::VirtualMFADevice {
        serial_number: Some(d.serial_number.clone()),
        base32_string_seed: None,
        qr_code_png: None,
        user: d.user.as_ref().map(|u| user(u, false)),
        enable_date: d.enable_date,
        tags: if with_tags { tag_list(&d.tags) } else { None },
    }
}

/// A device enabled for a user, as ListMFADevices shows it.
fn mfa_device(d: &model::MfaDevice) -> iam::MFADevice {
    iam::MFADevice {
        user_name: d.user.as_ref().map(|u| u.user_name.clone()),
        serial_number: Some(d.serial_number.clone()),
        enable_date: d.enable_date,
    }
}

fn mfa(serial: Option<String>, code: Option<String>) -> Option<(String, String)> {
    match (serial, code) {
        (None, None) => None,
        (s, c) => Some((s.unwrap_or_default(), c.unwrap_or_default())),
    }
}

fn simulation(page: Page<crate::policy::SimulationResult>) -> iam::SimulatePolicyResponse {
    let (is_truncated, marker) = page_end(&page.marker);
    iam::SimulatePolicyResponse {
        evaluation_results: Some(
            page.items
                .iter()
                .map(|r| iam::EvaluationResult {
                    eval_action_name: Some(r.action.clone()),
                    eval_resource_name: Some(r.resource.clone()),
                    eval_decision: iam::PolicyEvaluationDecisionType::parse(r.decision.as_str()),
                    matched_statements: Some(
                        r.matched
                            .iter()
                            .map(|(id, kind)| iam::Statement {
                                source_policy_id: Some(id.clone()),
                                source_policy_type: iam::PolicySourceType::parse(kind),
                                start_position: None,
                                end_position: None,
                            })
                            .collect(),
                    ),
                    missing_context_values: Some(Vec::new()),
                    organizations_decision_detail: None,
                    permissions_boundary_decision_detail: r.boundary_allowed.map(|allowed| {
                        iam::PermissionsBoundaryDecisionDetail {
                            allowed_by_permissions_boundary: Some(allowed),
                        }
                    }),
                    eval_decision_details: None,
                    resource_specific_results: None,
                })
                .collect(),
        ),
        is_truncated,
        marker,
    }
}

fn context_entries(entries: Option<Vec<iam::ContextEntry>>) -> Vec<ContextEntry> {
    entries
        .unwrap_or_default()
        .into_iter()
        .map(|e| ContextEntry {
            key: e.context_key_name.unwrap_or_default(),
            values: e.context_key_values.unwrap_or_default(),
            kind: e
                .context_key_type
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default(),
        })
        .collect()
}

/// `NotImplemented` with a reason of its own (the trait's default names the operation
/// only).
fn not_implemented(message: &str) -> IamError {
    IamError::new(ErrorCode::NotImplemented, message)
}

/// AssumeRoleWithSAML's answer (it is unsigned: the binary's unsigned path answers this
/// too): verifying a SAML assertion means verifying an XML signature, and no maintained
/// Rust crate does that safely.
fn encryption_mode(mode: &str) -> Option<iam::AssertionEncryptionModeType> {
    iam::AssertionEncryptionModeType::ALL
        .iter()
        .copied()
        .find(|m| m.as_str() == mode)
}

/// An OIDC provider's ContextProvider as the JSON object the store keeps (the wire's
/// member names).
fn context_provider_json(c: &iam::ContextProvider) -> String {
    let keys: Vec<serde_json::Value> = c
        .key_definition_list
        .iter()
        .flatten()
        .map(|k| serde_json::json!({"SourceKey": k.source_key, "TargetKey": k.target_key}))
        .collect();
    serde_json::json!({
        "KeyDefinitionList": c.key_definition_list.as_ref().map(|_| keys),
        "SubjectSourceKey": c.subject_source_key,
        "SubjectTypeValue": c.subject_type_value,
        "SubjectTypeSourceKey": c.subject_type_source_key,
    })
    .to_string()
}

/// The ContextProvider `context_provider_json` kept.
fn context_provider_of(json: &str) -> Option<iam::ContextProvider> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    let text =
        |v: &serde_json::Value, k: &str| v.get(k).and_then(|s| s.as_str()).map(str::to_owned);
    let key_definition_list = match v.get("KeyDefinitionList") {
        Some(serde_json::Value::Array(keys)) => Some(
            keys.iter()
                .map(|k| {
                    Some(iam::ContextProviderKeyDefinition {
                        source_key: text(k, "SourceKey")?,
                        target_key: text(k, "TargetKey"),
                    })
                })
                .collect::<Option<Vec<_>>>()?,
        ),
        _ => None,
    };
    Some(iam::ContextProvider {
        key_definition_list,
        subject_source_key: text(&v, "SubjectSourceKey")?,
        subject_type_value: text(&v, "SubjectTypeValue"),
        subject_type_source_key: text(&v, "SubjectTypeSourceKey"),
    })
}

pub fn saml_not_implemented() -> IamError {
    not_implemented(
        "The operation AssumeRoleWithSAML is not implemented by iamd: verifying a SAML assertion needs an XML signature check, and no maintained Rust library does one safely.",
    )
}

fn credentials(c: crate::sts::SessionCredentials) -> sts::Credentials {
    sts::Credentials {
        access_key_id: Some(c.access_key_id),
        secret_access_key: Some(c.secret_access_key.expose().to_owned()),
        session_token: Some(c.session_token),
        expiration: Some(c.expiration),
    }
}

impl Handler for Iam {
    type Context = RequestContext;
    type Error = IamError;

    // Users.

    async fn create_user(
        &self,
        ctx: &RequestContext,
        input: iam::CreateUserInput,
    ) -> Result<iam::CreateUserOutput, IamError> {
        let bound = input.permissions_boundary.clone();
        let input = CreateUserInput {
            user_name: input.user_name,
            path: input.path,
            permissions_boundary: input.permissions_boundary,
            tags: tags(input.tags)?,
        };
        let created = Iam::create_user(self, ctx, input).await?;
        let mut created = user(&created, true);
        created.permissions_boundary = boundary(bound);
        Ok(iam::CreateUserOutput {
            user: Some(created),
        })
    }

    async fn get_user(
        &self,
        ctx: &RequestContext,
        input: iam::GetUserInput,
    ) -> Result<iam::GetUserOutput, IamError> {
        let user = match Iam::get_user(self, ctx, input.user_name.as_deref()).await? {
            GetUserOutput::User(u) => {
                let arn = self
                    .permissions_boundary(&u.account_id, PolicyHolder::user(&u.user_name))
                    .await?;
                iam::User {
                    permissions_boundary: boundary(arn),
                    password_last_used: self.password_last_used(&u.user_id).await?,
                    ..user(&u, true)
                }
            }
            GetUserOutput::Root {
                account_id,
                arn,
                create_date,
            } => iam::User {
                user_id: Some(account_id),
                arn: Some(arn),
                create_date: Some(create_date),
                ..Default::default()
            },
        };
        Ok(iam::GetUserOutput { user: Some(user) })
    }

    async fn list_users(
        &self,
        ctx: &RequestContext,
        input: iam::ListUsersInput,
    ) -> Result<iam::ListUsersOutput, IamError> {
        let out = Iam::list_users(
            self,
            ctx,
            ListUsersInput {
                path_prefix: input.path_prefix,
                marker: input.marker,
                max_items: max_items(input.max_items),
            },
        )
        .await?;
        let (is_truncated, marker) = page_end(&out.marker);
        let ids: Vec<String> = out.users.iter().map(|u| u.user_id.clone()).collect();
        let used: std::collections::HashMap<String, time::OffsetDateTime> =
            self.password_uses(&ids).await?.into_iter().collect();
        Ok(iam::ListUsersOutput {
            users: Some(
                out.users
                    .iter()
                    .map(|u| iam::User {
                        password_last_used: used.get(&u.user_id).copied(),
                        ..user(u, false)
                    })
                    .collect(),
            ),
            is_truncated,
            marker,
        })
    }

    async fn update_user(
        &self,
        ctx: &RequestContext,
        input: iam::UpdateUserInput,
    ) -> Result<(), IamError> {
        Iam::update_user(
            self,
            ctx,
            UpdateUserInput {
                user_name: input.user_name,
                new_user_name: input.new_user_name,
                new_path: input.new_path,
            },
        )
        .await
    }

    async fn delete_user(
        &self,
        ctx: &RequestContext,
        input: iam::DeleteUserInput,
    ) -> Result<(), IamError> {
        Iam::delete_user(self, ctx, &input.user_name).await
    }

    // Login profiles, the password policy and ChangePassword (`password`). Passwords go
    // into `Zeroizing` buffers as soon as they leave the generated input.

    async fn create_login_profile(
        &self,
        ctx: &RequestContext,
        input: iam::CreateLoginProfileInput,
    ) -> Result<iam::CreateLoginProfileOutput, IamError> {
        let (user, profile) = Iam::create_login_profile(
            self,
            ctx,
            input.user_name.as_deref(),
            input.password.map(Zeroizing::new),
            input.password_reset_required.unwrap_or(false),
        )
        .await?;
        Ok(iam::CreateLoginProfileOutput {
            login_profile: Some(login_profile(&user, &profile)),
        })
    }

    async fn get_login_profile(
        &self,
        ctx: &RequestContext,
        input: iam::GetLoginProfileInput,
    ) -> Result<iam::GetLoginProfileOutput, IamError> {
        let (user, profile) = Iam::get_login_profile(self, ctx, input.user_name.as_deref()).await?;
        Ok(iam::GetLoginProfileOutput {
            login_profile: Some(login_profile(&user, &profile)),
        })
    }

    async fn update_login_profile(
        &self,
        ctx: &RequestContext,
        input: iam::UpdateLoginProfileInput,
    ) -> Result<(), IamError> {
        Iam::update_login_profile(
            self,
            ctx,
            &input.user_name,
            input.password.map(Zeroizing::new),
            input.password_reset_required,
        )
        .await
    }

    async fn delete_login_profile(
        &self,
        ctx: &RequestContext,
        input: iam::DeleteLoginProfileInput,
    ) -> Result<(), IamError> {
        Iam::delete_login_profile(self, ctx, input.user_name.as_deref()).await
    }

    async fn change_password(
        &self,
        ctx: &RequestContext,
        input: iam::ChangePasswordInput,
    ) -> Result<(), IamError> {
        Iam::change_password(
            self,
            ctx,
            Zeroizing::new(input.old_password),
            Zeroizing::new(input.new_password),
        )
        .await
    }

    async fn update_account_password_policy(
        &self,
        ctx: &RequestContext,
        input: iam::UpdateAccountPasswordPolicyInput,
    ) -> Result<(), IamError> {
        let count = |n: Option<i32>| n.and_then(|n| u32::try_from(n).ok());
        // AWS's defaults for what the request leaves out: length 6, no requirement, no
        // expiry, no reuse prevention.
        let policy = model::PasswordPolicy {
            minimum_password_length: count(input.minimum_password_length).unwrap_or(6),
            require_symbols: input.require_symbols.unwrap_or(false),
            require_numbers: input.require_numbers.unwrap_or(false),
            require_uppercase_characters: input.require_uppercase_characters.unwrap_or(false),
            require_lowercase_characters: input.require_lowercase_characters.unwrap_or(false),
            allow_users_to_change_password: input.allow_users_to_change_password.unwrap_or(false),
            max_password_age: count(input.max_password_age),
            password_reuse_prevention: count(input.password_reuse_prevention),
            hard_expiry: input.hard_expiry.unwrap_or(false),
        };
        Iam::update_account_password_policy(self, ctx, policy).await
    }

    async fn get_account_password_policy(
        &self,
        ctx: &RequestContext,
    ) -> Result<iam::GetAccountPasswordPolicyOutput, IamError> {
        let p = Iam::get_account_password_policy(self, ctx).await?;
        let count = |n: Option<u32>| n.map(|n| i32::try_from(n).unwrap_or(i32::MAX));
        Ok(iam::GetAccountPasswordPolicyOutput {
            password_policy: Some(iam::PasswordPolicy {
                minimum_password_length: count(Some(p.minimum_password_length)),
                require_symbols: Some(p.require_symbols),
                require_numbers: Some(p.require_numbers),
                require_uppercase_characters: Some(p.require_uppercase_characters),
                require_lowercase_characters: Some(p.require_lowercase_characters),
                allow_users_to_change_password: Some(p.allow_users_to_change_password),
                expire_passwords: Some(p.max_password_age.is_some_and(|d| d > 0)),
                max_password_age: count(p.max_password_age),
                password_reuse_prevention: count(p.password_reuse_prevention),
                hard_expiry: Some(p.hard_expiry),
            }),
        })
    }

    async fn delete_account_password_policy(&self, ctx: &RequestContext) -> Result<(), IamError> {
        Iam::delete_account_password_policy(self, ctx).await
    }

    // SSH public keys and signing certificates (`public_key`).

    async fn upload_ssh_public_key(
        &self,
        ctx: &RequestContext,
        input: iam::UploadSSHPublicKeyInput,
    ) -> Result<iam::UploadSSHPublicKeyOutput, IamError> {
        let key =
            Iam::upload_ssh_public_key(self, ctx, &input.user_name, &input.ssh_public_key_body)
                .await?;
        Ok(iam::UploadSSHPublicKeyOutput {
            ssh_public_key: Some(ssh_public_key(key)),
        })
    }

    async fn get_ssh_public_key(
        &self,
        ctx: &RequestContext,
        input: iam::GetSSHPublicKeyInput,
    ) -> Result<iam::GetSSHPublicKeyOutput, IamError> {
        let encoding = match input.encoding {
            iam::EncodingType::Ssh => KeyEncoding::Ssh,
            iam::EncodingType::Pem => KeyEncoding::Pem,
        };
        let key = Iam::get_ssh_public_key(
            self,
            ctx,
            &input.user_name,
            &input.ssh_public_key_id,
            encoding,
        )
        .await?;
        Ok(iam::GetSSHPublicKeyOutput {
            ssh_public_key: Some(ssh_public_key(key)),
        })
    }

    async fn list_ssh_public_keys(
        &self,
        ctx: &RequestContext,
        input: iam::ListSSHPublicKeysInput,
    ) -> Result<iam::ListSSHPublicKeysOutput, IamError> {
        let page = Iam::list_public_credentials(
            self,
            ctx,
            PublicCredentialKind::SshPublicKey,
            input.user_name.as_deref(),
            input.marker.as_deref(),
            max_items(input.max_items),
        )
        .await?;
        Ok(iam::ListSSHPublicKeysOutput {
            ssh_public_keys: Some(
                page.items
                    .into_iter()
                    .map(|k| iam::SSHPublicKeyMetadata {
                        user_name: Some(k.user_name),
                        ssh_public_key_id: Some(k.credential_id),
                        status: Some(key_status(k.status)),
                        upload_date: Some(k.upload_date),
                    })
                    .collect(),
            ),
            is_truncated: Some(page.marker.is_some()),
            marker: page.marker,
        })
    }

    async fn update_ssh_public_key(
        &self,
        ctx: &RequestContext,
        input: iam::UpdateSSHPublicKeyInput,
    ) -> Result<(), IamError> {
        Iam::update_public_credential(
            self,
            ctx,
            PublicCredentialKind::SshPublicKey,
            Some(&input.user_name),
            &input.ssh_public_key_id,
            settable_status(input.status)?,
        )
        .await
    }

    async fn delete_ssh_public_key(
        &self,
        ctx: &RequestContext,
        input: iam::DeleteSSHPublicKeyInput,
    ) -> Result<(), IamError> {
        Iam::delete_public_credential(
            self,
            ctx,
            PublicCredentialKind::SshPublicKey,
            Some(&input.user_name),
            &input.ssh_public_key_id,
        )
        .await
    }

    async fn upload_signing_certificate(
        &self,
        ctx: &RequestContext,
        input: iam::UploadSigningCertificateInput,
    ) -> Result<iam::UploadSigningCertificateOutput, IamError> {
        let cert = Iam::upload_signing_certificate(
            self,
            ctx,
            input.user_name.as_deref(),
            &input.certificate_body,
        )
        .await?;
        Ok(iam::UploadSigningCertificateOutput {
            certificate: Some(signing_certificate(cert)),
        })
    }

    async fn list_signing_certificates(
        &self,
        ctx: &RequestContext,
        input: iam::ListSigningCertificatesInput,
    ) -> Result<iam::ListSigningCertificatesOutput, IamError> {
        let page = Iam::list_public_credentials(
            self,
            ctx,
            PublicCredentialKind::SigningCertificate,
            input.user_name.as_deref(),
            input.marker.as_deref(),
            max_items(input.max_items),
        )
        .await?;
        Ok(iam::ListSigningCertificatesOutput {
            certificates: Some(page.items.into_iter().map(signing_certificate).collect()),
            is_truncated: Some(page.marker.is_some()),
            marker: page.marker,
        })
    }

    async fn update_signing_certificate(
        &self,
        ctx: &RequestContext,
        input: iam::UpdateSigningCertificateInput,
    ) -> Result<(), IamError> {
        Iam::update_public_credential(
            self,
            ctx,
            PublicCredentialKind::SigningCertificate,
            input.user_name.as_deref(),
            &input.certificate_id,
            settable_status(input.status)?,
        )
        .await
    }

    async fn delete_signing_certificate(
        &self,
        ctx: &RequestContext,
        input: iam::DeleteSigningCertificateInput,
    ) -> Result<(), IamError> {
        Iam::delete_public_credential(
            self,
            ctx,
            PublicCredentialKind::SigningCertificate,
            input.user_name.as_deref(),
            &input.certificate_id,
        )
        .await
    }

    // Server certificates (`server_certificate`).

    async fn upload_server_certificate(
        &self,
        ctx: &RequestContext,
        input: iam::UploadServerCertificateInput,
    ) -> Result<iam::UploadServerCertificateOutput, IamError> {
        let tags = tags(input.tags)?;
        let cert = Iam::upload_server_certificate(
            self,
            ctx,
            UploadServerCertificateInput {
                name: input.server_certificate_name,
                path: input.path,
                body: input.certificate_body,
                private_key: crate::secret::SecretKey::new(input.private_key),
                chain: input.certificate_chain,
                tags,
            },
        )
        .await?;
        Ok(iam::UploadServerCertificateOutput {
            server_certificate_metadata: Some(server_certificate_metadata(&cert)),
            tags: (!cert.tags.is_empty()).then(|| wire_tags(&cert.tags)),
        })
    }

    async fn get_server_certificate(
        &self,
        ctx: &RequestContext,
        input: iam::GetServerCertificateInput,
    ) -> Result<iam::GetServerCertificateOutput, IamError> {
        let cert = Iam::get_server_certificate(self, ctx, &input.server_certificate_name).await?;
        Ok(iam::GetServerCertificateOutput {
            server_certificate: Some(iam::ServerCertificate {
                server_certificate_metadata: Some(server_certificate_metadata(&cert)),
                tags: Some(wire_tags(&cert.tags)),
                certificate_body: Some(cert.body),
                certificate_chain: cert.chain,
            }),
        })
    }

    async fn list_server_certificates(
        &self,
        ctx: &RequestContext,
        input: iam::ListServerCertificatesInput,
    ) -> Result<iam::ListServerCertificatesOutput, IamError> {
        let page = Iam::list_server_certificates(
            self,
            ctx,
            input.path_prefix.as_deref(),
            input.marker.as_deref(),
            max_items(input.max_items),
        )
        .await?;
        Ok(iam::ListServerCertificatesOutput {
            server_certificate_metadata_list: Some(
                page.items.iter().map(server_certificate_metadata).collect(),
            ),
            is_truncated: Some(page.marker.is_some()),
            marker: page.marker,
        })
    }

    async fn update_server_certificate(
        &self,
        ctx: &RequestContext,
        input: iam::UpdateServerCertificateInput,
    ) -> Result<(), IamError> {
        Iam::update_server_certificate(
            self,
            ctx,
            &input.server_certificate_name,
            input.new_server_certificate_name.as_deref(),
            input.new_path.as_deref(),
        )
        .await
    }

    async fn delete_server_certificate(
        &self,
        ctx: &RequestContext,
        input: iam::DeleteServerCertificateInput,
    ) -> Result<(), IamError> {
        Iam::delete_server_certificate(self, ctx, &input.server_certificate_name).await
    }

    async fn tag_server_certificate(
        &self,
        ctx: &RequestContext,
        input: iam::TagServerCertificateInput,
    ) -> Result<(), IamError> {
        let tags = tags(Some(input.tags))?;
        Iam::tag_entity(
            self,
            ctx,
            TaggedKind::ServerCertificate,
            &input.server_certificate_name,
            &tags,
        )
        .await
    }

    async fn untag_server_certificate(
        &self,
        ctx: &RequestContext,
        input: iam::UntagServerCertificateInput,
    ) -> Result<(), IamError> {
        Iam::untag_entity(
            self,
            ctx,
            TaggedKind::ServerCertificate,
            &input.server_certificate_name,
            &input.tag_keys,
        )
        .await
    }

    async fn list_server_certificate_tags(
        &self,
        ctx: &RequestContext,
        input: iam::ListServerCertificateTagsInput,
    ) -> Result<iam::ListServerCertificateTagsOutput, IamError> {
        let page = Iam::list_entity_tags(
            self,
            ctx,
            TaggedKind::ServerCertificate,
            &input.server_certificate_name,
            input.marker.as_deref(),
            max_items(input.max_items),
        )
        .await?;
        let (tags, is_truncated, marker) = tag_page(page);
        Ok(iam::ListServerCertificateTagsOutput {
            tags,
            is_truncated,
            marker,
        })
    }

    // The credential report (`credential_report`).

    async fn generate_credential_report(
        &self,
        ctx: &RequestContext,
    ) -> Result<iam::GenerateCredentialReportOutput, IamError> {
        Ok(match Iam::generate_credential_report(self, ctx).await? {
            crate::credential_report::Generated::Started(description) => {
                iam::GenerateCredentialReportOutput {
                    state: Some(iam::ReportStateType::Started),
                    description: Some(description.to_owned()),
                }
            }
            crate::credential_report::Generated::Complete => iam::GenerateCredentialReportOutput {
                state: Some(iam::ReportStateType::Complete),
                description: None,
            },
        })
    }

    async fn get_credential_report(
        &self,
        ctx: &RequestContext,
    ) -> Result<iam::GetCredentialReportOutput, IamError> {
        let report = Iam::get_credential_report(self, ctx).await?;
        Ok(iam::GetCredentialReportOutput {
            content: Some(report.content),
            report_format: Some(iam::ReportFormatType::TextCsv),
            generated_time: Some(report.generated),
        })
    }

    // Access keys.

    async fn create_access_key(
        &self,
        ctx: &RequestContext,
        input: iam::CreateAccessKeyInput,
    ) -> Result<iam::CreateAccessKeyOutput, IamError> {
        let created = Iam::create_access_key(self, ctx, input.user_name.as_deref()).await?;
        Ok(iam::CreateAccessKeyOutput {
            access_key: Some(iam::AccessKey {
                user_name: created.key.user_name.clone(),
                access_key_id: Some(created.key.access_key_id.clone()),
                status: Some(key_status(created.key.status)),
                secret_access_key: Some(created.secret.expose().to_owned()),
                create_date: Some(created.key.create_date),
            }),
        })
    }

    async fn list_access_keys(
        &self,
        ctx: &RequestContext,
        input: iam::ListAccessKeysInput,
    ) -> Result<iam::ListAccessKeysOutput, IamError> {
        let out = Iam::list_access_keys(
            self,
            ctx,
            ListAccessKeysInput {
                user_name: input.user_name,
                marker: input.marker,
                max_items: max_items(input.max_items),
            },
        )
        .await?;
        let (is_truncated, marker) = page_end(&out.marker);
        Ok(iam::ListAccessKeysOutput {
            access_key_metadata: Some(out.keys.iter().map(key_metadata).collect()),
            is_truncated,
            marker,
        })
    }

    async fn update_access_key(
        &self,
        ctx: &RequestContext,
        input: iam::UpdateAccessKeyInput,
    ) -> Result<(), IamError> {
        let status = match input.status {
            iam::StatusType::Active => KeyStatus::Active,
            iam::StatusType::Inactive => KeyStatus::Inactive,
            // In the model's enum, but no caller can set it.
            iam::StatusType::Expired => {
                return Err(IamError::new(
                    ErrorCode::InvalidInput,
                    "Access key status can only be set to Active or Inactive.",
                ))
            }
        };
        Iam::update_access_key(
            self,
            ctx,
            input.user_name.as_deref(),
            &input.access_key_id,
            status,
        )
        .await
    }

    async fn delete_access_key(
        &self,
        ctx: &RequestContext,
        input: iam::DeleteAccessKeyInput,
    ) -> Result<(), IamError> {
        Iam::delete_access_key(self, ctx, input.user_name.as_deref(), &input.access_key_id).await
    }

    async fn get_access_key_last_used(
        &self,
        ctx: &RequestContext,
        input: iam::GetAccessKeyLastUsedInput,
    ) -> Result<iam::GetAccessKeyLastUsedOutput, IamError> {
        let out = Iam::get_access_key_last_used(self, ctx, &input.access_key_id).await?;
        let last_used = match out.last_used {
            Some(u) => iam::AccessKeyLastUsed {
                last_used_date: Some(u.when),
                service_name: Some(u.service),
                region: Some(u.region),
            },
            None => iam::AccessKeyLastUsed {
                last_used_date: None,
                service_name: Some("N/A".to_owned()),
                region: Some("N/A".to_owned()),
            },
        };
        Ok(iam::GetAccessKeyLastUsedOutput {
            user_name: out.user_name,
            access_key_last_used: Some(last_used),
        })
    }

    // Inline user policies.

    async fn put_user_policy(
        &self,
        ctx: &RequestContext,
        input: iam::PutUserPolicyInput,
    ) -> Result<(), IamError> {
        self.put_inline_policy(
            ctx,
            PolicyHolder::user(&input.user_name),
            &input.policy_name,
            &input.policy_document,
        )
        .await
    }

    async fn get_user_policy(
        &self,
        ctx: &RequestContext,
        input: iam::GetUserPolicyInput,
    ) -> Result<iam::GetUserPolicyOutput, IamError> {
        let (user_name, document) = self
            .get_inline_policy(
                ctx,
                PolicyHolder::user(&input.user_name),
                &input.policy_name,
            )
            .await?;
        Ok(iam::GetUserPolicyOutput {
            user_name: Some(user_name),
            policy_name: Some(input.policy_name),
            policy_document: Some(encode_document(&document)),
        })
    }

    async fn list_user_policies(
        &self,
        ctx: &RequestContext,
        input: iam::ListUserPoliciesInput,
    ) -> Result<iam::ListUserPoliciesOutput, IamError> {
        let page = self
            .list_inline_policies(
                ctx,
                PolicyHolder::user(&input.user_name),
                input.marker.as_deref(),
                max_items(input.max_items),
            )
            .await?;
        let (is_truncated, marker) = page_end(&page.marker);
        Ok(iam::ListUserPoliciesOutput {
            policy_names: Some(page.items),
            is_truncated,
            marker,
        })
    }

    async fn delete_user_policy(
        &self,
        ctx: &RequestContext,
        input: iam::DeleteUserPolicyInput,
    ) -> Result<(), IamError> {
        self.delete_inline_policy(
            ctx,
            PolicyHolder::user(&input.user_name),
            &input.policy_name,
        )
        .await
    }

    // Managed policies.

    async fn create_policy(
        &self,
        ctx: &RequestContext,
        input: iam::CreatePolicyInput,
    ) -> Result<iam::CreatePolicyOutput, IamError> {
        let created = Iam::create_policy(
            self,
            ctx,
            CreatePolicyInput {
                policy_name: input.policy_name,
                path: input.path,
                document: input.policy_document,
                description: input.description,
                tags: tags(input.tags)?,
            },
        )
        .await?;
        // Tags as given (none: no element), as CreateUser and CreateRole answer.
        let mut out = policy(&created, true);
        out.tags = tag_list(&created.tags);
        Ok(iam::CreatePolicyOutput { policy: Some(out) })
    }

    async fn get_policy(
        &self,
        ctx: &RequestContext,
        input: iam::GetPolicyInput,
    ) -> Result<iam::GetPolicyOutput, IamError> {
        let found = Iam::get_policy(self, ctx, &input.policy_arn).await?;
        // GetPolicy always lists the tags, as an empty `<Tags/>` when there are none (see
        // ARCHITECTURE.md, "Choices where AWS's behaviour is not confirmed").
        let mut out = policy(&found, true);
        out.tags = Some(wire_tags(&found.tags));
        Ok(iam::GetPolicyOutput { policy: Some(out) })
    }

    async fn list_policies(
        &self,
        ctx: &RequestContext,
        input: iam::ListPoliciesInput,
    ) -> Result<iam::ListPoliciesOutput, IamError> {
        let scope = match input.scope {
            None | Some(iam::PolicyScopeType::All) => PolicyScope::All,
            Some(iam::PolicyScopeType::Aws) => PolicyScope::Aws,
            Some(iam::PolicyScopeType::Local) => PolicyScope::Local,
        };
        let page = Iam::list_policies(
            self,
            ctx,
            ListPoliciesInput {
                scope,
                usage: input.policy_usage_filter.map(|u| match u {
                    iam::PolicyUsageType::PermissionsPolicy => PolicyUsage::Permissions,
                    iam::PolicyUsageType::PermissionsBoundary => PolicyUsage::Boundary,
                }),
                only_attached: input.only_attached.unwrap_or(false),
                path_prefix: input.path_prefix,
                marker: input.marker,
                max_items: max_items(input.max_items),
            },
        )
        .await?;
        let (is_truncated, marker) = page_end(&page.marker);
        Ok(iam::ListPoliciesOutput {
            policies: Some(page.items.iter().map(|p| policy(p, false)).collect()),
            is_truncated,
            marker,
        })
    }

    async fn delete_policy(
        &self,
        ctx: &RequestContext,
        input: iam::DeletePolicyInput,
    ) -> Result<(), IamError> {
        Iam::delete_policy(self, ctx, &input.policy_arn).await
    }

    async fn create_policy_version(
        &self,
        ctx: &RequestContext,
        input: iam::CreatePolicyVersionInput,
    ) -> Result<iam::CreatePolicyVersionOutput, IamError> {
        let created = Iam::create_policy_version(
            self,
            ctx,
            &input.policy_arn,
            &input.policy_document,
            input.set_as_default.unwrap_or(false),
        )
        .await?;
        Ok(iam::CreatePolicyVersionOutput {
            policy_version: Some(version(&created, false)),
        })
    }

    async fn get_policy_version(
        &self,
        ctx: &RequestContext,
        input: iam::GetPolicyVersionInput,
    ) -> Result<iam::GetPolicyVersionOutput, IamError> {
        let found =
            Iam::get_policy_version(self, ctx, &input.policy_arn, &input.version_id).await?;
        Ok(iam::GetPolicyVersionOutput {
            policy_version: Some(version(&found, true)),
        })
    }

    async fn list_policy_versions(
        &self,
        ctx: &RequestContext,
        input: iam::ListPolicyVersionsInput,
    ) -> Result<iam::ListPolicyVersionsOutput, IamError> {
        // At most 5 versions exist, so one page always holds them all.
        let versions = Iam::list_policy_versions(self, ctx, &input.policy_arn).await?;
        Ok(iam::ListPolicyVersionsOutput {
            versions: Some(versions.iter().map(|v| version(v, false)).collect()),
            is_truncated: Some(false),
            marker: None,
        })
    }

    async fn set_default_policy_version(
        &self,
        ctx: &RequestContext,
        input: iam::SetDefaultPolicyVersionInput,
    ) -> Result<(), IamError> {
        Iam::set_default_policy_version(self, ctx, &input.policy_arn, &input.version_id).await
    }

    async fn delete_policy_version(
        &self,
        ctx: &RequestContext,
        input: iam::DeletePolicyVersionInput,
    ) -> Result<(), IamError> {
        Iam::delete_policy_version(self, ctx, &input.policy_arn, &input.version_id).await
    }

    async fn put_user_permissions_boundary(
        &self,
        ctx: &RequestContext,
        input: iam::PutUserPermissionsBoundaryInput,
    ) -> Result<(), IamError> {
        let holder = PolicyHolder::user(&input.user_name);
        self.put_permissions_boundary(ctx, holder, &input.permissions_boundary)
            .await
    }

    async fn delete_user_permissions_boundary(
        &self,
        ctx: &RequestContext,
        input: iam::DeleteUserPermissionsBoundaryInput,
    ) -> Result<(), IamError> {
        self.delete_permissions_boundary(ctx, PolicyHolder::user(&input.user_name))
            .await
    }

    async fn put_role_permissions_boundary(
        &self,
        ctx: &RequestContext,
        input: iam::PutRolePermissionsBoundaryInput,
    ) -> Result<(), IamError> {
        let holder = PolicyHolder::role(&input.role_name);
        self.put_permissions_boundary(ctx, holder, &input.permissions_boundary)
            .await
    }

    async fn delete_role_permissions_boundary(
        &self,
        ctx: &RequestContext,
        input: iam::DeleteRolePermissionsBoundaryInput,
    ) -> Result<(), IamError> {
        self.delete_permissions_boundary(ctx, PolicyHolder::role(&input.role_name))
            .await
    }

    async fn attach_user_policy(
        &self,
        ctx: &RequestContext,
        input: iam::AttachUserPolicyInput,
    ) -> Result<(), IamError> {
        self.attach_policy(ctx, PolicyHolder::user(&input.user_name), &input.policy_arn)
            .await
    }

    async fn detach_user_policy(
        &self,
        ctx: &RequestContext,
        input: iam::DetachUserPolicyInput,
    ) -> Result<(), IamError> {
        self.detach_policy(ctx, PolicyHolder::user(&input.user_name), &input.policy_arn)
            .await
    }

    async fn list_attached_user_policies(
        &self,
        ctx: &RequestContext,
        input: iam::ListAttachedUserPoliciesInput,
    ) -> Result<iam::ListAttachedUserPoliciesOutput, IamError> {
        let page = self
            .list_attached_policies(
                ctx,
                PolicyHolder::user(&input.user_name),
                input.path_prefix.as_deref(),
                input.marker.as_deref(),
                max_items(input.max_items),
            )
            .await?;
        let (is_truncated, marker) = page_end(&page.marker);
        Ok(iam::ListAttachedUserPoliciesOutput {
            attached_policies: Some(page.items.iter().map(attached).collect()),
            is_truncated,
            marker,
        })
    }

    async fn simulate_principal_policy(
        &self,
        ctx: &RequestContext,
        input: iam::SimulatePrincipalPolicyInput,
    ) -> Result<iam::SimulatePolicyResponse, IamError> {
        let page = self
            .simulate(
                ctx,
                SimulateInput {
                    policy_source_arn: Some(input.policy_source_arn),
                    extra_policies: input.policy_input_list.unwrap_or_default(),
                    boundary_policies: input
                        .permissions_boundary_policy_input_list
                        .unwrap_or_default(),
                    actions: input.action_names,
                    resources: input.resource_arns.unwrap_or_default(),
                    context: context_entries(input.context_entries),
                    marker: input.marker,
                    max_items: max_items(input.max_items),
                },
            )
            .await?;
        Ok(simulation(page))
    }

    async fn simulate_custom_policy(
        &self,
        ctx: &RequestContext,
        input: iam::SimulateCustomPolicyInput,
    ) -> Result<iam::SimulatePolicyResponse, IamError> {
        let page = self
            .simulate(
                ctx,
                SimulateInput {
                    policy_source_arn: None,
                    extra_policies: input.policy_input_list,
                    boundary_policies: input
                        .permissions_boundary_policy_input_list
                        .unwrap_or_default(),
                    actions: input.action_names,
                    resources: input.resource_arns.unwrap_or_default(),
                    context: context_entries(input.context_entries),
                    marker: input.marker,
                    max_items: max_items(input.max_items),
                },
            )
            .await?;
        Ok(simulation(page))
    }

    async fn get_context_keys_for_custom_policy(
        &self,
        ctx: &RequestContext,
        input: iam::GetContextKeysForCustomPolicyInput,
    ) -> Result<iam::GetContextKeysForPolicyResponse, IamError> {
        let keys = self
            .context_keys_for_custom_policy(ctx, &input.policy_input_list)
            .await?;
        Ok(iam::GetContextKeysForPolicyResponse {
            context_key_names: Some(keys),
        })
    }

    async fn get_context_keys_for_principal_policy(
        &self,
        ctx: &RequestContext,
        input: iam::GetContextKeysForPrincipalPolicyInput,
    ) -> Result<iam::GetContextKeysForPolicyResponse, IamError> {
        let keys = self
            .context_keys_for_principal_policy(
                ctx,
                &input.policy_source_arn,
                &input.policy_input_list.unwrap_or_default(),
            )
            .await?;
        Ok(iam::GetContextKeysForPolicyResponse {
            context_key_names: Some(keys),
        })
    }

    // Roles.

    async fn create_role(
        &self,
        ctx: &RequestContext,
        input: iam::CreateRoleInput,
    ) -> Result<iam::CreateRoleOutput, IamError> {
        let created = Iam::create_role(
            self,
            ctx,
            CreateRoleInput {
                role_name: input.role_name,
                path: input.path,
                assume_role_policy_document: input.assume_role_policy_document,
                description: input.description,
                max_session_duration: input.max_session_duration.map(|n| n as u32),
                permissions_boundary: input.permissions_boundary.clone(),
                tags: tags(input.tags)?,
            },
        )
        .await?;
        Ok(iam::CreateRoleOutput {
            role: Some(iam::Role {
                permissions_boundary: boundary(input.permissions_boundary),
                ..role(&created, true)
            }),
        })
    }

    async fn get_role(
        &self,
        ctx: &RequestContext,
        input: iam::GetRoleInput,
    ) -> Result<iam::GetRoleOutput, IamError> {
        let found = Iam::get_role(self, ctx, &input.role_name).await?;
        let arn = self
            .permissions_boundary(&found.account_id, PolicyHolder::role(&found.role_name))
            .await?;
        let last_used = self.role_last_used(&found.role_id).await?;
        Ok(iam::GetRoleOutput {
            role: Some(iam::Role {
                permissions_boundary: boundary(arn),
                role_last_used: Some(role_last_used(last_used)),
                ..role(&found, true)
            }),
        })
    }

    async fn list_roles(
        &self,
        ctx: &RequestContext,
        input: iam::ListRolesInput,
    ) -> Result<iam::ListRolesOutput, IamError> {
        let page = Iam::list_roles(
            self,
            ctx,
            input.path_prefix.as_deref(),
            input.marker.as_deref(),
            max_items(input.max_items),
        )
        .await?;
        let (is_truncated, marker) = page_end(&page.marker);
        Ok(iam::ListRolesOutput {
            // Listings omit tags, like ListUsers.
            roles: Some(page.items.iter().map(|r| role(r, false)).collect()),
            is_truncated,
            marker,
        })
    }

    async fn update_role(
        &self,
        ctx: &RequestContext,
        input: iam::UpdateRoleInput,
    ) -> Result<iam::UpdateRoleOutput, IamError> {
        Iam::update_role(
            self,
            ctx,
            &input.role_name,
            input.description.as_deref(),
            input.max_session_duration.map(|n| n as u32),
        )
        .await?;
        Ok(iam::UpdateRoleOutput {})
    }

    async fn update_role_description(
        &self,
        ctx: &RequestContext,
        input: iam::UpdateRoleDescriptionInput,
    ) -> Result<iam::UpdateRoleDescriptionOutput, IamError> {
        Iam::update_role(self, ctx, &input.role_name, Some(&input.description), None).await?;
        let updated = Iam::get_role(self, ctx, &input.role_name).await?;
        let arn = self
            .permissions_boundary(&updated.account_id, PolicyHolder::role(&updated.role_name))
            .await?;
        Ok(iam::UpdateRoleDescriptionOutput {
            role: Some(iam::Role {
                permissions_boundary: boundary(arn),
                ..role(&updated, true)
            }),
        })
    }

    async fn update_assume_role_policy(
        &self,
        ctx: &RequestContext,
        input: iam::UpdateAssumeRolePolicyInput,
    ) -> Result<(), IamError> {
        Iam::update_assume_role_policy(self, ctx, &input.role_name, &input.policy_document).await
    }

    async fn delete_role(
        &self,
        ctx: &RequestContext,
        input: iam::DeleteRoleInput,
    ) -> Result<(), IamError> {
        Iam::delete_role(self, ctx, &input.role_name).await
    }

    // Service-linked roles.

    async fn create_service_linked_role(
        &self,
        ctx: &RequestContext,
        input: iam::CreateServiceLinkedRoleInput,
    ) -> Result<iam::CreateServiceLinkedRoleOutput, IamError> {
        let created = Iam::create_service_linked_role(
            self,
            ctx,
            &input.aws_service_name,
            input.description,
            input.custom_suffix.as_deref(),
        )
        .await?;
        Ok(iam::CreateServiceLinkedRoleOutput {
            role: Some(role(&created, true)),
        })
    }

    async fn delete_service_linked_role(
        &self,
        ctx: &RequestContext,
        input: iam::DeleteServiceLinkedRoleInput,
    ) -> Result<iam::DeleteServiceLinkedRoleOutput, IamError> {
        let deletion_task_id = Iam::delete_service_linked_role(self, ctx, &input.role_name).await?;
        Ok(iam::DeleteServiceLinkedRoleOutput {
            deletion_task_id: Some(deletion_task_id),
        })
    }

    async fn get_service_linked_role_deletion_status(
        &self,
        ctx: &RequestContext,
        input: iam::GetServiceLinkedRoleDeletionStatusInput,
    ) -> Result<iam::GetServiceLinkedRoleDeletionStatusOutput, IamError> {
        let status =
            Iam::service_linked_role_deletion_status(self, ctx, &input.deletion_task_id).await?;
        Ok(iam::GetServiceLinkedRoleDeletionStatusOutput {
            status: Some(match status {
                DeletionStatus::Succeeded => iam::DeletionTaskStatusType::Succeeded,
                DeletionStatus::InProgress => iam::DeletionTaskStatusType::InProgress,
                DeletionStatus::Failed => iam::DeletionTaskStatusType::Failed,
                DeletionStatus::NotStarted => iam::DeletionTaskStatusType::NotStarted,
            }),
            reason: None,
        })
    }

    // Account aliases.

    async fn create_account_alias(
        &self,
        ctx: &RequestContext,
        input: iam::CreateAccountAliasInput,
    ) -> Result<(), IamError> {
        Iam::create_account_alias(self, ctx, &input.account_alias).await
    }

    async fn delete_account_alias(
        &self,
        ctx: &RequestContext,
        input: iam::DeleteAccountAliasInput,
    ) -> Result<(), IamError> {
        Iam::delete_account_alias(self, ctx, &input.account_alias).await
    }

    async fn list_account_aliases(
        &self,
        ctx: &RequestContext,
        input: iam::ListAccountAliasesInput,
    ) -> Result<iam::ListAccountAliasesOutput, IamError> {
        let page = Iam::list_account_aliases(
            self,
            ctx,
            input.marker.as_deref(),
            max_items(input.max_items),
        )
        .await?;
        let (is_truncated, marker) = page_end(&page.marker);
        Ok(iam::ListAccountAliasesOutput {
            account_aliases: Some(page.items),
            is_truncated,
            marker,
        })
    }

    async fn put_role_policy(
        &self,
        ctx: &RequestContext,
        input: iam::PutRolePolicyInput,
    ) -> Result<(), IamError> {
        self.put_inline_policy(
            ctx,
            PolicyHolder::role(&input.role_name),
            &input.policy_name,
            &input.policy_document,
        )
        .await
    }

    async fn get_role_policy(
        &self,
        ctx: &RequestContext,
        input: iam::GetRolePolicyInput,
    ) -> Result<iam::GetRolePolicyOutput, IamError> {
        let (role_name, document) = self
            .get_inline_policy(
                ctx,
                PolicyHolder::role(&input.role_name),
                &input.policy_name,
            )
            .await?;
        Ok(iam::GetRolePolicyOutput {
            role_name: Some(role_name),
            policy_name: Some(input.policy_name),
            policy_document: Some(encode_document(&document)),
        })
    }

    async fn list_role_policies(
        &self,
        ctx: &RequestContext,
        input: iam::ListRolePoliciesInput,
    ) -> Result<iam::ListRolePoliciesOutput, IamError> {
        let page = self
            .list_inline_policies(
                ctx,
                PolicyHolder::role(&input.role_name),
                input.marker.as_deref(),
                max_items(input.max_items),
            )
            .await?;
        let (is_truncated, marker) = page_end(&page.marker);
        Ok(iam::ListRolePoliciesOutput {
            policy_names: Some(page.items),
            is_truncated,
            marker,
        })
    }

    async fn delete_role_policy(
        &self,
        ctx: &RequestContext,
        input: iam::DeleteRolePolicyInput,
    ) -> Result<(), IamError> {
        self.delete_inline_policy(
            ctx,
            PolicyHolder::role(&input.role_name),
            &input.policy_name,
        )
        .await
    }

    async fn attach_role_policy(
        &self,
        ctx: &RequestContext,
        input: iam::AttachRolePolicyInput,
    ) -> Result<(), IamError> {
        self.attach_policy(ctx, PolicyHolder::role(&input.role_name), &input.policy_arn)
            .await
    }

    async fn detach_role_policy(
        &self,
        ctx: &RequestContext,
        input: iam::DetachRolePolicyInput,
    ) -> Result<(), IamError> {
        self.detach_policy(ctx, PolicyHolder::role(&input.role_name), &input.policy_arn)
            .await
    }

    async fn list_attached_role_policies(
        &self,
        ctx: &RequestContext,
        input: iam::ListAttachedRolePoliciesInput,
    ) -> Result<iam::ListAttachedRolePoliciesOutput, IamError> {
        let page = self
            .list_attached_policies(
                ctx,
                PolicyHolder::role(&input.role_name),
                input.path_prefix.as_deref(),
                input.marker.as_deref(),
                max_items(input.max_items),
            )
            .await?;
        let (is_truncated, marker) = page_end(&page.marker);
        Ok(iam::ListAttachedRolePoliciesOutput {
            attached_policies: Some(page.items.iter().map(attached).collect()),
            is_truncated,
            marker,
        })
    }

    // Groups.

    async fn create_group(
        &self,
        ctx: &RequestContext,
        input: iam::CreateGroupInput,
    ) -> Result<iam::CreateGroupOutput, IamError> {
        let created =
            Iam::create_group(self, ctx, &input.group_name, input.path.as_deref()).await?;
        Ok(iam::CreateGroupOutput {
            group: Some(group(&created)),
        })
    }

    async fn get_group(
        &self,
        ctx: &RequestContext,
        input: iam::GetGroupInput,
    ) -> Result<iam::GetGroupOutput, IamError> {
        let found = Iam::get_group(
            self,
            ctx,
            &input.group_name,
            input.marker.as_deref(),
            max_items(input.max_items),
        )
        .await?;
        let (is_truncated, marker) = page_end(&found.users.marker);
        Ok(iam::GetGroupOutput {
            group: Some(group(&found.group)),
            users: Some(found.users.items.iter().map(|u| user(u, false)).collect()),
            is_truncated,
            marker,
        })
    }

    async fn list_groups(
        &self,
        ctx: &RequestContext,
        input: iam::ListGroupsInput,
    ) -> Result<iam::ListGroupsOutput, IamError> {
        let page = Iam::list_groups(
            self,
            ctx,
            input.path_prefix.as_deref(),
            input.marker.as_deref(),
            max_items(input.max_items),
        )
        .await?;
        let (is_truncated, marker) = page_end(&page.marker);
        Ok(iam::ListGroupsOutput {
            groups: Some(page.items.iter().map(group).collect()),
            is_truncated,
            marker,
        })
    }

    async fn update_group(
        &self,
        ctx: &RequestContext,
        input: iam::UpdateGroupInput,
    ) -> Result<(), IamError> {
        Iam::update_group(
            self,
            ctx,
            &input.group_name,
            input.new_group_name.as_deref(),
            input.new_path.as_deref(),
        )
        .await
    }

    async fn delete_group(
        &self,
        ctx: &RequestContext,
        input: iam::DeleteGroupInput,
    ) -> Result<(), IamError> {
        Iam::delete_group(self, ctx, &input.group_name).await
    }

    async fn add_user_to_group(
        &self,
        ctx: &RequestContext,
        input: iam::AddUserToGroupInput,
    ) -> Result<(), IamError> {
        Iam::add_user_to_group(self, ctx, &input.group_name, &input.user_name).await
    }

    async fn remove_user_from_group(
        &self,
        ctx: &RequestContext,
        input: iam::RemoveUserFromGroupInput,
    ) -> Result<(), IamError> {
        Iam::remove_user_from_group(self, ctx, &input.group_name, &input.user_name).await
    }

    async fn list_groups_for_user(
        &self,
        ctx: &RequestContext,
        input: iam::ListGroupsForUserInput,
    ) -> Result<iam::ListGroupsForUserOutput, IamError> {
        let page = Iam::list_groups_for_user(
            self,
            ctx,
            &input.user_name,
            input.marker.as_deref(),
            max_items(input.max_items),
        )
        .await?;
        let (is_truncated, marker) = page_end(&page.marker);
        Ok(iam::ListGroupsForUserOutput {
            groups: Some(page.items.iter().map(group).collect()),
            is_truncated,
            marker,
        })
    }

    async fn put_group_policy(
        &self,
        ctx: &RequestContext,
        input: iam::PutGroupPolicyInput,
    ) -> Result<(), IamError> {
        self.put_inline_policy(
            ctx,
            PolicyHolder::group(&input.group_name),
            &input.policy_name,
            &input.policy_document,
        )
        .await
    }

    async fn get_group_policy(
        &self,
        ctx: &RequestContext,
        input: iam::GetGroupPolicyInput,
    ) -> Result<iam::GetGroupPolicyOutput, IamError> {
        let (group_name, document) = self
            .get_inline_policy(
                ctx,
                PolicyHolder::group(&input.group_name),
                &input.policy_name,
            )
            .await?;
        Ok(iam::GetGroupPolicyOutput {
            group_name: Some(group_name),
            policy_name: Some(input.policy_name),
            policy_document: Some(encode_document(&document)),
        })
    }

    async fn list_group_policies(
        &self,
        ctx: &RequestContext,
        input: iam::ListGroupPoliciesInput,
    ) -> Result<iam::ListGroupPoliciesOutput, IamError> {
        let page = self
            .list_inline_policies(
                ctx,
                PolicyHolder::group(&input.group_name),
                input.marker.as_deref(),
                max_items(input.max_items),
            )
            .await?;
        let (is_truncated, marker) = page_end(&page.marker);
        Ok(iam::ListGroupPoliciesOutput {
            policy_names: Some(page.items),
            is_truncated,
            marker,
        })
    }

    async fn delete_group_policy(
        &self,
        ctx: &RequestContext,
        input: iam::DeleteGroupPolicyInput,
    ) -> Result<(), IamError> {
        self.delete_inline_policy(
            ctx,
            PolicyHolder::group(&input.group_name),
            &input.policy_name,
        )
        .await
    }

    async fn attach_group_policy(
        &self,
        ctx: &RequestContext,
        input: iam::AttachGroupPolicyInput,
    ) -> Result<(), IamError> {
        self.attach_policy(
            ctx,
            PolicyHolder::group(&input.group_name),
            &input.policy_arn,
        )
        .await
    }

    async fn detach_group_policy(
        &self,
        ctx: &RequestContext,
        input: iam::DetachGroupPolicyInput,
    ) -> Result<(), IamError> {
        self.detach_policy(
            ctx,
            PolicyHolder::group(&input.group_name),
            &input.policy_arn,
        )
        .await
    }

    async fn list_attached_group_policies(
        &self,
        ctx: &RequestContext,
        input: iam::ListAttachedGroupPoliciesInput,
    ) -> Result<iam::ListAttachedGroupPoliciesOutput, IamError> {
        let page = self
            .list_attached_policies(
                ctx,
                PolicyHolder::group(&input.group_name),
                input.path_prefix.as_deref(),
                input.marker.as_deref(),
                max_items(input.max_items),
            )
            .await?;
        let (is_truncated, marker) = page_end(&page.marker);
        Ok(iam::ListAttachedGroupPoliciesOutput {
            attached_policies: Some(page.items.iter().map(attached).collect()),
            is_truncated,
            marker,
        })
    }

    // Instance profiles.

    async fn create_instance_profile(
        &self,
        ctx: &RequestContext,
        input: iam::CreateInstanceProfileInput,
    ) -> Result<iam::CreateInstanceProfileOutput, IamError> {
        let created = Iam::create_instance_profile(
            self,
            ctx,
            CreateInstanceProfileInput {
                instance_profile_name: input.instance_profile_name,
                path: input.path,
                tags: tags(input.tags)?,
            },
        )
        .await?;
        Ok(iam::CreateInstanceProfileOutput {
            instance_profile: Some(instance_profile(&created, true)),
        })
    }

    async fn get_instance_profile(
        &self,
        ctx: &RequestContext,
        input: iam::GetInstanceProfileInput,
    ) -> Result<iam::GetInstanceProfileOutput, IamError> {
        let found = Iam::get_instance_profile(self, ctx, &input.instance_profile_name).await?;
        Ok(iam::GetInstanceProfileOutput {
            instance_profile: Some(instance_profile(&found, true)),
        })
    }

    async fn list_instance_profiles(
        &self,
        ctx: &RequestContext,
        input: iam::ListInstanceProfilesInput,
    ) -> Result<iam::ListInstanceProfilesOutput, IamError> {
        let page = Iam::list_instance_profiles(
            self,
            ctx,
            input.path_prefix.as_deref(),
            input.marker.as_deref(),
            max_items(input.max_items),
        )
        .await?;
        let (is_truncated, marker) = page_end(&page.marker);
        Ok(iam::ListInstanceProfilesOutput {
            instance_profiles: Some(
                page.items
                    .iter()
                    .map(|p| instance_profile(p, false))
                    .collect(),
            ),
            is_truncated,
            marker,
        })
    }

    async fn list_instance_profiles_for_role(
        &self,
        ctx: &RequestContext,
        input: iam::ListInstanceProfilesForRoleInput,
    ) -> Result<iam::ListInstanceProfilesForRoleOutput, IamError> {
        let page = Iam::list_instance_profiles_for_role(
            self,
            ctx,
            &input.role_name,
            input.marker.as_deref(),
            max_items(input.max_items),
        )
        .await?;
        let (is_truncated, marker) = page_end(&page.marker);
        Ok(iam::ListInstanceProfilesForRoleOutput {
            instance_profiles: Some(
                page.items
                    .iter()
                    .map(|p| instance_profile(p, false))
                    .collect(),
            ),
            is_truncated,
            marker,
        })
    }

    async fn delete_instance_profile(
        &self,
        ctx: &RequestContext,
        input: iam::DeleteInstanceProfileInput,
    ) -> Result<(), IamError> {
        Iam::delete_instance_profile(self, ctx, &input.instance_profile_name).await
    }

    async fn add_role_to_instance_profile(
        &self,
        ctx: &RequestContext,
        input: iam::AddRoleToInstanceProfileInput,
    ) -> Result<(), IamError> {
        Iam::add_role_to_instance_profile(self, ctx, &input.instance_profile_name, &input.role_name)
            .await
    }

    async fn remove_role_from_instance_profile(
        &self,
        ctx: &RequestContext,
        input: iam::RemoveRoleFromInstanceProfileInput,
    ) -> Result<(), IamError> {
        Iam::remove_role_from_instance_profile(
            self,
            ctx,
            &input.instance_profile_name,
            &input.role_name,
        )
        .await
    }

    // Service-specific credentials.

    async fn create_service_specific_credential(
        &self,
        ctx: &RequestContext,
        input: iam::CreateServiceSpecificCredentialInput,
    ) -> Result<iam::CreateServiceSpecificCredentialOutput, IamError> {
        if input.credential_age_days.is_some() {
            // Only the API keys of Bedrock and CloudWatch Logs expire; iamd issues neither.
            return Err(IamError::validation(format!(
                "CredentialAgeDays is not supported for {}.",
                input.service_name
            )));
        }
        let (created, password) = self
            .create_service_credential(ctx, &input.user_name, &input.service_name)
            .await?;
        Ok(iam::CreateServiceSpecificCredentialOutput {
            service_specific_credential: Some(service_credential(&created, &password)),
        })
    }

    async fn list_service_specific_credentials(
        &self,
        ctx: &RequestContext,
        input: iam::ListServiceSpecificCredentialsInput,
    ) -> Result<iam::ListServiceSpecificCredentialsOutput, IamError> {
        let page = self
            .list_service_credentials(
                ctx,
                input.user_name.as_deref(),
                input.service_name.as_deref(),
                input.all_users.unwrap_or(false),
                input.marker.as_deref(),
                max_items(input.max_items),
            )
            .await?;
        let (is_truncated, marker) = page_end(&page.marker);
        Ok(iam::ListServiceSpecificCredentialsOutput {
            service_specific_credentials: Some(
                page.items.iter().map(service_credential_metadata).collect(),
            ),
            is_truncated,
            marker,
        })
    }

    async fn update_service_specific_credential(
        &self,
        ctx: &RequestContext,
        input: iam::UpdateServiceSpecificCredentialInput,
    ) -> Result<(), IamError> {
        let status = match input.status {
            iam::StatusType::Active => KeyStatus::Active,
            iam::StatusType::Inactive => KeyStatus::Inactive,
            iam::StatusType::Expired => {
                return Err(IamError::validation("Status Expired cannot be set."))
            }
        };
        self.update_service_credential(
            ctx,
            input.user_name.as_deref(),
            &input.service_specific_credential_id,
            status,
        )
        .await
    }

    async fn reset_service_specific_credential(
        &self,
        ctx: &RequestContext,
        input: iam::ResetServiceSpecificCredentialInput,
    ) -> Result<iam::ResetServiceSpecificCredentialOutput, IamError> {
        let (reset, password) = self
            .reset_service_credential(
                ctx,
                input.user_name.as_deref(),
                &input.service_specific_credential_id,
            )
            .await?;
        Ok(iam::ResetServiceSpecificCredentialOutput {
            service_specific_credential: Some(service_credential(&reset, &password)),
        })
    }

    async fn delete_service_specific_credential(
        &self,
        ctx: &RequestContext,
        input: iam::DeleteServiceSpecificCredentialInput,
    ) -> Result<(), IamError> {
        self.delete_service_credential(
            ctx,
            input.user_name.as_deref(),
            &input.service_specific_credential_id,
        )
        .await
    }

    // Tags.

    async fn tag_user(
        &self,
        ctx: &RequestContext,
        input: iam::TagUserInput,
    ) -> Result<(), IamError> {
        let tags = tags(Some(input.tags))?;
        Iam::tag_entity(self, ctx, TaggedKind::User, &input.user_name, &tags).await
    }

    async fn untag_user(
        &self,
        ctx: &RequestContext,
        input: iam::UntagUserInput,
    ) -> Result<(), IamError> {
        Iam::untag_entity(
            self,
            ctx,
            TaggedKind::User,
            &input.user_name,
            &input.tag_keys,
        )
        .await
    }

    async fn list_user_tags(
        &self,
        ctx: &RequestContext,
        input: iam::ListUserTagsInput,
    ) -> Result<iam::ListUserTagsOutput, IamError> {
        let page = Iam::list_entity_tags(
            self,
            ctx,
            TaggedKind::User,
            &input.user_name,
            input.marker.as_deref(),
            max_items(input.max_items),
        )
        .await?;
        let (tags, is_truncated, marker) = tag_page(page);
        Ok(iam::ListUserTagsOutput {
            tags,
            is_truncated,
            marker,
        })
    }

    async fn tag_role(
        &self,
        ctx: &RequestContext,
        input: iam::TagRoleInput,
    ) -> Result<(), IamError> {
        let tags = tags(Some(input.tags))?;
        Iam::tag_entity(self, ctx, TaggedKind::Role, &input.role_name, &tags).await
    }

    async fn untag_role(
        &self,
        ctx: &RequestContext,
        input: iam::UntagRoleInput,
    ) -> Result<(), IamError> {
        Iam::untag_entity(
            self,
            ctx,
            TaggedKind::Role,
            &input.role_name,
            &input.tag_keys,
        )
        .await
    }

    async fn list_role_tags(
        &self,
        ctx: &RequestContext,
        input: iam::ListRoleTagsInput,
    ) -> Result<iam::ListRoleTagsOutput, IamError> {
        let page = Iam::list_entity_tags(
            self,
            ctx,
            TaggedKind::Role,
            &input.role_name,
            input.marker.as_deref(),
            max_items(input.max_items),
        )
        .await?;
        let (tags, is_truncated, marker) = tag_page(page);
        Ok(iam::ListRoleTagsOutput {
            tags,
            is_truncated,
            marker,
        })
    }

    async fn tag_policy(
        &self,
        ctx: &RequestContext,
        input: iam::TagPolicyInput,
    ) -> Result<(), IamError> {
        let tags = tags(Some(input.tags))?;
        Iam::tag_entity(self, ctx, TaggedKind::Policy, &input.policy_arn, &tags).await
    }

    async fn untag_policy(
        &self,
        ctx: &RequestContext,
        input: iam::UntagPolicyInput,
    ) -> Result<(), IamError> {
        Iam::untag_entity(
            self,
            ctx,
            TaggedKind::Policy,
            &input.policy_arn,
            &input.tag_keys,
        )
        .await
    }

    async fn list_policy_tags(
        &self,
        ctx: &RequestContext,
        input: iam::ListPolicyTagsInput,
    ) -> Result<iam::ListPolicyTagsOutput, IamError> {
        let page = Iam::list_entity_tags(
            self,
            ctx,
            TaggedKind::Policy,
            &input.policy_arn,
            input.marker.as_deref(),
            max_items(input.max_items),
        )
        .await?;
        let (tags, is_truncated, marker) = tag_page(page);
        Ok(iam::ListPolicyTagsOutput {
            tags,
            is_truncated,
            marker,
        })
    }

    async fn tag_instance_profile(
        &self,
        ctx: &RequestContext,
        input: iam::TagInstanceProfileInput,
    ) -> Result<(), IamError> {
        let tags = tags(Some(input.tags))?;
        Iam::tag_entity(
            self,
            ctx,
            TaggedKind::InstanceProfile,
            &input.instance_profile_name,
            &tags,
        )
        .await
    }

    async fn untag_instance_profile(
        &self,
        ctx: &RequestContext,
        input: iam::UntagInstanceProfileInput,
    ) -> Result<(), IamError> {
        Iam::untag_entity(
            self,
            ctx,
            TaggedKind::InstanceProfile,
            &input.instance_profile_name,
            &input.tag_keys,
        )
        .await
    }

    async fn list_instance_profile_tags(
        &self,
        ctx: &RequestContext,
        input: iam::ListInstanceProfileTagsInput,
    ) -> Result<iam::ListInstanceProfileTagsOutput, IamError> {
        let page = Iam::list_entity_tags(
            self,
            ctx,
            TaggedKind::InstanceProfile,
            &input.instance_profile_name,
            input.marker.as_deref(),
            max_items(input.max_items),
        )
        .await?;
        let (tags, is_truncated, marker) = tag_page(page);
        Ok(iam::ListInstanceProfileTagsOutput {
            tags,
            is_truncated,
            marker,
        })
    }

    // Virtual MFA devices.

    async fn create_virtual_mfa_device(
        &self,
        ctx: &RequestContext,
        input: iam::CreateVirtualMFADeviceInput,
    ) -> Result<iam::CreateVirtualMFADeviceOutput, IamError> {
        let created = Iam::create_virtual_mfa_device(
            self,
            ctx,
            CreateVirtualMfaDeviceInput {
                name: input.virtual_mfa_device_name,
                path: input.path,
                tags: tags(input.tags)?,
            },
        )
        .await?;
        let mut device = virtual_mfa_device(&created.device, true);
        // The seed's Base32 text, as a blob (base64 on the wire), shown this once.
        device.base32_string_seed = Some(created.seed.expose().as_bytes().to_vec());
        device.qr_code_png = Some(created.qr_code_png);
        Ok(iam::CreateVirtualMFADeviceOutput {
            virtual_mfa_device: Some(device),
        })
    }

    async fn enable_mfa_device(
        &self,
        ctx: &RequestContext,
        input: iam::EnableMFADeviceInput,
    ) -> Result<(), IamError> {
        Iam::enable_mfa_device(
            self,
            ctx,
            &input.user_name,
            &input.serial_number,
            &input.authentication_code1,
            &input.authentication_code2,
        )
        .await
    }

    async fn resync_mfa_device(
        &self,
        ctx: &RequestContext,
        input: iam::ResyncMFADeviceInput,
    ) -> Result<(), IamError> {
        Iam::resync_mfa_device(
            self,
            ctx,
            &input.user_name,
            &input.serial_number,
            &input.authentication_code1,
            &input.authentication_code2,
        )
        .await
    }

    async fn deactivate_mfa_device(
        &self,
        ctx: &RequestContext,
        input: iam::DeactivateMFADeviceInput,
    ) -> Result<(), IamError> {
        Iam::deactivate_mfa_device(self, ctx, input.user_name.as_deref(), &input.serial_number)
            .await
    }

    async fn delete_virtual_mfa_device(
        &self,
        ctx: &RequestContext,
        input: iam::DeleteVirtualMFADeviceInput,
    ) -> Result<(), IamError> {
        Iam::delete_virtual_mfa_device(self, ctx, &input.serial_number).await
    }

    async fn get_mfa_device(
        &self,
        ctx: &RequestContext,
        input: iam::GetMFADeviceInput,
    ) -> Result<iam::GetMFADeviceOutput, IamError> {
        let device =
            Iam::get_mfa_device(self, ctx, &input.serial_number, input.user_name.as_deref())
                .await?;
        Ok(iam::GetMFADeviceOutput {
            user_name: device.user.as_ref().map(|u| u.user_name.clone()),
            serial_number: Some(device.serial_number),
            enable_date: device.enable_date,
            certifications: None,
        })
    }

    async fn list_mfa_devices(
        &self,
        ctx: &RequestContext,
        input: iam::ListMFADevicesInput,
    ) -> Result<iam::ListMFADevicesOutput, IamError> {
        let page = Iam::list_mfa_devices(
            self,
            ctx,
            input.user_name.as_deref(),
            input.marker.as_deref(),
            max_items(input.max_items),
        )
        .await?;
        let (is_truncated, marker) = page_end(&page.marker);
        Ok(iam::ListMFADevicesOutput {
            mfa_devices: Some(page.items.iter().map(mfa_device).collect()),
            is_truncated,
            marker,
        })
    }

    async fn list_virtual_mfa_devices(
        &self,
        ctx: &RequestContext,
        input: iam::ListVirtualMFADevicesInput,
    ) -> Result<iam::ListVirtualMFADevicesOutput, IamError> {
        // Without `AssignmentStatus`, `Any` (as the model documents).
        let assigned = match input.assignment_status {
            Some(iam::AssignmentStatusType::Assigned) => Some(true),
            Some(iam::AssignmentStatusType::Unassigned) => Some(false),
            Some(iam::AssignmentStatusType::Any) | None => None,
        };
        let page = Iam::list_virtual_mfa_devices(
            self,
            ctx,
            assigned,
            input.marker.as_deref(),
            max_items(input.max_items),
        )
        .await?;
        let (is_truncated, marker) = page_end(&page.marker);
        Ok(iam::ListVirtualMFADevicesOutput {
            virtual_mfa_devices: Some(
                page.items
                    .iter()
                    .map(|d| virtual_mfa_device(d, false))
                    .collect(),
            ),
            is_truncated,
            marker,
        })
    }

    async fn tag_mfa_device(
        &self,
        ctx: &RequestContext,
        input: iam::TagMFADeviceInput,
    ) -> Result<(), IamError> {
        let tags = tags(Some(input.tags))?;
        Iam::tag_entity(
            self,
            ctx,
            TaggedKind::MfaDevice,
            &input.serial_number,
            &tags,
        )
        .await
    }

    async fn untag_mfa_device(
        &self,
        ctx: &RequestContext,
        input: iam::UntagMFADeviceInput,
    ) -> Result<(), IamError> {
        Iam::untag_entity(
            self,
            ctx,
            TaggedKind::MfaDevice,
            &input.serial_number,
            &input.tag_keys,
        )
        .await
    }

    async fn list_mfa_device_tags(
        &self,
        ctx: &RequestContext,
        input: iam::ListMFADeviceTagsInput,
    ) -> Result<iam::ListMFADeviceTagsOutput, IamError> {
        let page = Iam::list_entity_tags(
            self,
            ctx,
            TaggedKind::MfaDevice,
            &input.serial_number,
            input.marker.as_deref(),
            max_items(input.max_items),
        )
        .await?;
        let (tags, is_truncated, marker) = tag_page(page);
        Ok(iam::ListMFADeviceTagsOutput {
            tags,
            is_truncated,
            marker,
        })
    }

    // OpenID Connect providers.

    async fn create_open_id_connect_provider(
        &self,
        ctx: &RequestContext,
        input: iam::CreateOpenIDConnectProviderInput,
    ) -> Result<iam::CreateOpenIDConnectProviderOutput, IamError> {
        let tags = tags(input.tags)?;
        let arn = Iam::create_oidc_provider(
            self,
            ctx,
            crate::oidc::NewOidcProvider {
                url: input.url,
                client_ids: input.client_id_list.unwrap_or_default(),
                thumbprints: input.thumbprint_list.unwrap_or_default(),
                tags: tags.clone(),
                context_provider: input.context_provider.as_ref().map(context_provider_json),
                identity_center_instance_arn: input.identity_center_instance_arn,
            },
        )
        .await?;
        Ok(iam::CreateOpenIDConnectProviderOutput {
            open_id_connect_provider_arn: Some(arn),
            tags: (!tags.is_empty()).then(|| wire_tags(&tags)),
        })
    }

    async fn get_open_id_connect_provider(
        &self,
        ctx: &RequestContext,
        input: iam::GetOpenIDConnectProviderInput,
    ) -> Result<iam::GetOpenIDConnectProviderOutput, IamError> {
        let p = Iam::get_oidc_provider(self, ctx, &input.open_id_connect_provider_arn).await?;
        Ok(iam::GetOpenIDConnectProviderOutput {
            url: Some(p.url),
            client_id_list: Some(p.client_ids),
            thumbprint_list: Some(p.thumbprints),
            create_date: Some(p.create_date),
            tags: Some(wire_tags(&p.tags)),
            context_provider: p.context_provider.as_deref().and_then(context_provider_of),
            identity_center_instance_arn: p.identity_center_instance_arn,
            ..Default::default()
        })
    }

    async fn update_open_id_connect_provider(
        &self,
        ctx: &RequestContext,
        input: iam::UpdateOpenIDConnectProviderInput,
    ) -> Result<(), IamError> {
        Iam::configure_oidc_provider(
            self,
            ctx,
            &input.open_id_connect_provider_arn,
            crate::oidc::OidcProviderSettings {
                context_provider: input.context_provider.as_ref().map(context_provider_json),
                remove_context_provider: input.remove_context_provider == Some(true),
                identity_center_instance_arn: input.identity_center_instance_arn,
                remove_identity_center_instance: input.remove_identity_center_instance
                    == Some(true),
            },
        )
        .await
        .map(drop)
    }

    async fn list_open_id_connect_providers(
        &self,
        ctx: &RequestContext,
        _input: iam::ListOpenIDConnectProvidersInput,
    ) -> Result<iam::ListOpenIDConnectProvidersOutput, IamError> {
        let arns = Iam::list_oidc_providers(self, ctx).await?;
        Ok(iam::ListOpenIDConnectProvidersOutput {
            open_id_connect_provider_list: Some(
                arns.into_iter()
                    .map(|arn| iam::OpenIDConnectProviderListEntry {
                        arn: Some(arn),
                        ..Default::default()
                    })
                    .collect(),
            ),
        })
    }

    async fn delete_open_id_connect_provider(
        &self,
        ctx: &RequestContext,
        input: iam::DeleteOpenIDConnectProviderInput,
    ) -> Result<(), IamError> {
        Iam::delete_oidc_provider(self, ctx, &input.open_id_connect_provider_arn).await
    }

    async fn add_client_id_to_open_id_connect_provider(
        &self,
        ctx: &RequestContext,
        input: iam::AddClientIDToOpenIDConnectProviderInput,
    ) -> Result<(), IamError> {
        Iam::change_oidc_provider(
            self,
            ctx,
            &input.open_id_connect_provider_arn,
            model::OidcProviderChange::AddClientId(input.client_id),
        )
        .await
        .map(drop)
    }

    async fn remove_client_id_from_open_id_connect_provider(
        &self,
        ctx: &RequestContext,
        input: iam::RemoveClientIDFromOpenIDConnectProviderInput,
    ) -> Result<(), IamError> {
        Iam::change_oidc_provider(
            self,
            ctx,
            &input.open_id_connect_provider_arn,
            model::OidcProviderChange::RemoveClientId(input.client_id),
        )
        .await
        .map(drop)
    }

    async fn update_open_id_connect_provider_thumbprint(
        &self,
        ctx: &RequestContext,
        input: iam::UpdateOpenIDConnectProviderThumbprintInput,
    ) -> Result<(), IamError> {
        Iam::change_oidc_provider(
            self,
            ctx,
            &input.open_id_connect_provider_arn,
            model::OidcProviderChange::SetThumbprints(input.thumbprint_list),
        )
        .await
        .map(drop)
    }

    async fn tag_open_id_connect_provider(
        &self,
        ctx: &RequestContext,
        input: iam::TagOpenIDConnectProviderInput,
    ) -> Result<(), IamError> {
        let tags = tags(Some(input.tags))?;
        Iam::change_oidc_provider(
            self,
            ctx,
            &input.open_id_connect_provider_arn,
            model::OidcProviderChange::Tag {
                tags,
                max: model::TAGS_PER_ENTITY,
            },
        )
        .await
        .map(drop)
    }

    async fn untag_open_id_connect_provider(
        &self,
        ctx: &RequestContext,
        input: iam::UntagOpenIDConnectProviderInput,
    ) -> Result<(), IamError> {
        Iam::change_oidc_provider(
            self,
            ctx,
            &input.open_id_connect_provider_arn,
            model::OidcProviderChange::Untag(input.tag_keys),
        )
        .await
        .map(drop)
    }

    async fn list_open_id_connect_provider_tags(
        &self,
        ctx: &RequestContext,
        input: iam::ListOpenIDConnectProviderTagsInput,
    ) -> Result<iam::ListOpenIDConnectProviderTagsOutput, IamError> {
        let arn = input.open_id_connect_provider_arn;
        let p = Iam::get_oidc_provider(self, ctx, &arn).await?;
        let (tags, is_truncated, marker) = whole_tag_page(
            "ListOpenIDConnectProviderTags",
            &p.url.to_lowercase(),
            input.marker.as_deref(),
            p.tags,
            input.max_items,
        )?;
        Ok(iam::ListOpenIDConnectProviderTagsOutput {
            tags,
            is_truncated,
            marker,
        })
    }

    // SAML providers.

    async fn create_saml_provider(
        &self,
        ctx: &RequestContext,
        input: iam::CreateSAMLProviderInput,
    ) -> Result<iam::CreateSAMLProviderOutput, IamError> {
        let tags = tags(input.tags)?;
        let arn = Iam::create_saml_provider(
            self,
            ctx,
            crate::saml::NewSamlProvider {
                name: input.name,
                metadata: input.saml_metadata_document,
                tags: tags.clone(),
                assertion_encryption_mode: input
                    .assertion_encryption_mode
                    .map(|m| m.as_str().to_owned()),
                private_key_or_identity_center: input.add_private_key.is_some()
                    || input.context_provider.is_some()
                    || input.identity_center_instance_arn.is_some(),
            },
        )
        .await?;
        Ok(iam::CreateSAMLProviderOutput {
            saml_provider_arn: Some(arn),
            tags: (!tags.is_empty()).then(|| wire_tags(&tags)),
        })
    }

    async fn get_saml_provider(
        &self,
        ctx: &RequestContext,
        input: iam::GetSAMLProviderInput,
    ) -> Result<iam::GetSAMLProviderOutput, IamError> {
        let p = Iam::get_saml_provider(self, ctx, &input.saml_provider_arn).await?;
        Ok(iam::GetSAMLProviderOutput {
            saml_provider_uuid: Some(p.uuid),
            saml_metadata_document: Some(p.metadata),
            create_date: Some(p.create_date),
            valid_until: Some(p.valid_until),
            tags: Some(wire_tags(&p.tags)),
            assertion_encryption_mode: p
                .assertion_encryption_mode
                .as_deref()
                .and_then(encryption_mode),
            ..Default::default()
        })
    }

    async fn list_saml_providers(
        &self,
        ctx: &RequestContext,
        _input: iam::ListSAMLProvidersInput,
    ) -> Result<iam::ListSAMLProvidersOutput, IamError> {
        let account = ctx.principal.account_id().to_owned();
        let providers = Iam::list_saml_providers(self, ctx).await?;
        Ok(iam::ListSAMLProvidersOutput {
            saml_provider_list: Some(
                providers
                    .into_iter()
                    .map(|p| iam::SAMLProviderListEntry {
                        arn: Some(crate::saml::provider_arn(&account, &p.name)),
                        valid_until: Some(p.valid_until),
                        create_date: Some(p.create_date),
                        ..Default::default()
                    })
                    .collect(),
            ),
        })
    }

    async fn update_saml_provider(
        &self,
        ctx: &RequestContext,
        input: iam::UpdateSAMLProviderInput,
    ) -> Result<iam::UpdateSAMLProviderOutput, IamError> {
        let arn = input.saml_provider_arn;
        Iam::update_saml_provider(
            self,
            ctx,
            &arn,
            crate::saml::SamlProviderUpdate {
                metadata: input.saml_metadata_document,
                assertion_encryption_mode: input
                    .assertion_encryption_mode
                    .map(|m| m.as_str().to_owned()),
                private_key_or_identity_center: input.add_private_key.is_some()
                    || input.remove_private_key.is_some()
                    || input.context_provider.is_some()
                    || input.identity_center_instance_arn.is_some()
                    || input.remove_context_provider == Some(true)
                    || input.remove_identity_center_instance == Some(true),
            },
        )
        .await?;
        Ok(iam::UpdateSAMLProviderOutput {
            saml_provider_arn: Some(arn),
        })
    }

    async fn delete_saml_provider(
        &self,
        ctx: &RequestContext,
        input: iam::DeleteSAMLProviderInput,
    ) -> Result<(), IamError> {
        Iam::delete_saml_provider(self, ctx, &input.saml_provider_arn).await
    }

    async fn tag_saml_provider(
        &self,
        ctx: &RequestContext,
        input: iam::TagSAMLProviderInput,
    ) -> Result<(), IamError> {
        let tags = tags(Some(input.tags))?;
        Iam::tag_saml_provider(
            self,
            ctx,
            &input.saml_provider_arn,
            model::SamlProviderChange::Tag {
                tags,
                max: model::TAGS_PER_ENTITY,
            },
        )
        .await
        .map(drop)
    }

    async fn untag_saml_provider(
        &self,
        ctx: &RequestContext,
        input: iam::UntagSAMLProviderInput,
    ) -> Result<(), IamError> {
        Iam::tag_saml_provider(
            self,
            ctx,
            &input.saml_provider_arn,
            model::SamlProviderChange::Untag(input.tag_keys),
        )
        .await
        .map(drop)
    }

    async fn list_saml_provider_tags(
        &self,
        ctx: &RequestContext,
        input: iam::ListSAMLProviderTagsInput,
    ) -> Result<iam::ListSAMLProviderTagsOutput, IamError> {
        let p = Iam::get_saml_provider(self, ctx, &input.saml_provider_arn).await?;
        let (tags, is_truncated, marker) = whole_tag_page(
            "ListSAMLProviderTags",
            &p.name,
            input.marker.as_deref(),
            p.tags,
            input.max_items,
        )?;
        Ok(iam::ListSAMLProviderTagsOutput {
            tags,
            is_truncated,
            marker,
        })
    }

    // STS.

    async fn get_caller_identity(
        &self,
        ctx: &RequestContext,
        _input: sts::GetCallerIdentityInput,
    ) -> Result<sts::GetCallerIdentityOutput, IamError> {
        let principal = &ctx.principal;
        Ok(sts::GetCallerIdentityOutput {
            user_id: Some(principal.unique_id()),
            account: Some(principal.account_id().to_owned()),
            arn: Some(principal.arn()),
        })
    }

    async fn list_entities_for_policy(
        &self,
        ctx: &RequestContext,
        input: iam::ListEntitiesForPolicyInput,
    ) -> Result<iam::ListEntitiesForPolicyOutput, IamError> {
        use crate::model::HolderKind;
        let kinds: &[HolderKind] = match input.entity_filter {
            None => &crate::policy_entities::KINDS,
            Some(iam::EntityType::User) => &[HolderKind::User],
            Some(iam::EntityType::Role) => &[HolderKind::Role],
            Some(iam::EntityType::Group) => &[HolderKind::Group],
            // Policies are not entities a policy is attached to.
            Some(iam::EntityType::LocalManagedPolicy | iam::EntityType::AWSManagedPolicy) => &[],
        };
        let as_boundary =
            input.policy_usage_filter == Some(iam::PolicyUsageType::PermissionsBoundary);
        let page = Iam::list_entities_for_policy(
            self,
            ctx,
            &input.policy_arn,
            kinds,
            as_boundary,
            input.path_prefix.as_deref().unwrap_or("/"),
            input.marker.as_deref(),
            max_items(input.max_items),
        )
        .await?;
        let (mut groups, mut users, mut roles) = (Vec::new(), Vec::new(), Vec::new());
        for e in page.entities {
            match e.kind {
                HolderKind::Group => groups.push(iam::PolicyGroup {
                    group_name: Some(e.name),
                    group_id: Some(e.id),
                }),
                HolderKind::User => users.push(iam::PolicyUser {
                    user_name: Some(e.name),
                    user_id: Some(e.id),
                }),
                HolderKind::Role => roles.push(iam::PolicyRole {
                    role_name: Some(e.name),
                    role_id: Some(e.id),
                }),
            }
        }
        let (is_truncated, marker) = page_end(&page.marker);
        Ok(iam::ListEntitiesForPolicyOutput {
            policy_groups: Some(groups),
            policy_users: Some(users),
            policy_roles: Some(roles),
            is_truncated,
            marker,
        })
    }

    async fn get_account_authorization_details(
        &self,
        ctx: &RequestContext,
        input: iam::GetAccountAuthorizationDetailsInput,
    ) -> Result<iam::GetAccountAuthorizationDetailsOutput, IamError> {
        use crate::authorization_details::{DetailKind, DETAIL_KINDS};
        let kinds: Vec<DetailKind> = match &input.filter {
            None => DETAIL_KINDS.to_vec(),
            Some(filter) if filter.is_empty() => DETAIL_KINDS.to_vec(),
            Some(filter) => filter
                .iter()
                .map(|f| match f {
                    iam::EntityType::User => DetailKind::User,
                    iam::EntityType::Group => DetailKind::Group,
                    iam::EntityType::Role => DetailKind::Role,
                    iam::EntityType::LocalManagedPolicy => DetailKind::Policy,
                    iam::EntityType::AWSManagedPolicy => DetailKind::AwsPolicy,
                })
                .collect(),
        };
        let d = Iam::get_account_authorization_details(
            self,
            ctx,
            &kinds,
            input.marker.as_deref(),
            max_items(input.max_items),
        )
        .await?;
        let inline = |p: &model::UserPolicies| {
            p.inline
                .iter()
                .map(|(name, doc)| iam::PolicyDetail {
                    policy_name: Some(name.clone()),
                    policy_document: Some(encode_document(doc)),
                })
                .collect::<Vec<_>>()
        };
        let attached_list = |p: &model::UserPolicies| {
            p.managed
                .iter()
                .map(|(arn, _, _)| iam::AttachedPolicy {
                    policy_name: arn.rsplit('/').next().map(str::to_owned),
                    policy_arn: Some(arn.clone()),
                })
                .collect::<Vec<_>>()
        };
        let (is_truncated, marker) = page_end(&d.marker);
        Ok(iam::GetAccountAuthorizationDetailsOutput {
            user_detail_list: Some(
                d.users
                    .iter()
                    .map(|(u, p, groups)| iam::UserDetail {
                        path: Some(u.path.clone()),
                        user_name: Some(u.user_name.clone()),
                        user_id: Some(u.user_id.clone()),
                        arn: Some(u.arn()),
                        create_date: Some(u.create_date),
                        user_policy_list: Some(inline(p)),
                        group_list: Some(groups.clone()),
                        attached_managed_policies: Some(attached_list(p)),
                        permissions_boundary: boundary(p.boundary.as_ref().map(|b| b.0.clone())),
                        tags: Some(wire_tags(&u.tags)),
                    })
                    .collect(),
            ),
            group_detail_list: Some(
                d.groups
                    .iter()
                    .map(|(g, p)| iam::GroupDetail {
                        path: Some(g.path.clone()),
                        group_name: Some(g.group_name.clone()),
                        group_id: Some(g.group_id.clone()),
                        arn: Some(g.arn()),
                        create_date: Some(g.create_date),
                        group_policy_list: Some(inline(p)),
                        attached_managed_policies: Some(attached_list(p)),
                    })
                    .collect(),
            ),
            role_detail_list: Some(
                d.roles
                    .iter()
                    .map(|(r, p, profiles, last_used)| iam::RoleDetail {
                        path: Some(r.path.clone()),
                        role_name: Some(r.role_name.clone()),
                        role_id: Some(r.role_id.clone()),
                        arn: Some(r.arn()),
                        create_date: Some(r.create_date),
                        assume_role_policy_document: Some(encode_document(
                            &r.assume_role_policy_document,
                        )),
                        instance_profile_list: Some(
                            profiles
                                .iter()
                                .map(|ip| instance_profile(ip, false))
                                .collect(),
                        ),
                        role_policy_list: Some(inline(p)),
                        attached_managed_policies: Some(attached_list(p)),
                        permissions_boundary: boundary(p.boundary.as_ref().map(|b| b.0.clone())),
                        tags: Some(wire_tags(&r.tags)),
                        role_last_used: Some(role_last_used(last_used.clone())),
                    })
                    .collect(),
            ),
            policies: Some(
                d.policies
                    .iter()
                    .map(|(pol, versions)| iam::ManagedPolicyDetail {
                        policy_name: Some(pol.policy_name.clone()),
                        policy_id: Some(pol.policy_id.clone()),
                        arn: Some(pol.arn()),
                        path: Some(pol.path.clone()),
                        default_version_id: Some(pol.default_version_id.clone()),
                        attachment_count: Some(pol.attachment_count as i32),
                        permissions_boundary_usage_count: Some(
                            pol.permissions_boundary_usage_count as i32,
                        ),
                        is_attachable: Some(true),
                        description: pol.description.clone(),
                        create_date: Some(pol.create_date),
                        update_date: Some(pol.update_date),
                        policy_version_list: Some(
                            versions.iter().map(|v| version(v, true)).collect(),
                        ),
                    })
                    .collect(),
            ),
            is_truncated,
            marker,
        })
    }

    async fn list_policies_granting_service_access(
        &self,
        ctx: &RequestContext,
        input: iam::ListPoliciesGrantingServiceAccessInput,
    ) -> Result<iam::ListPoliciesGrantingServiceAccessOutput, IamError> {
        use crate::model::HolderKind;
        use crate::service_access::GrantingPolicy;
        let entries = Iam::list_policies_granting_service_access(
            self,
            ctx,
            &input.arn,
            &input.service_namespaces,
        )
        .await?;
        let entity = |k: HolderKind| match k {
            HolderKind::User => iam::PolicyOwnerEntityType::User,
            HolderKind::Role => iam::PolicyOwnerEntityType::Role,
            HolderKind::Group => iam::PolicyOwnerEntityType::Group,
        };
        Ok(iam::ListPoliciesGrantingServiceAccessOutput {
            policies_granting_service_access: Some(
                entries
                    .into_iter()
                    .map(
                        |(ns, policies)| iam::ListPoliciesGrantingServiceAccessEntry {
                            service_namespace: Some(ns),
                            policies: Some(
                                policies
                                    .into_iter()
                                    .map(|p| match p {
                                        GrantingPolicy::Inline {
                                            policy_name,
                                            entity: kind,
                                            entity_name,
                                        } => iam::PolicyGrantingServiceAccess {
                                            policy_name: Some(policy_name),
                                            policy_type: Some(iam::PolicyType::Inline),
                                            policy_arn: None,
                                            entity_type: Some(entity(kind)),
                                            entity_name: Some(entity_name),
                                        },
                                        GrantingPolicy::Managed { policy_name, arn } => {
                                            iam::PolicyGrantingServiceAccess {
                                                policy_name: Some(policy_name),
                                                policy_type: Some(iam::PolicyType::Managed),
                                                policy_arn: Some(arn),
                                                entity_type: None,
                                                entity_name: None,
                                            }
                                        }
                                    })
                                    .collect(),
                            ),
                        },
                    )
                    .collect(),
            ),
            // Every namespace's policies fit in one answer.
            is_truncated: Some(false),
            marker: None,
        })
    }

    // The centralized root access features of AWS Organizations: no organization holds an
    // iamd account (`organizations`).

    async fn list_organizations_features(
        &self,
        ctx: &RequestContext,
        _input: iam::ListOrganizationsFeaturesInput,
    ) -> Result<iam::ListOrganizationsFeaturesOutput, IamError> {
        self.organizations_feature(ctx).await
    }

    async fn enable_organizations_root_credentials_management(
        &self,
        ctx: &RequestContext,
        _input: iam::EnableOrganizationsRootCredentialsManagementInput,
    ) -> Result<iam::EnableOrganizationsRootCredentialsManagementOutput, IamError> {
        self.organizations_feature(ctx).await
    }

    async fn disable_organizations_root_credentials_management(
        &self,
        ctx: &RequestContext,
        _input: iam::DisableOrganizationsRootCredentialsManagementInput,
    ) -> Result<iam::DisableOrganizationsRootCredentialsManagementOutput, IamError> {
        self.organizations_feature(ctx).await
    }

    async fn enable_organizations_root_sessions(
        &self,
        ctx: &RequestContext,
        _input: iam::EnableOrganizationsRootSessionsInput,
    ) -> Result<iam::EnableOrganizationsRootSessionsOutput, IamError> {
        self.organizations_feature(ctx).await
    }

    async fn disable_organizations_root_sessions(
        &self,
        ctx: &RequestContext,
        _input: iam::DisableOrganizationsRootSessionsInput,
    ) -> Result<iam::DisableOrganizationsRootSessionsOutput, IamError> {
        self.organizations_feature(ctx).await
    }

    async fn set_security_token_service_preferences(
        &self,
        ctx: &RequestContext,
        input: iam::SetSecurityTokenServicePreferencesInput,
    ) -> Result<(), IamError> {
        let version = match input.global_endpoint_token_version {
            iam::GlobalEndpointTokenVersion::V1Token => 1,
            iam::GlobalEndpointTokenVersion::V2Token => 2,
        };
        self.set_global_endpoint_token_version(ctx, version).await
    }

    async fn get_account_summary(
        &self,
        ctx: &RequestContext,
    ) -> Result<iam::GetAccountSummaryOutput, IamError> {
        use iam::SummaryKeyType as K;
        self.authorize(ctx, ctx.action(), &crate::Resource::any())
            .await?;
        let n = self
            .store()
            .count_account(ctx.principal.account_id())
            .await
            .map_err(|e| IamError::service_failure(&e))?;
        let token_version = self
            .global_endpoint_token_version(ctx.principal.account_id())
            .await?;
        // Identity providers: the OIDC and SAML ones (at most 100 of each, listed whole).
        let providers = self
            .store()
            .list_oidc_providers(ctx.principal.account_id())
            .await
            .map_err(|e| IamError::service_failure(&e))?
            .len()
            + self
                .store()
                .list_saml_providers(ctx.principal.account_id())
                .await
                .map_err(|e| IamError::service_failure(&e))?
                .len();
        // At most the account's quota of them (20): listed rather than counted.
        let server_certificates = self
            .store()
            .list_server_certificates(ctx.principal.account_id(), "/")
            .await
            .map_err(|e| IamError::service_failure(&e))?
            .len();
        let count = |v: u64| i32::try_from(v).unwrap_or(i32::MAX);
        let quota = |v: usize| i32::try_from(v).unwrap_or(i32::MAX);
        // What iamd counts, and the quotas it enforces; quotas it does not enforce (users,
        // roles, policies, instance profiles per account, attachments per user or role) are
        // left out rather than reported as limits that do not hold. Kinds of entity iamd
        // cannot hold yet (the root's signing certificates, a root
        // password or MFA device) are 0.
        let map = vec![
            (K::Users, count(n.users)),
            (K::Groups, count(n.groups)),
            (K::GroupsQuota, quota(crate::model::GROUPS_PER_ACCOUNT)),
            (K::ServerCertificates, quota(server_certificates)),
            (
                K::ServerCertificatesQuota,
                quota(crate::model::SERVER_CERTIFICATES_PER_ACCOUNT),
            ),
            (
                K::UserPolicySizeQuota,
                quota(iamd_policy::USER_INLINE_AGGREGATE_MAX),
            ),
            (
                K::GroupPolicySizeQuota,
                quota(iamd_policy::GROUP_INLINE_AGGREGATE_MAX),
            ),
            (K::GroupsPerUserQuota, quota(crate::model::GROUPS_PER_USER)),
            (
                K::AccessKeysPerUserQuota,
                quota(crate::model::ACCESS_KEYS_PER_USER as usize),
            ),
            (K::MFADevices, count(n.mfa_devices)),
            (K::MFADevicesInUse, count(n.mfa_devices_in_use)),
            (K::AccountMFAEnabled, 0),
            (
                K::AccountAccessKeysPresent,
                i32::from(n.root_access_keys > 0),
            ),
            (K::AccountPasswordPresent, 0),
            (K::AccountSigningCertificatesPresent, 0),
            (
                K::AttachedPoliciesPerGroupQuota,
                quota(crate::model::POLICIES_PER_GROUP),
            ),
            (
                K::AttachedPoliciesPerUserQuota,
                quota(crate::model::POLICIES_PER_USER),
            ),
            (
                K::AttachedPoliciesPerRoleQuota,
                quota(crate::model::POLICIES_PER_ROLE),
            ),
            (K::Policies, count(n.policies)),
            (K::PolicySizeQuota, quota(iamd_policy::MANAGED_POLICY_MAX)),
            (K::PolicyVersionsInUse, count(n.policy_versions_in_use)),
            (
                K::VersionsPerPolicyQuota,
                quota(crate::model::POLICY_VERSIONS_MAX as usize),
            ),
            (K::GlobalEndpointTokenVersion, i32::from(token_version)),
            (
                K::AssumeRolePolicySizeQuota,
                quota(iamd_policy::ROLE_TRUST_POLICY_MAX),
            ),
            (K::InstanceProfiles, count(n.instance_profiles)),
            (K::Providers, quota(providers)),
            (
                K::RolePolicySizeQuota,
                quota(iamd_policy::ROLE_INLINE_AGGREGATE_MAX),
            ),
            (K::Roles, count(n.roles)),
        ];
        Ok(iam::GetAccountSummaryOutput {
            summary_map: Some(map),
        })
    }

    async fn get_access_key_info(
        &self,
        ctx: &RequestContext,
        input: sts::GetAccessKeyInfoInput,
    ) -> Result<sts::GetAccessKeyInfoOutput, IamError> {
        crate::sts::refuse_federated(ctx, "*")?;
        self.authorize(ctx, ctx.action(), &crate::Resource::any())
            .await?;
        // A long-term key iamd holds answers its owner's account (a root key given at
        // first start, such as AWS's documentation key `AKIAIOSFODNN7EXAMPLE`, need not
        // encode it). Any other id is read as AWS reads it: the key need not exist, or be
        // this account's.
        if let Some(held) = self
            .store
            .get_credential(&input.access_key_id)
            .await
            .map_err(crate::service::store_failure)?
        {
            return Ok(sts::GetAccessKeyInfoOutput {
                account: Some(held.key.account_id),
            });
        }
        let account = crate::ids::account_of_key_id(&input.access_key_id).ok_or_else(|| {
            IamError::new(
                ErrorCode::InvalidParameterValue,
                format!("Access key ID {} is not valid.", input.access_key_id),
            )
        })?;
        Ok(sts::GetAccessKeyInfoOutput {
            account: Some(account),
        })
    }

    async fn get_session_token(
        &self,
        ctx: &RequestContext,
        input: sts::GetSessionTokenInput,
    ) -> Result<sts::GetSessionTokenOutput, IamError> {
        let creds = Iam::get_session_token(
            self,
            ctx,
            GetSessionTokenInput {
                duration_seconds: input.duration_seconds.map(i64::from),
                mfa: mfa(input.serial_number, input.token_code),
            },
        )
        .await?;
        Ok(sts::GetSessionTokenOutput {
            credentials: Some(credentials(creds)),
            ..Default::default()
        })
    }

    async fn get_federation_token(
        &self,
        ctx: &RequestContext,
        input: sts::GetFederationTokenInput,
    ) -> Result<sts::GetFederationTokenOutput, IamError> {
        let out = Iam::get_federation_token(
            self,
            ctx,
            GetFederationTokenInput {
                name: input.name,
                policy: input.policy,
                policy_arns: input
                    .policy_arns
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|p| p.arn)
                    .collect(),
                duration_seconds: input.duration_seconds.map(i64::from),
                tags: input
                    .tags
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| model::Tag {
                        key: t.key,
                        value: t.value,
                    })
                    .collect(),
            },
        )
        .await?;
        Ok(sts::GetFederationTokenOutput {
            credentials: Some(credentials(out.credentials)),
            federated_user: Some(sts::FederatedUser {
                federated_user_id: Some(out.federated_user_id),
                arn: Some(out.arn),
            }),
            packed_policy_size: Some(out.packed_policy_size),
            ..Default::default()
        })
    }

    /// Not served: verifying a SAML assertion means verifying an XML signature, and no
    /// maintained Rust crate does that safely (see README, "Not served"). iamd does not
    /// hand-roll XML-DSig, so the call answers this rather than an unsafe check.
    async fn assume_role_with_saml(
        &self,
        _ctx: &RequestContext,
        _input: sts::AssumeRoleWithSAMLInput,
    ) -> Result<sts::AssumeRoleWithSAMLOutput, IamError> {
        Err(saml_not_implemented())
    }

    async fn assume_root(
        &self,
        _ctx: &RequestContext,
        _input: sts::AssumeRootInput,
    ) -> Result<sts::AssumeRootOutput, IamError> {
        Err(not_implemented(
            "The operation AssumeRoot is not implemented by iamd: it acts on member accounts of an AWS Organization, and iamd serves one account without Organizations.",
        ))
    }

    async fn decode_authorization_message(
        &self,
        _ctx: &RequestContext,
        _input: sts::DecodeAuthorizationMessageInput,
    ) -> Result<sts::DecodeAuthorizationMessageOutput, IamError> {
        Err(not_implemented(
            "The operation DecodeAuthorizationMessage is not implemented by iamd: iamd's AccessDenied answers carry no encoded authorization message (as AWS's IAM and STS answers carry none).",
        ))
    }

    async fn assume_role(
        &self,
        ctx: &RequestContext,
        input: sts::AssumeRoleInput,
    ) -> Result<sts::AssumeRoleOutput, IamError> {
        let out = Iam::assume_role(
            self,
            ctx,
            AssumeRoleInput {
                role_arn: input.role_arn,
                role_session_name: input.role_session_name,
                duration_seconds: input.duration_seconds.map(i64::from),
                policy: input.policy,
                policy_arns: input
                    .policy_arns
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|p| p.arn)
                    .collect(),
                external_id: input.external_id,
                mfa: mfa(input.serial_number, input.token_code),
                tags: input
                    .tags
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| model::Tag {
                        key: t.key,
                        value: t.value,
                    })
                    .collect(),
                transitive_tag_keys: input.transitive_tag_keys.unwrap_or_default(),
                source_identity: input.source_identity,
            },
        )
        .await?;
        Ok(sts::AssumeRoleOutput {
            credentials: Some(credentials(out.credentials)),
            assumed_role_user: Some(sts::AssumedRoleUser {
                assumed_role_id: Some(out.assumed_role_id),
                arn: Some(out.arn),
            }),
            packed_policy_size: out.packed_policy_size,
            source_identity: out.source_identity,
            ..Default::default()
        })
    }
}
