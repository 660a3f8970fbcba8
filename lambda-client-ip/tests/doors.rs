//! The front-door model, door by door, on the sample events of tests/events/.
//!
//! Each file is an AWS sample event for one front door, with addresses from the documentation
//! ranges: the client is always 198.51.100.7, a proxy of yours is 203.0.113.10, CloudFront's
//! edge is 130.176.12.34, and 192.0.2.x entries are forged by the client. Each door is resolved
//! under a count of 0, a count of 1 and a ranges policy trusting the proxy and the edge.
// A test crate: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use lambda_client_ip::{ProxyCount, RequestClientIp, TrustPolicy};

const CLIENT: &str = "198.51.100.7";

fn count(n: u8) -> TrustPolicy {
    TrustPolicy::Count(ProxyCount::new(n).unwrap())
}

fn ranges() -> TrustPolicy {
    TrustPolicy::Ranges("203.0.113.0/24, 130.176.0.0/16".parse().unwrap())
}

/// The answer for `event` under `policy`: the address, or the error's code.
fn answer(event: &str, policy: &TrustPolicy) -> Result<String, &'static str> {
    let request = lambda_http::request::from_str(event).unwrap();
    request
        .client_ip(policy)
        .map(|client| client.to_string())
        .map_err(|err| err.code())
}

type Case = (
    &'static str,
    TrustPolicy,
    Result<&'static str, &'static str>,
);

fn check(event: &str, cases: Vec<Case>) {
    for (case, policy, want) in cases {
        let got = answer(event, &policy);
        assert_eq!(got.as_deref().map_err(|e| *e), want, "{case}");
    }
}

#[test]
fn alb_single_value_headers() {
    // Client → ALB, with an entry the client forged: "192.0.2.200, 198.51.100.7".
    check(
        include_str!("events/alb-single-value.json"),
        vec![
            (
                "ALB single-value: count 0 answers the peer the ALB appended",
                count(0),
                Ok(CLIENT),
            ),
            (
                "ALB single-value: count 1 believes the forged entry, because no proxy stands in front",
                count(1),
                Ok("192.0.2.200"),
            ),
            (
                "ALB single-value: ranges answer the peer, which is outside them",
                ranges(),
                Ok(CLIENT),
            ),
        ],
    );
}

#[test]
fn alb_multi_value_headers() {
    // Client → your proxy → ALB, on two header lines: ["192.0.2.200, 198.51.100.7", "203.0.113.10"].
    check(
        include_str!("events/alb-multi-value.json"),
        vec![
            (
                "ALB multi-value: count 0 answers the proxy the ALB saw",
                count(0),
                Ok("203.0.113.10"),
            ),
            (
                "ALB multi-value: count 1 reads across the lines to the client",
                count(1),
                Ok(CLIENT),
            ),
            (
                "ALB multi-value: ranges skip the proxy to the client",
                ranges(),
                Ok(CLIENT),
            ),
        ],
    );
}

#[test]
fn api_gateway_rest_regional() {
    // Client → your proxy → API Gateway, which appended its peer: the chain ends in sourceIp.
    check(
        include_str!("events/apigw-rest-regional.json"),
        vec![
            (
                "regional REST: count 0 answers sourceIp, the proxy",
                count(0),
                Ok("203.0.113.10"),
            ),
            (
                "regional REST: count 1 reads the chain left of sourceIp",
                count(1),
                Ok(CLIENT),
            ),
            (
                "regional REST: ranges skip the proxy to the client",
                ranges(),
                Ok(CLIENT),
            ),
        ],
    );
}

#[test]
fn api_gateway_rest_edge_optimized() {
    // Client → AWS's CloudFront edge → API Gateway: the chain ends in the edge, sourceIp is the
    // client, so the chain is not the one the front door built.
    check(
        include_str!("events/apigw-rest-edge-optimized.json"),
        vec![
            (
                "edge-optimized REST: count 0 answers sourceIp, not the edge",
                count(0),
                Ok(CLIENT),
            ),
            (
                "edge-optimized REST: count 1 is refused, not guessed",
                count(1),
                Err("chain_too_short"),
            ),
            (
                "edge-optimized REST: ranges answer sourceIp, outside them",
                ranges(),
                Ok(CLIENT),
            ),
            (
                "edge-optimized REST: ranges holding sourceIp leave no client",
                TrustPolicy::Ranges("198.51.100.0/24".parse().unwrap()),
                Err("all_trusted"),
            ),
        ],
    );
}

#[test]
fn api_gateway_http_api() {
    // Client → API Gateway HTTP API: X-Forwarded-For is sourceIp alone.
    check(
        include_str!("events/apigw-http-v2.json"),
        vec![
            ("HTTP API: count 0 answers sourceIp", count(0), Ok(CLIENT)),
            (
                "HTTP API: count 1 is refused, no proxy stands in front",
                count(1),
                Err("chain_too_short"),
            ),
            (
                "HTTP API: ranges answer sourceIp, outside them",
                ranges(),
                Ok(CLIENT),
            ),
        ],
    );
}

#[test]
fn function_url_behind_cloudfront() {
    // Client → your CloudFront distribution → Function URL: sourceIp is the edge as ip:port, and
    // the chain ends in that edge's address.
    check(
        include_str!("events/function-url-behind-cloudfront.json"),
        vec![
            (
                "Function URL: count 0 answers sourceIp without its port",
                count(0),
                Ok("130.176.12.34"),
            ),
            (
                "Function URL: count 1 reads the chain left of sourceIp",
                count(1),
                Ok(CLIENT),
            ),
            (
                "Function URL: ranges skip the edge to the client",
                ranges(),
                Ok(CLIENT),
            ),
        ],
    );
}

#[test]
fn a_forged_entry_never_moves_the_answer() {
    // Whatever the client prepends, every door answers the same under every policy.
    let events = [
        (
            "ALB single-value",
            include_str!("events/alb-single-value.json"),
        ),
        (
            "ALB multi-value",
            include_str!("events/alb-multi-value.json"),
        ),
        (
            "regional REST",
            include_str!("events/apigw-rest-regional.json"),
        ),
        (
            "edge-optimized REST",
            include_str!("events/apigw-rest-edge-optimized.json"),
        ),
        ("HTTP API", include_str!("events/apigw-http-v2.json")),
        (
            "Function URL",
            include_str!("events/function-url-behind-cloudfront.json"),
        ),
    ];
    for (door, event) in events {
        let forged = event.replace("198.51.100.7", "6.6.6.6, 198.51.100.7");
        for policy in [count(0), ranges()] {
            let honest = answer(event, &policy);
            // sourceIp is the front door's own field: the forgery only touches the chain.
            let forged = forged.replace(
                r#""sourceIp": "6.6.6.6, 198.51.100.7""#,
                r#""sourceIp": "198.51.100.7""#,
            );
            assert_eq!(
                answer(&forged, &policy),
                honest,
                "{door}, {policy}: a forged entry moved the answer"
            );
        }
    }
}
