//! Login profiles, the account password policy, ChangePassword and iamd's sign-in check,
//! with the real aws-sdk-iam: create/get/update/delete with AWS's texts, DeleteUser's
//! conflict, the default and a custom policy refusing passwords in AWS's words, reuse
//! prevention, ChangePassword by the user itself (and refused to root), the policy's
//! `AllowUsersToChangePassword`, `POST /iamd/v1/sign-in` with `PasswordLastUsed` and its
//! back-off, and no password in clear in the SQLite files.

mod common;

use common::{err_of, raw_http, TestServer, ACCOUNT};

const GOOD: &str = "Correct-Horse-9";

async fn user_with_profile(srv: &TestServer, name: &str, password: &str) {
    let root = srv.root();
    root.create_user().user_name(name).send().await.unwrap();
    root.create_login_profile()
        .user_name(name)
        .password(password)
        .send()
        .await
        .unwrap();
}

/// `POST /iamd/v1/sign-in`; (status, body).
async fn sign_in(srv: &TestServer, user: &str, password: &str) -> (u16, String) {
    let body =
        serde_json::json!({"account": ACCOUNT, "user": user, "password": password}).to_string();
    let request = format!(
        "POST /iamd/v1/sign-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    raw_http(srv.running.addr, request.as_bytes()).await
}

#[tokio::test]
async fn login_profiles_are_created_read_updated_and_deleted() {
    let srv = TestServer::start().await;
    let root = srv.root();
    root.create_user().user_name("alice").send().await.unwrap();

    let e = root
        .get_login_profile()
        .user_name("alice")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_of(e),
        (
            "NoSuchEntity".into(),
            "Login Profile for User alice cannot be found.".into(),
            404
        )
    );
    let e = root
        .create_login_profile()
        .user_name("nobody")
        .password(GOOD)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_of(e).0, "NoSuchEntity");

    let created = root
        .create_login_profile()
        .user_name("alice")
        .password(GOOD)
        .password_reset_required(true)
        .send()
        .await
        .unwrap()
        .login_profile
        .unwrap();
    assert_eq!(created.user_name, "alice");
    assert!(created.password_reset_required);
    let read = root
        .get_login_profile()
        .user_name("ALICE")
        .send()
        .await
        .unwrap()
        .login_profile
        .unwrap();
    assert_eq!(read.user_name, "alice");
    assert_eq!(read.create_date, created.create_date);
    assert!(read.password_reset_required);

    let e = root
        .create_login_profile()
        .user_name("alice")
        .password(GOOD)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_of(e).0, "EntityAlreadyExists");

    root.update_login_profile()
        .user_name("alice")
        .password_reset_required(false)
        .send()
        .await
        .unwrap();
    let read = root
        .get_login_profile()
        .user_name("alice")
        .send()
        .await
        .unwrap()
        .login_profile
        .unwrap();
    assert!(!read.password_reset_required);

    // DeleteUser waits for the login profile, in AWS's words.
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
            "Cannot delete entity, must delete login profile first.".into(),
            409
        )
    );
    root.delete_login_profile()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    let e = root
        .delete_login_profile()
        .user_name("alice")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_of(e).1, "Login Profile for User alice cannot be found.");
    root.delete_user().user_name("alice").send().await.unwrap();
}

#[tokio::test]
async fn passwords_follow_the_default_and_the_account_policy() {
    let srv = TestServer::start().await;
    let root = srv.root();
    root.create_user().user_name("bob").send().await.unwrap();

    // No policy: AWS's default one (8 characters, three kinds of four).
    let e = root.get_account_password_policy().send().await.unwrap_err();
    assert_eq!(
        err_of(e),
        (
            "NoSuchEntity".into(),
            format!("The Password Policy with domain name {ACCOUNT} cannot be found."),
            404
        )
    );
    let e = root
        .create_login_profile()
        .user_name("bob")
        .password("alllowercase1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_of(e),
        (
            "PasswordPolicyViolation".into(),
            "Password does not conform to the account password policy.".into(),
            400
        )
    );

    root.update_account_password_policy()
        .minimum_password_length(12)
        .require_uppercase_characters(true)
        .require_symbols(true)
        .password_reuse_prevention(2)
        .send()
        .await
        .unwrap();
    let policy = root
        .get_account_password_policy()
        .send()
        .await
        .unwrap()
        .password_policy
        .unwrap();
    assert_eq!(policy.minimum_password_length, Some(12));
    assert!(policy.require_uppercase_characters);
    assert!(policy.require_symbols);
    assert!(!policy.require_numbers);
    assert!(!policy.allow_users_to_change_password);
    assert!(!policy.expire_passwords);
    assert_eq!(policy.password_reuse_prevention, Some(2));
    assert_eq!(policy.max_password_age, None);

    for (password, message) in [
        ("Short-1", "Password should have a minimum length of 12"),
        (
            "lowercase-only-here",
            "Password should have at least one uppercase letter",
        ),
        (
            "NoSymbolsAtAllHere",
            "Password should have at least one symbol",
        ),
    ] {
        let e = root
            .create_login_profile()
            .user_name("bob")
            .password(password)
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            err_of(e),
            ("PasswordPolicyViolation".into(), message.into(), 400),
            "{password}"
        );
    }
    root.create_login_profile()
        .user_name("bob")
        .password("First-Password")
        .send()
        .await
        .unwrap();
    root.update_login_profile()
        .user_name("bob")
        .password("Second-Password")
        .send()
        .await
        .unwrap();
    // The last two passwords may not come back; the one before may.
    for reused in ["Second-Password", "First-Password"] {
        let e = root
            .update_login_profile()
            .user_name("bob")
            .password(reused)
            .send()
            .await
            .unwrap_err();
        assert_eq!(err_of(e).0, "PasswordPolicyViolation", "{reused}");
    }
    root.update_login_profile()
        .user_name("bob")
        .password("Third-Password")
        .send()
        .await
        .unwrap();
    root.update_login_profile()
        .user_name("bob")
        .password("First-Password")
        .send()
        .await
        .unwrap();

    root.delete_account_password_policy().send().await.unwrap();
    let e = root
        .delete_account_password_policy()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_of(e).0, "NoSuchEntity");
}

#[tokio::test]
async fn users_change_their_own_password() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let (key, secret) = srv.user_with_key("carol").await;
    root.create_login_profile()
        .user_name("carol")
        .password(GOOD)
        .password_reset_required(true)
        .send()
        .await
        .unwrap();
    let carol = srv.iam(&key, &secret);

    // Without the policy's AllowUsersToChangePassword, the user's policies decide.
    let e = carol
        .change_password()
        .old_password(GOOD)
        .new_password("Brand-New-Pass1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_of(e).0, "AccessDenied");
    root.update_account_password_policy()
        .allow_users_to_change_password(true)
        .minimum_password_length(8)
        .send()
        .await
        .unwrap();

    let e = carol
        .change_password()
        .old_password("Not-The-Password1")
        .new_password("Brand-New-Pass1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_of(e),
        (
            "InvalidUserType".into(),
            "The old password was incorrect.".into(),
            400
        )
    );
    let e = carol
        .change_password()
        .old_password(GOOD)
        .new_password("short")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_of(e).0, "PasswordPolicyViolation");
    carol
        .change_password()
        .old_password(GOOD)
        .new_password("Brand-New-Pass1")
        .send()
        .await
        .unwrap();
    let profile = root
        .get_login_profile()
        .user_name("carol")
        .send()
        .await
        .unwrap()
        .login_profile
        .unwrap();
    assert!(!profile.password_reset_required, "cleared by the change");
    let (status, body) = sign_in(&srv, "carol", "Brand-New-Pass1").await;
    assert_eq!(status, 200, "{body}");

    // Root has no login profile to change.
    let e = root
        .change_password()
        .old_password(GOOD)
        .new_password("Brand-New-Pass2")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_of(e).0, "InvalidUserType");
}

#[tokio::test]
async fn sign_in_checks_records_use_and_backs_off() {
    let srv = TestServer::start().await;
    let root = srv.root();
    user_with_profile(&srv, "dave", GOOD).await;
    let user = root
        .get_user()
        .user_name("dave")
        .send()
        .await
        .unwrap()
        .user
        .unwrap();
    assert_eq!(user.password_last_used, None, "never used");

    let (status, body) = sign_in(&srv, "Dave", GOOD).await;
    assert_eq!(status, 200, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["result"], "ok");
    assert_eq!(answer["passwordResetRequired"], false);
    assert_eq!(answer["passwordExpired"], false);
    let user = root
        .get_user()
        .user_name("dave")
        .send()
        .await
        .unwrap()
        .user
        .unwrap();
    assert!(user.password_last_used.is_some(), "recorded");
    let listed = root.list_users().send().await.unwrap().users;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].password_last_used, user.password_last_used,
        "ListUsers shows it too"
    );

    // Unknown users and wrong passwords look alike.
    let (status, body) = sign_in(&srv, "nobody", GOOD).await;
    assert_eq!((status, body.as_str()), (401, r#"{"result":"denied"}"#));
    for _ in 0..iamd_free_failures() {
        let (status, _) = sign_in(&srv, "dave", "wrong-password").await;
        assert_eq!(status, 401);
    }
    // One failure more and the user is locked out, even with the right password.
    let (status, _) = sign_in(&srv, "dave", "wrong-password").await;
    assert_eq!(status, 401);
    let (status, body) = sign_in(&srv, "dave", GOOD).await;
    assert_eq!(status, 429, "{body}");
    assert!(body.contains(r#""result":"locked""#), "{body}");

    // Not JSON, or not POST.
    let request = b"POST /iamd/v1/sign-in HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc";
    let (status, _) = raw_http(srv.running.addr, request).await;
    assert_eq!(status, 400);
    let request = b"GET /iamd/v1/sign-in HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let (status, _) = raw_http(srv.running.addr, request).await;
    assert_eq!(status, 405);
}

/// `USER_FREE_FAILURES` of `signin` (five).
fn iamd_free_failures() -> usize {
    5
}

#[tokio::test]
async fn passwords_are_not_stored_in_clear() {
    if std::env::var("IAMD_TEST_STORE").as_deref() == Ok("postgres") {
        return; // The files checked here are SQLite's.
    }
    let srv = TestServer::start().await;
    let secret = "Unmistakable-Pa55word-7f3c";
    user_with_profile(&srv, "erin", secret).await;
    srv.root()
        .update_login_profile()
        .user_name("erin")
        .password("Another-Pa55word-7f3c")
        .send()
        .await
        .unwrap();
    let mut seen = 0;
    for entry in std::fs::read_dir(&srv.data_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            seen += bytes.len();
            for needle in [secret, "Another-Pa55word-7f3c"] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "{} holds a password in clear",
                    path.display()
                );
            }
            let text = String::from_utf8_lossy(&bytes);
            if text.contains("$argon2id$") {
                seen += 1_000_000_000;
            }
        }
    }
    assert!(seen > 1_000_000_000, "an argon2id hash is stored");
}

/// What Terraform's `force_destroy` lists before deleting a user: each kind of credential,
/// listed empty for a new user that exists, NoSuchEntity for one that does not.
#[tokio::test]
async fn a_new_users_credential_listings_are_empty() {
    let srv = TestServer::start().await;
    let root = srv.root();
    root.create_user().user_name("frank").send().await.unwrap();
    let ssh = root
        .list_ssh_public_keys()
        .user_name("frank")
        .send()
        .await
        .unwrap();
    assert!(ssh.ssh_public_keys.unwrap_or_default().is_empty());
    let certs = root
        .list_signing_certificates()
        .user_name("frank")
        .send()
        .await
        .unwrap();
    assert!(certs.certificates.is_empty());
    let creds = root
        .list_service_specific_credentials()
        .user_name("frank")
        .send()
        .await
        .unwrap();
    assert!(creds
        .service_specific_credentials
        .unwrap_or_default()
        .is_empty());
    let mfa = root
        .list_mfa_devices()
        .user_name("frank")
        .send()
        .await
        .unwrap();
    assert!(mfa.mfa_devices.is_empty());
    let virtual_mfa = root.list_virtual_mfa_devices().send().await.unwrap();
    assert!(virtual_mfa.virtual_mfa_devices.is_empty());
    let e = root
        .list_ssh_public_keys()
        .user_name("nobody")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_of(e).0, "NoSuchEntity");
}
