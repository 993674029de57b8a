//! HTML from feeds: made safe with ammonia, absolute, free of tracking pixels, and turned
//! into plain text for summaries and titles.
//!
//! ammonia keeps only safe tags, attributes and http(s)/mailto URLs; its URL callbacks make
//! links and media absolute against the item's base and canonical (tracking parameters
//! dropped), and drop the ones that cannot be resolved. A body with an image that may be a
//! tracking pixel (from a tracker host, or 0 or 1 pixel wide or high) is read once more, for
//! its `<img>` tags alone, to drop the pixels; a body of plain text skips the parser. Plain
//! text comes from lol_html's tokenizer, or, for a summary of a body, from a scan of the
//! sanitized body (its markup is html5ever's serialization); entities are decoded by
//! html-escape, and only as much of a long body is read as a summary needs.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::OnceLock;

use lol_html::html_content::EndTag;
use lol_html::{doc_text, element, EndTagHandler, HtmlRewriter, Settings};
use url::Url;

use super::urls;

/// Image hosts that serve nothing but read receipts.
const TRACKER_HOSTS: &[&str] = &[
    "feeds.feedburner.com",
    "feedpress.me",
    "pixel.wp.com",
    "stats.wordpress.com",
    "www.google-analytics.com",
    "google-analytics.com",
    "pixel.quantserve.com",
    "sb.scorecardresearch.com",
    "www.facebook.com",
    "pixel.mailchimp.com",
    "ad.doubleclick.net",
];

thread_local! {
    /// The base of the body this thread is sanitizing: the sanitizer is built once and shared,
    /// and its URL callbacks read the base from here.
    static BASE: RefCell<Option<Url>> = const { RefCell::new(None) };
    /// The body being sanitized has an image that may be a tracking pixel (from a tracker
    /// host, or 0 or 1 pixel wide or high): only then are its images read again.
    static PIXEL_SUSPECT: Cell<bool> = const { Cell::new(false) };
}

/// `value` as an absolute, canonical http(s) URL against the base of the body being
/// sanitized, its fragment kept; `None` drops the attribute.
fn resolve_in_context(value: &str) -> Option<Url> {
    BASE.with_borrow(|base| urls::resolve_in_text(value, &[base.as_ref()]))
}

fn relative_in_context(url: &str) -> Option<Cow<'_, str>> {
    resolve_in_context(url).map(|u| Cow::Owned(u.into()))
}

/// Hosts whose players a story may embed in an `<iframe>` (video and audio players that
/// feed readers show): kept, sandboxed, with YouTube's privacy-enhanced host. An iframe from
/// any other host is dropped, as sanitizers drop them.
const EMBED_HOSTS: &[&str] = &[
    "www.youtube.com",
    "youtube.com",
    "www.youtube-nocookie.com",
    "youtube-nocookie.com",
    "player.vimeo.com",
    "www.dailymotion.com",
    "w.soundcloud.com",
    "open.spotify.com",
    "www.facebook.com",
];

/// The URL an embedded player is kept with, or `None` for one from another host: https, and
/// YouTube's players on youtube-nocookie.com (no cookies until the reader plays the video).
fn embed_url(src: &str) -> Option<String> {
    let mut url = Url::parse(src.trim()).ok()?;
    let host = url.host_str()?.to_ascii_lowercase();
    if !EMBED_HOSTS.contains(&host.as_str()) {
        return None;
    }
    if host == "www.facebook.com" && !url.path().starts_with("/plugins/video") {
        return None;
    }
    url.set_scheme("https").ok()?;
    if host.ends_with("youtube.com") {
        url.set_host(Some("www.youtube-nocookie.com")).ok()?;
    }
    Some(url.into())
}

/// The sanitizer that keeps players in iframes: for bodies whose iframes the pass before it
/// ([`embeds_and_lazy_images`]) emptied.
fn sanitizer() -> &'static ammonia::Builder<'static> {
    static SANITIZER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    SANITIZER.get_or_init(|| build_sanitizer(true))
}

/// The sanitizer that drops every iframe with its content: for a body the pass before it could
/// not read, or whose sanitized form still had an iframe with content.
fn sanitizer_without_frames() -> &'static ammonia::Builder<'static> {
    static SANITIZER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    SANITIZER.get_or_init(|| build_sanitizer(false))
}

fn build_sanitizer(players: bool) -> ammonia::Builder<'static> {
    {
        let mut b = ammonia::Builder::default();
        b.url_schemes(["http", "https", "mailto", "tel"].into_iter().collect())
            // Links, media and citations are made absolute and canonical (tracking parameters
            // dropped) by the filter; any other relative URL attribute is resolved here.
            .url_relative(ammonia::UrlRelative::Custom(Box::new(relative_in_context)))
            .attribute_filter(|element, attribute, value| {
                if (element, attribute) == ("iframe", "src") {
                    // The pass before the sanitizer kept only players from known hosts.
                    return embed_url(value).map(Cow::Owned);
                }
                let resolved = matches!(
                    (element, attribute),
                    ("a" | "area", "href")
                        | ("img" | "source" | "audio" | "video", "src")
                        | ("video", "poster")
                        | ("blockquote" | "q" | "del" | "ins", "cite")
                );
                if !resolved {
                    if element == "img" && matches!(attribute, "width" | "height") && is_tiny(value)
                    {
                        PIXEL_SUSPECT.set(true);
                    }
                    return Some(Cow::Borrowed(value));
                }
                let Some(url) = resolve_in_context(value) else {
                    // Not a web address: an e-mail or telephone link stays as written (ammonia
                    // has checked its scheme), anything else goes.
                    let scheme = |s: &str| {
                        value
                            .trim_start()
                            .get(..s.len())
                            .is_some_and(|p| p.eq_ignore_ascii_case(s))
                    };
                    let kept = attribute == "href" && (scheme("mailto:") || scheme("tel:"));
                    return kept.then_some(Cow::Borrowed(value));
                };
                if element == "img" && url.host_str().is_some_and(|h| TRACKER_HOSTS.contains(&h)) {
                    PIXEL_SUSPECT.set(true);
                }
                Some(Cow::Owned(url.into()))
            })
            .link_rel(Some("noopener noreferrer nofollow"))
            .add_tag_attributes("img", ["loading"])
            .add_tags([
                "figure",
                "figcaption",
                "picture",
                "source",
                "video",
                "audio",
            ])
            // Not `srcset`: its candidate URLs would pass unresolved and unchecked (ammonia
            // filters whole-URL attributes only); `src` and the `<img>` in a `<picture>` remain.
            .add_tag_attributes("source", ["src", "type", "media"])
            .add_tag_attributes(
                "video",
                [
                    "src", "poster", "controls", "width", "height", "preload", "loop", "muted",
                ],
            )
            .add_tag_attributes("audio", ["src", "controls", "preload", "loop", "muted"])
            // Raw-text elements go with their content, as `script` and `style` do: what a
            // `<noembed>` holds is a fallback for browsers without them, never text of the
            // story (and the summary, read from this output, leaves it out too). The parser
            // reads a `<noscript>` as raw text too (as a browser running scripts does): the
            // `<img>` a lazy-loading plugin puts in one beside every picture would be shown
            // as escaped markup. Its picture is the lazy image's, given its `src` before.
            .add_clean_content_tags(["noembed", "noframes", "noscript", "xmp"])
            .strip_comments(true);
        if !players {
            b.add_clean_content_tags(["iframe"]);
            return b;
        }
        // Players from known hosts (see `embeds_and_lazy_images`), sandboxed; their content
        // was emptied before, and `sanitize_markup` checks that it was.
        b.add_tags(["iframe"])
            .add_tag_attributes(
                "iframe",
                ["src", "width", "height", "title", "allowfullscreen"],
            )
            .set_tag_attribute_value(
                "iframe",
                "sandbox",
                "allow-scripts allow-same-origin allow-popups allow-presentation",
            )
            .set_tag_attribute_value("iframe", "loading", "lazy")
            .set_tag_attribute_value(
                "iframe",
                "referrerpolicy",
                "strict-origin-when-cross-origin",
            );
        b
    }
}

/// Sanitized HTML for a feed body. `base` resolves relative URLs; `item_host` is the host of
/// the item's own link (a 1×1 image from any other host is a tracking pixel).
pub fn sanitize(html: &str, base: Option<&Url>, item_host: Option<&str>) -> String {
    if is_plain_text(html) {
        return trimmed(escape_plain_text(html));
    }
    sanitize_markup(html, base, item_host)
}

/// Text the HTML parser reads as one text node, unchanged: no markup, no character
/// references, no carriage returns (made line feeds), no NULs (dropped) and no byte order
/// mark (dropped at the start). Many feeds' descriptions are such text; they need no parser.
fn is_plain_text(html: &str) -> bool {
    !html.bytes().any(|b| matches!(b, b'<' | b'&' | b'\r' | 0)) && !html.contains('\u{feff}')
}

/// What html5ever's serializer writes for [`is_plain_text`] text: `>` and U+00A0 as
/// references, everything else as it is.
fn escape_plain_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(i) = rest.find(['>', '\u{a0}']) {
        out.push_str(&rest[..i]);
        let c = rest[i..].chars().next().unwrap_or('>');
        out.push_str(if c == '>' { "&gt;" } else { "&nbsp;" });
        rest = &rest[i + c.len_utf8()..];
    }
    out.push_str(rest);
    out
}

/// `s` without leading and trailing whitespace, in place.
fn trimmed(mut s: String) -> String {
    let end = s.trim_end().len();
    s.truncate(end);
    let start = s.len() - s.trim_start().len();
    s.drain(..start);
    s
}

/// Markup shorter than this is read by lol_html without a look at its nesting: a search of
/// its stack per end tag costs little below it.
const DEEP_SUSPECT: usize = 32 * 1024;

/// Deepest element nesting given to the HTML parser. html5ever walks its stack of open
/// elements for each tag it reads, so markup nesting by the ten thousand (a megabyte of
/// `<div>`) costs minutes of CPU; a story's body nests a few dozen levels.
const MAX_HTML_DEPTH: usize = 512;

/// Most steps the HTML parser may take looking through what it holds over one body: open
/// elements, counted as the depth of its elements at each tag (it searches its stack for most
/// tags: a body of a few hundred open elements followed by tens of thousands of tags, `</x>`
/// or `<p>`, cost a third of a second of a core), and attributes, counted as the pairs of a
/// tag's attributes (each is compared with every one before it in its tag: 25,000 in one tag
/// cost a tenth of a second). A story's body, a few dozen levels deep, counts a few hundred
/// thousand.
const MAX_HTML_SEARCHED: usize = 4_000_000;

/// Most elements the HTML parser may make again over one body, counted as its active
/// formatting elements at each other tag. Formatting elements left open in a block that
/// closes (`<p><b id=1>…</p>`) are opened again in the next, every one of them each time:
/// 500 such elements and a few thousand paragraphs cost seconds and gigabytes. A story's body
/// leaves a few open at most.
const MAX_HTML_REMADE: usize = 200_000;

/// What the HTML parser makes of an element, by its name, where it matters to what it costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Element {
    /// Any other.
    Plain,
    /// No content, whatever follows it (`<div/>` is an open `div` to HTML).
    NoContent,
    /// Its end tag is implied (the next `<li>` closes the last): it does not nest when left
    /// open, as old feeds' bodies leave it.
    ImpliedEnd,
    /// `p`: closed by the next `p` or `</p>` unless a table, a button or an object lies
    /// between (what the parser calls button scope), with what was opened in it.
    Paragraph,
    /// A table's cell or caption: it closes the cell open before it in its table, and the
    /// parser's formatting elements opened in it stay in it.
    Cell,
    /// A row or a part of a table: it closes the cell open in its table.
    TablePart,
    /// `table`.
    Table,
    /// An element whose formatting elements stay in it, as a cell's: `object`, `applet`,
    /// `marquee`, `template`.
    Scoping,
    /// A formatting element (its index among them): the parser's end tag for one that has a
    /// block opened in it closes it alone (the block stays open: `<b><div></b>` leaves the
    /// `div` open), and one left open in a block that closes is opened again after it.
    Formatting(u8),
    /// Its content is text to the parser, up to its end tag.
    Skipped,
}

/// The kind of the element named `name`, lowercased.
fn element_kind(name: &str) -> Element {
    match name {
        "li" | "dt" | "dd" | "option" => Element::ImpliedEnd,
        "p" => Element::Paragraph,
        "td" | "th" | "caption" => Element::Cell,
        "tr" | "tbody" | "thead" | "tfoot" | "colgroup" => Element::TablePart,
        "table" => Element::Table,
        "object" | "applet" | "marquee" | "template" => Element::Scoping,
        "area" | "base" | "basefont" | "bgsound" | "br" | "col" | "embed" | "frame" | "hr"
        | "img" | "input" | "keygen" | "link" | "meta" | "param" | "source" | "track" | "wbr" => {
            Element::NoContent
        }
        "a" => Element::Formatting(0),
        "b" => Element::Formatting(1),
        "big" => Element::Formatting(2),
        "code" => Element::Formatting(3),
        "em" => Element::Formatting(4),
        "font" => Element::Formatting(5),
        "i" => Element::Formatting(6),
        "nobr" => Element::Formatting(7),
        "s" => Element::Formatting(8),
        "small" => Element::Formatting(9),
        "strike" => Element::Formatting(10),
        "strong" => Element::Formatting(11),
        "tt" => Element::Formatting(12),
        "u" => Element::Formatting(13),
        "script" | "style" | "textarea" | "title" | "xmp" | "iframe" | "noembed" | "noframes" => {
            Element::Skipped
        }
        _ => Element::Plain,
    }
}

/// `name` lowercased into `buf`, or "" when longer (every name [`element_kind`] tells apart
/// is shorter).
fn lowercased<'a>(name: &[u8], buf: &'a mut [u8; 10]) -> &'a str {
    match buf.get_mut(..name.len()) {
        Some(buf) => {
            buf.copy_from_slice(name);
            buf.make_ascii_lowercase();
            std::str::from_utf8(buf).unwrap_or("")
        }
        None => "",
    }
}

/// Whether `html`'s elements may nest deeper than [`MAX_HTML_DEPTH`], or the parser may take
/// more than [`MAX_HTML_SEARCHED`] steps searching what it holds or make more than
/// [`MAX_HTML_REMADE`] formatting elements again: markup too costly to parse. One pass over its
/// tags as an HTML parser reads them (a name starts with a letter and runs to a space, `/` or
/// `>`; a tag ends at a `>` outside a quoted attribute value; comments, `<!…>`, `<?…>` and
/// `</` before no letter run to the first `>`; text-only elements hold no tags), counting the
/// elements left open. Elements without content or with an implied end do not nest, nor does
/// a `p` in a `p` (in SVG and MathML, `/>` closes an element). An end tag closes the nearest
/// open element of its name and those opened in it (a formatting element's, that element
/// alone); one that names no open element closes nothing, as the parser ignores it
/// (`<div></x>` nests). Where the model and the parser differ, the model errs on the costly
/// side.
fn too_costly(html: &str) -> bool {
    let bytes = html.as_bytes();
    // Each level takes a tag of three bytes at least; shorter markup's attributes (two bytes
    // each at least) cost the parser little.
    if bytes.len() < 3 * MAX_HTML_DEPTH {
        return false;
    }
    let mut at = 0usize;
    // The open elements, by a hash of their lowercased names (at most MAX_HTML_DEPTH: an end
    // tag searches no more).
    let mut stack: Vec<u64> = Vec::new();
    let name_hash = |name: &[u8]| {
        name.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x0100_0000_01b3)
        })
    };
    // The depth at which an `svg` or `math` element opened, while in it.
    let mut foreign: Option<usize> = None;
    // The parser's list of active formatting elements: each formatting element opened and not
    // closed by its own end tag (by its index among them and a hash of its attributes as
    // written), at most three alike after the last marker (a cell's, CELL, or an object's,
    // SCOPING, in whose element the formatting elements opened after it stay).
    const CELL: (u8, u64) = (u8::MAX, 0);
    const SCOPING: (u8, u64) = (u8::MAX - 1, 0);
    let is_marker = |f: &(u8, u64)| *f == CELL || *f == SCOPING;
    let mut formatting: Vec<(u8, u64)> = Vec::new();
    // Tables open, where cells are cells.
    let mut tables = 0usize;
    // Open elements the parser may look through, and elements it may make again, so far.
    let (mut searched, mut remade) = (0usize, 0usize);
    // What bounds the search for a `p` to close (td, th and caption are not on the stack).
    let bounds: [u64; 6] = ["table", "button", "object", "applet", "marquee", "template"]
        .map(|n| name_hash(n.as_bytes()));
    let p_hash = name_hash(b"p");
    while let Some(found) = memchr::memchr(b'<', &bytes[at..]) {
        let open = at + found;
        if bytes[open + 1..].starts_with(b"!--") {
            match comment_end(bytes, open + 4) {
                Some(end) => at = end,
                None => return false,
            }
            continue;
        }
        let closing = bytes.get(open + 1) == Some(&b'/');
        let name_at = open + 1 + usize::from(closing);
        let bogus = matches!(bytes.get(open + 1), Some(b'!' | b'?'))
            || (closing && bytes.get(name_at).is_some_and(|b| !b.is_ascii_alphabetic()));
        if bogus {
            // A comment to the parser (or nothing, `</>`), to the first `>`.
            match memchr::memchr(b'>', &bytes[open..]) {
                Some(i) => at = open + i + 1,
                None => return false,
            }
            continue;
        }
        if !bytes.get(name_at).is_some_and(u8::is_ascii_alphabetic) {
            at = open + 1;
            continue;
        }
        let name_len = tag_name_len(&bytes[name_at..]);
        let mut lower = [0u8; 10];
        let name = lowercased(&bytes[name_at..name_at + name_len], &mut lower);
        let element = element_kind(name);
        let (end, attributes) = html_tag_end_counting(bytes, name_at + name_len);
        // Each attribute is compared with those before it in its tag; most tags make the
        // parser look through its open elements (for a `p` to close, the element an end tag
        // names, a list item…), down to the first that bounds the search at most.
        searched += attributes * attributes / 2 + stack.len();
        // A tag that never ends: the rest is one tag, and nests nothing.
        let Some(end) = end else {
            return searched > MAX_HTML_SEARCHED;
        };
        at = end;
        // A tag may follow the closing of elements that formatting elements were open in,
        // which the parser then opens again: every one of its list after the last marker that
        // is not open.
        let last_marker = formatting.iter().rposition(is_marker);
        let after_marker = last_marker.map_or(0, |m| m + 1);
        let clear_to = |formatting: &mut Vec<(u8, u64)>, marker: (u8, u64)| {
            if let Some(m) = last_marker.filter(|&m| formatting[m] == marker) {
                formatting.truncate(m);
            }
        };
        match (element, closing) {
            (Element::Formatting(kind), false) => {
                let alike = (kind, name_hash(&bytes[name_at + name_len..end]));
                if formatting[after_marker..]
                    .iter()
                    .filter(|f| **f == alike)
                    .count()
                    < 3
                {
                    formatting.push(alike);
                }
            }
            (Element::Formatting(kind), true) => {
                if let Some(i) = formatting[after_marker..].iter().rposition(|f| f.0 == kind) {
                    formatting.remove(after_marker + i);
                }
            }
            (Element::Cell, false) if tables > 0 => {
                clear_to(&mut formatting, CELL);
                formatting.push(CELL);
            }
            (Element::Cell, true) | (Element::TablePart, _) | (Element::Table, true)
                if tables > 0 =>
            {
                clear_to(&mut formatting, CELL);
            }
            (Element::Scoping, false) => formatting.push(SCOPING),
            (Element::Scoping, true) => clear_to(&mut formatting, SCOPING),
            _ => remade += formatting.len() - after_marker,
        }
        if searched > MAX_HTML_SEARCHED || remade > MAX_HTML_REMADE {
            return true;
        }
        if foreign.is_none() && element == Element::Table {
            tables = if closing {
                tables.saturating_sub(1)
            } else {
                tables + 1
            };
        }
        if foreign.is_none() && element == Element::Paragraph {
            // The `p` open in button scope, closed with what was opened in it.
            let open_p = stack
                .iter()
                .rev()
                .position(|h| *h == p_hash || bounds.contains(h));
            if let Some(i) = open_p.map(|i| stack.len() - 1 - i) {
                if stack[i] == p_hash {
                    stack.truncate(i);
                }
            }
            if !closing {
                stack.push(p_hash);
            }
            continue;
        }
        if foreign.is_none()
            && matches!(
                element,
                Element::NoContent | Element::ImpliedEnd | Element::Cell | Element::TablePart
            )
        {
            continue;
        }
        let hash = name_hash(&bytes[name_at..name_at + name_len]);
        if closing {
            if let Some(i) = stack.iter().rposition(|h| *h == hash) {
                if matches!(element, Element::Formatting(_)) {
                    stack.remove(i);
                } else {
                    stack.truncate(i);
                }
            }
            if foreign.is_some_and(|at| stack.len() <= at) {
                foreign = None;
            }
            continue;
        }
        if foreign.is_some() && bytes[end - 2] == b'/' {
            continue;
        }
        if foreign.is_none() && matches!(name, "svg" | "math") {
            foreign = Some(stack.len());
        }
        if element == Element::Skipped && foreign.is_none() {
            match end_tag_of(bytes, at, name) {
                Some(after) => at = after,
                None => return false,
            }
            continue;
        }
        stack.push(hash);
        if stack.len() > MAX_HTML_DEPTH {
            return true;
        }
    }
    false
}

/// Just past the `>` that ends an HTML tag whose attributes start at `from`, as the HTML
/// tokenizer reads them: a name (which may start with `=`), then `=` and a value, quoted or
/// not; quotes count only around a value.
fn html_tag_end(bytes: &[u8], at: usize) -> Option<usize> {
    html_tag_end_counting(bytes, at).0
}

/// [`html_tag_end`], with the number of attributes the tokenizer reads in the tag (all those
/// it reads before the input ends, for a tag that never ends).
fn html_tag_end_counting(bytes: &[u8], mut at: usize) -> (Option<usize>, usize) {
    let space = |b: &u8| b.is_ascii_whitespace();
    let mut attributes = 0;
    let end = loop {
        // Before an attribute's name.
        at += bytes
            .get(at..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| space(b) || **b == b'/')
            .count();
        match bytes.get(at) {
            None => break None,
            Some(b'>') => break Some(at + 1),
            // The name, its first character whatever it is.
            Some(_) => {
                attributes += 1;
                at += 1;
                at += bytes[at..]
                    .iter()
                    .take_while(|b| !space(b) && !matches!(b, b'/' | b'>' | b'='))
                    .count();
            }
        }
        at += bytes[at..].iter().take_while(|b| space(b)).count();
        if bytes.get(at) != Some(&b'=') {
            continue;
        }
        at += 1;
        at += bytes[at..].iter().take_while(|b| space(b)).count();
        match bytes.get(at) {
            None => break None,
            Some(&quote @ (b'"' | b'\'')) => match memchr::memchr(quote, &bytes[at + 1..]) {
                Some(len) => at += len + 2,
                None => break None,
            },
            Some(b'>') => break Some(at + 1),
            Some(_) => {
                at += bytes[at..]
                    .iter()
                    .take_while(|b| !space(b) && **b != b'>')
                    .count()
            }
        }
    };
    (end, attributes)
}

/// Just past the end of a comment whose text starts at `from` (after `<!--`): `-->` or
/// `--!>`, or at once for `<!-->` and `<!--->`. `None`: it runs to the end.
fn comment_end(bytes: &[u8], from: usize) -> Option<usize> {
    let rest = bytes.get(from..)?;
    if rest.starts_with(b">") {
        return Some(from + 1);
    }
    if rest.starts_with(b"->") {
        return Some(from + 2);
    }
    // The first `-->`, unless a `--!>` comes before it (searched up to it alone: linear).
    let dashes = memchr::memmem::find(rest, b"-->");
    let before = &rest[..dashes.unwrap_or(rest.len())];
    match memchr::memmem::find(before, b"--!>") {
        Some(at) => Some(from + at + 4),
        None => dashes.map(|at| from + at + 3),
    }
}

/// The text of markup too costly to parse, in one pass: as the tokenizer reads it, its tags,
/// comments and the contents of text-only elements (`script`, `style`…) out (a space in their
/// place), a `<` that starts no tag kept as text. Entities are left as they are.
fn without_tags(html: &str) -> String {
    let bytes = html.as_bytes();
    let mut out = String::with_capacity(html.len() / 2);
    let (mut at, mut text_from) = (0usize, 0usize);
    while let Some(found) = memchr::memchr(b'<', &bytes[at..]) {
        let open = at + found;
        let closing = bytes.get(open + 1) == Some(&b'/');
        let name_at = open + 1 + usize::from(closing);
        let comment = bytes[open + 1..].starts_with(b"!--");
        let declaration = matches!(bytes.get(open + 1), Some(b'!' | b'?'));
        if !comment && !declaration && !bytes.get(name_at).is_some_and(u8::is_ascii_alphabetic) {
            // Text: `x < 3`, `<3`.
            at = open + 1;
            continue;
        }
        out.push_str(&html[text_from..open]);
        out.push(' ');
        let end = if comment {
            comment_end(bytes, open + 4)
        } else if declaration {
            memchr::memchr(b'>', &bytes[open..]).map(|i| open + i + 1)
        } else {
            let name_len = tag_name_len(&bytes[name_at..]);
            let mut lower = [0u8; 10];
            let name = lowercased(&bytes[name_at..name_at + name_len], &mut lower);
            html_tag_end(bytes, name_at + name_len).map(|end| {
                if closing || element_kind(name) != Element::Skipped {
                    return end;
                }
                // Its content is text to the parser, up to its end tag: none of the story's.
                end_tag_of(bytes, end, name).map_or(bytes.len(), |after| {
                    html_tag_end(bytes, after).unwrap_or(bytes.len())
                })
            })
        };
        match end {
            Some(end) => at = end,
            None => at = bytes.len(),
        }
        text_from = at;
    }
    out.push_str(&html[text_from..]);
    out
}

/// The length of the tag name that `bytes` starts with: to a space, `/` or `>`, as the HTML
/// tokenizer reads it.
fn tag_name_len(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take_while(|b| !b.is_ascii_whitespace() && !matches!(b, b'/' | b'>'))
        .count()
}

/// Just past `</name` (any case) from `from` on, where a text-only element ends.
fn end_tag_of(bytes: &[u8], from: usize, name: &str) -> Option<usize> {
    memchr::memmem::find_iter(&bytes[from..], b"</")
        .map(|i| from + i + 2)
        .find(|&n| {
            bytes
                .get(n..n + name.len())
                .is_some_and(|b| b.eq_ignore_ascii_case(name.as_bytes()))
        })
        .map(|n| n + name.len())
}

/// [`sanitize`] through ammonia.
fn sanitize_markup(html: &str, base: Option<&Url>, item_host: Option<&str>) -> String {
    if too_costly(html) {
        // Its text alone, escaped: nothing of such markup is worth seconds or minutes of a
        // core. Not read by a tokenizer that keeps a stack of elements either (lol_html's
        // selectors search theirs at each end tag that closes nothing).
        return text_alone(html);
    }
    let html = &*unclosed_noscripts_opened(html);
    // Fails closed: a body the pass could not read, or that still has an iframe with content
    // once sanitized (html5ever writes that content unescaped), is sanitized without frames.
    let cleaned = match embeds_and_lazy_images(html, base) {
        Some(prepared) => {
            let cleaned = clean_with(sanitizer(), &prepared, base);
            if iframes_are_empty(&cleaned) {
                cleaned
            } else {
                clean_with(sanitizer_without_frames(), html, base)
            }
        }
        None => clean_with(sanitizer_without_frames(), html, base),
    };
    if cleaned.len() > MAX_SANITIZED {
        // Tens of thousands of relative URLs, each made absolute: its text is the story.
        return text_alone(html);
    }
    trimmed(if PIXEL_SUSPECT.get() {
        drop_tracking_pixels(cleaned, item_host)
    } else {
        cleaned
    })
}

/// `html` without the start tags of the `<noscript>`s it never closes. The sanitizer drops a
/// `<noscript>` with its content, which the parser reads as raw text up to `</noscript`: one
/// left open would take the rest of the story with it. Its content is read as markup instead.
fn unclosed_noscripts_opened(html: &str) -> Cow<'_, str> {
    static TAGS: OnceLock<aho_corasick::AhoCorasick> = OnceLock::new();
    let tags = TAGS.get_or_init(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(["<noscript", "</noscript"])
            .expect("two fixed patterns")
    });
    // Where the `<noscript>` open at the end began: an open inside another's raw text is
    // text, and a close ends the one open.
    let mut open = None;
    for found in tags.find_iter(html) {
        match found.pattern().as_usize() {
            0 => {
                open.get_or_insert(found.start());
            }
            _ => open = None,
        }
    }
    let Some(from) = open else {
        return Cow::Borrowed(html);
    };
    // From there on no `<noscript>` is closed: each start tag goes, what follows it stays.
    let mut out = String::with_capacity(html.len());
    out.push_str(&html[..from]);
    let mut rest = &html[from..];
    while let Some(found) = tags.find(rest) {
        out.push_str(&rest[..found.start()]);
        let after = &rest[found.start()..];
        rest = after.find('>').map_or("", |end| &after[end + 1..]);
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Longest sanitized body kept as markup: four times the longest body read (each relative URL
/// made absolute makes a body longer, links by a few dozen bytes each).
const MAX_SANITIZED: usize = 1024 * 1024;

/// The text of markup, escaped, for a body whose markup is not worth keeping.
fn text_alone(html: &str) -> String {
    let text = collapse_whitespace(&decode_entities(&without_tags(html)));
    trimmed(html_escape::encode_text(&text).into_owned())
}

/// The `src` of the first picture in sanitized `html` (absolute: the sanitizer made it so),
/// read from the serialization without a parser: a story's picture for JSON Feed's `image`
/// and for digests. An image 0 or 1 pixel wide or high (a spacer, or a pixel from the story's
/// own site, which the sanitizer keeps) is no picture.
pub fn first_image(html: &str) -> Option<String> {
    first_picture(html).map(|(src, _)| src)
}

/// [`first_image`] with its text alternative (`alt`, entities decoded; empty without one).
pub fn first_picture(html: &str) -> Option<(String, String)> {
    serialized_tags(html)
        .filter(|tag| tag.name == "img")
        .filter(|tag| {
            !["width", "height"]
                .iter()
                .any(|side| serialized_attribute(tag.attributes, side).is_some_and(|v| is_tiny(&v)))
        })
        .find_map(|tag| {
            let src = serialized_attribute(tag.attributes, "src")
                .filter(|src| src.starts_with("https://") || src.starts_with("http://"))?;
            let alt = serialized_attribute(tag.attributes, "alt").unwrap_or_default();
            Some((src.into_owned(), collapse_whitespace(&alt)))
        })
}

/// The `type` of a `<link rel="alternate">` that names a feed.
const FEED_TYPES: &[&str] = &[
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
];

/// The feeds a web page links to with `<link rel="alternate" type="…feed type…" href>`, in
/// page order, made absolute against the page's `<base href>` or `page` (without either, only
/// the absolute ones are kept); http(s) only.
pub fn feed_links(html: &[u8], page: Option<&Url>) -> Vec<Url> {
    typed_feed_links(html, page)
        .into_iter()
        .map(|l| l.url)
        .collect()
}

/// A feed a web page links to ([`typed_feed_links`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedLink {
    pub url: Url,
    /// The media type the link gives, lowercase, without parameters.
    pub kind: String,
    /// The link's `title`, as written ("" without one).
    pub title: String,
}

impl FeedLink {
    /// Whether this is a feed of readers' comments, not of stories: by its title in English,
    /// Albanian or Serbian (WordPress titles a post's "… Comments Feed", "Prurje Komentesh",
    /// "Довод коментара"), a `comments` path segment (`/comments/feed/`) or a query naming
    /// comments (`?feed=comments-rss2`).
    pub fn is_comments(&self) -> bool {
        let title = self.title.to_lowercase();
        ["comment", "koment", "коментар"]
            .iter()
            .any(|w| title.contains(w))
            || self
                .url
                .path_segments()
                .is_some_and(|mut s| s.any(|seg| seg.eq_ignore_ascii_case("comments")))
            || self
                .url
                .query_pairs()
                .any(|(_, v)| v.to_ascii_lowercase().starts_with("comments"))
    }
}

/// [`feed_links`], each with the media type and title its link gives.
pub fn typed_feed_links(html: &[u8], page: Option<&Url>) -> Vec<FeedLink> {
    let base: RefCell<Option<Url>> = RefCell::new(page.cloned());
    let hrefs: RefCell<Vec<(String, String, String)>> = RefCell::new(Vec::new());
    let join = |base: Option<&Url>, href: &str| match base {
        Some(b) => b.join(href).ok(),
        None => Url::parse(href).ok(),
    };
    let mut rewriter = HtmlRewriter::new(
        Settings {
            element_content_handlers: vec![
                element!("base[href]", |el| {
                    if let Some(href) = el.get_attribute("href") {
                        let joined = join(base.borrow().as_ref(), href.trim());
                        if let Some(url) = joined {
                            *base.borrow_mut() = Some(url);
                        }
                    }
                    Ok(())
                }),
                element!("link[rel][href]", |el| {
                    let rel = el.get_attribute("rel").unwrap_or_default();
                    let alternate = rel
                        .split_ascii_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("alternate"));
                    let kind = el
                        .get_attribute("type")
                        .map(|t| t.trim().to_ascii_lowercase())
                        .unwrap_or_default();
                    let kind = kind.split(';').next().unwrap_or("").trim();
                    if alternate && FEED_TYPES.contains(&kind) {
                        if let Some(href) = el.get_attribute("href") {
                            let title = el.get_attribute("title").unwrap_or_default();
                            hrefs.borrow_mut().push((
                                href.trim().to_string(),
                                kind.to_string(),
                                title.trim().to_string(),
                            ));
                        }
                    }
                    Ok(())
                }),
            ],
            ..Settings::new()
        },
        |_: &[u8]| {},
    );
    // A page lol_html gives up on has no usable links.
    if rewriter.write(html).and_then(|_| rewriter.end()).is_err() {
        return Vec::new();
    }
    let base = base.into_inner();
    hrefs
        .into_inner()
        .into_iter()
        .filter_map(|(h, kind, title)| {
            Some(FeedLink {
                url: join(base.as_ref(), &h)?,
                kind,
                title,
            })
        })
        .filter(|l| matches!(l.url.scheme(), "http" | "https"))
        .collect()
}

/// Whether two sanitized bodies show the same, though the addresses of their pictures, videos
/// and sounds may differ in their queries and fragments ([`urls::same_but_query`]): a CDN that
/// signs or versions its addresses writes `<img src="…/a.jpg?sig=…">` (or a `<video>`'s
/// `poster`, a `<source>`'s `src`) anew at every fetch of an unchanged story. Read from the
/// serializations as [`first_image`] reads them: the text and every other tag must be written
/// alike, and so must each such tag's other attributes, in the same order; any other
/// difference (a link's query, which often picks the page: `?p=12`; a picture at another path)
/// is one.
pub fn same_but_media_queries(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (mut tags_a, mut tags_b) = (serialized_tags(a), serialized_tags(b));
    let (mut at_a, mut at_b) = (0, 0);
    loop {
        let (x, y) = match (tags_a.next(), tags_b.next()) {
            (None, None) => return a[at_a..] == b[at_b..],
            (Some(x), Some(y)) => (x, y),
            _ => return false,
        };
        if a[at_a..x.start] != b[at_b..y.start] {
            return false;
        }
        let (tag_a, tag_b) = (&a[x.start..x.end], &b[y.start..y.end]);
        if tag_a != tag_b {
            // `<img` (`<video`, `<audio`, `<source`), its attributes and its `>` (a tag cut
            // short at the end of the markup is none).
            let media = |tag: &Tag, whole: &str| {
                matches!(tag.name, "img" | "video" | "audio" | "source")
                    && whole[1..].starts_with(tag.name)
                    && whole[1 + tag.name.len() + tag.attributes.len()..] == *">"
            };
            if x.name != y.name
                || !media(&x, tag_a)
                || !media(&y, tag_b)
                || !same_but_media_query(x.attributes, y.attributes)
            {
                return false;
            }
        }
        (at_a, at_b) = (x.end, y.end);
    }
}

/// Whether two media tags' serialized attributes are written alike, in the same order, but
/// for the query and fragment of their `src` and `poster`.
fn same_but_media_query(mut a: &str, mut b: &str) -> bool {
    // The next attribute of a serialized tag: its name, its value as written, and the rest.
    fn next(rest: &str) -> Option<(&str, &str, &str)> {
        let (name, value) = rest.trim_start().split_once("=\"")?;
        let (value, after) = value.split_once('"')?;
        Some((name, value, after))
    }
    loop {
        match (next(a), next(b)) {
            (None, None) => return a.trim() == b.trim(),
            (Some((name_a, value_a, after_a)), Some((name_b, value_b, after_b))) => {
                let same = value_a == value_b
                    || matches!(name_a, "src" | "poster")
                        && urls::same_but_query(
                            &decode_entities(value_a),
                            &decode_entities(value_b),
                        );
                if name_a != name_b || !same {
                    return false;
                }
                (a, b) = (after_a, after_b);
            }
            _ => return false,
        }
    }
}

/// The web links of sanitized `html`, in order: each `<a href="http(s)://…">` with the text
/// inside it (entities decoded, whitespace collapsed, at most about 200 characters), read from
/// the serialization as [`first_image`] reads pictures. A link without text is left out.
pub fn links(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut open: Option<(String, usize)> = None;
    for tag in serialized_tags(html).filter(|tag| tag.name == "a") {
        if html.as_bytes().get(tag.start + 1) == Some(&b'/') {
            if let Some((href, from)) = open.take() {
                let text = sanitized_text_prefix(&html[from..tag.start], 200);
                if !text.is_empty() {
                    out.push((text, href));
                }
            }
        } else {
            open = serialized_attribute(tag.attributes, "href")
                .filter(|h| h.starts_with("https://") || h.starts_with("http://"))
                .map(|h| (h.into_owned(), tag.end));
        }
    }
    out
}

/// Whether every iframe in sanitized `html` is empty (`<iframe …></iframe>`).
fn iframes_are_empty(html: &str) -> bool {
    let mut rest = html;
    while let Some(at) = memchr::memmem::find(rest.as_bytes(), b"<iframe") {
        let from = &rest[at..];
        let Some(tag) = serialized_tags(from).next() else {
            return false;
        };
        let Some(after) = from[tag.end..].strip_prefix("</iframe>") else {
            return false;
        };
        rest = after;
    }
    true
}

/// `html` through the sanitizer `builder`, as a string.
fn clean_with(builder: &ammonia::Builder<'static>, html: &str, base: Option<&Url>) -> String {
    BASE.set(base.cloned());
    PIXEL_SUSPECT.set(false);
    let document = builder.clean(html);
    BASE.set(None);
    // Written straight into a buffer of about the right size (`to_string` serializes into a
    // growing buffer of its own, then copies that).
    let mut bytes = Vec::with_capacity(html.len());
    document
        .write_to(&mut bytes)
        .expect("writing to memory does not fail");
    // html5ever writes UTF-8. encoding_rs checks it a vector at a time (`String::from_utf8`
    // a word at a time, three times the instructions) and borrows it when it is valid.
    encoding_rs::UTF_8
        .decode_without_bom_handling(&bytes)
        .0
        .into_owned()
}

/// Before the sanitizer, for a body with an iframe or a lazily loaded image (most have
/// neither, and are passed over by one vectorized search):
/// - an `<iframe>` of a player from [`EMBED_HOSTS`] is kept, empty; any other goes, with
///   what it holds (a fallback for browsers without frames, never text of the story);
/// - an `<img>` whose picture is in `data-src`, `data-lazy-src` or `data-original` (lazy
///   loading: `src` is a placeholder, a `data:` URI, or missing) gets it as `src`.
///
/// `None` when lol_html cannot read the body: the caller then keeps no iframe at all.
fn embeds_and_lazy_images<'a>(html: &'a str, base: Option<&Url>) -> Option<Cow<'a, str>> {
    static NEEDLES: OnceLock<aho_corasick::AhoCorasick> = OnceLock::new();
    let needles = NEEDLES.get_or_init(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build([
                "<iframe",
                "data-src",
                "data-lazy-src",
                "data-original",
                "srcset",
            ])
            .expect("five fixed patterns")
    });
    let (mut iframes, mut lazy) = (false, false);
    // Where the last tag looked at for a `srcset` ends: each tag is looked at once, however
    // many times its text says "srcset".
    let mut looked_until = 0;
    for found in needles.find_overlapping_iter(html) {
        match found.pattern().as_usize() {
            0 => iframes = true,
            // Most pictures with a `srcset` have a `src` too: only one without is rewritten.
            4 if !lazy && found.start() >= looked_until => {
                let (without, end) = in_image_without_src(html, found.start());
                lazy = without;
                looked_until = end;
            }
            4 => {}
            _ => lazy = true,
        }
        if iframes && lazy {
            break;
        }
    }
    if !iframes && !lazy {
        return Some(Cow::Borrowed(html));
    }
    let absolute = |src: &str| {
        let src = src.trim();
        // A protocol-relative player (`//www.youtube.com/embed/…`), the usual way to write one.
        let src = match src.strip_prefix("//") {
            Some(rest) => Cow::Owned(format!("https://{rest}")),
            None => Cow::Borrowed(src),
        };
        urls::resolve_in_text(&src, &[base])
    };
    let mut handlers = Vec::new();
    if iframes {
        handlers.push(element!("iframe", |el| {
            let src = el.get_attribute("src").unwrap_or_default();
            match absolute(&src).and_then(|u| embed_url(u.as_str())) {
                Some(player) => {
                    el.set_attribute("src", &player)?;
                    el.set_inner_content("", lol_html::html_content::ContentType::Text);
                }
                None => el.remove(),
            }
            Ok(())
        }));
    }
    if lazy {
        handlers.push(element!("img", |el| {
            let placeholder = el
                .get_attribute("src")
                .is_none_or(|s| is_placeholder(s.as_bytes()));
            if placeholder {
                // Else the largest of its `srcset` candidates (the sanitizer drops `srcset`,
                // whose candidates it would not check: a picture given only those would show
                // nothing).
                if let Some(real) = el
                    .get_attribute("data-src")
                    .or_else(|| el.get_attribute("data-lazy-src"))
                    .or_else(|| el.get_attribute("data-original"))
                    .filter(|s| !s.trim().is_empty())
                    .or_else(|| {
                        let set = el
                            .get_attribute("data-srcset")
                            .or_else(|| el.get_attribute("srcset"))?;
                        largest_candidate(&set, |url| absolute(url).is_some()).map(str::to_string)
                    })
                {
                    el.set_attribute("src", &real)?;
                }
            }
            Ok(())
        }));
    }
    let rewritten = lol_html::rewrite_str(
        html,
        lol_html::RewriteStrSettings {
            element_content_handlers: handlers,
            // Markup it finds ambiguous (`<select><xmp>`) is read as best it can rather than
            // refused; `sanitize_markup` checks the outcome either way.
            strict: false,
            ..lol_html::RewriteStrSettings::new()
        },
    );
    rewritten.ok().map(Cow::Owned)
}

/// Whether the `srcset` found at `at` is in an `<img>` tag without a usable `src` (none, an
/// empty one or a `data:` placeholder), as a quick look before the rewriter: the tag runs from
/// the last `<img` before it (a `<` that starts no tag, as in `alt="I <3 it"`, passed over) to
/// the `>` after it, where the look ends (returned with the answer).
fn in_image_without_src(html: &str, at: usize) -> (bool, usize) {
    let bytes = html.as_bytes();
    let end = memchr::memchr(b'>', &bytes[at..]).map_or(bytes.len(), |e| at + e);
    let mut start = None;
    for lt in memchr::memrchr_iter(b'<', &bytes[..at]) {
        let name = &bytes[lt + 1..at];
        if name.len() > 3
            && name[..3].eq_ignore_ascii_case(b"img")
            && (name[3].is_ascii_whitespace() || name[3] == b'/')
        {
            start = Some(lt + 4);
            break;
        }
        // Another tag's start (a letter, `/`, `!`): the `srcset` is in no `<img>`.
        if name
            .first()
            .is_some_and(|b| b.is_ascii_alphabetic() || matches!(b, b'/' | b'!'))
        {
            return (false, end);
        }
    }
    let Some(start) = start else {
        return (false, end);
    };
    let tag = &bytes[start..end];
    // A `src` attribute: the name after whitespace, then `=` (not `data-src`, not `srcset`),
    // and its value.
    let src_value = |i: usize| -> Option<&[u8]> {
        let named = (i == 0 || tag[i - 1].is_ascii_whitespace())
            && tag.get(i..i + 3)?.eq_ignore_ascii_case(b"src");
        if !named {
            return None;
        }
        let rest = tag[i + 3..].trim_ascii_start().strip_prefix(b"=")?;
        let rest = rest.trim_ascii_start();
        Some(match rest.first() {
            Some(&q @ (b'"' | b'\'')) => {
                let inner = &rest[1..];
                &inner[..memchr::memchr(q, inner).unwrap_or(inner.len())]
            }
            _ => {
                let len = rest
                    .iter()
                    .position(u8::is_ascii_whitespace)
                    .unwrap_or(rest.len());
                &rest[..len]
            }
        })
    };
    (
        !(0..tag.len()).any(|i| src_value(i).is_some_and(|v| !is_placeholder(v))),
        end,
    )
}

/// Whether an `<img>`'s `src` is no picture of its own: empty, or a `data:` placeholder that a
/// lazy-loading script replaces.
fn is_placeholder(src: &[u8]) -> bool {
    let src = src.trim_ascii();
    src.is_empty()
        || src
            .get(..5)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"data:"))
}

/// The candidate of a `srcset` with the largest width or density descriptor (one without
/// counts as `1x`) among those `usable` takes, as the HTML standard splits it: a URL runs to
/// whitespace (a comma at its end ends the candidate), its descriptor to the next comma.
fn largest_candidate(srcset: &str, usable: impl Fn(&str) -> bool) -> Option<&str> {
    let mut best: Option<(&str, f64)> = None;
    let mut rest = srcset;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == ',');
        if rest.is_empty() {
            break;
        }
        let end = rest
            .find(|c: char| c.is_ascii_whitespace())
            .unwrap_or(rest.len());
        let (mut url, after) = rest.split_at(end);
        rest = after;
        let mut descriptor = "";
        if url.ends_with(',') {
            url = url.trim_end_matches(',');
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            descriptor = rest[..end].trim();
            rest = &rest[end..];
        }
        let size = if descriptor.is_empty() {
            Some(1.0)
        } else {
            descriptor
                .strip_suffix(['w', 'x'])
                .and_then(|n| n.parse::<f64>().ok())
                .filter(|n| n.is_finite() && *n > 0.0)
        };
        if let Some(size) = size.filter(|_| !url.is_empty() && usable(url)) {
            if best.is_none_or(|(_, b)| size > b) {
                best = Some((url, size));
            }
        }
    }
    best.map(|(url, _)| url)
}

/// Sanitized HTML without its tracking pixels, found by a scan of its tags (every URL in
/// them is already absolute): the sanitizer's output is html5ever's serialization, whose tags
/// [`serialized_tags`] reads without a second tokenizer.
fn drop_tracking_pixels(html: String, item_host: Option<&str>) -> String {
    let mut out = String::new();
    let mut copied = 0;
    for tag in serialized_tags(&html) {
        let pixel = tag.name == "img"
            && is_tracking_pixel(|name| serialized_attribute(tag.attributes, name), item_host);
        if pixel {
            out.push_str(&html[copied..tag.start]);
            copied = tag.end;
        }
    }
    if copied == 0 {
        return html;
    }
    out.push_str(&html[copied..]);
    out
}

/// An image (its `src` absolute) that is a tracking pixel; `attribute` gives the value of
/// one of its attributes.
fn is_tracking_pixel<'a>(
    attribute: impl Fn(&str) -> Option<Cow<'a, str>>,
    item_host: Option<&str>,
) -> bool {
    let Some(src) = attribute("src") else {
        return false;
    };
    // Only its host is read: the URL is already absolute and canonical.
    let url = Url::parse(src.trim()).ok();
    let Some(host) = url
        .as_ref()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .and_then(Url::host_str)
    else {
        return false;
    };
    if TRACKER_HOSTS.contains(&host) {
        return true;
    }
    let tiny = |name: &str| attribute(name).is_some_and(|v| is_tiny(&v));
    let foreign = item_host.is_none_or(|h| !same_site(h, host));
    tiny("width") && tiny("height") && foreign
}

/// One tag of html5ever-serialized markup (see [`serialized_tags`]).
struct Tag<'a> {
    /// Where its `<` is.
    start: usize,
    /// Where it ends: after its `>`, or the end of the markup.
    end: usize,
    /// Its name, without the `/` of an end tag.
    name: &'a str,
    /// What follows the name up to the `>`: ` name="value"` for each attribute.
    attributes: &'a str,
}

/// The tags of markup serialized by html5ever, as the sanitizer writes it, in order. That is a
/// tree with no comments and no raw-text elements (whose text would be written as it is: the
/// sanitizer removes them with their content), so every `<` opens a tag (a `<` of the text is
/// written `&lt;`), and inside a tag a `>` can only be part of an attribute value, which is
/// always in double quotes (a `"` in it is written `&quot;`; html5ever 0.40 writes `<` and `>`
/// there as entities too, which this does not count on). So a tag ends at the first `>`
/// outside quotes.
fn serialized_tags(html: &str) -> impl Iterator<Item = Tag<'_>> {
    let bytes = html.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        let open = at + memchr::memchr(b'<', bytes.get(at..)?)?;
        let name_start = open + 1 + usize::from(bytes.get(open + 1) == Some(&b'/'));
        let name_end = bytes[name_start..]
            .iter()
            .position(|b| b.is_ascii_whitespace() || matches!(b, b'/' | b'>'))
            .map_or(bytes.len(), |i| name_start + i);
        let mut quoted = false;
        let mut close = name_end;
        while close < bytes.len() {
            match bytes[close] {
                b'"' => quoted = !quoted,
                b'>' if !quoted => break,
                _ => {}
            }
            close += 1;
        }
        at = close + 1;
        Some(Tag {
            start: open,
            end: at.min(bytes.len()),
            name: &html[name_start..name_end],
            attributes: &html[name_end..close],
        })
    })
}

/// The value of attribute `name` in a serialized tag's attributes, its references decoded.
fn serialized_attribute<'a>(attributes: &'a str, name: &str) -> Option<Cow<'a, str>> {
    let mut rest = attributes;
    loop {
        let (this, value) = rest.trim_start().split_once("=\"")?;
        let (value, after) = value.split_once('"')?;
        if this == name {
            return Some(decode_entities(value));
        }
        rest = after;
    }
}

/// A width or height of 0 or 1 pixel.
fn is_tiny(value: &str) -> bool {
    let v = value.trim().trim_end_matches("px").trim();
    v == "0" || v == "1"
}

fn same_site(a: &str, b: &str) -> bool {
    let strip = |h: &str| h.strip_prefix("www.").unwrap_or(h).to_ascii_lowercase();
    strip(a) == strip(b)
}

/// `s` with its C1 control characters (U+0080 to U+009F) read as the windows-1252 characters
/// they almost always are: windows-1252 text labelled ISO-8859-1, or `&#146;` written for `’`
/// (which HTML reads as `’` but XML as a control character). No reader means a C1 control.
pub fn fix_c1_controls(s: String) -> String {
    // In UTF-8 they are 0xC2 followed by 0x80 to 0x9F; 0xC2 itself is rare enough to look
    // for with memchr.
    let bytes = s.as_bytes();
    let has_c1 = memchr::memchr_iter(0xC2, bytes)
        .any(|i| bytes.get(i + 1).is_some_and(|b| (0x80..=0x9F).contains(b)));
    if !has_c1 {
        return s;
    }
    s.chars()
        .map(|c| match u8::try_from(u32::from(c)) {
            Ok(b @ 0x80..=0x9F) => encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(&[b])
                .0
                .chars()
                .next()
                .unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Raw-text elements: their content is not text a reader sees, and the tokenizer always sees
/// their end tag (an element closed implicitly gets no end-tag handler, so only these may
/// switch the text off).
const HIDDEN: &[&str] = &["script", "style", "iframe", "noembed", "noframes", "xmp"];
/// Elements that start a new line when rendered: words on either side must not run together.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "br",
    "hr",
    "li",
    "dt",
    "dd",
    "tr",
    "td",
    "th",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "figure",
    "figcaption",
    "section",
    "article",
    "header",
    "footer",
    "table",
    "ul",
    "ol",
    "dl",
    "address",
    "aside",
    "nav",
    "main",
];

/// Text of a document as the tokenizer reads it, with the content of raw-text elements left
/// out and a space at block boundaries; decoded and collapsed a piece at a time, so that the
/// tokenizer stops as soon as the caller has its characters.
struct TextSink {
    state: Rc<RefCell<TextState>>,
}

struct TextState {
    /// Raw text (entities not yet decoded) since the last piece was taken.
    raw: String,
    /// How much of `raw` is known to hold no ASCII whitespace: only the rest is searched.
    scanned: usize,
    /// The pieces taken so far, decoded and collapsed.
    text: Collapsed,
    /// Open raw-text elements; text counts only when none is open.
    hidden: u32,
    /// Characters of text the caller keeps at most.
    max_chars: usize,
}

/// Raw text is decoded and collapsed in pieces of about this many bytes, each ending at an
/// ASCII whitespace (so no entity and no word spans two pieces).
const TEXT_PIECE: usize = 256;
/// Raw text without any ASCII whitespace (Chinese, Japanese) is taken once it is this long.
const TEXT_UNBROKEN: usize = 4096;

impl TextState {
    fn new(max_chars: usize) -> TextState {
        TextState {
            raw: String::with_capacity(TEXT_PIECE * 2),
            scanned: 0,
            text: Collapsed::default(),
            hidden: 0,
            max_chars,
        }
    }

    /// The text read so far, the rest of it decoded and collapsed unless there is enough.
    fn finish(&mut self) -> String {
        if !self.full() {
            self.take(true);
        }
        std::mem::take(&mut self.text.text)
    }

    fn push(&mut self, chunk: &str) {
        // A run of block boundaries (`<br>` after `<br>`) is one space.
        if chunk == " " && self.raw.ends_with(' ') {
            return;
        }
        self.raw.push_str(chunk);
        if self.raw.len() >= TEXT_PIECE {
            self.take(false);
        }
    }

    /// Decodes and collapses the raw text up to its last whitespace (`all`: all of it).
    fn take(&mut self, all: bool) {
        let end = if all {
            self.raw.len()
        } else {
            match self.raw[self.scanned..].rfind(|c: char| c.is_ascii_whitespace()) {
                Some(i) => self.scanned + i + 1,
                None if self.raw.len() >= TEXT_UNBROKEN => entity_safe_end(&self.raw),
                None => {
                    self.scanned = self.raw.len();
                    return;
                }
            }
        };
        self.text.push(&decode_entities(&self.raw[..end]));
        self.raw.drain(..end);
        // What is left follows the last whitespace (or is the start of an entity).
        self.scanned = self.raw.len();
    }

    fn full(&self) -> bool {
        self.text.chars > self.max_chars
    }
}

/// Text with its character references decoded, as `html_escape::decode_html_entities` does;
/// text without an `&` (most pieces of a story's text) is found so by one vectorized search
/// rather than the decoder's walk over every byte.
pub(crate) fn decode_entities(s: &str) -> Cow<'_, str> {
    if s.as_bytes().contains(&b'&') {
        html_escape::decode_html_entities(s)
    } else {
        Cow::Borrowed(s)
    }
}

/// Where text without whitespace can be cut without cutting an entity in two.
fn entity_safe_end(raw: &str) -> usize {
    match raw.rfind('&') {
        Some(i) if raw.len() - i < 32 && !raw[i..].contains(';') => i,
        _ => raw.len(),
    }
}

impl TextSink {
    fn new(max_chars: usize) -> TextSink {
        TextSink {
            state: Rc::new(RefCell::new(TextState::new(max_chars))),
        }
    }

    fn element(&self, el: &mut lol_html::html_content::Element<'_, '_>) {
        let name = el.tag_name();
        if HIDDEN.contains(&name.as_str()) {
            let state = self.state.clone();
            let leave: EndTagHandler<'static> = Box::new(move |_: &mut EndTag<'_>| {
                let mut state = state.borrow_mut();
                state.hidden = state.hidden.saturating_sub(1);
                Ok(())
            });
            if let Some(handlers) = el.end_tag_handlers() {
                handlers.push(leave);
                self.state.borrow_mut().hidden += 1;
            }
        } else if BLOCKS.contains(&name.as_str()) {
            self.state.borrow_mut().push(" ");
            if let Some(handlers) = el.end_tag_handlers() {
                let state = self.state.clone();
                let close: EndTagHandler<'static> = Box::new(move |_: &mut EndTag<'_>| {
                    state.borrow_mut().push(" ");
                    Ok(())
                });
                handlers.push(close);
            }
        }
    }

    fn push(&self, chunk: &str) {
        let mut state = self.state.borrow_mut();
        if state.hidden == 0 {
            state.push(chunk);
        }
    }

    /// An error that stops the tokenizer once the caller has its characters.
    fn enough(&self) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if self.state.borrow().full() {
            return Err("enough text".into());
        }
        Ok(())
    }

    /// The text with entities decoded and whitespace collapsed: all of it, or whole words
    /// past `max_chars` characters when it is longer.
    fn finish(self) -> String {
        self.state.borrow_mut().finish()
    }
}

/// `text` with whitespace collapsed (and entities decoded when `decode`), as far as it takes
/// to have more than `max_chars` characters: a piece at a time, each ending at an ASCII
/// whitespace, so no entity and no word spans two pieces.
fn collapsed_prefix(text: &str, max_chars: usize, decode: bool) -> String {
    const PIECE: usize = 2048;
    let mut out = Collapsed::default();
    let mut rest = text;
    while !rest.is_empty() && out.chars <= max_chars {
        let end = if rest.len() <= PIECE {
            rest.len()
        } else {
            rest.as_bytes()[PIECE..]
                .iter()
                .position(u8::is_ascii_whitespace)
                .map_or(rest.len(), |i| PIECE + i + 1)
        };
        if decode {
            out.push(&decode_entities(&rest[..end]));
        } else {
            out.push(&rest[..end]);
        }
        rest = &rest[end..];
    }
    out.text
}

/// Elements whose end tag (or, for the void ones, whose tag) in a text says it is markup.
const MARKUP: &[&str] = &[
    "a",
    "abbr",
    "address",
    "article",
    "aside",
    "audio",
    "b",
    "big",
    "blockquote",
    "body",
    "br",
    "caption",
    "center",
    "cite",
    "code",
    "dd",
    "del",
    "details",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "figcaption",
    "figure",
    "font",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hr",
    "html",
    "i",
    "iframe",
    "img",
    "ins",
    "kbd",
    "label",
    "li",
    "main",
    "mark",
    "nav",
    "noscript",
    "object",
    "ol",
    "p",
    "picture",
    "pre",
    "q",
    "s",
    "samp",
    "script",
    "section",
    "small",
    "source",
    "span",
    "strike",
    "strong",
    "style",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "title",
    "tr",
    "tt",
    "u",
    "ul",
    "var",
    "video",
    "wbr",
];
/// Elements that have no end tag.
const VOID: &[&str] = &["br", "hr", "img", "wbr", "embed", "source"];

/// Whether a text holds HTML markup rather than angle brackets of its own: an end tag of an
/// HTML element (`</p>`), a void element (`<br>`, `<img src=…>`) or a comment. `Vec<T>`,
/// `<<Gratë në politikë>>`, `a<b` and a lone `<video>` mentioned in a sentence are text.
pub fn looks_like_html(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut from = 0;
    while let Some(at) = s[from..].find('<').map(|i| from + i) {
        from = at + 1;
        let rest = &bytes[at + 1..];
        if rest.starts_with(b"!--") {
            return true;
        }
        let (closing, name_at) = match rest.first() {
            Some(b'/') => (true, 1),
            _ => (false, 0),
        };
        let name_len = rest[name_at..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if name_len == 0 {
            continue;
        }
        let name = std::str::from_utf8(&rest[name_at..name_at + name_len])
            .unwrap_or("")
            .to_ascii_lowercase();
        let after = rest.get(name_at + name_len).copied();
        let ends_tag = matches!(after, Some(b'>' | b'/' | b' ' | b'\t' | b'\n' | b'\r'));
        if !ends_tag {
            continue;
        }
        if closing && after == Some(b'>') && MARKUP.contains(&name.as_str()) {
            return true;
        }
        if !closing && VOID.contains(&name.as_str()) {
            return true;
        }
        // An opening tag with an attribute (`<svg/onload=…>`, `<a href="…">`): markup, and
        // one a reader treating the text as HTML would run.
        if !closing && has_attribute(&rest[name_at + name_len..]) {
            return true;
        }
    }
    false
}

/// Whether what follows a tag's name, up to its `>`, names an attribute: `name=` after a space
/// or `/`. `<b = c>` (a comparison written out) names none.
fn has_attribute(after_name: &[u8]) -> bool {
    let end = memchr::memchr(b'>', &after_name[..after_name.len().min(512)]);
    let Some(tag) = end.map(|e| &after_name[..e]) else {
        return false;
    };
    let mut seen_gap = false;
    let mut name_len = 0;
    for &b in tag {
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | b'/' => {
                seen_gap = true;
                name_len = 0;
            }
            b'=' if seen_gap && name_len > 0 => return true,
            b if seen_gap && (b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b':') => {
                name_len += 1;
            }
            _ => name_len = 0,
        }
    }
    false
}

/// Plain text of an HTML fragment: tags dropped, entities decoded, whitespace collapsed.
/// One streaming pass (lol_html's tokenizer, no DOM): summaries of every new item need it.
pub fn to_text(html: &str) -> String {
    to_text_prefix(html, usize::MAX)
}

/// The start of [`to_text`] of `html`: all of it when it has at most `max_chars` characters,
/// else whole words past that many. The text is decoded and collapsed as it is read, and the
/// tokenizer stops once it has more than `max_chars` characters: a summary of a long article
/// reads only its start (a body of nothing but spaces is read to its end).
pub fn to_text_prefix(html: &str, max_chars: usize) -> String {
    if !html.contains(['<', '&']) {
        return collapsed_prefix(html, max_chars, false);
    }
    // Markup nested too deep costs lol_html's selectors a search of their stack at each end
    // tag that closes nothing: read without them (only worth looking for in long markup).
    if html.len() > DEEP_SUSPECT && too_costly(html) {
        return collapsed_prefix(&without_tags(html), max_chars, true);
    }
    let sink = TextSink::new(max_chars);
    let settings = Settings {
        element_content_handlers: vec![element!("*", |el| {
            sink.element(el);
            sink.enough()
        })],
        document_content_handlers: vec![doc_text!(|chunk| {
            sink.push(chunk.as_str());
            sink.enough()
        })],
        // Not strict: markup lol_html cannot rewrite unambiguously is still read for its text.
        strict: false,
        ..Settings::new()
    };
    let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
    let read = match rewriter.write(html.as_bytes()) {
        Ok(()) => rewriter.end(),
        Err(e) => {
            drop(rewriter);
            Err(e)
        }
    };
    match read {
        Ok(()) => sink.finish(),
        Err(_) if sink.enough().is_err() => sink.finish(),
        // Only a memory limit stops the tokenizer now: fall back to ammonia with no tags
        // allowed, which keeps the text and never the markup.
        Err(_) => collapse_whitespace(&html_escape::decode_html_entities(
            &ammonia::Builder::empty().clean(html).to_string(),
        )),
    }
}

/// [`to_text_prefix`] of HTML that [`sanitize`] wrote, read without a tokenizer: the text is
/// what lies between its tags ([`serialized_tags`]). Tokenizing the body a second time for its
/// first 600 characters cost as much as a tenth of a story's ingest (docs/BENCHMARKS.md,
/// session 14).
pub fn sanitized_text_prefix(html: &str, max_chars: usize) -> String {
    let mut state = TextState::new(max_chars);
    let mut at = 0;
    for tag in serialized_tags(html) {
        if state.full() {
            return state.finish();
        }
        if tag.start > at {
            state.push(&html[at..tag.start]);
        }
        if BLOCKS.contains(&tag.name) {
            state.push(" ");
        }
        at = tag.end;
    }
    if at < html.len() && !state.full() {
        state.push(&html[at..]);
    }
    state.finish()
}

/// Collapses every run of whitespace (including no-break and other Unicode spaces) to one
/// space and trims the ends; zero-width characters are removed, but for joiners within a word.
pub fn collapse_whitespace(s: &str) -> String {
    let mut out = Collapsed::default();
    out.push(s);
    out.text
}

/// Text collapsed as [`collapse_whitespace`] does, built from pieces that each end at a
/// whitespace.
#[derive(Default)]
struct Collapsed {
    text: String,
    /// Characters in `text`.
    chars: usize,
    /// The last piece ended inside a word: the next one continues it.
    open: bool,
}

impl Collapsed {
    /// Appends `s` collapsed, in one pass over its bytes: text is copied a run at a time,
    /// between zero-width characters and whitespace other than one space. Every space and
    /// zero-width character is ASCII or starts with one of five lead bytes; only those
    /// characters are decoded, and the bytes of a word are passed over by a table lookup each.
    fn push(&mut self, s: &str) {
        self.text.reserve(s.len());
        let bytes = s.as_bytes();
        let mut in_word = self.open;
        // Start of the part of the current word not copied yet.
        let mut run = 0;
        let mut i = 0;
        while i < bytes.len() {
            let (class, len) = match BYTE_KINDS[usize::from(bytes[i])] {
                ByteKind::Word => {
                    if !in_word {
                        self.start_word();
                        in_word = true;
                        run = i;
                    }
                    // The rest of the word's plain bytes; a character is counted at the
                    // byte that starts it.
                    let mut j = i;
                    while let Some(&b) = bytes.get(j) {
                        if BYTE_KINDS[usize::from(b)] != ByteKind::Word {
                            break;
                        }
                        self.chars += usize::from(b & 0xc0 != 0x80);
                        j += 1;
                    }
                    i = j;
                    continue;
                }
                // One space between two words is what collapsing writes there: the run of
                // the word goes on through it and the next word, to be copied with them.
                ByteKind::Space
                    if in_word
                        && bytes[i] == b' '
                        && bytes
                            .get(i + 1)
                            .is_some_and(|&b| BYTE_KINDS[usize::from(b)] == ByteKind::Word) =>
                {
                    self.chars += 1;
                    i += 1;
                    continue;
                }
                ByteKind::Space => (Class::Space, 1),
                ByteKind::Decode => {
                    let c = s[i..].chars().next().unwrap_or(' ');
                    let class = if ZERO_WIDTH.contains(&c) {
                        Class::Nothing
                    } else if JOINERS.contains(&c) && !in_word {
                        // A joiner joins nothing outside a word.
                        Class::Nothing
                    } else if is_space(c) {
                        Class::Space
                    } else {
                        Class::Word
                    };
                    (class, c.len_utf8())
                }
            };
            match class {
                Class::Space => {
                    if in_word {
                        self.text.push_str(&s[run..i]);
                        in_word = false;
                    }
                }
                Class::Nothing => {
                    if in_word {
                        self.text.push_str(&s[run..i]);
                    }
                    run = i + len;
                }
                Class::Word => {
                    if !in_word {
                        self.start_word();
                        in_word = true;
                        run = i;
                    }
                    self.chars += 1;
                }
            }
            i += len;
        }
        if in_word {
            self.text.push_str(&s[run..]);
        }
        self.open = in_word;
    }

    /// A word begins: a space before it unless it is the first.
    fn start_word(&mut self) {
        if !self.text.is_empty() {
            self.text.push(' ');
            self.chars += 1;
        }
    }
}

/// How [`Collapsed::push`] takes a byte.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ByteKind {
    /// Part of a word, whatever follows: ASCII other than whitespace, a byte continuing a
    /// character, or the first byte of a character that is never a space or zero-width.
    Word,
    /// ASCII whitespace.
    Space,
    /// The first byte of a character that may be a space or zero-width: decoded.
    Decode,
}

static BYTE_KINDS: [ByteKind; 256] = {
    let mut kinds = [ByteKind::Word; 256];
    let mut b = 0;
    while b < 256 {
        kinds[b] = match b as u8 {
            b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' => ByteKind::Space,
            0xc2 | 0xe1 | 0xe2 | 0xe3 | 0xef => ByteKind::Decode,
            _ => ByteKind::Word,
        };
        b += 1;
    }
    kinds
};

/// How [`Collapsed::push`] reads a character.
enum Class {
    Space,
    /// Zero-width: dropped, and no word boundary.
    Nothing,
    Word,
}

/// Characters removed from text: they only steer line breaking.
const ZERO_WIDTH: [char; 4] = ['\u{200b}', '\u{2060}', '\u{feff}', '\u{ad}'];

/// Zero-width joiner and non-joiner: kept within a word, where they are part of how it is
/// written (an emoji family 👩‍👩‍👧, the Persian می‌خواهم), removed outside one.
const JOINERS: [char; 2] = ['\u{200c}', '\u{200d}'];

fn is_space(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_whitespace() || c == '\u{b}'
    } else {
        c.is_whitespace() || c == '\u{a0}' || c == '\u{202f}' || c == '\u{2007}'
    }
}

/// Shortens text to at most `max` characters at a word boundary, adding an ellipsis.
pub fn truncate_words(text: &str, max: usize) -> String {
    // `Chars` skips characters by counting the bytes that start them, a word at a time.
    let mut rest = text.chars();
    let Some(first_cut) = rest.nth(max) else {
        return text.to_string();
    };
    let end = text.len() - rest.as_str().len() - first_cut.len_utf8();
    let cut = &text[..end];
    let cut = match cut.rfind(' ') {
        Some(i) if i > max / 2 => &cut[..i],
        _ => cut,
    };
    format!("{}…", cut.trim_end_matches([',', ';', ':', '.', ' ', '-']))
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn base() -> Url {
        Url::parse("https://balkansgroup.example/en/news/").unwrap()
    }

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
        let body =
            format!("<p>Hello &amp; <b>world</b></p><img src=\"/p.png\"{attributes}><p>end</p>");
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

    /// A body that its URLs made absolute would make longer than [`MAX_SANITIZED`] keeps its
    /// text alone.
    #[test]
    fn a_body_its_urls_would_swell_keeps_its_text_alone() {
        let long = Url::parse(&format!("https://x.example/{}/", "a".repeat(1_900))).unwrap();
        let links = "<a href=b>x</a> ".repeat(2_000);
        let kept = sanitize(&links, Some(&long), None);
        assert_eq!(kept, "x ".repeat(2_000).trim_end());
        let short = sanitize(&links, Some(&base()), None);
        assert!(
            short.starts_with("<a href=\"https://balkansgroup.example/en/news/b\""),
            "{}",
            &short[..100]
        );
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
    fn plain_text_bodies_come_out_as_the_sanitizer_writes_them() {
        let samples = [
            "Workshop on the Brussels dialogue",
            "  Ženski kokus > 30 članica\u{a0}— Женски кокус  ",
            "line one\nline two\n\n\tindented\u{c}form feed",
            "quotes \"double\" and 'single', a / slash, 3 > 2 >> 1",
            "\u{200b}zero width and \u{85}next line",
            "",
            "   ",
            "\u{a0}\u{a0}",
        ];
        for sample in samples {
            assert!(is_plain_text(sample));
            assert_eq!(
                sanitize(sample, None, None),
                sanitize_markup(sample, None, None),
                "{sample:?}"
            );
        }
        // Every character of the Basic Multilingual Plane and a few beyond, alone and
        // between words.
        let all = (1..=0xffffu32)
            .chain([0x1f642, 0x10ffff])
            .filter_map(char::from_u32)
            .filter(|c| is_plain_text(c.encode_utf8(&mut [0; 4])));
        for ch in all {
            let sample = format!("{ch}a{ch}b {ch}");
            assert_eq!(
                sanitize(&sample, None, None),
                sanitize_markup(&sample, None, None),
                "U+{:04X}",
                u32::from(ch)
            );
        }
        for markup in ["a <b>", "a &amp; b", "a\r\nb", "a\0b", "\u{feff}a"] {
            assert!(!is_plain_text(markup), "{markup:?}");
        }
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
    fn removes_scripts_handlers_and_javascript_urls() {
        let dirty = r#"<p onclick="x()">Hi<script>alert(1)</script></p>
            <a href="javascript:alert(1)">a</a><a href="jav&#x09;ascript:alert(2)">b</a>
            <iframe src="https://evil.example/"></iframe><object data="x"></object>
            <form action="/x"><input></form><div style="background:url(javascript:alert(3))">s</div>
            <img src="x.jpg" onerror="alert(4)">"#;
        let clean = sanitize(dirty, Some(&base()), Some("balkansgroup.example"));
        let lower = clean.to_lowercase();
        for bad in [
            "<script",
            "onclick",
            "onerror",
            "javascript",
            "<iframe",
            "<object",
            "<form",
            "style=",
        ] {
            assert!(!lower.contains(bad), "{bad} survived in {clean}");
        }
        assert!(clean.contains("Hi"));
        assert!(
            clean.contains(r#"src="https://balkansgroup.example/en/news/x.jpg""#),
            "{clean}"
        );
    }

    #[test]
    fn resolves_relative_links_and_marks_them_nofollow() {
        let clean = sanitize(
            r#"<a href="/en/report.pdf">Report</a>"#,
            Some(&base()),
            None,
        );
        assert!(
            clean.contains(r#"href="https://balkansgroup.example/en/report.pdf""#),
            "{clean}"
        );
        assert!(clean.contains("noopener"));
        let no_base = sanitize(r#"<a href="/en/report.pdf">Report</a>"#, None, None);
        assert!(!no_base.contains("href"), "{no_base}");
    }

    /// A video's poster and source, a sound's file signed anew show the same; another file,
    /// or the signed query moved to another attribute or tag, does not.
    #[test]
    fn a_body_whose_video_was_signed_anew_shows_the_same() {
        let body = |poster: &str, src: &str, audio: &str| {
            sanitize(
                &format!(
                    r#"<video poster="https://cdn.example/{poster}" controls><source src="https://cdn.example/{src}" type="video/mp4"></video><audio src="https://cdn.example/{audio}" controls></audio>"#
                ),
                None,
                None,
            )
        };
        let stored = body("p.jpg?sig=1", "v.mp4?sig=1", "a.mp3?sig=1");
        let renewed = body("p.jpg?sig=2", "v.mp4?sig=2", "a.mp3?sig=2");
        assert_ne!(stored, renewed);
        assert!(same_but_media_queries(&stored, &renewed), "{renewed}");
        for other in [
            body("q.jpg?sig=1", "v.mp4?sig=1", "a.mp3?sig=1"),
            body("p.jpg?sig=1", "w.mp4?sig=1", "a.mp3?sig=1"),
            body("p.jpg?sig=1", "v.mp4?sig=1", "b.mp3?sig=1"),
            stored.replace("video/mp4", "video/webm"),
            stored
                .replace("<audio", "<video")
                .replace("</audio>", "</video>"),
        ] {
            assert!(!same_but_media_queries(&stored, &other), "{other}");
        }
    }

    /// A body whose pictures' addresses were signed anew shows the same; anything else that
    /// changed, even a link's query or a picture's text, does not.
    #[test]
    fn a_body_whose_picture_was_signed_anew_shows_the_same() {
        let body = |src: &str, alt: &str, text: &str, link: &str| {
            sanitize(
                &format!(
                    r#"<p>{text}</p><figure><img src="{src}" alt="{alt}" width="800"><figcaption>The caucus</figcaption></figure><p><a href="{link}">More</a></p>"#
                ),
                Some(&base()),
                None,
            )
        };
        let signed = "https://cdn.example/a.jpg?sig=abc&exp=1700000000";
        let link = "https://balkansgroup.example/p?id=1";
        let stored = body(signed, "Delegates", "The caucus met.", link);
        assert!(stored.contains("sig=abc&amp;exp="), "{stored}");
        for renewed in [
            "https://cdn.example/a.jpg?sig=def&exp=1700003600",
            "https://cdn.example/a.jpg?v=1764500000",
            "https://cdn.example/a.jpg",
            // Relative, as the feed may write it: resolved against the same base.
            "//cdn.example/a.jpg?itok=Xy7",
        ] {
            let new = body(renewed, "Delegates", "The caucus met.", link);
            assert_ne!(new, stored);
            assert!(same_but_media_queries(&stored, &new), "{new}");
        }
        for other in [
            body(
                "https://cdn.example/b.jpg?sig=abc&exp=1700000000",
                "Delegates",
                "The caucus met.",
                link,
            ),
            body(signed, "Delegates at the table", "The caucus met.", link),
            body(signed, "Delegates", "The caucus met again.", link),
            body(
                signed,
                "Delegates",
                "The caucus met.",
                "https://balkansgroup.example/p?id=2",
            ),
            format!("{stored}<p><img src=\"{signed}\"></p>"),
            stored.replace(" width=\"800\"", ""),
        ] {
            assert!(!same_but_media_queries(&stored, &other), "{other}");
        }
        // A tag cut short at the end of the markup is compared as it is written.
        let cut = "<p>x</p><img src=\"https://cdn.example/a.jpg?sig=abc";
        assert!(!same_but_media_queries(
            cut,
            "<p>x</p><img src=\"https://cdn.example/a.jpg?sig=def"
        ));
        assert!(same_but_media_queries(cut, cut));
    }

    #[test]
    fn a_picture_given_only_a_srcset_shows_its_largest_candidate() {
        let largest = |set| largest_candidate(set, |_| true);
        assert_eq!(
            largest("/c-400.png 400w, /c-800.png 800w,/c-600.png 600w"),
            Some("/c-800.png")
        );
        assert_eq!(largest("a.png, b.png 2x"), Some("b.png"));
        assert_eq!(
            largest_candidate("javascript:x() 2x, ok.png 1x", |u| !u
                .starts_with("javascript")),
            Some("ok.png")
        );
        // A URL with commas (an image CDN's parameters) is one candidate.
        assert_eq!(
            largest("https://cdn.example/w_400,h_300/a.jpg 1x, https://cdn.example/w_800,h_600/a.jpg 2x"),
            Some("https://cdn.example/w_800,h_600/a.jpg")
        );
        assert_eq!(largest(" , "), None);
        assert_eq!(largest("a.png 0w, b.png bogus"), None);
        let body = concat!(
            r#"<p><img srcset="/c-400.png 400w, /c-800.png 800w" alt="Chart"></p>"#,
            r#"<p><IMG data-srcset="/d-1.png 1x, /d-2.png 2x" alt="Lazy"></p>"#,
            r#"<p><img src="/e.png" srcset="/e-2.png 2x" alt="Eager"></p>"#,
            "<p><img\n  srcset=\"/n-400.png 400w, /n-800.png 800w\" alt=\"Newline\"></p>",
            r#"<p><img alt="I <3 Prizren" srcset="/h-1.png 1x, /h-2.png 2x"></p>"#,
            r#"<p><img src="data:image/gif;base64,R0lGOD" srcset="/p-1.png 1x, /p-2.png 2x"></p>"#,
            r#"<p><img srcset="javascript:alert(1) 2x, /ok.png 1x" alt="Safe"></p>"#,
        );
        let clean = sanitize(body, Some(&base()), None);
        for picture in [
            "c-800.png",
            "d-2.png",
            "e.png",
            "n-800.png",
            "h-2.png",
            "p-2.png",
            "ok.png",
        ] {
            assert!(
                clean.contains(&format!(r#"src="https://balkansgroup.example/{picture}""#)),
                "{picture}: {clean}"
            );
        }
        assert!(
            !clean.contains("srcset") && !clean.contains("e-2.png"),
            "{clean}"
        );
        // The quick look: only an `<img>` without a `src` is rewritten.
        let at = |html: &str| in_image_without_src(html, html.find("srcset").unwrap()).0;
        assert!(at(r#"<img srcset="a.png">"#));
        assert!(at(r#"<img data-src="" srcset="a.png">"#));
        assert!(!at(r#"<img SRC = "a.png" srcset="b.png">"#));
        assert!(!at(r#"<source srcset="a.png">"#));
        assert!(at("<img\tsrcset=\"a.png\">"));
        assert!(at(r#"<img src='' srcset="a.png">"#));
        assert!(at(r#"<img src="data:image/gif;base64,R0" srcset="a.png">"#));
        assert!(at(r#"<img alt="1 < 2" srcset="a.png">"#));
        assert!(!at(r#"<img src=/a.png srcset="b.png">"#));
        // Each tag is looked at once, however often it says "srcset" (an `alt` of 100,000 of
        // them took seconds): the look ends at its `>`.
        let many = format!(
            r#"<img src="/a.png" alt="{}" srcset="b.png">"#,
            "srcset ".repeat(3)
        );
        assert_eq!(
            in_image_without_src(&many, many.find("srcset").unwrap()),
            (false, many.len() - 1)
        );
        let placeholder =
            r#"<img src="DATA:image/gif;base64,R0" srcset="/q-1.png 1x, /q-2.png 2x">"#;
        assert!(sanitize(placeholder, Some(&base()), None).contains("q-2.png"));
    }

    #[test]
    fn players_from_known_hosts_stay_other_frames_go_and_lazy_images_load() {
        let body = concat!(
            r#"<p>Watch:</p><iframe width="560" src="//www.youtube.com/embed/abc123?si=x" "#,
            r#"onload="steal()" allowfullscreen>fallback <b>text</b></iframe>"#,
            r#"<IFRAME src="https://player.vimeo.com/video/42"></IFRAME>"#,
            r#"<iframe src="/en/map.html" title="Map of the crossings"></iframe>"#,
            r#"<iframe src="javascript:alert(1)"></iframe><iframe>no source</iframe>"#,
            r#"<video src="/media/talk.mp4" poster="/media/talk.jpg" controls autoplay></video>"#,
            r#"<audio controls><source src="/media/ep3.mp3" type="audio/mpeg"></audio>"#,
            r#"<img src="data:image/gif;base64,R0lGOD" data-src="/uploads/photo.jpg" alt="lazy">"#,
            r#"<img data-lazy-src="/uploads/other.jpg" alt="lazier">"#,
            r#"<img class="lazyload" data-original="/uploads/third.jpg" alt="laziest">"#,
            r#"<noscript><img src="/uploads/third.jpg" alt="laziest"></noscript>"#,
            r#"<noscript>Turn on JavaScript to see the gallery.</noscript>"#,
            r#"<img src="/uploads/real.jpg" data-src="/uploads/ignored.jpg" alt="eager">"#,
            r#"<picture><source srcset="/uploads/wide.webp 2x, https://pixel.example/t.gif 1x" type="image/webp">"#,
            r#"<img src="/uploads/narrow.jpg" alt="responsive"></picture>"#,
        );
        let clean = sanitize(body, Some(&base()), Some("balkansgroup.example"));
        // The players, on https, YouTube's without cookies, sandboxed, empty.
        assert!(
            clean.contains(r#"src="https://www.youtube-nocookie.com/embed/abc123?si=x""#),
            "{clean}"
        );
        assert!(
            clean.contains(r#"src="https://player.vimeo.com/video/42""#),
            "{clean}"
        );
        assert_eq!(clean.matches("<iframe").count(), 2, "{clean}");
        assert_eq!(clean.matches("sandbox=").count(), 2, "{clean}");
        assert!(
            !clean.contains("fallback") && !clean.contains("onload"),
            "{clean}"
        );
        // Any other frame goes.
        for gone in ["map.html", "javascript", "no source"] {
            assert!(!clean.contains(gone), "{gone}: {clean}");
        }
        // Media, absolute, without autoplay.
        assert!(
            clean.contains(r#"src="https://balkansgroup.example/media/talk.mp4""#)
                && clean.contains(r#"poster="https://balkansgroup.example/media/talk.jpg""#),
            "{clean}"
        );
        assert!(!clean.contains("autoplay"), "{clean}");
        // A picture keeps its image; the candidates of `srcset` go with it.
        assert!(
            clean.contains(r#"src="https://balkansgroup.example/uploads/narrow.jpg""#)
                && !clean.contains("srcset")
                && !clean.contains("wide.webp"),
            "{clean}"
        );
        assert!(
            clean.contains(r#"<source src="https://balkansgroup.example/media/ep3.mp3""#),
            "{clean}"
        );
        // Lazily loaded pictures get their real source; an eager one keeps its own.
        for picture in ["photo.jpg", "other.jpg", "real.jpg", "third.jpg"] {
            assert!(
                clean.contains(&format!(
                    r#"src="https://balkansgroup.example/uploads/{picture}""#
                )),
                "{picture}: {clean}"
            );
        }
        assert!(!clean.contains("data:image"), "{clean}");
        // What a `<noscript>` holds is not shown as escaped markup, nor its text as the
        // story's: the picture it offers is the lazy one's, shown once.
        assert!(
            !clean.contains("&lt;img") && !clean.contains("JavaScript"),
            "{clean}"
        );
        assert_eq!(clean.matches("third.jpg").count(), 1, "{clean}");
        // The summary reads the text around them, and none of theirs.
        assert_eq!(
            sanitized_text_prefix(&clean, 600),
            to_text_prefix(&clean, 600)
        );
        assert!(!to_text(&clean).contains("fallback"));
    }

    #[test]
    fn a_noscript_left_open_takes_nothing_after_it() {
        let body = r#"<p>Intro</p><noscript><img src="https://ex.com/only.jpg"><p>Rest of the article, never closed</p>"#;
        let clean = sanitize(body, Some(&base()), None);
        assert!(clean.contains("Rest of the article"), "{clean}");
        assert!(
            clean.contains(r#"src="https://ex.com/only.jpg""#),
            "{clean}"
        );
        assert!(!clean.contains("&lt;"), "{clean}");
        // Closed ones still go with their content, and an open inside one is its text.
        let body = "<p>A</p><noscript>x<noscript>y</NOSCRIPT><p>B</p><NoScript ><p>C</p>";
        let clean = sanitize(body, Some(&base()), None);
        assert_eq!(clean, "<p>A</p><p>B</p><p>C</p>");
        assert!(matches!(
            unclosed_noscripts_opened("<p>no such element</p>"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn no_iframe_carries_markup_through_whatever_the_pass_before_makes_of_it() {
        let payload = r#"<iframe src="https://evil.example/x"><script>alert(1)</script><img src=x onerror=alert(2)></iframe><p>After</p>"#;
        let player = r#"<iframe src="https://www.youtube.com/embed/a"><script>alert(3)</script></iframe><p>After</p>"#;
        for prefix in [
            "",
            "<select><xmp></xmp></select>",
            "<select><style></style></select>",
            "<frameset></frameset>",
            "<svg><iframe>x</iframe></svg>",
            "<math><mi><iframe>",
        ] {
            for body in [payload, player] {
                let raw = format!("{prefix}{body}");
                let clean = sanitize(&raw, Some(&base()), None);
                assert!(iframes_are_empty(&clean), "{raw} → {clean}");
                for bad in ["<script", "onerror", "alert(", "evil.example"] {
                    assert!(!clean.contains(bad), "{bad}: {raw} → {clean}");
                }
                assert_eq!(
                    sanitized_text_prefix(&clean, 600),
                    to_text_prefix(&clean, 600),
                    "{raw} → {clean}"
                );
            }
        }
        assert!(iframes_are_empty(
            r#"<p>x</p><iframe src="https://a" title="1 > 0"></iframe>y"#
        ));
        assert!(!iframes_are_empty("<iframe><b>x</b></iframe>"));
        assert!(!iframes_are_empty("<iframe src=\"a\">"));
    }

    #[test]
    fn links_in_the_text_keep_their_fragment_and_lose_their_trackers() {
        let clean = sanitize(
            r##"<a href="#notes">Notes</a> <a href="/en/report.pdf?utm_source=rss&amp;id=4#page=12">p. 12</a>"##,
            Some(&base()),
            None,
        );
        let page = base().join("#notes").unwrap();
        assert!(clean.contains(&format!(r#"href="{page}""#)), "{clean}");
        assert!(
            clean.contains(r#"href="https://balkansgroup.example/en/report.pdf?id=4#page=12""#),
            "{clean}"
        );
    }

    #[test]
    fn drops_tracking_pixels_from_other_hosts_only() {
        let html = r#"<p>t</p><img width="1" height="1" src="https://tracker.example.net/px.gif?u=1">
            <img src="https://feeds.feedburner.com/~r/x/~4/abc">
            <img width="1" height="1" src="/spacer.gif" alt="own">
            <img src="/photo.jpg" alt="Photo" width="600" height="400">"#;
        let clean = sanitize(html, Some(&base()), Some("balkansgroup.example"));
        assert!(!clean.contains("tracker.example.net"), "{clean}");
        assert!(!clean.contains("feedburner"), "{clean}");
        assert!(clean.contains("spacer.gif"));
        assert!(clean.contains("photo.jpg"));
    }

    /// The images a tokenizer (lol_html) finds and removes as pixels in sanitized markup.
    fn pixels_dropped_by_a_tokenizer(html: &str, item_host: Option<&str>) -> String {
        lol_html::rewrite_str(
            html,
            lol_html::RewriteStrSettings {
                element_content_handlers: vec![element!("img", |el| {
                    if is_tracking_pixel(|name| el.get_attribute(name).map(Cow::Owned), item_host) {
                        el.remove();
                    }
                    Ok(())
                })],
                ..lol_html::RewriteStrSettings::new()
            },
        )
        .unwrap()
    }

    #[test]
    fn pixels_are_found_in_the_sanitized_markup_as_a_tokenizer_finds_them() {
        let bodies = [
            r#"<p>a</p><img src="https://pixel.wp.com/g.gif?x=1&amp;y=2"><p>b</p>"#,
            r#"<img width="1" height="1" src="https://t.example.net/p.gif?a=1&amp;b=&quot;2&quot;">"#,
            r#"<img height="0px" width=" 1 " src="//cdn.example.org/p.gif">tail"#,
            r#"<img src="https://www.balkansgroup.example/own.gif" width="1" height="1">"#,
            r#"<img src="https://cdn.example.org/wide.jpg" width="1" height="300">"#,
            r#"<a title="<img src=https://pixel.wp.com/x.gif>" href="/a">not an image</a>"#,
            r#"<p title='x > <img width=1 height=1 src="https://t.example.net/q">'>text</p>"#,
            r#"<img alt="a &quot;quoted&quot; > sign" width="1" height="1" src="https://t.example.net/r">"#,
            "<p>&lt;img width=1 height=1 src=https://t.example.net/s&gt; is text</p>",
            r#"<figure><img src="https://sb.scorecardresearch.com/b"><img src="https://x.example/1.jpg"></figure>"#,
            r#"<img src="data:image/gif;base64,R0lGOD" width="1" height="1"><img width="1" height="1">"#,
            "<p>no images at all</p>",
        ];
        for raw in bodies {
            // Sanitized the way the pipeline sanitizes, but with the pixels kept.
            let clean = sanitizer().clean(raw).to_string();
            for host in [None, Some("balkansgroup.example")] {
                assert_eq!(
                    drop_tracking_pixels(clean.clone(), host),
                    pixels_dropped_by_a_tokenizer(&clean, host),
                    "{clean} for {host:?}"
                );
            }
        }
        let clean = sanitizer().clean(bodies[0]).to_string();
        assert!(!drop_tracking_pixels(clean, None).contains("pixel.wp.com"));
    }

    #[test]
    fn links_are_read_with_their_text() {
        let html = sanitize(
            r#"<p>Read <a href="https://a.example/p.pdf?x=1&amp;y=2">the <b>list</b> of
            priorities&nbsp;(PDF)</a>, <a href="mailto:x@a.example">write</a>,
            <a href="https://a.example/empty"><img src="https://a.example/i.jpg"></a> or
            <a href="/form#prijava">Prijavni formular</a>.</p>"#,
            Some(&base()),
            None,
        );
        assert_eq!(
            links(&html),
            [
                (
                    "the list of priorities (PDF)".to_string(),
                    "https://a.example/p.pdf?x=1&y=2".to_string()
                ),
                (
                    "Prijavni formular".to_string(),
                    format!("{}", base().join("/form#prijava").unwrap())
                ),
            ]
        );
    }

    #[test]
    fn attributes_are_read_from_serialized_tags() {
        let attrs =
            r#" alt="a &quot;b&quot; &amp; &lt;c&gt;" src="https://x.example/?a=1&amp;b=2" w="""#;
        assert_eq!(
            serialized_attribute(attrs, "alt").as_deref(),
            Some(r#"a "b" & <c>"#)
        );
        assert_eq!(
            serialized_attribute(attrs, "src").as_deref(),
            Some("https://x.example/?a=1&b=2")
        );
        assert_eq!(serialized_attribute(attrs, "w").as_deref(), Some(""));
        assert_eq!(serialized_attribute(attrs, "a"), None);
        let tags: Vec<(&str, &str)> = serialized_tags(r#"x<p a="1 > 2">y</p><br>z<"#)
            .map(|t| (t.name, t.attributes))
            .collect();
        assert_eq!(
            tags,
            [("p", r#" a="1 > 2""#), ("p", ""), ("br", ""), ("", "")]
        );
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

    #[test]
    fn collapses_all_kinds_of_whitespace() {
        assert_eq!(
            collapse_whitespace("  Women\u{a0}\u{a0}Caucus \t\n meets\u{200b} again  "),
            "Women Caucus meets again"
        );
        assert_eq!(
            collapse_whitespace("\u{200b} a \u{feff} b\u{b}c\u{3000}"),
            "a b c"
        );
        assert_eq!(
            collapse_whitespace("Дијалог\u{2007}Београд\u{202f}"),
            "Дијалог Београд"
        );
        // Joiners are part of a word (an emoji family, Persian), and nothing outside one.
        let family = "\u{1f469}\u{200d}\u{1f469}\u{200d}\u{1f467}";
        assert_eq!(
            collapse_whitespace(&format!(" {family} \u{200d} \u{200c}x ")),
            format!("{family} x")
        );
        assert_eq!(collapse_whitespace("می\u{200c}خواهم"), "می\u{200c}خواهم");
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

    #[test]
    fn every_url_attribute_is_resolved_and_only_pixels_are_dropped() {
        let body = concat!(
            r#"<blockquote cite="/en/source.html">q</blockquote>"#,
            r#"<a href="/a?utm_source=x&amp;id=7#top">link</a>"#,
            r#"<img src="/photo.jpg" width="1" height="1" alt="own tiny image">"#,
            r#"<img src="https://cdn.example.org/p.gif" width="1px" height="1">"#,
            r#"<img src="https://cdn.example.org/wide.jpg" width="1" height="300">"#,
        );
        let clean = sanitize(body, Some(&base()), Some("balkansgroup.example"));
        assert!(
            clean.contains(r#"cite="https://balkansgroup.example/en/source.html""#),
            "{clean}"
        );
        assert!(
            clean.contains(r#"href="https://balkansgroup.example/a?id=7#top""#),
            "{clean}"
        );
        assert!(clean.contains("photo.jpg"), "{clean}");
        assert!(!clean.contains("p.gif"), "{clean}");
        assert!(clean.contains("wide.jpg"), "{clean}");
        let mail = sanitize(
            concat!(
                r#"<a href="mailto:info@bfpe.example">write</a> <a href="ftp://x.example/f">f</a>"#,
                r#" <a href="tel:+38344123456">call</a> <img src="tel:+1">"#,
            ),
            Some(&base()),
            None,
        );
        assert!(
            mail.contains(r#"href="mailto:info@bfpe.example""#),
            "{mail}"
        );
        assert!(mail.contains(r#"href="tel:+38344123456""#), "{mail}");
        assert!(
            !mail.contains("ftp:") && !mail.contains(r#"src="tel"#),
            "{mail}"
        );
        // Nothing of one body's base carries over to the next.
        let next = sanitize(r#"<blockquote cite="/x">q</blockquote>"#, None, None);
        assert!(!next.contains("cite"), "{next}");
    }

    #[test]
    fn sanitizing_keeps_safe_markup_and_reading_text_skips_raw_text() {
        let body = "<p>Ženski kokus &#8212; Женски клуб</p><script>x()</script><p>Dijalog</p>";
        assert_eq!(
            sanitize(body, Some(&base()), None),
            "<p>Ženski kokus — Женски клуб</p><p>Dijalog</p>"
        );
        assert_eq!(
            to_text_prefix(body, 600),
            "Ženski kokus — Женски клуб Dijalog"
        );
    }

    #[test]
    fn collapsing_matches_splitting_on_every_kind_of_space() {
        let reference = |s: &str| -> String {
            let words: Vec<String> = s
                .split(is_space)
                .map(|w| {
                    let w: String = w.chars().filter(|c| !ZERO_WIDTH.contains(c)).collect();
                    w.trim_start_matches(JOINERS).to_string()
                })
                .filter(|w: &String| !w.is_empty())
                .collect();
            words.join(" ")
        };
        let samples = [
            "  plain  ascii\ttext\n\r\x0bend ",
            "Ženski\u{a0}kokus\u{202f}Женски\u{2007}клуб\u{3000}x\u{85}y\u{2028}z",
            "ć\u{200b}đ \u{feff} zero\u{200d}width",
            "\u{a0}\u{a0}",
            "",
            "emoji 🙂 and \u{1680}ogham",
        ];
        for sample in samples {
            let mut c = Collapsed::default();
            c.push(sample);
            let text = reference(sample);
            assert_eq!(c.text, text, "{sample:?}");
            assert_eq!(c.chars, text.chars().count(), "{sample:?}");
        }
        // Every character of the Basic Multilingual Plane and a few beyond, between words.
        let all = (0..=0xffffu32)
            .chain([0x1f642, 0x10ffff])
            .filter_map(char::from_u32);
        for ch in all {
            let sample = format!("a{ch}b {ch} c{ch}");
            let mut c = Collapsed::default();
            c.push(&sample);
            let text = reference(&sample);
            assert_eq!(c.text, text, "U+{:04X}", u32::from(ch));
            assert_eq!(c.chars, text.chars().count(), "U+{:04X}", u32::from(ch));
        }
        // Runs of words, single spaces, other spaces and zero-width characters, whole and in
        // pieces that each end at an ASCII whitespace (as the callers push them).
        let fragments = [
            "a",
            "Dijalog",
            "Приштина",
            "ë",
            "«quoted»",
            "€",
            " ",
            "  ",
            "\t",
            "\n ",
            "\u{a0}",
            "\u{200b}",
            "\u{feff}",
            "\u{3000}",
            "\u{2007}",
            "x\u{200b}y",
            "\u{b}",
            ",",
        ];
        for seed in 0..400usize {
            let sample: String = (0..24)
                .map(|i| fragments[(seed * 31 + i * i * 7 + i) % fragments.len()])
                .collect();
            let text = reference(&sample);
            let mut pieces = Collapsed::default();
            let mut rest = sample.as_str();
            while let Some(i) = rest.find(|c: char| c.is_ascii_whitespace()) {
                pieces.push(&rest[..=i]);
                rest = &rest[i + 1..];
            }
            pieces.push(rest);
            assert_eq!(pieces.text, text, "{sample:?}");
            assert_eq!(pieces.chars, text.chars().count(), "{sample:?}");
        }
    }
}
