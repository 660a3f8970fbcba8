//! # alb-client-ip
//!
//! The function: a thin `lambda_runtime` handler behind an AWS Application Load Balancer that
//! answers `{"client_ip": "..."}` with the address the library's [`lambda_client_ip::Source`]
//! vouches for. This crate is the reference deployment of the library.
//!
//! Modules, from the outside in:
//! - [`config`]: the environment, validated once at cold start;
//! - [`event`]: the raw invocation payload, read with serde derive, so bad input becomes a 400;
//! - [`handler`]: event → source → `AlbTargetGroupResponse`, explain mode rendered;

pub mod config;
pub mod event;
pub mod handler;

/// What the function logs at cold start, and `local-alb` at start, for each preset of
/// `TRUSTED_PROXY_CIDRS` that [`is_stale`](lambda_client_ip::Preset::is_stale).
pub const STALE_PRESET: &str = "ranges are stale: a range the provider added since is not trusted, and requests from it are answered with the provider's address; name a fresh ranges file in CLIENT_IP_RANGES_FILE (docs/deploy.md#fresh-ranges-without-a-release)";

/// Request text made safe for a log line or a message: control characters, line separators and
/// other unprintable characters escaped (`char::escape_debug`), cut to `max_chars` characters.
/// The one escaper of this crate and of `local-alb`'s logs.
///
/// ```
/// use alb_client_ip::printable;
/// assert_eq!(printable("a\"b\\\n\u{7f}\u{2028}", 64), r#"a\"b\\\n\u{7f}\u{2028}"#);
/// assert_eq!(printable("abcdef", 3), "abc");
/// ```
pub fn printable(text: &str, max_chars: usize) -> String {
    let chars = text.chars().take(max_chars);
    chars.flat_map(char::escape_debug).collect()
}
