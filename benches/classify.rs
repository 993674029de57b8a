//! Classification throughput: the shipped rules over 10,000 items (the labeled set cycled).
//! Run: cargo bench --bench classify

// The allocator the binary uses, so the stages cost here what they cost in the daemon.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde::Deserialize;
use tributary::classify::{Classifier, Input, RulesFile};

#[derive(Deserialize)]
struct Labeled {
    title: String,
    summary: String,
    #[serde(default)]
    categories: Vec<String>,
}

fn items() -> Vec<Labeled> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/classify/labeled.jsonl"
    );
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn bench(c: &mut Criterion) {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/topics.toml"))
        .unwrap();
    let classifier = Classifier::new(&RulesFile::from_toml(&text).unwrap().topics).unwrap();
    let base = items();
    let batch: Vec<&Labeled> = base.iter().cycle().take(10_000).collect();
    let mut group = c.benchmark_group("classify");
    group.throughput(Throughput::Elements(batch.len() as u64));
    group.sample_size(20);
    group.bench_function("10k items", |b| {
        b.iter(|| {
            let mut assigned = 0usize;
            for item in &batch {
                let input = Input {
                    title: &item.title,
                    summary: &item.summary,
                    categories: &item.categories,
                };
                assigned += classifier.classify(&input).len();
            }
            assigned
        })
    });
    group.bench_function("compile rules", |b| {
        let rules = RulesFile::from_toml(&text).unwrap().topics;
        b.iter(|| Classifier::new(&rules).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
