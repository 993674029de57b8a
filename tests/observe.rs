//! Observability from the outside: the per-fetch span in JSON and pretty logs, and the
//! shipped Prometheus alert rules against a running daemon's /metrics.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{setup, src, FeedServer, Route};
use serde_json::Value;

const FEED: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>P</title><link>https://p.example/</link><item><title>First story of the partner</title><link>https://p.example/1</link><guid>1</guid><pubDate>Tue, 04 Feb 2020 10:00:00 GMT</pubDate></item><item><title>Second story of the partner</title><link>https://p.example/2</link><guid>2</guid><pubDate>Wed, 05 Feb 2020 10:00:00 GMT</pubDate></item></channel></rss>"#;

fn two_sources(server: &FeedServer) -> common::Setup {
    server.feed("good.xml", FEED, "application/rss+xml");
    server.route(
        "down.xml",
        Route::Status {
            code: 500,
            headers: vec![],
            body: b"down".to_vec(),
        },
    );
    setup(
        &[
            src("good", server.url("good.xml")),
            src("down", server.url("down.xml")),
        ],
        "",
    )
}

#[test]
fn each_fetch_logs_a_span_with_source_status_bytes_new_items_and_duration() {
    let server = FeedServer::start();
    let s = two_sources(&server);
    let out = s
        .cmd()
        .args(["--log-format", "json", "fetch"])
        .env("RUST_LOG", "tributary=info")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "one of two sources failed");
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let of = |source: &str| {
        lines
            .iter()
            .find(|l| l["span"]["name"] == "fetch" && l["span"]["source"] == source)
            .unwrap_or_else(|| panic!("no fetch span for {source} in {stderr}"))
    };
    let good = of("good");
    assert_eq!(good["level"], "INFO");
    assert_eq!(good["fields"]["message"], "fetched");
    assert_eq!(good["span"]["status"], "ok");
    assert_eq!(good["span"]["bytes"], FEED.len());
    assert_eq!(good["span"]["new_items"], 2);
    assert!(good["span"]["duration_ms"].is_u64(), "{good}");
    let down = of("down");
    assert_eq!(down["level"], "WARN");
    assert_eq!(down["span"]["status"], "error");
    assert_eq!(down["span"]["new_items"], 0);
    assert!(down["span"]["duration_ms"].is_u64(), "{down}");
    assert!(
        down["fields"]["error"].as_str().unwrap().contains("500"),
        "{down}"
    );

    // The pretty log of a forced fetch, to a pipe, at `level`.
    let pretty_fetch = |level: &str| {
        let out = s
            .cmd()
            .args(["fetch", "--force"])
            .env("RUST_LOG", format!("tributary={level}"))
            .output()
            .unwrap();
        String::from_utf8(out.stderr).unwrap()
    };

    // A source with nothing new logs its fetch at debug: at info a pass over unchanged
    // sources is quiet.
    let stderr = pretty_fetch("info");
    assert!(!stderr.contains("fetch{source=good "), "{stderr}");
    assert!(
        stderr.contains("fetch{source=down "),
        "failures still show: {stderr}"
    );

    // Pretty, to a pipe: the same fields, no colour codes.
    let stderr = pretty_fetch("debug");
    assert!(!stderr.contains('\u{1b}'), "ANSI codes in a pipe: {stderr}");
    let good = stderr
        .lines()
        .find(|l| l.contains("fetch{source=good ") && l.contains("fetched"))
        .unwrap_or_else(|| panic!("{stderr}"));
    for field in [
        "status=\"not-modified\"",
        "bytes=0",
        "new_items=0",
        "duration_ms=",
    ] {
        assert!(good.contains(field), "{field} missing in {good}");
    }
}

/// The `tributary_*` metric names in the `expr:` lines of the shipped alert rules.
fn alert_metric_names() -> Vec<String> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/prometheus/alerts.yml");
    let text = std::fs::read_to_string(path).unwrap();
    let mut names = Vec::new();
    for line in text.lines() {
        let Some(expr) = line.trim().strip_prefix("expr:") else {
            continue;
        };
        let mut rest = expr;
        while let Some(at) = rest.find("tributary_") {
            let name: String = rest[at..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            rest = &rest[at + name.len()..];
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

/// Names of the samples in an exposition text.
fn exposed(metrics: &str) -> Vec<String> {
    metrics
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split(['{', ' ']).next().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_metric_the_alert_rules_use_is_exposed() {
    let names = alert_metric_names();
    assert!(names.len() >= 8, "{names:?}");

    let server = FeedServer::start();
    let s = two_sources(&server);
    let text = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(
        &s.config,
        format!(
            "[mail]\noutbox = \"outbox\"\n\n[[digests]]\nname = \"daily\"\ntitle = \"Daily\"\ncron = \"0 7 * * *\"\nfrom = \"t@example.org\"\nto = [\"l@example.org\"]\n\n{text}"
        ),
    )
    .unwrap();
    // A stored digest, so the daemon has one to report.
    s.cmd().arg("fetch").assert().code(3);
    s.cmd().args(["digest", "daily"]).assert().success();

    let mut child = s
        .std_cmd()
        .args(["run", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
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
    let client = reqwest::Client::new();
    let _ = client.get(format!("{base}healthz")).send().await;

    // The daemon fetches and checks its digests on its own clock: wait (bounded) until every
    // name is there, then report what is missing.
    let deadline = Instant::now() + Duration::from_secs(30);
    let missing = loop {
        let metrics = client
            .get(format!("{base}metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let have = exposed(&metrics);
        let missing: Vec<&String> = names.iter().filter(|n| !have.contains(n)).collect();
        if missing.is_empty() || Instant::now() > deadline {
            break missing
                .into_iter()
                .map(|m| format!("{m} (in {metrics})"))
                .collect::<Vec<_>>();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(missing.is_empty(), "not in /metrics: {missing:?}");
}

/// A `RUST_LOG` with one directive that does not read keeps the others, and says which it
/// left out and what it logs with: the whole setting was dropped for the default, in silence.
#[test]
fn a_bad_rust_log_directive_is_named_and_the_others_kept() {
    let s = setup(&[src("local", "feed.xml".into())], "");
    std::fs::write(s.dir.path().join("feed.xml"), FEED).unwrap();
    let out = s
        .cmd()
        .arg("fetch")
        .env("RUST_LOG", "tributary=info,sled=verbose")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("warning: RUST_LOG: ignoring `sled=verbose` (")
            && stderr.contains("logging with `tributary=info,warn`"),
        "{stderr}"
    );
    // `tributary=info` kept: a fetch that got a new document is logged (`fetch` alone logs
    // warnings only).
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("fetch{source=local ") && l.contains("fetched")),
        "{stderr}"
    );
}
