//! The admin routes, the only ones that change anything: `POST /admin/fetch[?source=ID]`
//! fetches now, `POST /admin/reload` re-reads the config (as SIGHUP).
//!
//! They are enabled only by a token in the environment (`TRIBUTARY_ADMIN_TOKEN`, read by the
//! CLI); without one they answer 404. A request must carry `Authorization: Bearer <token>`,
//! compared in constant time. The server never fetches: it queues a [`Command`] for the daemon,
//! which runs it on its own fetch path.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use subtle::ConstantTimeEq as _;
use tokio::sync::mpsc;

use super::{plain, Shared};

/// Commands queued and not yet taken by the daemon, at most.
const QUEUE: usize = 16;
/// The shortest token accepted.
pub const MIN_TOKEN_LEN: usize = 16;

/// What the daemon is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Fetch these sources now.
    Fetch {
        /// Source ids, all known to the config when queued.
        sources: Vec<String>,
        /// Ignore backoff and `Retry-After`.
        force: bool,
    },
    /// Re-read the config, as on SIGHUP.
    Reload,
}

/// The admin secret. Only its BLAKE3 hash is kept, so comparing a guess takes the same time
/// whatever its length or the position of its first wrong byte.
#[derive(Clone)]
pub struct AdminToken([u8; 32]);

impl AdminToken {
    /// Accepts a secret of at least [`MIN_TOKEN_LEN`] characters (surrounding whitespace, as
    /// left by `echo` into an env file, is ignored).
    pub fn new(secret: &str) -> Result<AdminToken, TokenError> {
        let secret = secret.trim();
        if secret.chars().count() < MIN_TOKEN_LEN {
            return Err(TokenError::TooShort);
        }
        Ok(AdminToken(*blake3::hash(secret.as_bytes()).as_bytes()))
    }

    /// Whether `guess` is the secret (constant time).
    pub fn matches(&self, guess: &str) -> bool {
        let hash = blake3::hash(guess.trim().as_bytes());
        hash.as_bytes().ct_eq(&self.0).into()
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(redacted)")
    }
}

/// An unusable admin token.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Too easy to guess.
    #[error("the admin token is too short: use at least {MIN_TOKEN_LEN} characters (e.g. `openssl rand -hex 32`)")]
    TooShort,
}

/// The admin side of the server: the token and the queue to the daemon.
pub struct Admin {
    token: AdminToken,
    commands: mpsc::Sender<Command>,
}

impl Admin {
    /// Admin routes guarded by `token`, and the receiving end the daemon reads commands from.
    pub fn new(token: AdminToken) -> (Admin, mpsc::Receiver<Command>) {
        let (commands, rx) = mpsc::channel(QUEUE);
        (Admin { token, commands }, rx)
    }
}

/// `?source=ID&force=true`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FetchQuery {
    source: Option<String>,
    #[serde(default)]
    force: bool,
}

/// `POST /admin/fetch`: 202 with the queued source ids, 404 for an unknown source.
pub(super) async fn fetch(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    query: Result<Query<FetchQuery>, QueryRejection>,
) -> Response {
    let admin = match authorize(&s, &headers) {
        Ok(a) => a,
        Err(denied) => return denied.response(),
    };
    let Ok(Query(q)) = query else {
        return plain(
            StatusCode::BAD_REQUEST,
            "bad query: use ?source=ID and/or ?force=true\n",
        );
    };
    let config = s.config();
    let sources = match q.source {
        Some(id) if config.source(&id).is_some() => vec![id],
        Some(_) => return plain(StatusCode::NOT_FOUND, "unknown source\n"),
        None => config
            .sources
            .iter()
            .filter(|s| s.enabled)
            .map(|s| s.id.clone())
            .collect(),
    };
    let body = serde_json::json!({ "queued": sources, "force": q.force });
    queue(
        admin,
        Command::Fetch {
            sources,
            force: q.force,
        },
        body,
    )
}

/// `POST /admin/reload`: 202 once the reload is queued.
pub(super) async fn reload(State(s): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    match authorize(&s, &headers) {
        Ok(admin) => queue(
            admin,
            Command::Reload,
            serde_json::json!({ "queued": "reload" }),
        ),
        Err(denied) => denied.response(),
    }
}

fn queue(admin: &Admin, command: Command, body: serde_json::Value) -> Response {
    match admin.commands.try_send(command) {
        Ok(()) => (
            StatusCode::ACCEPTED,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response(),
        Err(mpsc::error::TrySendError::Full(_)) => {
            let mut r = plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy: earlier admin commands are still queued\n",
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            r
        }
        Err(mpsc::error::TrySendError::Closed(_)) => {
            plain(StatusCode::SERVICE_UNAVAILABLE, "the daemon is stopping\n")
        }
    }
}

/// Why a request was turned away.
enum Denied {
    /// No token configured: the admin routes do not exist.
    Disabled,
    /// No bearer token in the request.
    Missing,
    /// A bearer token that is not the one.
    Wrong,
}

impl Denied {
    /// 404 while admin is disabled, 401 with a challenge for a missing or wrong token.
    fn response(self) -> Response {
        let challenge = match self {
            Denied::Disabled => return plain(StatusCode::NOT_FOUND, "not found\n"),
            Denied::Missing => r#"Bearer realm="tributary admin""#,
            Denied::Wrong => r#"Bearer realm="tributary admin", error="invalid_token""#,
        };
        let mut r = plain(
            StatusCode::UNAUTHORIZED,
            "unauthorized: send Authorization: Bearer <TRIBUTARY_ADMIN_TOKEN>\n",
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(challenge),
        );
        r
    }
}

/// The admin half, when the request carries the token.
fn authorize<'a>(s: &'a Shared, headers: &HeaderMap) -> Result<&'a Admin, Denied> {
    let admin = s.admin.as_ref().ok_or(Denied::Disabled)?;
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then_some(token)
        })
        .ok_or(Denied::Missing)?;
    if admin.token.matches(presented) {
        Ok(admin)
    } else {
        Err(Denied::Wrong)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_enough_and_compared_whole() {
        assert!(AdminToken::new("short").is_err());
        let t = AdminToken::new(" 0123456789abcdef0123\n").unwrap();
        assert!(t.matches("0123456789abcdef0123"));
        assert!(!t.matches("0123456789abcdef012"));
        assert!(!t.matches("0123456789abcdef01234"));
        assert!(!t.matches(""));
        assert_eq!(format!("{t:?}"), "AdminToken(redacted)");
    }
}
