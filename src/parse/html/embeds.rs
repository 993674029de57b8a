//! The pass before the sanitizer: players from known hosts kept in empty iframes (any other
//! frame dropped with what it holds), and lazily loaded pictures given their real source as
//! `src`.

use std::borrow::Cow;
use std::sync::OnceLock;

use lol_html::element;
use url::Url;

use super::lazy_images::{in_image_without_src, is_placeholder, largest_candidate};
use crate::parse::urls;

/// Before the sanitizer, for a body with an iframe or a lazily loaded image (most have
/// neither, and are passed over by one vectorized search):
/// - an `<iframe>` of a player from [`EMBED_HOSTS`] is kept, empty; any other goes, with
///   what it holds (a fallback for browsers without frames, never text of the story);
/// - an `<img>` whose picture is in `data-src`, `data-lazy-src` or `data-original` (lazy
///   loading: `src` is a placeholder, a `data:` URI, or missing) gets it as `src`.
///
/// `None` when lol_html cannot read the body: the caller then keeps no iframe at all.
pub(super) fn embeds_and_lazy_images<'a>(
    html: &'a str,
    base: Option<&Url>,
) -> Option<Cow<'a, str>> {
    static NEEDLES: OnceLock<aho_corasick::AhoCorasick> = OnceLock::new();
    let needles = NEEDLES.get_or_init(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build([
                "<iframe",
                "data-src",
                "data-lazy-src",
                "data-original",
                "srcset",
            ])
            .expect("five fixed patterns")
    });
    let (mut iframes, mut lazy) = (false, false);
    // Where the last tag looked at for a `srcset` ends: each tag is looked at once, however
    // many times its text says "srcset".
    let mut looked_until = 0;
    for found in needles.find_overlapping_iter(html) {
        match found.pattern().as_usize() {
            0 => iframes = true,
            // Most pictures with a `srcset` have a `src` too: only one without is rewritten.
            4 if !lazy && found.start() >= looked_until => {
                let (without, end) = in_image_without_src(html, found.start());
                lazy = without;
                looked_until = end;
            }
            4 => {}
            _ => lazy = true,
        }
        if iframes && lazy {
            break;
        }
    }
    if !iframes && !lazy {
        return Some(Cow::Borrowed(html));
    }
    let absolute = |src: &str| {
        let src = src.trim();
        // A protocol-relative player (`//www.youtube.com/embed/…`), the usual way to write one.
        let src = match src.strip_prefix("//") {
            Some(rest) => Cow::Owned(format!("https://{rest}")),
            None => Cow::Borrowed(src),
        };
        urls::resolve_in_text(&src, &[base])
    };
    let mut handlers = Vec::new();
    if iframes {
        handlers.push(element!("iframe", |el| {
            let src = el.get_attribute("src").unwrap_or_default();
            match absolute(&src).and_then(|u| embed_url(u.as_str())) {
                Some(player) => {
                    el.set_attribute("src", &player)?;
                    el.set_inner_content("", lol_html::html_content::ContentType::Text);
                }
                None => el.remove(),
            }
            Ok(())
        }));
    }
    if lazy {
        handlers.push(element!("img", |el| {
            let placeholder = el
                .get_attribute("src")
                .is_none_or(|s| is_placeholder(s.as_bytes()));
            if placeholder {
                // Else the largest of its `srcset` candidates (the sanitizer drops `srcset`,
                // whose candidates it would not check: a picture given only those would show
                // nothing).
                if let Some(real) = el
                    .get_attribute("data-src")
                    .or_else(|| el.get_attribute("data-lazy-src"))
                    .or_else(|| el.get_attribute("data-original"))
                    .filter(|s| !s.trim().is_empty())
                    .or_else(|| {
                        let set = el
                            .get_attribute("data-srcset")
                            .or_else(|| el.get_attribute("srcset"))?;
                        largest_candidate(&set, |url| absolute(url).is_some()).map(str::to_string)
                    })
                {
                    el.set_attribute("src", &real)?;
                }
            }
            Ok(())
        }));
    }
    let rewritten = lol_html::rewrite_str(
        html,
        lol_html::RewriteStrSettings {
            element_content_handlers: handlers,
            // Markup it finds ambiguous (`<select><xmp>`) is read as best it can rather than
            // refused; `sanitize_markup` checks the outcome either way.
            strict: false,
            ..lol_html::RewriteStrSettings::new()
        },
    );
    rewritten.ok().map(Cow::Owned)
}

/// The URL an embedded player is kept with, or `None` for one from another host: https, and
/// YouTube's players on youtube-nocookie.com (no cookies until the reader plays the video).
pub(super) fn embed_url(src: &str) -> Option<String> {
    let mut url = Url::parse(src.trim()).ok()?;
    let host = url.host_str()?.to_ascii_lowercase();
    if !EMBED_HOSTS.contains(&host.as_str()) {
        return None;
    }
    if host == "www.facebook.com" && !url.path().starts_with("/plugins/video") {
        return None;
    }
    url.set_scheme("https").ok()?;
    if host.ends_with("youtube.com") {
        url.set_host(Some("www.youtube-nocookie.com")).ok()?;
    }
    Some(url.into())
}

/// Hosts whose players a story may embed in an `<iframe>` (video and audio players that
/// feed readers show): kept, sandboxed, with YouTube's privacy-enhanced host. An iframe from
/// any other host is dropped, as sanitizers drop them.
const EMBED_HOSTS: &[&str] = &[
    "www.youtube.com",
    "youtube.com",
    "www.youtube-nocookie.com",
    "youtube-nocookie.com",
    "player.vimeo.com",
    "www.dailymotion.com",
    "w.soundcloud.com",
    "open.spotify.com",
    "www.facebook.com",
];
