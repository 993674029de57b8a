//! Dates, authors, categories and languages as items keep them.

use super::*;
use crate::parse::text::author_name;

#[test]
fn future_dates_are_treated_as_missing() {
    let doc = RSS.replace(
        "Tue, 25 Feb 2020 10:00:00 CET",
        "Fri, 31 Dec 9998 10:00:00 GMT",
    );
    assert_eq!(items(&doc)[0].published, None);
}

/// The placeholders of writers without a date (Go's zero time, the Unix epoch) are no dates:
/// the story would be listed below every other and removed by retention at once.
#[test]
fn placeholder_dates_are_treated_as_missing() {
    for placeholder in [
        "Mon, 01 Jan 0001 00:00:00 +0000",
        "Thu, 01 Jan 1970 00:00:00 +0000",
    ] {
        let doc = RSS.replace("Tue, 25 Feb 2020 10:00:00 CET", placeholder);
        assert_eq!(items(&doc)[0].published, None, "{placeholder}");
    }
    let atom = |published: &str, updated: &str| {
        format!(
            r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:t</id><updated>2020-02-29T10:00:00Z</updated>
            <entry><title>A story with dates</title><id>urn:t:1</id><link href="https://x.example/1"/>
            <published>{published}</published><updated>{updated}</updated></entry></feed>"#
        )
    };
    let zero = items(&atom("0001-01-01T00:00:00Z", "2020-02-29T10:00:00Z"));
    assert_eq!(
        zero[0].published.unwrap().to_rfc3339(),
        "2020-02-29T10:00:00+00:00"
    );
    // A post scheduled ahead and updated now is dated by its update.
    let ahead = items(&atom("9998-01-01T00:00:00Z", "2020-02-29T10:00:00Z"));
    assert_eq!(
        ahead[0].published.unwrap().to_rfc3339(),
        "2020-02-29T10:00:00+00:00"
    );
}

#[test]
fn dates_without_a_zone_are_read_in_the_sources_zone_in_every_format() {
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    let dc = "http://purl.org/dc/elements/1.1/";
    let docs = [
        format!(
            r#"<rss version="2.0" xmlns:dc="{dc}"><channel><title>T</title>
<item><title>A</title><link>https://a.example/1</link><pubDate>23.11.2019 10:00</pubDate></item>
<item><title>B</title><link>https://a.example/2</link><dc:date>2019-07-01T10:00:00</dc:date></item>
</channel></rss>"#
        ),
        r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:t</id>
<entry><title>A</title><id>urn:a</id><link href="https://a.example/1"/><updated>2019-11-23T10:00:00</updated></entry>
<entry><title>B</title><id>urn:b</id><link href="https://a.example/2"/><updated>2019-07-01T10:00:00</updated></entry>
</feed>"#
            .to_string(),
        r#"{"version":"https://jsonfeed.org/version/1.1","title":"T","items":[
{"id":"1","url":"https://a.example/1","title":"A","content_text":"x","date_published":"2019-11-23T10:00:00"},
{"id":"2","url":"https://a.example/2","title":"B","content_text":"y","date_published":"2019-07-01T10:00:00"}]}"#
            .to_string(),
    ];
    for doc in &docs {
        let dates = |zone| {
            let c = Context {
                time_zone: zone,
                ..ctx(&url)
            };
            let feed = parse(doc.as_bytes(), &c).unwrap();
            feed.entries
                .iter()
                .map(|e| normalize(e, &feed, &c).published.unwrap().to_rfc3339())
                .collect::<Vec<_>>()
        };
        // Winter in Belgrade is UTC+1, summer UTC+2.
        assert_eq!(
            dates(Some(chrono_tz::Europe::Belgrade)),
            ["2019-11-23T09:00:00+00:00", "2019-07-01T08:00:00+00:00"],
            "{doc}"
        );
        assert_eq!(
            dates(None),
            ["2019-11-23T10:00:00+00:00", "2019-07-01T10:00:00+00:00"],
            "{doc}"
        );
    }
}

#[test]
fn an_atom_entry_without_authors_has_its_feeds() {
    let doc = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>KSPAG</title><id>urn:x:feed</id>
<updated>2026-02-21T16:20:00Z</updated><author><name>KSPAG Secretariat</name></author>
<entry><title>Roundtable on the dialogue</title><id>urn:x:1</id>
<link href="https://kspag.example/1"/><updated>2026-02-21T16:20:00Z</updated></entry>
<entry><title>Statement</title><id>urn:x:2</id><link href="https://kspag.example/2"/>
<updated>2026-02-20T10:00:00Z</updated><author><name>Ana</name></author></entry>
</feed>"#;
    let it = items(doc);
    assert_eq!(it[0].authors, ["KSPAG Secretariat"]);
    assert_eq!(it[1].authors, ["Ana"]);
    // An RSS channel's editor is no author of its items.
    let rss = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<link>https://t.example/</link><description>d</description>
<managingEditor>ed@t.example (Editor)</managingEditor>
<item><title>Item</title><link>https://t.example/1</link></item></channel></rss>"#;
    assert!(items(rss)[0].authors.is_empty());
}

/// An entry copied from another feed (a Planet's feed: each entry's `<source>` names the feed
/// it came from) and naming no author is by the authors of its `<source>`, then by the
/// aggregating feed's (RFC 4287, 4.2.1); it was credited to the aggregating feed.
#[test]
fn an_atom_entry_without_authors_has_its_sources_before_its_feeds() {
    let doc = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:a="http://www.w3.org/2005/Atom"><title>Planet Partners</title>
<id>urn:p:feed</id><updated>2026-02-21T16:20:00Z</updated><author><name>Planet Admin</name></author>
<entry><title>Women's Caucus meets in Pristina</title><id>urn:p:1</id><link href="https://wc.example/1"/>
<updated>2026-02-21T16:20:00Z</updated>
<source><id>urn:wc</id><title>Women's Caucus</title><author><name> Arta &amp; Jelena </name><email>a@wc.example</email></author>
<author><name>Second</name><name>ignored</name></author><author><email>x@wc.example</email></author></source></entry>
<entry><title>Dialogue brief</title><id>urn:p:2</id><link href="https://kdi.example/2"/>
<updated>2026-02-20T10:00:00Z</updated><author><name>Own Author</name></author>
<source><title>KDI</title><author><name>Source Author</name></author></source></entry>
<entry><title>Festival</title><id>urn:p:3</id><link href="https://c.example/3"/>
<updated>2026-02-19T10:00:00Z</updated><a:source><a:title>Culture</a:title></a:source></entry>
<entry><title>Two sources</title><id>urn:p:5</id><link href="https://c.example/5"/>
<updated>2026-02-17T10:00:00Z</updated><source><author><name>First</name></author></source>
<source><author><name>Second</name></author></source></entry>
<entry><title>Prefixed</title><id>urn:p:4</id><link href="https://c.example/4"/>
<updated>2026-02-18T10:00:00Z</updated><a:source><a:author><a:name>Prefixed Name</a:name></a:author></a:source>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><video><source src="v.mp4"/></video></div></content></entry>
</feed>"#;
    let it = items(doc);
    assert_eq!(it[0].authors, ["Arta & Jelena", "Second"]);
    assert_eq!(it[1].authors, ["Own Author"]);
    // A source naming no author: the aggregating feed's.
    assert_eq!(it[2].authors, ["Planet Admin"]);
    assert_eq!(it[3].authors, ["First"]);
    assert_eq!(it[4].authors, ["Prefixed Name"]);
}

#[test]
fn author_names_lose_the_address_written_beside_them() {
    for (raw, want) in [
        ("Ana Jović (ana@example.com)", "Ana Jović"),
        ("Ana Jović <ana@example.com>", "Ana Jović"),
        ("(Ana Jović)", "Ana Jović"),
        ("ana@example.com (Ana Jović)", "Ana Jović"),
        ("Beogradski centar (BCBP)", "Beogradski centar (BCBP)"),
        ("ana@example.com", "ana@example.com"),
    ] {
        assert_eq!(author_name(raw), want, "{raw}");
    }
}

#[test]
fn an_item_keeps_its_first_twenty_distinct_categories_of_however_many() {
    // 100,000 categories and as many `dc:subject`s, each compared once (against the others
    // they would be 10^10 comparisons).
    let mut doc = String::from(
        r#"<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>P</title><item><title>Many tags</title><guid>1</guid><category>Dialogue</category><category>Dialogue</category>"#,
    );
    for i in 0..100_000 {
        doc.push_str(&format!(
            "<category>c{i}</category><dc:subject>s{i}</dc:subject>"
        ));
    }
    doc.push_str("</item></channel></rss>");
    let got = items(&doc);
    let categories = &got[0].categories;
    assert_eq!(categories.len(), 20);
    assert_eq!(categories[0], "Dialogue");
    assert_eq!(categories[1], "c0");
}

/// A category is named by its label, else its term (a blank label names nothing); letter-case
/// variants are one category and take one of the twenty places. The entry's hash reads the
/// terms, as stories stored before were hashed.
#[test]
fn categories_are_named_by_label_once_whatever_the_case() {
    let atom = |label: &str| {
        let mut doc = String::from(
            r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>F</title><id>urn:f</id><updated>2026-11-01T00:00:00Z</updated><entry><id>urn:e</id><title>E</title><updated>2026-11-01T00:00:00Z</updated>"#,
        );
        doc.push_str(&format!(
            r#"<category term="diplomas" label="{label}"/><category term="t1" label="   "/>"#
        ));
        for c in ["Alpha", "alpha", "ALPHA", "Beta", "beta"] {
            doc.push_str(&format!(r#"<category term="{c}"/>"#));
        }
        for i in 0..20 {
            doc.push_str(&format!(
                r#"<category term="c{i}"/><category term="C{i}"/>"#
            ));
        }
        doc.push_str("</entry></feed>");
        doc
    };
    let got = items(&atom("Diplomas"));
    let categories = &got[0].categories;
    assert_eq!(categories.len(), 20);
    assert_eq!(categories[..5], ["Diplomas", "t1", "Alpha", "Beta", "c0"]);
    assert_eq!(categories[19], "c15");
    let relabelled = items(&atom("Recognition of diplomas"));
    assert_eq!(got[0].content_hash, relabelled[0].content_hash);
    assert_eq!(relabelled[0].categories[0], "Recognition of diplomas");
}

#[test]
fn entries_keep_their_own_language() {
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en"><title>W</title><id>urn:w</id><updated>2020-01-01T00:00:00Z</updated>
<entry xml:lang="sq"><title>Grupi i Grave Deputete</title><id>urn:w:1</id><updated>2020-01-01T00:00:00Z</updated><link href="https://w.example/1"/></entry>
<entry><title>Women's Caucus</title><id>urn:w:2</id><updated>2020-01-01T00:00:00Z</updated><link href="https://w.example/2"/></entry></feed>"#;
    let langs: Vec<_> = items(atom).into_iter().map(|i| i.lang).collect();
    assert_eq!(langs, [Some("sq".to_string()), Some("en".to_string())]);

    let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"K","language":"en","items":[
      {"id":"1","url":"https://k.example/1","title":"Targat e automjeteve","content_text":"x","language":"sq"},
      {"id":"2","url":"https://k.example/2","title":"Plates","content_text":"y"}]}"#;
    let langs: Vec<_> = items(json).into_iter().map(|i| i.lang).collect();
    assert_eq!(langs, [Some("sq".to_string()), Some("en".to_string())]);

    let rss = r#"<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>M</title><link>https://m.example/</link><language>sr-Cyrl</language>
<item><title>Exit festival announces its programme</title><link>https://m.example/1</link><description>x</description><dc:language>en</dc:language></item>
<item><title>Наслов</title><link>https://m.example/2</link><description>y</description></item></channel></rss>"#;
    let langs: Vec<_> = items(rss)
        .into_iter()
        .map(|i| i.lang.unwrap().to_ascii_lowercase())
        .collect();
    assert_eq!(langs, ["en", "sr-cyrl"]);
}

#[test]
fn a_serbian_feeds_stories_are_filed_under_the_script_they_are_written_in() {
    let doc = "<?xml version=\"1.0\"?>\n<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>T</title>\
               <link>https://r.example/</link><language>sr-RS</language>\
               <item><title>Посланице траже већу заступљеност жена</title><link>https://r.example/1</link></item>\
               <item><title>Poslanice traže veću zastupljenost žena</title><link>https://r.example/2</link></item>\
               <item><title>NIN</title><link>https://r.example/3</link></item>\
               <item><title>Hello</title><link>https://r.example/4</link><dc:language>EN-gb</dc:language></item>\
               </channel></rss>";
    let langs: Vec<Option<String>> = items(doc).into_iter().map(|i| i.lang).collect();
    assert_eq!(
        langs,
        [
            Some("sr-Cyrl-RS".to_string()),
            Some("sr-Latn-RS".to_string()),
            // Too little text to tell, and the source (English) names no script.
            Some("sr-RS".to_string()),
            Some("en-GB".to_string()),
        ]
    );
}
