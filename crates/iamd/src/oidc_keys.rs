//! OIDC issuers' signing keys over HTTPS, for AssumeRoleWithWebIdentity: the issuer's
//! discovery document (`<iss>/.well-known/openid-configuration`), then its `jwks_uri`.
//!
//! - TLS: the system's roots (rustls-native-certs), plus the CA certificates of
//!   `--oidc-ca-file` (a private issuer, or the tests' own CA). Plain HTTP is never used.
//! - Bounds: each fetch (both documents) must finish within `FETCH_TIMEOUT`, each body is
//!   at most `MAX_BODY_BYTES`, redirects are not followed.
//! - Cache: a key set is kept for its `Cache-Control: max-age` (between `MIN_TTL` and
//!   `MAX_TTL`; `DEFAULT_TTL` without one). A token naming a `kid` the cached set lacks
//!   fetches again, at most once per `REFETCH_INTERVAL` per issuer.
//! - Isolation: one fetch at a time per issuer (others asking for that issuer wait for it,
//!   at most `FETCH_TIMEOUT`); a request whose key is cached never waits for a fetch, and
//!   when a fetch fails the keys cached before it are still used. No other request waits.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use iamd_core::oidc::{IssuerKeys, KeyFetchError};
use jsonwebtoken::jwk::JwkSet;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
pub const MAX_BODY_BYTES: usize = 256 * 1024;
pub const MIN_TTL: Duration = Duration::from_secs(60);
pub const MAX_TTL: Duration = Duration::from_secs(24 * 3600);
pub const DEFAULT_TTL: Duration = Duration::from_secs(3600);
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(10);

struct Cached {
    keys: Arc<JwkSet>,
    fresh_until: Instant,
    fetched_at: Instant,
}

#[derive(Default)]
struct Issuer {
    cached: Mutex<Option<Cached>>,
    /// Held while fetching: one fetch per issuer at a time.
    fetching: tokio::sync::Mutex<()>,
}

pub struct HttpsIssuerKeys {
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
    issuers: Mutex<HashMap<String, Arc<Issuer>>>,
}

impl HttpsIssuerKeys {
    /// A fetcher trusting the system's roots and the CA certificates in `extra_ca` (PEM).
    pub fn new(extra_ca: Option<&Path>) -> Result<Self, String> {
        let mut roots = rustls::RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
        if let Some(path) = extra_ca {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|c| c.collect::<Result<Vec<_>, _>>())
                .map_err(|e| format!("cannot read OIDC CA file {}: {e:?}", path.display()))?;
            if certs.is_empty() {
                return Err(format!(
                    "OIDC CA file {} holds no certificate",
                    path.display()
                ));
            }
            for cert in certs {
                roots
                    .add(cert)
                    .map_err(|e| format!("OIDC CA file {}: {e}", path.display()))?;
            }
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(FETCH_TIMEOUT));
        let connector = HttpsConnectorBuilder::new()
            .with_tls_config(config)
            .https_only()
            .enable_http1()
            .wrap_connector(http);
        Ok(HttpsIssuerKeys {
            client: Client::builder(TokioExecutor::new()).build(connector),
            issuers: Mutex::new(HashMap::new()),
        })
    }

    fn issuer(&self, iss: &str) -> Arc<Issuer> {
        let mut map = self.issuers.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(iss.to_owned()).or_default().clone()
    }

    /// GETs `url`: (body, max-age).
    async fn get(&self, url: &str) -> Result<(Bytes, Option<Duration>), KeyFetchError> {
        let uri: http::Uri = url
            .parse()
            .map_err(|_| KeyFetchError::Invalid(format!("bad URL {url:?}")))?;
        if uri.scheme_str() != Some("https") {
            return Err(KeyFetchError::Invalid(format!("not https: {url:?}")));
        }
        let req = http::Request::get(uri)
            .header(http::header::ACCEPT, "application/json")
            .body(Empty::new())
            .map_err(|e| KeyFetchError::Invalid(e.to_string()))?;
        let resp = self
            .client
            .request(req)
            .await
            .map_err(|e| KeyFetchError::Unreachable(format!("{url}: {e}")))?;
        if !resp.status().is_success() {
            return Err(KeyFetchError::Invalid(format!(
                "{url}: HTTP {}",
                resp.status()
            )));
        }
        let max_age = resp
            .headers()
            .get(http::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .and_then(max_age);
        let body = Limited::new(resp.into_body(), MAX_BODY_BYTES)
            .collect()
            .await
            .map_err(|e| KeyFetchError::Unreachable(format!("{url}: {e}")))?
            .to_bytes();
        Ok((body, max_age))
    }

    /// Discovery document, then key set: (keys, how long they may be kept).
    async fn fetch(&self, iss: &str) -> Result<(JwkSet, Duration), KeyFetchError> {
        let discovery = format!(
            "{}/.well-known/openid-configuration",
            iss.trim_end_matches('/')
        );
        let (body, _) = self.get(&discovery).await?;
        let doc: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| KeyFetchError::Invalid(format!("{discovery}: {e}")))?;
        let jwks_uri = doc
            .get("jwks_uri")
            .and_then(|v| v.as_str())
            .ok_or_else(|| KeyFetchError::Invalid(format!("{discovery}: no jwks_uri")))?
            .to_owned();
        let (body, max_age) = self.get(&jwks_uri).await?;
        let keys: JwkSet = serde_json::from_slice(&body)
            .map_err(|e| KeyFetchError::Invalid(format!("{jwks_uri}: {e}")))?;
        let ttl = max_age.unwrap_or(DEFAULT_TTL).clamp(MIN_TTL, MAX_TTL);
        Ok((keys, ttl))
    }
}

/// `max-age=N` of a Cache-Control value.
fn max_age(value: &str) -> Option<Duration> {
    value.split(',').find_map(|d| {
        let (k, v) = d.trim().split_once('=')?;
        if k.trim().eq_ignore_ascii_case("max-age") {
            v.trim()
                .trim_matches('"')
                .parse()
                .ok()
                .map(Duration::from_secs)
        } else {
            None
        }
    })
}

/// Whether a token naming `kid` is checked with the cached set, without a fetch: while
/// the set is fresh and has the key, and whatever it holds within `REFETCH_INTERVAL` of
/// the last fetch (a token with an unknown `kid` cannot make iamd fetch more often).
fn usable(c: &Cached, kid: Option<&str>, now: Instant) -> bool {
    (now < c.fresh_until && has_kid(&c.keys, kid))
        || now.duration_since(c.fetched_at) < REFETCH_INTERVAL
}

fn has_kid(keys: &JwkSet, kid: Option<&str>) -> bool {
    kid.is_none_or(|kid| keys.find(kid).is_some())
}

#[async_trait]
impl IssuerKeys for HttpsIssuerKeys {
    async fn keys(&self, iss: &str, kid: Option<&str>) -> Result<Arc<JwkSet>, KeyFetchError> {
        let issuer = self.issuer(iss);
        // What is cached, and whether to use it without a fetch.
        let cached = |now: Instant| {
            let c = issuer.cached.lock().unwrap_or_else(|e| e.into_inner());
            c.as_ref().map(|c| (c.keys.clone(), usable(c, kid, now)))
        };
        if let Some((keys, true)) = cached(Instant::now()) {
            return Ok(keys);
        }
        // One fetch per issuer; waiting for another's is bounded by its timeout.
        let _turn = tokio::time::timeout(FETCH_TIMEOUT, issuer.fetching.lock())
            .await
            .map_err(|_| KeyFetchError::Unreachable(format!("{iss}: fetch in progress")))?;
        let stale = match cached(Instant::now()) {
            Some((keys, true)) => return Ok(keys),
            Some((keys, false)) => Some(keys),
            None => None,
        };
        let fetched = tokio::time::timeout(FETCH_TIMEOUT, self.fetch(iss))
            .await
            .unwrap_or_else(|_| Err(KeyFetchError::Unreachable(format!("{iss}: timed out"))));
        let now = Instant::now();
        match fetched {
            Ok((keys, ttl)) => {
                let keys = Arc::new(keys);
                *issuer.cached.lock().unwrap_or_else(|e| e.into_inner()) = Some(Cached {
                    keys: keys.clone(),
                    fresh_until: now + ttl,
                    fetched_at: now,
                });
                Ok(keys)
            }
            Err(e) => match stale {
                // Keys fetched before still verify the tokens they signed; the next
                // attempt waits out the interval.
                Some(keys) => {
                    tracing::info!(issuer = %iss, error = %e, "OIDC key refresh failed; using cached keys");
                    if let Some(c) = issuer
                        .cached
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .as_mut()
                    {
                        c.fetched_at = now;
                    }
                    Ok(keys)
                }
                None => Err(e),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control() {
        assert_eq!(
            max_age("public, max-age=300"),
            Some(Duration::from_secs(300))
        );
        assert_eq!(max_age("no-cache"), None);
        assert_eq!(max_age("max-age=x"), None);
    }

    #[test]
    fn refetch_on_unknown_kid_at_most_once_per_interval() {
        let keys: JwkSet = serde_json::from_value(serde_json::json!({"keys": [{
            "kty": "EC", "crv": "P-256", "kid": "a",
            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
        }]}))
        .unwrap();
        let t0 = Instant::now();
        let c = Cached {
            keys: Arc::new(keys),
            fresh_until: t0 + Duration::from_secs(300),
            fetched_at: t0,
        };
        assert!(usable(&c, Some("a"), t0 + Duration::from_secs(200)));
        // Unknown kid: not refetched within the interval, refetched after it.
        assert!(usable(&c, Some("b"), t0 + Duration::from_secs(1)));
        assert!(!usable(&c, Some("b"), t0 + REFETCH_INTERVAL));
        // Stale: refetched.
        assert!(!usable(&c, Some("a"), t0 + Duration::from_secs(300)));
    }
}
