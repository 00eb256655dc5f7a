//! STS operations: GetCallerIdentity needs nothing from here; GetSessionToken and
//! AssumeRole mint session credentials (see `session`), MFA-authenticated when the request
//! presents a fresh code of one of the caller's devices (`mfa`).

use time::{Duration, OffsetDateTime};

use iamd_policy::Decision;

use crate::authz::Resource;
use crate::error::{ErrorCode, IamError};
use crate::ids;
use crate::model::KeyStatus;
use crate::principal::Principal;
use crate::secret::SecretKey;
use crate::service::{store_failure, Iam, RequestContext, Via};
use crate::session::{self, Issuer, SessionClaims, SessionTags};

/// GetSessionToken's duration bounds, in seconds.
pub const SESSION_MIN_SECONDS: i64 = 900;
pub const SESSION_MAX_SECONDS: i64 = 129_600;
pub const SESSION_DEFAULT_SECONDS: i64 = 43_200;
/// Sessions of the account root last at most an hour.
pub const ROOT_SESSION_MAX_SECONDS: i64 = 3_600;

#[derive(Debug, Clone)]
pub struct SessionCredentials {
    pub access_key_id: String,
    pub secret_access_key: SecretKey,
    pub session_token: String,
    pub expiration: OffsetDateTime,
}

#[derive(Debug, Clone, Default)]
pub struct GetSessionTokenInput {
    pub duration_seconds: Option<i64>,
    /// An MFA device serial number and code (`SerialNumber`, `TokenCode`): the device must
    /// be enabled for the calling user, and the code fresh (see `mfa`).
    pub mfa: Option<(String, String)>,
}

impl Iam {
    /// Checks the MFA a request presents, if any: when the code was checked.
    async fn presented_mfa(
        &self,
        ctx: &RequestContext,
        mfa: Option<&(String, String)>,
    ) -> Result<Option<OffsetDateTime>, IamError> {
        let Some((serial_number, code)) = mfa else {
            return Ok(None);
        };
        if serial_number.is_empty() || code.is_empty() {
            return Err(IamError::new(
                ErrorCode::AccessDenied,
                "MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code.",
            ));
        }
        self.check_mfa(ctx, serial_number, code).await.map(Some)
    }

    pub async fn get_session_token(
        &self,
        ctx: &RequestContext,
        input: GetSessionTokenInput,
    ) -> Result<SessionCredentials, IamError> {
        let Via::AccessKey {
            access_key_id: parent_id,
        } = &ctx.via
        else {
            return Err(IamError::new(
                ErrorCode::AccessDenied,
                "Cannot call GetSessionToken with session credentials",
            ));
        };
        let mfa = self.presented_mfa(ctx, input.mfa.as_ref()).await?;
        let mut seconds = input.duration_seconds.unwrap_or(SESSION_DEFAULT_SECONDS);
        if matches!(ctx.principal, Principal::Root { .. }) {
            seconds = seconds.min(ROOT_SESSION_MAX_SECONDS);
        }
        // Re-read the parent key: its secret keys the session.
        let parent = self
            .store
            .get_credential(parent_id)
            .await
            .map_err(store_failure)?
            .filter(|c| c.key.status == KeyStatus::Active)
            .ok_or_else(|| {
                IamError::new(
                    ErrorCode::InvalidClientTokenId,
                    "The security token included in the request is invalid.",
                )
            })?;
        let parent_secret = parent
            .secret
            .open(&self.keyring)
            .map_err(|e| IamError::service_failure(&e))?;
        let now = ctx.now.replace_nanosecond(0).unwrap_or(ctx.now);
        let claims = SessionClaims {
            access_key_id: ids::temporary_access_key_id(ctx.principal.account_id()),
            issuer: Issuer::AccessKey {
                parent_access_key_id: parent_id.clone(),
            },
            expiration: now + Duration::seconds(seconds),
            mfa,
            nonce: ids::nonce(),
        };
        let (session_token, secret_access_key) = session::mint(&parent_secret, &claims);
        Ok(SessionCredentials {
            access_key_id: claims.access_key_id,
            secret_access_key,
            session_token,
            expiration: claims.expiration,
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct AssumeRoleInput {
    pub role_arn: String,
    pub role_session_name: String,
    pub duration_seconds: Option<i64>,
    /// An inline session policy.
    pub policy: Option<String>,
    /// Managed policies to use as session policies.
    pub policy_arns: Vec<String>,
    pub external_id: Option<String>,
    pub mfa: Option<(String, String)>,
    /// Session tags, and the keys of those that pass on to chained sessions.
    pub tags: Vec<crate::model::Tag>,
    pub transitive_tag_keys: Vec<String>,
    pub source_identity: Option<String>,
}

/// At most this many session tags (AWS's quota).
pub const SESSION_TAGS_MAX: usize = 50;
/// What session policies and tags may take, packed: `PackedPolicySize` is the percentage of
/// it used (AWS packs them into a compressed binary form whose limit it does not publish;
/// see ARCHITECTURE.md).
pub const PACKED_POLICY_BYTES: usize = 4096;

fn invalid_tags(message: &str) -> IamError {
    IamError::new(ErrorCode::InvalidParameterValue, message)
}

/// A new session's tags: those inherited from the calling session (its transitive ones),
/// then `given`, with `transitive` marking given ones that pass on. Refused: a key given
/// twice (ignoring case), a given key that overrides an inherited transitive one, a
/// transitive key that names no given tag, more than `SESSION_TAGS_MAX` tags.
pub(crate) fn session_tags(
    inherited: SessionTags,
    given: &[crate::model::Tag],
    transitive: &[String],
) -> Result<SessionTags, IamError> {
    let mut seen = std::collections::HashSet::new();
    if !given.iter().all(|t| seen.insert(t.key.to_lowercase())) {
        return Err(invalid_tags(
            "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
        ));
    }
    if given.iter().any(|t| {
        inherited
            .tags
            .iter()
            .any(|i| i.key.eq_ignore_ascii_case(&t.key))
    }) {
        return Err(invalid_tags(
            "One or more tags cannot be overridden because they are transitive tags of the calling session.",
        ));
    }
    if !transitive
        .iter()
        .all(|k| given.iter().any(|t| t.key.eq_ignore_ascii_case(k)))
    {
        return Err(invalid_tags(
            "The TransitiveTagKeys must be a subset of the session tags' keys.",
        ));
    }
    let mut out = inherited;
    out.tags.extend(given.iter().cloned());
    for k in transitive {
        if !out
            .transitive_keys
            .iter()
            .any(|t| t.eq_ignore_ascii_case(k))
        {
            out.transitive_keys.push(k.clone());
        }
    }
    if out.tags.len() > SESSION_TAGS_MAX {
        return Err(invalid_tags(
            "A session may have at most 50 session tags, inherited ones included.",
        ));
    }
    Ok(out)
}

/// What session tags (and transitive keys) count against the packed size, in bytes: the
/// same for AssumeRole and GetFederationToken.
pub(crate) fn session_tag_bytes(tags: &SessionTags) -> usize {
    tags.tags
        .iter()
        .map(|t| t.key.len() + t.value.len())
        .sum::<usize>()
        + tags.transitive_keys.iter().map(String::len).sum::<usize>()
}

/// `PackedPolicySize`, as a percentage of `PACKED_POLICY_BYTES`: `None` when the session
/// has neither session policies nor tags; PackedPolicyTooLarge past 100.
pub(crate) fn packed_policy_size(
    policy: Option<&str>,
    policy_arns: &[String],
    tags: &SessionTags,
) -> Result<Option<i32>, IamError> {
    if policy.is_none() && policy_arns.is_empty() && tags.is_empty() {
        return Ok(None);
    }
    let bytes = policy.map_or(0, |p| {
        // Packed policies lose their insignificant whitespace.
        p.chars()
            .filter(|c| !c.is_whitespace())
            .map(char::len_utf8)
            .sum()
    }) + policy_arns.iter().map(String::len).sum::<usize>()
        + session_tag_bytes(tags);
    let percent = (bytes * 100).div_ceil(PACKED_POLICY_BYTES);
    if percent > 100 {
        return Err(IamError::new(
            ErrorCode::PackedPolicyTooLarge,
            format!(
                "Packed size of consolidated session policies and session tags exceeds 100% of its limit ({percent}%)."
            ),
        ));
    }
    Ok(Some(percent as i32))
}

/// The trust context of `sts:TagSession`: the session's tags as `aws:RequestTag/…` and
/// `aws:TagKeys`.
pub(crate) fn with_request_tags(
    mut c: iamd_policy::Context,
    tags: &SessionTags,
) -> iamd_policy::Context {
    for t in &tags.tags {
        c.set(&format!("aws:RequestTag/{}", t.key), t.value.as_str());
    }
    c.set_values(
        "aws:TagKeys",
        tags.tags.iter().map(|t| t.key.as_str().into()).collect(),
    );
    c
}

#[derive(Debug, Clone)]
pub struct AssumedRole {
    pub credentials: SessionCredentials,
    /// `ROLEID:session`
    pub assumed_role_id: String,
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/session`
    pub arn: String,
    /// With session policies or tags: the share of the packed limit they use, in per cent.
    pub packed_policy_size: Option<i32>,
    pub source_identity: Option<String>,
}

/// The source identity of a new session: the calling session's, which cannot be changed
/// (AccessDenied), else the one given. `Ok(true)` when the new session has one, given or
/// inherited: the role's trust policy must then allow `sts:SetSourceIdentity`, as AWS
/// requires of every role a session with a source identity chains to.
pub(crate) fn source_identity(
    tags: &mut SessionTags,
    given: Option<&str>,
    denied: impl Fn() -> IamError,
) -> Result<bool, IamError> {
    let Some(given) = given else {
        return Ok(tags.source_identity.is_some());
    };
    if given.to_ascii_lowercase().starts_with("aws:") {
        return Err(IamError::validation(
            "SourceIdentity cannot begin with the prefix aws:",
        ));
    }
    match &tags.source_identity {
        Some(inherited) if inherited != given => Err(denied()),
        _ => {
            tags.source_identity = Some(given.to_owned());
            Ok(true)
        }
    }
}

/// Evaluates a trust policy for `action` (`sts:TagSession`, `sts:SetSourceIdentity`).
pub(crate) fn trust_allows(
    trust: &iamd_policy::CompiledPolicy,
    action: &str,
    role_arn: &str,
    context: &iamd_policy::Context,
) -> bool {
    let request = iamd_policy::Request {
        action,
        resource: role_arn,
        context,
    };
    iamd_policy::evaluate(&[("trust", trust)], &request).decision == Decision::Allowed
}

/// Role sessions last an hour unless asked otherwise.
pub const ROLE_SESSION_DEFAULT_SECONDS: i64 = 3_600;
/// A role assumed with role credentials (role chaining) lasts at most an hour.
pub const CHAINED_SESSION_MAX_SECONDS: i64 = 3_600;

/// `arn:aws:iam::{account}:role{path}{name}` split into (account, path, name).
pub(crate) fn parse_role_arn(arn: &str) -> Option<(String, String, String)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let path_and_name = resource.strip_prefix("role")?;
    if !path_and_name.starts_with('/') {
        return None;
    }
    let split = path_and_name.rfind('/')?;
    let name = &path_and_name[split + 1..];
    if name.is_empty() {
        return None;
    }
    Some((
        account.to_owned(),
        path_and_name[..=split].to_owned(),
        name.to_owned(),
    ))
}

/// What a trust policy sees of the caller. Without `with_account`, a statement that trusts
/// the caller's account (rather than naming the caller) cannot match. `mfa`: when MFA was
/// presented, with this request or for the caller's session (`aws:MultiFactorAuthPresent`
/// and `aws:MultiFactorAuthAge`; as on AWS, a long-term key without MFA has neither key,
/// session credentials without MFA have `aws:MultiFactorAuthPresent` false).
fn trust_context(
    ctx: &RequestContext,
    external_id: Option<&str>,
    with_account: bool,
    mfa: Option<OffsetDateTime>,
) -> iamd_policy::Context {
    let mut c = iamd_policy::Context::new().current_time(ctx.now);
    c = match (mfa, &ctx.via) {
        (Some(at), _) => c
            .mfa_present(true)
            .mfa_age((ctx.now - at).whole_seconds().max(0)),
        (None, Via::AccessKey { .. }) => c,
        (
            None,
            Via::Session { .. }
            | Via::RoleSession { .. }
            | Via::Federated { .. }
            | Via::Console { .. },
        ) => c.mfa_present(false),
    };
    c = match &ctx.principal {
        Principal::Root { .. } => c
            .principal_arn(&ctx.principal.arn())
            .principal_type("Account"),
        Principal::User(u) => c
            .principal_arn(&u.arn())
            .userid(&u.user_id)
            .username(&u.user_name)
            .principal_type("User"),
        Principal::RoleSession(s) => {
            let mut c = c
                .principal_arn(&s.role.arn())
                .userid(&ctx.principal.unique_id())
                .principal_type("AssumedRole");
            for t in s.principal_tags() {
                c = c.principal_tag(&t.key, &t.value);
            }
            c
        }
        Principal::FederatedUser(_) => c
            .principal_arn(&ctx.principal.arn())
            .userid(&ctx.principal.unique_id())
            .principal_type("FederatedUser"),
    };
    if with_account {
        c = c.principal_account(ctx.principal.account_id());
    }
    if let Some(id) = external_id {
        c = c.with("sts:ExternalId", id);
    }
    c
}

impl Iam {
    pub async fn assume_role(
        &self,
        ctx: &RequestContext,
        input: AssumeRoleInput,
    ) -> Result<AssumedRole, IamError> {
        let Some((account, path, name)) = parse_role_arn(&input.role_arn) else {
            return Err(IamError::validation(format!(
                "{} is invalid",
                input.role_arn
            )));
        };
        let caller = ctx.principal.arn();
        let denied = || {
            IamError::new(
                ErrorCode::AccessDenied,
                format!(
                    "User: {caller} is not authorized to perform: sts:AssumeRole on resource: {}",
                    input.role_arn
                ),
            )
        };
        if matches!(ctx.principal, Principal::Root { .. }) {
            return Err(IamError::new(
                ErrorCode::AccessDenied,
                "Roles may not be assumed by root accounts.",
            ));
        }
        refuse_federated(ctx, &input.role_arn)?;
        if account != ctx.principal.account_id() {
            // Only one account's roles are served here.
            return Err(denied());
        }
        let role = self
            .store
            .get_role(&account, &name)
            .await
            .map_err(store_failure)?
            .filter(|r| r.path == path && r.role_name == name)
            .ok_or_else(denied)?;
        // A code presented now, or the caller's own MFA session: the new session is
        // MFA-authenticated since then.
        let mfa = match self.presented_mfa(ctx, input.mfa.as_ref()).await? {
            Some(at) => Some(at),
            None => ctx.via.mfa_authenticated_at(),
        };

        let inherited = match &ctx.principal {
            Principal::RoleSession(s) => s.tags.inherited(),
            _ => SessionTags::default(),
        };
        let mut tags = session_tags(inherited, &input.tags, &input.transitive_tag_keys)?;
        let sets_source_identity =
            source_identity(&mut tags, input.source_identity.as_deref(), denied)?;

        if self.authorizer.enforces() {
            let trust = iamd_policy::Policy::parse_as(
                &role.assume_role_policy_document,
                iamd_policy::PolicyKind::Trust,
            )
            .map_err(|_| denied())?
            .compile();
            let evaluate = |with_account: bool| {
                let context = trust_context(ctx, input.external_id.as_deref(), with_account, mfa);
                let request = iamd_policy::Request {
                    action: ctx.action(),
                    resource: &input.role_arn,
                    context: &context,
                };
                iamd_policy::evaluate(&[("trust", &trust)], &request).decision
            };
            match evaluate(true) {
                Decision::Allowed => {
                    // Trusted by name (or "*"): enough. Trusted as "the account": the caller's
                    // own policies must allow sts:AssumeRole on the role too.
                    if evaluate(false) != Decision::Allowed {
                        let resource = Resource::arn(role.arn()).entity_tags(&role.tags);
                        self.authorize(ctx, ctx.action(), &resource)
                            .await
                            .map_err(|_| denied())?;
                    }
                }
                Decision::ExplicitDeny | Decision::ImplicitDeny => return Err(denied()),
            }
            // Session tags (given or inherited) need sts:TagSession in the trust policy.
            // As for sts:AssumeRole, a trust statement that names the caller is enough;
            // one that trusts the caller's account delegates the choice to the account,
            // so the caller's own policies must then allow sts:TagSession on the role too.
            if !tags.tags.is_empty() {
                let tag_denied = || {
                    IamError::new(
                        ErrorCode::AccessDenied,
                        format!(
                            "User: {caller} is not authorized to perform: sts:TagSession on resource: {}",
                            input.role_arn
                        ),
                    )
                };
                let tag_session = |with_account: bool| {
                    let context = with_request_tags(
                        trust_context(ctx, input.external_id.as_deref(), with_account, mfa),
                        &tags,
                    );
                    trust_allows(&trust, "sts:TagSession", &input.role_arn, &context)
                };
                if !tag_session(true) {
                    return Err(tag_denied());
                }
                if !tag_session(false) {
                    let resource = Resource::arn(role.arn()).entity_tags(&role.tags);
                    self.authorize(&ctx.tagging(&tags.tags), "sts:TagSession", &resource)
                        .await
                        .map_err(|_| tag_denied())?;
                }
            }
            if sets_source_identity {
                let context = trust_context(ctx, input.external_id.as_deref(), true, mfa).with(
                    "sts:SourceIdentity",
                    tags.source_identity.as_deref().unwrap_or(""),
                );
                if !trust_allows(&trust, "sts:SetSourceIdentity", &input.role_arn, &context) {
                    return Err(IamError::new(
                        ErrorCode::AccessDenied,
                        format!(
                            "User: {caller} is not authorized to perform: sts:SetSourceIdentity on resource: {}",
                            input.role_arn
                        ),
                    ));
                }
            }
        }

        let chained = matches!(ctx.principal, Principal::RoleSession(_));
        let seconds = input
            .duration_seconds
            .unwrap_or(ROLE_SESSION_DEFAULT_SECONDS);
        if chained && seconds > CHAINED_SESSION_MAX_SECONDS {
            return Err(IamError::validation(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
            ));
        }
        if seconds > i64::from(role.max_session_duration) {
            return Err(IamError::validation(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            ));
        }
        if let Some(policy) = &input.policy {
            iamd_policy::Policy::parse_as(policy, iamd_policy::PolicyKind::Identity).map_err(
                |e| IamError::new(ErrorCode::MalformedPolicyDocument, e.message().to_owned()),
            )?;
        }
        let packed_policy_size =
            packed_policy_size(input.policy.as_deref(), &input.policy_arns, &tags)?;
        let source_identity_out = tags.source_identity.clone();
        let secret = role
            .session_secret
            .open(&self.keyring)
            .map_err(|e| IamError::service_failure(&e))?;
        let now = ctx.now.replace_nanosecond(0).unwrap_or(ctx.now);
        let claims = SessionClaims {
            access_key_id: ids::temporary_access_key_id(&account),
            issuer: Issuer::Role {
                role_id: role.role_id.clone(),
                session_name: input.role_session_name.clone(),
                policy: input.policy.clone(),
                policy_arns: input.policy_arns.clone(),
                chained,
                tags,
            },
            expiration: now + Duration::seconds(seconds),
            mfa,
            nonce: ids::nonce(),
        };
        let (session_token, secret_access_key) = session::mint(&secret, &claims);
        Ok(AssumedRole {
            credentials: SessionCredentials {
                access_key_id: claims.access_key_id,
                secret_access_key,
                session_token,
                expiration: claims.expiration,
            },
            assumed_role_id: format!("{}:{}", role.role_id, input.role_session_name),
            arn: format!(
                "arn:aws:sts::{account}:assumed-role/{}/{}",
                role.role_name, input.role_session_name
            ),
            packed_policy_size,
            source_identity: source_identity_out,
        })
    }
}

/// Federated user sessions may call no STS operation but GetCallerIdentity (AWS's rule;
/// the wording of the refusal is iamd's).
pub(crate) fn refuse_federated(ctx: &RequestContext, resource: &str) -> Result<(), IamError> {
    match &ctx.principal {
        Principal::FederatedUser(_) => Err(IamError::new(
            ErrorCode::AccessDenied,
            format!(
                "User: {} is not authorized to perform: {} on resource: {resource} because federated user sessions cannot call STS operations other than GetCallerIdentity",
                ctx.principal.arn(),
                ctx.action()
            ),
        )),
        _ => Ok(()),
    }
}

/// GetFederationToken's default duration (the model bounds it to 900–129,600 seconds;
/// the account root's sessions last at most an hour: `ROOT_SESSION_MAX_SECONDS`).
pub const FEDERATION_DEFAULT_SECONDS: i64 = 43_200;

/// The packed-size quota session policies count against, in characters: the
/// percentage `PackedPolicySize` reports is of this.
pub const PACKED_POLICY_MAX: usize = 2_048;

#[derive(Debug, Clone, Default)]
pub struct GetFederationTokenInput {
    pub name: String,
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
    pub duration_seconds: Option<i64>,
    /// Session tags: they become the session's `aws:PrincipalTag/…` (over the user's own
    /// tags of the same key), and need `sts:TagSession` besides `sts:GetFederationToken`.
    pub tags: Vec<crate::model::Tag>,
}

#[derive(Debug, Clone)]
pub struct FederationToken {
    pub credentials: SessionCredentials,
    /// `ACCOUNT:name`
    pub federated_user_id: String,
    /// `arn:aws:sts::ACCOUNT:federated-user/name`
    pub arn: String,
    /// The session policies' size as a percentage of what is allowed.
    pub packed_policy_size: i32,
}

impl Iam {
    /// GetFederationToken: a federated user session for the calling user (or root), made
    /// with its long-term key, whose permissions are the intersection of the caller's and
    /// the session policies' (none without session policies).
    pub async fn get_federation_token(
        &self,
        ctx: &RequestContext,
        input: GetFederationTokenInput,
    ) -> Result<FederationToken, IamError> {
        let Via::AccessKey {
            access_key_id: parent_id,
        } = &ctx.via
        else {
            return Err(IamError::new(
                ErrorCode::AccessDenied,
                "Cannot call GetFederationToken with session credentials",
            ));
        };
        let account = ctx.principal.account_id().to_owned();
        let arn = format!("arn:aws:sts::{account}:federated-user/{}", input.name);
        // No transitive keys (GetFederationToken has no TransitiveTagKeys) and nothing
        // inherited (it is called with a long-term key).
        let tags = session_tags(SessionTags::default(), &input.tags, &[])?;
        // With tags, both actions see them as `aws:RequestTag/…` and `aws:TagKeys`, and
        // the caller's policies must allow sts:TagSession too (AWS: "An administrator
        // must grant you the permissions necessary to pass session tags").
        let tagging = ctx.tagging(&tags.tags);
        self.authorize(&tagging, ctx.action(), &Resource::arn(arn.clone()))
            .await?;
        if !tags.tags.is_empty() {
            self.authorize(&tagging, "sts:TagSession", &Resource::arn(arn.clone()))
                .await?;
        }
        let mut seconds = input.duration_seconds.unwrap_or(FEDERATION_DEFAULT_SECONDS);
        if matches!(ctx.principal, Principal::Root { .. }) {
            seconds = seconds.min(ROOT_SESSION_MAX_SECONDS);
        }
        let mut packed =
            input.policy_arns.iter().map(String::len).sum::<usize>() + session_tag_bytes(&tags);
        if let Some(policy) = &input.policy {
            iamd_policy::Policy::parse_as(policy, iamd_policy::PolicyKind::Identity).map_err(
                |e| IamError::new(ErrorCode::MalformedPolicyDocument, e.message().to_owned()),
            )?;
            packed += iamd_policy::policy_size(policy);
        }
        let packed_policy_size = packed.saturating_mul(100).div_ceil(PACKED_POLICY_MAX);
        if packed_policy_size > 100 {
            return Err(IamError::new(
                ErrorCode::PackedPolicyTooLarge,
                format!(
                    "Packed policy consumes {packed_policy_size}% of allotted space, please use smaller policy."
                ),
            ));
        }
        let parent = self
            .store
            .get_credential(parent_id)
            .await
            .map_err(store_failure)?
            .filter(|c| c.key.status == KeyStatus::Active)
            .ok_or_else(|| {
                IamError::new(
                    ErrorCode::InvalidClientTokenId,
                    "The security token included in the request is invalid.",
                )
            })?;
        let parent_secret = parent
            .secret
            .open(&self.keyring)
            .map_err(|e| IamError::service_failure(&e))?;
        let now = ctx.now.replace_nanosecond(0).unwrap_or(ctx.now);
        let claims = SessionClaims {
            access_key_id: ids::temporary_access_key_id(&account),
            issuer: Issuer::Federation {
                parent_access_key_id: parent_id.clone(),
                name: input.name.clone(),
                policy: input.policy,
                policy_arns: input.policy_arns,
                tags,
            },
            expiration: now + Duration::seconds(seconds),
            mfa: None,
            nonce: ids::nonce(),
        };
        let (session_token, secret_access_key) = session::mint(&parent_secret, &claims);
        Ok(FederationToken {
            credentials: SessionCredentials {
                access_key_id: claims.access_key_id,
                secret_access_key,
                session_token,
                expiration: claims.expiration,
            },
            federated_user_id: format!("{account}:{}", input.name),
            arn,
            packed_policy_size: packed_policy_size as i32,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns() {
        assert_eq!(
            parse_role_arn("arn:aws:iam::123456789012:role/ops/admin"),
            Some(("123456789012".into(), "/ops/".into(), "admin".into()))
        );
        assert!(parse_role_arn("nothing-valid-in-here").is_none());
        assert!(parse_role_arn("arn::b:::something/test-role").is_none());
        assert!(parse_role_arn("arn:aws:iam::123456789012:user/admin").is_none());
    }
}
