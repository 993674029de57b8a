//! What feed-rs leaves out of the entries of any format, or reads wrong, read by one more
//! pass over the documents that name it:
//! - FeedBurner's `feedburner:origLink`: the story's own address, where the entry's `<link>`
//!   names FeedBurner's redirector (`feedproxy.google.com/~r/…`, `feeds.feedburner.com/~r/…`),
//!   a page that tracks the click and says nothing of which story it is. Readers (Miniflux
//!   among them) link to the original; so does Tributary, and a partner's copy that links to
//!   the original is then recognised as the same story.
//! - A `media:thumbnail` without a `media:content` beside it, directly in the item or entry or
//!   in a `media:group` of it (Blogger writes one in every Atom entry): feed-rs keeps a
//!   thumbnail only beside one.
//! - An RSS item's `<enclosure>`s where it has Media RSS content too (a podcast's episode
//!   with its cover as `media:content`): feed-rs keeps the media object's content and drops
//!   the enclosures, the episode's audio among them.
//! - The url of a `media:content` that holds a `media:player`: feed-rs reads the player's url
//!   (a web page) in its place, labelled with the content's type.
//! - An `atom:link` to the page of an RSS item that has no `<link>` (feedparser reads it;
//!   feed-rs reads no `atom:link` in an item).
//! - The authors of an Atom entry's `<source>`, the feed it was copied from (a Planet's feed
//!   writes one in each entry): by RFC 4287 (4.2.1) they are the authors of an entry that
//!   names none, before the authors of the feed that carries it. feed-rs skips `<source>`, so
//!   such an entry was credited to the aggregating feed, or to nobody.

use feed_rs::model::{Entry, Feed, FeedType, Link, MediaContent, MediaObject, Person};
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, QName, ResolveResult};
use quick_xml::NsReader;
use url::Url;

const FEEDBURNER: &str = "http://rssnamespace.org/feedburner/ext/1.0";
const ATOM: &str = "http://www.w3.org/2005/Atom";
use super::rss_extras::MEDIA;

/// Most `<enclosure>`s and players read from one entry: [`super::normalize()`] reads no
/// more attachments than that (an item may name tens of thousands).
const MAX_NAMED: usize = 4 * super::normalize::MAX_ENCLOSURES;

/// What one entry holds that feed-rs left out or read wrong.
#[derive(Debug, Default, PartialEq, Eq)]
struct Found {
    /// Its `feedburner:origLink`, an absolute http(s) URL.
    orig: Option<String>,
    /// The `url` of its first `media:thumbnail`, directly in it or in a `media:group` of it.
    thumbnail: Option<String>,
    /// Its RSS `<enclosure>`s with an absolute URL, in document order.
    enclosures: Vec<MediaContent>,
    /// For each `media:content` that holds a `media:player`: the player's url, and the
    /// content's own (`None` when it names none), in document order.
    players: Vec<(String, Option<String>)>,
    /// The `href` of its first `atom:link` to its page: `rel="alternate"` or none, of an HTML
    /// type or none, as feedparser takes it.
    alternate: Option<String>,
    /// The names of the authors of its Atom `<source>` (the first ten), as written.
    source_authors: Vec<String>,
    /// Whether its `<source>` was read.
    sourced: bool,
}

/// Puts each entry's `feedburner:origLink` first among its links, as its page, gives an
/// entry without a picture its thumbnail, an RSS item its `<enclosure>`s (first among its
/// attachments) and its `atom:link` when it has no `<link>`, and a `media:content` its own url
/// back from its player's. Only a document that names one of them is read again, and its
/// findings are used only when it holds as many items or entries as feed-rs read.
pub(super) fn fill(feed: &mut Feed, text: &str) {
    let rss = matches!(
        feed.feed_type,
        FeedType::RSS0 | FeedType::RSS1 | FeedType::RSS2
    );
    let thumbnails = feed.feed_type != FeedType::JSON
        && text.contains(":thumbnail")
        && feed
            .entries
            .iter()
            .any(|e| e.media.iter().all(|m| m.thumbnails.is_empty()));
    // Enclosures are lost, and a player's url read in a content's place, only where feed-rs
    // read Media RSS content: documents without media go by without a look at their text.
    let content = feed.feed_type != FeedType::JSON
        && feed
            .entries
            .iter()
            .any(|e| e.media.iter().any(|m| !m.content.is_empty()));
    let enclosures = content && rss && text.contains("<enclosure") && names_tag(text, ":content");
    let players = content && text.contains(":player");
    // Only an item without a `<link>` takes its `atom:link`.
    let alternates = rss
        && feed
            .entries
            .iter()
            .any(|e| super::identity::pick_link(&e.links).is_none())
        && text.contains(ATOM);
    let sources = feed.feed_type == FeedType::Atom
        && (text.contains("<source") || names_tag(text, ":source"))
        && feed.entries.iter().any(|e| e.authors.is_empty());
    if !thumbnails
        && !enclosures
        && !players
        && !alternates
        && !sources
        && !text.contains("origLink")
    {
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
        if let Some(href) = found.alternate.filter(|_| alternates) {
            if super::identity::pick_link(&entry.links).is_none() {
                entry.links.push(page_link(href));
            }
        }
        if players {
            unplay(entry, &found.players);
        }
        if enclosures && !found.enclosures.is_empty() {
            // Put first whether or not feed-rs kept them (it did where the item has no Media
            // RSS content): [`super::normalize`] keeps the first of a file named twice.
            let mut media = MediaObject::default();
            media.content = found.enclosures;
            entry.media.insert(0, media);
        }
        if sources && entry.authors.is_empty() {
            entry.authors = found
                .source_authors
                .into_iter()
                .map(|name| Person {
                    name: Some(name),
                    uri: None,
                    email: None,
                    role: None,
                })
                .collect();
        }
        if let Some(uri) = found.thumbnail.filter(|_| thumbnails) {
            if entry.media.iter().all(|m| m.thumbnails.is_empty()) {
                entry.media.push(super::normalize::thumbnail(uri));
            }
        }
    }
}

/// Whether `text` has an element whose qualified name ends in `suffix` (`:content` finds
/// `<media:content …>`, not `xmlns:content="…"`): a quick look, before the pass.
fn names_tag(text: &str, suffix: &str) -> bool {
    memchr::memmem::find_iter(text.as_bytes(), suffix).any(|at| {
        matches!(
            text.as_bytes().get(at + suffix.len()),
            Some(b' ' | b'\t' | b'\r' | b'\n' | b'/' | b'>')
        )
    })
}

/// Gives each `media:content` that holds a `media:player` its own url back where feed-rs read
/// the player's in its place, and drops one that names none: a player is a web page, not a
/// file of the content's type. A content's url that is not absolute is dropped too (feed-rs
/// drops one as well unless an `xml:base` resolves it; the player's url is no stand-in).
fn unplay(entry: &mut Entry, players: &[(String, Option<String>)]) {
    let mut players: Vec<(Url, Option<Url>)> = players
        .iter()
        .filter_map(|(player, own)| {
            let own = own.as_deref().and_then(|u| Url::parse(u).ok());
            Some((Url::parse(player).ok()?, own))
        })
        .collect();
    if players.is_empty() {
        return;
    }
    for media in &mut entry.media {
        media.content.retain_mut(|content| {
            let Some(at) = content
                .url
                .as_ref()
                .and_then(|url| players.iter().position(|(player, _)| player == url))
            else {
                return true;
            };
            // Each player once, in document order: two contents may share one.
            let (_, own) = players.remove(at);
            content.url = own;
            content.url.is_some()
        });
    }
}

fn link_first(entry: &mut Entry, href: String) {
    entry.links.retain(|l| l.href != href);
    entry.links.insert(0, page_link(href));
}

/// A link to the entry's page.
fn page_link(href: String) -> Link {
    Link {
        href,
        target: None,
        rel: Some("alternate".into()),
        media_type: None,
        href_lang: None,
        title: None,
        length: None,
    }
}

/// What each `<item>` or `<entry>` (not nested in another) holds, in document order (see
/// [`Found`]); `None` when quick-xml cannot read the document.
fn read_entries(text: &str) -> Option<Vec<Found>> {
    let mut reader = NsReader::from_str(text);
    reader.config_mut().check_end_names = false;
    let mut found = Vec::new();
    let mut depth = 0usize;
    // The depth of the entry being read, and what it holds so far.
    let mut current: Option<(usize, Found)> = None;
    // In a `media:group` directly in the entry.
    let mut in_group = false;
    // The entry is an RSS `<item>`: what [`item_child`] reads is an item's.
    let mut in_item = false;
    loop {
        let (ns, event) = reader.read_resolved_event().ok()?;
        match event {
            Event::Start(e) => {
                depth += 1;
                let local = e.local_name();
                let local = local.as_ref();
                let kind = Kind::of(&ns);
                match &mut current {
                    None if matches!(local, "item" | "entry") => {
                        current = Some((depth, Found::default()));
                        in_item = local == "item";
                    }
                    Some((entry_depth, _))
                        if depth == *entry_depth + 1 && local == "group" && kind == Kind::Media =>
                    {
                        in_group = true;
                    }
                    Some((entry_depth, held))
                        if depth == *entry_depth + 1 || (in_group && depth == *entry_depth + 2) =>
                    {
                        let name = e.name().as_ref().to_string();
                        if in_item && depth == *entry_depth + 1 {
                            item_child(kind, &e, held);
                        }
                        depth -= 1;
                        if kind == Kind::Media {
                            thumbnail(&e, held);
                        }
                        match (kind, local) {
                            (Kind::FeedBurner, "origLink") if held.orig.is_none() => {
                                let raw = reader.read_text(QName(&name)).ok()?;
                                held.orig = absolute(&raw);
                            }
                            // The first (RFC 4287 allows one).
                            (Kind::Atom, "source") if !in_item && !held.sourced => {
                                held.sourced = true;
                                held.source_authors = source_authors(&mut reader)?;
                            }
                            (Kind::Media, "content") => {
                                let player = player_in(&mut reader)?;
                                if let Some(player) =
                                    player.filter(|_| held.players.len() < MAX_NAMED)
                                {
                                    held.players.push((player, attr(&e, "url")));
                                }
                            }
                            _ => {
                                reader.read_to_end(QName(&name)).ok()?;
                            }
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
                    if depth == *entry_depth || (in_group && depth == *entry_depth + 1) =>
                {
                    let kind = Kind::of(&ns);
                    if in_item && depth == *entry_depth {
                        item_child(kind, &e, held);
                    }
                    if kind == Kind::Media {
                        thumbnail(&e, held);
                    }
                }
                _ => {}
            },
            Event::Eof => return Some(found),
            _ => {}
        }
    }
}

/// The namespaces of the elements [`read_entries`] reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// RSS's own: none (0.9x, 2.0), RSS 1.0's, or RSS 0.90's.
    Rss,
    Atom,
    Media,
    FeedBurner,
    Other,
}

impl Kind {
    fn of(ns: &ResolveResult<'_>) -> Kind {
        match ns {
            ResolveResult::Unbound => Kind::Rss,
            ResolveResult::Bound(Namespace(n)) if super::rss_extras::RSS.contains(n) => Kind::Rss,
            ResolveResult::Bound(Namespace(n)) if *n == ATOM => Kind::Atom,
            ResolveResult::Bound(Namespace(n)) if *n == MEDIA => Kind::Media,
            ResolveResult::Bound(Namespace(n)) if *n == FEEDBURNER => Kind::FeedBurner,
            _ => Kind::Other,
        }
    }
}

/// Keeps what `e`, a child of an RSS item itself, names that feed-rs drops: an
/// `<enclosure>` (the first [`MAX_NAMED`]), an `atom:link` to the page.
fn item_child(kind: Kind, e: &BytesStart<'_>, held: &mut Found) {
    match (kind, e.local_name().as_ref()) {
        (Kind::Rss, "enclosure") if held.enclosures.len() < MAX_NAMED => {
            held.enclosures.extend(enclosure(e));
        }
        (Kind::Atom, "link") if held.alternate.is_none() => held.alternate = page_href(e),
        _ => {}
    }
}

/// An `<enclosure>`'s file as feed-rs reads one, when its `url` is absolute (relative ones
/// were made so before, where anything resolves them: `absolute_enclosures`).
fn enclosure(e: &BytesStart<'_>) -> Option<MediaContent> {
    let url = Url::parse(&attr(e, "url")?).ok()?;
    Some(MediaContent {
        url: Some(url),
        content_type: attr(e, "type").and_then(|t| t.parse().ok()),
        height: None,
        width: None,
        duration: None,
        size: attr(e, "length").and_then(|l| l.parse().ok()),
        rating: None,
    })
}

/// The `href` of an `atom:link` to the entry's page: one of `rel="alternate"` or none, and of
/// an HTML type or none (an `alternate` of another type is the page in another format).
fn page_href(e: &BytesStart<'_>) -> Option<String> {
    let alternate = attr(e, "rel").is_none_or(|rel| rel.eq_ignore_ascii_case("alternate"));
    let html = attr(e, "type").is_none_or(|t| {
        let essence = t.split(';').next().unwrap_or("").trim();
        ["text/html", "application/xhtml+xml", "html", "xhtml"]
            .iter()
            .any(|h| essence.eq_ignore_ascii_case(h))
    });
    if alternate && html {
        attr(e, "href")
    } else {
        None
    }
}

/// The names of the authors of the Atom `<source>` whose start tag was read last (each
/// `author`'s first `name`, its entities undone, trimmed; the first ten), read to the source's
/// end; `None` when quick-xml cannot read that far.
fn source_authors(reader: &mut NsReader<&[u8]>) -> Option<Vec<String>> {
    let mut names = Vec::new();
    // Depth below the `<source>`; in an `author` of it (1), in that author's `name` (2).
    let mut depth = 0usize;
    let mut in_author = false;
    let mut name: Option<String> = None;
    loop {
        let (ns, event) = reader.read_resolved_event().ok()?;
        let atom = Kind::of(&ns) == Kind::Atom;
        match event {
            Event::Start(e) => {
                depth += 1;
                let local = e.local_name();
                if depth == 1 && atom && local.as_ref() == "author" {
                    in_author = true;
                    name = None;
                } else if depth == 2 && in_author && atom && local.as_ref() == "name" {
                    let qname = e.name().as_ref().to_string();
                    let raw = reader.read_text(QName(&qname)).ok()?;
                    depth -= 1;
                    if name.is_none() {
                        name =
                            Some(element_text(&raw).trim().to_string()).filter(|n| !n.is_empty());
                    }
                }
            }
            Event::End(_) if depth == 0 => return Some(names),
            Event::End(_) => {
                if depth == 1 && in_author {
                    in_author = false;
                    if names.len() < 10 {
                        names.extend(name.take());
                    }
                }
                depth -= 1;
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

/// The `url` of the first `media:player` directly in the `media:content` whose start tag was
/// read last, read to the content's end; `None` when quick-xml cannot read that far.
fn player_in(reader: &mut NsReader<&[u8]>) -> Option<Option<String>> {
    let mut depth = 0usize;
    let mut player = None;
    loop {
        let (ns, event) = reader.read_resolved_event().ok()?;
        let is_player = |e: &BytesStart<'_>| {
            depth == 0 && Kind::of(&ns) == Kind::Media && e.local_name().as_ref() == "player"
        };
        match event {
            Event::Start(e) => {
                if player.is_none() && is_player(&e) {
                    player = attr(&e, "url");
                }
                depth += 1;
            }
            Event::Empty(e) if player.is_none() && is_player(&e) => player = attr(&e, "url"),
            Event::End(_) if depth == 0 => return Some(player),
            Event::End(_) => depth -= 1,
            Event::Eof => return None,
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
fn thumbnail_url(e: &BytesStart<'_>) -> Option<String> {
    if e.local_name().as_ref() != "thumbnail" {
        return None;
    }
    attr(e, "url")
}

/// The value of `e`'s attribute `name` (its entities undone), trimmed; `None` when it has
/// none or it is blank.
fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.try_get_attribute(name)
        .ok()
        .flatten()
        .and_then(|a| a.normalized_value(quick_xml::XmlVersion::default()).ok())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// `raw` (an element's text as written: entities and CDATA undone) when it is an absolute
/// http(s) URL.
fn absolute(raw: &str) -> Option<String> {
    let text = element_text(raw);
    let text = text.trim();
    super::urls::resolve(text, &[]).map(|_| text.to_string())
}

/// An element's text as written (`raw`), its entities and CDATA undone.
fn element_text(raw: &str) -> String {
    super::rss_extras::unwrap_cdata(
        raw,
        |s, out| out.push_str(&html_escape::decode_html_entities(s)),
        super::rss_extras::as_is,
    )
}

#[cfg(test)]
mod tests;
