//! Dates in the localized forms old blog engines wrote, rewritten into forms the parsers in
//! the parent module read.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};

use super::{iso, rfc822ish, MONTHS};

/// Month names in the languages old feeds were seen to use, with the month number.
const LOCAL_MONTHS: [(&str, u32); 36] = [
    // Greek (abbreviated, with and without accents)
    ("ιαν", 1),
    ("φεβ", 2),
    ("μάώ", 3),
    ("μαρ", 3),
    ("μάρ", 3),
    ("απρ", 4),
    ("μάι", 5),
    ("μαϊ", 5),
    ("μαι", 5),
    ("ιούν", 6),
    ("ιον", 6),
    ("ιούλ", 7),
    ("ιολ", 7),
    ("αύγ", 8),
    ("αυγ", 8),
    ("σεπ", 9),
    ("οκτ", 10),
    ("νοέ", 11),
    ("νοε", 11),
    ("δεκ", 12),
    // Hungarian
    ("január", 1),
    ("február", 2),
    ("március", 3),
    ("április", 4),
    ("május", 5),
    ("június", 6),
    ("július", 7),
    ("augusztus", 8),
    ("szeptember", 9),
    ("október", 10),
    ("november", 11),
    ("december", 12),
    ("jan", 1),
    ("feb", 2),
    ("márc", 3),
    ("ápr", 4),
];

/// Greek weekday abbreviations (skipped like English ones).
const LOCAL_WEEKDAYS: [&str; 7] = ["κυρ", "δευ", "τρι", "τετ", "πεμ", "παρ", "σαβ"];

/// Localized forms, rewritten into ones the parsers above read:
/// - Greek RFC 822 (`Κυρ, 11 Ιούλ 2004 12:00:00 EST`) and Hungarian ISO
///   (`2004-július-13T9:15-05:00`): month names replaced by English or numbers;
/// - Korean (`2004-05-25 오후 11:23:17`, `2004년 05월 28일  01:31:15`): Korea Standard Time,
///   with 오전/오후 for AM/PM;
/// - Perforce (`Fri, 2006/09/15 08:19:53 EDT`).
pub(super) fn localized(s: &str) -> Option<DateTime<Utc>> {
    if s.is_ascii() {
        return perforce(s);
    }
    if s.contains('년') || s.contains("오전") || s.contains("오후") {
        return korean(s);
    }
    let lower = s.to_lowercase();
    // Hungarian ISO: YYYY-month-DDTHH:MM±hh:mm
    if let Some((year, rest)) = lower.split_once('-') {
        if let Some((month, rest)) = rest.split_once('-') {
            if let Some(m) = local_month(month) {
                let (day, time) = rest.split_once('t')?;
                let (clock, zone) = time.split_at(time.find(['+', '-', 'z'])?);
                let (h, min) = clock.split_once(':')?;
                let text = format!(
                    "{year}-{m:02}-{:0>2}T{:0>2}:{min}{}",
                    day,
                    h,
                    zone.to_uppercase()
                );
                return iso(&text);
            }
        }
    }
    // Greek RFC 822: translate each word.
    let mut words = Vec::new();
    for raw in lower.split_whitespace() {
        let word = raw.trim_end_matches(',');
        if LOCAL_WEEKDAYS.contains(&word) {
            continue;
        }
        match local_month(word) {
            Some(m) => words.push(MONTHS[m as usize - 1].to_string()),
            None => words.push(raw.to_string()),
        }
    }
    let text = words.join(" ");
    (text.is_ascii()).then(|| rfc822ish(&text)).flatten()
}

fn local_month(word: &str) -> Option<u32> {
    let word = word.trim_end_matches('.');
    LOCAL_MONTHS
        .iter()
        .find(|(name, _)| *name == word)
        .map(|(_, m)| *m)
}

fn korean(s: &str) -> Option<DateTime<Utc>> {
    // The numbers, in order: year, month, day, hour, minute[, second].
    let n: Vec<u32> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|t| !t.is_empty())
        .map(|t| t.parse().ok())
        .collect::<Option<_>>()?;
    if !(5..=6).contains(&n.len()) {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(n[0] as i32, n[1], n[2])?;
    let mut time = NaiveTime::from_hms_opt(n[3], n[4], n.get(5).copied().unwrap_or(0))?;
    if s.contains("오후") && time.hour() < 12 {
        time += chrono::Duration::hours(12);
    }
    let kst = FixedOffset::east_opt(9 * 3600)?;
    kst.from_local_datetime(&date.and_time(time))
        .single()
        .map(|d| d.with_timezone(&Utc))
}

fn perforce(s: &str) -> Option<DateTime<Utc>> {
    // "Fri, 2006/09/15 08:19:53 EDT" → "15 Sep 2006 08:19:53 EDT"
    let mut out = Vec::new();
    let mut found = false;
    for word in s.split_whitespace() {
        let parts: Vec<&str> = word.split('/').collect();
        if let [y, m, d] = parts[..] {
            let month: usize = m.parse().ok()?;
            let month = MONTHS.get(month.checked_sub(1)?)?;
            out.push(format!("{d} {month} {y}"));
            found = true;
        } else {
            out.push(word.to_string());
        }
    }
    found.then(|| rfc822ish(&out.join(" "))).flatten()
}
