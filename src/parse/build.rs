//! feed-rs's model of a document → [`ParsedFeed`]: the extras it leaves out filled in,
//! entries past the limit dropped, each entry given its identity and the hash of its raw form,
//! its longest texts cut.

use std::collections::HashSet;

use feed_rs::model::{Entry, Feed};
use url::Url;

use crate::model::Identity;

use super::identity::{entry_link, guid_key, pick_link, raw_hash};
use super::markup::element_count;
use super::text::{own_title, person_names, text_prefix, MAX_TITLE};
use super::{caps, entry_extras, html, json_mend, rss_extras, scope, urls};
use super::{Context, ParsedFeed, RawEntry};

/// Most entries read from one document: a feed lists its latest stories, not an archive of
/// hundreds of thousands (15 MiB of tiny entries, each a new story at every poll until
/// retention removes them).
pub(super) const MAX_ENTRIES: usize = 5_000;

/// Longest summary or body of an entry read, in bytes. The HTML parser under the sanitizer
/// (and the tokenizer of the summaries) spends time that grows with the square of some
/// markup's length (ten thousands of stray end tags, a megabyte of `&`, a tag with a hundred
/// thousand attributes: minutes of a core from a few kilobytes of gzip); a story's text is
/// tens of kilobytes.
pub(super) const MAX_ENTRY_TEXT: usize = 256 * 1024;

/// [`build`], with a warning when the document holds more `<item>`/`<entry>` elements than
/// entries were read from it (a format feed-rs does not read, such as RSS 0.90,
/// or items it could not make out): a source that silently yields nothing is noticed.
pub(super) fn build_checked(
    mut feed: Feed,
    text: &str,
    ctx: &Context<'_>,
    warnings: Vec<String>,
) -> ParsedFeed {
    rss_extras::fill(&mut feed, text, ctx.time_zone);
    entry_extras::fill(&mut feed, text);
    if feed.feed_type == feed_rs::model::FeedType::JSON {
        json_mend::fill_images(&mut feed, text);
    }
    scope::fill(&mut feed, text, ctx.fetch_url);
    let read = feed.entries.len();
    let mut warnings = warnings;
    if read > MAX_ENTRIES {
        // The first ones, which feeds list newest first.
        feed.entries.truncate(MAX_ENTRIES);
        warnings.push(caps::entries_warning(read));
    }
    let mut parsed = build(feed, ctx, warnings);
    let written = element_count(text, &["item", "entry"]);
    if written > read {
        parsed.warnings.push(format!(
            "{} of {written} entries in the document could not be read (an old format such as RSS 0.90, or entries missing what the parser needs)",
            written - read
        ));
    }
    parsed
}

/// feed-rs's model of a (bounded) document → [`ParsedFeed`]: each entry told apart by its
/// GUID, else its link (with its title when the link is shared), else its content.
fn build(feed: Feed, ctx: &Context<'_>, mut warnings: Vec<String>) -> ParsedFeed {
    let site = pick_link(&feed.links).and_then(|l| urls::resolve(&l.href, &[ctx.fetch_url]));
    let shared = shared_guids(&feed.entries);
    let (links, fragments) = entry_links(&feed.entries, site.as_ref(), ctx.fetch_url);
    let shared_links = shared_links(&feed.entries, &links, &shared);
    let mut duplicate_ids = 0;
    // What each entry is told by (`None`: its content).
    let mut told = Vec::with_capacity(feed.entries.len());
    let mut cut = 0;
    for ((mut entry, link), fragment) in feed.entries.into_iter().zip(links).zip(fragments) {
        let content_hash = raw_hash(&entry);
        if cut_long_bodies(&mut entry) {
            cut += 1;
        }
        fix_c1_text(&mut entry);
        let guid = entry.id.trim();
        let reused = shared.contains(guid);
        if reused {
            duplicate_ids += 1;
        }
        let identity = told_by(&entry, guid, reused, link.as_ref(), &shared_links);
        told.push((identity, content_hash, entry, link, fragment));
    }
    let entries = raw_entries(told);
    push_counts(&mut warnings, cut, duplicate_ids, shared.len());
    let authors = if feed.feed_type == feed_rs::model::FeedType::Atom {
        person_names(&feed.authors)
    } else {
        Vec::new()
    };
    ParsedFeed {
        json: feed.feed_type == feed_rs::model::FeedType::JSON,
        authors,
        // As a story's title is: a feed's is kept in its source's state, written at every
        // fetch (ten megabytes of title grew the states' database by as much each time).
        title: feed
            .title
            .map(|t| html::truncate_words(&text_prefix(&t, MAX_TITLE), MAX_TITLE))
            .filter(|t| !t.is_empty()),
        site,
        language: feed.language,
        entries,
        warnings,
    }
}

/// An entry on its way to a [`RawEntry`]: what it is told by (`None`: its content), its raw
/// hash, the entry, its link and the link's fragment.
type Told = (Option<Identity>, String, Entry, Option<Url>, Option<String>);

/// The GUIDs several entries share. Such a GUID identifies none of them: those entries are
/// told apart by link (else content) in every fetch, whatever their order in the document.
fn shared_guids(entries: &[Entry]) -> HashSet<String> {
    let mut guid_uses: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for e in entries {
        let g = e.id.trim();
        if !g.is_empty() {
            *guid_uses.entry(g).or_default() += 1;
        }
    }
    guid_uses
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(g, _)| g.to_string())
        .collect()
}

/// Each entry's link in canonical form without its fragment, and the fragment.
fn entry_links(
    entries: &[Entry],
    site: Option<&Url>,
    fetch_url: Option<&Url>,
) -> (Vec<Option<Url>>, Vec<Option<String>>) {
    entries
        .iter()
        .map(|e| match entry_link(e, site, fetch_url) {
            Some(mut url) => {
                let fragment = url.fragment().map(str::to_owned);
                url.set_fragment(None);
                (Some(url), fragment)
            }
            None => (None, None),
        })
        .unzip()
}

/// The links several entries without a GUID of their own (none, or a `shared` one) share.
/// Like a shared GUID, such a link (a section page) names none of them alone: each is told by
/// the link and its title, whatever the order.
fn shared_links(
    entries: &[Entry],
    links: &[Option<Url>],
    shared: &HashSet<String>,
) -> HashSet<String> {
    let mut link_uses: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (e, link) in entries.iter().zip(links) {
        let g = e.id.trim();
        if let Some(l) = link.as_ref().filter(|_| g.is_empty() || shared.contains(g)) {
            *link_uses.entry(l.as_str()).or_default() += 1;
        }
    }
    link_uses
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(l, _)| l.to_string())
        .collect()
}

/// What an entry is told by, before titled identities are checked against each other: its
/// GUID (`guid`, unless `reused`), else its link (with its title when the link is among
/// `shared_links`); `None`: its content.
fn told_by(
    entry: &Entry,
    guid: &str,
    reused: bool,
    link: Option<&Url>,
    shared_links: &HashSet<String>,
) -> Option<Identity> {
    if !guid.is_empty() && !reused {
        Some(Identity::Guid(guid_key(guid)))
    } else if let Some(l) = link {
        if shared_links.contains(l.as_str()) {
            // As `normalize` titles the item: the store finds the other form of an
            // identity (`Identity::alternate`) from the stored title.
            own_title(entry).map(|title| Identity::Titled {
                link: l.to_string(),
                title: html::fix_c1_controls(title),
            })
        } else {
            Some(Identity::Link(l.to_string()))
        }
    } else {
        None
    }
}

/// The entries as [`RawEntry`]s, in order: one told by content where it has none of its own,
/// the very same entry twice kept once.
fn raw_entries(told: Vec<Told>) -> Vec<RawEntry> {
    // A link and title that several entries share, like a shared link without titles, tells
    // none of them: those are told by their content, whatever their order.
    let mut titled_uses: std::collections::HashMap<String, usize> =
        std::collections::HashMap::new();
    for (identity, ..) in &told {
        if let Some(i @ Identity::Titled { .. }) = identity {
            *titled_uses.entry(i.key()).or_default() += 1;
        }
    }
    let mut seen: HashSet<String> = HashSet::new();
    let mut entries = Vec::with_capacity(told.len());
    for (identity, content_hash, entry, link, fragment) in told {
        let mut identity = match identity {
            Some(i @ Identity::Titled { .. }) if titled_uses.get(&i.key()) != Some(&1) => {
                Identity::Hash(content_hash.clone())
            }
            Some(i) => i,
            None => Identity::Hash(content_hash.clone()),
        };
        if !seen.insert(identity.key()) {
            // The very same entry twice: stored once.
            identity = Identity::Hash(content_hash.clone());
            if !seen.insert(identity.key()) {
                continue;
            }
        }
        entries.push(RawEntry {
            identity,
            content_hash,
            entry,
            link,
            fragment,
        });
    }
    entries
}

/// The warnings for the entries whose texts were `cut` and the `duplicate_ids` entries that
/// share `ids` GUIDs, when there are any.
fn push_counts(warnings: &mut Vec<String>, cut: usize, duplicate_ids: usize, ids: usize) {
    if cut > 0 {
        warnings.push(format!(
            "{cut} {} longer than {} KiB cut to that length",
            if cut == 1 {
                "entry's text was"
            } else {
                "entries' texts were"
            },
            MAX_ENTRY_TEXT / 1024
        ));
    }
    if duplicate_ids > 0 {
        warnings.push(format!(
            "{duplicate_ids} entries share {ids} {} (each told by its link or text instead)",
            if ids == 1 { "id" } else { "ids" }
        ));
    }
}

/// Cuts an entry's summary, body and media descriptions to [`MAX_ENTRY_TEXT`] bytes (the
/// HTML parser drops a tag the cut leaves unfinished, and the sanitizer closes the elements
/// left open). Whether it cut any.
fn cut_long_bodies(e: &mut Entry) -> bool {
    let cut = |text: &mut String| {
        if text.len() <= MAX_ENTRY_TEXT {
            return false;
        }
        // (`str::floor_char_boundary` is newer than the crate's rust-version.)
        let mut at = MAX_ENTRY_TEXT;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.truncate(at);
        true
    };
    let summary = e.summary.as_mut().is_some_and(|t| cut(&mut t.content));
    let body = e
        .content
        .as_mut()
        .and_then(|c| c.body.as_mut())
        .is_some_and(cut);
    // A media description stands in for a summary the entry lacks.
    let mut media = false;
    for m in &mut e.media {
        if let Some(d) = m.description.as_mut() {
            media |= cut(&mut d.content);
        }
    }
    summary | body | media
}

/// The entry's title, summary and body with C1 controls read as windows-1252
/// ([`html::fix_c1_controls`]), before any of them is read as text (`U+0085`, `…` in
/// windows-1252, is whitespace to Rust).
fn fix_c1_text(e: &mut Entry) {
    let texts = [e.title.as_mut(), e.summary.as_mut()];
    for t in texts.into_iter().flatten() {
        t.content = html::fix_c1_controls(std::mem::take(&mut t.content));
    }
    if let Some(body) = e.content.as_mut().and_then(|c| c.body.as_mut()) {
        *body = html::fix_c1_controls(std::mem::take(body));
    }
}
