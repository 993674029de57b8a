use super::*;
use chrono::TimeZone;

use super::build::MAX_ENTRY_TEXT;
use super::depth::{read_depth, scan_depth, too_deep};
use super::markup::element_count;
use super::normalize::derive_title;
use super::text::{author_name, plain_prefix};
use crate::model::NewItem;

fn ctx(url: &Url) -> Context<'_> {
    Context {
        fetch_url: Some(url),
        content_type: None,
        default_lang: Some("en"),
        now: Utc.with_ymd_and_hms(2020, 3, 1, 0, 0, 0).unwrap(),
        time_zone: None,
    }
}

fn items(doc: &str) -> Vec<NewItem> {
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    let c = ctx(&url);
    let feed = parse(doc.as_bytes(), &c).unwrap();
    feed.entries
        .iter()
        .map(|e| normalize(e, &feed, &c))
        .collect()
}

/// The identity of the item titled `title`.
fn identity_of(list: &[NewItem], title: &str) -> Identity {
    list.iter()
        .find(|i| i.title == title)
        .unwrap()
        .identity
        .clone()
}

const RSS: &str = r#"<?xml version="1.0"?>
<rss version="2.0"><channel><title>BPRG</title><link>https://balkansgroup.example/en/</link>
<item><title>  Workshop on the
  Brussels&#160;dialogue </title><link>news/workshop/?utm_source=rss</link><guid isPermaLink="false">bprg-1</guid>
<description>&lt;p onclick="x()"&gt;Students &lt;a href="/en/report.pdf"&gt;discussed&lt;/a&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;/p&gt;</description>
<pubDate>Tue, 25 Feb 2020 10:00:00 CET</pubDate><category>Dialogue</category></item>
<item><description>Only a description here. And more text after it.</description><link>https://balkansgroup.example/en/untitled/</link></item>
</channel></rss>"#;

#[test]
fn normalizes_rss_items() {
    let it = items(RSS);
    assert_eq!(it.len(), 2);
    let a = &it[0];
    assert_eq!(a.title, "Workshop on the Brussels dialogue");
    assert_eq!(
        a.link.as_deref(),
        Some("https://balkansgroup.example/en/news/workshop/")
    );
    assert_eq!(a.identity, Identity::Guid("bprg-1".into()));
    assert_eq!(a.summary, "Students discussed");
    let content = a.content.as_deref().unwrap();
    assert!(
        content.contains("https://balkansgroup.example/en/report.pdf"),
        "{content}"
    );
    assert!(!content.contains("script") && !content.contains("onclick"));
    assert_eq!(
        a.published.unwrap().to_rfc3339(),
        "2020-02-25T09:00:00+00:00"
    );
    assert_eq!(a.categories, vec!["Dialogue".to_string()]);
    assert_eq!(a.lang.as_deref(), Some("en"));

    let b = &it[1];
    assert_eq!(b.title, "Only a description here");
    assert_eq!(
        b.identity,
        Identity::Link("https://balkansgroup.example/en/untitled/".into())
    );
    assert_eq!(b.published, None);
}

#[test]
fn rss_without_version_is_read_as_rss2() {
    let doc = RSS.replace("<rss version=\"2.0\">", "<rss>");
    assert_eq!(items(&doc).len(), 2);
    let doc = RSS.replace("<rss version=\"2.0\">", "<rss version=\"0.94\">");
    assert_eq!(items(&doc).len(), 2);
}

#[test]
fn future_dates_are_treated_as_missing() {
    let doc = RSS.replace(
        "Tue, 25 Feb 2020 10:00:00 CET",
        "Fri, 31 Dec 9998 10:00:00 GMT",
    );
    assert_eq!(items(&doc)[0].published, None);
}

/// The placeholders of writers without a date (Go's zero time, the Unix epoch) are no dates:
/// the story would be listed below every other and removed by retention at once.
#[test]
fn placeholder_dates_are_treated_as_missing() {
    for placeholder in [
        "Mon, 01 Jan 0001 00:00:00 +0000",
        "Thu, 01 Jan 1970 00:00:00 +0000",
    ] {
        let doc = RSS.replace("Tue, 25 Feb 2020 10:00:00 CET", placeholder);
        assert_eq!(items(&doc)[0].published, None, "{placeholder}");
    }
    let atom = |published: &str, updated: &str| {
        format!(
            r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:t</id><updated>2020-02-29T10:00:00Z</updated>
            <entry><title>A story with dates</title><id>urn:t:1</id><link href="https://x.example/1"/>
            <published>{published}</published><updated>{updated}</updated></entry></feed>"#
        )
    };
    let zero = items(&atom("0001-01-01T00:00:00Z", "2020-02-29T10:00:00Z"));
    assert_eq!(
        zero[0].published.unwrap().to_rfc3339(),
        "2020-02-29T10:00:00+00:00"
    );
    // A post scheduled ahead and updated now is dated by its update.
    let ahead = items(&atom("9998-01-01T00:00:00Z", "2020-02-29T10:00:00Z"));
    assert_eq!(
        ahead[0].published.unwrap().to_rfc3339(),
        "2020-02-29T10:00:00+00:00"
    );
}

#[test]
fn reused_guids_do_not_merge_items() {
    let doc = r#"<rss version="2.0"><channel><title>t</title>
      <item><title>A</title><guid>same</guid><link>https://x.example/a</link></item>
      <item><title>B</title><guid>same</guid><link>https://x.example/b</link></item>
      </channel></rss>"#;
    let it = items(doc);
    assert_eq!(it.len(), 2);
    assert_ne!(it[0].identity, it[1].identity);
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    let feed = parse(doc.as_bytes(), &ctx(&url)).unwrap();
    assert_eq!(
        feed.warnings,
        ["2 entries share 1 id (each told by its link or text instead)"]
    );
}

/// A relative `xml:base` is resolved against the document's address (not dropped, which
/// left links under it resolved against the site's root); one that is no URL at all is
/// passed over with a warning instead of rejecting the document.
#[test]
fn relative_and_broken_xml_bases() {
    let doc = |base: &str| {
        format!(
            r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="{base}">
      <title>Blog</title><id>urn:blog</id><updated>2020-02-03T10:00:00Z</updated>
      <entry><title>A post on the blog</title><id>urn:blog:1</id><updated>2020-02-03T10:00:00Z</updated>
        <link rel="alternate" href="2024/post"/><content type="html">&lt;a href="more"&gt;more&lt;/a&gt;</content></entry></feed>"#
        )
    };
    let relative = items(&doc("/blog/"));
    assert_eq!(
        relative[0].link.as_deref(),
        Some("http://127.0.0.1:8000/blog/2024/post")
    );
    assert!(
        relative[0]
            .content
            .as_deref()
            .unwrap()
            .contains("http://127.0.0.1:8000/blog/more"),
        "{:?}",
        relative[0].content
    );
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    for broken in ["http://", "http://exa mple/"] {
        let feed = parse(doc(broken).as_bytes(), &ctx(&url)).unwrap();
        assert_eq!(feed.entries.len(), 1, "{broken}");
        assert!(
            feed.warnings.iter().any(|w| w.contains("xml:base")),
            "{broken}: {:?}",
            feed.warnings
        );
    }
}

/// Only a relative base makes the document's address the base: in a document without one,
/// links outside any `xml:base` keep resolving against the feed's site, as before; a relative
/// base below the root is resolved as one on the root is.
#[test]
fn a_document_without_a_relative_base_leaves_links_to_the_site() {
    let doc = r#"<?xml version="1.0"?><!-- a feed --><rss version="2.0"><channel><title>T</title>
      <link>https://site.example/</link>
      <item><title>Under no base at all</title><link>news/1</link></item>
      <item xml:base="https://cdn.example/x/"><title>Under a base of its own</title><link>news/2</link></item>
      </channel></rss>"#;
    let it = items(doc);
    assert_eq!(it[0].link.as_deref(), Some("https://site.example/news/1"));
    assert_eq!(it[1].link.as_deref(), Some("https://cdn.example/x/news/2"));
    assert!(!bases(doc).relative);
    let entry = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>B</title><id>urn:b</id><updated>2020-02-03T10:00:00Z</updated>
      <entry xml:base="/posts/2024/"><title>A post under a base of its own</title><id>urn:b:1</id><updated>2020-02-03T10:00:00Z</updated>
        <link rel="alternate" href="hello.html"/></entry></feed>"#;
    assert!(bases(entry).relative);
    assert_eq!(
        items(entry)[0].link.as_deref(),
        Some("http://127.0.0.1:8000/posts/2024/hello.html")
    );
    // An emptied base (one that was no URL) is no relative base.
    assert!(!bases(r#"<feed xml:base=""><entry/></feed>"#).relative);
}

/// Elements nested by the hundred thousand (feed-rs walks Media RSS groups by recursion, and
/// would overflow its thread's stack, aborting the process) are refused before feed-rs sees
/// them; markup inside CDATA, however much, is not counted.
#[test]
fn a_document_nested_too_deep_is_refused_not_crashed_on() {
    let doc = String::from(
        r#"<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>t</title><item><title>deep</title>"#,
    );
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    // A `>` or `/>` inside a quoted attribute value ends no tag, for feed-rs as for the count.
    // Nor a `>` in a processing instruction, a comment that opens as `<!-->`, or a DOCTYPE's
    // quoted literal.
    for group in [
        "<media:group>",
        r#"<media:group a="/>">"#,
        "<media:group a='/>' b=\"'\">",
        "<media:group><?x > </q> ?>",
        "<media:group><!--> </q> -->",
        r#"<media:group><!DOCTYPE x SYSTEM "> </q>">"#,
    ] {
        let mut doc = doc.clone();
        for _ in 0..100_000 {
            doc.push_str(group);
        }
        match parse(doc.as_bytes(), &ctx(&url)) {
            Err(ParseError::Invalid(msg)) => {
                assert!(msg.contains("nest deeper than 256"), "{group}: {msg}")
            }
            other => panic!("{group}: {other:?}"),
        }
    }
    let mut quoted = doc.clone();
    quoted.push_str(
        r#"<guid>q</guid><media:content url="https://x.example/a.jpg?s=1>2" medium="image"/></item></channel></rss>"#,
    );
    assert_eq!(items(&quoted).len(), 1);
    let mut breaks = String::from(
        r#"<rss version="2.0"><channel><title>t</title><item><title>Many breaks</title><guid>b</guid><description><![CDATA["#,
    );
    for _ in 0..1_000 {
        breaks.push_str("line<br>");
    }
    breaks.push_str("]]></description></item></channel></rss>");
    assert_eq!(items(&breaks).len(), 1);
}

/// The scan of the tags reads nesting as quick-xml itself does, through every kind of markup
/// that holds a `>` or a `<`: where it reads at all, it agrees with the reader.
#[test]
fn the_tag_scan_agrees_with_the_reader_on_nesting() {
    let pieces = [
        "<a>",
        "<a/>",
        "</a>",
        r#"<a b="/>">"#,
        "<a b='>'>",
        "<?x > </q> ?>",
        "<?x?>",
        "<!--> </q> -->",
        "<!---> -->",
        "<!-- <a> -->",
        "<![CDATA[ <a> ]]>",
        "text > more",
        "</q'<?'>",
        "<q b=\"</q>\">",
        "<a\n  b='1'\n>",
    ];
    for (i, piece) in pieces.iter().enumerate() {
        for other in &pieces[i..] {
            let doc = format!("<r>{}</r>", format!("{piece}{other}").repeat(300));
            if let Some(deep) = scan_depth(&doc) {
                assert_eq!(deep, read_depth(&doc), "{piece} {other}");
            }
        }
    }
    // An end tag's quotes hide no markup either.
    let quoted_end = format!("<rss><q'<?'></q'<?'>{}?>", "<x>".repeat(300));
    assert_eq!(scan_depth(&quoted_end), Some(true));
    assert!(read_depth(&quoted_end));
    // A DOCTYPE is the reader's to read: its quoted literal holds no tag.
    let doctype = format!(r#"<!DOCTYPE x SYSTEM "> </q>"><rss>{}"#, "<a>".repeat(300));
    assert_eq!(scan_depth(&doctype), None);
    assert!(too_deep(&doctype));
}

/// A document of more entries than a feed lists is read to the first 5,000, and says so.
#[test]
fn a_document_of_too_many_entries_is_read_to_the_first_5000() {
    let mut doc = String::from(r#"<rss version="2.0"><channel><title>t</title>"#);
    for i in 0..5_010 {
        doc.push_str(&format!(
            "<item><title>Entry number {i}</title><guid>g{i}</guid></item>"
        ));
    }
    doc.push_str("</channel></rss>");
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    let feed = parse(doc.as_bytes(), &ctx(&url)).unwrap();
    assert_eq!(feed.entries.len(), 5_000);
    assert!(
        feed.warnings
            .iter()
            .any(|w| w == "the document has 5010 entries: the first 5000 were read"),
        "{:?}",
        feed.warnings
    );
}

/// A title carrying an opening tag with an attribute (escaped in the feed, so text to XML) is
/// read as the markup it is: no `<svg onload>` reaches a reader that takes RSS titles for HTML.
#[test]
fn a_title_with_active_markup_keeps_its_text_only() {
    let doc = r#"<rss version="2.0"><channel><title>t</title>
      <item><title>&lt;svg/onload=alert(1)&gt; News of the day</title><guid>x</guid></item>
      <item><title>Why Vec&lt;T&gt; beats a &lt;b = c&gt; test</title><guid>y</guid></item>
      </channel></rss>"#;
    let it = items(doc);
    assert_eq!(it[0].title, "News of the day");
    assert_eq!(it[1].title, "Why Vec<T> beats a <b = c> test");
}

#[test]
fn atom_xml_base_resolves_links() {
    let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://kspag.example/">
      <title>KSPAG</title><id>tag:kspag.example,2020:feed</id><updated>2020-02-03T10:00:00Z</updated>
      <entry xml:base="https://kspag.example/sq/"><title>Takimi i Komitetit Drejtues</title>
        <id>tag:kspag.example,2020:5</id><updated>2020-02-03T10:00:00Z</updated>
        <link rel="alternate" href="lajme/takimi-i-peste/"/>
        <content type="html">&lt;p&gt;Marrëveshjet teknike &lt;img src="img/a.jpg"&gt;&lt;/p&gt;</content></entry>
    </feed>"#;
    let it = items(doc);
    assert_eq!(
        it[0].link.as_deref(),
        Some("https://kspag.example/sq/lajme/takimi-i-peste/")
    );
    let content = it[0].content.as_deref().unwrap();
    // Relative URLs in content resolve against the xml:base in scope (the entry's), not the
    // entry's page.
    assert!(
        content.contains(r#"src="https://kspag.example/sq/img/a.jpg""#),
        "{content}"
    );
    assert_eq!(it[0].summary, "Marrëveshjet teknike");
}

#[test]
fn json_feed_is_parsed() {
    let doc = r#"{"version":"https://jsonfeed.org/version/1.1","title":"BFPE","home_page_url":"https://bfpe.example/",
      "items":[{"id":"1","url":"https://bfpe.example/vesti/1","title":"Дијалог Београда и Приштине","content_text":"Текст.","date_published":"2020-02-04T09:00:00+01:00"}]}"#;
    let it = items(doc);
    assert_eq!(it[0].title, "Дијалог Београда и Приштине");
    assert_eq!(it[0].summary, "Текст.");
}

// JSON Feed's `content_text` is plain text: what reads like a tag in it is text, in the
// summary as in the body (and in a title made from it), and so are entities.
#[test]
fn a_plain_text_body_keeps_its_angle_brackets_in_the_summary() {
    let text = "Write to <info@org.example> or see <https://org.example/a>. Use the <p> element and <br> for breaks; if a<b and c>d then stop. R&D &amp; more.";
    let doc = format!(
        r#"{{"version":"https://jsonfeed.org/version/1.1","title":"K","items":[
          {{"id":"1","url":"https://k.example/1","title":"T","content_text":{text:?}}},
          {{"id":"2","url":"https://k.example/2","content_text":{text:?}}}]}}"#
    );
    let it = items(&doc);
    assert_eq!(it[0].summary, text);
    assert!(it[0]
        .content
        .as_deref()
        .unwrap()
        .contains("&lt;info@org.example&gt;"));
    assert!(
        it[1]
            .title
            .starts_with("Write to <info@org.example> or see"),
        "{}",
        it[1].title
    );
    // Its `summary` too, beside a `content_html` (and a `content_text` feed-rs reads as the
    // summary); an empty `content_text` leaves the summary as it is.
    let doc = format!(
        r#"{{"version":"https://jsonfeed.org/version/1.1","title":"K","items":[
          {{"id":"1","url":"https://k.example/1","title":"T","content_html":"<p>x</p>","summary":{text:?}}},
          {{"id":"2","url":"https://k.example/2","title":"T","content_html":"<p>x</p>","content_text":{text:?}}},
          {{"id":"3","url":"https://k.example/3","title":"T","content_text":"","summary":"Short and plain."}}]}}"#
    );
    let it = items(&doc);
    assert_eq!(it[0].summary, text);
    assert_eq!(it[1].summary, text);
    assert_eq!(it[2].summary, "Short and plain.");
}

// A JSON Feed item's `image` (else `banner_image`) and a Media RSS thumbnail are the story's
// picture, absolute; a key named only in a text is none.
#[test]
fn a_picture_named_apart_from_the_text_is_kept() {
    let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"K","home_page_url":"https://k.example/","items":[
      {"id":"1","url":"https://k.example/1","title":"One","image":"/img/one.jpg","banner_image":"https://k.example/b.jpg"},
      {"id":"2","url":"https://k.example/2","title":"Two","banner_image":"https://k.example/two.jpg"},
      {"id":"3","url":"https://k.example/3","title":"Three","content_text":"say \"image\": no"},
      {"id":"4","url":"https://k.example/4","title":"Four","image":42}]}"#;
    let it = items(json);
    let images: Vec<Option<&str>> = it.iter().map(|i| i.image.as_deref()).collect();
    assert_eq!(
        images,
        [
            Some("https://k.example/img/one.jpg"),
            Some("https://k.example/two.jpg"),
            None,
            None
        ]
    );
    let rss = r#"<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>M</title><link>https://m.example/</link>
      <item><title>Pictured</title><link>https://m.example/p</link><guid>p</guid><media:thumbnail url="https://m.example/t.jpg" width="300"/></item>
      <item><title>Plain</title><link>https://m.example/q</link><guid>q</guid></item></channel></rss>"#;
    let it = items(rss);
    assert_eq!(it[0].image.as_deref(), Some("https://m.example/t.jpg"));
    assert_eq!(it[1].image, None);
    // In a `media:group` without `media:content` too (feed-rs drops such a group).
    let grouped = rss.replace(
        "<media:thumbnail url=\"https://m.example/t.jpg\" width=\"300\"/>",
        "<media:group><media:title>T</media:title><media:thumbnail url=\"https://m.example/g.jpg\"></media:thumbnail></media:group>",
    );
    assert_eq!(
        items(&grouped)[0].image.as_deref(),
        Some("https://m.example/g.jpg")
    );
    // An Atom entry's thumbnail without media:content (as Blogger writes them), too.
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"><title>B</title><id>urn:b</id><updated>2020-02-01T00:00:00Z</updated>
      <entry><title>Pictured</title><id>urn:b:1</id><updated>2020-02-01T00:00:00Z</updated><link rel="alternate" href="https://b.example/1"/><media:thumbnail url="https://b.example/s72-c/t.jpg" height="72" width="72"/></entry>
      <entry><title>Plain</title><id>urn:b:2</id><updated>2020-02-01T00:00:00Z</updated><link rel="alternate" href="https://b.example/2"/></entry></feed>"#;
    let blog = items(atom);
    assert_eq!(
        blog[0].image.as_deref(),
        Some("https://b.example/s72-c/t.jpg")
    );
    assert_eq!(blog[1].image, None);
    // A picture changed alone changes the entry's raw hash: an edit to look at.
    let moved = items(&rss.replace("t.jpg", "t2.jpg"));
    assert_ne!(moved[0].content_hash, it[0].content_hash);
    assert_eq!(moved[1].content_hash, it[1].content_hash);
    // A thumbnail beside a text with a picture of its own: the text's, in full, is the one.
    let shown = rss.replace(
        "<media:thumbnail",
        "<description>&lt;img src=\"https://m.example/full.jpg\"&gt;</description><media:thumbnail",
    );
    assert_eq!(items(&shown)[0].image, None);
    // Nothing of it in JSON Feed's own keys: a document without them is read as before.
    assert!(!json_mend::names_key(r#"{"x":"\"image\": 1"}"#, "image"));
    assert!(json_mend::names_key(r#"{"image" : "a"}"#, "image"));
}

// An entry that FeedBurner's redirector links to links to its `feedburner:origLink`, in RSS
// and Atom; text there that is no absolute http(s) URL leaves the entry's own link.
#[test]
fn feedburner_entries_link_to_the_original() {
    let rss = r#"<rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><channel><title>F</title><link>https://f.example/</link>
      <item><title>Dialogue resumes</title><link>https://feedproxy.google.com/~r/f/~3/abc/</link><guid isPermaLink="false">f-1</guid><feedburner:origLink>https://f.example/2026/dialogue-resumes/</feedburner:origLink></item>
      <item><title>Caucus meets</title><link>https://f.example/caucus</link><guid isPermaLink="false">f-2</guid><feedburner:origLink>not a URL</feedburner:origLink></item>
    </channel></rss>"#;
    let it = items(rss);
    assert_eq!(
        it[0].link.as_deref(),
        Some("https://f.example/2026/dialogue-resumes/")
    );
    assert_eq!(it[1].link.as_deref(), Some("https://f.example/caucus"));
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><title>A</title><id>urn:a</id><updated>2020-02-01T00:00:00Z</updated>
      <entry><title>Festival opens</title><id>urn:a:1</id><updated>2020-02-01T00:00:00Z</updated><link rel="alternate" href="http://feeds.feedburner.com/~r/a/~3/xyz/"/><feedburner:origLink>https://a.example/festival</feedburner:origLink></entry>
    </feed>"#;
    assert_eq!(
        items(atom)[0].link.as_deref(),
        Some("https://a.example/festival")
    );
}

// An RSS `<comments>` page (or a `wfw:commentRss` feed) is never the story's link: not
// where it comes before `<link>`, nor where it is all the item has.
#[test]
fn comments_are_never_the_story_link() {
    let rss = r#"<rss version="2.0" xmlns:wfw="http://wellformedweb.org/CommentAPI/"><channel><title>C</title><link>https://c.example/</link>
      <item><title>Comments first</title><comments>https://c.example/posts/9#respond</comments><link>https://c.example/posts/9</link><guid isPermaLink="false">c-1</guid></item>
      <item><title>Comments only</title><comments>https://c.example/posts/3#comments</comments><wfw:commentRss>https://c.example/posts/3/feed/</wfw:commentRss><guid isPermaLink="false">c-2</guid></item>
      <item><title>Comments and a permalink</title><comments>https://c.example/posts/4#comments</comments><guid>https://c.example/posts/4</guid></item>
    </channel></rss>"#;
    let it = items(rss);
    assert_eq!(it[0].link.as_deref(), Some("https://c.example/posts/9"));
    assert_eq!(it[1].link, None);
    assert_eq!(it[1].identity, Identity::Guid("c-2".into()));
    assert_eq!(it[2].link.as_deref(), Some("https://c.example/posts/4"));
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:wfw="http://wellformedweb.org/CommentAPI/"><title>A</title><id>urn:a</id><updated>2020-02-01T00:00:00Z</updated>
      <entry><title>Feed of comments first</title><id>urn:a:1</id><updated>2020-02-01T00:00:00Z</updated><wfw:commentRss>https://a.example/1/feed/</wfw:commentRss><link href="https://a.example/1"/></entry>
    </feed>"#;
    assert_eq!(items(atom)[0].link.as_deref(), Some("https://a.example/1"));
}

// An RSS item without `<link>` links to its page as an `atom:link` names it (`rel="alternate"`
// or none, an HTML type or none), resolved as links are; one with `<link>` keeps it.
#[test]
fn an_rss_item_without_link_takes_its_atom_link() {
    let rss = r#"<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>G</title><link>https://g.example/</link>
      <atom:link rel="self" href="https://g.example/feed/"/>
      <item><title>Alternate</title><atom:link href="/posts/2?utm_source=rss" rel="alternate" type="text/html"/><guid isPermaLink="false">g-2</guid></item>
      <item><title>No rel</title><atom:link href="https://g.example/posts/3"></atom:link><guid isPermaLink="false">g-3</guid></item>
      <item><title>Both</title><atom:link rel="alternate" href="https://elsewhere.example/4"/><link>https://g.example/posts/4</link><guid isPermaLink="false">g-4</guid></item>
      <item><title>Self and feed only</title><atom:link rel="self" href="https://g.example/posts/5/feed"/><atom:link rel="alternate" type="application/rss+xml" href="https://g.example/posts/5/rss"/><guid isPermaLink="false">g-5</guid></item>
    </channel></rss>"#;
    let links: Vec<Option<String>> = items(rss).into_iter().map(|i| i.link).collect();
    assert_eq!(
        links,
        [
            Some("https://g.example/posts/2".to_string()),
            Some("https://g.example/posts/3".to_string()),
            Some("https://g.example/posts/4".to_string()),
            None,
        ]
    );
}

/// A web page where the feed was expected says which feed the page names, when it names one
/// other than itself: where to point the source. The page's own section's feed first, a feed
/// type before plain JSON, as published (no login, no secret), never the page itself.
#[test]
fn a_web_page_names_the_feed_it_links_to() {
    let at = |page: &str, head: &str| {
        let url = Url::parse(page).unwrap();
        let doc = format!("<!DOCTYPE html><html><head>{head}</head><body>x</body></html>");
        parse(doc.as_bytes(), &ctx(&url)).unwrap_err()
    };
    let rss =
        |href: &str| format!(r#"<link rel="alternate" type="application/rss+xml" href="{href}">"#);
    let e = at("https://kspag.example/news/", &rss("/feed/"));
    assert_eq!(
        e.to_string(),
        "not a feed: got an HTML page, which names its feed at https://kspag.example/feed/: \
         set the source's url to that"
    );
    // A category page names the whole site's feed and its comments' before its own.
    let e = at(
        "https://w.example/category/news/",
        &[
            rss("/feed/"),
            rss("/comments/feed/"),
            rss("/category/news/feed/"),
        ]
        .concat(),
    );
    assert_eq!(
        e,
        ParseError::HtmlPage {
            feed: Some("https://w.example/category/news/feed/".into()),
            others: 2
        }
    );
    assert!(e.to_string().ends_with(
        "names its feed at https://w.example/category/news/feed/ and 2 others: \
         set the source's url to the one meant (`tributary discover` lists them)"
    ));
    // WordPress's REST API link comes before the feed's.
    let e = at(
        "https://w.example/2026/11/post/",
        &format!(
            r#"<link rel="alternate" type="application/json" href="/wp-json/wp/v2/posts/7">{}"#,
            rss("/feed/")
        ),
    );
    assert_eq!(
        e,
        ParseError::HtmlPage {
            feed: Some("https://w.example/feed/".into()),
            others: 1
        }
    );
    // A post's page names its comments' feed under its own path, titled so in the site's
    // language (WordPress): the site's feed is the one meant.
    let titled = |href: &str, title: &str| {
        format!(
            r#"<link rel="alternate" type="application/rss+xml" title="{title}" href="{href}">"#
        )
    };
    for (site, post) in [
        (
            "Site &raquo; Feed",
            "Site &raquo; Dialogue workshop Comments Feed",
        ),
        (
            "Faqja &raquo; Prurje",
            "Faqja &raquo; Punëtori Prurje Komentesh",
        ),
        (
            "Сајт &raquo; довод",
            "Сајт &raquo; Радионица довод коментара",
        ),
    ] {
        let e = at(
            "https://w.example/2026/11/workshop/",
            &[
                titled("/2026/11/workshop/feed/", post),
                titled("/feed/", site),
            ]
            .concat(),
        );
        assert_eq!(
            e,
            ParseError::HtmlPage {
                feed: Some("https://w.example/feed/".into()),
                others: 1
            },
            "{post}"
        );
    }
    // Untitled, told by its address.
    let e = at(
        "https://w.example/",
        &[rss("/?feed=comments-rss2"), rss("/?feed=rss2")].concat(),
    );
    assert_eq!(
        e,
        ParseError::HtmlPage {
            feed: Some("https://w.example/?feed=rss2".into()),
            others: 1
        }
    );
    // A login or key in the named address is not repeated.
    let e = at(
        "https://w.example/",
        &rss("https://reader:hunter2@w.example/private.rss?token=SECRET123&x=1"),
    );
    assert_eq!(
        e,
        ParseError::HtmlPage {
            feed: Some("https://w.example/private.rss?token=hidden&x=1".into()),
            others: 0
        }
    );
    // A page naming itself only, or nothing of a feed's type: the question.
    let e = at(
        "https://kspag.example/news/",
        &format!(
            r#"{}<link rel="alternate" type="text/html" href="/sq/">"#,
            rss("https://kspag.example/news/")
        ),
    );
    assert_eq!(
        e,
        ParseError::HtmlPage {
            feed: None,
            others: 0
        }
    );
    assert!(e
        .to_string()
        .ends_with("(does the URL point at the site instead of its feed?)"));
    // Read from a local file: only an absolute address can be named.
    let url = Url::parse("https://kspag.example/").unwrap();
    let local = Context {
        fetch_url: None,
        ..ctx(&url)
    };
    let doc = format!(
        "<!DOCTYPE html><html><head>{}{}</head><body>x</body></html>",
        rss("/feed/"),
        rss("https://kspag.example/atom.xml")
    );
    assert_eq!(
        parse(doc.as_bytes(), &local).unwrap_err(),
        ParseError::HtmlPage {
            feed: Some("https://kspag.example/atom.xml".into()),
            others: 0
        }
    );
}

#[test]
fn errors_are_typed() {
    let url = Url::parse("http://127.0.0.1/").unwrap();
    let c = ctx(&url);
    assert_eq!(parse(b"   ", &c).unwrap_err(), ParseError::Empty);
    assert_eq!(
        parse(b"<!DOCTYPE html><html><body>hi</body></html>", &c).unwrap_err(),
        ParseError::HtmlPage {
            feed: None,
            others: 0
        }
    );
    assert!(matches!(
        parse(b"<rss version=\"2.0\"><channel><item>", &c),
        Err(ParseError::Invalid(_)) | Ok(_)
    ));
    assert!(matches!(parse(b"<foo/>", &c), Err(ParseError::Invalid(_))));
}

#[test]
fn raw_hash_changes_with_content() {
    let url = Url::parse("http://127.0.0.1/").unwrap();
    let c = ctx(&url);
    let a = parse(RSS.as_bytes(), &c).unwrap();
    let b = parse(RSS.replace("Students", "Pupils").as_bytes(), &c).unwrap();
    assert_ne!(a.entries[0].content_hash, b.entries[0].content_hash);
    assert_eq!(a.entries[1].content_hash, b.entries[1].content_hash);
}

#[test]
fn the_raw_hash_is_the_one_stored_stories_were_given() {
    // Hashes are stored: a story whose hash changed would count as changed at its next
    // fetch. They are BLAKE3 over each field followed by a zero byte, as fed one at a time.
    let url = Url::parse("http://127.0.0.1/").unwrap();
    let feed = parse(RSS.as_bytes(), &ctx(&url)).unwrap();
    for raw in &feed.entries {
        let e = &raw.entry;
        let mut h = blake3::Hasher::new();
        let mut field = |s: &str| {
            h.update(s.as_bytes());
            h.update(&[0]);
        };
        field(e.title.as_ref().map_or("", |t| t.content.as_str()));
        e.links.iter().for_each(|l| field(&l.href));
        field(e.summary.as_ref().map_or("", |t| t.content.as_str()));
        field(
            e.content
                .as_ref()
                .and_then(|c| c.body.as_deref())
                .unwrap_or(""),
        );
        field(&e.published.map(|d| d.to_rfc3339()).unwrap_or_default());
        field(&e.updated.map(|d| d.to_rfc3339()).unwrap_or_default());
        e.categories.iter().for_each(|c| field(&c.term));
        assert_eq!(raw.content_hash, h.finalize().to_hex()[..32]);
    }
}

#[test]
fn identity_of_entries_sharing_a_guid_does_not_depend_on_their_order() {
    let item = |t: &str| {
        format!(
            "<item><title>{t}</title><guid>same</guid><link>https://x.example/{t}</link></item>"
        )
    };
    let doc = |items: &[&str]| {
        format!(
            "<rss version=\"2.0\"><channel><title>t</title>{}</channel></rss>",
            items.iter().map(|t| item(t)).collect::<String>()
        )
    };
    let first = items(&doc(&["a", "b"]));
    let later = items(&doc(&["c", "a", "b"]));
    assert_eq!(identity_of(&first, "a"), identity_of(&later, "a"));
    assert_eq!(
        identity_of(&first, "a"),
        Identity::Link("https://x.example/a".into())
    );
    assert_ne!(identity_of(&later, "c"), identity_of(&first, "a"));
}

#[test]
fn entries_without_guids_sharing_a_link_are_told_by_their_titles_in_any_order() {
    let entry = |t: &str, link: &str| {
        format!("<item><title>{t}</title><link>https://x.example/{link}</link></item>")
    };
    let doc = |entries: &[(&str, &str)]| {
        format!(
            "<rss version=\"2.0\"><channel><title>t</title>{}</channel></rss>",
            entries.iter().map(|(t, l)| entry(t, l)).collect::<String>()
        )
    };
    let titled = |title: &str| Identity::Titled {
        link: "https://x.example/lajme".into(),
        title: title.into(),
    };
    // Alone on its link: told by the link.
    let alone = items(&doc(&[
        ("Takimi &amp; pritja", "lajme"),
        ("Tjetër", "tjeter"),
    ]));
    assert_eq!(
        identity_of(&alone, "Takimi & pritja"),
        Identity::Link("https://x.example/lajme".into())
    );
    // Sharing it, in either order: by the link and the title as the item has it.
    for order in [[0, 1], [1, 0]] {
        let pairs = [("Takimi &amp; pritja", "lajme"), ("Konferenca", "lajme")];
        let list = items(&doc(&[pairs[order[0]], pairs[order[1]]]));
        assert_eq!(
            identity_of(&list, "Takimi & pritja"),
            titled("Takimi & pritja")
        );
        assert_eq!(identity_of(&list, "Konferenca"), titled("Konferenca"));
    }
    // Under one title too, or without titles: each is told by its content, whatever the order.
    let twice = items(
        "<rss version=\"2.0\"><channel><title>t</title>\
         <item><title>Lajme</title><link>https://x.example/lajme</link><description>a</description></item>\
         <item><title>Lajme</title><link>https://x.example/lajme</link><description>b</description></item>\
         </channel></rss>",
    );
    assert!(matches!(twice[0].identity, Identity::Hash(_)));
    assert!(matches!(twice[1].identity, Identity::Hash(_)));
    assert_ne!(twice[0].identity, twice[1].identity);
    let untitled = items(
        "<rss version=\"2.0\"><channel><title>t</title>\
         <item><link>https://x.example/lajme</link><description>a</description></item>\
         <item><link>https://x.example/lajme</link><description>b</description></item>\
         <item><title>Lajme</title><link>https://x.example/lajme</link></item>\
         </channel></rss>",
    );
    assert!(matches!(untitled[0].identity, Identity::Hash(_)));
    assert!(matches!(untitled[1].identity, Identity::Hash(_)));
    assert_eq!(untitled[2].identity, titled("Lajme"));
}

#[test]
fn fuzzer_found_inputs_parse_or_fail_without_a_parser_panic() {
    // Inputs the fuzz target (fuzz/) once crashed on, kept as regressions.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    let url = Url::parse("http://127.0.0.1/").unwrap();
    let c = ctx(&url);
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let result = parse(&bytes, &c);
        assert!(
            !matches!(result, Err(ParseError::ParserPanic(_))),
            "{}: {result:?}",
            path.display()
        );
        if let Ok(feed) = result {
            for e in &feed.entries {
                normalize(e, &feed, &c);
            }
        }
    }
}

#[test]
fn a_summary_of_long_doubly_escaped_markup_is_full_length_and_free_of_tags() {
    // Most of the decoded text is tags: the text read for 600 characters holds too little once
    // they are out, so more is read.
    let escaped = "&lt;b&gt;Ko&lt;/b&gt; ".repeat(2_000);
    let summary = plain_prefix(&escaped, 600);
    assert!(!summary.contains('<'), "{summary}");
    assert!(
        summary.chars().count() > 600,
        "{} chars",
        summary.chars().count()
    );
    assert!(summary.starts_with("Ko Ko Ko"), "{summary}");
}

#[test]
fn angle_brackets_of_the_text_stay_and_markup_goes() {
    let rss = r#"<rss version="2.0"><channel><title>T</title><link>https://e.example/</link>
<item><title>Panel &lt;&lt;Gratë në politikë&gt;&gt; në Prishtinë</title><link>https://e.example/1</link></item>
<item><title>Members &lt;under 30&gt; only workshop</title><link>https://e.example/2</link></item>
<item><title>Vec&lt;T&gt; explained</title><link>https://e.example/3</link><description><![CDATA[<p>Use the <code>&lt;video&gt;</code> element</p>]]></description></item>
<item><title>&lt;b&gt;Bold&lt;/b&gt; news</title><link>https://e.example/4</link></item>
<item><title>&amp;lt;i&amp;gt;Twice&amp;lt;/i&amp;gt; escaped</title><link>https://e.example/5</link></item>
</channel></rss>"#;
    let got: Vec<(String, String)> = items(rss)
        .into_iter()
        .map(|i| (i.title, i.summary))
        .collect();
    assert_eq!(got[0].0, "Panel <<Gratë në politikë>> në Prishtinë");
    assert_eq!(got[1].0, "Members <under 30> only workshop");
    assert_eq!(got[2].0, "Vec<T> explained");
    assert_eq!(got[2].1, "Use the <video> element");
    assert_eq!(got[3].0, "Bold news");
    assert_eq!(got[4].0, "Twice escaped");

    // Entities next to text brackets; an RSS description is HTML even when cut off.
    let rss = r#"<rss version="2.0"><channel><title>T</title><link>https://e.example/</link>
<item><title>Vec&lt;T&gt; &amp;amp; Box&lt;U&gt;</title><link>https://e.example/6</link></item>
<item><title>R&amp;D for &lt;under 30&gt;</title><link>https://e.example/7</link><description><![CDATA[<p>Teaser that was cut off]]></description></item>
</channel></rss>"#;
    let it = items(rss);
    assert_eq!(it[0].title, "Vec<T> & Box<U>");
    assert_eq!(it[1].title, "R&D for <under 30>");
    assert_eq!(it[1].summary, "Teaser that was cut off");

    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id><updated>2020-01-01T00:00:00Z</updated>
<entry><title type="text">Why Vec&lt;T&gt; beats &lt;Box&gt;</title><id>urn:a:1</id><link href="https://a.example/1"/><updated>2020-01-01T00:00:00Z</updated>
<summary type="text">Plain summary mentioning &lt;script&gt; tags and a&lt;b</summary></entry></feed>"#;
    let it = items(atom);
    assert_eq!(it[0].title, "Why Vec<T> beats <Box>");
    assert_eq!(
        it[0].summary,
        "Plain summary mentioning <script> tags and a<b"
    );
}

#[test]
fn enclosures_come_from_rss_atom_links_and_json_feed_attachments() {
    let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"JF","home_page_url":"https://g.example/","items":[
{"id":"1","url":"https://g.example/1","title":"Episode one","content_text":"x",
 "attachments":[{"url":"https://g.example/m/ep1.mp3","mime_type":"audio/mpeg","size_in_bytes":1000},
                {"url":"/m/ep1.ogg","mime_type":"audio/ogg"}]}]}"#;
    let it = items(json);
    let got: Vec<(&str, Option<&str>, Option<u64>)> = it[0]
        .enclosures
        .iter()
        .map(|e| (e.url.as_str(), e.mime.as_deref(), e.length))
        .collect();
    assert_eq!(
        got,
        [
            (
                "https://g.example/m/ep1.mp3",
                Some("audio/mpeg"),
                Some(1000)
            ),
            ("https://g.example/m/ep1.ogg", Some("audio/ogg"), None),
        ]
    );
    assert_eq!(it[0].link.as_deref(), Some("https://g.example/1"));

    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id><updated>2020-01-01T00:00:00Z</updated>
<entry><title>Podcast</title><id>urn:a:1</id><updated>2020-01-01T00:00:00Z</updated>
<link rel="alternate" type="text/html" href="https://a.example/1"/>
<link rel="enclosure" type="audio/mpeg" length="2000" href="https://a.example/ep.mp3"/></entry></feed>"#;
    let it = items(atom);
    assert_eq!(it[0].enclosures.len(), 1, "{:?}", it[0].enclosures);
    assert_eq!(it[0].enclosures[0].url, "https://a.example/ep.mp3");
    assert_eq!(it[0].enclosures[0].length, Some(2000));

    let rss = r#"<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>T</title><link>https://r.example/</link>
<item><title>Both</title><link>https://r.example/1</link><enclosure url="https://r.example/a.mp3" length="5" type="audio/mpeg"/>
<media:content url="https://r.example/a.mp3" type="audio/mpeg"/></item></channel></rss>"#;
    assert_eq!(items(rss)[0].enclosures.len(), 1, "one file, named twice");

    // The first ten files are kept, of the first forty named; an item link too long to be a
    // URL is none, and its relative enclosures resolve against the channel's link.
    let many: String = (0..50)
        .map(|i| format!("<link rel=\"enclosure\" href=\"/ep{}.mp3\"/>", i % 12))
        .collect();
    let it = items(&atom.replace(
        "<link rel=\"enclosure\" type=\"audio/mpeg\" length=\"2000\" href=\"https://a.example/ep.mp3\"/>",
        &many,
    ));
    assert_eq!(it[0].enclosures.len(), 10);
    let long_link = format!("https://r.example/{}", "a".repeat(3_000));
    let rss = format!(
        r#"<rss version="2.0"><channel><title>T</title><link>https://r.example/c/</link>
<item><title>Long</title><link>{long_link}</link><enclosure url="ep.mp3" length="5" type="audio/mpeg"/></item></channel></rss>"#
    );
    let it = items(&rss);
    assert_eq!(it[0].link, None);
    assert_eq!(it[0].enclosures[0].url, "https://r.example/c/ep.mp3");
}

/// The attachments of the first item of `doc`: URL, type, length.
fn attachments(doc: &str) -> Vec<(String, Option<String>, Option<u64>)> {
    items(doc)[0]
        .enclosures
        .iter()
        .map(|e| (e.url.clone(), e.mime.clone(), e.length))
        .collect()
}

fn attachment(url: &str, mime: &str, length: Option<u64>) -> (String, Option<String>, Option<u64>) {
    (url.to_string(), Some(mime.to_string()), length)
}

// An RSS item's `<enclosure>`s are its attachments beside Media RSS content too (feed-rs keeps
// only the content then), in document order and first, each file once.
#[test]
fn enclosures_beside_media_rss_content_are_kept_first() {
    let podcast = r#"<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>P</title><link>https://p.example/</link>
<item><title>Episode 12</title><link>https://p.example/ep12</link>
<media:content url="https://p.example/img/ep12.jpg" medium="image" type="image/jpeg"/>
<enclosure url="https://cdn.p.example/ep12.mp3" length="34567890" type="audio/mpeg"/>
<enclosure url="https://cdn.p.example/ep12.ogg" length="123" type="audio/ogg"/>
<media:group><media:content url="https://cdn.p.example/ep12.mp3" type="audio/mpeg"/><media:content url="https://cdn.p.example/ep12.m4a" type="audio/mp4"/></media:group>
</item></channel></rss>"#;
    let mut got = attachments(podcast);
    assert_eq!(
        got[..2],
        [
            attachment(
                "https://cdn.p.example/ep12.mp3",
                "audio/mpeg",
                Some(34567890)
            ),
            attachment("https://cdn.p.example/ep12.ogg", "audio/ogg", Some(123)),
        ]
    );
    // The Media RSS ones after them, in the order feed-rs gives its media objects.
    got[2..].sort();
    assert_eq!(
        got[2..],
        [
            attachment("https://cdn.p.example/ep12.m4a", "audio/mp4", None),
            attachment("https://p.example/img/ep12.jpg", "image/jpeg", None),
        ]
    );
    // A relative enclosure is resolved as before, beside Media RSS content too.
    let relative = podcast.replace("https://cdn.p.example/ep12.ogg", "/audio/ep12.ogg");
    assert_eq!(
        attachments(&relative)[1],
        attachment("https://p.example/audio/ep12.ogg", "audio/ogg", Some(123))
    );
}

// A `media:player` names a web page to play the content in, not the content: feed-rs reads
// its url as the `media:content`'s own. The content keeps its own url; one that names none
// is no attachment.
#[test]
fn a_media_player_is_never_an_attachment() {
    let rss = r#"<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>S</title><link>https://s.example/</link>
<item><title>Update</title><link>https://s.example/update</link>
<media:content url="https://traffic.s.example/audio.mp3" type="audio/mpeg"><media:player url="https://s.example/update/embed"/></media:content>
<media:content type="video/mp4"><media:player url="https://s.example/update/video-embed"/></media:content>
<media:content url="https://s.example/cover.jpg" type="image/jpeg"/>
</item></channel></rss>"#;
    assert_eq!(
        attachments(rss),
        [
            attachment("https://traffic.s.example/audio.mp3", "audio/mpeg", None),
            attachment("https://s.example/cover.jpg", "image/jpeg", None),
        ]
    );
    // The same in an Atom entry, beside its enclosure link.
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"><title>A</title><id>urn:a</id><updated>2020-01-01T00:00:00Z</updated>
<entry><title>Clip</title><id>urn:a:1</id><updated>2020-01-01T00:00:00Z</updated><link href="https://a.example/1"/>
<media:group><media:content url="https://a.example/clip.mp4" type="video/mp4"><media:title>x</media:title><media:player url="https://a.example/1/embed"></media:player></media:content></media:group>
</entry></feed>"#;
    assert_eq!(
        attachments(atom),
        [attachment("https://a.example/clip.mp4", "video/mp4", None)]
    );
}

#[test]
fn entries_the_parser_cannot_read_are_counted_in_a_warning() {
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    let c = ctx(&url);
    // RSS 0.90 items with neither a link nor an rdf:about to take one from.
    let rss090 = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/">
<channel><title>Old</title></channel><item><title>Item title</title></item><item><title>Another</title></item></rdf:RDF>"#;
    let feed = parse(rss090.as_bytes(), &c).unwrap();
    assert!(feed.entries.is_empty());
    assert!(
        feed.warnings
            .iter()
            .any(|w| w.starts_with("2 of 2 entries in the document could not be read")),
        "{:?}",
        feed.warnings
    );
    // A whole feed, `<items>` and namespaced names counted right: no warning.
    let feed = parse(RSS.as_bytes(), &c).unwrap();
    assert_eq!(feed.entries.len(), 2);
    assert!(feed.warnings.is_empty(), "{:?}", feed.warnings);
    assert_eq!(
        element_count(
            "<rdf:RDF><items/><rss:item a='1'/><item>x</item></rdf:RDF>",
            &["item"]
        ),
        2
    );
    assert_eq!(
        element_count(
            "<rss><!-- <item>template</item> --><item><description><![CDATA[each story is an <item> element]]></description></item></rss>",
            &["item"]
        ),
        1
    );
    assert_eq!(element_count("<item", &["item"]), 0);
    assert_eq!(element_count("<!-- unclosed <item>", &["item"]), 0);
}

#[test]
fn relative_rss_enclosures_are_resolved_like_links() {
    let rss = r#"<rss version="2.0"><channel><title>T</title><link>https://r.example/news/</link>
<item><title>One</title><link>https://media.r.example/stories/1</link>
<enclosure url="/audio/one.mp3?a=1&amp;b=2" length="5" type="audio/mpeg"/></item>
<item><title>Two</title><enclosure url='two.mp3' type="audio/mpeg"></enclosure></item>
<item><title>Three</title><link>https://r.example/3</link><enclosure url="https://cdn.example/three.mp3" type="audio/mpeg"/></item>
</channel></rss>"#;
    let urls: Vec<Vec<String>> = items(rss)
        .iter()
        .map(|i| i.enclosures.iter().map(|e| e.url.clone()).collect())
        .collect();
    assert_eq!(
        urls,
        [
            vec!["https://media.r.example/audio/one.mp3?a=1&b=2".to_string()],
            vec!["https://r.example/news/two.mp3".to_string()],
            vec!["https://cdn.example/three.mp3".to_string()],
        ]
    );
}

#[test]
fn unescaped_html_and_dublin_core_in_rss_items_are_read() {
    let doc = r#"<?xml version="1.0"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>T</title><link>https://a.example/</link>
<item><title>Raw</title><link>https://a.example/1</link><description><p>Hello <b>world</b> and <a href="/x" onclick="y()">more</a></p></description></item>
<item><title>Cut <em>short</em> title</title><link>https://a.example/2</link><description>Starts as text, <i>then</i> markup</description></item>
<item><dc:title>Naslov R&amp;D</dc:title><link>https://a.example/3</link><dc:description>Opis na srpskom</dc:description></item>
<item><title>Escaped</title><link>https://a.example/4</link><description>&lt;p&gt;Kept &lt;b&gt;as it was&lt;/b&gt;&lt;/p&gt;</description><content:encoded><p>Full <b>body</b></p></content:encoded></item>
</channel></rss>"#;
    let it = items(doc);
    assert_eq!(it.len(), 4);
    assert_eq!(it[0].summary, "Hello world and more");
    let content = it[0].content.as_deref().unwrap();
    assert!(content.contains("<b>world</b>"), "{content}");
    assert!(content.contains("https://a.example/x"), "{content}");
    assert!(!content.contains("onclick"), "{content}");
    assert_eq!(it[1].title, "Cut short title");
    assert_eq!(it[1].summary, "Starts as text, then markup");
    assert_eq!(it[2].title, "Naslov R&D");
    assert_eq!(it[2].summary, "Opis na srpskom");
    assert_eq!(it[3].summary, "Kept as it was");
    assert!(it[3]
        .content
        .as_deref()
        .unwrap()
        .contains("Full <b>body</b>"));
}

#[test]
fn a_feed_without_raw_markup_reads_as_before() {
    // The second pass only ever replaces what feed-rs could not read: RSS with its HTML
    // escaped, or in CDATA, comes out the same whether or not it runs.
    let it = items(RSS);
    assert_eq!(it[0].summary, "Students discussed");
    assert_eq!(it[1].title, "Only a description here");
}

#[test]
fn media_descriptions_stand_in_for_a_missing_summary() {
    let doc = r#"<?xml version="1.0"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>Pod</title><link>https://a.example/</link>
<item><title>Episode 4</title><link>https://a.example/4</link><itunes:summary>Guests discuss the Women's Caucus.</itunes:summary></item>
<item><title>Episode 5</title><link>https://a.example/5</link><description>Own description.</description><itunes:summary>Not this one.</itunes:summary></item>
</channel></rss>"#;
    let it = items(doc);
    assert_eq!(it[0].summary, "Guests discuss the Women's Caucus.");
    assert_eq!(it[1].summary, "Own description.");
}

#[test]
fn rss_1_items_without_a_link_take_their_rdf_about() {
    let doc = r#"<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://a.example/rss"><title>C</title><link>https://a.example/</link><description>d</description></channel>
<item rdf:about="https://a.example/news/1"><title>No link</title><dc:subject>Dijalog</dc:subject></item>
<item rdf:about="https://a.example/about-2"><title>Own link</title><link>https://a.example/news/2</link></item>
<item><title>Neither</title></item>
</rdf:RDF>"#;
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    let feed = parse(doc.as_bytes(), &ctx(&url)).unwrap();
    let it: Vec<NewItem> = feed
        .entries
        .iter()
        .map(|e| normalize(e, &feed, &ctx(&url)))
        .collect();
    assert_eq!(it.len(), 2);
    assert_eq!(it[0].link.as_deref(), Some("https://a.example/news/1"));
    assert_eq!(it[0].categories, vec!["Dijalog".to_string()]);
    assert_eq!(it[1].link.as_deref(), Some("https://a.example/news/2"));
    // The item with neither is still counted as unread.
    assert!(
        feed.warnings.iter().any(|w| w.contains("1 of 3 entries")),
        "{:?}",
        feed.warnings
    );
}

#[test]
fn atom_0_3_feeds_are_read() {
    let doc = r#"<?xml version="1.0" encoding="utf-8"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#" xml:lang="sr">
<title>Stari blog</title><link rel="alternate" type="text/html" href="https://old.example/"/>
<modified>2005-03-01T10:00:00Z</modified>
<entry><title type="text/html" mode="escaped">Dijalog &amp;amp; saradnja</title>
<link rel="alternate" type="text/html" href="https://old.example/2005/03/dijalog.html"/>
<id>tag:old.example,2005:1</id><issued>2005-03-01T09:00:00+01:00</issued><modified>2005-03-01T10:00:00Z</modified>
<author><name>Ana</name></author>
<content type="application/xhtml+xml" mode="xml" xml:base="https://old.example/2005/03/"><div xmlns="http://www.w3.org/1999/xhtml">Radionica o <b>dijalogu</b>, <a href="slike.html">slike</a>.</div></content>
</entry></feed>"#;
    let it = items(doc);
    assert_eq!(it.len(), 1);
    let a = &it[0];
    assert_eq!(a.title, "Dijalog & saradnja");
    assert_eq!(
        a.link.as_deref(),
        Some("https://old.example/2005/03/dijalog.html")
    );
    assert_eq!(a.identity, Identity::Guid("tag:old.example,2005:1".into()));
    assert_eq!(
        a.published.unwrap().to_rfc3339(),
        "2005-03-01T08:00:00+00:00"
    );
    assert_eq!(a.summary, "Radionica o dijalogu, slike.");
    let content = a.content.as_deref().unwrap();
    assert!(content.contains("<b>dijalogu</b>"), "{content}");
    assert!(
        content.contains("https://old.example/2005/03/slike.html"),
        "{content}"
    );
    assert_eq!(a.authors, vec!["Ana".to_string()]);
}

#[test]
fn an_atom_entry_without_authors_has_its_feeds() {
    let doc = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>KSPAG</title><id>urn:x:feed</id>
<updated>2026-02-21T16:20:00Z</updated><author><name>KSPAG Secretariat</name></author>
<entry><title>Roundtable on the dialogue</title><id>urn:x:1</id>
<link href="https://kspag.example/1"/><updated>2026-02-21T16:20:00Z</updated></entry>
<entry><title>Statement</title><id>urn:x:2</id><link href="https://kspag.example/2"/>
<updated>2026-02-20T10:00:00Z</updated><author><name>Ana</name></author></entry>
</feed>"#;
    let it = items(doc);
    assert_eq!(it[0].authors, ["KSPAG Secretariat"]);
    assert_eq!(it[1].authors, ["Ana"]);
    // An RSS channel's editor is no author of its items.
    let rss = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<link>https://t.example/</link><description>d</description>
<managingEditor>ed@t.example (Editor)</managingEditor>
<item><title>Item</title><link>https://t.example/1</link></item></channel></rss>"#;
    assert!(items(rss)[0].authors.is_empty());
}

/// An entry copied from another feed (a Planet's feed: each entry's `<source>` names the feed
/// it came from) and naming no author is by the authors of its `<source>`, then by the
/// aggregating feed's (RFC 4287, 4.2.1); it was credited to the aggregating feed.
#[test]
fn an_atom_entry_without_authors_has_its_sources_before_its_feeds() {
    let doc = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:a="http://www.w3.org/2005/Atom"><title>Planet Partners</title>
<id>urn:p:feed</id><updated>2026-02-21T16:20:00Z</updated><author><name>Planet Admin</name></author>
<entry><title>Women's Caucus meets in Pristina</title><id>urn:p:1</id><link href="https://wc.example/1"/>
<updated>2026-02-21T16:20:00Z</updated>
<source><id>urn:wc</id><title>Women's Caucus</title><author><name> Arta &amp; Jelena </name><email>a@wc.example</email></author>
<author><name>Second</name><name>ignored</name></author><author><email>x@wc.example</email></author></source></entry>
<entry><title>Dialogue brief</title><id>urn:p:2</id><link href="https://kdi.example/2"/>
<updated>2026-02-20T10:00:00Z</updated><author><name>Own Author</name></author>
<source><title>KDI</title><author><name>Source Author</name></author></source></entry>
<entry><title>Festival</title><id>urn:p:3</id><link href="https://c.example/3"/>
<updated>2026-02-19T10:00:00Z</updated><a:source><a:title>Culture</a:title></a:source></entry>
<entry><title>Two sources</title><id>urn:p:5</id><link href="https://c.example/5"/>
<updated>2026-02-17T10:00:00Z</updated><source><author><name>First</name></author></source>
<source><author><name>Second</name></author></source></entry>
<entry><title>Prefixed</title><id>urn:p:4</id><link href="https://c.example/4"/>
<updated>2026-02-18T10:00:00Z</updated><a:source><a:author><a:name>Prefixed Name</a:name></a:author></a:source>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><video><source src="v.mp4"/></video></div></content></entry>
</feed>"#;
    let it = items(doc);
    assert_eq!(it[0].authors, ["Arta & Jelena", "Second"]);
    assert_eq!(it[1].authors, ["Own Author"]);
    // A source naming no author: the aggregating feed's.
    assert_eq!(it[2].authors, ["Planet Admin"]);
    assert_eq!(it[3].authors, ["First"]);
    assert_eq!(it[4].authors, ["Prefixed Name"]);
}

#[test]
fn author_names_lose_the_address_written_beside_them() {
    for (raw, want) in [
        ("Ana Jović (ana@example.com)", "Ana Jović"),
        ("Ana Jović <ana@example.com>", "Ana Jović"),
        ("(Ana Jović)", "Ana Jović"),
        ("ana@example.com (Ana Jović)", "Ana Jović"),
        ("Beogradski centar (BCBP)", "Beogradski centar (BCBP)"),
        ("ana@example.com", "ana@example.com"),
    ] {
        assert_eq!(author_name(raw), want, "{raw}");
    }
}

#[test]
fn c1_controls_are_read_as_windows_1252() {
    let doc = "<rss version=\"2.0\"><channel><title>T</title><link>https://a.example/</link>\
<item><title>Don&#146;t \u{93}quote\u{94}</title><link>https://a.example/1</link>\
<description>&lt;p&gt;It&#146;s \u{85}&lt;/p&gt;</description></item></channel></rss>";
    let it = items(doc);
    assert_eq!(it[0].title, "Don’t “quote”");
    assert_eq!(it[0].summary, "It’s …");
    let escaped = items(&doc.replace("It&#146;s", "It&amp;#146;s"));
    assert_eq!(escaped[0].summary, "It’s …");
    assert!(it[0].content.as_deref().unwrap().contains("It’s …"));
    assert_eq!(
        html::fix_c1_controls("Ćirilica «x» ë".into()),
        "Ćirilica «x» ë"
    );
}

#[test]
fn entries_keep_their_own_language() {
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en"><title>W</title><id>urn:w</id><updated>2020-01-01T00:00:00Z</updated>
<entry xml:lang="sq"><title>Grupi i Grave Deputete</title><id>urn:w:1</id><updated>2020-01-01T00:00:00Z</updated><link href="https://w.example/1"/></entry>
<entry><title>Women's Caucus</title><id>urn:w:2</id><updated>2020-01-01T00:00:00Z</updated><link href="https://w.example/2"/></entry></feed>"#;
    let langs: Vec<_> = items(atom).into_iter().map(|i| i.lang).collect();
    assert_eq!(langs, [Some("sq".to_string()), Some("en".to_string())]);

    let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"K","language":"en","items":[
      {"id":"1","url":"https://k.example/1","title":"Targat e automjeteve","content_text":"x","language":"sq"},
      {"id":"2","url":"https://k.example/2","title":"Plates","content_text":"y"}]}"#;
    let langs: Vec<_> = items(json).into_iter().map(|i| i.lang).collect();
    assert_eq!(langs, [Some("sq".to_string()), Some("en".to_string())]);

    let rss = r#"<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>M</title><link>https://m.example/</link><language>sr-Cyrl</language>
<item><title>Exit festival announces its programme</title><link>https://m.example/1</link><description>x</description><dc:language>en</dc:language></item>
<item><title>Наслов</title><link>https://m.example/2</link><description>y</description></item></channel></rss>"#;
    let langs: Vec<_> = items(rss)
        .into_iter()
        .map(|i| i.lang.unwrap().to_ascii_lowercase())
        .collect();
    assert_eq!(langs, ["en", "sr-cyrl"]);
}

#[test]
fn review_findings_on_the_new_passes_hold() {
    // An Atom 0.3 link with a query keeps its `&` as written (escaped once).
    let atom03 = r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Old</title>
<entry><title>T</title><link rel="alternate" type="text/html" href="http://x.example/view?id=1&amp;page=2"/><id>tag:x,2005:1</id></entry></feed>"#;
    assert_eq!(
        items(atom03)[0].link.as_deref(),
        Some("http://x.example/view?id=1&page=2")
    );
    // An Atom 1.0 feed that merely declares the old namespace is not rewritten.
    let atom10 = r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:old="http://purl.org/atom/ns#"><title>N</title><id>urn:n</id><updated>2020-01-01T00:00:00Z</updated>
<entry><title>T</title><id>urn:n:1</id><updated>2020-01-01T00:00:00Z</updated><link href="https://n.example/1"/><content type="html">&lt;p&gt;Hello&lt;/p&gt;</content></entry></feed>"#;
    assert_eq!(items(atom10)[0].summary, "Hello");
    // One entry's own language, with none on the root, counts.
    let one = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>W</title><id>urn:w</id><updated>2020-01-01T00:00:00Z</updated>
<entry xml:lang="sq"><title>Një</title><id>urn:w:1</id><updated>2020-01-01T00:00:00Z</updated><link href="https://w.example/1"/></entry></feed>"#;
    assert_eq!(items(one)[0].lang.as_deref(), Some("sq"));
    let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"K","items":[{"id":"1","url":"https://k.example/1","content_text":"x","language":"sq"}]}"#;
    assert_eq!(items(json)[0].lang.as_deref(), Some("sq"));
    // An empty `<description/>` does not hide the next item's unescaped markup.
    let rss = r#"<rss version="2.0"><channel><title>R</title><link>https://r.example/</link>
<item><title>One</title><link>https://r.example/1</link><description/><pubDate>Tue, 25 Feb 2020 10:00:00 GMT</pubDate></item>
<item><title>Two</title><link>https://r.example/2</link><description>Hello <b>world</b> again</description><pubDate>Tue, 25 Feb 2020 11:00:00 GMT</pubDate></item>
</channel></rss>"#;
    assert_eq!(items(rss)[1].summary, "Hello world again");
}

#[test]
fn rdf_items_without_an_end_tag_are_looked_at_once() {
    // Each `<item` is searched up to the next one: linear, however many there are.
    let mut doc = String::from(
        r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel rdf:about="x"><title>C</title></channel>"#,
    );
    for i in 0..3 {
        doc.push_str(&format!(
            r#"<item rdf:about="https://a.example/{i}"><title>T{i}</title>"#
        ));
    }
    let linked = link_from_about(&doc).unwrap();
    assert_eq!(linked.matches("<link>").count(), 3);
    assert!(linked
        .contains(r#"<item rdf:about="https://a.example/2"><link>https://a.example/2</link>"#));
}

#[test]
fn an_over_long_xml_base_or_lang_is_not_copied_into_every_element() {
    // A base and a language of a megabyte each over 20,000 elements: copied into each, 40 GB.
    let long = format!("https://a.example/{}", "a".repeat(1 << 20));
    let mut doc = format!(
        r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="{long}" xml:lang="{}"><title>F</title><id>urn:f</id><updated>2026-11-30T10:00:00Z</updated>"#,
        "x".repeat(1 << 20)
    );
    doc.push_str(r#"<entry xml:base="https://b.example/news/" xml:lang="sq"><title>Lajm</title><id>urn:1</id><updated>2026-11-30T10:00:00Z</updated><link href="1.html"/><content type="html">&lt;a href="more.html"&gt;m&lt;/a&gt;</content></entry>"#);
    for i in 0..20_000 {
        doc.push_str(&format!(
            r#"<entry><id>urn:e{i}</id><title>T</title><category term="c"></category></entry>"#
        ));
    }
    doc.push_str("</feed>");
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    let c = ctx(&url);
    let feed = parse(doc.as_bytes(), &c).unwrap();
    assert!(
        feed.warnings
            .iter()
            .any(|w| w.contains("longer than 2048 bytes, was ignored")),
        "{:?}",
        feed.warnings
    );
    let item = normalize(&feed.entries[0], &feed, &c);
    // The entry's own short base and language are read as before.
    assert_eq!(item.link.as_deref(), Some("https://b.example/news/1.html"));
    assert_eq!(item.lang.as_deref(), Some("sq"));
    assert!(
        item.content
            .as_deref()
            .unwrap_or_default()
            .contains("https://b.example/news/more.html"),
        "{:?}",
        item.content
    );
    // The first 5,000 of the 20,001 are read.
    assert_eq!(feed.entries.len(), 5_000);
    // Short bases stay as they are; a long one is cut wherever its characters fall.
    assert_eq!(
        bases(r#"<feed xml:base="https://a.example/">"#).rewritten,
        None
    );
    let cyrillic = format!(
        r#"<feed xml:base="https://a.example/{}">"#,
        "г".repeat(3000)
    );
    assert_eq!(
        bases(&cyrillic).rewritten.as_deref(),
        Some(r#"<feed xml:base="">"#)
    );
}

#[test]
fn an_item_keeps_its_first_twenty_distinct_categories_of_however_many() {
    // 100,000 categories and as many `dc:subject`s, each compared once (against the others
    // they would be 10^10 comparisons).
    let mut doc = String::from(
        r#"<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>P</title><item><title>Many tags</title><guid>1</guid><category>Dialogue</category><category>Dialogue</category>"#,
    );
    for i in 0..100_000 {
        doc.push_str(&format!(
            "<category>c{i}</category><dc:subject>s{i}</dc:subject>"
        ));
    }
    doc.push_str("</item></channel></rss>");
    let got = items(&doc);
    let categories = &got[0].categories;
    assert_eq!(categories.len(), 20);
    assert_eq!(categories[0], "Dialogue");
    assert_eq!(categories[1], "c0");
}

/// A category is named by its label, else its term (a blank label names nothing); letter-case
/// variants are one category and take one of the twenty places. The entry's hash reads the
/// terms, as stories stored before were hashed.
#[test]
fn categories_are_named_by_label_once_whatever_the_case() {
    let atom = |label: &str| {
        let mut doc = String::from(
            r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>F</title><id>urn:f</id><updated>2026-11-01T00:00:00Z</updated><entry><id>urn:e</id><title>E</title><updated>2026-11-01T00:00:00Z</updated>"#,
        );
        doc.push_str(&format!(
            r#"<category term="diplomas" label="{label}"/><category term="t1" label="   "/>"#
        ));
        for c in ["Alpha", "alpha", "ALPHA", "Beta", "beta"] {
            doc.push_str(&format!(r#"<category term="{c}"/>"#));
        }
        for i in 0..20 {
            doc.push_str(&format!(
                r#"<category term="c{i}"/><category term="C{i}"/>"#
            ));
        }
        doc.push_str("</entry></feed>");
        doc
    };
    let got = items(&atom("Diplomas"));
    let categories = &got[0].categories;
    assert_eq!(categories.len(), 20);
    assert_eq!(categories[..5], ["Diplomas", "t1", "Alpha", "Beta", "c0"]);
    assert_eq!(categories[19], "c15");
    let relabelled = items(&atom("Recognition of diplomas"));
    assert_eq!(got[0].content_hash, relabelled[0].content_hash);
    assert_eq!(relabelled[0].categories[0], "Recognition of diplomas");
}

/// A JSON Feed whose values are of another type than the spec's where a string belongs (a
/// number id, numbers and nulls among the tags, a null title) is read, not refused whole.
#[test]
fn a_json_feed_with_values_of_the_wrong_type_is_read() {
    let doc = r#"{"version": "https://jsonfeed.org/version/1.1", "title": "P",
        "items": [
            {"id": 123, "url": "https://p.example/a", "title": null,
             "content_text": "First story text.", "tags": ["Vesti", 42, null, {"x": 1}]},
            {"id": "b", "url": "https://p.example/b", "title": "Second", "content_text": "B"}
        ]}"#;
    let url = Url::parse("http://127.0.0.1:8000/feed.json").unwrap();
    let c = ctx(&url);
    let feed = parse(doc.as_bytes(), &c).unwrap();
    assert_eq!(feed.entries.len(), 2);
    assert!(
        feed.warnings
            .iter()
            .any(|w| w.contains("JSON Feed values of the wrong type")),
        "{:?}",
        feed.warnings
    );
    let got = items(doc);
    assert_eq!(got[0].categories, ["Vesti", "42"]);
    assert_eq!(got[1].title, "Second");
    // The feed's own title, which the reader requires, null: read as empty.
    let untitled = r#"{"version": "https://jsonfeed.org/version/1.1", "title": null,
        "items": [{"id": "a", "content_text": "x"}]}"#;
    assert_eq!(parse(untitled.as_bytes(), &c).unwrap().entries.len(), 1);
    // People and attachments of the wrong shape, an item that is no object.
    let shapes = r#"{"version": "https://jsonfeed.org/version/1.1", "title": "P",
        "authors": "Desk",
        "items": ["a string", null,
            {"id": "a", "content_text": "x", "author": "Jane", "authors": ["Jane", 5, {"name": 7}],
             "attachments": [{"url": 5}, "x", {"url": "https://p.example/a.mp3", "mime_type": "audio/mpeg", "size_in_bytes": "big"}]},
            {"id": "b", "content_text": "y", "attachments": "x"}]}"#;
    let feed = parse(shapes.as_bytes(), &c).unwrap();
    assert_eq!(feed.entries.len(), 2);
    let got = items(shapes);
    assert_eq!(got[0].authors, ["Jane", "7"]);
    assert_eq!(got[0].enclosures.len(), 1);
    assert_eq!(got[0].enclosures[0].url, "https://p.example/a.mp3");
    // Valid JSON that is no feed at all is still refused.
    assert!(parse(br#"{"items": 5}"#, &c).is_err());
}

#[test]
fn an_entry_with_nothing_to_title_it_by_is_left_untitled() {
    // No title, no text, no link: an episode known by its GUID and its file. Its title is
    // empty, for each output to say in its readers' language, not an English "(untitled)".
    let doc = r#"<rss version="2.0"><channel><title>Podcast</title>
<item><guid isPermaLink="false">ep-7</guid><enclosure url="https://p.example/7.mp3" type="audio/mpeg" length="1"/></item>
<item><guid isPermaLink="false">ep-8</guid><link>https://p.example/ep/8</link></item>
</channel></rss>"#;
    let got = items(doc);
    assert_eq!(got[0].title, "");
    assert_eq!(got[0].enclosures.len(), 1);
    // A link is still a title when there is nothing else.
    assert_eq!(got[1].title, "https://p.example/ep/8");
}

#[test]
fn a_title_is_derived_from_the_start_of_a_text_however_long() {
    // Sentences of no words, and a full stop before a run of closing brackets: the
    // segmenter would look to the end of the text for each of them. Read from the first
    // 1,000 characters only, however long the text (seconds to days otherwise).
    let marks = "#! ".repeat(1_000_000);
    let title = derive_title(&marks, None);
    assert!(
        title.starts_with("#! #! #!") && title.ends_with('…'),
        "{title}"
    );
    assert!(title.chars().count() <= 101, "{title}");
    let brackets = format!("x.{}", ")".repeat(3_000_000));
    assert!(derive_title(&brackets, None).starts_with("x.)))"));
    // An ordinary text: its first sentence of three words or more.
    let story = format!(
        "Dr. Ana Marković govorila je u Prištini. {}",
        "Druga rečenica. ".repeat(100_000)
    );
    assert_eq!(
        derive_title(&story, None),
        "Dr. Ana Marković govorila je u Prištini"
    );
}

#[test]
fn item_tags_that_never_end_are_passed_over_once() {
    // Two megabytes of `<item` that never close, then a real item: the search for each tag's
    // end stops at the next `<`, so the pass stays linear (scanning to the end of the
    // document from each of the 400,000 starts would take minutes), and the real item still
    // gets its link.
    let mut doc = String::from(
        r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" rdf:about="x">"#,
    );
    doc.push_str(&"<item".repeat(200_000));
    doc.push_str(&"<item ".repeat(200_000));
    doc.push_str(r#"<item rdf:about="https://a.example/1"><title>T</title></item></rdf:RDF>"#);
    let linked = link_from_about(&doc).unwrap();
    assert_eq!(linked.matches("<link>").count(), 1);
    assert!(linked
        .contains(r#"<item rdf:about="https://a.example/1"><link>https://a.example/1</link>"#));
    assert_eq!(
        linked.len(),
        doc.len() + "<link>https://a.example/1</link>".len()
    );
}

#[test]
fn relative_enclosures_resolve_per_item_and_broken_tags_are_skipped() {
    let url = Url::parse("http://127.0.0.1:8000/feeds/x.xml").unwrap();
    let doc = r#"<rss version="2.0"><channel><title>P</title><link>https://p.example/</link>
<item><link>https://p.example/ep/1/</link><enclosure url="a.mp3" type="audio/mpeg"/><enclosure url="b.mp3" type="audio/mpeg"/></item>
<item><link>/ep/2/</link><enclosure url="c.mp3" type="audio/mpeg"/>
<item><enclosure url="d.mp3" <enclosure url="e.mp3" type="audio/mpeg"/></item>
</channel></rss>"#;
    let out = absolute_enclosures(doc, Some(&url)).unwrap();
    for want in [
        r#"url="https://p.example/ep/1/a.mp3""#,
        r#"url="https://p.example/ep/1/b.mp3""#,
        // The second item has no end tag: it ends where the third starts.
        r#"url="https://p.example/ep/2/c.mp3""#,
        // A tag cut short by another is left as it is; the next one resolves.
        r#"<enclosure url="d.mp3" <enclosure url="https://p.example/e.mp3""#,
    ] {
        assert!(out.contains(want), "{want} not in {out}");
    }
}

#[test]
fn a_summary_is_the_text_of_the_sanitized_body_or_of_the_body_when_none_is_left() {
    let doc = r#"<?xml version="1.0"?>
<rss version="2.0"><channel><title>T</title><link>https://a.example/</link>
<item><title>One</title><link>https://a.example/1</link><description><![CDATA[<p>Kept &amp; read</p><iframe src="https://v.example/">Your browser has no frames</iframe><p title="a &gt; b">Last</p>]]></description></item>
<item><title>Two</title><link>https://a.example/2</link><description><![CDATA[<svg><title>Chart of the votes</title><circle r="5"/></svg>]]></description></item>
</channel></rss>"#;
    let it = items(doc);
    // The frame's fallback is neither in the body nor in its summary.
    assert_eq!(it[0].summary, "Kept & read Last");
    assert!(!it[0].content.as_deref().unwrap().contains("frames"));
    // The sanitizer leaves nothing of the drawing; its text still makes the summary.
    assert_eq!(it[1].content, None);
    assert_eq!(it[1].summary, "Chart of the votes");
}

fn rss_item(item: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>T</title><link>https://r.example/</link>\n\
         <item>{item}</item>\n</channel></rss>"
    )
}

/// feed-rs keeps a named entity XML does not define (`&eacute;`, `&nbsp;`) as it is written,
/// and titles and summaries are read as HTML, which defines it: such a feed needs no repair.
#[test]
fn html_entities_xml_does_not_define_are_decoded_without_a_repair() {
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    let c = ctx(&url);
    let doc = rss_item(
        "<title>Caf&eacute; &amp; cr&egrave;me&nbsp;br&ucirc;l&eacute;e</title>\
         <link>https://r.example/1?a=1&amp;b=2</link><description>&copy; 2020 &mdash; all</description>",
    );
    let feed = parse(doc.as_bytes(), &c).unwrap();
    assert!(feed.warnings.is_empty(), "{:?}", feed.warnings);
    let it = normalize(&feed.entries[0], &feed, &c);
    assert_eq!(it.title, "Café & crème brûlée");
    assert_eq!(it.link.as_deref(), Some("https://r.example/1?a=1&b=2"));
    assert_eq!(it.summary, "© 2020 — all");
}

#[test]
fn bare_ampersands_are_read_as_text_and_said_in_a_warning() {
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    let c = ctx(&url);
    let doc = rss_item(
        "<title>Trade & investment report</title><link>http://r.example/q?a=1&b=2</link>\
         <description><![CDATA[<p>R&D &amp; more</p>]]> R&amp;D & co</description>",
    );
    let feed = parse(doc.as_bytes(), &c).unwrap();
    assert_eq!(feed.entries.len(), 1);
    assert_eq!(
        feed.warnings,
        ["3 `&` not starting an entity or character reference read as text (XML wants `&amp;`)"]
    );
    let it = normalize(&feed.entries[0], &feed, &c);
    assert_eq!(it.title, "Trade & investment report");
    assert_eq!(it.link.as_deref(), Some("http://r.example/q?a=1&b=2"));
    // The CDATA section was left as written; the `&amp;`s outside it read as one `&` each.
    assert_eq!(it.summary, "R&D & more R&D & co");
    // A link that is all there is, in a title too.
    let doc = rss_item("<title>Q&A</title><link>https://r.example/?a=1&b=2&c</link>");
    let it = items(&doc);
    assert_eq!(it[0].title, "Q&A");
    assert_eq!(it[0].link.as_deref(), Some("https://r.example/?a=1&b=2&c"));

    // Atom, 1.0 and 0.3 (which is rewritten once it can be read).
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>A & B</title>
<entry><id>tag:a.example,2020:1</id><title>Fish & chips</title><link href="https://a.example/1?x=1&y=2"/><updated>2020-02-01T00:00:00Z</updated></entry></feed>"#;
    let it = items(atom);
    assert_eq!(it[0].title, "Fish & chips");
    assert_eq!(it[0].link.as_deref(), Some("https://a.example/1?x=1&y=2"));
    let atom03 = r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Old</title>
<entry><id>tag:old.example,2005:1</id><title>Salt & pepper</title><link rel="alternate" type="text/html" href="https://old.example/1"/>
<issued>2005-01-01T00:00:00Z</issued><modified>2005-01-02T00:00:00Z</modified></entry></feed>"#;
    let it = items(atom03);
    assert_eq!(it[0].title, "Salt & pepper");
    assert_eq!(it[0].link.as_deref(), Some("https://old.example/1"));
    assert_eq!(
        it[0].published.map(|d| d.to_rfc3339()).as_deref(),
        Some("2005-01-01T00:00:00+00:00")
    );
}

#[test]
fn character_references_that_are_no_character_are_read_as_text() {
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    let c = ctx(&url);
    let doc = rss_item("<title>&#X41; and &#12a; &#0;</title><link>https://r.example/1</link>");
    let feed = parse(doc.as_bytes(), &c).unwrap();
    assert_eq!(feed.warnings.len(), 1, "{:?}", feed.warnings);
    let it = normalize(&feed.entries[0], &feed, &c);
    // Read as HTML reads them: `&#X41;` is an `A` there.
    assert_eq!(it.title, "A and &#12a; &#0;");
}

#[test]
fn a_document_that_stays_unreadable_says_where() {
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    let c = ctx(&url);
    let broken = rss_item("<title>A & B</title><link>https://r.example/1</link></itme>");
    let err = parse(format!("\n\n  {broken}").as_bytes(), &c)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("not a valid feed: unable to parse XML")
            && err.contains("</itme>")
            && err.ends_with(" at line 5, column 59"),
        "{err}"
    );
    // After a byte order mark and Cyrillic text, the same place: quick-xml does not count
    // the mark, and the column is in characters.
    let broken = rss_item("<title>Ђ</title><link>https://r.example/1</link></itme>");
    let err = parse(format!("\u{feff}\n\n  {broken}").as_bytes(), &c)
        .unwrap_err()
        .to_string();
    assert!(err.ends_with(" at line 5, column 55"), "{err}");
    // Not an XML error: no position to give.
    let err = parse(b"<foo/>", &c).unwrap_err().to_string();
    assert!(!err.contains("line"), "{err}");
}

#[test]
fn a_serbian_feeds_stories_are_filed_under_the_script_they_are_written_in() {
    let doc = "<?xml version=\"1.0\"?>\n<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>T</title>\
               <link>https://r.example/</link><language>sr-RS</language>\
               <item><title>Посланице траже већу заступљеност жена</title><link>https://r.example/1</link></item>\
               <item><title>Poslanice traže veću zastupljenost žena</title><link>https://r.example/2</link></item>\
               <item><title>NIN</title><link>https://r.example/3</link></item>\
               <item><title>Hello</title><link>https://r.example/4</link><dc:language>EN-gb</dc:language></item>\
               </channel></rss>";
    let langs: Vec<Option<String>> = items(doc).into_iter().map(|i| i.lang).collect();
    assert_eq!(
        langs,
        [
            Some("sr-Cyrl-RS".to_string()),
            Some("sr-Latn-RS".to_string()),
            // Too little text to tell, and the source (English) names no script.
            Some("sr-RS".to_string()),
            Some("en-GB".to_string()),
        ]
    );
}

#[test]
fn dates_without_a_zone_are_read_in_the_sources_zone_in_every_format() {
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    let dc = "http://purl.org/dc/elements/1.1/";
    let docs = [
        format!(
            r#"<rss version="2.0" xmlns:dc="{dc}"><channel><title>T</title>
<item><title>A</title><link>https://a.example/1</link><pubDate>23.11.2019 10:00</pubDate></item>
<item><title>B</title><link>https://a.example/2</link><dc:date>2019-07-01T10:00:00</dc:date></item>
</channel></rss>"#
        ),
        r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:t</id>
<entry><title>A</title><id>urn:a</id><link href="https://a.example/1"/><updated>2019-11-23T10:00:00</updated></entry>
<entry><title>B</title><id>urn:b</id><link href="https://a.example/2"/><updated>2019-07-01T10:00:00</updated></entry>
</feed>"#
            .to_string(),
        r#"{"version":"https://jsonfeed.org/version/1.1","title":"T","items":[
{"id":"1","url":"https://a.example/1","title":"A","content_text":"x","date_published":"2019-11-23T10:00:00"},
{"id":"2","url":"https://a.example/2","title":"B","content_text":"y","date_published":"2019-07-01T10:00:00"}]}"#
            .to_string(),
    ];
    for doc in &docs {
        let dates = |zone| {
            let c = Context {
                time_zone: zone,
                ..ctx(&url)
            };
            let feed = parse(doc.as_bytes(), &c).unwrap();
            feed.entries
                .iter()
                .map(|e| normalize(e, &feed, &c).published.unwrap().to_rfc3339())
                .collect::<Vec<_>>()
        };
        // Winter in Belgrade is UTC+1, summer UTC+2.
        assert_eq!(
            dates(Some(chrono_tz::Europe::Belgrade)),
            ["2019-11-23T09:00:00+00:00", "2019-07-01T08:00:00+00:00"],
            "{doc}"
        );
        assert_eq!(
            dates(None),
            ["2019-11-23T10:00:00+00:00", "2019-07-01T10:00:00+00:00"],
            "{doc}"
        );
    }
}

#[test]
fn derived_titles_end_at_a_sentence_not_at_every_full_stop() {
    let titled = |text: &str| {
        let doc = RSS.replace("Only a description here. And more text after it.", text);
        items(&doc).remove(1).title
    };
    // A date in Serbian and a version number hold full stops that end no sentence.
    assert_eq!(
        titled("Dana 15. marta održana je konferencija u Beogradu. Učesnici su govorili."),
        "Dana 15. marta održana je konferencija u Beogradu"
    );
    assert_eq!(
        titled("Feeds are served as RSS 2.0 allows. More follows."),
        "Feeds are served as RSS 2.0 allows"
    );
    // An abbreviation before a capital is read past until the title has a few words.
    assert_eq!(
        titled("Dr. Ana Petrović je govorila o dijalogu. Zatim je usledila diskusija."),
        "Dr. Ana Petrović je govorila o dijalogu"
    );
    assert_eq!(titled("Pse? Sepse po. Dhe më tej."), "Pse? Sepse po");
    assert_eq!(
        titled("Да ли је дијалог завршен? Не."),
        "Да ли је дијалог завршен?"
    );
}

/// A summary or body longer than [`MAX_ENTRY_TEXT`] is cut to it, with a warning: the HTML
/// parser's time grows with the square of some markup's length. A tag the cut leaves
/// unfinished is dropped, the elements left open are closed.
#[test]
fn entries_texts_are_cut_to_their_longest_with_a_warning() {
    let long = format!(
        "<p>{}</p><p><img src=\"https://e.example/picture.png\"></p>",
        "word ".repeat((MAX_ENTRY_TEXT - 40) / 5)
    );
    assert!(long.len() > MAX_ENTRY_TEXT);
    let doc = format!(
        r#"<rss version="2.0"><channel><title>t</title>
      <item><title>Long</title><guid>1</guid><description><![CDATA[{long}]]></description></item>
      <item><title>Short</title><guid>2</guid><description><![CDATA[<p>A short <b>one</b>.</p>]]></description></item>
      </channel></rss>"#
    );
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    let c = ctx(&url);
    let feed = parse(doc.as_bytes(), &c).unwrap();
    assert_eq!(
        feed.warnings,
        ["1 entry's text was longer than 256 KiB cut to that length"]
    );
    let items: Vec<NewItem> = feed
        .entries
        .iter()
        .map(|e| normalize(e, &feed, &c))
        .collect();
    let cut = items[0].content.as_deref().unwrap();
    assert!(cut.len() <= MAX_ENTRY_TEXT, "{}", cut.len());
    assert!(cut.starts_with("<p>word word"), "{}", &cut[..40]);
    assert!(cut.ends_with("</p>"), "{}", &cut[cut.len() - 40..]);
    assert!(!cut.contains("<img"));
    assert_eq!(
        items[1].content.as_deref(),
        Some("<p>A short <b>one</b>.</p>")
    );
    // A media description, which stands in for a missing summary, too.
    let media = format!(
        r#"<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>t</title>
      <item><title>Video</title><guid>1</guid><media:content url="https://e.example/v.mp4" type="video/mp4"><media:description type="html"><![CDATA[{long}]]></media:description></media:content></item>
      </channel></rss>"#
    );
    let feed = parse(media.as_bytes(), &c).unwrap();
    assert_eq!(
        feed.warnings,
        ["1 entry's text was longer than 256 KiB cut to that length"]
    );
    let item = normalize(&feed.entries[0], &feed, &c);
    assert!(item.content.as_deref().unwrap().len() <= MAX_ENTRY_TEXT);
}

/// The warnings of `feed` that say `what`.
fn saying<'f>(feed: &'f ParsedFeed, what: &str) -> Vec<&'f String> {
    feed.warnings.iter().filter(|w| w.contains(what)).collect()
}

/// An RSS document of far more items than are read is cut before the reader builds them
/// all: it reads the first 5,000, from a document as well-formed as it was, and says so once.
#[test]
fn a_document_of_far_more_entries_is_cut_before_it_is_read() {
    let mut doc = String::from(
        r#"<rss version="2.0"><channel><title>t</title><link>https://e.example/</link>"#,
    );
    for i in 0..5_000 {
        doc.push_str(&format!(
            "<item><title>T{i}</title><guid>g{i}</guid></item>\n"
        ));
    }
    // Tags of every form past the first 5,000: each is cut.
    for i in 0..3_000 {
        doc.push_str(&format!(
            "<item ><guid>h{i}</guid></item><item/><item a=\"/>\" /><!-- <item> -->\n"
        ));
    }
    doc.push_str("<image><url>https://e.example/i.png</url></image></channel></rss>");
    let (cut, said) = caps::cut(&doc).unwrap().unwrap();
    assert_eq!(
        said,
        ["the document has 14000 entries: the first 5000 were read"]
    );
    assert_eq!(cut.matches("<guid>").count(), 5_000);
    assert!(
        cut.contains("<guid>g4999</guid></item>\n<!-- <item> -->\n<image>"),
        "{}",
        &cut[cut.len() - 200..]
    );
    assert!(cut.ends_with("</image></channel></rss>"));
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    let feed = parse(doc.as_bytes(), &ctx(&url)).unwrap();
    assert_eq!(feed.entries.len(), 5_000);
    assert_eq!(feed.entries[4_999].identity, Identity::Guid("g4999".into()));
    assert_eq!(saying(&feed, "entries").len(), 1, "{:?}", feed.warnings);

    // RSS 1.0's items under the root, Atom's entries (prefixed or not), cut alike.
    let mut rdf = String::from(
        r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel rdf:about="x"><title>C</title><link>https://e.example/</link></channel>"#,
    );
    for i in 0..6_000 {
        rdf.push_str(&format!(
            r#"<item rdf:about="https://e.example/{i}"><title>T{i}</title><link>https://e.example/{i}</link></item>"#
        ));
    }
    rdf.push_str("</rdf:RDF>");
    let feed = parse(rdf.as_bytes(), &ctx(&url)).unwrap();
    assert_eq!(feed.entries.len(), 5_000);
    assert_eq!(
        saying(&feed, "entries"),
        ["the document has 6000 entries: the first 5000 were read"]
    );
    let mut atom = String::from(
        r#"<a:feed xmlns:a="http://www.w3.org/2005/Atom"><a:title>F</a:title><a:id>urn:f</a:id><a:updated>2026-11-30T10:00:00Z</a:updated>"#,
    );
    atom.push_str(&"<a:entry><a:id>urn:e</a:id><a:title>T</a:title></a:entry>".repeat(6_000));
    atom.push_str("</a:feed>");
    let (cut, _) = caps::cut(&atom).unwrap().unwrap();
    assert_eq!(cut.matches("<a:entry>").count(), 5_000);
    assert!(cut.ends_with("</a:entry></a:feed>"));
    // The feed's own elements among the entries cut stay.
    let entry = "<a:entry><a:id>urn:e</a:id><a:title>T</a:title></a:entry>";
    let among = atom.replacen(
        &entry.repeat(2),
        &format!("{entry}<a:author><a:name>Desk</a:name></a:author>{entry}"),
        1,
    );
    let among = among.replacen(
        &entry.repeat(5_500),
        &format!(
            "{}{}",
            entry.repeat(5_500),
            "<a:author><a:name>Late</a:name></a:author>"
        ),
        1,
    );
    let (cut, _) = caps::cut(&among).unwrap().unwrap();
    assert_eq!(cut.matches("<a:entry>").count(), 5_000);
    assert!(
        cut.contains("<a:name>Desk</a:name>")
            && cut.contains("</a:entry><a:author><a:name>Late</a:name></a:author></a:feed>"),
        "{}",
        &cut[cut.len() - 200..]
    );

    // Elements so named deeper than a feed's entries are not its entries: nothing is cut.
    let deep = format!(
        r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>F</title><entry><id>urn:1</id><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">{}</div></content></entry></feed>"#,
        "<item/>".repeat(6_000)
    );
    assert_eq!(caps::cut(&deep), Ok(None));
    // A document that ends before its channel does is cut as far as its entries end.
    let unended = format!(
        r#"<rss version="2.0"><channel><title>t</title>{}<item><title>half"#,
        "<item><title>x</title></item>".repeat(6_000)
    );
    let (cut, said) = caps::cut(&unended).unwrap().unwrap();
    assert_eq!(cut.matches("<item>").count(), 5_001);
    assert!(cut.ends_with("</item><item><title>half"));
    assert_eq!(
        said,
        ["the document has 6001 entries: the first 5000 were read"]
    );
}

/// A JSON Feed of far more items than are read, or of more authors than are kept for an item
/// or the feed (whose authors are each item's that names none), is cut before the reader
/// builds them all, and says what it left out.
#[test]
fn a_json_feed_of_far_more_items_or_authors_is_cut_before_it_is_read() {
    let url = Url::parse("http://127.0.0.1:8000/feed.json").unwrap();
    let c = ctx(&url);
    let list =
        |n: usize, one: &dyn Fn(usize) -> String| (0..n).map(one).collect::<Vec<_>>().join(",");
    let doc = format!(
        r#"{{"version":"https://jsonfeed.org/version/1.1","title":"T","items":[{}]}}"#,
        list(12_000, &|i| format!(
            r#"{{"id":"i{i}","content_text":"x"}}"#
        ))
    );
    let (cut, _) = caps::cut(&doc).unwrap().unwrap();
    let kept: serde_json::Value = serde_json::from_str(&cut).unwrap();
    assert_eq!(kept["items"].as_array().map(Vec::len), Some(5_000));
    let feed = parse(doc.as_bytes(), &c).unwrap();
    assert_eq!(feed.entries.len(), 5_000);
    assert_eq!(feed.entries[4_999].identity, Identity::Guid("i4999".into()));
    assert_eq!(
        saying(&feed, "entries"),
        ["the document has 12000 entries: the first 5000 were read"]
    );

    let authors = |n: usize| {
        list(n, &|i| {
            format!(r#"{{"name":"a{i}","url":"https://a.example/{i}"}}"#)
        })
    };
    let doc = format!(
        r#"{{"version":"https://jsonfeed.org/version/1.1","title":"T","authors":[{}],"items":[
            {{"id":"1","content_text":"x","authors":[{}]}},
            {{"id":"2","content_text":"y"}},
            {{"id":"3","content_text":"z","author":{{"name":"Jane"}}}}]}}"#,
        authors(1_200),
        authors(1_500)
    );
    let feed = parse(doc.as_bytes(), &c).unwrap();
    let names = |e: &RawEntry| {
        e.entry
            .authors
            .iter()
            .filter_map(|p| p.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&feed.entries[0]).len(), caps::MAX_AUTHORS);
    assert_eq!(names(&feed.entries[0])[19], "a19");
    assert_eq!(names(&feed.entries[1]).len(), caps::MAX_AUTHORS);
    assert_eq!(names(&feed.entries[2]), ["Jane"]);
    assert_eq!(
        feed.warnings,
        ["2660 authors past the first 20 of the feed or of an item were left out"]
    );
    // A name of a megabyte among the feed's authors, copied into each item naming none, is
    // cut however few objects the document has, and whatever escapes spell its member.
    for authors in ["authors", "\\u0061uthors"] {
        let doc = format!(
            r#"{{"version":"https://jsonfeed.org/version/1.1","title":"T","{authors}":[{{"name":"{}é"}}],"items":[{}]}}"#,
            "a".repeat(1 << 20),
            list(100, &|i| format!(r#"{{"id":"{i}","content_text":"x"}}"#))
        );
        let feed = parse(doc.as_bytes(), &c).unwrap();
        assert_eq!(feed.entries.len(), 100);
        assert_eq!(names(&feed.entries[99]), ["a".repeat(caps::MAX_PERSON)]);
        assert_eq!(
            feed.warnings,
            ["1 names or addresses of the feed's authors longer than 256 bytes were cut"]
        );
    }
    // Feed authors of ordinary names: read as sent.
    let desk = format!(
        r#"{{"version":"https://jsonfeed.org/version/1.1","title":"T","authors":[{}],"items":[{}]}}"#,
        authors(3),
        list(1_500, &|i| format!(r#"{{"id":"{i}","content_text":"x"}}"#))
    );
    assert_eq!(caps::cut(&desk), Ok(None));
    // Within the bounds, however many objects: the document is read as sent.
    let within = format!(
        r#"{{"version":"https://jsonfeed.org/version/1.1","title":"T","authors":[{}],"items":[{}]}}"#,
        authors(20),
        list(2_000, &|i| format!(
            r#"{{"id":"{i}","authors":[{{"name":"n"}}]}}"#
        ))
    );
    assert_eq!(caps::cut(&within), Ok(None));
    // Values of the wrong type past the cut are left out with their items; those before it
    // are mended.
    let mixed = format!(
        r#"{{"version":"https://jsonfeed.org/version/1.1","title":"T","items":[{}]}}"#,
        list(6_000, &|i| format!(r#"{{"id":{i},"content_text":"x"}}"#))
    );
    let feed = parse(mixed.as_bytes(), &c).unwrap();
    assert_eq!(feed.entries.len(), 5_000);
    assert_eq!(feed.entries[4_999].identity, Identity::Guid("4999".into()));
    assert_eq!(saying(&feed, "wrong type").len(), 1, "{:?}", feed.warnings);
}

/// A JSON document of many objects that is not JSON is refused before the reader builds the
/// items before its error, with the words it refuses a short one with.
#[test]
fn a_json_document_of_many_items_that_is_not_json_is_refused_at_once() {
    let url = Url::parse("http://127.0.0.1:8000/feed.json").unwrap();
    let c = ctx(&url);
    let doc = |n: usize, end: &str| {
        format!(
            r#"{{"version":"https://jsonfeed.org/version/1.1","title":"T","items":[{}{end}"#,
            vec!["{}"; n].join(",")
        )
    };
    let refused = |doc: String| match caps::cut(&doc) {
        Err(ParseError::Invalid(msg)) => msg,
        other => panic!("{other:?}"),
    };
    let unended = refused(doc(6_000, ""));
    assert!(
        unended.starts_with("unable to parse JSON: EOF while parsing a list"),
        "{unended}"
    );
    // A short one, refused by the reader itself, in the same words.
    let short = parse(doc(10, "").as_bytes(), &c).unwrap_err().to_string();
    assert!(
        short.starts_with("not a valid feed: unable to parse JSON: EOF while parsing a list"),
        "{short}"
    );
    let trailing = refused(doc(6_000, "]} x"));
    assert!(trailing.contains("trailing characters"), "{trailing}");
    assert!(parse(doc(10, "]} x").as_bytes(), &c).is_err());
    // A value read only when skipped (a number out of range, a lone surrogate) in a document
    // over the bounds: refused, not read as sent.
    for odd in ["1e400", r#""\udc00""#] {
        let doc = format!(
            r#"{{"version":"https://jsonfeed.org/version/1.1","title":"T","items":[{{"id":"1","x":{odd}}},{}]}}"#,
            vec!["{}"; 6_000].join(",")
        );
        let msg = refused(doc);
        assert!(
            msg.contains("6001 items") && msg.contains("cannot be read"),
            "{msg}"
        );
    }
}

/// Authors written as names alone are authors too: an item or a feed keeps the first 20 of
/// them, and a feed's name alone is cut as its named authors' are.
#[test]
fn authors_written_as_names_alone_are_bounded_too() {
    let url = Url::parse("http://127.0.0.1:8000/feed.json").unwrap();
    let c = ctx(&url);
    let names: Vec<String> = (0..5_000).map(|i| format!(r#""n{i}""#)).collect();
    let doc = format!(
        r#"{{"version":"https://jsonfeed.org/version/1.1","title":"T","items":[{{"id":"1","content_text":"x","authors":[{}]}}]}}"#,
        names.join(",")
    );
    let feed = parse(doc.as_bytes(), &c).unwrap();
    let authors = &feed.entries[0].entry.authors;
    assert_eq!(authors.len(), caps::MAX_AUTHORS);
    assert_eq!(authors[19].name.as_deref(), Some("n19"));
    let doc = format!(
        r#"{{"version":"https://jsonfeed.org/version/1.1","title":"T","author":"{}","items":[{}]}}"#,
        "a".repeat(1 << 20),
        (0..100)
            .map(|i| format!(r#"{{"id":"{i}","content_text":"x"}}"#))
            .collect::<Vec<_>>()
            .join(",")
    );
    let feed = parse(doc.as_bytes(), &c).unwrap();
    assert_eq!(
        feed.entries[99].entry.authors[0]
            .name
            .as_deref()
            .map(str::len),
        Some(caps::MAX_PERSON)
    );
}
