//! The context keys a policy refers to: what GetContextKeysForCustomPolicy and
//! GetContextKeysForPrincipalPolicy answer, so that a caller knows which keys to give
//! the simulator.

use std::collections::HashSet;

use crate::document::{Policy, Version};
use crate::glob::find_var_end;

/// The context keys `policies` refer to, each once (keys compare ignoring case, as AWS
/// compares them; the first spelling is kept), in policy and statement order. Per
/// statement: the variables of `Resource`/`NotResource` (`${aws:username}`), then each
/// condition's key followed by the variables of its values. Within one `Condition`
/// block the operators and keys come in name order, as the parsed JSON objects keep them
/// (AWS's order there is not documented). Variables count only in documents of Version
/// 2012-10-17, the only ones in which AWS resolves them.
pub fn context_keys<'a>(policies: impl IntoIterator<Item = &'a Policy>) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut keys = Vec::new();
    let mut add = |key: &str| {
        if seen.insert(key.to_ascii_lowercase()) {
            keys.push(key.to_owned());
        }
    };
    for policy in policies {
        let vars = policy.version == Version::V2012_10_17;
        for statement in &policy.statements {
            if vars {
                for value in statement.resource.iter().flat_map(|r| &r.values) {
                    variables(value).for_each(&mut add);
                }
            }
            for condition in &statement.conditions {
                add(&condition.key);
                if vars {
                    for value in &condition.values {
                        variables(value).for_each(&mut add);
                    }
                }
            }
        }
    }
    keys
}

/// The keys of the `${key}` and `${key, 'default'}` variables of a policy string, as
/// written (`${*}`, `${?}` and `${$}` are escapes, not keys).
fn variables(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = s;
    std::iter::from_fn(move || loop {
        let at = rest.find("${")?;
        let after = &rest[at + 2..];
        let end = find_var_end(after)?;
        rest = &after[end + 1..];
        let inner = &after[..end];
        let key = inner.split_once(',').map_or(inner, |(k, _)| k).trim();
        if !matches!(key, "*" | "?" | "$" | "") {
            return Some(key);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(docs: &[&str]) -> Vec<String> {
        let parsed: Vec<Policy> = docs.iter().map(|d| Policy::parse(d).unwrap()).collect();
        context_keys(&parsed)
    }

    #[test]
    fn resource_variables_then_condition_keys_in_document_order() {
        // AWS's own example (API reference, GetContextKeysForCustomPolicy): the variable
        // of the resource, then the condition's key.
        let doc = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Action": "dynamodb:*",
            "Resource": "arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}",
            "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2015-08-16T12:00:00Z"}}}}"#;
        assert_eq!(keys(&[doc]), ["aws:username", "aws:CurrentTime"]);
    }

    #[test]
    fn each_key_once_ignoring_case_across_policies() {
        let a = r#"{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
             "Condition": {"StringEquals": {"aws:PrincipalTag/team": "a",
                                            "s3:prefix": "${aws:userid}/${*}"},
                           "Bool": {"aws:SecureTransport": "true"}}}]}"#;
        let b = r#"{"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "NotAction": "iam:*",
             "NotResource": "arn:aws:s3:::b/${aws:username, 'none'}/*",
             "Condition": {"ForAnyValue:StringLike": {"AWS:SECURETRANSPORT": ["x"]}}}]}"#;
        let got = keys(&[a, b]);
        // Within one condition block the keys' order is the JSON object's; compare as sets
        // there and check the rest in order.
        let mut first: Vec<&str> = got[..4].iter().map(String::as_str).collect();
        first.sort_unstable();
        assert_eq!(
            first,
            [
                "aws:PrincipalTag/team",
                "aws:SecureTransport",
                "aws:userid",
                "s3:prefix"
            ]
        );
        assert_eq!(got[4..], ["aws:username"]);
    }

    #[test]
    fn no_variables_in_old_versions_nor_escapes() {
        let old = r#"{"Version": "2008-10-17", "Statement": {"Effect": "Allow",
            "Action": "s3:*", "Resource": "arn:aws:s3:::b/${aws:username}"}}"#;
        assert!(keys(&[old]).is_empty());
        let escapes = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Action": "s3:*", "Resource": "arn:aws:s3:::b/${*}${?}${$}"}}"#;
        assert!(keys(&[escapes]).is_empty());
    }
}
