//! Explain mode: the chain position by position, who can have written each entry under a policy,
//! what every count would answer, and which setting the evidence suggests. A setup aid: it shows
//! infrastructure addresses, so it is meant for the person deploying, not for every caller.

use std::fmt;
use std::net::IpAddr;
use std::sync::OnceLock;

use crate::policy::{MAX_PROXY_COUNT, ProxyCount, TrustPolicy, TrustedRanges};
use crate::preset::Preset;
use crate::resolve::{ClientIp, ResolveError, parse_entry, resolve, shorten, trim};

/// Who can have written an entry of the chain, under a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Writer {
    /// The front door itself (an ALB appends its TCP peer), or the socket's peer.
    FrontDoor,
    /// A proxy the policy trusts.
    TrustedProxy,
    /// The client, or a proxy the policy does not trust: nothing vouches for it.
    Untrusted,
}

impl fmt::Display for Writer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::FrontDoor => "the front door",
            Self::TrustedProxy => "a trusted proxy",
            Self::Untrusted => "the client or an untrusted proxy",
        })
    }
}

/// One entry of the chain, explained.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExplainedEntry {
    /// Its position from the right, starting at 0.
    pub position: usize,
    /// The entry as received, trimmed, cut to 64 characters (not UTF-8: replaced by U+FFFD).
    pub text: String,
    /// The address and port it holds, or why it holds none.
    pub parsed: Result<(IpAddr, Option<u16>), &'static str>,
    /// Who can have written it under the policy.
    pub writer: Writer,
    /// The bundled presets its address falls in.
    pub presets: Vec<Preset>,
    /// Whether its address falls in the policy's trusted ranges (false under a count).
    pub in_trusted_ranges: bool,
}

/// What the chain says about the path a request took: see [`explain`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Explanation {
    /// Every entry from the right, position 0 first.
    pub entries: Vec<ExplainedEntry>,
    /// What each count from 0 up to the chain's last position (at most 30) answers.
    pub counts: Vec<Result<ClientIp, ResolveError>>,
    /// The setting the evidence suggests.
    pub suggestion: Suggestion,
}

/// A setting read off the chain, from the right: a bundled CDN's address at the front door means
/// the CDN is in front (trust it; the entry before it is the client); a public address means
/// clients connect directly (the default); a private one is either a proxy of yours or the client
/// itself (an internal front door, a local test), which one request cannot tell apart, so both
/// readings are given.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Suggestion {
    /// Items for a [`TrustedRanges`] list (preset names and addresses), empty when nothing in
    /// front of the front door needs trusting.
    pub trust: Vec<String>,
    /// The count that reads the same entry.
    pub count: usize,
    /// The entry the suggestion answers, if the chain holds one.
    pub client: Option<IpAddr>,
    /// Set when the front door's peer is a private address: the suggestion takes it for a proxy
    /// of yours; if it is the client instead, the default answers this address.
    pub or_client_at_front_door: Option<IpAddr>,
}

impl fmt::Display for Suggestion {
    /// One or two sentences, naming the settings: `TRUSTED_PROXY_CIDRS`, `TRUSTED_PROXY_COUNT`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let trusted = |f: &mut fmt::Formatter<'_>, client: IpAddr| {
            let proxies = if self.count == 1 { "proxy" } else { "proxies" };
            write!(
                f,
                "{} trusted {proxies} in front of the front door: TRUSTED_PROXY_CIDRS={} answers {client} and still answers a caller who goes around them with its own address; TRUSTED_PROXY_COUNT={} answers the same only while nothing can reach the front door around them.",
                self.count,
                self.trust.join(","),
                self.count
            )
        };
        if let Some(front) = self.or_client_at_front_door {
            write!(
                f,
                "Position 0, {front}, is a private address: a proxy of yours, or the client itself (an internal front door, a local test). If every machine you test from sees this same address, it is a proxy: "
            )?;
            match self.client {
                Some(client) => trusted(f, client)?,
                None => f.write_str(
                    "the chain holds no address before it; behind API Gateway through a VPC link the client is in Forwarded (CLIENT_IP_HEADER=forwarded with TRUSTED_PROXY_COUNT=0).",
                )?,
            }
            return write!(
                f,
                " If it differs by machine, it is the client: keep the default (TRUSTED_PROXY_COUNT=0)."
            );
        }
        match (self.client, self.trust.is_empty()) {
            (None, _) => write!(
                f,
                "The entry at position {} holds no address, so no setting can answer from this chain: check that the ALB appends to X-Forwarded-For (routing.http.xff_header_processing.mode=append) and what the proxies in front write.",
                self.count
            ),
            (Some(client), true) => write!(
                f,
                "The front door's peer is a public address outside every bundled preset, so clients reach it directly: keep the default (TRUSTED_PROXY_COUNT=0), which answers {client}."
            ),
            (Some(client), false) => trusted(f, client),
        }
    }
}

/// Explains how `chain` (and `peer`, as for [`resolve`](crate::resolve)) reads under `policy`.
///
/// ```
/// use lambda_client_ip::{explain, TrustPolicy, Writer};
///
/// // Through CloudFront: the ALB appended a CloudFront origin-facing address.
/// let e = explain(["6.6.6.6, 203.0.113.9,130.176.0.12"], None, &TrustPolicy::default());
/// assert_eq!(e.entries[0].writer, Writer::FrontDoor);
/// assert_eq!(e.entries[0].presets[0].name(), "cloudfront");
/// assert_eq!(e.entries[1].writer, Writer::Untrusted); // under count 0
/// assert_eq!(e.counts[1].as_ref().map(|c| c.ip().to_string()), Ok("203.0.113.9".to_string()));
/// assert_eq!(e.suggestion.trust, ["cloudfront"]);
/// assert_eq!(e.suggestion.client, "203.0.113.9".parse().ok());
/// assert_eq!(e.suggestion.count, 1);
/// assert!(e.suggestion.to_string().contains("TRUSTED_PROXY_CIDRS=cloudfront"));
/// ```
pub fn explain<I>(chain: I, peer: Option<IpAddr>, policy: &TrustPolicy) -> Explanation
where
    I: IntoIterator,
    I::IntoIter: DoubleEndedIterator + Clone,
    I::Item: AsRef<[u8]>,
{
    let chain = chain.into_iter();
    let presets = preset_ranges();
    let mut entries = Vec::new();
    let mut raws: Vec<Vec<u8>> = Vec::new();
    if let Some(ip) = peer {
        raws.push(ip.to_string().into_bytes());
    }
    for value in chain.clone().rev() {
        for raw in value.as_ref().rsplit(|&b| b == b',') {
            raws.push(raw.to_vec());
        }
    }
    let mut all_trusted_so_far = true;
    for (position, raw) in raws.iter().enumerate() {
        let parsed = parse_entry(raw).ok_or_else(|| why_invalid(raw));
        let ip = parsed.as_ref().ok().map(|(ip, _)| *ip);
        let writer = match policy {
            _ if position == 0 => Writer::FrontDoor,
            TrustPolicy::Count(n) if position <= usize::from(n.get()) => Writer::TrustedProxy,
            TrustPolicy::Ranges(_) if all_trusted_so_far => Writer::TrustedProxy,
            _ => Writer::Untrusted,
        };
        let in_trusted_ranges = match (policy, ip) {
            (TrustPolicy::Ranges(r), Some(ip)) => r.contains(ip),
            _ => false,
        };
        all_trusted_so_far &= in_trusted_ranges;
        entries.push(ExplainedEntry {
            position,
            text: shorten(trim(raw)),
            parsed,
            writer,
            presets: ip.map_or_else(Vec::new, |ip| {
                presets
                    .iter()
                    .filter(|(_, r)| r.contains(ip))
                    .map(|(p, _)| *p)
                    .collect()
            }),
            in_trusted_ranges,
        });
    }
    let last = entries.len().min(usize::from(MAX_PROXY_COUNT) + 1);
    let counts = (0..last)
        .filter_map(|n| u8::try_from(n).ok().and_then(ProxyCount::new))
        .map(|n| resolve(chain.clone(), peer, &TrustPolicy::Count(n)))
        .collect();
    let suggestion = suggest(&entries);
    Explanation {
        entries,
        counts,
        suggestion,
    }
}

/// Reads the setting off the entries, from the right (see [`Suggestion`]).
fn suggest(entries: &[ExplainedEntry]) -> Suggestion {
    let address = |i: usize| entries.get(i).and_then(|e| e.parsed.ok()).map(|(ip, _)| ip);
    let preset = |i: usize| entries.get(i).and_then(|e| e.presets.first().copied());
    let mut trust = Vec::new();
    let mut at = 0;
    let mut or_client_at_front_door = None;
    if let Some(front) = address(0).filter(|ip| preset(0).is_none() && private().contains(*ip)) {
        trust.push(front.to_string());
        at = 1;
        // A CDN connects only to infrastructure: behind one, the private peer is certainly yours.
        if preset(1).is_none() {
            or_client_at_front_door = Some(front);
        }
    }
    if let Some(cdn) = preset(at) {
        trust.push(cdn.name().to_owned());
        while preset(at) == Some(cdn) {
            at += 1;
        }
    }
    Suggestion {
        trust,
        count: at,
        client: address(at),
        or_client_at_front_door,
    }
}

fn why_invalid(raw: &[u8]) -> &'static str {
    match std::str::from_utf8(trim(raw)) {
        Err(_) => "not UTF-8",
        Ok("") => "empty",
        Ok(text) if text.eq_ignore_ascii_case("unknown") => "unknown (a proxy hid the address)",
        Ok(text) if text.starts_with('_') => "obfuscated (RFC 7239)",
        Ok(_) => "not an IP address",
    }
}

fn preset_ranges() -> &'static [(Preset, TrustedRanges)] {
    static RANGES: OnceLock<Vec<(Preset, TrustedRanges)>> = OnceLock::new();
    RANGES.get_or_init(|| {
        Preset::ALL
            .iter()
            .map(|p| (*p, TrustedRanges::with_presets(p.nets(), vec![*p])))
            .collect()
    })
}

/// Loopback, private, shared (carrier-grade NAT), link-local and unique-local addresses: a proxy
/// with one of these is inside someone's network, typically yours.
fn private() -> &'static TrustedRanges {
    static RANGES: OnceLock<TrustedRanges> = OnceLock::new();
    RANGES.get_or_init(|| {
        "127.0.0.0/8, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, 169.254.0.0/16, \
         ::1, fc00::/7, fe80::/10"
            .parse()
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_by_topology() {
        let read = |trust: &[&str], count, client: Option<&str>, front: Option<&str>| {
            (
                trust.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                count,
                client.map(str::to_owned),
                front.map(str::to_owned),
            )
        };
        let cases = [
            (
                "ALB alone, a forging client",
                "1.2.3.4, 203.0.113.7",
                read(&[], 0, Some("203.0.113.7"), None),
            ),
            (
                "CloudFront",
                "1.2.3.4,203.0.113.7, 130.176.0.12",
                read(&["cloudfront"], 1, Some("203.0.113.7"), None),
            ),
            (
                "CloudFront twice",
                "203.0.113.7,130.176.0.1,130.176.0.12",
                read(&["cloudfront"], 2, Some("203.0.113.7"), None),
            ),
            (
                "Cloudflare",
                "203.0.113.7,172.70.1.5",
                read(&["cloudflare"], 1, Some("203.0.113.7"), None),
            ),
            (
                "CloudFront, then a proxy of yours",
                "203.0.113.7,130.176.0.12, 10.0.0.5",
                read(&["10.0.0.5", "cloudfront"], 2, Some("203.0.113.7"), None),
            ),
            (
                "nginx on loopback (local-alb)",
                "6.6.6.6, 127.0.0.4, 127.0.0.53",
                read(&["127.0.0.53"], 1, Some("127.0.0.4"), Some("127.0.0.53")),
            ),
            (
                "a private peer alone (VPC link)",
                "10.0.12.34",
                read(&["10.0.12.34"], 1, None, Some("10.0.12.34")),
            ),
            (
                "an invalid entry at the front door",
                "192.0.2.1, unknown",
                read(&[], 0, None, None),
            ),
        ];
        for (case, chain, want) in cases {
            let s = explain([chain], None, &TrustPolicy::default()).suggestion;
            let got = (
                s.trust.clone(),
                s.count,
                s.client.map(|ip| ip.to_string()),
                s.or_client_at_front_door.map(|ip| ip.to_string()),
            );
            assert_eq!(got, want, "{case}");
            let text = s.to_string();
            let names_count = format!("TRUSTED_PROXY_COUNT={}", s.count);
            assert!(
                text.contains(&names_count) || s.client.is_none(),
                "{case}: {text}"
            );
        }
    }

    #[test]
    fn writers_under_each_policy() {
        let writers = |policy: TrustPolicy| -> Vec<Writer> {
            explain(["6.6.6.6, 192.0.2.1, 10.0.0.2, 10.0.0.1"], None, &policy)
                .entries
                .iter()
                .map(|e| e.writer)
                .collect()
        };
        use Writer::*;
        assert_eq!(
            writers(TrustPolicy::Count(ProxyCount::new(1).unwrap())),
            [FrontDoor, TrustedProxy, Untrusted, Untrusted]
        );
        assert_eq!(
            writers(TrustPolicy::Ranges("10.0.0.0/8".parse().unwrap())),
            [FrontDoor, TrustedProxy, TrustedProxy, Untrusted]
        );
    }

    #[test]
    fn every_count_and_why_entries_are_invalid() {
        let e = explain(
            ["_hidden, unknown, , 192.0.2.1"],
            None,
            &TrustPolicy::default(),
        );
        let why: Vec<_> = e.entries.iter().map(|e| e.parsed.err()).collect();
        assert_eq!(
            why,
            [
                None,
                Some("empty"),
                Some("unknown (a proxy hid the address)"),
                Some("obfuscated (RFC 7239)")
            ]
        );
        let codes: Vec<_> = e
            .counts
            .iter()
            .map(|r| r.as_ref().map_err(|e| e.code()).err())
            .collect();
        assert_eq!(
            codes,
            [
                None,
                Some("invalid_entry"),
                Some("invalid_entry"),
                Some("invalid_entry")
            ]
        );
        let none: [&str; 0] = [];
        let empty = explain(none, None, &TrustPolicy::default());
        assert!(empty.entries.is_empty() && empty.counts.is_empty());
        assert_eq!(empty.suggestion.client, None);
    }
}
