//! The web console's files, served at `/console/` without a signature: a single-page
//! application that signs AWS Query requests in the browser (SigV4 with WebCrypto) and
//! sends them to the API endpoint, so every action it takes is authenticated and
//! authorized exactly as the API does. This module only serves its static files
//! (`crates/iamd/console/`, embedded at build time) with headers that keep them from
//! loading anything else: a strict Content-Security-Policy (scripts, styles and requests
//! to this origin only; no inline script; no framing), `nosniff`, no referrer, no caching.

use bytes::Bytes;
use http::{HeaderValue, Method, Response, StatusCode};
use http_body_util::Full;

/// Where the console is.
pub(crate) const PREFIX: &str = "/console";

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    connect-src 'self'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; \
    base-uri 'none'";

/// (path under `/console/`, content type, bytes)
const FILES: &[(&str, &str, &str)] = &[
    (
        "",
        "text/html; charset=utf-8",
        include_str!("../console/index.html"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../console/app.js"),
    ),
    (
        "sigv4.js",
        "text/javascript; charset=utf-8",
        include_str!("../console/sigv4.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../console/style.css"),
    ),
];

/// The console's answer to `method path`, or `None` when the path is not the console's.
pub(crate) fn answer(method: &Method, path: &str) -> Option<Response<Full<Bytes>>> {
    let rest = path.strip_prefix(PREFIX)?;
    if method != Method::GET && method != Method::HEAD {
        return None;
    }
    if rest.is_empty() {
        let mut resp = Response::new(Full::new(Bytes::new()));
        *resp.status_mut() = StatusCode::MOVED_PERMANENTLY;
        resp.headers_mut().insert(
            http::header::LOCATION,
            HeaderValue::from_static("/console/"),
        );
        return Some(resp);
    }
    let name = rest.strip_prefix('/')?;
    let Some((_, content_type, body)) = FILES.iter().find(|(n, _, _)| *n == name) else {
        let mut resp = Response::new(Full::new(Bytes::from_static(b"not found\n")));
        *resp.status_mut() = StatusCode::NOT_FOUND;
        secure(&mut resp, "text/plain; charset=utf-8");
        return Some(resp);
    };
    let body = if method == Method::HEAD {
        Bytes::new()
    } else {
        Bytes::from_static(body.as_bytes())
    };
    let mut resp = Response::new(Full::new(body));
    secure(&mut resp, content_type);
    Some(resp)
}

fn secure(resp: &mut Response<Full<Bytes>>, content_type: &'static str) {
    let h = resp.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(content_type),
    );
    h.insert(
        http::header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        http::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        http::header::X_FRAME_OPTIONS,
        HeaderValue::from_static("DENY"),
    );
    h.insert(
        http::header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
}
