//! From an HTTP request, as received, to the event an ALB sends a Lambda function.
//!
//! [`build`] is pure: the server hands it the parts hyper parsed, the peer address and a trace
//! root it generated, and gets back the event JSON or the refusal the ALB itself would answer.
//! It never panics and never allocates more than a small multiple of its input.
//!
//! What it reproduces (the facts are in local-alb/README.md#what-it-reproduces):
//! - the ALB's limits, checked in this order: request line over 16 KiB, one header line over
//!   16 KiB or all header lines over 64 KiB → 400; more than 30 addresses in the incoming
//!   X-Forwarded-For → 463; a body over 1 MiB → 413;
//! - header names lower-cased; in single-value mode the last value of a repeated header or
//!   query key wins, in multi-value mode every value is kept in order; query strings stay
//!   URL-encoded;
//! - X-Forwarded-For per [`XffMode`], with the TCP peer appended as `ip`, or `ip:port` /
//!   `[v6]:port` with the client-port option; `x-forwarded-proto` and `x-forwarded-port` set by
//!   the load balancer; `x-amzn-trace-id` given a `Root`, or a `Self` in front of the client's
//!   own `Root`;
//! - the body base64-encoded unless it is text the ALB passes as is.
//!
//! Keys of every JSON object are sorted, so the same request always gives the same bytes.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
pub use hyper::Uri;
use serde::Serialize;

/// Longest request line the ALB accepts (method, target and version), in bytes.
pub const MAX_REQUEST_LINE: usize = 16 * 1024;
/// Longest single header line (`name: value`) the ALB accepts, in bytes.
pub const MAX_HEADER_LINE: usize = 16 * 1024;
/// Largest header block (all header lines with their CRLF) the ALB accepts, in bytes.
pub const MAX_HEADER_BLOCK: usize = 64 * 1024;
/// Largest request body the ALB forwards to a Lambda function, in bytes.
pub const MAX_BODY: usize = 1024 * 1024;
/// Most addresses the incoming X-Forwarded-For may hold before the ALB answers 463.
pub const MAX_FORWARDED_FOR: usize = 30;
/// The target group ARN put in `requestContext.elb.targetGroupArn` unless another is given.
pub const DEFAULT_TARGET_GROUP_ARN: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/local-alb/0123456789abcdef";

/// The load-balancer attribute `routing.http.xff_header_processing.mode`, named on the command
/// line as the attribute's values are (`append`, `preserve`, `remove`).
///
/// ```
/// use clap::ValueEnum;
/// use local_alb::event::XffMode;
/// assert_eq!(XffMode::from_str("preserve", false), Ok(XffMode::Preserve));
/// assert!(XffMode::from_str("Append", false).is_err());
/// assert_eq!(XffMode::Remove.to_possible_value().unwrap().get_name(), "remove");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum XffMode {
    /// Keep what the client sent and append the TCP peer (the ALB's default).
    #[default]
    Append,
    /// Pass what the client sent unchanged; add nothing.
    Preserve,
    /// Drop the header.
    Remove,
}

/// The target-group and load-balancer attributes that shape the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventOptions {
    /// `routing.http.xff_header_processing.mode`.
    pub xff_mode: XffMode,
    /// `routing.http.xff_client_port.enabled`: the appended entry carries the peer's port.
    pub xff_client_port: bool,
    /// `lambda.multi_value_headers.enabled`: `multiValueHeaders` and
    /// `multiValueQueryStringParameters` instead of `headers` and `queryStringParameters`.
    pub multi_value_headers: bool,
    /// `routing.http.drop_invalid_header_fields.enabled`: drop header names that are not
    /// `[-A-Za-z0-9]+`.
    pub drop_invalid_header_fields: bool,
    /// The value of `requestContext.elb.targetGroupArn`.
    pub target_group_arn: String,
}

impl Default for EventOptions {
    fn default() -> Self {
        Self {
            xff_mode: XffMode::default(),
            xff_client_port: false,
            multi_value_headers: false,
            drop_invalid_header_fields: false,
            target_group_arn: DEFAULT_TARGET_GROUP_ARN.to_owned(),
        }
    }
}

/// One HTTP request as the listener received it.
#[derive(Debug, Clone, Copy)]
pub struct RawRequest<'a> {
    /// The method token, e.g. `GET`.
    pub method: &'a [u8],
    /// The request target as hyper parsed it: origin form (`/a?b=c`) or absolute form
    /// (`http://h/a?b=c`); its path and query are read from the parts, not from the text.
    pub uri: &'a Uri,
    /// The HTTP version as written on the request line, e.g. `HTTP/1.1` (only its length
    /// matters, for the request-line limit).
    pub version: &'a str,
    /// Every header line in the order received: name and value bytes, without the CRLF.
    pub headers: &'a [(&'a [u8], &'a [u8])],
    /// The body, de-chunked.
    pub body: &'a [u8],
    /// The TCP peer: the address the ALB appends to X-Forwarded-For.
    pub peer: SocketAddr,
    /// The port of the listener the request arrived on (`x-forwarded-port`).
    pub listener_port: u16,
    /// The trace id root this load balancer generated for the request
    /// (`1-<8 hex seconds>-<24 hex>`); see [`trace_root`].
    pub trace_root: &'a str,
}

/// A request the ALB answers itself, without invoking the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The request line is longer than [`MAX_REQUEST_LINE`].
    RequestLineTooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// One header line is longer than [`MAX_HEADER_LINE`].
    HeaderTooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// All header lines together are larger than [`MAX_HEADER_BLOCK`].
    HeadersTooLarge {
        /// Their length in bytes.
        len: usize,
    },
    /// The request line is not something the ALB forwards (a method that is not printable
    /// ASCII, or a target in asterisk or authority form).
    BadRequestLine,
    /// The incoming X-Forwarded-For holds more than [`MAX_FORWARDED_FOR`] addresses.
    TooManyForwardedFor {
        /// How many it holds.
        count: usize,
    },
    /// The body is larger than [`MAX_BODY`].
    BodyTooLarge {
        /// Its length in bytes.
        len: usize,
    },
}

impl Refusal {
    /// The status code the ALB answers with.
    pub const fn status(&self) -> u16 {
        match self {
            Self::RequestLineTooLong { .. }
            | Self::HeaderTooLong { .. }
            | Self::HeadersTooLarge { .. }
            | Self::BadRequestLine => 400,
            Self::TooManyForwardedFor { .. } => 463,
            Self::BodyTooLarge { .. } => 413,
        }
    }

    /// A short machine-readable reason, for the access log.
    pub const fn reason(&self) -> &'static str {
        match self {
            Self::RequestLineTooLong { .. } => "RequestLineTooLong",
            Self::HeaderTooLong { .. } => "HeaderTooLong",
            Self::HeadersTooLarge { .. } => "HeadersTooLarge",
            Self::BadRequestLine => "BadRequestLine",
            Self::TooManyForwardedFor { .. } => "TooManyForwardedFor",
            Self::BodyTooLarge { .. } => "BodyTooLarge",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RequestLineTooLong { len } => {
                write!(
                    f,
                    "the request line is {len} bytes, over the {MAX_REQUEST_LINE}-byte limit"
                )
            }
            Self::HeaderTooLong { len } => {
                write!(
                    f,
                    "a header line is {len} bytes, over the {MAX_HEADER_LINE}-byte limit"
                )
            }
            Self::HeadersTooLarge { len } => {
                write!(
                    f,
                    "the headers are {len} bytes, over the {MAX_HEADER_BLOCK}-byte limit"
                )
            }
            Self::BadRequestLine => f.write_str("the request line is not one the ALB forwards"),
            Self::TooManyForwardedFor { count } => write!(
                f,
                "X-Forwarded-For holds {count} addresses, over the limit of {MAX_FORWARDED_FOR}"
            ),
            Self::BodyTooLarge { len } => {
                write!(f, "the body is {len} bytes, over the {MAX_BODY}-byte limit")
            }
        }
    }
}

impl std::error::Error for Refusal {}

/// Builds the ALB event for one request, or the ALB's own refusal.
///
/// ```
/// use local_alb::event::{build, EventOptions, RawRequest};
/// let headers: &[(&[u8], &[u8])] = &[(b"Host", b"x"), (b"X-Forwarded-For", b"6.6.6.6")];
/// let request = RawRequest {
///     method: b"GET",
///     uri: &"/?a=1".parse().unwrap(),
///     version: "HTTP/1.1",
///     headers,
///     body: b"",
///     peer: "192.0.2.7:40000".parse().unwrap(),
///     listener_port: 80,
///     trace_root: "1-67891233-abcdef012345678912345678",
/// };
/// let event: serde_json::Value =
///     serde_json::from_slice(&build(&request, &EventOptions::default()).unwrap()).unwrap();
/// assert_eq!(event["headers"]["x-forwarded-for"], "6.6.6.6, 192.0.2.7");
/// assert_eq!(event["queryStringParameters"]["a"], "1");
///
/// // 31 addresses: the ALB answers 463 itself.
/// let long = vec!["1.1.1.1"; 31].join(",");
/// let headers: &[(&[u8], &[u8])] = &[(b"x-forwarded-for", long.as_bytes())];
/// let refusal = build(&RawRequest { headers, ..request }, &EventOptions::default()).unwrap_err();
/// assert_eq!(refusal.status(), 463);
/// ```
pub fn build(request: &RawRequest<'_>, options: &EventOptions) -> Result<Vec<u8>, Refusal> {
    check_limits(request)?;
    // The asterisk form (`OPTIONS *`) and the authority form (`CONNECT h:443`) are not forwarded.
    let path = request.uri.path();
    if !path.starts_with('/') {
        return Err(Refusal::BadRequestLine);
    }
    let query = request.uri.query().unwrap_or_default();
    let method = std::str::from_utf8(request.method)
        .ok()
        .filter(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or(Refusal::BadRequestLine)?;

    // Headers as received, names lower-cased, values in order; X-Forwarded-For, the trace id and
    // the headers the ALB sets itself are handled separately below.
    let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut forwarded_for: Vec<String> = Vec::new();
    let mut client_trace: Option<String> = None;
    for (name, value) in request.headers {
        if options.drop_invalid_header_fields && !is_alb_valid_name(name) {
            continue;
        }
        let name = text(name).to_ascii_lowercase();
        let value = text(value);
        match name.as_str() {
            "x-forwarded-for" => forwarded_for.push(value),
            "x-amzn-trace-id" => client_trace = Some(value),
            "x-forwarded-proto" | "x-forwarded-port" => {}
            _ => headers.entry(name).or_default().push(value),
        }
    }

    let count: usize = forwarded_for.iter().map(|v| v.split(',').count()).sum();
    if count > MAX_FORWARDED_FOR {
        return Err(Refusal::TooManyForwardedFor { count });
    }
    if request.body.len() > MAX_BODY {
        return Err(Refusal::BodyTooLarge {
            len: request.body.len(),
        });
    }

    match options.xff_mode {
        XffMode::Append => {
            let peer = peer_entry(request.peer, options.xff_client_port);
            match forwarded_for.last_mut() {
                Some(last) => {
                    last.push_str(", ");
                    last.push_str(&peer);
                }
                None => forwarded_for.push(peer),
            }
        }
        XffMode::Preserve => {}
        XffMode::Remove => forwarded_for.clear(),
    }
    if !forwarded_for.is_empty() {
        if options.multi_value_headers {
            headers.insert("x-forwarded-for".to_owned(), forwarded_for);
        } else {
            // One header value in single-value mode: the lines joined in order, as HTTP allows
            // for a list header, so no address the client or a proxy sent is lost.
            headers.insert("x-forwarded-for".to_owned(), vec![forwarded_for.join(", ")]);
        }
    }
    headers.insert("x-forwarded-proto".to_owned(), vec!["http".to_owned()]);
    headers.insert(
        "x-forwarded-port".to_owned(),
        vec![request.listener_port.to_string()],
    );
    headers.insert(
        "x-amzn-trace-id".to_owned(),
        vec![trace_header(client_trace.as_deref(), request.trace_root)],
    );

    let (body, is_base64) = encode_body(request.body, &headers);
    let params = query_parameters(query);

    let multi = options.multi_value_headers;
    let event = Event {
        request_context: RequestContext {
            elb: Elb {
                target_group_arn: &options.target_group_arn,
            },
        },
        http_method: method,
        path,
        query_string_parameters: (!multi).then(|| last_values(&params)),
        multi_value_query_string_parameters: multi.then_some(&params),
        headers: (!multi).then(|| last_values(&headers)),
        multi_value_headers: multi.then_some(&headers),
        body,
        is_base64_encoded: is_base64,
    };
    Ok(serde_json::to_vec(&event).unwrap_or_default())
}

fn check_limits(request: &RawRequest<'_>) -> Result<(), Refusal> {
    // "METHOD SP target SP version", the target as written: [scheme "://" authority] path ["?" query]
    let uri = request.uri;
    let target = uri.scheme_str().map_or(0, |s| s.len() + 3)
        + uri.authority().map_or(0, |a| a.as_str().len())
        + uri.path_and_query().map_or(0, |pq| pq.as_str().len());
    let line = request.method.len() + 1 + target + 1 + request.version.len();
    if line > MAX_REQUEST_LINE {
        return Err(Refusal::RequestLineTooLong { len: line });
    }
    let mut block = 0usize;
    for (name, value) in request.headers {
        // "name: value"
        let len = name.len() + 2 + value.len();
        if len > MAX_HEADER_LINE {
            return Err(Refusal::HeaderTooLong { len });
        }
        block = block.saturating_add(len + 2);
    }
    if block > MAX_HEADER_BLOCK {
        return Err(Refusal::HeadersTooLarge { len: block });
    }
    Ok(())
}

/// The query's key/value pairs, still URL-encoded, values in order per key.
fn query_parameters(query: &str) -> BTreeMap<String, Vec<String>> {
    let mut params: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        params
            .entry(key.to_owned())
            .or_default()
            .push(value.to_owned());
    }
    params
}

/// Single-value mode: the last value received wins.
fn last_values(map: &BTreeMap<String, Vec<String>>) -> BTreeMap<&str, &str> {
    map.iter()
        .filter_map(|(k, v)| Some((k.as_str(), v.last()?.as_str())))
        .collect()
}

/// The event the ALB sends: the single-value maps or the multi-value ones, never both.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Event<'a> {
    request_context: RequestContext<'a>,
    http_method: &'a str,
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    query_string_parameters: Option<BTreeMap<&'a str, &'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    multi_value_query_string_parameters: Option<&'a BTreeMap<String, Vec<String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    headers: Option<BTreeMap<&'a str, &'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    multi_value_headers: Option<&'a BTreeMap<String, Vec<String>>>,
    body: String,
    is_base64_encoded: bool,
}

/// `requestContext`: an ALB event carries only the target group.
#[derive(Serialize)]
struct RequestContext<'a> {
    elb: Elb<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Elb<'a> {
    target_group_arn: &'a str,
}

/// Header bytes as JSON text: UTF-8 as is, anything else lossily (the event has to be JSON).
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn is_alb_valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&b| b == b'-' || b.is_ascii_alphanumeric())
}

/// The entry the ALB appends: the peer's address, with its port when the option is on.
/// IPv4-mapped IPv6 peers (a dual-stack listener) are shown as the IPv4 address they are.
pub fn peer_entry(peer: SocketAddr, with_port: bool) -> String {
    let ip = peer.ip().to_canonical();
    match (ip, with_port) {
        (ip, false) => ip.to_string(),
        (IpAddr::V4(v4), true) => format!("{v4}:{}", peer.port()),
        (IpAddr::V6(v6), true) => format!("[{v6}]:{}", peer.port()),
    }
}

/// `x-amzn-trace-id` as the ALB forwards it: `Root=<root>` when the client sent no valid Root;
/// otherwise the client's header with `Self=<root>` in front (replacing any `Self` it had).
pub fn trace_header(client: Option<&str>, root: &str) -> String {
    let Some(client) = client else {
        return format!("Root={root}");
    };
    let fields: Vec<&str> = client.split(';').map(str::trim).collect();
    let has_root = fields.iter().any(|f| {
        f.strip_prefix("Root=")
            .is_some_and(|r| is_trace_root(r.as_bytes()))
    });
    if !has_root {
        return format!("Root={root}");
    }
    let rest: Vec<&str> = fields
        .into_iter()
        .filter(|f| !f.is_empty() && !f.starts_with("Self="))
        .collect();
    format!("Self={root};{}", rest.join(";"))
}

/// Whether `s` has the shape `1-<8 hex>-<24 hex>`.
fn is_trace_root(s: &[u8]) -> bool {
    s.len() == 35
        && s.starts_with(b"1-")
        && s.get(10) == Some(&b'-')
        && s.iter()
            .enumerate()
            .all(|(i, b)| matches!(i, 0 | 1 | 10) || b.is_ascii_hexdigit())
}

/// A trace root: `1-` then the time in hex seconds, `-`, then 24 hex digits from `random`.
///
/// ```
/// assert_eq!(local_alb::event::trace_root(0x67891233, 0xabcdef012345678912345678), "1-67891233-abcdef012345678912345678");
/// ```
pub fn trace_root(unix_seconds: u32, random: u128) -> String {
    format!("1-{unix_seconds:08x}-{:024x}", random & ((1u128 << 96) - 1))
}

/// The body as the event carries it, and whether it is base64-encoded. Text types without a
/// `content-encoding` pass as text; everything else (and text that is not UTF-8, which JSON
/// cannot carry unchanged) is base64.
fn encode_body(body: &[u8], headers: &BTreeMap<String, Vec<String>>) -> (String, bool) {
    if body.is_empty() {
        return (String::new(), false);
    }
    let encoded = headers.contains_key("content-encoding");
    let textual = headers
        .get("content-type")
        .and_then(|v| v.last())
        .is_some_and(|ct| is_text_type(ct));
    match std::str::from_utf8(body) {
        Ok(s) if textual && !encoded => (s.to_owned(), false),
        _ => (STANDARD.encode(body), true),
    }
}

fn is_text_type(content_type: &str) -> bool {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    media.starts_with("text/")
        || matches!(
            media.as_str(),
            "application/json" | "application/javascript" | "application/xml"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_queries_come_from_the_uri() {
        type Case<'a> = (&'a str, Result<(&'a str, Option<&'a str>), u16>);
        let cases: &[Case] = &[
            ("/", Ok(("/", None))),
            ("/a/b?x=foo%3Dbar&y", Ok(("/a/b", Some("foo%3Dbar")))),
            ("http://h:80/p?x=1", Ok(("/p", Some("1")))),
            ("http://h?x=1", Ok(("/", Some("1")))),
            ("http://h", Ok(("/", None))),
            ("*", Err(400)),
            ("h:443", Err(400)),
        ];
        for (target, want) in cases {
            let uri: Uri = target.parse().unwrap();
            let request = RawRequest {
                method: b"GET",
                uri: &uri,
                version: "HTTP/1.1",
                headers: &[],
                body: b"",
                peer: "192.0.2.1:1".parse().unwrap(),
                listener_port: 80,
                trace_root: "1-00000001-000000000000000000000001",
            };
            let got = build(&request, &EventOptions::default())
                .map(|e| serde_json::from_slice::<serde_json::Value>(&e).unwrap())
                .map_err(|r| r.status());
            let got = got.as_ref().map(|e| {
                (
                    e["path"].as_str().unwrap(),
                    e["queryStringParameters"]["x"].as_str(),
                )
            });
            assert_eq!(got.map_err(|s| *s), *want, "{target}");
        }
    }

    #[test]
    fn trace_header_rules() {
        let root = "1-00000001-000000000000000000000001";
        assert_eq!(trace_header(None, root), format!("Root={root}"));
        assert_eq!(
            trace_header(Some("garbage"), root),
            format!("Root={root}"),
            "no valid Root: replaced"
        );
        let theirs = "Root=1-67891233-abcdef012345678912345678;CalledFrom=app";
        assert_eq!(
            trace_header(Some(theirs), root),
            format!("Self={root};{theirs}")
        );
        assert_eq!(
            trace_header(
                Some(
                    "Self=1-11111111-111111111111111111111111;Root=1-67891233-abcdef012345678912345678"
                ),
                root
            ),
            format!("Self={root};Root=1-67891233-abcdef012345678912345678"),
            "an existing Self is replaced"
        );
    }

    #[test]
    fn peer_entries() {
        let p = |s: &str, port| peer_entry(s.parse().unwrap(), port);
        assert_eq!(p("192.0.2.1:5", false), "192.0.2.1");
        assert_eq!(p("192.0.2.1:5", true), "192.0.2.1:5");
        assert_eq!(p("[2001:db8::1]:5", false), "2001:db8::1");
        assert_eq!(p("[2001:db8::1]:5", true), "[2001:db8::1]:5");
        assert_eq!(p("[::ffff:192.0.2.1]:5", true), "192.0.2.1:5");
    }

    #[test]
    fn text_types() {
        for t in [
            "text/plain",
            "TEXT/HTML; charset=utf-8",
            "application/json",
            "application/xml",
        ] {
            assert!(is_text_type(t), "{t}");
        }
        for t in [
            "application/octet-stream",
            "image/png",
            "application/jsonx",
            "",
        ] {
            assert!(!is_text_type(t), "{t}");
        }
    }
}
