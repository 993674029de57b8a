//! A web page where a feed was expected: how it is recognized, and which of the feeds it names
//! the error points the source at.

use url::Url;

use super::{html, urls};

/// Whether a document is a web page: it opens with an HTML doctype or `<html>` (within its
/// first 512 characters, past leading whitespace).
pub(super) fn is_web_page(text: &str) -> bool {
    let head: String = text
        .chars()
        .take(512)
        .collect::<String>()
        .to_ascii_lowercase();
    let head = head.trim_start();
    head.starts_with("<!doctype html") || head.starts_with("<html")
}

/// The feed a web page at `page` names that the source most likely meant, to say where to point
/// it (never fetched: a page may name any address), as published (no login, no secret
/// parameters), and how many others the page names. Its own section's feed first: a category
/// page (`/category/news/`) names the whole site's feed before its own. A feed of stories before
/// one of comments (a WordPress post's page names its comments' feed under its own path), and
/// one of a specific type before plain `application/json` (WordPress links every page to its
/// REST API so). Not the page itself.
pub(super) fn named_feed(html: &[u8], page: Option<&Url>) -> (Option<String>, usize) {
    let mut links: Vec<html::FeedLink> = Vec::new();
    for link in html::typed_feed_links(html, page) {
        if Some(&link.url) != page
            && link.url.as_str().len() <= urls::MAX_URL
            && !links.iter().any(|l| l.url == link.url)
        {
            links.push(link);
        }
    }
    let section = page
        .map(|p| p.path().trim_end_matches('/'))
        .filter(|p| !p.is_empty());
    let rank = |link: &html::FeedLink| {
        let url = &link.url;
        let own = section.is_some_and(|s| {
            url.host_str() == page.and_then(Url::host_str)
                && url
                    .path()
                    .strip_prefix(s)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        });
        (link.is_comments(), !own, link.kind == "application/json")
    };
    let best = links.iter().min_by_key(|l| rank(l));
    let feed = best.map(|l| crate::model::Location::Http(l.url.clone()).to_string());
    (feed, links.len().saturating_sub(1))
}

/// What [`super::ParseError::HtmlPage`] adds to its message: the feed the page names, or a
/// question.
pub(super) fn html_page_hint(feed: Option<&str>, others: usize) -> String {
    match (feed, others) {
        (Some(url), 0) => format!(", which names its feed at {url}: set the source's url to that"),
        (Some(url), n) => format!(
            ", which names its feed at {url} and {n} other{}: set the source's url to the one meant (`tributary discover` lists them)",
            if n == 1 { "" } else { "s" }
        ),
        (None, _) => " (does the URL point at the site instead of its feed?)".into(),
    }
}
