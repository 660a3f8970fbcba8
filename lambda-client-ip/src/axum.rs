//! axum: [`ClientIp`] as an extractor, its refusal a 400 JSON answer (feature `axum`).
//!
//! The extractor reads what [`ClientIpLayer`](crate::ClientIpLayer) resolved; without the layer
//! it refuses as `no_client_address`. A refusal is a request problem, so it renders as
//! `400 {"error": "<code>", "message": "<sentence>"}`, never a 500.
//!
//! ```
//! use axum::{Router, routing::get};
//! use lambda_client_ip::{ClientIp, ClientIpLayer, Source};
//! use tower::ServiceExt;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let app = Router::new()
//!     .route("/", get(|client: ClientIp| async move { client.to_string() }))
//!     .layer(ClientIpLayer::appended(Source::default()));
//!
//! let request = http::Request::builder().header("x-forwarded-for", "203.0.113.9").body(axum::body::Body::empty())?;
//! let response = app.clone().oneshot(request).await?;
//! assert_eq!(response.status(), 200);
//!
//! let response = app.oneshot(http::Request::new(axum::body::Body::empty())).await?;
//! assert_eq!(response.status(), 400);
//! assert_eq!(response.headers()["content-type"], "application/json");
//! # Ok(()) }
//! ```

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{HeaderValue, StatusCode, header};

use crate::{ClientIp, ResolveError};

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = ResolveError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ResolveError> {
        let resolved = parts.extensions.get::<Result<ClientIp, ResolveError>>();
        resolved.cloned().unwrap_or(Err(ResolveError::NoAddress))
    }
}

impl IntoResponse for ResolveError {
    fn into_response(self) -> Response {
        let json = HeaderValue::from_static("application/json");
        let body = crate::error::json_body(&self);
        (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, json)],
            body,
        )
            .into_response()
    }
}
