//! Authentication at the edge: SigV4 in AWS's order (structure, date, scope, key,
//! signature). The key step is the domain's (`Iam::caller`: who signs with this key id and
//! token, and with which secret); this module parses, checks time and scope, verifies the
//! signature (with a cache of derived signing keys), and logs and throttles failures.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use http::request::Parts;
use iamd_core::authn::Signer;
use iamd_core::secret::Keyring;
use iamd_core::usage::Usage;
use iamd_core::{ErrorCode, Iam, IamError, Principal, Via};
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

/// A verified caller and the key use to record for it.
pub struct Authenticated {
    pub principal: Principal,
    pub via: Via,
    /// The long-term key behind the request, or the role whose session signed it.
    pub usage: Option<Usage>,
}

/// Steps 2–5 of verification, after `iamd_sigv4::parse` located the auth information and
/// the service was chosen: the time and the scope here, the caller (and for session
/// credentials the token, its issuer and its expiry) from the domain, then the signature.
pub async fn authenticate(
    iam: &Iam,
    signing_keys: &SigningKeys,
    auth: &ParsedAuth,
    signing_name: &str,
    parts: &Parts,
    body: &[u8],
    now: OffsetDateTime,
) -> Result<Authenticated, IamError> {
    iamd_sigv4::check_time(auth, now).map_err(sigv4_error)?;
    iamd_sigv4::check_scope(auth, signing_name).map_err(sigv4_error)?;
    let caller = iam
        .caller(&auth.access_key_id, auth.session_token.as_deref(), now)
        .await?;
    verify_signature(
        signing_keys,
        auth,
        &caller.signer,
        iam.keyring(),
        parts,
        body,
    )?;
    Ok(Authenticated {
        usage: caller.usage(now, &auth.service, &auth.region),
        principal: caller.principal,
        via: caller.via,
    })
}

/// Whether `access_key_id` can name a key at all: 1-128 letters, digits or underscores
/// (the emulator mode accepts any such id, `FOOBARKEY` and `testing` included).
fn syntactically_valid(access_key_id: &str) -> bool {
    (1..=128).contains(&access_key_id.len())
        && access_key_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Authentication in the emulator mode (`iamd serve --mode emulator`): the request's
/// authorization was parsed (a malformed one was refused before this) and its scope must
/// name the service, but no signature is verified and the clock is not checked. A key id
/// iamd issued (with its session token, if any) acts as its owner; any other
/// syntactically valid key id acts as the account's root.
pub async fn authenticate_emulated(
    iam: &Iam,
    auth: &ParsedAuth,
    signing_name: &str,
    account_id: &str,
    now: OffsetDateTime,
) -> Result<Authenticated, IamError> {
    iamd_sigv4::check_scope(auth, signing_name).map_err(sigv4_error)?;
    if !syntactically_valid(&auth.access_key_id) {
        return Err(IamError::new(
            ErrorCode::InvalidClientTokenId,
            "The security token included in the request is invalid.",
        ));
    }
    match iam
        .caller(&auth.access_key_id, auth.session_token.as_deref(), now)
        .await
    {
        Ok(caller) => Ok(Authenticated {
            usage: caller.usage(now, &auth.service, &auth.region),
            principal: caller.principal,
            via: caller.via,
        }),
        // The store failing is not a stranger's key.
        Err(e) if e.code.status() >= 500 => Err(e),
        // A stranger's key acts as the root, as if signed with its active root key (when
        // it has one): GetSessionToken and GetFederationToken key their sessions with it.
        Err(_) => {
            let access_key_id = match iam.active_root_key_id(account_id).await? {
                Some(root_key) => root_key,
                None => auth.access_key_id.clone(),
            };
            Ok(Authenticated {
                usage: None,
                principal: Principal::Root {
                    account_id: account_id.to_owned(),
                },
                via: Via::AccessKey { access_key_id },
            })
        }
    }
}

/// Derived signing keys by (key id, date, region, service): the derivation is five HMACs,
/// and a key id's secret never changes (long-term secrets are fixed at creation; every
/// session has its own key id), so a derived key stays valid for its whole day. A key that
/// is deactivated or deleted never gets this far: the credential lookup refuses it first.
///
/// A key is cached only once a signature made with it has verified, and only for a scope
/// of ordinary size (a region of at most `MAX_CACHED_REGION` letters, digits and hyphens),
/// so that neither wrong secrets nor made-up regions can fill it: at most
/// `SIGNING_KEYS_MAX` entries of at most about 250 bytes each (a key id is at most 128
/// bytes, a date 8, a service `iam` or `sts`).
#[derive(Default)]
pub struct SigningKeys(Mutex<HashMap<Scope, Zeroizing<[u8; 32]>>>);

/// (access key id, date, region, service)
type Scope = (String, String, String, String);
const SIGNING_KEYS_MAX: usize = 10_000;
/// The longest region whose signing keys are cached (AWS's longest is 14 letters).
const MAX_CACHED_REGION: usize = 32;

impl SigningKeys {
    fn get(&self, scope: &Scope) -> Option<Zeroizing<[u8; 32]>> {
        self.lock().get(scope).cloned()
    }

    fn insert(&self, scope: Scope, key: Zeroizing<[u8; 32]>) {
        let mut cache = self.lock();
        if cache.len() >= SIGNING_KEYS_MAX {
            cache.clear();
        }
        cache.insert(scope, key);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Scope, Zeroizing<[u8; 32]>>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

fn cacheable(auth: &ParsedAuth) -> bool {
    auth.region.len() <= MAX_CACHED_REGION
        && auth
            .region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && auth.access_key_id.len() <= 128
}

/// The signature's last step: find the signing key, or open the secret and derive it, and
/// compare. The derived key is cached only after the signature has verified.
fn verify_signature(
    keys: &SigningKeys,
    auth: &ParsedAuth,
    signer: &Signer,
    keyring: &Keyring,
    parts: &Parts,
    body: &[u8],
) -> Result<(), IamError> {
    let scope = (
        auth.access_key_id.clone(),
        auth.scope_date.clone(),
        auth.region.clone(),
        auth.service.clone(),
    );
    if let Some(key) = keys.get(&scope) {
        return iamd_sigv4::verify(auth, parts, body, &key).map_err(sigv4_error);
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
    iamd_sigv4::verify(auth, parts, body, &key).map_err(sigv4_error)?;
    if cacheable(auth) {
        keys.insert(scope, key);
    }
    Ok(())
}

/// Refused authentications: each is logged at `info` with the key id it named (never a
/// secret) and the source address, at most `LOG_PER_SECOND` lines a second (the rest are
/// counted and the count logged with the next line), so a flood cannot fill the disk. With
/// a limit set (`--auth-failure-limit`), a source that fails more often than that within a
/// minute is answered `Throttling` until the minute is over.
pub struct AuthFailures {
    per_minute: u32,
    sources: Mutex<HashMap<IpAddr, Window>>,
    log: Mutex<LogBudget>,
}

const WINDOW: Duration = Duration::from_secs(60);
const LOG_PER_SECOND: u32 = 10;
/// Source addresses tracked at most; past it the expired windows are dropped, and all of
/// them if that frees nothing (a flood from that many addresses resets the throttle).
const SOURCES_MAX: usize = 100_000;
/// The longest key id written to the log (it is the client's text).
const LOGGED_KEY_ID_MAX: usize = 128;

struct Window {
    start: Instant,
    failures: u32,
}

struct LogBudget {
    second: Instant,
    lines: u32,
    suppressed: u64,
}

impl AuthFailures {
    /// `per_minute`: failures a source may make in a minute before it is throttled; 0
    /// turns the throttle off (failures are still logged).
    pub fn new(per_minute: u32) -> Self {
        AuthFailures {
            per_minute,
            sources: Mutex::new(HashMap::new()),
            log: Mutex::new(LogBudget {
                second: Instant::now(),
                lines: 0,
                suppressed: 0,
            }),
        }
    }

    /// `Throttling` when `source` has failed too often within the current minute.
    pub fn check(&self, source: IpAddr) -> Result<(), IamError> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let sources = self.sources.lock().unwrap_or_else(|e| e.into_inner());
        match sources.get(&source) {
            Some(w) if w.failures >= self.per_minute && w.start.elapsed() < WINDOW => {
                Err(IamError::new(ErrorCode::Throttling, "Rate exceeded"))
            }
            _ => Ok(()),
        }
    }

    /// Counts and logs a refused authentication. Failures of the service itself (5xx)
    /// are not the client's and are not counted.
    pub fn record(&self, source: IpAddr, access_key_id: Option<&str>, error: &IamError) {
        if error.code.status() >= 500 {
            return;
        }
        if self.per_minute > 0 {
            let mut sources = self.sources.lock().unwrap_or_else(|e| e.into_inner());
            if sources.len() >= SOURCES_MAX && !sources.contains_key(&source) {
                sources.retain(|_, w| w.start.elapsed() < WINDOW);
                if sources.len() >= SOURCES_MAX {
                    sources.clear();
                }
            }
            let now = Instant::now();
            let window = sources.entry(source).or_insert(Window {
                start: now,
                failures: 0,
            });
            if now.duration_since(window.start) >= WINDOW {
                *window = Window {
                    start: now,
                    failures: 0,
                };
            }
            window.failures = window.failures.saturating_add(1);
        }
        let suppressed = {
            let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
            if log.second.elapsed() >= Duration::from_secs(1) {
                log.second = Instant::now();
                log.lines = 0;
            }
            if log.lines >= LOG_PER_SECOND {
                log.suppressed += 1;
                return;
            }
            log.lines += 1;
            std::mem::take(&mut log.suppressed)
        };
        // Debug formatting escapes what the client put in the key id (newlines included).
        let key_id = access_key_id.map(|id| {
            let end = id
                .char_indices()
                .nth(LOGGED_KEY_ID_MAX)
                .map_or(id.len(), |(i, _)| i);
            &id[..end]
        });
        tracing::info!(
            %source,
            access_key_id = ?key_id,
            code = error.code.as_str(),
            suppressed,
            "authentication refused"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iamd_core::secret::SecretKey;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";

    /// A header-signed POST whose credential scope names `region`, signed with `secret`.
    fn signed(region: &str, secret: &str) -> (Parts, ParsedAuth) {
        let authz = format!(
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260102/{region}/iam/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=00"
        );
        let mut parts = http::Request::post("/")
            .header("host", "iam.amazonaws.com")
            .header("x-amz-date", "20260102T030405Z")
            .header("authorization", authz.as_str())
            .body(())
            .expect("request")
            .into_parts()
            .0;
        let auth = iamd_sigv4::parse(&parts).expect("parse");
        let creq = iamd_sigv4::canonical_request(&auth, &parts, b"").expect("canonical");
        let key = iamd_sigv4::derive_signing_key(secret.as_bytes(), "20260102", region, "iam");
        use hmac::Mac;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).expect("key");
        mac.update(iamd_sigv4::string_to_sign(&auth, &creq).as_bytes());
        let signature = hex::encode(mac.finalize().into_bytes());
        let authz = authz.replace("Signature=00", &format!("Signature={signature}"));
        parts.headers.insert(
            "authorization",
            http::HeaderValue::from_str(&authz).expect("value"),
        );
        let auth = iamd_sigv4::parse(&parts).expect("parse");
        (parts, auth)
    }

    #[test]
    fn signing_keys_are_cached_only_after_a_signature_verifies() {
        let keys = SigningKeys::default();
        let keyring = Keyring::generate();
        // As a long-term key arrives from the store: sealed, opened on a cache miss.
        let secret = Signer::Sealed(SecretKey::new(SECRET.into()).seal(&keyring));
        // A valid key id with the wrong secret, from a thousand made-up regions.
        for i in 0..1000 {
            let (parts, auth) = signed(&format!("region-{i}"), "not-the-secret");
            let e = verify_signature(&keys, &auth, &secret, &keyring, &parts, b"").unwrap_err();
            assert_eq!(e.code, ErrorCode::SignatureDoesNotMatch);
        }
        assert_eq!(keys.len(), 0, "no failed signature leaves a key behind");
        let (parts, auth) = signed("eu-west-1", SECRET);
        verify_signature(&keys, &auth, &secret, &keyring, &parts, b"").unwrap();
        assert_eq!(keys.len(), 1);
        // From the cache, a wrong signature is still refused.
        let (parts, auth) = signed("eu-west-1", "not-the-secret");
        assert!(verify_signature(&keys, &auth, &secret, &keyring, &parts, b"").is_err());
        // A region out of the ordinary verifies but is not cached.
        let long = "x".repeat(MAX_CACHED_REGION + 1);
        for region in [long.as_str(), "EU-WEST-1", "eu_west!"] {
            let (parts, auth) = signed(region, SECRET);
            verify_signature(&keys, &auth, &secret, &keyring, &parts, b"").unwrap();
        }
        assert_eq!(keys.len(), 1);
    }

    #[test]
    fn auth_failures_throttle_a_source_and_only_that_source() {
        let failures = AuthFailures::new(3);
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let refused = IamError::new(ErrorCode::SignatureDoesNotMatch, "no");
        for _ in 0..3 {
            assert!(failures.check(a).is_ok());
            failures.record(a, Some("AKIA\nforged log line"), &refused);
        }
        let e = failures.check(a).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (ErrorCode::Throttling, "Rate exceeded")
        );
        assert!(failures.check(b).is_ok());
        // The service's own failures are not the client's.
        let off = AuthFailures::new(1);
        off.record(
            b,
            None,
            &IamError::new(ErrorCode::ServiceFailure, "db down"),
        );
        assert!(off.check(b).is_ok());
        // 0: no throttle at all.
        let none = AuthFailures::new(0);
        for _ in 0..100 {
            none.record(a, None, &refused);
        }
        assert!(none.check(a).is_ok());
    }
}
