//! The resolver alone, and its peers on the same inputs in the same run.
//!
//! - `count/*`: count mode on the worked example's 3-entry chain and a 30-entry chain, IPv4 and
//!   IPv6, next to the `client-ip` crate's `rightmost_x_forwarded_for` at count 0 (the work it
//!   supports: position 0 only) on the same `HeaderMap`, and a naive "first entry" split, which
//!   is NOT equivalent: it does less and returns an address the client wrote.
//! - `ranges/*`: range mode with 1, 20, 200 and 5,000 trusted ranges, walking 3 entries (two
//!   trusted, then the client). Throughput is in entries walked, so criterion's "elem/s" gives
//!   the cost per entry.
//! - `long_header/count_2`: work is bounded by the entries read, not by the header's length.
//!   Count mode reads positions 0 to N from the right and nothing left of them, so a 16 KiB
//!   X-Forwarded-For (the most one ALB header may hold) costs what a 50-byte one costs. Each
//!   input holds the same right end behind a left part of growing length; throughput is in
//!   bytes, so the times should stay equal while the bytes per second grow with the length.
//!
//! `cargo bench -p lambda-client-ip --bench resolver`; add `-- --test` to run each once.

// A bench checks its inputs before timing them: a failed check is the report.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use http::{HeaderMap, HeaderValue};
use lambda_client_ip::{Peer, ProxyCount, Source, TrustedRanges};

/// The worked example of the README.
const WORKED_V4: &str = "203.0.113.195, 70.41.3.18, 150.172.238.178";
/// The same shape in IPv6, with the upper-case form a front door may append.
const WORKED_V6: &str =
    "2001:db8:85a3::8a2e:370:7334, 2001:db8:cafe::17, 2001:DB8::21F:5BFF:FEBF:CE22:8A2E";

/// A 30-entry chain (the most an ALB forwards): documentation addresses, distinct entries.
fn chain_30_v4() -> String {
    (0..30)
        .map(|i| format!("198.51.{}.{}", 100 + i / 10, 10 + i))
        .collect::<Vec<_>>()
        .join(", ")
}

fn chain_30_v6() -> String {
    (0..30)
        .map(|i| format!("2001:db8:{:x}::{:x}", 0x100 + i, 0xa0 + i))
        .collect::<Vec<_>>()
        .join(", ")
}

fn count(n: u8) -> Source {
    Source::x_forwarded_for(ProxyCount::new(n).unwrap_or_default())
}

fn header_map(chain: &str) -> HeaderMap {
    let mut map = HeaderMap::new();
    map.insert(
        "x-forwarded-for",
        HeaderValue::from_str(chain).expect("valid header value"),
    );
    map
}

/// The "take the first entry" recipe. NOT equivalent: it reads what the client wrote.
fn naive_first_entry(chain: &str) -> Option<IpAddr> {
    chain.split(',').next()?.trim().parse().ok()
}

fn count_mode(c: &mut Criterion) {
    let v4_30 = chain_30_v4();
    let v6_30 = chain_30_v6();
    let inputs: [(&str, &str); 4] = [
        ("3-entry-v4", WORKED_V4),
        ("3-entry-v6", WORKED_V6),
        ("30-entry-v4", &v4_30),
        ("30-entry-v6", &v6_30),
    ];
    let mut group = c.benchmark_group("count");
    for (name, chain) in inputs {
        let map = header_map(chain);
        let entries = chain.split(',').count();
        let positions: &[u8] = if entries == 3 { &[0, 2] } else { &[0, 2, 29] };
        for &n in positions {
            let source = count(n);
            assert!(
                source.resolve(&map, Peer::Appended).is_ok(),
                "{name} count {n}"
            );
            group.bench_with_input(
                BenchmarkId::new(format!("lambda-client-ip count {n}"), name),
                &map,
                |b, map| b.iter(|| source.resolve(black_box(map), Peer::Appended)),
            );
        }
        // The same answer, or the comparison would mean nothing.
        let ours = count(0).resolve(&map, Peer::Appended).map(|c| c.ip()).ok();
        let theirs = client_ip::rightmost_x_forwarded_for(&map).ok();
        assert_eq!(ours, theirs, "{name}");
        group.bench_with_input(
            BenchmarkId::new("client-ip rightmost_x_forwarded_for", name),
            &map,
            |b, map| b.iter(|| client_ip::rightmost_x_forwarded_for(black_box(map))),
        );
        assert!(naive_first_entry(chain).is_some(), "{name}");
        group.bench_with_input(
            BenchmarkId::new("naive first entry (not equivalent)", name),
            chain,
            |b, chain| b.iter(|| naive_first_entry(black_box(chain))),
        );
    }
    group.finish();
}

/// The network address of the `i`-th of the disjoint, non-adjacent /24 ranges starting at
/// 100.64.0.0 (so merging keeps them all).
fn trusted_net(i: u32) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(Ipv4Addr::new(100, 64, 0, 0)) + i * 512)
}

fn range_mode(c: &mut Criterion) {
    let mut group = c.benchmark_group("ranges");
    for n in [1u32, 20, 200, 5000] {
        let list: Vec<String> = (0..n).map(|i| format!("{}/24", trusted_net(i))).collect();
        let ranges: TrustedRanges = list.join(",").parse().expect("valid ranges");
        assert_eq!(ranges.len(), n as usize);
        // Two trusted proxies (the first and the last range), then the client.
        let chain = format!(
            "203.0.113.195, {}, {}",
            Ipv4Addr::from(u32::from(trusted_net(0)) + 7),
            Ipv4Addr::from(u32::from(trusted_net(n - 1)) + 9)
        );
        let map = header_map(&chain);
        let source = Source::x_forwarded_for(ranges);
        let got = source.resolve(&map, Peer::Appended).expect("client found");
        assert_eq!(
            (got.to_string(), got.position()),
            ("203.0.113.195".into(), 2)
        );
        group.throughput(Throughput::Elements(3));
        group.bench_with_input(
            BenchmarkId::new("lambda-client-ip walk 3 entries", n),
            &map,
            |b, map| b.iter(|| source.resolve(black_box(map), Peer::Appended)),
        );
    }
    group.finish();
}

/// The entries the resolver must read for a count of 2: the client, then two proxies.
const RIGHT: &str = WORKED_V4;

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

fn long_header(c: &mut Criterion) {
    let inputs = [
        ("50 B", chain_of(50, "1.1.1.1", ", ")),
        ("1 KiB", chain_of(1024, "198.51.100.7", ", ")),
        ("16 KiB", chain_of(16 * 1024, "198.51.100.7", ", ")),
        ("16 KiB of 1-byte entries", chain_of(16 * 1024, "x", ",")),
    ];
    let mut group = c.benchmark_group("long_header/count_2");
    group.measurement_time(Duration::from_secs(3));
    let source = count(2);
    for (name, chain) in inputs {
        assert!(chain.len() == 50 || chain.len() % 1024 == 0, "{name}");
        group.throughput(Throughput::Bytes(chain.len() as u64));
        let map = header_map(&chain);
        // Every input has the same answer, or the comparison would mean nothing.
        let answer = source.resolve(&map, Peer::Appended).map(|c| c.to_string());
        assert_eq!(answer.as_deref(), Ok("203.0.113.195"), "{name}");
        group.bench_with_input(BenchmarkId::from_parameter(name), &map, |b, map| {
            b.iter(|| source.resolve(black_box(map), Peer::Appended))
        });
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(700))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = count_mode, range_mode, long_header
}
criterion_main!(benches);
