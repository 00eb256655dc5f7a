//! Wildcard matching (`*` any run of characters, `?` exactly one) and policy
//! variable templates (`${aws:username}`, `${*}`, `${key, 'default'}`).
//!
//! Matching runs as a set-of-positions simulation over the subject's bytes:
//! O(pattern × subject), no recursion and no backtracking blow-up.

use crate::context::Context;

/// One piece of a pattern before it is compiled: wildcards are live in
/// `Pattern`, while `Literal` (a substituted variable or an escape) is text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Piece {
    Pattern(String),
    Literal(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Lit(Vec<u8>),
    /// `*`; `cross` = may span the separator.
    Star {
        cross: bool,
    },
    /// `?`: one character, never the separator.
    One,
}

#[derive(Debug, Clone, PartialEq)]
enum Fast {
    /// The pattern is exactly `*` (and may span everything).
    All,
    /// No wildcard: plain equality.
    Exact(Vec<u8>),
    /// A literal then one `*` that may span everything (`iam:Get*`,
    /// `arn:aws:s3:::bucket/*`).
    Prefix(Vec<u8>),
    General,
}

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Glob {
    toks: Vec<Tok>,
    fast: Fast,
    sep: Option<u8>,
}

/// How `*` behaves around `:` in a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `*` spans anything (actions, `StringLike`, ARN condition segments).
    Plain,
    /// Resource ARNs: `*` stays within a colon-separated segment unless it is
    /// the segment's last character ("If the * wildcard is the last character
    /// of a resource ARN segment, it can expand to match beyond the colon
    /// boundaries"); `?` never matches `:`.
    Arn,
}

impl Glob {
    /// Compiles pieces; `fold` lowercases pattern text (the subject must be
    /// lowercased by the caller too).
    pub(crate) fn build(pieces: &[Piece], mode: Mode, fold: bool) -> Glob {
        let sep = match mode {
            Mode::Plain => None,
            Mode::Arn => Some(b':'),
        };
        let mut toks: Vec<Tok> = Vec::new();
        let push_lit = |toks: &mut Vec<Tok>, s: &str| {
            if s.is_empty() {
                return;
            }
            let s = if fold { s.to_lowercase() } else { s.to_owned() };
            if let Some(Tok::Lit(prev)) = toks.last_mut() {
                prev.extend_from_slice(s.as_bytes());
            } else {
                toks.push(Tok::Lit(s.into_bytes()));
            }
        };
        for (pi, piece) in pieces.iter().enumerate() {
            match piece {
                Piece::Literal(s) => push_lit(&mut toks, s),
                Piece::Pattern(p) => {
                    let mut lit = String::new();
                    let mut chars = p.chars().peekable();
                    while let Some(c) = chars.next() {
                        match c {
                            '*' | '?' => {
                                push_lit(&mut toks, &lit);
                                lit.clear();
                                if c == '?' {
                                    toks.push(Tok::One);
                                } else {
                                    let cross = match mode {
                                        Mode::Plain => true,
                                        Mode::Arn => match chars.peek() {
                                            Some(':') => true,
                                            Some(_) => false,
                                            None => pi + 1 == pieces.len(),
                                        },
                                    };
                                    // Collapse runs of stars.
                                    match toks.last_mut() {
                                        Some(Tok::Star { cross: prev }) => *prev |= cross,
                                        _ => toks.push(Tok::Star { cross }),
                                    }
                                }
                            }
                            _ => lit.push(c),
                        }
                    }
                    push_lit(&mut toks, &lit);
                }
            }
        }
        let fast = match toks.as_slice() {
            [] => Fast::Exact(Vec::new()),
            [Tok::Star { cross: true }] => Fast::All,
            [Tok::Lit(l)] => Fast::Exact(l.clone()),
            [Tok::Lit(l), Tok::Star { cross: true }] => Fast::Prefix(l.clone()),
            _ => Fast::General,
        };
        Glob { toks, fast, sep }
    }

    /// Whether `s` matches `pieces` (as [`Glob::build`] without folding would compile
    /// them). Resolved policy variables mostly leave no wildcard at all
    /// (`arn:aws:iam::123456789012:user/${aws:username}`): those are compared piece by
    /// piece, without compiling a pattern for this one request.
    pub(crate) fn pieces_match(pieces: &[Piece], mode: Mode, s: &str) -> bool {
        let wild = pieces
            .iter()
            .any(|p| matches!(p, Piece::Pattern(t) if t.contains(['*', '?'])));
        if wild {
            return Glob::build(pieces, mode, false).matches(s);
        }
        let mut rest = s;
        for p in pieces {
            let (Piece::Pattern(t) | Piece::Literal(t)) = p;
            match rest.strip_prefix(t.as_str()) {
                Some(r) => rest = r,
                None => return false,
            }
        }
        rest.is_empty()
    }

    /// A pattern string with live wildcards.
    pub(crate) fn new(pattern: &str, mode: Mode, fold: bool) -> Glob {
        Glob::build(&[Piece::Pattern(pattern.to_owned())], mode, fold)
    }

    /// Whether the whole of `s` matches.
    pub(crate) fn matches(&self, s: &str) -> bool {
        match &self.fast {
            Fast::All => return true,
            Fast::Exact(l) => return l.as_slice() == s.as_bytes(),
            Fast::Prefix(l) => return s.as_bytes().starts_with(l),
            Fast::General => {}
        }
        let b = s.as_bytes();
        let n = b.len();
        // Two rows of positions; on the stack for subjects of ordinary length (ARNs, action
        // names), since this runs for every statement on every request.
        const STACK: usize = 256;
        let mut stack = [[false; STACK]; 2];
        let mut heap;
        let (cur, next) = if n < STACK {
            let [cur, next] = &mut stack;
            (&mut cur[..=n], &mut next[..=n])
        } else {
            heap = [vec![false; n + 1], vec![false; n + 1]];
            let [cur, next] = &mut heap;
            (&mut cur[..], &mut next[..])
        };
        let (mut cur, mut next) = (cur, next);
        cur[0] = true;
        for tok in &self.toks {
            next.iter_mut().for_each(|x| *x = false);
            let mut any = false;
            match tok {
                Tok::Lit(l) => {
                    for i in 0..=n {
                        if cur[i] && b[i..].starts_with(l) {
                            next[i + l.len()] = true;
                            any = true;
                        }
                    }
                }
                Tok::One => {
                    for i in 0..n {
                        if cur[i] && Some(b[i]) != self.sep {
                            let w = utf8_width(b[i]);
                            if i + w <= n {
                                next[i + w] = true;
                                any = true;
                            }
                        }
                    }
                }
                Tok::Star { cross } => {
                    let mut on = false;
                    for i in 0..=n {
                        if cur[i] {
                            on = true;
                        }
                        if on && s.is_char_boundary(i) {
                            next[i] = true;
                            any = true;
                        }
                        if i < n && !cross && Some(b[i]) == self.sep {
                            on = false;
                        }
                    }
                }
            }
            if !any {
                return false;
            }
            std::mem::swap(&mut cur, &mut next);
        }
        cur[n]
    }
}

fn utf8_width(first: u8) -> usize {
    match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

/// One part of a policy string that may hold variables.
#[derive(Debug, Clone, PartialEq)]
enum TPart {
    Text(String),
    Escape(char),
    Var {
        key: String,
        default: Option<String>,
    },
}

/// A policy string, split into text and `${...}` variables. With
/// `vars == false` (Version 2008-10-17 or none) the whole string is text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Template {
    parts: Vec<TPart>,
}

impl Template {
    pub(crate) fn parse(s: &str, vars: bool) -> Template {
        if !vars || !s.contains("${") {
            return Template {
                parts: vec![TPart::Text(s.to_owned())],
            };
        }
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut rest = s;
        while let Some(at) = rest.find("${") {
            let after = &rest[at + 2..];
            let Some(end) = find_var_end(after) else {
                break;
            };
            text.push_str(&rest[..at]);
            let inner = &after[..end];
            let part = match inner {
                "*" => TPart::Escape('*'),
                "?" => TPart::Escape('?'),
                "$" => TPart::Escape('$'),
                _ => parse_var(inner),
            };
            if !text.is_empty() {
                parts.push(TPart::Text(std::mem::take(&mut text)));
            }
            parts.push(part);
            rest = &after[end + 1..];
        }
        text.push_str(rest);
        if !text.is_empty() {
            parts.push(TPart::Text(text));
        }
        Template { parts }
    }

    /// True when the string has no variable to resolve per request.
    pub(crate) fn is_static(&self) -> bool {
        !self.parts.iter().any(|p| matches!(p, TPart::Var { .. }))
    }

    /// Resolves the variables against `ctx`; `None` when one has no
    /// (single) value and no default.
    pub(crate) fn resolve(&self, ctx: &Context) -> Option<Vec<Piece>> {
        let mut out = Vec::with_capacity(self.parts.len());
        for p in &self.parts {
            out.push(match p {
                TPart::Text(t) => Piece::Pattern(t.clone()),
                TPart::Escape(c) => Piece::Literal(c.to_string()),
                TPart::Var { key, default } => match ctx.single_string(key) {
                    Some(v) => Piece::Literal(v),
                    None => Piece::Literal(default.clone()?),
                },
            });
        }
        Some(out)
    }

    /// The pieces of a static template.
    pub(crate) fn static_pieces(&self) -> Vec<Piece> {
        self.parts
            .iter()
            .map(|p| match p {
                TPart::Text(t) => Piece::Pattern(t.clone()),
                TPart::Escape(c) => Piece::Literal(c.to_string()),
                TPart::Var { .. } => Piece::Literal(String::new()),
            })
            .collect()
    }
}

/// The pieces as plain text, wildcards included (for exact comparisons).
pub(crate) fn flatten(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Pattern(s) | Piece::Literal(s) => s.as_str(),
        })
        .collect()
}

/// The closing brace of a variable, skipping braces inside a quoted default.
pub(crate) fn find_var_end(s: &str) -> Option<usize> {
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '}' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

fn parse_var(inner: &str) -> TPart {
    if let Some((key, def)) = inner.split_once(',') {
        let def = def.trim();
        if def.len() >= 2 && def.starts_with('\'') && def.ends_with('\'') {
            return TPart::Var {
                key: key.trim().to_ascii_lowercase(),
                default: Some(def[1..def.len() - 1].replace("''", "'")),
            };
        }
    }
    TPart::Var {
        key: inner.trim().to_ascii_lowercase(),
        default: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_globs() {
        let g = |p: &str, s: &str| Glob::new(p, Mode::Plain, false).matches(s);
        assert!(g("*", ""));
        assert!(g("a*c", "abbbc"));
        assert!(g("a?c", "abc"));
        assert!(!g("a?c", "ac"));
        assert!(g("a?c", "aéc"));
        assert!(g("*a*b*", "xxaxxbxx"));
        assert!(!g("*a*b*", "xxbxxaxx"));
        assert!(g("", ""));
        assert!(!g("", "a"));
        assert!(g("ab*", "ab"));
        assert!(g("ab*", "abc:d/e"));
        assert!(!g("ab*", "a"));
    }

    #[test]
    fn arn_globs() {
        let g = |p: &str, s: &str| Glob::new(p, Mode::Arn, false).matches(s);
        assert!(g("arn:aws:iam::*:user/*", "arn:aws:iam::123:user/a/b"));
        assert!(g("arn:aws:s3:::b/*/test/*", "arn:aws:s3:::b/1/2/test/3/x"));
        assert!(!g("arn:aws:iam::1*3:user/x", "arn:aws:iam::1:2:3:user/x"));
        assert!(g("arn:aws:iam::*:user/x", "arn:aws:iam::1:2:user/x"));
        assert!(g(
            "arn:aws:logs:*:*:log-group:g:*",
            "arn:aws:logs:r:1:log-group:g:s:t"
        ));
    }

    #[test]
    fn pieces_match_as_compiled_globs_do() {
        let pat = |t: &str| Piece::Pattern(t.to_owned());
        let lit = |t: &str| Piece::Literal(t.to_owned());
        let cases: Vec<(Vec<Piece>, &str)> = vec![
            (
                vec![pat("arn:aws:iam::1:user/"), lit("alice")],
                "arn:aws:iam::1:user/alice",
            ),
            (
                vec![pat("arn:aws:iam::1:user/"), lit("alice")],
                "arn:aws:iam::1:user/alicex",
            ),
            (
                vec![pat("arn:aws:iam::1:user/"), lit("alice")],
                "arn:aws:iam::1:user/alic",
            ),
            (
                vec![pat("arn:aws:iam::1:user/"), lit("*")],
                "arn:aws:iam::1:user/*",
            ),
            (
                vec![pat("arn:aws:iam::1:user/"), lit("*")],
                "arn:aws:iam::1:user/bob",
            ),
            (
                vec![pat("arn:aws:iam::*:user/"), lit("bob")],
                "arn:aws:iam::1:user/bob",
            ),
            (
                vec![pat("arn:aws:iam::?:user/"), lit("bob")],
                "arn:aws:iam::1:user/bob",
            ),
            (vec![lit(""), pat("")], ""),
            (vec![lit("a"), pat("b")], "ab"),
        ];
        for (pieces, s) in cases {
            assert_eq!(
                Glob::pieces_match(&pieces, Mode::Arn, s),
                Glob::build(&pieces, Mode::Arn, false).matches(s),
                "{pieces:?} against {s}"
            );
        }
        // Subjects longer than the stack rows.
        let long = "x".repeat(300);
        assert!(Glob::new("x*x", Mode::Plain, false).matches(&long));
        assert!(!Glob::new("x*y", Mode::Plain, false).matches(&long));
    }

    #[test]
    fn templates() {
        let t = Template::parse("a/${aws:username}/${*}", true);
        assert!(!t.is_static());
        let t2 = Template::parse("a/${aws:username}", false);
        assert!(t2.is_static());
        let t3 = Template::parse("${aws:username, 'it''s'}", true);
        assert_eq!(
            t3.parts,
            vec![TPart::Var {
                key: "aws:username".into(),
                default: Some("it's".into())
            }]
        );
    }
}
