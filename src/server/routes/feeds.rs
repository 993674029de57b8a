//! The feed routes (`/feeds/…`) and the OPML list (`/sources.opml`): documents rendered ahead
//! of time, answered from the rendered set (also before the router, [`fast_answer`]), and
//! those rendered on their first request after a change.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, Request, State};
use axum::http::HeaderMap;
use axum::response::Response;

use crate::publish::Format;
use crate::server::conditional::conditional;
use crate::server::errors::Error;
use crate::server::feeds::Scope;
use crate::server::Shared;
use crate::store::StoreError;

/// Answers a request for a merged, topic or language feed straight from the rendered set, before the
/// router and its layers (the hot path of a feed server: most requests are readers polling
/// these few documents). `None` for anything else, and for a feed not rendered: the router
/// answers those (404, 503 while starting).
pub fn fast_answer<B>(shared: &Shared, req: &axum::http::Request<B>) -> Option<Response> {
    if req.method() != axum::http::Method::GET && req.method() != axum::http::Method::HEAD {
        return None;
    }
    let started = Instant::now();
    let path = req.uri().path();
    let rest = path.strip_prefix("/feeds/")?;
    let (route, file, kind) = if let Some(file) = rest.strip_prefix("topics/") {
        ("/feeds/topics/{file}", file, Some(false))
    } else if let Some(file) = rest.strip_prefix("languages/") {
        ("/feeds/languages/{file}", file, Some(true))
    } else {
        ("/feeds/{file}", rest, None)
    };
    if file.contains('/') {
        return None;
    }
    let (stem, format) = split_file(file)?;
    let scope = match (kind, stem) {
        (Some(false), topic) => Scope::Topic(topic.to_string()),
        (Some(true), tag) => Scope::Language(tag.to_string()),
        (None, "all") => Scope::All,
        _ => return None,
    };
    let doc = shared.feeds().get(&scope, format)?;
    let response = conditional(&doc, req.headers());
    shared.metrics.request(
        route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    Some(response)
}

fn split_file(file: &str) -> Option<(&str, Format)> {
    let (stem, ext) = file.rsplit_once('.')?;
    Some((stem, ext.parse().ok()?))
}

pub(super) async fn all_feed(
    State(s): State<Arc<Shared>>,
    Path(file): Path<String>,
    req: Request,
) -> Result<Response, Error> {
    match split_file(&file) {
        Some(("all", format)) => feed(&s, &Scope::All, format, req.headers()),
        _ => Err(Error::NotFound(
            "no such feed: try /feeds/all.rss, .atom, .json or .html\n",
        )),
    }
}

pub(super) async fn topic_feed(
    State(s): State<Arc<Shared>>,
    Path(file): Path<String>,
    req: Request,
) -> Result<Response, Error> {
    let (topic, format) = split_file(&file).ok_or(Error::UnknownFormat)?;
    feed(&s, &Scope::Topic(topic.to_string()), format, req.headers())
}

pub(super) async fn language_feed(
    State(s): State<Arc<Shared>>,
    Path(file): Path<String>,
    req: Request,
) -> Result<Response, Error> {
    let (tag, format) = split_file(&file).ok_or(Error::UnknownFormat)?;
    // Tags match in any case (`sr-latn` is `sr-Latn`), as language tags do.
    let tag = s.config().language(tag).unwrap_or_else(|| tag.to_string());
    feed(&s, &Scope::Language(tag), format, req.headers())
}

pub(super) async fn source_feed(
    State(s): State<Arc<Shared>>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let (id, format) = split_file(&file).ok_or(Error::UnknownFormat)?;
    let config = s.config();
    if config.source(id).is_none() {
        return Err(Error::unknown(
            "source",
            config.sources.iter().map(|s| s.id.as_str()),
        ));
    }
    lazy_feed(s, Scope::Source(id.to_string()), format, &headers).await
}

/// A topic's stories in one language: `/feeds/topics/dialogue/sq.rss`.
pub(super) async fn topic_language_feed(
    State(s): State<Arc<Shared>>,
    Path((topic, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let (tag, format) = split_file(&file).ok_or(Error::UnknownFormat)?;
    let config = s.config();
    if config.classifier.title(&topic).is_none() {
        return Err(Error::unknown("topic", config.classifier.topics()));
    }
    // Tags match in any case, as on `/feeds/languages/`.
    let tag = config
        .language(tag)
        .ok_or_else(|| Error::unknown("language", config.languages().iter().map(String::as_str)))?;
    lazy_feed(s, Scope::TopicLanguage(topic, tag), format, &headers).await
}

/// A feed that is not rendered ahead of time: from the cache when rendered since the last
/// change, else rendered now (once per change, not per request) and cached. Requests for a
/// feed that is being rendered wait for that render and take its result, so a burst of
/// readers after a change costs one render, not one each.
async fn lazy_feed(
    shared: Arc<Shared>,
    scope: Scope,
    format: Format,
    headers: &HeaderMap,
) -> Result<Response, Error> {
    if !shared.rendered() {
        return Err(Error::Starting);
    }
    if let (Some(doc), true) = shared.lazy_cached(&scope, format) {
        return Ok(conditional(&doc, headers));
    }
    let key = (scope.clone(), format);
    let turn = shared
        .lazy_turns
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(key.clone())
        .or_default()
        .clone();
    let response = {
        let held = turn.clone().lock_owned().await;
        render_lazy(&shared, scope, format, headers, held).await
    };
    let mut turns = shared.lazy_turns.lock().unwrap_or_else(|e| e.into_inner());
    // Nobody else holds it (the map and this request do): forget it.
    if Arc::strong_count(&turn) == 2 {
        turns.remove(&key);
    }
    response
}

/// [`lazy_feed`]'s render, on its turn: a request that waited finds the feed rendered.
async fn render_lazy(
    shared: &Arc<Shared>,
    scope: Scope,
    format: Format,
    headers: &HeaderMap,
    turn: tokio::sync::OwnedMutexGuard<()>,
) -> Result<Response, Error> {
    let set = shared.feeds();
    let generation = set.generation;
    let cached = match shared.lazy_cached(&scope, format) {
        (Some(doc), true) => return Ok(conditional(&doc, headers)),
        (stale, _) => stale,
    };
    let s = shared.clone();
    // Kept by the render itself once it has its turn: a request that goes away (or times
    // out) meanwhile does not throw it away, nor let the next request start the same render
    // (the turn goes with it).
    let rendered = shared
        .blocking(&shared.render_turns, move || {
            let _turn = turn;
            let before = cached.as_deref();
            let doc = set.render_lazy(&s.store, &s.config(), &scope, format, before)?;
            Ok::<_, StoreError>(doc.map(|doc| {
                let doc = Arc::new(doc);
                s.metrics.rendered_lazily();
                s.lazy_feeds.lock().unwrap_or_else(|e| e.into_inner()).put(
                    scope,
                    format,
                    generation,
                    doc.clone(),
                );
                doc
            }))
        })
        .await;
    let doc = rendered
        .map_err(|e| Error::internal("rendering a feed failed", "internal error\n", e))?
        .map_err(|e| Error::internal("rendering a feed failed", "could not read the store\n", e))?
        // The config changed between the check and the render.
        .ok_or(Error::NotFound("unknown feed\n"))?;
    Ok(conditional(&doc, headers))
}

fn feed(
    shared: &Shared,
    scope: &Scope,
    format: Format,
    headers: &HeaderMap,
) -> Result<Response, Error> {
    if let Some(doc) = shared.feeds().get(scope, format) {
        return Ok(conditional(&doc, headers));
    }
    // The daemon serves at once and renders its first set in the background.
    if !shared.rendered() {
        return Err(Error::Starting);
    }
    let config = shared.config();
    Err(match scope {
        Scope::All | Scope::TopicLanguage(..) => Error::NotFound("unknown feed\n"),
        Scope::Topic(_) => Error::unknown("topic", config.classifier.topics()),
        Scope::Source(_) => Error::unknown("source", config.sources.iter().map(|s| s.id.as_str())),
        Scope::Language(_) => {
            Error::unknown("language", config.languages().iter().map(String::as_str))
        }
    })
}

pub(super) async fn opml(State(s): State<Arc<Shared>>, req: Request) -> Result<Response, Error> {
    // Rendered with the first feed set: asked for before it, as a feed would be.
    let doc = s.feeds().opml().ok_or(Error::Starting)?;
    Ok(conditional(&doc, req.headers()))
}
