//! Resolving from an [`http::HeaderMap`] (feature `http`).

use std::net::IpAddr;

use http::{HeaderMap, HeaderName};

use crate::{ClientIp, ResolveError, TrustPolicy, resolve};

/// The `x-forwarded-for` header name.
///
/// ```
/// assert_eq!(lambda_client_ip::X_FORWARDED_FOR.as_str(), "x-forwarded-for");
/// ```
pub const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// Resolves from every X-Forwarded-For line of `headers`, in order, as bytes: a line that is not
/// UTF-8 is an invalid entry that keeps its position, never a line silently dropped.
///
/// `peer` is the TCP peer when you have the socket (axum's `ConnectInfo`); behind an ALB there is
/// none. See [`resolve`] for positions.
///
/// ```
/// use http::HeaderMap;
/// use lambda_client_ip::{resolve_headers, ProxyCount, TrustPolicy};
///
/// let mut headers = HeaderMap::new();
/// headers.append("x-forwarded-for", "203.0.113.7".parse()?);
/// headers.append("x-forwarded-for", "198.51.100.2, 10.0.0.1".parse()?);
/// let one_proxy = TrustPolicy::Count(ProxyCount::new(1).unwrap());
/// assert_eq!(resolve_headers(&headers, None, &one_proxy)?.to_string(), "198.51.100.2");
///
/// let empty = HeaderMap::new();
/// let err = resolve_headers(&empty, None, &one_proxy).unwrap_err();
/// assert_eq!(err.code(), "no_client_address");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn resolve_headers(
    headers: &HeaderMap,
    peer: Option<IpAddr>,
    policy: &TrustPolicy,
) -> Result<ClientIp, ResolveError> {
    resolve(headers.get_all(X_FORWARDED_FOR), peer, policy)
}
