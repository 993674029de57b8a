//! The cost guard: markup too costly to parse is told as the parser would read it, and
//! keeps its text alone.

use super::base;
use crate::parse::html::cost::too_costly;
use crate::parse::html::{sanitize, to_text_prefix};

/// A body nesting elements by the ten thousand keeps its text, without the parse that
/// would take a core for minutes; paragraphs and list items left open, as old feeds leave
/// them, nest nothing and keep their markup.
#[test]
fn a_body_nested_too_deep_keeps_its_text_alone() {
    let deep = format!("{}Deep & <i>text</i>", "<div>".repeat(50_000));
    assert_eq!(sanitize(&deep, Some(&base()), None), "Deep &amp; text");
    let open_paragraphs = format!("{}<b>end</b>", "<p>Line, <li>item ".repeat(2_000));
    let kept = sanitize(&open_paragraphs, Some(&base()), None);
    assert!(
        kept.starts_with("<p>Line, </p><li>item "),
        "{}",
        &kept[..200]
    );
    assert!(kept.contains("<b>end</b>"), "{}", &kept[kept.len() - 50..]);
    assert!(too_costly(&"<b>".repeat(513)));
    assert!(!too_costly(&"<b>x</b>".repeat(513)));
    // An end tag that names no open element closes nothing, as the parser ignores it; a
    // formatting element's closes it alone; any other closes what was opened in it.
    assert!(too_costly(&"<div></x>".repeat(513)));
    // Such markup's text is read without a stack of elements: no script, style or
    // comment, a `<` that starts no tag as text.
    let stray = format!(
        "{}<style>.ad{{display:none}}</style><script>var t = '<b>';</script>Deep &amp; text, x <3 ok<!-- a > b -->.",
        "<div></x>".repeat(5_000)
    );
    assert_eq!(to_text_prefix(&stray, 100), "Deep & text, x <3 ok .");
    assert_eq!(
        sanitize(&stray, Some(&base()), None),
        "Deep &amp; text, x &lt;3 ok ."
    );
    assert!(too_costly(&"<div></span>".repeat(513)));
    assert!(too_costly(&"<b><div></b>".repeat(513)));
    assert!(!too_costly(&"<div><span>x</div>".repeat(513)));
    assert!(!too_costly(&format!(
        "{}{}",
        "<div>".repeat(400),
        "</DIV><div><b>x</b></div>".repeat(400)
    )));
    // `<div/>` is an open div to HTML; tags in comments, attribute values and text-only
    // elements are none.
    assert!(too_costly(&"<div/>".repeat(513)));
    for hidden in [
        "<div><!--</div>-->",
        r#"<div title="</div>">"#,
        "<div><script></div></script>",
    ] {
        assert!(too_costly(&hidden.repeat(513)), "{hidden}");
    }
    assert!(!too_costly(
        &"<br/><img src=x><svg><path/></svg>".repeat(600)
    ));
    // SVG nests as HTML does; a name runs to a space, `/` or `>` (`<img-x>` is no img);
    // comments end as HTML ends them; an `=` starts no value where a name is due.
    assert!(too_costly(&format!("<svg>{}</svg>", "<g>".repeat(600))));
    assert!(too_costly(&"<img-x>".repeat(600)));
    assert!(too_costly(&format!("<!-->{}-->", "<div>".repeat(600))));
    assert!(too_costly(&format!("<!--x--!>{}", "<div>".repeat(600))));
    assert!(too_costly(&format!("<a =\">{}\">", "<div>".repeat(600))));
    assert!(too_costly(&format!(
        "<a href=?a=\">{}\">",
        "<div>".repeat(600)
    )));
    assert!(!too_costly(&"<a href=\"x\" title='y'>z</a>".repeat(600)));
    assert!(!too_costly(&"<!-- a --><p>x".repeat(600)));
    // Numbers in a table are text; a tag that never ends is one tag.
    assert!(!too_costly(&"<td><5 and <1%</td>".repeat(600)));
    assert!(!too_costly(&format!("<a title=\"{}", "<div>".repeat(600))));
}

/// A tag with thousands of attributes (html5ever compares each name with every one before
/// it) leaves its body's text alone, as markup nested too deep does, whether the tag ends
/// or runs to the end; the attributes real markup has keep the markup.
#[test]
fn a_tag_with_thousands_of_attributes_leaves_the_text_alone() {
    let attributes: String = (0..5_000).map(|i| format!(" data-a{i}=\"x\"")).collect();
    let body = format!("<p>Hello &amp; <b>world</b></p><img src=\"/p.png\"{attributes}><p>end</p>");
    assert_eq!(
        sanitize(&body, Some(&base()), None),
        "Hello &amp; world end"
    );
    assert_eq!(to_text_prefix(&body, 100), "Hello & world end");
    let unended = format!("<p>Hello</p><img{attributes}");
    assert_eq!(sanitize(&unended, Some(&base()), None), "Hello");
    assert!(too_costly(&format!(
        "<b{}>{}",
        " a".repeat(3_000),
        "x".repeat(2_000)
    )));
    // A `<` before a letter in the text starts a tag of its words to the parser: a few
    // hundred of them cost it nothing worth the markup.
    let stray = format!(
        "<p>When x<y holds, {}.</p><p><b>Kept</b> &gt; markup</p>",
        "word ".repeat(300)
    );
    assert!(!too_costly(&stray));
    // Each `/a<a` is an attribute's name to the tokenizer: one tag of 20,000.
    assert!(too_costly(&format!("{}>", "<a</a".repeat(20_000))));
    assert!(!too_costly(&format!(
        "<b{}>{}",
        " a".repeat(128),
        "x".repeat(2_000)
    )));
    let few: String = (0..100).map(|i| format!(" data-a{i}=\"x\"")).collect();
    let kept = sanitize(
        &format!("<p>Hello</p><span{few}>x</span><p>end</p>"),
        Some(&base()),
        None,
    );
    assert!(kept.starts_with("<p>Hello</p>"), "{kept}");
}

/// Markup the parser would search or rebuild its elements for at every tag leaves its
/// text alone: hundreds of open elements followed by tens of thousands of tags, or
/// hundreds of formatting elements opened again in every paragraph. A story's markup,
/// long, deep or sloppy as feeds write it, keeps its markup.
#[test]
fn markup_the_parser_would_work_through_again_and_again_leaves_the_text_alone() {
    let stray = format!("{}Deep{}", "<span>".repeat(500), "</x>".repeat(20_000));
    assert!(too_costly(&stray));
    assert_eq!(sanitize(&stray, Some(&base()), None), "Deep");
    let paragraphs = format!("{}x", "<p>".repeat(20_000));
    assert!(too_costly(&format!("{}{paragraphs}", "<span>".repeat(500))));
    assert!(!too_costly(&format!("{}{paragraphs}", "<span>".repeat(20))));
    let reopened: String = (0..400).map(|i| format!("<b id={i}>")).collect();
    let reopened = format!("<p>{reopened}</p>{}", "<p>x".repeat(2_000));
    assert!(too_costly(&reopened));
    assert_eq!(
        sanitize(&reopened, Some(&base()), None),
        "x ".repeat(2_000).trim_end()
    );
    // Formatting elements alike are opened again three at a time at most; those closed
    // are not opened again.
    assert!(!too_costly(&"<div><b id=1>Heading</div>text".repeat(5_000)));
    assert!(!too_costly(
        &"<p><b id=1><i>a</i> and <em>b</em></b></p>".repeat(5_000)
    ));
    let article = format!(
        "<div><table>{}</table>{}</div>",
        "<tr><td><a href=\"/a\"><b>cell</b></a></td><td>2</td></tr>".repeat(2_000),
        "<p>Text with <a href=\"/b\">a link</a> and <i>more</i>.</p>".repeat(2_000)
    );
    assert!(!too_costly(&article));
}

/// Markup the model of the parser once read more kindly than the parser reads it: an SVG
/// element that the parser leaves at the first HTML block, end tags of formatting
/// elements that a table cell keeps from closing them, ruby annotations and option
/// groups, which nest outside `ruby` and `select`, and comments of the `<?…>` and `<!…>`
/// kinds, which end at the first `>`. And markup it read as costlier: formatting elements
/// left open in paragraphs, which the parser closes with them.
#[test]
fn markup_the_parser_reads_differently_from_the_look_is_costed_as_it_reads_it() {
    let bs: String = (0..400).map(|i| format!("<b id={i}>")).collect();
    let paragraphs = "<p>x</p>".repeat(2_000);
    assert!(too_costly(&format!("<svg><p>{bs}</p>{paragraphs}")));
    let ends = "</b>".repeat(400);
    assert!(too_costly(&format!(
        "<p>{bs}<table><tr><td>{ends}</td></tr></table></p>{paragraphs}"
    )));
    // Those closed in a cell stay in it.
    assert!(!too_costly(&format!(
        "<table><tr><td><p>{bs}</p></td></tr></table>{paragraphs}"
    )));
    assert!(!too_costly(
        &"<table><tr><td><font face=Arial>x<td><b id=1>y</table>".repeat(2_000)
    ));
    assert!(too_costly(&"<rt>".repeat(2_000)));
    assert!(too_costly(&"<optgroup>".repeat(2_000)));
    assert!(!too_costly(&"<ruby>漢<rt>kan</rt></ruby>".repeat(2_000)));
    let hidden = format!("<?x <b title=\"?>{}\">", "<div>".repeat(600));
    assert!(too_costly(&hidden));
    assert!(too_costly(&format!(
        "<!x <b title=\">{}\">",
        "<div>".repeat(600)
    )));
    assert!(too_costly(&format!(
        "</ <b title=\">{}\">",
        "<div>".repeat(600)
    )));
    assert!(!too_costly(&format!(
        "<!DOCTYPE html><?xml version=\"1.0\"?>{}",
        "<p>x</p>".repeat(600)
    )));
    let fonts = format!(
        "<p><font face=\"Arial\">{}</p>",
        "<a href=\"/x\">link</a> ".repeat(20)
    );
    assert!(!too_costly(&fonts.repeat(440)));
}
