//! Condition operators: parsing their names, compiling their values, and
//! testing them against a request [`Context`].
//!
//! Rules (IAM User Guide, "IAM JSON policy elements: Condition operators" and
//! "Single-valued vs. multivalued context keys"):
//! * a key absent from the context makes the condition false, except for
//!   negated operators (`StringNotEquals`, `ArnNotLike`, `NotIpAddress`, …),
//!   which are then true, `…IfExists` operators (true) and `Null`;
//! * several values for one key are ORed; a negated operator is true when the
//!   context value matches none of them;
//! * `ForAllValues:` is true when every context value passes (and when the
//!   key is absent or empty); `ForAnyValue:` when at least one does (false
//!   when absent or empty).

use std::net::IpAddr;

use crate::context::{Context, ContextValue};
use crate::glob::{flatten, Glob, Mode, Piece, Template};

/// A set qualifier on a condition operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier {
    /// `ForAnyValue:`.
    ForAnyValue,
    /// `ForAllValues:`.
    ForAllValues,
}

/// The base condition operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum BaseOperator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

const BASE_OPERATORS: &[(&str, BaseOperator)] = &[
    ("StringEquals", BaseOperator::StringEquals),
    ("StringNotEquals", BaseOperator::StringNotEquals),
    (
        "StringEqualsIgnoreCase",
        BaseOperator::StringEqualsIgnoreCase,
    ),
    (
        "StringNotEqualsIgnoreCase",
        BaseOperator::StringNotEqualsIgnoreCase,
    ),
    ("StringLike", BaseOperator::StringLike),
    ("StringNotLike", BaseOperator::StringNotLike),
    ("NumericEquals", BaseOperator::NumericEquals),
    ("NumericNotEquals", BaseOperator::NumericNotEquals),
    ("NumericLessThan", BaseOperator::NumericLessThan),
    ("NumericLessThanEquals", BaseOperator::NumericLessThanEquals),
    ("NumericGreaterThan", BaseOperator::NumericGreaterThan),
    (
        "NumericGreaterThanEquals",
        BaseOperator::NumericGreaterThanEquals,
    ),
    ("DateEquals", BaseOperator::DateEquals),
    ("DateNotEquals", BaseOperator::DateNotEquals),
    ("DateLessThan", BaseOperator::DateLessThan),
    ("DateLessThanEquals", BaseOperator::DateLessThanEquals),
    ("DateGreaterThan", BaseOperator::DateGreaterThan),
    ("DateGreaterThanEquals", BaseOperator::DateGreaterThanEquals),
    ("Bool", BaseOperator::Bool),
    ("BinaryEquals", BaseOperator::BinaryEquals),
    ("IpAddress", BaseOperator::IpAddress),
    ("NotIpAddress", BaseOperator::NotIpAddress),
    ("ArnEquals", BaseOperator::ArnEquals),
    ("ArnLike", BaseOperator::ArnLike),
    ("ArnNotEquals", BaseOperator::ArnNotEquals),
    ("ArnNotLike", BaseOperator::ArnNotLike),
    ("Null", BaseOperator::Null),
];

impl BaseOperator {
    /// True for the negated operators, which hold when nothing matches.
    pub fn is_negated(self) -> bool {
        use BaseOperator::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }

    /// True for the `Date*` operators, whose values are checked on write.
    pub fn is_date(self) -> bool {
        use BaseOperator::*;
        matches!(
            self,
            DateEquals
                | DateNotEquals
                | DateLessThan
                | DateLessThanEquals
                | DateGreaterThan
                | DateGreaterThanEquals
        )
    }

    /// Whether policy variables are substituted in this operator's values.
    fn takes_variables(self) -> bool {
        use BaseOperator::*;
        matches!(
            self,
            StringEquals
                | StringNotEquals
                | StringEqualsIgnoreCase
                | StringNotEqualsIgnoreCase
                | StringLike
                | StringNotLike
                | ArnEquals
                | ArnLike
                | ArnNotEquals
                | ArnNotLike
                | Bool
        )
    }
}

/// A full condition operator: `[ForAnyValue:|ForAllValues:]Base[IfExists]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator {
    /// The set qualifier, if any.
    pub qualifier: Option<Qualifier>,
    /// The base operator.
    pub base: BaseOperator,
    /// The `IfExists` suffix.
    pub if_exists: bool,
}

impl Operator {
    /// Parses an operator name (case-sensitive, as AWS spells them).
    /// `Null` takes neither `IfExists` nor a qualifier.
    pub fn parse(name: &str) -> Option<Operator> {
        let (qualifier, rest) = if let Some(r) = name.strip_prefix("ForAnyValue:") {
            (Some(Qualifier::ForAnyValue), r)
        } else if let Some(r) = name.strip_prefix("ForAllValues:") {
            (Some(Qualifier::ForAllValues), r)
        } else {
            (None, name)
        };
        let lookup = |s: &str| BASE_OPERATORS.iter().find(|(n, _)| *n == s).map(|x| x.1);
        let (base, if_exists) = match lookup(rest) {
            Some(b) => (b, false),
            None => (lookup(rest.strip_suffix("IfExists")?)?, true),
        };
        if base == BaseOperator::Null && (if_exists || qualifier.is_some()) {
            return None;
        }
        Some(Operator {
            qualifier,
            base,
            if_exists,
        })
    }
}

/// A CIDR block.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cidr {
    V4(u32, u32),
    V6(u128, u128),
}

impl Cidr {
    fn parse(s: &str) -> Option<Cidr> {
        let s = s.trim();
        let (addr, len) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l.parse::<u32>().ok()?)),
            None => (s, None),
        };
        match addr.parse::<IpAddr>().ok()? {
            IpAddr::V4(a) => {
                let len = len.unwrap_or(32);
                if len > 32 {
                    return None;
                }
                let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
                Some(Cidr::V4(u32::from(a) & mask, mask))
            }
            IpAddr::V6(a) => {
                let len = len.unwrap_or(128);
                if len > 128 {
                    return None;
                }
                let mask = if len == 0 {
                    0
                } else {
                    u128::MAX << (128 - len)
                };
                Some(Cidr::V6(u128::from(a) & mask, mask))
            }
        }
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (self, ip) {
            (Cidr::V4(net, mask), IpAddr::V4(a)) => u32::from(a) & mask == *net,
            (Cidr::V6(net, mask), IpAddr::V6(a)) => u128::from(a) & mask == *net,
            _ => false,
        }
    }
}

/// One policy value, ready to test a context value against.
#[derive(Debug, Clone, PartialEq)]
enum Matcher {
    Exact(String),
    Fold(String),
    Like(Glob),
    Arn(Vec<Glob>),
    Bool(Option<bool>),
    Num(Option<f64>),
    Date(Option<i128>),
    Cidr(Option<Cidr>),
}

#[derive(Debug, Clone, PartialEq)]
enum PolicyValue {
    Static(Matcher),
    Dynamic(Template),
}

/// One `operator: { key: values }` entry, compiled.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CompiledCondition {
    op: Operator,
    key: String,
    values: Vec<PolicyValue>,
}

impl CompiledCondition {
    pub(crate) fn compile(op: Operator, key: &str, values: &[String], vars: bool) -> Self {
        let vars = vars && op.base.takes_variables();
        let values = values
            .iter()
            .map(|v| {
                let t = Template::parse(v, vars);
                if t.is_static() {
                    PolicyValue::Static(matcher(op.base, &t.static_pieces()))
                } else {
                    PolicyValue::Dynamic(t)
                }
            })
            .collect();
        CompiledCondition {
            op,
            key: key.to_ascii_lowercase(),
            values,
        }
    }

    pub(crate) fn evaluate(&self, ctx: &Context) -> bool {
        let found = ctx.get(&self.key);
        if self.op.base == BaseOperator::Null {
            let present = found.is_some();
            return self.values.iter().any(|v| match v {
                PolicyValue::Static(Matcher::Bool(Some(want_null))) => *want_null != present,
                _ => false,
            });
        }
        let negated = self.op.base.is_negated();
        let Some(found) = found else {
            return match self.op.qualifier {
                Some(Qualifier::ForAllValues) => true,
                Some(Qualifier::ForAnyValue) => self.op.if_exists,
                None => self.op.if_exists || negated,
            };
        };
        // Resolve variables once per evaluation; a value whose variable has
        // no value matches nothing.
        let mut owned: Vec<Matcher> = Vec::new();
        let mut borrowed: Vec<&Matcher> = Vec::with_capacity(self.values.len());
        for v in &self.values {
            match v {
                PolicyValue::Static(m) => borrowed.push(m),
                PolicyValue::Dynamic(t) => {
                    if let Some(pieces) = t.resolve(ctx) {
                        owned.push(matcher(self.op.base, &pieces));
                    }
                }
            }
        }
        let base = self.op.base;
        let hit = |cv: &ContextValue| {
            borrowed.iter().any(|m| test(base, m, cv)) || owned.iter().any(|m| test(base, m, cv))
        };
        let pass = |cv: &ContextValue| hit(cv) != negated;
        match self.op.qualifier {
            None => found.iter().any(hit) != negated,
            Some(Qualifier::ForAnyValue) => found.iter().any(pass),
            Some(Qualifier::ForAllValues) => found.iter().all(pass),
        }
    }
}

fn matcher(base: BaseOperator, pieces: &[Piece]) -> Matcher {
    use BaseOperator::*;
    match base {
        StringEquals | StringNotEquals | BinaryEquals => Matcher::Exact(flatten(pieces)),
        StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => {
            Matcher::Fold(flatten(pieces).to_lowercase())
        }
        StringLike | StringNotLike => Matcher::Like(Glob::build(pieces, Mode::Plain, false)),
        ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => arn_matcher(pieces),
        Bool | Null => Matcher::Bool(parse_bool(&flatten(pieces))),
        NumericEquals
        | NumericNotEquals
        | NumericLessThan
        | NumericLessThanEquals
        | NumericGreaterThan
        | NumericGreaterThanEquals => Matcher::Num(flatten(pieces).trim().parse::<f64>().ok()),
        DateEquals
        | DateNotEquals
        | DateLessThan
        | DateLessThanEquals
        | DateGreaterThan
        | DateGreaterThanEquals => Matcher::Date(parse_date(&flatten(pieces))),
        IpAddress | NotIpAddress => Matcher::Cidr(Cidr::parse(&flatten(pieces))),
    }
}

/// Splits the pattern into the six colon-separated ARN components (the last
/// keeps any further colons) and compiles each; fewer than six never match.
fn arn_matcher(pieces: &[Piece]) -> Matcher {
    let mut segs: Vec<Vec<Piece>> = vec![Vec::new()];
    for p in pieces {
        let (text, live) = match p {
            Piece::Pattern(s) => (s.as_str(), true),
            Piece::Literal(s) => (s.as_str(), false),
        };
        let mk = |s: &str| {
            if live {
                Piece::Pattern(s.to_owned())
            } else {
                Piece::Literal(s.to_owned())
            }
        };
        let mut rest = text;
        while segs.len() < 6 {
            match rest.split_once(':') {
                Some((a, b)) => {
                    if let Some(s) = segs.last_mut() {
                        s.push(mk(a));
                    }
                    segs.push(Vec::new());
                    rest = b;
                }
                None => break,
            }
        }
        if let Some(s) = segs.last_mut() {
            s.push(mk(rest));
        }
    }
    if segs.len() < 6 {
        return Matcher::Arn(Vec::new());
    }
    Matcher::Arn(
        segs.iter()
            .map(|s| Glob::build(s, Mode::Plain, false))
            .collect(),
    )
}

fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn test(base: BaseOperator, m: &Matcher, cv: &ContextValue) -> bool {
    match m {
        Matcher::Exact(s) => &cv.to_text() == s,
        Matcher::Fold(s) => &cv.to_text().to_lowercase() == s,
        Matcher::Like(g) => g.matches(&cv.to_text()),
        Matcher::Arn(segs) => {
            if segs.len() != 6 {
                return false;
            }
            let text = cv.to_text();
            let parts: Vec<&str> = text.splitn(6, ':').collect();
            parts.len() == 6 && segs.iter().zip(parts).all(|(g, p)| g.matches(p))
        }
        Matcher::Bool(want) => {
            let got = match cv {
                ContextValue::Bool(b) => Some(*b),
                other => parse_bool(&other.to_text()),
            };
            want.is_some() && got == *want
        }
        Matcher::Num(want) => {
            let (Some(want), Some(got)) = (want, context_number(cv)) else {
                return false;
            };
            compare(base, got.partial_cmp(want))
        }
        Matcher::Date(want) => {
            let (Some(want), Some(got)) = (want, context_date(cv)) else {
                return false;
            };
            compare(base, Some(got.cmp(want)))
        }
        Matcher::Cidr(cidr) => {
            let Some(cidr) = cidr else { return false };
            let ip = match cv {
                ContextValue::Ip(ip) => Some(*ip),
                other => {
                    let t = other.to_text();
                    t.trim().parse::<IpAddr>().ok()
                }
            };
            ip.is_some_and(|ip| cidr.contains(ip))
        }
    }
}

/// `ord` is context-value versus policy-value.
fn compare(base: BaseOperator, ord: Option<std::cmp::Ordering>) -> bool {
    use std::cmp::Ordering::*;
    use BaseOperator::*;
    let Some(ord) = ord else { return false };
    match base {
        NumericEquals | NumericNotEquals | DateEquals | DateNotEquals => ord == Equal,
        NumericLessThan | DateLessThan => ord == Less,
        NumericLessThanEquals | DateLessThanEquals => ord != Greater,
        NumericGreaterThan | DateGreaterThan => ord == Greater,
        NumericGreaterThanEquals | DateGreaterThanEquals => ord != Less,
        _ => false,
    }
}

fn context_number(cv: &ContextValue) -> Option<f64> {
    match cv {
        ContextValue::Number(n) => Some(*n),
        ContextValue::String(s) => s.trim().parse().ok(),
        ContextValue::Date(d) => Some(d.unix_timestamp() as f64),
        ContextValue::Bool(_) | ContextValue::Ip(_) => None,
    }
}

fn context_date(cv: &ContextValue) -> Option<i128> {
    match cv {
        ContextValue::Date(d) => Some(d.unix_timestamp_nanos()),
        ContextValue::Number(n) if n.is_finite() => Some((*n * 1e9) as i128),
        ContextValue::String(s) => parse_date(s),
        _ => None,
    }
}

/// Parses a date as the `Date*` operators read one: W3C ISO 8601
/// (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`, optionally `Thh:mm[:ss[.fff]]` and a
/// zone `Z`/`±hh[:mm]`; no zone means UTC) or Unix epoch seconds. Returns
/// nanoseconds since the epoch.
pub(crate) fn parse_date(s: &str) -> Option<i128> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return Some(s.parse::<i64>().ok()? as i128 * 1_000_000_000);
    }
    let (date, time_part) = match s.find(['T', 't']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mut it = date.split('-');
    let year: i32 = num(it.next()?, 4)?;
    let month: u8 = it.next().map_or(Some(1), |m| num(m, 2))?;
    let day: u8 = it.next().map_or(Some(1), |d| num(d, 2))?;
    if it.next().is_some() {
        return None;
    }
    let month = time::Month::try_from(month).ok()?;
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    let days = i128::from(date.to_julian_day()) - 2_440_588;
    let mut secs = days * 86_400;
    let mut nanos: i128 = 0;
    if let Some(t) = time_part {
        let (clock, offset) = split_zone(t)?;
        let mut parts = clock.split(':');
        let h: u8 = num(parts.next()?, 2)?;
        let m: u8 = parts.next().map_or(Some(0), |m| num(m, 2))?;
        let (sec, frac) = match parts.next() {
            Some(sf) => match sf.split_once('.') {
                Some((a, f)) => (num::<u8>(a, 2)?, Some(f)),
                None => (num::<u8>(sf, 2)?, None),
            },
            None => (0, None),
        };
        if parts.next().is_some() || h > 23 || m > 59 || sec > 60 {
            return None;
        }
        if let Some(f) = frac {
            if f.is_empty() || f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            nanos = f.parse::<i128>().ok()? * 10i128.pow(9 - f.len() as u32);
        }
        secs += i128::from(h) * 3600 + i128::from(m) * 60 + i128::from(sec) - offset;
    }
    Some(secs * 1_000_000_000 + nanos)
}

/// Splits `hh:mm:ss…` from its zone; returns the zone offset in seconds.
fn split_zone(t: &str) -> Option<(&str, i128)> {
    if let Some(c) = t.strip_suffix(['Z', 'z']) {
        return Some((c, 0));
    }
    let Some(i) = t.find(['+', '-']) else {
        return Some((t, 0));
    };
    let sign: i128 = if t.as_bytes()[i] == b'-' { -1 } else { 1 };
    let zone = &t[i + 1..];
    if !zone.is_ascii() {
        return None;
    }
    let (zh, zm) = match zone.split_once(':') {
        Some((h, m)) => (num::<u8>(h, 2)?, num::<u8>(m, 2)?),
        None if zone.len() == 4 => (num::<u8>(&zone[..2], 2)?, num::<u8>(&zone[2..], 2)?),
        None => (num::<u8>(zone, 2)?, 0),
    };
    if zh > 23 || zm > 59 {
        return None;
    }
    Some((
        &t[..i],
        sign * (i128::from(zh) * 3600 + i128::from(zm) * 60),
    ))
}

fn num<T: std::str::FromStr>(s: &str, max_len: usize) -> Option<T> {
    if s.is_empty() || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names() {
        let op = Operator::parse("ForAnyValue:StringLikeIfExists").unwrap();
        assert_eq!(op.qualifier, Some(Qualifier::ForAnyValue));
        assert_eq!(op.base, BaseOperator::StringLike);
        assert!(op.if_exists);
        assert!(Operator::parse("NullIfExists").is_none());
        assert!(Operator::parse("stringequals").is_none());
        assert!(Operator::parse("IfExists").is_none());
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_date("0"), Some(0));
        assert_eq!(parse_date("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_date("1970-01-02"), Some(86_400_000_000_000));
        assert_eq!(
            parse_date("2019-07-16T12:00:00Z"),
            Some(1_563_278_400_000_000_000)
        );
        assert_eq!(parse_date("1970-01-01T00:00:00.5Z"), Some(500_000_000));
        assert!(parse_date("yesterday").is_none());
        assert!(parse_date("2019-13-01").is_none());
        assert!(parse_date("").is_none());
        assert!(parse_date("2020-01-01T00:00:00+a\u{20ac}").is_none());
    }

    #[test]
    fn cidrs() {
        let c = Cidr::parse("203.0.113.0/24").unwrap();
        assert!(c.contains("203.0.113.9".parse().unwrap()));
        assert!(!c.contains("203.0.114.9".parse().unwrap()));
        let c6 = Cidr::parse("2001:DB8:1234:5678::/64").unwrap();
        assert!(c6.contains("2001:db8:1234:5678::1".parse().unwrap()));
        assert!(!c6.contains("203.0.113.9".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0").is_some());
        assert!(Cidr::parse("1.2.3.4/33").is_none());
    }
}
