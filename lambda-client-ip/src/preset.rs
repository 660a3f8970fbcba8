//! Published address lists bundled with the crate: the ranges a CDN connects to your origin from,
//! and one list kept only to recognise a peer that hides the client.
//!
//! Each list is a dated snapshot in `src/presets/`, written by `tools/presets.py` from the
//! provider's published file and checked against saved copies by the test command. A snapshot
//! ages: providers add ranges (AWS announces changes on the `AmazonIpSpaceChanged` SNS topic), and
//! an address the CDN starts using after the snapshot is not trusted, so its requests are answered
//! with the CDN's address rather than the client's. Use [`Preset::age_days`] to warn about it.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;
use std::time::SystemTime;

use ipnet::IpNet;

use crate::entry::shorten;
use crate::networks::meet;

/// A provider's published list of the addresses it connects to origins from, bundled as a dated
/// snapshot. In a trusted-ranges list it is written by [name](Preset::name). Which lists a slot
/// of a source may hold is decided by what its ranges overlap, whatever they are called: only
/// [trustable](Preset::trustable) lists may be trusted proxies, and none may be a VPC link's
/// subnets or a header of your own.
///
/// ```
/// use lambda_client_ip::{Preset, TrustedRanges};
///
/// let ranges: TrustedRanges = "cloudfront, 10.0.0.0/8".parse()?;
/// assert!(ranges.contains("130.176.0.1".parse()?)); // a CloudFront origin-facing address
/// assert!(ranges.contains("10.1.2.3".parse()?));
/// assert!("globalaccelerator".parse::<TrustedRanges>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
#[non_exhaustive]
pub enum Preset {
    /// `cloudfront`: service `CLOUDFRONT_ORIGIN_FACING` of AWS's `ip-ranges.json`, the addresses
    /// CloudFront connects to origins from. Not the broader `CLOUDFRONT` service, whose
    /// viewer-facing ranges never connect to an origin.
    CloudFront,
    /// `cloudflare`: Cloudflare's published `ips-v4` and `ips-v6` lists.
    Cloudflare,
    /// `fastly`: Fastly's `public-ip-list` (`addresses` and `ipv6_addresses`), its edge and
    /// shield addresses.
    Fastly,
    /// `globalaccelerator`: service `GLOBALACCELERATOR` of AWS's `ip-ranges.json`, only the
    /// entries with a named region: the edge (POP) addresses an accelerator connects from when
    /// client IP preservation is off. The `GLOBAL` entries, the accelerators' static addresses,
    /// are left out. For diagnosis only: Global Accelerator names the client nowhere, so no set
    /// of trusted ranges may overlap this list, however it is written (see
    /// [`trustable`](Preset::trustable)).
    GlobalAccelerator,
}

impl Preset {
    /// Every bundled preset.
    ///
    /// ```
    /// use lambda_client_ip::Preset;
    /// let names: Vec<&str> = Preset::ALL.iter().map(|p| p.name()).collect();
    /// assert_eq!(names, ["cloudfront", "cloudflare", "fastly", "globalaccelerator"]);
    /// ```
    pub const ALL: [Self; 4] = [
        Self::CloudFront,
        Self::Cloudflare,
        Self::Fastly,
        Self::GlobalAccelerator,
    ];

    /// The name that stands for the list in a trusted-ranges text.
    ///
    /// ```
    /// use lambda_client_ip::Preset;
    /// assert_eq!(Preset::Cloudflare.name(), "cloudflare");
    /// assert_eq!(Preset::Cloudflare.to_string(), "cloudflare");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Self::CloudFront => "cloudfront",
            Self::Cloudflare => "cloudflare",
            Self::Fastly => "fastly",
            Self::GlobalAccelerator => "globalaccelerator",
        }
    }

    /// Whether the list's hop appends its peer to X-Forwarded-For, so its networks may be
    /// trusted as proxies. False for [`GlobalAccelerator`](Preset::GlobalAccelerator): its edges
    /// forward at layer 4 and write no header, so a peer in that list means the client address
    /// is lost, and the fix is to turn on client IP preservation, not to trust the list. Every
    /// set of trusted ranges that overlaps such a list is refused, whatever it was called.
    ///
    /// ```
    /// use lambda_client_ip::Preset;
    /// assert!(Preset::Fastly.trustable());
    /// assert!(!Preset::GlobalAccelerator.trustable());
    /// ```
    pub const fn trustable(self) -> bool {
        !matches!(self, Self::GlobalAccelerator)
    }

    /// The single-address header the list's hop writes on every request, overwriting a
    /// client's, and how it writes the address.
    pub(crate) const fn header(self) -> Option<&'static (&'static str, Format)> {
        match self {
            Self::CloudFront => Some(&("cloudfront-viewer-address", Format::ViewerAddress)),
            Self::Cloudflare => Some(&("cf-connecting-ip", Format::Address)),
            _ => None,
        }
    }

    /// The list this process uses: a ranges file's, once installed, else the bundled one.
    fn snapshot(self) -> &'static str {
        let installed = INSTALLED.get_or_init(Vec::new).iter();
        let found = installed.rev().find(|(preset, _)| *preset == self);
        found.map_or(self.bundled(), |(_, text)| text)
    }

    pub(crate) const fn bundled(self) -> &'static str {
        match self {
            Self::CloudFront => include_str!("presets/cloudfront.txt"),
            Self::Cloudflare => include_str!("presets/cloudflare.txt"),
            Self::Fastly => include_str!("presets/fastly.txt"),
            Self::GlobalAccelerator => include_str!("presets/globalaccelerator.txt"),
        }
    }

    /// The day the snapshot was published (AWS's `createDate`) or last seen current (Cloudflare's
    /// and Fastly's lists carry no date), as `YYYY-MM-DD`.
    ///
    /// ```
    /// use lambda_client_ip::Preset;
    /// let day = Preset::CloudFront.published();
    /// assert_eq!((day.len(), &day[4..5], &day[7..8]), (10, "-", "-"));
    /// ```
    pub fn published(self) -> &'static str {
        dated(self.snapshot()).0
    }

    /// Whole days from [`published`](Preset::published) to `now`: 0 when `now` is earlier.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use lambda_client_ip::Preset;
    ///
    /// let age = Preset::Cloudflare.age_days(SystemTime::now());
    /// let later = Preset::Cloudflare.age_days(SystemTime::now() + Duration::from_secs(91 * 86_400));
    /// assert_eq!(later, age + 91);
    /// assert_eq!(Preset::Cloudflare.age_days(SystemTime::UNIX_EPOCH), 0);
    /// ```
    pub fn age_days(self, now: SystemTime) -> u64 {
        let since_epoch = now.duration_since(SystemTime::UNIX_EPOCH);
        let today = since_epoch.map_or(0, |d| d.as_secs() / 86_400);
        today.saturating_sub(dated(self.snapshot()).1)
    }

    /// The snapshot's ranges, as published (before merging).
    ///
    /// ```
    /// use lambda_client_ip::Preset;
    /// assert!(Preset::Cloudflare.nets().any(|n| n.to_string() == "104.16.0.0/13"));
    /// ```
    pub fn nets(self) -> impl Iterator<Item = IpNet> {
        // Every line but the comments (`#`, which parse as no range) was checked by the generator
        // and is checked again by this crate's tests.
        self.snapshot().lines().filter_map(|line| line.parse().ok())
    }

    /// A snapshot more than this many days old is stale: the provider may have added ranges
    /// since, and requests it sends from those are answered with its own address.
    pub const STALE_AFTER_DAYS: u64 = 90;

    /// Whether the snapshot is more than [`STALE_AFTER_DAYS`](Preset::STALE_AFTER_DAYS) days
    /// old at `now`: the one check every warning about a stale snapshot uses.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use lambda_client_ip::Preset;
    ///
    /// let now = SystemTime::now();
    /// let days = |n: u64| Duration::from_secs(n * 86_400);
    /// // The day it was published, at this time of day: stale from its 91st day on.
    /// let published = now - days(Preset::Fastly.age_days(now));
    /// assert!(!Preset::Fastly.is_stale(published + days(90)));
    /// assert!(Preset::Fastly.is_stale(published + days(91)));
    /// ```
    pub fn is_stale(self, now: SystemTime) -> bool {
        self.age_days(now) > Self::STALE_AFTER_DAYS
    }
}

/// A ranges file's lists, set once per process (`RangesFile::install`, feature `lists`).
pub(crate) static INSTALLED: OnceLock<Vec<(Preset, &'static str)>> = OnceLock::new();

/// The header line `# published: YYYY-MM-DD (day N, …)` of a snapshot: the date, and the day as
/// days since 1970-01-01, which the generator writes next to it so no calendar code is needed.
pub(crate) fn dated(text: &'static str) -> (&'static str, u64) {
    let mut lines = text.lines();
    let line = lines.find_map(|l| l.strip_prefix("# published: "));
    let split = line.and_then(|l| l.split_once(" (day "));
    let (date, rest) = split.unwrap_or_default();
    let day = rest.split(|c: char| !c.is_ascii_digit()).next();
    (date, day.and_then(|d| d.parse().ok()).unwrap_or(0))
}

/// How a header writes its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// An address, as X-Forwarded-For's entries.
    Address,
    /// `ip:port` with the port required and IPv6 unbracketed (`CloudFront-Viewer-Address`).
    ViewerAddress,
}

/// A place in a source that trusted ranges fill, and which bundled lists' networks may fill it:
/// decided by what the ranges overlap, never by what they were called. A CDN's own header also
/// needs its writer's list ([`Preset::header`]).
pub(crate) enum Slot {
    /// Trusted proxies, so every set of trusted ranges: only a list whose hop writes
    /// X-Forwarded-For, since a hop that writes nothing would be walked past.
    Proxies,
    /// The VPC link's subnets: none of the bundled lists, each shared by every customer of its
    /// provider, any of whom could send a `Forwarded` through it.
    VpcLink,
    /// The writers of a header of your own proxy: none of the bundled lists, for the same reason.
    OwnHeader,
}

/// A network, a bundled list it overlaps, and the list's published network it overlaps.
pub(crate) type Overlap = (IpNet, Preset, IpNet);

impl Slot {
    /// The first of `nets` that shares an address with a list the slot refuses, the list, and
    /// the list's published network it overlaps.
    pub(crate) fn refuses(self, mut nets: impl Iterator<Item = IpNet>) -> Option<Overlap> {
        let admits = |list: &Preset| matches!(self, Self::Proxies) && list.trustable();
        let lists = Preset::ALL.into_iter().filter(|list| !admits(list));
        let refused = |n: IpNet, list: Preset| Some((n, list, list.nets().find(|m| meet(*m, n))?));
        nets.find_map(|n| lists.clone().find_map(|list| refused(n, list)))
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a text is not a preset's name.
///
/// ```
/// use lambda_client_ip::Preset;
/// let err = "cloudfrnt".parse::<Preset>().unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     r#""cloudfrnt" is not a bundled preset (cloudfront, cloudflare, fastly, globalaccelerator)"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name:?} is not a bundled preset (cloudfront, cloudflare, fastly, globalaccelerator)")]
pub struct UnknownPreset {
    name: String,
}

impl FromStr for Preset {
    type Err = UnknownPreset;

    /// A preset by name, in any case; surrounding spaces are trimmed.
    ///
    /// ```
    /// use lambda_client_ip::Preset;
    /// assert_eq!(" CloudFront ".parse(), Ok(Preset::CloudFront));
    /// assert!("cloudfront_origin_facing".parse::<Preset>().is_err());
    /// ```
    fn from_str(text: &str) -> Result<Self, UnknownPreset> {
        let name = text.trim();
        let named = |p: &Self| p.name().eq_ignore_ascii_case(name);
        let found = Self::ALL.into_iter().find(named);
        found.ok_or_else(|| UnknownPreset {
            name: shorten(name.as_bytes()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;
    use std::time::Duration;

    fn contains(preset: Preset, ip: &str) -> bool {
        let ip: IpAddr = ip.parse().unwrap();
        preset.nets().any(|net| net.contains(&ip))
    }

    #[test]
    fn every_line_of_every_snapshot_is_a_canonical_range() {
        for preset in Preset::ALL {
            let lines: Vec<&str> = preset
                .snapshot()
                .lines()
                .filter(|l| !l.starts_with('#'))
                .collect();
            assert!(lines.len() >= 10, "{preset}: {} ranges", lines.len());
            assert_eq!(preset.nets().count(), lines.len(), "{preset}");
            for (net, line) in preset.nets().zip(&lines) {
                assert_eq!(net.to_string(), *line, "{preset}");
                assert_eq!(net.trunc(), net, "{preset}: {line}");
            }
            assert_eq!(preset.name().parse(), Ok(preset));
        }
    }

    #[test]
    fn every_snapshot_names_its_day_as_a_date_and_a_day_number() {
        for preset in Preset::ALL {
            let (date, day) = dated(preset.snapshot());
            assert!(day > 20_000, "{preset}: {day}");
            assert_eq!(date, preset.published(), "{preset}");
            assert_eq!(date.len(), 10, "{preset}");
            let noon = Duration::from_secs(day * 86_400 + 43_200);
            assert_eq!(
                preset.age_days(SystemTime::UNIX_EPOCH + noon),
                0,
                "{preset}"
            );
        }
        // The generator's day numbers, checked against the calendar once here.
        assert_eq!(Preset::CloudFront.published(), "2026-08-22");
        assert_eq!(dated(Preset::CloudFront.snapshot()).1, 20_687);
        assert_eq!(Preset::Fastly.published(), "2025-07-25");
        assert_eq!(dated(Preset::Fastly.snapshot()).1, 20_294);
    }

    #[test]
    fn the_cloudfront_preset_is_the_origin_facing_service_only() {
        // 130.176.0.0/18 is origin-facing; 205.251.249.0/24 is in CLOUDFRONT only.
        assert!(contains(Preset::CloudFront, "130.176.0.1"));
        assert!(!contains(Preset::CloudFront, "205.251.249.1"));
    }

    #[test]
    fn the_cloudflare_preset_is_current_not_the_stale_npm_copy() {
        assert!(contains(Preset::Cloudflare, "104.23.255.255"));
        assert!(contains(Preset::Cloudflare, "104.24.0.1"));
        // 104.16.0.0/12 in old copies also covered 104.28.0.0/14, which Cloudflare does not list.
        assert!(!contains(Preset::Cloudflare, "104.28.0.1"));
    }

    #[test]
    fn the_fastly_preset_holds_both_families() {
        assert!(contains(Preset::Fastly, "151.101.1.1"));
        assert!(contains(Preset::Fastly, "2a04:4e42::1"));
        assert!(!contains(Preset::Fastly, "104.16.0.1"));
        assert!(Preset::Fastly.trustable());
    }

    #[test]
    fn the_globalaccelerator_preset_is_the_edges_only_and_never_trustable() {
        // 99.83.109.0/24 is a regional (eu-south-1) entry: an edge a forwarded connection comes
        // from. 166.117.0.0/16 and 75.2.0.0/17 are among the GLOBAL entries, the static addresses.
        assert!(contains(Preset::GlobalAccelerator, "99.83.109.1"));
        assert!(contains(Preset::GlobalAccelerator, "2600:1f01:4874::1"));
        assert!(!contains(Preset::GlobalAccelerator, "166.117.0.1"));
        assert!(!contains(Preset::GlobalAccelerator, "75.2.0.1"));
        assert!(!Preset::GlobalAccelerator.trustable());
        let trustable: Vec<Preset> = Preset::ALL.into_iter().filter(|p| p.trustable()).collect();
        assert_eq!(
            trustable,
            [Preset::CloudFront, Preset::Cloudflare, Preset::Fastly]
        );
    }
}
