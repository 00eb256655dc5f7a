use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use iamd::server::{self, Config};
use iamd::TlsFiles;

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
    /// Serve the IAM and STS Query APIs over HTTP, or HTTPS with --tls-cert and --tls-key.
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
    },
    /// Bring the store's schema up to date, then exit (`serve` does this too, at start).
    Migrate {
        #[command(flatten)]
        store: StoreArgs,
    },
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
    let (listen, store, authorization, tls) = match cli.command {
        Command::Serve {
            listen,
            store,
            authorization,
            tls_cert,
            tls_key,
            http2,
        } => {
            let tls = match (tls_cert, tls_key) {
                (Some(cert), Some(key)) => Some(TlsFiles {
                    cert,
                    key,
                    http2: http2 == "on",
                }),
                // clap requires both or neither.
                _ => None,
            };
            (listen, store, authorization == "on", tls)
        }
        Command::Migrate { store } => {
            let config = Config {
                // Not used: migrate serves nothing.
                listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                data_dir: store.data_dir,
                database_url: store.database_url,
                account_id: None,
                root_key: None,
                authorization: true,
                tls: None,
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
        tls,
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
        "iamd: listening on {} (account {})",
        running.endpoint(),
        running.account_id
    );
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    // Only with TLS: without it SIGHUP keeps its default action, as before.
    let mut hangup = Hangup::new(running.serves_tls());
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
