//! Building blocks of the canonical request (spec §5.5): URI, query string,
//! headers and payload hash.

use std::borrow::Cow;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

use crate::{SigV4Error, SIGNATURE_MISMATCH_MESSAGE};

/// RFC 3986 unreserved characters stay as they are; everything else is `%XX`.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// As [`UNRESERVED`], but `/` also stays (path segments).
const PATH: &AsciiSet = &UNRESERVED.remove(b'/');

/// The header whose value replaces the body hash when present.
pub(crate) const CONTENT_SHA256: &str = "x-amz-content-sha256";

pub(crate) const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Percent-encodes raw bytes with the unreserved set (uppercase hex).
fn encode_bytes(bytes: &[u8], set: &'static AsciiSet) -> String {
    percent_encoding::percent_encode(bytes, set).to_string()
}

/// Canonical URI: the path exactly as received on the wire, optionally
/// normalized (dot segments and duplicate slashes removed, trailing slash
/// kept), then URI-encoded once more keeping `/`.
///
/// The wire path is already encoded once by the client, so this is the
/// "double encoding" AWS prescribes for every service but S3 (botocore:
/// `quote(normalize_url_path(path), safe='/~')` over the already-quoted URL
/// path; aws-sdk-rust does the same). For IAM and STS the path is always `/`.
pub(crate) fn canonical_uri(path: &str, normalize: bool) -> Cow<'_, str> {
    // The path of every IAM and STS request, already canonical.
    if path == "/" {
        return Cow::Borrowed(path);
    }
    let path = if path.is_empty() { "/" } else { path };
    Cow::Owned(if normalize {
        utf8_percent_encode(&remove_dot_segments(path), PATH).to_string()
    } else {
        utf8_percent_encode(path, PATH).to_string()
    })
}

/// botocore `remove_dot_segments`: RFC 3986 §5.2.4 plus removal of empty
/// segments (consecutive slashes). A trailing slash survives only when some
/// segment is left.
fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let first = if path.starts_with('/') { "/" } else { "" };
    let last = if path.ends_with('/') && !out.is_empty() {
        "/"
    } else {
        ""
    };
    format!("{first}{}{last}", out.join("/"))
}

/// One percent-decoded query parameter: `(name, value)` as raw bytes.
pub(crate) type QueryPair = (Vec<u8>, Vec<u8>);

/// Splits a raw query string into percent-decoded `(name, value)` pairs, in
/// order. Empty `&`-separated pieces are skipped; a piece without `=` has an
/// empty value; a raw `+` is a literal plus (not a space).
pub(crate) fn decode_query(raw: &str) -> Result<Vec<QueryPair>, SigV4Error> {
    let mut out = Vec::new();
    for piece in raw.split('&') {
        if piece.is_empty() {
            continue;
        }
        let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
        out.push((
            percent_decode(name.as_bytes())?,
            percent_decode(value.as_bytes())?,
        ));
    }
    Ok(out)
}

/// Strict percent-decoding with the AWS `MalformedQueryString` messages.
fn percent_decode(s: &[u8]) -> Result<Vec<u8>, SigV4Error> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] != b'%' {
            out.push(s[i]);
            i += 1;
            continue;
        }
        let (Some(&h), Some(&l)) = (s.get(i + 1), s.get(i + 2)) else {
            return Err(SigV4Error::MalformedQueryString(
                "Incomplete trailing escape % sequence".to_owned(),
            ));
        };
        match (hex_val(h), hex_val(l)) {
            (Some(h), Some(l)) => out.push(h << 4 | l),
            _ => {
                return Err(SigV4Error::MalformedQueryString(format!(
                    "Illegal hex character in escape % pattern: %{}",
                    String::from_utf8_lossy(&s[i + 1..i + 3])
                )))
            }
        }
        i += 3;
    }
    Ok(out)
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Canonical query string: decoded pairs re-encoded with the unreserved set,
/// sorted by name then value, joined with `&`. `skip_signature` drops
/// `X-Amz-Signature` (presigned requests).
pub(crate) fn canonical_query(
    raw: Option<&str>,
    skip_signature: bool,
) -> Result<String, SigV4Error> {
    let Some(raw) = raw else {
        return Ok(String::new());
    };
    let mut pairs: Vec<(String, String)> = decode_query(raw)?
        .into_iter()
        .filter(|(name, _)| !(skip_signature && name == b"X-Amz-Signature"))
        .map(|(n, v)| (encode_bytes(&n, UNRESERVED), encode_bytes(&v, UNRESERVED)))
        .collect();
    pairs.sort();
    let parts: Vec<String> = pairs.into_iter().map(|(n, v)| format!("{n}={v}")).collect();
    Ok(parts.join("&"))
}

/// Where a canonical request or string to sign goes: a `String` (to show or test it), or
/// straight into the SHA-256 or HMAC that verification needs, without building it.
pub(crate) trait Sink {
    fn put(&mut self, s: &str);
}

impl Sink for String {
    fn put(&mut self, s: &str) {
        self.push_str(s);
    }
}

impl Sink for Sha256 {
    fn put(&mut self, s: &str) {
        self.update(s.as_bytes());
    }
}

/// The string to sign goes straight into its HMAC.
impl Sink for hmac::Hmac<Sha256> {
    fn put(&mut self, s: &str) {
        hmac::Mac::update(self, s.as_bytes());
    }
}

/// Writes the canonical value of one signed header: every value of that header in
/// arrival order, each trimmed with inner whitespace runs collapsed to one
/// space, joined with `,`. For `host` with no `Host` header (HTTP/2), the URI
/// authority is used. An absent header yields the empty string (the signature
/// then simply does not match). A non-UTF-8 value is rejected as a mismatch.
pub(crate) fn write_header_value(
    sink: &mut impl Sink,
    parts: &http::request::Parts,
    name: &str,
) -> Result<(), SigV4Error> {
    let mut any = false;
    for v in parts.headers.get_all(name) {
        let s = std::str::from_utf8(v.as_bytes()).map_err(|_| {
            SigV4Error::SignatureDoesNotMatch(SIGNATURE_MISMATCH_MESSAGE.to_owned())
        })?;
        if any {
            sink.put(",");
        }
        any = true;
        for (i, word) in s.split_ascii_whitespace().enumerate() {
            if i > 0 {
                sink.put(" ");
            }
            sink.put(word);
        }
    }
    if !any && (name.eq_ignore_ascii_case("host") || name == ":authority") {
        if let Some(authority) = parts.uri.authority() {
            sink.put(authority.as_str());
        }
    }
    Ok(())
}

/// Lowercase hex of a 32-byte digest, on the stack.
pub(crate) struct Hex32([u8; 64]);

impl Hex32 {
    pub(crate) fn of(digest: &[u8]) -> Hex32 {
        let mut out = [0u8; 64];
        // 32 bytes always fit 64 hex digits.
        if hex::encode_to_slice(digest, &mut out).is_err() {
            unreachable!("a SHA-256 digest is 32 bytes");
        }
        Hex32(out)
    }

    pub(crate) fn as_str(&self) -> &str {
        // Hex digits are ASCII.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// The payload hash line. The body hash, unless `x-amz-content-sha256` is
/// `UNSIGNED-PAYLOAD` or a 64-hex digest; a digest that differs from the real
/// body hash is rejected outright with the mismatch message.
pub(crate) fn write_payload_hash(
    sink: &mut impl Sink,
    parts: &http::request::Parts,
    body: &[u8],
) -> Result<(), SigV4Error> {
    let actual = Hex32::of(&Sha256::digest(body));
    let claimed = parts
        .headers
        .get(CONTENT_SHA256)
        .and_then(|v| v.to_str().ok());
    match claimed {
        Some(claimed) if claimed == UNSIGNED_PAYLOAD => sink.put(claimed),
        Some(claimed) if claimed.len() == 64 && claimed.bytes().all(|b| b.is_ascii_hexdigit()) => {
            if !claimed.eq_ignore_ascii_case(actual.as_str()) {
                return Err(SigV4Error::SignatureDoesNotMatch(
                    SIGNATURE_MISMATCH_MESSAGE.to_owned(),
                ));
            }
            sink.put(claimed);
        }
        _ => sink.put(actual.as_str()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments() {
        for (input, want) in [
            ("/", "/"),
            ("//", "/"),
            ("/./", "/"),
            ("/example/..", "/"),
            ("/example1/example2/../..", "/"),
            ("/./example", "/example"),
            ("//example//", "/example/"),
            ("/a/b/../c/", "/a/c/"),
            ("/..", "/"),
        ] {
            assert_eq!(remove_dot_segments(input), want, "{input}");
        }
    }

    #[test]
    fn uri_encoding() {
        assert_eq!(canonical_uri("", true), "/");
        assert_eq!(canonical_uri("/a%20b/", true), "/a%2520b/");
        assert_eq!(canonical_uri("/\u{1234}", true), "/%E1%88%B4");
        assert_eq!(canonical_uri("//x//", false), "//x//");
    }

    #[test]
    fn query() {
        assert_eq!(
            canonical_query(Some("b=2&a=1&a=0&c&+=%20"), false).expect("ok"),
            "%2B=%20&a=0&a=1&b=2&c="
        );
        assert_eq!(
            canonical_query(Some("X-Amz-Signature=abc&x=1"), true).expect("ok"),
            "x=1"
        );
        assert_eq!(
            canonical_query(Some("a=%4"), false),
            Err(SigV4Error::MalformedQueryString(
                "Incomplete trailing escape % sequence".into()
            ))
        );
        assert_eq!(
            canonical_query(Some("a=%zz1"), false),
            Err(SigV4Error::MalformedQueryString(
                "Illegal hex character in escape % pattern: %zz".into()
            ))
        );
    }

    #[test]
    fn header_values() {
        let req = http::Request::builder()
            .uri("http://example.com/")
            .header("x-a", "  a   b \t c  ")
            .header("x-a", "d")
            .header("x-b", "")
            .body(())
            .expect("request");
        let (parts, ()) = req.into_parts();
        let value = |name: &str| {
            let mut out = String::new();
            write_header_value(&mut out, &parts, name).expect("UTF-8");
            out
        };
        assert_eq!(value("x-a"), "a b c,d");
        assert_eq!(value("x-b"), "");
        assert_eq!(value("x-missing"), "");
        assert_eq!(
            value("host"),
            "example.com",
            "the authority stands in for Host"
        );
    }
}
