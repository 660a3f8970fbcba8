//! Work is bounded by the entries read, not by the header's length.
//!
//! Count mode reads positions 0 to N from the right and nothing left of them, so a 16 KiB
//! X-Forwarded-For (the most one ALB header may hold) costs what a 50-byte one costs. Each group
//! holds the same right end (`N + 1` valid entries) behind a left part of growing length: a
//! 50-byte chain, 1 KiB, 16 KiB, and 16 KiB of one-character entries (the most positions a
//! header can carry). The times should be equal; if they grow with the length, the resolver has
//! started reading entries it does not need.
//!
//! `cargo bench --bench long_header`; `cargo bench --bench long_header -- --test` runs each once.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use lambda_client_ip::{ProxyCount, TrustPolicy, resolve};

/// The entries the resolver must read for a count of 2: the client, then two proxies.
const RIGHT: &str = "203.0.113.195, 70.41.3.18, 150.172.238.178";

/// `RIGHT` behind a left part of forged entries, padded to exactly `len` bytes.
fn chain_of(len: usize, filler: &str, sep: &str) -> String {
    let mut left = String::new();
    while left.len() + RIGHT.len() + filler.len() + sep.len() <= len {
        left.push_str(filler);
        left.push_str(sep);
    }
    let pad = len - left.len() - RIGHT.len();
    // Top up with spaces inside the leftmost piece so every input has its exact size.
    format!("{left}{}{RIGHT}", " ".repeat(pad))
}

fn inputs() -> Vec<(&'static str, String)> {
    vec![
        ("50 B", chain_of(50, "1.1.1.1", ", ")),
        ("1 KiB", chain_of(1024, "198.51.100.7", ", ")),
        ("16 KiB", chain_of(16 * 1024, "198.51.100.7", ", ")),
        ("16 KiB of 1-byte entries", chain_of(16 * 1024, "x", ",")),
    ]
}

fn count_mode(c: &mut Criterion) {
    let mut group = c.benchmark_group("long_header/count_2");
    group.measurement_time(Duration::from_secs(3));
    let policy = TrustPolicy::Count(ProxyCount::new(2).unwrap_or_default());
    for (name, chain) in inputs() {
        assert!(chain.len() == 50 || chain.len() % 1024 == 0, "{name}");
        group.throughput(Throughput::Bytes(chain.len() as u64));
        let lines = [chain.as_str()];
        // Every input has the same answer, or the comparison would mean nothing.
        let answer = resolve(lines, None, &policy).map(|c| c.to_string());
        assert_eq!(answer.as_deref(), Ok("203.0.113.195"), "{name}");
        group.bench_with_input(BenchmarkId::from_parameter(name), &lines, |b, lines| {
            b.iter(|| resolve(black_box(lines), None, black_box(&policy)))
        });
    }
    group.finish();
}

criterion_group!(benches, count_mode);
criterion_main!(benches);
