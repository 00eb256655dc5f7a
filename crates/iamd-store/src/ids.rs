//! Identifier and secret generation, from the operating system's CSPRNG.

use crate::secret::SecretKey;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // The OS RNG failing is not something a server can recover from.
    getrandom::getrandom(&mut buf).expect("operating system random number generator failed");
    buf
}

/// `n` characters drawn uniformly from the base32 alphabet.
fn random_base32(n: usize) -> String {
    random_bytes::<32>()[..n]
        .iter()
        .map(|b| BASE32[(b & 31) as usize] as char)
        .collect()
}

/// A long-term access key id: `AKIA` + 16 base32 characters that encode the account as AWS
/// does (characters 5–12 are base32 of `account / 2 + 2^39`, character 13 tells odd from
/// even), so that the key's account can be read back from it.
pub fn access_key_id(account_id: &str) -> String {
    key_id_with_prefix("AKIA", account_id)
}

/// A service-specific credential's id: `ACCA` + 17 characters, the account encoded as in
/// access key ids.
pub fn service_credential_id(account_id: &str) -> String {
    let mut id = key_id_with_prefix("ACCA", account_id);
    id.push(BASE32[(random_bytes::<1>()[0] & 31) as usize] as char);
    id
}

/// An SSH public key's id: `APKA` + 16 characters, the account encoded as in access key
/// ids (AWS's examples are 20 characters long, `APKAEIBAERJR2EXAMPLE`).
pub fn ssh_public_key_id(account_id: &str) -> String {
    key_id_with_prefix("APKA", account_id)
}

/// A server certificate's id: `ASCA` + 17 characters, the account encoded as in access
/// key ids.
pub fn server_certificate_id(account_id: &str) -> String {
    let mut id = key_id_with_prefix("ASCA", account_id);
    id.push(BASE32[(random_bytes::<1>()[0] & 31) as usize] as char);
    id
}

/// A temporary (STS) access key id: `ASIA` + 16 characters.
pub fn temporary_access_key_id(account_id: &str) -> String {
    key_id_with_prefix("ASIA", account_id)
}

fn key_id_with_prefix(prefix: &str, account_id: &str) -> String {
    let account: u64 = account_id.parse().unwrap_or(0);
    let encoded = (account / 2) + (1 << 39);
    let bytes = encoded.to_be_bytes(); // 8 bytes; the low 5 carry the value
    let mut id = String::with_capacity(20);
    id.push_str(prefix);
    // 5 bytes = 40 bits = 8 base32 characters.
    let mut bits: u64 = 0;
    for b in &bytes[3..8] {
        bits = (bits << 8) | u64::from(*b);
    }
    for i in (0..8).rev() {
        id.push(BASE32[((bits >> (i * 5)) & 31) as usize] as char);
    }
    let r = random_bytes::<8>();
    let half = if account % 2 == 1 { 16 } else { 0 };
    id.push(BASE32[half + (r[0] & 15) as usize] as char);
    for b in &r[1..8] {
        id.push(BASE32[(b & 31) as usize] as char);
    }
    id
}

/// The account an access key id names, read back as AWS reads it (GetAccessKeyInfo):
/// the 48 bits of base32 after the 4-character prefix, masked to bits 7–46. `None` when
/// those characters are not base32.
pub fn account_of_key_id(access_key_id: &str) -> Option<String> {
    let digits = access_key_id.get(4..14)?;
    let mut bits: u64 = 0;
    for c in digits.bytes() {
        let v = BASE32.iter().position(|&b| b == c)? as u64;
        bits = (bits << 5) | v;
    }
    // 10 characters are 50 bits; the first 48 are the 6 bytes AWS decodes.
    let first48 = bits >> 2;
    let account = (first48 & 0x7fff_ffff_ff80) >> 7;
    Some(format!("{account:012}"))
}

/// A user's unique id: `AIDA` + 17 base32 characters (21 in all, as AWS).
pub fn user_id() -> String {
    format!("AIDA{}", random_base32(17))
}

/// A group's unique id: `AGPA` + 17 base32 characters.
pub fn group_id() -> String {
    format!("AGPA{}", random_base32(17))
}

/// A role's unique id: `AROA` + 17 base32 characters.
pub fn role_id() -> String {
    format!("AROA{}", random_base32(17))
}

/// A managed policy's unique id: `ANPA` + 17 base32 characters.
pub fn policy_id() -> String {
    format!("ANPA{}", random_base32(17))
}

/// An instance profile's unique id: `AIPA` + 17 base32 characters.
pub fn instance_profile_id() -> String {
    format!("AIPA{}", random_base32(17))
}

/// A service-specific credential's password as AWS makes them: 59 characters from
/// `[A-Za-z0-9+/]` and a final `=` (60 in all; not base64, despite the look).
pub fn service_password() -> SecretKey {
    let mut password: String = random_bytes::<59>()
        .iter()
        .map(|b| SECRET_ALPHABET[(b & 63) as usize] as char)
        .collect();
    password.push('=');
    SecretKey::new(password)
}

/// A 40-character secret access key from `[A-Za-z0-9+/]`.
pub fn secret_access_key() -> SecretKey {
    let secret = random_bytes::<40>()
        .iter()
        .map(|b| SECRET_ALPHABET[(b & 63) as usize] as char)
        .collect();
    SecretKey::new(secret)
}

/// A random (version 4) UUID in its lower-case hyphenated form, as AWS writes the ones at
/// the end of service-linked role deletion task ids.
/// A SAML provider's `SAMLProviderUUID`: 22 upper-case base32 characters (the model's
/// `[A-Z0-9]{22,64}`).
pub fn saml_provider_uuid() -> String {
    random_base32(22)
}

pub fn uuid() -> String {
    let mut b = random_bytes::<16>();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A virtual MFA device's TOTP seed, as AWS gives it (`Base32StringSeed`): 64 base32
/// characters, i.e. 40 random bytes (320 bits; RFC 4226 asks for at least 128).
pub fn mfa_seed() -> SecretKey {
    let seed = random_bytes::<64>()
        .iter()
        .map(|b| BASE32[(b & 31) as usize] as char)
        .collect();
    SecretKey::new(seed)
}

/// 16 random base32 characters, for tokens that must never repeat.
pub fn nonce() -> String {
    random_base32(16)
}

/// Twelve random digits, for a new account.
pub fn account_id() -> String {
    let r = random_bytes::<12>();
    let mut id: String = r.iter().map(|b| char::from(b'0' + b % 10)).collect();
    if id.starts_with('0') {
        id.replace_range(0..1, "1");
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inverse of the account encoding, written out as the encoding reads.
    fn account_of(id: &str) -> u64 {
        let mut bits: u64 = 0;
        for c in id[4..12].bytes() {
            let v = BASE32.iter().position(|&x| x == c).unwrap() as u64;
            bits = (bits << 5) | v;
        }
        let odd = BASE32.iter().position(|&x| x == id.as_bytes()[12]).unwrap() >= 16;
        ((bits - (1 << 39)) * 2) + u64::from(odd)
    }

    #[test]
    fn the_account_is_read_back_as_aws_reads_it() {
        for account in [
            "609629065308",
            "123456789012",
            "000000000001",
            "999999999999",
        ] {
            let id = temporary_access_key_id(account);
            assert_eq!(account_of_key_id(&id).as_deref(), Some(account));
            assert_eq!(
                account_of_key_id(&access_key_id(account)).as_deref(),
                Some(account)
            );
        }
        // The wire spec's vector (§2.2): account 609629065308's keys carry `Y34FZKBO`; the
        // next character is below `Q` for an even account.
        assert_eq!(
            account_of_key_id("ASIAY34FZKBOAXXXXXXX").as_deref(),
            Some("609629065308")
        );
        assert_eq!(account_of_key_id("AKIA0000"), None);
        assert_eq!(account_of_key_id("AKIA1BCDEFGHIJKLMNOP"), None);
    }

    #[test]
    fn key_ids_encode_their_account() {
        for account in [
            "609629065308",
            "123456789012",
            "999999999999",
            "100000000001",
        ] {
            let id = access_key_id(account);
            assert_eq!(id.len(), 20);
            assert!(id.starts_with("AKIA"));
            assert!(id[4..].bytes().all(|b| BASE32.contains(&b)));
            assert_eq!(account_of(&id).to_string(), account);
        }
        // The value moto and AWS give for this account (see the wire spec §2.2).
        assert_eq!(&temporary_access_key_id("609629065308")[4..12], "Y34FZKBO");
    }

    #[test]
    fn secrets_and_ids_have_aws_shapes() {
        let s = secret_access_key();
        assert_eq!(s.expose().len(), 40);
        assert_ne!(s, secret_access_key());
        let u = user_id();
        assert_eq!(u.len(), 21);
        assert!(u.starts_with("AIDA"));
        let a = account_id();
        assert_eq!(a.len(), 12);
        assert!(a.bytes().all(|b| b.is_ascii_digit()));
    }
}
