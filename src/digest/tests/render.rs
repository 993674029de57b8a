//! The text and HTML parts: pinned by snapshots, safe to open in a mail client, and
//! replaceable by ops.

use std::fs;

use super::{digest, digest_of, item, items, spec};
use crate::digest::{DigestError, DigestSpec, Templates};

fn templates() -> Templates {
    Templates::new(None).expect("the built-in templates compile and render")
}

#[test]
fn text_snapshot() {
    insta::assert_snapshot!("text", templates().text(&digest()).unwrap());
}

#[test]
fn html_snapshot() {
    insta::assert_snapshot!("html", templates().html(&digest()).unwrap());
}

#[test]
fn empty_digest_snapshots() {
    let empty = digest_of(&spec(), &[]);
    let t = templates();
    insta::assert_snapshot!("text_empty", t.text(&empty).unwrap());
    let html = t.html(&empty).unwrap();
    assert!(html.contains("No new stories arrived in this period."));
}

#[test]
fn html_fetches_nothing_and_runs_nothing() {
    let html = templates().html(&digest()).unwrap();
    let lower = html.to_lowercase();
    for banned in [
        "<script",
        "<link",
        "<style",
        "<iframe",
        "javascript:",
        "@import",
    ] {
        assert!(!lower.contains(banned), "HTML contains {banned}");
    }
    // The hostile title is only text: its '<' is escaped, so it is no image.
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    let rest = lower.replace("&lt;img src=x onerror=alert(1)&gt;", "");
    assert!(!rest.contains("src="), "HTML loads something:\n{html}");
    assert!(!rest.contains("<img"));
    assert!(html
        .contains("Plain text with &lt;b&gt;markup-like&lt;/b&gt; text &amp; &quot;quotes&quot;."));
    assert!(html.contains("Culture &amp; arts"));
    // Links are whole and readable, their '&' escaped as HTML requires.
    assert!(
        html.contains(r#"<a href="https://news.example.org/digest/daily/unsubscribe?u=1&amp;x=2""#)
    );
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
}

#[test]
fn html_shows_images_only_when_asked() {
    let d = digest_of(
        &DigestSpec {
            images: true,
            ..spec()
        },
        &items(),
    );
    let html = templates().html(&d).unwrap();
    let sources: Vec<&str> = html
        .match_indices("src=\"")
        .map(|(i, _)| &html[i..])
        .collect();
    assert_eq!(sources.len(), 1, "{html}");
    assert!(sources[0].starts_with(r#"src="https://bprg.example/slike/sastanak.jpg""#));
    // With the story's text alternative, escaped: mail clients show it while they hold
    // back images.
    assert!(
        sources[0].contains(r#"alt="Sastanak u &lt;Beogradu&gt; &amp; Prištini""#),
        "{}",
        sources[0]
    );
}

#[test]
fn text_wraps_at_72_columns_and_keeps_links_whole() {
    let text = templates().text(&digest()).unwrap();
    for line in text.lines() {
        let is_url = line.trim_start().starts_with("https://");
        assert!(
            line.chars().count() <= 72 || is_url,
            "line too long: {line:?}"
        );
    }
    assert!(text.contains("\n    https://bprg.example/vesti/dialog\n"));
    assert!(text.contains("Unsubscribe: https://news.example.org/digest/daily/unsubscribe?u=1&x=2"));
    // Plain text is not HTML-escaped.
    assert!(text.contains("<img src=x onerror=alert(1)>"));
}

/// A summary's words that were a link keep their address (as rss2email lists a message's
/// links): in both parts, whole, the story's own link and links the summary does not show
/// left out, each address once.
#[test]
fn links_in_a_summary_are_listed_with_their_addresses() {
    let mut story = super::item(
        "brief",
        "Policy brief on committees",
        "2026-11-26T10:00:00Z",
        &["dialogue"],
    );
    story.summary = "Our new brief looks at the committees. Download the brief (PDF). \
        Apply with the form."
        .into();
    story.content = Some(
        "<p>Our new brief looks at the committees. <a href=\"https://bprg.example/docs/policy-brief-assembly-committees-2026-final.pdf\">Download the brief (PDF)</a>. \
         Apply with <a href=\"https://bprg.example/form\">the form</a> \
         (<a href=\"https://bprg.example/form\">the form</a> again), \
         <a href=\"https://bprg.example/vesti/brief\">the story itself</a>, \
         <a href=\"https://elsewhere.example/\">words not shown</a>.</p>"
            .into(),
    );
    let d = digest_of(&spec(), &[story]);
    let links = &d.sections[0].entries[0].links;
    let pairs: Vec<(&str, &str)> = links
        .iter()
        .map(|l| (l.text.as_str(), l.url.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            (
                "Download the brief (PDF)",
                "https://bprg.example/docs/policy-brief-assembly-committees-2026-final.pdf"
            ),
            ("the form", "https://bprg.example/form"),
        ]
    );
    let text = templates().text(&d).unwrap();
    assert!(
        text.contains("    [1] Download the brief (PDF):\n        https://bprg.example/docs/policy-brief-assembly-committees-2026-final.pdf\n"),
        "{text}"
    );
    assert!(
        text.contains("    [2] the form: https://bprg.example/form\n"),
        "{text}"
    );
    let html = templates().html(&d).unwrap();
    assert!(
        html.contains(
            "<a href=\"https://bprg.example/form\" style=\"color:#1a4fa3;\">the form</a>"
        ),
        "{html}"
    );
}

#[test]
fn an_override_directory_replaces_only_what_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("digest.txt"),
        "{{ digest.title }} ({{ digest.count }})\n{% for s in digest.sections %}* {{ s.title }}\n{% endfor %}",
    )
    .unwrap();
    let t = Templates::new(Some(dir.path())).unwrap();
    let d = digest();
    assert_eq!(
        t.text(&d).unwrap(),
        "Balkan partners: daily digest (5)\n* Dialogue\n* Women's caucus\n* Culture & arts\n"
    );
    assert_eq!(t.html(&d).unwrap(), templates().html(&d).unwrap());
}

#[test]
fn a_broken_override_names_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("digest.html");
    fs::write(&path, "<p>fine</p>\n<p>fine</p>\n{% for x in %}\n").unwrap();
    let err = Templates::new(Some(dir.path())).unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(&err, DigestError::Template { file, line: Some(3), .. } if *file == path.display().to_string()),
        "{message}"
    );
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("line 3"), "{message}");
}

#[test]
fn a_misspelt_variable_fails_when_loaded_not_when_sent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("digest.txt");
    fs::write(&path, "{{ digest.title }}\n{{ digest.titel }}\n").unwrap();
    let message = Templates::new(Some(dir.path())).unwrap_err().to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("line 2"), "{message}");
}

#[test]
fn a_missing_override_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let err = Templates::new(Some(&missing)).unwrap_err();
    assert!(matches!(err, DigestError::Read { .. }), "{err}");
    assert!(err.to_string().contains("nope"));
}

#[test]
fn templates_can_be_shared_between_tasks() {
    fn shared<T: Send + Sync + 'static>(_: &T) {}
    shared(&templates());
}

#[test]
fn rendering_is_deterministic() {
    let (a, b) = (templates(), templates());
    assert_eq!(a.html(&digest()).unwrap(), b.html(&digest()).unwrap());
    assert_eq!(a.text(&digest()).unwrap(), b.text(&digest()).unwrap());
}

#[test]
fn a_digest_speaks_its_readers_language_around_the_stories() {
    let t = templates();
    let mut albanian = spec();
    albanian.locale = crate::digest::Locale::Sq;
    // Every topic, and a section for stories with none.
    albanian.topics = Vec::new();
    // A story whose title is blank is untitled in the digest's language.
    let mut stories = items();
    stories.push(item("blank", " ", "2026-11-26T19:00:00Z", &["dialogue"]));
    let d = digest_of(&albanian, &stories);
    let text = t.text(&d).unwrap();
    let html = t.html(&d).unwrap();
    assert!(d.count_label.ends_with(" lajme"), "{}", d.count_label);
    assert!(d.period_label.contains(" nën 2026"), "{}", d.period_label);
    assert!(text.contains("Lajme të tjera"), "{text}");
    assert!(text.contains("Edhe në: "), "{text}");
    assert!(text.contains("dërguar nga Tributary"), "{text}");
    assert!(text.contains("Çregjistrohu: https://"), "{text}");
    assert!(text.contains("(pa titull)"), "{text}");
    assert!(html.contains(r#"<html lang="sq">"#));
    for english in [
        "Other news",
        "Also in",
        "sent by",
        "Unsubscribe",
        " stories",
        " Nov ",
        "untitled",
    ] {
        assert!(!text.contains(english), "{english} in {text}");
        assert!(!html.contains(english), "{english} in {html}");
    }
    let subject = crate::digest::subject(&albanian, &d);
    assert!(
        subject.contains(" lajme") && subject.contains(" nën "),
        "{subject}"
    );

    let mut cyrillic = spec();
    cyrillic.locale = crate::digest::Locale::SrCyrl;
    let empty = digest_of(&cyrillic, &[]);
    let text = t.text(&empty).unwrap();
    assert!(text.contains("ниједна вест"), "{text}");
    assert!(
        text.contains("У овом периоду није стигла ниједна нова вест."),
        "{text}"
    );
    assert!(
        empty.period_start.contains(". нов 2026. у "),
        "{}",
        empty.period_start
    );
}

#[test]
fn html_marks_each_story_with_its_own_language() {
    let mut stories = items();
    stories[0].lang = Some("sr-Cyrl".into());
    let d = digest_of(&spec(), &stories);
    let entry = d
        .sections
        .iter()
        .flat_map(|s| &s.entries)
        .find(|e| e.id == stories[0].id.to_string())
        .unwrap();
    assert_eq!(entry.lang.as_deref(), Some("sr-Cyrl"));
    let html = templates().html(&d).unwrap();
    // Its title and summary, not the line of sources and date (the digest's language).
    assert_eq!(html.matches(r#" lang="sr-Cyrl""#).count(), 2, "{html}");
    assert!(html.contains(r#"<h3 lang="sr-Cyrl" style="#), "{html}");
}
