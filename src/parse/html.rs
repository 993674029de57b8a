//! HTML from feeds: made safe with ammonia, absolute, free of tracking pixels, and turned
//! into plain text for summaries and titles.
//!
//! Two passes: lol_html (a streaming rewriter) resolves relative `href`/`src` against the
//! item's base and drops tracking pixels; ammonia then keeps only safe tags, attributes and
//! http(s)/mailto URLs. Relative URLs that could not be resolved are dropped by ammonia.

use std::sync::OnceLock;

use lol_html::{element, rewrite_str, RewriteStrSettings};
use url::Url;

use super::urls;

/// Image hosts that serve nothing but read receipts.
const TRACKER_HOSTS: &[&str] = &[
    "feeds.feedburner.com",
    "feedpress.me",
    "pixel.wp.com",
    "stats.wordpress.com",
    "www.google-analytics.com",
    "google-analytics.com",
    "pixel.quantserve.com",
    "sb.scorecardresearch.com",
    "www.facebook.com",
    "pixel.mailchimp.com",
    "ad.doubleclick.net",
];

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static SANITIZER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    SANITIZER.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.url_schemes(["http", "https", "mailto"].into_iter().collect())
            .url_relative(ammonia::UrlRelative::Deny)
            .link_rel(Some("noopener noreferrer nofollow"))
            .add_tag_attributes("img", ["loading"])
            .add_tags(["figure", "figcaption", "picture", "source"])
            .add_tag_attributes("source", ["srcset", "type", "media"])
            .strip_comments(true);
        b
    })
}

/// Sanitized HTML for a feed body. `base` resolves relative URLs; `item_host` is the host of
/// the item's own link (a 1×1 image from any other host is a tracking pixel).
pub fn sanitize(html: &str, base: Option<&Url>, item_host: Option<&str>) -> String {
    let prepared = prepare(html, base, item_host).unwrap_or_else(|_| html.to_string());
    sanitizer().clean(&prepared).to_string().trim().to_string()
}

fn prepare(
    html: &str,
    base: Option<&Url>,
    item_host: Option<&str>,
) -> Result<String, lol_html::errors::RewritingError> {
    rewrite_str(
        html,
        RewriteStrSettings {
            element_content_handlers: vec![
                element!("img", move |el| {
                    if is_tracking_pixel(el, base, item_host) {
                        el.remove();
                    } else {
                        resolve_attr(el, "src", base);
                    }
                    Ok(())
                }),
                element!("a[href], area[href]", move |el| {
                    resolve_attr(el, "href", base);
                    Ok(())
                }),
                element!("source[src], audio[src], video[src]", move |el| {
                    resolve_attr(el, "src", base);
                    Ok(())
                }),
            ],
            ..RewriteStrSettings::new()
        },
    )
}

fn resolve_attr(el: &mut lol_html::html_content::Element, attr: &str, base: Option<&Url>) {
    if let Some(value) = el.get_attribute(attr) {
        match urls::resolve(&value, &[base]) {
            Some(abs) => {
                let _ = el.set_attribute(attr, abs.as_str());
            }
            None => el.remove_attribute(attr),
        }
    }
}

fn is_tracking_pixel(
    el: &lol_html::html_content::Element,
    base: Option<&Url>,
    item_host: Option<&str>,
) -> bool {
    let Some(src) = el.get_attribute("src") else {
        return false;
    };
    let host = urls::resolve(&src, &[base]).and_then(|u| u.host_str().map(str::to_string));
    let Some(host) = host else {
        return false;
    };
    if TRACKER_HOSTS.contains(&host.as_str()) {
        return true;
    }
    let tiny = |attr: &str| {
        el.get_attribute(attr)
            .map(|v| {
                let v = v.trim().trim_end_matches("px").trim();
                v == "0" || v == "1"
            })
            .unwrap_or(false)
    };
    let foreign = item_host.is_none_or(|h| !same_site(h, &host));
    tiny("width") && tiny("height") && foreign
}

fn same_site(a: &str, b: &str) -> bool {
    let strip = |h: &str| h.strip_prefix("www.").unwrap_or(h).to_ascii_lowercase();
    strip(a) == strip(b)
}

/// Plain text of an HTML fragment: tags dropped, entities decoded, whitespace collapsed.
pub fn to_text(html: &str) -> String {
    if !html.contains(['<', '&']) {
        return collapse_whitespace(html);
    }
    let text = html2text::config::with_decorator(
        html2text::render::text_renderer::TrivialDecorator::new(),
    )
    .string_from_read(html.as_bytes(), 100_000)
    .unwrap_or_else(|_| html.to_string());
    collapse_whitespace(&text)
}

/// Collapses every run of whitespace (including no-break and other Unicode spaces) to one
/// space and trims the ends; zero-width characters are removed.
pub fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        if c.is_whitespace() || c == '\u{a0}' || c == '\u{202f}' || c == '\u{2007}' {
            pending_space = !out.is_empty();
        } else if matches!(
            c,
            '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}'
        ) {
            continue;
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

/// Shortens text to at most `max` characters at a word boundary, adding an ellipsis.
pub fn truncate_words(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > max / 2 => &cut[..i],
        _ => &cut[..],
    };
    format!("{}…", cut.trim_end_matches([',', ';', ':', '.', ' ', '-']))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://balkansgroup.example/en/news/").unwrap()
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

    #[test]
    fn text_of_html_decodes_entities_and_separates_blocks() {
        assert_eq!(
            to_text(
                "<p>Kosovë&nbsp;&amp; Srbija</p><p>Dijalog <b>nastavljen</b></p><script>x</script>"
            ),
            "Kosovë & Srbija Dijalog nastavljen"
        );
        assert_eq!(to_text("plain   text\n here"), "plain text here");
    }

    #[test]
    fn collapses_all_kinds_of_whitespace() {
        assert_eq!(
            collapse_whitespace("  Women\u{a0}\u{a0}Caucus \t\n meets\u{200b} again  "),
            "Women Caucus meets again"
        );
    }

    #[test]
    fn truncates_at_a_word_boundary() {
        let t = truncate_words(
            "The Women's Caucus met municipal assembly members in Prizren today",
            30,
        );
        assert!(t.ends_with('…'));
        assert!(t.chars().count() <= 31);
        assert!(t.starts_with("The Women's Caucus met"));
    }
}
