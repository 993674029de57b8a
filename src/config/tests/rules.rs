//! Topic rules (inline `[topics.*]` and a rules file) and filter rules: compiled, and each
//! problem placed at what is to mend.

use super::{load, problems, GOOD};
use crate::config::{Config, ConfigError};

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
