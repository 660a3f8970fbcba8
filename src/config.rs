//! Configuration: the environment, read once at cold start and turned into a valid [`Config`].
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `TRUSTED_PROXY_COUNT` | trusted proxies in front of the ALB, 0 to 30 | `0` |
//! | `TRUSTED_PROXY_CIDRS` | comma-separated CIDRs, bare addresses and presets (`cloudfront`, `cloudflare`) of trusted proxies | empty |
//!
//! The values are parsed by the library's [`ProxyCount`] and [`TrustedRanges`], so the function
//! refuses exactly what a library user's policy refuses. A variable that is empty or only
//! whitespace counts as unset (CloudFormation passes empty parameters as empty strings). Setting
//! both is refused: the two policies disagree on what the chain means, and silently preferring
//! one would hide a deployment mistake.

use std::fmt;

use lambda_client_ip::{PolicyError, ProxyCount, TrustPolicy, TrustedRanges};

/// The name of the hop-count variable.
pub const COUNT_VAR: &str = "TRUSTED_PROXY_COUNT";
/// The name of the trusted-ranges variable.
pub const CIDRS_VAR: &str = "TRUSTED_PROXY_CIDRS";

/// The validated configuration of the function. Holding one means it is valid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    policy: TrustPolicy,
}

/// Why the configuration is refused: the variable, its value, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// One variable's value is refused.
    Invalid {
        /// The variable's name.
        var: &'static str,
        /// Its value as set.
        value: String,
        /// What is wrong with it.
        problem: PolicyError,
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
            Self::Invalid {
                var,
                value,
                problem,
            } => write!(f, "{var}={value:?} is not accepted: {problem}."),
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
    /// assert!(err.to_string().starts_with("TRUSTED_PROXY_COUNT=\"31\" is not accepted"));
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let set = |name| lookup(name).filter(|v: &String| !v.trim().is_empty());
        let parse = |var, value: String, parsed: Result<TrustPolicy, PolicyError>| {
            parsed.map_err(|problem| ConfigError::Invalid {
                var,
                value,
                problem,
            })
        };
        let policy = match (set(COUNT_VAR), set(CIDRS_VAR)) {
            (Some(count), Some(cidrs)) => return Err(ConfigError::BothSet { count, cidrs }),
            (Some(count), None) => {
                let parsed = count.parse::<ProxyCount>().map(TrustPolicy::from);
                parse(COUNT_VAR, count, parsed)?
            }
            (None, Some(cidrs)) => {
                let parsed = cidrs.parse::<TrustedRanges>().map(TrustPolicy::from);
                parse(CIDRS_VAR, cidrs, parsed)?
            }
            (None, None) => TrustPolicy::default(),
        };
        Ok(Self { policy })
    }

    /// The trust policy every request is resolved with.
    pub fn policy(&self) -> &TrustPolicy {
        &self.policy
    }
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
    fn unset_or_blank_means_count_zero() {
        assert_eq!(config(&[]).unwrap().policy(), &TrustPolicy::default());
        let blank = config(&[(COUNT_VAR, " "), (CIDRS_VAR, "")]).unwrap();
        assert_eq!(blank.policy(), &TrustPolicy::default());
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
                "Fail: word count",
                &[(COUNT_VAR, "two")],
                "TRUSTED_PROXY_COUNT=\"two\"",
            ),
            (
                "Fail: hostname",
                &[(CIDRS_VAR, "10.0.0.0/8,proxy.local")],
                "item 2 (\"proxy.local\")",
            ),
            (
                "Fail: host bits",
                &[(CIDRS_VAR, "10.0.0.1/8")],
                "TRUSTED_PROXY_CIDRS=\"10.0.0.1/8\"",
            ),
            (
                "Fail: both set",
                &[(COUNT_VAR, "1"), (CIDRS_VAR, "10.0.0.0/8")],
                "TRUSTED_PROXY_COUNT=\"1\" and TRUSTED_PROXY_CIDRS=\"10.0.0.0/8\"",
            ),
            (
                "Fail: control characters escaped",
                &[(COUNT_VAR, "1\u{1b}[2J")],
                "\\u{1b}[2J",
            ),
        ];
        for (case, vars, needle) in cases {
            let msg = config(vars).unwrap_err().to_string();
            assert!(msg.contains(needle), "{case}: {msg}");
            assert!(!msg.contains('\u{1b}'), "{case}: {msg:?}");
        }
    }
}
