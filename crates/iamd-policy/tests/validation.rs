//! Validation on write: malformed documents and the messages AWS returns,
//! size quotas, and a no-panic sweep over deterministic garbage.

use iamd_policy::{
    check_size, evaluate, messages, policy_size, Context, Policy, PolicyError, PolicyKind, Request,
    SizeQuota,
};

fn err(json: &str, kind: PolicyKind) -> PolicyError {
    match Policy::parse_as(json, kind) {
        Ok(_) => panic!("accepted: {json}"),
        Err(e) => e,
    }
}

fn malformed(json: &str) -> String {
    let e = err(json, PolicyKind::Identity);
    assert_eq!(e.code(), "MalformedPolicyDocument");
    e.message().to_owned()
}

const OK_STMT: &str = r#"{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}"#;

fn with_stmt(stmt: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{stmt}]}}"#)
}

#[test]
fn accepts_valid_documents() {
    for doc in [
        with_stmt(OK_STMT),
        // Statement as a single object, no Version (defaults to 2008-10-17).
        format!(r#"{{"Statement":{OK_STMT}}}"#),
        format!(r#"{{"Version":"2008-10-17","Id":"x","Statement":[{OK_STMT}]}}"#),
        with_stmt(
            r#"{"Sid":"A1","Effect":"Deny","NotAction":["iam:*"],"NotResource":"arn:aws:s3:::b/*"}"#,
        ),
        with_stmt(
            r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"n":10},"Bool":{"aws:SecureTransport":true}}}"#,
        ),
        with_stmt(
            r#"{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::*:user/${aws:username}"}"#,
        ),
        with_stmt(
            r#"{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::123456789012:root"}"#,
        ),
        with_stmt(
            r#"{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::123456789012:*"}"#,
        ),
        with_stmt(r#"{"Effect":"Allow","Action":"*:*","Resource":"*"}"#),
        with_stmt(r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws-cn:s3:::b"}"#),
        with_stmt(
            r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":["2020-01-01","1577836800","2020-01-01T00:00:00.123+01:00"]}}}"#,
        ),
        with_stmt(
            r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForAllValues:StringLikeIfExists":{"aws:TagKeys":["a*"]}}}"#,
        ),
        with_stmt(
            r#"{"Sid":"","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"","Effect":"Allow","Action":"s3:*","Resource":"*"}"#,
        ),
    ] {
        Policy::parse(&doc).unwrap_or_else(|e| panic!("{doc}: {e}"));
        Policy::parse_as(&doc, PolicyKind::Identity).unwrap();
    }
}

#[test]
fn syntax_errors() {
    for doc in [
        "",
        "null",
        "not json",
        "[]",
        "{}",
        r#"{"Version":"2012-10-17"}"#,
        r#"{"Version":"2012-10-17","Statement":[]}"#,
        r#"{"Version":"2012-10-17","Statement":"x"}"#,
        r#"{"Version":"2012-10-17","Statement":[1]}"#,
        r#"{"Version":"2012-10-17","Statement":[{}]}"#,
        r#"{"Version":"2012-10-18","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*"}]}"#,
        r#"{"Version":20121017,"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*"}]}"#,
        r#"{"Id":1,"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*"}]}"#,
        r#"{"Extra":1,"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*"}]}"#,
        &with_stmt(r#"{"Action":"a:b","Resource":"*"}"#),
        &with_stmt(r#"{"Effect":"Permit","Action":"a:b","Resource":"*"}"#),
        &with_stmt(r#"{"Effect":true,"Action":"a:b","Resource":"*"}"#),
        &with_stmt(r#"{"Effect":"Allow","Action":"a:b","NotAction":"a:c","Resource":"*"}"#),
        &with_stmt(r#"{"Effect":"Allow","Action":"a:b","Resource":"*","NotResource":"*"}"#),
        &with_stmt(r#"{"Effect":"Allow","Action":1,"Resource":"*"}"#),
        &with_stmt(r#"{"Effect":"Allow","Action":["a:b",1],"Resource":"*"}"#),
        &with_stmt(r#"{"Effect":"Allow","Action":"a:b","Resource":{"x":1}}"#),
        &with_stmt(r#"{"Effect":"Allow","Action":"a:b","Resource":"*","Unknown":1}"#),
        &with_stmt(r#"{"Sid":1,"Effect":"Allow","Action":"a:b","Resource":"*"}"#),
        &with_stmt(r#"{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":"x"}"#),
        &with_stmt(
            r#"{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"StringEquals":"x"}}"#,
        ),
        &with_stmt(
            r#"{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"StringEquals":{"k":{"x":1}}}}"#,
        ),
        &with_stmt(
            r#"{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"StringEquals":{"k":[null]}}}"#,
        ),
        &with_stmt(
            r#"{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"StringEqualz":{"k":"v"}}}"#,
        ),
        &with_stmt(
            r#"{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"stringequals":{"k":"v"}}}"#,
        ),
        &with_stmt(
            r#"{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"NullIfExists":{"k":"true"}}}"#,
        ),
        &with_stmt(
            r#"{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"ForSomeValues:StringEquals":{"k":"v"}}}"#,
        ),
        &with_stmt(r#"{"Effect":"Allow","Action":"a:b","Resource":"*","Principal":"me"}"#),
    ] {
        assert_eq!(malformed(doc), messages::SYNTAX, "{doc}");
    }
}

#[test]
fn confirmed_aws_messages() {
    // CreatePolicy with "null" (99designs/iamy#74).
    assert_eq!(malformed("null"), "Syntax errors in policy.");
    // Effect "allow" (hashicorp/terraform#10057).
    assert_eq!(
        malformed(&with_stmt(
            r#"{"Effect":"allow","Action":"es:ESHttp*","Resource":"*"}"#
        )),
        "The policy failed legacy parsing"
    );
    // CreatePolicy without Version.
    let no_version = format!(r#"{{"Statement":[{OK_STMT}]}}"#);
    let e = err(&no_version, PolicyKind::Managed);
    assert_eq!(
        e.message(),
        "Policy document must be version 2012-10-17 or greater."
    );
    let e = err(
        &format!(r#"{{"Version":"2008-10-17","Statement":[{OK_STMT}]}}"#),
        PolicyKind::Managed,
    );
    assert_eq!(e.message(), messages::VERSION_REQUIRED);
    // Principal in an identity policy (hashicorp/terraform-provider-aws#10419).
    let with_principal = with_stmt(
        r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/x"},"Action":"s3:*","Resource":"*"}"#,
    );
    assert_eq!(
        malformed(&with_principal),
        "Policy document should not specify a principal."
    );
    assert_eq!(
        err(&with_principal, PolicyKind::Managed).message(),
        messages::NO_PRINCIPAL
    );
    assert_eq!(
        malformed(&with_stmt(
            r#"{"Effect":"Allow","NotPrincipal":"*","Action":"s3:*","Resource":"*"}"#
        )),
        messages::NO_PRINCIPAL
    );
    // Empty or missing actions/resources (aws/aws-cdk#9633, terraform).
    assert_eq!(
        malformed(&with_stmt(r#"{"Effect":"Allow","Resource":"*"}"#)),
        "Policy statement must contain actions."
    );
    assert_eq!(
        malformed(&with_stmt(
            r#"{"Effect":"Allow","Action":[],"Resource":"*"}"#
        )),
        messages::MUST_CONTAIN_ACTIONS
    );
    assert_eq!(
        malformed(&with_stmt(r#"{"Effect":"Allow","Action":"s3:*"}"#)),
        "Policy statement must contain resources."
    );
    assert_eq!(
        malformed(&with_stmt(
            r#"{"Effect":"Allow","NotAction":"s3:*","NotResource":[]}"#
        )),
        messages::MUST_CONTAIN_RESOURCES
    );
    // Trust policies: Resource prohibited, invalid JSON
    // (kubernetes-sigs/external-dns#3085, awsdocs/amazon-rds-user-guide#162).
    let trust_with_resource = with_stmt(
        r#"{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}"#,
    );
    assert_eq!(
        err(&trust_with_resource, PolicyKind::Trust).message(),
        "Has prohibited field Resource"
    );
    assert_eq!(
        err("{not json", PolicyKind::Trust).message(),
        "This policy contains invalid Json"
    );
    // IAM ARN with a region (cloud-gov/terraform-provision#1838).
    let r = "arn:aws:iam:us-east-1:123456789012:user/x";
    assert_eq!(
        malformed(&with_stmt(&format!(
            r#"{{"Effect":"Allow","Action":"iam:*","Resource":"{r}"}}"#
        ))),
        format!("IAM resource {r} cannot contain region information.")
    );
}

#[test]
fn recorded_and_chosen_messages() {
    let stmt = |s: &str| malformed(&with_stmt(s));
    assert_eq!(
        stmt(
            r#"{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"}"#
        ),
        "Statement IDs (SID) in a single policy must be unique."
    );
    assert_eq!(
        stmt(r#"{"Sid":"my sid","Effect":"Allow","Action":"s3:*","Resource":"*"}"#),
        messages::SID_NOT_ALPHANUMERIC
    );
    assert_eq!(
        stmt(r#"{"Effect":"Allow","Action":"GetUser","Resource":"*"}"#),
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
    );
    assert_eq!(
        stmt(r#"{"Effect":"Allow","Action":"iam:Get:User","Resource":"*"}"#),
        "Actions/Condition can contain only one colon."
    );
    assert_eq!(
        stmt(r#"{"Effect":"Allow","Action":"i_am:GetUser","Resource":"*"}"#),
        "Vendor i_am is not valid"
    );
    assert_eq!(
        stmt(r#"{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}"#),
        "Resource bucket must be in ARN format or \"*\"."
    );
    assert_eq!(
        stmt(r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:*:::b"}"#),
        messages::RESOURCE_VENDOR
    );
    assert_eq!(
        stmt(r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws"}"#),
        messages::RESOURCE_VENDOR
    );
    assert_eq!(
        stmt(r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:foo:s3:::b"}"#),
        "Partition \"foo\" is not valid for resource \"arn:foo:s3:::b\"."
    );
    assert_eq!(
        stmt(r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:foo:s3"}"#),
        "Partition \"foo\" is not valid for resource \"arn:foo:s3:*:*:*\"."
    );
    assert_eq!(
        stmt(
            r#"{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::123456789012:users/x"}"#
        ),
        messages::iam_resource_path()
    );
    assert_eq!(
        stmt(r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:us-east-1::b"}"#),
        "Resource arn:aws:s3:us-east-1::b can not contain region information."
    );
    // Legacy parsing: bad dates, truncated ARNs.
    for s in [
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"yesterday"}}}"#,
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForAnyValue:DateLessThanIfExists":{"k":["2020-01-01","2020-13-01"]}}}"#,
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3::b"}"#,
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws::x:y:z"}"#,
        r#"{"Effect":"DENY","Action":"s3:*","Resource":"*"}"#,
    ] {
        assert_eq!(stmt(s), messages::LEGACY_PARSING, "{s}");
    }
    // Trust policy without a principal (chosen text).
    assert_eq!(
        err(
            &with_stmt(r#"{"Effect":"Allow","Action":"sts:AssumeRole"}"#),
            PolicyKind::Trust
        )
        .message(),
        messages::MISSING_PRINCIPAL
    );
}

#[test]
fn check_order_follows_aws() {
    // Legacy parsing comes before the missing-actions check.
    assert_eq!(
        malformed(&with_stmt(r#"{"Effect":"allow","Resource":"*"}"#)),
        messages::LEGACY_PARSING
    );
    // The action vendor check before missing resources (AWS's answer as peers' suites
    // replay it: `{"Effect":"Allow","Action":"invalid"}` is a vendor error).
    assert_eq!(
        malformed(&with_stmt(r#"{"Effect":"Allow","Action":"GetUser"}"#)),
        messages::ACTION_VENDOR
    );
    assert_eq!(
        malformed(&with_stmt(r#"{"Effect":"Allow","Action":"iam:GetUser"}"#)),
        messages::MUST_CONTAIN_RESOURCES
    );
    // Resource format before the action vendor check.
    assert_eq!(
        malformed(&with_stmt(
            r#"{"Effect":"Allow","Action":"GetUser","Resource":"b"}"#
        )),
        messages::resource_not_arn("b")
    );
    // Syntax before everything.
    assert_eq!(
        malformed(&with_stmt(
            r#"{"Effect":"allow","Action":"x","Resource":"*","Bad":1}"#
        )),
        messages::SYNTAX
    );
}

#[test]
fn trust_policies() {
    let ok = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:root"],"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let p = Policy::parse_as(ok, PolicyKind::Trust).unwrap();
    assert_eq!(p.kind, PolicyKind::Trust);
    assert!(p.statements[0].principal.is_some());
    assert!(p.statements[0].resource.is_none());
    // The same document is not an identity policy.
    assert_eq!(
        err(ok, PolicyKind::Identity).message(),
        messages::NO_PRINCIPAL
    );
    // Syntax errors in a trust policy that is valid JSON.
    assert_eq!(
        err(r#"{"Statement":[]}"#, PolicyKind::Trust).message(),
        messages::SYNTAX
    );
}

#[test]
fn size_quotas() {
    assert_eq!(policy_size("{ \"a\" :\n\t\"b c\" }"), 10);
    let doc = format!(r#"{{"Version":"2012-10-17","Statement":[{OK_STMT}]}}"#);
    let n = policy_size(&doc);
    let pretty = doc.replace(',', ",\n    ").replace(':', " : ");
    assert_eq!(policy_size(&pretty), n, "white space is not counted");

    // Exactly at the quota passes; one more character fails.
    let at = "x".repeat(2048);
    let over = "x".repeat(2049);
    assert!(check_size(SizeQuota::UserInline, "alice", &[&at]).is_ok());
    let e = check_size(SizeQuota::UserInline, "alice", &[&over]).unwrap_err();
    assert_eq!(e.code(), "LimitExceeded");
    assert_eq!(
        e.message(),
        "Maximum policy size of 2048 bytes exceeded for user alice"
    );
    // The user quota is an aggregate over all inline policies.
    let half = "x".repeat(1025);
    assert!(check_size(SizeQuota::UserInline, "alice", &[&half, &half]).is_err());
    assert!(check_size(SizeQuota::UserInline, "alice", &[&half]).is_ok());
    // Padding with white space does not count.
    let padded = format!("{}{}", "x".repeat(2048), " \n".repeat(500));
    assert!(check_size(SizeQuota::UserInline, "alice", &[&padded]).is_ok());

    let e = check_size(SizeQuota::GroupInline, "devs", &["x".repeat(5121).as_str()]).unwrap_err();
    assert_eq!(
        e.message(),
        "Maximum policy size of 5120 bytes exceeded for group devs"
    );
    assert!(check_size(SizeQuota::GroupInline, "devs", &["x".repeat(5120).as_str()]).is_ok());
    let e = check_size(SizeQuota::RoleInline, "r", &["x".repeat(10241).as_str()]).unwrap_err();
    assert_eq!(
        e.message(),
        "Maximum policy size of 10240 bytes exceeded for role r"
    );
    let e = check_size(SizeQuota::Managed, "", &["x".repeat(6145).as_str()]).unwrap_err();
    assert_eq!(e.message(), "Cannot exceed quota for PolicySize: 6144");
    assert!(check_size(SizeQuota::Managed, "", &["x".repeat(6144).as_str()]).is_ok());
    let e = check_size(SizeQuota::Trust, "r", &["x".repeat(2049).as_str()]).unwrap_err();
    assert_eq!(e.message(), "Cannot exceed quota for ACLSizePerRole: 2048");
    assert_eq!(SizeQuota::Managed.max(), 6144);
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

const ATOMS: &[&str] = &[
    "*",
    "?",
    "${",
    "}",
    "${aws:username}",
    "${*}",
    "${aws:x, 'd'}",
    "arn",
    ":",
    "::",
    "aws",
    "iam",
    "s3",
    "user/",
    "/",
    "é",
    "\u{10348}",
    "",
    " ",
    "2012-10-17",
    "2008-10-17",
    "Allow",
    "Deny",
    "allow",
    "true",
    "1.5",
    "-1",
    "10.0.0.0/8",
    "2001:db8::/32",
    "2020-01-01T00:00:00Z",
    "9999999999999999999",
    "t",
    "T",
    "Z",
    "+",
    "-",
    ".",
];

const KEYS: &[&str] = &[
    "Version",
    "Statement",
    "Id",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
    "Sid",
    "Principal",
    "NotPrincipal",
    "StringLike",
    "ForAllValues:StringNotEquals",
    "DateLessThanIfExists",
    "Null",
    "IpAddress",
    "ArnLike",
    "NumericGreaterThan",
    "Bool",
    "aws:username",
    "aws:SourceIp",
    "aws:CurrentTime",
    "AWS",
    "Service",
    "x",
];

fn gen_value(r: &mut Rng, depth: u32) -> String {
    match r.next() % if depth > 3 { 4 } else { 7 } {
        0 => format!("\"{}{}\"", r.pick(ATOMS), r.pick(ATOMS)),
        1 => format!(
            "\"{}\"",
            (0..(r.next() % 6))
                .map(|_| r.pick(ATOMS))
                .collect::<String>()
        ),
        2 => ["true", "false", "null", "0", "-3.5e9"][(r.next() % 5) as usize].to_owned(),
        3 => format!("\"{}\"", r.pick(ATOMS)),
        4 | 5 => {
            let n = r.next() % 4;
            let fields: Vec<String> = (0..n)
                .map(|_| format!("\"{}\":{}", r.pick(KEYS), gen_value(r, depth + 1)))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        _ => {
            let n = r.next() % 4;
            let items: Vec<String> = (0..n).map(|_| gen_value(r, depth + 1)).collect();
            format!("[{}]", items.join(","))
        }
    }
}

/// Near-valid documents with random parts, plus raw byte-level mutations:
/// parsing, compiling and evaluating must never panic.
#[test]
fn no_panic_on_garbage() {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let ctx = Context::new()
        .username("alice")
        .with("aws:SourceIp", "10.1.2.3")
        .with("aws:CurrentTime", "2020-01-01T00:00:00Z");
    let mut accepted = 0;
    for i in 0..600 {
        let doc = if i % 3 == 0 {
            gen_value(&mut r, 0)
        } else {
            let op = r.pick(&[
                "StringLike",
                "StringEquals",
                "ForAllValues:StringNotEquals",
                "ForAnyValue:StringLikeIfExists",
                "DateLessThanIfExists",
                "Null",
                "IpAddress",
                "NotIpAddress",
                "ArnLike",
                "NumericGreaterThan",
                "Bool",
                "BinaryEquals",
            ]);
            let cond = format!(
                "{{\"{op}\":{{\"{}\":{}}}}}",
                r.pick(KEYS),
                gen_value(&mut r, 2)
            );
            let action = if r.next() & 3 == 0 {
                gen_value(&mut r, 3)
            } else {
                format!(
                    "\"{}:{}{}\"",
                    r.pick(&["iam", "s3", "*"]),
                    r.pick(ATOMS),
                    r.pick(ATOMS)
                )
            };
            let resource = if r.next() & 1 == 0 {
                format!(
                    "arn:aws:s3:::{}{}{}",
                    r.pick(ATOMS),
                    r.pick(ATOMS),
                    r.pick(ATOMS)
                )
            } else {
                format!(
                    "arn:aws:{}:{}:{}:{}",
                    r.pick(ATOMS),
                    r.pick(ATOMS),
                    r.pick(ATOMS),
                    r.pick(ATOMS)
                )
            };
            let mut d = format!(
                "{{\"Version\":\"{}\",\"Statement\":[{{\"Effect\":\"{}\",\"Action\":{},\"Resource\":\"{}\",\"Condition\":{}}}]}}",
                r.pick(&["2012-10-17", "2008-10-17"]),
                r.pick(&["Allow", "Deny"]),
                action,
                resource.replace(['\\', '"'], ""),
                cond
            );
            if i % 3 == 2 {
                // Byte-level damage at char boundaries.
                let at = (r.next() as usize) % d.len();
                let at = (0..=at).rev().find(|&j| d.is_char_boundary(j)).unwrap_or(0);
                d.insert_str(at, r.pick(&["\"", "{", "]", ",", "\\", "\u{0}", "é"]));
            }
            d
        };
        for kind in [PolicyKind::Identity, PolicyKind::Managed, PolicyKind::Trust] {
            if let Ok(p) = Policy::parse_as(&doc, kind) {
                accepted += 1;
                let c = p.compile();
                for (action, resource) in [
                    ("iam:GetUser", "arn:aws:iam::123456789012:user/alice"),
                    ("s3:GetObject", "*"),
                    ("x:y", "arn:aws:s3:::é/\u{10348}"),
                ] {
                    let req = Request {
                        action,
                        resource,
                        context: &ctx,
                    };
                    let _ = evaluate(&[("p", &c)], &req);
                }
            }
        }
    }
    println!("{accepted} of 1800 parses accepted");
    // The sweep must reach the evaluator, not only the parser.
    assert!(accepted > 20, "only {accepted} documents accepted");
}

/// What issue 15 found against a peer's replay of AWS's answers: resources whose first
/// part is not `arn`, several bad resources, S3 access points, `Date*` values as the
/// legacy parser reads them, and trust-policy actions.
#[test]
fn fidelity_found_by_a_peer_suite() {
    let res = |r: &str| {
        malformed(&with_stmt(&format!(
            r#"{{"Effect":"Allow","NotAction":"s3s:ListBucket","Resource":{r}}}"#
        )))
    };
    // Whatever precedes the first colon is taken for `arn`.
    assert_eq!(
        res(r#""a:b:cadfsdf""#),
        r#"Partition "b" is not valid for resource "arn:b:cadfsdf:*:*:*"."#
    );
    assert_eq!(
        res(r#""a:bsdfdsafsad""#),
        r#"Partition "bsdfdsafsad" is not valid for resource "arn:bsdfdsafsad:*:*:*:*"."#
    );
    assert_eq!(
        res(r#""a:b:c:d:e:f:g:h""#),
        r#"Partition "b" is not valid for resource "arn:b:c:d:e:f:g:h"."#
    );
    assert_eq!(
        res(r#""aws:s3:::example_bucket""#),
        r#"Partition "s3" is not valid for resource "arn:s3:::example_bucket:*"."#
    );
    // Several bad resources: the first one's error, and the legacy parser does not look
    // at resources once one is malformed.
    assert_eq!(
        res(r#"["arn:error:s3:::example_bucket","arn:error:s3::example_bucket"]"#),
        r#"Partition "error" is not valid for resource "arn:error:s3:::example_bucket"."#
    );
    // An empty service is a legacy-parser failure, not a vendor error.
    assert_eq!(
        res(r#""arn:aws::::example_bucket""#),
        messages::LEGACY_PARSING
    );
    assert_eq!(res(r#""arn:aws""#), messages::RESOURCE_VENDOR);
    // A malformed resource before a malformed action.
    assert_eq!(
        malformed(&with_stmt(
            r#"{"Effect":"Allow","Action":"s:3:ListBucket","Resource":"sdfsadf"}"#
        )),
        messages::resource_not_arn("sdfsadf")
    );

    // S3 access points carry a region.
    let ok = |stmt: &str| {
        Policy::parse_as(&with_stmt(stmt), PolicyKind::Managed)
            .map(|_| ())
            .map_err(|e| e.message().to_owned())
    };
    assert_eq!(
        ok(
            r#"{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:us-west-2:123456789012:accesspoint/my-access-point","arn:aws:s3:us-west-2:123456789012:accesspoint/my-access-point/object/*"]}"#
        ),
        Ok(())
    );

    // `Date*` values as the legacy parser reads them.
    let date = |v: &str| {
        ok(&format!(
            r#"{{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{{"DateLessThanEquals":{{"a":"{v}"}}}}}}"#
        ))
    };
    for v in [
        "01T",
        "2016-12-13t2:00:00.593194+23",
        "-292275054",
        "2019-07-01T13:20:15Z",
        "2016-12-13T21:20:37.593194+00:00",
        "1700000000",
    ] {
        assert_eq!(date(v), Ok(()), "{v}");
    }
    for v in [
        "sdfdsf",
        "234-13",
        "2016-12-13t2:00:00.593194+1",
        "2016-12-13t2:00:00.1999999999+10:59",
        "9223372036854775808",
        "2019-07-01T24:00:00Z",
    ] {
        assert_eq!(date(v), Err(messages::LEGACY_PARSING.to_owned()), "{v}");
    }

    // A trust policy may name only STS's role actions (or wildcards over them).
    let trust = |action: &str| {
        Policy::parse_as(
            &format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"ec2.amazonaws.com"}},"Action":{action}}}]}}"#
            ),
            PolicyKind::Trust,
        )
        .map(|_| ())
        .map_err(|e| e.message().to_owned())
    };
    for action in [
        r#""sts:AssumeRole""#,
        r#"["sts:AssumeRole","sts:TagSession"]"#,
        r#""sts:AssumeRoleWithWebIdentity""#,
        r#""sts:*""#,
        r#""sts:AssumeRole*""#,
    ] {
        assert_eq!(trust(action), Ok(()), "{action}");
    }
    for action in [
        r#""s3:GetObject""#,
        r#"["sts:AssumeRole","iam:GetUser"]"#,
        r#""sts:GetSessionToken""#,
    ] {
        assert_eq!(
            trust(action),
            Err("AssumeRole policy may only specify STS AssumeRole actions.".to_owned()),
            "{action}"
        );
    }
}
