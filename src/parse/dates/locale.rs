//! Dates in the localized forms old blog engines wrote, rewritten into forms the parsers of
//! `iso` and `rfc822` read.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};

use chrono_tz::Tz;

use super::iso::iso;
use super::rfc822::{rfc822ish, time_token, MONTHS};

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
/// - RFC 822 with the month and weekday written in Greek, Serbian or Albanian, and the other
///   forms of [`regional`] (`Κυρ, 11 Ιούλ 2004 12:00:00 EST`, `23.11.2026 10:00`);
/// - Hungarian ISO (`2004-július-13T9:15-05:00`): the month name replaced by its number;
/// - Korean (`2004-05-25 오후 11:23:17`, `2004년 05월 28일  01:31:15`): Korea Standard Time,
///   with 오전/오후 for AM/PM;
/// - Perforce (`Fri, 2006/09/15 08:19:53 EDT`).
pub(super) fn localized(s: &str, zone: Option<Tz>) -> Option<DateTime<Utc>> {
    if let Some(d) = regional(s, zone) {
        return Some(d);
    }
    if s.is_ascii() {
        return perforce(s, zone);
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
                let (clock, offset) = time.split_at(time.find(['+', '-', 'z'])?);
                let (h, min) = clock.split_once(':')?;
                let text = format!(
                    "{year}-{m:02}-{:0>2}T{:0>2}:{min}{}",
                    day,
                    h,
                    offset.to_uppercase()
                );
                return iso(&text, zone);
            }
        }
    }
    None
}

/// Month names in Serbian (Latin and Cyrillic, with their genitive: `23. novembra`) and
/// Albanian (`nëntor`, `nëntorit`), in full and abbreviated, with the month number.
const REGIONAL_MONTHS: [(&[&str], u32); 12] = [
    (
        &[
            "januar",
            "januara",
            "јануар",
            "јануара",
            "јан",
            "janar",
            "janarit",
        ],
        1,
    ),
    (
        &[
            "februar",
            "februara",
            "фебруар",
            "фебруара",
            "феб",
            "shkurt",
            "shkurtit",
            "shk",
        ],
        2,
    ),
    (
        &["mart", "marta", "март", "марта", "мар", "mars", "marsit"],
        3,
    ),
    (
        &[
            "april",
            "aprila",
            "април",
            "априла",
            "апр",
            "prill",
            "prillit",
            "pri",
        ],
        4,
    ),
    (&["maj", "maja", "мај", "маја", "majit"], 5),
    (
        &[
            "jun",
            "juna",
            "juni",
            "јун",
            "јуна",
            "јуни",
            "qershor",
            "qershorit",
            "qer",
        ],
        6,
    ),
    (
        &[
            "jul", "jula", "juli", "јул", "јула", "јули", "korrik", "korrikut", "kor",
        ],
        7,
    ),
    (
        &[
            "avgust",
            "avgusta",
            "avg",
            "август",
            "августа",
            "авг",
            "gusht",
            "gushtit",
            "gus",
        ],
        8,
    ),
    (
        &[
            "septembar",
            "septembra",
            "септембар",
            "септембра",
            "сеп",
            "септ",
            "shtator",
            "shtatorit",
            "sht",
        ],
        9,
    ),
    (
        &[
            "oktobar",
            "oktobra",
            "okt",
            "октобар",
            "октобра",
            "окт",
            "tetor",
            "tetorit",
            "tet",
        ],
        10,
    ),
    (
        &[
            "novembar",
            "novembra",
            "новембар",
            "новембра",
            "нов",
            "nëntor",
            "nëntorit",
            "nentor",
            "nën",
            "nen",
        ],
        11,
    ),
    (
        &[
            "decembar",
            "decembra",
            "децембар",
            "децембра",
            "дец",
            "dhjetor",
            "dhjetorit",
            "dhj",
        ],
        12,
    ),
];

/// English month names and abbreviations, which a date may start with ("November, 23").
const ENGLISH_MONTHS: [&str; 24] = [
    "jan",
    "january",
    "feb",
    "february",
    "mar",
    "march",
    "apr",
    "april",
    "may",
    "jun",
    "june",
    "jul",
    "july",
    "aug",
    "august",
    "sep",
    "sept",
    "september",
    "oct",
    "october",
    "nov",
    "november",
    "dec",
    "december",
];

/// Words written between a date's parts in Serbian and Albanian: "u" / "у" (at), "në" (at),
/// "ora" (the hour), "god." / "год." (year).
const REGIONAL_FILLERS: [&str; 8] = ["u", "у", "në", "ne", "ora", "god", "год", "г"];

/// Words written after a time of day in Serbian: "časova" / "часова" (o'clock), and the
/// "h" of `10:30 h`.
const HOUR_WORDS: [&str; 4] = ["časova", "casova", "часова", "h"];

/// Serbian (Latin and Cyrillic, ekavian and ijekavian) and Albanian weekdays in full, which
/// sites also write before a date without a comma (`petak 27. novembar 2026.`,
/// `e premte 27 nëntor 2026`; the Albanian ones after the article "e").
const REGIONAL_WEEKDAYS: [&str; 31] = [
    "ponedeljak",
    "ponedjeljak",
    "utorak",
    "sreda",
    "srijeda",
    "četvrtak",
    "cetvrtak",
    "petak",
    "subota",
    "nedelja",
    "nedjelja",
    "понедељак",
    "понедјељак",
    "уторак",
    "среда",
    "сриједа",
    "четвртак",
    "петак",
    "субота",
    "недеља",
    "недјеља",
    "hënë",
    "hene",
    "martë",
    "mërkurë",
    "merkure",
    "enjte",
    "premte",
    "shtunë",
    "shtune",
    "diel",
];

/// The same weekdays abbreviated (`pet 27. nov 2026`, `пет 27. нов 2026`, `pre 27 nën 2026`).
/// Two of them are also months ("mar" March, "sht" Albanian September), so a word of these is
/// a weekday only when a month follows it. "cet" (četvrtak without its háček) is not among
/// them: it is read as the zone CET, as it was before.
const REGIONAL_WEEKDAY_ABBREVIATIONS: [&str; 25] = [
    "pon", "uto", "sre", "sri", "čet", "pet", "sub", "ned", "пон", "уто", "сре", "сри", "чет",
    "пет", "суб", "нед", "hën", "hen", "mar", "mër", "mer", "enj", "pre", "sht", "die",
];

/// Dates as sites in Serbian, Albanian and Greek write them, rewritten for [`rfc822ish`]:
/// - a weekday of any language before a comma (`Pon, 23 Nov 2026 10:00:00 +0100`,
///   `e hënë, 23 nëntor 2026`), a Serbian or Albanian one before the date without one, in
///   full (`petak 27. novembar 2026.`) or abbreviated (`pet 27. nov 2026`), and a Greek one
///   anywhere, left out as English weekdays are;
/// - month names of [`local_month`] (`23. novembar 2026. u 10:00`, `23. новембра 2026.`,
///   `11 Ιούλ 2004`);
/// - day, month and year in numbers with dots (`23.11.2026 10:00`, `23.11.2026.`);
/// - a time after the date with a dot or an "h" (`u 10.30`, `10.30h`, `10:30 h`, with seconds
///   `u 10.30.15`), or followed by "časova" (`u 10:30 časova`).
fn regional(s: &str, zone: Option<Tz>) -> Option<DateTime<Utc>> {
    let lower = s.to_lowercase();
    let mut words: Vec<&str> = lower.split_whitespace().collect();
    let mut changed = false;
    let bare = |w: &&str| w.trim_end_matches([',', '.']).to_string();
    let is_month = |w: &str| {
        local_month(w).is_some()
            || ENGLISH_MONTHS.contains(&w)
            || dotted_date(w).is_some()
            || rfc850_date(w).is_some()
    };
    // Words up to a first comma, none a number: a weekday ("e hënë," is two), unless one is a
    // month and none follows ("November, 23 2026"; but "Mar, 24 Nov 2026" is an Albanian
    // Tuesday).
    if let Some(comma) = words.iter().position(|w| w.ends_with(',')) {
        let leading: Vec<String> = words[..=comma].iter().map(bare).collect();
        let month_follows = words[comma + 1..].iter().any(|w| is_month(&bare(w)));
        let weekday = leading.iter().all(|w| {
            !w.is_empty() && w.chars().all(char::is_alphabetic) && (month_follows || !is_month(w))
        });
        if weekday && comma + 1 < words.len() {
            words.drain(..=comma);
            changed = true;
        }
    }
    // A weekday and no comma ("petak 27. novembar 2026.", "e premte 27 nëntor 2026",
    // "pet 27. nov 2026"). An abbreviation only before a month: "mar" and "sht" can be the
    // month themselves ("Mar 24 2026" is in March).
    let named = match words.as_slice() {
        ["e", day, _, ..] if REGIONAL_WEEKDAYS.contains(day) => 2,
        [day, _, ..] if REGIONAL_WEEKDAYS.contains(day) => 1,
        [day, rest @ ..]
            if REGIONAL_WEEKDAY_ABBREVIATIONS.contains(&bare(day).as_str())
                && rest.iter().any(|w| is_month(&bare(w))) =>
        {
            1
        }
        _ => 0,
    };
    if named > 0 {
        words.drain(..named);
        changed = true;
    }
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    // Whether a year has been read: a time is written after the date, so `10.30` is half
    // past ten only then, and `23.11` before it stays a day and a month.
    let mut dated = false;
    for word in words {
        let bare = word.trim_end_matches([',', '.']);
        if REGIONAL_FILLERS.contains(&bare) || LOCAL_WEEKDAYS.contains(&bare) {
            changed = true;
        } else if let Some(m) = local_month(bare) {
            out.push(MONTHS[m as usize - 1].to_string());
            changed = true;
        } else if let Some((d, m, y)) = dotted_date(bare) {
            out.push(format!("{d} {} {y}", MONTHS[m as usize - 1]));
            changed = true;
            dated = true;
        } else if let Some(parts) = rfc850_date(bare) {
            // RFC 850 (`Monday, 23-Nov-26`), as old HTTP dates were written.
            out.push(parts);
            changed = true;
            dated = true;
        } else if let Some(time) = clock(bare).filter(|_| dated) {
            out.push(time);
            changed = true;
        } else if HOUR_WORDS.contains(&bare) && out.last().is_some_and(|w| time_token(w).is_some())
        {
            changed = true;
        } else {
            dated |= bare.len() == 4 && bare.bytes().all(|b| b.is_ascii_digit());
            out.push(word.to_string());
        }
    }
    changed.then(|| rfc822ish(&out.join(" "), zone)).flatten()
}

/// `10.30`, `10.30h` or `10:30h` as `10:30`, and with seconds (`10.30.15`, `10:30:15h`) as
/// `10:30:15`: a time of day as the region writes it. A time with a colon and no "h" needs no
/// rewriting. The parts are all split by dots or all by colons, and seconds are two digits
/// under 60, so that a date (`10.30.2026`) or a version is not taken for a time; [`regional`]
/// reads one only after the year, too.
fn clock(word: &str) -> Option<String> {
    let (time, h) = match word.strip_suffix('h') {
        Some(time) => (time, true),
        None => (word, false),
    };
    let sign = if time.contains('.') { '.' } else { ':' };
    let parts: Vec<&str> = time.split(sign).collect();
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let (hour, minute, second) = match parts[..] {
        [hour, minute] => (hour, minute, None),
        [hour, minute, second]
            if second.len() == 2 && second.parse().is_ok_and(|s: u32| s < 60) =>
        {
            (hour, minute, Some(second))
        }
        _ => return None,
    };
    let shaped = (1..=2).contains(&hour.len()) && minute.len() == 2;
    let numbers = digits(hour) && digits(minute) && second.is_none_or(digits);
    (shaped && numbers && (h || sign == '.')).then(|| match second {
        Some(second) => format!("{hour}:{minute}:{second}"),
        None => format!("{hour}:{minute}"),
    })
}

/// `23-nov-26` as `23 nov 26`: a day, an English month and a year.
fn rfc850_date(word: &str) -> Option<String> {
    let mut parts = word.split('-');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    let number =
        |t: &str, lens: &[usize]| lens.contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit());
    (parts.next().is_none() && number(d, &[1, 2]) && MONTHS.contains(&m) && number(y, &[2, 4]))
        .then(|| format!("{d} {m} {y}"))
}

/// `23.11.2026` as day, month and year.
fn dotted_date(word: &str) -> Option<(u32, u32, i32)> {
    let mut parts = word.split('.');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    let small = |t: &str| (1..=2).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit());
    if parts.next().is_some() || !small(d) || !small(m) || y.len() != 4 {
        return None;
    }
    let (d, m, y) = (d.parse().ok()?, m.parse().ok()?, y.parse().ok()?);
    ((1..=12).contains(&m) && NaiveDate::from_ymd_opt(y, m, d).is_some()).then_some((d, m, y))
}

/// The month a word names in one of the languages of [`LOCAL_MONTHS`] and
/// [`REGIONAL_MONTHS`] (a trailing dot aside).
fn local_month(word: &str) -> Option<u32> {
    let word = word.trim_end_matches('.');
    LOCAL_MONTHS
        .iter()
        .find(|(name, _)| *name == word)
        .map(|(_, m)| *m)
        .or_else(|| {
            REGIONAL_MONTHS
                .iter()
                .find(|(names, _)| names.contains(&word))
                .map(|(_, m)| *m)
        })
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

fn perforce(s: &str, zone: Option<Tz>) -> Option<DateTime<Utc>> {
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
    found.then(|| rfc822ish(&out.join(" "), zone)).flatten()
}
