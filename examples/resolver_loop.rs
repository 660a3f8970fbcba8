//! The resolver against the `client-ip` crate in a plain loop, for whole-process timing and
//! instruction counts, which stay readable on a shared machine where criterion's intervals do not:
//!
//! ```sh
//! cargo build --release --example resolver_loop
//! time target/release/examples/resolver_loop headers 20000000     # or: str, client-ip
//! valgrind --tool=callgrind target/release/examples/resolver_loop headers 100000
//! ```
//!
//! Every variant reads count 0 of the README's worked example; `headers` and `client-ip` read the
//! same `HeaderMap`.

use std::hint::black_box;

use aws_lambda_events::http::{HeaderMap, HeaderValue};
use lambda_client_ip::{TrustPolicy, resolve, resolve_headers};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(variant), Some(Ok(times))) = (args.next(), args.next().map(|n| n.parse::<u64>()))
    else {
        eprintln!("usage: resolver_loop str|headers|client-ip TIMES");
        std::process::exit(2);
    };
    let chain = "203.0.113.195, 70.41.3.18, 150.172.238.178";
    let mut map = HeaderMap::new();
    map.insert("x-forwarded-for", HeaderValue::from_static(chain));
    let policy = TrustPolicy::default();
    let one = [chain];
    let mut answered = 0u64;
    for _ in 0..times {
        let ok = match variant.as_str() {
            "str" => resolve(black_box(&one), None, &policy).is_ok(),
            "headers" => resolve_headers(black_box(&map), None, &policy).is_ok(),
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
