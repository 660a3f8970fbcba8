//! The source: the kinds of evidence a client address is read from, each bound to the hop that
//! writes it, and the typed constructors that refuse, with a [`SourceError`], every source that
//! cannot be vouched for. Construction is the only place anything is refused, so resolving (the
//! walk) fails only because of the request.

use std::fmt;
use std::net::IpAddr;

use http::HeaderName;

use crate::error::SourceError;
use crate::names::near_miss;
use crate::networks::is_private;
use crate::preset::{Format, Preset, Slot};
use crate::ranges::{TrustPolicy, TrustedRanges, preset_ranges};

/// Where the client address is read and why it is trusted: one validated value that every
/// integration takes. Each kind of evidence is bound to the hop that writes it:
///
/// | constructor | reads | believed when |
/// |---|---|---|
/// | [`x_forwarded_for`](Source::x_forwarded_for) | X-Forwarded-For | each entry it passes was appended by a trusted proxy (a count, or ranges) |
/// | [`forwarded`](Source::forwarded) | RFC 7239 `Forwarded` | the front door's peer is the [`VpcLink`] that writes it |
/// | [`header`](Source::header) | a single-address header | the hop that writes it delivered the request |
/// | `from_lookup` (feature `env`) | any of them, from environment-variable text | |
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
/// Construction is the one place anything is refused, and the typed constructors decide what is:
/// `from_lookup` (feature `env`) only reads their arguments from text, so it refuses the same
/// things, and resolving fails only because of the request.
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
    pub(crate) evidence: Evidence,
}

/// The kinds of evidence, each with the rule that binds it to its writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Evidence {
    /// Every entry the walk passes was appended by a trusted proxy.
    XForwardedFor(TrustPolicy),
    /// `Forwarded`, believed only when `link` is the front door's peer.
    Forwarded { policy: TrustPolicy, link: VpcLink },
    /// A single-address header, believed only when its writer delivered the request.
    Header {
        header: Header,
        trusted: TrustedRanges,
    },
}

/// The hop that writes RFC 7239 `Forwarded` and so must have delivered the request: API Gateway's
/// VPC link, which an HTTP API uses to reach an internal ALB. The ALB appends the VPC link's
/// address to X-Forwarded-For; a caller that reaches the ALB any other way has a different peer,
/// and its own `Forwarded` is never read.
///
/// The subnets you name may be any network of your own VPC, public ones included (AWS allows
/// publicly routable and 198.18.0.0/15 VPC CIDRs), but no network of a bundled list: a CDN's or
/// Global Accelerator's addresses carry every customer's requests, any of whom could send a
/// `Forwarded` through them ([`Source::forwarded`] refuses them by what they overlap, however
/// they were written). The default binding is private space only.
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
    /// binding: nothing else in the VPC can write a `Forwarded` that is believed. They may be
    /// public, never a bundled list's.
    Subnets(TrustedRanges),
    /// Any peer in private space, as the crate's census of networks defines it: 10.0.0.0/8,
    /// 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10 or fc00::/7 (not loopback, not link-local).
    /// With this default a peer outside private space is never the writer (a VPC numbered from
    /// public or 198.18.0.0/15 space names its subnets instead), and any machine of the VPC
    /// that reaches the ALB directly can write a `Forwarded` that is believed.
    AnyPrivateAddress,
}

impl VpcLink {
    /// Whether `ip`, the front door's peer, is the VPC link.
    pub(crate) fn delivered(&self, ip: IpAddr) -> bool {
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
    pub(crate) writer: TrustedRanges,
    /// How the writer writes the address, the form a refusal speaks of.
    pub(crate) form: Format,
}

/// The headers whose names a single-address header's near misses are checked against, one a
/// line: the headers proxies write (a name one or two letters off one of them, with underscores
/// for hyphens, or with a CGI `http_` prefix, is refused with the name meant).
const KNOWN_HEADERS: &str = include_str!("headers.txt");

impl Default for Source {
    /// X-Forwarded-For with no proxy in front: the client is the peer the front door saw.
    fn default() -> Self {
        Self::x_forwarded_for(TrustPolicy::default())
    }
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
        let evidence = Evidence::XForwardedFor(policy.into());
        Self { evidence }
    }

    /// RFC 7239 `Forwarded`, written by API Gateway towards a VPC link, its `for=` elements read
    /// under `policy`: a count (0: the element API Gateway appended), or ranges (walk past the
    /// elements of your trusted proxies, such as a CDN in front of the API).
    ///
    /// `Forwarded` is read only when the front door's peer (position 0 of X-Forwarded-For) is
    /// `link`. Any other caller gets what X-Forwarded-For vouches for: its own address under a
    /// count, or the walk past `policy`'s ranges. Refused: [`VpcLink::Subnets`] with no range,
    /// and subnets overlapping any bundled list ([`SourceError::VpcLinkShared`], naming the
    /// list): a CDN's or Global Accelerator's network is shared by all its customers. A public
    /// subnet is your own VPC's and is accepted. (A set of ranges overlapping Global
    /// Accelerator's edges cannot even be built: see [`TrustedRanges`].)
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
    pub fn forwarded(policy: impl Into<TrustPolicy>, link: VpcLink) -> Result<Self, SourceError> {
        if matches!(&link, VpcLink::Subnets(subnets) if subnets.is_empty()) {
            return Err(SourceError::NoVpcLinkSubnet);
        }
        if let VpcLink::Subnets(subnets) = &link
            && let Some((_, list, net)) = Slot::VpcLink.refuses(subnets.iter())
        {
            return Err(SourceError::VpcLinkShared { list, net });
        }
        let policy = policy.into();
        let evidence = Evidence::Forwarded { policy, link };
        Ok(Self { evidence })
    }

    /// A single-address header, believed only from its writer (see the type's docs).
    ///
    /// Refused: a name that is not a header name or is a chain (`x-forwarded-for`, `forwarded`);
    /// a near miss of a known header (`cf_connecting_ip`, `HTTP_X_REAL_IP`, `cf-conecting-ip`),
    /// with the name meant; any other name with a character other than ASCII letters, digits
    /// and hyphens ([`SourceError::DroppedByAlb`], naming the hyphenated form: an ALB with
    /// `routing.http.drop_invalid_header_fields.enabled` drops such a header, so it would never
    /// arrive and every request would be refused); no trusted range; a CDN's header when no
    /// trusted range is that CDN's; any other header when a trusted range overlaps a bundled
    /// list (every customer of the CDN could send it through); `Fastly-Client-IP`, which Fastly
    /// keeps when a client sends it; `CF-Connecting-IPv6`, read by every source for a Pseudo
    /// IPv4. Which networks may fill each slot is decided by what the ranges overlap, never by
    /// what they were called.
    ///
    /// ```
    /// use lambda_client_ip::{Source, SourceError};
    /// assert!(Source::header("x-real-ip", "10.0.0.0/8".parse()?).is_ok());
    /// assert!(Source::header("cloudfront-viewer-address", "cloudfront".parse()?).is_ok());
    /// assert!(Source::header("x-real-ip", "cloudfront".parse()?).is_err());
    /// assert!(Source::header("fastly-client-ip", "fastly".parse()?).is_err());
    /// let err = Source::header("CF_CONNECTING_IP", "cloudflare".parse()?).unwrap_err();
    /// assert!(matches!(&err, SourceError::Misspelled { meant, .. } if meant == "cf-connecting-ip"));
    /// assert!(err.to_string().contains(r#"(did you mean "cf-connecting-ip"?)"#));
    /// let err = Source::header("x_client_ip", "10.0.0.0/8".parse()?).unwrap_err();
    /// assert!(err.to_string().ends_with(r#"name it "x-client-ip"."#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn header(name: &str, trusted: TrustedRanges) -> Result<Self, SourceError> {
        let lower = name.trim().to_ascii_lowercase();
        let given = || name.chars().take(64).collect::<String>();
        let known: Vec<&str> = KNOWN_HEADERS.lines().collect();
        if let Some(meant) = near_miss(name, &known) {
            let (name, meant) = (given(), HeaderName::from_static(meant));
            return Err(SourceError::Misspelled { name, meant });
        }
        let header = HeaderName::from_bytes(lower.as_bytes())
            .map_err(|_| SourceError::NotAHeaderName { name: given() })?;
        // An ALB that drops invalid header fields keeps only letters, digits and hyphens.
        let dashed = lower.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "-");
        if dashed != lower {
            return Err(SourceError::DroppedByAlb { header, dashed });
        }
        match lower.as_str() {
            "x-forwarded-for" | "forwarded" => Err(SourceError::Chain { header }),
            "fastly-client-ip" => Err(SourceError::ClientWritable { header }),
            "cf-connecting-ipv6" => Err(SourceError::PseudoIpv4Header),
            _ => Self::bound(header, trusted),
        }
    }

    /// The header `name` bound to its writer: the CDN that writes it, or your own proxy inside
    /// `trusted`, which then must not overlap a CDN every customer of which can send the header.
    fn bound(name: HeaderName, trusted: TrustedRanges) -> Result<Self, SourceError> {
        if trusted.is_empty() {
            return Err(SourceError::NoTrustedRange { header: name });
        }
        let writes = |p: Preset| Some((p, p.header().filter(|h| h.0 == name.as_str())?.1));
        let shared = Slot::OwnHeader.refuses(trusted.iter());
        let (writer, form) = match Preset::ALL.into_iter().find_map(writes) {
            Some((cdn, form)) if trusted.overlaps(preset_ranges(cdn)) => {
                (preset_ranges(cdn).clone(), form)
            }
            Some((cdn, _)) => return Err(SourceError::WriterNotTrusted { header: name, cdn }),
            None => match shared {
                Some((_, cdn, _)) => return Err(SourceError::SharedCdn { header: name, cdn }),
                None => (trusted.clone(), Format::Address),
            },
        };
        let header = Header { name, writer, form };
        let evidence = Evidence::Header { header, trusted };
        Ok(Self { evidence })
    }

    /// The single-address header the source reads, if it reads one (an adapter that copies only
    /// some headers into a `HeaderMap` must copy it, `x-forwarded-for`, `forwarded` and
    /// `cf-connecting-ipv6`).
    ///
    /// ```
    /// use lambda_client_ip::Source;
    /// let source = Source::header("X-Real-IP", "10.0.0.0/8".parse()?)?;
    /// assert_eq!(source.header_name().map(|h| h.as_str()), Some("x-real-ip"));
    /// assert_eq!(Source::default().header_name(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn header_name(&self) -> Option<&HeaderName> {
        match &self.evidence {
            Evidence::Header { header, .. } => Some(&header.name),
            _ => None,
        }
    }
}

impl fmt::Display for Source {
    /// The setting in words: what is read, and what binds it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.evidence {
            Evidence::XForwardedFor(policy) => write!(f, "X-Forwarded-For, {policy}"),
            Evidence::Forwarded { policy, .. } => write!(f, "Forwarded from a VPC link, {policy}"),
            Evidence::Header { header, trusted } => {
                let (name, trusted) = (&header.name, TrustPolicy::Ranges(trusted.clone()));
                write!(f, "{name}, believed from its writer inside {trusted}")
            }
        }
    }
}
