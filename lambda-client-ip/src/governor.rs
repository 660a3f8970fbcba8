//! A `tower_governor` key: rate limits per resolved client, each family by a prefix (feature
//! `tower_governor`).
//!
//! **Layer order**: [`ClientIpLayer`](crate::ClientIpLayer) must run before the governor layer,
//! so the address is resolved before the limiter reads it. In axum the layer added last runs
//! first: `.layer(GovernorLayer::new(config)).layer(ClientIpLayer::new(source))`. In the other
//! order every request is answered `500 {"error": "client_ip_layer_missing", …}`, naming the fix.
//! A request no address can be vouched for is answered `400 {"error": "<code>", …}` and never
//! shares one bucket with every other such request.
//!
//! ```
//! use lambda_client_ip::ClientIpKey;
//! use tower_governor::governor::GovernorConfigBuilder;
//!
//! let config = GovernorConfigBuilder::default()
//!     .per_second(1)
//!     .burst_size(5)
//!     .key_extractor(ClientIpKey::default())
//!     .finish();
//! assert!(config.is_some());
//! ```

use std::net::IpAddr;

use http::{HeaderMap, HeaderValue, Request, header};
use ipnet::{Ipv4Net, Ipv6Net};
use tower_governor::GovernorError;
use tower_governor::key_extractor::KeyExtractor;

/// Keys `tower_governor` by the client [`ClientIpLayer`](crate::ClientIpLayer) resolved, each
/// family by a prefix: by default an IPv4 client by its address (a /32), an IPv6 client by its
/// /64.
///
/// Why a /64: an IPv6 host is handed a whole /64 (SLAAC, privacy addresses) and can pick a new
/// address in it for every request, so keying the full address would give it a fresh budget each
/// time. One IPv4 address, by contrast, is often shared (NAT) and never cheap to change. Where one
/// site holds a /56 or a /48, key by that with [`with_ipv6_prefix`](Self::with_ipv6_prefix);
/// where clients hop addresses within an IPv4 network (a carrier-grade NAT's pool), key by it
/// with [`with_ipv4_prefix`](Self::with_ipv4_prefix).
///
/// Built against `tower_governor` without its `tracing` feature: that feature adds required
/// methods to `KeyExtractor`, so a graph that enables it cannot use this key.
///
/// ```
/// use std::convert::Infallible;
/// use std::net::SocketAddr;
///
/// use http::Request;
/// use lambda_client_ip::layer::SocketPeer;
/// use lambda_client_ip::{ClientIpKey, ClientIpLayer, Source};
/// use tower::{ServiceBuilder, ServiceExt, service_fn};
/// use tower_governor::key_extractor::KeyExtractor;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // The key the governor reads from a request of `peer`, behind `ClientIpLayer`.
/// let key = |key: ClientIpKey, peer: &str| {
///     let mut request = Request::new(());
///     request.extensions_mut().insert(SocketPeer(peer.parse::<SocketAddr>().unwrap()));
///     let service = ServiceBuilder::new()
///         .layer(ClientIpLayer::new(Source::default()))
///         .service(service_fn(move |request: Request<()>| async move {
///             Ok::<_, Infallible>(key.extract(&request).unwrap().to_string())
///         }));
///     service.oneshot(request)
/// };
/// let host = "[2001:db8:1:2:3:4:5:6]:4711";
/// assert_eq!(key(ClientIpKey::default(), host).await?, "2001:db8:1:2::");
/// let per_48 = ClientIpKey::default().with_ipv6_prefix(48)?;
/// assert_eq!(key(per_48, host).await?, "2001:db8:1::");
/// let ipv4 = "198.51.100.7:4711";
/// assert_eq!(key(ClientIpKey::default(), ipv4).await?, "198.51.100.7");
/// let per_24 = ClientIpKey::default().with_ipv4_prefix(24)?;
/// assert_eq!(key(per_24, ipv4).await?, "198.51.100.0");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIpKey {
    ipv4_prefix: u8,
    ipv6_prefix: u8,
}

impl ClientIpKey {
    /// IPv4 clients keyed by their first `len` bits, 0 to 32: `32` keys each address (the
    /// default), `24` each /24, and `0` puts every IPv4 client in one bucket, sharing one budget.
    /// A longer `len` is refused, naming the family and the length. Every client of one network
    /// shares its budget: the shorter the prefix, the more neighbours one noisy client can slow.
    ///
    /// ```
    /// use lambda_client_ip::ClientIpKey;
    ///
    /// let per_24 = ClientIpKey::default().with_ipv4_prefix(24)?.with_ipv6_prefix(56)?;
    /// assert_ne!(per_24, ClientIpKey::default());
    /// let err = ClientIpKey::default().with_ipv4_prefix(33).unwrap_err();
    /// assert_eq!(err.to_string(), "an IPv4 prefix is 0 to 32 bits long, not 33");
    /// # Ok::<(), lambda_client_ip::governor::PrefixLenError>(())
    /// ```
    pub const fn with_ipv4_prefix(self, len: u8) -> Result<Self, PrefixLenError> {
        if len > 32 {
            return Err(PrefixLenError::Ipv4(len));
        }
        Ok(Self {
            ipv4_prefix: len,
            ..self
        })
    }

    /// IPv6 clients keyed by their first `len` bits, 0 to 128: `64` keys each /64 (the default),
    /// `128` each address, and `0` puts every IPv6 client in one bucket, sharing one budget. A
    /// longer `len` is refused, naming the family and the length.
    ///
    /// ```
    /// use lambda_client_ip::ClientIpKey;
    /// use lambda_client_ip::governor::PrefixLenError;
    ///
    /// let per_address = ClientIpKey::default().with_ipv6_prefix(128)?;
    /// assert_ne!(per_address, ClientIpKey::default());
    /// let err = ClientIpKey::default().with_ipv6_prefix(129).unwrap_err();
    /// assert_eq!(err, PrefixLenError::Ipv6(129));
    /// assert_eq!(err.to_string(), "an IPv6 prefix is 0 to 128 bits long, not 129");
    /// # Ok::<(), PrefixLenError>(())
    /// ```
    pub const fn with_ipv6_prefix(self, len: u8) -> Result<Self, PrefixLenError> {
        if len > 128 {
            return Err(PrefixLenError::Ipv6(len));
        }
        Ok(Self {
            ipv6_prefix: len,
            ..self
        })
    }
}

impl Default for ClientIpKey {
    /// IPv4 clients by their address, IPv6 clients by their /64.
    fn default() -> Self {
        Self {
            ipv4_prefix: 32,
            ipv6_prefix: 64,
        }
    }
}

/// A prefix length [`ClientIpKey`] refuses: longer than its family's addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PrefixLenError {
    /// An IPv4 prefix longer than 32 bits.
    #[error("an IPv4 prefix is 0 to 32 bits long, not {0}")]
    Ipv4(u8),
    /// An IPv6 prefix longer than 128 bits.
    #[error("an IPv6 prefix is 0 to 128 bits long, not {0}")]
    Ipv6(u8),
}

impl KeyExtractor for ClientIpKey {
    type Key = IpAddr;

    fn extract<T>(&self, request: &Request<T>) -> Result<IpAddr, GovernorError> {
        match crate::layer::resolved(request.extensions()) {
            // The lengths are checked when set: a network is always found.
            Ok(client) => Ok(match client.ip() {
                IpAddr::V4(v4) => Ipv4Net::new(v4, self.ipv4_prefix)
                    .map_or(client.ip(), |network| network.network().into()),
                IpAddr::V6(v6) => Ipv6Net::new(v6, self.ipv6_prefix)
                    .map_or(client.ip(), |network| network.network().into()),
            }),
            Err(rejection) => Err(GovernorError::Other {
                code: rejection.status(),
                msg: Some(rejection.json()),
                headers: Some(HeaderMap::from_iter([(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )])),
            }),
        }
    }
}
