//! End-to-end ingest: the binary against feeds served from 127.0.0.1.

mod common;

use std::collections::{BTreeSet, HashMap};

use common::{fixtures, setup, src, FeedServer, Route};
use serde_json::Value;

const FIXTURE_FEEDS: [&str; 6] = [
    "partner-rss2.xml",
    "partner-atom.xml",
    "serbian-1250.xml",
    "rss1.rdf",
    "republisher.xml",
    "odd-dates.xml",
];

fn stem(file: &str) -> &str {
    file.split('.').next().unwrap()
}

fn partner_setup(server: &FeedServer) -> common::Setup {
    let sources: Vec<common::Src> = FIXTURE_FEEDS
        .iter()
        .map(|f| src(stem(f), server.url(f)))
        .collect();
    setup(&sources, "")
}

fn texts(item: &Value) -> String {
    ["title", "summary", "content", "link"]
        .iter()
        .map(|k| item[k].as_str().unwrap_or("").to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn six_partner_feeds_keep_exactly_the_distinct_stories() {
    let server = FeedServer::start();
    server.serve_dir(&fixtures("ingest"));
    let s = partner_setup(&server);
    let (code, reports) = s.fetch(&[]);
    assert_eq!(code, 0, "{reports:?}");
    assert_eq!(reports.len(), 6);
    for (id, r) in &reports {
        assert_eq!(r["status"], "ok", "{id}: {r}");
    }

    let expected: Vec<Value> =
        serde_json::from_slice(&std::fs::read(fixtures("ingest/expected.json")).unwrap()).unwrap();
    let items = s.items();
    let by_link: HashMap<&str, &Value> = items
        .iter()
        .map(|i| {
            (
                i["link"].as_str().expect("every fixture item has a link"),
                i,
            )
        })
        .collect();
    assert_eq!(
        items.len(),
        expected.len(),
        "stored links: {:#?}",
        by_link.keys().collect::<BTreeSet<_>>()
    );
    for e in &expected {
        let link = e["link"].as_str().unwrap();
        let got = by_link
            .get(link)
            .unwrap_or_else(|| panic!("missing story {link}; have {:#?}", by_link.keys()));
        if let Some(title) = e["title"].as_str() {
            assert_eq!(got["title"], title, "{link}");
        } else {
            // No title in the feed: one is derived from the text.
            assert!(got["title"].as_str().unwrap().len() > 10, "{got}");
        }
        let want: BTreeSet<&str> = e["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let have: BTreeSet<&str> = got["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(have, want, "{link}");
        assert_eq!(
            got["date_inferred"],
            !e["has_date"].as_bool().unwrap(),
            "{link}"
        );
    }

    // The plain listing names every other source that carries a story.
    let plain = s.cmd().arg("items").output().unwrap();
    let plain = String::from_utf8(plain.stdout).unwrap();
    let mut merged = 0;
    for i in &items {
        let sources: Vec<&str> = i["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        if sources.len() > 1 {
            merged += 1;
            let line = format!("also carried by {}", sources[1..].join(", "));
            assert!(plain.contains(&line), "{line:?} not in\n{plain}");
        }
    }
    assert!(merged > 0, "the fixtures have republished stories");

    let all: String = items.iter().map(texts).collect::<Vec<_>>().join("\n");
    for letter in ["č", "ć", "š", "ž", "đ", "Č", "Š", "Ž"] {
        assert!(all.contains(letter), "Serbian letter {letter} lost");
    }
    assert!(
        !all.contains('\u{fffd}'),
        "replacement characters in stored text"
    );
    let lower = all.to_lowercase();
    for bad in [
        "<script",
        "javascript:",
        "onerror",
        "onclick",
        "onload",
        "<iframe",
        "<object",
        "<form",
        "tracker.example.net",
    ] {
        assert!(!lower.contains(bad), "{bad} reached the store");
    }
    // Relative links inside content were made absolute.
    assert!(!lower.contains("src=\"/"), "relative src left in content");
    assert!(!lower.contains("href=\"/"), "relative href left in content");
    // An identifying User-Agent went out.
    assert!(server
        .user_agents()
        .iter()
        .all(|ua| ua.starts_with("Tributary/")));
}

#[test]
fn a_second_fetch_adds_nothing_and_etags_download_nothing() {
    let server = FeedServer::start();
    server.serve_dir(&fixtures("ingest"));
    let s = partner_setup(&server);
    s.fetch(&[]);
    let before = s.items();
    let first = server.total_hits();
    assert_eq!(first.full, 6);

    let (code, reports) = s.fetch(&[]);
    assert_eq!(code, 0);
    for (id, r) in &reports {
        assert_eq!(r["status"], "not-modified", "{id}: {r}");
    }
    let second = server.total_hits();
    assert_eq!(second.requests, 12);
    assert_eq!(second.full, 6, "no body was downloaded again");
    assert_eq!(second.body_bytes, first.body_bytes);
    let after = s.items();
    assert_eq!(before, after, "nothing changed in the store");
}

#[test]
fn a_server_without_validators_is_skipped_by_body_hash() {
    let server = FeedServer::start();
    let body = std::fs::read(fixtures("ingest/rss1.rdf")).unwrap();
    server.route(
        "plain.rdf",
        Route::Status {
            code: 200,
            headers: vec![("content-type".into(), "application/rdf+xml".into())],
            body,
        },
    );
    let s = setup(&[src("plain", server.url("plain.rdf"))], "");
    let (_, r1) = s.fetch(&[]);
    assert_eq!(r1["plain"]["status"], "ok");
    assert_eq!(r1["plain"]["new"], 4);
    let (_, r2) = s.fetch(&[]);
    assert_eq!(r2["plain"]["status"], "unchanged");
}

/// A 304 to a request that sent no validator (a misconfigured cache) is an error, said as
/// one: not a healthy feed that never changes.
#[test]
fn a_304_to_a_request_without_validators_is_an_error() {
    let server = FeedServer::start();
    server.route(
        "cached.xml",
        Route::Status {
            code: 304,
            headers: vec![],
            body: Vec::new(),
        },
    );
    let s = setup(&[src("cached", server.url("cached.xml"))], "");
    let (code, r) = s.fetch(&[]);
    assert_eq!(code, 3, "{r:?}");
    assert_eq!(r["cached"]["status"], "error", "{r:?}");
    assert_eq!(r["cached"]["kind"], "http_4xx", "{r:?}");
    let message = r["cached"]["message"].as_str().unwrap();
    assert!(
        message.contains("304 Not Modified to a request that sent no ETag or date"),
        "{message}"
    );
    assert_eq!(
        s.health()["cached"]["health"],
        "failing (1)",
        "{:?}",
        s.health()
    );
}

/// A connection refused after a redirect names the address the redirect led to, not the
/// source's own (which answered).
#[test]
fn an_error_after_a_redirect_names_where_it_led() {
    let server = FeedServer::start();
    let (_refusing, port) = common::refusing_port();
    let to = format!("http://127.0.0.1:{port}/new.xml");
    server.route(
        "feed.xml",
        Route::Status {
            code: 301,
            headers: vec![("location".into(), to.clone())],
            body: Vec::new(),
        },
    );
    let s = setup(&[src("moved", server.url("feed.xml"))], "");
    let (_, r) = s.fetch(&[]);
    assert_eq!(r["moved"]["kind"], "connect", "{r:?}");
    let message = r["moved"]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "cannot connect: error sending request for url ({to}, where a redirect led)"
        )),
        "{message}"
    );
}

/// Entries without a GUID whose links differ only by their fragment (a page of notes): each
/// keeps its fragment in the link it is published with, and is found again as itself when
/// unchanged, and as its own story when edited.
#[test]
fn fragment_links_are_kept_and_do_not_confuse_identity() {
    let server = FeedServer::start();
    let v1 = r#"<rss version="2.0"><channel><title>t</title><link>https://t.example/</link>
      <item><title>Version 2.3 is out</title><link>https://t.example/changelog#v2-3</link><description>Faster.</description></item>
      <item><title>Version 2.2 is out</title><link>https://t.example/changelog#v2-2</link><description>Smaller.</description></item>
      </channel></rss>"#;
    server.feed("f.xml", v1, "application/rss+xml");
    let s = setup(&[src("t", server.url("f.xml"))], "");
    let (_, r) = s.fetch(&[]);
    assert_eq!(r["t"]["new"], 2, "{r:?}");
    let mut links: Vec<String> = s
        .items()
        .iter()
        .map(|i| i["link"].as_str().unwrap().to_string())
        .collect();
    links.sort();
    assert_eq!(
        links,
        [
            "https://t.example/changelog#v2-2",
            "https://t.example/changelog#v2-3"
        ]
    );
    server.feed(
        "f.xml",
        v1.replace("Faster.", "Faster, and fixed."),
        "application/rss+xml",
    );
    let (_, r) = s.fetch(&[]);
    assert_eq!(
        (&r["t"]["new"], &r["t"]["updated"], &r["t"]["unchanged"]),
        (
            &serde_json::json!(0),
            &serde_json::json!(1),
            &serde_json::json!(1)
        ),
        "{r:?}"
    );
    assert_eq!(s.items().len(), 2);
}

/// An entry recorded by its page alone is found again when a second entry of its page and
/// title comes (both are then told by their content): its link's fragment does not hide the
/// form it was recorded under.
#[test]
fn an_entry_recorded_by_its_page_is_found_again_when_its_page_fills() {
    let server = FeedServer::start();
    let first = r#"<item><title>Notes of the week</title><link>https://t.example/notes#monday</link><description>Monday's notes on the talks.</description></item>"#;
    let feed = |items: &str| {
        format!(
            r#"<rss version="2.0"><channel><title>t</title><link>https://t.example/</link>{items}</channel></rss>"#
        )
    };
    server.feed("f.xml", feed(first), "application/rss+xml");
    let s = setup(&[src("t", server.url("f.xml"))], "");
    let (_, r) = s.fetch(&[]);
    assert_eq!(r["t"]["new"], 1, "{r:?}");
    let second = r#"<item><title>Notes of the week</title><link>https://t.example/notes#tuesday</link><description>Tuesday's notes on the caucus.</description></item>"#;
    server.feed(
        "f.xml",
        feed(&format!("{second}{first}")),
        "application/rss+xml",
    );
    let (_, r) = s.fetch(&[]);
    assert_eq!(
        (&r["t"]["new"], &r["t"]["unchanged"]),
        (&serde_json::json!(1), &serde_json::json!(1)),
        "{r:?}"
    );
    assert_eq!(s.items().len(), 2);
}

/// A story without a GUID whose link has a fragment, removed by retention, is not stored
/// again when its feed, still listing it, is read again: its tombstone is its page's.
#[test]
fn a_pruned_story_with_a_fragment_link_stays_removed() {
    let server = FeedServer::start();
    let v1 = r#"<rss version="2.0"><channel><title>t</title><link>https://t.example/</link>
      <item><title>Old notes of the week</title><link>https://t.example/notes/2020#week-1</link><pubDate>Mon, 06 Jan 2020 10:00:00 GMT</pubDate><description>Old.</description></item>
      </channel></rss>"#;
    server.feed("f.xml", v1, "application/rss+xml");
    let s = setup(&[src("t", server.url("f.xml"))], "");
    let text = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(
        &s.config,
        text.replace("[store]\n", "[store]\nmax_age = \"365d\"\n"),
    )
    .unwrap();
    let (_, r) = s.fetch(&[]);
    assert_eq!(r["t"]["new"], 1, "{r:?}");
    let out = s.cmd().arg("prune").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(s.items().is_empty());
    // Other bytes, the same entry.
    server.feed(
        "f.xml",
        v1.replace("<title>t</title>", "<title>t </title>"),
        "application/rss+xml",
    );
    let (_, r) = s.fetch(&[]);
    assert_eq!(r["t"]["new"], 0, "{r:?}");
    assert!(s.items().is_empty());
}

#[test]
fn a_changed_item_is_updated_in_place_keeping_first_seen() {
    let server = FeedServer::start();
    let v1 = r#"<rss version="2.0"><channel><title>t</title><link>https://t.example/</link>
      <item><title>Licence plates agreement: first week</title><link>https://t.example/a</link><guid>a</guid>
      <description>First version.</description></item></channel></rss>"#;
    server.feed("f.xml", v1, "application/rss+xml");
    let s = setup(&[src("t", server.url("f.xml"))], "");
    s.fetch(&[]);
    let first = s.items();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0]["date_inferred"], true);
    server.feed(
        "f.xml",
        v1.replace("First version.", "Second version, corrected."),
        "application/rss+xml",
    );
    let (_, r) = s.fetch(&[]);
    assert_eq!(r["t"]["updated"], 1);
    let second = s.items();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0]["summary"], "Second version, corrected.");
    assert_eq!(second[0]["id"], first[0]["id"]);
    assert_eq!(second[0]["first_seen"], first[0]["first_seen"]);
    assert_eq!(
        second[0]["published"], first[0]["published"],
        "an inferred date never moves"
    );
}

/// A story whose pictures a CDN signs anew at every fetch (its JSON Feed `image`, the picture
/// in its text) is not dated as edited: its entry in the feed keeps its date, and carries the
/// new addresses.
#[test]
fn a_picture_signed_anew_keeps_the_storys_date_and_takes_its_new_address() {
    let server = FeedServer::start();
    let feed = |sig: &str| {
        serde_json::json!({
            "version": "https://jsonfeed.org/version/1.1",
            "title": "t",
            "home_page_url": "https://t.example/",
            "items": [{
                "id": "a",
                "url": "https://t.example/a",
                "title": "Culture night in Prizren",
                "date_published": "2025-11-20T10:00:00Z",
                "image": format!("https://cdn.example/a.jpg?sig={sig}&exp=1700000000"),
                "content_html": format!(
                    r#"<p>The night opened with music.</p><img src="https://cdn.example/stage.jpg?sig={sig}" alt="Stage">"#
                ),
            }],
        })
        .to_string()
    };
    server.feed("f.json", feed("abc"), "application/feed+json");
    let s = setup(&[src("t", server.url("f.json"))], "");
    let (_, r) = s.fetch(&[]);
    assert_eq!(r["t"]["new"], 1, "{r:?}");
    let entry = || -> Value { s.rendered_json()["items"][0].clone() };
    let before = entry();
    assert_eq!(
        before["image"],
        "https://cdn.example/a.jpg?sig=abc&exp=1700000000"
    );
    server.feed("f.json", feed("def"), "application/feed+json");
    let (_, r) = s.fetch(&[]);
    assert_eq!(
        (
            &r["t"]["updated"],
            &r["t"]["unchanged"],
            &r["t"]["refreshed"]
        ),
        (
            &serde_json::json!(0),
            &serde_json::json!(1),
            &serde_json::json!(1)
        ),
        "{r:?}"
    );
    let after = entry();
    assert_eq!(after["date_modified"], before["date_modified"], "{after}");
    assert_eq!(after["date_published"], before["date_published"]);
    assert_eq!(
        after["image"],
        "https://cdn.example/a.jpg?sig=def&exp=1700000000"
    );
    let html = after["content_html"].as_str().unwrap();
    assert!(html.contains("stage.jpg?sig=def"), "{html}");
    // The text report says so too.
    server.feed("f.json", feed("ghi"), "application/feed+json");
    let out = s.cmd().arg("fetch").output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("unchanged 1 (1 of them at a picture's new address)"),
        "{said}"
    );
}

/// A new `time_zone` reaches stored stories when their feed is read again: a plain fetch of an
/// unchanged feed does not read it, `fetch --reread` does, and re-dates what it carries.
#[test]
fn a_reread_applies_a_new_time_zone_to_stored_stories() {
    let server = FeedServer::start();
    let doc = r#"<rss version="2.0"><channel><title>t</title><link>https://t.example/</link>
      <item><title>Licence plates agreement: first week</title><link>https://t.example/a</link>
      <guid>a</guid><pubDate>23.11.2025 10:00</pubDate><description>Text.</description></item>
      </channel></rss>"#;
    server.feed("f.xml", doc, "application/rss+xml");
    let s = setup(&[src("t", server.url("f.xml"))], "");
    s.fetch(&[]);
    assert_eq!(s.items()[0]["published"], "2025-11-23T10:00:00+00:00");
    let text = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(
        &s.config,
        format!("[fetch]\ntime_zone = \"Europe/Belgrade\"\n{text}"),
    )
    .unwrap();
    let (_, r) = s.fetch(&[]);
    assert_eq!(r["t"]["status"], "not-modified", "{r:?}");
    assert_eq!(s.items()[0]["published"], "2025-11-23T10:00:00+00:00");
    let full = server.total_hits().full;
    let (code, r) = s.fetch(&["--reread"]);
    assert_eq!(code, 0);
    assert_eq!(r["t"]["updated"], 1, "{r:?}");
    assert_eq!(server.total_hits().full, full + 1, "downloaded in full");
    let items = s.items();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["published"], "2025-11-23T09:00:00+00:00");
    // Read again with nothing changed: nothing to update.
    let (_, r) = s.fetch(&["--reread"]);
    assert_eq!(r["t"]["updated"], 0, "{r:?}");
    assert_eq!(r["t"]["new"], 0, "{r:?}");
}

/// `fetch --reread` reads every entry again, those whose raw form is as recorded too: what
/// they read as now (here the source's new `lang`, which no entry states) reaches the stories
/// it changes; it reached only entries that changed themselves.
#[test]
fn a_reread_reads_unchanged_entries_again_with_the_config_as_it_is_now() {
    let server = FeedServer::start();
    let doc = r#"<rss version="2.0"><channel><title>t</title><link>https://t.example/</link>
      <item><title>Takim i grave deputete</title><link>https://t.example/a</link>
      <guid>a</guid><pubDate>Mon, 23 Nov 2026 10:00:00 +0000</pubDate><description>Tekst.</description></item>
      <item><title>Marrëveshja për targat</title><link>https://t.example/b</link>
      <guid>b</guid><pubDate>Sun, 22 Nov 2026 10:00:00 +0000</pubDate><description>Tekst tjetër.</description></item>
      </channel></rss>"#;
    server.feed("f.xml", doc, "application/rss+xml");
    let s = setup(&[src("t", server.url("f.xml"))], "");
    s.fetch(&[]);
    let langs =
        |s: &common::Setup| -> Vec<Value> { s.items().iter().map(|i| i["lang"].clone()).collect() };
    assert_eq!(langs(&s), [Value::Null, Value::Null]);
    // The stories' dates as subscribers read them (JSON Feed `date_modified`, as Atom's
    // `<updated>`).
    let modified = |s: &common::Setup| -> Vec<Value> {
        let feed = s.rendered_json();
        let items = feed["items"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        items.iter().map(|i| i["date_modified"].clone()).collect()
    };
    let dated = modified(&s);
    assert_eq!(dated, ["2026-11-23T10:00:00Z", "2026-11-22T10:00:00Z"]);
    let text = std::fs::read_to_string(&s.config).unwrap();
    let text = text.replace(
        "kind = \"partner\"\n",
        "kind = \"partner\"\nlang = \"sq\"\n",
    );
    std::fs::write(&s.config, text).unwrap();
    let (code, r) = s.fetch(&["--reread"]);
    assert_eq!(code, 0);
    assert_eq!(r["t"]["updated"], 2, "{r:?}");
    assert_eq!(r["t"]["new"], 0, "{r:?}");
    assert_eq!(langs(&s), ["sq", "sq"]);
    // Not an edit of the publisher's: the stories are not shown as updated.
    assert_eq!(modified(&s), dated);
    // Read again with nothing changed: nothing to update.
    let (_, r) = s.fetch(&["--reread"]);
    assert_eq!(
        (r["t"]["updated"].clone(), r["t"]["unchanged"].clone()),
        (0.into(), 2.into()),
        "{r:?}"
    );
}

/// A source pointed at its site's page rather than its feed fails, and the error says where
/// the feed is when the page names it: the fix ops need, in `fetch`, the log and the status.
#[test]
fn a_source_pointed_at_a_web_page_is_told_the_feed_it_names() {
    let server = FeedServer::start();
    server.feed(
        "news/",
        r#"<!DOCTYPE html><html><head><title>News</title>
        <link rel="alternate" type="application/rss+xml" href="../feed/"></head>
        <body>Latest</body></html>"#,
        "text/html; charset=utf-8",
    );
    let s = setup(&[src("t", server.url("news/"))], "");
    let (code, r) = s.fetch(&[]);
    assert_eq!(code, 3, "{r:?}");
    assert_eq!(r["t"]["status"], "error", "{r:?}");
    let said = r["t"]["message"].as_str().unwrap_or_default();
    let feed = server.url("feed/");
    assert!(
        said.contains(&format!(
            "which names its feed at {feed}: set the source's url to that"
        )),
        "{said}"
    );
    let sources = s.cmd().arg("sources").output().unwrap();
    let listed = String::from_utf8_lossy(&sources.stdout);
    assert!(listed.contains(&feed), "{listed}");
}

#[test]
fn one_broken_source_is_marked_unhealthy_and_the_others_are_stored() {
    let server = FeedServer::start();
    server.serve_dir(&fixtures("ingest"));
    server.feed(
        "garbage.xml",
        "<rss version=\"2.0\"><channel><item><title>unterminated",
        "application/rss+xml",
    );
    server.feed(
        "page.html",
        "<!DOCTYPE html><html><body>Our news</body></html>",
        "text/html",
    );
    // Not well-formed, but only for a bare `&`: read, with a warning.
    server.feed(
        "ampersand.xml",
        "<rss version=\"2.0\"><channel><title>t</title><link>https://t.example/</link>\n\
         <item><title>Trade & investment report</title><link>https://t.example/q?a=1&b=2</link></item>\n\
         </channel></rss>",
        "application/rss+xml",
    );
    server.route(
        "down.xml",
        Route::Status {
            code: 500,
            headers: vec![],
            body: b"oops".to_vec(),
        },
    );
    // A port nothing listens on, held for the test.
    let (_held, dead_port) = common::refusing_port();
    let dead = std::net::SocketAddr::from(([127, 0, 0, 1], dead_port));
    let s = setup(
        &[
            src("good", server.url("partner-atom.xml")),
            src("ampersand", server.url("ampersand.xml")),
            src("garbage", server.url("garbage.xml")),
            src("page", server.url("page.html")),
            src("down", server.url("down.xml")),
            src("dead", format!("http://{dead}/feed.xml")),
            src("missing-file", "no/such/file.xml".into()),
        ],
        "",
    );
    let (code, reports) = s.fetch(&[]);
    assert_eq!(code, 3, "partial failure exits 3");
    assert_eq!(reports["good"]["status"], "ok");
    assert_eq!(reports["good"]["new"], 4);
    assert_eq!(reports["ampersand"]["status"], "ok");
    assert_eq!(reports["ampersand"]["new"], 1);
    assert_eq!(
        reports["ampersand"]["warnings"][0],
        "2 `&` not starting an entity or character reference read as text (XML wants `&amp;`)"
    );
    let stored = s.items();
    let story = stored
        .iter()
        .find(|i| i["title"] == "Trade & investment report")
        .unwrap_or_else(|| panic!("{stored:?}"));
    assert_eq!(story["link"], "https://t.example/q?a=1&b=2");
    for id in ["garbage", "page", "down", "dead", "missing-file"] {
        assert_eq!(reports[id]["status"], "error", "{id}: {}", reports[id]);
    }
    // Each failure's kind, as the `fetch_errors` metric counts it.
    for (id, kind) in [
        ("garbage", "parse"),
        ("page", "parse"),
        ("down", "http_5xx"),
        ("dead", "connect"),
        ("missing-file", "file"),
    ] {
        assert_eq!(reports[id]["kind"], kind, "{id}: {}", reports[id]);
    }
    assert!(reports["page"]["message"]
        .as_str()
        .unwrap()
        .contains("HTML page"));
    assert!(reports["down"]["message"]
        .as_str()
        .unwrap()
        .contains("HTTP 500"));
    assert!(reports["dead"]["message"]
        .as_str()
        .unwrap()
        .contains("connect"));

    let health = s.health();
    assert_eq!(health["good"]["health"], "ok");
    assert_eq!(health["good"]["items"], 4);
    assert_eq!(health["ampersand"]["health"], "ok");
    assert_eq!(health["down"]["health"], "failing (1)");
    assert_eq!(health["down"]["state"]["last_error"], "HTTP 500");
    assert!(health["garbage"]["state"]["last_error"]
        .as_str()
        .unwrap()
        .contains("not a valid feed"));

    // Failing sources back off: the next pass defers them without a request.
    let before = server.hits("down.xml").requests;
    let (_, again) = s.fetch(&[]);
    assert_eq!(again["down"]["status"], "deferred");
    assert_eq!(server.hits("down.xml").requests, before);
    // --force tries again and counts a second failure.
    let (_, again) = s.fetch(&["--force", "--source", "down"]);
    assert!(
        again["down"].get("recovered_after").is_none(),
        "{}",
        again["down"]
    );
    let out = s.cmd().args(["sources", "--json"]).output().unwrap();
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("failing (2)"));
    // Mended: the fetch says the source recovered, and after how many failures; the next
    // says nothing of it.
    server.feed(
        "down.xml",
        "<rss version=\"2.0\"><channel><title>t</title><link>https://t.example/</link>\n\
         <item><title>Back again</title><link>https://t.example/back</link></item>\n\
         </channel></rss>",
        "application/rss+xml",
    );
    let (_, mended) = s.fetch(&["--force", "--source", "down"]);
    assert_eq!(mended["down"]["status"], "ok", "{}", mended["down"]);
    assert_eq!(mended["down"]["recovered_after"], 2, "{}", mended["down"]);
    let (_, later) = s.fetch(&["--source", "down"]);
    assert!(
        later["down"].get("recovered_after").is_none(),
        "{}",
        later["down"]
    );
}

#[test]
fn retry_after_is_honoured() {
    let server = FeedServer::start();
    server.route(
        "busy.xml",
        Route::Status {
            code: 429,
            headers: vec![("retry-after".into(), "7200".into())],
            body: vec![],
        },
    );
    let s = setup(
        &[src("busy", server.url("busy.xml"))],
        "[fetch]\nbackoff_base = \"1m\"\n",
    );
    let (_, r) = s.fetch(&[]);
    assert!(
        r["busy"]["message"]
            .as_str()
            .unwrap()
            .contains("HTTP 429 (retry after 2h)"),
        "{}",
        r["busy"]
    );
    let (_, r) = s.fetch(&[]);
    assert_eq!(r["busy"]["status"], "deferred");
    assert_eq!(server.hits("busy.xml").requests, 1);
}

/// A host's `Retry-After` holds its other sources back too (a rate limit is the host's): with
/// one fetch at a time per host, the source after the one told to wait is not requested.
#[test]
fn retry_after_holds_back_the_hosts_other_sources() {
    let server = FeedServer::start();
    server.route(
        "busy.xml",
        Route::Status {
            code: 429,
            headers: vec![("retry-after".into(), "7200".into())],
            body: vec![],
        },
    );
    server.feed(
        "other.xml",
        r#"<rss version="2.0"><channel><title>O</title><item><title>Another feed of the host</title><guid>o1</guid></item></channel></rss>"#,
        "application/rss+xml",
    );
    let s = setup(
        &[
            src("busy", server.url("busy.xml")),
            src("other", server.url("other.xml")),
        ],
        "[fetch]\nper_host_concurrency = 1\n",
    );
    let (code, r) = s.fetch(&[]);
    assert_eq!(code, 3);
    assert_eq!(r["busy"]["status"], "error", "{}", r["busy"]);
    assert_eq!(r["other"]["status"], "deferred", "{}", r["other"]);
    assert_eq!(r["other"]["paused_by"], "busy", "{}", r["other"]);
    assert_eq!(server.hits("other.xml").requests, 0);
    // Ops are told why it was not fetched.
    let out = s.cmd().arg("sources").output().unwrap();
    let listing = String::from_utf8(out.stdout).unwrap();
    let line = listing.lines().find(|l| l.starts_with("other")).unwrap();
    assert!(
        line.contains("its host answered source busy with 429 (Too Many Requests)"),
        "{listing}"
    );
    // Asked for by hand, it goes.
    let (_, r) = s.fetch(&["--force", "--source", "other"]);
    assert_eq!(r["other"]["new"], 1, "{}", r["other"]);
}

/// A 503 with `Retry-After` is about the page asked for (one feed of a site in maintenance):
/// its source waits, the host's other sources are fetched.
#[test]
fn a_503_holds_back_its_own_source_only() {
    let server = FeedServer::start();
    server.route(
        "maintenance.xml",
        Route::Status {
            code: 503,
            headers: vec![("retry-after".into(), "7200".into())],
            body: vec![],
        },
    );
    server.feed(
        "other.xml",
        r#"<rss version="2.0"><channel><title>O</title><item><title>Another feed of the host</title><guid>o1</guid></item></channel></rss>"#,
        "application/rss+xml",
    );
    let s = setup(
        &[
            src("down", server.url("maintenance.xml")),
            src("other", server.url("other.xml")),
        ],
        "[fetch]\nper_host_concurrency = 1\n",
    );
    let (_, r) = s.fetch(&[]);
    assert_eq!(r["down"]["status"], "error", "{}", r["down"]);
    assert_eq!(r["other"]["new"], 1, "{}", r["other"]);
    let (_, r) = s.fetch(&[]);
    assert_eq!(r["down"]["status"], "deferred", "{}", r["down"]);
    assert!(r["down"].get("paused_by").is_none(), "{}", r["down"]);
    assert_eq!(server.hits("maintenance.xml").requests, 1);
}

/// A run of failures is dated from its first, and a source given another url starts a run of
/// its own: the old address's days of failing are not the new one's.
#[test]
fn failing_since_dates_a_run_of_failures_of_one_address() {
    let server = FeedServer::start();
    for path in ["old.xml", "new.xml"] {
        server.route(
            path,
            Route::Status {
                code: 500,
                headers: vec![],
                body: vec![],
            },
        );
    }
    let s = setup(&[src("moving", server.url("old.xml"))], "");
    let state = |s: &common::Setup| -> Value {
        let out = s.cmd().args(["sources", "--json"]).output().unwrap();
        let line = String::from_utf8_lossy(&out.stdout).into_owned();
        serde_json::from_str::<Value>(line.lines().next().unwrap()).unwrap()["state"].clone()
    };
    s.fetch(&[]);
    let first = state(&s)["failing_since"].as_str().unwrap().to_string();
    s.fetch(&["--force"]);
    assert_eq!(state(&s)["failing_since"].as_str().unwrap(), first);
    assert_eq!(state(&s)["consecutive_errors"], 2);
    let text = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(&s.config, text.replace("old.xml", "new.xml")).unwrap();
    s.fetch(&[]);
    let now = state(&s);
    assert_eq!(now["consecutive_errors"], 1, "{now}");
    assert!(
        now["failing_since"].as_str().unwrap() > first.as_str(),
        "{now}"
    );
}

#[test]
fn a_source_given_another_url_is_fetched_at_once_without_the_old_ones_backoff() {
    let server = FeedServer::start();
    server.route(
        "old.xml",
        Route::Status {
            code: 429,
            headers: vec![("retry-after".into(), "7200".into())],
            body: vec![],
        },
    );
    server.feed(
        "new.xml",
        r#"<rss version="2.0"><channel><title>N</title><item><title>Moved here</title><guid>m1</guid></item></channel></rss>"#,
        "application/rss+xml",
    );
    let s = setup(&[src("moving", server.url("old.xml"))], "");
    let (_, r) = s.fetch(&[]);
    assert_eq!(r["moving"]["status"], "error", "{}", r["moving"]);
    let (_, r) = s.fetch(&[]);
    assert_eq!(r["moving"]["status"], "deferred");
    // Ops fix the URL: the old one's Retry-After does not hold the new one back.
    let text = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(&s.config, text.replace("old.xml", "new.xml")).unwrap();
    let (code, r) = s.fetch(&[]);
    assert_eq!(code, 0, "{}", r["moving"]);
    assert_eq!(r["moving"]["new"], 1, "{}", r["moving"]);
    assert_eq!(server.hits("new.xml").requests, 1);
    assert_eq!(server.hits("old.xml").requests, 1);
    // Its own state from then on: a second fetch is conditional.
    s.fetch(&[]);
    assert_eq!(server.hits("new.xml").not_modified, 1);
}

#[test]
fn bodies_over_the_limit_are_refused() {
    let server = FeedServer::start();
    let mut big = String::from("<rss version=\"2.0\"><channel><title>big</title>");
    while big.len() < 64 * 1024 {
        big.push_str("<item><title>padding item for the size limit</title><guid>x</guid></item>");
    }
    big.push_str("</channel></rss>");
    server.feed("big.xml", big, "application/rss+xml");
    let s = setup(
        &[src("big", server.url("big.xml"))],
        "[fetch]\nmax_body_size = \"16KiB\"\n",
    );
    let (code, r) = s.fetch(&[]);
    assert_eq!(code, 3);
    assert!(
        r["big"]["message"]
            .as_str()
            .unwrap()
            .contains("larger than fetch.max_body_size (16 KiB)"),
        "{}",
        r["big"]
    );
    assert_eq!(r["big"]["kind"], "too_large", "{}", r["big"]);
}

#[test]
fn check_names_file_line_and_key_and_exits_2() {
    let s = setup(&[src("a", "https://a.example/feed".into())], "");
    s.cmd().args(["check", "--offline"]).assert().success();
    let text = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(
        &s.config,
        text.replace(
            "kind = \"partner\"",
            "kind = \"partner\"\ninterval = \"often\"",
        ),
    )
    .unwrap();
    let out = s.cmd().args(["check", "--offline"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    let want = format!("{}:11:", s.config.display());
    assert!(err.contains(&want), "{err}");
    assert!(err.contains("sources[0].interval"), "{err}");
    assert!(err.contains("invalid duration"), "{err}");

    std::fs::write(
        &s.config,
        text.replace("[store]", "[store]\ncolour = \"blue\""),
    )
    .unwrap();
    let out = s.cmd().args(["check", "--offline"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("store.colour"));
}

#[test]
fn data_dir_flag_overrides_the_store_path() {
    let server = FeedServer::start();
    server.serve_dir(&fixtures("ingest"));
    let s = setup(&[src("atom", server.url("partner-atom.xml"))], "");
    let other = tempfile::tempdir().unwrap();
    s.cmd()
        .arg("--data-dir")
        .arg(other.path())
        .arg("fetch")
        .assert()
        .success();
    assert!(other.path().join("db").exists() || other.path().join("conf").exists());
    assert!(!s.dir.path().join("data").exists());
}

#[test]
fn a_store_in_use_gives_a_clear_error() {
    let s = setup(&[src("a", "https://a.example/feed".into())], "");
    let store = tributary::store::Store::open(&tributary::config::StoreConfig {
        path: s.dir.path().join("data"),
        cache_capacity: 1 << 20,
        max_age: None,
        max_items_per_source: None,
    })
    .unwrap();
    let out = s.cmd().arg("items").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("in use by another process"), "{err}");
    drop(store);
}

#[test]
fn check_warns_about_probable_mistakes_but_passes() {
    let s = setup(
        &[
            src("a", "https://a.example/feed".into()),
            src("b", "https://a.example/feed".into()),
            src("c", "feeds/written-later.xml".into()),
            src("d", ".".into()),
        ],
        "[topics.sport]\ntitle = \"Sport\"\nthreshold = 1\nterms = { \"football\" = 1 }\n\
         [topics.news]\ntitle = \"News\"\nthreshold = 1\nterms = { \"news\" = 1 }\n\
         [[digests]]\nname = \"daily\"\ntitle = \"Daily\"\ncron = \"0 7 * * *\"\ntopics = [\"news\"]\n\
         from = \"d@example.org\"\nto = [\"l@example.org\"]\n",
    );
    let out = s.cmd().args(["check", "--offline"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("warning: sources a and b fetch the same feed https://a.example/feed"),
        "{err}"
    );
    assert!(
        err.contains("warning: source c:") && err.contains("does not exist"),
        "{err}"
    );
    assert!(
        err.contains("warning: source d:") && err.contains("is a directory, not a feed file"),
        "{err}"
    );
    assert!(
        err.contains("warning: topic sport is in no digest"),
        "{err}"
    );
    assert!(!err.contains("topic news"), "{err}");
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("4 warnings"));

    // Without digests, no topic is said to be in none.
    let text = std::fs::read_to_string(&s.config).unwrap();
    let cut = text.find("[[digests]]").unwrap();
    std::fs::write(&s.config, &text[..cut]).unwrap();
    let out = s.cmd().args(["check", "--offline"]).output().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("in no digest"), "{err}");
}

/// Runs `tributary export --out FILE`: (exit code, stderr).
/// `items --json` of every story, from the config's store or from `dir`.
fn items_in(s: &common::Setup, dir: Option<&std::path::Path>) -> Vec<u8> {
    let mut c = s.cmd();
    if let Some(d) = dir {
        c.arg("--data-dir").arg(d);
    }
    c.args(["items", "--json", "--limit", "0"])
        .output()
        .unwrap()
        .stdout
}

fn export(s: &common::Setup, file: &std::path::Path) -> (Option<i32>, String) {
    let out = s
        .cmd()
        .arg("export")
        .arg("--out")
        .arg(file)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `tributary --data-dir DIR import FILE`: (exit code, stderr).
fn import(
    s: &common::Setup,
    dir: &std::path::Path,
    file: &std::path::Path,
) -> (Option<i32>, String) {
    let out = s
        .cmd()
        .arg("--data-dir")
        .arg(dir)
        .arg("import")
        .arg(file)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn export_then_import_gives_the_same_items_and_feeds() {
    let server = FeedServer::start();
    server.serve_dir(&fixtures("ingest"));
    let s = partner_setup(&server);
    s.fetch(&[]);
    let backup = s.dir.path().join("backup.jsonl");
    // Over an earlier file: replaced whole, with nothing of the writing left beside it, not
    // even what an export killed on the way left.
    std::fs::write(&backup, "an older export\n").unwrap();
    std::fs::write(s.dir.path().join(".backup.jsonl.partial"), "cut sh").unwrap();
    let (code, err) = export(&s, &backup);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("exported 26 stories, 6 source states"),
        "{err}"
    );
    assert!(!std::fs::read_to_string(&backup)
        .unwrap()
        .contains("an older export"));
    let beside: Vec<String> = std::fs::read_dir(s.dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(beside.is_empty(), "{beside:?}");

    let fresh = s.dir.path().join("restored");
    let (code, err) = import(&s, &fresh, &backup);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(items_in(&s, None), items_in(&s, Some(&fresh)));
    for format in ["rss", "atom", "json", "html"] {
        let render = |dir: Option<&std::path::Path>| {
            let mut c = s.cmd();
            if let Some(d) = dir {
                c.arg("--data-dir").arg(d);
            }
            c.args(["render", "--format", format])
                .output()
                .unwrap()
                .stdout
        };
        assert_eq!(
            render(None),
            render(Some(&fresh)),
            "{format} differs after import"
        );
    }
    // A second import into the same store is refused; nothing is lost.
    let again = s
        .cmd()
        .arg("--data-dir")
        .arg(&fresh)
        .arg("import")
        .arg(&backup)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
    // Source states came along: the restored store's next fetch sends the validators back and
    // downloads nothing.
    let mut c = s.cmd();
    let (code, reports) = {
        let out = c
            .arg("--data-dir")
            .arg(&fresh)
            .args(["fetch", "--json", "--force"])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let v: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (out.status.code(), v)
    };
    assert_eq!(code, Some(0));
    assert_eq!(reports.len(), 6);
    for r in reports {
        assert_eq!(r["status"], "not-modified", "{r}");
    }
}

#[test]
fn an_export_through_a_link_writes_the_file_it_names_and_keeps_the_link() {
    let server = FeedServer::start();
    server.serve_dir(&fixtures("ingest"));
    let s = partner_setup(&server);
    s.fetch(&[]);
    // Ops pointing `latest.jsonl` at tonight's file: the export goes into that file, and the
    // link is not replaced by a file of its own.
    let target = s.dir.path().join("backup-tonight.jsonl");
    std::fs::write(&target, "an older export\n").unwrap();
    let link = s.dir.path().join("latest.jsonl");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let (code, err) = export(&s, &link);
    assert_eq!(code, Some(0), "{err}");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let written = std::fs::read_to_string(&target).unwrap();
    assert!(!written.contains("an older export"), "{written}");
    assert_eq!(
        written.lines().count(),
        std::fs::read_to_string(&link).unwrap().lines().count()
    );
    let fresh = s.dir.path().join("restored");
    let (code, err) = import(&s, &fresh, &target);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(items_in(&s, None), items_in(&s, Some(&fresh)));

    // `--out /dev/stdout` writes to whatever the shell opened: here a file opened to append.
    let appended = s.dir.path().join("appended.jsonl");
    std::fs::write(&appended, "kept\n").unwrap();
    let file = std::fs::OpenOptions::new()
        .append(true)
        .open(&appended)
        .unwrap();
    let out = s
        .std_cmd()
        .args(["export", "--out", "/dev/stdout"])
        .stdout(file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let appended = std::fs::read_to_string(&appended).unwrap();
    let export = appended
        .strip_prefix("kept\n")
        .expect("appended after the line kept");
    assert_eq!(export.lines().count(), written.lines().count());
    assert!(export.lines().last().unwrap().contains(r#""kind":"end""#));
}

#[test]
fn stories_pruned_before_an_export_are_not_stored_again_after_its_import() {
    let server = FeedServer::start();
    server.serve_dir(&fixtures("ingest"));
    let s = partner_setup(&server);
    // A year of retention: every story the fixtures date (2020) goes.
    let text = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(
        &s.config,
        text.replace("[store]\n", "[store]\nmax_age = \"365d\"\n"),
    )
    .unwrap();
    s.fetch(&[]);
    let out = s.cmd().arg("prune").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kept = s.items();
    assert!(!kept.is_empty() && kept.len() < 26, "{}", kept.len());
    let backup = s.dir.path().join("backup.jsonl");
    let (code, said) = export(&s, &backup);
    assert_eq!(code, Some(0), "{said}");
    assert!(
        said.contains(&format!("exported {} stories", kept.len()))
            && !said.contains(" 0 retention tombstones"),
        "{said}"
    );
    let fresh = s.dir.path().join("restored");
    let (code, err) = import(&s, &fresh, &backup);
    assert_eq!(code, Some(0), "{err}");

    // Every feed is served again with other bytes and the same entries: both stores read
    // them in full, and neither stores a pruned story again.
    let changed = tempfile::tempdir().unwrap();
    for f in FIXTURE_FEEDS {
        let mut body = std::fs::read(fixtures("ingest").join(f)).unwrap();
        body.extend_from_slice(b"\n");
        std::fs::write(changed.path().join(f), body).unwrap();
    }
    server.serve_dir(changed.path());
    for dir in [None, Some(&fresh)] {
        let mut c = s.cmd();
        if let Some(d) = dir {
            c.arg("--data-dir").arg(d);
        }
        let out = c.args(["fetch", "--json", "--force"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{dir:?}");
        let reports: Vec<Value> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(reports.len(), 6);
        for r in reports {
            assert_eq!(r["status"], "ok", "{dir:?}: {r}");
            assert_eq!(r["new"], 0, "{dir:?}: {r}");
        }
    }
    assert_eq!(items_in(&s, None), items_in(&s, Some(&fresh)));
    assert_eq!(s.items().len(), kept.len());
}

#[test]
fn a_disabled_source_is_fetched_only_when_named() {
    let server = FeedServer::start();
    server.serve_dir(&fixtures("ingest"));
    let s = setup(
        &[
            src("on", server.url("partner-atom.xml")),
            src("off", server.url("rss1.rdf")),
        ],
        "",
    );
    let text = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(&s.config, format!("{text}enabled = false\n")).unwrap();
    let out = s.cmd().args(["check", "--offline"]).output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("ok (2 sources (1 disabled),"), "{stdout}");

    let (code, reports) = s.fetch(&[]);
    assert_eq!(code, 0);
    assert_eq!(reports.keys().collect::<Vec<_>>(), ["on"]);
    assert_eq!(server.hits("rss1.rdf").requests, 0);
    let plain = s.cmd().arg("fetch").output().unwrap();
    let said = String::from_utf8_lossy(&plain.stdout);
    assert!(
        said.contains("not fetched: 1 disabled (off); name one to fetch it anyway"),
        "{said}"
    );
    assert_eq!(server.hits("rss1.rdf").requests, 0);
    let health = |s: &common::Setup| -> HashMap<String, Value> {
        let out = s.cmd().args(["sources", "--json"]).output().unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                (v["id"].as_str().unwrap().to_string(), v)
            })
            .collect()
    };
    assert_eq!(health(&s)["off"]["health"], "disabled");
    assert_eq!(health(&s)["on"]["health"], "ok");

    let (code, reports) = s.fetch(&["--source", "off"]);
    assert_eq!(code, 0);
    assert_eq!(reports["off"]["status"], "ok", "{}", reports["off"]);
    assert!(reports["off"]["new"].as_u64().unwrap() > 0);
    assert_eq!(server.hits("rss1.rdf").requests, 1);
    assert_eq!(health(&s)["off"]["health"], "disabled", "still paused");
}

#[test]
fn a_source_can_send_its_own_user_agent() {
    let server = FeedServer::start();
    server.serve_dir(&fixtures("ingest"));
    let s = setup(
        &[
            src("plain", server.url("partner-atom.xml")),
            src("picky", server.url("rss1.rdf")),
        ],
        "",
    );
    let text = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(
        &s.config,
        format!("{text}user_agent = \"Mozilla/5.0 (compatible; Tributary)\"\n"),
    )
    .unwrap();
    let (code, _) = s.fetch(&[]);
    assert_eq!(code, 0);
    let mut agents = server.user_agents();
    agents.sort();
    assert_eq!(agents.len(), 2);
    assert_eq!(agents[0], "Mozilla/5.0 (compatible; Tributary)");
    assert!(agents[1].starts_with("Tributary/"), "{agents:?}");

    std::fs::write(&s.config, format!("{text}user_agent = \"a\\nb\"\n")).unwrap();
    let out = s.cmd().args(["check", "--offline"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("sources[1].user_agent"), "{err}");
    assert!(err.contains("not a valid HTTP header value"), "{err}");
}

#[test]
fn a_feed_behind_a_login_or_an_api_key_is_fetched_with_it() {
    let server = FeedServer::start();
    let rss = std::fs::read(fixtures("ingest/partner-rss2.xml")).unwrap();
    // "tributary:s3cret" in Base64.
    server.route(
        "members.xml",
        Route::Guarded {
            header: "authorization".into(),
            value: "Basic dHJpYnV0YXJ5OnMzY3JldA==".into(),
            body: std::fs::read(fixtures("ingest/serbian-1250.xml")).unwrap(),
        },
    );
    server.route(
        "api.xml",
        Route::Guarded {
            header: "x-api-key".into(),
            value: "k-123".into(),
            body: rss,
        },
    );
    let s = setup(
        &[
            src("members", server.url("members.xml")),
            src("api", server.url("api.xml")),
        ],
        "",
    );
    let base = std::fs::read_to_string(&s.config).unwrap();
    let login = base.replace(
        &format!("url = \"{}\"\n", server.url("members.xml")),
        &format!(
            "url = \"{}\"\nusername = \"tributary\"\npassword_env = \"MEMBERS_FEED_PASSWORD\"\n",
            server.url("members.xml")
        ),
    );
    std::fs::write(
        &s.config,
        format!("{login}headers = {{ X-Api-Key = \"k-123\" }}\n"),
    )
    .unwrap();

    // Without the password in the environment: the source fails, saying where it is read.
    let (code, reports) = s.fetch(&[]);
    assert_eq!(code, 3);
    let error = reports["members"]["message"].as_str().unwrap_or_default();
    assert!(
        error.contains("$MEMBERS_FEED_PASSWORD, which is not set"),
        "{}",
        reports["members"]
    );
    assert_eq!(reports["api"]["status"], "ok", "{}", reports["api"]);
    let warned = s.cmd().args(["check", "--offline"]).output().unwrap();
    assert!(String::from_utf8_lossy(&warned.stderr)
        .contains("$MEMBERS_FEED_PASSWORD (its password) is not set here"));

    // A wrong password is a refused login; the right one fetches.
    let fetch = |password: &str| {
        let out = s
            .cmd()
            .env("MEMBERS_FEED_PASSWORD", password)
            .args(["fetch", "--json", "--force", "--source", "members"])
            .output()
            .unwrap();
        let line = String::from_utf8(out.stdout).unwrap();
        serde_json::from_str::<Value>(line.lines().next().unwrap()).unwrap()
    };
    let refused = fetch("wrong");
    assert!(
        refused["message"]
            .as_str()
            .unwrap_or_default()
            .contains("the login was refused"),
        "{refused}"
    );
    let ok = fetch("s3cret");
    assert_eq!(ok["status"], "ok", "{ok}");
    assert!(ok["new"].as_u64().unwrap() > 0);

    // A login in the URL would be shown wherever the URL is: refused.
    let in_url = base.replace("http://127.0.0.1", "http://tributary:s3cret@127.0.0.1");
    std::fs::write(&s.config, in_url).unwrap();
    let out = s.cmd().args(["check", "--offline"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the URL holds a login"));
    // Headers the fetch sets itself are refused too.
    std::fs::write(
        &s.config,
        format!("{base}headers = {{ If-None-Match = \"x\" }}\n"),
    )
    .unwrap();
    let out = s.cmd().args(["check", "--offline"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sources[1].headers.If-None-Match") && err.contains("validators"),
        "{err}"
    );
}

#[test]
fn check_warns_about_a_digest_language_no_source_names_and_an_unused_user_agent() {
    let digest = "[mail]\noutbox = \"out\"\n\n[[digests]]\nname = \"shqip\"\ntitle = \"Lajme\"\ncron = \"0 7 * * *\"\nlanguages = [\"sq\", \"sr\"]\nfrom = \"Tributary <d@example.org>\"\nto = [\"list@example.org\"]\n";
    let s = setup(
        &[
            src("a", "https://a.example/feed".into()),
            src("local", "feeds/written-by-a-script.xml".into()),
        ],
        digest,
    );
    let text = std::fs::read_to_string(&s.config).unwrap();
    let text = text.replacen(
        "kind = \"partner\"\n",
        "kind = \"partner\"\nlang = \"sr-Cyrl\"\n",
        1,
    ) + "user_agent = \"Mozilla/5.0\"\n";
    std::fs::write(&s.config, text).unwrap();
    let out = s.cmd().args(["check", "--offline"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("warning: digest shqip: no source's lang is \"sq\""),
        "{err}"
    );
    assert!(!err.contains("lang is \"sr\""), "sr-Cyrl is Serbian: {err}");
    assert!(
        err.contains("warning: source local: user_agent has no effect on a local file"),
        "{err}"
    );
}

#[test]
fn an_import_that_fails_leaves_the_store_empty_and_bad_inputs_are_refused() {
    let server = FeedServer::start();
    server.serve_dir(&fixtures("ingest"));
    let s = partner_setup(&server);
    s.fetch(&[]);
    let backup = s.dir.path().join("backup.jsonl");
    let (code, err) = export(&s, &backup);
    assert_eq!(code, Some(0), "{err}");
    let full = std::fs::read_to_string(&backup).unwrap();
    let import = |dir: &std::path::Path, file: &std::path::Path| import(&s, dir, file);
    let target = s.dir.path().join("restored");

    // Cut off in the middle of a story, after some stories were written.
    let cut = s.dir.path().join("cut.jsonl");
    let lines: Vec<&str> = full.lines().collect();
    let keep = lines.len() / 2;
    let mut truncated = lines[..keep].join("\n");
    truncated.push('\n');
    truncated.push_str(&lines[keep][..lines[keep].len() / 2]);
    std::fs::write(&cut, truncated).unwrap();
    let (code, err) = import(&target, &cut);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(&format!("line {}", keep + 1)) && err.contains("nothing was imported"),
        "{err}"
    );
    // Nothing stayed behind: the whole export then imports into the same directory.
    let (code, err) = import(&target, &backup);
    assert_eq!(code, Some(0), "{err}");

    // Cut at a line boundary (a failed export, a full disk): no end line, nothing imported.
    let short = s.dir.path().join("short.jsonl");
    std::fs::write(&short, format!("{}\n", lines[..keep].join("\n"))).unwrap();
    let elsewhere = s.dir.path().join("short-target");
    let (code, err) = import(&elsewhere, &short);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("without its end line") && err.contains("nothing was imported"),
        "{err}"
    );
    // A store without tombstones (no retention) exports format 2, as builds before them
    // wrote it, so they read it too.
    assert!(lines[0].contains(r#""format":2"#), "{}", lines[0]);
    let end = *lines.last().unwrap();
    assert!(
        end.contains(r#""kind":"end""#) && !end.contains("tombstones"),
        "{end}"
    );
    // An export of the first format, which had no end line, still imports.
    let old = s.dir.path().join("format1.jsonl");
    let first = lines[0].replace(r#""format":2"#, r#""format":1"#);
    let rest = &lines[1..lines.len() - 1];
    std::fs::write(&old, format!("{first}\n{}\n", rest.join("\n"))).unwrap();
    let (code, err) = import(&elsewhere, &old);
    assert_eq!(code, Some(0), "{err}");

    // An empty input and one without the header are no exports.
    let empty = s.dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let (code, err) = import(&s.dir.path().join("e"), &empty);
    assert_eq!(code, Some(1));
    assert!(err.contains("the input is empty"), "{err}");
    let headless = s.dir.path().join("headless.jsonl");
    std::fs::write(&headless, lines[1..].join("\n")).unwrap();
    let (code, err) = import(&s.dir.path().join("h"), &headless);
    assert_eq!(code, Some(1));
    assert!(err.contains("line 1: no header line"), "{err}");
    // A file that is not there creates no store directory.
    let nowhere = s.dir.path().join("nowhere");
    let (code, err) = import(&nowhere, &s.dir.path().join("missing.jsonl"));
    assert_eq!(code, Some(1));
    assert!(err.contains("cannot read"), "{err}");
    assert!(!nowhere.exists());
}

#[test]
fn a_source_with_headers_follows_no_redirect_to_another_site() {
    let server = FeedServer::start();
    let elsewhere = FeedServer::start();
    elsewhere.serve_dir(&fixtures("ingest"));
    server.serve_dir(&fixtures("ingest"));
    let redirect = |to: String| Route::Status {
        code: 302,
        headers: vec![("location".into(), to)],
        body: vec![],
    };
    server.route("moved.xml", redirect(elsewhere.url("partner-atom.xml")));
    server.route("renamed.xml", redirect(server.url("partner-atom.xml")));
    let s = setup(
        &[
            src("moved", server.url("moved.xml")),
            src("renamed", server.url("renamed.xml")),
        ],
        "",
    );
    let text = std::fs::read_to_string(&s.config).unwrap();
    let keyed = text.replace(
        "kind = \"partner\"\n",
        "kind = \"partner\"\nheaders = { X-Api-Key = \"k-123\" }\n",
    );
    assert_ne!(keyed, text);
    std::fs::write(&s.config, keyed).unwrap();
    let (code, reports) = s.fetch(&[]);
    assert_eq!(code, 3);
    let moved = &reports["moved"];
    assert!(
        moved["message"]
            .as_str()
            .unwrap_or_default()
            .contains("another site, which would get this source's login or headers"),
        "{moved}"
    );
    assert_eq!(
        elsewhere.hits("partner-atom.xml").requests,
        0,
        "the key never left"
    );
    // A redirect within the site is followed.
    assert_eq!(reports["renamed"]["status"], "ok", "{}", reports["renamed"]);
}

/// Ctrl-C during `fetch` stops it as SIGTERM stops the daemon: the sources already fetched
/// keep their states (validators, last success), the one still downloading is left as it
/// was, and the exit status is the signal's.
#[test]
fn an_interrupted_fetch_keeps_the_states_of_the_sources_it_fetched() {
    use std::io::BufRead as _;
    let server = FeedServer::start();
    server.serve_dir(&fixtures("ingest"));
    let open = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    server.route(
        "held.xml",
        Route::Gated {
            body: b"<rss version=\"2.0\"><channel><title>t</title></channel></rss>".to_vec(),
            open: open.clone(),
        },
    );
    let s = setup(
        &[
            src("fast", server.url("partner-atom.xml")),
            src("held", server.url("held.xml")),
        ],
        "",
    );
    let mut child = s
        .std_cmd()
        .args(["fetch", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(first["source"], "fast", "{first}");
    assert_eq!(first["status"], "ok", "{first}");
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let rest: Vec<Value> = lines
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    let status = child.wait().unwrap();
    open.store(true, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(status.code(), Some(130));
    // No failure is told of a source the stop cut short.
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(!err.contains("WARN"), "{err}");
    assert_eq!(rest.len(), 1, "{rest:?}");
    assert_eq!(rest[0]["source"], "held");
    assert_eq!(rest[0]["status"], "stopped", "{}", rest[0]);
    let health = s.health();
    assert_eq!(health["fast"]["health"], "ok", "{}", health["fast"]);
    assert!(health["fast"]["state"]["last_success"].is_string());
    assert_eq!(
        health["held"]["health"], "never fetched",
        "{}",
        health["held"]
    );
}

/// The HTML parser under the sanitizer warns of each node it mends: a body of a few
/// kilobytes made hundreds of lines of log (a hostile feed, megabytes of it). Its errors
/// only, unless RUST_LOG names it.
#[test]
fn the_html_parsers_mending_is_not_logged() {
    let body = format!("<table>{}</table>", "text<div>t</div>".repeat(50));
    let feed = format!(
        "<rss version=\"2.0\"><channel><title>t</title><item><title>Mended</title><guid>1</guid>\
         <description><![CDATA[{body}]]></description></item></channel></rss>"
    );
    let s = setup(&[src("local", "feed.xml".into())], "");
    std::fs::write(s.dir.path().join("feed.xml"), feed).unwrap();
    let out = s.cmd().arg("fetch").output().unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("html5ever"), "{err}");
    assert_eq!(s.items().len(), 1);
}

/// What a feed says about itself is kept in its source's state, which is written at every
/// fetch: a feed title of a megabyte is kept as a story's title would be (300 characters), not
/// whole every time (the states' database grew by as much at each fetch, never reclaimed).
#[test]
fn a_huge_feed_title_is_kept_short_in_the_sources_state() {
    let server = FeedServer::start();
    let title = "Naslov ".repeat(150_000);
    let feed = |n: usize| {
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{title}</title><link>https://big.example/</link>\
             <item><title>Story {n}</title><link>https://big.example/{n}</link><guid>{n}</guid></item></channel></rss>"
        )
    };
    let s = setup(&[src("big", server.url("big.xml"))], "");
    for n in 0..3 {
        server.feed("big.xml", feed(n), "application/rss+xml");
        let (code, reports) = s.fetch(&[]);
        assert_eq!(code, 0, "{reports:?}");
    }
    let health = s.health();
    let kept = health["big"]["state"]["feed_title"].as_str().unwrap();
    assert!(kept.starts_with("Naslov Naslov"), "{kept}");
    assert!(kept.chars().count() <= 300, "{}", kept.len());
    // Nothing of it went to sled's files for values too large for its log.
    let blobs = s.dir.path().join("data/states/blobs");
    let stored = std::fs::read_dir(&blobs).map_or(0, |d| d.count());
    assert_eq!(stored, 0, "{}", blobs.display());
}

/// An export the disk refuses says why once (`/dev/full` refuses every write: a full disk).
#[test]
fn an_export_to_a_full_disk_says_why_once() {
    let server = FeedServer::start();
    server.serve_dir(&fixtures("ingest"));
    let s = partner_setup(&server);
    s.fetch(&[]);
    let (code, err) = export(&s, std::path::Path::new("/dev/full"));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    assert_eq!(err.matches("(os error 28)").count(), 1, "{err}");
}
