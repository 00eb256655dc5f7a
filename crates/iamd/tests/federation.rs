//! Federation: GetFederationToken with the real aws-sdk-sts and aws-sdk-iam, the
//! federated session's reach, and the STS operations answered NotImplemented with a reason.
#![allow(deprecated)] // PackedPolicySize, which AWS still sends

mod common;

use std::sync::Arc;

use aws_sdk_sts::types::PolicyDescriptorType;
use common::{err_of, iam_session_client, TestServer, ACCOUNT, ROOT_KEY, ROOT_SECRET};
use iamd_core::model::{HolderKind, KeyOwner, NewAccessKey, PolicyHolder, User};
use iamd_core::principal::FederatedUser;
use iamd_core::{ids, Authorizer, PolicyAuthorizer, Principal, RequestContext, Resource, Via};
use iamd_protocol::{Operation, Service};

fn sts_err<E, R>(e: aws_sdk_sts::error::SdkError<E, R>) -> (String, String)
where
    E: aws_sdk_sts::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    match e {
        aws_sdk_sts::error::SdkError::ServiceError(se) => (
            se.err().code().unwrap_or_default().to_owned(),
            se.err().message().unwrap_or_default().to_owned(),
        ),
        other => panic!("expected a service error, got {other:?}"),
    }
}

fn tag(key: &str, value: &str) -> aws_sdk_sts::types::Tag {
    aws_sdk_sts::types::Tag::builder()
        .key(key)
        .value(value)
        .build()
        .unwrap()
}

/// GetFederationToken with Tags: sts:TagSession is evaluated with the tags as
/// `aws:RequestTag/…` and `aws:TagKeys`; AWS's limits and errors; the tagged session
/// works (GetCallerIdentity) and its token carries the tags.
#[tokio::test]
async fn federation_session_tags() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("tagger").await;
    srv.allow("tagger", "sts:GetFederationToken").await;
    // sts:TagSession only for team=blue, and only the keys team and project.
    let tag_session = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:TagSession","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"blue"},"ForAllValues:StringEquals":{"aws:TagKeys":["team","project"]}}}]}"#;
    srv.root()
        .put_user_policy()
        .user_name("tagger")
        .policy_name("tag-session")
        .policy_document(tag_session)
        .send()
        .await
        .unwrap();
    let sts = srv.sts(&key, &secret);
    let denied = |e: (String, String)| {
        assert_eq!(e.0, "AccessDenied");
        assert!(e.1.contains("sts:TagSession"), "{}", e.1);
    };
    denied(sts_err(
        sts.get_federation_token()
            .name("bob")
            .tags(tag("team", "red"))
            .send()
            .await
            .unwrap_err(),
    ));
    denied(sts_err(
        sts.get_federation_token()
            .name("bob")
            .tags(tag("team", "blue"))
            .tags(tag("cost", "1"))
            .send()
            .await
            .unwrap_err(),
    ));
    let out = sts
        .get_federation_token()
        .name("bob")
        .policy(ALLOW_ALL)
        .tags(tag("team", "blue"))
        .tags(tag("project", &"x".repeat(200)))
        .send()
        .await
        .unwrap();
    let untagged = sts
        .get_federation_token()
        .name("bob")
        .policy(ALLOW_ALL)
        .send()
        .await
        .unwrap();
    // The tags count in the packed size.
    assert!(
        out.packed_policy_size().unwrap() > untagged.packed_policy_size().unwrap(),
        "{:?} {:?}",
        out.packed_policy_size(),
        untagged.packed_policy_size()
    );
    let creds = out.credentials().unwrap();
    let token = creds.session_token();
    let claims = iamd_core::session::SessionClaims::peek(token).unwrap();
    let iamd_core::session::Issuer::Federation { tags, .. } = claims.issuer else {
        panic!("a federation token");
    };
    assert_eq!(
        tags.tags
            .iter()
            .map(|t| (t.key.as_str(), t.value.as_str()))
            .collect::<Vec<_>>(),
        [("team", "blue"), ("project", "x".repeat(200).as_str())]
    );
    let me = srv
        .sts_session(
            creds.access_key_id(),
            creds.secret_access_key(),
            Some(token),
        )
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.arn(),
        Some(format!("arn:aws:sts::{ACCOUNT}:federated-user/bob").as_str())
    );

    // AWS's limits: duplicate keys ignoring case, more than 50 tags, key and value
    // lengths, and the packed size of policies and tags together.
    let e = sts_err(
        sts.get_federation_token()
            .name("bob")
            .tags(tag("team", "blue"))
            .tags(tag("TEAM", "blue"))
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "InvalidParameterValue");
    assert!(e.1.contains("Duplicate tag keys"), "{}", e.1);
    let mut many = sts.get_federation_token().name("bob");
    for i in 0..51 {
        many = many.tags(tag(&format!("k{i}"), "v"));
    }
    assert_eq!(sts_err(many.send().await.unwrap_err()).0, "ValidationError");
    for (k, v) in [
        ("k".repeat(129), "v".to_owned()),
        ("k".into(), "v".repeat(257)),
    ] {
        let e = sts_err(
            sts.get_federation_token()
                .name("bob")
                .tags(tag(&k, &v))
                .send()
                .await
                .unwrap_err(),
        );
        assert_eq!(e.0, "ValidationError", "{}", e.1);
    }
    srv.allow("tagger", "sts:TagSession").await;
    let mut big = sts.get_federation_token().name("bob");
    for i in 0..20 {
        big = big.tags(tag(&format!("key{i:0>125}"), &"v".repeat(256)));
    }
    let e = sts_err(big.send().await.unwrap_err());
    assert_eq!(e.0, "PackedPolicyTooLarge", "{}", e.1);
    assert!(e.1.contains('%'), "{}", e.1);
}

const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

#[tokio::test]
async fn federation_token_shape_identity_and_reach() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("fed").await;
    srv.allow("fed", "sts:GetFederationToken").await;
    let out = srv
        .sts(&key, &secret)
        .get_federation_token()
        .name("bob@example")
        .policy(ALLOW_ALL)
        .duration_seconds(900)
        .send()
        .await
        .unwrap();
    let fu = out.federated_user().unwrap();
    assert_eq!(fu.federated_user_id(), format!("{ACCOUNT}:bob@example"));
    assert_eq!(
        fu.arn(),
        format!("arn:aws:sts::{ACCOUNT}:federated-user/bob@example")
    );
    assert!(out.packed_policy_size().unwrap() > 0);
    let creds = out.credentials().unwrap();
    assert!(creds.access_key_id().starts_with("ASIA"));
    let lifetime = creds.expiration().secs()
        - std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
    assert!((800..=900).contains(&lifetime), "{lifetime}");

    // GetCallerIdentity answers for the federated user.
    let fed = srv.sts_session(
        creds.access_key_id(),
        creds.secret_access_key(),
        Some(creds.session_token()),
    );
    let me = fed.get_caller_identity().send().await.unwrap();
    assert_eq!(me.account(), Some(ACCOUNT));
    assert_eq!(
        me.arn(),
        Some(format!("arn:aws:sts::{ACCOUNT}:federated-user/bob@example").as_str())
    );
    assert_eq!(
        me.user_id(),
        Some(format!("{ACCOUNT}:bob@example").as_str())
    );

    // No IAM, whatever the session policy allows.
    let iam = iam_session_client(
        &srv.endpoint(),
        creds.access_key_id(),
        creds.secret_access_key(),
        Some(creds.session_token()),
    );
    let e = err_of(iam.list_users().send().await.unwrap_err());
    assert_eq!(e.0, "InvalidClientTokenId");
    // No STS but GetCallerIdentity.
    let e = sts_err(
        fed.assume_role()
            .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/r"))
            .role_session_name("ss")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "AccessDenied");
    assert!(e.1.contains("federated user sessions"), "{}", e.1);
    let e = sts_err(
        fed.get_access_key_info()
            .access_key_id(&key)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "AccessDenied");
    for e in [
        sts_err(fed.get_session_token().send().await.unwrap_err()),
        sts_err(
            fed.get_federation_token()
                .name("again")
                .send()
                .await
                .unwrap_err(),
        ),
    ] {
        assert_eq!(e.0, "AccessDenied");
        assert!(e.1.contains("with session credentials"), "{}", e.1);
    }

    // Deactivating the user's key ends the federated session.
    srv.root()
        .update_access_key()
        .user_name("fed")
        .access_key_id(&key)
        .status(aws_sdk_iam::types::StatusType::Inactive)
        .send()
        .await
        .unwrap();
    let e = sts_err(fed.get_caller_identity().send().await.unwrap_err());
    assert_eq!(e.0, "InvalidClientTokenId");
}

#[tokio::test]
async fn federation_token_refusals() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("nofed").await;
    // Not allowed by the user's policies.
    let e = sts_err(
        srv.sts(&key, &secret)
            .get_federation_token()
            .name("bob")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "AccessDenied");
    assert_eq!(
        e.1,
        format!("User: arn:aws:iam::{ACCOUNT}:user/nofed is not authorized to perform: sts:GetFederationToken on resource: arn:aws:sts::{ACCOUNT}:federated-user/bob because no identity-based policy allows the sts:GetFederationToken action")
    );
    srv.allow("nofed", "sts:GetFederationToken").await;
    let sts = srv.sts(&key, &secret);
    // A malformed session policy.
    let e = sts_err(
        sts.get_federation_token()
            .name("bob")
            .policy("{}")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "MalformedPolicyDocument");
    // Out of the model's bounds.
    let e = sts_err(
        sts.get_federation_token()
            .name("b")
            .duration_seconds(129_601)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "ValidationError");
    // Session tags need sts:TagSession as well.
    let e = sts_err(
        sts.get_federation_token()
            .name("bob")
            .tags(tag("k", "v"))
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "AccessDenied");
    assert_eq!(
        e.1,
        format!("User: arn:aws:iam::{ACCOUNT}:user/nofed is not authorized to perform: sts:TagSession on resource: arn:aws:sts::{ACCOUNT}:federated-user/bob because no identity-based policy allows the sts:TagSession action")
    );
    // Managed session policies are accepted and counted in the packed size.
    let out = sts
        .get_federation_token()
        .name("bob")
        .policy_arns(
            PolicyDescriptorType::builder()
                .arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(out.packed_policy_size().unwrap() >= 1);

    // Root may federate, for an hour at most.
    let out = srv
        .sts(ROOT_KEY, ROOT_SECRET)
        .get_federation_token()
        .name("rootfed")
        .duration_seconds(7_200)
        .send()
        .await
        .unwrap();
    let lifetime = out.credentials().unwrap().expiration().secs()
        - std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
    assert!((3_500..=3_600).contains(&lifetime), "{lifetime}");
}

#[tokio::test]
async fn unserved_sts_operations_say_why() {
    let srv = TestServer::start().await;
    let sts = srv.sts(ROOT_KEY, ROOT_SECRET);
    let e = sts_err(
        sts.assume_root()
            .target_principal("111122223333")
            .task_policy_arn(
                PolicyDescriptorType::builder()
                    .arn("arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials")
                    .build(),
            )
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "NotImplemented");
    assert!(e.1.contains("Organization"), "{}", e.1);
    let e = sts_err(
        sts.decode_authorization_message()
            .encoded_message("abc")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "NotImplemented");
    assert!(e.1.contains("encoded authorization message"), "{}", e.1);
}

/// A federated session's permissions are exactly the intersection of its user's policies
/// and its session policies. iamd serves no action a federated session may call (IAM and
/// STS are closed to it), so this asks the authorizer itself, on a store of its own; and
/// the AssumeRoleWithSAML handler, on the same store.
#[tokio::test]
async fn federated_permissions_are_the_intersection() {
    let dir = common::temp_dir("federation-authz");
    let store: Arc<dyn iamd_core::Store> =
        Arc::new(iamd_store_sqlite::SqliteStore::open(&dir.join("db.sqlite3")).unwrap());
    let ring = iamd_core::secret::Keyring::generate();
    let account = ids::account_id();
    let now = time::OffsetDateTime::now_utc();
    store
        .bootstrap_account(
            &account,
            NewAccessKey {
                access_key_id: ids::access_key_id(&account),
                account_id: account.clone(),
                owner: KeyOwner::Root,
                secret: ids::secret_access_key().seal(&ring),
                create_date: now,
            },
        )
        .await
        .unwrap();
    let user = User {
        account_id: account.clone(),
        user_id: ids::user_id(),
        user_name: "alice".into(),
        path: "/".into(),
        create_date: now,
        tags: vec![
            iamd_core::model::Tag {
                key: "team".into(),
                value: "red".into(),
            },
            iamd_core::model::Tag {
                key: "dept".into(),
                value: "ops".into(),
            },
        ],
    };
    store.create_user(&user).await.unwrap();
    // The user may read S3 and describe EC2.
    let user_policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","ec2:DescribeInstances"],"Resource":"*"}]}"#;
    store
        .put_inline_policy(
            &account,
            PolicyHolder::new(HolderKind::User, "alice"),
            "p",
            user_policy,
            user_policy.len(),
            2_048,
        )
        .await
        .unwrap();
    let authz = PolicyAuthorizer::new(store.clone());
    let tagged_ctx = |policy: Option<&str>, tags: Vec<iamd_core::model::Tag>| RequestContext {
        principal: Principal::FederatedUser(Box::new(FederatedUser {
            account_id: account.clone(),
            name: "bob".into(),
            user: Some(user.clone()),
            policy: policy.map(str::to_owned),
            policy_arns: vec![],
            tags,
        })),
        source_ip: None,
        region: "us-east-1".into(),
        via: Via::Federated {
            access_key_id: "ASIAEXAMPLE".into(),
            parent_access_key_id: "AKIAEXAMPLE".into(),
            expiration: now + time::Duration::hours(1),
        },
        request_id: "r".into(),
        now,
        operation: Operation::find(Service::Sts, "GetCallerIdentity").unwrap(),
        request_keys: Default::default(),
    };
    let ctx = |policy: Option<&str>| tagged_ctx(policy, vec![]);
    let any = Resource::any();
    // The session allows S3 and IAM: S3 (both allow) is allowed; EC2 (the user's only)
    // and IAM (the session's only) are denied.
    let session = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","iam:CreateUser"],"Resource":"*"}]}"#;
    let c = ctx(Some(session));
    assert!(authz.authorize(&c, "s3:GetObject", &any).await.is_ok());
    let e = authz
        .authorize(&c, "ec2:DescribeInstances", &any)
        .await
        .unwrap_err();
    assert!(
        e.message.contains("because no session policy allows"),
        "{}",
        e.message
    );
    let e = authz
        .authorize(&c, "iam:CreateUser", &any)
        .await
        .unwrap_err();
    assert!(
        e.message
            .contains("because no identity-based policy allows the iam:CreateUser action"),
        "{}",
        e.message
    );
    assert!(e
        .message
        .starts_with(&format!("User: arn:aws:sts::{account}:federated-user/bob ")));
    // Without a session policy the session may do nothing.
    let c = ctx(None);
    assert!(authz.authorize(&c, "s3:GetObject", &any).await.is_err());
    // An explicit deny in the session policy wins.
    let deny = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}"#;
    let c = ctx(Some(deny));
    let e = authz.authorize(&c, "s3:GetObject", &any).await.unwrap_err();
    assert!(
        e.message.contains("explicit deny in a session policy"),
        "{}",
        e.message
    );
    assert!(authz
        .authorize(&c, "ec2:DescribeInstances", &any)
        .await
        .is_ok());

    // aws:PrincipalTag/…: the user's tags, a session tag overriding one of the same key
    // (ignoring case), as AWS documents for GetFederationToken.
    let by_tags = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue","aws:PrincipalTag/dept":"ops"}}}]}"#;
    let c = ctx(Some(by_tags));
    assert!(authz.authorize(&c, "s3:GetObject", &any).await.is_err());
    let c = tagged_ctx(
        Some(by_tags),
        vec![iamd_core::model::Tag {
            key: "Team".into(),
            value: "blue".into(),
        }],
    );
    authz.authorize(&c, "s3:GetObject", &any).await.unwrap();
    // Still the intersection: the user's policies do not allow EC2.
    assert!(authz
        .authorize(&c, "ec2:DescribeInstances", &any)
        .await
        .is_err());

    // AssumeRoleWithSAML is called unsigned (the binary's unsigned path answers it, see
    // tests/operations.rs); the domain's handler answers NotImplemented and why too.
    let iam = iamd_core::Iam::new(
        store.clone(),
        Arc::new(PolicyAuthorizer::new(store.clone())),
        Arc::new(iamd_core::usage::UsageRecorder::default()),
        Arc::new(ring),
    );
    let ctx = RequestContext {
        operation: Operation::find(Service::Sts, "AssumeRoleWithSAML").unwrap(),
        ..ctx(None)
    };
    let e = iamd_protocol::generated::Handler::assume_role_with_saml(
        &iam,
        &ctx,
        iamd_protocol::sts::AssumeRoleWithSAMLInput {
            role_arn: format!("arn:aws:iam::{account}:role/r"),
            principal_arn: format!("arn:aws:iam::{account}:saml-provider/idp"),
            saml_assertion: "PHNhbWxwOlJlc3BvbnNlLz4=".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, iamd_core::ErrorCode::NotImplemented);
    assert!(e.message.contains("AssumeRoleWithSAML"), "{}", e.message);
    assert!(e.message.contains("XML signature"), "{}", e.message);
}
