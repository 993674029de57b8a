//! The digest routes (`/digests/{name}/…`): a stored digest's files (the latest, a day's, one
//! by its id), the index of a digest's issues as JSON, and its archive page.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use crate::server::errors::Error;
use crate::server::headers::{html_headers, PAGE_CSP};
use crate::server::Shared;
use crate::store::StoreError;

/// `/digests/{name}/latest.{html,txt,eml,json}`, `/digests/{name}/{YYYY-MM-DD}.{…}` (the
/// newest digest whose period ends on that day in the digest's time zone),
/// `/digests/{name}/{id}.{…}` (the one whose period ends at that instant, as the index names
/// it) and `/digests/{name}/index.json`.
pub(super) async fn digest_file(
    State(s): State<Arc<Shared>>,
    Path((name, file)): Path<(String, String)>,
) -> Result<Response, Error> {
    let (which, ext) = file.rsplit_once('.').ok_or(Error::UnknownDigestFile)?;
    let content_type = match ext {
        "html" => "text/html; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "eml" => "message/rfc822",
        "json" => "application/json",
        _ => return Err(Error::UnknownDigestFile),
    };
    let config = s.config();
    let d = config
        .digest(&name)
        .cloned()
        .ok_or(Error::NotFound("unknown digest\n"))?;
    if which == "index" && ext == "json" {
        return digest_index(&s, d.name).await;
    }
    if which == "index" && ext == "html" {
        return digest_archive(&s, d).await;
    }
    // The newest, the newest ending within that local day (one that found nothing to send
    // only when no other is there), or the one ending at that instant.
    enum Which {
        Show(Option<(DateTime<Utc>, DateTime<Utc>)>),
        Exact(DateTime<Utc>),
    }
    let which = match which {
        "latest" => Which::Show(None),
        other => match (
            chrono::NaiveDate::parse_from_str(other, "%Y-%m-%d"),
            crate::digest::run::parse_time_stamp(other),
        ) {
            // A digest is named by the local date of its last whole second, a second before
            // its end (`Period::label`): one ending at midnight is the day before's, so the
            // day holds the ends a second after its start to a second after the next day's.
            (Ok(date), _) => {
                let (start, next) = local_day(&d.time_zone, date);
                let second = chrono::Duration::seconds(1);
                Which::Show(Some((start + second, next + second)))
            }
            (_, Some(end)) => Which::Exact(end),
            _ => return Err(Error::NotFound("no such digest yet\n")),
        },
    };
    let name = d.name.clone();
    let found = s
        .read_digests(move |store| match which {
            Which::Show(day) => {
                let (from, until) = day.unzip();
                store.digest_to_show(&d.name, from, until, !d.send_empty)
            }
            // The id names its end to the second or to the millisecond (a digest by hand; one
            // stored before ends were cut to milliseconds may have a finer end).
            Which::Exact(end) => store.digest_to_show(
                &d.name,
                Some(end),
                Some(if end.timestamp_subsec_millis() == 0 {
                    end + chrono::Duration::seconds(1)
                } else {
                    end + chrono::Duration::milliseconds(1)
                }),
                false,
            ),
        })
        .await;
    let record = found
        .map_err(|error| {
            Error::internal("reading a digest failed", "cannot read the digest\n", error)
                .for_digest(name)
        })?
        .ok_or(Error::NotFound("no such digest yet\n"))?;
    let body = match ext {
        "html" => record.html,
        "txt" => record.text,
        "eml" => record.eml,
        _ => serde_json::to_string_pretty(&record.json).unwrap_or_default(),
    };
    let mut response = ([(header::CONTENT_TYPE, content_type)], body).into_response();
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if ext == "html" {
        // Digests may show the stories' images (`images = true`), from wherever they are.
        html_headers(h, "default-src 'none'; style-src 'unsafe-inline'; img-src https: http:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    }
    Ok(response)
}

/// How many digests `/digests/{name}/index.json` lists, newest first.
const DIGEST_INDEX_MAX: usize = 100;

/// How many of a digest's newest periods `/digests/{name}/index.json` reads for its issues.
const DIGEST_INDEX_SCAN: usize = 2_000;

/// `/digests/{name}/index.json`: the newest digests of a name, each with its period, count,
/// subject, sending state and the URLs of its files, for a pipeline that wants every one
/// rather than the latest.
async fn digest_index(s: &Arc<Shared>, name: String) -> Result<Response, Error> {
    let digest = name.clone();
    let listed = s
        .read_digests(move |store| -> Result<Vec<serde_json::Value>, StoreError> {
            let mut out = Vec::new();
            // An empty period that was neither written nor sent (without `send_empty`) is no
            // issue: it only marks where the next starts. Looked for among the newest
            // DIGEST_INDEX_SCAN periods (three months of an hourly digest): a request reads no
            // more, however long the digest has run quiet.
            let issues = store
                .digests_newest_first(&name)?
                .take(DIGEST_INDEX_SCAN)
                .filter(|r| r.as_ref().map_or(true, crate::digest::run::is_issue));
            for record in issues.take(DIGEST_INDEX_MAX) {
                let r = record?;
                let id = crate::digest::run::time_stamp(r.end);
                let file = |ext: &str| format!("/digests/{}/{id}.{ext}", r.name);
                out.push(serde_json::json!({
                    "id": id,
                    // Times as the digest's data writes them (chrono's RFC 3339, `…Z`).
                    "start": r.start,
                    "end": r.end,
                    "count": r.count,
                    "subject": r.subject,
                    "message_id": r.message_id,
                    "sent_at": r.sent_at,
                    "send_error": r.send_error,
                    "send_uncertain": r.send_uncertain,
                    "send_refused": r.send_refused,
                    "outboxed_at": r.outboxed_at,
                    "html": file("html"),
                    "txt": file("txt"),
                    "eml": file("eml"),
                    "json": file("json"),
                }));
            }
            Ok(out)
        })
        .await;
    let list = listed.map_err(|error| {
        Error::internal(
            "reading the digests for the index failed",
            "cannot read the digests\n",
            error,
        )
        .for_digest(digest)
    })?;
    let mut response = (
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_string_pretty(&list).unwrap_or_default(),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// `/digests/{name}/index.html`: the newest issues of a digest (those with stories, every
/// one with `send_empty`) as a page for people, in the digest's language, each linked to its
/// HTML.
async fn digest_archive(
    s: &Arc<Shared>,
    d: crate::config::DigestConfig,
) -> Result<Response, Error> {
    #[derive(serde::Serialize)]
    struct Issue {
        href: String,
        period: String,
        count: String,
    }
    let (name, send_empty, locale) = (d.name.clone(), d.send_empty, d.locale);
    let listed = s
        .read_digests(move |store| -> Result<Vec<Issue>, StoreError> {
            let mut out = Vec::new();
            // Bounded twice: the issues shown, and the records read to find them (an hourly
            // digest of a quiet topic has many empty ones).
            for record in store.digests_newest_first(&name)?.take(DIGEST_ARCHIVE_READ) {
                let r = record?;
                if r.count == 0 && !send_empty {
                    continue;
                }
                let said =
                    |key: &str, or: String| r.json[key].as_str().map(str::to_string).unwrap_or(or);
                out.push(Issue {
                    href: format!("{}.html", crate::digest::run::time_stamp(r.end)),
                    period: said("period_label", r.subject.clone()),
                    count: said("count_label", locale.count(r.count)),
                });
                if out.len() == DIGEST_INDEX_MAX {
                    break;
                }
            }
            Ok(out)
        })
        .await;
    let issues = listed.map_err(|error| {
        Error::internal(
            "reading the digests for the archive failed",
            "cannot read the digests\n",
            error,
        )
        .for_digest(d.name.clone())
    })?;
    let labels = locale.page_labels();
    let page = ARCHIVE.get_template("archive.html").and_then(|t| {
        t.render(minijinja::context! {
            lang => locale.tag(),
            title => &d.title,
            archive => labels.archive,
            no_issues => labels.no_issues,
            issues => issues,
        })
    });
    let html = page.map_err(|e| {
        Error::internal(
            "rendering a digest archive failed",
            "cannot render the archive\n",
            e,
        )
    })?;
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    html_headers(h, PAGE_CSP);
    Ok(response)
}

/// How many digest records the archive page reads at most to find the issues it shows.
const DIGEST_ARCHIVE_READ: usize = 1_000;

/// The digest archive page's template, parsed once.
static ARCHIVE: std::sync::LazyLock<minijinja::Environment<'static>> =
    std::sync::LazyLock::new(|| crate::publish::html_template("archive.html", ARCHIVE_TEMPLATE));

/// The digest archive page's template.
const ARCHIVE_TEMPLATE: &str = include_str!("archive.html");

/// The instants a calendar day in `tz` spans, `[start, start of the next day)`. A day whose
/// midnight falls in a daylight-saving gap starts at its first existing hour.
fn local_day(tz: &chrono_tz::Tz, date: chrono::NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    use chrono::TimeZone as _;
    let start = |d: chrono::NaiveDate| {
        (0..24)
            .find_map(|h| tz.from_local_datetime(&d.and_hms_opt(h, 0, 0)?).earliest())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN)))
    };
    let next = date.succ_opt().unwrap_or(date);
    (start(date), start(next))
}
