//! A document ready to serve ([`Rendered`]): its bytes, gzipped once when they change, and
//! its validators, whose date holds while the bytes stay the same (across restarts too).

use axum::body::Bytes;
use axum::http::HeaderValue;
use chrono::{DateTime, Utc};

use crate::store::Store;

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
    /// `Rendered::prepare_for`; none for bodies too small to gain from it).
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
    pub(super) fn prepare_with(&mut self, before: Option<&Rendered>, store: &Store, path: &str) {
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

    pub(super) fn new(body: Vec<u8>, content_type: &'static str) -> Rendered {
        Rendered::with_sharing(body, content_type, false)
    }

    pub(super) fn with_sharing(
        body: Vec<u8>,
        content_type: &'static str,
        zero_copy: bool,
    ) -> Rendered {
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
/// [`crate::server::zerocopy`]).
fn shared(bytes: Vec<u8>, zero_copy: bool) -> Bytes {
    #[cfg(target_os = "linux")]
    if zero_copy {
        return crate::server::zerocopy::share(bytes);
    }
    let _ = zero_copy;
    Bytes::from(bytes)
}

fn http_date(t: DateTime<Utc>) -> HeaderValue {
    HeaderValue::from_str(&httpdate::fmt_http_date(t.into()))
        .expect("an HTTP date is a valid header")
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
