//! Users' console passwords: login profiles (Create/Get/Update/DeleteLoginProfile), the
//! account's password policy (Update/Get/DeleteAccountPasswordPolicy), ChangePassword,
//! and the password sign-in check that iamd offers other services (`Iam::sign_in`, served
//! at `POST /iamd/v1/sign-in` by the binary).
//!
//! A password is kept only as an argon2id hash (a PHC string with its own 16-byte salt
//! from the OS; parameters in [`ARGON2_M_KIB`], [`ARGON2_T`], [`ARGON2_P`]), made and
//! checked on tokio's blocking threads (one costs tens of milliseconds of CPU), never
//! stored, returned or logged in clear; the clear text lives in `Zeroizing` buffers.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use crate::authz::Resource;
use crate::error::{ErrorCode, IamError};
use crate::model::{LoginProfile, NewPassword, PasswordPolicy, User};
use crate::principal::Principal;
use crate::service::{store_failure, Iam, RequestContext, Target};
use crate::store::StoreError;

/// argon2id's memory cost in KiB, passes and lanes: OWASP's recommended minimum
/// (m=19 MiB, t=2, p=1). See BENCHMARKS.md for what one verification costs.
pub const ARGON2_M_KIB: u32 = 19_456;
pub const ARGON2_T: u32 = 2;
pub const ARGON2_P: u32 = 1;

/// The symbols AWS's password policy counts (`RequireSymbols`, and the default policy).
const SYMBOLS: &str = "!@#$%^&*()_+-=[]{}|'";

/// A password in clear, zeroized when dropped.
pub type Password = Zeroizing<String>;

fn argon2() -> Argon2<'static> {
    // The parameters are constants within argon2's bounds.
    let params =
        Params::new(ARGON2_M_KIB, ARGON2_T, ARGON2_P, None).unwrap_or_else(|_| Params::default());
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string of `password` under a fresh salt. CPU-bound: call it off the async
/// threads (`hash_blocking`).
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| format!("no random salt: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| format!("salt: {e}"))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("argon2: {e}"))
}

/// Whether `password` is the one `phc` was made from (the parameters are the hash's own).
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
}

async fn hash_blocking(password: Password) -> Result<String, IamError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| IamError::service_failure(&e))?
        .map_err(|e| IamError::service_failure(&e))
}

/// Whether `password` is any of `hashes` (stopping at the first that is).
async fn matches_any(password: Password, hashes: Vec<String>) -> Result<bool, IamError> {
    tokio::task::spawn_blocking(move || hashes.iter().any(|h| verify_password(&password, h)))
        .await
        .map_err(|e| IamError::service_failure(&e))
}

/// The rules a new password must follow: the account's policy, or AWS's default one when
/// the account has none (at least 8 characters, of at least three of the four kinds:
/// uppercase, lowercase, digits, `SYMBOLS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rules {
    Default,
    Custom(PasswordPolicy),
}

pub const DEFAULT_MINIMUM_LENGTH: usize = 8;
/// AWS's text for a password outside the policy, when it names no single rule.
pub const NOT_CONFORMING: &str = "Password does not conform to the account password policy.";

fn violation(message: impl Into<String>) -> IamError {
    IamError::new(ErrorCode::PasswordPolicyViolation, message)
}

impl Rules {
    /// Checks the password's length and kinds of characters (not reuse: `check_reuse`);
    /// the first rule broken, in the order length, lowercase, uppercase, numbers, symbols.
    pub fn check(&self, password: &str) -> Result<(), IamError> {
        let length = password.chars().count();
        let lower = password.chars().any(|c| c.is_ascii_lowercase());
        let upper = password.chars().any(|c| c.is_ascii_uppercase());
        let digit = password.chars().any(|c| c.is_ascii_digit());
        let symbol = password.chars().any(|c| SYMBOLS.contains(c));
        match self {
            Rules::Default => {
                let kinds = [lower, upper, digit, symbol].iter().filter(|k| **k).count();
                if length < DEFAULT_MINIMUM_LENGTH || kinds < 3 {
                    return Err(violation(NOT_CONFORMING));
                }
            }
            Rules::Custom(p) => {
                if length < p.minimum_password_length as usize {
                    return Err(violation(format!(
                        "Password should have a minimum length of {}",
                        p.minimum_password_length
                    )));
                }
                if p.require_lowercase_characters && !lower {
                    return Err(violation(
                        "Password should have at least one lowercase letter",
                    ));
                }
                if p.require_uppercase_characters && !upper {
                    return Err(violation(
                        "Password should have at least one uppercase letter",
                    ));
                }
                if p.require_numbers && !digit {
                    return Err(violation("Password should have at least one number"));
                }
                if p.require_symbols && !symbol {
                    return Err(violation("Password should have at least one symbol"));
                }
            }
        }
        Ok(())
    }

    /// How many passwords, the current one included, a new one may not repeat.
    pub fn reuse_prevention(&self) -> usize {
        match self {
            Rules::Custom(p) => p.password_reuse_prevention.unwrap_or(0) as usize,
            Rules::Default => 0,
        }
    }

    pub fn allow_users_to_change_password(&self) -> bool {
        matches!(self, Rules::Custom(p) if p.allow_users_to_change_password)
    }

    /// When a password set at `set` expires, if the policy makes passwords expire.
    pub fn expiry(&self, set: OffsetDateTime) -> Option<OffsetDateTime> {
        match self {
            Rules::Custom(PasswordPolicy {
                max_password_age: Some(days),
                ..
            }) => Some(set + Duration::days(i64::from(*days))),
            _ => None,
        }
    }

    pub fn hard_expiry(&self) -> bool {
        matches!(self, Rules::Custom(p) if p.hard_expiry)
    }
}

/// AWS's text for a user without a login profile.
pub fn no_such_login_profile(user_name: &str) -> IamError {
    IamError::new(
        ErrorCode::NoSuchEntity,
        format!("Login Profile for User {user_name} cannot be found."),
    )
}

/// AWS's text when the account has no password policy.
pub fn no_password_policy(account_id: &str) -> IamError {
    IamError::new(
        ErrorCode::NoSuchEntity,
        format!("The Password Policy with domain name {account_id} cannot be found."),
    )
}

fn login_profile_error(e: StoreError, user_name: &str) -> IamError {
    match e {
        StoreError::NoSuchLoginProfile => no_such_login_profile(user_name),
        StoreError::AlreadyExists => IamError::new(
            ErrorCode::EntityAlreadyExists,
            format!("Login Profile for user {user_name} already exists."),
        ),
        other => crate::store_errors::user_error(other, user_name, user_name),
    }
}

/// What the sign-in check answers for a password that is right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedIn {
    /// The user must set a new password now (an administrator asked for it).
    pub password_reset_required: bool,
    /// The password is older than the policy's `MaxPasswordAge`.
    pub password_expired: bool,
    /// Expired under `HardExpiry`: only an administrator can set a new one.
    pub hard_expired: bool,
}

impl Iam {
    /// The account's password rules (its policy, else AWS's default ones).
    pub async fn password_rules(&self, account_id: &str) -> Result<Rules, IamError> {
        Ok(self
            .store
            .get_password_policy(account_id)
            .await
            .map_err(store_failure)?
            .map_or(Rules::Default, Rules::Custom))
    }

    /// The user a login-profile operation with an optional `UserName` acts on.
    async fn profile_user(
        &self,
        ctx: &RequestContext,
        user_name: Option<&str>,
    ) -> Result<User, IamError> {
        match self.target(ctx, user_name, ctx.action()).await? {
            Target::User(user) => Ok(user),
            // The root user's own password is not a login profile (AWS asks for an
            // AssumeRoot session, which iamd does not have).
            Target::Root => Err(crate::service::non_user_credentials()),
        }
    }

    pub async fn create_login_profile(
        &self,
        ctx: &RequestContext,
        user_name: Option<&str>,
        password: Option<Password>,
        password_reset_required: bool,
    ) -> Result<(User, LoginProfile), IamError> {
        let user = self.profile_user(ctx, user_name).await?;
        let Some(password) = password else {
            return Err(IamError::validation(
                "1 validation error detected: Value null at 'password' failed to satisfy constraint: Member must not be null",
            ));
        };
        self.password_rules(&user.account_id)
            .await?
            .check(&password)?;
        let hash = hash_blocking(password).await?;
        let profile = LoginProfile {
            create_date: ctx.now,
            password_reset_required,
            password_hash: hash,
            password_set: ctx.now,
            previous_hashes: Vec::new(),
        };
        self.store
            .create_login_profile(&user.account_id, &user.user_name, &profile)
            .await
            .map_err(|e| login_profile_error(e, &user.user_name))?;
        Ok((user, profile))
    }

    pub async fn get_login_profile(
        &self,
        ctx: &RequestContext,
        user_name: Option<&str>,
    ) -> Result<(User, LoginProfile), IamError> {
        let user = self.profile_user(ctx, user_name).await?;
        let profile = self
            .store
            .get_login_profile(&user.account_id, &user.user_name)
            .await
            .map_err(|e| login_profile_error(e, &user.user_name))?
            .ok_or_else(|| no_such_login_profile(&user.user_name))?;
        Ok((user, profile))
    }

    /// A new password for `user` under `rules`: it follows them and repeats none of the
    /// last `reuse_prevention` passwords (the current one first).
    async fn new_password(
        &self,
        rules: &Rules,
        profile: &LoginProfile,
        password: Password,
        now: OffsetDateTime,
    ) -> Result<NewPassword, IamError> {
        rules.check(&password)?;
        let n = rules.reuse_prevention();
        if n > 0 {
            let recent: Vec<String> = std::iter::once(profile.password_hash.clone())
                .chain(profile.previous_hashes.iter().cloned())
                .take(n)
                .collect();
            if matches_any(password.clone(), recent).await? {
                return Err(violation(NOT_CONFORMING));
            }
        }
        Ok(NewPassword {
            hash: hash_blocking(password).await?,
            at: now,
            keep_previous: n.saturating_sub(1),
        })
    }

    pub async fn update_login_profile(
        &self,
        ctx: &RequestContext,
        user_name: &str,
        password: Option<Password>,
        password_reset_required: Option<bool>,
    ) -> Result<(), IamError> {
        let user = self.profile_user(ctx, Some(user_name)).await?;
        let profile = self
            .store
            .get_login_profile(&user.account_id, &user.user_name)
            .await
            .map_err(|e| login_profile_error(e, &user.user_name))?
            .ok_or_else(|| no_such_login_profile(&user.user_name))?;
        let new = match password {
            Some(password) => {
                let rules = self.password_rules(&user.account_id).await?;
                Some(
                    self.new_password(&rules, &profile, password, ctx.now)
                        .await?,
                )
            }
            None => None,
        };
        self.store
            .update_login_profile(
                &user.account_id,
                &user.user_name,
                new.as_ref(),
                password_reset_required,
            )
            .await
            .map_err(|e| login_profile_error(e, &user.user_name))
    }

    pub async fn delete_login_profile(
        &self,
        ctx: &RequestContext,
        user_name: Option<&str>,
    ) -> Result<(), IamError> {
        let user = self.profile_user(ctx, user_name).await?;
        self.store
            .delete_login_profile(&user.account_id, &user.user_name)
            .await
            .map_err(|e| login_profile_error(e, &user.user_name))
    }

    /// ChangePassword: the calling user's own password. Allowed by the password policy's
    /// `AllowUsersToChangePassword`, or else by the caller's policies.
    pub async fn change_password(
        &self,
        ctx: &RequestContext,
        old_password: Password,
        new_password: Password,
    ) -> Result<(), IamError> {
        let Principal::User(me) = &ctx.principal else {
            return Err(IamError::new(
                ErrorCode::InvalidUserType,
                "Only IAM Users can change their own password.",
            ));
        };
        let rules = self.password_rules(&me.account_id).await?;
        if !rules.allow_users_to_change_password() {
            self.authorize(ctx, ctx.action(), &Resource::user(me))
                .await?;
        }
        let profile = self
            .store
            .get_login_profile(&me.account_id, &me.user_name)
            .await
            .map_err(|e| login_profile_error(e, &me.user_name))?
            .ok_or_else(|| no_such_login_profile(&me.user_name))?;
        if !matches_any(old_password, vec![profile.password_hash.clone()]).await? {
            return Err(IamError::new(
                ErrorCode::InvalidUserType,
                "The old password was incorrect.",
            ));
        }
        let new = self
            .new_password(&rules, &profile, new_password, ctx.now)
            .await?;
        self.store
            .update_login_profile(&me.account_id, &me.user_name, Some(&new), Some(false))
            .await
            .map_err(|e| login_profile_error(e, &me.user_name))
    }

    pub async fn update_account_password_policy(
        &self,
        ctx: &RequestContext,
        policy: PasswordPolicy,
    ) -> Result<(), IamError> {
        self.authorize(ctx, ctx.action(), &Resource::any()).await?;
        self.store
            .put_password_policy(ctx.principal.account_id(), &policy)
            .await
            .map_err(store_failure)
    }

    pub async fn get_account_password_policy(
        &self,
        ctx: &RequestContext,
    ) -> Result<PasswordPolicy, IamError> {
        self.authorize(ctx, ctx.action(), &Resource::any()).await?;
        let account_id = ctx.principal.account_id();
        self.store
            .get_password_policy(account_id)
            .await
            .map_err(store_failure)?
            .ok_or_else(|| no_password_policy(account_id))
    }

    pub async fn delete_account_password_policy(
        &self,
        ctx: &RequestContext,
    ) -> Result<(), IamError> {
        self.authorize(ctx, ctx.action(), &Resource::any()).await?;
        let account_id = ctx.principal.account_id();
        if self
            .store
            .delete_password_policy(account_id)
            .await
            .map_err(store_failure)?
        {
            Ok(())
        } else {
            Err(no_password_policy(account_id))
        }
    }

    /// The sign-in check (iamd's own, not an AWS API): `None` when the user does not exist,
    /// has no login profile, or the password is wrong (the caller cannot tell which); on
    /// success the use is recorded (GetUser's `PasswordLastUsed`). A missing user or
    /// profile still costs one hash verification, so that timing does not tell them apart.
    pub async fn sign_in(
        &self,
        account_id: &str,
        user_name: &str,
        password: Password,
        now: OffsetDateTime,
    ) -> Result<Option<SignedIn>, IamError> {
        let user = self
            .store
            .get_user(account_id, user_name)
            .await
            .map_err(store_failure)?;
        let profile = match &user {
            Some(u) => match self.store.get_login_profile(account_id, &u.user_name).await {
                Ok(p) => p,
                Err(StoreError::NoSuchUser) => None,
                Err(e) => return Err(store_failure(e)),
            },
            None => None,
        };
        let (Some(user), Some(profile)) = (user, profile) else {
            let _ = matches_any(password, vec![dummy_hash().to_owned()]).await?;
            return Ok(None);
        };
        if !matches_any(password, vec![profile.password_hash.clone()]).await? {
            return Ok(None);
        }
        let rules = self.password_rules(account_id).await?;
        let expired = rules
            .expiry(profile.password_set)
            .is_some_and(|at| now >= at);
        // A hard-expired password signs nobody in (only an administrator can reset it):
        // no use is recorded.
        if !(expired && rules.hard_expiry()) {
            self.store
                .record_password_use(&user.user_id, now)
                .await
                .map_err(store_failure)?;
        }
        Ok(Some(SignedIn {
            password_reset_required: profile.password_reset_required,
            password_expired: expired,
            hard_expired: expired && rules.hard_expiry(),
        }))
    }

    /// When the user with this id last signed in with a password.
    pub async fn password_last_used(
        &self,
        user_id: &str,
    ) -> Result<Option<OffsetDateTime>, IamError> {
        Ok(self
            .password_uses(&[user_id.to_owned()])
            .await?
            .into_iter()
            .next()
            .map(|(_, at)| at))
    }

    /// When each of these users last signed in with a password (those that ever did).
    pub async fn password_uses(
        &self,
        user_ids: &[String],
    ) -> Result<Vec<(String, OffsetDateTime)>, IamError> {
        self.store
            .get_password_uses(user_ids)
            .await
            .map_err(store_failure)
    }
}

/// A hash of a random password, made once, that the sign-in check verifies against when
/// there is no real one, so that a missing user costs what a wrong password does.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        let mut bytes = [0u8; 24];
        let _ = getrandom::getrandom(&mut bytes);
        hash_password(&hex::encode(bytes)).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custom() -> PasswordPolicy {
        PasswordPolicy {
            minimum_password_length: 10,
            require_symbols: true,
            require_numbers: true,
            require_uppercase_characters: true,
            require_lowercase_characters: true,
            allow_users_to_change_password: false,
            max_password_age: Some(30),
            password_reuse_prevention: Some(3),
            hard_expiry: false,
        }
    }

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let a = hash_password("Correct-Horse-1").expect("hash");
        let b = hash_password("Correct-Horse-1").expect("hash");
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "a fresh salt each time");
        assert!(verify_password("Correct-Horse-1", &a));
        assert!(!verify_password("Correct-Horse-2", &a));
        assert!(!verify_password("Correct-Horse-1", "not a PHC string"));
    }

    #[test]
    fn the_default_rules_want_eight_characters_of_three_kinds() {
        assert!(Rules::Default.check("Abcdefg1").is_ok());
        assert!(Rules::Default.check("abcdefg1!").is_ok());
        let e = Rules::Default.check("abcdefgh1").expect_err("two kinds");
        assert_eq!(e.code, ErrorCode::PasswordPolicyViolation);
        assert_eq!(e.message, NOT_CONFORMING);
        assert!(Rules::Default.check("Ab1!").is_err(), "too short");
    }

    #[test]
    fn a_custom_policy_names_the_first_rule_broken() {
        let rules = Rules::Custom(custom());
        let message = |p: &str| rules.check(p).expect_err(p).message;
        assert_eq!(
            message("Ab1!"),
            "Password should have a minimum length of 10"
        );
        assert_eq!(
            message("ABCDEFGH1!"),
            "Password should have at least one lowercase letter"
        );
        assert_eq!(
            message("abcdefgh1!"),
            "Password should have at least one uppercase letter"
        );
        assert_eq!(
            message("Abcdefghi!"),
            "Password should have at least one number"
        );
        assert_eq!(
            message("Abcdefghi1"),
            "Password should have at least one symbol"
        );
        assert!(rules.check("Abcdefgh1!").is_ok());
        assert_eq!(rules.reuse_prevention(), 3);
        let set = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(rules.expiry(set), Some(set + Duration::days(30)));
        assert_eq!(Rules::Default.expiry(set), None);
    }
}
