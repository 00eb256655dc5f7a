//! Start-up and shutdown: open the store, create the account on first start, serve HTTP
//! until told to stop, then finish in-flight requests and flush pending key-use records.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use iamd_core::cache::{self, CachingStore};
use iamd_core::model::{KeyOwner, NewAccessKey};
use iamd_core::secret::{Keyring, SecretKey};
use iamd_core::usage::UsageRecorder;
use iamd_core::{ids, AllowAll, Authorizer, Iam, PolicyAuthorizer, Reseal, Store};
use iamd_store_postgres::PgStore;
use iamd_store_sqlite::SqliteStore;
use time::OffsetDateTime;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{error, info, warn};

use crate::handler;
use crate::tls::{self, Tls, TlsFiles};

/// The port iamd listens on unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9370";
/// How often batched key-use records are written to the store. Each flush is a write, and
/// on SQLite every write makes each reader drop its page cache at its next read: flushing
/// once a second rather than five times keeps those caches warm when every request reads
/// rows no cache holds (a million users), at the price of a second more of last-use
/// history lost if the process is killed (the serving node shows pending uses at once).
const USAGE_FLUSH_INTERVAL: Duration = Duration::from_secs(1);
/// The most a connection buffers of a request's line and headers (hyper's read buffer,
/// whose smallest allowed size is 8 KiB): SDK requests carry a few hundred bytes of
/// headers and send their parameters in the body.
const MAX_HEADER_BYTES: usize = 64 * 1024;
/// How long shutdown waits for in-flight requests.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
/// Rows per transaction when stored secrets are re-sealed (at start, `iamd rekey`).
const RESEAL_BATCH: usize = 500;

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// Where the store is (`--database-url`, `IAMD_DATABASE_URL`): `None` or
    /// `sqlite://PATH` for the embedded database (in `data_dir` when PATH is empty);
    /// `postgres://…` (or `postgresql://…`) for a PostgreSQL database that several nodes
    /// share.
    pub database_url: Option<String>,
    /// The account created on first start (`IAMD_ACCOUNT_ID`), else 12 random digits.
    pub account_id: Option<String>,
    /// The root key created on first start (`IAMD_ROOT_ACCESS_KEY_ID`/`IAMD_ROOT_SECRET_ACCESS_KEY`).
    pub root_key: Option<(String, SecretKey)>,
    /// Enforce identity policies (`--authorization on`, the default). Off, every
    /// authenticated caller may do everything, as in emulators without enforcement.
    pub authorization: bool,
    /// The master keys that seal stored secrets (`--master-key-file`, `IAMD_MASTER_KEY`;
    /// older ones from `--old-master-key-file` still open what they sealed). `None`: on
    /// SQLite, the key in `master.key` beside the database, generated on first start; on
    /// PostgreSQL, which many nodes share, start is refused.
    pub keyring: Option<Arc<Keyring>>,
    /// What one client may hold of the server before it has proven who it is.
    pub limits: Limits,
    /// Serve HTTPS with this certificate chain and key (`--tls-cert`, `--tls-key`); `None`
    /// serves plain HTTP.
    pub tls: Option<TlsFiles>,
    /// CA certificates (PEM) trusted for OIDC issuers besides the system's roots
    /// (`--oidc-ca-file`, `IAMD_OIDC_CA_FILE`).
    pub oidc_ca_file: Option<PathBuf>,
    /// Write an audit record of every request there (`--audit-log`); `None`: no audit log.
    pub audit: Option<crate::audit::AuditConfig>,
    /// The local-emulator mode (`--mode emulator`): any key id acts as root without a
    /// signature check, and `POST /moto-api/reset` (or `/iamd/v1/reset`) empties the store.
    pub emulator: bool,
    /// Serve `/metrics` (and the probes) on this address instead of the service port
    /// (`--metrics-listen`); `None`: `/metrics` on the service port.
    pub metrics_listen: Option<SocketAddr>,
}

impl Config {
    /// The defaults of `iamd serve` on the SQLite database in `data_dir`: no account or
    /// root key given, authorization on, plain HTTP, no audit log, `/metrics` on the
    /// service port. Set the rest with struct update syntax (`..Config::new(dir)`).
    pub fn new(data_dir: PathBuf) -> Config {
        Config {
            listen: DEFAULT_LISTEN
                .parse()
                .expect("DEFAULT_LISTEN is an address"),
            data_dir,
            database_url: None,
            account_id: None,
            root_key: None,
            authorization: true,
            keyring: None,
            limits: Limits::default(),
            tls: None,
            oidc_ca_file: None,
            audit: None,
            emulator: false,
            metrics_listen: None,
        }
    }
}

/// Bounds on what a connection may cost before its request is authenticated (SECURITY.md
/// lists them with the reasons for each value).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Connections served at once (`--max-connections`); a connection accepted beyond
    /// them is closed at once, without a response.
    pub max_connections: usize,
    /// How long a request's headers may take to arrive, from the first byte of the
    /// request, and how long a kept-alive connection may sit idle (`--header-timeout`).
    pub header_timeout: Duration,
    /// How long a request's body may take to arrive once its headers have
    /// (`--body-timeout`); a slower client gets 408 RequestTimeout and is disconnected.
    pub body_timeout: Duration,
    /// Failed authentications a source address may make in a minute before its requests
    /// are answered `Throttling` for the rest of that minute (`--auth-failure-limit`); 0:
    /// no throttle.
    pub auth_failures_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(20),
            auth_failures_per_minute: 0,
        }
    }
}

/// What first start created, to be shown to the operator once.
#[derive(Debug, Clone)]
pub struct Bootstrapped {
    pub account_id: String,
    pub root_access_key_id: String,
    /// Present only when iamd generated the secret itself.
    pub generated_secret: Option<SecretKey>,
}

pub struct Running {
    pub addr: SocketAddr,
    /// Where `/metrics` is served when `--metrics-listen` was given.
    pub metrics_addr: Option<SocketAddr>,
    pub account_id: String,
    /// `Some` on the start that created the account.
    pub bootstrapped: Option<Bootstrapped>,
    /// The store the server reads and writes (through its caches): a data directory is
    /// served by one process, so tools in the same process reach it here.
    pub store: Arc<dyn Store>,
    /// The master keys the server seals and opens stored secrets with.
    pub keyring: Arc<Keyring>,
    tls: Option<Tls>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Running {
    /// `https://ADDR` when serving TLS, else `http://ADDR`.
    pub fn endpoint(&self) -> String {
        let scheme = if self.serves_tls() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Whether the server speaks HTTPS.
    pub fn serves_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Re-reads the TLS certificate chain and key (what SIGHUP does): new connections use
    /// the new pair; if it cannot be used, the old one stays and the error says why. Without
    /// TLS there is nothing to reload.
    pub fn reload_tls(&self) -> Result<(), tls::TlsError> {
        match &self.tls {
            Some(tls) => tls.reload(),
            None => Ok(()),
        }
    }

    /// Stops accepting, lets in-flight requests finish, flushes key-use records.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            error!(%e, "server task failed");
        }
    }

    /// Waits until the server stops on its own (it does not, unless it fails).
    pub async fn wait(&mut self) {
        let _ = (&mut self.task).await;
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Where (a path, or a database URL without its password) and why.
    #[error("cannot open the store at {0}: {1}")]
    Store(String, String),
    #[error("cannot listen on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("{0}")]
    Tls(#[from] tls::TlsError),
    #[error("{0}")]
    Audit(#[from] crate::audit::AuditError),
}

async fn bootstrap(
    store: &dyn Store,
    config: &Config,
    keyring: &Keyring,
) -> Result<(String, Option<Bootstrapped>), StartError> {
    let account_id = match &config.account_id {
        Some(id) if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) => id.clone(),
        Some(id) => {
            return Err(StartError::Config(format!(
                "IAMD_ACCOUNT_ID must be 12 digits, got '{id}'"
            )))
        }
        None => ids::account_id(),
    };
    let (key_id, secret, generated) = match &config.root_key {
        Some((id, secret)) => {
            let ok = (16..=128).contains(&id.len())
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !ok || secret.expose().is_empty() {
                return Err(StartError::Config(
                    "IAMD_ROOT_ACCESS_KEY_ID must be 16-128 word characters and the secret non-empty".into(),
                ));
            }
            (id.clone(), secret.clone(), false)
        }
        None => (
            ids::access_key_id(&account_id),
            ids::secret_access_key(),
            true,
        ),
    };
    let root_key = NewAccessKey {
        access_key_id: key_id.clone(),
        account_id: account_id.clone(),
        owner: KeyOwner::Root,
        secret: secret.seal(keyring),
        create_date: OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap_or_else(|_| OffsetDateTime::now_utc()),
    };
    let (existing, created) = store
        .bootstrap_account(&account_id, root_key)
        .await
        .map_err(|e| {
            let at = Backend::of(config).map_or_else(|_| "?".into(), |b| b.to_string());
            StartError::Store(at, e.to_string())
        })?;
    if !created {
        if config.account_id.as_deref().is_some_and(|a| a != existing) {
            warn!(account = %existing, "the store already holds an account; IAMD_ACCOUNT_ID is ignored");
        }
        return Ok((existing, None));
    }
    Ok((
        existing.clone(),
        Some(Bootstrapped {
            account_id: existing,
            root_access_key_id: key_id,
            generated_secret: generated.then_some(secret),
        }),
    ))
}

/// The store `Config::database_url` names.
pub(crate) enum Backend {
    /// The database file, and whether it is in the data directory (which iamd then owns).
    Sqlite(PathBuf, bool),
    /// The URL, and its description without the password.
    Postgres(String, String),
}

impl Backend {
    pub(crate) fn of(config: &Config) -> Result<Backend, StartError> {
        match config.database_url.as_deref() {
            None => Ok(Backend::Sqlite(config.data_dir.join("iamd.sqlite3"), true)),
            Some(url) => match url.split_once("://") {
                Some(("sqlite", "")) => {
                    Ok(Backend::Sqlite(config.data_dir.join("iamd.sqlite3"), true))
                }
                Some(("sqlite", path)) => Ok(Backend::Sqlite(PathBuf::from(path), false)),
                Some(("postgres" | "postgresql", _)) => Ok(Backend::Postgres(
                    url.to_owned(),
                    iamd_store_postgres::redacted_url(url),
                )),
                _ => Err(StartError::Config(
                    "the database URL must start with sqlite:// or postgres://".into(),
                )),
            },
        }
    }

    /// Opens the store and brings its schema up to date.
    pub(crate) async fn open(&self) -> Result<Arc<dyn Store>, StartError> {
        let failed = |e: iamd_core::StoreError| StartError::Store(self.to_string(), e.to_string());
        match self {
            Backend::Sqlite(path, own_dir) => {
                if *own_dir {
                    if let Some(dir) = path.parent() {
                        iamd_store_sqlite::private_dir(dir)
                            .map_err(|e| StartError::Store(self.to_string(), e))?;
                    }
                }
                Ok(Arc::new(SqliteStore::open(path).map_err(failed)?))
            }
            Backend::Postgres(url, _) => {
                let store: PgStore = iamd_store_postgres::connect(url).await.map_err(failed)?;
                store.migrate().await.map_err(failed)?;
                Ok(Arc::new(store))
            }
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Backend::Sqlite(path, _) => write!(f, "{}", path.display()),
            Backend::Postgres(_, redacted) => f.write_str(redacted),
        }
    }
}

impl Backend {
    /// The master keys: the configured ones, else on SQLite the key file beside the
    /// database (generated on first start). PostgreSQL needs one given: nodes that each
    /// generated their own could not read each other's secrets.
    fn keyring(&self, config: &Config) -> Result<Arc<Keyring>, StartError> {
        if let Some(keyring) = &config.keyring {
            return Ok(keyring.clone());
        }
        match self {
            Backend::Sqlite(path, _) => {
                let dir = path
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or(std::path::Path::new("."));
                let (key, created) = iamd_store_sqlite::data_dir_master_key(dir)
                    .map_err(|e| StartError::Config(format!("master key: {e}")))?;
                if created {
                    warn!(
                        file = %dir.join(iamd_store_sqlite::MASTER_KEY_FILE).display(),
                        "generated a master key for stored secrets; keep this file, and a copy apart from the database: without it the stored secrets are lost"
                    );
                }
                Ok(Arc::new(Keyring::new(key)))
            }
            Backend::Postgres(..) => Err(StartError::Config(
                "a PostgreSQL store needs a master key, the same on every node: give \
                 --master-key-file FILE or IAMD_MASTER_KEY (base64 of 32 random bytes, e.g. \
                 `openssl rand -base64 32`)"
                    .into(),
            )),
        }
    }
}

/// Opens the store, brings its schema up to date and re-seals any `plain:` secret left by
/// an older version under the current master key.
async fn open_sealed(
    config: &Config,
) -> Result<(Backend, Arc<dyn Store>, Arc<Keyring>), StartError> {
    let backend = Backend::of(config)?;
    let keyring = backend.keyring(config)?;
    let store = backend.open().await?;
    let resealed = store
        .reseal_secrets(&keyring, Reseal::Plain, RESEAL_BATCH)
        .await
        .map_err(|e| StartError::Store(backend.to_string(), e.to_string()))?;
    if resealed > 0 {
        info!(
            resealed,
            key = keyring.current_id(),
            "encrypted stored secrets kept in clear text by an older version"
        );
    }
    Ok((backend, store, keyring))
}

/// Opens the store `config` names, brings its schema up to date and encrypts secrets left
/// in clear text (`iamd migrate`); returns where it is.
pub async fn migrate(config: &Config) -> Result<String, StartError> {
    let (backend, _, _) = open_sealed(config).await?;
    Ok(backend.to_string())
}

/// Re-seals every stored secret under the current master key (`iamd rekey`), the old keys
/// being in the ring; returns where the store is and how many secrets were re-sealed.
/// Nodes that hold both keys keep serving meanwhile.
pub async fn rekey(config: &Config) -> Result<(String, u64), StartError> {
    let Some(keyring) = &config.keyring else {
        return Err(StartError::Config(
            "rekey needs the new master key (--master-key-file or IAMD_MASTER_KEY) and the \
             old ones (--old-master-key-file)"
                .into(),
        ));
    };
    let (backend, store, _) = open_sealed(config).await?;
    let n = store
        .reseal_secrets(keyring, Reseal::NotCurrent, RESEAL_BATCH)
        .await
        .map_err(|e| StartError::Store(backend.to_string(), e.to_string()))?;
    Ok((backend.to_string(), n))
}

pub async fn start(config: Config) -> Result<Running, StartError> {
    // Checked first: a wrong path should not wait for the database.
    let tls = config.tls.clone().map(Tls::load).transpose()?;
    let audit = config
        .audit
        .as_ref()
        .map(crate::audit::AuditLog::start)
        .transpose()?;
    let (backend, store, keyring) = open_sealed(&config).await?;
    let (account_id, bootstrapped) = bootstrap(store.as_ref(), &config, &keyring).await?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| StartError::Listen(config.listen, e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| StartError::Listen(config.listen, e))?;
    let metrics_listener = match config.metrics_listen {
        Some(at) => Some(
            TcpListener::bind(at)
                .await
                .map_err(|e| StartError::Listen(at, e))?,
        ),
        None => None,
    };
    let metrics_addr = metrics_listener
        .as_ref()
        .map(|l| l.local_addr())
        .transpose()
        .map_err(|e| StartError::Listen(config.listen, e))?;
    let usage = Arc::new(UsageRecorder::default());
    // Authentication reads credentials through a cache; see `iamd_core::cache`.
    let store_kind = match backend {
        Backend::Sqlite(..) => "sqlite",
        Backend::Postgres(..) => "postgres",
    };
    let metrics = crate::metrics::Metrics::new(store_kind);
    let caching = Arc::new(
        CachingStore::new(store, cache::DEFAULT_TTL).with_observer(metrics.store_observer()),
    );
    let store: Arc<dyn Store> = caching.clone();
    let authorizer: Arc<dyn Authorizer> = if config.authorization {
        Arc::new(PolicyAuthorizer::new(store.clone()))
    } else {
        warn!("authorization is off: every authenticated caller may do everything");
        Arc::new(AllowAll)
    };
    let issuer_keys = Arc::new(
        crate::oidc_keys::HttpsIssuerKeys::new(config.oidc_ca_file.as_deref())
            .map_err(StartError::Config)?,
    );
    let state = Arc::new(State {
        iam: Iam::new(store.clone(), authorizer, usage, keyring.clone())
            .with_issuer_keys(issuer_keys),
        signing_keys: Default::default(),
        request_ids: Default::default(),
        auth_failures: crate::auth::AuthFailures::new(config.limits.auth_failures_per_minute),
        body_budget: Default::default(),
        limits: config.limits.clone(),
        account_id: account_id.clone(),
        store_kind,
        readiness: Default::default(),
        metrics,
        sign_in: Default::default(),
        audit,
        emulator: config.emulator,
        metrics_listen: metrics_addr,
        cache: caching,
    });
    if config.emulator {
        warn!(
            "EMULATOR MODE: signatures are not verified, any access key id acts as the \
             account's root, and POST /moto-api/reset or /iamd/v1/reset deletes every \
             user, role and policy; never serve real clients in this mode"
        );
    }
    let (stop, stop_rx) = watch::channel(false);
    if let Some(listener) = metrics_listener {
        tokio::spawn(serve_metrics(listener, state.clone(), stop_rx.clone()));
    }
    let task = tokio::spawn(serve(listener, state, tls.clone(), stop_rx));
    info!(%addr, account = %account_id, tls = tls.is_some(), "iamd listening");
    Ok(Running {
        addr,
        metrics_addr,
        account_id,
        bootstrapped,
        store,
        keyring,
        tls,
        stop,
        task,
    })
}

async fn flush_usage(state: &State) {
    let started = std::time::Instant::now();
    let flushed = state.iam.flush_usage().await;
    state.metrics.usage_flushed(started, flushed.is_ok());
    if let Err(e) = flushed {
        warn!(%e, "could not record key use; will retry");
    }
}

/// What every request handler shares.
pub(crate) struct State {
    pub iam: Iam,
    pub signing_keys: crate::auth::SigningKeys,
    pub request_ids: crate::handler::RequestIds,
    pub auth_failures: crate::auth::AuthFailures,
    pub body_budget: crate::handler::BodyBudget,
    pub limits: Limits,
    /// The served account, which `/readyz` reads.
    pub account_id: String,
    /// `sqlite` or `postgres`, for `/readyz`.
    pub store_kind: &'static str,
    pub readiness: crate::health::Readiness,
    pub metrics: crate::metrics::Metrics,
    /// `POST /iamd/v1/sign-in`'s back-off tables.
    pub sign_in: crate::signin::SignIn,
    /// Where each request's audit record is queued, when there is an audit log.
    pub audit: Option<crate::audit::AuditLog>,
    /// `--mode emulator`.
    pub emulator: bool,
    /// The `--metrics-listen` address, when `/metrics` is served there instead.
    pub metrics_listen: Option<SocketAddr>,
    /// The caches in front of the store (the same as `iam`'s), for their metrics.
    pub cache: Arc<CachingStore>,
}

/// The `--metrics-listen` port: plain HTTP/1.1, `/metrics` and the probes only, with the
/// service's header timeout, until the server stops. Its connections are few (a
/// Prometheus server), so they are not counted against `--max-connections`.
async fn serve_metrics(listener: TcpListener, state: Arc<State>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let state = state.clone();
                tokio::spawn(async move {
                    let header_timeout = state.limits.header_timeout;
                    let service = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                        let state = state.clone();
                        async move {
                            Ok::<_, std::convert::Infallible>(
                                crate::health::answer_private(&state, req.method(), req.uri().path()).await,
                            )
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(header_timeout)
                        .max_buf_size(MAX_HEADER_BYTES)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            _ = stop.changed() => break,
        }
    }
}

/// Serves one HTTP/1.1 connection, plain or over TLS, until it closes or the server's
/// drain (`watcher`) closes it.
async fn http1<I>(
    io: I,
    state: Arc<State>,
    peer: SocketAddr,
    watcher: Watcher,
) -> Result<(), hyper::Error>
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let header_timeout = state.limits.header_timeout;
    let service = service_fn(move |req| {
        let state = state.clone();
        async move { Ok::<_, std::convert::Infallible>(handler::handle(&state, req, peer).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_header_size(MAX_HEADER_BYTES)
        .max_buf_size(MAX_HEADER_BYTES)
        .serve_connection(TokioIo::new(io), service);
    watcher.watch(conn).await
}

async fn serve(
    listener: TcpListener,
    state: Arc<State>,
    tls: Option<Tls>,
    mut stop: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let connections = Arc::new(tokio::sync::Semaphore::new(state.limits.max_connections));
    let mut flush = tokio::time::interval(USAGE_FLUSH_INTERVAL);
    flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(conn) => conn,
                    Err(e) => {
                        // Out of file descriptors and the like: back off briefly, keep serving.
                        warn!(%e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                // Over the cap, the connection is closed before anything is read from it:
                // a flood of idle or slow connections costs a file descriptor each for at
                // most the header timeout, and never more than the cap.
                let Ok(permit) = connections.clone().try_acquire_owned() else {
                    tracing::debug!(%peer, "connection refused: too many connections");
                    state.metrics.connection_refused();
                    continue;
                };
                let open = state.metrics.connection();
                let _ = stream.set_nodelay(true);
                let state = state.clone();
                let tls = tls.clone();
                let watcher = graceful.watcher();
                let stop = stop.clone();
                // The TLS handshake runs here, in the connection's own task, never in the
                // accept loop.
                tokio::spawn(async move {
                    let served = match tls {
                        None => http1(stream, state, peer, watcher).await,
                        Some(tls) => match tls.accept(stream).await {
                            Err(e) => {
                                tracing::debug!(%peer, %e, "TLS handshake failed");
                                return;
                            }
                            Ok(tls::Accepted { stream, http2: false }) => {
                                http1(stream, state, peer, watcher).await
                            }
                            Ok(tls::Accepted { stream, http2: true }) => {
                                let idle = state.limits.header_timeout;
                                crate::http2::serve(stream, state, peer, idle, watcher, stop).await
                            }
                        },
                    };
                    if let Err(e) = served {
                        tracing::debug!(%e, "connection ended with an error");
                    }
                    drop(permit);
                    drop(open);
                });
            }
            _ = flush.tick() => flush_usage(&state).await,
            _ = stop.changed() => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        warn!("in-flight requests did not finish within {DRAIN_TIMEOUT:?}");
    }
    flush_usage(&state).await;
    if let Some(audit) = &state.audit {
        audit.flush().await;
    }
    info!("iamd stopped");
}
