//! Tests of the accept loop against a server on 127.0.0.1: the connection limit, a client
//! that stops reading, whole documents on keep-alive connections.

use super::*;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Notify;

/// Reads one whole `Connection: close` response.
async fn response(mut stream: TcpStream) -> String {
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.unwrap();
    String::from_utf8(out).unwrap()
}

/// One keep-alive round trip to `/ping`.
async fn ping(stream: &mut TcpStream) {
    stream
        .write_all(b"GET /ping HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    while !out.ends_with(b"pong") {
        let mut buf = [0u8; 512];
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed: {}", String::from_utf8_lossy(&out));
        out.extend_from_slice(&buf[..n]);
    }
}

/// Runs the connection loop on 127.0.0.1 with `workers` threads until the returned
/// `Notify` is notified.
async fn start(
    app: Router,
    max_connections: usize,
    workers: usize,
) -> (
    std::net::SocketAddr,
    Arc<Notify>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    start_with(app, max_connections, workers, Duration::from_secs(60)).await
}

/// [`start`], with a send timeout.
async fn start_with(
    app: Router,
    max_connections: usize,
    workers: usize,
    send_timeout: Duration,
) -> (
    std::net::SocketAddr,
    Arc<Notify>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = Arc::new(Notify::new());
    let limits = Limits {
        header_timeout: Duration::from_secs(60),
        send_timeout,
        max_connections,
    };
    let stopped = {
        let stop = stop.clone();
        async move { stop.notified().await }
    };
    let server = tokio::spawn(run_on(listener, app, None, limits, stopped, workers));
    (addr, stop, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_limit_a_new_connection_waits_for_an_open_one_to_close() {
    let busy = Arc::new(AtomicBool::new(false));
    let started = Arc::new(Notify::new());
    let release = Arc::new(Notify::new());
    let app = {
        let (busy, started, release) = (busy.clone(), started.clone(), release.clone());
        let busy2 = busy.clone();
        Router::new()
            .route("/ping", axum::routing::get(|| async { "pong" }))
            .route(
                "/hold",
                axum::routing::get(move || async move {
                    busy.store(true, Ordering::SeqCst);
                    started.notify_one();
                    release.notified().await;
                    busy.store(false, Ordering::SeqCst);
                    "held"
                }),
            )
            .route(
                "/probe",
                axum::routing::get(move || async move {
                    if busy2.load(Ordering::SeqCst) {
                        "overlapped"
                    } else {
                        "alone"
                    }
                }),
            )
    };
    let (addr, stop, server) = start(app, 2, 2).await;

    // Two connections take both slots: C idles between keep-alive requests, A is inside
    // a request that waits for the test.
    let mut c = TcpStream::connect(addr).await.unwrap();
    ping(&mut c).await;
    let mut a = TcpStream::connect(addr).await.unwrap();
    a.write_all(b"GET /hold HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    started.notified().await;
    // B connects (the kernel completes the handshake) and asks. While C keeps being
    // served, B is not: its handler runs only once A's connection has closed.
    let mut b = TcpStream::connect(addr).await.unwrap();
    b.write_all(b"GET /probe HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    for _ in 0..20 {
        ping(&mut c).await;
    }
    release.notify_one();
    assert!(response(a).await.ends_with("held"));
    let probe = response(b).await;
    assert!(probe.starts_with("HTTP/1.1 200"), "{probe}");
    assert!(probe.ends_with("alone"), "{probe}");

    drop(c);
    stop.notify_one();
    server.await.unwrap().unwrap();
}

/// A client that asks and never reads its response gives its connection back after the
/// send timeout: at a limit of one connection, the next client is served once the first
/// one's is closed, and the first got only what fitted in the sockets' buffers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_loses_its_connection() {
    const BIG: usize = 64 << 20;
    let body = axum::body::Bytes::from(vec![b'x'; BIG]);
    let app = Router::new()
        .route("/ping", axum::routing::get(|| async { "pong" }))
        .route(
            "/big",
            axum::routing::get(move || {
                let body = body.clone();
                async move { body }
            }),
        );
    let (addr, stop, server) = start_with(app, 1, 1, Duration::from_millis(200)).await;
    let mut hog = TcpStream::connect(addr).await.unwrap();
    hog.write_all(b"GET /big HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    let mut next = TcpStream::connect(addr).await.unwrap();
    // Bounded only so that a regression fails instead of hanging: the ping waits for
    // the hog's connection to be closed.
    tokio::time::timeout(Duration::from_secs(120), ping(&mut next))
        .await
        .expect("the connection that stopped reading was never closed");
    let mut got = Vec::new();
    let _ = hog.read_to_end(&mut got).await;
    assert!(got.starts_with(b"HTTP/1.1 200"));
    assert!(got.len() < BIG, "{} bytes", got.len());
    drop(next);
    stop.notify_one();
    server.await.unwrap().unwrap();
}

/// The connection loop sends shared documents (merged and topic feeds) with `sendfile`:
/// through hyper, on one keep-alive connection, every response is whole and exact,
/// including when a ranged slice of the document starts mid-file.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_documents_go_out_whole_through_hyper_on_keep_alive_connections() {
    let body: Vec<u8> = (0..700_000u32).map(|i| (i % 253) as u8).collect();
    let shared = super::super::zerocopy::share(body.clone());
    let tail = shared.slice(123_457..);
    let app = Router::new()
        .route(
            "/doc",
            axum::routing::get(move || {
                let shared = shared.clone();
                async move { shared }
            }),
        )
        .route(
            "/tail",
            axum::routing::get(move || {
                let tail = tail.clone();
                async move { tail }
            }),
        );
    let (addr, stop, server) = start(app, 4, 1).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    for (path, expected) in [
        ("/doc", &body[..]),
        ("/tail", &body[123_457..]),
        ("/doc", &body[..]),
    ] {
        stream
            .write_all(format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes())
            .await
            .unwrap();
        // Head up to the blank line, then exactly content-length bytes.
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            stream.read_exact(&mut byte).await.unwrap();
            head.push(byte[0]);
        }
        let head = String::from_utf8(head).unwrap();
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(
            head.contains(&format!("content-length: {}", expected.len())),
            "{head}"
        );
        let mut got = vec![0u8; expected.len()];
        stream.read_exact(&mut got).await.unwrap();
        assert!(got == expected, "{path}: the body differs");
    }
    drop(stream);
    stop.notify_one();
    server.await.unwrap().unwrap();
}
