//! Configuration: the environment, read once at cold start and turned into a valid [`Config`].
//!
//! Every check happens here, so a request can never fail for a configuration reason. A `Config`
//! can only be built through [`Config::from_lookup`] (or [`Config::from_env`]) or from an already
//! valid [`TrustPolicy`], so holding one means it is valid.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `TRUSTED_PROXY_COUNT` | trusted proxies in front of the ALB, 0 to 30 | `0` |
//! | `TRUSTED_PROXY_CIDRS` | comma-separated CIDRs or bare addresses of trusted proxies | empty |
//!
//! A variable that is empty or only whitespace counts as unset (CloudFormation passes empty
//! parameters as empty strings). Setting both is refused: the two policies disagree on what the
//! chain means and silently preferring one would hide a deployment mistake.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::client_ip::{MAX_PROXY_COUNT, ProxyCount, TrustPolicy, TrustedRanges};

/// The name of the hop-count variable.
pub const COUNT_VAR: &str = "TRUSTED_PROXY_COUNT";
/// The name of the trusted-ranges variable.
pub const CIDRS_VAR: &str = "TRUSTED_PROXY_CIDRS";

/// The validated configuration of the function.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    policy: TrustPolicy,
}

/// Why the configuration is refused. Each variant names the variable and the offending value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// `TRUSTED_PROXY_COUNT` is not an integer from 0 to 30.
    InvalidCount {
        /// The value as set.
        value: String,
    },
    /// An item of `TRUSTED_PROXY_CIDRS` is not an acceptable range.
    InvalidRange {
        /// The offending item.
        item: String,
        /// Its position in the list, starting at 1.
        index: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Both variables are set.
    BothSet {
        /// The value of `TRUSTED_PROXY_COUNT`.
        count: String,
        /// The value of `TRUSTED_PROXY_CIDRS`.
        cidrs: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidCount { value } => write!(
                f,
                "{COUNT_VAR}={value:?} is not accepted: it must be a whole number from 0 to {MAX_PROXY_COUNT}."
            ),
            Self::InvalidRange {
                item,
                index,
                reason,
            } => write!(
                f,
                "{CIDRS_VAR} item {index} ({item:?}) is not accepted: {reason}."
            ),
            Self::BothSet { count, cidrs } => write!(
                f,
                "{COUNT_VAR}={count:?} and {CIDRS_VAR}={cidrs:?} are both set: choose one way to trust proxies."
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// A configuration from an already valid policy (for tools and tests).
    pub fn with_policy(policy: TrustPolicy) -> Self {
        Self { policy }
    }

    /// Reads the process environment. A value that is not valid Unicode is read lossily, so it
    /// is refused with its text shown rather than silently ignored.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()))
    }

    /// Builds the configuration from a lookup function, so that tests never touch the process
    /// environment.
    ///
    /// ```
    /// use alb_client_ip::config::Config;
    /// let env = |vars: &'static [(&'static str, &'static str)]| {
    ///     move |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    /// };
    /// assert!(Config::from_lookup(env(&[("TRUSTED_PROXY_COUNT", "1")])).is_ok());
    /// let err = Config::from_lookup(env(&[("TRUSTED_PROXY_COUNT", "31")])).unwrap_err();
    /// assert!(err.to_string().contains("TRUSTED_PROXY_COUNT=\"31\""));
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let set = |name| lookup(name).filter(|v: &String| !v.trim().is_empty());
        let policy = match (set(COUNT_VAR), set(CIDRS_VAR)) {
            (Some(count), Some(cidrs)) => return Err(ConfigError::BothSet { count, cidrs }),
            (Some(count), None) => TrustPolicy::Count(parse_count(&count)?),
            (None, Some(cidrs)) => TrustPolicy::Ranges(parse_ranges(&cidrs)?),
            (None, None) => TrustPolicy::default(),
        };
        Ok(Self { policy })
    }

    /// The trust policy every request is resolved with.
    pub fn policy(&self) -> &TrustPolicy {
        &self.policy
    }
}

fn parse_count(value: &str) -> Result<ProxyCount, ConfigError> {
    let digits = value.trim();
    let invalid = || ConfigError::InvalidCount {
        value: value.to_owned(),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    digits
        .parse::<u8>()
        .ok()
        .and_then(ProxyCount::new)
        .ok_or_else(invalid)
}

/// Parses a comma-separated list of CIDRs and bare addresses.
///
/// Refused, each with the item and its position: empty items, anything that is neither a CIDR
/// nor an address, a CIDR with host bits set (`10.0.0.1/8` is a typo for `10.0.0.0/8` or
/// `10.0.0.1/32`, and guessing which would widen or narrow trust silently), a `/0` range (it
/// trusts every address, so no client could ever be found), and IPv4-mapped IPv6 ranges (entries
/// are compared in IPv4 form, so such a range would never match: write it as IPv4).
pub fn parse_ranges(list: &str) -> Result<TrustedRanges, ConfigError> {
    let mut nets = Vec::new();
    for (i, raw) in list.split(',').enumerate() {
        let item = raw.trim();
        let fail = |reason| ConfigError::InvalidRange {
            item: item.to_owned(),
            index: i + 1,
            reason,
        };
        if item.is_empty() {
            return Err(fail(
                "the item is empty (check for a doubled or trailing comma)",
            ));
        }
        let net = if item.contains('/') {
            let net: IpNet = item
                .parse()
                .map_err(|_| fail("it is not a CIDR such as 10.0.0.0/8 or 2001:db8::/32"))?;
            if net.trunc() != net {
                return Err(fail("it has host bits set; write the network address"));
            }
            net
        } else {
            let addr: IpAddr = item
                .parse()
                .map_err(|_| fail("it is neither a CIDR nor an IP address"))?;
            IpNet::from(addr)
        };
        if net.prefix_len() == 0 {
            return Err(fail(
                "a /0 range trusts every address, so no client could be found",
            ));
        }
        if let IpNet::V6(v6) = net
            && v6.network().to_ipv4_mapped().is_some()
            && v6.prefix_len() >= 96
        {
            return Err(fail(
                "it is an IPv4-mapped IPv6 range; write it in IPv4 form",
            ));
        }
        nets.push(net);
    }
    Ok(TrustedRanges::new(nets))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_lookup(|k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn defaults_to_count_zero() {
        assert_eq!(config(&[]).unwrap().policy(), &TrustPolicy::default());
        assert_eq!(
            config(&[(COUNT_VAR, " "), (CIDRS_VAR, "")])
                .unwrap()
                .policy(),
            &TrustPolicy::default()
        );
    }

    #[test]
    fn accepted_values() {
        for (value, want) in [("0", 0), ("1", 1), ("30", 30), (" 2 ", 2), ("02", 2)] {
            let got = config(&[(COUNT_VAR, value)]).unwrap();
            assert_eq!(
                got.policy(),
                &TrustPolicy::Count(ProxyCount::new(want).unwrap()),
                "{value:?}"
            );
        }
        let got = config(&[(CIDRS_VAR, "10.0.0.0/8, 192.0.2.1 ,2001:db8::/32,::1")]).unwrap();
        let TrustPolicy::Ranges(r) = got.policy() else {
            panic!("expected ranges")
        };
        assert_eq!(r.len(), 4);
        assert!(r.contains("192.0.2.1".parse().unwrap()));
        assert!(!r.contains("192.0.2.2".parse().unwrap()));
    }

    #[test]
    fn refused_values_name_the_variable_and_value() {
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
        let cases: &[Case] = &[
            (
                "Fail: count above 30",
                &[(COUNT_VAR, "31")],
                "TRUSTED_PROXY_COUNT=\"31\"",
            ),
            (
                "Fail: negative count",
                &[(COUNT_VAR, "-1")],
                "TRUSTED_PROXY_COUNT=\"-1\"",
            ),
            (
                "Fail: signed count",
                &[(COUNT_VAR, "+1")],
                "TRUSTED_PROXY_COUNT=\"+1\"",
            ),
            (
                "Fail: word count",
                &[(COUNT_VAR, "two")],
                "TRUSTED_PROXY_COUNT=\"two\"",
            ),
            (
                "Fail: huge count",
                &[(COUNT_VAR, "99999999999")],
                "99999999999",
            ),
            (
                "Fail: bad CIDR",
                &[(CIDRS_VAR, "10.0.0.0/33")],
                "item 1 (\"10.0.0.0/33\")",
            ),
            (
                "Fail: hostname",
                &[(CIDRS_VAR, "10.0.0.0/8,proxy.local")],
                "item 2 (\"proxy.local\")",
            ),
            ("Fail: empty item", &[(CIDRS_VAR, "10.0.0.0/8,")], "item 2"),
            ("Fail: host bits", &[(CIDRS_VAR, "10.0.0.1/8")], "host bits"),
            ("Fail: slash zero", &[(CIDRS_VAR, "0.0.0.0/0")], "/0"),
            (
                "Fail: mapped range",
                &[(CIDRS_VAR, "::ffff:10.0.0.0/104")],
                "IPv4 form",
            ),
            (
                "Fail: both set",
                &[(COUNT_VAR, "1"), (CIDRS_VAR, "10.0.0.0/8")],
                "TRUSTED_PROXY_COUNT=\"1\" and TRUSTED_PROXY_CIDRS=\"10.0.0.0/8\"",
            ),
        ];
        for (case, vars, needle) in cases {
            let msg = config(vars).unwrap_err().to_string();
            assert!(msg.contains(needle), "{case}: {msg}");
            let var = if msg.contains(COUNT_VAR) {
                COUNT_VAR
            } else {
                CIDRS_VAR
            };
            assert!(msg.contains(var), "{case}: {msg}");
        }
    }
}
