//! The client address of a `lambda_http` request, read the way its front door reports it
//! (feature `lambda_http`).
//!
//! The model, door by door, is documented on [`RequestClientIp`].

use http::Request;
use lambda_http::RequestExt;
use lambda_http::request::RequestContext;

use crate::{
    ClientIp, ResolveError, TrustPolicy, X_FORWARDED_FOR, parse_entry, resolve, resolve_headers,
};

/// The client address of a request, as its front door vouches for it.
///
/// # The model, door by door
/// | front door | request context | what is believed |
/// |---|---|---|
/// | Application Load Balancer | `Alb` | X-Forwarded-For; its last entry is the one the ALB appended (its TCP peer). |
/// | API Gateway REST API | `ApiGatewayV1`, `identity.sourceIp` | `sourceIp` is the front door's TCP peer (position 0). |
/// | API Gateway HTTP API, Function URL | `ApiGatewayV2`, `http.sourceIp` | the same; `ip:port` (seen behind CloudFront) is accepted. |
/// | anything else, or no context | none | X-Forwarded-For, as for an ALB. |
///
/// API Gateway appends `sourceIp` to X-Forwarded-For (regional endpoints; AWS's samples for HTTP
/// APIs and Function URLs show the same). So when the chain's last entry **is** `sourceIp`, the
/// chain is the one the front door built and positions 1 and up are read from it. When it is not
/// (an edge-optimized REST API, where AWS's own CloudFront appended its edge address after the
/// client; or a header the front door did not write), only `sourceIp` is known: a count of 0
/// answers it, and a count of 1 or more is refused as `chain_too_short` rather than guessed.
///
/// # Example
/// ```
/// use lambda_client_ip::{RequestClientIp, TrustPolicy};
///
/// // An ALB event, as lambda_http turns it into a request.
/// let event = r#"{
///     "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/lambda/1234567890abcdef"}},
///     "httpMethod": "GET", "path": "/", "queryStringParameters": {},
///     "headers": {"x-forwarded-for": "6.6.6.6, 203.0.113.9"},
///     "body": "", "isBase64Encoded": false
/// }"#;
/// let request = lambda_http::request::from_str(event)?;
/// assert_eq!(request.client_ip(&TrustPolicy::default())?.to_string(), "203.0.113.9");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait RequestClientIp {
    /// Resolves the client address under `policy`.
    ///
    /// ```
    /// use lambda_client_ip::{RequestClientIp, TrustPolicy};
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
    /// assert_eq!(request.client_ip(&TrustPolicy::default())?.to_string(), "198.51.100.23");
    /// let err = request.client_ip(&TrustPolicy::Count("1".parse()?)).unwrap_err();
    /// assert_eq!(err.code(), "chain_too_short");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn client_ip(&self, policy: &TrustPolicy) -> Result<ClientIp, ResolveError>;
}

impl<B> RequestClientIp for Request<B> {
    fn client_ip(&self, policy: &TrustPolicy) -> Result<ClientIp, ResolveError> {
        let source_ip = match self.request_context_ref() {
            Some(RequestContext::ApiGatewayV1(ctx)) => ctx.identity.source_ip.as_deref(),
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.as_deref(),
            _ => None,
        };
        match source_ip {
            Some(source) => behind_source(self.headers(), source, policy),
            None => resolve_headers(self.headers(), None, policy),
        }
    }
}

/// A door that reports its TCP peer as `sourceIp` and also appends it to X-Forwarded-For.
fn behind_source(
    headers: &http::HeaderMap,
    source: &str,
    policy: &TrustPolicy,
) -> Result<ClientIp, ResolveError> {
    let (peer, _port) =
        parse_entry(source.as_bytes()).ok_or_else(|| ResolveError::invalid_source(source))?;
    let last_entry = headers
        .get_all(X_FORWARDED_FOR)
        .iter()
        .next_back()
        .and_then(|line| line.as_bytes().rsplit(|&b| b == b',').next())
        .and_then(parse_entry);
    match last_entry {
        Some((ip, _)) if ip == peer => resolve_headers(headers, None, policy),
        _ => resolve(std::iter::empty::<&[u8]>(), Some(peer), policy),
    }
}
