//! The sanitizer: what it keeps and drops, how it resolves URLs, and the fallbacks for plain
//! text, bodies its URLs would swell, `<noscript>`s left open and iframes with content.

use std::borrow::Cow;

use url::Url;

use super::base;
use crate::parse::html::sanitizer::{
    iframes_are_empty, is_plain_text, sanitize_markup, unclosed_noscripts_opened,
};
use crate::parse::html::{sanitize, sanitized_text_prefix, to_text_prefix};

/// A body that its URLs made absolute would make longer than [`MAX_SANITIZED`] keeps its
/// text alone.
#[test]
fn a_body_its_urls_would_swell_keeps_its_text_alone() {
    let long = Url::parse(&format!("https://x.example/{}/", "a".repeat(1_900))).unwrap();
    let links = "<a href=b>x</a> ".repeat(2_000);
    let kept = sanitize(&links, Some(&long), None);
    assert_eq!(kept, "x ".repeat(2_000).trim_end());
    let short = sanitize(&links, Some(&base()), None);
    assert!(
        short.starts_with("<a href=\"https://balkansgroup.example/en/news/b\""),
        "{}",
        &short[..100]
    );
}

#[test]
fn plain_text_bodies_come_out_as_the_sanitizer_writes_them() {
    let samples = [
        "Workshop on the Brussels dialogue",
        "  Ženski kokus > 30 članica\u{a0}— Женски кокус  ",
        "line one\nline two\n\n\tindented\u{c}form feed",
        "quotes \"double\" and 'single', a / slash, 3 > 2 >> 1",
        "\u{200b}zero width and \u{85}next line",
        "",
        "   ",
        "\u{a0}\u{a0}",
    ];
    for sample in samples {
        assert!(is_plain_text(sample));
        assert_eq!(
            sanitize(sample, None, None),
            sanitize_markup(sample, None, None),
            "{sample:?}"
        );
    }
    // Every character of the Basic Multilingual Plane and a few beyond, alone and
    // between words.
    let all = (1..=0xffffu32)
        .chain([0x1f642, 0x10ffff])
        .filter_map(char::from_u32)
        .filter(|c| is_plain_text(c.encode_utf8(&mut [0; 4])));
    for ch in all {
        let sample = format!("{ch}a{ch}b {ch}");
        assert_eq!(
            sanitize(&sample, None, None),
            sanitize_markup(&sample, None, None),
            "U+{:04X}",
            u32::from(ch)
        );
    }
    for markup in ["a <b>", "a &amp; b", "a\r\nb", "a\0b", "\u{feff}a"] {
        assert!(!is_plain_text(markup), "{markup:?}");
    }
}

#[test]
fn removes_scripts_handlers_and_javascript_urls() {
    let dirty = r#"<p onclick="x()">Hi<script>alert(1)</script></p>
        <a href="javascript:alert(1)">a</a><a href="jav&#x09;ascript:alert(2)">b</a>
        <iframe src="https://evil.example/"></iframe><object data="x"></object>
        <form action="/x"><input></form><div style="background:url(javascript:alert(3))">s</div>
        <img src="x.jpg" onerror="alert(4)">"#;
    let clean = sanitize(dirty, Some(&base()), Some("balkansgroup.example"));
    let lower = clean.to_lowercase();
    for bad in [
        "<script",
        "onclick",
        "onerror",
        "javascript",
        "<iframe",
        "<object",
        "<form",
        "style=",
    ] {
        assert!(!lower.contains(bad), "{bad} survived in {clean}");
    }
    assert!(clean.contains("Hi"));
    assert!(
        clean.contains(r#"src="https://balkansgroup.example/en/news/x.jpg""#),
        "{clean}"
    );
}

#[test]
fn resolves_relative_links_and_marks_them_nofollow() {
    let clean = sanitize(
        r#"<a href="/en/report.pdf">Report</a>"#,
        Some(&base()),
        None,
    );
    assert!(
        clean.contains(r#"href="https://balkansgroup.example/en/report.pdf""#),
        "{clean}"
    );
    assert!(clean.contains("noopener"));
    let no_base = sanitize(r#"<a href="/en/report.pdf">Report</a>"#, None, None);
    assert!(!no_base.contains("href"), "{no_base}");
}

#[test]
fn a_noscript_left_open_takes_nothing_after_it() {
    let body = r#"<p>Intro</p><noscript><img src="https://ex.com/only.jpg"><p>Rest of the article, never closed</p>"#;
    let clean = sanitize(body, Some(&base()), None);
    assert!(clean.contains("Rest of the article"), "{clean}");
    assert!(
        clean.contains(r#"src="https://ex.com/only.jpg""#),
        "{clean}"
    );
    assert!(!clean.contains("&lt;"), "{clean}");
    // Closed ones still go with their content, and an open inside one is its text.
    let body = "<p>A</p><noscript>x<noscript>y</NOSCRIPT><p>B</p><NoScript ><p>C</p>";
    let clean = sanitize(body, Some(&base()), None);
    assert_eq!(clean, "<p>A</p><p>B</p><p>C</p>");
    assert!(matches!(
        unclosed_noscripts_opened("<p>no such element</p>"),
        Cow::Borrowed(_)
    ));
}

#[test]
fn no_iframe_carries_markup_through_whatever_the_pass_before_makes_of_it() {
    let payload = r#"<iframe src="https://evil.example/x"><script>alert(1)</script><img src=x onerror=alert(2)></iframe><p>After</p>"#;
    let player = r#"<iframe src="https://www.youtube.com/embed/a"><script>alert(3)</script></iframe><p>After</p>"#;
    for prefix in [
        "",
        "<select><xmp></xmp></select>",
        "<select><style></style></select>",
        "<frameset></frameset>",
        "<svg><iframe>x</iframe></svg>",
        "<math><mi><iframe>",
    ] {
        for body in [payload, player] {
            let raw = format!("{prefix}{body}");
            let clean = sanitize(&raw, Some(&base()), None);
            assert!(iframes_are_empty(&clean), "{raw} → {clean}");
            for bad in ["<script", "onerror", "alert(", "evil.example"] {
                assert!(!clean.contains(bad), "{bad}: {raw} → {clean}");
            }
            assert_eq!(
                sanitized_text_prefix(&clean, 600),
                to_text_prefix(&clean, 600),
                "{raw} → {clean}"
            );
        }
    }
    assert!(iframes_are_empty(
        r#"<p>x</p><iframe src="https://a" title="1 > 0"></iframe>y"#
    ));
    assert!(!iframes_are_empty("<iframe><b>x</b></iframe>"));
    assert!(!iframes_are_empty("<iframe src=\"a\">"));
}

#[test]
fn links_in_the_text_keep_their_fragment_and_lose_their_trackers() {
    let clean = sanitize(
        r##"<a href="#notes">Notes</a> <a href="/en/report.pdf?utm_source=rss&amp;id=4#page=12">p. 12</a>"##,
        Some(&base()),
        None,
    );
    let page = base().join("#notes").unwrap();
    assert!(clean.contains(&format!(r#"href="{page}""#)), "{clean}");
    assert!(
        clean.contains(r#"href="https://balkansgroup.example/en/report.pdf?id=4#page=12""#),
        "{clean}"
    );
}

#[test]
fn every_url_attribute_is_resolved_and_only_pixels_are_dropped() {
    let body = concat!(
        r#"<blockquote cite="/en/source.html">q</blockquote>"#,
        r#"<a href="/a?utm_source=x&amp;id=7#top">link</a>"#,
        r#"<img src="/photo.jpg" width="1" height="1" alt="own tiny image">"#,
        r#"<img src="https://cdn.example.org/p.gif" width="1px" height="1">"#,
        r#"<img src="https://cdn.example.org/wide.jpg" width="1" height="300">"#,
    );
    let clean = sanitize(body, Some(&base()), Some("balkansgroup.example"));
    assert!(
        clean.contains(r#"cite="https://balkansgroup.example/en/source.html""#),
        "{clean}"
    );
    assert!(
        clean.contains(r#"href="https://balkansgroup.example/a?id=7#top""#),
        "{clean}"
    );
    assert!(clean.contains("photo.jpg"), "{clean}");
    assert!(!clean.contains("p.gif"), "{clean}");
    assert!(clean.contains("wide.jpg"), "{clean}");
    let mail = sanitize(
        concat!(
            r#"<a href="mailto:info@bfpe.example">write</a> <a href="ftp://x.example/f">f</a>"#,
            r#" <a href="tel:+38344123456">call</a> <img src="tel:+1">"#,
        ),
        Some(&base()),
        None,
    );
    assert!(
        mail.contains(r#"href="mailto:info@bfpe.example""#),
        "{mail}"
    );
    assert!(mail.contains(r#"href="tel:+38344123456""#), "{mail}");
    assert!(
        !mail.contains("ftp:") && !mail.contains(r#"src="tel"#),
        "{mail}"
    );
    // Nothing of one body's base carries over to the next.
    let next = sanitize(r#"<blockquote cite="/x">q</blockquote>"#, None, None);
    assert!(!next.contains("cite"), "{next}");
}

#[test]
fn sanitizing_keeps_safe_markup_and_reading_text_skips_raw_text() {
    let body = "<p>Ženski kokus &#8212; Женски клуб</p><script>x()</script><p>Dijalog</p>";
    assert_eq!(
        sanitize(body, Some(&base()), None),
        "<p>Ženski kokus — Женски клуб</p><p>Dijalog</p>"
    );
    assert_eq!(
        to_text_prefix(body, 600),
        "Ženski kokus — Женски клуб Dijalog"
    );
}
