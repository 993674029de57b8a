//! The digest as an RFC 5322 message: headers and a multipart/alternative body, written by
//! mail-builder (encoded words, folding, quoted-printable or base64 as it sees fit).
//!
//! Nothing comes from the clock or a random source: the Message-ID and Date derive from the
//! period, the MIME boundary from a hash of the two parts, so a period rebuilt gives the same
//! bytes.

use mail_builder::headers::address::Address;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::date::Date;
use mail_builder::headers::message_id::MessageId;
use mail_builder::headers::raw::Raw;
use mail_builder::headers::text::Text;
use mail_builder::headers::url::URL;
use mail_builder::mime::MimePart;
use mail_builder::MessageBuilder;

use super::entry::{http_url, plain};
use super::select::mailto_uri;
use super::{Digest, DigestError, DigestSpec};

/// The subject line: the title, the period and the count, e.g.
/// `Balkan partners: daily digest — 27 Nov 2026 — 12 stories`.
pub fn subject(spec: &DigestSpec, d: &Digest) -> String {
    format!(
        "{} — {} — {}",
        plain(&spec.title),
        d.period_label,
        d.count_label
    )
}

/// The Message-ID without angle brackets, from the digest's name, its period and `domain`:
/// `digest.daily.20261126T070000Z-20261127T070000Z@example.org`. Characters that cannot
/// stand in a Message-ID are replaced by `-`.
pub fn message_id(d: &Digest, domain: &str) -> String {
    let stamp = super::run::time_stamp;
    let name = atom(&d.name, |c| {
        c.is_ascii_alphanumeric() || c == '-' || c == '_'
    });
    let domain = match atom(domain, |c| {
        c.is_ascii_alphanumeric() || c == '-' || c == '.'
    }) {
        d if d.is_empty() => "localhost".to_string(),
        d => d,
    };
    format!(
        "digest.{name}.{}-{}@{domain}",
        stamp(d.period.start),
        stamp(d.period.end)
    )
}

/// The message bytes (CRLF line endings): `text` then `html` as multipart/alternative, both
/// UTF-8. `domain` names the sending domain in the Message-ID.
///
/// Addresses are written as [`DigestSpec::validate`] would accept them; one it would reject is
/// written as given rather than failing here.
pub fn message(spec: &DigestSpec, d: &Digest, html: &str, text: &str, domain: &str) -> Vec<u8> {
    let mut builder = MessageBuilder::new()
        .from(address(&spec.from))
        .subject(Text::new(subject(spec, d)))
        .date(Date::new(d.period.end.timestamp()))
        .message_id(MessageId::new(message_id(d, domain)));
    if let Some(to) = to_address(spec) {
        builder = builder.to(to);
    }
    if let Some(id) = spec
        .list_id
        .as_deref()
        .map(list_id)
        .filter(|i| !i.is_empty())
    {
        builder = builder.header("List-Id", Raw::new(format!("<{id}>")));
    }
    let web = spec.unsubscribe_url.as_deref().and_then(http_url);
    let mail = spec.unsubscribe_mailto.as_deref().and_then(mailto_uri);
    let targets: Vec<String> = web.iter().chain(mail.iter()).cloned().collect();
    if !targets.is_empty() {
        builder = builder.header("List-Unsubscribe", URL::new_list(targets.into_iter()));
    }
    if web.as_deref().is_some_and(|u| u.starts_with("https://")) {
        // RFC 8058: the URL unsubscribes on a POST with this body, without a confirmation
        // page; one-click needs an HTTPS URL (3.1), so a plain http one is a link alone.
        builder = builder.header(
            "List-Unsubscribe-Post",
            Raw::new("List-Unsubscribe=One-Click"),
        );
    }
    // RFC 3834: no vacation replies to a machine-sent digest. Only when asked: a list server
    // (Sympa by default) drops a post that carries it, without a bounce.
    if spec.auto_submitted {
        builder = builder.header("Auto-Submitted", Raw::new("auto-generated"));
    }

    let boundary = {
        let mut h = blake3::Hasher::new();
        h.update(text.as_bytes());
        h.update(&[0]);
        h.update(html.as_bytes());
        format!("tributary-alt-{}", &h.finalize().to_hex()[..32])
    };
    // Text in canonical form, lines ending in CRLF (RFC 2046, 4.1.1): mail-builder writes
    // them so for quoted-printable, not for base64, which it picks for mostly Cyrillic text.
    let body = MimePart::new(
        ContentType::new("multipart/alternative").attribute("boundary", boundary),
        vec![
            MimePart::new("text/plain", crlf(text)),
            MimePart::new("text/html", crlf(html)),
        ],
    );
    let mut bytes = Vec::with_capacity(text.len() + html.len() + 2048);
    builder.body(body).serialize(&mut bytes);
    bytes
}

/// The `To` header's value: the recipients, or with `bcc` none of them (an empty group);
/// `None` without recipients.
fn to_address(spec: &DigestSpec) -> Option<Address<'static>> {
    if spec.bcc {
        Some(Address::new_group(
            Some("undisclosed-recipients"),
            Vec::new(),
        ))
    } else if spec.to.is_empty() {
        None
    } else {
        Some(Address::new_list(
            spec.to.iter().map(|t| address(t)).collect(),
        ))
    }
}

/// `eml`, a digest message built before, with the `To` header `spec` writes now, if that is
/// another: a digest that waited to be sent (the relay was down, refused it) goes out with the
/// recipients the config names when it goes, as its envelope does, not those it was built
/// for (`bcc` turned on since must not show the list's addresses). `None` when it already has
/// that header.
pub fn with_recipients(eml: &str, spec: &DigestSpec) -> Option<String> {
    use mail_builder::headers::Header as _;
    let header_end = eml.find("\r\n\r\n").map_or(eml.len(), |i| i + 2);
    let head = &eml[..header_end];
    // The header's lines: its first, and those that continue it (folded).
    let mut found: Option<(usize, usize)> = None;
    let mut at = 0;
    for line in head.split_inclusive("\r\n") {
        let start = at;
        at += line.len();
        match found.as_mut() {
            Some((_, end)) if line.starts_with([' ', '\t']) => *end = at,
            Some(_) => break,
            None if line.len() >= 3 && line.as_bytes()[..3].eq_ignore_ascii_case(b"to:") => {
                found = Some((start, at));
            }
            None => {}
        }
    }
    let mut header = Vec::new();
    if let Some(to) = to_address(spec) {
        header.extend_from_slice(b"To: ");
        to.write_header(&mut header, 4);
    }
    let header = String::from_utf8_lossy(&header);
    let (begin, end) = found.unwrap_or((header_end, header_end));
    if eml[begin..end] == *header {
        return None;
    }
    Some(format!("{}{header}{}", &eml[..begin], &eml[end..]))
}

/// `text` with every line ending in CRLF.
fn crlf(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 32);
    for line in text.split_inclusive('\n') {
        match line.strip_suffix('\n') {
            Some(line) => {
                out.push_str(line.strip_suffix('\r').unwrap_or(line));
                out.push_str("\r\n");
            }
            None => out.push_str(line),
        }
    }
    out
}

/// See [`DigestSpec::validate`].
pub(super) fn validate(spec: &DigestSpec) -> Result<(), DigestError> {
    let bad = |field: &'static str, value: &str, reason: &'static str| DigestError::Spec {
        field,
        value: value.to_string(),
        reason,
    };
    if spec.name.is_empty()
        || !spec
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(bad(
            "name",
            &spec.name,
            "use letters, digits, '-' and '_' only",
        ));
    }
    mailbox(&spec.from).map_err(|reason| bad("from", &spec.from, reason))?;
    if spec.to.is_empty() {
        return Err(bad("to", "", "name at least one recipient"));
    }
    for to in &spec.to {
        mailbox(to).map_err(|reason| bad("to", to, reason))?;
    }
    if let Some(id) = &spec.list_id {
        check_list_id(id).map_err(|reason| bad("list_id", id, reason))?;
    }
    if let Some(url) = &spec.unsubscribe_url {
        if http_url(url).is_none() {
            return Err(bad(
                "unsubscribe_url",
                url,
                "expected an absolute http(s) URL",
            ));
        }
    }
    if let Some(to) = &spec.unsubscribe_mailto {
        check_unsubscribe_mailto(to).map_err(|reason| bad("unsubscribe_mailto", to, reason))?;
    }
    Ok(())
}

/// Whether a `from` or `to` mailbox can go into a message's header as given.
pub(crate) fn check_mailbox(s: &str) -> Result<(), &'static str> {
    mailbox(s).map(|_| ())
}

/// Whether a `list_id` can go into `List-Id` as given.
pub(crate) fn check_list_id(id: &str) -> Result<(), &'static str> {
    if id.is_empty() || list_id(id) != id || !id.contains('.') {
        return Err("expected a dotted name such as daily.news.example.org");
    }
    Ok(())
}

/// Whether an `unsubscribe_mailto` can go into `List-Unsubscribe` as given.
pub(crate) fn check_unsubscribe_mailto(to: &str) -> Result<(), &'static str> {
    let address = to.trim().strip_prefix("mailto:").unwrap_or(to.trim());
    let address = address.split('?').next().unwrap_or(address);
    if mailto_uri(to).is_none() || check_address(address).is_err() {
        return Err("expected an email address");
    }
    Ok(())
}

/// A config mailbox for mail-builder; a string that does not parse is used as the address.
fn address(s: &str) -> Address<'static> {
    match mailbox(s) {
        Ok((name, email)) => Address::new_address(name, email),
        Err(_) => Address::new_address(None::<String>, s.trim().to_string()),
    }
}

/// `Name <a@b>`, `"Last, First" <a@b>`, `<a@b>` or `a@b` → (display name, address).
fn mailbox(s: &str) -> Result<(Option<String>, String), &'static str> {
    let s = s.trim();
    let (name, email) = match s.rfind('<') {
        Some(open) if s.ends_with('>') => (&s[..open], &s[open + 1..s.len() - 1]),
        Some(_) => return Err("a '<' must enclose the address at the end"),
        None => ("", s),
    };
    let email = email.trim();
    check_address(email)?;
    let name = plain(&unquote(name.trim()));
    Ok(((!name.is_empty()).then_some(name), email.to_string()))
}

/// A display name without its surrounding quotes and backslash escapes.
fn unquote(name: &str) -> String {
    match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(inner) => {
            let mut out = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                out.push(if c == '\\' {
                    chars.next().unwrap_or(c)
                } else {
                    c
                });
            }
            out
        }
        None => name.to_string(),
    }
}

/// An addr-spec as config files write them: `local@domain`, nothing that needs quoting.
fn check_address(email: &str) -> Result<(), &'static str> {
    let (local, domain) = email.split_once('@').ok_or("the address needs an '@'")?;
    if local.is_empty() || domain.is_empty() || domain.contains('@') {
        return Err("the address needs one '@' with text on both sides");
    }
    let unquoted = |c: char| c.is_whitespace() || c.is_control() || "<>()[]\\,;:\"".contains(c);
    if email.chars().any(unquoted) {
        return Err("the address has characters it cannot carry unquoted");
    }
    if domain.starts_with('.') || domain.ends_with('.') || domain.contains("..") {
        return Err("the address's domain is not a domain name");
    }
    Ok(())
}

/// A list id with only the characters RFC 2919 allows in its dot-atom.
fn list_id(id: &str) -> String {
    id.trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "-._!#$%&'*+/=?^`{|}~".contains(*c))
        .collect()
}

/// `s` with every character `keep` rejects replaced by `-`.
fn atom(s: &str, keep: impl Fn(char) -> bool) -> String {
    s.trim()
        .chars()
        .map(|c| if keep(c) { c } else { '-' })
        .collect()
}
