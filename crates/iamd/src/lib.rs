//! The iamd server: HTTP wiring (hyper), authentication, dispatch to the domain, start-up
//! and shutdown. The binary in `main.rs` is a thin CLI over `server::start`.

pub mod admin;
pub mod audit;
mod auth;
mod console;
mod handler;
mod health;
mod http2;
mod metrics;
mod oidc_keys;
pub mod server;
mod signin;
pub mod tls;

pub use audit::{AuditConfig, AuditFull, AuditTarget};
pub use server::{start, Config, Running, DEFAULT_LISTEN};
pub use tls::TlsFiles;
