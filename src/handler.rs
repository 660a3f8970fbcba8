//! The handler: event → source → response.
//!
//! Every outcome is an ordinary HTTP answer, built as `aws_lambda_events`' `AlbTargetGroupResponse`.
//! There is no path that returns a handler error: the ALB would turn it into a bare 502 that tells
//! the caller nothing.
//!
//! | outcome | status | body |
//! |---|---|---|
//! | client address found | 200 | `{"client_ip":"<address>"}`, with `"client_port":<number>` when the entry recorded one |
//! | ALB health check (no X-Forwarded-For) | 200 | `{"status":"healthy"}` |
//! | anything else | 400 | `{"error":"<code>","message":"<sentence>"}` |
//!
//! The codes are stable: `malformed_event` and `conflicting_headers` (the event), and the
//! library's `no_client_address`, `chain_too_short`, `invalid_entry`, `all_trusted`,
//! `client_header_missing`, `client_header_repeated`, `client_header_invalid`,
//! `client_header_trusted`, `pseudo_ipv4_without_ipv6`, `cf_connecting_ipv6_repeated` and
//! `cf_connecting_ipv6_invalid`. Every response carries
//! `Content-Type: application/json` and `Cache-Control: no-store` (a cached answer is exactly the
//! "same IP for everyone" bug), sets `statusDescription`, fills both `headers` and
//! `multiValueHeaders` (so it works in either target-group mode) and holds no JSON null. With
//! explain mode on, the body also carries `explain`: bounded by the library to
//! [`EXPLAINED_POSITIONS`](lambda_client_ip::EXPLAINED_POSITIONS) positions, so it stays far
//! under the ALB's 1 MB.

use std::convert::Infallible;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};

use aws_lambda_events::alb::AlbTargetGroupResponse;
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use lambda_client_ip::{ClientIp, CountAnswer, Explanation, FrontDoorPeer, Source};
use lambda_runtime::LambdaEvent;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use tracing::field::{Empty, display};

use crate::config::Config;
use crate::event::{Refused, Request};
use crate::printable;

/// The client, `None` for an ALB health check, or a refusal.
pub type Decided = Result<Option<ClientIp>, Refused>;

/// Decides the answer to a request that was read, or refused while being read, and logs it.
///
/// The outcome is recorded on the current span under OpenTelemetry's HTTP names, as the
/// library's `ClientIpLayer` records it: `client.address` (the resolved client, never the
/// leftmost entry), `client.port` (only when the entry that names the client carried one) and,
/// on a refusal, `error.type` (its code). Beside them `alb.peer.address`: the ALB's own peer,
/// the address it appended at position 0 (behind a CDN, the CDN's edge). Not
/// `network.peer.address`, which names the peer of a connection the instrumented process holds:
/// the function holds none. [`respond`] runs it inside the `request` span, which declares them,
/// so the log line carries the client and the ALB's peer side by side.
pub fn decide(config: &Config, request: &Result<Request, Refused>) -> Decided {
    let decided = request.as_ref().map_err(Clone::clone).and_then(|request| {
        let headers = &request.headers;
        let agent = headers.get(header::USER_AGENT).map(HeaderValue::as_bytes);
        let health = agent.is_some_and(|ua| ua.starts_with(b"ELB-HealthChecker/"));
        if health && !headers.contains_key("x-forwarded-for") {
            return Ok(None);
        }
        let resolved = config.source.resolve(headers, request.peer);
        resolved.map(Some).map_err(|e| (e.code(), e.to_string()))
    });
    let (span, mut trace_id) = (tracing::Span::current(), String::new());
    if let Ok(Request { headers, peer }) = request {
        // Position 0 as the library reads it: the count of 0 that `Source::default()` is.
        let front = Source::default().resolve(headers, *peer);
        span.record("alb.peer.address", front.ok().map(|p| display(p.ip())));
        let trace = headers.get("x-amzn-trace-id").map(HeaderValue::to_str);
        trace_id = printable(trace.and_then(Result::ok).unwrap_or_default(), 128);
    }
    match &decided {
        Ok(Some(client)) => {
            span.record("client.address", display(client.ip()));
            span.record("client.port", client.port());
            tracing::info!(position = client.position(), %trace_id, "client address");
        }
        Ok(None) => tracing::info!(%trace_id, "health check"),
        Err((code, reason)) => {
            span.record("error.type", code);
            tracing::info!(%reason, %trace_id, "refused");
        }
    }
    warn_setting(&decided);
    decided
}

/// Reads a payload, refusing repeats of the headers this configuration reads.
pub fn read(config: &Config, payload: &RawValue) -> Result<Request, Refused> {
    let names = "x-forwarded-for forwarded user-agent cf-connecting-ipv6".split(' ');
    let header = config.source.header_name().map(HeaderName::as_str);
    Request::read(payload, &names.chain(header).collect::<Vec<_>>())
}

/// The response to a raw payload: read, decide, render, inside the `request` span.
pub fn respond(config: &Config, payload: &RawValue) -> AlbTargetGroupResponse {
    let span = tracing::info_span!(
        "request",
        client.address = Empty,
        client.port = Empty,
        alb.peer.address = Empty,
        error.type = Empty
    );
    let _entered = span.enter();
    let request = read(config, payload);
    warn_topology(&config.source, &request);
    // serde_json's map keeps keys sorted: client_ip, client_port, error, explain, message, status.
    let decided = decide(config, &request);
    let mut body = Map::new();
    match &decided {
        Ok(Some(client)) => {
            body.insert("client_ip".into(), json!(client.ip()));
            body.extend(client.port().map(|p| ("client_port".into(), json!(p))));
        }
        Ok(None) => body.extend([("status".into(), "healthy".into())]),
        Err((code, message)) => body.extend([
            ("error".into(), json!(code)),
            ("message".into(), json!(message)),
        ]),
    }
    if config.explain {
        body.insert("explain".into(), explanation(config, &request));
    }
    let mut headers = HeaderMap::new();
    let json = HeaderValue::from_static("application/json");
    headers.insert(header::CONTENT_TYPE, json);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let mut response = AlbTargetGroupResponse::default();
    let status = decided.map_or(StatusCode::BAD_REQUEST, |_| StatusCode::OK);
    // `StatusCode`'s `Display` is the description the ALB wants: "200 OK", "400 Bad Request".
    response.status_code = status.as_u16().into();
    response.status_description = Some(status.to_string());
    response.multi_value_headers = headers.clone();
    response.headers = headers;
    response.body = Some(Body::Text(Value::Object(body).to_string()));
    response
}

/// The `explain` member: the setting, the library's explanation and the advice it reads to.
pub fn explanation(config: &Config, request: &Result<Request, Refused>) -> Value {
    let setting = json!(config.source.to_string());
    let Ok(request) = request else {
        return json!({ "setting": setting, "event": "not read" });
    };
    let explained = config.source.explain(&request.headers, request.peer);
    let advice = advice(&explained);
    let mut value = serde_json::to_value(explained).unwrap_or_default();
    if let Some(fields) = value.as_object_mut() {
        fields.insert("setting".into(), setting);
        fields.insert("suggestion".into(), json!(advice));
    }
    value
}

/// The suggestion in the function's terms: its variables, and what they answer for this very
/// request, as the library's walk worked it out. The texts are in `src/advice.txt`.
pub fn advice(e: &Explanation) -> String {
    let Some(s) = &e.suggestion else {
        let ga = e.peer == FrontDoorPeer::GlobalAccelerator;
        return text(if ga { "global-accelerator" } else { "missing" });
    };
    let answers = match &s.answer {
        CountAnswer::ClientIp(client) => format!("answers {client}"),
        CountAnswer::Refused(e) => format!("refuses this request ({})", e.code()),
        _ => "answers as the walk decides".to_owned(),
    };
    let items = s.proxies.iter().map(|p| p.to_string());
    let trust = items.chain(s.presets.iter().map(|p| p.to_string()));
    let (n, trust) = (s.count, trust.collect::<Vec<_>>().join(","));
    // The topology's text, and the setting's that fills its {setting}.
    let keys = match (e.peer, s.vpc_link, trust.is_empty(), n) {
        (_, Some(_), true, _) => "forwarded forwarded-by-count",
        (_, Some(_), false, _) => "forwarded forwarded-by-ranges",
        (FrontDoorPeer::Lattice, _, false, _) => "lattice by-ranges",
        (FrontDoorPeer::Private, _, false, _) => "private by-ranges",
        (FrontDoorPeer::Private | FrontDoorPeer::Lattice, ..) => "private-alone default",
        (FrontDoorPeer::Public, _, true, 0) => "public default",
        (FrontDoorPeer::Public, _, true, _) => "reported by-count",
        _ => "cdn by-ranges",
    };
    let (topology, setting) = keys.split_once(' ').unwrap_or_default();
    let link = s.vpc_link.map(|ip| ip.to_string()).unwrap_or_default();
    text(topology)
        .replace("{setting}", &text(setting))
        .replace("{answers}", &answers)
        .replace("{trust}", &trust)
        .replace("{link}", &link)
        .replace("{n}", &n.to_string())
}

/// The text of `key` in `src/advice.txt`.
fn text(key: &str) -> String {
    let mut lines = include_str!("advice.txt").lines();
    let found = lines.find_map(|line| line.strip_prefix(key)?.strip_prefix(": "));
    found.unwrap_or_default().to_owned()
}

/// Warns when the ALB's peer shows that no unique client address exists, once per execution
/// environment for each such front door: a Global Accelerator edge (client IP preservation off)
/// or VPC Lattice.
fn warn_topology(source: &Source, request: &Result<Request, Refused>) {
    static WARNED: AtomicU8 = AtomicU8::new(0);
    let Ok(request) = request else { return };
    let (kind, topology) = match source.front_door_peer(&request.headers, request.peer) {
        FrontDoorPeer::GlobalAccelerator => (1, "warn-global-accelerator"),
        FrontDoorPeer::Lattice => (2, "warn-lattice"),
        _ => return,
    };
    if WARNED.fetch_or(kind, Ordering::Relaxed) & kind == 0 {
        tracing::warn!(topology = text(topology), "the ALB's peer is not a client");
    }
}

/// How many of an execution environment's first requests (health checks aside) decide whether
/// the setting is to blame: refused all with the same code of [`SETTING_FAULTS`], they log one
/// WARN naming the likely fix and explain mode. Few enough to warn within the first minute of a
/// broken deployment, enough that a client or two sending odd chains cannot trigger it.
pub const FIRST_REQUESTS: usize = 5;

/// The codes that, on every one of the first requests, point at the setting rather than at the
/// clients, each with its likely fix: `code: fix`, a line each.
pub const SETTING_FAULTS: &str = include_str!("setting_faults.txt");

/// What the WARN says, before the code and the fix.
pub const SETTING_FAULT: &str = "the first requests of this execution environment were all refused with the same code: the setting, not the clients, is likely wrong; to see which setting fits, set CLIENT_IP_EXPLAIN=true (template parameter ClientIpExplain), send one request through the real path and read its explain member";

/// Logs the WARN of [`FIRST_REQUESTS`], once per execution environment.
fn warn_setting(decided: &Decided) {
    static FIRST: Mutex<Vec<&str>> = Mutex::new(Vec::new());
    let code = match decided {
        Ok(None) => return, // a health check
        Ok(Some(_)) => "answered",
        Err((code, _)) => *code,
    };
    let Ok(mut first) = FIRST.lock() else { return };
    if first.len() == FIRST_REQUESTS {
        return;
    }
    first.push(code);
    let mut faults = SETTING_FAULTS.lines();
    let fix = faults.find_map(|l| l.strip_prefix(code)?.strip_prefix(": "));
    let all = first.len() == FIRST_REQUESTS && first.iter().all(|c| *c == code);
    if let Some(fix) = fix.filter(|_| all) {
        tracing::warn!(error.type = code, requests = FIRST_REQUESTS, fix, "{SETTING_FAULT}");
    }
}

/// The Lambda handler: never an error.
pub async fn handle(
    config: &Config,
    event: LambdaEvent<Box<RawValue>>,
) -> Result<AlbTargetGroupResponse, Infallible> {
    Ok(respond(config, &event.payload))
}

/// Bytes in, bytes out, for tools that drive the handler without the runtime.
pub fn handle_bytes(config: &Config, payload: &[u8]) -> Result<Vec<u8>, serde_json::Error> {
    let raw: Box<RawValue> = serde_json::from_slice(payload)?;
    serde_json::to_vec(&respond(config, &raw))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_client_ip::{ProxyCount, Source};

    fn answer(config: &Config, json: &str) -> serde_json::Value {
        let raw: Box<RawValue> = serde_json::from_str(json).unwrap();
        let response = serde_json::to_value(respond(config, &raw)).unwrap();
        serde_json::from_str(response["body"].as_str().unwrap()).unwrap()
    }

    #[test]
    fn the_worked_example() {
        let event = r#"{"headers": {"x-forwarded-for": "203.0.113.195, 70.41.3.18, 150.172.238.178"}, "requestContext": {"identity": {"sourceIp": "70.41.3.18"}}}"#;
        let by_default = answer(&Config::default(), event);
        assert_eq!(by_default.to_string(), r#"{"client_ip":"150.172.238.178"}"#);
        assert_eq!(by_default, json!({"client_ip": "150.172.238.178"}));
        let two = Config {
            source: Source::x_forwarded_for(ProxyCount::new(2).unwrap()),
            explain: false,
        };
        assert_eq!(answer(&two, event), json!({"client_ip": "203.0.113.195"}));
        let without_chain = r#"{"requestContext": {"identity": {"sourceIp": "70.41.3.18"}}}"#;
        assert_eq!(
            answer(&Config::default(), without_chain),
            json!({"client_ip": "70.41.3.18"})
        );
    }

    #[test]
    fn health_check_only_without_a_chain() {
        let hc = r#"{"headers":{"user-agent":"ELB-HealthChecker/2.0"}}"#;
        assert_eq!(answer(&Config::default(), hc), json!({"status": "healthy"}));
        let spoof =
            r#"{"headers":{"user-agent":"ELB-HealthChecker/2.0","x-forwarded-for":"192.0.2.1"}}"#;
        assert_eq!(
            answer(&Config::default(), spoof),
            json!({"client_ip": "192.0.2.1"})
        );
    }

    #[test]
    fn explain_is_bounded_and_agrees_with_the_answer() {
        let chain = vec!["203.0.113.9"; 8000].join(",");
        let event = json!({"headers": {"x-forwarded-for": chain}}).to_string();
        let config = Config {
            explain: true,
            ..Config::default()
        };
        let raw: Box<RawValue> = serde_json::from_str(&event).unwrap();
        let body = match respond(&config, &raw).body {
            Some(Body::Text(text)) => text.len(),
            _ => usize::MAX,
        };
        assert!(body < 64 * 1024, "{body} bytes");
        let got = answer(&config, &event);
        assert_eq!(got["client_ip"], "203.0.113.9");
        assert_eq!(got["explain"]["more"], 8000 - 32);
        assert_eq!(got["explain"]["counts"][0]["client_ip"], "203.0.113.9");
    }

    #[test]
    fn bytes_that_are_not_json_are_refused_as_the_runtime_refuses_them() {
        assert!(handle_bytes(&Config::default(), b"not json").is_err());
        let out = handle_bytes(&Config::default(), b"[]").unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(json["statusCode"], 400);
    }
}
