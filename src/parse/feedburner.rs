//! FeedBurner's `feedburner:origLink`: the story's own address, where the entry's `<link>`
//! names FeedBurner's redirector (`feedproxy.google.com/~r/…`, `feeds.feedburner.com/~r/…`),
//! a page that tracks the click and says nothing of which story it is. Readers (Miniflux
//! among them) link to the original; so does Tributary, and a partner's copy that links to
//! the original is then recognised as the same story.

use feed_rs::model::{Entry, Feed, Link};
use quick_xml::events::Event;
use quick_xml::name::{Namespace, QName, ResolveResult};
use quick_xml::NsReader;

const FEEDBURNER: &str = "http://rssnamespace.org/feedburner/ext/1.0";

/// Puts each entry's `feedburner:origLink`, an absolute http(s) URL, first among its links,
/// as its page. Only a document that names the element is read again, and its findings are
/// used only when it holds as many items or entries as feed-rs read.
pub(super) fn fill(feed: &mut Feed, text: &str) {
    if !text.contains("origLink") {
        return;
    }
    let Some(found) = read_entries(text) else {
        return;
    };
    if found.len() != feed.entries.len() {
        return;
    }
    for (entry, orig) in feed.entries.iter_mut().zip(found) {
        if let Some(orig) = orig {
            link_first(entry, orig);
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

/// The first `feedburner:origLink` that holds an absolute http(s) URL in each `<item>` or
/// `<entry>` (not nested in another), in document order; `None` when quick-xml cannot read
/// the document.
fn read_entries(text: &str) -> Option<Vec<Option<String>>> {
    let mut reader = NsReader::from_str(text);
    reader.config_mut().check_end_names = false;
    let mut found = Vec::new();
    let mut depth = 0usize;
    // The depth of the entry being read, and what it holds so far.
    let mut current: Option<(usize, Option<String>)> = None;
    loop {
        let (ns, event) = reader.read_resolved_event().ok()?;
        match event {
            Event::Start(e) => {
                depth += 1;
                let local = e.local_name();
                let local = local.as_ref();
                match &mut current {
                    None if matches!(local, "item" | "entry") => current = Some((depth, None)),
                    Some((entry_depth, orig)) if depth == *entry_depth + 1 => {
                        let name = e.name().as_ref().to_string();
                        depth -= 1;
                        let feedburner =
                            matches!(ns, ResolveResult::Bound(Namespace(n)) if n == FEEDBURNER);
                        if feedburner && local == "origLink" && orig.is_none() {
                            let raw = reader.read_text(QName(&name)).ok()?;
                            *orig = absolute(&raw);
                        } else {
                            reader.read_to_end(QName(&name)).ok()?;
                        }
                    }
                    _ => {}
                }
            }
            Event::End(_) => {
                if current.as_ref().is_some_and(|(d, _)| *d == depth) {
                    found.extend(current.take().map(|(_, orig)| orig));
                }
                depth = depth.saturating_sub(1);
            }
            Event::Empty(e)
                if current.is_none() && matches!(e.local_name().as_ref(), "item" | "entry") =>
            {
                found.push(None);
            }
            Event::Eof => return Some(found),
            _ => {}
        }
    }
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
    let url = url::Url::parse(text).ok()?;
    (matches!(url.scheme(), "http" | "https") && url.has_host()).then(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_entry_keeps_its_own_original_address() {
        let rss = r#"<rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><channel>
          <item><link>https://feedproxy.google.com/~r/x/1</link><feedburner:origLink>https://x.example/a?b=1&amp;c=2</feedburner:origLink></item>
          <item><link>https://feedproxy.google.com/~r/x/2</link></item>
          <item><feedburner:origLink>not a URL</feedburner:origLink><feedburner:origLink>javascript:alert(1)</feedburner:origLink></item>
          <item><origLink>https://x.example/other-namespace</origLink></item>
        </channel></rss>"#;
        assert_eq!(
            read_entries(rss).unwrap(),
            [
                Some("https://x.example/a?b=1&c=2".to_string()),
                None,
                None,
                None
            ]
        );
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:fb="http://rssnamespace.org/feedburner/ext/1.0">
          <entry><link href="https://feedproxy.google.com/~r/y/1"/><fb:origLink><![CDATA[https://y.example/1]]></fb:origLink></entry>
          <entry/></feed>"#;
        assert_eq!(
            read_entries(atom).unwrap(),
            [Some("https://y.example/1".to_string()), None]
        );
    }
}
