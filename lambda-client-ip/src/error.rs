//! The two errors: [`ResolveError`] (a request no address can be vouched for in) and
//! [`SourceError`] (a configuration refused when it is built).

use std::fmt;

/// Why no client address can be vouched for. Every variant is caused by the request, so it
/// belongs in a 4xx answer, never an invocation error.
///
/// Owns its data (`'static`), so `?` carries it into any error type. Request text it quotes is
/// cut to 64 characters and written with its control characters escaped, so the message is safe
/// to log and to send back.
///
/// ```
/// use http::HeaderMap;
/// use lambda_client_ip::{Peer, Source};
///
/// let mut headers = HeaderMap::new();
/// headers.insert("x-forwarded-for", "192.0.2.1, unknown".parse()?);
/// let err = Source::default().resolve(&headers, Peer::Appended).unwrap_err();
/// assert_eq!(err.code(), "invalid_entry");
/// assert_eq!(
///     err.to_string(),
///     r#"The x-forwarded-for entry at position 0 from the right ("unknown") is not a client's IP address."#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResolveError {
    /// There is neither a forwarding chain nor a peer address.
    NoAddress,
    /// The chain holds fewer entries than a proxy count needs.
    ChainTooShort {
        /// Entries present, the peer included.
        entries: usize,
        /// Entries the count needs: the trusted proxies plus the client.
        needed: usize,
    },
    /// An entry the source had to read holds no address a client can have.
    InvalidEntry {
        /// The chain it stands in: `x-forwarded-for` or `forwarded`.
        header: &'static str,
        /// Its position from the right, starting at 0.
        position: usize,
        /// The entry as received, trimmed and cut to 64 characters.
        entry: String,
    },
    /// Every entry is inside the trusted ranges, so none of them is the client.
    AllTrusted {
        /// Entries present, the peer included.
        entries: usize,
    },
    /// The proxy that writes the single-address header delivered the request, but the header is
    /// missing (for `forwarded`: the request has no `Forwarded` header).
    HeaderMissing {
        /// The header's name.
        header: String,
    },
    /// The single-address header appears more than once, or holds a list.
    HeaderRepeated {
        /// The header's name.
        header: String,
    },
    /// The single-address header is empty or does not hold an address in its format.
    HeaderInvalid {
        /// The header's name.
        header: String,
        /// The value as received, cut to 64 characters.
        value: String,
    },
    /// The single-address header names an address inside the trusted ranges: a proxy, never the
    /// client (behind two CDNs, the first one's edge).
    HeaderTrusted {
        /// The header's name.
        header: String,
        /// The address it holds.
        value: String,
    },
    /// `CF-Connecting-IPv6`, read for a Pseudo IPv4, appears more than once or holds a list.
    Ipv6HeaderRepeated,
    /// `CF-Connecting-IPv6`, read for a Pseudo IPv4, does not hold one IPv6 address a client can
    /// have.
    Ipv6HeaderInvalid {
        /// The value as received, cut to 64 characters.
        value: String,
    },
    /// Cloudflare delivered the request with a Pseudo IPv4 (class E) address in place of an IPv6
    /// visitor's, and no `CF-Connecting-IPv6` header holding the real one.
    PseudoIpv4 {
        /// The made-up address.
        address: String,
    },
}

impl ResolveError {
    /// A stable, machine-readable code, one per variant: `no_client_address`, `chain_too_short`,
    /// `invalid_entry`, `all_trusted`, `client_header_missing`, `client_header_repeated`,
    /// `client_header_invalid`, `client_header_trusted`, `pseudo_ipv4_without_ipv6`,
    /// `cf_connecting_ipv6_repeated` or `cf_connecting_ipv6_invalid`.
    ///
    /// ```
    /// use lambda_client_ip::{Peer, Source};
    /// let err = Source::default().resolve(&http::HeaderMap::new(), Peer::Appended).unwrap_err();
    /// assert_eq!(err.code(), "no_client_address");
    /// ```
    pub const fn code(&self) -> &'static str {
        match self {
            Self::NoAddress => "no_client_address",
            Self::ChainTooShort { .. } => "chain_too_short",
            Self::InvalidEntry { .. } => "invalid_entry",
            Self::AllTrusted { .. } => "all_trusted",
            Self::HeaderMissing { .. } => "client_header_missing",
            Self::HeaderRepeated { .. } => "client_header_repeated",
            Self::HeaderInvalid { .. } => "client_header_invalid",
            Self::HeaderTrusted { .. } => "client_header_trusted",
            Self::PseudoIpv4 { .. } => "pseudo_ipv4_without_ipv6",
            Self::Ipv6HeaderRepeated => "cf_connecting_ipv6_repeated",
            Self::Ipv6HeaderInvalid { .. } => "cf_connecting_ipv6_invalid",
        }
    }
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoAddress => f.write_str(
                "The request has no X-Forwarded-For header and no peer address is known.",
            ),
            Self::ChainTooShort { entries, needed } => {
                let s = if *entries == 1 {
                    "address"
                } else {
                    "addresses"
                };
                write!(
                    f,
                    "The forwarding chain holds {entries} {s} but the trusted proxy count needs at least {needed}."
                )
            }
            Self::InvalidEntry {
                header,
                position,
                entry,
            } => write!(
                f,
                "The {header} entry at position {position} from the right ({entry:?}) is not a client's IP address."
            ),
            Self::AllTrusted { entries } => write!(
                f,
                "Every address in the forwarding chain ({entries}) is a trusted proxy, so none of them is the client."
            ),
            Self::HeaderMissing { header } => write!(
                f,
                "The request came through the proxy that writes {header}, but has no {header} header."
            ),
            Self::HeaderRepeated { header } => write!(
                f,
                "The {header} header must hold one address, but it appears more than once or holds a list."
            ),
            Self::HeaderInvalid { header, value } => write!(
                f,
                "The {header} header ({value:?}) does not hold a client's address in the form its proxy writes."
            ),
            Self::HeaderTrusted { header, value } => {
                write!(
                    f,
                    "The {header} header names {value:?}, a trusted proxy, not the client."
                )
            }
            Self::Ipv6HeaderRepeated => f.write_str(
                "Cloudflare wrote a Pseudo IPv4 address for an IPv6 visitor, and the CF-Connecting-IPv6 header must hold that visitor's one address, but it appears more than once or holds a list.",
            ),
            Self::Ipv6HeaderInvalid { value } => write!(
                f,
                "Cloudflare wrote a Pseudo IPv4 address for an IPv6 visitor, but the CF-Connecting-IPv6 header ({value:?}) does not hold an IPv6 address a client can have."
            ),
            Self::PseudoIpv4 { address } => write!(
                f,
                "Cloudflare wrote the Pseudo IPv4 address {address:?} for an IPv6 visitor but sent no CF-Connecting-IPv6 header."
            ),
        }
    }
}

impl std::error::Error for ResolveError {}

/// Why a [`Source`](crate::Source) is refused. Each message names the settings and their values:
/// `TRUSTED_PROXY_COUNT`, `TRUSTED_PROXY_CIDRS`, `CLIENT_IP_HEADER` (see
/// [`Source::from_lookup`](crate::Source::from_lookup)).
///
/// ```
/// use lambda_client_ip::Source;
/// let env = |k: &str| (k == "CLIENT_IP_HEADER").then(|| "cf-connecting-ip".to_owned());
/// let err = Source::from_lookup(env).unwrap_err();
/// assert!(err.to_string().starts_with(r#"CLIENT_IP_HEADER="cf-connecting-ip" needs TRUSTED_PROXY_CIDRS"#));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    /// The settings, as `VAR="value"`.
    pub(crate) settings: String,
    /// The rest of the sentence: why, and what to set instead.
    pub(crate) reason: String,
}

impl SourceError {
    pub(crate) fn new(settings: String, reason: impl Into<String>) -> Self {
        let reason = reason.into();
        Self { settings, reason }
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.settings, self.reason)
    }
}

impl std::error::Error for SourceError {}

/// `{"error":"<code>","message":"<sentence>"}`, the message JSON-escaped (the integrations'
/// 400 body).
#[cfg(any(feature = "axum", feature = "tower_governor"))]
pub(crate) fn json_body(e: &ResolveError) -> String {
    // Request text in a message is already escaped (`Debug`): only quotes and backslashes remain.
    let message = e.to_string().replace('\\', "\\\\").replace('"', "\\\"");
    format!(r#"{{"error":"{}","message":"{message}"}}"#, e.code())
}
