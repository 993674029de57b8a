//! The times of digest runs: the latest scheduled tick, the stamp that names a period's end
//! in file names, URLs and Message-IDs, and the `--at` option.

use chrono::{DateTime, SubsecRound, Utc};

use super::RunError;
use crate::config::DigestConfig;
use crate::model::DigestRecord;

/// The latest scheduled time at or before `now`, to the second (croner keeps the fraction of
/// a second it was given).
pub fn last_tick(d: &DigestConfig, now: DateTime<Utc>) -> Result<DateTime<Utc>, RunError> {
    let local = now.with_timezone(&d.time_zone);
    cron(d)?
        .find_previous_occurrence(&local, true)
        .map(|t| t.with_timezone(&Utc).trunc_subsecs(0))
        .map_err(|_| RunError::Schedule(d.name.clone()))
}

/// A period end as digests name it in file names, URLs and Message-IDs: UTC to the second
/// (`20261130T060000Z`, every scheduled end), or to the millisecond when it has a fraction
/// (`20261130T060012.250Z`, an end given by hand), so that two digests built within one
/// second by hand have names of their own.
pub fn time_stamp(t: DateTime<Utc>) -> String {
    if t.timestamp_subsec_millis() == 0 {
        t.format("%Y%m%dT%H%M%SZ").to_string()
    } else {
        t.format("%Y%m%dT%H%M%S%.3fZ").to_string()
    }
}

/// A [`time_stamp`] read back (a digest's name in URLs).
pub fn parse_time_stamp(text: &str) -> Option<DateTime<Utc>> {
    chrono::NaiveDateTime::parse_from_str(text, "%Y%m%dT%H%M%S%.fZ")
        .ok()
        .map(|t| t.and_utc())
}

/// A file-name stamp for a record: its end in UTC.
pub fn stamp(record: &DigestRecord) -> String {
    time_stamp(record.end)
}

/// Parses `--at`: RFC 3339, or `YYYY-MM-DD HH:MM` / `YYYY-MM-DDTHH:MM` in the digest's zone.
pub fn parse_at(text: &str, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ] {
        if let Ok(n) = chrono::NaiveDateTime::parse_from_str(text, f) {
            // A time the clocks skipped is read with the offset before the change, as a
            // feed's dates are.
            return crate::parse::dates::in_zone(n, Some(tz));
        }
    }
    None
}

/// The digest's cron expression, parsed; an error names the digest.
pub(super) fn cron(d: &DigestConfig) -> Result<croner::Cron, RunError> {
    crate::config::parse_cron(&d.cron).map_err(|_| RunError::Schedule(d.name.clone()))
}
