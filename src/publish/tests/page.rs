//! The feed's web page: what a person reading it in a browser gets.

use super::{items, lookup, meta};
use crate::publish::{render, FeedMeta, Format};

fn page_meta() -> FeedMeta {
    FeedMeta {
        self_url: "https://news.example.org/feeds/all.html".into(),
        topic_labels: vec![
            ("dialogue".into(), "Kosovo–Serbia dialogue".into()),
            ("women-caucus".into(), "Women's Caucus".into()),
        ],
        ..meta()
    }
}

fn page() -> String {
    String::from_utf8(render(Format::Html, &page_meta(), &items(), &lookup)).unwrap()
}

#[test]
fn stories_are_escaped_text_under_their_day_newest_first() {
    let html = page();
    // Titles and summaries are text: markup in them is shown, never read.
    assert!(
        html.contains("Дијалог &amp; сарадња: &lt;нови&gt; почетак"),
        "{html}"
    );
    assert!(html.contains("Plain text, &lt;not a tag&gt; &amp; more"));
    assert!(!html.contains("<нови>") && !html.contains("<not a tag>"));
    // Characters XML and HTML cannot carry are gone.
    assert!(!html.contains('\u{1}') && !html.contains('\u{FFFF}'));
    assert!(html.contains("Notice without a link: 2 &lt; 3 &amp; bell"));
    // The story's body is not on the page, nor anything that runs or loads.
    assert!(!html.contains("<b>"));
    for tag in ["<script", "<img", "<iframe", "<form"] {
        assert!(!html.contains(tag), "{tag}");
    }
    // One heading per day, newest first, each story under its own.
    let days: Vec<usize> = [
        "<time datetime=\"2026-03-02\">2 Mar 2026</time>",
        "<time datetime=\"2026-03-01\">1 Mar 2026</time>",
        "<time datetime=\"2026-02-28\">28 Feb 2026</time>",
    ]
    .iter()
    .map(|d| html.find(d).unwrap_or_else(|| panic!("{d} in {html}")))
    .collect();
    assert!(days.windows(2).all(|w| w[0] < w[1]), "{days:?}");
    let story = html.find("Дијалог &amp;").unwrap();
    let podcast = html.find("Žene u politici").unwrap();
    assert!(days[0] < story && story < days[1] && days[1] < podcast && podcast < days[2]);
    assert_eq!(html.matches("<article").count(), 3);
    assert_eq!(html.matches("</article>").count(), 3);
    assert_eq!(html.matches("<section>").count(), 3);
    assert_eq!(html.matches("</section>").count(), 3);
}

#[test]
fn stories_link_to_their_original_sources_and_topics() {
    let html = page();
    assert!(html.contains(
        "<a href=\"https://bprg.example/vesti/dijalog?a=1&amp;b=2\">Дијалог &amp; сарадња"
    ));
    // A story without a link is a plain heading.
    assert!(html.contains("<h3>Notice without a link"), "{html}");
    // Each carrier links to its page here; one no longer configured is named alone.
    assert!(html.contains(
        "<a href=\"https://news.example.org/feeds/sources/bprg.html\">Београдски центар</a>, \
         <a href=\"https://news.example.org/feeds/sources/partner-news.html\">Partner News &amp; Views</a>"
    ));
    assert!(html.contains("· gone</p>"), "{html}");
    // Topics by the name people read, linked to the topic's page.
    assert!(html.contains(
        "<a class=\"topic\" href=\"https://news.example.org/feeds/topics/women-caucus.html\">Women&#39;s Caucus</a>"
    ));
    // Each story's title and summary in its language; the page's own words (dates, sources,
    // topics, attachments) in English, its title in the feed's.
    assert!(html.contains("<h3 lang=\"sr-Cyrl\">"), "{html}");
    assert!(html.contains("<h3 lang=\"sr-Latn\">"), "{html}");
    assert!(!html.contains("<article lang"), "{html}");
    assert!(html.contains("<html lang=\"en\">"));
    // The feed's title is English here, whatever its stories' language.
    assert!(html.contains("<h1>Tributary — all stories</h1>"), "{html}");
    assert!(html.contains("<time datetime=\"2026-03-02T09:30:00Z\">09:30 UTC</time>"));
    // A podcast's episode is a link away.
    assert!(html
        .contains("<a href=\"https://partner.example/audio/3.mp3\">Attachment</a> (audio/mpeg)"));
}

#[test]
fn a_title_in_another_language_says_so() {
    let meta = FeedMeta {
        title: "Tributary: lajme në shqip".into(),
        description: "Lajme në shqip, nga të gjitha burimet".into(),
        title_lang: Some("sq".into()),
        ..page_meta()
    };
    let html = String::from_utf8(render(Format::Html, &meta, &items(), &lookup)).unwrap();
    assert!(html.contains("<h1 lang=\"sq\">Tributary: lajme në shqip</h1>"));
    assert!(html.contains("<p lang=\"sq\">Lajme në shqip, nga të gjitha burimet</p>"));
    // The page speaks it around the stories too: its words, its dates.
    assert!(html.contains("<html lang=\"sq\">"), "{html}");
    assert!(
        html.contains("<p class=\"meta\">Abonohu: <a href="),
        "{html}"
    );
    assert!(html.contains("<time datetime=\"2026-03-02\">2 mar 2026</time>"));
    assert!(html.contains(">Bashkëngjitje</a> (audio/mpeg)"), "{html}");
    assert!(
        html.contains(
            "përditësuar më <time datetime=\"2026-03-02T10:00:00Z\">2 mar 2026, 10:00 UTC</time>"
        ),
        "{html}"
    );
    let cyrillic = FeedMeta {
        title_lang: Some("sr-Cyrl".into()),
        ..page_meta()
    };
    let html = String::from_utf8(render(Format::Html, &cyrillic, &[], &lookup)).unwrap();
    assert!(html.contains("<html lang=\"sr-Cyrl\">"), "{html}");
    assert!(html.contains("<p>Још нема вести.</p>"), "{html}");
    assert!(html.contains(">сви фидови и извори</a>"), "{html}");
}

/// A page of stories in one language sends its readers on to each topic in that language; the
/// page of every language to the topic's own.
#[test]
fn topics_link_to_their_page_in_the_pages_language() {
    let meta = FeedMeta {
        topic_pages_in: Some("sr-Cyrl".into()),
        ..page_meta()
    };
    let html = String::from_utf8(render(Format::Html, &meta, &items(), &lookup)).unwrap();
    assert!(
        html.contains(
            "<a class=\"topic\" href=\"https://news.example.org/feeds/topics/dialogue/sr-Cyrl.html\">"
        ),
        "{html}"
    );
    assert!(!html.contains("feeds/topics/dialogue.html"), "{html}");
    let html = String::from_utf8(render(Format::Html, &page_meta(), &items(), &lookup)).unwrap();
    assert!(
        html.contains("href=\"https://news.example.org/feeds/topics/dialogue.html\""),
        "{html}"
    );
}

#[test]
fn only_web_links_and_configured_topics_are_links() {
    let mut stories = items();
    stories[0].link = Some("javascript:alert(1)".into());
    stories[1].enclosures[0].url = "data:audio/mpeg;base64,AAAA".into();
    let meta = FeedMeta {
        // Women's Caucus is gone from the rules (its stories keep it until `reclassify`).
        topic_labels: vec![("dialogue".into(), "Kosovo–Serbia dialogue".into())],
        ..page_meta()
    };
    let html = String::from_utf8(render(Format::Html, &meta, &stories, &lookup)).unwrap();
    assert!(
        !html.contains("javascript:") && !html.contains("data:"),
        "{html}"
    );
    assert!(
        html.contains("<h3 lang=\"sr-Cyrl\">Дијалог &amp; сарадња"),
        "{html}"
    );
    assert!(!html.contains("Attachment"), "{html}");
    assert!(
        html.contains("<span class=\"topic\">women-caucus</span>"),
        "{html}"
    );
    assert!(html.contains("feeds/topics/dialogue.html\">Kosovo–Serbia dialogue</a>"));
    assert!(!html.contains("feeds/topics/women-caucus.html"), "{html}");
}

#[test]
fn the_page_offers_its_feeds_to_subscribe_to() {
    let html = page();
    for (ext, media) in [
        ("rss", "application/rss+xml"),
        ("atom", "application/atom+xml"),
        ("json", "application/feed+json"),
    ] {
        let url = format!("https://news.example.org/feeds/all.{ext}");
        // Discovered by readers and browsers, and shown.
        assert!(
            html.contains(&format!("<link rel=\"alternate\" type=\"{media}\"")),
            "{media}"
        );
        assert!(html.contains(&format!("href=\"{url}\">")), "{url}");
        assert!(
            html.contains(&format!("<a href=\"{url}\" type=\"{media}\">")),
            "{url}"
        );
    }
    assert!(!html.contains("type=\"text/html\""));
}

#[test]
fn the_same_stories_give_the_same_bytes_and_an_empty_feed_says_so() {
    assert_eq!(page(), page());
    let empty = String::from_utf8(render(Format::Html, &page_meta(), &[], &lookup)).unwrap();
    assert!(empty.contains("<p>No stories yet.</p>"), "{empty}");
    assert!(!empty.contains("<section>"));
}

#[test]
fn page_snapshot() {
    insta::assert_snapshot!("page", page());
}

// Days and times in the server's zone: a story of 18:00 UTC is on the next day in Tokyo.
#[test]
fn days_and_times_are_the_configured_zones() {
    let meta = FeedMeta {
        time_zone: "Asia/Tokyo".parse().unwrap(),
        ..page_meta()
    };
    let html = String::from_utf8(render(Format::Html, &meta, &items(), &lookup)).unwrap();
    assert!(html.contains("<time datetime=\"2026-03-02\">2 Mar 2026</time>"));
    assert!(!html.contains("<time datetime=\"2026-03-01\">"), "{html}");
    assert_eq!(html.matches("<section>").count(), 2);
    assert!(
        html.contains("<time datetime=\"2026-03-02T09:30:00Z\">18:30 JST</time>"),
        "{html}"
    );
    assert!(
        html.contains("<time datetime=\"2026-03-01T18:00:00Z\">03:00 JST</time>"),
        "{html}"
    );
}
