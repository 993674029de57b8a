//! The admin routes, the only ones that change anything: `POST /admin/fetch[?source=ID]`
//! fetches now, `POST /admin/reload` re-reads the config (as SIGHUP) and says how it went.
//!
//! They are enabled only by a token in the environment (`TRIBUTARY_ADMIN_TOKEN`, read by the
//! CLI); without one they answer 404. A request must carry `Authorization: Bearer <token>`,
//! compared in constant time. The server never fetches: it queues a [`Command`] for the daemon,
//! which runs it on its own fetch path.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use subtle::ConstantTimeEq as _;
use tokio::sync::{mpsc, oneshot};

use super::errors::Error;
use super::Shared;

/// Commands queued and not yet taken by the daemon, at most.
const QUEUE: usize = 16;
/// The shortest token accepted.
pub const MIN_TOKEN_LEN: usize = 16;

/// What the daemon is asked to do.
#[derive(Debug)]
pub enum Command {
    /// Fetch these sources now.
    Fetch {
        /// Source ids, all known to the config when queued.
        sources: Vec<String>,
        /// Ignore backoff and `Retry-After`.
        force: bool,
    },
    /// Re-read the config, as on SIGHUP, and say how it went.
    Reload(ReloadReply),
}

/// A config the daemon reloaded and now runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reloaded {
    /// Sources in it.
    pub sources: usize,
    /// Digests in it.
    pub digests: usize,
}

/// How a reload went: the config it runs on now, or why it still runs on the one before.
pub type ReloadOutcome = Result<Reloaded, String>;

/// Where the daemon says how a reload went, to the request that asked for it.
#[derive(Debug)]
pub struct ReloadReply(oneshot::Sender<ReloadOutcome>);

impl ReloadReply {
    /// A reply and the end it is read from.
    pub fn new() -> (ReloadReply, oneshot::Receiver<ReloadOutcome>) {
        let (tx, rx) = oneshot::channel();
        (ReloadReply(tx), rx)
    }

    /// Tells the request, if it still waits (it waits half the request timeout).
    pub fn send(self, outcome: ReloadOutcome) {
        let _ = self.0.send(outcome);
    }
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
) -> Result<Response, Error> {
    let admin = authorize(&s, &headers)?;
    let Query(q) =
        query.map_err(|_| Error::BadRequest("bad query: use ?source=ID and/or ?force=true\n"))?;
    let config = s.config();
    let sources = match q.source {
        Some(id) if config.source(&id).is_some() => vec![id],
        Some(_) => return Err(Error::NotFound("unknown source\n")),
        None => config
            .sources
            .iter()
            .filter(|s| s.enabled)
            .map(|s| s.id.clone())
            .collect(),
    };
    let body = serde_json::json!({ "queued": sources, "force": q.force });
    let command = Command::Fetch {
        sources,
        force: q.force,
    };
    queue(admin, command)?;
    Ok(json(StatusCode::ACCEPTED, body))
}

/// `POST /admin/reload`: 200 with the config's counts once the daemon runs on it, 422 with
/// why when it still runs on the one before (the config does not read, or cannot be
/// scheduled), 202 when the daemon has not said within half of `[server] request_timeout`
/// (past the whole, the server answers 503 itself): the reload is still made, and the status
/// page and `config_last_reload_successful` tell how it went.
pub(super) async fn reload(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let admin = authorize(&s, &headers)?;
    let (reply, outcome) = ReloadReply::new();
    queue(admin, Command::Reload(reply))?;
    let wait = s.request_timeout / 2;
    let Ok(outcome) = tokio::time::timeout(wait, outcome).await else {
        return Ok(json(
            StatusCode::ACCEPTED,
            serde_json::json!({ "queued": "reload" }),
        ));
    };
    // Dropped, the reply says the daemon stopped before it got to the reload.
    let reloaded = outcome
        .map_err(|_| Error::Stopping)?
        .map_err(Error::ReloadRefused)?;
    Ok(json(
        StatusCode::OK,
        serde_json::json!({ "reloaded": true, "sources": reloaded.sources, "digests": reloaded.digests }),
    ))
}

fn json(status: StatusCode, body: serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Queues `command` for the daemon: [`Error::Busy`] while the queue is full,
/// [`Error::Stopping`] once the daemon no longer takes commands.
fn queue(admin: &Admin, command: Command) -> Result<(), Error> {
    admin.commands.try_send(command).map_err(|e| match e {
        mpsc::error::TrySendError::Full(_) => Error::Busy,
        mpsc::error::TrySendError::Closed(_) => Error::Stopping,
    })
}

/// The admin half, when the request carries the token: 404 while admin is disabled (the
/// routes do not exist), 401 with a challenge for a missing or wrong token.
fn authorize<'a>(s: &'a Shared, headers: &HeaderMap) -> Result<&'a Admin, Error> {
    let admin = s.admin.as_ref().ok_or(Error::NotFound("not found\n"))?;
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then_some(token)
        })
        .ok_or(Error::Unauthorized {
            invalid_token: false,
        })?;
    if admin.token.matches(presented) {
        Ok(admin)
    } else {
        Err(Error::Unauthorized {
            invalid_token: true,
        })
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
