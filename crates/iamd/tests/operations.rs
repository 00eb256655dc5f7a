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
        .generate_organizations_access_report()
        .entity_path("o-a1b2c3d4e5/r-f6g7h8i9j0example")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_of(e),
        (
            "NotImplemented".to_owned(),
            "The operation GenerateOrganizationsAccessReport is not implemented by iamd."
                .to_owned(),
            501
        )
    );
    // Its input is still checked against the model first.
    let e = srv
        .root()
        .generate_organizations_access_report()
        .entity_path("o-short")
        .send()
        .await
        .unwrap_err();
    let (code, message, status) = err_of(e);
    assert_eq!((code.as_str(), status), ("ValidationError", 400));
    assert!(
        message.contains(
            "at 'entityPath' failed to satisfy constraint: Member must have length greater than or equal to 19"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn unsigned_sts_operations_are_let_through_without_a_signature() {
    let srv = TestServer::start().await;
    let sts = srv.sts("AKIAIOSFODNN7EXAMPLE", "unused");
    // Past authentication (an unknown key would be InvalidClientTokenId): the token itself
    // is judged, and this one is no JWT.
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
    assert_eq!(meta.code(), Some("InvalidIdentityToken"));
    // AssumeRoleWithSAML takes the same path, and answers NotImplemented with its reason.
    let e = sts
        .assume_role_with_saml()
        .role_arn("arn:aws:iam::123456789012:role/ci")
        .principal_arn("arn:aws:iam::123456789012:saml-provider/idp")
        .saml_assertion("PHNhbWw+PC9zYW1sPg==")
        .send()
        .await
        .unwrap_err();
    let service = e.into_service_error();
    let meta = aws_sdk_sts::error::ProvideErrorMetadata::meta(&service);
    assert_eq!(meta.code(), Some("NotImplemented"));
    assert_eq!(
        meta.message(),
        Some(
            "The operation AssumeRoleWithSAML is not implemented by iamd: verifying a SAML \
             assertion needs an XML signature check, and no maintained Rust library does one safely."
        )
    );
}

/// The centralized root access features of AWS Organizations: an iamd account belongs to
/// no organization, so each answers as AWS answers such an account, which the SDK reads
/// as its modeled OrganizationNotFoundException; a caller without the action is refused
/// first.
#[tokio::test]
async fn organizations_features_answer_that_no_organization_holds_the_account() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let e = root.list_organizations_features().send().await.unwrap_err();
    assert!(
        e.as_service_error()
            .is_some_and(|e| e.is_organization_not_found_exception()),
        "{e:?}"
    );
    assert_eq!(
        err_of(e),
        (
            "OrganizationNotFoundException".to_owned(),
            "The request was rejected because no organization is associated with your account."
                .to_owned(),
            400
        )
    );
    let codes = [
        err_of(
            root.enable_organizations_root_credentials_management()
                .send()
                .await
                .unwrap_err(),
        ),
        err_of(
            root.disable_organizations_root_credentials_management()
                .send()
                .await
                .unwrap_err(),
        ),
        err_of(
            root.enable_organizations_root_sessions()
                .send()
                .await
                .unwrap_err(),
        ),
        err_of(
            root.disable_organizations_root_sessions()
                .send()
                .await
                .unwrap_err(),
        ),
    ];
    for (code, _, status) in codes {
        assert_eq!(
            (code.as_str(), status),
            ("OrganizationNotFoundException", 400)
        );
    }
    let (key, secret) = srv.user_with_key("nobody").await;
    let (code, message, _) = err_of(
        srv.iam(&key, &secret)
            .enable_organizations_root_sessions()
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(code, "AccessDenied");
    assert!(
        message.contains("iam:EnableOrganizationsRootSessions"),
        "{message}"
    );
}
