//! Checks of single values that several sections share: time zones, logins, durations,
//! sizes, counts and user agents. Each records a value it refuses as a problem at its key
//! and returns `None` for it.

use std::time::Duration;

use toml::Spanned;

use super::validate::Validator;

/// The longest duration a setting takes (a longer one is taken as this): retention, windows
/// and intervals are added to and taken from dates, which end in the year 262143.
const MAX_DURATION: Duration = Duration::from_secs(100 * 366 * 86_400);

impl Validator<'_> {
    /// An IANA time zone name (`Europe/Belgrade`).
    pub(super) fn time_zone(
        &mut self,
        tz: &toml::Spanned<String>,
        key: &str,
    ) -> Option<chrono_tz::Tz> {
        let parsed = tz.get_ref().trim().parse::<chrono_tz::Tz>().ok();
        if parsed.is_none() {
            self.push(
                tz.span().start,
                key.to_string(),
                format!(
                    "unknown time zone {:?}: use an IANA name such as \"Europe/Belgrade\"",
                    tz.get_ref()
                ),
            );
        }
        parsed
    }

    /// A login: a user name (`user_key`) and the environment variable that holds its
    /// password (`env_key`), both or neither.
    pub(super) fn login(
        &mut self,
        user: &Option<Spanned<String>>,
        env: &Option<Spanned<String>>,
        user_key: &str,
        env_key: &str,
    ) -> Option<crate::model::BasicAuth> {
        let name = |key: &str| key.rsplit('.').next().unwrap_or(key).to_string();
        let (user_name, env_name) = (name(user_key), name(env_key));
        match (user, env) {
            (None, None) => None,
            (Some(user), None) => {
                self.push(
                    user.span().start,
                    env_key,
                    format!("{user_name} needs {env_name}: the name of the environment variable that holds the password"),
                );
                None
            }
            (None, Some(env)) => {
                self.push(
                    env.span().start,
                    user_key,
                    format!("{env_name} is set but {user_name} is not"),
                );
                None
            }
            (Some(user), Some(env)) => {
                let username = user.get_ref().trim();
                let name = env.get_ref().trim();
                let mut ok = true;
                if username.is_empty() || username.contains(':') {
                    self.push(
                        user.span().start,
                        user_key,
                        format!("{user_name} is empty or holds a ':'"),
                    );
                    ok = false;
                }
                let valid_name = name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !valid_name {
                    self.push(
                        env.span().start,
                        env_key,
                        format!("{name:?} is not an environment variable name (letters, digits and _, e.g. \"PARTNER_FEED_PASSWORD\")"),
                    );
                    ok = false;
                }
                ok.then(|| crate::model::BasicAuth {
                    username: username.to_string(),
                    password_env: name.to_string(),
                })
            }
        }
    }

    pub(super) fn duration(&mut self, v: &Option<Spanned<String>>, key: &str) -> Option<Duration> {
        let v = v.as_ref()?;
        match humantime::parse_duration(v.get_ref().trim()) {
            // "Forever" written as a thousand years is as good as a century, which no date
            // it is added to or taken from overflows.
            Ok(d) if d > MAX_DURATION => Some(MAX_DURATION),
            Ok(d) if !d.is_zero() => Some(d),
            Ok(_) => {
                self.push(v.span().start, key, "duration must be greater than zero");
                None
            }
            Err(e) => {
                self.push(
                    v.span().start,
                    key,
                    format!(
                        "invalid duration {:?}: {e} (write e.g. \"90s\", \"15m\", \"2h 30m\")",
                        v.get_ref()
                    ),
                );
                None
            }
        }
    }

    pub(super) fn size(&mut self, v: &Option<Spanned<String>>, key: &str) -> Option<u64> {
        let v = v.as_ref()?;
        match v.get_ref().trim().parse::<bytesize::ByteSize>() {
            Ok(b) if b.as_u64() > 0 => Some(b.as_u64()),
            Ok(_) => {
                self.push(v.span().start, key, "size must be greater than zero");
                None
            }
            Err(e) => {
                self.push(
                    v.span().start,
                    key,
                    format!(
                        "invalid size {:?}: {e} (write e.g. \"15MiB\", \"512KiB\")",
                        v.get_ref()
                    ),
                );
                None
            }
        }
    }

    pub(super) fn count(
        &mut self,
        v: &Option<Spanned<i64>>,
        key: &str,
        min: i64,
        max: i64,
    ) -> Option<usize> {
        let v = v.as_ref()?;
        let n = *v.get_ref();
        if n < min || n > max {
            self.push(
                v.span().start,
                key,
                format!("{n} is out of range: expected {min} to {max}"),
            );
            return None;
        }
        usize::try_from(n).ok()
    }

    /// A `user_agent` (`[fetch]`'s or a source's, named by `key`) must be a valid header
    /// value, or no request can carry it.
    pub(super) fn user_agent(&mut self, v: &Option<Spanned<String>>, key: &str) -> Option<String> {
        let v = v.as_ref()?;
        let text = v.get_ref();
        if text.trim().is_empty() {
            self.push(v.span().start, key, "must not be empty");
            return None;
        }
        let text = text.trim();
        if reqwest::header::HeaderValue::from_str(text).is_err() {
            self.push(
                v.span().start,
                key,
                format!("{text:?} is not a valid HTTP header value (no control characters such as newlines)"),
            );
            return None;
        }
        Some(text.to_string())
    }
}
