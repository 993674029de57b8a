//! The connection loop: accepts TCP connections up to `[server] max_connections`, serves each
//! with hyper's HTTP/1.1 under a header-read timeout, and shuts down gracefully.
//!
//! `axum::serve` offers neither knob, so this is the same loop with the limits added: a
//! semaphore permit is taken before `accept`, so at the limit new clients wait in the kernel's
//! backlog instead of costing a task each, and the header timeout closes connections that
//! trickle their headers, send nothing, or sit idle between keep-alive requests. The send
//! timeout ([`SendTimeout`]) closes those that stop taking their responses.
//!
//! HTTP/1.1 only: feed readers and reverse proxies speak it, and cleartext HTTP/2 (prior
//! knowledge) would need its preface read before hyper's header timer starts, which a client
//! could trickle forever.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt as _;

/// How long shutdown waits for open connections to finish their requests.
const DRAIN: Duration = Duration::from_secs(30);

/// What a connection may cost.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Time to send a request's headers; also how long an idle keep-alive connection lives.
    pub header_timeout: Duration,
    /// Time a response may wait for the client to take any of its bytes.
    pub send_timeout: Duration,
    /// Open connections at most.
    pub max_connections: usize,
}

/// Serves `app` on `listener` until `shutdown` completes, then lets open connections finish
/// their requests (bounded) and returns.
///
/// Connections are accepted here and handed round-robin to one thread per core, each with its
/// own single-threaded runtime (as nginx's worker processes do): a connection's requests are
/// read, answered and written on one thread, with no hand-off between threads, and fetching
/// and parsing on the daemon's runtime do not delay answers.
pub async fn run(
    listener: TcpListener,
    app: Router,
    fast: Option<Fast>,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    run_on(listener, app, fast, limits, shutdown, workers).await
}

/// Answers the requests it can without the router (documents served from memory); `None`
/// hands the request to the router.
pub type Fast = Arc<dyn Fn(&hyper::Request<Incoming>) -> Option<Response> + Send + Sync>;

/// A connection and its slot under `max_connections`.
type Accepted = (std::net::TcpStream, OwnedSemaphorePermit);

async fn run_on(
    listener: TcpListener,
    app: Router,
    fast: Option<Fast>,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
    workers: usize,
) -> std::io::Result<()> {
    let mut queues = Vec::with_capacity(workers);
    let mut done = Vec::with_capacity(workers);
    for i in 0..workers.max(1) {
        let (queue, incoming) = mpsc::unbounded_channel::<Accepted>();
        let (finished, finished_rx) = oneshot::channel::<()>();
        let (app, fast) = (app.clone(), fast.clone());
        std::thread::Builder::new()
            .name(format!("http-{i}"))
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(serve_connections(incoming, app, fast, limits)),
                    Err(e) => tracing::error!(error = %e, "cannot start a server thread"),
                }
                let _ = finished.send(());
            })?;
        queues.push(queue);
        done.push(finished_rx);
    }
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut shutdown = std::pin::pin!(shutdown);
    let mut next = 0usize;
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break, // never closed
            },
            _ = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Ok(stream) = stream.into_std() else {
            continue;
        };
        // A worker whose thread ended cannot take connections; the next one can.
        let mut accepted = (stream, permit);
        for _ in 0..queues.len() {
            let queue = &queues[next % queues.len()];
            next = next.wrapping_add(1);
            match queue.send(accepted) {
                Ok(()) => break,
                Err(mpsc::error::SendError(back)) => accepted = back,
            }
        }
    }
    drop(listener);
    // Each open connection holds a permit until it closes.
    let open = limits.max_connections.max(1) - permits.available_permits();
    if open > 0 {
        tracing::info!(
            connections = open,
            "waiting for open connections to finish their requests (up to {DRAIN:?}; SIGTERM or SIGINT again closes them now)"
        );
    }
    // Closing the queues tells every worker to finish its connections.
    drop(queues);
    for finished in done {
        let _ = finished.await;
    }
    Ok(())
}

/// One server thread: serves the connections it is handed until the queue closes, then lets
/// them finish their requests (bounded by [`DRAIN`]).
async fn serve_connections(
    mut incoming: mpsc::UnboundedReceiver<Accepted>,
    app: Router,
    fast: Option<Fast>,
    limits: Limits,
) {
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    while let Some((stream, permit)) = incoming.recv().await {
        let _ = stream.set_nodelay(true);
        let Ok(stream) = TcpStream::from_std(stream) else {
            continue;
        };
        let (app, fast) = (app.clone(), fast.clone());
        let service = hyper::service::service_fn(move |req: Request<Incoming>| {
            let answered = fast.as_ref().and_then(|f| f(&req));
            let app = app.clone();
            async move {
                match answered {
                    Some(response) => Ok(response),
                    None => app.oneshot(req.map(Body::new)).await,
                }
            }
        });
        #[cfg(target_os = "linux")]
        let stream = super::zerocopy::Socket::new(stream);
        let stream = SendTimeout::new(stream, limits.send_timeout);
        let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after {DRAIN:?}; closing them");
    }
}

/// A connection whose writes fail once the client has taken none of the bytes offered for
/// `limit`, as nginx's `send_timeout`: the header timeout bounds reading a request, the
/// request timeout a handler, and this the writing of its response, so a client that stops
/// reading (or pipelines requests it never reads) gives its connection back. The timer runs
/// only while a write waits; a write that goes through, however small, starts it afresh.
pub struct SendTimeout<S> {
    inner: S,
    limit: Duration,
    waiting: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl<S> SendTimeout<S> {
    /// Wraps a connection.
    pub fn new(inner: S, limit: Duration) -> SendTimeout<S> {
        SendTimeout {
            inner,
            limit,
            waiting: None,
        }
    }

    /// What a write that returned `result` gives: `result` once it is ready (the timer
    /// stops), an error once the client has taken nothing for `limit`.
    fn watch<T>(
        &mut self,
        cx: &mut std::task::Context<'_>,
        result: std::task::Poll<std::io::Result<T>>,
    ) -> std::task::Poll<std::io::Result<T>> {
        use std::task::Poll;
        if result.is_ready() {
            self.waiting = None;
            return result;
        }
        let limit = self.limit;
        let timer = self
            .waiting
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("the client took no bytes for {limit:?}"),
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for SendTimeout<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for SendTimeout<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let result = std::pin::Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch(cx, result)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let result = std::pin::Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch(cx, result)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let result = std::pin::Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(cx, result)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let result = std::pin::Pin::new(&mut self.inner).poll_shutdown(cx);
        self.watch(cx, result)
    }
}

/// Per-connection errors (the client went away before we accepted) are routine; anything
/// else (out of file descriptors) gets a pause so the loop does not spin.
async fn accept_error(e: std::io::Error) {
    use std::io::ErrorKind::*;
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused
    ) {
        return;
    }
    tracing::error!(error = %e, "accepting a connection failed; pausing for a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

#[cfg(test)]
mod tests;
