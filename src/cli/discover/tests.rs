//! Unit tests of `discover`: outlines read from OPML, alternate links read from a page,
//! source ids and the refusal of local addresses.

use super::outlines::{feed_url, opml_feeds};
use super::page::may_fetch;
use super::*;

#[test]
fn opml_outlines_with_feed_urls_are_read_in_order_through_categories() {
    let opml = r#"<?xml version="1.0"?>
<opml version="2.0"><head><title>Subscriptions</title></head><body>
  <outline text="Partners">
    <outline type="rss" text="KoSSev" title="KoSSev &amp; co" xmlUrl="https://kossev.info/feed/" htmlUrl="https://kossev.info/"/>
    <outline type="rss" text="Без наслова" xmlUrl="https://example.org/rss.xml"></outline>
    <outline type="rss" text="Again" xmlUrl="https://kossev.info/feed/"/>
  </outline>
  <outline text="Local" xmlUrl="file:///etc/passwd"/>
  <outline text="No URL"/>
</body></opml>"#;
    let feeds = opml_feeds(opml).unwrap();
    let got: Vec<(&str, Option<&str>, Vec<&str>)> = feeds
        .iter()
        .map(|o| {
            (
                o.url.as_str(),
                o.title.as_deref(),
                o.categories.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "https://kossev.info/feed/",
                Some("KoSSev & co"),
                vec!["Partners"]
            ),
            (
                "https://example.org/rss.xml",
                Some("Без наслова"),
                vec!["Partners"]
            ),
        ]
    );
    assert!(opml_feeds("<rss><channel/></rss>").is_err());
    assert_eq!(
        feed_url("feed://kossev.info/feed/").unwrap().as_str(),
        "http://kossev.info/feed/"
    );
    assert_eq!(
        feed_url("feed:https://kossev.info/feed/").unwrap().as_str(),
        "https://kossev.info/feed/"
    );
    assert!(feed_url("file:///etc/passwd").is_none());
    assert!(feed_url("/relative/feed").is_none());
    assert!(opml_feeds("<opml><body><outline").is_err());
}

#[test]
fn a_broken_escape_or_an_empty_title_does_not_lose_an_outline() {
    let opml = r#"<opml><body>
  <outline title="" text="News &nbsp; Views" xmlUrl="https://a.example/feed"/>
  <outline title="R&D" xmlUrl="https://b.example/feed"/>
</body></opml>"#;
    let feeds = opml_feeds(opml).unwrap();
    let titles: Vec<Option<&str>> = feeds.iter().map(|o| o.title.as_deref()).collect();
    assert_eq!(titles, [Some("News &nbsp; Views"), Some("R&D")]);
}

#[test]
fn folders_and_category_attributes_are_an_outlines_categories() {
    let opml = r#"<opml version="2.0"><body>
  <outline text="Culture">
    <outline text="Film"><outline xmlUrl="https://a.example/feed" category="/Women Caucus,/x/Dialogue/"/></outline>
    <outline xmlUrl="https://b.example/feed"/>
  </outline>
  <outline xmlUrl="https://c.example/feed"/>
</body></opml>"#;
    let feeds = opml_feeds(opml).unwrap();
    let categories: Vec<Vec<&str>> = feeds
        .iter()
        .map(|o| o.categories.iter().map(String::as_str).collect())
        .collect();
    assert_eq!(
        categories,
        [
            vec!["Culture", "Film", "Women Caucus", "Dialogue"],
            vec!["Culture"],
            vec![],
        ]
    );
}

#[test]
fn a_public_page_cannot_send_discovery_to_local_addresses() {
    let url = |u: &str| Url::parse(u).unwrap();
    let public = url("https://partner.example/");
    for inside in [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:8080/feeds/all.rss",
        "http://[::ffff:10.0.0.1]/feed",
        "http://localhost/feed",
        "http://192.168.1.10/rss.xml",
    ] {
        assert!(!may_fetch(&url(inside), &public, false), "{inside}");
        assert!(may_fetch(&url(inside), &public, true), "{inside}");
    }
    assert!(may_fetch(
        &url("https://cdn.partner.example/feed"),
        &public,
        false
    ));
    // A local page the operator typed may name local feeds.
    let local = url("http://127.0.0.1:9000/");
    assert!(may_fetch(
        &url("http://127.0.0.1:9000/feed/"),
        &local,
        false
    ));
}

#[test]
fn ids_come_from_the_host() {
    assert_eq!(id_from_host("www.kossev.info"), "kossev");
    assert_eq!(id_from_host("news.kwn.example.org"), "news-kwn-example");
    assert_eq!(id_from_host("127.0.0.1"), "127-0-0-1");
    assert_eq!(id_from_host("localhost"), "localhost");
    assert_eq!(
        unique_id("kossev", &["kossev".into(), "kossev-2".into()]),
        "kossev-3"
    );
    assert_eq!(unique_id("bfpe", &["kossev".into()]), "bfpe");
}

#[test]
fn alternate_links_of_feed_types_are_read_against_the_base() {
    let page = Url::parse("https://partner.example/sr/vesti/").unwrap();
    let html = br#"<html><head>
            <link rel="stylesheet" href="/style.css">
            <link rel="alternate" type="application/rss+xml" title="Vesti" href="/sr/feed/">
            <link rel="Alternate home" type="application/atom+xml; charset=utf-8" href="atom.xml">
            <link rel="alternate" type="text/html" hreflang="en" href="/en/">
            <link rel="alternate" type="application/feed+json" href="javascript:alert(1)">
            </head><body><a href="/feed/">RSS</a></body></html>"#;
    let found: Vec<String> = parse::html::feed_links(html, Some(&page))
        .iter()
        .map(Url::to_string)
        .collect();
    assert_eq!(
        found,
        [
            "https://partner.example/sr/feed/",
            "https://partner.example/sr/vesti/atom.xml"
        ]
    );
    let based = br#"<head><base href="https://cdn.partner.example/x/"><link rel="alternate" type="application/atom+xml" href="feed.atom"></head>"#;
    assert_eq!(
        parse::html::feed_links(based, Some(&page))[0].as_str(),
        "https://cdn.partner.example/x/feed.atom"
    );
}
