//! Policy documents: parsing and validation on write.
//!
//! The checks run in the order AWS reports them (as recorded against AWS by
//! the moto and LocalStack suites): JSON and grammar ("Syntax errors in
//! policy."), the managed-policy Version rule, principals (by policy kind),
//! legacy parsing (exact `Allow`/`Deny`, dates, resource shape), `Sid`s, the
//! presence of actions and resources, resource ARN formats, and last the
//! service prefixes of actions.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::condition::Operator;
use crate::error::{messages, PolicyError};

/// Which kind of document is being written; it decides the rules on
/// `Version`, `Principal` and `Resource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// An inline identity policy (PutUserPolicy, PutGroupPolicy,
    /// PutRolePolicy): no `Principal`; `Version` may be absent or 2008-10-17.
    Identity,
    /// A managed identity policy (CreatePolicy, CreatePolicyVersion): as
    /// `Identity`, and `Version` must be 2012-10-17.
    Managed,
    /// A role trust policy (CreateRole, UpdateAssumeRolePolicy): every
    /// statement names a `Principal`/`NotPrincipal` and none a `Resource`.
    Trust,
}

/// The policy-language version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// `2012-10-17`: policy variables are substituted.
    V2012_10_17,
    /// `2008-10-17`, or no `Version` element: `${…}` is literal text.
    V2008_10_17,
}

/// A statement's effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// `"Allow"`.
    Allow,
    /// `"Deny"`.
    Deny,
}

/// `Action`/`NotAction` or `Resource`/`NotResource`: the listed strings and
/// whether the element is the negated one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// True for `NotAction`/`NotResource`/`NotPrincipal`.
    pub negated: bool,
    /// The values, in document order.
    pub values: Vec<String>,
}

/// A `Principal`/`NotPrincipal` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalElement {
    /// True for `NotPrincipal`.
    pub negated: bool,
    /// `(type, values)` pairs (`AWS`, `Service`, `Federated`,
    /// `CanonicalUser`); `"Principal": "*"` is `("AWS", ["*"])`.
    pub entries: Vec<(String, Vec<String>)>,
}

/// One condition: operator, key and policy values (as text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The operator as written.
    pub operator_name: String,
    /// The parsed operator.
    pub operator: Operator,
    /// The condition key as written.
    pub key: String,
    /// The values (numbers and booleans rendered as JSON text).
    pub values: Vec<String>,
}

/// One statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The `Sid`, if any.
    pub sid: Option<String>,
    /// The effect.
    pub effect: Effect,
    /// `Action` or `NotAction`.
    pub action: Element,
    /// `Resource` or `NotResource`; `None` only in trust policies.
    pub resource: Option<Element>,
    /// `Principal` or `NotPrincipal`; `Some` only in trust policies.
    pub principal: Option<PrincipalElement>,
    /// All conditions (ANDed).
    pub conditions: Vec<Condition>,
}

/// A validated policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The kind it was validated as.
    pub kind: PolicyKind,
    /// The language version.
    pub version: Version,
    /// The `Id` element, if any.
    pub id: Option<String>,
    /// The statements, in document order.
    pub statements: Vec<Statement>,
}

const TOP_ELEMENTS: &[&str] = &["Version", "Id", "Statement"];
const STATEMENT_ELEMENTS: &[&str] = &[
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
];
const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

impl Policy {
    /// Parses and validates an inline identity policy
    /// ([`PolicyKind::Identity`]).
    pub fn parse(json: &str) -> Result<Policy, PolicyError> {
        Policy::parse_as(json, PolicyKind::Identity)
    }

    /// Parses and validates a document of the given kind.
    pub fn parse_as(json: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        let syntax = || PolicyError::malformed(messages::SYNTAX);
        let root: Value = serde_json::from_str(json).map_err(|_| match kind {
            PolicyKind::Trust => PolicyError::malformed(messages::INVALID_JSON),
            _ => syntax(),
        })?;
        let raw = parse_syntax(&root).ok_or_else(syntax)?;

        if kind == PolicyKind::Managed && raw.version != Some(Version::V2012_10_17) {
            return Err(PolicyError::malformed(messages::VERSION_REQUIRED));
        }
        for st in &raw.statements {
            match kind {
                PolicyKind::Identity | PolicyKind::Managed => {
                    if st.principal.is_some() {
                        return Err(PolicyError::malformed(messages::NO_PRINCIPAL));
                    }
                }
                PolicyKind::Trust => {
                    if st.principal.is_none() {
                        return Err(PolicyError::malformed(messages::MISSING_PRINCIPAL));
                    }
                    if st.resource.is_some() {
                        return Err(PolicyError::malformed(messages::PROHIBITED_RESOURCE));
                    }
                }
            }
        }
        // AWS's order (as the peers that replay its answers have it): the legacy parser
        // (effects, dates, then each resource unless a resource was already found
        // malformed), the first malformed resource, SIDs, actions present, action
        // prefixes, resources present. So an action without a vendor prefix is reported
        // before a missing Resource, and a malformed resource before a bad action.
        legacy_parse(&raw.statements)?;
        check_resources(&raw.statements)?;
        check_sids(&raw.statements)?;
        if raw.statements.iter().any(|s| match &s.action {
            None => true,
            Some(a) => a.values.is_empty(),
        }) {
            return Err(PolicyError::malformed(messages::MUST_CONTAIN_ACTIONS));
        }
        for st in &raw.statements {
            if let Some(a) = &st.action {
                for action in &a.values {
                    check_action(action)?;
                }
            }
        }
        if kind == PolicyKind::Trust {
            for st in &raw.statements {
                if let Some(a) = &st.action {
                    if a.values.iter().any(|action| !trust_action(action)) {
                        return Err(PolicyError::malformed(messages::TRUST_ACTIONS));
                    }
                }
            }
        }
        if kind != PolicyKind::Trust
            && raw.statements.iter().any(|s| match &s.resource {
                None => true,
                Some(r) => r.values.is_empty(),
            })
        {
            return Err(PolicyError::malformed(messages::MUST_CONTAIN_RESOURCES));
        }

        let statements = raw
            .statements
            .into_iter()
            .map(|s| Statement {
                sid: s.sid,
                effect: s.effect,
                action: s.action.unwrap_or(Element {
                    negated: false,
                    values: Vec::new(),
                }),
                resource: s.resource,
                principal: s.principal,
                conditions: s.conditions,
            })
            .collect();
        Ok(Policy {
            kind,
            version: raw.version.unwrap_or(Version::V2008_10_17),
            id: raw.id,
            statements,
        })
    }
}

struct RawPolicy {
    version: Option<Version>,
    id: Option<String>,
    statements: Vec<RawStatement>,
}

struct RawStatement {
    sid: Option<String>,
    effect: Effect,
    effect_text: String,
    action: Option<Element>,
    resource: Option<Element>,
    principal: Option<PrincipalElement>,
    conditions: Vec<Condition>,
}

/// The grammar check; `None` means "Syntax errors in policy.".
fn parse_syntax(root: &Value) -> Option<RawPolicy> {
    let obj = root.as_object()?;
    if obj.keys().any(|k| !TOP_ELEMENTS.contains(&k.as_str())) {
        return None;
    }
    let version = match obj.get("Version") {
        None => None,
        Some(Value::String(v)) if v == "2012-10-17" => Some(Version::V2012_10_17),
        Some(Value::String(v)) if v == "2008-10-17" => Some(Version::V2008_10_17),
        Some(_) => return None,
    };
    let id = match obj.get("Id") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return None,
    };
    let statements: Vec<&Value> = match obj.get("Statement")? {
        Value::Object(_) => vec![&obj["Statement"]],
        Value::Array(a) if !a.is_empty() => a.iter().collect(),
        _ => return None,
    };
    let statements = statements
        .into_iter()
        .map(|s| parse_statement(s.as_object()?))
        .collect::<Option<Vec<_>>>()?;
    Some(RawPolicy {
        version,
        id,
        statements,
    })
}

fn parse_statement(st: &Map<String, Value>) -> Option<RawStatement> {
    if st.keys().any(|k| !STATEMENT_ELEMENTS.contains(&k.as_str())) {
        return None;
    }
    let effect_text = st.get("Effect")?.as_str()?.to_owned();
    let effect = if effect_text.eq_ignore_ascii_case("allow") {
        Effect::Allow
    } else if effect_text.eq_ignore_ascii_case("deny") {
        Effect::Deny
    } else {
        return None;
    };
    let sid = match st.get("Sid") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return None,
    };
    let action = pair(st, "Action", "NotAction")?;
    let resource = pair(st, "Resource", "NotResource")?;
    let principal = match (st.get("Principal"), st.get("NotPrincipal")) {
        (Some(_), Some(_)) => return None,
        (Some(p), None) => Some(parse_principal(p, false)?),
        (None, Some(p)) => Some(parse_principal(p, true)?),
        (None, None) => None,
    };
    let conditions = match st.get("Condition") {
        None => Vec::new(),
        Some(c) => parse_conditions(c)?,
    };
    Some(RawStatement {
        sid,
        effect,
        effect_text,
        action,
        resource,
        principal,
        conditions,
    })
}

/// `Some(None)`: neither present; `None`: a syntax error.
fn pair(st: &Map<String, Value>, pos: &str, neg: &str) -> Option<Option<Element>> {
    match (st.get(pos), st.get(neg)) {
        (Some(_), Some(_)) => None,
        (Some(v), None) => Some(Some(Element {
            negated: false,
            values: string_list(v)?,
        })),
        (None, Some(v)) => Some(Some(Element {
            negated: true,
            values: string_list(v)?,
        })),
        (None, None) => Some(None),
    }
}

fn string_list(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(a) => a.iter().map(|x| x.as_str().map(str::to_owned)).collect(),
        _ => None,
    }
}

fn parse_principal(v: &Value, negated: bool) -> Option<PrincipalElement> {
    let entries = match v {
        Value::String(s) if s == "*" => vec![("AWS".to_owned(), vec!["*".to_owned()])],
        Value::Object(m) if !m.is_empty() => m
            .iter()
            .map(|(k, v)| {
                if !matches!(
                    k.as_str(),
                    "AWS" | "Service" | "Federated" | "CanonicalUser"
                ) {
                    return None;
                }
                Some((k.clone(), string_list(v)?))
            })
            .collect::<Option<Vec<_>>>()?,
        _ => return None,
    };
    Some(PrincipalElement { negated, entries })
}

fn parse_conditions(v: &Value) -> Option<Vec<Condition>> {
    let mut out = Vec::new();
    for (op_name, body) in v.as_object()? {
        let body = body.as_object()?;
        let Some(operator) = Operator::parse(op_name) else {
            // AWS accepts an unknown operator only with an empty body.
            if body.is_empty() {
                continue;
            }
            return None;
        };
        for (key, values) in body {
            let values = match values {
                Value::Array(a) => a.iter().map(scalar_text).collect::<Option<Vec<_>>>()?,
                other => vec![scalar_text(other)?],
            };
            out.push(Condition {
                operator_name: op_name.clone(),
                operator,
                key: key.clone(),
                values,
            });
        }
    }
    Some(out)
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn legacy_parse(statements: &[RawStatement]) -> Result<(), PolicyError> {
    let fail = || PolicyError::malformed(messages::LEGACY_PARSING);
    for st in statements {
        if st.effect_text != "Allow" && st.effect_text != "Deny" {
            return Err(fail());
        }
        for c in &st.conditions {
            if c.operator.base.is_date() && c.values.iter().any(|v| !legacy_date(v)) {
                return Err(fail());
            }
        }
    }
    Ok(())
}

/// What the legacy parser refuses in a resource: an empty service, or a `::` with fewer
/// than six parts.
fn legacy_resource_ok(res: &str) -> bool {
    if res == "*" {
        return true;
    }
    let colons = res.matches(':').count();
    !((res.contains("::") && colons < 5) || res.split(':').nth(2) == Some(""))
}

/// Resources (and NotResources), statement by statement: the first malformed one is the
/// error; until one is found, each is also put through the legacy parser, whose failure
/// wins at once.
fn check_resources(statements: &[RawStatement]) -> Result<(), PolicyError> {
    let mut first_malformed = None;
    for st in statements {
        let Some(r) = &st.resource else { continue };
        for res in &r.values {
            if let Err(e) = check_resource_format(res) {
                first_malformed.get_or_insert(e);
            }
            if first_malformed.is_none() && !legacy_resource_ok(res) {
                return Err(PolicyError::malformed(messages::LEGACY_PARSING));
            }
        }
    }
    first_malformed.map_or(Ok(()), Err)
}

/// A `Date*` condition value as AWS's legacy parser takes it: ISO 8601 in a lenient form
/// (`2016-12-13t2:00:00.593194+23`, even `01T`) when it holds a `t` or a `-`, else epoch
/// seconds that fit in 64 bits. (Evaluation reads dates with `parse_date`; a value this
/// accepts and that cannot read simply never matches.)
fn legacy_date(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    if !(lower.contains('t') || lower.contains('-')) {
        return lower.trim().parse::<i64>().is_ok();
    }
    let int_in = |s: &str, lo: i64, hi: i64| s.parse::<i64>().is_ok_and(|n| (lo..=hi).contains(&n));
    let (date, time) = lower.split_once('t').unwrap_or((&lower, ""));
    let (negative, date) = match date.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, date),
    };
    let parts: Vec<&str> = date.split('-').collect();
    let year = if negative {
        format!("-{}", parts[0])
    } else {
        parts[0].to_owned()
    };
    if parts.len() > 3
        || !int_in(&year, -292_275_054, 292_278_993)
        || parts.get(1).is_some_and(|m| !int_in(m, 1, 12))
        || parts.get(2).is_some_and(|d| !int_in(d, 1, 31))
    {
        return false;
    }
    let clock: Vec<&str> = time.split(':').collect();
    if !clock[0].is_empty() && !int_in(clock[0], 0, 23) {
        return false;
    }
    if clock.get(1).is_some_and(|m| !int_in(m, 0, 59)) {
        return false;
    }
    let Some(rest) = clock.get(2).map(|_| clock[2..].join(":")) else {
        return true;
    };
    let seconds = if let Some((secs, after)) = rest.split_once('z') {
        if !after.is_empty() {
            return false;
        }
        secs.to_owned()
    } else if let Some((secs, zone)) = rest.split_once('+') {
        let (hours, minutes) = match zone.split_once(':') {
            Some((h, m)) => (h, Some(m)),
            None => (zone, None),
        };
        if hours.len() != 2
            || !int_in(hours, 0, 23)
            || minutes.is_some_and(|m| m.len() != 2 || !int_in(m, 0, 59))
        {
            return false;
        }
        secs.to_owned()
    } else {
        rest
    };
    let (whole, fraction) = match seconds.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (seconds.as_str(), None),
    };
    int_in(whole, 0, 59) && fraction.is_none_or(|f| int_in(f, 0, 999_999_999))
}

/// An action a trust policy may name: the STS actions that assume a role, tag its session
/// or set its source identity or context, or a wildcard that covers one of them.
fn trust_action(action: &str) -> bool {
    const ALLOWED: [&str; 6] = [
        "sts:assumerole",
        "sts:assumerolewithsaml",
        "sts:assumerolewithwebidentity",
        "sts:tagsession",
        "sts:setsourceidentity",
        "sts:setcontext",
    ];
    let pattern = crate::glob::Glob::new(action, crate::glob::Mode::Plain, true);
    ALLOWED.iter().any(|allowed| pattern.matches(allowed))
}

fn check_sids(statements: &[RawStatement]) -> Result<(), PolicyError> {
    let mut seen = HashSet::new();
    for st in statements {
        if let Some(sid) = st.sid.as_deref().filter(|s| !s.is_empty()) {
            if !seen.insert(sid) {
                return Err(PolicyError::malformed(messages::DUPLICATE_SID));
            }
        }
    }
    for st in statements {
        if let Some(sid) = &st.sid {
            if !sid.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(PolicyError::malformed(messages::SID_NOT_ALPHANUMERIC));
            }
        }
    }
    Ok(())
}

fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?'])
}

fn check_resource_format(res: &str) -> Result<(), PolicyError> {
    if res == "*" {
        return Ok(());
    }
    let parts: Vec<&str> = res.split(':').collect();
    // Whatever stands before the first colon is taken for `arn`: `aws:s3:::b` is read as a
    // resource in partition `s3`.
    if parts.len() < 2 {
        return Err(PolicyError::Malformed(messages::resource_not_arn(res)));
    }
    let partition = parts[1];
    if !(PARTITIONS.contains(&partition) || has_wildcard(partition) || partition.starts_with("${"))
    {
        let rest = &parts[2..];
        let seg = |i: usize| -> String {
            match rest.get(i) {
                Some(s) if !s.is_empty() || rest.len() > i + 1 => (*s).to_owned(),
                _ => "*".to_owned(),
            }
        };
        let tail = if rest.len() > 3 {
            rest[3..].join(":")
        } else {
            "*".to_owned()
        };
        return Err(PolicyError::Malformed(messages::partition_not_valid(
            partition,
            [&seg(0), &seg(1), &seg(2), &tail],
        )));
    }
    // An empty service is the legacy parser's to refuse.
    if parts.len() < 3 || has_wildcard(parts[2]) {
        return Err(PolicyError::malformed(messages::RESOURCE_VENDOR));
    }
    let region = parts.get(3).copied().unwrap_or("");
    match parts[2] {
        "iam" => {
            if !region.is_empty() {
                return Err(PolicyError::Malformed(messages::iam_region(res)));
            }
            let path = if parts.len() > 5 {
                parts[5..].join(":")
            } else {
                String::new()
            };
            let ok = path == "*"
                || path == "root"
                || path.starts_with("${")
                || messages::IAM_RESOURCE_TYPES
                    .iter()
                    .any(|t| path.starts_with(t));
            if !ok {
                return Err(PolicyError::Malformed(messages::iam_resource_path()));
            }
        }
        // S3 access points are regional.
        "s3" if !region.is_empty()
            && !parts.get(5).is_some_and(|r| r.starts_with("accesspoint")) =>
        {
            return Err(PolicyError::Malformed(format!(
                "Resource {res} can not contain region information."
            )));
        }
        _ => {}
    }
    Ok(())
}

fn check_action(action: &str) -> Result<(), PolicyError> {
    if action == "*" {
        return Ok(());
    }
    let parts: Vec<&str> = action.split(':').collect();
    match parts.len() {
        1 => Err(PolicyError::malformed(messages::ACTION_VENDOR)),
        2 => {
            let vendor = parts[0];
            if vendor.is_empty() {
                return Err(PolicyError::malformed(messages::ACTION_VENDOR));
            }
            if vendor != "*"
                && !vendor
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            {
                return Err(PolicyError::Malformed(messages::vendor_not_valid(vendor)));
            }
            Ok(())
        }
        _ => Err(PolicyError::malformed(messages::ACTION_ONE_COLON)),
    }
}
