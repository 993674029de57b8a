//! The pass before the sanitizer: players kept from known hosts only, and lazily loaded
//! pictures given their real source.

use super::base;
use crate::parse::html::lazy_images::{in_image_without_src, largest_candidate};
use crate::parse::html::{sanitize, sanitized_text_prefix, to_text, to_text_prefix};

#[test]
fn a_picture_given_only_a_srcset_shows_its_largest_candidate() {
    let largest = |set| largest_candidate(set, |_| true);
    assert_eq!(
        largest("/c-400.png 400w, /c-800.png 800w,/c-600.png 600w"),
        Some("/c-800.png")
    );
    assert_eq!(largest("a.png, b.png 2x"), Some("b.png"));
    assert_eq!(
        largest_candidate("javascript:x() 2x, ok.png 1x", |u| !u
            .starts_with("javascript")),
        Some("ok.png")
    );
    // A URL with commas (an image CDN's parameters) is one candidate.
    assert_eq!(
        largest(
            "https://cdn.example/w_400,h_300/a.jpg 1x, https://cdn.example/w_800,h_600/a.jpg 2x"
        ),
        Some("https://cdn.example/w_800,h_600/a.jpg")
    );
    assert_eq!(largest(" , "), None);
    assert_eq!(largest("a.png 0w, b.png bogus"), None);
    let body = concat!(
        r#"<p><img srcset="/c-400.png 400w, /c-800.png 800w" alt="Chart"></p>"#,
        r#"<p><IMG data-srcset="/d-1.png 1x, /d-2.png 2x" alt="Lazy"></p>"#,
        r#"<p><img src="/e.png" srcset="/e-2.png 2x" alt="Eager"></p>"#,
        "<p><img\n  srcset=\"/n-400.png 400w, /n-800.png 800w\" alt=\"Newline\"></p>",
        r#"<p><img alt="I <3 Prizren" srcset="/h-1.png 1x, /h-2.png 2x"></p>"#,
        r#"<p><img src="data:image/gif;base64,R0lGOD" srcset="/p-1.png 1x, /p-2.png 2x"></p>"#,
        r#"<p><img srcset="javascript:alert(1) 2x, /ok.png 1x" alt="Safe"></p>"#,
    );
    let clean = sanitize(body, Some(&base()), None);
    for picture in [
        "c-800.png",
        "d-2.png",
        "e.png",
        "n-800.png",
        "h-2.png",
        "p-2.png",
        "ok.png",
    ] {
        assert!(
            clean.contains(&format!(r#"src="https://balkansgroup.example/{picture}""#)),
            "{picture}: {clean}"
        );
    }
    assert!(
        !clean.contains("srcset") && !clean.contains("e-2.png"),
        "{clean}"
    );
    // The quick look: only an `<img>` without a `src` is rewritten.
    let at = |html: &str| in_image_without_src(html, html.find("srcset").unwrap()).0;
    assert!(at(r#"<img srcset="a.png">"#));
    assert!(at(r#"<img data-src="" srcset="a.png">"#));
    assert!(!at(r#"<img SRC = "a.png" srcset="b.png">"#));
    assert!(!at(r#"<source srcset="a.png">"#));
    assert!(at("<img\tsrcset=\"a.png\">"));
    assert!(at(r#"<img src='' srcset="a.png">"#));
    assert!(at(r#"<img src="data:image/gif;base64,R0" srcset="a.png">"#));
    assert!(at(r#"<img alt="1 < 2" srcset="a.png">"#));
    assert!(!at(r#"<img src=/a.png srcset="b.png">"#));
    // `src=` written inside another attribute's value is no `src`.
    assert!(at(r#"<img alt="set src=a.png here" srcset="b.png">"#));
    assert!(at(r#"<img title='x src="a.png"' srcset="b.png">"#));
    assert!(!at(r#"<img alt="" src="a.png" srcset="b.png">"#));
    assert!(!at(r#"<img/src="a.png" srcset="b.png">"#));
    assert!(at(r#"<img srcx="a.png" srcset="b.png">"#));
    assert!(at(r#"<img =src="a.png" srcset="b.png">"#));
    assert!(!at(r#"<img = src="a.png" srcset="b.png">"#));
    // Each tag is looked at once, however often it says "srcset" (an `alt` of 100,000 of
    // them took seconds): the look ends at its `>`.
    let many = format!(
        r#"<img src="/a.png" alt="{}" srcset="b.png">"#,
        "srcset ".repeat(3)
    );
    assert_eq!(
        in_image_without_src(&many, many.find("srcset").unwrap()),
        (false, many.len() - 1)
    );
    let placeholder = r#"<img src="DATA:image/gif;base64,R0" srcset="/q-1.png 1x, /q-2.png 2x">"#;
    assert!(sanitize(placeholder, Some(&base()), None).contains("q-2.png"));
    let in_alt = r#"<img alt="src=/q-1.png" srcset="/q-1.png 1x, /q-2.png 2x">"#;
    assert!(
        sanitize(in_alt, Some(&base()), None)
            .contains(r#"src="https://balkansgroup.example/q-2.png""#),
        "{}",
        sanitize(in_alt, Some(&base()), None)
    );
}

#[test]
fn players_from_known_hosts_stay_other_frames_go_and_lazy_images_load() {
    let body = concat!(
        r#"<p>Watch:</p><iframe width="560" src="//www.youtube.com/embed/abc123?si=x" "#,
        r#"onload="steal()" allowfullscreen>fallback <b>text</b></iframe>"#,
        r#"<IFRAME src="https://player.vimeo.com/video/42"></IFRAME>"#,
        r#"<iframe src="/en/map.html" title="Map of the crossings"></iframe>"#,
        r#"<iframe src="javascript:alert(1)"></iframe><iframe>no source</iframe>"#,
        r#"<video src="/media/talk.mp4" poster="/media/talk.jpg" controls autoplay></video>"#,
        r#"<audio controls><source src="/media/ep3.mp3" type="audio/mpeg"></audio>"#,
        r#"<img src="data:image/gif;base64,R0lGOD" data-src="/uploads/photo.jpg" alt="lazy">"#,
        r#"<img data-lazy-src="/uploads/other.jpg" alt="lazier">"#,
        r#"<img class="lazyload" data-original="/uploads/third.jpg" alt="laziest">"#,
        r#"<noscript><img src="/uploads/third.jpg" alt="laziest"></noscript>"#,
        r#"<noscript>Turn on JavaScript to see the gallery.</noscript>"#,
        r#"<img src="/uploads/real.jpg" data-src="/uploads/ignored.jpg" alt="eager">"#,
        r#"<picture><source srcset="/uploads/wide.webp 2x, https://pixel.example/t.gif 1x" type="image/webp">"#,
        r#"<img src="/uploads/narrow.jpg" alt="responsive"></picture>"#,
    );
    let clean = sanitize(body, Some(&base()), Some("balkansgroup.example"));
    // The players, on https, YouTube's without cookies, sandboxed, empty.
    assert!(
        clean.contains(r#"src="https://www.youtube-nocookie.com/embed/abc123?si=x""#),
        "{clean}"
    );
    assert!(
        clean.contains(r#"src="https://player.vimeo.com/video/42""#),
        "{clean}"
    );
    assert_eq!(clean.matches("<iframe").count(), 2, "{clean}");
    assert_eq!(clean.matches("sandbox=").count(), 2, "{clean}");
    assert!(
        !clean.contains("fallback") && !clean.contains("onload"),
        "{clean}"
    );
    // Any other frame goes.
    for gone in ["map.html", "javascript", "no source"] {
        assert!(!clean.contains(gone), "{gone}: {clean}");
    }
    // Media, absolute, without autoplay.
    assert!(
        clean.contains(r#"src="https://balkansgroup.example/media/talk.mp4""#)
            && clean.contains(r#"poster="https://balkansgroup.example/media/talk.jpg""#),
        "{clean}"
    );
    assert!(!clean.contains("autoplay"), "{clean}");
    // A picture keeps its image; the candidates of `srcset` go with it.
    assert!(
        clean.contains(r#"src="https://balkansgroup.example/uploads/narrow.jpg""#)
            && !clean.contains("srcset")
            && !clean.contains("wide.webp"),
        "{clean}"
    );
    assert!(
        clean.contains(r#"<source src="https://balkansgroup.example/media/ep3.mp3""#),
        "{clean}"
    );
    // Lazily loaded pictures get their real source; an eager one keeps its own.
    for picture in ["photo.jpg", "other.jpg", "real.jpg", "third.jpg"] {
        assert!(
            clean.contains(&format!(
                r#"src="https://balkansgroup.example/uploads/{picture}""#
            )),
            "{picture}: {clean}"
        );
    }
    assert!(!clean.contains("data:image"), "{clean}");
    // What a `<noscript>` holds is not shown as escaped markup, nor its text as the
    // story's: the picture it offers is the lazy one's, shown once.
    assert!(
        !clean.contains("&lt;img") && !clean.contains("JavaScript"),
        "{clean}"
    );
    assert_eq!(clean.matches("third.jpg").count(), 1, "{clean}");
    // The summary reads the text around them, and none of theirs.
    assert_eq!(
        sanitized_text_prefix(&clean, 600),
        to_text_prefix(&clean, 600)
    );
    assert!(!to_text(&clean).contains("fallback"));
}
