//! What a scrape reads: the registries written as OpenMetrics text ([`Metrics::encode`]), the
//! same text in Prometheus's classic format ([`classic`]), and the process metrics collected
//! at each scrape.

use super::Metrics;

impl Metrics {
    /// The exposition text.
    pub fn encode(&self) -> String {
        use prometheus_client::encoding::text::{encode_eof, encode_registry};
        let mut out = String::new();
        encode_registry(&mut out, &self.registry)
            .and_then(|()| encode_registry(&mut out, &self.process))
            .and_then(|()| encode_eof(&mut out))
            .expect("writing to a String cannot fail");
        out
    }
}

/// `open_metrics` (as [`Metrics::encode`] writes it) in Prometheus's classic text format
/// (0.0.4): a counter's `# HELP` and `# TYPE` name its samples (`tributary_fetches_total`, not
/// the family `tributary_fetches`), and there is no `# EOF` or `# UNIT`. Samples are written
/// alike in both.
pub fn classic(open_metrics: &str) -> String {
    let counters: std::collections::HashSet<&str> = open_metrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(open_metrics.len() + 16 * counters.len());
    for line in open_metrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let described = ["# HELP ", "# TYPE "]
            .into_iter()
            .find_map(|kind| Some((kind, line.strip_prefix(kind)?)));
        match described {
            Some((kind, rest)) => {
                let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
                out.push_str(kind);
                out.push_str(name);
                if counters.contains(name) {
                    out.push_str("_total");
                }
                if !tail.is_empty() {
                    out.push(' ');
                    out.push_str(tail);
                }
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// The process metrics every Prometheus client library exports (CPU time, resident and virtual
/// memory, open and maximum file descriptors, threads, start time), read from the system at
/// each scrape by `metrics-process`.
#[derive(Debug)]
pub(super) struct ProcessMetrics;

impl prometheus_client::collector::Collector for ProcessMetrics {
    fn encode(
        &self,
        mut encoder: prometheus_client::encoding::DescriptorEncoder,
    ) -> Result<(), std::fmt::Error> {
        use prometheus_client::encoding::EncodeMetric;
        use prometheus_client::metrics::counter::ConstCounter;
        use prometheus_client::metrics::gauge::ConstGauge;
        let m = metrics_process::collector::collect();
        if let Some(cpu) = m.cpu_seconds_total {
            let counter = ConstCounter::new(cpu);
            counter.encode(encoder.encode_descriptor(
                "process_cpu_seconds",
                "Total user and system CPU time spent in seconds",
                None,
                counter.metric_type(),
            )?)?;
        }
        let gauges = [
            (
                "process_open_fds",
                "Number of open file descriptors",
                m.open_fds,
            ),
            (
                "process_max_fds",
                "Maximum number of open file descriptors",
                m.max_fds,
            ),
            (
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes",
                m.virtual_memory_bytes,
            ),
            (
                "process_resident_memory_bytes",
                "Resident memory size in bytes",
                m.resident_memory_bytes,
            ),
            (
                "process_start_time_seconds",
                "Start time of the process since the Unix epoch in seconds",
                m.start_time_seconds,
            ),
            (
                "process_threads",
                "Number of OS threads in the process",
                m.threads,
            ),
        ];
        for (name, help, value) in gauges {
            let Some(value) = value else {
                continue;
            };
            let gauge = ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX));
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        Ok(())
    }
}
