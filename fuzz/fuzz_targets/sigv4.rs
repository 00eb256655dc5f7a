//! `iamd_sigv4::parse` on a request built from fuzzed text, then, when it parses, every
//! later step with a fixed secret: `check_time` (including the clock's extremes),
//! `check_scope`, `derive_signing_key` and `verify`. Never panics, and `verify` (which
//! streams the canonical request into SHA-256 and the HMAC) agrees with the signature
//! computed from `canonical_request` and `string_to_sign` (which build the text).
//!
//! Input: newline-separated fields, an empty one meaning "no such header":
//! `authorization`, `x-amz-date`, `date`, `host`, the request target (`/path?query`,
//! where the presigned `X-Amz-*` parameters go), `x-amz-security-token`,
//! `x-amz-content-sha256`, one more header as `name:value`; the rest is the body.
#![no_main]

use hmac::{Hmac, Mac};
use http::header::{HeaderName, HeaderValue};
use iamd_sigv4::{
    canonical_request, check_scope, check_time, derive_signing_key, parse, string_to_sign, verify,
};
use libfuzzer_sys::fuzz_target;
use sha2::Sha256;
use time::macros::datetime;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

const SECRET: &[u8] = b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// Bytes a URI may not carry as they are, escaped so that most inputs still make a
/// request (the escapes are then the parser's to decode).
fn to_target(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + 1);
    if raw.first() != Some(&b'/') {
        out.push(b'/');
    }
    for &b in raw {
        let plain = b.is_ascii_graphic() && !b"\"#<>\\^`{|}".contains(&b);
        if plain {
            out.push(b);
        } else {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        }
    }
    out
}

fn build(data: &[u8]) -> Option<(http::request::Parts, &[u8])> {
    let mut fields = data.splitn(9, |&b| b == b'\n');
    let mut next = || fields.next().unwrap_or(b"");
    let (authorization, amz_date, date, host) = (next(), next(), next(), next());
    let (target, token, content_sha, extra) = (next(), next(), next(), next());
    let body = next();

    let uri = http::Uri::try_from(to_target(target)).ok()?;
    let method = if body.is_empty() { "GET" } else { "POST" };
    let mut req = http::Request::builder().method(method).uri(uri);
    for (name, value) in [
        ("authorization", authorization),
        ("x-amz-date", amz_date),
        ("date", date),
        ("host", host),
        ("x-amz-security-token", token),
        ("x-amz-content-sha256", content_sha),
    ] {
        if let (false, Ok(value)) = (value.is_empty(), HeaderValue::from_bytes(value)) {
            req = req.header(name, value);
        }
    }
    if let Some(colon) = extra.iter().position(|&b| b == b':') {
        let (name, value) = (&extra[..colon], &extra[colon + 1..]);
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
        {
            req = req.header(name, value);
        }
    }
    let (parts, ()) = req.body(()).ok()?.into_parts();
    Some((parts, body))
}

fuzz_target!(|data: &[u8]| {
    let Some((parts, body)) = build(data) else {
        return;
    };
    let Ok(auth) = parse(&parts) else {
        return;
    };

    // The clock: a fixed "now", the request's own time (always accepted), and the
    // extremes `time` can represent (no overflow in the window arithmetic).
    let _ = check_time(&auth, datetime!(2015-08-30 12:36:00 UTC));
    assert_eq!(check_time(&auth, auth.request_time), Ok(()), "{auth:?}");
    let _ = check_time(&auth, PrimitiveDateTime::MAX.assume_utc());
    let _ = check_time(&auth, PrimitiveDateTime::MIN.assume_utc());
    let _ = check_time(&auth, OffsetDateTime::UNIX_EPOCH.to_offset(UtcOffset::UTC));

    let _ = check_scope(&auth, "iam");
    let _ = check_scope(&auth, "sts");
    let _ = check_scope(&auth, &auth.service);

    let key = derive_signing_key(SECRET, &auth.scope_date, &auth.region, &auth.service);
    let verdict = verify(&auth, &parts, body, &key);

    // The same signature, computed from the text the tests build.
    match canonical_request(&auth, &parts, body) {
        Ok(creq) => {
            let sts = string_to_sign(&auth, &creq);
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("any key length");
            mac.update(sts.as_bytes());
            let expected = hex::encode(mac.finalize().into_bytes());
            assert_eq!(verdict.is_ok(), auth.signature == expected, "{auth:?}");
            let mut signed = auth.clone();
            signed.signature = expected;
            assert_eq!(verify(&signed, &parts, body, &key), Ok(()), "{creq:?}");
        }
        Err(e) => assert_eq!(verdict, Err(e), "verify and canonical_request disagree"),
    }
});
