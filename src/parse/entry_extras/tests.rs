//! What an entry carries besides its text, read from feeds of each kind: attachments, media
//! and the other extras, and their bounds.

use super::*;

fn orig(link: &str) -> Found {
    Found {
        orig: Some(link.to_string()),
        ..Found::default()
    }
}

#[test]
fn each_entry_keeps_its_own_original_address_and_thumbnail() {
    let rss = r#"<rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><channel>
          <item><link>https://feedproxy.google.com/~r/x/1</link><feedburner:origLink>https://x.example/a?b=1&amp;c=2</feedburner:origLink></item>
          <item><link>https://feedproxy.google.com/~r/x/2</link></item>
          <item><feedburner:origLink>not a URL</feedburner:origLink><feedburner:origLink>javascript:alert(1)</feedburner:origLink></item>
          <item><origLink>https://x.example/other-namespace</origLink></item>
        </channel></rss>"#;
    assert_eq!(
        read_entries(rss).unwrap(),
        [
            orig("https://x.example/a?b=1&c=2"),
            Found::default(),
            Found::default(),
            Found::default()
        ]
    );
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:fb="http://rssnamespace.org/feedburner/ext/1.0" xmlns:media="http://search.yahoo.com/mrss/">
          <entry><link href="https://feedproxy.google.com/~r/y/1"/><fb:origLink><![CDATA[https://y.example/1]]></fb:origLink></entry>
          <entry/>
          <entry><media:thumbnail url="https://y.example/t.jpg" width="72"/><media:thumbnail url="https://y.example/u.jpg"/></entry>
          <entry><media:group><media:title>G</media:title><media:thumbnail url=" https://y.example/g.jpg "></media:thumbnail></media:group></entry>
          <entry><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><media:thumbnail url="https://y.example/deep.jpg"/></div></content></entry>
        </feed>"#;
    let thumb = |url: &str| Found {
        thumbnail: Some(url.to_string()),
        ..Found::default()
    };
    assert_eq!(
        read_entries(atom).unwrap(),
        [
            orig("https://y.example/1"),
            Found::default(),
            thumb("https://y.example/t.jpg"),
            thumb("https://y.example/g.jpg"),
            Found::default()
        ]
    );
}

#[test]
fn enclosures_and_players_are_read_per_item_within_bounds() {
    let many: String = (0..100)
        .map(|i| format!(r#"<enclosure url="https://x.example/{i}.mp3" type="audio/mpeg"/>"#))
        .collect();
    let rss = format!(
        r#"<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>
          <item><enclosure url="https://x.example/a.mp3" length="12" type="audio/mpeg"></enclosure><enclosure url="relative.mp3"/><enclosure url="https://x.example/b.ogg" length="many" type="nonsense"/>
            <media:content url="https://x.example/a.mp3"><media:title>T</media:title><media:player url="https://x.example/a/embed"/><media:player url="https://x.example/second"/></media:content>
            <media:group><media:content><media:credit>c</media:credit><media:player url=" https://x.example/b/embed "></media:player></media:content></media:group>
            <media:content url="https://x.example/c.jpg"><media:group><media:player url="https://x.example/nested"/></media:group></media:content></item>
          <item>{many}</item>
        </channel></rss>"#
    );
    let found = read_entries(&rss).unwrap();
    let enclosures: Vec<(&str, Option<String>, Option<u64>)> = found[0]
        .enclosures
        .iter()
        .map(|c| {
            (
                c.url.as_ref().unwrap().as_str(),
                c.content_type.as_ref().map(|t| t.to_string()),
                c.size,
            )
        })
        .collect();
    assert_eq!(
        enclosures,
        [
            (
                "https://x.example/a.mp3",
                Some("audio/mpeg".into()),
                Some(12)
            ),
            ("https://x.example/b.ogg", None, None)
        ]
    );
    assert_eq!(
        found[0].players,
        [
            (
                "https://x.example/a/embed".to_string(),
                Some("https://x.example/a.mp3".to_string())
            ),
            ("https://x.example/b/embed".to_string(), None),
        ]
    );
    assert_eq!(found[1].enclosures.len(), MAX_NAMED);
}
