//! The nouns every stage shares: sources, items and their identities.
//!
//! Nothing here does IO or depends on another module of the crate.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, DurationRound, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

/// Whether a source is one of the organisations we publish for or a partner we follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// One of the organisations Tributary republishes for.
    Organization,
    /// A partner outlet whose news we follow and merge.
    Partner,
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            SourceKind::Organization => "organization",
            SourceKind::Partner => "partner",
        })
    }
}

/// Where a source's feed document comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// An `http` or `https` URL, fetched with conditional GET.
    Http(Url),
    /// A local file that a script on this host writes, read from disk.
    File(PathBuf),
}

impl Location {
    /// A short key for the location as configured, credentials included, that gives none of it
    /// away (a hash): a source's state records it to tell when the location changed.
    pub fn key(&self) -> String {
        let text = match self {
            Location::Http(url) => format!("http {url}"),
            Location::File(path) => format!("file {}", path.display()),
        };
        blake3::hash(text.as_bytes()).to_hex()[..16].to_string()
    }
}

impl fmt::Display for Location {
    /// The location as shown and published: credentials in an http(s) URL are left out, and so
    /// are the values of query parameters that carry one ([`secret_parameters`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Http(url) => {
                let secrets = secret_parameters(url);
                if url.username().is_empty() && url.password().is_none() && secrets.is_empty() {
                    return write!(f, "{url}");
                }
                let mut shown = url.clone();
                let _ = shown.set_username("");
                let _ = shown.set_password(None);
                if !secrets.is_empty() {
                    let pairs: Vec<(String, String)> = url
                        .query_pairs()
                        .map(|(k, v)| {
                            let hidden = secrets.iter().any(|s| *s == k);
                            (
                                k.into_owned(),
                                if hidden {
                                    "hidden".into()
                                } else {
                                    v.into_owned()
                                },
                            )
                        })
                        .collect();
                    shown.query_pairs_mut().clear().extend_pairs(pairs);
                }
                write!(f, "{shown}")
            }
            Location::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// `s` as an absolute http(s) URL in its normalized form, or `None` (a `javascript:` or
/// `data:` link, a relative one): what a page or a message may link to.
pub fn http_url(s: &str) -> Option<String> {
    let url = Url::parse(s.trim()).ok()?;
    let web = matches!(url.scheme(), "http" | "https") && url.host_str().is_some();
    web.then(|| url.to_string())
}

/// The names of `url`'s query parameters that carry a credential ([`is_secret_parameter`]),
/// whose values must not be published.
pub fn secret_parameters(url: &Url) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for (name, _) in url.query_pairs() {
        if is_secret_parameter(&name) && !found.iter().any(|f| *f == name) {
            found.push(name.into_owned());
        }
    }
    found
}

/// Whether a query parameter named `name` carries a credential, whose value must not be
/// published (on the status page, in `/sources.json`, the OPML, logs and errors).
///
/// The name is read as words, in any letter case: split at anything but a letter (`_`, `-`,
/// `.`, a digit) and where a lowercase letter meets an uppercase one (`accessToken`,
/// `X-Amz-Signature`, `APIKey`). It carries one when
/// - its last word is `token`, `key`, `secret`, `password`, `passwd`, `pwd`, `pass`,
///   `signature`, `sig`, `auth`, `credential(s)`, `session`, `apikey` or `jwt` (`api_key`,
///   `private_token`, `X-Amz-Credential`, `X-Goog-Signature`, `sig`, `key`), or its last two
///   are `session id` (`session_id`; `PHPSESSID`, `jsessionid` run together);
/// - or its last word ends, run together, in one of them that no common word ends in:
///   `token`, `secret`, `password`, `passwd`, `pwd`, `signature`, `sig`, `auth`,
///   `credential(s)`, `apikey`, `jwt` (`apitoken`, `feedtoken`, `clientsecret`, `oauth`);
/// - or it ends in `key` run together after a word that says what the key opens: `api`,
///   `auth`, `access`, `secret`, `private`, `client`, `app`, `user`, `pass`… (`authkey`,
///   `accesskey`, `licensekey`).
///
/// So a name that only contains one of them (`keyword`, `tokens_count`, `signup`, `author`),
/// ends in `key` as common words do (`monkey`, `turkey`, `hockey`) or in `session` (`possession`)
/// is published as it is. So is `hash`, more often a content hash or a cache buster than a
/// login. Hiding a harmless value costs a reader little; publishing a key gives it away.
pub fn is_secret_parameter(name: &str) -> bool {
    /// A last word that is a credential.
    const WORDS: &[&str] = &[
        "token",
        "key",
        "secret",
        "password",
        "passwd",
        "pwd",
        "pass",
        "signature",
        "sig",
        "auth",
        "credential",
        "credentials",
        "session",
        "apikey",
        "jwt",
    ];
    /// Endings of a last word that no common word has: one run together with what precedes
    /// it is still a credential.
    const ENDINGS: &[&str] = &[
        "token",
        "secret",
        "password",
        "passwd",
        "pwd",
        "signature",
        "sig",
        "auth",
        "credential",
        "credentials",
        "apikey",
        "jwt",
        "sessid",
        "sessionid",
    ];
    /// What a key run together after one of these opens (`authkey`; `monkey` is none).
    const KEY_KINDS: &[&str] = &[
        "api",
        "app",
        "access",
        "account",
        "auth",
        "client",
        "consumer",
        "dev",
        "developer",
        "feed",
        "licence",
        "license",
        "master",
        "pass",
        "private",
        "secret",
        "service",
        "session",
        "sign",
        "signing",
        "subscription",
        "user",
    ];
    let words = parameter_words(name);
    let Some(last) = words.last() else {
        return false;
    };
    let before = words.len().checked_sub(2).map(|i| words[i].as_str());
    WORDS.contains(&last.as_str())
        || (last == "id" && matches!(before, Some("session" | "sess")))
        || ENDINGS.iter().any(|e| last.ends_with(e))
        || last
            .strip_suffix("key")
            .is_some_and(|kind| KEY_KINDS.iter().any(|k| kind.ends_with(k)))
}

/// The words of a parameter name, lowercased: split at anything but an ASCII letter and
/// where case changes as in camelCase (`accessToken`, `APIKey` → `api`, `key`).
fn parameter_words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphabetic() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1);
        // `aT` (camelCase), or `PIK` in `APIKey` (an acronym followed by a word).
        let starts_word = c.is_ascii_uppercase()
            && prev.is_some_and(|p| {
                p.is_ascii_lowercase()
                    || (p.is_ascii_uppercase() && next.is_some_and(char::is_ascii_lowercase))
            });
        if starts_word && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        word.push(c.to_ascii_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// `text`, a URL as written, with the password of a login in it and the values of its
/// credential parameters ([`is_secret_parameter`]) replaced by `hidden`: what an error may
/// quote of a URL, which may not even parse (`https://user:pass@host:99999/`).
///
/// Read on the text, so that a URL the parser refuses is masked as well as one it takes: the
/// login is what stands before the last `@` of the part that follows the first `//` (or
/// `scheme:/`; the start, without either) up to the next `/`, `?` or `#` (past them to the
/// next `@` where a password holds one); its password is what
/// follows its first `:`. After a `//`, a login without a password is hidden whole (a token
/// written as the user name, `https://TOKEN@host/`); without one it is left
/// (`name@example.org` is an address).
pub fn redact_url_text(text: &str) -> String {
    // After `//`, or after `scheme:/` missing a slash (the parser takes `https:/host` too),
    // and any more slashes.
    let after_scheme = text.find(':').filter(|&colon| {
        let mut scheme = text[..colon].chars();
        scheme.next().is_some_and(|c| c.is_ascii_alphabetic())
            && scheme.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            && text[colon + 1..].starts_with(['/', '\\'])
    });
    let after_slashes = after_scheme
        .map(|colon| colon + 1)
        .or_else(|| text.find("//"));
    let (scheme, rest) = match after_slashes {
        Some(i) => {
            let slashes = text[i..].len() - text[i..].trim_start_matches(['/', '\\']).len();
            text.split_at(i + slashes)
        }
        None => ("", text),
    };
    let mut authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    // A password may hold `/`, `?` or `#` (base64 does), and the parser then refuses the URL:
    // `user:Xy9/Zk+Qw==@host`. Where what stands before the first of them is a name and
    // something not a port after a `:`, with no `@`, the login runs to the next `@` of the
    // word (a path of `host:8080/@team` keeps its host).
    let head = &rest[..authority_end];
    let not_a_port = head
        .split_once(':')
        .is_some_and(|(_, after)| !after.bytes().all(|b| b.is_ascii_digit()));
    if !head.contains('@') && not_a_port {
        let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        if let Some(at) = rest[authority_end..word_end].find('@') {
            let at = authority_end + at;
            authority_end = rest[at..]
                .find(['/', '?', '#'])
                .map_or(rest.len(), |end| at + end);
        }
    }
    let (authority, tail) = rest.split_at(authority_end);
    let mut out = String::with_capacity(text.len());
    out.push_str(scheme);
    match authority.rfind('@') {
        Some(at) => {
            let (login, host) = authority.split_at(at);
            match login.split_once(':') {
                Some((user, _)) => {
                    out.push_str(user);
                    out.push_str(":hidden");
                }
                None if !scheme.is_empty() => out.push_str("hidden"),
                None => out.push_str(login),
            }
            out.push_str(host);
        }
        None => out.push_str(authority),
    }
    // The query, up to a fragment: each parameter as written, a credential's value hidden.
    let Some(q) = tail.find('?') else {
        out.push_str(tail);
        return out;
    };
    out.push_str(&tail[..=q]);
    let query = &tail[q + 1..];
    let (query, fragment) = query.split_at(query.find('#').unwrap_or(query.len()));
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        let secret = url::form_urlencoded::parse(pair.as_bytes())
            .next()
            .is_some_and(|(name, _)| is_secret_parameter(&name));
        match pair.split_once('=') {
            Some((name, _)) if secret => {
                out.push_str(name);
                out.push_str("=hidden");
            }
            _ => out.push_str(pair),
        }
    }
    out.push_str(fragment);
    out
}

/// When a source is polled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// Every so often, from the end of the previous poll.
    Interval(Duration),
    /// At the times a cron expression names (validated when the config is loaded).
    Cron(String),
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Interval(d) => write!(f, "every {}", humantime::format_duration(*d)),
            Schedule::Cron(expr) => write!(f, "cron {expr}"),
        }
    }
}

/// A configured feed source, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Stable identifier used in the store, in URLs and on the command line.
    pub id: String,
    /// Human name shown in outputs and status pages.
    pub title: String,
    /// Where the feed is read from.
    pub location: Location,
    /// Organisation or partner.
    pub kind: SourceKind,
    /// Language of the source's items when the feed does not say (BCP 47, e.g. `sr-Cyrl`).
    pub lang: Option<String>,
    /// How often the source is polled.
    pub schedule: Schedule,
    /// Topics every item of this source carries (a source that is all about one topic).
    pub topics: Vec<String>,
    /// `false` (`enabled = false`): never fetched on a schedule or in a pass over every
    /// source, only when named; its stories stay served.
    pub enabled: bool,
    /// The `User-Agent` sent to this source instead of `[fetch] user_agent` (for a site that
    /// turns away anything but a browser).
    pub user_agent: Option<String>,
    /// HTTP Basic authentication for a feed behind a login.
    pub auth: Option<BasicAuth>,
    /// More request headers (an API key, a cookie), in config order.
    pub headers: Vec<(String, String)>,
    /// `accept_invalid_certificates = true`: its server's certificate is not checked (an
    /// expired or self-signed one, or one for another name), and it follows redirects within
    /// its site only.
    pub accept_invalid_certificates: bool,
    /// Time zone of the dates its feed writes without one (`time_zone`, else `[fetch]
    /// time_zone`; `None`: UTC).
    pub time_zone: Option<chrono_tz::Tz>,
}

/// A source's HTTP Basic login: the password is never in the config, only the name of the
/// environment variable that holds it (read at each fetch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicAuth {
    /// The user name.
    pub username: String,
    /// The environment variable holding the password.
    pub password_env: String,
}

/// The stable identifier of a stored story: 16 bytes derived from the first source that carried it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemId(pub [u8; 16]);

impl ItemId {
    /// Derives the id from the source that first carried the story and its identity there,
    /// so the same story gets the same id in every store that ingests the same feeds (stories
    /// stored before the source prefix below was introduced keep the ids they were given).
    ///
    /// The first [`ItemId::SOURCE_PREFIX`] bytes depend on the source alone, so one source's
    /// stories sit next to each other in the store's id-keyed tree: applying a feed writes a
    /// few neighbouring leaves instead of one random leaf per story (a third less store time
    /// in a cold ingest, docs/BENCHMARKS.md). The other 12 bytes hash source and identity.
    pub fn derive(source_id: &str, identity: &Identity) -> ItemId {
        let mut hasher = blake3::Hasher::new();
        hasher.update(source_id.as_bytes());
        let source_hash = hasher.finalize();
        hasher.update(&[0]);
        hasher.update(identity.key().as_bytes());
        let mut id = [0u8; 16];
        id[..Self::SOURCE_PREFIX].copy_from_slice(&source_hash.as_bytes()[..Self::SOURCE_PREFIX]);
        id[Self::SOURCE_PREFIX..]
            .copy_from_slice(&hasher.finalize().as_bytes()[..16 - Self::SOURCE_PREFIX]);
        ItemId(id)
    }

    /// How many leading bytes of a derived id depend on the source alone.
    pub const SOURCE_PREFIX: usize = 4;

    /// Parses the 32-hex-digit form written by `Display`.
    pub fn parse(s: &str) -> Option<ItemId> {
        if s.len() != 32 || !s.is_ascii() {
            return None;
        }
        let mut id = [0u8; 16];
        for (i, byte) in id.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(ItemId(id))
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ItemId({self})")
    }
}

/// Hex digits in text formats (JSON exports, the API), the 16 bytes themselves in the store's
/// binary records.
impl Serialize for ItemId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            s.serialize_bytes(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for ItemId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl serde::de::Visitor<'_> for IdVisitor {
            type Value = ItemId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an item id: 32 hex digits or 16 bytes")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<ItemId, E> {
                ItemId::parse(s).ok_or_else(|| E::custom(format!("bad item id {s:?}")))
            }
            fn visit_bytes<E: serde::de::Error>(self, b: &[u8]) -> Result<ItemId, E> {
                b.try_into()
                    .map(ItemId)
                    .map_err(|_| E::custom(format!("bad item id: {} bytes", b.len())))
            }
        }
        if d.is_human_readable() {
            d.deserialize_str(IdVisitor)
        } else {
            d.deserialize_bytes(IdVisitor)
        }
    }
}

/// A name as a topic id is written: lower case, every run of what is not a letter or a digit
/// one `-`, none at the ends ("Women Caucus" → `women-caucus`).
pub fn topic_slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for word in name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push('-');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

/// How an item is recognised again within its source, in order of preference.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "by", content = "value", rename_all = "lowercase")]
pub enum Identity {
    /// The feed's own GUID / Atom id / JSON Feed id.
    Guid(String),
    /// The canonical link, when the feed gives no id.
    Link(String),
    /// A hash of title and text, when the feed gives neither.
    Hash(String),
    /// The link and the title, when several entries of the feed share the link (a section
    /// page) and give no GUID of their own: the link alone would name whichever came first.
    Titled {
        /// The canonical link the entries share.
        link: String,
        /// The entry's title, as stored.
        title: String,
    },
}

impl Identity {
    /// The string stored in the identity index.
    pub fn key(&self) -> String {
        match self {
            Identity::Guid(g) => format!("g:{g}"),
            Identity::Link(l) => format!("l:{l}"),
            Identity::Hash(h) => format!("h:{h}"),
            Identity::Titled { link, title } => format!("t:{link}\n{title}"),
        }
    }

    /// The two forms an entry without a GUID of its own is recorded under by its link: the
    /// link alone, and the link with the entry's title. A story's link may keep a fragment
    /// (`/changelog#v2-3`); its identity is the page without it.
    pub fn link_forms(link: &str, title: &str) -> [Identity; 2] {
        let link = page_of(link);
        [
            Identity::Link(link.to_string()),
            Identity::Titled {
                link: link.to_string(),
                title: title.to_string(),
            },
        ]
    }

    /// The other form an entry told by its link may have been stored under: a link's entry
    /// titled `title` under the link with that title (another entry shared the link then),
    /// a titled one under its link alone (it had the link to itself then). `None` for GUIDs
    /// and hashes.
    pub fn alternate(&self, title: &str) -> Option<Identity> {
        match self {
            Identity::Link(link) => Some(Identity::Titled {
                link: link.clone(),
                title: title.to_string(),
            }),
            Identity::Titled { link, .. } => Some(Identity::Link(link.clone())),
            Identity::Guid(_) | Identity::Hash(_) => None,
        }
    }
}

/// An enclosure (podcast audio, attached PDF) carried by an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enclosure {
    /// Absolute http(s) URL of the attachment.
    pub url: String,
    /// MIME type as the feed declared it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime: Option<String>,
    /// Length in bytes as the feed declared it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
}

/// A normalized item as one source carries it, ready to be de-duplicated and stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewItem {
    /// How the source identifies it.
    pub identity: Identity,
    /// Title, whitespace collapsed; derived from the text when the feed has none.
    pub title: String,
    /// Canonical absolute http(s) link to the original, if any.
    pub link: Option<String>,
    /// Publication date the feed gave (None when missing, unparseable or far in the future).
    pub published: Option<DateTime<Utc>>,
    /// Last-updated date the feed gave.
    pub updated: Option<DateTime<Utc>>,
    /// Plain-text summary.
    pub summary: String,
    /// Sanitized HTML body (content, else the HTML summary).
    pub content: Option<String>,
    /// Author names.
    pub authors: Vec<String>,
    /// The feed's own categories / tags.
    pub categories: Vec<String>,
    /// Language of the item, from the feed or the source's config.
    pub lang: Option<String>,
    /// Attachments with absolute http(s) URLs.
    pub enclosures: Vec<Enclosure>,
    /// The item's picture as the feed names it apart from its text (JSON Feed's `image`, a
    /// Media RSS thumbnail): an absolute http(s) URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Hash of the raw entry as the source sent it: a changed hash means a changed item.
    pub content_hash: String,
}

/// One source's record of carrying a stored story.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carrier {
    /// The source id.
    pub source: String,
    /// The item's identity in that source.
    pub identity: Identity,
    /// The link that source gave (canonical form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// When this source was first seen carrying the story.
    #[serde(serialize_with = "rfc3339::serialize")]
    pub first_seen: DateTime<Utc>,
}

/// A topic an item carries, and why: which rule matched where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicMatch {
    /// The topic name.
    pub topic: String,
    /// Human-readable reasons, e.g. `title: "dijalog"` or `source default`. Stored stories
    /// carry none (those stored by earlier versions may): the reasons are worked out from the
    /// rules when they are shown (`items --json`), rather than kept in every record, of which
    /// they made a fifth.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub why: Vec<String>,
}

/// A stored story.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Stable id (never changes once stored).
    pub id: ItemId,
    /// Every source that carried the story; the first is where it was first seen.
    pub sources: Vec<Carrier>,
    /// Title.
    pub title: String,
    /// Canonical link to the original.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Publication date; the first-seen time when the feed gave none.
    #[serde(serialize_with = "rfc3339::serialize")]
    pub published: DateTime<Utc>,
    /// True when `published` is the first-seen time because the feed gave no usable date.
    #[serde(default)]
    pub date_inferred: bool,
    /// Last-updated date the feed gave.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "rfc3339::serialize_some"
    )]
    pub updated: Option<DateTime<Utc>>,
    /// When Tributary first stored the story; set once, never moves.
    #[serde(serialize_with = "rfc3339::serialize")]
    pub first_seen: DateTime<Utc>,
    /// When the stored content last changed: an edit, another source carrying it, its
    /// topics.
    #[serde(serialize_with = "rfc3339::serialize")]
    pub last_changed: DateTime<Utc>,
    /// When its source last edited the story after it was first stored (`None`: never). Another
    /// source carrying it, or its topics changing, is no edit.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "rfc3339::serialize_some"
    )]
    pub edited: Option<DateTime<Utc>>,
    /// Plain-text summary.
    pub summary: String,
    /// Sanitized HTML body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Author names.
    #[serde(default)]
    pub authors: Vec<String>,
    /// The feed's own categories.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// Attachments.
    #[serde(default)]
    pub enclosures: Vec<Enclosure>,
    /// The story's picture as its feed names it apart from its text (see [`NewItem::image`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Topics assigned, with the reasons.
    #[serde(default)]
    pub topics: Vec<TopicMatch>,
    /// Hash of the raw entry from the source that last changed it.
    pub content_hash: String,
}

impl Item {
    /// When the story last changed as its readers see it: its own date (its `updated`, else
    /// its publication date), or a later edit by its source ([`Item::edited`]).
    pub fn updated_at(&self) -> DateTime<Utc> {
        let own = self
            .updated
            .map_or(self.published, |u| u.max(self.published));
        self.edited.map_or(own, |edited| own.max(edited))
    }

    /// The id of the source that first carried the story.
    pub fn source(&self) -> &str {
        self.sources
            .first()
            .map(|c| c.source.as_str())
            .unwrap_or("")
    }

    /// Topic names in order.
    pub fn topic_names(&self) -> impl Iterator<Item = &str> {
        self.topics.iter().map(|t| t.topic.as_str())
    }

    /// Whether `source` carried this story.
    pub fn carried_by(&self, source: &str) -> bool {
        self.sources.iter().any(|c| c.source == source)
    }

    /// Where the merged, topic and language feeds list the story: see [`listed_at`], from
    /// when it was first stored.
    pub fn listed_at(&self) -> DateTime<Utc> {
        listed_at(self.published, self.first_seen)
    }

    /// Where the feed of the source `c` lists the story: see [`listed_at`], from when that
    /// source first carried it.
    pub fn listed_for(&self, c: &Carrier) -> DateTime<Utc> {
        listed_at(self.published, c.first_seen)
    }
}

/// How late a story may reach Tributary and still be listed as news when it arrives (see
/// [`listed_at`]); one older than this when it arrives (a new source's back catalogue) keeps
/// its own date.
pub const LATE_NEWS: chrono::TimeDelta = chrono::TimeDelta::days(3);

/// The time a feed lists a story at, newest first: the date it gives, unless that is before
/// the hour in which the story reached Tributary (`arrived`), when it is listed at the start
/// of that hour (its own date still shown). Feeds show their newest stories only, and a
/// story that arrives late (its source was down, polls rarely, or dates its entries when
/// they were drafted) would otherwise fall below that window straight away and never reach a
/// subscriber. The hour, not the instant: the stories of one pass keep the order of their
/// dates (the index orders those listed at one time by their dates). A date in the future
/// counts as the arrival; one more than [`LATE_NEWS`] before it (a back catalogue) stays as
/// it is.
pub fn listed_at(published: DateTime<Utc>, arrived: DateTime<Utc>) -> DateTime<Utc> {
    if published > arrived {
        return arrived;
    }
    if arrived - published > LATE_NEWS {
        return published;
    }
    let hour = arrived
        .duration_trunc(chrono::TimeDelta::hours(1))
        .unwrap_or(arrived);
    published.max(hour)
}

/// The name a link's site goes by: its host's registrable label (`bfpe` of `bfpe.example`,
/// of `www.bfpe.org.rs` and of `news.bfpe.example`), unless that is a generic word (`news`,
/// `portal`…) that names no one site. `None` for an address, or a link that is not a URL.
pub fn site_name(link: &str) -> Option<String> {
    /// Second-level labels under a country code that are not a site's name.
    const UNDER_CC: &[&str] = &[
        "ac", "co", "com", "edu", "gov", "net", "org", "in", "or", "inf",
    ];
    /// Registrable names under which each subdomain is a site of its own.
    const SHARED_HOSTS: &[&str] = &[
        "wordpress",
        "blogspot",
        "substack",
        "medium",
        "tumblr",
        "wixsite",
        "weebly",
        "github",
        "gitlab",
        "rks-gov",
        "europa",
        "feedburner",
    ];
    /// Labels too common to tell a site.
    const GENERIC: &[&str] = &[
        "news", "blog", "blogs", "feed", "feeds", "media", "portal", "info", "online", "press",
        "web", "site", "home", "mail", "www",
    ];
    let host = url::Url::parse(link).ok()?.host_str()?.to_ascii_lowercase();
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return None;
    }
    let labels: Vec<&str> = host.split('.').filter(|l| !l.is_empty()).collect();
    let (&tld, rest) = labels.split_last()?;
    let (name, below) = match rest.split_last() {
        Some((&second, more)) if tld.len() == 2 && UNDER_CC.contains(&second) => {
            more.split_last()?
        }
        Some((second, more)) => (second, more),
        None => return None,
    };
    // A host of many sites (blogs, a government's ministries, the EU's bodies): each is the
    // label below it (`bfpe` of `bfpe.wordpress.com`, `mpb` of `mpb.rks-gov.net`).
    let name = if SHARED_HOSTS.contains(name) {
        below.last()?
    } else {
        name
    };
    (name.chars().count() >= 3 && !GENERIC.contains(name)).then(|| name.to_string())
}

/// The page a link names: the link without its `#fragment` (a story's published link keeps
/// one, `/changelog#v2-3`; what identifies and matches it is the page).
pub fn page_of(link: &str) -> &str {
    link.split_once('#').map_or(link, |(page, _)| page)
}

/// What Tributary remembers about a source between fetches.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceState {
    /// `ETag` of the last 200 response, sent back as `If-None-Match`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// `Last-Modified` of the last 200 response, sent back as `If-Modified-Since`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// Hash of the last body parsed: the same bytes again are not parsed again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_hash: Option<String>,
    /// When the last attempt finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempt: Option<DateTime<Utc>>,
    /// When the last attempt that did not fail finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_success: Option<DateTime<Utc>>,
    /// Outcome of the last attempt (`ok`, `not-modified`, `unchanged`, `error`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_outcome: Option<String>,
    /// Failures in a row; 0 means healthy.
    #[serde(default)]
    pub consecutive_errors: u32,
    /// The last error, for status pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// No fetch before this time (error backoff or the server's `Retry-After`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<DateTime<Utc>>,
    /// The feed's own title, as last parsed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed_title: Option<String>,
    /// The feed's site link, as last parsed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_url: Option<String>,
    /// Entries in the last parsed document.
    #[serde(default)]
    pub last_entry_count: u32,
    /// Where the source's URL redirects for good (every redirect permanent, 301 or 308), as
    /// shown (credentials left out): its `url` should say that. `None` when it does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_to: Option<String>,
    /// Which location the state is about ([`Location::key`]): the validators, body hash and
    /// backoff of one URL say nothing about another. `None` in states recorded before it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// When the failures in a row began (the first failed fetch since the last success, or
    /// since the first attempt for a source that never succeeded); `None` while healthy. Kept
    /// across restarts, so "failing for a day" is measured from the data, not from how long a
    /// process watched it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<DateTime<Utc>>,
    /// Not fetched until then: its host answered another source (`host_paused_by`) with 429
    /// (Too Many Requests) and asked to be left alone. Cleared at the next attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_paused_until: Option<DateTime<Utc>>,
    /// The source whose request its host answered with 429.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_paused_by: Option<String>,
}

impl SourceState {
    /// Healthy means the last attempt did not fail.
    pub fn healthy(&self) -> bool {
        self.consecutive_errors == 0
    }
}

/// A built digest as stored: the period it covers and every rendering of it, so re-running
/// the period, serving it and sending it all use the same bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DigestRecord {
    /// The digest's name.
    pub name: String,
    /// Start of the period (first-seen times at or after it).
    pub start: DateTime<Utc>,
    /// End of the period (first-seen times before it); the next period starts here.
    pub end: DateTime<Utc>,
    /// Stories in the digest.
    pub count: usize,
    /// Stories first seen in the period but published more than the digest's `max_age`
    /// before its end, left out (a first fetch of a source's old entries).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub too_old: usize,
    /// The message's Message-ID.
    pub message_id: String,
    /// The message's subject.
    pub subject: String,
    /// The RFC 5322 message.
    pub eml: String,
    /// The HTML part.
    pub html: String,
    /// The text part.
    pub text: String,
    /// The digest as data.
    pub json: serde_json::Value,
    /// When it was handed to the SMTP relay (set once; a digest is never sent twice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
    /// The last delivery error, if the last attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_error: Option<String>,
    /// Built and not yet written to the outbox. Written once, then cleared: a newsletter tool
    /// that takes the message out of the Maildir does not get it again. (Records from before
    /// the store kept this were written when they were built.)
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub outbox_due: bool,
    /// When the message was written to the outbox, if this version wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outboxed_at: Option<DateTime<Utc>>,
    /// Built to be sent (by the daemon with `send = true`, or by `digest --send`): until it
    /// is, each later send of the digest sends it first.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deliver: bool,
    /// The last attempt failed after the relay may have taken the message (the connection
    /// broke or timed out during the transaction): the daemon does not send it again, lest
    /// the list get it twice; `digest NAME --send` does, when asked.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub send_uncertain: bool,
    /// The relay refused the message for good (a 5xx reply, a relay without what the
    /// message needs): trying again every minute would only repeat the refusal to the relay,
    /// so the daemon does not; `digest NAME --send --at END` does, once the cause is mended.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub send_refused: bool,
}

/// For `skip_serializing_if`: a count or length that is zero (its type's default).
pub(crate) fn is_zero<T: Default + PartialEq>(n: &T) -> bool {
    *n == T::default()
}

/// A story's times written as chrono's serde writes them (RFC 3339 in UTC with `Z`, and 3, 6
/// or 9 fractional digits when the time has them), through humantime's formatter: chrono
/// writes a date a character at a time through `fmt::Write`, about 1,800 instructions each,
/// five times per story stored. Times humantime does not write (before 1970, after 9999, a
/// leap second) go through chrono.
mod rfc3339 {
    use chrono::{DateTime, Datelike, Utc};
    use serde::{Serialize, Serializer};

    pub(super) fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        let nanos = t.timestamp_subsec_nanos();
        if !(1970..=9999).contains(&t.year()) || nanos >= 1_000_000_000 {
            return t.serialize(s);
        }
        let time = std::time::SystemTime::from(*t);
        if nanos == 0 {
            s.collect_str(&humantime::format_rfc3339_seconds(time))
        } else if nanos % 1_000_000 == 0 {
            s.collect_str(&humantime::format_rfc3339_millis(time))
        } else if nanos % 1_000 == 0 {
            s.collect_str(&humantime::format_rfc3339_micros(time))
        } else {
            s.collect_str(&humantime::format_rfc3339_nanos(time))
        }
    }

    /// [`serialize`] of an optional time.
    pub(super) fn serialize_some<S: Serializer>(
        t: &Option<DateTime<Utc>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        struct Time<'a>(&'a DateTime<Utc>);
        impl Serialize for Time<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                serialize(self.0, s)
            }
        }
        match t {
            Some(t) => s.serialize_some(&Time(t)),
            None => s.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_is_named_by_its_registrable_label_or_below_a_host_of_many() {
        let name = |link: &str| site_name(link);
        assert_eq!(name("https://www.bfpe.org.rs/x").as_deref(), Some("bfpe"));
        assert_eq!(
            name("https://kdi-kosova.org/en/").as_deref(),
            Some("kdi-kosova")
        );
        assert_eq!(
            name("https://news.orgb.example:8443/a").as_deref(),
            Some("orgb")
        );
        assert_eq!(
            name("https://bfpe.wordpress.com/2026/x").as_deref(),
            Some("bfpe")
        );
        assert_eq!(name("https://mpb.rks-gov.net/page").as_deref(), Some("mpb"));
        assert_eq!(name("https://kanal.inf.mk/a").as_deref(), Some("kanal"));
        for none in [
            "https://feeds.feedburner.com/orga",
            "https://news.example/",
            "http://127.0.0.1:8080/feed",
            "https://wordpress.com/",
            "not a link",
        ] {
            assert_eq!(name(none), None, "{none}");
        }
    }

    #[test]
    fn a_story_is_listed_by_its_date_or_when_it_arrived_late() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let arrived = t("2026-11-30T10:25:00Z");
        // On time: its own date.
        assert_eq!(
            listed_at(t("2026-11-30T10:20:00Z"), arrived),
            t("2026-11-30T10:20:00Z")
        );
        // Late: the start of the hour it arrived in.
        assert_eq!(
            listed_at(t("2026-11-30T05:00:00Z"), arrived),
            t("2026-11-30T10:00:00Z")
        );
        assert_eq!(
            listed_at(t("2026-11-28T05:00:00Z"), arrived),
            t("2026-11-30T10:00:00Z")
        );
        // A back catalogue keeps its dates.
        assert_eq!(
            listed_at(t("2026-11-20T05:00:00Z"), arrived),
            t("2026-11-20T05:00:00Z")
        );
        // A date ahead of the clock (a zone written as UTC) counts as the arrival.
        assert_eq!(listed_at(t("2026-11-30T11:30:00Z"), arrived), arrived);
    }

    #[test]
    fn times_are_written_as_chrono_writes_them() {
        use chrono::TimeZone;
        let mut times: Vec<DateTime<Utc>> = vec![
            DateTime::UNIX_EPOCH,
            Utc.with_ymd_and_hms(2026, 5, 28, 20, 26, 40).unwrap(),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(1969, 12, 31, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(1900, 2, 28, 1, 2, 3).unwrap(),
            Utc.with_ymd_and_hms(-44, 3, 15, 12, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap(),
            // A leap second.
            chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
                .unwrap()
                .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
                .unwrap()
                .and_utc(),
        ];
        // Seconds across the years, each with no fraction and with fractions that take 3, 6
        // and 9 digits.
        for i in 0..500i64 {
            let seconds = -2_000_000_000 + i * 97_654_321;
            for nanos in [0, 120_000_000, 1_000, 123_456_000, 7, 999_999_999] {
                times.push(Utc.timestamp_opt(seconds, nanos).unwrap());
            }
        }
        for t in times {
            let ours = rfc3339::serialize(&t, serde_json::value::Serializer).unwrap();
            assert_eq!(ours, serde_json::to_value(t).unwrap(), "{t:?}");
            let some = rfc3339::serialize_some(&Some(t), serde_json::value::Serializer).unwrap();
            assert_eq!(some, ours);
        }
        let none = rfc3339::serialize_some(&None, serde_json::value::Serializer).unwrap();
        assert_eq!(none, serde_json::Value::Null);
    }

    #[test]
    fn shown_locations_leave_credentials_out() {
        let l = Location::Http(Url::parse("https://user:secret@feeds.example/rss?x=1").unwrap());
        assert_eq!(l.to_string(), "https://feeds.example/rss?x=1");
        let l = Location::Http(
            Url::parse("https://feeds.example/rss?lang=sq&api_key=S3CR3T&access_token=T0K&Sig=x&keyword=dialog")
                .unwrap(),
        );
        assert_eq!(
            l.to_string(),
            "https://feeds.example/rss?lang=sq&api_key=hidden&access_token=hidden&Sig=hidden&keyword=dialog"
        );
        let plain = "https://feeds.example/rss?lang=sq&page=2";
        assert_eq!(
            Location::Http(Url::parse(plain).unwrap()).to_string(),
            plain
        );
    }

    #[test]
    fn credential_parameters_are_told_by_their_words_in_any_spelling() {
        for name in [
            "accessToken",
            "access_token",
            "ACCESS-TOKEN",
            "apitoken",
            "feedtoken",
            "private_token",
            "X-Amz-Signature",
            "X-Amz-Credential",
            "X-Amz-Security-Token",
            "X-Goog-Signature",
            "X-Goog-Credential",
            "authkey",
            "AuthKey",
            "api_key",
            "apiKey",
            "APIKey",
            "APIKEY",
            "x-api-key",
            "accesskey",
            "licensekey",
            "passkey",
            "key",
            "Key",
            "sig",
            "Sig",
            "urlSig",
            "signature",
            "secret",
            "client_secret",
            "clientsecret",
            "password",
            "userPassword",
            "passwd",
            "pwd",
            "pass",
            "auth",
            "oauth",
            "credentials",
            "session",
            "session_id",
            "sessionId",
            "PHPSESSID",
            "jsessionid",
            "token2",
        ] {
            assert!(is_secret_parameter(name), "{name} should be hidden");
        }
        for name in [
            "monkey",
            "turkey",
            "hockey",
            "keyword",
            "keywords",
            "tokens_count",
            "page",
            "sort",
            "signup",
            "author",
            "auth_type",
            "possession",
            "hash",
            "lang",
            "id",
            "key_id",
            "Key-Pair-Id",
            "X-Amz-Date",
            "X-Amz-SignedHeaders",
            "",
            "_",
        ] {
            assert!(!is_secret_parameter(name), "{name} should be shown");
        }
    }

    #[test]
    fn shown_locations_hide_every_spelling_of_a_credential() {
        let l = Location::Http(
            Url::parse("http://127.0.0.1:18210/404?accessToken=SECRET1&apitoken=SECRET2&X-Amz-Signature=SECRET3&authkey=SECRET4&private_token=SECRET5&feedtoken=SECRET6&page=2&keyword=monkey")
                .unwrap(),
        );
        let shown = l.to_string();
        assert_eq!(
            shown,
            "http://127.0.0.1:18210/404?accessToken=hidden&apitoken=hidden&X-Amz-Signature=hidden&authkey=hidden&private_token=hidden&feedtoken=hidden&page=2&keyword=monkey"
        );
        let Location::Http(url) = &l else {
            unreachable!()
        };
        assert_eq!(
            secret_parameters(url),
            [
                "accessToken",
                "apitoken",
                "X-Amz-Signature",
                "authkey",
                "private_token",
                "feedtoken"
            ]
        );
    }

    #[test]
    fn a_url_quoted_in_an_error_has_its_password_and_keys_hidden_even_unparsed() {
        for (written, quoted) in [
            (
                "https://user:PASSW0RD@example.org:99999/feed",
                "https://user:hidden@example.org:99999/feed",
            ),
            (
                "http://user:PROXYSECRET@127.0.0.1:99999",
                "http://user:hidden@127.0.0.1:99999",
            ),
            // A password holding `@` or `:`, and a scheme missing a slash or its colon.
            (
                "https://user:p@ss:w@example.org/f",
                "https://user:hidden@example.org/f",
            ),
            (
                "https:/user:PW@example.org:99999/f",
                "https:/user:hidden@example.org:99999/f",
            ),
            (
                "https//user:PW@example.org/f",
                "https//user:hidden@example.org/f",
            ),
            ("user:PW@example.org/f", "user:hidden@example.org/f"),
            // A password holding `/`, `?` or `#`, which the parser refuses.
            (
                "https://feeduser:Xy9/Zk+Qw==@example.org/feed",
                "https://feeduser:hidden@example.org/feed",
            ),
            (
                "http://user:SEC/RET@proxy.example:3128",
                "http://user:hidden@proxy.example:3128",
            ),
            (
                "mailer:Xy9/Zk?Q#w==@smtp.example.org",
                "mailer:hidden@smtp.example.org",
            ),
            (
                "http://127.0.0.1:8080/@team/feed",
                "http://127.0.0.1:8080/@team/feed",
            ),
            // A token as the user name.
            (
                "https://ghp_T0KEN@example.org:0x/f",
                "https://hidden@example.org:0x/f",
            ),
            // The query's credentials, and an `@` past the host that is no login.
            (
                "https://example.org:99999/@team/feed?lang=sq&accessToken=T0K&api%5Fkey=K#top",
                "https://example.org:99999/@team/feed?lang=sq&accessToken=hidden&api%5Fkey=hidden#top",
            ),
            ("example.org/feed?key=K&q", "example.org/feed?key=hidden&q"),
            // Nothing to hide.
            ("https://example.org/feed", "https://example.org/feed"),
            ("Desk <desk@example.org>", "Desk <desk@example.org>"),
            ("feeds/partner.xml", "feeds/partner.xml"),
            ("", ""),
        ] {
            assert_eq!(redact_url_text(written), quoted, "{written}");
        }
    }

    #[test]
    fn item_id_round_trips_through_hex() {
        let id = ItemId::derive("bprg", &Identity::Guid("post-1".into()));
        let text = id.to_string();
        assert_eq!(text.len(), 32);
        assert_eq!(ItemId::parse(&text), Some(id));
        assert_eq!(ItemId::parse("zz"), None);
        assert_eq!(ItemId::parse(&"g".repeat(32)), None);
    }

    #[test]
    fn item_id_depends_on_source_and_identity() {
        let a = ItemId::derive("a", &Identity::Guid("1".into()));
        let b = ItemId::derive("b", &Identity::Guid("1".into()));
        let c = ItemId::derive("a", &Identity::Link("1".into()));
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a, ItemId::derive("a", &Identity::Guid("1".into())));
    }

    #[test]
    fn item_ids_of_one_source_share_their_first_bytes() {
        let p = ItemId::SOURCE_PREFIX;
        let ids: Vec<ItemId> = (0..50)
            .map(|i| ItemId::derive("kdi", &Identity::Guid(format!("post-{i}"))))
            .collect();
        assert!(ids.iter().all(|id| id.0[..p] == ids[0].0[..p]));
        // The rest still tells the stories apart.
        let tails: std::collections::HashSet<&[u8]> = ids.iter().map(|id| &id.0[p..]).collect();
        assert_eq!(tails.len(), ids.len());
        let other = ItemId::derive("bprg", &Identity::Guid("post-0".into()));
        assert_ne!(other.0[..p], ids[0].0[..p]);
        assert_ne!(other.0[p..], ids[0].0[p..]);
    }
}

/// Whether the language tag `tag` falls under the language range `range` (RFC 4647 basic
/// filtering, case-insensitive): `sr` covers `sr`, `sr-Latn` and `sr-Cyrl`; `sr-Cyrl` covers
/// `sr-Cyrl` and `sr-Cyrl-RS` but not `sr-Latn`.
pub fn language_matches(tag: &str, range: &str) -> bool {
    tag.len() >= range.len()
        && tag.as_bytes()[..range.len()].eq_ignore_ascii_case(range.as_bytes())
        && (tag.len() == range.len() || tag.as_bytes()[range.len()] == b'-')
}

#[cfg(test)]
mod language_tests {
    use super::language_matches;

    #[test]
    fn a_range_covers_its_tag_and_longer_tags_at_a_subtag_boundary() {
        assert!(language_matches("sr", "sr"));
        assert!(language_matches("sr-Latn", "sr"));
        assert!(language_matches("SR-cyrl", "sr-Cyrl"));
        assert!(language_matches("sr-Cyrl-RS", "sr-Cyrl"));
        assert!(!language_matches("sr-Latn", "sr-Cyrl"));
        assert!(!language_matches("sq", "sr"));
        assert!(!language_matches("srp", "sr"));
        assert!(!language_matches("sr", "sr-Latn"));
    }
}
