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
    can_be_client, is_class_e, parse_any, parse_entry, parse_viewer_address, shorten,
};
use crate::error::{ResolveError, SourceError};
use crate::forwarded::{parse_element, split_from_right};
use crate::policy::{PolicyError, ProxyCount, TrustPolicy, TrustedRanges};
use crate::preset::Preset;

const COUNT_VAR: &str = "TRUSTED_PROXY_COUNT";
const CIDRS_VAR: &str = "TRUSTED_PROXY_CIDRS";
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
/// integration takes.
///
/// | constructor | reads | trusts |
/// |---|---|---|
/// | [`x_forwarded_for`](Source::x_forwarded_for) | X-Forwarded-For | a count of proxies, or their ranges |
/// | [`forwarded`](Source::forwarded) | RFC 7239 `Forwarded` | a count, or ranges, of `for=` elements |
/// | [`header`](Source::header) | a single-address header | the CDN that writes it, or your proxy |
/// | [`from_lookup`](Source::from_lookup) | any of them, from environment-variable text | |
///
/// A CDN's header is evidence only when that CDN delivered the request: `CloudFront-Viewer-Address`
/// is bound to CloudFront's origin-facing ranges, `CF-Connecting-IP` (and `CF-Connecting-IPv6`) to
/// Cloudflare's. Walking X-Forwarded-For from the right past your own trusted proxies, the first
/// hop that is not one of them must lie inside both the CDN's published ranges and yours; a hop
/// outside your ranges is the answer itself (a caller who went around the CDN). Any other header
/// (`X-Real-IP`, `True-Client-IP`, …) is believed when the front door's peer is inside your ranges:
/// the proxy there must overwrite it on every request.
///
/// Cloudflare's Pseudo IPv4 (class E addresses for IPv6 visitors) is undone in every mode: when
/// the hop right of a class E address is Cloudflare's, the answer is `CF-Connecting-IPv6`.
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
    pub(crate) chain: &'static str,
    pub(crate) policy: TrustPolicy,
    pub(crate) header: Option<Header>,
    /// Cloudflare's published ranges: the hop that can hand out a Pseudo IPv4.
    cloudflare: TrustedRanges,
}

/// A single-address header, read from the hop that writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) name: HeaderName,
    /// Where the writer connects from: the CDN's published ranges, or the trusted ranges
    /// themselves for a header of your own proxy.
    writer: TrustedRanges,
    /// `CloudFront-Viewer-Address`: `ip:port`, IPv6 unbracketed.
    viewer_address: bool,
}

impl Default for Source {
    /// X-Forwarded-For with no proxy in front: the client is the peer the front door saw.
    fn default() -> Self {
        Self::x_forwarded_for(TrustPolicy::default())
    }
}

/// The chains a source reads: X-Forwarded-For, or RFC 7239 `Forwarded`.
pub(crate) const XFF: &str = "x-forwarded-for";
pub(crate) const FORWARDED: &str = "forwarded";

/// One position of a chain: its text and what it parses to, before the rule on which addresses
/// can be a client.
pub(crate) struct Hop<'a> {
    pub(crate) position: usize,
    pub(crate) text: Cow<'a, [u8]>,
    pub(crate) parsed: Option<(IpAddr, Option<u16>)>,
}

/// The positions of `chain`, rightmost first.
pub(crate) fn hops<'a>(
    map: &'a HeaderMap,
    peer: Peer,
    chain: &str,
) -> impl Iterator<Item = Hop<'a>> {
    // A `HeaderName` is looked up without parsing a name on every request.
    const NAMES: [HeaderName; 2] = [
        HeaderName::from_static(XFF),
        HeaderName::from_static(FORWARDED),
    ];
    let (forwarded, [xff, fwd]) = (chain == FORWARDED, &NAMES);
    let name = if forwarded { fwd } else { xff };
    let lines = map.get_all(name).into_iter().rev();
    // X-Forwarded-For is split lazily, so a count reads only the entries it needs whatever the
    // header's length; `Forwarded` pairs quotes from the right over its whole line first.
    let pieces = lines.flat_map(move |line| {
        let quoted = forwarded.then(|| split_from_right(line.as_bytes(), b','));
        let plain = (!forwarded).then(|| line.as_bytes().rsplit(|&b| b == b','));
        quoted
            .into_iter()
            .flatten()
            .chain(plain.into_iter().flatten())
    });
    let parse = move |raw: &[u8]| {
        if forwarded {
            parse_element(raw)
        } else {
            parse_any(raw)
        }
    };
    let first = match peer {
        Peer::Socket(ip) => Some(ip),
        Peer::AppendedAndReported(ip) if !map.contains_key(name) => Some(ip),
        _ => None,
    };
    let first = first.map(|ip| {
        (
            Cow::Owned(ip.to_string().into_bytes()),
            Some((ip.to_canonical(), None)),
        )
    });
    let rest = pieces.map(move |raw: &[u8]| (Cow::Borrowed(raw), parse(raw)));
    let all = first.into_iter().chain(rest).enumerate();
    all.map(|(position, (text, parsed))| Hop {
        position,
        text,
        parsed,
    })
}

/// Where a walk stops.
/// An answer, or why there is none.
pub(crate) type Resolved = Result<ClientIp, ResolveError>;
type Walked = Result<Found, ResolveError>;

pub(crate) enum Found {
    Client(ClientIp),
    /// The writer of the single-address header delivered the request at this position.
    Writer(usize, IpAddr),
}

impl Source {
    /// X-Forwarded-For, read under `policy` (a [`ProxyCount`] or [`TrustedRanges`] converts).
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
        Self::with(XFF, policy.into(), None)
    }

    /// RFC 7239 `Forwarded`, its `for=` elements read under `policy`: a count (0: the element the
    /// front door appended, as API Gateway HTTP APIs do towards a VPC link), or ranges (walk past
    /// the elements of your trusted proxies, such as a CDN in front of the API).
    ///
    /// ```
    /// use http::HeaderMap;
    /// use lambda_client_ip::{Peer, ProxyCount, Source};
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert("forwarded", r#"for=6.6.6.6, for="[2001:db8::7]:4711";proto=https"#.parse()?);
    /// let source = Source::forwarded(ProxyCount::new(0).unwrap());
    /// let client = source.resolve(&headers, Peer::Appended)?;
    /// assert_eq!((client.ip().to_string(), client.port()), ("2001:db8::7".into(), Some(4711)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn forwarded(policy: impl Into<TrustPolicy>) -> Self {
        Self::with(FORWARDED, policy.into(), None)
    }

    /// A single-address header, believed only from its writer (see the type's docs).
    ///
    /// Refused: a name that is not a header name or is a chain (`x-forwarded-for`, `forwarded`);
    /// a CDN's header when no trusted range is that CDN's; `Fastly-Client-IP`, which Fastly keeps
    /// when a client sends it.
    ///
    /// ```
    /// use lambda_client_ip::Source;
    /// assert!(Source::header("x-real-ip", "10.0.0.0/8".parse()?).is_ok());
    /// assert!(Source::header("cloudfront-viewer-address", "cloudfront".parse()?).is_ok());
    /// assert!(Source::header("fastly-client-ip", "fastly".parse()?).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn header(name: &str, trusted: TrustedRanges) -> Result<Self, SourceError> {
        let cidrs = TrustPolicy::Ranges(trusted.clone()).to_string();
        Self::header_with(name, trusted, cidrs)
    }

    fn header_with(name: &str, trusted: TrustedRanges, cidrs: String) -> Result<Self, SourceError> {
        let setting = format!(
            "{HEADER_VAR}={:?}",
            name.chars().take(64).collect::<String>()
        );
        let refuse = |reason: &str| SourceError {
            settings: setting.clone(),
            reason: format!("is not accepted: {reason}."),
        };
        let lower = name.trim().to_ascii_lowercase();
        let cdn = match lower.as_str() {
            "x-forwarded-for" | "forwarded" => {
                return Err(refuse("it is a chain, not a single-address header"));
            }
            "fastly-client-ip" => {
                return Err(refuse(
                    "Fastly keeps a value the client sent, so anyone can choose it; read X-Forwarded-For instead (unset CLIENT_IP_HEADER) with TRUSTED_PROXY_CIDRS=fastly",
                ));
            }
            "cloudfront-viewer-address" => Some(Preset::CloudFront),
            "cf-connecting-ip" | CF_CONNECTING_IPV6 => Some(Preset::Cloudflare),
            _ => None,
        };
        let name = HeaderName::from_bytes(lower.as_bytes())
            .map_err(|_| refuse("it is not a header name"))?;
        let writer = cdn.map_or_else(|| trusted.clone(), TrustedRanges::from);
        if let Some(cdn) = cdn.filter(|_| !trusted.overlaps(&writer)) {
            return Err(SourceError {
                settings: setting,
                reason: format!(
                    "is written by {cdn} and is evidence only when {cdn} delivered the request, but {CIDRS_VAR}={cidrs:?} holds none of {cdn}'s ranges: add the preset {cdn}, or behind several CDNs read X-Forwarded-For (unset {HEADER_VAR}) with every CDN's preset."
                ),
            });
        }
        let header = Header {
            name,
            writer,
            viewer_address: cdn == Some(Preset::CloudFront),
        };
        Ok(Self::with(XFF, TrustPolicy::Ranges(trusted), Some(header)))
    }

    fn with(chain: &'static str, policy: TrustPolicy, header: Option<Header>) -> Self {
        Self {
            chain,
            policy,
            header,
            cloudflare: Preset::Cloudflare.into(),
        }
    }

    /// The source the environment describes, read through `lookup` (`|name|
    /// std::env::var(name).ok()` in a binary, a map in tests):
    ///
    /// | variable | meaning | default |
    /// |---|---|---|
    /// | `TRUSTED_PROXY_COUNT` | trusted proxies in front of the front door, 0 to 30 | `0` |
    /// | `TRUSTED_PROXY_CIDRS` | CIDRs, bare addresses and [presets](Preset) of trusted proxies, comma-separated | empty |
    /// | `CLIENT_IP_HEADER` | `x-forwarded-for`, `forwarded`, or a single-address header | `x-forwarded-for` |
    ///
    /// A variable that is empty or only whitespace counts as unset. Refused, with a message
    /// naming the variables and values: a count and ranges together; `forwarded` with neither;
    /// a single-address header without ranges (anyone who reaches the front door could write
    /// it); and everything [`Source::header`] refuses.
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
        let invalid = |var: &str, value: &str, problem: PolicyError| SourceError {
            settings: format!("{var}={value:?}"),
            reason: format!("is not accepted: {problem}."),
        };
        let (count, cidrs) = (set(COUNT_VAR), set(CIDRS_VAR));
        let policy = match (&count, &cidrs) {
            (Some(count), Some(cidrs)) => {
                let settings = format!("{COUNT_VAR}={count:?} and {CIDRS_VAR}={cidrs:?}");
                return Err(SourceError {
                    settings,
                    reason: "are both set: choose one way to trust proxies.".to_owned(),
                });
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
        let Some(header) = set(HEADER_VAR) else {
            return Ok(Self::x_forwarded_for(policy.unwrap_or_default()));
        };
        let needs = |needs, why| SourceError {
            settings: format!("{HEADER_VAR}={header:?}"),
            reason: format!("needs {needs} to be set: {why}."),
        };
        match (header.trim().to_ascii_lowercase().as_str(), policy) {
            ("x-forwarded-for", policy) => Ok(Self::x_forwarded_for(policy.unwrap_or_default())),
            ("forwarded", Some(policy)) => Ok(Self::forwarded(policy)),
            ("forwarded", None) => Err(needs(
                "TRUSTED_PROXY_COUNT or TRUSTED_PROXY_CIDRS",
                "Forwarded is read from the right, by counting its elements (0: the one the front door appended) or past your proxies' ranges",
            )),
            (_, Some(TrustPolicy::Ranges(ranges))) => {
                Self::header_with(&header, ranges, cidrs.unwrap_or_default())
            }
            _ => Err(needs(
                CIDRS_VAR,
                "the header is believed only from a peer inside the proxy's ranges, or anyone who reaches the ALB could write it",
            )),
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
        self.header.as_ref().map(|h| h.name.as_str())
    }

    /// The trusted ranges the source holds, if any.
    pub fn trusted_ranges(&self) -> Option<&TrustedRanges> {
        match &self.policy {
            TrustPolicy::Ranges(ranges) => Some(ranges),
            TrustPolicy::Count(_) => None,
        }
    }

    /// The one resolver: walks `hops` from the right under the source's policy; a trusted hop
    /// inside the header's writer ranges ends the walk there.
    pub(crate) fn walk(&self, headers: &HeaderMap, peer: Peer) -> Walked {
        let (mut entries, mut previous) = (0, None);
        let writer = self.header.as_ref().map(|h| &h.writer);
        for hop in hops(headers, peer, self.chain) {
            let position = hop.position;
            entries = position + 1;
            let (header, entry) = (self.chain, || shorten(&hop.text));
            let invalid = || ResolveError::InvalidEntry {
                header,
                position,
                entry: entry(),
            };
            let (ip, port) = hop.parsed.ok_or_else(invalid)?;
            let is_answer = match &self.policy {
                TrustPolicy::Count(n) => position == usize::from(n.get()),
                TrustPolicy::Ranges(trusted) => !trusted.contains(ip),
            };
            if !can_be_client(ip) {
                let from_cloudflare = previous.is_some_and(|p| self.cloudflare.contains(p));
                let pseudo = is_answer && is_class_e(ip) && from_cloudflare;
                let pseudo = pseudo.then(|| pseudo_ipv4(headers, position, ip).map(Found::Client));
                return pseudo.unwrap_or_else(|| Err(invalid()));
            }
            if is_answer {
                return Ok(Found::Client(ClientIp { ip, port, position }));
            }
            if writer.is_some_and(|w| w.contains(ip)) {
                return Ok(Found::Writer(position, ip));
            }
            previous = Some(ip);
        }
        Err(match &self.policy {
            _ if entries == 0 => ResolveError::NoAddress,
            TrustPolicy::Count(n) => ResolveError::ChainTooShort {
                entries,
                needed: usize::from(n.get()) + 1,
            },
            TrustPolicy::Ranges(_) => ResolveError::AllTrusted { entries },
        })
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
        if self.chain == FORWARDED && !headers.contains_key(FORWARDED) {
            return Err(ResolveError::HeaderMissing {
                header: FORWARDED.to_owned(),
            });
        }
        match self.walk(headers, peer)? {
            Found::Client(client) => Ok(client),
            Found::Writer(position, by) => self.read_header(headers, position + 1, by),
        }
    }

    /// The single-address header, whose writer `by` delivered the request; it stands at
    /// `position`.
    fn read_header(&self, headers: &HeaderMap, position: usize, by: IpAddr) -> Resolved {
        let (Some(h), TrustPolicy::Ranges(trusted)) = (&self.header, &self.policy) else {
            return Err(ResolveError::NoAddress);
        };
        let header = || h.name.as_str().to_owned();
        let value = one_value(headers, h.name.as_str())?
            .ok_or_else(|| ResolveError::HeaderMissing { header: header() })?;
        let parsed = if h.viewer_address {
            parse_viewer_address(value)
        } else {
            parse_any(value)
        };
        let invalid = || ResolveError::HeaderInvalid {
            header: header(),
            value: shorten(value),
        };
        let (ip, port) = parsed.ok_or_else(invalid)?;
        if !can_be_client(ip) {
            let pseudo = is_class_e(ip) && self.cloudflare.contains(by);
            return if pseudo {
                pseudo_ipv4(headers, position, ip)
            } else {
                Err(invalid())
            };
        }
        if trusted.contains(ip) {
            return Err(ResolveError::HeaderTrusted {
                header: header(),
                value: ip.to_string(),
            });
        }
        Ok(ClientIp { ip, port, position })
    }

    /// The same source reading its chain under a count (explain's "what each count answers").
    pub(crate) fn with_count(&self, count: ProxyCount) -> Self {
        Self {
            policy: count.into(),
            header: None,
            ..self.clone()
        }
    }
}

/// The one value of a single-address header: `None` when absent; refused when repeated or a list.
fn one_value<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h [u8]>, ResolveError> {
    let mut values = headers.get_all(name).into_iter();
    match (values.next(), values.next()) {
        (None, _) => Ok(None),
        (Some(value), None) if !value.as_bytes().contains(&b',') => Ok(Some(value.as_bytes())),
        _ => Err(ResolveError::HeaderRepeated {
            header: name.to_owned(),
        }),
    }
}

/// The IPv6 visitor behind a Pseudo IPv4 that Cloudflare wrote.
fn pseudo_ipv4(headers: &HeaderMap, position: usize, address: IpAddr) -> Resolved {
    let value = one_value(headers, CF_CONNECTING_IPV6).ok().flatten();
    match value.and_then(parse_entry) {
        Some((ip @ IpAddr::V6(_), _)) => Ok(ClientIp {
            ip,
            port: None,
            position,
        }),
        _ => Err(ResolveError::PseudoIpv4 {
            address: address.to_string(),
        }),
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let policy = &self.policy;
        match (&self.header, self.chain) {
            (Some(h), _) => write!(f, "{}, believed from its writer inside {policy}", h.name),
            (None, FORWARDED) => write!(f, "Forwarded, {policy}"),
            (None, _) => write!(f, "X-Forwarded-For, {policy}"),
        }
    }
}
