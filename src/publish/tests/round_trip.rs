//! Every format read back by feed-rs: titles, links, ids, dates and topics survive; the
//! bytes are stable, the XML well-formed, and characters XML forbids are gone.

use chrono::DateTime;

use super::{assert_well_formed, at, items, lookup, meta, rendered};
use crate::model::Enclosure;
use crate::publish::{render, view, Format, UnknownFormat};

fn parse(bytes: &[u8]) -> feed_rs::model::Feed {
    feed_rs::parser::parse(bytes).expect("feed-rs reads our own output")
}

/// What survives a render and a parse by feed-rs, in every format.
fn assert_round_trip(format: Format) {
    let items = items();
    let feed = parse(&rendered(format));
    assert_eq!(
        feed.title.as_ref().unwrap().content,
        "Tributary — all stories"
    );
    assert_eq!(feed.entries.len(), 3, "{format}");
    for (entry, item) in feed.entries.iter().zip(&items) {
        assert_eq!(
            entry.id,
            format!("urn:tributary:item:{}", item.id),
            "{format}"
        );
        let hrefs: Vec<&str> = entry.links.iter().map(|l| l.href.as_str()).collect();
        match &item.link {
            Some(link) => assert_eq!(hrefs.first(), Some(&link.as_str()), "{format}"),
            None => assert!(hrefs.is_empty(), "{format}: {hrefs:?}"),
        }
        assert_eq!(entry.published, Some(item.published), "{format}");
        let terms: Vec<&str> = entry.categories.iter().map(|c| c.term.as_str()).collect();
        let mut expected: Vec<&str> = item.topic_names().collect();
        expected.extend(item.categories.iter().map(String::as_str));
        assert_eq!(terms, expected, "{format}");
    }
    let titles: Vec<String> = feed
        .entries
        .iter()
        .map(|e| e.title.as_ref().unwrap().content.clone())
        .collect();
    assert_eq!(
        titles,
        [
            "Дијалог & сарадња: <нови> почетак",
            "Žene u politici — „razgovor“ #3",
            "Notice without a link: 2 < 3 & bell",
        ],
        "{format}"
    );
}

#[test]
fn rss_round_trips_through_feed_rs() {
    assert_round_trip(Format::Rss);
    let feed = parse(&rendered(Format::Rss));
    assert_eq!(feed.updated, Some(at("2026-03-02T10:00:00Z")));
}

#[test]
fn atom_round_trips_through_feed_rs() {
    assert_round_trip(Format::Atom);
    let feed = parse(&rendered(Format::Atom));
    assert_eq!(feed.id, "tag:tributary,2026:feeds/all");
    assert_eq!(feed.updated, Some(at("2026-03-02T10:00:00Z")));
    // A story changed after it was first stored is updated then; one that never changed
    // carries its own date, not the time Tributary first read it.
    let updated: Vec<_> = feed.entries.iter().map(|e| e.updated).collect();
    assert_eq!(
        updated,
        [
            Some(at("2026-03-02T10:00:00Z")),
            Some(at("2026-03-01T18:00:00Z")),
            Some(at("2026-02-28T12:00:00Z")),
        ]
    );
}

#[test]
fn json_feed_round_trips_through_feed_rs() {
    assert_round_trip(Format::Json);
    let feed = parse(&rendered(Format::Json));
    assert_eq!(
        feed.entries[0].updated,
        Some(at("2026-03-02T10:00:00Z")),
        "date_modified is when the story last changed"
    );
}

#[test]
fn renders_are_byte_stable() {
    for format in Format::FEEDS {
        let first = rendered(format);
        let again = render(format, &meta(), &items(), &lookup);
        assert_eq!(first, again, "{format}");
        assert_eq!(
            render(format, &meta(), &[], &lookup),
            render(format, &meta(), &[], &lookup)
        );
    }
}

#[test]
fn xml_formats_are_well_formed_and_name_themselves() {
    for format in [Format::Rss, Format::Atom] {
        let bytes = rendered(format);
        assert_well_formed(&bytes);
        let text = String::from_utf8(bytes).expect("UTF-8");
        assert!(text.contains(r#"rel="self""#), "{format}");
        assert!(text.contains(r#"href="https://news.example.org/feeds/all.xml""#));
    }
}

#[test]
fn empty_feeds_take_the_date_they_are_given_else_the_epoch() {
    let newest = DateTime::parse_from_rfc3339("2026-11-30T08:15:30.250Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let dated = crate::publish::FeedMeta {
        updated_when_empty: Some(newest),
        ..meta()
    };
    for format in [Format::Rss, Format::Atom] {
        let feed = parse(&render(format, &dated, &[], &lookup));
        assert_eq!(
            feed.updated.map(|t| t.to_rfc3339()),
            Some("2026-11-30T08:15:30+00:00".to_string()),
            "{format}"
        );
    }
    for format in Format::FEEDS {
        let bytes = render(format, &meta(), &[], &lookup);
        let feed = parse(&bytes);
        assert!(feed.entries.is_empty(), "{format}");
        if format != Format::Json {
            assert_well_formed(&bytes);
            assert_eq!(feed.updated, Some(DateTime::UNIX_EPOCH), "{format}");
        }
        if format == Format::Atom {
            // RFC 4287: a feed without entries needs its own author.
            assert_eq!(
                feed.authors[0].name.as_deref(),
                Some("Tributary — all stories")
            );
        }
    }
}

#[test]
fn xml_illegal_characters_never_reach_the_output() {
    assert_eq!(
        view::clean("a\u{0}b\u{8}c\td\ne\rf\u{1F}g\u{FFFE}h\u{FFFF}ü"),
        "abc\td\ne\rfghü"
    );
    let mut meta = meta();
    meta.title = "bad\u{B}title\u{C}".into();
    for format in Format::ALL {
        let text = String::from_utf8(render(format, &meta, &items(), &lookup)).unwrap();
        let bad = text
            .chars()
            .find(|&c| (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFF}');
        assert_eq!(bad, None, "{format}");
        assert!(
            !text.contains("\\u0001") && !text.contains("\\u000b"),
            "{format}"
        );
    }
}

#[test]
fn format_names_round_trip() {
    for format in Format::ALL {
        assert_eq!(format.to_string().parse::<Format>(), Ok(format));
        assert_eq!(format.extension().parse::<Format>(), Ok(format));
        assert!(format.content_type().ends_with("; charset=utf-8"));
        assert!(format.content_type().starts_with(format.media_type()));
    }
    assert_eq!("ATOM".parse::<Format>(), Ok(Format::Atom));
    assert_eq!("xml".parse::<Format>(), Err(UnknownFormat("xml".into())));
    assert_eq!(
        Format::Json.content_type(),
        "application/feed+json; charset=utf-8"
    );
}

#[test]
fn items_name_the_sources_that_carried_them() {
    let rss = String::from_utf8(rendered(Format::Rss)).unwrap();
    // RSS names the first carrier by its feed URL; `&` in the URL stays escaped.
    assert!(
        rss.contains(r#"<source url="https://bprg.example/feed.xml">Београдски центар</source>"#)
    );
    assert!(rss.contains(r#"<source url="https://partner.example/rss?lang=sr&amp;format=2">"#));

    let atom = String::from_utf8(rendered(Format::Atom)).unwrap();
    assert!(atom.contains("<id>urn:tributary:source:bprg</id>"));
    assert!(atom.contains(r#"<link href="https://bprg.example/feed.xml" rel="self"/>"#));

    let json: serde_json::Value = serde_json::from_slice(&rendered(Format::Json)).unwrap();
    let story = &json["items"][0];
    assert_eq!(
        story["_tributary"]["sources"],
        serde_json::json!(["bprg", "partner-news"])
    );
    assert_eq!(
        story["_tributary"]["topics"],
        serde_json::json!(["dialogue", "women-caucus"])
    );
    let authors: Vec<&str> = story["authors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    // The story's own byline; every carrier is in `_tributary.sources`.
    assert_eq!(authors, ["Ана Петровић"]);
    // RSS and Atom name the other carriers as contributors: none is left out.
    assert!(
        rss.contains("<dc:contributor>Partner News &amp; Views</dc:contributor>"),
        "{rss}"
    );
    assert!(
        atom.contains("<contributor>\n      <name>Partner News &amp; Views</name>"),
        "{atom}"
    );
    // A story without a byline is by the source that carried it, in RSS as in Atom: readers
    // show `dc:creator` as the author.
    let podcast = &rss[rss.find("Treća epizoda").unwrap()..];
    let podcast = &podcast[..podcast.find("</item>").unwrap()];
    assert!(
        podcast.contains("<dc:creator>Partner News &amp; Views</dc:creator>"),
        "{podcast}"
    );
    assert!(!podcast.contains("dc:contributor"), "{podcast}");
    // A carrier the caller no longer knows is still listed by id.
    assert_eq!(
        json["items"][2]["_tributary"]["sources"],
        serde_json::json!(["gone"])
    );
}

#[test]
fn a_source_no_longer_configured_is_named_by_the_title_its_feed_last_had() {
    // The notice's only carrier, `gone`, was removed from the config; the caller knows the
    // title its feed last had. A story carried by it and by a configured source too.
    let lookup = |id: &str| match id {
        "gone" => Some(crate::publish::SourceInfo {
            id: "gone".into(),
            title: "Retired Institute".into(),
            url: "https://retired.example/".into(),
            site_url: Some("https://retired.example/".into()),
            configured: false,
        }),
        _ => lookup(id),
    };
    let mut items = items();
    let lead = items[0].sources[0].clone();
    items[2].sources.push(lead);
    let rss = String::from_utf8(render(Format::Rss, &meta(), &items, &lookup)).unwrap();
    let notice = &rss[rss.find("Notice without a link").unwrap()..];
    let notice = &notice[..notice.find("</item>").unwrap()];
    // The author is the lead carrier by its name, not its id; `<source>` names the configured
    // one, as it points to a feed a reader can subscribe to.
    assert!(
        notice.contains("<dc:creator>Retired Institute</dc:creator>"),
        "{notice}"
    );
    assert!(
        notice.contains(r#"<source url="https://bprg.example/feed.xml">"#),
        "{notice}"
    );
    assert!(!notice.contains(">gone<"), "{notice}");

    let atom = String::from_utf8(render(Format::Atom, &meta(), &items, &lookup)).unwrap();
    let notice = &atom[atom.find("Notice without a link").unwrap()..];
    let notice = &notice[..notice.find("</entry>").unwrap()];
    assert!(
        notice.contains("<author>\n      <name>Retired Institute</name>"),
        "{notice}"
    );
    assert!(
        notice.contains("<id>urn:tributary:source:bprg</id>"),
        "{notice}"
    );

    let json: serde_json::Value =
        serde_json::from_slice(&render(Format::Json, &meta(), &items, &lookup)).unwrap();
    assert_eq!(json["items"][2]["authors"][0]["name"], "Retired Institute");
    // Sources by id, as stored.
    assert_eq!(
        json["items"][2]["_tributary"]["sources"],
        serde_json::json!(["gone", "bprg"])
    );

    // The web page names it without a link: it has no page of ours.
    let html = String::from_utf8(render(Format::Html, &meta(), &items, &lookup)).unwrap();
    assert!(html.contains("· Retired Institute, <a href"), "{html}");
    assert!(!html.contains("sources/gone.html"), "{html}");
}

#[test]
fn the_feeds_own_categories_follow_the_topics() {
    let mut items = items();
    items[0].categories = vec![
        "Vijesti".into(),
        "  ".into(),
        "VIJESTI".into(),
        "Dialogue".into(),
        " Kosovo ".into(),
        "Women Caucus".into(),
        "Women's caucus".into(),
    ];
    let rss = String::from_utf8(render(Format::Rss, &meta(), &items, &lookup)).unwrap();
    let first = &rss[rss.find("<item>").unwrap()..rss.find("</item>").unwrap()];
    let cats: Vec<&str> = first
        .split("<category")
        .skip(1)
        .map(|c| &c[..c.find("</category>").unwrap()])
        .collect();
    assert_eq!(
        cats,
        [
            r#" domain="tributary:topic">dialogue"#,
            r#" domain="tributary:topic">women-caucus"#,
            ">Vijesti",
            // "Dialogue" and "Women Caucus" name a topic: said once, as the topic. "Women's
            // caucus" is another name.
            ">Kosovo",
            ">Women&apos;s caucus",
        ],
        "{first}"
    );
    let atom = String::from_utf8(render(Format::Atom, &meta(), &items, &lookup)).unwrap();
    let first = &atom[atom.find("<entry>").unwrap()..atom.find("</entry>").unwrap()];
    assert!(first.contains(r#"<category term="Vijesti"/>"#), "{first}");
    assert!(first.contains(r#"<category term="Kosovo"/>"#), "{first}");
    assert!(!first.contains("VIJESTI"), "{first}");
    assert!(!first.contains(r#"term="Dialogue""#), "{first}");
    // Atom readers show a topic by its label: a category of that name is not said again.
    let mut labelled = meta();
    labelled.topic_labels = vec![("women-caucus".into(), "Kosovo".into())];
    let atom = String::from_utf8(render(Format::Atom, &labelled, &items, &lookup)).unwrap();
    let first = &atom[atom.find("<entry>").unwrap()..atom.find("</entry>").unwrap()];
    assert!(first.contains(r#"label="Kosovo""#), "{first}");
    assert!(!first.contains(r#"<category term="Kosovo"/>"#), "{first}");
    assert!(first.contains(r#"<category term="Vijesti"/>"#), "{first}");
    // JSON Feed's tags are one list: topics, then the other categories.
    let json: serde_json::Value =
        serde_json::from_slice(&render(Format::Json, &meta(), &items, &lookup)).unwrap();
    assert_eq!(
        json["items"][0]["tags"],
        serde_json::json!([
            "dialogue",
            "women-caucus",
            "Vijesti",
            "Kosovo",
            "Women's caucus"
        ])
    );
    assert_eq!(
        json["items"][0]["_tributary"]["topics"],
        serde_json::json!(["dialogue", "women-caucus"])
    );
    // A category that is one of a topic's titles, in any language, is the topic too; a
    // title of a topic the story does not have is a category like any other.
    let mut titled = meta();
    titled.topic_aliases = vec![
        ("dialogue".into(), "Kosovo–Serbia dialogue".into()),
        ("dialogue".into(), "Dijalog Kosova i Srbije".into()),
        ("culture".into(), "Vijesti".into()),
    ];
    items[0].categories = vec![
        "Kosovo-Serbia Dialogue".into(),
        "dijalog kosova i srbije".into(),
        "Vijesti".into(),
    ];
    let json: serde_json::Value =
        serde_json::from_slice(&render(Format::Json, &titled, &items, &lookup)).unwrap();
    assert_eq!(
        json["items"][0]["tags"],
        serde_json::json!(["dialogue", "women-caucus", "Vijesti"])
    );
    let rss = String::from_utf8(render(Format::Rss, &titled, &items, &lookup)).unwrap();
    let first = &rss[rss.find("<item>").unwrap()..rss.find("</item>").unwrap()];
    assert!(
        !first.contains("Dialogue<") && !first.contains("srbije"),
        "{first}"
    );
}

#[test]
fn enclosures_are_carried() {
    let rss = String::from_utf8(rendered(Format::Rss)).unwrap();
    assert!(rss.contains(
        r#"<enclosure url="https://partner.example/audio/3.mp3" length="0" type="audio/mpeg"/>"#
    ));
    let atom = String::from_utf8(rendered(Format::Atom)).unwrap();
    assert!(atom.contains(r#"href="https://partner.example/audio/3.mp3" rel="enclosure""#));
    let json: serde_json::Value = serde_json::from_slice(&rendered(Format::Json)).unwrap();
    assert_eq!(
        json["items"][1]["attachments"][0]["mime_type"],
        serde_json::json!("audio/mpeg")
    );
    // A length declared as 0 is RSS's "unknown": Atom and JSON Feed leave it out rather than
    // claim a file of no bytes; a known length is carried.
    let mut items = items();
    items[1].enclosures[0].length = Some(0);
    let mut second = items[1].enclosures[0].clone();
    second.url = "https://partner.example/audio/3.ogg".into();
    second.length = Some(1234);
    items[1].enclosures.push(second);
    let atom = String::from_utf8(render(Format::Atom, &meta(), &items, &lookup)).unwrap();
    let mp3 = &atom[atom.find("3.mp3").unwrap()..];
    assert!(!mp3[..mp3.find("/>").unwrap()].contains("length"), "{atom}");
    assert!(atom.contains(r#"length="1234""#), "{atom}");
    let json: serde_json::Value =
        serde_json::from_slice(&render(Format::Json, &meta(), &items, &lookup)).unwrap();
    let attachments = &json["items"][1]["attachments"];
    assert!(
        attachments[0].get("size_in_bytes").is_none(),
        "{attachments}"
    );
    assert_eq!(attachments[1]["size_in_bytes"], 1234);
}

/// An attachment whose feed declared no type has the one its file name's extension names (a
/// query aside), in every format; one with no known extension is RSS's octet-stream and has
/// no type in Atom. A story's link has no type: it may be a PDF.
#[test]
fn an_attachment_without_a_type_has_its_files() {
    let mut items = items();
    items[1].link = Some("https://partner.example/briefs/3.pdf".into());
    items[1].enclosures = vec![
        Enclosure {
            url: "https://partner.example/audio/3.MP3?dl=1".into(),
            mime: None,
            length: None,
        },
        Enclosure {
            url: "https://partner.example/files/get?id=3".into(),
            mime: Some(" ".into()),
            length: None,
        },
        Enclosure {
            url: "https://partner.example/download.php?file=ep3.mp3".into(),
            mime: None,
            length: None,
        },
        Enclosure {
            url: "https://partner.example/GetAudio.aspx?id=3".into(),
            mime: None,
            length: None,
        },
        Enclosure {
            url: "https://partner.example/briefs/3.PDF".into(),
            mime: None,
            length: None,
        },
        Enclosure {
            url: "https://partner.example/app/tributary.apk".into(),
            mime: None,
            length: None,
        },
        Enclosure {
            url: "https://partner.example/briefs/3.docx".into(),
            mime: None,
            length: None,
        },
    ];
    let rss = String::from_utf8(render(Format::Rss, &meta(), &items, &lookup)).unwrap();
    assert!(
        rss.contains(
            r#"url="https://partner.example/audio/3.MP3?dl=1" length="0" type="audio/mpeg""#
        ),
        "{rss}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&render(Format::Json, &meta(), &items, &lookup)).unwrap();
    let attachments = &json["items"][1]["attachments"];
    assert_eq!(attachments[0]["mime_type"], "audio/mpeg");
    assert_eq!(attachments[1]["mime_type"], "application/octet-stream");
    // A script serving the file says nothing of it; a document says what it is.
    assert_eq!(attachments[2]["mime_type"], "application/octet-stream");
    assert_eq!(attachments[3]["mime_type"], "application/octet-stream");
    assert_eq!(attachments[4]["mime_type"], "application/pdf");
    assert_eq!(attachments[5]["mime_type"], "application/octet-stream");
    assert_eq!(
        attachments[6]["mime_type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    let atom = String::from_utf8(render(Format::Atom, &meta(), &items, &lookup)).unwrap();
    let feed = parse(atom.as_bytes());
    let links = &feed.entries[1].links;
    let types: Vec<(&str, Option<String>)> = links
        .iter()
        .map(|l| (l.href.as_str(), l.media_type.clone()))
        .collect();
    assert_eq!(
        types,
        [
            ("https://partner.example/briefs/3.pdf", None),
            (
                "https://partner.example/audio/3.MP3?dl=1",
                Some("audio/mpeg".to_string())
            ),
            ("https://partner.example/files/get?id=3", None),
            ("https://partner.example/download.php?file=ep3.mp3", None),
            ("https://partner.example/GetAudio.aspx?id=3", None),
            (
                "https://partner.example/briefs/3.PDF",
                Some("application/pdf".to_string())
            ),
            ("https://partner.example/app/tributary.apk", None),
            (
                "https://partner.example/briefs/3.docx",
                Some(
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                        .to_string()
                )
            ),
        ]
    );
}

#[test]
fn content_is_html_and_summary_plain_text() {
    let feed = parse(&rendered(Format::Atom));
    let story = &feed.entries[0];
    let body = story.content.as_ref().and_then(|c| c.body.as_deref());
    assert_eq!(body, Some("<p>Први <b>пасус</b> &amp; више.</p>"));
    assert_eq!(
        story.summary.as_ref().unwrap().content,
        "Први пасус & више."
    );
    // Without HTML or a link, Atom's required content is the summary as text.
    let notice = &feed.entries[2];
    let body = notice.content.as_ref().and_then(|c| c.body.as_deref());
    assert_eq!(body, Some("Plain text, <not a tag> & more"));
    assert!(notice.summary.is_none());
    // RSS carries plain text as HTML, so its markup-looking characters are escaped.
    let rss = parse(&rendered(Format::Rss));
    let description = rss.entries[2].summary.as_ref().unwrap();
    assert_eq!(
        description.content,
        "Plain text, &lt;not a tag&gt; &amp; more"
    );
}

/// A plain summary in RSS is escaped as HTML text needs and no more: quotes stay as they are
/// (`&apos;` is not an HTML 4 entity, and readers decoding with such tables show it).
#[test]
fn a_plain_rss_description_escapes_markup_not_quotes() {
    let mut items = items();
    items[2].summary = "The Women's Caucus \"meets\" <today> & tomorrow".into();
    let xml = String::from_utf8(render(Format::Rss, &meta(), &items, &lookup)).unwrap();
    assert!(
        xml.contains("The Women's Caucus \"meets\" &lt;today&gt; &amp; tomorrow"),
        "{xml}"
    );
    let rss = parse(xml.as_bytes());
    assert_eq!(
        rss.entries[2].summary.as_ref().unwrap().content,
        "The Women's Caucus \"meets\" &lt;today&gt; &amp; tomorrow"
    );
}

#[test]
fn dates_outside_four_digit_years_are_clamped_not_fatal() {
    let mut items = items();
    items[0].published = DateTime::from_timestamp(400_000_000_000, 0).unwrap(); // year 14645
    items[0].last_changed = items[0].published;
    items[1].published = DateTime::from_timestamp(-70_000_000_000, 0).unwrap(); // year -249
    for format in Format::FEEDS {
        let feed = parse(&render(format, &meta(), &items, &lookup));
        assert_eq!(
            feed.entries[0].published,
            Some(at("9999-12-31T23:59:59Z")),
            "{format}"
        );
    }
}

#[test]
fn a_json_feed_item_shows_the_first_picture_of_its_story() {
    let mut stories = items();
    stories[0].content = Some(concat!(
        r#"<p>Text</p><img alt="no source"><img src="https://bprg.example/s.gif" width="1" height="1">"#,
        r#"<img src="https://bprg.example/uploads/panel.jpg" alt="The panel">"#,
        r#"<img src="https://bprg.example/uploads/second.jpg">"#
    ).into());
    let json: serde_json::Value =
        serde_json::from_slice(&render(Format::Json, &meta(), &stories, &lookup)).unwrap();
    assert_eq!(
        json["items"][0]["image"],
        "https://bprg.example/uploads/panel.jpg"
    );
    // A story without a picture has no `image`.
    assert!(json["items"][1].get("image").is_none());
    // The picture its feed named apart from the text comes first, with a body or without.
    stories[0].image = Some("https://bprg.example/uploads/main.jpg".into());
    stories[1].image = Some("https://bprg.example/uploads/only.jpg".into());
    stories[1].content = None;
    let json: serde_json::Value =
        serde_json::from_slice(&render(Format::Json, &meta(), &stories, &lookup)).unwrap();
    assert_eq!(
        json["items"][0]["image"],
        "https://bprg.example/uploads/main.jpg"
    );
    assert_eq!(
        json["items"][1]["image"],
        "https://bprg.example/uploads/only.jpg"
    );
}

/// A story with no title at all (nothing to derive one from) has none in RSS and JSON Feed,
/// where readers say "untitled" in their own words; Atom requires one, said in the story's
/// language, else the feed's.
#[test]
fn an_untitled_story_is_untitled_in_its_own_language() {
    let mut items = items();
    items[0].title = String::new();
    items[1].title = "  ".into();
    items[2].title = String::new();
    items[2].lang = None;
    let titles = |format: Format| -> Vec<Option<String>> {
        let feed = parse(&render(format, &meta(), &items, &lookup));
        feed.entries
            .iter()
            .map(|e| e.title.as_ref().map(|t| t.content.clone()))
            .collect()
    };
    assert_eq!(titles(Format::Rss), [None, None, None]);
    assert_eq!(titles(Format::Json), [None, None, None]);
    // sr-Cyrl, sr-Latn, then no language of its own in a feed in `sr`.
    assert_eq!(
        titles(Format::Atom),
        [
            Some("(без наслова)".to_string()),
            Some("(bez naslova)".to_string()),
            Some("(bez naslova)".to_string()),
        ]
    );
    let mut english = meta();
    english.language = None;
    let feed = parse(&render(Format::Atom, &english, &items, &lookup));
    assert_eq!(
        feed.entries[2].title.as_ref().unwrap().content,
        "(untitled)"
    );
    // A language Tributary has no words for: the feed's words, marked as the feed's.
    items[0].lang = Some("de".into());
    let atom = String::from_utf8(render(Format::Atom, &meta(), &items, &lookup)).unwrap();
    assert!(
        atom.contains(r#"<title xml:lang="sr-Latn">(bez naslova)</title>"#),
        "{atom}"
    );
    assert!(!atom.contains("(untitled)"), "{atom}");
    // RSS needs a title or a description: a story with neither has the words.
    items[1].content = None;
    items[1].summary = String::new();
    let feed = parse(&render(Format::Rss, &meta(), &items, &lookup));
    assert_eq!(
        feed.entries[1].title.as_ref().unwrap().content,
        "(bez naslova)"
    );
    assert!(feed.entries[0].title.is_none());
}

/// A feed whose caller names no language is in its stories' language when they all share
/// one; stories of several languages, or one of none, leave it unsaid.
#[test]
fn a_feed_of_one_language_says_it() {
    let mut unsaid = meta();
    unsaid.language = None;
    let mut items = items();
    for item in &mut items {
        item.lang = Some("sq".into());
    }
    items[1].lang = Some("SQ".into());
    let language = |items: &[crate::model::Item]| {
        let rss = parse(&render(Format::Rss, &unsaid, items, &lookup));
        let json: serde_json::Value =
            serde_json::from_slice(&render(Format::Json, &unsaid, items, &lookup)).unwrap();
        let atom = String::from_utf8(render(Format::Atom, &unsaid, items, &lookup)).unwrap();
        let atom_says = atom.contains(r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="sq""#)
            || atom.contains(r#"xml:lang="sq" xmlns="#);
        (
            rss.language,
            json["language"].as_str().map(String::from),
            atom_says,
        )
    };
    assert_eq!(
        language(&items),
        (Some("sq".to_string()), Some("sq".to_string()), true)
    );
    items[2].lang = Some("en".into());
    assert_eq!(language(&items), (None, None, false));
    items[2].lang = None;
    assert_eq!(language(&items), (None, None, false));
    // One the caller names is kept, whatever the stories'.
    let named = parse(&render(Format::Rss, &meta(), &items[..2], &lookup));
    assert_eq!(named.language.as_deref(), Some("sr"));
}
