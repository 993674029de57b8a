//! The period a digest covers, and how its dates read in the digest's time zone.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::locale::Locale;

/// The half-open interval `[start, end)` of first-seen times a digest covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Period {
    /// First instant covered.
    pub start: DateTime<Utc>,
    /// First instant no longer covered; also the message's `Date`.
    pub end: DateTime<Utc>,
}

impl Period {
    /// Whether `t` falls in the period.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }

    /// How a reader names the period. A period of up to a day is named by the local date of
    /// its last instant (07:00 to 07:00 → the morning it arrives; midnight to midnight → that
    /// day); a longer one by the first and last dates its days are named by, each day as a
    /// daily digest's: `21–27 Nov 2026` (midnights), `20–26 Oct 2026` (a week from Monday
    /// 07:00 to Monday 07:00, whose first day is named by the Tuesday morning; the next week
    /// is `27 Oct – 2 Nov`, sharing no date), `28 Nov – 4 Dec 2026`, `29 Dec 2026 – 4 Jan 2027`.
    pub fn label(&self, tz: Tz, locale: Locale) -> String {
        let last = last_instant(self).with_timezone(&tz).date_naive();
        // A day by the local clock: the day the clocks go back has 25 hours.
        let local = |t: DateTime<Utc>| t.with_timezone(&tz).naive_local();
        if local(self.end) - local(self.start) <= TimeDelta::days(1) {
            return locale.date(last);
        }
        let first = (local(self.start) + TimeDelta::days(1) - TimeDelta::seconds(1)).date();
        if first >= last {
            return locale.date(last);
        }
        locale.range(first, last)
    }
}

/// The last whole second inside the period (its start for an empty or inverted one).
fn last_instant(p: &Period) -> DateTime<Utc> {
    if p.end > p.start {
        (p.end - TimeDelta::seconds(1)).max(p.start)
    } else {
        p.start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(start: &str, end: &str) -> Period {
        Period {
            start: start.parse().unwrap(),
            end: end.parse().unwrap(),
        }
    }

    #[test]
    fn a_day_is_named_by_its_last_local_date() {
        let belgrade: Tz = "Europe/Belgrade".parse().unwrap();
        let morning = period("2026-11-26T06:00:00Z", "2026-11-27T06:00:00Z");
        assert_eq!(morning.label(belgrade, Locale::En), "27 Nov 2026");
        let midnight = period("2026-11-25T23:00:00Z", "2026-11-26T23:00:00Z");
        assert_eq!(midnight.label(belgrade, Locale::En), "26 Nov 2026");
        assert_eq!(midnight.label(chrono_tz::UTC, Locale::En), "26 Nov 2026");
    }

    #[test]
    fn a_day_with_a_clock_change_is_still_a_day() {
        let belgrade: Tz = "Europe/Belgrade".parse().unwrap();
        // 07:00 to 07:00 around the autumn change (25 hours) and the spring one (23).
        let autumn = period("2026-10-24T05:00:00Z", "2026-10-25T06:00:00Z");
        assert_eq!(autumn.label(belgrade, Locale::En), "25 Oct 2026");
        let spring = period("2026-03-28T06:00:00Z", "2026-03-29T05:00:00Z");
        assert_eq!(spring.label(belgrade, Locale::En), "29 Mar 2026");
        let midnight = period("2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z");
        assert_eq!(midnight.label(belgrade, Locale::En), "25 Oct 2026");
        // A week across it is still a range, of the dates its days are named by.
        let week = period("2026-10-19T05:00:00Z", "2026-10-26T06:00:00Z");
        assert_eq!(week.label(belgrade, Locale::En), "20–26 Oct 2026");
    }

    #[test]
    fn longer_periods_are_ranges() {
        let tz = chrono_tz::UTC;
        let week = period("2026-11-21T00:00:00Z", "2026-11-28T00:00:00Z");
        assert_eq!(week.label(tz, Locale::En), "21–27 Nov 2026");
        let across_months = period("2026-11-28T00:00:00Z", "2026-12-05T00:00:00Z");
        assert_eq!(across_months.label(tz, Locale::En), "28 Nov – 4 Dec 2026");
        let across_years = period("2026-12-29T00:00:00Z", "2027-01-05T00:00:00Z");
        assert_eq!(
            across_years.label(tz, Locale::En),
            "29 Dec 2026 – 4 Jan 2027"
        );
    }

    #[test]
    fn consecutive_periods_share_no_date() {
        let belgrade: Tz = "Europe/Belgrade".parse().unwrap();
        // Weeks from Monday 07:00 (CET) to Monday 07:00: each named as its seven mornings.
        let labels: Vec<String> = ["2026-11-16", "2026-11-23", "2026-11-30"]
            .windows(2)
            .map(|w| {
                period(
                    &format!("{}T06:00:00Z", w[0]),
                    &format!("{}T06:00:00Z", w[1]),
                )
                .label(belgrade, Locale::En)
            })
            .collect();
        assert_eq!(labels, ["17–23 Nov 2026", "24–30 Nov 2026"]);
        // Two days from 07:00: the two mornings; 36 hours from 07:00 end on the first
        // morning's date too.
        let two = period("2026-11-26T06:00:00Z", "2026-11-28T06:00:00Z");
        assert_eq!(two.label(belgrade, Locale::En), "27–28 Nov 2026");
        let day_and_a_half = period("2026-11-26T06:00:00Z", "2026-11-27T18:00:00Z");
        assert_eq!(day_and_a_half.label(belgrade, Locale::En), "27 Nov 2026");
    }

    #[test]
    fn moments_carry_the_zone_abbreviation() {
        let belgrade: Tz = "Europe/Belgrade".parse().unwrap();
        let t = "2026-11-27T06:00:00Z".parse().unwrap();
        assert_eq!(Locale::En.moment(t, belgrade), "27 Nov 2026, 07:00 CET");
        assert_eq!(Locale::En.date_time(t, belgrade), "27 Nov 2026, 07:00");
    }

    #[test]
    fn the_period_is_half_open() {
        let p = period("2026-11-26T06:00:00Z", "2026-11-27T06:00:00Z");
        assert!(p.contains(p.start));
        assert!(!p.contains(p.end));
    }
}
