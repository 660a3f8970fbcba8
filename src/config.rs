//! Configuration: the environment, read once at cold start.
//!
//! Where the client is read and why it is trusted is the library's [`Source::from_lookup`]
//! (`TRUSTED_PROXY_COUNT`, `TRUSTED_PROXY_CIDRS`, `CLIENT_IP_HEADER`, `VPC_LINK_CIDRS`), so the
//! function refuses exactly what a library user's source refuses, with the same messages; its
//! [`start_warning`](Source::start_warning) is logged at cold start. The function adds
//! `CLIENT_IP_EXPLAIN` (`true`/`false`, default `false`): every answer then carries an `explain`
//! member, a setup aid that shows infrastructure addresses to the caller.

use lambda_client_ip::Source;

/// A validated configuration: a [`Source`] is valid by construction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// Where the client is read and why it is trusted.
    pub source: Source,
    /// Whether every answer carries an explanation.
    pub explain: bool,
}

impl Config {
    /// Reads the variables through `lookup` (`|name| std::env::var(name).ok()` in the function,
    /// a map in tests); empty counts as unset. A refusal names the variable and its value.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let text = lookup("CLIENT_IP_EXPLAIN").unwrap_or_default();
        let refused = format!("CLIENT_IP_EXPLAIN={text:?} is not accepted: true or false.");
        let explain = match text.trim().to_ascii_lowercase().as_str() {
            "" | "false" => false,
            "true" => true,
            _ => return Err(refused),
        };
        let source = Source::from_lookup(lookup).map_err(|e| e.to_string())?;
        Ok(Self { source, explain })
    }
}
