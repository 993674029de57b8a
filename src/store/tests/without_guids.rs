//! Entries without a GUID of their own, told by their link, their link and title, or their
//! content: edited, retitled, moved to another address, or a recurring title that is another
//! story each time.

use super::*;

#[test]
fn an_entry_told_by_its_content_while_another_shares_its_title_is_the_story_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let (a, c) = ("Vesti dana iz regiona", EXHIBITION);
    let by_content = |title: &str, hash: &str| {
        let mut s = on_section(title, true, hash);
        s.item.identity = Identity::Hash(hash.into());
        s.item.summary = format!("Tekst broj {hash}, sa svojim rečima i rečenicama o događaju.");
        s
    };
    let told = |title: &str, shared: bool, hash: &str| {
        let mut s = on_section(title, shared, hash);
        s.item.summary = format!("Tekst broj {hash}, sa svojim rečima i rečenicama o događaju.");
        s
    };
    assert_eq!(
        apply(&store, "portal", &[told(a, true, "a"), told(c, true, "c")]).new,
        2
    );
    // A second "Vesti dana iz regiona" joins: both are told by their content now.
    let r = apply(
        &store,
        "portal",
        &[by_content(a, "b"), by_content(a, "a"), told(c, true, "c")],
    );
    assert_eq!((r.new, r.unchanged), (1, 2));
    // It leaves again, then the other does too: each is still the story it was.
    let r = apply(&store, "portal", &[told(a, true, "a"), told(c, true, "c")]);
    assert_eq!((r.new, r.unchanged), (0, 2));
    assert_eq!(apply(&store, "portal", &[told(a, false, "a")]).unchanged, 1);
    assert_eq!(store.item_count(), 3);
    // Two of one title seen together first, then one alone: the story it was.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let r = apply(&store, "portal", &[by_content(a, "x"), by_content(a, "y")]);
    assert_eq!(r.new, 2);
    assert_eq!(apply(&store, "portal", &[told(a, false, "y")]).unchanged, 1);
    assert_eq!(store.item_count(), 2);
}

#[test]
fn undated_entries_alone_on_a_link_are_one_story_only_under_one_title() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let undated = |title: &str, hash: &str| {
        let mut s = on_section(title, false, hash);
        s.item.published = None;
        s.item.summary = "Konferencija za medije održana je danas u Beogradu. Opširnije.".into();
        s
    };
    assert_eq!(
        apply(
            &store,
            "vlada",
            &[undated("Konferencija za medije ministra finansija", "a")]
        )
        .new,
        1
    );
    assert_eq!(
        apply(
            &store,
            "vlada",
            &[undated("Konferencija za medije ministra zdravlja", "b")]
        )
        .new,
        1
    );
    // The same title, its text edited: the story it was.
    let mut edited = undated("Konferencija za medije ministra zdravlja", "b2");
    edited.item.summary = "Ministar zdravlja govorio je o novoj bolnici.".into();
    assert_eq!(apply(&store, "vlada", &[edited]).updated, 1);
    assert_eq!(store.item_count(), 2);
}

#[test]
fn a_recurring_title_alone_on_a_link_is_another_story_each_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let weekly = |hash: &str, days: i64| {
        let mut s = on_section_dated("Saopštenje za javnost", false, hash, days);
        s.item.summary = format!("Saopštenje broj {hash} o radu Kancelarije ove nedelje.");
        s
    };
    assert_eq!(apply(&store, "vlada", &[weekly("w1", 14)]).new, 1);
    assert_eq!(apply(&store, "vlada", &[weekly("w2", 7)]).new, 1);
    // Edited the same day: the same story.
    assert_eq!(apply(&store, "vlada", &[weekly("w2b", 7)]).updated, 1);
    assert_eq!(apply(&store, "vlada", &[weekly("w3", 0)]).new, 1);
    assert_eq!(apply(&store, "vlada", &[weekly("w3", 0)]).unchanged, 1);
    // Each week listed again, as it was: the story it was.
    for (hash, days) in [("w1", 14), ("w2b", 7), ("w3", 0)] {
        assert_eq!(
            apply(&store, "vlada", &[weekly(hash, days)]).unchanged,
            1,
            "{hash}"
        );
    }
    assert_eq!(store.item_count(), 3);
}

#[test]
fn a_recurring_title_alone_on_a_link_stays_apart_from_what_retention_removed() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let src = ["vlada".to_string()];
    let weekly = |hash: &str, days: i64| {
        let mut s = on_section_dated("Saopštenje za javnost", false, hash, days);
        s.item.summary = format!("Saopštenje broj {hash} o radu Kancelarije ove nedelje.");
        s
    };
    for (n, (hash, days)) in [("w1", 21), ("w2", 14), ("w3", 7)].into_iter().enumerate() {
        assert_eq!(
            apply(&store, "vlada", &[weekly(hash, days)]).new,
            1,
            "week {n}"
        );
    }
    assert_eq!(store.prune(None, Some(1), &src, now()).unwrap(), 2);
    // A removed week listed again, or edited the same day: kept out.
    assert_eq!(apply(&store, "vlada", &[weekly("w2", 14)]).unchanged, 1);
    assert_eq!(apply(&store, "vlada", &[weekly("w2b", 14)]).unchanged, 1);
    // The next week: a story.
    assert_eq!(apply(&store, "vlada", &[weekly("w4", 0)]).new, 1);
    assert_eq!(store.item_count(), 2);
}

#[test]
fn a_new_entry_above_one_of_its_title_on_the_page_is_never_taken_for_its_story() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let title = "Saopštenje za javnost";
    let entry = |hash: &str, identity: Identity| {
        let mut s = on_section(title, false, hash);
        s.item.identity = identity;
        s.item.summary = String::new();
        s
    };
    assert_eq!(
        apply(
            &store,
            "vlada",
            &[entry("e1", Identity::Link(SECTION.into()))]
        )
        .new,
        1
    );
    // The next day's statement above it, the same day's date and no text: both are told by
    // their content now, the older found by its raw hash.
    let r = apply(
        &store,
        "vlada",
        &[
            entry("e2", Identity::Hash("e2".into())),
            entry("e1", Identity::Hash("e1".into())),
        ],
    );
    assert_eq!((r.new, r.unchanged, r.duplicate), (1, 1, 0));
    assert_eq!(store.item_count(), 2);
}

#[test]
fn an_entry_unchanged_since_its_last_edit_stays_its_story_when_its_neighbour_returns() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let (e, g) = (PLATES, CAUCUS);
    let r = apply(
        &store,
        "bprg-sq",
        &[on_section(e, true, "e0"), on_section(g, true, "g")],
    );
    assert_eq!(r.new, 2);
    // Alone on the link, edited.
    let edited = |shared: bool| {
        let mut s = on_section(e, shared, "e1");
        s.item.summary.push_str(" (corrected)");
        s
    };
    assert_eq!(apply(&store, "bprg-sq", &[edited(false)]).updated, 1);
    // Its neighbour back, it unchanged since.
    let r = apply(&store, "bprg-sq", &[edited(true), on_section(g, true, "g")]);
    assert_eq!((r.new, r.updated, r.unchanged), (0, 0, 2));
    assert_eq!(store.item_count(), 2);
}

#[test]
fn an_entry_back_as_it_was_before_an_edit_updates_its_story_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let (e, g) = (PLATES, CAUCUS);
    let with_text = |mut s: Staged, text: &str| {
        s.item.summary = text.into();
        s
    };
    let first = "Takimi u mbajt në Bruksel.";
    let r = apply(
        &store,
        "bprg-sq",
        &[
            with_text(on_section(e, true, "e0"), first),
            on_section(g, true, "g"),
        ],
    );
    assert_eq!(r.new, 2);
    let edited = with_text(
        on_section(e, false, "e1"),
        "Takimi u shty për javën tjetër.",
    );
    assert_eq!(apply(&store, "bprg-sq", &[edited]).updated, 1);
    // The edit taken back, its neighbour back too: a change for the fetch's check too, which
    // would otherwise skip it before it reaches the store.
    let titled = on_section(e, true, "e0").item.identity;
    assert_eq!(
        store.unchanged("bprg-sq", &[(&titled, "e0")]).unwrap(),
        [false]
    );
    let r = apply(
        &store,
        "bprg-sq",
        &[
            with_text(on_section(e, true, "e0"), first),
            on_section(g, true, "g"),
        ],
    );
    assert_eq!((r.updated, r.unchanged), (1, 1));
    let stored = store.list(&Query::default()).unwrap();
    assert_eq!(stored.iter().find(|i| i.title == e).unwrap().summary, first);
    // As it is now, again: nothing changes.
    let r = apply(
        &store,
        "bprg-sq",
        &[
            with_text(on_section(e, true, "e0"), first),
            on_section(g, true, "g"),
        ],
    );
    assert_eq!((r.updated, r.unchanged), (0, 2));
}

#[test]
fn an_entry_alone_on_its_link_with_its_title_mended_over_a_long_text_is_an_edit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let link = "https://bfpe.example/vesti/ministar-u-tirani";
    let text = "Ministar spoljnih poslova boravio je danas u Tirani, gde je sa domaćinima \
        razgovarao o saradnji u okviru Berlinskog procesa, o slobodi kretanja građana, o \
        priznavanju diploma i o zajedničkim projektima infrastrukture koji povezuju dve \
        zemlje. Sastanku su prisustvovali i predstavnici civilnog društva iz oba glavna grada.";
    let entry = |title: &str, hash: &str| {
        let mut s = item("", title, Some(link), hash);
        s.item.identity = Identity::Link(link.into());
        s.item.summary = text.into();
        s
    };
    assert_eq!(
        apply(
            &store,
            "bfpe",
            &[entry("Ministar posjetio Tiranu danas", "t1")]
        )
        .new,
        1
    );
    let r = apply(
        &store,
        "bfpe",
        &[entry("Ministar posetio Tiranu danas", "t2")],
    );
    assert_eq!((r.new, r.updated), (0, 1));
    assert_eq!(store.item_count(), 1);
}

#[test]
fn a_pages_next_story_over_the_same_long_boilerplate_is_a_story_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let invitation = "Pozivamo predstavnike medija da prisustvuju konferenciji za medije koja će \
        se održati u sali Vlade, u ulici Nemanjinoj broj jedanaest, sa početkom u podne. Molimo \
        novinare da se akredituju do devet časova i da dođu pola sata ranije radi bezbednosne \
        provere, sa ličnom kartom i novinarskom legitimacijom.";
    let entry = |title: &str, hash: &str, days: i64| {
        let mut s = on_section_dated(title, false, hash, days);
        s.item.summary = invitation.into();
        s
    };
    assert_eq!(
        apply(
            &store,
            "vlada",
            &[entry("Konferencija za medije ministra finansija", "f", 1)]
        )
        .new,
        1
    );
    assert_eq!(
        apply(
            &store,
            "vlada",
            &[entry("Konferencija za medije ministra zdravlja", "z", 0)]
        )
        .new,
        1
    );
    assert_eq!(store.item_count(), 2);
}

#[test]
fn an_entry_alone_on_its_link_retitled_over_its_very_text_and_date_is_an_edit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let link = "https://kulturni-most.example/vesti/izlozba";
    let text = "Izložba fotografija mladih umetnika iz regiona otvara se u petak u galeriji \
        doma kulture.";
    let entry = |title: &str, hash: &str, hours: i64| {
        let mut s = item("", title, Some(link), hash);
        s.item.identity = Identity::Link(link.into());
        s.item.summary = text.into();
        s.item.published = Some(s.item.published.unwrap() + Duration::hours(hours));
        s
    };
    assert_eq!(
        apply(&store, "bfpe", &[entry("Изложба фотографија", "t1", 0)]).new,
        1
    );
    // Two words added to the title, the short text and date as they were: the same story.
    let r = apply(
        &store,
        "bfpe",
        &[entry("Изложба фотографија у Нишу (видео)", "t2", 0)],
    );
    assert_eq!((r.new, r.updated), (0, 1));
    assert_eq!(store.item_count(), 1);
    // Under another date, another title over the same text is another story.
    let r = apply(
        &store,
        "bfpe",
        &[entry("Нова изложба у галерији", "t3", 24)],
    );
    assert_eq!(r.new, 1);
    assert_eq!(store.item_count(), 2);
    // Under the same date, a title that is not the last one's with words added or cut (a
    // page's next story over the same line) is another story too.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    apply(
        &store,
        "bfpe",
        &[entry("Изложба фотографија у Нишу", "n1", 0)],
    );
    let r = apply(
        &store,
        "bfpe",
        &[entry("Изложба фотографија у Пироту", "n2", 0)],
    );
    assert_eq!(r.new, 1);
    assert_eq!(store.item_count(), 2);
}

#[test]
fn an_entry_without_a_guid_moved_to_https_and_retitled_stays_its_story() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let link = "http://kdi.example/lajme/takimi";
    let mut first = item("", PLATES, Some(link), "1");
    first.item.identity = Identity::Link(link.into());
    first.item.summary = long_text().into();
    assert_eq!(apply(&store, "kdi", &[first.clone()]).new, 1);
    let https = link.replace("http:", "https:");
    let mut moved = first.clone();
    moved.item.identity = Identity::Link(https.clone());
    moved.item.link = Some(https.clone());
    moved.item.title = format!("{PLATES} (video)");
    moved.item.content_hash = "2".into();
    let r = apply(&store, "kdi", &[moved]);
    assert_eq!((r.new, r.updated), (0, 1));
    let all = store.list(&Query::default()).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].title, format!("{PLATES} (video)"));
    assert_eq!(all[0].link.as_deref(), Some(https.as_str()));
    // A partner's copy under the story's link still merges into it.
    let mut copy = first.clone();
    copy.item.identity = Identity::Guid("b-1".into());
    copy.item.link = Some(format!("{https}?utm_source=b"));
    copy.item.content_hash = "b".into();
    assert_eq!(apply(&store, "bprg", &[copy]).duplicate, 1);
    assert_eq!(store.item_count(), 1);
}

// A GUID-less entry whose link moved (a slug fixed) under its whole title, its very date and
// its text is its story: not a second copy of it in the feeds; a slug fixed again neither.
// Another entry of the same title on another date is another story.
#[test]
fn an_entry_without_a_guid_whose_slug_changed_stays_its_story() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let entry = |link: &str, hash: &str| {
        let mut s = item("", PLATES, Some(link), hash);
        s.item.identity = Identity::Link(link.into());
        s.item.summary = long_text().into();
        s
    };
    let first = entry("https://kdi.example/lajme/old-slug", "1");
    assert_eq!(apply(&store, "kdi", &[first]).new, 1);
    for (n, slug) in ["new-slug", "third-slug"].into_iter().enumerate() {
        let link = format!("https://kdi.example/lajme/{slug}");
        let r = apply(&store, "kdi", &[entry(&link, &format!("{}", n + 2))]);
        assert_eq!((r.new, r.updated), (0, 1), "{slug}");
        let all = store.list(&Query::default()).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].link.as_deref(), Some(link.as_str()));
    }
    let mut later = entry("https://kdi.example/lajme/next-year", "4");
    later.item.published = Some(Utc.with_ymd_and_hms(2021, 2, 25, 10, 0, 0).unwrap());
    assert_eq!(apply(&store, "kdi", &[later]).new, 1);
    assert_eq!(store.item_count(), 2);
}

#[test]
fn an_entry_without_guid_or_link_edited_stays_its_story() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let entry = |hash: &str, summary: String| {
        let mut s = item("", PLATES, None, hash);
        s.item.identity = Identity::Hash(hash.into());
        s.item.summary = summary;
        s
    };
    assert_eq!(
        apply(&store, "kdi", &[entry("1", long_text().into())]).new,
        1
    );
    let corrected = format!("{} The meeting was held on Tuesday.", long_text());
    let r = apply(&store, "kdi", &[entry("2", corrected.clone())]);
    assert_eq!((r.new, r.updated), (0, 1));
    let all = store.list(&Query::default()).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].summary, corrected);
    // Another entry of that title and date with a text of its own is another story, and so
    // is one of another date.
    let other = "Negotiators from both sides discussed licence plates, vehicle documents and \
        the freedom of movement agreement at a technical meeting chaired by the mediator of \
        the European Union, and agreed to meet again after the holidays in Brussels";
    assert_eq!(apply(&store, "kdi", &[entry("3", other.into())]).new, 1);
    let mut later = entry("4", format!("{corrected} Photos added."));
    later.item.published = Some(now() + Duration::days(2));
    assert_eq!(apply(&store, "kdi", &[later]).new, 1);
}
