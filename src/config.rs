//! Configuration: the environment, read once at cold start and turned into a valid [`Config`].
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `TRUSTED_PROXY_COUNT` | trusted proxies in front of the ALB, 0 to 30 | `0` |
//! | `TRUSTED_PROXY_CIDRS` | comma-separated CIDRs, bare addresses and presets (`cloudfront`, `cloudflare`) of trusted proxies | empty |
//! | `CLIENT_IP_EXPLAIN` | `true`: every answer carries an `explain` member (a setup aid that shows infrastructure addresses to the caller) | `false` |
//! | `CLIENT_IP_HEADER` | where the client is read: `x-forwarded-for`, a CDN's single-address header (`cloudfront-viewer-address`, `cf-connecting-ip`, …; needs `TRUSTED_PROXY_CIDRS`), or `forwarded` (RFC 7239; needs `TRUSTED_PROXY_COUNT`) | `x-forwarded-for` |
//!
//! The values are parsed by the library's [`ProxyCount`] and [`TrustedRanges`], so the function
//! refuses exactly what a library user's policy refuses. A variable that is empty or only
//! whitespace counts as unset (CloudFormation passes empty parameters as empty strings). Setting
//! both is refused: the two policies disagree on what the chain means, and silently preferring
//! one would hide a deployment mistake. A single-address header without ranges is refused (it
//! would believe whatever a caller who reaches the ALB directly writes), and so is `forwarded`
//! without a count (its elements carry no addresses the ranges could check).

use std::fmt;

use lambda_client_ip::{ClientHeader, PolicyError, ProxyCount, TrustPolicy, TrustedRanges};

/// The name of the hop-count variable.
pub const COUNT_VAR: &str = "TRUSTED_PROXY_COUNT";
/// The name of the trusted-ranges variable.
pub const CIDRS_VAR: &str = "TRUSTED_PROXY_CIDRS";
/// The name of the variable that says which header holds the client.
pub const HEADER_VAR: &str = "CLIENT_IP_HEADER";
/// The name of the variable that turns explain mode on.
pub const EXPLAIN_VAR: &str = "CLIENT_IP_EXPLAIN";

/// Where the client address is read, with what makes it trustworthy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// X-Forwarded-For, read from the right under the policy.
    ForwardedFor(TrustPolicy),
    /// A CDN's single-address header, believed only when the ALB's peer lies in the ranges.
    Header(ClientHeader, TrustedRanges),
    /// RFC 7239 `Forwarded`: the `for=` of the element at the count from the right.
    Forwarded(ProxyCount),
}

impl Default for Source {
    fn default() -> Self {
        Self::ForwardedFor(TrustPolicy::default())
    }
}

impl Source {
    /// The trusted ranges, when the source has any.
    pub fn ranges(&self) -> Option<&TrustedRanges> {
        match self {
            Self::ForwardedFor(TrustPolicy::Ranges(ranges)) | Self::Header(_, ranges) => {
                Some(ranges)
            }
            _ => None,
        }
    }
}

impl fmt::Display for Source {
    /// What a log line says about the configuration: "X-Forwarded-For, 1 trusted proxy".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ForwardedFor(policy) => write!(f, "X-Forwarded-For, {policy}"),
            Self::Header(header, ranges) => {
                write!(f, "{header} from {}", TrustPolicy::Ranges(ranges.clone()))
            }
            Self::Forwarded(count) => write!(f, "Forwarded, {count}"),
        }
    }
}

/// The validated configuration of the function. Holding one means it is valid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    source: Source,
    explain: bool,
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
    /// A switch that is neither `true` nor `false`.
    NotABool {
        /// The variable's name.
        var: &'static str,
        /// Its value as set.
        value: String,
    },
    /// `CLIENT_IP_HEADER` is set without the variable it needs.
    Needs {
        /// The value of `CLIENT_IP_HEADER`.
        header: String,
        /// The variable it needs.
        needs: &'static str,
        /// Why.
        why: &'static str,
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
            Self::NotABool { var, value } => {
                write!(f, "{var}={value:?} is not accepted: use true or false.")
            }
            Self::Needs { header, needs, why } => {
                write!(f, "{HEADER_VAR}={header:?} needs {needs} to be set: {why}.")
            }
            Self::BothSet { count, cidrs } => write!(
                f,
                "{COUNT_VAR}={count:?} and {CIDRS_VAR}={cidrs:?} are both set: choose one way to trust proxies."
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// A configuration that reads X-Forwarded-For under an already valid policy (for tools and
    /// tests).
    pub fn with_policy(policy: TrustPolicy) -> Self {
        Self::with_source(Source::ForwardedFor(policy))
    }

    /// A configuration from an already valid source (for tools and tests).
    pub fn with_source(source: Source) -> Self {
        Self {
            source,
            explain: false,
        }
    }

    /// The same configuration with explain mode on or off.
    pub fn with_explain(self, explain: bool) -> Self {
        Self { explain, ..self }
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
                Some(parse(COUNT_VAR, count, parsed)?)
            }
            (None, Some(cidrs)) => {
                let parsed = cidrs.parse::<TrustedRanges>().map(TrustPolicy::from);
                Some(parse(CIDRS_VAR, cidrs, parsed)?)
            }
            (None, None) => None,
        };
        let explain = match set(EXPLAIN_VAR) {
            None => false,
            Some(v) if v.trim().eq_ignore_ascii_case("true") => true,
            Some(v) if v.trim().eq_ignore_ascii_case("false") => false,
            Some(value) => {
                return Err(ConfigError::NotABool {
                    var: EXPLAIN_VAR,
                    value,
                });
            }
        };
        let Some(header) = set(HEADER_VAR) else {
            return Ok(Self::with_policy(policy.unwrap_or_default()).with_explain(explain));
        };
        let name = header.trim();
        let source = if name.eq_ignore_ascii_case("x-forwarded-for") {
            Source::ForwardedFor(policy.unwrap_or_default())
        } else if name.eq_ignore_ascii_case("forwarded") {
            match policy {
                Some(TrustPolicy::Count(count)) => Source::Forwarded(count),
                _ => {
                    return Err(ConfigError::Needs {
                        header,
                        needs: COUNT_VAR,
                        why: "Forwarded is read by counting its elements from the right (0: the one the front door appended)",
                    });
                }
            }
        } else {
            let client_header =
                name.parse::<ClientHeader>()
                    .map_err(|problem| ConfigError::Invalid {
                        var: HEADER_VAR,
                        value: header.clone(),
                        problem,
                    })?;
            match policy {
                Some(TrustPolicy::Ranges(ranges)) => Source::Header(client_header, ranges),
                _ => {
                    return Err(ConfigError::Needs {
                        header,
                        needs: CIDRS_VAR,
                        why: "the header is believed only from a peer inside the proxy's ranges, or anyone who reaches the ALB could write it",
                    });
                }
            }
        };
        Ok(Self { source, explain })
    }

    /// Where every request's client is read.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// Whether every answer carries explain mode's `explain` member.
    pub fn explain(&self) -> bool {
        self.explain
    }

    /// The header the event reader must read besides X-Forwarded-For, lower-case.
    pub fn client_header(&self) -> Option<&str> {
        match &self.source {
            Source::ForwardedFor(_) => None,
            Source::Header(header, _) => Some(header.name()),
            Source::Forwarded(_) => Some("forwarded"),
        }
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
        assert_eq!(config(&[]).unwrap().source(), &Source::default());
        let blank = config(&[(COUNT_VAR, " "), (CIDRS_VAR, ""), (HEADER_VAR, " ")]).unwrap();
        assert_eq!(blank.source(), &Source::default());
        let explicit = config(&[(HEADER_VAR, "X-Forwarded-For")]).unwrap();
        assert_eq!(explicit.source(), &Source::default());
    }

    #[test]
    fn headers_and_what_they_need() {
        let header =
            config(&[(HEADER_VAR, "CF-Connecting-IP"), (CIDRS_VAR, "cloudflare")]).unwrap();
        assert_eq!(
            header.source().to_string(),
            format!(
                "cf-connecting-ip from {} trusted ranges",
                lambda_client_ip::Preset::Cloudflare.ranges().len()
            )
        );
        let forwarded = config(&[(HEADER_VAR, "forwarded"), (COUNT_VAR, "0")]).unwrap();
        assert_eq!(
            forwarded.source().to_string(),
            "Forwarded, 0 trusted proxies"
        );
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
                "Fail: a header without ranges",
                &[(HEADER_VAR, "cf-connecting-ip")],
                "CLIENT_IP_HEADER=\"cf-connecting-ip\" needs TRUSTED_PROXY_CIDRS",
            ),
            (
                "Fail: a header with a count",
                &[(HEADER_VAR, "cloudfront-viewer-address"), (COUNT_VAR, "1")],
                "needs TRUSTED_PROXY_CIDRS",
            ),
            (
                "Fail: Forwarded without a count",
                &[(HEADER_VAR, "Forwarded")],
                "CLIENT_IP_HEADER=\"Forwarded\" needs TRUSTED_PROXY_COUNT",
            ),
            (
                "Fail: Forwarded with ranges",
                &[(HEADER_VAR, "forwarded"), (CIDRS_VAR, "10.0.0.0/8")],
                "needs TRUSTED_PROXY_COUNT",
            ),
            (
                "Fail: not a header name",
                &[(HEADER_VAR, "cf connecting ip"), (CIDRS_VAR, "cloudflare")],
                "CLIENT_IP_HEADER=\"cf connecting ip\" is not accepted",
            ),
            (
                "Fail: unknown preset",
                &[(HEADER_VAR, "cf-connecting-ip"), (CIDRS_VAR, "cloudflar")],
                "nor a preset",
            ),
            (
                "Fail: explain neither true nor false",
                &[(EXPLAIN_VAR, "yes")],
                "CLIENT_IP_EXPLAIN=\"yes\" is not accepted: use true or false",
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
