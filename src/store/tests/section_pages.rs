//! Pages that list several stories under one link (a site's section page), or one story at a
//! time: each story stays its own as entries come and go, after retention too, and partners'
//! copies follow the story they copy.

use super::*;

#[test]
fn stories_of_one_source_sharing_a_section_link_stay_apart() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let section = Some("https://balkansgroup.example/sq/lajme/");
    let r = apply(
        &store,
        "bprg-sq",
        &[
            item("g1", "Takimi i parë për targat e automjeteve", section, "1"),
            item("g2", "Konferenca e Grupit të Grave Deputete", section, "2"),
        ],
    );
    assert_eq!(r.new, 2);
    assert_eq!(store.item_count(), 2);
    // Another source's entry linking to that page, with a title and text of its own (a
    // roundup), is a story of its own, not a copy of the first story under that link.
    assert_eq!(
        apply(
            &store,
            "portal",
            &[item("p", "Lajmet e javës nga Ballkani", section, "p")]
        )
        .new,
        1
    );
    assert_eq!(store.item_count(), 3);
}

#[test]
fn entries_without_guids_sharing_a_link_stay_apart_as_they_come_and_go() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let (a, b, c) = (PLATES, CAUCUS, EXHIBITION);
    let counts = |r: ApplyReport| (r.new, r.updated, r.unchanged, r.duplicate);
    assert_eq!(
        counts(apply(&store, "bprg-sq", &[on_section(a, false, "a")])),
        (1, 0, 0, 0)
    );
    // A second story on the page: the first is the entry it was, the second a story of its own.
    let r = apply(
        &store,
        "bprg-sq",
        &[on_section(b, true, "b"), on_section(a, true, "a")],
    );
    assert_eq!(counts(r), (1, 0, 1, 0));
    // The first leaves the feed: the second, now alone on the link, is still its own story.
    assert_eq!(
        counts(apply(&store, "bprg-sq", &[on_section(b, false, "b")])),
        (0, 0, 1, 0)
    );
    assert_eq!(
        counts(apply(&store, "bprg-sq", &[on_section(a, false, "a")])),
        (0, 0, 1, 0)
    );
    // A page that lists one story at a time: the next is a story, not an edit of the last.
    assert_eq!(
        counts(apply(&store, "bprg-sq", &[on_section(c, false, "c")])),
        (1, 0, 0, 0)
    );
    assert_eq!(stored_titles(&store), [c, b, a]);
    // A text edited is an edit; a title changed is a story of its own (nothing tells it from
    // the page's next story), the old one kept.
    let mut longer = on_section(b, false, "b2");
    longer.item.summary = "Deputetet e Grupit të Grave mbajtën konferencën e tyre vjetore.".into();
    assert_eq!(counts(apply(&store, "bprg-sq", &[longer])), (0, 1, 0, 0));
    let mended = "Takimi i parë për targat e automjeteve në Bruksel";
    assert_eq!(
        counts(apply(&store, "bprg-sq", &[on_section(mended, false, "a2")])),
        (1, 0, 0, 0)
    );
    assert_eq!(stored_titles(&store), [c, b, a, mended]);
    let stored = store.list(&Query::default()).unwrap();
    let second = stored.iter().find(|i| i.title == b).unwrap();
    assert!(
        second.summary.starts_with("Deputetet"),
        "{}",
        second.summary
    );
    // Another source's copy of the page's first story is still found by its title.
    assert_eq!(
        apply(&store, "portal", &[item("p1", c, Some(SECTION), "p1")]).duplicate,
        1
    );
    assert_eq!(store.item_count(), 4);
}

#[test]
fn entries_without_guids_first_seen_sharing_a_link_keep_their_edits_apart() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let (a, b) = ("Takimi i parë për targat", "Konferenca e Grupit të Grave");
    let r = apply(
        &store,
        "bprg-sq",
        &[on_section(a, true, "a"), on_section(b, true, "b")],
    );
    assert_eq!(r.new, 2);
    let mut edited = on_section(a, true, "a2");
    edited.item.summary = "Një përmbledhje e re e takimit.".into();
    let r = apply(&store, "bprg-sq", &[on_section(b, true, "b"), edited]);
    assert_eq!((r.new, r.updated, r.unchanged), (0, 1, 1));
    assert_eq!(stored_titles(&store), [b, a]);
    // Each left alone on the link in turn: the story it is.
    assert_eq!(
        apply(&store, "bprg-sq", &[on_section(b, false, "b")]).unchanged,
        1
    );
    assert_eq!(
        apply(&store, "bprg-sq", &[on_section(a, false, "a2")]).unchanged,
        1
    );
    assert_eq!(store.item_count(), 2);
}

#[test]
fn entries_that_share_a_large_storys_link_read_it_once() {
    // A story of 4 MB, then 2,000 entries of the same section page (its link, other GUIDs
    // and titles): each is another story, and the large one is decoded once for all of them
    // (once each, 8 GB of decompressing and copying).
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let link = Some("https://partner.example/news/");
    let mut big = item("big", "The long report on the dialogue", link, "h-big");
    big.item.content = Some("<p>Prishtina and Belgrade.</p>".repeat(140_000));
    assert_eq!(apply(&store, "a", &[big]).new, 1);
    let entries: Vec<Staged> = (0..2000)
        .map(|i| {
            item(
                &format!("e{i}"),
                &format!("Short note number {i}"),
                link,
                &format!("h{i}"),
            )
        })
        .collect();
    let report = apply(&store, "a", &entries);
    assert_eq!((report.new, report.duplicate), (2000, 0));
    assert_eq!(store.item_count(), 2001);
}

#[test]
fn a_page_that_lists_one_story_at_a_time_keeps_its_next_stories_after_retention() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let src = ["bprg-sq".to_string()];
    let (a, c) = (PLATES, EXHIBITION);
    assert_eq!(
        apply(&store, "bprg-sq", &[on_section_dated(a, false, "a", 9)]).new,
        1
    );
    let b = CAUCUS;
    assert_eq!(
        apply(&store, "bprg-sq", &[on_section_dated(b, false, "b", 5)]).new,
        1
    );
    // Retention removes the first while the page still lists it, then its text changes: a
    // tombstone all the same, under its title.
    assert_eq!(store.prune(None, Some(1), &src, now()).unwrap(), 1);
    assert_eq!(stored_titles(&store), [b]);
    let r = apply(&store, "bprg-sq", &[on_section_dated(a, false, "a2", 9)]);
    assert_eq!((r.new, r.unchanged), (0, 1));
    // The page's next story is a story, never taken for the one retention removed.
    let r = apply(&store, "bprg-sq", &[on_section(c, false, "c")]);
    assert_eq!(r.new, 1);
    assert_eq!(stored_titles(&store), [c, b]);
    let first_id = crate::model::ItemId::derive("bprg-sq", &Identity::Link(SECTION.into()));
    assert!(
        store.item(first_id).unwrap().is_none(),
        "a removed story's id is not reused"
    );
}

#[test]
fn a_section_pages_stories_stay_apart_after_retention_removes_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let src = ["bprg-sq".to_string()];
    let (a, b, c) = (PLATES, CAUCUS, EXHIBITION);
    let r = apply(
        &store,
        "bprg-sq",
        &[on_section_dated(a, true, "a", 9), on_section(b, true, "b")],
    );
    assert_eq!(r.new, 2);
    // The first alone on the link: found under its title, and recorded under the link too.
    assert_eq!(
        apply(&store, "bprg-sq", &[on_section_dated(a, false, "a", 9)]).unchanged,
        1
    );
    assert_eq!(store.prune(None, Some(1), &src, now()).unwrap(), 1);
    assert_eq!(stored_titles(&store), [b]);
    // A later story alone on the link, then with another: each a story of its own.
    assert_eq!(
        apply(&store, "bprg-sq", &[on_section(c, false, "c")]).new,
        1
    );
    let d = "Dialogu Beograd–Prishtinë: takimi i radhës në Bruksel";
    let r = apply(
        &store,
        "bprg-sq",
        &[on_section(d, true, "d"), on_section(c, true, "c")],
    );
    assert_eq!((r.new, r.unchanged), (1, 1));
    assert_eq!(stored_titles(&store), [d, c, b]);
}

#[test]
fn a_section_pages_second_story_is_not_merged_into_a_story_another_source_leads() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let (a, b) = (PLATES, CAUCUS);
    // One feed of the site lists the first story alone; another feed of it lists both.
    assert_eq!(
        apply(&store, "bprg-main", &[on_section(a, false, "a")]).new,
        1
    );
    let r = apply(
        &store,
        "bprg-sq",
        &[on_section(a, true, "a"), on_section(b, true, "b")],
    );
    assert_eq!((r.new, r.duplicate), (1, 1));
    assert_eq!(stored_titles(&store), [b, a]);
    // Also when the second feed listed the first alone before.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    apply(&store, "bprg-main", &[on_section(a, false, "a")]);
    assert_eq!(
        apply(&store, "bprg-sq", &[on_section(a, false, "a")]).duplicate,
        1
    );
    let r = apply(
        &store,
        "bprg-sq",
        &[on_section(b, true, "b"), on_section(a, true, "a")],
    );
    assert_eq!((r.new, r.unchanged), (1, 1));
    assert_eq!(stored_titles(&store), [b, a]);
}

#[test]
fn an_entry_alone_on_a_link_another_entry_of_its_source_had_is_a_story_of_its_own() {
    // The page listed two stories under one link, one of which a filter kept out: the link
    // names the other alone. The page's next story under that link is not merged into it.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let (a, c) = (PLATES, EXHIBITION);
    assert_eq!(apply(&store, "bprg-sq", &[on_section(a, true, "a")]).new, 1);
    assert_eq!(
        apply(&store, "bprg-sq", &[on_section(c, false, "c")]).new,
        1
    );
    // Two links that are one page by their key (the AMP page) in one feed: two stories.
    let mut amp = on_section(
        "Dialogu Beograd–Prishtinë: takimi i radhës në Bruksel",
        false,
        "d",
    );
    let amp_link = format!("{SECTION}amp/");
    amp.item.link = Some(amp_link.clone());
    amp.item.identity = Identity::Link(amp_link);
    assert_eq!(apply(&store, "bprg-sq", &[amp]).new, 1);
    assert_eq!(store.item_count(), 3);
}

#[test]
fn a_section_pages_stories_with_alike_titles_stay_apart() {
    let (a, b) = (
        "Konferencija za medije ministra finansija",
        "Konferencija za medije ministra zdravlja",
    );
    let boilerplate = |mut s: Staged| {
        s.item.summary =
            "Konferencija za medije održana je danas u Beogradu. Opširnije na sajtu.".into();
        s
    };
    // Seen together first, in either order.
    for order in [[a, b], [b, a]] {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let r = apply(
            &store,
            "vlada",
            &[
                boilerplate(on_section(order[0], true, order[0])),
                boilerplate(on_section(order[1], true, order[1])),
            ],
        );
        assert_eq!(r.new, 2, "{order:?}");
        assert_eq!(store.item_count(), 2);
    }
    // The first alone on the link before: the second is a story of its own, the first intact.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    assert_eq!(
        apply(&store, "vlada", &[boilerplate(on_section(a, false, "a"))]).new,
        1
    );
    let r = apply(
        &store,
        "vlada",
        &[
            boilerplate(on_section(b, true, "b")),
            boilerplate(on_section(a, true, "a")),
        ],
    );
    assert_eq!((r.new, r.unchanged), (1, 1));
    assert_eq!(stored_titles(&store), [a, b]);
    // A page that lists one at a time: the next, alike and published a day later, is a story
    // too.
    let c = "Konferencija za medije ministra prosvete";
    assert_eq!(
        apply(
            &store,
            "vlada",
            &[boilerplate(on_section_dated(c, false, "c", -1))]
        )
        .new,
        1
    );
    assert_eq!(stored_titles(&store), [a, c, b]);
}

#[test]
fn a_tombstone_without_a_title_beside_it_still_keeps_its_entry_out() {
    // Retention by an older build recorded a link entry's tombstone under the link alone: the
    // entry, changed since, stays out as before.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let a = PLATES;
    assert_eq!(
        apply(&store, "bprg-sq", &[on_section(a, false, "a")]).new,
        1
    );
    let main = store.main().unwrap();
    let key = keys::ident_key("bprg-sq", &Identity::Link(SECTION.into()).key());
    let value = matching::get(main, Index::Idents, &key).unwrap().unwrap();
    let id = keys::split_ident_value(&value).unwrap().0;
    let tx = super::journal::Pending::new(main);
    tx.remove(Index::Idents, key.clone());
    tx.insert(Index::Gone, matching::ident_hash(&key).to_vec(), value);
    tx.remove(Index::Items, id.0.to_vec());
    tx.commit().unwrap();
    let r = apply(&store, "bprg-sq", &[on_section(a, false, "a2")]);
    assert_eq!((r.new, r.unchanged), (0, 1));
    let other = on_section(EXHIBITION, false, "c");
    assert_eq!(apply(&store, "bprg-sq", &[other]).unchanged, 1);
}

#[test]
fn retention_buries_the_link_an_entry_told_by_its_content_was_found_under() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let src = ["portal".to_string()];
    let title = "Vesti dana iz regiona";
    let entry = |hash: &str, identity: Identity, days: i64| {
        let mut s = on_section_dated(title, false, hash, days);
        s.item.identity = identity;
        s.item.summary = format!("Tekst broj {hash}, sa svojim rečima i rečenicama o događaju.");
        s
    };
    let by_content = |hash: &str, days| entry(hash, Identity::Hash(hash.into()), days);
    let alone = |hash: &str, days| entry(hash, Identity::Link(SECTION.into()), days);
    // Two of one title on the page, told by their content; then the older alone on the link,
    // found under its content (and recorded under the link too).
    assert_eq!(
        apply(&store, "portal", &[by_content("x", 0), by_content("y", 9)]).new,
        2
    );
    assert_eq!(apply(&store, "portal", &[alone("y", 9)]).unchanged, 1);
    // Retention removes it; the page's next story alone on the link is a story.
    assert_eq!(store.prune(None, Some(1), &src, now()).unwrap(), 1);
    let mut next = on_section_dated(EXHIBITION, false, "z", -1);
    next.item.summary = "Një ekspozitë e re.".into();
    assert_eq!(apply(&store, "portal", &[next]).new, 1);
    assert_eq!(store.item_count(), 2);
}

#[test]
fn a_republishers_page_that_lists_one_story_at_a_time_keeps_its_next_stories() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let a = PLATES;
    let mut original = item("g1", a, Some("https://kdi.example/lajme/takimi"), "o");
    original.item.summary = "Takimi u mbajt në Bruksel me ndërmjetësit e Bashkimit.".into();
    assert_eq!(apply(&store, "kdi", &[original]).new, 1);
    // The portal's page lists one story at a time under its own link: first a copy of that one.
    let page = |title: &str, hash: &str, summary: &str, days: i64| {
        let mut s = on_section_dated(title, false, hash, days);
        s.item.summary = summary.into();
        s
    };
    let copy = page(
        a,
        "p1",
        "Takimi u mbajt në Bruksel me ndërmjetësit e Bashkimit.",
        0,
    );
    assert_eq!(apply(&store, "portal", &[copy]).duplicate, 1);
    // Its copy edited: still the copy.
    let edited = page(
        a,
        "p2",
        "Takimi u mbajt sot në Bruksel me ndërmjetësit e Bashkimit.",
        0,
    );
    assert_eq!(apply(&store, "portal", &[edited]).unchanged, 1);
    // Then a story of its own: a story, not the copy edited.
    let own = page(
        EXHIBITION,
        "p3",
        "Fotografë nga rajoni hapën ekspozitën.",
        -1,
    );
    assert_eq!(apply(&store, "portal", &[own]).new, 1);
    assert_eq!(store.item_count(), 2);
}

#[test]
fn a_partners_copy_edited_after_retention_removed_its_story_stays_out() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let title = "Takimi i Kokusit të Grave në Prishtinë";
    let mut original = item("g1", title, Some("https://kdi.example/lajme/takimi"), "o");
    original.item.summary = "Deputetet e Kokusit të Grave u takuan në Prishtinë.".into();
    assert_eq!(apply(&store, "kdi", &[original]).new, 1);
    let copy = |hash: &str| {
        let mut s = on_section(title, false, hash);
        s.item.summary = "Deputetet e Kokusit të Grave u takuan në Prishtinë.".into();
        s
    };
    assert_eq!(apply(&store, "portal", &[copy("p1")]).duplicate, 1);
    let week = std::time::Duration::from_secs(7 * 86_400);
    let later = now() + Duration::days(30);
    assert_eq!(store.prune(Some(week), None, &[], later).unwrap(), 1);
    let r = apply_at(&store, "portal", &[copy("p2")], later);
    assert_eq!((r.new, r.unchanged), (0, 1));
    assert_eq!(store.item_count(), 0);
}

#[test]
fn a_partners_copies_under_a_page_that_lists_one_story_at_a_time_follow_its_stories() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let (s1, s2) = (PLATES, EXHIBITION);
    let entry = |title: &str, hash: &str, days: i64| {
        let mut s = on_section_dated(title, false, hash, days);
        s.item.summary = format!("{title}: tekst i plotë i lajmit, me fjalë të veta.");
        s
    };
    assert_eq!(apply(&store, "bprg-sq", &[entry(s1, "a1", 1)]).new, 1);
    assert_eq!(apply(&store, "portal", &[entry(s1, "b1", 1)]).duplicate, 1);
    assert_eq!(apply(&store, "bprg-sq", &[entry(s2, "a2", 0)]).new, 1);
    // The portal's copy of the page's next story: that story's copy, not the first's edited.
    let r = apply(&store, "portal", &[entry(s2, "b2", 0)]);
    assert_eq!((r.new, r.duplicate, r.unchanged), (0, 1, 0));
    assert_eq!(store.item_count(), 2);
    let stored = store.list(&Query::default()).unwrap();
    let second = stored.iter().find(|i| i.title == s2).unwrap();
    assert_eq!(second.sources.len(), 2);
}
