//! "Can be a client" is one rule, read from the census of networks, and every answer is held to
//! it whatever evidence it came from: an X-Forwarded-For entry, a `Forwarded` element, a
//! single-address header (a CDN's or your own proxy's) and `CF-Connecting-IPv6`.

// A test crate: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::panic)]

use http::{HeaderMap, HeaderName, HeaderValue};
use lambda_client_ip::{Peer, ProxyCount, Source, VpcLink, parse_entry};

/// A Cloudflare edge (104.16.0.0/13) and a CloudFront origin-facing address (130.176.0.0/18).
const CLOUDFLARE_EDGE: &str = "104.16.0.1";
const CLOUDFRONT_EDGE: &str = "130.176.0.12";

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        let name = HeaderName::from_bytes(name.as_bytes()).unwrap();
        map.append(name, HeaderValue::from_str(value).unwrap());
    }
    map
}

/// A kind of evidence: its name, the source that reads it, and a request's headers.
type Case<'a> = (&'a str, Source, Vec<(&'a str, String)>);

/// `ip` as each kind of evidence carries it: the answer, or the refusal's code.
fn answers(ip: &str) -> Vec<(&'static str, Result<String, String>)> {
    let bracketed = if ip.contains(':') {
        format!("[{ip}]")
    } else {
        ip.to_owned()
    };
    let count = || ProxyCount::new(0).unwrap();
    let link = VpcLink::Subnets("10.0.1.0/24".parse().unwrap());
    let cases: Vec<Case> = vec![
        (
            "x-forwarded-for",
            Source::default(),
            vec![("x-forwarded-for", ip.to_owned())],
        ),
        (
            "forwarded",
            Source::forwarded(count(), link).unwrap(),
            vec![
                ("forwarded", format!("for=\"{bracketed}\"")),
                ("x-forwarded-for", "10.0.1.7".to_owned()),
            ],
        ),
        (
            "your own proxy's header",
            Source::header("x-real-ip", "10.0.0.0/8".parse().unwrap()).unwrap(),
            vec![
                ("x-real-ip", ip.to_owned()),
                ("x-forwarded-for", "10.0.0.7".to_owned()),
            ],
        ),
        (
            "cf-connecting-ip",
            Source::header("cf-connecting-ip", "cloudflare".parse().unwrap()).unwrap(),
            vec![
                ("cf-connecting-ip", ip.to_owned()),
                ("x-forwarded-for", CLOUDFLARE_EDGE.to_owned()),
            ],
        ),
        (
            "cloudfront-viewer-address",
            Source::header("cloudfront-viewer-address", "cloudfront".parse().unwrap()).unwrap(),
            vec![
                ("cloudfront-viewer-address", format!("{bracketed}:443")),
                ("x-forwarded-for", CLOUDFRONT_EDGE.to_owned()),
            ],
        ),
    ];
    let mut out = Vec::new();
    for (what, source, pairs) in cases {
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let got = source.resolve(&headers(&pairs), Peer::Appended);
        out.push((
            what,
            got.map(|c| c.ip().to_string())
                .map_err(|e| e.code().to_owned()),
        ));
    }
    if ip.contains(':') {
        // An IPv6 visitor behind Cloudflare's Pseudo IPv4.
        let pairs = [
            ("x-forwarded-for", format!("254.0.0.1, {CLOUDFLARE_EDGE}")),
            ("cf-connecting-ipv6", ip.to_owned()),
        ];
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let source = Source::x_forwarded_for(
            "cloudflare"
                .parse::<lambda_client_ip::TrustedRanges>()
                .unwrap(),
        );
        let got = source.resolve(&headers(&pairs), Peer::Appended);
        out.push((
            "cf-connecting-ipv6",
            got.map(|c| c.ip().to_string())
                .map_err(|e| e.code().to_owned()),
        ));
    }
    out
}

#[test]
fn every_kind_of_evidence_holds_its_answer_to_the_one_rule() {
    for (ip, client) in [
        ("198.51.100.7", true),
        ("2001:db8::7", true),
        // Documentation space (RFC 5737, RFC 3849, RFC 9637): tests and examples use it.
        ("3fff::7", true),
        // Loopback and link-local: a same-host proxy, local-alb, VPC Lattice record them.
        ("127.0.0.1", true),
        ("::1", true),
        ("169.254.171.9", true),
        ("fe80::9", true),
        // 6to4 and NAT64 stand for public hosts.
        ("2002:c633:6407::1", true),
        ("64:ff9b::c633:6407", true),
        // No client: "this network", unspecified, multicast, reserved, discard-only.
        ("0.1.2.3", false),
        ("::", false),
        ("224.0.0.9", false),
        ("ff02::9", false),
        ("100::9", false),
    ] {
        assert_eq!(
            parse_entry(ip.as_bytes()).is_some(),
            client,
            "parse_entry {ip}"
        );
        for (what, got) in answers(ip) {
            match (client, got) {
                (true, Ok(answer)) => assert_eq!(answer, ip, "{what}: {ip}"),
                (false, Err(code)) => assert!(
                    code.ends_with("invalid") || code == "invalid_entry",
                    "{what}: {ip}: {code}"
                ),
                (_, got) => panic!("{what}: {ip}: {got:?}"),
            }
        }
    }
}
