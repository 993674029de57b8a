//! `tributary sources`: each source's health, read from the store, or asked of the running
//! daemon when it holds the store.

use std::io::Write;
use std::process::ExitCode;

use super::SourcesArgs;
use crate::config::Config;

pub(super) fn sources(config: Config, args: &SourcesArgs) -> anyhow::Result<ExitCode> {
    let listen = args.listen.unwrap_or(config.server.listen);
    let health = if let Err(missing) = crate::app::ensure_store_exists(&config) {
        // Not there (a mistyped --data-dir): a daemon may still answer; else say so.
        from_daemon(listen, &config, &missing.to_string())?
    } else {
        match crate::store::Store::open(&config.store) {
            Ok(store) => crate::app::source_health(&store, &config)?,
            // The daemon holds the store (sled is single-process), or the store is not ours
            // to read (systemd's private state directory): ask the daemon instead.
            Err(e) => from_daemon(listen, &config, &e.to_string())?,
        }
    };
    let mut out = std::io::stdout().lock();
    if !args.json {
        writeln!(
            out,
            "{:<24} {:<12} {:<14} {:>6}  {:<23}  notes",
            "SOURCE", "KIND", "HEALTH", "ITEMS", "LAST SUCCESS"
        )?;
    }
    for s in health {
        if args.json {
            writeln!(out, "{}", serde_json::to_string(&s)?)?;
        } else {
            writeln!(
                out,
                "{:<24} {:<12} {:<14} {:>6}  {:<23}  {}",
                s.id,
                s.kind,
                s.health,
                s.items,
                s.state
                    .last_success
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                    .unwrap_or_else(|| "never".into()),
                s.notes()
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Source health from the running daemon's `/sources.json`: a daemon that serves none of
/// `config`'s sources is another config's (the demo's on the default address), not this
/// store's.
fn from_daemon(
    listen: std::net::SocketAddr,
    config: &Config,
    why: &str,
) -> anyhow::Result<Vec<crate::app::SourceHealth>> {
    // The daemon itself, not the public URL a proxy may publish.
    let mut addr = listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let url = format!("http://{addr}/sources.json");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let response = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()?
            .get(&url)
            .send()
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "{why}; asking the daemon at {url} instead failed: {e} (a daemon listening elsewhere is asked with --listen ADDR or TRIBUTARY_LISTEN)"
                )
            })?;
        let bytes = response.error_for_status()?.bytes().await?;
        let health: Vec<crate::app::SourceHealth> = serde_json::from_slice(&bytes)?;
        if !config.sources.is_empty()
            && !health
                .iter()
                .any(|h| config.sources.iter().any(|s| s.id == h.id))
        {
            anyhow::bail!(
                "{why}; the daemon at {url} serves none of this config's sources: another config's daemon (a daemon listening elsewhere is asked with --listen ADDR or TRIBUTARY_LISTEN)"
            );
        }
        // Said, so that a mistyped --data-dir is not taken for this store's health.
        eprintln!("(from the running daemon at {url})");
        Ok(health)
    })
}
