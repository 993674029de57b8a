//! Unit tests of the date parser: each form feeds write, dates without a zone read in the
//! source's, and what is refused.

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
