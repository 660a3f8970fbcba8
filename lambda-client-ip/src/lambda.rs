//! The client address of a `lambda_http` request, its peer read the way its front door reports
//! it (feature `lambda_http`).

use http::Request;

use crate::{ClientIp, ClientIpRejection, Peer, Source};

/// The client address of a `lambda_http` request, resolved by a [`Source`] with the [`Peer`] its
/// front door implies.
///
/// # One model for every front door
/// Every AWS front door appends its TCP peer to X-Forwarded-For; API Gateway and Function URLs
/// also report it as `sourceIp`, which stands in only when the request has no X-Forwarded-For
/// ([`Peer::AppendedAndReported`]). This is also how the `alb-client-ip` function reads an ALB
/// event, so the two answer alike.
///
/// | front door | request context | peer |
/// |---|---|---|
/// | Application Load Balancer | `Alb` | [`Peer::Appended`] |
/// | API Gateway REST API | `ApiGatewayV1`, `identity.sourceIp` | [`Peer::AppendedAndReported`] |
/// | API Gateway HTTP API, Function URL | `ApiGatewayV2`, `http.sourceIp` (`ip:port` accepted) | [`Peer::AppendedAndReported`] |
/// | any other context | | [`Peer::Appended`] |
/// | no context: not a Lambda request | none | a wiring error (500) |
///
/// An edge-optimized REST API puts AWS's own CloudFront in front: X-Forwarded-For then ends
/// `<client>, <CloudFront edge>`, so use a count of 1 there. Not the `cloudfront` preset: that
/// edge connects from CloudFront's viewer-facing ranges, not the origin-facing ones the preset
/// holds (AWS's own sample event: `54.240.196.186, 54.182.214.83`). The count is safe because
/// nothing reaches an edge-optimized API around its edge.
///
/// ```
/// use lambda_client_ip::{RequestClientIp, Source};
///
/// // A Function URL event: no X-Forwarded-For, the source address in the context.
/// let event = r#"{
///     "version": "2.0", "routeKey": "$default", "rawPath": "/", "rawQueryString": "",
///     "headers": {"host": "abc.lambda-url.us-east-1.on.aws"},
///     "requestContext": {"accountId": "anonymous", "apiId": "abc", "domainName": "abc.lambda-url.us-east-1.on.aws",
///         "domainPrefix": "abc", "http": {"method": "GET", "path": "/", "protocol": "HTTP/1.1",
///         "sourceIp": "198.51.100.23", "userAgent": "curl"}, "requestId": "id", "routeKey": "$default",
///         "stage": "$default", "time": "01/Jan/2026:00:00:00 +0000", "timeEpoch": 0},
///     "isBase64Encoded": false
/// }"#;
/// let request = lambda_http::request::from_str(event)?;
/// assert_eq!(request.client_ip(&Source::default())?.to_string(), "198.51.100.23");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait RequestClientIp {
    /// Resolves the client address with `source`: a refusal is the request's doing; a request
    /// without a Lambda request context is a wiring error ([`ClientIpRejection::NoPeer`]).
    fn client_ip(&self, source: &Source) -> Result<ClientIp, ClientIpRejection>;

    /// The [`Peer`] the front door's request context implies, the one
    /// [`client_ip`](Self::client_ip) and [`ClientIpLayer`](crate::ClientIpLayer) use: for
    /// [`Source::explain`] with the same peer.
    ///
    /// ```
    /// use lambda_client_ip::{Peer, RequestClientIp, Source};
    ///
    /// let event = include_str!("../tests/events/alb-single-value.json");
    /// let request = lambda_http::request::from_str(event)?;
    /// assert_eq!(request.peer()?, Peer::Appended);
    /// let explained = Source::default().explain(request.headers(), request.peer()?);
    /// assert_eq!(explained.hops.len(), 2);
    ///
    /// // Not a Lambda request: a wiring error, never a guess.
    /// assert!(http::Request::new(()).peer().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn peer(&self) -> Result<Peer, ClientIpRejection>;
}

impl<B> RequestClientIp for Request<B> {
    fn client_ip(&self, source: &Source) -> Result<ClientIp, ClientIpRejection> {
        let resolved = source.resolve(self.headers(), self.peer()?);
        resolved.map_err(ClientIpRejection::Refused)
    }

    fn peer(&self) -> Result<Peer, ClientIpRejection> {
        crate::layer::context_peer(self.extensions())
            .ok_or_else(|| ClientIpRejection::NoPeer.logged())
    }
}
