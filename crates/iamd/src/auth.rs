//! Authentication: SigV4 verification against the stored keys, in AWS's order (structure,
//! date, scope, key, signature), producing the `Principal` that signed the request.

use http::request::Parts;
use iamd_core::model::{KeyStatus, KeyUsage};
use iamd_core::{ErrorCode, IamError, Principal, Store};
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

/// A verified caller and the key use to record for it.
pub struct Authenticated {
    pub principal: Principal,
    pub usage: KeyUsage,
}

/// Steps 2–5 of verification, after `iamd_sigv4::parse` located the auth information and
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
    if auth.session_token.is_some() {
        // No session credentials are issued yet, so no token can be valid.
        return Err(IamError::new(
            ErrorCode::InvalidClientTokenId,
            "The security token included in the request is invalid",
        ));
    }
    let credential = store
        .get_credential(&auth.access_key_id)
        .await
        .map_err(|e| IamError::service_failure(&e))?
        .filter(|c| c.key.status == KeyStatus::Active)
        .ok_or_else(invalid_key)?;
    let secret = credential
        .secret
        .open()
        .map_err(|e| IamError::service_failure(&e))?;
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
        usage: KeyUsage {
            access_key_id: credential.key.access_key_id,
            when: now.replace_nanosecond(0).unwrap_or(now),
            service: auth.service.clone(),
            region: auth.region.clone(),
        },
    })
}
