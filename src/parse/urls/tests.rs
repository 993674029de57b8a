//! Unit tests of `parse::urls`: resolution against the base, the canonical form, the dedupe
//! key and what is refused.

use super::*;

fn canon(s: &str) -> String {
    canonicalize(Url::parse(s).unwrap()).to_string()
}

#[test]
fn strips_tracking_keeps_content_parameters() {
    assert_eq!(
        canon("HTTPS://BalkansGroup.Example:443/en/news/x/?utm_source=portal&utm_medium=rss&fbclid=abc#top"),
        "https://balkansgroup.example/en/news/x/"
    );
    assert_eq!(
        canon("https://portal.example/article.php?id=42&utm_source=x&page=2&gclid=1&mc_cid=9"),
        "https://portal.example/article.php?id=42&page=2"
    );
    // Instagram's and Facebook's share parameters of today.
    assert_eq!(
        canon("https://kdi.example/news/x?igsh=MXR0&mibextid=Zbw"),
        "https://kdi.example/news/x"
    );
    assert_eq!(
        canon("http://a.example:80/p?q=%C3%AB"),
        "http://a.example/p?q=%C3%AB"
    );
}

#[test]
fn one_file_whatever_its_query() {
    let signed = "https://cdn.example/a.jpg?sig=abc&exp=1700000000";
    assert!(same_but_query(
        signed,
        "https://cdn.example/a.jpg?sig=def&exp=1700003600"
    ));
    assert!(same_but_query(signed, "https://cdn.example/a.jpg"));
    assert!(same_but_query(
        "https://cdn.example/a.jpg#x",
        "https://CDN.example:443/a.jpg?v=2"
    ));
    // Only signatures and versions differ: the same picture. A parameter that picks the
    // file, or names one, must be the same.
    assert!(same_but_query(
        "https://x.example/_next/image?url=%2Fuploads%2Fa.jpg&w=640&q=75",
        "https://x.example/_next/image?url=%2Fuploads%2Fa.jpg&w=640&q=80"
    ));
    for (old, new) in [
        (
            "https://x.example/_next/image?url=%2Fuploads%2Fpresident.jpg&w=640",
            "https://x.example/_next/image?url=%2Fuploads%2Fvictims.jpg&w=640",
        ),
        (
            "https://x.example/image.php?id=1&v=1",
            "https://x.example/image.php?id=2&v=2",
        ),
        (
            "https://x.example/timthumb.php?src=a.jpg",
            "https://x.example/timthumb.php?SRC=a.jpg",
        ),
        (
            "https://x.example/show?which=%2Fa%2Fb.png",
            "https://x.example/show?which=%2Fa%2Fc.png",
        ),
        (
            "https://x.example/show?pick=b.webp",
            "https://x.example/show",
        ),
        (
            "https://x.example/GetImage.ashx?ImageID=101",
            "https://x.example/GetImage.ashx?ImageID=102",
        ),
        (
            "https://x.example/media?attachment_id=7",
            "https://x.example/media?attachment_id=8",
        ),
        (
            "https://x.example/img?u=https%3A%2F%2Fa.example%2F1.png",
            "https://x.example/img?u=https%3A%2F%2Fa.example%2F2.png",
        ),
    ] {
        assert!(!same_but_query(old, new), "{old} {new}");
    }
    // Signatures and tokens holding a `/` sign the same file: S3's credential scope, an
    // Azure SAS signature (base64), an Akamai token.
    for (old, new) in [
        (
            "https://b.s3.amazonaws.com/a.jpg?X-Amz-Credential=AKIA1%2F20261201%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=ab",
            "https://b.s3.amazonaws.com/a.jpg?X-Amz-Credential=AKIA1%2F20261202%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=cd",
        ),
        (
            "https://a.blob.core.windows.net/c/a.jpg?se=2026-12-01&sig=ab%2Fcd%2Bef%3D",
            "https://a.blob.core.windows.net/c/a.jpg?se=2026-12-02&sig=x%2Fyz%2B0%3D",
        ),
        (
            "https://cdn.example/a.jpg?hdnts=st%3D1~exp%3D2~acl%3D%2F*~hmac%3Dab",
            "https://cdn.example/a.jpg?hdnts=st%3D3~exp%3D4~acl%3D%2F*~hmac%3Dcd",
        ),
        (
            "https://images.example/photo-1.jpg?ixid=abc&cid=1&sid=9",
            "https://images.example/photo-1.jpg?ixid=def&cid=2&sid=8",
        ),
        (
            "https://pbs.example/media/a?format=jpg&name=large&f=webp",
            "https://pbs.example/media/a?format=jpg&name=small&f=png",
        ),
    ] {
        assert!(same_but_query(old, new), "{old} {new}");
    }
    for other in [
        "https://cdn.example/b.jpg?sig=abc&exp=1700000000",
        "http://cdn.example/a.jpg?sig=abc&exp=1700000000",
        "https://img.example/a.jpg?sig=abc&exp=1700000000",
        "https://cdn.example:8443/a.jpg?sig=abc&exp=1700000000",
        "not a url",
    ] {
        assert!(!same_but_query(signed, other), "{other}");
    }
    assert!(same_but_query("not a url", "not a url"));
}

/// Sounds and videos as pictures: a query that picks the episode or names its file is
/// another file; a signature is not.
#[test]
fn a_sound_or_video_by_its_query_is_another_file() {
    for (old, new) in [
        (
            "https://radio.example/play.php?episode=7",
            "https://radio.example/play.php?episode=8",
        ),
        (
            "https://radio.example/get?f=7.mp3",
            "https://radio.example/get?f=8.mp3",
        ),
        (
            "https://tv.example/watch?v=a.mp4&sig=1",
            "https://tv.example/watch?v=b.mp4&sig=1",
        ),
        (
            "https://radio.example/stream?track=3",
            "https://radio.example/stream?track=4",
        ),
    ] {
        assert!(!same_but_query(old, new), "{old} {new}");
    }
    assert!(same_but_query(
        "https://cdn.example/7.mp3?X-Amz-Signature=aa&X-Amz-Expires=3600",
        "https://cdn.example/7.mp3?X-Amz-Signature=bb&X-Amz-Expires=3600"
    ));
}

#[test]
fn resolves_relative_links_against_the_first_base() {
    let site = Url::parse("https://kspag.example/sq/").unwrap();
    let fetch = Url::parse("http://127.0.0.1:9/feed.xml").unwrap();
    assert_eq!(
        resolve("lajme/takimi/", &[Some(&site), Some(&fetch)])
            .unwrap()
            .as_str(),
        "https://kspag.example/sq/lajme/takimi/"
    );
    assert_eq!(
        resolve("/x", &[None, Some(&fetch)]).unwrap().as_str(),
        "http://127.0.0.1:9/x"
    );
    assert_eq!(resolve("/x", &[None]), None);
}

/// A URL longer than [`MAX_URL`], as written or once made absolute, is none.
#[test]
fn urls_past_the_longest_are_none() {
    let site = Url::parse("https://kspag.example/sq/").unwrap();
    let long = format!("https://kspag.example/{}", "a".repeat(MAX_URL));
    assert_eq!(resolve(&long, &[]), None);
    assert_eq!(
        resolve_in_text(&long[..MAX_URL], &[])
            .unwrap()
            .as_str()
            .len(),
        MAX_URL
    );
    let relative = "b".repeat(MAX_URL - 10);
    assert_eq!(resolve(&relative, &[Some(&site)]), None);
    assert!(resolve(&relative[..100], &[Some(&site)]).is_some());
}

#[test]
fn rejects_non_http_schemes() {
    assert_eq!(resolve("javascript:alert(1)", &[]), None);
    assert_eq!(resolve("data:text/html,hi", &[]), None);
    assert_eq!(resolve("  ", &[]), None);
}

fn key(s: &str) -> Option<String> {
    dedupe_key(&Url::parse(s).unwrap())
}

#[test]
fn dedupe_key_ignores_scheme_www_and_trailing_slash() {
    let a = key("https://www.bfpe.example/vesti/1/");
    assert_eq!(a, key("http://bfpe.example/vesti/1"));
    assert_ne!(a, key("http://bfpe.example/vesti/1?id=2"));
    assert_eq!(a.as_deref(), Some("bfpe.example/vesti/1"));
}

#[test]
fn dedupe_key_reads_one_page_however_it_is_spelled() {
    // Escapes in either case, or none: WordPress writes lowercase hex, browsers uppercase.
    let cyrillic = key("https://bfpe.example/vesti/%d0%b2%d0%b5%d1%81%d1%82/");
    assert_eq!(
        cyrillic,
        key("https://bfpe.example/vesti/%D0%B2%D0%B5%D1%81%D1%82")
    );
    assert_eq!(cyrillic, key("https://bfpe.example/vesti/вест/"));
    assert_eq!(
        key("https://x.example/%7Eana/p"),
        key("https://x.example/~ana/p")
    );
    // Parameters in any order; a referral marker; the AMP page; a mobile host.
    let story = key("https://portal.example/article.php?id=42&page=2");
    assert_eq!(
        story,
        key("https://portal.example/article.php?page=2&id=42")
    );
    assert_eq!(
        story,
        key("https://portal.example/article.php?id=42&ref=kdi.example&page=2")
    );
    assert_eq!(
        story,
        key("https://m.portal.example/article.php?id=42&page=2&amp=1")
    );
    let post = key("https://kdi.example/sq/lajme/takimi/");
    assert_eq!(post, key("https://kdi.example/sq/lajme/takimi/amp/"));
    // Its copy in Google's AMP cache, its `.amp` forms, a directory's index page.
    assert_eq!(
        post,
        key("https://kdi-example.cdn.ampproject.org/c/s/kdi.example/sq/lajme/takimi/")
    );
    assert_eq!(post, key("https://kdi.example/sq/lajme/takimi.amp"));
    assert_eq!(post, key("https://kdi.example/sq/lajme/takimi/index.html"));
    assert_eq!(post, key("https://kdi.example/sq/lajme/takimi/INDEX.PHP"));
    assert_eq!(
        key("https://kdi.example/sq/lajm.html"),
        key("https://kdi.example/sq/lajm.amp.html")
    );
    assert_eq!(
        key("http://x.example/a?id=4"),
        key("https://x-example.cdn.ampproject.org/c/x.example/a?id=4")
    );
    assert_eq!(key("https://kdi.example/index.html"), None);
    assert_ne!(
        post,
        key("https://kdi.example/sq/lajme/takimi/indexes.html")
    );
    assert_ne!(
        post,
        key("https://kdi.example/sq/lajme/takimi/index.html/2")
    );
    assert_eq!(
        post,
        key("https://amp.kdi.example/sq/lajme/takimi?outputType=amp")
    );
    // What selects content stays: another id, a `ref` that names no site, the path's
    // case, escapes that carry meaning, a legacy code page's escapes, a host that is only
    // `m.` and a top-level domain.
    assert_ne!(
        story,
        key("https://portal.example/article.php?id=43&page=2")
    );
    assert_ne!(
        key("https://portal.example/a?ref=7"),
        key("https://portal.example/a?ref=8")
    );
    assert_ne!(
        key("https://portal.example/a?ref=budget"),
        key("https://portal.example/a?ref=floods")
    );
    assert_ne!(
        key("https://x.example/a%3Fb=1"),
        key("https://x.example/a?b=1")
    );
    assert_ne!(key("https://x.example/a%2Fb"), key("https://x.example/a/b"));
    assert_ne!(
        key("https://x.example/?q=a%26b"),
        key("https://x.example/?q=a&b")
    );
    assert_ne!(
        key("https://x.example/v/%E8%E7"),
        key("https://x.example/v/%EF%F0")
    );
    assert_eq!(
        key("https://x.example/v/%e8%e7"),
        key("https://x.example/v/%E8%E7")
    );
    assert_ne!(
        key("https://x.example/?t=%EF%EE"),
        key("https://x.example/?t=%F1%EF")
    );
    assert_eq!(
        key("https://x.example/?t=a+b"),
        key("https://x.example/?t=a%20b")
    );
    assert_ne!(post, key("https://kdi.example/sq/lajme/Takimi/"));
    assert_eq!(key("https://m.example/x").as_deref(), Some("m.example/x"));
    // A front page, however spelled, names nothing.
    for front in [
        "https://kdi.example/",
        "https://www.kdi.example/amp/",
        "https://kdi.example/?ref=portal.example",
        "https://kdi.example/?utm_source=x",
    ] {
        assert_eq!(key(front), None, "{front}");
    }
    assert!(key("https://kdi.example/?p=57").is_some());
}
