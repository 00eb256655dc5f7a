//! Condition keys that come from the resource acted on and from the request's parameters,
//! with the real aws-sdk-iam and aws-sdk-sts: `aws:ResourceTag/…` and `iam:ResourceTag/…`
//! (a user's, a role's, an instance profile's tags), `aws:RequestTag/…` and `aws:TagKeys`
//! (the tags a request sets or removes), `iam:PermissionsBoundary` (the boundary a request
//! sets, or the holder's current one) and `iam:PolicyARN`.

mod common;

use aws_sdk_iam::types::Tag;
use common::{err_of, TestServer, ACCOUNT};

/// A user named `name` with a key and one inline policy; returns its IAM client.
async fn user_with_policy(srv: &TestServer, name: &str, document: &str) -> aws_sdk_iam::Client {
    let (key, secret) = srv.user_with_key(name).await;
    srv.root()
        .put_user_policy()
        .user_name(name)
        .policy_name("p")
        .policy_document(document)
        .send()
        .await
        .expect("put policy");
    srv.iam(&key, &secret)
}

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build().unwrap()
}

async fn tagged_user(srv: &TestServer, name: &str, team: &str) {
    srv.root()
        .create_user()
        .user_name(name)
        .tags(tag("team", team))
        .send()
        .await
        .expect("create tagged user");
}

fn denied<E, R>(r: Result<impl std::fmt::Debug, aws_sdk_iam::error::SdkError<E, R>>) -> bool
where
    E: aws_sdk_iam::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug + common::HasStatus,
{
    match r {
        Ok(_) => false,
        Err(e) => {
            let (code, _, status) = err_of(e);
            assert_eq!((code.as_str(), status), ("AccessDenied", 403));
            true
        }
    }
}

#[tokio::test]
async fn resource_tags_scope_what_a_user_may_read() {
    let srv = TestServer::start().await;
    tagged_user(&srv, "blue-user", "blue").await;
    tagged_user(&srv, "red-user", "red").await;
    let doc = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"iam:GetUser","Resource":"*",
         "Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}},
        {"Effect":"Allow","Action":"iam:GetRole","Resource":"*",
         "Condition":{"StringEquals":{"iam:ResourceTag/team":"blue"}}},
        {"Effect":"Allow","Action":["iam:GetInstanceProfile","iam:GetPolicy"],"Resource":"*",
         "Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}}]}"#;
    let alice = user_with_policy(&srv, "alice", doc).await;

    assert!(!denied(
        alice.get_user().user_name("blue-user").send().await
    ));
    assert!(denied(alice.get_user().user_name("red-user").send().await));
    // A user without the tag has no such key: StringEquals does not match.
    assert!(denied(alice.get_user().user_name("alice").send().await));

    // iam:ResourceTag on roles.
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    for (name, team) in [("blue-role", "blue"), ("red-role", "red")] {
        srv.root()
            .create_role()
            .role_name(name)
            .assume_role_policy_document(&trust)
            .tags(tag("team", team))
            .send()
            .await
            .unwrap();
        srv.root()
            .create_instance_profile()
            .instance_profile_name(name)
            .tags(tag("team", team))
            .send()
            .await
            .unwrap();
    }
    assert!(!denied(
        alice.get_role().role_name("blue-role").send().await
    ));
    assert!(denied(alice.get_role().role_name("red-role").send().await));
    assert!(!denied(
        alice
            .get_instance_profile()
            .instance_profile_name("blue-role")
            .send()
            .await
    ));
    assert!(denied(
        alice
            .get_instance_profile()
            .instance_profile_name("red-role")
            .send()
            .await
    ));

    // Customer managed policies' tags.
    for (name, team) in [("blue-policy", "blue"), ("red-policy", "red")] {
        srv.root()
            .create_policy()
            .policy_name(name)
            .policy_document(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#,
            )
            .tags(tag("team", team))
            .send()
            .await
            .unwrap();
    }
    let policy = |name: &str| format!("arn:aws:iam::{ACCOUNT}:policy/{name}");
    assert!(!denied(
        alice
            .get_policy()
            .policy_arn(policy("blue-policy"))
            .send()
            .await
    ));
    assert!(denied(
        alice
            .get_policy()
            .policy_arn(policy("red-policy"))
            .send()
            .await
    ));
    // A policy that does not exist has no tags: AccessDenied before NoSuchEntity.
    assert!(denied(
        alice
            .get_policy()
            .policy_arn(policy("no-policy"))
            .send()
            .await
    ));

    // Retagging the red user makes it readable, at once.
    srv.root()
        .tag_user()
        .user_name("red-user")
        .tags(tag("team", "blue"))
        .send()
        .await
        .unwrap();
    assert!(!denied(alice.get_user().user_name("red-user").send().await));
}

#[tokio::test]
async fn request_tags_and_tag_keys_govern_creating_and_tagging() {
    let srv = TestServer::start().await;
    // Alice may create and tag users only with team=blue and no other tag key, and may
    // remove any tag but `team`.
    let doc = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["iam:CreateUser","iam:TagUser"],"Resource":"*",
         "Condition":{"StringEquals":{"aws:RequestTag/team":"blue"},
                      "ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}},
        {"Effect":"Allow","Action":"iam:UntagUser","Resource":"*"},
        {"Effect":"Deny","Action":"iam:UntagUser","Resource":"*",
         "Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["team"]}}}]}"#;
    let alice = user_with_policy(&srv, "alice", doc).await;

    assert!(!denied(
        alice
            .create_user()
            .user_name("b1")
            .tags(tag("team", "blue"))
            .send()
            .await
    ));
    assert!(denied(
        alice
            .create_user()
            .user_name("r1")
            .tags(tag("team", "red"))
            .send()
            .await
    ));
    // No tags: no aws:RequestTag/team, so StringEquals does not match.
    assert!(denied(alice.create_user().user_name("n1").send().await));
    // Another key besides team breaks ForAllValues.
    assert!(denied(
        alice
            .create_user()
            .user_name("b2")
            .tags(tag("team", "blue"))
            .tags(tag("cost", "1"))
            .send()
            .await
    ));
    assert!(!denied(
        alice
            .tag_user()
            .user_name("b1")
            .tags(tag("team", "blue"))
            .send()
            .await
    ));
    assert!(denied(
        alice
            .tag_user()
            .user_name("b1")
            .tags(tag("owner", "x"))
            .send()
            .await
    ));

    srv.root()
        .tag_user()
        .user_name("b1")
        .tags(tag("owner", "x"))
        .send()
        .await
        .unwrap();
    assert!(!denied(
        alice
            .untag_user()
            .user_name("b1")
            .tag_keys("owner")
            .send()
            .await
    ));
    assert!(denied(
        alice
            .untag_user()
            .user_name("b1")
            .tag_keys("team")
            .send()
            .await
    ));
    let tags = srv
        .root()
        .list_user_tags()
        .user_name("b1")
        .send()
        .await
        .unwrap()
        .tags;
    assert_eq!(tags, vec![tag("team", "blue")]);
}

#[tokio::test]
async fn permissions_boundary_and_policy_arn_keys_delegate_safely() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let mut arns = Vec::new();
    for name in ["Boundary", "Other", "Allowed"] {
        let policy = root
            .create_policy()
            .policy_name(name)
            .policy_document(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
            )
            .send()
            .await
            .unwrap()
            .policy
            .unwrap();
        arns.push(policy.arn.unwrap());
    }
    let (boundary, other, allowed) = (&arns[0], &arns[1], &arns[2]);
    // The delegated administrator of AWS's documentation: it may create users only with
    // the boundary, attach only the allowed policy and only to users that have the
    // boundary, and change no boundary but to set this one.
    let doc = format!(
        r#"{{"Version":"2012-10-17","Statement":[
        {{"Effect":"Allow","Action":["iam:CreateUser","iam:PutUserPermissionsBoundary","iam:DeleteUserPolicy","iam:PutUserPolicy"],"Resource":"*",
         "Condition":{{"StringEquals":{{"iam:PermissionsBoundary":"{boundary}"}}}}}},
        {{"Effect":"Allow","Action":"iam:AttachUserPolicy","Resource":"*",
         "Condition":{{"StringEquals":{{"iam:PermissionsBoundary":"{boundary}"}},
                       "ArnEquals":{{"iam:PolicyARN":"{allowed}"}}}}}}]}}"#
    );
    let admin = user_with_policy(&srv, "admin", &doc).await;

    assert!(denied(admin.create_user().user_name("free").send().await));
    assert!(denied(
        admin
            .create_user()
            .user_name("other")
            .permissions_boundary(other)
            .send()
            .await
    ));
    assert!(!denied(
        admin
            .create_user()
            .user_name("bounded")
            .permissions_boundary(boundary)
            .send()
            .await
    ));
    // Attaching: only the allowed policy, only to a user with the boundary.
    assert!(!denied(
        admin
            .attach_user_policy()
            .user_name("bounded")
            .policy_arn(allowed)
            .send()
            .await
    ));
    assert!(denied(
        admin
            .attach_user_policy()
            .user_name("bounded")
            .policy_arn(other)
            .send()
            .await
    ));
    root.create_user().user_name("plain").send().await.unwrap();
    assert!(denied(
        admin
            .attach_user_policy()
            .user_name("plain")
            .policy_arn(allowed)
            .send()
            .await
    ));
    let inline = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    assert!(denied(
        admin
            .put_user_policy()
            .user_name("plain")
            .policy_name("i")
            .policy_document(inline)
            .send()
            .await
    ));
    assert!(!denied(
        admin
            .put_user_policy()
            .user_name("bounded")
            .policy_name("i")
            .policy_document(inline)
            .send()
            .await
    ));
    // Setting the boundary on the plain user is allowed (the key is the new boundary);
    // then attaching to it is too.
    assert!(denied(
        admin
            .put_user_permissions_boundary()
            .user_name("plain")
            .permissions_boundary(other)
            .send()
            .await
    ));
    assert!(!denied(
        admin
            .put_user_permissions_boundary()
            .user_name("plain")
            .permissions_boundary(boundary)
            .send()
            .await
    ));
    assert!(!denied(
        admin
            .attach_user_policy()
            .user_name("plain")
            .policy_arn(allowed)
            .send()
            .await
    ));
    // Nothing allows removing a boundary.
    assert!(denied(
        admin
            .delete_user_permissions_boundary()
            .user_name("plain")
            .send()
            .await
    ));
}

/// The attribute-based access control of AWS's tutorial: a user may assume the roles
/// whose `iam:ResourceTag/project` equals its own `aws:PrincipalTag/project`.
#[tokio::test]
async fn a_user_assumes_only_roles_of_its_own_project() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    for (name, project) in [("pegasus-admin", "pegasus"), ("unicorn-admin", "unicorn")] {
        root.create_role()
            .role_name(name)
            .assume_role_policy_document(&trust)
            .tags(tag("project", project))
            .send()
            .await
            .unwrap();
    }
    let (key, secret) = srv.user_with_key("dev").await;
    root.tag_user()
        .user_name("dev")
        .tags(tag("project", "pegasus"))
        .send()
        .await
        .unwrap();
    root.put_user_policy()
        .user_name("dev")
        .policy_name("abac")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*",
             "Condition":{"StringEquals":{"iam:ResourceTag/project":"${aws:PrincipalTag/project}"}}}]}"#,
        )
        .send()
        .await
        .unwrap();
    let sts = srv.sts(&key, &secret);
    let assume = |role: &str| {
        sts.assume_role()
            .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/{role}"))
            .role_session_name("dev-session")
            .send()
    };
    let own = assume("pegasus-admin").await;
    assert!(own.is_ok(), "{own:?}");
    let e = assume("unicorn-admin").await.unwrap_err();
    assert_eq!(
        aws_sdk_sts::error::ProvideErrorMetadata::code(&e),
        Some("AccessDenied")
    );
}

/// `iam:AWSServiceName`: the service a service-linked role is created for.
#[tokio::test]
async fn aws_service_name_scopes_service_linked_roles() {
    let srv = TestServer::start().await;
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"*",
        "Condition":{"StringEquals":{"iam:AWSServiceName":"autoscaling.amazonaws.com"}}}]}"#;
    let ops = user_with_policy(&srv, "ops", doc).await;
    let create = |service: &str| {
        ops.create_service_linked_role()
            .aws_service_name(service)
            .send()
    };
    assert!(!denied(create("autoscaling.amazonaws.com").await));
    assert!(denied(create("elasticloadbalancing.amazonaws.com").await));
}
