use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use iamd::server::{self, Config, Limits};

/// mimalloc rather than the system allocator: a request makes many small, short-lived
/// allocations, which glibc's malloc serves at several times the cost (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use iamd_core::secret::SecretKey;

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

#[derive(Subcommand)]
enum Command {
    /// Serve the IAM and STS Query APIs over HTTP.
    Serve {
        /// Address to listen on; port 0 picks a free port (the bound address is printed).
        #[arg(long, env = "IAMD_LISTEN", default_value = server::DEFAULT_LISTEN)]
        listen: SocketAddr,
        #[command(flatten)]
        store: StoreArgs,
        /// Enforce identity policies (`on`, as AWS does), or let every authenticated caller
        /// do everything (`off`, for local setups that expect an emulator without enforcement).
        #[arg(long, env = "IAMD_AUTHORIZATION", default_value = "on", value_parser = ["on", "off"])]
        authorization: String,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Bring the store's schema up to date, then exit (`serve` does this too, at start).
    Migrate {
        #[command(flatten)]
        store: StoreArgs,
    },
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
    #[arg(long, env = "IAMD_DATA_DIR", default_value = "./iamd-data")]
    data_dir: PathBuf,
    /// The store: sqlite://PATH (default: the SQLite file in --data-dir), or
    /// postgres://USER[:PASSWORD]@HOST[:PORT]/DB for a PostgreSQL database shared by nodes.
    #[arg(long, env = "IAMD_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("IAMD_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, not in files and collectors; they
        // also cost a formatting pass on every request's span.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let (listen, store, authorization, limits) = match cli.command {
        Command::Serve {
            listen,
            store,
            authorization,
            limits,
        } => match limits.limits() {
            Ok(limits) => (listen, store, authorization == "on", limits),
            Err(e) => {
                eprintln!("iamd: {e}");
                return ExitCode::from(2);
            }
        },
        Command::Migrate { store } => {
            let config = Config {
                // Not used: migrate serves nothing.
                listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                data_dir: store.data_dir,
                database_url: store.database_url,
                account_id: None,
                root_key: None,
                authorization: true,
                limits: Limits::default(),
            };
            return match runtime().map(|rt| rt.block_on(server::migrate(&config))) {
                Ok(Ok(target)) => {
                    println!("iamd: the schema at {target} is up to date");
                    ExitCode::SUCCESS
                }
                Ok(Err(e)) => {
                    eprintln!("iamd: {e}");
                    ExitCode::FAILURE
                }
                Err(code) => code,
            };
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
    };
    match runtime() {
        Ok(runtime) => runtime.block_on(run(config)),
        Err(code) => code,
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
    println!(
        "iamd: listening on http://{} (account {})",
        running.addr, running.account_id
    );
    tokio::select! {
        _ = shutdown_signal() => {}
        _ = running.wait() => {
            eprintln!("iamd: server stopped unexpectedly");
            return ExitCode::FAILURE;
        }
    }
    running.shutdown().await;
    ExitCode::SUCCESS
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
