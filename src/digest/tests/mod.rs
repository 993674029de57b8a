//! Tests for the digest stage: choosing and grouping stories, the rendered parts (snapshots,
//! email safety, overrides) and the message as Python's `email` package reads it. This file
//! holds the fixtures the others share: a day of stories in Belgrade time.

mod message;
mod render;
mod select;

use chrono::{DateTime, Utc};

use super::{build, Digest, DigestSpec, Period};
use crate::model::{Carrier, Identity, Item, ItemId, TopicMatch};

pub(super) fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("test timestamp")
}

/// 07:00 to 07:00 Belgrade time (CET), ending on 27 Nov 2026.
pub(super) fn period() -> Period {
    Period {
        start: at("2026-11-26T06:00:00Z"),
        end: at("2026-11-27T06:00:00Z"),
    }
}

pub(super) fn spec() -> DigestSpec {
    DigestSpec {
        list_id: Some("daily.tributary.example.org".into()),
        unsubscribe_url: Some("https://news.example.org/digest/daily/unsubscribe?u=1&x=2".into()),
        unsubscribe_mailto: Some("unsubscribe-daily@example.org".into()),
        topics: vec!["dialogue".into(), "women-caucus".into(), "culture".into()],
        time_zone: "Europe/Belgrade".parse().expect("a zone chrono-tz knows"),
        ..DigestSpec::new(
            "daily",
            "Balkan partners: daily digest",
            "Трибутари Београд <digest@example.org>",
            &["partners@lists.example.org"],
        )
    }
}

pub(super) fn topic_title(topic: &str) -> Option<String> {
    match topic {
        "dialogue" => Some("Dialogue".into()),
        "women-caucus" => Some("Women's caucus".into()),
        "culture" => Some("Culture & arts".into()),
        _ => None,
    }
}

/// The caller's topic order (the config's): note culture before women-caucus here.
pub(super) fn topic_order() -> Vec<String> {
    vec!["dialogue".into(), "culture".into(), "women-caucus".into()]
}

pub(super) fn source_title(id: &str) -> Option<String> {
    match id {
        "bprg" => Some("Београдски центар".into()),
        "partner" => Some("Partner News & Views".into()),
        "tirana" => Some("Qendra e Tiranës".into()),
        "mirror" => Some("Partner News & Views".into()),
        _ => None,
    }
}

fn carrier(source: &str, link: Option<&str>) -> Carrier {
    Carrier {
        source: source.into(),
        identity: Identity::Guid(format!("{source}-guid")),
        link: link.map(str::to_string),
        first_seen: at("2026-11-26T12:00:00Z"),
    }
}

pub(super) fn id(key: &str) -> String {
    ItemId::derive("test", &Identity::Guid(key.into())).to_string()
}

pub(super) fn item(key: &str, title: &str, published: &str, topics: &[&str]) -> Item {
    Item {
        id: ItemId::derive("test", &Identity::Guid(key.into())),
        sources: vec![carrier("bprg", None)],
        title: title.into(),
        link: Some(format!("https://bprg.example/vesti/{key}")),
        published: at(published),
        date_inferred: false,
        updated: None,
        first_seen: at("2026-11-26T12:00:00Z"),
        last_changed: at("2026-11-26T12:00:00Z"),
        edited: None,
        summary: format!("Summary of {key}."),
        content: None,
        authors: Vec::new(),
        categories: Vec::new(),
        lang: None,
        enclosures: Vec::new(),
        image: None,
        topics: topics
            .iter()
            .map(|t| TopicMatch {
                topic: t.to_string(),
                why: vec!["test".into()],
            })
            .collect(),
        content_hash: format!("hash-{key}"),
    }
}

/// A day of stories, in no particular order.
pub(super) fn items() -> Vec<Item> {
    let mut dialog = item(
        "dialog",
        "Дијалог & сарадња: нови почетак у Београду",
        "2026-11-26T20:00:00Z",
        &["women-caucus", "dialogue", "sports"],
    );
    dialog.sources = vec![
        carrier("bprg", None),
        carrier("partner", Some("https://partner.example/a/1")),
        carrier("bprg", None),
        carrier("mirror", None),
        carrier("gone", None),
    ];
    dialog.summary = "Predstavnici organizacija civilnog društva iz regiona sastali su se u \
        Beogradu kako bi razgovarali o novim oblicima saradnje, zajedničkim projektima i \
        podršci mladim liderkama. Učesnici su se složili da je neophodno nastaviti dijalog \
        i proširiti mrežu partnera na lokalne zajednice u Srbiji, Albaniji, Kosovu i Severnoj \
        Makedoniji, uz posebnu pažnju posvećenu ženama u politici."
        .into();
    dialog.content =
        Some("<p>Uvod.</p><img src=\"https://bprg.example/slike/sastanak.jpg\" alt=\"Sastanak u <Beogradu> & Prištini\">".into());

    let mut tirana = item(
        "tirana",
        "Dialogu rajonal në Tiranë: „hapa të rinj“",
        "2026-11-26T21:00:00Z",
        &["dialogue"],
    );
    tirana.sources = vec![carrier("tirana", None)];
    tirana.link = Some("https://tirana.example/lajme/dialogu".into());
    tirana.summary = "Dialogu rajonal në Tiranë: „hapa të rinj“".into();

    // Published at the same second as `tirana`: the tie goes by id.
    let twin = item(
        "twin",
        "Second story of the same minute",
        "2026-11-26T21:00:00Z",
        &["dialogue"],
    );

    let caucus = item(
        "caucus",
        "Žene u politici: okrugli sto",
        "2026-11-26T09:15:00Z",
        &["women-caucus"],
    );

    let mut hostile = item(
        "hostile",
        "<img src=x onerror=alert(1)>",
        "2026-11-26T15:30:00Z",
        &["culture"],
    );
    hostile.link = Some("javascript:alert(1)".into());
    hostile.sources = vec![carrier("partner", Some("javascript:alert(2)"))];
    hostile.summary = "Plain text with <b>markup-like</b> text & \"quotes\".".into();
    hostile.content = Some("<img src=\"javascript:alert(3)\">".into());

    let untopical = item(
        "untopical",
        "A story with no topic",
        "2026-11-26T10:00:00Z",
        &[],
    );

    let sports = item(
        "sports",
        "Only a topic the spec does not cover",
        "2026-11-26T11:00:00Z",
        &["sports"],
    );

    let mut old = item(
        "old",
        "Seen before the period",
        "2026-11-25T10:00:00Z",
        &["dialogue"],
    );
    old.first_seen = at("2026-11-26T05:59:59Z");
    let mut late = item(
        "late",
        "Seen after the period",
        "2026-11-27T06:00:00Z",
        &["dialogue"],
    );
    late.first_seen = at("2026-11-27T06:00:00Z");

    vec![
        hostile,
        untopical,
        twin,
        dialog.clone(),
        caucus,
        old,
        tirana,
        sports,
        late,
        // The same story twice in the input still appears once.
        dialog,
    ]
}

pub(super) fn digest_of(spec: &DigestSpec, items: &[Item]) -> Digest {
    build(
        spec,
        period(),
        items,
        &topic_title,
        &topic_order(),
        &source_title,
    )
}

pub(super) fn digest() -> Digest {
    digest_of(&spec(), &items())
}
