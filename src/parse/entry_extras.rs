//! What feed-rs leaves out of the entries of any format, read by one more pass over the
//! documents that name it:
//! - FeedBurner's `feedburner:origLink`: the story's own address, where the entry's `<link>`
//!   names FeedBurner's redirector (`feedproxy.google.com/~r/…`, `feeds.feedburner.com/~r/…`),
//!   a page that tracks the click and says nothing of which story it is. Readers (Miniflux
//!   among them) link to the original; so does Tributary, and a partner's copy that links to
//!   the original is then recognised as the same story.
//! - A `media:thumbnail` without a `media:content` beside it, directly in the item or entry or
//!   in a `media:group` of it (Blogger writes one in every Atom entry): feed-rs keeps a
//!   thumbnail only beside one.

use feed_rs::model::{Entry, Feed, FeedType, Link};
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, QName, ResolveResult};
use quick_xml::NsReader;

const FEEDBURNER: &str = "http://rssnamespace.org/feedburner/ext/1.0";
use super::rss_extras::MEDIA;

/// What one entry holds that feed-rs left out.
#[derive(Debug, Default, PartialEq, Eq)]
struct Found {
    /// Its `feedburner:origLink`, an absolute http(s) URL.
    orig: Option<String>,
    /// The `url` of its first `media:thumbnail`, directly in it or in a `media:group` of it.
    thumbnail: Option<String>,
}

/// Puts each entry's `feedburner:origLink` first among its links, as its page, and gives an
/// entry without a picture its thumbnail. Only a document that names one of them is read
/// again, and its findings are used only when it holds as many items or entries as feed-rs
/// read.
pub(super) fn fill(feed: &mut Feed, text: &str) {
    let thumbnails = feed.feed_type != FeedType::JSON
        && text.contains(":thumbnail")
        && feed
            .entries
            .iter()
            .any(|e| e.media.iter().all(|m| m.thumbnails.is_empty()));
    if !thumbnails && !text.contains("origLink") {
        return;
    }
    let Some(found) = read_entries(text) else {
        return;
    };
    if found.len() != feed.entries.len() {
        return;
    }
    for (entry, found) in feed.entries.iter_mut().zip(found) {
        if let Some(orig) = found.orig {
            link_first(entry, orig);
        }
        if let Some(uri) = found.thumbnail.filter(|_| thumbnails) {
            if entry.media.iter().all(|m| m.thumbnails.is_empty()) {
                entry.media.push(super::thumbnail(uri));
            }
        }
    }
}

fn link_first(entry: &mut Entry, href: String) {
    entry.links.retain(|l| l.href != href);
    entry.links.insert(
        0,
        Link {
            href,
            target: None,
            rel: Some("alternate".into()),
            media_type: None,
            href_lang: None,
            title: None,
            length: None,
        },
    );
}

/// What each `<item>` or `<entry>` (not nested in another) holds, in document order: its first
/// `feedburner:origLink` that is an absolute http(s) URL, its first `media:thumbnail`; `None`
/// when quick-xml cannot read the document.
fn read_entries(text: &str) -> Option<Vec<Found>> {
    let mut reader = NsReader::from_str(text);
    reader.config_mut().check_end_names = false;
    let mut found = Vec::new();
    let mut depth = 0usize;
    // The depth of the entry being read, and what it holds so far.
    let mut current: Option<(usize, Found)> = None;
    // In a `media:group` directly in the entry.
    let mut in_group = false;
    let is_media =
        |ns: &ResolveResult<'_>| matches!(ns, ResolveResult::Bound(Namespace(n)) if *n == MEDIA);
    loop {
        let (ns, event) = reader.read_resolved_event().ok()?;
        match event {
            Event::Start(e) => {
                depth += 1;
                let local = e.local_name();
                let local = local.as_ref();
                match &mut current {
                    None if matches!(local, "item" | "entry") => {
                        current = Some((depth, Found::default()))
                    }
                    Some((entry_depth, _))
                        if depth == *entry_depth + 1 && local == "group" && is_media(&ns) =>
                    {
                        in_group = true;
                    }
                    Some((entry_depth, held))
                        if depth == *entry_depth + 1 || (in_group && depth == *entry_depth + 2) =>
                    {
                        let name = e.name().as_ref().to_string();
                        depth -= 1;
                        let feedburner =
                            matches!(ns, ResolveResult::Bound(Namespace(n)) if n == FEEDBURNER);
                        if is_media(&ns) {
                            thumbnail(&e, held);
                        }
                        if feedburner && local == "origLink" && held.orig.is_none() {
                            let raw = reader.read_text(QName(&name)).ok()?;
                            held.orig = absolute(&raw);
                        } else {
                            reader.read_to_end(QName(&name)).ok()?;
                        }
                    }
                    _ => {}
                }
            }
            Event::End(_) => {
                if let Some(&(entry_depth, _)) = current.as_ref() {
                    if depth == entry_depth + 1 {
                        in_group = false;
                    }
                    if depth == entry_depth {
                        found.extend(current.take().map(|(_, held)| held));
                    }
                }
                depth = depth.saturating_sub(1);
            }
            Event::Empty(e) => match &mut current {
                None if matches!(e.local_name().as_ref(), "item" | "entry") => {
                    found.push(Found::default());
                }
                Some((entry_depth, held))
                    if is_media(&ns)
                        && (depth == *entry_depth || (in_group && depth == *entry_depth + 1)) =>
                {
                    thumbnail(&e, held);
                }
                _ => {}
            },
            Event::Eof => return Some(found),
            _ => {}
        }
    }
}

/// Keeps the `url` of `e` when it is the entry's first `media:thumbnail` (`e` is in the Media
/// RSS namespace).
fn thumbnail(e: &BytesStart<'_>, held: &mut Found) {
    if held.thumbnail.is_none() {
        held.thumbnail = thumbnail_url(e);
    }
}

/// The `url` of `e` when it is a `media:thumbnail` (in the Media RSS namespace) naming one.
fn thumbnail_url(e: &quick_xml::events::BytesStart<'_>) -> Option<String> {
    if e.local_name().as_ref() != "thumbnail" {
        return None;
    }
    e.try_get_attribute("url")
        .ok()
        .flatten()
        .and_then(|a| a.normalized_value(quick_xml::XmlVersion::default()).ok())
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
}

/// `raw` (an element's text as written: entities and CDATA undone) when it is an absolute
/// http(s) URL.
fn absolute(raw: &str) -> Option<String> {
    let text = super::rss_extras::unwrap_cdata(
        raw,
        |s, out| out.push_str(&html_escape::decode_html_entities(s)),
        super::rss_extras::as_is,
    );
    let text = text.trim();
    super::urls::resolve(text, &[]).map(|_| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn orig(link: &str) -> Found {
        Found {
            orig: Some(link.to_string()),
            thumbnail: None,
        }
    }

    #[test]
    fn each_entry_keeps_its_own_original_address_and_thumbnail() {
        let rss = r#"<rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><channel>
          <item><link>https://feedproxy.google.com/~r/x/1</link><feedburner:origLink>https://x.example/a?b=1&amp;c=2</feedburner:origLink></item>
          <item><link>https://feedproxy.google.com/~r/x/2</link></item>
          <item><feedburner:origLink>not a URL</feedburner:origLink><feedburner:origLink>javascript:alert(1)</feedburner:origLink></item>
          <item><origLink>https://x.example/other-namespace</origLink></item>
        </channel></rss>"#;
        assert_eq!(
            read_entries(rss).unwrap(),
            [
                orig("https://x.example/a?b=1&c=2"),
                Found::default(),
                Found::default(),
                Found::default()
            ]
        );
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:fb="http://rssnamespace.org/feedburner/ext/1.0" xmlns:media="http://search.yahoo.com/mrss/">
          <entry><link href="https://feedproxy.google.com/~r/y/1"/><fb:origLink><![CDATA[https://y.example/1]]></fb:origLink></entry>
          <entry/>
          <entry><media:thumbnail url="https://y.example/t.jpg" width="72"/><media:thumbnail url="https://y.example/u.jpg"/></entry>
          <entry><media:group><media:title>G</media:title><media:thumbnail url=" https://y.example/g.jpg "></media:thumbnail></media:group></entry>
          <entry><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><media:thumbnail url="https://y.example/deep.jpg"/></div></content></entry>
        </feed>"#;
        let thumb = |url: &str| Found {
            orig: None,
            thumbnail: Some(url.to_string()),
        };
        assert_eq!(
            read_entries(atom).unwrap(),
            [
                orig("https://y.example/1"),
                Found::default(),
                thumb("https://y.example/t.jpg"),
                thumb("https://y.example/g.jpg"),
                Found::default()
            ]
        );
    }
}
