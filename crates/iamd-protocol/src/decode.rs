//! What the generated decoders (`generated`) call: typed members out of `Params`, each
//! checked against its shape's constraints in the model, every failure worded as AWS's
//! validation layer words it (`Value '…' at 'userName' failed to satisfy constraint: …`).
//!
//! A decoder reads one member at a time: `{prefix}.{Member}` for structure members,
//! `{prefix}.member.{N}` for list items, `{prefix}.entry.{N}.key` / `.value` for maps. The
//! message path of a nested member is AWS's: `tags.1.member.key`.

use std::fmt::Write as _;

use base64::Engine as _;
use time::OffsetDateTime;

use crate::form::Params;

/// Why a request was refused before any domain code ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// `ValidationError` (400) with AWS's full message.
    Validation(String),
    /// The operation is in the service model but iamd does not serve it (501).
    NotImplemented(&'static str),
}

/// Every constraint failure of one request, in member order.
#[derive(Debug, Default)]
pub struct Violations(Vec<String>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    /// One clause. `value` is `None` for a missing member (`Value null at`); `shown` false
    /// leaves the value out (`Value at`), as IAM does for enums, lists, sensitive members and
    /// documents.
    pub fn clause(&mut self, value: Option<&str>, shown: bool, path: &str, constraint: &str) {
        let mut s = String::with_capacity(96);
        match value {
            None => s.push_str("Value null at"),
            Some(v) if shown => {
                let _ = write!(s, "Value '{v}' at");
            }
            Some(_) => s.push_str("Value at"),
        }
        let _ = write!(s, " '{path}' failed to satisfy constraint: {constraint}");
        self.0.push(s);
    }

    pub fn missing(&mut self, path: &str) {
        self.clause(None, true, path, "Member must not be null");
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn finish(self) -> Result<(), Invalid> {
        match self.0.len() {
            0 => Ok(()),
            1 => Err(Invalid::Validation(format!(
                "1 validation error detected: {}",
                self.0[0]
            ))),
            n => Err(Invalid::Validation(format!(
                "{n} validation errors detected: {}",
                self.0.join("; ")
            ))),
        }
    }
}

/// A pattern: the model's text and a matcher for the whole value.
pub type Pattern = (&'static str, fn(&str) -> bool);

/// A string shape's constraints, as the model states them.
#[derive(Debug)]
pub struct StrShape {
    pub min: Option<usize>,
    pub max: Option<usize>,
    /// The model's pattern text and a matcher for it (whole-value match, as AWS's
    /// validator applies patterns).
    pub pattern: Option<Pattern>,
    /// Whether messages may quote the value.
    pub shown: bool,
}

/// A number shape's constraints.
#[derive(Debug)]
pub struct IntShape {
    pub min: Option<i64>,
    pub max: Option<i64>,
}

/// The parameters of one request, ready for lookups by name and by prefix.
pub struct Input<'a> {
    /// Sorted by name; for a repeated name only the last value is kept.
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> Input<'a> {
    pub fn new(params: &'a Params) -> Self {
        let mut pairs: Vec<(&str, &str)> = params.iter().collect();
        // Stable: equal names keep their order, and the last of them wins below.
        pairs.sort_by(|a, b| a.0.cmp(b.0));
        pairs.dedup_by(|later, earlier| {
            if later.0 == earlier.0 {
                earlier.1 = later.1;
                true
            } else {
                false
            }
        });
        Input { pairs }
    }

    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.pairs
            .binary_search_by(|(n, _)| (*n).cmp(name))
            .ok()
            .map(|i| self.pairs[i].1)
    }

    /// The parameters whose names start with `prefix`.
    fn with_prefix(&self, prefix: &str) -> &[(&'a str, &'a str)] {
        let start = self.pairs.partition_point(|(n, _)| *n < prefix);
        let len = self.pairs[start..].partition_point(|(n, _)| n.starts_with(prefix));
        &self.pairs[start..start + len]
    }

    /// Whether a structure member at `prefix` was sent at all.
    pub fn has_struct(&self, prefix: &str) -> bool {
        !self.with_prefix(&format!("{prefix}.")).is_empty()
    }

    /// The indices of `{prefix}.{kind}.{N}…`, ascending and distinct.
    fn indices(&self, prefix: &str, kind: &str) -> Vec<u32> {
        let head = format!("{prefix}.{kind}.");
        let mut out: Vec<u32> = self
            .with_prefix(&head)
            .iter()
            .filter_map(|(n, _)| {
                let rest = &n[head.len()..];
                let digits = rest.split('.').next().unwrap_or(rest);
                digits.parse().ok()
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Joins a wire name: `Tags.member.1` + `Key`.
pub fn wire(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Joins a message path: `tags.1.member` + `key`.
pub fn path(prefix: &str, name: &str) -> String {
    wire(prefix, name)
}

/// Length as AWS's validator counts it: UTF-16 code units (a Java string's length).
fn length(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().map(char::len_utf16).sum()
    }
}

pub fn string(
    input: &Input,
    v: &mut Violations,
    wire: &str,
    path: &str,
    shape: &StrShape,
) -> Option<String> {
    let value = input.get(wire)?;
    check_string(v, value, path, shape);
    Some(value.to_owned())
}

pub fn check_string(v: &mut Violations, value: &str, path: &str, shape: &StrShape) {
    let n = length(value);
    if let Some(min) = shape.min.filter(|&m| n < m) {
        v.clause(
            Some(value),
            shape.shown,
            path,
            &format!("Member must have length greater than or equal to {min}"),
        );
    }
    if let Some(max) = shape.max.filter(|&m| n > m) {
        v.clause(
            Some(value),
            shape.shown,
            path,
            &format!("Member must have length less than or equal to {max}"),
        );
    }
    if let Some((text, matches)) = shape.pattern {
        if !matches(value) {
            v.clause(
                Some(value),
                shape.shown,
                path,
                &format!("Member must satisfy regular expression pattern: {text}"),
            );
        }
    }
}

/// An enum member: the value must be one of the model's (IAM leaves the value out of the
/// message).
///
/// Like every decoder here, it answers `None` only for a member that was not sent; a value
/// that breaks a constraint is reported and stands in as some value of the type, which no
/// one sees because the request then fails.
pub fn enumeration<T: Default>(
    input: &Input,
    v: &mut Violations,
    wire: &str,
    path: &str,
    parse: fn(&str) -> Option<T>,
) -> Option<T> {
    let value = input.get(wire)?;
    let parsed = parse(value);
    if parsed.is_none() {
        v.clause(
            Some(value),
            false,
            path,
            "Member must satisfy enum value set",
        );
    }
    Some(parsed.unwrap_or_default())
}

pub fn integer(
    input: &Input,
    v: &mut Violations,
    wire: &str,
    path: &str,
    shape: &IntShape,
) -> Option<i32> {
    let value = input.get(wire)?;
    let Ok(n) = value.trim().parse::<i64>() else {
        v.clause(Some(value), true, path, "Member must be a valid integer");
        return Some(0);
    };
    if let Some(min) = shape.min.filter(|&m| n < m) {
        v.clause(
            Some(value),
            true,
            path,
            &format!("Member must have value greater than or equal to {min}"),
        );
        return Some(0);
    }
    if let Some(max) = shape.max.filter(|&m| n > m) {
        v.clause(
            Some(value),
            true,
            path,
            &format!("Member must have value less than or equal to {max}"),
        );
        return Some(0);
    }
    match i32::try_from(n) {
        Ok(n) => Some(n),
        Err(_) => {
            v.clause(Some(value), true, path, "Member must be a valid integer");
            Some(0)
        }
    }
}

pub fn boolean(input: &Input, v: &mut Violations, wire: &str, path: &str) -> Option<bool> {
    match input.get(wire)? {
        "true" => Some(true),
        "false" => Some(false),
        other => {
            v.clause(Some(other), true, path, "Member must be a boolean");
            Some(false)
        }
    }
}

pub fn timestamp(
    input: &Input,
    v: &mut Violations,
    wire: &str,
    path: &str,
) -> Option<OffsetDateTime> {
    let value = input.get(wire)?;
    let parsed = OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339)
        .ok()
        .or_else(|| {
            value
                .parse::<i64>()
                .ok()
                .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        });
    if parsed.is_none() {
        v.clause(Some(value), true, path, "Member must be a valid timestamp");
    }
    Some(parsed.unwrap_or(OffsetDateTime::UNIX_EPOCH))
}

pub fn blob(
    input: &Input,
    v: &mut Violations,
    wire: &str,
    path: &str,
    shown: bool,
) -> Option<Vec<u8>> {
    let value = input.get(wire)?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(value).ok();
    if decoded.is_none() {
        v.clause(Some(value), shown, path, "Member must be valid base64");
    }
    Some(decoded.unwrap_or_default())
}

/// A list: `{wire}.member.{N}` items in ascending N (an empty list is a bare `{wire}=`).
/// `item` decodes one item from its wire name and message path.
pub fn list<T>(
    input: &Input,
    v: &mut Violations,
    wire: &str,
    path: &str,
    (min, max): (Option<usize>, Option<usize>),
    mut item: impl FnMut(&Input, &mut Violations, &str, &str) -> Option<T>,
) -> Option<Vec<T>> {
    let indices = input.indices(wire, "member");
    if indices.is_empty() && input.get(wire).is_none() {
        return None;
    }
    let mut out = Vec::with_capacity(indices.len());
    for (i, n) in indices.iter().enumerate() {
        let item_wire = format!("{wire}.member.{n}");
        let item_path = format!("{path}.{}.member", i + 1);
        match item(input, v, &item_wire, &item_path) {
            Some(x) => out.push(x),
            None => v.missing(&item_path),
        }
    }
    list_length(v, path, out.len(), min, max);
    Some(out)
}

fn list_length(v: &mut Violations, path: &str, n: usize, min: Option<usize>, max: Option<usize>) {
    if let Some(min) = min.filter(|&m| n < m) {
        v.clause(
            Some(""),
            false,
            path,
            &format!("Member must have length greater than or equal to {min}"),
        );
    }
    if let Some(max) = max.filter(|&m| n > m) {
        v.clause(
            Some(""),
            false,
            path,
            &format!("Member must have length less than or equal to {max}"),
        );
    }
}

/// A map: `{wire}.entry.{N}.key` / `.value`, in ascending N.
pub fn map<K, V>(
    input: &Input,
    v: &mut Violations,
    wire: &str,
    path: &str,
    (min, max): (Option<usize>, Option<usize>),
    mut key: impl FnMut(&Input, &mut Violations, &str, &str) -> Option<K>,
    mut value: impl FnMut(&Input, &mut Violations, &str, &str) -> Option<V>,
) -> Option<Vec<(K, V)>> {
    let indices = input.indices(wire, "entry");
    if indices.is_empty() && input.get(wire).is_none() {
        return None;
    }
    let mut out = Vec::with_capacity(indices.len());
    for (i, n) in indices.iter().enumerate() {
        let w = format!("{wire}.entry.{n}");
        let p = format!("{path}.{}", i + 1);
        let k = key(input, v, &format!("{w}.key"), &format!("{p}.key"));
        let val = value(input, v, &format!("{w}.value"), &format!("{p}.value"));
        match (k, val) {
            (Some(k), Some(val)) => out.push((k, val)),
            (None, _) => v.missing(&format!("{p}.key")),
            (_, None) => v.missing(&format!("{p}.value")),
        }
    }
    list_length(v, path, out.len(), min, max);
    Some(out)
}

/// A required member: reported when missing, and a default stands in so that decoding
/// goes on and every violation of the request is reported together.
pub fn required<T: Default>(v: &mut Violations, path: &str, value: Option<T>) -> T {
    match value {
        Some(x) => x,
        None => {
            v.missing(path);
            T::default()
        }
    }
}

/// What a generated input type implements.
pub trait DecodeInput: Sized {
    fn decode_members(input: &Input, v: &mut Violations, wire: &str, path: &str) -> Self;

    /// Decodes a whole request's input; every violation is reported at once.
    fn decode(params: &Params) -> Result<Self, Invalid> {
        let input = Input::new(params);
        let mut v = Violations::new();
        let out = Self::decode_members(&input, &mut v, "", "");
        v.finish()?;
        Ok(out)
    }
}

/// A nested structure: present when any of its members was sent.
pub fn structure<T: DecodeInput>(
    input: &Input,
    v: &mut Violations,
    wire: &str,
    path: &str,
) -> Option<T> {
    input
        .has_struct(wire)
        .then(|| T::decode_members(input, v, wire, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_value_wins_and_prefixes_are_exact() {
        let p = Params::parse(b"A=1&B.member.2=y&B.member.1=x&A=2&BB=z&B.member.10=w").unwrap();
        let i = Input::new(&p);
        assert_eq!(i.get("A"), Some("2"));
        assert_eq!(i.indices("B", "member"), vec![1, 2, 10]);
        assert!(!i.has_struct("C"));
        assert!(i.has_struct("B"));
    }

    #[test]
    fn utf16_length() {
        assert_eq!(length("abc"), 3);
        assert_eq!(length("é"), 1);
        assert_eq!(length("😀"), 2);
    }
}
