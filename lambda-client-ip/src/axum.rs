//! axum: [`ClientIp`] as an extractor (feature `axum`).
//!
//! The extractor reads what [`ClientIpLayer`](crate::ClientIpLayer) resolved. Its rejection, a
//! [`ClientIpRejection`], renders as `{"error": "<code>", "message": "<sentence>"}`: a 400 when
//! the request is refused, a 500 naming the fix when the server is wired wrong.
//!
//! **Layer order**: in axum the layer added last runs first, and `.layer()` wraps only the routes
//! added before it. Add `ClientIpLayer` last, after every route and after any layer that reads the
//! client address (`GovernorLayer`); a handler it does not wrap answers a 500
//! `client_ip_layer_missing`.
//!
//! ```
//! use std::net::SocketAddr;
//!
//! use axum::{Router, body::Body, extract::ConnectInfo, routing::get};
//! use http::Request;
//! use lambda_client_ip::{ClientIp, ClientIpLayer, Source};
//! use tower::ServiceExt;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let app = Router::new()
//!     .route("/", get(|client: ClientIp| async move { client.to_string() }))
//!     .layer(ClientIpLayer::new(Source::default()));
//!
//! // A socket server records its peer as `ConnectInfo` (`into_make_service_with_connect_info`):
//! // the forged X-Forwarded-For is not believed.
//! let mut request = Request::builder().header("x-forwarded-for", "6.6.6.6").body(Body::empty())?;
//! request.extensions_mut().insert(ConnectInfo("192.0.2.1:4711".parse::<SocketAddr>()?));
//! let response = app.clone().oneshot(request).await?;
//! let body = axum::body::to_bytes(response.into_body(), 64).await?;
//! assert_eq!(body, "192.0.2.1");
//!
//! // Served without a recorded peer: the server's mistake, a 500 that names the fix.
//! let response = app.oneshot(Request::new(Body::empty())).await?;
//! assert_eq!(response.status(), 500);
//! assert_eq!(response.headers()["content-type"], "application/json");
//! # Ok(()) }
//! ```

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::header;
use http::request::Parts;

use crate::{ClientIp, ClientIpRejection};

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = ClientIpRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        crate::layer::resolved(&parts.extensions)
    }
}

impl IntoResponse for ClientIpRejection {
    /// [`ClientIpRejection::status`], `{"error":"<code>","message":"<sentence>"}`.
    fn into_response(self) -> Response {
        let json = [(header::CONTENT_TYPE, "application/json")];
        (self.status(), json, self.json()).into_response()
    }
}
