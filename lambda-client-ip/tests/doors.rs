//! The front-door model, door by door, on the sample events of tests/events/.
//!
//! Each file is an AWS sample event for one front door, with addresses from the documentation
//! ranges: the client is always 198.51.100.7, a proxy of yours is 203.0.113.10, CloudFront's
//! edge is 130.176.12.34, and 192.0.2.x entries are forged by the client. Each door is resolved
//! under a count of 0, a count of 1 and a ranges policy trusting the proxy and the edge.
//!
//! One model for every door: the front door appended its TCP peer to X-Forwarded-For, and
//! `sourceIp` (API Gateway, Function URLs) stands in only when the request has none.
// A test crate: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use lambda_client_ip::{
    ClientIpRejection, Peer, ProxyCount, RequestClientIp, Source, TrustedRanges,
};

const CLIENT: &str = "198.51.100.7";

fn count(n: u8) -> Source {
    Source::x_forwarded_for(ProxyCount::new(n).unwrap())
}

fn ranges_of(list: &str) -> Source {
    Source::x_forwarded_for(list.parse::<TrustedRanges>().unwrap())
}

fn ranges() -> Source {
    ranges_of("203.0.113.0/24, 130.176.0.0/16")
}

/// The answer for `event` under `source`: the address, or the error's code.
fn answer(event: &str, source: &Source) -> Result<String, &'static str> {
    let request = lambda_http::request::from_str(event).unwrap();
    request
        .client_ip(source)
        .map(|client| client.to_string())
        .map_err(|err| err.code())
}

type Case = (&'static str, Source, Result<&'static str, &'static str>);

fn check(event: &str, cases: Vec<Case>) {
    for (case, source, want) in cases {
        let got = answer(event, &source);
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
                "regional REST: count 0 answers the proxy API Gateway appended",
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
    // Client → AWS's CloudFront edge → API Gateway: the chain ends in the edge, which API Gateway
    // appended; sourceIp is the client, but the chain is there, so sourceIp is not read.
    check(
        include_str!("events/apigw-rest-edge-optimized.json"),
        vec![
            (
                "edge-optimized REST: count 0 answers the CloudFront edge API Gateway appended",
                count(0),
                Ok("130.176.12.34"),
            ),
            (
                "edge-optimized REST: count 1 reads past the edge to the client",
                count(1),
                Ok(CLIENT),
            ),
            (
                "edge-optimized REST: ranges skip the edge to the client",
                ranges(),
                Ok(CLIENT),
            ),
            (
                "edge-optimized REST: cloudfront's preset skips the edge to the client",
                ranges_of("cloudfront"),
                Ok(CLIENT),
            ),
            (
                "Fail: edge-optimized REST: ranges holding every entry leave no client",
                ranges_of("198.51.100.0/24, 130.176.0.0/16"),
                Err("all_trusted"),
            ),
            (
                "Fail: edge-optimized REST: count 2 is refused, not guessed",
                count(2),
                Err("chain_too_short"),
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
                "Fail: HTTP API: count 1 is refused, no proxy stands in front",
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
                "Function URL: count 0 answers the edge the Function URL appended",
                count(0),
                Ok("130.176.12.34"),
            ),
            (
                "Function URL: count 1 reads the chain left of the edge",
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
        for source in [count(0), ranges()] {
            let honest = answer(event, &source);
            // sourceIp is the front door's own field: the forgery only touches the chain.
            let forged = forged.replace(
                r#""sourceIp": "6.6.6.6, 198.51.100.7""#,
                r#""sourceIp": "198.51.100.7""#,
            );
            assert_eq!(
                answer(&forged, &source),
                honest,
                "{door}, {source}: a forged entry moved the answer"
            );
        }
    }
}

/// `event` without its X-Forwarded-For headers (any spelling), for the doors that report
/// `sourceIp`.
fn without_forwarded_for(event: &str) -> String {
    let mut json: serde_json::Value = serde_json::from_str(event).unwrap();
    for map in ["headers", "multiValueHeaders"] {
        if let Some(headers) = json.get_mut(map).and_then(|h| h.as_object_mut()) {
            headers.retain(|name, _| !name.eq_ignore_ascii_case("x-forwarded-for"));
        }
    }
    json.to_string()
}

#[test]
fn source_ip_stands_in_only_without_forwarded_for() {
    let http_api = without_forwarded_for(include_str!("events/apigw-http-v2.json"));
    let edge = without_forwarded_for(include_str!("events/apigw-rest-edge-optimized.json"));
    let url = without_forwarded_for(include_str!("events/function-url-behind-cloudfront.json"));
    let alb = without_forwarded_for(include_str!("events/alb-single-value.json"));
    let multi = without_forwarded_for(include_str!("events/alb-multi-value.json"));
    let regional = without_forwarded_for(include_str!("events/apigw-rest-regional.json"));
    let cases: Vec<(&str, &str, Source, Result<&str, &str>)> = vec![
        (
            "HTTP API without the chain: sourceIp is position 0",
            &http_api,
            count(0),
            Ok(CLIENT),
        ),
        (
            "Fail: HTTP API without the chain: sourceIp alone is too short for count 1",
            &http_api,
            count(1),
            Err("chain_too_short"),
        ),
        (
            "edge-optimized REST without the chain: sourceIp",
            &edge,
            count(0),
            Ok(CLIENT),
        ),
        (
            "Function URL without the chain: sourceIp without its port",
            &url,
            count(0),
            Ok("130.176.12.34"),
        ),
        (
            "Fail: Function URL without the chain: sourceIp inside the ranges leaves no client",
            &url,
            ranges(),
            Err("all_trusted"),
        ),
        (
            "regional REST without the chain: identity.sourceIp",
            &regional,
            count(0),
            Ok("203.0.113.10"),
        ),
        (
            "Fail: ALB without the chain: nothing reports a peer",
            &alb,
            count(0),
            Err("no_client_address"),
        ),
        (
            "Fail: ALB with multi-value headers, without the chain: nothing reports a peer",
            &multi,
            count(0),
            Err("no_client_address"),
        ),
    ];
    for (case, event, source, want) in cases {
        assert_eq!(
            answer(event, &source).as_deref().map_err(|e| *e),
            want,
            "{case}"
        );
    }
}

#[test]
fn the_worked_example_reads_the_chain_not_source_ip() {
    // client 203.0.113.195 → proxy 70.41.3.18 → proxy 150.172.238.178 → API Gateway, in the
    // README's worked example, with sourceIp 70.41.3.18: the chain is present, so the answers
    // are the chain's, and sourceIp is never read.
    let event = include_str!("events/apigw-rest-regional.json")
        .replace(
            "198.51.100.7, 203.0.113.10",
            "203.0.113.195, 70.41.3.18, 150.172.238.178",
        )
        .replace(
            r#""sourceIp": "203.0.113.10""#,
            r#""sourceIp": "70.41.3.18""#,
        );
    assert!(event.contains("150.172.238.178") && event.contains(r#""sourceIp": "70.41.3.18""#));
    check(
        &event,
        vec![
            (
                "worked example: count 0 answers the last entry",
                count(0),
                Ok("150.172.238.178"),
            ),
            (
                "worked example: count 1 answers the middle entry",
                count(1),
                Ok("70.41.3.18"),
            ),
            (
                "worked example: count 2 answers the client",
                count(2),
                Ok("203.0.113.195"),
            ),
            (
                "Fail: worked example: count 3 is too long",
                count(3),
                Err("chain_too_short"),
            ),
        ],
    );
}

#[test]
fn explain_takes_the_peer_a_lambda_request_implies() {
    // 0.2.0 kept this peer private: a library app could not explain with the layer's peer.
    let alb = lambda_http::request::from_str(include_str!("events/alb-single-value.json")).unwrap();
    assert_eq!(alb.peer(), Ok(Peer::Appended));
    let http_api = without_forwarded_for(include_str!("events/apigw-http-v2.json"));
    let http_api = lambda_http::request::from_str(&http_api).unwrap();
    let reported = Peer::AppendedAndReported(CLIENT.parse().unwrap());
    assert_eq!(http_api.peer(), Ok(reported));
    // The explanation reads the same peer the resolver does: sourceIp is position 0.
    let explained = Source::default().explain(http_api.headers(), http_api.peer().unwrap());
    assert_eq!(explained.hops.len(), 1, "{explained:?}");
    assert_eq!(
        explained.hops[0].address,
        CLIENT.parse().ok(),
        "{explained:?}"
    );
}

#[test]
fn a_request_without_a_lambda_context_is_a_wiring_error_not_an_appended_peer() {
    // 0.2.0 read such a request as appended by a front door, believing its last entry.
    let request = http::Request::builder()
        .header("x-forwarded-for", "6.6.6.6")
        .body(())
        .unwrap();
    assert_eq!(request.peer(), Err(ClientIpRejection::NoPeer));
    let rejection = request.client_ip(&Source::default()).unwrap_err();
    assert_eq!(rejection, ClientIpRejection::NoPeer);
    assert_eq!(rejection.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
}
