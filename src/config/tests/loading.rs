//! Reading a file as a whole: a good config's typed values, unknown keys and wrong types
//! named at their line and key (all of them at once), an empty file, URLs masked in messages.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{load, problems, Config, ConfigError, Problem, GOOD};
use crate::model::{Location, Schedule};

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

/// A file with nothing in it but blanks and comments is refused (a file cut short while it was
/// written), with where; one with any setting, even no source, is a config.
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

// Every setting of the shipped configs, damaged one at a time three ways (a value of the wrong
// kind, its `=` lost, the line written twice), is refused with a problem at that line naming
// that key (the line after it, for the repeated key; what is inside the wrong value may be
// named under it), and the file.
#[test]
fn each_shipped_setting_damaged_is_named_at_its_line() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut damaged = 0;
    for name in ["config/demo.toml", "config/tributary.toml"] {
        let path = repo.join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            Config::from_str(&text, &path).is_ok(),
            "{name} loads as shipped"
        );
        let lines: Vec<&str> = text.lines().collect();
        for (at, line) in lines.iter().enumerate() {
            let Some((key, value)) = setting(line) else {
                continue;
            };
            for (copy, expected) in damaged_three_ways(&lines, at, key, value) {
                damaged += 1;
                let found = refused(Config::from_str(&copy, &path), name, expected, key);
                assert!(
                    names(&found, expected, &path, key),
                    "{name}:{expected} ({key}): {found:#?}"
                );
            }
        }
    }
    assert!(damaged > 150, "{damaged} damaged copies");
}

// So is every setting of the shipped topic rules, in the rules file beside the config.
#[test]
fn each_shipped_rule_setting_damaged_is_named_at_its_line() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("demo.toml");
    std::fs::copy(repo.join("config/demo.toml"), &config).unwrap();
    let rules = dir.path().join("topics.toml");
    let text = std::fs::read_to_string(repo.join("config/topics.toml")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut damaged = 0;
    // Every setting, and one term in ten (there are hundreds, written alike).
    let mut terms = 0;
    for (at, line) in lines.iter().enumerate() {
        let Some((key, value)) = setting(line) else {
            continue;
        };
        if key.starts_with('"') {
            terms += 1;
            if terms % 10 != 1 {
                continue;
            }
        }
        for (copy, expected) in damaged_three_ways(&lines, at, key, value) {
            damaged += 1;
            std::fs::write(&rules, copy).unwrap();
            let found = refused(Config::load(&config), "topics.toml", expected, key);
            assert!(
                names(&found, expected, &rules, key),
                "topics.toml:{expected} ({key}): {found:#?}"
            );
        }
    }
    assert!(damaged > 200, "{damaged} damaged copies");
}

/// A `key = value` line whose value is on that line (not a table's header, a comment, or an
/// array carried over lines).
fn setting(line: &str) -> Option<(&str, &str)> {
    let (key, value) = line.split_once(" = ")?;
    let balanced = value.matches('[').count() == value.matches(']').count();
    // Bare, or one quoted key (a term's words).
    let one_key = !key.contains('"')
        || (key.starts_with('"') && key.ends_with('"') && key.matches('"').count() == 2);
    (!key.starts_with(['#', '[', ' ']) && one_key && balanced).then_some((key, value))
}

/// The text of `lines` with the setting on line `at` damaged three ways, each with the line
/// its problem is to be said at: a value of the wrong kind, its `=` lost, the line written
/// twice (said at the second).
fn damaged_three_ways(lines: &[&str], at: usize, key: &str, value: &str) -> [(String, usize); 3] {
    let with = |replacement: &str| {
        let mut copy = lines.to_vec();
        copy[at] = replacement;
        copy.join("\n")
    };
    let line = lines[at];
    [
        (with(&format!("{key} = {{ wrong = true }}")), at + 1),
        (with(&format!("{key} {value}")), at + 1),
        (with(&format!("{line}\n{line}")), at + 2),
    ]
}

/// The problems of a config that had to be refused (`file`'s line `line`, setting `key`).
fn refused(
    loaded: Result<Config, ConfigError>,
    file: &str,
    line: usize,
    key: &str,
) -> Vec<Problem> {
    match loaded {
        Err(ConfigError::Invalid { problems }) => problems,
        other => panic!("{file}:{line} ({key}) was taken: {other:?}"),
    }
}

/// Whether one of `found` is at `line` of `file` and names `key` (a key that needs no quotes
/// is named without them; what is inside a wrong value may be named under it).
fn names(found: &[Problem], line: usize, file: &Path, key: &str) -> bool {
    found.iter().any(|p| {
        p.line == line
            && p.file == file
            && p.key
                .split(['.', '[', ']'])
                .any(|part| part == key || part == key.trim_matches('"'))
    })
}

#[test]
fn a_key_without_its_equals_sign_is_named_and_a_broken_value_is_not_taken_for_one() {
    let text = GOOD.replace(
        "path = \"/var/lib/tributary\"",
        "path \"/var/lib/tributary\"",
    );
    let p = &problems(&text)[0];
    assert_eq!((p.line, p.key.as_str()), (3, "store.path"), "{p}");
    // A quoted key, escaped quote and all.
    let text = GOOD.replace("threshold = 2", "\"a\\\"b\" 2");
    let p = &problems(&text)[0];
    assert_eq!(p.key, "topics.dialogue.\"a\\\"b\"", "{p}");
    // A line inside an array carried over lines names no key of its own words.
    let text = GOOD.replace("topics = [\"dialogue\"]", "topics = [\n  \"x\" \"y\",\n]");
    let p = &problems(&text)[0];
    assert_eq!(p.line, 18, "{p}");
    assert!(!p.key.contains("\"x\""), "{p}");
}
