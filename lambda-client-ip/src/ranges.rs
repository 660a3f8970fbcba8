//! Trust policies: which entries of the forwarding chain were written by infrastructure you trust.
//!
//! Every check happens when a policy is built, so a policy you hold is valid and resolving with it
//! can only fail because of the request. [`ProxyCount`] and [`TrustedRanges`] parse from the text
//! an environment variable holds ([`FromStr`]), with an error that names the offending item.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;
use std::sync::OnceLock;

use ipnet::{IpNet, Ipv4Net};

use crate::names::near_miss;
use crate::networks::{holds, meet, not_public};
use crate::preset::{Preset, Slot};

/// The largest hop count a [`ProxyCount`] accepts. An ALB refuses (HTTP 463) a request whose
/// incoming X-Forwarded-For holds more than 30 addresses, so a larger count could never be met.
pub const MAX_PROXY_COUNT: u8 = 30;

/// How many trusted proxies stand in front of the front door, 0 to [`MAX_PROXY_COUNT`].
///
/// The client is the entry at this position from the right. Safe only when the front door cannot
/// be reached except through those proxies: a caller who goes around them writes the entry the
/// count trusts. Prefer [`TrustedRanges`] when the proxies' addresses are known.
///
/// ```
/// use lambda_client_ip::ProxyCount;
///
/// assert_eq!(ProxyCount::new(2).map(ProxyCount::get), Some(2));
/// assert!(ProxyCount::new(31).is_none());
/// assert_eq!("1".parse::<ProxyCount>().map(ProxyCount::get), Ok(1));
/// assert!("-1".parse::<ProxyCount>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct ProxyCount(u8);

impl ProxyCount {
    /// A count, or `None` when it is above [`MAX_PROXY_COUNT`].
    ///
    /// ```
    /// use lambda_client_ip::ProxyCount;
    /// assert!(ProxyCount::new(30).is_some());
    /// assert!(ProxyCount::new(31).is_none());
    /// ```
    pub const fn new(count: u8) -> Option<Self> {
        match count {
            0..=MAX_PROXY_COUNT => Some(Self(count)),
            _ => None,
        }
    }

    /// The number of trusted proxies.
    ///
    /// ```
    /// use lambda_client_ip::ProxyCount;
    /// assert_eq!(ProxyCount::default().get(), 0);
    /// ```
    pub const fn get(self) -> u8 {
        self.0
    }
}

impl FromStr for ProxyCount {
    type Err = PolicyError;

    /// Decimal digits, 0 to 30, surrounded by whitespace or not. Signs, words and anything larger
    /// are refused.
    ///
    /// ```
    /// use lambda_client_ip::ProxyCount;
    /// assert_eq!(" 02 ".parse::<ProxyCount>().map(ProxyCount::get), Ok(2));
    /// let err = "+1".parse::<ProxyCount>().unwrap_err();
    /// assert_eq!(err.to_string(), r#""+1" is not a whole number from 0 to 30"#);
    /// ```
    fn from_str(s: &str) -> Result<Self, PolicyError> {
        let text = s.trim();
        let count = text.parse::<u8>().ok().filter(|_| !text.starts_with('+'));
        count.and_then(Self::new).ok_or_else(|| PolicyError::Count {
            value: s.to_owned(),
        })
    }
}

/// A set of trusted address ranges: your proxies, or a CDN's published list.
///
/// Built only from ranges that can be meant: a range with host bits set (`10.0.0.1/8` is a typo for
/// `10.0.0.0/8` or `10.0.0.1/32`), an IPv6 range that covers all of IPv4-mapped space, and any
/// set whose ranges together cover every public address of IPv4 or of IPv6 (a `/0` among
/// them: it trusts every address, so no client could ever be found), however they are split,
/// are refused.
/// Public is what the crate's census of networks (`src/networks.txt`, IANA's special-purpose
/// registries and private space, each row with its RFC) does not set aside: private, shared,
/// loopback, link-local, documentation (3fff::/20 included), benchmarking, multicast and
/// reserved space are not public; 6to4 (2002::/16) and NAT64's 64:ff9b::/96 are.
///
/// Every set is also classified by what it overlaps: a range sharing an address with a bundled
/// list whose hop writes no X-Forwarded-For (Global Accelerator's edges, which forward at layer
/// 4) is refused with [`PolicyError::NoForwardedFor`], whether it was named
/// (`globalaccelerator`), written out, or taken from [`Preset::nets`], whole or in part: a hop
/// that writes nothing would be walked past and the client's own entry believed. So no slot of a
/// [`Source`](crate::Source) can hold those edges; turn on client IP preservation instead.
///
/// IPv4-mapped addresses are looked up as IPv4, so an IPv4-mapped range (`::ffff:10.0.0.0/104`)
/// is stored as the IPv4 range it stands for (`10.0.0.0/8`). Overlapping and adjacent ranges are
/// merged with `ipnet`'s aggregation; a lookup is a binary search.
///
/// ```
/// use lambda_client_ip::TrustedRanges;
///
/// let ranges: TrustedRanges = "10.0.0.0/8, 2001:db8::/32, 192.0.2.7".parse()?;
/// assert!(ranges.contains("10.1.2.3".parse()?));
/// assert!(ranges.contains("::ffff:10.1.2.3".parse()?));
/// assert!(ranges.contains("192.0.2.7".parse()?));
/// assert!(!ranges.contains("192.0.2.8".parse()?));
///
/// let err = "10.0.0.1/8".parse::<TrustedRanges>().unwrap_err();
/// assert_eq!(err.to_string(), r#"item 1 ("10.0.0.1/8") has host bits set; write the network address"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct TrustedRanges {
    /// Merged, so sorted (IPv4 first) and disjoint.
    nets: Vec<IpNet>,
}

impl TrustedRanges {
    /// Builds the set from networks, refusing any that cannot be meant and any set overlapping a
    /// list whose hop writes no X-Forwarded-For (see the type's docs); the text
    /// ([`FromStr`]) refuses exactly the same. A [`PolicyError::Range`]'s `index` is the
    /// network's position in `nets`, starting at 1.
    ///
    /// ```
    /// use ipnet::IpNet;
    /// use lambda_client_ip::TrustedRanges;
    ///
    /// let nets: Vec<IpNet> = vec!["10.0.0.0/9".parse()?, "10.128.0.0/9".parse()?];
    /// assert_eq!(TrustedRanges::new(nets)?.len(), 1);
    /// assert!(TrustedRanges::new(["0.0.0.0/0".parse::<IpNet>()?]).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(nets: impl IntoIterator<Item = IpNet>) -> Result<Self, PolicyError> {
        let mut checked = Vec::new();
        for (i, net) in nets.into_iter().enumerate() {
            let fail = |reason: &str| PolicyError::Range {
                item: net.to_string(),
                index: i + 1,
                reason: reason.to_owned(),
            };
            checked.push(check(net).map_err(fail)?);
        }
        Self::merged(checked)
    }

    /// The set of ranges that each passed `check`, refused when together they cover every
    /// public address of a family, however they are split (with the addresses no public client
    /// has added, such a set merges into a single /0; mapped ranges are stored as IPv4), then
    /// when one overlaps a bundled list no trusted proxy can be ([`Slot::Proxies`]).
    fn merged(checked: Vec<IpNet>) -> Result<Self, PolicyError> {
        let nets = IpNet::aggregate(&checked);
        let with_special = [&nets, not_public()].concat();
        let merged = IpNet::aggregate(&with_special);
        let everything = merged.iter().find(|n| n.prefix_len() == 0);
        if let Some(v4) = everything.map(|n| n.addr().is_ipv4()) {
            let family = if v4 { "IPv4" } else { "IPv6" };
            return Err(PolicyError::Everything { family });
        }
        match Slot::Proxies.refuses(nets.iter().copied()) {
            Some((range, list, net)) => Err(PolicyError::NoForwardedFor { range, list, net }),
            None => Ok(Self { nets }),
        }
    }

    /// Whether any address lies in both sets.
    ///
    /// ```
    /// use lambda_client_ip::{Preset, TrustedRanges};
    /// let mine: TrustedRanges = "10.0.0.0/8, 130.176.0.0/24".parse()?;
    /// assert!(mine.overlaps(&Preset::CloudFront.try_into()?));
    /// assert!(!mine.overlaps(&Preset::Cloudflare.try_into()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn overlaps(&self, other: &Self) -> bool {
        self.iter().any(|a| other.iter().any(|b| meet(a, b)))
    }

    /// Whether `ip` lies inside one of the ranges. An IPv4-mapped IPv6 address is looked up as
    /// the IPv4 address it maps.
    ///
    /// ```
    /// use lambda_client_ip::TrustedRanges;
    /// let ranges: TrustedRanges = "192.0.2.0/24".parse()?;
    /// assert!(ranges.contains("::ffff:192.0.2.1".parse()?));
    /// assert!(!ranges.contains("2001:db8::1".parse()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn contains(&self, ip: IpAddr) -> bool {
        holds(&self.nets, ip)
    }

    /// The ranges after merging, IPv4 first, each in ascending order.
    ///
    /// ```
    /// use lambda_client_ip::TrustedRanges;
    /// let ranges: TrustedRanges = "2001:db8::/32, 10.0.0.0/9, 10.128.0.0/9".parse()?;
    /// let listed: Vec<String> = ranges.iter().map(|n| n.to_string()).collect();
    /// assert_eq!(listed, ["10.0.0.0/8", "2001:db8::/32"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = IpNet> + '_ {
        self.nets.iter().copied()
    }

    /// The number of ranges left after merging.
    ///
    /// ```
    /// use lambda_client_ip::TrustedRanges;
    /// assert_eq!("10.0.0.0/8, 10.1.0.0/16".parse::<TrustedRanges>()?.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.nets.len()
    }

    /// Whether the set holds no range (then it trusts nothing).
    ///
    /// ```
    /// use lambda_client_ip::TrustedRanges;
    /// assert!(TrustedRanges::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The range a network stands for, or why it is refused.
/// (A `/0`, and all of IPv4-mapped space, are refused with the set, as covering every public
/// address.)
fn check(net: IpNet) -> Result<IpNet, &'static str> {
    if net.trunc() != net {
        return Err("has host bits set; write the network address");
    }
    let IpNet::V6(v6) = net else { return Ok(net) };
    let len = v6.prefix_len();
    let covers_mapped = v6.contains(&Ipv6Addr::from(0xffff_0000_0000_u128));
    match v6.network().to_ipv4_mapped() {
        // Mapped addresses are looked up as IPv4, so a mapped range is stored as IPv4 too; at
        // most 32 bits are left, so the IPv4 range always exists.
        Some(v4) if len >= 96 => Ok(Ipv4Net::new(v4, len - 96).map_or(net, IpNet::V4)),
        _ if covers_mapped => Err("covers every IPv4-mapped address, that is all of IPv4"),
        _ => Ok(net),
    }
}

impl FromStr for TrustedRanges {
    type Err = PolicyError;

    /// A comma-separated list of CIDRs, bare addresses (a range of one) and the names of bundled
    /// [presets](Preset) (`cloudfront`, `cloudflare`, `fastly`), mixed freely; a name stands for
    /// the preset's networks, checked like any other. Items are trimmed. Refused: an empty item
    /// (a doubled or trailing comma); an octet with a leading zero; a name one or two letters off
    /// a preset's (with the name meant); and every set [`TrustedRanges::new`] refuses, so
    /// `globalaccelerator`, whose edges write no X-Forwarded-For, is refused as its CIDRs are.
    ///
    /// ```
    /// use lambda_client_ip::TrustedRanges;
    /// assert_eq!("10.0.0.0/8, 2001:db8::1".parse::<TrustedRanges>()?.len(), 2);
    /// assert!("cloudflare, 10.0.0.0/8".parse::<TrustedRanges>()?.len() > 2);
    /// let err = "10.0.0.0/8,".parse::<TrustedRanges>().unwrap_err();
    /// assert!(err.to_string().starts_with("item 2 (\"\") is empty"));
    /// let err = "cloudfrnt".parse::<TrustedRanges>().unwrap_err();
    /// assert!(err.to_string().ends_with(r#"(did you mean "cloudfront"?)"#));
    /// assert!("010.0.0.0/8".parse::<TrustedRanges>().is_err()); // octal to some parsers
    /// assert!("0.0.0.0/1, 128.0.0.0/2, 192.0.0.0/3".parse::<TrustedRanges>().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn from_str(list: &str) -> Result<Self, PolicyError> {
        let mut nets = Vec::new();
        for (i, raw) in list.split(',').enumerate() {
            let item = raw.trim();
            let fail = |reason: &str| PolicyError::Range {
                item: item.to_owned(),
                index: i + 1,
                reason: reason.to_owned(),
            };
            if item.is_empty() {
                return Err(fail("is empty (check for a doubled or trailing comma)"));
            }
            if let Ok(preset) = item.parse::<Preset>() {
                nets.extend(preset.nets());
                continue;
            }
            if leading_zero(item) {
                return Err(fail(
                    "has an octet with a leading zero, which other parsers read as octal: write it without the zero",
                ));
            }
            let net = if item.contains('/') {
                item.parse::<IpNet>()
                    .map_err(|_| fail("is not a CIDR such as 10.0.0.0/8 or 2001:db8::/32"))?
            } else {
                let names = Preset::ALL.map(Preset::name);
                if let Some(meant) = near_miss(item, &names) {
                    let why = format!("is not a range nor a preset (did you mean {meant:?}?)");
                    return Err(fail(&why));
                }
                item.parse::<IpAddr>()
                    .map(IpNet::from)
                    .map_err(|_| fail("is neither a CIDR, an IP address nor a preset (cloudfront, cloudflare, fastly)"))?
            };
            nets.push(check(net).map_err(fail)?);
        }
        Self::merged(nets)
    }
}

/// Whether the dotted-quad part of a range (`010.0.0.1`, `::ffff:10.0.0.010`) has an octet with a
/// leading zero: `ipnet` reads it as decimal, where other parsers read octal.
fn leading_zero(item: &str) -> bool {
    let address = item.split('/').next().unwrap_or_default();
    let dotted = address.rsplit(':').next().unwrap_or_default();
    dotted.contains('.') && dotted.split('.').any(|o| o.len() > 1 && o.starts_with('0'))
}

/// A bundled preset's ranges, whether or not it may be trusted (to recognise a peer), merged
/// once per process: the snapshots are compiled in and never change.
pub(crate) fn preset_ranges(preset: Preset) -> &'static TrustedRanges {
    static LISTS: [OnceLock<TrustedRanges>; Preset::ALL.len()] = [const { OnceLock::new() }; 4];
    static NONE: TrustedRanges = TrustedRanges { nets: Vec::new() };
    let merged = || TrustedRanges {
        nets: IpNet::aggregate(&preset.nets().collect()),
    };
    let list = LISTS.get(preset as usize);
    list.map_or(&NONE, |list| list.get_or_init(merged))
}

impl TryFrom<Preset> for TrustedRanges {
    type Error = PolicyError;

    /// A bundled preset's ranges; a preset whose hop writes no X-Forwarded-For is refused, as in
    /// the text.
    ///
    /// ```
    /// use lambda_client_ip::{Preset, TrustedRanges};
    /// let ranges = TrustedRanges::try_from(Preset::Cloudflare)?;
    /// assert!(ranges.contains("104.16.0.1".parse()?));
    /// assert!(!ranges.contains("104.32.0.1".parse()?));
    /// assert!(TrustedRanges::try_from(Preset::GlobalAccelerator).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn try_from(preset: Preset) -> Result<Self, PolicyError> {
        preset.name().parse()
    }
}

/// Which entries of the forwarding chain were written by infrastructure you trust.
///
/// ```
/// use lambda_client_ip::{ProxyCount, TrustPolicy};
///
/// // The default: nothing in front of the front door, the client is the peer it saw.
/// assert_eq!(TrustPolicy::default(), TrustPolicy::Count(ProxyCount::new(0).unwrap()));
/// assert_eq!(TrustPolicy::Ranges("10.0.0.0/8".parse()?).to_string(), "1 trusted range");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrustPolicy {
    /// A fixed number of trusted proxies: the client is the entry at that position from the right.
    Count(ProxyCount),
    /// Walk from the right past every entry inside these ranges; the first entry outside them is
    /// the client. Stronger than a count: an entry is believed only if a trusted peer wrote it.
    Ranges(TrustedRanges),
}

impl Default for TrustPolicy {
    /// No proxy in front: the client is the peer the front door saw.
    fn default() -> Self {
        Self::Count(ProxyCount::default())
    }
}

impl From<ProxyCount> for TrustPolicy {
    fn from(count: ProxyCount) -> Self {
        Self::Count(count)
    }
}

impl From<TrustedRanges> for TrustPolicy {
    fn from(ranges: TrustedRanges) -> Self {
        Self::Ranges(ranges)
    }
}

impl fmt::Display for TrustPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Count(n) if n.get() == 1 => f.write_str("1 trusted proxy"),
            Self::Count(n) => write!(f, "{} trusted proxies", n.get()),
            Self::Ranges(r) if r.len() == 1 => f.write_str("1 trusted range"),
            Self::Ranges(r) => write!(f, "{} trusted ranges", r.len()),
        }
    }
}

/// Why a policy is refused. Owns its data, so `?` carries it into any error type.
///
/// ```
/// use lambda_client_ip::{PolicyError, TrustedRanges};
/// let err = "10.0.0.0/8, proxy.local".parse::<TrustedRanges>().unwrap_err();
/// assert!(matches!(&err, PolicyError::Range { index: 2, .. }));
/// assert_eq!(
///     err.to_string(),
///     r#"item 2 ("proxy.local") is neither a CIDR, an IP address nor a preset (cloudfront, cloudflare, fastly)"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// A proxy count that is not a whole number from 0 to [`MAX_PROXY_COUNT`].
    #[error("{value:?} is not a whole number from 0 to {}", MAX_PROXY_COUNT)]
    Count {
        /// The text as given.
        value: String,
    },
    /// Ranges that together cover every public address of a family, however they are split.
    #[error(
        "the ranges together cover every public address of {family}, so no client could ever be found"
    )]
    Everything {
        /// `IPv4` or `IPv6`.
        family: &'static str,
    },
    /// A range overlapping a bundled list whose hop writes no X-Forwarded-For (Global
    /// Accelerator's edges), whether it was named, written out or taken from
    /// [`Preset::nets`], whole or in part: a proxy that writes nothing would be walked past
    /// and the client's own entry believed.
    #[error(
        "the range {range} overlaps {net} of {list}, whose edges forward at layer 4 and write no X-Forwarded-For, so nothing names the client behind them: trust none of it, and turn on client IP preservation"
    )]
    NoForwardedFor {
        /// The trusted range, as merged.
        range: IpNet,
        /// The list it overlaps.
        list: Preset,
        /// The list's published network it overlaps.
        net: IpNet,
    },
    /// A range that is not acceptable.
    #[error("item {index} ({item:?}) {reason}")]
    Range {
        /// The offending item, trimmed.
        item: String,
        /// Its position in the list, starting at 1.
        index: usize,
        /// What is wrong with it, as the end of a sentence.
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_accepted_and_refused() {
        for (text, want) in [
            ("0", Some(0)),
            ("30", Some(30)),
            (" 2 ", Some(2)),
            ("02", Some(2)),
            ("31", None),
            ("-1", None),
            ("+1", None),
            ("two", None),
            ("", None),
            ("99999999999", None),
            ("１", None),
        ] {
            assert_eq!(
                text.parse::<ProxyCount>().ok().map(ProxyCount::get),
                want,
                "{text:?}"
            );
        }
    }

    #[test]
    fn ranges_refused_with_the_item_and_reason() {
        let cases = [
            (
                "Fail: bad CIDR",
                "10.0.0.0/33",
                "item 1 (\"10.0.0.0/33\") is not a CIDR",
            ),
            (
                "Fail: hostname",
                "10.0.0.0/8,proxy.local",
                "item 2 (\"proxy.local\")",
            ),
            ("Fail: empty item", "10.0.0.0/8,", "item 2 (\"\") is empty"),
            ("Fail: host bits", "10.0.0.1/8", "host bits"),
            (
                "Fail: IPv4 /0",
                "0.0.0.0/0",
                "cover every public address of IPv4",
            ),
            ("Fail: IPv6 /0", "::/0", "covers every IPv4-mapped address"),
            (
                "Fail: all of mapped space",
                "::ffff:0:0/96",
                "cover every public address of IPv4",
            ),
            (
                "Fail: global unicast and NAT64",
                "2000::/3, 64:ff9b::/96",
                "of IPv6",
            ),
            ("Fail: covers mapped space", "::/64", "IPv4-mapped"),
            ("Fail: control character", "10.0.0.0/8\u{9b}", "\\u{9b}"),
        ];
        for (case, list, needle) in cases {
            let msg = list.parse::<TrustedRanges>().unwrap_err().to_string();
            assert!(msg.contains(needle), "{case}: {msg}");
            assert!(
                !msg.contains('\u{9b}'),
                "{case}: raw control character in {msg:?}"
            );
        }
    }

    #[test]
    fn presets_mix_with_ranges_and_are_named_in_the_refusal() {
        let mixed: TrustedRanges = "10.0.0.0/8, CLOUDFLARE, cloudflare".parse().unwrap();
        let alone = preset_ranges(Preset::Cloudflare).clone();
        assert_eq!(mixed.len(), alone.len() + 1);
        assert!(mixed.contains("10.0.0.1".parse().unwrap()));
        assert!(mixed.contains("2400:cb00::1".parse().unwrap()));
        // A preset named twice is its ranges once: the set is the preset's ranges and 10.0.0.0/8.
        let once = TrustedRanges::new(
            Preset::Cloudflare
                .nets()
                .chain(["10.0.0.0/8".parse().unwrap()]),
        )
        .unwrap();
        assert_eq!(mixed, once);
        assert!(mixed.overlaps(&alone));
        assert!(!mixed.overlaps(preset_ranges(Preset::CloudFront)));
        let msg = "cf_connecting_ip"
            .parse::<TrustedRanges>()
            .unwrap_err()
            .to_string();
        for preset in Preset::ALL.into_iter().filter(|p| p.trustable()) {
            assert!(msg.contains(preset.name()), "{msg}");
        }
    }

    #[test]
    fn ranges_that_together_cover_a_family_are_refused() {
        let everything = |family| PolicyError::Everything { family }.to_string();
        for (case, list, want) in [
            (
                "Fail: IPv4 halves",
                "0.0.0.0/1, 128.0.0.0/1",
                everything("IPv4"),
            ),
            (
                "Fail: IPv4-mapped halves",
                "::ffff:0.0.0.0/97, ::ffff:128.0.0.0/97",
                everything("IPv4"),
            ),
            (
                "Fail: one half plain, one mapped",
                "0.0.0.0/1, ::ffff:128.0.0.0/97",
                everything("IPv4"),
            ),
            // An IPv6 half holds the IPv4-mapped space, so the first half is refused alone.
            (
                "Fail: IPv6 halves",
                "::/1, 8000::/1",
                r#"item 1 ("::/1") covers every IPv4-mapped address, that is all of IPv4"#.into(),
            ),
        ] {
            let err = list.parse::<TrustedRanges>().unwrap_err();
            assert_eq!(err.to_string(), want, "{case}");
        }
        // IPv6 space without the mapped addresses is not a family: 8000::/1 alone is accepted.
        assert!("8000::/1".parse::<TrustedRanges>().is_ok());
        // Three quarters are not everything, but overlap Global Accelerator's edges.
        let err = "0.0.0.0/1, 128.0.0.0/2"
            .parse::<TrustedRanges>()
            .unwrap_err();
        assert!(matches!(err, PolicyError::NoForwardedFor { .. }), "{err}");
    }

    #[test]
    fn mapped_ranges_are_their_ipv4_ranges() {
        let mapped: TrustedRanges = "::ffff:10.0.0.0/104, ::ffff:192.0.2.1".parse().unwrap();
        let plain: TrustedRanges = "10.0.0.0/8, 192.0.2.1".parse().unwrap();
        assert_eq!(mapped, plain);
        assert!(mapped.contains("10.9.9.9".parse().unwrap()));
        assert!(mapped.contains("::ffff:10.9.9.9".parse().unwrap()));
    }

    #[test]
    fn lookup_agrees_with_a_linear_scan() {
        let list = "10.0.0.0/9, 10.128.0.0/9, 10.0.0.0/24, 255.255.255.255/32, 192.0.2.0/25, \
                    192.0.2.128/26, 2001:db8::/48, 2001:db8:1::/48, ::1";
        let ranges: TrustedRanges = list.parse().unwrap();
        let nets: Vec<IpNet> = list
            .split(',')
            .map(|s| {
                let s = s.trim();
                s.parse()
                    .unwrap_or_else(|_| IpNet::from(s.parse::<IpAddr>().unwrap()))
            })
            .collect();
        for probe in [
            "9.255.255.255",
            "10.0.0.0",
            "10.200.0.1",
            "11.0.0.0",
            "255.255.255.255",
            "192.0.2.191",
            "192.0.2.192",
            "2001:db8::1",
            "2001:db8:1:ffff::1",
            "2001:db8:2::",
            "::1",
            "::2",
        ] {
            let ip: IpAddr = probe.parse().unwrap();
            assert_eq!(
                ranges.contains(ip),
                nets.iter().any(|n| n.contains(&ip)),
                "{probe}"
            );
        }
        assert_eq!(ranges.len(), 6);
    }

    #[test]
    fn policies_say_what_they_trust_in_grammatical_english() {
        let count = |n| TrustPolicy::Count(ProxyCount::new(n).unwrap()).to_string();
        assert_eq!(count(0), "0 trusted proxies");
        assert_eq!(count(1), "1 trusted proxy");
        assert_eq!(count(2), "2 trusted proxies");
        let ranges = |s: &str| TrustPolicy::Ranges(s.parse().unwrap()).to_string();
        assert_eq!(ranges("10.0.0.0/8, 2001:db8::/32"), "2 trusted ranges");
    }
}
