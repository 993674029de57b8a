//! The keys titles are indexed under (also without a site's name after them), the issues of a
//! series kept apart, and how copies' texts are compared.

use super::*;
use crate::store::dedupe_keys::title_key;

#[test]
fn title_keys_are_the_ones_stored_titles_were_given() {
    use super::dedupe_keys::dedupe_key;
    use unicode_normalization::UnicodeNormalization;
    // Title keys are stored: a key that changed would no longer find its story. They hash the
    // title's alphanumeric words, in canonical decomposition without combining marks (which
    // do not part words), `đ` as `dj`, lowercased, joined by single spaces (schema 11).
    let reference = |title: &str, min_chars: usize| {
        let bare: String = title
            .replace(['đ', 'Đ'], "dj")
            .nfd()
            .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
            .collect();
        let words: Vec<String> = bare
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| w.chars().flat_map(char::to_lowercase).collect())
            .collect();
        let key = words.join(" ");
        (key.chars().count() >= min_chars).then(|| dedupe_key(&key))
    };
    let titles = [
        "Workshop on the Brussels dialogue",
        "  ŽENSKI KOKUS — Skupština, 12. mart!  ",
        "Дијалог Београда и Приштине: ШТА ДАЉЕ?",
        "İstanbul ΣΊΣΥΦΟΣ ǅemal ß",
        "Gra\u{0308}te\u{0308} ne\u{0308} politike\u{0308}",
        "",
        "!!!",
        "a",
    ];
    // Accents aside, in either form; scripts apart.
    let key = |t: &str| title_key(t, 1);
    assert_eq!(
        key("Gratë në politikë: Kokusi i Grave Deputete"),
        key("Grate ne politike — kokusi i grave deputete")
    );
    assert_eq!(key(titles[4]), key("Gratë në politikë"));
    assert_eq!(
        key("Sastanak u Prištini o đačkim ekskurzijama"),
        key("Sastanak u Pristini o djackim ekskurzijama")
    );
    assert_ne!(
        key("Дијалог Београда и Приштине"),
        key("Dijalog Beograda i Prištine")
    );
    for title in titles {
        for min in [0, 1, 10, 30] {
            assert_eq!(
                title_key(title, min),
                reference(title, min),
                "{title:?} {min}"
            );
        }
    }
    for c in (1..=0xffffu32).filter_map(char::from_u32) {
        let title = format!("{c}Ab{c} x{c}");
        assert_eq!(
            title_key(&title, 1),
            reference(&title, 1),
            "U+{:04X}",
            u32::from(c)
        );
    }
}

#[test]
fn a_title_is_indexed_also_without_the_site_name_after_it() {
    use super::dedupe_keys::title_keys;
    let keys = |t: &str| title_keys(t, 1);
    let whole = |t: &str| title_key(t, 1);
    // No ending that may be a site's name: the whole title alone.
    assert_eq!(
        keys("Workshop on the Brussels dialogue"),
        [whole("Workshop on the Brussels dialogue"), None]
    );
    // One to four words after a spaced separator, each step, the head keeping three.
    for copy in [
        "Workshop on the Brussels dialogue | KDI",
        "Workshop on the Brussels dialogue – Kosovo Online",
        "Workshop on the Brussels dialogue - Portal | Partner",
        "Workshop on the Brussels dialogue — Kosovo Democratic Institute Prishtina",
        "Workshop on the Brussels dialogue · KDI  ",
        "Workshop on the Brussels dialogue – N1",
        "Workshop on the Brussels dialogue | Kosovo 2.0",
    ] {
        assert_eq!(
            keys(copy),
            [whole(copy), whole("Workshop on the Brussels dialogue")],
            "{copy:?}"
        );
    }
    for whole_only in [
        // Fewer than three words before, five after, no space around the separator.
        "Kosovo – Serbia",
        "Talks resume – the Kosovo Serbia dialogue continues",
        "Workshop on the Brussels dialogue|KDI",
        "Workshop on the Brussels-dialogue",
    ] {
        assert_eq!(
            keys(whole_only),
            [whole(whole_only), None],
            "{whole_only:?}"
        );
    }
    // A head under the shortest title that merges has no key; nor a trailing separator alone
    // (the head is the whole title).
    assert_eq!(
        keys("Vesti iz sveta | KDI")[1],
        title_key("Vesti iz sveta", 1)
    );
    assert_eq!(title_keys("Vesti iz sveta | KDI", 20)[1], None);
    // Nothing is taken off a title over 1,000 bytes, and at most three endings.
    let long = format!("{} | KDI", "reč ".repeat(300));
    assert_eq!(keys(&long), [whole(&long), None]);
    assert_eq!(
        keys("Workshop on the Brussels dialogue | a | b | c | d")[1],
        whole("Workshop on the Brussels dialogue | a")
    );
    assert_eq!(
        keys("Workshop on the Brussels dialogue | "),
        [whole("Workshop on the Brussels dialogue"), None]
    );
}

#[test]
fn a_copy_titled_with_a_site_name_after_it_is_the_story_either_way_round() {
    let text = long_text();
    let original = || {
        let mut s = item(
            "o1",
            "Civil society on the implementation of the Brussels agreements",
            Some("https://kdi.example/o1"),
            "o",
        );
        s.item.summary = text.into();
        s
    };
    let copy = || {
        let mut s = item(
            "p1",
            "Civil society on the implementation of the Brussels agreements | KDI",
            Some("https://portal.example/p1?utm_source=x"),
            "p",
        );
        s.item.summary = format!("Preuzeto: {text}");
        s
    };
    for (first, then) in [
        (("kdi", original()), ("portal", copy())),
        (("portal", copy()), ("kdi", original())),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        assert_eq!(apply(&store, first.0, &[first.1]).new, 1);
        let report = apply(&store, then.0, &[then.1]);
        assert_eq!(
            (report.new, report.duplicate),
            (0, 1),
            "{} after {}",
            then.0,
            first.0
        );
        assert_eq!(store.item_count(), 1);
    }
}

#[test]
fn titles_alike_only_without_their_endings_need_texts_that_agree() {
    let talks = "Talks on licence plates resume in Brussels after a pause of three months, \
        with both chief negotiators and the EU special representative at the table and the \
        question of the stickers at the crossings first on the agenda of the day";
    let exhibition = "A photo exhibition opens in Prizren this week with the work of young \
        artists from Kosovo, Serbia and Albania, showing the old town, its bridges and the \
        people who cross them every day on their way to school and work";
    let post = |guid: &str, title: &str, summary: &str| {
        let mut s = item(
            guid,
            title,
            Some(&format!("https://{guid}.example/x")),
            guid,
        );
        s.item.summary = summary.into();
        s
    };
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    apply(
        &store,
        "bfpe",
        &[post(
            "bfpe",
            "Konferencija za medije o dijalogu – Beograd",
            "",
        )],
    );
    // Without texts, another city is another press conference; so is another text.
    let untold = apply(
        &store,
        "kdi",
        &[post(
            "kdi",
            "Konferencija za medije o dijalogu – Priština",
            "",
        )],
    );
    assert_eq!(untold.new, 1);
    apply(
        &store,
        "orga",
        &[post(
            "orga",
            "Statement of the partners on the talks | Org A",
            talks,
        )],
    );
    let other = apply(
        &store,
        "orgb",
        &[post(
            "orgb",
            "Statement of the partners on the talks | Org B",
            exhibition,
        )],
    );
    assert_eq!(other.new, 1);
    // The whole title the same: no text decides as before.
    let same = apply(
        &store,
        "portal",
        &[post(
            "portal",
            "Konferencija za medije o dijalogu – Beograd",
            "",
        )],
    );
    assert_eq!(same.duplicate, 1);
    // Nor does a line of boilerplate on both.
    let boilerplate = "Opširnije na sajtu organizacije";
    apply(
        &store,
        "bprg",
        &[post(
            "bprg",
            "Konferencija za medije o izborima – Beograd",
            boilerplate,
        )],
    );
    let read_more = apply(
        &store,
        "vlada",
        &[post(
            "vlada",
            "Konferencija za medije o izborima – Niš",
            boilerplate,
        )],
    );
    assert_eq!(read_more.new, 1);
    // Long texts that agree under titles alike only without their endings: one story.
    let told = apply(
        &store,
        "other",
        &[post(
            "other",
            "Statement of the partners on the talks – Portal",
            talks,
        )],
    );
    assert_eq!(told.duplicate, 1);
    assert_eq!(store.item_count(), 6);
}

/// Issues of a newsletter, numbered in their titles' ending, are other stories however much
/// of their text they share: a partner's copy of issue 13 is not the lead's issue 12.
#[test]
fn numbered_issues_of_a_series_stay_apart_across_sources() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let common = "In this issue of our newsletter you will find the latest news on the \
        Kosovo-Serbia dialogue, the activities of the Women Caucus in the Assembly and \
        cultural events in the region, with publications and events of our partners.";
    let issue = |guid: &str, n: u32, link: &str, highlights: &str| {
        let mut s = item(
            guid,
            &format!("Weekly newsletter of the Balkans Group – No. {n}"),
            Some(link),
            guid,
        );
        s.item.summary = format!("{common} Highlights: {highlights}");
        s
    };
    let twelve = issue(
        "o-12",
        12,
        "https://balkansgroup.example/newsletter-12/",
        "the workshop in Pristina.",
    );
    assert_eq!(apply(&store, "org", &[twelve]).new, 1);
    let copy = issue(
        "p-13",
        13,
        "https://partner.example/republished/newsletter-13",
        "the workshop in North Mitrovica.",
    );
    let r = apply(&store, "partner", &[copy]);
    assert_eq!((r.new, r.duplicate), (1, 0));
    // The lead's issue 13 then is the partner's copy's story.
    let thirteen = issue(
        "o-13",
        13,
        "https://balkansgroup.example/newsletter-13/",
        "the workshop in North Mitrovica.",
    );
    let r = apply(&store, "org", &[thirteen]);
    assert_eq!((r.new, r.duplicate), (0, 1));
    assert_eq!(store.item_count(), 2);
    // A site's name with a number in it is still a site's name: a copy under it is the story.
    let mut copy = issue(
        "k-12",
        12,
        "https://kosovo20.example/newsletter-12",
        "the workshop in Pristina.",
    );
    copy.item.title = format!("{} | Kosovo 2.0", copy.item.title);
    let r = apply(&store, "kosovo20", &[copy]);
    assert_eq!((r.new, r.duplicate), (0, 1));
    // Another part under a site's name with numbers is another part.
    let mut part = issue(
        "k-13",
        13,
        "https://kosovo20.example/newsletter-13",
        "the workshop in Pristina.",
    );
    part.item.title = "Weekly newsletter of the Balkans Group – No. 14 | Kosovo 2.0".into();
    let r = apply(&store, "kosovo20", &[part]);
    assert_eq!((r.new, r.duplicate), (1, 0));
}

#[test]
fn other_issues_are_one_marker_with_other_numbers() {
    use super::dedupe_keys::other_issues;
    let t = "Interview with the negotiators";
    for (a, b) in [
        ("– No. 12", "– No. 13"),
        ("– Part 2", "– Part 1 | Kosovo 2.0"),
        ("| 12", "| 13"),
    ] {
        assert!(
            other_issues(&format!("{t} {a}"), &format!("{t} {b}")),
            "{a} {b}"
        );
    }
    for (a, b) in [
        ("| Kosovo 2.0", "– RTV 21"),
        ("– No. 12", "– No. 12 | Kosovo 2.0"),
        ("– No. 12", ""),
        ("– December 2026", "– November 2026"),
        ("| KDI", "| Kosovo 2.0"),
    ] {
        assert!(
            !other_issues(&format!("{t} {a}"), &format!("{t} {b}")),
            "{a} {b}"
        );
    }
}

#[test]
fn a_section_pages_entries_with_titles_alike_but_for_their_ending_stay_apart() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let entry = |guid: &str, title: &str| {
        let mut s = item(guid, title, Some("https://kdi.example/vesti"), guid);
        s.item.summary = long_text().into();
        s
    };
    let report = apply(
        &store,
        "kdi",
        &[
            entry("c2", "Konferencija za medije o dijalogu – Niš"),
            entry("c1", "Konferencija za medije o dijalogu – Beograd"),
        ],
    );
    assert_eq!((report.new, report.duplicate), (2, 0));
}

#[test]
fn texts_agree_on_shared_word_pairs_or_a_named_site_and_when_one_has_none() {
    use super::apply::texts_agree;
    let talks = "Talks on licence plates resume in Brussels after a pause of three months, \
        with both chief negotiators and the EU special representative at the table and the \
        question of the stickers at the crossings first on the agenda of the day";
    let exhibition = "A photo exhibition opens in Prizren this week with the work of young \
        artists from Kosovo, Serbia and Albania, showing the old town, its bridges and the \
        people who cross them every day on their way to school and work";
    let agree = |a: &str, b: &str| texts_agree(a, None, b, None);
    assert!(agree(talks, &talks.to_uppercase().replace(' ', "  ")));
    assert!(agree(talks, &format!("From our partners: {talks}")));
    assert!(!agree(talks, exhibition));
    assert!(agree("", exhibition), "no text: the title decides");
    // Short teasers are compared too.
    assert!(!agree(
        "Completely different content from organisation x about its own activities.",
        "Completely other news from the team of y on what it did this month."
    ));
    assert!(agree(
        "Our team met officials in Gračanica about the energy agreement.",
        "Our team met officials in Gračanica about the energy agreement and more."
    ));
    // A blurb that names the other copy's site.
    let original = Some("https://bfpe.example/vesti/devet-godina/");
    let copy = Some("https://portal.example/vesti/devet-godina/");
    let blurb = "Preuzeto od BFPE: prevoznici i studenti o prelasku linije.";
    assert!(texts_agree(blurb, copy, exhibition, original));
    assert!(texts_agree(exhibition, original, blurb, copy));
    assert!(!texts_agree(
        blurb,
        copy,
        exhibition,
        Some("https://other.example/x")
    ));
    // The site's own label counts, not a generic one or a public suffix.
    let teaser = "Our news of the month, from the org and its portal.";
    for other in [
        "https://news.portal.example/x",
        "https://x.org.rs/y",
        "https://portal.example/z",
    ] {
        assert!(
            !texts_agree(teaser, copy, exhibition, Some(other)),
            "{other}"
        );
    }
    assert!(texts_agree(
        "Preuzeto od BFPE.",
        copy,
        exhibition,
        Some("https://www.bfpe.org.rs/vesti/1")
    ));
    assert!(agree("…", exhibition), "an ellipsis is no text");
    // Two long texts that differ stay apart even if one names the other's site.
    assert!(!texts_agree(
        &format!("{talks} (bfpe)"),
        copy,
        exhibition,
        original
    ));
}

// A title written with a joiner inside a word (as text keeps it) is the title written without.
#[test]
fn joiners_inside_words_do_not_part_titles() {
    let with = super::dedupe_keys::title_key(
        "Gratë në politikë: می\u{200c}خواهم 👩\u{200d}👩\u{200d}👧 bashkë",
        1,
    );
    let without = super::dedupe_keys::title_key("Gratë në politikë: میخواهم 👩👩👧 bashkë", 1);
    assert!(with.is_some());
    assert_eq!(with, without);
}
