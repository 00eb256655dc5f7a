//! OpenID Connect providers (Create/Get/List/DeleteOpenIDConnectProvider, their client ids,
//! thumbprints and tags) and AssumeRoleWithWebIdentity: a JWT signed by a provider's issuer,
//! its signature checked against the issuer's published keys (`IssuerKeys`, fetched by the
//! binary over HTTPS), its claims against the provider, then the role's trust policy
//! evaluated with `Principal: {"Federated": <provider ARN>}` and the `<url>:sub`, `:aud`,
//! `:amr` condition keys.
//!
//! A provider's thumbprints are stored and shown but do not decide trust: iamd checks the
//! issuer's certificate against the system's roots (and `--oidc-ca-file`), as AWS now does
//! for issuers whose certificates chain to a CA it trusts.

use std::sync::Arc;

use async_trait::async_trait;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use time::{Duration, OffsetDateTime};

use iamd_policy::Decision;

use crate::authz::Resource;
use crate::error::{ErrorCode, IamError};
use crate::ids;
use crate::model::{
    OidcProvider, OidcProviderChange, Tag, CLIENT_IDS_PER_OIDC_PROVIDER,
    OIDC_PROVIDERS_PER_ACCOUNT, TAGS_PER_ENTITY, THUMBPRINTS_PER_OIDC_PROVIDER,
};
use crate::service::{store_failure, Iam, RequestContext};
use crate::session::{self, Issuer, SessionClaims, SessionTags};
use crate::store::StoreError;
use crate::sts::{AssumedRole, SessionCredentials, ROLE_SESSION_DEFAULT_SECONDS};

/// Why an issuer's keys could not be had.
#[derive(Debug, Clone, thiserror::Error)]
pub enum KeyFetchError {
    /// The issuer did not answer, or not in time, or not over trusted TLS.
    #[error("issuer unreachable: {0}")]
    Unreachable(String),
    /// It answered, but not with a discovery document and key set iamd can use.
    #[error("issuer answered badly: {0}")]
    Invalid(String),
}

/// The signing keys of OIDC issuers.
#[async_trait]
pub trait IssuerKeys: Send + Sync {
    /// The key set the issuer `issuer` (an `https://` URL, the token's `iss`) publishes
    /// through its discovery document's `jwks_uri`. `kid`: the key the token names; a
    /// cached set without it may be fetched again (the implementation rate-limits that).
    async fn keys(&self, issuer: &str, kid: Option<&str>) -> Result<Arc<JwkSet>, KeyFetchError>;
}

/// Clock skew allowed on a token's `exp`, `nbf` and `iat` (AWS documents none; see
/// ARCHITECTURE.md).
pub const TOKEN_SKEW_SECONDS: i64 = 60;

/// The signature algorithms accepted (asymmetric only: an `HS256` token would be checked
/// with a public key as its secret).
const ALGORITHMS: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

/// `https://host/path` → `host/path` (host lower-cased); `None` unless it is an https URL
/// with a host and without query or fragment.
pub fn provider_url(url: &str) -> Option<String> {
    let rest = url
        .get(..8)
        .filter(|s| s.eq_ignore_ascii_case("https://"))
        .map(|_| &url[8..])?;
    if rest.contains(['?', '#']) || rest.chars().any(char::is_whitespace) {
        return None;
    }
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if host.is_empty() || host.contains('@') {
        return None;
    }
    Some(format!("{}{path}", host.to_ascii_lowercase()))
}

pub fn provider_arn(account_id: &str, url: &str) -> String {
    format!("arn:aws:iam::{account_id}:oidc-provider/{url}")
}

fn no_such_provider(arn: &str) -> IamError {
    // moto's text; AWS's is UNCONFIRMED (ARCHITECTURE.md).
    IamError::new(
        ErrorCode::NoSuchEntity,
        format!("OpenIDConnect Provider not found for arn {arn}"),
    )
}

fn thumbprints(list: &[String]) -> Result<Vec<String>, IamError> {
    if list.len() > THUMBPRINTS_PER_OIDC_PROVIDER {
        return Err(IamError::new(
            ErrorCode::InvalidInput,
            "Thumbprint list must contain fewer than 5 entries.",
        ));
    }
    for t in list {
        if t.len() != 40 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(IamError::validation(format!(
                "Thumbprint {t} is not a 40-character hexadecimal SHA-1 fingerprint"
            )));
        }
    }
    Ok(list.iter().map(|t| t.to_ascii_lowercase()).collect())
}

fn client_id_quota() -> IamError {
    IamError::new(
        ErrorCode::LimitExceeded,
        format!(
            "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {CLIENT_IDS_PER_OIDC_PROVIDER}"
        ),
    )
}

fn change_error(e: StoreError, arn: &str) -> IamError {
    match e {
        StoreError::NoSuchOidcProvider => no_such_provider(arn),
        StoreError::OidcClientIdQuotaExceeded => client_id_quota(),
        StoreError::TagQuotaExceeded => IamError::new(
            ErrorCode::LimitExceeded,
            format!("The number of tags has reached the maximum limit of {TAGS_PER_ENTITY}."),
        ),
        e => store_failure(e),
    }
}

/// What CreateOpenIDConnectProvider takes.
#[derive(Debug, Clone, Default)]
pub struct NewOidcProvider {
    pub url: String,
    pub client_ids: Vec<String>,
    pub thumbprints: Vec<String>,
    pub tags: Vec<Tag>,
    /// ContextProvider, as the JSON object `api` encodes; kept and returned, not used.
    pub context_provider: Option<String>,
    /// IdentityCenterInstanceArn; kept and returned, not used.
    pub identity_center_instance_arn: Option<String>,
}

/// What UpdateOpenIDConnectProvider takes.
#[derive(Debug, Clone, Default)]
pub struct OidcProviderSettings {
    /// ContextProvider, as the JSON object `api` encodes.
    pub context_provider: Option<String>,
    pub remove_context_provider: bool,
    pub identity_center_instance_arn: Option<String>,
    pub remove_identity_center_instance: bool,
}

impl Iam {
    /// The account and url a provider ARN names, after authorizing the operation on it.
    async fn provider_for(&self, ctx: &RequestContext, arn: &str) -> Result<String, IamError> {
        self.authorize(ctx, ctx.action(), &Resource::arn(arn))
            .await?;
        let account = ctx.principal.account_id();
        let prefix = format!("arn:aws:iam::{account}:oidc-provider/");
        match arn.strip_prefix(&prefix) {
            Some(url) if !url.is_empty() => Ok(url.to_owned()),
            _ => Err(no_such_provider(arn)),
        }
    }

    pub async fn create_oidc_provider(
        &self,
        ctx: &RequestContext,
        input: NewOidcProvider,
    ) -> Result<String, IamError> {
        let ctx = &ctx.tagging(&input.tags);
        let Some(url) = provider_url(&input.url) else {
            return Err(IamError::validation("Invalid Open ID Connect Provider URL"));
        };
        let account = ctx.principal.account_id().to_owned();
        let arn = provider_arn(&account, &url);
        self.authorize(ctx, ctx.action(), &Resource::arn(&arn))
            .await?;
        let thumbprints = thumbprints(&input.thumbprints)?;
        let mut client_ids: Vec<String> = Vec::new();
        for id in input.client_ids {
            if !client_ids.contains(&id) {
                client_ids.push(id);
            }
        }
        if client_ids.len() > CLIENT_IDS_PER_OIDC_PROVIDER {
            return Err(client_id_quota());
        }
        let provider = OidcProvider {
            account_id: account,
            url: url.clone(),
            client_ids,
            thumbprints,
            tags: input.tags,
            create_date: ctx.now.replace_nanosecond(0).unwrap_or(ctx.now),
            context_provider: input.context_provider,
            identity_center_instance_arn: input.identity_center_instance_arn,
        };
        self.store
            .create_oidc_provider(&provider, OIDC_PROVIDERS_PER_ACCOUNT)
            .await
            .map_err(|e| match e {
                // UNCONFIRMED text (ARCHITECTURE.md).
                StoreError::AlreadyExists => IamError::new(
                    ErrorCode::EntityAlreadyExists,
                    format!("Provider with url https://{url} already exists."),
                ),
                StoreError::OidcProviderQuotaExceeded => IamError::new(
                    ErrorCode::LimitExceeded,
                    format!(
                        "Cannot exceed quota for OpenIdConnectProvidersPerAccount: {OIDC_PROVIDERS_PER_ACCOUNT}"
                    ),
                ),
                e => store_failure(e),
            })?;
        Ok(arn)
    }

    pub async fn get_oidc_provider(
        &self,
        ctx: &RequestContext,
        arn: &str,
    ) -> Result<OidcProvider, IamError> {
        let url = self.provider_for(ctx, arn).await?;
        self.store
            .get_oidc_provider(ctx.principal.account_id(), &url)
            .await
            .map_err(store_failure)?
            .ok_or_else(|| no_such_provider(arn))
    }

    /// ListOpenIDConnectProviders: the ARNs, in url order.
    pub async fn list_oidc_providers(&self, ctx: &RequestContext) -> Result<Vec<String>, IamError> {
        let account = ctx.principal.account_id();
        self.authorize(ctx, ctx.action(), &Resource::arn("*"))
            .await?;
        Ok(self
            .store
            .list_oidc_providers(account)
            .await
            .map_err(store_failure)?
            .into_iter()
            .map(|p| provider_arn(account, &p.url))
            .collect())
    }

    pub async fn delete_oidc_provider(
        &self,
        ctx: &RequestContext,
        arn: &str,
    ) -> Result<(), IamError> {
        let url = self.provider_for(ctx, arn).await?;
        self.store
            .delete_oidc_provider(ctx.principal.account_id(), &url)
            .await
            .map_err(|e| change_error(e, arn))
    }

    /// Add/RemoveClientIDTo/FromOpenIDConnectProvider, UpdateOpenIDConnectProviderThumbprint,
    /// Tag/UntagOpenIDConnectProvider.
    pub async fn change_oidc_provider(
        &self,
        ctx: &RequestContext,
        arn: &str,
        change: OidcProviderChange,
    ) -> Result<OidcProvider, IamError> {
        let tagged;
        let ctx = match &change {
            OidcProviderChange::Tag { tags, .. } => {
                tagged = ctx.tagging(tags);
                &tagged
            }
            OidcProviderChange::Untag(keys) => {
                tagged = ctx.untagging(keys);
                &tagged
            }
            _ => ctx,
        };
        let change = match change {
            OidcProviderChange::SetThumbprints(list) => {
                OidcProviderChange::SetThumbprints(thumbprints(&list)?)
            }
            c => c,
        };
        let url = self.provider_for(ctx, arn).await?;
        self.store
            .change_oidc_provider(ctx.principal.account_id(), &url, &change)
            .await
            .map_err(|e| change_error(e, arn))
    }
}

impl Iam {
    /// UpdateOpenIDConnectProvider: sets, replaces or removes the provider's trusted
    /// identity propagation context provider and its IAM Identity Center instance, in one
    /// change. iamd keeps them and returns them (GetOpenIDConnectProvider); it uses neither
    /// (ARCHITECTURE.md).
    pub async fn configure_oidc_provider(
        &self,
        ctx: &RequestContext,
        arn: &str,
        settings: OidcProviderSettings,
    ) -> Result<OidcProvider, IamError> {
        // UNCONFIRMED texts (ARCHITECTURE.md): the documentation says not to give both.
        if settings.context_provider.is_some() && settings.remove_context_provider {
            return Err(IamError::new(
                ErrorCode::InvalidInput,
                "ContextProvider and RemoveContextProvider cannot both be specified.",
            ));
        }
        if settings.identity_center_instance_arn.is_some()
            && settings.remove_identity_center_instance
        {
            return Err(IamError::new(
                ErrorCode::InvalidInput,
                "IdentityCenterInstanceArn and RemoveIdentityCenterInstance cannot both be specified.",
            ));
        }
        let setting = |value: Option<String>, remove: bool| match (value, remove) {
            (Some(v), _) => Some(Some(v)),
            (None, true) => Some(None),
            (None, false) => None,
        };
        let change = OidcProviderChange::Configure {
            context_provider: setting(settings.context_provider, settings.remove_context_provider),
            identity_center_instance_arn: setting(
                settings.identity_center_instance_arn,
                settings.remove_identity_center_instance,
            ),
        };
        self.change_oidc_provider(ctx, arn, change).await
    }
}

/// AssumeRoleWithWebIdentity's parameters.
#[derive(Debug, Clone, Default)]
pub struct WebIdentityInput {
    pub role_arn: String,
    pub role_session_name: String,
    pub web_identity_token: String,
    pub duration_seconds: Option<i64>,
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
}

/// What AssumeRoleWithWebIdentity answers besides the role session.
#[derive(Debug, Clone)]
pub struct WebIdentitySession {
    pub role: AssumedRole,
    pub subject: String,
    pub audience: String,
    /// The provider's ARN.
    pub provider: String,
}

fn invalid_token(message: impl Into<String>) -> IamError {
    IamError::new(ErrorCode::InvalidIdentityToken, message)
}

const UNVERIFIABLE: &str = "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.";
const NO_KEY: &str = "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements";

/// A claim that is a string or a list of strings (`aud`, `amr`).
fn strings(v: Option<&serde_json::Value>) -> Vec<String> {
    match v {
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

fn seconds(claims: &serde_json::Value, name: &str) -> Option<i64> {
    let v = claims.get(name)?;
    v.as_i64().or_else(|| v.as_f64().map(|f| f as i64))
}

/// The session tags a token carries in its `https://aws.amazon.com/tags` claim:
/// `{"principal_tags": {"key": ["value"]}, "transitive_tag_keys": ["key"]}`. `Err` when the
/// claim is there but not of that shape.
fn token_tags(claims: &serde_json::Value) -> Result<(Vec<Tag>, Vec<String>), ()> {
    let Some(claim) = claims.get("https://aws.amazon.com/tags") else {
        return Ok((Vec::new(), Vec::new()));
    };
    let mut tags = Vec::new();
    if let Some(principal) = claim.get("principal_tags") {
        for (key, values) in principal.as_object().ok_or(())? {
            let value = match values {
                serde_json::Value::Array(a) if a.len() == 1 => a[0].as_str().ok_or(())?,
                serde_json::Value::String(s) => s.as_str(),
                _ => return Err(()),
            };
            tags.push(Tag {
                key: key.clone(),
                value: value.to_owned(),
            });
        }
    }
    let transitive = match claim.get("transitive_tag_keys") {
        None => Vec::new(),
        Some(keys) => keys
            .as_array()
            .ok_or(())?
            .iter()
            .map(|k| k.as_str().map(str::to_owned).ok_or(()))
            .collect::<Result<_, _>>()?,
    };
    Ok((tags, transitive))
}

/// The key of `set` a token with header `kid` is checked with: the one with that `kid`,
/// or without a `kid` the set's only signing key.
fn key_for<'a>(set: &'a JwkSet, kid: Option<&str>) -> Option<&'a Jwk> {
    let signing = |k: &&Jwk| {
        !matches!(
            k.common.public_key_use,
            Some(jsonwebtoken::jwk::PublicKeyUse::Encryption)
        )
    };
    match kid {
        Some(kid) => set
            .keys
            .iter()
            .filter(signing)
            .find(|k| k.common.key_id.as_deref() == Some(kid)),
        None => {
            let mut keys = set.keys.iter().filter(signing);
            match (keys.next(), keys.next()) {
                (Some(k), None) => Some(k),
                _ => None,
            }
        }
    }
}

impl Iam {
    /// AssumeRoleWithWebIdentity: called without a signature; the token is the proof.
    pub async fn assume_role_with_web_identity(
        &self,
        now: OffsetDateTime,
        input: WebIdentityInput,
    ) -> Result<WebIdentitySession, IamError> {
        let Some((account, path, name)) = crate::sts::parse_role_arn(&input.role_arn) else {
            return Err(IamError::validation(format!(
                "{} is invalid",
                input.role_arn
            )));
        };
        let token = input.web_identity_token.as_str();
        let header = jsonwebtoken::decode_header(token).map_err(|_| {
            invalid_token("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
        })?;
        // The claims, unverified, to find the provider; the signature is checked below.
        let mut peek = Validation::new(header.alg);
        peek.insecure_disable_signature_validation();
        peek.validate_exp = false;
        peek.validate_aud = false;
        peek.required_spec_claims.clear();
        let unverified =
            jsonwebtoken::decode::<serde_json::Value>(token, &DecodingKey::from_secret(&[]), &peek)
                .map_err(|_| invalid_token(UNVERIFIABLE))?
                .claims;
        let iss = unverified
            .get("iss")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned();
        let Some(url) = provider_url(&iss) else {
            return Err(invalid_token(format!(
                "No OpenIDConnect provider found in your account for {iss}"
            )));
        };
        let provider = self
            .store
            .get_oidc_provider(&account, &url)
            .await
            .map_err(store_failure)?
            .ok_or_else(|| {
                invalid_token(format!(
                    "No OpenIDConnect provider found in your account for {iss}"
                ))
            })?;
        let provider_arn = provider_arn(&account, &url);
        let audiences = strings(unverified.get("aud"));
        let Some(audience) = audiences
            .iter()
            .find(|a| provider.client_ids.contains(a))
            .cloned()
        else {
            return Err(invalid_token("Incorrect token audience"));
        };

        // The signature, with the issuer's key.
        if !ALGORITHMS.contains(&header.alg) {
            return Err(invalid_token(UNVERIFIABLE));
        }
        let Some(source) = &self.issuer_keys else {
            return Err(IamError::new(ErrorCode::IdpCommunicationError, NO_KEY));
        };
        let kid = header.kid.as_deref();
        let keys = source.keys(&iss, kid).await.map_err(|e| {
            tracing::info!(issuer = %iss, error = %e, "OIDC issuer keys unavailable");
            IamError::new(ErrorCode::IdpCommunicationError, NO_KEY)
        })?;
        let jwk = key_for(&keys, kid).ok_or_else(|| invalid_token(NO_KEY))?;
        let key = DecodingKey::from_jwk(jwk).map_err(|_| invalid_token(NO_KEY))?;
        let mut validation = Validation::new(header.alg);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let claims = jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation)
            .map_err(|_| invalid_token(UNVERIFIABLE))?
            .claims;

        // Time claims, with a little skew.
        let now_s = now.unix_timestamp();
        let Some(exp) = seconds(&claims, "exp") else {
            return Err(invalid_token(UNVERIFIABLE));
        };
        if now_s > exp + TOKEN_SKEW_SECONDS {
            return Err(IamError::new(
                ErrorCode::ExpiredTokenException,
                format!(
                    "Token expired: current date/time {now_s} must be before the expiration date/time {exp}"
                ),
            ));
        }
        for claim in ["nbf", "iat"] {
            if seconds(&claims, claim).is_some_and(|t| t > now_s + TOKEN_SKEW_SECONDS) {
                return Err(invalid_token(UNVERIFIABLE));
            }
        }
        let subject = claims
            .get("sub")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned();

        let (given_tags, transitive) =
            token_tags(&claims).map_err(|_| invalid_token(UNVERIFIABLE))?;
        let mut tags = crate::sts::session_tags(SessionTags::default(), &given_tags, &transitive)?;
        let source_identity = match claims.get("https://aws.amazon.com/source_identity") {
            None => None,
            Some(v) => Some(
                v.as_str()
                    .filter(|s| (2..=64).contains(&s.len()))
                    .ok_or_else(|| invalid_token(UNVERIFIABLE))?,
            ),
        };
        let sets_source_identity = crate::sts::source_identity(&mut tags, source_identity, || {
            IamError::new(
                ErrorCode::AccessDenied,
                "Not authorized to perform sts:SetSourceIdentity",
            )
        })?;

        // The role and its trust policy.
        let denied = || {
            IamError::new(
                ErrorCode::AccessDenied,
                "Not authorized to perform sts:AssumeRoleWithWebIdentity",
            )
        };
        let role = self
            .store
            .get_role(&account, &name)
            .await
            .map_err(store_failure)?
            .filter(|r| r.path == path && r.role_name == name)
            .ok_or_else(denied)?;
        let trust = iamd_policy::Policy::parse_as(
            &role.assume_role_policy_document,
            iamd_policy::PolicyKind::Trust,
        )
        .map_err(|_| denied())?
        .compile();
        let mut context = iamd_policy::Context::new()
            .current_time(now)
            .with("aws:FederatedProvider", provider_arn.as_str())
            .with(&format!("{url}:sub"), subject.as_str())
            .with(&format!("{url}:aud"), audience.as_str());
        let amr = strings(claims.get("amr"));
        if !amr.is_empty() {
            context.set_values(
                &format!("{url}:amr"),
                amr.into_iter().map(Into::into).collect(),
            );
        }
        let request = iamd_policy::Request {
            action: "sts:AssumeRoleWithWebIdentity",
            resource: &input.role_arn,
            context: &context,
        };
        if iamd_policy::evaluate(&[("trust", &trust)], &request).decision != Decision::Allowed {
            return Err(denied());
        }
        if !tags.tags.is_empty() {
            let context = crate::sts::with_request_tags(context.clone(), &tags);
            let request = iamd_policy::Request {
                action: "sts:TagSession",
                resource: &input.role_arn,
                context: &context,
            };
            if iamd_policy::evaluate(&[("trust", &trust)], &request).decision != Decision::Allowed {
                return Err(IamError::new(
                    ErrorCode::AccessDenied,
                    "Not authorized to perform sts:TagSession",
                ));
            }
        }
        if sets_source_identity {
            let context = context.clone().with(
                "sts:SourceIdentity",
                tags.source_identity.as_deref().unwrap_or(""),
            );
            if !crate::sts::trust_allows(&trust, "sts:SetSourceIdentity", &input.role_arn, &context)
            {
                return Err(IamError::new(
                    ErrorCode::AccessDenied,
                    "Not authorized to perform sts:SetSourceIdentity",
                ));
            }
        }
        let source_identity_out = tags.source_identity.clone();
        let packed_policy_size =
            crate::sts::packed_policy_size(input.policy.as_deref(), &input.policy_arns, &tags)?;

        let seconds = input
            .duration_seconds
            .unwrap_or(ROLE_SESSION_DEFAULT_SECONDS);
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
        let now = now.replace_nanosecond(0).unwrap_or(now);
        let claims = SessionClaims {
            access_key_id: ids::temporary_access_key_id(&account),
            issuer: Issuer::Role {
                role_id: role.role_id.clone(),
                session_name: input.role_session_name.clone(),
                policy: input.policy.clone(),
                policy_arns: input.policy_arns.clone(),
                chained: false,
                tags,
            },
            expiration: now + Duration::seconds(seconds),
            mfa: None,
            nonce: ids::nonce(),
        };
        let (session_token, secret_access_key) = session::mint(&secret, &claims);
        Ok(WebIdentitySession {
            role: AssumedRole {
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
            },
            subject,
            audience,
            provider: provider_arn,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_urls() {
        assert_eq!(
            provider_url("https://Token.Actions.GitHubUserContent.com").as_deref(),
            Some("token.actions.githubusercontent.com")
        );
        assert_eq!(
            provider_url("https://example.com/tenant/v2").as_deref(),
            Some("example.com/tenant/v2")
        );
        assert_eq!(
            provider_url("https://127.0.0.1:8443").as_deref(),
            Some("127.0.0.1:8443")
        );
        for bad in [
            "http://example.com",
            "example.com",
            "https://",
            "https://example.com?x=1",
            "https://example.com#f",
            "https://u@example.com",
        ] {
            assert_eq!(provider_url(bad), None, "{bad}");
        }
    }

    #[test]
    fn thumbprint_checks() {
        assert!(thumbprints(&["6938FD4D98BAB03FAADB97B34396831E3780AEA1".into()]).is_ok());
        assert_eq!(
            thumbprints(&vec!["6938fd4d98bab03faadb97b34396831e3780aea1".into(); 6])
                .unwrap_err()
                .code,
            ErrorCode::InvalidInput
        );
        assert!(thumbprints(&["zz38fd4d98bab03faadb97b34396831e3780aea1".into()]).is_err());
    }
}
