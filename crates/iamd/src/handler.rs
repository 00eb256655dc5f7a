//! One request, start to finish: read the body within its limit, decode the parameters,
//! authenticate, dispatch, and answer in the service's XML (errors included).

use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use iamd_core::{ErrorCode, IamError, RequestContext};
use iamd_protocol::{xml, Invalid, Operation, Params, Service};
use time::OffsetDateTime;
use tracing::{debug, debug_span, error, info, Instrument};

use crate::audit;
use crate::auth;
use crate::server::{Limits, State};

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The most memory all request bodies being read or served may hold together. Bodies
/// arrive before their signature can be checked, so this bounds what unauthenticated
/// clients can make the server hold, whatever the number of connections.
pub const MAX_BUFFERED_BODY_BYTES: usize = 256 * 1024 * 1024;

/// How much of a body over `MAX_BODY_BYTES` is read (and thrown away, within the body
/// timeout) before the 413 is sent, so that a client that sends its whole body before
/// reading the answer gets the answer rather than a reset connection.
const MAX_DISCARDED_BYTES: usize = 4 * 1024 * 1024;

/// The memory held by request bodies, counted against `MAX_BUFFERED_BODY_BYTES`.
#[derive(Default)]
pub struct BodyBudget(AtomicUsize);

/// One request's share of the `BodyBudget`, given back when it is dropped.
pub(crate) struct BodyShare<'a> {
    budget: &'a BodyBudget,
    bytes: usize,
}

impl BodyShare<'_> {
    fn grow(&mut self, bytes: usize) -> Result<(), IamError> {
        let before = self.budget.0.fetch_add(bytes, Ordering::Relaxed);
        if before + bytes > MAX_BUFFERED_BODY_BYTES {
            self.budget.0.fetch_sub(bytes, Ordering::Relaxed);
            return Err(IamError::new(
                ErrorCode::ServiceUnavailable,
                "Too many request bodies are being received at once. Please retry.",
            ));
        }
        self.bytes += bytes;
        Ok(())
    }
}

impl Drop for BodyShare<'_> {
    fn drop(&mut self) {
        self.budget.0.fetch_sub(self.bytes, Ordering::Relaxed);
    }
}

/// Reads a request body into one buffer that grows with what has arrived (never by what
/// `Content-Length` announces, and never one allocation per frame: hyper hands a slow
/// client's every few bytes over as a frame that pins its whole read buffer), within
/// `MAX_BODY_BYTES`, the shared `BodyBudget`, and before `limits.body_timeout` has passed
/// since the headers. The buffer's capacity is what is counted against the budget.
pub(crate) async fn read_body<'a>(
    mut body: Incoming,
    limits: &Limits,
    budget: &'a BodyBudget,
) -> Result<(Vec<u8>, BodyShare<'a>), IamError> {
    let mut share = BodyShare { budget, bytes: 0 };
    let deadline = tokio::time::Instant::now() + limits.body_timeout;
    let too_large = || {
        IamError::new(
            ErrorCode::RequestEntityTooLarge,
            format!("Request body exceeds the maximum of {MAX_BODY_BYTES} bytes."),
        )
    };
    // A body announced far over the limit is refused before any of it is read (the client
    // may see its connection reset while it still sends); one a little over it is read
    // and thrown away below, so that the client, still sending, gets to read the 413.
    if hyper::body::Body::size_hint(&body)
        .exact()
        .is_some_and(|n| n > (MAX_BODY_BYTES + MAX_DISCARDED_BYTES) as u64)
    {
        return Err(too_large());
    }
    let mut buf = Vec::new();
    let mut discarded: Option<usize> = None;
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) if discarded.is_some() => return Err(too_large()),
            Err(_) => {
                return Err(IamError::new(
                    ErrorCode::RequestTimeout,
                    "Your socket connection to the server was not read from or written to \
                     within the timeout period.",
                ))
            }
            Ok(None) if discarded.is_some() => return Err(too_large()),
            Ok(None) => return Ok((buf, share)),
            Ok(Some(Err(_))) => {
                return Err(IamError::new(
                    ErrorCode::InvalidInput,
                    "The request body could not be read.",
                ))
            }
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(data) = frame.into_data() {
            if let Some(n) = discarded.as_mut() {
                *n += data.len();
                if *n > MAX_DISCARDED_BYTES {
                    return Err(too_large());
                }
                continue;
            }
            let needed = buf.len() + data.len();
            if needed > MAX_BODY_BYTES {
                // Over the limit: the rest is read without being kept.
                buf = Vec::new();
                discarded = Some(needed - MAX_BODY_BYTES);
                continue;
            }
            if needed > buf.capacity() {
                let capacity = needed.max(buf.capacity() * 2).clamp(4096, MAX_BODY_BYTES);
                share.grow(capacity - buf.capacity())?;
                buf.reserve_exact(capacity - buf.len());
            }
            buf.extend_from_slice(&data);
        }
    }
}

pub async fn handle(
    state: &State,
    req: http::Request<Incoming>,
    peer: std::net::SocketAddr,
) -> Response<Full<Bytes>> {
    if req.uri().path() == crate::signin::PATH || req.uri().path() == crate::signin::CONSOLE_PATH {
        let console = req.uri().path() == crate::signin::CONSOLE_PATH;
        let resp = crate::signin::handle(state, req, peer, console).await;
        state.metrics.sign_in(resp.status().as_u16());
        return resp;
    }
    if state.emulator && RESET_PATHS.contains(&req.uri().path()) {
        return reset(state, req.method()).await;
    }
    if let Some(probe) = crate::health::answer(state, req.method(), req.uri().path()).await {
        return probe;
    }
    if let Some(page) = crate::console::answer(req.method(), req.uri().path()) {
        return page;
    }
    let started = std::time::Instant::now();
    let request_id = state.request_ids.next();
    // A span per request only when debugging: at the default level it would cost a few
    // per cent of every request. Failures on the server's side are logged with the id.
    let span = debug_span!("request", id = %request_id, action = tracing::field::Empty);
    async {
        // What the audit record needs beyond the answer, gathered only when there is a log.
        let mut trail = state.audit.as_ref().map(|_| Trail {
            user_agent: req
                .headers()
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            ..Trail::default()
        });
        let (service, operation, result) =
            process(state, req, &request_id, peer, trail.as_mut()).await;
        let code = match &result {
            Ok(_) => "OK",
            Err(e) => e.code.as_str(),
        };
        let action = operation.map_or("unknown", |op| op.name());
        state
            .metrics
            .request(service.signing_name(), action, code, started.elapsed());
        if code == ErrorCode::AccessDenied.as_str() {
            state.metrics.denied(service.signing_name(), action);
        }
        if let (Some(audit), Some(trail)) = (&state.audit, trail) {
            let event = trail.event(state, service, operation, &result, &request_id, peer);
            if !audit.record(event).await {
                state.metrics.audit_record_dropped();
            }
        }
        // After a body that was cut off (too slow, too large) the connection's framing is
        // lost or the rest is not worth reading: answer, then close.
        let close = matches!(
            &result,
            Err(e) if matches!(e.code, ErrorCode::RequestTimeout | ErrorCode::RequestEntityTooLarge)
        );
        let (status, body) = match result {
            Ok(body) => (StatusCode::OK, body),
            Err(e) => {
                if e.code == ErrorCode::NotImplemented {
                    // A client's choice, not a fault: worth knowing which ones are asked for.
                    info!(message = %e.message, "operation not implemented");
                } else if e.code.status() >= 500 {
                    // The one log line of a failure, with its cause (the span carries the
                    // request id too; it is repeated so that the line stands alone).
                    error!(
                        id = %request_id,
                        code = e.code.as_str(),
                        cause = e.cause.as_deref().unwrap_or("-"),
                        "request failed"
                    );
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
        if close {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        resp
    }
    .instrument(span)
    .await
}

/// The emulator mode's reset: moto's path, and iamd's own.
const RESET_PATHS: [&str; 2] = ["/moto-api/reset", "/iamd/v1/reset"];

/// `POST` to a reset path in the emulator mode: every user, group, role, policy, …
/// deleted; the account and its root keys kept.
async fn reset(state: &State, method: &http::Method) -> Response<Full<Bytes>> {
    let (status, body) = if method != http::Method::POST {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            r#"{"status":"error","message":"Only POST is supported."}"#,
        )
    } else {
        match state.iam.reset().await {
            Ok(()) => {
                info!("emulator state reset");
                (StatusCode::OK, r#"{"status":"ok"}"#)
            }
            Err(e) => {
                error!(%e, "emulator reset failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    r#"{"status":"error","message":"Internal failure."}"#,
                )
            }
        }
    };
    let mut resp = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// What `process` learns of a request that its audit record needs.
#[derive(Default)]
struct Trail {
    user_agent: Option<String>,
    region: Option<String>,
    identity: Option<audit::Identity>,
    params: Option<Params>,
}

impl Trail {
    fn event(
        self,
        state: &State,
        service: Service,
        operation: Option<Operation>,
        result: &Result<String, IamError>,
        request_id: &str,
        peer: std::net::SocketAddr,
    ) -> audit::Event {
        let event_name = match operation {
            Some(op) => op.name().to_owned(),
            // The client's text, cut to a length any real operation name fits in.
            None => self
                .params
                .as_ref()
                .and_then(|p| p.get("Action"))
                .unwrap_or("")
                .chars()
                .take(128)
                .collect(),
        };
        let read_only = audit::read_only(&event_name);
        let (response, error) = match result {
            Ok(body) if audit::records_response(service.signing_name(), &event_name) => {
                (Some(body.clone()), None)
            }
            Ok(_) => (None, None),
            Err(e) => (None, Some((e.code.as_str(), e.message.clone()))),
        };
        audit::Event {
            time: OffsetDateTime::now_utc(),
            service: service.signing_name(),
            event_name,
            region: self.region,
            source_ip: peer.ip(),
            user_agent: self.user_agent,
            identity: self.identity.unwrap_or_default(),
            params: self.params,
            response,
            error,
            request_id: request_id.to_owned(),
            read_only,
            recipient_account_id: state.account_id.clone(),
        }
    }
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

/// Returns the service the answer speaks for (its XML namespace), the operation asked for
/// if the models have it, and the body or error.
async fn process(
    state: &State,
    req: http::Request<Incoming>,
    request_id: &str,
    peer: std::net::SocketAddr,
    mut trail: Option<&mut Trail>,
) -> (Service, Option<Operation>, Result<String, IamError>) {
    let iam = &state.iam;
    let (parts, body) = req.into_parts();
    let query = parts.uri.query().unwrap_or("");
    let query_params = match Params::parse(query.as_bytes()) {
        Ok(p) => p,
        Err(e) => return (Service::Iam, None, Err(form_error(e))),
    };
    // `_share` keeps the body's memory counted until the request is answered.
    let (body, _share) = match read_body(body, &state.limits, &state.body_budget).await {
        Ok(read) => read,
        Err(e) => return (Service::Iam, None, Err(e)),
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
                None,
                Err(IamError::new(
                    ErrorCode::UnsupportedMediaType,
                    "Request bodies must be application/x-www-form-urlencoded.",
                )),
            )
        }
        _ => match Params::parse(&body) {
            Ok(p) => p,
            Err(e) => return (Service::Iam, None, Err(form_error(e))),
        },
    };
    let params = match Params::merged(query_params, body_params) {
        Ok(p) => p,
        Err(e) => return (Service::Iam, None, Err(form_error(e))),
    };

    let parsed = iamd_sigv4::parse(&parts);
    if let (Some(trail), Ok(auth)) = (trail.as_deref_mut(), &parsed) {
        trail.region = Some(auth.region.clone());
        trail.identity = Some(audit::Identity::unknown(Some(&auth.access_key_id)));
    }
    let service = Service::select(
        params.get("Version"),
        parsed.as_ref().ok().map(|a| a.service.as_str()),
    );
    let asked = Operation::find(service, params.get("Action").unwrap_or(""));
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
        if let Some(op) = Operation::find(service, params.get("Action").unwrap_or(""))
            .filter(|op| is_unsigned_sts_action(*op))
        {
            // Called without a signature by design: the caller proves itself with the
            // token it passes. The body and time limits above apply as to any request.
            tracing::Span::current().record("action", op.name());
            // A source throttled for failed authentications (`--auth-failure-limit`) is
            // throttled here too.
            state.auth_failures.check(peer.ip())?;
            return unsigned_sts(state, op, &params, request_id).await;
        }
        if let Some(op) =
            Operation::find(service, params.get("Action").unwrap_or("")).filter(|op| op.unsigned())
        {
            // Other operations the models mark unsigned (none iamd serves).
            return Err(Invalid::NotImplemented(op.name()).into());
        }
        state.auth_failures.check(peer.ip())?;
        let now = OffsetDateTime::now_utc();
        let failed = |e: IamError, access_key_id: Option<&str>| {
            state.auth_failures.record(peer.ip(), access_key_id, &e);
            state.metrics.authentication_failed(e.code.as_str());
            e
        };
        let auth_info = parsed.map_err(|e| failed(auth::sigv4_error(e), None))?;
        let who = if state.emulator {
            auth::authenticate_emulated(
                iam,
                &auth_info,
                service.signing_name(),
                &state.account_id,
                now,
            )
            .await
        } else {
            auth::authenticate(
                iam,
                &state.signing_keys,
                &auth_info,
                service.signing_name(),
                &parts,
                &body,
                now,
            )
            .await
        }
        .map_err(|e| failed(e, Some(&auth_info.access_key_id)))?;
        if let Some(trail) = trail.as_deref_mut() {
            trail.identity = Some(audit::Identity::of(&who.principal, &who.via));
        }
        if let Some(usage) = who.usage {
            iam.usage().record(usage);
        }
        iamd_core::authn::check_session_reach(service, &who.via)
            .map_err(|e| failed(e, Some(&auth_info.access_key_id)))?;
        let action = params.get("Action").unwrap_or("");
        iamd_core::console::check_console_reach(&who.via, action)
            .map_err(|e| failed(e, Some(&auth_info.access_key_id)))?;
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
            operation: op,
            request_keys: Default::default(),
        };
        iamd_protocol::dispatch(iam, &ctx, op, &params, request_id).await
    }
    .await;
    if let Some(trail) = trail {
        trail.params = Some(params);
    }
    (service, asked, result)
}

/// The STS actions AWS serves without a signature, each answered by `unsigned_sts`: the
/// request carries its own proof (a web identity token, a SAML assertion). Every other
/// action must be signed.
pub fn is_unsigned_sts_action(op: Operation) -> bool {
    matches!(
        op,
        Operation::AssumeRoleWithWebIdentity | Operation::AssumeRoleWithSAML
    )
}

/// Serves an unsigned STS action (see `is_unsigned_sts_action`).
async fn unsigned_sts(
    state: &State,
    op: Operation,
    params: &Params,
    request_id: &str,
) -> Result<String, IamError> {
    use iamd_protocol::decode::DecodeInput;
    use iamd_protocol::sts;
    let (name, ns) = (op.name(), op.service().namespace());
    match op {
        Operation::AssumeRoleWithWebIdentity => {
            let input = sts::AssumeRoleWithWebIdentityInput::decode(params)?;
            let out = state
                .iam
                .assume_role_with_web_identity(
                    OffsetDateTime::now_utc(),
                    iamd_core::oidc::WebIdentityInput {
                        role_arn: input.role_arn,
                        role_session_name: input.role_session_name,
                        web_identity_token: input.web_identity_token,
                        duration_seconds: input.duration_seconds.map(i64::from),
                        policy: input.policy,
                        policy_arns: input
                            .policy_arns
                            .unwrap_or_default()
                            .into_iter()
                            .filter_map(|p| p.arn)
                            .collect(),
                    },
                )
                .await?;
            let c = out.role.credentials;
            let output = sts::AssumeRoleWithWebIdentityOutput {
                credentials: Some(sts::Credentials {
                    access_key_id: Some(c.access_key_id),
                    secret_access_key: Some(c.secret_access_key.expose().to_owned()),
                    session_token: Some(c.session_token),
                    expiration: Some(c.expiration),
                }),
                subject_from_web_identity_token: Some(out.subject),
                assumed_role_user: Some(sts::AssumedRoleUser {
                    assumed_role_id: Some(out.role.assumed_role_id),
                    arn: Some(out.role.arn),
                }),
                provider: Some(out.provider),
                audience: Some(out.audience),
                packed_policy_size: out.role.packed_policy_size,
                source_identity: out.role.source_identity,
                ..Default::default()
            };
            Ok(xml::success(
                name,
                ns,
                request_id,
                Some(&|w: &mut xml::XmlWriter| {
                    iamd_protocol::encode::EncodeXml::encode(&output, w)
                }),
            ))
        }
        // Its reason is the domain's (`api::saml_not_implemented`); the input is still
        // decoded first, so a malformed request is a 400 rather than a 501.
        Operation::AssumeRoleWithSAML => {
            sts::AssumeRoleWithSAMLInput::decode(params)?;
            Err(iamd_core::api::saml_not_implemented())
        }
        _ => Err(Invalid::NotImplemented(name).into()),
    }
}
