//! Tracking pixels: dropped from other hosts only, and found in sanitized markup as a
//! tokenizer finds them.

use std::borrow::Cow;

use lol_html::element;

use super::base;
use crate::parse::html::pixels::{drop_tracking_pixels, is_tracking_pixel};
use crate::parse::html::policy::sanitizer;
use crate::parse::html::sanitize;

#[test]
fn drops_tracking_pixels_from_other_hosts_only() {
    let html = r#"<p>t</p><img width="1" height="1" src="https://tracker.example.net/px.gif?u=1">
        <img src="https://feeds.feedburner.com/~r/x/~4/abc">
        <img width="1" height="1" src="/spacer.gif" alt="own">
        <img src="/photo.jpg" alt="Photo" width="600" height="400">"#;
    let clean = sanitize(html, Some(&base()), Some("balkansgroup.example"));
    assert!(!clean.contains("tracker.example.net"), "{clean}");
    assert!(!clean.contains("feedburner"), "{clean}");
    assert!(clean.contains("spacer.gif"));
    assert!(clean.contains("photo.jpg"));
}

/// The images a tokenizer (lol_html) finds and removes as pixels in sanitized markup.
fn pixels_dropped_by_a_tokenizer(html: &str, item_host: Option<&str>) -> String {
    lol_html::rewrite_str(
        html,
        lol_html::RewriteStrSettings {
            element_content_handlers: vec![element!("img", |el| {
                if is_tracking_pixel(|name| el.get_attribute(name).map(Cow::Owned), item_host) {
                    el.remove();
                }
                Ok(())
            })],
            ..lol_html::RewriteStrSettings::new()
        },
    )
    .unwrap()
}

#[test]
fn pixels_are_found_in_the_sanitized_markup_as_a_tokenizer_finds_them() {
    let bodies = [
        r#"<p>a</p><img src="https://pixel.wp.com/g.gif?x=1&amp;y=2"><p>b</p>"#,
        r#"<img width="1" height="1" src="https://t.example.net/p.gif?a=1&amp;b=&quot;2&quot;">"#,
        r#"<img height="0px" width=" 1 " src="//cdn.example.org/p.gif">tail"#,
        r#"<img src="https://www.balkansgroup.example/own.gif" width="1" height="1">"#,
        r#"<img src="https://cdn.example.org/wide.jpg" width="1" height="300">"#,
        r#"<a title="<img src=https://pixel.wp.com/x.gif>" href="/a">not an image</a>"#,
        r#"<p title='x > <img width=1 height=1 src="https://t.example.net/q">'>text</p>"#,
        r#"<img alt="a &quot;quoted&quot; > sign" width="1" height="1" src="https://t.example.net/r">"#,
        "<p>&lt;img width=1 height=1 src=https://t.example.net/s&gt; is text</p>",
        r#"<figure><img src="https://sb.scorecardresearch.com/b"><img src="https://x.example/1.jpg"></figure>"#,
        r#"<img src="data:image/gif;base64,R0lGOD" width="1" height="1"><img width="1" height="1">"#,
        "<p>no images at all</p>",
    ];
    for raw in bodies {
        // Sanitized the way the pipeline sanitizes, but with the pixels kept.
        let clean = sanitizer().clean(raw).to_string();
        for host in [None, Some("balkansgroup.example")] {
            assert_eq!(
                drop_tracking_pixels(clean.clone(), host),
                pixels_dropped_by_a_tokenizer(&clean, host),
                "{clean} for {host:?}"
            );
        }
    }
    let clean = sanitizer().clean(bodies[0]).to_string();
    assert!(!drop_tracking_pixels(clean, None).contains("pixel.wp.com"));
}
