//! Serving one HTTP/2 connection (reached over TLS when the client asks for `h2` by ALPN),
//! with the bounds HTTP/1.1 gets from hyper's header read timeout: an HTTP/2 connection with
//! no request in flight for `idle_timeout` (including one that never sends the HTTP/2
//! preface) is closed with a GOAWAY, and dropped if it is still open and idle
//! [`CLOSE_GRACE`] later. hyper's defaults bound the rest: 200 concurrent streams, the rapid-reset limits
//! (`max_pending_accept_reset_streams`, `max_local_error_reset_streams`), 1 MiB flow-control
//! windows.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::Watcher;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_rustls::server::TlsStream;

use crate::handler;
use crate::server::State;

/// The most a request's header block may take, decoded (HTTP/1.1 has hyper's buffer bound).
const MAX_HEADER_LIST_BYTES: u32 = 64 * 1024;
/// How often an idle connection is pinged, and how long the answer may take: a peer that
/// vanished without closing is noticed within a minute.
const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(30);
const KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a connection told to close (GOAWAY) may stay open with nothing in flight: a
/// client that never sent the preface, or ignores GOAWAY, is dropped then.
pub(crate) const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// Requests in flight on one connection, and when the last one ended.
struct Activity {
    in_flight: AtomicUsize,
    last_end: Mutex<Instant>,
}

impl Activity {
    /// `None` while a request is in flight, else when the connection became idle.
    fn idle_since(&self) -> Option<Instant> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        Some(*self.last_end.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// Counts a request as in flight until dropped (so a cancelled request ends too).
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: &Arc<Activity>) -> InFlight {
        activity.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        *self.0.last_end.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Serves `stream` as HTTP/2 until the client closes it, it stays idle too long, or the
/// server stops (`stop` turns true: GOAWAY, in-flight requests finish). `watcher` is held
/// so that the server's drain waits for this connection.
pub(crate) async fn serve(
    stream: TlsStream<TcpStream>,
    state: Arc<State>,
    peer: SocketAddr,
    idle_timeout: Duration,
    watcher: Watcher,
    mut stop: watch::Receiver<bool>,
) -> Result<(), hyper::Error> {
    let _watcher = watcher;
    let activity = Arc::new(Activity {
        in_flight: AtomicUsize::new(0),
        last_end: Mutex::new(Instant::now()),
    });
    let service = {
        let activity = activity.clone();
        service_fn(move |req| {
            let state = state.clone();
            let in_flight = InFlight::start(&activity);
            async move {
                let response = handler::handle(&state, req, peer).await;
                drop(in_flight);
                Ok::<_, std::convert::Infallible>(response)
            }
        })
    };
    let conn = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
        .timer(TokioTimer::new())
        .keep_alive_interval(KEEP_ALIVE_INTERVAL)
        .keep_alive_timeout(KEEP_ALIVE_TIMEOUT)
        .max_header_list_size(MAX_HEADER_LIST_BYTES)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let check = tokio::time::sleep(idle_timeout);
    tokio::pin!(check);
    let mut closing = false;
    loop {
        tokio::select! {
            done = conn.as_mut() => return done,
            _ = stop.changed(), if !closing => {
                conn.as_mut().graceful_shutdown();
                closing = true;
                check.as_mut().reset(Instant::now() + CLOSE_GRACE);
            }
            _ = check.as_mut() => {
                if closing {
                    if activity.idle_since().is_some() {
                        // Told to close, nothing in flight, and still open (a client that
                        // never sent the preface, or ignores GOAWAY): drop it.
                        tracing::debug!(%peer, "HTTP/2 connection did not close in time");
                        return Ok(());
                    }
                    // Requests still running: they finish first (the drain bounds them).
                    check.as_mut().reset(Instant::now() + CLOSE_GRACE);
                    continue;
                }
                match activity.idle_since() {
                    Some(since) if since.elapsed() >= idle_timeout => {
                        tracing::debug!(%peer, "closing idle HTTP/2 connection");
                        conn.as_mut().graceful_shutdown();
                        closing = true;
                        check.as_mut().reset(Instant::now() + CLOSE_GRACE);
                    }
                    Some(since) => check.as_mut().reset(since + idle_timeout),
                    None => check.as_mut().reset(Instant::now() + idle_timeout),
                }
            }
        }
    }
}
