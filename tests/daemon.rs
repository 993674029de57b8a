//! The daemon over 127.0.0.1: scheduled polling, served feeds with provenance and topics,
//! conditional GET and compression, SIGHUP reloads, SIGTERM shutdown.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{setup, src, FeedServer, Route};
use serde_json::Value;

fn feed(items: usize) -> String {
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Partner</title><link>https://partner.example/</link>"#,
    );
    let titles = [
        "Brussels talks resume on the licence plates agreement",
        "Women's Caucus meets municipal assembly members in Prizren",
        "Exit festival announces its regional programme",
    ];
    for (i, title) in titles.iter().enumerate().take(items) {
        s.push_str(&format!(
            "<item><title>{title}</title><link>https://partner.example/news/{i}/</link><guid>p-{i}</guid>\
             <pubDate>Tue, {:02} Feb 2020 10:00:00 GMT</pubDate><description>Story {i}.</description></item>",
            10 + i
        ));
    }
    s.push_str("</channel></rss>");
    s
}

struct Daemon {
    child: Child,
    base: String,
    log: std::path::PathBuf,
}

impl Daemon {
    fn start(s: &common::Setup) -> Daemon {
        Daemon::start_with(s, &[])
    }

    fn start_with(s: &common::Setup, env: &[(&str, &str)]) -> Daemon {
        let log = s.dir.path().join("daemon.log");
        let mut child = s
            .std_cmd()
            .arg("run")
            .env("RUST_LOG", "tributary=info")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let base = first
            .split_whitespace()
            .find(|w| w.starts_with("http://127.0.0.1:"))
            .unwrap_or_else(|| panic!("no address in {first:?}"))
            .to_string();
        Daemon { child, base, log }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path.trim_start_matches('/'))
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(ok.success());
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `check` until it holds or the deadline passes (the daemon works on its own clock).
async fn eventually<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits for `/readyz` to say the first fetch cycle is done (a bound for a loaded machine: a
/// debug build sanitizes one test's 5.7 MB feed in a few seconds alone, and took over 20 s
/// beside other builds).
async fn ready(d: &Daemon, client: &reqwest::Client) {
    eventually("readyz", Duration::from_secs(90), || async {
        match client.get(d.url("/readyz")).send().await {
            Ok(r) if r.status() == 200 => r.text().await.is_ok_and(|t| t == "ready\n"),
            _ => false,
        }
    })
    .await;
}

async fn body_text(client: &reqwest::Client, url: &str) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}

async fn json(client: &reqwest::Client, url: &str) -> Value {
    let bytes = client.get(url).send().await.unwrap().bytes().await.unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemon_polls_serves_reloads_and_stops_cleanly() {
    let server = FeedServer::start();
    server.feed("partner.xml", feed(2), "application/rss+xml");
    let rules = r#"
[topics.dialogue]
title = "Kosovo–Serbia dialogue"
threshold = 2
terms = { "licence plates" = 2, "brussels" = 1 }

[topics.culture]
title = "Culture"
threshold = 2
terms = { "festival*" = 2 }
"#;
    server.route(
        "broken.xml",
        Route::Status {
            code: 500,
            headers: vec![],
            body: b"down".to_vec(),
        },
    );
    // A port the system picks (a number picked here could be taken before the daemon binds
    // it); the CLI is told where the daemon listens.
    let s = setup(&[], &format!("[server]\nlisten = \"127.0.0.1:0\"\n{rules}"));
    let text = std::fs::read_to_string(&s.config).unwrap();
    let with_source = format!(
        "{text}\n[[sources]]\nid = \"partner\"\ntitle = \"Partner portal\"\nurl = \"{}\"\nkind = \"partner\"\ninterval = \"10s\"\ntopics = [\"dialogue\"]\n\n[[sources]]\nid = \"broken\"\ntitle = \"Broken partner\"\nurl = \"{}\"\nkind = \"partner\"\ninterval = \"10s\"\n",
        server.url("partner.xml"),
        server.url("broken.xml")
    );
    std::fs::write(&s.config, &with_source).unwrap();
    let d = Daemon::start(&s);
    let client = reqwest::Client::new();

    // Ready after the first cycle; the merged feed lists the stored items with provenance.
    ready(&d, &client).await;
    // The start's render and the first cycle's fall within a second or two: each document is
    // still dated at or before the clock (RFC 9110, 8.8.2.1).
    for path in [
        "/feeds/all.rss",
        "/feeds/topics/dialogue.atom",
        "/feeds/sources/partner.json",
    ] {
        let r = client.get(d.url(path)).send().await.unwrap();
        let date =
            |name: &str| httpdate::parse_http_date(r.headers()[name].to_str().unwrap()).unwrap();
        assert!(
            date("last-modified") <= date("date"),
            "{path}: {:?}",
            r.headers()
        );
    }
    let all = json(&client, &d.url("/feeds/all.json")).await;
    let items = all["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{all}");
    assert_eq!(items[0]["url"], "https://partner.example/news/1/");
    assert_eq!(items[0]["authors"][0]["name"], "Partner portal");
    assert_eq!(server.hits("partner.xml").requests, 1);

    // A new item appears after the next poll and not before.
    server.feed("partner.xml", feed(3), "application/rss+xml");
    let still = json(&client, &d.url("/feeds/all.json")).await;
    if server.hits("partner.xml").requests == 1 {
        assert_eq!(
            still["items"].as_array().unwrap().len(),
            2,
            "served before the source was polled again"
        );
    }
    eventually("the next poll", Duration::from_secs(30), || async {
        server.hits("partner.xml").requests >= 2
    })
    .await;
    eventually("the new item", Duration::from_secs(10), || async {
        json(&client, &d.url("/feeds/all.json")).await["items"]
            .as_array()
            .unwrap()
            .len()
            == 3
    })
    .await;
    let culture = json(&client, &d.url("/feeds/topics/culture.json")).await;
    let culture_items = culture["items"].as_array().unwrap();
    assert_eq!(culture_items.len(), 1);
    assert_eq!(
        culture_items[0]["title"],
        "Exit festival announces its regional programme"
    );
    // The source default topic applies to every item of the source.
    let dialogue = json(&client, &d.url("/feeds/topics/dialogue.json")).await;
    assert_eq!(dialogue["items"].as_array().unwrap().len(), 3);
    let per_source = json(&client, &d.url("/feeds/sources/partner.json")).await;
    assert_eq!(per_source["items"].as_array().unwrap().len(), 3);

    // Conditional GET and compression.
    let first = client.get(d.url("/feeds/all.rss")).send().await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(
        first.headers()["content-type"],
        "application/rss+xml; charset=utf-8"
    );
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let plain = first.bytes().await.unwrap();
    let again = client
        .get(d.url("/feeds/all.rss"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let raw = reqwest::Client::builder().no_gzip().build().unwrap();
    let zipped = raw
        .get(d.url("/feeds/all.rss"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&zipped.bytes().await.unwrap()[..]),
        &mut unzipped,
    )
    .unwrap();
    assert_eq!(unzipped, plain.to_vec());

    // Unknown things are 404 with a short message.
    let missing = client
        .get(d.url("/feeds/topics/sport.rss"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing
        .text()
        .await
        .unwrap()
        .starts_with("unknown topic; configured: dialogue"));
    assert_eq!(
        client
            .get(d.url("/feeds/all.xml"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    // A failing source shows in the metrics, on the status page and in `tributary sources`,
    // which asks the daemon because the daemon holds the store.
    let listening = d.base.trim_start_matches("http://").trim_end_matches('/');
    let cli = s
        .cmd()
        .args(["sources", "--json", "--listen", listening])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&cli.stderr);
    assert!(cli.status.success(), "{said}");
    assert!(
        said.contains("(from the running daemon at http://"),
        "{said}"
    );
    let health: Vec<Value> = String::from_utf8(cli.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let broken = health.iter().find(|h| h["id"] == "broken").unwrap();
    assert!(
        broken["health"].as_str().unwrap().starts_with("failing"),
        "{broken}"
    );
    assert_eq!(broken["state"]["last_error"], "HTTP 500");
    assert_eq!(
        health.iter().find(|h| h["id"] == "partner").unwrap()["health"],
        "ok"
    );
    // Another config, whose store is not there yet, is not answered by this daemon.
    let other = setup(&[common::src("elsewhere", "feed.xml".into())], "");
    let cli = other
        .cmd()
        .args(["sources", "--json", "--listen", listening])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&cli.stderr);
    assert_eq!(cli.status.code(), Some(1), "{said}");
    assert!(said.contains("no store at"), "{said}");
    assert!(
        said.contains("serves none of this config's sources"),
        "{said}"
    );
    assert!(cli.stdout.is_empty());

    // Metrics and the status page.
    let metrics = body_text(&client, &d.url("/metrics")).await;
    assert!(
        metrics.contains("tributary_fetches_total{source=\"partner\",outcome=\"ok\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("tributary_items_stored 3"), "{metrics}");
    assert!(
        metrics.contains("tributary_source_up{source=\"partner\"} 1"),
        "{metrics}"
    );
    // The failing source, after its first (and only) poll so far.
    for line in [
        "tributary_source_up{source=\"broken\"} 0",
        "tributary_source_consecutive_errors{source=\"broken\"} 1",
        "tributary_fetches_total{source=\"broken\",outcome=\"error\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} missing in {metrics}");
    }
    let page = body_text(&client, &d.url("/")).await;
    assert!(
        page.contains("Partner portal") && page.contains("rel=\"alternate\""),
        "{page}"
    );
    assert!(
        page.contains("<td class=\"failing\">failing (1)</td>") && page.contains("HTTP 500"),
        "{page}"
    );

    // SIGHUP with a broken config: logged, and the daemon keeps serving the old one.
    std::fs::write(
        &s.config,
        with_source.replace("interval = \"10s\"", "interval = \"soon\""),
    )
    .unwrap();
    d.signal("HUP");
    eventually(
        "the reload error in the log",
        Duration::from_secs(10),
        || {
            let log = d.log();
            async move { log.contains("config reload failed") }
        },
    )
    .await;
    assert!(d.log().contains("sources[0].interval"));
    assert_eq!(
        client
            .get(d.url("/feeds/all.rss"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let m = body_text(&client, &d.url("/metrics")).await;
    assert!(
        m.contains("tributary_config_last_reload_successful 0"),
        "a failed reload shows: {m}"
    );
    // The status page says so too, without the config's text.
    let page = body_text(&client, &d.url("/")).await;
    assert!(
        page.contains("failed: the daemon runs on the config it had before"),
        "{page}"
    );
    assert!(!page.contains("soon"), "{page}");

    // SIGHUP with a good config that adds a source: its feed appears.
    server.feed("second.xml", feed(1), "application/rss+xml");
    let two = format!(
        "{with_source}\n[[sources]]\nid = \"second\"\ntitle = \"Second\"\nurl = \"{}\"\nkind = \"organization\"\ninterval = \"10s\"\n",
        server.url("second.xml")
    );
    std::fs::write(&s.config, two).unwrap();
    d.signal("HUP");
    eventually("the new source's feed", Duration::from_secs(30), || async {
        client
            .get(d.url("/feeds/sources/second.rss"))
            .send()
            .await
            .map(|r| r.status() == 200)
            .unwrap_or(false)
    })
    .await;
    let m = body_text(&client, &d.url("/metrics")).await;
    assert!(
        m.contains("tributary_config_last_reload_successful 1"),
        "a good reload clears it: {m}"
    );
    let page = body_text(&client, &d.url("/")).await;
    assert!(!page.contains("config reload of"), "{page}");

    // SIGHUP with a config that drops a source: it is polled no more, while the others go on.
    // The second source's polls, ten seconds apart, are the clock: from its second poll after
    // the reload (a poll of the dropped one begun before it is over by then) to its third,
    // the dropped one, on the same interval, would be polled at least once.
    let without_partner = sources_without(&std::fs::read_to_string(&s.config).unwrap(), "partner");
    std::fs::write(&s.config, without_partner).unwrap();
    let second_before = server.hits("second.xml").requests;
    d.signal("HUP");
    eventually(
        "the reload that drops a source",
        Duration::from_secs(30),
        || {
            let log = d.log();
            async move { log.matches("config reloaded").count() >= 2 }
        },
    )
    .await;
    let polled = |n: usize| server.hits("second.xml").requests >= second_before + n;
    eventually(
        "two more polls of the second source",
        Duration::from_secs(60),
        || async { polled(2) },
    )
    .await;
    let partner_after_reload = server.hits("partner.xml").requests;
    eventually(
        "a third poll of the second source",
        Duration::from_secs(60),
        || async { polled(3) },
    )
    .await;
    assert_eq!(server.hits("partner.xml").requests, partner_after_reload);

    // SIGTERM: exits 0.
    let mut d = d;
    d.signal("TERM");
    let status = d.child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{}", d.log());
}

/// `config` without the `[[sources]]` table of `id` (the tables are the file's last).
fn sources_without(config: &str, id: &str) -> String {
    let mut parts = config.split("\n[[sources]]\n");
    let head = parts.next().unwrap().to_string();
    parts
        .filter(|t| !t.starts_with(&format!("id = \"{id}\"")))
        .fold(head, |acc, t| format!("{acc}\n[[sources]]\n{t}"))
}

/// A failing source is backing off. An operator who pauses it and enables it again once its
/// site is mended, or who mends its request (here a key header), has it fetched at the
/// reload, not when a backoff earned before runs out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_that_enables_or_mends_a_failing_source_fetches_it_despite_its_backoff() {
    let server = FeedServer::start();
    let down = Route::Status {
        code: 503,
        headers: vec![],
        body: b"down".to_vec(),
    };
    server.route("paused.xml", down);
    server.route(
        "keyed.xml",
        Route::Guarded {
            header: "x-api-key".into(),
            value: "right".into(),
            body: feed(2).into_bytes(),
        },
    );
    let s = setup(&[], "[server]\nlisten = \"127.0.0.1:0\"\n");
    let text = std::fs::read_to_string(&s.config).unwrap();
    let config = format!(
        "{text}\n[fetch]\nbackoff_base = \"1h\"\n\n[[sources]]\nid = \"paused\"\ntitle = \"Paused\"\nurl = \"{}\"\nkind = \"partner\"\ninterval = \"1h\"\n\n[[sources]]\nid = \"keyed\"\ntitle = \"Keyed\"\nurl = \"{}\"\nkind = \"partner\"\ninterval = \"1h\"\nheaders = {{ X-Api-Key = \"wrong\" }}\n",
        server.url("paused.xml"),
        server.url("keyed.xml")
    );
    std::fs::write(&s.config, &config).unwrap();
    let d = Daemon::start(&s);
    let client = reqwest::Client::new();
    ready(&d, &client).await;
    let health = |id: &'static str| {
        let client = client.clone();
        let url = d.url("/sources.json");
        async move {
            let all = json(&client, &url).await;
            let one = all
                .as_array()
                .unwrap()
                .iter()
                .find(|h| h["id"] == id)
                .cloned();
            one.unwrap()["health"].as_str().unwrap().to_string()
        }
    };
    assert!(health("paused").await.starts_with("failing"));
    assert!(health("keyed").await.starts_with("failing"));

    // Paused while failing; the site is mended meanwhile.
    let paused = config.replace(
        "interval = \"1h\"\n\n[[sources]]\nid = \"keyed\"",
        "interval = \"1h\"\nenabled = false\n\n[[sources]]\nid = \"keyed\"",
    );
    assert_ne!(paused, config);
    std::fs::write(&s.config, &paused).unwrap();
    d.signal("HUP");
    eventually("the pause to be taken", Duration::from_secs(30), || async {
        health("paused").await == "disabled"
    })
    .await;
    server.feed("paused.xml", feed(3), "application/rss+xml");
    // Enabled again, and the key mended, in one reload: both are fetched at once.
    std::fs::write(&s.config, config.replace("\"wrong\"", "\"right\"")).unwrap();
    d.signal("HUP");
    eventually(
        "both sources to be fetched",
        Duration::from_secs(30),
        || async { health("paused").await == "ok" && health("keyed").await == "ok" },
    )
    .await;
    assert_eq!(server.hits("paused.xml").requests, 2);
    assert_eq!(server.hits("keyed.xml").requests, 2);
    // The log tells the end of the failures, as it told them.
    eventually("the recoveries in the log", Duration::from_secs(10), || {
        let log = d.log();
        async move {
            log.lines()
                .filter(|l| l.contains("recovered: fetched again after failures"))
                .count()
                == 2
        }
    })
    .await;
    let mut d = d;
    d.signal("TERM");
    assert_eq!(d.child.wait().unwrap().code(), Some(0), "{}", d.log());
}

/// `enabled = false` pauses a source: no poll in the first cycle or on its schedule, its health
/// and gauge say so, and a reload that enables it fetches it at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_source_is_not_polled_until_a_reload_enables_it() {
    let server = FeedServer::start();
    server.feed("on.xml", feed(1), "application/rss+xml");
    server.feed("off.xml", feed(2), "application/rss+xml");
    let s = setup(&[], "[server]\nlisten = \"127.0.0.1:0\"\n");
    let text = std::fs::read_to_string(&s.config).unwrap();
    let config = format!(
        "{text}\n[[sources]]\nid = \"on\"\ntitle = \"On\"\nurl = \"{}\"\nkind = \"partner\"\ninterval = \"1h\"\n\n[[sources]]\nid = \"off\"\ntitle = \"Off\"\nurl = \"{}\"\nkind = \"partner\"\ninterval = \"1h\"\nenabled = false\n",
        server.url("on.xml"),
        server.url("off.xml")
    );
    std::fs::write(&s.config, &config).unwrap();
    let d = Daemon::start(&s);
    let client = reqwest::Client::new();
    ready(&d, &client).await;
    // Listening on port 0: the feeds' self links name the port the system gave.
    let atom = body_text(&client, &d.url("/feeds/all.atom")).await;
    let own = format!("href=\"{}\"", d.url("/feeds/all.atom"));
    assert!(
        atom.contains(&own) && !atom.contains(":0/"),
        "{own} in {atom}"
    );
    assert_eq!(server.hits("on.xml").requests, 1);
    assert_eq!(
        server.hits("off.xml").requests,
        0,
        "a disabled source was polled"
    );
    let health = json(&client, &d.url("/sources.json")).await;
    let off = health
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == "off")
        .unwrap();
    assert_eq!(off["health"], "disabled", "{health}");
    assert_eq!(off["enabled"], false, "{health}");
    let metrics = body_text(&client, &d.url("/metrics")).await;
    assert!(
        metrics.contains("tributary_source_enabled{source=\"off\"} 0")
            && metrics.contains("tributary_source_enabled{source=\"on\"} 1"),
        "{metrics}"
    );
    // A paused source, never fetched, is not down: an alert on `source_up == 0` stays quiet.
    assert!(
        metrics.contains("tributary_source_up{source=\"on\"} 1")
            && !metrics.contains("tributary_source_up{source=\"off\"}"),
        "{metrics}"
    );

    std::fs::write(&s.config, config.replace("enabled = false\n", "")).unwrap();
    d.signal("HUP");
    eventually(
        "the enabled source's poll",
        Duration::from_secs(30),
        || async { server.hits("off.xml").requests == 1 },
    )
    .await;
    assert_eq!(
        server.hits("on.xml").requests,
        1,
        "only the enabled source is fetched at once"
    );

    // A reload that removes a source takes its series out of /metrics (an alert on it must
    // not keep firing).
    let without_on = config
        .replace("enabled = false\n", "")
        .replace(
            &format!(
                "[[sources]]\nid = \"on\"\ntitle = \"On\"\nurl = \"{}\"\nkind = \"partner\"\ninterval = \"1h\"\n",
                server.url("on.xml")
            ),
            "",
        );
    assert_ne!(without_on, config.replace("enabled = false\n", ""));
    std::fs::write(&s.config, &without_on).unwrap();
    d.signal("HUP");
    eventually(
        "the removed source's series to go",
        Duration::from_secs(30),
        || async {
            let metrics = body_text(&client, &d.url("/metrics")).await;
            !metrics.contains("source=\"on\"")
                && metrics.contains("tributary_source_enabled{source=\"off\"} 1")
                && metrics.contains("tributary_source_up{source=\"off\"} 1")
        },
    )
    .await;

    // A reload that gives a source another URL fetches it there at once.
    server.feed("moved.xml", feed(3), "application/rss+xml");
    std::fs::write(&s.config, without_on.replace("off.xml", "moved.xml")).unwrap();
    d.signal("HUP");
    eventually(
        "the moved source's poll",
        Duration::from_secs(30),
        || async { server.hits("moved.xml").requests == 1 },
    )
    .await;
}

/// A reload starts the schedule afresh, but a source keeps its rhythm: reloads one after the
/// other, each sooner than the source's interval, still let it be fetched when its interval
/// since its last fetch is up (before, every reload put its next fetch a whole interval away).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reloads_more_often_than_an_interval_do_not_starve_a_source() {
    let server = FeedServer::start();
    server.feed("p.xml", feed(1), "application/rss+xml");
    let s = setup(&[], "[server]\nlisten = \"127.0.0.1:0\"\n");
    let text = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(
        &s.config,
        format!(
            "{text}\n[[sources]]\nid = \"p\"\ntitle = \"P\"\nurl = \"{}\"\nkind = \"partner\"\ninterval = \"10s\"\n",
            server.url("p.xml")
        ),
    )
    .unwrap();
    let d = Daemon::start(&s);
    let client = reqwest::Client::new();
    ready(&d, &client).await;
    assert_eq!(server.hits("p.xml").requests, 1);
    // Reload after reload, each once the previous one is done, until the source is fetched
    // again (about 10 s after the first fetch) or 60 s have passed.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut reloads = 0;
    while server.hits("p.xml").requests < 2 {
        assert!(
            Instant::now() < deadline,
            "not fetched again in 60 s of {reloads} reloads"
        );
        d.signal("HUP");
        reloads += 1;
        eventually("the reload", Duration::from_secs(20), || async {
            d.log().matches("config reloaded").count() >= reloads
        })
        .await;
    }
    // The reloads came within the interval (more than one, so one was after the first fetch
    // had set the source's rhythm).
    assert!(reloads >= 2, "only {reloads} reloads");
}

/// tokio-cron-scheduler hands due jobs to its runner over a bounded channel, and a runner
/// that falls behind skips what it missed: with hundreds of sources due on the same tick, some
/// went unpolled that round. Every source is polled on schedule, and the scheduler never
/// reports falling behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_sources_due_on_the_same_tick_are_all_polled() {
    const SOURCES: usize = 600;
    let server = FeedServer::start();
    let mut text = String::from("[fetch]\nconcurrency = 64\nper_host_concurrency = 64\n");
    for i in 0..SOURCES {
        let path = format!("s{i}.xml");
        server.feed(&path, feed(1), "application/rss+xml");
        text.push_str(&format!(
            "\n[[sources]]\nid = \"s{i}\"\ntitle = \"Source {i}\"\nurl = \"{}\"\nkind = \"partner\"\ncron = \"*/10 * * * * *\"\n",
            server.url(&path)
        ));
    }
    let s = setup(&[], "[server]\nlisten = \"127.0.0.1:0\"\n");
    let config = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(&s.config, format!("{text}{config}")).unwrap();
    let d = Daemon::start_with(
        &s,
        &[("RUST_LOG", "tributary=info,tokio_cron_scheduler=error")],
    );
    let unpolled = || {
        (0..SOURCES)
            .filter(|i| server.hits(&format!("s{i}.xml")).requests < 2)
            .count()
    };
    eventually(
        "a scheduled poll of every source",
        Duration::from_secs(180),
        || async { unpolled() == 0 },
    )
    .await;
    let log = d.log();
    assert!(!log.contains("Lagged"), "the scheduler fell behind:\n{log}");
}

const TOKEN: &str = "3f9c2a7e-admin-token-for-tests";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_fetch_needs_the_token_and_fetches_through_the_daemon() {
    let server = FeedServer::start();
    server.feed("partner.xml", feed(2), "application/rss+xml");
    let s = setup(
        &[],
        "[server]\nlisten = \"127.0.0.1:0\"\nheader_timeout = \"1s\"\n",
    );
    let text = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(
        &s.config,
        format!(
            "{text}\n[[sources]]\nid = \"partner\"\ntitle = \"Partner\"\nurl = \"{}\"\nkind = \"partner\"\ninterval = \"12h\"\n",
            server.url("partner.xml")
        ),
    )
    .unwrap();
    let d = Daemon::start_with(&s, &[("TRIBUTARY_ADMIN_TOKEN", TOKEN)]);
    // One connection per request, so the test never holds idle keep-alive connections.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    ready(&d, &client).await;
    assert_eq!(server.hits("partner.xml").requests, 1);
    server.feed("partner.xml", feed(3), "application/rss+xml");

    // Without the token, with a wrong one, or by GET: nothing happens.
    let none = client.post(d.url("/admin/fetch")).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert!(none.headers().contains_key("www-authenticate"));
    let wrong = client
        .post(d.url("/admin/fetch"))
        .bearer_auth("3f9c2a7e-admin-token-for-test")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let get = client
        .get(d.url("/admin/fetch"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 405);
    let unknown = client
        .post(d.url("/admin/fetch?source=nobody"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(server.hits("partner.xml").requests, 1);

    // With it, the source is fetched now (its schedule says in 12 hours) and the new item served.
    let queued = client
        .post(d.url("/admin/fetch?source=partner"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(queued.status(), 202);
    let body: Value = serde_json::from_slice(&queued.bytes().await.unwrap()).unwrap();
    assert_eq!(body["queued"], serde_json::json!(["partner"]));
    eventually("the requested fetch", Duration::from_secs(20), || async {
        server.hits("partner.xml").requests == 2
    })
    .await;
    eventually("the fetched item", Duration::from_secs(20), || async {
        json(&client, &d.url("/feeds/all.json")).await["items"]
            .as_array()
            .unwrap()
            .len()
            == 3
    })
    .await;

    // POST /admin/reload is a SIGHUP: a source added to the config is fetched and served.
    server.feed("second.xml", feed(1), "application/rss+xml");
    let text = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(
        &s.config,
        format!(
            "{text}\n[[sources]]\nid = \"second\"\ntitle = \"Second\"\nurl = \"{}\"\nkind = \"partner\"\ninterval = \"12h\"\n",
            server.url("second.xml")
        ),
    )
    .unwrap();
    let reload = client
        .post(d.url("/admin/reload"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    // Answered once the daemon runs on it.
    assert_eq!(reload.status(), 200);
    let body: Value = serde_json::from_slice(&reload.bytes().await.unwrap()).unwrap();
    assert_eq!(body["reloaded"], true);
    assert_eq!(body["sources"], 2);
    eventually(
        "the added source's feed",
        Duration::from_secs(20),
        || async {
            client
                .get(d.url("/feeds/sources/second.rss"))
                .send()
                .await
                .map(|r| r.status() == 200)
                .unwrap_or(false)
        },
    )
    .await;
    assert!(
        d.log().contains("reload requested over HTTP"),
        "{}",
        d.log()
    );

    // A config that does not read is refused with where and why; the daemon keeps the one
    // before.
    let good = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(&s.config, format!("{good}\n[[sources]]\nid = 7\n")).unwrap();
    let refused = client
        .post(d.url("/admin/reload"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let body: Value = serde_json::from_slice(&refused.bytes().await.unwrap()).unwrap();
    assert_eq!(body["reloaded"], false);
    let why = body["error"].as_str().unwrap();
    let line = good.lines().count() + 3;
    assert!(why.contains(&format!("tributary.toml:{line}:")), "{why}");
    assert!(why.contains("id"), "{why}");
    let feed = client
        .get(d.url("/feeds/sources/second.rss"))
        .send()
        .await
        .unwrap();
    assert_eq!(feed.status(), 200);
    // A URL the refusal quotes is quoted without its password, in the answer and the log.
    std::fs::write(
        &s.config,
        format!("{good}\n[[sources]]\nid = \"pw\"\ntitle = \"P\"\nurl = \"https://user:PASSW0RD@example.org:99999/feed\"\nkind = \"partner\"\n"),
    )
    .unwrap();
    let refused = client
        .post(d.url("/admin/reload"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let why = String::from_utf8(refused.bytes().await.unwrap().to_vec()).unwrap();
    assert!(
        why.contains("invalid URL \\\"https://user:hidden@example.org:99999/feed\\\""),
        "{why}"
    );
    // Logged before the answer.
    let log = d.log();
    assert!(
        log.contains("https://user:hidden@example.org:99999/feed"),
        "{log}"
    );
    for said in [why, log] {
        assert!(!said.contains("PASSW0RD"), "{said}");
    }
    std::fs::write(&s.config, good).unwrap();

    // Security headers over the wire.
    let page = client.get(d.url("/")).send().await.unwrap();
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert!(page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .starts_with("default-src 'none'"));
    let feed = client.get(d.url("/feeds/all.rss")).send().await.unwrap();
    assert_eq!(feed.headers()["x-content-type-options"], "nosniff");

    // A client that never finishes its headers is cut by the server (header_timeout = 1s);
    // so is one that sends nothing.
    let addr = d.base.trim_start_matches("http://").trim_end_matches('/');
    for partial in [&b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "[..], b""] {
        let mut conn = std::net::TcpStream::connect(addr).unwrap();
        // A safety net for a broken server, not a synchronization: the server closes first.
        conn.set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        std::io::Write::write_all(&mut conn, partial).unwrap();
        let mut got = Vec::new();
        match std::io::Read::read_to_end(&mut conn, &mut got) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            Err(e) => panic!("the server did not close the connection: {e}"),
        }
        let got = String::from_utf8_lossy(&got);
        assert!(!got.contains(" 200 "), "{got}");
    }
    // The daemon still serves.
    let health = client.get(d.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);

    let mut d = d;
    d.signal("TERM");
    let status = d.child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{}", d.log());
}

/// A daemon that cannot listen says so, with what to do, and leaves no new store behind.
#[test]
fn a_daemon_whose_address_is_taken_leaves_no_store() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let s = setup(&[], &format!("[server]\nlisten = \"{addr}\"\n"));
    let out = s.cmd().arg("run").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("cannot listen on {addr}")), "{err}");
    assert!(err.contains("--listen"), "{err}");
    assert!(!s.dir.path().join("data").exists());
}

#[test]
fn a_short_admin_token_is_refused_at_start_and_by_check() {
    let s = setup(&[], "[server]\nlisten = \"127.0.0.1:0\"\n");
    for command in ["run", "check"] {
        let out = s
            .cmd()
            .arg(command)
            .env("TRIBUTARY_ADMIN_TOKEN", "secret")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{command}: a configuration error"
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("TRIBUTARY_ADMIN_TOKEN"), "{command}: {err}");
    }
    let long = "a-token-long-enough-for-the-admin-routes-0123456789";
    let out = s
        .cmd()
        .arg("check")
        .env("TRIBUTARY_ADMIN_TOKEN", long)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A restart does not fetch again a source polled on an interval that was fetched less than
/// half of it before (a deploy, a crash loop would poll every source at every start); one on
/// a cron schedule, never fetched, or given a new url, is fetched at start as before.
#[tokio::test]
async fn a_restart_does_not_poll_again_what_was_just_polled() {
    let server = FeedServer::start();
    server.feed("hourly.xml", feed(2), "application/rss+xml");
    server.feed("daily.xml", feed(1), "application/rss+xml");
    let s = setup(&[], "[server]\nlisten = \"127.0.0.1:0\"\n");
    let text = std::fs::read_to_string(&s.config).unwrap();
    server.feed("moving-old.xml", feed(1), "application/rss+xml");
    server.feed("moving-new.xml", feed(1), "application/rss+xml");
    let with = |moving: &str, extra: &str| {
        format!(
            "{text}\n[[sources]]\nid = \"hourly\"\ntitle = \"Hourly\"\nurl = \"{}\"\nkind = \"partner\"\ninterval = \"1h\"\n\n[[sources]]\nid = \"daily\"\ntitle = \"Daily\"\nurl = \"{}\"\nkind = \"partner\"\ncron = \"0 6 29 2 *\"\n\n[[sources]]\nid = \"moving\"\ntitle = \"Moving\"\nurl = \"{}\"\nkind = \"partner\"\ninterval = \"1h\"\n{extra}",
            server.url("hourly.xml"),
            server.url("daily.xml"),
            server.url(moving)
        )
    };
    std::fs::write(&s.config, with("moving-old.xml", "")).unwrap();
    let client = reqwest::Client::new();
    {
        let mut d = Daemon::start(&s);
        ready(&d, &client).await;
        assert_eq!(server.hits("hourly.xml").requests, 1);
        assert_eq!(server.hits("daily.xml").requests, 1);
        d.signal("TERM");
        assert_eq!(d.child.wait().unwrap().code(), Some(0), "{}", d.log());
    }
    // Started again at once, with a source added meanwhile and another given a new url.
    server.feed("new.xml", feed(1), "application/rss+xml");
    std::fs::write(
        &s.config,
        with("moving-new.xml", &format!(
            "\n[[sources]]\nid = \"new\"\ntitle = \"New\"\nurl = \"{}\"\nkind = \"partner\"\ninterval = \"1h\"\n",
            server.url("new.xml")
        )),
    )
    .unwrap();
    let d = Daemon::start(&s);
    ready(&d, &client).await;
    assert_eq!(
        server.hits("hourly.xml").requests,
        1,
        "polled again at start"
    );
    assert_eq!(server.hits("daily.xml").requests, 2);
    assert_eq!(server.hits("new.xml").requests, 1);
    assert_eq!(server.hits("moving-new.xml").requests, 1, "its new url");
    // Its stories are still served.
    let all = json(&client, &d.url("/feeds/sources/hourly.json")).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2, "{all}");
}

/// A daemon killed (SIGKILL: an OOM kill, a crash loop) once its first cycle is done has its
/// sources' states on disk: the next start does not poll them again.
#[tokio::test]
async fn a_daemon_killed_after_its_first_cycle_keeps_what_it_polled() {
    let server = FeedServer::start();
    server.feed("hourly.xml", feed(2), "application/rss+xml");
    let s = setup(
        &[src("hourly", server.url("hourly.xml"))],
        "[server]\nlisten = \"127.0.0.1:0\"\n",
    );
    let client = reqwest::Client::new();
    {
        let mut d = Daemon::start(&s);
        ready(&d, &client).await;
        assert_eq!(server.hits("hourly.xml").requests, 1);
        d.signal("KILL");
        d.child.wait().unwrap();
    }
    let health = s.health();
    assert!(
        health["hourly"]["state"]["last_attempt"].is_string(),
        "{health:?}"
    );
    let d = Daemon::start(&s);
    ready(&d, &client).await;
    assert_eq!(
        server.hits("hourly.xml").requests,
        1,
        "polled again at start"
    );
}

#[test]
fn sigterm_while_starting_or_with_a_closed_log_pipe_still_stops_cleanly() {
    let s = setup(&[], "[server]\nlisten = \"127.0.0.1:0\"\n");
    let spawn = || {
        s.std_cmd()
            .arg("run")
            .env("RUST_LOG", "tributary=info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let term = |child: &Child| {
        let ok = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
    };

    // SIGTERM as soon as it says where it serves (signal handlers are installed before that).
    let mut child = spawn();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("serving on"), "{first}");
    term(&child);
    assert_eq!(child.wait().unwrap().code(), Some(0));

    // Its log pipe closed (a log collector went away): shutdown logging must not panic.
    let mut child = spawn();
    let mut log = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("first fetch cycle done") {
        line.clear();
        assert!(log.read_line(&mut line).unwrap() > 0, "the daemon stopped");
    }
    drop(log);
    term(&child);
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_download_does_not_hold_up_a_stop_and_is_not_counted_against_its_source() {
    let server = FeedServer::start();
    server.route("stuck.xml", Route::Trickle);
    let s = setup(
        &[common::src("stuck", server.url("stuck.xml"))],
        "[server]\nlisten = \"127.0.0.1:0\"\n[fetch]\ntimeout = \"120s\"\n",
    );
    let mut d = Daemon::start(&s);
    eventually(
        "the stuck fetch to start",
        Duration::from_secs(20),
        || async { server.hits("stuck.xml").requests > 0 },
    )
    .await;
    // One SIGTERM: the download ends at once (nothing of it could be stored), with no wait
    // for the grace period and no second signal.
    d.signal("TERM");
    let status = d.child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let log = d.log();
    assert!(!log.contains("still running after"), "{log}");
    assert!(!log.contains("second SIGTERM"), "{log}");
    assert!(log.contains("stopped"), "{log}");
    // The source was not tried, as far as its health goes.
    let out = s.cmd().args(["sources", "--json"]).output().unwrap();
    let state: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(state["health"], "never fetched", "{state}");
}

#[test]
fn the_daemon_raises_its_open_files_limit_to_the_hard_one() {
    let s = setup(&[], "[server]\nlisten = \"127.0.0.1:0\"\n");
    // A service's usual soft limit is 1024; this one starts lower still.
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -Sn 256 && exec \"$0\" --config \"$1\" run")
        .arg(assert_cmd::cargo::cargo_bin("tributary"))
        .arg(&s.config)
        .env_remove("TRIBUTARY_ADMIN_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("serving on"), "{first}");
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id())).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let open_files: Vec<&str> = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap()
        .split_whitespace()
        .skip(3)
        .take(2)
        .collect();
    assert_eq!(open_files[0], open_files[1], "{limits}");
}

/// A fetch asked for while the source is being fetched (an admin's, here while the server
/// holds its answer until the test lets it go) is made once that fetch ends, not dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fetch_asked_for_during_a_running_one_follows_it() {
    let server = FeedServer::start();
    let open = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    server.route(
        "slow.xml",
        Route::Gated {
            body: feed(1).into_bytes(),
            open: open.clone(),
        },
    );
    let s = setup(&[], "[server]\nlisten = \"127.0.0.1:0\"\n");
    let text = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(
        &s.config,
        format!(
            "{text}\n[[sources]]\nid = \"slow\"\ntitle = \"Slow\"\nurl = \"{}\"\nkind = \"partner\"\ninterval = \"12h\"\n",
            server.url("slow.xml")
        ),
    )
    .unwrap();
    let d = Daemon::start_with(&s, &[("TRIBUTARY_ADMIN_TOKEN", TOKEN)]);
    let client = reqwest::Client::new();
    eventually(
        "the first fetch to start",
        Duration::from_secs(20),
        || async { server.hits("slow.xml").requests == 1 },
    )
    .await;
    let asked = client
        .post(d.url("/admin/fetch?source=slow&force=true"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), 202);
    // The first fetch is still held: the one asked for waits for it.
    assert_eq!(server.hits("slow.xml").requests, 1);
    open.store(true, std::sync::atomic::Ordering::SeqCst);
    eventually(
        "the fetch asked for, after the running one",
        Duration::from_secs(30),
        || async { server.hits("slow.xml").requests == 2 },
    )
    .await;
}

/// A fetch cut short by SIGTERM is said at info, as no failure of its source: a restart
/// leaves no warning for log-based alerts to read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fetch_cut_short_by_a_stop_is_no_warning() {
    let server = FeedServer::start();
    let open = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    server.route(
        "held.xml",
        Route::Gated {
            body: feed(1).into_bytes(),
            open: open.clone(),
        },
    );
    let s = setup(
        &[common::src("held", server.url("held.xml"))],
        "[server]\nlisten = \"127.0.0.1:0\"\n",
    );
    let mut d = Daemon::start(&s);
    eventually("the fetch to start", Duration::from_secs(20), || async {
        server.hits("held.xml").requests == 1
    })
    .await;
    d.signal("TERM");
    assert_eq!(d.child.wait().unwrap().code(), Some(0), "{}", d.log());
    open.store(true, std::sync::atomic::Ordering::SeqCst);
    let log = d.log();
    let said: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("not fetched: stopping"))
        .collect();
    assert_eq!(said.len(), 1, "{log}");
    assert!(said[0].contains("INFO"), "{log}");
    assert!(!log.contains("WARN"), "{log}");
}

/// A client that has asked for more than it reads keeps its connection open through the
/// server's drain (up to 30 s); a second SIGTERM closes it at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sigterm_closes_connections_the_drain_would_wait_for() {
    use std::io::{Read as _, Write as _};
    let server = FeedServer::start();
    // Stories so long that one answer is more than the sockets between client and server can
    // hold (Linux lets a send buffer grow to 4 MiB): the server is part way through it for as
    // long as the client does not read.
    let mut body = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Partner</title><link>https://partner.example/</link>"#,
    );
    for i in 0..50 {
        body.push_str(&format!(
            "<item><title>Story {i}</title><link>https://partner.example/{i}</link><guid>g{i}</guid>\
             <description>{}</description></item>",
            "Sastanak u Briselu o sporazumu o tablicama. ".repeat(2600)
        ));
    }
    body.push_str("</channel></rss>");
    server.feed("big.xml", body, "application/rss+xml");
    let s = setup(
        &[common::src("big", server.url("big.xml"))],
        "[server]\nlisten = \"127.0.0.1:0\"\nsend_timeout = \"10m\"\n",
    );
    let mut d = Daemon::start(&s);
    let client = reqwest::Client::new();
    ready(&d, &client).await;
    let feed = client
        .get(d.url("/feeds/all.rss"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(feed.len() > 5 << 20, "{}", feed.len());

    // One request through a small window, its answer read only as far as its first bytes.
    let addr: std::net::SocketAddr = d
        .base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&addr.into()).unwrap();
    let mut stream: std::net::TcpStream = socket.into();
    stream
        .write_all(b"GET /feeds/all.rss HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let mut start = [0u8; 12];
    stream.read_exact(&mut start).unwrap();
    assert_eq!(&start, b"HTTP/1.1 200");

    d.signal("TERM");
    eventually(
        "the drain to wait for the open connection",
        Duration::from_secs(20),
        || async { d.log().contains("waiting for open connections") },
    )
    .await;
    d.signal("TERM");
    let status = d.child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let log = d.log();
    assert!(log.contains("second SIGTERM"), "{log}");
    assert!(!log.contains("connections still open after"), "{log}");
    assert!(log.contains("stopped"), "{log}");
    drop(stream);
}

/// A local source whose read blocks (a FIFO nobody writes, as a hung network mount) fails at
/// `[fetch] timeout` as a server that never answers does: the first fetch cycle ends, so
/// `/readyz` says `ready`, the source says why it failed, and a stop does not wait for the
/// read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_file_that_never_finishes_does_not_hold_up_the_first_cycle() {
    let s = setup(
        &[common::src("stuck", "stuck.xml".into())],
        "[server]\nlisten = \"127.0.0.1:0\"\n[fetch]\ntimeout = \"1s\"\n",
    );
    let made = Command::new("mkfifo")
        .arg(s.dir.path().join("stuck.xml"))
        .status()
        .unwrap();
    assert!(made.success());
    let mut d = Daemon::start(&s);
    let client = reqwest::Client::new();
    ready(&d, &client).await;
    let sources = json(&client, &d.url("/sources.json")).await;
    let stuck = &sources[0];
    assert_eq!(stuck["id"], "stuck", "{sources}");
    let error = stuck["state"]["last_error"].as_str().unwrap_or_default();
    assert!(error.starts_with("timed out reading "), "{stuck}");
    assert!(error.ends_with("stuck.xml after 1s"), "{stuck}");
    d.signal("TERM");
    assert_eq!(d.child.wait().unwrap().code(), Some(0), "{}", d.log());
    let log = d.log();
    assert!(!log.contains("still running after"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
}
