//! The resolver alone, and its peers on the same inputs in the same run.
//!
//! - `count/*`: count mode on the worked example's 3-entry chain and a 30-entry chain, IPv4 and
//!   IPv6, next to the `client-ip` crate's `rightmost_x_forwarded_for` (the work it supports:
//!   position 0 only) on the same `HeaderMap` our `resolve_headers` reads and a naive "first entry" split, which is NOT equivalent: it does less and
//!   returns an address the client wrote.
//! - `ranges/*`: range mode with 1, 20, 200 and 5,000 trusted ranges, walking 3 entries (two
//!   trusted, then the client). Throughput is in entries walked, so criterion's "elem/s" gives
//!   the cost per entry.
//!
//! `cargo bench --bench resolver`; `cargo bench --bench resolver -- --test` runs each once.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use aws_lambda_events::http::{HeaderMap, HeaderValue};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use lambda_client_ip::{ProxyCount, TrustPolicy, TrustedRanges, resolve, resolve_headers};

/// The worked example of the README.
const WORKED_V4: &str = "203.0.113.195, 70.41.3.18, 150.172.238.178";
/// The same shape in IPv6, with the upper-case form the ALB appends.
const WORKED_V6: &str =
    "2001:db8:85a3::8a2e:370:7334, 2001:db8:cafe::17, 2001:DB8::21F:5BFF:FEBF:CE22:8A2E";

/// A 30-entry chain (the most the ALB forwards): documentation addresses, distinct entries.
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

fn count(n: u8) -> TrustPolicy {
    TrustPolicy::Count(ProxyCount::new(n).expect("count within 0..=30"))
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
        let entries = chain.split(',').count();
        let one = [chain];
        let positions: &[u8] = if entries == 3 { &[0, 2] } else { &[0, 2, 29] };
        for &n in positions {
            let policy = count(n);
            assert!(resolve(one, None, &policy).is_ok(), "{name} count {n}");
            group.bench_with_input(
                BenchmarkId::new(format!("alb-client-ip count {n}"), name),
                &one,
                |b, one| b.iter(|| resolve(black_box(one), None, &policy)),
            );
        }
        let map = header_map(chain);
        let zero = count(0);
        assert!(resolve_headers(&map, None, &zero).is_ok(), "{name}");
        group.bench_with_input(
            BenchmarkId::new("alb-client-ip count 0 from a HeaderMap", name),
            &map,
            |b, map| b.iter(|| resolve_headers(black_box(map), None, &zero)),
        );
        assert!(client_ip::rightmost_x_forwarded_for(&map).is_ok(), "{name}");
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
        let one = [chain.as_str()];
        let policy = TrustPolicy::Ranges(ranges);
        let got = resolve(one, None, &policy).expect("client found");
        assert_eq!(
            (got.to_string(), got.position()),
            ("203.0.113.195".into(), 2)
        );
        group.throughput(Throughput::Elements(3));
        group.bench_with_input(
            BenchmarkId::new("alb-client-ip walk 3 entries", n),
            &one,
            |b, one| b.iter(|| resolve(black_box(one), None, &policy)),
        );
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
    targets = count_mode, range_mode
}
criterion_main!(benches);
