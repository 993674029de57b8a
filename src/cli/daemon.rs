//! `tributary run`: the daemon, and what it reads from the environment alone
//! (`TRIBUTARY_ADMIN_TOKEN`, `TRIBUTARY_LISTEN`), which `check` vets the same way.

use std::process::ExitCode;

use super::{Cli, RunArgs};
use crate::config::Config;

pub(super) fn run_daemon(
    cli: &Cli,
    mut config: Config,
    args: &RunArgs,
) -> anyhow::Result<ExitCode> {
    if let Some(listen) = args.listen {
        config.server = config.server.with_listen(listen);
    }
    // A token that cannot be used is a configuration error, like one in the file.
    let admin_token = match admin_token() {
        Ok(token) => token,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(2));
        }
    };
    let origin = crate::schedule::Origin {
        config_path: cli.config.clone(),
        data_dir: cli.data_dir.clone(),
        listen: args.listen,
        admin_token,
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let ran = runtime.block_on(crate::schedule::run(origin, config));
    // The store is flushed: whatever still runs (a feed being applied when a second signal
    // came, which the journal keeps whole or undoes) is not waited for beyond a moment.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    ran?;
    Ok(ExitCode::SUCCESS)
}

/// `TRIBUTARY_ADMIN_TOKEN` (only ever from the environment): enables the admin routes.
pub(super) fn admin_token() -> anyhow::Result<Option<crate::server::admin::AdminToken>> {
    match std::env::var("TRIBUTARY_ADMIN_TOKEN") {
        Ok(t) if t.trim().is_empty() => Ok(None),
        Ok(t) => Ok(Some(
            crate::server::admin::AdminToken::new(&t)
                .map_err(|e| anyhow::anyhow!("TRIBUTARY_ADMIN_TOKEN: {e}"))?,
        )),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            anyhow::bail!("TRIBUTARY_ADMIN_TOKEN is not valid UTF-8")
        }
    }
}

/// `TRIBUTARY_LISTEN` as `run` reads it, for `check`: the address, none when the variable is
/// unset, or why `run` would refuse it.
pub(super) fn listen_from_env() -> Result<Option<std::net::SocketAddr>, String> {
    let Some(value) = std::env::var_os("TRIBUTARY_LISTEN") else {
        return Ok(None);
    };
    let text = value.to_string_lossy();
    text.parse().map(Some).map_err(|e| {
        format!("TRIBUTARY_LISTEN: invalid value {text:?}: {e}; write an IP address and port, e.g. 127.0.0.1:8080 or [::]:8080")
    })
}
