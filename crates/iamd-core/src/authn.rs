//! Who signed a request: the domain's half of authentication. The HTTP edge parses the
//! signature and checks its time and scope, asks [`Iam::caller`] for the principal behind
//! the access key id (and session token), and verifies the signature with the secret it
//! gets back. The rules of who may sign live here: an inactive or deleted key signs
//! nothing; a session ends with its parent key or its role; an expired session is
//! `ExpiredToken`; sessions without MFA may not call IAM.

use iamd_protocol::Service;
use time::OffsetDateTime;

use crate::error::{ErrorCode, IamError};
use crate::model::{Credential, KeyStatus, KeyUsage, RoleUsage};
use crate::principal::{FederatedUser, Principal, RoleSession};
use crate::secret::{SealedSecret, SecretKey};
use crate::service::{Iam, Via};
use crate::session::{self, Issuer, SessionClaims};
use crate::usage::Usage;

/// The secret a request must be signed with: a long-term key's, still sealed (the edge
/// opens it only when it has no derived signing key cached), or a session's, derived in
/// clear.
pub enum Signer {
    Sealed(SealedSecret),
    Clear(SecretKey),
}

/// The caller behind an access key id.
pub struct Caller {
    pub principal: Principal,
    pub signer: Signer,
    pub via: Via,
    /// The long-term key whose use this is (none for role sessions).
    pub used_key_id: Option<String>,
}

impl Caller {
    /// The use to record once the signature has verified: of the long-term key behind
    /// the request, or of the role whose session signed it.
    pub fn usage(&self, now: OffsetDateTime, service: &str, region: &str) -> Option<Usage> {
        let when = now.replace_nanosecond(0).unwrap_or(now);
        if let Some(id) = &self.used_key_id {
            return Some(Usage::Key(KeyUsage {
                access_key_id: id.clone(),
                when,
                service: service.to_owned(),
                region: region.to_owned(),
            }));
        }
        match &self.principal {
            Principal::RoleSession(session) => Some(Usage::Role(RoleUsage {
                role_id: session.role.role_id.clone(),
                when,
                region: region.to_owned(),
            })),
            Principal::Root { .. } | Principal::User(_) | Principal::FederatedUser(_) => None,
        }
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

fn expired() -> IamError {
    IamError::new(
        ErrorCode::ExpiredToken,
        "The security token included in the request is expired",
    )
}

fn principal_of(credential: &Credential) -> Principal {
    match &credential.user {
        Some(user) => Principal::User(user.clone()),
        None => Principal::Root {
            account_id: credential.key.account_id.clone(),
        },
    }
}

impl Iam {
    async fn active_credential(&self, access_key_id: &str) -> Result<Option<Credential>, IamError> {
        Ok(self
            .store
            .get_credential(access_key_id)
            .await
            .map_err(|e| IamError::service_failure(&e))?
            .filter(|c| c.key.status == KeyStatus::Active))
    }

    /// The caller that signs with `access_key_id` (and `session_token`) at `now`, and the
    /// secret its signature must verify with. AWS's order: the key (or the token and its
    /// issuer) before the signature, expiry before the signature too.
    pub async fn caller(
        &self,
        access_key_id: &str,
        session_token: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Caller, IamError> {
        let failure = |e: &dyn std::fmt::Display| IamError::service_failure(e);
        let Some(token) = session_token else {
            let mut credential = self
                .active_credential(access_key_id)
                .await?
                .ok_or_else(invalid_key)?;
            // Taken out of the credential, which is kept for its principal alone.
            let sealed = SealedSecret::from_stored(String::new());
            let signer = Signer::Sealed(std::mem::replace(&mut credential.secret, sealed));
            return Ok(Caller {
                principal: principal_of(&credential),
                signer,
                via: Via::AccessKey {
                    access_key_id: credential.key.access_key_id.clone(),
                },
                used_key_id: Some(credential.key.access_key_id),
            });
        };
        let claimed = SessionClaims::peek(token)
            .filter(|c| c.access_key_id == access_key_id)
            .ok_or_else(invalid_token)?;
        match &claimed.issuer {
            Issuer::AccessKey {
                parent_access_key_id,
            } => {
                let parent = self
                    .active_credential(parent_access_key_id)
                    .await?
                    .ok_or_else(invalid_token)?;
                let parent_secret = parent.secret.open(&self.keyring).map_err(|e| failure(&e))?;
                let claims = session::verify(&parent_secret, token).ok_or_else(invalid_token)?;
                if now > claims.expiration {
                    return Err(expired());
                }
                Ok(Caller {
                    principal: principal_of(&parent),
                    signer: Signer::Clear(session::session_secret(&parent_secret, &claims)),
                    via: Via::Session {
                        access_key_id: claims.access_key_id.clone(),
                        parent_access_key_id: parent_access_key_id.clone(),
                        expiration: claims.expiration,
                        mfa: claims.mfa,
                    },
                    used_key_id: Some(parent.key.access_key_id),
                })
            }
            Issuer::Federation {
                parent_access_key_id,
                ..
            } => {
                let parent = self
                    .active_credential(parent_access_key_id)
                    .await?
                    .ok_or_else(invalid_token)?;
                let parent_secret = parent.secret.open(&self.keyring).map_err(|e| failure(&e))?;
                let claims = session::verify(&parent_secret, token).ok_or_else(invalid_token)?;
                if now > claims.expiration {
                    return Err(expired());
                }
                let signer = Signer::Clear(session::session_secret(&parent_secret, &claims));
                let Issuer::Federation {
                    name,
                    policy,
                    policy_arns,
                    tags,
                    ..
                } = claims.issuer
                else {
                    return Err(invalid_token());
                };
                Ok(Caller {
                    principal: Principal::FederatedUser(Box::new(FederatedUser {
                        account_id: parent.key.account_id.clone(),
                        name,
                        user: parent.user.clone(),
                        policy,
                        policy_arns,
                        tags: tags.tags,
                    })),
                    signer,
                    via: Via::Federated {
                        access_key_id: claims.access_key_id,
                        parent_access_key_id: parent_access_key_id.clone(),
                        expiration: claims.expiration,
                    },
                    used_key_id: Some(parent.key.access_key_id),
                })
            }
            Issuer::Console {
                account_id,
                user_name,
                user_id,
                ..
            } => {
                // Gone with the user (a new one of the same name has another id) or its
                // login profile; keyed by the current password's hash.
                let user = self
                    .store
                    .get_user(account_id, user_name)
                    .await
                    .map_err(|e| failure(&e))?
                    .filter(|u| &u.user_id == user_id)
                    .ok_or_else(invalid_token)?;
                let profile = self
                    .store
                    .get_login_profile(account_id, &user.user_name)
                    .await
                    .map_err(|e| failure(&e))?
                    .ok_or_else(invalid_token)?;
                let (secret, claims) = self
                    .keyring
                    .derived_keys()
                    .find_map(|derived| {
                        let secret = crate::console::console_secret(derived, user_id, &profile);
                        session::verify(&secret, token).map(|claims| (secret, claims))
                    })
                    .ok_or_else(invalid_token)?;
                if now > claims.expiration {
                    return Err(expired());
                }
                let Issuer::Console {
                    password_change_only,
                    ..
                } = claims.issuer
                else {
                    return Err(invalid_token());
                };
                Ok(Caller {
                    signer: Signer::Clear(session::session_secret(&secret, &claims)),
                    principal: Principal::User(user),
                    via: Via::Console {
                        access_key_id: claims.access_key_id.clone(),
                        expiration: claims.expiration,
                        password_change_only,
                        mfa: claims.mfa,
                    },
                    used_key_id: None,
                })
            }
            Issuer::Role { role_id, .. } => {
                // A deleted role ends its sessions: its session secret is gone.
                let role = self
                    .store
                    .get_role_by_id(role_id)
                    .await
                    .map_err(|e| failure(&e))?
                    .ok_or_else(invalid_token)?;
                let role_secret = role
                    .session_secret
                    .open(&self.keyring)
                    .map_err(|e| failure(&e))?;
                let claims = session::verify(&role_secret, token).ok_or_else(invalid_token)?;
                if now > claims.expiration {
                    return Err(expired());
                }
                let signer = Signer::Clear(session::session_secret(&role_secret, &claims));
                let Issuer::Role {
                    session_name,
                    policy,
                    policy_arns,
                    chained,
                    tags,
                    ..
                } = claims.issuer
                else {
                    return Err(invalid_token());
                };
                Ok(Caller {
                    principal: Principal::RoleSession(Box::new(RoleSession {
                        role,
                        session_name,
                        policy,
                        policy_arns,
                        chained,
                        tags,
                    })),
                    signer,
                    via: Via::RoleSession {
                        access_key_id: claims.access_key_id,
                        expiration: claims.expiration,
                        mfa: claims.mfa,
                    },
                    used_key_id: None,
                })
            }
        }
    }
}

/// As on AWS, GetSessionToken credentials made without MFA cannot call the IAM API (those
/// made with MFA can), and neither can GetFederationToken's; STS answers them
/// (GetCallerIdentity; GetSessionToken refuses them itself, and a federated user is
/// refused every other STS action by `authz` and the STS operations).
pub fn check_session_reach(service: Service, via: &Via) -> Result<(), IamError> {
    match (service, via) {
        (Service::Iam, Via::Session { mfa: None, .. } | Via::Federated { .. }) => {
            Err(invalid_token())
        }
        (Service::Iam | Service::Sts, _) => Ok(()),
    }
}
