//! The resolver: from an X-Forwarded-For chain and a trust policy to the client address.
//!
//! This module is pure: no AWS types, no I/O, no logging, no globals. Tests, benches, fuzz targets
//! and the local ALB all call the same [`resolve`].
//!
//! # Positions
//! Every comma in the chain makes a position. Positions are numbered from the **right**, starting
//! at 0: position 0 is the entry the ALB appended (the address of the TCP peer it saw), position 1
//! the entry the proxy in front of the ALB appended, and so on. Everything left of the entries
//! written by trusted infrastructure was written by the client and proves nothing.
//!
//! # Invariants
//! - Entries are read from the right and only as far as the policy needs: in count mode entries
//!   left of position `N` are never parsed, so they can never change the answer, and a 16 KiB chain
//!   costs what a 50-byte one costs.
//! - An entry that is not an address keeps its position (so counts still line up) and is an error
//!   when the policy has to read it; the resolver never skips it and never guesses.
//! - The answer is canonical: dotted-quad IPv4, RFC 5952 IPv6, IPv4-mapped IPv6 as IPv4. Feeding
//!   the answer back in as a one-entry chain gives the same answer.
//! - The configuration errors are caught when the [`TrustPolicy`] is built; a call to [`resolve`]
//!   can only fail because of its input.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// The largest hop count a [`ProxyCount`] accepts. The ALB refuses (HTTP 463) a request whose
/// incoming X-Forwarded-For holds more than 30 addresses, so a larger count could never be met.
pub const MAX_PROXY_COUNT: u8 = 30;

/// How many trusted proxies stand between the client and the ALB (0 to [`MAX_PROXY_COUNT`]).
///
/// ```
/// use alb_client_ip::client_ip::ProxyCount;
/// assert_eq!(ProxyCount::new(2).map(ProxyCount::get), Some(2));
/// assert!(ProxyCount::new(31).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ProxyCount(u8);

impl ProxyCount {
    /// A count, or `None` when it is above [`MAX_PROXY_COUNT`].
    pub const fn new(count: u8) -> Option<Self> {
        if count <= MAX_PROXY_COUNT {
            Some(Self(count))
        } else {
            None
        }
    }

    /// The number of trusted proxies.
    pub const fn get(self) -> u8 {
        self.0
    }
}

/// A set of trusted address ranges, stored as sorted, merged intervals so that a lookup is a
/// binary search: its cost grows with the logarithm of the number of ranges, which matters when
/// the set is a CDN's published list of hundreds of prefixes.
///
/// ```
/// use alb_client_ip::client_ip::TrustedRanges;
/// let ranges = TrustedRanges::new(["10.0.0.0/8".parse().unwrap(), "2001:db8::/32".parse().unwrap()]);
/// assert!(ranges.contains("10.1.2.3".parse().unwrap()));
/// assert!(ranges.contains("2001:db8::1".parse().unwrap()));
/// assert!(!ranges.contains("192.0.2.1".parse().unwrap()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrustedRanges {
    v4: Box<[(u32, u32)]>,
    v6: Box<[(u128, u128)]>,
}

impl TrustedRanges {
    /// Builds the set from networks; overlapping and adjacent networks are merged.
    pub fn new(nets: impl IntoIterator<Item = IpNet>) -> Self {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for net in nets {
            match net {
                IpNet::V4(n) => v4.push((u32::from(n.network()), u32::from(n.broadcast()))),
                IpNet::V6(n) => v6.push((u128::from(n.network()), u128::from(n.broadcast()))),
            }
        }
        Self {
            v4: merge(v4).into_boxed_slice(),
            v6: merge(v6).into_boxed_slice(),
        }
    }

    /// Whether `ip` lies inside one of the ranges. IPv4-mapped IPv6 addresses are looked up as
    /// IPv4, the form [`parse_entry`] returns them in.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match ip.to_canonical() {
            IpAddr::V4(a) => within(&self.v4, u32::from(a)),
            IpAddr::V6(a) => within(&self.v6, u128::from(a)),
        }
    }

    /// The number of disjoint intervals left after merging.
    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    /// Whether the set holds no range at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn merge<T: Ord + Copy + Successor>(mut ranges: Vec<(T, T)>) -> Vec<(T, T)> {
    ranges.sort_unstable();
    let mut merged: Vec<(T, T)> = Vec::with_capacity(ranges.len());
    for (start, end) in ranges {
        match merged.last_mut() {
            // Overlapping or adjacent: extend the previous interval.
            Some(last) if last.1.successor().is_none_or(|next| start <= next) => {
                last.1 = last.1.max(end);
            }
            _ => merged.push((start, end)),
        }
    }
    merged
}

fn within<T: Ord + Copy>(ranges: &[(T, T)], x: T) -> bool {
    let after = ranges.partition_point(|&(start, _)| start <= x);
    after
        .checked_sub(1)
        .and_then(|i| ranges.get(i))
        .is_some_and(|&(_, end)| x <= end)
}

trait Successor: Sized {
    fn successor(self) -> Option<Self>;
}
impl Successor for u32 {
    fn successor(self) -> Option<Self> {
        self.checked_add(1)
    }
}
impl Successor for u128 {
    fn successor(self) -> Option<Self> {
        self.checked_add(1)
    }
}

/// Which entries of the chain are written by infrastructure you trust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustPolicy {
    /// A fixed number of trusted proxies in front of the ALB: the client is the entry at position
    /// `N` from the right. Safe only when the ALB cannot be reached except through those proxies.
    Count(ProxyCount),
    /// Walk from the right past every entry inside these ranges; the first entry outside them is
    /// the client. Stronger than a count: an entry is believed only if a trusted peer wrote it.
    Ranges(TrustedRanges),
}

impl Default for TrustPolicy {
    /// No proxy in front of the ALB: the client is the address the ALB itself saw.
    fn default() -> Self {
        Self::Count(ProxyCount::default())
    }
}

impl fmt::Display for TrustPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Count(n) => write!(f, "count of {} trusted proxies", n.get()),
            Self::Ranges(r) => write!(f, "{} trusted address intervals", r.len()),
        }
    }
}

/// How the client address was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChosenBy {
    /// The X-Forwarded-For entry at this position, counted from the right starting at 0.
    Position(usize),
    /// The event carried no X-Forwarded-For; this is the source address the event itself holds.
    Fallback,
}

/// A client address the trusted part of the chain vouches for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp {
    /// The address, in canonical form.
    pub addr: IpAddr,
    /// Where in the input it came from.
    pub chosen_by: ChosenBy,
}

/// Why no client address can be vouched for. Borrows the offending text; never allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResolveError<'a> {
    /// There is neither an X-Forwarded-For chain nor a source address.
    NoAddress,
    /// The chain holds fewer entries than the policy needs.
    ChainTooShort {
        /// Entries present.
        entries: usize,
        /// Entries the policy needs (trusted proxies plus the client).
        needed: usize,
    },
    /// An entry the policy had to read is not an IP address.
    InvalidEntry {
        /// Its position from the right, starting at 0.
        position: usize,
        /// The entry as received, spaces and tabs trimmed.
        entry: &'a str,
    },
    /// Every entry is inside the trusted ranges: no entry is the client.
    AllTrusted {
        /// Entries present.
        entries: usize,
    },
    /// The source address the event carries (the fallback) is not an IP address.
    InvalidSource {
        /// The value as received.
        value: &'a str,
    },
}

impl ResolveError<'_> {
    /// A stable, machine-readable code for this error.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::NoAddress => "no_client_address",
            Self::ChainTooShort { .. } => "chain_too_short",
            Self::InvalidEntry { .. } => "invalid_entry",
            Self::AllTrusted { .. } => "all_trusted",
            Self::InvalidSource { .. } => "invalid_source_address",
        }
    }
}

/// At most this many characters of an offending value are echoed in messages.
const ECHO_LIMIT: usize = 64;

/// Shortens attacker-controlled text before it is echoed back (on a character boundary).
pub fn shorten(s: &str) -> &str {
    match s.char_indices().nth(ECHO_LIMIT) {
        Some((cut, _)) => s.get(..cut).unwrap_or(s),
        None => s,
    }
}

impl fmt::Display for ResolveError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::NoAddress => f.write_str(
                "The request has no X-Forwarded-For header and the event carries no source address.",
            ),
            Self::ChainTooShort { entries, needed } => write!(
                f,
                "The forwarding chain holds {entries} {} but the trusted proxy count needs at least {needed}.",
                if entries == 1 { "address" } else { "addresses" }
            ),
            Self::InvalidEntry { position, entry } => write!(
                f,
                "X-Forwarded-For entry at position {position} from the right ({:?}) is not an IP address.",
                shorten(entry)
            ),
            Self::AllTrusted { entries } => write!(
                f,
                "Every address in the forwarding chain ({entries}) is a trusted proxy, so none of them is the client."
            ),
            Self::InvalidSource { value } => write!(
                f,
                "The event's source address ({:?}) is not an IP address.",
                shorten(value)
            ),
        }
    }
}

impl std::error::Error for ResolveError<'_> {}

/// Resolves the client address.
///
/// `chain` holds every X-Forwarded-For value of the request, in the order received; they are read
/// as one comma-separated list. `source` is the address the event itself carries, used only when
/// `chain` is empty; it is then treated as a one-entry chain, so the policy still applies (with a
/// count of 1 or more, a bare peer address is a proxy, not the client).
///
/// ```
/// use alb_client_ip::client_ip::{resolve, ChosenBy, ProxyCount, TrustPolicy};
/// let chain = ["203.0.113.195, 70.41.3.18, 150.172.238.178"];
///
/// let alb_only = TrustPolicy::default();
/// let ip = resolve(&chain, None, &alb_only).unwrap();
/// assert_eq!(ip.addr.to_string(), "150.172.238.178");
///
/// let two_proxies = TrustPolicy::Count(ProxyCount::new(2).unwrap());
/// let ip = resolve(&chain, None, &two_proxies).unwrap();
/// assert_eq!((ip.addr.to_string().as_str(), ip.chosen_by), ("203.0.113.195", ChosenBy::Position(2)));
///
/// // A forged entry on the left never wins; a bad entry the policy must read is an error.
/// assert!(resolve(&["evil, 1.2.3.4"], None, &alb_only).is_ok());
/// assert!(resolve(&["1.2.3.4, evil"], None, &alb_only).is_err());
/// ```
pub fn resolve<'a, S: AsRef<str>>(
    chain: &'a [S],
    source: Option<&'a str>,
    policy: &TrustPolicy,
) -> Result<ClientIp, ResolveError<'a>> {
    if chain.is_empty() {
        let value = source.ok_or(ResolveError::NoAddress)?;
        return match choose(std::iter::once(value), policy) {
            Ok((_, addr)) => Ok(ClientIp {
                addr,
                chosen_by: ChosenBy::Fallback,
            }),
            Err(ResolveError::InvalidEntry { entry, .. }) => {
                Err(ResolveError::InvalidSource { value: entry })
            }
            Err(e) => Err(e),
        };
    }
    let entries = FromRight {
        values: chain.iter().rev().map(AsRef::as_ref),
        rest: None,
    };
    choose(entries, policy).map(|(position, addr)| ClientIp {
        addr,
        chosen_by: ChosenBy::Position(position),
    })
}

/// Applies the policy to entries given from the right: the position and address of the client.
// Inlined so that each caller's walk is specialized; without it count mode measured 20% slower.
#[inline(always)]
fn choose<'a>(
    entries: impl Iterator<Item = &'a str>,
    policy: &TrustPolicy,
) -> Result<(usize, IpAddr), ResolveError<'a>> {
    match policy {
        Policy::Count(n) => {
            let target = usize::from(n.get());
            walk(
                entries,
                |position, _| position == target,
                |entries| ResolveError::ChainTooShort {
                    entries,
                    needed: target + 1,
                },
            )
        }
        Policy::Ranges(ranges) => walk(
            entries,
            |_, addr| !ranges.contains(addr),
            |entries| ResolveError::AllTrusted { entries },
        ),
    }
}

/// Parses entries one by one until `is_client` accepts one, reading nothing past it; `none`
/// makes the error for a walk that read all `n` entries without finding the client.
#[inline(always)]
fn walk<'a>(
    entries: impl Iterator<Item = &'a str>,
    is_client: impl Fn(usize, IpAddr) -> bool,
    none: impl FnOnce(usize) -> ResolveError<'a>,
) -> Result<(usize, IpAddr), ResolveError<'a>> {
    let mut seen = 0;
    for (position, raw) in entries.enumerate() {
        seen = position + 1;
        let addr = parse_entry(raw).ok_or_else(|| ResolveError::InvalidEntry {
            position,
            entry: trim(raw),
        })?;
        if is_client(position, addr) {
            return Ok((position, addr));
        }
    }
    Err(none(seen))
}

use TrustPolicy as Policy;

/// The entries of a chain from the right: the values last to first, each cut at its commas from
/// the right. Every comma makes a position, so empty pieces are entries too. (The same sequence
/// as `flat_map(|v| v.rsplit(','))`, in one byte loop per entry.)
struct FromRight<'a, I> {
    values: I,
    rest: Option<&'a str>,
}

impl<'a, I: Iterator<Item = &'a str>> Iterator for FromRight<'a, I> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = match self.rest.take() {
            Some(rest) => rest,
            None => self.values.next()?,
        };
        match rest.as_bytes().iter().rposition(|&b| b == b',') {
            Some(comma) => {
                self.rest = rest.get(..comma);
                rest.get(comma + 1..)
            }
            None => Some(rest),
        }
    }
}

fn trim(s: &str) -> &str {
    // Both characters are ASCII, so every cut is on a character boundary.
    let leading = s.len() - trim_start_bytes(s.as_bytes()).len();
    let kept = trim_end_bytes(s.as_bytes().get(leading..).unwrap_or_default()).len();
    s.get(leading..leading + kept).unwrap_or_default()
}

/// Parses one X-Forwarded-For entry into a canonical address, or `None` when it is not one.
///
/// Accepted: `IPv4`, `IPv4:port`, IPv6 in any case, `[IPv6]`, `[IPv6]:port`, IPv6 with a zone
/// (`fe80::1%eth0`, zone dropped), surrounded by spaces or tabs. Refused: the unspecified addresses
/// `0.0.0.0` and `::` (no TCP peer has them), hostnames, `unknown`, obfuscated tokens
/// (`_hidden`), leading-zero or short IPv4 forms, inner whitespace, ports outside 1 to 65535, and
/// zones with characters outside RFC 6874's unreserved set.
///
/// ```
/// use alb_client_ip::client_ip::parse_entry;
/// let ip = |s| parse_entry(s).map(|a| a.to_string());
/// assert_eq!(ip(" 2001:DB8::21f:5bff:febf:ce22:8a2e "), Some("2001:db8:0:21f:5bff:febf:ce22:8a2e".into()));
/// assert_eq!(ip("[::ffff:192.0.2.1]:443"), Some("192.0.2.1".into()));
/// assert_eq!(ip("192.0.2.1:8080"), Some("192.0.2.1".into()));
/// assert_eq!(ip("010.0.0.1"), None);
/// assert_eq!(ip("unknown"), None);
/// ```
pub fn parse_entry(entry: &str) -> Option<IpAddr> {
    // Almost every entry is IPv4, with or without a port: a one-pass byte parser answers those.
    // It accepts only what the general path below accepts, with the same result, and leaves
    // everything else (IPv6, brackets, anything odd) to it.
    if let Some(v4) = parse_v4_with_port(entry.as_bytes()) {
        return (!v4.is_unspecified()).then_some(IpAddr::V4(v4));
    }
    parse_entry_general(trim(entry))
}

/// The general entry parser, on a trimmed entry; built on `std`'s address parsers.
fn parse_entry_general(s: &str) -> Option<IpAddr> {
    let addr = if let Some(rest) = s.strip_prefix('[') {
        let (inner, after) = rest.split_once(']')?;
        if !after.is_empty() && !is_port(after.strip_prefix(':')?.as_bytes()) {
            return None;
        }
        IpAddr::V6(parse_v6(inner)?)
    } else {
        let mut colons = s.match_indices(':');
        match (colons.next(), colons.next()) {
            (None, _) => IpAddr::V4(s.parse::<Ipv4Addr>().ok()?),
            (Some((at, _)), None) => {
                let host = s.get(..at)?;
                let port = s.get(at + 1..)?;
                if !is_port(port.as_bytes()) {
                    return None;
                }
                IpAddr::V4(host.parse::<Ipv4Addr>().ok()?)
            }
            // A bare IPv6 address; a port can only follow the bracketed form.
            _ => IpAddr::V6(parse_v6(s)?),
        }
    };
    let addr = addr.to_canonical();
    (!addr.is_unspecified()).then_some(addr)
}

fn parse_v6(s: &str) -> Option<Ipv6Addr> {
    let host = match s.split_once('%') {
        Some((host, zone)) => {
            let unreserved =
                |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
            if zone.is_empty() || zone.len() > 64 || !zone.bytes().all(unreserved) {
                return None;
            }
            host
        }
        None => s,
    };
    host.parse().ok()
}

/// One to five ASCII digits with a value from 1 to 65535.
fn is_port(digits: &[u8]) -> bool {
    (1..=5).contains(&digits.len())
        && digits
            .iter()
            .try_fold(0u32, |acc, &d| {
                d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
            })
            .is_some_and(|p| (1..=65535).contains(&p))
}

/// A dotted-quad IPv4 address, optionally followed by `:port` and surrounded by spaces or tabs,
/// in the form `std` accepts: four decimal octets of one to three digits, no leading zero, at
/// most 255. `None` for anything else, which the general parser then decides.
fn parse_v4_with_port(entry: &[u8]) -> Option<Ipv4Addr> {
    let s = trim_start_bytes(entry);
    let (a, s) = octet(s)?;
    let (b, s) = octet(s.strip_prefix(b".")?)?;
    let (c, s) = octet(s.strip_prefix(b".")?)?;
    let (d, s) = octet(s.strip_prefix(b".")?)?;
    match trim_end_bytes(s) {
        [] => {}
        [b':', port @ ..] if is_port(port) => {}
        _ => return None,
    }
    Some(Ipv4Addr::new(a, b, c, d))
}

/// One decimal octet without a leading zero, and what follows it. Longer digit runs leave a
/// digit behind, which the caller then refuses.
fn octet(s: &[u8]) -> Option<(u8, &[u8])> {
    let digit = |d: u8| u32::from(d - b'0');
    match *s {
        [
            a @ b'1'..=b'9',
            b @ b'0'..=b'9',
            c @ b'0'..=b'9',
            ref rest @ ..,
        ] => {
            let value = digit(a) * 100 + digit(b) * 10 + digit(c);
            Some((u8::try_from(value).ok()?, rest))
        }
        [a @ b'1'..=b'9', b @ b'0'..=b'9', ref rest @ ..] => {
            Some((u8::try_from(digit(a) * 10 + digit(b)).ok()?, rest))
        }
        [a @ b'0'..=b'9', ref rest @ ..] => Some((u8::try_from(digit(a)).ok()?, rest)),
        _ => None,
    }
}

fn trim_start_bytes(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    s
}

fn trim_end_bytes(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(n: u8) -> TrustPolicy {
        TrustPolicy::Count(ProxyCount::new(n).unwrap())
    }

    fn ranges(list: &[&str]) -> TrustPolicy {
        TrustPolicy::Ranges(TrustedRanges::new(list.iter().map(|s| s.parse().unwrap())))
    }

    #[test]
    fn entry_forms() {
        // (case, input, expected canonical output or None for "invalid")
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("IPv4", "192.0.2.1", Some("192.0.2.1")),
            (
                "IPv4 with spaces and tabs",
                " \t192.0.2.1\t ",
                Some("192.0.2.1"),
            ),
            ("IPv4 with port", "192.0.2.1:8080", Some("192.0.2.1")),
            (
                "IPv4 with largest port",
                "192.0.2.1:65535",
                Some("192.0.2.1"),
            ),
            ("IPv6 lower", "2001:db8::1", Some("2001:db8::1")),
            (
                "IPv6 upper, as the ALB appends it",
                "2001:DB8::21F:5BFF:FEBF:CE22:8A2E",
                Some("2001:db8:0:21f:5bff:febf:ce22:8a2e"),
            ),
            (
                "IPv6 uncompressed",
                "2001:0db8:0:0:0:0:0:1",
                Some("2001:db8::1"),
            ),
            ("IPv6 bracketed", "[2001:db8::1]", Some("2001:db8::1")),
            (
                "IPv6 bracketed with port",
                "[2001:db8::1]:443",
                Some("2001:db8::1"),
            ),
            ("IPv6 with zone", "fe80::1%eth0", Some("fe80::1")),
            (
                "IPv6 bracketed with zone and port",
                "[fe80::1%en0]:80",
                Some("fe80::1"),
            ),
            (
                "IPv4-mapped IPv6 as IPv4",
                "::ffff:192.0.2.1",
                Some("192.0.2.1"),
            ),
            (
                "IPv4-mapped hex form as IPv4",
                "::FFFF:c000:201",
                Some("192.0.2.1"),
            ),
            ("loopback", "127.0.0.1", Some("127.0.0.1")),
            ("IPv6 loopback", "::1", Some("::1")),
            ("Fail: empty", "", None),
            ("Fail: only spaces", "   ", None),
            ("Fail: unspecified IPv4", "0.0.0.0", None),
            ("Fail: unspecified IPv6", "::", None),
            ("Fail: unspecified mapped", "::ffff:0.0.0.0", None),
            ("Fail: hostname", "example.com", None),
            ("Fail: unknown", "unknown", None),
            ("Fail: obfuscated token", "_hidden", None),
            ("Fail: leading zero octet", "010.0.0.1", None),
            ("Fail: short IPv4", "10.1", None),
            ("Fail: integer IPv4", "3221225985", None),
            ("Fail: hex IPv4", "0xc0.0.2.1", None),
            ("Fail: inner space", "192.0. 2.1", None),
            ("Fail: space before port", "192.0.2.1 :80", None),
            ("Fail: port above 65535", "192.0.2.1:65536", None),
            ("Fail: port zero", "192.0.2.1:0", None),
            ("Fail: signed port", "192.0.2.1:+80", None),
            ("Fail: empty port", "192.0.2.1:", None),
            ("Fail: long port", "192.0.2.1:000080", None),
            (
                "Fail: v6 bracket port above 65535",
                "[2001:db8::1]:99999",
                None,
            ),
            ("Fail: bracket without end", "[2001:db8::1", None),
            ("Fail: end without bracket", "2001:db8::1]", None),
            ("Fail: junk after bracket", "[2001:db8::1]x", None),
            ("Fail: IPv4 in brackets", "[192.0.2.1]:80", None),
            ("Fail: empty zone", "fe80::1%", None),
            ("Fail: zone smuggling text", "fe80::1%eth0,evil", None),
            ("Fail: zone with space", "fe80::1%a b", None),
            ("Fail: zone with slash", "fe80::1%../../x", None),
            ("Fail: CIDR", "192.0.2.0/24", None),
            ("Fail: two ports", "192.0.2.1:80:80", None),
            ("Fail: control character", "192.0.2.1\u{0}", None),
            ("Fail: unicode digits", "１９２.0.2.1", None),
            ("Fail: quoted", "\"192.0.2.1\"", None),
        ];
        for (case, input, want) in cases {
            let got = parse_entry(input).map(|a| a.to_string());
            assert_eq!(got.as_deref(), *want, "{case}: {input:?}");
        }
    }

    /// The old parser, kept as the oracle: `std`'s trim and `std`'s address parsers only.
    fn oracle(entry: &str) -> Option<IpAddr> {
        parse_entry_general(entry.trim_matches([' ', '\t']))
    }

    /// A small deterministic generator (xorshift), so the property tests need no extra crate.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    #[test]
    fn fast_path_agrees_with_the_oracle_on_random_text() {
        let alphabet = b"0123456789.:,[] \t\n\rabf%";
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..300_000 {
            let len = rng.below(24) as usize;
            let entry: String = (0..len)
                .map(|_| char::from(alphabet[rng.below(alphabet.len() as u64) as usize]))
                .collect();
            assert_eq!(parse_entry(&entry), oracle(&entry), "{entry:?}");
            let chain = [entry.as_str()];
            for policy in [count(0), count(1)] {
                let got = resolve(&chain, None, &policy);
                assert_eq!(got, oracle_resolve(&chain, &policy), "{entry:?}");
            }
        }
    }

    /// An IPv4-like entry: 3 to 5 numbers (some above 255, some with leading zeros), maybe a
    /// port (maybe zero-padded or out of range), maybe whitespace around it.
    fn address_like(rng: &mut Rng) -> String {
        let number = |rng: &mut Rng| {
            let value = match rng.below(4) {
                0 => rng.below(10),
                1 => 250 + rng.below(10),
                _ => rng.below(1000),
            };
            let zeros = if rng.below(5) == 0 { rng.below(3) } else { 0 };
            format!("{}{value}", "0".repeat(zeros as usize))
        };
        let parts = 3 + rng.below(3);
        let mut entry = (0..parts)
            .map(|_| number(rng))
            .collect::<Vec<_>>()
            .join(".");
        if rng.below(2) == 0 {
            let port = rng.below(70_000);
            let zeros = if rng.below(4) == 0 { rng.below(3) } else { 0 };
            entry = format!("{entry}:{}{port}", "0".repeat(zeros as usize));
        }
        // Blanks that are trimmed, and whitespace that is not.
        let pad = [" ", "\t", " \t", "\n", "\r", "\u{b}", "\u{a0}"];
        if rng.below(4) == 0 {
            let before = pad[rng.below(pad.len() as u64) as usize];
            entry = format!("{before}{entry}");
        }
        if rng.below(4) == 0 {
            let after = pad[rng.below(pad.len() as u64) as usize];
            entry = format!("{entry}{after}");
        }
        entry
    }

    #[test]
    fn fast_path_agrees_with_the_oracle_on_address_like_text() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for _ in 0..200_000 {
            let entry = address_like(&mut rng);
            assert_eq!(parse_entry(&entry), oracle(&entry), "{entry:?}");
        }
    }

    #[test]
    fn fast_path_agrees_with_the_oracle_on_edge_cases() {
        let octets = [
            "0", "00", "000", "1", "01", "9", "10", "99", "100", "255", "256", "999", "1000", "",
        ];
        let ports = [
            "", ":", ":0", ":00000", ":1", ":01", ":65535", ":65536", ":99999", ":000080", ":8a",
            ":80:80",
        ];
        for a in octets {
            for b in ["0", "255", "01"] {
                for port in ports {
                    for entry in [
                        format!("{a}.{b}.{b}.{a}{port}"),
                        format!("{b}.{a}.{a}.{b}{port}"),
                        format!("{a}.{a}.{a}{port}"),
                        format!("{a}.{a}.{a}.{a}.{a}{port}"),
                    ] {
                        assert_eq!(parse_entry(&entry), oracle(&entry), "{entry:?}");
                    }
                }
            }
        }
    }

    /// The resolver as it was before the fast paths: `flat_map(rsplit)` and the oracle parser.
    fn oracle_resolve<'a>(
        chain: &'a [&'a str],
        policy: &TrustPolicy,
    ) -> Result<ClientIp, ResolveError<'a>> {
        let trimmed = |s: &'a str| s.trim_matches([' ', '\t']);
        let mut seen = 0;
        for (position, raw) in chain.iter().rev().flat_map(|v| v.rsplit(',')).enumerate() {
            seen = position + 1;
            let addr = oracle(raw).ok_or(ResolveError::InvalidEntry {
                position,
                entry: trimmed(raw),
            })?;
            let found = match policy {
                TrustPolicy::Count(n) => position == usize::from(n.get()),
                TrustPolicy::Ranges(r) => !r.contains(addr),
            };
            if found {
                let chosen_by = ChosenBy::Position(position);
                return Ok(ClientIp { addr, chosen_by });
            }
        }
        Err(match policy {
            TrustPolicy::Count(n) => ResolveError::ChainTooShort {
                entries: seen,
                needed: usize::from(n.get()) + 1,
            },
            TrustPolicy::Ranges(_) => ResolveError::AllTrusted { entries: seen },
        })
    }

    #[test]
    fn resolver_agrees_with_the_oracle_resolver_on_random_chains() {
        let pieces = [
            "192.0.2.1",
            " 10.0.0.7",
            "10.0.0.8:443 ",
            "198.51.100.2\t",
            "2001:db8::5",
            "[2001:DB8::6]:80",
            "::ffff:10.0.0.9",
            "unknown",
            "",
            " ",
            "010.0.0.1",
            "1.2.3.4:0",
            "fe80::1%eth0",
            "0.0.0.0",
        ];
        let policies = [
            count(0),
            count(1),
            count(2),
            count(4),
            ranges(&["10.0.0.0/8", "2001:db8::/32"]),
        ];
        let mut rng = Rng(0xd1b5_4a32_d192_ed03);
        for _ in 0..50_000 {
            let values: Vec<String> = (0..1 + rng.below(3))
                .map(|_| {
                    let sep = if rng.below(2) == 0 { "," } else { ", " };
                    (0..1 + rng.below(5))
                        .map(|_| match rng.below(3) {
                            0 => address_like(&mut rng),
                            _ => pieces[rng.below(pieces.len() as u64) as usize].to_owned(),
                        })
                        .collect::<Vec<_>>()
                        .join(sep)
                })
                .collect();
            let chain: Vec<&str> = values.iter().map(String::as_str).collect();
            for policy in &policies {
                assert_eq!(
                    resolve(&chain, None, policy),
                    oracle_resolve(&chain, policy),
                    "{chain:?} with {policy}"
                );
            }
        }
    }

    #[test]
    fn count_mode_table() {
        type Case<'a> = (
            &'a str,
            &'a [&'a str],
            u8,
            Result<(&'a str, usize), &'a str>,
        );
        let cases: &[Case] = &[
            (
                "count 0 takes the entry the ALB appended",
                &["1.1.1.1, 2.2.2.2, 3.3.3.3"],
                0,
                Ok(("3.3.3.3", 0)),
            ),
            (
                "count 2 takes the third from the right",
                &["1.1.1.1, 2.2.2.2, 3.3.3.3"],
                2,
                Ok(("1.1.1.1", 2)),
            ),
            (
                "forged leftmost entry is ignored",
                &["6.6.6.6, 1.1.1.1, 2.2.2.2"],
                1,
                Ok(("1.1.1.1", 1)),
            ),
            (
                "garbage left of the target is never parsed",
                &["garbage, ::1, 2.2.2.2"],
                1,
                Ok(("::1", 1)),
            ),
            (
                "several header lines join in order",
                &["1.1.1.1, 2.2.2.2", "3.3.3.3"],
                1,
                Ok(("2.2.2.2", 1)),
            ),
            (
                "no space after commas",
                &["1.1.1.1,2.2.2.2,3.3.3.3"],
                1,
                Ok(("2.2.2.2", 1)),
            ),
            (
                "Fail: chain too short",
                &["1.1.1.1, 2.2.2.2"],
                2,
                Err("chain_too_short"),
            ),
            (
                "Fail: invalid entry at target position",
                &["1.1.1.1, unknown, 2.2.2.2"],
                1,
                Err("invalid_entry"),
            ),
            (
                "Fail: invalid entry right of target",
                &["1.1.1.1, 2.2.2.2, bogus"],
                1,
                Err("invalid_entry"),
            ),
            (
                "Fail: empty piece keeps its position",
                &["1.1.1.1,,2.2.2.2"],
                1,
                Err("invalid_entry"),
            ),
            ("Fail: empty header value", &[""], 0, Err("invalid_entry")),
            (
                "Fail: trailing comma",
                &["1.1.1.1, 2.2.2.2,"],
                0,
                Err("invalid_entry"),
            ),
        ];
        for (case, chain, n, want) in cases {
            let got = resolve(chain, None, &count(*n));
            let got = got
                .map(|c| match c.chosen_by {
                    ChosenBy::Position(p) => (c.addr.to_string(), p),
                    ChosenBy::Fallback => panic!("{case}: unexpected fallback"),
                })
                .map_err(|e| e.code());
            let want = want.map(|(a, p)| (a.to_string(), p));
            assert_eq!(got, want, "{case}");
        }
    }

    #[test]
    fn range_mode_table() {
        let trusted = ranges(&["10.0.0.0/8", "2001:db8::/32", "192.0.2.7/32"]);
        type Case<'a> = (&'a str, &'a [&'a str], Result<(&'a str, usize), &'a str>);
        let cases: &[Case] = &[
            (
                "untrusted peer is the client",
                &["1.1.1.1, 3.3.3.3"],
                Ok(("3.3.3.3", 0)),
            ),
            (
                "skips trusted entries",
                &["6.6.6.6, 1.1.1.1, 10.0.0.1, 10.9.9.9"],
                Ok(("1.1.1.1", 2)),
            ),
            (
                "skips trusted IPv6",
                &["1.1.1.1, [2001:db8::5]:80"],
                Ok(("1.1.1.1", 1)),
            ),
            (
                "bare trusted address",
                &["1.1.1.1, 192.0.2.7"],
                Ok(("1.1.1.1", 1)),
            ),
            (
                "mapped trusted entry is trusted",
                &["1.1.1.1, ::ffff:10.0.0.1"],
                Ok(("1.1.1.1", 1)),
            ),
            (
                "garbage left of the client is never parsed",
                &["junk, 1.1.1.1, 10.0.0.1"],
                Ok(("1.1.1.1", 1)),
            ),
            (
                "injected trusted-looking entry left of the client",
                &["10.0.0.1, 1.1.1.1, 10.0.0.2"],
                Ok(("1.1.1.1", 1)),
            ),
            (
                "Fail: all trusted",
                &["10.0.0.1, 10.0.0.2"],
                Err("all_trusted"),
            ),
            (
                "Fail: invalid entry in the walk",
                &["1.1.1.1, nope, 10.0.0.1"],
                Err("invalid_entry"),
            ),
        ];
        for (case, chain, want) in cases {
            let got = resolve(chain, None, &trusted)
                .map(|c| match c.chosen_by {
                    ChosenBy::Position(p) => (c.addr.to_string(), p),
                    ChosenBy::Fallback => panic!("{case}: unexpected fallback"),
                })
                .map_err(|e| e.code());
            let want = want.map(|(a, p)| (a.to_string(), p));
            assert_eq!(got, want, "{case}");
        }
    }

    #[test]
    fn fallback_applies_the_policy_to_the_source_address() {
        let none: [&str; 0] = [];
        let got = resolve(&none, Some("198.51.100.1"), &count(0)).unwrap();
        assert_eq!(got.chosen_by, ChosenBy::Fallback);
        assert_eq!(got.addr.to_string(), "198.51.100.1");
        assert_eq!(
            resolve(&none, Some("198.51.100.1"), &count(1))
                .unwrap_err()
                .code(),
            "chain_too_short"
        );
        let trusted = ranges(&["198.51.100.0/24"]);
        assert_eq!(
            resolve(&none, Some("198.51.100.1"), &trusted)
                .unwrap_err()
                .code(),
            "all_trusted"
        );
        assert_eq!(
            resolve(&none, None, &count(0)).unwrap_err().code(),
            "no_client_address"
        );
        assert_eq!(
            resolve(&none, Some("nope"), &count(0)).unwrap_err().code(),
            "invalid_source_address"
        );
    }

    #[test]
    fn fallback_is_ignored_when_a_chain_exists() {
        let got = resolve(&["203.0.113.9"], Some("198.51.100.1"), &count(0)).unwrap();
        assert_eq!(got.addr.to_string(), "203.0.113.9");
    }

    #[test]
    fn ranges_merge_overlaps_and_neighbours() {
        let r = TrustedRanges::new(
            [
                "10.0.0.0/9",
                "10.128.0.0/9",
                "10.0.0.0/24",
                "255.255.255.255/32",
                "::/128",
            ]
            .iter()
            .map(|s| s.parse().unwrap()),
        );
        assert_eq!(r.len(), 3);
        assert!(r.contains("10.200.0.1".parse().unwrap()));
        assert!(r.contains("255.255.255.255".parse().unwrap()));
        assert!(!r.contains("11.0.0.0".parse().unwrap()));
        assert!(!r.contains("9.255.255.255".parse().unwrap()));
    }

    #[test]
    fn messages_are_one_sentence_and_shorten_long_values() {
        let long = "x".repeat(1000);
        let chain = [long.as_str()];
        let err = resolve(&chain, None, &count(0)).unwrap_err();
        let msg = err.to_string();
        assert!(msg.len() < 200, "{msg}");
        assert!(msg.ends_with('.'));
    }

    #[test]
    fn reads_only_as_far_as_needed() {
        // The left part is not even valid UTF-8-level sense; it is never parsed.
        let left = "garbage,".repeat(2000);
        let chain = format!("{left}192.0.2.1, 198.51.100.2");
        assert_eq!(
            resolve(&[chain.as_str()], None, &count(1))
                .unwrap()
                .addr
                .to_string(),
            "192.0.2.1"
        );
    }
}
