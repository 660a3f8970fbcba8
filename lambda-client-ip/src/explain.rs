//! Explain (feature `explain`): what a request says about the path it took, read by the same
//! walk as the answer, which carries nothing for it: every fact explain adds, it works out here.
//! A setup aid: it shows infrastructure addresses, so it is meant for the person deploying, not
//! for every caller.

use std::net::IpAddr;

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::entry::shorten;
use crate::error::ResolveError;
use crate::networks::{can_be_client, is_private};
use crate::preset::Preset;
use crate::ranges::{MAX_PROXY_COUNT, ProxyCount, TrustPolicy, TrustedRanges, preset_ranges};
use crate::source::{Evidence, Source, VpcLink};
use crate::walk::{Chain, ClientIp, Found, Peer, Plan, Rule, hops};

/// One position as explained.
type Hop = ExplainedHop;

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
    /// The entry as received, trimmed, cut to 64 characters, its control and other unprintable
    /// characters escaped (quotes and backslashes as sent).
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

/// What a setting answers for the request: a count (its index in [`Explanation::counts`]), or
/// the [suggested](Suggestion::answer) setting.
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

/// A setting read off the request, from the right, and what it answers for this very request,
/// worked out by the walk every answer takes: the VPC link's `Forwarded` when the request carries
/// one and the front door's peer is a private or public address outside every preset; else a
/// private or Lattice peer with entries left of it, a proxy of yours, trusted by address; then a
/// bundled CDN's run of addresses; and a position the front door reported as its caller further
/// left (an edge-optimized REST API's `sourceIp`, left of AWS's own CloudFront edge), reached by
/// a count alone.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Suggestion {
    /// Read `Forwarded`, believed only from the VPC link that holds this address, the front
    /// door's peer (`CLIENT_IP_HEADER=forwarded`, `VPC_LINK_CIDRS` the VPC link's subnets);
    /// `None`: read X-Forwarded-For.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub vpc_link: Option<IpAddr>,
    /// Your own proxies to trust, by address.
    pub proxies: Vec<IpAddr>,
    /// The bundled presets to trust.
    pub presets: Vec<Preset>,
    /// The count that reads the same position: where the answer stands when there is one.
    pub count: usize,
    /// What the setting answers for this request: read past the proxies and presets when there
    /// are any, else by the count.
    pub answer: CountAnswer,
}

/// What a request says about the path it took: see [`Source::explain`].
///
/// With the `serde` feature it serializes as below (the chain `6.6.6.6, 203.0.113.9,130.176.0.12`
/// explained under `Source::default()`): empty `header_values` and absent addresses and ports
/// are left out, a refused count is `{"error": "<code>"}`, `peer` and `binding` are tagged by
/// `kind`, and `suggestion` is absent when no setting can find a client.
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
///   "suggestion": {"proxies": [], "presets": ["cloudfront"], "count": 1, "answer": {"client_ip": "203.0.113.9"}}
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
/// assert_eq!(e["suggestion"], json!({"proxies": [], "presets": ["cloudfront"], "count": 1, "answer": {"client_ip": "203.0.113.9"}}));
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
    /// header's name when its writer delivered the request (X-Forwarded-For when the binding
    /// failed).
    #[cfg_attr(feature = "serde", serde(serialize_with = "name"))]
    pub reads: HeaderName,
    /// The single-address header's values as received (cut and escaped like entries), also when
    /// they are not read.
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
    /// The setting the request suggests; `None` when no setting can find a client (behind
    /// Global Accelerator without client IP preservation, or no address at position 0).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub suggestion: Option<Suggestion>,
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
    /// let suggestion = e.suggestion.ok_or("no setting finds a client")?;
    /// assert_eq!((suggestion.presets, suggestion.count), (vec![Preset::CloudFront], 1));
    /// assert_eq!(suggestion.answer, CountAnswer::ClientIp("203.0.113.9".parse()?));
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
                    entry: as_sent(&hop.text()),
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
        let xff = explained(Chain::XForwardedFor);
        let binding = self.binding(headers, peer, plan);
        let header = plan.header.map(|h| &h.name);
        let held = header.filter(|_| matches!(binding, Binding::Held(_)));
        let sent = |value: &HeaderValue| as_sent(&shorten(value.as_bytes()));
        let values = header.map(|h| headers.get_all(h).iter().map(sent));
        let total = hops(headers, peer, plan.chain).count();
        let counts = (0..listed.len().min(usize::from(MAX_PROXY_COUNT) + 1)).map(|n| {
            let count = Plan {
                rule: Rule::Count(n),
                header: None,
                ..plan
            };
            answer(self.read(headers, peer, count))
        });
        let forwarded = explained(Chain::Forwarded);
        Explanation {
            reads: held.unwrap_or(plan.chain.header()).clone(),
            header_values: values.into_iter().flatten().take(4).collect(),
            more: total.saturating_sub(EXPLAINED_POSITIONS),
            counts: counts.collect(),
            suggestion: suggest(headers, peer, &xff, &forwarded),
            peer: classify(xff.first().and_then(|hop| hop.address)),
            binding,
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
        match (&self.evidence, plan.chain) {
            (Evidence::Forwarded { .. }, Chain::Forwarded) => Binding::Held(0),
            (Evidence::Forwarded { .. }, Chain::XForwardedFor) => Binding::Failed(0),
            _ if plan.header.is_none() => Binding::Walk,
            _ => match self.walk(headers, peer, plan) {
                Ok(Found::Writer(_, position, _)) => Binding::Held(position),
                Ok(Found::Client(client)) => Binding::Failed(client.position()),
                Err(ResolveError::InvalidEntry { position, .. }) => Binding::Failed(position),
                Err(_) => Binding::Failed(0),
            },
        }
    }

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

/// What a walk answers, as explain lists it.
fn answer(resolved: Result<ClientIp, ResolveError>) -> CountAnswer {
    match resolved {
        Ok(client) => CountAnswer::ClientIp(client.ip()),
        Err(e) => CountAnswer::Refused(e),
    }
}

/// Request text as sent, its control and other unprintable characters escaped: never a raw
/// control character, and quotes and backslashes as they came.
fn as_sent(text: &str) -> String {
    let escaped = |c: char| match c {
        '"' | '\'' | '\\' => c.to_string(),
        _ => c.escape_debug().to_string(),
    };
    text.chars().map(escaped).collect()
}

/// The [`Suggestion`] for a request whose chains are `xff` and `forwarded`, as explained. The
/// setting is built from the text its variables hold and its answer resolved by the walk, so
/// what it promises is what it answers. None behind Global Accelerator or without a peer.
fn suggest(headers: &HeaderMap, peer: Peer, xff: &[Hop], forwarded: &[Hop]) -> Option<Suggestion> {
    use FrontDoorPeer::{GlobalAccelerator, Lattice, Private, Public};
    let front = xff.first()?.address?;
    let kind = Some(classify(Some(front))).filter(|k| *k != GlobalAccelerator)?;
    let link = matches!(kind, Private | Public) && !forwarded.is_empty();
    let chain = if link { forwarded } else { xff };
    // A private or Lattice peer with entries left of it is a proxy of yours.
    let yours = matches!(kind, Private | Lattice) && !link && xff.len() > 1;
    let mut proxies: Vec<IpAddr> = [front].into_iter().filter(|_| yours).collect();
    let mut count = proxies.len();
    // Then a run of bundled CDNs' addresses.
    let trustable = |h: &Hop| h.presets.first().copied().filter(|p| p.trustable());
    let run = chain.iter().skip(count).map_while(trustable);
    let mut presets: Vec<Preset> = run.take(usize::from(MAX_PROXY_COUNT) - count).collect();
    count += presets.len();
    presets.sort();
    presets.dedup();
    // The caller the front door reported, further left: the hops right of it are the door's.
    if let Peer::AppendedAndReported(ip) = peer {
        let reported = |h: &Hop| !link && h.address == Some(ip.to_canonical());
        if let Some(further) = xff.iter().skip(count).position(reported).filter(|n| *n > 0) {
            (proxies, presets, count) = (Vec::new(), Vec::new(), count + further);
        }
    }
    let items = proxies.iter().map(IpAddr::to_string);
    let items: Vec<String> = items.chain(presets.iter().map(|p| p.to_string())).collect();
    let policy = match items.join(",") {
        none if none.is_empty() => TrustPolicy::Count(ProxyCount::new(u8::try_from(count).ok()?)?),
        list => TrustPolicy::Ranges(list.parse().ok()?),
    };
    let vpc_link = link.then_some(front);
    let source = match vpc_link {
        Some(ip) => Source::forwarded(policy, VpcLink::Subnets(ip.to_string().parse().ok()?)),
        None => Ok(Source::x_forwarded_for(policy)),
    };
    let resolved = source.ok()?.resolve(headers, peer);
    let count = resolved.as_ref().map_or(count, ClientIp::position);
    Some(Suggestion {
        vpc_link,
        proxies,
        presets,
        count,
        answer: answer(resolved),
    })
}
