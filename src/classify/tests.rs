//! Classifier behaviour on small hand-written rules.

use super::*;

const RULES: &str = r#"
[topics.dialogue]
title = "Kosovo–Serbia dialogue"
threshold = 3
exclude = ["dialog* with", "social dialog*", "дијалог* са грађан*"]

[topics.dialogue.terms]
"dijalog*" = 2
"dialog*" = 2
"brussels agreement" = 3
"licence plates" = 2
"zajednic* srpsk* opstin*" = 3
"wine" = -1
"dialog* with serbia" = 3

[topics.dialogue.context]
"kosov*" = 1
"serbia" = 1
"agreement*" = 1

[topics.culture]
title = "Culture"
threshold = 2
category_weight = 2
exclude = ["culture of impunity"]
terms = { "festival*" = 1, "kultur*" = 1, "culture" = 1.5, "film festival" = 2.5 }
"#;

fn classifier() -> Classifier {
    Classifier::new(&RulesFile::from_toml(RULES).unwrap().topics).unwrap()
}

fn input<'a>(title: &'a str, summary: &'a str, categories: &'a [String]) -> Input<'a> {
    Input {
        title,
        summary,
        categories,
    }
}

fn topics(c: &Classifier, title: &str, summary: &str, categories: &[&str]) -> Vec<String> {
    let categories: Vec<String> = categories.iter().map(|s| s.to_string()).collect();
    c.classify(&input(title, summary, &categories))
        .into_iter()
        .map(|m| m.topic)
        .collect()
}

#[test]
fn one_stem_covers_inflections_and_scripts() {
    let c = classifier();
    for title in [
        "Nastavak dijaloga",
        "Дијалогу у Бриселу",
        "Dialogut i ri",
        "DIJALOG",
    ] {
        assert_eq!(topics(&c, title, "", &[]), ["dialogue"], "{title}");
    }
    assert_eq!(
        topics(&c, "", "o Zajednici srpskih opština", &[]),
        ["dialogue"]
    );
    assert_eq!(
        topics(&c, "", "о Заједници српских општина", &[]),
        ["dialogue"]
    );
}

#[test]
fn text_the_title_repeats_counts_once() {
    let c = classifier();
    // A title made of the text's first sentence (an item without one), or a feed that repeats
    // its title as the text's first line: its words count as the title's (dialog* 2 × 2, wine
    // −1 × 2 = 2 < 3), not also as the summary's (+2 − 1 would reach 3).
    assert!(topics(
        &c,
        "Dialogue on wine",
        "Dialogue on wine. More to come.",
        &[]
    )
    .is_empty());
    // A first sentence too long for a title, cut short.
    assert!(topics(
        &c,
        "Dialogue on wine…",
        "Dialogue on wine, cheese and the long tables of the regional fair. More to come.",
        &[]
    )
    .is_empty());
    // Text of its own counts.
    assert_eq!(
        topics(&c, "Dialogue on wine", "The dialogue goes on.", &[]),
        ["dialogue"]
    );
    // Not a repeat when the text only begins with the same letters.
    assert_eq!(
        topics(&c, "Dialogue on wine", "Dialogue on wines and more.", &[]),
        ["dialogue"]
    );
}

#[test]
fn the_title_counts_more_than_the_summary() {
    let c = classifier();
    // 2 × title_weight 2 = 4 ≥ 3, but 2 in the summary alone is not enough.
    assert_eq!(topics(&c, "Dialogue resumes", "", &[]), ["dialogue"]);
    assert!(topics(&c, "", "The dialogue resumes", &[]).is_empty());
    assert_eq!(
        topics(&c, "", "The dialogue on licence plates", &[]),
        ["dialogue"]
    );
}

#[test]
fn scores_name_the_matches_exclusions_cancelled() {
    let c = classifier();
    let scores = c.scores(&input(
        "Municipality opens dialogue with citizens",
        "A social dialogue; the social dialogue council",
        &[],
    ));
    let dialogue = scores.iter().find(|s| s.topic == "dialogue").unwrap();
    assert_eq!(
        dialogue.cancelled,
        [
            r#"title: "dialog*" cancelled by "dialog* with""#,
            r#"summary: "dialog*" cancelled by "social dialog*""#,
        ]
    );
    assert_eq!(dialogue.score, 0.0);
    // Only what was cancelled: an unexcluded mention counts, and is not listed.
    let scores = c.scores(&input(
        "Dialogue with citizens on the Brussels Agreement",
        "",
        &[],
    ));
    let dialogue = scores.iter().find(|s| s.topic == "dialogue").unwrap();
    assert!(dialogue.assigned());
    assert_eq!(
        dialogue.cancelled,
        [r#"title: "dialog*" cancelled by "dialog* with""#]
    );
    assert!(scores
        .iter()
        .find(|s| s.topic == "culture")
        .unwrap()
        .cancelled
        .is_empty());
}

#[test]
fn exclusions_cancel_only_the_matches_they_overlap() {
    let c = classifier();
    assert!(topics(&c, "Municipality opens dialogue with citizens", "", &[]).is_empty());
    assert!(topics(&c, "Социјални дијалог са грађанима", "", &[]).is_empty());
    assert!(topics(&c, "Social dialogue council meets", "", &[]).is_empty());
    // A second, unexcluded mention still counts.
    assert_eq!(
        topics(
            &c,
            "Dialogue with citizens on the Brussels Agreement",
            "",
            &[]
        ),
        ["dialogue"]
    );
    assert!(topics(&c, "A culture of impunity", "", &[]).is_empty());
    // A longer term containing the exclusion is more specific and stands.
    assert_eq!(
        c.scores(&input("", "Dialogue with Serbia", &[]))[0].why,
        [r#"summary: "dialog* with serbia" (+3.0)"#]
    );
}

/// An exclusion takes another sense of a word out of a topic's evidence; evidence against the
/// topic (a negative term) it overlaps still counts against it.
#[test]
fn exclusions_leave_negative_terms_standing() {
    let rules = r#"
[topics.dialogue]
title = "Dialogue"
threshold = 3
exclude = ["wine dialog*"]
terms = { "dialog*" = 2, "brussels agreement" = 3, "wine" = -1 }
"#;
    let c = Classifier::new(&RulesFile::from_toml(rules).unwrap().topics).unwrap();
    let s = &c.scores(&input("", "brussels agreement wine dialogue", &[]))[0];
    assert_eq!(
        s.why,
        [
            r#"summary: "brussels agreement" (+3.0)"#,
            r#"summary: "wine" (-1.0)"#
        ]
    );
    assert_eq!(s.score, 2.0);
    assert_eq!(
        s.cancelled,
        [r#"summary: "dialog*" cancelled by "wine dialog*""#]
    );
}

/// Points that need a second decimal are written with it: the reasons add up to the score.
#[test]
fn reasons_show_points_as_they_add_up() {
    let c = classifier();
    let s = &c.scores(&input("", "", &["Film festival".to_string()]))[1];
    assert_eq!(s.score, 5.0);
    assert_eq!(
        s.why,
        [r#"category "Film festival": "film festival" (+5.0)"#]
    );
    let s = &c.scores(&input("", "", &["Culture".to_string()]))[1];
    assert_eq!(s.why, [r#"category "Culture": "culture" (+3.0)"#]);
    let rules = r#"
[topics.culture]
title = "Culture"
threshold = 2
category_weight = 1.5
terms = { "kultur*" = 1.5 }
"#;
    let c = Classifier::new(&RulesFile::from_toml(rules).unwrap().topics).unwrap();
    let s = &c.scores(&input("", "", &["Kultura".to_string()]))[0];
    assert_eq!(s.score, 2.25);
    assert_eq!(s.why, [r#"category "Kultura": "kultur*" (+2.25)"#]);
    assert!(s.supported);
    // A topic with nothing but evidence against it is not supported: no near miss.
    let c = classifier();
    let s = &c.scores(&input("", "A glass of wine", &[]))[0];
    assert_eq!(s.score, -1.0);
    assert!(!s.supported);
}

#[test]
fn the_longest_match_wins_and_negative_weights_count_against() {
    let c = classifier();
    let scores = c.scores(&input("Film festival", "", &[]));
    assert_eq!(scores[1].score, 5.0);
    assert_eq!(scores[1].why, [r#"title: "film festival" (+5.0)"#]);
    let scores = c.scores(&input("", "brussels agreement wine", &[]));
    assert_eq!(scores[0].score, 2.0);
    assert!(!scores[0].assigned());
}

#[test]
fn context_terms_count_only_next_to_a_term() {
    let c = classifier();
    // Context alone: 1 × 2 + 1 × 2 + 1 = 5 would pass, but there is no term.
    let scores = c.scores(&input("Kosovo and Serbia sign agreement", "Serbia", &[]));
    assert_eq!(scores[0].score, 0.0);
    assert!(scores[0].why.is_empty());
    // With a term the context counts: 2 + 2 × 2 (kosov*, serbia in the title).
    let scores = c.scores(&input("Kosovo, Serbia", "The dialogue", &[]));
    assert_eq!(scores[0].score, 6.0);
    assert_eq!(
        scores[0].why,
        [
            r#"title: "kosov*" (+2.0)"#,
            r#"title: "serbia" (+2.0)"#,
            r#"summary: "dialog*" (+2.0)"#
        ]
    );
    // A negative term does not anchor context.
    assert_eq!(c.scores(&input("Kosovo wine", "", &[]))[0].score, -2.0);
}

#[test]
fn categories_count_and_reasons_say_where_and_what() {
    let c = classifier();
    let categories = vec!["Kultura".to_string(), "News".to_string()];
    let got = c.classify(&input(
        "Dijalog, dijalog",
        "Licence plates and a festival",
        &categories,
    ));
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].topic, "dialogue");
    assert_eq!(
        got[0].why,
        [
            r#"title: "dijalog*" ×2 (+4.0)"#,
            r#"summary: "licence plates" (+2.0)"#
        ]
    );
    assert_eq!(got[1].topic, "culture");
    assert_eq!(
        got[1].why,
        [
            r#"summary: "festival*" (+1.0)"#,
            r#"category "Kultura": "kultur*" (+2.0)"#
        ]
    );
}

#[test]
fn topics_are_listed_in_rule_order_with_titles() {
    let c = classifier();
    assert_eq!(c.topics().collect::<Vec<_>>(), ["dialogue", "culture"]);
    assert_eq!(c.title("dialogue"), Some("Kosovo–Serbia dialogue"));
    assert_eq!(c.title("sport"), None);
    assert!(topics(&c, "Festival of culture and dialogue", "", &[]).len() == 2);
}

#[test]
fn a_topic_title_in_another_language_falls_back_to_the_language_then_the_title() {
    let rules = r#"
[topics.culture]
title = "Culture"
titles = { sq = "Kultura", sr = "Kultura i umetnost", "sr-Cyrl" = "Култура и уметност" }
threshold = 1
terms = { "kultur*" = 1 }
"#;
    let c = Classifier::new(&RulesFile::from_toml(rules).unwrap().topics).unwrap();
    for (tag, title) in [
        ("sq", "Kultura"),
        ("sr-Cyrl", "Култура и уметност"),
        ("sr-cyrl", "Култура и уметност"),
        ("sr-Latn", "Kultura i umetnost"),
        ("en", "Culture"),
        ("de", "Culture"),
    ] {
        assert_eq!(c.title_in("culture", tag), Some(title), "{tag}");
    }
    assert_eq!(c.title_in("sport", "sq"), None);
    // Serbian as a whole, with titles for its scripts only: the Latin one.
    let scripts = r#"
[topics.culture]
title = "Culture"
titles = { "sr-Latn" = "Kultura i umetnost", "sr-Cyrl" = "Култура и уметност" }
threshold = 1
terms = { "kultur*" = 1 }
"#;
    let c = Classifier::new(&RulesFile::from_toml(scripts).unwrap().topics).unwrap();
    assert_eq!(c.title_in("culture", "sr"), Some("Kultura i umetnost"));
    assert_eq!(c.title_in("culture", "sr-Cyrl"), Some("Култура и уметност"));
    assert_eq!(c.title_in("culture", "sq"), Some("Culture"));
    // The shipped rules name each topic in every language digests speak.
    let shipped =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/topics.toml"))
            .unwrap();
    let c = Classifier::new(&RulesFile::from_toml(&shipped).unwrap().topics).unwrap();
    for topic in ["dialogue", "women-caucus", "culture"] {
        for tag in ["sq", "sr-Latn", "sr-Cyrl"] {
            assert_ne!(c.title_in(topic, tag), c.title(topic), "{topic} {tag}");
        }
    }
}

fn error(text: &str) -> String {
    let rules = RulesFile::from_toml(text).unwrap().topics;
    Classifier::new(&rules).unwrap_err().to_string()
}

#[test]
fn bad_rules_are_named_by_topic_and_term() {
    let head = "[topics.t]\ntitle = \"T\"\nthreshold = 1\n";
    assert_eq!(
        error(&format!(
            "{head}terms = {{ \"Dijalog*\" = 1, \"дијалог*\" = 2 }}"
        )),
        r#"topic "t": term "дијалог*" is the same as "Dijalog*" once folded; keep one"#
    );
    assert_eq!(
        error(&format!("{head}terms = {{ \"di*alog\" = 1 }}")),
        r#"topic "t": terms "di*alog": `*` may only appear once, at the end of a word"#
    );
    assert_eq!(
        error(&format!("{head}terms = {{ \"a\" = 1 }}\nexclude = [\"–\"]")),
        r#"topic "t": exclude "–": it has no letters or digits"#
    );
    assert_eq!(
        error(&format!(
            "{head}terms = {{ a = 1 }}\ncontext = {{ \"A\" = 1 }}"
        )),
        r#"topic "t": term "A" is the same as "a" once folded; keep one"#
    );
    assert_eq!(
        error(&format!(
            "{head}terms = {{ a = 1 }}\ncontext = {{ \"x*y\" = 1 }}"
        )),
        r#"topic "t": context "x*y": `*` may only appear once, at the end of a word"#
    );
    assert_eq!(
        error(&format!("{head}terms = {{ \"dialog\" = 0 }}")),
        r#"topic "t": term "dialog" has weight 0; use a finite number other than 0"#
    );
    assert_eq!(
        error(&format!("{head}terms = {{}}")),
        r#"topic "t" has no terms"#
    );
    assert_eq!(
        error("[topics.t]\ntitle = \"T\"\nthreshold = 0\nterms = { a = 1 }"),
        r#"topic "t": threshold must be a finite number greater than 0, not 0"#
    );
    assert_eq!(
        error("[topics.T]\ntitle = \"T\"\nthreshold = 1\nterms = { a = 1 }"),
        r#"topic "T": a topic name must be lowercase letters, digits and '-'"#
    );
}

#[test]
fn a_classifier_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Classifier>();
}

#[test]
fn no_rules_means_no_topics() {
    let c = Classifier::new(&Rules::default()).unwrap();
    assert!(c.classify(&input("Dialogue", "", &[])).is_empty());
    assert_eq!(c.topics().count(), 0);
}

#[test]
fn every_problem_in_the_rules_is_listed_in_rule_order() {
    let text = r#"
[topics.one]
title = "One"
threshold = 0
terms = { "bar" = 0, "Bar" = 1, "x*" = 2, "fine" = 1 }
exclude = ["–"]

[topics.Bad_Name]
title = "B"
threshold = 1
terms = { "ok" = 1 }

[topics.empty]
title = "E"
threshold = 1
terms = {}
"#;
    let rules = RulesFile::from_toml(text).unwrap().topics;
    let problems: Vec<String> = Classifier::build(&rules)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        problems,
        [
            r#"topic "one": threshold must be a finite number greater than 0, not 0"#,
            r#"topic "one": term "bar" has weight 0; use a finite number other than 0"#,
            r#"topic "one": term "Bar" is the same as "bar" once folded; keep one"#,
            r#"topic "one": terms "x*": a one-word stem needs at least 3 letters before `*`"#,
            r#"topic "one": exclude "–": it has no letters or digits"#,
            r#"topic "Bad_Name": a topic name must be lowercase letters, digits and '-'"#,
            r#"topic "empty" has no terms"#,
        ]
    );
    // `new` gives the first.
    assert_eq!(
        Classifier::new(&rules).unwrap_err().to_string(),
        problems[0]
    );
}

const REQUIRING: &str = r#"
[topics.dialogue]
title = "Kosovo–Serbia dialogue"
threshold = 3
exclude = ["serbian banks"]
require = ["kosov*", "serb*", "brussels agreement"]
terms = { "dialog*" = 2, "dijalog*" = 2, "energy agreement" = 3 }
"#;

#[test]
fn a_topic_with_required_phrases_needs_one_of_them_anywhere() {
    let c = Classifier::new(&RulesFile::from_toml(REQUIRING).unwrap().topics).unwrap();
    // Enough points, but nothing the topic requires: not assigned, and the scores say why.
    assert!(topics(&c, "EU–China dialogue", "", &[]).is_empty());
    assert!(topics(&c, "Albania and Greece sign energy agreement", "", &[]).is_empty());
    let scores = c.scores(&input("EU–China dialogue", "", &[]));
    assert_eq!(scores[0].score, 4.0);
    assert!(!scores[0].required && !scores[0].assigned());
    assert_eq!(
        scores[0].why,
        [
            r#"title: "dialog*" (+4.0)"#,
            "none of the required phrases occurs"
        ]
    );
    // One required phrase in any field is enough; it adds no points of its own.
    assert_eq!(
        topics(&c, "Dialogue resumes", "In Kosovo", &[]),
        ["dialogue"]
    );
    assert_eq!(
        topics(&c, "Дијалог се наставља", "", &["Косово"]),
        ["dialogue"]
    );
    let scores = c.scores(&input("Dialogue resumes", "on the Brussels Agreement", &[]));
    assert_eq!(scores[0].score, 4.0);
    assert!(scores[0].required && scores[0].assigned());
    // Exclusions cancel terms, not required phrases.
    assert_eq!(
        topics(&c, "Dialogue with Serbian banks", "", &[]),
        ["dialogue"]
    );
    // A required phrase alone assigns nothing.
    assert!(topics(&c, "Kosovo and Serbia", "", &[]).is_empty());
    // A topic without `require` is not held back.
    assert_eq!(
        topics(&classifier(), "Dialogue resumes", "", &[]),
        ["dialogue"]
    );
}

#[test]
fn a_required_phrase_that_cannot_compile_is_named() {
    let rules = REQUIRING.replace(r#""brussels agreement"]"#, r#""br*"]"#);
    let err = Classifier::new(&RulesFile::from_toml(&rules).unwrap().topics).unwrap_err();
    assert!(
        matches!(&err, RuleError::BadTerm { list: "require", term, .. } if term == "br*"),
        "{err:?}"
    );
    assert!(err.to_string().contains(r#"require "br*""#), "{err}");
}

const TWO_SIDES: &str = r#"
[topics.dialogue]
title = "Kosovo–Serbia dialogue"
threshold = 3
require = [["kosov*", "pristin*", "brussels agreement"], ["serb*", "beograd*", "brussels agreement"]]
terms = { "dialog*" = 2, "energy agreement" = 3, "brussels agreement" = 3 }
"#;

#[test]
fn every_group_of_required_phrases_must_be_met_and_the_reasons_name_them() {
    let c = Classifier::new(&RulesFile::from_toml(TWO_SIDES).unwrap().topics).unwrap();
    // One side only: held, with its own line.
    assert!(topics(&c, "Serbia and Hungary sign energy agreement", "", &[]).is_empty());
    let scores = c.scores(&input("Serbia and Hungary sign energy agreement", "", &[]));
    assert!(scores[0].held());
    assert_eq!(
        scores[0].why.last().unwrap(),
        "not every group of required phrases occurs"
    );
    // Both sides, in any fields: assigned, and the reasons say what met each group.
    let matched = c.classify(&input(
        "Energy agreement signed",
        "Pristina and Beograd agreed",
        &[],
    ));
    assert_eq!(matched[0].topic, "dialogue");
    assert_eq!(
        matched[0].why,
        [
            r#"title: "energy agreement" (+6.0)"#,
            r#"required: "pristin*""#,
            r#"required: "beograd*""#
        ]
    );
    // A phrase in both groups meets both, and is said once.
    let matched = c.classify(&input("Dialogue on the Brussels Agreement", "", &[]));
    assert_eq!(matched[0].topic, "dialogue");
    assert_eq!(
        matched[0].why,
        [
            r#"title: "dialog*" (+4.0)"#,
            r#"title: "brussels agreement" (+6.0)"#,
            r#"required: "brussels agreement""#
        ]
    );
    // Both forms are read: a flat list is one group.
    let flat = TWO_SIDES.replace(
        r#"[["kosov*", "pristin*", "brussels agreement"], ["serb*", "beograd*", "brussels agreement"]]"#,
        r#"["kosov*", "serb*"]"#,
    );
    let c = Classifier::new(&RulesFile::from_toml(&flat).unwrap().topics).unwrap();
    assert_eq!(
        topics(&c, "Serbia and Hungary sign energy agreement", "", &[]),
        ["dialogue"]
    );
    // An empty group could never be met: an error naming the list.
    let empty = TWO_SIDES.replace(r#"["serb*", "beograd*", "brussels agreement"]"#, "[]");
    let err = Classifier::new(&RulesFile::from_toml(&empty).unwrap().topics).unwrap_err();
    assert!(
        matches!(
            &err,
            RuleError::BadTerm {
                list: "require",
                ..
            }
        ),
        "{err:?}"
    );
    // Neither a list of phrases nor of lists.
    assert!(RulesFile::from_toml(&TWO_SIDES.replace(r#"[["kosov*""#, r#"[[1, "kosov*""#)).is_err());
}
