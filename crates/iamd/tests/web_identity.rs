//! OIDC providers and AssumeRoleWithWebIdentity with aws-sdk-rust, against a local issuer
//! shaped like GitHub Actions': its own key pair, discovery document and JWKS served over
//! HTTPS on a loopback port, with a certificate from a private CA iamd is told to trust
//! (`--oidc-ca-file`).

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use bytes::Bytes;
use common::{err_of, TestServer, ACCOUNT};
use http_body_util::Full;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

const SUB: &str = "repo:org/app:ref:refs/heads/main";
const AUD: &str = "sts.amazonaws.com";

/// A token signer: an ECDSA P-256 key with a `kid`.
struct Signer {
    kid: String,
    key: KeyPair,
}

impl Signer {
    fn new(kid: &str) -> Signer {
        Signer {
            kid: kid.into(),
            key: KeyPair::generate().expect("key"),
        }
    }

    fn jwk(&self) -> serde_json::Value {
        let raw = self.key.public_key_raw();
        serde_json::json!({
            "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": self.kid,
            "x": URL_SAFE_NO_PAD.encode(&raw[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&raw[33..65]),
        })
    }

    fn sign(&self, kid: &str, claims: &serde_json::Value) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(kid.into());
        jsonwebtoken::encode(
            &header,
            claims,
            &EncodingKey::from_ec_der(&self.key.serialize_der()),
        )
        .expect("sign")
    }
}

/// The local issuer: `https://127.0.0.1:PORT`, serving its discovery document and key set
/// (or, while `hang` is set, never answering for the key set).
struct Issuer {
    url: String,
    hang: Arc<AtomicBool>,
    jwks_fetches: Arc<std::sync::atomic::AtomicUsize>,
}

async fn issuer(ca: &CertifiedIssuer<'static, KeyPair>, keys: serde_json::Value) -> Issuer {
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("params");
    params.distinguished_name.push(DnType::CommonName, "issuer");
    let key = KeyPair::generate().expect("key");
    let cert = params.signed_by(&key, ca).expect("cert");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![CertificateDer::from_pem_slice(cert.pem().as_bytes()).unwrap()],
        PrivateKeyDer::from_pem_slice(key.serialize_pem().as_bytes()).unwrap(),
    )
    .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let hang = Arc::new(AtomicBool::new(false));
    let jwks_fetches = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (u, h, n) = (url.clone(), hang.clone(), jwks_fetches.clone());
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, u, h, n, keys) = (
                acceptor.clone(),
                u.clone(),
                h.clone(),
                n.clone(),
                keys.clone(),
            );
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper::service::service_fn(move |req: http::Request<_>| {
                    let (u, h, n, keys) = (u.clone(), h.clone(), n.clone(), keys.clone());
                    async move {
                        let body = match req.uri().path() {
                            "/.well-known/openid-configuration" => serde_json::json!({
                                "issuer": u, "jwks_uri": format!("{u}/jwks"),
                            }),
                            _ => {
                                n.fetch_add(1, Ordering::SeqCst);
                                if h.load(Ordering::SeqCst) {
                                    std::future::pending::<()>().await;
                                }
                                keys
                            }
                        };
                        Ok::<_, std::convert::Infallible>(
                            http::Response::builder()
                                .header("cache-control", "max-age=300")
                                .body(Full::new(Bytes::from(body.to_string())))
                                .unwrap(),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    Issuer {
        url,
        hang,
        jwks_fetches,
    }
}

fn claims(iss: &str, sub: &str, aud: &str, exp_in: i64) -> serde_json::Value {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    serde_json::json!({
        "iss": iss, "sub": sub, "aud": aud, "iat": now - 5, "nbf": now - 5, "exp": now + exp_in,
        "repository": "org/app",
    })
}

fn sts(endpoint: &str) -> aws_sdk_sts::Client {
    // AssumeRoleWithWebIdentity is unsigned: the client needs no credentials.
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new(common::REGION))
        .endpoint_url(endpoint)
        // One attempt per call: the SDK retries IDPCommunicationError, and the test times
        // iamd's answer to one request.
        .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

async fn assume(
    client: &aws_sdk_sts::Client,
    role_arn: &str,
    token: &str,
) -> Result<
    aws_sdk_sts::operation::assume_role_with_web_identity::AssumeRoleWithWebIdentityOutput,
    (String, String),
> {
    client
        .assume_role_with_web_identity()
        .role_arn(role_arn)
        .role_session_name("gha")
        .web_identity_token(token)
        .send()
        .await
        .map_err(|e| match e {
            aws_sdk_sts::error::SdkError::ServiceError(se) => {
                use aws_sdk_sts::error::ProvideErrorMetadata;
                (
                    se.err().code().unwrap_or_default().to_owned(),
                    se.err().message().unwrap_or_default().to_owned(),
                )
            }
            other => panic!("expected a service error, got {other:?}"),
        })
}

fn ca() -> (CertifiedIssuer<'static, KeyPair>, std::path::PathBuf) {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "iamd test OIDC CA");
    let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
    let path = common::temp_dir("oidc-ca").join("ca.pem");
    std::fs::write(&path, ca.pem()).unwrap();
    (ca, path)
}

/// A local issuer whose key set holds `signer`'s key, iamd trusting its CA, and an OIDC
/// provider for it (client id `AUD`) made by the root.
struct Federation {
    /// The CA of the issuer's certificate, for another issuer.
    ca: CertifiedIssuer<'static, KeyPair>,
    signer: Signer,
    idp: Issuer,
    server: TestServer,
    iam: aws_sdk_iam::Client,
    provider_arn: String,
}

/// The ARN of a new OIDC provider for `url` with client id `AUD`.
async fn provider(iam: &aws_sdk_iam::Client, url: &str) -> String {
    iam.create_open_id_connect_provider()
        .url(url)
        .client_id_list(AUD)
        .send()
        .await
        .unwrap()
        .open_id_connect_provider_arn
        .unwrap()
}

async fn federation(kid: &str) -> Federation {
    let (ca, ca_path) = ca();
    let signer = Signer::new(kid);
    let idp = issuer(&ca, serde_json::json!({ "keys": [signer.jwk()] })).await;
    let server = TestServer::start_oidc(ca_path).await;
    let iam = server.root();
    let provider_arn = provider(&iam, &idp.url).await;
    Federation {
        ca,
        signer,
        idp,
        server,
        iam,
        provider_arn,
    }
}

#[tokio::test]
async fn oidc_provider_crud() {
    let (_, ca_path) = ca();
    let server = TestServer::start_oidc(ca_path).await;
    let iam = server.root();
    let thumb = "6938fd4d98bab03faadb97b34396831e3780aea1";
    let arn = iam
        .create_open_id_connect_provider()
        .url("https://Token.Example.com/tenant")
        .client_id_list(AUD)
        .thumbprint_list(thumb)
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("team")
                .value("ci")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .open_id_connect_provider_arn
        .unwrap();
    assert_eq!(
        arn,
        format!("arn:aws:iam::{ACCOUNT}:oidc-provider/token.example.com/tenant")
    );
    let e = iam
        .create_open_id_connect_provider()
        .url("https://token.example.com/tenant")
        .thumbprint_list(thumb)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_of(e).0, "EntityAlreadyExists");
    for bad in ["http://token.example.com", "https://x.example.com/?q=1"] {
        let e = iam
            .create_open_id_connect_provider()
            .url(bad)
            .send()
            .await
            .unwrap_err();
        assert_eq!(err_of(e).0, "ValidationError", "{bad}");
    }
    let e = iam
        .create_open_id_connect_provider()
        .url("https://six.example.com")
        .set_thumbprint_list(Some(vec![thumb.into(); 6]))
        .send()
        .await
        .unwrap_err();
    let (code, message, _) = err_of(e);
    assert_eq!(code, "InvalidInput");
    assert_eq!(
        message,
        "Thumbprint list must contain fewer than 5 entries."
    );

    iam.add_client_id_to_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn)
        .client_id("other")
        .send()
        .await
        .unwrap();
    iam.remove_client_id_from_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn)
        .client_id(AUD)
        .send()
        .await
        .unwrap();
    let other = "1c58a3a8518e8759bf075b76b750d4f2df264fcd";
    iam.update_open_id_connect_provider_thumbprint()
        .open_id_connect_provider_arn(&arn)
        .thumbprint_list(other)
        .send()
        .await
        .unwrap();
    iam.tag_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn)
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("env")
                .value("prod")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    iam.untag_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn)
        .tag_keys("TEAM")
        .send()
        .await
        .unwrap();
    let got = iam
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(got.url(), Some("token.example.com/tenant"));
    assert_eq!(got.client_id_list(), ["other"]);
    assert_eq!(got.thumbprint_list(), [other]);
    assert_eq!(got.tags().len(), 1);
    assert_eq!(got.tags()[0].key(), "env");
    assert!(got.create_date().is_some());
    let tags = iam
        .list_open_id_connect_provider_tags()
        .open_id_connect_provider_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().len(), 1);
    let summary = iam.get_account_summary().send().await.unwrap();
    assert_eq!(
        summary
            .summary_map()
            .unwrap()
            .get(&aws_sdk_iam::types::SummaryKeyType::Providers),
        Some(&1),
        "GetAccountSummary counts the provider"
    );
    let list = iam.list_open_id_connect_providers().send().await.unwrap();
    let arns: Vec<_> = list
        .open_id_connect_provider_list()
        .iter()
        .filter_map(|p| p.arn())
        .collect();
    assert_eq!(arns, [arn.as_str()]);
    iam.delete_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn)
        .send()
        .await
        .unwrap();
    let e = iam
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_of(e).0, "NoSuchEntity");
    let e = iam
        .delete_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_of(e).0, "NoSuchEntity");
}

#[tokio::test]
async fn github_actions_shaped_flow() {
    let Federation {
        ca,
        signer,
        idp,
        server,
        iam,
        provider_arn,
    } = federation("key-1").await;
    let host = idp.url.trim_start_matches("https://").to_owned();
    let trust = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {format!("{host}:aud"): AUD},
                "StringLike": {format!("{host}:sub"): "repo:org/app:ref:refs/heads/*"},
            },
        }],
    });
    let role_arn = iam
        .create_role()
        .role_name("deploy")
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .unwrap()
        .role
        .unwrap()
        .arn;
    iam.put_role_policy()
        .role_name("deploy")
        .policy_name("list-roles")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}"#,
        )
        .send()
        .await
        .unwrap();

    let client = sts(&server.endpoint());
    let token = signer.sign("key-1", &claims(&idp.url, SUB, AUD, 600));
    let out = assume(&client, &role_arn, &token).await.expect("assumed");
    assert_eq!(out.subject_from_web_identity_token(), Some(SUB));
    assert_eq!(out.audience(), Some(AUD));
    assert_eq!(out.provider(), Some(provider_arn.as_str()));
    let user = out.assumed_role_user().unwrap();
    assert_eq!(
        user.arn(),
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/deploy/gha")
    );
    let c = out.credentials().unwrap();
    let session_iam = common::iam_session_client(
        &server.endpoint(),
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
    );
    // The role's policies apply: ListRoles is allowed, ListUsers is not.
    let roles = session_iam.list_roles().send().await.unwrap();
    assert!(roles.roles().iter().any(|r| r.role_name() == "deploy"));
    let e = session_iam.list_users().send().await.unwrap_err();
    assert_eq!(err_of(e).0, "AccessDenied");
    let who = common::sts_client(
        &server.endpoint(),
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
    )
    .get_caller_identity()
    .send()
    .await
    .unwrap();
    assert_eq!(who.arn(), Some(user.arn()));

    // Refusals, with AWS's codes.
    let expired = signer.sign("key-1", &claims(&idp.url, SUB, AUD, -3600));
    let (code, message) = assume(&client, &role_arn, &expired).await.unwrap_err();
    assert_eq!(code, "ExpiredTokenException");
    assert!(
        message.starts_with("Token expired: current date/time"),
        "{message}"
    );
    let forger = Signer::new("key-1");
    let forged = forger.sign("key-1", &claims(&idp.url, SUB, AUD, 600));
    assert_eq!(
        assume(&client, &role_arn, &forged).await.unwrap_err().0,
        "InvalidIdentityToken"
    );
    let wrong_aud = signer.sign("key-1", &claims(&idp.url, SUB, "someone-else", 600));
    assert_eq!(
        assume(&client, &role_arn, &wrong_aud).await.unwrap_err(),
        (
            "InvalidIdentityToken".into(),
            "Incorrect token audience".into()
        )
    );
    let fetches = idp.jwks_fetches.load(Ordering::SeqCst);
    let unknown_kid = signer.sign("key-2", &claims(&idp.url, SUB, AUD, 600));
    assert_eq!(
        assume(&client, &role_arn, &unknown_kid)
            .await
            .unwrap_err()
            .0,
        "InvalidIdentityToken"
    );
    assert_eq!(
        assume(&client, &role_arn, &unknown_kid)
            .await
            .unwrap_err()
            .0,
        "InvalidIdentityToken"
    );
    // Within 10 s of the last fetch, an unknown kid does not make iamd fetch again (the
    // refetch after that interval is `oidc_keys`'s unit test).
    assert_eq!(idp.jwks_fetches.load(Ordering::SeqCst), fetches);
    let other_branch = signer.sign(
        "key-1",
        &claims(&idp.url, "repo:org/app:pull_request", AUD, 600),
    );
    let (code, message) = assume(&client, &role_arn, &other_branch).await.unwrap_err();
    assert_eq!(code, "AccessDenied");
    assert_eq!(
        message,
        "Not authorized to perform sts:AssumeRoleWithWebIdentity"
    );
    let unknown_issuer = signer.sign("key-1", &claims("https://elsewhere.example", SUB, AUD, 600));
    let (code, message) = assume(&client, &role_arn, &unknown_issuer)
        .await
        .unwrap_err();
    assert_eq!(code, "InvalidIdentityToken");
    assert_eq!(
        message,
        "No OpenIDConnect provider found in your account for https://elsewhere.example"
    );
    let (code, _) = assume(&client, &role_arn, "not-a-jwt").await.unwrap_err();
    assert_eq!(code, "InvalidIdentityToken");

    // A second issuer whose key set never comes: its requests fail within the fetch
    // timeout, and meanwhile the first issuer's tokens and signed calls are served.
    let slow_signer = Signer::new("slow");
    let slow = issuer(&ca, serde_json::json!({ "keys": [slow_signer.jwk()] })).await;
    slow.hang.store(true, Ordering::SeqCst);
    let slow_host = slow.url.trim_start_matches("https://").to_owned();
    let slow_arn = provider(&iam, &slow.url).await;
    let slow_trust = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Federated": slow_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {format!("{slow_host}:aud"): AUD}}}],
    });
    let slow_role = iam
        .create_role()
        .role_name("slow")
        .assume_role_policy_document(slow_trust.to_string())
        .send()
        .await
        .unwrap()
        .role
        .unwrap()
        .arn;
    let slow_token = slow_signer.sign("slow", &claims(&slow.url, SUB, AUD, 600));
    let started = Instant::now();
    let hanging = {
        let (client, slow_role) = (client.clone(), slow_role.clone());
        tokio::spawn(async move {
            let r = assume(&client, &slow_role, &slow_token).await;
            (r, started.elapsed())
        })
    };
    // Wait until the slow issuer has been asked for its keys.
    while slow.jwks_fetches.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let t = Instant::now();
    assume(&client, &role_arn, &token)
        .await
        .expect("cached issuer still served");
    iam.list_roles().send().await.unwrap();
    let others = t.elapsed();
    assert!(
        others < Duration::from_secs(2),
        "other requests waited {others:?} for a hanging issuer"
    );
    let (result, waited) = hanging.await.unwrap();
    assert_eq!(result.unwrap_err().0, "IDPCommunicationError");
    assert!(
        waited >= Duration::from_secs(4) && waited < Duration::from_secs(8),
        "the hanging fetch ended after {waited:?}"
    );
    println!("other requests during a hanging JWKS fetch: {others:?}; the hanging one failed after {waited:?}");
}

fn trust_web(provider_arn: &str, actions: &[&str]) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Federated": provider_arn},
            "Action": actions}],
    })
    .to_string()
}

async fn role(
    iam: &aws_sdk_iam::Client,
    name: &str,
    trust: &str,
    policy: serde_json::Value,
) -> String {
    let arn = iam
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap()
        .role
        .unwrap()
        .arn;
    iam.put_role_policy()
        .role_name(name)
        .policy_name("p")
        .policy_document(policy.to_string())
        .send()
        .await
        .unwrap();
    arn
}

/// ListRoles when the principal's `team` tag is `blue`; ListPolicies when its `env` tag
/// is `ci`.
fn tag_conditioned_policy() -> serde_json::Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
             "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}},
            {"Effect": "Allow", "Action": "iam:ListPolicies", "Resource": "*",
             "Condition": {"StringEquals": {"aws:PrincipalTag/env": "ci"}}},
        ],
    })
}

// PackedPolicySize is deprecated in the newest SDK models (for SessionTokenUtilization),
// but AWS still answers it and iamd serves it.
#[allow(deprecated)]
#[tokio::test]
async fn session_tags_from_the_token_and_through_chaining() {
    let Federation {
        signer,
        idp,
        server,
        iam,
        provider_arn,
        ..
    } = federation("k").await;
    let tagged = role(
        &iam,
        "tagged",
        &trust_web(
            &provider_arn,
            &["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
        ),
        tag_conditioned_policy(),
    )
    .await;
    let no_tag_session = role(
        &iam,
        "no-tag-session",
        &trust_web(&provider_arn, &["sts:AssumeRoleWithWebIdentity"]),
        tag_conditioned_policy(),
    )
    .await;
    let chained_trust = |actions: &[&str]| {
        serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": tagged.clone()},
                "Action": actions}],
        })
        .to_string()
    };
    let next = role(
        &iam,
        "next",
        &chained_trust(&["sts:AssumeRole", "sts:TagSession"]),
        tag_conditioned_policy(),
    )
    .await;
    let next_without = role(
        &iam,
        "next-without-tag-session",
        &chained_trust(&["sts:AssumeRole"]),
        tag_conditioned_policy(),
    )
    .await;

    let mut c = claims(&idp.url, SUB, AUD, 600);
    c["https://aws.amazon.com/tags"] = serde_json::json!({
        "principal_tags": {"team": ["blue"], "env": ["ci"]},
        "transitive_tag_keys": ["team"],
    });
    let token = signer.sign("k", &c);
    let client = sts(&server.endpoint());

    // Without sts:TagSession in the trust policy, a token with tags is refused.
    let (code, message) = assume(&client, &no_tag_session, &token).await.unwrap_err();
    assert_eq!(code, "AccessDenied");
    assert_eq!(message, "Not authorized to perform sts:TagSession");

    let out = assume(&client, &tagged, &token)
        .await
        .expect("assumed with tags");
    let packed = out
        .packed_policy_size()
        .expect("PackedPolicySize with tags");
    assert!((1..=100).contains(&packed), "{packed}");
    let creds = out.credentials().unwrap();
    let session = common::iam_session_client(
        &server.endpoint(),
        creds.access_key_id(),
        creds.secret_access_key(),
        Some(creds.session_token()),
    );
    // aws:PrincipalTag/team and /env come from the session tags.
    session.list_roles().send().await.expect("team=blue");
    session.list_policies().send().await.expect("env=ci");

    // A token without tags: the conditions fail.
    let plain = signer.sign("k", &claims(&idp.url, SUB, AUD, 600));
    let out = assume(&client, &tagged, &plain)
        .await
        .expect("assumed without tags");
    assert_eq!(out.packed_policy_size(), None);
    let pc = out.credentials().unwrap();
    let e = common::iam_session_client(
        &server.endpoint(),
        pc.access_key_id(),
        pc.secret_access_key(),
        Some(pc.session_token()),
    )
    .list_roles()
    .send()
    .await
    .unwrap_err();
    assert_eq!(err_of(e).0, "AccessDenied");

    // Role chaining: the transitive tag (team) is kept, the other (env) is not.
    let chaining = common::sts_client(
        &server.endpoint(),
        creds.access_key_id(),
        creds.secret_access_key(),
        Some(creds.session_token()),
    );
    let chained = chaining
        .assume_role()
        .role_arn(&next)
        .role_session_name("chained")
        .send()
        .await
        .expect("chained");
    let cc = chained.credentials().unwrap();
    let chained_iam = common::iam_session_client(
        &server.endpoint(),
        cc.access_key_id(),
        cc.secret_access_key(),
        Some(cc.session_token()),
    );
    chained_iam
        .list_roles()
        .send()
        .await
        .expect("team is transitive");
    let e = chained_iam.list_policies().send().await.unwrap_err();
    assert_eq!(err_of(e).0, "AccessDenied", "env is not transitive");

    // A transitive tag cannot be overridden, and inherited tags need sts:TagSession too.
    let e = chaining
        .assume_role()
        .role_arn(&next)
        .role_session_name("override")
        .tags(
            aws_sdk_sts::types::Tag::builder()
                .key("Team")
                .value("red")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    use aws_sdk_sts::error::ProvideErrorMetadata;
    assert_eq!(e.code(), Some("InvalidParameterValue"));
    let e = chaining
        .assume_role()
        .role_arn(&next_without)
        .role_session_name("inherited")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("AccessDenied"));
    assert!(
        e.message().unwrap_or_default().contains("sts:TagSession"),
        "{e:?}"
    );
    // Tags given to AssumeRole: env=ci, not transitive.
    let given = chaining
        .assume_role()
        .role_arn(&next)
        .role_session_name("given")
        .tags(
            aws_sdk_sts::types::Tag::builder()
                .key("env")
                .value("ci")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("tags given to AssumeRole");
    assert!(given.packed_policy_size().is_some());
    let gc = given.credentials().unwrap();
    common::iam_session_client(
        &server.endpoint(),
        gc.access_key_id(),
        gc.secret_access_key(),
        Some(gc.session_token()),
    )
    .list_policies()
    .send()
    .await
    .expect("env=ci given as a session tag");
}

#[tokio::test]
async fn source_identity_is_set_once_and_kept_through_chaining() {
    let Federation {
        signer,
        idp,
        server,
        iam,
        provider_arn,
        ..
    } = federation("k").await;
    // ListRoles only for sessions whose source identity is alice's.
    let by_source = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceIdentity": "alice"}}}],
    });
    let first = role(
        &iam,
        "first",
        &trust_web(
            &provider_arn,
            &["sts:AssumeRoleWithWebIdentity", "sts:SetSourceIdentity"],
        ),
        by_source.clone(),
    )
    .await;
    let without = role(
        &iam,
        "without-set-source-identity",
        &trust_web(&provider_arn, &["sts:AssumeRoleWithWebIdentity"]),
        by_source.clone(),
    )
    .await;
    let second = role(
        &iam,
        "second",
        &serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": first.clone()},
                "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"]}],
        })
        .to_string(),
        by_source,
    )
    .await;

    let mut c = claims(&idp.url, SUB, AUD, 600);
    c["https://aws.amazon.com/source_identity"] = serde_json::json!("alice");
    let token = signer.sign("k", &c);
    let client = sts(&server.endpoint());
    let (code, message) = assume(&client, &without, &token).await.unwrap_err();
    assert_eq!(
        (code.as_str(), message.as_str()),
        (
            "AccessDenied",
            "Not authorized to perform sts:SetSourceIdentity"
        )
    );
    let out = assume(&client, &first, &token).await.expect("assumed");
    assert_eq!(out.source_identity(), Some("alice"));
    let creds = out.credentials().unwrap();
    common::iam_session_client(
        &server.endpoint(),
        creds.access_key_id(),
        creds.secret_access_key(),
        Some(creds.session_token()),
    )
    .list_roles()
    .send()
    .await
    .expect("aws:SourceIdentity is alice");

    let chaining = common::sts_client(
        &server.endpoint(),
        creds.access_key_id(),
        creds.secret_access_key(),
        Some(creds.session_token()),
    );
    // The source identity cannot be changed down the chain...
    let e = chaining
        .assume_role()
        .role_arn(&second)
        .role_session_name("bob")
        .source_identity("bob")
        .send()
        .await
        .unwrap_err();
    use aws_sdk_sts::error::ProvideErrorMetadata;
    assert_eq!(e.code(), Some("AccessDenied"));
    // ...and is kept without being given again.
    let chained = chaining
        .assume_role()
        .role_arn(&second)
        .role_session_name("chained")
        .send()
        .await
        .expect("chained");
    assert_eq!(chained.source_identity(), Some("alice"));
    let cc = chained.credentials().unwrap();
    common::iam_session_client(
        &server.endpoint(),
        cc.access_key_id(),
        cc.secret_access_key(),
        Some(cc.session_token()),
    )
    .list_roles()
    .send()
    .await
    .expect("the chained session keeps aws:SourceIdentity");
}
