//! `[[sources]]`: ids, URLs, schedules, time zones, languages, logins, headers and
//! certificate checks.

use std::time::Duration;

use super::{load, problems, GOOD};
use crate::model::Schedule;

#[test]
fn a_sources_time_zone_is_its_own_else_the_fetch_default_else_none() {
    let c = load(GOOD).unwrap();
    assert_eq!(c.fetch.time_zone, None);
    assert!(c.sources.iter().all(|s| s.time_zone.is_none()));
    let text = GOOD
        .replace(
            "interval = \"45m\"\n",
            "interval = \"45m\"\ntime_zone = \"Europe/Belgrade\"\n",
        )
        .replace(
            "lang = \"en\"\n",
            "lang = \"en\"\ntime_zone = \"Europe/Tirane\"\n",
        );
    let c = load(&text).unwrap();
    assert_eq!(c.fetch.time_zone, Some(chrono_tz::Europe::Belgrade));
    assert_eq!(c.sources[0].time_zone, Some(chrono_tz::Europe::Tirane));
    assert_eq!(c.sources[1].time_zone, Some(chrono_tz::Europe::Belgrade));
    // An unknown name is reported at its line, under its key, in either place.
    let bad = text
        .replace("Europe/Tirane", "Europe/Prishtina")
        .replace("Europe/Belgrade", "CET+1");
    let found = problems(&bad);
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        ["fetch.time_zone", "sources[0].time_zone"],
        "{found:?}"
    );
    assert!(
        found[1].message.contains("\"Europe/Prishtina\""),
        "{found:?}"
    );
    assert_eq!(found[1].line, 17, "{found:?}");
}

#[test]
fn sources_without_schedule_use_the_fetch_interval() {
    let text = GOOD.replace("interval = \"15m\"\n", "");
    let c = load(&text).unwrap();
    assert_eq!(
        c.sources[0].schedule,
        Schedule::Interval(Duration::from_secs(45 * 60))
    );
}

#[test]
fn duplicate_ids_are_reported_at_the_second() {
    let text = GOOD.replace("id = \"local-script\"", "id = \"bprg\"");
    let p = &problems(&text)[0];
    assert_eq!(p.key, "sources[1].id");
    assert_eq!(p.line, 20);
    assert!(p.message.contains("first defined on line 11"), "{p}");
}

#[test]
fn bad_url_duration_and_cron_are_all_reported() {
    let text = GOOD
        .replace(
            "https://balkansgroup.org/en/feed/",
            "ftp://balkansgroup.org/feed",
        )
        .replace("interval = \"15m\"", "interval = \"15 fortnights\"")
        .replace("0 */2 * * *", "every day");
    let ps = problems(&text);
    let keys: Vec<&str> = ps.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        vec!["sources[0].url", "sources[0].interval", "sources[1].cron"]
    );
    assert_eq!(ps[0].line, 13);
    assert!(ps[0].message.contains("unsupported URL scheme"));
    assert_eq!(ps[1].line, 16);
}

#[test]
fn a_cron_must_have_5_or_6_fields_fire_at_all_and_poll_no_more_often_than_every_10s() {
    let message = |cron: &str| {
        let ps = problems(&GOOD.replace("0 */2 * * *", cron));
        assert_eq!(ps.len(), 1, "{cron}: {ps:?}");
        assert_eq!(ps[0].key, "sources[1].cron");
        ps[0].message.clone()
    };
    let m = message("* * * * * *");
    assert!(
        m.contains("fires 1s apart; a source is polled at most every 10s"),
        "{m}"
    );
    assert!(message("0,5 0 * * * *").contains("fires 5s apart"));
    assert!(message("0 0 7 * * Mon 2027").contains("it has 7 fields; write 5"));
    assert!(message("0 0 30 2 *").contains("never fires"));
    for fine in [
        "*/10 * * * * *",
        "0 0 29 2 *",
        "30 */5 * * * *",
        "@daily",
        "@hourly",
    ] {
        let text = GOOD.replace("0 */2 * * *", fine);
        assert!(load(&text).is_ok(), "{fine}");
    }
}

#[test]
fn http_url_without_host_is_an_error() {
    let text = GOOD.replace("https://balkansgroup.org/en/feed/", "http://");
    let p = &problems(&text)[0];
    assert_eq!(p.key, "sources[0].url");
}

#[test]
fn a_url_without_its_scheme_is_an_error_not_a_file() {
    for (typo, meant) in [
        (
            "https//balkansgroup.org/en/feed/",
            "https://balkansgroup.org/en/feed/",
        ),
        (
            "balkansgroup.org/en/feed/",
            "https://balkansgroup.org/en/feed/",
        ),
        ("www.bfpe.org/feed", "https://www.bfpe.org/feed"),
    ] {
        let text = GOOD.replace("https://balkansgroup.org/en/feed/", typo);
        let p = &problems(&text)[0];
        assert_eq!(p.key, "sources[0].url");
        assert!(p.message.contains(&format!("write {meant:?}")), "{p}");
    }
    // What reads as a path stays a path (a missing one is a warning of `check`, not an error).
    for path in [
        "feeds/partner.xml",
        "partner.xml",
        "./balkansgroup.org/feed",
        "httpdocs/feed.xml",
    ] {
        let text = GOOD.replace("https://balkansgroup.org/en/feed/", path);
        assert!(load(&text).is_ok(), "{path}");
    }
}

/// A source's language tag is taken in BCP 47's case, whatever case the config writes it in.
#[test]
fn a_language_tag_is_taken_in_its_canonical_case() {
    assert_eq!(GOOD.matches("lang = \"en\"").count(), 1);
    let c = load(&GOOD.replace("lang = \"en\"", "lang = \"SR-cyrl\"")).unwrap();
    assert_eq!(c.sources[0].lang.as_deref(), Some("sr-Cyrl"));
    assert!(
        c.languages().contains(&"sr-Cyrl".to_string()),
        "{:?}",
        c.languages()
    );
}

#[test]
fn sources_are_enabled_unless_the_config_says_otherwise() {
    let c = load(&GOOD.replace("cron = ", "enabled = false\ncron = ")).unwrap();
    assert!(c.sources[0].enabled);
    assert!(!c.sources[1].enabled);
    let p = &problems(&GOOD.replace("cron = ", "enabled = \"no\"\ncron = "))[0];
    assert_eq!(p.key, "sources[1].enabled");
    assert!(p.message.contains("expected a boolean"), "{p}");
}

#[test]
fn certificates_are_checked_unless_a_source_accepts_invalid_ones() {
    let c = load(&GOOD.replace("cron = ", "accept_invalid_certificates = true\ncron = ")).unwrap();
    assert!(!c.sources[0].accept_invalid_certificates);
    assert!(c.sources[1].accept_invalid_certificates);
    let text = GOOD.replace("cron = ", "accept_invalid_certificates = \"yes\"\ncron = ");
    let p = &problems(&text)[0];
    assert_eq!(p.key, "sources[1].accept_invalid_certificates", "{p}");
    let line = text[..text.find("accept_invalid_certificates").unwrap()]
        .lines()
        .count()
        + 1;
    assert_eq!(p.line, line, "{p}");
    assert!(p.message.contains("expected a boolean"), "{p}");
    // Misspelt, it is an unknown key, not a certificate left unchecked in silence.
    let p = &problems(&GOOD.replace("cron = ", "accept_invalid_certs = true\ncron = "))[0];
    assert!(p.message.contains("accept_invalid_certs"), "{p}");
    // Through an https proxy, the proxy's certificate (and its password) would go unchecked
    // too: refused for a source fetched through it, named at its line.
    let through = |proxy: &str| {
        GOOD.replace(
            "timeout = \"15s\"",
            &format!("timeout = \"15s\"\nproxy = \"{proxy}\""),
        )
        .replace(
            "url = \"https://balkansgroup.org/en/feed/\"",
            "url = \"https://balkansgroup.org/en/feed/\"\naccept_invalid_certificates = true",
        )
    };
    let text = through("https://proxy.internal:3128");
    let p = &problems(&text)[0];
    assert_eq!(p.key, "sources[0].accept_invalid_certificates", "{p}");
    let line = text[..text.find("accept_invalid_certificates").unwrap()]
        .lines()
        .count()
        + 1;
    assert_eq!(p.line, line, "{p}");
    assert!(p.message.contains("https [fetch] proxy"), "{p}");
    // An http proxy only carries the connection; a local file goes through no proxy.
    assert!(load(&through("http://proxy.internal:3128")).is_ok());
    let local = GOOD
        .replace(
            "timeout = \"15s\"",
            "timeout = \"15s\"\nproxy = \"https://proxy.internal:3128\"",
        )
        .replace("cron = ", "accept_invalid_certificates = true\ncron = ");
    assert!(load(&local).is_ok());
}

#[test]
fn a_login_needs_both_keys_a_variable_name_and_no_authorization_header() {
    let with = |extra: &str| GOOD.replace("cron = ", &format!("{extra}\ncron = "));
    let p = &problems(&with("username = \"u\""))[0];
    assert_eq!(p.key, "sources[1].password_env");
    let p = &problems(&with("password_env = \"X\""))[0];
    assert_eq!(p.key, "sources[1].username");
    let p = &problems(&with("username = \"u\"\npassword_env = \"not a name\""))[0];
    assert!(
        p.message.contains("not an environment variable name"),
        "{p:?}"
    );
    let p = &problems(&with(
        "username = \"u\"\npassword_env = \"P\"\nheaders = { Authorization = \"Bearer x\" }",
    ))[0];
    assert_eq!(p.key, "sources[1].headers.Authorization");
    let c = load(&with(
        "username = \"u\"\npassword_env = \"FEED_PW\"\nheaders = { X-Api-Key = \"k\" }",
    ))
    .unwrap();
    let s = &c.sources[1];
    assert_eq!(
        s.auth,
        Some(crate::model::BasicAuth {
            username: "u".into(),
            password_env: "FEED_PW".into()
        })
    );
    assert_eq!(s.headers, [("X-Api-Key".to_string(), "k".to_string())]);
}
