//! Tags on users, roles, customer managed policies and instance profiles with the real
//! aws-sdk-iam: Tag*/Untag*/List*Tags, keys compared ignoring case (a new value replaces the
//! old in place; a request naming one key twice is refused), AWS's 50-tag quota after the
//! change, paging, tags given at creation (CreatePolicy keeps them now), NoSuchEntity and
//! authorization on the entity's ARN.

mod common;

use aws_sdk_iam::types::Tag;
use common::{err_of, TestServer, ACCOUNT};

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}]}"#;

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build().unwrap()
}

fn pairs(tags: &[Tag]) -> Vec<(&str, &str)> {
    tags.iter().map(|t| (t.key(), t.value())).collect()
}

const DUPLICATE_KEYS: &str =
    "Duplicate tag keys found. Please note that Tag keys are case insensitive.";

#[tokio::test]
async fn user_tags_merge_ignoring_case_and_are_removed() {
    let srv = TestServer::start().await;
    let iam = srv.root();
    iam.create_user()
        .user_name("alice")
        .tags(tag("team", "web"))
        .send()
        .await
        .unwrap();

    iam.tag_user()
        .user_name("ALICE")
        .tags(tag("Env", "prod"))
        .tags(tag("TEAM", "infra"))
        .send()
        .await
        .expect("tag user");
    let listed = iam
        .list_user_tags()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    assert!(!listed.is_truncated);
    assert_eq!(pairs(&listed.tags), [("TEAM", "infra"), ("Env", "prod")]);
    // GetUser sees the change at once.
    let user = iam
        .get_user()
        .user_name("alice")
        .send()
        .await
        .unwrap()
        .user
        .unwrap();
    assert_eq!(pairs(user.tags()), [("TEAM", "infra"), ("Env", "prod")]);

    // One key twice in a request, in any case: InvalidInput, nothing changes.
    let err = iam
        .tag_user()
        .user_name("alice")
        .tags(tag("a", "1"))
        .tags(tag("A", "2"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_of(err),
        ("InvalidInput".into(), DUPLICATE_KEYS.into(), 400)
    );

    iam.untag_user()
        .user_name("alice")
        .tag_keys("team")
        .tag_keys("not-there")
        .send()
        .await
        .expect("untag user");
    let listed = iam
        .list_user_tags()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    assert_eq!(pairs(&listed.tags), [("Env", "prod")]);
    iam.untag_user()
        .user_name("alice")
        .tag_keys("ENV")
        .send()
        .await
        .unwrap();
    let listed = iam
        .list_user_tags()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    assert!(listed.tags.is_empty());
    let user = iam
        .get_user()
        .user_name("alice")
        .send()
        .await
        .unwrap()
        .user
        .unwrap();
    assert!(user.tags.is_none(), "an untagged user has no Tags element");

    for err in [
        err_of(
            iam.tag_user()
                .user_name("nobody")
                .tags(tag("a", "b"))
                .send()
                .await
                .unwrap_err(),
        ),
        err_of(
            iam.list_user_tags()
                .user_name("nobody")
                .send()
                .await
                .unwrap_err(),
        ),
        err_of(
            iam.untag_user()
                .user_name("nobody")
                .tag_keys("a")
                .send()
                .await
                .unwrap_err(),
        ),
    ] {
        assert_eq!(
            err,
            (
                "NoSuchEntity".into(),
                "The user with name nobody cannot be found.".into(),
                404
            )
        );
    }
}

#[tokio::test]
async fn fifty_tags_at_most_after_the_change() {
    let srv = TestServer::start().await;
    let iam = srv.root();
    iam.create_role()
        .role_name("busy")
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .unwrap();
    let batch = |from: usize, to: usize| {
        let mut call = iam.tag_role().role_name("busy");
        for i in from..to {
            call = call.tags(tag(&format!("k{i:02}"), "v"));
        }
        call.send()
    };
    batch(0, 30).await.expect("30 tags");
    batch(30, 50).await.expect("50 tags in all");
    // Replacing at the quota is fine (the count does not grow) ...
    iam.tag_role()
        .role_name("busy")
        .tags(tag("K00", "new"))
        .send()
        .await
        .expect("replacing a tag at the quota");
    // ... adding one more is not, and changes nothing.
    let (code, message, status) = err_of(
        iam.tag_role()
            .role_name("busy")
            .tags(tag("K01", "changed"))
            .tags(tag("one-more", ""))
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!((code.as_str(), status), ("LimitExceeded", 409), "{message}");
    let listed = iam.list_role_tags().role_name("busy").send().await.unwrap();
    assert_eq!(listed.tags.len(), 50);
    assert_eq!(pairs(&listed.tags[..2]), [("K00", "new"), ("k01", "v")]);

    // More than 50 in one request is the model's ValidationError.
    let mut call = iam.tag_role().role_name("busy");
    for i in 0..51 {
        call = call.tags(tag(&format!("x{i}"), ""));
    }
    let (code, _, status) = err_of(call.send().await.unwrap_err());
    assert_eq!((code.as_str(), status), ("ValidationError", 400));

    // Pages of 20: 20, 20, 10.
    let mut seen = Vec::new();
    let mut marker = None;
    let mut pages = 0;
    loop {
        let page = iam
            .list_role_tags()
            .role_name("BUSY")
            .max_items(20)
            .set_marker(marker)
            .send()
            .await
            .expect("page");
        pages += 1;
        seen.extend(page.tags.into_iter().map(|t| t.key));
        if !page.is_truncated {
            break;
        }
        marker = page.marker;
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 50);
    assert_eq!(seen[0], "K00");
    assert_eq!(seen[49], "k49");
    // GetRole lists them too; ListRoles does not.
    let role = iam
        .get_role()
        .role_name("busy")
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    assert_eq!(role.tags().len(), 50);
    let roles = iam.list_roles().send().await.unwrap().roles;
    assert!(roles.iter().all(|r| r.tags.is_none()));

    // Duplicate keys: the same InvalidInput for roles.
    let err = iam
        .tag_role()
        .role_name("busy")
        .tags(tag("dup", "1"))
        .tags(tag("DUP", "2"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_of(err),
        ("InvalidInput".into(), DUPLICATE_KEYS.into(), 400)
    );
    iam.untag_role()
        .role_name("busy")
        .tag_keys("k00")
        .send()
        .await
        .unwrap();
    let listed = iam.list_role_tags().role_name("busy").send().await.unwrap();
    assert_eq!(listed.tags.len(), 49);
}

#[tokio::test]
async fn policies_keep_their_tags() {
    let srv = TestServer::start().await;
    let iam = srv.root();
    let created = iam
        .create_policy()
        .policy_name("tagged")
        .policy_document(DOC)
        .tags(tag("team", "web"))
        .tags(tag("cost", ""))
        .send()
        .await
        .expect("create policy")
        .policy
        .unwrap();
    assert_eq!(pairs(created.tags()), [("team", "web"), ("cost", "")]);
    let arn = created.arn.clone().unwrap();
    let got = iam
        .get_policy()
        .policy_arn(&arn)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap();
    assert_eq!(pairs(got.tags()), [("team", "web"), ("cost", "")]);

    iam.tag_policy()
        .policy_arn(&arn)
        .tags(tag("TEAM", "data"))
        .send()
        .await
        .unwrap();
    iam.untag_policy()
        .policy_arn(&arn)
        .tag_keys("COST")
        .send()
        .await
        .unwrap();
    let listed = iam
        .list_policy_tags()
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(pairs(&listed.tags), [("TEAM", "data")]);

    // An untagged policy: GetPolicy answers an empty Tags list.
    let plain = iam
        .create_policy()
        .policy_name("plain")
        .policy_document(DOC)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap();
    assert!(plain.tags.is_none(), "CreatePolicy without tags has none");
    let got = iam
        .get_policy()
        .policy_arn(plain.arn.unwrap())
        .send()
        .await
        .unwrap()
        .policy
        .unwrap();
    assert_eq!(got.tags, Some(Vec::new()));
    // Listings leave tags out.
    let listed = iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .send()
        .await
        .unwrap();
    assert!(listed.policies().iter().all(|p| p.tags.is_none()));

    let missing = format!("arn:aws:iam::{ACCOUNT}:policy/nope");
    let err = iam
        .list_policy_tags()
        .policy_arn(&missing)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_of(err),
        (
            "NoSuchEntity".into(),
            format!("Policy {missing} was not found."),
            404
        )
    );
}

#[tokio::test]
async fn instance_profile_tags() {
    let srv = TestServer::start().await;
    let iam = srv.root();
    iam.create_instance_profile()
        .instance_profile_name("web")
        .tags(tag("a", "1"))
        .send()
        .await
        .unwrap();
    iam.tag_instance_profile()
        .instance_profile_name("WEB")
        .tags(tag("b", "2"))
        .tags(tag("A", "3"))
        .send()
        .await
        .unwrap();
    let listed = iam
        .list_instance_profile_tags()
        .instance_profile_name("web")
        .send()
        .await
        .unwrap();
    assert_eq!(pairs(&listed.tags), [("A", "3"), ("b", "2")]);
    iam.untag_instance_profile()
        .instance_profile_name("web")
        .tag_keys("a")
        .send()
        .await
        .unwrap();
    let got = iam
        .get_instance_profile()
        .instance_profile_name("web")
        .send()
        .await
        .unwrap()
        .instance_profile
        .unwrap();
    assert_eq!(pairs(got.tags()), [("b", "2")]);
    let err = iam
        .tag_instance_profile()
        .instance_profile_name("nope")
        .tags(tag("a", "1"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_of(err),
        (
            "NoSuchEntity".into(),
            "Instance Profile nope cannot be found.".into(),
            404
        )
    );
}

#[tokio::test]
async fn tagging_is_authorized_on_the_entity() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let (key, secret) = srv.user_with_key("alice").await;
    root.create_user().user_name("bob").send().await.unwrap();
    root.put_user_policy()
        .user_name("alice")
        .policy_name("own-tags")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:TagUser","iam:ListUserTags"],"Resource":"arn:aws:iam::*:user/${aws:username}"}]}"#,
        )
        .send()
        .await
        .unwrap();
    let alice = srv.iam(&key, &secret);
    alice
        .tag_user()
        .user_name("alice")
        .tags(tag("mine", "yes"))
        .send()
        .await
        .expect("her own tags");
    let listed = alice
        .list_user_tags()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    assert_eq!(pairs(&listed.tags), [("mine", "yes")]);
    let (code, message, status) = err_of(
        alice
            .tag_user()
            .user_name("bob")
            .tags(tag("x", "y"))
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!((code.as_str(), status), ("AccessDenied", 403));
    assert!(
        message.contains("iam:TagUser on resource: user bob"),
        "{message}"
    );
    let (code, _, _) = err_of(
        alice
            .untag_user()
            .user_name("alice")
            .tag_keys("mine")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(code, "AccessDenied", "UntagUser is not allowed");
}

/// `${aws:PrincipalTag/team}` in a user's policy reads its current tags: tagging the user
/// gives access at once, untagging takes it away.
#[tokio::test]
async fn principal_tag_changes_apply_at_once() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let (key, secret) = srv.user_with_key("alice").await;
    root.create_user()
        .user_name("web-app")
        .send()
        .await
        .unwrap();
    root.put_user_policy()
        .user_name("alice")
        .policy_name("team-users")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::*:user/${aws:PrincipalTag/team}-*"}]}"#,
        )
        .send()
        .await
        .unwrap();
    let alice = srv.iam(&key, &secret);
    let get = || alice.get_user().user_name("web-app").send();
    assert_eq!(err_of(get().await.unwrap_err()).0, "AccessDenied");
    root.tag_user()
        .user_name("alice")
        .tags(tag("team", "web"))
        .send()
        .await
        .unwrap();
    get().await.expect("allowed once tagged");
    root.untag_user()
        .user_name("alice")
        .tag_keys("TEAM")
        .send()
        .await
        .unwrap();
    assert_eq!(err_of(get().await.unwrap_err()).0, "AccessDenied");
}
