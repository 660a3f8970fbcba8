//! `Source::resolve` allocates nothing on a request it answers, on every path: X-Forwarded-For by
//! a count and by ranges under each kind of peer, a CDN's header bound to that CDN, your own
//! proxy's header, and `Forwarded` behind its VPC link (IPv4, and bracketed IPv6 with a port).
//!
//! The global allocator is `std::alloc::System` wrapped by `stats_alloc`, which counts every
//! allocation and reallocation in process-wide counters (the workspace forbids `unsafe`, so the
//! wrapper cannot live here). The counters see every thread, so this binary has no test harness
//! (whose thread allocates beside a test): its `main` runs the cases in sequence, alone. Each case
//! builds its source and header map first, resolves once to check the answer (and warm up), then
//! counts the allocations of `CALLS` more calls. Every case that allocates is named in the one failure.

// A test crate: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::alloc::System;
use std::hint::black_box;
use std::net::{IpAddr, SocketAddr};

use http::{HeaderMap, HeaderName, HeaderValue};
use lambda_client_ip::{ClientIp, Peer, ProxyCount, Source, TrustedRanges, VpcLink};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static ALLOCATOR: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Calls counted per case, after the one that checks the answer.
const CALLS: usize = 100;

/// The README's worked example: the client, then two proxies of yours.
const CHAIN: &str = "203.0.113.195, 70.41.3.18, 150.172.238.178";
const PROXIES: &str = "70.41.3.18, 150.172.238.178";
/// A CloudFront origin-facing address (130.176.0.0/18) and a Cloudflare edge (104.16.0.0/13).
const CLOUDFRONT_EDGE: &str = "130.176.0.12";
const CLOUDFLARE_EDGE: &str = "104.16.0.1";
/// The VPC link's subnet and an address in it, as the ALB appends it.
const LINK_SUBNET: &str = "10.0.1.0/24";
const LINK: (&str, &str) = ("x-forwarded-for", "10.0.1.17");

/// One request: the source, its headers and peer, and the answer `ip` or `ip:port`.
struct Case {
    name: &'static str,
    source: Source,
    headers: HeaderMap,
    peer: Peer,
    answer: &'static str,
}

fn case(
    name: &'static str,
    source: Source,
    headers: &[(&str, &str)],
    peer: Peer,
    answer: &'static str,
) -> Case {
    let mut map = HeaderMap::new();
    for (header, value) in headers {
        let header = HeaderName::from_bytes(header.as_bytes()).unwrap();
        map.append(header, HeaderValue::from_str(value).unwrap());
    }
    Case {
        name,
        source,
        headers: map,
        peer,
        answer,
    }
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn ranges(list: &str) -> TrustedRanges {
    list.parse().unwrap()
}

fn count(n: u8) -> Source {
    Source::x_forwarded_for(ProxyCount::new(n).unwrap())
}

fn link() -> VpcLink {
    VpcLink::Subnets(ranges(LINK_SUBNET))
}

/// `ip`, or `ip:port` when the entry recorded a port.
fn shown(client: ClientIp) -> String {
    match client.port() {
        Some(port) => SocketAddr::new(client.ip(), port).to_string(),
        None => client.ip().to_string(),
    }
}

fn x_forwarded_for_cases() -> Vec<Case> {
    let by_ranges = || Source::x_forwarded_for(ranges(PROXIES));
    let chain = &[("x-forwarded-for", CHAIN)][..];
    let reported = Peer::AppendedAndReported(ip("198.51.100.7"));
    let socket = Peer::Socket(ip("192.0.2.1"));
    // A socket server behind an ALB in 10.0.0.0/8: the ALB is the socket's peer.
    let alb = Peer::Socket(ip("10.0.0.7"));
    let behind_alb = Source::x_forwarded_for(ranges(&format!("10.0.0.0/8, {PROXIES}")));
    let appended = Peer::Appended;
    vec![
        case(
            "XFF count 0, appended",
            count(0),
            chain,
            appended,
            "150.172.238.178",
        ),
        case(
            "XFF count 2, appended",
            count(2),
            chain,
            appended,
            "203.0.113.195",
        ),
        case(
            "XFF ranges, appended",
            by_ranges(),
            chain,
            appended,
            "203.0.113.195",
        ),
        case(
            "XFF count 0, reported",
            count(0),
            chain,
            reported,
            "150.172.238.178",
        ),
        case(
            "XFF count 2, reported",
            count(2),
            chain,
            reported,
            "203.0.113.195",
        ),
        case(
            "XFF ranges, reported",
            by_ranges(),
            chain,
            reported,
            "203.0.113.195",
        ),
        case(
            "no XFF count 0, reported",
            count(0),
            &[],
            reported,
            "198.51.100.7",
        ),
        case(
            "no XFF ranges, reported",
            by_ranges(),
            &[],
            reported,
            "198.51.100.7",
        ),
        case("XFF count 0, socket", count(0), chain, socket, "192.0.2.1"),
        case("XFF count 2, socket", count(2), chain, socket, "70.41.3.18"),
        case(
            "XFF ranges, untrusted socket",
            by_ranges(),
            chain,
            socket,
            "192.0.2.1",
        ),
        case(
            "XFF ranges, trusted socket",
            behind_alb,
            chain,
            alb,
            "203.0.113.195",
        ),
    ]
}

fn header_cases() -> Vec<Case> {
    let viewer = Source::header("cloudfront-viewer-address", ranges("cloudfront")).unwrap();
    let connecting = Source::header("cf-connecting-ip", ranges("cloudflare")).unwrap();
    let real_ip = Source::header("x-real-ip", ranges("10.0.0.0/8")).unwrap();
    let via_cloudfront = format!("203.0.113.195,{CLOUDFRONT_EDGE}");
    let via_cloudflare = format!("203.0.113.9,{CLOUDFLARE_EDGE}");
    vec![
        case(
            "CloudFront-Viewer-Address from CloudFront",
            viewer,
            &[
                ("x-forwarded-for", &via_cloudfront),
                ("cloudfront-viewer-address", "203.0.113.195:46532"),
            ],
            Peer::Appended,
            "203.0.113.195:46532",
        ),
        case(
            "CF-Connecting-IP from Cloudflare",
            connecting,
            &[
                ("x-forwarded-for", &via_cloudflare),
                ("cf-connecting-ip", "203.0.113.9"),
            ],
            Peer::Appended,
            "203.0.113.9",
        ),
        case(
            "X-Real-IP from your proxy",
            real_ip,
            &[
                ("x-forwarded-for", "10.1.2.3"),
                ("x-real-ip", "203.0.113.7"),
            ],
            Peer::Appended,
            "203.0.113.7",
        ),
    ]
}

fn forwarded_cases() -> Vec<Case> {
    let by_count = || Source::forwarded(ProxyCount::new(0).unwrap(), link()).unwrap();
    let by_ranges = || Source::forwarded(ranges("cloudfront"), link()).unwrap();
    let gateway = "by=10.0.1.5;for=203.0.113.195;host=api.example.com;proto=https";
    let via_cloudfront = format!("for=203.0.113.195, for={CLOUDFRONT_EDGE};proto=https");
    let v6_via_cloudfront = format!(r#"for="[2001:db8::7]:4711", for={CLOUDFRONT_EDGE}"#);
    vec![
        case(
            "Forwarded count 0, IPv4",
            by_count(),
            &[LINK, ("forwarded", gateway)],
            Peer::Appended,
            "203.0.113.195",
        ),
        case(
            "Forwarded count 0, IPv6 with a port",
            by_count(),
            &[
                LINK,
                ("forwarded", r#"for="[2001:db8::7]:4711";proto=https"#),
            ],
            Peer::Appended,
            "[2001:db8::7]:4711",
        ),
        case(
            "Forwarded ranges past CloudFront, IPv4",
            by_ranges(),
            &[LINK, ("forwarded", &via_cloudfront)],
            Peer::Appended,
            "203.0.113.195",
        ),
        case(
            "Forwarded ranges past CloudFront, IPv6 with a port",
            by_ranges(),
            &[LINK, ("forwarded", &v6_via_cloudfront)],
            Peer::Appended,
            "[2001:db8::7]:4711",
        ),
    ]
}

/// Allocations and reallocations while `work` runs.
fn allocations_in(work: impl FnOnce()) -> usize {
    let before = ALLOCATOR.stats();
    work();
    let after = ALLOCATOR.stats();
    (after.allocations + after.reallocations) - (before.allocations + before.reallocations)
}

/// The one check, on the main thread of a binary without libtest's harness (`harness = false`):
/// the harness's own thread allocates while a test runs, which the process-wide counters would
/// blame on `resolve`.
fn main() {
    let cases: Vec<Case> = [x_forwarded_for_cases(), header_cases(), forwarded_cases()]
        .into_iter()
        .flatten()
        .collect();
    let mut allocating = Vec::new();
    for case in &cases {
        let answer = case.source.resolve(&case.headers, case.peer);
        let answer = answer.unwrap_or_else(|e| panic!("{}: refused: {e}", case.name));
        assert_eq!(shown(answer), case.answer, "{}", case.name);

        let allocations = allocations_in(|| {
            for _ in 0..CALLS {
                let _ = black_box(case.source.resolve(black_box(&case.headers), case.peer));
            }
        });
        if allocations != 0 {
            allocating.push(format!("{}: {allocations} allocations", case.name));
        }
    }
    assert!(
        allocating.is_empty(),
        "resolve allocated in {} of {} cases ({CALLS} calls each):\n  {}",
        allocating.len(),
        cases.len(),
        allocating.join("\n  ")
    );
    println!(
        "resolve allocated nothing in {} cases ({CALLS} calls each)",
        cases.len()
    );
}
