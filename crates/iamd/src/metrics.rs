//! Prometheus metrics, served as text at `GET /metrics` (outside the AWS API, without a
//! signature, like the probes in `health`).
//!
//! Every label value comes from a fixed set (the model's operation names, iamd's error
//! codes, the services), never from what a client sends, so that no request can add a
//! series: an action the models do not have is counted as `unknown`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use iamd_core::cache::StoreObserver;
use iamd_core::store::StoreError;

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
struct CacheLabels {
    /// `credentials`, `users` or `keys` (`iamd_core::cache::CachingStore`).
    cache: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StoreLabels {
    /// `sqlite` or `postgres`.
    backend: &'static str,
    /// The `Store` method called (`get_user`, `create_access_key`, …).
    operation: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StoreErrorLabels {
    backend: &'static str,
    operation: &'static str,
    /// `store_error_kind`'s.
    kind: &'static str,
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
    audit_dropped: Counter,
    denials: Family<ActionLabels, Counter>,
    sign_ins: Family<OutcomeLabels, Counter>,
    cache_entries: Family<CacheLabels, Gauge>,
    cache_hits: Family<CacheLabels, Counter>,
    cache_misses: Family<CacheLabels, Counter>,
    store: StoreMetrics,
    /// Renders one at a time: the cache counters are brought up to date by difference.
    rendering: std::sync::Mutex<()>,
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
        let denials = Family::<ActionLabels, Counter>::default();
        registry.register(
            "authorization_denials",
            "Authenticated requests refused AccessDenied, by service and action",
            denials.clone(),
        );
        let sign_ins = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "sign_ins",
            "Answers of POST /iamd/v1/sign-in, by outcome (ok, denied, locked, invalid, error)",
            sign_ins.clone(),
        );
        let cache_entries = Family::<CacheLabels, Gauge>::default();
        registry.register(
            "cache_entries",
            "Entries held by each cache in front of the store",
            cache_entries.clone(),
        );
        let cache_hits = Family::<CacheLabels, Counter>::default();
        registry.register(
            "cache_hits",
            "Look-ups a cache in front of the store answered",
            cache_hits.clone(),
        );
        let cache_misses = Family::<CacheLabels, Counter>::default();
        registry.register(
            "cache_misses",
            "Look-ups a cache in front of the store passed on to it",
            cache_misses.clone(),
        );
        let store = StoreMetrics {
            backend: store,
            duration: Family::new_with_constructor(|| Histogram::new(latency_buckets())),
            errors: Family::default(),
        };
        registry.register(
            "store_operation_duration_seconds",
            "Time the store (behind the caches) took to answer a call, by backend and Store method",
            store.duration.clone(),
        );
        registry.register(
            "store_errors",
            "Store calls that failed, by backend, Store method and kind (unavailable: the backend failed; not_found, conflict, limit: refusals of the request)",
            store.errors.clone(),
        );
        let audit_dropped = Counter::default();
        registry.register(
            "audit_records_dropped",
            "Audit records not written because the queue to the audit writer was full (--audit-log-full drop)",
            audit_dropped.clone(),
        );
        registry.register(
            "build",
            "The running iamd",
            Info::new(vec![
                ("version", env!("CARGO_PKG_VERSION")),
                ("store", store.backend),
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
            audit_dropped,
            denials,
            sign_ins,
            cache_entries,
            cache_hits,
            cache_misses,
            store,
            rendering: Default::default(),
        }
    }

    /// What the caching store tells of the calls it passes on to the backend.
    pub(crate) fn store_observer(&self) -> Arc<dyn StoreObserver> {
        Arc::new(self.store.clone())
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

    /// A request refused by authorization (`AccessDenied`).
    pub(crate) fn denied(&self, service: &'static str, action: &'static str) {
        self.denials
            .get_or_create(&ActionLabels { service, action })
            .inc();
    }

    /// One answer of the sign-in check, by its HTTP status.
    pub(crate) fn sign_in(&self, status: u16) {
        let outcome = match status {
            200 => "ok",
            401 => "denied",
            429 => "locked",
            400..=499 => "invalid",
            _ => "error",
        };
        self.sign_ins
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
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

    pub(crate) fn audit_record_dropped(&self) {
        self.audit_dropped.inc();
    }

    /// The text exposition format, with the caches' figures as `cache` reports them now.
    pub(crate) fn render(&self, cache: &iamd_core::cache::CachingStore) -> String {
        let _one = self.rendering.lock().unwrap_or_else(|e| e.into_inner());
        for stats in cache.stats() {
            let labels = CacheLabels { cache: stats.cache };
            self.cache_entries
                .get_or_create(&labels)
                .set(i64::try_from(stats.entries).unwrap_or(i64::MAX));
            for (family, now) in [
                (&self.cache_hits, stats.hits),
                (&self.cache_misses, stats.misses),
            ] {
                let counter = family.get_or_create(&labels);
                counter.inc_by(now.saturating_sub(counter.get()));
            }
        }
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// The store's latency and errors (shared with `Metrics`' registry: a `Family` is a handle).
#[derive(Clone)]
struct StoreMetrics {
    backend: &'static str,
    duration: Family<StoreLabels, Histogram>,
    errors: Family<StoreErrorLabels, Counter>,
}

impl StoreObserver for StoreMetrics {
    fn observe(&self, operation: &'static str, took: Duration, error: Option<&StoreError>) {
        let backend = self.backend;
        self.duration
            .get_or_create(&StoreLabels { backend, operation })
            .observe(took.as_secs_f64());
        if let Some(e) = error {
            self.errors
                .get_or_create(&StoreErrorLabels {
                    backend,
                    operation,
                    kind: store_error_kind(e),
                })
                .inc();
        }
    }
}

/// A bounded classification of `StoreError` for the `kind` label: `unavailable` (the
/// backend failed: connection, I/O, corruption), `not_found`, `limit` (a quota), and
/// `conflict` (the rest: the entity exists already, or is still in use).
fn store_error_kind(e: &StoreError) -> &'static str {
    use StoreError::*;
    match e {
        Backend(_) => "unavailable",
        NoSuchUser
        | NoSuchAccessKey
        | NoSuchPolicy
        | NoSuchRole
        | NoSuchGroup
        | NotInGroup
        | NoSuchPolicyVersion
        | PolicyNotAttached
        | NoSuchInstanceProfile
        | RoleNotInInstanceProfile
        | NoSuchMfaDevice
        | NoSuchServiceCredential
        | NoSuchPublicCredential
        | NoSuchServerCertificate
        | NoSuchOidcProvider
        | NoSuchSamlProvider
        | NoSuchAccountAlias
        | NoSuchLoginProfile => "not_found",
        KeyQuotaExceeded
        | GroupQuotaExceeded
        | GroupsPerUserExceeded
        | AttachmentQuotaExceeded
        | PolicySizeExceeded
        | PolicyVersionsExceeded
        | InstanceProfileRolesExceeded
        | MfaDeviceQuotaExceeded
        | ServiceCredentialQuotaExceeded
        | PublicCredentialQuotaExceeded
        | ServerCertificateQuotaExceeded
        | TagQuotaExceeded
        | OidcProviderQuotaExceeded
        | OidcClientIdQuotaExceeded
        | SamlProviderQuotaExceeded => "limit",
        _ => "conflict",
    }
}

/// An open connection, counted in `connections_open` until dropped.
pub(crate) struct OpenConnection(Gauge);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.dec();
    }
}
