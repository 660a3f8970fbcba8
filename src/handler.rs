//! The handler: event → resolver → response.
//!
//! Every outcome is an ordinary HTTP answer. A request we cannot vouch for gets a 400 with a JSON
//! body `{"error": "<code>", "message": "<sentence>"}`; there is no path that returns a handler
//! error, because the ALB turns those into a bare 502 that tells the caller nothing.
//!
//! | outcome | status | body |
//! |---|---|---|
//! | client address found | 200 | `{"client_ip":"<address>"}` |
//! | ALB health check (no X-Forwarded-For) | 200 | `{"status":"healthy"}` |
//! | anything else | 400 | `{"error":"<code>","message":"<sentence>"}` |
//!
//! The codes are stable: `malformed_event`, `conflicting_headers`, `no_client_address`,
//! `chain_too_short`, `invalid_entry`, `all_trusted`, `invalid_source_address`. All of them mean
//! "no address can be vouched for"; 400 is used for all because each is a property of the request
//! as received, and the code says which.
//!
//! Every response carries `Content-Type: application/json` and `Cache-Control: no-store` (a cached
//! answer is exactly the "same IP for everyone" bug), sets `statusDescription`, fills both
//! `headers` and `multiValueHeaders` (so it works in either target-group mode) and holds no JSON
//! null.

use std::convert::Infallible;

use aws_lambda_events::alb::AlbTargetGroupResponse;
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderMap, HeaderValue, header};
use lambda_runtime::LambdaEvent;
use serde::Serialize;

use crate::client_ip::{ChosenBy, ClientIp, resolve};
use crate::config::Config;
use crate::event::{Event, Fields};

/// Every answer is JSON.
const CONTENT_TYPE: &str = "application/json";
/// A cached answer would be one client's address served to everyone.
const CACHE_CONTROL: &str = "no-store";

/// What the function decided for one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The client address, and how it was chosen.
    Client(ClientIp),
    /// An ALB health check.
    Healthy,
    /// No address can be vouched for.
    Refused {
        /// The stable error code.
        code: &'static str,
        /// One sentence for a person.
        message: String,
    },
}

impl Decision {
    /// The HTTP status of this decision.
    pub fn status(&self) -> u16 {
        match self {
            Self::Client(_) | Self::Healthy => 200,
            Self::Refused { .. } => 400,
        }
    }

    /// The `statusDescription` the ALB puts on the status line.
    pub fn status_description(&self) -> &'static str {
        match self.status() {
            200 => "200 OK",
            _ => "400 Bad Request",
        }
    }

    /// The JSON body of this decision.
    pub fn body(&self) -> String {
        match self {
            // An address's text is digits, hex, '.' and ':': nothing JSON would escape, so it is
            // written straight into the body instead of through a temporary string.
            Self::Client(c) => format!(r#"{{"client_ip":"{}"}}"#, c.addr),
            Self::Healthy => String::from(r#"{"status":"healthy"}"#),
            Self::Refused { code, message } => {
                #[derive(Serialize)]
                struct Refusal<'a> {
                    error: &'a str,
                    message: &'a str,
                }
                // Serializing two strings cannot fail; keep a valid body regardless.
                serde_json::to_string(&Refusal {
                    error: code,
                    message,
                })
                .unwrap_or_else(|_| {
                    String::from(r#"{"error":"internal","message":"Serialization failed."}"#)
                })
            }
        }
    }

    /// The ALB response for this decision, as the function sends it: the same JSON as
    /// [`Decision::into_response`], without building two `http::HeaderMap`s per request.
    pub fn response(self) -> Response {
        Response {
            status_code: self.status(),
            status_description: self.status_description(),
            headers: ResponseHeaders {
                content_type: CONTENT_TYPE,
                cache_control: CACHE_CONTROL,
            },
            multi_value_headers: ResponseMultiValueHeaders {
                content_type: [CONTENT_TYPE],
                cache_control: [CACHE_CONTROL],
            },
            body: self.body(),
            is_base64_encoded: false,
        }
    }

    /// The ALB response for this decision as `aws_lambda_events`' type (for tools that want the
    /// typed form; it serializes to the same JSON as [`Decision::response`]).
    pub fn into_response(self) -> AlbTargetGroupResponse {
        let mut headers = HeaderMap::with_capacity(2);
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(CACHE_CONTROL),
        );
        let mut response = AlbTargetGroupResponse::default();
        response.status_code = i64::from(self.status());
        response.status_description = Some(self.status_description().to_owned());
        response.multi_value_headers = headers.clone();
        response.headers = headers;
        response.body = Some(Body::Text(self.body()));
        response.is_base64_encoded = false;
        response
    }
}

/// The response document the ALB expects, with the fixed headers every answer carries. Its JSON
/// is exactly that of `AlbTargetGroupResponse` filled in by [`Decision::into_response`] (a test
/// holds the two to the same bytes); only the fields that vary are stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    status_code: u16,
    status_description: &'static str,
    headers: ResponseHeaders,
    multi_value_headers: ResponseMultiValueHeaders,
    body: String,
    is_base64_encoded: bool,
}

impl Response {
    /// The HTTP status.
    pub fn status_code(&self) -> u16 {
        self.status_code
    }

    /// The JSON body.
    pub fn body(&self) -> &str {
        &self.body
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct ResponseHeaders {
    #[serde(rename = "content-type")]
    content_type: &'static str,
    #[serde(rename = "cache-control")]
    cache_control: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct ResponseMultiValueHeaders {
    #[serde(rename = "content-type")]
    content_type: [&'static str; 1],
    #[serde(rename = "cache-control")]
    cache_control: [&'static str; 1],
}

/// Decides the answer for one event. Pure: no I/O, no logging.
pub fn decide(config: &Config, event: &Event) -> Decision {
    let fields = match &event.0 {
        Ok(fields) => fields,
        Err(malformed) => {
            return Decision::Refused {
                code: malformed.code(),
                message: malformed.to_string(),
            };
        }
    };
    if fields.forwarded_for.is_empty() && fields.health_checker {
        return Decision::Healthy;
    }
    match resolve(
        &fields.forwarded_for,
        fields.source_ip.as_deref(),
        config.policy(),
    ) {
        Ok(client) => Decision::Client(client),
        Err(e) => Decision::Refused {
            code: e.code(),
            message: e.to_string(),
        },
    }
}

/// The Lambda handler: decides, logs one structured line, answers. Never returns an error.
pub async fn handle(config: &Config, event: LambdaEvent<Event>) -> Result<Response, Infallible> {
    let decision = decide(config, &event.payload);
    log(&event.payload, &decision);
    Ok(decision.response())
}

/// Answers raw event bytes with raw response bytes: what the Lambda runtime does around
/// [`handle`], without the runtime. Used by the local ALB, benches and fuzzing.
pub fn handle_bytes(config: &Config, payload: &[u8]) -> Vec<u8> {
    let event = Event::from_slice(payload);
    let decision = decide(config, &event);
    log(&event, &decision);
    // An answer is about 250 bytes: one allocation instead of a growing buffer.
    let mut out = Vec::with_capacity(384);
    match serde_json::to_writer(&mut out, &decision.response()) {
        Ok(()) => out,
        Err(_) => Vec::new(),
    }
}

fn log(event: &Event, decision: &Decision) {
    let fields = event.0.as_ref().ok();
    let trace_id = fields.and_then(|f| f.trace_id.as_deref()).unwrap_or("");
    if let Some(Fields { forwarded_for, .. }) = fields {
        // Raw values are attacker-controlled: only at debug level, and `?` escapes them.
        tracing::debug!(x_forwarded_for = ?forwarded_for, trace_id, "request chain");
    }
    match decision {
        Decision::Client(c) => match c.chosen_by {
            ChosenBy::Position(position) => tracing::info!(
                client_ip = %c.addr,
                chosen_by = "position",
                position,
                trace_id,
                "client address"
            ),
            ChosenBy::Fallback => tracing::info!(
                client_ip = %c.addr,
                chosen_by = "fallback",
                trace_id,
                "client address"
            ),
        },
        Decision::Healthy => tracing::info!(trace_id, "health check"),
        Decision::Refused { code, message } => {
            tracing::info!(error = code, message = %message, trace_id, "refused")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client_ip::{ProxyCount, TrustPolicy};

    #[test]
    fn the_worked_example() {
        let event = Event::from_slice(
            br#"{"headers": {"x-forwarded-for": "203.0.113.195, 70.41.3.18, 150.172.238.178"}, "requestContext": {"identity": {"sourceIp": "70.41.3.18"}}}"#,
        );
        let by_default = decide(&Config::default(), &event);
        assert_eq!(by_default.body(), r#"{"client_ip":"150.172.238.178"}"#);
        let two = Config::with_policy(TrustPolicy::Count(ProxyCount::new(2).unwrap()));
        assert_eq!(
            decide(&two, &event).body(),
            r#"{"client_ip":"203.0.113.195"}"#
        );
    }

    #[test]
    fn response_has_no_nulls_and_both_header_maps() {
        let event = Event::from_slice(br#"{"headers":{"x-forwarded-for":"bogus"}}"#);
        let response = decide(&Config::default(), &event).into_response();
        let json: serde_json::Value = serde_json::to_value(&response).unwrap();
        assert_eq!(json["statusCode"], 400);
        assert_eq!(json["statusDescription"], "400 Bad Request");
        assert_eq!(json["headers"]["cache-control"], "no-store");
        assert_eq!(
            json["multiValueHeaders"]["content-type"][0],
            "application/json"
        );
        assert_eq!(json["isBase64Encoded"], false);
        let body: serde_json::Value = serde_json::from_str(json["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["error"], "invalid_entry");
        assert!(body.get("client_ip").is_none());
        assert!(!json.to_string().contains("null"));
    }

    #[test]
    fn response_serializes_exactly_as_the_typed_response() {
        let events: [&[u8]; 5] = [
            br#"{"headers":{"x-forwarded-for":"203.0.113.195, 70.41.3.18"}}"#,
            br#"{"headers":{"x-forwarded-for":"2001:DB8::1"}}"#,
            br#"{"headers":{"user-agent":"ELB-HealthChecker/2.0"}}"#,
            br#"{"headers":{"x-forwarded-for":"\"<evil>\" \u2028"}}"#,
            b"[]",
        ];
        for payload in events {
            let decision = decide(&Config::default(), &Event::from_slice(payload));
            let fast = serde_json::to_string(&decision.clone().response()).unwrap();
            let typed = serde_json::to_string(&decision.into_response()).unwrap();
            assert_eq!(fast, typed);
        }
    }

    #[test]
    fn health_check_only_without_a_chain() {
        let hc = Event::from_slice(br#"{"headers":{"user-agent":"ELB-HealthChecker/2.0"}}"#);
        assert_eq!(decide(&Config::default(), &hc), Decision::Healthy);
        let spoof = Event::from_slice(
            br#"{"headers":{"user-agent":"ELB-HealthChecker/2.0","x-forwarded-for":"192.0.2.1"}}"#,
        );
        assert!(matches!(
            decide(&Config::default(), &spoof),
            Decision::Client(_)
        ));
    }

    #[test]
    fn bytes_in_bytes_out_never_fails() {
        for payload in [&b"not json"[..], b"", b"[]", b"{}", b"{\"headers\":5}"] {
            let out = handle_bytes(&Config::default(), payload);
            let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
            assert_eq!(json["statusCode"], 400, "{payload:?}");
        }
    }
}
