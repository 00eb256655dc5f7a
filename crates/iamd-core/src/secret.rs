//! Secret access keys: redacted in `Debug`, compared in constant time, zeroized on drop,
//! and stored in a sealed form that names its scheme so that encryption at rest can be
//! added without a data migration.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A secret access key in clear text. Never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretKey(String);

impl SecretKey {
    pub fn new(secret: String) -> Self {
        SecretKey(secret)
    }

    /// The clear text, for the two places AWS shows it (CreateAccessKey, STS) and for signing.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The form the store keeps. Scheme `plain` for now; see ARCHITECTURE.md.
    pub fn seal(&self) -> SealedSecret {
        SealedSecret(format!("{}{}", SealedSecret::PLAIN, self.0))
    }
}

impl PartialEq for SecretKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for SecretKey {}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// A secret as stored: `<scheme>:<payload>`. Only `plain:` exists today; a later
/// `aes256gcm-v1:` scheme can be opened side by side with it.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct SealedSecret(String);

impl SealedSecret {
    const PLAIN: &'static str = "plain:";

    /// Wraps a value read back from storage.
    pub fn from_stored(stored: String) -> Self {
        SealedSecret(stored)
    }

    pub fn as_stored(&self) -> &str {
        &self.0
    }

    pub fn open(&self) -> Result<SecretKey, UnknownSecretScheme> {
        match self.0.strip_prefix(Self::PLAIN) {
            Some(clear) => Ok(SecretKey(clear.to_owned())),
            None => Err(UnknownSecretScheme),
        }
    }
}

impl fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealedSecret(<redacted>)")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("stored secret uses an unknown scheme")]
pub struct UnknownSecretScheme;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let s = SecretKey::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY".into());
        assert!(!format!("{s:?}").contains("wJalr"));
        assert!(!format!("{:?}", s.seal()).contains("wJalr"));
    }

    #[test]
    fn seal_then_open_round_trips() {
        let s = SecretKey::new("abc/+123".into());
        assert_eq!(s.seal().open().unwrap(), s);
        assert!(SealedSecret::from_stored("rot13:x".into()).open().is_err());
    }
}
