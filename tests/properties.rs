//! Properties of the resolver and the handler, each checked against an oracle that does not share
//! the code under test:
//!
//! - every generated entry carries the address it must parse to (or `None`), worked out from how
//!   it was generated, not by parsing it;
//! - count mode is compared with a plain reference: split the joined chain on ',', trim, index
//!   from the end, parse with a naive parser (std's parsers after stripping brackets, port and
//!   zone by hand);
//! - range mode is compared with a linear scan over the `ipnet` networks;
//! - anti-spoofing, canonical answers and "never a trusted address" are stated directly.
//!
//! `PROPTEST_CASES=10000 cargo test --test properties` runs them longer.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use alb_client_ip::client_ip::{
    ChosenBy, ProxyCount, ResolveError, TrustPolicy, TrustedRanges, parse_entry, resolve,
};
use alb_client_ip::config::Config;
use alb_client_ip::handler::handle_bytes;
use ipnet::IpNet;
use proptest::prelude::*;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Generated entries, each with the address it stands for.

/// An entry as text, and the canonical address it must parse to (`None`: must be refused).
#[derive(Debug, Clone)]
struct Entry {
    text: String,
    want: Option<IpAddr>,
}

fn not_unspecified(ip: IpAddr) -> Option<IpAddr> {
    (!ip.is_unspecified()).then_some(ip)
}

/// A small pool of addresses, so that repeats and trusted entries are common.
fn pool_v4() -> impl Strategy<Value = Ipv4Addr> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(Ipv4Addr::from),
        (0u8..4, 0u8..4).prop_map(|(a, b)| Ipv4Addr::new(10, 0, a, b)),
        (0u8..4).prop_map(|b| Ipv4Addr::new(192, 0, 2, b)),
    ]
}

fn pool_v6() -> impl Strategy<Value = Ipv6Addr> {
    prop_oneof![
        any::<u128>().prop_map(Ipv6Addr::from),
        (0u16..4).prop_map(|b| Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, b)),
        pool_v4().prop_map(|a| a.to_ipv6_mapped()),
        Just(Ipv6Addr::LOCALHOST),
    ]
}

fn valid_v4() -> impl Strategy<Value = Entry> {
    (pool_v4(), prop::option::of(1u16..=65535)).prop_map(|(a, port)| Entry {
        text: match port {
            Some(p) => format!("{a}:{p}"),
            None => a.to_string(),
        },
        want: not_unspecified(IpAddr::V4(a)),
    })
}

fn valid_v6() -> impl Strategy<Value = Entry> {
    (
        pool_v6(),
        any::<bool>(),                                    // uncompressed
        any::<bool>(),                                    // upper case
        prop::option::of("[a-zA-Z0-9._~-]{1,10}"),        // zone
        prop::option::of(prop::option::of(1u16..=65535)), // brackets, then a port
    )
        .prop_map(|(a, full, upper, zone, bracket)| {
            let mut text = if full {
                let s = a.segments();
                format!(
                    "{:x}:{:x}:{:x}:{:x}:{:x}:{:x}:{:x}:{:x}",
                    s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]
                )
            } else {
                a.to_string()
            };
            if upper {
                text = text.to_uppercase();
            }
            if let Some(z) = zone {
                text = format!("{text}%{z}");
            }
            if let Some(port) = bracket {
                text = format!("[{text}]");
                if let Some(p) = port {
                    text = format!("{text}:{p}");
                }
            }
            let want = match a.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(a),
            };
            Entry {
                text,
                want: not_unspecified(want),
            }
        })
}

/// Entries that are not addresses, by construction.
fn invalid() -> impl Strategy<Value = Entry> {
    let v4 = any::<[u8; 4]>().prop_map(Ipv4Addr::from);
    let v6 = any::<u128>().prop_map(Ipv6Addr::from);
    prop_oneof![
        Just(String::new()),
        Just("unknown".to_owned()),
        Just("_hidden".to_owned()),
        "[a-z]{1,10}\\.(com|net|internal)",
        (1u8..=99, any::<[u8; 3]>()).prop_map(|(a, r)| format!("0{a}.{}.{}.{}", r[0], r[1], r[2])),
        (any::<[u8; 4]>()).prop_map(|o| format!("{}.{}.{}", o[0], o[1], o[2])),
        (v4.clone(), 65536u32..1_000_000).prop_map(|(a, p)| format!("{a}:{p}")),
        v4.clone().prop_map(|a| format!("{a}:0")),
        v4.clone().prop_map(|a| format!("[{a}]")),
        v4.clone().prop_map(|a| format!("{a} :80")),
        v4.prop_map(|a| format!("{a}/24")),
        v6.clone().prop_map(|a| format!("[{a}")),
        v6.clone().prop_map(|a| format!("{a}]")),
        v6.clone().prop_map(|a| format!("[{a}]x")),
        v6.clone().prop_map(|a| format!("{a}%")),
        v6.clone().prop_map(|a| format!("{a}%a b")),
        v6.clone().prop_map(|a| format!("{a}%../../etc")),
        v6.prop_map(|a| format!("{a}%{}", "z".repeat(65))),
    ]
    .prop_map(|text| Entry { text, want: None })
}

fn padded(e: Entry) -> impl Strategy<Value = Entry> {
    ("[ \t]{0,2}", "[ \t]{0,2}").prop_map(move |(l, r)| Entry {
        text: format!("{l}{}{r}", e.text),
        want: e.want,
    })
}

fn entry() -> impl Strategy<Value = Entry> {
    prop_oneof![4 => valid_v4(), 3 => valid_v6(), 2 => invalid()].prop_flat_map(padded)
}

/// A chain of 1 to 14 entries, and where it is cut into header lines (every cut is between two
/// entries).
fn chain() -> impl Strategy<Value = (Vec<Entry>, Vec<bool>)> {
    prop::collection::vec(entry(), 1..15).prop_flat_map(|es| {
        let n = es.len();
        (Just(es), prop::collection::vec(any::<bool>(), n))
    })
}

/// The entries as header lines: one line per group, entries joined by ", " or ",".
fn lines(entries: &[Entry], cuts: &[bool], tight: bool) -> Vec<String> {
    let sep = if tight { "," } else { ", " };
    let mut out: Vec<String> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        match out.last_mut() {
            Some(cur) if !cuts[i] => {
                cur.push_str(sep);
                cur.push_str(&e.text);
            }
            _ => out.push(e.text.clone()),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Oracles.

/// A port as X-Forwarded-For writes it: 1 to 5 ASCII digits, 1 to 65535.
fn naive_port(p: &str) -> bool {
    !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()) && {
        let n: u32 = p.parse().unwrap();
        (1..=65535).contains(&n)
    }
}

/// Strips the zone of an IPv6 text: it must be 1 to 64 RFC 6874 unreserved characters.
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

/// The naive parser: take the brackets and port off by hand, then std's parsers do the rest.
fn naive_parse(piece: &str) -> Option<IpAddr> {
    let s = piece.trim_matches(|c| c == ' ' || c == '\t');
    let ip: IpAddr = if let Some(rest) = s.strip_prefix('[') {
        let close = rest.find(']')?;
        let (inside, after) = (&rest[..close], &rest[close + 1..]);
        if !(after.is_empty() || after.starts_with(':') && naive_port(&after[1..])) {
            return None;
        }
        IpAddr::V6(naive_strip_zone(inside)?.parse().ok()?)
    } else if s.matches(':').count() == 1 {
        let (host, port) = s.split_once(':')?;
        if !naive_port(port) {
            return None;
        }
        IpAddr::V4(host.parse().ok()?)
    } else if s.contains(':') {
        IpAddr::V6(naive_strip_zone(s)?.parse().ok()?)
    } else {
        IpAddr::V4(s.parse().ok()?)
    };
    let ip = match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => ip,
        },
        v4 => v4,
    };
    if ip.is_unspecified() { None } else { Some(ip) }
}

/// Count mode, plainly: join, split on ',', trim, index from the end; every entry from the
/// right up to the client must be valid.
fn reference_count(lines: &[String], n: usize) -> Result<(IpAddr, usize), &'static str> {
    let joined = lines.join(",");
    let pieces: Vec<&str> = joined.split(',').collect();
    for i in 0..=n {
        if i >= pieces.len() {
            return Err("chain_too_short");
        }
        let piece = pieces[pieces.len() - 1 - i];
        match naive_parse(piece) {
            None => return Err("invalid_entry"),
            Some(ip) if i == n => return Ok((ip, i)),
            Some(_) => {}
        }
    }
    unreachable!()
}

/// Range mode, plainly: from the right, the first entry no network contains (linear scan).
fn reference_ranges(lines: &[String], nets: &[IpNet]) -> Result<(IpAddr, usize), &'static str> {
    let joined = lines.join(",");
    let pieces: Vec<&str> = joined.split(',').collect();
    for (i, piece) in pieces.iter().rev().enumerate() {
        let ip = naive_parse(piece).ok_or("invalid_entry")?;
        if !nets.iter().any(|n| n.contains(&ip)) {
            return Ok((ip, i));
        }
    }
    Err("all_trusted")
}

fn positioned(
    r: Result<alb_client_ip::client_ip::ClientIp, ResolveError<'_>>,
) -> Result<(IpAddr, usize), &'static str> {
    r.map(|c| match c.chosen_by {
        ChosenBy::Position(p) => (c.addr, p),
        ChosenBy::Fallback => panic!("fallback with a chain"),
    })
    .map_err(|e| e.code())
}

fn count(n: u8) -> TrustPolicy {
    TrustPolicy::Count(ProxyCount::new(n).unwrap())
}

fn nets() -> impl Strategy<Value = Vec<IpNet>> {
    let net = prop_oneof![
        (pool_v4(), 8u8..=32).prop_map(|(a, p)| IpNet::new(IpAddr::V4(a), p).unwrap().trunc()),
        (pool_v6(), 16u8..=128).prop_map(|(a, p)| {
            let a = match a.to_ipv4_mapped() {
                Some(_) => Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1),
                None => a,
            };
            IpNet::new(IpAddr::V6(a), p).unwrap().trunc()
        }),
    ];
    prop::collection::vec(net, 1..6)
}

// ---------------------------------------------------------------------------------------------
// Properties.

/// 512 cases per property, or `PROPTEST_CASES` when set (proptest reads it only for its default).
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512);
    ProptestConfig::with_cases(cases)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn parse_entry_gives_what_the_entry_was_generated_from(e in entry()) {
        prop_assert_eq!(parse_entry(&e.text), e.want, "{:?}", e.text);
    }

    #[test]
    fn parse_entry_agrees_with_the_naive_parser_on_generated_entries(e in entry()) {
        prop_assert_eq!(parse_entry(&e.text), naive_parse(&e.text), "{:?}", e.text);
    }

    #[test]
    fn parse_entry_agrees_with_the_naive_parser_on_address_like_text(
        s in "[0-9a-fA-F:.\\[\\]% \t]{0,45}",
    ) {
        prop_assert_eq!(parse_entry(&s), naive_parse(&s), "{:?}", s);
    }

    #[test]
    fn parse_entry_agrees_with_the_naive_parser_on_any_text(s in "\\PC{0,30}") {
        prop_assert_eq!(parse_entry(&s), naive_parse(&s), "{:?}", s);
    }

    #[test]
    fn count_mode_equals_the_plain_reference(
        (es, cuts) in chain(), n in 0u8..=30, tight in any::<bool>(),
    ) {
        let lines = lines(&es, &cuts, tight);
        let got = positioned(resolve(&lines, None, &count(n)));
        prop_assert_eq!(got, reference_count(&lines, usize::from(n)), "{:?}", lines);
        // And the generated meaning agrees: the client is the entry N from the right.
        if let Ok((ip, _)) = got {
            prop_assert_eq!(Some(ip), es[es.len() - 1 - usize::from(n)].want);
        }
    }

    #[test]
    fn range_mode_equals_the_linear_scan(
        (es, cuts) in chain(), nets in nets(),
    ) {
        let lines = lines(&es, &cuts, false);
        let policy = TrustPolicy::Ranges(TrustedRanges::new(nets.iter().copied()));
        let got = positioned(resolve(&lines, None, &policy));
        prop_assert_eq!(got, reference_ranges(&lines, &nets), "{:?} {:?}", lines, nets);
    }

    #[test]
    fn range_mode_never_answers_a_trusted_address(
        (es, cuts) in chain(), nets in nets(),
    ) {
        let lines = lines(&es, &cuts, false);
        let ranges = TrustedRanges::new(nets.iter().copied());
        if let Ok(c) = resolve(&lines, None, &TrustPolicy::Ranges(ranges.clone())) {
            prop_assert!(!ranges.contains(c.addr));
            prop_assert!(!nets.iter().any(|n| n.contains(&c.addr)), "{} in {:?}", c.addr, nets);
        }
    }

    #[test]
    fn prepending_entries_never_changes_a_count_mode_answer(
        (es, cuts) in chain(), n in 0u8..=30,
        forged in prop::collection::vec(entry(), 0..10), forged_as_own_line in any::<bool>(),
    ) {
        let lines = lines(&es, &cuts, false);
        let policy = count(n);
        if let Ok(before) = resolve(&lines, None, &policy) {
            let forged: Vec<String> = forged.into_iter().map(|e| e.text).collect();
            let forged = forged.join(", ");
            let mut spoofed = lines.clone();
            if forged_as_own_line {
                spoofed.insert(0, forged);
            } else {
                spoofed[0] = format!("{forged}, {}", spoofed[0]);
            }
            prop_assert_eq!(resolve(&spoofed, None, &policy), Ok(before), "{:?}", spoofed);
        }
    }

    #[test]
    fn prepending_entries_left_of_the_client_never_changes_a_range_mode_answer(
        (es, cuts) in chain(), nets in nets(),
        forged in prop::collection::vec(entry(), 1..10),
    ) {
        let lines = lines(&es, &cuts, false);
        let policy = TrustPolicy::Ranges(TrustedRanges::new(nets));
        if let Ok(before) = resolve(&lines, None, &policy) {
            let forged: Vec<String> = forged.into_iter().map(|e| e.text).collect();
            let mut spoofed = lines.clone();
            spoofed.insert(0, forged.join(","));
            prop_assert_eq!(resolve(&spoofed, None, &policy), Ok(before));
        }
    }

    #[test]
    fn the_answer_fed_back_gives_itself(
        (es, cuts) in chain(), n in 0u8..=30, nets in nets(), by_range in any::<bool>(),
    ) {
        let lines = lines(&es, &cuts, false);
        let policy = if by_range {
            TrustPolicy::Ranges(TrustedRanges::new(nets))
        } else {
            count(n)
        };
        if let Ok(c) = resolve(&lines, None, &policy) {
            let text = c.addr.to_string();
            prop_assert_eq!(parse_entry(&text), Some(c.addr));
            let one = [text.as_str()];
            // Count mode: with no proxy to skip; range mode: under the same ranges.
            let again_policy = if by_range { policy.clone() } else { count(0) };
            let again = resolve(&one, None, &again_policy).map(|a| (a.addr, a.addr.to_string()));
            prop_assert_eq!(again, Ok((c.addr, text.clone())));
        }
    }

    #[test]
    fn one_header_several_lines_single_or_multi_value_give_the_same_answer(
        (es, cuts) in chain(), n in 0u8..=4, upper in any::<bool>(),
    ) {
        let config = Config::with_policy(count(n));
        let joined = lines(&es, &[false].repeat(es.len()), false).remove(0);
        let several = lines(&es, &cuts, false);
        let name = if upper { "X-Forwarded-For" } else { "x-forwarded-for" };
        let events = [
            json!({ "headers": { name: joined } }),
            json!({ "multiValueHeaders": { name: [joined] } }),
            json!({ "multiValueHeaders": { name: several } }),
            json!({
                "headers": { name: several.last().unwrap() },
                "multiValueHeaders": { name: several },
            }),
        ];
        let answers: Vec<Value> = events
            .iter()
            .map(|e| {
                let out = handle_bytes(&config, &serde_json::to_vec(e).unwrap());
                let response: Value = serde_json::from_slice(&out).unwrap();
                serde_json::from_str(response["body"].as_str().unwrap()).unwrap()
            })
            .collect();
        for (event, answer) in events.iter().zip(&answers) {
            prop_assert_eq!(answer, &answers[0], "{} vs {}", event, events[0]);
        }
        // And the answer is the resolver's on the joined chain.
        let want = match resolve(&[joined.as_str()], None, &count(n)) {
            Ok(c) => json!({ "client_ip": c.addr.to_string() }),
            Err(e) => json!(e.code()),
        };
        match answers[0].get("client_ip") {
            Some(_) => prop_assert_eq!(&answers[0], &want),
            None => prop_assert_eq!(&answers[0]["error"], &want),
        }
    }
}
