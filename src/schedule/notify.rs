//! The systemd service notification protocol (`sd_notify`): `READY=1` once the daemon
//! listens and serves, `RELOADING=1` … `READY=1` around a SIGHUP reload, `STOPPING=1` on
//! shutdown, `STATUS=` lines for `systemctl status`, and `WATCHDOG=1` pings when the unit sets
//! `WatchdogSec=`.
//!
//! Every function is a no-op when `NOTIFY_SOCKET` is unset (not started by systemd, or
//! `Type=` other than `notify`). A failed send is logged, never raised: the service manager's
//! bookkeeping must not stop the daemon.

use std::time::Duration;

use sd_notify::NotifyState;

/// Start-up finished: the listener is bound and the server, the scheduler and the signal
/// handlers run. `status` is shown by `systemctl status`.
pub fn ready(status: &str) {
    send(&[NotifyState::Ready, NotifyState::Status(status)]);
}

/// A SIGHUP reload starts. `MONOTONIC_USEC` lets systemd ≥ 253 (`Type=notify-reload`) match
/// the message to the reload it asked for; older versions ignore it.
pub fn reloading() {
    let mut states = vec![
        NotifyState::Reloading,
        NotifyState::Status("reloading the config"),
    ];
    match NotifyState::monotonic_usec_now() {
        Ok(now) => states.push(now),
        Err(e) => tracing::debug!(error = %e, "cannot read the monotonic clock for MONOTONIC_USEC"),
    }
    send(&states);
}

/// Shutdown started.
pub fn stopping() {
    send(&[
        NotifyState::Stopping,
        NotifyState::Status("stopping: waiting for running fetches"),
    ]);
}

/// A new status line, e.g. after a fetch cycle.
pub fn status(status: &str) {
    send(&[NotifyState::Status(status)]);
}

/// One watchdog ping.
pub fn watchdog() {
    send(&[NotifyState::Watchdog]);
}

/// How often to ping the watchdog: half the unit's `WatchdogSec=` (what `sd_watchdog_enabled`
/// reports for this process), or `None` when no watchdog is set.
pub fn watchdog_interval() -> Option<Duration> {
    sd_notify::watchdog_enabled()
        .filter(|d| !d.is_zero())
        .map(|d| d / 2)
}

fn send(states: &[NotifyState<'_>]) {
    if let Err(e) = sd_notify::notify(states) {
        tracing::warn!(error = %e, "cannot notify the service manager (NOTIFY_SOCKET)");
    }
}

/// The `STATUS=` line: what the daemon serves, and how many sources fail.
pub fn status_line(sources: usize, failing: usize, stories: usize) -> String {
    let mut line = format!(
        "serving {sources} source{}, {stories} stor{}",
        if sources == 1 { "" } else { "s" },
        if stories == 1 { "y" } else { "ies" }
    );
    if failing > 0 {
        line.push_str(&format!("; {failing} failing"));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_line_counts_and_failures() {
        assert_eq!(status_line(1, 0, 1), "serving 1 source, 1 story");
        assert_eq!(
            status_line(9, 2, 1234),
            "serving 9 sources, 1234 stories; 2 failing"
        );
    }
}
