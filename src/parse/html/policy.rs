//! The sanitizer's policy: the two ammonia builders (one that keeps players in iframes, one
//! that keeps no frame), each built once, and the context their callbacks share with
//! [`clean_with`]: the base of the body being cleaned, and whether it may hold a tracking
//! pixel.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::sync::OnceLock;

use url::Url;

use super::embeds::embed_url;
use super::pixels::{is_tiny, TRACKER_HOSTS};
use crate::parse::urls;

/// The sanitizer that keeps players in iframes: for bodies whose iframes the pass before it
/// ([`embeds_and_lazy_images`](super::embeds::embeds_and_lazy_images)) emptied.
pub(super) fn sanitizer() -> &'static ammonia::Builder<'static> {
    static SANITIZER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    SANITIZER.get_or_init(|| build_sanitizer(true))
}

/// The sanitizer that drops every iframe with its content: for a body the pass before it could
/// not read, or whose sanitized form still had an iframe with content.
pub(super) fn sanitizer_without_frames() -> &'static ammonia::Builder<'static> {
    static SANITIZER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    SANITIZER.get_or_init(|| build_sanitizer(false))
}

/// `html` through the sanitizer `builder`, as a string.
pub(super) fn clean_with(
    builder: &ammonia::Builder<'static>,
    html: &str,
    base: Option<&Url>,
) -> String {
    BASE.set(base.cloned());
    PIXEL_SUSPECT.set(false);
    let document = builder.clean(html);
    BASE.set(None);
    // Written straight into a buffer of about the right size (`to_string` serializes into a
    // growing buffer of its own, then copies that).
    let mut bytes = Vec::with_capacity(html.len());
    document
        .write_to(&mut bytes)
        .expect("writing to memory does not fail");
    // html5ever writes UTF-8. encoding_rs checks it a vector at a time (`String::from_utf8`
    // a word at a time, three times the instructions) and borrows it when it is valid.
    encoding_rs::UTF_8
        .decode_without_bom_handling(&bytes)
        .0
        .into_owned()
}

thread_local! {
    /// The base of the body this thread is sanitizing: the sanitizer is built once and shared,
    /// and its URL callbacks read the base from here.
    static BASE: RefCell<Option<Url>> = const { RefCell::new(None) };
    /// The body being sanitized has an image that may be a tracking pixel (from a tracker
    /// host, or 0 or 1 pixel wide or high): only then are its images read again.
    pub(super) static PIXEL_SUSPECT: Cell<bool> = const { Cell::new(false) };
}

/// `value` as an absolute, canonical http(s) URL against the base of the body being
/// sanitized, its fragment kept; `None` drops the attribute.
fn resolve_in_context(value: &str) -> Option<Url> {
    BASE.with_borrow(|base| urls::resolve_in_text(value, &[base.as_ref()]))
}

fn relative_in_context(url: &str) -> Option<Cow<'_, str>> {
    resolve_in_context(url).map(|u| Cow::Owned(u.into()))
}

fn build_sanitizer(players: bool) -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    b.url_schemes(["http", "https", "mailto", "tel"].into_iter().collect())
        // Links, media and citations are made absolute and canonical (tracking parameters
        // dropped) by the filter; any other relative URL attribute is resolved here.
        .url_relative(ammonia::UrlRelative::Custom(Box::new(relative_in_context)))
        .attribute_filter(|element, attribute, value| {
            if (element, attribute) == ("iframe", "src") {
                // The pass before the sanitizer kept only players from known hosts.
                return embed_url(value).map(Cow::Owned);
            }
            let resolved = matches!(
                (element, attribute),
                ("a" | "area", "href")
                    | ("img" | "source" | "audio" | "video", "src")
                    | ("video", "poster")
                    | ("blockquote" | "q" | "del" | "ins", "cite")
            );
            if !resolved {
                if element == "img" && matches!(attribute, "width" | "height") && is_tiny(value) {
                    PIXEL_SUSPECT.set(true);
                }
                return Some(Cow::Borrowed(value));
            }
            let Some(url) = resolve_in_context(value) else {
                // Not a web address: an e-mail or telephone link stays as written (ammonia
                // has checked its scheme), anything else goes.
                let scheme = |s: &str| {
                    value
                        .trim_start()
                        .get(..s.len())
                        .is_some_and(|p| p.eq_ignore_ascii_case(s))
                };
                let kept = attribute == "href" && (scheme("mailto:") || scheme("tel:"));
                return kept.then_some(Cow::Borrowed(value));
            };
            if element == "img" && url.host_str().is_some_and(|h| TRACKER_HOSTS.contains(&h)) {
                PIXEL_SUSPECT.set(true);
            }
            Some(Cow::Owned(url.into()))
        })
        .link_rel(Some("noopener noreferrer nofollow"))
        .add_tag_attributes("img", ["loading"])
        .add_tags([
            "figure",
            "figcaption",
            "picture",
            "source",
            "video",
            "audio",
        ])
        // Not `srcset`: its candidate URLs would pass unresolved and unchecked (ammonia
        // filters whole-URL attributes only); `src` and the `<img>` in a `<picture>` remain.
        .add_tag_attributes("source", ["src", "type", "media"])
        .add_tag_attributes(
            "video",
            [
                "src", "poster", "controls", "width", "height", "preload", "loop", "muted",
            ],
        )
        .add_tag_attributes("audio", ["src", "controls", "preload", "loop", "muted"])
        // Raw-text elements go with their content, as `script` and `style` do: what a
        // `<noembed>` holds is a fallback for browsers without them, never text of the
        // story (and the summary, read from this output, leaves it out too). The parser
        // reads a `<noscript>` as raw text too (as a browser running scripts does): the
        // `<img>` a lazy-loading plugin puts in one beside every picture would be shown
        // as escaped markup. Its picture is the lazy image's, given its `src` before.
        .add_clean_content_tags(["noembed", "noframes", "noscript", "xmp"])
        .strip_comments(true);
    if !players {
        b.add_clean_content_tags(["iframe"]);
        return b;
    }
    // Players from known hosts (see `embeds_and_lazy_images`), sandboxed; their content
    // was emptied before, and `sanitize_markup` checks that it was.
    b.add_tags(["iframe"])
        .add_tag_attributes(
            "iframe",
            ["src", "width", "height", "title", "allowfullscreen"],
        )
        .set_tag_attribute_value(
            "iframe",
            "sandbox",
            "allow-scripts allow-same-origin allow-popups allow-presentation",
        )
        .set_tag_attribute_value("iframe", "loading", "lazy")
        .set_tag_attribute_value(
            "iframe",
            "referrerpolicy",
            "strict-origin-when-cross-origin",
        );
    b
}
