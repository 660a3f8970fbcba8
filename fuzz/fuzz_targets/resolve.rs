//! The resolver on any chain, any source address and any trust policy.
//!
//! Oracles: the answer re-parses to itself (canonical), feeding it back as a one-entry chain gives
//! it again, range mode never answers a trusted address, count mode answers position N, and
//! entries prepended on the left never change an answer (or an invalid-entry refusal). Any text,
//! parsed as a single entry, is either refused or an address that re-parses to itself.
#![no_main]

use alb_client_ip::client_ip::{ChosenBy, ResolveError, TrustPolicy, parse_entry, resolve};
use alb_client_ip_fuzz::{Entry, PolicyInput, line};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    policy: PolicyInput,
    lines: Vec<(Vec<Entry>, bool)>,
    source: Option<String>,
    forged: Vec<Entry>,
    raw: String,
}

fuzz_target!(|input: Input| {
    // Any text as one entry.
    if let Some(addr) = parse_entry(&input.raw) {
        assert!(!addr.is_unspecified());
        assert_eq!(
            parse_entry(&addr.to_string()),
            Some(addr),
            "{:?}",
            input.raw
        );
    }

    let (policy, ranges) = input.policy.policy();
    let chain: Vec<String> = input.lines.iter().map(|(e, t)| line(e, *t)).collect();
    let got = resolve(&chain, input.source.as_deref(), &policy);

    if let Ok(client) = got {
        let text = client.addr.to_string();
        assert_eq!(parse_entry(&text), Some(client.addr), "answer re-parses");
        assert_eq!(client.addr, client.addr.to_canonical());
        // Fed back alone: with no proxy to skip (count 0) it is the answer again; in range mode
        // it is untrusted, so it is the answer again under the same policy.
        let one = [text.as_str()];
        let fed_back = resolve(&one, None, &TrustPolicy::default());
        assert_eq!(fed_back.map(|c| c.addr), Ok(client.addr));
        if let Some(r) = &ranges {
            assert!(
                !r.contains(client.addr),
                "range mode answered trusted {text}"
            );
            let again = resolve(&one, None, &policy).map(|c| c.addr);
            assert_eq!(again, Ok(client.addr));
        }
        if let TrustPolicy::Count(n) = &policy {
            let want = if chain.is_empty() {
                ChosenBy::Fallback
            } else {
                ChosenBy::Position(usize::from(n.get()))
            };
            assert_eq!(client.chosen_by, want);
        }
    }

    // Anti-spoofing: a line of forged entries on the left changes neither an answer nor the
    // refusal of an entry the policy had to read.
    if !chain.is_empty() && matches!(got, Ok(_) | Err(ResolveError::InvalidEntry { .. })) {
        let mut forged = vec![line(&input.forged, false)];
        forged.extend(chain.iter().cloned());
        let after = resolve(&forged, input.source.as_deref(), &policy);
        match (&got, &after) {
            (Ok(a), Ok(b)) => assert_eq!(a, b),
            (
                Err(ResolveError::InvalidEntry {
                    position: p,
                    entry: e,
                }),
                Err(ResolveError::InvalidEntry {
                    position: q,
                    entry: f,
                }),
            ) => assert_eq!((p, e), (q, f)),
            _ => panic!("prepending changed {got:?} into {after:?}"),
        }
    }
});
