//! Instance profiles with the real aws-sdk-iam: create with a path and tags, get with the
//! role, list by path prefix and in pages, AWS's one-role quota, the deletes a profile and
//! its role block, the profiles of a role, and authorization on the profile's ARN.

mod common;

use aws_sdk_iam::types::Tag;
use common::{err_of, TestServer, ACCOUNT};

const EC2_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

async fn create_role(iam: &aws_sdk_iam::Client, name: &str) {
    iam.create_role()
        .role_name(name)
        .assume_role_policy_document(EC2_TRUST)
        .send()
        .await
        .expect("create role");
}

async fn create_profile(iam: &aws_sdk_iam::Client, name: &str, path: Option<&str>) {
    iam.create_instance_profile()
        .instance_profile_name(name)
        .set_path(path.map(str::to_owned))
        .send()
        .await
        .expect("create instance profile");
}

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build().unwrap()
}

#[tokio::test]
async fn instance_profile_crud_with_its_role() {
    let srv = TestServer::start().await;
    let iam = srv.root();

    let created = iam
        .create_instance_profile()
        .instance_profile_name("WebServer")
        .path("/app/")
        .tags(tag("team", "web"))
        .tags(tag("env", "prod"))
        .send()
        .await
        .expect("create")
        .instance_profile
        .expect("instance profile");
    assert_eq!(created.instance_profile_name, "WebServer");
    assert_eq!(created.path, "/app/");
    assert_eq!(
        created.arn,
        format!("arn:aws:iam::{ACCOUNT}:instance-profile/app/WebServer")
    );
    assert!(created.instance_profile_id.starts_with("AIPA"));
    assert_eq!(created.instance_profile_id.len(), 21);
    assert!(created.roles.is_empty());
    assert_eq!(created.tags(), [tag("team", "web"), tag("env", "prod")]);

    // Names are unique ignoring case.
    let err = iam
        .create_instance_profile()
        .instance_profile_name("webserver")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_of(err),
        (
            "EntityAlreadyExists".into(),
            "Instance Profile webserver already exists.".into(),
            409
        )
    );

    create_role(&iam, "web-role").await;
    iam.add_role_to_instance_profile()
        .instance_profile_name("webserver")
        .role_name("WEB-ROLE")
        .send()
        .await
        .expect("add role");

    let got = iam
        .get_instance_profile()
        .instance_profile_name("WEBSERVER")
        .send()
        .await
        .expect("get")
        .instance_profile
        .expect("instance profile");
    assert_eq!(got.instance_profile_name, "WebServer");
    assert_eq!(got.instance_profile_id, created.instance_profile_id);
    assert_eq!(got.create_date, created.create_date);
    assert_eq!(got.tags(), created.tags());
    let roles = got.roles();
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0].role_name, "web-role");
    assert_eq!(
        roles[0].arn,
        format!("arn:aws:iam::{ACCOUNT}:role/web-role")
    );
    assert!(roles[0].assume_role_policy_document.is_some());

    // The profiles of the role.
    let for_role = iam
        .list_instance_profiles_for_role()
        .role_name("web-role")
        .send()
        .await
        .expect("list for role");
    assert!(!for_role.is_truncated);
    let names: Vec<_> = for_role
        .instance_profiles
        .iter()
        .map(|p| p.instance_profile_name.as_str())
        .collect();
    assert_eq!(names, ["WebServer"]);

    // Neither can be deleted while they are associated.
    let err = iam
        .delete_instance_profile()
        .instance_profile_name("WebServer")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_of(err),
        (
            "DeleteConflict".into(),
            "Cannot delete entity, must remove roles from instance profile first.".into(),
            409
        )
    );
    let err = iam
        .delete_role()
        .role_name("web-role")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_of(err),
        (
            "DeleteConflict".into(),
            "Cannot delete entity, must remove roles from instance profile first.".into(),
            409
        )
    );

    iam.remove_role_from_instance_profile()
        .instance_profile_name("WebServer")
        .role_name("web-role")
        .send()
        .await
        .expect("remove role");
    let err = iam
        .remove_role_from_instance_profile()
        .instance_profile_name("WebServer")
        .role_name("web-role")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_of(err).0, "NoSuchEntity");
    iam.delete_role()
        .role_name("web-role")
        .send()
        .await
        .expect("delete role");
    iam.delete_instance_profile()
        .instance_profile_name("WebServer")
        .send()
        .await
        .expect("delete profile");

    let err = iam
        .get_instance_profile()
        .instance_profile_name("WebServer")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_of(err),
        (
            "NoSuchEntity".into(),
            "Instance Profile WebServer cannot be found.".into(),
            404
        )
    );
    let err = iam
        .delete_instance_profile()
        .instance_profile_name("WebServer")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_of(err),
        (
            "NoSuchEntity".into(),
            "Instance Profile WebServer cannot be found.".into(),
            404
        )
    );
}

#[tokio::test]
async fn an_instance_profile_holds_one_role() {
    let srv = TestServer::start().await;
    let iam = srv.root();
    create_profile(&iam, "web", None).await;
    create_role(&iam, "first").await;
    create_role(&iam, "second").await;

    let add = |role: &'static str| {
        iam.add_role_to_instance_profile()
            .instance_profile_name("web")
            .role_name(role)
            .send()
    };
    add("first").await.expect("the first role fits");
    assert_eq!(
        err_of(add("second").await.unwrap_err()),
        (
            "LimitExceeded".into(),
            "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1".into(),
            409
        )
    );
    let (code, _, status) = err_of(add("first").await.unwrap_err());
    assert_eq!((code.as_str(), status), ("EntityAlreadyExists", 409));

    // A missing profile or role.
    let err = iam
        .add_role_to_instance_profile()
        .instance_profile_name("nope")
        .role_name("first")
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
    create_profile(&iam, "other", None).await;
    let err = iam
        .add_role_to_instance_profile()
        .instance_profile_name("other")
        .role_name("nobody")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_of(err),
        (
            "NoSuchEntity".into(),
            "The role with name nobody cannot be found.".into(),
            404
        )
    );
    let err = iam
        .list_instance_profiles_for_role()
        .role_name("nobody")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_of(err),
        (
            "NoSuchEntity".into(),
            "The role with name nobody cannot be found.".into(),
            404
        )
    );

    // One role may be in several profiles.
    iam.add_role_to_instance_profile()
        .instance_profile_name("other")
        .role_name("first")
        .send()
        .await
        .expect("a role may be in several profiles");
    let listed = iam
        .list_instance_profiles_for_role()
        .role_name("FIRST")
        .send()
        .await
        .expect("list for role");
    let names: Vec<_> = listed
        .instance_profiles
        .iter()
        .map(|p| p.instance_profile_name.as_str())
        .collect();
    assert_eq!(names, ["other", "web"]);
}

#[tokio::test]
async fn instance_profiles_list_by_path_prefix_in_pages() {
    let srv = TestServer::start().await;
    let iam = srv.root();
    for i in 0..7 {
        let path = if i % 2 == 0 { "/even/" } else { "/odd/" };
        create_profile(&iam, &format!("profile-{i}"), Some(path)).await;
    }
    let all = iam.list_instance_profiles().send().await.expect("list");
    assert!(!all.is_truncated);
    assert_eq!(all.instance_profiles.len(), 7);
    assert!(all.instance_profiles.iter().all(|p| p.tags.is_none()));

    let even = iam
        .list_instance_profiles()
        .path_prefix("/even/")
        .send()
        .await
        .expect("list");
    let names: Vec<_> = even
        .instance_profiles
        .iter()
        .map(|p| p.instance_profile_name.as_str())
        .collect();
    assert_eq!(names, ["profile-0", "profile-2", "profile-4", "profile-6"]);

    // Pages of 3, by marker; and the SDK's paginator sees the same.
    let mut seen = Vec::new();
    let mut marker = None;
    loop {
        let page = iam
            .list_instance_profiles()
            .max_items(3)
            .set_marker(marker)
            .send()
            .await
            .expect("page");
        assert!(page.instance_profiles.len() <= 3);
        seen.extend(
            page.instance_profiles
                .into_iter()
                .map(|p| p.instance_profile_name),
        );
        if !page.is_truncated {
            assert!(page.marker.is_none());
            break;
        }
        marker = page.marker;
        assert!(marker.is_some());
    }
    let expected: Vec<String> = (0..7).map(|i| format!("profile-{i}")).collect();
    assert_eq!(seen, expected);

    let paginated: Vec<String> = iam
        .list_instance_profiles()
        .max_items(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("paginate")
        .into_iter()
        .map(|p| p.instance_profile_name)
        .collect();
    assert_eq!(paginated, expected);

    // A marker of another listing is refused.
    let err = iam
        .list_instance_profiles()
        .marker("bm90IGEgbWFya2Vy")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_of(err).0, "ValidationError");

    // The profiles of a role page the same way.
    create_role(&iam, "shared").await;
    for i in 0..7 {
        iam.add_role_to_instance_profile()
            .instance_profile_name(format!("profile-{i}"))
            .role_name("shared")
            .send()
            .await
            .expect("add role");
    }
    let for_role: Vec<String> = iam
        .list_instance_profiles_for_role()
        .role_name("shared")
        .max_items(3)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("paginate")
        .into_iter()
        .map(|p| {
            assert_eq!(p.roles.len(), 1);
            p.instance_profile_name
        })
        .collect();
    assert_eq!(for_role, expected);
}

#[tokio::test]
async fn instance_profile_calls_are_authorized_on_the_profile_arn() {
    let srv = TestServer::start().await;
    let root = srv.root();
    create_profile(&root, "mine", Some("/team/")).await;
    create_profile(&root, "theirs", None).await;
    let (key, secret) = srv.user_with_key("alice").await;
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["iam:GetInstanceProfile","iam:CreateInstanceProfile"],"Resource":"arn:aws:iam::{ACCOUNT}:instance-profile/team/*"}}]}}"#
    );
    root.put_user_policy()
        .user_name("alice")
        .policy_name("profiles")
        .policy_document(policy)
        .send()
        .await
        .expect("put policy");
    let alice = srv.iam(&key, &secret);
    alice
        .get_instance_profile()
        .instance_profile_name("mine")
        .send()
        .await
        .expect("allowed on its own path");
    alice
        .create_instance_profile()
        .instance_profile_name("new")
        .path("/team/")
        .send()
        .await
        .expect("allowed on its own path");
    let err = alice
        .get_instance_profile()
        .instance_profile_name("theirs")
        .send()
        .await
        .unwrap_err();
    let (code, message, status) = err_of(err);
    assert_eq!((code.as_str(), status), ("AccessDenied", 403));
    assert!(
        message.contains(&format!(
            "is not authorized to perform: iam:GetInstanceProfile on resource: arn:aws:iam::{ACCOUNT}:instance-profile/theirs "
        )),
        "{message}"
    );
    let err = alice
        .delete_instance_profile()
        .instance_profile_name("mine")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_of(err).0, "AccessDenied");
}
