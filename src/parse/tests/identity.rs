//! What identifies an entry (its GUID, link, title or content), the hash that tells an edit,
//! and which of its links is the story's own.

use super::*;

/// The identity of the item titled `title`.
fn identity_of(list: &[NewItem], title: &str) -> Identity {
    list.iter()
        .find(|i| i.title == title)
        .unwrap()
        .identity
        .clone()
}

#[test]
fn reused_guids_do_not_merge_items() {
    let doc = r#"<rss version="2.0"><channel><title>t</title>
      <item><title>A</title><guid>same</guid><link>https://x.example/a</link></item>
      <item><title>B</title><guid>same</guid><link>https://x.example/b</link></item>
      </channel></rss>"#;
    let it = items(doc);
    assert_eq!(it.len(), 2);
    assert_ne!(it[0].identity, it[1].identity);
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    let feed = parse(doc.as_bytes(), &ctx(&url)).unwrap();
    assert_eq!(
        feed.warnings,
        ["2 entries share 1 id (each told by its link or text instead)"]
    );
}

#[test]
fn identity_of_entries_sharing_a_guid_does_not_depend_on_their_order() {
    let item = |t: &str| {
        format!(
            "<item><title>{t}</title><guid>same</guid><link>https://x.example/{t}</link></item>"
        )
    };
    let doc = |items: &[&str]| {
        format!(
            "<rss version=\"2.0\"><channel><title>t</title>{}</channel></rss>",
            items.iter().map(|t| item(t)).collect::<String>()
        )
    };
    let first = items(&doc(&["a", "b"]));
    let later = items(&doc(&["c", "a", "b"]));
    assert_eq!(identity_of(&first, "a"), identity_of(&later, "a"));
    assert_eq!(
        identity_of(&first, "a"),
        Identity::Link("https://x.example/a".into())
    );
    assert_ne!(identity_of(&later, "c"), identity_of(&first, "a"));
}

#[test]
fn entries_without_guids_sharing_a_link_are_told_by_their_titles_in_any_order() {
    let entry = |t: &str, link: &str| {
        format!("<item><title>{t}</title><link>https://x.example/{link}</link></item>")
    };
    let doc = |entries: &[(&str, &str)]| {
        format!(
            "<rss version=\"2.0\"><channel><title>t</title>{}</channel></rss>",
            entries.iter().map(|(t, l)| entry(t, l)).collect::<String>()
        )
    };
    let titled = |title: &str| Identity::Titled {
        link: "https://x.example/lajme".into(),
        title: title.into(),
    };
    // Alone on its link: told by the link.
    let alone = items(&doc(&[
        ("Takimi &amp; pritja", "lajme"),
        ("Tjetër", "tjeter"),
    ]));
    assert_eq!(
        identity_of(&alone, "Takimi & pritja"),
        Identity::Link("https://x.example/lajme".into())
    );
    // Sharing it, in either order: by the link and the title as the item has it.
    for order in [[0, 1], [1, 0]] {
        let pairs = [("Takimi &amp; pritja", "lajme"), ("Konferenca", "lajme")];
        let list = items(&doc(&[pairs[order[0]], pairs[order[1]]]));
        assert_eq!(
            identity_of(&list, "Takimi & pritja"),
            titled("Takimi & pritja")
        );
        assert_eq!(identity_of(&list, "Konferenca"), titled("Konferenca"));
    }
    // Under one title too, or without titles: each is told by its content, whatever the order.
    let twice = items(
        "<rss version=\"2.0\"><channel><title>t</title>\
         <item><title>Lajme</title><link>https://x.example/lajme</link><description>a</description></item>\
         <item><title>Lajme</title><link>https://x.example/lajme</link><description>b</description></item>\
         </channel></rss>",
    );
    assert!(matches!(twice[0].identity, Identity::Hash(_)));
    assert!(matches!(twice[1].identity, Identity::Hash(_)));
    assert_ne!(twice[0].identity, twice[1].identity);
    let untitled = items(
        "<rss version=\"2.0\"><channel><title>t</title>\
         <item><link>https://x.example/lajme</link><description>a</description></item>\
         <item><link>https://x.example/lajme</link><description>b</description></item>\
         <item><title>Lajme</title><link>https://x.example/lajme</link></item>\
         </channel></rss>",
    );
    assert!(matches!(untitled[0].identity, Identity::Hash(_)));
    assert!(matches!(untitled[1].identity, Identity::Hash(_)));
    assert_eq!(untitled[2].identity, titled("Lajme"));
}

#[test]
fn raw_hash_changes_with_content() {
    let url = Url::parse("http://127.0.0.1/").unwrap();
    let c = ctx(&url);
    let a = parse(RSS.as_bytes(), &c).unwrap();
    let b = parse(RSS.replace("Students", "Pupils").as_bytes(), &c).unwrap();
    assert_ne!(a.entries[0].content_hash, b.entries[0].content_hash);
    assert_eq!(a.entries[1].content_hash, b.entries[1].content_hash);
}

#[test]
fn the_raw_hash_is_the_one_stored_stories_were_given() {
    // Hashes are stored: a story whose hash changed would count as changed at its next
    // fetch. They are BLAKE3 over each field followed by a zero byte, as fed one at a time.
    let url = Url::parse("http://127.0.0.1/").unwrap();
    let feed = parse(RSS.as_bytes(), &ctx(&url)).unwrap();
    for raw in &feed.entries {
        let e = &raw.entry;
        let mut h = blake3::Hasher::new();
        let mut field = |s: &str| {
            h.update(s.as_bytes());
            h.update(&[0]);
        };
        field(e.title.as_ref().map_or("", |t| t.content.as_str()));
        e.links.iter().for_each(|l| field(&l.href));
        field(e.summary.as_ref().map_or("", |t| t.content.as_str()));
        field(
            e.content
                .as_ref()
                .and_then(|c| c.body.as_deref())
                .unwrap_or(""),
        );
        field(&e.published.map(|d| d.to_rfc3339()).unwrap_or_default());
        field(&e.updated.map(|d| d.to_rfc3339()).unwrap_or_default());
        e.categories.iter().for_each(|c| field(&c.term));
        assert_eq!(raw.content_hash, h.finalize().to_hex()[..32]);
    }
}

// An entry that FeedBurner's redirector links to links to its `feedburner:origLink`, in RSS
// and Atom; text there that is no absolute http(s) URL leaves the entry's own link.
#[test]
fn feedburner_entries_link_to_the_original() {
    let rss = r#"<rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><channel><title>F</title><link>https://f.example/</link>
      <item><title>Dialogue resumes</title><link>https://feedproxy.google.com/~r/f/~3/abc/</link><guid isPermaLink="false">f-1</guid><feedburner:origLink>https://f.example/2026/dialogue-resumes/</feedburner:origLink></item>
      <item><title>Caucus meets</title><link>https://f.example/caucus</link><guid isPermaLink="false">f-2</guid><feedburner:origLink>not a URL</feedburner:origLink></item>
    </channel></rss>"#;
    let it = items(rss);
    assert_eq!(
        it[0].link.as_deref(),
        Some("https://f.example/2026/dialogue-resumes/")
    );
    assert_eq!(it[1].link.as_deref(), Some("https://f.example/caucus"));
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><title>A</title><id>urn:a</id><updated>2020-02-01T00:00:00Z</updated>
      <entry><title>Festival opens</title><id>urn:a:1</id><updated>2020-02-01T00:00:00Z</updated><link rel="alternate" href="http://feeds.feedburner.com/~r/a/~3/xyz/"/><feedburner:origLink>https://a.example/festival</feedburner:origLink></entry>
    </feed>"#;
    assert_eq!(
        items(atom)[0].link.as_deref(),
        Some("https://a.example/festival")
    );
}

// An RSS `<comments>` page (or a `wfw:commentRss` feed) is never the story's link: not
// where it comes before `<link>`, nor where it is all the item has.
#[test]
fn comments_are_never_the_story_link() {
    let rss = r#"<rss version="2.0" xmlns:wfw="http://wellformedweb.org/CommentAPI/"><channel><title>C</title><link>https://c.example/</link>
      <item><title>Comments first</title><comments>https://c.example/posts/9#respond</comments><link>https://c.example/posts/9</link><guid isPermaLink="false">c-1</guid></item>
      <item><title>Comments only</title><comments>https://c.example/posts/3#comments</comments><wfw:commentRss>https://c.example/posts/3/feed/</wfw:commentRss><guid isPermaLink="false">c-2</guid></item>
      <item><title>Comments and a permalink</title><comments>https://c.example/posts/4#comments</comments><guid>https://c.example/posts/4</guid></item>
    </channel></rss>"#;
    let it = items(rss);
    assert_eq!(it[0].link.as_deref(), Some("https://c.example/posts/9"));
    assert_eq!(it[1].link, None);
    assert_eq!(it[1].identity, Identity::Guid("c-2".into()));
    assert_eq!(it[2].link.as_deref(), Some("https://c.example/posts/4"));
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:wfw="http://wellformedweb.org/CommentAPI/"><title>A</title><id>urn:a</id><updated>2020-02-01T00:00:00Z</updated>
      <entry><title>Feed of comments first</title><id>urn:a:1</id><updated>2020-02-01T00:00:00Z</updated><wfw:commentRss>https://a.example/1/feed/</wfw:commentRss><link href="https://a.example/1"/></entry>
    </feed>"#;
    assert_eq!(items(atom)[0].link.as_deref(), Some("https://a.example/1"));
}

// An RSS item without `<link>` links to its page as an `atom:link` names it (`rel="alternate"`
// or none, an HTML type or none), resolved as links are; one with `<link>` keeps it.
#[test]
fn an_rss_item_without_link_takes_its_atom_link() {
    let rss = r#"<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>G</title><link>https://g.example/</link>
      <atom:link rel="self" href="https://g.example/feed/"/>
      <item><title>Alternate</title><atom:link href="/posts/2?utm_source=rss" rel="alternate" type="text/html"/><guid isPermaLink="false">g-2</guid></item>
      <item><title>No rel</title><atom:link href="https://g.example/posts/3"></atom:link><guid isPermaLink="false">g-3</guid></item>
      <item><title>Both</title><atom:link rel="alternate" href="https://elsewhere.example/4"/><link>https://g.example/posts/4</link><guid isPermaLink="false">g-4</guid></item>
      <item><title>Self and feed only</title><atom:link rel="self" href="https://g.example/posts/5/feed"/><atom:link rel="alternate" type="application/rss+xml" href="https://g.example/posts/5/rss"/><guid isPermaLink="false">g-5</guid></item>
    </channel></rss>"#;
    let links: Vec<Option<String>> = items(rss).into_iter().map(|i| i.link).collect();
    assert_eq!(
        links,
        [
            Some("https://g.example/posts/2".to_string()),
            Some("https://g.example/posts/3".to_string()),
            Some("https://g.example/posts/4".to_string()),
            None,
        ]
    );
}
