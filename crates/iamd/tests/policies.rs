//! Identity policies with the real aws-sdk-iam: storage, validation, and enforcement on
//! every request, with AWS's texts.

mod common;

use aws_sdk_iam::types::{PolicyEvaluationDecisionType, PolicyScopeType, StatusType};
use common::{err_of, TestServer, ACCOUNT, SELF_SERVICE_POLICY};

const DENY_DELETE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:DeleteAccessKey","Resource":"*"}]}"#;
const LIST_USERS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}"#;

fn denied(user: &str, action: &str, resource_user: &str) -> String {
    format!(
        "User: arn:aws:iam::{ACCOUNT}:user/{user} is not authorized to perform: {action} on resource: user {resource_user} because no identity-based policy allows the {action} action"
    )
}

#[tokio::test]
async fn a_user_without_policies_can_do_nothing() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("alice").await;
    let alice = srv.iam(&key, &secret);
    let e = err_of(alice.list_access_keys().send().await.unwrap_err());
    assert_eq!(
        e,
        (
            "AccessDenied".into(),
            denied("alice", "iam:ListAccessKeys", "alice"),
            403
        )
    );
    // Authorization comes before the resource is looked up: no NoSuchEntity leaks out.
    let e = err_of(
        alice
            .get_user()
            .user_name("nobody")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "AccessDenied".into(),
            denied("alice", "iam:GetUser", "nobody"),
            403
        )
    );
    // GetCallerIdentity needs no permission.
    srv.sts(&key, &secret)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn the_self_service_policy_covers_own_keys_and_nobody_elses() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("alice").await;
    let (bob_key, _) = srv.user_with_key("bob").await;
    srv.allow_self_service("alice").await;
    let alice = srv.iam(&key, &secret);

    let listed = alice.list_access_keys().send().await.unwrap();
    assert_eq!(listed.access_key_metadata().len(), 1);
    let created = alice
        .create_access_key()
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();
    assert_eq!(created.user_name(), "alice");
    alice
        .update_access_key()
        .access_key_id(created.access_key_id())
        .status(StatusType::Inactive)
        .send()
        .await
        .unwrap();
    alice
        .delete_access_key()
        .access_key_id(created.access_key_id())
        .send()
        .await
        .unwrap();
    alice
        .list_access_keys()
        .user_name("alice")
        .send()
        .await
        .unwrap();

    let e = err_of(
        alice
            .list_access_keys()
            .user_name("bob")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "AccessDenied".into(),
            denied("alice", "iam:ListAccessKeys", "bob"),
            403
        )
    );
    let e = err_of(
        alice
            .delete_access_key()
            .user_name("bob")
            .access_key_id(&bob_key)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.1, denied("alice", "iam:DeleteAccessKey", "bob"));
    let e = err_of(alice.list_users().send().await.unwrap_err());
    assert_eq!(e.0, "AccessDenied");
}

#[tokio::test]
async fn an_explicit_deny_overrides_an_allow() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("carol").await;
    srv.allow_self_service("carol").await;
    srv.root()
        .put_user_policy()
        .user_name("carol")
        .policy_name("no-deletes")
        .policy_document(DENY_DELETE)
        .send()
        .await
        .unwrap();
    let carol = srv.iam(&key, &secret);
    carol.list_access_keys().send().await.unwrap();
    let e = err_of(
        carol
            .delete_access_key()
            .access_key_id(&key)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "AccessDenied".into(),
            format!("User: arn:aws:iam::{ACCOUNT}:user/carol is not authorized to perform: iam:DeleteAccessKey on resource: user carol with an explicit deny in an identity-based policy"),
            403
        )
    );
    // Removing the deny takes effect on the next request.
    srv.root()
        .delete_user_policy()
        .user_name("carol")
        .policy_name("no-deletes")
        .send()
        .await
        .unwrap();
    carol
        .delete_access_key()
        .access_key_id(&key)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_managed_policy_takes_effect_when_attached_and_stops_when_detached() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("dave").await;
    let root = srv.root();
    let policy = root
        .create_policy()
        .policy_name("ListUsersOnly")
        .path("/team/")
        .description("lists users")
        .policy_document(LIST_USERS)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap();
    let arn = policy.arn().unwrap().to_owned();
    assert_eq!(
        arn,
        format!("arn:aws:iam::{ACCOUNT}:policy/team/ListUsersOnly")
    );
    assert!(policy.policy_id().unwrap().starts_with("ANPA"));
    assert_eq!(policy.default_version_id(), Some("v1"));
    assert_eq!(policy.attachment_count(), Some(0));

    let dave = srv.iam(&key, &secret);
    assert_eq!(
        err_of(dave.list_users().send().await.unwrap_err()).0,
        "AccessDenied"
    );
    root.attach_user_policy()
        .user_name("dave")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    dave.list_users().send().await.unwrap();
    let got = root
        .get_policy()
        .policy_arn(&arn)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap();
    assert_eq!(got.attachment_count(), Some(1));
    assert_eq!(got.description(), Some("lists users"));
    let attached = root
        .list_attached_user_policies()
        .user_name("dave")
        .send()
        .await
        .unwrap();
    assert_eq!(
        attached.attached_policies()[0].policy_arn(),
        Some(arn.as_str())
    );

    // While attached, neither the user nor the policy can be deleted.
    let e = err_of(
        root.delete_policy()
            .policy_arn(&arn)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "DeleteConflict".into(),
            "Cannot delete a policy attached to entities.".into(),
            409
        )
    );
    root.delete_access_key()
        .user_name("dave")
        .access_key_id(&key)
        .send()
        .await
        .unwrap();
    let e = err_of(
        root.delete_user()
            .user_name("dave")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "DeleteConflict".into(),
            "Cannot delete entity, must detach all policies first.".into(),
            409
        )
    );

    let key2 = root
        .create_access_key()
        .user_name("dave")
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();
    let dave = srv.iam(key2.access_key_id(), key2.secret_access_key());
    dave.list_users().send().await.unwrap();
    root.detach_user_policy()
        .user_name("dave")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        err_of(dave.list_users().send().await.unwrap_err()).0,
        "AccessDenied"
    );
    let e = err_of(
        root.detach_user_policy()
            .user_name("dave")
            .policy_arn(&arn)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "NoSuchEntity".into(),
            format!("Policy {arn} was not found."),
            404
        )
    );
    root.delete_policy().policy_arn(&arn).send().await.unwrap();
}

#[tokio::test]
async fn inline_policies_round_trip_and_are_validated() {
    let srv = TestServer::start().await;
    srv.root()
        .create_user()
        .user_name("erin")
        .send()
        .await
        .unwrap();
    let root = srv.root();
    root.put_user_policy()
        .user_name("erin")
        .policy_name("self-service")
        .policy_document(SELF_SERVICE_POLICY)
        .send()
        .await
        .unwrap();
    let got = root
        .get_user_policy()
        .user_name("erin")
        .policy_name("self-service")
        .send()
        .await
        .unwrap();
    // AWS returns the document URL-encoded.
    let decoded = percent_decode(got.policy_document());
    assert_eq!(decoded, SELF_SERVICE_POLICY);
    assert!(got.policy_document().starts_with("%7B"));
    let names = root
        .list_user_policies()
        .user_name("erin")
        .send()
        .await
        .unwrap();
    assert_eq!(names.policy_names(), ["self-service"]);

    let e = err_of(
        root.get_user_policy()
            .user_name("erin")
            .policy_name("nope")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "NoSuchEntity".into(),
            "The user policy with name nope cannot be found.".into(),
            404
        )
    );
    let e = err_of(
        root.put_user_policy()
            .user_name("erin")
            .policy_name("bad")
            .policy_document("{not json")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "MalformedPolicyDocument".into(),
            "Syntax errors in policy.".into(),
            400
        )
    );
    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::*:user/{}"}}]}}"#,
        "x".repeat(2100)
    );
    let e = err_of(
        root.put_user_policy()
            .user_name("erin")
            .policy_name("big")
            .policy_document(big)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "LimitExceeded".into(),
            "Maximum policy size of 2048 bytes exceeded for user erin".into(),
            409
        )
    );

    let e = err_of(
        root.delete_user()
            .user_name("erin")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "DeleteConflict".into(),
            "Cannot delete entity, must delete policies first.".into(),
            409
        )
    );
    root.delete_user_policy()
        .user_name("erin")
        .policy_name("self-service")
        .send()
        .await
        .unwrap();
    root.delete_user().user_name("erin").send().await.unwrap();
}

#[tokio::test]
async fn managed_policy_versions() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let arn = root
        .create_policy()
        .policy_name("Versioned")
        .policy_document(LIST_USERS)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap()
        .arn
        .unwrap();
    for n in 2..=5 {
        let v = root
            .create_policy_version()
            .policy_arn(&arn)
            .policy_document(SELF_SERVICE_POLICY)
            .set_as_default(n == 3)
            .send()
            .await
            .unwrap()
            .policy_version
            .unwrap();
        assert_eq!(v.version_id(), Some(format!("v{n}").as_str()));
        assert_eq!(v.is_default_version(), n == 3);
    }
    let e = err_of(
        root.create_policy_version()
            .policy_arn(&arn)
            .policy_document(LIST_USERS)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "LimitExceeded");
    assert_eq!(e.1, "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.");
    let versions = root
        .list_policy_versions()
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    let ids: Vec<_> = versions
        .versions()
        .iter()
        .filter_map(|v| v.version_id())
        .collect();
    assert_eq!(ids, ["v5", "v4", "v3", "v2", "v1"]);
    let default = root
        .get_policy_version()
        .policy_arn(&arn)
        .version_id("v3")
        .send()
        .await
        .unwrap();
    let default = default.policy_version().unwrap();
    assert!(default.is_default_version());
    assert_eq!(
        percent_decode(default.document().unwrap()),
        SELF_SERVICE_POLICY
    );
    let e = err_of(
        root.delete_policy_version()
            .policy_arn(&arn)
            .version_id("v3")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "DeleteConflict".into(),
            "Cannot delete the default version of a policy.".into(),
            409
        )
    );
    root.delete_policy_version()
        .policy_arn(&arn)
        .version_id("v5")
        .send()
        .await
        .unwrap();
    let v6 = root
        .create_policy_version()
        .policy_arn(&arn)
        .policy_document(LIST_USERS)
        .send()
        .await
        .unwrap();
    assert_eq!(
        v6.policy_version().unwrap().version_id(),
        Some("v6"),
        "version ids are never reused"
    );
    root.set_default_policy_version()
        .policy_arn(&arn)
        .version_id("v1")
        .send()
        .await
        .unwrap();
    let e = err_of(
        root.delete_policy()
            .policy_arn(&arn)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "DeleteConflict");
    let local = root
        .list_policies()
        .scope(PolicyScopeType::Local)
        .send()
        .await
        .unwrap();
    assert_eq!(local.policies().len(), 1);
    assert_eq!(local.policies()[0].default_version_id(), Some("v1"));
    let attached_only = root
        .list_policies()
        .only_attached(true)
        .send()
        .await
        .unwrap();
    assert!(attached_only.policies().is_empty());
    let e = err_of(
        root.get_policy()
            .policy_arn(format!("arn:aws:iam::{ACCOUNT}:policy/Missing"))
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "NoSuchEntity".into(),
            format!("Policy arn:aws:iam::{ACCOUNT}:policy/Missing was not found."),
            404
        )
    );
    let e = err_of(
        root.create_policy()
            .policy_name("versioned")
            .policy_document(LIST_USERS)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "EntityAlreadyExists");
}

#[tokio::test]
async fn the_simulator_agrees_with_live_calls() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("fay").await;
    srv.user_with_key("gil").await;
    srv.allow_self_service("fay").await;
    let fay = srv.iam(&key, &secret);
    let root = srv.root();
    let fay_arn = format!("arn:aws:iam::{ACCOUNT}:user/fay");
    let gil_arn = format!("arn:aws:iam::{ACCOUNT}:user/gil");
    let sim = root
        .simulate_principal_policy()
        .policy_source_arn(&fay_arn)
        .action_names("iam:ListAccessKeys")
        .action_names("iam:ListUsers")
        .resource_arns(&fay_arn)
        .resource_arns(&gil_arn)
        .send()
        .await
        .unwrap();
    let results = sim.evaluation_results();
    assert_eq!(results.len(), 4);
    let decision = |action: &str, resource: &str| {
        results
            .iter()
            .find(|r| r.eval_action_name() == action && r.eval_resource_name() == Some(resource))
            .map(|r| r.eval_decision().clone())
            .unwrap()
    };
    assert_eq!(
        decision("iam:ListAccessKeys", &fay_arn),
        PolicyEvaluationDecisionType::Allowed
    );
    assert_eq!(
        decision("iam:ListAccessKeys", &gil_arn),
        PolicyEvaluationDecisionType::ImplicitDeny
    );
    assert_eq!(
        decision("iam:ListUsers", &fay_arn),
        PolicyEvaluationDecisionType::ImplicitDeny
    );
    let allowed = results
        .iter()
        .find(|r| r.eval_decision() == &PolicyEvaluationDecisionType::Allowed)
        .unwrap();
    assert_eq!(
        allowed.matched_statements()[0].source_policy_id(),
        Some("self-service")
    );
    // The live calls agree.
    fay.list_access_keys()
        .user_name("fay")
        .send()
        .await
        .unwrap();
    assert_eq!(
        err_of(
            fay.list_access_keys()
                .user_name("gil")
                .send()
                .await
                .unwrap_err()
        )
        .0,
        "AccessDenied"
    );
    assert_eq!(
        err_of(fay.list_users().send().await.unwrap_err()).0,
        "AccessDenied"
    );

    let custom = root
        .simulate_custom_policy()
        .policy_input_list(DENY_DELETE)
        .policy_input_list(SELF_SERVICE_POLICY)
        .action_names("iam:DeleteAccessKey")
        .resource_arns(&fay_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        custom.evaluation_results()[0].eval_decision(),
        &PolicyEvaluationDecisionType::ExplicitDeny
    );
}

#[tokio::test]
async fn authorization_off_allows_every_authenticated_caller() {
    let srv = TestServer::start_with(false).await;
    let (key, secret) = srv.user_with_key("hal").await;
    srv.iam(&key, &secret).list_users().send().await.unwrap();
    // Authentication still applies.
    assert_eq!(
        err_of(
            srv.iam(&key, "wrong")
                .list_users()
                .send()
                .await
                .unwrap_err()
        )
        .0,
        "SignatureDoesNotMatch"
    );
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

/// ListEntitiesForPolicy: the groups, users and roles a policy is attached to, filtered by
/// kind and path, paged across kinds by one marker.
#[tokio::test]
async fn list_entities_for_policy() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let arn = root
        .create_policy()
        .policy_name("shared")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap()
        .arn
        .unwrap();
    for (name, path) in [("bo", "/a/"), ("al", "/b/")] {
        root.create_user()
            .user_name(name)
            .path(path)
            .send()
            .await
            .unwrap();
        root.attach_user_policy()
            .user_name(name)
            .policy_arn(&arn)
            .send()
            .await
            .unwrap();
    }
    root.create_user()
        .user_name("unattached")
        .send()
        .await
        .unwrap();
    root.create_group().group_name("devs").send().await.unwrap();
    root.attach_group_policy()
        .group_name("devs")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"arn:aws:iam::123456789012:root"}}]}"#;
    root.create_role()
        .role_name("ops")
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap();
    root.attach_role_policy()
        .role_name("ops")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();

    let all = root
        .list_entities_for_policy()
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    let names =
        |out: &aws_sdk_iam::operation::list_entities_for_policy::ListEntitiesForPolicyOutput| {
            (
                out.policy_groups()
                    .iter()
                    .map(|g| g.group_name().unwrap_or_default().to_owned())
                    .collect::<Vec<_>>(),
                out.policy_users()
                    .iter()
                    .map(|u| u.user_name().unwrap_or_default().to_owned())
                    .collect::<Vec<_>>(),
                out.policy_roles()
                    .iter()
                    .map(|r| r.role_name().unwrap_or_default().to_owned())
                    .collect::<Vec<_>>(),
            )
        };
    assert_eq!(
        names(&all),
        (
            vec!["devs".to_owned()],
            vec!["al".to_owned(), "bo".to_owned()],
            vec!["ops".to_owned()]
        )
    );
    assert!(!all.is_truncated());
    assert!(all.policy_users()[0].user_id().unwrap().starts_with("AIDA"));

    let users_under_a = root
        .list_entities_for_policy()
        .policy_arn(&arn)
        .entity_filter(aws_sdk_iam::types::EntityType::User)
        .path_prefix("/a/")
        .send()
        .await
        .unwrap();
    assert_eq!(
        names(&users_under_a),
        (vec![], vec!["bo".to_owned()], vec![])
    );

    // One at a time: groups, then users, then roles, one marker across them.
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = root
            .list_entities_for_policy()
            .policy_arn(&arn)
            .max_items(1)
            .set_marker(marker.clone())
            .send()
            .await
            .unwrap();
        let (g, u, r) = names(&page);
        seen.extend(g.into_iter().chain(u).chain(r));
        if !page.is_truncated() {
            break;
        }
        marker = page.marker().map(str::to_owned);
    }
    assert_eq!(seen, ["devs", "al", "bo", "ops"]);

    let e = root
        .list_entities_for_policy()
        .policy_arn("arn:aws:iam::123456789012:policy/nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(common::err_of(e).0, "NoSuchEntity");
}

/// A user's keys come from its own policies and its groups'; a group's and a role's from
/// theirs; given policies add theirs; a caller without the action on the entity is
/// refused, and a document that does not validate is InvalidInput.
#[tokio::test]
async fn context_keys_of_custom_and_principal_policies() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let tagged = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*",
        "Resource":"arn:aws:s3:::b/${aws:username}/*",
        "Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}}]}"#;
    let dated = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*",
        "Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}}]}"#;
    let ip = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*",
        "Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#;

    let custom = root
        .get_context_keys_for_custom_policy()
        .policy_input_list(tagged)
        .policy_input_list(dated)
        .send()
        .await
        .unwrap();
    assert_eq!(
        custom.context_key_names(),
        ["aws:username", "aws:PrincipalTag/team", "aws:CurrentTime"]
    );

    srv.user_with_key("hal").await;
    let (ivy_key, ivy_secret) = srv.user_with_key("ivy").await;
    root.put_user_policy()
        .user_name("hal")
        .policy_name("tagged")
        .policy_document(tagged)
        .send()
        .await
        .unwrap();
    root.create_group().group_name("ops").send().await.unwrap();
    root.put_group_policy()
        .group_name("ops")
        .policy_name("ip")
        .policy_document(ip)
        .send()
        .await
        .unwrap();
    root.add_user_to_group()
        .group_name("ops")
        .user_name("hal")
        .send()
        .await
        .unwrap();
    let keys = |arn: String, extra: Option<&'static str>| {
        let root = root.clone();
        async move {
            root.get_context_keys_for_principal_policy()
                .policy_source_arn(arn)
                .set_policy_input_list(extra.map(|d| vec![d.to_owned()]))
                .send()
                .await
        }
    };
    let hal = keys(format!("arn:aws:iam::{ACCOUNT}:user/hal"), Some(dated))
        .await
        .unwrap();
    assert_eq!(
        hal.context_key_names(),
        [
            "aws:username",
            "aws:PrincipalTag/team",
            "aws:SourceIp",
            "aws:CurrentTime"
        ]
    );
    let group = keys(format!("arn:aws:iam::{ACCOUNT}:group/ops"), None)
        .await
        .unwrap();
    assert_eq!(group.context_key_names(), ["aws:SourceIp"]);
    // A user without policies, and one of its own with none given: no keys.
    let ivy = keys(format!("arn:aws:iam::{ACCOUNT}:user/ivy"), None)
        .await
        .unwrap();
    assert!(ivy.context_key_names().is_empty());

    // Errors: a missing entity, an ARN that names none, a document that does not validate,
    // and a caller not allowed the action on the entity.
    let (code, message, status) = err_of(
        keys(format!("arn:aws:iam::{ACCOUNT}:role/nobody"), None)
            .await
            .unwrap_err(),
    );
    assert_eq!((code.as_str(), status), ("NoSuchEntity", 404));
    assert!(message.contains("nobody"), "{message}");
    let (code, _, status) = err_of(
        keys(format!("arn:aws:iam::{ACCOUNT}:policy/p"), None)
            .await
            .unwrap_err(),
    );
    assert_eq!((code.as_str(), status), ("InvalidInput", 400));
    let (code, _, status) = err_of(
        root.get_context_keys_for_custom_policy()
            .policy_input_list(r#"{"Version":"2012-10-17","Statement":[]}"#)
            .policy_input_list("not json")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!((code.as_str(), status), ("InvalidInput", 400));
    let ivy = srv.iam(&ivy_key, &ivy_secret);
    let (code, message, _) = err_of(
        ivy.get_context_keys_for_principal_policy()
            .policy_source_arn(format!("arn:aws:iam::{ACCOUNT}:user/hal"))
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(code, "AccessDenied");
    assert!(
        message.contains("iam:GetContextKeysForPrincipalPolicy"),
        "{message}"
    );
}
