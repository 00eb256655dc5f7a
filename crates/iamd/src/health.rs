//! Probes for load balancers and orchestrators, outside the AWS API and answered without a
//! signature: `GET /healthz` (the process serves HTTP) and `GET /readyz` (it can serve
//! requests: the store answers a read of the served account within `READY_TIMEOUT`).
//!
//! Both are plain JSON and say nothing secret. `/readyz` reads the store at most once per
//! `READY_REUSE` however often it is asked (probes are unauthenticated: they must not
//! become a way to load the database), and a read that does not answer in time is "not
//! ready", so the probe itself answers within about a second even when PostgreSQL hangs.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{header, HeaderValue, Method, Response, StatusCode};
use http_body_util::Full;

use crate::server::State;

/// How long the readiness read may take before the answer is "not ready".
const READY_TIMEOUT: Duration = Duration::from_secs(1);

/// How long one readiness answer is reused for.
const READY_REUSE: Duration = Duration::from_millis(250);

/// The last readiness answer and when it was found.
#[derive(Default)]
pub(crate) struct Readiness {
    last: Mutex<Option<(Instant, Ready)>>,
}

#[derive(Clone)]
struct Ready {
    ready: bool,
    /// Why not, when not ready.
    reason: Option<String>,
}

/// The probe's answer to `method path`, or `None` when the request is not a probe (every
/// other request is the AWS API's).
pub(crate) async fn answer(
    state: &State,
    method: &Method,
    path: &str,
) -> Option<Response<Full<Bytes>>> {
    if method != Method::GET && method != Method::HEAD {
        return None;
    }
    match path {
        "/healthz" => Some(json(StatusCode::OK, r#"{"status":"ok"}"#.to_owned())),
        "/readyz" => Some(ready(state).await),
        // With --metrics-listen, metrics are served there alone.
        "/metrics" if state.metrics_listen.is_none() => Some(metrics(state)),
        _ => None,
    }
}

/// An answer on the `--metrics-listen` port: `/metrics` and the probes; 404 for the rest.
pub(crate) async fn answer_private(
    state: &State,
    method: &Method,
    path: &str,
) -> Response<Full<Bytes>> {
    if (method == Method::GET || method == Method::HEAD) && path == "/metrics" {
        return metrics(state);
    }
    match answer(state, method, path).await {
        Some(resp) => resp,
        None => json(
            StatusCode::NOT_FOUND,
            r#"{"status":"not found"}"#.to_owned(),
        ),
    }
}

async fn ready(state: &State) -> Response<Full<Bytes>> {
    let found = check(state).await;
    let status = if found.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let store = state.iam.store();
    let body = serde_json::json!({
        "ready": found.ready,
        "store": state.store_kind,
        // The server does not start before every migration is applied.
        "migrations": "applied",
        "user_directory": if store.users_in_memory() { "in memory" } else { "none" },
        "reason": found.reason,
    });
    json(status, body.to_string())
}

/// The readiness of the store: reused for `READY_REUSE`, else read again.
async fn check(state: &State) -> Ready {
    {
        let last = state
            .readiness
            .last
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some((at, ready)) = last.as_ref() {
            if at.elapsed() < READY_REUSE {
                return ready.clone();
            }
        }
    }
    let read = state.iam.store().get_account(&state.account_id);
    let found = match tokio::time::timeout(READY_TIMEOUT, read).await {
        Ok(Ok(Some(_))) => Ready {
            ready: true,
            reason: None,
        },
        Ok(Ok(None)) => Ready {
            ready: false,
            reason: Some("the served account is not in the store".to_owned()),
        },
        Ok(Err(e)) => {
            // The cause is logged, not shown: the probe answers anyone.
            tracing::warn!(%e, "readiness: the store fails");
            Ready {
                ready: false,
                reason: Some("the store fails (see the log)".to_owned()),
            }
        }
        Err(_) => Ready {
            ready: false,
            reason: Some(format!(
                "the store did not answer within {} ms",
                READY_TIMEOUT.as_millis()
            )),
        },
    };
    if !found.ready {
        tracing::warn!(reason = found.reason.as_deref().unwrap_or("-"), "not ready");
    }
    *state
        .readiness
        .last
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), found.clone()));
    found
}

/// The Prometheus text exposition (`crate::metrics`).
fn metrics(state: &State) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(state.metrics.render(&state.cache))));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    resp
}

fn json(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}
