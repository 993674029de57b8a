//! Lenient date parsing for feed timestamps: RFC 3339 and its common deviations (reduced
//! precision, two-digit years, ordinal days), RFC 822 / 2822 with named zones (CET, CEST,
//! EET…) or colon offsets and 12-hour clocks, asctime and JavaScript-style dates (with
//! `Date.toString()`'s zone name), and a few localized forms old blog engines wrote (Greek
//! and Hungarian month names, Korean markers, Perforce's `YYYY/MM/DD`). chrono does the
//! calendar work; this module only puts the pieces people write into chrono's shape.
//!
//! A date written without a zone (`2026-11-23 10:00`, `23.11.2026 10:00`, a day alone) is in
//! the source's time zone when it has one (`time_zone` in the config), else in UTC.
//!
//! Each family of forms has its module: `iso` (ISO 8601, RFC 3339), `rfc822` (RFC 822 and
//! the loose forms read like it), `locale` (the localized ones, rewritten for those two).

mod iso;
mod locale;
mod rfc822;

use chrono::{DateTime, Datelike, LocalResult, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use iso::{iso, iso_abbreviated};
use rfc822::{offset_token, rfc822ish};

/// Parses a feed date, reading one without a zone as UTC; `None` when it cannot be read with
/// confidence.
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    parse_date_in(text, None)
}

/// [`parse_date`], reading a date without a zone in `zone` (UTC when `None`).
pub fn parse_date_in(text: &str, zone: Option<Tz>) -> Option<DateTime<Utc>> {
    let s = without_zone_name(text.trim());
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    iso(s, zone)
        .or_else(|| rfc822ish(s, zone))
        .or_else(|| iso_abbreviated(s, zone))
        .or_else(|| locale::localized(s, zone))
        .filter(|d| (1..=9999).contains(&d.naive_utc().year()))
}

/// A date without the zone's name in parentheses after its offset, as JavaScript's
/// `Date.toString()` writes it (`GMT+0100 (Central European Standard Time)`, the name in the
/// browser's language) and RFC 2822 allows (`+0100 (CET)`). The offset already says it all,
/// and the name alone would make the date too long to be read as one. Words in parentheses
/// anywhere else are left to fail as before: they may be what the date is missing.
fn without_zone_name(s: &str) -> &str {
    let Some(open) = s.rfind('(').filter(|_| s.ends_with(')')) else {
        return s;
    };
    let head = s[..open].trim_end();
    let name = &s[open + 1..s.len() - 1];
    let after_offset = head
        .rsplit(char::is_whitespace)
        .next()
        .is_some_and(|t| offset_token(t).is_some());
    if after_offset && !name.contains(')') && name.chars().count() <= 64 {
        head
    } else {
        s
    }
}

/// A date and time written without a zone, read in `zone` (UTC when `None`). A time the clocks
/// skipped (02:30 on the night summer time begins) is read with the offset before the change;
/// one they passed twice is the first of the two.
pub(crate) fn in_zone(naive: NaiveDateTime, zone: Option<Tz>) -> Option<DateTime<Utc>> {
    let Some(tz) = zone else {
        return Some(Utc.from_utc_datetime(&naive));
    };
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(d) | LocalResult::Ambiguous(d, _) => Some(d.with_timezone(&Utc)),
        LocalResult::None => {
            let before = tz.offset_from_utc_datetime(&(naive - chrono::Duration::days(1)));
            let utc = naive.checked_sub_signed(chrono::Duration::seconds(
                before.fix().local_minus_utc().into(),
            ))?;
            Some(Utc.from_utc_datetime(&utc))
        }
    }
}

#[cfg(test)]
mod tests;
