//! `Source` as tables: what the environment text builds or refuses (each refusal naming the
//! variable and its value), the binding of a CDN's header to that CDN, Cloudflare's Pseudo IPv4,
//! Forwarded read by ranges, the IPv6 forms of Forwarded and CloudFront-Viewer-Address, and the
//! peer as position 0. Case names state the outcome; "Fail: ..." is a refusal.

// A test crate: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use support::{count, lookup, ranges};

use std::net::IpAddr;

use http::{HeaderMap, HeaderValue};
use lambda_client_ip::{Peer, Source, SourceError, TrustedRanges, VpcLink};

/// A Cloudflare edge (104.16.0.0/13), a CloudFront origin-facing address (130.176.0.0/18), a
/// Fastly edge (151.101.0.0/16).
const CLOUDFLARE_EDGE: &str = "104.16.0.1";
const CLOUDFRONT_EDGE: &str = "130.176.0.12";
const VISITOR: &str = "198.51.100.7";
const ATTACKER: &str = "203.0.113.66";

/// Environment variables, name and value.
type Vars<'a> = &'a [(&'a str, &'a str)];

/// Request headers, name and value, in order.
type Pairs<'a> = Vec<(&'a str, &'a str)>;

/// The address and its position, or the refusal's code.
type Answer = Result<(String, usize), String>;

/// A request's headers, each pair appended in order.
fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        let name = http::HeaderName::from_bytes(name.as_bytes()).unwrap();
        headers.append(name, HeaderValue::from_str(value).unwrap());
    }
    headers
}

/// The address and its position, or the refusal's code.
fn answer(source: &Source, pairs: &[(&str, &str)], peer: Peer) -> Result<(String, usize), String> {
    source
        .resolve(&headers(pairs), peer)
        .map(|c| (c.ip().to_string(), c.position()))
        .map_err(|e| e.code().to_owned())
}

fn ok(ip: &str, position: usize) -> Result<(String, usize), String> {
    Ok((ip.to_owned(), position))
}

fn fail(code: &str) -> Result<(String, usize), String> {
    Err(code.to_owned())
}

type Case<'a> = (
    &'a str,
    Source,
    Vec<(&'a str, &'a str)>,
    Result<(String, usize), String>,
);

fn run(cases: Vec<Case>) {
    let mut wrong = Vec::new();
    for (name, source, pairs, want) in cases {
        let got = answer(&source, &pairs, Peer::Appended);
        if got != want {
            wrong.push(format!("{name}: got {got:?}, want {want:?}"));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn from_lookup_refusals_name_the_variable_and_the_value() {
    let cases: &[(&str, Vars, &[&str])] = &[
        (
            "Fail: a count and ranges both set",
            &[
                ("TRUSTED_PROXY_COUNT", "1"),
                ("TRUSTED_PROXY_CIDRS", "10.0.0.0/8"),
            ],
            &[r#"TRUSTED_PROXY_COUNT="1" and TRUSTED_PROXY_CIDRS="10.0.0.0/8" are both set"#],
        ),
        (
            "Fail: a count that is not a number",
            &[("TRUSTED_PROXY_COUNT", "two")],
            &[r#"TRUSTED_PROXY_COUNT="two" is not accepted"#, "0 to 30"],
        ),
        (
            "Fail: a count above 30",
            &[("TRUSTED_PROXY_COUNT", "31")],
            &[r#"TRUSTED_PROXY_COUNT="31" is not accepted"#],
        ),
        (
            "Fail: a bad CIDR",
            &[("TRUSTED_PROXY_CIDRS", "10.0.0.0/8, 10.0.0.0/33")],
            &[
                r#"TRUSTED_PROXY_CIDRS="10.0.0.0/8, 10.0.0.0/33" is not accepted"#,
                r#"item 2 ("10.0.0.0/33")"#,
            ],
        ),
        (
            "Fail: host bits set",
            &[("TRUSTED_PROXY_CIDRS", "10.0.0.1/8")],
            &[r#"TRUSTED_PROXY_CIDRS="10.0.0.1/8""#, "host bits"],
        ),
        (
            "Fail: a single-address header without CIDRs",
            &[("CLIENT_IP_HEADER", "X-Real-IP")],
            &[r#"CLIENT_IP_HEADER="X-Real-IP" needs TRUSTED_PROXY_CIDRS"#],
        ),
        (
            "Fail: a single-address header with a count instead of CIDRs",
            &[
                ("CLIENT_IP_HEADER", "x-real-ip"),
                ("TRUSTED_PROXY_COUNT", "1"),
            ],
            &[r#"CLIENT_IP_HEADER="x-real-ip" needs TRUSTED_PROXY_CIDRS"#],
        ),
        (
            "Fail: forwarded with neither a count nor CIDRs",
            &[("CLIENT_IP_HEADER", "forwarded")],
            &[r#"CLIENT_IP_HEADER="forwarded" needs TRUSTED_PROXY_COUNT or TRUSTED_PROXY_CIDRS"#],
        ),
        (
            "Fail: cf-connecting-ip trusting only CloudFront is unbound",
            &[
                ("CLIENT_IP_HEADER", "cf-connecting-ip"),
                ("TRUSTED_PROXY_CIDRS", "cloudfront"),
            ],
            &[
                r#"CLIENT_IP_HEADER="cf-connecting-ip" is written by cloudflare"#,
                r#"TRUSTED_PROXY_CIDRS="cloudfront""#,
            ],
        ),
        (
            "Fail: cloudfront-viewer-address trusting only your proxies is unbound",
            &[
                ("CLIENT_IP_HEADER", "CloudFront-Viewer-Address"),
                ("TRUSTED_PROXY_CIDRS", "10.0.0.0/8"),
            ],
            &[
                r#"CLIENT_IP_HEADER="CloudFront-Viewer-Address" is written by cloudfront"#,
                r#"TRUSTED_PROXY_CIDRS="10.0.0.0/8""#,
            ],
        ),
        (
            "Fail: fastly-client-ip is unprotected",
            &[
                ("CLIENT_IP_HEADER", "Fastly-Client-IP"),
                ("TRUSTED_PROXY_CIDRS", "fastly"),
            ],
            &[
                r#"CLIENT_IP_HEADER="Fastly-Client-IP" is not accepted"#,
                "TRUSTED_PROXY_CIDRS=fastly",
            ],
        ),
        (
            "Fail: globalaccelerator in the CIDRs",
            &[("TRUSTED_PROXY_CIDRS", "10.0.0.0/8, globalaccelerator")],
            &[
                r#"TRUSTED_PROXY_CIDRS="10.0.0.0/8, globalaccelerator" is not accepted"#,
                "client IP preservation",
            ],
        ),
        (
            "Fail: two halves cover all of IPv4",
            &[("TRUSTED_PROXY_CIDRS", "0.0.0.0/1, 128.0.0.0/1")],
            &[
                r#"TRUSTED_PROXY_CIDRS="0.0.0.0/1, 128.0.0.0/1" is not accepted"#,
                "cover every public address of IPv4",
            ],
        ),
        (
            "Fail: two IPv6 halves cover all of IPv6, IPv4-mapped space first",
            &[("TRUSTED_PROXY_CIDRS", "::/1, 8000::/1")],
            &[
                r#"TRUSTED_PROXY_CIDRS="::/1, 8000::/1" is not accepted"#,
                "all of IPv4",
            ],
        ),
        (
            "Fail: two IPv4-mapped halves cover all of IPv4",
            &[(
                "TRUSTED_PROXY_CIDRS",
                "::ffff:0.0.0.0/97, ::ffff:128.0.0.0/97",
            )],
            &[
                r#"TRUSTED_PROXY_CIDRS="::ffff:0.0.0.0/97, ::ffff:128.0.0.0/97""#,
                "cover every public address of IPv4",
            ],
        ),
        (
            "Fail: a header name with a space",
            &[
                ("CLIENT_IP_HEADER", "x real ip"),
                ("TRUSTED_PROXY_CIDRS", "10.0.0.0/8"),
            ],
            &[
                r#"CLIENT_IP_HEADER="x real ip" is not accepted"#,
                r#"did you mean "x-real-ip"?"#,
            ],
        ),
        (
            "Fail: a header name that is no header's",
            &[
                ("CLIENT_IP_HEADER", "client address!"),
                ("TRUSTED_PROXY_CIDRS", "10.0.0.0/8"),
            ],
            &[
                r#"CLIENT_IP_HEADER="client address!" is not accepted"#,
                "is not a header name",
            ],
        ),
        (
            "Fail: underscores for dashes in a CDN's header",
            &[
                ("CLIENT_IP_HEADER", "CF_Connecting_IP"),
                ("TRUSTED_PROXY_CIDRS", "cloudflare"),
            ],
            &[r#"did you mean "cf-connecting-ip"?"#],
        ),
        (
            "Fail: nginx's name for a header",
            &[
                ("CLIENT_IP_HEADER", "http_cloudfront_viewer_address"),
                ("TRUSTED_PROXY_CIDRS", "cloudfront"),
            ],
            &[r#"did you mean "cloudfront-viewer-address"?"#],
        ),
        (
            "Fail: a letter off a CDN's header",
            &[
                ("CLIENT_IP_HEADER", "cf-conecting-ip"),
                ("TRUSTED_PROXY_CIDRS", "cloudflare"),
            ],
            &[r#"did you mean "cf-connecting-ip"?"#],
        ),
        (
            "Fail: a letter off a preset",
            &[("TRUSTED_PROXY_CIDRS", "10.0.0.0/8, cloudfrnt")],
            &[r#"item 2 ("cloudfrnt")"#, r#"did you mean "cloudfront"?"#],
        ),
        (
            "Fail: your own proxy's header with a shared CDN's ranges",
            &[
                ("CLIENT_IP_HEADER", "x-real-ip"),
                ("TRUSTED_PROXY_CIDRS", "cloudfront"),
            ],
            &[
                "every customer of which can send x-real-ip",
                "CLIENT_IP_HEADER=cloudfront-viewer-address",
            ],
        ),
        (
            "Fail: true-client-ip with Cloudflare's ranges among your own",
            &[
                ("CLIENT_IP_HEADER", "true-client-ip"),
                ("TRUSTED_PROXY_CIDRS", "10.0.0.0/8, cloudflare"),
            ],
            &[
                "holds ranges of cloudflare",
                "CLIENT_IP_HEADER=cf-connecting-ip",
            ],
        ),
        (
            "Fail: any header with Fastly's ranges, which has no header of its own",
            &[
                ("CLIENT_IP_HEADER", "x-client-ip"),
                ("TRUSTED_PROXY_CIDRS", "fastly"),
            ],
            &["holds ranges of fastly", "TRUSTED_PROXY_CIDRS=fastly"],
        ),
        (
            "Fail: a leading zero in an octet",
            &[("TRUSTED_PROXY_CIDRS", "010.0.0.0/8")],
            &[r#"item 1 ("010.0.0.0/8")"#, "leading zero"],
        ),
        (
            "Fail: the public IPv4 space split so nothing merges to /0",
            &[(
                "TRUSTED_PROXY_CIDRS",
                "1.0.0.0/8, 2.0.0.0/7, 4.0.0.0/6, 8.0.0.0/7, 11.0.0.0/8, 12.0.0.0/6, 16.0.0.0/4, 32.0.0.0/3, 64.0.0.0/3, 96.0.0.0/4, 112.0.0.0/5, 120.0.0.0/6, 124.0.0.0/7, 126.0.0.0/8, 128.0.0.0/3, 160.0.0.0/5, 168.0.0.0/6, 172.0.0.0/12, 172.32.0.0/11, 172.64.0.0/10, 172.128.0.0/9, 173.0.0.0/8, 174.0.0.0/7, 176.0.0.0/4, 192.0.0.0/9, 192.128.0.0/11, 192.160.0.0/13, 192.169.0.0/16, 192.170.0.0/15, 192.172.0.0/14, 192.176.0.0/12, 192.192.0.0/10, 193.0.0.0/8, 194.0.0.0/7, 196.0.0.0/6, 200.0.0.0/5, 208.0.0.0/4",
            )],
            &["cover every public address of IPv4"],
        ),
        (
            "Fail: all of global unicast IPv6 and NAT64's prefix",
            &[("TRUSTED_PROXY_CIDRS", "2000::/4, 3000::/4, 64:ff9b::/96")],
            &["cover every public address of IPv6"],
        ),
        (
            "Fail: VPC_LINK_CIDRS without forwarded",
            &[("VPC_LINK_CIDRS", "10.0.1.0/24")],
            &[r#"VPC_LINK_CIDRS="10.0.1.0/24" is read only with CLIENT_IP_HEADER=forwarded"#],
        ),
        (
            "Fail: VPC_LINK_CIDRS that is no range",
            &[
                ("CLIENT_IP_HEADER", "forwarded"),
                ("TRUSTED_PROXY_COUNT", "0"),
                ("VPC_LINK_CIDRS", "vpc-link"),
            ],
            &[r#"VPC_LINK_CIDRS="vpc-link" is not accepted"#],
        ),
    ];
    for (name, vars, needles) in cases {
        let err = lookup(vars).map(|s| s.to_string()).unwrap_err();
        let message = err.to_string();
        for needle in *needles {
            assert!(
                message.contains(needle),
                "{name}: {needle:?} not in {message:?}"
            );
        }
        assert!(message.ends_with('.'), "{name}: {message}");
    }
}

#[test]
fn refusals_begin_with_the_settings_they_refuse() {
    let message = |vars: &[(&str, &str)]| lookup(vars).unwrap_err().to_string();
    let cases: &[(&str, Vars, &str)] = &[
        (
            "Fail: cf-connecting-ip is bound to Cloudflare",
            &[
                ("CLIENT_IP_HEADER", "cf-connecting-ip"),
                ("TRUSTED_PROXY_CIDRS", "cloudfront"),
            ],
            r#"CLIENT_IP_HEADER="cf-connecting-ip" is written by cloudflare"#,
        ),
        (
            "Fail: cf-connecting-ipv6 is read for Pseudo IPv4 only",
            &[
                ("CLIENT_IP_HEADER", "CF-Connecting-IPv6"),
                ("TRUSTED_PROXY_CIDRS", "cloudflare"),
            ],
            r#"CLIENT_IP_HEADER="CF-Connecting-IPv6" is not accepted: every source reads it"#,
        ),
        (
            "Fail: fastly-client-ip is unprotected",
            &[
                ("CLIENT_IP_HEADER", "fastly-client-ip"),
                ("TRUSTED_PROXY_CIDRS", "fastly"),
            ],
            r#"CLIENT_IP_HEADER="fastly-client-ip" is not accepted"#,
        ),
        (
            "Fail: both ways to trust proxies",
            &[
                ("TRUSTED_PROXY_COUNT", "1"),
                ("TRUSTED_PROXY_CIDRS", "10.0.0.0/8"),
            ],
            r#"TRUSTED_PROXY_COUNT="1" and TRUSTED_PROXY_CIDRS="10.0.0.0/8" are both set"#,
        ),
        (
            "Fail: a negative count",
            &[("TRUSTED_PROXY_COUNT", "-1")],
            r#"TRUSTED_PROXY_COUNT="-1" is not accepted"#,
        ),
    ];
    for (name, vars, prefix) in cases {
        let got = message(vars);
        assert!(got.starts_with(prefix), "{name}: {got}");
    }
    let unbound = message(&[
        ("CLIENT_IP_HEADER", "CF-Connecting-IP"),
        ("TRUSTED_PROXY_CIDRS", "fastly"),
    ]);
    assert!(
        unbound.contains(r#"TRUSTED_PROXY_CIDRS="fastly" holds none of cloudflare's"#),
        "{unbound}"
    );
    // Built directly, the refusal speaks of the argument, never of a variable.
    let chain = Source::header("X-Forwarded-For", ranges("10.0.0.0/8")).unwrap_err();
    assert!(matches!(&chain, SourceError::Chain { header } if header == "x-forwarded-for"));
    let chain = chain.to_string();
    assert!(
        chain.starts_with(r#"The header "x-forwarded-for" is not accepted"#),
        "{chain}"
    );
    assert!(chain.contains("is a chain"), "{chain}");
    assert!(!chain.contains("CLIENT_IP_HEADER"), "{chain}");
    let unbound = Source::header("cf-connecting-ip", ranges("fastly"))
        .unwrap_err()
        .to_string();
    assert!(
        unbound.contains("the set of trusted ranges holds none of cloudflare's ranges"),
        "{unbound}"
    );
    assert!(!unbound.contains("TRUSTED_PROXY_CIDRS"), "{unbound}");
    assert!(Source::header("forwarded", ranges("10.0.0.0/8")).is_err());
    // Built directly, a CDN's header is bound the same way.
    assert!(Source::header("cf-connecting-ip", ranges("cloudfront")).is_err());
    assert!(Source::header("cloudfront-viewer-address", ranges("cloudflare")).is_err());
    assert!(Source::header("cf-connecting-ip", ranges("104.16.0.0/24")).is_ok());
}

#[test]
fn from_lookup_builds_what_the_constructors_build() {
    let cases: Vec<(&str, Vars, Source)> = vec![
        ("nothing set is the default", &[], Source::default()),
        (
            "blank values count as unset",
            &[("TRUSTED_PROXY_COUNT", " "), ("CLIENT_IP_HEADER", "\t")],
            Source::default(),
        ),
        (
            "a count",
            &[("TRUSTED_PROXY_COUNT", "2")],
            Source::x_forwarded_for(count(2)),
        ),
        (
            "ranges",
            &[("TRUSTED_PROXY_CIDRS", "cloudfront, 10.0.0.0/8")],
            Source::x_forwarded_for(ranges("cloudfront, 10.0.0.0/8")),
        ),
        (
            "X-Forwarded-For named in any case",
            &[
                ("CLIENT_IP_HEADER", "X-Forwarded-For"),
                ("TRUSTED_PROXY_COUNT", "1"),
            ],
            Source::x_forwarded_for(count(1)),
        ),
        (
            "forwarded with a count",
            &[
                ("CLIENT_IP_HEADER", "Forwarded"),
                ("TRUSTED_PROXY_COUNT", "0"),
                ("VPC_LINK_CIDRS", "10.0.1.0/24"),
            ],
            Source::forwarded(count(0), VpcLink::Subnets(ranges("10.0.1.0/24"))).unwrap(),
        ),
        (
            "forwarded with ranges",
            &[
                ("CLIENT_IP_HEADER", "forwarded"),
                ("TRUSTED_PROXY_CIDRS", "cloudflare"),
                ("VPC_LINK_CIDRS", "any-private-address-insiders-can-forge"),
            ],
            Source::forwarded(ranges("cloudflare"), VpcLink::AnyPrivateAddress).unwrap(),
        ),
        (
            "cf-connecting-ip with cloudflare",
            &[
                ("CLIENT_IP_HEADER", "CF-Connecting-IP"),
                ("TRUSTED_PROXY_CIDRS", "cloudflare"),
            ],
            Source::header("cf-connecting-ip", ranges("cloudflare")).unwrap(),
        ),
        (
            "x-real-ip with your proxy's range",
            &[
                ("CLIENT_IP_HEADER", " x-real-ip "),
                ("TRUSTED_PROXY_CIDRS", "10.0.0.0/8"),
            ],
            Source::header("x-real-ip", ranges("10.0.0.0/8")).unwrap(),
        ),
    ];
    for (name, vars, want) in cases {
        assert_eq!(lookup(vars).unwrap(), want, "{name}");
    }
}

#[test]
fn a_cdn_header_is_believed_only_from_that_cdn() {
    let both = ranges("cloudfront, cloudflare");
    let cf = Source::header("cf-connecting-ip", both.clone()).unwrap();
    let cf_own = Source::header("cf-connecting-ip", ranges("cloudflare, 10.0.0.0/8")).unwrap();
    let cf_all = Source::header(
        "cf-connecting-ip",
        ranges("cloudfront, cloudflare, 10.0.0.0/8"),
    )
    .unwrap();
    let viewer = Source::header("cloudfront-viewer-address", both).unwrap();
    // Visitor → Cloudflare → CloudFront → ALB: CloudFront appended the Cloudflare edge, the ALB
    // appended CloudFront's origin-facing address.
    let through_both = format!("{VISITOR}, {CLOUDFLARE_EDGE}, {CLOUDFRONT_EDGE}");
    let direct_to_cloudfront = format!("6.6.6.6, {ATTACKER}, {CLOUDFRONT_EDGE}");
    let via_own_proxy = format!("{VISITOR}, {CLOUDFLARE_EDGE}, 10.0.0.5");
    let via_all = format!("{VISITOR}, {CLOUDFLARE_EDGE}, {CLOUDFRONT_EDGE}, 10.1.2.3");
    let viewer_of_cloudflare = format!("{CLOUDFLARE_EDGE}:443");
    run(vec![
        (
            "through Cloudflare and CloudFront, CF-Connecting-IP is believed",
            cf.clone(),
            vec![
                ("x-forwarded-for", &through_both),
                ("cf-connecting-ip", VISITOR),
            ],
            ok(VISITOR, 2),
        ),
        (
            "a caller calling CloudFront directly with a forged CF-Connecting-IP gets its own address",
            cf.clone(),
            vec![
                ("x-forwarded-for", &direct_to_cloudfront),
                ("cf-connecting-ip", "192.0.2.1"),
            ],
            ok(ATTACKER, 1),
        ),
        (
            "a caller calling the ALB directly with a forged CF-Connecting-IP gets its own address",
            cf.clone(),
            vec![
                ("x-forwarded-for", ATTACKER),
                ("cf-connecting-ip", "192.0.2.1"),
            ],
            ok(ATTACKER, 0),
        ),
        (
            "Fail: through Cloudflare without CF-Connecting-IP",
            cf.clone(),
            vec![("x-forwarded-for", &through_both)],
            fail("client_header_missing"),
        ),
        (
            "Fail: CF-Connecting-IP twice",
            cf.clone(),
            vec![
                ("x-forwarded-for", &through_both),
                ("cf-connecting-ip", VISITOR),
                ("cf-connecting-ip", VISITOR),
            ],
            fail("client_header_repeated"),
        ),
        (
            "Fail: CF-Connecting-IP naming CloudFront, which is trusted",
            cf.clone(),
            vec![
                ("x-forwarded-for", &through_both),
                ("cf-connecting-ip", CLOUDFRONT_EDGE),
            ],
            fail("client_header_trusted"),
        ),
        (
            "Fail: CF-Connecting-IP holding no address",
            cf.clone(),
            vec![
                ("x-forwarded-for", &through_both),
                ("cf-connecting-ip", "unknown"),
            ],
            fail("client_header_invalid"),
        ),
        (
            "own proxies between Cloudflare and the ALB are walked past",
            cf_own,
            vec![
                ("x-forwarded-for", &via_own_proxy),
                ("cf-connecting-ip", VISITOR),
            ],
            ok(VISITOR, 2),
        ),
        (
            "own proxies behind CloudFront behind Cloudflare are walked past",
            cf_all,
            vec![("x-forwarded-for", &via_all), ("cf-connecting-ip", VISITOR)],
            ok(VISITOR, 3),
        ),
        (
            "Fail: CloudFront-Viewer-Address naming a Cloudflare edge is a trusted proxy",
            viewer.clone(),
            vec![
                ("x-forwarded-for", &through_both),
                ("cloudfront-viewer-address", &viewer_of_cloudflare),
            ],
            fail("client_header_trusted"),
        ),
        (
            "CloudFront-Viewer-Address of a visitor straight to CloudFront is believed",
            viewer,
            vec![
                ("x-forwarded-for", &format!("{VISITOR}, {CLOUDFRONT_EDGE}")),
                ("cloudfront-viewer-address", "198.51.100.7:46532"),
            ],
            ok(VISITOR, 1),
        ),
    ]);
}

#[test]
fn cloudflare_pseudo_ipv4_is_undone() {
    let cloudflare = Source::x_forwarded_for(ranges("cloudflare"));
    let through = format!("240.1.2.3, {CLOUDFLARE_EDGE}");
    let header = Source::header("cf-connecting-ip", ranges("cloudflare")).unwrap();
    run(vec![
        (
            "a class E entry Cloudflare delivered answers CF-Connecting-IPv6",
            cloudflare.clone(),
            vec![
                ("x-forwarded-for", &through),
                ("cf-connecting-ipv6", "2001:DB8::7"),
            ],
            ok("2001:db8::7", 1),
        ),
        (
            "Fail: a class E entry Cloudflare delivered, without CF-Connecting-IPv6",
            cloudflare.clone(),
            vec![("x-forwarded-for", &through)],
            fail("pseudo_ipv4_without_ipv6"),
        ),
        (
            "Fail: CF-Connecting-IPv6 holding IPv4 does not undo a Pseudo IPv4",
            cloudflare.clone(),
            vec![
                ("x-forwarded-for", &through),
                ("cf-connecting-ipv6", "192.0.2.1"),
            ],
            fail("cf_connecting_ipv6_invalid"),
        ),
        (
            "Fail: CF-Connecting-IPv6 twice does not undo a Pseudo IPv4",
            cloudflare.clone(),
            vec![
                ("x-forwarded-for", &through),
                ("cf-connecting-ipv6", "2001:db8::7"),
                ("cf-connecting-ipv6", "2001:db8::8"),
            ],
            fail("cf_connecting_ipv6_repeated"),
        ),
        (
            "Fail: CF-Connecting-IPv6 naming a trusted proxy",
            Source::x_forwarded_for(ranges("cloudflare, 2001:db8::/32")),
            vec![
                ("x-forwarded-for", &through),
                ("cf-connecting-ipv6", "2001:db8::7"),
            ],
            fail("client_header_trusted"),
        ),
        (
            "Fail: CF-Connecting-IPv6 naming a Cloudflare address",
            cloudflare.clone(),
            vec![
                ("x-forwarded-for", &through),
                ("cf-connecting-ipv6", "2400:cb00::1"),
            ],
            fail("client_header_trusted"),
        ),
        (
            "Fail: CF-Connecting-IPv6 holding a list",
            cloudflare.clone(),
            vec![
                ("x-forwarded-for", &through),
                ("cf-connecting-ipv6", "2001:db8::7, 2001:db8::8"),
            ],
            fail("cf_connecting_ipv6_repeated"),
        ),
        (
            "Fail: a class E entry not delivered by Cloudflare is invalid",
            Source::x_forwarded_for(ranges("cloudflare, 10.0.0.0/8")),
            vec![
                ("x-forwarded-for", "240.1.2.3, 10.0.0.1"),
                ("cf-connecting-ipv6", "2001:db8::7"),
            ],
            fail("invalid_entry"),
        ),
        (
            "a count reading a class E entry Cloudflare delivered answers CF-Connecting-IPv6",
            Source::x_forwarded_for(count(1)),
            vec![
                ("x-forwarded-for", &through),
                ("cf-connecting-ipv6", "2001:db8::7"),
            ],
            ok("2001:db8::7", 1),
        ),
        (
            "Fail: a count reading a class E entry another peer delivered",
            Source::x_forwarded_for(count(1)),
            vec![
                ("x-forwarded-for", "240.1.2.3, 203.0.113.9"),
                ("cf-connecting-ipv6", "2001:db8::7"),
            ],
            fail("invalid_entry"),
        ),
        (
            "Fail: a class E entry Cloudflare delivered, inside the trusted ranges, is invalid",
            Source::x_forwarded_for(ranges("cloudflare, 240.0.0.0/8")),
            vec![
                ("x-forwarded-for", &through),
                ("cf-connecting-ipv6", "2001:db8::7"),
            ],
            fail("invalid_entry"),
        ),
        (
            "header mode: a class E CF-Connecting-IP answers CF-Connecting-IPv6",
            header.clone(),
            vec![
                ("x-forwarded-for", &through),
                ("cf-connecting-ip", "240.1.2.3"),
                ("cf-connecting-ipv6", "2001:db8::7"),
            ],
            ok("2001:db8::7", 1),
        ),
        (
            "Fail: header mode: a class E CF-Connecting-IP without CF-Connecting-IPv6",
            header,
            vec![
                ("x-forwarded-for", &through),
                ("cf-connecting-ip", "240.1.2.3"),
            ],
            fail("pseudo_ipv4_without_ipv6"),
        ),
        (
            "Fail: header mode: a class E X-Real-IP from your proxy is invalid",
            Source::header("x-real-ip", ranges("10.0.0.0/8")).unwrap(),
            vec![
                ("x-forwarded-for", "240.1.2.3, 10.0.0.1"),
                ("x-real-ip", "240.1.2.3"),
                ("cf-connecting-ipv6", "2001:db8::7"),
            ],
            fail("client_header_invalid"),
        ),
    ]);
}

/// X-Forwarded-For as the ALB writes it behind an API Gateway VPC link: the link's address.
const LINK: (&str, &str) = ("x-forwarded-for", "10.0.1.17");

#[test]
fn forwarded_by_ranges() {
    let cloudflare = Source::forwarded(ranges("cloudflare"), VpcLink::AnyPrivateAddress).unwrap();
    let element = format!("for={VISITOR}, for={CLOUDFLARE_EDGE}");
    run(vec![
        (
            "a CDN in front of API Gateway: past the edge's element to the visitor",
            cloudflare.clone(),
            vec![LINK, ("forwarded", &element)],
            ok(VISITOR, 1),
        ),
        (
            "a caller around the CDN: its own element",
            cloudflare.clone(),
            vec![LINK, ("forwarded", &format!("for=6.6.6.6, for={ATTACKER}"))],
            ok(ATTACKER, 0),
        ),
        (
            "elements on two lines are one list",
            cloudflare.clone(),
            vec![
                LINK,
                ("forwarded", &format!("for={VISITOR}")),
                ("forwarded", &format!("for={CLOUDFLARE_EDGE};proto=https")),
            ],
            ok(VISITOR, 1),
        ),
        (
            "X-Forwarded-For left of the VPC link is not read",
            cloudflare.clone(),
            vec![
                ("forwarded", &element),
                ("x-forwarded-for", "6.6.6.6, 10.0.1.17"),
            ],
            ok(VISITOR, 1),
        ),
        (
            "a caller that reached the ALB around the VPC link: the walk of X-Forwarded-For",
            cloudflare.clone(),
            vec![
                ("forwarded", "for=6.6.6.6"),
                ("x-forwarded-for", &format!("6.6.6.6, {ATTACKER}")),
            ],
            ok(ATTACKER, 0),
        ),
        (
            "a caller that came through Cloudflare straight to the ALB: past the edge, not Forwarded",
            cloudflare.clone(),
            vec![
                ("forwarded", "for=6.6.6.6"),
                ("x-forwarded-for", &format!("{VISITOR},{CLOUDFLARE_EDGE}")),
            ],
            ok(VISITOR, 1),
        ),
        (
            "Fail: every element trusted",
            cloudflare.clone(),
            vec![LINK, ("forwarded", &format!("for={CLOUDFLARE_EDGE}"))],
            fail("all_trusted"),
        ),
        (
            "Fail: the walk reads an element that is not an address",
            cloudflare.clone(),
            vec![
                LINK,
                ("forwarded", &format!("for=unknown, for={CLOUDFLARE_EDGE}")),
            ],
            fail("invalid_entry"),
        ),
        (
            "Fail: no Forwarded header",
            cloudflare,
            vec![LINK],
            fail("client_header_missing"),
        ),
    ]);
}

#[test]
fn ipv6_forms_of_forwarded_and_cloudfront_viewer_address() {
    let forwarded = Source::forwarded(count(0), VpcLink::AnyPrivateAddress).unwrap();
    let viewer = Source::header("cloudfront-viewer-address", ranges("cloudfront")).unwrap();
    let via_cloudfront = format!("6.6.6.6, {CLOUDFRONT_EDGE}");
    let port = |source: &Source, pairs: &[(&str, &str)]| {
        source
            .resolve(&headers(pairs), Peer::Appended)
            .map(|c| (c.ip().to_string(), c.port()))
    };
    let v6 = |port| Ok(("2001:db8::7".to_owned(), port));
    type Want = Result<(String, Option<u16>), &'static str>;
    let cases: Vec<(&str, &Source, Pairs, Want)> = vec![
        (
            "Forwarded: quoted brackets",
            &forwarded,
            vec![LINK, ("forwarded", r#"for="[2001:db8::7]""#)],
            v6(None),
        ),
        (
            "Forwarded: quoted brackets with a port",
            &forwarded,
            vec![LINK, ("forwarded", r#"for="[2001:db8::7]:4711""#)],
            v6(Some(4711)),
        ),
        (
            "Forwarded: bare, unquoted",
            &forwarded,
            vec![LINK, ("forwarded", "for=2001:db8::7")],
            v6(None),
        ),
        (
            "Forwarded: bare, quoted",
            &forwarded,
            vec![LINK, ("forwarded", r#"for="2001:db8::7""#)],
            v6(None),
        ),
        (
            "Fail: Forwarded: bare with a port",
            &forwarded,
            vec![LINK, ("forwarded", r#"for="2001:db8:0:0:0:0:0:7:4711""#)],
            Err("invalid_entry"),
        ),
        (
            "CloudFront-Viewer-Address: bare IPv6 and port",
            &viewer,
            vec![
                ("x-forwarded-for", &via_cloudfront),
                ("cloudfront-viewer-address", "2001:db8::7:46532"),
            ],
            v6(Some(46532)),
        ),
        (
            "CloudFront-Viewer-Address: bracketed IPv6 and port",
            &viewer,
            vec![
                ("x-forwarded-for", &via_cloudfront),
                ("cloudfront-viewer-address", "[2001:db8::7]:46532"),
            ],
            v6(Some(46532)),
        ),
        (
            "CloudFront-Viewer-Address: IPv4 and port",
            &viewer,
            vec![
                ("x-forwarded-for", &via_cloudfront),
                ("cloudfront-viewer-address", "198.51.100.7:46532"),
            ],
            Ok(("198.51.100.7".to_owned(), Some(46532))),
        ),
        (
            "Fail: CloudFront-Viewer-Address without a port",
            &viewer,
            vec![
                ("x-forwarded-for", &via_cloudfront),
                ("cloudfront-viewer-address", "2001:db8::7"),
            ],
            Err("client_header_invalid"),
        ),
        (
            "Fail: CloudFront-Viewer-Address bracketed without a port",
            &viewer,
            vec![
                ("x-forwarded-for", &via_cloudfront),
                ("cloudfront-viewer-address", "[2001:db8::7]"),
            ],
            Err("client_header_invalid"),
        ),
    ];
    for (name, source, pairs, want) in cases {
        let got = port(source, &pairs).map_err(|e| e.code());
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn the_peer_is_position_zero() {
    let socket = |ip: &str| Peer::Socket(ip.parse::<IpAddr>().unwrap());
    let reported = |ip: &str| Peer::AppendedAndReported(ip.parse::<IpAddr>().unwrap());
    let alb_subnets = Source::x_forwarded_for(ranges("10.0.0.0/16"));
    let cases: Vec<(&str, Source, Pairs, Peer, Answer)> = vec![
        (
            "the socket's peer is the client, whatever the chain says",
            Source::default(),
            vec![("x-forwarded-for", "6.6.6.6")],
            socket("192.0.2.1"),
            ok("192.0.2.1", 0),
        ),
        (
            "the socket's peer without a chain",
            Source::default(),
            vec![],
            socket("192.0.2.1"),
            ok("192.0.2.1", 0),
        ),
        (
            "an IPv4-mapped socket peer is answered as IPv4",
            Source::default(),
            vec![],
            socket("::ffff:192.0.2.1"),
            ok("192.0.2.1", 0),
        ),
        (
            "count 1 reads the chain's last entry at position 1",
            Source::x_forwarded_for(count(1)),
            vec![("x-forwarded-for", "6.6.6.6, 203.0.113.9")],
            socket("10.0.0.7"),
            ok("203.0.113.9", 1),
        ),
        (
            "behind an ALB on ECS, its subnets are walked past",
            alb_subnets.clone(),
            vec![("x-forwarded-for", "6.6.6.6, 203.0.113.9")],
            socket("10.0.1.7"),
            ok("203.0.113.9", 1),
        ),
        (
            "a caller around the ALB is its own socket",
            alb_subnets.clone(),
            vec![("x-forwarded-for", "6.6.6.6")],
            socket("198.51.100.9"),
            ok("198.51.100.9", 0),
        ),
        (
            "Fail: behind a trusted socket peer, no chain",
            alb_subnets,
            vec![],
            socket("10.0.1.7"),
            fail("all_trusted"),
        ),
        (
            "Fail: an unspecified socket peer is invalid",
            Source::default(),
            vec![],
            socket("0.0.0.0"),
            fail("invalid_entry"),
        ),
        (
            "Fail: count 1 with a socket and no chain",
            Source::x_forwarded_for(count(1)),
            vec![],
            socket("10.0.0.7"),
            fail("chain_too_short"),
        ),
        (
            "a reported peer stands in without a chain",
            Source::default(),
            vec![],
            reported("192.0.2.1"),
            ok("192.0.2.1", 0),
        ),
        (
            "a reported peer is not read when there is a chain",
            Source::default(),
            vec![("x-forwarded-for", "203.0.113.9")],
            reported("192.0.2.1"),
            ok("203.0.113.9", 0),
        ),
        (
            "the worked example at count 0: the last entry, not sourceIp",
            Source::default(),
            vec![(
                "x-forwarded-for",
                "203.0.113.195, 70.41.3.18, 150.172.238.178",
            )],
            reported("70.41.3.18"),
            ok("150.172.238.178", 0),
        ),
        (
            "the worked example at count 2: the client",
            Source::x_forwarded_for(count(2)),
            vec![(
                "x-forwarded-for",
                "203.0.113.195, 70.41.3.18, 150.172.238.178",
            )],
            reported("70.41.3.18"),
            ok("203.0.113.195", 2),
        ),
        (
            "Fail: appended, with no chain, is no address",
            Source::default(),
            vec![],
            Peer::Appended,
            fail("no_client_address"),
        ),
        (
            "Forwarded: the socket is the VPC link that wrote the elements",
            Source::forwarded(count(1), VpcLink::AnyPrivateAddress).unwrap(),
            vec![("forwarded", "for=203.0.113.9, for=192.0.2.1")],
            socket("10.0.0.7"),
            ok("203.0.113.9", 1),
        ),
        (
            "Forwarded: a public socket peer is never the VPC link: its own address",
            Source::forwarded(count(1), VpcLink::AnyPrivateAddress).unwrap(),
            vec![("forwarded", "for=203.0.113.9, for=192.0.2.1")],
            socket("198.51.100.66"),
            ok("198.51.100.66", 0),
        ),
        (
            "Forwarded: a reported peer is never an element",
            Source::forwarded(count(0), VpcLink::AnyPrivateAddress).unwrap(),
            vec![LINK, ("forwarded", "for=203.0.113.9")],
            reported("10.0.0.7"),
            ok("203.0.113.9", 0),
        ),
    ];
    let mut wrong = Vec::new();
    for (name, source, pairs, peer, want) in cases {
        let got = answer(&source, &pairs, peer);
        if got != want {
            wrong.push(format!("{name}: got {got:?}, want {want:?}"));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn the_typed_constructors_refuse_what_the_text_refuses() {
    let headers = [
        "x-real-ip",
        "true-client-ip",
        "cf-connecting-ip",
        "CF_CONNECTING_IP",
        "cf-connecting-ipv6",
        "cloudfront-viewer-address",
        "fastly-client-ip",
        "x_forwarded_for",
        "x real ip",
    ];
    let cidrs = [
        "10.0.0.0/8",
        "cloudfront",
        "cloudflare",
        "fastly",
        "10.0.0.0/8, cloudflare",
    ];
    // (`x-forwarded-for` itself is the chain mode in the text, refused as a header name.)
    assert!(Source::header("x-forwarded-for", ranges("10.0.0.0/8")).is_err());
    for name in headers {
        for list in cidrs {
            let text = lookup(&[("CLIENT_IP_HEADER", name), ("TRUSTED_PROXY_CIDRS", list)]);
            let typed = Source::header(name, ranges(list));
            assert_eq!(
                text.is_ok(),
                typed.is_ok(),
                "{name} with {list}: {text:?} {typed:?}"
            );
        }
        // No ranges: refused both ways.
        assert!(
            Source::header(name, TrustedRanges::default()).is_err(),
            "{name}"
        );
        assert!(lookup(&[("CLIENT_IP_HEADER", name)]).is_err(), "{name}");
    }
    let empty = VpcLink::Subnets(TrustedRanges::default());
    assert!(Source::forwarded(count(0), empty).is_err());
    assert!(TrustedRanges::try_from(lambda_client_ip::Preset::GlobalAccelerator).is_err());
    assert!("globalaccelerator".parse::<TrustedRanges>().is_err());
}

#[test]
fn the_vpc_link_subnets_bind_forwarded_tightly() {
    let source = lookup(&[
        ("CLIENT_IP_HEADER", "forwarded"),
        ("TRUSTED_PROXY_COUNT", "0"),
        ("VPC_LINK_CIDRS", "10.0.1.0/24"),
    ])
    .unwrap();
    let forged = ("forwarded", "for=6.6.6.6");
    let cases: Vec<(&str, Pairs, Answer)> = vec![
        (
            "the VPC link delivered it: the element API Gateway appended",
            vec![("forwarded", "for=203.0.113.9"), LINK],
            ok("203.0.113.9", 0),
        ),
        (
            "another machine of the VPC: its own address",
            vec![forged, ("x-forwarded-for", "10.0.2.5")],
            ok("10.0.2.5", 0),
        ),
        (
            "a public caller: its own address",
            vec![forged, ("x-forwarded-for", "198.51.100.66")],
            ok("198.51.100.66", 0),
        ),
        (
            "a public IPv6 caller: its own address",
            vec![forged, ("x-forwarded-for", "2001:db8::66")],
            ok("2001:db8::66", 0),
        ),
        (
            "Fail: no X-Forwarded-For at all",
            vec![forged],
            fail("no_client_address"),
        ),
    ];
    for (name, pairs, want) in cases {
        assert_eq!(answer(&source, &pairs, Peer::Appended), want, "{name}");
    }
    // With the opt-in any private peer is the writer, and a public one never is.
    let loose = lookup(&[
        ("CLIENT_IP_HEADER", "forwarded"),
        ("TRUSTED_PROXY_COUNT", "1"),
        ("VPC_LINK_CIDRS", "any-private-address-insiders-can-forge"),
    ])
    .unwrap();
    let pairs = vec![
        ("forwarded", "for=203.0.113.9, for=192.0.2.1"),
        ("x-forwarded-for", "10.0.2.5"),
    ];
    assert_eq!(answer(&loose, &pairs, Peer::Appended), ok("203.0.113.9", 1));
    let pairs = vec![
        ("forwarded", "for=203.0.113.9, for=192.0.2.1"),
        ("x-forwarded-for", "7.7.7.7, 198.51.100.66"),
    ];
    assert_eq!(
        answer(&loose, &pairs, Peer::Appended),
        ok("198.51.100.66", 0)
    );
}
