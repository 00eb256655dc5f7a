//! The generated decoders and encoders on the shapes iamd serves: nested lists of
//! structures, AWS's member paths in messages, every violation reported at once, and XML
//! in the model's member order.

use iamd_protocol::decode::{DecodeInput, Invalid};
use iamd_protocol::encode::EncodeXml;
use iamd_protocol::{iam, sts, xml, Params};

fn decode<T: DecodeInput>(form: &str) -> Result<T, Invalid> {
    T::decode(&Params::parse(form.as_bytes()).unwrap())
}

fn message(e: Invalid) -> String {
    match e {
        Invalid::Validation(m) => m,
        other => panic!("not a validation error: {other:?}"),
    }
}

#[test]
fn nested_lists_of_structures() {
    let input: iam::SimulateCustomPolicyInput = decode(
        "PolicyInputList.member.1=doc&ActionNames.member.2=iam%3AGetUser&ActionNames.member.1=iam%3AListUsers\
         &ContextEntries.member.1.ContextKeyName=aws%3AUsername&ContextEntries.member.1.ContextKeyType=stringList\
         &ContextEntries.member.1.ContextKeyValues.member.1=a&ContextEntries.member.1.ContextKeyValues.member.2=b\
         &MaxItems=5",
    )
    .unwrap();
    assert_eq!(input.action_names, ["iam:ListUsers", "iam:GetUser"]);
    assert_eq!(input.max_items, Some(5));
    let entries = input.context_entries.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].context_key_name.as_deref(), Some("aws:Username"));
    assert_eq!(
        entries[0].context_key_type,
        Some(iam::ContextKeyTypeEnum::StringList)
    );
    assert_eq!(
        entries[0].context_key_values.as_deref(),
        Some(&["a".to_owned(), "b".to_owned()][..])
    );
}

#[test]
fn every_violation_in_member_order_with_aws_paths() {
    let e = decode::<iam::CreateUserInput>("Path=nope&Tags.member.1.Key=&Tags.member.1.Value=v")
        .unwrap_err();
    assert_eq!(
        message(e),
        "4 validation errors detected: \
         Value 'nope' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F); \
         Value null at 'userName' failed to satisfy constraint: Member must not be null; \
         Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1; \
         Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+"
    );
}

#[test]
fn numbers_enums_and_documents() {
    let e = decode::<iam::ListUsersInput>("MaxItems=1001").unwrap_err();
    assert_eq!(
        message(e),
        "1 validation error detected: Value '1001' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000"
    );
    let e = decode::<iam::ListUsersInput>("MaxItems=x").unwrap_err();
    assert!(message(e).ends_with("Member must be a valid integer"));
    let e = decode::<iam::UpdateAccessKeyInput>("AccessKeyId=AKIAIOSFODNN7EXAMPLE&Status=On")
        .unwrap_err();
    assert_eq!(
        message(e),
        "1 validation error detected: Value at 'status' failed to satisfy constraint: Member must satisfy enum value set"
    );
    // A document's value is never quoted back.
    let e = decode::<iam::PutUserPolicyInput>("UserName=a&PolicyName=p&PolicyDocument=%01")
        .unwrap_err();
    assert_eq!(
        message(e),
        "1 validation error detected: Value at 'policyDocument' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+"
    );
    let ok: sts::AssumeRoleInput = decode(
        "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=s1&DurationSeconds=900\
         &PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3A123456789012%3Apolicy%2Fp",
    )
    .unwrap();
    assert_eq!(ok.duration_seconds, Some(900));
    assert_eq!(
        ok.policy_arns.unwrap()[0].arn.as_deref(),
        Some("arn:aws:iam::123456789012:policy/p")
    );
}

#[test]
fn outputs_in_model_order() {
    let out = iam::ListUsersOutput {
        users: Some(vec![iam::User {
            path: Some("/".into()),
            user_name: Some("a&b".into()),
            user_id: Some("AIDA".into()),
            arn: Some("arn".into()),
            create_date: Some(time::macros::datetime!(2026-12-04 08:00:00 UTC)),
            tags: Some(vec![]),
            ..Default::default()
        }]),
        is_truncated: Some(false),
        marker: None,
    };
    let body = xml::success(
        "ListUsers",
        "ns",
        "rid",
        Some(&|w: &mut xml::XmlWriter| out.encode(w)),
    );
    assert!(body.contains(
        "<ListUsersResult><Users><member><Path>/</Path><UserName>a&amp;b</UserName><UserId>AIDA</UserId>\
         <Arn>arn</Arn><CreateDate>2026-12-04T08:00:00Z</CreateDate><Tags/></member></Users>\
         <IsTruncated>false</IsTruncated></ListUsersResult>"
    ), "{body}");
}
