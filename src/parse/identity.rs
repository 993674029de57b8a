//! What identifies an entry and tells an edit: its GUID as a key, its link, the hash of its raw
//! form.

use feed_rs::model::{Entry, Link};
use url::Url;

use super::urls;

/// The identity key of a GUID: kept as written when short and harmless, else hashed (a
/// 1 MB GUID must not become a store key, a `javascript:` GUID must not be stored as text).
pub(super) fn guid_key(guid: &str) -> String {
    let scheme = guid.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
    let risky = matches!(
        scheme.as_deref(),
        Some("javascript" | "vbscript" | "data" | "file")
    );
    if guid.len() > 256 || risky || has_tag(guid) {
        format!("#{}", &blake3::hash(guid.as_bytes()).to_hex()[..32])
    } else {
        guid.to_string()
    }
}

fn has_tag(s: &str) -> bool {
    s.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!'))
}

/// The link that points at the item's page.
pub(super) fn pick_link(links: &[Link]) -> Option<&Link> {
    // feed-rs gives RSS `<comments>` and `wfw:commentRss` as links without a `rel`, told
    // apart only by their target: the page of a story's comments (or their feed) is not the
    // story's, even where it comes first or alone (feedparser gives such an item no link).
    let usable = |l: &&Link| !l.href.trim().is_empty() && l.target.is_none();
    links
        .iter()
        .filter(usable)
        .find(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
        .or_else(|| {
            links.iter().filter(usable).find(|l| {
                !matches!(
                    l.rel.as_deref(),
                    Some("self" | "enclosure" | "replies" | "edit" | "hub" | "next" | "previous")
                )
            })
        })
}

/// An entry's link, canonical but for its fragment, which it keeps.
pub(super) fn entry_link(
    entry: &Entry,
    site: Option<&Url>,
    fetch_url: Option<&Url>,
) -> Option<Url> {
    let from_links =
        pick_link(&entry.links).and_then(|l| urls::resolve_in_text(&l.href, &[site, fetch_url]));
    // An RSS guid that is itself a URL is the permalink when no <link> is given.
    from_links.or_else(|| {
        let id = entry.id.trim();
        (id.starts_with("http://") || id.starts_with("https://"))
            .then(|| urls::resolve_in_text(id, &[]))
            .flatten()
    })
}

pub(super) fn raw_hash(e: &Entry) -> String {
    // The fields, each followed by a zero byte, are gathered and hashed at once: the same
    // hash as hashing them one by one (BLAKE3 is a stream), without the cost of a dozen
    // small updates.
    let body = e.content.as_ref().and_then(|c| c.body.as_deref());
    let mut bytes = Vec::with_capacity(256 + body.map_or(0, str::len));
    let mut field = |s: &str| {
        bytes.extend_from_slice(s.as_bytes());
        bytes.push(0);
    };
    field(e.title.as_ref().map(|t| t.content.as_str()).unwrap_or(""));
    for l in &e.links {
        field(&l.href);
    }
    field(e.summary.as_ref().map(|t| t.content.as_str()).unwrap_or(""));
    field(body.unwrap_or(""));
    field(&e.published.map(|d| d.to_rfc3339()).unwrap_or_default());
    field(&e.updated.map(|d| d.to_rfc3339()).unwrap_or_default());
    // The terms only, as stories stored before were hashed (a category's label, which is
    // what is stored, changing alone is not seen as an edit: hashing it would make every
    // labelled Atom story count as edited once at its feed's next change).
    for c in &e.categories {
        field(&c.term);
    }
    // The pictures named apart from the text (a story's `image`): one added or changed
    // alone is an edit. Nothing is added for an entry without them, so its hash is as
    // before.
    for m in &e.media {
        for t in &m.thumbnails {
            field(&t.image.uri);
        }
    }
    blake3::hash(&bytes).to_hex()[..32].to_string()
}
