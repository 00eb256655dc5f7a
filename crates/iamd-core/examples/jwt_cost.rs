//! What checking one web identity token costs in CPU, without the store or the network:
//! what `Iam::assume_role_with_web_identity` does with a token whose issuer's keys are
//! cached (read the header and the claims unverified, build the key from its JWK, verify
//! the ES256 signature and decode the claims again). BENCHMARKS.md has figures:
//!
//! ```text
//! cargo run --release -j2 -p iamd-core --example jwt_cost
//! ```

use std::hint::black_box;
use std::time::Instant;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};

fn main() {
    let key = rcgen::KeyPair::generate().expect("P-256 key");
    let raw = key.public_key_raw();
    let jwk: Jwk = serde_json::from_value(serde_json::json!({
        "kty": "EC", "crv": "P-256", "kid": "k", "alg": "ES256",
        "x": URL_SAFE_NO_PAD.encode(&raw[1..33]), "y": URL_SAFE_NO_PAD.encode(&raw[33..65]),
    }))
    .expect("jwk");
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("k".into());
    let claims = serde_json::json!({
        "iss": "https://token.actions.githubusercontent.com",
        "sub": "repo:org/app:ref:refs/heads/main", "aud": "sts.amazonaws.com",
        "exp": 4_000_000_000u64, "iat": 1_700_000_000u64, "repository": "org/app",
        "https://aws.amazon.com/tags": {"principal_tags": {"team": ["blue"]}},
    });
    let token = jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_ec_der(&key.serialize_der()),
    )
    .expect("sign");
    let mut unverified = Validation::new(Algorithm::ES256);
    unverified.insecure_disable_signature_validation();
    unverified.validate_exp = false;
    unverified.validate_aud = false;
    unverified.required_spec_claims.clear();
    let mut verified = Validation::new(Algorithm::ES256);
    verified.validate_exp = false;
    verified.validate_aud = false;
    verified.required_spec_claims.clear();
    let empty = DecodingKey::from_secret(&[]);
    let n: u32 = 20_000;

    let start = Instant::now();
    for _ in 0..n {
        let token = black_box(token.as_str());
        let h = jsonwebtoken::decode_header(token).expect("header");
        black_box(&h);
        let peek =
            jsonwebtoken::decode::<serde_json::Value>(token, &empty, &unverified).expect("claims");
        black_box(&peek);
        let key = DecodingKey::from_jwk(black_box(&jwk)).expect("key");
        let claims =
            jsonwebtoken::decode::<serde_json::Value>(token, &key, &verified).expect("verifies");
        black_box(claims);
    }
    let whole = start.elapsed() / n;

    let key = DecodingKey::from_jwk(&jwk).expect("key");
    let start = Instant::now();
    for _ in 0..n {
        let claims = jsonwebtoken::decode::<serde_json::Value>(black_box(&token), &key, &verified)
            .expect("verifies");
        black_box(claims);
    }
    let verify = start.elapsed() / n;
    println!("one token checked (header, claims, key from JWK, ES256 verify): {whole:?}");
    println!("the ES256 verification and claims decoding alone: {verify:?}");
}
