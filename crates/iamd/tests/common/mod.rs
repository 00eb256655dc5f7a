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

/// The configuration tests start iamd with: on any free port, the test account, SQLite in
/// `data_dir`, no root key given (`TestServer` gives one); the rest `iamd serve`'s
/// defaults. A test sets what it needs with `..test_config(dir)`.
pub fn test_config(data_dir: PathBuf) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        account_id: Some(ACCOUNT.into()),
        ..Config::new(data_dir)
    }
}

/// What `TestServer::start_options` varies; the default is `iamd serve`'s.
pub struct StartOptions {
    /// `false` is `--authorization off`.
    pub authorization: bool,
    pub tls: Option<iamd::TlsFiles>,
    pub limits: Limits,
    pub audit: Option<iamd::AuditConfig>,
    /// `--mode emulator`.
    pub emulator: bool,
    pub metrics_listen: Option<std::net::SocketAddr>,
    pub oidc_ca_file: Option<PathBuf>,
}

impl Default for StartOptions {
    fn default() -> Self {
        StartOptions {
            authorization: true,
            tls: None,
            limits: Limits::default(),
            audit: None,
            emulator: false,
            metrics_listen: None,
            oidc_ca_file: None,
        }
    }
}

pub struct TestServer {
    pub running: Running,
    pub data_dir: PathBuf,
}

/// A virtual MFA device enabled for a user (`TestServer::enabled_mfa_device`): its Base32
/// seed, and the step whose code EnableMFADevice spent last (codes of later steps are
/// fresh).
pub struct EnabledMfaDevice {
    pub seed: String,
    pub step: i64,
    key: Vec<u8>,
}

impl EnabledMfaDevice {
    /// The device's TOTP code of `step`.
    pub fn code(&self, step: i64) -> String {
        format!("{:06}", iamd_core::mfa::totp(&self.key, step as u64))
    }
}

impl TestServer {
    /// Starts iamd on SQLite, or on a fresh PostgreSQL schema when `IAMD_TEST_STORE=postgres`
    /// (so the same client tests run on both backends; `scripts/test` does both).
    pub async fn start() -> TestServer {
        Self::start_with(true).await
    }

    /// `authorization: false` is `iamd serve --authorization off`.
    pub async fn start_with(authorization: bool) -> TestServer {
        Self::start_options(StartOptions {
            authorization,
            ..Default::default()
        })
        .await
    }

    pub async fn start_with_limits(authorization: bool, limits: Limits) -> TestServer {
        Self::start_options(StartOptions {
            authorization,
            limits,
            ..Default::default()
        })
        .await
    }

    /// Serves HTTPS with this certificate chain and key.
    pub async fn start_tls(tls: iamd::TlsFiles) -> TestServer {
        Self::start_options(StartOptions {
            tls: Some(tls),
            ..Default::default()
        })
        .await
    }

    /// Writes an audit log as `audit` says.
    pub async fn start_audited(audit: iamd::AuditConfig) -> TestServer {
        Self::start_options(StartOptions {
            audit: Some(audit),
            ..Default::default()
        })
        .await
    }

    /// `iamd serve --mode emulator` (authorization off, as it is there by default).
    pub async fn start_emulator() -> TestServer {
        Self::start_options(StartOptions {
            authorization: false,
            emulator: true,
            ..Default::default()
        })
        .await
    }

    /// `/metrics` on a listener of its own (`--metrics-listen 127.0.0.1:0`).
    pub async fn start_metrics_apart() -> TestServer {
        Self::start_options(StartOptions {
            metrics_listen: Some("127.0.0.1:0".parse().unwrap()),
            ..Default::default()
        })
        .await
    }

    /// Trusts the CA certificates in `ca` (PEM) for OIDC issuers (`--oidc-ca-file`).
    pub async fn start_oidc(ca: PathBuf) -> TestServer {
        Self::start_options(StartOptions {
            oidc_ca_file: Some(ca),
            ..Default::default()
        })
        .await
    }

    /// Starts iamd with `options` on a fresh data directory, on the backend
    /// `IAMD_TEST_STORE` names.
    pub async fn start_options(options: StartOptions) -> TestServer {
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
        let StartOptions {
            authorization,
            tls,
            limits,
            audit,
            emulator,
            metrics_listen,
            oidc_ca_file,
        } = options;
        let config = Config {
            database_url,
            root_key: Some((ROOT_KEY.into(), SecretKey::new(ROOT_SECRET.into()))),
            authorization,
            limits,
            keyring,
            tls,
            oidc_ca_file,
            audit,
            emulator,
            metrics_listen,
            ..test_config(data_dir.clone())
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

    /// Creates a virtual MFA device named `device` and enables it for `user` with the
    /// codes of the previous and the current step, as an authenticator app would.
    pub async fn enabled_mfa_device(&self, user: &str, device: &str) -> EnabledMfaDevice {
        let root = self.root();
        let created = root
            .create_virtual_mfa_device()
            .virtual_mfa_device_name(device)
            .send()
            .await
            .expect("create virtual MFA device")
            .virtual_mfa_device
            .expect("device");
        let seed = String::from_utf8(
            created
                .base32_string_seed()
                .expect("seed")
                .as_ref()
                .to_vec(),
        )
        .expect("Base32 text");
        let enabled = EnabledMfaDevice {
            key: iamd_core::mfa::base32_decode(&seed).expect("Base32"),
            seed,
            step: iamd_core::mfa::step_of(time::OffsetDateTime::now_utc()),
        };
        root.enable_mfa_device()
            .user_name(user)
            .serial_number(created.serial_number())
            .authentication_code1(enabled.code(enabled.step - 1))
            .authentication_code2(enabled.code(enabled.step))
            .send()
            .await
            .expect("enable MFA device");
        enabled
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

/// An `iamd serve` process on a data directory (as an operator runs it), with the test
/// account and root key.
pub struct ServeProcess {
    pub child: std::process::Child,
    pub endpoint: String,
}

/// A test that fails before `stop` leaves no server behind (it would hold the test
/// harness's stderr open).
impl Drop for ServeProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl ServeProcess {
    /// Starts `iamd serve` on `data_dir` with `extra` arguments, and waits for its
    /// "listening" line.
    // The child is stopped and waited for by `stop`.
    #[allow(clippy::zombie_processes)]
    pub fn spawn(data_dir: &std::path::Path, extra: &[&str]) -> ServeProcess {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_iamd"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(extra)
            .env("IAMD_LOG", "warn")
            .env("IAMD_ROOT_ACCESS_KEY_ID", ROOT_KEY)
            .env("IAMD_ROOT_SECRET_ACCESS_KEY", ROOT_SECRET)
            .env("IAMD_ACCOUNT_ID", ACCOUNT)
            .env_remove("IAMD_MASTER_KEY")
            .env_remove("IAMD_MASTER_KEY_FILE")
            .env_remove("IAMD_DATABASE_URL")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("spawn iamd serve");
        let mut reader = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        let mut seen = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).expect("read stdout") == 0 {
                let status = child.wait();
                panic!("iamd exited ({status:?}) before listening: {seen:?}");
            }
            if let Some(rest) = line.trim_end().strip_prefix("iamd: listening on ") {
                let endpoint = rest.split_whitespace().next().expect("address").to_owned();
                // Keep reading stdout so that the child never blocks on a full pipe.
                std::thread::spawn(move || {
                    let mut sink = String::new();
                    while reader.read_line(&mut sink).map(|n| n > 0).unwrap_or(false) {
                        sink.clear();
                    }
                });
                return ServeProcess { child, endpoint };
            }
            seen.push(line);
        }
    }

    pub fn root(&self) -> aws_sdk_iam::Client {
        iam_client(&self.endpoint, ROOT_KEY, ROOT_SECRET)
    }

    /// SIGTERM, then waits for a clean exit.
    pub fn stop(mut self) {
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(sent.success());
        assert!(self.child.wait().expect("wait").success(), "iamd exits 0");
    }
}

/// What an `iamd` tool command printed, and whether it succeeded.
pub struct ToolRun {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `iamd ARGS` (a tool: backup, restore, admin) to completion.
pub fn iamd_tool(args: &[&std::ffi::OsStr]) -> ToolRun {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_iamd"))
        .args(args)
        .env_remove("IAMD_MASTER_KEY")
        .env_remove("IAMD_MASTER_KEY_FILE")
        .env_remove("IAMD_DATABASE_URL")
        .env_remove("IAMD_DATA_DIR")
        .output()
        .expect("run iamd");
    ToolRun {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `iamd_tool` with string arguments and a data directory.
pub fn iamd_on(data_dir: &std::path::Path, args: &[&str]) -> ToolRun {
    let mut all: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    all.push(std::ffi::OsStr::new("--data-dir"));
    all.push(data_dir.as_os_str());
    iamd_tool(&all)
}
