//! The environment text: a [`Source`] from the variables a function or a server is configured
//! with, and every refusal worded in those variables (`VARIABLE="value"` and the fix). The typed
//! constructors decide what is refused; this layer only reads text and names it.

use std::fmt;

use crate::error::{SourceError, Words};
use crate::lists::{RangesFile, RangesFileError};
use crate::ranges::{PolicyError, TrustPolicy, TrustedRanges};
use crate::source::{Evidence, Source, VpcLink};

const COUNT_VAR: &str = "TRUSTED_PROXY_COUNT";
const CIDRS_VAR: &str = "TRUSTED_PROXY_CIDRS";
const LINK_VAR: &str = "VPC_LINK_CIDRS";
const HEADER_VAR: &str = "CLIENT_IP_HEADER";
const FILE_VAR: &str = "CLIENT_IP_RANGES_FILE";

/// The value of `VPC_LINK_CIDRS` that believes `Forwarded` from any private peer
/// ([`VpcLink::AnyPrivateAddress`]) instead of the VPC link's subnets: an explicit opt-in whose
/// value says the risk. Any machine in the VPC or a peered network that can reach the internal
/// ALB can then forge the answer; [`Source::start_warning`] says so, for the start log.
pub const ANY_PRIVATE_ADDRESS: &str = "any-private-address-insiders-can-forge";

/// What [`Source::start_warning`] says of [`VpcLink::AnyPrivateAddress`].
const INSIDERS_CAN_FORGE: &str = "Forwarded is believed from any private address (VPC_LINK_CIDRS=any-private-address-insiders-can-forge): any machine in the VPC or a peered network that can reach the internal ALB can forge the client address; set VPC_LINK_CIDRS to the VPC link's subnets";

/// Why [`Source::from_lookup`] refuses the environment. Its message begins with the variables and
/// values refused (`TRUSTED_PROXY_CIDRS="cloudfrnt" is not accepted: …`) and names the fix.
///
/// ```
/// use lambda_client_ip::{SettingError, Source, SourceError};
/// let env = |k: &str| (k == "CLIENT_IP_HEADER").then(|| "cf-connecting-ip".to_owned());
/// let err = Source::from_lookup(env).unwrap_err();
/// assert!(matches!(&err, SettingError::Source { error: SourceError::NoTrustedRange { .. }, .. }));
/// assert!(err.to_string().starts_with(r#"CLIENT_IP_HEADER="cf-connecting-ip" needs TRUSTED_PROXY_CIDRS"#));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SettingError {
    /// A variable's value is not a count or a list of ranges.
    #[error("{variable}={value:?} is not accepted: {error}.")]
    Value {
        /// The variable.
        variable: &'static str,
        /// Its value as set.
        value: String,
        /// What is wrong with it.
        error: PolicyError,
    },
    /// `TRUSTED_PROXY_COUNT` and `TRUSTED_PROXY_CIDRS` are both set.
    #[error(
        "{COUNT_VAR}={count:?} and {CIDRS_VAR}={ranges:?} are both set: choose one way to trust proxies."
    )]
    CountAndRanges {
        /// `TRUSTED_PROXY_COUNT` as set.
        count: String,
        /// `TRUSTED_PROXY_CIDRS` as set.
        ranges: String,
    },
    /// `VPC_LINK_CIDRS` is set, but `CLIENT_IP_HEADER` is not `forwarded`.
    #[error("{LINK_VAR}={value:?} is read only with {HEADER_VAR}=forwarded: unset it.")]
    VpcLinkWithoutForwarded {
        /// `VPC_LINK_CIDRS` as set.
        value: String,
    },
    /// `VPC_LINK_CIDRS` names no subnets, but is not the opt-in either: a near miss of
    /// [`ANY_PRIVATE_ADDRESS`], or the opt-in among subnets.
    #[error(
        "{LINK_VAR}={value:?} is not accepted: name the VPC link's subnets (comma-separated CIDRs), or set {LINK_VAR}={ANY_PRIVATE_ADDRESS} alone to believe any private address."
    )]
    VpcLinkOptInMisspelled {
        /// `VPC_LINK_CIDRS` as set.
        value: String,
    },
    /// `CLIENT_IP_HEADER=forwarded` without `VPC_LINK_CIDRS`.
    #[error(
        "{HEADER_VAR}={header:?} needs {LINK_VAR}: set it to the VPC link's subnets (comma-separated CIDRs; public subnets of your VPC are accepted), the only peers whose Forwarded is believed. {LINK_VAR}={ANY_PRIVATE_ADDRESS} believes any private address instead: any machine in the VPC or a peered network that can reach the internal ALB can then forge the client address."
    )]
    ForwardedWithoutVpcLink {
        /// `CLIENT_IP_HEADER` as set.
        header: String,
    },
    /// `CLIENT_IP_HEADER=forwarded` with neither a count nor ranges.
    #[error(
        "{HEADER_VAR}={header:?} needs {COUNT_VAR} or {CIDRS_VAR} to be set: Forwarded is read from the right, by counting its elements (0: the one the front door appended) or past your proxies' ranges."
    )]
    ForwardedWithoutTrust {
        /// `CLIENT_IP_HEADER` as set.
        header: String,
    },
    /// The ranges file cannot be read, is not one, or holds a list refused.
    #[error("{FILE_VAR}={path:?} is not accepted: the file {error}.")]
    RangesFile {
        /// `CLIENT_IP_RANGES_FILE` as set.
        path: String,
        /// Why it is refused.
        error: RangesFileError,
    },
    /// The source the variables describe is refused by its constructor.
    #[error("{}", Worded { header, ranges, error })]
    Source {
        /// `CLIENT_IP_HEADER` as set, cut to 64 characters.
        header: String,
        /// `TRUSTED_PROXY_CIDRS` as set (empty when unset).
        ranges: String,
        /// The refusal.
        error: SourceError,
    },
}

/// A constructor's refusal worded in the variables that set its arguments.
struct Worded<'a> {
    header: &'a str,
    ranges: &'a str,
    error: &'a SourceError,
}

impl fmt::Display for Worded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header = format!("{HEADER_VAR}={:?}", self.header);
        let ranges = format!("{CIDRS_VAR}={:?}", self.ranges);
        let words = Words {
            set: &header,
            ranges: &ranges,
            need_ranges: &format!("{CIDRS_VAR} to be set"),
            xff: &format!("X-Forwarded-For (unset {HEADER_VAR})"),
            read_header: &format!("{HEADER_VAR}="),
            trust: &format!("{CIDRS_VAR}="),
            link: LINK_VAR,
        };
        self.error.write(f, &words)
    }
}

impl Source {
    /// The source the environment describes, read through `lookup` (`|name|
    /// std::env::var(name).ok()` in a binary, a map in tests):
    ///
    /// | variable | meaning | default |
    /// |---|---|---|
    /// | `TRUSTED_PROXY_COUNT` | trusted proxies in front of the front door, 0 to 30 | `0` |
    /// | `TRUSTED_PROXY_CIDRS` | CIDRs, bare addresses and [presets](crate::Preset) of trusted proxies, comma-separated | empty |
    /// | `CLIENT_IP_HEADER` | `x-forwarded-for`, `forwarded`, or a single-address header | `x-forwarded-for` |
    /// | `VPC_LINK_CIDRS` | only with `forwarded`, and needed by it: the VPC link's subnets ([`VpcLink::Subnets`]), or [`ANY_PRIVATE_ADDRESS`] ([`VpcLink::AnyPrivateAddress`]) | unset |
    /// | `CLIENT_IP_RANGES_FILE` | a [`RangesFile`](crate::RangesFile) whose lists replace the bundled ones, read and installed first | the bundled lists |
    ///
    /// A variable that is empty or only whitespace counts as unset. Refused with a
    /// [`SettingError`] whose message names the variables and values: a count and ranges
    /// together; `forwarded` without a count or ranges, or without `VPC_LINK_CIDRS`;
    /// `VPC_LINK_CIDRS` without `forwarded`, or misspelling the opt-in; and everything the typed
    /// constructors refuse, worded in the variables.
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
    /// # Ok::<(), lambda_client_ip::SettingError>(())
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingError> {
        let set = |name| lookup(name).filter(|v: &String| !v.trim().is_empty());
        let invalid = |variable, value: &String, error| SettingError::Value {
            variable,
            value: value.clone(),
            error,
        };
        if let Some(path) = set(FILE_VAR) {
            let installed = RangesFile::read(path.as_ref()).and_then(|file| file.install());
            installed.map_err(|error| SettingError::RangesFile { path, error })?;
        }
        let (count, cidrs, link) = (set(COUNT_VAR), set(CIDRS_VAR), set(LINK_VAR));
        let policy = match (&count, &cidrs) {
            (Some(count), Some(ranges)) => {
                let (count, ranges) = (count.clone(), ranges.clone());
                return Err(SettingError::CountAndRanges { count, ranges });
            }
            (Some(n), None) => n
                .parse()
                .map(TrustPolicy::Count)
                .map_err(|e| invalid(COUNT_VAR, n, e))?,
            (None, Some(list)) => list
                .parse()
                .map(TrustPolicy::Ranges)
                .map_err(|e| invalid(CIDRS_VAR, list, e))?,
            (None, None) => TrustPolicy::default(),
        };
        let trusted = count.is_some() || cidrs.is_some();
        let header = set(HEADER_VAR).unwrap_or_else(|| "x-forwarded-for".to_owned());
        let forwarded = header.trim().eq_ignore_ascii_case("forwarded");
        if let Some(value) = link.clone().filter(|_| !forwarded) {
            return Err(SettingError::VpcLinkWithoutForwarded { value });
        }
        if header.trim().eq_ignore_ascii_case("x-forwarded-for") {
            return Ok(Self::x_forwarded_for(policy));
        }
        let refused = |error| SettingError::Source {
            header: header.chars().take(64).collect(),
            ranges: cidrs.clone().unwrap_or_default(),
            error,
        };
        if forwarded {
            if !trusted {
                let header = header.clone();
                return Err(SettingError::ForwardedWithoutTrust { header });
            }
            let Some(text) = link else {
                let header = header.clone();
                return Err(SettingError::ForwardedWithoutVpcLink { header });
            };
            let lower = text.trim().to_ascii_lowercase();
            let writer = if lower == ANY_PRIVATE_ADDRESS {
                VpcLink::AnyPrivateAddress
            } else if lower.contains("private") || lower.contains("any-") {
                return Err(SettingError::VpcLinkOptInMisspelled { value: text });
            } else {
                VpcLink::Subnets(text.parse().map_err(|e| invalid(LINK_VAR, &text, e))?)
            };
            return Self::forwarded(policy, writer).map_err(refused);
        }
        let ranges = match policy {
            TrustPolicy::Ranges(ranges) => ranges,
            TrustPolicy::Count(_) => TrustedRanges::default(),
        };
        Self::header(&header, ranges).map_err(refused)
    }

    /// What a binary logs as a warning when it starts with this source, if anything: set when
    /// `Forwarded` is believed from any private address ([`VpcLink::AnyPrivateAddress`], the
    /// value [`ANY_PRIVATE_ADDRESS`]), naming who can then forge the answer.
    ///
    /// ```
    /// use lambda_client_ip::{ANY_PRIVATE_ADDRESS, Source};
    /// let env = |link: &'static str| move |k: &str| match k {
    ///     "CLIENT_IP_HEADER" => Some("forwarded".to_owned()),
    ///     "TRUSTED_PROXY_COUNT" => Some("0".to_owned()),
    ///     "VPC_LINK_CIDRS" => Some(link.to_owned()),
    ///     _ => None,
    /// };
    /// let loose = Source::from_lookup(env(ANY_PRIVATE_ADDRESS))?;
    /// assert!(loose.start_warning().unwrap().contains("any machine in the VPC or a peered network"));
    /// assert_eq!(Source::from_lookup(env("10.0.1.0/24"))?.start_warning(), None);
    /// # Ok::<(), lambda_client_ip::SettingError>(())
    /// ```
    pub fn start_warning(&self) -> Option<&'static str> {
        let loose = VpcLink::AnyPrivateAddress;
        matches!(&self.evidence, Evidence::Forwarded { link, .. } if *link == loose)
            .then_some(INSIDERS_CAN_FORGE)
    }
}
