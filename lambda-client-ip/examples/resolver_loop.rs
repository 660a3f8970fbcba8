//! The resolver against the `client-ip` crate in a plain loop, for whole-process timing and
//! instruction counts, which stay readable on a shared machine where criterion's intervals do not:
//!
//! ```sh
//! cargo build --release -p lambda-client-ip --example resolver_loop
//! time target/release/examples/resolver_loop headers 20000000     # or: ranges, client-ip
//! valgrind --tool=callgrind target/release/examples/resolver_loop headers 100000
//! ```
//!
//! Every variant reads the README's worked example from the same `HeaderMap`: `headers` and
//! `client-ip` answer position 0 (the entry the front door appended), `ranges` walks past two
//! trusted proxies to the client at position 2.

use std::hint::black_box;

use http::{HeaderMap, HeaderValue};
use lambda_client_ip::{Peer, Source, TrustedRanges};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(variant), Some(Ok(times))) = (args.next(), args.next().map(|n| n.parse::<u64>()))
    else {
        eprintln!("usage: resolver_loop headers|ranges|client-ip TIMES");
        std::process::exit(2);
    };
    let chain = "203.0.113.195, 70.41.3.18, 150.172.238.178";
    let mut map = HeaderMap::new();
    map.insert("x-forwarded-for", HeaderValue::from_static(chain));
    let count_zero = Source::default();
    let proxies: Result<TrustedRanges, _> = "70.41.3.18, 150.172.238.178".parse();
    let Ok(proxies) = proxies else {
        eprintln!("resolver_loop: the proxies' ranges do not parse");
        std::process::exit(2);
    };
    let ranges = Source::x_forwarded_for(proxies);
    let mut answered = 0u64;
    for _ in 0..times {
        let ok = match variant.as_str() {
            "headers" => count_zero.resolve(black_box(&map), Peer::Appended).is_ok(),
            "ranges" => ranges.resolve(black_box(&map), Peer::Appended).is_ok(),
            "client-ip" => client_ip::rightmost_x_forwarded_for(black_box(&map)).is_ok(),
            other => {
                eprintln!("resolver_loop: unknown variant {other:?}");
                std::process::exit(2);
            }
        };
        answered += u64::from(ok);
    }
    assert_eq!(answered, times, "every call answers");
}
