//! GetAccountSummary: the account's entities counted from the store, and the quotas iamd
//! enforces.

mod common;

use aws_sdk_iam::types::SummaryKeyType as K;
use common::{err_of, TestServer};

#[tokio::test]
async fn the_summary_counts_what_the_account_holds() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let summary = |root: aws_sdk_iam::Client| async move {
        root.get_account_summary()
            .send()
            .await
            .expect("summary")
            .summary_map
            .expect("map")
    };
    let before = summary(root.clone()).await;
    assert_eq!(before.get(&K::Users), Some(&0));
    assert_eq!(before.get(&K::AccountAccessKeysPresent), Some(&1));
    assert_eq!(before.get(&K::GroupsQuota), Some(&300));
    assert_eq!(before.get(&K::AccessKeysPerUserQuota), Some(&2));
    assert_eq!(before.get(&K::MfaDevices), Some(&0));
    // A quota iamd does not enforce is not reported.
    assert_eq!(before.get(&K::UsersQuota), None);

    let (key, secret) = srv.user_with_key("counted").await;
    root.create_group().group_name("g").send().await.unwrap();
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"arn:aws:iam::123456789012:root"}}]}"#;
    root.create_role()
        .role_name("r")
        .assume_role_policy_document(doc)
        .send()
        .await
        .unwrap();
    root.create_policy()
        .policy_name("p")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetAccountSummary","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    let after = summary(root.clone()).await;
    for (k, n) in [
        (K::Users, 1),
        (K::Groups, 1),
        (K::Roles, 1),
        (K::Policies, 1),
        (K::PolicyVersionsInUse, 0),
        (K::InstanceProfiles, 0),
    ] {
        assert_eq!(after.get(&k), Some(&n), "{k:?}");
    }

    // A user needs iam:GetAccountSummary; attaching the policy grants it, and its
    // version is then in use.
    let user = srv.iam(&key, &secret);
    let (code, message, _) = err_of(user.get_account_summary().send().await.unwrap_err());
    assert_eq!(code, "AccessDenied");
    assert!(message.contains("iam:GetAccountSummary"), "{message}");
    root.attach_user_policy()
        .user_name("counted")
        .policy_arn("arn:aws:iam::123456789012:policy/p")
        .send()
        .await
        .unwrap();
    let mine = summary(user).await;
    assert_eq!(mine.get(&K::PolicyVersionsInUse), Some(&1));
}

/// SetSecurityTokenServicePreferences: GetAccountSummary's `GlobalEndpointTokenVersion`
/// is 1 until set, then what was set; a user needs the action.
#[tokio::test]
async fn the_global_endpoint_token_version_is_set_and_reported() {
    use aws_sdk_iam::types::GlobalEndpointTokenVersion as V;
    let srv = TestServer::start().await;
    let root = srv.root();
    let version = |root: aws_sdk_iam::Client| async move {
        root.get_account_summary()
            .send()
            .await
            .expect("summary")
            .summary_map
            .expect("map")
            .get(&K::GlobalEndpointTokenVersion)
            .copied()
    };
    assert_eq!(version(root.clone()).await, Some(1));
    root.set_security_token_service_preferences()
        .global_endpoint_token_version(V::V2Token)
        .send()
        .await
        .expect("set v2");
    assert_eq!(version(root.clone()).await, Some(2));
    root.set_security_token_service_preferences()
        .global_endpoint_token_version(V::V1Token)
        .send()
        .await
        .expect("set v1");
    assert_eq!(version(root.clone()).await, Some(1));

    let (key, secret) = srv.user_with_key("prefs").await;
    let user = srv.iam(&key, &secret);
    let (code, message, status) = err_of(
        user.set_security_token_service_preferences()
            .global_endpoint_token_version(V::V2Token)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!((code.as_str(), status), ("AccessDenied", 403));
    assert!(
        message.contains("iam:SetSecurityTokenServicePreferences"),
        "{message}"
    );
    srv.allow("prefs", "iam:SetSecurityTokenServicePreferences")
        .await;
    user.set_security_token_service_preferences()
        .global_endpoint_token_version(V::V2Token)
        .send()
        .await
        .expect("allowed now");
    assert_eq!(version(root.clone()).await, Some(2));
}

/// GetAccountAuthorizationDetails: users (with inline and attached policies and groups),
/// groups, roles (with instance profiles) and customer managed policies (with every
/// version), filtered by kind and paged across kinds by one marker.
#[tokio::test]
async fn authorization_details_cover_every_kind_and_page_across_them() {
    use aws_sdk_iam::types::EntityType;
    let srv = TestServer::start().await;
    let root = srv.root();
    let doc = |action: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
        )
    };
    let arn = root
        .create_policy()
        .policy_name("readers")
        .policy_document(doc("iam:Get*"))
        .send()
        .await
        .unwrap()
        .policy
        .unwrap()
        .arn
        .unwrap();
    root.create_policy_version()
        .policy_arn(&arn)
        .policy_document(doc("iam:List*"))
        .set_as_default(true)
        .send()
        .await
        .unwrap();
    root.create_user().user_name("ann").send().await.unwrap();
    root.put_user_policy()
        .user_name("ann")
        .policy_name("own")
        .policy_document(doc("iam:ListAccessKeys"))
        .send()
        .await
        .unwrap();
    root.attach_user_policy()
        .user_name("ann")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    root.create_group().group_name("devs").send().await.unwrap();
    root.add_user_to_group()
        .group_name("devs")
        .user_name("ann")
        .send()
        .await
        .unwrap();
    root.put_group_policy()
        .group_name("devs")
        .policy_name("g")
        .policy_document(doc("iam:GetGroup"))
        .send()
        .await
        .unwrap();
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ec2.amazonaws.com"}}]}"#;
    root.create_role()
        .role_name("web")
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap();
    root.attach_role_policy()
        .role_name("web")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    root.create_instance_profile()
        .instance_profile_name("web-ip")
        .send()
        .await
        .unwrap();
    root.add_role_to_instance_profile()
        .instance_profile_name("web-ip")
        .role_name("web")
        .send()
        .await
        .unwrap();

    let all = root
        .get_account_authorization_details()
        .send()
        .await
        .unwrap();
    assert!(!all.is_truncated());
    let ann = &all.user_detail_list()[0];
    assert_eq!(ann.user_name(), Some("ann"));
    assert_eq!(ann.group_list(), ["devs"]);
    assert_eq!(ann.user_policy_list()[0].policy_name(), Some("own"));
    // Documents come URL-encoded, as everywhere in IAM.
    assert!(ann.user_policy_list()[0]
        .policy_document()
        .unwrap()
        .contains("%22"));
    assert_eq!(
        ann.attached_managed_policies()[0].policy_arn(),
        Some(arn.as_str())
    );
    assert_eq!(
        ann.attached_managed_policies()[0].policy_name(),
        Some("readers")
    );
    let devs = &all.group_detail_list()[0];
    assert_eq!(devs.group_policy_list()[0].policy_name(), Some("g"));
    let web = &all.role_detail_list()[0];
    assert_eq!(
        web.instance_profile_list()[0].instance_profile_name(),
        "web-ip"
    );
    assert_eq!(
        web.attached_managed_policies()[0].policy_name(),
        Some("readers")
    );
    let readers = &all.policies()[0];
    assert_eq!(readers.attachment_count(), Some(2));
    assert_eq!(readers.default_version_id(), Some("v2"));
    assert_eq!(readers.policy_version_list().len(), 2);

    let roles_only = root
        .get_account_authorization_details()
        .filter(EntityType::Role)
        .send()
        .await
        .unwrap();
    assert!(roles_only.user_detail_list().is_empty() && roles_only.policies().is_empty());
    assert_eq!(roles_only.role_detail_list().len(), 1);

    // Pages of 1, 2 and 3 entities: the same ann, devs, web, readers.
    for size in 1..=3 {
        let mut seen = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = root
                .get_account_authorization_details()
                .max_items(size)
                .set_marker(marker.clone())
                .send()
                .await
                .unwrap();
            seen.extend(
                page.user_detail_list()
                    .iter()
                    .filter_map(|u| u.user_name().map(str::to_owned)),
            );
            seen.extend(
                page.group_detail_list()
                    .iter()
                    .filter_map(|g| g.group_name().map(str::to_owned)),
            );
            seen.extend(
                page.role_detail_list()
                    .iter()
                    .filter_map(|r| r.role_name().map(str::to_owned)),
            );
            seen.extend(
                page.policies()
                    .iter()
                    .filter_map(|p| p.policy_name().map(str::to_owned)),
            );
            if !page.is_truncated() {
                break;
            }
            marker = page.marker().map(str::to_owned);
            assert!(seen.len() < 10, "paging does not end: {seen:?}");
        }
        assert_eq!(seen, ["ann", "devs", "web", "readers"], "pages of {size}");
    }
}

/// ListPoliciesGrantingServiceAccess: a user's own inline and attached policies and its
/// groups', per namespace, in the order asked.
#[tokio::test]
async fn policies_granting_service_access() {
    use aws_sdk_iam::types::{PolicyOwnerEntityType, PolicyType};
    let srv = TestServer::start().await;
    let root = srv.root();
    let doc = |action: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
        )
    };
    root.create_user().user_name("gus").send().await.unwrap();
    root.put_user_policy()
        .user_name("gus")
        .policy_name("s3-read")
        .policy_document(doc("s3:Get*"))
        .send()
        .await
        .unwrap();
    let arn = root
        .create_policy()
        .policy_name("iam-read")
        .policy_document(doc("iam:List*"))
        .send()
        .await
        .unwrap()
        .policy
        .unwrap()
        .arn
        .unwrap();
    root.attach_user_policy()
        .user_name("gus")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    root.create_group().group_name("ops").send().await.unwrap();
    root.add_user_to_group()
        .group_name("ops")
        .user_name("gus")
        .send()
        .await
        .unwrap();
    root.put_group_policy()
        .group_name("ops")
        .policy_name("everything")
        .policy_document(doc("*"))
        .send()
        .await
        .unwrap();

    let out = root
        .list_policies_granting_service_access()
        .arn("arn:aws:iam::123456789012:user/gus")
        .service_namespaces("s3")
        .service_namespaces("iam")
        .service_namespaces("ec2")
        .send()
        .await
        .unwrap();
    type Granting = (String, PolicyType, Option<PolicyOwnerEntityType>);
    let per_ns: Vec<(String, Vec<Granting>)> = out
        .policies_granting_service_access()
        .iter()
        .map(|e| {
            (
                e.service_namespace().unwrap_or_default().to_owned(),
                e.policies()
                    .iter()
                    .map(|p| {
                        (
                            p.policy_name().to_owned(),
                            p.policy_type().clone(),
                            p.entity_type().cloned(),
                        )
                    })
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        per_ns,
        vec![
            (
                "s3".to_owned(),
                vec![
                    (
                        "s3-read".to_owned(),
                        PolicyType::Inline,
                        Some(PolicyOwnerEntityType::User)
                    ),
                    (
                        "everything".to_owned(),
                        PolicyType::Inline,
                        Some(PolicyOwnerEntityType::Group)
                    ),
                ]
            ),
            (
                "iam".to_owned(),
                vec![
                    ("iam-read".to_owned(), PolicyType::Managed, None),
                    (
                        "everything".to_owned(),
                        PolicyType::Inline,
                        Some(PolicyOwnerEntityType::Group)
                    ),
                ]
            ),
            (
                "ec2".to_owned(),
                vec![(
                    "everything".to_owned(),
                    PolicyType::Inline,
                    Some(PolicyOwnerEntityType::Group)
                )]
            ),
        ]
    );
    let e = root
        .list_policies_granting_service_access()
        .arn("arn:aws:iam::123456789012:user/nobody")
        .service_namespaces("s3")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_of(e).0, "NoSuchEntity");
}

/// AWS's default quotas of managed policies per user and per role: 10 each, with AWS's
/// text; attaching an attached policy again is not a new attachment.
#[tokio::test]
async fn users_and_roles_hold_at_most_ten_managed_policies() {
    let srv = TestServer::start().await;
    let root = srv.root();
    root.create_user().user_name("u").send().await.unwrap();
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"arn:aws:iam::123456789012:root"}}]}"#;
    root.create_role()
        .role_name("r")
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap();
    let mut arns = Vec::new();
    for i in 0..11 {
        let doc = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b{i}/*"}}]}}"#
        );
        let policy = root
            .create_policy()
            .policy_name(format!("p{i:02}"))
            .policy_document(doc)
            .send()
            .await
            .unwrap()
            .policy
            .unwrap();
        arns.push(policy.arn.unwrap());
    }
    for arn in &arns[..10] {
        root.attach_user_policy()
            .user_name("u")
            .policy_arn(arn)
            .send()
            .await
            .unwrap();
        root.attach_role_policy()
            .role_name("r")
            .policy_arn(arn)
            .send()
            .await
            .unwrap();
    }
    root.attach_user_policy()
        .user_name("u")
        .policy_arn(&arns[3])
        .send()
        .await
        .unwrap();
    let user = err_of(
        root.attach_user_policy()
            .user_name("u")
            .policy_arn(&arns[10])
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        user,
        (
            "LimitExceeded".into(),
            "Cannot exceed quota for PoliciesPerUser: 10".into(),
            409
        )
    );
    let role = err_of(
        root.attach_role_policy()
            .role_name("r")
            .policy_arn(&arns[10])
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        role,
        (
            "LimitExceeded".into(),
            "Cannot exceed quota for PoliciesPerRole: 10".into(),
            409
        )
    );
    // Detaching one makes room.
    root.detach_user_policy()
        .user_name("u")
        .policy_arn(&arns[0])
        .send()
        .await
        .unwrap();
    root.attach_user_policy()
        .user_name("u")
        .policy_arn(&arns[10])
        .send()
        .await
        .unwrap();

    let summary = root
        .get_account_summary()
        .send()
        .await
        .unwrap()
        .summary_map
        .unwrap();
    assert_eq!(summary.get(&K::AttachedPoliciesPerUserQuota), Some(&10));
    assert_eq!(summary.get(&K::AttachedPoliciesPerRoleQuota), Some(&10));
}
