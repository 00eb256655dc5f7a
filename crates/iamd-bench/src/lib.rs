//! iamd's benchmark kit: the load generator (`iamd-bench`), the bare-HTTP ceiling
//! (`iamd-ceiling`) and the bulk seeder (`iamd-seed`). This library holds what they share:
//! the seeded identities (so the load generator can sign as any seeded user without reading
//! the database) and small parsing helpers.

use std::time::Duration;

/// The account and root key the benchmark uses by default (the README's example key).
pub const DEFAULT_ACCOUNT_ID: &str = "123456789012";
pub const DEFAULT_ROOT_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
pub const DEFAULT_ROOT_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";

/// Seeded users and their keys, derived from the user's index so that the seeder and the
/// load generator agree without sharing a file. User `i` is `user{i}` and owns keys `0`
/// and `1`.
pub mod seeded {
    const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    fn base32(mut n: u64, width: usize) -> String {
        let mut out = vec![b'A'; width];
        for slot in out.iter_mut().rev() {
            *slot = BASE32[(n & 31) as usize];
            n >>= 5;
        }
        String::from_utf8(out).expect("ascii")
    }

    pub fn user_name(i: u64) -> String {
        format!("user{i}")
    }

    /// `AIDA` + 17 characters, as AWS's user ids.
    pub fn user_id(i: u64) -> String {
        format!("AIDABENCH{}", base32(i, 12))
    }

    /// `AKIA` + 16 characters, as AWS's long-term key ids.
    pub fn access_key_id(i: u64, k: u64) -> String {
        format!("AKIABENCH{}", base32(i * 2 + k, 11))
    }

    /// A 40-character secret in AWS's alphabet.
    pub fn secret(i: u64, k: u64) -> String {
        format!("bench/{:034}", i * 2 + k)
    }
}

/// Parses `10s`, `500ms`, `2m`, `1.5s` (a bare number is seconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(at) => s.split_at(at),
        None => (s, "s"),
    };
    let n: f64 = num.parse().map_err(|_| format!("invalid duration '{s}'"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(format!("invalid duration unit in '{s}' (ms, s or m)")),
    };
    if !secs.is_finite() || secs < 0.0 {
        return Err(format!("invalid duration '{s}'"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// The value of `<tag>…</tag>` in an XML answer, if present.
pub fn xml_value<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let len = xml[start..].find(&close)?;
    Some(&xml[start..start + len])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_identities_have_aws_shapes() {
        for i in [0, 1, 999_999] {
            assert_eq!(seeded::user_id(i).len(), 21);
            for k in 0..2 {
                let id = seeded::access_key_id(i, k);
                assert_eq!(id.len(), 20);
                assert!(id.starts_with("AKIA"));
                assert_eq!(seeded::secret(i, k).len(), 40);
            }
        }
        assert_ne!(seeded::access_key_id(0, 1), seeded::access_key_id(1, 0));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("3").unwrap(), Duration::from_secs(3));
        assert!(parse_duration("3h").is_err());
    }

    #[test]
    fn xml_values() {
        let xml = "<R><AccessKeyId>AKIA1</AccessKeyId></R>";
        assert_eq!(xml_value(xml, "AccessKeyId"), Some("AKIA1"));
        assert_eq!(xml_value(xml, "Nope"), None);
    }
}
