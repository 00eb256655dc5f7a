//! `POST /iamd/v1/sign-in`: iamd's own password check for other services (a console, a
//! sign-in page), not an AWS API. Unauthenticated: the body is JSON
//! `{"account": "123456789012", "user": "alice", "password": "…"}`, at most
//! `MAX_SIGN_IN_BODY` bytes, read within the edge's body deadline. Answers (JSON):
//!
//! - 200 `{"result":"ok","passwordResetRequired":…,"passwordExpired":…,"hardExpired":…}`:
//!   the password is right (the use is recorded as GetUser's `PasswordLastUsed`);
//! - 401 `{"result":"denied"}`: wrong password, unknown user or no login profile, alike;
//! - 429 `{"result":"locked","retryAfterSeconds":n}` with `Retry-After`: too many failures
//!   for that user or from that source (see `Backoff`), or too many checks under way;
//! - 400 for a body that is not that JSON, 405 for another method, 413, 408, 500.
//!
//! The password is never logged; locked-out attempts are logged (account, user, source),
//! at most `LOG_PER_SECOND` lines a second.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use iamd_core::error::ErrorCode;
use time::OffsetDateTime;
use tokio::sync::Semaphore;
use tracing::{error, warn};
use zeroize::Zeroizing;

use crate::server::State;

pub(crate) const PATH: &str = "/iamd/v1/sign-in";
/// The same check, answered with console session credentials (`iamd_core::console`).
pub(crate) const CONSOLE_PATH: &str = "/iamd/v1/console-session";
/// Larger than any valid body (a 128-character password, a 64-character name).
pub(crate) const MAX_SIGN_IN_BODY: usize = 4096;
/// (Names are logged with `?`, escaped: they are the client's text.)
/// Failures allowed before back-off starts: per user, per source address.
pub const USER_FREE_FAILURES: u32 = 5;
pub const SOURCE_FREE_FAILURES: u32 = 20;
/// The first delay, doubled with each further failure, up to `MAX_DELAY`.
pub const FIRST_DELAY: Duration = Duration::from_secs(1);
pub const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// A key with no failure for this long starts over.
pub const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
/// Keys tracked at most per table (users, sources): at most ~150 bytes each (a user key
/// is an account id and a lower-cased name of at most 64 bytes).
pub const MAX_TRACKED: usize = 100_000;
/// Password checks (argon2id, ~20 MiB and tens of milliseconds each) running at once.
const CONCURRENT_CHECKS: usize = 4;
const LOG_PER_SECOND: u32 = 10;

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last_failure: Instant,
    blocked_until: Instant,
}

/// Failures per key, with exponential back-off, in bounded memory: past `MAX_TRACKED`
/// keys, those forgotten anyway go first, then those whose block ends soonest.
pub(crate) struct Backoff<K> {
    free: u32,
    entries: Mutex<HashMap<K, Entry>>,
}

impl<K: Hash + Eq + Clone> Backoff<K> {
    pub fn new(free: u32) -> Self {
        Backoff {
            free,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// How long `key` must still wait, if it is blocked.
    pub fn blocked(&self, key: &K, now: Instant) -> Option<Duration> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|e| e.blocked_until > now)
            .map(|e| e.blocked_until - now)
    }

    pub fn failed(&self, key: &K, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_TRACKED && !entries.contains_key(key) {
            entries.retain(|_, e| now.duration_since(e.last_failure) < FORGET_AFTER);
            if entries.len() >= MAX_TRACKED {
                let soonest = entries
                    .iter()
                    .min_by_key(|(_, e)| e.blocked_until)
                    .map(|(k, _)| k.clone());
                if let Some(k) = soonest {
                    entries.remove(&k);
                }
            }
        }
        let e = entries.entry(key.clone()).or_insert(Entry {
            failures: 0,
            last_failure: now,
            blocked_until: now,
        });
        if now.duration_since(e.last_failure) >= FORGET_AFTER {
            e.failures = 0;
        }
        e.failures = e.failures.saturating_add(1);
        e.last_failure = now;
        if e.failures > self.free {
            let doublings = (e.failures - self.free - 1).min(20);
            let delay = FIRST_DELAY.saturating_mul(1 << doublings).min(MAX_DELAY);
            e.blocked_until = now + delay;
        }
    }

    pub fn succeeded(&self, key: &K) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.remove(key);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// The sign-in check's shared state: both back-off tables, the bound on concurrent
/// checks, and the lock-out log's budget.
pub(crate) struct SignIn {
    users: Backoff<(String, String)>,
    sources: Backoff<IpAddr>,
    checks: Semaphore,
    log: Mutex<(Instant, u32, u64)>,
}

impl Default for SignIn {
    fn default() -> Self {
        SignIn {
            users: Backoff::new(USER_FREE_FAILURES),
            sources: Backoff::new(SOURCE_FREE_FAILURES),
            checks: Semaphore::new(CONCURRENT_CHECKS),
            log: Mutex::new((Instant::now(), 0, 0)),
        }
    }
}

impl SignIn {
    fn log_locked(&self, account: &str, user: &str, source: IpAddr, wait: Duration) {
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if now.duration_since(log.0) >= Duration::from_secs(1) {
            *log = (now, 0, log.2);
        }
        if log.1 >= LOG_PER_SECOND {
            log.2 += 1;
            return;
        }
        log.1 += 1;
        let suppressed = std::mem::take(&mut log.2);
        warn!(
            account = ?truncated(account),
            user = ?truncated(user),
            %source,
            retry_after_s = wait.as_secs(),
            suppressed,
            "password sign-in refused: locked out after repeated failures"
        );
    }
}

/// A password sign-in attempt, as its audit record needs it.
pub(crate) struct Attempt<'a> {
    /// The endpoint's path (`additionalEventData.LoginTo`).
    pub login_to: &'static str,
    pub source: IpAddr,
    pub user_agent: Option<String>,
    pub account: &'a str,
    pub user: &'a str,
}

fn plausible(account: &str, user: &str) -> bool {
    account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && !user.is_empty()
        && user.len() <= 64
}

/// Writes the attempt's `ConsoleLogin` record, when there is an audit log (shared by
/// every password sign-in endpoint). A name that may be a user's is looked up for the
/// record's ARN and id; an unknown one is written hidden, never as typed.
pub(crate) async fn audit_attempt(
    state: &State,
    attempt: &Attempt<'_>,
    success: bool,
    mfa_used: bool,
) {
    let Some(audit) = &state.audit else { return };
    let plausible = plausible(attempt.account, attempt.user);
    let user = if plausible {
        match state
            .iam
            .store()
            .get_user(attempt.account, attempt.user)
            .await
        {
            Ok(Some(u)) => Some((u.user_id.clone(), u.arn(), u.user_name.clone())),
            _ => None,
        }
    } else {
        None
    };
    let account_id = plausible.then(|| attempt.account.to_owned());
    let login = crate::audit::ConsoleLogin {
        time: OffsetDateTime::now_utc(),
        source_ip: attempt.source,
        user_agent: attempt.user_agent.clone(),
        recipient_account_id: account_id
            .clone()
            .unwrap_or_else(|| state.account_id.clone()),
        account_id,
        user,
        success,
        mfa_used,
        login_to: attempt.login_to,
    };
    if !audit.console_login(login).await {
        state.metrics.audit_record_dropped();
    }
}

fn truncated(s: &str) -> &str {
    match s.char_indices().nth(64) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    account: String,
    user: String,
    #[serde(deserialize_with = "zeroizing")]
    password: Zeroizing<String>,
    /// The console endpoint only: a code of one of the user's MFA devices.
    #[serde(default, rename = "mfaCode")]
    mfa_code: Option<String>,
}

fn zeroizing<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Zeroizing<String>, D::Error> {
    <String as serde::Deserialize>::deserialize(d).map(Zeroizing::new)
}

fn json(status: StatusCode, body: serde_json::Value) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body.to_string())));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

fn locked(wait: Duration) -> Response<Full<Bytes>> {
    let secs = wait.as_secs().max(1);
    let mut resp = json(
        StatusCode::TOO_MANY_REQUESTS,
        serde_json::json!({"result": "locked", "retryAfterSeconds": secs}),
    );
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

fn problem(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    json(
        status,
        serde_json::json!({"result": "error", "message": message}),
    )
}

pub(crate) async fn handle(
    state: &State,
    req: http::Request<Incoming>,
    peer: std::net::SocketAddr,
    console: bool,
) -> Response<Full<Bytes>> {
    if req.method() != http::Method::POST {
        return problem(StatusCode::METHOD_NOT_ALLOWED, "Only POST is supported.");
    }
    let user_agent = state.audit.as_ref().and_then(|_| {
        req.headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    let (_parts, body) = req.into_parts();
    let (body, _share) =
        match crate::handler::read_body(body, &state.limits, &state.body_budget).await {
            Ok(read) => read,
            Err(e) => {
                let status = match e.code {
                    ErrorCode::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
                    ErrorCode::RequestEntityTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                    _ => StatusCode::BAD_REQUEST,
                };
                return problem(status, &e.message);
            }
        };
    let body = Zeroizing::new(body);
    if body.len() > MAX_SIGN_IN_BODY {
        return problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("The body exceeds {MAX_SIGN_IN_BODY} bytes."),
        );
    }
    // serde_json's errors name a position, never the text.
    let request: Request = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(_) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "Expected a JSON object with the strings account, user and password.",
            )
        }
    };
    let signin = &state.sign_in;
    let source = peer.ip();
    let now = Instant::now();
    // No such account id or user name can exist: denied without a look-up, counted against
    // the source only, so that the user table's keys stay short (at most 12 + 64 bytes).
    let attempt = Attempt {
        login_to: if console { CONSOLE_PATH } else { PATH },
        source,
        user_agent,
        account: &request.account,
        user: &request.user,
    };
    if !plausible(&request.account, &request.user) {
        audit_attempt(state, &attempt, false, false).await;
        if let Some(wait) = signin.sources.blocked(&source, now) {
            signin.log_locked(&request.account, &request.user, source, wait);
            return locked(wait);
        }
        signin.sources.failed(&source, now);
        return json(
            StatusCode::UNAUTHORIZED,
            serde_json::json!({"result": "denied"}),
        );
    }
    let user_key = (request.account.clone(), request.user.to_lowercase());
    let wait = signin
        .users
        .blocked(&user_key, now)
        .into_iter()
        .chain(signin.sources.blocked(&source, now))
        .max();
    if let Some(wait) = wait {
        audit_attempt(state, &attempt, false, false).await;
        signin.log_locked(&request.account, &request.user, source, wait);
        return locked(wait);
    }
    let Ok(_permit) = signin.checks.try_acquire() else {
        audit_attempt(state, &attempt, false, false).await;
        return locked(Duration::from_secs(1));
    };
    let outcome = state
        .iam
        .sign_in(
            &request.account,
            &request.user,
            request.password,
            OffsetDateTime::now_utc(),
        )
        .await;
    // Only the right password, not hard-expired, is a successful sign-in; a backend
    // failure is no attempt's outcome and is not recorded. A console sign-in with the
    // right password is recorded once its MFA code is checked (`console_session`).
    if let Ok(ok) = &outcome {
        let success = ok.as_ref().is_some_and(|ok| !ok.hard_expired);
        if !(console && success) {
            audit_attempt(state, &attempt, success, false).await;
        }
    }
    match outcome {
        // The right password, but expired under `HardExpiry`: refused, as AWS's console
        // refuses it until an administrator sets a new one. Not a failed attempt.
        Ok(Some(ok)) if ok.hard_expired => {
            signin.users.succeeded(&user_key);
            json(
                StatusCode::FORBIDDEN,
                serde_json::json!({
                    "result": "expired",
                    "message": "The password has expired; an administrator must set a new one.",
                }),
            )
        }
        Ok(Some(ok)) if console => {
            let must_change = ok.password_reset_required || ok.password_expired;
            let mfa_code = request.mfa_code.as_deref();
            console_session(state, &attempt, &user_key, must_change, mfa_code).await
        }
        Ok(Some(ok)) => {
            signin.users.succeeded(&user_key);
            json(
                StatusCode::OK,
                serde_json::json!({
                    "result": "ok",
                    "passwordResetRequired": ok.password_reset_required,
                    "passwordExpired": ok.password_expired,
                    "hardExpired": false,
                    // A required reset or an expired password: the session may only change
                    // the password (ChangePassword) before anything else.
                    "mustChangePassword": ok.password_reset_required || ok.password_expired,
                }),
            )
        }
        Ok(None) => {
            let now = Instant::now();
            signin.users.failed(&user_key, now);
            signin.sources.failed(&source, now);
            json(
                StatusCode::UNAUTHORIZED,
                serde_json::json!({"result": "denied"}),
            )
        }
        Err(e) => {
            error!(
                code = e.code.as_str(),
                cause = e.cause.as_deref().unwrap_or("-"),
                "password sign-in failed"
            );
            problem(StatusCode::INTERNAL_SERVER_ERROR, "Internal failure.")
        }
    }
}

/// The console-session answer for a user whose password was right: a session, or for a
/// user with an MFA device and no code `mfaRequired` (not a failure: the console then
/// asks for the code), or for a wrong or replayed code `mfaInvalid`, a failed attempt
/// that counts towards the back-off as a wrong password does.
async fn console_session(
    state: &State,
    attempt: &Attempt<'_>,
    user_key: &(String, String),
    must_change: bool,
    mfa_code: Option<&str>,
) -> Response<Full<Bytes>> {
    use iamd_core::console::ConsoleSession;
    let signin = &state.sign_in;
    let issued = state
        .iam
        .console_session(
            attempt.account,
            attempt.user,
            must_change,
            mfa_code,
            OffsetDateTime::now_utc(),
        )
        .await;
    match &issued {
        Ok(Some(ConsoleSession::Issued { .. })) => {
            signin.users.succeeded(user_key);
            audit_attempt(state, attempt, true, mfa_code.is_some()).await;
        }
        Ok(Some(ConsoleSession::MfaInvalid)) => {
            let now = Instant::now();
            signin.users.failed(user_key, now);
            signin.sources.failed(&attempt.source, now);
            audit_attempt(state, attempt, false, true).await;
        }
        Ok(None) => audit_attempt(state, attempt, false, false).await,
        Ok(Some(ConsoleSession::MfaRequired)) | Err(_) => {}
    }
    match issued {
        Ok(Some(ConsoleSession::Issued {
            credentials: c,
            password_change_only,
        })) => {
            let expiration = c
                .expiration
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            json(
                StatusCode::OK,
                serde_json::json!({
                    "result": "ok",
                    "mustChangePassword": password_change_only,
                    "credentials": {
                        "accessKeyId": c.access_key_id,
                        "secretAccessKey": c.secret_access_key.expose(),
                        "sessionToken": c.session_token,
                        "expiration": expiration,
                    },
                }),
            )
        }
        Ok(Some(ConsoleSession::MfaRequired)) => json(
            StatusCode::UNAUTHORIZED,
            serde_json::json!({
                "result": "mfaRequired",
                "message": "Enter the code of your MFA device (mfaCode).",
            }),
        ),
        Ok(Some(ConsoleSession::MfaInvalid)) => json(
            StatusCode::UNAUTHORIZED,
            serde_json::json!({
                "result": "mfaInvalid",
                "message": "The MFA code is not valid: wait for the next code and try again.",
            }),
        ),
        // Deleted between the check and now: as a wrong password.
        Ok(None) => json(
            StatusCode::UNAUTHORIZED,
            serde_json::json!({"result": "denied"}),
        ),
        Err(e) => {
            error!(
                code = e.code.as_str(),
                cause = e.cause.as_deref().unwrap_or("-"),
                "console sign-in failed"
            );
            problem(StatusCode::INTERNAL_SERVER_ERROR, "Internal failure.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_starts_after_the_free_failures_and_doubles() {
        let b = Backoff::new(2);
        let t0 = Instant::now();
        b.failed(&"k", t0);
        b.failed(&"k", t0);
        assert_eq!(b.blocked(&"k", t0), None, "two free failures");
        b.failed(&"k", t0);
        assert_eq!(b.blocked(&"k", t0), Some(FIRST_DELAY));
        b.failed(&"k", t0);
        assert_eq!(b.blocked(&"k", t0), Some(FIRST_DELAY * 2));
        for _ in 0..30 {
            b.failed(&"k", t0);
        }
        assert_eq!(b.blocked(&"k", t0), Some(MAX_DELAY), "capped");
        assert_eq!(
            b.blocked(&"k", t0 + MAX_DELAY),
            None,
            "over after the delay"
        );
        b.succeeded(&"k");
        assert_eq!(b.blocked(&"k", t0), None);
    }

    #[test]
    fn a_quiet_key_starts_over() {
        let b = Backoff::new(1);
        let t0 = Instant::now();
        b.failed(&"k", t0);
        b.failed(&"k", t0);
        let later = t0 + FORGET_AFTER;
        b.failed(&"k", later);
        assert_eq!(b.blocked(&"k", later), None, "counted from one again");
    }

    #[test]
    fn the_table_stays_bounded() {
        let b = Backoff::new(0);
        let t0 = Instant::now();
        for i in 0..MAX_TRACKED + 10 {
            b.failed(&i, t0);
        }
        assert_eq!(b.len(), MAX_TRACKED);
        assert!(
            b.blocked(&(MAX_TRACKED + 9), t0).is_some(),
            "the newest is kept"
        );
    }
}
