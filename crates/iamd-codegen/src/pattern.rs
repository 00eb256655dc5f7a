//! The model's patterns (Java regular expressions, matched against the whole value) turned
//! into Rust matchers.
//!
//! Almost every pattern is a run of one character class (`[\w+=,.@-]+`) or a short
//! sequence of classes with counts (`^o-[a-z0-9]{10,32}$`): those compile here into
//! `matches!` predicates, read exactly as Java reads them (`\uXXXX` takes four hex
//! digits; `\w` is ASCII). The few with groups or alternatives are matched by hand-written
//! functions in `iamd_protocol::patterns`, named in [`HAND_WRITTEN`]; a pattern that is
//! neither stops the generator, so a model refresh cannot slip one through unchecked.

/// Patterns with groups, alternatives or look-ahead, and the function matching each.
pub const HAND_WRITTEN: &[(&str, &str)] = &[
    (r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)", "path"),
    (r"((/[A-Za-z0-9\.,\+@=_-]+)*)/", "policy_path"),
    (r"v[1-9][0-9]*(\.[A-Za-z0-9-]*)?", "policy_version_id"),
    (r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$", "dns_label"),
    (
        r"^http(s?)://[a-zA-Z0-9._/-]*(\?[a-zA-Z0-9._=&-]*)?(#[a-zA-Z0-9._/-]*)?$",
        "http_url",
    ),
    (
        r"[\x21\x23-\x2B\x2D-\x5B\x5D-\x7E]+( [\x21\x23-\x2B\x2D-\x5B\x5D-\x7E]+)*",
        "space_separated_tokens",
    ),
];

/// One element of a class: a range of characters or a Unicode category.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    Range(char, char),
    /// `\p{L}`, `\p{Z}`, `\p{N}`.
    Category(char),
}

#[derive(Debug)]
struct Atom {
    items: Vec<Item>,
    min: usize,
    max: Option<usize>,
}

fn word() -> Vec<Item> {
    vec![
        Item::Range('a', 'z'),
        Item::Range('A', 'Z'),
        Item::Range('0', '9'),
        Item::Range('_', '_'),
    ]
}

struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    text: &'a str,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        self.pos += 1;
        c
    }

    fn hex(&mut self, digits: usize) -> Option<char> {
        let s: String = (0..digits).filter_map(|_| self.next()).collect();
        char::from_u32(u32::from_str_radix(&s, 16).ok()?)
    }

    /// After a backslash: the items it stands for.
    fn escape(&mut self) -> Option<Vec<Item>> {
        let c = self.next()?;
        let single = |c| Some(vec![Item::Range(c, c)]);
        match c {
            'w' => Some(word()),
            'd' => Some(vec![Item::Range('0', '9')]),
            'u' => single(self.hex(4)?),
            'x' => single(self.hex(2)?),
            'p' => {
                if self.next()? != '{' {
                    return None;
                }
                let cat = self.next()?;
                if self.next()? != '}' || !"LZN".contains(cat) {
                    return None;
                }
                Some(vec![Item::Category(cat)])
            }
            c if c.is_ascii_punctuation() => single(c),
            _ => None,
        }
    }

    /// One character inside a class, for ranges: a literal or a one-character escape.
    fn class_char(&mut self) -> Option<Result<char, Vec<Item>>> {
        match self.next()? {
            '\\' => {
                let items = self.escape()?;
                match items.as_slice() {
                    [Item::Range(a, b)] if a == b => Some(Ok(*a)),
                    _ => Some(Err(items)),
                }
            }
            c => Some(Ok(c)),
        }
    }

    fn class(&mut self) -> Option<Vec<Item>> {
        let mut items = Vec::new();
        loop {
            if self.peek()? == ']' {
                self.pos += 1;
                return Some(items);
            }
            match self.class_char()? {
                Err(multi) => items.extend(multi),
                Ok(lo) => {
                    let is_range = self.peek() == Some('-')
                        && self.chars.get(self.pos + 1).is_some_and(|&c| c != ']');
                    if is_range {
                        self.pos += 1;
                        match self.class_char()? {
                            Ok(hi) => items.push(Item::Range(lo, hi)),
                            Err(_) => return None,
                        }
                    } else {
                        items.push(Item::Range(lo, lo));
                    }
                }
            }
        }
    }

    fn number(&mut self) -> Option<usize> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        self.chars[start..self.pos]
            .iter()
            .collect::<String>()
            .parse()
            .ok()
    }

    fn quantifier(&mut self) -> Option<(usize, Option<usize>)> {
        Some(match self.peek() {
            Some('+') => {
                self.pos += 1;
                (1, None)
            }
            Some('*') => {
                self.pos += 1;
                (0, None)
            }
            Some('?') => {
                self.pos += 1;
                (0, Some(1))
            }
            Some('{') => {
                self.pos += 1;
                let min = self.number()?;
                let max = match self.next()? {
                    '}' => Some(min),
                    ',' => {
                        let max = self.number()?;
                        if self.next()? != '}' {
                            return None;
                        }
                        Some(max)
                    }
                    _ => return None,
                };
                (min, max)
            }
            _ => (1, Some(1)),
        })
    }

    fn atoms(&mut self) -> Option<Vec<Atom>> {
        let mut atoms = Vec::new();
        if self.peek() == Some('^') {
            self.pos += 1;
        }
        while let Some(c) = self.next() {
            let items = match c {
                '$' if self.peek().is_none() => break,
                '[' => self.class()?,
                '\\' => self.escape()?,
                '(' | ')' | '|' | '.' | '^' | '$' | '+' | '*' | '?' | '{' => return None,
                c => vec![Item::Range(c, c)],
            };
            let (min, max) = self.quantifier()?;
            atoms.push(Atom { items, min, max });
        }
        let _ = self.text;
        Some(atoms)
    }
}

fn char_lit(c: char) -> String {
    format!("{:?}", c)
}

fn predicate(items: &[Item]) -> String {
    // The ranges sorted and merged, so that no arm of the `matches!` is unreachable.
    let mut spans: Vec<(u32, u32)> = items
        .iter()
        .filter_map(|i| match i {
            Item::Range(a, b) => Some((*a as u32, *b as u32)),
            Item::Category(_) => None,
        })
        .collect();
    spans.sort_unstable();
    let mut merged: Vec<(u32, u32)> = Vec::new();
    for (a, b) in spans {
        match merged.last_mut() {
            Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    let ch = |n: u32| char::from_u32(n).expect("a character");
    let mut ranges = Vec::new();
    let mut calls = Vec::new();
    for (a, b) in merged {
        if a == b {
            ranges.push(char_lit(ch(a)));
        } else {
            ranges.push(format!("{}..={}", char_lit(ch(a)), char_lit(ch(b))));
        }
    }
    for item in items {
        match item {
            Item::Range(..) => {}
            Item::Category('L') => calls.push("crate::patterns::letter(c)".to_owned()),
            Item::Category('Z') => calls.push("crate::patterns::separator(c)".to_owned()),
            Item::Category(_) => calls.push("c.is_numeric()".to_owned()),
        }
    }
    let mut parts = Vec::new();
    if !ranges.is_empty() {
        parts.push(format!("matches!(c, {})", ranges.join(" | ")));
    }
    parts.extend(calls);
    parts.join(" || ")
}

/// The body of `fn(s: &str) -> bool` matching `pattern`, or `None` for a pattern this
/// compiler does not take (see [`HAND_WRITTEN`]).
pub fn compile(pattern: &str) -> Option<String> {
    if let Some((_, f)) = HAND_WRITTEN.iter().find(|(p, _)| *p == pattern) {
        return Some(format!("crate::patterns::{f}(s)"));
    }
    let mut parser = Parser {
        chars: pattern.chars().collect(),
        pos: 0,
        text: pattern,
    };
    let atoms = parser.atoms()?;
    match atoms.as_slice() {
        [one] if one.max.is_none() => {
            let all = format!("s.chars().all(|c| {})", predicate(&one.items));
            Some(match one.min {
                0 => all,
                1 => format!("!s.is_empty() && {all}"),
                n => format!("s.chars().count() >= {n} && {all}"),
            })
        }
        _ => {
            let parts: Vec<String> = atoms
                .iter()
                .map(|a| {
                    format!(
                        "(|c: char| {}, {}, {})",
                        predicate(&a.items),
                        a.min,
                        a.max.map_or("usize::MAX".to_owned(), |m| m.to_string())
                    )
                })
                .collect();
            Some(format!(
                "crate::patterns::sequence(s, &[{}])",
                parts.join(", ")
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(
            compile(r"[\w+=,.@-]+").unwrap(),
            "!s.is_empty() && s.chars().all(|c| matches!(c, '+'..='.' | '0'..='9' | '=' | '@'..='Z' | '_' | 'a'..='z'))"
        );
        assert_eq!(
            compile(r"[\u0009\u000A\u000D\u0020-\u00FF]+").unwrap(),
            "!s.is_empty() && s.chars().all(|c| matches!(c, '\\t'..='\\n' | '\\r' | ' '..='ÿ'))"
        );
        assert!(compile(r"\d{12}")
            .unwrap()
            .starts_with("crate::patterns::sequence"));
        assert!(compile(r"(a)|(b)").is_none());
        assert_eq!(
            compile(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*").unwrap(),
            "s.chars().all(|c| matches!(c, '+' | '-'..='/' | ':' | '=' | '@' | '_') || crate::patterns::letter(c) || crate::patterns::separator(c) || c.is_numeric())"
        );
    }
}
