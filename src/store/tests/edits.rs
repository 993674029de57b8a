//! A source's entry back again: what is an edit of its story and what is no edit (a raw form
//! changed, pictures, links and attachments at addresses spelled or signed anew), and the dates
//! a story keeps.

use super::*;

#[test]
fn within_source_identity_new_unchanged_updated() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let a = item(
        "a",
        "Workshop on the Brussels dialogue",
        Some("https://x.example/a"),
        "h1",
    );
    assert_eq!(apply(&store, "s1", std::slice::from_ref(&a)).new, 1);
    assert_eq!(apply(&store, "s1", std::slice::from_ref(&a)).unchanged, 1);
    let mut changed = a.clone();
    changed.item.content_hash = "h2".into();
    changed.item.title = "Workshop on the Brussels dialogue (updated)".into();
    changed.item.published = None;
    let r = apply(&store, "s1", &[changed]);
    assert_eq!(r.updated, 1);
    let all = store.list(&Query::default()).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].title, "Workshop on the Brussels dialogue (updated)");
    // An update without a date keeps the stored date; first-seen never moves.
    assert_eq!(all[0].published, a.item.published.unwrap());
    assert_eq!(all[0].first_seen, now());
}

/// A picture the feed names apart from the text, added or changed alone, is an edit of the
/// story (it was counted unchanged, and the story kept its old picture or none).
#[test]
fn a_picture_added_alone_is_an_edit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let a = item(
        "a",
        "Culture night in Prizren",
        Some("https://x.example/a"),
        "h1",
    );
    assert_eq!(apply(&store, "s1", std::slice::from_ref(&a)).new, 1);
    let mut pictured = a.clone();
    pictured.item.content_hash = "h2".into();
    pictured.item.image = Some("https://x.example/a.jpg".into());
    assert_eq!(apply(&store, "s1", &[pictured]).updated, 1);
    let all = store.list(&Query::default()).unwrap();
    assert_eq!(all[0].image.as_deref(), Some("https://x.example/a.jpg"));
}

/// A picture whose address a CDN signs or versions anew at every fetch (only its query
/// changes) is the same picture: no edit (the story's date stays), but the story takes the
/// new address, as the old one expires.
#[test]
fn a_picture_signed_anew_is_no_edit_and_takes_the_new_address() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let signed = |sig: &str, hash: &str| {
        let mut s = item(
            "a",
            "Culture night in Prizren",
            Some("https://x.example/a"),
            hash,
        );
        s.item.image = Some(format!("https://cdn.example/a.jpg?{sig}"));
        s
    };
    assert_eq!(
        apply(&store, "s1", &[signed("sig=abc&exp=1700000000", "h1")]).new,
        1
    );
    let stored = store.list(&Query::default()).unwrap().remove(0);
    let mut later = now();
    for (sig, hash) in [("sig=def&exp=1700003600", "h2"), ("v=1764500000", "h3")] {
        later += Duration::hours(1);
        let r = apply_at(&store, "s1", &[signed(sig, hash)], later);
        assert_eq!((r.updated, r.unchanged, r.refreshed), (0, 1, 1), "{sig}");
        let after = store.list(&Query::default()).unwrap().remove(0);
        assert_eq!(
            after.image.as_deref(),
            Some(format!("https://cdn.example/a.jpg?{sig}").as_str())
        );
        assert_eq!(
            (after.edited, after.updated_at()),
            (None, stored.updated_at())
        );
        // Its feeds show the new address: their own date moves.
        assert_eq!(
            (after.last_changed, after.content_hash.as_str()),
            (later, hash)
        );
    }
    // Known by that hash from now on.
    let r = apply_at(&store, "s1", &[signed("v=1764500000", "h3")], later);
    assert_eq!((r.updated, r.unchanged, r.refreshed), (0, 1, 0));
}

/// A story whose link is spelled otherwise (the site moved to https and `www.`, a trailing
/// slash) is no edit: it takes the new link, its date stays, and a partner's copy under the
/// new spelling still finds it. Another fragment or another page is an edit.
#[test]
fn a_link_spelled_otherwise_is_no_edit_and_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let at = |link: &str, hash: &str| item("a", "Culture night in Prizren", Some(link), hash);
    assert_eq!(
        apply(&store, "s1", &[at("http://x.example/a", "h1")]).new,
        1
    );
    let stored = store.list(&Query::default()).unwrap().remove(0);
    let later = now() + Duration::hours(1);
    let r = apply_at(&store, "s1", &[at("https://www.x.example/a/", "h2")], later);
    assert_eq!((r.updated, r.unchanged, r.refreshed), (0, 1, 1));
    let after = store.list(&Query::default()).unwrap().remove(0);
    assert_eq!(after.link.as_deref(), Some("https://www.x.example/a/"));
    assert_eq!(
        after.sources[0].link.as_deref(),
        Some("https://www.x.example/a/")
    );
    assert_eq!(
        (after.edited, after.updated_at(), after.last_changed),
        (None, stored.updated_at(), later)
    );
    // A partner's copy under the page's new address is a copy of the story.
    let copy = item(
        "p1",
        "Culture night in Prizren",
        Some("https://x.example/a/?utm_source=partner"),
        "p1",
    );
    let r = apply_at(&store, "s2", &[copy], later);
    assert_eq!((r.new, r.duplicate), (0, 1));
    // Another fragment, then another page: edits.
    let r = apply_at(
        &store,
        "s1",
        &[at("https://www.x.example/a/#part-2", "h3")],
        later,
    );
    assert_eq!((r.updated, r.refreshed), (1, 0));
    let r = apply_at(&store, "s1", &[at("https://www.x.example/b/", "h4")], later);
    assert_eq!((r.updated, r.refreshed), (1, 0));
}

/// A picture at another path is another picture, whatever its query: an edit.
#[test]
fn a_picture_at_another_path_is_an_edit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut a = item(
        "a",
        "Culture night in Prizren",
        Some("https://x.example/a"),
        "h1",
    );
    a.item.image = Some("https://cdn.example/a.jpg?sig=abc".into());
    assert_eq!(apply(&store, "s1", std::slice::from_ref(&a)).new, 1);
    let mut moved = a.clone();
    moved.item.content_hash = "h2".into();
    moved.item.image = Some("https://cdn.example/b.jpg?sig=abc".into());
    let later = now() + Duration::hours(1);
    let r = apply_at(&store, "s1", &[moved], later);
    assert_eq!((r.updated, r.refreshed), (1, 0));
    let stored = store.list(&Query::default()).unwrap().remove(0);
    assert_eq!(
        stored.image.as_deref(),
        Some("https://cdn.example/b.jpg?sig=abc")
    );
    assert_eq!(stored.edited, Some(later));
    // Removed: an edit too.
    let mut removed = a.clone();
    removed.item.content_hash = "h3".into();
    removed.item.image = None;
    assert_eq!(apply_at(&store, "s1", &[removed], later).updated, 1);
}

/// The pictures in a story's text signed anew are the same pictures too: no edit, the new
/// addresses kept. Anything else changed with them is an edit.
#[test]
fn a_body_whose_pictures_were_signed_anew_is_no_edit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let body = |text: &str, sig: &str, hash: &str| {
        let mut s = item(
            "a",
            "Culture night in Prizren",
            Some("https://x.example/a"),
            hash,
        );
        s.item.content = Some(crate::parse::html::sanitize(
            &format!(r#"<p>{text}</p><img src="https://cdn.example/a.jpg?{sig}" alt="Stage">"#),
            None,
            None,
        ));
        s
    };
    let text = "The night opened with music.";
    apply(&store, "s1", &[body(text, "sig=abc&exp=1", "h1")]);
    let stored = store.list(&Query::default()).unwrap().remove(0);
    let later = now() + Duration::hours(1);
    let renewed = body(text, "sig=def&exp=2", "h2");
    let r = apply_at(&store, "s1", std::slice::from_ref(&renewed), later);
    assert_eq!((r.updated, r.unchanged, r.refreshed), (0, 1, 1));
    let after = store.list(&Query::default()).unwrap().remove(0);
    assert_eq!(after.content, renewed.item.content);
    assert!(after.content.as_deref().unwrap().contains("sig=def"));
    assert_eq!(
        (after.edited, after.updated_at()),
        (None, stored.updated_at())
    );
    // The text edited as the picture is signed anew: an edit.
    let edited = body("The night opened with a choir.", "sig=ghi&exp=3", "h3");
    let r = apply_at(&store, "s1", &[edited], later);
    assert_eq!((r.updated, r.refreshed), (1, 0));
}

/// An attachment at an address signed anew (a private podcast's `?X-Amz-Signature=…`) and a
/// video whose poster and source were signed anew are the same files: no edit, the new addresses kept.
/// Another file, or the same one of another length, is an edit.
#[test]
fn attachments_and_videos_signed_anew_are_no_edit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let episode = |sig: &str, length: u64, file: &str, hash: &str| {
        let mut s = item("a", "Episode 7", Some("https://x.example/ep/7"), hash);
        s.item.enclosures = vec![crate::model::Enclosure {
            url: format!("https://cdn.example/{file}?X-Amz-Signature={sig}&X-Amz-Expires=3600"),
            mime: Some("audio/mpeg".into()),
            length: Some(length),
        }];
        s.item.content = Some(crate::parse::html::sanitize(
            &format!(
                r#"<p>Talk.</p><video poster="https://cdn.example/p.jpg?sig={sig}" controls><source src="https://cdn.example/v.mp4?sig={sig}" type="video/mp4"></video>"#
            ),
            None,
            None,
        ));
        s
    };
    apply(&store, "s1", &[episode("aa", 100, "7.mp3", "h1")]);
    let stored = store.list(&Query::default()).unwrap().remove(0);
    let later = now() + Duration::hours(1);
    let renewed = episode("bb", 100, "7.mp3", "h2");
    let r = apply_at(&store, "s1", std::slice::from_ref(&renewed), later);
    assert_eq!((r.updated, r.unchanged, r.refreshed), (0, 1, 1));
    let after = store.list(&Query::default()).unwrap().remove(0);
    assert_eq!(after.enclosures, renewed.item.enclosures);
    assert_eq!(after.content, renewed.item.content);
    assert!(after.content.as_deref().unwrap().contains("sig=bb"));
    assert_eq!(
        (after.edited, after.updated_at()),
        (None, stored.updated_at())
    );
    // The file cut again (another length), or another file: edits.
    let r = apply_at(&store, "s1", &[episode("cc", 90, "7.mp3", "h3")], later);
    assert_eq!((r.updated, r.refreshed), (1, 0));
    let r = apply_at(&store, "s1", &[episode("dd", 90, "7b.mp3", "h4")], later);
    assert_eq!((r.updated, r.refreshed), (1, 0));
}

/// A story an earlier version stored as "(untitled)" (its entry had no title, text or link)
/// is untitled now: its entry, changed only in an attachment's signature, is no edit, and the
/// story takes the empty title with the new address.
#[test]
fn a_story_stored_as_untitled_before_is_no_edit_for_that() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let episode = |title: &str, sig: &str, hash: &str| {
        let mut s = item("ep-7", title, None, hash);
        s.item.summary = String::new();
        s.item.enclosures = vec![crate::model::Enclosure {
            url: format!("https://cdn.example/7.mp3?X-Amz-Signature={sig}"),
            mime: Some("audio/mpeg".into()),
            length: Some(100),
        }];
        s
    };
    apply(&store, "s1", &[episode("(untitled)", "aa", "h1")]);
    let stored = store.list(&Query::default()).unwrap().remove(0);
    let later = now() + Duration::hours(1);
    let r = apply_at(&store, "s1", &[episode("", "bb", "h2")], later);
    assert_eq!((r.updated, r.unchanged, r.refreshed), (0, 1, 1));
    let after = store.list(&Query::default()).unwrap().remove(0);
    assert_eq!(after.title, "");
    assert_eq!(
        (after.edited, after.updated_at()),
        (None, stored.updated_at())
    );
    // A publisher's own "(untitled)" replaced by a title is an edit.
    let r = apply_at(&store, "s1", &[episode("Episode 7", "bb", "h3")], later);
    assert_eq!(r.updated, 1);
    // Untitled now with nothing else changed but its raw form: counted refreshed, so that
    // its feeds are rendered again without the old words.
    let mut other = episode("(untitled)", "cc", "h4");
    other.item.identity = Identity::Guid("ep-8".into());
    apply(&store, "s1", &[other]);
    let mut again = episode("", "cc", "h5");
    again.item.identity = Identity::Guid("ep-8".into());
    let r = apply_at(&store, "s1", &[again], later);
    assert_eq!((r.updated, r.unchanged, r.refreshed), (0, 1, 1));
}

/// A story two sources carry takes its picture from the source that leads it: the other's
/// picture signed anew changes nothing, the lead's is taken without an edit.
#[test]
fn only_the_leads_picture_signed_anew_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let link = Some("https://wc.example/o1");
    let copy = |source_guid: &str, picture: &str, hash: &str| {
        let mut s = item(source_guid, "Women's Caucus meets in Skopje", link, hash);
        s.item.image = Some(picture.into());
        s
    };
    let lead = "https://cdn.example/wc.jpg?sig=abc";
    assert_eq!(apply(&store, "caucus", &[copy("o1", lead, "o")]).new, 1);
    let mut theirs = copy("p1", "https://cdn.example/portal.jpg?sig=1", "p");
    theirs.item.published = Some(theirs.item.published.unwrap() + Duration::hours(9));
    assert_eq!(
        apply(&store, "portal", std::slice::from_ref(&theirs)).duplicate,
        1
    );
    let stored = store.list(&Query::default()).unwrap().remove(0);
    let later = now() + Duration::hours(1);
    theirs.item.image = Some("https://cdn.example/portal.jpg?sig=2".into());
    theirs.item.content_hash = "p2".into();
    let r = apply_at(&store, "portal", &[theirs], later);
    assert_eq!((r.updated, r.unchanged, r.refreshed), (0, 1, 0));
    assert_eq!(store.item(stored.id).unwrap().unwrap(), stored);
    let r = apply_at(
        &store,
        "caucus",
        &[copy("o1", "https://cdn.example/wc.jpg?sig=def", "o2")],
        later,
    );
    assert_eq!((r.updated, r.unchanged, r.refreshed), (0, 1, 1));
    let after = store.item(stored.id).unwrap().unwrap();
    assert_eq!(
        after.image.as_deref(),
        Some("https://cdn.example/wc.jpg?sig=def")
    );
    assert_eq!(
        (after.edited, after.updated_at()),
        (None, stored.updated_at())
    );
}

/// An old story its source lists again under a later date keeps the date it was published
/// on, and its place in the listings; the later date is when it was updated. With a GUID, or
/// without one when its title and text are the story's word for word.
#[test]
fn a_story_listed_again_under_a_later_date_keeps_its_date_and_place() {
    let report = "The institute's report on the implementation of the agreements on freedom of \
        movement, civil registries and the recognition of diplomas finds that the licence plate \
        arrangement works, that the civil registry copies are still incomplete in four \
        municipalities, and that diplomas from the university in the north wait on average \
        five months for recognition; it recommends a joint office, published deadlines and a \
        yearly review with both negotiating teams and the EU facilitator.";
    let later = now() + Duration::days(20);
    for by_guid in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let entry = |hash: &str, days: i64| {
            let mut s = item(
                "r1",
                "Report: what the agreements changed",
                Some("https://kdi.example/en/report/"),
                hash,
            );
            if !by_guid {
                s.item.identity = Identity::Link("https://kdi.example/en/report/".into());
            }
            s.item.summary = report.into();
            s.item.published = s.item.published.map(|p| p + Duration::days(days));
            s
        };
        let other = item(
            "n1",
            "Newer story of the week",
            Some("https://kdi.example/n"),
            "n",
        );
        let other = Staged {
            item: NewItem {
                published: Some(now() + Duration::days(5)),
                ..other.item
            },
            ..other
        };
        assert_eq!(apply(&store, "kdi", &[entry("a", 0), other]).new, 2);
        let first = store.list(&Query::default()).unwrap();
        let r = apply_at(&store, "kdi", &[entry("b", 20)], later);
        assert_eq!((r.new, r.updated), (0, 1), "by GUID: {by_guid}");
        let stored = store.list(&Query::default()).unwrap();
        assert_eq!(stored.len(), 2);
        assert_eq!(
            stored[0].title, "Newer story of the week",
            "by GUID: {by_guid}"
        );
        assert_eq!(stored[1].published, first[1].published);
        assert_eq!(
            stored[1].updated,
            first[1].published.checked_add_signed(Duration::days(20))
        );
    }
    // A date corrected to one no later than a day after the story arrived (a draft's date, a
    // zone written wrong) is taken.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut draft = item("d1", "Report: what the agreements changed", None, "a");
    draft.item.published = Some(now() - Duration::days(30));
    assert_eq!(apply(&store, "kdi", &[draft.clone()]).new, 1);
    let mut corrected = draft;
    corrected.item.published = Some(now() - Duration::hours(2));
    corrected.item.content_hash = "b".into();
    assert_eq!(apply(&store, "kdi", &[corrected]).updated, 1);
    let stored = store.list(&Query::default()).unwrap();
    assert_eq!(stored[0].published, now() - Duration::hours(2));
}

#[test]
fn only_the_sources_own_edit_dates_a_story_as_edited() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let story = || {
        item(
            "s1",
            "Vest o dijalogu Beograda i Prištine",
            Some("https://bfpe.example/s1"),
            "h1",
        )
    };
    apply(&store, "bfpe", &[story()]);
    // Another source's copy, an hour later: the story has another carrier, not an edit.
    let copy = item(
        "p1",
        "Vest o dijalogu Beograda i Prištine",
        Some("https://portal.example/p1"),
        "p",
    );
    let later = now() + Duration::hours(1);
    assert_eq!(apply_at(&store, "portal", &[copy], later).duplicate, 1);
    let stored = store.list(&Query::default()).unwrap();
    assert_eq!(stored[0].last_changed, later);
    assert_eq!(stored[0].edited, None);
    // Its source edits it: that is.
    let mut edit = story();
    edit.item.summary = "summary of Vest o dijalogu Beograda i Prištine, corrected".into();
    edit.item.content_hash = "h2".into();
    let edited_at = now() + Duration::hours(2);
    assert_eq!(apply_at(&store, "bfpe", &[edit], edited_at).updated, 1);
    let stored = store.list(&Query::default()).unwrap();
    assert_eq!(stored[0].edited, Some(edited_at));
}

#[test]
fn an_entry_whose_raw_form_alone_changed_is_no_edit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let link = Some("https://kdi.example/lajme/takimi");
    assert_eq!(
        apply(&store, "kdi", &[item("g1", PLATES, link, "1")]).new,
        1
    );
    // The feed's link gained another `utm_campaign` (the parser drops it), or a pixel with
    // a new address: a new raw hash, the same story.
    let later = now() + Duration::hours(3);
    let r = apply_at(&store, "kdi", &[item("g1", PLATES, link, "2")], later);
    assert_eq!((r.updated, r.unchanged), (0, 1));
    let stored = &store.list(&Query::default()).unwrap()[0];
    assert_eq!((stored.last_changed, stored.edited), (now(), None));
    assert_eq!(stored.content_hash, "2");
    // Known by that hash from now on; an edit is one.
    let r = apply_at(&store, "kdi", &[item("g1", PLATES, link, "2")], later);
    assert_eq!((r.updated, r.unchanged), (0, 1));
    let mut edited = item("g1", PLATES, link, "3");
    edited.item.summary.push_str(" (corrected)");
    let r = apply_at(&store, "kdi", &[edited], later);
    assert_eq!(r.updated, 1);
    let stored = &store.list(&Query::default()).unwrap()[0];
    assert_eq!(stored.edited, Some(later));
}

#[test]
fn a_story_its_source_gives_a_new_identity_and_an_edit_at_once_takes_the_edit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut first = item("a-1", PLATES, Some("http://kdi.example/lajme/takimi"), "1");
    first.item.summary = long_text().into();
    assert_eq!(apply(&store, "kdi", &[first.clone()]).new, 1);
    // A new CMS: new GUIDs, https links, and a correction in the same fetch.
    let mut moved = first.clone();
    moved.item.identity = Identity::Guid("https://kdi.example/?p=1000".into());
    moved.item.link = Some("https://kdi.example/lajme/takimi".into());
    moved.item.summary = format!(
        "{} Correction: the meeting was held on Tuesday.",
        long_text()
    );
    moved.item.content_hash = "2".into();
    let r = apply(&store, "kdi", std::slice::from_ref(&moved));
    assert_eq!((r.new, r.duplicate, r.updated), (0, 0, 1));
    let all = store.list(&Query::default()).unwrap();
    assert_eq!(all.len(), 1);
    assert!(all[0].summary.ends_with("held on Tuesday."));
    assert_eq!(all[0].link.as_deref(), moved.item.link.as_deref());
    assert_eq!(
        all[0].sources[0].link.as_deref(),
        moved.item.link.as_deref()
    );
    // The new entry is known as it is now.
    let r = apply(&store, "kdi", &[moved]);
    assert_eq!((r.unchanged, r.updated), (1, 0));
}

#[test]
fn a_link_a_story_moved_from_names_it_no_more() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let roadmap_text = long_text();
    let mut roadmap = item(
        "item-1",
        PLATES,
        Some("https://kdi.example/news/roadmap"),
        "1",
    );
    roadmap.item.summary = roadmap_text.into();
    assert_eq!(apply(&store, "kdi", &[roadmap.clone()]).new, 1);
    // The site gave that GUID another story, on a page of its own.
    let mut caucus = item(
        "item-1",
        CAUCUS,
        Some("https://kdi.example/news/caucus"),
        "2",
    );
    caucus.item.summary = "Deputetet e Grupit të Grave u takuan në Prishtinë për buxhetin \
        gjinor, ligjin për barazinë dhe planin e punës për vitin e ardhshëm në Kuvend."
        .into();
    assert_eq!(apply(&store, "kdi", &[caucus]).updated, 1);
    // A partner's copy of the roadmap story under its old link is not the caucus story.
    let mut copy = roadmap.clone();
    copy.item.identity = Identity::Guid("b-7".into());
    copy.item.title = "Roadmap: what the first meeting agreed".into();
    copy.item.link = Some("https://kdi.example/news/roadmap?utm_source=b".into());
    copy.item.content_hash = "b".into();
    let r = apply(&store, "bprg", &[copy]);
    assert_eq!((r.new, r.duplicate), (1, 0));
    let caucus = store
        .list(&Query::default())
        .unwrap()
        .into_iter()
        .find(|i| i.title == CAUCUS)
        .unwrap();
    assert_eq!(caucus.sources.len(), 1);
}

#[test]
fn a_story_listed_again_under_a_later_date_is_no_edit_at_each_new_raw_form() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let link = Some("https://kdi.example/lajme/takimi");
    assert_eq!(
        apply(&store, "kdi", &[item("g1", PLATES, link, "1")]).new,
        1
    );
    // Listed again ten days later under that day's date: updated once (the date is its
    // `updated`), then the same entry with another tracking parameter each day is no edit.
    let later = now() + Duration::days(10);
    let relisted = |hash: &str| {
        let mut s = item("g1", PLATES, link, hash);
        s.item.published = Some(later);
        s
    };
    assert_eq!(apply_at(&store, "kdi", &[relisted("2")], later).updated, 1);
    let stored = store.list(&Query::default()).unwrap().remove(0);
    assert_eq!(stored.updated, Some(later));
    for (day, hash) in [(11, "3"), (12, "4")] {
        let at = now() + Duration::days(day);
        let r = apply_at(&store, "kdi", &[relisted(hash)], at);
        assert_eq!((r.updated, r.unchanged), (0, 1), "{hash}");
    }
    let after = store.list(&Query::default()).unwrap().remove(0);
    assert_eq!(
        (after.last_changed, after.edited, after.updated),
        (stored.last_changed, stored.edited, stored.updated)
    );
}
