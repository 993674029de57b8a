//! The rendered feeds: every feed the server offers, rendered from the store once per change
//! and kept as ready bytes with their validators. Serving a feed is a map lookup.
//!
//! This file holds what a feed is ([`Scope`]), the set rendered ahead of time ([`FeedSet`]),
//! the cache of those rendered on request ([`LazyFeeds`]) and the rendering from the store;
//! `rendered` holds a ready document ([`Rendered`]), `meta` what a feed says of itself.

mod meta;
mod rendered;

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::Config;
use crate::model::{Location, Source};
use crate::publish::{self, FeedMeta, Format, SourceInfo};
use crate::store::{Query, Store, StoreError};

use meta::meta;

pub use meta::{language_name, own_name};
pub use rendered::Rendered;

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

/// The merged, per-topic and per-language feeds, rendered. Per-source feeds (one per
/// configured source, thousands of documents of mostly idle sources) and a topic's feed in
/// one language are rendered when first asked for after a change and kept in a bounded
/// cache: see [`LazyFeeds`].
#[derive(Debug, Default)]
pub struct FeedSet {
    /// The merged, topic and language feeds, each in every format.
    feeds: HashMap<(Scope, Format), Arc<Rendered>>,
    /// The OPML list of sources; `None` until the first render.
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
    /// Each document with the generation ([`FeedSet::generation`]) it was rendered in.
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
