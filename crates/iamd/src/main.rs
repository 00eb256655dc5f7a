use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use iamd::admin::AdminCommand;
use iamd::server::{self, Config, Limits};
use iamd::TlsFiles;

/// mimalloc rather than the system allocator: a request makes many small, short-lived
/// allocations, which glibc's malloc serves at several times the cost (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use iamd_core::secret::{Keyring, MasterKey, SecretKey};

#[derive(Parser)]
#[command(
    name = "iamd",
    version,
    about = "An AWS IAM-compatible identity service"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once at start: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Serve the IAM and STS Query APIs over HTTP, or HTTPS with --tls-cert and --tls-key.
    Serve {
        /// Address to listen on; port 0 picks a free port (the bound address is printed).
        #[arg(long, env = "IAMD_LISTEN", default_value = server::DEFAULT_LISTEN)]
        listen: SocketAddr,
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        keys: KeyArgs,
        /// Enforce identity policies (`on`, as AWS does), or let every authenticated caller
        /// do everything (`off`, for local setups that expect an emulator without enforcement).
        #[arg(long, env = "IAMD_AUTHORIZATION", default_value = "on", value_parser = ["on", "off"])]
        authorization: String,
        /// Serve HTTPS (HTTP/1.1 and HTTP/2) with this PEM certificate chain: the server's
        /// certificate first, then intermediates. Re-read with the key on SIGHUP.
        #[arg(long, env = "IAMD_TLS_CERT", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The PEM private key of --tls-cert (PKCS#8, RSA or SEC1).
        #[arg(long, env = "IAMD_TLS_KEY", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// With TLS, offer HTTP/2 as well as HTTP/1.1 (`on`), or HTTP/1.1 only (`off`).
        #[arg(long, env = "IAMD_HTTP2", default_value = "on", value_parser = ["on", "off"])]
        http2: String,
        /// CA certificates (PEM) to trust for OIDC issuers' HTTPS, besides the system's.
        #[arg(long, env = "IAMD_OIDC_CA_FILE")]
        oidc_ca_file: Option<PathBuf>,
        #[command(flatten)]
        limits: LimitArgs,
        /// Write an audit record (one JSON line in CloudTrail's shape) of every request to
        /// this file (rotated by size, older files kept as FILE.1 … FILE.N), or to stdout
        /// with `-`. None by default.
        #[arg(long, env = "IAMD_AUDIT_LOG")]
        audit_log: Option<String>,
        /// Rotate the audit log file once it holds this many bytes (at least 1 MiB).
        #[arg(long, env = "IAMD_AUDIT_LOG_MAX_BYTES", default_value_t = iamd::audit::DEFAULT_MAX_FILE_BYTES)]
        audit_log_max_bytes: u64,
        /// Rotated audit log files kept (FILE.1 newest … FILE.N oldest), 1 to 100.
        #[arg(long, env = "IAMD_AUDIT_LOG_KEEP", default_value_t = iamd::audit::DEFAULT_KEPT_FILES)]
        audit_log_keep: u32,
        /// When the audit writer falls behind (16,384 records queued): `drop` the record
        /// and count it in iamd_audit_records_dropped_total, or `block` the request until
        /// there is room.
        #[arg(long, env = "IAMD_AUDIT_LOG_FULL", default_value = "drop", value_parser = ["drop", "block"])]
        audit_log_full: String,
        /// `default`, or `emulator` for local tests that expect moto or LocalStack: any
        /// syntactically valid access key id acts as the account's root with any secret
        /// (signatures are parsed, not verified), `POST /moto-api/reset` and
        /// `POST /iamd/v1/reset` delete every user, role and policy, and authorization is
        /// off unless --emulator-authorize. Never for real clients.
        #[arg(long, env = "IAMD_MODE", default_value = "default", value_parser = ["default", "emulator"])]
        mode: String,
        /// In the emulator mode, enforce identity policies for the keys iamd issued.
        #[arg(long, env = "IAMD_EMULATOR_AUTHORIZE")]
        emulator_authorize: bool,
        /// Serve /metrics (and /healthz, /readyz) on this address, plain HTTP, instead of
        /// on the service port; port 0 picks a free port (printed at start).
        #[arg(long, env = "IAMD_METRICS_LISTEN")]
        metrics_listen: Option<SocketAddr>,
    },
    /// Bring the store's schema up to date and encrypt secrets an older version kept in
    /// clear text, then exit (`serve` does both too, at start).
    Migrate {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        keys: KeyArgs,
    },
    /// Re-seal every stored secret under the master key given (--master-key-file or
    /// IAMD_MASTER_KEY), opening them with it or the old keys (--old-master-key-file), then
    /// exit. Nodes holding both keys keep serving meanwhile.
    Rekey {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        keys: KeyArgs,
    },
    /// Write a consistent copy of the embedded SQLite database to FILE, also while a
    /// server serves it. The copy holds secrets sealed under the master key, not the key:
    /// keep the key apart from it. (PostgreSQL: use pg_dump.)
    Backup {
        /// The file to write (must not exist; made mode 0600).
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Replace the embedded SQLite database by a backup, after checking it (an iamd
    /// backup, a schema version this iamd knows, secrets that the master key given opens).
    /// Refused while a server holds the data directory; the replaced database is kept.
    Restore {
        /// The backup made by `iamd backup`.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        keys: KeyArgs,
    },
    /// Bootstrap and break-glass work on the store, without the API.
    Admin {
        #[command(subcommand)]
        command: AdminCli,
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        keys: KeyArgs,
    },
}

#[derive(Subcommand)]
enum AdminCli {
    /// The root and every user with their access keys: status, age, last use. Runs beside
    /// a server (on a snapshot of the SQLite database).
    ListUsers,
    /// Create an access key for the account root and print its secret, once.
    CreateRootKey,
    /// Make an access key (any owner's) inactive.
    DeactivateKey {
        /// The access key id.
        key_id: String,
    },
    /// Delete an access key (any owner's).
    DeleteKey {
        /// The access key id.
        key_id: String,
    },
    /// AWS's credential report (CSV) on standard output. Runs beside a server (on a
    /// snapshot of the SQLite database).
    CredentialReport,
}

#[derive(clap::Args)]
struct KeyArgs {
    /// File holding the master key that encrypts stored secrets: base64 of 32 random bytes
    /// (`openssl rand -base64 32`). Or the key itself in IAMD_MASTER_KEY. Neither: on
    /// SQLite, master.key in the data directory (generated on first start); PostgreSQL
    /// refuses to start.
    #[arg(long, env = "IAMD_MASTER_KEY_FILE", global = true)]
    master_key_file: Option<PathBuf>,
    /// A previous master key (file, same form), still used to open secrets it sealed while
    /// keys are rotated. Repeatable.
    #[arg(long, global = true)]
    old_master_key_file: Vec<PathBuf>,
}

impl KeyArgs {
    /// The configured keys; `None` when no current key is given.
    fn keyring(&self) -> Result<Option<Arc<Keyring>>, String> {
        let from_env = std::env::var("IAMD_MASTER_KEY").ok();
        let current = match (&self.master_key_file, from_env) {
            (Some(_), Some(_)) => {
                return Err("give the master key as --master-key-file or IAMD_MASTER_KEY, not both".into())
            }
            (Some(file), None) => iamd_store_sqlite::read_master_key(file)?,
            (None, Some(text)) => MasterKey::from_base64(&text)
                .map_err(|e| format!("IAMD_MASTER_KEY: {e}"))?,
            (None, None) if self.old_master_key_file.is_empty() => return Ok(None),
            (None, None) => {
                return Err("--old-master-key-file needs the current key as well (--master-key-file or IAMD_MASTER_KEY)".into())
            }
        };
        let mut ring = Keyring::new(current);
        for file in &self.old_master_key_file {
            ring = ring.with_old(iamd_store_sqlite::read_master_key(file)?);
        }
        Ok(Some(Arc::new(ring)))
    }
}

/// What a client may hold of the server before it is authenticated (SECURITY.md).
#[derive(clap::Args)]
struct LimitArgs {
    /// Connections served at once; one accepted beyond them is closed at once.
    #[arg(long, env = "IAMD_MAX_CONNECTIONS", default_value_t = Limits::default().max_connections)]
    max_connections: usize,
    /// Seconds a request's headers may take to arrive (and a kept-alive connection may idle).
    #[arg(long, env = "IAMD_HEADER_TIMEOUT", default_value_t = Limits::default().header_timeout.as_secs_f64())]
    header_timeout: f64,
    /// Seconds a request's body may take to arrive after its headers (then 408).
    #[arg(long, env = "IAMD_BODY_TIMEOUT", default_value_t = Limits::default().body_timeout.as_secs_f64())]
    body_timeout: f64,
    /// Failed authentications a source address may make in a minute before it is answered
    /// `Throttling` for the rest of that minute; 0 turns the throttle off.
    #[arg(long, env = "IAMD_AUTH_FAILURE_LIMIT", default_value_t = Limits::default().auth_failures_per_minute)]
    auth_failure_limit: u32,
}

impl LimitArgs {
    fn limits(&self) -> Result<Limits, String> {
        let seconds = |name: &str, s: f64| {
            Duration::try_from_secs_f64(s)
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| format!("--{name} must be a positive number of seconds"))
        };
        if self.max_connections == 0 {
            return Err("--max-connections must be at least 1".into());
        }
        Ok(Limits {
            max_connections: self.max_connections,
            header_timeout: seconds("header-timeout", self.header_timeout)?,
            body_timeout: seconds("body-timeout", self.body_timeout)?,
            auth_failures_per_minute: self.auth_failure_limit,
        })
    }
}

#[derive(clap::Args)]
struct StoreArgs {
    /// Directory of the embedded SQLite database.
    #[arg(
        long,
        env = "IAMD_DATA_DIR",
        default_value = "./iamd-data",
        global = true
    )]
    data_dir: PathBuf,
    /// The store: sqlite://PATH (default: the SQLite file in --data-dir), or
    /// postgres://USER[:PASSWORD]@HOST[:PORT]/DB for a PostgreSQL database shared by nodes.
    #[arg(long, env = "IAMD_DATABASE_URL", hide_env_values = true, global = true)]
    database_url: Option<String>,
}

/// Whether an event may be logged whatever `IAMD_LOG` says: the PostgreSQL driver logs
/// each statement with its parameters (secrets among them) at debug level, through the
/// `log` crate, so nothing of it below info is ever written.
fn never_secret(meta: &tracing::Metadata<'_>) -> bool {
    !(meta.target().starts_with("tokio_postgres") && *meta.level() > tracing::Level::INFO)
}

/// Logging to stderr, filtered by `IAMD_LOG`, else at `default` level.
fn init_logging(default: &str) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("IAMD_LOG").unwrap_or_else(|_| default.into());
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, not in files and collectors; they
        // also cost a formatting pass on every request's span.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_filter(filter)
        .with_filter(tracing_subscriber::filter::filter_fn(never_secret));
    tracing_subscriber::registry().with(layer).init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The tools print what they did; the store's own notes are for servers.
    init_logging(match cli.command {
        Command::Backup { .. } | Command::Restore { .. } | Command::Admin { .. } => "warn",
        _ => "info",
    });
    let rekey = matches!(cli.command, Command::Rekey { .. });
    let oidc_ca;
    let (listen, store, keys, authorization, limits, tls, audit, emulator, metrics_listen) =
        match cli.command {
            Command::Serve {
                listen,
                store,
                keys,
                authorization,
                tls_cert,
                tls_key,
                http2,
                limits,
                audit_log,
                audit_log_full,
                audit_log_max_bytes,
                audit_log_keep,
                mode,
                emulator_authorize,
                metrics_listen,
                oidc_ca_file,
            } => {
                oidc_ca = oidc_ca_file;
                let emulator = mode == "emulator";
                let authorization = if emulator {
                    emulator_authorize
                } else {
                    authorization == "on"
                };
                let full = if audit_log_full == "block" {
                    iamd::AuditFull::Block
                } else {
                    iamd::AuditFull::Drop
                };
                let audit = match audit_log
                    .map(|dest| {
                        iamd::AuditConfig::new(&dest, full)
                            .with_rotation(audit_log_max_bytes, audit_log_keep)
                    })
                    .transpose()
                {
                    Ok(audit) => audit,
                    Err(e) => {
                        eprintln!("iamd: {e}");
                        return ExitCode::from(2);
                    }
                };
                let tls = match (tls_cert, tls_key) {
                    (Some(cert), Some(key)) => Some(TlsFiles {
                        cert,
                        key,
                        http2: http2 == "on",
                    }),
                    // clap requires both or neither.
                    _ => None,
                };
                match limits.limits() {
                    Ok(limits) => (
                        listen,
                        store,
                        keys,
                        authorization,
                        limits,
                        tls,
                        audit,
                        emulator,
                        metrics_listen,
                    ),
                    Err(e) => {
                        eprintln!("iamd: {e}");
                        return ExitCode::from(2);
                    }
                }
            }
            Command::Backup { to, store } => {
                return finish(iamd::admin::backup(&tool_config(store, None), &to))
            }
            Command::Restore { from, store, keys } => {
                return match keys.keyring() {
                    Ok(keyring) => {
                        finish(iamd::admin::restore(&tool_config(store, keyring), &from))
                    }
                    Err(e) => {
                        eprintln!("iamd: {e}");
                        ExitCode::from(2)
                    }
                };
            }
            Command::Admin {
                command,
                store,
                keys,
            } => {
                let keyring = match keys.keyring() {
                    Ok(k) => k,
                    Err(e) => {
                        eprintln!("iamd: {e}");
                        return ExitCode::from(2);
                    }
                };
                let command = match command {
                    AdminCli::ListUsers => AdminCommand::ListUsers,
                    AdminCli::CreateRootKey => AdminCommand::CreateRootKey,
                    AdminCli::DeactivateKey { key_id } => AdminCommand::DeactivateKey(key_id),
                    AdminCli::DeleteKey { key_id } => AdminCommand::DeleteKey(key_id),
                    AdminCli::CredentialReport => AdminCommand::CredentialReport,
                };
                let config = tool_config(store, keyring);
                let rt = match runtime() {
                    Ok(rt) => rt,
                    Err(code) => return code,
                };
                return finish(rt.block_on(iamd::admin::run(&config, &command)));
            }
            Command::Migrate { store, keys } | Command::Rekey { store, keys } => {
                let keyring = match keys.keyring() {
                    Ok(k) => k,
                    Err(e) => {
                        eprintln!("iamd: {e}");
                        return ExitCode::from(2);
                    }
                };
                let config = tool_config(store, keyring);
                let rt = match runtime() {
                    Ok(rt) => rt,
                    Err(code) => return code,
                };
                let done = if rekey {
                    rt.block_on(server::rekey(&config)).map(|(target, n)| {
                        format!("re-sealed {n} secrets at {target} under the current master key")
                    })
                } else {
                    rt.block_on(server::migrate(&config))
                        .map(|target| format!("the schema at {target} is up to date"))
                };
                return match done {
                    Ok(message) => {
                        println!("iamd: {message}");
                        ExitCode::SUCCESS
                    }
                    Err(e) => {
                        eprintln!("iamd: {e}");
                        ExitCode::FAILURE
                    }
                };
            }
        };
    let keyring = match keys.keyring() {
        Ok(k) => k,
        Err(e) => {
            eprintln!("iamd: {e}");
            return ExitCode::from(2);
        }
    };
    let root_key = match (
        std::env::var("IAMD_ROOT_ACCESS_KEY_ID").ok(),
        std::env::var("IAMD_ROOT_SECRET_ACCESS_KEY").ok(),
    ) {
        (Some(id), Some(secret)) => Some((id, SecretKey::new(secret))),
        (None, None) => None,
        _ => {
            eprintln!("iamd: set both IAMD_ROOT_ACCESS_KEY_ID and IAMD_ROOT_SECRET_ACCESS_KEY, or neither");
            return ExitCode::from(2);
        }
    };
    let config = Config {
        listen,
        data_dir: store.data_dir,
        database_url: store.database_url,
        account_id: std::env::var("IAMD_ACCOUNT_ID").ok(),
        root_key,
        authorization,
        limits,
        keyring,
        tls,
        oidc_ca_file: oidc_ca,
        audit,
        emulator,
        metrics_listen,
    };
    match runtime() {
        Ok(runtime) => runtime.block_on(run(config)),
        Err(code) => code,
    }
}

/// The configuration of a command that serves nothing (migrate, rekey, backup, restore,
/// admin).
fn tool_config(store: StoreArgs, keyring: Option<Arc<Keyring>>) -> Config {
    Config {
        database_url: store.database_url,
        keyring,
        ..Config::new(store.data_dir)
    }
}

/// Prints a tool's output, or its error on standard error with exit status 1.
fn finish(done: Result<String, String>) -> ExitCode {
    match done {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("iamd: {e}");
            ExitCode::FAILURE
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("iamd: cannot start the runtime: {e}");
            ExitCode::FAILURE
        })
}

async fn run(config: Config) -> ExitCode {
    let mut running = match server::start(config).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("iamd: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(b) = &running.bootstrapped {
        println!("iamd: created account {}", b.account_id);
        println!("iamd: root access key id: {}", b.root_access_key_id);
        if let Some(secret) = &b.generated_secret {
            // Shown this once; iamd never prints or logs it again.
            println!("iamd: root secret access key: {}", secret.expose());
        }
    }
    // The handlers first, then the line that tells a supervisor (or a test) we are up.
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    // Only with TLS: without it SIGHUP keeps its default action, as before.
    let mut hangup = Hangup::new(running.serves_tls());
    if let Some(at) = running.metrics_addr {
        println!("iamd: metrics on http://{at}/metrics");
    }
    println!(
        "iamd: listening on {} (account {})",
        running.endpoint(),
        running.account_id
    );
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = hangup.recv() => match running.reload_tls() {
                Ok(()) => tracing::info!("SIGHUP: TLS certificate reloaded"),
                Err(e) => tracing::error!(%e, "SIGHUP: TLS certificate not reloaded; keeping the previous one"),
            },
            _ = running.wait() => {
                eprintln!("iamd: server stopped unexpectedly");
                return ExitCode::FAILURE;
            }
        }
    }
    running.shutdown().await;
    ExitCode::SUCCESS
}

/// SIGHUP, which asks for the TLS certificate to be re-read (never arrives off Unix, or
/// when not `listening`).
struct Hangup {
    #[cfg(unix)]
    signal: Option<tokio::signal::unix::Signal>,
}

impl Hangup {
    fn new(listening: bool) -> Hangup {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Hangup {
                signal: listening
                    .then(|| signal(SignalKind::hangup()).ok())
                    .flatten(),
            }
        }
        #[cfg(not(unix))]
        {
            let _ = listening;
            Hangup {}
        }
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        if let Some(signal) = &mut self.signal {
            if signal.recv().await.is_some() {
                return;
            }
        }
        std::future::pending::<()>().await
    }
}

/// SIGTERM or Ctrl-C. SIGTERM's handler is installed when this is called, not when the
/// future is first polled: a SIGTERM sent as soon as "listening" is printed must stop the
/// server gracefully, not kill it with the default action.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        #[cfg(unix)]
        if let Some(mut term) = term {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}
