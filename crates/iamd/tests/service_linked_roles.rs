//! Service-linked roles with the real aws-sdk-iam: the role AWS gives each service (name,
//! path, trust policy, custom suffixes where AWS takes them), the errors AWS answers, the
//! protection against the ordinary role operations (only the description and tags may
//! change), DeleteServiceLinkedRole's task and its status, durable across a restart.

mod common;

use aws_sdk_iam::types::DeletionTaskStatusType;
use common::{err_of, TestServer, ACCOUNT, ROOT_KEY, ROOT_SECRET};

const DOC: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;

fn trust(service: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"{service}"}},"Action":"sts:AssumeRole"}}]}}"#
    )
}

async fn create(
    client: &aws_sdk_iam::Client,
    service: &str,
    suffix: Option<&str>,
) -> aws_sdk_iam::types::Role {
    client
        .create_service_linked_role()
        .aws_service_name(service)
        .set_custom_suffix(suffix.map(str::to_owned))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{service}: {e:?}"))
        .role
        .unwrap()
}

#[tokio::test]
async fn each_service_gets_its_role() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let created = root
        .create_service_linked_role()
        .aws_service_name("autoscaling.amazonaws.com")
        .description("Scales things")
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    assert_eq!(created.role_name(), "AWSServiceRoleForAutoScaling");
    assert_eq!(
        created.path(),
        "/aws-service-role/autoscaling.amazonaws.com/"
    );
    assert_eq!(
        created.arn(),
        format!("arn:aws:iam::{ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling")
    );
    assert_eq!(created.description(), Some("Scales things"));
    assert!(created.role_id().starts_with("AROA"));
    let got = root
        .get_role()
        .role_name("AWSServiceRoleForAutoScaling")
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    assert_eq!(got.arn(), created.arn());
    assert_eq!(got.max_session_duration(), Some(3600));
    let decoded = percent_encoding::percent_decode_str(got.assume_role_policy_document().unwrap())
        .decode_utf8()
        .unwrap();
    assert_eq!(decoded, trust("autoscaling.amazonaws.com"));

    // The name is the service's; a second one needs a suffix.
    let e = err_of(
        root.create_service_linked_role()
            .aws_service_name("autoscaling.amazonaws.com")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "InvalidInput".into(),
            "Service role name AWSServiceRoleForAutoScaling has been taken in this account, please try a different suffix.".into(),
            400
        )
    );
    let suffixed = create(&root, "autoscaling.amazonaws.com", Some("web")).await;
    assert_eq!(suffixed.role_name(), "AWSServiceRoleForAutoScaling_web");
    assert_eq!(
        suffixed.path(),
        "/aws-service-role/autoscaling.amazonaws.com/"
    );

    // AWS's names for well-known services, and the derived one for the rest.
    for (service, name) in [
        (
            "elasticloadbalancing.amazonaws.com",
            "AWSServiceRoleForElasticLoadBalancing",
        ),
        ("ecs.amazonaws.com", "AWSServiceRoleForECS"),
        ("rds.amazonaws.com", "AWSServiceRoleForRDS"),
        ("eks.amazonaws.com", "AWSServiceRoleForAmazonEKS"),
        (
            "organizations.amazonaws.com",
            "AWSServiceRoleForOrganizations",
        ),
        ("support.amazonaws.com", "AWSServiceRoleForSupport"),
        (
            "trustedadvisor.amazonaws.com",
            "AWSServiceRoleForTrustedAdvisor",
        ),
        (
            "es.amazonaws.com",
            "AWSServiceRoleForAmazonElasticsearchService",
        ),
        ("made-up.amazonaws.com", "AWSServiceRoleForMadeUp"),
        (
            "thing.made-up.amazonaws.com",
            "AWSServiceRoleForMadeUp_Thing",
        ),
    ] {
        assert_eq!(create(&root, service, None).await.role_name(), name);
    }

    // Most services take no suffix.
    let e = err_of(
        root.create_service_linked_role()
            .aws_service_name("es.amazonaws.com")
            .custom_suffix("two")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "InvalidInput".into(),
            "Custom suffix is not allowed for es.amazonaws.com".into(),
            400
        )
    );
    // Only service principals.
    for bad in ["ecs", "ecs.example.com", "amazonaws.com"] {
        let e = err_of(
            root.create_service_linked_role()
                .aws_service_name(bad)
                .send()
                .await
                .unwrap_err(),
        );
        assert_eq!(
            e,
            (
                "InvalidInput".into(),
                format!("Invalid service name: {bad}"),
                400
            )
        );
    }
    // The model's pattern comes first.
    let e = err_of(
        root.create_service_linked_role()
            .aws_service_name("ecs amazonaws com")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "ValidationError");

    // They list with the other roles, under their path.
    let listed = root
        .list_roles()
        .path_prefix("/aws-service-role/")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.roles().len(), 12);
}

#[tokio::test]
async fn service_linked_roles_are_protected() {
    let srv = TestServer::start().await;
    let root = srv.root();
    create(&root, "support.amazonaws.com", None).await;
    let name = "AWSServiceRoleForSupport";
    let policy_arn = root
        .create_policy()
        .policy_name("p")
        .policy_document(DOC)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap()
        .arn
        .unwrap();
    root.create_instance_profile()
        .instance_profile_name("profile")
        .send()
        .await
        .unwrap();
    let protected = (
        "UnmodifiableEntity".to_owned(),
        format!("Cannot perform the operation on the protected role '{name}' - this role is only modifiable by AWS"),
        400,
    );
    // Named in any casing, as roles are.
    let e = err_of(
        root.delete_role()
            .role_name("awsserviceroleforsupport")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, protected);
    let e = err_of(
        root.update_assume_role_policy()
            .role_name(name)
            .policy_document(trust("ec2.amazonaws.com"))
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, protected);
    let e = err_of(
        root.put_role_policy()
            .role_name(name)
            .policy_name("p")
            .policy_document(DOC)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, protected);
    let e = err_of(
        root.delete_role_policy()
            .role_name(name)
            .policy_name("p")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, protected);
    let e = err_of(
        root.attach_role_policy()
            .role_name(name)
            .policy_arn(&policy_arn)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, protected);
    let e = err_of(
        root.detach_role_policy()
            .role_name(name)
            .policy_arn(&policy_arn)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, protected);
    let e = err_of(
        root.put_role_permissions_boundary()
            .role_name(name)
            .permissions_boundary(&policy_arn)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, protected);
    let e = err_of(
        root.delete_role_permissions_boundary()
            .role_name(name)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, protected);
    let e = err_of(
        root.update_role()
            .role_name(name)
            .max_session_duration(7200)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, protected);
    let e = err_of(
        root.add_role_to_instance_profile()
            .instance_profile_name("profile")
            .role_name(name)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, protected);

    // The description and tags may change.
    root.update_role_description()
        .role_name(name)
        .description("Support's role")
        .send()
        .await
        .unwrap();
    root.update_role()
        .role_name(name)
        .description("Support's role, again")
        .send()
        .await
        .unwrap();
    root.tag_role()
        .role_name(name)
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("team")
                .value("ops")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let got = root
        .get_role()
        .role_name(name)
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    assert_eq!(got.description(), Some("Support's role, again"));
    assert_eq!(got.tags().len(), 1);
    assert_eq!(got.max_session_duration(), Some(3600));
    assert!(root
        .list_role_policies()
        .role_name(name)
        .send()
        .await
        .unwrap()
        .policy_names()
        .is_empty());

    // CreateRole cannot make one.
    let e = err_of(
        root.create_role()
            .role_name("Impostor")
            .path("/aws-service-role/support.amazonaws.com/")
            .assume_role_policy_document(trust("support.amazonaws.com"))
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "InvalidInput".into(),
            "Path prefix '/aws-service-role/' can only be used for AWS Service linked Roles".into(),
            400
        )
    );
    // A user cannot assume it: only the service is trusted.
    let (key, secret) = srv.user_with_key("alice").await;
    srv.allow("alice", "sts:AssumeRole").await;
    let e = srv
        .sts(&key, &secret)
        .assume_role()
        .role_arn(got.arn())
        .role_session_name("session")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_sts::error::ProvideErrorMetadata::code(&e),
        Some("AccessDenied")
    );
}

#[tokio::test]
async fn deletion_is_a_task_that_succeeds() {
    let srv = TestServer::start().await;
    let root = srv.root();
    create(&root, "ecs.amazonaws.com", None).await;
    let task_id = root
        .delete_service_linked_role()
        .role_name("AWSServiceRoleForECS")
        .send()
        .await
        .unwrap()
        .deletion_task_id;
    // task/aws-service-role/<service principal>/<role name>/<uuid>
    let uuid = task_id
        .strip_prefix("task/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS/")
        .unwrap_or_else(|| panic!("{task_id}"));
    assert_eq!(uuid.len(), 36, "{uuid}");
    assert_eq!(
        uuid.split('-').map(str::len).collect::<Vec<_>>(),
        [8, 4, 4, 4, 12]
    );
    let status = root
        .get_service_linked_role_deletion_status()
        .deletion_task_id(&task_id)
        .send()
        .await
        .unwrap();
    assert_eq!(status.status(), &DeletionTaskStatusType::Succeeded);
    assert!(status.reason().is_none());
    let e = err_of(
        root.get_role()
            .role_name("AWSServiceRoleForECS")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "NoSuchEntity");

    // An id iamd did not give.
    let unknown = "task/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS/00000000-0000-4000-8000-000000000000";
    let e = err_of(
        root.get_service_linked_role_deletion_status()
            .deletion_task_id(unknown)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "NoSuchEntity".into(),
            format!("Deletion task {unknown} cannot be found."),
            404
        )
    );
    // The role is gone; an ordinary role is not deleted this way.
    let e = err_of(
        root.delete_service_linked_role()
            .role_name("AWSServiceRoleForECS")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "NoSuchEntity".into(),
            "The role with name AWSServiceRoleForECS cannot be found.".into(),
            404
        )
    );
    root.create_role()
        .role_name("plain")
        .assume_role_policy_document(trust("ec2.amazonaws.com"))
        .send()
        .await
        .unwrap();
    let e = err_of(
        root.delete_service_linked_role()
            .role_name("plain")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "NoSuchEntity".into(),
            "The role with name plain is not a service-linked role.".into(),
            404
        )
    );
    root.get_role().role_name("plain").send().await.unwrap();

    // The service may have its role again, and deleting it again is another task.
    create(&root, "ecs.amazonaws.com", None).await;
    let second = root
        .delete_service_linked_role()
        .role_name("AWSServiceRoleForECS")
        .send()
        .await
        .unwrap()
        .deletion_task_id;
    assert_ne!(second, task_id);
    for id in [&task_id, &second] {
        let status = root
            .get_service_linked_role_deletion_status()
            .deletion_task_id(id)
            .send()
            .await
            .unwrap();
        assert_eq!(status.status(), &DeletionTaskStatusType::Succeeded);
    }
}

#[tokio::test]
async fn service_linked_role_actions_are_authorized_on_the_role() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("alice").await;
    let alice = srv.iam(&key, &secret);
    srv.root()
        .put_user_policy()
        .user_name("alice")
        .policy_name("ecs-only")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:CreateServiceLinkedRole","iam:DeleteServiceLinkedRole","iam:GetServiceLinkedRoleDeletionStatus"],"Resource":"arn:aws:iam::*:role/aws-service-role/ecs.amazonaws.com/*"}]}"#,
        )
        .send()
        .await
        .unwrap();
    create(&alice, "ecs.amazonaws.com", None).await;
    let e = err_of(
        alice
            .create_service_linked_role()
            .aws_service_name("rds.amazonaws.com")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "AccessDenied");
    assert_eq!(
        e.1,
        format!("User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: iam:CreateServiceLinkedRole on resource: arn:aws:iam::{ACCOUNT}:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS because no identity-based policy allows the iam:CreateServiceLinkedRole action")
    );
    let task_id = alice
        .delete_service_linked_role()
        .role_name("AWSServiceRoleForECS")
        .send()
        .await
        .unwrap()
        .deletion_task_id;
    alice
        .get_service_linked_role_deletion_status()
        .deletion_task_id(&task_id)
        .send()
        .await
        .unwrap();
    // Protection holds whoever asks, root included (above), and a user allowed everything.
    srv.allow("alice", "iam:*").await;
    create(&alice, "rds.amazonaws.com", None).await;
    let e = err_of(
        alice
            .delete_role()
            .role_name("AWSServiceRoleForRDS")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "UnmodifiableEntity");
}

/// Roles and deletion tasks are in the database (SQLite; PostgreSQL's durability is its
/// own, and the Store conformance suite runs there).
#[tokio::test]
async fn roles_and_tasks_survive_a_restart() {
    if std::env::var("IAMD_TEST_STORE").as_deref() == Ok("postgres") {
        return;
    }
    let srv = TestServer::start().await;
    let root = srv.root();
    create(&root, "ecs.amazonaws.com", None).await;
    create(&root, "support.amazonaws.com", None).await;
    let task_id = root
        .delete_service_linked_role()
        .role_name("AWSServiceRoleForECS")
        .send()
        .await
        .unwrap()
        .deletion_task_id;
    let data_dir = srv.data_dir.clone();
    srv.running.shutdown().await;
    let running = iamd::start(common::test_config(data_dir))
        .await
        .expect("iamd restarts");
    let root = common::iam_client(&running.endpoint(), ROOT_KEY, ROOT_SECRET);
    let status = root
        .get_service_linked_role_deletion_status()
        .deletion_task_id(&task_id)
        .send()
        .await
        .unwrap();
    assert_eq!(status.status(), &DeletionTaskStatusType::Succeeded);
    // Still protected after the restart.
    let e = err_of(
        root.delete_role()
            .role_name("AWSServiceRoleForSupport")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "UnmodifiableEntity");
    running.shutdown().await;
}
