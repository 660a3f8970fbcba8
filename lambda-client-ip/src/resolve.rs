//! The resolver: from the forwarding chain, the peer (when there is one) and a trust policy to
//! the client address.
//!
//! # Positions
//! Every comma in the chain makes a position. Positions are numbered from the **right**, starting
//! at 0. With no peer (an ALB: it appends its TCP peer to X-Forwarded-For itself), position 0 is
//! the chain's last entry. With a peer (a server that has the socket), the peer is position 0 and
//! the chain's last entry is position 1. Everything left of the entries written by trusted
//! infrastructure was written by the client and proves nothing.
//!
//! # Invariants
//! - Entries are read from the right and only as far as the policy needs: entries left of the
//!   client are never parsed, so they can never change the answer.
//! - An entry that is not an address keeps its position (so counts still line up) and is an error
//!   when the policy has to read it; the resolver never skips it and never guesses. A value that
//!   is not UTF-8 is such an entry.
//! - The answer is canonical: dotted-quad IPv4, RFC 5952 IPv6, IPv4-mapped IPv6 as IPv4. Feeding
//!   it back as a one-entry chain gives the same answer.
//! - The policy was validated when it was built: [`resolve`] fails only because of its input.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::policy::TrustPolicy;

/// A client address the trusted part of the chain vouches for.
///
/// ```
/// use lambda_client_ip::{resolve, TrustPolicy};
///
/// let client = resolve(["192.0.2.1, 198.51.100.7:443"], None, &TrustPolicy::default())?;
/// assert_eq!(client.ip().to_string(), "198.51.100.7");
/// assert_eq!(client.port(), Some(443));
/// assert_eq!(client.position(), 0);
/// assert_eq!(client.to_string(), "198.51.100.7");
/// # Ok::<(), lambda_client_ip::ResolveError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientIp {
    ip: IpAddr,
    port: Option<u16>,
    position: usize,
}

impl ClientIp {
    pub(crate) const fn new(ip: IpAddr, port: Option<u16>, position: usize) -> Self {
        Self { ip, port, position }
    }

    /// The address, in canonical form.
    ///
    /// ```
    /// use lambda_client_ip::{resolve, TrustPolicy};
    /// let client = resolve(["2001:DB8::1"], None, &TrustPolicy::default())?;
    /// assert_eq!(client.ip().to_string(), "2001:db8::1");
    /// # Ok::<(), lambda_client_ip::ResolveError>(())
    /// ```
    pub const fn ip(&self) -> IpAddr {
        self.ip
    }

    /// The client's source port, when the entry that names the client recorded one (an ALB with
    /// `routing.http.xff_client_port.enabled`, a proxy that appends `ip:port`).
    ///
    /// ```
    /// use lambda_client_ip::{resolve, TrustPolicy};
    /// let client = resolve(["[2001:db8::1]:8080"], None, &TrustPolicy::default())?;
    /// assert_eq!(client.port(), Some(8080));
    /// let client = resolve(["192.0.2.1"], None, &TrustPolicy::default())?;
    /// assert_eq!(client.port(), None);
    /// # Ok::<(), lambda_client_ip::ResolveError>(())
    /// ```
    pub const fn port(&self) -> Option<u16> {
        self.port
    }

    /// Where the address came from: its position from the right, starting at 0 (see the
    /// [module docs](crate#positions)).
    ///
    /// ```
    /// use lambda_client_ip::{resolve, ProxyCount, TrustPolicy};
    /// let policy = TrustPolicy::Count(ProxyCount::new(1).unwrap());
    /// let client = resolve(["203.0.113.9, 10.0.0.1"], None, &policy)?;
    /// assert_eq!(client.position(), 1);
    /// # Ok::<(), lambda_client_ip::ResolveError>(())
    /// ```
    pub const fn position(&self) -> usize {
        self.position
    }
}

impl fmt::Display for ClientIp {
    /// The address alone, canonical.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.ip.fmt(f)
    }
}

impl From<ClientIp> for IpAddr {
    fn from(client: ClientIp) -> Self {
        client.ip
    }
}

/// Why no client address can be vouched for.
///
/// Owns its data (`'static`), so `?` carries it into `lambda_runtime::Error`, `anyhow` or a
/// `Box<dyn Error>`. Request text it quotes is cut to 64 characters and its control characters
/// are escaped, so the message is safe to log and to send back.
///
/// ```
/// use lambda_client_ip::{resolve, ResolveError, TrustPolicy};
///
/// let err = resolve(["192.0.2.1, unknown"], None, &TrustPolicy::default()).unwrap_err();
/// assert_eq!(err.code(), "invalid_entry");
/// assert_eq!(
///     err.to_string(),
///     r#"The X-Forwarded-For entry at position 0 from the right ("unknown") is not an IP address."#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResolveError {
    /// There is neither a forwarding chain nor a peer address.
    NoAddress,
    /// The chain holds fewer entries than a proxy count needs.
    ChainTooShort {
        /// Entries present, the peer included.
        entries: usize,
        /// Entries the count needs: the trusted proxies plus the client.
        needed: usize,
    },
    /// An entry the policy had to read is not an IP address.
    InvalidEntry {
        /// Its position from the right, starting at 0.
        position: usize,
        /// The entry as received, spaces and tabs trimmed, cut to 64 characters; bytes that are
        /// not UTF-8 replaced by U+FFFD.
        entry: String,
    },
    /// An element of `Forwarded` the count had to read has no single `for=` address (see
    /// [`resolve_forwarded`](crate::resolve_forwarded)). Its code is `invalid_entry`.
    InvalidElement {
        /// Its position from the right, starting at 0.
        position: usize,
        /// The element as received, spaces and tabs trimmed, cut to 64 characters.
        element: String,
    },
    /// Every entry is inside the trusted ranges, so none of them is the client.
    AllTrusted {
        /// Entries present, the peer included.
        entries: usize,
    },
    /// The address the front door reported beside the headers (API Gateway's `sourceIp`) is not
    /// an IP address.
    InvalidSource {
        /// The value as received, cut to 64 characters.
        value: String,
    },
    /// A trusted peer delivered the request, but the single-address header it should have set is
    /// missing (see [`ClientHeader`](crate::ClientHeader)).
    HeaderMissing {
        /// The header's name.
        header: String,
    },
    /// The single-address header appears more than once, or holds a list.
    HeaderRepeated {
        /// The header's name.
        header: String,
    },
    /// The single-address header is empty or does not hold an address in its format.
    HeaderInvalid {
        /// The header's name.
        header: String,
        /// The value as received, cut to 64 characters.
        value: String,
    },
}

impl ResolveError {
    /// A stable, machine-readable code: `no_client_address`, `chain_too_short`, `invalid_entry`,
    /// `all_trusted`, `invalid_source_address`, `client_header_missing`, `client_header_repeated`
    /// or `client_header_invalid`.
    ///
    /// ```
    /// use lambda_client_ip::{resolve, TrustPolicy};
    /// let none: [&str; 0] = [];
    /// let err = resolve(none, None, &TrustPolicy::default()).unwrap_err();
    /// assert_eq!(err.code(), "no_client_address");
    /// ```
    pub const fn code(&self) -> &'static str {
        match self {
            Self::NoAddress => "no_client_address",
            Self::ChainTooShort { .. } => "chain_too_short",
            Self::InvalidEntry { .. } | Self::InvalidElement { .. } => "invalid_entry",
            Self::AllTrusted { .. } => "all_trusted",
            Self::InvalidSource { .. } => "invalid_source_address",
            Self::HeaderMissing { .. } => "client_header_missing",
            Self::HeaderRepeated { .. } => "client_header_repeated",
            Self::HeaderInvalid { .. } => "client_header_invalid",
        }
    }

    /// The error for a reported source address that is not an address (see
    /// [`ResolveError::InvalidSource`]); the value is cut to 64 characters.
    ///
    /// ```
    /// use lambda_client_ip::ResolveError;
    /// let err = ResolveError::invalid_source("not-an-ip");
    /// assert_eq!(err.code(), "invalid_source_address");
    /// ```
    pub fn invalid_source(value: &str) -> Self {
        Self::InvalidSource {
            value: shorten(value.as_bytes()),
        }
    }
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoAddress => f.write_str(
                "The request has no X-Forwarded-For header and no peer address is known.",
            ),
            Self::ChainTooShort { entries, needed } => write!(
                f,
                "The forwarding chain holds {entries} {} but the trusted proxy count needs at least {needed}.",
                if *entries == 1 {
                    "address"
                } else {
                    "addresses"
                }
            ),
            Self::InvalidEntry { position, entry } => write!(
                f,
                "The X-Forwarded-For entry at position {position} from the right ({entry:?}) is not an IP address."
            ),
            Self::InvalidElement { position, element } => write!(
                f,
                "The Forwarded element at position {position} from the right ({element:?}) does not hold exactly one for= address."
            ),
            Self::AllTrusted { entries } => write!(
                f,
                "Every address in the forwarding chain ({entries}) is a trusted proxy, so none of them is the client."
            ),
            Self::InvalidSource { value } => write!(
                f,
                "The source address the front door reported ({value:?}) is not an IP address."
            ),
            Self::HeaderMissing { header } => write!(
                f,
                "The request came through a trusted proxy but has no {header} header."
            ),
            Self::HeaderRepeated { header } => write!(
                f,
                "The {header} header must hold one address, but it appears more than once or holds a list."
            ),
            Self::HeaderInvalid { header, value } => write!(
                f,
                "The {header} header ({value:?}) does not hold an address in the form its proxy writes."
            ),
        }
    }
}

impl std::error::Error for ResolveError {}

/// At most this many characters of an offending value are kept in an error.
const ECHO_LIMIT: usize = 64;

pub(crate) fn shorten(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .take(ECHO_LIMIT)
        .collect()
}

/// Resolves the client address.
///
/// `chain` holds every X-Forwarded-For value of the request as bytes, in the order received
/// (`HeaderMap::get_all(..)` fits as it is); they are read as one comma-separated list, from the
/// right. `peer` is the address of the TCP peer when you have the socket (then it is position 0
/// and the chain starts at position 1); behind an ALB there is none, because the ALB appends its
/// peer to the chain itself.
///
/// ```
/// use lambda_client_ip::{resolve, ProxyCount, TrustPolicy};
///
/// // client → proxy → proxy → ALB: the ALB appended 150.172.238.178, the proxy it saw.
/// let chain = ["203.0.113.195, 70.41.3.18, 150.172.238.178"];
/// let alb_only = TrustPolicy::default();
/// assert_eq!(resolve(chain, None, &alb_only)?.to_string(), "150.172.238.178");
///
/// let both_yours = TrustPolicy::Count(ProxyCount::new(2).unwrap());
/// assert_eq!(resolve(chain, None, &both_yours)?.to_string(), "203.0.113.195");
///
/// // A server with the socket: the peer comes first.
/// let peer = "198.51.100.1".parse().ok();
/// let one_proxy = TrustPolicy::Count(ProxyCount::new(1).unwrap());
/// assert_eq!(resolve(["6.6.6.6, 192.0.2.1"], peer, &one_proxy)?.to_string(), "192.0.2.1");
///
/// // A forged entry on the left never wins; an entry the policy must read has to be an address.
/// assert!(resolve(["evil, 192.0.2.1"], None, &alb_only).is_ok());
/// assert_eq!(resolve(["192.0.2.1, evil"], None, &alb_only).unwrap_err().code(), "invalid_entry");
/// # Ok::<(), lambda_client_ip::ResolveError>(())
/// ```
pub fn resolve<I>(
    chain: I,
    peer: Option<IpAddr>,
    policy: &TrustPolicy,
) -> Result<ClientIp, ResolveError>
where
    I: IntoIterator,
    I::IntoIter: DoubleEndedIterator,
    I::Item: AsRef<[u8]>,
{
    let mut position = 0;
    if let Some(ip) = peer {
        let ip = ip.to_canonical();
        if ip.is_unspecified() {
            return Err(ResolveError::InvalidEntry {
                position,
                entry: ip.to_string(),
            });
        }
        if let Some(client) = decide(policy, position, ip, None) {
            return Ok(client);
        }
        position += 1;
    }
    for value in chain.into_iter().rev() {
        for raw in value.as_ref().rsplit(|&b| b == b',') {
            let (ip, port) = parse_entry(raw).ok_or_else(|| ResolveError::InvalidEntry {
                position,
                entry: shorten(trim(raw)),
            })?;
            if let Some(client) = decide(policy, position, ip, port) {
                return Ok(client);
            }
            position += 1;
        }
    }
    Err(match policy {
        _ if position == 0 => ResolveError::NoAddress,
        TrustPolicy::Count(n) => ResolveError::ChainTooShort {
            entries: position,
            needed: usize::from(n.get()) + 1,
        },
        TrustPolicy::Ranges(_) => ResolveError::AllTrusted { entries: position },
    })
}

/// Whether the entry at `position` is the client under `policy`.
fn decide(
    policy: &TrustPolicy,
    position: usize,
    ip: IpAddr,
    port: Option<u16>,
) -> Option<ClientIp> {
    let is_client = match policy {
        TrustPolicy::Count(n) => position == usize::from(n.get()),
        TrustPolicy::Ranges(ranges) => !ranges.contains(ip),
    };
    is_client.then_some(ClientIp { ip, port, position })
}

/// Parses one X-Forwarded-For entry into a canonical address and the port it carries, or `None`
/// when it is not one.
///
/// Accepted, surrounded by spaces or tabs or not: `IPv4`, `IPv4:port`, IPv6 in any case,
/// `[IPv6]`, `[IPv6]:port`, IPv6 with a zone (`fe80::1%eth0`, zone dropped). Refused: the
/// unspecified addresses `0.0.0.0` and `::` (no TCP peer has them), hostnames, `unknown`,
/// obfuscated tokens (`_hidden`), leading-zero or short IPv4 forms, inner whitespace, ports outside
/// 1 to 65535, zones with characters outside RFC 6874's unreserved set, and bytes that are not
/// UTF-8.
///
/// ```
/// use lambda_client_ip::parse_entry;
///
/// let ip = |s: &str| parse_entry(s.as_bytes()).map(|(ip, port)| (ip.to_string(), port));
/// assert_eq!(ip(" 2001:DB8::21f:5bff:febf:ce22:8a2e "), Some(("2001:db8:0:21f:5bff:febf:ce22:8a2e".into(), None)));
/// assert_eq!(ip("[::ffff:192.0.2.1]:443"), Some(("192.0.2.1".into(), Some(443))));
/// assert_eq!(ip("192.0.2.1:8080"), Some(("192.0.2.1".into(), Some(8080))));
/// assert_eq!(ip("010.0.0.1"), None);
/// assert_eq!(ip("unknown"), None);
/// assert_eq!(parse_entry(b"192.0.2.\xff"), None);
/// ```
pub fn parse_entry(entry: &[u8]) -> Option<(IpAddr, Option<u16>)> {
    let s = std::str::from_utf8(trim(entry)).ok()?;
    // A bare address is the common case (what the ALB appends without the client-port option).
    let (ip, port) = if let Ok(ip) = s.parse::<IpAddr>() {
        (ip, None)
    } else if let Some(rest) = s.strip_prefix('[') {
        let (inner, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            _ => Some(port(after.strip_prefix(':')?)?),
        };
        (IpAddr::V6(parse_v6(inner)?), port)
    } else {
        // One colon: IPv4 with a port. More: IPv6 with a zone, which cannot carry a port.
        let (host, p) = s.split_once(':')?;
        if p.contains(':') {
            (IpAddr::V6(parse_v6(s)?), None)
        } else {
            (IpAddr::V4(host.parse::<Ipv4Addr>().ok()?), Some(port(p)?))
        }
    };
    let ip = ip.to_canonical();
    (!ip.is_unspecified()).then_some((ip, port))
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
pub(crate) fn port(digits: &str) -> Option<u16> {
    let valid = (1..=5).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    valid
        .then(|| digits.parse().ok())
        .flatten()
        .filter(|&p| p != 0)
}

/// `entry` without the spaces and tabs around it.
pub(crate) fn trim(entry: &[u8]) -> &[u8] {
    let blank = |b: &u8| matches!(b, b' ' | b'\t');
    let start = entry.iter().position(|b| !blank(b)).unwrap_or(entry.len());
    let end = entry
        .iter()
        .rposition(|b| !blank(b))
        .map_or(start, |i| i + 1);
    entry.get(start..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{ProxyCount, TrustedRanges};

    fn count(n: u8) -> TrustPolicy {
        TrustPolicy::Count(ProxyCount::new(n).unwrap())
    }

    fn ranges(list: &str) -> TrustPolicy {
        TrustPolicy::Ranges(list.parse::<TrustedRanges>().unwrap())
    }

    fn answer(r: Result<ClientIp, ResolveError>) -> Result<(String, usize), &'static str> {
        r.map(|c| (c.ip().to_string(), c.position()))
            .map_err(|e| e.code())
    }

    #[test]
    fn entry_forms() {
        type Case<'a> = (&'a str, &'a [u8], Option<(&'a str, Option<u16>)>);
        let cases: &[Case] = &[
            ("IPv4", b"192.0.2.1", Some(("192.0.2.1", None))),
            (
                "IPv4 with spaces and tabs",
                b" \t192.0.2.1\t ",
                Some(("192.0.2.1", None)),
            ),
            (
                "IPv4 with port",
                b"192.0.2.1:8080",
                Some(("192.0.2.1", Some(8080))),
            ),
            (
                "IPv4 with largest port",
                b"192.0.2.1:65535",
                Some(("192.0.2.1", Some(65535))),
            ),
            (
                "IPv4 with zero-padded port",
                b"192.0.2.1:00080",
                Some(("192.0.2.1", Some(80))),
            ),
            ("IPv6 lower", b"2001:db8::1", Some(("2001:db8::1", None))),
            (
                "IPv6 upper, as the ALB appends it",
                b"2001:DB8::21F:5BFF:FEBF:CE22:8A2E",
                Some(("2001:db8:0:21f:5bff:febf:ce22:8a2e", None)),
            ),
            (
                "IPv6 bracketed",
                b"[2001:db8::1]",
                Some(("2001:db8::1", None)),
            ),
            (
                "IPv6 bracketed with port",
                b"[2001:db8::1]:443",
                Some(("2001:db8::1", Some(443))),
            ),
            ("IPv6 with zone", b"fe80::1%eth0", Some(("fe80::1", None))),
            (
                "IPv4-mapped IPv6 is IPv4",
                b"::ffff:192.0.2.1",
                Some(("192.0.2.1", None)),
            ),
            ("Fail: empty", b"", None),
            ("Fail: unknown", b"unknown", None),
            ("Fail: obfuscated", b"_hidden", None),
            ("Fail: hostname", b"example.com", None),
            ("Fail: leading zero", b"010.0.0.1", None),
            ("Fail: short IPv4", b"10.1", None),
            ("Fail: unspecified IPv4", b"0.0.0.0", None),
            ("Fail: unspecified IPv6", b"[::]:80", None),
            ("Fail: port zero", b"192.0.2.1:0", None),
            ("Fail: port too large", b"192.0.2.1:65536", None),
            ("Fail: six-digit port", b"192.0.2.1:000080", None),
            ("Fail: empty port", b"192.0.2.1:", None),
            (
                "Fail: bare IPv6 with port",
                b"2001:db8::1:80:80:80:80:80",
                None,
            ),
            ("Fail: inner space", b"192.0.2. 1", None),
            ("Fail: newline", b"192.0.2.1\n", None),
            ("Fail: zone with slash", b"fe80::1%../../x", None),
            ("Fail: CIDR", b"192.0.2.0/24", None),
            ("Fail: two ports", b"192.0.2.1:80:80", None),
            ("Fail: not UTF-8", b"192.0.2.1\xff", None),
            ("Fail: quoted", b"\"192.0.2.1\"", None),
        ];
        for (case, input, want) in cases {
            let got = parse_entry(input).map(|(ip, port)| (ip.to_string(), port));
            let want = want.map(|(ip, port)| (ip.to_string(), port));
            assert_eq!(got, want, "{case}");
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
            ("Fail: no chain at all", &[], 0, Err("no_client_address")),
        ];
        for (case, chain, n, want) in cases {
            let want = want.map(|(a, p)| (a.to_string(), p));
            assert_eq!(answer(resolve(*chain, None, &count(*n))), want, "{case}");
        }
    }

    #[test]
    fn range_mode_table() {
        let trusted = ranges("10.0.0.0/8, 2001:db8::/32, 192.0.2.7");
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
            let want = want.map(|(a, p)| (a.to_string(), p));
            assert_eq!(answer(resolve(*chain, None, &trusted)), want, "{case}");
        }
    }

    #[test]
    fn a_peer_is_position_zero() {
        let peer = Some("198.51.100.1".parse().unwrap());
        let none: [&str; 0] = [];
        assert_eq!(
            answer(resolve(none, peer, &count(0))),
            Ok(("198.51.100.1".into(), 0))
        );
        assert_eq!(
            answer(resolve(none, peer, &count(1))),
            Err("chain_too_short")
        );
        assert_eq!(
            answer(resolve(["192.0.2.9"], peer, &count(1))),
            Ok(("192.0.2.9".into(), 1))
        );
        let trusted = ranges("198.51.100.0/24");
        assert_eq!(answer(resolve(none, peer, &trusted)), Err("all_trusted"));
        assert_eq!(
            answer(resolve(["192.0.2.9"], peer, &trusted)),
            Ok(("192.0.2.9".into(), 1))
        );
        let mapped = Some("::ffff:198.51.100.1".parse().unwrap());
        assert_eq!(
            answer(resolve(none, mapped, &count(0))),
            Ok(("198.51.100.1".into(), 0))
        );
        let unspecified = Some("0.0.0.0".parse().unwrap());
        assert_eq!(
            answer(resolve(none, unspecified, &count(0))),
            Err("invalid_entry")
        );
    }

    #[test]
    fn bytes_that_are_not_utf8_keep_their_position() {
        let chain: [&[u8]; 1] = [b"\xff\xfe, 192.0.2.1, 198.51.100.2"];
        assert_eq!(
            answer(resolve(chain, None, &count(1))),
            Ok(("192.0.2.1".into(), 1))
        );
        let err = resolve(chain, None, &count(2)).unwrap_err();
        assert_eq!(
            err,
            ResolveError::InvalidEntry {
                position: 2,
                entry: "\u{fffd}\u{fffd}".into()
            }
        );
    }

    #[test]
    fn messages_are_one_sentence_shortened_and_escaped() {
        let long = "x".repeat(1000);
        let msg = resolve([long.as_str()], None, &count(0))
            .unwrap_err()
            .to_string();
        assert!(msg.len() < 200, "{msg}");
        assert!(msg.ends_with('.'));
        for evil in ["a\r\nb", "\u{1b}[31m", "\u{85}", "\u{2028}", "\u{7f}"] {
            let msg = resolve([evil], None, &count(0)).unwrap_err().to_string();
            assert!(
                !msg.chars().any(|c| c.is_control() || c == '\u{2028}'),
                "{msg:?}"
            );
        }
    }

    #[test]
    fn reads_only_as_far_as_needed() {
        let left = "garbage,".repeat(2000);
        let chain = format!("{left}192.0.2.1, 198.51.100.2");
        assert_eq!(
            answer(resolve([chain], None, &count(1))),
            Ok(("192.0.2.1".into(), 1))
        );
    }
}
