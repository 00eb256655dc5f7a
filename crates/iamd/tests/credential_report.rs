//! The credential report with the real aws-sdk-iam: ReportNotPresent before the first
//! GenerateCredentialReport, STARTED then COMPLETE, and a CSV whose rows are the account's
//! state: the root row first, then each user's password (with the policy's next rotation),
//! access keys (with their last use) and signing certificates. And the sign-in check with
//! an expired password: refused under `HardExpiry`, a required change otherwise.

mod common;

use aws_sdk_iam::types::{ReportFormatType, ReportStateType, StatusType};
use common::{err_of, TestServer, ACCOUNT, REGION};
use iamd_core::model::LoginProfile;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

fn iso(t: &aws_sdk_iam::primitives::DateTime) -> String {
    OffsetDateTime::from_unix_timestamp(t.secs())
        .unwrap()
        .format(&Rfc3339)
        .unwrap()
        .replace('Z', "+00:00")
}

/// The report's rows as (column → value) maps, in order.
fn rows(csv: &str) -> Vec<Vec<(String, String)>> {
    let mut lines = csv.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    lines
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(str::to_owned))
                .collect()
        })
        .collect()
}

fn col<'a>(row: &'a [(String, String)], name: &str) -> &'a str {
    &row.iter()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("{name}"))
        .1
}

#[tokio::test]
async fn the_report_shows_the_accounts_credentials() {
    let srv = TestServer::start().await;
    let root = srv.root();

    let none = err_of(root.get_credential_report().send().await.unwrap_err());
    assert_eq!(none, ("ReportNotPresent".into(), String::new(), 410));

    root.update_account_password_policy()
        .max_password_age(90)
        .send()
        .await
        .unwrap();
    // alice: a password, two keys (the second inactive), the first used.
    let (key_id, secret) = srv.user_with_key("alice").await;
    let profile = root
        .create_login_profile()
        .user_name("alice")
        .password("Report-Pa55word!")
        .send()
        .await
        .unwrap()
        .login_profile
        .unwrap();
    let second = root
        .create_access_key()
        .user_name("alice")
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();
    root.update_access_key()
        .user_name("alice")
        .access_key_id(second.access_key_id())
        .status(StatusType::Inactive)
        .send()
        .await
        .unwrap();
    root.put_user_policy()
        .user_name("alice")
        .policy_name("read")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}]}"#,
        )
        .send()
        .await
        .unwrap();
    srv.iam(&key_id, &secret).get_user().send().await.unwrap();
    // bob: no password, an active and an inactive signing certificate.
    root.create_user().user_name("bob").send().await.unwrap();
    let mut certs = Vec::new();
    for name in ["one.example", "two.example"] {
        let body = rcgen::generate_simple_self_signed(vec![name.to_owned()])
            .unwrap()
            .cert
            .pem();
        certs.push(
            root.upload_signing_certificate()
                .user_name("bob")
                .certificate_body(body)
                .send()
                .await
                .unwrap()
                .certificate
                .unwrap(),
        );
    }
    root.update_signing_certificate()
        .user_name("bob")
        .certificate_id(certs[1].certificate_id())
        .status(StatusType::Inactive)
        .send()
        .await
        .unwrap();

    let started = root.generate_credential_report().send().await.unwrap();
    assert_eq!(started.state(), Some(&ReportStateType::Started));
    assert_eq!(
        started.description(),
        Some("No report exists. Starting a new report generation task")
    );
    let again = root.generate_credential_report().send().await.unwrap();
    assert_eq!(again.state(), Some(&ReportStateType::Complete));

    let report = root.get_credential_report().send().await.unwrap();
    assert_eq!(report.report_format(), Some(&ReportFormatType::TextCsv));
    assert!(report.generated_time().is_some());
    let csv = String::from_utf8(report.content().unwrap().as_ref().to_vec()).unwrap();
    assert_eq!(
        csv.lines().next().unwrap(),
        "user,arn,user_creation_time,password_enabled,password_last_used,\
         password_last_changed,password_next_rotation,mfa_active,access_key_1_active,\
         access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,\
         access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,\
         access_key_2_last_used_date,access_key_2_last_used_region,\
         access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,\
         cert_2_last_rotated"
    );
    let rows = rows(&csv);
    assert_eq!(rows.len(), 3, "{csv}");

    let r = &rows[0];
    assert_eq!(col(r, "user"), "<root_account>");
    assert_eq!(col(r, "arn"), format!("arn:aws:iam::{ACCOUNT}:root"));
    for c in [
        "password_enabled",
        "password_last_changed",
        "password_next_rotation",
    ] {
        assert_eq!(col(r, c), "not_supported", "{c}");
    }
    assert_eq!(col(r, "access_key_1_active"), "true", "the root's key");
    assert_eq!(col(r, "access_key_1_last_used_service"), "iam");
    assert_eq!(col(r, "cert_1_active"), "false");

    let a = &rows[1];
    let alice = root
        .get_user()
        .user_name("alice")
        .send()
        .await
        .unwrap()
        .user
        .unwrap();
    assert_eq!((col(a, "user"), col(a, "arn")), ("alice", alice.arn()));
    assert_eq!(col(a, "user_creation_time"), iso(alice.create_date()));
    assert_eq!(col(a, "password_enabled"), "true");
    assert_eq!(col(a, "password_last_used"), "no_information");
    assert_eq!(col(a, "password_last_changed"), iso(profile.create_date()));
    let rotation = OffsetDateTime::from_unix_timestamp(profile.create_date().secs()).unwrap()
        + Duration::days(90);
    assert_eq!(
        col(a, "password_next_rotation"),
        rotation.format(&Rfc3339).unwrap().replace('Z', "+00:00")
    );
    assert_eq!(col(a, "mfa_active"), "false");
    let keys = root
        .list_access_keys()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    let first = keys
        .access_key_metadata()
        .iter()
        .find(|k| k.access_key_id() == Some(key_id.as_str()))
        .unwrap();
    assert_eq!(col(a, "access_key_1_active"), "true");
    assert_eq!(
        col(a, "access_key_1_last_rotated"),
        iso(first.create_date().unwrap())
    );
    assert_ne!(col(a, "access_key_1_last_used_date"), "N/A");
    assert_eq!(col(a, "access_key_1_last_used_region"), REGION);
    assert_eq!(col(a, "access_key_1_last_used_service"), "iam");
    assert_eq!(col(a, "access_key_2_active"), "false");
    assert_eq!(
        col(a, "access_key_2_last_rotated"),
        iso(second.create_date().unwrap())
    );
    for c in [
        "access_key_2_last_used_date",
        "access_key_2_last_used_region",
        "access_key_2_last_used_service",
        "cert_1_last_rotated",
    ] {
        assert_eq!(col(a, c), "N/A", "{c}");
    }

    let b = &rows[2];
    assert_eq!(col(b, "user"), "bob");
    for c in [
        "password_last_used",
        "password_last_changed",
        "password_next_rotation",
    ] {
        assert_eq!(col(b, c), "N/A", "{c}");
    }
    assert_eq!(col(b, "password_enabled"), "false");
    assert_eq!(col(b, "access_key_1_active"), "false");
    assert_eq!(col(b, "access_key_1_last_rotated"), "N/A");
    assert_eq!(col(b, "cert_1_active"), "true");
    assert_eq!(
        col(b, "cert_1_last_rotated"),
        iso(certs[0].upload_date().unwrap())
    );
    assert_eq!(col(b, "cert_2_active"), "false");
    assert_eq!(
        col(b, "cert_2_last_rotated"),
        iso(certs[1].upload_date().unwrap())
    );
}

async fn sign_in(srv: &TestServer, user: &str, password: &str) -> (u16, serde_json::Value) {
    let addr: std::net::SocketAddr = srv
        .endpoint()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let body = format!(r#"{{"account":"{ACCOUNT}","user":"{user}","password":"{password}"}}"#);
    let request = format!(
        "POST /iamd/v1/sign-in HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (status, body) = common::raw_http(addr, request.as_bytes()).await;
    (status, serde_json::from_str(&body).unwrap_or_default())
}

#[tokio::test]
async fn an_expired_password_must_be_changed_or_is_refused_under_hard_expiry() {
    let srv = TestServer::start().await;
    let root = srv.root();
    root.create_user().user_name("old").send().await.unwrap();
    // A password set 100 days ago, written to the store directly.
    let password = "Old-Pa55word!";
    let set = OffsetDateTime::now_utc() - Duration::days(100);
    srv.running
        .store
        .create_login_profile(
            ACCOUNT,
            "old",
            &LoginProfile {
                create_date: set,
                password_reset_required: false,
                password_hash: iamd_core::password::hash_password(password).unwrap(),
                password_set: set,
                previous_hashes: Vec::new(),
            },
        )
        .await
        .unwrap();
    root.update_account_password_policy()
        .max_password_age(90)
        .send()
        .await
        .unwrap();
    let (status, answer) = sign_in(&srv, "old", password).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["passwordExpired"], true);
    assert_eq!(answer["mustChangePassword"], true);

    root.update_account_password_policy()
        .max_password_age(90)
        .hard_expiry(true)
        .send()
        .await
        .unwrap();
    let (status, answer) = sign_in(&srv, "old", password).await;
    assert_eq!(
        (status, answer["result"].as_str()),
        (403, Some("expired")),
        "{answer}"
    );
    let (status, _) = sign_in(&srv, "old", "Wrong-Pa55word!").await;
    assert_eq!(status, 401, "a wrong password is still only denied");
}
