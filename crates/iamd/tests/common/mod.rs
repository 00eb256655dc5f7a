//! A running iamd for tests, and real AWS SDK clients pointed at it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use aws_credential_types::Credentials;
use iamd::server::{Config, Limits, Running};
use iamd_core::secret::{Keyring, SecretKey};

pub const ACCOUNT: &str = "123456789012";
pub const ROOT_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
pub const ROOT_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
/// The self-service policy of AWS's documentation: manage your own access keys.
pub const SELF_SERVICE_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "ManageOwnAccessKeys",
    "Effect": "Allow",
    "Action": "iam:*AccessKey*",
    "Resource": "arn:aws:iam::*:user/${aws:username}"
  }]
}"#;

/// Any region works: clients sign with their configured one when given an endpoint.
pub const REGION: &str = "eu-west-1";

/// A fresh, empty data directory (removed when the test process ends is not needed: the
/// OS temp dir is scratch space).
pub fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "iamd-test-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

pub struct TestServer {
    pub running: Running,
    pub data_dir: PathBuf,
}

impl TestServer {
    /// Starts iamd on SQLite, or on a fresh PostgreSQL schema when `IAMD_TEST_STORE=postgres`
    /// (so the same client tests run on both backends; `scripts/test` does both).
    pub async fn start() -> TestServer {
        Self::start_with(true).await
    }

    /// `authorization: false` is `iamd serve --authorization off`.
    pub async fn start_with(authorization: bool) -> TestServer {
        Self::start_config(authorization, None, Limits::default()).await
    }

    pub async fn start_with_limits(authorization: bool, limits: Limits) -> TestServer {
        Self::start_config(authorization, None, limits).await
    }

    /// Serves HTTPS with this certificate chain and key.
    pub async fn start_tls(tls: iamd::TlsFiles) -> TestServer {
        Self::start_config(true, Some(tls), Limits::default()).await
    }

    async fn start_config(
        authorization: bool,
        tls: Option<iamd::TlsFiles>,
        limits: Limits,
    ) -> TestServer {
        let data_dir = temp_dir("srv");
        let database_url = match std::env::var("IAMD_TEST_STORE").as_deref() {
            Ok("postgres") => {
                let base = iamd_store_postgres::testing::database()
                    .await
                    .expect("IAMD_TEST_STORE=postgres, but no PostgreSQL server is reachable");
                let schema = iamd_store_postgres::testing::fresh_schema(&base).await;
                Some(iamd_store_postgres::testing::with_schema(&base, &schema))
            }
            _ => None,
        };
        // PostgreSQL needs a master key given; on SQLite iamd makes its own in the data
        // directory (`master.key`), as `iamd serve` does when given none.
        let keyring = database_url
            .is_some()
            .then(|| std::sync::Arc::new(Keyring::generate()));
        let config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: data_dir.clone(),
            database_url,
            account_id: Some(ACCOUNT.into()),
            root_key: Some((ROOT_KEY.into(), SecretKey::new(ROOT_SECRET.into()))),
            authorization,
            limits,
            keyring,
            tls,
        };
        let running = iamd::start(config).await.expect("iamd starts");
        TestServer { running, data_dir }
    }

    pub fn endpoint(&self) -> String {
        self.running.endpoint()
    }

    pub fn root(&self) -> aws_sdk_iam::Client {
        self.iam(ROOT_KEY, ROOT_SECRET)
    }

    pub fn iam(&self, key: &str, secret: &str) -> aws_sdk_iam::Client {
        iam_client(&self.endpoint(), key, secret)
    }

    pub fn sts(&self, key: &str, secret: &str) -> aws_sdk_sts::Client {
        self.sts_session(key, secret, None)
    }

    /// An STS client, with a session token when given one.
    pub fn sts_session(&self, key: &str, secret: &str, token: Option<&str>) -> aws_sdk_sts::Client {
        sts_client(&self.endpoint(), key, secret, token)
    }

    /// Gives `name` the classic self-service policy: its own access keys, nothing else.
    pub async fn allow_self_service(&self, name: &str) {
        self.root()
            .put_user_policy()
            .user_name(name)
            .policy_name("self-service")
            .policy_document(SELF_SERVICE_POLICY)
            .send()
            .await
            .expect("put self-service policy");
    }

    /// Gives `name` an inline policy allowing `action` on every resource.
    pub async fn allow(&self, name: &str, action: &str) {
        let document = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
        );
        self.root()
            .put_user_policy()
            .user_name(name)
            .policy_name(action.replace([':', '*'], "-"))
            .policy_document(document)
            .send()
            .await
            .expect("put policy");
    }

    /// Creates a user with one access key and returns (key id, secret).
    pub async fn user_with_key(&self, name: &str) -> (String, String) {
        let root = self.root();
        root.create_user()
            .user_name(name)
            .send()
            .await
            .expect("create user");
        let key = root
            .create_access_key()
            .user_name(name)
            .send()
            .await
            .expect("create key");
        let key = key.access_key.expect("access key");
        (key.access_key_id, key.secret_access_key)
    }
}

pub fn iam_client(endpoint: &str, key: &str, secret: &str) -> aws_sdk_iam::Client {
    iam_session_client(endpoint, key, secret, None)
}

pub fn iam_session_client(
    endpoint: &str,
    key: &str,
    secret: &str,
    token: Option<&str>,
) -> aws_sdk_iam::Client {
    let config = aws_sdk_iam::Config::builder()
        .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
        .region(aws_sdk_iam::config::Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(
            key,
            secret,
            token.map(str::to_owned),
            None,
            "test",
        ))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_iam::Client::from_conf(config)
}

/// The AWS error code, message and HTTP status of a failed SDK call.
pub fn err_of<E, R>(e: aws_sdk_iam::error::SdkError<E, R>) -> (String, String, u16)
where
    E: aws_sdk_iam::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug + HasStatus,
{
    match e {
        aws_sdk_iam::error::SdkError::ServiceError(se) => {
            let status = se.raw().status_code();
            let err = se.err();
            (
                err.code().unwrap_or_default().to_owned(),
                err.message().unwrap_or_default().to_owned(),
                status,
            )
        }
        other => panic!("expected a service error, got {other:?}"),
    }
}

pub trait HasStatus {
    fn status_code(&self) -> u16;
}

impl HasStatus for aws_smithy_runtime_api::http::Response {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}

/// Sends raw bytes to the server and returns (status, body).
pub async fn raw_http(addr: std::net::SocketAddr, request: &[u8]) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(request).await.expect("write");
    let mut buf = Vec::new();
    // The request asks for `Connection: close`, so the server ends the stream.
    s.read_to_end(&mut buf).await.expect("read");
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// An STS client for `endpoint`, with a session token when given one.
pub fn sts_client(
    endpoint: &str,
    key: &str,
    secret: &str,
    token: Option<&str>,
) -> aws_sdk_sts::Client {
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(
            key,
            secret,
            token.map(str::to_owned),
            None,
            "test",
        ))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_sts::Client::from_conf(config)
}
