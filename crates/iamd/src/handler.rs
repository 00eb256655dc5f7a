//! One request, start to finish: read the body within its limit, decode the parameters,
//! authenticate, dispatch, and answer in the service's XML (errors included).

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use iamd_core::{ErrorCode, Iam, IamError, RequestContext};
use iamd_protocol::{xml, Operation, Params, Service};
use time::OffsetDateTime;
use tracing::{debug, debug_span, warn, Instrument};

use crate::auth;

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub async fn handle(
    state: &crate::server::State,
    req: http::Request<Incoming>,
    peer: std::net::SocketAddr,
) -> Response<Full<Bytes>> {
    let request_id = state.request_ids.next();
    // A span per request only when debugging: at the default level it would cost a few
    // per cent of every request. Failures on the server's side are logged with the id.
    let span = debug_span!("request", id = %request_id, action = tracing::field::Empty);
    async {
        let (service, result) =
            process(&state.iam, &state.signing_keys, req, &request_id, peer).await;
        let (status, body) = match result {
            Ok(body) => (StatusCode::OK, body),
            Err(e) => {
                if e.code.status() >= 500 {
                    warn!(id = %request_id, code = e.code.as_str(), "request failed");
                } else {
                    debug!(code = e.code.as_str(), message = %e.message, "request failed");
                }
                let status =
                    StatusCode::from_u16(e.code.status()).unwrap_or(StatusCode::BAD_REQUEST);
                let body = xml::error(
                    service.namespace(),
                    e.code.fault(),
                    e.code.as_str(),
                    &e.message,
                    &request_id,
                );
                (status, body)
            }
        };
        let mut resp = Response::new(Full::new(Bytes::from(body)));
        *resp.status_mut() = status;
        let headers = resp.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            headers.insert("x-amzn-requestid", v);
        }
        resp
    }
    .instrument(span)
    .await
}

/// Request ids: UUIDs (version 4 layout) drawn from a random starting point chosen at
/// start-up and counted up from it, so that they are unique within a process and
/// unpredictable across processes without a call to the OS's random source per request.
pub struct RequestIds {
    base: u128,
    count: std::sync::atomic::AtomicU64,
}

impl RequestIds {
    pub fn new() -> Self {
        RequestIds {
            base: uuid::Uuid::new_v4().as_u128(),
            count: std::sync::atomic::AtomicU64::new(0),
        }
    }

    pub fn next(&self) -> String {
        let n = self
            .count
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let bytes = self.base.wrapping_add(u128::from(n)).to_be_bytes();
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .hyphenated()
            .to_string()
    }
}

impl Default for RequestIds {
    fn default() -> Self {
        Self::new()
    }
}

fn form_error(e: iamd_protocol::FormError) -> IamError {
    IamError::new(ErrorCode::MalformedQueryString, e.to_string())
}

/// Returns the service the answer speaks for (its XML namespace) and the body or error.
async fn process(
    iam: &Iam,
    signing_keys: &auth::SigningKeys,
    req: http::Request<Incoming>,
    request_id: &str,
    peer: std::net::SocketAddr,
) -> (Service, Result<String, IamError>) {
    let (parts, body) = req.into_parts();
    let query = parts.uri.query().unwrap_or("");
    let query_params = match Params::parse(query.as_bytes()) {
        Ok(p) => p,
        Err(e) => return (Service::Iam, Err(form_error(e))),
    };
    let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            return (
                Service::Iam,
                Err(IamError::new(
                    ErrorCode::RequestEntityTooLarge,
                    format!("Request body exceeds the maximum of {MAX_BODY_BYTES} bytes."),
                )),
            )
        }
        Err(_) => {
            return (
                Service::Iam,
                Err(IamError::new(
                    ErrorCode::InvalidInput,
                    "The request body could not be read.",
                )),
            )
        }
    };
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    let body_params = match is_form {
        Some(false) if !body.is_empty() => {
            return (
                Service::Iam,
                Err(IamError::new(
                    ErrorCode::UnsupportedMediaType,
                    "Request bodies must be application/x-www-form-urlencoded.",
                )),
            )
        }
        _ => match Params::parse(&body) {
            Ok(p) => p,
            Err(e) => return (Service::Iam, Err(form_error(e))),
        },
    };
    let params = Params::merged(query_params, body_params);

    let parsed = iamd_sigv4::parse(&parts);
    let service = Service::select(
        params.get("Version"),
        parsed.as_ref().ok().map(|a| a.service.as_str()),
    );
    let result = async {
        if parts.uri.path() != "/" {
            return Err(IamError::new(
                ErrorCode::NotFound,
                format!("No such resource: {}", parts.uri.path()),
            ));
        }
        if parts.method != http::Method::POST && parts.method != http::Method::GET {
            return Err(IamError::new(
                ErrorCode::InvalidAction,
                "Only GET and POST requests are supported.",
            ));
        }
        let auth_info = parsed.map_err(auth::sigv4_error)?;
        let now = OffsetDateTime::now_utc();
        let who = auth::authenticate(
            iam.store().as_ref(),
            iam.keyring(),
            signing_keys,
            &auth_info,
            service.signing_name(),
            &parts,
            &body,
            now,
        )
        .await?;
        if let Some(usage) = who.usage {
            iam.usage().record(usage);
        }
        auth::check_session_reach(service, &who.via)?;
        let action = params.get("Action").unwrap_or("");
        let Some(op) = Operation::find(service, action) else {
            return Err(IamError::new(
                ErrorCode::InvalidAction,
                format!(
                    "Could not find operation {action} for version {}",
                    params.get("Version").unwrap_or(service.version())
                ),
            ));
        };
        tracing::Span::current().record("action", op.name());
        let ctx = RequestContext {
            principal: who.principal,
            via: who.via,
            source_ip: Some(peer.ip()),
            region: auth_info.region.clone(),
            request_id: request_id.to_owned(),
            now,
        };
        crate::ops::dispatch(iam, &ctx, op, &params).await
    }
    .await;
    (service, result)
}
