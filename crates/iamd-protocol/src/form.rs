//! `application/x-www-form-urlencoded` parameters, from a body or a query string.
//! `+` and `%20` both decode to a space (botocore sends the first, aws-sdk-rust the second);
//! the decoded bytes must be UTF-8.

use percent_encoding::percent_decode;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("Incomplete trailing escape % sequence")]
    IncompleteEscape,
    #[error("Illegal hex character in escape % pattern: %{0}")]
    IllegalEscape(String),
    #[error("The request parameters are not valid UTF-8.")]
    NotUtf8,
    #[error("The request has more than {MAX_PARAMS} parameters.")]
    TooManyParams,
}

/// The most parameters one request may carry (query string and body together). The
/// largest legitimate requests (SimulateCustomPolicy with many actions and resources,
/// tags, policy lists) stay far below it; a flood of tiny parameters is refused before
/// any per-parameter work.
pub const MAX_PARAMS: usize = 10_000;

/// SigV4 query-string parameters: part of authentication, not of the operation's input.
const AUTH_PARAMS: [&str; 7] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
];

/// The decoded parameters of one request, in the order received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

fn check_escapes(raw: &[u8]) -> Result<(), FormError> {
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%' {
            let hex = raw.get(i + 1..i + 3).ok_or(FormError::IncompleteEscape)?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return Err(FormError::IllegalEscape(
                    String::from_utf8_lossy(hex).into_owned(),
                ));
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(())
}

fn decode(raw: &[u8]) -> Result<String, FormError> {
    // Most names and values need no decoding at all: one copy, checked as UTF-8.
    if !raw.iter().any(|&b| b == b'%' || b == b'+') {
        return String::from_utf8(raw.to_vec()).map_err(|_| FormError::NotUtf8);
    }
    check_escapes(raw)?;
    let plus_as_space: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    let bytes: Vec<u8> = percent_decode(&plus_as_space).collect();
    String::from_utf8(bytes).map_err(|_| FormError::NotUtf8)
}

impl Params {
    /// Parses a form body or a raw query string (without the `?`). Linear in `raw`'s length;
    /// more than `MAX_PARAMS` parameters are refused.
    pub fn parse(raw: &[u8]) -> Result<Params, FormError> {
        let mut pairs = Vec::new();
        for piece in raw.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
            if pairs.len() == MAX_PARAMS {
                return Err(FormError::TooManyParams);
            }
            let (name, value) = match piece.iter().position(|&b| b == b'=') {
                Some(eq) => (&piece[..eq], &piece[eq + 1..]),
                None => (piece, &b""[..]),
            };
            let name = decode(name)?;
            if AUTH_PARAMS.contains(&name.as_str()) {
                continue;
            }
            pairs.push((name, decode(value)?));
        }
        Ok(Params { pairs })
    }

    /// Query-string parameters merged with body parameters; the body wins on conflict.
    /// Linear in the number of parameters (a set of the body's names, not a scan per
    /// query parameter), and refused past `MAX_PARAMS` in all.
    pub fn merged(query: Params, body: Params) -> Result<Params, FormError> {
        if query.pairs.len() + body.pairs.len() > MAX_PARAMS {
            return Err(FormError::TooManyParams);
        }
        if query.pairs.is_empty() {
            return Ok(body);
        }
        let in_body: std::collections::HashSet<&str> =
            body.pairs.iter().map(|(n, _)| n.as_str()).collect();
        let mut pairs: Vec<(String, String)> = query
            .pairs
            .into_iter()
            .filter(|(n, _)| !in_body.contains(n.as_str()))
            .collect();
        pairs.extend(body.pairs);
        Ok(Params { pairs })
    }

    /// Every (name, value), in the order received.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The value of a parameter (the last one if it was repeated).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The entries of a non-flattened list of structures, `{name}.member.{N}.{field}`, as
    /// (N, field, value) sorted by N. An empty list is sent as a bare `{name}=`.
    pub fn members(&self, name: &str) -> Vec<(usize, &str, &str)> {
        let prefix = format!("{name}.member.");
        let mut out: Vec<(usize, &str, &str)> = self
            .pairs
            .iter()
            .filter_map(|(n, v)| {
                let rest = n.strip_prefix(&prefix)?;
                let (index, field) = rest.split_once('.').unwrap_or((rest, ""));
                Some((index.parse().ok()?, field, v.as_str()))
            })
            .collect();
        out.sort_by_key(|(i, _, _)| *i);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_space_encodings_decode() {
        let p = Params::parse(b"Action=CreateUser&Path=%2Fa+b%2F&UserName=x%20y&Value=v%2F%3D%2B")
            .unwrap();
        assert_eq!(p.get("Action"), Some("CreateUser"));
        assert_eq!(p.get("Path"), Some("/a b/"));
        assert_eq!(p.get("UserName"), Some("x y"));
        assert_eq!(p.get("Value"), Some("v/=+"));
    }

    #[test]
    fn bad_bytes_are_errors_not_panics() {
        assert_eq!(
            Params::parse(b"a=%zz"),
            Err(FormError::IllegalEscape("zz".into()))
        );
        assert_eq!(Params::parse(b"a=%4"), Err(FormError::IncompleteEscape));
        assert_eq!(Params::parse(b"a=%ff%fe"), Err(FormError::NotUtf8));
        assert_eq!(Params::parse(b"a=\xff"), Err(FormError::NotUtf8));
        assert!(Params::parse(b"&&=&a").is_ok());
    }

    #[test]
    fn lists_and_auth_params() {
        let p = Params::parse(
            b"Tags.member.2.Key=b&Tags.member.1.Key=a&Tags.member.1.Value=&X-Amz-Signature=00&Tags.member.2.Value=2",
        )
        .unwrap();
        assert_eq!(
            p.members("Tags"),
            vec![
                (1, "Key", "a"),
                (1, "Value", ""),
                (2, "Key", "b"),
                (2, "Value", "2")
            ]
        );
        assert_eq!(p.get("X-Amz-Signature"), None);
    }

    #[test]
    fn body_wins_over_query() {
        let q = Params::parse(b"Action=GetUser&UserName=q").unwrap();
        let b = Params::parse(b"UserName=b").unwrap();
        let m = Params::merged(q, b).unwrap();
        assert_eq!(m.get("UserName"), Some("b"));
        assert_eq!(m.get("Action"), Some("GetUser"));
    }

    /// A query string and a body of `bytes` in all, half each, of distinct parameters of
    /// about 33 bytes.
    fn request_of(bytes: usize) -> (Vec<u8>, Vec<u8>) {
        let half = |tag: &str| {
            let mut out = Vec::new();
            let mut i = 0;
            while out.len() < bytes / 2 {
                out.extend_from_slice(format!("{tag}{i:06}=abcdefghijklmnopqrstuvw&").as_bytes());
                i += 1;
            }
            out
        };
        (half("Q"), half("B"))
    }

    /// The median time of parsing and merging a request of `bytes`.
    fn parse_time(bytes: usize) -> std::time::Duration {
        let (query, body) = request_of(bytes);
        let mut times: Vec<_> = (0..7)
            .map(|_| {
                let start = std::time::Instant::now();
                let q = Params::parse(&query).unwrap();
                let b = Params::parse(&body).unwrap();
                let merged = Params::merged(q, b).unwrap();
                std::hint::black_box(merged);
                start.elapsed()
            })
            .collect();
        times.sort();
        times[3]
    }

    #[test]
    fn parsing_and_merging_are_linear_in_the_request_size() {
        // 100 times the bytes must cost about 100 times the time, not 10,000 times (a
        // scan of the body's names per query parameter made 300 KB cost seconds). 1,000:
        // room for a noisy machine and for cache effects at the larger size.
        let small = parse_time(3_000).max(std::time::Duration::from_micros(1));
        let large = parse_time(300_000);
        let ratio = large.as_secs_f64() / small.as_secs_f64();
        eprintln!("parse and merge: 300 KB {large:?}, 3 KB {small:?}: {ratio:.0}x");
        assert!(
            ratio < 1_000.0,
            "300 KB took {large:?}, 3 KB {small:?}: {ratio:.0}x"
        );
    }

    #[test]
    fn parameter_count_is_bounded() {
        let many = "a=1&".repeat(MAX_PARAMS);
        assert_eq!(
            Params::parse(many.as_bytes()).unwrap().pairs.len(),
            MAX_PARAMS
        );
        let too_many = format!("{many}b=2");
        assert_eq!(
            Params::parse(too_many.as_bytes()),
            Err(FormError::TooManyParams)
        );
        let half = "q=1&".repeat(MAX_PARAMS / 2 + 1);
        let (q, b) = (
            Params::parse(half.as_bytes()).unwrap(),
            Params::parse(half.as_bytes()).unwrap(),
        );
        assert_eq!(Params::merged(q, b), Err(FormError::TooManyParams));
    }
}
