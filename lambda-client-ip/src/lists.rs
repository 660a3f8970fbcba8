//! Fresh published lists without a release: a ranges file whose lists replace the bundled
//! snapshots of their presets for the whole process, read once at start; or, on a long-running
//! server, lists fetched now and then, each made trusted ranges for a source swapped in.

use std::path::Path;
use std::time::SystemTime;

use ipnet::IpNet;
use serde::Deserialize;

use crate::preset::{INSTALLED, Preset, dated};
use crate::ranges::{PolicyError, TrustedRanges};

/// The published lists a ranges file holds, validated as the bundled snapshots are: every range
/// a canonical CIDR (host bits clear), no list empty, none older than the snapshot it replaces.
///
/// A file holds one of these forms, told apart by its content:
///
/// | form | presets | date |
/// |---|---|---|
/// | what `tools/presets.py --file` writes: one or more snapshots, each under its `# name:` line | those named | each snapshot's `# published:` line |
/// | AWS's `ip-ranges.json`, whole or filtered | `cloudfront` (`CLOUDFRONT_ORIGIN_FACING`) and `globalaccelerator` (`GLOBALACCELERATOR` with a named region), each when present | `createDate` |
/// | Fastly's `public-ip-list` JSON (`addresses`, `ipv6_addresses`) | `fastly` | the file's modification time |
/// | Cloudflare's `ips-v4` and `ips-v6`, one or both (`cat ips-v4 ips-v6`): bare CIDR lines | `cloudflare` | the file's modification time |
///
/// Cloudflare's and Fastly's lists carry no date, so the day the file was written stands for the
/// day the list was fetched: keep the modification time when you copy the file (`cp -p`).
///
/// ```
/// use std::time::SystemTime;
/// use lambda_client_ip::{Preset, RangesFile};
///
/// let file = RangesFile::parse("173.245.48.0/20\n2400:cb00::/32\n", SystemTime::now())?;
/// assert_eq!(file.presets().collect::<Vec<_>>(), [Preset::Cloudflare]);
/// let err = RangesFile::parse("10.0.0.1/8\n", SystemTime::now()).unwrap_err();
/// assert_eq!(err.to_string(), r#"cloudflare: "10.0.0.1/8" is not a canonical CIDR (host bits set, or not a range)"#);
/// # Ok::<(), lambda_client_ip::RangesFileError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangesFile {
    lists: Vec<List>,
}

/// One preset's list as the file holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct List {
    preset: Preset,
    /// Days since 1970-01-01.
    day: u64,
    nets: Vec<IpNet>,
}

/// Why a ranges file is refused. Its message names the preset and the item refused; the caller
/// names the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RangesFileError {
    /// The file cannot be read.
    #[error("cannot be read ({0})")]
    Unreadable(String),
    /// JSON that is neither AWS's `ip-ranges.json` nor Fastly's `public-ip-list`.
    #[error("is not a ranges file: {0}")]
    Form(String),
    /// A range that is not a canonical CIDR.
    #[error("{preset}: {item:?} is not a canonical CIDR (host bits set, or not a range)")]
    Range {
        /// The list it stands in.
        preset: Preset,
        /// The item, cut to 64 characters.
        item: String,
    },
    /// A list with no range, or a preset named twice.
    #[error("{preset}: the list is empty or given twice")]
    Empty {
        /// The list.
        preset: Preset,
    },
    /// A list older than the bundled snapshot it would replace.
    #[error(
        "{preset}: published {published}, before the bundled list ({bundled}); the bundled one is newer"
    )]
    Older {
        /// The list.
        preset: Preset,
        /// The file's date for it.
        published: String,
        /// The bundled snapshot's date.
        bundled: &'static str,
    },
    /// Other lists were installed already, or the bundled ones read.
    #[error("comes too late: this process installed other lists, or read the bundled ones, before")]
    Installed,
}

/// An entry of AWS's `ip-ranges.json` (`prefixes` and `ipv6_prefixes` alike).
#[derive(Deserialize)]
struct AwsPrefix {
    #[serde(alias = "ipv6_prefix")]
    ip_prefix: String,
    service: String,
    region: String,
}

/// The JSON forms a ranges file may take.
#[derive(Deserialize)]
#[serde(untagged)]
enum Published {
    Aws {
        #[serde(rename = "createDate")]
        create_date: String,
        prefixes: Vec<AwsPrefix>,
        #[serde(default)]
        ipv6_prefixes: Vec<AwsPrefix>,
    },
    Fastly {
        addresses: Vec<String>,
        ipv6_addresses: Vec<String>,
    },
}

impl RangesFile {
    /// Reads and parses the file at `path` (see [`RangesFile::parse`]); its modification time
    /// dates the forms that carry no date.
    pub fn read(path: &Path) -> Result<Self, RangesFileError> {
        let unreadable = |e: std::io::Error| RangesFileError::Unreadable(e.kind().to_string());
        let text = std::fs::read_to_string(path).map_err(unreadable)?;
        let written = std::fs::metadata(path).and_then(|m| m.modified());
        Self::parse(&text, written.map_err(unreadable)?)
    }

    /// Parses a file's text; `written` dates the forms that carry no date.
    pub fn parse(text: &str, written: SystemTime) -> Result<Self, RangesFileError> {
        let written = written
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() / 86_400);
        let lists = match text.trim_start().starts_with('{') {
            true => from_json(text, written)?,
            false => from_text(text, written)?,
        };
        for (i, list) in lists.iter().enumerate() {
            let twice = lists.iter().take(i).any(|l| l.preset == list.preset);
            if list.nets.is_empty() || twice {
                return Err(RangesFileError::Empty {
                    preset: list.preset,
                });
            }
            let (bundled, bundled_day) = dated(list.preset.bundled());
            if list.day < bundled_day {
                return Err(RangesFileError::Older {
                    preset: list.preset,
                    published: date(list.day),
                    bundled,
                });
            }
        }
        match lists.is_empty() {
            true => Err(RangesFileError::Form("it holds no list".into())),
            false => Ok(Self { lists }),
        }
    }

    /// The presets whose lists the file holds.
    pub fn presets(&self) -> impl Iterator<Item = Preset> + '_ {
        self.lists.iter().map(|list| list.preset)
    }

    /// The list the file holds for `preset` as trusted ranges (`None` when it holds none), built
    /// by [`TrustedRanges::new`] and so refused as any trusted ranges are. Nothing is installed: a
    /// long-running server builds a source of it for a `SharedSource` (the `refresh_ranges`
    /// example).
    ///
    /// ```
    /// # use lambda_client_ip::{Preset, RangesFile};
    /// let file = RangesFile::parse("0.0.0.0/1\n128.0.0.0/1\n", std::time::SystemTime::now())?;
    /// assert!(file.ranges(Preset::Fastly).is_none());
    /// assert!(file.ranges(Preset::Cloudflare).unwrap().is_err()); // every public address
    /// # Ok::<(), lambda_client_ip::RangesFileError>(())
    /// ```
    pub fn ranges(&self, preset: Preset) -> Option<Result<TrustedRanges, PolicyError>> {
        let list = self.lists.iter().find(|list| list.preset == preset)?;
        Some(TrustedRanges::new(list.nets.iter().copied()))
    }

    /// Replaces, for the rest of the process, the bundled snapshot of every preset the file
    /// holds: every source built afterwards, the preset's [`published`](Preset::published) date
    /// and its staleness follow the file. Refused when other lists were installed already, and
    /// when the bundled lists were read already (by a source, or by a preset's dates): install
    /// before anything else, at start. Installing the same lists again is accepted.
    ///
    /// ```standalone_crate
    /// use std::time::SystemTime;
    /// use lambda_client_ip::{Preset, RangesFile};
    ///
    /// let file = RangesFile::parse("# fastly: x\n# published: 2026-12-01\n151.101.0.0/16\n", SystemTime::now())?;
    /// let _ = Preset::Fastly.published(); // reads the bundled lists
    /// assert!(file.install().is_err());
    /// # Ok::<(), lambda_client_ip::RangesFileError>(())
    /// ```
    pub fn install(&self) -> Result<(), RangesFileError> {
        let snapshots: Vec<(Preset, String)> = self.lists.iter().map(List::snapshot).collect();
        let same = |set: &Vec<(Preset, &str)>| {
            let ours = snapshots.iter().map(|(p, text)| (*p, text.as_str()));
            set.iter().copied().eq(ours)
        };
        let installed = match INSTALLED.get() {
            Some(set) => same(set),
            // Leaked once per process, as the bundled snapshots are compiled in.
            None => INSTALLED
                .set(
                    snapshots
                        .iter()
                        .map(|(p, t)| (*p, &*t.clone().leak()))
                        .collect(),
                )
                .is_ok(),
        };
        installed.then_some(()).ok_or(RangesFileError::Installed)
    }
}

impl List {
    fn new(preset: Preset, day: u64, items: &[&str]) -> Result<Self, RangesFileError> {
        let mut nets = Vec::with_capacity(items.len());
        for item in items {
            let net = item.parse::<IpNet>().ok().filter(|n| n.trunc() == *n);
            nets.push(net.ok_or_else(|| RangesFileError::Range {
                preset,
                item: item.chars().take(64).collect(),
            })?);
        }
        Ok(Self { preset, day, nets })
    }

    /// The list in the form of a bundled snapshot.
    fn snapshot(&self) -> (Preset, String) {
        let (preset, day) = (self.preset, self.day);
        let mut text = format!("# {preset}: from a ranges file\n");
        text += &format!("# published: {} (day {day}, a ranges file)\n", date(day));
        for net in &self.nets {
            text += &format!("{net}\n");
        }
        (preset, text)
    }
}

fn from_json(text: &str, written: u64) -> Result<Vec<List>, RangesFileError> {
    let form = |e: serde_json::Error| RangesFileError::Form(e.to_string());
    match serde_json::from_str(text).map_err(form)? {
        Published::Fastly {
            addresses,
            ipv6_addresses,
        } => {
            let items: Vec<&str> = addresses
                .iter()
                .chain(&ipv6_addresses)
                .map(String::as_str)
                .collect();
            Ok(vec![List::new(Preset::Fastly, written, &items)?])
        }
        Published::Aws {
            create_date,
            prefixes,
            ipv6_prefixes,
        } => {
            let day = create_date.get(..10).and_then(day_number);
            let day =
                day.ok_or_else(|| RangesFileError::Form(format!("createDate {create_date:?}")))?;
            let all = || prefixes.iter().chain(&ipv6_prefixes);
            let origin_facing = |p: &&AwsPrefix| p.service == "CLOUDFRONT_ORIGIN_FACING";
            let edge = |p: &&AwsPrefix| p.service == "GLOBALACCELERATOR" && p.region != "GLOBAL";
            let items = |keep: &dyn Fn(&&AwsPrefix) -> bool| {
                all()
                    .filter(keep)
                    .map(|p| p.ip_prefix.as_str())
                    .collect::<Vec<_>>()
            };
            // A file filtered to one service holds the other's list not at all.
            let both = [
                (Preset::CloudFront, items(&origin_facing)),
                (Preset::GlobalAccelerator, items(&edge)),
            ];
            let held = both.into_iter().filter(|(_, items)| !items.is_empty());
            held.map(|(preset, items)| List::new(preset, day, &items))
                .collect()
        }
    }
}

/// Snapshots under their `# name:` lines; bare lines before any are Cloudflare's.
fn from_text(text: &str, written: u64) -> Result<Vec<List>, RangesFileError> {
    let mut sections: Vec<(Preset, Option<u64>, Vec<&str>)> = Vec::new();
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
        let Some(comment) = line.strip_prefix('#').map(str::trim) else {
            if sections.is_empty() {
                sections.push((Preset::Cloudflare, Some(written), Vec::new()));
            }
            if let Some((_, _, items)) = sections.last_mut() {
                items.push(line);
            }
            continue;
        };
        let name = comment
            .split_once(':')
            .map(|(name, _)| name.parse::<Preset>());
        if let Some(Ok(preset)) = name {
            sections.push((preset, None, Vec::new()));
        } else if let (Some(rest), Some(section)) =
            (comment.strip_prefix("published:"), sections.last_mut())
        {
            section.1 = rest.trim().get(..10).and_then(day_number);
        }
    }
    let undated =
        |preset| RangesFileError::Form(format!("{preset}: no \"# published: YYYY-MM-DD\" line"));
    let list = |(preset, day, items): (Preset, Option<u64>, Vec<&str>)| {
        List::new(preset, day.ok_or_else(|| undated(preset))?, &items)
    };
    sections.into_iter().map(list).collect()
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date, proleptic Gregorian (H. Hinnant's
/// `days_from_civil`); `None` for another form or a date before 1970.
fn day_number(date: &str) -> Option<u64> {
    let field = |range: std::ops::Range<usize>| date.get(range)?.parse::<i64>().ok();
    let (year, month, day) = (field(0..4)?, field(5..7)?, field(8..10)?);
    let dashes = date.len() == 10 && date.get(4..5) == Some("-") && date.get(7..8) == Some("-");
    if !dashes || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let year = if month <= 2 { year - 1 } else { year };
    let (era, of_era) = (year.div_euclid(400), year.rem_euclid(400));
    let of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let of_era_days = of_era * 365 + of_era / 4 - of_era / 100 + of_year;
    u64::try_from(era * 146_097 + of_era_days - 719_468).ok()
}

/// The `YYYY-MM-DD` date of a day number (H. Hinnant's `civil_from_days`).
fn date(day: u64) -> String {
    let days = day + 719_468;
    let (era, of_era) = (days / 146_097, days % 146_097);
    let year_of_era = (of_era - of_era / 1460 + of_era / 36_524 - of_era / 146_096) / 365;
    let of_year = of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * of_year + 2) / 153;
    let day = of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/published-ranges/");

    fn published(name: &str) -> String {
        std::fs::read_to_string(format!("{DATA}{name}")).unwrap()
    }

    fn day(n: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(n * 86_400 + 3_600)
    }

    /// The file's lists, each as the sorted set of its ranges with its day.
    fn lists(file: &RangesFile) -> Vec<(Preset, u64, Vec<IpNet>)> {
        let sorted = |l: &List| IpNet::aggregate(&l.nets);
        file.lists
            .iter()
            .map(|l| (l.preset, l.day, sorted(l)))
            .collect()
    }

    fn bundled(preset: Preset) -> (Preset, u64, Vec<IpNet>) {
        let nets: Vec<IpNet> = preset.nets().collect();
        (preset, dated(preset.bundled()).1, IpNet::aggregate(&nets))
    }

    #[test]
    fn dates_and_day_numbers_agree_with_the_calendar() {
        for (text, n) in [
            ("1970-01-01", 0),
            ("2000-02-29", 11_016),
            ("2024-03-01", 19_783),
            ("2025-07-25", 20_294),
            ("2026-08-22", 20_687),
        ] {
            assert_eq!(day_number(text), Some(n), "{text}");
            assert_eq!(date(n), text);
        }
        for text in [
            "2026-13-01",
            "2026-8-22",
            "1969-12-31",
            "2026-08-22x",
            "20260822",
            "",
        ] {
            assert_eq!(day_number(text), None, "{text}");
        }
    }

    #[test]
    fn every_published_form_gives_the_bundled_lists() {
        let aws = RangesFile::parse(&published("aws-ip-ranges.filtered.json"), day(1)).unwrap();
        assert_eq!(lists(&aws), [bundled(Preset::CloudFront)]);
        let ga = published("aws-ip-ranges.globalaccelerator.json");
        let ga = RangesFile::parse(&ga, day(1)).unwrap();
        assert_eq!(lists(&ga), [bundled(Preset::GlobalAccelerator)]);
        let written = dated(Preset::Fastly.bundled()).1;
        let fastly = published("fastly-public-ip-list.json");
        let fastly = RangesFile::parse(&fastly, day(written)).unwrap();
        assert_eq!(lists(&fastly), [bundled(Preset::Fastly)]);
        let cloudflare = published("ips-v4.txt") + "\n" + &published("ips-v6.txt");
        let written = dated(Preset::Cloudflare.bundled()).1;
        let cloudflare = RangesFile::parse(&cloudflare, day(written)).unwrap();
        assert_eq!(lists(&cloudflare), [bundled(Preset::Cloudflare)]);
        // What tools/presets.py writes: the snapshots, one after another.
        let all: String = Preset::ALL.iter().map(|p| p.bundled()).collect();
        let file = RangesFile::parse(&all, day(0)).unwrap();
        assert_eq!(lists(&file), Preset::ALL.map(bundled));
        assert_eq!(file.presets().collect::<Vec<_>>(), Preset::ALL);
    }

    #[test]
    fn a_file_that_cannot_be_meant_is_refused_with_what_is_wrong() {
        let today = SystemTime::now();
        let refused = |text: &str| RangesFile::parse(text, today).unwrap_err().to_string();
        let fastly = "# fastly: x\n# published: 2026-11-30 (day 1)\n";
        assert_eq!(refused(""), "is not a ranges file: it holds no list");
        assert_eq!(
            refused("# cloudflare: x\n173.245.48.0/20\n"),
            r##"is not a ranges file: cloudflare: no "# published: YYYY-MM-DD" line"##
        );
        assert_eq!(refused(fastly), "fastly: the list is empty or given twice");
        let twice = format!("{fastly}151.101.0.0/16\n{fastly}151.101.0.0/16\n");
        assert_eq!(refused(&twice), "fastly: the list is empty or given twice");
        assert_eq!(
            refused(&format!("{fastly}151.101.0.1/16\n")),
            r#"fastly: "151.101.0.1/16" is not a canonical CIDR (host bits set, or not a range)"#
        );
        assert_eq!(
            refused("<html>Service Unavailable</html>"),
            r#"cloudflare: "<html>Service Unavailable</html>" is not a canonical CIDR (host bits set, or not a range)"#
        );
        assert!(refused(r#"{"error": "throttled"}"#).starts_with("is not a ranges file: "));
        let undated = r#"{"createDate": "soon", "prefixes": []}"#;
        assert_eq!(
            refused(undated),
            r#"is not a ranges file: createDate "soon""#
        );
        let empty = r#"{"createDate": "2026-11-30-01-02-03", "prefixes": []}"#;
        assert_eq!(refused(empty), "is not a ranges file: it holds no list");
        let old = "# fastly: x\n# published: 2024-01-02 (day 1)\n151.101.0.0/16\n";
        assert_eq!(
            refused(old),
            "fastly: published 2024-01-02, before the bundled list (2025-07-25); the bundled one is newer"
        );
        // Undated forms are dated by the file: an old copy is refused too.
        let stale = RangesFile::parse(
            r#"{"addresses": ["151.101.0.0/16"], "ipv6_addresses": []}"#,
            day(20_000),
        );
        assert!(matches!(stale, Err(RangesFileError::Older { .. })));
    }
}
