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
use crate::session::{self, Issuer, SessionClaims};

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
}

#[derive(Debug, Clone)]
pub struct AssumedRole {
    pub credentials: SessionCredentials,
    /// `ROLEID:session`
    pub assumed_role_id: String,
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/session`
    pub arn: String,
}

/// Role sessions last an hour unless asked otherwise.
pub const ROLE_SESSION_DEFAULT_SECONDS: i64 = 3_600;
/// A role assumed with role credentials (role chaining) lasts at most an hour.
pub const CHAINED_SESSION_MAX_SECONDS: i64 = 3_600;

/// `arn:aws:iam::{account}:role{path}{name}` split into (account, path, name).
fn parse_role_arn(arn: &str) -> Option<(String, String, String)> {
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
        (None, Via::Session { .. } | Via::RoleSession { .. }) => c.mfa_present(false),
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
        Principal::RoleSession(s) => c
            .principal_arn(&s.role.arn())
            .userid(&ctx.principal.unique_id())
            .principal_type("AssumedRole"),
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
