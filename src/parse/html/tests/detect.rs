//! Telling markup from angle brackets of the text.

use crate::parse::html::looks_like_html;

#[test]
fn markup_is_told_from_angle_brackets_of_the_text() {
    for html in [
        "<b>Bold</b> news",
        "line<br>break",
        "<img src=\"x.jpg\"/> caption",
        "a <!-- note --> b",
        "<P>Upper</P>",
        "x<br/>y",
        // An opening tag with an attribute, closed or not: a reader taking the title for
        // HTML would run it.
        "<svg/onload=alert(1)> News",
        "<a href=\"https://x.example/\">Read",
        "<details open ontoggle=alert(1)>",
    ] {
        assert!(looks_like_html(html), "{html}");
    }
    for text in [
        "Why Vec<T> beats <Box> and the <video> tag",
        "Panel <<Gratë në politikë>> në Prishtinë",
        "Members <under 30> only workshop",
        "a<b and c>d",
        "Mail <foo@example.org>",
        "</not-an-element>",
        "x </b",
        "if a <b = c> then",
        "Tags <x y> and <p class>",
    ] {
        assert!(!looks_like_html(text), "{text}");
    }
}
