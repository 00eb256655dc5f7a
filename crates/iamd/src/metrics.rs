//! Prometheus metrics, served as text at `GET /metrics` (outside the AWS API, without a
//! signature, like the probes in `health`).
//!
//! Every label value comes from a fixed set (the model's operation names, iamd's error
//! codes, the services), never from what a client sends, so that no request can add a
//! series: an action the models do not have is counted as `unknown`.

use std::time::{Duration, Instant};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    service: &'static str,
    action: &'static str,
    /// `OK`, or the AWS error code answered.
    code: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    service: &'static str,
    action: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    /// The AWS error code of the refusal (`SignatureDoesNotMatch`, `InvalidClientTokenId`, …).
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

/// The metrics every request handler shares (in `State`).
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    duration: Family<ActionLabels, Histogram>,
    auth_failures: Family<ReasonLabels, Counter>,
    connections_open: Gauge,
    connections: Counter,
    connections_refused: Counter,
    usage_flushes: Family<OutcomeLabels, Counter>,
    usage_flush_seconds: Histogram,
}

/// Latency buckets from 100 µs to 2.5 s (a request served from memory takes tens of
/// microseconds; a PostgreSQL write a few milliseconds).
fn latency_buckets() -> impl Iterator<Item = f64> {
    [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    ]
    .into_iter()
}

impl Metrics {
    pub(crate) fn new(store: &'static str) -> Metrics {
        let mut registry = Registry::with_prefix("iamd");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "Requests answered, by service, action and AWS error code (OK when served)",
            requests.clone(),
        );
        let duration = Family::<ActionLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(latency_buckets())
        });
        registry.register(
            "request_duration_seconds",
            "Time from the request's headers to its answer, by service and action",
            duration.clone(),
        );
        let auth_failures = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "authentication_failures",
            "Requests refused before a caller was known, by AWS error code",
            auth_failures.clone(),
        );
        let connections_open = Gauge::default();
        registry.register(
            "connections_open",
            "Connections being served",
            connections_open.clone(),
        );
        let connections = Counter::default();
        registry.register("connections", "Connections accepted", connections.clone());
        let connections_refused = Counter::default();
        registry.register(
            "connections_refused",
            "Connections closed at once because --max-connections were open",
            connections_refused.clone(),
        );
        let usage_flushes = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "usage_flushes",
            "Writes of batched last-used records, by outcome (ok, failed)",
            usage_flushes.clone(),
        );
        let usage_flush_seconds = Histogram::new(latency_buckets());
        registry.register(
            "usage_flush_seconds",
            "Time one write of last-used records took",
            usage_flush_seconds.clone(),
        );
        registry.register(
            "build",
            "The running iamd",
            Info::new(vec![
                ("version", env!("CARGO_PKG_VERSION")),
                ("store", store),
            ]),
        );
        Metrics {
            registry,
            requests,
            duration,
            auth_failures,
            connections_open,
            connections,
            connections_refused,
            usage_flushes,
            usage_flush_seconds,
        }
    }

    /// One answered request.
    pub(crate) fn request(
        &self,
        service: &'static str,
        action: &'static str,
        code: &'static str,
        took: Duration,
    ) {
        self.requests
            .get_or_create(&RequestLabels {
                service,
                action,
                code,
            })
            .inc();
        self.duration
            .get_or_create(&ActionLabels { service, action })
            .observe(took.as_secs_f64());
    }

    pub(crate) fn authentication_failed(&self, reason: &'static str) {
        self.auth_failures
            .get_or_create(&ReasonLabels { reason })
            .inc();
    }

    /// A connection accepted; the guard counts it open until dropped.
    pub(crate) fn connection(&self) -> OpenConnection {
        self.connections.inc();
        self.connections_open.inc();
        OpenConnection(self.connections_open.clone())
    }

    pub(crate) fn connection_refused(&self) {
        self.connections_refused.inc();
    }

    pub(crate) fn usage_flushed(&self, started: Instant, ok: bool) {
        let outcome = if ok { "ok" } else { "failed" };
        self.usage_flushes
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
        self.usage_flush_seconds
            .observe(started.elapsed().as_secs_f64());
    }

    /// The text exposition format.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// An open connection, counted in `connections_open` until dropped.
pub(crate) struct OpenConnection(Gauge);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.dec();
    }
}
