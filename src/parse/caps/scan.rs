//! A JSON document's own authors measured by a scan of its top level, strings skipped with
//! memchr, without reading it as JSON.

/// Bytes of a JSON document's own `author` and `authors` members (their values as written),
/// by a scan of its top level that skips strings with memchr. `None` when the scan cannot
/// tell: not an object, a member name with an escape, or not JSON where it looks.
pub(super) fn feed_people(doc: &[u8]) -> Option<usize> {
    let mut at = skip_blank(doc, 0);
    if doc.get(at) != Some(&b'{') {
        return None;
    }
    at += 1;
    let mut people = 0;
    loop {
        at = skip_blank(doc, at);
        match doc.get(at)? {
            b'}' => return Some(people),
            b',' => {
                at += 1;
                continue;
            }
            b'"' => {}
            _ => return None,
        }
        let end = string_end(doc, at)?;
        let name = &doc[at + 1..end - 1];
        if name.contains(&b'\\') {
            return None;
        }
        at = skip_blank(doc, end);
        if doc.get(at) != Some(&b':') {
            return None;
        }
        let start = skip_blank(doc, at + 1);
        at = value_end(doc, start)?;
        if matches!(name, b"author" | b"authors") {
            people += at - start;
        }
    }
}

fn skip_blank(doc: &[u8], from: usize) -> usize {
    from + doc[from.min(doc.len())..]
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .count()
}

/// Just past the string starting at `at` (its `"`).
fn string_end(doc: &[u8], at: usize) -> Option<usize> {
    let mut from = at + 1;
    loop {
        let found = from + memchr::memchr2(b'"', b'\\', doc.get(from..)?)?;
        if doc[found] == b'"' {
            return Some(found + 1);
        }
        // An escape: the next byte is the escaped one.
        from = found + 2;
    }
}

/// Just past the value starting at `at`.
fn value_end(doc: &[u8], at: usize) -> Option<usize> {
    match doc.get(at)? {
        b'"' => string_end(doc, at),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            loop {
                match doc.get(i)? {
                    b'"' => {
                        i = string_end(doc, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        // A number, `true`, `false` or `null`.
        _ => doc[at..]
            .iter()
            .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n'))
            .map(|len| at + len),
    }
}
