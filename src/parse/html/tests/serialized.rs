//! Reading sanitized markup: bodies that differ only in their media's signed queries, links
//! with their text, and tags and attributes as the sanitizer writes them.

use super::base;
use crate::parse::html::serialized::{serialized_attribute, serialized_tags};
use crate::parse::html::{links, same_but_media_queries, sanitize};

/// A video's poster and source, a sound's file signed anew show the same; another file,
/// or the signed query moved to another attribute or tag, does not.
#[test]
fn a_body_whose_video_was_signed_anew_shows_the_same() {
    let body = |poster: &str, src: &str, audio: &str| {
        sanitize(
            &format!(
                r#"<video poster="https://cdn.example/{poster}" controls><source src="https://cdn.example/{src}" type="video/mp4"></video><audio src="https://cdn.example/{audio}" controls></audio>"#
            ),
            None,
            None,
        )
    };
    let stored = body("p.jpg?sig=1", "v.mp4?sig=1", "a.mp3?sig=1");
    let renewed = body("p.jpg?sig=2", "v.mp4?sig=2", "a.mp3?sig=2");
    assert_ne!(stored, renewed);
    assert!(same_but_media_queries(&stored, &renewed), "{renewed}");
    for other in [
        body("q.jpg?sig=1", "v.mp4?sig=1", "a.mp3?sig=1"),
        body("p.jpg?sig=1", "w.mp4?sig=1", "a.mp3?sig=1"),
        body("p.jpg?sig=1", "v.mp4?sig=1", "b.mp3?sig=1"),
        stored.replace("video/mp4", "video/webm"),
        stored
            .replace("<audio", "<video")
            .replace("</audio>", "</video>"),
    ] {
        assert!(!same_but_media_queries(&stored, &other), "{other}");
    }
}

/// A body whose pictures' addresses were signed anew shows the same; anything else that
/// changed, even a link's query or a picture's text, does not.
#[test]
fn a_body_whose_picture_was_signed_anew_shows_the_same() {
    let body = |src: &str, alt: &str, text: &str, link: &str| {
        sanitize(
            &format!(
                r#"<p>{text}</p><figure><img src="{src}" alt="{alt}" width="800"><figcaption>The caucus</figcaption></figure><p><a href="{link}">More</a></p>"#
            ),
            Some(&base()),
            None,
        )
    };
    let signed = "https://cdn.example/a.jpg?sig=abc&exp=1700000000";
    let link = "https://balkansgroup.example/p?id=1";
    let stored = body(signed, "Delegates", "The caucus met.", link);
    assert!(stored.contains("sig=abc&amp;exp="), "{stored}");
    for renewed in [
        "https://cdn.example/a.jpg?sig=def&exp=1700003600",
        "https://cdn.example/a.jpg?v=1764500000",
        "https://cdn.example/a.jpg",
        // Relative, as the feed may write it: resolved against the same base.
        "//cdn.example/a.jpg?itok=Xy7",
    ] {
        let new = body(renewed, "Delegates", "The caucus met.", link);
        assert_ne!(new, stored);
        assert!(same_but_media_queries(&stored, &new), "{new}");
    }
    for other in [
        body(
            "https://cdn.example/b.jpg?sig=abc&exp=1700000000",
            "Delegates",
            "The caucus met.",
            link,
        ),
        body(signed, "Delegates at the table", "The caucus met.", link),
        body(signed, "Delegates", "The caucus met again.", link),
        body(
            signed,
            "Delegates",
            "The caucus met.",
            "https://balkansgroup.example/p?id=2",
        ),
        format!("{stored}<p><img src=\"{signed}\"></p>"),
        stored.replace(" width=\"800\"", ""),
    ] {
        assert!(!same_but_media_queries(&stored, &other), "{other}");
    }
    // A tag cut short at the end of the markup is compared as it is written.
    let cut = "<p>x</p><img src=\"https://cdn.example/a.jpg?sig=abc";
    assert!(!same_but_media_queries(
        cut,
        "<p>x</p><img src=\"https://cdn.example/a.jpg?sig=def"
    ));
    assert!(same_but_media_queries(cut, cut));
}

#[test]
fn links_are_read_with_their_text() {
    let html = sanitize(
        r#"<p>Read <a href="https://a.example/p.pdf?x=1&amp;y=2">the <b>list</b> of
        priorities&nbsp;(PDF)</a>, <a href="mailto:x@a.example">write</a>,
        <a href="https://a.example/empty"><img src="https://a.example/i.jpg"></a> or
        <a href="/form#prijava">Prijavni formular</a>.</p>"#,
        Some(&base()),
        None,
    );
    assert_eq!(
        links(&html),
        [
            (
                "the list of priorities (PDF)".to_string(),
                "https://a.example/p.pdf?x=1&y=2".to_string()
            ),
            (
                "Prijavni formular".to_string(),
                format!("{}", base().join("/form#prijava").unwrap())
            ),
        ]
    );
}

#[test]
fn attributes_are_read_from_serialized_tags() {
    let attrs =
        r#" alt="a &quot;b&quot; &amp; &lt;c&gt;" src="https://x.example/?a=1&amp;b=2" w="""#;
    assert_eq!(
        serialized_attribute(attrs, "alt").as_deref(),
        Some(r#"a "b" & <c>"#)
    );
    assert_eq!(
        serialized_attribute(attrs, "src").as_deref(),
        Some("https://x.example/?a=1&b=2")
    );
    assert_eq!(serialized_attribute(attrs, "w").as_deref(), Some(""));
    assert_eq!(serialized_attribute(attrs, "a"), None);
    let tags: Vec<(&str, &str)> = serialized_tags(r#"x<p a="1 > 2">y</p><br>z<"#)
        .map(|t| (t.name, t.attributes))
        .collect();
    assert_eq!(
        tags,
        [("p", r#" a="1 > 2""#), ("p", ""), ("br", ""), ("", "")]
    );
}
