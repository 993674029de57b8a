//! The HTTP server: republished feeds, OPML, status page, health and metrics.
//!
//! Handlers only look up state: feeds are rendered ahead of time ([`feeds::FeedSet`]) when
//! the store changes, so a request is a map lookup plus an `ETag` comparison. `router` takes
//! its state explicitly, so tests drive it in-process or on a port of their own.
//!
//! - `shared`: [`Shared`], the state every handler sees, and how it is kept up.
//! - `routes`: [`router`] and the handlers, one file per family of routes; [`fast_answer`].
//! - `conditional`: ready documents answered with their validators (304) and gzip.
//! - `errors`: where failures become statuses: the handlers' `Error` and its answers.
//! - `headers`: the security headers of HTML pages and the CORS preflight.
//! - [`feeds`]: the rendered feeds; [`metrics`]: the Prometheus metrics; `status`: the status
//!   page; [`admin`]: the admin routes; `conn`: the connection loop; [`zerocopy`]: `sendfile`.

pub mod admin;
mod conditional;
mod conn;
mod errors;
pub mod feeds;
mod headers;
pub mod metrics;
mod routes;
mod shared;
mod status;
#[cfg(target_os = "linux")]
pub mod zerocopy;

use std::sync::Arc;

pub use conn::Limits;
pub use routes::{fast_answer, router};
pub use shared::Shared;

/// Serves the router until `shutdown` completes, then finishes in-flight requests. The
/// header timeout and connection limit come from `[server]`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let server = shared.config().server.clone();
    let limits = Limits {
        header_timeout: server.header_timeout,
        send_timeout: server.send_timeout,
        max_connections: server.max_connections,
    };
    let fast = shared.clone();
    let fast: conn::Fast = Arc::new(move |req| fast_answer(&fast, req));
    conn::run(listener, router(shared), Some(fast), limits, shutdown).await
}
