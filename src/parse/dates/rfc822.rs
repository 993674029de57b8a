//! RFC 822 / 2822 dates and the loose forms read as one (asctime, JavaScript's, 12-hour
//! clocks), with the words they are made of: month and weekday names, zone names, offsets,
//! times of day.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use super::in_zone;

pub(super) fn rfc822ish(s: &str, zone: Option<Tz>) -> Option<DateTime<Utc>> {
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

pub(super) const MONTHS: [&str; 12] = [
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

pub(super) fn offset_token(tok: &str) -> Option<i32> {
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

pub(super) fn time_token(tok: &str) -> Option<NaiveTime> {
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
