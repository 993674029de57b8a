//! Each format read as it is written: RSS 2.0 and RSS 1.0, Atom 1.0 and 0.3, JSON Feed,
//! and the markup feeds put where XML wants text.

use super::*;

#[test]
fn normalizes_rss_items() {
    let it = items(RSS);
    assert_eq!(it.len(), 2);
    let a = &it[0];
    assert_eq!(a.title, "Workshop on the Brussels dialogue");
    assert_eq!(
        a.link.as_deref(),
        Some("https://balkansgroup.example/en/news/workshop/")
    );
    assert_eq!(a.identity, Identity::Guid("bprg-1".into()));
    assert_eq!(a.summary, "Students discussed");
    let content = a.content.as_deref().unwrap();
    assert!(
        content.contains("https://balkansgroup.example/en/report.pdf"),
        "{content}"
    );
    assert!(!content.contains("script") && !content.contains("onclick"));
    assert_eq!(
        a.published.unwrap().to_rfc3339(),
        "2020-02-25T09:00:00+00:00"
    );
    assert_eq!(a.categories, vec!["Dialogue".to_string()]);
    assert_eq!(a.lang.as_deref(), Some("en"));

    let b = &it[1];
    assert_eq!(b.title, "Only a description here");
    assert_eq!(
        b.identity,
        Identity::Link("https://balkansgroup.example/en/untitled/".into())
    );
    assert_eq!(b.published, None);
}

#[test]
fn atom_xml_base_resolves_links() {
    let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://kspag.example/">
      <title>KSPAG</title><id>tag:kspag.example,2020:feed</id><updated>2020-02-03T10:00:00Z</updated>
      <entry xml:base="https://kspag.example/sq/"><title>Takimi i Komitetit Drejtues</title>
        <id>tag:kspag.example,2020:5</id><updated>2020-02-03T10:00:00Z</updated>
        <link rel="alternate" href="lajme/takimi-i-peste/"/>
        <content type="html">&lt;p&gt;Marrëveshjet teknike &lt;img src="img/a.jpg"&gt;&lt;/p&gt;</content></entry>
    </feed>"#;
    let it = items(doc);
    assert_eq!(
        it[0].link.as_deref(),
        Some("https://kspag.example/sq/lajme/takimi-i-peste/")
    );
    let content = it[0].content.as_deref().unwrap();
    // Relative URLs in content resolve against the xml:base in scope (the entry's), not the
    // entry's page.
    assert!(
        content.contains(r#"src="https://kspag.example/sq/img/a.jpg""#),
        "{content}"
    );
    assert_eq!(it[0].summary, "Marrëveshjet teknike");
}

#[test]
fn json_feed_is_parsed() {
    let doc = r#"{"version":"https://jsonfeed.org/version/1.1","title":"BFPE","home_page_url":"https://bfpe.example/",
      "items":[{"id":"1","url":"https://bfpe.example/vesti/1","title":"Дијалог Београда и Приштине","content_text":"Текст.","date_published":"2020-02-04T09:00:00+01:00"}]}"#;
    let it = items(doc);
    assert_eq!(it[0].title, "Дијалог Београда и Приштине");
    assert_eq!(it[0].summary, "Текст.");
}

#[test]
fn unescaped_html_and_dublin_core_in_rss_items_are_read() {
    let doc = r#"<?xml version="1.0"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>T</title><link>https://a.example/</link>
<item><title>Raw</title><link>https://a.example/1</link><description><p>Hello <b>world</b> and <a href="/x" onclick="y()">more</a></p></description></item>
<item><title>Cut <em>short</em> title</title><link>https://a.example/2</link><description>Starts as text, <i>then</i> markup</description></item>
<item><dc:title>Naslov R&amp;D</dc:title><link>https://a.example/3</link><dc:description>Opis na srpskom</dc:description></item>
<item><title>Escaped</title><link>https://a.example/4</link><description>&lt;p&gt;Kept &lt;b&gt;as it was&lt;/b&gt;&lt;/p&gt;</description><content:encoded><p>Full <b>body</b></p></content:encoded></item>
</channel></rss>"#;
    let it = items(doc);
    assert_eq!(it.len(), 4);
    assert_eq!(it[0].summary, "Hello world and more");
    let content = it[0].content.as_deref().unwrap();
    assert!(content.contains("<b>world</b>"), "{content}");
    assert!(content.contains("https://a.example/x"), "{content}");
    assert!(!content.contains("onclick"), "{content}");
    assert_eq!(it[1].title, "Cut short title");
    assert_eq!(it[1].summary, "Starts as text, then markup");
    assert_eq!(it[2].title, "Naslov R&D");
    assert_eq!(it[2].summary, "Opis na srpskom");
    assert_eq!(it[3].summary, "Kept as it was");
    assert!(it[3]
        .content
        .as_deref()
        .unwrap()
        .contains("Full <b>body</b>"));
}

#[test]
fn a_feed_without_raw_markup_reads_as_before() {
    // The second pass only ever replaces what feed-rs could not read: RSS with its HTML
    // escaped, or in CDATA, comes out the same whether or not it runs.
    let it = items(RSS);
    assert_eq!(it[0].summary, "Students discussed");
    assert_eq!(it[1].title, "Only a description here");
}

#[test]
fn atom_0_3_feeds_are_read() {
    let doc = r#"<?xml version="1.0" encoding="utf-8"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#" xml:lang="sr">
<title>Stari blog</title><link rel="alternate" type="text/html" href="https://old.example/"/>
<modified>2005-03-01T10:00:00Z</modified>
<entry><title type="text/html" mode="escaped">Dijalog &amp;amp; saradnja</title>
<link rel="alternate" type="text/html" href="https://old.example/2005/03/dijalog.html"/>
<id>tag:old.example,2005:1</id><issued>2005-03-01T09:00:00+01:00</issued><modified>2005-03-01T10:00:00Z</modified>
<author><name>Ana</name></author>
<content type="application/xhtml+xml" mode="xml" xml:base="https://old.example/2005/03/"><div xmlns="http://www.w3.org/1999/xhtml">Radionica o <b>dijalogu</b>, <a href="slike.html">slike</a>.</div></content>
</entry></feed>"#;
    let it = items(doc);
    assert_eq!(it.len(), 1);
    let a = &it[0];
    assert_eq!(a.title, "Dijalog & saradnja");
    assert_eq!(
        a.link.as_deref(),
        Some("https://old.example/2005/03/dijalog.html")
    );
    assert_eq!(a.identity, Identity::Guid("tag:old.example,2005:1".into()));
    assert_eq!(
        a.published.unwrap().to_rfc3339(),
        "2005-03-01T08:00:00+00:00"
    );
    assert_eq!(a.summary, "Radionica o dijalogu, slike.");
    let content = a.content.as_deref().unwrap();
    assert!(content.contains("<b>dijalogu</b>"), "{content}");
    assert!(
        content.contains("https://old.example/2005/03/slike.html"),
        "{content}"
    );
    assert_eq!(a.authors, vec!["Ana".to_string()]);
}

#[test]
fn review_findings_on_the_new_passes_hold() {
    // An Atom 0.3 link with a query keeps its `&` as written (escaped once).
    let atom03 = r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Old</title>
<entry><title>T</title><link rel="alternate" type="text/html" href="http://x.example/view?id=1&amp;page=2"/><id>tag:x,2005:1</id></entry></feed>"#;
    assert_eq!(
        items(atom03)[0].link.as_deref(),
        Some("http://x.example/view?id=1&page=2")
    );
    // An Atom 1.0 feed that merely declares the old namespace is not rewritten.
    let atom10 = r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:old="http://purl.org/atom/ns#"><title>N</title><id>urn:n</id><updated>2020-01-01T00:00:00Z</updated>
<entry><title>T</title><id>urn:n:1</id><updated>2020-01-01T00:00:00Z</updated><link href="https://n.example/1"/><content type="html">&lt;p&gt;Hello&lt;/p&gt;</content></entry></feed>"#;
    assert_eq!(items(atom10)[0].summary, "Hello");
    // One entry's own language, with none on the root, counts.
    let one = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>W</title><id>urn:w</id><updated>2020-01-01T00:00:00Z</updated>
<entry xml:lang="sq"><title>Një</title><id>urn:w:1</id><updated>2020-01-01T00:00:00Z</updated><link href="https://w.example/1"/></entry></feed>"#;
    assert_eq!(items(one)[0].lang.as_deref(), Some("sq"));
    let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"K","items":[{"id":"1","url":"https://k.example/1","content_text":"x","language":"sq"}]}"#;
    assert_eq!(items(json)[0].lang.as_deref(), Some("sq"));
    // An empty `<description/>` does not hide the next item's unescaped markup.
    let rss = r#"<rss version="2.0"><channel><title>R</title><link>https://r.example/</link>
<item><title>One</title><link>https://r.example/1</link><description/><pubDate>Tue, 25 Feb 2020 10:00:00 GMT</pubDate></item>
<item><title>Two</title><link>https://r.example/2</link><description>Hello <b>world</b> again</description><pubDate>Tue, 25 Feb 2020 11:00:00 GMT</pubDate></item>
</channel></rss>"#;
    assert_eq!(items(rss)[1].summary, "Hello world again");
}
