//! Table-driven evaluation suite. Each group cites the page of the IAM User
//! Guide whose documented rule (and, where there is one, example policy) it
//! checks; every case is one policy set, one request and the decision.

use std::net::IpAddr;

use iamd_policy::{
    access_denied_message, evaluate, CompiledPolicy, Context, ContextValue, Decision, Effect,
    Policy, PolicyKind, Request,
};
use serde_json::{json, Value};
use time::macros::datetime;

use Decision::{Allowed as A, ExplicitDeny as D, ImplicitDeny as I};

struct Case {
    name: String,
    kind: PolicyKind,
    policies: Vec<String>,
    action: &'static str,
    resource: &'static str,
    ctx: Context,
    want: Decision,
}

const ALICE: &str = "arn:aws:iam::123456789012:user/alice";
const BOB: &str = "arn:aws:iam::123456789012:user/bob";

fn doc(version: Option<&str>, statements: Vec<Value>) -> String {
    let mut d = json!({ "Statement": statements });
    if let Some(v) = version {
        d["Version"] = json!(v);
    }
    d.to_string()
}

fn v12(statements: Vec<Value>) -> String {
    doc(Some("2012-10-17"), statements)
}

fn st(effect: &str, action: Value, resource: Value) -> Value {
    json!({ "Effect": effect, "Action": action, "Resource": resource })
}

fn allow(action: &str, resource: &str) -> Value {
    st("Allow", json!(action), json!(resource))
}

fn deny(action: &str, resource: &str) -> Value {
    st("Deny", json!(action), json!(resource))
}

fn with_cond(mut s: Value, cond: Value) -> Value {
    s["Condition"] = cond;
    s
}

struct Table(Vec<Case>);

impl Table {
    fn add(
        &mut self,
        name: &str,
        policies: Vec<String>,
        action: &'static str,
        resource: &'static str,
        ctx: Context,
        want: Decision,
    ) {
        self.0.push(Case {
            name: name.to_owned(),
            kind: PolicyKind::Identity,
            policies,
            action,
            resource,
            ctx,
            want,
        });
    }

    /// One policy, no context.
    fn one(
        &mut self,
        name: &str,
        policy: String,
        action: &'static str,
        res: &'static str,
        want: Decision,
    ) {
        self.add(name, vec![policy], action, res, Context::new(), want);
    }

    /// `Allow *:*` guarded by one condition; `holds` says whether it holds.
    fn cond(&mut self, name: &str, op: &str, key: &str, values: Value, ctx: Context, holds: bool) {
        let p = v12(vec![with_cond(
            allow("*", "*"),
            json!({ op: { key: values } }),
        )]);
        let want = if holds { A } else { I };
        self.add(name, vec![p], "iam:GetUser", ALICE, ctx, want);
    }

    /// As [`Table::cond`] with a whole condition block.
    fn block(&mut self, name: &str, block: Value, ctx: Context, holds: bool) {
        let p = v12(vec![with_cond(allow("*", "*"), block)]);
        let want = if holds { A } else { I };
        self.add(name, vec![p], "iam:GetUser", ALICE, ctx, want);
    }
}

fn s(key: &str, v: &str) -> Context {
    Context::new().with(key, v)
}

fn multi(key: &str, vs: &[&str]) -> Context {
    Context::new().with_values(key, vs.iter().map(|v| ContextValue::from(*v)).collect())
}

fn ip(key: &str, v: &str) -> Context {
    Context::new().with(key, v.parse::<IpAddr>().unwrap())
}

// --- "Policy evaluation logic" / "Determining whether a request is allowed
// or denied within an account": implicit deny by default, explicit deny
// overrides allow, across statements and across policies.
fn evaluation_logic(t: &mut Table) {
    t.add(
        "no policies: implicit deny",
        vec![],
        "iam:GetUser",
        ALICE,
        Context::new(),
        I,
    );
    t.one(
        "allow matches",
        v12(vec![allow("iam:GetUser", "*")]),
        "iam:GetUser",
        ALICE,
        A,
    );
    t.one(
        "allow for another action",
        v12(vec![allow("iam:GetUser", "*")]),
        "iam:ListUsers",
        "*",
        I,
    );
    t.one(
        "deny only: explicit deny",
        v12(vec![deny("iam:GetUser", "*")]),
        "iam:GetUser",
        ALICE,
        D,
    );
    t.one(
        "deny for another action is no allow",
        v12(vec![deny("iam:DeleteUser", "*")]),
        "iam:GetUser",
        ALICE,
        I,
    );
    t.one(
        "deny beats allow in the same policy",
        v12(vec![allow("iam:*", "*"), deny("iam:DeleteUser", "*")]),
        "iam:DeleteUser",
        ALICE,
        D,
    );
    t.one(
        "allow still applies to the actions the deny does not cover",
        v12(vec![allow("iam:*", "*"), deny("iam:DeleteUser", "*")]),
        "iam:GetUser",
        ALICE,
        A,
    );
    t.add(
        "deny in one policy beats allow in another",
        vec![v12(vec![allow("*", "*")]), v12(vec![deny("iam:*", "*")])],
        "iam:CreateUser",
        ALICE,
        Context::new(),
        D,
    );
    t.add(
        "deny order does not matter",
        vec![v12(vec![deny("iam:*", "*")]), v12(vec![allow("*", "*")])],
        "iam:CreateUser",
        ALICE,
        Context::new(),
        D,
    );
    t.add(
        "allow in a second policy",
        vec![
            v12(vec![allow("s3:*", "*")]),
            v12(vec![allow("iam:*", "*")]),
        ],
        "iam:CreateUser",
        ALICE,
        Context::new(),
        A,
    );
    t.one(
        "deny limited to one resource",
        v12(vec![allow("iam:*", "*"), deny("iam:*", BOB)]),
        "iam:GetUser",
        ALICE,
        A,
    );
    t.one(
        "deny on the named resource",
        v12(vec![allow("iam:*", "*"), deny("iam:*", BOB)]),
        "iam:GetUser",
        BOB,
        D,
    );
    t.one(
        "deny whose condition fails does not deny",
        v12(vec![
            allow("*", "*"),
            with_cond(
                deny("*", "*"),
                json!({"Bool": {"aws:SecureTransport": "false"}}),
            ),
        ]),
        "iam:GetUser",
        ALICE,
        A,
    );
    t.add(
        "deny whose condition holds denies",
        vec![v12(vec![
            allow("*", "*"),
            with_cond(
                deny("*", "*"),
                json!({"Bool": {"aws:SecureTransport": "false"}}),
            ),
        ])],
        "iam:GetUser",
        ALICE,
        Context::new().secure_transport(false),
        D,
    );
}

// --- "IAM JSON policy elements: Action": case-insensitive prefix and name,
// `*` and `?` wildcards, lists.
fn action_element(t: &mut Table) {
    let cases: &[(&str, &str, &str, Decision)] = &[
        ("exact", "iam:ListAccessKeys", "iam:ListAccessKeys", A),
        (
            "upper-case policy",
            "IAM:LISTACCESSKEYS",
            "iam:ListAccessKeys",
            A,
        ),
        (
            "lower-case policy",
            "iam:listaccesskeys",
            "iam:ListAccessKeys",
            A,
        ),
        (
            "mixed-case request",
            "iam:ListAccessKeys",
            "IAM:listaccesskeys",
            A,
        ),
        ("other action", "iam:ListAccessKeys", "iam:ListUsers", I),
        (
            "prefix of the name is not enough",
            "iam:List",
            "iam:ListUsers",
            I,
        ),
        ("service wildcard", "iam:*", "iam:DeleteUser", A),
        ("service wildcard other service", "iam:*", "s3:GetObject", I),
        ("all actions", "*", "sts:GetCallerIdentity", A),
        (
            "*AccessKey* create",
            "iam:*AccessKey*",
            "iam:CreateAccessKey",
            A,
        ),
        (
            "*AccessKey* delete",
            "iam:*AccessKey*",
            "iam:DeleteAccessKey",
            A,
        ),
        (
            "*AccessKey* list",
            "iam:*AccessKey*",
            "iam:ListAccessKeys",
            A,
        ),
        (
            "*AccessKey* update",
            "iam:*AccessKey*",
            "iam:UpdateAccessKey",
            A,
        ),
        (
            "*AccessKey* last used",
            "iam:*AccessKey*",
            "iam:GetAccessKeyLastUsed",
            A,
        ),
        (
            "*AccessKey* not GetUser",
            "iam:*AccessKey*",
            "iam:GetUser",
            I,
        ),
        ("trailing wildcard Get*", "iam:Get*", "iam:GetUser", A),
        (
            "trailing wildcard Get* on List",
            "iam:Get*",
            "iam:ListUsers",
            I,
        ),
        ("? one character", "iam:?etUser", "iam:GetUser", A),
        ("? not zero characters", "iam:G?etUser", "iam:GetUser", I),
        ("? exactly one", "iam:GetUse?", "iam:GetUsers", I),
        (
            "leading wildcard in the name",
            "iam:*User",
            "iam:GetUser",
            A,
        ),
        ("leading wildcard", "*:GetUser", "iam:GetUser", A),
        ("leading wildcard other name", "*:GetUser", "iam:GetRole", I),
        (
            "wildcard case-insensitive",
            "IAM:*accesskey*",
            "iam:CreateAccessKey",
            A,
        ),
    ];
    for (name, pat, action, want) in cases {
        t.one(
            &format!("Action {name}"),
            v12(vec![allow(pat, "*")]),
            action,
            "*",
            *want,
        );
    }
    t.one(
        "Action list: any element",
        v12(vec![st(
            "Allow",
            json!(["iam:GetUser", "iam:ListUsers"]),
            json!("*"),
        )]),
        "iam:ListUsers",
        "*",
        A,
    );
    t.one(
        "Action list: none matches",
        v12(vec![st(
            "Allow",
            json!(["iam:GetUser", "iam:ListUsers"]),
            json!("*"),
        )]),
        "iam:DeleteUser",
        "*",
        I,
    );
}

fn not_action(effect: &str, acts: Value, res: &str) -> Value {
    json!({ "Effect": effect, "NotAction": acts, "Resource": res })
}

// --- "IAM JSON policy elements: NotAction": with Allow it allows every
// action but the listed ones; with Deny it denies every action but them.
fn not_action_element(t: &mut Table) {
    let allow_all_but_iam = v12(vec![not_action("Allow", json!("iam:*"), "*")]);
    t.one(
        "NotAction Allow: unlisted action allowed",
        allow_all_but_iam.clone(),
        "s3:GetObject",
        "*",
        A,
    );
    t.one(
        "NotAction Allow: listed action not allowed",
        allow_all_but_iam.clone(),
        "iam:CreateUser",
        "*",
        I,
    );
    t.one(
        "NotAction Allow: case-insensitive",
        allow_all_but_iam,
        "IAM:createuser",
        "*",
        I,
    );
    let list = v12(vec![not_action(
        "Allow",
        json!(["iam:DeleteUser", "iam:CreateUser"]),
        "*",
    )]);
    t.one(
        "NotAction Allow list: other iam action allowed",
        list.clone(),
        "iam:GetUser",
        "*",
        A,
    );
    t.one(
        "NotAction Allow list: listed",
        list,
        "iam:DeleteUser",
        "*",
        I,
    );
    // The MFA example: deny everything except the MFA self-management actions.
    let deny_but = v12(vec![
        allow("*", "*"),
        not_action(
            "Deny",
            json!(["iam:ListMFADevices", "iam:ChangePassword"]),
            "*",
        ),
    ]);
    t.one(
        "NotAction Deny: unlisted action denied",
        deny_but.clone(),
        "iam:CreateUser",
        "*",
        D,
    );
    t.one(
        "NotAction Deny: listed action not denied",
        deny_but.clone(),
        "iam:ListMFADevices",
        "*",
        A,
    );
    t.one(
        "NotAction Deny: other listed action",
        deny_but,
        "iam:ChangePassword",
        "*",
        A,
    );
    let deny_only = v12(vec![not_action("Deny", json!("iam:Get*"), "*")]);
    t.one(
        "NotAction Deny alone does not allow the excluded",
        deny_only.clone(),
        "iam:GetUser",
        "*",
        I,
    );
    t.one(
        "NotAction Deny alone denies the rest",
        deny_only,
        "s3:GetObject",
        "*",
        D,
    );
    t.one(
        "NotAction Allow restricted by Resource",
        v12(vec![not_action(
            "Allow",
            json!("iam:*"),
            "arn:aws:s3:::bucket/*",
        )]),
        "s3:GetObject",
        "arn:aws:s3:::other/key",
        I,
    );
}

// --- "IAM JSON policy elements: Resource": ARNs are case-sensitive; `*`
// and `?` within segments; `*` spans `/`; a `*` that ends a segment may go
// past colons; a bare `*` matches every resource.
fn resource_element(t: &mut Table) {
    let cases: &[(&str, &str, &str, Decision)] = &[
        ("bare *", "*", ALICE, A),
        ("bare * on a non-resource action", "*", "*", A),
        (
            "exact user",
            "arn:aws:iam::123456789012:user/alice",
            ALICE,
            A,
        ),
        (
            "user name case-sensitive",
            "arn:aws:iam::123456789012:user/Alice",
            ALICE,
            I,
        ),
        ("other user", "arn:aws:iam::123456789012:user/bob", ALICE, I),
        ("account wildcard", "arn:aws:iam::*:user/alice", ALICE, A),
        (
            "account ? wildcards",
            "arn:aws:iam::12345678901?:user/alice",
            ALICE,
            A,
        ),
        ("all users", "arn:aws:iam::123456789012:user/*", ALICE, A),
        (
            "all users of another account",
            "arn:aws:iam::999999999999:user/*",
            ALICE,
            I,
        ),
        (
            "path prefix",
            "arn:aws:iam::123456789012:user/accounting/*",
            "arn:aws:iam::123456789012:user/accounting/carol",
            A,
        ),
        (
            "path prefix spans deeper paths",
            "arn:aws:iam::123456789012:user/accounting/*",
            "arn:aws:iam::123456789012:user/accounting/eu/carol",
            A,
        ),
        (
            "path prefix other path",
            "arn:aws:iam::123456789012:user/accounting/*",
            "arn:aws:iam::123456789012:user/sales/carol",
            I,
        ),
        (
            "s3 bucket objects",
            "arn:aws:s3:::bucket/*",
            "arn:aws:s3:::bucket/a/b.txt",
            A,
        ),
        (
            "s3 bucket itself is not an object",
            "arn:aws:s3:::bucket/*",
            "arn:aws:s3:::bucket",
            I,
        ),
        (
            "s3 */test/* one level",
            "arn:aws:s3:::bucket/*/test/*",
            "arn:aws:s3:::bucket/1/test/object.jpg",
            A,
        ),
        (
            "s3 */test/* several levels",
            "arn:aws:s3:::bucket/*/test/*",
            "arn:aws:s3:::bucket/1/2/test/3/object.jpg",
            A,
        ),
        (
            "s3 */test/* empty segments",
            "arn:aws:s3:::bucket/*/test/*",
            "arn:aws:s3:::bucket//test/object.jpg",
            A,
        ),
        (
            "s3 */test/* not 1-test",
            "arn:aws:s3:::bucket/*/test/*",
            "arn:aws:s3:::bucket/1-test/object.jpg",
            I,
        ),
        (
            "? within resource",
            "arn:aws:iam::123456789012:user/al?ce",
            ALICE,
            A,
        ),
        (
            "? is one character",
            "arn:aws:iam::123456789012:user/al?ice",
            ALICE,
            I,
        ),
        (
            "region wildcard",
            "arn:aws:sqs:*:123456789012:queue1",
            "arn:aws:sqs:us-east-2:123456789012:queue1",
            A,
        ),
        (
            "* at segment end may span colons",
            "arn:aws:logs:us-east-1:123456789012:log-group:app:*",
            "arn:aws:logs:us-east-1:123456789012:log-group:app:log-stream:s1",
            A,
        ),
        (
            "* mid-segment does not span colons",
            "arn:aws:iam::1*2:user/alice",
            "arn:aws:iam::1:2:user/alice",
            I,
        ),
        (
            "whole-ARN service wildcard *",
            "arn:aws:iam::123456789012:*",
            ALICE,
            A,
        ),
        ("other service", "arn:aws:s3:::*", ALICE, I),
        (
            "specific ARN vs * request resource",
            "arn:aws:iam::123456789012:user/*",
            "*",
            I,
        ),
    ];
    for (name, pat, res, want) in cases {
        t.one(
            &format!("Resource {name}"),
            v12(vec![allow("iam:GetUser", pat)]),
            "iam:GetUser",
            res,
            *want,
        );
    }
    t.one(
        "Resource list: second element",
        v12(vec![st("Allow", json!("iam:GetUser"), json!([BOB, ALICE]))]),
        "iam:GetUser",
        ALICE,
        A,
    );
}

fn not_resource(effect: &str, action: &str, res: Value) -> Value {
    json!({ "Effect": effect, "Action": action, "NotResource": res })
}

// --- "IAM JSON policy elements: NotResource": the statement applies to
// every resource except the listed ones.
fn not_resource_element(t: &mut Table) {
    let p = v12(vec![not_resource("Allow", "iam:*", json!(BOB))]);
    t.one(
        "NotResource Allow: other resource",
        p.clone(),
        "iam:GetUser",
        ALICE,
        A,
    );
    t.one(
        "NotResource Allow: listed resource",
        p,
        "iam:GetUser",
        BOB,
        I,
    );
    let p = v12(vec![not_resource(
        "Allow",
        "iam:*",
        json!("arn:aws:iam::123456789012:user/admin/*"),
    )]);
    t.one(
        "NotResource wildcard: outside",
        p.clone(),
        "iam:GetUser",
        ALICE,
        A,
    );
    t.one(
        "NotResource wildcard: inside",
        p,
        "iam:GetUser",
        "arn:aws:iam::123456789012:user/admin/root",
        I,
    );
    let p = v12(vec![
        allow("*", "*"),
        not_resource(
            "Deny",
            "s3:*",
            json!(["arn:aws:s3:::ok", "arn:aws:s3:::ok/*"]),
        ),
    ]);
    t.one(
        "NotResource Deny: other bucket denied",
        p.clone(),
        "s3:GetObject",
        "arn:aws:s3:::secret/x",
        D,
    );
    t.one(
        "NotResource Deny: listed bucket allowed",
        p.clone(),
        "s3:GetObject",
        "arn:aws:s3:::ok/x",
        A,
    );
    t.one(
        "NotResource Deny: action outside the statement",
        p,
        "iam:GetUser",
        ALICE,
        A,
    );
    t.one(
        "NotResource * excludes everything",
        v12(vec![not_resource("Allow", "iam:*", json!("*"))]),
        "iam:GetUser",
        ALICE,
        I,
    );
}

// --- "IAM policy elements: Variables and tags": `${aws:username}` and the
// like are replaced only in Version 2012-10-17 policies; a variable without a
// value matches nothing; `${*}`, `${?}`, `${$}` stand for the characters;
// `${key, 'default'}` supplies a default.
fn variables(t: &mut Table) {
    let res = "arn:aws:iam::123456789012:user/${aws:username}";
    let alice = || Context::new().username("alice");
    t.add(
        "variable 2012-10-17 substituted",
        vec![v12(vec![allow("iam:GetUser", res)])],
        "iam:GetUser",
        ALICE,
        alice(),
        A,
    );
    t.add(
        "variable other user",
        vec![v12(vec![allow("iam:GetUser", res)])],
        "iam:GetUser",
        BOB,
        alice(),
        I,
    );
    t.add(
        "variable 2008-10-17 is literal",
        vec![doc(Some("2008-10-17"), vec![allow("iam:GetUser", res)])],
        "iam:GetUser",
        ALICE,
        alice(),
        I,
    );
    t.add(
        "variable without Version is literal",
        vec![doc(None, vec![allow("iam:GetUser", res)])],
        "iam:GetUser",
        ALICE,
        alice(),
        I,
    );
    t.add(
        "literal ${aws:username} text matches itself under 2008-10-17",
        vec![doc(Some("2008-10-17"), vec![allow("iam:GetUser", res)])],
        "iam:GetUser",
        "arn:aws:iam::123456789012:user/${aws:username}",
        alice(),
        A,
    );
    t.add(
        "undefined variable matches nothing",
        vec![v12(vec![allow("iam:GetUser", res)])],
        "iam:GetUser",
        ALICE,
        Context::new(),
        I,
    );
    t.add(
        "undefined variable: other resources in the list still match",
        vec![v12(vec![st(
            "Allow",
            json!("iam:GetUser"),
            json!([res, BOB]),
        )])],
        "iam:GetUser",
        BOB,
        Context::new(),
        A,
    );
    t.add(
        "variable key is case-insensitive",
        vec![v12(vec![allow(
            "iam:GetUser",
            "arn:aws:iam::123456789012:user/${AWS:UserName}",
        )])],
        "iam:GetUser",
        ALICE,
        alice(),
        A,
    );
    t.add(
        "variable value is literal, not a wildcard",
        vec![v12(vec![allow("iam:GetUser", res)])],
        "iam:GetUser",
        ALICE,
        Context::new().username("*"),
        I,
    );
    t.add(
        "aws:userid variable",
        vec![v12(vec![allow(
            "s3:GetObject",
            "arn:aws:s3:::home/${aws:userid}/*",
        )])],
        "s3:GetObject",
        "arn:aws:s3:::home/AIDAEXAMPLE/file",
        Context::new().userid("AIDAEXAMPLE"),
        A,
    );
    t.add(
        "aws:PrincipalTag variable",
        vec![v12(vec![allow(
            "s3:GetObject",
            "arn:aws:s3:::team-${aws:PrincipalTag/team}/*",
        )])],
        "s3:GetObject",
        "arn:aws:s3:::team-blue/x",
        Context::new().principal_tag("team", "blue"),
        A,
    );
    t.add(
        "aws:PrincipalTag variable wrong team",
        vec![v12(vec![allow(
            "s3:GetObject",
            "arn:aws:s3:::team-${aws:PrincipalTag/team}/*",
        )])],
        "s3:GetObject",
        "arn:aws:s3:::team-red/x",
        Context::new().principal_tag("team", "blue"),
        I,
    );
    t.add(
        "multivalued key does not resolve as a variable",
        vec![v12(vec![allow(
            "s3:GetObject",
            "arn:aws:s3:::b/${aws:username}",
        )])],
        "s3:GetObject",
        "arn:aws:s3:::b/alice",
        multi("aws:username", &["alice", "bob"]),
        I,
    );
    t.add(
        "${*} is a literal asterisk",
        vec![v12(vec![allow("s3:GetObject", "arn:aws:s3:::b/${*}")])],
        "s3:GetObject",
        "arn:aws:s3:::b/*",
        Context::new(),
        A,
    );
    t.add(
        "${*} is not a wildcard",
        vec![v12(vec![allow("s3:GetObject", "arn:aws:s3:::b/${*}")])],
        "s3:GetObject",
        "arn:aws:s3:::b/x",
        Context::new(),
        I,
    );
    t.add(
        "${?} is a literal question mark",
        vec![v12(vec![allow("s3:GetObject", "arn:aws:s3:::b/${?}")])],
        "s3:GetObject",
        "arn:aws:s3:::b/?",
        Context::new(),
        A,
    );
    t.add(
        "${$} is a literal dollar",
        vec![v12(vec![allow("s3:GetObject", "arn:aws:s3:::b/${$}x")])],
        "s3:GetObject",
        "arn:aws:s3:::b/$x",
        Context::new(),
        A,
    );
    t.add(
        "default value used when the key is absent",
        vec![v12(vec![allow(
            "s3:GetObject",
            "arn:aws:s3:::b/${aws:PrincipalTag/team, 'company-wide'}/*",
        )])],
        "s3:GetObject",
        "arn:aws:s3:::b/company-wide/x",
        Context::new(),
        A,
    );
    t.add(
        "default value ignored when the key is present",
        vec![v12(vec![allow(
            "s3:GetObject",
            "arn:aws:s3:::b/${aws:PrincipalTag/team, 'company-wide'}/*",
        )])],
        "s3:GetObject",
        "arn:aws:s3:::b/company-wide/x",
        Context::new().principal_tag("team", "blue"),
        I,
    );
    t.add(
        "variable in a StringLike condition value",
        vec![v12(vec![with_cond(
            allow("s3:ListBucket", "arn:aws:s3:::b"),
            json!({"StringLike": {"s3:prefix": ["${aws:username}/*"]}}),
        )])],
        "s3:ListBucket",
        "arn:aws:s3:::b",
        alice().with("s3:prefix", "alice/photos"),
        A,
    );
    t.add(
        "variable in a condition: other user's prefix",
        vec![v12(vec![with_cond(
            allow("s3:ListBucket", "arn:aws:s3:::b"),
            json!({"StringLike": {"s3:prefix": ["${aws:username}/*"]}}),
        )])],
        "s3:ListBucket",
        "arn:aws:s3:::b",
        alice().with("s3:prefix", "bob/photos"),
        I,
    );
    t.add(
        "condition variable literal under 2008-10-17",
        vec![doc(
            Some("2008-10-17"),
            vec![with_cond(
                allow("*", "*"),
                json!({"StringEquals": {"s3:prefix": "${aws:username}"}}),
            )],
        )],
        "s3:ListBucket",
        "*",
        alice().with("s3:prefix", "alice"),
        I,
    );
    t.add(
        "undefined variable in a StringNotEquals value: nothing to differ from",
        vec![v12(vec![with_cond(
            allow("*", "*"),
            json!({"StringNotEquals": {"aws:PrincipalTag/team": "${aws:RequestTag/team}"}}),
        )])],
        "iam:GetUser",
        ALICE,
        Context::new().principal_tag("team", "blue"),
        A,
    );
    t.add(
        "principal tag equals resource tag via variable",
        vec![v12(vec![with_cond(
            allow("*", "*"),
            json!({"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}),
        )])],
        "iam:GetUser",
        ALICE,
        Context::new()
            .principal_tag("team", "blue")
            .with("aws:ResourceTag/team", "blue"),
        A,
    );
    t.add(
        "Numeric values take no variables",
        vec![v12(vec![with_cond(
            allow("*", "*"),
            json!({"NumericEquals": {"k": "${aws:username}"}}),
        )])],
        "iam:GetUser",
        ALICE,
        Context::new().username("5").with("k", 5i64),
        I,
    );
}

// --- "IAM JSON policy elements: Condition operators", String condition
// operators.
fn string_operators(t: &mut Table) {
    let k = "aws:PrincipalTag/job-category";
    t.cond(
        "StringEquals match",
        "StringEquals",
        k,
        json!("iamuser-admin"),
        s(k, "iamuser-admin"),
        true,
    );
    t.cond(
        "StringEquals is case-sensitive",
        "StringEquals",
        k,
        json!("iamuser-admin"),
        s(k, "IAMUser-Admin"),
        false,
    );
    t.cond(
        "StringEquals no match",
        "StringEquals",
        k,
        json!("iamuser-admin"),
        s(k, "other"),
        false,
    );
    t.cond(
        "StringEquals missing key",
        "StringEquals",
        k,
        json!("iamuser-admin"),
        Context::new(),
        false,
    );
    t.cond(
        "StringEquals values are ORed",
        "StringEquals",
        k,
        json!(["a", "b", "c"]),
        s(k, "b"),
        true,
    );
    t.cond(
        "StringEquals * is literal",
        "StringEquals",
        k,
        json!("a*"),
        s(k, "abc"),
        false,
    );
    t.cond(
        "StringEquals * literal matches *",
        "StringEquals",
        k,
        json!("a*"),
        s(k, "a*"),
        true,
    );
    t.cond(
        "StringEquals condition key name case-insensitive",
        "StringEquals",
        "AWS:PRINCIPALTAG/JOB-CATEGORY",
        json!("x"),
        s(k, "x"),
        true,
    );
    t.cond(
        "StringNotEquals differs",
        "StringNotEquals",
        k,
        json!("x"),
        s(k, "y"),
        true,
    );
    t.cond(
        "StringNotEquals equal",
        "StringNotEquals",
        k,
        json!("x"),
        s(k, "x"),
        false,
    );
    t.cond(
        "StringNotEquals none of the values",
        "StringNotEquals",
        k,
        json!(["x", "y"]),
        s(k, "z"),
        true,
    );
    t.cond(
        "StringNotEquals one of the values",
        "StringNotEquals",
        k,
        json!(["x", "y"]),
        s(k, "y"),
        false,
    );
    t.cond(
        "StringNotEquals missing key is true",
        "StringNotEquals",
        k,
        json!("x"),
        Context::new(),
        true,
    );
    t.cond(
        "StringEqualsIgnoreCase",
        "StringEqualsIgnoreCase",
        k,
        json!("IAMUser-Admin"),
        s(k, "iamuser-admin"),
        true,
    );
    t.cond(
        "StringEqualsIgnoreCase no match",
        "StringEqualsIgnoreCase",
        k,
        json!("admin"),
        s(k, "user"),
        false,
    );
    t.cond(
        "StringNotEqualsIgnoreCase same but case",
        "StringNotEqualsIgnoreCase",
        k,
        json!("ADMIN"),
        s(k, "admin"),
        false,
    );
    t.cond(
        "StringNotEqualsIgnoreCase differs",
        "StringNotEqualsIgnoreCase",
        k,
        json!("ADMIN"),
        s(k, "user"),
        true,
    );
    t.cond(
        "StringNotEqualsIgnoreCase missing key",
        "StringNotEqualsIgnoreCase",
        k,
        json!("ADMIN"),
        Context::new(),
        true,
    );
    t.cond(
        "StringLike *",
        "StringLike",
        "s3:prefix",
        json!("home/*"),
        s("s3:prefix", "home/alice/x"),
        true,
    );
    t.cond(
        "StringLike * matches empty",
        "StringLike",
        "s3:prefix",
        json!("home/*"),
        s("s3:prefix", "home/"),
        true,
    );
    t.cond(
        "StringLike no match",
        "StringLike",
        "s3:prefix",
        json!("home/*"),
        s("s3:prefix", "etc/x"),
        false,
    );
    t.cond(
        "StringLike ?",
        "StringLike",
        "s3:prefix",
        json!("v?"),
        s("s3:prefix", "v1"),
        true,
    );
    t.cond(
        "StringLike ? needs one",
        "StringLike",
        "s3:prefix",
        json!("v?"),
        s("s3:prefix", "v"),
        false,
    );
    t.cond(
        "StringLike case-sensitive",
        "StringLike",
        "s3:prefix",
        json!("Home/*"),
        s("s3:prefix", "home/x"),
        false,
    );
    t.cond(
        "StringLike missing key",
        "StringLike",
        "s3:prefix",
        json!("*"),
        Context::new(),
        false,
    );
    t.cond(
        "StringLike values ORed",
        "StringLike",
        "s3:prefix",
        json!(["a/*", "b/*"]),
        s("s3:prefix", "b/1"),
        true,
    );
    t.cond(
        "StringNotLike outside",
        "StringNotLike",
        "s3:prefix",
        json!("home/*"),
        s("s3:prefix", "etc/x"),
        true,
    );
    t.cond(
        "StringNotLike inside",
        "StringNotLike",
        "s3:prefix",
        json!("home/*"),
        s("s3:prefix", "home/x"),
        false,
    );
    t.cond(
        "StringNotLike missing key is true",
        "StringNotLike",
        "s3:prefix",
        json!("home/*"),
        Context::new(),
        true,
    );
    t.cond(
        "String operator reads a bool key as text",
        "StringEquals",
        "aws:SecureTransport",
        json!("true"),
        Context::new().secure_transport(true),
        true,
    );
}

// --- Numeric condition operators.
fn numeric_operators(t: &mut Table) {
    let k = "s3:max-keys";
    let n = |v: i64| Context::new().with(k, v);
    t.cond(
        "NumericEquals",
        "NumericEquals",
        k,
        json!("10"),
        n(10),
        true,
    );
    t.cond(
        "NumericEquals other",
        "NumericEquals",
        k,
        json!("10"),
        n(11),
        false,
    );
    t.cond(
        "NumericEquals JSON number value",
        "NumericEquals",
        k,
        json!(10),
        n(10),
        true,
    );
    t.cond(
        "NumericEquals float",
        "NumericEquals",
        k,
        json!("1.5"),
        Context::new().with(k, 1.5),
        true,
    );
    t.cond(
        "NumericEquals string context value",
        "NumericEquals",
        k,
        json!("10"),
        s(k, "10"),
        true,
    );
    t.cond(
        "NumericEquals non-number context value",
        "NumericEquals",
        k,
        json!("10"),
        s(k, "ten"),
        false,
    );
    t.cond(
        "NumericNotEquals",
        "NumericNotEquals",
        k,
        json!("10"),
        n(11),
        true,
    );
    t.cond(
        "NumericNotEquals equal",
        "NumericNotEquals",
        k,
        json!("10"),
        n(10),
        false,
    );
    t.cond(
        "NumericNotEquals missing key",
        "NumericNotEquals",
        k,
        json!("10"),
        Context::new(),
        true,
    );
    t.cond(
        "NumericLessThan below",
        "NumericLessThan",
        k,
        json!("10"),
        n(9),
        true,
    );
    t.cond(
        "NumericLessThan equal",
        "NumericLessThan",
        k,
        json!("10"),
        n(10),
        false,
    );
    t.cond(
        "NumericLessThanEquals equal",
        "NumericLessThanEquals",
        k,
        json!("10"),
        n(10),
        true,
    );
    t.cond(
        "NumericLessThanEquals above",
        "NumericLessThanEquals",
        k,
        json!("10"),
        n(11),
        false,
    );
    t.cond(
        "NumericGreaterThan above",
        "NumericGreaterThan",
        k,
        json!("10"),
        n(11),
        true,
    );
    t.cond(
        "NumericGreaterThan equal",
        "NumericGreaterThan",
        k,
        json!("10"),
        n(10),
        false,
    );
    t.cond(
        "NumericGreaterThanEquals equal",
        "NumericGreaterThanEquals",
        k,
        json!("10"),
        n(10),
        true,
    );
    t.cond(
        "NumericGreaterThanEquals below",
        "NumericGreaterThanEquals",
        k,
        json!("10"),
        n(9),
        false,
    );
    t.cond(
        "NumericLessThan missing key",
        "NumericLessThan",
        k,
        json!("10"),
        Context::new(),
        false,
    );
    t.cond(
        "NumericLessThan bad policy value",
        "NumericLessThan",
        k,
        json!("ten"),
        n(1),
        false,
    );
}

// --- Date condition operators: W3C ISO 8601 dates or epoch seconds.
fn date_operators(t: &mut Table) {
    let now = || Context::new().current_time(datetime!(2020-04-01 12:00 UTC));
    let k = "aws:CurrentTime";
    t.cond(
        "DateLessThan ISO before",
        "DateLessThan",
        k,
        json!("2020-06-30T00:00:00Z"),
        now(),
        true,
    );
    t.cond(
        "DateLessThan ISO after",
        "DateLessThan",
        k,
        json!("2020-01-01T00:00:00Z"),
        now(),
        false,
    );
    t.cond(
        "DateGreaterThan ISO",
        "DateGreaterThan",
        k,
        json!("2020-01-01T00:00:00Z"),
        now(),
        true,
    );
    t.cond(
        "DateGreaterThan ISO future",
        "DateGreaterThan",
        k,
        json!("2021-01-01T00:00:00Z"),
        now(),
        false,
    );
    t.cond(
        "DateEquals exact",
        "DateEquals",
        k,
        json!("2020-04-01T12:00:00Z"),
        now(),
        true,
    );
    t.cond(
        "DateEquals with an offset",
        "DateEquals",
        k,
        json!("2020-04-01T14:00:00+02:00"),
        now(),
        true,
    );
    t.cond(
        "DateEquals other",
        "DateEquals",
        k,
        json!("2020-04-01T12:00:01Z"),
        now(),
        false,
    );
    t.cond(
        "DateNotEquals other",
        "DateNotEquals",
        k,
        json!("2020-04-01T12:00:01Z"),
        now(),
        true,
    );
    t.cond(
        "DateNotEquals missing key",
        "DateNotEquals",
        k,
        json!("2020-04-01T12:00:01Z"),
        Context::new(),
        true,
    );
    t.cond(
        "DateLessThanEquals equal",
        "DateLessThanEquals",
        k,
        json!("2020-04-01T12:00:00Z"),
        now(),
        true,
    );
    t.cond(
        "DateGreaterThanEquals equal",
        "DateGreaterThanEquals",
        k,
        json!("2020-04-01T12:00:00Z"),
        now(),
        true,
    );
    t.cond(
        "DateGreaterThanEquals later",
        "DateGreaterThanEquals",
        k,
        json!("2020-04-01T12:00:01Z"),
        now(),
        false,
    );
    t.cond(
        "Date with a date-only value",
        "DateGreaterThan",
        k,
        json!("2020-04-01"),
        now(),
        true,
    );
    t.cond(
        "Date with an epoch value",
        "DateLessThan",
        k,
        json!("1585742401"),
        now(),
        true,
    );
    t.cond(
        "Date epoch value equal",
        "DateEquals",
        k,
        json!("1585742400"),
        now(),
        true,
    );
    t.cond(
        "Date on aws:EpochTime with ISO value",
        "DateGreaterThan",
        "aws:EpochTime",
        json!("2020-01-01T00:00:00Z"),
        now(),
        true,
    );
    t.cond(
        "Date on aws:EpochTime with epoch value",
        "DateLessThan",
        "aws:EpochTime",
        json!("1585742399"),
        now(),
        false,
    );
    t.cond(
        "Date missing key",
        "DateLessThan",
        k,
        json!("2030-01-01T00:00:00Z"),
        Context::new(),
        false,
    );
    t.cond(
        "Date on a string context key",
        "DateLessThan",
        "aws:TokenIssueTime",
        json!("2020-01-01T00:00:00Z"),
        s("aws:TokenIssueTime", "2019-12-31T23:59:59Z"),
        true,
    );
    t.block(
        "Date window: both bounds (AND)",
        json!({"DateGreaterThan": {k: "2020-01-01T00:00:00Z"}, "DateLessThan": {k: "2020-06-30T23:59:59Z"}}),
        now(),
        true,
    );
    t.block(
        "Date window: outside",
        json!({"DateGreaterThan": {k: "2020-05-01T00:00:00Z"}, "DateLessThan": {k: "2020-06-30T23:59:59Z"}}),
        now(),
        false,
    );
}

// --- Boolean and Binary condition operators.
fn bool_operators(t: &mut Table) {
    let k = "aws:SecureTransport";
    t.cond(
        "Bool true on true",
        "Bool",
        k,
        json!("true"),
        Context::new().secure_transport(true),
        true,
    );
    t.cond(
        "Bool true on false",
        "Bool",
        k,
        json!("true"),
        Context::new().secure_transport(false),
        false,
    );
    t.cond(
        "Bool false on false",
        "Bool",
        k,
        json!("false"),
        Context::new().secure_transport(false),
        true,
    );
    t.cond(
        "Bool JSON boolean value",
        "Bool",
        k,
        json!(true),
        Context::new().secure_transport(true),
        true,
    );
    t.cond(
        "Bool value case-insensitive",
        "Bool",
        k,
        json!("TRUE"),
        Context::new().secure_transport(true),
        true,
    );
    t.cond(
        "Bool string context value",
        "Bool",
        k,
        json!("true"),
        s(k, "true"),
        true,
    );
    t.cond(
        "Bool missing key",
        "Bool",
        k,
        json!("false"),
        Context::new(),
        false,
    );
    t.cond(
        "Bool non-boolean policy value",
        "Bool",
        k,
        json!("yes"),
        Context::new().secure_transport(true),
        false,
    );
    t.cond(
        "BinaryEquals same base64",
        "BinaryEquals",
        "k",
        json!("QmluYXJ5VmFsdWU="),
        s("k", "QmluYXJ5VmFsdWU="),
        true,
    );
    t.cond(
        "BinaryEquals other",
        "BinaryEquals",
        "k",
        json!("QmluYXJ5VmFsdWU="),
        s("k", "T3RoZXI="),
        false,
    );
}

// --- IP address condition operators (RFC 4632 CIDR, IPv4 and IPv6).
fn ip_operators(t: &mut Table) {
    let k = "aws:SourceIp";
    t.cond(
        "IpAddress v4 in /24",
        "IpAddress",
        k,
        json!("203.0.113.0/24"),
        ip(k, "203.0.113.7"),
        true,
    );
    t.cond(
        "IpAddress v4 outside /24",
        "IpAddress",
        k,
        json!("203.0.113.0/24"),
        ip(k, "203.0.114.7"),
        false,
    );
    t.cond(
        "IpAddress v4 single host",
        "IpAddress",
        k,
        json!("203.0.113.7"),
        ip(k, "203.0.113.7"),
        true,
    );
    t.cond(
        "IpAddress v4 /32",
        "IpAddress",
        k,
        json!("203.0.113.7/32"),
        ip(k, "203.0.113.8"),
        false,
    );
    t.cond(
        "IpAddress v4 /0",
        "IpAddress",
        k,
        json!("0.0.0.0/0"),
        ip(k, "8.8.8.8"),
        true,
    );
    t.cond(
        "IpAddress list ORed",
        "IpAddress",
        k,
        json!(["192.0.2.0/24", "203.0.113.0/24"]),
        ip(k, "203.0.113.7"),
        true,
    );
    t.cond(
        "IpAddress v6 in /64",
        "IpAddress",
        k,
        json!("2001:DB8:1234:5678::/64"),
        ip(k, "2001:db8:1234:5678::42"),
        true,
    );
    t.cond(
        "IpAddress v6 outside /64",
        "IpAddress",
        k,
        json!("2001:DB8:1234:5678::/64"),
        ip(k, "2001:db8:1234:5679::42"),
        false,
    );
    t.cond(
        "IpAddress v4 request vs v6 block",
        "IpAddress",
        k,
        json!("2001:DB8::/32"),
        ip(k, "203.0.113.7"),
        false,
    );
    t.cond(
        "IpAddress string context value",
        "IpAddress",
        k,
        json!("203.0.113.0/24"),
        s(k, "203.0.113.7"),
        true,
    );
    t.cond(
        "IpAddress missing key",
        "IpAddress",
        k,
        json!("0.0.0.0/0"),
        Context::new(),
        false,
    );
    t.cond(
        "NotIpAddress outside",
        "NotIpAddress",
        k,
        json!("203.0.113.0/24"),
        ip(k, "198.51.100.1"),
        true,
    );
    t.cond(
        "NotIpAddress inside",
        "NotIpAddress",
        k,
        json!("203.0.113.0/24"),
        ip(k, "203.0.113.1"),
        false,
    );
    t.cond(
        "NotIpAddress v6 outside",
        "NotIpAddress",
        k,
        json!("2001:DB8::/32"),
        ip(k, "2001:db9::1"),
        true,
    );
    t.cond(
        "NotIpAddress missing key is true",
        "NotIpAddress",
        k,
        json!("203.0.113.0/24"),
        Context::new(),
        true,
    );
    t.add(
        "Deny NotIpAddress: request from outside the range",
        vec![v12(vec![
            allow("*", "*"),
            with_cond(
                deny("*", "*"),
                json!({"NotIpAddress": {k: ["192.0.2.0/24", "203.0.113.0/24"]}}),
            ),
        ])],
        "iam:GetUser",
        ALICE,
        ip(k, "198.51.100.9"),
        D,
    );
    t.add(
        "Deny NotIpAddress: request from inside the range",
        vec![v12(vec![
            allow("*", "*"),
            with_cond(
                deny("*", "*"),
                json!({"NotIpAddress": {k: ["192.0.2.0/24", "203.0.113.0/24"]}}),
            ),
        ])],
        "iam:GetUser",
        ALICE,
        ip(k, "192.0.2.200"),
        A,
    );
}

// --- Amazon Resource Name (ARN) condition operators: case-sensitive, each
// of the six colon-separated components compared with `*`/`?` wildcards.
fn arn_operators(t: &mut Table) {
    let k = "aws:SourceArn";
    let q = "arn:aws:sns:us-west-2:123456789012:my-topic";
    t.cond("ArnEquals exact", "ArnEquals", k, json!(q), s(k, q), true);
    t.cond(
        "ArnEquals other",
        "ArnEquals",
        k,
        json!(q),
        s(k, "arn:aws:sns:us-west-2:123456789012:other"),
        false,
    );
    t.cond(
        "ArnEquals case-sensitive",
        "ArnEquals",
        k,
        json!(q),
        s(k, "arn:aws:sns:us-west-2:123456789012:My-Topic"),
        false,
    );
    t.cond(
        "ArnLike wildcard region",
        "ArnLike",
        k,
        json!("arn:aws:sns:*:123456789012:my-topic"),
        s(k, q),
        true,
    );
    t.cond(
        "ArnLike wildcard resource",
        "ArnLike",
        k,
        json!("arn:aws:sns:us-west-2:123456789012:*"),
        s(k, q),
        true,
    );
    t.cond(
        "ArnLike wildcard does not cross components",
        "ArnLike",
        k,
        json!("arn:aws:sns:*:my-topic"),
        s(k, q),
        false,
    );
    t.cond(
        "ArnLike ? in account",
        "ArnLike",
        k,
        json!("arn:aws:sns:us-west-2:12345678901?:my-topic"),
        s(k, q),
        true,
    );
    t.cond(
        "ArnLike resource keeps its colons",
        "ArnLike",
        k,
        json!("arn:aws:logs:*:*:log-group:app:*"),
        s(k, "arn:aws:logs:r:1:log-group:app:log-stream:x"),
        true,
    );
    t.cond(
        "ArnLike not an ARN",
        "ArnLike",
        k,
        json!("arn:aws:sns:*:*:*"),
        s(k, "my-topic"),
        false,
    );
    t.cond(
        "ArnEquals with wildcard behaves as ArnLike",
        "ArnEquals",
        k,
        json!("arn:aws:sns:us-west-2:*:my-topic"),
        s(k, q),
        true,
    );
    t.cond(
        "ArnNotEquals other",
        "ArnNotEquals",
        k,
        json!(q),
        s(k, "arn:aws:sns:us-west-2:123456789012:other"),
        true,
    );
    t.cond(
        "ArnNotEquals same",
        "ArnNotEquals",
        k,
        json!(q),
        s(k, q),
        false,
    );
    t.cond(
        "ArnNotLike outside",
        "ArnNotLike",
        k,
        json!("arn:aws:sns:*:999999999999:*"),
        s(k, q),
        true,
    );
    t.cond(
        "ArnNotLike inside",
        "ArnNotLike",
        k,
        json!("arn:aws:sns:*:123456789012:*"),
        s(k, q),
        false,
    );
    t.cond(
        "ArnNotLike missing key is true",
        "ArnNotLike",
        k,
        json!("arn:aws:sns:*:*:*"),
        Context::new(),
        true,
    );
    t.cond(
        "ArnLike missing key",
        "ArnLike",
        k,
        json!("arn:aws:sns:*:*:*"),
        Context::new(),
        false,
    );
    t.cond(
        "ArnEquals aws:PrincipalArn with variable",
        "ArnEquals",
        "aws:PrincipalArn",
        json!("arn:aws:iam::123456789012:user/${aws:username}"),
        Context::new().username("alice").principal_arn(ALICE),
        true,
    );
}

// --- Condition operator to check existence of condition keys (Null).
fn null_operator(t: &mut Table) {
    let k = "aws:TokenIssueTime";
    t.cond(
        "Null true: key absent",
        "Null",
        k,
        json!("true"),
        Context::new(),
        true,
    );
    t.cond(
        "Null true: key present",
        "Null",
        k,
        json!("true"),
        s(k, "2020-01-01T00:00:00Z"),
        false,
    );
    t.cond(
        "Null false: key present",
        "Null",
        k,
        json!("false"),
        s(k, "2020-01-01T00:00:00Z"),
        true,
    );
    t.cond(
        "Null false: key absent",
        "Null",
        k,
        json!("false"),
        Context::new(),
        false,
    );
    t.cond(
        "Null true: empty multivalued key counts as absent",
        "Null",
        "aws:TagKeys",
        json!("true"),
        Context::new().with_values("aws:TagKeys", vec![]),
        true,
    );
    t.cond(
        "Null JSON boolean value",
        "Null",
        k,
        json!(true),
        Context::new(),
        true,
    );
    t.add(
        "Deny when the MFA key is absent (long-term keys)",
        vec![v12(vec![
            allow("*", "*"),
            with_cond(
                deny("*", "*"),
                json!({"Null": {"aws:MultiFactorAuthPresent": "true"}}),
            ),
        ])],
        "iam:GetUser",
        ALICE,
        Context::new(),
        D,
    );
    t.add(
        "No Null deny when the MFA key is present",
        vec![v12(vec![
            allow("*", "*"),
            with_cond(
                deny("*", "*"),
                json!({"Null": {"aws:MultiFactorAuthPresent": "true"}}),
            ),
        ])],
        "iam:GetUser",
        ALICE,
        Context::new().mfa_present(false),
        A,
    );
}

// --- ...IfExists condition operators: "If the key is not present, evaluate
// the condition element as true."
fn if_exists(t: &mut Table) {
    let k = "ec2:InstanceType";
    t.cond(
        "StringLikeIfExists absent",
        "StringLikeIfExists",
        k,
        json!(["t1.*", "t2.*"]),
        Context::new(),
        true,
    );
    t.cond(
        "StringLikeIfExists present match",
        "StringLikeIfExists",
        k,
        json!(["t1.*", "t2.*"]),
        s(k, "t2.micro"),
        true,
    );
    t.cond(
        "StringLikeIfExists present no match",
        "StringLikeIfExists",
        k,
        json!(["t1.*", "t2.*"]),
        s(k, "m5.large"),
        false,
    );
    t.cond(
        "StringEqualsIfExists absent",
        "StringEqualsIfExists",
        k,
        json!("x"),
        Context::new(),
        true,
    );
    t.cond(
        "StringNotEqualsIfExists present equal",
        "StringNotEqualsIfExists",
        k,
        json!("x"),
        s(k, "x"),
        false,
    );
    t.cond(
        "NumericLessThanIfExists absent",
        "NumericLessThanIfExists",
        "n",
        json!("5"),
        Context::new(),
        true,
    );
    t.cond(
        "NumericLessThanIfExists present above",
        "NumericLessThanIfExists",
        "n",
        json!("5"),
        Context::new().with("n", 9i64),
        false,
    );
    t.cond(
        "DateGreaterThanIfExists absent",
        "DateGreaterThanIfExists",
        "aws:TokenIssueTime",
        json!("2020-01-01T00:00:00Z"),
        Context::new(),
        true,
    );
    t.cond(
        "BoolIfExists absent",
        "BoolIfExists",
        "aws:MultiFactorAuthPresent",
        json!("false"),
        Context::new(),
        true,
    );
    t.cond(
        "BoolIfExists present false",
        "BoolIfExists",
        "aws:MultiFactorAuthPresent",
        json!("false"),
        Context::new().mfa_present(false),
        true,
    );
    t.cond(
        "BoolIfExists present true",
        "BoolIfExists",
        "aws:MultiFactorAuthPresent",
        json!("false"),
        Context::new().mfa_present(true),
        false,
    );
    t.cond(
        "IpAddressIfExists absent",
        "IpAddressIfExists",
        "aws:SourceIp",
        json!("10.0.0.0/8"),
        Context::new(),
        true,
    );
    t.cond(
        "ArnLikeIfExists absent",
        "ArnLikeIfExists",
        "aws:SourceArn",
        json!("arn:aws:sns:*:*:*"),
        Context::new(),
        true,
    );
    t.add(
        "Deny BoolIfExists MFA false: long-term keys (absent) are denied",
        vec![v12(vec![
            allow("*", "*"),
            with_cond(
                deny("*", "*"),
                json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}),
            ),
        ])],
        "iam:GetUser",
        ALICE,
        Context::new(),
        D,
    );
    t.add(
        "Deny BoolIfExists MFA false: MFA session allowed",
        vec![v12(vec![
            allow("*", "*"),
            with_cond(
                deny("*", "*"),
                json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}),
            ),
        ])],
        "iam:GetUser",
        ALICE,
        Context::new().mfa_present(true),
        A,
    );
}

// --- "Set operators for multivalued context keys" (ForAllValues /
// ForAnyValue), "Single-valued vs. multivalued context keys".
fn set_operators(t: &mut Table) {
    let k = "aws:TagKeys";
    let allowed = json!(["environment", "cost-center"]);
    t.cond(
        "ForAllValues all in the set",
        "ForAllValues:StringEquals",
        k,
        allowed.clone(),
        multi(k, &["environment", "cost-center"]),
        true,
    );
    t.cond(
        "ForAllValues subset",
        "ForAllValues:StringEquals",
        k,
        allowed.clone(),
        multi(k, &["environment"]),
        true,
    );
    t.cond(
        "ForAllValues one outside",
        "ForAllValues:StringEquals",
        k,
        allowed.clone(),
        multi(k, &["environment", "owner"]),
        false,
    );
    t.cond(
        "ForAllValues missing key is true",
        "ForAllValues:StringEquals",
        k,
        allowed.clone(),
        Context::new(),
        true,
    );
    t.cond(
        "ForAllValues empty set is true",
        "ForAllValues:StringEquals",
        k,
        allowed.clone(),
        multi(k, &[]),
        true,
    );
    t.cond(
        "ForAllValues single value",
        "ForAllValues:StringEquals",
        k,
        allowed.clone(),
        s(k, "cost-center"),
        true,
    );
    t.cond(
        "ForAnyValue one in the set",
        "ForAnyValue:StringEquals",
        k,
        allowed.clone(),
        multi(k, &["owner", "environment"]),
        true,
    );
    t.cond(
        "ForAnyValue none in the set",
        "ForAnyValue:StringEquals",
        k,
        allowed.clone(),
        multi(k, &["owner", "name"]),
        false,
    );
    t.cond(
        "ForAnyValue missing key is false",
        "ForAnyValue:StringEquals",
        k,
        allowed.clone(),
        Context::new(),
        false,
    );
    t.cond(
        "ForAnyValue empty set is false",
        "ForAnyValue:StringEquals",
        k,
        allowed.clone(),
        multi(k, &[]),
        false,
    );
    t.cond(
        "ForAnyValue IfExists missing key",
        "ForAnyValue:StringEqualsIfExists",
        k,
        allowed.clone(),
        Context::new(),
        true,
    );
    t.cond(
        "ForAnyValue StringLike",
        "ForAnyValue:StringLike",
        k,
        json!("env*"),
        multi(k, &["owner", "environment"]),
        true,
    );
    t.cond(
        "ForAllValues StringLike",
        "ForAllValues:StringLike",
        k,
        json!(["env*", "cost*"]),
        multi(k, &["environment", "cost-center"]),
        true,
    );
    t.cond(
        "ForAllValues StringNotEquals: none forbidden",
        "ForAllValues:StringNotEquals",
        k,
        json!(["secret"]),
        multi(k, &["a", "b"]),
        true,
    );
    t.cond(
        "ForAllValues StringNotEquals: one forbidden",
        "ForAllValues:StringNotEquals",
        k,
        json!(["secret"]),
        multi(k, &["a", "secret"]),
        false,
    );
    t.cond(
        "ForAnyValue StringNotEquals: one differs",
        "ForAnyValue:StringNotEquals",
        k,
        json!(["a"]),
        multi(k, &["a", "b"]),
        true,
    );
    t.cond(
        "ForAnyValue StringNotEquals: all equal",
        "ForAnyValue:StringNotEquals",
        k,
        json!(["a"]),
        multi(k, &["a"]),
        false,
    );
    t.cond(
        "ForAnyValue StringNotEquals missing key is false",
        "ForAnyValue:StringNotEquals",
        k,
        json!(["a"]),
        Context::new(),
        false,
    );
    t.cond(
        "ForAllValues IgnoreCase",
        "ForAllValues:StringEqualsIgnoreCase",
        k,
        json!(["Environment"]),
        multi(k, &["ENVIRONMENT"]),
        true,
    );
    t.cond(
        "ForAnyValue NumericLessThan",
        "ForAnyValue:NumericLessThan",
        "n",
        json!("5"),
        Context::new().with_values("n", vec![9i64.into(), 3i64.into()]),
        true,
    );
    t.cond(
        "ForAllValues NumericLessThan",
        "ForAllValues:NumericLessThan",
        "n",
        json!("5"),
        Context::new().with_values("n", vec![9i64.into(), 3i64.into()]),
        false,
    );
    t.cond(
        "No qualifier on a multivalued key: any value",
        "StringEquals",
        k,
        json!("environment"),
        multi(k, &["owner", "environment"]),
        true,
    );
    t.cond(
        "No qualifier negated on a multivalued key: no value may match",
        "StringNotEquals",
        k,
        json!("environment"),
        multi(k, &["owner", "environment"]),
        false,
    );
    t.add(
        "Deny ForAnyValue: a forbidden tag key present",
        vec![v12(vec![
            allow("*", "*"),
            with_cond(
                deny("*", "*"),
                json!({"ForAnyValue:StringEquals": {k: ["secret"]}}),
            ),
        ])],
        "iam:TagUser",
        ALICE,
        multi(k, &["team", "secret"]),
        D,
    );
    t.add(
        "Deny ForAnyValue: no tag keys at all",
        vec![v12(vec![
            allow("*", "*"),
            with_cond(
                deny("*", "*"),
                json!({"ForAnyValue:StringEquals": {k: ["secret"]}}),
            ),
        ])],
        "iam:TagUser",
        ALICE,
        Context::new(),
        A,
    );
}

// --- "IAM JSON policy elements: Condition": "If you specify multiple
// condition operators, or multiple keys … evaluated using a logical AND …
// multiple values for one key … logical OR."
fn condition_logic(t: &mut Table) {
    let both = || Context::new().with("a", "1").with("b", "2");
    t.block(
        "two keys both hold (AND)",
        json!({"StringEquals": {"a": "1", "b": "2"}}),
        both(),
        true,
    );
    t.block(
        "two keys one fails (AND)",
        json!({"StringEquals": {"a": "1", "b": "3"}}),
        both(),
        false,
    );
    t.block(
        "two keys one missing",
        json!({"StringEquals": {"a": "1", "c": "3"}}),
        both(),
        false,
    );
    t.block(
        "values ORed within a key",
        json!({"StringEquals": {"a": ["0", "1"]}}),
        both(),
        true,
    );
    t.block(
        "two operators both hold (AND)",
        json!({"StringEquals": {"a": "1"}, "StringLike": {"b": "2*"}}),
        both(),
        true,
    );
    t.block(
        "two operators one fails (AND)",
        json!({"StringEquals": {"a": "1"}, "NumericGreaterThan": {"b": "5"}}),
        both(),
        false,
    );
    t.block(
        "empty condition block holds",
        json!({}),
        Context::new(),
        true,
    );
    t.block(
        "unknown operator with empty body is ignored",
        json!({"StringEqualsX": {}}),
        Context::new(),
        true,
    );
    t.block(
        "aws:SecureTransport and aws:RequestedRegion (AND)",
        json!({"Bool": {"aws:SecureTransport": "true"}, "StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}),
        Context::new().secure_transport(true).requested_region("eu-west-1"),
        true,
    );
    t.block(
        "aws:RequestedRegion not listed",
        json!({"Bool": {"aws:SecureTransport": "true"}, "StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}),
        Context::new().secure_transport(true).requested_region("ap-south-1"),
        false,
    );
}

// --- "AWS global condition context keys": the keys iamd fills.
fn global_keys(t: &mut Table) {
    let user = || Context::for_user("123456789012", ALICE, "alice", "AIDAALICE");
    t.cond(
        "aws:username",
        "StringEquals",
        "aws:username",
        json!("alice"),
        user(),
        true,
    );
    t.cond(
        "aws:userid",
        "StringEquals",
        "aws:userid",
        json!("AIDAALICE"),
        user(),
        true,
    );
    t.cond(
        "aws:PrincipalArn",
        "ArnEquals",
        "aws:PrincipalArn",
        json!(ALICE),
        user(),
        true,
    );
    t.cond(
        "aws:PrincipalAccount",
        "StringEquals",
        "aws:PrincipalAccount",
        json!("123456789012"),
        user(),
        true,
    );
    t.cond(
        "aws:PrincipalAccount other",
        "StringEquals",
        "aws:PrincipalAccount",
        json!("999999999999"),
        user(),
        false,
    );
    t.cond(
        "aws:PrincipalType User",
        "StringEquals",
        "aws:PrincipalType",
        json!("User"),
        user(),
        true,
    );
    t.cond(
        "aws:PrincipalTag",
        "StringEquals",
        "aws:PrincipalTag/team",
        json!("blue"),
        Context::new().principal_tag("team", "blue"),
        true,
    );
    t.cond(
        "aws:PrincipalTag key case-insensitive",
        "StringEquals",
        "aws:principaltag/TEAM",
        json!("blue"),
        Context::new().principal_tag("team", "blue"),
        true,
    );
    t.cond(
        "aws:RequestedRegion",
        "StringEquals",
        "aws:RequestedRegion",
        json!("us-east-1"),
        Context::new().requested_region("us-east-1"),
        true,
    );
    t.cond(
        "aws:MultiFactorAuthPresent",
        "Bool",
        "aws:MultiFactorAuthPresent",
        json!("true"),
        Context::new().mfa_present(true),
        true,
    );
    t.cond(
        "aws:EpochTime numeric",
        "NumericGreaterThan",
        "aws:EpochTime",
        json!("1585742399"),
        Context::new().current_time(datetime!(2020-04-01 12:00 UTC)),
        true,
    );
    t.cond(
        "aws:SourceIp",
        "IpAddress",
        "aws:SourceIp",
        json!("10.0.0.0/8"),
        Context::new().source_ip("10.1.2.3".parse().unwrap()),
        true,
    );
}

// --- iam-wire-spec §6.2: the self-service access-key policy ("IAM: Allows
// IAM users to manage their own access keys" example, `iam:*AccessKey*` on
// `arn:aws:iam::*:user/${aws:username}`).
fn self_service(t: &mut Table) {
    let p = || {
        v12(vec![st(
            "Allow",
            json!(["iam:*AccessKey*", "iam:GetUser"]),
            json!("arn:aws:iam::*:user/${aws:username}"),
        )])
    };
    let alice = || Context::for_user("123456789012", ALICE, "alice", "AIDAALICE");
    for action in [
        "iam:CreateAccessKey",
        "iam:ListAccessKeys",
        "iam:UpdateAccessKey",
        "iam:DeleteAccessKey",
        "iam:GetAccessKeyLastUsed",
        "iam:GetUser",
    ] {
        t.add(
            &format!("self-service: own {action}"),
            vec![p()],
            action,
            ALICE,
            alice(),
            A,
        );
    }
    t.add(
        "self-service: another user's keys",
        vec![p()],
        "iam:CreateAccessKey",
        BOB,
        alice(),
        I,
    );
    t.add(
        "self-service: other actions",
        vec![p()],
        "iam:DeleteUser",
        ALICE,
        alice(),
        I,
    );
    t.add(
        "self-service: ListUsers takes *",
        vec![p()],
        "iam:ListUsers",
        "*",
        alice(),
        I,
    );
    t.add(
        "self-service: role session without aws:username",
        vec![p()],
        "iam:CreateAccessKey",
        ALICE,
        Context::new().principal_arn("arn:aws:sts::123456789012:assumed-role/r/s"),
        I,
    );
    t.add(
        "self-service plus explicit deny of deletion",
        vec![p(), v12(vec![deny("iam:DeleteAccessKey", "*")])],
        "iam:DeleteAccessKey",
        ALICE,
        alice(),
        D,
    );
}

// --- "IAM JSON policy elements: Principal" (role trust policies).
fn trust(t: &mut Table) {
    let trust_doc = |principal: Value| {
        v12(vec![
            json!({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}),
        ])
    };
    let mut add = |name: &str, policy: String, ctx: Context, want: Decision| {
        t.0.push(Case {
            name: name.to_owned(),
            kind: PolicyKind::Trust,
            policies: vec![policy],
            action: "sts:AssumeRole",
            resource: "arn:aws:iam::123456789012:role/r",
            ctx,
            want,
        });
    };
    let user = || {
        Context::new()
            .principal_arn(ALICE)
            .principal_account("123456789012")
    };
    add(
        "trust: account id principal",
        trust_doc(json!({"AWS": "123456789012"})),
        user(),
        A,
    );
    add(
        "trust: account root ARN principal",
        trust_doc(json!({"AWS": "arn:aws:iam::123456789012:root"})),
        user(),
        A,
    );
    add(
        "trust: other account",
        trust_doc(json!({"AWS": "999999999999"})),
        user(),
        I,
    );
    add(
        "trust: exact user ARN",
        trust_doc(json!({"AWS": ALICE})),
        user(),
        A,
    );
    add(
        "trust: other user ARN",
        trust_doc(json!({"AWS": BOB})),
        user(),
        I,
    );
    add(
        "trust: Principal *",
        trust_doc(json!("*")),
        Context::new(),
        A,
    );
    add(
        "trust: service principal",
        trust_doc(json!({"Service": "ec2.amazonaws.com"})),
        Context::new().with("aws:PrincipalServiceName", "ec2.amazonaws.com"),
        A,
    );
    add(
        "trust: service principal, user caller",
        trust_doc(json!({"Service": "ec2.amazonaws.com"})),
        user(),
        I,
    );
}

fn all_cases() -> Vec<Case> {
    let mut t = Table(Vec::new());
    evaluation_logic(&mut t);
    action_element(&mut t);
    not_action_element(&mut t);
    resource_element(&mut t);
    not_resource_element(&mut t);
    variables(&mut t);
    string_operators(&mut t);
    numeric_operators(&mut t);
    date_operators(&mut t);
    bool_operators(&mut t);
    ip_operators(&mut t);
    arn_operators(&mut t);
    null_operator(&mut t);
    if_exists(&mut t);
    set_operators(&mut t);
    condition_logic(&mut t);
    global_keys(&mut t);
    self_service(&mut t);
    trust(&mut t);
    t.0
}

#[test]
fn evaluation_table() {
    let cases = all_cases();
    assert!(cases.len() >= 200, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let compiled: Vec<CompiledPolicy> = c
            .policies
            .iter()
            .map(|p| match Policy::parse_as(p, c.kind) {
                Ok(p) => p.compile(),
                Err(e) => panic!("case {:?}: policy rejected: {e}\n{p}", c.name),
            })
            .collect();
        let ids: Vec<String> = (0..compiled.len()).map(|i| format!("p{i}")).collect();
        let set: Vec<(&str, &CompiledPolicy)> = ids
            .iter()
            .map(String::as_str)
            .zip(compiled.iter())
            .collect();
        let req = Request {
            action: c.action,
            resource: c.resource,
            context: &c.ctx,
        };
        let got = evaluate(&set, &req).decision;
        if got != c.want {
            failures.push(format!("{}: want {:?}, got {:?}", c.name, c.want, got));
        }
    }
    println!("{} evaluation cases", cases.len());
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn case_names_are_unique() {
    let cases = all_cases();
    let mut names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len());
}

#[test]
fn matched_statements_for_simulation() {
    let a = Policy::parse(&v12(vec![
        json!({"Sid": "AllowAll", "Effect": "Allow", "Action": "*", "Resource": "*"}),
        json!({"Sid": "AllowIam", "Effect": "Allow", "Action": "iam:*", "Resource": "*"}),
    ]))
    .unwrap()
    .compile();
    let d = Policy::parse(&v12(vec![
        json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
        json!({"Sid": "NoDelete", "Effect": "Deny", "Action": "iam:Delete*", "Resource": "*"}),
    ]))
    .unwrap()
    .compile();
    let ctx = Context::new();
    let set = [
        ("arn:aws:iam::123456789012:policy/A", &a),
        ("user/alice/inline", &d),
    ];

    let req = Request {
        action: "iam:GetUser",
        resource: ALICE,
        context: &ctx,
    };
    let e = evaluate(&set, &req);
    assert_eq!(e.decision, Decision::Allowed);
    assert_eq!(e.decision.as_str(), "allowed");
    assert_eq!(e.matched.len(), 2);
    assert_eq!(
        e.matched[0].source_policy_id,
        "arn:aws:iam::123456789012:policy/A"
    );
    assert_eq!(e.matched[0].statement_index, 0);
    assert_eq!(e.matched[0].sid.as_deref(), Some("AllowAll"));
    assert_eq!(e.matched[1].sid.as_deref(), Some("AllowIam"));

    let req = Request {
        action: "iam:DeleteUser",
        resource: ALICE,
        context: &ctx,
    };
    let e = evaluate(&set, &req);
    assert_eq!(e.decision, Decision::ExplicitDeny);
    assert_eq!(e.decision.as_str(), "explicitDeny");
    assert_eq!(e.matched.len(), 1);
    assert_eq!(e.matched[0].source_policy_id, "user/alice/inline");
    assert_eq!(e.matched[0].statement_index, 1);
    assert_eq!(e.matched[0].effect, Effect::Deny);

    let e = evaluate(&[], &req);
    assert_eq!(e.decision, Decision::ImplicitDeny);
    assert_eq!(e.decision.as_str(), "implicitDeny");
    assert!(e.matched.is_empty());
}

#[test]
fn access_denied_texts() {
    let arn = "arn:aws:iam::123456789012:user/alice";
    assert_eq!(
        access_denied_message(arn, "iam:ListAccessKeys", "user alice", Decision::ImplicitDeny)
            .unwrap(),
        "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:ListAccessKeys on resource: user alice because no identity-based policy allows the iam:ListAccessKeys action"
    );
    assert_eq!(
        access_denied_message(arn, "iam:ListAccessKeys", "user alice", Decision::ExplicitDeny)
            .unwrap(),
        "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:ListAccessKeys on resource: user alice with an explicit deny in an identity-based policy"
    );
    assert!(access_denied_message(arn, "iam:GetUser", "user alice", Decision::Allowed).is_none());
}
