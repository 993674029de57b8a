//! Building a digest's record: the period from the digest's stored mark, the stories first
//! seen in it, the rendered parts and message, and the record stored to advance the mark.

use chrono::{DateTime, SubsecRound, Utc};

use super::times::cron;
use super::{spec, RunError};
use crate::config::{Config, DigestConfig};
use crate::digest::{self, Period, Templates};
use crate::model::DigestRecord;
use crate::store::Store;

/// The version of a digest's data (`"version"` in its JSON): raised when a field changes
/// meaning or goes; fields are added without raising it.
pub const DATA_VERSION: u32 = 1;

/// Builds (or, for a period built before, returns) the digest ending at `end`, and stores it,
/// which advances the digest's mark.
///
/// `deliver` marks a new record as one to send (see [`pending_sends`](super::pending_sends)).
pub fn build(
    config: &Config,
    store: &Store,
    d: &DigestConfig,
    end: DateTime<Utc>,
    deliver: bool,
) -> Result<DigestRecord, RunError> {
    let (record, new) = compose(config, store, d, end, deliver)?;
    if new {
        store.put_digest(&record)?;
    }
    Ok(record)
}

/// Whether a stored digest is an issue: one with stories, or one written or sent or to be
/// (an empty period with `send_empty`). An empty period that was neither only marks where the
/// next digest starts.
pub fn is_issue(record: &DigestRecord) -> bool {
    record.count > 0
        || record.outbox_due
        || record.outboxed_at.is_some()
        || record.sent_at.is_some()
        || record.deliver
}

/// The digest [`build`] would give for `end`, without storing it: the digest's mark stays
/// where it is, so the next digest covers the same stories. With it, whether it is a preview
/// only (`false`: a digest built before covers `end`, and this is that digest).
pub fn preview(
    config: &Config,
    store: &Store,
    d: &DigestConfig,
    end: DateTime<Utc>,
) -> Result<(DigestRecord, bool), RunError> {
    compose(config, store, d, end, false)
}

/// The digest ending at `end` (to the millisecond, as its stamp names it), and whether
/// it is new rather than one built before.
fn compose(
    config: &Config,
    store: &Store,
    d: &DigestConfig,
    end: DateTime<Utc>,
    deliver: bool,
) -> Result<(DigestRecord, bool), RunError> {
    // Ends are kept to the millisecond, as their stamps are (see [`time_stamp`]).
    let end = end.trunc_subsecs(3);
    if let Some(existing) = store.digest_at(&d.name, end)? {
        return Ok((existing, false));
    }
    if let Some(last) = store.last_digest(&d.name)? {
        if last.end > end {
            // A time inside an already covered period: give the digest that covered it.
            if let Some(covering) = store
                .digests(&d.name)?
                .into_iter()
                .find(|r| r.start <= end && end < r.end)
            {
                return Ok((covering, false));
            }
        }
    }
    // A period cannot end in the future: stories still to come would fall into it unseen.
    let end = end.min(Utc::now().trunc_subsecs(3));
    let period = period(store, d, end)?;
    let (items, old): (Vec<_>, Vec<_>) = store
        .first_seen_between(period.start, period.end)?
        .into_iter()
        .filter(|i| d.sources.is_empty() || i.sources.iter().any(|c| d.sources.contains(&c.source)))
        .partition(|i| !too_old(d, i, period.end));
    let spec = spec(d);
    let topic_order: Vec<String> = config.classifier.topics().map(str::to_string).collect();
    let topic_title = |t: &str| {
        config
            .classifier
            .title_in(t, d.locale.tag())
            .map(str::to_string)
    };
    // A source removed from the config (its stories stay until retention) by the title its
    // feed last had.
    let source_title = |s: &str| {
        config.source(s).map(|s| s.title.clone()).or_else(|| {
            store
                .source_state(s)
                .ok()
                .and_then(|state| state.feed_title)
                .filter(|t| !t.trim().is_empty())
        })
    };
    let built = digest::build(
        &spec,
        period,
        &items,
        &topic_title,
        &topic_order,
        &source_title,
    );
    let templates = Templates::new(d.template_dir.as_deref())?;
    let html = templates.html(&built)?;
    let text = templates.text(&built)?;
    let eml = digest::message(&spec, &built, &html, &text, &config.mail.domain);
    let eml = String::from_utf8_lossy(&eml).into_owned();
    let message_id = eml
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("message-id")
                .then(|| v.trim().to_string())
        })
        .unwrap_or_default();
    let subject = digest::subject(&spec, &built);
    // The data names the message it goes with (its subject and Message-ID) and its own
    // version, for a pipeline that reads it beside the message.
    let mut json = serde_json::to_value(&built).unwrap_or_default();
    if let Some(object) = json.as_object_mut() {
        object.insert("version".into(), DATA_VERSION.into());
        object.insert("subject".into(), subject.clone().into());
        object.insert("message_id".into(), message_id.clone().into());
    }
    let record = DigestRecord {
        name: d.name.clone(),
        start: period.start,
        end: period.end,
        count: built.count,
        too_old: old.len(),
        message_id,
        subject,
        eml,
        html,
        text,
        json,
        sent_at: None,
        send_error: None,
        // An empty digest is written (and sent) only with `send_empty` as it is now: one
        // turned on later does not bring back the empty issues built before.
        outbox_due: built.count > 0 || d.send_empty,
        outboxed_at: None,
        deliver: deliver && (built.count > 0 || d.send_empty),
        send_uncertain: false,
        send_refused: false,
    };
    Ok((record, true))
}

/// The period a digest built at `end` covers.
fn period(store: &Store, d: &DigestConfig, end: DateTime<Utc>) -> Result<Period, RunError> {
    let start = match store.last_digest(&d.name)? {
        Some(last) if last.end < end => last.end,
        // First run: one schedule step back.
        _ => {
            let local = end.with_timezone(&d.time_zone);
            cron(d)?
                .find_previous_occurrence(&local, false)
                .map(|t| t.with_timezone(&Utc).trunc_subsecs(0))
                .map_err(|_| RunError::Schedule(d.name.clone()))?
        }
    };
    Ok(Period { start, end })
}

/// Whether a story is older news than digest `d` takes: published (by its own date, not one
/// inferred from when it was first seen) more than `max_age` before the period's `end`.
fn too_old(d: &DigestConfig, item: &crate::model::Item, end: DateTime<Utc>) -> bool {
    let Some(max_age) = d.max_age.and_then(|a| chrono::Duration::from_std(a).ok()) else {
        return false;
    };
    !item.date_inferred
        && end
            .checked_sub_signed(max_age)
            .is_some_and(|oldest| item.published < oldest)
}
