//! Filter rules end to end: the binary against feeds served from 127.0.0.1.

mod common;

use std::collections::BTreeSet;

use common::{setup, src, FeedServer};

fn rss(host: &str, items: &[(&str, &str, &str)]) -> String {
    let mut body =
        String::from("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Partner</title>");
    for (i, (title, category, text)) in items.iter().enumerate() {
        body.push_str(&format!(
            "<item><title>{title}</title><link>https://{host}/n/{i}</link>\
             <guid>https://{host}/n/{i}</guid><category>{category}</category>\
             <description>{text}</description>\
             <pubDate>Tue, 10 Mar 2026 0{i}:00:00 GMT</pubDate></item>"
        ));
    }
    body + "</channel></rss>"
}

/// The news source's entries: kept, blocked by category, blocked by title everywhere, kept.
const NEWS: [(&str, &str, &str); 4] = [
    (
        "Workshop on the Brussels dialogue",
        "Events",
        "Mediators met.",
    ),
    ("Visit the Tirana fair", "Sponsored", "Tickets on sale."),
    ("Daily horoscope", "Lifestyle", "The stars say."),
    ("Women's Caucus meets in Prishtina", "Events", "MPs met."),
];

fn titles(s: &common::Setup) -> BTreeSet<String> {
    s.items()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn blocked_and_unkept_entries_are_never_stored_and_are_counted() {
    let server = FeedServer::start();
    server.feed(
        "news.xml",
        rss("news.example", &NEWS),
        "application/rss+xml",
    );
    server.feed(
        "caucus.xml",
        rss(
            "women.example",
            &[
                ("Caucus statement on the budget", "News", "A statement."),
                ("Film festival programme", "Culture", "Films."),
                ("Horoscope and the caucus", "News", "Both words."),
            ],
        ),
        "application/rss+xml",
    );
    let s = setup(
        &[
            src("news", server.url("news.xml")),
            src("caucus", server.url("caucus.xml")),
        ],
        "[filter]\nblock = ['title:(?i)\\bhoroscope\\b']\n",
    );
    let mut text = std::fs::read_to_string(&s.config).unwrap();
    text = text.replacen(
        "kind = \"partner\"\n",
        "kind = \"partner\"\nfilter = { block = ['category:(?i)^sponsored$'] }\n",
        1,
    );
    text.push_str("[sources.filter]\nkeep = ['(?i)caucus']\n");
    std::fs::write(&s.config, text).unwrap();
    s.cmd().args(["check", "--offline"]).assert().success();

    let (code, reports) = s.fetch(&[]);
    assert_eq!(code, 0);
    assert_eq!(reports["news"]["new"], 2, "{}", reports["news"]);
    assert_eq!(reports["news"]["filtered"], 2, "{}", reports["news"]);
    assert_eq!(reports["caucus"]["new"], 1, "{}", reports["caucus"]);
    assert_eq!(reports["caucus"]["filtered"], 2, "{}", reports["caucus"]);
    assert_eq!(
        titles(&s),
        BTreeSet::from([
            "Workshop on the Brussels dialogue".to_string(),
            "Women's Caucus meets in Prishtina".to_string(),
            "Caucus statement on the budget".to_string(),
        ])
    );

    // A changed feed is read again: the new entry is kept, the old ones still dropped, and
    // the plain report says how many.
    server.feed(
        "news.xml",
        rss(
            "news.example",
            &[
                &NEWS[..],
                &[("Culture night in Mitrovica", "Culture", "Music.")],
            ]
            .concat(),
        ),
        "application/rss+xml",
    );
    let out = s
        .cmd()
        .args(["fetch", "--source", "news"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("new 1, updated 0, duplicate 0, unchanged 2, filtered out 2"),
        "{stdout}"
    );
    assert!(
        stdout.contains("unchanged, 2 filtered out items"),
        "{stdout}"
    );
    assert_eq!(titles(&s).len(), 4);
}

#[test]
fn a_bad_rule_is_a_config_error_naming_line_and_key() {
    let s = setup(&[src("a", "https://a.example/feed".into())], "");
    let text = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(
        &s.config,
        format!("{text}[sources.filter]\nkeep = ['title:[unclosed']\n"),
    )
    .unwrap();
    let line = std::fs::read_to_string(&s.config)
        .unwrap()
        .lines()
        .position(|l| l.starts_with("keep = "))
        .unwrap()
        + 1;
    let out = s.cmd().args(["check", "--offline"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(&format!("{}:{line}:", s.config.display())),
        "{err}"
    );
    assert!(err.contains("sources[0].filter.keep[0]"), "{err}");
    assert!(err.contains("unclosed character class"), "{err}");
}
