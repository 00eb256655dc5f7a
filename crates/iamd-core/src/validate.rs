//! Input constraints from the IAM service model, reported in AWS's validation wording:
//! `N validation error(s) detected: Value '<v>' at '<member>' failed to satisfy constraint: <text>`,
//! with lowerCamelCase member names and one clause per violated constraint.

use crate::error::IamError;

/// Collects constraint violations for one request.
#[derive(Debug, Default)]
pub struct Violations(Vec<String>);

/// The character classes used by the model's patterns. Java's `\w` is ASCII `[a-zA-Z0-9_]`.
fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

pub const USER_NAME_PATTERN: &str = r"[\w+=,.@-]+";
pub const PATH_PATTERN: &str = r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)";
pub const PATH_PREFIX_PATTERN: &str = r"\u002F[\u0021-\u007F]*";
pub const MARKER_PATTERN: &str = r"[\u0020-\u00FF]+";
pub const ACCESS_KEY_ID_PATTERN: &str = r"[\w]+";
pub const TAG_KEY_PATTERN: &str = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+";
pub const TAG_VALUE_PATTERN: &str = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*";

fn is_name_char(c: char) -> bool {
    is_word(c) || "+=,.@-".contains(c)
}

fn is_tag_char(c: char) -> bool {
    // \p{L} letters, \p{Z} separators (space-like), \p{N} numbers, and `_.:/=+-@`.
    c.is_alphabetic() || c.is_numeric() || c.is_whitespace() || "_.:/=+-@".contains(c)
}

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    fn clause(&mut self, value: Option<&str>, member: &str, constraint: &str) {
        let shown = match value {
            Some(v) => format!("Value '{v}' at"),
            None => "Value null at".to_owned(),
        };
        self.0.push(format!(
            "{shown} '{member}' failed to satisfy constraint: {constraint}"
        ));
    }

    /// Reports a missing required member.
    pub fn required<'a>(&mut self, member: &str, value: Option<&'a str>) -> Option<&'a str> {
        if value.is_none() {
            self.clause(None, member, "Member must not be null");
        }
        value
    }

    pub fn length(&mut self, member: &str, value: &str, min: usize, max: usize) {
        let n = value.chars().count();
        if n < min {
            self.clause(
                Some(value),
                member,
                &format!("Member must have length greater than or equal to {min}"),
            );
        }
        if n > max {
            self.clause(
                Some(value),
                member,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    fn pattern(&mut self, member: &str, value: &str, ok: bool, pattern: &str) {
        if !ok {
            self.clause(
                Some(value),
                member,
                &format!("Member must satisfy regular expression pattern: {pattern}"),
            );
        }
    }

    /// `userNameType` (max 64, new names) or `existingUserNameType` (max 128, lookups).
    pub fn user_name(&mut self, member: &str, value: &str, max: usize) {
        self.length(member, value, 1, max);
        let ok = !value.is_empty() && value.chars().all(is_name_char);
        self.pattern(member, value, ok, USER_NAME_PATTERN);
    }

    pub fn path(&mut self, member: &str, value: &str) {
        self.length(member, value, 1, 512);
        let ok = value == "/"
            || (value.len() >= 3
                && value.starts_with('/')
                && value.ends_with('/')
                && value.chars().all(|c| ('\u{21}'..='\u{7E}').contains(&c)));
        self.pattern(member, value, ok, PATH_PATTERN);
    }

    pub fn path_prefix(&mut self, member: &str, value: &str) {
        self.length(member, value, 1, 512);
        let ok =
            value.starts_with('/') && value.chars().all(|c| ('\u{21}'..='\u{7F}').contains(&c));
        self.pattern(member, value, ok, PATH_PREFIX_PATTERN);
    }

    pub fn marker(&mut self, member: &str, value: &str) {
        self.length(member, value, 1, 320);
        let ok = !value.is_empty() && value.chars().all(|c| ('\u{20}'..='\u{FF}').contains(&c));
        self.pattern(member, value, ok, MARKER_PATTERN);
    }

    pub fn access_key_id(&mut self, member: &str, value: &str) {
        self.length(member, value, 16, 128);
        let ok = !value.is_empty() && value.chars().all(is_word);
        self.pattern(member, value, ok, ACCESS_KEY_ID_PATTERN);
    }

    /// `serialNumberType`: 9–256, `[\w+=/:,.@-]*`.
    pub fn mfa_serial(&mut self, member: &str, value: &str) {
        self.length(member, value, 9, 256);
        let ok = value.chars().all(|c| is_word(c) || "+=/:,.@-".contains(c));
        self.pattern(member, value, ok, r"[\w+=/:,.@-]*");
    }

    /// `roleSessionNameType`: 2–64, `[\w+=,.@-]*`.
    pub fn role_session_name(&mut self, member: &str, value: &str) {
        self.length(member, value, 2, 64);
        self.pattern(
            member,
            value,
            value.chars().all(is_name_char),
            r"[\w+=,.@-]*",
        );
    }

    /// `externalIdType`: 2–1224, `[\w+=,.@:\/-]*`.
    pub fn external_id(&mut self, member: &str, value: &str) {
        self.length(member, value, 2, 1224);
        let ok = value.chars().all(|c| is_word(c) || "+=,.@:/-".contains(c));
        self.pattern(member, value, ok, r"[\w+=,.@:\/-]*");
    }

    /// `tokenCodeType`: exactly 6 digits.
    pub fn mfa_code(&mut self, member: &str, value: &str) {
        self.length(member, value, 6, 6);
        self.pattern(
            member,
            value,
            value.chars().all(|c| c.is_ascii_digit()),
            r"[\d]*",
        );
    }

    /// `policyNameType`: 1–128, `[\w+=,.@-]+` (the user-name pattern).
    pub fn policy_name(&mut self, member: &str, value: &str) {
        self.length(member, value, 1, 128);
        let ok = !value.is_empty() && value.chars().all(is_name_char);
        self.pattern(member, value, ok, USER_NAME_PATTERN);
    }

    /// `policyDocumentType`: 1–131072 characters of `[\u0009\u000A\u000D\u0020-\u00FF]`.
    /// The value is not repeated in the message (documents are long).
    pub fn policy_document(&mut self, member: &str, value: &str) {
        let n = value.chars().count();
        if n < 1 {
            self.0.push(format!("Value at '{member}' failed to satisfy constraint: Member must have length greater than or equal to 1"));
        }
        if n > 131_072 {
            self.0.push(format!("Value at '{member}' failed to satisfy constraint: Member must have length less than or equal to 131072"));
        }
        let ok = value
            .chars()
            .all(|c| matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{FF}'));
        if !ok {
            self.0.push(format!(
                "Value at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+"
            ));
        }
    }

    /// `arnType`: 20–2048.
    pub fn arn(&mut self, member: &str, value: &str) {
        self.length(member, value, 20, 2048);
    }

    /// `policyPathType`: 1–512, `((/[A-Za-z0-9\.,\+@=_-]+)*)/`.
    pub fn policy_path(&mut self, member: &str, value: &str) {
        self.length(member, value, 1, 512);
        let ok = value.ends_with('/')
            && value
                .split('/')
                .skip(1)
                .collect::<Vec<_>>()
                .split_last()
                .is_some_and(|(last, segments)| {
                    last.is_empty()
                        && segments.iter().all(|s| {
                            !s.is_empty()
                                && s.chars()
                                    .all(|c| c.is_ascii_alphanumeric() || ".,+@=_-".contains(c))
                        })
                })
            && value.starts_with('/');
        self.pattern(member, value, ok, r"((/[A-Za-z0-9\.,\+@=_-]+)*)/");
    }

    /// `policyVersionIdType`: `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`.
    pub fn policy_version_id(&mut self, member: &str, value: &str) {
        let (number, suffix) = match value.strip_prefix('v') {
            Some(rest) => match rest.split_once('.') {
                Some((n, s)) => (n, Some(s)),
                None => (rest, None),
            },
            None => ("", None),
        };
        let ok = number.starts_with(|c: char| ('1'..='9').contains(&c))
            && number.chars().all(|c| c.is_ascii_digit())
            && suffix.is_none_or(|s| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        self.pattern(member, value, ok, r"v[1-9][0-9]*(\.[A-Za-z0-9-]*)?");
    }

    /// A boolean member: `true` or `false`.
    pub fn boolean(&mut self, member: &str, value: &str) -> Option<bool> {
        match value {
            "true" => Some(true),
            "false" => Some(false),
            _ => {
                self.clause(Some(value), member, "Member must be a boolean");
                None
            }
        }
    }

    pub fn tag_key(&mut self, member: &str, value: &str) {
        self.length(member, value, 1, 128);
        let ok = !value.is_empty() && value.chars().all(is_tag_char);
        self.pattern(member, value, ok, TAG_KEY_PATTERN);
    }

    pub fn tag_value(&mut self, member: &str, value: &str) {
        self.length(member, value, 0, 256);
        self.pattern(
            member,
            value,
            value.chars().all(is_tag_char),
            TAG_VALUE_PATTERN,
        );
    }

    /// An integer member with an inclusive range. A value that is not a number is reported
    /// with the lower-bound wording (iamd's choice; AWS's text for it is unknown).
    pub fn int_range(&mut self, member: &str, value: &str, min: i64, max: i64) -> Option<i64> {
        match value.trim().parse::<i64>() {
            Ok(n) if n < min => {
                self.clause(
                    Some(value),
                    member,
                    &format!("Member must have value greater than or equal to {min}"),
                );
                None
            }
            Ok(n) if n > max => {
                self.clause(
                    Some(value),
                    member,
                    &format!("Member must have value less than or equal to {max}"),
                );
                None
            }
            Ok(n) => Some(n),
            Err(_) => {
                self.clause(Some(value), member, "Member must be a valid integer");
                None
            }
        }
    }

    /// An enum member. IAM redacts the value in this message (recorded for `status`).
    pub fn enum_value(&mut self, member: &str, ok: bool) {
        if !ok {
            self.0.push(format!(
                "Value at '{member}' failed to satisfy constraint: Member must satisfy enum value set"
            ));
        }
    }

    pub fn list_length(&mut self, member: &str, len: usize, max: usize) {
        if len > max {
            self.0.push(format!(
                "Value at '{member}' failed to satisfy constraint: Member must have length less than or equal to {max}"
            ));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok` when nothing was violated, else the ValidationError AWS would send.
    pub fn finish(self) -> Result<(), IamError> {
        match self.0.len() {
            0 => Ok(()),
            1 => Err(IamError::validation(format!(
                "1 validation error detected: {}",
                self.0[0]
            ))),
            n => Err(IamError::validation(format!(
                "{n} validation errors detected: {}",
                self.0.join("; ")
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(f: impl FnOnce(&mut Violations)) -> String {
        let mut v = Violations::new();
        f(&mut v);
        v.finish()
            .map(|_| String::new())
            .unwrap_or_else(|e| e.message)
    }

    #[test]
    fn max_items_wording_matches_aws() {
        assert_eq!(
            message(|v| {
                v.int_range("maxItems", "1001", 1, 1000);
            }),
            "1 validation error detected: Value '1001' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000"
        );
        assert_eq!(
            message(|v| {
                v.int_range("maxItems", "0", 1, 1000);
            }),
            "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"
        );
    }

    #[test]
    fn names_and_paths() {
        assert_eq!(
            message(|v| v.user_name("userName", "bob.smith+x@corp=1,-_", 64)),
            ""
        );
        assert_eq!(
            message(|v| v.user_name("userName", "a/b", 64)),
            r"1 validation error detected: Value 'a/b' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+"
        );
        let long = "a".repeat(65);
        assert!(message(|v| v.user_name("userName", &long, 64))
            .contains("length less than or equal to 64"));
        assert_eq!(message(|v| v.user_name("userName", &long, 128)), "");
        assert_eq!(message(|v| v.path("path", "/")), "");
        assert_eq!(message(|v| v.path("path", "/a/b&<>/")), "");
        assert!(message(|v| v.path("path", "/a")).contains("regular expression"));
        assert!(message(|v| v.path("path", "//")).contains("regular expression"));
        assert!(message(|v| v.path_prefix("pathPrefix", "/a")).is_empty());
        assert_eq!(
            message(|v| {
                v.required("userName", None);
                v.enum_value("status", false);
            }),
            "2 validation errors detected: Value null at 'userName' failed to satisfy constraint: Member must not be null; Value at 'status' failed to satisfy constraint: Member must satisfy enum value set"
        );
    }
}
