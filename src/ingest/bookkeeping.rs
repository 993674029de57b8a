//! What a fetch records on its source's state: a success, or a failure with the backoff
//! before the next attempt and its error message kept short and on one line.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::fetch::MAX_RETRY_AFTER;
use crate::model::SourceState;

/// An error message as it is kept, shown and logged: a feed's own text can be in it (an
/// unsupported version or content type, a server's reason), so control characters (a line
/// break that would forge a log line) become spaces and it is cut at `MAX_ERROR` characters.
pub fn bounded(message: &str) -> String {
    let mut out: String = message
        .chars()
        .take(MAX_ERROR)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if message.chars().nth(MAX_ERROR).is_some() {
        out.push('…');
    }
    out
}

/// Records a failure (at `now`, in the turn `begun`) and schedules the next attempt
/// `base × 2^(failures−1)` (capped) after `begun` but no sooner than half of it after `now`,
/// and no sooner than the server's `Retry-After` after `now`.
pub fn mark_failure(
    state: &mut SourceState,
    (now, begun): (DateTime<Utc>, DateTime<Utc>),
    message: String,
    retry_after: Option<Duration>,
    (base, max): (Duration, Duration),
) {
    state.consecutive_errors = state.consecutive_errors.saturating_add(1);
    state.failing_since.get_or_insert(now);
    let message = bounded(&message);
    state.last_outcome = Some("error".into());
    state.last_error = Some(message);
    let exp = state.consecutive_errors.saturating_sub(1).min(30);
    let backoff = base.saturating_mul(1u32 << exp).min(max);
    let after = |from: DateTime<Utc>, wait: Duration| {
        chrono::Duration::from_std(wait)
            .ok()
            .and_then(|d| from.checked_add_signed(d))
    };
    // The backoff from the source's turn, not from when its download or parse ended: a wait
    // as long as the schedule's interval ends by the next turn (a whole interval later
    // otherwise). At least half of it from now, though: a turn that queued long behind its
    // host's other sources is not retried at once.
    let own = after(begun.min(now), backoff).max(after(now, backoff / 2));
    // A server's wait from its answer: it may ask for any; a week is the most we honour.
    let asked = retry_after.and_then(|r| after(now, r.min(MAX_RETRY_AFTER)));
    state.retry_at = own.max(asked);
}

/// A turn that got its document: the outcome recorded (`ok`, `not-modified`, `unchanged`), errors
/// and backoff cleared.
pub(super) fn mark_success(state: &mut SourceState, now: DateTime<Utc>, outcome: &str) {
    state.last_success = Some(now);
    state.last_outcome = Some(outcome.to_string());
    state.consecutive_errors = 0;
    state.last_error = None;
    state.retry_at = None;
    state.failing_since = None;
}

/// Longest error message kept for a source, in characters.
const MAX_ERROR: usize = 500;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_honours_retry_after() {
        let now = Utc::now();
        let limits = (Duration::from_secs(60), Duration::from_secs(600));
        let mut s = SourceState::default();
        let mut waits = Vec::new();
        for i in 0..6 {
            let at = now + chrono::TimeDelta::hours(i);
            mark_failure(&mut s, (at, at), "x".into(), None, limits);
            waits.push((s.retry_at.unwrap() - now - chrono::TimeDelta::hours(i)).num_seconds());
        }
        assert_eq!(waits, vec![60, 120, 240, 480, 600, 600]);
        assert_eq!(s.consecutive_errors, 6);
        // The run of failures is dated from its first.
        assert_eq!(s.failing_since, Some(now));
        mark_failure(
            &mut s,
            (now, now),
            "429".into(),
            Some(Duration::from_secs(3600)),
            limits,
        );
        assert_eq!((s.retry_at.unwrap() - now).num_seconds(), 3600);
        mark_success(&mut s, now, "ok");
        assert!(s.healthy() && s.retry_at.is_none() && s.last_error.is_none());
        // A feed's own text in an error (a version of megabytes, a line break that would forge
        // a log line) is kept short and on one line.
        let forged = format!("unsupported version: {}\nINFO fake line", "9".repeat(5000));
        mark_failure(&mut s, (now, now), forged, None, limits);
        let kept = s.last_error.clone().unwrap();
        assert!(!kept.contains('\n'), "{kept}");
        assert_eq!(kept.chars().count(), 501, "{kept}");
        mark_success(&mut s, now, "ok");
        assert_eq!(s.failing_since, None);
        let later = now + chrono::TimeDelta::days(2);
        mark_failure(&mut s, (later, later), "x".into(), None, limits);
        assert_eq!(s.failing_since, Some(later));
    }

    /// The wait is counted from the source's turn, not from the end of a slow download: a
    /// wait as long as the schedule's interval is over by the next turn.
    #[test]
    fn backoff_counts_from_the_turn() {
        let limits = (Duration::from_secs(600), Duration::from_secs(3600));
        let begun = Utc::now() - chrono::TimeDelta::seconds(600);
        let mut s = SourceState::default();
        // The download took 20 seconds to fail.
        let failed = begun + chrono::TimeDelta::seconds(20);
        mark_failure(&mut s, (failed, begun), "timeout".into(), None, limits);
        assert_eq!(s.retry_at, Some(begun + chrono::TimeDelta::seconds(600)));
        assert_eq!(s.failing_since, Some(failed));
        // A turn that queued behind its host's others for most of the wait: half of the
        // wait from the failure at least.
        let mut s = SourceState::default();
        let late = begun + chrono::TimeDelta::seconds(550);
        mark_failure(&mut s, (late, begun), "timeout".into(), None, limits);
        assert_eq!(s.retry_at, Some(late + chrono::TimeDelta::seconds(300)));
        // A server's wait counts from its answer, whatever the queue before.
        let mut s = SourceState::default();
        let answered = begun + chrono::TimeDelta::seconds(6);
        mark_failure(
            &mut s,
            (answered, begun),
            "503".into(),
            Some(Duration::from_secs(4000)),
            limits,
        );
        assert_eq!(
            s.retry_at,
            Some(answered + chrono::TimeDelta::seconds(4000))
        );
    }
}
