//! Matchers for the model's patterns that the generated code calls (see
//! `iamd-codegen`'s `pattern.rs`): Unicode categories, sequences of character classes, and
//! the few patterns with groups or alternatives, written by hand. Each matches the whole
//! value, as AWS's validator applies a pattern.

/// `\p{L}`. Rust's `is_alphabetic` is the Alphabetic property: letters plus the few
/// letter-like numbers and marks (a superset of `\p{L}` by those).
pub fn letter(c: char) -> bool {
    c.is_alphabetic()
}

/// `\p{Z}`: space, line and paragraph separators (`Zs`, `Zl`, `Zp`).
pub fn separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// A character class repeated between `min` and `max` times: `(class, min, max)`.
pub type Repeat = (fn(char) -> bool, usize, usize);

/// A sequence of classes, each `(class, min, max)` times, covering the whole value. The
/// classes are short and the counts bounded, so the backtracking is bounded too.
pub fn sequence(s: &str, atoms: &[Repeat]) -> bool {
    fn rest(chars: &[char], atoms: &[Repeat]) -> bool {
        let Some(((class, min, max), atoms)) = atoms.split_first() else {
            return chars.is_empty();
        };
        let mut n = 0;
        while n < chars.len() && n < *max && class(chars[n]) {
            n += 1;
        }
        n >= *min && (*min..=n).rev().any(|k| rest(&chars[k..], atoms))
    }
    let chars: Vec<char> = s.chars().collect();
    rest(&chars, atoms)
}

/// `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`: `/`, or `/…/` of printable ASCII.
pub fn path(s: &str) -> bool {
    s == "/"
        || (s.len() >= 3
            && s.starts_with('/')
            && s.ends_with('/')
            && s.chars().all(|c| ('\u{21}'..='\u{7E}').contains(&c)))
}

/// `((/[A-Za-z0-9\.,\+@=_-]+)*)/`: `/`, or non-empty segments each after a `/`, then `/`.
pub fn policy_path(s: &str) -> bool {
    let Some(inner) = s.strip_suffix('/') else {
        return false;
    };
    inner.is_empty()
        || inner.strip_prefix('/').is_some_and(|segments| {
            segments.split('/').all(|seg| {
                !seg.is_empty()
                    && seg
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || ".,+@=_-".contains(c))
            })
        })
}

/// `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`.
pub fn policy_version_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('v') else {
        return false;
    };
    let (number, suffix) = match rest.split_once('.') {
        Some((n, suffix)) => (n, Some(suffix)),
        None => (rest, None),
    };
    number.starts_with(|c: char| ('1'..='9').contains(&c))
        && number.chars().all(|c| c.is_ascii_digit())
        && suffix.is_none_or(|x| x.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

/// `^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`: 3–63 of `[a-z0-9-]`, starting and ending
/// with a letter or digit, without two hyphens in a row.
pub fn dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    let ok = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    (3..=63).contains(&b.len())
        && b.first().is_some_and(ok)
        && b.last().is_some_and(ok)
        && b.iter().all(|c| ok(c) || *c == b'-')
        && !s.contains("--")
}

/// `^http(s?)://[a-zA-Z0-9._/-]*(\?[a-zA-Z0-9._=&-]*)?(#[a-zA-Z0-9._/-]*)?$`.
pub fn http_url(s: &str) -> bool {
    let Some(rest) = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    else {
        return false;
    };
    let path_char = |c: char| c.is_ascii_alphanumeric() || "._/-".contains(c);
    let (rest, fragment) = match rest.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (rest, None),
    };
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    path.chars().all(path_char)
        && query.is_none_or(|q| {
            q.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._=&-".contains(c))
        })
        && fragment.is_none_or(|f| f.chars().all(path_char))
}

/// `[\x21\x23-\x2B\x2D-\x5B\x5D-\x7E]+( [\x21\x23-\x2B\x2D-\x5B\x5D-\x7E]+)*`: tokens of
/// printable ASCII other than `"`, `,` and `\`, separated by single spaces.
pub fn space_separated_tokens(s: &str) -> bool {
    s.split(' ').all(|token| {
        !token.is_empty()
            && token
                .bytes()
                .all(|b| matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x5B | 0x5D..=0x7E))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_written() {
        assert!(path("/") && path("/a/b/") && !path("//") && !path("/a") && !path("a/"));
        assert!(policy_path("/") && policy_path("/a/b-c/") && !policy_path("//"));
        assert!(!policy_path("/a//b/") && !policy_path("a/"));
        assert!(policy_version_id("v1") && policy_version_id("v12.x-1"));
        assert!(!policy_version_id("v0") && !policy_version_id("1") && !policy_version_id("v"));
        assert!(dns_label("a-b") && dns_label("abc") && !dns_label("a--b") && !dns_label("-ab"));
        assert!(!dns_label("ab"));
        assert!(http_url("https://a.b/c?d=e&f#g") && http_url("http://x"));
        assert!(!http_url("ftp://x") && !http_url("https://a b"));
        assert!(space_separated_tokens("a b") && !space_separated_tokens("a  b"));
        assert!(!space_separated_tokens("") && !space_separated_tokens("a,b"));
    }

    #[test]
    fn sequences() {
        let digit: fn(char) -> bool = |c| c.is_ascii_digit();
        assert!(sequence("123456789012", &[(digit, 12, 12)]));
        assert!(!sequence("12345678901", &[(digit, 12, 12)]));
        let o: fn(char) -> bool = |c| c == 'o';
        let any: fn(char) -> bool = |c| c.is_ascii_lowercase();
        assert!(sequence("oo", &[(o, 1, 1), (any, 0, usize::MAX)]));
        assert!(sequence("ooo", &[(any, 0, usize::MAX), (o, 1, 1)]));
    }
}
