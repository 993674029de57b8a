//! When things run: poll intervals and cron expressions, read as the scheduler reads them,
//! for sources (`interval`, `cron`), `[fetch] interval` and digests.

use std::time::Duration;

use toml::Spanned;

use super::validate::Validator;

/// A cron expression in the six-field form the scheduler reads (seconds first): the common
/// five-field form gets a leading `0`. Checked with the scheduler's own parser settings, and
/// it must fire at some time to come (`0 0 30 2 *` never does).
pub fn normalize_cron(expr: &str) -> Result<String, String> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    let six = match fields.len() {
        // `@daily`, `@hourly`…, which the scheduler reads as they are.
        1 if fields[0].starts_with('@') => fields[0].to_string(),
        5 => format!("0 {}", fields.join(" ")),
        6 => fields.join(" "),
        n => {
            return Err(format!(
                "it has {n} fields; write 5 (minute hour day-of-month month day-of-week) or 6 (seconds first)"
            ))
        }
    };
    let cron = parse_cron(&six)?;
    if cron
        .find_next_occurrence(&chrono::Utc::now(), false)
        .is_err()
    {
        return Err("it never fires (no such date)".into());
    }
    Ok(six)
}

/// A six-field cron expression (or nickname) read with the scheduler's settings: seconds
/// first, and both day fields must match.
pub(crate) fn parse_cron(six: &str) -> Result<croner::Cron, String> {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(six)
        .map_err(|e| e.to_string())
}

/// The shortest time between two polls of a source.
pub(super) const MIN_POLL: Duration = Duration::from_secs(10);

/// The shortest time between two of the next 200 firings of a six-field cron expression.
pub(super) fn cron_min_gap(six: &str) -> Option<Duration> {
    let cron = parse_cron(six).ok()?;
    let mut at = cron.find_next_occurrence(&chrono::Utc::now(), false).ok()?;
    let mut min: Option<Duration> = None;
    for _ in 0..200 {
        let Ok(next) = cron.find_next_occurrence(&at, false) else {
            break;
        };
        let gap = (next - at).to_std().ok()?;
        min = Some(min.map_or(gap, |m| m.min(gap)));
        at = next;
    }
    min
}

impl Validator<'_> {
    pub(super) fn interval(&mut self, v: &Option<Spanned<String>>, key: &str) -> Option<Duration> {
        let d = self.duration(v, key)?;
        if d < MIN_POLL {
            let start = v.as_ref().map(|s| s.span().start).unwrap_or(0);
            self.push(start, key, "poll interval must be at least 10s");
            return None;
        }
        Some(d)
    }

    pub(super) fn cron(&mut self, v: &Spanned<String>, key: &str) -> Option<String> {
        match normalize_cron(v.get_ref()) {
            Ok(expr) => Some(expr),
            Err(e) => {
                self.push(
                    v.span().start,
                    key,
                    format!("invalid cron expression {:?}: {e} (write e.g. \"0 */2 * * *\" or with seconds \"0 0 7 * * Mon\")", v.get_ref().trim()),
                );
                None
            }
        }
    }
}
