//! The library's resolver, `Source::resolve`, on a `HeaderMap` built from fuzzer bytes: any
//! source (X-Forwarded-For, Forwarded or a single-address header, by count or by ranges with the
//! CDN presets among them), any peer, X-Forwarded-For and Forwarded lines of entries in the forms
//! proxies write, a single-address header value and a CF-Connecting-IPv6 value.
//!
//! Oracles: an answer re-parses to itself (canonical, never IPv4-mapped); it is never class E,
//! multicast or unspecified; it is never inside the trusted ranges; fed back as a one-entry
//! X-Forwarded-For it is the answer again (with no proxy, and under the same ranges); a count
//! answers position N of the chain it reads; a line of forged entries prepended on the left
//! changes neither an answer nor the refusal of an entry the source had to read; and
//! `Source::explain` is bounded, its binding of `Forwarded` is the one decided from the input
//! (held when position 0 is private, failed otherwise) and, under a count, what it says that
//! count answers is the answer. Any bytes, parsed as a single entry, are either refused or an address that re-parses
//! to itself.
#![no_main]

use std::net::IpAddr;

use alb_client_ip_fuzz::{Entry, Reads, SourceInput, line};
use arbitrary::Arbitrary;
use http::{HeaderMap, HeaderValue};
use lambda_client_ip::{
    Binding, CountAnswer, EXPLAINED_POSITIONS, Peer, ResolveError, Source, TrustPolicy, parse_entry,
};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum PeerInput {
    Appended,
    Reported(IpAddr),
    Socket(IpAddr),
}

#[derive(Arbitrary, Debug)]
struct Input {
    source: SourceInput,
    peer: PeerInput,
    /// X-Forwarded-For lines: entries, joined tightly or not.
    xff: Vec<(Vec<Entry>, bool)>,
    /// Forwarded lines: each entry as a `for=` element, quoted or not.
    forwarded: Vec<(Vec<(Entry, bool)>, bool)>,
    /// The single-address header's value, when the source reads one.
    header: Option<Entry>,
    cf_connecting_ipv6: Option<Entry>,
    /// Entries prepended on the left of the chain the source reads.
    forged: Vec<Entry>,
    raw: Vec<u8>,
}

fn forwarded_line(elements: &[(Entry, bool)], tight: bool) -> String {
    let element = |(e, quoted): &(Entry, bool)| match quoted {
        true => format!("for=\"{}\"", e.render()),
        false => format!("for={}", e.render()),
    };
    let sep = if tight { "," } else { ", " };
    elements.iter().map(element).collect::<Vec<_>>().join(sep)
}

/// Appends `text` as a value of `name`, when it can be a header value at all.
fn append(headers: &mut HeaderMap, name: &'static str, text: &str) {
    if let Ok(value) = HeaderValue::from_str(text) {
        headers.append(name, value);
    }
}

fn one_entry(ip: IpAddr) -> HeaderMap {
    let mut headers = HeaderMap::new();
    append(&mut headers, "x-forwarded-for", &ip.to_string());
    headers
}

fuzz_target!(|input: Input| {
    // Any bytes as one entry.
    if let Some((ip, _port)) = parse_entry(&input.raw) {
        assert_eq!(ip, ip.to_canonical());
        assert_eq!(
            parse_entry(ip.to_string().as_bytes()),
            Some((ip, None)),
            "{:?}",
            input.raw
        );
    }

    let source = input.source.source();
    let peer = match input.peer {
        PeerInput::Appended => Peer::Appended,
        PeerInput::Reported(ip) => Peer::AppendedAndReported(ip),
        PeerInput::Socket(ip) => Peer::Socket(ip),
    };
    let xff: Vec<String> = input.xff.iter().map(|(e, t)| line(e, *t)).collect();
    let forwarded: Vec<String> = input
        .forwarded
        .iter()
        .map(|(e, t)| forwarded_line(e, *t))
        .collect();
    let build = |forged_xff: Option<&str>, forged_forwarded: Option<&str>| {
        let mut headers = HeaderMap::new();
        for text in forged_xff.into_iter().chain(xff.iter().map(String::as_str)) {
            append(&mut headers, "x-forwarded-for", text);
        }
        for text in forged_forwarded
            .into_iter()
            .chain(forwarded.iter().map(String::as_str))
        {
            append(&mut headers, "forwarded", text);
        }
        let value = input
            .header
            .as_ref()
            .and_then(|v| HeaderValue::from_str(&v.render()).ok());
        if let (Some(name), Some(value)) = (source.header_name(), value) {
            headers.append(name.clone(), value);
        }
        if let Some(v6) = &input.cf_connecting_ipv6 {
            append(&mut headers, "cf-connecting-ipv6", &v6.render());
        }
        headers
    };
    let headers = build(None, None);
    let got = source.resolve(&headers, peer);
    // A `Forwarded` whose VPC link did not deliver the request is not read: X-Forwarded-For
    // answers, under a count its position 0 (the caller's own address). Whether the VPC link
    // delivered it is decided here from the input, not asked of the code under test.
    let delivered = vpc_link_delivered(&headers, peer);
    let count = |n: u8| match reads_forwarded(&input) && !delivered {
        true => 0,
        false => usize::from(n),
    };

    if let Ok(client) = got {
        let ip = client.ip();
        let text = client.to_string();
        assert_eq!(
            parse_entry(text.as_bytes()),
            Some((ip, None)),
            "the answer re-parses"
        );
        assert_eq!(ip, ip.to_canonical(), "canonical: {text}");
        let class_e = matches!(ip, IpAddr::V4(v4) if v4.octets()[0] >= 240);
        assert!(
            !(class_e || ip.is_multicast() || ip.is_unspecified()),
            "{text}"
        );
        if let Some(ranges) = source.trusted_ranges() {
            assert!(!ranges.contains(ip), "answered trusted {text}");
            let again =
                Source::x_forwarded_for(ranges.clone()).resolve(&one_entry(ip), Peer::Appended);
            assert_eq!(
                again.map(|c| c.ip()),
                Ok(ip),
                "fed back under the same ranges"
            );
        }
        let fed_back = Source::default().resolve(&one_entry(ip), Peer::Appended);
        assert_eq!(fed_back.map(|c| c.ip()), Ok(ip), "fed back with no proxy");
        if let (TrustPolicy::Count(n), None) = (input.source.policy.policy(), source.header_name())
        {
            assert_eq!(client.position(), count(n.get()), "{text}");
        }
    }

    // Anti-spoofing: a line of forged entries on the left of the chain the source reads changes
    // neither an answer nor the refusal of an entry it had to read. (Without X-Forwarded-For a
    // reported peer is a chain of one: prepending one would replace it, so that case is left.)
    let reads_forwarded = reads_forwarded(&input);
    let reported_alone =
        matches!(peer, Peer::AppendedAndReported(_)) && !headers.contains_key("x-forwarded-for");
    let kept = matches!(got, Ok(_) | Err(ResolveError::InvalidEntry { .. }));
    let has_chain = reads_forwarded
        || headers.contains_key("x-forwarded-for")
        || matches!(peer, Peer::Socket(_));
    if kept && !reported_alone && has_chain {
        let after = if reads_forwarded {
            let forged: Vec<(Entry, bool)> =
                input.forged.iter().map(|e| (e.clone(), true)).collect();
            source.resolve(&build(None, Some(&forwarded_line(&forged, false))), peer)
        } else {
            source.resolve(&build(Some(&line(&input.forged, false)), None), peer)
        };
        // A forged line that is not a header value was never added: the same map.
        assert_eq!(got, after, "prepending changed the answer");
    }

    // Explain: bounded, its binding the one worked out from the input, and under a count it
    // agrees with the answer.
    let explained = source.explain(&headers, peer);
    if reads_forwarded {
        let want = if delivered {
            Binding::Held(0)
        } else {
            Binding::Failed(0)
        };
        assert_eq!(explained.binding, want, "explain's binding");
    }
    assert!(explained.hops.len() <= EXPLAINED_POSITIONS);
    assert!(explained.counts.len() <= 31);
    if let (TrustPolicy::Count(n), None) = (input.source.policy.policy(), source.header_name())
        && let Some(said) = explained.counts.get(count(n.get()))
    {
        let want = match &got {
            Ok(client) => CountAnswer::ClientIp(client.ip()),
            Err(e) => CountAnswer::Refused(e.clone()),
        };
        assert_eq!(*said, want, "explain's count {} disagrees", n.get());
    }
});

fn reads_forwarded(input: &Input) -> bool {
    matches!(input.source.reads, Reads::Forwarded)
}

/// Whether the front door's peer is the VPC link (`VpcLink::AnyPrivateAddress`, as the fuzz
/// source builds it), from the input alone: position 0 of X-Forwarded-For is the socket peer, or
/// a reported peer when no X-Forwarded-For line arrived, or else the last entry of the last line.
/// Private space is written out here as RFC 1918, RFC 6598 and RFC 4193 define it.
fn vpc_link_delivered(headers: &HeaderMap, peer: Peer) -> bool {
    let last_line = headers.get_all("x-forwarded-for").iter().next_back();
    let front = match (peer, last_line) {
        (Peer::Socket(ip), _) | (Peer::AppendedAndReported(ip), None) => Some(ip.to_canonical()),
        (_, Some(line)) => line
            .as_bytes()
            .rsplit(|&b| b == b',')
            .next()
            .and_then(parse_entry)
            .map(|(ip, _)| ip),
        (_, None) => None,
    };
    match front {
        Some(IpAddr::V4(v4)) => {
            let [a, b, ..] = v4.octets();
            a == 10
                || (a == 172 && b & 0xf0 == 16)
                || (a == 192 && b == 168)
                || (a == 100 && b & 0xc0 == 64)
        }
        Some(IpAddr::V6(v6)) => v6.segments()[0] & 0xfe00 == 0xfc00,
        None => false,
    }
}
