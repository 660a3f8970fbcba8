//! Published address lists bundled with the crate: the ranges a CDN connects to your origin from.
//!
//! Each list is a dated snapshot in `src/presets/`, written by `scripts/presets.py` from the
//! provider's published file and checked against saved copies by the test command. A snapshot
//! ages: providers add ranges (AWS announces changes on the `AmazonIpSpaceChanged` SNS topic), and
//! an address the CDN starts using after the snapshot is not trusted, so its requests are answered
//! with the CDN's address rather than the client's. Use [`Preset::age_days`] to warn about it.

use std::fmt;
use std::str::FromStr;
use std::time::SystemTime;

use ipnet::IpNet;

use crate::policy::TrustedRanges;

/// A provider's published list of the addresses it connects to origins from, bundled as a dated
/// snapshot. In a [`TrustedRanges`] list it is written by [name](Preset::name).
///
/// ```
/// use lambda_client_ip::{Preset, TrustedRanges};
///
/// let ranges: TrustedRanges = "cloudfront, 10.0.0.0/8".parse()?;
/// assert!(ranges.contains("130.176.0.1".parse()?)); // a CloudFront origin-facing address
/// assert!(ranges.contains("10.1.2.3".parse()?));
/// assert_eq!(ranges.presets(), [Preset::CloudFront]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Preset {
    /// `cloudfront`: service `CLOUDFRONT_ORIGIN_FACING` of AWS's `ip-ranges.json`, the addresses
    /// CloudFront connects to origins from. Not the broader `CLOUDFRONT` service, whose
    /// viewer-facing ranges never connect to an origin.
    CloudFront,
    /// `cloudflare`: Cloudflare's published `ips-v4` and `ips-v6` lists.
    Cloudflare,
}

impl Preset {
    /// Every bundled preset.
    ///
    /// ```
    /// use lambda_client_ip::Preset;
    /// let names: Vec<&str> = Preset::ALL.iter().map(|p| p.name()).collect();
    /// assert_eq!(names, ["cloudfront", "cloudflare"]);
    /// ```
    pub const ALL: [Self; 2] = [Self::CloudFront, Self::Cloudflare];

    /// The name that stands for the list in a [`TrustedRanges`] text.
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
        }
    }

    const fn snapshot(self) -> &'static str {
        match self {
            Self::CloudFront => include_str!("presets/cloudfront.txt"),
            Self::Cloudflare => include_str!("presets/cloudflare.txt"),
        }
    }

    /// The day the snapshot was published (AWS's `createDate`) or fetched (Cloudflare's lists
    /// carry no date), as `YYYY-MM-DD`.
    ///
    /// ```
    /// use lambda_client_ip::Preset;
    /// let day = Preset::CloudFront.published();
    /// assert_eq!((day.len(), &day[4..5], &day[7..8]), (10, "-", "-"));
    /// ```
    pub fn published(self) -> &'static str {
        self.snapshot()
            .lines()
            .find_map(|line| line.strip_prefix("# published: "))
            .and_then(|rest| rest.get(..10))
            .unwrap_or("")
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
        let today = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() / 86_400);
        let published = days_since_epoch(self.published()).unwrap_or(0);
        today.saturating_sub(published)
    }

    /// The snapshot's ranges, as published (before merging).
    ///
    /// ```
    /// use lambda_client_ip::Preset;
    /// assert!(Preset::Cloudflare.nets().any(|n| n.to_string() == "104.16.0.0/13"));
    /// ```
    pub fn nets(self) -> impl Iterator<Item = IpNet> {
        // Every line was checked by the generator and is checked again by this crate's tests.
        self.snapshot()
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| line.parse().ok())
    }

    /// The snapshot as a set of trusted ranges.
    ///
    /// ```
    /// use lambda_client_ip::Preset;
    /// let ranges = Preset::Cloudflare.ranges();
    /// assert!(ranges.contains("104.16.0.1".parse()?));
    /// assert!(!ranges.contains("104.32.0.1".parse()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ranges(self) -> TrustedRanges {
        TrustedRanges::with_presets(self.nets(), vec![self])
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
/// assert_eq!(err.to_string(), r#""cloudfrnt" is not a bundled preset (cloudfront, cloudflare)"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownPreset {
    name: String,
}

impl fmt::Display for UnknownPreset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not a bundled preset (", self.name)?;
        for (i, preset) in Preset::ALL.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(f, "{sep}{preset}")?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for UnknownPreset {}

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
        Self::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| UnknownPreset {
                name: name.chars().take(64).collect(),
            })
    }
}

/// Days from 1970-01-01 to a `YYYY-MM-DD` date of the proleptic Gregorian calendar.
fn days_since_epoch(date: &str) -> Option<u64> {
    let mut parts = date.splitn(3, '-').map(|p| p.parse::<u64>().ok());
    let (year, month, day) = (parts.next()??, parts.next()??, parts.next()??);
    if year < 1970 || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    // Count years from March, so the leap day is the last day of a year.
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let day_of_year = (153 * m + 2) / 5 + day - 1;
    let days = y * 365 + y / 4 - y / 100 + y / 400 + day_of_year;
    // 719_468 days lie between 0000-03-01 and 1970-01-01.
    days.checked_sub(719_468)
}

#[cfg(test)]
mod tests {
    use super::*;

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
            assert!(days_since_epoch(preset.published()).is_some(), "{preset}");
        }
    }

    #[test]
    fn the_cloudfront_preset_is_the_origin_facing_service_only() {
        let ranges = Preset::CloudFront.ranges();
        // 130.176.0.0/18 is origin-facing; 205.251.249.0/24 is in CLOUDFRONT only.
        assert!(ranges.contains("130.176.0.1".parse().unwrap()));
        assert!(!ranges.contains("205.251.249.1".parse().unwrap()));
    }

    #[test]
    fn the_cloudflare_preset_is_current_not_the_stale_npm_copy() {
        let ranges = Preset::Cloudflare.ranges();
        assert!(ranges.contains("104.23.255.255".parse().unwrap()));
        assert!(ranges.contains("104.24.0.1".parse().unwrap()));
        // 104.16.0.0/12 in old copies also covered 104.28.0.0/14, which Cloudflare does not list.
        assert!(!ranges.contains("104.28.0.1".parse().unwrap()));
    }

    #[test]
    fn dates_count_days_like_the_calendar() {
        for (date, days) in [
            ("1970-01-01", Some(0)),
            ("1970-03-01", Some(59)),
            ("2000-02-29", Some(11_016)),
            ("2000-03-01", Some(11_017)),
            ("2026-08-22", Some(20_687)),
            ("2026-13-01", None),
            ("1969-12-31", None),
            ("2026-08", None),
            ("", None),
        ] {
            assert_eq!(days_since_epoch(date), days, "{date}");
        }
    }
}
