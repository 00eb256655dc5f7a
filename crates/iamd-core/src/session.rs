//! Session credentials (GetSessionToken) without server-side session state: the session
//! token carries its claims (temporary key id, parent key id, expiry, MFA) and a MAC made
//! with a key derived from the parent key's secret, and the session's secret is derived
//! from the same parent secret. Any node that can read the parent key can therefore verify
//! a session, and deactivating or deleting the parent key ends every session made from it.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use crate::secret::SecretKey;

type HmacSha256 = Hmac<Sha256>;

const TOKEN_PREFIX: &str = "IQoJaWFtZA"; // fixed, so tokens look alike; carries no meaning
const VERSION: &str = "s1";
const MAC_LABEL: &[u8] = b"iamd session token mac v1";
const SECRET_LABEL: &[u8] = b"iamd session secret v1";
const SECRET_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// What a session token says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionClaims {
    /// The temporary `ASIA…` key id the session signs with.
    pub access_key_id: String,
    /// The long-term key that called GetSessionToken.
    pub parent_access_key_id: String,
    pub expiration: OffsetDateTime,
    /// Whether MFA was presented when the session was made.
    pub mfa: bool,
    /// Random, so two sessions never share a token.
    pub nonce: String,
}

impl SessionClaims {
    fn payload(&self) -> String {
        format!(
            "{VERSION}|{}|{}|{}|{}|{}",
            self.access_key_id,
            self.parent_access_key_id,
            self.expiration.unix_timestamp(),
            u8::from(self.mfa),
            self.nonce
        )
    }

    /// Reads the claims of a token without trusting them yet: the caller looks up the parent
    /// key named here and then calls `verify`.
    pub fn peek(token: &str) -> Option<SessionClaims> {
        let body = token.strip_prefix(TOKEN_PREFIX)?;
        let raw = STANDARD.decode(body).ok()?;
        let text = String::from_utf8(raw).ok()?;
        let (payload, _mac) = text.rsplit_once('|')?;
        let mut parts = payload.split('|');
        let claims = match (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) {
            (Some(VERSION), Some(id), Some(parent), Some(exp), Some(mfa), Some(nonce), None) => {
                SessionClaims {
                    access_key_id: id.to_owned(),
                    parent_access_key_id: parent.to_owned(),
                    expiration: OffsetDateTime::from_unix_timestamp(exp.parse().ok()?).ok()?,
                    mfa: match mfa {
                        "0" => false,
                        "1" => true,
                        _ => return None,
                    },
                    nonce: nonce.to_owned(),
                }
            }
            _ => return None,
        };
        Some(claims)
    }
}

fn mac(parent_secret: &SecretKey, label: &[u8], data: &[u8]) -> [u8; 32] {
    let mut key = HmacSha256::new_from_slice(parent_secret.expose().as_bytes())
        .expect("HMAC takes any key length");
    key.update(label);
    let derived = key.finalize().into_bytes();
    let mut m = HmacSha256::new_from_slice(&derived).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().into()
}

/// Makes the token and the session secret for `claims`.
pub fn mint(parent_secret: &SecretKey, claims: &SessionClaims) -> (String, SecretKey) {
    let payload = claims.payload();
    let tag = hex::encode(mac(parent_secret, MAC_LABEL, payload.as_bytes()));
    let token = format!(
        "{TOKEN_PREFIX}{}",
        STANDARD.encode(format!("{payload}|{tag}"))
    );
    (token, session_secret(parent_secret, claims))
}

/// Checks the token's MAC against the parent secret. `Some` only for an untampered token.
pub fn verify(parent_secret: &SecretKey, token: &str) -> Option<SessionClaims> {
    let claims = SessionClaims::peek(token)?;
    let raw = STANDARD.decode(token.strip_prefix(TOKEN_PREFIX)?).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (_, tag) = text.rsplit_once('|')?;
    let expected = hex::encode(mac(parent_secret, MAC_LABEL, claims.payload().as_bytes()));
    bool::from(expected.as_bytes().ct_eq(tag.as_bytes())).then_some(claims)
}

/// The session's 40-character secret access key.
pub fn session_secret(parent_secret: &SecretKey, claims: &SessionClaims) -> SecretKey {
    let a = mac(parent_secret, SECRET_LABEL, claims.payload().as_bytes());
    let b = mac(parent_secret, SECRET_LABEL, &a);
    let secret = a
        .iter()
        .chain(b.iter())
        .take(40)
        .map(|x| SECRET_ALPHABET[(x & 63) as usize] as char)
        .collect();
    SecretKey::new(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> SessionClaims {
        SessionClaims {
            access_key_id: "ASIAEXAMPLEEXAMPLE00".into(),
            parent_access_key_id: "AKIAEXAMPLEEXAMPLE00".into(),
            expiration: OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
            mfa: false,
            nonce: "n0nce".into(),
        }
    }

    #[test]
    fn minted_tokens_verify_and_tampered_ones_do_not() {
        let parent = SecretKey::new("parent-secret".into());
        let (token, secret) = mint(&parent, &claims());
        assert_eq!(secret.expose().len(), 40);
        assert_eq!(verify(&parent, &token), Some(claims()));
        assert_eq!(session_secret(&parent, &claims()), secret);
        assert_eq!(verify(&SecretKey::new("other".into()), &token), None);
        // Change one character anywhere in the token.
        for i in TOKEN_PREFIX.len()..token.len() {
            let mut bytes = token.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let tampered = String::from_utf8(bytes).unwrap();
            if tampered != token {
                assert_eq!(verify(&parent, &tampered), None, "position {i}");
            }
        }
        assert_eq!(SessionClaims::peek("garbage"), None);
    }
}
