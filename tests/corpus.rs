//! Conformance over ../shared/corpus (read in place, never copied): every document a feed
//! reader should accept parses and normalizes; every other document gives items or a typed
//! error — never a panic, abort or stack overflow; whatever parses republishes as well-formed
//! UTF-8 XML (and JSON) with nothing script-capable in it, and so do damaged copies of feeds
//! (the repo's own too, without the corpus); the feedparser date table holds.
//! Prints a table of outcomes per folder.

#[path = "corpus/republish.rs"]
mod republish;

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
    BadOutput(String),
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
        // Unless it is the summary of a story whose text speaks of such a tag (`&lt;script&gt;`
        // in its markup): the summary then holds its words as text.
        let told = |tag: &str| {
            std::ptr::eq(text, item.summary.as_str()) && content.contains(&tag.replace('<', "&lt;"))
        };
        if ["<script", "<img", "<iframe"]
            .into_iter()
            .any(|tag| lower.contains(tag) && !told(tag))
        {
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
                time_zone: None,
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
                    let empty = items.is_empty();
                    if let Some(problem) = republish::check(&republish::items(items, ctx.now)) {
                        return Outcome::BadOutput(problem);
                    }
                    if empty {
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
            Outcome::BadOutput(_) => "BAD REPUBLISHED OUTPUT".to_string(),
        };
        *self.table.entry((folder.to_string(), label)).or_default() += 1;
        if matches!(
            outcome,
            Outcome::OurPanic | Outcome::Unsafe(_) | Outcome::BadOutput(_)
        ) {
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

#[test]
fn republish_checks_catch_what_they_look_for() {
    let ok = "<?xml version=\"1.0\"?><rss><channel><item><link>https://a.example/</link>\
              <description>&lt;p onclick&gt;x&lt;/p&gt;</description></item></channel></rss>";
    assert_eq!(republish::xml(ok), None);
    // An Atom text construct is HTML only when its type says so.
    let text = "<feed><summary>Not inside &lt;pre&gt; or &lt;script&gt;</summary></feed>";
    assert_eq!(republish::xml(text), None);
    let html = "<feed><summary type=\"html\">&lt;script&gt;x&lt;/script&gt;</summary></feed>";
    assert!(republish::xml(html).is_some_and(|p| p.contains("<script")));
    for (bad, why) in [
        ("<rss><a></b></rss>", "not well-formed"),
        ("<rss>&nbsp;</rss>", "undeclared entity"),
        ("<rss>&#1;</rss>", "U+0001"),
        ("<rss><x/></rss><rss/>", "second root"),
        (
            "<rss><enclosure url=\" JaVa\tscript:alert(1)\"/></rss>",
            "javascript: URL",
        ),
        ("<rss><guid>data:text/html,x</guid></rss>", "data: URL"),
        (
            "<rss><description>&lt;img src=x onerror=alert(1)&gt;</description></rss>",
            "event attribute onerror",
        ),
        (
            "<rss><description><![CDATA[<scr\nipt>]]></description></rss>",
            "<script",
        ),
    ] {
        let problem = republish::xml(bad).unwrap_or_else(|| panic!("{bad} passed"));
        assert!(problem.contains(why), "{bad}: {problem}");
    }
    let page = "<!DOCTYPE html><html lang=\"en\"><body><main><article><h3>\
                <a href=\"https://a.example/\">2 &lt; 3 &amp; &lt;b&gt;</a></h3></article></main></body></html>";
    assert_eq!(republish::page(page), None);
    for (bad, why) in [
        ("<p>x<script>alert(1)</script></p>", "element <script>"),
        ("<p><img src=x></p>", "element <img>"),
        ("<p onclick=\"alert(1)\">x</p>", "attribute onclick"),
        ("<a href=\"javascript:alert(1)\">x</a>", "link"),
    ] {
        let problem = republish::page(bad).unwrap_or_else(|| panic!("{bad} passed"));
        assert!(problem.contains(why), "{bad}: {problem}");
    }
}

/// What a damaged copy of a document may look like: cut short (also inside a character), bytes
/// overwritten, markup and entities dropped in, a stretch repeated or taken out. Seeded, so a
/// failure names the same copy at every run.
fn damaged(bytes: &[u8], rng: &mut fastrand::Rng) -> Vec<(&'static str, Vec<u8>)> {
    const SHARDS: [&[u8]; 12] = [
        b"<",
        b"&",
        b"]]>",
        b"<![CDATA[",
        b"&#0;",
        b"&#x110000;",
        b"</item>",
        b"<entry>",
        b"\"",
        b"\x00",
        b"\xef\xbb\xbf",
        b"\xd0\xb2\xd0",
    ];
    let len = bytes.len();
    let at = |rng: &mut fastrand::Rng| rng.usize(..=len);
    let mut copies = vec![];
    for cut in [len / 3, len / 2, len * 2 / 3, len.saturating_sub(1)] {
        copies.push(("cut short", bytes[..cut].to_vec()));
    }
    let mut overwritten = bytes.to_vec();
    for _ in 0..8 {
        if !overwritten.is_empty() {
            let i = rng.usize(..overwritten.len());
            overwritten[i] = rng.u8(..);
        }
    }
    copies.push(("bytes overwritten", overwritten));
    let mut shards = bytes.to_vec();
    for _ in 0..4 {
        let i = rng.usize(..=shards.len());
        let shard = SHARDS[rng.usize(..SHARDS.len())];
        shards.splice(i..i, shard.iter().copied());
    }
    copies.push(("markup dropped in", shards));
    let (a, b) = {
        let (x, y) = (at(rng), at(rng));
        (x.min(y), x.max(y))
    };
    let mut repeated = bytes[..b].to_vec();
    repeated.extend_from_slice(&bytes[a..]);
    copies.push(("a stretch repeated", repeated));
    let mut cut_out = bytes[..a].to_vec();
    cut_out.extend_from_slice(&bytes[b..]);
    copies.push(("a stretch taken out", cut_out));
    copies
}

// Damaged copies of feeds (the demo's and the tests' own; with the corpus, one in ten of
// feedparser's and of the W3C validator's and all of feed-rs's), each damaged eight ways, parse
// or fail cleanly, as whole ones do: no panic of ours, nothing unsafe kept, and what parses
// republishes well-formed.
#[test]
fn damaged_feeds_parse_or_fail_cleanly() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = ["config/demo-feeds", "tests/fixtures/ingest"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(repo.join(dir)).unwrap())
        .map(|entry| entry.unwrap().path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| ["xml", "rdf", "json"].contains(&e.to_str().unwrap_or("")))
                && !p.ends_with("expected.json")
        })
        .collect();
    files.sort();
    let own = files.len();
    assert!(own >= 10, "{own} feeds of our own");
    if let Some(root) = corpus() {
        files.extend(
            index(&root.join("feedparser/index.jsonl"))
                .iter()
                .step_by(10)
                .map(|row| root.join("feedparser").join(row["path"].as_str().unwrap())),
        );
        for (folder, every) in [("feed-rs", 1), ("w3c-feedvalidator", 10)] {
            files.extend(
                index(&root.join(folder).join("index.jsonl"))
                    .iter()
                    .step_by(every)
                    .map(|row| root.join(folder).join(row["path"].as_str().unwrap()))
                    .filter(|p| !p.to_string_lossy().ends_with(".serde.json")),
            );
        }
    }
    let mut rng = fastrand::Rng::with_seed(41);
    let mut failures = vec![];
    let mut copies = 0;
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        // The bombs and the 100,000-deep nesting stay whole (their copies test nothing more).
        if bytes.len() > 256 * 1024 {
            continue;
        }
        for (how, copy) in damaged(&bytes, &mut rng) {
            copies += 1;
            let outcome = ingest(copy);
            if matches!(
                outcome,
                Outcome::OurPanic | Outcome::Unsafe(_) | Outcome::BadOutput(_)
            ) {
                failures.push(format!("{} ({how}) → {outcome:?}", path.display()));
            }
        }
    }
    println!("{copies} damaged copies of {} documents", files.len());
    assert!(copies >= own * 8, "only {copies} copies");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `[year, month, day, hour, minute, second, …]` (Python's `struct_time`, UTC) → instant.
fn struct_time(v: &Value) -> Option<chrono::DateTime<Utc>> {
    use chrono::TimeZone;
    let n: Vec<i64> = v.as_array()?.iter().filter_map(Value::as_i64).collect();
    Utc.with_ymd_and_hms(
        n[0] as i32,
        n[1] as u32,
        n[2] as u32,
        n[3] as u32,
        n[4] as u32,
        n[5] as u32,
    )
    .single()
}

/// Rows of the table that disagree with another row, so one date function cannot meet both.
const DATE_DEVIATIONS: [(&str, &str); 1] = [(
    "03335",
    "feedparser's ISO 8601 parser reads five bare digits as year and ordinal day, while its \
     W3C-DTF row expects `22013` to be no date; junk is the likelier reading",
)];

#[test]
fn feedparser_date_table_holds() {
    use chrono::SubsecRound;
    let Some(root) = corpus() else {
        println!("notice: ../shared/corpus not found; date table skipped");
        return;
    };
    let mut table: BTreeMap<(String, &str), usize> = BTreeMap::new();
    let mut wrong = Vec::new();
    for row in index(&root.join("feedparser/extracted/dates.jsonl")) {
        let input = row["input"].as_str().unwrap();
        let parser = row["parser"]
            .as_str()
            .unwrap()
            .trim_start_matches("_parse_date_");
        let want = struct_time(&row["expected_utc"]);
        // struct_time has whole seconds.
        let got = parse::dates::parse_date(input).map(|d| d.trunc_subsecs(0));
        let outcome = if got == want {
            "holds"
        } else if DATE_DEVIATIONS.iter().any(|(i, _)| *i == input) {
            "documented deviation"
        } else {
            wrong.push(format!("{parser}: {input:?} → {got:?}, expected {want:?}"));
            "WRONG"
        };
        *table.entry((parser.to_string(), outcome)).or_default() += 1;
    }
    println!("{:<16} {:<22} {:>5}", "PARSER", "OUTCOME", "ROWS");
    for ((parser, outcome), n) in &table {
        println!("{parser:<16} {outcome:<22} {n:>5}");
    }
    for (input, why) in DATE_DEVIATIONS {
        println!("deviation {input:?}: {why}");
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A Python string literal (`'…'`, `u'…'`, `"…"`) at the start of `s`: its value and the rest.
fn python_str(s: &str) -> Option<(String, &str)> {
    let s = s.strip_prefix('u').unwrap_or(s);
    let quote = s.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let mut out = String::new();
    let mut chars = s[1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            c if c == quote => return Some((out, &s[1 + i + 1..])),
            '\\' => {
                let (_, e) = chars.next()?;
                let hex = |chars: &mut std::str::CharIndices<'_>, n: usize| {
                    let h: String = (0..n)
                        .filter_map(|_| chars.next().map(|(_, c)| c))
                        .collect();
                    u32::from_str_radix(&h, 16).ok().and_then(char::from_u32)
                };
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'x' => out.push(hex(&mut chars, 2)?),
                    'u' => out.push(hex(&mut chars, 4)?),
                    'U' => out.push(hex(&mut chars, 8)?),
                    other => out.push(other),
                }
            }
            c => out.push(c),
        }
    }
    None
}

/// A Python `time.struct_time` tuple `(2003, 12, 31, 10, 14, 55, 2, 365, 0)` at the start of
/// `s`, as `2003-12-31T10:14:55`, and the rest.
fn python_time(s: &str) -> Option<(String, &str)> {
    let body = s.strip_prefix('(')?;
    let end = body.find(')')?;
    let n: Vec<u32> = body[..end]
        .split(',')
        .map(|p| p.trim().parse().ok())
        .collect::<Option<_>>()?;
    let at = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        n.first()?,
        n.get(1)?,
        n.get(2)?,
        n.get(3)?,
        n.get(4)?,
        n.get(5)?
    );
    Some((at, &body[end + 1..]))
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text a reader sees in an expected value that may hold markup.
fn plain_text(s: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    collapse(&html_escape::decode_html_entities(&out))
}

/// feedparser expectations this test does not hold us to, each for a stated reason.
const NOT_OURS: &[(&str, &str)] = &[
    (
        "atom10/entry_category_term",
        "we keep a category's label (its display name) when it has one, feedparser's term",
    ),
    (
        "atom10/entry_summary_base64",
        "base64 (`application/octet-stream`) text constructs are read as text, not decoded",
    ),
    (
        "atom10/entry_title_base64",
        "base64 (`application/octet-stream`) text constructs are read as text, not decoded",
    ),
    (
        "rss/item_description_code_br",
        "plain-text fields never carry tag-like text (a consumer may render them as HTML): `<code>&lt;br /></code>` loses its `<br />`",
    ),
    (
        "itunes/itunes_item_category",
        "iTunes categories are the show's directory categories, not the episode's topics",
    ),
    (
        "namespace/rss2.0NS",
        "RSS 2.0 in Userland's 2002 namespace is not read",
    ),
    (
        "rdf/rss090_item_title",
        "an RSS 0.90 item with neither a link nor an rdf:about is not read",
    ),
];

/// feedparser's own expectations of an entry's title, summary, link, first category, first
/// author's name and dates, on
/// the well-formed documents of its suite: ours must agree, except where [`NOT_OURS`] says
/// why not. CDF (a format we do not read) and cases that need HTTP headers are left
/// out; the first entry is compared as a reader would see it (text of any markup, whitespace
/// collapsed).
#[test]
fn feedparser_entry_text_expectations_hold() {
    let Some(root) = corpus() else {
        println!("notice: ../shared/corpus not found; feedparser expectations skipped");
        return;
    };
    let (mut checked, mut missed) = (0, Vec::new());
    let mut excused = 0;
    for row in index(&root.join("feedparser/index.jsonl")) {
        let rel = row["path"].as_str().unwrap();
        if !(rel.starts_with("wellformed/") || rel.starts_with("encoding/"))
            || rel.contains("/sanitize/")
            || rel.contains("/cdf/")
            || row["served_over_http"] == true
        {
            continue;
        }
        let expect = row["expect"].as_str().unwrap_or("");
        let Some(rest) = expect.strip_prefix("not bozo and entries[0]") else {
            continue;
        };
        let Some((field, rest)) = rest.split_once(" == ") else {
            continue;
        };
        let Some((want, tail)) = python_str(rest).or_else(|| python_time(rest)) else {
            continue;
        };
        if !tail.trim().is_empty() {
            continue;
        }
        let field = match field {
            "['published_parsed']" => "published",
            "['updated_parsed']" => "updated",
            "['author_detail']['name']" => "author",
            "['title']" | "['title_detail']['value']" => "title",
            "['description']" | "['summary']" | "['summary_detail']['value']" => "summary",
            "['link']" => "link",
            "['tags'][0]['term']" => "category",
            _ => continue,
        };
        let bytes = std::fs::read(root.join("feedparser").join(rel)).unwrap();
        let url = Url::parse("http://127.0.0.1:8097/feed.xml").unwrap();
        let ctx = Context {
            fetch_url: Some(&url),
            content_type: None,
            default_lang: None,
            now: Utc::now(),
            time_zone: None,
        };
        let item = match parse::parse(&bytes, &ctx) {
            Ok(feed) => feed
                .entries
                .first()
                .map(|e| parse::normalize(e, &feed, &ctx)),
            Err(_) => None,
        };
        let got = item.and_then(|i| match field {
            "title" => Some(i.title),
            "summary" => Some(i.summary),
            "link" => i.link,
            "published" => i
                .published
                .map(|d| d.format("%Y-%m-%dT%H:%M:%S").to_string()),
            "updated" => i.updated.map(|d| d.format("%Y-%m-%dT%H:%M:%S").to_string()),
            "author" => i.authors.first().cloned(),
            _ => i.categories.first().cloned(),
        });
        let agrees = match (field, got.as_deref()) {
            (_, None) => false,
            ("link", Some(got)) => Url::parse(got).ok() == Url::parse(&want).ok(),
            ("published" | "updated", Some(got)) => got == want,
            // Text as written, or the text of its markup (tag boundaries may or may not
            // separate words).
            (_, Some(got)) => {
                let squeeze = |s: &str| s.split_whitespace().collect::<String>();
                collapse(got) == collapse(&want) || squeeze(got) == squeeze(&plain_text(&want))
            }
        };
        if NOT_OURS.iter().any(|(prefix, _)| {
            rel.split_once('/')
                .is_some_and(|(_, r)| r.starts_with(prefix))
        }) {
            excused += 1;
            continue;
        }
        checked += 1;
        if !agrees {
            missed.push(format!("{rel}: {field} should be {want:?}, is {got:?}"));
        }
    }
    println!("feedparser entry expectations: {checked} checked, {excused} excused");
    assert!(checked > 50, "only {checked} expectations found");
    assert!(
        missed.is_empty(),
        "{} of {checked} disagree:\n{}",
        missed.len(),
        missed.join("\n")
    );
}
