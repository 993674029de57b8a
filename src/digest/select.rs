//! Choosing a digest's stories and grouping them by topic.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap, HashSet};

use super::entry::{entry, http_url, plain};
use super::{Digest, DigestSpec, Entry, Period, Section};
use crate::model::Item;

/// When a story is new to the readers of a digest: when it was first stored or, for a digest
/// of some sources only, when the first of those sources carried it (a story another source
/// published on Monday is news to a Wednesday digest of the source that republished it then).
/// `None` when none of the digest's sources carries it.
fn first_seen_for(spec: &DigestSpec, item: &Item) -> Option<chrono::DateTime<chrono::Utc>> {
    if spec.sources.is_empty() {
        return Some(item.first_seen);
    }
    item.sources
        .iter()
        .filter(|c| spec.sources.contains(&c.source))
        .map(|c| c.first_seen)
        .min()
}

/// Whether a story is in one of the digest's languages (any, when it names none).
fn in_languages(spec: &DigestSpec, item: &Item) -> bool {
    spec.languages.is_empty()
        || item.lang.as_deref().is_some_and(|tag| {
            spec.languages
                .iter()
                .any(|range| crate::model::language_matches(tag, range))
        })
}

/// Builds the digest of `items`: the stories new in `period` (see `first_seen_for`; the
/// caller reads them from the store; any order, and items outside the period or repeated are
/// ignored).
///
/// A story needs a carrier among `spec.sources` (when any are named), a language among
/// `spec.languages` (when any are named) and a covered topic. The
/// covered topics are `spec.topics` in that order or, when it is empty, `topic_order` followed
/// by any other topic the stories carry (by name), plus "Other news" last for stories with no
/// topic. Each story appears once, under its first covered topic, and names the others in
/// `also`. Sections are newest first, ties by id; empty sections are left out.
///
/// `topic_title` and `source_title` give display titles; a name they do not know is shown
/// as it is.
pub fn build(
    spec: &DigestSpec,
    period: Period,
    items: &[Item],
    topic_title: &dyn Fn(&str) -> Option<String>,
    topic_order: &[String],
    source_title: &dyn Fn(&str) -> Option<String>,
) -> Digest {
    let every_topic = spec.topics.is_empty();
    let mut seen = HashSet::new();
    let chosen: Vec<&Item> = items
        .iter()
        .filter(|i| first_seen_for(spec, i).is_some_and(|t| period.contains(t)))
        .filter(|i| in_languages(spec, i))
        .filter(|i| seen.insert(i.id))
        .collect();

    let mut order: Vec<&str> = Vec::new();
    for t in if every_topic {
        topic_order
    } else {
        &spec.topics
    } {
        if !t.trim().is_empty() && !order.contains(&t.as_str()) {
            order.push(t);
        }
    }
    if every_topic {
        let extra: BTreeSet<&str> = chosen
            .iter()
            .flat_map(|i| i.topic_names())
            .filter(|t| !t.trim().is_empty() && !order.contains(t))
            .collect();
        order.extend(extra);
    }
    let rank: HashMap<&str, usize> = order.iter().enumerate().map(|(i, t)| (*t, i)).collect();

    // One bucket per covered topic, then "Other news"; each story with its other topics.
    let mut buckets: Vec<Vec<(&Item, Vec<usize>)>> = vec![Vec::new(); order.len() + 1];
    for item in chosen {
        let mut ranks: Vec<usize> = item
            .topic_names()
            .filter_map(|t| rank.get(t).copied())
            .collect();
        ranks.sort_unstable();
        ranks.dedup();
        match ranks.split_first() {
            Some((&first, rest)) => buckets[first].push((item, rest.to_vec())),
            None if every_topic => buckets[order.len()].push((item, Vec::new())),
            None => {}
        }
    }

    // Over `max_stories`: the newest stay, wherever they are filed.
    let placed: usize = buckets.iter().map(Vec::len).sum();
    let mut left_out = 0;
    if let Some(max) = spec.max_stories.filter(|&max| placed > max) {
        let mut all: Vec<(Reverse<chrono::DateTime<chrono::Utc>>, crate::model::ItemId)> = buckets
            .iter()
            .flatten()
            .map(|(item, _)| (Reverse(item.published), item.id))
            .collect();
        all.sort_unstable();
        let kept: HashSet<crate::model::ItemId> = all[..max].iter().map(|(_, id)| *id).collect();
        for bucket in &mut buckets {
            bucket.retain(|(item, _)| kept.contains(&item.id));
        }
        left_out = placed - max;
    }

    let title_of = |topic: &str| {
        topic_title(topic)
            .map(|t| plain(&t))
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| plain(topic))
    };
    let mut sections = Vec::new();
    let mut number = 0;
    for (rank, mut bucket) in buckets.into_iter().enumerate() {
        if bucket.is_empty() {
            continue;
        }
        bucket.sort_by_key(|(item, _)| (Reverse(item.published), item.id));
        let entries: Vec<Entry> = bucket
            .into_iter()
            .map(|(item, others)| {
                number += 1;
                let mut e = entry(item, spec.time_zone, spec.locale, spec.images, source_title);
                e.number = number;
                e.also = others.iter().map(|&r| title_of(order[r])).collect();
                e
            })
            .collect();
        let (topic, title) = match order.get(rank) {
            Some(t) => (Some(t.to_string()), title_of(t)),
            None => (None, spec.locale.labels().other_news.to_string()),
        };
        sections.push(Section {
            topic,
            title,
            entries,
        });
    }

    let (tz, locale) = (spec.time_zone, spec.locale);
    Digest {
        name: spec.name.clone(),
        title: plain(&spec.title),
        period,
        period_label: period.label(tz, locale),
        period_start: locale.moment(period.start, tz),
        period_end: locale.moment(period.end, tz),
        time_zone: tz.name().to_string(),
        sections,
        count: number + left_out,
        count_label: locale.count(number + left_out),
        left_out,
        left_out_label: if left_out > 0 {
            locale.count(left_out)
        } else {
            String::new()
        },
        unsubscribe_url: spec.unsubscribe_url.as_deref().and_then(http_url),
        unsubscribe_mailto: spec.unsubscribe_mailto.as_deref().and_then(mailto_uri),
        locale: locale.tag().to_string(),
        labels: locale.labels(),
    }
}

/// `list@example.org` or `mailto:list@example.org?subject=x` → a `mailto:` URI.
pub(super) fn mailto_uri(s: &str) -> Option<String> {
    let s = s.trim();
    let address = s.strip_prefix("mailto:").unwrap_or(s);
    let plausible = address.contains('@')
        && !address
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"'));
    plausible.then(|| format!("mailto:{address}"))
}
