//! Feed discovery: the feeds a web page names with `<link rel="alternate">`, each with the
//! media type and title its link gives.

use std::cell::RefCell;

use lol_html::{element, HtmlRewriter, Settings};
use url::Url;

/// The feeds a web page links to with `<link rel="alternate" type="…feed type…" href>`, in
/// page order, made absolute against the page's `<base href>` or `page` (without either, only
/// the absolute ones are kept); http(s) only.
pub fn feed_links(html: &[u8], page: Option<&Url>) -> Vec<Url> {
    typed_feed_links(html, page)
        .into_iter()
        .map(|l| l.url)
        .collect()
}

/// [`feed_links`], each with the media type and title its link gives.
pub fn typed_feed_links(html: &[u8], page: Option<&Url>) -> Vec<FeedLink> {
    let base: RefCell<Option<Url>> = RefCell::new(page.cloned());
    let hrefs: RefCell<Vec<(String, String, String)>> = RefCell::new(Vec::new());
    let join = |base: Option<&Url>, href: &str| match base {
        Some(b) => b.join(href).ok(),
        None => Url::parse(href).ok(),
    };
    let mut rewriter = HtmlRewriter::new(
        Settings {
            element_content_handlers: vec![
                element!("base[href]", |el| {
                    if let Some(href) = el.get_attribute("href") {
                        let joined = join(base.borrow().as_ref(), href.trim());
                        if let Some(url) = joined {
                            *base.borrow_mut() = Some(url);
                        }
                    }
                    Ok(())
                }),
                element!("link[rel][href]", |el| {
                    let rel = el.get_attribute("rel").unwrap_or_default();
                    let alternate = rel
                        .split_ascii_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("alternate"));
                    let kind = el
                        .get_attribute("type")
                        .map(|t| t.trim().to_ascii_lowercase())
                        .unwrap_or_default();
                    let kind = kind.split(';').next().unwrap_or("").trim();
                    if alternate && FEED_TYPES.contains(&kind) {
                        if let Some(href) = el.get_attribute("href") {
                            let title = el.get_attribute("title").unwrap_or_default();
                            hrefs.borrow_mut().push((
                                href.trim().to_string(),
                                kind.to_string(),
                                title.trim().to_string(),
                            ));
                        }
                    }
                    Ok(())
                }),
            ],
            ..Settings::new()
        },
        |_: &[u8]| {},
    );
    // A page lol_html gives up on has no usable links.
    if rewriter.write(html).and_then(|_| rewriter.end()).is_err() {
        return Vec::new();
    }
    let base = base.into_inner();
    hrefs
        .into_inner()
        .into_iter()
        .filter_map(|(h, kind, title)| {
            Some(FeedLink {
                url: join(base.as_ref(), &h)?,
                kind,
                title,
            })
        })
        .filter(|l| matches!(l.url.scheme(), "http" | "https"))
        .collect()
}

/// A feed a web page links to ([`typed_feed_links`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedLink {
    /// The feed's address, absolute, http(s).
    pub url: Url,
    /// The media type the link gives, lowercase, without parameters.
    pub kind: String,
    /// The link's `title`, as written ("" without one).
    pub title: String,
}

impl FeedLink {
    /// Whether this is a feed of readers' comments, not of stories: by its title in English,
    /// Albanian or Serbian (WordPress titles a post's "… Comments Feed", "Prurje Komentesh",
    /// "Довод коментара"), a `comments` path segment (`/comments/feed/`) or a query naming
    /// comments (`?feed=comments-rss2`).
    pub fn is_comments(&self) -> bool {
        let title = self.title.to_lowercase();
        ["comment", "koment", "коментар"]
            .iter()
            .any(|w| title.contains(w))
            || self
                .url
                .path_segments()
                .is_some_and(|mut s| s.any(|seg| seg.eq_ignore_ascii_case("comments")))
            || self
                .url
                .query_pairs()
                .any(|(_, v)| v.to_ascii_lowercase().starts_with("comments"))
    }
}

/// The `type` of a `<link rel="alternate">` that names a feed.
const FEED_TYPES: &[&str] = &[
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
];
