//! Roles and AssumeRole with the real aws-sdk-sts and aws-sdk-iam.

mod common;

use aws_sdk_sts::types::PolicyDescriptorType;
use common::{err_of, iam_session_client, TestServer, ACCOUNT};
use iamd_core::session::{self, Issuer, SessionClaims};

fn trust(principal: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"}}]}}"#
    )
}

const READ_KEYS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ListAccessKeys","iam:GetUser"],"Resource":"*"}]}"#;

fn sts_err<E, R>(e: aws_sdk_sts::error::SdkError<E, R>) -> (String, String)
where
    E: aws_sdk_sts::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    match e {
        aws_sdk_sts::error::SdkError::ServiceError(se) => {
            let err = se.err();
            (
                err.code().unwrap_or_default().to_owned(),
                err.message().unwrap_or_default().to_owned(),
            )
        }
        other => panic!("expected a service error, got {other:?}"),
    }
}

/// Creates role `name` trusting `principal`, with the READ_KEYS policy; returns its ARN.
async fn role(srv: &TestServer, name: &str, trust_policy: &str) -> String {
    let root = srv.root();
    let created = root
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust_policy)
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    root.put_role_policy()
        .role_name(name)
        .policy_name("read-keys")
        .policy_document(READ_KEYS)
        .send()
        .await
        .unwrap();
    created.arn
}

struct Session {
    key: String,
    secret: String,
    token: String,
}

impl Session {
    fn iam(&self, srv: &TestServer) -> aws_sdk_iam::Client {
        iam_session_client(&srv.endpoint(), &self.key, &self.secret, Some(&self.token))
    }
    fn sts(&self, srv: &TestServer) -> aws_sdk_sts::Client {
        srv.sts_session(&self.key, &self.secret, Some(&self.token))
    }
}

fn session_of(out: aws_sdk_sts::operation::assume_role::AssumeRoleOutput) -> Session {
    let c = out.credentials.unwrap();
    Session {
        key: c.access_key_id,
        secret: c.secret_access_key,
        token: c.session_token,
    }
}

#[tokio::test]
async fn a_trusted_user_assumes_a_role_and_acts_as_it() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("alice").await;
    srv.user_with_key("bob").await;
    let alice_arn = format!("arn:aws:iam::{ACCOUNT}:user/alice");
    let role_arn = role(&srv, "Reader", &trust(&alice_arn)).await;

    let out = srv
        .sts(&key, &secret)
        .assume_role()
        .role_arn(&role_arn)
        .role_session_name("s1")
        .send()
        .await
        .unwrap();
    let user = out.assumed_role_user().unwrap();
    assert_eq!(
        user.arn(),
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/Reader/s1")
    );
    assert!(user.assumed_role_id().starts_with("AROA") && user.assumed_role_id().ends_with(":s1"));
    let c = out.credentials().unwrap();
    assert!(c.access_key_id().starts_with("ASIA"));
    let lifetime = c.expiration().secs() - time::OffsetDateTime::now_utc().unix_timestamp();
    assert!(
        (3_500..=3_600).contains(&lifetime),
        "an hour by default, got {lifetime}"
    );
    let session = session_of(out);

    let me = session
        .sts(&srv)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.arn(),
        Some(format!("arn:aws:sts::{ACCOUNT}:assumed-role/Reader/s1").as_str())
    );
    assert!(me.user_id().unwrap().ends_with(":s1"));

    let iam = session.iam(&srv);
    let e = err_of(iam.list_access_keys().send().await.unwrap_err());
    assert_eq!(
        e,
        (
            "ValidationError".into(),
            "Must specify userName when calling with non-User credentials".into(),
            400
        )
    );
    let e = err_of(iam.get_user().send().await.unwrap_err());
    assert_eq!(
        e.1,
        "Must specify userName when calling with non-User credentials"
    );
    let bobs = iam
        .list_access_keys()
        .user_name("bob")
        .send()
        .await
        .unwrap();
    assert_eq!(bobs.access_key_metadata().len(), 1);
    // The role may not do what its policy does not allow.
    let e = err_of(
        iam.create_user()
            .user_name("mallory")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "AccessDenied");
    assert_eq!(
        e.1,
        format!("User: arn:aws:sts::{ACCOUNT}:assumed-role/Reader/s1 is not authorized to perform: iam:CreateUser on resource: user mallory because no identity-based policy allows the iam:CreateUser action")
    );
    // A temporary key is not an access key; last-used stays with long-term keys.
    let alices = srv
        .root()
        .list_access_keys()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    assert_eq!(alices.access_key_metadata().len(), 1);
}

#[tokio::test]
async fn an_untrusting_role_is_access_denied() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("carl").await;
    let role_arn = role(
        &srv,
        "NotForCarl",
        &trust(&format!("arn:aws:iam::{ACCOUNT}:user/someone-else")),
    )
    .await;
    let e = sts_err(
        srv.sts(&key, &secret)
            .assume_role()
            .role_arn(&role_arn)
            .role_session_name("x1")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "AccessDenied".into(),
            format!("User: arn:aws:iam::{ACCOUNT}:user/carl is not authorized to perform: sts:AssumeRole on resource: {role_arn}")
        )
    );
    // A role that does not exist reads the same.
    let missing = format!("arn:aws:iam::{ACCOUNT}:role/Missing");
    let e = sts_err(
        srv.sts(&key, &secret)
            .assume_role()
            .role_arn(&missing)
            .role_session_name("x1")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "AccessDenied");
    // Malformed inputs.
    let e = sts_err(
        srv.sts(&key, &secret)
            .assume_role()
            .role_arn("nothing-valid-in-here")
            .role_session_name("x1")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "ValidationError".into(),
            "nothing-valid-in-here is invalid".into()
        )
    );
    let e = sts_err(
        srv.sts(&key, &secret)
            .assume_role()
            .role_arn(&role_arn)
            .role_session_name("Session1:2")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e.1,
        r"1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*"
    );
}

#[tokio::test]
async fn trusting_the_account_needs_the_callers_own_permission() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("dan").await;
    let role_arn = role(
        &srv,
        "AccountTrusted",
        &trust(&format!("arn:aws:iam::{ACCOUNT}:root")),
    )
    .await;
    let sts = srv.sts(&key, &secret);
    assert_eq!(
        sts_err(
            sts.assume_role()
                .role_arn(&role_arn)
                .role_session_name("d1")
                .send()
                .await
                .unwrap_err()
        )
        .0,
        "AccessDenied"
    );
    srv.allow("dan", "sts:AssumeRole").await;
    sts.assume_role()
        .role_arn(&role_arn)
        .role_session_name("d1")
        .send()
        .await
        .unwrap();
}

/// Session tags need sts:TagSession in the trust policy; a trust statement that names the
/// caller is enough, one that trusts the account needs the caller's own sts:TagSession
/// too (as sts:AssumeRole does).
#[tokio::test]
async fn tag_session_follows_the_trust_policy_like_assume_role() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("tess").await;
    let trust_both = |principal: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":["sts:AssumeRole","sts:TagSession"]}}]}}"#
        )
    };
    let account_role = role(
        &srv,
        "AccountTrustsTags",
        &trust_both(&format!("arn:aws:iam::{ACCOUNT}:root")),
    )
    .await;
    let named_role = role(
        &srv,
        "UserTrustsTags",
        &trust_both(&format!("arn:aws:iam::{ACCOUNT}:user/tess")),
    )
    .await;
    let no_tags_role = role(
        &srv,
        "NoTagSession",
        &trust(&format!("arn:aws:iam::{ACCOUNT}:user/tess")),
    )
    .await;
    srv.allow("tess", "sts:AssumeRole").await;
    let sts = srv.sts(&key, &secret);
    let tag = aws_sdk_sts::types::Tag::builder()
        .key("team")
        .value("blue")
        .build()
        .unwrap();
    let assume = |arn: &str| {
        sts.assume_role()
            .role_arn(arn)
            .role_session_name("tt")
            .tags(tag.clone())
            .send()
    };
    // Named in the trust policy: the trust policy alone allows the tags.
    assume(&named_role).await.unwrap();
    // Not in the trust policy: refused, whatever the caller's policies say.
    let e = sts_err(assume(&no_tags_role).await.unwrap_err());
    assert_eq!(e.0, "AccessDenied");
    assert_eq!(
        e.1,
        format!("User: arn:aws:iam::{ACCOUNT}:user/tess is not authorized to perform: sts:TagSession on resource: {no_tags_role}")
    );
    // Trusted as the account: the caller's own policies must allow sts:TagSession.
    let e = sts_err(assume(&account_role).await.unwrap_err());
    assert_eq!(e.0, "AccessDenied");
    assert!(e.1.contains("sts:TagSession"), "{}", e.1);
    // Without tags the account-trusting role is assumed as before.
    sts.assume_role()
        .role_arn(&account_role)
        .role_session_name("tt")
        .send()
        .await
        .unwrap();
    srv.allow("tess", "sts:TagSession").await;
    assume(&account_role).await.unwrap();
}

#[tokio::test]
async fn external_id_is_enforced() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("eve").await;
    let doc = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:user/eve"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"open-sesame"}}}}}}]}}"#
    );
    let role_arn = role(&srv, "ThirdParty", &doc).await;
    let sts = srv.sts(&key, &secret);
    assert_eq!(
        sts_err(
            sts.assume_role()
                .role_arn(&role_arn)
                .role_session_name("e1")
                .send()
                .await
                .unwrap_err()
        )
        .0,
        "AccessDenied"
    );
    assert_eq!(
        sts_err(
            sts.assume_role()
                .role_arn(&role_arn)
                .role_session_name("e1")
                .external_id("wrong-id")
                .send()
                .await
                .unwrap_err()
        )
        .0,
        "AccessDenied"
    );
    sts.assume_role()
        .role_arn(&role_arn)
        .role_session_name("e1")
        .external_id("open-sesame")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_session_policy_narrows_the_role() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("fay").await;
    srv.user_with_key("gus").await;
    let role_arn = role(
        &srv,
        "Narrowed",
        &trust(&format!("arn:aws:iam::{ACCOUNT}:user/fay")),
    )
    .await;
    let only_get_user = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}"#;
    let out = srv
        .sts(&key, &secret)
        .assume_role()
        .role_arn(&role_arn)
        .role_session_name("narrow")
        .policy(only_get_user)
        .send()
        .await
        .unwrap();
    let iam = session_of(out).iam(&srv);
    iam.get_user().user_name("gus").send().await.unwrap();
    let e = err_of(
        iam.list_access_keys()
            .user_name("gus")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "AccessDenied");
    assert!(
        e.1.ends_with("because no session policy allows the iam:ListAccessKeys action"),
        "{}",
        e.1
    );

    // Managed policies work as session policies too.
    let policy_arn = srv
        .root()
        .create_policy()
        .policy_name("OnlyListKeys")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListAccessKeys","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap()
        .arn
        .unwrap();
    let out = srv
        .sts(&key, &secret)
        .assume_role()
        .role_arn(&role_arn)
        .role_session_name("managed")
        .policy_arns(PolicyDescriptorType::builder().arn(&policy_arn).build())
        .send()
        .await
        .unwrap();
    let iam = session_of(out).iam(&srv);
    iam.list_access_keys()
        .user_name("gus")
        .send()
        .await
        .unwrap();
    assert_eq!(
        err_of(iam.get_user().user_name("gus").send().await.unwrap_err()).0,
        "AccessDenied"
    );
}

#[tokio::test]
async fn role_changes_reach_live_sessions_at_once() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("hal").await;
    srv.user_with_key("ida").await;
    let role_arn = role(
        &srv,
        "Fleeting",
        &trust(&format!("arn:aws:iam::{ACCOUNT}:user/hal")),
    )
    .await;
    let session = session_of(
        srv.sts(&key, &secret)
            .assume_role()
            .role_arn(&role_arn)
            .role_session_name("h1")
            .send()
            .await
            .unwrap(),
    );
    let iam = session.iam(&srv);
    iam.list_access_keys()
        .user_name("ida")
        .send()
        .await
        .unwrap();
    let root = srv.root();
    root.delete_role_policy()
        .role_name("Fleeting")
        .policy_name("read-keys")
        .send()
        .await
        .unwrap();
    assert_eq!(
        err_of(
            iam.list_access_keys()
                .user_name("ida")
                .send()
                .await
                .unwrap_err()
        )
        .0,
        "AccessDenied"
    );
    root.put_role_policy()
        .role_name("Fleeting")
        .policy_name("read-keys")
        .policy_document(READ_KEYS)
        .send()
        .await
        .unwrap();
    iam.list_access_keys()
        .user_name("ida")
        .send()
        .await
        .unwrap();
    // Deleting the role ends its sessions.
    let e = err_of(
        root.delete_role()
            .role_name("Fleeting")
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
    root.delete_role_policy()
        .role_name("Fleeting")
        .policy_name("read-keys")
        .send()
        .await
        .unwrap();
    root.delete_role()
        .role_name("Fleeting")
        .send()
        .await
        .unwrap();
    let e = sts_err(
        session
            .sts(&srv)
            .get_caller_identity()
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "InvalidClientTokenId");
}

#[tokio::test]
async fn role_chaining_is_limited_to_an_hour() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("jon").await;
    let first = role(
        &srv,
        "First",
        &trust(&format!("arn:aws:iam::{ACCOUNT}:user/jon")),
    )
    .await;
    let root = srv.root();
    let second = root
        .create_role()
        .role_name("Second")
        .assume_role_policy_document(trust(&first))
        .max_session_duration(43_200)
        .send()
        .await
        .unwrap()
        .role
        .unwrap()
        .arn;
    // Directly, a user may ask for up to the role's maximum.
    let jon = srv.sts(&key, &secret);
    let e = sts_err(
        jon.assume_role()
            .role_arn(&first)
            .role_session_name("j1")
            .duration_seconds(7200)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "ValidationError".into(),
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
                .into()
        )
    );
    let session = session_of(
        jon.assume_role()
            .role_arn(&first)
            .role_session_name("j1")
            .send()
            .await
            .unwrap(),
    );
    let chained = session.sts(&srv);
    let e = sts_err(
        chained
            .assume_role()
            .role_arn(&second)
            .role_session_name("k1")
            .duration_seconds(7200)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        ("ValidationError".into(), "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.".into())
    );
    let out = chained
        .assume_role()
        .role_arn(&second)
        .role_session_name("k1")
        .duration_seconds(3600)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.assumed_role_user().unwrap().arn(),
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/Second/k1")
    );
}

#[tokio::test]
async fn an_expired_role_session_is_expired_token() {
    let srv = TestServer::start().await;
    srv.user_with_key("kim").await;
    role(
        &srv,
        "Short",
        &trust(&format!("arn:aws:iam::{ACCOUNT}:user/kim")),
    )
    .await;
    // A genuine token for the role that expired a minute ago, made as the server makes them
    // (from the role's session secret, read from the store): no test can wait out 15 minutes.
    let stored = srv
        .running
        .store
        .get_role(ACCOUNT, "Short")
        .await
        .unwrap()
        .unwrap();
    let claims = SessionClaims {
        access_key_id: "ASIAEXPIREDEXPIRED00".into(),
        issuer: Issuer::Role {
            tags: Default::default(),
            role_id: stored.role_id.clone(),
            session_name: "old".into(),
            policy: None,
            policy_arns: Vec::new(),
            chained: false,
        },
        expiration: time::OffsetDateTime::now_utc() - time::Duration::minutes(1),
        mfa: None,
        nonce: "expired".into(),
    };
    let (token, secret) = session::mint(
        &stored.session_secret.open(&srv.running.keyring).unwrap(),
        &claims,
    );
    let sts = srv.sts_session(&claims.access_key_id, secret.expose(), Some(&token));
    let e = sts_err(sts.get_caller_identity().send().await.unwrap_err());
    assert_eq!(
        e,
        (
            "ExpiredToken".into(),
            "The security token included in the request is expired".into()
        )
    );
}

#[tokio::test]
async fn role_crud() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let doc = trust(&format!("arn:aws:iam::{ACCOUNT}:root"));
    let created = root
        .create_role()
        .role_name("Ops")
        .path("/team/")
        .description("operators")
        .assume_role_policy_document(&doc)
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    assert!(created.role_id().starts_with("AROA"));
    assert_eq!(
        created.arn(),
        format!("arn:aws:iam::{ACCOUNT}:role/team/Ops")
    );
    let got = root
        .get_role()
        .role_name("ops")
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    assert_eq!(got.role_name(), "Ops");
    assert_eq!(got.max_session_duration(), Some(3600));
    let decoded = percent_encoding::percent_decode_str(got.assume_role_policy_document().unwrap())
        .decode_utf8()
        .unwrap();
    assert_eq!(decoded, doc);
    let e = err_of(
        root.create_role()
            .role_name("OPS")
            .assume_role_policy_document(&doc)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "EntityAlreadyExists".into(),
            "Role with name OPS already exists.".into(),
            409
        )
    );
    let e = err_of(
        root.create_role()
            .role_name("Bad")
            .assume_role_policy_document(READ_KEYS)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "MalformedPolicyDocument");
    root.update_role()
        .role_name("Ops")
        .max_session_duration(7200)
        .send()
        .await
        .unwrap();
    assert_eq!(
        root.get_role()
            .role_name("Ops")
            .send()
            .await
            .unwrap()
            .role
            .unwrap()
            .max_session_duration(),
        Some(7200)
    );
    root.update_assume_role_policy()
        .role_name("Ops")
        .policy_document(trust("*"))
        .send()
        .await
        .unwrap();
    let listed = root
        .list_roles()
        .path_prefix("/team/")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.roles().len(), 1);
    let policy_arn = root
        .create_policy()
        .policy_name("P")
        .policy_document(READ_KEYS)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap()
        .arn
        .unwrap();
    root.attach_role_policy()
        .role_name("Ops")
        .policy_arn(&policy_arn)
        .send()
        .await
        .unwrap();
    let attached = root
        .list_attached_role_policies()
        .role_name("Ops")
        .send()
        .await
        .unwrap();
    assert_eq!(
        attached.attached_policies()[0].policy_arn(),
        Some(policy_arn.as_str())
    );
    let e = err_of(
        root.delete_role()
            .role_name("Ops")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.1, "Cannot delete entity, must detach all policies first.");
    root.detach_role_policy()
        .role_name("Ops")
        .policy_arn(&policy_arn)
        .send()
        .await
        .unwrap();
    root.delete_role().role_name("Ops").send().await.unwrap();
    let e = err_of(root.get_role().role_name("Ops").send().await.unwrap_err());
    assert_eq!(
        e,
        (
            "NoSuchEntity".into(),
            "The role with name Ops cannot be found.".into(),
            404
        )
    );
}

/// UpdateRoleDescription, added after the operation layer was generated: the domain
/// already updates descriptions, so it took only `api.rs`. It is authorized as
/// `iam:UpdateRoleDescription` (the operation's own action), not as UpdateRole.
#[tokio::test]
async fn update_role_description() {
    let srv = TestServer::start().await;
    let doc = trust(&format!("arn:aws:iam::{ACCOUNT}:root"));
    srv.root()
        .create_role()
        .role_name("Described")
        .assume_role_policy_document(&doc)
        .description("before")
        .send()
        .await
        .expect("create role");
    let out = srv
        .root()
        .update_role_description()
        .role_name("described")
        .description("after")
        .send()
        .await
        .expect("update description");
    let role = out.role.expect("role");
    assert_eq!(role.role_name, "Described");
    assert_eq!(role.description.as_deref(), Some("after"));
    let got = srv
        .root()
        .get_role()
        .role_name("Described")
        .send()
        .await
        .unwrap();
    assert_eq!(got.role.unwrap().description.as_deref(), Some("after"));

    let (key, secret) = srv.user_with_key("editor").await;
    srv.allow("editor", "iam:UpdateRole").await;
    let editor = srv.iam(&key, &secret);
    let e = editor
        .update_role_description()
        .role_name("Described")
        .description("denied")
        .send()
        .await
        .unwrap_err();
    let (code, message, status) = err_of(e);
    assert_eq!((code.as_str(), status), ("AccessDenied", 403));
    assert!(message.contains("iam:UpdateRoleDescription"), "{message}");
    srv.allow("editor", "iam:UpdateRoleDescription").await;
    editor
        .update_role_description()
        .role_name("Described")
        .description("by editor")
        .send()
        .await
        .expect("allowed now");

    let e = srv
        .root()
        .update_role_description()
        .role_name("Nobody")
        .description("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_of(e).0, "NoSuchEntity");
}

/// GetRole's `RoleLastUsed`: empty (but present) for a role never used, then the time and
/// region of the newest request one of its sessions signed; assuming the role is not a
/// use of it. GetAccountAuthorizationDetails shows the same.
#[tokio::test]
async fn role_last_used_follows_its_sessions() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("alice").await;
    let role_arn = role(
        &srv,
        "Used",
        &trust(&format!("arn:aws:iam::{ACCOUNT}:user/alice")),
    )
    .await;
    let root = srv.root();
    let last_used = || async {
        root.get_role()
            .role_name("Used")
            .send()
            .await
            .unwrap()
            .role
            .unwrap()
            .role_last_used
            .expect("RoleLastUsed is always present")
    };
    let never = last_used().await;
    assert_eq!((never.last_used_date, never.region), (None, None));

    let out = srv
        .sts(&key, &secret)
        .assume_role()
        .role_arn(&role_arn)
        .role_session_name("s1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        last_used().await.last_used_date,
        None,
        "assuming is not using"
    );

    let before = time::OffsetDateTime::now_utc().unix_timestamp() - 1;
    let session = session_of(out);
    session
        .iam(&srv)
        .list_access_keys()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    let after = time::OffsetDateTime::now_utc().unix_timestamp() + 1;
    let used = last_used().await;
    let when = used.last_used_date.expect("a date once used").secs();
    assert!(
        (before..=after).contains(&when),
        "{before} <= {when} <= {after}"
    );
    assert_eq!(used.region.as_deref(), Some(common::REGION));

    let details = root
        .get_account_authorization_details()
        .filter(aws_sdk_iam::types::EntityType::Role)
        .send()
        .await
        .unwrap();
    let detail = &details.role_detail_list()[0];
    assert_eq!(
        detail
            .role_last_used()
            .and_then(|u| u.last_used_date())
            .map(|d| d.secs()),
        Some(when)
    );
}
