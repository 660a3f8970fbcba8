//! A `tower_governor` key: rate limits per resolved client address (feature `tower_governor`).
//!
//! Put [`ClientIpLayer`](crate::ClientIpLayer) outside the governor layer, so the address is
//! resolved before the limiter reads it. A request no address can be vouched for is answered
//! `400 {"error": "<code>", …}` and never shares one bucket with every other such request.
//!
//! ```
//! use lambda_client_ip::ClientIpKey;
//! use tower_governor::governor::GovernorConfigBuilder;
//!
//! let config = GovernorConfigBuilder::default()
//!     .per_second(1)
//!     .burst_size(5)
//!     .key_extractor(ClientIpKey)
//!     .finish();
//! assert!(config.is_some());
//! ```

use std::net::IpAddr;

use http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use tower_governor::GovernorError;
use tower_governor::key_extractor::KeyExtractor;

use crate::{ClientIp, ResolveError};

/// Keys `tower_governor` by the address [`ClientIpLayer`](crate::ClientIpLayer) resolved.
///
/// Built against `tower_governor` without its `tracing` feature: that feature adds required
/// methods to `KeyExtractor`, so a graph that enables it cannot use this key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientIpKey;

impl KeyExtractor for ClientIpKey {
    type Key = IpAddr;

    fn extract<T>(&self, request: &Request<T>) -> Result<IpAddr, GovernorError> {
        let resolved = request.extensions().get::<Result<ClientIp, ResolveError>>();
        match resolved.cloned().unwrap_or(Err(ResolveError::NoAddress)) {
            Ok(client) => Ok(client.ip()),
            Err(e) => Err(GovernorError::Other {
                code: StatusCode::BAD_REQUEST,
                msg: Some(crate::error::json_body(&e)),
                headers: Some(HeaderMap::from_iter([(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )])),
            }),
        }
    }
}
