//! STS operations: GetCallerIdentity needs nothing from here; GetSessionToken mints
//! session credentials (see `session`).

use time::{Duration, OffsetDateTime};

use crate::error::{ErrorCode, IamError};
use crate::ids;
use crate::model::KeyStatus;
use crate::principal::Principal;
use crate::secret::SecretKey;
use crate::service::{store_failure, Iam, RequestContext, Via};
use crate::session::{self, SessionClaims};

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
    /// An MFA device serial number and code. iamd has no MFA devices, so none can match.
    pub mfa: Option<(String, String)>,
}

impl Iam {
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
        if input.mfa.is_some() {
            return Err(IamError::new(
                ErrorCode::AccessDenied,
                "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
            ));
        }
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
            .open()
            .map_err(|e| IamError::service_failure(&e))?;
        let now = ctx.now.replace_nanosecond(0).unwrap_or(ctx.now);
        let claims = SessionClaims {
            access_key_id: ids::temporary_access_key_id(ctx.principal.account_id()),
            parent_access_key_id: parent_id.clone(),
            expiration: now + Duration::seconds(seconds),
            mfa: false,
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
