//! TLS to PostgreSQL through `connect`'s `sslmode` and `sslrootcert`, checked on the server
//! side (`pg_stat_ssl`). Needs a PostgreSQL server with `ssl = on` (CI's on 127.0.0.1:5432,
//! or `IAMD_TEST_DATABASE_URL`); without one each test prints why it skipped and passes.

use iamd_store_postgres::{connect, testing, PgStore};

fn with_params(base: &str, params: &str) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}{params}")
}

/// The test database, if it is reachable and has SSL on.
async fn ssl_database() -> Option<String> {
    let base = testing::database().await?;
    match connect(&with_params(&base, "sslmode=require")).await {
        Ok(_) => Some(base),
        Err(e) => {
            eprintln!(
                "SKIPPED: PostgreSQL at {} does not accept TLS: {e}",
                iamd_store_postgres::redacted_url(&base)
            );
            None
        }
    }
}

async fn open(base: &str, params: &str) -> Result<PgStore, String> {
    connect(&with_params(base, params))
        .await
        .map_err(|e| e.to_string())
}

/// A CA of our own, written to a file: no server's certificate leads to it.
fn foreign_ca() -> std::path::PathBuf {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let key = rcgen::KeyPair::generate().expect("key");
    let ca = params.self_signed(&key).expect("CA");
    let path = std::env::temp_dir().join(format!("iamd-pg-foreign-ca-{}.pem", std::process::id()));
    std::fs::write(&path, ca.pem()).expect("write CA");
    path
}

#[tokio::test]
async fn sslmode_require_encrypts_the_connection() {
    let Some(base) = ssl_database().await else {
        return;
    };
    let store = open(&base, "sslmode=require")
        .await
        .expect("connect with sslmode=require");
    assert!(
        testing::encrypted(&store).await,
        "sslmode=require must encrypt"
    );
}

#[tokio::test]
async fn sslmode_disable_is_plain_and_prefer_encrypts() {
    let Some(base) = ssl_database().await else {
        return;
    };
    let plain = open(&base, "sslmode=disable")
        .await
        .expect("connect with sslmode=disable");
    assert!(!testing::encrypted(&plain).await);
    // No sslmode is libpq's `prefer`: TLS when the server offers it.
    let default = connect(&base).await.expect("connect");
    assert!(testing::encrypted(&default).await);
    let prefer = open(&base, "sslmode=prefer")
        .await
        .expect("connect with sslmode=prefer");
    assert!(testing::encrypted(&prefer).await);
}

#[tokio::test]
async fn verify_modes_refuse_a_certificate_no_trusted_root_vouches_for() {
    let Some(base) = ssl_database().await else {
        return;
    };
    let ca = foreign_ca();
    for mode in ["verify-ca", "verify-full", "require"] {
        let params = format!("sslmode={mode}&sslrootcert={}", ca.display());
        let refused = open(&base, &params).await;
        assert!(
            refused.as_ref().is_err_and(|e| e.contains("certificate")),
            "{mode} with a foreign CA: {:?}",
            refused.map(|_| ())
        );
    }
    let missing = open(&base, "sslmode=verify-full&sslrootcert=/nonexistent/ca.pem").await;
    assert!(missing.is_err_and(|e| e.contains("/nonexistent/ca.pem")));
}

#[tokio::test]
async fn verify_ca_accepts_the_servers_own_self_signed_certificate() {
    let Some(base) = ssl_database().await else {
        return;
    };
    // The server's own certificate as the root (a self-signed one, as Debian's snakeoil).
    let Some(cert) = testing::server_cert_file(&base).await else {
        eprintln!("SKIPPED: the server's certificate file is not readable here");
        return;
    };
    let params = format!("sslmode=verify-ca&sslrootcert={}", cert.display());
    match open(&base, &params).await {
        Ok(store) => {
            assert!(testing::encrypted(&store).await);
            // verify-full also checks the name: the URL's host must be one the certificate
            // names (Debian's snakeoil names `localhost`, not 127.0.0.1).
            let full = format!("sslmode=verify-full&sslrootcert={}", cert.display());
            match open(&base, &full).await {
                Ok(store) => assert!(testing::encrypted(&store).await),
                Err(e) => assert!(e.contains("not valid for name"), "verify-full: {e}"),
            }
            let by_name = base.replacen("@127.0.0.1:", "@localhost:", 1);
            if by_name != base {
                let named = open(&by_name, &full).await;
                eprintln!("verify-full to localhost: {:?}", named.as_ref().map(|_| ()));
                if let Err(e) = named {
                    assert!(
                        e.contains("not valid for name"),
                        "verify-full to localhost: {e}"
                    );
                }
            }
        }
        // Signed by a CA whose certificate is elsewhere: the file is no root on its own.
        Err(e) if e.contains("UnknownIssuer") => {
            eprintln!("SKIPPED: the server's certificate is not self-signed ({e})")
        }
        Err(e) => panic!("verify-ca with the server's own certificate: {e}"),
    }
}
