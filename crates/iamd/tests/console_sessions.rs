//! Console sessions (`POST /iamd/v1/console-session`, iamd's own): a user's password gets
//! temporary credentials that act as the user with the real aws-sdk-iam (the user's
//! policies, IAM allowed); a wrong password, a user with an MFA device but no fresh code,
//! a locked-out user get none; a new password, a deleted login profile or a deleted user ends the session;
//! a password that must be changed gets a session that may only change it.

mod common;

use common::{err_of, iam_session_client, raw_http, sts_client, TestServer, ACCOUNT};

const PASSWORD: &str = "Correct-Horse-9";

/// (status, JSON body).
async fn console_session(srv: &TestServer, user: &str, password: &str) -> (u16, serde_json::Value) {
    console_session_mfa(srv, user, password, None).await
}

/// (status, JSON body), with an MFA code when given one.
async fn console_session_mfa(
    srv: &TestServer,
    user: &str,
    password: &str,
    mfa_code: Option<&str>,
) -> (u16, serde_json::Value) {
    let mut body = serde_json::json!({"account": ACCOUNT, "user": user, "password": password});
    if let Some(code) = mfa_code {
        body["mfaCode"] = code.into();
    }
    let body = body.to_string();
    let request = format!(
        "POST /iamd/v1/console-session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (status, text) = raw_http(srv.running.addr, request.as_bytes()).await;
    (status, serde_json::from_str(&text).expect("a JSON answer"))
}

async fn user_with_password(srv: &TestServer, name: &str, reset_required: bool) {
    let root = srv.root();
    root.create_user().user_name(name).send().await.unwrap();
    root.create_login_profile()
        .user_name(name)
        .password(PASSWORD)
        .password_reset_required(reset_required)
        .send()
        .await
        .unwrap();
    srv.allow(name, "iam:ListUsers").await;
}

fn session_iam(srv: &TestServer, answer: &serde_json::Value) -> aws_sdk_iam::Client {
    let c = &answer["credentials"];
    iam_session_client(
        &srv.endpoint(),
        c["accessKeyId"].as_str().unwrap(),
        c["secretAccessKey"].as_str().unwrap(),
        c["sessionToken"].as_str(),
    )
}

#[tokio::test]
async fn a_password_gets_credentials_that_act_as_the_user() {
    let srv = TestServer::start().await;
    user_with_password(&srv, "alice", false).await;
    let (status, answer) = console_session(&srv, "alice", PASSWORD).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["result"], "ok");
    assert_eq!(answer["mustChangePassword"], false);
    let c = &answer["credentials"];
    assert!(c["accessKeyId"].as_str().unwrap().starts_with("ASIA"));
    assert_eq!(c["secretAccessKey"].as_str().unwrap().len(), 40);
    assert!(c["expiration"].as_str().unwrap().ends_with('Z'));

    // IAM with the user's own policies: ListUsers allowed, CreateUser not.
    let iam = session_iam(&srv, &answer);
    let users = iam
        .list_users()
        .send()
        .await
        .expect("allowed by alice's policy");
    assert!(users.users().iter().any(|u| u.user_name() == "alice"));
    let e = err_of(
        iam.create_user()
            .user_name("mallory")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!((e.0.as_str(), e.2), ("AccessDenied", 403));
    assert!(
        e.1.contains(&format!("arn:aws:iam::{ACCOUNT}:user/alice")),
        "{}",
        e.1
    );
    let who = sts_client(
        &srv.endpoint(),
        c["accessKeyId"].as_str().unwrap(),
        c["secretAccessKey"].as_str().unwrap(),
        c["sessionToken"].as_str(),
    )
    .get_caller_identity()
    .send()
    .await
    .unwrap();
    assert_eq!(
        who.arn(),
        Some(format!("arn:aws:iam::{ACCOUNT}:user/alice").as_str())
    );
    // The use is PasswordLastUsed.
    let got = srv
        .root()
        .get_user()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    assert!(got.user().unwrap().password_last_used().is_some());

    // A forged token (another secret) signs nothing.
    let forged = iam_session_client(
        &srv.endpoint(),
        c["accessKeyId"].as_str().unwrap(),
        "0000000000000000000000000000000000000000",
        c["sessionToken"].as_str(),
    );
    let e = err_of(forged.list_users().send().await.unwrap_err());
    assert_eq!(e.0, "SignatureDoesNotMatch");
}

#[tokio::test]
async fn wrong_passwords_mfa_users_and_unknown_users_get_nothing() {
    let srv = TestServer::start().await;
    user_with_password(&srv, "bob", false).await;
    for (user, password) in [("bob", "Wrong-Password-1"), ("nobody", PASSWORD)] {
        let (status, answer) = console_session(&srv, user, password).await;
        assert_eq!((status, answer["result"].as_str()), (401, Some("denied")));
        assert!(answer.get("credentials").is_none());
    }
}

/// A user with an MFA device gives a code too: without one the answer asks for it, a
/// replayed code is refused, and a fresh one gets an MFA-authenticated session, which
/// `aws:MultiFactorAuthPresent` conditions see.
#[tokio::test]
async fn a_user_with_an_mfa_device_signs_in_with_a_fresh_code() {
    let srv = TestServer::start().await;
    user_with_password(&srv, "bob", false).await;
    let root = srv.root();
    root.put_user_policy()
        .user_name("bob")
        .policy_name("groups-with-mfa")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListGroups",
                "Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}"#,
        )
        .send()
        .await
        .unwrap();
    let device = srv.enabled_mfa_device("bob", "bob-phone").await;
    let (step, code) = (device.step, |s: i64| device.code(s));
    let (status, answer) = console_session(&srv, "bob", PASSWORD).await;
    assert_eq!(
        (status, answer["result"].as_str()),
        (401, Some("mfaRequired"))
    );
    assert!(answer.get("credentials").is_none());
    // The code EnableMFADevice spent, replayed, and a wrong password with a fresh code.
    let (status, answer) = console_session_mfa(&srv, "bob", PASSWORD, Some(&code(step))).await;
    assert_eq!(
        (status, answer["result"].as_str()),
        (401, Some("mfaInvalid"))
    );
    assert!(answer.get("credentials").is_none());
    let fresh = code(step + 1);
    let (status, answer) = console_session_mfa(&srv, "bob", "Wrong-Password-1", Some(&fresh)).await;
    assert_eq!((status, answer["result"].as_str()), (401, Some("denied")));

    let (status, answer) = console_session_mfa(&srv, "bob", PASSWORD, Some(&fresh)).await;
    assert_eq!(status, 200, "{answer}");
    let iam = session_iam(&srv, &answer);
    iam.list_groups()
        .send()
        .await
        .expect("allowed only with MFA");
    // Spent: the same code signs in no one again.
    let (status, answer) = console_session_mfa(&srv, "bob", PASSWORD, Some(&fresh)).await;
    assert_eq!(
        (status, answer["result"].as_str()),
        (401, Some("mfaInvalid"))
    );

    // Without MFA the same policy allows nothing: carol has it and no device.
    user_with_password(&srv, "carol", false).await;
    root.put_user_policy()
        .user_name("carol")
        .policy_name("groups-with-mfa")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListGroups",
                "Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}"#,
        )
        .send()
        .await
        .unwrap();
    let (status, answer) = console_session(&srv, "carol", PASSWORD).await;
    assert_eq!(status, 200, "{answer}");
    let e = err_of(
        session_iam(&srv, &answer)
            .list_groups()
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "AccessDenied");
}

#[tokio::test]
async fn a_new_password_or_a_deleted_profile_or_user_ends_the_session() {
    let srv = TestServer::start().await;
    let root = srv.root();
    user_with_password(&srv, "carol", false).await;
    let (_, first) = console_session(&srv, "carol", PASSWORD).await;
    let iam = session_iam(&srv, &first);
    iam.list_users().send().await.expect("works before");
    root.update_login_profile()
        .user_name("carol")
        .password("Another-Password-2")
        .send()
        .await
        .unwrap();
    let e = err_of(iam.list_users().send().await.unwrap_err());
    assert_eq!(e.0, "InvalidClientTokenId", "a new password ends it");

    let (status, second) = console_session(&srv, "carol", "Another-Password-2").await;
    assert_eq!(status, 200);
    let iam = session_iam(&srv, &second);
    iam.list_users()
        .send()
        .await
        .expect("the new password's session works");
    root.delete_login_profile()
        .user_name("carol")
        .send()
        .await
        .unwrap();
    let e = err_of(iam.list_users().send().await.unwrap_err());
    assert_eq!(e.0, "InvalidClientTokenId", "no login profile, no session");

    root.create_login_profile()
        .user_name("carol")
        .password(PASSWORD)
        .send()
        .await
        .unwrap();
    let (_, third) = console_session(&srv, "carol", PASSWORD).await;
    let iam = session_iam(&srv, &third);
    iam.list_users().send().await.unwrap();
    root.delete_login_profile()
        .user_name("carol")
        .send()
        .await
        .unwrap();
    root.delete_user_policy()
        .user_name("carol")
        .policy_name("iam-ListUsers")
        .send()
        .await
        .unwrap();
    root.delete_user().user_name("carol").send().await.unwrap();
    let e = err_of(iam.list_users().send().await.unwrap_err());
    assert_eq!(e.0, "InvalidClientTokenId", "a deleted user ends it");
}

#[tokio::test]
async fn a_password_that_must_change_gets_a_session_that_may_only_change_it() {
    let srv = TestServer::start().await;
    user_with_password(&srv, "dave", true).await;
    let (status, answer) = console_session(&srv, "dave", PASSWORD).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["mustChangePassword"], true);
    let iam = session_iam(&srv, &answer);
    let e = err_of(iam.list_users().send().await.unwrap_err());
    assert_eq!((e.0.as_str(), e.2), ("AccessDenied", 403));
    assert!(e.1.contains("must be changed"), "{}", e.1);
    // With the account's policy letting users change their passwords (else they need
    // iam:ChangePassword, as on AWS).
    srv.root()
        .update_account_password_policy()
        .allow_users_to_change_password(true)
        .send()
        .await
        .unwrap();
    iam.change_password()
        .old_password(PASSWORD)
        .new_password("Brand-New-Pass-3")
        .send()
        .await
        .expect("ChangePassword is what this session may do");
    let (status, answer) = console_session(&srv, "dave", "Brand-New-Pass-3").await;
    assert_eq!(
        (status, answer["mustChangePassword"].as_bool()),
        (200, Some(false))
    );
    session_iam(&srv, &answer)
        .list_users()
        .send()
        .await
        .expect("a full session now");
}
