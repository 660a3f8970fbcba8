//! `Source::explain`: bounded whatever the request holds, its counts read by the same walk as
//! `Source::resolve`, what it reads in header and Forwarded modes, and what it makes of the front
//! door's peer.

// A test crate: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use http::{HeaderMap, HeaderName, HeaderValue};
use lambda_client_ip::{
    Binding, ClientIp, CountAnswer, EXPLAINED_POSITIONS, FrontDoorPeer, Peer, Preset, ProxyCount,
    ResolveError, Source, Suggestion, TrustedRanges, VpcLink,
};

/// What explain must say for a count that resolves to `result`.
fn expected(result: Result<ClientIp, ResolveError>) -> CountAnswer {
    match result {
        Ok(client) => CountAnswer::ClientIp(client.ip()),
        Err(e) => CountAnswer::Refused(e),
    }
}

fn proxy_count(n: usize) -> ProxyCount {
    ProxyCount::new(u8::try_from(n).unwrap()).unwrap()
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        let name = HeaderName::from_bytes(name.as_bytes()).unwrap();
        headers.append(name, HeaderValue::from_str(value).unwrap());
    }
    headers
}

fn ranges(list: &str) -> TrustedRanges {
    list.parse().unwrap()
}

#[test]
fn a_chain_of_8000_entries_is_explained_in_bounded_space() {
    // Each entry as long as a quoted entry may be, and then some.
    let long = format!("{}x", "9".repeat(100));
    let entries: Vec<String> = (0..8000)
        .map(|i| {
            if i % 2 == 0 {
                long.clone()
            } else {
                format!("198.51.{}.{}", i % 200, i % 250)
            }
        })
        .collect();
    let request = headers(&[("x-forwarded-for", &entries.join(", "))]);
    for source in [
        Source::default(),
        Source::x_forwarded_for(ranges("10.0.0.0/8")),
    ] {
        let e = source.explain(&request, Peer::Appended);
        assert_eq!(e.hops.len(), EXPLAINED_POSITIONS, "{source}");
        assert_eq!(e.more, 8000 - EXPLAINED_POSITIONS, "{source}");
        assert_eq!(e.counts.len(), 31, "{source}: counts 0 to 30");
        let positions: Vec<usize> = e.hops.iter().map(|h| h.position).collect();
        assert_eq!(positions, (0..EXPLAINED_POSITIONS).collect::<Vec<_>>());
        assert!(
            e.hops.iter().all(|h| h.entry.chars().count() <= 64),
            "entries are cut"
        );
        let debug = format!("{e:?}");
        assert!(
            debug.len() < 16_000,
            "{source}: Debug is {} bytes",
            debug.len()
        );
        #[cfg(feature = "serde")]
        {
            let json = serde_json::to_string(&e).unwrap();
            assert!(
                json.len() < 16_000,
                "{source}: JSON is {} bytes",
                json.len()
            );
        }
    }
}

/// Chains whose counts answer every way: addresses, invalid entries, too short.
fn chains() -> Vec<HeaderMap> {
    let xff = |v: &str| headers(&[("x-forwarded-for", v)]);
    vec![
        HeaderMap::new(),
        xff("203.0.113.195, 70.41.3.18, 150.172.238.178"),
        xff("6.6.6.6, unknown, 203.0.113.9:443, 130.176.0.12"),
        xff("240.1.2.3, 104.16.0.1"),
        headers(&[
            ("x-forwarded-for", "240.1.2.3, 104.16.0.1"),
            ("cf-connecting-ipv6", "2001:db8::7"),
        ]),
        headers(&[
            ("x-forwarded-for", "1.1.1.1, 2.2.2.2"),
            ("x-forwarded-for", "10.0.0.1"),
        ]),
        xff(&(1..=40)
            .map(|i| format!("198.51.100.{i}"))
            .collect::<Vec<_>>()
            .join(",")),
        xff(""),
    ]
}

#[test]
fn counts_agree_with_resolve_for_every_count() {
    let peers = [
        Peer::Appended,
        Peer::Socket("10.0.0.9".parse().unwrap()),
        Peer::AppendedAndReported("192.0.2.5".parse().unwrap()),
    ];
    for request in chains() {
        for peer in peers {
            let e = Source::default().explain(&request, peer);
            let listed = e.hops.len().min(31);
            assert_eq!(e.counts.len(), listed, "{request:?} {peer:?}");
            for (n, answer) in e.counts.iter().enumerate() {
                let want = Source::x_forwarded_for(proxy_count(n)).resolve(&request, peer);
                assert_eq!(*answer, expected(want), "{request:?} {peer:?} count {n}");
            }
        }
    }
}

#[test]
fn header_mode_reads_the_header_and_lists_its_values() {
    let source = Source::header("CF-Connecting-IP", ranges("cloudflare")).unwrap();
    let request = headers(&[
        ("x-forwarded-for", "198.51.100.7, 104.16.0.1"),
        ("cf-connecting-ip", "198.51.100.7"),
    ]);
    let e = source.explain(&request, Peer::Appended);
    assert_eq!(e.reads, "cf-connecting-ip");
    assert_eq!(e.header_values, ["198.51.100.7"]);
    // The hops are X-Forwarded-For's, the Cloudflare edge trusted.
    assert_eq!(e.hops.len(), 2);
    assert_eq!(e.hops[0].entry, "104.16.0.1");
    assert!(e.hops[0].trusted);
    assert_eq!(e.hops[0].presets, [Preset::Cloudflare]);
    assert!(!e.hops[1].trusted);
    assert_eq!(e.peer, FrontDoorPeer::Cdn(Preset::Cloudflare));
    // A value with a C1 control is listed escaped.
    let request = headers(&[
        ("x-forwarded-for", "104.16.0.1"),
        ("cf-connecting-ip", "1.2.3.4\u{85}"),
    ]);
    let e = source.explain(&request, Peer::Appended);
    assert_eq!(e.header_values, ["1.2.3.4\\u{85}"]);
    // X-Forwarded-For mode lists no header values.
    let e = Source::default().explain(&request, Peer::Appended);
    assert_eq!(e.reads, "x-forwarded-for");
    assert!(e.header_values.is_empty());
}

#[test]
fn forwarded_mode_explains_elements_by_the_same_walk() {
    let requests = [
        headers(&[
            (
                "forwarded",
                r#"for=6.6.6.6, for="[2001:db8::7]:4711";proto=https, for=104.16.0.1"#,
            ),
            ("x-forwarded-for", "10.0.0.1"),
        ]),
        headers(&[
            ("forwarded", "for=unknown, for=192.0.2.1"),
            ("forwarded", "for=192.0.2.2"),
            ("x-forwarded-for", "10.0.0.2"),
        ]),
        headers(&[("x-forwarded-for", "10.0.0.1")]),
    ];
    for request in &requests {
        let e = Source::forwarded(ProxyCount::default(), VpcLink::AnyPrivateAddress)
            .unwrap()
            .explain(request, Peer::Appended);
        assert_eq!(e.reads, "forwarded");
        assert_eq!(e.binding, Binding::Held(0));
        let elements: usize = request
            .get_all("forwarded")
            .iter()
            .map(|v| v.to_str().unwrap().split(", for").count())
            .sum();
        assert_eq!(e.hops.len(), elements, "{request:?}");
        assert!(
            e.hops.iter().all(|h| h.entry.starts_with("for=")),
            "{:?}",
            e.hops
        );
        assert_eq!(e.counts.len(), e.hops.len().min(31));
        for (n, answer) in e.counts.iter().enumerate() {
            let want = Source::forwarded(proxy_count(n), VpcLink::AnyPrivateAddress)
                .unwrap()
                .resolve(request, Peer::Appended);
            assert_eq!(*answer, expected(want), "{request:?} count {n}");
        }
        // The front door's peer is still X-Forwarded-For's position 0.
        assert_eq!(e.peer, FrontDoorPeer::Private, "{request:?}");
    }
    let e = Source::forwarded(ranges("cloudflare"), VpcLink::AnyPrivateAddress)
        .unwrap()
        .explain(&requests[0], Peer::Appended);
    assert_eq!(e.hops[0].address, "104.16.0.1".parse().ok());
    assert!(e.hops[0].trusted);
    assert_eq!(
        (e.hops[1].address, e.hops[1].port),
        ("2001:db8::7".parse().ok(), Some(4711))
    );
    assert!(!e.hops[1].trusted);
}

#[test]
fn the_front_door_peer_is_classified() {
    let cases = [
        (
            "a CloudFront origin-facing address is CloudFront",
            "130.176.0.12",
            FrontDoorPeer::Cdn(Preset::CloudFront),
        ),
        (
            "a Cloudflare edge is Cloudflare",
            "104.16.0.1",
            FrontDoorPeer::Cdn(Preset::Cloudflare),
        ),
        (
            "a Fastly edge is Fastly",
            "151.101.1.1",
            FrontDoorPeer::Cdn(Preset::Fastly),
        ),
        (
            "a Global Accelerator edge is Global Accelerator",
            "99.83.109.1",
            FrontDoorPeer::GlobalAccelerator,
        ),
        (
            "a Global Accelerator IPv6 edge is Global Accelerator",
            "2600:1f01:4874::1",
            FrontDoorPeer::GlobalAccelerator,
        ),
        (
            "a link-local address is VPC Lattice",
            "169.254.171.5",
            FrontDoorPeer::Lattice,
        ),
        (
            "a private address is private",
            "10.0.0.5",
            FrontDoorPeer::Private,
        ),
        (
            "a shared address (100.64.0.0/10) is private",
            "100.64.0.9",
            FrontDoorPeer::Private,
        ),
        (
            "a unique local IPv6 address is private",
            "fd00::5",
            FrontDoorPeer::Private,
        ),
        (
            "a public address is public",
            "203.0.113.9",
            FrontDoorPeer::Public,
        ),
        (
            "an entry that is no address is missing",
            "unknown",
            FrontDoorPeer::Missing,
        ),
    ];
    for (name, peer, want) in cases {
        let request = headers(&[("x-forwarded-for", &format!("198.51.100.7, {peer}"))]);
        let e = Source::default().explain(&request, Peer::Appended);
        assert_eq!(e.peer, want, "{name}");
        if matches!(
            want,
            FrontDoorPeer::GlobalAccelerator | FrontDoorPeer::Missing
        ) {
            assert_eq!(e.suggestion, None, "{name}: no setting finds a client");
        }
    }
    let e = Source::default().explain(&HeaderMap::new(), Peer::Appended);
    assert_eq!(e.peer, FrontDoorPeer::Missing);
    let socket = Peer::Socket("10.0.0.5".parse().unwrap());
    assert_eq!(
        Source::default().explain(&HeaderMap::new(), socket).peer,
        FrontDoorPeer::Private
    );
}

/// A suggestion's items as a trusted-ranges list: the proxies, then the presets.
fn trusted(s: &Suggestion) -> Vec<String> {
    let proxies = s.proxies.iter().map(ToString::to_string);
    proxies
        .chain(s.presets.iter().map(ToString::to_string))
        .collect()
}

#[test]
fn suggestions_read_the_topology_off_the_chain() {
    /// A case: its name, the chain, the items to trust, the count, the client.
    type Case<'a> = (&'a str, &'a str, &'a [&'a str], usize, &'a str);
    let cases: &[Case] = &[
        (
            "clients direct: nothing to trust",
            "6.6.6.6, 203.0.113.9",
            &[],
            0,
            "203.0.113.9",
        ),
        (
            "through CloudFront",
            "6.6.6.6, 203.0.113.9, 130.176.0.12",
            &["cloudfront"],
            1,
            "203.0.113.9",
        ),
        (
            "through Cloudflare and CloudFront",
            "198.51.100.7, 104.16.0.1, 130.176.0.12",
            &["cloudfront", "cloudflare"],
            2,
            "198.51.100.7",
        ),
        (
            "behind a proxy of yours",
            "198.51.100.7, 10.0.0.5",
            &["10.0.0.5"],
            1,
            "198.51.100.7",
        ),
        (
            "behind a proxy of yours behind CloudFront",
            "198.51.100.7, 130.176.0.12, 10.0.0.5",
            &["10.0.0.5", "cloudfront"],
            2,
            "198.51.100.7",
        ),
    ];
    for (name, chain, trust, count, client) in cases {
        let e = Source::default().explain(&headers(&[("x-forwarded-for", chain)]), Peer::Appended);
        let suggestion = e.suggestion.unwrap();
        assert_eq!(trusted(&suggestion), *trust, "{name}");
        assert_eq!(suggestion.count, *count, "{name}");
        let client = CountAnswer::ClientIp(client.parse().unwrap());
        assert_eq!(suggestion.answer, client, "{name}");
    }
}

#[test]
fn forwarded_mode_names_the_hop_that_failed_the_binding() {
    // A caller that reached the ALB directly: its Forwarded is not the VPC link's.
    let request = headers(&[
        ("forwarded", "for=6.6.6.6"),
        ("x-forwarded-for", "198.51.100.66"),
    ]);
    let source = Source::forwarded(ProxyCount::default(), VpcLink::AnyPrivateAddress).unwrap();
    let e = source.explain(&request, Peer::Appended);
    assert_eq!(e.binding, Binding::Failed(0));
    assert_eq!(e.reads, "x-forwarded-for");
    assert_eq!(e.hops[0].address, "198.51.100.66".parse().ok());
    let answer = source.resolve(&request, Peer::Appended).unwrap();
    assert_eq!(answer.to_string(), "198.51.100.66");
}

/// The suggestion explain makes for `request` from `peer` under the default setting.
fn suggested(request: &HeaderMap, peer: Peer) -> Suggestion {
    let e = Source::default().explain(request, peer);
    e.suggestion
        .unwrap_or_else(|| panic!("no suggestion for {request:?}"))
}

#[test]
fn a_pseudo_ipv4_suggestion_promises_the_visitors_ipv6_address() {
    // The walk reads CF-Connecting-IPv6 for a Pseudo IPv4 that Cloudflare wrote: so does the
    // suggestion, which once said Cloudflare's setting "answers no client address".
    let request = headers(&[
        ("x-forwarded-for", "254.252.239.103,104.16.0.1"),
        ("cf-connecting-ipv6", "2001:db8:85a3::8a2e:370:7334"),
    ]);
    let s = suggested(&request, Peer::Appended);
    assert_eq!((s.presets, s.count), (vec![Preset::Cloudflare], 1));
    let visitor = "2001:db8:85a3::8a2e:370:7334".parse().unwrap();
    assert_eq!(s.answer, CountAnswer::ClientIp(visitor));
    // Without the IPv6 header the same setting refuses, and the suggestion says so.
    let request = headers(&[("x-forwarded-for", "254.252.239.103,104.16.0.1")]);
    let s = suggested(&request, Peer::Appended);
    let refused =
        matches!(&s.answer, CountAnswer::Refused(e) if e.code() == "pseudo_ipv4_without_ipv6");
    assert!(refused, "{:?}", s.answer);
}

#[test]
fn an_edge_optimized_rest_api_is_read_left_of_the_edge_its_door_reported_past() {
    // AWS's sample: the edge is outside the origin-facing preset, and API Gateway reports the
    // viewer as sourceIp. The default (count 0) would answer the edge.
    let request = headers(&[("x-forwarded-for", "54.240.196.186, 54.182.214.83")]);
    let reported = Peer::AppendedAndReported("54.240.196.186".parse().unwrap());
    let s = suggested(&request, reported);
    assert!(trusted(&s).is_empty(), "{s:?}");
    assert_eq!(s.count, 1);
    assert_eq!(
        s.answer,
        CountAnswer::ClientIp("54.240.196.186".parse().unwrap())
    );
    // A regional API reports its caller at position 0: nothing further to read.
    let regional = Peer::AppendedAndReported("54.182.214.83".parse().unwrap());
    assert_eq!(suggested(&request, regional).count, 0);
}

#[test]
fn a_forwarded_request_suggests_the_vpc_link_that_delivered_it() {
    let forwarded = "for=6.6.6.6;proto=https, for=203.0.113.195;host=api.example.com;proto=https";
    // A private peer, a public one, and one in 198.18.0.0/15: a VPC may be numbered from any.
    for link in ["10.0.12.34", "52.95.110.7", "198.18.4.5"] {
        let request = headers(&[("forwarded", forwarded), ("x-forwarded-for", link)]);
        let s = suggested(&request, Peer::Appended);
        assert_eq!(s.vpc_link, link.parse().ok(), "{link}");
        assert_eq!((trusted(&s).len(), s.count), (0, 0), "{link}");
        let client = CountAnswer::ClientIp("203.0.113.195".parse().unwrap());
        assert_eq!(s.answer, client, "{link}");
        // The setting named, applied: the answer promised.
        let subnets = VpcLink::Subnets(ranges(link));
        let source = Source::forwarded(ProxyCount::default(), subnets).unwrap();
        assert_eq!(expected(source.resolve(&request, Peer::Appended)), s.answer);
    }
    // A CDN in front of the API: its element is walked past by its preset.
    let request = headers(&[
        ("forwarded", "for=203.0.113.195, for=172.70.1.5"),
        ("x-forwarded-for", "10.0.12.34"),
    ]);
    let s = suggested(&request, Peer::Appended);
    assert_eq!((trusted(&s), s.count), (vec!["cloudflare".to_owned()], 1));
}

#[test]
fn reads_names_x_forwarded_for_when_the_headers_binding_fails() {
    // CF-Connecting-IP from a caller that went around Cloudflare: the answer is its own address,
    // read from X-Forwarded-For, never the header it forged.
    let source = Source::header("cf-connecting-ip", ranges("cloudflare")).unwrap();
    let request = headers(&[
        ("x-forwarded-for", "198.51.100.66"),
        ("cf-connecting-ip", "6.6.6.6"),
    ]);
    let e = source.explain(&request, Peer::Appended);
    assert_eq!(e.binding, Binding::Failed(0));
    assert_eq!(e.reads, "x-forwarded-for");
    assert_eq!(e.header_values, ["6.6.6.6"]);
    let answer = source.resolve(&request, Peer::Appended).unwrap();
    assert_eq!(answer.to_string(), "198.51.100.66");
    // Through Cloudflare the header is read.
    let request = headers(&[
        ("x-forwarded-for", "6.6.6.6, 104.16.0.1"),
        ("cf-connecting-ip", "198.51.100.7"),
    ]);
    let e = source.explain(&request, Peer::Appended);
    assert_eq!(
        (e.binding, e.reads.as_str()),
        (Binding::Held(0), "cf-connecting-ip")
    );
}

#[test]
fn values_are_listed_as_sent_with_control_characters_escaped() {
    let source = Source::forwarded(ProxyCount::default(), VpcLink::AnyPrivateAddress).unwrap();
    let request = headers(&[
        ("forwarded", r#"for="[2001:db8::7]:4711";by="a\b""#),
        ("x-forwarded-for", "10.0.0.1"),
    ]);
    let e = source.explain(&request, Peer::Appended);
    assert_eq!(e.hops[0].entry, r#"for="[2001:db8::7]:4711";by="a\b""#);
    // A tab, a line separator and a C1 control: the bytes an HTTP value can carry.
    let raw = HeaderValue::from_bytes("1.2.3.4\t\u{2028}\u{85}x".as_bytes()).unwrap();
    let mut request = HeaderMap::new();
    request.insert("x-forwarded-for", raw);
    let e = Source::default().explain(&request, Peer::Appended);
    let entry = &e.hops[0].entry;
    assert!(
        !entry.chars().any(|c| c.is_control() || c == '\u{2028}'),
        "{entry:?}"
    );
    assert_eq!(entry, r"1.2.3.4\t\u{2028}\u{85}x");
}
