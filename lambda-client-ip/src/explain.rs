//! Explain (feature `explain`): what a request says about the path it took, read by the same
//! walk as the answer, which carries nothing for it: every fact explain adds, it works out here.
//! A setup aid: it shows infrastructure addresses, so it is meant for the person deploying, not
//! for every caller.

use std::net::IpAddr;

use http::{HeaderMap, HeaderName};

use crate::entry::shorten;
use crate::error::ResolveError;
use crate::networks::{can_be_client, is_private};
use crate::preset::Preset;
use crate::ranges::{MAX_PROXY_COUNT, TrustPolicy, TrustedRanges, preset_ranges};
use crate::source::{Evidence, Source};
use crate::walk::{Chain, Found, Peer, Plan, Rule, hops};

/// An explanation lists at most this many positions, the rightmost; [`Explanation::more`] counts
/// the rest. An ALB refuses a request whose incoming X-Forwarded-For holds more than 30 entries,
/// so real chains fit; a longer one is a client's, and listing it would only grow the answer.
pub const EXPLAINED_POSITIONS: usize = 32;

/// One position of the chain the answer is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct ExplainedHop {
    /// Its position from the right, starting at 0.
    pub position: usize,
    /// The entry as received, trimmed, cut to 64 characters, control characters escaped.
    pub entry: String,
    /// The client address it holds, if it holds one.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub address: Option<IpAddr>,
    /// The port recorded with it.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub port: Option<u16>,
    /// The bundled presets its address falls in.
    pub presets: Vec<Preset>,
    /// Whether its address falls in the source's trusted ranges (false without ranges).
    pub trusted: bool,
}

/// What a count answers (the count is its index in [`Explanation::counts`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum CountAnswer {
    /// The address it answers.
    ClientIp(IpAddr),
    /// Its refusal; serialized as `{"error": "<code>"}`.
    #[cfg_attr(feature = "serde", serde(rename = "error", serialize_with = "code"))]
    Refused(ResolveError),
}

#[cfg(feature = "serde")]
fn code<S: serde::Serializer>(error: &ResolveError, to: S) -> Result<S::Ok, S::Error> {
    to.serialize_str(error.code())
}

#[cfg(feature = "serde")]
fn name<S: serde::Serializer>(header: &HeaderName, to: S) -> Result<S::Ok, S::Error> {
    to.serialize_str(header.as_str())
}

/// What the front door's peer (position 0 of X-Forwarded-For) says about the topology.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(
    feature = "serde",
    serde(rename_all = "snake_case", tag = "kind", content = "preset")
)]
#[non_exhaustive]
pub enum FrontDoorPeer {
    /// A CDN whose published ranges are bundled: the entry left of it is the client.
    Cdn(Preset),
    /// A Global Accelerator edge: client IP preservation is off, so no client address exists.
    GlobalAccelerator,
    /// A link-local address, as VPC Lattice connects from: the entry left of it is the source
    /// Lattice wrote, private to the caller's VPC, so unique only with `x-amzn-lattice-network`.
    Lattice,
    /// A private address: a proxy of yours, an NLB (whose PrivateLink callers have no address
    /// left), or the client itself on an internal network; one request cannot tell them apart.
    Private,
    /// A public address outside every preset: clients connect directly.
    Public,
    /// No address at position 0.
    Missing,
}

/// Whether the hop that writes the source's evidence delivered the request. Positions are those
/// of X-Forwarded-For.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(
    feature = "serde",
    serde(rename_all = "snake_case", tag = "kind", content = "position")
)]
#[non_exhaustive]
pub enum Binding {
    /// X-Forwarded-For alone: every entry the walk passes is bound by the walk itself.
    Walk,
    /// The writer (the VPC link of `Forwarded`, the proxy or CDN of a header) delivered the
    /// request from this position, so its evidence is read.
    Held(usize),
    /// The hop at this position is where the walk met no writer (for `Forwarded`, the front
    /// door's peer is not the VPC link): the answer is read from X-Forwarded-For alone.
    Failed(usize),
}

/// A setting read off the chain: which proxies and presets to trust, and which count reads the
/// same entry. Both lists are empty when nothing in front of the front door needs trusting, or
/// when no setting can find a client.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Suggestion {
    /// Your own proxies to trust, by address.
    pub proxies: Vec<IpAddr>,
    /// The bundled presets to trust.
    pub presets: Vec<Preset>,
    /// The count that reads the same entry.
    pub count: usize,
    /// The entry the suggestion answers, if the chain holds one.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub client: Option<IpAddr>,
}

/// What a request says about the path it took: see [`Source::explain`].
///
/// With the `serde` feature it serializes as below (the chain `6.6.6.6, 203.0.113.9,130.176.0.12`
/// explained under `Source::default()`): empty `header_values` and absent addresses and ports
/// are left out, a refused count is `{"error": "<code>"}`, and `peer` and `binding` are tagged
/// by `kind`.
///
/// ```json
/// {
///   "reads": "x-forwarded-for",
///   "hops": [
///     {"position": 0, "entry": "130.176.0.12", "address": "130.176.0.12", "presets": ["cloudfront"], "trusted": false},
///     {"position": 1, "entry": "203.0.113.9", "address": "203.0.113.9", "presets": [], "trusted": false},
///     {"position": 2, "entry": "6.6.6.6", "address": "6.6.6.6", "presets": [], "trusted": false}
///   ],
///   "more": 0,
///   "counts": [{"client_ip": "130.176.0.12"}, {"client_ip": "203.0.113.9"}, {"client_ip": "6.6.6.6"}],
///   "peer": {"kind": "cdn", "preset": "cloudfront"},
///   "binding": {"kind": "walk"},
///   "suggestion": {"proxies": [], "presets": ["cloudfront"], "count": 1, "client": "203.0.113.9"}
/// }
/// ```
///
/// ```
/// # #[cfg(feature = "serde")] {
/// use http::HeaderMap;
/// use lambda_client_ip::{Peer, Source};
/// use serde_json::json;
///
/// let mut headers = HeaderMap::new();
/// headers.insert("x-forwarded-for", "6.6.6.6, 203.0.113.9,130.176.0.12".parse().unwrap());
/// headers.insert("forwarded", "for=unknown".parse().unwrap());
/// let e = serde_json::to_value(Source::default().explain(&headers, Peer::Appended)).unwrap();
/// assert_eq!(e["hops"][0], json!({"position": 0, "entry": "130.176.0.12", "address": "130.176.0.12", "presets": ["cloudfront"], "trusted": false}));
/// assert_eq!(e["counts"][1], json!({"client_ip": "203.0.113.9"}));
/// assert_eq!(e["peer"], json!({"kind": "cdn", "preset": "cloudfront"}));
/// assert_eq!(e["binding"], json!({"kind": "walk"}));
/// assert_eq!(e["suggestion"], json!({"proxies": [], "presets": ["cloudfront"], "count": 1, "client": "203.0.113.9"}));
/// let forwarded = lambda_client_ip::Source::forwarded(
///     lambda_client_ip::ProxyCount::default(),
///     lambda_client_ip::VpcLink::AnyPrivateAddress,
/// ).unwrap();
/// headers.insert("x-forwarded-for", "10.0.1.17".parse().unwrap());
/// let e = serde_json::to_value(forwarded.explain(&headers, Peer::Appended)).unwrap();
/// assert_eq!(e["counts"][0], json!({"error": "invalid_entry"}));
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Explanation {
    /// The header the answer is read from: `x-forwarded-for`, `forwarded`, or the single-address
    /// header's name.
    #[cfg_attr(feature = "serde", serde(serialize_with = "name"))]
    pub reads: HeaderName,
    /// The single-address header's values as received (cut and escaped like entries).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub header_values: Vec<String>,
    /// The rightmost positions of the chain the answer is read from (X-Forwarded-For, or the
    /// `Forwarded` elements), at most [`EXPLAINED_POSITIONS`].
    pub hops: Vec<ExplainedHop>,
    /// How many positions there were beyond those listed.
    pub more: usize,
    /// What each count answers on that chain, for every listed position (at most 31).
    pub counts: Vec<CountAnswer>,
    /// What the front door's peer is.
    pub peer: FrontDoorPeer,
    /// Whether the evidence's writer delivered the request.
    pub binding: Binding,
    /// The setting the evidence suggests.
    pub suggestion: Suggestion,
}

impl Source {
    /// Explains the request as this source reads it: the positions of the chain the answer
    /// comes from, what every count would answer there (by the same walk as
    /// [`Source::resolve`]), what the front door's peer is, and a suggested setting. Bounded:
    /// at most [`EXPLAINED_POSITIONS`] positions, whatever the request holds.
    ///
    /// ```
    /// use http::HeaderMap;
    /// use lambda_client_ip::{CountAnswer, FrontDoorPeer, Peer, Preset, Source};
    ///
    /// // Through CloudFront: the ALB appended a CloudFront origin-facing address.
    /// let mut headers = HeaderMap::new();
    /// headers.insert("x-forwarded-for", "6.6.6.6, 203.0.113.9,130.176.0.12".parse()?);
    /// let e = Source::default().explain(&headers, Peer::Appended);
    /// assert_eq!(e.peer, FrontDoorPeer::Cdn(Preset::CloudFront));
    /// assert_eq!(e.counts[1], CountAnswer::ClientIp("203.0.113.9".parse()?));
    /// assert_eq!(e.suggestion.presets, [Preset::CloudFront]);
    /// assert_eq!(e.suggestion.count, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn explain(&self, headers: &HeaderMap, peer: Peer) -> Explanation {
        let trusted = self.trusted_ranges();
        let explained = |chain| {
            let listed = hops(headers, peer, chain).take(EXPLAINED_POSITIONS);
            let hops = listed.map(|hop| {
                let address = hop.parsed.filter(|(ip, _)| can_be_client(*ip));
                let ip = address.map(|(ip, _)| ip);
                let within = |p: &Preset| ip.is_some_and(|ip| preset_ranges(*p).contains(ip));
                ExplainedHop {
                    position: hop.at,
                    entry: hop.text().escape_debug().to_string(),
                    address: ip,
                    port: address.and_then(|(_, port)| port),
                    presets: Preset::ALL.into_iter().filter(within).collect(),
                    trusted: ip.zip(trusted).is_some_and(|(ip, r)| r.contains(ip)),
                }
            });
            hops.collect::<Vec<_>>()
        };
        let plan = self.plan(headers, peer);
        let listed = explained(plan.chain);
        // The front door's peer is position 0 of X-Forwarded-For, whichever chain is read.
        let xff = match plan.chain {
            Chain::XForwardedFor => listed.clone(),
            Chain::Forwarded => explained(Chain::XForwardedFor),
        };
        let peer_kind = classify(xff.first().and_then(|hop| hop.address));
        let header = plan.header.map(|h| &h.name);
        let values = header.map(|h| headers.get_all(h).into_iter().take(4));
        let counts = (0..listed.len().min(usize::from(MAX_PROXY_COUNT) + 1)).map(|n| {
            let count = Plan {
                rule: Rule::Count(n),
                header: None,
                ..plan
            };
            match self.read(headers, peer, count) {
                Ok(client) => CountAnswer::ClientIp(client.ip()),
                Err(e) => CountAnswer::Refused(e),
            }
        });
        Explanation {
            reads: header.unwrap_or(plan.chain.header()).clone(),
            header_values: values
                .into_iter()
                .flatten()
                .map(|v| shorten(v.as_bytes()).escape_debug().to_string())
                .collect(),
            more: hops(headers, peer, plan.chain)
                .count()
                .saturating_sub(EXPLAINED_POSITIONS),
            counts: counts.collect(),
            suggestion: suggest(peer_kind, &xff),
            peer: peer_kind,
            binding: self.binding(headers, peer, plan),
            hops: listed,
        }
    }

    /// The trusted ranges the source holds, if any.
    ///
    /// ```
    /// use lambda_client_ip::{ProxyCount, Source};
    /// assert!(Source::x_forwarded_for(ProxyCount::new(1).unwrap()).trusted_ranges().is_none());
    /// let source = Source::x_forwarded_for("cloudflare".parse::<lambda_client_ip::TrustedRanges>()?);
    /// let edge = "104.16.0.1".parse()?;
    /// assert!(source.trusted_ranges().is_some_and(|r| r.contains(edge)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn trusted_ranges(&self) -> Option<&TrustedRanges> {
        match &self.evidence {
            Evidence::XForwardedFor(policy) | Evidence::Forwarded { policy, .. } => match policy {
                TrustPolicy::Ranges(ranges) => Some(ranges),
                TrustPolicy::Count(_) => None,
            },
            Evidence::Header { trusted, .. } => Some(trusted),
        }
    }

    /// Whether the evidence's writer delivered the request, worked out from the plan (the
    /// chain `Forwarded` is read from only when its VPC link delivered it) and, for a
    /// single-address header, from the walk itself.
    fn binding(&self, headers: &HeaderMap, peer: Peer, plan: Plan<'_>) -> Binding {
        if let Evidence::Forwarded { .. } = self.evidence {
            return match plan.chain {
                Chain::Forwarded => Binding::Held(0),
                Chain::XForwardedFor => Binding::Failed(0),
            };
        }
        if plan.header.is_none() {
            return Binding::Walk;
        }
        match self.walk(headers, peer, plan) {
            Ok(Found::Writer(_, position, _)) => Binding::Held(position),
            Ok(Found::Client(client)) => Binding::Failed(client.position()),
            Err(ResolveError::InvalidEntry { position, .. }) => Binding::Failed(position),
            Err(_) => Binding::Failed(0),
        }
    }
}

impl Source {
    /// What the front door's peer (position 0 of X-Forwarded-For) is: [`Explanation::peer`]
    /// alone, cheap enough for every request (a log line for a topology that hides the client).
    ///
    /// ```
    /// use http::HeaderMap;
    /// use lambda_client_ip::{FrontDoorPeer, Peer, Source};
    /// let mut headers = HeaderMap::new();
    /// headers.insert("x-forwarded-for", "10.1.2.3, 169.254.171.33".parse()?);
    /// let peer = Source::default().front_door_peer(&headers, Peer::Appended);
    /// assert_eq!(peer, FrontDoorPeer::Lattice);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn front_door_peer(&self, headers: &HeaderMap, peer: Peer) -> FrontDoorPeer {
        let front = hops(headers, peer, Chain::XForwardedFor).next();
        let parsed = front.and_then(|hop| hop.parsed).map(|(ip, _)| ip);
        classify(parsed.filter(|ip| can_be_client(*ip)))
    }
}

fn classify(front: Option<IpAddr>) -> FrontDoorPeer {
    let Some(ip) = front else {
        return FrontDoorPeer::Missing;
    };
    let local = match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => v6.is_unicast_link_local(),
    };
    let private = is_private(ip) || ip.is_loopback();
    let within = Preset::ALL
        .into_iter()
        .find(|p| preset_ranges(*p).contains(ip));
    match within {
        Some(Preset::GlobalAccelerator) => FrontDoorPeer::GlobalAccelerator,
        Some(cdn) => FrontDoorPeer::Cdn(cdn),
        None if local => FrontDoorPeer::Lattice,
        None if private => FrontDoorPeer::Private,
        None => FrontDoorPeer::Public,
    }
}

/// Reads a setting off X-Forwarded-For from the right: a private or Lattice peer is a proxy of
/// yours to trust by address; then a bundled CDN's run of addresses; the entry left of them is
/// the client. Behind Global Accelerator without preservation nothing can be suggested.
fn suggest(peer: FrontDoorPeer, xff: &[ExplainedHop]) -> Suggestion {
    let address = |i: usize| xff.get(i).and_then(|h| h.address);
    let cdn = |i: usize| {
        xff.get(i)
            .and_then(|h| h.presets.first().copied())
            .filter(|p| p.trustable())
    };
    // A private or Lattice peer is a proxy of yours, trusted by its address.
    let yours = matches!(peer, FrontDoorPeer::Private | FrontDoorPeer::Lattice);
    let proxies: Vec<IpAddr> = address(0).filter(|_| yours).into_iter().collect();
    let mut suggestion = Suggestion {
        count: usize::from(yours),
        proxies,
        presets: Vec::new(),
        client: None,
    };
    if matches!(
        peer,
        FrontDoorPeer::GlobalAccelerator | FrontDoorPeer::Missing
    ) {
        suggestion.count = 0;
        return suggestion;
    }
    while let Some(next) = cdn(suggestion.count) {
        if !suggestion.presets.contains(&next) {
            suggestion.presets.push(next);
        }
        suggestion.count += 1;
    }
    suggestion.client = address(suggestion.count);
    suggestion
}
