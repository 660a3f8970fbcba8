//! The census of networks, through the public API. "Can be a client" is one rule read from it,
//! and every answer is held to it whatever evidence it came from: an X-Forwarded-For entry, a
//! `Forwarded` element, a single-address header (a CDN's or your own proxy's) and
//! `CF-Connecting-IPv6`. Public space, which a set of trusted ranges may not cover whole, is
//! what it does not set aside. And a set of trusted ranges overlapping a list whose hop writes no
//! X-Forwarded-For is refused however it is written.

// A test crate: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::panic)]

use http::{HeaderMap, HeaderName, HeaderValue};
use ipnet::IpNet;
use lambda_client_ip::{
    Peer, PolicyError, Preset, ProxyCount, Source, TrustedRanges, VpcLink, parse_entry,
};

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

#[test]
fn a_network_that_writes_no_x_forwarded_for_is_refused_by_what_it_overlaps() {
    let ga = Preset::GlobalAccelerator;
    let first = ga.nets().next().unwrap();
    let half = first
        .subnets(first.prefix_len() + 1)
        .unwrap()
        .next()
        .unwrap();
    let wider = first.supernet().unwrap();
    for (case, err) in [
        (
            "by name",
            "10.0.0.0/8, GlobalAccelerator".parse::<TrustedRanges>(),
        ),
        ("written out", format!("10.0.0.0/8, {first}").parse()),
        ("a sub-range", format!("10.0.0.0/8, {half}").parse()),
        ("a wider range", format!("10.0.0.0/8, {wider}").parse()),
        (
            "mapped",
            format!("10.0.0.0/8, ::ffff:{}/128", half.network()).parse(),
        ),
        ("typed, its nets", TrustedRanges::new(ga.nets())),
        (
            "typed, one net",
            TrustedRanges::new(["10.0.0.0/8".parse().unwrap(), first]),
        ),
        ("from the preset", TrustedRanges::try_from(ga)),
    ] {
        let err = err.unwrap_err();
        let list = Preset::GlobalAccelerator;
        assert!(
            matches!(err, PolicyError::NoForwardedFor { list: l, .. } if l == list),
            "{case}: {err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains("write no X-Forwarded-For"), "{case}: {msg}");
        assert!(msg.contains("client IP preservation"), "{case}: {msg}");
    }
    let err = format!("10.0.0.0/8, {half}")
        .parse::<TrustedRanges>()
        .unwrap_err();
    let want = format!("the range {half} overlaps {first} of globalaccelerator, whose");
    assert!(err.to_string().starts_with(&want), "{err}");
    // Next to an edge, not on it: accepted.
    let beside: IpNet = "3.2.47.0/24".parse().unwrap();
    let meet = |n: IpNet| n.contains(&beside.network()) || beside.contains(&n.network());
    assert!(!Preset::GlobalAccelerator.nets().any(meet));
    assert!(TrustedRanges::new([beside]).is_ok());
}

#[test]
fn public_space_is_what_the_census_does_not_set_aside() {
    let count = |list: &str| list.parse::<TrustedRanges>().map(|r| r.len());
    let everything = |family| Err(PolicyError::Everything { family });
    // Halves of IPv4, plain or mapped, are refused too: ranges.rs's unit tests.
    for (case, list, want) in [
        // 64:ff9b::/96 (NAT64) stands for public IPv4 hosts: global unicast without it is
        // not every public address.
        (
            "Fail: NAT64 in",
            "2000::/3, 64:ff9b::/96",
            everything("IPv6"),
        ),
        // Documentation space 3fff::/20 (RFC 9637) is not public: leaving it out still
        // covers every public address.
        (
            "Fail: without 3fff::/20",
            "2000::/4, 3000::/5, 3800::/6, 3c00::/7, 3e00::/8, 3f00::/9, 3f80::/10, 3fc0::/11, \
             3fe0::/12, 3ff0::/13, 3ff8::/14, 3ffc::/15, 3ffe::/16, 3fff:1000::/20, \
             3fff:2000::/19, 3fff:4000::/18, 3fff:8000::/17, 64:ff9b::/96",
            everything("IPv6"),
        ),
    ] {
        assert_eq!(count(list), want, "{case}");
    }
    // Short of everything, such sets still overlap Global Accelerator's edges.
    for (case, list) in [
        ("three quarters", "0.0.0.0/1, 128.0.0.0/2"),
        ("NAT64 left out", "2000::/3"),
        ("half of NAT64 left out", "2000::/3, 64:ff9b::/97"),
        // 6to4 (2002::/16) is globally routed and public.
        (
            "6to4 left out",
            "2000::/15, 2003::/16, 2004::/14, 2008::/13, 2010::/12, 2020::/11, 2040::/10, \
             2080::/9, 2100::/8, 2200::/7, 2400::/6, 2800::/5, 3000::/4, 64:ff9b::/96",
        ),
    ] {
        let err = list.parse::<TrustedRanges>().unwrap_err();
        assert!(
            matches!(err, PolicyError::NoForwardedFor { .. }),
            "{case}: {err}"
        );
    }
    // An IPv6 half holds the IPv4-mapped space, so the first half is refused alone.
    let err = "::/1, 8000::/1".parse::<TrustedRanges>().unwrap_err();
    let want = r#"item 1 ("::/1") covers every IPv4-mapped address, that is all of IPv4"#;
    assert_eq!(err.to_string(), want);
    // IPv6 space without the mapped addresses is not a family: 8000::/1 alone is accepted.
    assert!("8000::/1".parse::<TrustedRanges>().is_ok());
}
