//! A story's times written as chrono's serde writes them (RFC 3339 in UTC with `Z`, and 3, 6
//! or 9 fractional digits when the time has them), through humantime's formatter: chrono
//! writes a date a character at a time through `fmt::Write`, about 1,800 instructions each,
//! five times per story stored. Times humantime does not write (before 1970, after 9999, a
//! leap second) go through chrono.

use chrono::{DateTime, Datelike, Utc};
use serde::{Serialize, Serializer};

pub(super) fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    let nanos = t.timestamp_subsec_nanos();
    if !(1970..=9999).contains(&t.year()) || nanos >= 1_000_000_000 {
        return t.serialize(s);
    }
    let time = std::time::SystemTime::from(*t);
    if nanos == 0 {
        s.collect_str(&humantime::format_rfc3339_seconds(time))
    } else if nanos % 1_000_000 == 0 {
        s.collect_str(&humantime::format_rfc3339_millis(time))
    } else if nanos % 1_000 == 0 {
        s.collect_str(&humantime::format_rfc3339_micros(time))
    } else {
        s.collect_str(&humantime::format_rfc3339_nanos(time))
    }
}

/// [`serialize`] of an optional time.
pub(super) fn serialize_some<S: Serializer>(
    t: &Option<DateTime<Utc>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    struct Time<'a>(&'a DateTime<Utc>);
    impl Serialize for Time<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            serialize(self.0, s)
        }
    }
    match t {
        Some(t) => s.serialize_some(&Time(t)),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::rfc3339;

    #[test]
    fn times_are_written_as_chrono_writes_them() {
        use chrono::TimeZone;
        let mut times: Vec<DateTime<Utc>> = vec![
            DateTime::UNIX_EPOCH,
            Utc.with_ymd_and_hms(2026, 5, 28, 20, 26, 40).unwrap(),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(1969, 12, 31, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(1900, 2, 28, 1, 2, 3).unwrap(),
            Utc.with_ymd_and_hms(-44, 3, 15, 12, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap(),
            // A leap second.
            chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
                .unwrap()
                .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
                .unwrap()
                .and_utc(),
        ];
        // Seconds across the years, each with no fraction and with fractions that take 3, 6
        // and 9 digits.
        for i in 0..500i64 {
            let seconds = -2_000_000_000 + i * 97_654_321;
            for nanos in [0, 120_000_000, 1_000, 123_456_000, 7, 999_999_999] {
                times.push(Utc.timestamp_opt(seconds, nanos).unwrap());
            }
        }
        for t in times {
            let ours = rfc3339::serialize(&t, serde_json::value::Serializer).unwrap();
            assert_eq!(ours, serde_json::to_value(t).unwrap(), "{t:?}");
            let some = rfc3339::serialize_some(&Some(t), serde_json::value::Serializer).unwrap();
            assert_eq!(some, ours);
        }
        let none = rfc3339::serialize_some(&None, serde_json::value::Serializer).unwrap();
        assert_eq!(none, serde_json::Value::Null);
    }
}
