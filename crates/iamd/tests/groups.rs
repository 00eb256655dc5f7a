//! Groups with the real aws-sdk-iam: CRUD and renames, members, paging, every conflict,
//! missing entity, name clash and quota with AWS's texts, group policies, and their effect:
//! a user may do what its groups' policies allow, from the moment it joins until it leaves.

mod common;

use aws_sdk_iam::types::{PolicyEvaluationDecisionType, PolicySourceType};
use common::{err_of, TestServer, ACCOUNT};

fn allow(action: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
    )
}

fn deny(action: &str) -> String {
    allow(action).replace("Allow", "Deny")
}

fn no_such_group(name: &str) -> (String, String, u16) {
    (
        "NoSuchEntity".into(),
        format!("The group with name {name} cannot be found."),
        404,
    )
}

fn conflict(message: &str) -> (String, String, u16) {
    ("DeleteConflict".into(), message.into(), 409)
}

async fn create_users(srv: &TestServer, names: &[&str]) {
    for name in names {
        srv.root()
            .create_user()
            .user_name(*name)
            .send()
            .await
            .unwrap();
    }
}

async fn add(srv: &TestServer, group: &str, user: &str) {
    srv.root()
        .add_user_to_group()
        .group_name(group)
        .user_name(user)
        .send()
        .await
        .unwrap();
}

async fn create_policy(srv: &TestServer, name: &str, document: &str) -> String {
    srv.root()
        .create_policy()
        .policy_name(name)
        .policy_document(document)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap()
        .arn
        .unwrap()
}

#[tokio::test]
async fn groups_are_created_read_listed_renamed_and_deleted() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let created = root
        .create_group()
        .group_name("Admins")
        .path("/ops/")
        .send()
        .await
        .unwrap()
        .group
        .unwrap();
    assert_eq!(created.group_name(), "Admins");
    assert_eq!(created.path(), "/ops/");
    assert_eq!(
        created.arn(),
        format!("arn:aws:iam::{ACCOUNT}:group/ops/Admins")
    );
    assert!(created.group_id().starts_with("AGPA"));
    assert_eq!(created.group_id().len(), 21);

    let e = err_of(
        root.create_group()
            .group_name("ADMINS")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "EntityAlreadyExists".into(),
            "Group with name ADMINS already exists.".into(),
            409
        )
    );

    let got = root.get_group().group_name("admins").send().await.unwrap();
    assert_eq!(got.group().unwrap().group_id(), created.group_id());
    assert_eq!(got.group().unwrap().group_name(), "Admins");
    assert!(got.users().is_empty());
    assert!(!got.is_truncated());
    assert_eq!(
        err_of(
            root.get_group()
                .group_name("nope")
                .send()
                .await
                .unwrap_err()
        ),
        no_such_group("nope")
    );

    root.create_group().group_name("beta").send().await.unwrap();
    let names = |groups: &[aws_sdk_iam::types::Group]| -> Vec<String> {
        groups.iter().map(|g| g.group_name().to_owned()).collect()
    };
    let all = root.list_groups().send().await.unwrap();
    assert_eq!(names(all.groups()), ["Admins", "beta"]);
    let ops = root
        .list_groups()
        .path_prefix("/ops/")
        .send()
        .await
        .unwrap();
    assert_eq!(names(ops.groups()), ["Admins"]);

    // Rename and move; the old name is gone, the new name clashes ignoring case.
    root.update_group()
        .group_name("admins")
        .new_group_name("Operators")
        .new_path("/eng/")
        .send()
        .await
        .unwrap();
    assert_eq!(
        err_of(
            root.get_group()
                .group_name("Admins")
                .send()
                .await
                .unwrap_err()
        ),
        no_such_group("Admins")
    );
    let renamed = root
        .get_group()
        .group_name("operators")
        .send()
        .await
        .unwrap()
        .group
        .unwrap();
    assert_eq!(renamed.group_id(), created.group_id());
    assert_eq!(
        renamed.arn(),
        format!("arn:aws:iam::{ACCOUNT}:group/eng/Operators")
    );
    let e = err_of(
        root.update_group()
            .group_name("operators")
            .new_group_name("BETA")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "EntityAlreadyExists".into(),
            "Group with name BETA already exists.".into(),
            409
        )
    );
    assert_eq!(
        err_of(
            root.update_group()
                .group_name("ghost")
                .new_path("/x/")
                .send()
                .await
                .unwrap_err()
        ),
        no_such_group("ghost")
    );

    root.delete_group()
        .group_name("OPERATORS")
        .send()
        .await
        .unwrap();
    assert_eq!(
        err_of(
            root.delete_group()
                .group_name("Operators")
                .send()
                .await
                .unwrap_err()
        ),
        no_such_group("Operators")
    );
    let all = root.list_groups().send().await.unwrap();
    assert_eq!(names(all.groups()), ["beta"]);
}

#[tokio::test]
async fn members_and_groups_page_with_markers() {
    let srv = TestServer::start().await;
    let root = srv.root();
    create_users(&srv, &["erin", "Carol", "alice", "dave", "bob"]).await;
    for g in ["g3", "G1", "g2", "g0", "g4"] {
        root.create_group().group_name(g).send().await.unwrap();
    }
    for u in ["erin", "Carol", "alice", "dave", "bob", "ALICE"] {
        add(&srv, "g0", u).await;
    }
    for g in ["g3", "G1", "g2", "g0", "g4"] {
        add(&srv, g, "alice").await;
    }

    // GetGroup pages through the members, by name ignoring case.
    let mut members = Vec::new();
    let mut marker = None;
    let mut pages = 0;
    loop {
        let page = root
            .get_group()
            .group_name("G0")
            .max_items(2)
            .set_marker(marker.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        assert_eq!(page.group().unwrap().group_name(), "g0");
        members.extend(page.users().iter().map(|u| u.user_name().to_owned()));
        if !page.is_truncated() {
            assert!(page.marker().is_none());
            break;
        }
        marker = page.marker().map(str::to_owned);
    }
    assert_eq!(pages, 3);
    assert_eq!(members, ["alice", "bob", "Carol", "dave", "erin"]);

    // The SDK's paginator over GetGroup sees the same.
    let users: Vec<String> = root
        .get_group()
        .group_name("g0")
        .max_items(3)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.user_name().to_owned())
        .collect();
    assert_eq!(users, members);

    // ListGroups and ListGroupsForUser page too.
    let first = root.list_groups().max_items(3).send().await.unwrap();
    assert!(first.is_truncated());
    let rest = root
        .list_groups()
        .max_items(3)
        .marker(first.marker().unwrap())
        .send()
        .await
        .unwrap();
    assert!(!rest.is_truncated());
    let listed: Vec<_> = first
        .groups()
        .iter()
        .chain(rest.groups())
        .map(|g| g.group_name().to_owned())
        .collect();
    assert_eq!(listed, ["g0", "G1", "g2", "g3", "g4"]);

    let first = root
        .list_groups_for_user()
        .user_name("ALICE")
        .max_items(4)
        .send()
        .await
        .unwrap();
    assert!(first.is_truncated());
    assert_eq!(first.groups().len(), 4);
    let rest = root
        .list_groups_for_user()
        .user_name("alice")
        .max_items(4)
        .marker(first.marker().unwrap())
        .send()
        .await
        .unwrap();
    assert!(!rest.is_truncated());
    assert_eq!(rest.groups()[0].group_name(), "g4");
    let bob = root
        .list_groups_for_user()
        .user_name("bob")
        .send()
        .await
        .unwrap();
    assert_eq!(bob.groups().len(), 1);
    assert_eq!(
        bob.groups()[0].arn(),
        format!("arn:aws:iam::{ACCOUNT}:group/g0")
    );
    // A marker of one listing is refused by another.
    let e = err_of(
        root.get_group()
            .group_name("g1")
            .marker(first.marker().unwrap())
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, ("ValidationError".into(), "Invalid Marker.".into(), 400));

    // Removing a member.
    root.remove_user_from_group()
        .group_name("g0")
        .user_name("Bob")
        .send()
        .await
        .unwrap();
    let bob = root
        .list_groups_for_user()
        .user_name("bob")
        .send()
        .await
        .unwrap();
    assert!(bob.groups().is_empty());
}

#[tokio::test]
async fn missing_groups_users_and_memberships_are_no_such_entity() {
    let srv = TestServer::start().await;
    let root = srv.root();
    create_users(&srv, &["alice"]).await;
    root.create_group().group_name("team").send().await.unwrap();
    let no_user = |name: &str| {
        (
            "NoSuchEntity".to_owned(),
            format!("The user with name {name} cannot be found."),
            404,
        )
    };
    let add = |g: &str, u: &str| root.add_user_to_group().group_name(g).user_name(u).send();
    assert_eq!(
        err_of(add("nope", "alice").await.unwrap_err()),
        no_such_group("nope")
    );
    assert_eq!(
        err_of(add("team", "ghost").await.unwrap_err()),
        no_user("ghost")
    );
    let remove = |g: &str, u: &str| {
        root.remove_user_from_group()
            .group_name(g)
            .user_name(u)
            .send()
    };
    assert_eq!(
        err_of(remove("nope", "alice").await.unwrap_err()),
        no_such_group("nope")
    );
    assert_eq!(
        err_of(remove("team", "ghost").await.unwrap_err()),
        no_user("ghost")
    );
    // Not a member.
    assert_eq!(
        err_of(remove("team", "alice").await.unwrap_err()),
        no_user("alice")
    );
    assert_eq!(
        err_of(
            root.list_groups_for_user()
                .user_name("ghost")
                .send()
                .await
                .unwrap_err()
        ),
        no_user("ghost")
    );
    // Adding twice is one membership.
    add("team", "alice").await.unwrap();
    add("TEAM", "ALICE").await.unwrap();
    let got = root.get_group().group_name("team").send().await.unwrap();
    assert_eq!(got.users().len(), 1);
    for op in [
        err_of(
            root.put_group_policy()
                .group_name("ghost")
                .policy_name("p")
                .policy_document(allow("s3:*"))
                .send()
                .await
                .unwrap_err(),
        ),
        err_of(
            root.list_group_policies()
                .group_name("ghost")
                .send()
                .await
                .unwrap_err(),
        ),
        err_of(
            root.list_attached_group_policies()
                .group_name("ghost")
                .send()
                .await
                .unwrap_err(),
        ),
        err_of(
            root.delete_group_policy()
                .group_name("ghost")
                .policy_name("p")
                .send()
                .await
                .unwrap_err(),
        ),
    ] {
        assert_eq!(op, no_such_group("ghost"));
    }
    assert_eq!(
        err_of(
            root.get_group_policy()
                .group_name("team")
                .policy_name("nope")
                .send()
                .await
                .unwrap_err()
        ),
        (
            "NoSuchEntity".into(),
            "The group policy with name nope cannot be found.".into(),
            404
        )
    );
}

#[tokio::test]
async fn deleting_a_group_or_a_member_conflicts_until_emptied() {
    let srv = TestServer::start().await;
    let root = srv.root();
    create_users(&srv, &["alice"]).await;
    root.create_group().group_name("crew").send().await.unwrap();
    let arn = create_policy(&srv, "Managed", &allow("iam:ListUsers")).await;
    add(&srv, "crew", "alice").await;
    root.attach_group_policy()
        .group_name("crew")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    root.put_group_policy()
        .group_name("crew")
        .policy_name("inline")
        .policy_document(allow("s3:*"))
        .send()
        .await
        .unwrap();
    let delete = || root.delete_group().group_name("crew").send();

    assert_eq!(
        err_of(
            root.delete_user()
                .user_name("alice")
                .send()
                .await
                .unwrap_err()
        ),
        conflict("Cannot delete entity, must remove users from group first.")
    );
    assert_eq!(
        err_of(delete().await.unwrap_err()),
        conflict("Cannot delete entity, must remove users from group first.")
    );
    root.remove_user_from_group()
        .group_name("crew")
        .user_name("alice")
        .send()
        .await
        .unwrap();
    root.delete_user().user_name("alice").send().await.unwrap();
    assert_eq!(
        err_of(delete().await.unwrap_err()),
        conflict("Cannot delete entity, must detach all policies first.")
    );
    // The policy is attached, so it cannot be deleted either.
    assert_eq!(
        err_of(
            root.delete_policy()
                .policy_arn(&arn)
                .send()
                .await
                .unwrap_err()
        ),
        conflict("Cannot delete a policy attached to entities.")
    );
    root.detach_group_policy()
        .group_name("crew")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        err_of(delete().await.unwrap_err()),
        conflict("Cannot delete entity, must delete policies first.")
    );
    root.delete_group_policy()
        .group_name("crew")
        .policy_name("inline")
        .send()
        .await
        .unwrap();
    delete().await.unwrap();
    root.delete_policy().policy_arn(&arn).send().await.unwrap();
}

#[tokio::test]
async fn group_policies_are_put_listed_attached_and_detached() {
    let srv = TestServer::start().await;
    let root = srv.root();
    root.create_group()
        .group_name("Readers")
        .send()
        .await
        .unwrap();
    for name in ["b", "a"] {
        root.put_group_policy()
            .group_name("readers")
            .policy_name(name)
            .policy_document(allow(&format!("{name}:*")))
            .send()
            .await
            .unwrap();
    }
    let got = root
        .get_group_policy()
        .group_name("READERS")
        .policy_name("a")
        .send()
        .await
        .unwrap();
    assert_eq!(got.group_name(), "Readers");
    assert_eq!(got.policy_name(), "a");
    assert!(
        got.policy_document().contains("a%3A%2A"),
        "URL-encoded as AWS returns it"
    );
    let listed = root
        .list_group_policies()
        .group_name("readers")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.policy_names(), ["a", "b"]);
    let page = root
        .list_group_policies()
        .group_name("readers")
        .max_items(1)
        .send()
        .await
        .unwrap();
    assert!(page.is_truncated());
    assert_eq!(page.policy_names(), ["a"]);

    // Groups' inline policies share 5,120 characters.
    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{}"}}]}}"#,
        "x".repeat(5_000)
    );
    let e = err_of(
        root.put_group_policy()
            .group_name("readers")
            .policy_name("big")
            .policy_document(big)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "LimitExceeded");
    assert!(e.1.contains("5120"), "{}", e.1);
    root.delete_group_policy()
        .group_name("readers")
        .policy_name("b")
        .send()
        .await
        .unwrap();

    let arns: Vec<String> = {
        let mut arns = Vec::new();
        for i in 0..11 {
            arns.push(create_policy(&srv, &format!("p{i:02}"), &allow("s3:*")).await);
        }
        arns
    };
    for arn in &arns[..10] {
        root.attach_group_policy()
            .group_name("readers")
            .policy_arn(arn)
            .send()
            .await
            .unwrap();
    }
    // Attaching again changes nothing; an eleventh is over the quota.
    root.attach_group_policy()
        .group_name("readers")
        .policy_arn(&arns[0])
        .send()
        .await
        .unwrap();
    assert_eq!(
        err_of(
            root.attach_group_policy()
                .group_name("readers")
                .policy_arn(&arns[10])
                .send()
                .await
                .unwrap_err()
        ),
        (
            "LimitExceeded".into(),
            "Cannot exceed quota for PoliciesPerGroup: 10".into(),
            409
        )
    );
    let attached = root
        .list_attached_group_policies()
        .group_name("readers")
        .send()
        .await
        .unwrap();
    assert_eq!(attached.attached_policies().len(), 10);
    assert_eq!(attached.attached_policies()[0].policy_name(), Some("p00"));
    let policy = root
        .get_policy()
        .policy_arn(&arns[0])
        .send()
        .await
        .unwrap()
        .policy
        .unwrap();
    assert_eq!(policy.attachment_count(), Some(1));
    root.detach_group_policy()
        .group_name("readers")
        .policy_arn(&arns[0])
        .send()
        .await
        .unwrap();
    let e = err_of(
        root.detach_group_policy()
            .group_name("readers")
            .policy_arn(&arns[0])
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "NoSuchEntity");
    root.attach_group_policy()
        .group_name("readers")
        .policy_arn(&arns[10])
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_user_is_in_at_most_ten_groups_and_an_account_has_at_most_300() {
    let srv = TestServer::start().await;
    let root = srv.root();
    create_users(&srv, &["busy"]).await;
    let creates: Vec<_> = (0..300)
        .map(|i| {
            let root = root.clone();
            tokio::spawn(async move {
                root.create_group()
                    .group_name(format!("g{i:03}"))
                    .send()
                    .await
            })
        })
        .collect();
    for create in creates {
        create.await.unwrap().unwrap();
    }
    assert_eq!(
        err_of(
            root.create_group()
                .group_name("one-too-many")
                .send()
                .await
                .unwrap_err()
        ),
        (
            "LimitExceeded".into(),
            "Cannot exceed quota for GroupsPerAccount: 300".into(),
            409
        )
    );
    for i in 0..10 {
        add(&srv, &format!("g{i:03}"), "busy").await;
    }
    assert_eq!(
        err_of(
            root.add_user_to_group()
                .group_name("g010")
                .user_name("busy")
                .send()
                .await
                .unwrap_err()
        ),
        (
            "LimitExceeded".into(),
            "Cannot exceed quota for GroupsPerUser: 10".into(),
            409
        )
    );
    // Adding to a group it is in already is no new membership.
    add(&srv, "g009", "busy").await;
    root.remove_user_from_group()
        .group_name("g000")
        .user_name("busy")
        .send()
        .await
        .unwrap();
    add(&srv, "g010", "busy").await;
}

#[tokio::test]
async fn a_user_gains_and_loses_access_through_its_groups() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let (key, secret) = srv.user_with_key("alice").await;
    let alice = srv.iam(&key, &secret);
    let denied = format!(
        "User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: iam:ListUsers on resource: * because no identity-based policy allows the iam:ListUsers action"
    );
    let list_users = || alice.list_users().send();
    assert_eq!(
        err_of(list_users().await.unwrap_err()),
        ("AccessDenied".into(), denied.clone(), 403)
    );

    // An inline policy of a group it joins.
    root.create_group()
        .group_name("readers")
        .send()
        .await
        .unwrap();
    root.put_group_policy()
        .group_name("readers")
        .policy_name("list")
        .policy_document(allow("iam:ListUsers"))
        .send()
        .await
        .unwrap();
    assert!(list_users().await.is_err(), "not a member yet");
    add(&srv, "readers", "alice").await;
    list_users().await.expect("allowed through the group");
    root.remove_user_from_group()
        .group_name("readers")
        .user_name("alice")
        .send()
        .await
        .unwrap();
    assert_eq!(
        err_of(list_users().await.unwrap_err()),
        ("AccessDenied".into(), denied.clone(), 403)
    );

    // A managed policy attached to a group it is in.
    root.create_group()
        .group_name("viewers")
        .send()
        .await
        .unwrap();
    add(&srv, "viewers", "alice").await;
    assert!(list_users().await.is_err(), "the group allows nothing yet");
    let arn = create_policy(&srv, "ListUsers", &allow("iam:ListUsers")).await;
    root.attach_group_policy()
        .group_name("viewers")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    list_users()
        .await
        .expect("allowed through the attached policy");

    // The simulator sees the group's policies too.
    let alice_arn = format!("arn:aws:iam::{ACCOUNT}:user/alice");
    let sim = root
        .simulate_principal_policy()
        .policy_source_arn(&alice_arn)
        .action_names("iam:ListUsers")
        .action_names("iam:ListRoles")
        .send()
        .await
        .unwrap();
    let results = sim.evaluation_results();
    assert_eq!(
        results[0].eval_decision(),
        &PolicyEvaluationDecisionType::Allowed
    );
    assert_eq!(
        results[0].matched_statements()[0].source_policy_type(),
        Some(&PolicySourceType::UserManaged)
    );
    assert_eq!(
        results[1].eval_decision(),
        &PolicyEvaluationDecisionType::ImplicitDeny
    );

    // An explicit deny in another group wins over the allow.
    root.create_group()
        .group_name("blocked")
        .send()
        .await
        .unwrap();
    root.put_group_policy()
        .group_name("blocked")
        .policy_name("no-list")
        .policy_document(deny("iam:ListUsers"))
        .send()
        .await
        .unwrap();
    add(&srv, "blocked", "alice").await;
    let e = err_of(list_users().await.unwrap_err());
    assert_eq!(e.0, "AccessDenied");
    assert!(
        e.1.ends_with("with an explicit deny in an identity-based policy"),
        "{}",
        e.1
    );
    root.remove_user_from_group()
        .group_name("blocked")
        .user_name("alice")
        .send()
        .await
        .unwrap();
    list_users().await.expect("the deny left with the group");

    root.detach_group_policy()
        .group_name("viewers")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        err_of(list_users().await.unwrap_err()),
        ("AccessDenied".into(), denied, 403)
    );
}

#[tokio::test]
async fn group_operations_are_authorized_on_the_group_arn() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let (key, secret) = srv.user_with_key("gus").await;
    let gus = srv.iam(&key, &secret);
    root.create_group()
        .group_name("mine")
        .path("/team/")
        .send()
        .await
        .unwrap();
    root.create_group()
        .group_name("other")
        .send()
        .await
        .unwrap();
    root.put_user_policy()
        .user_name("gus")
        .policy_name("team-groups")
        .policy_document(format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["iam:GetGroup","iam:CreateGroup"],"Resource":"arn:aws:iam::{ACCOUNT}:group/team/*"}}]}}"#
        ))
        .send()
        .await
        .unwrap();
    gus.get_group().group_name("mine").send().await.unwrap();
    let e = err_of(
        gus.get_group()
            .group_name("other")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "AccessDenied".into(),
            format!(
                "User: arn:aws:iam::{ACCOUNT}:user/gus is not authorized to perform: iam:GetGroup on resource: arn:aws:iam::{ACCOUNT}:group/other because no identity-based policy allows the iam:GetGroup action"
            ),
            403
        )
    );
    // AccessDenied comes before NoSuchEntity.
    let e = err_of(
        gus.get_group()
            .group_name("ghost")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "AccessDenied");
    gus.create_group()
        .group_name("new")
        .path("/team/")
        .send()
        .await
        .unwrap();
    let e = err_of(
        gus.create_group()
            .group_name("new2")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "AccessDenied");
}
