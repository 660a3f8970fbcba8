//! The resolver against the `client-ip` crate in a plain loop, for whole-process timing and
//! instruction counts, which stay readable on a shared machine where criterion's intervals do not:
//!
//! ```sh
//! cargo build --release -p lambda-client-ip --example resolver_loop
//! time target/release/examples/resolver_loop headers 20000000     # or any variant below
//! valgrind --tool=callgrind target/release/examples/resolver_loop headers 100000
//! bash scripts/bench_resolver.sh     # every variant: instructions and allocations per call
//! ```
//!
//! `headers`, `ranges`, `socket` and `client-ip` read the README's worked example from the same
//! `HeaderMap`: `headers` and `client-ip` answer position 0 (the entry the front door appended),
//! `ranges` walks past two trusted proxies to the client at position 2, and `socket` answers the
//! socket's peer under count 0. The other variants take the other sources' paths, each on a
//! request it answers:
//!
//! - `cdn-header`: `CloudFront-Viewer-Address`, bound to CloudFront and delivered by a CloudFront
//!   origin-facing address;
//! - `forwarded`: RFC 7239 `Forwarded` at count 0, delivered by the VPC link (10.0.1.0/24).
//!
//! Every call must answer; the process panics otherwise.

use std::error::Error;
use std::hint::black_box;
use std::net::IpAddr;

use http::{HeaderMap, HeaderValue};
use lambda_client_ip::{Peer, ProxyCount, Source, TrustedRanges, VpcLink};

const USAGE: &str =
    "usage: resolver_loop headers|ranges|socket|cdn-header|forwarded|client-ip TIMES";

/// A header map of `pairs`, name and value.
fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for &(name, value) in pairs {
        map.insert(name, HeaderValue::from_static(value));
    }
    map
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(variant), Some(Ok(times))) = (args.next(), args.next().map(|n| n.parse::<u64>()))
    else {
        eprintln!("{USAGE}");
        std::process::exit(2);
    };
    let chain = "203.0.113.195, 70.41.3.18, 150.172.238.178";
    let map = headers(&[("x-forwarded-for", chain)]);
    let count_zero = Source::default();
    let proxies: TrustedRanges = "70.41.3.18, 150.172.238.178".parse()?;
    let ranges = Source::x_forwarded_for(proxies);
    let socket_peer = IpAddr::from([192, 0, 2, 1]);
    let socket = Peer::Socket(socket_peer);

    let viewer = Source::header("cloudfront-viewer-address", "cloudfront".parse()?)?;
    let viewer_map = headers(&[
        ("x-forwarded-for", "203.0.113.195,130.176.0.12"),
        ("cloudfront-viewer-address", "203.0.113.195:46532"),
    ]);

    let link_count = ProxyCount::new(0).ok_or("a count of 0 is refused")?;
    let forwarded = Source::forwarded(link_count, VpcLink::Subnets("10.0.1.0/24".parse()?))?;
    let element = "by=10.0.1.5;for=203.0.113.195;host=api.example.com;proto=https";
    let forwarded_map = headers(&[("x-forwarded-for", "10.0.1.17"), ("forwarded", element)]);

    // Each resolver variant's answer, checked once: the same in both runs a difference compares.
    let client = IpAddr::from([203, 0, 113, 195]);
    let last_proxy = IpAddr::from([150, 172, 238, 178]);
    for (source, map, peer, expected) in [
        (&count_zero, &map, Peer::Appended, last_proxy),
        (&ranges, &map, Peer::Appended, client),
        (&count_zero, &map, socket, socket_peer),
        (&viewer, &viewer_map, Peer::Appended, client),
        (&forwarded, &forwarded_map, Peer::Appended, client),
    ] {
        assert_eq!(source.resolve(map, peer)?.ip(), expected, "{source}");
    }

    // The variant is chosen once, outside the loop, so no variant pays for the choice per call.
    let answered = match variant.as_str() {
        "headers" => run(times, || {
            count_zero.resolve(black_box(&map), Peer::Appended)
        }),
        "ranges" => run(times, || ranges.resolve(black_box(&map), Peer::Appended)),
        "client-ip" => run(times, || {
            client_ip::rightmost_x_forwarded_for(black_box(&map))
        }),
        "socket" => run(times, || count_zero.resolve(black_box(&map), socket)),
        "cdn-header" => run(times, || {
            viewer.resolve(black_box(&viewer_map), Peer::Appended)
        }),
        "forwarded" => run(times, || {
            forwarded.resolve(black_box(&forwarded_map), Peer::Appended)
        }),
        other => {
            eprintln!("resolver_loop: unknown variant {other:?}\n{USAGE}");
            std::process::exit(2);
        }
    };
    assert_eq!(answered, times, "every call answers");
    Ok(())
}

/// Calls `call` `times` times and counts the calls that answered.
fn run<T, E>(times: u64, call: impl Fn() -> Result<T, E>) -> u64 {
    (0..times).map(|_| u64::from(call().is_ok())).sum()
}
