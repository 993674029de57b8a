//! `classify`, `classify --eval` and `reclassify` driven through the binary.

mod common;

use common::{fixtures, setup, src, FeedServer};
use serde_json::Value;

fn demo_cmd() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::from_std(common::binary());
    c.arg("--config")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo.toml"));
    c
}

#[test]
fn classify_reads_json_lines_and_says_why() {
    let input = concat!(
        r#"{"id":"a","title":"Дијалог Београда и Приштине о регистарским таблицама","summary":""}"#,
        "\n",
        r#"{"id":"b","title":"Dialogue on waste collection in Gjilan","summary":"Residents met the municipality."}"#,
        "\n",
        r#"{"title":"Grupi i Grave Deputete takon asambleistet e komunave","summary":"","categories":["Lajme"]}"#,
        "\n",
        r#"{"id":"d","title":"Concert of choirs","summary":"","source":"kulturni-most"}"#,
        "\n",
        r#"{"id":"e","title":"EU–China dialogue on trade resumes in Brussels","summary":"The talks on an investment agreement continue."}"#,
        "\n",
        r#"{"id":"f","title":"EU–China dialogue on trade resumes in Brussels","summary":"","source":"kspag"}"#,
        "\n",
        r#"{"id":"g","title":"Dijalog Beograda i Pri&scaron;tine","summary":"<p>Sastanak u <b>Briselu</b>.</p>"}"#,
        "\n",
        r#"{"id":"h","title":"Social dialogue council meets on wages","summary":"Unions and employers in Prishtina and Belgrade."}"#,
        "\n",
    );
    let out = demo_cmd()
        .arg("classify")
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 8);
    // What an exclusion took away is named, whatever the topic's outcome.
    assert_eq!(lines[7]["topics"], serde_json::json!([]), "{}", lines[7]);
    assert_eq!(
        lines[7]["cancelled"]["dialogue"],
        serde_json::json!([r#"title: "dialog*" cancelled by "social dialog*""#]),
        "{}",
        lines[7]
    );
    assert!(
        lines[..7].iter().all(|l| l.get("cancelled").is_none()),
        "{lines:?}"
    );
    // Character references and markup read as ingest reads them.
    assert_eq!(
        lines[6]["topics"],
        serde_json::json!(["dialogue"]),
        "{}",
        lines[6]
    );
    assert!(
        lines[6]["why"].to_string().contains("pristin*"),
        "{}",
        lines[6]
    );
    assert_eq!(lines[0]["id"], "a");
    assert_eq!(lines[0]["topics"], serde_json::json!(["dialogue"]));
    assert_eq!(lines[1]["topics"], serde_json::json!([]));
    assert_eq!(lines[2]["id"], "line-3");
    assert_eq!(lines[2]["topics"], serde_json::json!(["women-caucus"]));
    assert_eq!(lines[3]["topics"], serde_json::json!(["culture"]));
    for line in &lines {
        for topic in line["topics"].as_array().unwrap() {
            let why = &line["why"][topic.as_str().unwrap()];
            assert!(
                !why.as_array().unwrap().is_empty(),
                "no reason for {topic} in {line}"
            );
        }
    }
    // The dialogue requires both sides: the reasons say what named each.
    let why = lines[0]["why"]["dialogue"].to_string();
    assert!(
        why.contains(r#"required: \"pristin*\""#) && why.contains(r#"required: \"beograd*\""#),
        "{why}"
    );
    assert!(lines[3]["why"]["culture"]
        .to_string()
        .contains("source default (kulturni-most)"));
    // A dialogue that is not Kosovo–Serbia: enough points, none of the parties named. The
    // topic is held back, and the line says so with the reasons it would have had.
    assert_eq!(lines[4]["topics"], serde_json::json!([]));
    let held = lines[4]["held"]["dialogue"].as_array().unwrap();
    assert!(
        held.iter().any(|l| l.as_str().unwrap().contains("dialog*")),
        "{held:?}"
    );
    assert_eq!(
        held.last().unwrap(),
        "not every group of required phrases occurs",
        "{held:?}"
    );
    assert!(lines[..4].iter().all(|l| l.get("held").is_none()));
    // A topic whose terms occur but stay under its threshold says how far, and why.
    let below = &lines[1]["below"]["dialogue"];
    assert!(
        below["score"].as_f64().unwrap() < below["threshold"].as_f64().unwrap(),
        "{below}"
    );
    assert!(below["why"].to_string().contains("dialog*"), "{below}");
    assert!(lines[0].get("below").is_none(), "{}", lines[0]);
    // The same from a source whose stories are all the dialogue's: assigned by that default,
    // so not held.
    assert_eq!(lines[5]["topics"], serde_json::json!(["dialogue"]));
    assert!(lines[5].get("held").is_none(), "{}", lines[5]);
}

#[test]
fn classify_names_bad_lines_and_answers_the_rest() {
    let out = demo_cmd()
        .arg("classify")
        .write_stdin(
            "{\"title\":\"ok\"}\nnot json\n{\"title\": 5}\n{\"title\":\"Women's Caucus meets\"}\n",
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let errors = String::from_utf8(out.stderr).unwrap();
    assert!(errors.contains("line 2"), "{errors}");
    assert!(errors.contains("line 3"), "{errors}");
    assert!(errors.contains("2 lines of stdin passed over"), "{errors}");
    // The lines around the bad ones are answered, each under its own line number.
    let said = String::from_utf8(out.stdout).unwrap();
    let ids: Vec<String> = said
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].to_string())
        .collect();
    assert_eq!(ids, ["\"line-1\"", "\"line-4\""], "{said}");
}

/// An input that cannot be read at all (a directory) stops it at once, exit 2.
#[test]
fn classify_stops_on_an_input_it_cannot_read() {
    let dir = tempfile::tempdir().unwrap();
    let child = common::binary()
        .arg("--config")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo.toml"))
        .arg("classify")
        .stdin(std::fs::File::open(dir.path()).unwrap())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // One that reads the error again for ever (as it did) fails the test.
    let out =
        common::output_within_a_minute(child, "classify did not stop on an input it cannot read");
    assert_eq!(out.status.code(), Some(2));
    let errors = String::from_utf8(out.stderr).unwrap();
    assert!(errors.starts_with("cannot read stdin: line 1:"), "{errors}");
    assert_eq!(errors.lines().count(), 1, "{errors}");
}

#[test]
fn eval_prints_metrics_per_topic_and_language_and_the_misses() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("set.jsonl");
    std::fs::write(
        &file,
        concat!(
            r#"{"id":"1","lang":"en","title":"Brussels talks on licence plates resume","summary":"","topics":["dialogue"]}"#, "\n",
            r#"{"id":"2","lang":"en","title":"Wine festival opens in Rahovec","summary":"Producers show this year's vintage.","topics":[]}"#, "\n",
            r#"{"id":"3","lang":"sr-Cyrl","title":"Концерт у Грачаници","summary":"","topics":["dialogue"]}"#, "\n",
        ),
    )
    .unwrap();
    let out = demo_cmd()
        .arg("classify")
        .arg("--eval")
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("all items (3 items)"), "{text}");
    assert!(text.contains("dialogue       P 1.000  R 0.500"), "{text}");
    assert!(text.contains("macro-F1"), "{text}");
    assert!(text.contains("sr-Cyrl (1 items)"), "{text}");
    assert!(text.contains("misclassified: 1"), "{text}");
    assert!(text.contains("3: expected [dialogue], got ["), "{text}");
}

#[test]
fn eval_on_the_labeled_set_meets_the_target() {
    let out = demo_cmd()
        .arg("classify")
        .arg("--eval")
        .arg(fixtures("classify/labeled.jsonl"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let first_macro = text
        .lines()
        .find(|l| l.trim_start().starts_with("macro-F1"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap();
    assert!(first_macro >= 0.90, "{text}");
}

/// A store fetched from one source of the ingest fixtures with one topic, `sport`, whose one
/// term is "football".
fn sport_store(server: &FeedServer) -> common::Setup {
    server.serve_dir(&fixtures("ingest"));
    let rules = "[topics.sport]\ntitle = \"Sport\"\nthreshold = 1\nterms = { \"football\" = 1 }\n";
    let s = setup(&[src("odd", server.url("odd-dates.xml"))], rules);
    s.fetch(&[]);
    s
}

#[test]
fn reclassify_applies_changed_rules_to_the_whole_store() {
    let server = FeedServer::start();
    let s = sport_store(&server);
    let sport = |items: &[Value]| {
        items
            .iter()
            .filter(|i| i["topics"] == serde_json::json!(["sport"]))
            .count()
    };
    assert_eq!(sport(&s.items()), 1);

    let text = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(
        &s.config,
        text.replace("\"football\" = 1", "\"football\" = 1, \"radio\" = 1"),
    )
    .unwrap();
    let out = s.cmd().arg("reclassify").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8(out.stdout).unwrap();
    assert!(
        said.contains("reclassified 6 items: 1 changed topics"),
        "{said}"
    );
    let items = s.items();
    assert_eq!(sport(&items), 2);
    let radio = items
        .iter()
        .find(|i| i["title"].as_str().unwrap().contains("radio"))
        .unwrap();
    assert!(
        radio["why"][0]["why"][0]
            .as_str()
            .unwrap()
            .contains("\"radio\""),
        "{radio}"
    );
}

#[test]
fn topics_stored_at_ingest_are_what_reclassify_computes() {
    // Ingest classifies new stories before taking the store's lock, and stories that gain a
    // source under it; `reclassify` recomputes everything from scratch. With the shipped rules
    // and a source default topic, the two must agree on every story.
    let server = FeedServer::start();
    server.serve_dir(&fixtures("ingest"));
    let rules = format!(
        "[classify]\nrules = \"{}/config/topics.toml\"\n",
        env!("CARGO_MANIFEST_DIR")
    );
    let s = setup(
        &[
            src("rss2", server.url("partner-rss2.xml")),
            src("atom", server.url("partner-atom.xml")),
            src("serbian", server.url("serbian-1250.xml")),
            src("rdf", server.url("rss1.rdf")),
            src("republisher", server.url("republisher.xml")),
        ],
        &rules,
    );
    // The last source listed carries a default topic.
    let mut text = std::fs::read_to_string(&s.config).unwrap();
    text.push_str("topics = [\"culture\"]\n");
    std::fs::write(&s.config, text).unwrap();
    let (code, _) = s.fetch(&[]);
    assert_eq!(code, 0);
    let items = s.items();
    assert!(items.iter().any(|i| i["topics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == "dialogue")));
    let out = s.cmd().arg("reclassify").output().unwrap();
    assert!(out.status.success());
    let said = String::from_utf8(out.stdout).unwrap();
    assert!(
        said.contains(&format!(
            "reclassified {} items: 0 changed topics",
            items.len()
        )),
        "{said}"
    );
}

#[test]
fn items_explain_stored_topics_by_the_rules_as_they_are_now() {
    // Stories are stored with their topics and without the reasons: `items --json` works
    // the reasons out from the rules, and says so when the rules no longer give a topic.
    let server = FeedServer::start();
    let s = sport_store(&server);
    let football = |items: Vec<Value>| {
        items
            .into_iter()
            .find(|i| i["title"].as_str().unwrap().contains("football"))
            .unwrap()
    };
    let item = football(s.items());
    assert_eq!(item["topics"], serde_json::json!(["sport"]));
    let why = item["why"].as_array().unwrap();
    assert_eq!(why.len(), 1, "{item}");
    assert_eq!(why[0]["topic"], "sport");
    let reason = why[0]["why"][0].as_str().unwrap();
    assert!(reason.starts_with("title: \"football\""), "{reason}");

    // What the store holds: the topic, no reasons.
    let backup = s.dir.path().join("backup.jsonl");
    s.cmd()
        .arg("export")
        .arg("--out")
        .arg(&backup)
        .assert()
        .success();
    let exported = std::fs::read_to_string(&backup).unwrap();
    let line = exported
        .lines()
        .find(|l| l.contains("youth football league"))
        .unwrap();
    assert!(line.contains(r#""topics":[{"topic":"sport"}]"#), "{line}");

    // Rules changed and not applied yet: the stored topic stays, and says why it has no reason.
    let text = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(
        &s.config,
        text.replace("\"football\" = 1", "\"cricket\" = 1"),
    )
    .unwrap();
    let item = football(s.items());
    assert_eq!(item["topics"], serde_json::json!(["sport"]));
    assert!(
        item["why"][0]["why"][0]
            .as_str()
            .unwrap()
            .contains("tributary reclassify"),
        "{item}"
    );
    s.cmd().arg("reclassify").assert().success();
    let item = football(s.items());
    assert_eq!(item["topics"], serde_json::json!([]));
    assert_eq!(item["why"], serde_json::json!([]));
}
