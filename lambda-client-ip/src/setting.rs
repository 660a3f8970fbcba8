//! The environment text: a [`Source`] from the variables a function or a server is configured
//! with, and every refusal worded in those variables (`VARIABLE="value"` and the fix). The typed
//! constructors decide what is refused; this layer only reads text and names it.

use std::fmt;

use crate::error::{SourceError, Words};
use crate::ranges::{PolicyError, TrustPolicy, TrustedRanges};
use crate::source::{Source, VpcLink};

const COUNT_VAR: &str = "TRUSTED_PROXY_COUNT";
const CIDRS_VAR: &str = "TRUSTED_PROXY_CIDRS";
const LINK_VAR: &str = "VPC_LINK_CIDRS";
const HEADER_VAR: &str = "CLIENT_IP_HEADER";

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
    /// `CLIENT_IP_HEADER=forwarded` with neither a count nor ranges.
    #[error(
        "{HEADER_VAR}={header:?} needs {COUNT_VAR} or {CIDRS_VAR} to be set: Forwarded is read from the right, by counting its elements (0: the one the front door appended) or past your proxies' ranges."
    )]
    ForwardedWithoutTrust {
        /// `CLIENT_IP_HEADER` as set.
        header: String,
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
    /// | `VPC_LINK_CIDRS` | with `forwarded`: the VPC link's subnets ([`VpcLink::Subnets`]) | any private peer ([`VpcLink::AnyPrivateAddress`]) |
    ///
    /// A variable that is empty or only whitespace counts as unset. Refused with a
    /// [`SettingError`] whose message names the variables and values: a count and ranges
    /// together; `forwarded` with neither; `VPC_LINK_CIDRS` without `forwarded`; and everything
    /// the typed constructors refuse, worded in the variables.
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
            let subnets = link.map(|text| text.parse().map_err(|e| invalid(LINK_VAR, &text, e)));
            let writer = subnets.transpose()?;
            let writer = writer.map_or(VpcLink::AnyPrivateAddress, VpcLink::Subnets);
            return Self::forwarded(policy, writer).map_err(refused);
        }
        let ranges = match policy {
            TrustPolicy::Ranges(ranges) => ranges,
            TrustPolicy::Count(_) => TrustedRanges::default(),
        };
        Self::header(&header, ranges).map_err(refused)
    }
}
