//! One stored item as a digest entry: plain text only, links and images only http(s).
//!
//! Templates escape what they print, but they cannot judge URLs: every URL an entry carries
//! has been parsed here and is an absolute `http` or `https` URL, or it is not carried.

use chrono_tz::Tz;

use super::Entry;
use crate::model::Item;
use crate::parse::html::{collapse_whitespace, first_picture, to_text, truncate_words};

/// Characters of summary an entry keeps at most (plus an ellipsis).
pub(super) const SUMMARY_CHARS: usize = 300;

/// The entry for `item`, with `number` and `also` left for the caller to fill in.
pub(super) fn entry(
    item: &Item,
    tz: Tz,
    locale: super::Locale,
    images: bool,
    source_title: &dyn Fn(&str) -> Option<String>,
) -> Entry {
    let title = match plain(&item.title) {
        // A story whose title is blank, in the digest's language.
        t if t.is_empty() => locale.page_labels().untitled.to_string(),
        t => t,
    };
    let summary = summary(item, &title);
    let link = link(item);
    // The picture its feed named apart from the text (its text alternative, when the body
    // shows it too), else the body's first; the body is read only when pictures are shown.
    let picture = images
        .then(|| {
            let in_body = item.content.as_deref().and_then(first_picture);
            match (&item.image, in_body) {
                (Some(own), Some((src, alt))) if *own == src => Some((src, alt)),
                (Some(own), _) => Some((own.clone(), String::new())),
                (None, body) => body,
            }
        })
        .flatten()
        .and_then(|(src, alt)| Some((http_url(&src)?, alt)));
    let (image, image_alt) = match picture {
        Some((src, alt)) => (Some(src), alt),
        None => (None, String::new()),
    };
    Entry {
        id: item.id.to_string(),
        number: 0,
        links: links(item, &summary, link.as_deref()),
        summary,
        link,
        sources: sources(item, source_title),
        source_ids: source_ids(item),
        topics: item.topic_names().map(str::to_string).collect(),
        // The zone is in the digest's header.
        date: locale.date_time(item.published, tz),
        published: item
            .published
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        also: Vec::new(),
        image,
        image_alt,
        lang: item.lang.clone(),
        title,
    }
}

/// Text on one line: control characters dropped, whitespace collapsed.
pub(super) fn plain(s: &str) -> String {
    let kept: String = s
        .chars()
        .filter(|c| !c.is_control() || c.is_whitespace())
        .collect();
    collapse_whitespace(&kept)
}

pub(super) use crate::model::http_url;

/// The story's own link, else the first link a carrier gave; http(s) only.
fn link(item: &Item) -> Option<String> {
    item.link
        .iter()
        .chain(item.sources.iter().filter_map(|c| c.link.as_ref()))
        .find_map(|l| http_url(l))
}

/// Each carrier's title (its id when the caller does not know it), first carrier first,
/// without repeats.
fn sources(item: &Item, source_title: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    let mut titles: Vec<String> = Vec::with_capacity(item.sources.len());
    for carrier in &item.sources {
        let title = source_title(&carrier.source)
            .map(|t| plain(&t))
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| plain(&carrier.source));
        if !title.is_empty() && !titles.contains(&title) {
            titles.push(title);
        }
    }
    titles
}

/// The most links an entry lists.
const MAX_LINKS: usize = 5;

/// The links of the story's body whose words `summary` shows, other than the story's own
/// `link`, each address once, at most [`MAX_LINKS`].
fn links(item: &Item, summary: &str, link: Option<&str>) -> Vec<super::EntryLink> {
    let Some(content) = item.content.as_deref().filter(|_| !summary.is_empty()) else {
        return Vec::new();
    };
    let shown = summary.to_lowercase();
    let mut out: Vec<super::EntryLink> = Vec::new();
    for (text, href) in crate::parse::html::links(content) {
        let Some(url) = http_url(&href) else {
            continue;
        };
        let text = plain(&text);
        if Some(url.as_str()) == link
            || out.iter().any(|l| l.url == url)
            || !shown.contains(&text.to_lowercase())
        {
            continue;
        }
        out.push(super::EntryLink { text, url });
        if out.len() == MAX_LINKS {
            break;
        }
    }
    out
}

/// Each carrier's id, first carrier first, without repeats.
fn source_ids(item: &Item) -> Vec<String> {
    let mut ids: Vec<String> = Vec::with_capacity(item.sources.len());
    for carrier in &item.sources {
        if !ids.contains(&carrier.source) {
            ids.push(carrier.source.clone());
        }
    }
    ids
}

/// The stored summary (else the text of the content), shortened; empty when it says no more
/// than the title.
fn summary(item: &Item, title: &str) -> String {
    let mut text = plain(&item.summary);
    if text.is_empty() {
        if let Some(content) = &item.content {
            text = plain(&to_text(content));
        }
    }
    if text.trim_end_matches(['.', '…']).to_lowercase()
        == title.trim_end_matches(['.', '…']).to_lowercase()
    {
        return String::new();
    }
    truncate_words(&text, SUMMARY_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_urls_survive() {
        assert_eq!(
            http_url(" https://example.org/a b ").as_deref(),
            Some("https://example.org/a%20b")
        );
        assert_eq!(http_url("javascript:alert(1)"), None);
        assert_eq!(http_url("data:image/png;base64,AAAA"), None);
        assert_eq!(http_url("/relative"), None);
        assert_eq!(http_url("mailto:a@example.org"), None);
    }

    #[test]
    fn the_first_web_image_is_taken_with_its_alt_text() {
        let html = r#"<p>x</p><img alt="a"><img src="data:image/gif;base64,R0lG">
            <img src="https://img.example/1.jpg" alt="Map of the &quot;Western&quot;  Balkans"><img src="https://img.example/2.jpg">"#;
        assert_eq!(
            first_picture(html),
            Some((
                "https://img.example/1.jpg".to_string(),
                "Map of the \"Western\" Balkans".to_string()
            ))
        );
        assert_eq!(first_picture("<p>no images</p>"), None);
        let bare = r#"<img src="https://img.example/1.jpg">"#;
        assert_eq!(first_picture(bare).unwrap().1, "");
    }

    #[test]
    fn plain_text_drops_controls_and_newlines() {
        assert_eq!(plain(" a\u{1}b\n\tc  d "), "ab c d");
    }
}
