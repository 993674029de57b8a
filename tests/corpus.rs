//! Conformance over ../shared/corpus (read in place, never copied): every document a feed
//! reader should accept parses and normalizes; every other document gives items or a typed
//! error — never a panic, abort or stack overflow. Prints a table of outcomes per folder.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use chrono::Utc;
use serde_json::Value;
use tributary::parse::{self, Context, ParseError};
use url::Url;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Items,
    NoItems,
    Error(String),
    ParserPanic,
    OurPanic,
    Unsafe(String),
}

/// What must never survive normalization (corpus README, rule 3).
fn unsafe_output(item: &tributary::model::NewItem) -> Option<String> {
    let content = item.content.as_deref().unwrap_or("").to_lowercase();
    // Entity-decode nothing here: ammonia's output is re-serialized, so a scheme hidden with
    // entities or whitespace would show up in plain form.
    let squeezed: String = content
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_ascii_control())
        .collect();
    for bad in [
        "<script",
        "<iframe",
        "<object",
        "<embed",
        "<form",
        "<meta",
        "<base",
        "<style",
        "javascript:",
        "vbscript:",
        "=\"data:",
    ] {
        if squeezed.contains(bad) {
            return Some(format!("content contains {bad}"));
        }
    }
    if content
        .split(|c: char| c.is_whitespace())
        .any(|w| w.starts_with("on") && w.contains('='))
    {
        return Some("content keeps an event handler attribute".into());
    }
    let links = item
        .link
        .iter()
        .chain(item.enclosures.iter().map(|e| &e.url));
    for l in links {
        if !(l.starts_with("http://") || l.starts_with("https://")) {
            return Some(format!("non-http link {l}"));
        }
    }
    let plain = [item.title.as_str(), item.summary.as_str()]
        .into_iter()
        .chain(item.authors.iter().map(String::as_str))
        .chain(item.categories.iter().map(String::as_str));
    for text in plain {
        let lower = text.to_lowercase();
        if lower.contains("<script") || lower.contains("<img") || lower.contains("<iframe") {
            return Some(format!("markup in a plain-text field: {text}"));
        }
    }
    None
}

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    dir.is_dir().then_some(dir)
}

/// Parses and normalizes on a thread with a tokio-worker-sized stack (2 MiB).
fn ingest(bytes: Vec<u8>) -> Outcome {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
            let ctx = Context {
                fetch_url: Some(&url),
                content_type: None,
                default_lang: None,
                now: Utc::now(),
            };
            let result = catch_unwind(AssertUnwindSafe(|| match parse::parse(&bytes, &ctx) {
                Ok(feed) => {
                    let items: Vec<_> = feed
                        .entries
                        .iter()
                        .map(|e| parse::normalize(e, &feed, &ctx))
                        .collect();
                    for item in &items {
                        if let Some(problem) = unsafe_output(item) {
                            return Outcome::Unsafe(problem);
                        }
                    }
                    if items.is_empty() {
                        Outcome::NoItems
                    } else {
                        Outcome::Items
                    }
                }
                Err(ParseError::ParserPanic(_)) => Outcome::ParserPanic,
                Err(e) => Outcome::Error(e.to_string()),
            }));
            result.unwrap_or(Outcome::OurPanic)
        })
        .unwrap()
        .join()
        .unwrap_or(Outcome::OurPanic)
}

fn index(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

struct Tally {
    table: BTreeMap<(String, String), usize>,
    must_parse_failures: Vec<String>,
    panics: Vec<String>,
}

impl Tally {
    fn record(&mut self, folder: &str, path: &Path, must_parse: bool) {
        let bytes = std::fs::read(path).unwrap();
        let outcome = ingest(bytes);
        let label = match &outcome {
            Outcome::Items => "items".to_string(),
            Outcome::NoItems => "no items".to_string(),
            Outcome::Error(e) if e.starts_with("not a valid feed") => {
                "error: not a valid feed".to_string()
            }
            Outcome::Error(e) => format!("error: {e}"),
            Outcome::ParserPanic => "parser panic (contained)".to_string(),
            Outcome::OurPanic => "PANIC".to_string(),
            Outcome::Unsafe(_) => "UNSAFE OUTPUT".to_string(),
        };
        *self.table.entry((folder.to_string(), label)).or_default() += 1;
        if matches!(outcome, Outcome::OurPanic | Outcome::Unsafe(_)) {
            self.panics
                .push(format!("{} → {outcome:?}", path.display()));
        }
        if must_parse && !matches!(outcome, Outcome::Items | Outcome::NoItems) {
            self.must_parse_failures
                .push(format!("{} → {outcome:?}", path.display()));
        }
    }
}

#[test]
fn corpus_parses_or_fails_cleanly() {
    let Some(root) = corpus() else {
        println!("notice: ../shared/corpus not found; corpus conformance skipped");
        return;
    };
    let mut t = Tally {
        table: BTreeMap::new(),
        must_parse_failures: vec![],
        panics: vec![],
    };

    // feedparser: well-formed documents must parse (except the legacy CDF format); the rest must not panic.
    for row in index(&root.join("feedparser/index.jsonl")) {
        let rel = row["path"].as_str().unwrap();
        // CDF (Microsoft's 1997 Channel Definition Format) is not a feed format we read.
        let must = rel.starts_with("wellformed/") && !rel.contains("cdf");
        let folder = format!("feedparser/{}", rel.split('/').next().unwrap());
        t.record(&folder, &root.join("feedparser").join(rel), must);
    }
    // feed-rs fixtures: all feeds but the one meant to be invalid.
    for row in index(&root.join("feed-rs/index.jsonl")) {
        let rel = row["path"].as_str().unwrap();
        let feed_dir = [
            "fixture/atom/",
            "fixture/rss0/",
            "fixture/rss1/",
            "fixture/rss2/",
            "fixture/jsonfeed/",
        ]
        .iter()
        .any(|d| rel.starts_with(d));
        let is_feed =
            feed_dir && !rel.ends_with(".serde.json") && !rel.ends_with("rss_2.0_invalid_1.xml");
        t.record("feed-rs", &root.join("feed-rs").join(rel), is_feed);
    }
    // W3C validator cases: valid Atom / RSS 2.0 / RSS 1.0 documents must parse.
    for row in index(&root.join("w3c-feedvalidator/index.jsonl")) {
        let rel = row["path"].as_str().unwrap();
        let group = row["group"].as_str().unwrap_or("");
        let feed_group =
            group.starts_with("atom") || (group.starts_with("rss") && !group.starts_with("rss11"));
        let valid = row["verdict"] == "must-not-report:error";
        t.record(
            "w3c-feedvalidator",
            &root.join("w3c-feedvalidator").join(rel),
            feed_group && valid,
        );
    }
    // Hand-made attacks: no panic.
    let cases: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(root.join("adversarial/cases.json")).unwrap(),
    )
    .unwrap();
    for case in cases {
        t.record(
            "adversarial",
            &root
                .join("adversarial")
                .join(case["file"].as_str().unwrap()),
            false,
        );
    }

    println!("{:<28} {:<40} {:>6}", "FOLDER", "OUTCOME", "FILES");
    for ((folder, outcome), n) in &t.table {
        println!("{folder:<28} {outcome:<40} {n:>6}");
    }
    assert!(
        t.panics.is_empty(),
        "panics or unsafe output: {:#?}",
        t.panics
    );
    assert!(
        t.must_parse_failures.is_empty(),
        "{} documents a reader should accept were rejected:\n{}",
        t.must_parse_failures.len(),
        t.must_parse_failures.join("\n")
    );
}
