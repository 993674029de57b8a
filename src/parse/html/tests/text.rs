//! Plain text: entities decoded, raw text skipped, blocks kept apart, the scan of sanitized
//! markup read as the tokenizer reads it, only as much read as a summary needs, and text cut
//! at a word boundary.

use std::borrow::Cow;

use super::base;
use crate::parse::html::sink::TextSink;
use crate::parse::html::text::collapsed_prefix;
use crate::parse::html::{
    collapse_whitespace, decode_entities, sanitize, sanitized_text_prefix, to_text, to_text_prefix,
    truncate_words,
};

#[test]
fn entities_decode_as_html_escape_decodes_them() {
    for text in [
        "",
        "plain words, no references",
        "Дијалог – Marrëveshja",
        "R&amp;D &ndash; &#8212; &#x2014; &nbsp;",
        "a lone & and &unknown; and &amp",
        "&",
    ] {
        assert_eq!(
            decode_entities(text),
            html_escape::decode_html_entities(text),
            "{text:?}"
        );
    }
    assert!(matches!(decode_entities("no references"), Cow::Borrowed(_)));
}

#[test]
fn text_survives_elements_closed_implicitly_and_skips_raw_text() {
    let page = "<html><head><meta charset=utf-8><title>T</title><body><p>Story &amp; more</p>";
    assert!(to_text(page).ends_with("Story & more"), "{}", to_text(page));
    let svg = "<p>a<svg><path d=x></p><p>rest</p>";
    assert_eq!(to_text(svg), "a rest");
    let raw = "<p>one</p><script>var x = '<p>no</p>';</script><style>p{}</style><p>two</p>";
    assert_eq!(to_text(raw), "one two");
    assert_eq!(to_text("<select><style>x</style></select>ok"), "ok");
}

#[test]
fn the_sanitized_body_reads_as_the_tokenizer_reads_it() {
    let bodies = [
        "<p>Dijalog Beograda i Prištine &amp; radionica.</p>",
        r#"<p title="a > b" class=x>Quoted <a href="/n?a=1&amp;b=2" title='3 > 2'>link</a> text</p>"#,
        "<table><tr><td>one</td><td>two</td></tr></table>after<br>break&nbsp;here",
        "Ženski kokus &lt;b&gt;not a tag&lt;/b&gt; &quot;quoted&quot; &#x416;",
        "<ul><li>Први</li><li>Други</li></ul><h2>Наслов</h2><p>Текст</p>",
        "<p>kept</p><iframe src=\"https://x.example/\">fallback</iframe><noembed>no</noembed>",
        "<xmp><b>literal</b></xmp><script>x</script><style>p{}</style><p>after</p>",
        "<div><p>unclosed <em>emphasis<p>next</div> tail",
        "<img alt=\"a picture\" src=\"a.jpg\"><figure><figcaption>caption</figcaption></figure>",
        "plain words with\tspaces\n and \u{200b}zero\u{200b}width",
        "<p>a<b>b</b>c</p><p>d</p>",
        "<!-- comment --><p>after a comment</p><br/><br/><br/>x",
    ];
    for raw in bodies {
        let clean = sanitize(raw, Some(&base()), None);
        for max in [5, 20, 600] {
            assert_eq!(
                sanitized_text_prefix(&clean, max),
                to_text_prefix(&clean, max),
                "{clean:?} at {max}"
            );
        }
    }
    // html5ever writes the text of these elements unescaped: the scan is right only while
    // the sanitizer lets none of them through, with or without their content.
    for raw_text in [
        "style",
        "script",
        "xmp",
        "iframe",
        "noembed",
        "noframes",
        "plaintext",
        "noscript",
    ] {
        let body = format!("<p>x</p><{raw_text}>1 &lt;b&gt; 2</{raw_text}><p>y</p>");
        let clean = sanitize(&body, None, None);
        assert!(!clean.contains(&format!("<{raw_text}")), "{clean}");
        assert!(!clean.contains("<b>"), "{clean}");
        assert_eq!(
            sanitized_text_prefix(&clean, 600),
            to_text_prefix(&clean, 600),
            "{clean}"
        );
    }
    let long = "<p>Dijalog Beograda i Prištine &amp; radionica.</p>\n".repeat(500);
    let clean = sanitize(&long, None, None);
    assert_eq!(
        sanitized_text_prefix(&clean, 600),
        to_text_prefix(&clean, 600)
    );
    assert!(sanitized_text_prefix(&clean, 600).len() < to_text(&clean).len());
    // Raw-text elements go whole, so the body shows no fallback text the summary leaves out.
    let clean = sanitize(
        "<p>kept</p><iframe>fallback</iframe><xmp>x</xmp>",
        None,
        None,
    );
    assert_eq!(clean, "<p>kept</p>");
    // A `>` inside a quoted attribute value does not end its tag.
    assert_eq!(
        sanitized_text_prefix(r#"<p title="a > b">x</p><br>y"#, 600),
        "x y"
    );
    // A tag cut off at the end of the input ends the text.
    assert_eq!(
        sanitized_text_prefix("<p>text</p><a title=\"x", 600),
        "text"
    );
}

#[test]
fn text_prefix_reads_enough_of_long_markup_and_all_of_short() {
    let para = "<p>Dijalog Beograda i Prištine &amp; radionica.</p>\n";
    let long = para.repeat(2_000);
    let whole = to_text(&long);
    let start = to_text_prefix(&long, 600);
    assert!(start.chars().count() > 600, "{}", start.len());
    assert!(start.len() < whole.len());
    assert!(
        whole.starts_with(&start),
        "the prefix is the start of the whole text"
    );
    // Mostly markup: the cut part has too little text, so all of it is read.
    let heavy = format!("{}<p>end of the text</p>", "<br>".repeat(5_000));
    assert_eq!(to_text_prefix(&heavy, 600), "end of the text");
    assert_eq!(to_text_prefix(para, 600), to_text(para));
}

#[test]
fn the_text_sink_asks_to_stop_once_it_has_its_characters() {
    let sink = TextSink::new(100);
    sink.push(&"word&amp; ".repeat(16));
    assert!(sink.enough().is_ok(), "96 characters are not enough");
    sink.push(&"word&amp; ".repeat(30));
    assert!(
        sink.enough().is_err(),
        "the push that passes 100 characters stops the tokenizer"
    );
    let text = sink.finish();
    assert!(text.starts_with("word& word& "), "{text}");
    assert!(text.chars().count() > 100, "{text}");
    assert!(text.ends_with("word&"), "whole words: {text}");
    let unbounded = TextSink::new(usize::MAX);
    unbounded.push(&"word ".repeat(10_000));
    assert!(unbounded.enough().is_ok(), "to_text reads everything");
    assert_eq!(unbounded.finish().len(), 10_000 * 5 - 1);
    // Text without spaces is taken in long pieces, never cutting an entity.
    let unbroken = TextSink::new(usize::MAX);
    for _ in 0..2_000 {
        unbroken.push("字&#x5B57;");
    }
    assert_eq!(unbroken.finish(), "字".repeat(4_000));
}

#[test]
fn text_collapsed_a_piece_at_a_time_is_the_text_collapsed_whole() {
    let words = [
        "Dijalog",
        "&amp;",
        "\u{a0}\u{a0}",
        "Приштина",
        "zero\u{200b}width",
        "\u{200b}",
        "&#1044;&#1080;",
        "\t\n",
        "&nbsp;",
    ];
    let text: String = (0..3_000)
        .map(|i| words[i * 7 % words.len()])
        .collect::<Vec<_>>()
        .join(" ");
    let whole = collapse_whitespace(&html_escape::decode_html_entities(&text));
    assert_eq!(collapsed_prefix(&text, usize::MAX, true), whole);
    assert_eq!(
        collapsed_prefix(&text, usize::MAX, false),
        collapse_whitespace(&text)
    );
    let start = collapsed_prefix(&text, 600, true);
    assert!(start.chars().count() > 600 && start.chars().count() < 2_000);
    assert!(whole.starts_with(&format!("{start} ")), "whole words");
}

#[test]
fn text_of_html_decodes_entities_and_separates_blocks() {
    assert_eq!(
        to_text(
            "<p>Kosovë&nbsp;&amp; Srbija</p><p>Dijalog <b>nastavljen</b></p><script>x</script>"
        ),
        "Kosovë & Srbija Dijalog nastavljen"
    );
    assert_eq!(to_text("plain   text\n here"), "plain text here");
}

#[test]
fn truncates_at_a_word_boundary() {
    let t = truncate_words(
        "The Women's Caucus met municipal assembly members in Prizren today",
        30,
    );
    assert!(t.ends_with('…'));
    assert!(t.chars().count() <= 31);
    assert!(t.starts_with("The Women's Caucus met"));
}
