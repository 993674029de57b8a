//! Reloads (SIGHUP, or the admin route) and the admin routes' fetches: the new config's
//! pipeline and jobs, the settings that wait for a restart, and what changed sources get.

use std::sync::Arc;

use super::jobs::Timetable;
use super::{Daemon, Live};
use crate::config::Config;
use crate::ingest::Ingest;
use crate::server::admin::{Command, ReloadOutcome, Reloaded};

impl Daemon {
    /// A command from the admin routes: fetches go through [`Daemon::fetch`] like scheduled
    /// ones (one at a time per source), a reload is a SIGHUP.
    pub(super) async fn command(self: &Arc<Self>, command: Command, timetable: &mut Timetable) {
        match command {
            Command::Fetch { sources, force } => {
                tracing::info!(sources = sources.len(), force, "fetch requested over HTTP");
                for id in sources {
                    let this = self.clone();
                    self.tracker
                        .spawn(async move { this.fetch_now(id, force, true).await });
                }
            }
            Command::Reload(reply) => {
                tracing::info!("reload requested over HTTP");
                reply.send(self.reload(timetable).await);
            }
        }
    }

    /// SIGHUP: re-read the config; on error keep running on the old one (the
    /// `config_last_reload_successful` gauge and the `STATUS=` line say so) and say why.
    pub(super) async fn reload(self: &Arc<Self>, timetable: &mut Timetable) -> ReloadOutcome {
        let old = self.live();
        let config = match self.origin.load() {
            Ok(c) => Arc::new(kept_until_restart(c, &old.config)),
            Err(e) => {
                self.shared.config_reloaded(false);
                tracing::error!("config reload failed; still running on the previous config:\n{e}");
                return Err(e.to_string());
            }
        };
        let new_live = match live_after(&config, &old) {
            Ok(l) => Arc::new(l),
            Err(e) => {
                self.shared.config_reloaded(false);
                tracing::error!(error = %e, "config reload failed; still running on the previous config");
                return Err(format!("{e:#}"));
            }
        };
        // The new schedule is made before anything changes: if it cannot be, the daemon
        // stays on the previous config and schedule, as with a config that does not read.
        if let Err(e) = self.retime(timetable, &new_live).await {
            self.shared.config_reloaded(false);
            tracing::error!(error = %e, "config reload failed: cannot schedule it; still running on the previous config");
            return Err(format!("cannot schedule the config: {e:#}"));
        }
        self.digests_scheduled(&config);
        self.shared.config_reloaded(true);
        // Fetches of both configs running now count against one set of limits, sized
        // from here on as the new config says.
        new_live.ingest.limit_as_configured();
        *self.live.write().unwrap_or_else(|e| e.into_inner()) = new_live;
        self.shared.set_config(config.clone());
        // Sources may have come and gone: their counts and gauges are taken afresh, and those
        // gone take their series with them.
        let gone: Vec<&str> = old
            .config
            .sources
            .iter()
            .filter(|s| config.source(&s.id).is_none())
            .map(|s| s.id.as_str())
            .collect();
        self.shared.metrics.forget_sources(&gone);
        let gone: Vec<&str> = old
            .config
            .digests
            .iter()
            .filter(|d| config.digest(&d.name).is_none())
            .map(|d| d.name.as_str())
            .collect();
        self.shared.metrics.forget_digests(&gone);
        self.shared.recount();
        // Sources added (or enabled) by the reload, moved to another location, or asked for
        // another way (user agent, headers, login, certificate checks) are fetched now, not
        // one interval from now; if one is being fetched, right after. A backoff earned
        // before says nothing about them: one moved starts afresh (see `Ingest::source`), and
        // the others are fetched regardless of it, as an operator who paused a failing source
        // or mended its request expects.
        let mut now = std::collections::HashSet::new();
        for s in config.sources.iter().filter(|s| s.enabled) {
            let force = match old.config.source(&s.id) {
                None => false,
                Some(was) if !was.enabled => true,
                Some(was) if was.location != s.location => false,
                Some(was) if crate::fetch::Extras::of(was) != crate::fetch::Extras::of(s) => true,
                Some(_) => continue,
            };
            now.insert(s.id.clone());
            let this = self.clone();
            let id = s.id.clone();
            self.tracker
                .spawn(async move { this.fetch_now(id, force, true).await });
        }
        self.catch_up(&config, &now);
        self.render.notify_one();
        tracing::info!(sources = config.sources.len(), "config reloaded");
        Ok(Reloaded {
            sources: config.sources.len(),
            digests: config.digests.len(),
        })
    }
}

/// A reloaded `config` with the settings that take a restart as they are in `old`, with a
/// warning for each that changed: the store's path, and the listen address (with the feeds'
/// own address derived from it when `base_url` is not set: links must name where the daemon
/// answers).
fn kept_until_restart(mut config: Config, old: &Config) -> Config {
    if config.store.path != old.store.path {
        tracing::warn!(
            new = %config.store.path.display(),
            "the store path changed; that takes a restart (the store in use stays)"
        );
        config.store.path.clone_from(&old.store.path);
    }
    if config.server.listen != old.server.listen {
        tracing::warn!(
            new = %config.server.listen,
            "the listen address changed; that takes a restart (the daemon still listens on {})",
            old.server.listen
        );
        config.server = config.server.with_listen(old.server.listen);
    }
    config
}

/// The config a reload read and its pipeline, under the limits of `before`'s (see
/// [`Ingest::succeeding`]).
fn live_after(config: &Arc<Config>, before: &Live) -> anyhow::Result<Live> {
    let ingest = Ingest::succeeding(config, before.ingest.store.clone(), &before.ingest)?;
    Ok(Live {
        config: config.clone(),
        ingest: Arc::new(ingest),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reload_keeps_the_listen_address_and_store_path_until_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.toml");
        let config = |listen: &str, store: &str| {
            Config::from_str(
                &format!("[store]\npath = \"{store}\"\n[server]\nlisten = \"{listen}\"\n"),
                &file,
            )
            .unwrap()
        };
        let old = config("127.0.0.1:18100", "a");
        let kept = kept_until_restart(config("127.0.0.1:18101", "b"), &old);
        assert_eq!(kept.server.listen, old.server.listen);
        assert_eq!(kept.server.base_url.as_str(), "http://127.0.0.1:18100/");
        assert_eq!(kept.store.path, old.store.path);
        // A configured base_url is the readers' address, whatever the listen address.
        let text =
            "[server]\nlisten = \"127.0.0.1:18101\"\nbase_url = \"https://feeds.example/\"\n";
        let kept = kept_until_restart(Config::from_str(text, &file).unwrap(), &old);
        assert_eq!(kept.server.base_url.as_str(), "https://feeds.example/");
        assert_eq!(kept.server.listen, old.server.listen);
    }
}
