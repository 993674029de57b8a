use super::*;

fn load(text: &str) -> Result<Config, ConfigError> {
    Config::from_str(text, Path::new("/etc/tributary/t.toml"))
}

fn problems(text: &str) -> Vec<Problem> {
    match load(text) {
        Err(ConfigError::Invalid { problems }) => problems,
        other => panic!("expected invalid config, got {other:?}"),
    }
}

const GOOD: &str = r#"
[store]
path = "/var/lib/tributary"
cache_capacity = "32MiB"

[fetch]
timeout = "15s"
interval = "45m"

[[sources]]
id = "bprg"
title = "Balkans Policy Research Group"
url = "https://balkansgroup.org/en/feed/"
kind = "organization"
lang = "en"
interval = "15m"
topics = ["dialogue"]

[[sources]]
id = "local-script"
title = "Feed written by a script"
url = "feeds/out.xml"
kind = "partner"
cron = "0 */2 * * *"

[topics.dialogue]
title = "Kosovo–Serbia dialogue"
threshold = 2
terms = { "dijalog*" = 2, "brussels agreement" = 3 }
"#;

#[test]
fn good_config_validates_into_typed_values() {
    let c = load(GOOD).unwrap();
    assert_eq!(c.store.path, PathBuf::from("/var/lib/tributary"));
    assert_eq!(c.store.cache_capacity, 32 * 1024 * 1024);
    assert_eq!(c.fetch.timeout, Duration::from_secs(15));
    assert_eq!(c.fetch.max_body_size, 15 * 1024 * 1024);
    assert_eq!(c.sources.len(), 2);
    let s = &c.sources[0];
    assert_eq!(s.schedule, Schedule::Interval(Duration::from_secs(900)));
    assert_eq!(s.topics, vec!["dialogue".to_string()]);
    assert!(matches!(&s.location, Location::Http(u) if u.host_str() == Some("balkansgroup.org")));
    let local = &c.sources[1];
    assert_eq!(
        local.location,
        Location::File(PathBuf::from("/etc/tributary/feeds/out.xml"))
    );
    assert_eq!(local.schedule, Schedule::Cron("0 0 */2 * * *".into()));
}

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
fn unknown_key_names_line_and_key() {
    let text = GOOD.replace("lang = \"en\"", "lang = \"en\"\nlanguage = \"en\"");
    let p = &problems(&text)[0];
    assert_eq!(p.line, 16);
    assert_eq!(p.key, "sources[0].language");
    assert!(p.message.contains("unknown field"), "{p}");
    assert!(p.to_string().starts_with("/etc/tributary/t.toml:16:"));
}

#[test]
fn unknown_key_in_a_section() {
    let text = GOOD.replace("timeout = \"15s\"", "timeout = \"15s\"\nretries = 3");
    let p = &problems(&text)[0];
    assert_eq!(p.key, "fetch.retries");
    assert_eq!(p.line, 8);
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

/// A duration past a century (`prune` took it from today's date, and panicked) is taken as a
/// century: "forever" written as a thousand years keeps its meaning.
#[test]
fn a_duration_longer_than_a_century_is_taken_as_a_century() {
    let century = Duration::from_secs(100 * 366 * 86_400);
    let text = GOOD.replace("interval = \"15m\"", "interval = \"100000000years\"");
    assert!(matches!(
        load(&text).unwrap().sources[0].schedule,
        crate::model::Schedule::Interval(d) if d == century
    ));
    let aged = |age: &str| {
        GOOD.replace(
            "cache_capacity = \"32MiB\"",
            &format!("cache_capacity = \"32MiB\"\nmax_age = \"{age}\""),
        )
    };
    assert_eq!(
        load(&aged("1000 years")).unwrap().store.max_age,
        Some(century)
    );
    assert!(load(&aged("99 years")).unwrap().store.max_age < Some(century));
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
fn wrong_type_and_bad_kind_name_the_key() {
    let p = &problems(&GOOD.replace("kind = \"organization\"", "kind = \"blog\""))[0];
    assert_eq!(p.line, 14);
    assert!(p.key.starts_with("sources[0]"), "{p}");
    let p = &problems(&GOOD.replace("timeout = \"15s\"", "timeout = 15"))[0];
    assert_eq!(p.key, "fetch.timeout");
    assert_eq!(p.line, 7);
    // A file saved with a byte order mark (Windows Notepad) names its keys the same way.
    let marked = "\u{feff}[fetch]\ninterval = \"30m\"\ntimeout = 5\n";
    let p = &problems(marked)[0];
    assert_eq!((p.key.as_str(), p.line), ("fetch.timeout", 3), "{p}");
    let p = &problems("\u{feff}tmeout = 5\n")[0];
    assert_eq!(p.key, "tmeout", "{p}");
}

#[test]
fn missing_required_field_names_it() {
    let text = GOOD.replace("kind = \"partner\"\n", "");
    let p = &problems(&text)[0];
    assert!(p.message.contains("missing field `kind`"), "{p}");
    assert_eq!(p.key, "sources[1].kind");
}

#[test]
fn out_of_range_numbers_and_sizes() {
    let text = GOOD.replace(
        "timeout = \"15s\"",
        "timeout = \"15s\"\nconcurrency = 0\nmax_body_size = \"lots\"",
    );
    let ps = problems(&text);
    assert_eq!(ps[0].key, "fetch.concurrency");
    assert_eq!(ps[1].key, "fetch.max_body_size");
}

#[test]
fn data_dir_overrides_store_path() {
    let c = load(GOOD)
        .unwrap()
        .with_data_dir(Some(PathBuf::from("/tmp/x")));
    assert_eq!(c.store.path, PathBuf::from("/tmp/x"));
}

#[test]
fn invalid_toml_syntax_has_a_line() {
    let p = &problems("[store\npath = 1")[0];
    assert_eq!(p.line, 1);
}

#[test]
fn inline_topic_rules_compile_and_classify() {
    let c = load(GOOD).unwrap();
    let input = crate::classify::Input {
        title: "Дијалог Београда и Приштине",
        summary: "",
        categories: &[],
    };
    let topics = c.classifier.classify(&input);
    assert_eq!(topics.len(), 1);
    assert_eq!(topics[0].topic, "dialogue");
}

#[test]
fn a_source_default_topic_must_be_defined() {
    let text = GOOD.replace("topics = [\"dialogue\"]", "topics = [\"dialog\"]");
    let p = &problems(&text)[0];
    assert_eq!(p.key, "sources[0].topics[0]");
    assert_eq!(p.line, 17);
    assert!(
        p.message
            .contains("unknown topic \"dialog\"; defined topics: dialogue"),
        "{p}"
    );
}

/// An unknown default topic is named at its own line and by its table's place among the
/// `[[sources]]` tables, also after a source that did not validate and a table commented out
/// (as `discover --opml` prints one for a feed it did not fetch).
#[test]
fn an_unknown_source_topic_is_placed_after_broken_and_commented_tables() {
    let text = GOOD
        .replace(
            "[[sources]]\nid = \"bprg\"",
            "# [[sources]]\n# id = \"gone\"\n\n[[sources]]\nid = \"bad\"\ntitle = \"Bad\"\nurl = \"ftp://x\"\nkind = \"partner\"\ntopics = [\"dialog\"]\n\n[[sources]]\nid = \"bprg\"",
        )
        .replace("topics = [\"dialogue\"]", "topics = [\"dialogue\", \"dialog\"]");
    let found = problems(&text);
    let keys: Vec<(&str, usize)> = found.iter().map(|p| (p.key.as_str(), p.line)).collect();
    // The broken source's own topic is not checked (it is not loaded); bprg's second is.
    assert_eq!(
        keys,
        [("sources[0].url", 16), ("sources[1].topics[1]", 27)],
        "{found:?}"
    );
    assert!(
        found[1].message.contains("unknown topic \"dialog\""),
        "{found:?}"
    );
}

/// Rules that do not load are reported alone: the topics sources and digests name are not
/// reported unknown as well.
#[test]
fn broken_rules_do_not_make_every_named_topic_unknown() {
    let text = format!(
        "{GOOD}\n[mail]\noutbox = \"out\"\n\n[[digests]]\nname = \"daily\"\ntitle = \"Daily\"\ncron = \"0 7 * * *\"\ntopics = [\"dialogue\"]\nfrom = \"d@example.org\"\nto = [\"list@example.org\"]\n"
    )
    .replace("threshold = 2", "threshold = -1");
    let found = problems(&text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].key, "topics.dialogue.threshold");
}

#[test]
fn bad_inline_rules_name_the_topic() {
    let text = GOOD.replace("threshold = 2", "threshold = -1");
    let p = &problems(&text)[0];
    assert_eq!(p.key, "topics.dialogue.threshold");
    assert_eq!(p.line, 28);
    assert!(p.message.contains("threshold"), "{p}");
    // A term is named where it is written.
    let text = GOOD.replace("\"dijalog*\" = 2", "\"dijalog*\" = 0");
    let p = &problems(&text)[0];
    assert_eq!((p.key.as_str(), p.line), ("topics.dialogue.terms", 29));
    assert!(p.message.contains("\"dijalog*\" has weight 0"), "{p}");
}

/// Each problem of a rules file is placed at what is to mend: the term (in its table or in
/// an inline one), the setting, a topic's name as written; a topic defined in the rules file
/// and again in the main file at the second.
#[test]
fn rule_problems_are_placed_at_the_term_setting_or_topic() {
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("t.toml");
    let rules = dir.path().join("topics.toml");
    let placed = |rules_text: &str, main_extra: &str| -> Vec<(String, usize, String)> {
        std::fs::write(&rules, rules_text).unwrap();
        let text = format!("[classify]\nrules = \"topics.toml\"\n{GOOD}{main_extra}");
        match Config::from_str(&text, &main) {
            Err(ConfigError::Invalid { problems }) => problems
                .iter()
                .map(|p| {
                    let file = p.file.file_name().unwrap().to_string_lossy().into_owned();
                    (file, p.line, p.key.clone())
                })
                .collect(),
            other => panic!("{other:?}"),
        }
    };
    let culture = "[topics.culture]\ntitle = \"Culture\"\nthreshold = 3\nexclude = [\"culture of\", \"ab*\"]\n\n[topics.culture.terms]\n\"festival*\" = 2\n\"muzik*\" = 1\n\"di*log\" = 1\n\"Музик*\" = 2\nkinoteka = 0\n";
    assert_eq!(
        placed(culture, ""),
        [
            ("topics.toml".into(), 4, "topics.culture.exclude".into()),
            ("topics.toml".into(), 9, "topics.culture.terms".into()),
            ("topics.toml".into(), 10, "topics.culture.terms".into()),
            ("topics.toml".into(), 11, "topics.culture.terms".into()),
        ]
    );
    // Settings after `require`'s arrays, a phrase that is a term too, a term repeated in
    // `context`: each where it is written.
    let grouped = "[topics.talks]\ntitle = \"D\"\nthreshold = 3\nrequire = [\n    [\"kosov*\", \"pristin*\"],\n    [\"srb*\", \"x*\"],\n]\ntitle_weight = -1\n\n[topics.talks.terms]\n\"x*\" = 2\n\"dijalog*\" = 2\n\n[topics.talks.context]\n\"dijalog*\" = 1\n";
    assert_eq!(
        placed(grouped, ""),
        [
            ("topics.toml".into(), 6, "topics.talks.require".into()),
            ("topics.toml".into(), 8, "topics.talks.title_weight".into()),
            ("topics.toml".into(), 11, "topics.talks.terms".into()),
            ("topics.toml".into(), 15, "topics.talks.context".into()),
        ]
    );
    let named = "[topics.culture]\ntitle = \"C\"\nthreshold = 1\nterms = { \"film\" = 1 }\n\n[topics.\"Energy Deals\"]\ntitle = \"E\"\nthreshold = 1\nterms = { \"energy\" = 1 }\n";
    assert_eq!(
        placed(named, ""),
        [("topics.toml".into(), 6, "topics.Energy Deals".into())]
    );
    let twice = "\n[topics.culture]\ntitle = \"Again\"\nthreshold = 1\nterms = { \"art\" = 1 }\n";
    let found = placed(named.split("\n\n").next().unwrap(), twice);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "t.toml");
    assert_eq!(found[0].2, "topics.culture");
}

#[test]
fn rules_file_problems_name_that_file() {
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("t.toml");
    let text = format!("[classify]\nrules = \"topics.toml\"\n{}", GOOD);
    let err = Config::from_str(&text, &main).unwrap_err().to_string();
    assert!(
        err.contains("classify.rules") && err.contains("cannot read topic rules"),
        "{err}"
    );
    std::fs::write(dir.path().join("topics.toml"), "[topics.culture]\ntitle = \"Culture\"\nthreshold = 1\nterms = { \"festival*\" = 1 }\nweight = 2\n").unwrap();
    let err = Config::from_str(&text, &main).unwrap_err().to_string();
    assert!(err.contains("topics.toml:5:"), "{err}");
    assert!(err.contains("weight"), "{err}");
    std::fs::write(
        dir.path().join("topics.toml"),
        "[topics.culture]\ntitle = \"Culture\"\nthreshold = 1\nterms = { \"festival*\" = 1 }\n",
    )
    .unwrap();
    let c = Config::from_str(&text, &main).unwrap();
    assert_eq!(
        c.classifier.topics().collect::<Vec<_>>(),
        ["culture", "dialogue"]
    );
}

#[test]
fn digests_are_validated() {
    let good = format!(
        "{GOOD}\n[mail]\noutbox = \"out\"\n\n[[digests]]\nname = \"daily\"\ntitle = \"Daily\"\ncron = \"0 7 * * *\"\ntime_zone = \"Europe/Belgrade\"\ntopics = [\"dialogue\"]\nfrom = \"Tributary <d@example.org>\"\nto = [\"list@example.org\"]\n"
    );
    let c = load(&good).unwrap();
    assert_eq!(c.mail.outbox, PathBuf::from("/etc/tributary/out"));
    let d = c.digest("daily").unwrap();
    assert_eq!(d.cron, "0 0 7 * * *");
    assert_eq!(d.time_zone, chrono_tz::Europe::Belgrade);
    assert!(d.languages.is_empty());
    assert_eq!(d.locale, crate::digest::Locale::En);
    let albanian = good.replace("from = ", "languages = [\"sq\"]\nfrom = ");
    let c = load(&albanian).unwrap();
    let d = c.digest("daily").unwrap();
    assert_eq!(d.languages, ["sq"]);
    // A digest of one language speaks it, unless it says otherwise.
    assert_eq!(d.locale, crate::digest::Locale::Sq);
    let in_english = albanian.replace("from = ", "locale = \"en\"\nfrom = ");
    let c = load(&in_english).unwrap();
    assert_eq!(c.digest("daily").unwrap().locale, crate::digest::Locale::En);
    let cyrillic = good.replace("from = ", "locale = \"sr-Cyrl\"\nfrom = ");
    let c = load(&cyrillic).unwrap();
    assert_eq!(
        c.digest("daily").unwrap().locale,
        crate::digest::Locale::SrCyrl
    );
    assert!(!d.bcc);
    let bcc = good.replace("from = ", "bcc = true\nfrom = ");
    assert!(load(&bcc).unwrap().digest("daily").unwrap().bcc);
    // Auto-Submitted follows `bcc` (people, not a list server) unless set.
    assert!(!d.auto_submitted);
    assert!(load(&bcc).unwrap().digest("daily").unwrap().auto_submitted);
    let quiet = good.replace("from = ", "bcc = true\nauto_submitted = false\nfrom = ");
    assert!(
        !load(&quiet)
            .unwrap()
            .digest("daily")
            .unwrap()
            .auto_submitted
    );
    let asked = good.replace("from = ", "auto_submitted = true\nfrom = ");
    assert!(
        load(&asked)
            .unwrap()
            .digest("daily")
            .unwrap()
            .auto_submitted
    );
    let limited = good.replace("from = ", "max_stories = 40\nfrom = ");
    assert_eq!(
        load(&limited).unwrap().digest("daily").unwrap().max_stories,
        Some(40)
    );
    let none = good.replace("from = ", "max_stories = 0\nfrom = ");
    assert_eq!(problems(&none)[0].key, "digests[0].max_stories");
    // Sent by the daemon: only through a relay.
    let sent = good.replace("from = ", "send = true\nfrom = ");
    let found = problems(&sent);
    assert_eq!(
        (found[0].key.as_str(), found[0].line),
        ("digests[0].send", 40),
        "{found:?}"
    );
    assert!(
        found[0].message.contains("no [mail.smtp] relay"),
        "{found:?}"
    );
    let relay = format!("{sent}\n[mail.smtp]\nhost = \"smtp.example.org\"\n");
    assert!(load(&relay).unwrap().digest("daily").unwrap().send);
    let kept = good.replace("from = ", "send = false\nfrom = ");
    assert!(!load(&kept).unwrap().digest("daily").unwrap().send);
    let german = good.replace("from = ", "locale = \"de\"\nfrom = ");
    let found = problems(&german);
    assert_eq!(found[0].key, "digests[0].locale", "{found:?}");
    assert!(
        found[0]
            .message
            .contains("digests speak en, sq, sr-Latn, sr-Cyrl"),
        "{found:?}"
    );
    let bad = good
        .replace("Europe/Belgrade", "Europe/Novi_Sad")
        .replace(
            "topics = [\"dialogue\"]\nfrom",
            "topics = [\"sport\"]\nfrom",
        )
        .replace("list@example.org", "not a mailbox")
        .replace("from = ", "languages = [\"albanian\"]\nfrom = ");
    let keys: Vec<String> = problems(&bad).into_iter().map(|p| p.key).collect();
    assert_eq!(
        keys,
        [
            "digests[0].time_zone",
            "digests[0].topics[0]",
            "digests[0].languages[0]",
            "digests[0].to[0]"
        ]
    );
    // The message's own checks are reported at their keys, with the others.
    let headers = good
        .replace(
            "from = ",
            "list_id = \"daily\"\nunsubscribe_mailto = \"nobody\"\nfrom = ",
        )
        .replace("Europe/Belgrade", "Europe/Novi_Sad");
    let found = problems(&headers);
    let keys: Vec<(&str, usize)> = found.iter().map(|p| (p.key.as_str(), p.line)).collect();
    assert_eq!(
        keys,
        [
            ("digests[0].time_zone", 38),
            ("digests[0].list_id", 40),
            ("digests[0].unsubscribe_mailto", 41)
        ],
        "{found:?}"
    );
    assert!(found[1].message.contains("dotted name"), "{found:?}");
    // A mailbox lettre reads but a header could not carry as written.
    let unclosed = good.replace("Tributary <d@example.org>", "Tributary <d@example.org> x");
    let found = problems(&unclosed);
    assert_eq!(found[0].key, "digests[0].from", "{found:?}");
    // Six fields with seconds other than 0: the daemon checks digests on whole minutes.
    let seconds = good.replace("cron = \"0 7 * * *\"", "cron = \"30 0 7 * * *\"");
    let found = problems(&seconds);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].key, "digests[0].cron");
    assert!(
        found[0].message.contains("second other than 0"),
        "{found:?}"
    );
    let on_the_minute = good.replace("cron = \"0 7 * * *\"", "cron = \"0 0 7 * * *\"");
    assert!(load(&on_the_minute).is_ok());
    let nickname = good.replace("cron = \"0 7 * * *\"", "cron = \"@daily\"");
    assert!(load(&nickname).is_ok());
}

#[test]
fn a_user_agent_the_http_client_would_refuse_is_a_config_error() {
    // A TOML escape puts a newline in the value: `fetch` and `run` could not build a client.
    let text = GOOD.replace(
        "timeout = \"15s\"",
        "timeout = \"15s\"\nuser_agent = \"Tributary\\nX-Injected: 1\"",
    );
    let p = &problems(&text)[0];
    assert_eq!((p.line, p.key.as_str()), (8, "fetch.user_agent"));
    assert!(p.message.contains("not a valid HTTP header value"), "{p}");
    let empty = GOOD.replace("timeout = \"15s\"", "timeout = \"15s\"\nuser_agent = \" \"");
    assert_eq!(problems(&empty)[0].key, "fetch.user_agent");
    let fine = GOOD.replace(
        "timeout = \"15s\"",
        "timeout = \"15s\"\nuser_agent = \"Partners-Bot/1.0 (+https://example.org/bot)\"",
    );
    assert_eq!(
        load(&fine).unwrap().fetch.user_agent,
        "Partners-Bot/1.0 (+https://example.org/bot)"
    );
}

#[test]
fn the_smtp_password_has_no_key_in_the_file_only_an_environment_variable() {
    let smtp = "\n[mail.smtp]\nhost = \"smtp.example.org\"\nusername = \"tributary\"\n";
    let c = load(&format!("{GOOD}{smtp}")).unwrap();
    let relay = c.mail.smtp.as_ref().unwrap();
    assert_eq!(relay.password_env, "TRIBUTARY_SMTP_PASSWORD");
    let p = &problems(&format!("{GOOD}{smtp}password = \"s3cret\"\n"))[0];
    assert_eq!(p.key, "mail.smtp.password");
    assert!(p.message.contains("unknown field"), "{p}");
}

#[test]
fn server_limits_have_defaults_and_are_checked() {
    let c = load("[server]\n").unwrap();
    assert_eq!(c.server.header_timeout, Duration::from_secs(10));
    assert_eq!(c.server.request_timeout, Duration::from_secs(30));
    assert_eq!(c.server.send_timeout, Duration::from_secs(60));
    assert_eq!(c.server.max_connections, 1024);
    let c = load(
        "[server]\nheader_timeout = \"1s\"\nrequest_timeout = \"2m\"\nsend_timeout = \"15s\"\nmax_connections = 8\n",
    )
    .unwrap();
    assert_eq!(c.server.header_timeout, Duration::from_secs(1));
    assert_eq!(c.server.request_timeout, Duration::from_secs(120));
    assert_eq!(c.server.send_timeout, Duration::from_secs(15));
    assert_eq!(c.server.max_connections, 8);
    let ps =
        problems("[server]\nheader_timeout = \"0s\"\nsend_timeout = \"0s\"\nmax_connections = 0\n");
    let keys: Vec<&str> = ps.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        vec![
            "server.header_timeout",
            "server.send_timeout",
            "server.max_connections"
        ]
    );
}

#[test]
fn filter_rules_compile_for_every_source_and_each_one() {
    let text = GOOD.replace(
        "topics = [\"dialogue\"]\n",
        "topics = [\"dialogue\"]\nfilter = { block = ['category:(?i)^sponsored$'], keep = ['(?i)kosov'] }\n",
    ) + "\n[filter]\nblock = ['title:(?i)\\bhoroscope\\b']\n";
    let c = load(&text).unwrap();
    assert!(c.filters.applies_to("local-script"), "the global rules");
    let item = |title: &str| crate::model::NewItem {
        identity: crate::model::Identity::Guid("g".into()),
        title: title.into(),
        link: None,
        published: None,
        updated: None,
        summary: String::new(),
        content: None,
        authors: vec![],
        categories: vec![],
        lang: None,
        enclosures: vec![],
        image: None,
        content_hash: "h".into(),
    };
    assert!(c.filters.check("bprg", &item("Kosovo budget")).is_ok());
    assert!(c.filters.check("bprg", &item("Budget")).is_err());
    assert!(c.filters.check("local-script", &item("Budget")).is_ok());
    assert!(c
        .filters
        .check("local-script", &item("Daily horoscope"))
        .is_err());
}

#[test]
fn a_bad_filter_rule_names_line_key_and_the_regex_error() {
    let text = GOOD.to_string() + "\n[filter]\nblock = ['ok', 'title:(unclosed']\nkeep = ['']\n";
    let ps = problems(&text);
    let keys: Vec<&str> = ps.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, vec!["filter.block[1]", "filter.keep[0]"]);
    let line_of = |start: &str| text.lines().position(|l| l.starts_with(start)).unwrap() + 1;
    let lines: Vec<usize> = ps.iter().map(|p| p.line).collect();
    assert_eq!(lines, vec![line_of("block = "), line_of("keep = ")]);
    assert!(ps[0].message.contains("unclosed group"), "{}", ps[0]);
    assert!(ps[1].message.contains("empty"), "{}", ps[1]);

    let text = GOOD.replace(
        "cron = \"0 */2 * * *\"\n",
        "cron = \"0 */2 * * *\"\n[sources.filter]\nblocks = ['x']\n",
    );
    let p = &problems(&text)[0];
    assert_eq!(p.key, "sources[1].filter.blocks");
    assert!(p.message.contains("unknown field"), "{p}");
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

#[test]
fn keys_in_inline_tables_repeated_tables_and_headers_are_located() {
    let text = GOOD.replace(
        "topics = [\"dialogue\"]\n",
        "topics = [\"dialogue\"]\nfilter = { blok = [\"x\"] }\n",
    );
    let p = &problems(&text)[0];
    assert_eq!(p.key, "sources[0].filter.blok", "{p}");
    // A bad value inside an inline table, in an array there, after another pair, in a table
    // inside a table: each is named under its tables.
    for (inline, key) in [
        ("filter = { block = 3 }", "sources[0].filter.block"),
        ("filter = { block = [\"a\", 3] }", "sources[0].filter.block"),
        (
            "filter = { 'block' = [\"a,b\"], keep = 4 }",
            "sources[0].filter.keep",
        ),
        (
            "headers = { \"X-A\" = \"1\", \"X-B\" = 5 }",
            "sources[0].headers.X-B",
        ),
    ] {
        let text = GOOD.replace(
            "topics = [\"dialogue\"]\n",
            &format!("topics = [\"dialogue\"]\n{inline}\n"),
        );
        let ps = problems(&text);
        assert!(ps.iter().any(|p| p.key == key), "{inline}: {ps:?}");
    }
    let text = format!(
        "fetch = {{ timeout = 5 }}\n{}",
        GOOD.replace("[fetch]\ntimeout = \"15s\"\ninterval = \"45m\"\n", "")
    );
    let ps = problems(&text);
    let p = ps.iter().find(|p| p.line == 1).unwrap();
    assert_eq!(p.key, "fetch.timeout", "{p}");

    let text = format!("{GOOD}\n[fetch]\ninterval = \"1h\"\n");
    let p = &problems(&text)[0];
    assert_eq!(p.key, "fetch", "{p}");

    let text = GOOD.replace(
        "\n[[sources]]\nid = \"local-script\"",
        "\n[sources.headers]\nX-Ok = \"1\"\nHost = \"evil\"\nX-Num = 5\n\n[[sources]]\nid = \"local-script\"",
    );
    let ps = problems(&text);
    let line_of = |needle: &str| text[..text.find(needle).unwrap()].lines().count() + 1;
    let host = ps
        .iter()
        .find(|p| p.key == "sources[0].headers.Host")
        .unwrap();
    assert_eq!(host.line, line_of("Host = "), "{host}");
    let num = ps
        .iter()
        .find(|p| p.key == "sources[0].headers.X-Num")
        .unwrap();
    assert_eq!(num.line, line_of("X-Num = "), "{num}");
}

#[test]
fn a_base_url_with_a_login_is_refused_without_showing_it() {
    let text = format!("[server]\nbase_url = \"https://feeds:S3CRET@news.example.org/\"\n{GOOD}");
    let ps = problems(&text);
    let p = ps.iter().find(|p| p.key == "server.base_url").unwrap();
    assert!(p.message.contains("carries a login"), "{p}");
    assert!(!p.to_string().contains("S3CRET"), "{p}");
    assert_eq!(p.line, 2, "{p}");
}

#[test]
fn a_listen_override_moves_a_derived_base_url_only() {
    let derived = load(GOOD).unwrap().server;
    assert!(!derived.base_url_configured);
    let moved = derived.with_listen("127.0.0.1:9090".parse().unwrap());
    assert_eq!(moved.base_url.as_str(), "http://127.0.0.1:9090/");
    // Configured, even to what would have been derived: it stays, and so do the feeds' ids.
    let text = format!("[server]\nbase_url = \"http://127.0.0.1:8080/\"\n{GOOD}");
    let configured = load(&text).unwrap().server;
    assert!(configured.base_url_configured);
    let kept = configured.with_listen("127.0.0.1:9090".parse().unwrap());
    assert_eq!(kept.base_url.as_str(), "http://127.0.0.1:8080/");
    assert_eq!(kept.listen.to_string(), "127.0.0.1:9090");
}

#[test]
fn a_proxy_is_a_host_and_port_with_its_login_kept_out_of_the_url() {
    let with =
        |fetch: &str| GOOD.replace("timeout = \"15s\"", &format!("timeout = \"15s\"\n{fetch}"));
    let config = load(&with(
        "proxy = \"http://proxy.internal:3128\"\nproxy_username = \"tributary\"\nproxy_password_env = \"PROXY_PASSWORD\"",
    ))
    .unwrap();
    let proxy = config.fetch.proxy.unwrap();
    assert_eq!(proxy.url.as_str(), "http://proxy.internal:3128/");
    let auth = proxy.auth.unwrap();
    assert_eq!(
        (auth.username.as_str(), auth.password_env.as_str()),
        ("tributary", "PROXY_PASSWORD")
    );
    assert_eq!(load(GOOD).unwrap().fetch.proxy, None);
    // Each problem at the line of the key it names (the proxy's is line 8).
    for (fetch, key, line, said) in [
        (
            "proxy = \"http://user:secret@proxy.internal:3128\"",
            "fetch.proxy",
            8,
            "holds a login",
        ),
        (
            "proxy = \"socks5://proxy.internal:1080\"",
            "fetch.proxy",
            8,
            "unsupported proxy scheme \"socks5\"",
        ),
        (
            "proxy = \"proxy.internal:3128\"",
            "fetch.proxy",
            8,
            "unsupported proxy scheme \"proxy.internal\"",
        ),
        (
            "proxy = \"http://proxy.internal:3128/feeds\"",
            "fetch.proxy",
            8,
            "not a path",
        ),
        (
            "proxy = \"http://proxy.internal:3128\"\nproxy_username = \"tributary\"",
            "fetch.proxy_password_env",
            9,
            "proxy_username needs proxy_password_env",
        ),
        (
            "proxy_username = \"tributary\"\nproxy_password_env = \"PROXY_PASSWORD\"",
            "fetch.proxy",
            8,
            "proxy_username is set but proxy is not",
        ),
    ] {
        let p = &problems(&with(fetch))[0];
        assert_eq!(p.key, key, "{fetch}");
        assert!(p.message.contains(said), "{fetch}: {}", p.message);
        assert_eq!(p.line, line, "{fetch}");
    }
}

#[test]
fn a_relay_login_is_never_sent_in_clear_off_this_host() {
    let smtp = |host: &str, security: &str| {
        format!(
            "[mail.smtp]\nhost = \"{host}\"\nsecurity = \"{security}\"\nusername = \"digests\"\n"
        )
    };
    let p = &problems(&smtp("smtp.example.org", "none"))[0];
    assert_eq!(p.key, "mail.smtp.security");
    assert_eq!(p.line, 3);
    assert!(
        p.message.contains("in clear to smtp.example.org"),
        "{}",
        p.message
    );
    for (host, security) in [
        ("smtp.example.org", "starttls"),
        ("smtp.example.org", "tls"),
        ("127.0.0.1", "none"),
        ("localhost", "none"),
        ("[::1]", "none"),
    ] {
        assert!(load(&smtp(host, security)).is_ok(), "{host} {security}");
    }
    // Without a login there is nothing to give away.
    assert!(load("[mail.smtp]\nhost = \"smtp.example.org\"\nsecurity = \"none\"\n").is_ok());
}

#[test]
fn every_wrong_key_is_named_at_once_not_only_the_first() {
    let text = GOOD
        .replace("timeout = \"15s\"", "timeout = \"15s\"\nretries = 3")
        .replace("lang = \"en\"", "lang = \"en\"\nlanguage = \"en\"")
        .replace("kind = \"partner\"", "kind = 5")
        .replace("threshold = 2", "threshold = \"two\"")
        + "\n[topics.culture]\ntitle = \"Culture\"\nthreshold = 2\nterms = { \"festival*\" = \"2\" }\n\n[[digests]]\nname = \"daily\"\ncron = \"0 7 * * *\"\n";
    let found = problems(&text);
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "fetch.retries",
            "sources[0].language",
            "sources[1].kind",
            "topics.dialogue.threshold",
            "topics.culture.terms.\"festival*\"",
            "digests[0].title",
        ],
        "{found:#?}"
    );
    assert!(found[5].message.contains("missing field"), "{}", found[5]);
    assert!(found[0].message.contains("unknown field"), "{}", found[0]);
    assert_eq!(found[1].line, 17);
    assert!(found.windows(2).all(|w| w[0].line < w[1].line));
    // A file that is not TOML has its one error, where it is.
    let broken = format!("{GOOD}\n[fetch\n");
    assert_eq!(problems(&broken).len(), 1);
}

#[test]
fn every_wrong_key_of_a_rules_file_is_named_at_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("topics.toml"),
        "[topics.dialogue]\ntitle = \"Dialogue\"\nthreshold = \"two\"\nterms = { \"dijalog*\" = 2 }\n\n\
         [topics.culture]\ntitle = \"Culture\"\nthreshold = 2\nterms = { \"festival*\" = 2 }\nweight = 1\n",
    )
    .unwrap();
    let found = match Config::from_str(
        "[classify]\nrules = \"topics.toml\"\n",
        &dir.path().join("t.toml"),
    ) {
        Err(ConfigError::Invalid { problems }) => problems,
        other => panic!("{other:?}"),
    };
    let at: Vec<(usize, &str)> = found.iter().map(|p| (p.line, p.key.as_str())).collect();
    assert_eq!(
        at,
        [
            (3, "topics.dialogue.threshold"),
            (10, "topics.culture.weight")
        ],
        "{found:#?}"
    );
    assert!(found.iter().all(|p| p.file.ends_with("topics.toml")));
}

#[test]
fn feed_images_are_absolute_http_urls_placed_at_their_key() {
    let text = format!(
        "[server]\nicon = \"https://feeds.example.org/icon.png\"\nlogo = \"https://feeds.example.org/logo.png\"\n{GOOD}"
    );
    let server = load(&text).unwrap().server;
    assert_eq!(
        server.icon.as_ref().map(url::Url::as_str),
        Some("https://feeds.example.org/icon.png")
    );
    assert_eq!(
        server.logo.as_ref().map(url::Url::as_str),
        Some("https://feeds.example.org/logo.png")
    );
    assert_eq!(load(GOOD).unwrap().server.icon, None);
    for bad in ["icon.png", "file:///srv/icon.png", "ftp://x.example/i.png"] {
        let text = format!("[server]\n\nlogo = \"{bad}\"\n{GOOD}");
        let ps = problems(&text);
        let p = ps.iter().find(|p| p.key == "server.logo").unwrap();
        assert_eq!(p.line, 3, "{p}");
        assert!(p.to_string().contains("absolute http(s) URL"), "{p}");
    }
}

// A file with nothing in it but blanks and comments is refused (a file cut short while it was
// written), with where; one with any setting, even no source, is a config.
#[test]
fn an_empty_config_is_refused() {
    for text in ["", "\n\n", "# only a comment\n   \n# another\n"] {
        let p = problems(text);
        assert_eq!(p.len(), 1, "{text:?}");
        assert_eq!((p[0].line, p[0].key.as_str()), (1, "(file)"));
        assert!(p[0].message.contains("the config is empty"), "{}", p[0]);
    }
    assert!(load("[store]\npath = \"/var/lib/tributary\"\n").is_ok());
}

/// A URL an error quotes has its password and keys masked, parsed or not: `check` prints the
/// message, a refused reload logs it and the admin route answers with it.
#[test]
fn errors_quote_urls_without_their_passwords_or_keys() {
    let source = |url: &str| {
        GOOD.replace(
            "url = \"https://balkansgroup.org/en/feed/\"",
            &format!("url = \"{url}\""),
        )
    };
    let with_fetch =
        |fetch: &str| GOOD.replace("timeout = \"15s\"", &format!("timeout = \"15s\"\n{fetch}"));
    let smtp = |host: &str| {
        format!("{GOOD}\n[mail.smtp]\nhost = \"{host}\"\nsecurity = \"none\"\nusername = \"u\"\n")
    };
    for (text, key, said) in [
        (
            source("https://user:PASSW0RD@example.org:99999/feed"),
            "sources[0].url",
            "invalid URL \"https://user:hidden@example.org:99999/feed\": invalid port number",
        ),
        (
            source("https://example.org:99999/feed?accessToken=T0KEN&lang=sq"),
            "sources[0].url",
            "invalid URL \"https://example.org:99999/feed?accessToken=hidden&lang=sq\"",
        ),
        (
            source("ftp://user:PASSW0RD@example.org/feed"),
            "sources[0].url",
            "in \"ftp://user:hidden@example.org/feed\"",
        ),
        (
            source("https//user:PASSW0RD@example.org/feed"),
            "sources[0].url",
            "write \"https://user:hidden@example.org/feed\"",
        ),
        (
            with_fetch("proxy = \"http://user:PASSW0RD@127.0.0.1:99999\""),
            "fetch.proxy",
            "invalid proxy URL \"http://user:hidden@127.0.0.1:99999\"",
        ),
        (
            GOOD.replace(
                "[store]",
                "[server]\nbase_url = \"https://user:PASSW0RD@feeds.example.org:99999/\"\n[store]",
            ),
            "server.base_url",
            "invalid base URL \"https://user:hidden@feeds.example.org:99999/\"",
        ),
        (
            smtp("smtp://user:PASSW0RD@smtp.example.org"),
            "mail.smtp.host",
            "invalid host \"smtp://user:hidden@smtp.example.org\"",
        ),
        (
            smtp("user:PASSW0RD@smtp.example.org"),
            "mail.smtp.host",
            "invalid host \"user:hidden@smtp.example.org\"",
        ),
        // A value of the wrong type, which serde quotes.
        (
            format!("{GOOD}\n[mail.smtp]\nhost = \"h\"\nport = \"smtp://u:PASSW0RD@h\"\n"),
            "mail.smtp.port",
            "invalid type: string \"smtp://u:hidden@h\"",
        ),
    ] {
        let found = problems(&text);
        let p = found
            .iter()
            .find(|p| p.key == key)
            .unwrap_or_else(|| panic!("no {key} in {found:?}"));
        assert!(p.message.contains(said), "{said} not in {p}");
        for p in &found {
            assert!(!p.to_string().contains("PASSW0RD"), "{p}");
            assert!(!p.to_string().contains("T0KEN"), "{p}");
        }
    }
    // A relay's plain name is taken.
    let c = load(&format!(
        "{GOOD}\n[mail.smtp]\nhost = \"smtp.example.org\"\n"
    ))
    .unwrap();
    assert_eq!(c.mail.smtp.unwrap().host, "smtp.example.org");
}
