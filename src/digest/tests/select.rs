//! Which stories a digest holds, under which topic, in which order.

use std::collections::HashSet;

use super::{at, digest, digest_of, id, item, items, period, spec};
use crate::digest::{build, Digest, DigestSpec};

fn titles(d: &Digest) -> Vec<(&str, Vec<&str>)> {
    d.sections
        .iter()
        .map(|s| {
            (
                s.title.as_str(),
                s.entries.iter().map(|e| e.title.as_str()).collect(),
            )
        })
        .collect()
}

#[test]
fn stories_are_grouped_under_their_first_topic_in_spec_order() {
    let d = digest();
    assert_eq!(
        titles(&d),
        vec![
            (
                "Dialogue",
                vec![
                    // 21:00 twice (tie by id, see below), then 20:00.
                    if id("tirana") < id("twin") {
                        "Dialogu rajonal në Tiranë: „hapa të rinj“"
                    } else {
                        "Second story of the same minute"
                    },
                    if id("tirana") < id("twin") {
                        "Second story of the same minute"
                    } else {
                        "Dialogu rajonal në Tiranë: „hapa të rinj“"
                    },
                    "Дијалог & сарадња: нови почетак у Београду",
                ]
            ),
            ("Women's caucus", vec!["Žene u politici: okrugli sto"]),
            ("Culture & arts", vec!["<img src=x onerror=alert(1)>"]),
        ]
    );
    assert_eq!(d.sections[0].topic.as_deref(), Some("dialogue"));
    // Left out: no topic, only an uncovered topic, first seen outside the period.
    assert_eq!(d.count, 5);
    assert_eq!(d.count_label, "5 stories");
}

#[test]
fn each_story_appears_once_and_names_its_other_topics() {
    let d = digest();
    let ids: Vec<&str> = d
        .sections
        .iter()
        .flat_map(|s| s.entries.iter().map(|e| e.id.as_str()))
        .collect();
    let unique: HashSet<&&str> = ids.iter().collect();
    assert_eq!(ids.len(), unique.len(), "a story appears twice: {ids:?}");

    let dialog = d.sections[0]
        .entries
        .iter()
        .find(|e| e.id == id("dialog"))
        .expect("the dialog story is under Dialogue");
    // Its topics were [women-caucus, dialogue, sports]: dialogue comes first in the spec,
    // sports is not covered.
    assert_eq!(dialog.also, vec!["Women's caucus"]);
    assert!(d.sections[1].entries[0].also.is_empty());
}

#[test]
fn entries_are_numbered_through_the_digest() {
    let d = digest();
    let numbers: Vec<usize> = d
        .sections
        .iter()
        .flat_map(|s| s.entries.iter().map(|e| e.number))
        .collect();
    assert_eq!(numbers, vec![1, 2, 3, 4, 5]);
}

#[test]
fn entries_carry_every_carrier_once_in_order() {
    let d = digest();
    let dialog = &d.sections[0].entries[2];
    // bprg, partner, bprg again, mirror (same title as partner), gone (unknown: its id).
    assert_eq!(
        dialog.sources,
        vec!["Београдски центар", "Partner News & Views", "gone"]
    );
    assert_eq!(dialog.date, "26 Nov 2026, 21:00");
    assert_eq!(dialog.published, "2026-11-26T20:00:00Z");
    assert_eq!(
        dialog.link.as_deref(),
        Some("https://bprg.example/vesti/dialog")
    );
}

#[test]
fn summaries_are_short_and_never_repeat_the_title() {
    let d = digest();
    let dialog = &d.sections[0].entries[2];
    assert!(dialog.summary.chars().count() <= 301, "{}", dialog.summary);
    assert!(dialog.summary.ends_with('…'), "{}", dialog.summary);
    assert!(dialog.summary.starts_with("Predstavnici organizacija"));
    let tirana = d.sections[0]
        .entries
        .iter()
        .find(|e| e.id == id("tirana"))
        .unwrap();
    assert_eq!(
        tirana.summary, "",
        "a summary equal to the title says nothing"
    );
}

#[test]
fn links_and_images_are_web_urls_only() {
    let d = digest();
    let hostile = &d.sections[2].entries[0];
    assert_eq!(hostile.link, None, "javascript: links are dropped");
    assert!(d
        .sections
        .iter()
        .flat_map(|s| &s.entries)
        .all(|e| e.image.is_none()));

    let with_images = digest_of(
        &DigestSpec {
            images: true,
            ..spec()
        },
        &items(),
    );
    let images: Vec<Option<&str>> = with_images
        .sections
        .iter()
        .flat_map(|s| s.entries.iter().map(|e| e.image.as_deref()))
        .collect();
    assert_eq!(
        images,
        vec![
            None,
            None,
            Some("https://bprg.example/slike/sastanak.jpg"),
            None,
            // The hostile story's javascript: image is not an image.
            None,
        ]
    );

    // The picture a story's feed named apart from its text comes first; with the body's
    // text alternative when the body shows it too.
    let mut stories = items();
    let shown = "https://bprg.example/slike/sastanak.jpg";
    let own = stories
        .iter()
        .position(|i| i.content.as_deref().is_some_and(|c| c.contains(shown)))
        .unwrap();
    stories[own].image = Some(shown.into());
    let other = (own + 1) % stories.len();
    stories[other].image = Some("https://bprg.example/slike/naslovna.jpg".into());
    let d = digest_of(
        &DigestSpec {
            images: true,
            ..spec()
        },
        &stories,
    );
    let entry = |id: &crate::model::ItemId| {
        d.sections
            .iter()
            .flat_map(|s| &s.entries)
            .find(|e| e.id == id.to_string())
            .unwrap()
            .clone()
    };
    let e = entry(&stories[own].id);
    assert_eq!(e.image.as_deref(), Some(shown));
    assert!(!e.image_alt.is_empty());
    let e = entry(&stories[other].id);
    assert_eq!(
        e.image.as_deref(),
        Some("https://bprg.example/slike/naslovna.jpg")
    );
    assert_eq!(e.image_alt, "");
}

#[test]
fn only_stories_carried_by_the_named_sources() {
    let d = digest_of(
        &DigestSpec {
            sources: vec!["tirana".into(), "partner".into()],
            ..spec()
        },
        &items(),
    );
    let ids: Vec<String> = d
        .sections
        .iter()
        .flat_map(|s| s.entries.iter().map(|e| e.id.clone()))
        .collect();
    assert_eq!(ids, vec![id("tirana"), id("dialog"), id("hostile")]);
}

#[test]
fn only_stories_in_the_named_languages() {
    // Each story the unfiltered digest holds gets the next language, so every language has
    // one; the others get one no digest below asks for.
    let mut stories = items();
    let held: Vec<String> = digest_of(&spec(), &stories)
        .sections
        .iter()
        .flat_map(|s| s.entries.iter().map(|e| e.id.clone()))
        .collect();
    assert!(held.len() >= 4);
    let langs = ["sq", "sr-Cyrl", "sr-Latn", "en"];
    for story in &mut stories {
        let lang = match held.iter().position(|id| *id == story.id.to_string()) {
            Some(n) => langs[n % langs.len()],
            None => "de",
        };
        story.lang = Some(lang.to_string());
    }
    let ids_of = |stories: &[crate::model::Item], languages: &[&str]| -> HashSet<String> {
        let d = digest_of(
            &DigestSpec {
                languages: languages.iter().map(|l| l.to_string()).collect(),
                ..spec()
            },
            stories,
        );
        d.sections
            .iter()
            .flat_map(|s| s.entries.iter().map(|e| e.id.clone()))
            .collect()
    };
    let ids_in = |languages: &[&str]| ids_of(&stories, languages);
    let wanted = |pick: &dyn Fn(&str) -> bool| -> HashSet<String> {
        ids_in(&[])
            .into_iter()
            .filter(|id| {
                let story = stories.iter().find(|s| s.id.to_string() == *id).unwrap();
                pick(story.lang.as_deref().unwrap())
            })
            .collect()
    };
    let serbian = ids_in(&["sr"]);
    assert_eq!(serbian.len(), 2, "both scripts");
    assert_eq!(serbian, wanted(&|l| l.starts_with("sr-")));
    assert_eq!(ids_in(&["sr-Cyrl"]).len(), 1);
    assert_eq!(ids_in(&["sr-Cyrl"]), wanted(&|l| l == "sr-Cyrl"));
    assert_eq!(ids_in(&["sq", "en"]), wanted(&|l| l == "sq" || l == "en"));
    assert!(ids_in(&["de"]).is_empty());
    // A story without a language is in no language's digest.
    let mut bare = stories.clone();
    bare.iter_mut().for_each(|s| s.lang = None);
    assert!(ids_of(&bare, &["sq"]).is_empty());
    assert!(!ids_of(&bare, &[]).is_empty());
}

/// A story stored on 20 November from one source and carried by another on 26 November is
/// news to a digest of the second source on the 26th, not the 20th, and to a digest of all
/// sources only on the 20th.
#[test]
fn a_source_digest_counts_a_story_from_when_that_source_carried_it() {
    let mut story = item(
        "late",
        "Carried later",
        "2026-11-20T09:00:00Z",
        &["dialogue"],
    );
    story.first_seen = at("2026-11-20T09:00:00Z");
    story.sources[0].first_seen = story.first_seen;
    let mut later = story.sources[0].clone();
    later.source = "partner".into();
    later.first_seen = at("2026-11-26T12:00:00Z");
    story.sources.push(later);
    let partner = DigestSpec {
        sources: vec!["partner".into()],
        ..spec()
    };
    let count = |spec: &DigestSpec, period| {
        build(
            spec,
            period,
            std::slice::from_ref(&story),
            &|_| None,
            &[],
            &|_| None,
        )
        .count
    };
    let earlier = crate::digest::Period {
        start: at("2026-11-20T06:00:00Z"),
        end: at("2026-11-21T06:00:00Z"),
    };
    assert_eq!(count(&partner, period()), 1);
    assert_eq!(count(&partner, earlier), 0);
    assert_eq!(count(&spec(), period()), 0);
    assert_eq!(count(&spec(), earlier), 1);
    // A digest of both sources counts the earlier of the two.
    let both = DigestSpec {
        sources: vec!["partner".into(), "bprg".into()],
        ..spec()
    };
    assert_eq!(count(&both, earlier), 1);
    assert_eq!(count(&both, period()), 0);
}

#[test]
fn without_topics_every_topic_appears_and_other_news_comes_last() {
    let d = digest_of(
        &DigestSpec {
            topics: Vec::new(),
            ..spec()
        },
        &items(),
    );
    let sections: Vec<(Option<&str>, &str, usize)> = d
        .sections
        .iter()
        .map(|s| (s.topic.as_deref(), s.title.as_str(), s.entries.len()))
        .collect();
    assert_eq!(
        sections,
        vec![
            (Some("dialogue"), "Dialogue", 3),
            (Some("culture"), "Culture & arts", 1),
            (Some("women-caucus"), "Women's caucus", 1),
            // Not in the caller's order and without a title: after the known ones, by name.
            (Some("sports"), "sports", 1),
            (None, "Other news", 1),
        ]
    );
    let dialog = d.sections[0]
        .entries
        .iter()
        .find(|e| e.id == id("dialog"))
        .unwrap();
    assert_eq!(dialog.also, vec!["Women's caucus", "sports"]);
    assert_eq!(d.count, 7);
}

#[test]
fn the_same_inputs_in_any_order_give_the_same_digest() {
    let mut reversed = items();
    reversed.reverse();
    assert_eq!(digest(), digest_of(&spec(), &reversed));
    assert_eq!(digest(), digest());
}

#[test]
fn an_empty_period_builds_an_empty_digest() {
    let d = build(&spec(), period(), &[], &|_| None, &[], &|_| None);
    assert_eq!(d.count, 0);
    assert_eq!(d.count_label, "no stories");
    assert!(d.sections.is_empty());
    assert_eq!(d.period_label, "27 Nov 2026");
    assert_eq!(d.period_start, "26 Nov 2026, 07:00 CET");
    assert_eq!(d.period_end, "27 Nov 2026, 07:00 CET");
    assert_eq!(d.time_zone, "Europe/Belgrade");
}

#[test]
fn a_single_story_is_one_story() {
    let lone = item("lone", "Lone", "2026-11-26T12:00:00Z", &["culture"]);
    let d = build(&spec(), period(), &[lone], &|_| None, &[], &|_| None);
    assert_eq!(d.count_label, "1 story");
    // Without a title the topic is shown by name.
    assert_eq!(d.sections[0].title, "culture");
    assert_eq!(d.sections[0].entries[0].sources, vec!["bprg"]);
    assert_eq!(at("2026-11-26T12:00:00Z"), lone_published(&d));
}

fn lone_published(d: &Digest) -> chrono::DateTime<chrono::Utc> {
    d.sections[0].entries[0].published.parse().unwrap()
}

#[test]
fn a_digest_over_its_limit_keeps_the_newest_stories_and_counts_the_rest() {
    let all = digest();
    let mut short = spec();
    short.max_stories = Some(2);
    let d = digest_of(&short, &items());
    let shown: Vec<&str> = d
        .sections
        .iter()
        .flat_map(|s| s.entries.iter().map(|e| e.published.as_str()))
        .collect();
    assert_eq!(shown.len(), 2);
    let mut newest: Vec<&str> = all
        .sections
        .iter()
        .flat_map(|s| s.entries.iter().map(|e| e.published.as_str()))
        .collect();
    newest.sort_unstable_by(|a, b| b.cmp(a));
    assert!(
        shown.iter().all(|p| *p >= newest[1]),
        "{shown:?} {newest:?}"
    );
    assert_eq!(d.count, all.count);
    assert_eq!(d.left_out, all.count - 2);
    assert_eq!(d.left_out_label, format!("{} stories", all.count - 2));
    // Numbered from 1 as shown; the subject counts every story of the period.
    let numbers: Vec<usize> = d
        .sections
        .iter()
        .flat_map(|s| s.entries.iter().map(|e| e.number))
        .collect();
    assert_eq!(numbers, [1, 2]);
    assert_eq!(d.count_label, all.count_label);
    let text = crate::digest::Templates::new(None)
        .unwrap()
        .text(&d)
        .unwrap();
    assert!(
        text.contains(&format!(
            "Left out to keep this message short: {} stories",
            all.count - 2
        )),
        "{text}"
    );
    // A limit the period does not reach changes nothing.
    short.max_stories = Some(all.count);
    assert_eq!(digest_of(&short, &items()), all);
}
