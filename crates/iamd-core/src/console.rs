//! Console sessions: temporary credentials for an IAM user who signed in with a password
//! (`POST /iamd/v1/console-session`, iamd's own endpoint, not an AWS API), as AWS's console
//! signs its users in. They act as the user itself, with the user's policies, and may call
//! IAM as the user's long-term keys may (AWS's console sessions may).
//!
//! No state is kept: the token (`session::Issuer::Console`) is MACed with a key made from a
//! key derived from the master key (`Keyring::derived_keys`) and the user's current
//! password hash. So a new password (ChangePassword, UpdateLoginProfile), a deleted login
//! profile or a deleted user ends every console session of that user at once, and no one
//! who can read the database but not the master key can make one.
//!
//! A password that must be changed (a required reset, or an expired password) signs the
//! user in to do only that (`password_change_only`: ChangePassword, GetAccountPasswordPolicy
//! and GetCallerIdentity). A user with an MFA device must also give a code of one of its
//! devices, as AWS's console asks for one: the code is spent as GetSessionToken spends it
//! (once, within the drift window), and the session is MFA-authenticated
//! (`aws:MultiFactorAuthPresent`, `aws:MultiFactorAuthAge` from the sign-in).

use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::{Duration, OffsetDateTime};

use crate::error::{ErrorCode, IamError};
use crate::ids;
use crate::model::LoginProfile;
use crate::secret::SecretKey;
use crate::service::{store_failure, Iam, Via};
use crate::session::{self, Issuer, SessionClaims};
use crate::sts::SessionCredentials;

/// How long a console session lasts (AWS's console signs users in for 12 hours; iamd's
/// sessions are shorter, and the console signs in again).
pub const CONSOLE_SESSION_SECONDS: i64 = 3600;

/// The actions a session that must change its password may call.
const PASSWORD_CHANGE_ACTIONS: &[&str] = &[
    "ChangePassword",
    "GetAccountPasswordPolicy",
    "GetCallerIdentity",
];

/// The MAC key of a user's console sessions under one derived master key.
pub(crate) fn console_secret(
    derived: &[u8; 32],
    user_id: &str,
    profile: &LoginProfile,
) -> SecretKey {
    let mut mac = Hmac::<Sha256>::new_from_slice(derived).expect("HMAC takes any key length");
    mac.update(b"iamd console session v1\0");
    mac.update(user_id.as_bytes());
    mac.update(b"\0");
    mac.update(profile.password_hash.as_bytes());
    SecretKey::new(hex::encode(mac.finalize().into_bytes()))
}

/// What a console sign-in with the right password gets.
pub enum ConsoleSession {
    Issued {
        credentials: SessionCredentials,
        password_change_only: bool,
    },
    /// The user has an MFA device and no code was given.
    MfaRequired,
    /// The code given is not a fresh code of any of the user's devices.
    MfaInvalid,
}

/// The most MFA devices a user may have (AWS's quota): all are tried for a code.
const MFA_DEVICES_PER_USER: usize = 8;

impl Iam {
    /// Credentials for `user_name`, whose password was just checked (`Iam::sign_in`) and
    /// is not hard-expired; `mfa_code` must be a fresh code of one of the user's devices
    /// when it has any. `None` when the user or its login profile is gone since.
    pub async fn console_session(
        &self,
        account_id: &str,
        user_name: &str,
        password_change_only: bool,
        mfa_code: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Option<ConsoleSession>, IamError> {
        let Some(user) = self
            .store
            .get_user(account_id, user_name)
            .await
            .map_err(store_failure)?
        else {
            return Ok(None);
        };
        let devices = self
            .store
            .list_user_mfa_devices(account_id, &user.user_name, None, MFA_DEVICES_PER_USER)
            .await
            .map_err(store_failure)?;
        let mut mfa = None;
        if !devices.is_empty() {
            let Some(code) = mfa_code else {
                return Ok(Some(ConsoleSession::MfaRequired));
            };
            for device in &devices {
                let spent = self
                    .spend_mfa_code(account_id, &user.user_id, &device.serial_number, code, now)
                    .await;
                match spent {
                    Ok(true) => {
                        mfa = Some(now.replace_nanosecond(0).unwrap_or(now));
                        break;
                    }
                    // A device deactivated since the listing is no longer the user's.
                    Ok(false)
                    | Err(IamError {
                        code: ErrorCode::AccessDenied,
                        ..
                    }) => {}
                    Err(e) => return Err(e),
                }
            }
            if mfa.is_none() {
                return Ok(Some(ConsoleSession::MfaInvalid));
            }
        }
        let Some(profile) = self
            .store
            .get_login_profile(account_id, &user.user_name)
            .await
            .map_err(store_failure)?
        else {
            return Ok(None);
        };
        let derived = self
            .keyring
            .derived_keys()
            .next()
            .expect("a keyring holds its current key");
        let secret = console_secret(derived, &user.user_id, &profile);
        let now = now.replace_nanosecond(0).unwrap_or(now);
        let claims = SessionClaims {
            access_key_id: ids::temporary_access_key_id(account_id),
            issuer: Issuer::Console {
                account_id: account_id.to_owned(),
                user_name: user.user_name.clone(),
                user_id: user.user_id.clone(),
                password_change_only,
            },
            expiration: now + Duration::seconds(CONSOLE_SESSION_SECONDS),
            mfa,
            nonce: ids::nonce(),
        };
        let (session_token, secret_access_key) = session::mint(&secret, &claims);
        Ok(Some(ConsoleSession::Issued {
            credentials: SessionCredentials {
                access_key_id: claims.access_key_id,
                secret_access_key,
                session_token,
                expiration: claims.expiration,
            },
            password_change_only,
        }))
    }
}

/// A console session that must change its password may call only that (and what the
/// console needs to ask for it).
pub fn check_console_reach(via: &Via, action: &str) -> Result<(), IamError> {
    match via {
        Via::Console {
            password_change_only: true,
            ..
        } if !PASSWORD_CHANGE_ACTIONS.contains(&action) => Err(IamError::new(
            ErrorCode::AccessDenied,
            "Your password must be changed (ChangePassword) before this session can do anything else.",
        )),
        _ => Ok(()),
    }
}
