//! `Retry-After`: read from a 429 or 503 answer, held to a week at most, and said in an
//! error's message.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{self, HeaderMap};

/// The longest `Retry-After` honoured: a server may ask for any wait.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

/// `Retry-After` as a duration: delay-seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when: DateTime<Utc> = httpdate::parse_http_date(value).ok()?.into();
    (when - now).to_std().ok()
}

/// ` (retry after 2h)`, to the second, saying when the wait asked for is more than is honoured.
pub(super) fn describe_retry_after(asked: Duration) -> String {
    let secs = |d: Duration| humantime::format_duration(Duration::from_secs(d.as_secs()));
    if asked > MAX_RETRY_AFTER {
        format!(
            " (retry after {}; waiting {} at most)",
            secs(asked),
            secs(MAX_RETRY_AFTER)
        )
    } else {
        format!(" (retry after {})", secs(asked))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::FetchError;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_is_described_to_the_second_and_with_its_cap() {
        let status = |secs: f64| {
            FetchError::Status {
                status: 503,
                retry_after: Some(Duration::from_secs_f64(secs)),
            }
            .to_string()
        };
        assert_eq!(status(7200.25), "HTTP 503 (retry after 2h)");
        assert_eq!(
            status(3e9),
            "HTTP 503 (retry after 95years 23days 11h 20m; waiting 7days at most)"
        );
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = Utc::now();
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(120)));
        let later = httpdate::fmt_http_date((now + chrono::Duration::seconds(600)).into());
        h.insert(header::RETRY_AFTER, HeaderValue::from_str(&later).unwrap());
        let d = retry_after(&h, now).unwrap();
        assert!(
            d > Duration::from_secs(590) && d <= Duration::from_secs(600),
            "{d:?}"
        );
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h, now), None);
    }
}
