//! Authentication: SigV4 verification against the stored keys, in AWS's order (structure,
//! date, scope, key, signature), producing the `Principal` that signed the request.

use http::request::Parts;
use iamd_core::model::{Credential, KeyStatus, KeyUsage};
use iamd_core::secret::SecretKey;
use iamd_core::session::{self, SessionClaims};
use iamd_core::{ErrorCode, IamError, Principal, Store, Via};
use iamd_protocol::Service;
use iamd_sigv4::{ParsedAuth, SigV4Error};
use time::OffsetDateTime;

/// The SigV4 failure as the client sees it. Exhaustive: a new variant must be mapped here.
pub fn sigv4_error(e: SigV4Error) -> IamError {
    match e {
        SigV4Error::MissingAuthenticationToken => IamError::new(
            ErrorCode::MissingAuthenticationToken,
            "Request is missing Authentication Token",
        ),
        SigV4Error::IncompleteSignature(m) => IamError::new(ErrorCode::IncompleteSignature, m),
        SigV4Error::SignatureDoesNotMatch(m) => IamError::new(ErrorCode::SignatureDoesNotMatch, m),
        SigV4Error::MalformedQueryString(m) => IamError::new(ErrorCode::MalformedQueryString, m),
    }
}

fn invalid_key() -> IamError {
    IamError::new(
        ErrorCode::InvalidClientTokenId,
        "The security token included in the request is invalid.",
    )
}

/// A session token that is malformed, forged, not for this key id, or whose parent key is
/// gone or inactive. (No trailing period: AWS's text differs from the unknown-key one.)
fn invalid_token() -> IamError {
    IamError::new(
        ErrorCode::InvalidClientTokenId,
        "The security token included in the request is invalid",
    )
}

/// A verified caller and the key use to record for it.
pub struct Authenticated {
    pub principal: Principal,
    pub via: Via,
    pub usage: KeyUsage,
}

async fn active_credential(
    store: &dyn Store,
    access_key_id: &str,
) -> Result<Option<Credential>, IamError> {
    Ok(store
        .get_credential(access_key_id)
        .await
        .map_err(|e| IamError::service_failure(&e))?
        .filter(|c| c.key.status == KeyStatus::Active))
}

/// As on AWS, session credentials made without MFA cannot call the IAM API; STS answers
/// them (GetCallerIdentity; GetSessionToken refuses them itself).
pub fn check_session_reach(service: Service, via: &Via) -> Result<(), IamError> {
    match (service, via) {
        (Service::Iam, Via::Session { mfa: false, .. }) => Err(invalid_token()),
        (Service::Iam | Service::Sts, _) => Ok(()),
    }
}

/// Steps 2–5 of verification (for session credentials: the token, its parent key and its
/// expiry before the signature), after `iamd_sigv4::parse` located the auth information and
/// the service was chosen.
pub async fn authenticate(
    store: &dyn Store,
    auth: &ParsedAuth,
    signing_name: &str,
    parts: &Parts,
    body: &[u8],
    now: OffsetDateTime,
) -> Result<Authenticated, IamError> {
    iamd_sigv4::check_time(auth, now).map_err(sigv4_error)?;
    iamd_sigv4::check_scope(auth, signing_name).map_err(sigv4_error)?;
    let (credential, secret, via): (Credential, SecretKey, Via) = match &auth.session_token {
        None => {
            let credential = active_credential(store, &auth.access_key_id)
                .await?
                .ok_or_else(invalid_key)?;
            let secret = credential
                .secret
                .open()
                .map_err(|e| IamError::service_failure(&e))?;
            let via = Via::AccessKey {
                access_key_id: credential.key.access_key_id.clone(),
            };
            (credential, secret, via)
        }
        Some(token) => {
            let claimed = SessionClaims::peek(token)
                .filter(|c| c.access_key_id == auth.access_key_id)
                .ok_or_else(invalid_token)?;
            let parent = active_credential(store, &claimed.parent_access_key_id)
                .await?
                .ok_or_else(invalid_token)?;
            let parent_secret = parent
                .secret
                .open()
                .map_err(|e| IamError::service_failure(&e))?;
            let claims = session::verify(&parent_secret, token).ok_or_else(invalid_token)?;
            if now > claims.expiration {
                return Err(IamError::new(
                    ErrorCode::ExpiredToken,
                    "The security token included in the request is expired",
                ));
            }
            let secret = session::session_secret(&parent_secret, &claims);
            let via = Via::Session {
                access_key_id: claims.access_key_id,
                parent_access_key_id: claims.parent_access_key_id,
                expiration: claims.expiration,
                mfa: claims.mfa,
            };
            (parent, secret, via)
        }
    };
    let signing_key = iamd_sigv4::derive_signing_key(
        secret.expose().as_bytes(),
        &auth.scope_date,
        &auth.region,
        &auth.service,
    );
    iamd_sigv4::verify(auth, parts, body, &signing_key).map_err(sigv4_error)?;
    let principal = match credential.user {
        Some(user) => Principal::User(user),
        None => Principal::Root {
            account_id: credential.key.account_id.clone(),
        },
    };
    Ok(Authenticated {
        principal,
        via,
        usage: KeyUsage {
            access_key_id: credential.key.access_key_id,
            when: now.replace_nanosecond(0).unwrap_or(now),
            service: auth.service.clone(),
            region: auth.region.clone(),
        },
    })
}
