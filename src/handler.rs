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
use std::sync::atomic::{AtomicBool, Ordering};

use aws_lambda_events::alb::AlbTargetGroupResponse;
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderMap, HeaderValue, header};
use lambda_client_ip::{ClientIp, CountAnswer, Explanation, FrontDoorPeer};
use lambda_runtime::LambdaEvent;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use crate::config::Config;
use crate::event::{Refused, Request};
use crate::printable;

/// The client, `None` for an ALB health check, or a refusal.
pub type Decided = Result<Option<ClientIp>, Refused>;

/// Decides the answer to a request that was read, or refused while being read, and logs it.
pub fn decide(config: &Config, request: &Result<Request, Refused>) -> Decided {
    let decided = request.as_ref().map_err(Clone::clone).and_then(|request| {
        let agent = request
            .headers
            .get(header::USER_AGENT)
            .map(HeaderValue::as_bytes);
        let health = agent.is_some_and(|ua| ua.starts_with(b"ELB-HealthChecker/"));
        if health && !request.headers.contains_key("x-forwarded-for") {
            return Ok(None);
        }
        let resolved = config.source.resolve(&request.headers, request.peer);
        resolved.map(Some).map_err(|e| (e.code(), e.to_string()))
    });
    let trace = request
        .as_ref()
        .ok()
        .and_then(|r| r.headers.get("x-amzn-trace-id"));
    let trace_id = printable(trace.and_then(|t| t.to_str().ok()).unwrap_or_default(), 128);
    match &decided {
        Ok(Some(c)) => {
            let (client_ip, client_port, position) = (c.ip(), c.port(), c.position());
            tracing::info!(%client_ip, client_port, position, %trace_id, "client address");
        }
        Ok(None) => tracing::info!(%trace_id, "health check"),
        Err((code, reason)) => tracing::info!(error = code, %reason, %trace_id, "refused"),
    }
    decided
}

/// Reads a payload, refusing repeats of the headers this configuration reads.
pub fn read(config: &Config, payload: &RawValue) -> Result<Request, Refused> {
    let chains = ["x-forwarded-for", "forwarded"];
    let others = ["user-agent", "cf-connecting-ipv6"];
    let header = config.source.header_name().map(|name| name.as_str());
    let strict: Vec<&str> = chains.into_iter().chain(others).chain(header).collect();
    Request::read(payload, &strict)
}

/// The response to a raw payload: read, decide, render.
pub fn respond(config: &Config, payload: &RawValue) -> AlbTargetGroupResponse {
    let request = read(config, payload);
    warn_topology(config, &request);
    // serde_json's map keeps keys sorted: client_ip, client_port, error, explain, message, status.
    let decided = decide(config, &request);
    let mut body = Map::new();
    match &decided {
        Ok(Some(client)) => {
            body.insert("client_ip".into(), json!(client.ip()));
            let port = client.port().map(|p| ("client_port".into(), p.into()));
            body.extend(port);
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
    let mut headers = HeaderMap::with_capacity(2);
    let json = HeaderValue::from_static("application/json");
    headers.insert(header::CONTENT_TYPE, json);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let mut response = AlbTargetGroupResponse::default();
    let (status, description) = match decided {
        Ok(_) => (200, "200 OK"),
        Err(_) => (400, "400 Bad Request"),
    };
    (response.status_code, response.status_description) = (status, Some(description.to_owned()));
    response.multi_value_headers = headers.clone();
    response.headers = headers;
    response.body = Some(Body::Text(Value::Object(body).to_string()));
    response.is_base64_encoded = false;
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
        fields.extend([
            ("setting".into(), setting),
            ("suggestion".into(), json!(advice)),
        ]);
    }
    value
}

/// The suggestion in the function's terms: its variables, and what they answer for this very
/// request, as the library's walk worked it out. The texts are in `src/advice.txt`.
pub fn advice(e: &Explanation) -> String {
    let Some(s) = &e.suggestion else {
        let no_client = e.peer == FrontDoorPeer::GlobalAccelerator;
        return text(if no_client {
            "global-accelerator"
        } else {
            "missing"
        });
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
fn warn_topology(config: &Config, request: &Result<Request, Refused>) {
    static GLOBAL_ACCELERATOR: AtomicBool = AtomicBool::new(false);
    static LATTICE: AtomicBool = AtomicBool::new(false);
    let Ok(request) = request else { return };
    let (headers, peer) = (&request.headers, request.peer);
    let (warned, topology) = match config.source.front_door_peer(headers, peer) {
        FrontDoorPeer::GlobalAccelerator => (
            &GLOBAL_ACCELERATOR,
            "Global Accelerator without client IP preservation: no client address exists; turn preservation on",
        ),
        FrontDoorPeer::Lattice => (
            &LATTICE,
            "VPC Lattice: the address is private to the caller's VPC, unique only with x-amzn-lattice-network",
        ),
        _ => return,
    };
    if !warned.swap(true, Ordering::Relaxed) {
        tracing::warn!(topology, "the ALB's peer is not a client");
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
