//! HTTPS (`iamd serve --tls-cert --tls-key`) with real clients: aws-sdk-iam and aws-sdk-sts
//! trusting a private CA, over HTTP/2 and HTTP/1.1; raw rustls clients for ALPN; a plain-HTTP
//! client and a silent client on the TLS port; certificate reload.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use common::*;
use iamd::TlsFiles;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{pem::PemObject, CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A private CA and a server certificate it signed for `localhost` and 127.0.0.1, in PEM.
struct Pki {
    ca_pem: String,
    cert_pem: String,
    key_pem: String,
}

impl Pki {
    fn new(name: &str) -> Pki {
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, format!("iamd test CA {name}"));
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("CA key"))
            .expect("CA certificate");
        let mut server =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .expect("server params");
        server
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        let key = KeyPair::generate().expect("server key");
        let cert = server.signed_by(&key, &ca).expect("server certificate");
        Pki {
            ca_pem: ca.pem(),
            // The chain as operators deploy it: the server's certificate, then the CA's.
            cert_pem: format!("{}{}", cert.pem(), ca.pem()),
            key_pem: key.serialize_pem(),
        }
    }

    /// Writes the chain and key into `dir` (overwriting) and returns their paths.
    fn write(&self, dir: &Path) -> TlsFiles {
        let files = TlsFiles::new(dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&files.cert, &self.cert_pem).expect("write cert");
        std::fs::write(&files.key, &self.key_pem).expect("write key");
        files
    }
}

/// An HTTPS client for the SDKs that trusts `ca_pem` alone (no system roots).
fn https_client(ca_pem: &str) -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .tls_context(
            TlsContext::builder()
                .with_trust_store(TrustStore::empty().with_pem_certificate(ca_pem.as_bytes()))
                .build()
                .expect("TLS context"),
        )
        .build_https()
}

fn iam(endpoint: &str, ca_pem: &str) -> aws_sdk_iam::Client {
    let config = aws_sdk_iam::Config::builder()
        .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
        .region(aws_sdk_iam::config::Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(ROOT_KEY, ROOT_SECRET, None, None, "test"))
        .http_client(https_client(ca_pem))
        // One attempt: a failure must show, not be retried away.
        .retry_config(aws_sdk_iam::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_iam::Client::from_conf(config)
}

fn sts(endpoint: &str, ca_pem: &str, key: &str, secret: &str) -> aws_sdk_sts::Client {
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(key, secret, None, None, "test"))
        .http_client(https_client(ca_pem))
        .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

/// Starts iamd over TLS with a fresh CA; returns the server, the CA and the files' folder.
async fn tls_server(http2: bool) -> (TestServer, Pki, PathBuf) {
    let pki = Pki::new("one");
    let dir = temp_dir("tls");
    let mut files = pki.write(&dir);
    files.http2 = http2;
    let server = TestServer::start_tls(files).await;
    assert!(server.endpoint().starts_with("https://127.0.0.1:"));
    (server, pki, dir)
}

/// A raw rustls handshake offering `alpn`, trusting `ca_pem`: the protocol the server chose.
async fn handshake(
    addr: std::net::SocketAddr,
    ca_pem: &str,
    alpn: &[&[u8]],
) -> std::io::Result<(tokio_rustls::client::TlsStream<TcpStream>, Option<Vec<u8>>)> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.expect("CA PEM")).expect("CA certificate");
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let tcp = TcpStream::connect(addr).await?;
    let stream = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").expect("name"), tcp)
        .await?;
    let chosen = stream.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
    Ok((stream, chosen))
}

/// IAM and STS calls through the SDKs over HTTPS, each with its own checks.
async fn exercise_sdks(server: &TestServer, ca_pem: &str, tag: &str) {
    let endpoint = server.endpoint();
    let iam = iam(&endpoint, ca_pem);
    let name = format!("tls-{tag}");
    let user = iam
        .create_user()
        .user_name(&name)
        .send()
        .await
        .expect("CreateUser over HTTPS")
        .user
        .expect("user");
    assert_eq!(user.user_name, name);
    let key = iam
        .create_access_key()
        .user_name(&name)
        .send()
        .await
        .expect("CreateAccessKey over HTTPS")
        .access_key
        .expect("key");
    let listed = iam.list_users().send().await.expect("ListUsers over HTTPS");
    assert!(listed.users.iter().any(|u| u.user_name == name));

    let root = sts(&endpoint, ca_pem, ROOT_KEY, ROOT_SECRET)
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity over HTTPS");
    assert_eq!(root.account.as_deref(), Some(ACCOUNT));
    let caller = sts(
        &endpoint,
        ca_pem,
        &key.access_key_id,
        &key.secret_access_key,
    )
    .get_caller_identity()
    .send()
    .await
    .expect("GetCallerIdentity as the new user");
    assert_eq!(
        caller.arn.as_deref(),
        Some(format!("arn:aws:iam::{ACCOUNT}:user/{name}").as_str())
    );
    // Several calls at once on one client (streams of one HTTP/2 connection, or a pool of
    // HTTP/1.1 connections).
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (iam, name) = (iam.clone(), name.clone());
        calls.spawn(async move { iam.get_user().user_name(name).send().await });
    }
    while let Some(got) = calls.join_next().await {
        let got = got.expect("task").expect("GetUser");
        assert_eq!(got.user.expect("user").user_name, name);
    }
}

#[tokio::test]
async fn sdks_call_iam_and_sts_over_https_with_http2() {
    let (server, pki, _dir) = tls_server(true).await;
    // The SDK offers h2 and http/1.1 by ALPN, as this handshake does; the server picks h2,
    // so the SDK speaks HTTP/2.
    let (_, chosen) = handshake(server.running.addr, &pki.ca_pem, &[b"h2", b"http/1.1"])
        .await
        .expect("handshake");
    assert_eq!(chosen.as_deref(), Some(&b"h2"[..]));
    exercise_sdks(&server, &pki.ca_pem, "h2").await;
    server.running.shutdown().await;
}

#[tokio::test]
async fn sdks_call_iam_and_sts_over_https_with_http1() {
    let (server, pki, _dir) = tls_server(false).await;
    // `--http2 off`: the server offers http/1.1 alone, so the same SDK speaks HTTP/1.1.
    let (_, chosen) = handshake(server.running.addr, &pki.ca_pem, &[b"h2", b"http/1.1"])
        .await
        .expect("handshake");
    assert_eq!(chosen.as_deref(), Some(&b"http/1.1"[..]));
    exercise_sdks(&server, &pki.ca_pem, "h1").await;
    server.running.shutdown().await;
}

/// Sends an HTTP/1.1 request over `stream` and returns the response text.
async fn http1_over<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut stream: S,
) -> String {
    stream
        .write_all(
            b"GET /?Action=ListUsers HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        )
        .await
        .expect("write");
    let mut buf = Vec::new();
    // rustls reports a peer that closes without close_notify as an error; hyper sends one.
    stream.read_to_end(&mut buf).await.expect("read");
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test]
async fn a_client_without_alpn_is_served_http1() {
    let (server, pki, _dir) = tls_server(true).await;
    // As `openssl s_client` and older clients do: no ALPN at all.
    let (stream, chosen) = handshake(server.running.addr, &pki.ca_pem, &[])
        .await
        .expect("handshake");
    assert_eq!(chosen, None);
    let response = http1_over(stream).await;
    assert!(response.starts_with("HTTP/1.1 403 "), "{response}");
    assert!(
        response.contains("<Code>MissingAuthenticationToken</Code>"),
        "{response}"
    );

    let (stream, chosen) = handshake(server.running.addr, &pki.ca_pem, &[b"http/1.1"])
        .await
        .expect("handshake");
    assert_eq!(chosen.as_deref(), Some(&b"http/1.1"[..]));
    let response = http1_over(stream).await;
    assert!(response.starts_with("HTTP/1.1 403 "), "{response}");
    server.running.shutdown().await;
}

#[tokio::test]
async fn plain_http_to_the_tls_port_fails_cleanly() {
    let (server, pki, _dir) = tls_server(true).await;
    let addr = server.running.addr;
    // A raw plain-HTTP request: the server answers with a TLS alert record and closes; no
    // HTTP response, no hang.
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut buf))
        .await
        .expect("closed at once")
        .expect("read");
    assert_eq!(buf.first(), Some(&0x15), "a TLS alert record, got {buf:?}");
    assert!(!String::from_utf8_lossy(&buf).contains("HTTP/"));

    // The SDK pointed at http:// on the TLS port: an error, not a hang.
    let plain = iam_client(&format!("http://{addr}"), ROOT_KEY, ROOT_SECRET);
    let result = tokio::time::timeout(Duration::from_secs(20), plain.list_users().send())
        .await
        .expect("the SDK gives up rather than hangs");
    assert!(result.is_err(), "plain HTTP must not be served: {result:?}");

    // The server is unharmed.
    iam(&server.endpoint(), &pki.ca_pem)
        .list_users()
        .send()
        .await
        .expect("HTTPS still served");
    server.running.shutdown().await;
}

#[tokio::test]
async fn a_client_that_sends_nothing_is_disconnected_after_the_handshake_timeout() {
    let (server, _pki, _dir) = tls_server(true).await;
    let started = Instant::now();
    let mut tcp = TcpStream::connect(server.running.addr)
        .await
        .expect("connect");
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(30), tcp.read(&mut buf))
        .await
        .expect("disconnected before 30 s");
    let waited = started.elapsed();
    // Closed (EOF, or a reset), with nothing sent.
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    assert!(
        waited >= iamd::tls::HANDSHAKE_TIMEOUT - Duration::from_millis(100)
            && waited < iamd::tls::HANDSHAKE_TIMEOUT + Duration::from_secs(5),
        "disconnected after {waited:?}"
    );
    server.running.shutdown().await;
}

#[tokio::test]
async fn reload_swaps_the_certificate_and_keeps_the_old_one_if_the_new_is_bad() {
    let (server, first, dir) = tls_server(true).await;
    let endpoint = server.endpoint();
    iam(&endpoint, &first.ca_pem)
        .list_users()
        .send()
        .await
        .expect("the first CA is trusted");
    let second = Pki::new("two");
    let untrusted = iam(&endpoint, &second.ca_pem).list_users().send().await;
    assert!(
        untrusted.is_err(),
        "a client trusting only the second CA fails before reload"
    );

    // A broken pair (the new certificate with the old key) is refused; the old pair stays.
    std::fs::write(dir.join("cert.pem"), &second.cert_pem).expect("write");
    let refused = server.running.reload_tls();
    assert!(
        matches!(&refused, Err(e) if e.to_string().contains("cannot be used together")),
        "{refused:?}"
    );
    iam(&endpoint, &first.ca_pem)
        .list_users()
        .send()
        .await
        .expect("the old certificate is still served");
    std::fs::write(dir.join("key.pem"), "not a key").expect("write");
    assert!(server.running.reload_tls().is_err());

    second.write(&dir);
    server.running.reload_tls().expect("the new pair loads");
    iam(&endpoint, &second.ca_pem)
        .list_users()
        .send()
        .await
        .expect("a client trusting only the second CA succeeds after reload");
    let old = iam(&endpoint, &first.ca_pem).list_users().send().await;
    assert!(
        old.is_err(),
        "the first CA no longer vouches for the server"
    );
    server.running.shutdown().await;
}

#[tokio::test]
async fn unusable_tls_files_stop_start_up() {
    let dir = temp_dir("tls-bad");
    let pki = Pki::new("bad");
    let files = pki.write(&dir);
    let start = |tls: TlsFiles| async {
        iamd::start(iamd::Config {
            tls: Some(tls),
            ..test_config(temp_dir("tls-bad-data"))
        })
        .await
        .err()
        .map(|e| e.to_string())
    };
    let missing = start(TlsFiles::new(dir.join("nope.pem"), &files.key)).await;
    assert!(
        missing.as_deref().is_some_and(|e| e.contains("nope.pem")),
        "{missing:?}"
    );
    let other_key = dir.join("other-key.pem");
    std::fs::write(&other_key, Pki::new("other").key_pem).expect("write");
    let mismatched = start(TlsFiles::new(&files.cert, &other_key)).await;
    assert!(
        mismatched
            .as_deref()
            .is_some_and(|e| e.contains("cannot be used together")),
        "{mismatched:?}"
    );
    // A key file holding a certificate only.
    let no_key = start(TlsFiles::new(&files.cert, &files.cert)).await;
    assert!(
        no_key.as_deref().is_some_and(|e| e.contains("private key")),
        "{no_key:?}"
    );
}

/// The binary as an operator runs it: `IAMD_TLS_CERT`/`IAMD_TLS_KEY`, the printed
/// `https://` address, SIGHUP reloading the pair (or logging why not), SIGTERM.
#[tokio::test]
async fn the_binary_serves_https_and_reloads_on_sighup() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let dir = temp_dir("tls-bin");
    let first = Pki::new("bin-one");
    let files = first.write(&dir);
    let mut child = Command::new(env!("CARGO_BIN_EXE_iamd"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.join("data"))
        .env("IAMD_TLS_CERT", &files.cert)
        .env("IAMD_TLS_KEY", &files.key)
        .env("IAMD_ROOT_ACCESS_KEY_ID", ROOT_KEY)
        .env("IAMD_ROOT_SECRET_ACCESS_KEY", ROOT_SECRET)
        .env("IAMD_ACCOUNT_ID", ACCOUNT)
        .env("IAMD_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn iamd");
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let endpoint = stdout
        .lines()
        .map_while(Result::ok)
        .find_map(|l| {
            l.strip_prefix("iamd: listening on ")
                .map(|r| r.split_whitespace().next().unwrap_or_default().to_owned())
        })
        .expect("the listening line");
    assert!(endpoint.starts_with("https://127.0.0.1:"), "{endpoint}");
    // The log, line by line, to wait for each reload's outcome.
    let (log_tx, log) = std::sync::mpsc::channel::<String>();
    let stderr = BufReader::new(child.stderr.take().expect("stderr"));
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if log_tx.send(line).is_err() {
                break;
            }
        }
    });
    let hangup_and_wait_for = |needle: &str| {
        let ok = Command::new("kill")
            .args(["-HUP", &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(ok.success());
        loop {
            let line = log
                .recv_timeout(Duration::from_secs(20))
                .expect("a log line about the reload");
            if line.contains(needle) {
                return;
            }
        }
    };
    iam(&endpoint, &first.ca_pem)
        .list_users()
        .send()
        .await
        .expect("HTTPS with the first CA");

    std::fs::write(&files.key, "garbage").expect("write");
    hangup_and_wait_for("TLS certificate not reloaded");
    iam(&endpoint, &first.ca_pem)
        .list_users()
        .send()
        .await
        .expect("the old pair is kept after a bad reload");

    let second = Pki::new("bin-two");
    second.write(&dir);
    hangup_and_wait_for("TLS certificate reloaded");
    iam(&endpoint, &second.ca_pem)
        .list_users()
        .send()
        .await
        .expect("a client trusting only the new CA succeeds after SIGHUP");

    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(ok.success());
    // Waited for off the runtime: the clients' connections must stay able to answer the
    // server's GOAWAY while it drains.
    let stopped = Instant::now();
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("join")
        .expect("wait");
    assert!(status.success());
    assert!(
        stopped.elapsed() < Duration::from_secs(5),
        "stopped in {:?}",
        stopped.elapsed()
    );
}

/// HTTP/2 has no header read timeout: an HTTP/2 connection with no request in flight is
/// sent a GOAWAY after the idle limit (HTTP/1.1's header timeout), and one that never
/// sent the HTTP/2 preface is dropped 5 s later.
#[tokio::test]
async fn an_idle_http2_connection_is_closed() {
    let (server, pki, _dir) = tls_server(true).await;
    let addr = server.running.addr;
    let started = Instant::now();
    let silent = tokio::spawn({
        let ca = pki.ca_pem.clone();
        async move {
            let (mut stream, chosen) = handshake(addr, &ca, &[b"h2"]).await.expect("handshake");
            assert_eq!(chosen.as_deref(), Some(&b"h2"[..]));
            // No preface: read whatever comes (the server's SETTINGS) until the close.
            let mut buf = Vec::new();
            let _ = tokio::time::timeout(Duration::from_secs(90), stream.read_to_end(&mut buf))
                .await
                .expect("dropped within 90 s");
            started.elapsed()
        }
    });
    let (mut stream, _) = handshake(addr, &pki.ca_pem, &[b"h2"])
        .await
        .expect("handshake");
    // The client preface and an empty SETTINGS frame, then nothing.
    stream
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .await
        .expect("preface");
    let mut pending = Vec::new();
    let goaway_after = loop {
        let mut buf = [0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(60), stream.read(&mut buf))
            .await
            .expect("a GOAWAY within 60 s")
            .expect("read");
        assert!(n > 0, "closed without a GOAWAY");
        pending.extend_from_slice(&buf[..n]);
        let mut frames = &pending[..];
        let mut goaway = false;
        // Frames: 3-byte length, type, flags, 4-byte stream id, payload.
        while frames.len() >= 9 {
            let len = u32::from_be_bytes([0, frames[0], frames[1], frames[2]]) as usize;
            if frames.len() < 9 + len {
                break;
            }
            goaway |= frames[3] == 0x7;
            frames = &frames[9 + len..];
        }
        if goaway {
            break started.elapsed();
        }
        pending = frames.to_vec();
    };
    let idle = iamd::server::Limits::default().header_timeout;
    assert!(
        goaway_after >= idle - Duration::from_secs(1)
            && goaway_after < idle + Duration::from_secs(10),
        "GOAWAY after {goaway_after:?}"
    );
    let dropped_after = silent.await.expect("silent client");
    assert!(
        dropped_after >= idle + Duration::from_secs(4)
            && dropped_after < idle + Duration::from_secs(15),
        "the client without a preface was dropped after {dropped_after:?}"
    );
    server.running.shutdown().await;
}
