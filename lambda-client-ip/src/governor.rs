//! A `tower_governor` key: rate limits per resolved client, IPv6 by network (feature
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
use ipnet::Ipv6Net;
use tower_governor::GovernorError;
use tower_governor::key_extractor::KeyExtractor;

/// Keys `tower_governor` by the client [`ClientIpLayer`](crate::ClientIpLayer) resolved: an
/// IPv4 client by its address, an IPv6 client by its network, a /64 by default.
///
/// Why a /64: an IPv6 host is handed a whole /64 (SLAAC, privacy addresses) and can pick a new
/// address in it for every request, so keying the full address would give it a fresh budget each
/// time. One IPv4 address, by contrast, is often shared (NAT) and never cheap to change. Where one
/// site holds a /56 or a /48, key by that with [`ClientIpKey::ipv6_prefix`].
///
/// Built against `tower_governor` without its `tracing` feature: that feature adds required
/// methods to `KeyExtractor`, so a graph that enables it cannot use this key.
///
/// ```
/// use std::convert::Infallible;
/// use std::net::SocketAddr;
///
/// use axum::extract::ConnectInfo;
/// use http::Request;
/// use lambda_client_ip::{ClientIpKey, ClientIpLayer, Source};
/// use tower::{ServiceBuilder, ServiceExt, service_fn};
/// use tower_governor::key_extractor::KeyExtractor;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // The key the governor reads from a request of `peer`, behind `ClientIpLayer`.
/// let key = |key: ClientIpKey, peer: &str| {
///     let mut request = Request::new(());
///     request.extensions_mut().insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
///     let service = ServiceBuilder::new()
///         .layer(ClientIpLayer::new(Source::default()))
///         .service(service_fn(move |request: Request<()>| async move {
///             Ok::<_, Infallible>(key.extract(&request).unwrap().to_string())
///         }));
///     service.oneshot(request)
/// };
/// let host = "[2001:db8:1:2:3:4:5:6]:4711";
/// assert_eq!(key(ClientIpKey::default(), host).await?, "2001:db8:1:2::");
/// assert_eq!(key(ClientIpKey::ipv6_prefix(48), host).await?, "2001:db8:1::");
/// assert_eq!(key(ClientIpKey::default(), "198.51.100.7:4711").await?, "198.51.100.7");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIpKey {
    ipv6_prefix: u8,
}

impl ClientIpKey {
    /// IPv6 clients keyed by their first `len` bits (`0` keys them all together, `128` or more
    /// keys each address); IPv4 clients by their address.
    pub const fn ipv6_prefix(len: u8) -> Self {
        Self { ipv6_prefix: len }
    }
}

impl Default for ClientIpKey {
    /// IPv6 clients by their /64.
    fn default() -> Self {
        Self::ipv6_prefix(64)
    }
}

impl KeyExtractor for ClientIpKey {
    type Key = IpAddr;

    fn extract<T>(&self, request: &Request<T>) -> Result<IpAddr, GovernorError> {
        match crate::layer::resolved(request.extensions()) {
            Ok(client) => Ok(match client.ip() {
                IpAddr::V6(v6) => Ipv6Net::new(v6, self.ipv6_prefix)
                    .map_or(client.ip(), |network| network.network().into()),
                ip => ip,
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
