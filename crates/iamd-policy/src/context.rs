//! The request context: condition keys and their values.

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use time::OffsetDateTime;

/// One value of a condition key.
#[derive(Debug, Clone, PartialEq)]
pub enum ContextValue {
    /// Text (also the fallback every operator can read).
    String(String),
    /// A boolean (`aws:SecureTransport`, `aws:MultiFactorAuthPresent`).
    Bool(bool),
    /// A number (`aws:EpochTime`, `aws:MultiFactorAuthAge`); read by the
    /// `Date*` operators as seconds since the Unix epoch.
    Number(f64),
    /// A point in time (`aws:CurrentTime`).
    Date(OffsetDateTime),
    /// An IP address (`aws:SourceIp`).
    Ip(IpAddr),
}

impl ContextValue {
    /// The value as text, as the `String*` operators and variables see it.
    pub fn to_text(&self) -> String {
        match self {
            ContextValue::String(s) => s.clone(),
            ContextValue::Bool(b) => b.to_string(),
            ContextValue::Number(n) => {
                if n.fract() == 0.0 && n.abs() < 1e15 {
                    format!("{}", *n as i64)
                } else {
                    n.to_string()
                }
            }
            ContextValue::Date(d) => d
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            ContextValue::Ip(ip) => ip.to_string(),
        }
    }
}

impl From<&str> for ContextValue {
    fn from(s: &str) -> Self {
        ContextValue::String(s.to_owned())
    }
}

impl From<String> for ContextValue {
    fn from(s: String) -> Self {
        ContextValue::String(s)
    }
}

impl From<bool> for ContextValue {
    fn from(b: bool) -> Self {
        ContextValue::Bool(b)
    }
}

impl From<f64> for ContextValue {
    fn from(n: f64) -> Self {
        ContextValue::Number(n)
    }
}

impl From<i64> for ContextValue {
    fn from(n: i64) -> Self {
        ContextValue::Number(n as f64)
    }
}

impl From<OffsetDateTime> for ContextValue {
    fn from(d: OffsetDateTime) -> Self {
        ContextValue::Date(d)
    }
}

impl From<IpAddr> for ContextValue {
    fn from(ip: IpAddr) -> Self {
        ContextValue::Ip(ip)
    }
}

/// Condition keys of one request, looked up case-insensitively. A key maps to
/// a list of values: one for single-valued keys, any number for multivalued
/// keys (the ones `ForAnyValue:`/`ForAllValues:` are written for). A key
/// present with an empty list counts as absent ("null").
/// The values of one key.
#[derive(Debug, Clone, PartialEq)]
enum Values {
    One(ContextValue),
    Many(Vec<ContextValue>),
}

impl Values {
    fn as_slice(&self) -> &[ContextValue] {
        match self {
            Values::One(v) => std::slice::from_ref(v),
            Values::Many(v) => v,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    /// Lower-cased key → values. Builder keys are static strings (no allocation); one value
    /// is stored inline (most keys have exactly one).
    keys: HashMap<Cow<'static, str>, Values>,
    /// Keys shared by many requests (a principal's own), looked up after `keys`.
    base: Option<Arc<Context>>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to one value, replacing what it had.
    pub fn set(&mut self, key: &str, value: impl Into<ContextValue>) -> &mut Self {
        self.keys.insert(
            Cow::Owned(key.to_ascii_lowercase()),
            Values::One(value.into()),
        );
        self
    }

    /// Sets `key` to a list of values (a multivalued key).
    pub fn set_values(&mut self, key: &str, values: Vec<ContextValue>) -> &mut Self {
        self.keys
            .insert(Cow::Owned(key.to_ascii_lowercase()), Values::Many(values));
        self
    }

    /// Builder form of [`Context::set`].
    pub fn with(mut self, key: &str, value: impl Into<ContextValue>) -> Self {
        self.set(key, value);
        self
    }

    /// Builder form of [`Context::set_values`].
    pub fn with_values(mut self, key: &str, values: Vec<ContextValue>) -> Self {
        self.set_values(key, values);
        self
    }

    /// The values of `key`, if present and non-empty.
    /// A context that adds keys to `base` (or overrides them), so that the keys shared by
    /// many requests are built once.
    pub fn on_top_of(base: Arc<Context>) -> Self {
        Context {
            keys: HashMap::new(),
            base: Some(base),
        }
    }

    pub fn get(&self, key: &str) -> Option<&[ContextValue]> {
        let v = if key.bytes().any(|b| b.is_ascii_uppercase()) {
            let lower = key.to_ascii_lowercase();
            self.own(&lower)
        } else {
            self.own(key)
        };
        v.filter(|v| !v.is_empty())
    }

    fn own(&self, lower: &str) -> Option<&[ContextValue]> {
        match self.keys.get(lower) {
            Some(v) => Some(v.as_slice()),
            None => self.base.as_deref().and_then(|b| b.own(lower)),
        }
    }

    /// The text of a single-valued key (what a policy variable resolves to).
    pub(crate) fn single_string(&self, key: &str) -> Option<String> {
        match self.get(key)? {
            [one] => Some(one.to_text()),
            _ => None,
        }
    }

    /// `aws:username`: the friendly name of an IAM user caller.
    /// Sets a global key given in lower case, without allocating the key.
    fn with_static(mut self, lower_key: &'static str, value: impl Into<ContextValue>) -> Self {
        self.keys
            .insert(Cow::Borrowed(lower_key), Values::One(value.into()));
        self
    }

    pub fn username(self, name: &str) -> Self {
        self.with_static("aws:username", name)
    }

    /// `aws:userid`: the caller's unique id (`AIDA…` for users).
    pub fn userid(self, id: &str) -> Self {
        self.with_static("aws:userid", id)
    }

    /// `aws:PrincipalArn`.
    pub fn principal_arn(self, arn: &str) -> Self {
        self.with_static("aws:principalarn", arn)
    }

    /// `aws:PrincipalAccount`.
    pub fn principal_account(self, account: &str) -> Self {
        self.with_static("aws:principalaccount", account)
    }

    /// `aws:PrincipalType` (`Account`, `User`, `AssumedRole`, `FederatedUser`).
    pub fn principal_type(self, kind: &str) -> Self {
        self.with_static("aws:principaltype", kind)
    }

    /// `aws:PrincipalTag/{tag}`.
    pub fn principal_tag(self, tag: &str, value: &str) -> Self {
        self.with(&format!("aws:PrincipalTag/{tag}"), value)
    }

    /// `aws:CurrentTime` (a date) and `aws:EpochTime` (seconds) for `now`.
    pub fn current_time(self, now: OffsetDateTime) -> Self {
        self.with_static("aws:currenttime", now)
            .with_static("aws:epochtime", now.unix_timestamp())
    }

    /// `aws:SourceIp`.
    pub fn source_ip(self, ip: IpAddr) -> Self {
        self.with_static("aws:sourceip", ip)
    }

    /// `aws:SecureTransport`: whether the request came over TLS.
    pub fn secure_transport(self, tls: bool) -> Self {
        self.with_static("aws:securetransport", tls)
    }

    /// `aws:RequestedRegion`.
    pub fn requested_region(self, region: &str) -> Self {
        self.with_static("aws:requestedregion", region)
    }

    /// `aws:MultiFactorAuthPresent`. AWS leaves the key out for long-term
    /// access keys; pass it only for session credentials.
    pub fn mfa_present(self, present: bool) -> Self {
        self.with_static("aws:multifactorauthpresent", present)
    }

    /// `aws:MultiFactorAuthAge`: seconds since MFA was presented (sessions made with MFA).
    pub fn mfa_age(self, seconds: i64) -> Self {
        self.with_static("aws:multifactorauthage", seconds)
    }

    /// The usual keys of an IAM user caller: `aws:username`, `aws:userid`,
    /// `aws:PrincipalArn`, `aws:PrincipalAccount` and `aws:PrincipalType=User`.
    pub fn for_user(account: &str, user_arn: &str, user_name: &str, user_id: &str) -> Self {
        Context::new()
            .username(user_name)
            .userid(user_id)
            .principal_arn(user_arn)
            .principal_account(account)
            .principal_type("User")
    }
}

#[cfg(test)]
mod layering_tests {
    use super::*;

    #[test]
    fn a_layer_reads_through_to_its_base_and_overrides_it() {
        let base = Arc::new(
            Context::new()
                .username("alice")
                .with("aws:SourceIp", "base"),
        );
        let top = Context::on_top_of(base.clone()).with("aws:SourceIp", "top");
        assert_eq!(
            top.get("aws:username"),
            Some(&[ContextValue::String("alice".into())][..])
        );
        assert_eq!(
            top.get("AWS:SourceIp"),
            Some(&[ContextValue::String("top".into())][..])
        );
        assert_eq!(
            base.get("aws:sourceip"),
            Some(&[ContextValue::String("base".into())][..])
        );
        assert_eq!(top.get("aws:userid"), None);
    }
}
