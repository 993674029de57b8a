//! A fetched document made into stored stories: parse, skip the entries already stored as
//! they are, normalize, filter, classify, and apply them to the store with the source's new
//! state. Run off the async threads.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::bookkeeping::{bounded, mark_failure, mark_success};
use super::{ErrorKind, Outcome};
use crate::classify::Classifier;
use crate::config::DedupeConfig;
use crate::model::{Item, Location, Source, SourceState};
use crate::parse::{self, Context};
use crate::store::{Staged, Store, StoreError};

/// What processing a fetched document needs besides the document.
pub(super) struct Run<'a> {
    /// Where the stories go, and the source's state with them.
    pub(super) store: &'a Store,
    /// The topic rules new stories are classified by.
    pub(super) classifier: &'a Classifier,
    /// The block and keep rules an entry must pass to be stored.
    pub(super) filters: &'a crate::filter::Filters,
    /// Every configured source: a story carried by several is classified with all of their
    /// topics.
    pub(super) sources: &'a [Source],
    /// How entries are matched to stored stories (`[dedupe]`).
    pub(super) dedupe: &'a DedupeConfig,
    /// The first and the longest wait after a failure.
    pub(super) backoff: (Duration, Duration),
    /// When the source's turn began (see [`mark_failure`]).
    pub(super) begun: DateTime<Utc>,
    /// `fetch --reread`: entries as recorded are normalized and compared with their stories
    /// too, so what this version reads otherwise in them is updated.
    pub(super) reread: bool,
}

/// Makes `doc` into the source's stories and records its new state: the outcome to report
/// and the document's parse warnings. A document that does not parse marks the source
/// failing; only a store error is an `Err`. `cpu` is held while parsing and classifying, and
/// let go before the store's writer lock is waited for.
pub(super) fn process(
    run: &Run<'_>,
    source: &Source,
    doc: crate::fetch::Document,
    body_hash: String,
    mut state: SourceState,
    now: DateTime<Utc>,
    cpu: tokio::sync::OwnedSemaphorePermit,
) -> Result<(Outcome, Vec<String>), StoreError> {
    let store = run.store;
    let ctx = Context {
        fetch_url: doc
            .final_url
            .as_ref()
            .filter(|_| matches!(source.location, Location::Http(_))),
        content_type: doc.content_type.as_deref(),
        default_lang: source.lang.as_deref(),
        now,
        time_zone: source.time_zone,
    };
    let feed = match parse::parse(&doc.body, &ctx) {
        Ok(feed) => feed,
        Err(e) => {
            // Validators and body hash stay as they were: the same broken bytes are
            // parsed (and reported) again next time, not mistaken for "unchanged".
            mark_failure(
                &mut state,
                (now, run.begun),
                e.to_string(),
                None,
                run.backoff,
            );
            store.put_source_state(&source.id, &state)?;
            return Ok((
                Outcome::Error {
                    message: bounded(&e.to_string()),
                    kind: ErrorKind::Parse,
                },
                Vec::new(),
            ));
        }
    };
    let keys: Vec<(&crate::model::Identity, &str)> = feed
        .entries
        .iter()
        .map(|e| (&e.identity, e.content_hash.as_str()))
        .collect();
    let unchanged = store.unchanged(&source.id, &keys)?;
    // Entries without a GUID of their own are told apart in the store by one another (see
    // `Store::apply`): when one of them is new or changed, the unchanged ones go too, to be
    // found unchanged there first, so that none is taken for another's story.
    let guidless = |raw: &parse::RawEntry| !matches!(raw.identity, crate::model::Identity::Guid(_));
    let relisted = feed
        .entries
        .iter()
        .zip(&unchanged)
        .any(|(raw, same)| !same && guidless(raw));
    let filters = Some(run.filters).filter(|f| f.applies_to(&source.id));
    let (mut filtered, mut skipped) = (0, 0);
    let mut staged: Vec<Staged> = Vec::new();
    for (raw, same) in feed.entries.iter().zip(&unchanged) {
        if *same {
            // Not filtered: the filters decide what is stored, and this is.
            if run.reread || (relisted && guidless(raw)) {
                let item = parse::normalize(raw, &feed, &ctx);
                staged.push(Staged {
                    item,
                    topics: None,
                    reread: run.reread,
                });
            } else {
                skipped += 1;
            }
            continue;
        }
        let item = parse::normalize(raw, &feed, &ctx);
        if let Some(Err(why)) = filters.map(|f| f.check(&source.id, &item)) {
            tracing::debug!(title = %item.title, link = ?item.link, reason = %why, "entry filtered out");
            filtered += 1;
            continue;
        }
        // Classified here, on this thread, not under the store's writer lock.
        let topics = Some(run.classifier.new_story_topics(&item, source));
        staged.push(Staged {
            item,
            topics,
            reread: run.reread,
        });
    }
    state.etag = doc.etag;
    state.last_modified = doc.last_modified;
    state.body_hash = Some(body_hash);
    state.feed_title = feed.title.clone();
    state.site_url = feed
        .site
        .as_ref()
        .map(|u| u.to_string())
        .filter(|u| u.len() <= crate::fetch::MAX_KEPT_HEADER);
    state.last_entry_count = feed.entries.len() as u32;
    mark_success(&mut state, now, "ok");
    // The CPU work is done: waiting for the writer lock and the disk must not keep another
    // feed from being parsed meanwhile.
    drop(cpu);
    let topics_of = |item: &Item| run.classifier.item_topics(item, run.sources);
    let mut report = store.apply_now(&source.id, staged, &state, run.dedupe, &topics_of)?;
    report.unchanged += skipped;
    report.filtered += filtered;
    Ok((Outcome::Ok(report), feed.warnings))
}
