//! Titles and summaries: markup out, the text's own angle brackets and entities kept, C1
//! controls read as windows-1252, a title derived from the text when there is none.

use super::*;
use crate::parse::normalize::derive_title;
use crate::parse::text::plain_prefix;

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
