//! Authentication: SigV4 verification against the stored keys, in AWS's order (structure,
//! date, scope, key, signature), producing the `Principal` that signed the request.

use std::collections::HashMap;
use std::sync::Mutex;

use http::request::Parts;
use iamd_core::model::{Credential, KeyStatus, KeyUsage};
use iamd_core::principal::RoleSession;
use iamd_core::secret::{Keyring, SealedSecret, SecretKey};
use iamd_core::session::{self, Issuer, SessionClaims};
use iamd_core::{ErrorCode, IamError, Principal, Store, Via};
use iamd_protocol::Service;
use iamd_sigv4::{ParsedAuth, SigV4Error};
use time::OffsetDateTime;
use zeroize::Zeroizing;

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
    /// The long-term key behind the request (none for role sessions).
    pub usage: Option<KeyUsage>,
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

fn expired() -> IamError {
    IamError::new(
        ErrorCode::ExpiredToken,
        "The security token included in the request is expired",
    )
}

/// Steps 2–5 of verification (for session credentials: the token, its issuer and its
/// expiry before the signature), after `iamd_sigv4::parse` located the auth information and
/// the service was chosen.
#[allow(clippy::too_many_arguments)]
pub async fn authenticate(
    store: &dyn Store,
    keyring: &Keyring,
    signing_keys: &SigningKeys,
    auth: &ParsedAuth,
    signing_name: &str,
    parts: &Parts,
    body: &[u8],
    now: OffsetDateTime,
) -> Result<Authenticated, IamError> {
    iamd_sigv4::check_time(auth, now).map_err(sigv4_error)?;
    iamd_sigv4::check_scope(auth, signing_name).map_err(sigv4_error)?;
    let failure = |e: &dyn std::fmt::Display| IamError::service_failure(e);
    // The caller, the secret the request must be signed with, how it authenticated, and
    // the long-term key whose use this is (none for role sessions).
    let (principal, secret, via, used_key): (Principal, Signer, Via, Option<Credential>) =
        match &auth.session_token {
            None => {
                let mut credential = active_credential(store, &auth.access_key_id)
                    .await?
                    .ok_or_else(invalid_key)?;
                // Opened only if its signing key is not cached (`signing_key`). Taken out
                // of the credential, which is kept for its key id alone.
                let sealed = SealedSecret::from_stored(String::new());
                let secret = Signer::Sealed(std::mem::replace(&mut credential.secret, sealed));
                let via = Via::AccessKey {
                    access_key_id: credential.key.access_key_id.clone(),
                };
                (principal_of(&credential), secret, via, Some(credential))
            }
            Some(token) => {
                let claimed = SessionClaims::peek(token)
                    .filter(|c| c.access_key_id == auth.access_key_id)
                    .ok_or_else(invalid_token)?;
                match &claimed.issuer {
                    Issuer::AccessKey {
                        parent_access_key_id,
                    } => {
                        let parent = active_credential(store, parent_access_key_id)
                            .await?
                            .ok_or_else(invalid_token)?;
                        let parent_secret = parent.secret.open(keyring).map_err(|e| failure(&e))?;
                        let claims =
                            session::verify(&parent_secret, token).ok_or_else(invalid_token)?;
                        if now > claims.expiration {
                            return Err(expired());
                        }
                        let via = Via::Session {
                            access_key_id: claims.access_key_id.clone(),
                            parent_access_key_id: parent_access_key_id.clone(),
                            expiration: claims.expiration,
                            mfa: claims.mfa,
                        };
                        let secret =
                            Signer::Clear(session::session_secret(&parent_secret, &claims));
                        (principal_of(&parent), secret, via, Some(parent))
                    }
                    Issuer::Role { role_id, .. } => {
                        // A deleted role ends its sessions: its session secret is gone.
                        let role = store
                            .get_role_by_id(role_id)
                            .await
                            .map_err(|e| failure(&e))?
                            .ok_or_else(invalid_token)?;
                        let role_secret =
                            role.session_secret.open(keyring).map_err(|e| failure(&e))?;
                        let claims =
                            session::verify(&role_secret, token).ok_or_else(invalid_token)?;
                        if now > claims.expiration {
                            return Err(expired());
                        }
                        let Issuer::Role {
                            session_name,
                            policy,
                            policy_arns,
                            chained,
                            ..
                        } = claims.issuer.clone()
                        else {
                            return Err(invalid_token());
                        };
                        let secret = Signer::Clear(session::session_secret(&role_secret, &claims));
                        let via = Via::RoleSession {
                            access_key_id: claims.access_key_id,
                            expiration: claims.expiration,
                        };
                        let session = RoleSession {
                            role,
                            session_name,
                            policy,
                            policy_arns,
                            chained,
                        };
                        (Principal::RoleSession(Box::new(session)), secret, via, None)
                    }
                }
            }
        };
    let signing_key = signing_key(signing_keys, &auth.access_key_id, &secret, keyring, auth)?;
    iamd_sigv4::verify(auth, parts, body, &signing_key).map_err(sigv4_error)?;
    Ok(Authenticated {
        principal,
        via,
        usage: used_key.map(|c| KeyUsage {
            access_key_id: c.key.access_key_id,
            when: now.replace_nanosecond(0).unwrap_or(now),
            service: auth.service.clone(),
            region: auth.region.clone(),
        }),
    })
}

/// Derived signing keys by (key id, date, region, service): the derivation is five HMACs,
/// and a key id's secret never changes (long-term secrets are fixed at creation; every
/// session has its own key id), so a derived key stays valid for its whole day. A key that
/// is deactivated or deleted never gets this far: the credential lookup refuses it first.
#[derive(Default)]
pub struct SigningKeys(Mutex<HashMap<Scope, Zeroizing<[u8; 32]>>>);

/// (access key id, date, region, service)
type Scope = (String, String, String, String);
const SIGNING_KEYS_MAX: usize = 10_000;

/// The secret a request is signed with: a long-term key's, still sealed (opening it is
/// left to a miss of the signing-key cache), or a session's, derived in clear.
enum Signer {
    Sealed(SealedSecret),
    Clear(SecretKey),
}

fn signing_key(
    keys: &SigningKeys,
    access_key_id: &str,
    signer: &Signer,
    keyring: &Keyring,
    auth: &ParsedAuth,
) -> Result<Zeroizing<[u8; 32]>, IamError> {
    let id = (
        access_key_id.to_owned(),
        auth.scope_date.clone(),
        auth.region.clone(),
        auth.service.clone(),
    );
    let mut cache = keys.0.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(key) = cache.get(&id) {
        return Ok(key.clone());
    }
    let opened;
    let secret = match signer {
        Signer::Clear(secret) => secret,
        Signer::Sealed(sealed) => {
            opened = sealed
                .open(keyring)
                .map_err(|e| IamError::service_failure(&e))?;
            &opened
        }
    };
    let key = Zeroizing::new(iamd_sigv4::derive_signing_key(
        secret.expose().as_bytes(),
        &auth.scope_date,
        &auth.region,
        &auth.service,
    ));
    if cache.len() >= SIGNING_KEYS_MAX {
        cache.clear();
    }
    cache.insert(id, key.clone());
    Ok(key)
}

fn principal_of(credential: &Credential) -> Principal {
    match &credential.user {
        Some(user) => Principal::User(user.clone()),
        None => Principal::Root {
            account_id: credential.key.account_id.clone(),
        },
    }
}
