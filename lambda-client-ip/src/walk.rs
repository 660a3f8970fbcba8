//! The walk: the one resolver every integration calls, run on every request. It reads the chain
//! a source names from the right, lazily, and allocates nothing on any path that answers.
//!
//! # Positions
//! Every comma in a chain makes a position, numbered from the **right**, starting at 0. Behind a
//! front door that appends its TCP peer ([`Peer::Appended`]), position 0 is the chain's last
//! entry. With the socket in hand ([`Peer::Socket`]) the socket's peer is position 0 and the
//! chain's last entry is position 1. Everything left of the entries that trusted infrastructure
//! wrote was written by the client and proves nothing.
//!
//! # Invariants
//! - A chain is read from the right and only as far as the source needs: entries left of the
//!   client are never parsed, so they can never change the answer.
//! - An entry that is not a client's address keeps its position (so counts still line up) and is
//!   an error when the source has to read it; it is never skipped and never guessed around.
//! - The answer is canonical (dotted-quad IPv4, RFC 5952 IPv6, IPv4-mapped as IPv4), never an
//!   address no client can have, and never inside the trusted ranges.
//! - The source was validated when it was built: resolving fails only because of the request.

use std::fmt;
use std::iter::Rev;
use std::net::IpAddr;

use http::header::{FORWARDED, ValueIter};
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::entry::{parse_any, parse_viewer_address, shorten};
use crate::error::ResolveError;
use crate::forwarded::{RSplit, parse_element, split_from_right};
use crate::networks::{can_be_client, is_class_e};
use crate::preset::{Format, Preset};
use crate::ranges::{TrustPolicy, TrustedRanges, preset_ranges};
use crate::source::{Evidence, Header, Source};

/// A client address the trusted part of the request vouches for.
///
/// ```
/// use http::HeaderMap;
/// use lambda_client_ip::{Peer, Source};
///
/// let mut headers = HeaderMap::new();
/// headers.insert("x-forwarded-for", "192.0.2.1, 198.51.100.7:443".parse()?);
/// let client = Source::default().resolve(&headers, Peer::Appended)?;
/// assert_eq!(client.ip().to_string(), "198.51.100.7");
/// assert_eq!(client.port(), Some(443));
/// assert_eq!(client.position(), 0);
/// assert_eq!(client.to_string(), "198.51.100.7");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientIp {
    ip: IpAddr,
    port: Option<u16>,
    position: usize,
}

impl ClientIp {
    /// The address, in canonical form.
    pub const fn ip(&self) -> IpAddr {
        self.ip
    }

    /// The client's source port, when the entry that names the client recorded one (an ALB with
    /// `routing.http.xff_client_port.enabled`, `CloudFront-Viewer-Address`, a proxy that appends
    /// `ip:port`).
    pub const fn port(&self) -> Option<u16> {
        self.port
    }

    /// Where the address was read: its position from the right, starting at 0 (see
    /// [Positions and peers](crate#positions-and-peers)). An address read from a single-address
    /// header stands one position left of the hop that delivered it.
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

/// Who the request's peer is, and where it was recorded. There is no default: a server that holds
/// a socket and a function behind an ALB must say which they are.
///
/// ```
/// use http::HeaderMap;
/// use lambda_client_ip::{Peer, Source};
///
/// let mut headers = HeaderMap::new();
/// headers.insert("x-forwarded-for", "6.6.6.6".parse()?);
/// // Behind an ALB the entry is the ALB's peer; with the socket, it is whatever the caller wrote.
/// assert_eq!(Source::default().resolve(&headers, Peer::Appended)?.to_string(), "6.6.6.6");
/// let socket = Peer::Socket("192.0.2.1".parse()?);
/// assert_eq!(Source::default().resolve(&headers, socket)?.to_string(), "192.0.2.1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Peer {
    /// The front door appended its TCP peer to X-Forwarded-For, and recorded it nowhere else (an
    /// Application Load Balancer).
    Appended,
    /// The front door appended its TCP peer to X-Forwarded-For and also reported it beside the
    /// headers (API Gateway's and Function URLs' `sourceIp`). The report is used only when the
    /// request has no X-Forwarded-For, as a chain of one entry.
    AppendedAndReported(IpAddr),
    /// You hold the socket: this is its peer, position 0 (axum's `ConnectInfo`, a server on ECS
    /// or EC2 behind an ALB, whose socket peer is the ALB).
    Socket(IpAddr),
}

/// The chains a source reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Chain {
    XForwardedFor,
    Forwarded,
}

impl Chain {
    /// The header's name, built once, so a lookup parses no name on every request (`http`
    /// defines `Forwarded`'s).
    pub(crate) fn header(self) -> &'static HeaderName {
        static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
        match self {
            Self::XForwardedFor => &X_FORWARDED_FOR,
            Self::Forwarded => &FORWARDED,
        }
    }
}

/// One position of a chain: the bytes it was read from (none for a peer held as an address) and
/// what they parse to, before the rule on which addresses can be a client.
pub(crate) struct Hop<'a> {
    /// Its position, from the right.
    pub(crate) at: usize,
    pub(crate) raw: &'a [u8],
    pub(crate) parsed: Option<(IpAddr, Option<u16>)>,
}

impl Hop<'_> {
    /// The entry as received, trimmed and cut, for a message; a peer held as an address, written.
    pub(crate) fn text(&self) -> String {
        match self.parsed {
            Some((ip, _)) if self.raw.is_empty() => ip.to_string(),
            _ => shorten(self.raw),
        }
    }

    /// The refusal of this hop of `chain`, which holds no address a client can have.
    #[cold]
    fn invalid(self, chain: Chain) -> ResolveError {
        let (header, position) = (chain.header().clone(), self.at);
        ResolveError::InvalidEntry {
            header,
            position,
            entry: self.text(),
        }
    }
}

/// The positions of a chain, rightmost first: the header looked up once, its lines taken from
/// the last, each line's entries split at commas found from the right, so a count reads only the
/// entries it needs whatever the header's length. The peer stands at position 0 of
/// X-Forwarded-For when the front door did not append it there; it is never an element of
/// `Forwarded`, whose writer it is.
pub(crate) struct Hops<'a> {
    lines: Rev<ValueIter<'a, HeaderValue>>,
    pieces: Option<RSplit<'a>>,
    peer: Option<IpAddr>,
    chain: Chain,
    position: usize,
}

/// The positions of `chain` in a request from `peer`.
#[inline(always)]
pub(crate) fn hops(map: &HeaderMap, peer: Peer, chain: Chain) -> Hops<'_> {
    let lines = map.get_all(chain.header());
    let peer = match peer {
        _ if chain == Chain::Forwarded => None,
        Peer::Socket(ip) => Some(ip),
        Peer::AppendedAndReported(ip) if lines.iter().next().is_none() => Some(ip),
        _ => None,
    };
    Hops {
        lines: lines.into_iter().rev(),
        pieces: None,
        peer: peer.map(|ip| ip.to_canonical()),
        chain,
        position: 0,
    }
}

impl<'a> Iterator for Hops<'a> {
    type Item = Hop<'a>;

    #[inline(always)]
    fn next(&mut self) -> Option<Hop<'a>> {
        let at = self.position;
        if let Some(ip) = self.peer.take() {
            self.position += 1;
            let (raw, parsed) = (&[][..], Some((ip, None)));
            return Some(Hop { at, raw, parsed });
        }
        loop {
            if let Some(raw) = self.pieces.as_mut().and_then(Iterator::next) {
                self.position += 1;
                let parsed = match self.chain {
                    Chain::XForwardedFor => parse_any(raw),
                    Chain::Forwarded => parse_element(raw),
                };
                return Some(Hop { at, raw, parsed });
            }
            let quotes = self.chain == Chain::Forwarded;
            let line = self.lines.next()?.as_bytes();
            self.pieces = Some(split_from_right(line, b',', quotes));
        }
    }
}

/// An answer, or why there is none.
pub(crate) type Resolved = Result<ClientIp, ResolveError>;

/// Where a walk stopped, or why it found nothing.
pub(crate) type Walked<'a> = Result<Found<'a>, ResolveError>;

/// How one walk reads its chain: a count, or past trusted ranges.
#[derive(Clone, Copy)]
pub(crate) enum Rule<'a> {
    Count(usize),
    Ranges(&'a TrustedRanges),
}

impl<'a> From<&'a TrustPolicy> for Rule<'a> {
    fn from(policy: &'a TrustPolicy) -> Self {
        match policy {
            TrustPolicy::Count(n) => Self::Count(usize::from(n.get())),
            TrustPolicy::Ranges(ranges) => Self::Ranges(ranges),
        }
    }
}

impl Rule<'_> {
    /// Whether the rule trusts `ip` as a proxy (a count trusts no address by itself).
    fn trusts(self, ip: IpAddr) -> bool {
        matches!(self, Rule::Ranges(trusted) if trusted.contains(ip))
    }
}

/// What the source reads in one request, once its writer's binding is checked.
#[derive(Clone, Copy)]
pub(crate) struct Plan<'a> {
    pub(crate) chain: Chain,
    pub(crate) rule: Rule<'a>,
    /// The single-address header, whose writer ends the walk.
    pub(crate) header: Option<&'a Header>,
}

/// Where a walk stops: at the client, or at the hop (its position and address) of the header's
/// writer, which delivered the request.
pub(crate) enum Found<'a> {
    Client(ClientIp),
    Writer(&'a Header, usize, IpAddr),
}

/// A single-address header's one value, read.
enum Single<'a> {
    Absent,
    /// More than one line, or a list.
    Repeated,
    Invalid(&'a [u8]),
    Found(IpAddr, Option<u16>),
}

impl Source {
    /// What the source reads in this request: `Forwarded` only when its writer delivered it,
    /// X-Forwarded-For otherwise (the caller's own address under a count, the walk past the
    /// ranges under ranges).
    #[inline(always)]
    pub(crate) fn plan(&self, headers: &HeaderMap, peer: Peer) -> Plan<'_> {
        let plan = |chain, rule| Plan {
            chain,
            rule,
            header: None,
        };
        match &self.evidence {
            Evidence::XForwardedFor(policy) => plan(Chain::XForwardedFor, policy.into()),
            Evidence::Header { header, trusted } => Plan {
                header: Some(header),
                ..plan(Chain::XForwardedFor, Rule::Ranges(trusted))
            },
            Evidence::Forwarded { policy, link } => {
                let front = hops(headers, peer, Chain::XForwardedFor).next();
                let parsed = front.and_then(|hop| hop.parsed);
                if parsed.is_some_and(|(ip, _)| link.delivered(ip)) {
                    return plan(Chain::Forwarded, policy.into());
                }
                // A caller that did not come through the VPC link: its own address under a
                // count, the walk past the ranges under ranges.
                match Rule::from(policy) {
                    Rule::Count(_) => plan(Chain::XForwardedFor, Rule::Count(0)),
                    ranges => plan(Chain::XForwardedFor, ranges),
                }
            }
        }
    }

    /// Resolves the client address of a request from its headers and its peer.
    ///
    /// ```
    /// use http::HeaderMap;
    /// use lambda_client_ip::{Peer, Source};
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.append("x-forwarded-for", "evil, 192.0.2.1".parse()?);
    /// // A forged entry on the left never wins; an entry the source must read has to be an address.
    /// assert_eq!(Source::default().resolve(&headers, Peer::Appended)?.to_string(), "192.0.2.1");
    /// headers.append("x-forwarded-for", "unknown".parse()?);
    /// let err = Source::default().resolve(&headers, Peer::Appended).unwrap_err();
    /// assert_eq!(err.code(), "invalid_entry");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resolve(&self, headers: &HeaderMap, peer: Peer) -> Result<ClientIp, ResolveError> {
        self.read(headers, peer, self.plan(headers, peer))
    }

    /// Resolves a request by `plan`.
    #[inline(always)]
    pub(crate) fn read(&self, headers: &HeaderMap, peer: Peer, plan: Plan<'_>) -> Resolved {
        match self.walk(headers, peer, plan)? {
            Found::Client(client) => Ok(client),
            Found::Writer(header, at, by) => read_header(headers, header, at + 1, by, plan.rule),
        }
    }

    /// The one walk: reads `plan.chain` from the right under its rule; a hop inside the header's
    /// writer ranges ends the walk there.
    #[inline(always)]
    pub(crate) fn walk<'a>(&self, headers: &HeaderMap, peer: Peer, plan: Plan<'a>) -> Walked<'a> {
        let mut entries = 0;
        let mut previous = None;
        for hop in hops(headers, peer, plan.chain) {
            let position = hop.at;
            entries = position + 1;
            let Some((ip, port)) = hop.parsed else {
                return Err(hop.invalid(plan.chain));
            };
            let is_answer = match plan.rule {
                Rule::Count(n) => position == n,
                Rule::Ranges(trusted) => !trusted.contains(ip),
            };
            if !can_be_client(ip) {
                let cloudflare_wrote = previous.is_some_and(from_cloudflare);
                if is_answer && is_class_e(ip) && cloudflare_wrote {
                    return pseudo_ipv4(headers, position, ip, plan.rule).map(Found::Client);
                }
                return Err(hop.invalid(plan.chain));
            }
            if is_answer {
                return Ok(Found::Client(ClientIp { ip, port, position }));
            }
            if let Some(header) = plan.header.filter(|h| h.writer.contains(ip)) {
                return Ok(Found::Writer(header, position, ip));
            }
            previous = Some(ip);
        }
        Err(match plan.rule {
            _ if entries == 0 && plan.chain == Chain::Forwarded => ResolveError::HeaderMissing {
                header: plan.chain.header().clone(),
            },
            _ if entries == 0 => ResolveError::NoAddress,
            Rule::Count(n) => ResolveError::ChainTooShort {
                entries,
                needed: n + 1,
            },
            Rule::Ranges(_) => ResolveError::AllTrusted { entries },
        })
    }
}

/// The single-address header `h`, whose writer `by` delivered the request; it stands at `at`.
fn read_header(map: &HeaderMap, h: &Header, position: usize, by: IpAddr, rule: Rule) -> Resolved {
    let header = || h.name.clone();
    let invalid = |header, value| ResolveError::HeaderInvalid { header, value };
    let (ip, port) = match one_address(map, &h.name, h.form) {
        Single::Found(ip, port) => (ip, port),
        Single::Absent => return Err(ResolveError::HeaderMissing { header: header() }),
        Single::Repeated => return Err(ResolveError::HeaderRepeated { header: header() }),
        Single::Invalid(value) => return Err(invalid(header(), shorten(value))),
    };
    if is_class_e(ip) && from_cloudflare(by) {
        pseudo_ipv4(map, position, ip, rule)
    } else if !can_be_client(ip) {
        Err(invalid(header(), ip.to_string()))
    } else if rule.trusts(ip) {
        let (header, address) = (header(), ip);
        Err(ResolveError::HeaderTrusted { header, address })
    } else {
        Ok(ClientIp { ip, port, position })
    }
}

/// The IPv6 visitor behind a Pseudo IPv4 that Cloudflare wrote: `CF-Connecting-IPv6`, held to the
/// rules of every answer.
fn pseudo_ipv4(headers: &HeaderMap, position: usize, pseudo: IpAddr, rule: Rule) -> Resolved {
    static CF_CONNECTING_IPV6: HeaderName = HeaderName::from_static("cf-connecting-ipv6");
    match one_address(headers, &CF_CONNECTING_IPV6, Format::Address) {
        Single::Absent => Err(ResolveError::PseudoIpv4 { address: pseudo }),
        Single::Repeated => Err(ResolveError::Ipv6HeaderRepeated),
        Single::Invalid(v) => Err(ResolveError::Ipv6HeaderInvalid { value: shorten(v) }),
        Single::Found(ip, _) if !ip.is_ipv6() || !can_be_client(ip) => {
            let value = ip.to_string();
            Err(ResolveError::Ipv6HeaderInvalid { value })
        }
        Single::Found(address, _) if rule.trusts(address) || from_cloudflare(address) => {
            let header = CF_CONNECTING_IPV6.clone();
            Err(ResolveError::HeaderTrusted { header, address })
        }
        Single::Found(ip, port) => Ok(ClientIp { ip, port, position }),
    }
}

/// Whether `ip` is one of Cloudflare's published addresses: the hop that can hand out a Pseudo
/// IPv4.
fn from_cloudflare(ip: IpAddr) -> bool {
    preset_ranges(Preset::Cloudflare).contains(ip)
}

/// The one value of a single-address header, read in `format`.
fn one_address<'a>(headers: &'a HeaderMap, name: &HeaderName, format: Format) -> Single<'a> {
    let mut values = headers.get_all(name).into_iter();
    let Some(value) = values.next().map(HeaderValue::as_bytes) else {
        return Single::Absent;
    };
    if values.next().is_some() || value.contains(&b',') {
        return Single::Repeated;
    }
    let parsed = match format {
        Format::Address => parse_any(value),
        Format::ViewerAddress => parse_viewer_address(value),
    };
    parsed.map_or(Single::Invalid(value), |(ip, port)| Single::Found(ip, port))
}
