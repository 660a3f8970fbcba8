//! The resolver on any chain, any peer address and any trust policy.
//!
//! Oracles: the answer re-parses to itself (canonical), feeding it back as a one-entry chain gives
//! it again, range mode never answers a trusted address, count mode answers position N, and
//! entries prepended on the left never change an answer (or an invalid-entry refusal). Any bytes,
//! parsed as a single entry, are either refused or an address that re-parses to itself.
//! `Forwarded` by count, on the same lines plus the raw bytes as a last line: a canonical answer
//! at position N, and a line prepended on the left changes neither an answer nor the refusal of
//! an element the count had to read.
#![no_main]

use std::net::IpAddr;

use alb_client_ip_fuzz::{Entry, PolicyInput, line};
use arbitrary::Arbitrary;
use lambda_client_ip::{ResolveError, TrustPolicy, parse_entry, resolve, resolve_forwarded};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    policy: PolicyInput,
    lines: Vec<(Vec<Entry>, bool)>,
    peer: Option<IpAddr>,
    forged: Vec<Entry>,
    raw: Vec<u8>,
}

fuzz_target!(|input: Input| {
    // Any bytes as one entry.
    if let Some((ip, _port)) = parse_entry(&input.raw) {
        assert!(!ip.is_unspecified());
        assert_eq!(ip, ip.to_canonical());
        assert_eq!(
            parse_entry(ip.to_string().as_bytes()),
            Some((ip, None)),
            "{:?}",
            input.raw
        );
    }

    let policy = input.policy.policy();
    let chain: Vec<String> = input.lines.iter().map(|(e, t)| line(e, *t)).collect();
    let got = resolve(&chain, input.peer, &policy);

    if let Ok(client) = got {
        let text = client.to_string();
        let ip = client.ip();
        assert_eq!(
            parse_entry(text.as_bytes()),
            Some((ip, None)),
            "answer re-parses"
        );
        // Fed back alone: with no proxy to skip (count 0) it is the answer again; in range mode
        // it is untrusted, so it is the answer again under the same policy.
        let one = [text.as_str()];
        let fed_back = resolve(one, None, &TrustPolicy::default());
        assert_eq!(fed_back.map(|c| c.ip()), Ok(ip));
        if let TrustPolicy::Ranges(r) = &policy {
            assert!(!r.contains(ip), "range mode answered trusted {text}");
            let again = resolve(one, None, &policy).map(|c| c.ip());
            assert_eq!(again, Ok(ip));
        }
        if let TrustPolicy::Count(n) = &policy {
            assert_eq!(client.position(), usize::from(n.get()));
        }
    }

    // Anti-spoofing: a line of forged entries on the left changes neither an answer nor the
    // refusal of an entry the policy had to read.
    if matches!(got, Ok(_) | Err(ResolveError::InvalidEntry { .. })) {
        let mut forged = vec![line(&input.forged, false)];
        forged.extend(chain.iter().cloned());
        let after = resolve(&forged, input.peer, &policy);
        assert_eq!(got, after, "prepending changed the answer");
    }

    if let TrustPolicy::Count(n) = &policy {
        let lines = || {
            chain
                .iter()
                .map(String::as_bytes)
                .chain([input.raw.as_slice()])
        };
        let got = resolve_forwarded(lines(), *n);
        if let Ok(client) = &got {
            let ip = client.ip();
            assert!(!ip.is_unspecified());
            assert_eq!(ip, ip.to_canonical());
            assert_eq!(client.position(), usize::from(n.get()));
        }
        if matches!(got, Ok(_) | Err(ResolveError::InvalidElement { .. })) {
            let forged = line(&input.forged, false);
            let after = resolve_forwarded([forged.as_bytes()].into_iter().chain(lines()), *n);
            assert_eq!(got, after, "a prepended Forwarded line changed the answer");
        }
    }
});
