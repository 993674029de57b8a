//! Documents feed-rs would reject or read short, repaired first: an `<rss>` of another
//! version, RSS 1.0 items without a link, `xml:base`s, bare `&`s and entities, JSON Feed values
//! of the wrong type, and the count of entries it could not read.

use super::*;
use crate::parse::markup::{attr_value, element_count};

#[test]
fn rss_without_version_is_read_as_rss2() {
    let doc = RSS.replace("<rss version=\"2.0\">", "<rss>");
    assert_eq!(items(&doc).len(), 2);
    let doc = RSS.replace("<rss version=\"2.0\">", "<rss version=\"0.94\">");
    assert_eq!(items(&doc).len(), 2);
}

#[test]
fn rss_1_items_without_a_link_take_their_rdf_about() {
    let doc = r#"<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://a.example/rss"><title>C</title><link>https://a.example/</link><description>d</description></channel>
<item rdf:about="https://a.example/news/1"><title>No link</title><dc:subject>Dijalog</dc:subject></item>
<item rdf:about="https://a.example/about-2"><title>Own link</title><link>https://a.example/news/2</link></item>
<item><title>Neither</title></item>
</rdf:RDF>"#;
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    let feed = parse(doc.as_bytes(), &ctx(&url)).unwrap();
    let it: Vec<NewItem> = feed
        .entries
        .iter()
        .map(|e| normalize(e, &feed, &ctx(&url)))
        .collect();
    assert_eq!(it.len(), 2);
    assert_eq!(it[0].link.as_deref(), Some("https://a.example/news/1"));
    assert_eq!(it[0].categories, vec!["Dijalog".to_string()]);
    assert_eq!(it[1].link.as_deref(), Some("https://a.example/news/2"));
    // The item with neither is still counted as unread.
    assert!(
        feed.warnings.iter().any(|w| w.contains("1 of 3 entries")),
        "{:?}",
        feed.warnings
    );
}

#[test]
fn rdf_items_without_an_end_tag_are_looked_at_once() {
    // Each `<item` is searched up to the next one: linear, however many there are.
    let mut doc = String::from(
        r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel rdf:about="x"><title>C</title></channel>"#,
    );
    for i in 0..3 {
        doc.push_str(&format!(
            r#"<item rdf:about="https://a.example/{i}"><title>T{i}</title>"#
        ));
    }
    let linked = link_from_about(&doc).unwrap();
    assert_eq!(linked.matches("<link>").count(), 3);
    assert!(linked
        .contains(r#"<item rdf:about="https://a.example/2"><link>https://a.example/2</link>"#));
}

#[test]
fn item_tags_that_never_end_are_passed_over_once() {
    // Two megabytes of `<item` that never close, then a real item: the search for each tag's
    // end stops at the next `<`, so the pass stays linear (scanning to the end of the
    // document from each of the 400,000 starts would take minutes), and the real item still
    // gets its link.
    let mut doc = String::from(
        r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" rdf:about="x">"#,
    );
    doc.push_str(&"<item".repeat(200_000));
    doc.push_str(&"<item ".repeat(200_000));
    doc.push_str(r#"<item rdf:about="https://a.example/1"><title>T</title></item></rdf:RDF>"#);
    let linked = link_from_about(&doc).unwrap();
    assert_eq!(linked.matches("<link>").count(), 1);
    assert!(linked
        .contains(r#"<item rdf:about="https://a.example/1"><link>https://a.example/1</link>"#));
    assert_eq!(
        linked.len(),
        doc.len() + "<link>https://a.example/1</link>".len()
    );
}

/// A relative `xml:base` is resolved against the document's address (not dropped, which
/// left links under it resolved against the site's root); one that is no URL at all is
/// passed over with a warning instead of rejecting the document.
#[test]
fn relative_and_broken_xml_bases() {
    let doc = |base: &str| {
        format!(
            r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="{base}">
      <title>Blog</title><id>urn:blog</id><updated>2020-02-03T10:00:00Z</updated>
      <entry><title>A post on the blog</title><id>urn:blog:1</id><updated>2020-02-03T10:00:00Z</updated>
        <link rel="alternate" href="2024/post"/><content type="html">&lt;a href="more"&gt;more&lt;/a&gt;</content></entry></feed>"#
        )
    };
    let relative = items(&doc("/blog/"));
    assert_eq!(
        relative[0].link.as_deref(),
        Some("http://127.0.0.1:8000/blog/2024/post")
    );
    assert!(
        relative[0]
            .content
            .as_deref()
            .unwrap()
            .contains("http://127.0.0.1:8000/blog/more"),
        "{:?}",
        relative[0].content
    );
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    for broken in ["http://", "http://exa mple/"] {
        let feed = parse(doc(broken).as_bytes(), &ctx(&url)).unwrap();
        assert_eq!(feed.entries.len(), 1, "{broken}");
        assert!(
            feed.warnings.iter().any(|w| w.contains("xml:base")),
            "{broken}: {:?}",
            feed.warnings
        );
    }
}

/// Only a relative base makes the document's address the base: in a document without one,
/// links outside any `xml:base` keep resolving against the feed's site, as before; a relative
/// base below the root is resolved as one on the root is.
#[test]
fn a_document_without_a_relative_base_leaves_links_to_the_site() {
    let doc = r#"<?xml version="1.0"?><!-- a feed --><rss version="2.0"><channel><title>T</title>
      <link>https://site.example/</link>
      <item><title>Under no base at all</title><link>news/1</link></item>
      <item xml:base="https://cdn.example/x/"><title>Under a base of its own</title><link>news/2</link></item>
      </channel></rss>"#;
    let it = items(doc);
    assert_eq!(it[0].link.as_deref(), Some("https://site.example/news/1"));
    assert_eq!(it[1].link.as_deref(), Some("https://cdn.example/x/news/2"));
    assert!(!bases(doc).relative);
    let entry = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>B</title><id>urn:b</id><updated>2020-02-03T10:00:00Z</updated>
      <entry xml:base="/posts/2024/"><title>A post under a base of its own</title><id>urn:b:1</id><updated>2020-02-03T10:00:00Z</updated>
        <link rel="alternate" href="hello.html"/></entry></feed>"#;
    assert!(bases(entry).relative);
    assert_eq!(
        items(entry)[0].link.as_deref(),
        Some("http://127.0.0.1:8000/posts/2024/hello.html")
    );
    // An emptied base (one that was no URL) is no relative base.
    assert!(!bases(r#"<feed xml:base=""><entry/></feed>"#).relative);
}

/// feed-rs keeps a named entity XML does not define (`&eacute;`, `&nbsp;`) as it is written,
/// and titles and summaries are read as HTML, which defines it: such a feed needs no repair.
#[test]
fn html_entities_xml_does_not_define_are_decoded_without_a_repair() {
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    let c = ctx(&url);
    let doc = rss_item(
        "<title>Caf&eacute; &amp; cr&egrave;me&nbsp;br&ucirc;l&eacute;e</title>\
         <link>https://r.example/1?a=1&amp;b=2</link><description>&copy; 2020 &mdash; all</description>",
    );
    let feed = parse(doc.as_bytes(), &c).unwrap();
    assert!(feed.warnings.is_empty(), "{:?}", feed.warnings);
    let it = normalize(&feed.entries[0], &feed, &c);
    assert_eq!(it.title, "Café & crème brûlée");
    assert_eq!(it.link.as_deref(), Some("https://r.example/1?a=1&b=2"));
    assert_eq!(it.summary, "© 2020 — all");
}

#[test]
fn bare_ampersands_are_read_as_text_and_said_in_a_warning() {
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    let c = ctx(&url);
    let doc = rss_item(
        "<title>Trade & investment report</title><link>http://r.example/q?a=1&b=2</link>\
         <description><![CDATA[<p>R&D &amp; more</p>]]> R&amp;D & co</description>",
    );
    let feed = parse(doc.as_bytes(), &c).unwrap();
    assert_eq!(feed.entries.len(), 1);
    assert_eq!(
        feed.warnings,
        ["3 `&` not starting an entity or character reference read as text (XML wants `&amp;`)"]
    );
    let it = normalize(&feed.entries[0], &feed, &c);
    assert_eq!(it.title, "Trade & investment report");
    assert_eq!(it.link.as_deref(), Some("http://r.example/q?a=1&b=2"));
    // The CDATA section was left as written; the `&amp;`s outside it read as one `&` each.
    assert_eq!(it.summary, "R&D & more R&D & co");
    // A link that is all there is, in a title too.
    let doc = rss_item("<title>Q&A</title><link>https://r.example/?a=1&b=2&c</link>");
    let it = items(&doc);
    assert_eq!(it[0].title, "Q&A");
    assert_eq!(it[0].link.as_deref(), Some("https://r.example/?a=1&b=2&c"));

    // Atom, 1.0 and 0.3 (which is rewritten once it can be read).
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>A & B</title>
<entry><id>tag:a.example,2020:1</id><title>Fish & chips</title><link href="https://a.example/1?x=1&y=2"/><updated>2020-02-01T00:00:00Z</updated></entry></feed>"#;
    let it = items(atom);
    assert_eq!(it[0].title, "Fish & chips");
    assert_eq!(it[0].link.as_deref(), Some("https://a.example/1?x=1&y=2"));
    let atom03 = r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Old</title>
<entry><id>tag:old.example,2005:1</id><title>Salt & pepper</title><link rel="alternate" type="text/html" href="https://old.example/1"/>
<issued>2005-01-01T00:00:00Z</issued><modified>2005-01-02T00:00:00Z</modified></entry></feed>"#;
    let it = items(atom03);
    assert_eq!(it[0].title, "Salt & pepper");
    assert_eq!(it[0].link.as_deref(), Some("https://old.example/1"));
    assert_eq!(
        it[0].published.map(|d| d.to_rfc3339()).as_deref(),
        Some("2005-01-01T00:00:00+00:00")
    );
}

#[test]
fn character_references_that_are_no_character_are_read_as_text() {
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    let c = ctx(&url);
    let doc = rss_item("<title>&#X41; and &#12a; &#0;</title><link>https://r.example/1</link>");
    let feed = parse(doc.as_bytes(), &c).unwrap();
    assert_eq!(feed.warnings.len(), 1, "{:?}", feed.warnings);
    let it = normalize(&feed.entries[0], &feed, &c);
    // Read as HTML reads them: `&#X41;` is an `A` there.
    assert_eq!(it.title, "A and &#12a; &#0;");
}

/// A JSON Feed whose values are of another type than the spec's where a string belongs (a
/// number id, numbers and nulls among the tags, a null title) is read, not refused whole.
#[test]
fn a_json_feed_with_values_of_the_wrong_type_is_read() {
    let doc = r#"{"version": "https://jsonfeed.org/version/1.1", "title": "P",
        "items": [
            {"id": 123, "url": "https://p.example/a", "title": null,
             "content_text": "First story text.", "tags": ["Vesti", 42, null, {"x": 1}]},
            {"id": "b", "url": "https://p.example/b", "title": "Second", "content_text": "B"}
        ]}"#;
    let url = Url::parse("http://127.0.0.1:8000/feed.json").unwrap();
    let c = ctx(&url);
    let feed = parse(doc.as_bytes(), &c).unwrap();
    assert_eq!(feed.entries.len(), 2);
    assert!(
        feed.warnings
            .iter()
            .any(|w| w.contains("JSON Feed values of the wrong type")),
        "{:?}",
        feed.warnings
    );
    let got = items(doc);
    assert_eq!(got[0].categories, ["Vesti", "42"]);
    assert_eq!(got[1].title, "Second");
    // The feed's own title, which the reader requires, null: read as empty.
    let untitled = r#"{"version": "https://jsonfeed.org/version/1.1", "title": null,
        "items": [{"id": "a", "content_text": "x"}]}"#;
    assert_eq!(parse(untitled.as_bytes(), &c).unwrap().entries.len(), 1);
    // People and attachments of the wrong shape, an item that is no object.
    let shapes = r#"{"version": "https://jsonfeed.org/version/1.1", "title": "P",
        "authors": "Desk",
        "items": ["a string", null,
            {"id": "a", "content_text": "x", "author": "Jane", "authors": ["Jane", 5, {"name": 7}],
             "attachments": [{"url": 5}, "x", {"url": "https://p.example/a.mp3", "mime_type": "audio/mpeg", "size_in_bytes": "big"}]},
            {"id": "b", "content_text": "y", "attachments": "x"}]}"#;
    let feed = parse(shapes.as_bytes(), &c).unwrap();
    assert_eq!(feed.entries.len(), 2);
    let got = items(shapes);
    assert_eq!(got[0].authors, ["Jane", "7"]);
    assert_eq!(got[0].enclosures.len(), 1);
    assert_eq!(got[0].enclosures[0].url, "https://p.example/a.mp3");
    // Valid JSON that is no feed at all is still refused.
    assert!(parse(br#"{"items": 5}"#, &c).is_err());
}

#[test]
fn entries_the_parser_cannot_read_are_counted_in_a_warning() {
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    let c = ctx(&url);
    // RSS 0.90 items with neither a link nor an rdf:about to take one from.
    let rss090 = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/">
<channel><title>Old</title></channel><item><title>Item title</title></item><item><title>Another</title></item></rdf:RDF>"#;
    let feed = parse(rss090.as_bytes(), &c).unwrap();
    assert!(feed.entries.is_empty());
    assert!(
        feed.warnings
            .iter()
            .any(|w| w.starts_with("2 of 2 entries in the document could not be read")),
        "{:?}",
        feed.warnings
    );
    // A whole feed, `<items>` and namespaced names counted right: no warning.
    let feed = parse(RSS.as_bytes(), &c).unwrap();
    assert_eq!(feed.entries.len(), 2);
    assert!(feed.warnings.is_empty(), "{:?}", feed.warnings);
    assert_eq!(
        element_count(
            "<rdf:RDF><items/><rss:item a='1'/><item>x</item></rdf:RDF>",
            &["item"]
        ),
        2
    );
    assert_eq!(
        element_count(
            "<rss><!-- <item>template</item> --><item><description><![CDATA[each story is an <item> element]]></description></item></rss>",
            &["item"]
        ),
        1
    );
    assert_eq!(element_count("<item", &["item"]), 0);
    assert_eq!(element_count("<!-- unclosed <item>", &["item"]), 0);
}

#[test]
fn an_attribute_is_read_by_its_name_not_inside_another_value() {
    let tag = r#"<rss a='b version="0.91"' version="2.0" xmlns:dc="x">"#;
    assert_eq!(attr_value(tag, "version"), Some("2.0"));
    assert_eq!(attr_value(tag, "xmlns"), None);
    assert_eq!(attr_value("<rss version='0.92'>", "version"), Some("0.92"));
    assert_eq!(
        attr_value(r#"<item rdf:about="https://x.example/1"/>"#, "rdf:about"),
        Some("https://x.example/1")
    );
    assert_eq!(attr_value("<rss>", "version"), None);
}
