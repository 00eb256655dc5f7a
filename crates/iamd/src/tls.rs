//! TLS for the HTTP server (`iamd serve --tls-cert FILE --tls-key FILE`): rustls with the
//! ring provider and its default protocol versions and cipher suites, ALPN `h2` and
//! `http/1.1`, a bounded handshake, and a certificate that can be swapped while serving
//! (`Tls::reload`, which `iamd serve` calls on SIGHUP).
//!
//! Not here: what is served over the connection (`server`), client certificates (none are
//! asked for).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// How long a client has to complete the TLS handshake after connecting: a client that
/// connects and sends nothing (or too little) holds a connection this long at most.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The ALPN protocol id of HTTP/2.
const H2: &[u8] = b"h2";
const HTTP1: &[u8] = b"http/1.1";

/// Where the server's certificate chain and private key are (PEM files), and whether HTTP/2
/// is offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain: the server's certificate first, then any intermediates.
    pub cert: PathBuf,
    /// The private key: PKCS#8 (`BEGIN PRIVATE KEY`), PKCS#1 (`BEGIN RSA PRIVATE KEY`) or
    /// SEC1 (`BEGIN EC PRIVATE KEY`).
    pub key: PathBuf,
    /// Offer HTTP/2 by ALPN (`--http2 on`, the default); off, only HTTP/1.1 is offered
    /// (for a proxy in front that mishandles HTTP/2, or to turn HTTP/2 off quickly should
    /// a flaw be found in it).
    pub http2: bool,
}

impl TlsFiles {
    /// Both files, HTTP/2 offered.
    pub fn new(cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> TlsFiles {
        TlsFiles {
            cert: cert.into(),
            key: key.into(),
            http2: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the TLS certificate chain {0}: {1}")]
    Cert(PathBuf, String),
    #[error("cannot read the TLS private key {0}: {1}")]
    Key(PathBuf, String),
    #[error("the TLS certificate {0} and key {1} cannot be used together: {2}")]
    Pair(PathBuf, PathBuf, rustls::Error),
}

/// The server's TLS configuration, shared by the accept loop and whoever reloads it.
/// Cloning shares it: a reload through any clone is seen by all.
#[derive(Clone)]
pub struct Tls {
    files: TlsFiles,
    current: Arc<RwLock<Arc<ServerConfig>>>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").field("files", &self.files).finish()
    }
}

/// A connection after its handshake.
pub struct Accepted {
    pub stream: TlsStream<TcpStream>,
    /// The client and the server agreed on HTTP/2 by ALPN; otherwise it is HTTP/1.1
    /// (agreed on, or no ALPN at all, as with `openssl s_client` or older clients).
    pub http2: bool,
}

impl Tls {
    /// Reads the certificate chain and key; fails if either is unreadable or they do not
    /// belong together.
    pub fn load(files: TlsFiles) -> Result<Tls, TlsError> {
        let config = server_config(&files)?;
        Ok(Tls {
            files,
            current: Arc::new(RwLock::new(config)),
        })
    }

    /// Re-reads both files. On success new handshakes use the new pair (connections already
    /// established keep theirs); on failure the old pair stays in use and the error says
    /// why.
    pub fn reload(&self) -> Result<(), TlsError> {
        let config = server_config(&self.files)?;
        // A poisoned lock only means a writer panicked between two whole values.
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = config;
        Ok(())
    }

    fn current(&self) -> Arc<ServerConfig> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The server side of the handshake, bounded by [`HANDSHAKE_TIMEOUT`].
    pub async fn accept(&self, stream: TcpStream) -> io::Result<Accepted> {
        let acceptor = TlsAcceptor::from(self.current());
        let stream = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out"))??;
        let http2 = stream.get_ref().1.alpn_protocol() == Some(H2);
        Ok(Accepted { stream, http2 })
    }
}

fn server_config(files: &TlsFiles) -> Result<Arc<ServerConfig>, TlsError> {
    let certs = read_certs(&files.cert).map_err(|e| TlsError::Cert(files.cert.clone(), e))?;
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| TlsError::Key(files.key.clone(), pem_error(e)))?;
    let pair = |e| TlsError::Pair(files.cert.clone(), files.key.clone(), e);
    let mut config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(pair)?
            .with_no_client_auth()
            // Also checks that the key is the certificate's (rustls's `keys_match`).
            .with_single_cert(certs, key)
            .map_err(pair)?;
    config.alpn_protocols = if files.http2 {
        vec![H2.to_vec(), HTTP1.to_vec()]
    } else {
        vec![HTTP1.to_vec()]
    };
    Ok(Arc::new(config))
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(pem_error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(pem_error)?;
    if certs.is_empty() {
        return Err("no CERTIFICATE block found".into());
    }
    Ok(certs)
}

fn pem_error(e: pem::Error) -> String {
    match e {
        pem::Error::Io(e) => e.to_string(),
        pem::Error::NoItemsFound => "no PEM block of the expected kind".into(),
        other => format!("not valid PEM: {other:?}"),
    }
}
