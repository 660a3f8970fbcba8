//! The source: where the client address is read and why it is trusted, validated when built, and
//! the one resolver every integration calls.
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

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

use http::{HeaderMap, HeaderName};

use crate::entry::{
    can_be_client, is_class_e, is_private, parse_any, parse_viewer_address, shorten,
};
use crate::error::{ResolveError, SourceError};
use crate::explain::Binding;
use crate::forwarded::{parse_element, split_from_right};
use crate::policy::{PolicyError, TrustPolicy, TrustedRanges};
use crate::preset::Preset;

const COUNT_VAR: &str = "TRUSTED_PROXY_COUNT";
const CIDRS_VAR: &str = "TRUSTED_PROXY_CIDRS";
const LINK_VAR: &str = "VPC_LINK_CIDRS";
const HEADER_VAR: &str = "CLIENT_IP_HEADER";
const CF_CONNECTING_IPV6: &str = "cf-connecting-ipv6";

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
    /// [Positions](crate#positions)). An address read from a single-address header stands one
    /// position left of the hop that delivered it.
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

/// Where the client address is read and why it is trusted: one validated value that every
/// integration takes. Each kind of evidence is bound to the hop that writes it:
///
/// | constructor | reads | believed when |
/// |---|---|---|
/// | [`x_forwarded_for`](Source::x_forwarded_for) | X-Forwarded-For | each entry it passes was appended by a trusted proxy (a count, or ranges) |
/// | [`forwarded`](Source::forwarded) | RFC 7239 `Forwarded` | the front door's peer is the [`VpcLink`] that writes it |
/// | [`header`](Source::header) | a single-address header | the hop that writes it delivered the request |
/// | [`from_lookup`](Source::from_lookup) | any of them, from environment-variable text | |
///
/// A CDN's header is evidence only when that CDN delivered the request: `CloudFront-Viewer-Address`
/// is bound to CloudFront's origin-facing ranges, `CF-Connecting-IP` to Cloudflare's. Walking
/// X-Forwarded-For from the right past your own trusted proxies, the first hop that is not one of
/// them must lie inside both the CDN's published ranges and yours; a hop outside your ranges is the
/// answer itself (a caller who went around the CDN). Any other header (`X-Real-IP`,
/// `True-Client-IP`, …) is your own proxy's: believed when the front door's peer is inside your
/// ranges, and refused with a shared CDN's ranges, since every customer of that CDN could send it.
///
/// Cloudflare's Pseudo IPv4 (class E addresses for IPv6 visitors) is undone in every mode: when
/// the hop right of a class E address is Cloudflare's, the answer is `CF-Connecting-IPv6`, which
/// must hold one IPv6 address outside the trusted ranges and Cloudflare's.
///
/// Construction is the one place anything is refused: the typed constructors and
/// [`from_lookup`](Source::from_lookup) refuse the same things, so resolving fails only because
/// of the request.
///
/// ```
/// use http::HeaderMap;
/// use lambda_client_ip::{Peer, Source};
///
/// let source = Source::header("CF-Connecting-IP", "cloudflare".parse()?)?;
/// let mut headers = HeaderMap::new();
/// headers.insert("cf-connecting-ip", "203.0.113.9".parse()?);
///
/// // Delivered by a Cloudflare edge: the header is believed.
/// headers.insert("x-forwarded-for", "203.0.113.9,104.16.0.1".parse()?);
/// assert_eq!(source.resolve(&headers, Peer::Appended)?.to_string(), "203.0.113.9");
///
/// // Sent straight to the front door with a forged header: the caller's own address.
/// headers.insert("x-forwarded-for", "198.51.100.66".parse()?);
/// assert_eq!(source.resolve(&headers, Peer::Appended)?.to_string(), "198.51.100.66");
///
/// // The header is bound to Cloudflare: trusting only CloudFront is refused.
/// assert!(Source::header("cf-connecting-ip", "cloudfront".parse()?).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    evidence: Evidence,
}

/// The kinds of evidence, each with the rule that binds it to its writer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Evidence {
    /// Every entry the walk passes was appended by a trusted proxy.
    XForwardedFor(TrustPolicy),
    /// `Forwarded`, believed only when `writer` is the front door's peer.
    Forwarded {
        policy: TrustPolicy,
        writer: VpcLink,
    },
    /// A single-address header, believed only when its writer delivered the request.
    Header {
        header: Header,
        trusted: TrustedRanges,
    },
}

/// The hop that writes RFC 7239 `Forwarded` and so must have delivered the request: API Gateway's
/// VPC link, which an HTTP API uses to reach an internal ALB. The ALB appends the VPC link's
/// private address to X-Forwarded-For; a caller that reaches the ALB any other way has a
/// different peer, and its own `Forwarded` is never read.
///
/// ```
/// use lambda_client_ip::VpcLink;
/// let tight = VpcLink::Subnets("10.0.1.0/24, 10.0.2.0/24".parse()?);
/// let loose = VpcLink::AnyPrivateAddress;
/// assert_ne!(tight, loose);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VpcLink {
    /// The VPC link's subnets (`VPC_LINK_CIDRS`): the peer must lie inside them. The tight
    /// binding: nothing else in the VPC can write a `Forwarded` that is believed.
    Subnets(TrustedRanges),
    /// Any private peer: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10 or fc00::/7. A
    /// public peer is never the writer, but any machine of the VPC that reaches the ALB directly
    /// can write a `Forwarded` that is believed.
    AnyPrivateAddress,
}

impl VpcLink {
    fn delivered(&self, ip: IpAddr) -> bool {
        match self {
            Self::Subnets(subnets) => subnets.contains(ip),
            Self::AnyPrivateAddress => is_private(ip),
        }
    }
}

/// A single-address header and its writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) name: HeaderName,
    /// Where the writer connects from: the CDN's published ranges, or the trusted ranges
    /// themselves for a header of your own proxy.
    writer: TrustedRanges,
    format: Format,
}

/// How a header writes its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// An address, as X-Forwarded-For's entries.
    Address,
    /// `ip:port` with the port required and IPv6 unbracketed (`CloudFront-Viewer-Address`).
    ViewerAddress,
}

impl Default for Source {
    /// X-Forwarded-For with no proxy in front: the client is the peer the front door saw.
    fn default() -> Self {
        Self::x_forwarded_for(TrustPolicy::default())
    }
}

/// The chains a source reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Chain {
    XForwardedFor,
    Forwarded,
}

impl Chain {
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::XForwardedFor => "x-forwarded-for",
            Self::Forwarded => "forwarded",
        }
    }

    /// The header's name, built once, so a lookup parses no name on every request.
    fn header(self) -> &'static HeaderName {
        static XFF: HeaderName = HeaderName::from_static("x-forwarded-for");
        static FORWARDED: HeaderName = HeaderName::from_static("forwarded");
        match self {
            Self::XForwardedFor => &XFF,
            Self::Forwarded => &FORWARDED,
        }
    }
}

/// One position of a chain: its text and what it parses to, before the rule on which addresses
/// can be a client.
pub(crate) struct Hop<'a> {
    pub(crate) position: usize,
    pub(crate) text: Cow<'a, [u8]>,
    pub(crate) parsed: Option<(IpAddr, Option<u16>)>,
}

/// The positions of `chain`, rightmost first. The peer stands at position 0 of X-Forwarded-For
/// when the front door did not append it there; it is never an element of `Forwarded`, whose
/// writer it is.
pub(crate) fn hops(map: &HeaderMap, peer: Peer, chain: Chain) -> impl Iterator<Item = Hop<'_>> {
    let lines = map.get_all(chain.header()).into_iter().rev();
    let pieces = lines.flat_map(move |line| match chain {
        Chain::XForwardedFor => Pieces::Plain(line.as_bytes().rsplit(is_comma)),
        Chain::Forwarded => Pieces::Quoted(split_from_right(line.as_bytes(), b',')),
    });
    let parse = move |raw: &[u8]| match chain {
        Chain::XForwardedFor => parse_any(raw),
        Chain::Forwarded => parse_element(raw),
    };
    let first = match peer {
        _ if chain == Chain::Forwarded => None,
        Peer::Socket(ip) => Some(ip),
        Peer::AppendedAndReported(ip) if !map.contains_key(chain.header()) => Some(ip),
        _ => None,
    };
    let first = first.map(|ip| {
        let text = Cow::Owned(ip.to_string().into_bytes());
        (text, Some((ip.to_canonical(), None)))
    });
    let rest = pieces.map(move |raw: &[u8]| (Cow::Borrowed(raw), parse(raw)));
    let all = first.into_iter().chain(rest).enumerate();
    all.map(|(position, (text, parsed))| Hop {
        position,
        text,
        parsed,
    })
}

/// One line's pieces, rightmost first: X-Forwarded-For split lazily, so a count reads only the
/// entries it needs whatever the header's length; `Forwarded` with its quotes paired from the
/// right over the whole line first.
enum Pieces<'a> {
    Plain(std::slice::RSplit<'a, u8, fn(&u8) -> bool>),
    Quoted(crate::forwarded::QuotedRSplit<'a>),
}

impl<'a> Iterator for Pieces<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        match self {
            Self::Plain(pieces) => pieces.next(),
            Self::Quoted(pieces) => pieces.next(),
        }
    }
}

fn is_comma(byte: &u8) -> bool {
    *byte == b','
}

/// An answer, or why there is none.
pub(crate) type Resolved = Result<ClientIp, ResolveError>;

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

/// What the source reads in one request, once its writer's binding is checked.
#[derive(Clone, Copy)]
pub(crate) struct Plan<'a> {
    pub(crate) chain: Chain,
    pub(crate) rule: Rule<'a>,
    /// The single-address header, whose writer ends the walk.
    pub(crate) header: Option<&'a Header>,
    /// For `Forwarded`, whether the front door's peer is the VPC link that writes it; for a
    /// header, found by the walk.
    pub(crate) binding: Binding,
}

/// Where a walk stops: at the client, or at the hop (its position and address) of the header's
/// writer, which delivered the request.
enum Found<'a> {
    Client(ClientIp),
    Writer(&'a Header, usize, IpAddr),
}

impl Source {
    /// X-Forwarded-For, read under `policy` (a [`ProxyCount`](crate::ProxyCount) or [`TrustedRanges`] converts).
    ///
    /// ```
    /// use http::HeaderMap;
    /// use lambda_client_ip::{Peer, ProxyCount, Source};
    ///
    /// // client → proxy → proxy → ALB: the ALB appended 150.172.238.178, the proxy it saw.
    /// let mut headers = HeaderMap::new();
    /// headers.insert("x-forwarded-for", "203.0.113.195, 70.41.3.18, 150.172.238.178".parse()?);
    /// let both_yours = Source::x_forwarded_for(ProxyCount::new(2).unwrap());
    /// assert_eq!(both_yours.resolve(&headers, Peer::Appended)?.to_string(), "203.0.113.195");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn x_forwarded_for(policy: impl Into<TrustPolicy>) -> Self {
        Self::with(Evidence::XForwardedFor(policy.into()))
    }

    /// RFC 7239 `Forwarded`, written by API Gateway towards a VPC link, its `for=` elements read
    /// under `policy`: a count (0: the element API Gateway appended), or ranges (walk past the
    /// elements of your trusted proxies, such as a CDN in front of the API).
    ///
    /// `Forwarded` is read only when the front door's peer (position 0 of X-Forwarded-For) is
    /// `vpc_link`. Any other caller gets what X-Forwarded-For vouches for: its own address under a
    /// count, or the walk past `policy`'s ranges. Refused: [`VpcLink::Subnets`] with no range.
    ///
    /// ```
    /// use http::HeaderMap;
    /// use lambda_client_ip::{Peer, ProxyCount, Source, VpcLink};
    ///
    /// let source = Source::forwarded(ProxyCount::new(0).unwrap(), VpcLink::Subnets("10.0.1.0/24".parse()?))?;
    /// let mut headers = HeaderMap::new();
    /// headers.insert("forwarded", r#"for=6.6.6.6, for="[2001:db8::7]:4711";proto=https"#.parse()?);
    ///
    /// // Delivered by the VPC link: the element API Gateway appended.
    /// headers.insert("x-forwarded-for", "10.0.1.17".parse()?);
    /// let client = source.resolve(&headers, Peer::Appended)?;
    /// assert_eq!((client.ip().to_string(), client.port()), ("2001:db8::7".into(), Some(4711)));
    ///
    /// // A caller that reached the ALB another way: its own address, never its `Forwarded`.
    /// headers.insert("x-forwarded-for", "198.51.100.66".parse()?);
    /// assert_eq!(source.resolve(&headers, Peer::Appended)?.to_string(), "198.51.100.66");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn forwarded(
        policy: impl Into<TrustPolicy>,
        vpc_link: VpcLink,
    ) -> Result<Self, SourceError> {
        if matches!(&vpc_link, VpcLink::Subnets(subnets) if subnets.is_empty()) {
            let reason = "is not accepted: name at least one subnet of the VPC link.";
            return Err(SourceError::new(format!("{LINK_VAR}=\"\""), reason));
        }
        let policy = policy.into();
        let writer = vpc_link;
        Ok(Self::with(Evidence::Forwarded { policy, writer }))
    }

    /// A single-address header, believed only from its writer (see the type's docs).
    ///
    /// Refused: a name that is not a header name or is a chain (`x-forwarded-for`, `forwarded`);
    /// a near miss of a known header (`cf_connecting_ip`, `HTTP_X_REAL_IP`, `cf-conecting-ip`),
    /// with the name meant; no trusted range; a CDN's header when no trusted range is that CDN's;
    /// any other header when a trusted range is a shared CDN's (every customer of the CDN could
    /// send it through); `Fastly-Client-IP`, which Fastly keeps when a client sends it;
    /// `CF-Connecting-IPv6`, read by every source for a Pseudo IPv4.
    ///
    /// ```
    /// use lambda_client_ip::Source;
    /// assert!(Source::header("x-real-ip", "10.0.0.0/8".parse()?).is_ok());
    /// assert!(Source::header("cloudfront-viewer-address", "cloudfront".parse()?).is_ok());
    /// assert!(Source::header("x-real-ip", "cloudfront".parse()?).is_err());
    /// assert!(Source::header("fastly-client-ip", "fastly".parse()?).is_err());
    /// let err = Source::header("CF_CONNECTING_IP", "cloudflare".parse()?).unwrap_err();
    /// assert!(err.to_string().contains(r#"did you mean "cf-connecting-ip"?"#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn header(name: &str, trusted: TrustedRanges) -> Result<Self, SourceError> {
        let nets: Vec<String> = trusted.iter().map(|n| n.to_string()).collect();
        Self::header_with(name, trusted, &nets.join(","))
    }

    fn header_with(name: &str, trusted: TrustedRanges, cidrs: &str) -> Result<Self, SourceError> {
        let lower = name.trim().to_ascii_lowercase();
        let setting = format!(
            "{HEADER_VAR}={:?}",
            name.chars().take(64).collect::<String>()
        );
        let refuse =
            |why: &str| SourceError::new(setting.clone(), format!("is not accepted: {why}."));
        if let Some((_, why)) = REFUSED_HEADERS.iter().find(|(n, _)| *n == lower) {
            return Err(refuse(why));
        }
        let cdn = CDN_HEADERS.iter().find(|(n, ..)| *n == lower);
        if let (None, Some(meant)) = (cdn, near_miss(&lower)) {
            return Err(refuse(&format!(
                "it is not a header any proxy writes (did you mean {meant:?}?)"
            )));
        }
        let name = HeaderName::from_bytes(lower.as_bytes())
            .map_err(|_| refuse("it is not a header name"))?;
        if trusted.is_empty() {
            let why = format!(
                "needs {CIDRS_VAR} to be set: the header is believed only from a peer inside the proxy's ranges, or anyone who reaches the front door could write it."
            );
            return Err(SourceError::new(setting, why));
        }
        let (writer, format) = match cdn {
            Some(&(_, cdn, format)) if trusted.overlaps(&TrustedRanges::published(cdn)) => {
                (TrustedRanges::published(cdn), format)
            }
            Some(&(_, cdn, _)) => {
                let why = format!(
                    "is written by {cdn} and is evidence only when {cdn} delivered the request, but {CIDRS_VAR}={cidrs:?} holds none of {cdn}'s ranges: add the preset {cdn}, or behind several CDNs read X-Forwarded-For (unset {HEADER_VAR}) with every CDN's preset."
                );
                return Err(SourceError::new(setting, why));
            }
            None => match shared_cdn(&trusted) {
                None => (trusted.clone(), Format::Address),
                Some(cdn) => {
                    let own = CDN_HEADERS.iter().find(|(_, c, _)| *c == cdn);
                    let instead = own.map_or(String::new(), |(n, ..)| {
                        format!("{HEADER_VAR}={n}, the header {cdn} writes, or ")
                    });
                    return Err(refuse(&format!(
                        "{CIDRS_VAR}={cidrs:?} holds ranges of {cdn}, a CDN every customer of which can send {name} through it; read {instead}X-Forwarded-For (unset {HEADER_VAR}) with {CIDRS_VAR}={cdn}"
                    )));
                }
            },
        };
        let header = Header {
            name,
            writer,
            format,
        };
        Ok(Self::with(Evidence::Header { header, trusted }))
    }

    fn with(evidence: Evidence) -> Self {
        Self { evidence }
    }

    /// The source the environment describes, read through `lookup` (`|name|
    /// std::env::var(name).ok()` in a binary, a map in tests):
    ///
    /// | variable | meaning | default |
    /// |---|---|---|
    /// | `TRUSTED_PROXY_COUNT` | trusted proxies in front of the front door, 0 to 30 | `0` |
    /// | `TRUSTED_PROXY_CIDRS` | CIDRs, bare addresses and [presets](Preset) of trusted proxies, comma-separated | empty |
    /// | `CLIENT_IP_HEADER` | `x-forwarded-for`, `forwarded`, or a single-address header | `x-forwarded-for` |
    /// | `VPC_LINK_CIDRS` | with `forwarded`: the VPC link's subnets ([`VpcLink::Subnets`]) | any private peer ([`VpcLink::AnyPrivateAddress`]) |
    ///
    /// A variable that is empty or only whitespace counts as unset. Refused, with a message
    /// naming the variables and values: a count and ranges together; `forwarded` with neither;
    /// `VPC_LINK_CIDRS` without `forwarded`; and everything the typed constructors refuse.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use lambda_client_ip::Source;
    ///
    /// let env = HashMap::from([("TRUSTED_PROXY_CIDRS", "cloudfront"), ("CLIENT_IP_HEADER", "CloudFront-Viewer-Address")]);
    /// let source = Source::from_lookup(|k| env.get(k).map(|v| v.to_string()))?;
    /// assert!(source.to_string().starts_with("cloudfront-viewer-address, believed from its writer"));
    ///
    /// let env = HashMap::from([("TRUSTED_PROXY_COUNT", "1"), ("TRUSTED_PROXY_CIDRS", "10.0.0.0/8")]);
    /// assert!(Source::from_lookup(|k| env.get(k).map(|v| v.to_string())).is_err());
    /// # Ok::<(), lambda_client_ip::SourceError>(())
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SourceError> {
        let set = |name| lookup(name).filter(|v: &String| !v.trim().is_empty());
        let invalid = |var: &str, value: &str, problem: PolicyError| {
            SourceError::new(
                format!("{var}={value:?}"),
                format!("is not accepted: {problem}."),
            )
        };
        let (count, cidrs, link) = (set(COUNT_VAR), set(CIDRS_VAR), set(LINK_VAR));
        let policy = match (&count, &cidrs) {
            (Some(count), Some(cidrs)) => {
                let settings = format!("{COUNT_VAR}={count:?} and {CIDRS_VAR}={cidrs:?}");
                let reason = "are both set: choose one way to trust proxies.";
                return Err(SourceError::new(settings, reason));
            }
            (Some(n), None) => Some(
                n.parse()
                    .map(TrustPolicy::Count)
                    .map_err(|e| invalid(COUNT_VAR, n, e))?,
            ),
            (None, Some(l)) => Some(
                l.parse()
                    .map(TrustPolicy::Ranges)
                    .map_err(|e| invalid(CIDRS_VAR, l, e))?,
            ),
            (None, None) => None,
        };
        let header = set(HEADER_VAR).unwrap_or_else(|| "x-forwarded-for".to_owned());
        let lower = header.trim().to_ascii_lowercase();
        if let (Some(link), false) = (&link, lower == "forwarded") {
            let reason = format!("is read only with {HEADER_VAR}=forwarded: unset it.");
            return Err(SourceError::new(format!("{LINK_VAR}={link:?}"), reason));
        }
        match (lower.as_str(), policy) {
            ("x-forwarded-for", policy) => Ok(Self::x_forwarded_for(policy.unwrap_or_default())),
            ("forwarded", Some(policy)) => {
                let parse = |text: &String| text.parse().map_err(|e| invalid(LINK_VAR, text, e));
                let writer = link.as_ref().map(parse).transpose()?;
                Self::forwarded(
                    policy,
                    writer.map_or(VpcLink::AnyPrivateAddress, VpcLink::Subnets),
                )
            }
            ("forwarded", None) => Err(SourceError::new(
                format!("{HEADER_VAR}={header:?}"),
                "needs TRUSTED_PROXY_COUNT or TRUSTED_PROXY_CIDRS to be set: Forwarded is read from the right, by counting its elements (0: the one the front door appended) or past your proxies' ranges.",
            )),
            (_, policy) => {
                let ranges = match policy {
                    Some(TrustPolicy::Ranges(ranges)) => ranges,
                    _ => TrustedRanges::default(),
                };
                Self::header_with(&header, ranges, cidrs.as_deref().unwrap_or_default())
            }
        }
    }

    /// The single-address header the source reads, if it reads one (an adapter that copies only
    /// some headers into a `HeaderMap` must copy it, `x-forwarded-for`, `forwarded` and
    /// `cf-connecting-ipv6`).
    ///
    /// ```
    /// use lambda_client_ip::Source;
    /// let source = Source::header("X-Real-IP", "10.0.0.0/8".parse()?)?;
    /// assert_eq!(source.header_name(), Some("x-real-ip"));
    /// assert_eq!(Source::default().header_name(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn header_name(&self) -> Option<&str> {
        match &self.evidence {
            Evidence::Header { header, .. } => Some(header.name.as_str()),
            _ => None,
        }
    }

    /// The trusted ranges the source holds, if any.
    pub fn trusted_ranges(&self) -> Option<&TrustedRanges> {
        match &self.evidence {
            Evidence::XForwardedFor(policy) | Evidence::Forwarded { policy, .. } => match policy {
                TrustPolicy::Ranges(ranges) => Some(ranges),
                TrustPolicy::Count(_) => None,
            },
            Evidence::Header { trusted, .. } => Some(trusted),
        }
    }

    /// What the source reads in this request: `Forwarded` only when its writer delivered it,
    /// X-Forwarded-For otherwise (the caller's own address under a count, the walk past the
    /// ranges under ranges).
    pub(crate) fn plan(&self, headers: &HeaderMap, peer: Peer) -> Plan<'_> {
        let chain = |chain, rule| Plan {
            chain,
            rule,
            header: None,
            binding: Binding::Walk,
        };
        match &self.evidence {
            Evidence::XForwardedFor(policy) => chain(Chain::XForwardedFor, policy.into()),
            Evidence::Header { header, trusted } => Plan {
                header: Some(header),
                ..chain(Chain::XForwardedFor, Rule::Ranges(trusted))
            },
            Evidence::Forwarded { policy, writer } => {
                let front = hops(headers, peer, Chain::XForwardedFor).next();
                if front
                    .and_then(|hop| hop.parsed)
                    .is_some_and(|(ip, _)| writer.delivered(ip))
                {
                    let plan = chain(Chain::Forwarded, policy.into());
                    return Plan {
                        binding: Binding::Held(0),
                        ..plan
                    };
                }
                // A caller that did not come through the VPC link: its own address under a
                // count, the walk past the ranges under ranges.
                let rule = match Rule::from(policy) {
                    Rule::Count(_) => Rule::Count(0),
                    ranges => ranges,
                };
                Plan {
                    binding: Binding::Failed(0),
                    ..chain(Chain::XForwardedFor, rule)
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
    pub fn resolve(&self, headers: &HeaderMap, peer: Peer) -> Resolved {
        self.read(headers, peer, self.plan(headers, peer))
    }

    /// Resolves a request by `plan`.
    pub(crate) fn read(&self, headers: &HeaderMap, peer: Peer, plan: Plan<'_>) -> Resolved {
        if plan.chain == Chain::Forwarded && !headers.contains_key(plan.chain.header()) {
            let header = plan.chain.name().to_owned();
            return Err(ResolveError::HeaderMissing { header });
        }
        match self.walk(headers, peer, plan)? {
            Found::Client(client) => Ok(client),
            Found::Writer(header, position, by) => {
                self.read_header(headers, header, position + 1, by, plan.rule)
            }
        }
    }

    /// The one walk: reads `plan.chain` from the right under its rule; a hop inside the header's
    /// writer ranges ends the walk there.
    fn walk<'a>(
        &self,
        headers: &HeaderMap,
        peer: Peer,
        plan: Plan<'a>,
    ) -> Result<Found<'a>, ResolveError> {
        let (mut entries, mut previous) = (0, None);
        for hop in hops(headers, peer, plan.chain) {
            let position = hop.position;
            entries = position + 1;
            let invalid = || ResolveError::InvalidEntry {
                header: plan.chain.name(),
                position,
                entry: shorten(&hop.text),
            };
            let (ip, port) = hop.parsed.ok_or_else(invalid)?;
            let is_answer = match plan.rule {
                Rule::Count(n) => position == n,
                Rule::Ranges(trusted) => !trusted.contains(ip),
            };
            if !can_be_client(ip) {
                let cloudflare_wrote = previous.is_some_and(from_cloudflare);
                if is_answer && is_class_e(ip) && cloudflare_wrote {
                    return self
                        .pseudo_ipv4(headers, position, ip, plan.rule)
                        .map(Found::Client);
                }
                return Err(invalid());
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
            _ if entries == 0 => ResolveError::NoAddress,
            Rule::Count(n) => ResolveError::ChainTooShort {
                entries,
                needed: n + 1,
            },
            Rule::Ranges(_) => ResolveError::AllTrusted { entries },
        })
    }

    /// The single-address header `h`, whose writer `by` delivered the request; it stands at
    /// `position`.
    fn read_header(
        &self,
        headers: &HeaderMap,
        h: &Header,
        at: usize,
        by: IpAddr,
        rule: Rule,
    ) -> Resolved {
        let header = h.name.as_str().to_owned();
        let (ip, port) = match one_address(headers, &h.name, h.format) {
            Ok(Some(found)) => found,
            Ok(None) => return Err(ResolveError::HeaderMissing { header }),
            Err(None) => return Err(ResolveError::HeaderRepeated { header }),
            Err(Some(value)) => return Err(ResolveError::HeaderInvalid { header, value }),
        };
        let value = ip.to_string();
        if is_class_e(ip) && from_cloudflare(by) {
            self.pseudo_ipv4(headers, at, ip, rule)
        } else if !can_be_client(ip) {
            Err(ResolveError::HeaderInvalid { header, value })
        } else if rule.trusts(ip) {
            Err(ResolveError::HeaderTrusted { header, value })
        } else {
            Ok(ClientIp {
                ip,
                port,
                position: at,
            })
        }
    }

    /// The IPv6 visitor behind a Pseudo IPv4 that Cloudflare wrote: `CF-Connecting-IPv6`, held to
    /// the rules of every answer.
    fn pseudo_ipv4(&self, headers: &HeaderMap, at: usize, pseudo: IpAddr, rule: Rule) -> Resolved {
        let name = HeaderName::from_static(CF_CONNECTING_IPV6);
        match one_address(headers, &name, Format::Address) {
            Ok(None) => Err(ResolveError::PseudoIpv4 {
                address: pseudo.to_string(),
            }),
            Err(None) => Err(ResolveError::Ipv6HeaderRepeated),
            Err(Some(value)) => Err(ResolveError::Ipv6HeaderInvalid { value }),
            Ok(Some((ip, _))) if !ip.is_ipv6() || !can_be_client(ip) => {
                Err(ResolveError::Ipv6HeaderInvalid {
                    value: ip.to_string(),
                })
            }
            Ok(Some((ip, _))) if rule.trusts(ip) || from_cloudflare(ip) => {
                let header = CF_CONNECTING_IPV6.to_owned();
                Err(ResolveError::HeaderTrusted {
                    header,
                    value: ip.to_string(),
                })
            }
            Ok(Some((ip, _))) => Ok(ClientIp {
                ip,
                port: None,
                position: at,
            }),
        }
    }
}

impl Source {
    /// Whether the evidence's writer delivered the request (explain's [`Binding`]).
    pub(crate) fn binding(&self, headers: &HeaderMap, peer: Peer, plan: Plan<'_>) -> Binding {
        match plan.header.map(|_| self.walk(headers, peer, plan)) {
            None => plan.binding,
            Some(Ok(Found::Writer(_, position, _))) => Binding::Held(position),
            Some(Ok(Found::Client(client))) => Binding::Failed(client.position()),
            Some(Err(ResolveError::InvalidEntry { position, .. })) => Binding::Failed(position),
            Some(Err(_)) => Binding::Failed(0),
        }
    }
}

impl Rule<'_> {
    /// Whether the rule trusts `ip` as a proxy (a count trusts no address by itself).
    fn trusts(self, ip: IpAddr) -> bool {
        matches!(self, Rule::Ranges(trusted) if trusted.contains(ip))
    }
}

/// Whether `ip` is one of Cloudflare's published addresses: the hop that can hand out a Pseudo
/// IPv4 (the bundled ranges, built once).
fn from_cloudflare(ip: IpAddr) -> bool {
    let mut published = crate::explain::published().iter();
    published.any(|(preset, ranges)| *preset == Preset::Cloudflare && ranges.contains(ip))
}

/// The address in the one value of a single-address header: `None` when absent; refused with
/// `None` when repeated or a list, with the value when it holds no address in `format`.
fn one_address(
    headers: &HeaderMap,
    name: &HeaderName,
    format: Format,
) -> Result<Option<(IpAddr, Option<u16>)>, Option<String>> {
    let mut values = headers.get_all(name).into_iter();
    let value = match (values.next(), values.next()) {
        (None, _) => return Ok(None),
        (Some(value), None) if !value.as_bytes().contains(&b',') => value.as_bytes(),
        _ => return Err(None),
    };
    let parsed = match format {
        Format::Address => parse_any(value),
        Format::ViewerAddress => parse_viewer_address(value),
    };
    parsed.map(Some).ok_or_else(|| Some(shorten(value)))
}

/// The single-address headers a CDN writes on every request, overwriting a client's.
const CDN_HEADERS: [(&str, Preset, Format); 2] = [
    (
        "cloudfront-viewer-address",
        Preset::CloudFront,
        Format::ViewerAddress,
    ),
    ("cf-connecting-ip", Preset::Cloudflare, Format::Address),
];

/// Headers never read as the configured single-address header, and why.
const REFUSED_HEADERS: [(&str, &str); 4] = [
    (
        "x-forwarded-for",
        "it is a chain, not a single-address header; unset CLIENT_IP_HEADER to read it",
    ),
    (
        "forwarded",
        "it is a chain, not a single-address header; set CLIENT_IP_HEADER=forwarded with a count or ranges",
    ),
    (
        "fastly-client-ip",
        "Fastly keeps a value the client sent, so anyone can choose it; read X-Forwarded-For instead (unset CLIENT_IP_HEADER) with TRUSTED_PROXY_CIDRS=fastly",
    ),
    (
        CF_CONNECTING_IPV6,
        "every source reads it for Cloudflare's Pseudo IPv4 addresses; did you mean \"cf-connecting-ip\"?",
    ),
];

/// The shared CDN (any of whose customers can send any header through it) whose published
/// ranges `trusted` overlaps.
fn shared_cdn(trusted: &TrustedRanges) -> Option<Preset> {
    let shared = Preset::ALL.into_iter().filter(|p| p.trustable());
    shared
        .into_iter()
        .find(|&p| trusted.overlaps(&TrustedRanges::published(p)))
}

/// A known header that `lower` (a lower-case name) misspells: underscores for dashes, a CGI or
/// nginx `http_` prefix, or one or two letters off.
fn near_miss(lower: &str) -> Option<&'static str> {
    let refused = REFUSED_HEADERS.iter().map(|(name, _)| *name);
    let cdn = CDN_HEADERS.iter().map(|(name, ..)| *name);
    let known: Vec<&str> = refused
        .chain(cdn)
        .chain(["true-client-ip", "x-real-ip"])
        .collect();
    let dashed = lower.replace('_', "-");
    let bare = dashed.strip_prefix("http-").unwrap_or(&dashed);
    let near = |known: &&str| *known == bare || edit_distance(known, lower) <= 2;
    (!known.contains(&lower))
        .then(|| known.into_iter().find(near))
        .flatten()
}

/// Levenshtein distance (insertions, deletions and substitutions of bytes).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.bytes().enumerate() {
        let mut diagonal = i;
        let mut next = vec![i + 1];
        for (j, cb) in b.bytes().enumerate() {
            let above = row.get(j + 1).copied().unwrap_or(usize::MAX);
            let left = next.last().copied().unwrap_or(usize::MAX);
            let cost = diagonal + usize::from(ca != cb);
            next.push(cost.min(above + 1).min(left + 1));
            diagonal = above;
        }
        row = next;
    }
    row.last().copied().unwrap_or(0)
}

impl fmt::Display for Source {
    /// The setting in words: what is read, and what binds it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.evidence {
            Evidence::XForwardedFor(policy) => write!(f, "X-Forwarded-For, {policy}"),
            Evidence::Forwarded { policy, .. } => write!(f, "Forwarded from a VPC link, {policy}"),
            Evidence::Header { header, trusted } => {
                let trusted = TrustPolicy::Ranges(trusted.clone());
                write!(
                    f,
                    "{}, believed from its writer inside {trusted}",
                    header.name
                )
            }
        }
    }
}
