//! `iamd serve --mode emulator`: any syntactically valid key id acts as root with any
//! secret, a malformed authorization is still refused, `POST /moto-api/reset` and
//! `POST /iamd/v1/reset` empty the store; the default mode has none of it.

mod common;

use common::*;

async fn post(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    raw_http(
        addr,
        format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    )
    .await
}

#[tokio::test]
async fn any_key_is_root_and_reset_empties_the_store() {
    let srv = TestServer::start_emulator().await;
    for key in ["FOOBARKEY", "testing", ROOT_KEY] {
        let who = srv
            .sts(key, "FOOBARSECRET")
            .get_caller_identity()
            .send()
            .await
            .expect("any key, any secret");
        assert_eq!(
            who.arn(),
            Some(format!("arn:aws:iam::{ACCOUNT}:root").as_str())
        );
        assert_eq!(who.account(), Some(ACCOUNT));
    }
    let iam = srv.iam("FOOBARKEY", "FOOBARSECRET");
    iam.create_user().user_name("alice").send().await.unwrap();
    let key = iam
        .create_access_key()
        .user_name("alice")
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();
    iam.create_role()
        .role_name("r")
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .send()
        .await
        .unwrap();
    // A key iamd issued acts as its owner, whatever secret signs.
    let alice = srv
        .sts(&key.access_key_id, "not-alices-secret")
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(
        alice.arn(),
        Some(format!("arn:aws:iam::{ACCOUNT}:user/alice").as_str())
    );

    // A credential report describes alice until the reset.
    iam.generate_credential_report().send().await.unwrap();
    iam.generate_credential_report().send().await.unwrap();
    assert!(iam.get_credential_report().send().await.is_ok());

    for path in ["/moto-api/reset", "/iamd/v1/reset"] {
        let started = std::time::Instant::now();
        let (status, body) = post(srv.running.addr, path).await;
        assert_eq!(
            (status, body.as_str()),
            (200, r#"{"status":"ok"}"#),
            "{path}"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        let users = iam.list_users().send().await.unwrap();
        assert!(users.users().is_empty(), "{path}: {users:?}");
        assert!(iam.list_roles().send().await.unwrap().roles().is_empty());
        let e = iam.get_credential_report().send().await.unwrap_err();
        assert_eq!(err_of(e).0, "ReportNotPresent", "{path}");
        // The freed names can be taken again.
        iam.create_user().user_name("alice").send().await.unwrap();
    }
    // Root's own key survives.
    let root_keys = srv.root().list_access_keys().send().await.unwrap();
    assert_eq!(
        root_keys.access_key_metadata()[0].access_key_id(),
        Some(ROOT_KEY)
    );
    let (status, _) = raw_http(
        srv.running.addr,
        b"GET /iamd/v1/reset HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 405);
}

#[tokio::test]
async fn a_malformed_authorization_is_still_refused() {
    let srv = TestServer::start_emulator().await;
    let body = "Action=ListUsers&Version=2010-05-08";
    let request = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=FOOBARKEY\r\nX-Amz-Date: 20260101T000000Z\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (status, text) = raw_http(srv.running.addr, request.as_bytes()).await;
    assert!((400..500).contains(&status), "{status} {text}");
    assert!(text.contains("IncompleteSignature"), "{text}");
    let (status, _) = raw_http(
        srv.running.addr,
        format!(
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
    .await;
    assert_eq!(status, 403, "no authorization at all");
}

#[tokio::test]
async fn the_default_mode_refuses_short_keys_and_has_no_reset() {
    let srv = TestServer::start().await;
    let e = srv
        .sts("FOOBARKEY", "FOOBARSECRET")
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    let code = e.into_service_error().meta().code().map(str::to_owned);
    assert_eq!(code.as_deref(), Some("InvalidClientTokenId"));
    srv.root()
        .create_user()
        .user_name("kept")
        .send()
        .await
        .unwrap();
    for path in ["/moto-api/reset", "/iamd/v1/reset"] {
        let (status, _) = post(srv.running.addr, path).await;
        assert_eq!(status, 404, "{path}");
    }
    srv.root()
        .get_user()
        .user_name("kept")
        .send()
        .await
        .unwrap();
}
