//! Permissions boundaries with the real aws-sdk-iam and aws-sdk-sts: set, shown, replaced
//! and removed on users and roles, given at CreateUser/CreateRole, missing policies, the
//! policy's usage count and DeletePolicy's conflict, and their effect: a user or a role
//! session may do only what both its policies and its boundary allow, in AWS's words when
//! denied, until the boundary is removed; the simulator shows the boundary's decision.

mod common;

use aws_sdk_iam::types::{PermissionsBoundaryAttachmentType, PolicyEvaluationDecisionType};
use common::{err_of, iam_session_client, TestServer, ACCOUNT};

fn allow(actions: &[&str]) -> String {
    let actions: Vec<String> = actions.iter().map(|a| format!("\"{a}\"")).collect();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":[{}],"Resource":"*"}}]}}"#,
        actions.join(",")
    )
}

fn trust(principal: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"}}]}}"#
    )
}

fn not_attachable(arn: &str) -> (String, String, u16) {
    (
        "NoSuchEntity".into(),
        format!("Policy {arn} does not exist or is not attachable."),
        404,
    )
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

async fn usage(srv: &TestServer, arn: &str) -> i32 {
    srv.root()
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap()
        .permissions_boundary_usage_count
        .unwrap()
}

async fn user_boundary(srv: &TestServer, name: &str) -> Option<String> {
    let user = srv
        .root()
        .get_user()
        .user_name(name)
        .send()
        .await
        .unwrap()
        .user
        .unwrap();
    user.permissions_boundary.map(|b| {
        assert_eq!(
            b.permissions_boundary_type(),
            Some(&PermissionsBoundaryAttachmentType::Policy)
        );
        b.permissions_boundary_arn.unwrap()
    })
}

async fn role_boundary(srv: &TestServer, name: &str) -> Option<String> {
    let role = srv
        .root()
        .get_role()
        .role_name(name)
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    role.permissions_boundary.map(|b| {
        assert_eq!(
            b.permissions_boundary_type(),
            Some(&PermissionsBoundaryAttachmentType::Policy)
        );
        b.permissions_boundary_arn.unwrap()
    })
}

#[tokio::test]
async fn boundaries_are_set_shown_replaced_and_removed() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let fence = create_policy(&srv, "Fence", &allow(&["iam:GetUser"])).await;
    let wall = create_policy(&srv, "Wall", &allow(&["iam:*"])).await;
    root.create_user().user_name("alice").send().await.unwrap();
    root.create_role()
        .role_name("Runner")
        .assume_role_policy_document(trust(&format!("arn:aws:iam::{ACCOUNT}:root")))
        .send()
        .await
        .unwrap();
    assert_eq!(user_boundary(&srv, "alice").await, None);
    assert_eq!(role_boundary(&srv, "Runner").await, None);

    root.put_user_permissions_boundary()
        .user_name("ALICE")
        .permissions_boundary(&fence)
        .send()
        .await
        .unwrap();
    root.put_role_permissions_boundary()
        .role_name("runner")
        .permissions_boundary(&fence)
        .send()
        .await
        .unwrap();
    assert_eq!(user_boundary(&srv, "alice").await, Some(fence.clone()));
    assert_eq!(role_boundary(&srv, "Runner").await, Some(fence.clone()));
    assert_eq!(usage(&srv, &fence).await, 2);

    // Listings leave it out, as AWS's do.
    let users = root.list_users().send().await.unwrap().users;
    assert!(users.iter().all(|u| u.permissions_boundary.is_none()));
    let roles = root.list_roles().send().await.unwrap().roles;
    assert!(roles.iter().all(|r| r.permissions_boundary.is_none()));

    // Replacing moves the count.
    root.put_user_permissions_boundary()
        .user_name("alice")
        .permissions_boundary(&wall)
        .send()
        .await
        .unwrap();
    assert_eq!(user_boundary(&srv, "alice").await, Some(wall.clone()));
    assert_eq!(usage(&srv, &fence).await, 1);
    assert_eq!(usage(&srv, &wall).await, 1);

    root.delete_user_permissions_boundary()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    root.delete_role_permissions_boundary()
        .role_name("Runner")
        .send()
        .await
        .unwrap();
    assert_eq!(user_boundary(&srv, "alice").await, None);
    assert_eq!(role_boundary(&srv, "Runner").await, None);
    assert_eq!(usage(&srv, &fence).await, 0);
    assert_eq!(usage(&srv, &wall).await, 0);
    // Removing no boundary is fine.
    root.delete_user_permissions_boundary()
        .user_name("alice")
        .send()
        .await
        .unwrap();

    // A policy that does not exist, in another account, or not a policy ARN at all.
    for arn in [
        format!("arn:aws:iam::{ACCOUNT}:policy/Nothing"),
        format!("arn:aws:iam::{ACCOUNT}:policy/other/Fence"),
        "arn:aws:iam::999999999999:policy/Fence".to_owned(),
        "arn:aws:iam::aws:policy/NoSuchAwsPolicy".to_owned(),
    ] {
        let e = root
            .put_user_permissions_boundary()
            .user_name("alice")
            .permissions_boundary(&arn)
            .send()
            .await
            .unwrap_err();
        assert_eq!(err_of(e), not_attachable(&arn));
        let e = root
            .put_role_permissions_boundary()
            .role_name("Runner")
            .permissions_boundary(&arn)
            .send()
            .await
            .unwrap_err();
        assert_eq!(err_of(e), not_attachable(&arn));
    }
    let e = root
        .put_user_permissions_boundary()
        .user_name("nobody")
        .permissions_boundary(&fence)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_of(e),
        (
            "NoSuchEntity".into(),
            "The user with name nobody cannot be found.".into(),
            404
        )
    );
    let e = root
        .delete_role_permissions_boundary()
        .role_name("nobody")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_of(e).0, "NoSuchEntity");
}

#[tokio::test]
async fn users_and_roles_are_created_with_a_boundary() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let fence = create_policy(&srv, "Fence", &allow(&["iam:GetUser"])).await;

    let created = root
        .create_user()
        .user_name("bob")
        .permissions_boundary(&fence)
        .send()
        .await
        .unwrap()
        .user
        .unwrap();
    assert_eq!(
        created
            .permissions_boundary
            .and_then(|b| b.permissions_boundary_arn),
        Some(fence.clone())
    );
    assert_eq!(user_boundary(&srv, "bob").await, Some(fence.clone()));

    let created = root
        .create_role()
        .role_name("Worker")
        .assume_role_policy_document(trust(&format!("arn:aws:iam::{ACCOUNT}:root")))
        .permissions_boundary(&fence)
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    assert_eq!(
        created
            .permissions_boundary
            .and_then(|b| b.permissions_boundary_arn),
        Some(fence.clone())
    );
    assert_eq!(role_boundary(&srv, "Worker").await, Some(fence.clone()));
    assert_eq!(usage(&srv, &fence).await, 2);

    // A boundary that does not exist: nothing is created.
    let missing = format!("arn:aws:iam::{ACCOUNT}:policy/Missing");
    let e = root
        .create_user()
        .user_name("carol")
        .permissions_boundary(&missing)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_of(e), not_attachable(&missing));
    let e = root.get_user().user_name("carol").send().await.unwrap_err();
    assert_eq!(err_of(e).0, "NoSuchEntity");
    let e = root
        .create_role()
        .role_name("Idle")
        .assume_role_policy_document(trust(&format!("arn:aws:iam::{ACCOUNT}:root")))
        .permissions_boundary(&missing)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_of(e), not_attachable(&missing));
    let e = root.get_role().role_name("Idle").send().await.unwrap_err();
    assert_eq!(err_of(e).0, "NoSuchEntity");
}

#[tokio::test]
async fn a_policy_in_use_as_a_boundary_is_counted_and_not_deleted() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let fence = create_policy(&srv, "Fence", &allow(&["iam:GetUser"])).await;
    root.create_user()
        .user_name("dave")
        .permissions_boundary(&fence)
        .send()
        .await
        .unwrap();
    let listed = root
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .send()
        .await
        .unwrap()
        .policies
        .unwrap();
    let fence_listed = listed
        .iter()
        .find(|p| p.arn() == Some(fence.as_str()))
        .unwrap();
    assert_eq!(fence_listed.permissions_boundary_usage_count, Some(1));
    assert_eq!(fence_listed.attachment_count, Some(0));

    let e = root
        .delete_policy()
        .policy_arn(&fence)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_of(e),
        (
            "DeleteConflict".into(),
            "Cannot delete a policy attached to entities.".into(),
            409
        )
    );
    // Deleting the user takes its boundary with it.
    root.delete_user().user_name("dave").send().await.unwrap();
    assert_eq!(usage(&srv, &fence).await, 0);
    root.delete_policy()
        .policy_arn(&fence)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_boundary_limits_what_a_user_may_do() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let (key, secret) = srv.user_with_key("eve").await;
    root.put_user_policy()
        .user_name("eve")
        .policy_name("read")
        .policy_document(allow(&["iam:ListUsers", "iam:GetUser"]))
        .send()
        .await
        .unwrap();
    let eve = srv.iam(&key, &secret);
    eve.list_users().send().await.unwrap();

    let fence = create_policy(&srv, "Fence", &allow(&["iam:GetUser"])).await;
    root.put_user_permissions_boundary()
        .user_name("eve")
        .permissions_boundary(&fence)
        .send()
        .await
        .unwrap();
    eve.get_user().send().await.unwrap();
    let (code, message, status) = err_of(eve.list_users().send().await.unwrap_err());
    assert_eq!((code.as_str(), status), ("AccessDenied", 403));
    let head = format!(
        "User: arn:aws:iam::{ACCOUNT}:user/eve is not authorized to perform: iam:ListUsers on resource: "
    );
    assert!(message.starts_with(&head), "{message}");
    assert!(
        message.ends_with(" because no permissions boundary allows the iam:ListUsers action"),
        "{message}"
    );

    // A boundary never grants: what no identity policy allows stays denied, in those words.
    let (_, message, _) = err_of(eve.list_roles().send().await.unwrap_err());
    assert!(
        message.ends_with(" because no identity-based policy allows the iam:ListRoles action"),
        "{message}"
    );

    // An explicit deny in the boundary.
    let deny = allow(&["iam:ListUsers"]).replace("Allow", "Deny");
    let both = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"iam:*","Resource":"*"}},{}]}}"#,
        &deny[deny.find("{\"Effect").unwrap()..deny.len() - 2]
    );
    let denying = create_policy(&srv, "Denying", &both).await;
    root.put_user_permissions_boundary()
        .user_name("eve")
        .permissions_boundary(&denying)
        .send()
        .await
        .unwrap();
    eve.get_user().send().await.unwrap();
    let (_, message, _) = err_of(eve.list_users().send().await.unwrap_err());
    assert!(
        message.ends_with(" with an explicit deny in a permissions boundary"),
        "{message}"
    );

    // The simulator shows the boundary's part.
    root.put_user_permissions_boundary()
        .user_name("eve")
        .permissions_boundary(&fence)
        .send()
        .await
        .unwrap();
    let results = root
        .simulate_principal_policy()
        .policy_source_arn(format!("arn:aws:iam::{ACCOUNT}:user/eve"))
        .action_names("iam:GetUser")
        .action_names("iam:ListUsers")
        .send()
        .await
        .unwrap()
        .evaluation_results
        .unwrap();
    assert_eq!(
        results[0].eval_decision(),
        &PolicyEvaluationDecisionType::Allowed
    );
    assert_eq!(
        results[0]
            .permissions_boundary_decision_detail()
            .map(|d| d.allowed_by_permissions_boundary),
        Some(true)
    );
    assert_eq!(
        results[1].eval_decision(),
        &PolicyEvaluationDecisionType::ImplicitDeny
    );
    assert_eq!(
        results[1]
            .permissions_boundary_decision_detail()
            .map(|d| d.allowed_by_permissions_boundary),
        Some(false)
    );

    // A new default version of the boundary applies at once.
    root.create_policy_version()
        .policy_arn(&fence)
        .policy_document(allow(&["iam:GetUser", "iam:ListUsers"]))
        .set_as_default(true)
        .send()
        .await
        .unwrap();
    eve.list_users().send().await.unwrap();
    root.set_default_policy_version()
        .policy_arn(&fence)
        .version_id("v1")
        .send()
        .await
        .unwrap();
    eve.list_users().send().await.unwrap_err();

    // Without the boundary, the identity policy's grant is whole again.
    root.delete_user_permissions_boundary()
        .user_name("eve")
        .send()
        .await
        .unwrap();
    eve.list_users().send().await.unwrap();
}

#[tokio::test]
async fn a_boundary_limits_what_a_role_session_may_do() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let (key, secret) = srv.user_with_key("frank").await;
    let frank_arn = format!("arn:aws:iam::{ACCOUNT}:user/frank");
    let fence = create_policy(&srv, "Fence", &allow(&["iam:GetUser"])).await;
    let role_arn = root
        .create_role()
        .role_name("Reader")
        .assume_role_policy_document(trust(&frank_arn))
        .permissions_boundary(&fence)
        .send()
        .await
        .unwrap()
        .role
        .unwrap()
        .arn;
    root.put_role_policy()
        .role_name("Reader")
        .policy_name("read")
        .policy_document(allow(&["iam:ListUsers", "iam:GetUser"]))
        .send()
        .await
        .unwrap();
    let credentials = srv
        .sts(&key, &secret)
        .assume_role()
        .role_arn(&role_arn)
        .role_session_name("s1")
        .send()
        .await
        .unwrap()
        .credentials
        .unwrap();
    let session = iam_session_client(
        &srv.endpoint(),
        &credentials.access_key_id,
        &credentials.secret_access_key,
        Some(&credentials.session_token),
    );

    session.get_user().user_name("frank").send().await.unwrap();
    let (code, message, _) = err_of(session.list_users().send().await.unwrap_err());
    assert_eq!(code, "AccessDenied");
    assert!(
        message.starts_with(&format!(
            "User: arn:aws:sts::{ACCOUNT}:assumed-role/Reader/s1 is not authorized to perform: iam:ListUsers on resource: "
        )),
        "{message}"
    );
    assert!(
        message.ends_with(" because no permissions boundary allows the iam:ListUsers action"),
        "{message}"
    );

    root.delete_role_permissions_boundary()
        .role_name("Reader")
        .send()
        .await
        .unwrap();
    session.list_users().send().await.unwrap();

    // Set again on the role: the running session is bounded again.
    root.put_role_permissions_boundary()
        .role_name("Reader")
        .permissions_boundary(&fence)
        .send()
        .await
        .unwrap();
    let (_, message, _) = err_of(session.list_users().send().await.unwrap_err());
    assert!(
        message.ends_with(" because no permissions boundary allows the iam:ListUsers action"),
        "{message}"
    );
}

/// The simulator's `PermissionsBoundaryPolicyInputList`: a boundary given with the call
/// bounds SimulateCustomPolicy, replaces the simulated user's own in
/// SimulatePrincipalPolicy, is read as a managed policy (InvalidInput when it is not one),
/// and is at most one.
#[tokio::test]
async fn the_simulator_takes_a_boundary_with_the_call() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let identity = allow(&["iam:GetUser", "iam:ListUsers"]);
    let boundary = allow(&["iam:GetUser"]);
    let decisions = |results: Vec<aws_sdk_iam::types::EvaluationResult>| {
        results
            .iter()
            .map(|r| {
                (
                    r.eval_decision().clone(),
                    r.permissions_boundary_decision_detail()
                        .map(|d| d.allowed_by_permissions_boundary),
                )
            })
            .collect::<Vec<_>>()
    };
    let custom = root
        .simulate_custom_policy()
        .policy_input_list(&identity)
        .permissions_boundary_policy_input_list(&boundary)
        .action_names("iam:GetUser")
        .action_names("iam:ListUsers")
        .send()
        .await
        .unwrap()
        .evaluation_results
        .unwrap();
    assert_eq!(
        decisions(custom),
        vec![
            (PolicyEvaluationDecisionType::Allowed, Some(true)),
            (PolicyEvaluationDecisionType::ImplicitDeny, Some(false)),
        ]
    );

    // A user whose own boundary allows only ListUsers, simulated with GetUser's boundary.
    root.create_user().user_name("sim").send().await.unwrap();
    let own = create_policy(&srv, "own-boundary", &allow(&["iam:ListUsers"])).await;
    root.put_user_permissions_boundary()
        .user_name("sim")
        .permissions_boundary(&own)
        .send()
        .await
        .unwrap();
    root.put_user_policy()
        .user_name("sim")
        .policy_name("both")
        .policy_document(&identity)
        .send()
        .await
        .unwrap();
    let principal = |boundary: Option<&str>| {
        root.simulate_principal_policy()
            .policy_source_arn(format!("arn:aws:iam::{ACCOUNT}:user/sim"))
            .set_permissions_boundary_policy_input_list(boundary.map(|b| vec![b.to_owned()]))
            .action_names("iam:GetUser")
            .action_names("iam:ListUsers")
            .send()
    };
    assert_eq!(
        decisions(principal(None).await.unwrap().evaluation_results.unwrap()),
        vec![
            (PolicyEvaluationDecisionType::ImplicitDeny, Some(false)),
            (PolicyEvaluationDecisionType::Allowed, Some(true)),
        ]
    );
    assert_eq!(
        decisions(
            principal(Some(&boundary))
                .await
                .unwrap()
                .evaluation_results
                .unwrap()
        ),
        vec![
            (PolicyEvaluationDecisionType::Allowed, Some(true)),
            (PolicyEvaluationDecisionType::ImplicitDeny, Some(false)),
        ]
    );

    // Not a managed policy (a Principal element), and two boundaries: InvalidInput.
    let with_principal = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"iam:GetUser","Resource":"*"}]}"#;
    let e = err_of(
        root.simulate_custom_policy()
            .policy_input_list(&identity)
            .permissions_boundary_policy_input_list(with_principal)
            .action_names("iam:GetUser")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!((e.0.as_str(), e.2), ("InvalidInput", 400));
    let e = err_of(
        root.simulate_custom_policy()
            .policy_input_list(&identity)
            .permissions_boundary_policy_input_list(&boundary)
            .permissions_boundary_policy_input_list(&boundary)
            .action_names("iam:GetUser")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "InvalidInput".into(),
            "You can input only one permissions boundary policy.".into(),
            400
        )
    );
}
