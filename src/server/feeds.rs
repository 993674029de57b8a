//! The rendered feeds: every feed the server offers, rendered from the store once per change
//! and kept as ready bytes with their validators. Serving a feed is a map lookup.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::HeaderValue;
use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::locale::Locale;
use crate::model::{Location, Source};
use crate::publish::{self, FeedMeta, Format, SourceInfo};
use crate::store::{Query, Store, StoreError};

/// Which items a feed holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Every stored story.
    All,
    /// Stories with this topic.
    Topic(String),
    /// Stories this source carried.
    Source(String),
    /// Stories in this language (a tag of [`Config::languages`]).
    Language(String),
    /// Stories with this topic (first) in this language (second, a tag of
    /// [`Config::languages`]): "the dialogue, in Albanian".
    TopicLanguage(String, String),
}

impl Scope {
    /// The URL path of this scope's feed in `format`.
    pub fn path(&self, format: Format) -> String {
        match self {
            Scope::All => format!("feeds/all.{format}"),
            Scope::Topic(t) => format!("feeds/topics/{t}.{format}"),
            Scope::Source(s) => format!("feeds/sources/{s}.{format}"),
            Scope::Language(l) => format!("feeds/languages/{l}.{format}"),
            Scope::TopicLanguage(t, l) => format!("feeds/topics/{t}/{l}.{format}"),
        }
    }

    /// Whether `config` offers this feed (a configured topic, source or language).
    pub fn is_configured(&self, config: &Config) -> bool {
        let language = |l: &str| config.language(l).as_deref() == Some(l);
        match self {
            Scope::All => true,
            Scope::Topic(t) => config.classifier.title(t).is_some(),
            Scope::Source(s) => config.source(s).is_some(),
            Scope::Language(l) => language(l),
            Scope::TopicLanguage(t, l) => config.classifier.title(t).is_some() && language(l),
        }
    }

    /// Whether the feed is rendered ahead of time with every change ([`FeedSet::build`]);
    /// the many others (per source, per topic and language) are rendered on their first
    /// request after a change and kept in a [`LazyFeeds`] cache.
    pub fn is_prerendered(&self) -> bool {
        matches!(self, Scope::All | Scope::Topic(_) | Scope::Language(_))
    }
}

/// A document ready to serve.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The bytes.
    pub body: Bytes,
    /// Weak validator (the body may be compressed on the way out).
    pub etag: String,
    /// `etag` as a header value, built once rather than per request.
    pub etag_header: HeaderValue,
    /// When these bytes were first rendered (kept across renders while the bytes stay the
    /// same; second precision, as HTTP dates have).
    pub last_modified: DateTime<Utc>,
    /// `last_modified` as an HTTP date header value, built once rather than per request.
    pub last_modified_http: HeaderValue,
    /// `Content-Type` header value.
    pub content_type: &'static str,
    /// The body gzipped for clients that accept gzip, made once when the bytes change (see
    /// [`Rendered::prepare_for`]; none for bodies too small to gain from it).
    pub gzip: Option<Bytes>,
    /// Whether the body and its gzipped form are sent without copying (see [`shared`]): the
    /// merged and topic feeds, which every reader polls; not per-source feeds, which are many.
    zero_copy: bool,
}

impl Rendered {
    /// Readies a new rendering for serving, given the one it replaces: when the bytes did not
    /// change it keeps that one's date and gzipped body, else it gzips the new bytes.
    fn prepare_for(&mut self, before: Option<&Rendered>) {
        match before {
            Some(b) if b.etag == self.etag => {
                self.last_modified = b.last_modified;
                self.last_modified_http = b.last_modified_http.clone();
                self.gzip = b.gzip.clone();
                return;
            }
            Some(b) if self.last_modified <= b.last_modified => {
                // Changed within the same second: a later date, or `If-Modified-Since` would
                // answer 304 for bytes the client has not seen.
                self.last_modified = b.last_modified + chrono::Duration::seconds(1);
                self.last_modified_http = http_date(self.last_modified);
            }
            _ => {}
        }
        self.gzip = gzip(&self.body).map(|packed| shared(packed, self.zero_copy));
    }

    /// [`Rendered::prepare_for`], and for a document with no rendering before it in this
    /// process (the first after a start), the date recorded for the same bytes in `store`:
    /// a restart does not make readers that send only `If-Modified-Since` download anything
    /// again.
    fn prepare_with(&mut self, before: Option<&Rendered>, store: &Store, path: &str) {
        if before.is_none() {
            match store.served(path) {
                Some((etag, since)) if etag == self.etag => {
                    self.last_modified = since;
                    self.last_modified_http = http_date(since);
                }
                // Other bytes than last served, dated after the clock now says (dates are
                // moved a second on for changes within one): later still, never earlier.
                Some((_, since)) if since >= self.last_modified => {
                    self.last_modified = since + chrono::Duration::seconds(1);
                    self.last_modified_http = http_date(self.last_modified);
                }
                _ => {}
            }
        }
        let changed = before.is_none_or(|b| b.etag != self.etag);
        self.prepare_for(before);
        if changed {
            store.record_served(path, &self.etag, self.last_modified);
        }
    }

    fn new(body: Vec<u8>, content_type: &'static str) -> Rendered {
        Rendered::with_sharing(body, content_type, false)
    }

    fn with_sharing(body: Vec<u8>, content_type: &'static str, zero_copy: bool) -> Rendered {
        let now = Utc::now();
        let last_modified = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
        let etag = format!("W/\"{}\"", &blake3::hash(&body).to_hex()[..20]);
        Rendered {
            etag_header: HeaderValue::from_str(&etag).expect("hex digits are a valid header"),
            etag,
            last_modified,
            last_modified_http: http_date(last_modified),
            content_type,
            gzip: None,
            body: shared(body, zero_copy),
            zero_copy,
        }
    }
}

/// Bodies smaller than this are sent as they are.
const GZIP_FROM: usize = 256;

fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write as _;
    if body.len() < GZIP_FROM {
        return None;
    }
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::default(),
    );
    encoder.write_all(body).ok()?;
    let packed = encoder.finish().ok()?;
    (packed.len() < body.len()).then_some(packed)
}

/// A document's bytes; with `zero_copy`, put where the server can send them with
/// `sendfile(2)` instead of copying them into every response (Linux; see
/// [`super::zerocopy`]).
fn shared(bytes: Vec<u8>, zero_copy: bool) -> Bytes {
    #[cfg(target_os = "linux")]
    if zero_copy {
        return super::zerocopy::share(bytes);
    }
    let _ = zero_copy;
    Bytes::from(bytes)
}

fn http_date(t: DateTime<Utc>) -> HeaderValue {
    HeaderValue::from_str(&httpdate::fmt_http_date(t.into()))
        .expect("an HTTP date is a valid header")
}

/// The merged, per-topic and per-language feeds, rendered. Per-source feeds (one per
/// configured source, thousands of documents of mostly idle sources) and a topic's feed in
/// one language are rendered when first asked for after a change and kept in a bounded
/// cache: see [`LazyFeeds`].
#[derive(Debug, Default)]
pub struct FeedSet {
    feeds: HashMap<(Scope, Format), Arc<Rendered>>,
    opml: Option<Arc<Rendered>>,
    /// Counts the renders: a cached source feed from an earlier one is stale.
    pub generation: u64,
    /// What the feeds say about each source, read once per render (source feeds rendered
    /// later reuse it rather than reading every source's state again).
    infos: Vec<SourceInfo>,
}

/// The feeds not rendered ahead of time (per source; per topic and language), rendered on
/// their first request after a change, at most `capacity` kept (least recently used
/// dropped). Memory stays bounded however many sources there are.
#[derive(Debug)]
pub struct LazyFeeds {
    cache: lru::LruCache<(Scope, Format), (u64, Arc<Rendered>)>,
}

impl LazyFeeds {
    /// An empty cache of `capacity` documents.
    pub fn new(capacity: usize) -> LazyFeeds {
        let capacity = std::num::NonZeroUsize::new(capacity.max(1)).expect("at least one");
        LazyFeeds {
            cache: lru::LruCache::new(capacity),
        }
    }

    /// The cached document and the generation it was rendered in.
    pub fn get(&mut self, scope: &Scope, format: Format) -> Option<(u64, Arc<Rendered>)> {
        self.cache.get(&(scope.clone(), format)).cloned()
    }

    /// Keeps a document rendered in `generation`.
    pub fn put(&mut self, scope: Scope, format: Format, generation: u64, doc: Arc<Rendered>) {
        self.cache.put((scope, format), (generation, doc));
    }
}

impl FeedSet {
    /// Renders the merged, topic and language feeds in every format, and the OPML list (the
    /// others are rendered on request: [`FeedSet::render_lazy`]).
    /// A document whose bytes equal its `previous` rendering keeps that rendering's
    /// `Last-Modified`; any other gets the render time, so `If-Modified-Since` never hides a
    /// change (a new carrier, a reclassification, an item dropping out of the window).
    pub fn build(
        store: &Store,
        config: &Config,
        previous: Option<&FeedSet>,
    ) -> Result<FeedSet, StoreError> {
        let mut set = FeedSet::default();
        let infos = source_infos(store, config);
        let mut scopes = vec![Scope::All];
        scopes.extend(
            config
                .classifier
                .topics()
                .map(|t| Scope::Topic(t.to_string())),
        );
        scopes.extend(config.languages().into_iter().map(Scope::Language));
        set.generation = previous.map_or(1, |p| p.generation + 1);
        for scope in scopes {
            for (format, mut doc) in render_scope(store, config, &infos, &scope, &Format::ALL)? {
                let before = previous.and_then(|p| p.get(&scope, format));
                doc.prepare_with(before.as_deref(), store, &scope.path(format));
                set.feeds.insert((scope.clone(), format), Arc::new(doc));
            }
        }
        let opml = publish::render_opml(&format!("{}: sources", config.server.title), &infos);
        let mut opml = Rendered::new(opml, "text/x-opml; charset=utf-8");
        opml.prepare_with(
            previous.and_then(|p| p.opml()).as_deref(),
            store,
            "sources.opml",
        );
        set.opml = Some(Arc::new(opml));
        set.infos = infos;
        Ok(set)
    }

    /// Renders a feed that is not rendered ahead of time (a source's; a topic's in one
    /// language) for the server, keeping the date of `before` when the bytes are the same;
    /// `None` for a scope that is not configured.
    pub fn render_lazy(
        &self,
        store: &Store,
        config: &Config,
        scope: &Scope,
        format: Format,
        before: Option<&Rendered>,
    ) -> Result<Option<Rendered>, StoreError> {
        if !scope.is_configured(config) {
            return Ok(None);
        }
        Ok(render_scope(store, config, &self.infos, scope, &[format])?
            .pop()
            .map(|(_, mut doc)| {
                doc.prepare_with(before, store, &scope.path(format));
                doc
            }))
    }

    /// Renders one feed exactly as the server serves it (`tributary render`); `None` for a
    /// topic or source that is not configured.
    pub fn render_one(
        store: &Store,
        config: &Config,
        scope: &Scope,
        format: Format,
    ) -> Result<Option<Rendered>, StoreError> {
        if !scope.is_configured(config) {
            return Ok(None);
        }
        let infos = source_infos(store, config);
        Ok(render_scope(store, config, &infos, scope, &[format])?
            .pop()
            .map(|(_, doc)| doc))
    }

    /// A rendered feed.
    pub fn get(&self, scope: &Scope, format: Format) -> Option<Arc<Rendered>> {
        self.feeds.get(&(scope.clone(), format)).cloned()
    }

    /// The OPML list of sources.
    pub fn opml(&self) -> Option<Arc<Rendered>> {
        self.opml.clone()
    }
}

fn source_infos(store: &Store, config: &Config) -> Vec<SourceInfo> {
    config
        .sources
        .iter()
        .map(|s| source_info(store, config, s))
        .collect()
}

fn render_scope(
    store: &Store,
    config: &Config,
    infos: &[SourceInfo],
    scope: &Scope,
    formats: &[Format],
) -> Result<Vec<(Format, Rendered)>, StoreError> {
    let lookup = |id: &str| {
        infos
            .iter()
            .find(|i| i.id == id)
            .cloned()
            .or_else(|| former_source_info(store, id))
    };
    let (source, topic, lang) = match scope {
        Scope::All => (None, None, None),
        Scope::Topic(t) => (None, Some(t.clone()), None),
        Scope::Source(s) => (Some(s.clone()), None, None),
        Scope::Language(l) => (None, None, Some(l.clone())),
        Scope::TopicLanguage(t, l) => (None, Some(t.clone()), Some(l.clone())),
    };
    let items = store.list(&Query {
        source,
        topic,
        lang,
        limit: config.server.feed_items,
    })?;
    // Sent without copying: the merged, topic and language feeds (not their web pages, nor
    // the many others).
    let shared = scope.is_prerendered();
    // An empty feed is dated as the newest story anywhere: stable until the store changes.
    let when_empty = if items.is_empty() {
        store
            .list(&Query {
                limit: 1,
                ..Query::default()
            })?
            .first()
            .map(|i| i.last_changed)
    } else {
        None
    };
    let meta_of = |format| FeedMeta {
        updated_when_empty: when_empty,
        ..meta(config, scope, format)
    };
    Ok(formats
        .iter()
        .map(|&format| {
            let body = publish::render(format, &meta_of(format), &items, &lookup);
            let zero_copy = shared && format.is_feed();
            (
                format,
                Rendered::with_sharing(body, format.content_type(), zero_copy),
            )
        })
        .collect())
}

fn meta(config: &Config, scope: &Scope, format: Format) -> FeedMeta {
    let name = &config.server.title;
    // The title's language, when the feed names itself in one Tributary speaks but English.
    let mut title_lang = None;
    let (title, description, language) = match scope {
        Scope::All => (
            format!("{name}: all news"),
            "News from every source, de-duplicated, newest first".to_string(),
            None,
        ),
        Scope::Topic(t) => {
            let topic = config.classifier.title(t).unwrap_or(t);
            (
                format!("{name}: {topic}"),
                format!("News about {topic}, from every source"),
                None,
            )
        }
        Scope::Source(id) => {
            let source = config.source(id);
            let title = source.map(|s| s.title.as_str()).unwrap_or(id);
            (
                format!("{name}: {title}"),
                format!("News carried by {title}"),
                source.and_then(|s| s.lang.clone()),
            )
        }
        Scope::Language(tag) => {
            let words = FeedWords::of(tag);
            title_lang = words.localized().then(|| tag.clone());
            (
                format!("{name}: {}", words.news_in()),
                words.description(None),
                Some(tag.clone()),
            )
        }
        Scope::TopicLanguage(t, tag) => {
            // The topic as the rules name it in that language, when they do.
            let topic = config.classifier.title_in(t, tag).unwrap_or(t);
            let words = FeedWords::of(tag);
            title_lang = words.localized().then(|| tag.clone());
            (
                format!("{name}: {topic} · {}", words.language),
                words.description(Some(topic)),
                Some(tag.clone()),
            )
        }
    };
    let scope_id = scope.path(format);
    let scope_id = scope_id
        .rsplit_once('.')
        .map(|(p, _)| p)
        .unwrap_or(&scope_id);
    // An Atom feed's id is permanent: a reader that sees it change takes the feed for a new
    // one. A configured public URL is stable; an address derived from `listen` is not (a
    // port or `--listen` change), so without one the id is a URN of the scope alone, its
    // parts joined by `:` (feed validators read a `/` there as invalid).
    let id = if config.server.base_url_configured {
        format!("{}{}", config.server.base_url, scope_id)
    } else {
        format!(
            "urn:tributary:feed:{}",
            scope_id.trim_start_matches('/').replace('/', ":")
        )
    };
    FeedMeta {
        id,
        title,
        description,
        icon: config.server.icon.as_ref().map(url::Url::to_string),
        logo: config.server.logo.as_ref().map(url::Url::to_string),
        time_zone: config.server.time_zone,
        self_url: config.server.url(&scope.path(format)),
        site_url: config.server.url("/"),
        page_url: config.server.url(&scope.path(Format::Html)),
        language,
        generator: format!("Tributary {}", env!("CARGO_PKG_VERSION")),
        // In a feed that speaks another language than English, topics by their names in it.
        topic_labels: config
            .classifier
            .topics()
            .map(|t| {
                let label = match &title_lang {
                    Some(tag) => config.classifier.title_in(t, tag),
                    None => config.classifier.title(t),
                };
                (t.to_string(), label.unwrap_or(t).to_string())
            })
            .collect(),
        topic_aliases: config
            .classifier
            .topics()
            .flat_map(|t| {
                config
                    .classifier
                    .titles(t)
                    .into_iter()
                    .map(move |title| (t.to_string(), title.to_string()))
            })
            .collect(),
        updated_when_empty: None,
        title_lang,
        topic_pages_in: match scope {
            Scope::Language(tag) | Scope::TopicLanguage(_, tag) => Some(tag.clone()),
            _ => None,
        },
    }
}

/// What a feed narrowed to one language says of itself, in that language when Tributary
/// speaks it (English, Albanian, Serbian in either script) and in English otherwise: a
/// reader subscribed to the Albanian feed reads "lajme në shqip", not "news in Albanian".
struct FeedWords {
    /// English for a language Tributary does not speak.
    speaks: Locale,
    /// The language as its speakers name it ("shqip", "српски (ћирилица)"), or its English
    /// name for a language Tributary does not speak.
    language: String,
    /// "in" it: "në shqip", "na srpskom (latinica)".
    in_language: String,
}

impl FeedWords {
    fn of(tag: &str) -> FeedWords {
        // A script written in the tag (`sr-Latn`): the language is named with it.
        let script = tag.split(['-', '_']).nth(1).is_some_and(|s| s.len() == 4);
        let (speaks, language, in_language) = match Locale::parse(tag) {
            Some(Locale::Sq) => (Locale::Sq, "shqip", "në shqip"),
            Some(Locale::SrCyrl) => (Locale::SrCyrl, "српски (ћирилица)", "на српском (ћирилица)"),
            Some(Locale::SrLatn) if script => {
                (Locale::SrLatn, "srpski (latinica)", "na srpskom (latinica)")
            }
            // Both scripts; in the Latin one, as the topic's title in `sr` is.
            Some(Locale::SrLatn) => (Locale::SrLatn, "srpski", "na srpskom"),
            Some(Locale::En) | None => {
                let name = language_name(tag);
                let in_language = format!("in {name}");
                return FeedWords {
                    speaks: Locale::En,
                    language: name,
                    in_language,
                };
            }
        };
        FeedWords {
            speaks,
            language: language.to_string(),
            in_language: in_language.to_string(),
        }
    }

    /// Whether it speaks other than English.
    fn localized(&self) -> bool {
        self.speaks != Locale::En
    }

    /// "news in Albanian", in the language.
    fn news_in(&self) -> String {
        let news = match self.speaks {
            Locale::En => "news",
            Locale::Sq => "lajme",
            Locale::SrLatn => "vesti",
            Locale::SrCyrl => "вести",
        };
        format!("{news} {}", self.in_language)
    }

    /// "News in Albanian, from every source", or "News about the dialogue in Albanian, …".
    fn description(&self, topic: Option<&str>) -> String {
        let within = &self.in_language;
        match (self.speaks, topic) {
            (Locale::En, None) => format!("News {within}, from every source"),
            (Locale::En, Some(t)) => format!("News about {t} {within}, from every source"),
            (Locale::Sq, None) => format!("Lajme {within}, nga të gjitha burimet"),
            (Locale::Sq, Some(t)) => {
                format!("Lajme për temën „{t}“ {within}, nga të gjitha burimet")
            }
            (Locale::SrLatn, None) => format!("Vesti {within}, iz svih izvora"),
            (Locale::SrLatn, Some(t)) => {
                format!("Vesti o temi „{t}“ {within}, iz svih izvora")
            }
            (Locale::SrCyrl, None) => format!("Вести {within}, из свих извора"),
            (Locale::SrCyrl, Some(t)) => {
                format!("Вести о теми „{t}“ {within}, из свих извора")
            }
        }
    }
}

/// A language as a feed in it names it: by its speakers when Tributary speaks it ("shqip",
/// "српски (ћирилица)"), else in English.
pub fn own_name(tag: &str) -> String {
    FeedWords::of(tag).language
}

/// The English name of a language tag for feed titles: "Serbian (Cyrillic)" for `sr-Cyrl`;
/// a language outside the table is named by its tag.
pub fn language_name(tag: &str) -> String {
    const LANGUAGES: &[(&str, &str)] = &[
        ("bs", "Bosnian"),
        ("cnr", "Montenegrin"),
        ("de", "German"),
        ("el", "Greek"),
        ("en", "English"),
        ("fr", "French"),
        ("hr", "Croatian"),
        ("it", "Italian"),
        ("mk", "Macedonian"),
        ("ro", "Romanian"),
        ("sl", "Slovenian"),
        ("sq", "Albanian"),
        ("sr", "Serbian"),
        ("tr", "Turkish"),
    ];
    const SCRIPTS: &[(&str, &str)] = &[("latn", "Latin"), ("cyrl", "Cyrillic")];
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or(tag).to_ascii_lowercase();
    let Some((_, language)) = LANGUAGES.iter().find(|(code, _)| *code == primary) else {
        return tag.to_string();
    };
    let rest: Vec<&str> = parts.collect();
    match rest.as_slice() {
        [] => language.to_string(),
        [script] => match SCRIPTS
            .iter()
            .find(|(code, _)| code.eq_ignore_ascii_case(script))
        {
            Some((_, script)) => format!("{language} ({script})"),
            None => format!("{language} ({tag})"),
        },
        _ => format!("{language} ({tag})"),
    }
}

fn source_info(store: &Store, config: &Config, s: &Source) -> SourceInfo {
    let state = store.source_state(&s.id).unwrap_or_default();
    // A feed only we can read (a local file; one behind a login, custom headers or a key in
    // its URL, which is published without it) is offered as our own copy of it, which any
    // reader can subscribe to.
    let private = match &s.location {
        Location::Http(url) => {
            s.auth.is_some()
                || !s.headers.is_empty()
                || !crate::model::secret_parameters(url).is_empty()
        }
        Location::File(_) => true,
    };
    let url = if private {
        config
            .server
            .url(&Scope::Source(s.id.clone()).path(Format::Rss))
    } else {
        s.location.to_string()
    };
    SourceInfo {
        id: s.id.clone(),
        title: s.title.clone(),
        url,
        site_url: state.site_url,
        configured: true,
    }
}

/// A source no longer configured whose stories are still stored (until retention takes them),
/// by the title its feed last had: its stories name it rather than its id.
fn former_source_info(store: &Store, id: &str) -> Option<SourceInfo> {
    let state = store.source_state(id).ok()?;
    let title = state.feed_title.filter(|t| !t.trim().is_empty())?;
    Some(SourceInfo {
        id: id.to_string(),
        title,
        url: state.site_url.clone().unwrap_or_default(),
        site_url: state.site_url,
        configured: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Rendered {
        Rendered::new(text.repeat(40).into_bytes(), "text/plain")
    }

    fn gunzip(packed: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(packed), &mut out).unwrap();
        out
    }

    #[test]
    fn a_first_rendering_takes_the_date_recorded_for_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_lazy(&crate::store::test_config(dir.path())).unwrap();
        let at = |secs: i64| DateTime::from_timestamp(1_780_000_000 + secs, 0).unwrap();
        let rendered_at = |text: &str, t| {
            let mut d = doc(text);
            d.last_modified = t;
            d.last_modified_http = http_date(t);
            d
        };
        let path = "feeds/all.rss";
        let mut first = rendered_at("a", at(0));
        first.prepare_with(None, &store, path);
        assert_eq!(first.last_modified, at(0));
        // The daemon started again an hour later: same bytes, the recorded date.
        let mut again = rendered_at("a", at(3600));
        again.prepare_with(None, &store, path);
        assert_eq!(again.last_modified, at(0));
        assert_eq!(again.last_modified_http, first.last_modified_http);
        // Other bytes: their own date, recorded in turn.
        let mut changed = rendered_at("b", at(7200));
        changed.prepare_with(None, &store, path);
        assert_eq!(changed.last_modified, at(7200));
        let mut later = rendered_at("b", at(9000));
        later.prepare_with(None, &store, path);
        assert_eq!(later.last_modified, at(7200));
        // Other bytes than recorded, rendered at a clock behind the recorded date: later
        // than it all the same.
        let mut behind = rendered_at("c", at(7000));
        behind.prepare_with(None, &store, path);
        assert_eq!(behind.last_modified, at(7201));
        // Another document's record is not this one's.
        let mut other = rendered_at("b", at(9000));
        other.prepare_with(None, &store, "feeds/all.atom");
        assert_eq!(other.last_modified, at(9000));
    }

    #[test]
    fn languages_are_named_with_their_script() {
        assert_eq!(language_name("sq"), "Albanian");
        assert_eq!(language_name("sr-Cyrl"), "Serbian (Cyrillic)");
        assert_eq!(language_name("sr-latn"), "Serbian (Latin)");
        assert_eq!(language_name("en-GB"), "English (en-GB)");
        assert_eq!(language_name("xx"), "xx");
    }

    #[test]
    fn a_feed_in_one_language_speaks_it_when_tributary_does() {
        let words = |tag: &str, topic: Option<&str>| {
            let w = FeedWords::of(tag);
            (w.news_in(), w.language.clone(), w.description(topic))
        };
        assert_eq!(
            words("sq", Some("Dialogu Kosovë–Serbi")),
            (
                "lajme në shqip".into(),
                "shqip".into(),
                "Lajme për temën „Dialogu Kosovë–Serbi“ në shqip, nga të gjitha burimet".into()
            )
        );
        assert_eq!(
            words("sr-Cyrl", None),
            (
                "вести на српском (ћирилица)".into(),
                "српски (ћирилица)".into(),
                "Вести на српском (ћирилица), из свих извора".into()
            )
        );
        assert_eq!(
            words("SR-latn-RS", Some("Kultura")).2,
            "Vesti o temi „Kultura“ na srpskom (latinica), iz svih izvora"
        );
        assert_eq!(words("sr", None).0, "vesti na srpskom");
        assert_eq!(words("sq-XK", None).1, "shqip");
        // English, and what Tributary does not speak, in English.
        assert_eq!(
            words("en", Some("Culture")).2,
            "News about Culture in English, from every source"
        );
        assert_eq!(
            words("mk", None),
            (
                "news in Macedonian".into(),
                "Macedonian".into(),
                "News in Macedonian, from every source".into()
            )
        );
    }

    #[test]
    fn gzip_is_made_when_the_bytes_change_and_kept_while_they_do_not() {
        let mut first = doc("Dijalog Beograda i Prištine. ");
        first.prepare_for(None);
        let packed = first.gzip.clone().expect("large enough to gzip");
        assert_eq!(gunzip(&packed), first.body);

        let mut same = doc("Dijalog Beograda i Prištine. ");
        same.prepare_for(Some(&first));
        let kept = same.gzip.clone().unwrap();
        assert_eq!(kept.as_ptr(), packed.as_ptr(), "reused, not made again");
        assert_eq!(same.last_modified, first.last_modified);

        let mut changed = doc("Ženski kokus u Prizrenu. ");
        changed.prepare_for(Some(&first));
        assert_eq!(gunzip(changed.gzip.as_ref().unwrap()), changed.body);
        assert!(
            changed.last_modified > first.last_modified,
            "new bytes, later date"
        );

        let mut small = Rendered::new(b"tiny".to_vec(), "text/plain");
        small.prepare_for(None);
        assert!(small.gzip.is_none(), "not worth it below {GZIP_FROM} bytes");
    }
}
