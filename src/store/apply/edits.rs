//! Whether a source's entry back again is an edit of its story: the dates a story keeps, and
//! the changes of raw form its readers never see (a link spelled otherwise, pictures and
//! attachments at addresses signed anew).

use chrono::{DateTime, Utc};
use url::Url;

use crate::model::{Enclosure, Item, NewItem};
use crate::parse::{html, urls};

/// The story `item`'s publication date, whether the store made it up, and its `updated`, once
/// `new` updates it: its source's entry again (`relisted`), or another source's copy taking the
/// lead. A story keeps the date it was published on (as Miniflux and FreshRSS keep it): an old
/// story its source lists again under today's date is not news again, at the top of every
/// feed; the later date is when it was updated. A date the store made up (an undated entry)
/// gives way to the feed's, and a copy taking the lead brings its own. A later date up to a
/// day after the story first arrived is a correction of when it was published (a draft's
/// date, a zone written wrong), taken as the date.
pub(super) fn dates_after(
    item: &Item,
    new: &NewItem,
    relisted: bool,
) -> (DateTime<Utc>, bool, Option<DateTime<Utc>>) {
    let correction = |p: DateTime<Utc>| p <= item.first_seen + chrono::Duration::days(1);
    match new.published {
        Some(p) if !relisted || item.date_inferred || p <= item.published || correction(p) => {
            (p, false, new.updated)
        }
        Some(p) => (
            item.published,
            item.date_inferred,
            Some(new.updated.map_or(p, |u| u.max(p))),
        ),
        None => (item.published, item.date_inferred, new.updated),
    }
}

/// Whether `new`, an entry of the source that leads the stored `item`, shows its readers what
/// the story already does: its raw form changed, not its title, link, dates, text, authors,
/// categories, language, attachments or picture (what [`Tx::update`](super::Tx::update) would
/// leave as it is counts as the same: a missing link, date or language keeps the story's). A
/// picture whose address changed in its query alone is the same picture ([`same_pictures`]).
pub(super) fn reads_the_same(item: &Item, new: &NewItem, moved: bool) -> bool {
    dates_after(item, new, true) == (item.published, item.date_inferred, item.updated)
        && (item.title == new.title || is_legacy_untitled(&item.title, &new.title))
        && new
            .link
            .as_deref()
            .is_none_or(|l| moved || item.link.as_deref().is_some_and(|old| same_page(old, l)))
        && item.summary == new.summary
        && same_pictures(
            item.content.as_deref(),
            new.content.as_deref(),
            html::same_but_media_queries,
        )
        && item.authors == new.authors
        && item.categories == new.categories
        && new
            .lang
            .as_ref()
            .is_none_or(|l| item.lang.as_ref() == Some(l))
        && same_enclosures(&item.enclosures, &new.enclosures)
        && same_pictures(
            item.image.as_deref(),
            new.image.as_deref(),
            urls::same_but_query,
        )
}

/// Whether a story's link, as stored (`old`) and in its entry again (`new`), names the same
/// page: the same address, or one spelled otherwise ([`urls::dedupe_key`]: a site moved to
/// https or off `www.`, a trailing slash added, a tracking parameter) with the same fragment
/// (another `#…` on one page may be another note of a changelog).
fn same_page(old: &str, new: &str) -> bool {
    old == new
        || match (Url::parse(old), Url::parse(new)) {
            (Ok(a), Ok(b)) => {
                a.fragment() == b.fragment()
                    && urls::dedupe_key(&a).is_some_and(|k| urls::dedupe_key(&b) == Some(k))
            }
            _ => false,
        }
}

/// Whether a stored title is the English "(untitled)" that earlier versions stored for an
/// entry with nothing to title it by, and `new` that entry's title now (none): the same
/// title, which the story takes without an edit.
fn is_legacy_untitled(stored: &str, new: &str) -> bool {
    stored == LEGACY_UNTITLED && new.is_empty()
}

/// The title earlier versions stored for an entry with no title, text or link.
const LEGACY_UNTITLED: &str = "(untitled)";

/// Whether a story's attachments, as stored (`old`) and in its entry again (`new`), are the
/// same files: each of the same type and length, at the same address but maybe for its query
/// ([`urls::same_but_query`]: a private podcast's signed `?X-Amz-Signature=…`, renewed at every
/// fetch). Another file, type or length, or one added or removed, is an edit.
fn same_enclosures(old: &[Enclosure], new: &[Enclosure]) -> bool {
    old.len() == new.len()
        && old.iter().zip(new).all(|(a, b)| {
            a.mime == b.mime && a.length == b.length && urls::same_but_query(&a.url, &b.url)
        })
}

/// Whether a story's picture or body, as stored (`old`) and in its entry again (`new`), shows
/// the same by `same`, which lets the pictures' addresses differ in their queries: a CDN that
/// signs its addresses for an hour (`?sig=…&exp=…`) or versions them (`?v=…`, Drupal's
/// `?itok=…`) gives an unchanged story new ones at every fetch, which would date it as edited
/// at every poll. A picture at another path, or one added or removed, is an edit.
fn same_pictures(old: Option<&str>, new: Option<&str>, same: impl Fn(&str, &str) -> bool) -> bool {
    match (old, new) {
        (Some(old), Some(new)) => same(old, new),
        (old, new) => old == new,
    }
}
