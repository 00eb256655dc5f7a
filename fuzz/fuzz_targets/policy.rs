//! The policy pipeline as iamd runs it on a JSON document: `check_size`, then
//! `Policy::parse_as` (grammar and validation, for each kind: inline identity, managed,
//! trust), `compile`, and `evaluate` against fixed requests in a fixed context (plus one
//! request built from the document's own first action and resource). Never panics; the
//! run's `-timeout` bounds the time one input takes. `evaluate` over several policies
//! gives what their single decisions combine to (explicit deny > allow > implicit deny).
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

use iamd_policy::{
    access_denied_message, check_size, evaluate, CompiledPolicy, Context, ContextValue, Decision,
    Policy, PolicyKind, Request, SizeQuota,
};
use libfuzzer_sys::fuzz_target;
use time::macros::datetime;

const ACCOUNT: &str = "123456789012";
const USER_ARN: &str = "arn:aws:iam::123456789012:user/division/alice";

/// A user caller with every kind of value a condition operator reads.
fn contexts() -> &'static [Context; 2] {
    static CONTEXTS: OnceLock<[Context; 2]> = OnceLock::new();
    CONTEXTS.get_or_init(|| {
        let user = Context::for_user(ACCOUNT, USER_ARN, "alice", "AIDAEXAMPLEALICE")
            .current_time(datetime!(2026-12-04 05:00:00 UTC))
            .source_ip(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)))
            .secure_transport(true)
            .requested_region("us-east-1")
            .mfa_present(false)
            .principal_tag("team", "blue")
            .with("aws:EpochTime", 1_796_360_400_i64)
            .with("aws:MultiFactorAuthAge", 3600.5)
            .with_values(
                "aws:TagKeys",
                vec![ContextValue::from("team"), ContextValue::from("Cost*")],
            )
            .with("iam:PolicyARN", "arn:aws:iam::aws:policy/ReadOnlyAccess");
        // A role session from another address family, with an empty value.
        let role = Context::new()
            .principal_arn("arn:aws:sts::123456789012:assumed-role/ops/s${x}")
            .principal_account(ACCOUNT)
            .principal_type("AssumedRole")
            .source_ip(IpAddr::V6(Ipv6Addr::LOCALHOST))
            .with("aws:userid", "")
            .with_values("aws:TagKeys", vec![]);
        [user, role]
    })
}

const REQUESTS: &[(&str, &str)] = &[
    (
        "iam:CreateAccessKey",
        "arn:aws:iam::123456789012:user/division/alice",
    ),
    ("iam:ListUsers", "*"),
    ("IAM:getuser", "arn:aws:iam::123456789012:user/bob"),
    ("sts:AssumeRole", "arn:aws:iam::123456789012:role/ops"),
    ("s3:GetObject", "arn:aws:s3:::bucket/key/with/*/and?"),
    ("", ""),
];

fn combine(decisions: impl Iterator<Item = Decision>) -> Decision {
    decisions.fold(Decision::ImplicitDeny, |acc, d| match (acc, d) {
        (Decision::ExplicitDeny, _) | (_, Decision::ExplicitDeny) => Decision::ExplicitDeny,
        (Decision::Allowed, _) | (_, Decision::Allowed) => Decision::Allowed,
        _ => Decision::ImplicitDeny,
    })
}

fn check(compiled: &[(&str, &CompiledPolicy)], action: &str, resource: &str) {
    for context in contexts() {
        let req = Request {
            action,
            resource,
            context,
        };
        let together = evaluate(compiled, &req);
        let alone = compiled.iter().map(|p| evaluate(&[*p], &req).decision);
        assert_eq!(together.decision, combine(alone), "{action} on {resource}");
        let _ = access_denied_message(USER_ARN, action, resource, together.decision);
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(json) = std::str::from_utf8(data) else {
        return;
    };
    let _ = check_size(SizeQuota::UserInline, "alice", &[json, json]);
    let _ = check_size(SizeQuota::Trust, "ops", &[json]);

    let mut policies: Vec<(&str, Policy)> = Vec::new();
    for (name, kind) in [
        ("inline", PolicyKind::Identity),
        ("managed", PolicyKind::Managed),
        ("trust", PolicyKind::Trust),
    ] {
        if let Ok(p) = Policy::parse_as(json, kind) {
            assert_eq!(p.kind, kind);
            policies.push((name, p));
        }
    }
    if policies.is_empty() {
        return;
    }
    let compiled: Vec<(&str, CompiledPolicy)> =
        policies.iter().map(|(n, p)| (*n, p.compile())).collect();
    let refs: Vec<(&str, &CompiledPolicy)> = compiled.iter().map(|(n, c)| (*n, c)).collect();
    for (action, resource) in REQUESTS {
        check(&refs, action, resource);
    }
    // The document's own patterns as a request: wildcards matched against themselves.
    let Some(first) = policies[0].1.statements.first() else {
        return;
    };
    let action = first.action.values.first().map_or("", String::as_str);
    let resource = first
        .resource
        .as_ref()
        .and_then(|r| r.values.first())
        .map_or("*", String::as_str);
    check(&refs, action, resource);
});
