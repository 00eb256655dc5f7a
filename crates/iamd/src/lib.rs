//! The iamd server: HTTP wiring (hyper), authentication, dispatch to the domain, start-up
//! and shutdown. The binary in `main.rs` is a thin CLI over `server::start`.

mod auth;
mod handler;
mod health;
mod http2;
mod metrics;
pub mod server;
mod signin;
pub mod tls;

pub use server::{start, Config, Running, DEFAULT_LISTEN};
pub use tls::TlsFiles;
