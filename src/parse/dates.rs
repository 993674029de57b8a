//! Lenient date parsing for feed timestamps: RFC 3339 and its common deviations (reduced
//! precision, two-digit years, ordinal days), RFC 822 / 2822 with named zones (CET, CEST,
//! EET…) or colon offsets and 12-hour clocks, asctime and JavaScript-style dates (with
//! `Date.toString()`'s zone name), and a few localized forms old blog engines wrote (Greek
//! and Hungarian month names, Korean markers, Perforce's `YYYY/MM/DD`). chrono does the
//! calendar work; this module only puts the pieces people write into chrono's shape.
//!
//! A date written without a zone (`2026-11-23 10:00`, `23.11.2026 10:00`, a day alone) is in
//! the source's time zone when it has one (`time_zone` in the config), else in UTC.

use chrono::{
    DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone,
    Timelike, Utc,
};
use chrono_tz::Tz;

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

use chrono::Datelike;

mod locale;

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

fn iso(s: &str, zone: Option<Tz>) -> Option<DateTime<Utc>> {
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
fn iso_abbreviated(s: &str, zone: Option<Tz>) -> Option<DateTime<Utc>> {
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

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Offsets of zone names seen in feeds, in minutes east of UTC.
fn zone(name: &str) -> Option<i32> {
    Some(match name.to_ascii_uppercase().as_str() {
        "Z" | "UT" | "UTC" | "GMT" | "WET" | "ETC/GMT" | "ETC/UTC" => 0,
        "BST" | "WEST" | "CET" | "MET" => 60,
        "CEST" | "MEST" | "EET" | "SAST" => 120,
        "EEST" | "MSK" | "TRT" => 180,
        "IST" => 330,
        "JST" | "KST" => 540,
        "AEST" => 600,
        "AT" | "AST" => -240,
        "ADT" => -180,
        "EDT" => -240,
        "ET" | "EST" => -300,
        "CDT" => -300,
        "CT" | "CST" => -360,
        "MDT" => -360,
        "MT" | "MST" => -420,
        "PDT" => -420,
        "PT" | "PST" => -480,
        _ => return None,
    })
}

fn numeric_offset(tok: &str) -> Option<i32> {
    let (sign, rest) = match tok.as_bytes().first()? {
        b'+' => (1, &tok[1..]),
        b'-' => (-1, &tok[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        4 => (
            digits[..2].parse::<i32>().ok()?,
            digits[2..].parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    if h > 14 || m > 59 {
        return None;
    }
    Some(sign * (h * 60 + m))
}

fn offset_token(tok: &str) -> Option<i32> {
    if let Some(o) = numeric_offset(tok) {
        return Some(o);
    }
    if let Some(z) = zone(tok) {
        return Some(z);
    }
    // "GMT+1", "UTC-01:01"
    let upper = tok.to_ascii_uppercase();
    for prefix in ["GMT", "UTC", "UT"] {
        if let Some(rest) = upper.strip_prefix(prefix) {
            return numeric_offset(rest);
        }
    }
    None
}

fn time_token(tok: &str) -> Option<NaiveTime> {
    let parts: Vec<&str> = tok.split(':').collect();
    // `+01:00` is an offset, not one o'clock: every part must start with a digit, since
    // `u32`'s parser takes a leading `+`.
    let digit_first = |p: &&str| p.starts_with(|c: char| c.is_ascii_digit());
    if !(2..=3).contains(&parts.len()) || !parts.iter().all(digit_first) {
        return None;
    }
    let h: u32 = parts[0].parse().ok()?;
    let m: u32 = parts[1].parse().ok()?;
    let (s, nanos) = match parts.get(2) {
        Some(sec) => {
            let mut it = sec.splitn(2, '.');
            let s: u32 = it.next()?.parse().ok()?;
            (s, 0)
        }
        None => (0, 0),
    };
    NaiveTime::from_hms_nano_opt(h, m, s.min(59), nanos)
}

/// A 12-hour clock's "am" or "pm" (`AM`, `p.m.`, its last dot trimmed) ending a word, with
/// what comes before it (a time, as in `6:30pm`, or nothing) and whether it is after noon.
fn meridiem(lower: &str) -> Option<(&str, bool)> {
    [("am", false), ("a.m", false), ("pm", true), ("p.m", true)]
        .into_iter()
        .find_map(|(m, pm)| Some((lower.strip_suffix(m)?, pm)))
}

fn rfc822ish(s: &str, zone: Option<Tz>) -> Option<DateTime<Utc>> {
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.with_timezone(&Utc));
    }
    let (mut day, mut month, mut year, mut time, mut offset) = (None, None, None, None, None);
    let mut after_noon = None;
    for raw in s.split(|c: char| c.is_whitespace() || c == ',') {
        let tok = raw.trim_matches('.');
        // "November 23, 2026 at 6:30 pm": the word, not Atlantic Time (`AT`, as zones are
        // written, still is).
        if tok.is_empty() || tok == "at" || tok == "@" {
            continue;
        }
        let lower = tok.to_ascii_lowercase();
        if tok.chars().all(|c| c.is_ascii_alphabetic()) && tok.len() >= 3 {
            if let Some(m) = MONTHS.iter().position(|m| lower.starts_with(m)) {
                if month.is_some() {
                    return None;
                }
                month = Some(m as u32 + 1);
                continue;
            }
            if WEEKDAYS.iter().any(|w| lower.starts_with(w)) {
                continue;
            }
        }
        // `6:30 PM`, `6:30 p.m.`, `6:30pm`: the half of the day is applied once the time is
        // read. No zone or other word this loop reads ends in "am" or "pm".
        if let Some((clock, pm)) = meridiem(&lower) {
            if after_noon.replace(pm).is_some() {
                return None;
            }
            if !clock.is_empty() {
                time = Some(time_token(clock)?);
            }
            continue;
        }
        if let Some(t) = time_token(tok) {
            time = Some(t);
        } else if tok.chars().all(|c| c.is_ascii_digit()) {
            let n: i32 = tok.parse().ok()?;
            match (tok.len(), day, year) {
                (1 | 2, None, _)
                    if (1..=31).contains(&n) && month.is_none_or(|_| year.is_none()) =>
                {
                    day = Some(n as u32)
                }
                (4, _, None) => year = Some(n),
                (2, Some(_), None) => year = Some(if n < 50 { 2000 + n } else { 1900 + n }),
                _ => return None,
            }
        } else if let Some(o) = offset_token(tok) {
            offset = Some(o);
        } else {
            return None;
        }
    }
    // 12 AM is midnight and 12 PM noon; AM or PM with no time, or with an hour a 12-hour
    // clock does not show (`0:30 AM`, `18:30 PM`), is not a date to trust.
    if let Some(pm) = after_noon {
        let t = time.filter(|t| (1..=12).contains(&t.hour()))?;
        time = Some(t.with_hour(t.hour() % 12 + if pm { 12 } else { 0 })?);
    }
    let date = NaiveDate::from_ymd_opt(year?, month?, day?)?;
    let naive = date.and_time(time.unwrap_or(NaiveTime::MIN));
    let Some(offset) = offset else {
        return in_zone(naive, zone);
    };
    FixedOffset::east_opt(offset * 60)?
        .from_local_datetime(&naive)
        .single()
        .map(|d| d.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` read in Belgrade's zone, as RFC 3339 in UTC, or `none`.
    fn in_belgrade(text: &str) -> String {
        parse_date_in(text, Some(chrono_tz::Europe::Belgrade))
            .map(|d| d.to_rfc3339())
            .unwrap_or_else(|| "none".into())
    }

    fn utc(s: &str) -> String {
        parse_date(s)
            .map(|d| d.to_rfc3339())
            .unwrap_or_else(|| "none".into())
    }

    #[test]
    fn standard_forms() {
        assert_eq!(
            utc("Fri, 21 Feb 2020 09:00:00 +0100"),
            "2020-02-21T08:00:00+00:00"
        );
        assert_eq!(
            utc("2020-02-21T10:00:00+01:00"),
            "2020-02-21T09:00:00+00:00"
        );
        assert_eq!(
            utc("2003-12-31T10:14:55.1234Z"),
            "2003-12-31T10:14:55.123400+00:00"
        );
        assert_eq!(
            utc("Thu, 01 Jan 2004 19:48:21 GMT"),
            "2004-01-01T19:48:21+00:00"
        );
    }

    #[test]
    fn named_european_zones() {
        assert_eq!(
            utc("Fri, 21 Feb 2020 09:00:00 CET"),
            "2020-02-21T08:00:00+00:00"
        );
        assert_eq!(
            utc("Thu, 30 Apr 2015 08:57:00 MEST"),
            "2015-04-30T06:57:00+00:00"
        );
        assert_eq!(
            utc("Mon, 26 January 2004 16:31:00 ET"),
            "2004-01-26T21:31:00+00:00"
        );
    }

    #[test]
    fn deviations_seen_in_feeds() {
        assert_eq!(utc("2004-07-08 23:56:58"), "2004-07-08T23:56:58+00:00");
        assert_eq!(utc("2003-12-31"), "2003-12-31T00:00:00+00:00");
        assert_eq!(
            utc("Thu, 01 Jan 04 19:48:21 GMT"),
            "2004-01-01T19:48:21+00:00"
        );
        assert_eq!(utc("Sun Jan  4 16:29:06 2004"), "2004-01-04T16:29:06+00:00");
        assert_eq!(
            utc("Thu Aug 30 2012 17:26:16 +0200"),
            "2012-08-30T15:26:16+00:00"
        );
        assert_eq!(
            utc("Wed, 19 Feb 2012 22:40:00 GMT-01:01"),
            "2012-02-19T23:41:00+00:00"
        );
        assert_eq!(utc("Thu, 01 Jan 2004"), "2004-01-01T00:00:00+00:00");
    }

    #[test]
    fn colon_offsets_are_offsets_not_times() {
        // The same instant in every way feeds write its offset after an RFC 822 time.
        for text in [
            "Mon, 23 Nov 2026 18:30:00 +01:00",
            "Mon, 23 Nov 2026 18:30:00 +0100",
            "Mon, 23 Nov 2026 18:30:00 +01",
            "Mon, 23 Nov 2026 18:30:00 GMT+01:00",
            "Mon, 23 Nov 2026 18:30:00 UTC+1",
            "Mon, 23 Nov 2026 18:30 +01:00",
            "23.11.2026 18:30 +01:00",
            "23. novembra 2026. u 18:30 +01:00",
        ] {
            assert_eq!(utc(text), "2026-11-23T17:30:00+00:00", "{text}");
        }
        assert_eq!(
            utc("Mon, 23 Nov 2026 18:30:00 +05:30"),
            "2026-11-23T13:00:00+00:00"
        );
        assert_eq!(
            utc("Mon, 23 Nov 2026 18:30:00 -03:00"),
            "2026-11-23T21:30:00+00:00"
        );
        assert_eq!(
            utc("Mon, 23 Nov 2026 18:30:00 -0300"),
            "2026-11-23T21:30:00+00:00"
        );
        // A written offset wins over the source's zone, with a colon too.
        let belgrade = Some(chrono_tz::Europe::Belgrade);
        assert_eq!(
            parse_date_in("Mon, 23 Nov 2026 18:30:00 +00:00", belgrade).map(|d| d.to_rfc3339()),
            Some("2026-11-23T18:30:00+00:00".into())
        );
        // Nor is an offset taken for the time when there is none.
        assert_eq!(utc("Mon, 23 Nov 2026 +01:00"), "2026-11-22T23:00:00+00:00");
        assert_eq!(utc("Mon, 23 Nov 2026 18:+30:00"), "none");
    }

    #[test]
    fn at_before_the_time_is_a_word_not_atlantic_time() {
        for text in [
            "November 23, 2026 at 6:30 pm",
            "23 Nov 2026 at 6:30 PM",
            "23 Nov 2026 at 18:30",
            "Mon, 23 Nov 2026 @ 18:30",
        ] {
            assert_eq!(utc(text), "2026-11-23T18:30:00+00:00", "{text}");
        }
        // Written as zones are, it is the zone.
        assert_eq!(
            utc("Mon, 23 Nov 2026 18:30:00 AT"),
            "2026-11-23T22:30:00+00:00"
        );
    }

    #[test]
    fn javascript_zone_names_and_twelve_hour_clocks() {
        // `Date.toString()`: the zone's name in parentheses after the offset is left out.
        for text in [
            "Mon Nov 23 2026 18:30:00 GMT+0100 (Central European Standard Time)",
            "Mon Nov 23 2026 18:30:00 GMT+0100 (Mitteleuropäische Normalzeit)",
            "Mon Nov 23 2026 18:30:00 GMT+0100 (CET)",
            "Mon, 23 Nov 2026 18:30:00 +0100 (CET)",
            "Mon, 23 Nov 2026 18:30:00 +01:00 (CET)",
            "Mon Nov 23 2026 18:30:00 GMT+0100",
        ] {
            assert_eq!(utc(text), "2026-11-23T17:30:00+00:00", "{text}");
        }
        assert_eq!(
            utc("Mon Nov 23 2026 12:30:00 GMT-0500 (Eastern Standard Time)"),
            "2026-11-23T17:30:00+00:00"
        );
        // A 12-hour clock, its half of the day written in any of the usual ways.
        for text in [
            "Mon, 23 Nov 2026 6:30 PM +0100",
            "Mon, 23 Nov 2026 6:30 pm +0100",
            "Mon, 23 Nov 2026 6:30 p.m. +0100",
            "Mon, 23 Nov 2026 6:30 P.M. +0100",
            "Mon, 23 Nov 2026 6:30PM +0100",
            "Mon, 23 Nov 2026 06:30:00 pm +01:00",
            "23.11.2026 6:30 PM +0100",
        ] {
            assert_eq!(utc(text), "2026-11-23T17:30:00+00:00", "{text}");
        }
        assert_eq!(
            utc("Sat, Dec 16 2023 02:02:33 PM"),
            "2023-12-16T14:02:33+00:00"
        );
        assert_eq!(
            utc("Sat, Dec 16 2023 02:02:33 AM"),
            "2023-12-16T02:02:33+00:00"
        );
        // 12 AM is midnight, 12 PM noon.
        assert_eq!(
            utc("Sat, Dec 16 2023 12:02:33 AM"),
            "2023-12-16T00:02:33+00:00"
        );
        assert_eq!(
            utc("Sat, Dec 16 2023 12:02:33 PM"),
            "2023-12-16T12:02:33+00:00"
        );
        // Without an offset, in the source's zone.
        assert_eq!(
            parse_date_in(
                "Sat, Dec 16 2023 02:02:33 PM",
                Some(chrono_tz::Europe::Belgrade)
            )
            .map(|d| d.to_rfc3339()),
            Some("2023-12-16T13:02:33+00:00".into())
        );
        for text in [
            "Sat, Dec 16 2023 13:02:33 PM",
            "Sat, Dec 16 2023 0:02 AM",
            "Sat, Dec 16 2023 PM",
            "Sat, Dec 16 2023 6:30 PM PM",
            "Sat, Dec 16 2023 6:30 AM PM",
            "Sat, Dec 16 2023 6:30 xpm",
            // Words in parentheses not after an offset may be what the date lacks.
            "23.11.2026 (10:00)",
            "Mon Nov 23 2026 18:30:00 (Central European Standard Time)",
            "Mon Nov 23 2026 18:30:00 GMT+0100 (Central European Standard Time) x",
        ] {
            assert_eq!(utc(text), "none", "{text}");
        }
    }

    #[test]
    fn reduced_precision_and_abbreviated_iso() {
        assert_eq!(utc("2003-12"), "2003-12-01T00:00:00+00:00");
        assert_eq!(utc("2003"), "2003-01-01T00:00:00+00:00");
        assert_eq!(utc("031231"), "2003-12-31T00:00:00+00:00");
        assert_eq!(utc("03-12-31"), "2003-12-31T00:00:00+00:00");
        assert_eq!(utc("-0312"), "2003-12-01T00:00:00+00:00");
        assert_eq!(utc("03-335"), "2003-12-01T00:00:00+00:00");
        assert_eq!(
            utc("2003-012-31T10:14:55+00:00"),
            "2003-12-31T10:14:55+00:00"
        );
    }

    #[test]
    fn localized_forms() {
        assert_eq!(
            utc("Κυρ, 11 Ιούλ 2004 12:00:00 EST"),
            "2004-07-11T17:00:00+00:00"
        );
        assert_eq!(
            utc("2004-július-13T9:15-05:00"),
            "2004-07-13T14:15:00+00:00"
        );
        assert_eq!(utc("2004-05-25 오후 11:23:17"), "2004-05-25T14:23:17+00:00");
        assert_eq!(utc("2004-05-25 오전 11:23:17"), "2004-05-25T02:23:17+00:00");
        assert_eq!(
            utc("2004년 05월 28일  01:31:15"),
            "2004-05-27T16:31:15+00:00"
        );
        assert_eq!(
            utc("Fri, 2006/09/15 08:19:53 EDT"),
            "2006-09-15T12:19:53+00:00"
        );
    }

    #[test]
    fn serbian_and_albanian_forms() {
        for (text, expected) in [
            (
                "Pon, 23 Nov 2026 10:00:00 +0100",
                "2026-11-23T09:00:00+00:00",
            ),
            (
                "Пон, 23 нов 2026 10:00:00 +0100",
                "2026-11-23T09:00:00+00:00",
            ),
            (
                "e hënë, 23 nëntor 2026 10:00 +0100",
                "2026-11-23T09:00:00+00:00",
            ),
            ("e martë, 24 nëntor 2026", "2026-11-24T00:00:00+00:00"),
            (
                "Mar, 24 Nov 2026 10:00:00 +0100",
                "2026-11-24T09:00:00+00:00",
            ),
            ("23. novembar 2026. u 10:00", "2026-11-23T10:00:00+00:00"),
            ("23. новембра 2026.", "2026-11-23T00:00:00+00:00"),
            ("5 qershor 2025", "2025-06-05T00:00:00+00:00"),
            ("23.11.2026 10:00", "2026-11-23T10:00:00+00:00"),
            ("23.11.2026.", "2026-11-23T00:00:00+00:00"),
            ("1.3.2026 08:15 CET", "2026-03-01T07:15:00+00:00"),
            (
                "Monday, 23-Nov-26 10:00:00 GMT",
                "2026-11-23T10:00:00+00:00",
            ),
        ] {
            assert_eq!(utc(text), expected, "{text}");
        }
        for text in [
            "Ponedeljak",
            "32.11.2026",
            "23.13.2026",
            "23.11.26",
            "novembar",
        ] {
            assert_eq!(utc(text), "none", "{text}");
        }
    }

    #[test]
    fn regional_times_and_weekdays_without_a_comma() {
        let at = in_belgrade;
        // Half past ten in Belgrade, in winter: the time with a dot, an "h" or "časova".
        for text in [
            "23. novembra 2026. u 10.30",
            "23.11.2026. u 10.30",
            "23.11.2026 10.30",
            "23 nëntor 2026, ora 10.30",
            "23 nëntor 2026 në 10.30",
            "23. novembra 2026. u 10:30 časova",
            "23. novembra 2026. u 10.30 časova",
            "23. новембра 2026. у 10:30 часова",
            "23. novembra 2026. u 10.30h",
            "23. novembra 2026. u 10:30h",
            "23. novembra 2026. u 10:30 h",
            "23.11.2026. 10.30 h",
            "Pon, 23. novembra 2026. u 10.30",
            "ponedeljak 23. novembra 2026. u 10.30",
            "e hënë 23 nëntor 2026, ora 10.30",
        ] {
            assert_eq!(at(text), "2026-11-23T09:30:00+00:00", "{text}");
        }
        // A weekday in full before the date, without a comma: a day alone, at its midnight.
        for text in [
            "petak 27. novembar 2026.",
            "Petak 27.11.2026.",
            "петак 27. новембар 2026.",
            "e premte 27 nëntor 2026",
            "E premte 27 nëntor 2026",
            "premte 27 nëntor 2026",
        ] {
            assert_eq!(at(text), "2026-11-26T23:00:00+00:00", "{text}");
        }
        assert_eq!(at("e martë 24 nëntor 2026"), "2026-11-23T23:00:00+00:00");
        assert_eq!(
            at("nedjelja 29. novembra 2026."),
            "2026-11-28T23:00:00+00:00"
        );
        // Without a zone configured, UTC as every other form.
        assert_eq!(utc("23.11.2026. u 10.30"), "2026-11-23T10:30:00+00:00");
        // A dotted pair before the year is no time ("23.11" is a day and a month), nor is
        // one that is no time of day; "h" and "časova" only follow a time.
        for text in [
            "23.11 2026",
            "10.30 23.11.2026",
            "23. novembra 2026. u 25.30",
            "23. novembra 2026. u 10.3",
            "23. novembra 2026. u 10.300",
            "h 23. novembra 2026.",
            "23. novembra 2026. časova",
            "petak",
            "e premte",
        ] {
            assert_eq!(at(text), "none", "{text}");
        }
        // Forms read before keep their meaning.
        assert_eq!(at("23.11.2026 10:00"), "2026-11-23T09:00:00+00:00");
        assert_eq!(
            at("23. novembar 2026. u 10:00"),
            "2026-11-23T09:00:00+00:00"
        );
        assert_eq!(
            at("Mar, 24 Nov 2026 10:00:00 +0100"),
            "2026-11-24T09:00:00+00:00"
        );
        assert_eq!(at("e martë, 24 nëntor 2026"), "2026-11-23T23:00:00+00:00");
    }

    #[test]
    fn weekday_abbreviations_without_a_comma() {
        let at = in_belgrade;
        // Friday 27 November at Belgrade's midnight, the weekday abbreviated in Serbian
        // (Latin and Cyrillic), Albanian or English, with a comma or without one.
        for text in [
            "pet 27. nov 2026",
            "Pet 27. novembar 2026.",
            "pet. 27. nov 2026",
            "pet 27.11.2026",
            "pet, 27. nov 2026",
            "пет 27. нов 2026",
            "ПЕТ 27. новембар 2026.",
            "пет, 27. нов 2026",
            "pre 27 nën 2026",
            "Pre 27 nëntor 2026",
            "pre, 27 nën 2026",
            "Fri 27 Nov 2026",
        ] {
            assert_eq!(at(text), "2026-11-26T23:00:00+00:00", "{text}");
        }
        // With a time, in the source's zone.
        for text in [
            "Fri 27 Nov 2026 10:30",
            "pet 27. nov 2026 10:30",
            "pet 27. novembar 2026. u 10.30",
            "пет 27. новембра 2026. у 10.30",
            "pre 27 nën 2026, ora 10.30",
        ] {
            assert_eq!(at(text), "2026-11-27T09:30:00+00:00", "{text}");
        }
        // "mar" and "sht" are Albanian weekdays before a month, and the month itself
        // otherwise.
        assert_eq!(at("mar 24 nën 2026"), "2026-11-23T23:00:00+00:00");
        assert_eq!(at("sht 28 nën 2026"), "2026-11-27T23:00:00+00:00");
        assert_eq!(at("Mar 24 2026"), "2026-03-23T23:00:00+00:00");
        assert_eq!(at("sht 28 2026"), "2026-09-27T22:00:00+00:00");
        for text in ["čet 26. nov 2026", "чет 26. нов 2026", "enj 26 nën 2026"] {
            assert_eq!(at(text), "2026-11-25T23:00:00+00:00", "{text}");
        }
        // An abbreviation with no month after it, or not first, is no weekday.
        for text in [
            "pet",
            "pet 27 2026",
            "pet 27. nov",
            "pet pet 27. nov 2026",
            "27. nov 2026 pet",
        ] {
            assert_eq!(at(text), "none", "{text}");
        }
    }

    #[test]
    fn dotted_times_with_seconds() {
        let at = in_belgrade;
        for text in [
            "27.11.2026 10.30.15",
            "27.11.2026. 10.30.15",
            "27. novembar 2026. u 10.30.15",
            "27. новембра 2026. у 10.30.15 часова",
            "27 nëntor 2026, ora 10.30.15",
            "27 nëntor 2026 ora 10.30.15",
            "27.11.2026 10.30.15h",
            "27.11.2026 10:30:15h",
            "27.11.2026 10:30:15 h",
            "27.11.2026 10:30:15",
        ] {
            assert_eq!(at(text), "2026-11-27T09:30:15+00:00", "{text}");
        }
        // The forms without seconds read as before.
        for text in [
            "27.11.2026 u 10.30",
            "27 nëntor 2026, ora 10.30",
            "27.11.2026 10:30 h",
            "27.11.2026 10:30 časova",
        ] {
            assert_eq!(at(text), "2026-11-27T09:30:00+00:00", "{text}");
        }
        // A date alone stays a day at midnight; a date, a version or a number that is no time
        // of day is not read as one, nor is a time before the date or without one.
        assert_eq!(at("27.11.2026"), "2026-11-26T23:00:00+00:00");
        for text in [
            "10.30.2026",
            "27.11.2026 10.30.2026",
            "27.11.2026 1.2.3",
            "27.11.2026 10.30.5",
            "27.11.2026 10.30.60",
            "27.11.2026 25.30.15",
            "27.11.2026 10.30:15",
            "27.11.2026 10:30.15",
            "27.11.2026 10.30.15.1",
            "10.30.15 27.11.2026",
            "ora 10.30.15",
        ] {
            assert_eq!(at(text), "none", "{text}");
        }
    }

    #[test]
    fn garbage_is_none() {
        for s in [
            "",
            "sometime last week",
            "Sun, 99 Jun 2009 12:00:00 GMT",
            "2013-xx-27",
            "Sun, 16 zzz 2012 11:47:32 GMT",
            "2003-12-31T25:14:55Z",
            "31 Feb 2020",
            "22013",
            "12345678901",
            "Κυρ, 11 Xyz 2004",
            "2004-zzz-13T9:15-05:00",
            "2004년 13월 28일 01:31:15",
            "2006/13/15 08:19:53",
        ] {
            assert_eq!(utc(s), "none", "{s}");
        }
    }

    #[test]
    fn dates_without_a_zone_are_in_the_sources_zone() {
        let at = in_belgrade;
        // Winter (UTC+1) and summer (UTC+2), in each form written without a zone.
        assert_eq!(at("23.11.2026 10:00"), "2026-11-23T09:00:00+00:00");
        assert_eq!(
            at("23. novembra 2026. u 10:00"),
            "2026-11-23T09:00:00+00:00"
        );
        assert_eq!(at("Pon, 23 Nov 2026 10:00:00"), "2026-11-23T09:00:00+00:00");
        assert_eq!(at("2026-07-01 10:00:00"), "2026-07-01T08:00:00+00:00");
        assert_eq!(at("2026-07-01T10:00"), "2026-07-01T08:00:00+00:00");
        // A day alone begins at the zone's midnight.
        assert_eq!(at("2026-11-23"), "2026-11-22T23:00:00+00:00");
        assert_eq!(at("23.11.2026."), "2026-11-22T23:00:00+00:00");
        // A written zone or offset wins.
        assert_eq!(at("2026-07-01T10:00:00Z"), "2026-07-01T10:00:00+00:00");
        assert_eq!(at("2026-07-01T10:00:00+01:00"), "2026-07-01T09:00:00+00:00");
        assert_eq!(
            at("Mon, 23 Nov 2026 10:00:00 +0000"),
            "2026-11-23T10:00:00+00:00"
        );
        assert_eq!(
            at("Mon, 23 Nov 2026 10:00:00 GMT"),
            "2026-11-23T10:00:00+00:00"
        );
        // 02:30 did not happen on 29 March 2026 (02:00 → 03:00): read with the winter
        // offset. 02:30 on 25 October happened twice: the first, in summer time.
        assert_eq!(at("2026-03-29 02:30"), "2026-03-29T01:30:00+00:00");
        assert_eq!(at("2026-10-25 02:30"), "2026-10-25T00:30:00+00:00");
        // A date only the zone takes out of years 1–9999 is not read.
        assert_eq!(at("0001-01-01"), "none");
        assert_eq!(
            parse_date("0001-01-01").map(|d| d.to_rfc3339()),
            Some("0001-01-01T00:00:00+00:00".into())
        );
        // No zone configured: UTC, as before.
        assert_eq!(
            parse_date("23.11.2026 10:00").map(|d| d.to_rfc3339()),
            Some("2026-11-23T10:00:00+00:00".into())
        );
    }
}
