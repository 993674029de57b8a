//! Tests of digest runs against a store and an outbox in temporary folders. This file holds
//! the fixtures the others share and the tests of times and stamps.

mod export;
mod outbox;
mod pending;

use std::path::Path;

use chrono::{SubsecRound, TimeZone, Utc};

use super::{last_tick, parse_at, parse_time_stamp, time_stamp, write_outbox};
use crate::config::{DigestConfig, MailConfig};
use crate::model::DigestRecord;

pub(super) fn config(name: &str) -> DigestConfig {
    DigestConfig {
        name: name.into(),
        title: "Daily".into(),
        cron: "0 0 7 * * *".into(),
        time_zone: chrono_tz::UTC,
        topics: vec![],
        sources: vec![],
        languages: vec![],
        from: "d@example.org".into(),
        to: vec!["list@example.org".into()],
        list_id: None,
        unsubscribe_url: None,
        unsubscribe_mailto: None,
        template_dir: None,
        send: true,
        send_empty: false,
        images: false,
        max_age: None,
        locale: crate::digest::Locale::En,
        max_stories: None,
        bcc: false,
        auto_submitted: false,
    }
}

pub(super) fn record(
    name: &str,
    day: u32,
    count: usize,
    deliver: bool,
    sent: bool,
) -> DigestRecord {
    let end = Utc.with_ymd_and_hms(2026, 11, day, 7, 0, 0).unwrap();
    DigestRecord {
        name: name.into(),
        start: end - chrono::Duration::days(1),
        end,
        count,
        too_old: 0,
        message_id: String::new(),
        subject: String::new(),
        eml: String::new(),
        html: String::new(),
        text: String::new(),
        json: serde_json::Value::Null,
        sent_at: sent.then_some(end),
        send_error: None,
        outbox_due: true,
        outboxed_at: None,
        deliver,
        send_uncertain: false,
        send_refused: false,
    }
}

pub(super) fn mail(outbox: &Path) -> MailConfig {
    MailConfig {
        outbox: outbox.to_path_buf(),
        domain: "example.org".into(),
        smtp: None,
    }
}

pub(super) fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// `--at` in the digest's zone, a time the clocks skipped read with the offset before the
/// change (not refused as if it were written wrong).
#[test]
fn at_times_are_read_in_the_digests_zone_across_the_clock_change() {
    let tz = chrono_tz::Europe::Belgrade;
    assert_eq!(
        parse_at("2026-11-30 07:00", tz).unwrap().to_rfc3339(),
        "2026-11-30T06:00:00+00:00"
    );
    assert_eq!(
        parse_at("2026-03-29 02:30", tz).unwrap().to_rfc3339(),
        "2026-03-29T01:30:00+00:00"
    );
    assert_eq!(
        parse_at("2026-03-29T05:00:00Z", tz).unwrap().to_rfc3339(),
        "2026-03-29T05:00:00+00:00"
    );
    assert!(parse_at("29.03.2026", tz).is_none());
}

#[test]
fn a_scheduled_period_ends_on_the_second_of_its_schedule() {
    let mut d = config("daily");
    d.cron = "0 0 7 * * *".into();
    let now =
        Utc.with_ymd_and_hms(2026, 11, 2, 9, 32, 10).unwrap() + chrono::Duration::milliseconds(181);
    assert_eq!(
        last_tick(&d, now).unwrap(),
        Utc.with_ymd_and_hms(2026, 11, 2, 7, 0, 0).unwrap()
    );
}

#[test]
fn digests_ending_within_one_second_have_names_of_their_own() {
    let scheduled = Utc.with_ymd_and_hms(2026, 11, 30, 6, 0, 0).unwrap();
    assert_eq!(time_stamp(scheduled), "20261130T060000Z");
    let by_hand = scheduled + chrono::Duration::microseconds(250_700);
    assert_eq!(time_stamp(by_hand.trunc_subsecs(3)), "20261130T060000.250Z");
    for t in [scheduled, by_hand.trunc_subsecs(3)] {
        assert_eq!(parse_time_stamp(&time_stamp(t)), Some(t));
    }
    assert_eq!(parse_time_stamp("20261130T0600Z"), None);

    let dir = tempfile::tempdir().unwrap();
    let mail = mail(dir.path());
    let mut a = record("daily", 30, 2, false, false);
    let mut b = record("daily", 30, 1, false, false);
    a.end += chrono::Duration::milliseconds(250);
    a.eml = "first".into();
    b.start = a.end;
    b.end += chrono::Duration::milliseconds(750);
    b.eml = "second".into();
    let (pa, pb) = (
        write_outbox(&mail, &a).unwrap(),
        write_outbox(&mail, &b).unwrap(),
    );
    assert_ne!(pa, pb);
    assert_eq!(std::fs::read_to_string(pa).unwrap(), "first");
    assert_eq!(std::fs::read_to_string(pb).unwrap(), "second");
}
