//! The store alone, at the scale of a cold ingest: every feed of a generated corpus is parsed,
//! normalized and classified first (on every core), then applied to an empty store one feed
//! after another, as the ingest's single writer does. Prints the cost per story for each
//! quarter of the run (it grows with the store) and in all, wall and CPU.
//!
//!   cargo bench --bench store_scale -- [FEEDS] [CACHE_MIB]      (defaults: 2000, 64)
//!
//! Not a criterion benchmark: one run is tens of seconds, and what it shows is the growth.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod corpus;

use std::time::Instant;

use tributary::classify::Classifier;
use tributary::config::{DedupeConfig, StoreConfig};
use tributary::model::{Item, Source, SourceState};
use tributary::store::{Staged, Store};

/// CPU seconds this process has used (all threads, sled's included).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn stage(index: usize, feeds: usize, classifier: &Classifier) -> (Source, Vec<Staged>) {
    let feed = corpus::feed(1, index, feeds);
    let source = corpus::stage::source(index);
    let staged = corpus::stage::staged(&feed.bytes, &source, classifier);
    (source, staged)
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .map(|a| a.parse().expect("usage: store_scale [FEEDS] [CACHE_MIB]"))
        .collect();
    let feeds = args.first().copied().unwrap_or(2000);
    let cache_mib = args.get(1).copied().unwrap_or(64);

    let classifier = corpus::stage::classifier();
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let started = Instant::now();
    let mut all: Vec<(Source, Vec<Staged>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..cores)
            .map(|k| {
                let classifier = &classifier;
                scope.spawn(move || {
                    (k..feeds)
                        .step_by(cores)
                        .map(|i| stage(i, feeds, classifier))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("staging thread"))
            .collect()
    });
    all.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    let items: usize = all.iter().map(|(_, s)| s.len()).sum();
    println!(
        "generated and staged {feeds} feeds, {items} items, in {:.1} s on {cores} threads",
        started.elapsed().as_secs_f64()
    );

    let dir = tempfile::tempdir().expect("temporary directory");
    let store = Store::open(&StoreConfig {
        path: dir.path().join("store"),
        cache_capacity: (cache_mib as u64) << 20,
        max_age: None,
        max_items_per_source: None,
    })
    .expect("store opens");
    let dedupe = DedupeConfig::default();
    let topics_of = |_: &Item| Vec::new();
    let quarter = feeds.div_ceil(4).max(1);
    let (cpu0, wall0) = (cpu_seconds(), Instant::now());
    let (mut lap_cpu, mut lap_wall, mut lap_new, mut new) = (cpu0, Instant::now(), 0usize, 0usize);
    println!("store, {cache_mib} MiB cache, one feed at a time:");
    let count = all.len();
    for (i, (source, staged)) in all.into_iter().enumerate() {
        let report = store
            .apply_now(
                &source.id,
                staged,
                &SourceState::default(),
                &dedupe,
                &topics_of,
            )
            .expect("store applies");
        new += report.new;
        lap_new += report.new;
        if (i + 1) % quarter == 0 || i + 1 == count {
            let (cpu, wall) = (cpu_seconds(), lap_wall.elapsed().as_secs_f64());
            println!(
                "  feeds {:>5}: {:>6} stories, {:>4.0} µs/story wall, {:>4.0} µs/story CPU",
                i + 1,
                lap_new,
                wall * 1e6 / lap_new.max(1) as f64,
                (cpu - lap_cpu) * 1e6 / lap_new.max(1) as f64,
            );
            (lap_cpu, lap_wall, lap_new) = (cpu, Instant::now(), 0);
        }
    }
    let (wall, cpu) = (wall0.elapsed().as_secs_f64(), cpu_seconds() - cpu0);
    println!(
        "  all: {new} stories in {wall:.1} s = {:.0} stories/s; {:.0} µs/story wall, {:.0} µs/story CPU",
        new as f64 / wall,
        wall * 1e6 / new.max(1) as f64,
        cpu * 1e6 / new.max(1) as f64,
    );
}
