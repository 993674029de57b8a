//! The router driven in-process (no socket): routes, content types, validators, readiness.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{TimeZone, Utc};
use tower::ServiceExt;
use tributary::config::Config;
use tributary::model::{Identity, NewItem, SourceState};
use tributary::server::admin::{Admin, AdminToken, Command, Reloaded};
use tributary::server::{fast_answer, router, Shared};
use tributary::store::{Staged, Store};

const CONFIG: &str = r#"
[server]
base_url = "https://feeds.example.org/tributary/"
title = "Balkan partners"
feed_items = 10

[topics.dialogue]
title = "Kosovo–Serbia dialogue"
threshold = 2
terms = { "dijalog*" = 2 }

[[digests]]
name = "daily"
title = "Partneri: dnevni pregled"
cron = "0 7 * * *"
time_zone = "Europe/Belgrade"
from = "Tributary <digest@example.org>"
to = ["list@example.org"]

[[sources]]
id = "bfpe"
title = "BFPE"
url = "https://bfpe.example/feed/"
kind = "partner"
lang = "sr-Latn"
"#;

fn shared(dir: &tempfile::TempDir) -> Arc<Shared> {
    build(dir, None)
}

fn build(dir: &tempfile::TempDir, admin: Option<Admin>) -> Arc<Shared> {
    build_from(dir, CONFIG, admin)
}

fn build_from(dir: &tempfile::TempDir, text: &str, admin: Option<Admin>) -> Arc<Shared> {
    let config = Config::from_str(text, &dir.path().join("t.toml"))
        .unwrap()
        .with_data_dir(Some(dir.path().join("data")));
    let store = Arc::new(Store::open(&config.store).unwrap());
    let item = NewItem {
        identity: Identity::Guid("1".into()),
        title: "Dijalog Beograda i Prištine: šta dalje?".into(),
        link: Some("https://bfpe.example/vesti/1/".into()),
        published: Some(Utc.with_ymd_and_hms(2020, 2, 4, 9, 0, 0).unwrap()),
        updated: None,
        summary: "Analiza.".into(),
        content: Some("<p>Analiza.</p>".into()),
        authors: vec![],
        categories: vec![],
        lang: Some("sr-Latn".into()),
        enclosures: vec![],
        image: None,
        content_hash: "h".into(),
    };
    store_from_bfpe(&store, &config, item);
    let shared = Shared::new(store, Arc::new(config));
    let shared = Arc::new(match admin {
        Some(a) => shared.with_admin(a),
        None => shared,
    });
    shared.refresh().unwrap();
    shared
}

/// Stores `item` as fetched from the `bfpe` source, with the config's topic rules.
fn store_from_bfpe(store: &Store, config: &Config, item: NewItem) {
    let topics = |i: &tributary::model::Item| config.classifier.item_topics(i, &config.sources);
    store
        .apply(
            "bfpe",
            vec![Staged {
                item,
                topics: None,
                reread: false,
            }],
            &SourceState::default(),
            Utc::now(),
            &config.dedupe,
            &topics,
        )
        .unwrap();
}

async fn get(
    shared: &Arc<Shared>,
    uri: &str,
    headers: &[(&str, &str)],
) -> axum::response::Response {
    send(shared, "GET", uri, headers).await
}

async fn send(
    shared: &Arc<Shared>,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
) -> axum::response::Response {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    router(shared.clone())
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

/// The item titles of a JSON Feed document, in order.
fn json_titles(json: String) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_string())
        .collect()
}

async fn body(r: axum::response::Response) -> String {
    let bytes = axum::body::to_bytes(r.into_body(), 10 << 20).await.unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn feeds_have_types_self_links_and_validators() {
    let dir = tempfile::tempdir().unwrap();
    let s = shared(&dir);
    for (uri, ct) in [
        ("/feeds/all.rss", "application/rss+xml; charset=utf-8"),
        ("/feeds/all.atom", "application/atom+xml; charset=utf-8"),
        ("/feeds/all.json", "application/feed+json; charset=utf-8"),
        (
            "/feeds/topics/dialogue.atom",
            "application/atom+xml; charset=utf-8",
        ),
        (
            "/feeds/sources/bfpe.rss",
            "application/rss+xml; charset=utf-8",
        ),
        ("/sources.opml", "text/x-opml; charset=utf-8"),
    ] {
        let r = get(&s, uri, &[]).await;
        assert_eq!(r.status(), StatusCode::OK, "{uri}");
        assert_eq!(r.headers()["content-type"], ct, "{uri}");
        assert!(
            r.headers().contains_key("etag") && r.headers().contains_key("last-modified"),
            "{uri}"
        );
        assert_eq!(r.headers()["cache-control"], "public, max-age=300");
        // Readable by readers that run in a browser, from any origin, validators included.
        assert_eq!(r.headers()["access-control-allow-origin"], "*", "{uri}");
        assert_eq!(
            r.headers()["access-control-expose-headers"],
            "ETag",
            "{uri}"
        );
        // Such a reader sending `If-None-Match` has the browser ask first.
        let asked = send(
            &s,
            "OPTIONS",
            uri,
            &[
                ("origin", "https://reader.example"),
                ("access-control-request-method", "GET"),
                ("access-control-request-headers", "if-none-match"),
            ],
        )
        .await;
        assert_eq!(asked.status(), StatusCode::NO_CONTENT, "{uri}");
        let h = asked.headers();
        assert_eq!(h["access-control-allow-origin"], "*", "{uri}");
        assert_eq!(h["access-control-allow-methods"], "GET, HEAD", "{uri}");
        assert!(
            h["access-control-allow-headers"]
                .to_str()
                .unwrap()
                .contains("If-None-Match"),
            "{uri}"
        );
    }
    // Not for the rest: the admin routes, metrics and the status page are not for other
    // origins.
    for uri in ["/admin/reload", "/metrics", "/"] {
        let asked = send(&s, "OPTIONS", uri, &[("origin", "https://reader.example")]).await;
        // (The admin routes are off here: not there at all.)
        let expected = if uri.starts_with("/admin/") {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::METHOD_NOT_ALLOWED
        };
        assert_eq!(asked.status(), expected, "{uri}");
        assert!(
            !asked.headers().contains_key("access-control-allow-origin"),
            "{uri}"
        );
    }
    // A trailing slash, `/feeds` and `/index.html` lead where they were meant to, relative to
    // the request (a proxy's path prefix holds).
    let base = url::Url::parse("https://proxy.example/tributary/").unwrap();
    for (asked, meant) in [
        ("/feeds/all.rss/", "feeds/all.rss"),
        ("/feeds/topics/dialogue.atom/", "feeds/topics/dialogue.atom"),
        ("/feeds/", ""),
        ("/feeds", ""),
        ("/index.html", ""),
        ("/feeds/all.json/?since=1", "feeds/all.json?since=1"),
        ("/metrics/", "metrics"),
    ] {
        let r = get(&s, asked, &[]).await;
        assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT, "{asked}");
        let location = r.headers()["location"].to_str().unwrap();
        let from = base.join(asked.trim_start_matches('/')).unwrap();
        assert!(
            location.starts_with("./") || location.starts_with("../"),
            "{location}"
        );
        assert_eq!(
            from.join(location).unwrap(),
            base.join(meant).unwrap(),
            "{asked} → {location}"
        );
    }
    // Not a folder's: there is nothing without the slash either.
    for asked in [
        "/nothing/",
        "/nothing",
        "/feeds/topics/dialogue/",
        "/feeds/sources/",
    ] {
        assert_eq!(
            get(&s, asked, &[]).await.status(),
            StatusCode::NOT_FOUND,
            "{asked}"
        );
    }
    // Only one trailing slash, and only to read: a POST keeps its meaning or fails.
    for asked in ["/feeds/all.rss//", "//", "/a////"] {
        assert_eq!(
            get(&s, asked, &[]).await.status(),
            StatusCode::NOT_FOUND,
            "{asked}"
        );
    }
    assert_eq!(
        send(&s, "POST", "/admin/fetch/?source=bfpe&force=true", &[])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let r = send(&s, "POST", "/sources.opml", &[]).await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()["allow"], "GET,HEAD");
    assert_eq!(body(r).await, "method not allowed: see the Allow header\n");
    let atom = body(get(&s, "/feeds/all.atom", &[]).await).await;
    assert!(
        atom.contains(r#"href="https://feeds.example.org/tributary/feeds/all.atom""#),
        "{atom}"
    );
    assert!(
        atom.contains("<id>https://feeds.example.org/tributary/feeds/all</id>"),
        "{atom}"
    );
    assert!(atom.contains("Dijalog Beograda i Prištine"));
    let dialogue = body(get(&s, "/feeds/topics/dialogue.rss", &[]).await).await;
    assert!(
        dialogue.contains("<category domain=\"tributary:topic\">dialogue</category>"),
        "{dialogue}"
    );
}

#[tokio::test]
async fn not_modified_on_etag_and_on_date() {
    let dir = tempfile::tempdir().unwrap();
    let s = shared(&dir);
    let first = get(&s, "/feeds/all.rss", &[]).await;
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let modified = first.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(
        get(&s, "/feeds/all.rss", &[("if-none-match", &etag)])
            .await
            .status(),
        StatusCode::NOT_MODIFIED
    );
    assert_eq!(
        get(&s, "/feeds/all.rss", &[("if-modified-since", &modified)])
            .await
            .status(),
        StatusCode::NOT_MODIFIED
    );
    assert_eq!(
        get(&s, "/feeds/all.rss", &[("if-none-match", "W/\"other\"")])
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        get(
            &s,
            "/feeds/all.rss",
            &[("if-modified-since", "Mon, 01 Jan 2001 00:00:00 GMT")]
        )
        .await
        .status(),
        StatusCode::OK
    );
    // Rendering is deterministic: a second render of the same store has the same validator.
    s.refresh().unwrap();
    assert_eq!(
        get(&s, "/feeds/all.rss", &[]).await.headers()["etag"]
            .to_str()
            .unwrap(),
        etag
    );
}

#[tokio::test]
async fn unknown_paths_are_404_with_a_short_message() {
    let dir = tempfile::tempdir().unwrap();
    let s = shared(&dir);
    for (uri, text) in [
        // Unknown names: the configured ones are listed.
        (
            "/feeds/topics/sport.rss",
            "unknown topic; configured: dialogue",
        ),
        (
            "/feeds/sources/nobody.json",
            "unknown source; configured: bfpe",
        ),
        (
            "/feeds/topics/dialogue.xml",
            "no such feed format: use .rss, .atom, .json or .html\n",
        ),
        (
            "/feeds/everything.rss",
            "no such feed: try /feeds/all.rss, .atom, .json or .html\n",
        ),
        ("/nothing", "not found\n"),
    ] {
        let r = get(&s, uri, &[]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(r.headers()["content-type"], "text/plain; charset=utf-8");
        let said = body(r).await;
        assert!(said.starts_with(text), "{uri}: {said}");
        assert!(said.ends_with('\n'), "{uri}: {said}");
    }
}

#[tokio::test]
async fn a_store_that_takes_no_writes_fails_health_until_it_does() {
    let dir = tempfile::tempdir().unwrap();
    let s = shared(&dir);
    s.ready.store(true, Ordering::Release);
    let since = s.store_failed("IO error: No space left on device (os error 28)");
    // A later failure keeps the time of the first.
    assert_eq!(s.store_failed("IO error: still no space"), since);
    let r = get(&s, "/healthz", &[]).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let said = body(r).await;
    assert!(
        said.starts_with("store failing since ") && said.contains("still no space"),
        "{said}"
    );
    // Still ready: the rendered feeds are served (readers keep them while the daemon
    // restarts itself); the body says what is wrong.
    let r = get(&s, "/readyz", &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let said = body(r).await;
    assert!(
        said.starts_with("ready; the store takes no writes since ")
            && said.contains("still no space"),
        "{said}"
    );
    let metrics = body(get(&s, "/metrics", &[]).await).await;
    assert!(metrics.contains("tributary_store_writable 0"), "{metrics}");
    let page = body(get(&s, "/", &[]).await).await;
    assert!(
        page.contains("The store has taken no writes since ") && page.contains("still no space"),
        "{page}"
    );
    s.store_ok();
    let page = body(get(&s, "/", &[]).await).await;
    assert!(!page.contains("The store has taken no writes"), "{page}");
    assert_eq!(get(&s, "/healthz", &[]).await.status(), StatusCode::OK);
    assert_eq!(get(&s, "/readyz", &[]).await.status(), StatusCode::OK);
    let metrics = body(get(&s, "/metrics", &[]).await).await;
    assert!(metrics.contains("tributary_store_writable 1"), "{metrics}");
}

#[tokio::test]
async fn health_readiness_metrics_and_status_page() {
    let dir = tempfile::tempdir().unwrap();
    let s = shared(&dir);
    assert_eq!(get(&s, "/healthz", &[]).await.status(), StatusCode::OK);
    // Ready as soon as the feeds are rendered; the body says whether the first cycle is done.
    let r = get(&s, "/readyz", &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(body(r).await, "ready; first fetch cycle running\n");
    s.ready.store(true, Ordering::Release);
    let r = get(&s, "/readyz", &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(body(r).await, "ready\n");
    // Prometheus asks for OpenMetrics first: the format prometheus-client writes (`_total`
    // samples of a family named without it, `# EOF`), named as such.
    let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    let response = get(&s, "/metrics", &[("accept", prometheus)]).await;
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text; version=1.0.0"));
    // Which format depends on `Accept`, and says so to caches.
    let varies = |r: &axum::response::Response| {
        r.headers()
            .get_all("vary")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|v| v.trim().eq_ignore_ascii_case("accept"))
    };
    assert!(varies(&response), "{:?}", response.headers());
    let metrics = body(response).await;
    assert!(metrics.trim_end().ends_with("# EOF"), "{metrics}");
    assert_eq!(metrics.matches("# EOF").count(), 1, "{metrics}");
    assert!(
        metrics.contains("# TYPE tributary_http_requests counter\n"),
        "{metrics}"
    );
    // Any other scraper (an older agent, curl) gets the classic text format, where a
    // counter's family is named as its samples are: read the other way, counters are untyped.
    let response = get(&s, "/metrics", &[]).await;
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    assert!(varies(&response), "{:?}", response.headers());
    let classic = body(response).await;
    assert!(!classic.contains("# EOF"), "{classic}");
    assert!(
        classic.contains("# TYPE tributary_http_requests_total counter\n")
            && classic.contains("# HELP tributary_http_requests_total ")
            && classic.contains("\ntributary_http_requests_total{"),
        "{classic}"
    );
    assert!(
        classic.contains("# TYPE tributary_store_writable gauge\n"),
        "{classic}"
    );
    // The process metrics every client library exports, under their standard names.
    for name in [
        "process_cpu_seconds_total ",
        "process_resident_memory_bytes ",
        "process_open_fds ",
        "process_max_fds ",
        "process_start_time_seconds ",
        "process_threads ",
    ] {
        let line = metrics
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} in {metrics}"));
        let value: f64 = line[name.len()..].trim().parse().unwrap();
        assert!(value > 0.0 || name.starts_with("process_cpu"), "{line}");
    }
    assert!(metrics.contains("tributary_items_stored 1"), "{metrics}");
    assert!(
        metrics.contains("tributary_http_requests_total{route=\"/readyz\",status=\"200\"} 2"),
        "{metrics}"
    );
    let page = get(&s, "/", &[]).await;
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    assert!(page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
    let html = body(page).await;
    assert!(
        html.contains(r#"<link rel="alternate" type="application/atom+xml""#),
        "{html}"
    );
    assert!(html.contains("https://feeds.example.org/tributary/feeds/topics/dialogue.rss"));
    assert!(html.contains("BFPE"));
    // Source counts come from the last render, not from scanning the store per request.
    let sources: serde_json::Value =
        serde_json::from_str(&body(get(&s, "/sources.json", &[]).await).await).unwrap();
    assert_eq!(sources[0]["id"], "bfpe");
    assert_eq!(sources[0]["items"], 1);
}

#[tokio::test]
async fn digests_are_served_by_name_and_date() {
    let dir = tempfile::tempdir().unwrap();
    let s = shared(&dir);
    assert_eq!(
        get(&s, "/digests/daily/latest.html", &[]).await.status(),
        StatusCode::NOT_FOUND
    );
    let config = s.config();
    let d = config.digest("daily").unwrap().clone();
    let record = tributary::digest::run::build(&config, &s.store, &d, Utc::now(), false).unwrap();
    assert_eq!(record.count, 1);
    let html = get(&s, "/digests/daily/latest.html", &[]).await;
    assert_eq!(html.headers()["content-type"], "text/html; charset=utf-8");
    let html = body(html).await;
    assert!(html.contains("Dijalog Beograda i Prištine"), "{html}");
    for bad in ["<script", "<link", " src=", "url(", "@import"] {
        assert!(!html.contains(bad), "{bad} in the digest HTML");
    }
    let day = record
        .end
        .with_timezone(&d.time_zone)
        .format("%Y-%m-%d")
        .to_string();
    let eml = get(&s, &format!("/digests/daily/{day}.eml"), &[]).await;
    assert_eq!(eml.headers()["content-type"], "message/rfc822");
    assert!(body(eml).await.contains("multipart/alternative"));
    let json = body(get(&s, "/digests/daily/latest.json", &[]).await).await;
    assert!(json.contains("\"count\": 1"), "{json}");
    assert!(body(get(&s, "/digests/daily/latest.txt", &[]).await)
        .await
        .contains("Dijalog"));
    assert_eq!(
        get(&s, "/digests/weekly/latest.txt", &[]).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&s, "/digests/daily/2001-01-01.txt", &[]).await.status(),
        StatusCode::NOT_FOUND
    );
    // A file of no kind served says which are, the index among them.
    for file in ["latest.pdf", "latest"] {
        let answer = get(&s, &format!("/digests/daily/{file}"), &[]).await;
        assert_eq!(answer.status(), StatusCode::NOT_FOUND, "{file}");
        let text = body(answer).await;
        assert!(
            text.contains(".eml") && text.contains("index.json"),
            "{file}: {text}"
        );
    }
    // A digest ending at local midnight is the day before's, by its subject and its URL.
    use chrono::TimeZone as _;
    let midnight = d
        .time_zone
        .with_ymd_and_hms(2026, 11, 27, 0, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let before = tributary::digest::run::build(&config, &s.store, &d, midnight, false).unwrap();
    assert!(before.subject.contains("26 Nov 2026"), "{}", before.subject);
    let eml = body(get(&s, "/digests/daily/2026-11-26.eml", &[]).await).await;
    assert!(eml.contains(&before.message_id), "{eml}");
    assert_eq!(
        get(&s, "/digests/daily/2026-11-27.eml", &[]).await.status(),
        StatusCode::NOT_FOUND
    );
}

const TOKEN: &str = "correct horse battery staple";

#[tokio::test]
async fn admin_routes_are_off_without_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let s = shared(&dir);
    for uri in ["/admin/fetch", "/admin/fetch?source=bfpe", "/admin/reload"] {
        let auth = format!("Bearer {TOKEN}");
        // Whatever the method: no `Allow` header tells a prober they are there.
        for method in ["POST", "GET", "DELETE"] {
            let r = send(&s, method, uri, &[("authorization", &auth)]).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{method} {uri}");
            assert!(r.headers().get("allow").is_none(), "{method} {uri}");
        }
    }
}

#[tokio::test]
async fn admin_routes_need_the_token_and_queue_commands_for_the_daemon() {
    let dir = tempfile::tempdir().unwrap();
    let (admin, mut commands) = Admin::new(AdminToken::new(TOKEN).unwrap());
    let s = build(&dir, Some(admin));
    let right = format!("Bearer {TOKEN}");
    let wrong = format!("Bearer {TOKEN}x");
    let basic = format!("Basic {TOKEN}");

    for uri in ["/admin/fetch", "/admin/reload"] {
        // Reading is not a way in.
        let r = send(&s, "GET", uri, &[("authorization", &right)]).await;
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{uri}");
        for headers in [
            vec![],
            vec![("authorization", wrong.as_str())],
            vec![("authorization", basic.as_str())],
            vec![("authorization", "Bearer")],
        ] {
            let r = send(&s, "POST", uri, &headers).await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{uri} {headers:?}");
            let challenge = r.headers()["www-authenticate"].to_str().unwrap();
            assert!(challenge.starts_with("Bearer realm="), "{challenge}");
        }
    }
    // Nothing was queued by any of that.
    assert!(commands.try_recv().is_err());

    // An unknown source is 404, but only once authorized.
    let r = send(&s, "POST", "/admin/fetch?source=nobody", &[]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = send(
        &s,
        "POST",
        "/admin/fetch?source=nobody",
        &[("authorization", &right)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(body(r).await, "unknown source\n");
    let r = send(
        &s,
        "POST",
        "/admin/fetch?limit=100000",
        &[("authorization", &right)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(commands.try_recv().is_err());

    // The right token queues the fetch and says what.
    let r = send(
        &s,
        "POST",
        "/admin/fetch?source=bfpe",
        &[("authorization", &right)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let json: serde_json::Value = serde_json::from_str(&body(r).await).unwrap();
    assert_eq!(json["queued"], serde_json::json!(["bfpe"]));
    assert!(matches!(
        commands.try_recv().unwrap(),
        Command::Fetch { sources, force: false } if sources == ["bfpe"]
    ));
    let r = send(
        &s,
        "POST",
        "/admin/fetch?force=true",
        &[("authorization", &format!("bearer {TOKEN}"))],
    )
    .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    assert!(matches!(
        commands.try_recv().unwrap(),
        Command::Fetch { sources, force: true } if sources == ["bfpe"]
    ));

    // A reload is answered with how it went, once the daemon says.
    let reload = |s: &Arc<Shared>| {
        let s = s.clone();
        let right = right.clone();
        tokio::spawn(async move {
            send(&s, "POST", "/admin/reload", &[("authorization", &right)]).await
        })
    };
    for (outcome, status, expected) in [
        (
            Ok(Reloaded {
                sources: 3,
                digests: 1,
            }),
            StatusCode::OK,
            serde_json::json!({ "reloaded": true, "sources": 3, "digests": 1 }),
        ),
        (
            Err("tributary.toml:7:1: sources[2].url: not a URL".to_string()),
            StatusCode::UNPROCESSABLE_ENTITY,
            serde_json::json!({ "reloaded": false, "error": "tributary.toml:7:1: sources[2].url: not a URL" }),
        ),
    ] {
        let request = reload(&s);
        match commands.recv().await.unwrap() {
            Command::Reload(reply) => reply.send(outcome),
            other => panic!("{other:?}"),
        }
        let r = request.await.unwrap();
        assert_eq!(r.status(), status);
        let json: serde_json::Value = serde_json::from_str(&body(r).await).unwrap();
        assert_eq!(json, expected);
    }

    // A daemon that stops before it reloads: 503.
    let request = reload(&s);
    drop(commands.recv().await.unwrap());
    assert_eq!(
        request.await.unwrap().status(),
        StatusCode::SERVICE_UNAVAILABLE
    );

    // A full queue is 503, not an unbounded backlog.
    let mut last = StatusCode::ACCEPTED;
    for _ in 0..100 {
        last = send(&s, "POST", "/admin/fetch", &[("authorization", &right)])
            .await
            .status();
        if last != StatusCode::ACCEPTED {
            break;
        }
    }
    assert_eq!(last, StatusCode::SERVICE_UNAVAILABLE);
}

// A reload the daemon has not got to within the wait is answered as queued (the clock is
// tokio's, paused: it moves on when nothing else can).
#[tokio::test(start_paused = true)]
async fn a_reload_the_daemon_is_slow_to_make_is_answered_as_queued() {
    let dir = tempfile::tempdir().unwrap();
    let (admin, mut commands) = Admin::new(AdminToken::new(TOKEN).unwrap());
    let s = build(&dir, Some(admin));
    let auth = format!("Bearer {TOKEN}");
    let r = send(&s, "POST", "/admin/reload", &[("authorization", &auth)]).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let json: serde_json::Value = serde_json::from_str(&body(r).await).unwrap();
    assert_eq!(json, serde_json::json!({ "queued": "reload" }));
    // It is still queued: the daemon makes it when it gets to it.
    assert!(matches!(commands.try_recv().unwrap(), Command::Reload(_)));
}

#[tokio::test]
async fn html_has_security_headers_and_everything_is_nosniff() {
    let dir = tempfile::tempdir().unwrap();
    let s = shared(&dir);
    let config = s.config();
    let d = config.digest("daily").unwrap().clone();
    tributary::digest::run::build(&config, &s.store, &d, Utc::now(), false).unwrap();
    for uri in ["/", "/digests/daily/latest.html"] {
        let r = get(&s, uri, &[]).await;
        assert_eq!(r.status(), StatusCode::OK, "{uri}");
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.starts_with("default-src 'none'"), "{uri}: {csp}");
        assert!(!csp.contains("script-src"), "{uri}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{uri}: {csp}");
        assert_eq!(h["x-frame-options"], "DENY", "{uri}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{uri}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{uri}");
    }
    for uri in [
        "/feeds/all.rss",
        "/feeds/all.json",
        "/sources.opml",
        "/metrics",
        "/healthz",
        "/nothing",
        "/digests/daily/latest.txt",
    ] {
        let r = get(&s, uri, &[]).await;
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{uri}");
    }
}

#[tokio::test]
async fn a_digest_by_date_is_one_lookup_and_junk_dates_are_404() {
    let dir = tempfile::tempdir().unwrap();
    let s = shared(&dir);
    let config = s.config();
    let d = config.digest("daily").unwrap().clone();
    // Two days of digests: each date finds its own.
    let first = Utc.with_ymd_and_hms(2020, 2, 4, 6, 0, 0).unwrap(); // 07:00 in Belgrade
    let second = Utc.with_ymd_and_hms(2020, 2, 5, 6, 0, 0).unwrap();
    tributary::digest::run::build(&config, &s.store, &d, first, false).unwrap();
    tributary::digest::run::build(&config, &s.store, &d, second, false).unwrap();
    for (date, end) in [("2020-02-04", first), ("2020-02-05", second)] {
        let json = body(get(&s, &format!("/digests/daily/{date}.json"), &[]).await).await;
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let stored = s.store.digest_at("daily", end).unwrap().unwrap();
        assert_eq!(v, stored.json, "{date}");
    }
    assert_ne!(
        s.store.digest_at("daily", first).unwrap().unwrap().json,
        s.store.digest_at("daily", second).unwrap().unwrap().json
    );
    for junk in ["2020-02-06", "2020-13-01", "yesterday", "9999999-01-01"] {
        let r = get(&s, &format!("/digests/daily/{junk}.txt"), &[]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{junk}");
    }
}

#[tokio::test]
async fn the_digest_index_names_every_digest_even_two_ending_on_one_day() {
    let dir = tempfile::tempdir().unwrap();
    let s = shared(&dir);
    let config = s.config();
    let mut d = config.digest("daily").unwrap().clone();
    let index = |s| async move {
        let r = get(s, "/digests/daily/index.json", &[]).await;
        assert_eq!(r.headers()["content-type"], "application/json");
        serde_json::from_str::<serde_json::Value>(&body(r).await).unwrap()
    };
    assert_eq!(index(&s).await, serde_json::json!([]));
    // An empty period without `send_empty` is neither written nor sent: no issue to list.
    let quiet = Utc.with_ymd_and_hms(2020, 2, 3, 6, 0, 0).unwrap();
    let empty = tributary::digest::run::build(&config, &s.store, &d, quiet, false).unwrap();
    assert_eq!(empty.count, 0);
    assert_eq!(index(&s).await, serde_json::json!([]));
    // With `send_empty`, each is an issue.
    d.send_empty = true;
    // A morning run, then one by hand at noon the same day.
    let morning = Utc.with_ymd_and_hms(2020, 2, 4, 6, 0, 0).unwrap();
    // Built by hand without --at: the end has sub-seconds, kept to the millisecond, as the
    // id is. Another by hand in the same second has an id of its own.
    let noon = Utc.with_ymd_and_hms(2020, 2, 4, 11, 0, 0).unwrap()
        + chrono::Duration::microseconds(123_456);
    let first = tributary::digest::run::build(&config, &s.store, &d, morning, false).unwrap();
    let second = tributary::digest::run::build(&config, &s.store, &d, noon, false).unwrap();
    let third = tributary::digest::run::build(
        &config,
        &s.store,
        &d,
        noon + chrono::Duration::milliseconds(500),
        false,
    )
    .unwrap();
    let list = index(&s).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["id"], "20200204T110000.623Z", "newest first");
    assert_eq!(list[1]["id"], "20200204T110000.123Z");
    assert_eq!(list[2]["id"], "20200204T060000Z");
    assert_eq!(list[2]["count"], first.count);
    // Times as the digest's own data writes them.
    assert_eq!(list[1]["end"], "2020-02-04T11:00:00.123Z");
    for (entry, record) in [(&list[0], &third), (&list[1], &second), (&list[2], &first)] {
        let url = entry["eml"].as_str().unwrap();
        assert_eq!(body(get(&s, url, &[]).await).await, record.eml, "{url}");
        let url = entry["json"].as_str().unwrap();
        let json: serde_json::Value =
            serde_json::from_str(&body(get(&s, url, &[]).await).await).unwrap();
        assert_eq!(json, record.json, "{url}");
    }
    // The same as a page for people: the digests with stories, newest first, each linked
    // to its own HTML (relative to the page), under the policy of every page.
    let now = tributary::digest::run::build(&config, &s.store, &d, Utc::now(), false).unwrap();
    assert_eq!(now.count, 1);
    let page = get(&s, "/digests/daily/index.html", &[]).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    assert!(page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .starts_with("default-src 'none'"));
    let html = body(page).await;
    // The three of 2020 found nothing (the story was first seen today).
    let shown: Vec<&tributary::model::DigestRecord> = [&now, &third, &second, &first]
        .into_iter()
        .filter(|r| r.count > 0)
        .collect();
    assert_eq!(shown.len(), 1);
    let hrefs: Vec<&str> = html
        .split("<a href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert_eq!(hrefs.len(), shown.len(), "{html}");
    for (href, record) in hrefs.iter().zip(&shown) {
        let url = format!("/digests/daily/{href}");
        assert_eq!(body(get(&s, &url, &[]).await).await, record.html, "{url}");
    }
    assert!(html.contains("<h2>Archive</h2>"), "{html}");
    assert!(
        html.contains("<span class=\"meta\">· 1 story</span>"),
        "{html}"
    );
    for junk in [
        "20200204T070000Z",
        "20200204T110000",
        "2020-02-04T11:00:00Z",
    ] {
        let r = get(&s, &format!("/digests/daily/{junk}.txt"), &[]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{junk}");
    }
    assert_eq!(
        get(&s, "/digests/nope/index.json", &[]).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_source_feed_is_rendered_again_after_a_change_and_keeps_its_validators_until_then() {
    let dir = tempfile::tempdir().unwrap();
    let s = shared(&dir);
    let first = get(&s, "/feeds/sources/bfpe.rss", &[]).await;
    assert_eq!(first.status(), StatusCode::OK);
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let modified = first.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(body(first).await.contains("Prištine"));

    // A re-render with nothing changed: same bytes, same validators, still 304.
    s.refresh().unwrap();
    let again = get(&s, "/feeds/sources/bfpe.rss", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let again = get(&s, "/feeds/sources/bfpe.rss", &[]).await;
    assert_eq!(again.headers()["last-modified"].to_str().unwrap(), modified);

    // A new story: the cached document is stale after the next render.
    let config = s.config();
    let item = NewItem {
        identity: Identity::Guid("2".into()),
        title: "Ženski klub: nova radionica".into(),
        link: Some("https://bfpe.example/vesti/2/".into()),
        published: Some(Utc.with_ymd_and_hms(2020, 2, 5, 9, 0, 0).unwrap()),
        updated: None,
        summary: "Radionica.".into(),
        content: None,
        authors: vec![],
        categories: vec![],
        lang: None,
        enclosures: vec![],
        image: None,
        content_hash: "h2".into(),
    };
    store_from_bfpe(&s.store, &config, item);
    s.refresh().unwrap();
    let changed = get(&s, "/feeds/sources/bfpe.rss", &[("if-none-match", &etag)]).await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);
    assert!(body(changed).await.contains("nova radionica"));
}

#[tokio::test]
async fn feeds_answered_before_the_router_are_what_the_router_answers() {
    let dir = tempfile::tempdir().unwrap();
    let s = shared(&dir);
    let bytes = |r: axum::response::Response| async move {
        axum::body::to_bytes(r.into_body(), 10 << 20).await.unwrap()
    };
    for uri in [
        "/feeds/all.rss",
        "/feeds/all.json",
        "/feeds/topics/dialogue.atom",
        "/feeds/languages/sr-Latn.rss",
        "/feeds/all.html",
        "/feeds/topics/dialogue.html",
    ] {
        let etag = get(&s, uri, &[]).await.headers()["etag"]
            .to_str()
            .unwrap()
            .to_string();
        let cases: [&[(&str, &str)]; 4] = [
            &[],
            &[("accept-encoding", "gzip, deflate, br")],
            &[("accept-encoding", "deflate, gzip;q=0")],
            &[("if-none-match", etag.as_str())],
        ];
        for headers in cases {
            let mut req = Request::builder().uri(uri);
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            let fast = fast_answer(&s, &req.body(()).unwrap()).expect(uri);
            let routed = get(&s, uri, headers).await;
            assert_eq!(fast.status(), routed.status(), "{uri} {headers:?}");
            for h in [
                "etag",
                "last-modified",
                "content-type",
                "content-encoding",
                "cache-control",
                "vary",
                "x-content-type-options",
                "content-security-policy",
                "x-frame-options",
            ] {
                assert_eq!(
                    fast.headers().get(h),
                    routed.headers().get(h),
                    "{uri} {headers:?} {h}"
                );
            }
            assert_eq!(bytes(fast).await, bytes(routed).await, "{uri} {headers:?}");
        }
        // Gzipped at render time, for clients that accept it: the same document.
        let plain = bytes(get(&s, uri, &[]).await).await;
        let packed = get(&s, uri, &[("accept-encoding", "gzip")]).await;
        assert_eq!(packed.headers()["content-encoding"], "gzip", "{uri}");
        let mut unpacked = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&bytes(packed).await[..]),
            &mut unpacked,
        )
        .unwrap();
        assert_eq!(unpacked, plain, "{uri}");
    }
    // Everything else is the router's: unknown topics (404), source feeds (rendered on
    // request), other paths and methods.
    for uri in [
        "/feeds/topics/nope.rss",
        "/feeds/languages/de.rss",
        "/feeds/sources/bfpe.rss",
        "/feeds/other.rss",
        "/feeds/all.txt",
        "/feeds/topics/a/b.rss",
        "/",
    ] {
        let req = Request::builder().uri(uri).body(()).unwrap();
        assert!(fast_answer(&s, &req).is_none(), "{uri}");
    }
    let post = Request::builder()
        .method("POST")
        .uri("/feeds/all.rss")
        .body(())
        .unwrap();
    assert!(fast_answer(&s, &post).is_none());
}

/// A feed per language the sources name, and per script a source names: `sr` carries Serbian
/// in both scripts, `sr-Cyrl` only Cyrillic (a story is in the language ingest gave it: its
/// feed's, else its source's).
#[tokio::test]
async fn each_language_the_sources_name_has_its_feeds() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"
[server]
base_url = "https://feeds.example.org/"
title = "Balkan partners"

[[sources]]
id = "kossev"
title = "KoSSev"
url = "https://kossev.example/feed/"
kind = "partner"
lang = "sr-Latn"

[[sources]]
id = "kossev-cyr"
title = "КоССев"
url = "https://kossev.example/cyr/feed/"
kind = "partner"
lang = "sr-Cyrl"

[[sources]]
id = "kwn"
title = "Kosovo Women's Network"
url = "https://kwn.example/feed/"
kind = "partner"
lang = "sq"
"#;
    let config = Config::from_str(text, &dir.path().join("t.toml"))
        .unwrap()
        .with_data_dir(Some(dir.path().join("data")));
    assert_eq!(config.languages(), ["sq", "sr", "sr-Cyrl", "sr-Latn"]);
    let store = Arc::new(Store::open(&config.store).unwrap());
    let stories = [
        ("kossev", "Sednica skupštine opštine", Some("sr-Latn")),
        ("kossev-cyr", "Седница скупштине општине", Some("sr-Cyrl")),
        ("kwn", "Takimi i Kokusit të Grave", Some("sq")),
        ("kwn", "Statement of the Women's Caucus", Some("en")),
        ("kwn", "A story without a language", None),
    ];
    for (i, (source, title, lang)) in stories.iter().enumerate() {
        let item = NewItem {
            identity: Identity::Guid(format!("{i}")),
            title: title.to_string(),
            link: Some(format!("https://{source}.example/{i}")),
            published: Some(
                Utc.with_ymd_and_hms(2026, 3, 1 + i as u32, 9, 0, 0)
                    .unwrap(),
            ),
            updated: None,
            summary: String::new(),
            content: None,
            authors: vec![],
            categories: vec![],
            lang: lang.map(str::to_string),
            enclosures: vec![],
            image: None,
            content_hash: format!("h{i}"),
        };
        store
            .apply(
                source,
                vec![Staged {
                    item,
                    topics: None,
                    reread: false,
                }],
                &SourceState::default(),
                Utc::now(),
                &config.dedupe,
                &|_: &tributary::model::Item| vec![],
            )
            .unwrap();
    }
    let s = Arc::new(Shared::new(store, Arc::new(config)));
    s.refresh().unwrap();
    let serbian = get(&s, "/feeds/languages/sr.json", &[]).await;
    assert_eq!(serbian.status(), StatusCode::OK);
    let feed = body(serbian).await;
    assert_eq!(
        json_titles(feed.clone()),
        ["Седница скупштине општине", "Sednica skupštine opštine"]
    );
    let v: serde_json::Value = serde_json::from_str(&feed).unwrap();
    assert_eq!(v["title"], "Balkan partners: vesti na srpskom");
    assert_eq!(v["description"], "Vesti na srpskom, iz svih izvora");
    assert_eq!(v["language"], "sr");
    assert_eq!(
        json_titles(body(get(&s, "/feeds/languages/sr-Cyrl.json", &[]).await).await),
        ["Седница скупштине општине"]
    );
    // Tags match in any case.
    assert_eq!(
        json_titles(body(get(&s, "/feeds/languages/SR-cyrl.json", &[]).await).await),
        ["Седница скупштине општине"]
    );
    assert_eq!(
        json_titles(body(get(&s, "/feeds/languages/sq.json", &[]).await).await),
        ["Takimi i Kokusit të Grave"]
    );
    let rss = body(get(&s, "/feeds/languages/sr-Latn.rss", &[]).await).await;
    assert!(rss.contains("<language>sr-Latn</language>"), "{rss}");
    assert!(rss.contains("vesti na srpskom (latinica)"), "{rss}");
    // A language no source names has no feed, even with stories in it.
    let en = get(&s, "/feeds/languages/en.json", &[]).await;
    assert_eq!(en.status(), StatusCode::NOT_FOUND);
    assert!(body(en).await.starts_with("unknown language; configured: "));
    let page = body(get(&s, "/", &[]).await).await;
    assert!(page.contains("Language: Serbian (Cyrillic)"), "{page}");
    assert!(page.contains("/feeds/languages/sq.atom"), "{page}");
}

/// A topic's feed in one language: `/feeds/topics/dialogue/sq.rss` holds the dialogue's
/// Albanian stories alone, named as the rules name the topic in Albanian; rendered on request
/// and rendered again after a change.
#[tokio::test]
async fn a_topic_has_a_feed_in_each_language() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"
[server]
base_url = "https://feeds.example.org/"
title = "Balkan partners"

[topics.dialogue]
title = "Kosovo–Serbia dialogue"
titles = { sq = "Dialogu Kosovë–Serbi" }
threshold = 2
terms = { "dijalog*" = 2, "dialog*" = 2 }

[topics.culture]
title = "Culture"
threshold = 2
terms = { "festival*" = 2 }

[[sources]]
id = "kossev"
title = "KoSSev"
url = "https://kossev.example/feed/"
kind = "partner"
lang = "sr-Latn"

[[sources]]
id = "kwn"
title = "Kosovo Women's Network"
url = "https://kwn.example/feed/"
kind = "partner"
lang = "sq"
"#;
    let config = Arc::new(
        Config::from_str(text, &dir.path().join("t.toml"))
            .unwrap()
            .with_data_dir(Some(dir.path().join("data"))),
    );
    let store = Arc::new(Store::open(&config.store).unwrap());
    let item = |i: u32, title: &str, lang: &str| NewItem {
        identity: Identity::Guid(format!("{i}")),
        title: title.to_string(),
        link: Some(format!("https://example.org/{i}")),
        published: Some(Utc.with_ymd_and_hms(2026, 3, i, 9, 0, 0).unwrap()),
        updated: None,
        summary: String::new(),
        content: None,
        authors: vec![],
        categories: vec![],
        lang: Some(lang.to_string()),
        enclosures: vec![],
        image: None,
        content_hash: format!("h{i}"),
    };
    let apply = |source: &str, item: NewItem| {
        let topics = |i: &tributary::model::Item| config.classifier.item_topics(i, &config.sources);
        store
            .apply(
                source,
                vec![Staged {
                    item,
                    topics: None,
                    reread: false,
                }],
                &SourceState::default(),
                Utc::now(),
                &config.dedupe,
                &topics,
            )
            .unwrap();
    };
    apply("kossev", item(1, "Dijalog Beograda i Prištine", "sr-Latn"));
    apply("kwn", item(2, "Dialogu Kosovë-Serbi në Bruksel", "sq"));
    apply("kwn", item(3, "Festivali i filmit në Prizren", "sq"));
    apply("kwn", item(4, "Dialogue talks resume in Brussels", "en"));
    let s = Arc::new(Shared::new(store.clone(), config.clone()));
    s.refresh().unwrap();
    let albanian = get(&s, "/feeds/topics/dialogue/sq.json", &[]).await;
    assert_eq!(albanian.status(), StatusCode::OK);
    let feed = body(albanian).await;
    assert_eq!(
        json_titles(feed.clone()),
        ["Dialogu Kosovë-Serbi në Bruksel"]
    );
    let v: serde_json::Value = serde_json::from_str(&feed).unwrap();
    assert_eq!(v["title"], "Balkan partners: Dialogu Kosovë–Serbi · shqip");
    assert_eq!(
        v["description"],
        "Lajme për temën „Dialogu Kosovë–Serbi“ në shqip, nga të gjitha burimet"
    );
    assert_eq!(v["language"], "sq");
    assert_eq!(
        v["feed_url"],
        "https://feeds.example.org/feeds/topics/dialogue/sq.json"
    );
    // `sr` holds the Latin story; tags match in any case; a topic without a title in a
    // language keeps its own.
    assert_eq!(
        json_titles(body(get(&s, "/feeds/topics/dialogue/SR.json", &[]).await).await),
        ["Dijalog Beograda i Prištine"]
    );
    let rss = body(get(&s, "/feeds/topics/culture/sq.rss", &[]).await).await;
    assert!(rss.contains("<language>sq</language>"), "{rss}");
    assert!(rss.contains("Balkan partners: Culture · shqip"), "{rss}");
    assert!(rss.contains("Festivali i filmit"), "{rss}");
    assert!(!rss.contains("Dialogu"), "{rss}");
    // Unknown topics and languages (English: no source names it) are 404s naming those there are.
    let unknown_topic = get(&s, "/feeds/topics/sport/sq.rss", &[]).await;
    assert_eq!(unknown_topic.status(), StatusCode::NOT_FOUND);
    assert!(body(unknown_topic)
        .await
        .starts_with("unknown topic; configured: "));
    let unknown_language = get(&s, "/feeds/topics/dialogue/en.rss", &[]).await;
    assert_eq!(unknown_language.status(), StatusCode::NOT_FOUND);
    assert!(body(unknown_language)
        .await
        .starts_with("unknown language; configured: "));
    // Validators hold until the store changes; then the feed is rendered again.
    let first = get(&s, "/feeds/topics/dialogue/sq.atom", &[]).await;
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let again = get(
        &s,
        "/feeds/topics/dialogue/sq.atom",
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let newest_stored = Utc::now();
    apply("kwn", item(5, "Dialogu rifillon pas zgjedhjeve", "sq"));
    s.refresh().unwrap();
    let changed = get(
        &s,
        "/feeds/topics/dialogue/sq.atom",
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert!(body(changed).await.contains("Dialogu rifillon"));
    // A topic with nothing in a language has an empty feed, dated as the newest story (not
    // 1970, which validators and readers take for an error).
    let empty = body(get(&s, "/feeds/topics/culture/sr-Latn.atom", &[]).await).await;
    assert!(!empty.contains("<entry>"), "{empty}");
    let updated = empty
        .split_once("<updated>")
        .and_then(|(_, rest)| rest.split_once("</updated>"))
        .map(|(t, _)| chrono::DateTime::parse_from_rfc3339(t).unwrap())
        .unwrap();
    assert!(
        updated.timestamp() >= newest_stored.timestamp() && updated <= Utc::now(),
        "{empty}"
    );
    // The feed and its page name the topics as the rules do in that language, and the page
    // links each to its page in that language.
    let atom = body(get(&s, "/feeds/topics/dialogue/sq.atom", &[]).await).await;
    assert!(atom.contains("label=\"Dialogu Kosovë–Serbi\""), "{atom}");
    let html = body(get(&s, "/feeds/topics/dialogue/sq.html", &[]).await).await;
    assert!(
        html.contains("feeds/topics/dialogue/sq.html\">Dialogu Kosovë–Serbi</a>"),
        "{html}"
    );
    assert!(html.contains("<html lang=\"sq\">"), "{html}");
    // The status page links each topic in each language.
    let page = body(get(&s, "/", &[]).await).await;
    assert!(page.contains("By topic and language"), "{page}");
    assert!(
        page.contains("https://feeds.example.org/feeds/topics/culture/sr-Latn.atom"),
        "{page}"
    );
}

/// What readers are shown of a story's topics and its sources: Atom categories carry the
/// topic's title as their label; the sources list offers a feed behind a login or a key as
/// its copy here, which a reader can open.
#[tokio::test]
async fn categories_are_labelled_and_private_feeds_are_listed_as_their_copy_here() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{CONFIG}\n[[sources]]\nid = \"members\"\ntitle = \"Members\"\nurl = \"https://members.example/feed/\"\nkind = \"partner\"\nusername = \"t\"\npassword_env = \"MEMBERS_PASSWORD\"\n\n[[sources]]\nid = \"keyed\"\ntitle = \"Keyed\"\nurl = \"https://keyed.example/feed?api_key=k1&lang=sq\"\nkind = \"partner\"\n"
    );
    let s = build_from(&dir, &text, None);
    let atom = body(get(&s, "/feeds/all.atom", &[]).await).await;
    assert!(
        atom.contains(r#"term="dialogue""#) && atom.contains(r#"label="Kosovo–Serbia dialogue""#),
        "{atom}"
    );
    let opml = body(get(&s, "/sources.opml", &[]).await).await;
    // A public feed as it is; the two only we can read as our copies.
    for open in [
        "https://bfpe.example/feed/",
        "https://feeds.example.org/tributary/feeds/sources/members.rss",
        "https://feeds.example.org/tributary/feeds/sources/keyed.rss",
    ] {
        assert!(
            opml.contains(&format!(r#"xmlUrl="{open}""#)),
            "{open} in {opml}"
        );
    }
    assert!(
        !opml.contains("members.example") && !opml.contains("keyed.example"),
        "{opml}"
    );
}

/// A source whose URL carries a key, in any of its spellings, is published without it: on
/// the status page, in `/sources.json`, the OPML and the metrics.
#[tokio::test]
async fn every_spelling_of_a_key_in_a_source_url_is_kept_off_every_page() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{CONFIG}\n[[sources]]\nid = \"keyed\"\ntitle = \"Keyed\"\nurl = \"https://keyed.example/feed?accessToken=SECRET1&apitoken=SECRET2&X-Amz-Signature=SECRET3&authkey=SECRET4&private_token=SECRET5&feedtoken=SECRET6&lang=sq\"\nkind = \"partner\"\n"
    );
    let s = build_from(&dir, &text, None);
    let listed = body(get(&s, "/sources.json", &[]).await).await;
    assert!(
        listed.contains("accessToken=hidden&apitoken=hidden&X-Amz-Signature=hidden&authkey=hidden&private_token=hidden&feedtoken=hidden&lang=sq"),
        "{listed}"
    );
    for uri in ["/", "/sources.json", "/sources.opml", "/metrics"] {
        let page = body(get(&s, uri, &[]).await).await;
        assert!(!page.contains("SECRET"), "{uri}: {page}");
    }
}

/// Readers who ask at once for a feed rendered on request, right after a change, get the
/// same document from one render.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_readers_costs_one_render_of_a_feed_rendered_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let s = shared(&dir);
    let renders = |text: String| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix("tributary_lazy_feed_renders_total "))
            .unwrap_or_else(|| panic!("{text}"))
            .parse()
            .unwrap()
    };
    let burst = || async {
        let answers = futures_util::future::join_all(
            (0..24).map(|_| get(&s, "/feeds/sources/bfpe.atom", &[])),
        )
        .await;
        let etags: std::collections::HashSet<String> = answers
            .iter()
            .map(|r| {
                assert_eq!(r.status(), StatusCode::OK);
                r.headers()["etag"].to_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(etags.len(), 1, "{etags:?}");
    };
    burst().await;
    assert_eq!(renders(body(get(&s, "/metrics", &[]).await).await), 1);
    // After a change, one more.
    let item = NewItem {
        identity: Identity::Guid("2".into()),
        title: "Druga vest".into(),
        link: Some("https://bfpe.example/vesti/2/".into()),
        published: Some(Utc.with_ymd_and_hms(2020, 2, 5, 9, 0, 0).unwrap()),
        updated: None,
        summary: "Vest.".into(),
        content: None,
        authors: vec![],
        categories: vec![],
        lang: Some("sr-Latn".into()),
        enclosures: vec![],
        image: None,
        content_hash: "h2".into(),
    };
    store_from_bfpe(&s.store, &s.config(), item);
    s.refresh().unwrap();
    burst().await;
    assert_eq!(renders(body(get(&s, "/metrics", &[]).await).await), 2);
}

/// Counts for the status page and the gauges are taken in full at the first render (and after
/// a recount), and kept up by each fetch meanwhile, without walking the store per render.
#[tokio::test]
async fn story_counts_follow_fetches_and_retention_without_a_full_recount() {
    let dir = tempfile::tempdir().unwrap();
    let s = shared(&dir);
    let config = s.config();
    assert_eq!(s.story_count(), 1);
    // The source's n-th story, with no text.
    let story = |n: u32| NewItem {
        identity: Identity::Guid(format!("{n}")),
        title: format!("Vest broj {n} o dijalogu"),
        link: Some(format!("https://bfpe.example/vesti/{n}/")),
        published: Some(Utc.with_ymd_and_hms(2020, 2, 4 + n, 9, 0, 0).unwrap()),
        updated: None,
        summary: String::new(),
        content: None,
        authors: vec![],
        categories: vec![],
        lang: Some("sr-Latn".into()),
        enclosures: vec![],
        image: None,
        content_hash: format!("h{n}"),
    };
    for n in 2..=3 {
        store_from_bfpe(&s.store, &config, story(n));
    }
    // Stored, not yet seen by the source's fetch bookkeeping: the total already knows.
    assert_eq!(s.story_count(), 3);
    async fn items(s: &Arc<Shared>) -> u64 {
        let v: serde_json::Value =
            serde_json::from_str(&body(get(s, "/sources.json", &[]).await).await).unwrap();
        v[0]["items"].as_u64().unwrap()
    }
    assert_eq!(items(&s).await, 1);
    s.fetched(config.source("bfpe").unwrap(), true).unwrap();
    assert_eq!(items(&s).await, 3);
    // A fetch that changed no story (a 304, the same body) keeps the count it knows: the
    // source's entries are not read again.
    store_from_bfpe(&s.store, &config, story(4));
    s.fetched(config.source("bfpe").unwrap(), false).unwrap();
    assert_eq!(items(&s).await, 3);
    s.fetched(config.source("bfpe").unwrap(), true).unwrap();
    assert_eq!(items(&s).await, 4);
    s.refresh().unwrap();
    let metrics = body(get(&s, "/metrics", &[]).await).await;
    assert!(metrics.contains("tributary_items_stored 4"), "{metrics}");

    // Retention: the total follows at once; per-source figures at the recount.
    let removed = s
        .store
        .prune(None, Some(1), &["bfpe".to_string()], Utc::now())
        .unwrap();
    assert_eq!(removed, 3);
    assert_eq!(s.story_count(), 1);
    // A render alone does not walk the store again: the source's figure waits for a recount.
    s.refresh().unwrap();
    assert_eq!(items(&s).await, 4);
    s.recount();
    s.refresh().unwrap();
    assert_eq!(items(&s).await, 1);
    let metrics = body(get(&s, "/metrics", &[]).await).await;
    assert!(metrics.contains("tributary_items_stored 1\n"), "{metrics}");
}

/// Without a configured `base_url` the self links follow the listen address, but a feed's
/// permanent id does not: readers would take a moved feed for a new one.
#[tokio::test]
async fn feed_ids_do_not_follow_a_derived_address() {
    let mut ids = Vec::new();
    for listen in ["127.0.0.1:8080", "127.0.0.1:9090"] {
        let dir = tempfile::tempdir().unwrap();
        let text = CONFIG.replace(
            "base_url = \"https://feeds.example.org/tributary/\"",
            &format!("listen = \"{listen}\""),
        );
        let s = build_from(&dir, &text, None);
        let atom = body(get(&s, "/feeds/topics/dialogue.atom", &[]).await).await;
        assert!(
            atom.contains(&format!(
                "href=\"http://{listen}/feeds/topics/dialogue.atom\""
            )),
            "{atom}"
        );
        let id = atom
            .split_once("<id>")
            .and_then(|(_, rest)| rest.split_once("</id>"))
            .map(|(id, _)| id.to_string())
            .unwrap();
        ids.push(id);
    }
    // Its parts joined by `:`: the W3C validator takes a `/` in a URN for an error.
    assert_eq!(ids, ["urn:tributary:feed:feeds:topics:dialogue"; 2]);
}

/// Every feed is also a web page (as a Planet publishes one): the same stories, served like
/// the feeds (validators, gzip made once), under a policy that lets nothing run or load.
#[tokio::test]
async fn every_feed_has_a_web_page() {
    let dir = tempfile::tempdir().unwrap();
    let s = shared(&dir);
    for uri in [
        "/feeds/all.html",
        "/feeds/topics/dialogue.html",
        "/feeds/languages/sr-Latn.html",
        "/feeds/sources/bfpe.html",
        "/feeds/topics/dialogue/sr.html",
    ] {
        let r = get(&s, uri, &[]).await;
        assert_eq!(r.status(), StatusCode::OK, "{uri}");
        assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
        let csp = r.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.starts_with("default-src 'none'"), "{csp}");
        assert!(!csp.contains("script-src"), "{csp}");
        assert_eq!(r.headers()["x-frame-options"], "DENY");
        let etag = r.headers()["etag"].to_str().unwrap().to_string();
        let html = body(r).await;
        assert!(
            html.contains(
                "<a href=\"https://bfpe.example/vesti/1/\">Dijalog Beograda i Prištine: šta dalje?</a>"
            ),
            "{uri}: {html}"
        );
        // The page offers the same scope's feeds.
        let feed = uri.replace(".html", ".atom");
        assert!(
            html.contains("<link rel=\"alternate\" type=\"application/atom+xml\"")
                && html.contains(&format!("{feed}\">")),
            "{uri}: {html}"
        );
        let again = get(&s, uri, &[("if-none-match", &etag)]).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{uri}");
    }
    // A page in one language Tributary speaks speaks it around the stories too.
    let serbian = body(get(&s, "/feeds/languages/sr-Latn.html", &[]).await).await;
    assert!(serbian.contains("<html lang=\"sr-Latn\">"), "{serbian}");
    assert!(serbian.contains("Pretplatite se:"), "{serbian}");
    let all = body(get(&s, "/feeds/all.html", &[]).await).await;
    assert!(all.contains("<html lang=\"en\">") && all.contains("Subscribe:"));
    // A feed's site, where a reader's "open the site" leads, is its page.
    let rss = body(get(&s, "/feeds/topics/dialogue.rss", &[]).await).await;
    assert!(
        rss.contains("<link>https://feeds.example.org/tributary/feeds/topics/dialogue.html</link>"),
        "{rss}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&body(get(&s, "/feeds/sources/bfpe.json", &[]).await).await).unwrap();
    assert_eq!(
        json["home_page_url"],
        "https://feeds.example.org/tributary/feeds/sources/bfpe.html"
    );
    let gzipped = get(&s, "/feeds/all.html", &[("accept-encoding", "gzip")]).await;
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    // The status page links each feed's page, and offers only the feeds for autodiscovery.
    let page = body(get(&s, "/", &[]).await).await;
    assert!(
        page.contains("/feeds/topics/dialogue.html\">Web page</a>"),
        "{page}"
    );
    assert!(
        !page.contains("<link rel=\"alternate\" type=\"text/html\""),
        "{page}"
    );
    assert!(page.contains("<link rel=\"alternate\" type=\"application/rss+xml\""));
    // Unknown ones are 404s, as for the feeds.
    assert_eq!(
        get(&s, "/feeds/topics/sport.html", &[]).await.status(),
        StatusCode::NOT_FOUND
    );
}

/// The status page lists each digest with its schedule, its newest issue and how its sending
/// went, linked to the issue and the archive.
#[tokio::test]
async fn the_status_page_shows_each_digest_and_its_newest_issue() {
    let dir = tempfile::tempdir().unwrap();
    let s = shared(&dir);
    let page = body(get(&s, "/", &[]).await).await;
    assert!(page.contains("<h2>Digests</h2>"), "{page}");
    assert!(page.contains("Partneri: dnevni pregled"), "{page}");
    assert!(
        page.contains("<td>0 7 * * * (Europe/Belgrade)</td>"),
        "{page}"
    );
    assert!(page.contains("none yet"), "{page}");
    assert!(!page.contains("latest.html"), "no issue to link: {page}");
    let config = s.config();
    let d = config.digest("daily").unwrap().clone();
    // A first issue in 2020 (nothing in it), so the next one's period starts there and holds
    // the story whatever the time of day.
    let before = Utc.with_ymd_and_hms(2020, 2, 4, 6, 0, 0).unwrap();
    tributary::digest::run::build(&config, &s.store, &d, before, false).unwrap();
    // Empty, without `send_empty`: neither written nor sent, and not said to be.
    let page = body(get(&s, "/", &[]).await).await;
    assert!(
        page.contains("class=\"ok\">nothing to write or send"),
        "{page}"
    );
    let end = Utc::now();
    let mut record = tributary::digest::run::build(&config, &s.store, &d, end, false).unwrap();
    assert_eq!(record.count, 1);
    let page = body(get(&s, "/", &[]).await).await;
    assert!(
        page.contains(&format!(
            "period ending {}: 1 story",
            record.end.format("%Y-%m-%d %H:%M UTC")
        )),
        "{page}"
    );
    // Built, not yet written to the outbox (the daemon writes it, or says why not).
    assert!(
        page.contains("class=\"failing\">not yet written to the outbox"),
        "{page}"
    );
    tributary::digest::run::deliver_to_outbox(&config.mail, &s.store, &mut record).unwrap();
    let page = body(get(&s, "/", &[]).await).await;
    assert!(
        page.contains("class=\"ok\">written to the outbox 20"),
        "{page}"
    );
    assert!(
        page.contains("digests/daily/latest.html\">Latest</a> · <a href=\"")
            && page.contains("digests/daily/index.html\">Archive</a>"),
        "{page}"
    );
}

/// A digest in Albanian has its archive in Albanian: its heading, the periods and counts as
/// the issues say them.
#[tokio::test]
async fn a_digest_archive_speaks_the_digest_language() {
    let dir = tempfile::tempdir().unwrap();
    let text = CONFIG.replace(
        "time_zone = \"Europe/Belgrade\"",
        "time_zone = \"Europe/Belgrade\"\nlocale = \"sq\"",
    );
    let s = build_from(&dir, &text, None);
    let page = body(get(&s, "/digests/daily/index.html", &[]).await).await;
    assert!(page.contains("<html lang=\"sq\">"), "{page}");
    assert!(page.contains("<p>Ende nuk ka numra.</p>"), "{page}");
    let config = s.config();
    let d = config.digest("daily").unwrap().clone();
    let before = Utc.with_ymd_and_hms(2020, 2, 4, 6, 0, 0).unwrap();
    tributary::digest::run::build(&config, &s.store, &d, before, false).unwrap();
    let record = tributary::digest::run::build(&config, &s.store, &d, Utc::now(), false).unwrap();
    assert_eq!(record.count, 1);
    let page = body(get(&s, "/digests/daily/index.html", &[]).await).await;
    assert!(page.contains("<h2>Arkivi</h2>"), "{page}");
    assert!(
        page.contains("<span class=\"meta\">· 1 lajm</span>"),
        "{page}"
    );
    let period = record.json["period_label"].as_str().unwrap();
    assert!(page.contains(&format!(">{period}</a>")), "{page}");
}
