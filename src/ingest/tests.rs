//! Tests of the pipeline as a pass runs it: the slots a source waits for, backoff and a
//! host's pause at its turn, and the limits a reloaded pipeline shares.

use std::time::Duration;

use chrono::Utc;

use super::*;
use crate::model::SourceState;

fn config(dir: &std::path::Path, fetch: &str) -> crate::config::Config {
    crate::config::Config::from_str(
        &format!("[fetch]\n{fetch}\n\n[[sources]]\nid = \"a\"\ntitle = \"A\"\nurl = \"https://a.example/feed.xml\"\nkind = \"partner\"\n"),
        &dir.join("t.toml"),
    )
    .unwrap()
    .with_data_dir(Some(dir.join("data")))
}

#[tokio::test]
async fn a_source_waiting_for_its_host_holds_none_of_the_passs_places() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path(), "concurrency = 1\nper_host_concurrency = 1");
    let store = Arc::new(Store::open(&c.store).unwrap());
    let ingest = Arc::new(Ingest::new(&c, store).unwrap());
    // Another fetch of the host is running.
    let busy = ingest.fetcher.limits().host("a.example").acquire().await;
    let waiting = tokio::spawn({
        let ingest = ingest.clone();
        let source = c.sources[0].clone();
        async move { ingest.source(&source, FetchMode::default()).await }
    });
    // The test runtime has one thread: once this task yields, the source runs until it
    // waits.
    tokio::task::yield_now().await;
    assert!(!waiting.is_finished());
    // It waits for its host with the pass's only place free, for a source of another host.
    assert_eq!(ingest.inflight.available(), 1);
    waiting.abort();
    drop(busy);
}

/// A turn that comes a moment before the source's wait ends (a schedule's drift) is taken:
/// the source goes on to wait for its host instead of being passed over for an interval.
#[tokio::test]
async fn a_turn_a_moment_before_the_wait_ends_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path(), "concurrency = 1\nper_host_concurrency = 1");
    let store = Arc::new(Store::open(&c.store).unwrap());
    let source = c.sources[0].clone();
    let state = SourceState {
        location: Some(source.location.key()),
        retry_at: Some(Utc::now() + chrono::Duration::milliseconds(300)),
        consecutive_errors: 1,
        ..SourceState::default()
    };
    store.put_source_state(&source.id, &state).unwrap();
    let ingest = Arc::new(Ingest::new(&c, store).unwrap());
    let busy = ingest.fetcher.limits().host("a.example").acquire().await;
    let turn = tokio::spawn({
        let ingest = ingest.clone();
        async move { ingest.source(&source, FetchMode::default()).await }
    });
    tokio::task::yield_now().await;
    assert!(!turn.is_finished(), "passed over as backing off");
    turn.abort();
    drop(busy);
}

/// A fetcher with one source on this host where nothing listens: its request is refused
/// at once, without leaving the host.
fn refused_at_once(dir: &std::path::Path) -> (Arc<Ingest>, Source) {
    let c = crate::config::Config::from_str(
        "[[sources]]\nid = \"a\"\ntitle = \"A\"\nurl = \"http://127.0.0.1:9/feed.xml\"\nkind = \"partner\"\n",
        &dir.join("t.toml"),
    )
    .unwrap()
    .with_data_dir(Some(dir.join("data")));
    let store = Arc::new(Store::open(&c.store).unwrap());
    (
        Arc::new(Ingest::new(&c, store).unwrap()),
        c.sources[0].clone(),
    )
}

/// A host's pause that a source's own 429 made holds back the host's other sources, not
/// that source: its own wait says when it goes again.
#[tokio::test]
async fn a_source_is_not_held_back_by_its_own_429() {
    let dir = tempfile::tempdir().unwrap();
    let (ingest, source) = refused_at_once(dir.path());
    ingest
        .fetcher
        .pause_host(&source, Duration::from_secs(3600));
    let busy = ingest.fetcher.limits().host("127.0.0.1").acquire().await;
    let turn = tokio::spawn({
        let ingest = ingest.clone();
        let source = source.clone();
        async move { ingest.source(&source, FetchMode::default()).await }
    });
    tokio::task::yield_now().await;
    let released = Utc::now();
    drop(busy);
    // Given its host's slot, it is not deferred by a pause of its own making: it goes on
    // to its request (refused: an error).
    let report = turn.await.unwrap();
    assert!(
        !matches!(report.outcome, Outcome::Deferred { .. }),
        "{:?}",
        report.outcome
    );
    // The attempt dates from its turn, before it waited for its host.
    let state = ingest.store.source_state(&source.id).unwrap();
    assert!(state.last_attempt.unwrap() <= released, "{state:?}");
}

/// Another source's 429 pause that ends a moment after a turn comes (a schedule's drift)
/// does not pass the source over for a whole interval.
#[tokio::test]
async fn a_hosts_pause_ending_a_moment_after_the_turn_does_not_hold_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let (ingest, source) = refused_at_once(dir.path());
    let mut other = source.clone();
    other.id = "b".into();
    ingest
        .fetcher
        .pause_host(&other, Duration::from_millis(300));
    // It goes on to its request (refused: an error), not deferred.
    let report = ingest.source(&source, FetchMode::default()).await;
    assert!(
        !matches!(report.outcome, Outcome::Deferred { .. }),
        "{:?}",
        report.outcome
    );
}

#[tokio::test]
async fn a_source_backing_off_says_so_without_waiting_for_its_host() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path(), "concurrency = 1\nper_host_concurrency = 1");
    let store = Arc::new(Store::open(&c.store).unwrap());
    let source = c.sources[0].clone();
    let until = Utc::now() + chrono::Duration::hours(1);
    let state = SourceState {
        location: Some(source.location.key()),
        retry_at: Some(until),
        consecutive_errors: 3,
        ..SourceState::default()
    };
    store.put_source_state(&source.id, &state).unwrap();
    let ingest = Arc::new(Ingest::new(&c, store).unwrap());
    // Another fetch of the host is running and the pass has no place free.
    let _busy = ingest.fetcher.limits().host("a.example").acquire().await;
    let _full = ingest.inflight.acquire().await;
    let deferred = tokio::spawn({
        let ingest = ingest.clone();
        async move { ingest.source(&source, FetchMode::default()).await }
    });
    tokio::task::yield_now().await;
    assert!(deferred.is_finished(), "it waited for a slot");
    let report = deferred.await.unwrap();
    assert!(
        matches!(report.outcome, Outcome::Deferred { until: u, paused_by: None } if u == until),
        "{:?}",
        report.outcome
    );
}

#[tokio::test]
async fn a_reloaded_pipeline_is_held_to_the_limits_of_the_fetches_still_running() {
    let dir = tempfile::tempdir().unwrap();
    let before = config(dir.path(), "concurrency = 2\nper_host_concurrency = 1");
    let store = Arc::new(Store::open(&before.store).unwrap());
    let old = Ingest::new(&before, store.clone()).unwrap();
    // Fetches of the old config hold every place, in all and at the host.
    let _running = (old.inflight.acquire().await, old.inflight.acquire().await);
    let _at_host = old.fetcher.limits().host("a.example").acquire().await;

    let after = config(dir.path(), "concurrency = 3\nper_host_concurrency = 2");
    let new = Ingest::succeeding(&after, store, &old).unwrap();
    // Until the reload is taken, nothing changes: no place is free for the new one.
    assert_eq!(new.inflight.available(), 0);
    assert_eq!(new.fetcher.limits().host("a.example").available(), 0);
    new.limit_as_configured();
    // Then one more in all and at the host, counting the old fetches still running.
    assert_eq!(new.inflight.available(), 1);
    assert_eq!(new.fetcher.limits().host("a.example").available(), 1);
    assert_eq!(new.fetcher.limits().global().size(), 3);
    assert_eq!(new.fetcher.limits().host("b.example").size(), 2);
    assert!(Arc::ptr_eq(&new.cpu, &old.cpu) && Arc::ptr_eq(&new.staged, &old.staged));
}
