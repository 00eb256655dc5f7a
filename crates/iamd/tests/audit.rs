//! The audit log: a session of real SDK calls (root, an IAM user, its session, a role
//! session; allowed, denied and unauthenticated) leaves one CloudTrail-shaped JSON record
//! per request, with the caller and the error code, and none of the secrets the session
//! saw anywhere in the log.

mod common;

use common::*;
use serde_json::Value;

/// (eventSource, eventName, userIdentity.type, errorCode) expected of each record, in order.
struct Expect(
    Vec<(
        &'static str,
        &'static str,
        &'static str,
        Option<&'static str>,
    )>,
);

impl Expect {
    fn add(
        &mut self,
        source: &'static str,
        name: &'static str,
        who: &'static str,
        err: Option<&'static str>,
    ) {
        self.0.push((source, name, who, err));
    }
}

const IAM: &str = "iam.amazonaws.com";
const STS: &str = "sts.amazonaws.com";

#[tokio::test]
async fn every_request_is_recorded_once_with_its_caller_and_no_secret() {
    let dir = temp_dir("audit");
    let path = dir.join("audit.log");
    let srv = TestServer::start_audited(iamd::AuditConfig::new(
        path.to_str().unwrap(),
        iamd::AuditFull::Block,
    ))
    .await;
    let mut expect = Expect(Vec::new());
    let mut secrets: Vec<String> = vec![ROOT_SECRET.to_owned()];
    let root = srv.root();

    root.create_user().user_name("alice").send().await.unwrap();
    expect.add(IAM, "CreateUser", "Root", None);
    let key = root
        .create_access_key()
        .user_name("alice")
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();
    expect.add(IAM, "CreateAccessKey", "Root", None);
    secrets.push(key.secret_access_key.clone());
    let password = "Corr3ct-Horse-Battery!";
    root.create_login_profile()
        .user_name("alice")
        .password(password)
        .send()
        .await
        .unwrap();
    expect.add(IAM, "CreateLoginProfile", "Root", None);
    secrets.push(password.to_owned());
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetUser","sts:AssumeRole"],"Resource":"*"}]}"#;
    root.put_user_policy()
        .user_name("alice")
        .policy_name("p")
        .policy_document(policy)
        .send()
        .await
        .unwrap();
    expect.add(IAM, "PutUserPolicy", "Root", None);
    let device = root
        .create_virtual_mfa_device()
        .virtual_mfa_device_name("dev")
        .send()
        .await
        .unwrap();
    expect.add(IAM, "CreateVirtualMFADevice", "Root", None);
    let device = device.virtual_mfa_device.unwrap();
    secrets.push(String::from_utf8(device.base32_string_seed.unwrap().into_inner()).unwrap());
    let role_arn = root
        .create_role()
        .role_name("auditor")
        .assume_role_policy_document(format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
        ))
        .send()
        .await
        .unwrap()
        .role
        .unwrap()
        .arn;
    expect.add(IAM, "CreateRole", "Root", None);

    let alice = srv.iam(&key.access_key_id, &key.secret_access_key);
    alice.get_user().send().await.unwrap();
    expect.add(IAM, "GetUser", "IAMUser", None);
    let denied = alice.list_users().send().await.unwrap_err();
    assert_eq!(err_of(denied).0, "AccessDenied");
    expect.add(IAM, "ListUsers", "IAMUser", Some("AccessDenied"));

    let wrong = srv.iam(&key.access_key_id, "not-the-secret");
    assert_eq!(
        err_of(wrong.get_user().send().await.unwrap_err()).0,
        "SignatureDoesNotMatch"
    );
    expect.add(IAM, "GetUser", "Unknown", Some("SignatureDoesNotMatch"));
    let unknown = srv.iam("AKIAUNKNOWNKEY000000", "x");
    assert_eq!(
        err_of(unknown.get_user().send().await.unwrap_err()).0,
        "InvalidClientTokenId"
    );
    expect.add(IAM, "GetUser", "Unknown", Some("InvalidClientTokenId"));

    let sts = srv.sts(&key.access_key_id, &key.secret_access_key);
    let session = sts
        .get_session_token()
        .send()
        .await
        .unwrap()
        .credentials
        .unwrap();
    expect.add(STS, "GetSessionToken", "IAMUser", None);
    secrets.push(session.secret_access_key.clone());
    secrets.push(session.session_token.clone());
    srv.sts_session(
        &session.access_key_id,
        &session.secret_access_key,
        Some(&session.session_token),
    )
    .get_caller_identity()
    .send()
    .await
    .unwrap();
    expect.add(STS, "GetCallerIdentity", "IAMUser", None);

    let assumed = sts
        .assume_role()
        .role_arn(&role_arn)
        .role_session_name("audit-session")
        .send()
        .await
        .unwrap()
        .credentials
        .unwrap();
    expect.add(STS, "AssumeRole", "IAMUser", None);
    secrets.push(assumed.secret_access_key.clone());
    secrets.push(assumed.session_token.clone());
    srv.sts_session(
        &assumed.access_key_id,
        &assumed.secret_access_key,
        Some(&assumed.session_token),
    )
    .get_caller_identity()
    .send()
    .await
    .unwrap();
    expect.add(STS, "GetCallerIdentity", "AssumedRole", None);

    let new_password = "An0ther-Good-Password!";
    alice
        .change_password()
        .old_password(password)
        .new_password(new_password)
        .send()
        .await
        .unwrap_err();
    // Not allowed by alice's policy: still recorded, and neither password written.
    expect.add(IAM, "ChangePassword", "IAMUser", Some("AccessDenied"));
    secrets.push(new_password.to_owned());

    root.delete_user()
        .user_name("nobody")
        .send()
        .await
        .unwrap_err();
    expect.add(IAM, "DeleteUser", "Root", Some("NoSuchEntity"));

    srv.running.shutdown().await;
    let text = std::fs::read_to_string(&path).expect("audit log written");
    let records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is one JSON record"))
        .collect();
    assert_eq!(
        records.len(),
        expect.0.len(),
        "one record per request:\n{text}"
    );
    for (record, (source, name, who, err)) in records.iter().zip(&expect.0) {
        let what = format!("{name} in {record}");
        assert_eq!(record["eventSource"], *source, "{what}");
        assert_eq!(record["eventName"], *name, "{what}");
        assert_eq!(record["userIdentity"]["type"], *who, "{what}");
        assert_eq!(record["errorCode"].as_str(), *err, "{what}");
        assert_eq!(record["eventVersion"], "1.08");
        assert_eq!(record["eventType"], "AwsApiCall");
        assert_eq!(record["awsRegion"], REGION);
        assert_eq!(record["sourceIPAddress"], "127.0.0.1");
        assert_eq!(record["recipientAccountId"], ACCOUNT);
        assert!(
            record["userAgent"]
                .as_str()
                .unwrap()
                .contains("aws-sdk-rust"),
            "{what}"
        );
        assert_eq!(record["requestID"].as_str().unwrap().len(), 36);
        assert_eq!(record["eventID"].as_str().unwrap().len(), 36);
        assert!(
            record["eventTime"].as_str().unwrap().ends_with('Z'),
            "{what}"
        );
        if err.is_some() {
            assert!(record["errorMessage"].as_str().is_some(), "{what}");
            assert!(record["responseElements"].is_null(), "{what}");
        }
    }
    // The callers in detail.
    let root_id = &records[0]["userIdentity"];
    assert_eq!(root_id["arn"], format!("arn:aws:iam::{ACCOUNT}:root"));
    assert_eq!(root_id["accountId"], ACCOUNT);
    assert_eq!(root_id["principalId"], ACCOUNT);
    assert_eq!(root_id["accessKeyId"], ROOT_KEY);
    assert_eq!(records[0]["requestParameters"]["userName"], "alice");
    assert_eq!(records[0]["readOnly"], false);
    assert_eq!(records[0]["responseElements"]["user"]["userName"], "alice");
    // CreateAccessKey: the key id is recorded, the secret is not.
    assert_eq!(
        records[1]["responseElements"]["accessKey"]["accessKeyId"],
        key.access_key_id.as_str()
    );
    assert!(records[1]["responseElements"]["accessKey"]
        .get("secretAccessKey")
        .is_none());
    assert_eq!(
        records[2]["requestParameters"]["password"],
        "HIDDEN_DUE_TO_SECURITY_REASONS"
    );
    // Policy documents are recorded, as CloudTrail does.
    assert_eq!(records[3]["requestParameters"]["policyDocument"], policy);
    assert!(records[4]["responseElements"]["virtualMFADevice"]
        .get("base32StringSeed")
        .is_none());
    let user_id = &records[6]["userIdentity"];
    assert_eq!(user_id["userName"], "alice");
    assert_eq!(user_id["arn"], format!("arn:aws:iam::{ACCOUNT}:user/alice"));
    assert!(user_id["principalId"].as_str().unwrap().starts_with("AIDA"));
    assert_eq!(user_id["accessKeyId"], key.access_key_id.as_str());
    assert_eq!(records[6]["readOnly"], true);
    assert!(records[6]["responseElements"].is_null());
    assert_eq!(
        records[8]["userIdentity"]["accessKeyId"],
        key.access_key_id.as_str()
    );
    assert_eq!(
        records[9]["userIdentity"]["accessKeyId"],
        "AKIAUNKNOWNKEY000000"
    );
    // GetSessionToken: the new key id and expiry are recorded, the secret and token not.
    let credentials = &records[10]["responseElements"]["credentials"];
    assert_eq!(credentials["accessKeyId"], session.access_key_id.as_str());
    assert!(credentials.get("sessionToken").is_none());
    let session_id = &records[11]["userIdentity"];
    assert_eq!(session_id["type"], "IAMUser");
    assert_eq!(session_id["accessKeyId"], session.access_key_id.as_str());
    assert_eq!(
        session_id["sessionContext"]["attributes"]["mfaAuthenticated"],
        "false"
    );
    let role_id = &records[13]["userIdentity"];
    assert_eq!(
        role_id["arn"],
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/auditor/audit-session")
    );
    assert_eq!(role_id["accessKeyId"], assumed.access_key_id.as_str());
    let issuer = &role_id["sessionContext"]["sessionIssuer"];
    assert_eq!(issuer["type"], "Role");
    assert_eq!(issuer["arn"], role_arn.as_str());
    assert_eq!(issuer["userName"], "auditor");
    assert!(role_id["principalId"]
        .as_str()
        .unwrap()
        .ends_with(":audit-session"));
    assert_eq!(
        records[14]["requestParameters"]["oldPassword"],
        "HIDDEN_DUE_TO_SECURITY_REASONS"
    );
    assert_eq!(
        records[14]["requestParameters"]["newPassword"],
        "HIDDEN_DUE_TO_SECURITY_REASONS"
    );

    // No secret this session saw is anywhere in the log.
    for secret in &secrets {
        assert!(!secret.is_empty());
        assert!(
            !text.contains(secret.as_str()),
            "a secret is in the audit log"
        );
    }
}

#[tokio::test]
async fn stdout_and_drop_are_accepted_and_a_bad_path_refuses_to_start() {
    let dir = temp_dir("audit-bad");
    let bad = dir.join("no-such-dir").join("audit.log");
    let config = iamd::AuditConfig::new(bad.to_str().unwrap(), iamd::AuditFull::Drop);
    assert_eq!(config.full, iamd::AuditFull::Drop);
    assert_eq!(
        iamd::AuditConfig::new("-", iamd::AuditFull::Drop).target,
        iamd::AuditTarget::Stdout
    );
    // TestServer panics when iamd does not start.
    let started = tokio::spawn(async move {
        TestServer::start_audited(config).await;
    })
    .await;
    assert!(
        started.is_err(),
        "iamd must not start with an audit log it cannot open"
    );
}

#[tokio::test]
async fn the_file_rotates_at_the_configured_size_keeping_that_many_files() {
    let dir = temp_dir("audit-rotate");
    let path = dir.join("audit.log");
    // Below the CLI's 1 MiB floor (`with_rotation`), so that a few requests rotate it.
    let config = iamd::AuditConfig {
        target: iamd::AuditTarget::File {
            path: path.clone(),
            max_bytes: 4096,
            kept: 3,
        },
        full: iamd::AuditFull::Block,
    };
    let srv = TestServer::start_audited(config).await;
    let root = srv.root();
    let requests = 60;
    for _ in 0..requests {
        root.list_users().send().await.unwrap();
    }
    srv.running.shutdown().await;
    let numbered = |n: u32| dir.join(format!("audit.log.{n}"));
    let mut lines = 0;
    for file in [path.clone(), numbered(1), numbered(2), numbered(3)] {
        let text = std::fs::read_to_string(&file).expect("current and 3 rotated files");
        assert!(
            text.len() <= 4096,
            "{} holds {} bytes",
            file.display(),
            text.len()
        );
        lines += text.lines().count();
    }
    assert!(!numbered(4).exists(), "only 3 rotated files are kept");
    // The oldest records went with the files dropped.
    assert!(lines < requests, "{lines} records kept of {requests}");
}

#[test]
fn rotation_options_are_validated() {
    let file = || iamd::AuditConfig::new("/tmp/audit.log", iamd::AuditFull::Drop);
    let mib = 1024 * 1024;
    assert!(file().with_rotation(mib - 1, 5).is_err());
    assert!(file().with_rotation(mib, 0).is_err());
    assert!(file().with_rotation(mib, 101).is_err());
    assert_eq!(
        file().with_rotation(mib, 100).unwrap().target,
        iamd::AuditTarget::File {
            path: "/tmp/audit.log".into(),
            max_bytes: mib,
            kept: 100,
        }
    );
    // The CLI refuses a bad value with status 2 before starting.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_iamd"))
        .args(["serve", "--audit-log", "/tmp/unused.log"])
        .args(["--audit-log-keep", "0", "--data-dir", "/nonexistent-iamd"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--audit-log-keep"));
}

/// `POST /iamd/v1/sign-in`; (status, body).
async fn sign_in(srv: &TestServer, account: &str, user: &str, password: &str) -> (u16, String) {
    let body =
        serde_json::json!({"account": account, "user": user, "password": password}).to_string();
    let request = format!(
        "POST /iamd/v1/sign-in HTTP/1.1\r\nHost: x\r\nUser-Agent: sign-in-test\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    raw_http(srv.running.addr, request.as_bytes()).await
}

#[tokio::test]
async fn password_sign_ins_are_recorded_as_console_logins_without_the_password() {
    let dir = temp_dir("audit-signin");
    let path = dir.join("audit.log");
    let srv = TestServer::start_audited(iamd::AuditConfig::new(
        path.to_str().unwrap(),
        iamd::AuditFull::Block,
    ))
    .await;
    let root = srv.root();
    let user_id = root
        .create_user()
        .user_name("bob")
        .send()
        .await
        .unwrap()
        .user
        .unwrap()
        .user_id;
    let password = "Corr3ct-Horse-Battery!";
    root.create_login_profile()
        .user_name("bob")
        .password(password)
        .send()
        .await
        .unwrap();
    let wrong = "Wr0ng-Horse-Battery!";

    // (status, success, userName as recorded)
    let mut expect: Vec<(u16, bool, &str)> = Vec::new();
    assert_eq!(sign_in(&srv, ACCOUNT, "bob", password).await.0, 200);
    expect.push((200, true, "bob"));
    assert_eq!(sign_in(&srv, ACCOUNT, "bob", wrong).await.0, 401);
    expect.push((401, false, "bob"));
    // An unknown name, as a password typed in the user field would be: never written.
    assert_eq!(sign_in(&srv, ACCOUNT, wrong, password).await.0, 401);
    expect.push((401, false, "HIDDEN_DUE_TO_SECURITY_REASONS"));
    // Not an account id: neither it nor the user name is written.
    assert_eq!(sign_in(&srv, wrong, "bob", password).await.0, 401);
    expect.push((401, false, "HIDDEN_DUE_TO_SECURITY_REASONS"));
    // Past the free failures the user is locked out; each attempt is still recorded.
    loop {
        let (status, _) = sign_in(&srv, ACCOUNT, "bob", wrong).await;
        expect.push((status, false, "bob"));
        if status == 429 {
            break;
        }
        assert_eq!(status, 401);
        assert!(expect.len() < 20, "never locked");
    }

    srv.running.shutdown().await;
    let text = std::fs::read_to_string(&path).expect("audit log written");
    let records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["eventSource"] == "signin.amazonaws.com")
        .collect();
    assert_eq!(records.len(), expect.len(), "one per attempt:\n{text}");
    for (record, (status, success, user_name)) in records.iter().zip(&expect) {
        let what = format!("{status} in {record}");
        assert_eq!(record["eventName"], "ConsoleLogin", "{what}");
        assert_eq!(record["eventType"], "AwsConsoleSignIn", "{what}");
        assert_eq!(record["eventVersion"], "1.08");
        assert_eq!(record["sourceIPAddress"], "127.0.0.1");
        assert_eq!(record["userAgent"], "sign-in-test");
        assert_eq!(record["requestParameters"], Value::Null);
        assert_eq!(record["readOnly"], false);
        assert_eq!(record["eventID"].as_str().unwrap().len(), 36);
        assert_eq!(record["recipientAccountId"], ACCOUNT);
        assert_eq!(record["userIdentity"]["type"], "IAMUser", "{what}");
        assert_eq!(record["userIdentity"]["userName"], *user_name, "{what}");
        assert_eq!(record["additionalEventData"]["MFAUsed"], "No", "{what}");
        assert_eq!(
            record["additionalEventData"]["LoginTo"], "/iamd/v1/sign-in",
            "{what}"
        );
        let outcome = if *success { "Success" } else { "Failure" };
        assert_eq!(
            record["responseElements"]["ConsoleLogin"], outcome,
            "{what}"
        );
        if *success {
            assert!(record.get("errorMessage").is_none(), "{what}");
        } else {
            assert_eq!(record["errorMessage"], "Failed authentication", "{what}");
        }
    }
    let known = &records[0]["userIdentity"];
    assert_eq!(known["arn"], format!("arn:aws:iam::{ACCOUNT}:user/bob"));
    assert_eq!(known["accountId"], ACCOUNT);
    assert_eq!(known["principalId"], user_id.as_str());
    assert_eq!(records[2]["userIdentity"]["accountId"], ACCOUNT);
    assert!(records[2]["userIdentity"].get("arn").is_none());
    assert_eq!(
        records[3]["userIdentity"]["accountId"],
        "HIDDEN_DUE_TO_SECURITY_REASONS"
    );
    assert!(!text.contains(password), "the password is in the audit log");
    assert!(
        !text.contains(wrong),
        "a wrong password is in the audit log"
    );
}

/// Console sign-ins of a user with an MFA device: the password alone (the code is then
/// asked for) is not an outcome and is not written; a replayed code is a failure and a
/// fresh one a success, both with `MFAUsed: Yes`; the code is never written.
#[tokio::test]
async fn console_sign_ins_with_mfa_are_recorded_with_mfa_used() {
    let dir = temp_dir("audit-console-mfa");
    let path = dir.join("audit.log");
    let srv = TestServer::start_audited(iamd::AuditConfig::new(
        path.to_str().unwrap(),
        iamd::AuditFull::Block,
    ))
    .await;
    let root = srv.root();
    root.create_user().user_name("dee").send().await.unwrap();
    let password = "Corr3ct-Horse-Battery!";
    root.create_login_profile()
        .user_name("dee")
        .password(password)
        .send()
        .await
        .unwrap();
    let device = srv.enabled_mfa_device("dee", "dee-phone").await;
    let (step, code) = (device.step, |s: i64| device.code(s));
    let console = |mfa: Option<String>| {
        let mut body = serde_json::json!({"account": ACCOUNT, "user": "dee", "password": password});
        if let Some(mfa) = mfa {
            body["mfaCode"] = mfa.into();
        }
        let body = body.to_string();
        let request = format!(
            "POST /iamd/v1/console-session HTTP/1.1\r\nHost: x\r\nUser-Agent: sign-in-test\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let addr = srv.running.addr;
        async move { raw_http(addr, request.as_bytes()).await.0 }
    };
    assert_eq!(console(None).await, 401);
    assert_eq!(console(Some(code(step))).await, 401);
    assert_eq!(console(Some(code(step + 1))).await, 200);

    srv.running.shutdown().await;
    let text = std::fs::read_to_string(&path).expect("audit log written");
    let records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["eventSource"] == "signin.amazonaws.com")
        .collect();
    let outcomes: Vec<(&Value, &Value, &Value)> = records
        .iter()
        .map(|r| {
            (
                &r["responseElements"]["ConsoleLogin"],
                &r["additionalEventData"]["MFAUsed"],
                &r["additionalEventData"]["LoginTo"],
            )
        })
        .collect();
    let (failure, success, yes, to) = (
        Value::from("Failure"),
        Value::from("Success"),
        Value::from("Yes"),
        Value::from("/iamd/v1/console-session"),
    );
    assert_eq!(
        outcomes,
        [(&failure, &yes, &to), (&success, &yes, &to)],
        "{text}"
    );
    // Quoted: a bare six-digit code could occur inside the account id by chance.
    let written = format!("\"{}\"", code(step + 1));
    assert!(!text.contains(&written) && !text.contains("mfaCode") && !text.contains(password));
}
