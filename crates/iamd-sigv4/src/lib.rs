//! Server-side verification of AWS Signature Version 4 (`AWS4-HMAC-SHA256`)
//! for iamd, as pure functions over an [`http::request::Parts`] and the raw
//! body bytes. It locates and parses the auth information (Authorization
//! header or presigned `X-Amz-*` query parameters), checks the clock and the
//! credential scope, rebuilds the canonical request and compares signatures in
//! constant time, producing the error codes and messages AWS IAM/STS return
//! (spec §5). It is not a signer, does no I/O, keeps no state and stores no
//! keys: the caller looks up the secret for [`ParsedAuth::access_key_id`]
//! (and validates any session token) between [`check_scope`] and [`verify`].
//!
//! Call order, mirroring AWS: [`parse`] → [`check_time`] → [`check_scope`] →
//! (key lookup by the caller) → [`derive_signing_key`] → [`verify`].

mod canonical;
mod datetime;

use canonical::Sink;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

/// The only algorithm accepted.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The fixed last element of a SigV4 credential scope.
pub const TERMINATOR: &str = "aws4_request";

/// Allowed clock skew between the request time and the server clock (IAM and
/// STS use 15 minutes; JSON services use 5).
pub const MAX_SKEW: Duration = Duration::minutes(15);

/// Largest accepted `X-Amz-Expires` for presigned requests (7 days, the S3
/// limit; the IAM/STS limit is unconfirmed).
pub const MAX_EXPIRES: u64 = 604_800;

/// The standard `SignatureDoesNotMatch` message.
pub const SIGNATURE_MISMATCH_MESSAGE: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// A SigV4 failure, one variant per AWS wire error code.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SigV4Error {
    /// No auth information at all. Wire: `MissingAuthenticationToken`, 403.
    #[error("Request is missing Authentication Token")]
    MissingAuthenticationToken,
    /// Auth information present but structurally incomplete. Wire:
    /// `IncompleteSignature`, 400.
    #[error("{0}")]
    IncompleteSignature(String),
    /// Signature, time or scope wrong. Wire: `SignatureDoesNotMatch`, 403.
    /// The message is empty when both header and query auth are present.
    #[error("{0}")]
    SignatureDoesNotMatch(String),
    /// A bad percent escape in the query string. Wire: `MalformedQueryString`, 400.
    #[error("{0}")]
    MalformedQueryString(String),
}

/// Where the auth information was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthLocation {
    /// `Authorization` header.
    Header,
    /// Presigned URL: `X-Amz-Algorithm`, `X-Amz-Credential`, ... query parameters.
    Query,
}

/// Everything parsed from a request's SigV4 auth information.
#[derive(Clone, PartialEq, Eq)]
pub struct ParsedAuth {
    /// Header or presigned query auth.
    pub location: AuthLocation,
    /// First element of the credential scope.
    pub access_key_id: String,
    /// `yyyymmdd` from the credential scope.
    pub scope_date: String,
    /// Region from the credential scope (any value is accepted).
    pub region: String,
    /// Service from the credential scope.
    pub service: String,
    /// Last credential scope element; must be `aws4_request` ([`check_scope`]).
    pub terminator: String,
    /// The request time in basic format (`YYYYMMDD'T'HHMMSS'Z'`): the
    /// `X-Amz-Date` value exactly as given, or the `Date` header re-rendered
    /// in basic format. This is what goes into the string to sign.
    pub amz_date: String,
    /// The parsed request time (UTC).
    pub request_time: OffsetDateTime,
    /// The `SignedHeaders` list as given (`;`-separated, expected lowercase
    /// and sorted).
    pub signed_headers: Vec<String>,
    /// The signature as given (expected 64 lowercase hex digits).
    pub signature: String,
    /// `X-Amz-Security-Token` header (header auth) or query parameter
    /// (query auth), whether or not it is signed.
    pub session_token: Option<String>,
    /// `X-Amz-Expires` (query auth only).
    pub expires: Option<u64>,
}

impl std::fmt::Debug for ParsedAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParsedAuth")
            .field("location", &self.location)
            .field("access_key_id", &self.access_key_id)
            .field("scope_date", &self.scope_date)
            .field("region", &self.region)
            .field("service", &self.service)
            .field("terminator", &self.terminator)
            .field("amz_date", &self.amz_date)
            .field("request_time", &self.request_time)
            .field("signed_headers", &self.signed_headers)
            .field("signature", &self.signature)
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expires", &self.expires)
            .finish()
    }
}

/// Options for building the canonical request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CanonicalOptions {
    /// Remove `.`/`..` segments and duplicate slashes from the path before
    /// encoding it (botocore and AWS do this for every service but S3).
    /// Default `true`; `false` exists for the AWS test-suite cases marked
    /// `"normalize": false`.
    pub normalize_path: bool,
}

impl Default for CanonicalOptions {
    fn default() -> Self {
        Self {
            normalize_path: true,
        }
    }
}

fn incomplete(msg: impl Into<String>) -> SigV4Error {
    SigV4Error::IncompleteSignature(msg.into())
}

fn mismatch(msg: impl Into<String>) -> SigV4Error {
    SigV4Error::SignatureDoesNotMatch(msg.into())
}

fn header_str(parts: &http::request::Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// Step 1: locate and parse the auth information and run the structural
/// checks (spec §5.1–§5.3): header vs query vs both vs neither, the
/// Authorization header / query parameter grammar, the 5-element credential,
/// `host` among the signed headers, and the request-time format. No clock or
/// scope checks.
///
/// Header auth takes its time from `X-Amz-Date`, else from the HTTP `Date`
/// header (RFC 1123, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`); query auth from
/// the `X-Amz-Date` parameter. A malformed percent escape anywhere in the
/// query string is a `MalformedQueryString` error.
pub fn parse(parts: &http::request::Parts) -> Result<ParsedAuth, SigV4Error> {
    let query = match parts.uri.query() {
        Some(q) => canonical::decode_query(q)?,
        None => Vec::new(),
    };
    let has_query_auth = query.iter().any(|(n, _)| n == b"X-Amz-Algorithm");
    let auth_header = parts.headers.get(http::header::AUTHORIZATION);
    match (auth_header, has_query_auth) {
        (Some(_), true) => Err(mismatch("")),
        (None, false) => Err(SigV4Error::MissingAuthenticationToken),
        (Some(h), false) => parse_header_auth(parts, &String::from_utf8_lossy(h.as_bytes())),
        (None, true) => parse_query_auth(&query),
    }
}

/// The pieces shared by both auth forms once located.
struct Raw {
    credential: String,
    signed_headers: String,
    signature: String,
}

fn parse_header_auth(parts: &http::request::Parts, header: &str) -> Result<ParsedAuth, SigV4Error> {
    let trimmed = header.trim_start();
    let (algorithm, rest) = trimmed
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((trimmed, ""));
    if algorithm != ALGORITHM {
        return Err(incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}'."
        )));
    }
    // AWS splits on commas and whitespace alike, which is why
    // `Credential= AKIA...` reports the key id as a pair without `=`.
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for component in rest
        .split(|c: char| c == ',' || c.is_ascii_whitespace())
        .filter(|c| !c.is_empty())
    {
        let Some((key, value)) = component.split_once('=') else {
            return Err(incomplete(format!(
                "'{component}' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'."
            )));
        };
        // Duplicates: the last one wins.
        match key {
            "Credential" => credential = Some(value.to_owned()),
            "SignedHeaders" => signed_headers = Some(value.to_owned()),
            "Signature" => signature = Some(value.to_owned()),
            _ => {}
        }
    }
    let amz_date = header_str(parts, "x-amz-date");
    let http_date = header_str(parts, "date");
    let mut missing = Vec::new();
    if credential.is_none() {
        missing.push("Authorization header requires 'Credential' parameter.");
    }
    if signature.is_none() {
        missing.push("Authorization header requires 'Signature' parameter.");
    }
    if signed_headers.is_none() {
        missing.push("Authorization header requires 'SignedHeaders' parameter.");
    }
    if amz_date.is_none() && http_date.is_none() {
        missing.push(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        );
    }
    let (Some(credential), Some(signed_headers), Some(signature), true) =
        (credential, signed_headers, signature, missing.is_empty())
    else {
        return Err(incomplete(format!(
            "{} Authorization={header}",
            missing.join(" ")
        )));
    };
    let raw = Raw {
        credential,
        signed_headers,
        signature,
    };
    let (amz_date, request_time) = match (amz_date, http_date) {
        (Some(v), _) => match datetime::parse_basic(&v) {
            Some(t) => (v, t),
            None => return Err(bad_date(&v)),
        },
        (None, Some(v)) => match datetime::parse_http_date(&v) {
            Some(t) => (datetime::format_basic(t), t),
            None => return Err(bad_date(&v)),
        },
        (None, None) => return Err(bad_date("")), // unreachable: caught above
    };
    finish(
        AuthLocation::Header,
        raw,
        amz_date,
        request_time,
        header_str(parts, "x-amz-security-token"),
        None,
    )
}

fn parse_query_auth(query: &[canonical::QueryPair]) -> Result<ParsedAuth, SigV4Error> {
    // Duplicates: the first one wins.
    let get = |name: &str| {
        query
            .iter()
            .find(|(n, _)| n == name.as_bytes())
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    };
    let algorithm = get("X-Amz-Algorithm").unwrap_or_default();
    if algorithm != ALGORITHM {
        return Err(incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}'."
        )));
    }
    let credential = get("X-Amz-Credential");
    let signature = get("X-Amz-Signature");
    let signed_headers = get("X-Amz-SignedHeaders");
    let date = get("X-Amz-Date");
    let mut missing = Vec::new();
    for (name, v) in [
        ("X-Amz-Credential", &credential),
        ("X-Amz-Signature", &signature),
        ("X-Amz-SignedHeaders", &signed_headers),
        ("X-Amz-Date", &date),
    ] {
        if v.is_none() {
            missing.push(format!(
                "AWS query-string parameters must include '{name}'."
            ));
        }
    }
    let (Some(credential), Some(signature), Some(signed_headers), Some(date)) =
        (credential, signature, signed_headers, date)
    else {
        return Err(incomplete(format!(
            "{} Re-examine the query-string parameters.",
            missing.join(" ")
        )));
    };
    let expires = match get("X-Amz-Expires") {
        None => None,
        Some(v) => Some(parse_expires(&v)?),
    };
    let raw = Raw {
        credential,
        signed_headers,
        signature,
    };
    let Some(request_time) = datetime::parse_basic(&date) else {
        return Err(bad_date(&date));
    };
    finish(
        AuthLocation::Query,
        raw,
        date,
        request_time,
        get("X-Amz-Security-Token"),
        expires,
    )
}

/// `X-Amz-Expires`: decimal seconds, 0..=604800. Messages follow S3's (the
/// IAM/STS texts are unconfirmed).
fn parse_expires(v: &str) -> Result<u64, SigV4Error> {
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        if v.len() > 1 && v.starts_with('-') && v[1..].bytes().all(|b| b.is_ascii_digit()) {
            return Err(incomplete("X-Amz-Expires must be non-negative"));
        }
        return Err(incomplete("X-Amz-Expires should be a number"));
    }
    match v.parse::<u64>() {
        Ok(n) if n <= MAX_EXPIRES => Ok(n),
        _ => Err(incomplete(format!(
            "X-Amz-Expires must be less than a week (in seconds) that is {MAX_EXPIRES}"
        ))),
    }
}

fn bad_date(v: &str) -> SigV4Error {
    incomplete(format!(
        "Date must be in ISO-8601 'basic format'. Got '{v}'. See http://en.wikipedia.org/wiki/ISO_8601"
    ))
}

fn finish(
    location: AuthLocation,
    raw: Raw,
    amz_date: String,
    request_time: OffsetDateTime,
    session_token: Option<String>,
    expires: Option<u64>,
) -> Result<ParsedAuth, SigV4Error> {
    let mut elements = raw.credential.split('/');
    let elements: [Option<&str>; 6] = std::array::from_fn(|_| elements.next());
    let [Some(access_key_id), Some(scope_date), Some(region), Some(service), Some(terminator), None] =
        elements
    else {
        return Err(incomplete(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{}'",
            raw.credential
        )));
    };
    let signed_headers: Vec<String> = raw.signed_headers.split(';').map(str::to_owned).collect();
    if !signed_headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case("host") || h == ":authority")
    {
        return Err(mismatch(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    Ok(ParsedAuth {
        location,
        access_key_id: access_key_id.to_owned(),
        scope_date: scope_date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
        terminator: terminator.to_owned(),
        amz_date,
        request_time,
        signed_headers,
        signature: raw.signature,
        session_token,
        expires,
    })
}

/// Step 2: the clock checks (spec §5.3), with `now` supplied by the caller.
///
/// * Request time more than 15 minutes before `now`: SignatureDoesNotMatch
///   `Signature expired: {reqTime} is now earlier than {now-15min} ({now} - 15 min.)`.
/// * More than 15 minutes after `now`: SignatureDoesNotMatch
///   `Signature not yet current: {reqTime} is still later than {now+15min} ({now} + 15 min.)`.
///   Exactly 15 minutes either way is accepted.
/// * Presigned requests with `X-Amz-Expires`: the validity window replaces
///   the "expired" skew check (a URL valid for an hour must work after 20
///   minutes). Expired when `now > X-Amz-Date + X-Amz-Expires`, reported as
///   SignatureDoesNotMatch
///   `Signature expired: {reqTime} is now earlier than {now-expires} ({now} - {expires} sec.)`
///   — the exact IAM/STS text is unconfirmed; this mirrors the skew message.
///   The "not yet current" check still applies. A presigned request without
///   `X-Amz-Expires` gets the plain ±15 min check.
pub fn check_time(auth: &ParsedAuth, now: OffsetDateTime) -> Result<(), SigV4Error> {
    let req = auth.request_time;
    let fmt = datetime::format_basic;
    if let Some(latest) = now.checked_add(MAX_SKEW) {
        if req > latest {
            return Err(mismatch(format!(
                "Signature not yet current: {} is still later than {} ({} + 15 min.)",
                auth.amz_date,
                fmt(latest),
                fmt(now)
            )));
        }
    }
    match (auth.location, auth.expires) {
        (AuthLocation::Query, Some(expires)) => {
            let window = Duration::seconds(i64::try_from(expires).unwrap_or(i64::MAX));
            let expired = match req.checked_add(window) {
                Some(end) => now > end,
                None => false,
            };
            if expired {
                let earliest = now.checked_sub(window).map(fmt).unwrap_or_default();
                return Err(mismatch(format!(
                    "Signature expired: {} is now earlier than {} ({} - {} sec.)",
                    auth.amz_date,
                    earliest,
                    fmt(now),
                    expires
                )));
            }
        }
        _ => {
            if let Some(earliest) = now.checked_sub(MAX_SKEW) {
                if req < earliest {
                    return Err(mismatch(format!(
                        "Signature expired: {} is now earlier than {} ({} - 15 min.)",
                        auth.amz_date,
                        fmt(earliest),
                        fmt(now)
                    )));
                }
            }
        }
    }
    Ok(())
}

/// Step 3: credential scope checks (spec §5.4). Failures are
/// SignatureDoesNotMatch with the AWS clauses concatenated in this order
/// (each of the first two ends in `". "`, as AWS sends them):
/// service ≠ `expected_service`, terminator ≠ `aws4_request`, scope date ≠
/// the date part of the request time.
///
/// **Any region is accepted**: SDKs and the CLI sign with their configured
/// region when pointed at a custom endpoint, so rejecting non-`us-east-1`
/// scopes would break ordinary clients. The signing key is derived from the
/// region in the request's scope.
pub fn check_scope(auth: &ParsedAuth, expected_service: &str) -> Result<(), SigV4Error> {
    let mut msg = String::new();
    if auth.service != expected_service {
        msg.push_str(&format!(
            "Credential should be scoped to correct service: '{expected_service}'. "
        ));
    }
    if auth.terminator != TERMINATOR {
        msg.push_str(&format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'. ",
            auth.terminator
        ));
    }
    let req_date = auth.amz_date.get(..8).unwrap_or(&auth.amz_date);
    if auth.scope_date != req_date {
        msg.push_str(&format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{}'.",
            auth.scope_date, req_date, auth.amz_date
        ));
    }
    if msg.is_empty() {
        Ok(())
    } else {
        Err(mismatch(msg))
    }
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Derives kSigning = HMAC chain (`"AWS4" + secret`, date, region, service,
/// `aws4_request`). Intermediate keys are zeroized; the caller owns the result.
pub fn derive_signing_key(secret: &[u8], date: &str, region: &str, service: &str) -> [u8; 32] {
    let mut k_secret = Zeroizing::new(Vec::with_capacity(4 + secret.len()));
    k_secret.extend_from_slice(b"AWS4");
    k_secret.extend_from_slice(secret);
    let k_date = Zeroizing::new(hmac_sha256(&k_secret, date.as_bytes()));
    let k_region = Zeroizing::new(hmac_sha256(&*k_date, region.as_bytes()));
    let k_service = Zeroizing::new(hmac_sha256(&*k_region, service.as_bytes()));
    hmac_sha256(&*k_service, TERMINATOR.as_bytes())
}

/// The canonical request (spec §5.5) with default options (path normalized).
///
/// Errors: `MalformedQueryString` for bad escapes; SignatureDoesNotMatch
/// (mismatch message) when a signed header value is not UTF-8 or an
/// `x-amz-content-sha256` digest differs from the body hash.
pub fn canonical_request(
    auth: &ParsedAuth,
    parts: &http::request::Parts,
    body: &[u8],
) -> Result<String, SigV4Error> {
    canonical_request_with(auth, parts, body, CanonicalOptions::default())
}

/// [`canonical_request`] with explicit options.
pub fn canonical_request_with(
    auth: &ParsedAuth,
    parts: &http::request::Parts,
    body: &[u8],
    opts: CanonicalOptions,
) -> Result<String, SigV4Error> {
    let mut out = String::with_capacity(512);
    write_canonical_request(&mut out, auth, parts, body, opts)?;
    Ok(out)
}

/// The canonical request, written piece by piece: into a `String` for
/// [`canonical_request_with`], straight into its hash for [`verify_with`].
fn write_canonical_request(
    out: &mut impl Sink,
    auth: &ParsedAuth,
    parts: &http::request::Parts,
    body: &[u8],
    opts: CanonicalOptions,
) -> Result<(), SigV4Error> {
    let query =
        canonical::canonical_query(parts.uri.query(), auth.location == AuthLocation::Query)?;
    out.put(parts.method.as_str());
    out.put("\n");
    out.put(&canonical::canonical_uri(
        parts.uri.path(),
        opts.normalize_path,
    ));
    out.put("\n");
    out.put(&query);
    out.put("\n");
    for name in &auth.signed_headers {
        out.put(name);
        out.put(":");
        canonical::write_header_value(out, parts, name)?;
        out.put("\n");
    }
    out.put("\n");
    for (i, name) in auth.signed_headers.iter().enumerate() {
        if i > 0 {
            out.put(";");
        }
        out.put(name);
    }
    out.put("\n");
    canonical::write_payload_hash(out, parts, body)
}

/// The string to sign (spec §5.6), over the request's own credential scope.
pub fn string_to_sign(auth: &ParsedAuth, canonical_request: &str) -> String {
    let mut out = String::with_capacity(160);
    let digest = Sha256::digest(canonical_request.as_bytes());
    write_string_to_sign(&mut out, auth, &canonical::Hex32::of(&digest));
    out
}

fn write_string_to_sign(out: &mut impl Sink, auth: &ParsedAuth, request_hash: &canonical::Hex32) {
    for piece in [
        ALGORITHM,
        "\n",
        &auth.amz_date,
        "\n",
        &auth.scope_date,
        "/",
        &auth.region,
        "/",
        &auth.service,
        "/",
        &auth.terminator,
        "\n",
        request_hash.as_str(),
    ] {
        out.put(piece);
    }
}

/// Step 4, after the caller looked up the secret and derived the key with
/// [`derive_signing_key`]: rebuild the canonical request over exactly the
/// signed headers, sign, and compare with the given signature in constant
/// time. Mismatch: SignatureDoesNotMatch [`SIGNATURE_MISMATCH_MESSAGE`].
pub fn verify(
    auth: &ParsedAuth,
    parts: &http::request::Parts,
    body: &[u8],
    signing_key: &[u8; 32],
) -> Result<(), SigV4Error> {
    verify_with(auth, parts, body, signing_key, CanonicalOptions::default())
}

/// [`verify`] with explicit options.
pub fn verify_with(
    auth: &ParsedAuth,
    parts: &http::request::Parts,
    body: &[u8],
    signing_key: &[u8; 32],
    opts: CanonicalOptions,
) -> Result<(), SigV4Error> {
    let mut request_hash = Sha256::new();
    write_canonical_request(&mut request_hash, auth, parts, body, opts)?;
    let request_hash = canonical::Hex32::of(&request_hash.finalize());
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(signing_key)
        .expect("HMAC accepts keys of any length");
    write_string_to_sign(&mut mac, auth, &request_hash);
    let expected = canonical::Hex32::of(&mac.finalize().into_bytes());
    if bool::from(
        expected
            .as_str()
            .as_bytes()
            .ct_eq(auth.signature.as_bytes()),
    ) {
        Ok(())
    } else {
        Err(mismatch(SIGNATURE_MISMATCH_MESSAGE))
    }
}
