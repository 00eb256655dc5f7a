//! STS session credentials (GetSessionToken) with the real aws-sdk-sts and aws-sdk-iam.

mod common;

use aws_sdk_iam::types::StatusType;
use common::{err_of, iam_session_client, TestServer, ACCOUNT, ROOT_KEY, ROOT_SECRET};
use iamd_core::secret::SecretKey;
use iamd_core::session::{self, Issuer, SessionClaims};

fn sts_err<E, R>(e: aws_sdk_sts::error::SdkError<E, R>) -> (String, String, u16)
where
    E: aws_sdk_sts::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
    aws_sdk_sts::error::SdkError<E, R>: std::fmt::Debug,
{
    match e {
        aws_sdk_sts::error::SdkError::ServiceError(se) => {
            let err = se.err();
            (
                err.code().unwrap_or_default().to_owned(),
                err.message().unwrap_or_default().to_owned(),
                0,
            )
        }
        other => panic!("expected a service error, got {other:?}"),
    }
}

#[tokio::test]
async fn session_round_trip_and_tampered_token() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("sam").await;
    let out = srv
        .sts(&key, &secret)
        .get_session_token()
        .send()
        .await
        .unwrap();
    let creds = out.credentials().unwrap();
    assert!(creds.access_key_id().starts_with("ASIA") && creds.access_key_id().len() == 20);
    assert_eq!(creds.secret_access_key().len(), 40);
    assert!(!creds.session_token().is_empty());
    let lifetime = creds.expiration().secs()
        - std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
    assert!(
        (43_100..=43_200).contains(&lifetime),
        "default is 12 hours, got {lifetime}s"
    );

    let temp = srv.sts_session(
        creds.access_key_id(),
        creds.secret_access_key(),
        Some(creds.session_token()),
    );
    let me = temp.get_caller_identity().send().await.unwrap();
    assert_eq!(
        me.arn(),
        Some(format!("arn:aws:iam::{ACCOUNT}:user/sam").as_str())
    );
    assert!(me.user_id().unwrap().starts_with("AIDA"));

    // Change one character of the token: refused.
    let mut tampered = creds.session_token().to_owned();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let bad = srv.sts_session(
        creds.access_key_id(),
        creds.secret_access_key(),
        Some(&tampered),
    );
    let e = sts_err(bad.get_caller_identity().send().await.unwrap_err());
    assert_eq!(e.0, "InvalidClientTokenId");
    assert_eq!(e.1, "The security token included in the request is invalid");

    // A real token presented with another session's key id: refused.
    let other = srv
        .sts(&key, &secret)
        .get_session_token()
        .send()
        .await
        .unwrap();
    let other = other.credentials().unwrap();
    let mixed = srv.sts_session(
        other.access_key_id(),
        other.secret_access_key(),
        Some(creds.session_token()),
    );
    assert_eq!(
        sts_err(mixed.get_caller_identity().send().await.unwrap_err()).0,
        "InvalidClientTokenId"
    );

    // Without MFA, session credentials cannot call IAM.
    let iam = iam_session_client(
        &srv.endpoint(),
        creds.access_key_id(),
        creds.secret_access_key(),
        Some(creds.session_token()),
    );
    let e = err_of(iam.list_access_keys().send().await.unwrap_err());
    assert_eq!(
        e,
        (
            "InvalidClientTokenId".into(),
            "The security token included in the request is invalid".into(),
            403
        )
    );

    // Nor GetSessionToken again.
    let e = sts_err(temp.get_session_token().send().await.unwrap_err());
    assert_eq!(e.0, "AccessDenied");
    assert_eq!(e.1, "Cannot call GetSessionToken with session credentials");
}

#[tokio::test]
async fn durations_are_bounded() {
    let srv = TestServer::start().await;
    let root = srv.sts(ROOT_KEY, ROOT_SECRET);
    let out = root
        .get_session_token()
        .duration_seconds(7200)
        .send()
        .await
        .unwrap();
    let exp = out.credentials().unwrap().expiration().secs();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (3_500..=3_600).contains(&(exp - now)),
        "root sessions last at most an hour"
    );
    let e = sts_err(
        root.get_session_token()
            .duration_seconds(100)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "ValidationError");
    assert_eq!(e.1, "1 validation error detected: Value '100' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900");
    let e = sts_err(
        root.get_session_token()
            .duration_seconds(129_601)
            .send()
            .await
            .unwrap_err(),
    );
    assert!(
        e.1.contains("Member must have value less than or equal to 129600"),
        "{}",
        e.1
    );
}

#[tokio::test]
async fn deactivating_the_parent_key_ends_its_sessions() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("tia").await;
    let out = srv
        .sts(&key, &secret)
        .get_session_token()
        .send()
        .await
        .unwrap();
    let c = out.credentials().unwrap();
    let temp = srv.sts_session(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
    );
    temp.get_caller_identity().send().await.unwrap();
    let root = srv.root();
    root.update_access_key()
        .user_name("tia")
        .access_key_id(&key)
        .status(StatusType::Inactive)
        .send()
        .await
        .unwrap();
    assert_eq!(
        sts_err(temp.get_caller_identity().send().await.unwrap_err()).0,
        "InvalidClientTokenId"
    );
    root.update_access_key()
        .user_name("tia")
        .access_key_id(&key)
        .status(StatusType::Active)
        .send()
        .await
        .unwrap();
    temp.get_caller_identity().send().await.unwrap();
    root.delete_access_key()
        .user_name("tia")
        .access_key_id(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        sts_err(temp.get_caller_identity().send().await.unwrap_err()).0,
        "InvalidClientTokenId"
    );
}

#[tokio::test]
async fn an_expired_session_is_expired_token() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("uma").await;
    // A genuine token (made with the parent's secret, as the server makes them) that expired
    // a minute ago: the test cannot wait out the 15-minute minimum.
    let claims = SessionClaims {
        access_key_id: "ASIAEXPIREDEXPIRED00".into(),
        issuer: Issuer::AccessKey {
            parent_access_key_id: key.clone(),
        },
        expiration: time::OffsetDateTime::now_utc() - time::Duration::minutes(1),
        mfa: None,
        nonce: "expired".into(),
    };
    let (token, session_secret) = session::mint(&SecretKey::new(secret), &claims);
    let temp = srv.sts_session(&claims.access_key_id, session_secret.expose(), Some(&token));
    let e = sts_err(temp.get_caller_identity().send().await.unwrap_err());
    assert_eq!(
        e,
        (
            "ExpiredToken".into(),
            "The security token included in the request is expired".into(),
            0
        )
    );
}

#[tokio::test]
async fn session_use_counts_as_use_of_the_parent_key() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("vic").await;
    let out = srv
        .sts(&key, &secret)
        .get_session_token()
        .send()
        .await
        .unwrap();
    let c = out.credentials().unwrap();
    srv.sts_session(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
    )
    .get_caller_identity()
    .send()
    .await
    .unwrap();
    let used = srv
        .root()
        .get_access_key_last_used()
        .access_key_id(&key)
        .send()
        .await
        .unwrap();
    let used = used.access_key_last_used().unwrap();
    assert_eq!(used.service_name(), "sts");
    assert_eq!(used.region(), common::REGION);
    // The temporary key is not an access key of the user.
    let listed = srv
        .root()
        .list_access_keys()
        .user_name("vic")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.access_key_metadata().len(), 1);
}

/// GetAccessKeyInfo reads the account out of the key id, as AWS does: for this server's
/// keys, for keys of an account it has never seen, and for keys that no longer exist. It
/// needs `sts:GetAccessKeyInfo`.
#[tokio::test]
async fn get_access_key_info_reads_the_account_from_the_id() {
    let srv = TestServer::start().await;
    let root = srv.sts(ROOT_KEY, ROOT_SECRET);
    let info = |id: String| {
        let root = root.clone();
        async move {
            root.get_access_key_info()
                .access_key_id(id)
                .send()
                .await
                .map(|o| o.account.unwrap_or_default())
        }
    };
    assert_eq!(info(ROOT_KEY.to_owned()).await.unwrap().len(), 12);
    let (key, secret) = srv.user_with_key("kay").await;
    assert_eq!(info(key.clone()).await.unwrap(), ACCOUNT);
    let foreign = iamd_core::ids::access_key_id("210987654321");
    assert_eq!(info(foreign).await.unwrap(), "210987654321");
    let session = iamd_core::ids::temporary_access_key_id("000000000007");
    assert_eq!(info(session).await.unwrap(), "000000000007");
    let (code, message, _) = sts_err(info("AKIA0189ABCDEFGH".to_owned()).await.unwrap_err());
    assert_eq!(code, "InvalidParameterValue");
    assert_eq!(message, "Access key ID AKIA0189ABCDEFGH is not valid.");

    // A user needs the permission, on any resource.
    let kay = srv.sts(&key, &secret);
    let (code, message, _) = sts_err(
        kay.get_access_key_info()
            .access_key_id(&key)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(code, "AccessDenied");
    assert!(message.contains("sts:GetAccessKeyInfo"), "{message}");
    srv.allow("kay", "sts:GetAccessKeyInfo").await;
    let out = kay
        .get_access_key_info()
        .access_key_id(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(out.account(), Some(ACCOUNT));
}
