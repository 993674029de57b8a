//! Fetches through the whole [`Fetcher`], against a server on 127.0.0.1; `source` is the
//! source the tests of the other files use too.

use super::*;
use crate::model::{Schedule, SourceKind};
use std::net::SocketAddr;

pub(super) fn source(url: &str) -> Source {
    Source {
        id: "s".into(),
        title: "S".into(),
        location: Location::Http(Url::parse(url).unwrap()),
        kind: SourceKind::Partner,
        lang: None,
        schedule: Schedule::Interval(Duration::from_secs(60)),
        topics: vec![],
        enabled: true,
        user_agent: None,
        auth: None,
        headers: vec![],
        accept_invalid_certificates: false,
        time_zone: None,
    }
}

#[tokio::test]
async fn a_public_host_resolving_to_loopback_is_refused_and_a_local_source_is_not() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new().route(
        "/feed.xml",
        axum::routing::get(|| async {
            "<rss version=\"2.0\"><channel><title>t</title></channel></rss>"
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    // "feeds.example" answers with the loopback address, as a rebinding attacker's DNS would.
    let resolver = guard::GuardedResolver::with(|_host| {
        Box::pin(async { Ok(vec![SocketAddr::from(([127, 0, 0, 1], 0))]) })
    });
    let config = FetchConfig::default();
    let fetcher = Fetcher::with_resolver(&config, resolver, Limits::new(&config)).unwrap();
    let public = source(&format!("http://feeds.example:{port}/feed.xml"));
    let err = fetcher
        .fetch(&public, &SourceState::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, FetchError::Refused(m) if m.contains("feeds.example resolves to a loopback") && !m.contains("127.0.0.1")),
        "{err:?}"
    );
    let local = source(&format!("http://127.0.0.1:{port}/feed.xml"));
    assert!(matches!(
        fetcher.fetch(&local, &SourceState::default()).await,
        Ok(Fetched::Document(_))
    ));
}

#[tokio::test]
async fn a_fetch_queued_behind_its_hosts_other_source_says_how_long_it_waited() {
    use std::sync::Arc;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    // `/slow` answers when the test lets it, and says when its request has arrived.
    let (arrived_tx, arrived) = tokio::sync::oneshot::channel::<()>();
    let arrived_tx = Arc::new(std::sync::Mutex::new(Some(arrived_tx)));
    let release = Arc::new(tokio::sync::Notify::new());
    let feed = "<rss version=\"2.0\"><channel><title>t</title></channel></rss>";
    let app = axum::Router::new()
        .route(
            "/slow",
            axum::routing::get({
                let release = release.clone();
                move || async move {
                    if let Some(tx) = arrived_tx.lock().unwrap().take() {
                        let _ = tx.send(());
                    }
                    release.notified().await;
                    feed
                }
            }),
        )
        .route("/quick", axum::routing::get(move || async move { feed }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let config = FetchConfig {
        per_host_concurrency: 1,
        ..FetchConfig::default()
    };
    let fetcher = Arc::new(Fetcher::new(&config).unwrap());
    let slow = tokio::spawn({
        let fetcher = fetcher.clone();
        async move {
            let s = source(&format!("http://127.0.0.1:{port}/slow"));
            fetcher.fetch_waiting(&s, &SourceState::default()).await
        }
    });
    arrived.await.unwrap();
    // `/slow` holds the host's only slot: `/quick` waits for it. (The test runtime has one
    // thread: once this task yields, `/quick` runs until it waits for the slot.)
    let quick = tokio::spawn({
        let fetcher = fetcher.clone();
        async move {
            let s = source(&format!("http://127.0.0.1:{port}/quick"));
            fetcher.fetch_waiting(&s, &SourceState::default()).await
        }
    });
    tokio::task::yield_now().await;
    assert!(!quick.is_finished());
    // Some time passes, an exchange with the server outside the fetcher's slots.
    let asked = std::time::Instant::now();
    let direct = reqwest::get(format!("http://127.0.0.1:{port}/quick"))
        .await
        .unwrap();
    assert!(direct.status().is_success());
    let released = std::time::Instant::now();
    release.notify_one();
    let (slow_result, _) = slow.await.unwrap();
    let (quick_result, quick_waited) = quick.await.unwrap();
    assert!(matches!(slow_result, Ok(Fetched::Document(_))));
    assert!(matches!(quick_result, Ok(Fetched::Document(_))));
    // It began waiting before `asked` and got the slot after `released`.
    assert!(
        quick_waited >= released - asked,
        "{quick_waited:?} < {:?}",
        released - asked
    );
}
