//! Another source's copy of a stored story: one story with both sources when it has the
//! story's link, or its title within the window over texts that agree; two stories when only a
//! page elsewhere, a front page or an organisation's title is shared.

use super::*;

#[test]
fn same_link_from_two_sources_is_one_story_with_both_sources() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    apply(
        &store,
        "bprg",
        &[item(
            "1",
            "Women Caucus conference in Pristina",
            Some("https://bprg.example/news/1/"),
            "h",
        )],
    );
    let r = apply(
        &store,
        "portal",
        &[item(
            "p-77",
            "Women Caucus: a conference",
            Some("http://www.bprg.example/news/1"),
            "x",
        )],
    );
    assert_eq!(r.duplicate, 1);
    let all = store.list(&Query::default()).unwrap();
    assert_eq!(all.len(), 1);
    let srcs: Vec<&str> = all[0].sources.iter().map(|c| c.source.as_str()).collect();
    assert_eq!(srcs, vec!["bprg", "portal"]);
    assert_eq!(
        store
            .list(&Query {
                source: Some("portal".into()),
                ..Default::default()
            })
            .unwrap()
            .len(),
        1
    );
    // The republisher's copy seen again is unchanged, not a new duplicate.
    let again = apply(
        &store,
        "portal",
        &[item(
            "p-77",
            "Women Caucus: a conference",
            Some("http://www.bprg.example/news/1"),
            "x",
        )],
    );
    assert_eq!(again.unchanged, 1);
}

#[test]
fn same_title_within_the_window_merges_outside_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    apply(
        &store,
        "bfpe",
        &[item(
            "1",
            "Dijalog Beograda i Prištine: šta dalje?",
            Some("https://bfpe.example/1"),
            "h",
        )],
    );
    let mut copy = item(
        "9",
        "Dijalog  Beograda i Prištine — šta dalje",
        Some("https://portal.example/9"),
        "h9",
    );
    copy.item.published = Some(copy.item.published.unwrap() + Duration::hours(9));
    assert_eq!(apply(&store, "portal", &[copy]).duplicate, 1);
    let mut late = item(
        "10",
        "Dijalog Beograda i Prištine: šta dalje?",
        Some("https://other.example/10"),
        "h10",
    );
    late.item.published = Some(late.item.published.unwrap() + Duration::days(30));
    assert_eq!(apply(&store, "other", &[late]).new, 1);
    // Short generic titles never merge.
    apply(
        &store,
        "a",
        &[item("n1", "News", Some("https://a.example/n1"), "1")],
    );
    assert_eq!(
        apply(
            &store,
            "b",
            &[item("n2", "News", Some("https://b.example/n2"), "2")]
        )
        .new,
        1
    );
}

#[test]
fn the_same_title_over_different_texts_is_two_stories() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let title = "Monthly newsletter November 2026";
    let mut a = item(
        "a1",
        title,
        Some("https://orga.example/newsletter-nov"),
        "a",
    );
    a.item.summary = "Our researchers met municipal officials in Gračanica to discuss \
        the energy agreement and its implementation, presented the findings of the survey on \
        freedom of movement to students in Prishtina, and published a policy brief on the \
        Association of Serb-majority municipalities with recommendations for both capitals."
        .into();
    apply(&store, "orga", &[a]);
    let mut b = item("b1", title, Some("https://b.example/newsletter-nov"), "b");
    b.item.summary = "The Women's Caucus held its autumn session on gender budgeting \
        with members of parliament from all parties, our culture programme opened a photo \
        exhibition in Prizren with young artists from the region, and the team welcomed two \
        new fellows who will work on media literacy in local schools next year."
        .into();
    let report = apply(&store, "orgb", &[b]);
    assert_eq!((report.new, report.duplicate), (1, 0));
    let a_feed = store
        .list(&Query {
            source: Some("orga".into()),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(a_feed.len(), 1);
    assert_eq!(
        a_feed[0].link.as_deref(),
        Some("https://orga.example/newsletter-nov")
    );

    // A republished copy with a line of its own and the text cut short is the same story,
    // and so is one with a short blurb of its own that names the original's site.
    let mut copy = item("c1", title, Some("https://portal.example/c1"), "c");
    copy.item.summary = "Originally published by Org A. Our researchers met municipal \
        officials in Gračanica to discuss the energy agreement and its implementation, \
        presented the findings of the survey on freedom of movement to students"
        .into();
    let report = apply(&store, "portal", &[copy]);
    assert_eq!((report.new, report.duplicate), (0, 1));
    let mut blurb = item("d1", title, Some("https://digest.example/d1"), "d");
    blurb.item.summary = "Republished from our partner Orga: their news of the month.".into();
    let report = apply(&store, "digest", &[blurb]);
    assert_eq!((report.new, report.duplicate), (0, 1));
}

/// A text of the words `prefix` `from`…`to` ("a20 a21 … a40").
fn counted_words(prefix: &str, from: usize, to: usize) -> String {
    (from..=to)
        .map(|n| format!("{prefix}{n}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn a_story_rewritten_earlier_in_a_feed_is_compared_by_its_new_text() {
    use super::apply::texts_agree;
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let title = "Municipal budget hearings continue next week";
    // The story's text, a copy's that agrees with it, and a later one that agrees with the
    // copy's and not with the story's first.
    let first = counted_words("a", 1, 40);
    let copy = format!(
        "{} {}",
        counted_words("a", 20, 40),
        counted_words("b", 1, 21)
    );
    let later = format!(
        "a40 {} {}",
        counted_words("b", 1, 21),
        counted_words("c", 1, 18)
    );
    let other = counted_words("d", 1, 40);
    let agree = |a: &str, b: &str| texts_agree(a, None, b, None);
    assert!(agree(&first, &copy) && agree(&copy, &later));
    assert!(!agree(&first, &later) && !agree(&first, &other));

    let mut story = item("s1", title, Some("https://alpha.example/s1"), "s");
    story.item.summary = first;
    apply(&store, "alpha", &[story]);
    let published = Utc.with_ymd_and_hms(2020, 2, 25, 10, 0, 0).unwrap();
    let entry = |guid: &str, link: &str, summary: &str, published| {
        let mut e = item(guid, title, Some(link), guid);
        e.item.summary = summary.into();
        e.item.published = Some(published);
        e
    };
    let feed = [
        // Another story under the title: compared with the story's first text.
        entry("b0", "https://beta.example/0", &other, published),
        // A copy published earlier: it takes the lead, and the story its text.
        entry(
            "b1",
            "https://beta.example/1",
            &copy,
            published - Duration::hours(1),
        ),
        // Under the copy's link, and a text of the copy's, not of the story's first: the
        // story again.
        entry(
            "b2",
            "https://beta.example/1",
            &later,
            published - Duration::hours(1),
        ),
    ];
    let report = apply(&store, "beta", &feed);
    assert_eq!((report.new, report.duplicate, report.updated), (1, 1, 1));
    let all = store.list(&Query::default()).unwrap();
    assert_eq!(all.len(), 2);
    let story = all.iter().find(|s| s.carried_by("alpha")).unwrap();
    assert_eq!(story.summary, later);
}

#[test]
fn front_page_links_do_not_merge_stories() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    apply(
        &store,
        "a",
        &[item(
            "1",
            "First story about licence plates",
            Some("https://a.example/"),
            "1",
        )],
    );
    let r = apply(
        &store,
        "b",
        &[item(
            "2",
            "Another story on the energy deal",
            Some("https://a.example/"),
            "2",
        )],
    );
    assert_eq!(r.new, 1);
}

/// Two organisations' own posts of the same generic title and no text to compare are two
/// stories; a partner's copy with that title and no text is a copy.
#[test]
fn a_title_without_text_merges_a_partners_copy_but_not_two_organisations_posts() {
    let dedupe = DedupeConfig {
        organizations: std::sync::Arc::new(["bfpe".to_string(), "kdi".to_string()].into()),
        ..dedupe()
    };
    let title = "Konferencija za medije povodom izbora";
    let post = |guid: &str, link: &str| {
        let mut s = item(guid, title, Some(link), guid);
        s.item.summary = String::new();
        s
    };
    let apply_as =
        |store: &Store, source: &str, s: Staged| apply_deduped(store, source, s, &dedupe);
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    assert_eq!(
        apply_as(&store, "bfpe", post("b", "https://bfpe.example/k")).new,
        1
    );
    let copy = apply_as(&store, "portal", post("p", "https://portal.example/k"));
    assert_eq!(copy.duplicate, 1);
    // Another organisation's own post, although a partner carries the first too.
    assert_eq!(
        apply_as(&store, "kdi", post("k", "https://kdi.example/k")).new,
        1
    );
    assert_eq!(store.item_count(), 2);
}

/// Two organisations' own posts under one generic title are one story only when their texts
/// tell it nearly word for word: two press notes sharing half their phrasing are two; one
/// organisation republishing the other's note word for word is a copy.
#[test]
fn two_organisations_posts_under_one_title_are_one_story_only_told_alike() {
    let dedupe = DedupeConfig {
        organizations: std::sync::Arc::new(
            ["bfpe".to_string(), "kdi".to_string(), "kipred".to_string()].into(),
        ),
        ..dedupe()
    };
    let title = "Njoftim për shtyp nga zyra jonë e komunikimit";
    let post = |guid: &str, link: &str, text: &str| {
        let mut s = item(guid, title, Some(link), guid);
        s.item.summary = text.to_string();
        s
    };
    let apply_as =
        |store: &Store, source: &str, s: Staged| apply_deduped(store, source, s, &dedupe);
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let note = "Press note of the office about a water cut.";
    assert_eq!(
        apply_as(&store, "bfpe", post("b", "https://bfpe.example/n", note)).new,
        1
    );
    let other = "Press note of the office about a new director.";
    assert_eq!(
        apply_as(&store, "kdi", post("k", "https://kdi.example/n", other)).new,
        1
    );
    // The first note, republished on a third organisation's site with a line of its own.
    let copy = format!("{note} Shared from BFPE.");
    assert_eq!(
        apply_as(
            &store,
            "kipred",
            post("c", "https://kipred.example/n", &copy)
        )
        .duplicate,
        1
    );
    assert_eq!(store.item_count(), 2);
}

#[test]
fn a_copy_written_without_accents_is_the_same_story_and_another_script_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut original = item(
        "g1",
        "Gratë në politikë: takimi i Kokusit në Prishtinë",
        Some("https://kdi.example/sq/lajme/gratë-në-politikë/"),
        "1",
    );
    original.item.summary = "Deputetet e Kokusit të Grave u takuan në Prishtinë për të \
        diskutuar ligjin për barazinë gjinore dhe përfaqësimin e grave në qeverisjen vendore."
        .into();
    assert_eq!(apply(&store, "kdi", &[original]).new, 1);
    // A portal's copy on a page of its own, accents dropped from title and text.
    let mut copy = item(
        "p1",
        "Grate ne politike: takimi i Kokusit ne Prishtine",
        Some("https://portal.example/2020/02/grate-ne-politike"),
        "p",
    );
    copy.item.summary = "Deputetet e Kokusit te Grave u takuan ne Prishtine per te diskutuar \
        ligjin per barazine gjinore dhe perfaqesimin e grave ne qeverisjen vendore."
        .into();
    assert_eq!(apply(&store, "portal", &[copy]).duplicate, 1);
    assert_eq!(store.item_count(), 1);
    // A Serbian story in Cyrillic and its Latin edition are each listed in their language.
    let mut cyrillic = item(
        "c1",
        "Састанак о дијалогу Београда и Приштине",
        Some("https://bfpe.example/ћир/састанак"),
        "c",
    );
    cyrillic.item.summary = "Представници Београда и Приштине састали су се у Бриселу.".into();
    let mut latin = item(
        "l1",
        "Sastanak o dijalogu Beograda i Prištine",
        Some("https://bfpe.example/lat/sastanak"),
        "l",
    );
    latin.item.summary = "Predstavnici Beograda i Prištine sastali su se u Briselu.".into();
    assert_eq!(apply(&store, "bfpe-cyrl", &[cyrillic]).new, 1);
    assert_eq!(apply(&store, "bfpe-latn", &[latin]).new, 1);
    assert_eq!(store.item_count(), 3);
}

#[test]
fn a_republished_copy_without_a_guid_stays_the_story_after_an_export_and_an_import() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut original = item(
        "g1",
        "Takimi i Kokusit të Grave në Prishtinë",
        Some("https://kdi.example/lajme/takimi"),
        "o",
    );
    original.item.summary = "Deputetet e Kokusit të Grave u takuan në Prishtinë.".into();
    assert_eq!(apply(&store, "kdi", &[original]).new, 1);
    let copy = |hash: &str| {
        let mut s = item(
            "",
            "Portali: deputetet u takuan sot",
            Some("https://kdi.example/lajme/takimi?utm_source=portal"),
            hash,
        );
        s.item.link = Some("https://kdi.example/lajme/takimi".into());
        s.item.identity = Identity::Link("https://kdi.example/lajme/takimi".into());
        s.item.summary = "Lajm i shkurtër i portalit.".into();
        s
    };
    assert_eq!(apply(&store, "portal", &[copy("p")]).duplicate, 1);
    let (_other, restored) = restored_copy(&store);
    // The import knows the copy's identity but not its hash; the copy edited since is still it.
    let r = apply(&restored, "portal", &[copy("p2")]);
    assert_eq!((r.new, r.unchanged), (0, 1));
    assert_eq!(restored.item_count(), 1);
}

#[test]
fn a_partners_own_post_after_an_import_is_not_taken_for_its_copy() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let a = "Takimi i Kokusit të Grave në Prishtinë";
    let mut original = item("g1", a, Some("https://kdi.example/lajme/takimi"), "o");
    original.item.summary = "Deputetet e Kokusit të Grave u takuan në Prishtinë.".into();
    assert_eq!(apply(&store, "kdi", &[original]).new, 1);
    // The portal's page, one story at a time under its own link: a copy of that story first.
    let mut copy = on_section(a, false, "p1");
    copy.item.summary = "Deputetet e Kokusit të Grave u takuan në Prishtinë.".into();
    assert_eq!(apply(&store, "portal", &[copy]).duplicate, 1);
    let (_other, restored) = restored_copy(&store);
    // Then a post of its own on that page.
    let mut own = on_section_dated(EXHIBITION, false, "p2", -1);
    own.item.summary = "Fotografë nga rajoni hapën ekspozitën.".into();
    assert_eq!(apply(&restored, "portal", &[own]).new, 1);
    assert_eq!(restored.item_count(), 2);
}

#[test]
fn a_partners_copy_under_the_storys_link_stays_the_copy_through_its_edits() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let link = "https://kdi.example/lajme/takimi";
    let mut original = item("g1", "Takimi i Kokusit të Grave", Some(link), "o");
    original.item.summary = "Deputetet e Kokusit të Grave u takuan në Prishtinë.".into();
    assert_eq!(apply(&store, "kdi", &[original]).new, 1);
    let copy = |hash: &str, summary: &str| {
        let mut s = item("", "[Portal] Deputetet u takuan", Some(link), hash);
        s.item.identity = Identity::Link(link.into());
        s.item.summary = summary.into();
        s
    };
    assert_eq!(
        apply(&store, "portal", &[copy("p1", "Lajm i shkurtër.")]).duplicate,
        1
    );
    let r = apply(
        &store,
        "portal",
        &[copy("p2", "Lajm i shkurtër, i ndryshuar.")],
    );
    assert_eq!((r.new, r.unchanged), (0, 1));
    // The link still names the story: another partner's copy under it is found by it.
    let mut other = item("x1", "Një titull krejt tjetër", Some(link), "x");
    other.item.summary = "Tjetër tekst.".into();
    assert_eq!(apply(&store, "agency", &[other]).duplicate, 1);
    assert_eq!(store.item_count(), 1);
}

/// Two sources' different stories pointing at one page of a third site (a ministry's
/// consultations page) are two stories, whichever comes first; a copy there with one's title
/// and text is that one's.
#[test]
fn stories_of_two_sources_pointing_at_one_page_elsewhere_are_two() {
    let page = "https://gov.example/consultations/";
    let academy = || {
        let mut s = item(
            "a1",
            "Call for applications: Youth Policy Academy 2026",
            Some(page),
            "a",
        );
        s.item.summary = "The academy takes twenty young people from Kosovo and Serbia for \
                          six weekends of seminars on public policy, with mentors from the \
                          institute and visits to the assembly."
            .into();
        s
    };
    let media_law = || {
        let mut s = item(
            "b1",
            "Ministry opens public consultation on the media law",
            Some("https://gov.example/consultations?utm_source=bfpe"),
            "b",
        );
        s.item.summary = "Comments on the draft law on public information and media are \
                          open until the end of the month; the partner network will send \
                          a joint submission."
            .into();
        s
    };
    for first_kdi in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let dedupe = DedupeConfig {
            organizations: std::sync::Arc::new(["kdi".to_string()].into()),
            ..dedupe()
        };
        let (first, second) = if first_kdi {
            (("kdi", academy()), ("bfpe", media_law()))
        } else {
            (("bfpe", media_law()), ("kdi", academy()))
        };
        assert_eq!(apply_deduped(&store, first.0, first.1, &dedupe).new, 1);
        assert_eq!(apply_deduped(&store, second.0, second.1, &dedupe).new, 1);
        let stored = store.list(&Query::default()).unwrap();
        assert_eq!(stored.len(), 2, "{stored:?}");
        for s in &stored {
            assert_eq!(s.sources.len(), 1, "{s:?}");
        }
        // A third source's copy of the academy (its title and text) is the academy's.
        let mut copy = academy();
        copy.item.identity = Identity::Guid("p1".into());
        assert_eq!(apply_deduped(&store, "portal", copy, &dedupe).duplicate, 1);
        assert_eq!(store.item_count(), 2);
    }
    // Likewise a page of a partner polled too (a newspaper's article): not an organisation's.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let dedupe = DedupeConfig {
        organizations: std::sync::Arc::new(["kdi".to_string()].into()),
        ..dedupe()
    };
    let on_portal = |mut s: Staged| {
        s.item.link = Some("https://portal.example/2026/11/30/budget-article".into());
        s
    };
    assert_eq!(
        apply_deduped(&store, "kdi", on_portal(academy()), &dedupe).new,
        1
    );
    assert_eq!(
        apply_deduped(&store, "bfpe", on_portal(media_law()), &dedupe).new,
        1
    );
}

/// A partner's copy of an organisation's story under the organisation's page is the story's,
/// with a title and a blurb of the partner's own, whichever is fetched first.
#[test]
fn a_partners_own_words_under_an_organisations_page_are_its_story() {
    let page = "https://kdi.example/news/academy";
    let story = || {
        let mut s = item(
            "k1",
            "Youth Policy Academy opens its 2026 call",
            Some(page),
            "k",
        );
        s.item.summary = "Twenty places for young people from Kosovo and Serbia.".into();
        s
    };
    let partner = || {
        let mut s = item(
            "p1",
            "Apply now: our friends at KDI take young people for policy training",
            Some("https://kdi.example/news/academy?utm_source=portal&utm_medium=rss"),
            "p",
        );
        s.item.summary = "Lexo më shumë në faqen e partnerit.".into();
        s
    };
    for partner_first in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let dedupe = DedupeConfig {
            organizations: std::sync::Arc::new(["kdi".to_string()].into()),
            ..dedupe()
        };
        if partner_first {
            assert_eq!(apply_deduped(&store, "portal", partner(), &dedupe).new, 1);
            // A second partner's words of its own too, before the organisation's entry.
            let mut other = partner();
            other.item.identity = Identity::Guid("a1".into());
            other.item.title = "Pozivi za Akademiju mladih su otvoreni".into();
            other.item.summary = "Prijave do kraja meseca.".into();
            assert_eq!(apply_deduped(&store, "agency", other, &dedupe).duplicate, 1);
            assert_eq!(apply_deduped(&store, "kdi", story(), &dedupe).duplicate, 1);
        } else {
            assert_eq!(apply_deduped(&store, "kdi", story(), &dedupe).new, 1);
            assert_eq!(
                apply_deduped(&store, "portal", partner(), &dedupe).duplicate,
                1
            );
        }
        let stored = store.list(&Query::default()).unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].title, "Youth Policy Academy opens its 2026 call");
        assert_eq!(stored[0].sources.len(), 2 + usize::from(partner_first));
    }
}

#[test]
fn a_partners_other_story_under_a_storys_link_is_found_by_its_own_copies() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let link = Some("https://kdi.example/lajme/");
    let story = |guid: &str, title: &str, hash: &str| {
        let mut s = item(guid, title, link, hash);
        s.item.summary = format!("{title}: tekst i plotë i lajmit, me fjalë të veta.");
        s
    };
    let (s, t) = ("Takimi i Kokusit të Grave në Prishtinë", EXHIBITION);
    assert_eq!(apply(&store, "kdi", &[story("k1", s, "k1")]).new, 1);
    assert_eq!(
        apply(&store, "portal", &[story("p1", s, "p1")]).duplicate,
        1
    );
    // The portal's own story under that link.
    assert_eq!(apply(&store, "portal", &[story("p2", t, "p2")]).new, 1);
    // An agency's copy of it under the same link: found by its title, not merged into the first.
    let r = apply(&store, "agency", &[story("a1", t, "a1")]);
    assert_eq!(r.duplicate, 1);
    let stored = store.list(&Query::default()).unwrap();
    let own = stored.iter().find(|i| i.title == t).unwrap();
    assert_eq!(own.sources.len(), 2);
}
