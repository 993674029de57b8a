//! Documents of far more than is read: entries, authors, text and `xml:base`s cut to their
//! limits before they cost, each cut said in a warning.

use super::*;
use crate::parse::build::MAX_ENTRY_TEXT;

/// The warnings of `feed` that say `what`.
fn saying<'f>(feed: &'f ParsedFeed, what: &str) -> Vec<&'f String> {
    feed.warnings.iter().filter(|w| w.contains(what)).collect()
}

/// A document of more entries than a feed lists is read to the first 5,000, and says so.
#[test]
fn a_document_of_too_many_entries_is_read_to_the_first_5000() {
    let mut doc = String::from(r#"<rss version="2.0"><channel><title>t</title>"#);
    for i in 0..5_010 {
        doc.push_str(&format!(
            "<item><title>Entry number {i}</title><guid>g{i}</guid></item>"
        ));
    }
    doc.push_str("</channel></rss>");
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    let feed = parse(doc.as_bytes(), &ctx(&url)).unwrap();
    assert_eq!(feed.entries.len(), 5_000);
    assert!(
        feed.warnings
            .iter()
            .any(|w| w == "the document has 5010 entries: the first 5000 were read"),
        "{:?}",
        feed.warnings
    );
}

/// An RSS document of far more items than are read is cut before the reader builds them
/// all: it reads the first 5,000, from a document as well-formed as it was, and says so once.
#[test]
fn a_document_of_far_more_entries_is_cut_before_it_is_read() {
    let mut doc = String::from(
        r#"<rss version="2.0"><channel><title>t</title><link>https://e.example/</link>"#,
    );
    for i in 0..5_000 {
        doc.push_str(&format!(
            "<item><title>T{i}</title><guid>g{i}</guid></item>\n"
        ));
    }
    // Tags of every form past the first 5,000: each is cut.
    for i in 0..3_000 {
        doc.push_str(&format!(
            "<item ><guid>h{i}</guid></item><item/><item a=\"/>\" /><!-- <item> -->\n"
        ));
    }
    doc.push_str("<image><url>https://e.example/i.png</url></image></channel></rss>");
    let (cut, said) = caps::cut(&doc).unwrap().unwrap();
    assert_eq!(
        said,
        ["the document has 14000 entries: the first 5000 were read"]
    );
    assert_eq!(cut.matches("<guid>").count(), 5_000);
    assert!(
        cut.contains("<guid>g4999</guid></item>\n<!-- <item> -->\n<image>"),
        "{}",
        &cut[cut.len() - 200..]
    );
    assert!(cut.ends_with("</image></channel></rss>"));
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    let feed = parse(doc.as_bytes(), &ctx(&url)).unwrap();
    assert_eq!(feed.entries.len(), 5_000);
    assert_eq!(feed.entries[4_999].identity, Identity::Guid("g4999".into()));
    assert_eq!(saying(&feed, "entries").len(), 1, "{:?}", feed.warnings);

    // RSS 1.0's items under the root, Atom's entries (prefixed or not), cut alike.
    let mut rdf = String::from(
        r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel rdf:about="x"><title>C</title><link>https://e.example/</link></channel>"#,
    );
    for i in 0..6_000 {
        rdf.push_str(&format!(
            r#"<item rdf:about="https://e.example/{i}"><title>T{i}</title><link>https://e.example/{i}</link></item>"#
        ));
    }
    rdf.push_str("</rdf:RDF>");
    let feed = parse(rdf.as_bytes(), &ctx(&url)).unwrap();
    assert_eq!(feed.entries.len(), 5_000);
    assert_eq!(
        saying(&feed, "entries"),
        ["the document has 6000 entries: the first 5000 were read"]
    );
    let mut atom = String::from(
        r#"<a:feed xmlns:a="http://www.w3.org/2005/Atom"><a:title>F</a:title><a:id>urn:f</a:id><a:updated>2026-11-30T10:00:00Z</a:updated>"#,
    );
    atom.push_str(&"<a:entry><a:id>urn:e</a:id><a:title>T</a:title></a:entry>".repeat(6_000));
    atom.push_str("</a:feed>");
    let (cut, _) = caps::cut(&atom).unwrap().unwrap();
    assert_eq!(cut.matches("<a:entry>").count(), 5_000);
    assert!(cut.ends_with("</a:entry></a:feed>"));
    // The feed's own elements among the entries cut stay.
    let entry = "<a:entry><a:id>urn:e</a:id><a:title>T</a:title></a:entry>";
    let among = atom.replacen(
        &entry.repeat(2),
        &format!("{entry}<a:author><a:name>Desk</a:name></a:author>{entry}"),
        1,
    );
    let among = among.replacen(
        &entry.repeat(5_500),
        &format!(
            "{}{}",
            entry.repeat(5_500),
            "<a:author><a:name>Late</a:name></a:author>"
        ),
        1,
    );
    let (cut, _) = caps::cut(&among).unwrap().unwrap();
    assert_eq!(cut.matches("<a:entry>").count(), 5_000);
    assert!(
        cut.contains("<a:name>Desk</a:name>")
            && cut.contains("</a:entry><a:author><a:name>Late</a:name></a:author></a:feed>"),
        "{}",
        &cut[cut.len() - 200..]
    );

    // Elements so named deeper than a feed's entries are not its entries: nothing is cut.
    let deep = format!(
        r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>F</title><entry><id>urn:1</id><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">{}</div></content></entry></feed>"#,
        "<item/>".repeat(6_000)
    );
    assert_eq!(caps::cut(&deep), Ok(None));
    // A document that ends before its channel does is cut as far as its entries end.
    let unended = format!(
        r#"<rss version="2.0"><channel><title>t</title>{}<item><title>half"#,
        "<item><title>x</title></item>".repeat(6_000)
    );
    let (cut, said) = caps::cut(&unended).unwrap().unwrap();
    assert_eq!(cut.matches("<item>").count(), 5_001);
    assert!(cut.ends_with("</item><item><title>half"));
    assert_eq!(
        said,
        ["the document has 6001 entries: the first 5000 were read"]
    );
}

/// A JSON Feed of far more items than are read, or of more authors than are kept for an item
/// or the feed (whose authors are each item's that names none), is cut before the reader
/// builds them all, and says what it left out.
#[test]
fn a_json_feed_of_far_more_items_or_authors_is_cut_before_it_is_read() {
    let url = Url::parse("http://127.0.0.1:8000/feed.json").unwrap();
    let c = ctx(&url);
    let list =
        |n: usize, one: &dyn Fn(usize) -> String| (0..n).map(one).collect::<Vec<_>>().join(",");
    let doc = format!(
        r#"{{"version":"https://jsonfeed.org/version/1.1","title":"T","items":[{}]}}"#,
        list(12_000, &|i| format!(
            r#"{{"id":"i{i}","content_text":"x"}}"#
        ))
    );
    let (cut, _) = caps::cut(&doc).unwrap().unwrap();
    let kept: serde_json::Value = serde_json::from_str(&cut).unwrap();
    assert_eq!(kept["items"].as_array().map(Vec::len), Some(5_000));
    let feed = parse(doc.as_bytes(), &c).unwrap();
    assert_eq!(feed.entries.len(), 5_000);
    assert_eq!(feed.entries[4_999].identity, Identity::Guid("i4999".into()));
    assert_eq!(
        saying(&feed, "entries"),
        ["the document has 12000 entries: the first 5000 were read"]
    );

    let authors = |n: usize| {
        list(n, &|i| {
            format!(r#"{{"name":"a{i}","url":"https://a.example/{i}"}}"#)
        })
    };
    let doc = format!(
        r#"{{"version":"https://jsonfeed.org/version/1.1","title":"T","authors":[{}],"items":[
            {{"id":"1","content_text":"x","authors":[{}]}},
            {{"id":"2","content_text":"y"}},
            {{"id":"3","content_text":"z","author":{{"name":"Jane"}}}}]}}"#,
        authors(1_200),
        authors(1_500)
    );
    let feed = parse(doc.as_bytes(), &c).unwrap();
    let names = |e: &RawEntry| {
        e.entry
            .authors
            .iter()
            .filter_map(|p| p.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&feed.entries[0]).len(), caps::MAX_AUTHORS);
    assert_eq!(names(&feed.entries[0])[19], "a19");
    assert_eq!(names(&feed.entries[1]).len(), caps::MAX_AUTHORS);
    assert_eq!(names(&feed.entries[2]), ["Jane"]);
    assert_eq!(
        feed.warnings,
        ["2660 authors past the first 20 of the feed or of an item were left out"]
    );
    // A name of a megabyte among the feed's authors, copied into each item naming none, is
    // cut however few objects the document has, and whatever escapes spell its member.
    for authors in ["authors", "\\u0061uthors"] {
        let doc = format!(
            r#"{{"version":"https://jsonfeed.org/version/1.1","title":"T","{authors}":[{{"name":"{}é"}}],"items":[{}]}}"#,
            "a".repeat(1 << 20),
            list(100, &|i| format!(r#"{{"id":"{i}","content_text":"x"}}"#))
        );
        let feed = parse(doc.as_bytes(), &c).unwrap();
        assert_eq!(feed.entries.len(), 100);
        assert_eq!(names(&feed.entries[99]), ["a".repeat(caps::MAX_PERSON)]);
        assert_eq!(
            feed.warnings,
            ["1 names or addresses of the feed's authors longer than 256 bytes were cut"]
        );
    }
    // Feed authors of ordinary names: read as sent.
    let desk = format!(
        r#"{{"version":"https://jsonfeed.org/version/1.1","title":"T","authors":[{}],"items":[{}]}}"#,
        authors(3),
        list(1_500, &|i| format!(r#"{{"id":"{i}","content_text":"x"}}"#))
    );
    assert_eq!(caps::cut(&desk), Ok(None));
    // Within the bounds, however many objects: the document is read as sent.
    let within = format!(
        r#"{{"version":"https://jsonfeed.org/version/1.1","title":"T","authors":[{}],"items":[{}]}}"#,
        authors(20),
        list(2_000, &|i| format!(
            r#"{{"id":"{i}","authors":[{{"name":"n"}}]}}"#
        ))
    );
    assert_eq!(caps::cut(&within), Ok(None));
    // Values of the wrong type past the cut are left out with their items; those before it
    // are mended.
    let mixed = format!(
        r#"{{"version":"https://jsonfeed.org/version/1.1","title":"T","items":[{}]}}"#,
        list(6_000, &|i| format!(r#"{{"id":{i},"content_text":"x"}}"#))
    );
    let feed = parse(mixed.as_bytes(), &c).unwrap();
    assert_eq!(feed.entries.len(), 5_000);
    assert_eq!(feed.entries[4_999].identity, Identity::Guid("4999".into()));
    assert_eq!(saying(&feed, "wrong type").len(), 1, "{:?}", feed.warnings);
}

/// A JSON document of many objects that is not JSON is refused before the reader builds the
/// items before its error, with the words it refuses a short one with.
#[test]
fn a_json_document_of_many_items_that_is_not_json_is_refused_at_once() {
    let url = Url::parse("http://127.0.0.1:8000/feed.json").unwrap();
    let c = ctx(&url);
    let doc = |n: usize, end: &str| {
        format!(
            r#"{{"version":"https://jsonfeed.org/version/1.1","title":"T","items":[{}{end}"#,
            vec!["{}"; n].join(",")
        )
    };
    let refused = |doc: String| match caps::cut(&doc) {
        Err(ParseError::Invalid(msg)) => msg,
        other => panic!("{other:?}"),
    };
    let unended = refused(doc(6_000, ""));
    assert!(
        unended.starts_with("unable to parse JSON: EOF while parsing a list"),
        "{unended}"
    );
    // A short one, refused by the reader itself, in the same words.
    let short = parse(doc(10, "").as_bytes(), &c).unwrap_err().to_string();
    assert!(
        short.starts_with("not a valid feed: unable to parse JSON: EOF while parsing a list"),
        "{short}"
    );
    let trailing = refused(doc(6_000, "]} x"));
    assert!(trailing.contains("trailing characters"), "{trailing}");
    assert!(parse(doc(10, "]} x").as_bytes(), &c).is_err());
    // A value read only when skipped (a number out of range, a lone surrogate) in a document
    // over the bounds: refused, not read as sent.
    for odd in ["1e400", r#""\udc00""#] {
        let doc = format!(
            r#"{{"version":"https://jsonfeed.org/version/1.1","title":"T","items":[{{"id":"1","x":{odd}}},{}]}}"#,
            vec!["{}"; 6_000].join(",")
        );
        let msg = refused(doc);
        assert!(
            msg.contains("6001 items") && msg.contains("cannot be read"),
            "{msg}"
        );
    }
}

/// Authors written as names alone are authors too: an item or a feed keeps the first 20 of
/// them, and a feed's name alone is cut as its named authors' are.
#[test]
fn authors_written_as_names_alone_are_bounded_too() {
    let url = Url::parse("http://127.0.0.1:8000/feed.json").unwrap();
    let c = ctx(&url);
    let names: Vec<String> = (0..5_000).map(|i| format!(r#""n{i}""#)).collect();
    let doc = format!(
        r#"{{"version":"https://jsonfeed.org/version/1.1","title":"T","items":[{{"id":"1","content_text":"x","authors":[{}]}}]}}"#,
        names.join(",")
    );
    let feed = parse(doc.as_bytes(), &c).unwrap();
    let authors = &feed.entries[0].entry.authors;
    assert_eq!(authors.len(), caps::MAX_AUTHORS);
    assert_eq!(authors[19].name.as_deref(), Some("n19"));
    let doc = format!(
        r#"{{"version":"https://jsonfeed.org/version/1.1","title":"T","author":"{}","items":[{}]}}"#,
        "a".repeat(1 << 20),
        (0..100)
            .map(|i| format!(r#"{{"id":"{i}","content_text":"x"}}"#))
            .collect::<Vec<_>>()
            .join(",")
    );
    let feed = parse(doc.as_bytes(), &c).unwrap();
    assert_eq!(
        feed.entries[99].entry.authors[0]
            .name
            .as_deref()
            .map(str::len),
        Some(caps::MAX_PERSON)
    );
}

/// A summary or body longer than [`MAX_ENTRY_TEXT`] is cut to it, with a warning: the HTML
/// parser's time grows with the square of some markup's length. A tag the cut leaves
/// unfinished is dropped, the elements left open are closed.
#[test]
fn entries_texts_are_cut_to_their_longest_with_a_warning() {
    let long = format!(
        "<p>{}</p><p><img src=\"https://e.example/picture.png\"></p>",
        "word ".repeat((MAX_ENTRY_TEXT - 40) / 5)
    );
    assert!(long.len() > MAX_ENTRY_TEXT);
    let doc = format!(
        r#"<rss version="2.0"><channel><title>t</title>
      <item><title>Long</title><guid>1</guid><description><![CDATA[{long}]]></description></item>
      <item><title>Short</title><guid>2</guid><description><![CDATA[<p>A short <b>one</b>.</p>]]></description></item>
      </channel></rss>"#
    );
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    let c = ctx(&url);
    let feed = parse(doc.as_bytes(), &c).unwrap();
    assert_eq!(
        feed.warnings,
        ["1 entry's text was longer than 256 KiB cut to that length"]
    );
    let items: Vec<NewItem> = feed
        .entries
        .iter()
        .map(|e| normalize(e, &feed, &c))
        .collect();
    let cut = items[0].content.as_deref().unwrap();
    assert!(cut.len() <= MAX_ENTRY_TEXT, "{}", cut.len());
    assert!(cut.starts_with("<p>word word"), "{}", &cut[..40]);
    assert!(cut.ends_with("</p>"), "{}", &cut[cut.len() - 40..]);
    assert!(!cut.contains("<img"));
    assert_eq!(
        items[1].content.as_deref(),
        Some("<p>A short <b>one</b>.</p>")
    );
    // A media description, which stands in for a missing summary, too.
    let media = format!(
        r#"<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>t</title>
      <item><title>Video</title><guid>1</guid><media:content url="https://e.example/v.mp4" type="video/mp4"><media:description type="html"><![CDATA[{long}]]></media:description></media:content></item>
      </channel></rss>"#
    );
    let feed = parse(media.as_bytes(), &c).unwrap();
    assert_eq!(
        feed.warnings,
        ["1 entry's text was longer than 256 KiB cut to that length"]
    );
    let item = normalize(&feed.entries[0], &feed, &c);
    assert!(item.content.as_deref().unwrap().len() <= MAX_ENTRY_TEXT);
}

#[test]
fn an_over_long_xml_base_or_lang_is_not_copied_into_every_element() {
    // A base and a language of a megabyte each over 20,000 elements: copied into each, 40 GB.
    let long = format!("https://a.example/{}", "a".repeat(1 << 20));
    let mut doc = format!(
        r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="{long}" xml:lang="{}"><title>F</title><id>urn:f</id><updated>2026-11-30T10:00:00Z</updated>"#,
        "x".repeat(1 << 20)
    );
    doc.push_str(r#"<entry xml:base="https://b.example/news/" xml:lang="sq"><title>Lajm</title><id>urn:1</id><updated>2026-11-30T10:00:00Z</updated><link href="1.html"/><content type="html">&lt;a href="more.html"&gt;m&lt;/a&gt;</content></entry>"#);
    for i in 0..20_000 {
        doc.push_str(&format!(
            r#"<entry><id>urn:e{i}</id><title>T</title><category term="c"></category></entry>"#
        ));
    }
    doc.push_str("</feed>");
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    let c = ctx(&url);
    let feed = parse(doc.as_bytes(), &c).unwrap();
    assert!(
        feed.warnings
            .iter()
            .any(|w| w.contains("longer than 2048 bytes, was ignored")),
        "{:?}",
        feed.warnings
    );
    let item = normalize(&feed.entries[0], &feed, &c);
    // The entry's own short base and language are read as before.
    assert_eq!(item.link.as_deref(), Some("https://b.example/news/1.html"));
    assert_eq!(item.lang.as_deref(), Some("sq"));
    assert!(
        item.content
            .as_deref()
            .unwrap_or_default()
            .contains("https://b.example/news/more.html"),
        "{:?}",
        item.content
    );
    // The first 5,000 of the 20,001 are read.
    assert_eq!(feed.entries.len(), 5_000);
    // Short bases stay as they are; a long one is cut wherever its characters fall.
    assert_eq!(
        bases(r#"<feed xml:base="https://a.example/">"#).rewritten,
        None
    );
    let cyrillic = format!(
        r#"<feed xml:base="https://a.example/{}">"#,
        "г".repeat(3000)
    );
    assert_eq!(
        bases(&cyrillic).rewritten.as_deref(),
        Some(r#"<feed xml:base="">"#)
    );
}
