//! Test vectors V1–V4 of iam-wire-spec §5.9 (signed by botocore).

use iamd_sigv4::{
    canonical_request, check_scope, check_time, derive_signing_key, parse, string_to_sign, verify,
    AuthLocation, SigV4Error, SIGNATURE_MISMATCH_MESSAGE,
};
use sha2::{Digest, Sha256};
use time::macros::datetime;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
const NOW: time::OffsetDateTime = datetime!(2026-01-02 03:04:05 UTC);

fn parts(method: &str, uri: &str, headers: &[(&str, &str)]) -> http::request::Parts {
    let mut b = http::Request::builder().method(method).uri(uri);
    for (n, v) in headers {
        b = b.header(*n, *v);
    }
    b.body(()).expect("request").into_parts().0
}

/// Runs the whole server pipeline and returns the canonical request.
fn pipeline(p: &http::request::Parts, body: &[u8]) -> Result<String, SigV4Error> {
    let auth = parse(p)?;
    check_time(&auth, NOW)?;
    check_scope(&auth, "iam")?;
    let key = derive_signing_key(
        SECRET.as_bytes(),
        &auth.scope_date,
        &auth.region,
        &auth.service,
    );
    verify(&auth, p, body, &key)?;
    canonical_request(&auth, p, body)
}

fn hash(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

const V1_BODY: &[u8] = b"Action=ListAccessKeys&Version=2010-05-08&UserName=Bob&MaxItems=5";

fn v1() -> http::request::Parts {
    parts(
        "POST",
        "/",
        &[
            ("Host", "iam.amazonaws.com"),
            ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
            ("X-Amz-Date", "20260102T030405Z"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260102/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=d909f152e649bdc7514c981e98cf7313a7928a0981ae20686ef3fb2680b6c932"),
        ],
    )
}

#[test]
fn v1_post_header_auth() {
    let p = v1();
    let creq = pipeline(&p, V1_BODY).expect("V1 verifies");
    assert_eq!(
        creq,
        "POST\n/\n\ncontent-type:application/x-www-form-urlencoded; charset=utf-8\nhost:iam.amazonaws.com\nx-amz-date:20260102T030405Z\n\ncontent-type;host;x-amz-date\nbcca6ec55cb242e1674e306b4646164cafa7714697de46d0aa6f8e8535ab2d56"
    );
    let auth = parse(&p).expect("parse");
    assert_eq!(auth.location, AuthLocation::Header);
    assert_eq!(auth.access_key_id, "AKIAIOSFODNN7EXAMPLE");
    assert_eq!(auth.session_token, None);
    assert_eq!(
        string_to_sign(&auth, &creq),
        "AWS4-HMAC-SHA256\n20260102T030405Z\n20260102/us-east-1/iam/aws4_request\n83f95203fc2bfe5a4b08a61150a37d436dd635758b83dffb62e5c1e609d538e4"
    );
    // Wrong secret, changed body: mismatch.
    let key = derive_signing_key(b"wrong", "20260102", "us-east-1", "iam");
    assert_eq!(
        verify(&auth, &p, V1_BODY, &key),
        Err(SigV4Error::SignatureDoesNotMatch(
            SIGNATURE_MISMATCH_MESSAGE.into()
        ))
    );
    let key = derive_signing_key(SECRET.as_bytes(), "20260102", "us-east-1", "iam");
    assert!(verify(
        &auth,
        &p,
        b"Action=ListAccessKeys&Version=2010-05-08&UserName=Bob&MaxItems=6",
        &key
    )
    .is_err());
}

#[test]
fn v2_get_unsorted_query() {
    let p = parts(
        "GET",
        "/?Version=2010-05-08&Action=ListAccessKeys&UserName=Bob",
        &[
            ("Host", "iam.amazonaws.com"),
            ("X-Amz-Date", "20260102T030405Z"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260102/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature=d814dbe9a102b74257a63a915fd69f478d5bbc39e231c33fb258270ed8cae56e"),
        ],
    );
    let creq = pipeline(&p, b"").expect("V2 verifies");
    assert_eq!(
        creq.lines().nth(2),
        Some("Action=ListAccessKeys&UserName=Bob&Version=2010-05-08")
    );
    assert!(creq.ends_with("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    assert_eq!(
        hash(&creq),
        "6523a60fd58ff3bccf581c0d4b87cbacfff1fd78421e4faae23a24f079bb3cc5"
    );
}

#[test]
fn v3_session_token_percent20_body() {
    let body = b"Action=CreateUser&Version=2010-05-08&UserName=bob&Path=%2Fa%20b%2F&Tags.member.1.Key=k%201&Tags.member.1.Value=v%2F%3D%2B";
    let p = parts(
        "POST",
        "/",
        &[
            ("Host", "iam.amazonaws.com"),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Amz-Date", "20260102T030405Z"),
            ("X-Amz-Security-Token", "IQoJb3JpZ2luX2VjEXAMPLE/+=="),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=ASIAIOSFODNN7EXAMPLE/20260102/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=5f9c47144a8dda060161f2c2719115ed3466b6d47c8757f3edb4ca15198cb282"),
        ],
    );
    let creq = pipeline(&p, body).expect("V3 verifies");
    assert!(creq.contains("\nx-amz-security-token:IQoJb3JpZ2luX2VjEXAMPLE/+==\n\n"));
    assert!(creq.ends_with("\ne8ca710f8e49c57abbfd0383a5527a35dd9390d146199d08509bc6c000e7fe24"));
    let auth = parse(&p).expect("parse");
    assert_eq!(auth.access_key_id, "ASIAIOSFODNN7EXAMPLE");
    assert_eq!(
        auth.session_token.as_deref(),
        Some("IQoJb3JpZ2luX2VjEXAMPLE/+==")
    );
}

const V4_URI: &str = "/?Action=GetUser&Version=2010-05-08&UserName=Bob&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260102%2Fus-east-1%2Fiam%2Faws4_request&X-Amz-Date=20260102T030405Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=005221bd948292707593358194993d0eb095daa8e4f61219927ce34955a1cbdb";

#[test]
fn v4_presigned_get() {
    let p = parts("GET", V4_URI, &[("Host", "iam.amazonaws.com")]);
    let creq = pipeline(&p, b"").expect("V4 verifies");
    assert_eq!(
        creq,
        "GET\n/\nAction=GetUser&UserName=Bob&Version=2010-05-08&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260102%2Fus-east-1%2Fiam%2Faws4_request&X-Amz-Date=20260102T030405Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host\nhost:iam.amazonaws.com\n\nhost\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let auth = parse(&p).expect("parse");
    assert_eq!(auth.location, AuthLocation::Query);
    assert_eq!(auth.expires, Some(900));
    let sts = string_to_sign(&auth, &creq);
    assert!(sts.ends_with("\n04b44aa8c70b55748614d3cd0cebc7946d5faebc89039b43315cb74c7f07997a"));

    // Valid for 900 s: still fine at +900 s, expired at +901 s.
    assert_eq!(
        check_time(&auth, NOW + time::Duration::seconds(900)),
        Ok(())
    );
    assert_eq!(
        check_time(&auth, NOW + time::Duration::seconds(901)),
        Err(SigV4Error::SignatureDoesNotMatch(
            "Signature expired: 20260102T030405Z is now earlier than 20260102T030406Z (20260102T031906Z - 900 sec.)".into()
        ))
    );
}
