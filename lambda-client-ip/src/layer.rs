//! Resolve once per request, as `tower` middleware (feature `tower`).
//!
//! [`ClientIpLayer`] wraps a service. For each `http::Request` it resolves the client address once
//! with a [`Source`] and inserts the outcome, a `Result<ClientIp, ResolveError>`, into the
//! request's extensions, where handlers, the axum extractor and the `tower_governor` key read it.
//! Each constructor names where the peer comes from; no cargo feature changes what a constructor
//! does.
//!
//! ```
//! use std::convert::Infallible;
//!
//! use http::{Request, Response};
//! use lambda_client_ip::{ClientIp, ClientIpLayer, ResolveError, Source};
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! async fn handler(request: Request<()>) -> Result<Response<String>, Infallible> {
//!     let answer = match request.extensions().get::<Result<ClientIp, ResolveError>>() {
//!         Some(Ok(client)) => client.to_string(),
//!         Some(Err(err)) => format!("refused: {}", err.code()),
//!         None => "the layer is missing".to_owned(),
//!     };
//!     Ok(Response::new(answer))
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let service = ServiceBuilder::new()
//!     .layer(ClientIpLayer::appended(Source::default()))
//!     .service_fn(handler);
//!
//! // The front door appended 198.51.100.7; the entry left of it was written by the client.
//! let request = Request::builder()
//!     .header("x-forwarded-for", "192.0.2.200, 198.51.100.7")
//!     .body(())?;
//! let response = service.clone().oneshot(request).await?;
//! assert_eq!(response.body(), "198.51.100.7");
//!
//! // No X-Forwarded-For: refused, never guessed.
//! let response = service.oneshot(Request::new(())).await?;
//! assert_eq!(response.body(), "refused: no_client_address");
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::task::{Context, Poll};

use http::Request;
use tower_layer::Layer;
use tower_service::Service;

use crate::{Peer, ResolveError, Source};

/// Where the layer takes each request's peer from: its extensions.
type PeerFrom = fn(&http::Extensions) -> Option<Peer>;

/// Resolves the client address of every request into its extensions (see the [module
/// docs](crate::layer)).
#[derive(Debug, Clone)]
pub struct ClientIpLayer {
    source: Arc<Source>,
    peer: PeerFrom,
}

impl ClientIpLayer {
    /// Behind a front door that appends its TCP peer to X-Forwarded-For ([`Peer::Appended`]): an
    /// ALB in front of Lambda. Never use it where the server holds the socket: there the last
    /// entry is whatever the caller wrote.
    pub fn appended(source: Source) -> Self {
        Self::with(source, |_| Some(Peer::Appended))
    }

    /// On `lambda_http`: the peer its request context implies, door by door (see
    /// [`RequestClientIp`](crate::RequestClientIp)). Feature `lambda_http`.
    #[cfg(feature = "lambda_http")]
    pub fn lambda(source: Source) -> Self {
        Self::with(source, |extensions| {
            Some(crate::lambda::front_door_peer(extensions))
        })
    }

    /// A server that holds the socket ([`Peer::Socket`]), read from axum's
    /// `ConnectInfo<SocketAddr>` (serve with `into_make_service_with_connect_info`); without it
    /// every request is refused as `no_client_address`. Behind an ALB on ECS or EC2 the socket's
    /// peer is the ALB: trust its subnets or a count of 1. Feature `axum`.
    #[cfg(feature = "axum")]
    pub fn connect_info(source: Source) -> Self {
        use axum::extract::ConnectInfo;
        Self::with(source, |ext| {
            ext.get::<ConnectInfo<std::net::SocketAddr>>()
                .map(|i| Peer::Socket(i.0.ip()))
        })
    }

    fn with(source: Source, peer: PeerFrom) -> Self {
        Self {
            source: Arc::new(source),
            peer,
        }
    }
}

impl<S> Layer<S> for ClientIpLayer {
    type Service = ClientIpService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ClientIpService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`ClientIpLayer`] wraps around another.
#[derive(Debug, Clone)]
pub struct ClientIpService<S> {
    inner: S,
    layer: ClientIpLayer,
}

impl<S, B> Service<Request<B>> for ClientIpService<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let peer = (self.layer.peer)(request.extensions()).ok_or(ResolveError::NoAddress);
        let resolved = peer.and_then(|peer| self.layer.source.resolve(request.headers(), peer));
        request.extensions_mut().insert(resolved);
        self.inner.call(request)
    }
}
