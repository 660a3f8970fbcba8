//! The handler: event → resolver → response.
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
//! The codes are stable: `malformed_event`, `conflicting_headers`, and the library's
//! `no_client_address`, `chain_too_short`, `invalid_entry`, `all_trusted`,
//! `invalid_source_address`. Every response carries `Content-Type: application/json` and
//! `Cache-Control: no-store` (a cached answer is exactly the "same IP for everyone" bug), sets
//! `statusDescription`, fills both `headers` and `multiValueHeaders` (so it works in either
//! target-group mode) and holds no JSON null.

use std::convert::Infallible;
use std::net::IpAddr;

use aws_lambda_events::alb::AlbTargetGroupResponse;
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderMap, HeaderValue, header};
use lambda_client_ip::{
    ClientIp, ResolveError, TrustPolicy, explain, parse_entry, resolve, resolve_forwarded,
};
use lambda_runtime::LambdaEvent;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::config::{Config, Source};
use crate::event::{Malformed, Printable, Request};

/// What the function decided for one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The client address, and where it came from.
    Client(ClientIp),
    /// An ALB health check.
    Healthy,
    /// No address can be vouched for.
    Refused {
        /// The stable error code.
        code: &'static str,
        /// One sentence for a person, with request text escaped.
        message: String,
    },
}

impl From<ResolveError> for Decision {
    fn from(e: ResolveError) -> Self {
        Self::Refused {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

impl From<Malformed> for Decision {
    fn from(e: Malformed) -> Self {
        Self::Refused {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

impl Decision {
    /// The ALB response for this decision.
    pub fn into_response(self) -> AlbTargetGroupResponse {
        self.into_response_with(None)
    }

    /// The ALB response for this decision, with explain mode's member when given.
    pub fn into_response_with(self, explained: Option<Value>) -> AlbTargetGroupResponse {
        let (status, description, mut body) = match self {
            Self::Client(client) => {
                let mut body = json!({ "client_ip": client.ip() });
                if let (Some(port), Some(fields)) = (client.port(), body.as_object_mut()) {
                    fields.insert("client_port".to_owned(), port.into());
                }
                (200, "200 OK", body)
            }
            Self::Healthy => (200, "200 OK", json!({ "status": "healthy" })),
            Self::Refused { code, message } => (
                400,
                "400 Bad Request",
                json!({ "error": code, "message": message }),
            ),
        };
        if let (Some(explained), Some(fields)) = (explained, body.as_object_mut()) {
            fields.insert("explain".to_owned(), explained);
        }
        let mut headers = HeaderMap::with_capacity(2);
        let json = HeaderValue::from_static("application/json");
        headers.insert(header::CONTENT_TYPE, json);
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        let mut response = AlbTargetGroupResponse::default();
        response.status_code = status;
        response.status_description = Some(description.to_owned());
        response.multi_value_headers = headers.clone();
        response.headers = headers;
        response.body = Some(Body::Text(body.to_string()));
        response.is_base64_encoded = false;
        response
    }
}

/// Decides the answer for one read event. Pure: no I/O, no logging.
///
/// X-Forwarded-For is the chain as the ALB built it (its last entry the ALB's peer). Only when
/// the event has none and carries a `sourceIp` (API Gateway and Function URL events, for tests and
/// tools) is that address the peer, position 0. With `CLIENT_IP_HEADER` set, the chain only says
/// who delivered the request (a single-address header), or is not read at all (`forwarded`).
pub fn decide(config: &Config, request: &Result<Request, Malformed>) -> Decision {
    let request = match request {
        Ok(request) => request,
        Err(malformed) => return malformed.clone().into(),
    };
    if request.forwarded_for.is_empty() && request.health_checker {
        return Decision::Healthy;
    }
    let peer = match peer(request) {
        Ok(peer) => peer,
        Err(e) => return e.into(),
    };
    let chain = &request.forwarded_for;
    let resolved = match config.source() {
        Source::ForwardedFor(policy) => resolve(chain, peer, policy),
        Source::Header(header, ranges) => {
            header.resolve(chain, peer, ranges, &request.client_header)
        }
        Source::Forwarded(count) => resolve_forwarded(&request.client_header, *count),
    };
    match resolved {
        Ok(client) => Decision::Client(client),
        Err(e) => e.into(),
    }
}

/// The event's own source address, used as the peer only when it has no X-Forwarded-For.
fn peer(request: &Request) -> Result<Option<IpAddr>, ResolveError> {
    match (&request.source_ip, request.forwarded_for.is_empty()) {
        (Some(source), true) => parse_entry(source.as_bytes())
            .map(|(ip, _port)| Some(ip))
            .ok_or_else(|| ResolveError::invalid_source(source)),
        _ => Ok(None),
    }
}

/// Answers one raw payload: reads it, decides, logs one line.
pub fn respond(config: &Config, payload: &RawValue) -> AlbTargetGroupResponse {
    let request = Request::read(payload, config.client_header());
    let decision = decide(config, &request);
    log(&request, &decision);
    let explained = config.explain().then(|| explanation(config, &request));
    decision.into_response_with(explained)
}

/// Explain mode's member (`CLIENT_IP_EXPLAIN=true`): the X-Forwarded-For chain position by
/// position under the configured trust, what every count would answer, and the setting the chain
/// suggests. Request text in it is escaped like every request value that leaves the process.
pub fn explanation(config: &Config, request: &Result<Request, Malformed>) -> Value {
    let setting = config.source().to_string();
    let request = match request {
        Ok(request) => request,
        Err(_) => {
            return json!({ "setting": setting, "chain": [], "event": "not read (see message)" });
        }
    };
    // The trust the chain is read under; Forwarded is read apart from it.
    let policy = match config.source() {
        Source::ForwardedFor(policy) => policy.clone(),
        Source::Header(_, ranges) => TrustPolicy::Ranges(ranges.clone()),
        Source::Forwarded(_) => TrustPolicy::default(),
    };
    let explained = explain(
        &request.forwarded_for,
        peer(request).ok().flatten(),
        &policy,
    );
    let chain: Vec<Value> = explained
        .entries
        .iter()
        .map(|e| {
            let mut entry = json!({
                "position": e.position,
                "entry": Printable(&e.text).to_string(),
                "written_by": e.writer.to_string(),
                "presets": e.presets.iter().map(|p| p.name()).collect::<Vec<_>>(),
                "in_trusted_ranges": e.in_trusted_ranges,
            });
            match (e.parsed, entry.as_object_mut()) {
                (Ok((ip, port)), Some(fields)) => {
                    fields.insert("address".to_owned(), json!(ip));
                    if let Some(port) = port {
                        fields.insert("port".to_owned(), json!(port));
                    }
                }
                (Err(why), Some(fields)) => {
                    fields.insert("invalid".to_owned(), json!(why));
                }
                (_, None) => {}
            }
            entry
        })
        .collect();
    let counts: Vec<Value> = explained
        .counts
        .iter()
        .enumerate()
        .map(|(count, answer)| match answer {
            Ok(client) => json!({ "count": count, "client_ip": client.ip() }),
            Err(e) => json!({ "count": count, "error": e.code() }),
        })
        .collect();
    json!({
        "setting": setting,
        "chain": chain,
        "counts": counts,
        "suggestion": explained.suggestion.to_string(),
    })
}

/// The Lambda handler. The payload is taken raw, so any JSON the runtime hands over gets an
/// HTTP answer. Never returns an error.
pub async fn handle(
    config: &Config,
    event: LambdaEvent<Box<RawValue>>,
) -> Result<AlbTargetGroupResponse, Infallible> {
    Ok(respond(config, &event.payload))
}

/// Answers raw event bytes with raw response bytes, as the Lambda runtime does around
/// [`handle`]: bytes that are not JSON are refused before the handler runs, as the runtime
/// refuses them (an invocation error, which the ALB answers with 502). Used by the local ALB and
/// the fuzz targets.
pub fn handle_bytes(config: &Config, payload: &[u8]) -> Result<Vec<u8>, serde_json::Error> {
    let raw: Box<RawValue> = serde_json::from_slice(payload)?;
    serde_json::to_vec(&respond(config, &raw))
}

fn log(request: &Result<Request, Malformed>, decision: &Decision) {
    let request = request.as_ref().ok();
    let trace_id = request.and_then(|r| r.trace_id.as_deref()).unwrap_or("");
    let trace_id = Printable(trace_id);
    if let Some(request) = request.filter(|_| tracing::enabled!(tracing::Level::DEBUG)) {
        let chain: Vec<Printable> = request.forwarded_for.iter().map(|v| Printable(v)).collect();
        tracing::debug!(x_forwarded_for = ?chain, %trace_id, "request chain");
    }
    match decision {
        Decision::Client(c) => tracing::info!(
            client_ip = %c.ip(),
            client_port = c.port(),
            position = c.position(),
            %trace_id,
            "client address"
        ),
        Decision::Healthy => tracing::info!(%trace_id, "health check"),
        Decision::Refused { code, message } => {
            tracing::info!(error = code, reason = %message, %trace_id, "refused")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_client_ip::{ProxyCount, TrustPolicy};

    fn answer(config: &Config, json: &str) -> serde_json::Value {
        let raw: Box<RawValue> = serde_json::from_str(json).unwrap();
        serde_json::to_value(respond(config, &raw)).unwrap()
    }

    fn body(response: &serde_json::Value) -> serde_json::Value {
        serde_json::from_str(response["body"].as_str().unwrap()).unwrap()
    }

    #[test]
    fn the_worked_example() {
        let event = r#"{"headers": {"x-forwarded-for": "203.0.113.195, 70.41.3.18, 150.172.238.178"}, "requestContext": {"identity": {"sourceIp": "70.41.3.18"}}}"#;
        let by_default = answer(&Config::default(), event);
        assert_eq!(body(&by_default), json!({"client_ip": "150.172.238.178"}));
        let two = Config::with_policy(TrustPolicy::Count(ProxyCount::new(2).unwrap()));
        assert_eq!(
            body(&answer(&two, event)),
            json!({"client_ip": "203.0.113.195"})
        );
    }

    #[test]
    fn health_check_only_without_a_chain() {
        let hc = r#"{"headers":{"user-agent":"ELB-HealthChecker/2.0"}}"#;
        assert_eq!(
            body(&answer(&Config::default(), hc)),
            json!({"status": "healthy"})
        );
        let spoof =
            r#"{"headers":{"user-agent":"ELB-HealthChecker/2.0","x-forwarded-for":"192.0.2.1"}}"#;
        assert_eq!(
            body(&answer(&Config::default(), spoof)),
            json!({"client_ip": "192.0.2.1"})
        );
    }

    #[test]
    fn bytes_that_are_not_json_are_refused_as_the_runtime_refuses_them() {
        assert!(handle_bytes(&Config::default(), b"not json").is_err());
        let out = handle_bytes(&Config::default(), b"[]").unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(json["statusCode"], 400);
    }
}
