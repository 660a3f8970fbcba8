//! Resolve once per request, as `tower` middleware (feature `tower`).
//!
//! [`ClientIpLayer`] wraps a service. For each `http::Request` it resolves the client address
//! once and inserts the outcome, a [`Resolution`], into the request's extensions, where handlers
//! and inner middleware read it (axum: `Extension<Resolution>`).
//!
//! ```
//! use std::convert::Infallible;
//!
//! use http::{Request, Response};
//! use lambda_client_ip::{ClientIpLayer, Resolution, TrustPolicy};
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! async fn handler(request: Request<()>) -> Result<Response<String>, Infallible> {
//!     let answer = match request.extensions().get::<Resolution>() {
//!         Some(Resolution(Ok(client))) => client.to_string(),
//!         Some(Resolution(Err(err))) => format!("refused: {}", err.code()),
//!         None => "the layer is missing".to_owned(),
//!     };
//!     Ok(Response::new(answer))
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let service = ServiceBuilder::new()
//!     .layer(ClientIpLayer::new(TrustPolicy::default()))
//!     .service_fn(handler);
//!
//! // The front door appended 198.51.100.7; the entry left of it was written by the client.
//! let request = Request::builder()
//!     .header("x-forwarded-for", "192.0.2.200, 198.51.100.7")
//!     .body(())?;
//! let response = service.clone().oneshot(request).await?;
//! assert_eq!(response.body(), "198.51.100.7");
//!
//! // No X-Forwarded-For and no front door: refused, never guessed.
//! let response = service.oneshot(Request::new(())).await?;
//! assert_eq!(response.body(), "refused: no_client_address");
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::task::{Context, Poll};

use http::Request;
use tower_layer::Layer;
use tower_service::Service;

use crate::{ClientIp, ResolveError, TrustPolicy};

/// The outcome of resolving a request's client address, inserted into its extensions by
/// [`ClientIpService`].
///
/// A refusal is kept, not dropped: the handler decides how to answer it (a 400 with
/// [`ResolveError::code`], for instance), and nothing downstream can mistake a missing address for
/// a shared fallback. Destructure it in an axum handler:
///
/// ```
/// use axum::Extension;
/// use lambda_client_ip::Resolution;
///
/// async fn handler(Extension(Resolution(result)): Extension<Resolution>) -> String {
///     match result {
///         Ok(client) => client.to_string(),
///         Err(err) => format!("refused: {}", err.code()),
///     }
/// }
/// ```
///
/// ```
/// use lambda_client_ip::{resolve, Resolution, TrustPolicy};
///
/// let resolution = Resolution(resolve(["192.0.2.1, 198.51.100.7"], None, &TrustPolicy::default()));
/// assert_eq!(resolution.client_ip().map(|c| c.to_string()), Some("198.51.100.7".into()));
///
/// let none: [&str; 0] = [];
/// let refused = Resolution(resolve(none, None, &TrustPolicy::default()));
/// assert_eq!(refused.error().map(|e| e.code()), Some("no_client_address"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution(pub Result<ClientIp, ResolveError>);

impl Resolution {
    /// The client address, or `None` when the request was refused.
    ///
    /// ```
    /// use lambda_client_ip::{resolve, Resolution, TrustPolicy};
    ///
    /// let resolution = Resolution(resolve(["198.51.100.7:50432"], None, &TrustPolicy::default()));
    /// let client = resolution.client_ip().expect("resolved");
    /// assert_eq!((client.ip().to_string(), client.port()), ("198.51.100.7".into(), Some(50432)));
    ///
    /// let refused = Resolution(resolve(["unknown"], None, &TrustPolicy::default()));
    /// assert_eq!(refused.client_ip(), None);
    /// ```
    pub fn client_ip(&self) -> Option<ClientIp> {
        self.0.as_ref().ok().copied()
    }

    /// Why the request was refused, or `None` when it was resolved.
    ///
    /// ```
    /// use lambda_client_ip::{resolve, ProxyCount, Resolution, TrustPolicy};
    ///
    /// let one_proxy = TrustPolicy::Count(ProxyCount::new(1).unwrap());
    /// let refused = Resolution(resolve(["198.51.100.7"], None, &one_proxy));
    /// assert_eq!(refused.error().map(|e| e.code()), Some("chain_too_short"));
    ///
    /// let resolved = Resolution(resolve(["198.51.100.7"], None, &TrustPolicy::default()));
    /// assert!(resolved.error().is_none());
    /// ```
    pub fn error(&self) -> Option<&ResolveError> {
        self.0.as_ref().err()
    }

    /// The outcome, owned: `?` carries a refusal into any error type.
    ///
    /// ```
    /// use lambda_client_ip::{resolve, Resolution, TrustPolicy};
    ///
    /// fn client(resolution: Resolution) -> Result<String, Box<dyn std::error::Error>> {
    ///     Ok(resolution.into_result()?.to_string())
    /// }
    /// let policy = TrustPolicy::default();
    /// assert_eq!(client(Resolution(resolve(["2001:DB8::1"], None, &policy)))?, "2001:db8::1");
    /// let err = client(Resolution(resolve(["2001:db8::1, evil"], None, &policy))).unwrap_err();
    /// assert!(err.to_string().contains("\"evil\""));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_result(self) -> Result<ClientIp, ResolveError> {
        self.0
    }
}

impl From<Result<ClientIp, ResolveError>> for Resolution {
    fn from(result: Result<ClientIp, ResolveError>) -> Self {
        Self(result)
    }
}

/// A [`Layer`] that wraps services in a [`ClientIpService`]: every request gets a
/// [`Resolution`] in its extensions before the inner service sees it.
///
/// The policy sits behind an [`Arc`], so cloning the layer or its services (per connection, per
/// route) costs a reference count.
///
/// # How a request is resolved
/// - With the `lambda_http` feature, as [`RequestClientIp::client_ip`](crate::RequestClientIp)
///   does: the front door `lambda_http` put in the request context (API Gateway, a Function URL)
///   is honoured, and a request without a context is resolved from its X-Forwarded-For alone.
/// - Without it, from X-Forwarded-For alone: [`resolve_headers`](crate::resolve_headers)`(headers,
///   None, policy)`. Enable `lambda_http` when the app runs on `lambda_http` behind API Gateway or
///   a Function URL.
///
/// The layer has no peer address: it reads the chain as an ALB hands it over, with position 0
/// the entry the front door appended. **It is not for a server that accepts connections itself**
/// (`axum::serve` facing clients): there the last entry was written by the client. Such a server
/// passes its socket's peer to `resolve_headers` itself:
///
/// ```
/// use std::net::SocketAddr;
/// use lambda_client_ip::{resolve_headers, TrustPolicy};
///
/// // What axum's `ConnectInfo<SocketAddr>` gives a server that holds the socket.
/// let peer: SocketAddr = "198.51.100.7:50432".parse()?;
/// let mut headers = http::HeaderMap::new();
/// headers.insert("x-forwarded-for", "192.0.2.200".parse()?);
/// let client = resolve_headers(&headers, Some(peer.ip()), &TrustPolicy::default())?;
/// assert_eq!(client.to_string(), "198.51.100.7");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Example: axum
/// ```
/// use axum::{Extension, Router, routing::get};
/// use lambda_client_ip::{ClientIpLayer, Resolution, TrustPolicy};
/// use tower::ServiceExt;
///
/// async fn client_ip(Extension(Resolution(result)): Extension<Resolution>) -> String {
///     match result {
///         Ok(client) => client.to_string(),
///         Err(err) => err.code().to_owned(),
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // One proxy of yours stands in front of the ALB.
/// let policy = TrustPolicy::Count("1".parse()?);
/// let app = Router::new()
///     .route("/", get(client_ip))
///     .layer(ClientIpLayer::new(policy));
///
/// let body = |response: http::Response<axum::body::Body>| async {
///     axum::body::to_bytes(response.into_body(), 1024).await
/// };
/// let request = http::Request::get("/")
///     .header("x-forwarded-for", "6.6.6.6, 198.51.100.7, 203.0.113.10")
///     .body(axum::body::Body::empty())?;
/// assert_eq!(body(app.clone().oneshot(request).await?).await?, "198.51.100.7");
///
/// // The proxy is missing from the chain: refused rather than guessed.
/// let request = http::Request::get("/")
///     .header("x-forwarded-for", "198.51.100.7")
///     .body(axum::body::Body::empty())?;
/// assert_eq!(body(app.oneshot(request).await?).await?, "chain_too_short");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ClientIpLayer {
    policy: Arc<TrustPolicy>,
}

impl ClientIpLayer {
    /// A layer that resolves every request under `policy`.
    ///
    /// ```
    /// use lambda_client_ip::{ClientIpLayer, TrustPolicy, TrustedRanges};
    ///
    /// let layer = ClientIpLayer::new(TrustPolicy::Ranges("203.0.113.0/24".parse()?));
    /// assert_eq!(layer.policy().to_string(), "1 trusted range");
    ///
    /// // A policy is validated when it is built, so a bad one never reaches the layer.
    /// assert!("203.0.113.1/24".parse::<TrustedRanges>().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(policy: TrustPolicy) -> Self {
        Self {
            policy: Arc::new(policy),
        }
    }

    /// The policy requests are resolved under.
    ///
    /// ```
    /// use lambda_client_ip::{ClientIpLayer, TrustPolicy};
    ///
    /// let layer = ClientIpLayer::new(TrustPolicy::default());
    /// assert_eq!(layer.policy(), &TrustPolicy::default());
    /// assert_ne!(layer.policy(), &TrustPolicy::Count("1".parse()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn policy(&self) -> &TrustPolicy {
        &self.policy
    }
}

impl<S> Layer<S> for ClientIpLayer {
    type Service = ClientIpService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ClientIpService {
            inner,
            policy: Arc::clone(&self.policy),
        }
    }
}

/// Middleware that resolves each request's client address once and inserts a [`Resolution`]
/// into its extensions, then calls the inner service. Built by [`ClientIpLayer`]; see it for how
/// a request is resolved.
///
/// A [`Resolution`] already in the extensions is replaced, so what the inner service reads is
/// always this layer's answer.
///
/// ```
/// use std::convert::Infallible;
///
/// use http::Request;
/// use lambda_client_ip::{ClientIpService, Resolution, TrustPolicy};
/// use tower::{service_fn, ServiceExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let inner = service_fn(|request: Request<()>| async move {
///     Ok::<_, Infallible>(request.extensions().get::<Resolution>().cloned())
/// });
/// let service = ClientIpService::new(inner, TrustPolicy::default());
///
/// let request = Request::builder().header("x-forwarded-for", "198.51.100.7").body(())?;
/// let resolution = service.clone().oneshot(request).await?.expect("inserted");
/// assert_eq!(resolution.client_ip().map(|c| c.to_string()), Some("198.51.100.7".into()));
///
/// let request = Request::builder().header("x-forwarded-for", "198.51.100.7, _hidden").body(())?;
/// let resolution = service.oneshot(request).await?.expect("inserted");
/// assert_eq!(resolution.error().map(|e| e.code()), Some("invalid_entry"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ClientIpService<S> {
    inner: S,
    policy: Arc<TrustPolicy>,
}

impl<S> ClientIpService<S> {
    /// Wraps `inner`, resolving every request under `policy`.
    ///
    /// ```
    /// use lambda_client_ip::{ClientIpService, TrustPolicy};
    ///
    /// let service = ClientIpService::new((), TrustPolicy::Count("2".parse()?));
    /// assert_eq!(service.policy().to_string(), "2 trusted proxies");
    /// assert!("31".parse::<lambda_client_ip::ProxyCount>().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(inner: S, policy: TrustPolicy) -> Self {
        Self {
            inner,
            policy: Arc::new(policy),
        }
    }

    /// A [`ClientIpLayer`] with `policy`: the same as [`ClientIpLayer::new`].
    ///
    /// ```
    /// use lambda_client_ip::{ClientIpService, TrustPolicy};
    /// use tower::Layer;
    ///
    /// let service = ClientIpService::<()>::layer(TrustPolicy::default()).layer(());
    /// assert_eq!(service.policy(), &TrustPolicy::default());
    /// ```
    pub fn layer(policy: TrustPolicy) -> ClientIpLayer {
        ClientIpLayer::new(policy)
    }

    /// The policy requests are resolved under.
    ///
    /// ```
    /// use lambda_client_ip::{ClientIpLayer, TrustPolicy};
    /// use tower::Layer;
    ///
    /// let layer = ClientIpLayer::new(TrustPolicy::Ranges("10.0.0.0/8, 10.1.0.0/16".parse()?));
    /// let service = layer.layer(());
    /// // The service shares the layer's policy rather than copying it.
    /// assert!(std::ptr::eq(service.policy(), layer.policy()));
    /// assert_eq!(service.policy().to_string(), "1 trusted range");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn policy(&self) -> &TrustPolicy {
        &self.policy
    }

    /// The inner service.
    ///
    /// ```
    /// use lambda_client_ip::{ClientIpService, TrustPolicy};
    ///
    /// let service = ClientIpService::new("inner", TrustPolicy::default());
    /// assert_eq!(*service.get_ref(), "inner");
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    ///
    /// ```
    /// use lambda_client_ip::{ClientIpService, TrustPolicy};
    ///
    /// let mut service = ClientIpService::new(1, TrustPolicy::default());
    /// *service.get_mut() += 1;
    /// assert_eq!(*service.get_ref(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the inner service.
    ///
    /// ```
    /// use lambda_client_ip::{ClientIpService, TrustPolicy};
    ///
    /// let service = ClientIpService::new(String::from("inner"), TrustPolicy::default());
    /// assert_eq!(service.into_inner(), "inner");
    /// ```
    pub fn into_inner(self) -> S {
        self.inner
    }
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
        let resolution = Resolution(resolve_request(&request, &self.policy));
        request.extensions_mut().insert(resolution);
        self.inner.call(request)
    }
}

/// The front door in the request context, when `lambda_http` put one there.
#[cfg(feature = "lambda_http")]
fn resolve_request<B>(
    request: &Request<B>,
    policy: &TrustPolicy,
) -> Result<ClientIp, ResolveError> {
    crate::RequestClientIp::client_ip(request, policy)
}

/// X-Forwarded-For alone, read as an ALB hands it over.
#[cfg(not(feature = "lambda_http"))]
fn resolve_request<B>(
    request: &Request<B>,
    policy: &TrustPolicy,
) -> Result<ClientIp, ResolveError> {
    crate::resolve_headers(request.headers(), None, policy)
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use tower::{ServiceExt, service_fn};

    use super::*;
    use crate::ProxyCount;

    /// A service that answers the resolution it was handed.
    fn echo() -> impl Service<Request<()>, Response = Option<Resolution>, Error = Infallible> + Clone
    {
        service_fn(|request: Request<()>| async move {
            Ok::<_, Infallible>(request.extensions().get::<Resolution>().cloned())
        })
    }

    async fn answer(policy: TrustPolicy, request: Request<()>) -> Result<String, &'static str> {
        let resolution = ClientIpLayer::new(policy)
            .layer(echo())
            .oneshot(request)
            .await
            .unwrap_or_else(|never| match never {})
            .expect("the layer inserts a resolution");
        resolution
            .into_result()
            .map(|client| client.to_string())
            .map_err(|err| err.code())
    }

    fn forwarded_for(lines: &[&str]) -> Request<()> {
        let mut builder = Request::builder();
        for line in lines {
            builder = builder.header("x-forwarded-for", *line);
        }
        builder.body(()).unwrap()
    }

    fn count(n: u8) -> TrustPolicy {
        TrustPolicy::Count(ProxyCount::new(n).unwrap())
    }

    #[tokio::test]
    async fn the_entry_the_front_door_appended_is_the_client_by_default() {
        let got = answer(count(0), forwarded_for(&["192.0.2.200, 198.51.100.7"])).await;
        assert_eq!(got.as_deref(), Ok("198.51.100.7"));
    }

    #[tokio::test]
    async fn a_forged_leftmost_entry_never_wins() {
        let request = forwarded_for(&["6.6.6.6, 198.51.100.7", "203.0.113.10"]);
        assert_eq!(
            answer(count(1), request).await.as_deref(),
            Ok("198.51.100.7")
        );
        let ranges = TrustPolicy::Ranges("203.0.113.0/24".parse().unwrap());
        let request = forwarded_for(&["203.0.113.99, 198.51.100.7, 203.0.113.10"]);
        assert_eq!(answer(ranges, request).await.as_deref(), Ok("198.51.100.7"));
    }

    #[tokio::test]
    async fn refusals_reach_the_inner_service_with_their_code() {
        let cases = [
            (
                "no header",
                count(0),
                forwarded_for(&[]),
                "no_client_address",
            ),
            (
                "too short",
                count(2),
                forwarded_for(&["198.51.100.7, 203.0.113.10"]),
                "chain_too_short",
            ),
            (
                "not an address",
                count(0),
                forwarded_for(&["198.51.100.7, unknown"]),
                "invalid_entry",
            ),
            (
                "all trusted",
                TrustPolicy::Ranges("203.0.113.0/24".parse().unwrap()),
                forwarded_for(&["203.0.113.9, 203.0.113.10"]),
                "all_trusted",
            ),
        ];
        for (case, policy, request, code) in cases {
            assert_eq!(answer(policy, request).await, Err(code), "{case}");
        }
    }

    #[tokio::test]
    async fn a_resolution_already_present_is_replaced() {
        let mut request = forwarded_for(&["198.51.100.7"]);
        let planted = Resolution(Ok(crate::resolve(["6.6.6.6"], None, &count(0)).unwrap()));
        request.extensions_mut().insert(planted);
        assert_eq!(
            answer(count(0), request).await.as_deref(),
            Ok("198.51.100.7")
        );
    }

    #[test]
    fn clones_share_one_policy() {
        let layer = ClientIpLayer::new(count(1));
        let first = layer.layer(());
        let second = first.clone();
        assert!(std::ptr::eq(first.policy(), second.policy()));
        assert!(std::ptr::eq(first.policy(), layer.clone().policy()));
    }

    #[test]
    fn the_types_fit_extensions_and_axum() {
        fn extension<T: Clone + Send + Sync + 'static>() {}
        fn shared<T: Clone + Send + Sync + 'static>(_: &T) {}
        extension::<Resolution>();
        shared(&ClientIpLayer::new(count(0)));
        shared(&ClientIpLayer::new(count(0)).layer(echo()));
    }

    #[cfg(feature = "lambda_http")]
    #[tokio::test]
    async fn the_front_door_in_the_request_context_is_honoured() {
        // An edge-optimized REST API: CloudFront appended its edge after the client, and
        // `sourceIp` is the client. The chain alone would answer the edge.
        let event = r#"{
            "resource": "/", "path": "/", "httpMethod": "GET",
            "headers": {"X-Forwarded-For": "198.51.100.7, 130.176.12.34"},
            "multiValueHeaders": {"X-Forwarded-For": ["198.51.100.7, 130.176.12.34"]},
            "requestContext": {"resourcePath": "/", "httpMethod": "GET", "stage": "prod",
                "identity": {"sourceIp": "198.51.100.7"}},
            "body": null, "isBase64Encoded": false
        }"#;
        let request = lambda_http::request::from_str(event).unwrap();
        let resolution = ClientIpLayer::new(count(0))
            .layer(service_fn(|request: lambda_http::Request| async move {
                Ok::<_, Infallible>(request.extensions().get::<Resolution>().cloned())
            }))
            .oneshot(request)
            .await
            .unwrap_or_else(|never| match never {})
            .unwrap();
        assert_eq!(
            resolution.client_ip().map(|c| c.to_string()).as_deref(),
            Some("198.51.100.7")
        );
    }
}
