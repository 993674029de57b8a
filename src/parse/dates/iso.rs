//! ISO 8601 and RFC 3339 dates, with the deviations feeds write: a space for the `T`, reduced
//! precision, a three-digit month, two-digit years and ordinal days.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;

use super::in_zone;

pub(super) fn iso(s: &str, zone: Option<Tz>) -> Option<DateTime<Utc>> {
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    if !s.as_bytes().first()?.is_ascii_digit() || s.as_bytes().get(4) != Some(&b'-') {
        return None;
    }
    let t = s.replacen(' ', "T", 1);
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%dT%H:%M:%S%.fZ",
        "%Y-%m-%dT%H:%M:%S%.f %z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(&t, f) {
            return Some(d.with_timezone(&Utc));
        }
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%MZ",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(&t, f) {
            // `…Z` is UTC, whatever the source's zone.
            return in_zone(d, if f.ends_with('Z') { None } else { zone });
        }
    }
    // A three-digit month ("2003-012-31"), as some generators zero-pad.
    if s.len() > 8
        && s.as_bytes()[5] == b'0'
        && s.as_bytes()[8] == b'-'
        && s[5..8].bytes().all(|b| b.is_ascii_digit())
    {
        return iso(&format!("{}{}", &s[..5], &s[6..]), zone);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        // W3C-DTF reduced precision: "2003-12" is the first of the month.
        .or_else(|| NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d").ok())
        .and_then(|d| in_zone(d.and_time(NaiveTime::MIN), zone))
}

/// ISO 8601 dates without a century or with an ordinal day: `031231`, `03-12-31`, `-0312`,
/// `-03-12` (year and month) and `03-335` (day 335 of 2003). Two-digit years are in this
/// century; a year alone (`2003`) is its first day. Five bare digits are not read as a date
/// (`22013` is more likely junk than day 13 of 2022).
pub(super) fn iso_abbreviated(s: &str, zone: Option<Tz>) -> Option<DateTime<Utc>> {
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let num = |t: &str| t.parse::<u32>().ok();
    let year2 = |t: &str| Some(2000 + num(t)? as i32);
    let date = if let Some(rest) = s.strip_prefix('-') {
        // -YYMM or -YY-MM
        let compact = rest.replace('-', "");
        if compact.len() != 4 || !digits(&compact) || (rest.len() != 4 && rest.len() != 5) {
            return None;
        }
        NaiveDate::from_ymd_opt(year2(&compact[..2])?, num(&compact[2..])?, 1)?
    } else {
        let compact = s.replace('-', "");
        if !digits(&compact) {
            return None;
        }
        match (s.len(), compact.len()) {
            (4, 4) => NaiveDate::from_ymd_opt(num(s)? as i32, 1, 1)?,
            (6, 6) | (8, 6) => NaiveDate::from_ymd_opt(
                year2(&compact[..2])?,
                num(&compact[2..4])?,
                num(&compact[4..])?,
            )?,
            (6, 5) => NaiveDate::from_yo_opt(year2(&compact[..2])?, num(&compact[2..])?)?,
            _ => return None,
        }
    };
    in_zone(date.and_time(NaiveTime::MIN), zone)
}
