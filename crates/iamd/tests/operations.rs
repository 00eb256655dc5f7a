//! The operation layer as the SDKs see it: every operation of the models is known; the
//! ones iamd does not serve yet answer `NotImplemented` (501) naming the operation, which
//! the SDKs do not retry.

mod common;

use common::{err_of, TestServer};

#[tokio::test]
async fn an_operation_iamd_does_not_serve_answers_not_implemented() {
    let srv = TestServer::start().await;
    let e = srv
        .root()
        .upload_ssh_public_key()
        .user_name("alice")
        .ssh_public_key_body("ssh-rsa AAAAB3NzaC1yc2E")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_of(e),
        (
            "NotImplemented".to_owned(),
            "The operation UploadSSHPublicKey is not implemented by iamd.".to_owned(),
            501
        )
    );
    // Its input is still checked against the model first.
    let e = srv
        .root()
        .upload_ssh_public_key()
        .user_name("a".repeat(65))
        .ssh_public_key_body("ssh-rsa AAAAB3NzaC1yc2E")
        .send()
        .await
        .unwrap_err();
    let (code, message, status) = err_of(e);
    assert_eq!((code.as_str(), status), ("ValidationError", 400));
    assert!(
        message.contains("at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64"),
        "{message}"
    );
}

#[tokio::test]
async fn unsigned_sts_operations_answer_not_implemented() {
    let srv = TestServer::start().await;
    let sts = srv.sts("AKIAIOSFODNN7EXAMPLE", "unused");
    let e = sts
        .assume_role_with_web_identity()
        .role_arn("arn:aws:iam::123456789012:role/ci")
        .role_session_name("ci")
        .web_identity_token("a.b.c")
        .send()
        .await
        .unwrap_err();
    let service = e.into_service_error();
    let meta = aws_sdk_sts::error::ProvideErrorMetadata::meta(&service);
    assert_eq!(meta.code(), Some("NotImplemented"));
    assert_eq!(
        meta.message(),
        Some("The operation AssumeRoleWithWebIdentity is not implemented by iamd.")
    );
}
