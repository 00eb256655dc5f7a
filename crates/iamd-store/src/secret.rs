//! Secret access keys and how they are stored. `SecretKey` is the clear text: redacted in
//! `Debug`, compared in constant time, zeroized on drop. `SealedSecret` is the stored form,
//! `<scheme>:<payload>`: `aes256gcm:<key id>:<base64(nonce || ciphertext)>`, sealed with a
//! master key from a `Keyring`, or the legacy `plain:<secret>`, which is still opened (and
//! re-sealed at start-up, `Store::reseal_secrets`).
//!
//! The master key is a value passed to `seal` and `open`, never a process-global: one
//! process may run several servers (the integration tests do), each with its own.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

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

    /// The form the store keeps: encrypted under the keyring's current master key, with a
    /// fresh random nonce.
    pub fn seal(&self, keyring: &Keyring) -> SealedSecret {
        keyring.current.seal(self.0.as_bytes())
    }

    /// The legacy clear-text form (`plain:`), as stored before encryption at rest. Only for
    /// tests and tools that must write old rows.
    pub fn seal_plain(&self) -> SealedSecret {
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

/// A secret as stored: `<scheme>:<payload>` (see the module's documentation).
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct SealedSecret(String);

/// The length of a nonce (96 bits, AES-GCM's own), drawn at random for every seal.
const NONCE_LEN: usize = 12;

impl SealedSecret {
    const PLAIN: &'static str = "plain:";
    /// The scheme's prefix; a key id and a colon follow it.
    pub const AES256GCM: &'static str = "aes256gcm:";

    /// Wraps a value read back from storage.
    pub fn from_stored(stored: String) -> Self {
        SealedSecret(stored)
    }

    pub fn as_stored(&self) -> &str {
        &self.0
    }

    /// Whether this is a legacy clear-text row.
    pub fn is_plain(&self) -> bool {
        self.0.starts_with(Self::PLAIN)
    }

    /// The id of the master key that sealed this secret, if it is sealed.
    pub fn key_id(&self) -> Option<&str> {
        let rest = self.0.strip_prefix(Self::AES256GCM)?;
        rest.split_once(':').map(|(id, _)| id)
    }

    pub fn open(&self, keyring: &Keyring) -> Result<SecretKey, SecretError> {
        if let Some(clear) = self.0.strip_prefix(Self::PLAIN) {
            return Ok(SecretKey(clear.to_owned()));
        }
        let Some(rest) = self.0.strip_prefix(Self::AES256GCM) else {
            return Err(SecretError::UnknownScheme);
        };
        let (id, payload) = rest.split_once(':').ok_or(SecretError::Malformed)?;
        let key = keyring
            .find(id)
            .ok_or_else(|| SecretError::UnknownKey(id.to_owned()))?;
        key.open(payload)
    }

    /// This secret sealed under the keyring's current key, or `None` if it already is.
    pub fn reseal(&self, keyring: &Keyring) -> Result<Option<SealedSecret>, SecretError> {
        if self.key_id() == Some(keyring.current_id()) {
            return Ok(None);
        }
        Ok(Some(self.open(keyring)?.seal(keyring)))
    }
}

impl fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealedSecret(<redacted>)")
    }
}

/// Why a stored secret could not be opened. None of them shows the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("stored secret uses an unknown scheme")]
    UnknownScheme,
    #[error("stored secret is malformed")]
    Malformed,
    #[error("stored secret is sealed with master key {0}, which this node does not hold")]
    UnknownKey(String),
    #[error("stored secret does not open with its master key (altered, or another key with the same id)")]
    Tampered,
}

/// A 256-bit master key, and the AES-256-GCM cipher keyed by it (its key schedule computed
/// once). Never printed.
pub struct MasterKey {
    /// A short fingerprint of the key (8 hex digits of a SHA-256 of it), stored with every
    /// secret it seals so that the ring finds the key that opens it.
    id: String,
    cipher: Aes256Gcm,
    /// A key derived from the master key (SHA-256 of a fixed label and the key) for MACs
    /// that must not be made without the master key: console sessions' tokens.
    derived: Zeroizing<[u8; 32]>,
}

/// A master key given in the wrong form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a master key is the base64 encoding of exactly 32 bytes (e.g. `openssl rand -base64 32`)")]
pub struct MasterKeyError;

impl MasterKey {
    pub fn from_bytes(bytes: &[u8; 32]) -> MasterKey {
        let digest = Sha256::new()
            .chain_update(b"iamd master key id\0")
            .chain_update(bytes)
            .finalize();
        let derived: [u8; 32] = Sha256::new()
            .chain_update(b"iamd derived mac key v1\0")
            .chain_update(bytes)
            .finalize()
            .into();
        MasterKey {
            id: hex::encode(&digest[..4]),
            cipher: Aes256Gcm::new(bytes.into()),
            derived: Zeroizing::new(derived),
        }
    }

    /// From its text form: base64 of 32 bytes, surrounding white space ignored (a file
    /// written by `openssl rand -base64 32 > master.key` ends with a newline).
    pub fn from_base64(text: &str) -> Result<MasterKey, MasterKeyError> {
        let bytes = Zeroizing::new(
            STANDARD
                .decode(text.trim().as_bytes())
                .map_err(|_| MasterKeyError)?,
        );
        let bytes: &[u8; 32] = bytes.as_slice().try_into().map_err(|_| MasterKeyError)?;
        Ok(MasterKey::from_bytes(bytes))
    }

    /// A new random key and its text form (base64), for the file it is to be kept in.
    pub fn generate() -> (MasterKey, Zeroizing<String>) {
        let mut bytes = Zeroizing::new([0u8; 32]);
        getrandom::getrandom(bytes.as_mut()).expect("the OS random source is available");
        let text = Zeroizing::new(STANDARD.encode(bytes.as_ref()));
        (MasterKey::from_bytes(&bytes), text)
    }

    /// The key's fingerprint, as stored in `aes256gcm:<id>:…`.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn seal(&self, clear: &[u8]) -> SealedSecret {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::getrandom(&mut nonce).expect("the OS random source is available");
        let ciphertext = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), clear)
            .expect("AES-GCM seals any secret shorter than 64 GiB");
        let mut payload = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        payload.extend_from_slice(&nonce);
        payload.extend_from_slice(&ciphertext);
        SealedSecret(format!(
            "{}{}:{}",
            SealedSecret::AES256GCM,
            self.id,
            STANDARD.encode(&payload)
        ))
    }

    fn open(&self, payload: &str) -> Result<SecretKey, SecretError> {
        let payload = STANDARD
            .decode(payload.as_bytes())
            .map_err(|_| SecretError::Malformed)?;
        if payload.len() < NONCE_LEN {
            return Err(SecretError::Malformed);
        }
        let (nonce, ciphertext) = payload.split_at(NONCE_LEN);
        let clear = Zeroizing::new(
            self.cipher
                .decrypt(Nonce::from_slice(nonce), ciphertext)
                .map_err(|_| SecretError::Tampered)?,
        );
        let clear = std::str::from_utf8(&clear).map_err(|_| SecretError::Malformed)?;
        Ok(SecretKey(clear.to_owned()))
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MasterKey({})", self.id)
    }
}

/// The master keys a node holds: the current one seals, any of them opens. Several are
/// held at once while keys are rotated (`iamd rekey`).
#[derive(Debug)]
pub struct Keyring {
    current: MasterKey,
    /// Older keys, for secrets not yet re-sealed under the current one.
    old: Vec<MasterKey>,
}

impl Keyring {
    pub fn new(current: MasterKey) -> Keyring {
        Keyring {
            current,
            old: Vec::new(),
        }
    }

    /// Adds a key that opens but no longer seals (a key being rotated out).
    pub fn with_old(mut self, old: MasterKey) -> Keyring {
        if old.id != self.current.id && self.old.iter().all(|k| k.id != old.id) {
            self.old.push(old);
        }
        self
    }

    /// A ring of one new random key, for tests.
    pub fn generate() -> Keyring {
        Keyring::new(MasterKey::generate().0)
    }

    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    /// The keys derived from each master key of the ring (`MasterKey::derived`), the
    /// current one's first: what MACs are made with (the first) and checked against (any,
    /// while keys are rotated).
    pub fn derived_keys(&self) -> impl Iterator<Item = &[u8; 32]> {
        std::iter::once(&*self.current.derived).chain(self.old.iter().map(|k| &*k.derived))
    }

    fn find(&self, id: &str) -> Option<&MasterKey> {
        std::iter::once(&self.current)
            .chain(&self.old)
            .find(|k| k.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";

    #[test]
    fn debug_never_shows_the_secret() {
        let ring = Keyring::generate();
        let s = SecretKey::new(EXAMPLE.into());
        assert!(!format!("{s:?}").contains("wJalr"));
        assert!(!format!("{:?}", s.seal(&ring)).contains("wJalr"));
        assert!(!format!("{:?}", s.seal_plain()).contains("wJalr"));
    }

    #[test]
    fn seal_then_open_round_trips() {
        let ring = Keyring::generate();
        let s = SecretKey::new("abc/+123".into());
        let sealed = s.seal(&ring);
        assert_eq!(sealed.open(&ring).unwrap(), s);
        assert!(!sealed.as_stored().contains("abc/+123"));
        let prefix = format!("aes256gcm:{}:", ring.current_id());
        assert!(
            sealed.as_stored().starts_with(&prefix),
            "{}",
            sealed.as_stored()
        );
        assert_eq!(sealed.key_id(), Some(ring.current_id()));
        // A fresh nonce each time: the same secret never seals to the same text.
        assert_ne!(s.seal(&ring), sealed);
    }

    #[test]
    fn a_wrong_key_is_an_error_not_a_panic() {
        let a = Keyring::generate();
        let b = Keyring::generate();
        let sealed = SecretKey::new(EXAMPLE.into()).seal(&a);
        assert_eq!(
            sealed.open(&b),
            Err(SecretError::UnknownKey(a.current_id().to_owned()))
        );
        // Another key that claims the same id (a forged or colliding id) fails the tag.
        let forged = sealed.as_stored().replace(a.current_id(), b.current_id());
        assert_eq!(
            SealedSecret::from_stored(forged).open(&b),
            Err(SecretError::Tampered)
        );
    }

    #[test]
    fn tampering_is_detected() {
        let ring = Keyring::generate();
        let sealed = SecretKey::new(EXAMPLE.into()).seal(&ring);
        let stored = sealed.as_stored();
        let (head, payload) = stored.rsplit_once(':').unwrap();
        let mut bytes = STANDARD.decode(payload).unwrap();
        for i in [0, NONCE_LEN, bytes.len() - 1] {
            bytes[i] ^= 1;
            let altered = format!("{head}:{}", STANDARD.encode(&bytes));
            assert_eq!(
                SealedSecret::from_stored(altered).open(&ring),
                Err(SecretError::Tampered),
                "byte {i}"
            );
            bytes[i] ^= 1;
        }
        let truncated = format!("{head}:{}", STANDARD.encode(&bytes[..NONCE_LEN + 3]));
        assert_eq!(
            SealedSecret::from_stored(truncated).open(&ring),
            Err(SecretError::Tampered)
        );
        for malformed in [
            format!("{head}:not base64!"),
            format!("{head}:{}", STANDARD.encode([1, 2, 3])),
            "aes256gcm:nocolon".to_owned(),
        ] {
            assert_eq!(
                SealedSecret::from_stored(malformed).open(&ring),
                Err(SecretError::Malformed)
            );
        }
        assert_eq!(
            SealedSecret::from_stored("rot13:x".into()).open(&ring),
            Err(SecretError::UnknownScheme)
        );
    }

    #[test]
    fn plain_rows_still_open() {
        let ring = Keyring::generate();
        let s = SecretKey::new(EXAMPLE.into());
        let old = SealedSecret::from_stored(format!("plain:{EXAMPLE}"));
        assert!(old.is_plain());
        assert_eq!(old, s.seal_plain());
        assert_eq!(old.open(&ring).unwrap(), s);
    }

    #[test]
    fn reseal_moves_every_secret_to_the_current_key() {
        let a = MasterKey::generate().1;
        let b = MasterKey::generate().1;
        let ring_a = Keyring::new(MasterKey::from_base64(&a).unwrap());
        let s = SecretKey::new(EXAMPLE.into());
        let under_a = s.seal(&ring_a);
        let plain = s.seal_plain();
        // B current, A still held: both old forms re-seal under B.
        let ring_ab = Keyring::new(MasterKey::from_base64(&b).unwrap())
            .with_old(MasterKey::from_base64(&a).unwrap());
        let ring_b = Keyring::new(MasterKey::from_base64(&b).unwrap());
        for old in [under_a.clone(), plain] {
            let new = old.reseal(&ring_ab).unwrap().expect("re-sealed");
            assert_eq!(new.key_id(), Some(ring_b.current_id()));
            assert_eq!(new.open(&ring_b).unwrap(), s);
            assert_eq!(new.reseal(&ring_ab).unwrap(), None);
        }
        // Without A, what A sealed does not open, and cannot be re-sealed.
        assert!(matches!(
            under_a.reseal(&ring_b),
            Err(SecretError::UnknownKey(_))
        ));
    }

    #[test]
    fn master_keys_are_base64_of_32_bytes() {
        let (key, text) = MasterKey::generate();
        let again = MasterKey::from_base64(&format!("  {}\n", text.as_str())).unwrap();
        assert_eq!(key.id(), again.id());
        assert_eq!(key.id().len(), 8);
        assert!(MasterKey::from_base64(&STANDARD.encode([7u8; 31])).is_err());
        assert!(MasterKey::from_base64("not base64").is_err());
        assert!(!format!("{key:?}").contains(text.as_str()));
    }

    /// The cost of opening a secret, as authentication does for every request signed with
    /// a long-term key: `cargo test --release -p iamd-core --lib -- --ignored --nocapture open_cost`.
    #[test]
    #[ignore]
    fn open_cost() {
        let ring = Keyring::generate();
        let sealed = crate::ids::secret_access_key().seal(&ring);
        let plain = crate::ids::secret_access_key().seal_plain();
        for (name, s) in [("aes256gcm", &sealed), ("plain", &plain)] {
            let n = 200_000;
            let start = std::time::Instant::now();
            for _ in 0..n {
                std::hint::black_box(std::hint::black_box(s).open(&ring).unwrap());
            }
            let ns = start.elapsed().as_nanos() / n;
            println!("open ({name}): {ns} ns");
        }
    }
}
