//! Properties of the resolver, each checked against an oracle that shares no code with it:
//!
//! - every generated entry (`testkit::entry`) carries the address and port it must parse to (or
//!   `None`), worked out from how it was generated, not by parsing it;
//! - count mode is compared with a plain reference: join the values with ',', split on ',', trim,
//!   index from the end, parse with a naive parser (std's parsers after taking brackets, port and
//!   zone off by hand);
//! - range mode is compared with a linear scan over the `ipnet` networks;
//! - anti-spoofing, canonical answers, the answer fed back, "never a trusted address" and "the
//!   peer is position 0" are stated directly.
//!
//! The generators make the answer path the common case: invalid entries are rare right of the
//! client and common left of it, counts are mostly small, and range-mode chains end in entries
//! drawn from the trusted networks. Each answer-path property counts the cases that reached an
//! answer and prints the fraction (`--nocapture` shows it);
//! `most_generated_cases_reach_an_answer` asserts it is at least a half, on a fixed seed.
//!
//! 512 cases per property, or `PROPTEST_CASES` when set.

// A test crate: a panic is the failure report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use http::{HeaderMap, HeaderValue};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use lambda_client_ip::{
    ClientIp, Peer, Preset, ProxyCount, ResolveError, Source, TrustPolicy, TrustedRanges,
    parse_entry,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::{Config, TestRunner};
use testkit::entry::{
    Entry, address, canonical, class_e, invalid_anywhere, invalid_bytes, meant, pool_v4, valid,
    written,
};
use testkit::tally::{Property, Tally, assert_most_cases_answer, report, run};

/// The resolver on header values, as a request carries them: X-Forwarded-For under `policy`, the
/// socket's peer as position 0 when there is one, else the front door appended its peer.
fn resolve<V: AsRef<[u8]>>(
    values: impl IntoIterator<Item = V>,
    peer: Option<IpAddr>,
    policy: &TrustPolicy,
) -> Result<ClientIp, ResolveError> {
    let mut headers = HeaderMap::new();
    for value in values {
        let value = HeaderValue::from_bytes(value.as_ref()).expect("a header value");
        headers.append("x-forwarded-for", value);
    }
    let peer = peer.map_or(Peer::Appended, Peer::Socket);
    Source::x_forwarded_for(policy.clone()).resolve(&headers, peer)
}

// ---------------------------------------------------------------------------------------------
// Generated entries (`testkit::entry`), each with the address and port it stands for.

/// Any entry: for the part of a chain left of the client, where anything goes.
fn any_entry() -> impl Strategy<Value = Entry> {
    prop_oneof![2 => valid(), 1 => invalid_bytes()]
}

/// Mostly an address: for the part of a chain the policy reads.
fn mostly_valid() -> impl Strategy<Value = Entry> {
    prop_oneof![39 => valid(), 1 => invalid_bytes()]
}

// ---------------------------------------------------------------------------------------------
// Chains: entries, and how each is joined to the one before it.

#[derive(Debug, Clone, Copy)]
enum Joint {
    /// The entry starts a new header value.
    Value,
    /// The entry follows the one before it in the same value, after this separator.
    Separator(&'static str),
}

fn joint() -> impl Strategy<Value = Joint> {
    prop_oneof![
        1 => Just(Joint::Value),
        3 => select(vec![",", ", ", " , ", ",\t"]).prop_map(Joint::Separator),
    ]
}

#[derive(Debug, Clone)]
struct Chain {
    entries: Vec<Entry>,
    /// `joints[i]` joins `entries[i]` to the entry before it (`joints[0]` is not used).
    joints: Vec<Joint>,
}

impl Chain {
    fn new(entries: Vec<Entry>, mut joints: Vec<Joint>) -> Self {
        joints.truncate(entries.len());
        assert_eq!(joints.len(), entries.len(), "a joint per entry");
        Self { entries, joints }
    }

    /// The header values.
    fn values(&self) -> Vec<Vec<u8>> {
        let mut values: Vec<Vec<u8>> = Vec::new();
        for (e, joint) in self.entries.iter().zip(&self.joints) {
            match (values.last_mut(), joint) {
                (Some(value), Joint::Separator(sep)) => {
                    value.extend_from_slice(sep.as_bytes());
                    value.extend_from_slice(&e.bytes);
                }
                _ => values.push(e.bytes.clone()),
            }
        }
        values
    }

    /// The entry at `position` from the right.
    fn at(&self, position: usize) -> &Entry {
        &self.entries[self.entries.len() - 1 - position]
    }

    /// `forged` inserted left of the entry at `position` from the right, at a place `at` picks.
    fn forged(&self, position: usize, at: Index, forged: &[Entry], joints: &[Joint]) -> Self {
        let at = at.index(self.entries.len() - position);
        let mut out = self.clone();
        out.entries.splice(at..at, forged.iter().cloned());
        out.joints
            .splice(at..at, joints.iter().copied().take(forged.len()));
        out
    }
}

/// A proxy count and a chain meant for it: `n + 1` entries on the right that are addresses but
/// for one in forty, anything on the left; one time in ten the chain is cut too short.
#[derive(Debug, Clone)]
struct CountCase {
    n: u8,
    chain: Chain,
}

impl CountCase {
    fn policy(&self) -> TrustPolicy {
        TrustPolicy::Count(ProxyCount::new(self.n).unwrap())
    }
}

fn count_case() -> impl Strategy<Value = CountCase> {
    let n = prop_oneof![6 => 0u8..=3, 3 => 4u8..=10, 1 => 11u8..=30];
    n.prop_flat_map(|n| {
        let read = usize::from(n) + 1;
        (
            Just(n),
            vec(any_entry(), 0..5),
            vec(mostly_valid(), read),
            prop::option::weighted(0.1, 0..read),
            vec(joint(), read + 5),
        )
    })
    .prop_map(|(n, left, read, short, joints)| {
        let mut entries = left;
        entries.extend(read);
        if let Some(keep) = short {
            entries = entries.split_off(entries.len() - keep);
        }
        CountCase {
            n,
            chain: Chain::new(entries, joints),
        }
    })
}

/// Trusted networks, valid by construction: IPv4 (also written IPv4-mapped) and IPv6 networks,
/// never `/0`, never host bits, no IPv6 network reaching into IPv4-mapped space, none
/// overlapping Global Accelerator's edges (which write no X-Forwarded-For).
fn nets() -> impl Strategy<Value = Vec<IpNet>> {
    let v6 = prop_oneof![
        any::<u128>().prop_map(|bits| Ipv6Addr::from(bits | 1u128 << 127)),
        (0u16..4).prop_map(|b| Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, b)),
    ];
    let net = prop_oneof![
        3 => (pool_v4(), 8u8..=32).prop_map(|(a, p)| IpNet::V4(Ipv4Net::new(a, p).unwrap().trunc())),
        1 => (pool_v4(), 8u8..=32)
            .prop_map(|(a, p)| IpNet::V6(Ipv6Net::new(a.to_ipv6_mapped(), 96 + p).unwrap().trunc())),
        2 => (v6, 16u8..=128).prop_map(|(a, p)| IpNet::V6(Ipv6Net::new(a, p).unwrap().trunc())),
    ];
    let edge = |net: &IpNet| !overlaps_an_edge(net);
    vec(net.prop_filter("a Global Accelerator edge", edge), 1..5)
}

/// Whether `net` (IPv4-mapped as IPv4) shares an address with one of Global Accelerator's edges:
/// two networks share one when either holds the other's first address.
fn overlaps_an_edge(net: &IpNet) -> bool {
    Preset::GlobalAccelerator.nets().any(|edge| {
        let first = match edge.network() {
            IpAddr::V4(a) => [IpAddr::V4(a), IpAddr::V6(a.to_ipv6_mapped())],
            v6 => [v6, v6],
        };
        edge.contains(&net.network().to_canonical()) || first.iter().any(|a| net.contains(a))
    })
}

/// An address inside one of `nets`.
fn trusted_address(nets: Vec<IpNet>) -> impl Strategy<Value = IpAddr> {
    (select(nets), any::<u128>()).prop_map(|(net, bits)| match net {
        IpNet::V4(n) => {
            let host = u32::from(n.hostmask()) & bits as u32;
            IpAddr::V4(Ipv4Addr::from(u32::from(n.network()) | host))
        }
        IpNet::V6(n) => IpAddr::V6(Ipv6Addr::from(
            u128::from(n.network()) | (u128::from(n.hostmask()) & bits),
        )),
    })
}

/// Trusted networks and a chain meant for them: on the right up to five entries from the
/// networks (an address but for one in twenty), then an address from anywhere (the client,
/// almost never inside the small networks), then anything, trusted-looking entries included.
/// One time in ten the chain is only the trusted entries.
#[derive(Debug, Clone)]
struct RangeCase {
    nets: Vec<IpNet>,
    chain: Chain,
}

impl RangeCase {
    fn ranges(&self) -> TrustedRanges {
        TrustedRanges::new(self.nets.iter().copied()).expect("generated networks are valid")
    }

    fn policy(&self) -> TrustPolicy {
        TrustPolicy::Ranges(self.ranges())
    }
}

fn range_case() -> impl Strategy<Value = RangeCase> {
    nets()
        .prop_flat_map(|nets| {
            let trusted = trusted_address(nets.clone()).prop_flat_map(written).boxed();
            let anywhere = prop_oneof![
                any::<u32>().prop_map(|a| IpAddr::V4(a.into())),
                any::<u128>().prop_map(|a| IpAddr::V6(a.into())),
            ];
            (
                Just(nets),
                vec(prop_oneof![any_entry(), trusted.clone()], 0..5),
                anywhere.prop_flat_map(written),
                vec(prop_oneof![19 => trusted, 1 => invalid_bytes()], 0..6),
                prop::bool::weighted(0.1),
                vec(joint(), 11),
            )
        })
        .prop_map(|(nets, left, client, right, all_trusted, joints)| {
            let mut entries = if all_trusted { Vec::new() } else { left };
            if !all_trusted {
                entries.push(client);
            }
            entries.extend(right);
            RangeCase {
                nets,
                chain: Chain::new(entries, joints),
            }
        })
}

/// A case of either policy.
#[derive(Debug, Clone)]
enum Case {
    Count(CountCase),
    Range(RangeCase),
}

impl Case {
    fn policy(&self) -> TrustPolicy {
        match self {
            Self::Count(c) => c.policy(),
            Self::Range(r) => r.policy(),
        }
    }

    fn chain(&self) -> &Chain {
        match self {
            Self::Count(c) => &c.chain,
            Self::Range(r) => &r.chain,
        }
    }
}

fn case() -> impl Strategy<Value = Case> {
    prop_oneof![
        count_case().prop_map(Case::Count),
        range_case().prop_map(Case::Range),
    ]
}

// ---------------------------------------------------------------------------------------------
// Oracles.

/// A port as X-Forwarded-For writes it: 1 to 5 ASCII digits, 1 to 65535.
fn naive_port(p: &str) -> Option<u16> {
    if p.is_empty() || p.len() > 5 || !p.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n: u32 = p.parse().ok()?;
    if (1..=65535).contains(&n) {
        u16::try_from(n).ok()
    } else {
        None
    }
}

/// The zone of an IPv6 text taken off: it must be 1 to 64 RFC 6874 unreserved characters.
fn naive_strip_zone(s: &str) -> Option<&str> {
    match s.split_once('%') {
        None => Some(s),
        Some((host, zone)) => {
            let ok = !zone.is_empty()
                && zone.len() <= 64
                && zone
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c));
            ok.then_some(host)
        }
    }
}

/// The naive parser: UTF-8 or nothing; brackets and port taken off by hand, then std's parsers;
/// then only the addresses a client can have.
fn naive_parse(piece: &[u8]) -> Option<(IpAddr, Option<u16>)> {
    naive_parse_any(piece).and_then(|(ip, port)| meant(ip).map(|ip| (ip, port)))
}

/// [`naive_parse`] before the rule on which addresses a client can have, canonical.
fn naive_parse_any(piece: &[u8]) -> Option<(IpAddr, Option<u16>)> {
    let s = std::str::from_utf8(piece).ok()?;
    let s = s.trim_matches(|c| c == ' ' || c == '\t');
    let (ip, port) = if let Some(rest) = s.strip_prefix('[') {
        let close = rest.find(']')?;
        let (inside, after) = (&rest[..close], &rest[close + 1..]);
        let port = if after.is_empty() {
            None
        } else {
            Some(naive_port(after.strip_prefix(':')?)?)
        };
        (IpAddr::V6(naive_strip_zone(inside)?.parse().ok()?), port)
    } else if s.matches(':').count() == 1 {
        let (host, port) = s.split_once(':')?;
        (IpAddr::V4(host.parse().ok()?), Some(naive_port(port)?))
    } else if s.contains(':') {
        (IpAddr::V6(naive_strip_zone(s)?.parse().ok()?), None)
    } else {
        (IpAddr::V4(s.parse().ok()?), None)
    };
    Some((canonical(ip), port))
}

/// Whether `ip` lies in Cloudflare's published ranges, by a linear scan.
fn cloudflare(ip: IpAddr) -> bool {
    Preset::Cloudflare.nets().any(|n| n.contains(&ip))
}

/// The refusal of an entry the walk must read that holds no client's address: a class E address
/// Cloudflare delivered (the hop to its right is Cloudflare's) and the walk answers is a Pseudo
/// IPv4, with no CF-Connecting-IPv6 here; anything else is an invalid entry.
fn refused(piece: &[u8], position: usize, answers: bool, right: Option<IpAddr>) -> ResolveError {
    match naive_parse_any(piece) {
        Some((ip, _)) if answers && class_e(ip) && right.is_some_and(cloudflare) => {
            ResolveError::PseudoIpv4 { address: ip }
        }
        _ => invalid_entry(position, naive_echo(piece)),
    }
}

fn invalid_entry(position: usize, entry: String) -> ResolveError {
    ResolveError::InvalidEntry {
        header: http::HeaderName::from_static("x-forwarded-for"),
        position,
        entry,
    }
}

/// What an error quotes of an entry: lossy, trimmed, 64 characters at most.
fn naive_echo(piece: &[u8]) -> String {
    let text = String::from_utf8_lossy(piece);
    let text = text.trim_matches(|c| c == ' ' || c == '\t');
    text.chars().take(64).collect()
}

/// An answer as the oracles state it: address, port, position.
type Outcome = Result<(IpAddr, Option<u16>, usize), ResolveError>;

fn outcome(r: Result<ClientIp, ResolveError>) -> Outcome {
    r.map(|c| (c.ip(), c.port(), c.position()))
}

/// The pieces of the chain: the values joined with ',', split on ','.
fn pieces(values: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let joined = values.join(b",".as_slice());
    joined.split(|&b| b == b',').map(<[u8]>::to_vec).collect()
}

/// Count mode, plainly: index from the end; every entry from the right up to the client must be
/// an address.
fn reference_count(values: &[Vec<u8>], n: usize) -> Outcome {
    if values.is_empty() {
        return Err(ResolveError::NoAddress);
    }
    let pieces = pieces(values);
    let mut right = None;
    for i in 0..=n {
        let Some(piece) = pieces.len().checked_sub(i + 1).map(|k| &pieces[k]) else {
            return Err(ResolveError::ChainTooShort {
                entries: pieces.len(),
                needed: n + 1,
            });
        };
        match naive_parse(piece) {
            None => return Err(refused(piece, i, i == n, right)),
            Some((ip, port)) if i == n => return Ok((ip, port, i)),
            Some((ip, _)) => right = Some(ip),
        }
    }
    unreachable!()
}

/// Whether a linear scan finds `ip` in one of `nets` (an IPv4 address also as IPv4-mapped).
fn scan(nets: &[IpNet], ip: IpAddr) -> bool {
    nets.iter().any(|n| {
        n.contains(&ip)
            || matches!(ip, IpAddr::V4(a) if n.contains(&IpAddr::V6(a.to_ipv6_mapped())))
    })
}

/// Range mode, plainly: from the right, the first entry no network contains.
fn reference_ranges(values: &[Vec<u8>], nets: &[IpNet]) -> Outcome {
    if values.is_empty() {
        return Err(ResolveError::NoAddress);
    }
    let pieces = pieces(values);
    let mut right = None;
    for (i, piece) in pieces.iter().rev().enumerate() {
        let Some((ip, port)) = naive_parse(piece) else {
            let answers = naive_parse_any(piece).is_some_and(|(ip, _)| !scan(nets, ip));
            return Err(refused(piece, i, answers, right));
        };
        if !scan(nets, ip) {
            return Ok((ip, port, i));
        }
        right = Some(ip);
    }
    Err(ResolveError::AllTrusted {
        entries: pieces.len(),
    })
}

// ---------------------------------------------------------------------------------------------
// Running the properties, counting the cases that reach an answer.

/// 512 cases per property, or `PROPTEST_CASES` when set (`Config::default` reads it). A failure
/// is kept in `proptest-regressions/` as the `proptest!` macro keeps it.
fn config() -> Config {
    let cases = match std::env::var_os("PROPTEST_CASES") {
        Some(_) => Config::default().cases,
        None => 512,
    };
    Config {
        cases,
        source_file: Some(file!()),
        ..Config::default()
    }
}

fn runner() -> TestRunner {
    TestRunner::new(config())
}

// ---------------------------------------------------------------------------------------------
// The properties that need an answer to say anything.

fn count_mode_reference(runner: &mut TestRunner) -> Tally {
    run(runner, count_case(), |c| {
        let values = c.chain.values();
        let got = outcome(resolve(&values, None, &c.policy()));
        prop_assert_eq!(&got, &reference_count(&values, usize::from(c.n)));
        // And the generated meaning agrees: the client is the entry N from the right.
        if let Ok((ip, port, position)) = got {
            prop_assert_eq!(position, usize::from(c.n));
            prop_assert_eq!(Some((ip, port)), c.chain.at(position).want);
        }
        Ok(got.is_ok())
    })
}

fn range_mode_reference(runner: &mut TestRunner) -> Tally {
    run(runner, range_case(), |r| {
        let values = r.chain.values();
        let got = outcome(resolve(&values, None, &r.policy()));
        prop_assert_eq!(&got, &reference_ranges(&values, &r.nets));
        if let Ok((ip, port, position)) = got {
            prop_assert_eq!(Some((ip, port)), r.chain.at(position).want);
        }
        Ok(got.is_ok())
    })
}

fn range_mode_never_trusted(runner: &mut TestRunner) -> Tally {
    run(runner, range_case(), |r| {
        let ranges = r.ranges();
        let got = resolve(r.chain.values(), None, &TrustPolicy::Ranges(ranges.clone()));
        if let Ok(c) = &got {
            prop_assert!(!ranges.contains(c.ip()));
            prop_assert!(!scan(&r.nets, c.ip()), "{} in {:?}", c.ip(), r.nets);
            // Every entry right of it is trusted.
            for p in 0..c.position() {
                let (ip, _) = r.chain.at(p).want.expect("an entry the walk passed");
                prop_assert!(scan(&r.nets, ip), "{} at {} is not trusted", ip, p);
            }
        }
        Ok(got.is_ok())
    })
}

fn prepending_count(runner: &mut TestRunner) -> Tally {
    let strategy = (
        count_case(),
        vec(any_entry(), 1..8),
        vec(joint(), 8),
        any::<Index>(),
    );
    run(runner, strategy, |(c, forged, joints, at)| {
        let policy = c.policy();
        let before = resolve(c.chain.values(), None, &policy);
        if let Ok(before) = before {
            let spoofed = c.chain.forged(before.position(), at, &forged, &joints);
            let after = resolve(spoofed.values(), None, &policy);
            prop_assert_eq!(after, Ok(before), "{:?}", spoofed.values());
        }
        Ok(before.is_ok())
    })
}

fn prepending_ranges(runner: &mut TestRunner) -> Tally {
    let strategy = range_case().prop_flat_map(|r| {
        let trusted = trusted_address(r.nets.clone()).prop_flat_map(written);
        (
            Just(r),
            vec(prop_oneof![any_entry(), trusted], 1..8),
            vec(joint(), 8),
            any::<Index>(),
        )
    });
    run(runner, strategy, |(r, forged, joints, at)| {
        let policy = r.policy();
        let before = resolve(r.chain.values(), None, &policy);
        if let Ok(before) = before {
            let spoofed = r.chain.forged(before.position(), at, &forged, &joints);
            let after = resolve(spoofed.values(), None, &policy);
            prop_assert_eq!(after, Ok(before), "{:?}", spoofed.values());
        }
        Ok(before.is_ok())
    })
}

fn fed_back(runner: &mut TestRunner) -> Tally {
    run(runner, case(), |case| {
        let policy = case.policy();
        let got = resolve(case.chain().values(), None, &policy);
        if let Ok(c) = got {
            let ip = c.ip();
            // Canonical: never IPv4-mapped, and written as std writes it.
            if let IpAddr::V6(v6) = ip {
                prop_assert_eq!(v6.to_ipv4_mapped(), None, "{} is IPv4-mapped", v6);
            }
            let text = ip.to_string();
            prop_assert_eq!(text.parse::<IpAddr>().ok(), Some(ip));
            prop_assert_eq!(parse_entry(text.as_bytes()), Some((ip, None)));
            // Alone in a chain it is its own answer: with no proxy to skip, or under the same
            // ranges (it is not trusted).
            let again_policy = match case {
                Case::Count(_) => TrustPolicy::default(),
                Case::Range(_) => policy.clone(),
            };
            let again = outcome(resolve([&text], None, &again_policy));
            prop_assert_eq!(again, Ok((ip, None, 0)));
            // With its port, written as a proxy writes it, the port comes back too.
            if let Some(port) = c.port() {
                let with_port = match ip {
                    IpAddr::V4(a) => format!("{a}:{port}"),
                    IpAddr::V6(a) => format!("[{a}]:{port}"),
                };
                let again = outcome(resolve([&with_port], None, &again_policy));
                prop_assert_eq!(again, Ok((ip, Some(port), 0)));
            }
        }
        Ok(got.is_ok())
    })
}

fn peer_is_position_zero(runner: &mut TestRunner) -> Tally {
    let strategy = prop_oneof![
        (count_case(), address()).prop_map(|(c, peer)| (Case::Count(c), peer)),
        range_case().prop_flat_map(|r| {
            let peer = prop_oneof![trusted_address(r.nets.clone()), address()];
            (Just(Case::Range(r)), peer)
        }),
    ];
    run(runner, strategy, |(case, peer)| {
        let policy = case.policy();
        let values = case.chain().values();
        let with_peer = resolve(&values, Some(peer), &policy);
        let mut appended = values.clone();
        appended.push(peer.to_string().into_bytes());
        let as_last_entry = resolve(&appended, None, &policy);
        if meant(peer).is_none() {
            // The error quotes the peer canonical, the entry as written: only those differ.
            let invalid_at = |r: &Result<ClientIp, ResolveError>| match r {
                Err(ResolveError::InvalidEntry { position, .. }) => Some(*position),
                _ => None,
            };
            prop_assert_eq!(invalid_at(&with_peer), Some(0));
            prop_assert_eq!(invalid_at(&as_last_entry), Some(0));
        } else {
            prop_assert_eq!(with_peer.clone(), as_last_entry);
        }
        Ok(with_peer.is_ok())
    })
}

/// Every property that says something only about answers.
const ANSWER_PATH: &[(&str, Property)] = &[
    (
        "count_mode_equals_the_plain_reference",
        count_mode_reference,
    ),
    ("range_mode_equals_the_linear_scan", range_mode_reference),
    (
        "range_mode_never_answers_a_trusted_address",
        range_mode_never_trusted,
    ),
    (
        "entries_left_of_the_client_never_change_a_count_mode_answer",
        prepending_count,
    ),
    (
        "entries_left_of_the_client_never_change_a_range_mode_answer",
        prepending_ranges,
    ),
    (
        "the_answer_is_canonical_and_fed_back_gives_itself",
        fed_back,
    ),
    ("the_peer_is_position_zero", peer_is_position_zero),
];

fn answer_path(name: &str) {
    let (_, property) = ANSWER_PATH.iter().find(|(n, _)| *n == name).unwrap();
    report(name, property(&mut runner()));
}

#[test]
fn count_mode_equals_the_plain_reference() {
    answer_path("count_mode_equals_the_plain_reference");
}

#[test]
fn range_mode_equals_the_linear_scan() {
    answer_path("range_mode_equals_the_linear_scan");
}

#[test]
fn range_mode_never_answers_a_trusted_address() {
    answer_path("range_mode_never_answers_a_trusted_address");
}

#[test]
fn entries_left_of_the_client_never_change_a_count_mode_answer() {
    answer_path("entries_left_of_the_client_never_change_a_count_mode_answer");
}

#[test]
fn entries_left_of_the_client_never_change_a_range_mode_answer() {
    answer_path("entries_left_of_the_client_never_change_a_range_mode_answer");
}

#[test]
fn the_answer_is_canonical_and_fed_back_gives_itself() {
    answer_path("the_answer_is_canonical_and_fed_back_gives_itself");
}

#[test]
fn the_peer_is_position_zero() {
    answer_path("the_peer_is_position_zero");
}

/// The generators make answers the common case: on a fixed seed, at least half the cases of
/// every answer-path property reach an answer.
#[test]
fn most_generated_cases_reach_an_answer() {
    assert_most_cases_answer(ANSWER_PATH, 500);
}

// ---------------------------------------------------------------------------------------------
// Entries.

proptest! {
    #![proptest_config(config())]

    #[test]
    fn parse_entry_gives_what_the_entry_was_generated_from(e in prop_oneof![valid(), invalid_anywhere()]) {
        prop_assert_eq!(parse_entry(&e.bytes), e.want);
    }

    #[test]
    fn parse_entry_agrees_with_the_naive_parser_on_generated_entries(
        e in prop_oneof![valid(), invalid_anywhere()],
    ) {
        prop_assert_eq!(parse_entry(&e.bytes), naive_parse(&e.bytes));
    }

    #[test]
    fn parse_entry_agrees_with_the_naive_parser_on_address_like_text(
        s in "[0-9a-fA-F:.\\[\\]% \t]{0,45}",
    ) {
        prop_assert_eq!(parse_entry(s.as_bytes()), naive_parse(s.as_bytes()));
    }

    #[test]
    fn parse_entry_agrees_with_the_naive_parser_on_any_text(s in "\\PC{0,30}") {
        prop_assert_eq!(parse_entry(s.as_bytes()), naive_parse(s.as_bytes()));
    }

    #[test]
    fn parse_entry_agrees_with_the_naive_parser_on_any_bytes(b in vec(any::<u8>(), 0..40)) {
        prop_assert_eq!(parse_entry(&b), naive_parse(&b));
    }
}
