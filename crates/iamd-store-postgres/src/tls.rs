//! TLS to PostgreSQL, as libpq's `sslmode` and `sslrootcert` URL parameters ask:
//!
//! - `disable`: plain TCP.
//! - `prefer` (the default, as in libpq): TLS if the server offers it, else plain; the
//!   server's certificate is not checked.
//! - `require`: TLS or no connection; the certificate is not checked (it encrypts, but does
//!   not stop an active man in the middle), unless `sslrootcert` is given, when it is
//!   `verify-ca` (as libpq does).
//! - `verify-ca`: TLS, and the certificate chain must lead to a trusted root (any host name).
//! - `verify-full`: `verify-ca`, and the certificate must name the host connected to.
//!
//! Trusted roots: the PEM file `sslrootcert=FILE`, else the system's (`sslrootcert=system`
//! says so explicitly). tokio-postgres knows only `disable`, `prefer` and `require` and no
//! `sslrootcert`, so [`split`] takes those out of the URL and hands it the rest.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use percent_encoding::percent_decode_str;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres_rustls::MakeRustlsConnect;

/// libpq's `sslmode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// Where the trusted roots come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Roots {
    System,
    File(PathBuf),
}

/// A database URL taken apart: what tokio-postgres can parse, and the TLS settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// The URL with `sslrootcert` removed and `verify-*` modes written as `require`.
    pub url: String,
    pub mode: SslMode,
    /// `Some` when the certificate is checked.
    pub roots: Option<Roots>,
}

/// Takes `sslmode` and `sslrootcert` out of `url` (`postgres://…?sslmode=verify-full&…`).
pub fn split(url: &str) -> Result<Split, String> {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, query),
        None => (url, ""),
    };
    let mut mode = SslMode::Prefer;
    let mut root_cert = None;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode_str(value)
            .decode_utf8()
            .map_err(|_| format!("the value of {key} is not UTF-8"))?;
        match key {
            "sslmode" => {
                mode = match &*value {
                    "disable" => SslMode::Disable,
                    "prefer" => SslMode::Prefer,
                    "require" => SslMode::Require,
                    "verify-ca" => SslMode::VerifyCa,
                    "verify-full" => SslMode::VerifyFull,
                    // libpq's `allow` (plain first, TLS if refused) is not offered.
                    other => {
                        return Err(format!(
                            "sslmode={other} is not supported (disable, prefer, require, verify-ca or verify-full)"
                        ))
                    }
                };
            }
            "sslrootcert" => root_cert = Some(value.into_owned()),
            _ => kept.push(pair),
        }
    }
    let roots = root_cert.map(|v| {
        if v == "system" {
            Roots::System
        } else {
            Roots::File(PathBuf::from(v))
        }
    });
    let (mode, roots) = match (mode, roots) {
        (SslMode::Disable | SslMode::Prefer, _) => (mode, None),
        (SslMode::Require, None) => (mode, None),
        // libpq: `require` with a root certificate file verifies as `verify-ca` does.
        (SslMode::Require, Some(roots)) => (SslMode::VerifyCa, Some(roots)),
        (SslMode::VerifyCa | SslMode::VerifyFull, roots) => {
            (mode, Some(roots.unwrap_or(Roots::System)))
        }
    };
    // What tokio-postgres enforces itself: TLS or not. The checks are the connector's.
    match mode {
        SslMode::Disable => kept.push("sslmode=disable"),
        SslMode::Prefer => {}
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => kept.push("sslmode=require"),
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok(Split { url, mode, roots })
}

/// The connector for `split`'s mode (used by tokio-postgres only when it negotiates TLS).
pub fn connector(split: &Split) -> Result<MakeRustlsConnect, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let mut config = match (&split.roots, split.mode) {
        (None, _) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Unverified(provider)))
            .with_no_client_auth(),
        (Some(roots), mode) => {
            let roots = Arc::new(root_store(roots)?);
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(|e| format!("cannot use the root certificates: {e}"))?;
            let verifier: Arc<dyn ServerCertVerifier> = if mode == SslMode::VerifyFull {
                webpki
            } else {
                Arc::new(AnyName(webpki))
            };
            builder
                .dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_no_client_auth()
        }
    };
    // What PostgreSQL 17 expects of direct TLS connections; older servers ignore it.
    config.alpn_protocols = vec![b"postgresql".to_vec()];
    Ok(MakeRustlsConnect::new(config))
}

fn root_store(roots: &Roots) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    match roots {
        Roots::File(path) => {
            for cert in read_pem(path)? {
                store
                    .add(cert)
                    .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
            }
        }
        Roots::System => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = store.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(format!(
                    "no system root certificates could be loaded ({:?}); give sslrootcert=FILE",
                    found.errors
                ));
            }
        }
    }
    Ok(store)
}

fn read_pem(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("cannot read sslrootcert {}: {e:?}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "sslrootcert {} holds no certificate",
            path.display()
        ));
    }
    Ok(certs)
}

/// `prefer` and `require`: any certificate is accepted (libpq's behaviour), but the
/// handshake's signatures are still checked against the key it presents.
#[derive(Debug)]
struct Unverified(Arc<CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the chain must lead to a trusted root, whatever host name it is for. (The
/// WebPKI verifier checks the chain before the name, so a name error means the chain held.)
#[derive(Debug)]
struct AnyName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_are_taken_out_of_the_url() {
        let s = split("postgres://u@h/db").unwrap();
        assert_eq!(
            (s.url.as_str(), s.mode, s.roots),
            ("postgres://u@h/db", SslMode::Prefer, None)
        );
        let s = split("postgres://u@h/db?sslmode=disable&connect_timeout=2").unwrap();
        assert_eq!(s.url, "postgres://u@h/db?connect_timeout=2&sslmode=disable");
        assert_eq!(s.mode, SslMode::Disable);
        let s = split("postgres://u@h/db?sslmode=require").unwrap();
        assert_eq!(
            (s.url.as_str(), s.mode, s.roots),
            ("postgres://u@h/db?sslmode=require", SslMode::Require, None)
        );
        let s = split(
            "postgres://u@h/db?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&options=-c%20x%3Dy",
        )
        .unwrap();
        assert_eq!(
            s.url,
            "postgres://u@h/db?options=-c%20x%3Dy&sslmode=require"
        );
        assert_eq!(s.mode, SslMode::VerifyFull);
        assert_eq!(s.roots, Some(Roots::File("/etc/ca.pem".into())));
        let s = split("postgres://u@h/db?sslmode=verify-ca").unwrap();
        assert_eq!((s.mode, s.roots), (SslMode::VerifyCa, Some(Roots::System)));
        // libpq: `require` with a root certificate verifies the chain.
        let s = split("postgres://u@h/db?sslrootcert=/ca.pem&sslmode=require").unwrap();
        assert_eq!(
            (s.mode, s.roots),
            (SslMode::VerifyCa, Some(Roots::File("/ca.pem".into())))
        );
        let s = split("postgres://u@h/db?sslmode=verify-full&sslrootcert=system").unwrap();
        assert_eq!(s.roots, Some(Roots::System));
        assert!(split("postgres://u@h/db?sslmode=allow").is_err());
        assert!(split("postgres://u@h/db?sslmode=bogus").is_err());
    }

    #[test]
    fn the_stripped_url_parses() {
        for url in [
            "postgres://u:p@h:5433/db?sslmode=verify-full&sslrootcert=/x.pem",
            "postgres://u@h/db?sslmode=verify-ca",
            "postgres://u@h/db?sslmode=disable",
        ] {
            let s = split(url).unwrap();
            s.url.parse::<tokio_postgres::Config>().unwrap();
        }
    }

    #[test]
    fn a_missing_root_file_is_an_error() {
        let s =
            split("postgres://u@h/db?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem").unwrap();
        let e = connector(&s).err().unwrap();
        assert!(e.contains("/nonexistent/ca.pem"), "{e}");
    }
}
