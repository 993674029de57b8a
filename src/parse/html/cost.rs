//! The cost guard: whether markup would cost the HTML parser too much to read (elements
//! nested too deep, too many searches of its open elements, too many formatting elements
//! made again), told by one pass over its tags without a parser, and the limits it holds
//! markup to.

use super::raw_tags::{comment_end, end_tag_of, html_tag_end_counting, tag_name_len};

/// Markup shorter than this is read by lol_html without a look at its nesting: a search of
/// its stack per end tag costs little below it.
pub(super) const DEEP_SUSPECT: usize = 32 * 1024;

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
pub(super) fn too_costly(html: &str) -> bool {
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
    // The depth at which an `svg` or `math` element opened, while in it.
    let mut foreign: Option<usize> = None;
    // The parser's list of active formatting elements: each formatting element opened and not
    // closed by its own end tag (by its index among them and a hash of its attributes as
    // written), at most three alike after the last marker (a cell's, CELL, or an object's,
    // SCOPING, in whose element the formatting elements opened after it stay).
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
        let closing = bytes.get(open + 1) == Some(&b'/');
        let name_at = open + 1 + usize::from(closing);
        match not_a_tag(bytes, open, closing, name_at) {
            Some(NotATag::ReadTo(next)) => {
                at = next;
                continue;
            }
            Some(NotATag::Unended) => return false,
            None => {}
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
        let written = &bytes[name_at + name_len..end];
        remade += remade_by(&mut formatting, element, closing, tables, written);
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
            paragraph(&mut stack, closing, &bounds, p_hash);
            continue;
        }
        if foreign.is_none() && never_nests(element) {
            continue;
        }
        let hash = name_hash(&bytes[name_at..name_at + name_len]);
        if closing {
            close(&mut stack, &mut foreign, hash, element);
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

/// A hash of a name lowercased (FNV-1a), or of a tag's attributes as written.
fn name_hash(name: &[u8]) -> u64 {
    name.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x0100_0000_01b3)
    })
}

/// What a `<` opens that is no tag to [`too_costly`].
enum NotATag {
    /// A comment, or text: the tags go on at this offset.
    ReadTo(usize),
    /// A comment that never ends: the rest holds no tag.
    Unended,
}

/// What the `<` at `open` opens when it is no tag: a comment (`<!--`), what the parser reads
/// as one (`<!…>`, `<?…>`, `</` before no letter, to the first `>`), or text (`<` before no
/// letter). `None` for a tag, its name at `name_at`.
fn not_a_tag(bytes: &[u8], open: usize, closing: bool, name_at: usize) -> Option<NotATag> {
    if bytes[open + 1..].starts_with(b"!--") {
        return Some(match comment_end(bytes, open + 4) {
            Some(end) => NotATag::ReadTo(end),
            None => NotATag::Unended,
        });
    }
    let bogus = matches!(bytes.get(open + 1), Some(b'!' | b'?'))
        || (closing && bytes.get(name_at).is_some_and(|b| !b.is_ascii_alphabetic()));
    if bogus {
        // A comment to the parser (or nothing, `</>`), to the first `>`.
        return Some(match memchr::memchr(b'>', &bytes[open..]) {
            Some(i) => NotATag::ReadTo(open + i + 1),
            None => NotATag::Unended,
        });
    }
    if !bytes.get(name_at).is_some_and(u8::is_ascii_alphabetic) {
        return Some(NotATag::ReadTo(open + 1));
    }
    None
}

/// A cell's marker in the list of active formatting elements.
const CELL: (u8, u64) = (u8::MAX, 0);

/// An object's marker (an element of [`Element::Scoping`]) in the list of active formatting
/// elements.
const SCOPING: (u8, u64) = (u8::MAX - 1, 0);

/// Keeps `formatting`, the parser's list of active formatting elements, as a tag of `element`
/// leaves it (`written`: the tag's attributes as written; `tables`: the tables open), and
/// says how many formatting elements the parser makes again before the tag. A tag may follow
/// the closing of elements that formatting elements were open in, which the parser then opens
/// again: every one of its list after the last marker that is not open.
fn remade_by(
    formatting: &mut Vec<(u8, u64)>,
    element: Element,
    closing: bool,
    tables: usize,
    written: &[u8],
) -> usize {
    let is_marker = |f: &(u8, u64)| *f == CELL || *f == SCOPING;
    let last_marker = formatting.iter().rposition(is_marker);
    let after_marker = last_marker.map_or(0, |m| m + 1);
    let clear_to = |formatting: &mut Vec<(u8, u64)>, marker: (u8, u64)| {
        if let Some(m) = last_marker.filter(|&m| formatting[m] == marker) {
            formatting.truncate(m);
        }
    };
    match (element, closing) {
        (Element::Formatting(kind), false) => {
            let alike = (kind, name_hash(written));
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
            clear_to(formatting, CELL);
            formatting.push(CELL);
        }
        (Element::Cell, true) | (Element::TablePart, _) | (Element::Table, true) if tables > 0 => {
            clear_to(formatting, CELL);
        }
        (Element::Scoping, false) => formatting.push(SCOPING),
        (Element::Scoping, true) => clear_to(formatting, SCOPING),
        _ => return formatting.len() - after_marker,
    }
    0
}

/// Whether an element of `element`'s kind stays off the stack of open elements (outside SVG
/// and MathML): one without content or with an implied end, a cell or a table's part.
fn never_nests(element: Element) -> bool {
    matches!(
        element,
        Element::NoContent | Element::ImpliedEnd | Element::Cell | Element::TablePart
    )
}

/// A `p` tag: closes the `p` open in button scope (below the first of `bounds` on `stack`)
/// with what was opened in it, and opens one unless `closing`.
fn paragraph(stack: &mut Vec<u64>, closing: bool, bounds: &[u64; 6], p_hash: u64) {
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
}

/// An end tag: closes the nearest open element of its name (`hash`) and those opened in it (a
/// formatting element's, that element alone), and leaves the `foreign` content it closes.
fn close(stack: &mut Vec<u64>, foreign: &mut Option<usize>, hash: u64, element: Element) {
    if let Some(i) = stack.iter().rposition(|h| *h == hash) {
        if matches!(element, Element::Formatting(_)) {
            stack.remove(i);
        } else {
            stack.truncate(i);
        }
    }
    if foreign.is_some_and(|at| stack.len() <= at) {
        *foreign = None;
    }
}

/// What the HTML parser makes of an element, by its name, where it matters to what it costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Element {
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
pub(super) fn element_kind(name: &str) -> Element {
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
pub(super) fn lowercased<'a>(name: &[u8], buf: &'a mut [u8; 10]) -> &'a str {
    match buf.get_mut(..name.len()) {
        Some(buf) => {
            buf.copy_from_slice(name);
            buf.make_ascii_lowercase();
            std::str::from_utf8(buf).unwrap_or("")
        }
        None => "",
    }
}

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
