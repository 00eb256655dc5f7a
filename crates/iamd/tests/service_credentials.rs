//! Service-specific credentials with the real aws-sdk-iam: created for a user and a
//! supported service with a generated password shown once, listed without it (by user,
//! by service, for every user), deactivated, reset, deleted; the quota of two per service;
//! AWS's errors; the caller's own credentials without `UserName`; DeleteUser refused while
//! any is left; passwords never in the database file in clear.

mod common;

use aws_sdk_iam::types::StatusType;
use common::{err_of, TestServer, ACCOUNT};

const CODECOMMIT: &str = "codecommit.amazonaws.com";
const KEYSPACES: &str = "cassandra.amazonaws.com";

#[tokio::test]
async fn service_credentials_lifecycle() {
    let srv = TestServer::start().await;
    let root = srv.root();
    root.create_user().user_name("dev").send().await.unwrap();

    let created = root
        .create_service_specific_credential()
        .user_name("dev")
        .service_name(CODECOMMIT)
        .send()
        .await
        .unwrap()
        .service_specific_credential
        .unwrap();
    let id = created.service_specific_credential_id().to_owned();
    assert!(id.starts_with("ACCA") && id.len() == 21, "{id}");
    assert_eq!(created.service_user_name(), format!("dev-at-{ACCOUNT}"));
    assert_eq!(created.user_name(), "dev");
    assert_eq!(created.service_name(), CODECOMMIT);
    assert_eq!(created.status(), &StatusType::Active);
    let password = created.service_password().to_owned();
    assert_eq!(password.len(), 60);
    assert!(password.ends_with('='));
    // The account is read back from the id as from an access key id.
    let info = srv
        .sts(common::ROOT_KEY, common::ROOT_SECRET)
        .get_access_key_info()
        .access_key_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(info.account(), Some(ACCOUNT));

    let listed = root
        .list_service_specific_credentials()
        .user_name("dev")
        .send()
        .await
        .unwrap();
    let metadata = listed.service_specific_credentials();
    assert_eq!(metadata.len(), 1);
    assert_eq!(metadata[0].service_specific_credential_id(), id);
    assert!(
        !format!("{listed:?}").contains(&password),
        "no password in listings"
    );

    // Two per service; another service has its own two.
    let second = root
        .create_service_specific_credential()
        .user_name("dev")
        .service_name(CODECOMMIT)
        .send()
        .await
        .unwrap()
        .service_specific_credential
        .unwrap();
    let third = err_of(
        root.create_service_specific_credential()
            .user_name("dev")
            .service_name(CODECOMMIT)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        third,
        (
            "LimitExceeded".into(),
            "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: 2".into(),
            409
        )
    );
    root.create_service_specific_credential()
        .user_name("dev")
        .service_name(KEYSPACES)
        .send()
        .await
        .unwrap();
    let codecommit_only = root
        .list_service_specific_credentials()
        .user_name("dev")
        .service_name(CODECOMMIT)
        .send()
        .await
        .unwrap();
    assert_eq!(codecommit_only.service_specific_credentials().len(), 2);

    // Paging.
    let page = root
        .list_service_specific_credentials()
        .user_name("dev")
        .max_items(2)
        .send()
        .await
        .unwrap();
    assert_eq!(page.service_specific_credentials().len(), 2);
    assert!(page.is_truncated());
    let rest = root
        .list_service_specific_credentials()
        .user_name("dev")
        .marker(page.marker().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.service_specific_credentials().len(), 1);
    assert!(!rest.is_truncated());

    // Deactivate, reset (a new password, the status kept), delete.
    root.update_service_specific_credential()
        .user_name("dev")
        .service_specific_credential_id(&id)
        .status(StatusType::Inactive)
        .send()
        .await
        .unwrap();
    let reset = root
        .reset_service_specific_credential()
        .user_name("dev")
        .service_specific_credential_id(&id)
        .send()
        .await
        .unwrap()
        .service_specific_credential
        .unwrap();
    assert_ne!(reset.service_password(), password);
    assert_eq!(reset.status(), &StatusType::Inactive);

    // DeleteUser waits for every credential to go.
    let (code, message, status) = err_of(
        root.delete_user()
            .user_name("dev")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (code.as_str(), status),
        ("DeleteConflict", 409),
        "{message}"
    );
    for c in root
        .list_service_specific_credentials()
        .user_name("dev")
        .send()
        .await
        .unwrap()
        .service_specific_credentials()
    {
        root.delete_service_specific_credential()
            .user_name("dev")
            .service_specific_credential_id(c.service_specific_credential_id())
            .send()
            .await
            .unwrap();
    }
    let _ = second;
    root.delete_user().user_name("dev").send().await.unwrap();
    let raw = std::fs::read(srv.data_dir.join("iamd.sqlite3")).unwrap_or_default();
    let text = String::from_utf8_lossy(&raw);
    assert!(
        !text.contains(&password),
        "no password in the database file in clear"
    );
}

#[tokio::test]
async fn service_credential_errors_are_aws_s() {
    let srv = TestServer::start().await;
    let root = srv.root();
    root.create_user().user_name("dev").send().await.unwrap();
    let missing_user = err_of(
        root.create_service_specific_credential()
            .user_name("nobody")
            .service_name("nonexistentservice.amazonaws.com")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        missing_user,
        (
            "NoSuchEntity".into(),
            "The user with name nobody cannot be found.".into(),
            404
        )
    );
    for service in ["lambda.amazonaws.com", "o3on3n3onosneo"] {
        let e = err_of(
            root.create_service_specific_credential()
                .user_name("dev")
                .service_name(service)
                .send()
                .await
                .unwrap_err(),
        );
        assert_eq!(
            e,
            (
                "NoSuchEntity".into(),
                format!("No such service {service} is supported for Service Specific Credentials"),
                404
            )
        );
    }
    let e = err_of(
        root.delete_service_specific_credential()
            .user_name("dev")
            .service_specific_credential_id("satisfiesregexbutstillinvalid")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "NoSuchEntity".into(),
            "No such credential satisfiesregexbutstillinvalid exists".into(),
            404
        )
    );
    // The model's pattern: a hyphen is not a word character.
    let e = err_of(
        root.reset_service_specific_credential()
            .user_name("dev")
            .service_specific_credential_id("totally-wrong-credential-id-with-hyphens")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!((e.0.as_str(), e.2), ("ValidationError", 400));
}

/// Without `UserName`, a user manages its own credentials (with a policy that allows it);
/// another user's are out of reach.
#[tokio::test]
async fn a_user_manages_its_own_credentials() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("self").await;
    srv.root()
        .create_user()
        .user_name("other")
        .send()
        .await
        .unwrap();
    srv.root()
        .put_user_policy()
        .user_name("self")
        .policy_name("own")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*ServiceSpecificCredential*","Resource":"arn:aws:iam::*:user/${aws:username}"}]}"#,
        )
        .send()
        .await
        .unwrap();
    let me = srv.iam(&key, &secret);
    let created = me
        .create_service_specific_credential()
        .user_name("self")
        .service_name(CODECOMMIT)
        .send()
        .await
        .unwrap()
        .service_specific_credential
        .unwrap();
    let mine = me.list_service_specific_credentials().send().await.unwrap();
    assert_eq!(mine.service_specific_credentials().len(), 1);
    me.update_service_specific_credential()
        .service_specific_credential_id(created.service_specific_credential_id())
        .status(StatusType::Inactive)
        .send()
        .await
        .unwrap();
    let (code, _, status) = err_of(
        me.create_service_specific_credential()
            .user_name("other")
            .service_name(CODECOMMIT)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!((code.as_str(), status), ("AccessDenied", 403));
}
