//! Fuzzer bytes into sources and X-Forwarded-For entries: every input gives a valid
//! [`Source`], and entries come in the forms proxies write (through [`crate::entry`]'s writers),
//! so a fuzzer reaches the answer paths without having to guess an address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use arbitrary::Arbitrary;
use ipnet::IpNet;
use lambda_client_ip::{Preset, ProxyCount, Source, TrustPolicy, TrustedRanges, VpcLink};

use crate::entry::{V6Form, write_v4, write_v6};

/// Any trust policy: a count (0 to 30) or a set of ranges. A range `TrustedRanges` refuses
/// (`/0`, one that completes a whole family, …) is left out, so every input gives a policy.
#[derive(Arbitrary, Debug, Clone)]
pub enum PolicyInput {
    /// A hop count, taken modulo 31.
    Count(u8),
    /// Trusted networks, and bundled presets (bit 0 CloudFront, 1 Cloudflare, 2 Fastly).
    Ranges(Vec<NetInput>, u8),
}

/// One trusted network.
#[derive(Arbitrary, Debug, Clone)]
pub struct NetInput {
    v6: bool,
    bits: u128,
    prefix: u8,
}

impl NetInput {
    fn net(&self) -> IpNet {
        let net = if self.v6 {
            IpNet::new(IpAddr::V6(Ipv6Addr::from(self.bits)), self.prefix % 129)
        } else {
            IpNet::new(
                IpAddr::V4(Ipv4Addr::from(self.bits as u32)),
                self.prefix % 33,
            )
        };
        net.map(|n| n.trunc())
            .unwrap_or_else(|_| IpNet::from(IpAddr::V4(Ipv4Addr::LOCALHOST)))
    }
}

impl PolicyInput {
    /// The policy.
    pub fn policy(&self) -> TrustPolicy {
        match self {
            Self::Count(n) => TrustPolicy::Count(ProxyCount::new(n % 31).unwrap_or_default()),
            Self::Ranges(nets, presets) => {
                let chosen = [Preset::CloudFront, Preset::Cloudflare, Preset::Fastly]
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| presets >> i & 1 == 1)
                    .flat_map(|(_, p)| p.nets().collect::<Vec<_>>());
                // Each range in turn, kept when the set still is one `TrustedRanges` accepts
                // (never `/0`, never a set that covers a whole family).
                let all: Vec<IpNet> = nets.iter().map(NetInput::net).chain(chosen).collect();
                if let Ok(ranges) = TrustedRanges::new(all.iter().copied()) {
                    return TrustPolicy::Ranges(ranges);
                }
                let mut accepted = Vec::new();
                for net in all {
                    accepted.push(net);
                    if TrustedRanges::new(accepted.iter().copied()).is_err() {
                        accepted.pop();
                    }
                }
                TrustPolicy::Ranges(TrustedRanges::new(accepted).expect("checked one by one"))
            }
        }
    }
}

/// Which header a source reads.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Reads {
    /// X-Forwarded-For.
    XForwardedFor,
    /// RFC 7239 `Forwarded`.
    Forwarded,
    /// A single-address header: `x-real-ip`, `cf-connecting-ip`, `cloudfront-viewer-address`,
    /// `true-client-ip`, chosen modulo 4 (X-Forwarded-For when the source refuses it).
    Header(u8),
}

/// The single-address headers a fuzzed source may read.
pub const HEADERS: [&str; 4] = [
    "x-real-ip",
    "cf-connecting-ip",
    "cloudfront-viewer-address",
    "true-client-ip",
];

/// A source: what it reads and its policy.
#[derive(Arbitrary, Debug, Clone)]
pub struct SourceInput {
    /// What it reads.
    pub reads: Reads,
    /// Its policy.
    pub policy: PolicyInput,
}

impl SourceInput {
    /// The source, always valid: a header the policy cannot read falls back to X-Forwarded-For.
    pub fn source(&self) -> Source {
        let policy = self.policy.policy();
        match (self.reads, &policy) {
            (Reads::Forwarded, _) => Source::forwarded(policy.clone(), VpcLink::AnyPrivateAddress)
                .unwrap_or_else(|_| Source::x_forwarded_for(policy)),
            (Reads::Header(i), TrustPolicy::Ranges(ranges)) => {
                let name = HEADERS[usize::from(i) % HEADERS.len()];
                Source::header(name, ranges.clone())
                    .unwrap_or_else(|_| Source::x_forwarded_for(policy))
            }
            _ => Source::x_forwarded_for(policy),
        }
    }
}

/// One entry of a chain: arbitrary text or an address in one of the forms proxies write.
#[derive(Arbitrary, Debug, Clone)]
pub enum Entry {
    /// Anything at all.
    Raw(String),
    /// IPv4, with a port or not.
    V4([u8; 4], Option<u16>),
    /// IPv6 in some spelling.
    V6 {
        /// The address.
        addr: [u8; 16],
        /// All eight groups.
        full: bool,
        /// Upper case.
        upper: bool,
        /// A zone (any text).
        zone: Option<String>,
        /// In brackets, then a port or not.
        bracket: Option<Option<u16>>,
    },
    /// An address of a small fixed pool (trusted-looking, CDN edges, Pseudo IPv4, refusals), so
    /// that repeats, trusted hits and CDN paths are common.
    Pool(u8),
    /// Spaces and tabs around an entry.
    Padded(u8, Box<Entry>),
}

/// The pool of [`Entry::Pool`].
pub const POOL: [&str; 14] = [
    "10.0.0.1",
    "192.0.2.1",
    "2001:db8::1",
    "::ffff:10.0.0.1",
    "127.0.0.1",
    "104.16.0.1",      // Cloudflare
    "130.176.0.12",    // CloudFront origin-facing
    "254.252.239.103", // a Pseudo IPv4 (class E)
    "255.255.255.255",
    "224.0.0.1",
    "0.0.0.0",
    "fe80::1%eth0",
    "unknown",
    "",
];

impl Entry {
    /// The entry as text.
    pub fn render(&self) -> String {
        match self {
            Self::Raw(s) => s.clone(),
            Self::V4(o, port) => write_v4(Ipv4Addr::from(*o), *port).0,
            Self::V6 {
                addr,
                full,
                upper,
                zone,
                bracket,
            } => {
                let form = V6Form {
                    full: *full,
                    upper: *upper,
                    zone: zone.clone(),
                    bracket: *bracket,
                };
                write_v6(Ipv6Addr::from(*addr), &form).0
            }
            Self::Pool(i) => POOL[usize::from(*i) % POOL.len()].to_owned(),
            Self::Padded(n, inner) => {
                let pad: String = (0..n % 4)
                    .map(|i| if (n >> (i + 2)) & 1 == 0 { ' ' } else { '\t' })
                    .collect();
                format!("{pad}{}{pad}", inner.render())
            }
        }
    }
}

/// Entries as one header line, joined as proxies join them (`","` when `tight`, else `", "`).
pub fn line(entries: &[Entry], tight: bool) -> String {
    let sep = if tight { "," } else { ", " };
    entries
        .iter()
        .map(Entry::render)
        .collect::<Vec<_>>()
        .join(sep)
}
