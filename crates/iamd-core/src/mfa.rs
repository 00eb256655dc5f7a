//! Virtual MFA devices and their one-time codes: TOTP (RFC 6238: HMAC-SHA-1, 6 digits,
//! 30-second steps, codes accepted one step either side of now for clock drift), the
//! Base32 seed (RFC 4648) and the QR code of its `otpauth://` URI as a PNG, and the
//! operations CreateVirtualMFADevice, EnableMFADevice, ResyncMFADevice,
//! DeactivateMFADevice, DeleteVirtualMFADevice, ListMFADevices, ListVirtualMFADevices and
//! GetMFADevice, and the check GetSessionToken and AssumeRole make of a `TokenCode`.
//!
//! A code is single-use: the store keeps, per device, the newest time step a code was
//! accepted for (`Store::use_mfa_step`, one conditional write), and only a newer step is
//! accepted, so a code (and any older one) cannot be replayed, also by another node or a
//! concurrent request. The seed is a secret: it is sealed with the keyring as access keys'
//! secrets are, returned once by CreateVirtualMFADevice, and never logged.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use crate::authz::Resource;
use crate::error::{ErrorCode, IamError};
use crate::ids;
use crate::model::{MfaDevice, Tag, User, MFA_DEVICES_PER_USER};
use crate::pagination::{self, Listing, SortKey};
use crate::policy::Page;
use crate::secret::SecretKey;
use crate::service::{store_failure, Iam, RequestContext, Target};
use crate::store_errors::mfa_error;

/// The length of one TOTP time step, in seconds.
pub const STEP_SECONDS: i64 = 30;
/// Time steps of clock drift accepted either way when a code is checked (GetSessionToken,
/// AssumeRole): a code is good from 30 s before its step to 30 s after it.
pub const DRIFT_STEPS: i64 = 1;
/// EnableMFADevice and ResyncMFADevice take two consecutive codes; the second may be up to
/// this many steps old (five minutes: the codes are typed in by hand), or one step ahead.
pub const SYNC_WINDOW_STEPS: i64 = 10;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The TOTP time step of `t` (RFC 6238's T, with T0 = 0).
pub fn step_of(t: OffsetDateTime) -> i64 {
    t.unix_timestamp().div_euclid(STEP_SECONDS)
}

/// The 6-digit code of `key` at time step `step` (RFC 4226's HOTP over RFC 6238's T).
pub fn totp(key: &[u8], step: u64) -> u32 {
    let mut mac = Hmac::<Sha1>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(&step.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[19] & 0x0f);
    let binary = u32::from_be_bytes([
        hash[offset] & 0x7f,
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]);
    binary % 1_000_000
}

/// `code` as the six digits a device shows.
fn code_text(code: u32) -> String {
    format!("{code:06}")
}

/// RFC 4648 base32, without padding.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(BASE32[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// RFC 4648 base32 (upper case, padding ignored); `None` for any other character.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.trim_end_matches('=').bytes() {
        let v = BASE32.iter().position(|&x| x == c)? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

/// The URI an authenticator app reads from the QR code, in the form AWS documents:
/// `otpauth://totp/$virtualMFADeviceName@$AccountName?secret=$Base32String`, where the
/// account name is the account id (no user is set when a device is created).
pub fn otpauth_uri(device_name: &str, account_id: &str, seed: &str) -> String {
    format!("otpauth://totp/{device_name}@{account_id}?secret={seed}")
}

/// Pixels per QR module, and the quiet zone around the code, in modules (the standard's 4).
const QR_SCALE: usize = 4;
const QR_QUIET: usize = 4;

/// The QR code of `text` as a PNG (8-bit grayscale, black on white).
pub fn qr_png(text: &str) -> Result<Vec<u8>, IamError> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|e| IamError::service_failure(&e))?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QR_QUIET) * QR_SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color != qrcode::Color::Dark {
            continue;
        }
        let (x, y) = (i % modules + QR_QUIET, i / modules + QR_QUIET);
        for dy in 0..QR_SCALE {
            let row = (y * QR_SCALE + dy) * side;
            let start = row + x * QR_SCALE;
            pixels[start..start + QR_SCALE].fill(0);
        }
    }
    let mut png = Vec::new();
    let side = u32::try_from(side).map_err(|e| IamError::service_failure(&e))?;
    let mut encoder = png::Encoder::new(&mut png, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder
        .write_header()
        .map_err(|e| IamError::service_failure(&e))?;
    writer
        .write_image_data(&pixels)
        .map_err(|e| IamError::service_failure(&e))?;
    writer.finish().map_err(|e| IamError::service_failure(&e))?;
    Ok(png)
}

/// Whether `code` (as given) is the code of `key` at `step`, compared in constant time.
fn is_code(key: &[u8], step: i64, code: &str) -> bool {
    let Ok(step) = u64::try_from(step) else {
        return false;
    };
    bool::from(code_text(totp(key, step)).as_bytes().ct_eq(code.as_bytes()))
}

/// The step of the second of two consecutive codes, if `code1` and `code2` are the codes
/// of two consecutive steps within the sync window of `now`, newer than `last_step`.
pub fn consecutive_step(
    key: &[u8],
    now: OffsetDateTime,
    code1: &str,
    code2: &str,
    last_step: Option<i64>,
) -> Option<i64> {
    let now = step_of(now);
    (now - SYNC_WINDOW_STEPS..=now + DRIFT_STEPS)
        .rev()
        .filter(|&s| last_step.is_none_or(|last| s > last))
        .find(|&s| is_code(key, s, code2) && is_code(key, s - 1, code1))
}

/// What checking one code found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// The code of this step, newer than any used before.
    Fresh(i64),
    /// The code of a step already used (or older than one used): a replay.
    Used,
    /// Not a code of any step within the drift window.
    Wrong,
}

/// Checks `code` against the steps within `DRIFT_STEPS` of `now`.
pub fn check_code(
    key: &[u8],
    now: OffsetDateTime,
    code: &str,
    last_step: Option<i64>,
) -> CodeCheck {
    let now = step_of(now);
    let mut used = false;
    for s in (now - DRIFT_STEPS..=now + DRIFT_STEPS).rev() {
        if is_code(key, s, code) {
            if last_step.is_none_or(|last| s > last) {
                return CodeCheck::Fresh(s);
            }
            used = true;
        }
    }
    if used {
        CodeCheck::Used
    } else {
        CodeCheck::Wrong
    }
}

pub fn no_such_mfa_device(serial_number: &str) -> IamError {
    IamError::new(
        ErrorCode::NoSuchEntity,
        format!("VirtualMFADevice with serial number {serial_number} doesn't exist."),
    )
}

fn invalid_authentication_code() -> IamError {
    IamError::new(
        ErrorCode::InvalidAuthenticationCode,
        "Authentication code for device is not valid.",
    )
}

/// STS's answer to a `TokenCode` that is wrong or was used already.
pub fn invalid_mfa_code() -> IamError {
    IamError::new(
        ErrorCode::AccessDenied,
        "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
    )
}

/// STS's answer to a `SerialNumber` that is not a device of the caller.
pub fn unknown_mfa_device() -> IamError {
    IamError::new(
        ErrorCode::AccessDenied,
        "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.",
    )
}

/// A device created by CreateVirtualMFADevice, with its seed (shown this once).
#[derive(Debug, Clone)]
pub struct CreatedMfaDevice {
    pub device: MfaDevice,
    /// The Base32 text of the seed.
    pub seed: SecretKey,
    pub qr_code_png: Vec<u8>,
}

#[derive(Debug, Clone, Default)]
pub struct CreateVirtualMfaDeviceInput {
    pub name: String,
    pub path: Option<String>,
    pub tags: Vec<Tag>,
}

impl Iam {
    /// The key of a device's seed, opened.
    fn seed_key(&self, seed: &crate::secret::SealedSecret) -> Result<Vec<u8>, IamError> {
        let text = seed
            .open(&self.keyring)
            .map_err(|e| IamError::service_failure(&e))?;
        base32_decode(text.expose())
            .ok_or_else(|| IamError::service_failure(&"a stored MFA seed is not base32"))
    }

    /// Looks a device up after authorizing the operation's action on its serial number.
    pub(crate) async fn mfa_device_for(
        &self,
        ctx: &RequestContext,
        serial_number: &str,
    ) -> Result<MfaDevice, IamError> {
        let device = self
            .store
            .get_mfa_device(ctx.principal.account_id(), serial_number)
            .await
            .map_err(store_failure)?;
        let resource = match &device {
            Some(d) => Resource::arn(d.serial_number.clone()).tags(&d.tags),
            None => Resource::arn(serial_number.to_owned()),
        };
        self.authorize(ctx, ctx.action(), &resource).await?;
        device.ok_or_else(|| no_such_mfa_device(serial_number))
    }

    pub async fn create_virtual_mfa_device(
        &self,
        ctx: &RequestContext,
        input: CreateVirtualMfaDeviceInput,
    ) -> Result<CreatedMfaDevice, IamError> {
        let ctx = &ctx.tagging(&input.tags);
        let account = ctx.principal.account_id();
        let path = input.path.unwrap_or_else(|| "/".to_owned());
        let device = MfaDevice {
            account_id: account.to_owned(),
            serial_number: format!("arn:aws:iam::{account}:mfa{path}{}", input.name),
            device_name: input.name,
            path,
            create_date: ctx.now.replace_nanosecond(0).unwrap_or(ctx.now),
            enable_date: None,
            user: None,
            tags: input.tags,
        };
        self.authorize(
            ctx,
            ctx.action(),
            &Resource::arn(device.serial_number.clone()),
        )
        .await?;
        let seed = ids::mfa_seed();
        let qr_code_png = qr_png(&otpauth_uri(&device.device_name, account, seed.expose()))?;
        self.store
            .create_mfa_device(&device, &seed.seal(&self.keyring))
            .await
            .map_err(|e| mfa_error(e, &device.serial_number, ""))?;
        Ok(CreatedMfaDevice {
            device,
            seed,
            qr_code_png,
        })
    }

    /// EnableMFADevice: authorized on the user, as AWS does.
    pub async fn enable_mfa_device(
        &self,
        ctx: &RequestContext,
        user_name: &str,
        serial_number: &str,
        code1: &str,
        code2: &str,
    ) -> Result<(), IamError> {
        let user = self
            .user_for_policy_op(ctx, user_name, ctx.action())
            .await?;
        let secret = self
            .store
            .get_mfa_secret(&user.account_id, serial_number)
            .await
            .map_err(store_failure)?
            .ok_or_else(|| no_such_mfa_device(serial_number))?;
        if secret.device.user.is_some() {
            return Err(mfa_error(
                crate::store::StoreError::MfaDeviceInUse,
                serial_number,
                user_name,
            ));
        }
        let key = self.seed_key(&secret.seed)?;
        let step = consecutive_step(&key, ctx.now, code1, code2, secret.last_step)
            .ok_or_else(invalid_authentication_code)?;
        self.store
            .enable_mfa_device(
                &user.account_id,
                &user.user_name,
                &secret.device.serial_number,
                step,
                ctx.now.replace_nanosecond(0).unwrap_or(ctx.now),
                MFA_DEVICES_PER_USER,
            )
            .await
            .map_err(|e| mfa_error(e, serial_number, user_name))
    }

    /// The device named `serial_number` if it is enabled for `user`; NoSuchEntity if not.
    async fn users_device(
        &self,
        user: &User,
        serial_number: &str,
    ) -> Result<crate::model::MfaSecret, IamError> {
        self.store
            .get_mfa_secret(&user.account_id, serial_number)
            .await
            .map_err(store_failure)?
            .filter(|s| s.device.user.as_ref().map(|u| &u.user_id) == Some(&user.user_id))
            .ok_or_else(|| no_such_mfa_device(serial_number))
    }

    /// ResyncMFADevice: two consecutive codes, as EnableMFADevice takes them; the second
    /// one's step becomes the device's last used step.
    pub async fn resync_mfa_device(
        &self,
        ctx: &RequestContext,
        user_name: &str,
        serial_number: &str,
        code1: &str,
        code2: &str,
    ) -> Result<(), IamError> {
        let user = self
            .user_for_policy_op(ctx, user_name, ctx.action())
            .await?;
        let secret = self.users_device(&user, serial_number).await?;
        let key = self.seed_key(&secret.seed)?;
        let step = consecutive_step(&key, ctx.now, code1, code2, secret.last_step)
            .ok_or_else(invalid_authentication_code)?;
        let accepted = self
            .store
            .use_mfa_step(&user.account_id, &secret.device.serial_number, step)
            .await
            .map_err(|e| mfa_error(e, serial_number, user_name))?;
        if accepted {
            Ok(())
        } else {
            Err(invalid_authentication_code())
        }
    }

    /// DeactivateMFADevice: the named user's, or the calling user's.
    pub async fn deactivate_mfa_device(
        &self,
        ctx: &RequestContext,
        user_name: Option<&str>,
        serial_number: &str,
    ) -> Result<(), IamError> {
        let user = match self.target(ctx, user_name, ctx.action()).await? {
            Target::User(user) => user,
            // The root has no virtual device enabled here (EnableMFADevice names a user).
            Target::Root => return Err(no_such_mfa_device(serial_number)),
        };
        self.store
            .deactivate_mfa_device(&user.account_id, &user.user_name, serial_number)
            .await
            .map_err(|e| mfa_error(e, serial_number, &user.user_name))
    }

    pub async fn delete_virtual_mfa_device(
        &self,
        ctx: &RequestContext,
        serial_number: &str,
    ) -> Result<(), IamError> {
        let device = self.mfa_device_for(ctx, serial_number).await?;
        self.store
            .delete_mfa_device(&device.account_id, &device.serial_number)
            .await
            .map_err(|e| mfa_error(e, serial_number, ""))
    }

    /// GetMFADevice: the device if it is enabled for the named (or calling) user.
    pub async fn get_mfa_device(
        &self,
        ctx: &RequestContext,
        serial_number: &str,
        user_name: Option<&str>,
    ) -> Result<MfaDevice, IamError> {
        let user = match self.target(ctx, user_name, ctx.action()).await? {
            Target::User(user) => user,
            Target::Root => return Err(no_such_mfa_device(serial_number)),
        };
        Ok(self.users_device(&user, serial_number).await?.device)
    }

    /// ListMFADevices: the named (or calling) user's devices; the root has none here.
    pub async fn list_mfa_devices(
        &self,
        ctx: &RequestContext,
        user_name: Option<&str>,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<Page<MfaDevice>, IamError> {
        let user = match self.target(ctx, user_name, ctx.action()).await? {
            Target::User(user) => user,
            Target::Root => {
                return Ok(Page {
                    items: Vec::new(),
                    marker: None,
                })
            }
        };
        let listing = Listing {
            operation: "ListMFADevices",
            scope: &user.user_id,
            sorted_by: SortKey::UserName,
        };
        let after = pagination::name_after(&listing, marker)?;
        let mut items = self
            .store
            .list_user_mfa_devices(
                &user.account_id,
                &user.user_name,
                after.as_deref(),
                max_items + 1,
            )
            .await
            .map_err(|e| mfa_error(e, "", &user.user_name))?;
        let marker = pagination::name_page(&listing, &mut items, max_items, |d| {
            d.serial_number.to_lowercase()
        });
        Ok(Page { items, marker })
    }

    /// ListVirtualMFADevices: `assigned` `None` for `Any`.
    pub async fn list_virtual_mfa_devices(
        &self,
        ctx: &RequestContext,
        assigned: Option<bool>,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<Page<MfaDevice>, IamError> {
        self.authorize(ctx, ctx.action(), &Resource::any()).await?;
        let account = ctx.principal.account_id();
        let scope = format!("{account}:{assigned:?}");
        let listing = Listing {
            operation: "ListVirtualMFADevices",
            scope: &scope,
            sorted_by: SortKey::UserName,
        };
        let after = pagination::name_after(&listing, marker)?;
        let mut items = self
            .store
            .list_mfa_devices(account, assigned, after.as_deref(), max_items + 1)
            .await
            .map_err(store_failure)?;
        let marker = pagination::name_page(&listing, &mut items, max_items, |d| {
            d.serial_number.to_lowercase()
        });
        Ok(Page { items, marker })
    }

    /// The MFA a GetSessionToken or AssumeRole request presents (`SerialNumber`,
    /// `TokenCode`): the device must be enabled for the calling user and the code fresh.
    /// Returns when the code was checked (the session's MFA authentication time).
    pub(crate) async fn check_mfa(
        &self,
        ctx: &RequestContext,
        serial_number: &str,
        code: &str,
    ) -> Result<OffsetDateTime, IamError> {
        let crate::principal::Principal::User(user) = &ctx.principal else {
            return Err(unknown_mfa_device());
        };
        if !self
            .spend_mfa_code(
                &user.account_id,
                &user.user_id,
                serial_number,
                code,
                ctx.now,
            )
            .await?
        {
            return Err(invalid_mfa_code());
        }
        Ok(ctx.now.replace_nanosecond(0).unwrap_or(ctx.now))
    }

    /// Checks `code` against the device `serial_number` enabled for the user `user_id`
    /// and spends it: false for a wrong, stale or replayed code. UnknownMfaDevice (as
    /// `unknown_mfa_device`) when the device is not enabled for that user.
    pub(crate) async fn spend_mfa_code(
        &self,
        account_id: &str,
        user_id: &str,
        serial_number: &str,
        code: &str,
        now: OffsetDateTime,
    ) -> Result<bool, IamError> {
        let secret = self
            .store
            .get_mfa_secret(account_id, serial_number)
            .await
            .map_err(store_failure)?
            .filter(|s| s.device.user.as_ref().map(|u| u.user_id.as_str()) == Some(user_id))
            .ok_or_else(unknown_mfa_device)?;
        let key = self.seed_key(&secret.seed)?;
        let CodeCheck::Fresh(step) = check_code(&key, now, code, secret.last_step) else {
            return Ok(false);
        };
        self.store
            .use_mfa_step(account_id, &secret.device.serial_number, step)
            .await
            .map_err(|e| match e {
                crate::store::StoreError::NoSuchMfaDevice => unknown_mfa_device(),
                e => store_failure(e),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 vectors (seed "12345678901234567890"), read as
    /// 6-digit codes (the last six of the 8-digit values).
    #[test]
    fn totp_matches_rfc_6238_vectors() {
        let key = b"12345678901234567890";
        for (t, expected) in [
            (59u64, 94287082u32),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ] {
            assert_eq!(totp(key, t / 30), expected % 1_000_000, "T = {t}");
        }
    }

    #[test]
    fn base32_round_trips_as_rfc_4648_says() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(
            base32_decode("MZXW6YTBOI======").as_deref(),
            Some(&b"foobar"[..])
        );
        let seed = ids::mfa_seed();
        let bytes = base32_decode(seed.expose()).expect("base32");
        assert_eq!(bytes.len(), 40);
        assert_eq!(base32_encode(&bytes), seed.expose());
        assert_eq!(base32_decode("abc"), None);
    }

    #[test]
    fn codes_are_accepted_within_the_drift_and_once() {
        let key = b"12345678901234567890";
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_015).expect("time");
        let step = step_of(now);
        let code = |s: i64| code_text(totp(key, s as u64));
        for s in [step - 1, step, step + 1] {
            assert_eq!(check_code(key, now, &code(s), None), CodeCheck::Fresh(s));
            assert_eq!(check_code(key, now, &code(s), Some(s)), CodeCheck::Used);
        }
        assert_eq!(
            check_code(key, now, &code(step - 2), None),
            CodeCheck::Wrong
        );
        assert_eq!(
            check_code(key, now, &code(step + 2), None),
            CodeCheck::Wrong
        );
        assert_eq!(
            consecutive_step(key, now, &code(step - 1), &code(step), None),
            Some(step)
        );
        assert_eq!(
            consecutive_step(key, now, &code(step), &code(step - 1), None),
            None
        );
        assert_eq!(
            consecutive_step(key, now, &code(step - 1), &code(step), Some(step)),
            None
        );
    }

    #[test]
    fn the_qr_code_is_a_png() {
        let png = qr_png(&otpauth_uri("phone", "123456789012", "ABCDEFGH")).expect("png");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
    }
}
