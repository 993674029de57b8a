//! GUIDs given anew: a GUID a feed gives another story (numbered by place, handed out again
//! by a new CMS), a story known again by a GUID it had, and a site whose stories all moved to
//! new GUIDs and addresses.

use super::*;

/// A feed that numbers its entries by their place (`<guid>1</guid>` is always the newest)
/// gives an old GUID to another story: with another link, title, text and a date weeks away,
/// it is stored as a new story and the older one stays as it was. The next fetch finds the
/// new one by its GUID. An edit that changes some of these (a retitle with its slug, the
/// same date) is still the story's.
#[test]
fn a_guid_given_to_another_story_keeps_the_older_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let entry = |title: &str, slug: &str, text: &str, day: u32, hash: &str| {
        let mut s = item("1", title, Some(&format!("https://x.example/{slug}")), hash);
        s.item.summary = text.into();
        s.item.published = Some(Utc.with_ymd_and_hms(2020, 2, day, 10, 0, 0).unwrap());
        s
    };
    let first = entry(
        "Workshop on the Brussels dialogue",
        "workshop",
        "Students from Pristina and Belgrade met to discuss the dialogue and its agreements.",
        1,
        "h1",
    );
    assert_eq!(apply(&store, "s1", &[first]).new, 1);
    // Retitled with a new slug, the same day and text: the story edited.
    let retitled = entry(
        "Workshop on the Brussels dialogue in Pristina",
        "workshop-pristina",
        "Students from Pristina and Belgrade met to discuss the dialogue and its agreements.",
        1,
        "h2",
    );
    let r = apply(&store, "s1", &[retitled]);
    assert_eq!((r.new, r.updated), (0, 1));
    // Weeks later, GUID 1 names another story.
    let other = entry(
        "Women's Caucus meets in Prizren",
        "caucus-prizren",
        "Members of the caucus discussed the budget for shelters with the municipality.",
        25,
        "h3",
    );
    let r = apply(&store, "s1", std::slice::from_ref(&other));
    assert_eq!((r.new, r.updated), (1, 0));
    let all = store.list(&Query::default()).unwrap();
    let titles: Vec<&str> = all.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Women's Caucus meets in Prizren",
            "Workshop on the Brussels dialogue in Pristina"
        ]
    );
    assert_eq!(
        all[1].link.as_deref(),
        Some("https://x.example/workshop-pristina")
    );
    // Known by its GUID from now on: unchanged, and an edit of it is its own.
    let r = apply(&store, "s1", std::slice::from_ref(&other));
    assert_eq!((r.new, r.updated, r.unchanged), (0, 0, 1));
    let mut edited = other.clone();
    edited
        .item
        .summary
        .push_str(" A second meeting is planned.");
    edited.item.content_hash = "h4".into();
    let r = apply(&store, "s1", &[edited]);
    assert_eq!((r.new, r.updated), (0, 1));
    assert_eq!(store.list(&Query::default()).unwrap().len(), 2);
}

/// An episode of a feed that numbers its entries by their place, short titles and no text.
fn numbered(guid: &str, n: u32) -> Staged {
    let mut s = item(
        guid,
        &format!("Episode {n}"),
        Some(&format!("https://x.example/episode-{n}")),
        &format!("h{n}"),
    );
    s.item.summary = String::new();
    s.item.published = Some(
        Utc.with_ymd_and_hms(2020, 1, 1, 10, 0, 0).unwrap() + Duration::days(9 * i64::from(n)),
    );
    s
}

/// Each poll moves every episode down one place: each episode is stored once, and none is
/// written over by the next.
#[test]
fn numbered_guids_store_each_story_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    for poll in 1..=4u32 {
        let feed: Vec<Staged> = (1..=poll)
            .map(|place| numbered(&place.to_string(), poll + 1 - place))
            .collect();
        let later = now() + Duration::hours(i64::from(poll));
        let r = apply_at(&store, "s1", &feed, later);
        assert_eq!((r.new, r.updated), (1, 0), "poll {poll}: {r:?}");
    }
    let all = store.list(&Query::default()).unwrap();
    let titles: Vec<&str> = all.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(titles, ["Episode 4", "Episode 3", "Episode 2", "Episode 1"]);
    // First seen when each first came, not at a later poll.
    assert!(all
        .iter()
        .all(|i| i.first_seen < now() + Duration::hours(5)));
    let first = all.iter().find(|i| i.title == "Episode 1").unwrap();
    assert_eq!(first.first_seen, now() + Duration::hours(1));
    // The same feed again: nothing new, nothing edited.
    let feed: Vec<Staged> = (1..=4u32)
        .map(|p| numbered(&p.to_string(), 5 - p))
        .collect();
    let r = apply_at(&store, "s1", &feed, now() + Duration::hours(9));
    assert_eq!((r.new, r.updated, r.unchanged), (0, 0, 4));
    // Exported and imported, the same feed is still all known.
    let (_copy, restored) = restored_copy(&store);
    let r = apply_at(&restored, "s1", &feed, now() + Duration::hours(10));
    assert_eq!((r.new, r.updated), (0, 0), "{r:?}");
    assert_eq!(restored.list(&Query::default()).unwrap().len(), 4);
}

/// Exported and imported after GUIDs were used again, the next stories are stored as their
/// own, none written over: a cache's alternation, then a numbered feed's next episodes.
#[test]
fn guids_used_again_survive_an_export_and_import() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    for (poll, n) in [5, 6, 5].into_iter().enumerate() {
        apply_at(
            &store,
            "s1",
            &[numbered("1", n)],
            now() + Duration::hours(poll as i64),
        );
    }
    let (_copy, restored) = restored_copy(&store);
    let r = apply_at(
        &restored,
        "s1",
        &[numbered("1", 7)],
        now() + Duration::hours(5),
    );
    assert_eq!((r.new, r.updated), (1, 0), "{r:?}");
    let titles: Vec<String> = restored
        .list(&Query::default())
        .unwrap()
        .into_iter()
        .map(|i| i.title)
        .collect();
    assert_eq!(titles, ["Episode 7", "Episode 6", "Episode 5"]);

    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let feed = |newest: u32| -> Vec<Staged> {
        (1..=newest)
            .map(|place| numbered(&place.to_string(), newest + 1 - place))
            .collect()
    };
    apply_at(&store, "s1", &feed(3), now());
    assert_eq!(
        apply_at(&store, "s1", &feed(4), now() + Duration::hours(1)).new,
        1
    );
    let (_copy, restored) = restored_copy(&store);
    let r = apply_at(&restored, "s1", &feed(6), now() + Duration::hours(2));
    assert_eq!((r.new, r.updated), (2, 0), "{r:?}");
    let all = restored.list(&Query::default()).unwrap();
    let titles: Vec<&str> = all.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Episode 6",
            "Episode 5",
            "Episode 4",
            "Episode 3",
            "Episode 2",
            "Episode 1"
        ]
    );
    let second = all.iter().find(|i| i.title == "Episode 2").unwrap();
    assert_eq!((second.first_seen, second.edited), (now(), None));
}

/// A GUID given to a story whose title is none, or the old one-word title with words added,
/// is another story all the same when its link, date and text are another's.
#[test]
fn a_guid_given_to_an_untitled_or_longer_titled_story_keeps_the_older_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let entry = |title: &str, slug: &str, text: &str, day: i64, hash: &str| {
        let mut s = item("1", title, Some(&format!("https://x.example/{slug}")), hash);
        s.item.summary = text.into();
        s.item.published = Some(now() + Duration::days(day));
        s
    };
    apply(
        &store,
        "s1",
        &[entry(
            "Announcement",
            "a",
            "The caucus meets on Monday in Prizren.",
            0,
            "h1",
        )],
    );
    let r = apply(
        &store,
        "s1",
        &[entry(
            "Announcement: the office is closed for the holidays",
            "b",
            "Our office stays closed until the new year; write to us meanwhile.",
            60,
            "h2",
        )],
    );
    assert_eq!((r.new, r.updated), (1, 0), "{r:?}");
    let r = apply(
        &store,
        "s1",
        &[entry(
            "",
            "c",
            "Musicians opened the festival in the old town.",
            120,
            "h3",
        )],
    );
    assert_eq!((r.new, r.updated), (1, 0), "{r:?}");
    assert_eq!(store.list(&Query::default()).unwrap().len(), 3);
}

/// Two press notes of one day under the section's link, titled alike and without text, each
/// under a GUID of its own: two stories (the second is no story moved to another GUID).
#[test]
fn press_notes_alike_under_one_link_with_guids_of_their_own_stay_two() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let note = |guid: &str, hash: &str| {
        let mut s = item(
            guid,
            "Saopštenje",
            Some("https://x.example/saopstenja/"),
            hash,
        );
        s.item.summary = String::new();
        s
    };
    assert_eq!(apply(&store, "s1", &[note("a", "h1")]).new, 1);
    let r = apply(&store, "s1", &[note("b", "h2"), note("a", "h1")]);
    assert_eq!((r.new, r.unchanged), (1, 1), "{r:?}");
    assert_eq!(store.list(&Query::default()).unwrap().len(), 2);
}

/// The same once the first note's GUID went to another story in an earlier fetch: the next
/// note under the section's link is a story of its own, not the first one moved.
#[test]
fn a_note_under_the_link_of_one_whose_guid_went_elsewhere_earlier_is_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut first = item(
        "a",
        "Saopštenje",
        Some("https://x.example/saopstenja/"),
        "h1",
    );
    first.item.summary = String::new();
    apply(&store, "s1", &[first]);
    let mut other = item(
        "a",
        "Culture night",
        Some("https://x.example/culture"),
        "h2",
    );
    other.item.published = other.item.published.map(|p| p + Duration::days(60));
    assert_eq!(apply(&store, "s1", std::slice::from_ref(&other)).new, 1);
    let mut next = item(
        "b",
        "Saopštenje",
        Some("https://x.example/saopstenja/"),
        "h3",
    );
    next.item.summary = "The ministry answered the caucus on the shelters' budget.".into();
    let r = apply(&store, "s1", &[next, other]);
    assert_eq!((r.new, r.updated), (1, 0), "{r:?}");
    assert_eq!(store.list(&Query::default()).unwrap().len(), 3);
}

/// A cache serving the feed as it was and as it is in turn: GUID 1 names one episode, then
/// the other, again and again. Two stories, neither written over.
#[test]
fn a_guid_naming_two_stories_in_turn_keeps_both() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    for (poll, n) in [5, 6, 5, 6, 5].into_iter().enumerate() {
        let later = now() + Duration::hours(poll as i64);
        let r = apply_at(&store, "s1", &[numbered("1", n)], later);
        assert_eq!(r.new, usize::from(poll < 2), "poll {poll}: {r:?}");
        assert_eq!(r.updated, 0, "poll {poll}: {r:?}");
    }
    let all = store.list(&Query::default()).unwrap();
    let got: Vec<(&str, DateTime<Utc>)> = all
        .iter()
        .map(|i| (i.title.as_str(), i.first_seen))
        .collect();
    assert_eq!(
        got,
        [
            ("Episode 6", now() + Duration::hours(1)),
            ("Episode 5", now())
        ]
    );
}

/// A site that moves its stories to new addresses and adds its name to their titles, dated
/// anew: without text to compare, a title with words added is the story's (an edit), not
/// another story under its GUID.
#[test]
fn a_story_moved_and_retitled_with_words_added_is_the_same_story() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut a = item("7", "Caucus meets", Some("https://x.example/old/7"), "h1");
    a.item.summary = String::new();
    apply(&store, "s1", std::slice::from_ref(&a));
    let mut moved = a.clone();
    moved.item.title = "Caucus meets | X News".into();
    moved.item.link = Some("https://news.x.example/2020/caucus-meets".into());
    moved.item.published = a.item.published.map(|p| p + Duration::days(5));
    moved.item.content_hash = "h2".into();
    let r = apply(&store, "s1", &[moved]);
    assert_eq!((r.new, r.updated), (0, 1));
    assert_eq!(store.list(&Query::default()).unwrap().len(), 1);
}

/// The same for a partner's copy of another source's story: its GUID given to another story
/// of the partner's later is that story, stored; it was taken for the copy, unchanged, and
/// never stored.
#[test]
fn a_copys_guid_given_to_another_story_stores_that_story() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let entry = |guid: &str, title: &str, link: &str, text: &str, day: u32, hash: &str| {
        let mut s = item(guid, title, Some(link), hash);
        s.item.summary = text.into();
        s.item.published = Some(Utc.with_ymd_and_hms(2020, 2, day, 10, 0, 0).unwrap());
        s
    };
    let text =
        "Students from Pristina and Belgrade met to discuss the dialogue and its agreements.";
    let original = entry(
        "a",
        "Workshop on the Brussels dialogue",
        "https://org.example/workshop",
        text,
        1,
        "h1",
    );
    assert_eq!(apply(&store, "org", &[original]).new, 1);
    let copy = entry(
        "1",
        "Workshop on the Brussels dialogue",
        "https://org.example/workshop?utm_source=partner",
        text,
        1,
        "p1",
    );
    assert_eq!(apply(&store, "partner", &[copy]).duplicate, 1);
    let own = entry(
        "1",
        "Culture night in Prizren",
        "https://partner.example/culture-night",
        "Musicians and painters from the region opened the festival in the old town.",
        25,
        "p2",
    );
    let r = apply(&store, "partner", &[own]);
    assert_eq!((r.new, r.unchanged, r.updated), (1, 0, 0));
    let all = store.list(&Query::default()).unwrap();
    let got: Vec<(&str, &str)> = all.iter().map(|i| (i.title.as_str(), i.source())).collect();
    assert_eq!(
        got,
        [
            ("Culture night in Prizren", "partner"),
            ("Workshop on the Brussels dialogue", "org")
        ]
    );
}

/// A site that moves to a new CMS gives every story a new GUID and a new address: each entry
/// with its story's whole title, very date and text, the story's own GUID gone from the
/// feed, is that story moved (no edit: it takes the new link, and its copies find it there).
/// Under the old GUID still in the feed, or under another date, it is another story.
#[test]
fn a_site_moved_to_new_guids_and_addresses_keeps_its_stories() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let story = |guid: &str, link: &str, hash: &str| {
        let mut s = item(guid, "Raporti vjetor mbi dialogun", Some(link), hash);
        s.item.summary = long_text().into();
        s
    };
    let old = story(
        "https://x.example/?p=4411",
        "https://x.example/?p=4411",
        "h1",
    );
    assert_eq!(apply(&store, "kdi", std::slice::from_ref(&old)).new, 1);
    let stored = store.list(&Query::default()).unwrap().remove(0);
    let later = now() + Duration::hours(1);
    let moved = story(
        "urn:uuid:7d3e",
        "https://x.example/sq/2026/12/raporti-vjetor/",
        "h2",
    );
    let r = apply_at(&store, "kdi", std::slice::from_ref(&moved), later);
    assert_eq!((r.new, r.updated, r.unchanged, r.refreshed), (0, 0, 1, 1));
    assert_eq!(store.item_count(), 1);
    let after = store.list(&Query::default()).unwrap().remove(0);
    assert_eq!(
        after.link.as_deref(),
        Some("https://x.example/sq/2026/12/raporti-vjetor/")
    );
    assert_eq!(
        (after.edited, after.updated_at()),
        (None, stored.updated_at())
    );
    // Found again under the new GUID; a partner's copy at the new address is its copy.
    let r = apply_at(&store, "kdi", std::slice::from_ref(&moved), later);
    assert_eq!((r.new, r.unchanged, r.refreshed), (0, 1, 0));
    let mut copy = story(
        "p1",
        "https://x.example/sq/2026/12/raporti-vjetor/?utm_source=partner",
        "p1",
    );
    copy.item.title = "Raporti i KDI-së".into();
    assert_eq!(apply_at(&store, "partner", &[copy], later).duplicate, 1);

    // The old entry still in the feed beside it: two stories of one title and date.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    assert_eq!(apply(&store, "kdi", std::slice::from_ref(&old)).new, 1);
    let r = apply_at(&store, "kdi", &[moved.clone(), old.clone()], later);
    assert_eq!((r.new, r.unchanged), (1, 1));
    // Another date: another story.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    assert_eq!(apply(&store, "kdi", std::slice::from_ref(&old)).new, 1);
    let mut next_year = moved.clone();
    next_year.item.published = old.item.published.map(|p| p + Duration::days(365));
    assert_eq!(apply_at(&store, "kdi", &[next_year], later).new, 1);

    // The day's next press release under the same title and date, over a line of
    // boilerplate, in a feed that lists the newest alone: a story of its own.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let release = |n: u32| {
        let link = format!("https://gov.example/?p={n}");
        let mut s = item(
            &link,
            "Saopštenje za javnost",
            Some(&link),
            &format!("r{n}"),
        );
        s.item.summary = "Vlada je danas izdala saopštenje.".into();
        s
    };
    assert_eq!(apply(&store, "gov", &[release(1)]).new, 1);
    let r = apply_at(&store, "gov", &[release(2)], later);
    assert_eq!((r.new, r.refreshed), (1, 0));
    // Nor with a long paragraph of boilerplate after a sentence of its own.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let long_release = |n: u32, own: &str| {
        let mut s = release(n);
        s.item.summary = format!("{own} {}", long_text());
        s
    };
    let first = long_release(1, "Ministar je primio ambasadora.");
    assert_eq!(apply(&store, "gov", &[first]).new, 1);
    let second = long_release(2, "Vlada je usvojila budžet.");
    let r = apply_at(&store, "gov", &[second], later);
    assert_eq!((r.new, r.updated, r.refreshed), (1, 0, 0));
    // Nor when only their bodies tell them apart.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let bodied = |n: u32, own: &str| {
        let mut s = long_release(n, "");
        s.item.content = Some(format!("<p>{}</p><p>{own}</p>", long_text()));
        s
    };
    assert_eq!(apply(&store, "gov", &[bodied(1, "Prvo.")]).new, 1);
    let r = apply_at(&store, "gov", &[bodied(2, "Drugo.")], later);
    assert_eq!((r.new, r.updated), (1, 0));

    // Two stories of one title and date, both moved: each is its own entry's.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let twin = |guid: &str, text: &str| {
        let mut s = story(guid, &format!("https://x.example/{guid}"), guid);
        s.item.summary = format!("{text} {}", long_text());
        s
    };
    let (a, b) = (
        "Prizren hosted the first of two panels today.",
        "Gjakova hosted the second of two panels today, with other speakers and guests.",
    );
    let r = apply(&store, "kdi", &[twin("g1", a), twin("g2", b)]);
    assert_eq!(r.new, 2);
    // (Listed in either order.)
    let r = apply_at(&store, "kdi", &[twin("n1", a), twin("n2", b)], later);
    assert_eq!((r.new, r.unchanged, r.refreshed), (0, 2, 2));
    let mut links: Vec<String> = store
        .list(&Query::default())
        .unwrap()
        .into_iter()
        .map(|i| format!("{} {}", i.sources[0].identity.key(), i.link.unwrap()))
        .collect();
    links.sort();
    assert_eq!(
        links,
        ["g:g1 https://x.example/n1", "g:g2 https://x.example/n2"]
    );

    // The same with the same text: still one entry each.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    assert_eq!(apply(&store, "kdi", &[twin("g1", a), twin("g2", a)]).new, 2);
    let r = apply_at(&store, "kdi", &[twin("n1", a), twin("n2", a)], later);
    assert_eq!((r.new, r.unchanged, r.refreshed), (0, 2, 2));
    let mut links: Vec<String> = store
        .list(&Query::default())
        .unwrap()
        .into_iter()
        .map(|i| i.link.unwrap())
        .collect();
    links.sort();
    assert_eq!(links, ["https://x.example/n1", "https://x.example/n2"]);

    // A feed that still names a story its GUIDs named before has not moved: an entry under
    // a new GUID is a story of its own, as before.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let r = apply(&store, "kdi", &[old.clone(), twin("g1", a)]);
    assert_eq!(r.new, 2);
    let r = apply_at(&store, "kdi", &[moved.clone(), twin("g1", a)], later);
    assert_eq!((r.new, r.unchanged), (1, 1));
}

#[test]
fn a_source_that_gives_its_stories_new_guids_carries_the_same_stories() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let link = Some("https://balkansgroup.example/sq/lajme/takimi/");
    let title = PLATES;
    assert_eq!(
        apply(&store, "bprg-sq", &[item("g1", title, link, "1")]).new,
        1
    );
    // The site moved to another CMS: the same entry under a new GUID, then another. Its
    // own story, unchanged: no republished copy of it.
    for guid in ["https://balkansgroup.example/?p=17", "post-17"] {
        let r = apply(&store, "bprg-sq", &[item(guid, title, link, "2")]);
        assert_eq!((r.new, r.duplicate, r.unchanged), (0, 0, 1), "{guid}");
    }
    assert_eq!(store.item_count(), 1);
    // A new GUID on the same link with another title is another story (a section page).
    let r = apply(&store, "bprg-sq", &[item("g9", CAUCUS, link, "3")]);
    assert_eq!(r.new, 1);
    // So is one with the same title and a text of its own (a recurring post on one page).
    let mut weekly = item("g10", title, link, "4");
    weekly.item.summary = "Një tekst krejt tjetër për një javë tjetër, me lajme të reja nga \
        Prishtina, Beogradi, Tirana dhe Shkupi, për kulturën, gratë deputete dhe bisedimet e \
        Brukselit që vazhdojnë këtë javë me takime të reja teknike dhe politike."
        .into();
    let mut first = item("g1", title, link, "1");
    first.item.summary = "Takimi i parë për targat e automjeteve u mbajt në Bruksel, ku \
        negociatorët diskutuan zbatimin e marrëveshjes për lëvizjen e lirë, targat dhe \
        dokumentet e udhëtimit, me pjesëmarrjen e ndërmjetësit të Bashkimit Evropian."
        .into();
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    assert_eq!(apply(&store, "bprg-sq", &[first]).new, 1);
    assert_eq!(apply(&store, "bprg-sq", &[weekly]).new, 1);

    // A recurring post on one page, title alone, a year later, is another story too.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let press = Some("https://balkansgroup.example/press/");
    let mut briefing = item("b1", "Weekly press briefing of the group", press, "1");
    briefing.item.summary = String::new();
    assert_eq!(apply(&store, "bprg", &[briefing.clone()]).new, 1);
    briefing.item.identity = Identity::Guid("b2".into());
    briefing.item.published = Some(Utc.with_ymd_and_hms(2021, 4, 1, 10, 0, 0).unwrap());
    assert_eq!(apply(&store, "bprg", &[briefing]).new, 1);
}

#[test]
fn a_guid_on_a_link_of_a_story_without_one_is_that_story_only_if_it_tells_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let press = "https://vlada.example/press";
    let mut finance = item(
        "",
        "Press conference of the minister of finance",
        Some(press),
        "1",
    );
    finance.item.identity = Identity::Link(press.into());
    finance.item.summary = long_text().into();
    assert_eq!(apply(&store, "vlada", &[finance.clone()]).new, 1);
    // The site's CMS gives GUIDs now, and the page its next story.
    let mut health = item(
        "g2",
        "Visit of the minister of health to Niš",
        Some(press),
        "2",
    );
    health.item.published = Some(now() + Duration::days(3));
    health.item.summary = "The minister opened the new wing of the clinical centre and met \
        the staff of the emergency department, who asked for more nurses and equipment"
        .into();
    let r = apply(&store, "vlada", &[health]);
    assert_eq!((r.new, r.updated, r.duplicate), (1, 0, 0));
    assert_eq!(store.item_count(), 2);
    assert!(stored_titles(&store).contains(&finance.item.title));
}

/// A GUID whose story retention removed, handed to another story later (a site's new CMS
/// numbering its posts anew, a feed numbered by place that published nothing for longer than
/// `max_age`): with another link, another title and a date months away, it is a new story, which
/// was dropped as the removed story's entry before. The removed story's entry edited (its
/// title, its link, or its text) stays out, and so does the removed story itself; through an
/// export and an import too.
#[test]
fn a_guid_handed_to_another_story_after_retention_removed_its_own_stores_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let entry = |title: &str, slug: &str, month: u32, hash: &str| {
        let mut s = item(
            "p=7",
            title,
            Some(&format!("https://x.example/{slug}")),
            hash,
        );
        s.item.published = Some(Utc.with_ymd_and_hms(2020, month, 3, 10, 0, 0).unwrap());
        s
    };
    let old = entry("Workshop on the Brussels dialogue", "workshop", 1, "h1");
    assert_eq!(apply(&store, "s1", std::slice::from_ref(&old)).new, 1);
    let removed = store
        .prune(
            Some(std::time::Duration::from_secs(30 * 86_400)),
            None,
            &["s1".to_string()],
            Utc.with_ymd_and_hms(2020, 3, 1, 0, 0, 0).unwrap(),
        )
        .unwrap();
    assert_eq!(removed, 1);
    let (_other_dir, restored) = restored_copy(&store);
    for store in [&store, &restored] {
        // The removed story, as it was or edited in one respect at a time: still out.
        let edits = [
            entry("Workshop on the Brussels dialogue", "workshop", 1, "h2"),
            entry(
                "Workshop on the Brussels dialogue (photos)",
                "workshop-photos",
                1,
                "h3",
            ),
            entry("Workshop on the Brussels dialogue", "workshop", 4, "h4"),
            entry("Photos from the workshop in Pristina", "workshop", 4, "h5"),
            // Words added to its title, a new slug and a date moved: edited, as a live one.
            entry(
                "Workshop on the Brussels dialogue in Pristina",
                "workshop-in-pristina",
                4,
                "h7",
            ),
        ];
        for edit in [old.clone()].iter().chain(&edits) {
            let r = apply(store, "s1", std::slice::from_ref(edit));
            assert_eq!((r.new, r.unchanged), (0, 1), "{}", edit.item.title);
        }
        assert!(store.list(&Query::default()).unwrap().is_empty());
        // The GUID handed to another story: stored, and found by its GUID at the next fetch.
        let other = entry("Women's Caucus meets in Prizren", "caucus-prizren", 6, "h6");
        assert_eq!(apply(store, "s1", std::slice::from_ref(&other)).new, 1);
        let again = apply(store, "s1", std::slice::from_ref(&other));
        assert_eq!((again.new, again.unchanged), (0, 1));
        let titles: Vec<String> = store
            .list(&Query::default())
            .unwrap()
            .into_iter()
            .map(|i| i.title)
            .collect();
        assert_eq!(titles, ["Women's Caucus meets in Prizren"]);
    }
}

/// A feed numbered by place (`<guid>1</guid>` the newest) whose stories retention removed:
/// its next story takes GUID 1, and the removed stories it still lists move to the GUIDs of
/// other removed stories. Those are the stories removed, dated before their removal, and stay
/// out; only the new one is stored.
#[test]
fn a_feed_numbered_by_place_keeps_its_removed_stories_out_when_they_move_down() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let entry = |guid: &str, title: &str, slug: &str, month: u32, day: u32| {
        let mut s = item(
            guid,
            title,
            Some(&format!("https://x.example/{slug}")),
            &format!("{guid}-{slug}"),
        );
        s.item.published = Some(Utc.with_ymd_and_hms(2020, month, day, 10, 0, 0).unwrap());
        s
    };
    let a = |guid| entry(guid, "Workshop on the Brussels dialogue", "workshop", 1, 10);
    let b = entry("2", "Licence plates agreement signed", "plates", 1, 1);
    assert_eq!(apply(&store, "s1", &[a("1"), b]).new, 2);
    let removed = store
        .prune(
            Some(std::time::Duration::from_secs(30 * 86_400)),
            None,
            &["s1".to_string()],
            Utc.with_ymd_and_hms(2020, 3, 1, 0, 0, 0).unwrap(),
        )
        .unwrap();
    assert_eq!(removed, 2);
    let p = entry(
        "1",
        "Women's Caucus meets in Prizren",
        "caucus-prizren",
        6,
        3,
    );
    let r = apply(&store, "s1", &[p, a("2")]);
    assert_eq!((r.new, r.unchanged), (1, 1));
    let titles: Vec<String> = store
        .list(&Query::default())
        .unwrap()
        .into_iter()
        .map(|i| i.title)
        .collect();
    assert_eq!(titles, ["Women's Caucus meets in Prizren"]);
}
