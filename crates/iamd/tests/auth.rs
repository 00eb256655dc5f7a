//! Authentication as clients see it: wrong secrets, unknown keys, missing auth.

mod common;

use common::{err_of, raw_http, TestServer, ROOT_KEY};

#[tokio::test]
async fn wrong_secret_is_signature_does_not_match() {
    let srv = TestServer::start().await;
    let e = err_of(
        srv.iam(ROOT_KEY, "not-the-secret")
            .list_access_keys()
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "SignatureDoesNotMatch");
    assert_eq!(e.1, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");
    assert_eq!(e.2, 403);
}

#[tokio::test]
async fn unknown_key_is_invalid_client_token_id() {
    let srv = TestServer::start().await;
    let e = err_of(
        srv.iam("AKIAUNKNOWNUNKNOWN00", "x")
            .list_users()
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "InvalidClientTokenId".into(),
            "The security token included in the request is invalid.".into(),
            403
        )
    );
}

#[tokio::test]
async fn unsigned_request_is_missing_authentication_token() {
    let srv = TestServer::start().await;
    let body = "Action=ListUsers&Version=2010-05-08";
    let req = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (status, xml) = raw_http(srv.running.addr, req.as_bytes()).await;
    assert_eq!(status, 403);
    assert!(
        xml.contains("<Code>MissingAuthenticationToken</Code>"),
        "{xml}"
    );
    assert!(
        xml.contains("<Message>Request is missing Authentication Token</Message>"),
        "{xml}"
    );
    assert!(xml.contains("<Type>Sender</Type>"));
    assert!(xml.contains("<RequestId>"));
}
