//! A story's attachments and picture: RSS enclosures (relative ones resolved), Atom enclosure
//! links, JSON Feed attachments and images, Media RSS content and thumbnails.

use super::*;
use crate::parse::repair::absolute_enclosures;

/// The attachments of the first item of `doc`: URL, type, length.
fn attachments(doc: &str) -> Vec<(String, Option<String>, Option<u64>)> {
    items(doc)[0]
        .enclosures
        .iter()
        .map(|e| (e.url.clone(), e.mime.clone(), e.length))
        .collect()
}

fn attachment(url: &str, mime: &str, length: Option<u64>) -> (String, Option<String>, Option<u64>) {
    (url.to_string(), Some(mime.to_string()), length)
}

#[test]
fn enclosures_come_from_rss_atom_links_and_json_feed_attachments() {
    let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"JF","home_page_url":"https://g.example/","items":[
{"id":"1","url":"https://g.example/1","title":"Episode one","content_text":"x",
 "attachments":[{"url":"https://g.example/m/ep1.mp3","mime_type":"audio/mpeg","size_in_bytes":1000},
                {"url":"/m/ep1.ogg","mime_type":"audio/ogg"}]}]}"#;
    let it = items(json);
    let got: Vec<(&str, Option<&str>, Option<u64>)> = it[0]
        .enclosures
        .iter()
        .map(|e| (e.url.as_str(), e.mime.as_deref(), e.length))
        .collect();
    assert_eq!(
        got,
        [
            (
                "https://g.example/m/ep1.mp3",
                Some("audio/mpeg"),
                Some(1000)
            ),
            ("https://g.example/m/ep1.ogg", Some("audio/ogg"), None),
        ]
    );
    assert_eq!(it[0].link.as_deref(), Some("https://g.example/1"));

    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id><updated>2020-01-01T00:00:00Z</updated>
<entry><title>Podcast</title><id>urn:a:1</id><updated>2020-01-01T00:00:00Z</updated>
<link rel="alternate" type="text/html" href="https://a.example/1"/>
<link rel="enclosure" type="audio/mpeg" length="2000" href="https://a.example/ep.mp3"/></entry></feed>"#;
    let it = items(atom);
    assert_eq!(it[0].enclosures.len(), 1, "{:?}", it[0].enclosures);
    assert_eq!(it[0].enclosures[0].url, "https://a.example/ep.mp3");
    assert_eq!(it[0].enclosures[0].length, Some(2000));

    let rss = r#"<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>T</title><link>https://r.example/</link>
<item><title>Both</title><link>https://r.example/1</link><enclosure url="https://r.example/a.mp3" length="5" type="audio/mpeg"/>
<media:content url="https://r.example/a.mp3" type="audio/mpeg"/></item></channel></rss>"#;
    assert_eq!(items(rss)[0].enclosures.len(), 1, "one file, named twice");

    // The first ten files are kept, of the first forty named; an item link too long to be a
    // URL is none, and its relative enclosures resolve against the channel's link.
    let many: String = (0..50)
        .map(|i| format!("<link rel=\"enclosure\" href=\"/ep{}.mp3\"/>", i % 12))
        .collect();
    let it = items(&atom.replace(
        "<link rel=\"enclosure\" type=\"audio/mpeg\" length=\"2000\" href=\"https://a.example/ep.mp3\"/>",
        &many,
    ));
    assert_eq!(it[0].enclosures.len(), 10);
    let long_link = format!("https://r.example/{}", "a".repeat(3_000));
    let rss = format!(
        r#"<rss version="2.0"><channel><title>T</title><link>https://r.example/c/</link>
<item><title>Long</title><link>{long_link}</link><enclosure url="ep.mp3" length="5" type="audio/mpeg"/></item></channel></rss>"#
    );
    let it = items(&rss);
    assert_eq!(it[0].link, None);
    assert_eq!(it[0].enclosures[0].url, "https://r.example/c/ep.mp3");
}

// An RSS item's `<enclosure>`s are its attachments beside Media RSS content too (feed-rs keeps
// only the content then), in document order and first, each file once.
#[test]
fn enclosures_beside_media_rss_content_are_kept_first() {
    let podcast = r#"<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>P</title><link>https://p.example/</link>
<item><title>Episode 12</title><link>https://p.example/ep12</link>
<media:content url="https://p.example/img/ep12.jpg" medium="image" type="image/jpeg"/>
<enclosure url="https://cdn.p.example/ep12.mp3" length="34567890" type="audio/mpeg"/>
<enclosure url="https://cdn.p.example/ep12.ogg" length="123" type="audio/ogg"/>
<media:group><media:content url="https://cdn.p.example/ep12.mp3" type="audio/mpeg"/><media:content url="https://cdn.p.example/ep12.m4a" type="audio/mp4"/></media:group>
</item></channel></rss>"#;
    let mut got = attachments(podcast);
    assert_eq!(
        got[..2],
        [
            attachment(
                "https://cdn.p.example/ep12.mp3",
                "audio/mpeg",
                Some(34567890)
            ),
            attachment("https://cdn.p.example/ep12.ogg", "audio/ogg", Some(123)),
        ]
    );
    // The Media RSS ones after them, in the order feed-rs gives its media objects.
    got[2..].sort();
    assert_eq!(
        got[2..],
        [
            attachment("https://cdn.p.example/ep12.m4a", "audio/mp4", None),
            attachment("https://p.example/img/ep12.jpg", "image/jpeg", None),
        ]
    );
    // A relative enclosure is resolved as before, beside Media RSS content too.
    let relative = podcast.replace("https://cdn.p.example/ep12.ogg", "/audio/ep12.ogg");
    assert_eq!(
        attachments(&relative)[1],
        attachment("https://p.example/audio/ep12.ogg", "audio/ogg", Some(123))
    );
}

// A `media:player` names a web page to play the content in, not the content: feed-rs reads
// its url as the `media:content`'s own. The content keeps its own url; one that names none
// is no attachment.
#[test]
fn a_media_player_is_never_an_attachment() {
    let rss = r#"<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>S</title><link>https://s.example/</link>
<item><title>Update</title><link>https://s.example/update</link>
<media:content url="https://traffic.s.example/audio.mp3" type="audio/mpeg"><media:player url="https://s.example/update/embed"/></media:content>
<media:content type="video/mp4"><media:player url="https://s.example/update/video-embed"/></media:content>
<media:content url="https://s.example/cover.jpg" type="image/jpeg"/>
</item></channel></rss>"#;
    assert_eq!(
        attachments(rss),
        [
            attachment("https://traffic.s.example/audio.mp3", "audio/mpeg", None),
            attachment("https://s.example/cover.jpg", "image/jpeg", None),
        ]
    );
    // The same in an Atom entry, beside its enclosure link.
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"><title>A</title><id>urn:a</id><updated>2020-01-01T00:00:00Z</updated>
<entry><title>Clip</title><id>urn:a:1</id><updated>2020-01-01T00:00:00Z</updated><link href="https://a.example/1"/>
<media:group><media:content url="https://a.example/clip.mp4" type="video/mp4"><media:title>x</media:title><media:player url="https://a.example/1/embed"></media:player></media:content></media:group>
</entry></feed>"#;
    assert_eq!(
        attachments(atom),
        [attachment("https://a.example/clip.mp4", "video/mp4", None)]
    );
}

#[test]
fn relative_rss_enclosures_are_resolved_like_links() {
    let rss = r#"<rss version="2.0"><channel><title>T</title><link>https://r.example/news/</link>
<item><title>One</title><link>https://media.r.example/stories/1</link>
<enclosure url="/audio/one.mp3?a=1&amp;b=2" length="5" type="audio/mpeg"/></item>
<item><title>Two</title><enclosure url='two.mp3' type="audio/mpeg"></enclosure></item>
<item><title>Three</title><link>https://r.example/3</link><enclosure url="https://cdn.example/three.mp3" type="audio/mpeg"/></item>
</channel></rss>"#;
    let urls: Vec<Vec<String>> = items(rss)
        .iter()
        .map(|i| i.enclosures.iter().map(|e| e.url.clone()).collect())
        .collect();
    assert_eq!(
        urls,
        [
            vec!["https://media.r.example/audio/one.mp3?a=1&b=2".to_string()],
            vec!["https://r.example/news/two.mp3".to_string()],
            vec!["https://cdn.example/three.mp3".to_string()],
        ]
    );
}

#[test]
fn relative_enclosures_resolve_per_item_and_broken_tags_are_skipped() {
    let url = Url::parse("http://127.0.0.1:8000/feeds/x.xml").unwrap();
    let doc = r#"<rss version="2.0"><channel><title>P</title><link>https://p.example/</link>
<item><link>https://p.example/ep/1/</link><enclosure url="a.mp3" type="audio/mpeg"/><enclosure url="b.mp3" type="audio/mpeg"/></item>
<item><link>/ep/2/</link><enclosure url="c.mp3" type="audio/mpeg"/>
<item><enclosure url="d.mp3" <enclosure url="e.mp3" type="audio/mpeg"/></item>
</channel></rss>"#;
    let out = absolute_enclosures(doc, Some(&url)).unwrap();
    for want in [
        r#"url="https://p.example/ep/1/a.mp3""#,
        r#"url="https://p.example/ep/1/b.mp3""#,
        // The second item has no end tag: it ends where the third starts.
        r#"url="https://p.example/ep/2/c.mp3""#,
        // A tag cut short by another is left as it is; the next one resolves.
        r#"<enclosure url="d.mp3" <enclosure url="https://p.example/e.mp3""#,
    ] {
        assert!(out.contains(want), "{want} not in {out}");
    }
}

// A JSON Feed item's `image` (else `banner_image`) and a Media RSS thumbnail are the story's
// picture, absolute; a key named only in a text is none.
#[test]
fn a_picture_named_apart_from_the_text_is_kept() {
    let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"K","home_page_url":"https://k.example/","items":[
      {"id":"1","url":"https://k.example/1","title":"One","image":"/img/one.jpg","banner_image":"https://k.example/b.jpg"},
      {"id":"2","url":"https://k.example/2","title":"Two","banner_image":"https://k.example/two.jpg"},
      {"id":"3","url":"https://k.example/3","title":"Three","content_text":"say \"image\": no"},
      {"id":"4","url":"https://k.example/4","title":"Four","image":42}]}"#;
    let it = items(json);
    let images: Vec<Option<&str>> = it.iter().map(|i| i.image.as_deref()).collect();
    assert_eq!(
        images,
        [
            Some("https://k.example/img/one.jpg"),
            Some("https://k.example/two.jpg"),
            None,
            None
        ]
    );
    let rss = r#"<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>M</title><link>https://m.example/</link>
      <item><title>Pictured</title><link>https://m.example/p</link><guid>p</guid><media:thumbnail url="https://m.example/t.jpg" width="300"/></item>
      <item><title>Plain</title><link>https://m.example/q</link><guid>q</guid></item></channel></rss>"#;
    let it = items(rss);
    assert_eq!(it[0].image.as_deref(), Some("https://m.example/t.jpg"));
    assert_eq!(it[1].image, None);
    // In a `media:group` without `media:content` too (feed-rs drops such a group).
    let grouped = rss.replace(
        "<media:thumbnail url=\"https://m.example/t.jpg\" width=\"300\"/>",
        "<media:group><media:title>T</media:title><media:thumbnail url=\"https://m.example/g.jpg\"></media:thumbnail></media:group>",
    );
    assert_eq!(
        items(&grouped)[0].image.as_deref(),
        Some("https://m.example/g.jpg")
    );
    // An Atom entry's thumbnail without media:content (as Blogger writes them), too.
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"><title>B</title><id>urn:b</id><updated>2020-02-01T00:00:00Z</updated>
      <entry><title>Pictured</title><id>urn:b:1</id><updated>2020-02-01T00:00:00Z</updated><link rel="alternate" href="https://b.example/1"/><media:thumbnail url="https://b.example/s72-c/t.jpg" height="72" width="72"/></entry>
      <entry><title>Plain</title><id>urn:b:2</id><updated>2020-02-01T00:00:00Z</updated><link rel="alternate" href="https://b.example/2"/></entry></feed>"#;
    let blog = items(atom);
    assert_eq!(
        blog[0].image.as_deref(),
        Some("https://b.example/s72-c/t.jpg")
    );
    assert_eq!(blog[1].image, None);
    // A picture changed alone changes the entry's raw hash: an edit to look at.
    let moved = items(&rss.replace("t.jpg", "t2.jpg"));
    assert_ne!(moved[0].content_hash, it[0].content_hash);
    assert_eq!(moved[1].content_hash, it[1].content_hash);
    // A thumbnail beside a text with a picture of its own: the text's, in full, is the one.
    let shown = rss.replace(
        "<media:thumbnail",
        "<description>&lt;img src=\"https://m.example/full.jpg\"&gt;</description><media:thumbnail",
    );
    assert_eq!(items(&shown)[0].image, None);
    // Nothing of it in JSON Feed's own keys: a document without them is read as before.
    assert!(!json_mend::names_key(r#"{"x":"\"image\": 1"}"#, "image"));
    assert!(json_mend::names_key(r#"{"image" : "a"}"#, "image"));
}
