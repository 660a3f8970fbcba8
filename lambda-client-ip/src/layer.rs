//! Resolve once per request, as `tower` middleware (feature `tower`).
//!
//! [`ClientIpLayer`] wraps a service. For each `http::Request` it resolves the client address once
//! with a [`Source`] and inserts the outcome, a `Result<ClientIp, ClientIpRejection>`, into the
//! request's extensions, where handlers, the axum extractor and the `tower_governor` key read it.
//!
//! # One constructor, the peer from the server
//! The peer is never chosen by the code that builds the layer: it is what the server recorded on
//! the request, which a client cannot write.
//!
//! | the request carries | served by | peer |
//! |---|---|---|
//! | a Lambda request context | `lambda_http::run` (feature `lambda_http`) | what the front door implies, see [`RequestClientIp`](crate::RequestClientIp) |
//! | axum's `ConnectInfo<SocketAddr>` | `into_make_service_with_connect_info::<SocketAddr>()` (feature `axum`) | [`Peer::Socket`] |
//! | axum's `MockConnectInfo<SocketAddr>` | a test: `Router::layer(MockConnectInfo(addr))` (feature `axum`) | [`Peer::Socket`] |
//! | a [`SocketPeer`] | any other server (hyper, tower) that inserts it before the layer | [`Peer::Socket`] |
//! | none, or more than one of these kinds | a server the layer cannot read | a wiring error: 500, [`ClientIpRejection::NoPeer`] |
//!
//! So the same Router answers the true client on Lambda behind every front door and on a socket
//! (locally, or on ECS or EC2 behind an ALB, whose subnets or a count of 1 the source then
//! trusts). A layer told "the front door appended" would believe a forged X-Forwarded-For on a
//! socket server, and one told "socket" has no socket on Lambda: there is nothing to choose, so
//! nothing to choose wrong.
//!
//! A server that is not axum (hyper, a tower stack, your own) records the peer it accepted as a
//! [`SocketPeer`] in each request's extensions, before the layer runs; no feature but `tower` is
//! needed (see the `hyper_server` example). axum's own two kinds are read as axum's `ConnectInfo`
//! extractor reads them: `ConnectInfo` first, else `MockConnectInfo`, so a Router tested as axum
//! teaches answers the mocked peer. Leave `MockConnectInfo` to tests: on a socket served without
//! `into_make_service_with_connect_info`, every request would have the mocked peer.
//!
//! **Features only add**: a feature can turn a wiring error into the true answer (`lambda_http`
//! lets the layer read a Lambda request context, `axum` a `ConnectInfo`), never one answer into
//! another, so no feature another crate enables can make the layer believe a forged address.
//! Without them the layer reads only a [`SocketPeer`], and answers every other request with a 500
//! that names the feature to enable. (The one answer a feature can withdraw: a request carrying
//! two kinds of peer, which no server produces, becomes a wiring error once both are readable.)
//!
//! # OpenTelemetry
//! The layer records the outcome on the span current when it runs, under the names of
//! OpenTelemetry's HTTP semantic conventions: `client.address` (the resolved client, never the
//! leftmost entry), `client.port` (only when the entry that names the client carried a port: an
//! ALB with `routing.http.xff_client_port.enabled`, `CloudFront-Viewer-Address`), and on a refusal
//! `error.type` (its code, `client.address` left empty). `tracing` records only the fields a span
//! declared, so declare them on the request span and put its layer outside `ClientIpLayer`
//! (`tracing-opentelemetry` then exports them as attributes; this crate depends on neither):
//!
//! ```
//! use tracing::field::Empty;
//! let span = tracing::info_span!(
//!     "request",
//!     client.address = Empty,
//!     client.port = Empty,
//!     error.type = Empty
//! );
//! # drop(span);
//! ```
//!
//! # Layer order
//! The layer must run before whatever reads the address: the extractor, `ClientIpKey`, your own
//! middleware. In axum the layer added last runs first, and `.layer()` wraps only the routes
//! added before it: add `ClientIpLayer` last. Read without it, the address is a wiring error, a
//! 500 [`ClientIpRejection::LayerMissing`] naming this fix, never a 400 that blames the client.
//!
//! ```
//! use std::convert::Infallible;
//!
//! use http::{Request, Response};
//! use lambda_client_ip::{ClientIp, ClientIpLayer, ClientIpRejection, Source};
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! async fn handler(request: Request<()>) -> Result<Response<String>, Infallible> {
//!     let answer = match request.extensions().get::<Result<ClientIp, ClientIpRejection>>() {
//!         Some(Ok(client)) => client.to_string(),
//!         Some(Err(err)) => format!("{} {}", err.status().as_u16(), err.code()),
//!         None => "the layer is missing".to_owned(),
//!     };
//!     Ok(Response::new(answer))
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let service = ServiceBuilder::new()
//!     .layer(ClientIpLayer::new(Source::default()))
//!     .service_fn(handler);
//!
//! // A request no server recorded a peer on: the server's mistake, never the client's.
//! let request = Request::builder().header("x-forwarded-for", "6.6.6.6").body(())?;
//! let response = service.oneshot(request).await?;
//! assert_eq!(response.body(), "500 client_ip_no_peer");
//! # Ok(()) }
//! ```

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll};

use http::{Extensions, Request, StatusCode};
use tower_layer::Layer;
use tower_service::Service;

use crate::{ClientIp, Peer, ResolveError, Source};

// Its own file, the layer's code apart from the swap.
mod shared;
pub use shared::SharedSource;

/// Resolves the client address of every request into its extensions (see the [module
/// docs](crate::layer)). `Default` resolves with `Source::default()`: the front door's peer, no
/// proxy in front of it (Lambda behind a front door, or a socket server with no proxy).
#[derive(Debug, Clone, Default)]
pub struct ClientIpLayer {
    source: SharedSource,
}

impl ClientIpLayer {
    /// Resolves with `source`, the peer being what the server recorded on each request: a Lambda
    /// request context (feature `lambda_http`), axum's `ConnectInfo<SocketAddr>` or
    /// `MockConnectInfo<SocketAddr>` (feature `axum`), or a [`SocketPeer`]. None, or more than
    /// one of these kinds, is a wiring error ([`ClientIpRejection::NoPeer`]).
    pub fn new(source: Source) -> Self {
        Self::shared(SharedSource::new(source))
    }

    /// Resolves each request with the source `source` holds when the request arrives, so a
    /// long-running server can [`store`](SharedSource::store) another while it serves.
    pub fn shared(source: SharedSource) -> Self {
        Self { source }
    }
}

/// The peer a server that is not axum accepted the request's connection from, recorded in the
/// request's extensions before [`ClientIpLayer`] runs: the layer reads it as [`Peer::Socket`].
///
/// Insert it where the server accepts the connection, from the address the listener returned,
/// never from anything the request says. It is one kind of recorded peer among the others (a
/// Lambda request context, axum's `ConnectInfo`): a request carrying two kinds is a wiring error.
///
/// ```
/// use std::convert::Infallible;
///
/// use http::{Request, Response};
/// use lambda_client_ip::layer::SocketPeer;
/// use lambda_client_ip::{ClientIp, ClientIpLayer, ClientIpRejection, Source};
/// use tower::{ServiceBuilder, ServiceExt};
///
/// async fn handler(request: Request<()>) -> Result<Response<String>, Infallible> {
///     let answer = match request.extensions().get::<Result<ClientIp, ClientIpRejection>>() {
///         Some(Ok(client)) => client.to_string(),
///         Some(Err(err)) => err.code().to_owned(),
///         None => "the layer is missing".to_owned(),
///     };
///     Ok(Response::new(answer))
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let service = ServiceBuilder::new()
///     .layer(ClientIpLayer::new(Source::default()))
///     .service_fn(handler);
/// // What the server does with each connection it accepts: `peer` as `accept()` returned it.
/// let peer = "192.0.2.1:4711".parse()?;
/// let mut request = Request::builder().header("x-forwarded-for", "6.6.6.6").body(())?;
/// request.extensions_mut().insert(SocketPeer(peer));
/// let response = service.oneshot(request).await?;
/// assert_eq!(response.body(), "192.0.2.1");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SocketPeer(pub SocketAddr);

/// The peer the server recorded in `extensions`: exactly one of a Lambda request context, axum's
/// `ConnectInfo` (or, without it, `MockConnectInfo`) and a [`SocketPeer`].
fn recorded_peer(extensions: &Extensions) -> Result<Peer, ClientIpRejection> {
    #[cfg(feature = "lambda_http")]
    let lambda = context_peer(extensions);
    #[cfg(not(feature = "lambda_http"))]
    let lambda = None;
    #[cfg(feature = "axum")]
    let axum = axum_peer(extensions);
    #[cfg(not(feature = "axum"))]
    let axum = None;
    let socket = extensions.get::<SocketPeer>().map(|peer| peer.0);
    match (lambda, axum, socket) {
        (Some(peer), None, None) => Ok(peer),
        (None, Some(addr), None) | (None, None, Some(addr)) => Ok(Peer::Socket(addr.ip())),
        _ => Err(ClientIpRejection::NoPeer.logged()),
    }
}

/// The socket peer axum recorded: `ConnectInfo`, else `MockConnectInfo`, as axum's `ConnectInfo`
/// extractor reads them.
#[cfg(feature = "axum")]
fn axum_peer(extensions: &Extensions) -> Option<SocketAddr> {
    use axum::extract::ConnectInfo;
    use axum::extract::connect_info::MockConnectInfo;
    let connected = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    let mocked = || {
        extensions
            .get::<MockConnectInfo<SocketAddr>>()
            .map(|mock| mock.0)
    };
    connected.or_else(mocked)
}

/// What the layer left in `extensions`; without the layer, [`ClientIpRejection::LayerMissing`].
#[cfg(any(feature = "axum", feature = "tower_governor"))]
pub(crate) fn resolved(extensions: &Extensions) -> Result<crate::ClientIp, ClientIpRejection> {
    let resolved = extensions.get::<Result<crate::ClientIp, ClientIpRejection>>();
    let missing = || Err(ClientIpRejection::LayerMissing.logged());
    resolved.cloned().unwrap_or_else(missing)
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
        let resolved = recorded_peer(request.extensions()).and_then(|peer| {
            let source = self.layer.source.current();
            let resolved = source.resolve(request.headers(), peer);
            resolved.map_err(ClientIpRejection::Refused)
        });
        record(&resolved);
        request.extensions_mut().insert(resolved);
        self.inner.call(request)
    }
}

/// Records the outcome on the current span, in OpenTelemetry's HTTP semantic conventions: the
/// resolved client as `client.address` and, when the entry that names it carried one, its port as
/// `client.port`; a refusal's code as `error.type`. Never the leftmost entry, never the front
/// door's peer. A span records only the fields it declared, so an application that wants them
/// declares them (see the module's docs).
fn record(resolved: &Result<ClientIp, ClientIpRejection>) {
    let span = tracing::Span::current();
    match resolved {
        Ok(client) => {
            span.record("client.address", tracing::field::display(client.ip()));
            span.record("client.port", client.port());
        }
        Err(rejection) => {
            span.record("error.type", rejection.code());
        }
    }
}

/// Why an integration has no client address: the axum extractor's rejection, and what
/// [`RequestClientIp`](crate::RequestClientIp) and [`ClientIpKey`](crate::ClientIpKey) answer.
///
/// A refusal ([`Refused`](Self::Refused)) is the request's doing: a 400. Every other variant is a
/// **wiring error**, the server's: a 500 whose message names the fix (which layer, in which
/// order), logged once per kind per process as a `tracing` event at level ERROR (the
/// application's subscriber decides where it goes), never once per request. The axum answer is
/// `{"error":"<code>","message":"<sentence>"}` with the status of [`status`](Self::status).
///
/// ```
/// use http::StatusCode;
/// use lambda_client_ip::{ClientIpRejection, ResolveError};
///
/// let refused = ClientIpRejection::Refused(ResolveError::NoAddress);
/// assert_eq!((refused.status(), refused.code()), (StatusCode::BAD_REQUEST, "no_client_address"));
/// let miswired = ClientIpRejection::LayerMissing;
/// assert_eq!(miswired.status(), StatusCode::INTERNAL_SERVER_ERROR);
/// assert_eq!(miswired.code(), "client_ip_layer_missing");
/// assert!(miswired.to_string().contains("ClientIpLayer"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientIpRejection {
    /// The request: no address in it can be vouched for (400).
    Refused(ResolveError),
    /// Wiring: the extractor or the rate-limit key read a request no `ClientIpLayer` resolved;
    /// the layer is missing, or runs after (inside) what reads it (500).
    LayerMissing,
    /// Wiring: the request carries no single peer the server recorded: none of a Lambda request
    /// context (feature `lambda_http`), axum's `ConnectInfo<SocketAddr>` or
    /// `MockConnectInfo<SocketAddr>` (feature `axum`) and a [`SocketPeer`], or more than one
    /// (500).
    NoPeer,
}

impl ClientIpRejection {
    /// 400 Bad Request for a refusal, 500 Internal Server Error for a wiring error.
    pub const fn status(&self) -> StatusCode {
        match self {
            Self::Refused(_) => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A stable code: the refusal's [`ResolveError::code`], or `client_ip_layer_missing` or
    /// `client_ip_no_peer`.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Refused(e) => e.code(),
            Self::LayerMissing => "client_ip_layer_missing",
            Self::NoPeer => "client_ip_no_peer",
        }
    }

    /// Logs the first wiring error of each kind in this process, and returns it.
    pub(crate) fn logged(self) -> Self {
        static LOGGED: AtomicU8 = AtomicU8::new(0);
        let kind = match self {
            Self::Refused(_) => return self,
            Self::LayerMissing => 1,
            Self::NoPeer => 2,
        };
        if LOGGED.fetch_or(kind, Ordering::Relaxed) & kind == 0 {
            tracing::error!(code = self.code(), "{self}");
        }
        self
    }

    /// `{"error":"<code>","message":"<sentence>"}`, the integrations' answer body.
    #[cfg(any(feature = "axum", feature = "tower_governor"))]
    pub(crate) fn json(&self) -> String {
        // Request text in a message is already escaped (`Debug`): only quotes and backslashes
        // remain to escape.
        let message = self.to_string().replace('\\', "\\\\").replace('"', "\\\"");
        format!(r#"{{"error":"{}","message":"{message}"}}"#, self.code())
    }
}

const LAYER_MISSING: &str = "No ClientIpLayer resolved this request before its client address was read: add .layer(ClientIpLayer::new(source)) to the Router after every route and after every layer that reads the address (GovernorLayer), since in axum the layer added last runs first.";
const NO_PEER: &str = "ClientIpLayer found no peer recorded by the server, or found more than one kind (a Lambda request context, axum's ConnectInfo, a SocketPeer): on Lambda serve the Router with lambda_http::run and enable the lambda_http feature of lambda-client-ip; on a socket serve an axum Router with into_make_service_with_connect_info::<SocketAddr>() and enable its axum feature; on any other server insert lambda_client_ip::layer::SocketPeer(addr) into each request's extensions before the layer.";

impl fmt::Display for ClientIpRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Refused(e) => return e.fmt(f),
            Self::LayerMissing => LAYER_MISSING,
            Self::NoPeer => NO_PEER,
        })
    }
}

impl std::error::Error for ClientIpRejection {}

/// The peer the Lambda request context in `extensions` implies (see
/// [`RequestClientIp`](crate::RequestClientIp)); `None` without one.
#[cfg(feature = "lambda_http")]
pub(crate) fn context_peer(extensions: &Extensions) -> Option<Peer> {
    use lambda_http::request::RequestContext;
    let context = lambda_http::RequestExt::request_context_ref(extensions)?;
    let reported = match context {
        RequestContext::ApiGatewayV1(ctx) => ctx.identity.source_ip.as_deref(),
        RequestContext::ApiGatewayV2(ctx) => ctx.http.source_ip.as_deref(),
        _ => None,
    };
    let reported = reported.and_then(|ip| crate::parse_entry(ip.as_bytes()));
    Some(reported.map_or(Peer::Appended, |(ip, _port)| Peer::AppendedAndReported(ip)))
}
