//! Temporary credentials without server-side session state. A session token carries its
//! claims (the temporary key id, who issued it, expiry, MFA, a nonce) and a MAC keyed by the
//! issuer's secret; the session's secret access key is derived from the same secret.
//!
//! The issuer is either a long-term access key (GetSessionToken: its secret keys the MAC)
//! or a role (AssumeRole: the role's own `session_secret`); GetFederationToken's sessions
//! are issued by the long-term key too. Any node that can read the
//! issuer can verify a session, and deactivating or deleting the key, or deleting the
//! role, ends every session it issued.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use crate::secret::SecretKey;

type HmacSha256 = Hmac<Sha256>;

const TOKEN_PREFIX: &str = "IQoJaWFtZA"; // fixed, so tokens look alike; carries no meaning
const MAC_LABEL: &[u8] = b"iamd session token mac v1";
const SECRET_LABEL: &[u8] = b"iamd session secret v1";
const SECRET_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Who issued a session, and what it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Issuer {
    /// GetSessionToken, called with this long-term key.
    AccessKey { parent_access_key_id: String },
    /// AssumeRole.
    Role {
        role_id: String,
        session_name: String,
        /// The inline session policy, as given.
        policy: Option<String>,
        /// Managed policies given as session policies.
        policy_arns: Vec<String>,
        /// Assumed with role-session credentials (role chaining).
        chained: bool,
        /// Session tags and which of them pass on to chained sessions.
        tags: SessionTags,
    },
    /// GetFederationToken, called with this long-term key: a federated user session
    /// named `name`, narrowed by its session policies.
    Federation {
        parent_access_key_id: String,
        name: String,
        policy: Option<String>,
        policy_arns: Vec<String>,
        /// Session tags (GetFederationToken's `Tags`; no transitive keys, no source
        /// identity).
        tags: SessionTags,
    },
    /// iamd's console sign-in with a password (`POST /iamd/v1/console-session`): the user
    /// itself, keyed by a MAC key derived from the master key and the user's current
    /// password hash (`crate::console`), so that a new password, a deleted login profile
    /// or a deleted user ends the session.
    Console {
        account_id: String,
        user_name: String,
        user_id: String,
        /// The password must be changed first: the session may do nothing else.
        password_change_only: bool,
    },
}

/// What a role session carries besides its role and policies: its tags (AssumeRole's
/// `Tags`, a web identity token's `principal_tags`, and those inherited through role
/// chaining), its transitive tag keys, and its source identity (which chained sessions
/// keep).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionTags {
    pub tags: Vec<crate::model::Tag>,
    /// Keys (as given) of the tags that chained sessions inherit.
    pub transitive_keys: Vec<String>,
    /// `SourceIdentity` (`aws:SourceIdentity`), set once and kept through chaining.
    pub source_identity: Option<String>,
}

impl SessionTags {
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty() && self.transitive_keys.is_empty() && self.source_identity.is_none()
    }

    /// The tags a session assumed from this one inherits: the transitive ones.
    pub fn inherited(&self) -> SessionTags {
        let transitive = |k: &str| {
            self.transitive_keys
                .iter()
                .any(|t| t.eq_ignore_ascii_case(k))
        };
        SessionTags {
            tags: self
                .tags
                .iter()
                .filter(|t| transitive(&t.key))
                .cloned()
                .collect(),
            transitive_keys: self.transitive_keys.clone(),
            source_identity: self.source_identity.clone(),
        }
    }

    fn encode(&self) -> String {
        let pairs: Vec<[&str; 2]> = self
            .tags
            .iter()
            .map(|t| [t.key.as_str(), t.value.as_str()])
            .collect();
        serde_json::json!([pairs, self.transitive_keys, self.source_identity]).to_string()
    }

    fn decode(text: &str) -> Option<SessionTags> {
        let (pairs, keys, source_identity): (Vec<(String, String)>, Vec<String>, Option<String>) =
            serde_json::from_str(text).ok()?;
        Some(SessionTags {
            tags: pairs
                .into_iter()
                .map(|(key, value)| crate::model::Tag { key, value })
                .collect(),
            transitive_keys: keys,
            source_identity,
        })
    }
}

/// What a session token says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionClaims {
    /// The temporary `ASIA…` key id the session signs with.
    pub access_key_id: String,
    pub issuer: Issuer,
    pub expiration: OffsetDateTime,
    /// When MFA was presented (a code checked) to make the session, if it was: the
    /// session is MFA-authenticated (`aws:MultiFactorAuthPresent`), and its
    /// `aws:MultiFactorAuthAge` counts from then.
    pub mfa: Option<OffsetDateTime>,
    /// Random, so two sessions never share a token.
    pub nonce: String,
}

fn b64(s: &str) -> String {
    STANDARD.encode(s)
}

fn unb64(s: &str) -> Option<String> {
    String::from_utf8(STANDARD.decode(s).ok()?).ok()
}

impl SessionClaims {
    /// The signed text. Free-form fields are base64-encoded, so `|` only separates.
    fn payload(&self) -> String {
        let exp = self.expiration.unix_timestamp();
        // `0` without MFA (what every token had before MFA existed), `m<unix seconds>`.
        let mfa = match self.mfa {
            None => "0".to_owned(),
            Some(at) => format!("m{}", at.unix_timestamp()),
        };
        let (id, nonce) = (&self.access_key_id, &self.nonce);
        match &self.issuer {
            Issuer::AccessKey {
                parent_access_key_id,
            } => {
                format!("s1|{id}|{parent_access_key_id}|{exp}|{mfa}|{nonce}")
            }
            Issuer::Role {
                role_id,
                session_name,
                policy,
                policy_arns,
                chained,
                tags,
            } => {
                // `r1` (no tags) is what every role session token had before session tags;
                // `r2` adds them.
                let r1 = format!(
                    "{id}|{role_id}|{exp}|{mfa}|{nonce}|{}|{}|{}|{}",
                    b64(session_name),
                    u8::from(*chained),
                    b64(policy.as_deref().unwrap_or("")),
                    b64(&policy_arns.join("\n")),
                );
                if tags.is_empty() {
                    format!("r1|{r1}")
                } else {
                    format!("r2|{r1}|{}", b64(&tags.encode()))
                }
            }
            Issuer::Federation {
                parent_access_key_id,
                name,
                policy,
                policy_arns,
                tags,
            } => {
                // `f1` (no tags) is what every federation token had before session tags;
                // `f2` adds them.
                let f1 = format!(
                    "{id}|{parent_access_key_id}|{exp}|{mfa}|{nonce}|{}|{}|{}",
                    b64(name),
                    b64(policy.as_deref().unwrap_or("")),
                    b64(&policy_arns.join("\n")),
                );
                if tags.is_empty() {
                    format!("f1|{f1}")
                } else {
                    format!("f2|{f1}|{}", b64(&tags.encode()))
                }
            }
            Issuer::Console {
                account_id,
                user_name,
                user_id,
                password_change_only,
            } => format!(
                "c1|{id}|{user_id}|{exp}|{mfa}|{nonce}|{account_id}|{}|{}",
                b64(user_name),
                u8::from(*password_change_only),
            ),
        }
    }

    fn from_payload(payload: &str) -> Option<SessionClaims> {
        let f: Vec<&str> = payload.split('|').collect();
        let flag = |s: &str| match s {
            "0" => Some(false),
            "1" => Some(true),
            _ => None,
        };
        let expiration = OffsetDateTime::from_unix_timestamp(f.get(3)?.parse().ok()?).ok()?;
        let issuer = match (f[0], f.len()) {
            ("s1", 6) => Issuer::AccessKey {
                parent_access_key_id: f[2].to_owned(),
            },
            ("r1", 10) | ("r2", 11) => {
                let policy = unb64(f[8])?;
                let arns = unb64(f[9])?;
                let tags = match f.get(10) {
                    Some(t) => SessionTags::decode(&unb64(t)?)?,
                    None => SessionTags::default(),
                };
                Issuer::Role {
                    role_id: f[2].to_owned(),
                    session_name: unb64(f[6])?,
                    chained: flag(f[7])?,
                    policy: (!policy.is_empty()).then_some(policy),
                    policy_arns: arns.lines().map(str::to_owned).collect(),
                    tags,
                }
            }
            ("f1", 9) | ("f2", 10) => {
                let policy = unb64(f[7])?;
                let arns = unb64(f[8])?;
                let tags = match f.get(9) {
                    Some(t) => SessionTags::decode(&unb64(t)?)?,
                    None => SessionTags::default(),
                };
                Issuer::Federation {
                    parent_access_key_id: f[2].to_owned(),
                    name: unb64(f[6])?,
                    policy: (!policy.is_empty()).then_some(policy),
                    policy_arns: arns.lines().map(str::to_owned).collect(),
                    tags,
                }
            }
            ("c1", 9) => Issuer::Console {
                user_id: f[2].to_owned(),
                account_id: f[6].to_owned(),
                user_name: unb64(f[7])?,
                password_change_only: flag(f[8])?,
            },
            _ => return None,
        };
        Some(SessionClaims {
            access_key_id: f[1].to_owned(),
            issuer,
            expiration,
            mfa: match *f.get(4)? {
                "0" => None,
                m => Some(
                    OffsetDateTime::from_unix_timestamp(m.strip_prefix('m')?.parse().ok()?).ok()?,
                ),
            },
            nonce: f[5].to_owned(),
        })
    }

    /// Reads the claims of a token without trusting them yet: the caller looks up the
    /// issuer named here and then calls `verify`.
    pub fn peek(token: &str) -> Option<SessionClaims> {
        let (payload, _) = split(token)?;
        Self::from_payload(&payload)
    }
}

/// (payload, hex MAC) of a token.
fn split(token: &str) -> Option<(String, String)> {
    let text = unb64(token.strip_prefix(TOKEN_PREFIX)?)?;
    let (payload, tag) = text.rsplit_once('|')?;
    Some((payload.to_owned(), tag.to_owned()))
}

fn mac(issuer_secret: &SecretKey, label: &[u8], data: &[u8]) -> [u8; 32] {
    let mut key = HmacSha256::new_from_slice(issuer_secret.expose().as_bytes())
        .expect("HMAC takes any key length");
    key.update(label);
    let derived = key.finalize().into_bytes();
    let mut m = HmacSha256::new_from_slice(&derived).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().into()
}

/// Makes the token and the session secret for `claims`.
pub fn mint(issuer_secret: &SecretKey, claims: &SessionClaims) -> (String, SecretKey) {
    let payload = claims.payload();
    let tag = hex::encode(mac(issuer_secret, MAC_LABEL, payload.as_bytes()));
    let token = format!("{TOKEN_PREFIX}{}", b64(&format!("{payload}|{tag}")));
    (token, session_secret(issuer_secret, claims))
}

/// Checks the token's MAC against the issuer's secret. `Some` only for an untampered token.
pub fn verify(issuer_secret: &SecretKey, token: &str) -> Option<SessionClaims> {
    let (payload, tag) = split(token)?;
    let expected = hex::encode(mac(issuer_secret, MAC_LABEL, payload.as_bytes()));
    if !bool::from(expected.as_bytes().ct_eq(tag.as_bytes())) {
        return None;
    }
    SessionClaims::from_payload(&payload)
}

/// The session's 40-character secret access key.
pub fn session_secret(issuer_secret: &SecretKey, claims: &SessionClaims) -> SecretKey {
    let a = mac(issuer_secret, SECRET_LABEL, claims.payload().as_bytes());
    let b = mac(issuer_secret, SECRET_LABEL, &a);
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

    fn claims(issuer: Issuer) -> SessionClaims {
        SessionClaims {
            access_key_id: "ASIAEXAMPLEEXAMPLE00".into(),
            issuer,
            expiration: OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
            mfa: None,
            nonce: "n0nce".into(),
        }
    }

    #[test]
    fn minted_tokens_verify_and_tampered_ones_do_not() {
        let issuers = [
            Issuer::AccessKey {
                parent_access_key_id: "AKIAEXAMPLEEXAMPLE00".into(),
            },
            Issuer::Role {
                role_id: "AROAEXAMPLE".into(),
                session_name: "s@x=1,y.z-".into(),
                policy: Some(r#"{"a":"|b|"}"#.into()),
                policy_arns: vec!["arn:aws:iam::123456789012:policy/p".into()],
                chained: true,
                tags: SessionTags::default(),
            },
            Issuer::Role {
                role_id: "AROAEXAMPLE".into(),
                session_name: "s".into(),
                policy: None,
                policy_arns: vec![],
                chained: false,
                tags: SessionTags {
                    tags: vec![crate::model::Tag {
                        key: "team|x".into(),
                        value: "blue \"b\"".into(),
                    }],
                    transitive_keys: vec!["team|x".into()],
                    source_identity: Some("alice@example.com".into()),
                },
            },
            Issuer::Console {
                account_id: "123456789012".into(),
                user_name: "alice|x=1".into(),
                user_id: "AIDAEXAMPLE".into(),
                password_change_only: true,
            },
            Issuer::Federation {
                parent_access_key_id: "AKIAEXAMPLEEXAMPLE00".into(),
                name: "bob@x=1,y.z-".into(),
                policy: Some(r#"{"a":"|b|"}"#.into()),
                policy_arns: vec!["arn:aws:iam::123456789012:policy/p".into()],
                tags: SessionTags::default(),
            },
            Issuer::Federation {
                parent_access_key_id: "AKIAEXAMPLEEXAMPLE00".into(),
                name: "bob".into(),
                policy: None,
                policy_arns: vec![],
                tags: SessionTags {
                    tags: vec![crate::model::Tag {
                        key: "team|x".into(),
                        value: "blue \"b\"".into(),
                    }],
                    ..SessionTags::default()
                },
            },
        ];
        let mfa_at = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        for (issuer, mfa) in issuers
            .into_iter()
            .flat_map(|i| [(i.clone(), None), (i, Some(mfa_at))])
        {
            let c = SessionClaims {
                mfa,
                ..claims(issuer)
            };
            let parent = SecretKey::new("issuer-secret".into());
            let (token, secret) = mint(&parent, &c);
            assert_eq!(secret.expose().len(), 40);
            assert_eq!(SessionClaims::peek(&token), Some(c.clone()));
            assert_eq!(verify(&parent, &token), Some(c.clone()));
            assert_eq!(session_secret(&parent, &c), secret);
            assert_eq!(verify(&SecretKey::new("other".into()), &token), None);
            for i in TOKEN_PREFIX.len()..token.len() {
                let mut bytes = token.clone().into_bytes();
                bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
                let tampered = String::from_utf8(bytes).unwrap();
                if tampered != token {
                    assert_eq!(verify(&parent, &tampered), None, "position {i}");
                }
            }
        }
        assert_eq!(SessionClaims::peek("garbage"), None);
    }
}
