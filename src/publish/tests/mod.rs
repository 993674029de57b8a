//! Tests for the publish stage: hand-built items rendered in every format, read back with
//! feed-rs (what a reader sees), checked for well-formed XML and stable bytes, and
//! snapshotted with insta. This file holds the fixtures the others share.

mod opml;
mod page;
mod round_trip;
mod snapshot;

use chrono::{DateTime, Utc};
use quick_xml::events::Event;
use quick_xml::Reader;

use super::{render, FeedMeta, Format, SourceInfo};
use crate::model::{Carrier, Enclosure, Identity, Item, ItemId, TopicMatch};

pub(super) fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("test timestamp")
}

pub(super) fn meta() -> FeedMeta {
    FeedMeta {
        id: "tag:tributary,2026:feeds/all".into(),
        title: "Tributary — all stories".into(),
        description: "Every story from every source, newest first".into(),
        self_url: "https://news.example.org/feeds/all.xml".into(),
        site_url: "https://news.example.org/".into(),
        page_url: "https://news.example.org/feeds/all.html".into(),
        language: Some("sr".into()),
        generator: "Tributary 0.1.0".into(),
        topic_labels: vec![],
        topic_aliases: vec![],
        updated_when_empty: None,
        title_lang: None,
        topic_pages_in: None,
        icon: None,
        logo: None,
        time_zone: chrono_tz::UTC,
    }
}

/// Two sources the caller knows; `gone` (removed from the config) it does not.
pub(super) fn lookup(id: &str) -> Option<SourceInfo> {
    match id {
        "bprg" => Some(SourceInfo {
            id: "bprg".into(),
            title: "Београдски центар".into(),
            url: "https://bprg.example/feed.xml".into(),
            site_url: Some("https://bprg.example/".into()),
            configured: true,
        }),
        "partner-news" => Some(SourceInfo {
            id: "partner-news".into(),
            title: "Partner News & Views".into(),
            url: "https://partner.example/rss?lang=sr&format=2".into(),
            site_url: None,
            configured: true,
        }),
        _ => None,
    }
}

fn carrier(source: &str, seen: &str) -> Carrier {
    Carrier {
        source: source.into(),
        identity: Identity::Guid(format!("{source}-guid")),
        link: None,
        first_seen: at(seen),
    }
}

fn topic(name: &str) -> TopicMatch {
    TopicMatch {
        topic: name.into(),
        why: vec!["source default".into()],
    }
}

fn base(key: &str, title: &str, published: &str, changed: &str) -> Item {
    Item {
        id: ItemId::derive("test", &Identity::Guid(key.into())),
        sources: Vec::new(),
        title: title.into(),
        link: None,
        published: at(published),
        date_inferred: false,
        updated: None,
        first_seen: at(published),
        last_changed: at(changed),
        // Changed after it was first stored: its source edited it.
        edited: (changed != published).then(|| at(changed)),
        summary: String::new(),
        content: None,
        authors: Vec::new(),
        // The feed's own categories: published after the topics.
        categories: vec!["Vijesti".into()],
        lang: None,
        enclosures: Vec::new(),
        image: None,
        topics: Vec::new(),
        content_hash: format!("hash-{key}"),
    }
}

/// Newest first: a story two sources carried, a podcast episode, a bare notice.
pub(super) fn items() -> Vec<Item> {
    let mut story = base(
        "story",
        "Дијалог & сарадња: <нови> почетак",
        "2026-03-02T09:30:00Z",
        "2026-03-02T10:00:00.123456Z",
    );
    story.sources = vec![
        carrier("bprg", "2026-03-02T09:45:00Z"),
        carrier("partner-news", "2026-03-02T09:50:00Z"),
    ];
    story.link = Some("https://bprg.example/vesti/dijalog?a=1&b=2".into());
    story.updated = Some(at("2026-03-02T09:40:00Z"));
    story.summary = "Први пасус & више.".into();
    story.content = Some("<p>Први <b>пасус</b> &amp; више.</p>".into());
    story.authors = vec!["Ана Петровић".into()];
    story.lang = Some("sr-Cyrl".into());
    story.topics = vec![topic("dialogue"), topic("women-caucus")];

    let mut podcast = base(
        "podcast",
        "Žene u politici — „razgovor“ #3",
        "2026-03-01T18:00:00Z",
        "2026-03-01T18:05:00Z",
    );
    podcast.sources = vec![carrier("partner-news", "2026-03-01T18:05:00Z")];
    // First read five minutes after it was published, and not changed since.
    podcast.first_seen = at("2026-03-01T18:05:00Z");
    podcast.edited = None;
    podcast.link = Some("https://partner.example/podcast/3".into());
    podcast.summary = "Treća epizoda.".into();
    podcast.content = Some("<p>Treća epizoda.</p>".into());
    podcast.lang = Some("sr-Latn".into());
    podcast.topics = vec![topic("women-caucus")];
    podcast.enclosures = vec![Enclosure {
        url: "https://partner.example/audio/3.mp3".into(),
        mime: Some("audio/mpeg".into()),
        length: None,
    }];

    let mut notice = base(
        "notice",
        "Notice without a link: 2 < 3 & \u{1}bell\u{FFFF}",
        "2026-02-28T12:00:00Z",
        "2026-02-28T12:00:00Z",
    );
    notice.sources = vec![carrier("gone", "2026-02-28T12:00:00Z")];
    notice.date_inferred = true;
    notice.summary = "Plain text, <not a tag> & more".into();

    vec![story, podcast, notice]
}

pub(super) fn rendered(format: Format) -> Vec<u8> {
    render(format, &meta(), &items(), &lookup)
}

/// Walks every event with quick-xml (end tags checked against start tags): well-formed XML.
pub(super) fn assert_well_formed(bytes: &[u8]) {
    let mut reader = Reader::from_reader(bytes);
    let mut buf = Vec::new();
    let mut depth = 0usize;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(_)) => depth += 1,
            Ok(Event::End(_)) => depth -= 1,
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed at {}: {e}", reader.buffer_position()),
        }
        buf.clear();
    }
    assert_eq!(depth, 0, "unclosed elements");
}

#[test]
fn a_story_is_updated_by_its_sources_edits_alone() {
    let mut story = items().remove(0);
    let view = |s: &Item| super::view::ItemView::new(s, &|_| None, &[]).updated;
    assert_eq!(view(&story), at("2026-03-02T10:00:00Z"));
    // Changed since it was first stored only by other carriers, or its topics: its own date.
    story.edited = None;
    assert!(story.last_changed > story.first_seen);
    assert_eq!(view(&story), at("2026-03-02T09:40:00Z"));
}

#[test]
fn without_bylines_the_original_is_the_author_and_republishers_contribute() {
    let mut story = items().remove(0);
    story.authors.clear();
    let items = [story];
    let rss = String::from_utf8(render(Format::Rss, &meta(), &items, &lookup)).unwrap();
    assert_eq!(rss.matches("<dc:creator>").count(), 1, "{rss}");
    assert!(
        rss.contains("<dc:creator>Београдски центар</dc:creator>"),
        "{rss}"
    );
    assert!(
        rss.contains("<dc:contributor>Partner News &amp; Views</dc:contributor>"),
        "{rss}"
    );
    let atom = feed_rs::parser::parse(&render(Format::Atom, &meta(), &items, &lookup)[..]).unwrap();
    let names = |people: &[feed_rs::model::Person]| -> Vec<String> {
        people.iter().filter_map(|p| p.name.clone()).collect()
    };
    assert_eq!(names(&atom.entries[0].authors), ["Београдски центар"]);
    assert_eq!(
        names(&atom.entries[0].contributors),
        ["Partner News & Views"]
    );
    let json: serde_json::Value =
        serde_json::from_slice(&render(Format::Json, &meta(), &items, &lookup)).unwrap();
    assert_eq!(
        json["items"][0]["authors"],
        serde_json::json!([{"name": "Београдски центар", "url": "https://bprg.example/"}])
    );
    assert_eq!(
        json["items"][0]["_tributary"]["sources"],
        serde_json::json!(["bprg", "partner-news"])
    );
}

#[test]
fn the_feeds_name_their_images() {
    let meta = FeedMeta {
        icon: Some("https://news.example.org/icon.png".into()),
        logo: Some("https://news.example.org/logo.png".into()),
        ..meta()
    };
    let items = items();
    let rss = String::from_utf8(render(Format::Rss, &meta, &items, &lookup)).unwrap();
    assert!(
        rss.contains("<image>\n      <url>https://news.example.org/logo.png</url>"),
        "{rss}"
    );
    let atom = feed_rs::parser::parse(&render(Format::Atom, &meta, &items, &lookup)[..]).unwrap();
    assert_eq!(
        atom.icon.map(|i| i.uri),
        Some("https://news.example.org/icon.png".to_string())
    );
    assert_eq!(
        atom.logo.map(|i| i.uri),
        Some("https://news.example.org/logo.png".to_string())
    );
    let json: serde_json::Value =
        serde_json::from_slice(&render(Format::Json, &meta, &items, &lookup)).unwrap();
    assert_eq!(
        json.get("icon"),
        None,
        "JSON Feed's icon is a large square image"
    );
    assert_eq!(json["favicon"], "https://news.example.org/icon.png");
    // An icon alone stands in for the logo where a feed has one image.
    let icon_only = FeedMeta { logo: None, ..meta };
    let rss = String::from_utf8(render(Format::Rss, &icon_only, &items, &lookup)).unwrap();
    assert!(
        rss.contains("<url>https://news.example.org/icon.png</url>"),
        "{rss}"
    );
    // None configured: no image at all.
    let rss =
        String::from_utf8(render(Format::Rss, &super::tests::meta(), &items, &lookup)).unwrap();
    assert!(!rss.contains("<image>"), "{rss}");
}
