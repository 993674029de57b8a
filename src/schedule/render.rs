//! Re-rendering the served feeds after changes, and the status line systemd shows.

use std::sync::Arc;

use super::{notify, Daemon};
use crate::server::Shared;

/// Re-renders the feeds, then tells systemd what is served now.
pub(super) async fn refresh(shared: &Arc<Shared>) {
    let s = shared.clone();
    match tokio::task::spawn_blocking(move || s.refresh()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "rendering the feeds failed"),
        Err(e) => tracing::error!(error = %e, "rendering the feeds failed"),
    }
    notify::status(&status_line(shared).await);
}

/// "serving N sources, M stories; K failing", read from the store (blocking work).
pub(super) async fn status_line(shared: &Arc<Shared>) -> String {
    let s = shared.clone();
    tokio::task::spawn_blocking(move || {
        let config = s.config();
        let failing = config
            .sources
            .iter()
            .filter(|src| {
                src.enabled
                    && s.store
                        .source_state(&src.id)
                        .is_ok_and(|st| st.last_attempt.is_some() && !st.healthy())
            })
            .count();
        let enabled = config.sources.iter().filter(|src| src.enabled).count();
        let mut line = notify::status_line(enabled, failing, s.story_count());
        if s.metrics.reload_failed() {
            line.push_str(
                "; the last config reload failed (see the log): running on the previous config",
            );
        }
        line
    })
    .await
    .unwrap_or_else(|e| format!("status unavailable: {e}"))
}

impl Daemon {
    /// Re-renders the feeds whenever a fetch changed the store (notifications coalesce; a
    /// render waits for the clock's next second, see [`crate::server::Shared::refresh`]).
    pub(super) async fn render_loop(self: Arc<Self>) {
        loop {
            tokio::select! {
                _ = self.render.notified() => refresh(&self.shared).await,
                _ = self.cancel.cancelled() => return,
            }
        }
    }
}
