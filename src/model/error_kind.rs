//! What kind of failure a failed fetch was: the label alerts and dashboards group failures by
//! (the `fetch_errors` metric, `fetch --json`'s `kind`).

use serde::Serialize;

/// The kind of a failed fetch: the request's (`FetchError::kind` in `fetch`), the
/// document's or the store's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::EnumIter)]
pub enum ErrorKind {
    /// The request or the local file took longer than `fetch.timeout`.
    Timeout,
    /// The server's certificate was refused.
    Tls,
    /// No connection (refused, reset, no such host).
    Connect,
    /// HTTP 429 Too Many Requests.
    Http429,
    /// An HTTP status of 500 or more.
    Http5xx,
    /// Any other HTTP status that is no success, and a 304 to a request without validators.
    Http4xx,
    /// The server asked for a login the source does not have, or refused it.
    Login,
    /// The body is over `fetch.max_body_size`.
    TooLarge,
    /// An address the fetcher does not go to (a private address, another scheme).
    Refused,
    /// Too many redirects, or a loop.
    Redirects,
    /// A local source's file could not be read.
    File,
    /// The source's config cannot be used as it is (a password not in the environment).
    Config,
    /// Anything else the HTTP client reports.
    Other,
    /// No feed could be read from the document.
    Parse,
    /// The store could not read or write.
    Store,
    /// A bug (in the log).
    Internal,
}

impl ErrorKind {
    /// The kind's name, as the JSON report and the metric's label write it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Timeout => "timeout",
            ErrorKind::Tls => "tls",
            ErrorKind::Connect => "connect",
            ErrorKind::Http429 => "http_429",
            ErrorKind::Http5xx => "http_5xx",
            ErrorKind::Http4xx => "http_4xx",
            ErrorKind::Login => "login",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::Refused => "refused",
            ErrorKind::Redirects => "redirects",
            ErrorKind::File => "file",
            ErrorKind::Config => "config",
            ErrorKind::Other => "other",
            ErrorKind::Parse => "parse",
            ErrorKind::Store => "store",
            ErrorKind::Internal => "internal",
        }
    }

    /// Every kind, in the order above.
    pub fn all() -> impl Iterator<Item = ErrorKind> {
        <ErrorKind as strum::IntoEnumIterator>::iter()
    }
}

impl Serialize for ErrorKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}
