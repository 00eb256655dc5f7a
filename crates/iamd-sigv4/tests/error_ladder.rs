//! The AWS error ladder (spec §5.1–§5.5): exact codes and messages, clock
//! skew, presigned expiry, scope checks, and no panics on garbage.

use iamd_sigv4::{
    canonical_request, check_scope, check_time, derive_signing_key, parse, verify, AuthLocation,
    ParsedAuth, SigV4Error, SIGNATURE_MISMATCH_MESSAGE,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const SECRET: &[u8] = b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
const NOW: OffsetDateTime = datetime!(2026-01-02 03:04:05 UTC);
const CRED: &str = "AKIAIOSFODNN7EXAMPLE/20260102/us-east-1/iam/aws4_request";

fn parts(method: &str, uri: &str, headers: &[(&str, &[u8])]) -> http::request::Parts {
    let mut b = http::Request::builder().method(method).uri(uri);
    for (n, v) in headers {
        b = b.header(*n, http::HeaderValue::from_bytes(v).expect("header value"));
    }
    b.body(()).expect("request").into_parts().0
}

/// A header-auth POST with the given Authorization value.
fn with_auth(authz: &str) -> http::request::Parts {
    parts(
        "POST",
        "/",
        &[
            ("host", b"iam.amazonaws.com"),
            ("x-amz-date", b"20260102T030405Z"),
            ("authorization", authz.as_bytes()),
        ],
    )
}

fn good_authz(sig: &str) -> String {
    format!("AWS4-HMAC-SHA256 Credential={CRED}, SignedHeaders=host;x-amz-date, Signature={sig}")
}

fn incomplete(m: &str) -> Result<ParsedAuth, SigV4Error> {
    Err(SigV4Error::IncompleteSignature(m.to_owned()))
}

fn parsed_at(amz_date: &str) -> ParsedAuth {
    parse(&parts(
        "POST",
        "/",
        &[
            ("host", b"iam.amazonaws.com"),
            ("x-amz-date", amz_date.as_bytes()),
            ("authorization", good_authz("00").as_bytes()),
        ],
    ))
    .expect("parse")
}

/// Signs a request the way a client would, using this crate's own pieces.
fn sign(p: &mut http::request::Parts, body: &[u8]) {
    let auth = parse(p).expect("parse unsigned");
    let creq = canonical_request(&auth, p, body).expect("creq");
    let key = derive_signing_key(SECRET, &auth.scope_date, &auth.region, &auth.service);
    let sts = iamd_sigv4::string_to_sign(&auth, &creq);
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).expect("key");
    mac.update(sts.as_bytes());
    let sig = hex::encode(mac.finalize().into_bytes());
    let old = p.headers["authorization"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let new = old.replace("Signature=00", &format!("Signature={sig}"));
    p.headers.insert(
        "authorization",
        http::HeaderValue::from_str(&new).expect("value"),
    );
}

fn verify_all(p: &http::request::Parts, body: &[u8]) -> Result<(), SigV4Error> {
    let auth = parse(p)?;
    check_time(&auth, NOW)?;
    check_scope(&auth, "iam")?;
    let key = derive_signing_key(SECRET, &auth.scope_date, &auth.region, &auth.service);
    verify(&auth, p, body, &key)
}

// ---- §5.1 locate ----

#[test]
fn neither_header_nor_query() {
    let p = parts("POST", "/", &[("host", b"iam.amazonaws.com")]);
    assert_eq!(parse(&p), Err(SigV4Error::MissingAuthenticationToken));
    assert_eq!(
        SigV4Error::MissingAuthenticationToken.to_string(),
        "Request is missing Authentication Token"
    );
}

#[test]
fn both_header_and_query() {
    let p = parts(
        "GET",
        "/?X-Amz-Algorithm=AWS4-HMAC-SHA256",
        &[("authorization", good_authz("00").as_bytes())],
    );
    assert_eq!(
        parse(&p),
        Err(SigV4Error::SignatureDoesNotMatch(String::new()))
    );
}

// ---- §5.2 header parse ----

#[test]
fn unsupported_algorithm() {
    assert_eq!(
        parse(&with_auth("AWS4-HMAC-SHA512 Credential=x")),
        incomplete("Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'.")
    );
    assert_eq!(
        parse(&parts(
            "GET",
            "/?X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256",
            &[]
        )),
        incomplete("Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256'.")
    );
}

#[test]
fn missing_equal_sign() {
    // The boto3#2280 shape: a space after `Credential=`.
    let h = "AWS4-HMAC-SHA256 Credential= AKIAIOSFODNN7EXAMPLE/20200122/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc";
    assert_eq!(
        parse(&with_auth(h)),
        incomplete(&format!(
            "'AKIAIOSFODNN7EXAMPLE/20200122/us-east-1/sts/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: '{h}'."
        ))
    );
}

#[test]
fn missing_parts_and_date() {
    let h = "AWS4-HMAC-SHA256 Foo=bar";
    let p = parts(
        "POST",
        "/",
        &[("host", b"x"), ("authorization", h.as_bytes())],
    );
    assert_eq!(
        parse(&p),
        incomplete(&format!(
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={h}"
        ))
    );
    let h = format!("AWS4-HMAC-SHA256 Credential={CRED}, SignedHeaders=host");
    assert_eq!(
        parse(&with_auth(&h)),
        incomplete(&format!(
            "Authorization header requires 'Signature' parameter. Authorization={h}"
        ))
    );
    let h = "AWS4-HMAC-SHA256";
    assert_eq!(
        parse(&with_auth(h)),
        incomplete(
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256"
        )
    );
}

#[test]
fn credential_elements() {
    let h =
        "AWS4-HMAC-SHA256 Credential=AKID/20260102/us-east-1/iam, SignedHeaders=host, Signature=00";
    assert_eq!(
        parse(&with_auth(h)),
        incomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKID/20260102/us-east-1/iam'")
    );
}

#[test]
fn host_must_be_signed() {
    let h = format!("AWS4-HMAC-SHA256 Credential={CRED}, SignedHeaders=x-amz-date, Signature=00");
    assert_eq!(
        parse(&with_auth(&h)),
        Err(SigV4Error::SignatureDoesNotMatch(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".into()
        ))
    );
}

#[test]
fn separators_and_duplicates() {
    // No space after commas; duplicates: last wins.
    let h = format!(
        "AWS4-HMAC-SHA256 Credential=OTHER/20260102/us-east-1/iam/aws4_request,Credential={CRED},SignedHeaders=host;x-amz-date,Signature=ab"
    );
    let a = parse(&with_auth(&h)).expect("parse");
    assert_eq!(a.access_key_id, "AKIAIOSFODNN7EXAMPLE");
    assert_eq!(a.signature, "ab");
    assert_eq!(a.signed_headers, ["host", "x-amz-date"]);
    assert_eq!(a.location, AuthLocation::Header);
}

#[test]
fn query_missing_params() {
    let p = parts("GET", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256", &[]);
    assert_eq!(
        parse(&p),
        incomplete("AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.")
    );
    let p = parts(
        "GET",
        "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00&X-Amz-SignedHeaders=host",
        &[],
    );
    assert_eq!(
        parse(&p),
        incomplete("AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.")
    );
}

#[test]
fn query_duplicates_first_wins() {
    let p = parts(
        "GET",
        "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260102%2Fus-east-1%2Fiam%2Faws4_request&X-Amz-Credential=OTHER%2F20260102%2Fus-east-1%2Fiam%2Faws4_request&X-Amz-Date=20260102T030405Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00&X-Amz-Security-Token=tok%2B",
        &[("host", b"iam.amazonaws.com")],
    );
    let a = parse(&p).expect("parse");
    assert_eq!(a.location, AuthLocation::Query);
    assert_eq!(a.access_key_id, "AKIAIOSFODNN7EXAMPLE");
    assert_eq!(a.session_token.as_deref(), Some("tok+"));
    assert_eq!(a.expires, None);
}

#[test]
fn query_expires_validation() {
    let base = "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=A%2F20260102%2Fr%2Fiam%2Faws4_request&X-Amz-Date=20260102T030405Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00&X-Amz-Expires=";
    for (v, msg) in [
        ("abc", "X-Amz-Expires should be a number"),
        ("", "X-Amz-Expires should be a number"),
        ("-5", "X-Amz-Expires must be non-negative"),
        (
            "604801",
            "X-Amz-Expires must be less than a week (in seconds) that is 604800",
        ),
        (
            "99999999999999999999999",
            "X-Amz-Expires must be less than a week (in seconds) that is 604800",
        ),
    ] {
        let p = parts("GET", &format!("{base}{v}"), &[]);
        assert_eq!(parse(&p), incomplete(msg), "{v}");
    }
    let p = parts("GET", &format!("{base}604800"), &[]);
    assert_eq!(parse(&p).expect("max ok").expires, Some(604_800));
}

#[test]
fn malformed_query_string() {
    let p = parts(
        "GET",
        "/?a=%4",
        &[("authorization", good_authz("00").as_bytes())],
    );
    assert_eq!(
        parse(&p),
        Err(SigV4Error::MalformedQueryString(
            "Incomplete trailing escape % sequence".into()
        ))
    );
    let p = parts("GET", "/?a=%G1&b", &[]);
    assert_eq!(
        parse(&p),
        Err(SigV4Error::MalformedQueryString(
            "Illegal hex character in escape % pattern: %G1".into()
        ))
    );
}

// ---- §5.3 request time ----

#[test]
fn bad_date_formats() {
    let msg = |v: &str| {
        format!("Date must be in ISO-8601 'basic format'. Got '{v}'. See http://en.wikipedia.org/wiki/ISO_8601")
    };
    for v in ["2026-01-02T03:04:05Z", "20260102T030405", "yesterday"] {
        let p = parts(
            "POST",
            "/",
            &[
                ("host", b"h"),
                ("x-amz-date", v.as_bytes()),
                ("authorization", good_authz("00").as_bytes()),
            ],
        );
        assert_eq!(parse(&p), incomplete(&msg(v)), "{v}");
    }
    let p = parts(
        "POST",
        "/",
        &[
            ("host", b"h"),
            ("date", b"not a date"),
            ("authorization", good_authz("00").as_bytes()),
        ],
    );
    assert_eq!(parse(&p), incomplete(&msg("not a date")));
    let p = parts(
        "GET",
        "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=A%2F20260102%2Fr%2Fiam%2Faws4_request&X-Amz-Date=2026&X-Amz-SignedHeaders=host&X-Amz-Signature=00",
        &[],
    );
    assert_eq!(parse(&p), incomplete(&msg("2026")));
}

#[test]
fn date_header_fallback() {
    let p = parts(
        "POST",
        "/",
        &[
            ("host", b"iam.amazonaws.com"),
            ("date", b"Fri, 02 Jan 2026 03:04:05 GMT"),
            ("authorization", good_authz("00").as_bytes()),
        ],
    );
    let a = parse(&p).expect("parse");
    assert_eq!(a.amz_date, "20260102T030405Z");
    assert_eq!(a.request_time, NOW);
    // X-Amz-Date wins over Date.
    let p = parts(
        "POST",
        "/",
        &[
            ("host", b"iam.amazonaws.com"),
            ("date", b"Thu, 01 Jan 2026 00:00:00 GMT"),
            ("x-amz-date", b"20260102T030405Z"),
            ("authorization", good_authz("00").as_bytes()),
        ],
    );
    assert_eq!(parse(&p).expect("parse").request_time, NOW);
}

#[test]
fn clock_skew() {
    let a = parsed_at("20260102T030405Z");
    let fifteen = Duration::minutes(15);
    assert_eq!(check_time(&a, NOW), Ok(()));
    assert_eq!(check_time(&a, NOW + fifteen), Ok(()));
    assert_eq!(check_time(&a, NOW - fifteen), Ok(()));
    assert_eq!(
        check_time(&a, NOW + fifteen + Duration::seconds(1)),
        Err(SigV4Error::SignatureDoesNotMatch(
            "Signature expired: 20260102T030405Z is now earlier than 20260102T030406Z (20260102T031906Z - 15 min.)".into()
        ))
    );
    assert_eq!(
        check_time(&a, NOW - fifteen - Duration::seconds(1)),
        Err(SigV4Error::SignatureDoesNotMatch(
            "Signature not yet current: 20260102T030405Z is still later than 20260102T030404Z (20260102T024904Z + 15 min.)".into()
        ))
    );
}

#[test]
fn presigned_expiry_and_skew() {
    let uri = |expires: &str| {
        format!("/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=A%2F20260102%2Fr%2Fiam%2Faws4_request&X-Amz-Date=20260102T030405Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00{expires}")
    };
    // One hour validity: fine after 59 minutes (beyond the 15 min skew).
    let a = parse(&parts("GET", &uri("&X-Amz-Expires=3600"), &[])).expect("parse");
    assert_eq!(check_time(&a, NOW + Duration::minutes(59)), Ok(()));
    assert_eq!(check_time(&a, NOW + Duration::seconds(3600)), Ok(()));
    assert_eq!(
        check_time(&a, NOW + Duration::seconds(3601)),
        Err(SigV4Error::SignatureDoesNotMatch(
            "Signature expired: 20260102T030405Z is now earlier than 20260102T030406Z (20260102T040406Z - 3600 sec.)".into()
        ))
    );
    // Not yet current still applies.
    assert!(check_time(&a, NOW - Duration::minutes(16)).is_err());
    // No X-Amz-Expires: plain skew.
    let a = parse(&parts("GET", &uri(""), &[])).expect("parse");
    assert!(check_time(&a, NOW + Duration::minutes(16)).is_err());
    assert_eq!(check_time(&a, NOW + Duration::minutes(15)), Ok(()));
}

#[test]
fn time_extremes_do_not_panic() {
    let a = parsed_at("99991231T235959Z");
    let _ = check_time(&a, OffsetDateTime::UNIX_EPOCH);
    let a = parsed_at("00000101T000000Z");
    let _ = check_time(&a, NOW);
    let _ = check_time(&a, datetime!(-9999-01-01 00:00:00 UTC));
}

// ---- §5.4 scope ----

fn with_cred(cred: &str) -> ParsedAuth {
    parse(&with_auth(&format!(
        "AWS4-HMAC-SHA256 Credential={cred}, SignedHeaders=host;x-amz-date, Signature=00"
    )))
    .expect("parse")
}

#[test]
fn scope_checks() {
    assert_eq!(check_scope(&with_cred(CRED), "iam"), Ok(()));
    // Any region.
    assert_eq!(
        check_scope(
            &with_cred("AKID/20260102/eu-west-3/iam/aws4_request"),
            "iam"
        ),
        Ok(())
    );
    let a = with_cred("AKID/20260102/us-east-1/sts/aws4_request");
    assert_eq!(
        check_scope(&a, "iam"),
        Err(SigV4Error::SignatureDoesNotMatch(
            "Credential should be scoped to correct service: 'iam'. ".into()
        ))
    );
    assert_eq!(check_scope(&a, "sts"), Ok(()));
    assert_eq!(
        check_scope(&with_cred("AKID/20260102/us-east-1/iam/aws5_request"), "iam"),
        Err(SigV4Error::SignatureDoesNotMatch(
            "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. ".into()
        ))
    );
    assert_eq!(
        check_scope(&with_cred("AKID/20260101/us-east-1/iam/aws4_request"), "iam"),
        Err(SigV4Error::SignatureDoesNotMatch(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260101' != '20260102', from '20260102T030405Z'.".into()
        ))
    );
    assert_eq!(
        check_scope(&with_cred("AKID/20260101/us-east-1/s3/x"), "iam"),
        Err(SigV4Error::SignatureDoesNotMatch(
            "Credential should be scoped to correct service: 'iam'. Credential should be scoped with a valid terminator: 'aws4_request', not 'x'. Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260101' != '20260102', from '20260102T030405Z'.".into()
        ))
    );
}

// ---- §5.5/§5.6 canonical request and signature ----

#[test]
fn round_trip_and_mismatch() {
    let mut p = with_auth(&good_authz("00"));
    sign(&mut p, b"Action=GetUser");
    assert_eq!(verify_all(&p, b"Action=GetUser"), Ok(()));
    assert_eq!(
        verify_all(&p, b"Action=GetUsex"),
        Err(SigV4Error::SignatureDoesNotMatch(
            SIGNATURE_MISMATCH_MESSAGE.into()
        ))
    );
    // Host keeps its port: a different port is a different request.
    let mut q = p.clone();
    q.headers.insert(
        "host",
        http::HeaderValue::from_static("iam.amazonaws.com:8080"),
    );
    assert!(verify_all(&q, b"Action=GetUser").is_err());
    // Uppercase hex of the right signature is not accepted.
    let mut q = p.clone();
    let upper = q.headers["authorization"]
        .to_str()
        .expect("ascii")
        .split("Signature=")
        .map(str::to_owned)
        .collect::<Vec<_>>();
    let h = format!("{}Signature={}", upper[0], upper[1].to_uppercase());
    q.headers
        .insert("authorization", http::HeaderValue::from_str(&h).expect("v"));
    assert!(verify_all(&q, b"Action=GetUser").is_err());
}

#[test]
fn missing_signed_header_is_a_mismatch() {
    let h = format!(
        "AWS4-HMAC-SHA256 Credential={CRED}, SignedHeaders=host;x-amz-date;x-custom, Signature=00"
    );
    let mut p = with_auth(&h);
    let a = parse(&p).expect("parse");
    let creq = canonical_request(&a, &p, b"").expect("creq");
    assert!(creq.contains("\nx-custom:\n\n"), "{creq}");
    sign(&mut p, b"");
    assert_eq!(verify_all(&p, b""), Ok(()));
    // Adding the header afterwards changes the canonical request.
    p.headers
        .insert("x-custom", http::HeaderValue::from_static("v"));
    assert!(verify_all(&p, b"").is_err());
}

#[test]
fn content_sha256_header() {
    let body = b"Action=GetUser";
    let actual = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body));
    let h = format!(
        "AWS4-HMAC-SHA256 Credential={CRED}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=00"
    );
    for value in [actual.as_str(), "UNSIGNED-PAYLOAD"] {
        let mut p = parts(
            "POST",
            "/",
            &[
                ("host", b"iam.amazonaws.com"),
                ("x-amz-date", b"20260102T030405Z"),
                ("x-amz-content-sha256", value.as_bytes()),
                ("authorization", h.as_bytes()),
            ],
        );
        let a = parse(&p).expect("parse");
        assert!(canonical_request(&a, &p, body)
            .expect("creq")
            .ends_with(&format!("\n{value}")));
        sign(&mut p, body);
        assert_eq!(verify_all(&p, body), Ok(()), "{value}");
    }
    // A digest that is not the body's hash is rejected even before signing.
    let wrong = "0".repeat(64);
    let p = parts(
        "POST",
        "/",
        &[
            ("host", b"iam.amazonaws.com"),
            ("x-amz-date", b"20260102T030405Z"),
            ("x-amz-content-sha256", wrong.as_bytes()),
            ("authorization", h.as_bytes()),
        ],
    );
    let a = parse(&p).expect("parse");
    assert_eq!(
        canonical_request(&a, &p, body),
        Err(SigV4Error::SignatureDoesNotMatch(
            SIGNATURE_MISMATCH_MESSAGE.into()
        ))
    );
}

#[test]
fn non_utf8_signed_header_is_a_mismatch() {
    let h = format!(
        "AWS4-HMAC-SHA256 Credential={CRED}, SignedHeaders=host;x-amz-date;x-bin, Signature=00"
    );
    let p = parts(
        "POST",
        "/",
        &[
            ("host", b"iam.amazonaws.com"),
            ("x-amz-date", b"20260102T030405Z"),
            ("x-bin", b"\xff\xfe"),
            ("authorization", h.as_bytes()),
        ],
    );
    assert_eq!(
        verify_all(&p, b""),
        Err(SigV4Error::SignatureDoesNotMatch(
            SIGNATURE_MISMATCH_MESSAGE.into()
        ))
    );
}

#[test]
fn debug_redacts_session_token() {
    let p = parts(
        "POST",
        "/",
        &[
            ("host", b"h"),
            ("x-amz-date", b"20260102T030405Z"),
            ("x-amz-security-token", b"SECRET-TOKEN"),
            ("authorization", good_authz("00").as_bytes()),
        ],
    );
    let a = parse(&p).expect("parse");
    assert_eq!(a.session_token.as_deref(), Some("SECRET-TOKEN"));
    assert!(!format!("{a:?}").contains("SECRET-TOKEN"));
}

// ---- no panics ----

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const TOKENS: &[&[u8]] = &[
    b"AWS4-HMAC-SHA256",
    b" ",
    b",",
    b", ",
    b"=",
    b"/",
    b";",
    b"%",
    b"%zz",
    b"%4",
    b"%E1%88%B4",
    b"+",
    b"&",
    b"Credential=",
    b"SignedHeaders=",
    b"Signature=",
    b"AKIAIOSFODNN7EXAMPLE/20260102/us-east-1/iam/aws4_request",
    b"host;x-amz-date",
    b"host",
    b":authority",
    b"20260102T030405Z",
    b"X-Amz-Algorithm=",
    b"X-Amz-Credential=",
    b"X-Amz-Date=",
    b"X-Amz-Expires=",
    b"X-Amz-SignedHeaders=",
    b"X-Amz-Signature=",
    b"X-Amz-Security-Token=",
    b"9999999999999999999999",
    b"-1",
    b"0",
    b"\xff",
    b"\xc3\xa9",
    b"\t",
    b"..",
    b"\xe1\x88\xb4",
];

fn garbage(rng: &mut XorShift) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..rng.below(12) {
        if rng.below(4) == 0 {
            out.push((rng.next() & 0xff) as u8);
        } else {
            out.extend_from_slice(TOKENS[rng.below(TOKENS.len())]);
        }
    }
    out
}

#[test]
fn garbage_never_panics() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut exercised = 0;
    for i in 0..600 {
        let authz = garbage(&mut rng);
        let query = garbage(&mut rng);
        let date = garbage(&mut rng);
        let uri = format!("/{}?{}", i, String::from_utf8_lossy(&query));
        let Ok(uri) = uri.parse::<http::Uri>() else {
            continue;
        };
        let mut b = http::Request::builder().method("POST").uri(uri);
        if i % 3 != 0 {
            if let Ok(v) = http::HeaderValue::from_bytes(&authz) {
                b = b.header("authorization", v);
            }
        }
        if let Ok(v) = http::HeaderValue::from_bytes(&date) {
            b = b.header(if i % 2 == 0 { "x-amz-date" } else { "date" }, v);
        }
        b = b.header("host", "iam.amazonaws.com");
        let Ok(req) = b.body(()) else { continue };
        let p = req.into_parts().0;
        exercised += 1;
        if let Ok(a) = parse(&p) {
            let _ = check_time(&a, NOW);
            let _ = check_scope(&a, "iam");
            let key = derive_signing_key(SECRET, &a.scope_date, &a.region, &a.service);
            let _ = verify(&a, &p, &authz, &key);
        }
    }
    assert!(exercised > 300, "only {exercised} requests exercised");

    // Well-formed skeletons with garbage in each slot get further down the ladder.
    for _ in 0..400 {
        let g = String::from_utf8_lossy(&garbage(&mut rng)).into_owned();
        let slot = rng.below(4);
        let pick = |n: usize, good: &str| {
            if slot == n {
                g.clone()
            } else {
                good.to_owned()
            }
        };
        let authz = format!(
            "AWS4-HMAC-SHA256 Credential={}, SignedHeaders={}, Signature={}",
            pick(0, CRED),
            pick(1, "host;x-amz-date"),
            pick(2, "00")
        );
        let date = pick(3, "20260102T030405Z");
        let (Ok(av), Ok(dv)) = (
            http::HeaderValue::from_str(&authz),
            http::HeaderValue::from_str(&date),
        ) else {
            continue;
        };
        let req = http::Request::builder()
            .uri("/")
            .header("host", "iam.amazonaws.com")
            .header("x-amz-date", dv)
            .header("authorization", av)
            .body(())
            .expect("request");
        let p = req.into_parts().0;
        if let Ok(a) = parse(&p) {
            let _ = check_time(&a, NOW);
            let _ = check_scope(&a, "iam");
            let key = derive_signing_key(SECRET, &a.scope_date, &a.region, &a.service);
            let _ = verify(&a, &p, b"", &key);
        }
    }
}
