//! Documents refused, and what the error says: typed errors, a web page with the feed it
//! names, nesting too deep, the place where XML stays unreadable, no parser panic.

use super::*;
use crate::parse::depth::{read_depth, scan_depth, too_deep};

#[test]
fn errors_are_typed() {
    let url = Url::parse("http://127.0.0.1/").unwrap();
    let c = ctx(&url);
    assert_eq!(parse(b"   ", &c).unwrap_err(), ParseError::Empty);
    assert_eq!(
        parse(b"<!DOCTYPE html><html><body>hi</body></html>", &c).unwrap_err(),
        ParseError::HtmlPage {
            feed: None,
            others: 0
        }
    );
    assert!(matches!(
        parse(b"<rss version=\"2.0\"><channel><item>", &c),
        Err(ParseError::Invalid(_)) | Ok(_)
    ));
    assert!(matches!(parse(b"<foo/>", &c), Err(ParseError::Invalid(_))));
}

/// A web page where the feed was expected says which feed the page names, when it names one
/// other than itself: where to point the source. The page's own section's feed first, a feed
/// type before plain JSON, as published (no login, no secret), never the page itself.
#[test]
fn a_web_page_names_the_feed_it_links_to() {
    let at = |page: &str, head: &str| {
        let url = Url::parse(page).unwrap();
        let doc = format!("<!DOCTYPE html><html><head>{head}</head><body>x</body></html>");
        parse(doc.as_bytes(), &ctx(&url)).unwrap_err()
    };
    let rss =
        |href: &str| format!(r#"<link rel="alternate" type="application/rss+xml" href="{href}">"#);
    let e = at("https://kspag.example/news/", &rss("/feed/"));
    assert_eq!(
        e.to_string(),
        "not a feed: got an HTML page, which names its feed at https://kspag.example/feed/: \
         set the source's url to that"
    );
    // A category page names the whole site's feed and its comments' before its own.
    let e = at(
        "https://w.example/category/news/",
        &[
            rss("/feed/"),
            rss("/comments/feed/"),
            rss("/category/news/feed/"),
        ]
        .concat(),
    );
    assert_eq!(
        e,
        ParseError::HtmlPage {
            feed: Some("https://w.example/category/news/feed/".into()),
            others: 2
        }
    );
    assert!(e.to_string().ends_with(
        "names its feed at https://w.example/category/news/feed/ and 2 others: \
         set the source's url to the one meant (`tributary discover` lists them)"
    ));
    // WordPress's REST API link comes before the feed's.
    let e = at(
        "https://w.example/2026/11/post/",
        &format!(
            r#"<link rel="alternate" type="application/json" href="/wp-json/wp/v2/posts/7">{}"#,
            rss("/feed/")
        ),
    );
    assert_eq!(
        e,
        ParseError::HtmlPage {
            feed: Some("https://w.example/feed/".into()),
            others: 1
        }
    );
    // A post's page names its comments' feed under its own path, titled so in the site's
    // language (WordPress): the site's feed is the one meant.
    let titled = |href: &str, title: &str| {
        format!(
            r#"<link rel="alternate" type="application/rss+xml" title="{title}" href="{href}">"#
        )
    };
    for (site, post) in [
        (
            "Site &raquo; Feed",
            "Site &raquo; Dialogue workshop Comments Feed",
        ),
        (
            "Faqja &raquo; Prurje",
            "Faqja &raquo; Punëtori Prurje Komentesh",
        ),
        (
            "Сајт &raquo; довод",
            "Сајт &raquo; Радионица довод коментара",
        ),
    ] {
        let e = at(
            "https://w.example/2026/11/workshop/",
            &[
                titled("/2026/11/workshop/feed/", post),
                titled("/feed/", site),
            ]
            .concat(),
        );
        assert_eq!(
            e,
            ParseError::HtmlPage {
                feed: Some("https://w.example/feed/".into()),
                others: 1
            },
            "{post}"
        );
    }
    // Untitled, told by its address.
    let e = at(
        "https://w.example/",
        &[rss("/?feed=comments-rss2"), rss("/?feed=rss2")].concat(),
    );
    assert_eq!(
        e,
        ParseError::HtmlPage {
            feed: Some("https://w.example/?feed=rss2".into()),
            others: 1
        }
    );
    // A login or key in the named address is not repeated.
    let e = at(
        "https://w.example/",
        &rss("https://reader:hunter2@w.example/private.rss?token=SECRET123&x=1"),
    );
    assert_eq!(
        e,
        ParseError::HtmlPage {
            feed: Some("https://w.example/private.rss?token=hidden&x=1".into()),
            others: 0
        }
    );
    // A page naming itself only, or nothing of a feed's type: the question.
    let e = at(
        "https://kspag.example/news/",
        &format!(
            r#"{}<link rel="alternate" type="text/html" href="/sq/">"#,
            rss("https://kspag.example/news/")
        ),
    );
    assert_eq!(
        e,
        ParseError::HtmlPage {
            feed: None,
            others: 0
        }
    );
    assert!(e
        .to_string()
        .ends_with("(does the URL point at the site instead of its feed?)"));
    // Read from a local file: only an absolute address can be named.
    let url = Url::parse("https://kspag.example/").unwrap();
    let local = Context {
        fetch_url: None,
        ..ctx(&url)
    };
    let doc = format!(
        "<!DOCTYPE html><html><head>{}{}</head><body>x</body></html>",
        rss("/feed/"),
        rss("https://kspag.example/atom.xml")
    );
    assert_eq!(
        parse(doc.as_bytes(), &local).unwrap_err(),
        ParseError::HtmlPage {
            feed: Some("https://kspag.example/atom.xml".into()),
            others: 0
        }
    );
}

/// Elements nested by the hundred thousand (feed-rs walks Media RSS groups by recursion, and
/// would overflow its thread's stack, aborting the process) are refused before feed-rs sees
/// them; markup inside CDATA, however much, is not counted.
#[test]
fn a_document_nested_too_deep_is_refused_not_crashed_on() {
    let doc = String::from(
        r#"<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>t</title><item><title>deep</title>"#,
    );
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    // A `>` or `/>` inside a quoted attribute value ends no tag, for feed-rs as for the count.
    // Nor a `>` in a processing instruction, a comment that opens as `<!-->`, or a DOCTYPE's
    // quoted literal.
    for group in [
        "<media:group>",
        r#"<media:group a="/>">"#,
        "<media:group a='/>' b=\"'\">",
        "<media:group><?x > </q> ?>",
        "<media:group><!--> </q> -->",
        r#"<media:group><!DOCTYPE x SYSTEM "> </q>">"#,
    ] {
        let mut doc = doc.clone();
        for _ in 0..100_000 {
            doc.push_str(group);
        }
        match parse(doc.as_bytes(), &ctx(&url)) {
            Err(ParseError::Invalid(msg)) => {
                assert!(msg.contains("nest deeper than 256"), "{group}: {msg}")
            }
            other => panic!("{group}: {other:?}"),
        }
    }
    let mut quoted = doc.clone();
    quoted.push_str(
        r#"<guid>q</guid><media:content url="https://x.example/a.jpg?s=1>2" medium="image"/></item></channel></rss>"#,
    );
    assert_eq!(items(&quoted).len(), 1);
    let mut breaks = String::from(
        r#"<rss version="2.0"><channel><title>t</title><item><title>Many breaks</title><guid>b</guid><description><![CDATA["#,
    );
    for _ in 0..1_000 {
        breaks.push_str("line<br>");
    }
    breaks.push_str("]]></description></item></channel></rss>");
    assert_eq!(items(&breaks).len(), 1);
}

/// The scan of the tags reads nesting as quick-xml itself does, through every kind of markup
/// that holds a `>` or a `<`: where it reads at all, it agrees with the reader.
#[test]
fn the_tag_scan_agrees_with_the_reader_on_nesting() {
    let pieces = [
        "<a>",
        "<a/>",
        "</a>",
        r#"<a b="/>">"#,
        "<a b='>'>",
        "<?x > </q> ?>",
        "<?x?>",
        "<!--> </q> -->",
        "<!---> -->",
        "<!-- <a> -->",
        "<![CDATA[ <a> ]]>",
        "text > more",
        "</q'<?'>",
        "<q b=\"</q>\">",
        "<a\n  b='1'\n>",
    ];
    for (i, piece) in pieces.iter().enumerate() {
        for other in &pieces[i..] {
            let doc = format!("<r>{}</r>", format!("{piece}{other}").repeat(300));
            if let Some(deep) = scan_depth(&doc) {
                assert_eq!(deep, read_depth(&doc), "{piece} {other}");
            }
        }
    }
    // An end tag's quotes hide no markup either.
    let quoted_end = format!("<rss><q'<?'></q'<?'>{}?>", "<x>".repeat(300));
    assert_eq!(scan_depth(&quoted_end), Some(true));
    assert!(read_depth(&quoted_end));
    // A DOCTYPE is the reader's to read: its quoted literal holds no tag.
    let doctype = format!(r#"<!DOCTYPE x SYSTEM "> </q>"><rss>{}"#, "<a>".repeat(300));
    assert_eq!(scan_depth(&doctype), None);
    assert!(too_deep(&doctype));
}

#[test]
fn a_document_that_stays_unreadable_says_where() {
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    let c = ctx(&url);
    let broken = rss_item("<title>A & B</title><link>https://r.example/1</link></itme>");
    let err = parse(format!("\n\n  {broken}").as_bytes(), &c)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("not a valid feed: unable to parse XML")
            && err.contains("</itme>")
            && err.ends_with(" at line 5, column 59"),
        "{err}"
    );
    // After a byte order mark and Cyrillic text, the same place: quick-xml does not count
    // the mark, and the column is in characters.
    let broken = rss_item("<title>Ђ</title><link>https://r.example/1</link></itme>");
    let err = parse(format!("\u{feff}\n\n  {broken}").as_bytes(), &c)
        .unwrap_err()
        .to_string();
    assert!(err.ends_with(" at line 5, column 55"), "{err}");
    // Not an XML error: no position to give.
    let err = parse(b"<foo/>", &c).unwrap_err().to_string();
    assert!(!err.contains("line"), "{err}");
}

#[test]
fn fuzzer_found_inputs_parse_or_fail_without_a_parser_panic() {
    // Inputs the fuzz target (fuzz/) once crashed on, kept as regressions.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    let url = Url::parse("http://127.0.0.1/").unwrap();
    let c = ctx(&url);
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let result = parse(&bytes, &c);
        assert!(
            !matches!(result, Err(ParseError::ParserPanic(_))),
            "{}: {result:?}",
            path.display()
        );
        if let Ok(feed) = result {
            for e in &feed.entries {
                normalize(e, &feed, &c);
            }
        }
    }
}
