//! AWS managed policies with the real aws-sdk-iam: read from the catalog (GetPolicy,
//! GetPolicyVersion, ListPolicyVersions, ListPolicies by scope, path, attachment and usage,
//! paged across AWS and customer managed policies), attached to users, groups and roles
//! and listed with customer managed ones, counted per account, listed by entity, in
//! GetAccountAuthorizationDetails and ListPoliciesGrantingServiceAccess, as permissions
//! boundaries, refused changes, and enforced: a user in a group with IAMReadOnlyAccess may
//! list users but not create one, and an AWS boundary takes away what an inline policy
//! grants.

mod common;

use aws_sdk_iam::types::{EntityType, PolicyScopeType, PolicyUsageType};
use common::{err_of, iam_client, TestServer, ACCOUNT};

const READ_ONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const IAM_READ_ONLY: &str = "arn:aws:iam::aws:policy/IAMReadOnlyAccess";
const VIEW_ONLY: &str = "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess";
const LAMBDA_BASIC: &str = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";
const MISSING: &str = "arn:aws:iam::aws:policy/NoSuchAwsPolicy";

fn allow(action: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
    )
}

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

async fn attachment_count(srv: &TestServer, arn: &str) -> (i32, i32) {
    let p = srv
        .root()
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap();
    (
        p.attachment_count.unwrap(),
        p.permissions_boundary_usage_count.unwrap(),
    )
}

#[tokio::test]
async fn aws_managed_policies_are_read_from_the_catalog() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let p = root
        .get_policy()
        .policy_arn(READ_ONLY)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap();
    assert_eq!(p.policy_name(), Some("ReadOnlyAccess"));
    assert_eq!(p.arn(), Some(READ_ONLY));
    assert_eq!(p.path(), Some("/"));
    assert!(p.is_attachable());
    assert_eq!(p.attachment_count(), Some(0));
    assert_eq!(p.description(), None);
    let id = p.policy_id().unwrap().to_owned();
    assert!(id.starts_with("ANPA") && id.len() == 21, "{id}");
    let again = root
        .get_policy()
        .policy_arn(READ_ONLY)
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.policy.unwrap().policy_id(),
        Some(id.as_str()),
        "stable"
    );
    let default = p.default_version_id().unwrap().to_owned();

    let v = root
        .get_policy_version()
        .policy_arn(READ_ONLY)
        .version_id(&default)
        .send()
        .await
        .unwrap()
        .policy_version
        .unwrap();
    assert!(v.is_default_version());
    let doc = urlencoding_decode(v.document().unwrap());
    assert!(doc.contains("\"Statement\""), "{doc}");
    let e = root
        .get_policy_version()
        .policy_arn(READ_ONLY)
        .version_id("v1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_of(e),
        (
            "NoSuchEntity".into(),
            format!("Policy {READ_ONLY} version v1 does not exist or is not attachable."),
            404
        ),
        "only the default version is known"
    );
    let versions = root
        .list_policy_versions()
        .policy_arn(VIEW_ONLY)
        .send()
        .await
        .unwrap();
    assert_eq!(versions.versions().len(), 1);
    assert!(versions.versions()[0].is_default_version());

    // Missing AWS policies and other accounts' policies.
    for arn in [MISSING, "arn:aws:iam::999999999999:policy/ReadOnlyAccess"] {
        let e = root.get_policy().policy_arn(arn).send().await.unwrap_err();
        assert_eq!(
            err_of(e),
            (
                "NoSuchEntity".into(),
                format!("Policy {arn} was not found."),
                404
            )
        );
    }
    // ListPolicyTags: none.
    let tags = root
        .list_policy_tags()
        .policy_arn(READ_ONLY)
        .send()
        .await
        .unwrap();
    assert!(tags.tags().is_empty());
}

/// Undoes the URL encoding of a policy document as AWS returns it.
fn urlencoding_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

#[tokio::test]
async fn aws_managed_policies_cannot_be_changed() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let denied = |action: &str| {
        (
            "AccessDenied".to_owned(),
            format!(
                "User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: iam:{action} on resource: {READ_ONLY}"
            ),
            403,
        )
    };
    let e = root
        .delete_policy()
        .policy_arn(READ_ONLY)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_of(e), denied("DeletePolicy"));
    let e = root
        .create_policy_version()
        .policy_arn(READ_ONLY)
        .policy_document(allow("s3:*"))
        .set_as_default(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_of(e), denied("CreatePolicyVersion"));
    let e = root
        .set_default_policy_version()
        .policy_arn(READ_ONLY)
        .version_id("v1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_of(e), denied("SetDefaultPolicyVersion"));
    let e = root
        .delete_policy_version()
        .policy_arn(READ_ONLY)
        .version_id("v1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_of(e), denied("DeletePolicyVersion"));
    let e = root
        .tag_policy()
        .policy_arn(READ_ONLY)
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("k")
                .value("v")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_of(e), denied("TagPolicy"));
    let e = root
        .untag_policy()
        .policy_arn(READ_ONLY)
        .tag_keys("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_of(e), denied("UntagPolicy"));
    // A missing one is missing.
    let e = root
        .delete_policy()
        .policy_arn(MISSING)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_of(e).0, "NoSuchEntity");
}

#[tokio::test]
async fn list_policies_by_scope_pages_across_aws_and_customer_policies() {
    let srv = TestServer::start().await;
    let root = srv.root();
    for name in ["readonlyaccess", "aaa-mine", "zzz-mine"] {
        root.create_policy()
            .policy_name(name)
            .policy_document(allow("s3:Get*"))
            .send()
            .await
            .unwrap();
    }
    let list = |scope: Option<PolicyScopeType>| {
        let root = root.clone();
        async move {
            let mut names: Vec<String> = Vec::new();
            let mut marker: Option<String> = None;
            let mut pages = 0;
            loop {
                let page = root
                    .list_policies()
                    .set_scope(scope.clone())
                    .set_marker(marker.clone())
                    .send()
                    .await
                    .unwrap();
                pages += 1;
                names.extend(page.policies().iter().map(|p| p.arn().unwrap().to_owned()));
                if !page.is_truncated() {
                    break;
                }
                marker = page.marker().map(str::to_owned);
            }
            (names, pages)
        }
    };
    let (local, pages) = list(Some(PolicyScopeType::Local)).await;
    assert_eq!(pages, 1);
    assert_eq!(local.len(), 3);
    let (aws, _) = list(Some(PolicyScopeType::Aws)).await;
    assert_eq!(aws.len(), 1582, "the whole catalog, paged by 100");
    assert!(aws
        .iter()
        .all(|a| a.starts_with("arn:aws:iam::aws:policy/")));
    let (all, pages) = list(None).await;
    assert_eq!(all.len(), 1585);
    assert_eq!(pages, 16);
    let names: Vec<String> = all
        .iter()
        .map(|a| a.rsplit('/').next().unwrap().to_lowercase())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "one listing in lower-cased-name order");
    // The customer managed policy first where both have a name.
    let at = all
        .iter()
        .position(|a| a.ends_with(":policy/readonlyaccess"))
        .unwrap();
    assert_eq!(all[at + 1], READ_ONLY);
    let (all_again, _) = list(Some(PolicyScopeType::All)).await;
    assert_eq!(all_again, all);

    // Small pages across the tie.
    let mut marker = None;
    let mut seen = Vec::new();
    loop {
        let page = root
            .list_policies()
            .path_prefix("/")
            .max_items(1)
            .set_marker(marker)
            .scope(PolicyScopeType::All)
            .only_attached(false)
            .send()
            .await
            .unwrap();
        seen.extend(page.policies().iter().map(|p| p.arn().unwrap().to_owned()));
        if !page.is_truncated() || seen.len() > at + 3 {
            break;
        }
        marker = page.marker().map(str::to_owned);
    }
    assert_eq!(seen[..at + 2], all[..at + 2]);

    // PathPrefix selects AWS paths too.
    let jobs = root
        .list_policies()
        .path_prefix("/job-function/")
        .send()
        .await
        .unwrap();
    assert_eq!(jobs.policies().len(), 15);
    assert!(jobs.policies().iter().any(|p| p.arn() == Some(VIEW_ONLY)));

    // OnlyAttached and PolicyUsageFilter.
    root.create_user().user_name("alice").send().await.unwrap();
    root.attach_user_policy()
        .user_name("alice")
        .policy_arn(VIEW_ONLY)
        .send()
        .await
        .unwrap();
    root.put_user_permissions_boundary()
        .user_name("alice")
        .permissions_boundary(IAM_READ_ONLY)
        .send()
        .await
        .unwrap();
    let arns = |page: aws_sdk_iam::operation::list_policies::ListPoliciesOutput| {
        page.policies()
            .iter()
            .map(|p| (p.arn().unwrap().to_owned(), p.attachment_count().unwrap()))
            .collect::<Vec<_>>()
    };
    let attached = root
        .list_policies()
        .only_attached(true)
        .send()
        .await
        .unwrap();
    assert_eq!(arns(attached), [(VIEW_ONLY.to_owned(), 1)]);
    let attached = root
        .list_policies()
        .only_attached(true)
        .policy_usage_filter(PolicyUsageType::PermissionsPolicy)
        .send()
        .await
        .unwrap();
    assert_eq!(arns(attached), [(VIEW_ONLY.to_owned(), 1)]);
    let bounding = root
        .list_policies()
        .policy_usage_filter(PolicyUsageType::PermissionsBoundary)
        .send()
        .await
        .unwrap();
    assert_eq!(arns(bounding), [(IAM_READ_ONLY.to_owned(), 0)]);
    let local_attached = root
        .list_policies()
        .only_attached(true)
        .scope(PolicyScopeType::Local)
        .send()
        .await
        .unwrap();
    assert!(local_attached.policies().is_empty());
}

#[tokio::test]
async fn aws_policies_are_attached_listed_counted_and_detached() {
    let srv = TestServer::start().await;
    let root = srv.root();
    root.create_user().user_name("alice").send().await.unwrap();
    root.create_group().group_name("devs").send().await.unwrap();
    root.create_role()
        .role_name("fn")
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .unwrap();
    let mine = root
        .create_policy()
        .policy_name("Mine")
        .policy_document(allow("s3:Get*"))
        .send()
        .await
        .unwrap()
        .policy
        .unwrap()
        .arn
        .unwrap();
    for arn in [READ_ONLY, VIEW_ONLY, &mine, READ_ONLY] {
        root.attach_user_policy()
            .user_name("alice")
            .policy_arn(arn)
            .send()
            .await
            .unwrap();
    }
    root.attach_group_policy()
        .group_name("devs")
        .policy_arn(READ_ONLY)
        .send()
        .await
        .unwrap();
    root.attach_role_policy()
        .role_name("fn")
        .policy_arn(LAMBDA_BASIC)
        .send()
        .await
        .unwrap();
    root.attach_role_policy()
        .role_name("fn")
        .policy_arn(READ_ONLY)
        .send()
        .await
        .unwrap();

    let listed = root
        .list_attached_user_policies()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    let names: Vec<(&str, &str)> = listed
        .attached_policies()
        .iter()
        .map(|p| (p.policy_name().unwrap(), p.policy_arn().unwrap()))
        .collect();
    assert_eq!(
        names,
        [
            ("Mine", mine.as_str()),
            ("ReadOnlyAccess", READ_ONLY),
            ("ViewOnlyAccess", VIEW_ONLY)
        ],
        "in lower-cased-name order, customer and AWS managed together"
    );
    // Paged one by one.
    let mut marker = None;
    let mut paged = Vec::new();
    loop {
        let page = root
            .list_attached_user_policies()
            .user_name("alice")
            .max_items(1)
            .set_marker(marker)
            .send()
            .await
            .unwrap();
        paged.extend(
            page.attached_policies()
                .iter()
                .map(|p| p.policy_arn().unwrap().to_owned()),
        );
        if !page.is_truncated() {
            break;
        }
        marker = page.marker().map(str::to_owned);
    }
    assert_eq!(paged, [mine.as_str(), READ_ONLY, VIEW_ONLY]);
    let by_path = root
        .list_attached_role_policies()
        .role_name("fn")
        .path_prefix("/service-role/")
        .send()
        .await
        .unwrap();
    assert_eq!(by_path.attached_policies().len(), 1);
    assert_eq!(
        by_path.attached_policies()[0].policy_arn(),
        Some(LAMBDA_BASIC)
    );
    let group = root
        .list_attached_group_policies()
        .group_name("devs")
        .send()
        .await
        .unwrap();
    assert_eq!(group.attached_policies()[0].policy_arn(), Some(READ_ONLY));

    assert_eq!(attachment_count(&srv, READ_ONLY).await, (3, 0));
    assert_eq!(attachment_count(&srv, VIEW_ONLY).await, (1, 0));

    let entities = root
        .list_entities_for_policy()
        .policy_arn(READ_ONLY)
        .send()
        .await
        .unwrap();
    assert_eq!(entities.policy_groups()[0].group_name(), Some("devs"));
    assert_eq!(entities.policy_users()[0].user_name(), Some("alice"));
    assert_eq!(entities.policy_roles()[0].role_name(), Some("fn"));
    let roles_only = root
        .list_entities_for_policy()
        .policy_arn(READ_ONLY)
        .entity_filter(EntityType::Role)
        .max_items(1)
        .send()
        .await
        .unwrap();
    assert_eq!(roles_only.policy_roles().len(), 1);
    assert!(roles_only.policy_users().is_empty());

    // Holders with AWS policies attached cannot be deleted.
    root.detach_user_policy()
        .user_name("alice")
        .policy_arn(&mine)
        .send()
        .await
        .unwrap();
    let e = root
        .delete_user()
        .user_name("alice")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_of(e),
        (
            "DeleteConflict".into(),
            "Cannot delete entity, must detach all policies first.".into(),
            409
        )
    );
    let e = root.delete_role().role_name("fn").send().await.unwrap_err();
    assert_eq!(err_of(e).0, "DeleteConflict");
    let e = root
        .delete_group()
        .group_name("devs")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_of(e).0, "DeleteConflict");

    // Detaching, and what cannot be attached or detached.
    for arn in [READ_ONLY, VIEW_ONLY] {
        root.detach_user_policy()
            .user_name("alice")
            .policy_arn(arn)
            .send()
            .await
            .unwrap();
    }
    let e = root
        .detach_user_policy()
        .user_name("alice")
        .policy_arn(READ_ONLY)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_of(e).0, "NoSuchEntity");
    let e = root
        .attach_user_policy()
        .user_name("alice")
        .policy_arn(MISSING)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_of(e),
        (
            "NoSuchEntity".into(),
            format!("Policy {MISSING} does not exist or is not attachable."),
            404
        )
    );
    root.delete_user().user_name("alice").send().await.unwrap();
    assert_eq!(attachment_count(&srv, READ_ONLY).await, (2, 0));

    // A group's quota counts AWS managed policies too.
    let ten: Vec<&str> = [
        "AmazonS3ReadOnlyAccess",
        "AmazonEC2ReadOnlyAccess",
        "AmazonSQSReadOnlyAccess",
        "AmazonSNSReadOnlyAccess",
        "AmazonDynamoDBReadOnlyAccess",
        "AmazonRDSReadOnlyAccess",
        "CloudWatchReadOnlyAccess",
        "AWSLambda_ReadOnlyAccess",
        "IAMReadOnlyAccess",
    ]
    .to_vec();
    for name in &ten {
        root.attach_group_policy()
            .group_name("devs")
            .policy_arn(format!("arn:aws:iam::aws:policy/{name}"))
            .send()
            .await
            .unwrap();
    }
    let e = root
        .attach_group_policy()
        .group_name("devs")
        .policy_arn(&mine)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_of(e),
        (
            "LimitExceeded".into(),
            "Cannot exceed quota for PoliciesPerGroup: 10".into(),
            409
        )
    );
}

#[tokio::test]
async fn account_views_include_aws_policies() {
    let srv = TestServer::start().await;
    let root = srv.root();
    root.create_user().user_name("alice").send().await.unwrap();
    root.create_group().group_name("ops").send().await.unwrap();
    root.add_user_to_group()
        .group_name("ops")
        .user_name("alice")
        .send()
        .await
        .unwrap();
    root.attach_group_policy()
        .group_name("ops")
        .policy_arn(IAM_READ_ONLY)
        .send()
        .await
        .unwrap();
    root.attach_user_policy()
        .user_name("alice")
        .policy_arn(VIEW_ONLY)
        .send()
        .await
        .unwrap();
    root.create_policy()
        .policy_name("Mine")
        .policy_document(allow("s3:Get*"))
        .send()
        .await
        .unwrap();

    let details = root
        .get_account_authorization_details()
        .send()
        .await
        .unwrap();
    let arns: Vec<&str> = details
        .policies()
        .iter()
        .map(|p| p.arn().unwrap())
        .collect();
    assert_eq!(
        arns,
        [
            format!("arn:aws:iam::{ACCOUNT}:policy/Mine").as_str(),
            IAM_READ_ONLY,
            VIEW_ONLY
        ],
        "customer managed policies, then the AWS managed ones in use"
    );
    let aws = &details.policies()[1];
    assert_eq!(aws.attachment_count(), Some(1));
    assert_eq!(aws.policy_version_list().len(), 1);
    assert!(aws.policy_version_list()[0].document().is_some());
    let user = &details.user_detail_list()[0];
    assert_eq!(
        user.attached_managed_policies()[0].policy_arn(),
        Some(VIEW_ONLY)
    );
    assert_eq!(
        details.group_detail_list()[0].attached_managed_policies()[0].policy_name(),
        Some("IAMReadOnlyAccess")
    );
    for (filter, want) in [
        (EntityType::AwsManagedPolicy, vec![IAM_READ_ONLY, VIEW_ONLY]),
        (
            EntityType::LocalManagedPolicy,
            vec![format!("arn:aws:iam::{ACCOUNT}:policy/Mine").leak() as &str],
        ),
    ] {
        let d = root
            .get_account_authorization_details()
            .filter(filter)
            .send()
            .await
            .unwrap();
        let arns: Vec<&str> = d.policies().iter().map(|p| p.arn().unwrap()).collect();
        assert_eq!(arns, want);
        assert!(d.user_detail_list().is_empty());
    }
    // Paged one entity at a time, the AWS policies last.
    let mut marker = None;
    let mut policies = Vec::new();
    loop {
        let page = root
            .get_account_authorization_details()
            .max_items(1)
            .set_marker(marker)
            .send()
            .await
            .unwrap();
        policies.extend(page.policies().iter().map(|p| p.arn().unwrap().to_owned()));
        if !page.is_truncated() {
            break;
        }
        marker = page.marker().map(str::to_owned);
    }
    assert_eq!(policies.len(), 3);

    let access = root
        .list_policies_granting_service_access()
        .arn(format!("arn:aws:iam::{ACCOUNT}:user/alice"))
        .service_namespaces("iam")
        .send()
        .await
        .unwrap();
    let granting: Vec<(&str, Option<&str>)> = access.policies_granting_service_access()[0]
        .policies()
        .iter()
        .map(|p| (p.policy_name(), p.policy_arn()))
        .collect();
    assert!(
        granting.contains(&("IAMReadOnlyAccess", Some(IAM_READ_ONLY))),
        "{granting:?}"
    );
    assert!(
        granting.contains(&("ViewOnlyAccess", Some(VIEW_ONLY))),
        "{granting:?}"
    );
}

#[tokio::test]
async fn aws_policies_are_enforced_attached_and_as_boundaries() {
    let srv = TestServer::start_with(true).await;
    let root = srv.root();
    let (key, secret) = srv.user_with_key("alice").await;
    let alice = iam_client(&srv.endpoint(), &key, &secret);
    let denied = |e| err_of(e).0;
    assert_eq!(
        denied(alice.list_users().send().await.unwrap_err()),
        "AccessDenied"
    );

    // Through a group.
    root.create_group()
        .group_name("readers")
        .send()
        .await
        .unwrap();
    root.add_user_to_group()
        .group_name("readers")
        .user_name("alice")
        .send()
        .await
        .unwrap();
    root.attach_group_policy()
        .group_name("readers")
        .policy_arn(IAM_READ_ONLY)
        .send()
        .await
        .unwrap();
    alice
        .list_users()
        .send()
        .await
        .expect("IAMReadOnlyAccess allows ListUsers");
    let e = alice
        .create_user()
        .user_name("bob")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_of(e),
        (
            "AccessDenied".into(),
            format!(
                "User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: iam:CreateUser on resource: user bob because no identity-based policy allows the iam:CreateUser action"
            ),
            403
        )
    );

    // An inline policy grants CreateUser; an AWS boundary takes it away again.
    root.put_user_policy()
        .user_name("alice")
        .policy_name("create")
        .policy_document(allow("iam:CreateUser"))
        .send()
        .await
        .unwrap();
    alice
        .create_user()
        .user_name("bob")
        .send()
        .await
        .expect("granted inline");
    root.put_user_permissions_boundary()
        .user_name("alice")
        .permissions_boundary(IAM_READ_ONLY)
        .send()
        .await
        .unwrap();
    let shown = root.get_user().user_name("alice").send().await.unwrap();
    assert_eq!(
        shown
            .user
            .unwrap()
            .permissions_boundary
            .unwrap()
            .permissions_boundary_arn(),
        Some(IAM_READ_ONLY)
    );
    assert_eq!(attachment_count(&srv, IAM_READ_ONLY).await, (1, 1));
    let e = alice
        .create_user()
        .user_name("carol")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_of(e).1,
        format!(
            "User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: iam:CreateUser on resource: user carol because no permissions boundary allows the iam:CreateUser action"
        )
    );
    alice
        .list_users()
        .send()
        .await
        .expect("within the boundary");
    let bounded = root
        .list_entities_for_policy()
        .policy_arn(IAM_READ_ONLY)
        .policy_usage_filter(PolicyUsageType::PermissionsBoundary)
        .send()
        .await
        .unwrap();
    assert_eq!(bounded.policy_users()[0].user_name(), Some("alice"));
    // Removed: CreateUser is allowed again.
    root.delete_user_permissions_boundary()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    alice.create_user().user_name("carol").send().await.unwrap();

    // A catalog document iamd's parser refuses grants nothing, and breaks nothing.
    root.attach_user_policy()
        .user_name("alice")
        .policy_arn("arn:aws:iam::aws:policy/aws-service-role/AWSCloudWatchOmniServiceRolePolicy")
        .send()
        .await
        .unwrap();
    alice
        .list_users()
        .send()
        .await
        .expect("the other policies still apply");
    let e = alice
        .create_group()
        .group_name("g")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_of(e).0, "AccessDenied");

    // Roles and users created with an AWS boundary.
    let role = root
        .create_role()
        .role_name("bounded")
        .assume_role_policy_document(TRUST)
        .permissions_boundary(READ_ONLY)
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    assert_eq!(
        role.permissions_boundary
            .unwrap()
            .permissions_boundary_arn(),
        Some(READ_ONLY)
    );
    root.create_user()
        .user_name("dave")
        .permissions_boundary(VIEW_ONLY)
        .send()
        .await
        .unwrap();
    assert_eq!(attachment_count(&srv, READ_ONLY).await, (0, 1));
    let e = root
        .create_user()
        .user_name("erin")
        .permissions_boundary(MISSING)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_of(e),
        (
            "NoSuchEntity".into(),
            format!("Policy {MISSING} does not exist or is not attachable."),
            404
        )
    );

    // The simulator names AWS managed policies as such.
    let sim = root
        .simulate_principal_policy()
        .policy_source_arn(format!("arn:aws:iam::{ACCOUNT}:user/alice"))
        .action_names("iam:ListRoles")
        .send()
        .await
        .unwrap();
    let r = &sim.evaluation_results()[0];
    assert_eq!(r.eval_decision().as_str(), "allowed");
    assert_eq!(
        r.matched_statements()[0]
            .source_policy_type()
            .map(|t| t.as_str()),
        Some("aws-managed")
    );
}
