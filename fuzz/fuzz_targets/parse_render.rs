//! Bytes → parse → normalize → render (RSS, Atom, JSON Feed): never a panic, and every
//! rendered document is UTF-8 without characters XML forbids.
#![no_main]

use chrono::Utc;
use libfuzzer_sys::fuzz_target;
use tributary::model::{Carrier, Item, ItemId};
use tributary::parse::{self, Context};
use tributary::publish::{self, FeedMeta, Format};

fuzz_target!(|data: &[u8]| {
    let url = url::Url::parse("http://127.0.0.1:8080/feed.xml").unwrap();
    let now = Utc::now();
    let ctx = Context {
        fetch_url: Some(&url),
        content_type: None,
        default_lang: None,
        now,
        time_zone: None,
    };
    let Ok(feed) = parse::parse(data, &ctx) else { return };
    let items: Vec<Item> = feed
        .entries
        .iter()
        .map(|e| {
            let n = parse::normalize(e, &feed, &ctx);
            let id = ItemId::derive("fuzz", &n.identity);
            Item {
                id,
                sources: vec![Carrier { source: "fuzz".into(), identity: n.identity.clone(), link: n.link.clone(), first_seen: now }],
                title: n.title,
                link: n.link,
                published: n.published.unwrap_or(now),
                date_inferred: n.published.is_none(),
                updated: n.updated,
                first_seen: now,
                last_changed: now,
                edited: None,
                summary: n.summary,
                content: n.content,
                authors: n.authors,
                categories: n.categories,
                lang: n.lang,
                enclosures: n.enclosures,
                topics: vec![],
                content_hash: n.content_hash,
            }
        })
        .collect();
    let meta = FeedMeta {
        id: "http://127.0.0.1:8080/feeds/all".into(),
        title: "fuzz".into(),
        description: "fuzz".into(),
        self_url: "http://127.0.0.1:8080/feeds/all.rss".into(),
        site_url: "http://127.0.0.1:8080/".into(),
        page_url: "http://127.0.0.1:8080/feeds/all.html".into(),
        language: None,
        generator: "fuzz".into(),
        topic_labels: vec![],
        updated_when_empty: None,
        title_lang: None,
        icon: None,
        logo: None,
    };
    for format in Format::ALL {
        let bytes = publish::render(format, &meta, &items, &|_| None);
        let text = std::str::from_utf8(&bytes).expect("rendered feeds are UTF-8");
        assert!(
            !text.chars().any(|c| (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{fffe}' || c == '\u{ffff}'),
            "a character XML forbids was rendered"
        );
    }
});
